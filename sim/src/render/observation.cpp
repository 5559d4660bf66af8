#include "lensforge/sim/render/observation.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/detector/observe.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/optics/moffat_kernel.hpp"
#include "lensforge/sim/optics/pixelated_kernel.hpp"
#include "lensforge/sim/optics/psf_convolver.hpp"

namespace lensforge {

std::string ObservationOptions::validate() const {
  if (supersampling < 1 || supersampling > 32)
    return "supersampling = " + std::to_string(supersampling) + " must be in [1, 32]";
  if (noise)
    if (auto e = noise_options.validate(); !e.empty()) return e;
  return {};
}

namespace {

// The band's PSF convolution at `pixel_scale` (the band's pixels, or its sub-pixels): the
// Gaussian's kernel is separable, the others go through the FFT.
PsfConvolver band_convolver(const Band& band, double pixel_scale) {
  switch (band.psf.type) {
    case PsfType::GAUSSIAN: {
      GaussianKernelParams p;
      p.fwhm = band.psf.fwhm;
      p.pixel_scale = pixel_scale;
      return PsfConvolver(SeparableConvolver(p));
    }
    case PsfType::MOFFAT: {
      MoffatKernelParams p;
      p.fwhm = band.psf.fwhm;
      p.beta = band.psf.beta;
      p.pixel_scale = pixel_scale;
      return PsfConvolver(FftConvolver(moffat_kernel(p)));
    }
    case PsfType::PIXEL: {
      const FitsImage img = read_fits_image(band.psf.file);
      PixelatedKernelParams p;
      p.input_pixel_scale = band.pixel_scale / band.psf.oversampling;
      p.pixel_scale = pixel_scale;
      return PsfConvolver(FftConvolver(pixelated_kernel(img.data, p)));
    }
  }
  throw ConfigError("band " + band.name + ": unknown PSF type");
}

// Sum of s x s blocks (the sub-pixels of one pixel).
ImageF block_sum(const ImageF& fine, int s) { return block_average(fine, s) * float(s * s); }

}  // namespace

Scene scene_in_band(const Scene& scene, const Band& band) {
  Scene out = scene;
  for (auto* list : {&out.lens_light, &out.sources})
    for (LightComponent& c : *list) {
      const auto it = c.magnitudes.find(band.name);
      if (it == c.magnitudes.end()) continue;
      const double total = total_flux(c.profile);
      if (!(total > 0.0))
        throw ConfigError("band " + band.name + ": a light component with a magnitude has zero total flux");
      c.profile = scaled(c.profile, band.flux(it->second) / total);
    }
  return out;
}

struct SceneObserver::Impl {
  std::vector<Band> bands;
  ObservationOptions options;
  std::vector<PsfConvolver> convolvers;  // one per band
};

SceneObserver::SceneObserver(std::vector<Band> bands, ObservationOptions options) : impl_(std::make_unique<Impl>()) {
  if (auto e = options.validate(); !e.empty()) throw ConfigError("observation options: " + e);
  if (bands.empty()) throw ConfigError("observation: at least one band is needed");
  for (const Band& b : bands) {
    if (auto e = b.validate(); !e.empty()) throw ConfigError("band " + b.survey + " " + b.name + ": " + e);
    const double scale = options.supersampling_convolution ? b.pixel_scale / options.supersampling : b.pixel_scale;
    impl_->convolvers.push_back(band_convolver(b, scale));
  }
  impl_->bands = std::move(bands);
  impl_->options = options;
}

SceneObserver::~SceneObserver() = default;
SceneObserver::SceneObserver(SceneObserver&&) noexcept = default;
SceneObserver& SceneObserver::operator=(SceneObserver&&) noexcept = default;
const std::vector<Band>& SceneObserver::bands() const { return impl_->bands; }
const ObservationOptions& SceneObserver::options() const { return impl_->options; }

std::vector<BandObservation> SceneObserver::observe(const Scene& scene, Rng& rng) const {
  std::vector<BandObservation> out;
  out.reserve(impl_->bands.size());
  for (std::size_t k = 0; k < impl_->bands.size(); ++k) out.push_back(observe_band(scene, k, rng));
  return out;
}

BandObservation SceneObserver::observe_band(const Scene& scene, std::size_t k, const Rng& rng) const {
  if (k >= impl_->bands.size())
    throw std::out_of_range("SceneObserver::observe_band: band index " + std::to_string(k) + " >= " +
                            std::to_string(impl_->bands.size()) + " bands");
  const ObservationOptions& o = impl_->options;
  const Band& band = impl_->bands[k];
  const PsfConvolver& conv = impl_->convolvers[k];
  RenderOptions ro;
  if (o.supersampling_convolution) {
    // Sub-pixel images hold SB x sub-pixel area; their block sums are pixel values.
    ro.grid = band.grid().supersampled(o.supersampling);
    ro.supersampling = 1;
  } else {
    ro.grid = band.grid();
    ro.supersampling = o.supersampling;
  }
  RenderedImages r = Renderer(scene_in_band(scene, band), ro).render();
  BandObservation b;
  b.band = band.name;
  b.lens_light = conv.convolve(r.lens_light);
  b.source = conv.convolve(r.source);
  if (o.source_images)
    for (const ImageF& img : r.sources) b.sources.push_back(conv.convolve(img));
  if (o.supersampling_convolution) {
    b.lens_light = block_sum(b.lens_light, o.supersampling);
    b.source = block_sum(b.source, o.supersampling);
    for (ImageF& img : b.sources) img = block_sum(img, o.supersampling);
  }
  b.noiseless = b.lens_light + b.source;
  if (o.noise) {
    Rng band_rng = rng.split(k);
    if (o.artefacts) {
      b.observed = lensforge::observe(b.noiseless, band, band_rng, o.noise_options);
    } else {
      Band plain = band;
      plain.artefacts = ArtefactSettings{};
      b.observed = lensforge::observe(b.noiseless, plain, band_rng, o.noise_options);
    }
  }
  return b;
}

}  // namespace lensforge

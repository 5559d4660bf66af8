#pragma once
// Observing a scene in one or more bands: each band renders the scene on its own pixel grid
// (light rescaled to the band's magnitudes), convolves with the band's PSF, then applies the
// detector (artefacts, noise) of detector/observe.hpp.
//   Scene -> per band: Renderer (supersampled) -> PSF (separable for a Gaussian, else FFT)
//         -> [artefacts + noise] -> images
#include <memory>
#include <string>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/detector/noise_model.hpp"
#include "lensforge/sim/render/renderer.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

struct ObservationOptions {
  int supersampling = 3;  ///< s x s sub-pixels per band pixel, [1, 32]
  /// Convolve on the supersampled grid (kernel resampled there), then bin; otherwise bin, then
  /// convolve on pixels (lenstronomy's supersampling_convolution).
  bool supersampling_convolution = false;
  bool noise = true;      ///< Poisson + read noise; false: the noiseless image only
  bool artefacts = true;  ///< the band's enabled artefacts (cosmic rays, hot pixels, ...)
  /// Also keep each lensed source's image (BandObservation::sources): one more convolution per
  /// source and band.
  bool source_images = false;
  NoiseOptions noise_options;
  std::string validate() const;
};

struct BandObservation {
  std::string band;      ///< band name
  ImageF lens_light;     ///< noiseless, PSF-convolved deflector light, e-/s per pixel
  ImageF source;         ///< noiseless, PSF-convolved lensed sources, e-/s per pixel
  std::vector<ImageF> sources;  ///< each source of Scene::sources on its own, as `source` (only with source_images)
  ImageF noiseless;      ///< lens_light + source, e-/s per pixel
  Observation observed;  ///< noisy image, sigma map, mask and unit (empty images when noise is off)
};

/// Prepared observer for a fixed list of bands: PSF convolvers (taps, kernels, FFT plans) are made
/// once and reused for every scene, from any number of threads.
class SceneObserver {
 public:
  /// Throws ConfigError for an invalid band or option, IoError for an unreadable PSF file.
  SceneObserver(std::vector<Band> bands, ObservationOptions options);
  ~SceneObserver();
  SceneObserver(SceneObserver&&) noexcept;
  SceneObserver& operator=(SceneObserver&&) noexcept;

  /// Observes the scene in every band. Band k draws its noise from rng.split(k), so results
  /// depend only on the Rng's seed/stream. Thread-safe.
  std::vector<BandObservation> observe(const Scene& scene, Rng& rng) const;
  /// Band k alone, bit for bit as element k of observe(scene, rng) (its noise from rng.split(k)),
  /// so a caller can look at one band before paying for the others. k < bands().size(), else
  /// std::out_of_range. Thread-safe.
  BandObservation observe_band(const Scene& scene, std::size_t k, const Rng& rng) const;

  const std::vector<Band>& bands() const;
  const ObservationOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The scene as seen in `band`: every light component with a magnitude for this band rescaled to
/// total flux band.flux(mag) e-/s.
Scene scene_in_band(const Scene& scene, const Band& band);

}  // namespace lensforge

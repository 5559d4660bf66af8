#include "survey_render.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>
#include <system_error>

#include <fmt/format.h>
#include <tbb/global_control.h>

#include "command_support.hpp"
#include "lensforge/sim/detector/mask.hpp"
#include "lensforge/sim/io/png.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"

namespace lensforge::app {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxSeed = std::uint64_t(std::numeric_limits<std::int64_t>::max());
constexpr double kFluxZeroPoint = 22.5;  // --unit flux: nanomaggies

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : sep) + i;
  return s;
}

struct UnitChoice {
  OutputUnit unit = OutputUnit::ELECTRONS_PER_S;
  std::string bunit;  // FITS BUNIT that astropy parses
};

UnitChoice parse_unit(const std::string& text) {
  const std::string u = lower(text);
  if (u == "e/s") return {OutputUnit::ELECTRONS_PER_S, "electron/s"};
  if (u == "adu") return {OutputUnit::ADU, "adu"};
  if (u == "flux") return {OutputUnit::ZERO_POINT_FLUX, "nmgy"};
  throw BadInput(fmt::format("--unit '{}': unknown unit; allowed: e/s (electrons per second), adu (ADU of the summed "
                             "exposures), flux (nanomaggies: 1 unit is AB magnitude 22.5)",
                             text));
}

// Artefact kinds by their names in the survey files.
struct ArtefactKind {
  const char* name;
  bool& (*enabled)(ArtefactSettings&);
};
constexpr std::array<ArtefactKind, 6> kArtefactKinds = {{
    {"cosmic_rays", [](ArtefactSettings& s) -> bool& { return s.cosmic_rays.enabled; }},
    {"hot_pixels", [](ArtefactSettings& s) -> bool& { return s.hot_pixels.enabled; }},
    {"dead_pixels", [](ArtefactSettings& s) -> bool& { return s.dead_pixels.enabled; }},
    {"bad_columns", [](ArtefactSettings& s) -> bool& { return s.bad_columns.enabled; }},
    {"satellite_trails", [](ArtefactSettings& s) -> bool& { return s.satellite_trails.enabled; }},
    {"neighbours", [](ArtefactSettings& s) -> bool& { return s.neighbours.enabled; }},
}};

struct ArtefactChoice {
  std::array<bool, kArtefactKinds.size()> on{};
  bool any() const { return std::find(on.begin(), on.end(), true) != on.end(); }
  /// "none", "all" or the chosen kinds, comma-separated (FITS card ARTEFACT).
  std::string card() const {
    if (std::find(on.begin(), on.end(), false) == on.end()) return "all";
    std::vector<std::string> names;
    for (std::size_t k = 0; k < on.size(); ++k)
      if (on[k]) names.emplace_back(kArtefactKinds[k].name);
    return names.empty() ? "none" : join(names, ",");
  }
  /// Switches every kind of the band on or off as chosen.
  void apply(Band& b) const {
    for (std::size_t k = 0; k < on.size(); ++k) kArtefactKinds[k].enabled(b.artefacts) = on[k];
  }
};

ArtefactChoice parse_artefacts(const std::string& text) {
  std::vector<std::string> names;
  for (const auto& k : kArtefactKinds) names.emplace_back(k.name);
  ArtefactChoice c;
  const std::string t = lower(text);
  if (t == "none") return c;
  if (t == "all") {
    c.on.fill(true);
    return c;
  }
  std::size_t start = 0;
  while (start <= t.size()) {
    const std::size_t comma = std::min(t.find(',', start), t.size());
    const std::string item = t.substr(start, comma - start);
    const auto it = std::find(names.begin(), names.end(), item);
    if (it == names.end())
      throw BadInput(fmt::format("--artefacts '{}': unknown artefact kind '{}'; give none, all, or a comma-separated "
                                 "list of {}",
                                 text, item, join(names)));
    c.on[std::size_t(it - names.begin())] = true;
    start = comma + 1;
  }
  return c;
}

/// The preset named by --survey: a survey YAML file (a path), or a preset name looked up in the
/// configs folders.
SurveyPreset resolve_survey(const SurveyRenderArgs& a) {
  const std::string& s = a.survey;
  if (s.empty()) throw BadInput("--survey: empty; give a preset name (e.g. euclid) or a survey YAML file");
  if (has_extension(s, {".yaml", ".yml"}) || s.find('/') != std::string::npos) {
    std::vector<SurveyPreset> presets = load_survey_file(s);
    if (presets.size() == 1) return std::move(presets.front());
    std::vector<std::string> names;
    for (const auto& p : presets) names.push_back(p.name);
    throw BadInput(fmt::format("--survey {}: the file defines several presets ({}); give one by name, with --configs "
                               "the folder that holds surveys/{}",
                               s, join(names), fs::path(s).filename().string()));
  }
  // --configs alone when given; else ./configs, then $LENSFORGE_CONFIGS.
  std::vector<std::string> dirs;
  if (!a.configs_dir.empty()) {
    dirs.push_back(a.configs_dir);
  } else {
    dirs.emplace_back("configs");
    if (!a.configs_env.empty()) dirs.push_back(a.configs_env);
  }
  std::vector<std::string> looked, available;
  for (const std::string& d : dirs) {
    const fs::path surveys = fs::path(d) / "surveys";
    std::error_code ec;
    if (!fs::is_directory(surveys, ec)) {
      looked.push_back(surveys.string() + " (no such folder)");
      continue;
    }
    looked.push_back(surveys.string());
    const std::vector<std::string> names = list_survey_presets(d);
    if (std::find(names.begin(), names.end(), s) != names.end()) return load_survey_preset(d, s);
    for (const auto& n : names)
      if (std::find(available.begin(), available.end(), n) == available.end()) available.push_back(n);
  }
  if (a.configs_dir.empty() && a.configs_env.empty()) looked.emplace_back("LENSFORGE_CONFIGS (not set)");
  std::sort(available.begin(), available.end());
  throw BadInput(fmt::format("--survey {}: no such survey preset; looked in {}; available: {}; or give the path of a "
                             "survey YAML file",
                             s, join(looked), available.empty() ? std::string("none") : join(available)));
}

/// The preset's bands named by --bands (all of them, in preset order, when none are named).
std::vector<Band> select_bands(const SurveyPreset& p, const std::vector<std::string>& names) {
  if (names.empty()) return p.bands;
  std::vector<Band> out;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (std::find(names.begin(), names.begin() + std::ptrdiff_t(k), names[k]) != names.begin() + std::ptrdiff_t(k))
      throw BadInput(fmt::format("--bands: band {} is given twice", names[k]));
    try {
      out.push_back(p.band(names[k]));
    } catch (const ConfigError& e) {
      throw BadInput(fmt::format("--bands: {}", e.what()));
    }
  }
  return out;
}

/// Position of a band in the preset (the survey files list bands from blue to red).
std::size_t preset_position(const SurveyPreset& p, const std::string& name) {
  for (std::size_t k = 0; k < p.bands.size(); ++k)
    if (p.bands[k].name == name) return k;
  return p.bands.size();
}

// ---- FITS ---------------------------------------------------------------------------------------

struct OutputSettings {
  std::string preset;
  UnitChoice unit;
  NoiseOptions noise_options;
  ArtefactChoice artefacts;
  const SurveyRenderArgs* args = nullptr;
  std::string scene_name;
};

/// Cards every HDU of a band carries.
std::vector<FitsCard> band_cards(const Band& b, const OutputSettings& s) {
  std::vector<FitsCard> c = {
      {"BAND", b.name, "photometric band"},
      {"SURVEY", b.survey, "survey"},
      {"PRESET", s.preset, "survey preset"},
      {"EXPTIME", b.total_exposure_time(), "s, total of NEXP exposures"},
      {"NEXP", static_cast<long long>(b.n_exposures), "exposures summed"},
      {"GAIN", b.gain, "e-/ADU"},
      {"RDNOISE", b.read_noise, "e- rms per pixel per exposure"},
      {"SKYMAG", b.sky_brightness, "sky brightness, AB mag/arcsec^2"},
      {"PIXSCALE", b.pixel_scale, "arcsec per pixel"},
      {"PSFTYPE", std::string(psf_type_name(b.psf.type)), "PSF model"},
      {"PSFFWHM", b.psf.fwhm, "arcsec, FWHM of the PSF"},
  };
  if (b.psf.type == PsfType::MOFFAT) c.push_back({"PSFBETA", b.psf.beta, "Moffat index"});
  const SurveyRenderArgs& a = *s.args;
  c.push_back({"SUPERSMP", static_cast<long long>(a.supersampling), "sub-pixels per pixel side"});
  c.push_back({"PSFSSCNV", a.supersampling_convolution, "PSF applied on the supersampled grid"});
  c.push_back({"NOISE", a.noise, "Poisson and read noise added"});
  c.push_back({"ARTEFACT", s.artefacts.card(), "artefact kinds enabled"});
  c.push_back({"SEED", static_cast<long long>(a.seed), "noise from Rng(SEED, INDEX)"});
  c.push_back({"INDEX", static_cast<long long>(a.index), "image index within the seed's set"});
  c.push_back({"SCENE", s.scene_name, "scene file"});
  c.push_back({"LFVERSN", std::string(LENSFORGE_VERSION), "lensforge version"});
  return c;
}

/// The HDUs of one band: B, and B_NOISELESS, B_SIGMA, B_MASK when there is noise.
std::vector<FitsImageHdu> band_hdus(const Band& b, const BandObservation& o, const OutputSettings& s) {
  const OutputScale conv = output_scale(b, s.noise_options);
  const std::vector<FitsCard> common = band_cards(b, s);
  const FitsWcs wcs{0.0, 0.0, b.pixel_scale};
  std::vector<FitsImageHdu> hdus;
  auto image = [&](std::string name, ImageF data, const std::string& what) {
    FitsImageHdu h{std::move(name), std::move(data), common, wcs};
    h.cards.push_back({"BUNIT", s.unit.bunit, "pixel values"});
    h.cards.push_back({"MAGZP", conv.zero_point, "AB magnitude of a source of 1 BUNIT in total"});
    if (s.args->noise)
      h.cards.push_back({"SKYLEVEL", o.observed.background, "expected sky + dark per pixel (subtracted)"});
    h.cards.push_back({"COMPNT", what, "image component"});
    hdus.push_back(std::move(h));
  };
  const ImageF noiseless = o.noiseless * float(conv.scale);
  if (!s.args->noise) {
    image(b.name, noiseless, "noiseless image (lens light + lensed sources)");
    return hdus;
  }
  image(b.name, o.observed.image, "observed image, background subtracted");
  image(b.name + "_NOISELESS", noiseless, "noiseless image (lens light + lensed sources)");
  image(b.name + "_SIGMA", o.observed.sigma, "expected 1-sigma noise per pixel");
  FitsImageHdu m{b.name + "_MASK", ImageF(), common, wcs};
  m.data_u16 = o.observed.mask;
  m.cards.push_back({"COMPNT", std::string("artefact mask: OR of 2^n for each bit n named by MASKBn"), ""});
  for (std::size_t n = 0; n < kAllMaskBits.size(); ++n)
    m.cards.push_back({fmt::format("MASKB{}", n), std::string(mask_bit_name(kAllMaskBits[n])),
                       fmt::format("mask bit {} (value {})", n, bits(kAllMaskBits[n]))});
  hdus.push_back(std::move(m));
  return hdus;
}

// ---- preview ------------------------------------------------------------------------------------

/// `img` on grid `from`, interpolated bilinearly at the pixel centres of grid `to` (clamped at the
/// edges).
ImageF resample_bilinear(const ImageF& img, const PixelGrid& from, const PixelGrid& to) {
  auto axis = [](double coord, double centre, double scale, int n, int& k0, double& t) {
    const double f = std::clamp((coord - centre) / scale + 0.5 * (n - 1), 0.0, double(n - 1));
    k0 = std::min(int(f), std::max(n - 2, 0));
    t = n > 1 ? f - k0 : 0.0;
  };
  ImageF out(to.ny, to.nx);
  for (int i = 0; i < to.ny; ++i) {
    int i0;
    double ti;
    axis(to.y(i), from.center_y, from.pixel_scale, from.ny, i0, ti);
    const int i1 = std::min(i0 + 1, from.ny - 1);
    for (int j = 0; j < to.nx; ++j) {
      int j0;
      double tj;
      axis(to.x(j), from.center_x, from.pixel_scale, from.nx, j0, tj);
      const int j1 = std::min(j0 + 1, from.nx - 1);
      out(i, j) = float((1 - ti) * ((1 - tj) * img(i0, j0) + tj * img(i0, j1)) +
                        ti * ((1 - tj) * img(i1, j0) + tj * img(i1, j1)));
    }
  }
  return out;
}

/// RGB composite of the three reddest bands, else the first band in greyscale.
void write_preview(const std::string& path, const SurveyPreset& preset, const std::vector<Band>& bands,
                   const std::vector<FitsImageHdu>& band_images, const std::vector<double>& zero_points) {
  if (bands.size() < 3) {
    write_png_gray(path, asinh_stretch(band_images.front().data));
    return;
  }
  std::vector<std::size_t> order(bands.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return preset_position(preset, bands[a].name) < preset_position(preset, bands[b].name);
  });
  const std::array<std::size_t, 3> bgr = {order[order.size() - 3], order[order.size() - 2], order.back()};
  std::size_t finest = bgr[0];
  for (std::size_t k : bgr)
    if (bands[k].pixel_scale < bands[finest].pixel_scale) finest = k;
  const PixelGrid target = bands[finest].grid();
  // One stretch for the three planes (side by side), in AB flux per arcsec^2, so colours are
  // physical: equal planes are grey.
  ImageF stacked(target.ny, 3 * target.nx);
  for (int c = 0; c < 3; ++c) {
    const std::size_t k = bgr[std::size_t(c)];
    const double sb = std::pow(10.0, -0.4 * (zero_points[k] - kFluxZeroPoint)) / (bands[k].pixel_scale * bands[k].pixel_scale);
    const ImageF plane = resample_bilinear(band_images[k].data * float(sb), bands[k].grid(), target);
    stacked.block(0, c * target.nx, target.ny, target.nx) = plane;
  }
  const ImageF s = asinh_stretch(stacked);
  auto channel = [&](int c) { return ImageF(s.block(0, c * target.nx, target.ny, target.nx)); };
  write_png_rgb(path, channel(2), channel(1), channel(0));
}

// ---- summary ------------------------------------------------------------------------------------

std::string band_summary(const Band& b, const BandObservation& o, const OutputSettings& s) {
  const OutputScale conv = output_scale(b, s.noise_options);
  const double total = o.noiseless.cast<double>().sum() * conv.scale;
  std::string line = fmt::format("  {:<5} {}x{} px of {}\", PSF {} {}\"; noiseless total {:.5g} {}", b.name, b.nx,
                                 b.ny, b.pixel_scale, psf_type_name(b.psf.type), b.psf.fwhm, total, s.unit.bunit);
  if (total > 0) line += fmt::format(" (AB {:.2f})", conv.zero_point - 2.5 * std::log10(total));
  if (s.args->noise) {
    // Matched-filter S/N of the lensed sources against the expected noise.
    double snr2 = 0;
    const ImageF& sig = o.observed.sigma;
    for (Eigen::Index k = 0; k < sig.size(); ++k)
      if (sig.data()[k] > 0) {
        const double r = o.source.data()[k] * conv.scale / sig.data()[k];
        snr2 += r * r;
      }
    line += fmt::format("; lensed-source S/N {:.1f}", std::sqrt(snr2));
  }
  return line;
}

}  // namespace

int run_survey_render(const RenderCommandArgs& args, const SurveyRenderArgs& sa, std::ostream& out,
                      std::ostream& err) {
  auto report = [&](const std::string& msg, int status) {
    err << "lensforge-sim: error: " << one_line(msg) << std::endl;
    return status;
  };

  // 1. Everything that can be wrong with the input, before anything is written.
  SceneFile scene;
  Scene observed_scene;
  SurveyPreset preset;
  std::vector<Band> bands;
  std::optional<SceneObserver> observer;
  OutputSettings settings;
  std::string png_path;
  try {
    if (args.threads < 0) throw BadInput(fmt::format("--threads {} must be >= 1", args.threads));
    if (!has_extension(args.output_path, {".fits", ".fit", ".fts"}))
      throw BadInput(fmt::format("output '{}' must end in .fits, .fit or .fts", args.output_path));
    if (args.write_png) {
      png_path = args.png_path.value_or(default_png_path(args.output_path));
      if (!has_extension(png_path, {".png"})) throw BadInput(fmt::format("--png '{}' must end in .png", png_path));
    }
    settings.args = &sa;
    settings.unit = parse_unit(sa.unit);
    settings.noise_options.unit = settings.unit.unit;
    settings.noise_options.flux_zero_point = kFluxZeroPoint;
    settings.artefacts = parse_artefacts(sa.artefacts);
    if (!sa.noise && settings.artefacts.any())
      throw BadInput(fmt::format("--artefacts {} with --no-noise: artefacts are part of the detector model; drop "
                                 "--no-noise or use --artefacts none",
                                 sa.artefacts));
    if (sa.seed > kMaxSeed) throw BadInput(fmt::format("--seed {} must be in [0, {}]", sa.seed, kMaxSeed));
    if (sa.index > kMaxSeed) throw BadInput(fmt::format("--index {} must be in [0, {}]", sa.index, kMaxSeed));
    if (sa.supersampling < 1 || sa.supersampling > 32)
      throw BadInput(fmt::format("--supersampling {} must be in [1, 32]", sa.supersampling));

    scene = load_scene_yaml(args.scene_path);
    if (scene.cutout)
      throw BadInput(fmt::format("--survey {}: {} has a cutout (line {}): a hybrid scene is rendered on the cutout's "
                                 "own pixels and PSF; leave --survey out", sa.survey, args.scene_path, scene.cutout->line));
    settings.scene_name = fs::path(scene.path).filename().string();
    preset = resolve_survey(sa);
    settings.preset = preset.name;
    bands = select_bands(preset, sa.bands);
    for (Band& b : bands) settings.artefacts.apply(b);
    std::vector<std::string> names;
    for (const Band& b : bands) names.push_back(b.name);
    observed_scene = scene_for_survey(scene, preset.bands, names);

    check_output(args.output_path, args.scene_path, args.overwrite);
    if (args.write_png) check_output(png_path, args.scene_path, args.overwrite);
    ObservationOptions o;
    o.supersampling = sa.supersampling;
    o.supersampling_convolution = sa.supersampling_convolution;
    o.noise = sa.noise;
    o.artefacts = sa.noise;  // which kinds: the bands' settings, chosen above
    o.noise_options = settings.noise_options;
    observer.emplace(bands, o);
  } catch (const Error& e) {  // BadInput, ConfigError from the scene or survey, IoError reading them
    return report(e.what(), kExitBadInput);
  }

  // 2. Observe and write.
  bool fits_written = false;
  try {
    std::optional<tbb::global_control> threads;
    if (args.threads > 0) threads.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(args.threads));
    const auto t0 = std::chrono::steady_clock::now();
    Rng rng(sa.seed, sa.index);
    const std::vector<BandObservation> obs = observer->observe(observed_scene, rng);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::vector<FitsImageHdu> hdus, band_images;
    std::vector<double> zero_points;
    for (std::size_t k = 0; k < bands.size(); ++k) {
      auto h = band_hdus(bands[k], obs[k], settings);
      band_images.push_back(h.front());
      zero_points.push_back(output_scale(bands[k], settings.noise_options).zero_point);
      for (auto& x : h) hdus.push_back(std::move(x));
    }
    write_fits(args.output_path, hdus);
    fits_written = true;
    if (args.write_png) write_preview(png_path, preset, bands, band_images, zero_points);

    out << fmt::format("observed {} with {} ({}) in {:.3f} s: seed {}, index {}, {}, artefacts {}\n",
                       args.scene_path, preset.name, preset.survey, seconds, sa.seed, sa.index,
                       sa.noise ? "noise" : "no noise", settings.artefacts.card());
    for (std::size_t k = 0; k < bands.size(); ++k) out << band_summary(bands[k], obs[k], settings) << "\n";
    out << "note: the scene's grid, psf and flux_unit are not used: each band has its own pixels, PSF and unit\n";
    for (const auto* list : {&scene.lens_light_magnitudes, &scene.source_magnitudes})
      for (const LightMagnitudes& m : *list)
        if (m.entries.empty() && !scene.magnitude_zero_point)
          out << fmt::format("note: {} has no magnitudes and the scene no magnitude_zero_point: its amplitude is "
                             "taken in electrons/s in every band\n",
                             m.component);
    out << fmt::format("wrote {} [{}]{}\n", args.output_path, hdu_list(hdus),
                       args.write_png ? " and " + png_path : std::string());
    return kExitOk;
  } catch (const std::exception& e) {
    // A failed preview must not leave the FITS file looking like a complete result.
    if (fits_written) {
      std::error_code ec;
      fs::remove(args.output_path, ec);
    }
    return report(e.what(), dynamic_cast<const ConfigError*>(&e) ? kExitBadInput : kExitFailure);
  }
}

}  // namespace lensforge::app

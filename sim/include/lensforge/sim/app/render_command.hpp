#pragma once
// `lensforge-sim render`: scene file -> FITS file (one HDU per component) + PNG preview; a scene with
// `cutout:` (config/scene_yaml.hpp) -> the lensed sources painted on that real cutout; with a
// survey, the scene observed in the survey's bands (render/observation.hpp) -> FITS file (images,
// noiseless images, noise and artefact masks per band) + PNG preview.
// The command line itself is parsed in sim/apps/lensforge_sim.cpp; this is the logic behind it.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/config/scene_yaml.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/render/renderer.hpp"

namespace lensforge {

/// Observing the scene through a survey's bands (`render --survey`).
///
/// Output, for each band B in the order of `bands`: an image HDU named B (the noisy image; the
/// noiseless one when `noise` is false), then B_NOISELESS, B_SIGMA (expected 1-sigma noise) and
/// B_MASK (uint16 artefact bits, named by MASKBn cards) when `noise` is true; the first is the
/// primary HDU. Every HDU carries BAND, SURVEY, PRESET, BUNIT, MAGZP, EXPTIME, NEXP, GAIN,
/// RDNOISE, SKYMAG, PIXSCALE, PSFTYPE, PSFFWHM, SUPERSMP, PSFSSCNV, NOISE, ARTEFACT, SEED, INDEX,
/// SCENE, LFVERSN and a TAN WCS of the band's pixels (the mask: no BUNIT and MAGZP). Each band
/// uses its own pixel grid and PSF; the scene's grid, psf and flux_unit are not used.
/// Noise: band k of `bands` draws from Rng(seed, index).split(k) (SceneObserver), so an image is
/// reproduced by the same scene, survey, band list, seed and index.
/// Preview: an asinh RGB composite of the three reddest bands (the last three in the survey's
/// band order, which lists bands from blue to red) on the finest of their grids (coarser bands
/// interpolated bilinearly, all in AB flux per arcsec^2 under one stretch); with fewer than three
/// bands, the first band in greyscale.
struct SurveyRenderArgs {
  std::string survey;              ///< preset name (in <configs>/surveys) or path of a survey YAML file
  std::vector<std::string> bands;  ///< bands to observe, in this order; empty: the preset's, in its order
  std::uint64_t seed = 0;          ///< Rng seed, [0, 2^63 - 1]
  std::uint64_t index = 0;         ///< image index within the seed's set, [0, 2^63 - 1]
  bool noise = true;               ///< false: noiseless images only (no sigma, no mask, no artefacts)
  /// "none", "all" (every artefact kind, with the survey file's settings) or a comma-separated
  /// list of cosmic_rays, hot_pixels, dead_pixels, bad_columns, satellite_trails, neighbours; the
  /// kinds not chosen are off whatever the survey file says.
  std::string artefacts = "none";
  int supersampling = 3;           ///< s x s sub-pixels per band pixel, [1, 32]
  bool supersampling_convolution = false;  ///< PSF on the sub-pixels (else on the band's pixels)
  /// "e/s" (electrons/s, BUNIT electron/s), "adu" (ADU of the summed exposures) or "flux"
  /// (nanomaggies: 1 unit = AB 22.5, BUNIT nmgy); case ignored.
  std::string unit = "e/s";
  /// Folder holding surveys/*.yaml for a preset name; empty: ./configs, then `configs_env`.
  std::string configs_dir;
  std::string configs_env;         ///< the LENSFORGE_CONFIGS environment variable ("" if unset)
};

struct RenderCommandArgs {
  std::string scene_path;               ///< scene YAML file
  std::string output_path;              ///< FITS file to write (.fits, .fit or .fts)
  std::optional<std::string> png_path;  ///< PNG preview (.png); default: output_path with .png
  bool write_png = true;                ///< false: no preview
  int threads = 0;                      ///< worker threads, >= 1; 0: all cores
  bool overwrite = false;               ///< replace existing outputs
  std::optional<SurveyRenderArgs> survey;  ///< observe through a survey; none: a noiseless plain render
  /// Without a survey: the seed of a cutout scene's arc noise (Rng(seed, 0)), [0, 2^63 - 1]; given
  /// for a scene without `cutout:` it is an error (that render is noiseless). None: 0.
  std::optional<std::uint64_t> seed;
};

/// Runs the command: progress and a summary go to `out`, one line "lensforge-sim: error: ..." to
/// `err` on failure. Returns an ExitStatus; writes nothing unless the scene and arguments are
/// valid, and never leaves a partly written file.
int run_render_command(const RenderCommandArgs& args, std::ostream& out, std::ostream& err);

/// The HDUs of a rendered scene: TOTAL (primary), LENS_LIGHT, SOURCE, and SOURCE_1..SOURCE_k when
/// there are k > 1 sources, each with BUNIT, PIXSCALE, SUPERSMP, PSFFWHM (if a PSF is set),
/// SCENE (the scene's file name), LFVERSN and a TAN WCS with the pixel scale.
std::vector<FitsImageHdu> scene_fits_hdus(const SceneFile& scene, const RenderedImages& images);

/// The HDUs of a rendered cutout (hybrid) scene: TOTAL (primary: the cutout + the Poisson-noisy
/// arc), SOURCE (the noiseless lensed sources, PSF-convolved, e-/s) and CUTOUT (the real pixels),
/// each with BUNIT, PIXSCALE, SUPERSMP, PSFFWHM, MAGZP, EXPTIME, CUTNAME, CUTCAT (the catalog as
/// the scene gives it, or its file name if longer than 68 characters), CUTBAND, SEED, ZLENS,
/// SCENE, LFVERSN and a TAN WCS.
std::vector<FitsImageHdu> hybrid_fits_hdus(const SceneFile& scene, const ImageF& total, const ImageF& arc,
                                           std::uint64_t seed);

/// The default preview path of a FITS output: the same name with the extension .png.
std::string default_png_path(const std::string& fits_path);

}  // namespace lensforge

#pragma once
// `lensforge-sim render`: scene file -> FITS file (one HDU per component) + PNG preview.
// The command line itself is parsed in sim/apps/lensforge_sim.cpp; this is the logic behind it.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/config/scene_yaml.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/render/renderer.hpp"

namespace lensforge {

struct RenderCommandArgs {
  std::string scene_path;               ///< scene YAML file
  std::string output_path;              ///< FITS file to write (.fits, .fit or .fts)
  std::optional<std::string> png_path;  ///< PNG preview (.png); default: output_path with .png
  bool write_png = true;                ///< false: no preview
  int threads = 0;                      ///< worker threads, >= 1; 0: all cores
  bool overwrite = false;               ///< replace existing outputs
};

/// Runs the command: progress and a summary go to `out`, one line "lensforge-sim: error: ..." to
/// `err` on failure. Returns an ExitStatus; writes nothing unless the scene and arguments are
/// valid, and never leaves a partly written file.
int run_render_command(const RenderCommandArgs& args, std::ostream& out, std::ostream& err);

/// The HDUs of a rendered scene: TOTAL (primary), LENS_LIGHT, SOURCE, and SOURCE_1..SOURCE_k when
/// there are k > 1 sources, each with BUNIT, PIXSCALE, SUPERSMP, PSFFWHM (if a PSF is set),
/// SCENE (the scene's file name), LFVERSN and a TAN WCS with the pixel scale.
std::vector<FitsImageHdu> scene_fits_hdus(const SceneFile& scene, const RenderedImages& images);

/// The default preview path of a FITS output: the same name with the extension .png.
std::string default_png_path(const std::string& fits_path);

}  // namespace lensforge

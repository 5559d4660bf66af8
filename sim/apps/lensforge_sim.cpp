// lensforge-sim: the simulator's command line. Each subcommand parses its options here and runs
// its logic from sim/src/app/.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lensforge/sim/app/render_command.hpp"

namespace {

constexpr std::uint64_t kMaxSeed = std::uint64_t(std::numeric_limits<std::int64_t>::max());

/// Options of `render` read before they are turned into RenderCommandArgs.
struct RenderFlags {
  bool no_png = false;
  bool no_noise = false;
  std::string survey;
};

CLI::App* add_render(CLI::App& app, lensforge::RenderCommandArgs& a, lensforge::SurveyRenderArgs& s,
                     RenderFlags& f) {
  CLI::App* cmd = app.add_subcommand("render", "Render one lens system (scene file) to a FITS image and a PNG preview.");
  cmd->add_option("SCENE", a.scene_path,
                  "Scene file (YAML): lenstronomy profile names and kwargs, one list entry per profile. "
                  "Commented examples: configs/scenes/*.yaml")
      ->required();
  cmd->add_option("-o,--output", a.output_path,
                  "FITS file to write (.fits). Without --survey: TOTAL (primary), LENS_LIGHT, SOURCE and "
                  "SOURCE_1..k when a scene has several sources; flux per pixel. With --survey, per band B: B "
                  "(the noisy image), B_NOISELESS, B_SIGMA (expected 1-sigma noise) and B_MASK (uint16 artefact "
                  "bits, named in MASKBn cards); with --no-noise only B (noiseless)")
      ->required();
  CLI::Option* png = cmd->add_option("--png", a.png_path,
                                     "PNG preview (asinh stretch) path [default: OUTPUT with .png]; with --survey an "
                                     "RGB composite of the three reddest bands, or the first band in grey");
  CLI::Option* nopng = cmd->add_flag("--no-png", f.no_png, "Write no PNG preview");
  png->excludes(nopng);
  cmd->add_option("--threads", a.threads, "Worker threads [default: all cores]")->check(CLI::Range(1, 4096));
  cmd->add_flag("--overwrite", a.overwrite, "Replace existing output files (refused otherwise)");

  const std::string group = "Observing through a survey";
  CLI::Option* survey =
      cmd->add_option("--survey", f.survey,
                      "Observe the scene with a survey's bands, PSFs and detectors: a preset name from "
                      "<configs>/surveys/*.yaml (euclid, lsst_10yr, ...) or a survey YAML file. The scene's grid, "
                      "psf and flux_unit are then not used; light entries take their per-band `magnitudes`")
          ->group(group);
  std::vector<CLI::Option*> needs_survey = {
      cmd->add_option("--bands", s.bands, "Bands to observe, comma-separated, in this order [default: all of the "
                                          "preset]; band k draws its noise from Rng(seed, index).split(k)")
          ->delimiter(','),
      cmd->add_option("--seed", s.seed, "Noise seed [default: 0]")->check(CLI::Range(std::uint64_t(0), kMaxSeed)),
      cmd->add_option("--index", s.index, "Image index: the noise comes from Rng(seed, index), so one image of a "
                                          "generated set is reproduced [default: 0]")
          ->check(CLI::Range(std::uint64_t(0), kMaxSeed)),
      cmd->add_flag("--no-noise", f.no_noise, "Noiseless images only (no sigma, no mask, no artefacts)"),
      cmd->add_option("--artefacts", s.artefacts,
                      "none, all, or a comma-separated list of cosmic_rays, hot_pixels, dead_pixels, bad_columns, "
                      "satellite_trails, neighbours (settings from the survey file; kinds not chosen are off) "
                      "[default: none]"),
      cmd->add_option("--supersampling", s.supersampling, "Sub-pixels per band pixel side, 1 to 32 [default: 3]"),
      cmd->add_flag("--supersampling-convolution", s.supersampling_convolution,
                    "Convolve with the PSF on the sub-pixels, then bin [default: bin, then convolve]"),
      cmd->add_option("--unit", s.unit, "Pixel unit: e/s (electrons/s), adu (ADU of the summed exposures) or flux "
                                        "(nanomaggies, 1 unit = AB 22.5) [default: e/s]"),
      cmd->add_option("--configs", s.configs_dir,
                      "Folder holding surveys/*.yaml for --survey NAME [default: ./configs, then "
                      "$LENSFORGE_CONFIGS]"),
  };
  for (CLI::Option* o : needs_survey) o->group(group)->needs(survey);
  cmd->footer(
      "Examples:\n  lensforge-sim render configs/scenes/sie_shear.yaml -o out/sie_shear.fits\n"
      "  lensforge-sim render configs/scenes/sie_shear.yaml -o out/sie_euclid.fits --survey euclid --seed 1 --index 7\n"
      "Exit status: 0 done; 2 bad scene or arguments (one error line naming the file, line and key; nothing "
      "written); 1 unexpected failure.");
  return cmd;
}

bool is_command(const CLI::App& app, const std::string& name) {
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    if (cmd->check_name(name)) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lensforge-sim: strong-lens images with lenstronomy's conventions, noiseless or observed through a "
               "survey.",
               "lensforge-sim"};
  app.set_version_flag("--version", "lensforge-sim " LENSFORGE_VERSION);
  app.require_subcommand(1);
  lensforge::RenderCommandArgs render_args;
  lensforge::SurveyRenderArgs survey_args;
  RenderFlags flags;
  const CLI::App* render = add_render(app, render_args, survey_args, flags);

  if (argc > 1 && argv[1][0] != '-' && !is_command(app, argv[1])) {
    std::cerr << "lensforge-sim: error: unknown command '" << argv[1] << "'; available: render (see lensforge-sim --help)"
              << std::endl;
    return lensforge::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "lensforge-sim: error: " << e.what() << " (see lensforge-sim " << (render->parsed() ? "render " : "")
              << "--help)" << std::endl;
    return lensforge::kExitBadInput;
  }

  try {
    if (app.got_subcommand("render")) {
      render_args.write_png = !flags.no_png;
      if (render->count("--survey") > 0) {
        survey_args.survey = flags.survey;
        survey_args.noise = !flags.no_noise;
        if (const char* env = std::getenv("LENSFORGE_CONFIGS")) survey_args.configs_env = env;
        render_args.survey = survey_args;
      }
      return lensforge::run_render_command(render_args, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    std::cerr << "lensforge-sim: error: " << e.what() << std::endl;
  }
  return lensforge::kExitFailure;
}

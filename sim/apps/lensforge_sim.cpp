// lensforge-sim: the simulator's command line. Each subcommand parses its options here and runs
// its logic from sim/src/app/.
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "lensforge/sim/app/render_command.hpp"

namespace {

CLI::App* add_render(CLI::App& app, lensforge::RenderCommandArgs& a, bool& no_png) {
  CLI::App* cmd = app.add_subcommand("render", "Render one lens system (scene file) to a FITS image and a PNG preview.");
  cmd->add_option("SCENE", a.scene_path,
                  "Scene file (YAML): lenstronomy profile names and kwargs, one list entry per profile. "
                  "Commented examples: configs/scenes/*.yaml")
      ->required();
  cmd->add_option("-o,--output", a.output_path,
                  "FITS file to write (.fits): TOTAL (primary), LENS_LIGHT, SOURCE and SOURCE_1..k when a "
                  "scene has several sources; flux per pixel")
      ->required();
  CLI::Option* png = cmd->add_option("--png", a.png_path, "PNG preview (asinh stretch) path [default: OUTPUT with .png]");
  CLI::Option* nopng = cmd->add_flag("--no-png", no_png, "Write no PNG preview");
  png->excludes(nopng);
  cmd->add_option("--threads", a.threads, "Worker threads [default: all cores]")->check(CLI::Range(1, 4096));
  cmd->add_flag("--overwrite", a.overwrite, "Replace existing output files (refused otherwise)");
  cmd->footer(
      "Example:\n  lensforge-sim render configs/scenes/sie_shear.yaml -o out/sie_shear.fits\n"
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
  CLI::App app{"lensforge-sim: noiseless strong-lens images with lenstronomy's conventions.", "lensforge-sim"};
  app.set_version_flag("--version", "lensforge-sim " LENSFORGE_VERSION);
  app.require_subcommand(1);
  lensforge::RenderCommandArgs render_args;
  bool no_png = false;
  const CLI::App* render = add_render(app, render_args, no_png);

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
      render_args.write_png = !no_png;
      return lensforge::run_render_command(render_args, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    std::cerr << "lensforge-sim: error: " << e.what() << std::endl;
  }
  return lensforge::kExitFailure;
}

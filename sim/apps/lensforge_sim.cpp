// lensforge-sim: the simulator's command line. Each subcommand parses its options here and runs
// its logic from sim/src/app/.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <memory>
#include <thread>
#include <algorithm>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lensforge/sim/app/export_fits_command.hpp"
#include "lensforge/sim/app/generate_command.hpp"
#include "lensforge/sim/app/gallery_command.hpp"
#include "lensforge/sim/app/inspect_command.hpp"
#include "lensforge/sim/app/render_command.hpp"
#include "lensforge/sim/app/stamps_command.hpp"
#include "mpi_ranks.hpp"

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
                  "SOURCE_1..k when a scene has several sources; flux per pixel. A scene with cutout: TOTAL (cutout + noisy "
                  "arc), SOURCE (noiseless arc), CUTOUT (the real pixels). With --survey, per band B: B "
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
  cmd->add_option("--seed", s.seed,
                  "Noise seed: with --survey the bands' noise; for a scene with cutout: (a hybrid image) the "
                  "Poisson noise of the painted arc, Rng(seed, 0) [default: 0]")
      ->check(CLI::Range(std::uint64_t(0), kMaxSeed));
  cmd->footer(
      "Examples:\n  lensforge-sim render configs/scenes/sie_shear.yaml -o out/sie_shear.fits\n"
      "  lensforge-sim render configs/scenes/sie_shear.yaml -o out/sie_euclid.fits --survey euclid --seed 1 --index 7\n"
      "  lensforge-sim render configs/scenes/hybrid_ngc2274.yaml -o out/hybrid.fits --seed 3   (arc on a real cutout)\n"
      "Exit status: 0 done; 2 bad scene or arguments (one error line naming the file, line and key; nothing "
      "written); 1 unexpected failure.");
  return cmd;
}

CLI::App* add_generate(CLI::App& app, lensforge::GenerateCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("generate", "Generate a training/validation/test set (HDF5) from a population config.");
  cmd->add_option("CONFIG", a.config_path,
                  "Population config (YAML): survey and bands, observation, class mix, parameter distributions, "
                  "lens criterion, stored planes. Commented examples: configs/populations/*.yaml")
      ->required();
  cmd->add_option("-n,--num-images", a.num_images, "Images of the whole run (all shards together)")
      ->required()
      ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 40));
  cmd->add_option("-o,--output", a.output_path,
                  "Data set to write (.h5); written as OUTPUT.partial and renamed when complete")
      ->required();
  cmd->add_option("--seed", a.seed, "Run seed: image i depends only on (config, seed, i)")->capture_default_str();
  cmd->add_option("--threads", a.threads,
                  "Worker threads [default: all cores; under mpirun the cores divided by the ranks on the machine]")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--shard", a.shard,
                  "k/K: write only images [k N/K, (k+1) N/K) of the run (0-based k), e.g. one Slurm array task "
                  "each; join the shard files with 'lensforge-sim merge'. Under mpirun rank k writes shard k/K by "
                  "itself")
      ->capture_default_str();
  cmd->add_flag("--resume", a.resume,
                "Continue OUTPUT.partial of an interrupted run (same config, seed, -n, shard); a complete OUTPUT "
                "of this run is kept; with neither, start the run (so one command serves first runs and reruns)");
  cmd->add_flag("--overwrite", a.overwrite, "Replace an existing OUTPUT (refused otherwise)");
  cmd->add_option("--gzip", a.gzip, "Deflate level of the image planes, 0 (none) to 9")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  cmd->add_flag("--shuffle", a.shuffle, "Byte-shuffle filter before deflate (with --gzip)");
  cmd->add_option("--configs", a.configs_dir,
                  "Folder holding surveys/*.yaml [default: $LENSFORGE_CONFIGS, else the folder above CONFIG's]");
  cmd->add_option("--set", a.overrides,
                  "KEY=VALUE: change one setting of CONFIG, e.g. --set classes.compound_arc.fraction=0 --set "
                  "classes.lens.fraction=0.45 (value parsed as YAML; repeatable; stored in the file's config)");
  cmd->footer(
      "Output: /images/<band> float32 [N, H, W] per band, optional /noiseless, /source, /sigma, /masks, /kappa,\n"
      "/labels/<name> one column each (class, subtype, theta_E, ..., index), attributes with units, the config\n"
      "text and the seed (see README: HDF5 schema). Progress goes to stderr: a bar on a terminal, log lines\n"
      "otherwise.\n"
      "Under mpirun -n K (a build with OpenMPI), rank k writes OUTPUT's stem + '-0000k-of-0000K.h5' beside it and\n"
      "rank 0 then writes OUTPUT as an HDF5 virtual data set over the K shards; if a rank fails, the master is not\n"
      "written and rerunning with --resume completes the missing shards.\n"
      "Examples:\n"
      "  lensforge-sim generate configs/populations/euclid.yaml -n 10000 -o out/train.h5 --seed 1\n"
      "  lensforge-sim generate configs/populations/euclid.yaml -n 10000 -o out/part0.h5 --seed 1 --shard 0/4\n"
      "  mpirun -n 4 lensforge-sim generate configs/populations/euclid.yaml -n 10000 -o out/train.h5 --seed 1\n"
      "Exit status: 0 done; 2 bad config or arguments (one error line; nothing written); 1 failure while writing\n"
      "(the images so far stay in OUTPUT.partial: rerun with --resume).");
  return cmd;
}

CLI::App* add_merge(CLI::App& app, lensforge::MergeCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("merge", "Join the shard files of one 'generate' run into one data set.");
  cmd->add_option("SHARDS", a.shards, "Complete shard files of one run (any order)")->required();
  cmd->add_option("-o,--output", a.output_path, "Data set to write (.h5)")->required();
  cmd->add_flag("--overwrite", a.overwrite, "Replace an existing OUTPUT (refused otherwise)");
  cmd->add_flag("--copy", a.copy,
                "Copy the images into OUTPUT [default: OUTPUT is an HDF5 virtual data set that maps the shards' "
                "images without copying them; the shards must then stay beside it]");
  cmd->add_option("--gzip", a.gzip, "With --copy: deflate level of the image planes, 0 (none) to 9")
      ->check(CLI::Range(0, 9));
  cmd->add_flag("--shuffle", a.shuffle, "With --copy: byte-shuffle filter before deflate (with --gzip)");
  cmd->footer(
      "The shards must come from the same config and seed and together hold images 0..N-1 without gaps; the\n"
      "result reads the same as the unsharded run (lensforge, h5py and h5dump read virtual data sets).\n"
      "Examples:\n  lensforge-sim merge out/part*.h5 -o out/train.h5\n"
      "  lensforge-sim merge out/part*.h5 -o out/train_copy.h5 --copy --gzip 1 --shuffle\n"
      "Exit status: 0 done; 2 bad or mismatched shards (nothing written); 1 unexpected failure.");
  return cmd;
}

CLI::App* add_inspect(CLI::App& app, lensforge::InspectCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("inspect", "Summarise a data set (HDF5): versions, bands, planes, images, labels.");
  cmd->add_option("FILE", a.path, "Data set (.h5; an interrupted run's .h5.partial also works)")->required();
  cmd->footer(
      "Prints one 'key: value' line each: schema and software version, creation time, seed, images written and\n"
      "whether the file is complete, compression, bands (shape rows x columns, unit, zero point, pixel scale,\n"
      "exposure time, PSF FWHM), planes, labels (min/mean/max of numeric ones), counts by class and subtype.\n"
      "Reads no images.\n"
      "Example:\n  lensforge-sim inspect out/train.h5\n"
      "Exit status: 0 done; 2 missing, damaged or non-lensforge file; 1 unexpected failure.");
  return cmd;
}

CLI::App* add_gallery(CLI::App& app, lensforge::GalleryCommandArgs& a, std::string& bands) {
  CLI::App* cmd = app.add_subcommand("gallery", "Write a PNG grid of a data set's images.");
  cmd->add_option("FILE", a.path, "Data set (.h5)")->required();
  cmd->add_option("-o,--output", a.output_path, "PNG to write (.png)")->required();
  cmd->add_option("--n", a.n, "Number of images (tiles), at most 1024")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--bands", bands,
                  "One band (grey) or three R,G,B, e.g. i,r,g [default: the first band if the file has fewer than "
                  "three, else the last three in reverse order]");
  cmd->add_option("--first", a.first, "Index of the first image")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_flag("--overwrite", a.overwrite, "Replace an existing PNG (refused otherwise)");
  cmd->footer(
      "Tiles run left to right, top to bottom, y up; each band asinh-stretched per tile. No text: with an int64\n"
      "label 'class' each tile has a frame, green for a lens (class >= 1), red for a non-lens (class 0); grey without.\n"
      "Example:\n  lensforge-sim gallery out/train.h5 -o out/grid.png --n 25 --bands i,r,g\n"
      "Exit status: 0 done; 2 bad arguments or input file (nothing written); 1 unexpected failure.");
  return cmd;
}

CLI::App* add_export_fits(CLI::App& app, lensforge::ExportFitsCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("export-fits", "Write chosen images of a data set as multi-extension FITS files.");
  cmd->add_option("FILE", a.path, "Data set (.h5)")->required();
  cmd->add_option("--indices", a.indices, "Image indices and inclusive ranges, e.g. 3,7,10-12")->required();
  cmd->add_option("-o,--output", a.output_dir, "Folder for the FITS files (created if missing)")->required();
  cmd->add_flag("--overwrite", a.overwrite, "Replace existing FITS files (refused otherwise)");
  cmd->footer(
      "One file per index, DIR/<stem>_<index>.fits: one image HDU per band (EXTNAME = band) with BUNIT, MAGZP,\n"
      "PIXSCALE, EXPTIME, PSFFWHM, a TAN WCS, and the image's labels as header cards.\n"
      "Example:\n  lensforge-sim export-fits out/train.h5 --indices 3,7,10-12 -o out/fits\n"
      "Exit status: 0 done; 2 bad arguments, input file or existing outputs (nothing written); 1 unexpected failure\n"
      "(files of this run removed).");
  return cmd;
}

CLI::App* add_stamps(CLI::App& app, lensforge::StampsPackCommandArgs& a) {
  CLI::App* cmd = app.add_subcommand("stamps", "Tools for real-galaxy stamp libraries (CSV catalogs of stamps).");
  cmd->require_subcommand(1);
  CLI::App* pack = cmd->add_subcommand("pack", "Copy every stamp of a catalog into one HDF5 file and write the "
                                               "matching catalog.");
  pack->add_option("CATALOG", a.catalog_path,
                   "Stamp catalog (CSV: name,file,hdu,pixel_scale,zero_point,redshift,psf_fwhm; FITS or HDF5 "
                   "stamps), e.g. catalogs/real_galaxies.csv")
      ->required();
  pack->add_option("-o,--output", a.output_path,
                   "HDF5 file to write (.h5/.hdf5): dataset /stamps/NAME per stamp (raw pixels, float32 when "
                   "stored so, else float64; attribute pixel_scale when the file states one)")
      ->required();
  pack->add_option("--catalog-out", a.catalog_out,
                   "New catalog (CSV): the input's rows with file = OUTPUT and hdu = the dataset path [default: "
                   "OUTPUT with .csv]");
  pack->add_flag("--overwrite", a.overwrite, "Replace existing outputs (refused otherwise)");
  pack->footer(
      "Every row is validated first (as REAL_GALAXY sources load it); rows naming the same file and HDU share one\n"
      "dataset. The new catalog gives bit-identical stamps.\n"
      "Example:\n  lensforge-sim stamps pack catalogs/real_galaxies.csv -o out/real_galaxies.h5\n"
      "Exit status: 0 done; 2 bad catalog or refused output (nothing written); 1 unexpected failure.");
  return cmd;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = s.find(',', pos);
    out.push_back(s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

bool is_command(const CLI::App& app, const std::string& name) {
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    if (cmd->check_name(name)) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<lensforge::MpiRanks> mpi;
  try {
    mpi = std::make_unique<lensforge::MpiRanks>(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lensforge-sim: error: " << e.what() << std::endl;
    return lensforge::kExitBadInput;
  }
  CLI::App app{"lensforge-sim: strong-lens images with lenstronomy's conventions, noiseless or observed through a "
               "survey.",
               "lensforge-sim"};
  app.set_version_flag("--version", "lensforge-sim " LENSFORGE_VERSION);
  app.require_subcommand(1);
  lensforge::RenderCommandArgs render_args;
  lensforge::SurveyRenderArgs survey_args;
  RenderFlags flags;
  const CLI::App* render = add_render(app, render_args, survey_args, flags);
  lensforge::GenerateCommandArgs generate_args;
  const CLI::App* generate = add_generate(app, generate_args);
  lensforge::MergeCommandArgs merge_args;
  const CLI::App* merge = add_merge(app, merge_args);
  lensforge::InspectCommandArgs inspect_args;
  const CLI::App* inspect = add_inspect(app, inspect_args);
  lensforge::GalleryCommandArgs gallery_args;
  std::string gallery_bands;
  const CLI::App* gallery = add_gallery(app, gallery_args, gallery_bands);
  lensforge::ExportFitsCommandArgs export_args;
  const CLI::App* export_fits = add_export_fits(app, export_args);
  lensforge::StampsPackCommandArgs stamps_args;
  const CLI::App* stamps = add_stamps(app, stamps_args);

  if (argc > 1 && argv[1][0] != '-' && !is_command(app, argv[1])) {
    std::cerr << "lensforge-sim: error: unknown command '" << argv[1] << "'; available: render, generate, merge, inspect, gallery, export-fits, stamps (see lensforge-sim --help)"
              << std::endl;
    return lensforge::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string help = "lensforge-sim ";
    for (const CLI::App* cmd : {render, generate, merge, inspect, gallery, export_fits, stamps})
      if (cmd->parsed()) help += cmd->get_name() + " ";
    std::cerr << "lensforge-sim: error: " << e.what() << " (see " << help << "--help)" << std::endl;
    return lensforge::kExitBadInput;
  }

  if (mpi->size() > 1 && !app.got_subcommand("generate")) {
    if (mpi->rank() == 0)
      std::cerr << "lensforge-sim: error: only 'generate' runs under an MPI launcher (mpirun -n K); run the other "
                   "commands as one process"
                << std::endl;
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
      } else if (render->count("--seed") > 0) {
        render_args.seed = survey_args.seed;
      }
      return lensforge::run_render_command(render_args, std::cout, std::cerr);
    }
    if (app.got_subcommand("generate")) {
      if (mpi->size() > 1) {
        generate_args.rank = mpi->rank();
        generate_args.ranks = mpi->size();
        generate_args.all_succeeded = mpi->all_succeeded();
        if (generate_args.threads == 0)
          generate_args.threads =
              std::max(1, int(std::thread::hardware_concurrency()) / lensforge::launcher_local_size());
      }
      return lensforge::run_generate_command(generate_args, std::cout, std::cerr);
    }
    if (app.got_subcommand("merge")) return lensforge::run_merge_command(merge_args, std::cout, std::cerr);
    if (app.got_subcommand("inspect")) return lensforge::run_inspect_command(inspect_args, std::cout, std::cerr);
    if (app.got_subcommand("gallery")) {
      if (!gallery_bands.empty()) gallery_args.bands = split_commas(gallery_bands);
      return lensforge::run_gallery_command(gallery_args, std::cout, std::cerr);
    }
    if (app.got_subcommand("export-fits"))
      return lensforge::run_export_fits_command(export_args, std::cout, std::cerr);
    if (app.got_subcommand("stamps")) return lensforge::run_stamps_pack_command(stamps_args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "lensforge-sim: error: " << e.what() << std::endl;
  }
  return lensforge::kExitFailure;
}

#include "lensforge/sim/app/generate_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <ostream>

#include <fmt/format.h>

#include "lensforge/sim/app/progress.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"

namespace lensforge {

namespace fs = std::filesystem;

std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  std::uint64_t k = 0, n = 0;
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    try {
      std::size_t used_k = 0, used_n = 0;
      k = std::stoull(text.substr(0, slash), &used_k);
      n = std::stoull(text.substr(slash + 1), &used_n);
      ok = used_k == slash && used_n == text.size() - slash - 1 && text[0] != '-' && text[slash + 1] != '-';
    } catch (const std::exception&) {
      ok = false;
    }
  }
  if (!ok || n == 0 || k >= n)
    throw ConfigError(fmt::format("--shard '{}' must be k/K with 0 <= k < K, e.g. 0/4 for the first of 4 shards", text));
  return {k, n};
}

std::string resolve_configs_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("LENSFORGE_CONFIGS"); env && *env) return env;
  return {};
}

namespace {

void check_h5_output(const std::string& path, bool must_not_exist) {
  const fs::path p(path);
  const std::string ext = p.extension().string();
  if (ext != ".h5" && ext != ".hdf5")
    throw ConfigError(fmt::format("output '{}' must end in .h5 or .hdf5", path));
  std::error_code ec;
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(folder, ec)) throw ConfigError(fmt::format("output folder '{}' does not exist", folder.string()));
  if (must_not_exist && fs::exists(p, ec))
    throw ConfigError(fmt::format("output '{}' exists; use --overwrite to replace it", path));
}

std::string class_summary(const std::string& path) {
  const DatasetReader r(path);
  if (!r.schema().label_index("subtype")) return {};
  const auto subtypes = std::get<std::vector<std::string>>(r.read_label("subtype"));
  std::map<std::string, std::size_t> counts;
  for (const auto& s : subtypes) ++counts[s];
  std::string out;
  for (const auto& [name, n] : counts) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, name);
  return out;
}

}  // namespace

std::string shard_file_path(const std::string& output, int k, int num_ranks) {
  const fs::path p(output);
  return (p.parent_path() / fmt::format("{}-{:05d}-of-{:05d}{}", p.stem().string(), k, num_ranks, p.extension().string()))
      .string();
}

namespace {

/// With --resume, a shard whose file is already complete (a rerun after another rank failed, or a
/// job-array task run twice) is kept if it is this run's shard; throws IoError otherwise.
bool complete_shard_exists(const std::string& path, const GeneratorConfig& config, const GenerateOptions& opt) {
  std::error_code ec;
  if (!fs::exists(path, ec) || fs::exists(path + ".partial", ec)) return false;
  const DatasetReader r(path);
  const auto [first, last] = shard_range(opt.num_images, opt.shard, opt.num_shards);
  std::int64_t stored_first = -1;
  if (r.schema().label_index("index") && r.num_images() > 0)
    stored_first = std::get<std::vector<std::int64_t>>(r.read_label("index")).front();
  if (r.run().seed != opt.seed || r.run().config_text != config.yaml_text ||
      r.num_images() != std::int64_t(last - first) || stored_first != std::int64_t(first))
    throw IoError(fmt::format("cannot resume '{}': the file exists and holds another run's images (seed, config or "
                              "image range differ); remove it or choose another output",
                              path));
  return true;
}

}  // namespace

int run_generate_command(const GenerateCommandArgs& a, std::ostream& out, std::ostream& err) {
  const bool group = a.ranks > 1;
  const std::string rank_prefix = group ? fmt::format("rank {}/{}: ", a.rank, a.ranks) : "";
  GeneratorConfig config;
  GenerateOptions opt;
  bool valid = true;
  try {
    auto [k, n] = parse_shard(a.shard);
    opt.output = a.output_path;
    if (group) {
      if (k != 0 || n != 1)
        throw ConfigError(fmt::format("--shard {} cannot be used under mpirun: rank k of K writes shard k/K", a.shard));
      k = std::uint64_t(a.rank);
      n = std::uint64_t(a.ranks);
      opt.output = shard_file_path(a.output_path, a.rank, a.ranks);
      check_h5_output(a.output_path, !a.overwrite && !a.resume);  // the master, written at the end
    }
    opt.num_images = a.num_images;
    opt.seed = a.seed;
    opt.threads = a.threads;
    opt.shard = k;
    opt.num_shards = n;
    opt.resume = a.resume;
    opt.writer.gzip_level = a.gzip;
    opt.writer.shuffle = a.shuffle;
    opt.writer.overwrite = a.overwrite;
    if (auto e = opt.validate(); !e.empty()) throw ConfigError(e);
    check_h5_output(opt.output, !a.overwrite && !a.resume);
    config = load_generator_config(a.config_path, resolve_configs_dir(a.configs_dir), a.overrides);
  } catch (const Error& e) {
    // Every rank sees the same arguments and config, so rank 0 speaks for all.
    if (a.rank == 0) err << "lensforge-sim: error: " << e.what() << std::endl;
    valid = false;
  }
  if (group) valid = a.all_succeeded(valid);
  if (!valid) return 2;

  int status = 0;
  const auto [first, last] = shard_range(opt.num_images, opt.shard, opt.num_shards);
  try {
    std::error_code ec;
    // --resume with nothing to resume starts the run: job-array tasks and mpirun jobs can be
    // submitted and resubmitted with the same command.
    if (opt.resume && !fs::exists(opt.output, ec) && !fs::exists(opt.output + ".partial", ec)) opt.resume = false;
    if (opt.resume && complete_shard_exists(opt.output, config, opt)) {
      out << fmt::format("{}{} is complete: images {}..{} of {}\n", rank_prefix, opt.output, first, last - 1,
                         opt.num_images);
    } else {
      Progress bar(err, rank_prefix + "generating", last - first, 0, is_terminal(fileno(stderr)) && &err == &std::cerr);
      const GenerateStats s =
          generate_dataset(config, opt, [&](std::uint64_t done, std::uint64_t) { bar.update(done); });
      bar.finish();
      const double rate = double(s.last - s.first - s.resumed_from) / s.seconds;
      out << fmt::format("{}wrote {}: images {}..{} of {} ({}), seed {}, {:.1f} images/s, writing {:.1f}% of the time\n",
                         rank_prefix, opt.output, s.first, s.last - 1, opt.num_images, class_summary(opt.output),
                         opt.seed, rate, 100.0 * s.write_seconds / s.seconds);
    }
  } catch (const ConfigError& e) {
    err << "\nlensforge-sim: error: " << rank_prefix << e.what() << std::endl;
    status = 2;
  } catch (const std::exception& e) {
    err << "\nlensforge-sim: error: " << rank_prefix << e.what() << "\n(the images written so far are kept in "
        << opt.output << ".partial: rerun the same command with --resume to continue)" << std::endl;
    status = 1;
  }
  if (!group) return status;

  const bool all_done = a.all_succeeded(status == 0);
  if (a.rank != 0) return status;
  if (!all_done) {
    err << fmt::format("lensforge-sim: error: not every rank completed its shard, so {} was not written; the "
                       "complete shards are kept: rerun the same command with --resume to finish the others\n",
                       a.output_path);
    return status != 0 ? status : 1;
  }
  try {
    std::vector<std::string> shards;
    for (int k = 0; k < a.ranks; ++k) shards.push_back(shard_file_path(a.output_path, k, a.ranks));
    write_virtual_master(shards, a.output_path, true);
    out << fmt::format("wrote {}: virtual data set over {} shards ({}), {} images ({})\n", a.output_path, a.ranks,
                       fs::path(shards.front()).filename().string() + " ...", opt.num_images,
                       class_summary(a.output_path));
    return 0;
  } catch (const std::exception& e) {
    err << "lensforge-sim: error: " << e.what() << " (the shards are complete: 'lensforge-sim merge' joins them)"
        << std::endl;
    return 1;
  }
}

int run_merge_command(const MergeCommandArgs& a, std::ostream& out, std::ostream& err) {
  try {
    check_h5_output(a.output_path, !a.overwrite);
    if (a.copy) {
      WriterOptions w;
      w.gzip_level = a.gzip;
      w.shuffle = a.shuffle;
      w.overwrite = a.overwrite;
      merge_datasets(a.shards, a.output_path, w);
      out << fmt::format("wrote {}: the images of {} shards copied into one file\n", a.output_path, a.shards.size());
    } else {
      if (a.gzip > 0 || a.shuffle)
        throw ConfigError("--gzip and --shuffle need --copy (a virtual data set stores no images of its own)");
      write_virtual_master(a.shards, a.output_path, a.overwrite);
      out << fmt::format("wrote {}: virtual data set over {} shards (keep them beside it)\n", a.output_path,
                         a.shards.size());
    }
    return 0;
  } catch (const Error& e) {
    err << "lensforge-sim: error: " << e.what() << std::endl;
    return 2;
  }
}

}  // namespace lensforge

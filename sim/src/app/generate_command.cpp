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

int run_generate_command(const GenerateCommandArgs& a, std::ostream& out, std::ostream& err) {
  GeneratorConfig config;
  GenerateOptions opt;
  try {
    const auto [k, n] = parse_shard(a.shard);
    opt.output = a.output_path;
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
    check_h5_output(a.output_path, !a.overwrite);
    config = load_generator_config(a.config_path, resolve_configs_dir(a.configs_dir), a.overrides);
  } catch (const Error& e) {
    err << "lensforge-sim: error: " << e.what() << std::endl;
    return 2;
  }
  const auto [first, last] = shard_range(opt.num_images, opt.shard, opt.num_shards);
  Progress bar(err, "generating", last - first, 0, is_terminal(fileno(stderr)) && &err == &std::cerr);
  try {
    const GenerateStats s =
        generate_dataset(config, opt, [&](std::uint64_t done, std::uint64_t) { bar.update(done); });
    bar.finish();
    const double rate = double(s.last - s.first - s.resumed_from) / s.seconds;
    out << fmt::format("wrote {}: images {}..{} of {} ({}), seed {}, {:.1f} images/s, writing {:.1f}% of the time\n",
                       a.output_path, s.first, s.last - 1, opt.num_images, class_summary(a.output_path), opt.seed, rate,
                       100.0 * s.write_seconds / s.seconds);
    return 0;
  } catch (const ConfigError& e) {
    err << "\nlensforge-sim: error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    err << "\nlensforge-sim: error: " << e.what() << "\n(the images written so far are kept in " << a.output_path
        << ".partial: rerun the same command with --resume to continue)" << std::endl;
    return 1;
  }
}

int run_merge_command(const MergeCommandArgs& a, std::ostream& out, std::ostream& err) {
  try {
    check_h5_output(a.output_path, !a.overwrite);
    WriterOptions w;
    w.gzip_level = a.gzip;
    w.shuffle = a.shuffle;
    w.overwrite = a.overwrite;
    merge_datasets(a.shards, a.output_path, w);
    out << fmt::format("wrote {} from {} shards\n", a.output_path, a.shards.size());
    return 0;
  } catch (const Error& e) {
    err << "lensforge-sim: error: " << e.what() << std::endl;
    return 2;
  }
}

}  // namespace lensforge

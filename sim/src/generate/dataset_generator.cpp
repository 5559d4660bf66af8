#include "lensforge/sim/generate/dataset_generator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "lensforge/sim/core/allocator.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/detector/noise_model.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/population/sampler.hpp"

namespace lensforge {

std::string GenerateOptions::validate() const {
  if (output.empty()) return "output: a file name is needed";
  if (num_images < 1) return fmt::format("num_images = {} must be >= 1", num_images);
  if (threads < 0 || threads > 4096) return fmt::format("threads = {} must be in [1, 4096] (0: all cores)", threads);
  if (num_shards < 1 || num_shards > num_images)
    return fmt::format("shard count = {} must be in [1, {}] (the number of images)", num_shards, num_images);
  if (shard >= num_shards) return fmt::format("shard = {} must be in [0, {}]", shard, num_shards - 1);
  if (auto e = writer.validate(); !e.empty()) return e;
  return {};
}

std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t n, std::uint64_t k, std::uint64_t num_shards) {
  // 128-bit products: exact for any n.
  const auto at = [&](std::uint64_t j) { return std::uint64_t((__uint128_t(n) * j) / num_shards); };
  return {at(k), at(k + 1)};
}

namespace {

bool has_noise(const GeneratorConfig& c) { return c.observation.noise; }

// Planes of one band in the schema's unit: the observer's noiseless planes are e-/s and are
// scaled like the noisy image.
BandPlanes band_planes(const DatasetSchema& schema, BandObservation&& b, bool noise) {
  BandPlanes p;
  const float scale = noise ? float(b.observed.scale) : 1.0f;
  if (schema.planes.noiseless) p.noiseless = b.noiseless * scale;
  if (schema.planes.source) p.source = b.source * scale;
  if (noise) {
    p.image = std::move(b.observed.image);
    if (schema.planes.sigma) p.sigma = std::move(b.observed.sigma);
    if (schema.planes.mask) p.mask = std::move(b.observed.mask);
  } else {
    p.image = std::move(b.noiseless);
  }
  return p;
}

int thread_count(int requested) {
  return requested > 0 ? requested : std::max(1, int(std::thread::hardware_concurrency()));
}

}  // namespace

Sample dataset_sample(const GeneratorConfig& config, const DatasetSchema& schema, SampleResult&& r) {
  const bool noise = has_noise(config);
  Sample s;
  s.bands.reserve(r.bands.size());
  for (BandObservation& b : r.bands) s.bands.push_back(band_planes(schema, std::move(b), noise));
  if (schema.kappa) s.kappa = std::move(r.kappa);
  s.labels = std::move(r.labels);
  return s;
}

DatasetSchema dataset_schema(const GeneratorConfig& config) {
  DatasetSchema schema;
  const bool noise = has_noise(config);
  for (const Band& b : config.bands) {
    if (noise) {
      const OutputScale out = output_scale(b, config.observation.noise_options);
      schema.bands.push_back(band_schema(b, std::string(output_unit_name(config.observation.noise_options.unit)),
                                         out.zero_point));
    } else {
      schema.bands.push_back(band_schema(b, std::string(output_unit_name(OutputUnit::ELECTRONS_PER_S)), b.zero_point));
    }
  }
  schema.planes.noiseless = config.store.noiseless;
  schema.planes.source = config.store.source;
  schema.planes.sigma = config.store.sigma && noise;
  schema.planes.mask = config.store.mask && noise;
  if (config.store.kappa) {
    const Band& first = config.bands.front();
    schema.kappa = KappaGrid{first.nx, first.ny, first.pixel_scale};
  }
  schema.labels = label_columns(config);
  return schema;
}

GenerateStats generate_dataset(const GeneratorConfig& config, const GenerateOptions& options,
                               const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (auto e = options.validate(); !e.empty()) throw ConfigError("generate: " + e);
  retain_freed_image_memory();  // per-sample images without page faults (core/allocator.hpp)
  const auto t0 = std::chrono::steady_clock::now();
  const auto [first, last] = shard_range(options.num_images, options.shard, options.num_shards);
  const DatasetSchema schema = dataset_schema(config);
  const DatasetRun run{options.seed, std::int64_t(last - first), config.yaml_text,
                       options.num_shards > 1 ? std::int64_t(options.num_images) : 0};
  DatasetWriter writer = options.resume ? DatasetWriter::resume(options.output, schema, run, options.writer)
                                        : DatasetWriter::create(options.output, schema, run, options.writer);
  GenerateStats stats;
  stats.first = first;
  stats.last = last;
  stats.resumed_from = std::uint64_t(writer.num_written());
  const SceneObserver observer = make_observer(config);
  const int threads = thread_count(options.threads);

  std::uint64_t next = first + stats.resumed_from;
  double write_seconds = 0.0;
  tbb::task_arena arena(threads);
  // At most `tokens` samples are in flight (bounding memory to a few per thread). They live in
  // slots owned here, indexed by image % tokens, and only indices travel through the pipeline:
  // if a stage throws, TBB cancels the pipeline without destroying items in flight, so owning
  // them here is what frees them. Slot i % tokens is free when image i enters, because image
  // i - tokens has left the in-order writing stage before its token was reused.
  const std::size_t tokens = std::size_t(4 * threads);
  std::vector<Sample> slots(tokens);
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, std::uint64_t>(tbb::filter_mode::serial_in_order,
                                              [&](tbb::flow_control& fc) -> std::uint64_t {
                                                if (next >= last) {
                                                  fc.stop();
                                                  return 0;
                                                }
                                                return next++;
                                              }) &
            tbb::make_filter<std::uint64_t, std::uint64_t>(tbb::filter_mode::parallel,
                                                           [&](std::uint64_t i) {
                                                             slots[i % tokens] = dataset_sample(
                                                                 config, schema,
                                                                 make_sample(config, observer, options.seed, i));
                                                             return i;
                                                           }) &
            tbb::make_filter<std::uint64_t, void>(tbb::filter_mode::serial_in_order, [&](std::uint64_t i) {
              Sample s = std::move(slots[i % tokens]);
              const auto w0 = std::chrono::steady_clock::now();
              writer.append(s);
              write_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
              if (progress) progress(std::uint64_t(writer.num_written()), last - first);
            }));
  });
  const auto w0 = std::chrono::steady_clock::now();
  writer.finish();
  stats.write_seconds =
      write_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

namespace {

/// The shards of one run, opened and sorted by first index; throws ConfigError unless they share
/// layout, config and seed and tile images 0..N-1.
struct ShardSet {
  std::vector<DatasetReader> readers;
  std::vector<ShardFile> files;
  std::int64_t num_images = 0;
};

ShardSet open_shards(const std::vector<std::string>& shards) {
  if (shards.empty()) throw ConfigError("merge: no shard files given");
  struct Part {
    DatasetReader reader;
    std::int64_t first_index;
  };
  std::vector<Part> parts;
  for (const std::string& path : shards) {
    DatasetReader r(path);
    if (!r.shard_files().empty())
      throw ConfigError(fmt::format("merge: '{}' is itself a virtual data set over shards; give its shard files", path));
    const auto col = r.schema().label_index("index");
    if (!col) throw ConfigError(fmt::format("merge: '{}' has no 'index' label column", path));
    const auto idx = std::get<std::vector<std::int64_t>>(r.read_label("index"));
    for (std::size_t k = 1; k < idx.size(); ++k)
      if (idx[k] != idx[0] + std::int64_t(k))
        throw ConfigError(fmt::format("merge: '{}' does not hold consecutive images (index {} after {})", path,
                                      idx[k], idx[k - 1]));
    parts.push_back({std::move(r), idx.empty() ? 0 : idx[0]});
  }
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.first_index < b.first_index; });
  const DatasetReader& head = parts.front().reader;
  ShardSet set;
  for (const Part& p : parts) {
    if (auto d = schema_difference(p.reader.schema(), head.schema()); !d.empty())
      throw ConfigError(fmt::format("merge: '{}' has another layout than '{}': {}", p.reader.path(), head.path(), d));
    if (p.reader.run().config_text != head.run().config_text || p.reader.run().seed != head.run().seed)
      throw ConfigError(fmt::format("merge: '{}' comes from another run (config or seed differ from '{}')",
                                    p.reader.path(), head.path()));
    if (p.first_index != set.num_images)
      throw ConfigError(fmt::format("merge: images from index {} are missing (next shard '{}' starts at {})",
                                    set.num_images, p.reader.path(), p.first_index));
    set.files.push_back({p.reader.path(), p.first_index, p.reader.num_images()});
    set.num_images += p.reader.num_images();
  }
  if (const std::int64_t n = head.run().run_images; n > 0) {
    for (const Part& p : parts)
      if (p.reader.run().run_images != n)
        throw ConfigError(fmt::format("merge: '{}' is a shard of a run of {} images, '{}' of one of {}",
                                      p.reader.path(), p.reader.run().run_images, head.path(), n));
    if (set.num_images != n)
      throw ConfigError(fmt::format("merge: images {}..{} of the run's {} are missing (give every shard)",
                                    set.num_images, n - 1, n));
  }
  for (Part& p : parts) set.readers.push_back(std::move(p.reader));
  return set;
}

}  // namespace

void merge_datasets(const std::vector<std::string>& shards, const std::string& output, const WriterOptions& options) {
  const ShardSet set = open_shards(shards);
  const DatasetReader& head = set.readers.front();
  const DatasetSchema& schema = head.schema();
  DatasetWriter writer = DatasetWriter::create(
      output, schema, DatasetRun{head.run().seed, set.num_images, head.run().config_text}, options);
  for (const DatasetReader& r : set.readers) {
    std::vector<LabelData> labels;
    for (const LabelColumn& c : schema.labels) labels.push_back(r.read_label(c.name));
    for (std::int64_t i = 0; i < r.num_images(); ++i) {
      Sample s;
      for (const BandSchema& b : schema.bands) {
        BandPlanes bp;
        bp.image = r.read_image(b.name, i);
        if (schema.planes.noiseless) bp.noiseless = r.read_image(b.name, i, DatasetPlane::NOISELESS);
        if (schema.planes.source) bp.source = r.read_image(b.name, i, DatasetPlane::SOURCE);
        if (schema.planes.sigma) bp.sigma = r.read_image(b.name, i, DatasetPlane::SIGMA);
        if (schema.planes.mask) bp.mask = r.read_mask(b.name, i);
        s.bands.push_back(std::move(bp));
      }
      if (schema.kappa) s.kappa = r.read_kappa(i);
      for (const LabelData& col : labels)
        s.labels.push_back(std::visit([&](const auto& v) -> LabelValue { return v[std::size_t(i)]; }, col));
      writer.append(s);
    }
  }
  writer.finish();
}

void write_virtual_master(const std::vector<std::string>& shards, const std::string& output, bool overwrite) {
  const ShardSet set = open_shards(shards);
  const DatasetReader& head = set.readers.front();
  write_virtual_dataset(output, head.schema(), DatasetRun{head.run().seed, set.num_images, head.run().config_text},
                        set.files, overwrite);
}

}  // namespace lensforge

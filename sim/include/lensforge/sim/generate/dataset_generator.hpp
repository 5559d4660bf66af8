#pragma once
// Deterministic parallel generation of a data set: image i depends only on (config, seed, i), so
// a file is the same for any thread count, any shard split merged back, and after a resume.
//   indices in order -> make_sample (TBB, in parallel) -> DatasetWriter::append (in index order)
// with a bounded number of samples in flight, so memory does not grow with the number of images.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/sim/io/dataset_writer.hpp"
#include "lensforge/sim/population/generator_config.hpp"

namespace lensforge {

struct SampleResult;

struct GenerateOptions {
  std::string output;            ///< final .h5 path (written as <output>.partial until complete)
  std::uint64_t num_images = 0;  ///< images of the whole run (all shards together), >= 1
  std::uint64_t seed = 0;        ///< run seed: image i uses Rng(seed, i)
  int threads = 0;               ///< worker threads, >= 1; 0: all cores
  std::uint64_t shard = 0;       ///< this shard k, [0, num_shards)
  std::uint64_t num_shards = 1;  ///< K: shard k writes images [k N / K, (k + 1) N / K)
  bool resume = false;           ///< continue <output>.partial of an interrupted run
  WriterOptions writer;          ///< compression, flush interval, overwrite
  /// Empty when valid, else a message naming the option.
  std::string validate() const;
};

/// Images [first, last) of shard k of K over N images.
std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t n, std::uint64_t k, std::uint64_t num_shards);

/// The file layout of a config's data sets: its bands (in the output unit), planes and labels.
DatasetSchema dataset_schema(const GeneratorConfig& config);

/// A drawn sample as generate_dataset stores it: per band the observed image (the noiseless image
/// when config.observation.noise is off) and the optional planes `schema` asks for, every plane in
/// the band's output unit (the observer's e-/s noiseless and source planes multiplied by
/// Observation::scale), plus the labels and the kappa map when the schema has one. `schema` is
/// dataset_schema(config), or a copy asking for other planes (sigma and mask need noise). The
/// result's planes are moved out of `result`.
Sample dataset_sample(const GeneratorConfig& config, const DatasetSchema& schema, SampleResult&& result);

struct GenerateStats {
  std::uint64_t first = 0, last = 0;  ///< image range of this run
  std::uint64_t resumed_from = 0;     ///< images already in the .partial when resuming
  double seconds = 0.0;               ///< wall time
  double write_seconds = 0.0;         ///< time spent in DatasetWriter::append/finish
};

/// Generates images [first, last) of the shard into options.output. `progress(done, total)` is
/// called from the writing thread after each image. Throws ConfigError / IoError; an interrupted
/// run leaves <output>.partial, which `resume` continues to the identical result.
GenerateStats generate_dataset(const GeneratorConfig& config, const GenerateOptions& options,
                               const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

/// Concatenates complete shard files of one run (same config text and seed, together covering
/// images 0..N-1 without gap or overlap, in any order) into `output`, equal to the unsharded run.
void merge_datasets(const std::vector<std::string>& shards, const std::string& output, const WriterOptions& options);

/// Checks the shards as merge_datasets does, then writes `output` as a virtual data set over them
/// (write_virtual_dataset): no image is copied, readers see the unsharded run.
void write_virtual_master(const std::vector<std::string>& shards, const std::string& output, bool overwrite);

}  // namespace lensforge

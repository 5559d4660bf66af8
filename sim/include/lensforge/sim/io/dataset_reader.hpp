#pragma once
// Reads a lensforge data set (layout in io/dataset_schema.hpp) without loading it: images are read
// one hyperslab at a time through a per-dataset chunk cache, labels one column at a time.
// Thread-safe for concurrent reads (Debian's HDF5 is built thread-safe and serialises its calls).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/detector/mask.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/sim/io/dataset_writer.hpp"

namespace lensforge {

struct ReaderOptions {
  /// Open a file whose writer has not finished (complete = 0, e.g. a .partial): its first
  /// num_written images are readable. Otherwise such a file is refused.
  bool allow_incomplete = false;
  /// Chunk cache per image dataset, bytes, [0, 1 GiB] (one chunk is one image).
  std::size_t chunk_cache_bytes = std::size_t(4) << 20;
};

/// A whole label column.
using LabelData = std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>>;

/// Compression of a file's image datasets.
struct DatasetFilters {
  int gzip_level = 0;    ///< deflate level, 0: none
  bool shuffle = false;  ///< byte-shuffle filter
};

class DatasetReader {
 public:
  /// Opens `path`. Throws IoError naming the file for: a missing file or a folder, a file that
  /// is not HDF5, a truncated or damaged HDF5 file, a file without lensforge's root attributes, a
  /// schema_version other than kDatasetSchemaVersion, an incomplete file (unless allowed),
  /// datasets whose shapes disagree with the attributes, or a virtual data set one of whose shard
  /// files is missing (HDF5 would silently read zeros for its images).
  explicit DatasetReader(const std::string& path, const ReaderOptions& options = {});
  ~DatasetReader();
  DatasetReader(DatasetReader&&) noexcept;
  DatasetReader& operator=(DatasetReader&&) noexcept;

  const std::string& path() const;
  const DatasetSchema& schema() const;
  /// Images that can be read: num_images of a complete file, num_written of an incomplete one.
  std::int64_t num_images() const;
  /// The run as stored (seed, num_images planned, config text).
  const DatasetRun& run() const;
  bool complete() const;
  std::int64_t schema_version() const;
  const std::string& software_version() const;
  const std::string& created() const;
  DatasetFilters filters() const;

  /// Image i in `band`. Throws ConfigError for an unknown band, a plane not stored or i outside
  /// [0, num_images()); IoError if HDF5 fails.
  ImageF read_image(std::string_view band, std::int64_t i, DatasetPlane plane = DatasetPlane::IMAGE) const;
  /// Images first .. first+count-1, as separate images; same errors as read_image.
  std::vector<ImageF> read_images(std::string_view band, std::int64_t first, std::int64_t count,
                                  DatasetPlane plane = DatasetPlane::IMAGE) const;
  /// The same into `out` ([count, ny, nx] row-major; out.size() must be count * ny * nx).
  void read_images(std::string_view band, std::int64_t first, std::int64_t count, std::span<float> out,
                   DatasetPlane plane = DatasetPlane::IMAGE) const;
  /// Mask of image i in `band`; throws ConfigError if masks are not stored.
  Mask read_mask(std::string_view band, std::int64_t i) const;
  /// Convergence map of image i; throws ConfigError if /kappa is not stored.
  ImageF read_kappa(std::int64_t i) const;

  /// For a virtual data set (the master of a sharded run, see write_virtual_dataset): the shard
  /// files its images are read from, as stored (relative names are relative to the master's
  /// folder), in index order. Empty for a file that holds its images itself.
  const std::vector<std::string>& shard_files() const;

  /// Label column names in schema order.
  std::vector<std::string> label_names() const;
  /// The first num_images() values of a label column (vector<double>, vector<int64_t> or
  /// vector<string> by its type). Throws ConfigError for an unknown column.
  LabelData read_label(std::string_view name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lensforge

#pragma once
// Writes a lensforge data set (layout in io/dataset_schema.hpp) image by image, resumably.
//
// The file is created as "<final>.partial.new", renamed to "<final>.partial" once its empty layout
// is written (so a .partial can always be opened), written as "<final>.partial" and renamed to its final name only by finish(), after
// complete = 1 is set and the file is flushed to disk: a file under the final name is always
// complete. Every WriterOptions::flush_every images (and when the writer is destroyed) the root
// attribute num_written is updated and the file flushed; a writer destroyed before finish() (an
// exception, an interrupted run) leaves the .partial, which resume() reopens: it checks that the
// schema, configuration text, seed, image count and software version are those of the new run,
// truncates every dataset to num_written and continues with image num_written. A process killed
// outright (SIGKILL, power loss) resumes from the last flush if HDF5's metadata on disk is
// consistent; otherwise resume() throws IoError saying to delete the .partial.
//
// Cost: label values are kept in memory between flushes (at most min(flush_every, 1024) per
// column) and written one block per column; image datasets are extended up to the next flush at a
// time, and uncompressed images are written as whole chunks. The file is written through an HDF5
// file driver that gathers HDF5's many small writes into MiB-sized ones, writes those past the page
// cache (O_DIRECT, from a second thread, where the file system allows) and starts writing the rest
// to disk at each flush; the file is the same as with HDF5's default driver. Images appended after
// the last flush may not have reached the operating system when the process dies.
//
// One writer is used from one thread at a time. Images must be appended in index order.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lensforge/sim/io/dataset_sample.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"

namespace lensforge {

struct WriterOptions {
  int gzip_level = 0;      ///< deflate level of image planes, [0, 9]; 0: uncompressed
  bool shuffle = false;    ///< byte-shuffle filter before deflate (needs gzip_level > 0)
  int flush_every = 64;    ///< images between flushes (the most a killed run loses), [1, 1000000]
  /// create(): replace an existing .partial, and remove an existing final file once the new
  /// .partial is made (else both are refused)
  bool overwrite = false;
  /// Empty when valid, else a message naming the option.
  std::string validate() const;
};

/// The run a data set belongs to: stored as root attributes and checked on resume.
struct DatasetRun {
  std::uint64_t seed = 0;       ///< run seed
  std::int64_t num_images = 0;  ///< images the run writes, [1, 1e12]
  std::string config_text;      ///< full YAML configuration text (no NUL bytes)
  /// A shard's file: the image count of the whole run it is part of (root attribute
  /// run_num_images), so that joining shards notices a missing one; 0 for a whole run.
  std::int64_t run_images = 0;
};

class DatasetWriter {
 public:
  /// Starts a new data set at `final_path` (written as final_path + ".partial"). Throws
  /// ConfigError for an invalid schema, run or option; IoError if the folder is missing, the final
  /// file or the .partial exists (unless options.overwrite) or HDF5 fails (nothing is left then).
  static DatasetWriter create(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                              const WriterOptions& options = {});
  /// Reopens final_path + ".partial" to continue an interrupted run; see the file comment. The
  /// compression of the file's datasets is kept (options.gzip_level/shuffle/overwrite are unused).
  /// Throws IoError if the final file already exists, there is no .partial, it cannot be opened,
  /// or its schema, config text, seed, num_images or software version differ (naming the first
  /// difference); ConfigError for an invalid schema, run or option.
  static DatasetWriter resume(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                              const WriterOptions& options = {});

  DatasetWriter(DatasetWriter&&) noexcept;
  DatasetWriter& operator=(DatasetWriter&&) noexcept;
  /// An unfinished writer records num_written, flushes and closes the .partial (never throws).
  ~DatasetWriter();

  /// Writes image num_written(). Throws ConfigError if the sample does not match the schema (a
  /// plane missing, of the wrong shape, or given but not in the schema; a label of the wrong type
  /// or a string too long or not printable ASCII) or all images are written, before writing
  /// anything; IoError if HDF5 fails (the image is then not counted and may be appended again).
  void append(const Sample& sample);
  /// Writes the labels kept in memory, records num_written and flushes the file to the operating
  /// system (which is asked to start writing it to disk).
  void flush();
  /// Sets complete = 1, closes and syncs the file and renames it to the final path. Throws
  /// ConfigError unless all num_images images are written, IoError if writing or renaming fails
  /// (the .partial is then left for resume).
  void finish();

  std::int64_t num_written() const;
  const DatasetSchema& schema() const;
  const DatasetRun& run() const;
  const std::string& final_path() const;
  /// final_path() + ".partial"
  std::string partial_path() const;

 private:
  struct Impl;
  explicit DatasetWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The file a writer works in: final_path + ".partial".
std::string partial_path_of(const std::string& final_path);

/// A complete data set file holding images [first, first + count) of a run.
struct ShardFile {
  std::string path;
  std::int64_t first = 0;
  std::int64_t count = 0;
};

/// Writes `final_path`, a data set holding no images itself: every dataset of `schema` is an HDF5
/// virtual dataset of run.num_images images whose slabs are the same datasets of `shards` (in index
/// order, covering images 0..run.num_images-1 without gap). Readers (lensforge, h5py, h5dump) see
/// one data set; the shards must stay where they are (their names are stored relative to
/// final_path's folder, so the folder may be moved as a whole). Written as final_path + ".partial"
/// and renamed when complete, like DatasetWriter. Throws ConfigError if the shards do not tile the
/// run; IoError if the folder is missing, final_path exists and !overwrite, or HDF5 fails (nothing
/// is left then).
void write_virtual_dataset(const std::string& final_path, const DatasetSchema& schema, const DatasetRun& run,
                           const std::vector<ShardFile>& shards, bool overwrite);

}  // namespace lensforge

#pragma once
// Internal: the on-disk layout of a data set (io/dataset_schema.hpp) shared by the writer and the
// reader: dataset paths, creating the empty structure, and reading the schema and run back.
#include <cstdint>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/sim/io/dataset_writer.hpp"

namespace lensforge::detail {

inline constexpr const char* kLabelsGroup = "/labels";
inline constexpr const char* kKappaPath = "/kappa";
/// Chunk length of the 1-D label datasets, values.
inline constexpr hsize_t kLabelChunk = 1024;

/// "/images/<band>", "/noiseless/<band>", ...
std::string plane_path(DatasetPlane plane, const std::string& band);
std::string mask_path(const std::string& band);
std::string label_path(const std::string& name);

/// HDF5 memory type of a label column (fixed-length null-padded ASCII for strings).
H5Type label_memory_type(const H5Context& c, const LabelColumn& column);

/// Images [first, first + count) of a virtual data set stored as images [0, count) of `file`.
struct VirtualSource {
  std::string file;  ///< as HDF5 records it: a relative name is found from the master's folder
  std::int64_t first = 0;
  std::int64_t count = 0;
};

/// Writes the root attributes (complete = 0, num_written = 0) and creates every group and every
/// dataset. Without `sources` the datasets are empty (first dimension 0, unlimited), with
/// `options`' filters on the image planes. With `sources` (in index order, together covering
/// images 0..run.num_images-1) every dataset is an HDF5 virtual dataset of run.num_images images
/// whose slabs are the same datasets of the source files.
void create_layout(const H5Context& c, hid_t file, const DatasetSchema& schema, const DatasetRun& run,
                   const WriterOptions& options, const std::vector<VirtualSource>* sources = nullptr);

/// The source files of a virtual dataset, in mapping order; empty for a stored one.
std::vector<std::string> virtual_source_files(const H5Context& c, hid_t dataset, const std::string& path);

/// What a file says about itself.
struct StoredLayout {
  std::int64_t schema_version = 0;
  std::string software_version;
  std::string created;
  DatasetSchema schema;
  DatasetRun run;
  std::int64_t num_written = 0;
  bool complete = false;
};

/// Reads the root attributes and the schema. Throws IoError if the file is not a lensforge data
/// set, its schema_version is not kDatasetSchemaVersion, or the stored structure is inconsistent
/// (a dataset missing, of the wrong rank or type, or with fewer than num_written images).
StoredLayout read_layout(const H5Context& c, hid_t file);

/// Current length of the first dimension of the dataset.
hsize_t dataset_length(const H5Context& c, hid_t dataset, const std::string& path);

}  // namespace lensforge::detail

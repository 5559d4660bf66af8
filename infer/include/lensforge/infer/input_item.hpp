#pragma once
// The objects a command runs on, expanded from the command line's inputs: FITS files, folders of
// FITS files, one-file-per-band objects found by a BandFilePattern, and lensforge HDF5 data sets.
#include <cstdint>
#include <string>
#include <vector>

namespace lensforge::infer {

enum class InputKind {
  FITS_FILE,   ///< one multi-extension file per object
  FITS_BANDS,  ///< one file per band
  DATASET,     ///< one image of a lensforge HDF5 data set
};

struct InputItem {
  InputKind kind = InputKind::FITS_FILE;
  /// How the object is named in outputs: the FITS path, the pattern's {object} (folder/object), or
  /// the data set path.
  std::string id;
  /// FITS_FILE: the file; FITS_BANDS: one file per band, in band order; DATASET: the data set.
  std::vector<std::string> paths;
  std::int64_t index = -1;  ///< DATASET: the image index, [0, N); else -1
  /// Set when the input could not be expanded (list_inputs_keeping_errors): why; the item then
  /// stands for the whole input and is reported, not read.
  std::string error;
};

/// Whether a path names an HDF5 data set (.h5 / .hdf5, also with .partial).
bool is_dataset_path(const std::string& path);

/// Expands inputs in the order given (folders sorted by file name):
///   * a data set (.h5/.hdf5): one item per image, [0, DatasetReader::num_images());
///   * without `pattern`: a FITS file is one item; a folder gives every *.fits, *.fit, *.fts,
///     *.fits.gz in it (not recursive);
///   * with `pattern` (BandFilePattern) and `bands`: a file naming some band gives its object; a
///     folder gives every object of a matching file in it; an object's paths are its band files in
///     `bands` order in the same folder, whether they exist or not (a missing one is reported when
///     the object is read). Each object appears once.
/// Throws ConfigError for an input that does not exist or a FITS file that does not match the
/// pattern, IoError for an unreadable data set.
std::vector<InputItem> list_inputs(const std::vector<std::string>& inputs, const std::string& pattern,
                                   const std::vector<std::string>& bands);

/// As list_inputs, but an input that cannot be expanded (missing, unreadable data set, FITS file not
/// matching the pattern) becomes one item with `error` set instead of stopping the listing. Objects
/// named by several inputs (band files of one object) appear once.
std::vector<InputItem> list_inputs_keeping_errors(const std::vector<std::string>& inputs, const std::string& pattern,
                                                  const std::vector<std::string>& bands);

}  // namespace lensforge::infer

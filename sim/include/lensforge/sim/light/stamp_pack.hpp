#pragma once
// Packing a stamp library into one HDF5 file (`lensforge-sim stamps pack`).
#include <cstddef>
#include <string>

namespace lensforge {

struct StampPackOptions {
  std::string catalog_path;  ///< input stamp catalog (CSV; FITS or HDF5 stamps)
  std::string h5_path;       ///< HDF5 file to write (.h5 or .hdf5)
  std::string catalog_out;   ///< catalog to write; "" = h5_path with the extension .csv
  bool overwrite = false;    ///< replace existing outputs (refused otherwise)
};

struct StampPackSummary {
  std::size_t rows = 0;      ///< catalog rows written
  std::size_t datasets = 0;  ///< stamps written (rows naming the same file and HDU share one)
  std::string catalog_out;   ///< the catalog written
};

/// Loads the catalog (load_stamp_library: every row is validated first), then writes each distinct
/// (file, HDU) stamp once as dataset /stamps/<name of its first row> with its raw pixels (float32
/// when stored so, else float64: the values are kept exactly) and, when its file states a pixel
/// scale, the attribute pixel_scale (arcsec); then the catalog: the input's lines with `file` set
/// to the HDF5 file (relative to the new catalog's folder) and `hdu` to the dataset path, other
/// columns and the comment lines kept (comments after a row's fields are dropped), under a comment
/// line naming the source. load_stamp_library of the new catalog then gives bit-identical entries.
/// Both files are written under temporary names and renamed when complete. Throws ConfigError for
/// a bad catalog, an output that exists (without overwrite), an output equal to an input, a
/// non-.h5 name or a row name holding '/'; IoError when writing fails.
StampPackSummary pack_stamp_library(const StampPackOptions& options);

}  // namespace lensforge

#pragma once
// A library of real-galaxy stamps (FITS images) described by a CSV catalog (catalogs/README.md):
//   # comments start with '#'
//   name,file,hdu,pixel_scale,zero_point,redshift,psf_fwhm
//   cosmos_147246,real/cosmos_147246.fits,0,0.03,25.94,0.8,0.09
// name: unique identity; file: path relative to the catalog's folder (or absolute); hdu: 0-based
// HDU index or EXTNAME; pixel_scale: arcsec/pixel, or "header" to take it from the FITS header
// (PIXSCALE, CD or CDELT); zero_point: AB magnitude of 1 pixel unit (e.g. e-/s); redshift: the
// galaxy's redshift or empty when unknown; psf_fwhm: arcsec, FWHM of the PSF the stamp was observed
// with (0 or empty: unknown). Optional columns magnitude (AB) and size (arcsec, half-light radius)
// override the values measured on the (cleaned) stamp.
// HDF5 libraries: a `file` whose name ends in .h5 or .hdf5 is an HDF5 file and `hdu` is then the
// path of a 2-D float32 or float64 dataset in it (rows, columns; e.g. /stamps/cosmos_147246);
// pixel_scale "header" reads the dataset's scalar attribute `pixel_scale` (arcsec). Many rows may
// share one file. Pixels are read as float64, as from FITS, so the same values give bit-identical
// entries.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/light/light_profile.hpp"

namespace lensforge {

struct StampEntry {
  std::string name;                ///< identity, unique in the catalog
  std::string file;                ///< resolved path of the FITS (or HDF5) file
  std::string hdu;                 ///< HDU index or EXTNAME as written (HDF5: the dataset path)
  int line = 0;                    ///< catalog line (1-based), for messages
  double pixel_scale = 0.0;        ///< arcsec per stamp pixel (as observed)
  double zero_point = 0.0;         ///< AB magnitude of 1 pixel unit
  std::optional<double> redshift;  ///< none when unknown
  double psf_fwhm = 0.0;           ///< arcsec, 0: unknown
  double magnitude = 0.0;          ///< AB, total (catalog column or measured on the cleaned stamp)
  double size = 0.0;               ///< arcsec, half-light radius (column or measured)
  double flux = 0.0;               ///< pixel units, total of the cleaned stamp
  std::shared_ptr<const ImageD> stamp;  ///< cleaned, normalised to sum 1
};

/// Noise cleaning: the median of the stamp's border (outer 4 pixels) is subtracted; when
/// threshold > 0, pixels below threshold * sigma (sigma = 1.4826 MAD of the border) are set to 0.
struct StampCleaning {
  double threshold = 0.0;  ///< in units of the border's noise sigma, >= 0 (0: subtract the median only)
};

struct StampLibrary {
  std::string path;                ///< catalog file
  std::vector<StampEntry> entries;
};

/// Reads the catalog and every stamp it lists. Throws ConfigError "CATALOG:LINE: row 'NAME': ..."
/// naming the row for a missing or unreadable file, a wrong HDU (HDF5: a missing dataset, one that
/// is not 2-D or not floating point), an unknown pixel scale, a missing
/// column or a bad value, or a stamp with no positive flux after cleaning.
StampLibrary load_stamp_library(const std::string& catalog_path, StampCleaning cleaning = {});

/// Ranges of a catalog query (closed intervals; an unset bound is open). Rows without a redshift
/// fail a redshift range.
struct StampQuery {
  std::optional<double> magnitude_min, magnitude_max;  ///< AB
  std::optional<double> size_min, size_max;            ///< arcsec
  std::optional<double> redshift_min, redshift_max;
};

/// The raw pixels of one stamp (before cleaning): HDU `hdu` of a FITS file (empty: the first image
/// HDU; a 0-based index; else an EXTNAME), or, for a file named .h5/.hdf5, the 2-D float32/float64
/// dataset at path `hdu`. Throws IoError naming the file and the HDU or dataset.
struct StampPixels {
  ImageD data;                         ///< pixel units, row i = FITS row i+1 / dataset row i
  long long num_nan = 0;               ///< NaN (or FITS BLANK) pixels
  std::optional<double> header_scale;  ///< arcsec/pixel: FITS PIXSCALE/CD/CDELT, HDF5 attribute pixel_scale
  bool float32 = false;                ///< stored as 32-bit floats (FITS BITPIX -32, HDF5 4-byte float)
};
StampPixels read_stamp_pixels(const std::string& file, const std::string& hdu);
/// True when `file` ends in .h5 or .hdf5 (ignoring case): read as an HDF5 stamp library.
bool is_hdf5_stamp_file(const std::string& file);

/// Indices of the entries that pass the query (in catalog order).
std::vector<std::size_t> select_stamps(const StampLibrary& lib, const StampQuery& q);

/// The entry as a light profile: centred at (cx, cy), total flux `flux`, pixel scale on the source
/// plane `pixel_scale` (<= 0: the stamp's own), rotated and optionally flipped.
InterpolatedImage stamp_profile(const StampEntry& e, double flux, double cx, double cy, double rotation, bool flip,
                                double pixel_scale = 0.0);

}  // namespace lensforge

#pragma once
// FITS input and output with cfitsio, handles held in RAII wrappers. Errors throw IoError naming
// the file, the HDU and cfitsio's own message.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// One header card to write: KEY = value / comment. Keys longer than 8 characters are written
/// as HIERARCH cards.
struct FitsCard {
  std::string key;
  std::variant<bool, long long, double, std::string> value;
  std::string comment;
};

/// Pixel-to-sky mapping written as a TAN WCS: CRPIX at the image centre, CD matrix from the pixel
/// scale (RA increases to the left: CD1_1 = -scale).
struct FitsWcs {
  double ra_deg = 0.0;            ///< degrees, sky position of the image centre
  double dec_deg = 0.0;           ///< degrees
  double pixel_scale_arcsec = 0;  ///< arcsec per pixel, > 0
};

/// An image HDU to write.
struct FitsImageHdu {
  std::string extname;             ///< EXTNAME (empty: none)
  ImageF data;                     ///< float32, written as BITPIX -32, row i = FITS row i+1
  std::vector<FitsCard> cards;     ///< extra header cards
  std::optional<FitsWcs> wcs;      ///< optional WCS
};

/// Writes all HDUs to `path` (the first is the primary HDU). Writes to a temporary file in the
/// same folder and renames it on success, so a failure never leaves a file that looks complete.
void write_fits(const std::string& path, const std::vector<FitsImageHdu>& hdus);

/// An image read from a FITS file, converted to float64 with BSCALE/BZERO applied.
struct FitsImage {
  ImageD data;                     ///< row i = FITS row i+1 (NAXIS2), column j = NAXIS1 index j+1
  int hdu = 0;                     ///< 0-based HDU index the image came from
  std::string extname;
  int bitpix = 0;                  ///< BITPIX as stored
  long long num_nan = 0;           ///< NaN (or BLANK) pixels found
  std::vector<std::pair<std::string, std::string>> header;  ///< every card: key, value text
  /// Value text of a header key, if present.
  std::optional<std::string> card(const std::string& key) const;
  /// Pixel scale in arcsec/pixel from PIXSCALE, CD or CDELT cards, if present.
  std::optional<double> pixel_scale_arcsec() const;
};

/// Reads a 2-D image. hdu < 0: the first HDU that holds a 2-D image (a primary without data is
/// skipped); otherwise the 0-based HDU index. Handles BITPIX 8/16/32/64/-32/-64, BSCALE/BZERO,
/// gzip-compressed and tile-compressed files.
FitsImage read_fits_image(const std::string& path, int hdu = -1);
/// Reads the image of the HDU whose EXTNAME is `extname`.
FitsImage read_fits_image(const std::string& path, const std::string& extname);
/// Names (EXTNAME, or "" ) of all HDUs of a file.
std::vector<std::string> fits_hdu_names(const std::string& path);

}  // namespace lensforge

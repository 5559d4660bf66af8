#pragma once
// FITS input and output with cfitsio, handles held in RAII wrappers. Errors throw IoError naming
// the file, the HDU and cfitsio's own message. Paths are taken literally (no cfitsio extended
// file-name syntax such as "file.fits[1]" or "!file.fits"). Safe to call from several threads on
// different files (cfitsio is built reentrant; its error-message stack is shared, so a message of
// another thread's simultaneous failure may appear in an error text).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// One header card to write: KEY = value / comment. Keys of 1-8 characters from A-Z 0-9 - _ are
/// standard keywords; any other key (longer, lower case, spaces; or given as "HIERARCH key") is
/// written as an ESO HIERARCH card keeping its case, and must fit with its value in one 80-character
/// card. Doubles must be finite and are written in the shortest form that reads back exactly.
/// Strings: printable ASCII; trailing blanks are not significant in FITS; standard keys longer than
/// 68 characters use the CONTINUE long-string convention. COMMENT and HISTORY with a string value
/// become commentary cards (may repeat). Keys that write_fits writes itself (SIMPLE, BITPIX, NAXIS*,
/// EXTEND, XTENSION, PCOUNT, GCOUNT, EXTNAME, BSCALE, BZERO, BLANK, DATE, ORIGIN, and the WCS keys
/// when a WCS is given) and repeated keys are refused. The comment is cut at column 80.
struct FitsCard {
  std::string key;
  std::variant<bool, long long, double, std::string> value;
  std::string comment;
};

/// Pixel-to-sky mapping written as a TAN WCS: CTYPE RA---TAN / DEC--TAN, CRPIX at the image centre
/// in FITS 1-based pixels ((n + 1) / 2), CRVAL = (ra, dec), CD matrix from the pixel scale (RA
/// increases to the left: CD1_1 = -scale/3600, CD2_2 = +scale/3600, no rotation), CUNIT deg,
/// RADESYS ICRS.
struct FitsWcs {
  double ra_deg = 0.0;            ///< degrees, finite: sky position of the image centre
  double dec_deg = 0.0;           ///< degrees, [-90, 90]
  double pixel_scale_arcsec = 0;  ///< arcsec per pixel, finite and > 0
};

/// An image HDU to write.
struct FitsImageHdu {
  std::string extname;             ///< EXTNAME (empty: none)
  ImageF data;                     ///< float32, written as BITPIX -32, row i = FITS row i+1
  std::vector<FitsCard> cards;     ///< extra header cards
  std::optional<FitsWcs> wcs;      ///< optional WCS
  /// Unsigned 16-bit pixels (e.g. bit masks) instead of `data`: when not empty they are written,
  /// with FITS's unsigned convention (BITPIX 16, BZERO 32768: astropy reads uint16), and `data`
  /// must be empty.
  Image<std::uint16_t> data_u16;
  /// NAXIS3 of a cube: the rows of `data` (or `data_u16`) are this many planes of rows()/planes
  /// rows each, stacked in order, written as a 3-D image (NAXIS1 = cols, NAXIS2 = rows()/planes);
  /// 1 (default): a 2-D image. [1, rows()], dividing rows(). The WCS, if any, describes one plane.
  int planes = 1;
};

/// Writes all HDUs to `path` (the first is the primary HDU), each with DATE and ORIGIN =
/// 'lensforge'. Writes to a hidden temporary file in the same folder, flushes it to disk and renames
/// it over `path` on success (replacing an existing file atomically); on any error the temporary
/// file is removed and an existing `path` is left untouched. Written uncompressed whatever the name.
/// Throws IoError (naming the file, the HDU and the problem) for no HDUs, a missing folder, an empty
/// image, an invalid card or WCS, or a cfitsio failure.
void write_fits(const std::string& path, const std::vector<FitsImageHdu>& hdus);

/// An image read from a FITS file, converted to float64 with BSCALE/BZERO applied.
struct FitsImage {
  ImageD data;                     ///< row i = FITS row i+1 (NAXIS2), column j = NAXIS1 index j+1
  int hdu = 0;                     ///< 0-based HDU index the image came from
  std::string extname;
  int bitpix = 0;                  ///< BITPIX as stored
  long long num_nan = 0;           ///< NaN (or BLANK) pixels found
  /// Every card in order: key (HIERARCH keys without the prefix, case kept; "" for a blank key),
  /// value text (strings unquoted without trailing blanks, CONTINUE long strings joined; numbers as
  /// written; T/F; the text of COMMENT/HISTORY/blank-key cards). Blank cards and END are left out.
  /// For a tile-compressed image, the header of the uncompressed image.
  std::vector<std::pair<std::string, std::string>> header;
  /// Value text of the first card with this key (exact match first, then ignoring case; a
  /// "HIERARCH " prefix is ignored), if present.
  std::optional<std::string> card(const std::string& key) const;
  /// Pixel scale in arcsec/pixel, if the header gives one: PIXSCALE (arcsec), else the CD matrix
  /// (sqrt|det CD| * 3600, CD in degrees), else CDELT1/2 with the PC matrix (default identity).
  std::optional<double> pixel_scale_arcsec() const;
};

/// Reads a 2-D image (trailing axes of length 1 allowed). hdu < 0: the first HDU that holds a 2-D
/// image (a primary without data is skipped); otherwise the 0-based HDU index. Handles BITPIX
/// 8/16/32/64/-32/-64, BSCALE/BZERO, BLANK and NaN (both become NaN, counted in num_nan),
/// gzip-compressed and tile-compressed images. Throws IoError naming the file (and HDU) for a
/// missing file, a file that is not FITS, a truncated file, an HDU out of range, or an HDU that is
/// not a 2-D image.
FitsImage read_fits_image(const std::string& path, int hdu = -1);
/// Reads the image of the first HDU whose EXTNAME is `extname` (ignoring case, as astropy does).
/// Throws IoError listing the file's HDU names if there is none.
FitsImage read_fits_image(const std::string& path, const std::string& extname);
/// Names (EXTNAME, or "") of all HDUs of a file, in order.
std::vector<std::string> fits_hdu_names(const std::string& path);

}  // namespace lensforge

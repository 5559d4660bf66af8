#pragma once
// FITS cutouts of one object turned into the raw bands a Predictor prepares (Predictor::prepare
// resamples them to the model's pixel scale and cuts or pads them to its size, as training did).
//
// Two layouts:
//   * one multi-extension file per object: one image HDU per band, the band found by EXTNAME, else
//     by a FILTER or BAND keyword (both compared ignoring case); a file holding a single image HDU
//     serves a single-band model whatever its names;
//   * one file per band (see BandFilePattern): the first 2-D image HDU of each file.
// The pixel scale of each image comes from its header (FitsImage::pixel_scale_arcsec: PIXSCALE,
// else the CD matrix, else CDELT with PC); when there is none (or it is outside (0, 10] arcsec/px)
// the model's pixel scale for that band is assumed and the file gets one warning.
#include <string>
#include <vector>

#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/train/data/example_source.hpp"

namespace lensforge::infer {

struct FitsCutout {
  std::string id;                     ///< object id as given by the caller
  train::RawExample raw;              ///< one image per requested band, request order; NaN pixels set to 0
  std::vector<BandSchema> bands;      ///< per image: the requested band's name, the image's shape, its
                                      ///< pixel scale, unit (BUNIT), zero point (MAGZP), EXPTIME and
                                      ///< PSFFWHM where the header has them, else the model band's values
  std::vector<std::string> warnings;  ///< at most one per file read: assumed pixel scale, NaN pixels
};

/// Reads the bands `model_bands` (names, and the values assumed where a header is silent) of one
/// object from one multi-extension file. Throws IoError naming the file for an unreadable file, and
/// naming the band and listing the file's HDUs (EXTNAME / FILTER / BAND) when a band is missing.
FitsCutout read_fits_cutout(const std::string& id, const std::string& path, const std::vector<BandSchema>& model_bands);

/// Reads one object from one file per band: band_paths[k] holds model_bands[k]. Throws IoError
/// naming the file of the first band that cannot be read.
FitsCutout read_fits_cutout(const std::string& id, const std::vector<std::string>& band_paths,
                            const std::vector<BandSchema>& model_bands);

}  // namespace lensforge::infer

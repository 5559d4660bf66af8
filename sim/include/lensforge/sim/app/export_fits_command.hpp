#pragma once
// `lensforge-sim export-fits FILE.h5 --indices 3,7,10-12 -o DIR`: chosen images of a data set as
// multi-extension FITS files, one per image: DIR/<stem>_<index>.fits, with <stem> the data set's
// file name without .partial and .h5/.hdf5 and the index zero-padded to the digits of the largest
// index of the run. One image HDU per band in file order (the first is the primary HDU), EXTNAME =
// band name, float32 pixels in the band's unit, a TAN WCS with the band's pixel scale, and cards
// BAND, SURVEY, BUNIT, MAGZP, PIXSCALE, EXPTIME, PSFFWHM, LFINDEX (image index), LFSEED (run seed),
// LFVERSN (software version of the data set), LFFILE (data set file name), then every label as a
// card named after its column (HIERARCH for names that are not standard 8-character keys; the
// comment holds the unit and description). A float label that is NaN or infinite cannot be a FITS
// value: it becomes a COMMENT card "<name> = nan". Every file is written atomically; on a failure
// the files written so far by the command are removed.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "lensforge/sim/app/exit_status.hpp"

namespace lensforge {

struct ExportFitsCommandArgs {
  std::string path;        ///< data set (.h5)
  std::string indices;     ///< e.g. "3,7,10-12": comma-separated indices and inclusive ranges
  std::string output_dir;  ///< folder for the FITS files; created (one level) if missing
  bool overwrite = false;  ///< replace existing FITS files
};

/// The indices of a list such as "3,7,10-12" in order of first appearance, without repeats.
/// Throws ConfigError naming the item for an empty item, a non-number, a reversed range, or an
/// index outside [0, num_images).
std::vector<std::int64_t> parse_index_list(const std::string& text, std::int64_t num_images);

/// Runs the command: one line per file to `out`; one error line to `err` and kExitBadInput for
/// bad arguments, an unreadable file or existing outputs (nothing written), kExitFailure if
/// writing fails (files of this run removed).
int run_export_fits_command(const ExportFitsCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge

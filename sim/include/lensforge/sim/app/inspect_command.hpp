#pragma once
// `lensforge-sim inspect FILE.h5`: a summary of a data set (io/dataset_schema.hpp) without
// reading its images: versions, bands, planes, image count, completeness, label statistics.
#include <iosfwd>
#include <string>

#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"

namespace lensforge {

struct InspectCommandArgs {
  std::string path;  ///< data set (.h5, or an interrupted run's .h5.partial)
};

/// Prints the summary to `out` (format of write_dataset_summary); one error line to `err` and
/// kExitBadInput for a missing, damaged or non-lensforge file.
int run_inspect_command(const InspectCommandArgs& args, std::ostream& out, std::ostream& err);

/// The summary, one "key: value" line each (nested items indented by two spaces):
///   file, schema_version, software_version, created, seed,
///   images: "<n> of <N> (complete)" or "(incomplete: ...)", compression, bands (one line per
///   band: shape rows x columns, unit, zero_point, pixel_scale, exposure_time, psf_fwhm, survey),
///   planes, labels (one line per column: type, unit, and min/mean/max over finite values of a
///   numeric column with the count of non-finite ones), then "counts by class" (column `class`)
///   and "counts by subtype" (column `subtype`) when those columns exist.
void write_dataset_summary(const DatasetReader& reader, std::ostream& out);

}  // namespace lensforge

#pragma once
// `lensforge-sim stamps pack CATALOG.csv -o LIB.h5 [--catalog-out NEW.csv]`: a stamp library's
// stamps copied into one HDF5 file, with the matching catalog (light/stamp_pack.hpp).
#include <iosfwd>
#include <string>

#include "lensforge/sim/app/exit_status.hpp"

namespace lensforge {

struct StampsPackCommandArgs {
  std::string catalog_path;  ///< stamp catalog (CSV)
  std::string output_path;   ///< HDF5 file to write (.h5/.hdf5)
  std::string catalog_out;   ///< new catalog; "" = output_path with .csv
  bool overwrite = false;
};

/// One summary line to `out`; one error line to `err` and kExitBadInput for a bad catalog or a
/// refused output (nothing written), kExitFailure when writing fails.
int run_stamps_pack_command(const StampsPackCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace lensforge

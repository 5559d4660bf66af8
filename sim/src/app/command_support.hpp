#pragma once
// Internal helpers shared by the data-set commands (inspect, gallery, export-fits).
#include <algorithm>
#include <ostream>
#include <string>

#include "lensforge/sim/app/exit_status.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge::detail {

/// A problem with the arguments or the input file: reported, exit status 2, nothing written.
struct BadInput : Error {
  using Error::Error;
};

/// Writes "lensforge-sim: error: <msg>" as one line to `err` and returns `status`.
inline int report_error(std::ostream& err, std::string msg, int status) {
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  err << "lensforge-sim: error: " << msg << std::endl;
  return status;
}

}  // namespace lensforge::detail

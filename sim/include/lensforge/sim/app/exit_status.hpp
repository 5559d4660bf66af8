#pragma once
// Exit status shared by the lensforge-sim commands.

namespace lensforge {

/// Exit status of the lensforge-sim commands.
enum ExitStatus : int {
  kExitOk = 0,        ///< done
  kExitFailure = 1,   ///< unexpected failure (I/O error while writing, out of memory, bug)
  kExitBadInput = 2,  ///< bad input file, bad arguments or refused output; nothing was written
};

}  // namespace lensforge

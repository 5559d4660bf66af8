#pragma once
// Pieces shared by the lensforge-sim commands (internal to sim/src/app).
#include <algorithm>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"

namespace lensforge::app {

/// A problem with the arguments or the input: reported, exit status 2, nothing written.
struct BadInput : Error {
  using Error::Error;
};

std::string lower(std::string s);

/// Whether the path ends in one of `exts` (lower case, with the dot), ignoring case.
bool has_extension(const std::string& path, std::initializer_list<const char*> exts);

/// Refuses (BadInput) an output that exists (unless overwrite), sits in a missing folder, is a
/// folder, or is the scene file.
void check_output(const std::string& path, const std::string& scene_path, bool overwrite);

/// The text with line breaks replaced by spaces (error messages are one line).
std::string one_line(std::string s);

/// "A, B, C" from the HDUs' EXTNAMEs.
std::string hdu_list(const std::vector<FitsImageHdu>& hdus);

/// Writes "lensforge-sim: error: <msg>" as one line to `err` and returns `status`.
inline int report_error(std::ostream& err, std::string msg, int status) {
  err << "lensforge-sim: error: " << one_line(std::move(msg)) << std::endl;
  return status;
}

}  // namespace lensforge::app

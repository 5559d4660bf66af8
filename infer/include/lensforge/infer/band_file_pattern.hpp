#pragma once
// File names of one-file-per-band cutouts, e.g. "{object}_{band}.fits" names J1234+5678_VIS.fits
// and J1234+5678_Y.fits for object "J1234+5678" and bands VIS and Y.
#include <optional>
#include <string>
#include <vector>

namespace lensforge::infer {

class BandFilePattern {
 public:
  /// `pattern`: a file name (no '/') holding "{object}" once and "{band}" once, other characters
  /// literal. Throws ConfigError naming the pattern otherwise.
  explicit BandFilePattern(std::string pattern);

  const std::string& pattern() const { return pattern_; }
  /// The file name of `object` in `band`.
  std::string file_name(const std::string& object, const std::string& band) const;
  /// The object a file name belongs to if it matches the pattern for `band` (non-empty object).
  std::optional<std::string> object_of(const std::string& file_name, const std::string& band) const;

 private:
  std::string pattern_;
  std::vector<std::string> literals_;  ///< the three literal parts around the two fields
  bool object_first_ = true;           ///< "{object}" before "{band}"
};

}  // namespace lensforge::infer

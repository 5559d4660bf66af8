#pragma once
// Internal: the field splitting shared by lensforge's CSV readers (population catalogs, stamp
// libraries, hybrid cutout catalogs): comma-separated, no quoting, fields trimmed of blanks.
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lensforge::detail {

inline std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

/// "a, b,,c," -> {"a", "b", "", "c", ""}.
inline std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    out.push_back(trim(std::string_view(line).substr(start, comma == std::string::npos ? std::string::npos
                                                                                         : comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

/// The whole field as a finite number, else nothing.
inline std::optional<double> parse_finite(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace lensforge::detail

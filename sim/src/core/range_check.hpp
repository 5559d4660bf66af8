#pragma once
// Internal helpers for validate(): messages of the form
//   "<key> = <value> <unit>: must be in (lo, hi]"
// NaN fails every check.
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace lensforge::detail {

enum class Bound { OPEN, CLOSED };

inline std::string check_range(std::string_view key, double v, double lo, Bound lo_b, double hi, Bound hi_b,
                               std::string_view unit = {}) {
  const bool lo_ok = lo_b == Bound::OPEN ? v > lo : v >= lo;
  const bool hi_ok = hi_b == Bound::OPEN ? v < hi : v <= hi;
  if (lo_ok && hi_ok) return {};
  return fmt::format("{} = {:g}{}{}: must be in {}{:g}, {:g}{}", key, v, unit.empty() ? "" : " ", unit,
                     lo_b == Bound::OPEN ? "(" : "[", lo, hi, hi_b == Bound::OPEN ? ")" : "]");
}

/// (lo, hi]
inline std::string check_open_closed(std::string_view key, double v, double lo, double hi, std::string_view unit = {}) {
  return check_range(key, v, lo, Bound::OPEN, hi, Bound::CLOSED, unit);
}
/// [lo, hi]
inline std::string check_closed(std::string_view key, double v, double lo, double hi, std::string_view unit = {}) {
  return check_range(key, v, lo, Bound::CLOSED, hi, Bound::CLOSED, unit);
}

}  // namespace lensforge::detail

#include "lensforge/infer/band_file_pattern.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::infer {
namespace {

constexpr const char* kObject = "{object}";
constexpr const char* kBand = "{band}";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

bool starts_with_at(const std::string& text, std::size_t at, const std::string& what) {
  return at <= text.size() && text.compare(at, what.size(), what) == 0 && at + what.size() <= text.size();
}

}  // namespace

BandFilePattern::BandFilePattern(std::string pattern) : pattern_(std::move(pattern)) {
  if (pattern_.find('/') != std::string::npos || count(pattern_, kObject) != 1 || count(pattern_, kBand) != 1)
    throw ConfigError(fmt::format("--pattern '{}': must be a file name (no '/') with {} once and {} once, e.g. "
                                  "'{{object}}_{{band}}.fits'",
                                  pattern_, kObject, kBand));
  const std::size_t o = pattern_.find(kObject), b = pattern_.find(kBand);
  object_first_ = o < b;
  const std::size_t first = std::min(o, b), second = std::max(o, b);
  const std::size_t first_len = object_first_ ? std::string(kObject).size() : std::string(kBand).size();
  const std::size_t second_len = object_first_ ? std::string(kBand).size() : std::string(kObject).size();
  literals_ = {pattern_.substr(0, first), pattern_.substr(first + first_len, second - first - first_len),
               pattern_.substr(second + second_len)};
}

std::string BandFilePattern::file_name(const std::string& object, const std::string& band) const {
  const std::string& a = object_first_ ? object : band;
  const std::string& b = object_first_ ? band : object;
  return literals_[0] + a + literals_[1] + b + literals_[2];
}

std::optional<std::string> BandFilePattern::object_of(const std::string& name, const std::string& band) const {
  const std::string& head = literals_[0];
  const std::string& tail = literals_[2];
  if (name.size() < head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
    return std::nullopt;
  const std::string middle = name.substr(head.size(), name.size() - head.size() - tail.size());
  // middle = object + literals_[1] + band, or band + literals_[1] + object.
  const std::string band_part = object_first_ ? literals_[1] + band : band + literals_[1];
  if (middle.size() <= band_part.size()) return std::nullopt;
  if (object_first_) {
    if (!starts_with_at(middle, middle.size() - band_part.size(), band_part)) return std::nullopt;
    return middle.substr(0, middle.size() - band_part.size());
  }
  if (middle.compare(0, band_part.size(), band_part) != 0) return std::nullopt;
  return middle.substr(band_part.size());
}

}  // namespace lensforge::infer

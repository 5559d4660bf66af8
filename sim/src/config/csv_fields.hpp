#pragma once
// Internal: the field splitting shared by lensforge's CSV readers (population catalogs, stamp
// libraries, hybrid cutout catalogs): comma-separated, no quoting, fields trimmed of blanks.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

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

/// A CSV file of named columns: '#' starts a comment, blank lines are skipped, the first other line
/// is the header.
struct CsvTable {
  struct Row {
    int line = 0;                      ///< 1-based line in the file
    std::vector<std::string> fields;   ///< as many as the header's
  };
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  std::vector<Row> rows;

  bool has(const std::string& c) const { return column.count(c) > 0; }
  /// The row's field of column `c`, "" when the file has no such column.
  std::string get(const Row& r, const std::string& c) const {
    const auto it = column.find(c);
    return it == column.end() ? std::string() : r.fields[it->second];
  }
};

/// Reads `path` as a `what` ("stamp catalog"). Throws IoError when unreadable, ConfigError
/// "PATH:LINE: ..." for a header without one of `required` (naming `needed`, e.g. the column list)
/// and "PATH:LINE: row 'NAME': has N fields, the header has M" (NAME: the row's `name` field).
inline CsvTable read_csv_table(const std::string& path, const std::string& what,
                               const std::vector<std::string>& required, const std::string& needed) {
  std::ifstream in(path);
  if (!in) throw IoError(fmt::format("cannot open {} '{}'", what, path));
  CsvTable t;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    if (const auto h = line.find('#'); h != std::string::npos) line.resize(h);
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split_fields(line);
    if (t.header.empty()) {
      t.header = f;
      for (std::size_t k = 0; k < f.size(); ++k) t.column[f[k]] = k;
      for (const std::string& r : required)
        if (!t.has(r))
          throw ConfigError(fmt::format("{}:{}: {} header has no column '{}'; needed: {}", path, lineno, what, r, needed));
      continue;
    }
    if (f.size() != t.header.size()) {
      const auto n = t.column.find("name");
      const std::string name = n != t.column.end() && n->second < f.size() ? f[n->second] : "";
      throw ConfigError(fmt::format("{}:{}: row '{}': has {} fields, the header has {}", path, lineno, name, f.size(),
                                    t.header.size()));
    }
    t.rows.push_back({lineno, std::move(f)});
  }
  return t;
}

}  // namespace lensforge::detail

#include "lensforge/sim/population/catalog.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "../config/csv_fields.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge {

using detail::split_fields;
using detail::trim;

std::optional<std::size_t> Catalog::column_index(std::string_view column) const {
  for (std::size_t k = 0; k < columns.size(); ++k)
    if (columns[k] == column) return k;
  return std::nullopt;
}

Catalog parse_catalog_csv(const std::string& text, const std::string& source_name, std::string name) {
  Catalog cat;
  cat.name = std::move(name);
  cat.path = source_name;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  bool have_header = false;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(std::string_view(raw).substr(0, raw.find('#')));
    if (line.empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    if (!have_header) {
      for (std::size_t k = 0; k < fields.size(); ++k) {
        if (fields[k].empty())
          throw ConfigError(fmt::format("{}:{}: catalog header: column {} has no name", source_name, line_no, k + 1));
        if (cat.column_index(fields[k]))
          throw ConfigError(
              fmt::format("{}:{}: catalog header: column name '{}' given twice", source_name, line_no, fields[k]));
        cat.columns.push_back(fields[k]);
      }
      cat.values.assign(cat.columns.size(), {});
      have_header = true;
      continue;
    }
    if (fields.size() != cat.columns.size())
      throw ConfigError(fmt::format("{}:{}: catalog row has {} values; the header names {} columns ({})", source_name,
                                    line_no, fields.size(), cat.columns.size(), fmt::join(cat.columns, ", ")));
    for (std::size_t k = 0; k < fields.size(); ++k) {
      const std::string& f = fields[k];
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(f.c_str(), &end);
      if (f.empty() || end != f.c_str() + f.size() || !std::isfinite(v))
        throw ConfigError(fmt::format("{}:{}: column '{}': '{}' is not a finite number", source_name, line_no,
                                      cat.columns[k], f));
      cat.values[k].push_back(v);
    }
  }
  if (!have_header) throw ConfigError(fmt::format("{}: catalog is empty: it needs a header row of column names", source_name));
  if (cat.num_rows() == 0) throw ConfigError(fmt::format("{}: catalog has a header but no rows", source_name));
  return cat;
}

Catalog load_catalog_csv(const std::string& path, std::string name) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(fmt::format("catalog '{}' is a folder", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open catalog '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read catalog '{}'", path));
  return parse_catalog_csv(text.str(), path, std::move(name));
}

}  // namespace lensforge

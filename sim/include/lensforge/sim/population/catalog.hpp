#pragma once
// A CSV catalog that population parameters can draw from (catalogs/*.csv, see catalogs/README.md):
//   # comment lines start with '#' (also after a value: the rest of the line is a comment)
//   z_lens,sigma_v,z_source          <- header row: column names, unique
//   0.35,245,1.8                     <- one row per object: finite numbers, one per column
// Blank lines are ignored. A sample draws one row per catalog (population/distribution.hpp).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lensforge {

struct Catalog {
  std::string name;                         ///< the name the config gives it
  std::string path;                         ///< file it was read from
  std::vector<std::string> columns;         ///< header names, in file order
  std::vector<std::vector<double>> values;  ///< values[column][row]

  std::size_t num_rows() const { return values.empty() ? 0 : values.front().size(); }
  /// Index of the column called `column`, if any.
  std::optional<std::size_t> column_index(std::string_view column) const;
};

/// Parses CSV text; `source_name` stands for the file in messages. Throws ConfigError
/// "FILE:LINE: ..." for a missing header, duplicate or empty column names, a row with the wrong
/// number of fields, a value that is not a finite number, or no rows at all.
Catalog parse_catalog_csv(const std::string& text, const std::string& source_name, std::string name);

/// Reads a catalog file (IoError when it cannot be read).
Catalog load_catalog_csv(const std::string& path, std::string name);

}  // namespace lensforge

#include "lensforge/infer/input_item.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <exception>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "lensforge/infer/band_file_pattern.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"

namespace lensforge::infer {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_fits_name(const std::string& name) {
  const std::string n = lower(name);
  for (const char* ext : {".fits", ".fit", ".fts", ".fits.gz"})
    if (ends_with(n, ext)) return true;
  return false;
}

std::vector<std::string> sorted_files(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Pattern mode: the objects of a folder, or of one file.
class PatternObjects {
 public:
  PatternObjects(const std::string& pattern, const std::vector<std::string>& bands) : pattern_(pattern), bands_(bands) {
    if (bands_.empty()) throw ConfigError("--pattern needs the model's bands, and it has none");
  }

  std::optional<std::string> object_of(const std::string& file_name) const {
    for (const std::string& band : bands_)
      if (auto object = pattern_.object_of(file_name, band)) return object;
    return std::nullopt;
  }

  void add(const fs::path& dir, const std::string& object, std::vector<InputItem>& items) {
    const std::string id = (dir / object).string();
    if (!seen_.insert(id).second) return;
    InputItem item;
    item.kind = InputKind::FITS_BANDS;
    item.id = id;
    for (const std::string& band : bands_) item.paths.push_back((dir / pattern_.file_name(object, band)).string());
    items.push_back(std::move(item));
  }

 private:
  BandFilePattern pattern_;
  std::vector<std::string> bands_;
  std::set<std::string> seen_;
};

}  // namespace

bool is_dataset_path(const std::string& path) {
  std::string n = lower(path);
  if (ends_with(n, ".partial")) n.resize(n.size() - 8);
  return ends_with(n, ".h5") || ends_with(n, ".hdf5");
}

std::vector<InputItem> list_inputs(const std::vector<std::string>& inputs, const std::string& pattern,
                                   const std::vector<std::string>& bands) {
  std::vector<InputItem> items;
  std::optional<PatternObjects> objects;
  if (!pattern.empty()) objects.emplace(pattern, bands);
  for (const std::string& input : inputs) {
    std::error_code ec;
    const fs::file_status st = fs::status(input, ec);
    if (ec || !fs::exists(st)) throw ConfigError(fmt::format("input '{}' does not exist", input));
    if (fs::is_directory(st)) {
      for (const std::string& name : sorted_files(input)) {
        if (objects) {
          if (auto object = objects->object_of(name)) objects->add(input, *object, items);
        } else if (is_fits_name(name)) {
          items.push_back({InputKind::FITS_FILE, (fs::path(input) / name).string(), {(fs::path(input) / name).string()}, -1});
        }
      }
    } else if (is_dataset_path(input)) {
      const DatasetReader reader(input);
      for (std::int64_t i = 0; i < reader.num_images(); ++i) items.push_back({InputKind::DATASET, input, {input}, i});
    } else if (objects) {
      const fs::path p(input);
      const auto object = objects->object_of(p.filename().string());
      if (!object)
        throw ConfigError(fmt::format("input '{}' does not match --pattern '{}' for any band", input, pattern));
      objects->add(p.parent_path(), *object, items);
    } else {
      items.push_back({InputKind::FITS_FILE, input, {input}, -1});
    }
  }
  return items;
}

std::vector<InputItem> list_inputs_keeping_errors(const std::vector<std::string>& inputs, const std::string& pattern,
                                                  const std::vector<std::string>& bands) {
  if (!pattern.empty()) BandFilePattern check(pattern);  // a bad pattern is an error of the command, not of an input
  std::vector<InputItem> items;
  std::set<std::string> objects;
  for (const std::string& input : inputs) {
    try {
      for (InputItem& item : list_inputs({input}, pattern, bands))
        if (item.kind != InputKind::FITS_BANDS || objects.insert(item.id).second) items.push_back(std::move(item));
    } catch (const std::exception& e) {
      InputItem bad{InputKind::FITS_FILE, input, {input}, -1, e.what()};
      items.push_back(std::move(bad));
    }
  }
  return items;
}

}  // namespace lensforge::infer

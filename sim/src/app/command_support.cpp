#include "command_support.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace lensforge::app {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool has_extension(const std::string& path, std::initializer_list<const char*> exts) {
  const std::string ext = lower(fs::path(path).extension().string());
  return std::any_of(exts.begin(), exts.end(), [&](const char* e) { return ext == e; });
}

void check_output(const std::string& path, const std::string& scene_path, bool overwrite) {
  const fs::path p(path);
  std::error_code ec;
  const fs::path folder = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  if (!fs::is_directory(folder, ec)) throw BadInput(fmt::format("output folder '{}' does not exist", folder.string()));
  if (fs::is_directory(p, ec)) throw BadInput(fmt::format("output '{}' is a folder", path));
  if (fs::equivalent(p, fs::path(scene_path), ec)) throw BadInput(fmt::format("output '{}' is the scene file", path));
  if (fs::exists(p, ec) && !overwrite)
    throw BadInput(fmt::format("output '{}' exists; use --overwrite to replace it", path));
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

std::string hdu_list(const std::vector<FitsImageHdu>& hdus) {
  std::string s;
  for (const auto& h : hdus) s += (s.empty() ? "" : ", ") + h.extname;
  return s;
}

}  // namespace lensforge::app

#pragma once
// Helpers shared by the tests: locating reference files, reading text, JSON and .npy arrays.
#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace lensforge::test {

inline std::string shared_path(const std::string& rel) { return std::string(LENSFORGE_SHARED_DIR) + "/" + rel; }
inline std::string source_path(const std::string& rel) { return std::string(LENSFORGE_SOURCE_DIR) + "/" + rel; }

/// The whole file as bytes ("" when it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A folder of the running test's own: <tmp>/<prefix><gtest random seed>_<test name>, created.
inline std::string test_dir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance();
  const auto d = std::filesystem::temp_directory_path() /
                 (prefix + std::to_string(info->random_seed()) + "_" + info->current_test_info()->name());
  std::filesystem::create_directories(d);
  return d.string();
}

/// Writes `text` to `path`; returns `path`.
inline std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// Runs `cmd` with /bin/sh; its exit status, -1 if it did not exit normally.
inline int shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

/// A float64 C-order .npy array (version 1 header), as written by numpy.save.
struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> data;
};

inline NpyArray read_npy_f64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[6];
  in.read(magic, 6);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("not a .npy file: " + path);
  unsigned char ver[2];
  in.read(reinterpret_cast<char*>(ver), 2);
  std::uint32_t hlen = 0;
  if (ver[0] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    hlen = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t(b[3]) << 24);
  }
  std::string header(hlen, '\0');
  in.read(header.data(), hlen);
  if (header.find("'<f8'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error("expected little-endian float64 C-order .npy: " + path);
  NpyArray a;
  const auto l = header.find('('), r = header.find(')');
  std::stringstream ss(header.substr(l + 1, r - l - 1));
  std::string tok;
  std::size_t count = 1;
  while (std::getline(ss, tok, ','))
    if (tok.find_first_of("0123456789") != std::string::npos) {
      a.shape.push_back(std::stoul(tok));
      count *= a.shape.back();
    }
  a.data.resize(count);
  in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(count * sizeof(double)));
  if (!in) throw std::runtime_error("truncated .npy: " + path);
  return a;
}

}  // namespace lensforge::test

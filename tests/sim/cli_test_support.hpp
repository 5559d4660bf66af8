#pragma once
// Running the built lensforge-sim in a temporary folder per test, and reading what it wrote.
#include <gtest/gtest.h>
#include <fitsio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef LENSFORGE_SIM_EXE
#error "LENSFORGE_SIM_EXE (the path of lensforge-sim) must be defined by tests/CMakeLists.txt"
#endif

namespace lensforge::test::cli {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// A fresh folder per test: work/ for the command's files, log/ for its stdout and stderr.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("lensforge_cli_" + std::to_string(::getpid()) + "_" +
                                         info->test_suite_name() + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(work());
    fs::create_directories(root_ / "log");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path work() const { return root_ / "work"; }

  struct Result {
    int status = -1;
    std::string out, err;
  };
  /// Runs lensforge-sim with `args` (already shell-quoted where needed) inside work/, with the
  /// environment variable assignments `env` ("NAME=value ...") and without LENSFORGE_CONFIGS
  /// unless `env` sets it.
  Result run(const std::string& args, const std::string& env = "") const {
    const fs::path out = root_ / "log" / "stdout", err = root_ / "log" / "stderr";
    const std::string cmd = "cd '" + work().string() + "' && env -u LENSFORGE_CONFIGS " + env + " '" LENSFORGE_SIM_EXE
                            "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(out), read_text(err)};
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(work())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  /// The command failed as bad input: status 2, one error line holding `part`, no new files.
  void expect_bad_input(const Result& r, const std::string& part, const std::vector<std::string>& files_before) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind("lensforge-sim: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
    EXPECT_EQ(files(), files_before);
  }

  fs::path root_;
};

struct FitsCloser {
  void operator()(fitsfile* f) const {
    int status = 0;
    fits_close_file(f, &status);
  }
};

struct Hdu {
  std::string extname;
  int bitpix = 0;
  long nx = 0, ny = 0;
  std::vector<float> pixels;
  std::map<std::string, std::string> cards;  // key -> value text (strings without quotes)
};

inline std::vector<Hdu> read_fits(const fs::path& path) {
  int status = 0;
  fitsfile* raw = nullptr;
  if (fits_open_file(&raw, path.c_str(), READONLY, &status)) throw std::runtime_error("cannot open " + path.string());
  std::unique_ptr<fitsfile, FitsCloser> f(raw);
  int n = 0;
  fits_get_num_hdus(raw, &n, &status);
  std::vector<Hdu> hdus;
  for (int i = 1; i <= n; ++i) {
    int type = 0;
    fits_movabs_hdu(raw, i, &type, &status);
    Hdu h;
    int nkeys = 0;
    fits_get_hdrspace(raw, &nkeys, nullptr, &status);
    for (int k = 1; k <= nkeys; ++k) {
      char key[FLEN_KEYWORD], value[FLEN_VALUE], comment[FLEN_COMMENT];
      fits_read_keyn(raw, k, key, value, comment, &status);
      std::string v = value;
      if (v.size() >= 2 && v.front() == '\'') {  // 'text   ' -> text
        v = v.substr(1, v.rfind('\'') - 1);
        v.erase(v.find_last_not_of(' ') + 1);
      }
      h.cards[key] = v;
    }
    h.extname = h.cards.count("EXTNAME") ? h.cards["EXTNAME"] : "";
    fits_get_img_equivtype(raw, &h.bitpix, &status);  // USHORT_IMG for BITPIX 16 + BZERO 32768
    long naxes[2] = {0, 0};
    int naxis = 0;
    fits_get_img_dim(raw, &naxis, &status);
    fits_get_img_size(raw, 2, naxes, &status);
    h.nx = naxes[0], h.ny = naxes[1];
    h.pixels.resize(std::size_t(h.nx * h.ny));
    long first[2] = {1, 1};
    fits_read_pix(raw, TFLOAT, first, LONGLONG(h.pixels.size()), nullptr, h.pixels.data(), nullptr, &status);
    if (status) throw std::runtime_error("cfitsio error reading " + path.string());
    hdus.push_back(std::move(h));
  }
  return hdus;
}

/// Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian).
inline std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& p) {
  const std::string s = read_text(p);
  if (s.size() < 24 || s.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](std::size_t o) {
    return std::uint32_t(std::uint8_t(s[o])) << 24 | std::uint32_t(std::uint8_t(s[o + 1])) << 16 |
           std::uint32_t(std::uint8_t(s[o + 2])) << 8 | std::uint32_t(std::uint8_t(s[o + 3]));
  };
  return {be32(16), be32(20)};
}

/// A PNG's colour type (IHDR byte 25): 0 greyscale, 2 RGB; -1 if not a PNG.
inline int png_colour_type(const fs::path& p) {
  const std::string s = read_text(p);
  return s.size() < 26 || s.compare(1, 3, "PNG") != 0 ? -1 : int(std::uint8_t(s[25]));
}

inline const Hdu& hdu(const std::vector<Hdu>& hdus, const std::string& name) {
  for (const Hdu& h : hdus)
    if (h.extname == name) return h;
  throw std::runtime_error("no HDU " + name);
}

inline double sum(const Hdu& h) {
  double s = 0;
  for (float v : h.pixels) s += v;
  return s;
}

inline double card(const Hdu& h, const std::string& key) { return std::stod(h.cards.at(key)); }

}  // namespace lensforge::test::cli

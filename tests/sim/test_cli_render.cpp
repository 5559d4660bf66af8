// End-to-end tests of `lensforge-sim render`: runs the built executable in temporary folders.
#include <gtest/gtest.h>
#include <fitsio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

#ifndef LENSFORGE_SIM_EXE
#error "LENSFORGE_SIM_EXE (the path of lensforge-sim) must be defined by tests/CMakeLists.txt"
#endif

namespace fs = std::filesystem;

namespace {

// Small grid, two sources (SOURCE_1, SOURCE_2), a PSF: renders in milliseconds.
const std::string kGoodScene = R"(grid: {nx: 24, ny: 20, pixel_scale: 0.15, supersampling: 2}
psf: {type: GAUSSIAN, fwhm: 0.2}
flux_unit: electron/s
lens:
  - {type: SIE, z: 0.4, theta_E: 1.0, e1: 0.05, e2: 0.0, center_x: 0, center_y: 0}
lens_light:
  - {type: SERSIC_ELLIPSE, flux: 40, R_sersic: 0.6, n_sersic: 4, e1: 0.05, e2: 0, center_x: 0, center_y: 0}
source_light:
  - {type: SERSIC_ELLIPSE, z: 1.2, flux: 3, R_sersic: 0.15, n_sersic: 1, e1: 0, e2: 0.1, center_x: 0.05, center_y: 0}
  - {type: GAUSSIAN, z: 2.0, flux: 2, sigma: 0.1, center_x: -0.1, center_y: 0.05}
)";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// A fresh folder per test: work/ for the command's files, log/ for its stdout and stderr.
class CliRender : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / ("lensforge_cli_" + std::to_string(::getpid()) + "_" + info->name());
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
  /// Runs lensforge-sim with `args` (already shell-quoted where needed) inside work/.
  Result run(const std::string& args) const {
    const fs::path out = root_ / "log" / "stdout", err = root_ / "log" / "stderr";
    const std::string cmd = "cd '" + work().string() + "' && '" LENSFORGE_SIM_EXE "' " + args + " >'" + out.string() +
                            "' 2>'" + err.string() + "'";
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
  long nx = 0, ny = 0;
  std::vector<float> pixels;
  std::map<std::string, std::string> cards;  // key -> value text (strings without quotes)
};

std::vector<Hdu> read_fits(const fs::path& path) {
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
std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& p) {
  const std::string s = read_text(p);
  if (s.size() < 24 || s.compare(1, 3, "PNG") != 0) return {0, 0};
  auto be32 = [&](std::size_t o) {
    return std::uint32_t(std::uint8_t(s[o])) << 24 | std::uint32_t(std::uint8_t(s[o + 1])) << 16 |
           std::uint32_t(std::uint8_t(s[o + 2])) << 8 | std::uint32_t(std::uint8_t(s[o + 3]));
  };
  return {be32(16), be32(20)};
}

}  // namespace

TEST_F(CliRender, GoodSceneWritesFitsWithEveryComponentAndAPngPreview) {
  write_text(work() / "good.yaml", kGoodScene);
  const Result r = run("render good.yaml -o good.fits --threads 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("wrote good.fits [TOTAL, LENS_LIGHT, SOURCE, SOURCE_1, SOURCE_2] and good.png"),
            std::string::npos) << r.out;
  EXPECT_EQ(files(), (std::vector<std::string>{"good.fits", "good.png", "good.yaml"}));

  const auto hdus = read_fits(work() / "good.fits");
  ASSERT_EQ(hdus.size(), 5u);
  const std::vector<std::string> names = {"TOTAL", "LENS_LIGHT", "SOURCE", "SOURCE_1", "SOURCE_2"};
  for (std::size_t i = 0; i < hdus.size(); ++i) {
    SCOPED_TRACE(names[i]);
    const Hdu& h = hdus[i];
    EXPECT_EQ(h.extname, names[i]);
    EXPECT_EQ(h.nx, 24);
    EXPECT_EQ(h.ny, 20);
    EXPECT_EQ(h.cards.at("BUNIT"), "electron/s");
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("PIXSCALE")), 0.15);
    EXPECT_EQ(h.cards.at("SUPERSMP"), "2");
    EXPECT_DOUBLE_EQ(std::stod(h.cards.at("PSFFWHM")), 0.2);
    EXPECT_EQ(h.cards.at("SCENE"), "good.yaml");
    EXPECT_EQ(h.cards.at("LFVERSN"), LENSFORGE_VERSION);
    EXPECT_NE(h.cards.at("CTYPE1").find("TAN"), std::string::npos);
  }
  EXPECT_DOUBLE_EQ(std::stod(hdus[3].cards.at("ZSOURCE")), 1.2);
  EXPECT_DOUBLE_EQ(std::stod(hdus[4].cards.at("ZSOURCE")), 2.0);

  // TOTAL = LENS_LIGHT + SOURCE and SOURCE = SOURCE_1 + SOURCE_2, to float rounding.
  double lens = 0, s1 = 0, s2 = 0;
  for (std::size_t k = 0; k < hdus[0].pixels.size(); ++k) {
    EXPECT_NEAR(hdus[0].pixels[k], hdus[1].pixels[k] + hdus[2].pixels[k], 1e-5f * (1 + hdus[0].pixels[k]));
    EXPECT_NEAR(hdus[2].pixels[k], hdus[3].pixels[k] + hdus[4].pixels[k], 1e-5f * (1 + hdus[2].pixels[k]));
    lens += hdus[1].pixels[k], s1 += hdus[3].pixels[k], s2 += hdus[4].pixels[k];
  }
  // The lens light (total flux 40, half-light radius 0.6") is mostly inside the 3.6" x 3" field;
  // both sources are lensed into it and magnified.
  EXPECT_GT(lens, 0.6 * 40);
  EXPECT_LT(lens, 40);
  EXPECT_GT(s1, 3);
  EXPECT_GT(s2, 2);

  EXPECT_EQ(png_size(work() / "good.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 20}));
}

TEST_F(CliRender, ReferenceSceneReproducesTheLenstronomyImages) {
  // configs/scenes/lenstronomy_reference.yaml through the whole command, against the lenstronomy
  // 1.14.2 images of shared/reference/images (ss3 case). FITS stores float32 and the renderer
  // traces rays in float32: agreement to 1e-5 of the peak leaves room for both (measured: 2e-7).
  const std::string scene = lensforge::test::source_path("configs/scenes/lenstronomy_reference.yaml");
  const Result r = run("render '" + scene + "' -o ref.fits --no-png");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto hdus = read_fits(work() / "ref.fits");
  ASSERT_EQ(hdus.size(), 3u);
  const std::string dir = lensforge::test::shared_path("reference/images/sie_shear_sersic_100x100_ss3");
  const std::vector<std::string> files = {dir + ".npy", dir + "_lens_light.npy", dir + "_source.npy"};
  for (std::size_t h = 0; h < 3; ++h) {
    SCOPED_TRACE(hdus[h].extname);
    const auto ref = lensforge::test::read_npy_f64(files[h]);
    ASSERT_EQ(ref.data.size(), hdus[h].pixels.size());
    const double peak = *std::max_element(ref.data.begin(), ref.data.end());
    double worst = 0;
    for (std::size_t k = 0; k < ref.data.size(); ++k) worst = std::max(worst, std::abs(hdus[h].pixels[k] - ref.data[k]));
    EXPECT_LT(worst, 1e-5 * peak);
  }
}

TEST_F(CliRender, PngOptions) {
  write_text(work() / "good.yaml", kGoodScene);
  ASSERT_EQ(run("render good.yaml -o a.fits --no-png").status, 0);
  EXPECT_EQ(files(), (std::vector<std::string>{"a.fits", "good.yaml"}));
  ASSERT_EQ(run("render good.yaml -o b.fits --png preview.png").status, 0);
  EXPECT_EQ(png_size(work() / "preview.png"), (std::pair<std::uint32_t, std::uint32_t>{24, 20}));
  EXPECT_FALSE(fs::exists(work() / "b.png"));
}

TEST_F(CliRender, BadScenesExitWithStatus2NameTheKeyAndWriteNothing) {
  write_text(work() / "typo.yaml", [] {
    std::string s = kGoodScene;
    s.replace(s.find("theta_E"), 7, "theta_e");
    return s;
  }());
  const auto before = files();
  expect_bad_input(run("render typo.yaml -o out.fits"), "typo.yaml:5: lens[0].theta_e: unknown parameter of SIE",
                   before);

  write_text(work() / "front.yaml", [] {
    std::string s = kGoodScene;
    s.replace(s.find("z: 1.2"), 6, "z: 0.3");
    return s;
  }());
  expect_bad_input(run("render front.yaml -o out.fits"), "source_light[0].z = 0.3 is not behind the lens", files());
  expect_bad_input(run("render missing.yaml -o out.fits"), "missing.yaml", files());
}

TEST_F(CliRender, ExistingOutputIsNotClobberedWithoutOverwrite) {
  write_text(work() / "good.yaml", kGoodScene);
  write_text(work() / "out.fits", "precious");
  const auto before = files();
  expect_bad_input(run("render good.yaml -o out.fits"), "--overwrite", before);
  EXPECT_EQ(read_text(work() / "out.fits"), "precious");
  EXPECT_FALSE(fs::exists(work() / "out.png"));

  // An existing preview also blocks the run.
  write_text(work() / "other.png", "keep");
  expect_bad_input(run("render good.yaml -o new.fits --png other.png"), "other.png", files());

  const Result r = run("render good.yaml -o out.fits --overwrite");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(work() / "out.fits").rfind("SIMPLE  =", 0), 0u);
  EXPECT_TRUE(fs::exists(work() / "out.png"));
}

TEST_F(CliRender, CommandLineErrorsExitWithStatus2) {
  write_text(work() / "good.yaml", kGoodScene);
  const auto before = files();
  expect_bad_input(run("render good.yaml"), "--output", before);
  expect_bad_input(run("render good.yaml -o x.fits --png x.png --no-png"), "--no-png", before);
  expect_bad_input(run("render good.yaml -o x.fits --threads 0"), "--threads", before);
  expect_bad_input(run("render good.yaml -o x.png"), ".fits", before);
  expect_bad_input(run("render good.yaml -o nofolder/x.fits"), "nofolder", before);
  expect_bad_input(run("rendr good.yaml"), "rendr", before);
  expect_bad_input(run(""), "subcommand", before);
}

TEST_F(CliRender, HelpAndVersion) {
  Result r = run("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find(LENSFORGE_VERSION), std::string::npos) << r.out;
  r = run("render --help");
  EXPECT_EQ(r.status, 0);
  for (const char* s : {"SCENE", "--output", "--png", "--no-png", "--threads", "--overwrite", "configs/scenes"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << " not in:\n" << r.out;
}

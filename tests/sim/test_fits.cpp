// FITS reading and writing: real files made elsewhere (fits_zoo), every BITPIX with scaling and
// BLANK, tile compression, damaged files, exact round trips, failed writes, and astropy reading
// what we write.
#include <gtest/gtest.h>

#include <fitsio.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

std::string zoo(const std::string& name) { return test::shared_path("data/fits_zoo/" + name); }

/// A fresh folder under the system temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("lensforge_test_fits_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

/// Runs `fn`, expects an IoError whose message contains every one of `parts`.
void expect_io_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no IoError thrown; expected one mentioning '" << parts.front() << "'";
  } catch (const IoError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' missing in: " << msg;
  }
}

double num(const std::optional<std::string>& text) {
  EXPECT_TRUE(text.has_value());
  return text ? std::stod(*text) : std::numeric_limits<double>::quiet_NaN();
}

// Asserts a cfitsio status of 0 in the tests that build files with cfitsio directly.
#define FITS_OK(call)                                            \
  do {                                                           \
    int st_ = 0;                                                 \
    call;                                                        \
    ASSERT_EQ(st_, 0) << #call;                                  \
  } while (0)

struct Pixel {
  int i, j;
  double value;
};

struct ZooCase {
  std::string file;
  long rows, cols;
  int bitpix;
  std::vector<Pixel> pixels;  // exact values
  double sum, min, max;
  std::optional<double> pixel_scale;
  double pixel_scale_tol;
  std::string card_key, card_value;
};

// Expected values computed with /usr/bin/python3, astropy 5.2.1 and numpy:
//   d = fits.open(f)[0].data.astype(np.float64); d.shape, d[i, j], d.sum(), d.min(), d.max(),
//   np.isnan(d).sum() (0 for every file), header['BITPIX'], header[card_key];
//   pixel scale: header['PIXSCALE'] where present, otherwise
//   np.sqrt(astropy.wcs.utils.proj_plane_pixel_area(WCS(header))) * 3600 (None without a WCS).
const std::vector<ZooCase>& zoo_cases() {
  static const std::vector<ZooCase> cases = {
      {"autogalaxy_NGC2274_HST_data.fits", 600, 600, -64,
       {{0, 0, 2.4377644062042236}, {0, 599, 2.1662838459014893}, {599, 0, 2.3383584022521973},
        {300, 200, 13.37809944152832}, {599, 599, 1.985730767250061}},
       3047910.3491119146, 1.9228781461715698, 5245.69384765625, 0.1282500028610217, 0.0,
       "PIXSCALE", "0.1282500028610217"},
      {"autogalaxy_NGC2274_HST_noise_map.fits", 600, 600, -64,
       {{0, 0, 0.022070528354933026}, {0, 1, 0.022070532291971125}, {1, 0, 0.02207173712460216},
        {300, 200, 0.022374627295076756}, {599, 599, 0.02266883253406204}},
       8102.700242026104, 0.022066292010762194, 0.03302805603580778, 0.1282500028610217, 0.0,
       "PIXSCALE", "0.1282500028610217"},
      {"galsim_COSMOS_147246_ACS_F814W_masknoise.fits", 543, 543, -32,
       {{0, 0, -0.0014053619233891368}, {0, 542, 0.00024595498689450324}, {542, 0, 0.0024725107941776514},
        {271, 181, 0.0007899920456111431}, {10, 20, -0.0056296540424227715}},
       124.5632322434767, -0.012251900508999825, 0.06843437254428864, 0.030000000000000037, 1e-14,
       "TARGNAME", "COSMOS19-06"},
      {"photutils_M51_Bband_groundCCD.fits", 512, 512, 16,
       {{0, 0, 38.0}, {0, 511, 41.0}, {511, 0, 53.0}, {256, 170, 131.0}, {511, 511, 45.0}},
       28394234.0, -1.0, 19936.0, std::nullopt, 0.0, "OBJECT", "m51  B  600s"},
      {"photutils_M67_DSS_plate_starfield.fits.gz", 1059, 1059, 16,
       {{0, 0, 3326.0}, {0, 1058, 3516.0}, {1058, 0, 3658.0}, {529, 353, 3652.0}, {1058, 1058, 3525.0}},
       4473129377.0, 2331.0, 13374.0, std::nullopt, 0.0, "OBJECT", "M67"},
      {"challenge1_space_lens_imageEUC_VIS-100002.fits", 101, 101, -32,
       {{0, 0, -7.162225998912086e-13}, {0, 100, -7.604576148477482e-13}, {100, 0, 1.7197629767744943e-13},
        {50, 33, 2.8630350585971687e-13}, {1, 0, -1.3612968174578355e-12}},
       5.109323620302877e-10, -2.723963849621258e-12, 1.487074352546358e-11, 0.09999998897145483, 1e-15,
       "range x", "4.89661817911E-05"},
      {"challenge1_space_nolens_imageEUC_VIS-100004.fits", 101, 101, -32,
       {{0, 0, -3.130112813908015e-13}, {0, 1, 1.0540750130377807e-12}, {100, 0, 8.194381046107424e-13},
        {50, 33, 1.8244986684651243e-12}, {100, 100, 5.637073923966951e-13}},
       1.5806497155955303e-09, -2.8453756278218334e-12, 2.6652997517362387e-11, 0.09999998897145483, 1e-15,
       "HIERARCH range x", "4.89661817911001E-05"},
  };
  return cases;
}

}  // namespace

TEST(FitsZoo, EveryFileGivesAstropysPixelsHeaderAndScale) {
  for (const ZooCase& c : zoo_cases()) {
    SCOPED_TRACE(c.file);
    const FitsImage img = read_fits_image(zoo(c.file));
    ASSERT_EQ(img.data.rows(), c.rows);
    ASSERT_EQ(img.data.cols(), c.cols);
    EXPECT_EQ(img.hdu, 0);
    EXPECT_EQ(img.bitpix, c.bitpix);
    EXPECT_EQ(img.num_nan, 0);
    EXPECT_EQ(img.extname, "");
    // data(i, j) = astropy data[i, j]: the asymmetric pixels fix the orientation.
    for (const Pixel& p : c.pixels) EXPECT_EQ(img.data(p.i, p.j), p.value) << "pixel (" << p.i << ", " << p.j << ")";
    // Plain loops rather than Eigen's reductions, which make g++ 12 warn falsely on AVX-512.
    const double* first = img.data.data();
    const double* last = first + img.data.size();
    const auto [lo, hi] = std::minmax_element(first, last);
    EXPECT_EQ(*lo, c.min);
    EXPECT_EQ(*hi, c.max);
    double sum = 0, sum_abs = 0;
    for (const double* p = first; p != last; ++p) {
      sum += *p;
      sum_abs += std::abs(*p);
    }
    // Summation order differs from numpy's pairwise sum: allow rounding of ~1e-13 of sum|x|.
    EXPECT_NEAR(sum, c.sum, 1e-13 * sum_abs);
    EXPECT_EQ(img.card(c.card_key), c.card_value);
    const auto scale = img.pixel_scale_arcsec();
    ASSERT_EQ(scale.has_value(), c.pixel_scale.has_value());
    if (scale) {
      EXPECT_NEAR(*scale, *c.pixel_scale, c.pixel_scale_tol);
    }
    EXPECT_EQ(fits_hdu_names(zoo(c.file)), std::vector<std::string>{""});
  }
}

TEST(FitsZoo, HeaderKeepsEveryCardInOrder) {
  // astropy: len(header.cards) = 548 for the GalSim file, 90 of them blank (keyword '' and value
  // ''), so 458 cards carry something; 26 of those have a blank key and text, 9 are HISTORY.
  const FitsImage img = read_fits_image(zoo("galsim_COSMOS_147246_ACS_F814W_masknoise.fits"));
  EXPECT_EQ(img.header.size(), 458u);
  EXPECT_EQ(img.header.front(), (std::pair<std::string, std::string>{"SIMPLE", "T"}));
  EXPECT_EQ(img.header.back(),
            (std::pair<std::string, std::string>{"HISTORY", "  Other objects besides central one in postage stamp masked."}));
  EXPECT_EQ(std::count_if(img.header.begin(), img.header.end(), [](const auto& kv) { return kv.first.empty(); }), 26);
  EXPECT_EQ(img.card("EXPTIME"), "4056.");
  EXPECT_EQ(img.card("exptime"), "4056.");  // keys match ignoring case
  EXPECT_EQ(img.card("ORIENTAT"), "-82.234");
  EXPECT_EQ(img.card("NO_SUCH"), std::nullopt);
  // The challenge files' HIERARCH card keeps its lower-case name with a space.
  const FitsImage ch = read_fits_image(zoo("challenge1_space_lens_imageEUC_VIS-100002.fits"));
  EXPECT_EQ(ch.header[ch.header.size() - 3].first, "range x");
  EXPECT_EQ(ch.card("RA"), "-0.000421521941791019");
}

TEST(FitsZoo, ExplicitHduEqualsFirstImageHdu) {
  const std::string f = zoo("challenge1_space_lens_imageEUC_VIS-100002.fits");
  const FitsImage a = read_fits_image(f), b = read_fits_image(f, 0);
  EXPECT_TRUE((a.data == b.data).all());
}

TEST(FitsRead, EveryBitpixWithScalingBlankAndNan) {
  TempDir dir;
  const std::string path = dir.file("types.fits");
  // Values chosen so that every physical value is exact in float64: physical = BZERO + BSCALE * raw.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  {
    fitsfile* f = nullptr;
    FITS_OK(fits_create_file(&f, path.c_str(), &st_));
    long naxes[2] = {3, 2};
    auto add = [&](int bitpix, const char* name) {
      int st = 0;
      fits_create_img(f, bitpix, 2, naxes, &st);
      fits_write_key_str(f, "EXTNAME", name, "", &st);
      return st;
    };
    std::array<unsigned char, 6> u8 = {0, 1, 2, 127, 128, 255};
    ASSERT_EQ(add(BYTE_IMG, "U8"), 0);
    FITS_OK(fits_write_img(f, TBYTE, 1, 6, u8.data(), &st_));

    std::array<short, 6> i16 = {-32768, -2, 0, 7, 32767, -32767};
    ASSERT_EQ(add(SHORT_IMG, "I16_SCALED"), 0);
    FITS_OK(fits_write_key_dbl(f, "BSCALE", 0.5, -17, "", &st_));
    FITS_OK(fits_write_key_dbl(f, "BZERO", 100.0, -17, "", &st_));
    FITS_OK(fits_write_key_lng(f, "BLANK", -32768, "", &st_));
    FITS_OK(fits_set_bscale(f, 1.0, 0.0, &st_));  // write the raw stored integers
    FITS_OK(fits_write_img(f, TSHORT, 1, 6, i16.data(), &st_));

    std::array<unsigned short, 6> u16 = {0, 1, 65535, 40000, 32768, 12345};  // BITPIX 16, BZERO 32768
    ASSERT_EQ(add(USHORT_IMG, "U16"), 0);
    FITS_OK(fits_write_img(f, TUSHORT, 1, 6, u16.data(), &st_));

    std::array<int, 6> i32 = {-2147483647 - 1, 2147483647, 0, 1, -1, 123456789};
    ASSERT_EQ(add(LONG_IMG, "I32"), 0);
    FITS_OK(fits_write_img(f, TINT, 1, 6, i32.data(), &st_));

    std::array<LONGLONG, 6> i64 = {9007199254740991LL, -9007199254740991LL, 0, 1, 1LL << 40, -5};
    ASSERT_EQ(add(LONGLONG_IMG, "I64"), 0);
    FITS_OK(fits_write_img(f, TLONGLONG, 1, 6, i64.data(), &st_));

    std::array<float, 6> f32 = {std::numeric_limits<float>::quiet_NaN(), 1.5f, -0.1f, 3.4028235e38f, 1e-40f, 3.0f};
    ASSERT_EQ(add(FLOAT_IMG, "F32"), 0);
    FITS_OK(fits_write_img(f, TFLOAT, 1, 6, f32.data(), &st_));

    std::array<double, 6> f64 = {nan, nan, 0.1, -1e300, 5e-324, 2.0};
    ASSERT_EQ(add(DOUBLE_IMG, "F64"), 0);
    FITS_OK(fits_write_img(f, TDOUBLE, 1, 6, f64.data(), &st_));
    FITS_OK(fits_close_file(f, &st_));
  }
  struct Expect {
    int bitpix;
    std::array<double, 6> v;
    long long nans;
  };
  const std::vector<Expect> expect = {
      {8, {0, 1, 2, 127, 128, 255}, 0},
      {16, {nan, 99, 100, 103.5, 16483.5, -16283.5}, 1},
      {16, {0, 1, 65535, 40000, 32768, 12345}, 0},
      {32, {-2147483648.0, 2147483647.0, 0, 1, -1, 123456789}, 0},
      {64, {9007199254740991.0, -9007199254740991.0, 0, 1, 1099511627776.0, -5}, 0},
      {-32, {nan, 1.5, double(-0.1f), double(3.4028235e38f), double(1e-40f), 3}, 1},
      {-64, {nan, nan, 0.1, -1e300, 5e-324, 2}, 2},
  };
  const std::vector<std::string> names = {"U8", "I16_SCALED", "U16", "I32", "I64", "F32", "F64"};
  ASSERT_EQ(fits_hdu_names(path), names);
  for (std::size_t k = 0; k < expect.size(); ++k) {
    SCOPED_TRACE(names[k]);
    const FitsImage img = read_fits_image(path, int(k));
    EXPECT_EQ(img.extname, names[k]);
    EXPECT_EQ(img.bitpix, expect[k].bitpix);
    EXPECT_EQ(img.num_nan, expect[k].nans);
    ASSERT_EQ(img.data.rows(), 2);
    ASSERT_EQ(img.data.cols(), 3);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) {
        const double want = expect[k].v[i * 3 + j];
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(img.data(i, j))) << i << "," << j;
        else
          EXPECT_EQ(img.data(i, j), want) << i << "," << j;
      }
  }
  // By name, ignoring case.
  EXPECT_EQ(read_fits_image(path, "i16_scaled").hdu, 1);
  expect_io_error([&] { read_fits_image(path, "SCI"); }, {path, "no HDU has EXTNAME 'SCI'", "1 'I16_SCALED'"});
}

TEST(FitsRead, TileCompressedImagesReadTransparently) {
  TempDir dir;
  const std::string rice = dir.file("rice.fits"), gz = dir.file("gzip.fits");
  ImageD want_int(30, 40);
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 40; ++j) want_int(i, j) = i * 37 + j * 11 - 500;
  std::vector<float> floats(12 * 9);
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss(0.f, 3.f);
  for (float& v : floats) v = gauss(rng);
  floats[5] = std::numeric_limits<float>::quiet_NaN();
  {
    // "[compress]" file-name suffix: RICE_1 tiles, lossless for integers.
    fitsfile* f = nullptr;
    FITS_OK(fits_create_file(&f, (rice + "[compress]").c_str(), &st_));
    long naxes[2] = {40, 30};
    FITS_OK(fits_create_img(f, LONG_IMG, 2, naxes, &st_));
    FITS_OK(fits_write_key_str(f, "EXTNAME", "SCI", "", &st_));
    FITS_OK(fits_write_key_dbl(f, "PIXSCALE", 0.05, -15, "arcsec", &st_));
    std::vector<int> raw(want_int.data(), want_int.data() + want_int.size());
    FITS_OK(fits_write_img(f, TINT, 1, LONGLONG(raw.size()), raw.data(), &st_));
    FITS_OK(fits_close_file(f, &st_));
    // fits_set_compression_type: GZIP_2 on unquantised floats, lossless (NaN kept).
    FITS_OK(fits_create_file(&f, gz.c_str(), &st_));
    FITS_OK(fits_set_compression_type(f, GZIP_2, &st_));
    FITS_OK(fits_set_quantize_level(f, 0.0, &st_));
    long n2[2] = {9, 12};
    FITS_OK(fits_create_img(f, FLOAT_IMG, 2, n2, &st_));
    FITS_OK(fits_write_img(f, TFLOAT, 1, LONGLONG(floats.size()), floats.data(), &st_));
    FITS_OK(fits_close_file(f, &st_));
    // Both really are tile-compressed (a binary-table HDU 1 that cfitsio presents as an image).
    for (const auto& p : {rice, gz}) {
      FITS_OK(fits_open_file(&f, p.c_str(), READONLY, &st_));
      int type = 0;
      FITS_OK(fits_movabs_hdu(f, 2, &type, &st_));
      EXPECT_EQ(fits_is_compressed_image(f, &type), 1) << p;
      FITS_OK(fits_close_file(f, &st_));
    }
  }
  const FitsImage a = read_fits_image(rice);  // skips the empty primary
  EXPECT_EQ(a.hdu, 1);
  EXPECT_EQ(a.bitpix, 32);
  EXPECT_EQ(a.extname, "SCI");
  EXPECT_TRUE((a.data == want_int).all());
  EXPECT_EQ(a.pixel_scale_arcsec(), 0.05);
  EXPECT_EQ(a.header.front().first, "XTENSION");  // the uncompressed image's header, no ZIMAGE cards
  EXPECT_EQ(a.card("ZIMAGE"), std::nullopt);
  EXPECT_EQ(a.card("NAXIS1"), "40");
  EXPECT_EQ(read_fits_image(rice, "sci").hdu, 1);

  const FitsImage b = read_fits_image(gz);
  EXPECT_EQ(b.bitpix, -32);
  EXPECT_EQ(b.num_nan, 1);
  ASSERT_EQ(b.data.rows(), 12);
  ASSERT_EQ(b.data.cols(), 9);
  for (int k = 0; k < 12 * 9; ++k) {
    if (k != 5) {
      EXPECT_EQ(b.data(k / 9, k % 9), double(floats[k])) << k;
    }
  }
  EXPECT_TRUE(std::isnan(b.data(0, 5)));
}

TEST(FitsRead, DamagedAndMissingFilesGiveClearErrors) {
  TempDir dir;
  const std::string missing = dir.file("nope.fits");
  expect_io_error([&] { read_fits_image(missing); }, {missing, "no such file"});
  expect_io_error([&] { fits_hdu_names(missing); }, {missing, "no such file"});
  expect_io_error([&] { read_fits_image(dir.file("")); }, {"folder"});

  for (const ZooCase& c : zoo_cases()) {
    SCOPED_TRACE(c.file);
    std::ifstream in(zoo(c.file), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 2880u);
    // Cut in half: the header survives, the pixels do not.
    const std::string half = dir.file("half_" + c.file);
    std::ofstream(half, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
    expect_io_error([&] { read_fits_image(half); }, {half, "cfitsio status"});
    // First bytes overwritten: no longer FITS (nor gzip).
    std::string bad = bytes;
    std::memcpy(bad.data(), "This is not a FITS file at all.", 31);
    const std::string garbled = dir.file("garbled_" + c.file);
    std::ofstream(garbled, std::ios::binary).write(bad.data(), std::streamsize(bad.size()));
    expect_io_error([&] { read_fits_image(garbled); }, {garbled, "not a FITS file", "cfitsio status"});
  }
  // An uncompressed file cut in half fails when the pixels are read, and says so.
  const std::string half = dir.file("half_autogalaxy_NGC2274_HST_data.fits");
  expect_io_error([&] { read_fits_image(half); }, {"HDU 0", "reading the 600 x 600 pixels failed", "truncated"});

  const std::string one = zoo("photutils_M51_Bband_groundCCD.fits");
  expect_io_error([&] { read_fits_image(one, 3); }, {one, "HDU 3 is out of range: the file has 1 HDU"});
}

TEST(FitsRead, HdusThatAreNot2DImagesAreRefused) {
  TempDir dir;
  const std::string path = dir.file("odd.fits"), cube = dir.file("cube.fits");
  {
    fitsfile* f = nullptr;
    FITS_OK(fits_create_file(&f, path.c_str(), &st_));
    FITS_OK(fits_create_img(f, FLOAT_IMG, 0, nullptr, &st_));  // primary without data
    long n3[3] = {4, 3, 2};
    FITS_OK(fits_create_img(f, FLOAT_IMG, 3, n3, &st_));
    std::vector<float> zeros(24, 0.f);
    FITS_OK(fits_write_img(f, TFLOAT, 1, 24, zeros.data(), &st_));
    char* ttype[] = {const_cast<char*>("FLUX")};
    char* tform[] = {const_cast<char*>("1E")};
    FITS_OK(fits_create_tbl(f, BINARY_TBL, 0, 1, ttype, tform, nullptr, "CAT", &st_));
    long n1[1] = {5};
    FITS_OK(fits_create_img(f, SHORT_IMG, 1, n1, &st_));
    FITS_OK(fits_close_file(f, &st_));
    // NAXIS = 3 with NAXIS3 = 1 is a 2-D image.
    FITS_OK(fits_create_file(&f, cube.c_str(), &st_));
    long n31[3] = {4, 3, 1};
    FITS_OK(fits_create_img(f, SHORT_IMG, 3, n31, &st_));
    std::vector<short> v(12);
    for (int k = 0; k < 12; ++k) v[k] = short(k);
    FITS_OK(fits_write_img(f, TSHORT, 1, 12, v.data(), &st_));
    FITS_OK(fits_close_file(f, &st_));
  }
  expect_io_error([&] { read_fits_image(path, 0); }, {path, "HDU 0", "not a 2-D image", "without data (NAXIS = 0)"});
  expect_io_error([&] { read_fits_image(path, 1); }, {"HDU 1", "3-D image (NAXIS = 3, 4 x 3 x 2)"});
  expect_io_error([&] { read_fits_image(path, "cat"); }, {"HDU 2 (EXTNAME 'CAT')", "a binary table"});
  expect_io_error([&] { read_fits_image(path, 3); }, {"HDU 3", "1-D image"});
  expect_io_error([&] { read_fits_image(path); }, {path, "no HDU holds a 2-D image", "2: a binary table"});
  EXPECT_EQ(fits_hdu_names(path), (std::vector<std::string>{"", "", "CAT", ""}));

  const FitsImage img = read_fits_image(cube);
  ASSERT_EQ(img.data.rows(), 3);
  ASSERT_EQ(img.data.cols(), 4);
  EXPECT_EQ(img.data(2, 1), 9.0);
}

namespace {

/// Three HDUs with cards and WCS; pixel values that exercise float32 corners.
std::vector<FitsImageHdu> sample_hdus() {
  std::vector<FitsImageHdu> hdus(3);
  hdus[0].extname = "SCI";
  hdus[0].data = ImageF(7, 5);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 5; ++j) hdus[0].data(i, j) = float(i * 10 + j) + 0.25f;
  hdus[0].wcs = FitsWcs{150.1, 2.2, 0.1};
  hdus[0].cards = {
      {"EXPTIME", 1500.25, "[s] exposure"},
      {"NCOMBINE", 4LL, "frames"},
      {"LENSED", true, ""},
      {"SIMULAT", false, "not a simulation? (it is)"},
      {"BAND", std::string("VIS"), "Euclid band"},
      {"QUOTE", std::string("it's"), ""},
      {"THETA_E_ARCSEC", 1.234567890123456789, "Einstein radius (HIERARCH: longer than 8)"},
      {"zLens", 0.5, "lower case: HIERARCH"},
      {"HIERARCH source mag", 24.5, "explicit HIERARCH with a space"},
      {"NOTE", std::string(100, 'x') + "end", "long string: CONTINUE cards"},
      {"HISTORY", std::string("made by the lensforge tests"), ""},
      {"COMMENT", std::string("one comment"), ""},
  };
  hdus[1].extname = "NOISE";
  hdus[1].data = ImageF(4, 6);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), -0.0f, 1e-45f, -3.4028235e38f,
                            std::numeric_limits<float>::infinity(), 0.1f, 1.0f / 3.0f, 16777217.0f};
  for (int k = 0; k < 24; ++k) hdus[1].data(k / 6, k % 6) = k < 8 ? specials[k] : std::ldexp(float(k), -k);
  hdus[1].wcs = FitsWcs{10.0, -45.0, 0.05};
  hdus[2].extname = "PSF";
  hdus[2].data = ImageF::Constant(3, 3, 1.0f / 9.0f);
  hdus[2].cards = {{"PIXSCALE", 0.025, "[arcsec/pixel]"}};
  return hdus;
}

bool same_bits(double read, float written) {
  const float r = float(read);
  return std::bit_cast<std::uint32_t>(r) == std::bit_cast<std::uint32_t>(written) ||
         (std::isnan(r) && std::isnan(written));
}

}  // namespace

TEST(FitsWrite, RoundTripIsExact) {
  TempDir dir;
  const std::string path = dir.file("out.fits");
  const auto hdus = sample_hdus();
  write_fits(path, hdus);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.fits"});  // no temporary left
  EXPECT_EQ(fits_hdu_names(path), (std::vector<std::string>{"SCI", "NOISE", "PSF"}));

  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(k);
    const FitsImage img = read_fits_image(path, k);
    EXPECT_EQ(img.extname, hdus[k].extname);
    EXPECT_EQ(img.bitpix, -32);
    ASSERT_EQ(img.data.rows(), hdus[k].data.rows());
    ASSERT_EQ(img.data.cols(), hdus[k].data.cols());
    for (Eigen::Index i = 0; i < img.data.rows(); ++i)
      for (Eigen::Index j = 0; j < img.data.cols(); ++j)
        EXPECT_TRUE(same_bits(img.data(i, j), hdus[k].data(i, j))) << i << "," << j;
    EXPECT_EQ(img.card("ORIGIN"), "lensforge");
    ASSERT_TRUE(img.card("DATE").has_value());
    EXPECT_EQ(img.card("DATE")->size(), 19u);  // yyyy-mm-ddThh:mm:ss
  }
  const FitsImage sci = read_fits_image(path, "sci");
  EXPECT_EQ(sci.hdu, 0);
  EXPECT_EQ(sci.card("EXPTIME"), "1500.25");
  EXPECT_EQ(sci.card("NCOMBINE"), "4");
  EXPECT_EQ(sci.card("LENSED"), "T");
  EXPECT_EQ(sci.card("SIMULAT"), "F");
  EXPECT_EQ(sci.card("BAND"), "VIS");
  EXPECT_EQ(sci.card("QUOTE"), "it's");
  EXPECT_EQ(num(sci.card("THETA_E_ARCSEC")), 1.234567890123456789);  // shortest repr reads back exactly
  EXPECT_EQ(num(sci.card("zLens")), 0.5);
  EXPECT_EQ(num(sci.card("source mag")), 24.5);
  EXPECT_EQ(sci.card("NOTE"), std::string(100, 'x') + "end");
  EXPECT_EQ(sci.card("HISTORY"), "made by the lensforge tests");
  // cfitsio starts every primary header with two COMMENT cards of its own; ours follows.
  EXPECT_NE(std::find(sci.header.begin(), sci.header.end(), std::pair<std::string, std::string>{"COMMENT", "one comment"}),
            sci.header.end());
  // Case kept in HIERARCH names: the exact key is in the header.
  EXPECT_NE(std::find_if(sci.header.begin(), sci.header.end(), [](const auto& kv) { return kv.first == "zLens"; }),
            sci.header.end());
  // WCS: TAN, CRPIX at the centre in 1-based pixels, CD from the pixel scale.
  EXPECT_EQ(sci.card("CTYPE1"), "RA---TAN");
  EXPECT_EQ(sci.card("CTYPE2"), "DEC--TAN");
  EXPECT_EQ(num(sci.card("CRPIX1")), 3.0);  // 5 columns: (5 + 1) / 2
  EXPECT_EQ(num(sci.card("CRPIX2")), 4.0);  // 7 rows
  EXPECT_EQ(num(sci.card("CRVAL1")), 150.1);
  EXPECT_EQ(num(sci.card("CRVAL2")), 2.2);
  EXPECT_EQ(num(sci.card("CD1_1")), -0.1 / 3600);
  EXPECT_EQ(num(sci.card("CD2_2")), 0.1 / 3600);
  EXPECT_EQ(num(sci.card("CD1_2")), 0.0);
  EXPECT_EQ(sci.card("CUNIT1"), "deg");
  EXPECT_NEAR(*sci.pixel_scale_arcsec(), 0.1, 1e-15);

  const FitsImage noise = read_fits_image(path, "NOISE");
  EXPECT_EQ(noise.num_nan, 1);
  EXPECT_EQ(num(noise.card("CRPIX1")), 3.5);  // 6 columns
  EXPECT_EQ(num(noise.card("CRPIX2")), 2.5);  // 4 rows
  EXPECT_NEAR(*noise.pixel_scale_arcsec(), 0.05, 1e-16);
  EXPECT_EQ(read_fits_image(path, 2).pixel_scale_arcsec(), 0.025);  // PIXSCALE card, no WCS

  // Writing again replaces the file.
  auto second = sample_hdus();
  second.resize(1);
  second[0].data(0, 0) = -7.5f;
  write_fits(path, second);
  EXPECT_EQ(fits_hdu_names(path), std::vector<std::string>{"SCI"});
  EXPECT_EQ(read_fits_image(path).data(0, 0), -7.5);
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.fits"});
}

TEST(FitsWrite, Uint16ImagesUseTheUnsignedConvention) {
  // Bit masks: BITPIX 16 with BZERO 32768 holds 0..65535 exactly (FITS standard 4.0, 5.2.5).
  TempDir dir;
  const std::string path = dir.file("mask.fits");
  std::vector<FitsImageHdu> hdus = sample_hdus();
  hdus.resize(1);
  FitsImageHdu mask;
  mask.extname = "MASK";
  mask.data_u16 = Image<std::uint16_t>(2, 3);
  mask.data_u16 << 0, 1, 255, 32767, 32768, 65535;
  mask.wcs = FitsWcs{0.0, 0.0, 0.2};
  mask.cards = {{"MASKB0", std::string("COSMIC_RAY"), "bit 0"}};
  hdus.push_back(mask);
  write_fits(path, hdus);
  const FitsImage m = read_fits_image(path, "MASK");
  EXPECT_EQ(m.bitpix, 16);
  EXPECT_EQ(m.card("BZERO"), "32768");
  EXPECT_EQ(m.card("MASKB0"), "COSMIC_RAY");
  EXPECT_EQ(num(m.card("CRPIX1")), 2.0);  // WCS from the uint16 shape: 3 columns
  ASSERT_EQ(m.data.rows(), 2);
  ASSERT_EQ(m.data.cols(), 3);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(m.data(k / 3, k % 3), double(mask.data_u16(k / 3, k % 3))) << k;
  EXPECT_EQ(read_fits_image(path, 0).bitpix, -32);

  // Float and uint16 pixels together are refused.
  hdus[1].data = ImageF::Zero(2, 3);
  expect_io_error([&] { write_fits(dir.file("both.fits"), hdus); }, {"HDU 1", "give one of data and data_u16"});
}

TEST(FitsWrite, CubesStackPlanesAlongNaxis3) {
  TempDir dir;
  const std::string path = dir.file("cube.fits");
  FitsImageHdu cube;
  cube.extname = "FRAMES";
  cube.planes = 3;
  cube.data = ImageF(6, 4);  // 3 planes of 2 x 4
  for (int k = 0; k < 24; ++k) cube.data(k / 4, k % 4) = float(k);
  cube.wcs = FitsWcs{0.0, 0.0, 0.1};
  write_fits(path, {cube});
  fitsfile* f = nullptr;
  int status = 0;
  ASSERT_EQ(fits_open_file(&f, path.c_str(), READONLY, &status), 0);
  int naxis = 0;
  long naxes[3] = {0, 0, 0};
  fits_get_img_dim(f, &naxis, &status);
  fits_get_img_size(f, 3, naxes, &status);
  std::vector<float> pixels(24);
  int anynul = 0;
  fits_read_img(f, TFLOAT, 1, 24, nullptr, pixels.data(), &anynul, &status);
  double crpix2 = 0;
  fits_read_key(f, TDOUBLE, "CRPIX2", &crpix2, nullptr, &status);
  fits_close_file(f, &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(naxis, 3);
  EXPECT_EQ(naxes[0], 4);
  EXPECT_EQ(naxes[1], 2);
  EXPECT_EQ(naxes[2], 3);
  for (int k = 0; k < 24; ++k) EXPECT_EQ(pixels[k], float(k)) << k;  // plane p = rows [2p, 2p + 2)
  EXPECT_EQ(crpix2, 1.5);  // the WCS describes one 2-row plane
  cube.planes = 4;         // 6 rows are not 4 planes
  expect_io_error([&] { write_fits(dir.file("bad.fits"), {cube}); }, {"planes = 4"});
}

TEST(FitsWrite, FailedWriteLeavesNoFileAndKeepsAnExistingOne) {
  TempDir dir;
  const std::string nofolder = dir.file("missing/out.fits");
  expect_io_error([&] { write_fits(nofolder, sample_hdus()); }, {nofolder, "folder", "does not exist"});
  const std::string fresh = dir.file("fresh.fits");
  expect_io_error([&] { write_fits(fresh, {}); }, {fresh, "no HDUs"});
  EXPECT_TRUE(dir.listing().empty());

  // The second HDU is empty: the first was already written into the temporary file.
  auto empty_second = sample_hdus();
  empty_second[1].data = ImageF(0, 4);
  expect_io_error([&] { write_fits(fresh, empty_second); }, {fresh, "HDU 1", "empty image (0 x 4)"});
  EXPECT_TRUE(dir.listing().empty());

  // An existing file is never clobbered by a failed write.
  const std::string existing = dir.file("existing.fits");
  write_fits(existing, sample_hdus());
  struct Bad {
    std::function<void(std::vector<FitsImageHdu>&)> spoil;
    std::vector<std::string> message;
  };
  const std::vector<Bad> bad = {
      {[](auto& h) { h[2].data = ImageF(); }, {"HDU 2", "empty image"}},
      {[](auto& h) { h[2].cards.push_back({"HIERARCH a long key", std::string(80, 'y'), ""}); },
       {"HDU 2", "'a long key' does not fit in one 80-character header card"}},
      {[](auto& h) { h[1].cards.push_back({"NAXIS1", 3LL, ""}); }, {"HDU 1", "'NAXIS1' is written by write_fits itself"}},
      {[](auto& h) { h[1].cards.push_back({"CD1_1", 1.0, ""}); }, {"'CD1_1' is written by write_fits itself"}},
      {[](auto& h) { h[2].cards.push_back({"pixscale", 1.0, ""}); }, {"'pixscale' is given twice"}},
      {[](auto& h) { h[2].cards.push_back({"GAIN", std::nan(""), ""}); }, {"'GAIN'", "finite"}},
      {[](auto& h) { h[2].cards.push_back({"BAD=KEY", 1LL, ""}); }, {"'BAD=KEY' is not valid"}},
      {[](auto& h) { h[2].cards.push_back({"OBJECT", std::string("caf\xc3\xa9"), ""}); }, {"'OBJECT'", "ASCII"}},
      {[](auto& h) { h[2].cards.push_back({"HISTORY", 3LL, ""}); }, {"'HISTORY' must have a string value"}},
      {[](auto& h) { h[1].wcs->pixel_scale_arcsec = 0; }, {"HDU 1", "pixel_scale_arcsec = 0", "> 0"}},
      {[](auto& h) { h[1].wcs->dec_deg = 91; }, {"dec_deg = 91", "[-90, 90]"}},
  };
  for (std::size_t k = 0; k < bad.size(); ++k) {
    SCOPED_TRACE(k);
    auto hdus = sample_hdus();
    hdus[0].data(0, 0) = 99.f;  // would show if the file were replaced
    bad[k].spoil(hdus);
    auto message = bad[k].message;
    message.push_back(existing);
    expect_io_error([&] { write_fits(existing, hdus); }, message);
    EXPECT_EQ(dir.listing(), std::vector<std::string>{"existing.fits"});
  }
  const FitsImage kept = read_fits_image(existing);
  EXPECT_EQ(kept.data(0, 0), 0.25);
  EXPECT_EQ(fits_hdu_names(existing).size(), 3u);
}

TEST(FitsWrite, AstropyReadsWhatWeWrite) {
  TempDir dir;
  const std::string path = dir.file("for_astropy.fits");
  const auto hdus = sample_hdus();
  write_fits(path, hdus);
  // astropy as an independent reader: warnings are errors, so a header it has to fix fails too.
  const std::string script = dir.file("check.py");
  std::ofstream(script) << R"PY(
import json, sys, warnings
try:
    import numpy as np
    from astropy.io import fits
    from astropy.wcs import WCS
    from astropy.wcs.utils import proj_plane_pixel_scales
except ImportError as e:
    print("NO_ASTROPY", e)
    sys.exit(3)
warnings.simplefilter("error")
out = []
with fits.open(sys.argv[1]) as hl:
    for h in hl:
        d = h.data.astype(np.float64)
        e = {"name": h.name, "bitpix": h.header["BITPIX"], "shape": list(d.shape),
             "data": [[None if np.isnan(v) else (str(v) if np.isinf(v) else v) for v in row] for row in d.tolist()]}
        if "CTYPE1" in h.header:
            w = WCS(h.header)
            e["scales"] = list(proj_plane_pixel_scales(w) * 3600)
            ny, nx = d.shape
            c = w.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2)
            r = w.pixel_to_world_values((nx - 1) / 2 + 1, (ny - 1) / 2)
            u = w.pixel_to_world_values((nx - 1) / 2, (ny - 1) / 2 + 1)
            e["centre"] = [float(c[0]), float(c[1])]
            e["right"] = [float(r[0]), float(r[1])]
            e["up"] = [float(u[0]), float(u[1])]
        e["keys"] = list(h.header.keys())
        for k in ("EXPTIME", "LENSED", "THETA_E_ARCSEC", "zLens", "NOTE", "PIXSCALE"):
            if k in h.header:
                e[k] = h.header[k]
        out.append(e)
print(json.dumps(out))
)PY";
  const std::string cmd = "/usr/bin/python3 " + script + " " + path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
  const int rc = pclose(pipe);
  ASSERT_EQ(output.find("NO_ASTROPY"), std::string::npos)
      << "python3-astropy is missing: run scripts/setup.sh (" << output << ")";
  ASSERT_EQ(rc, 0) << "/usr/bin/python3 failed (run scripts/setup.sh if it or astropy is missing):\n" << output;
  const auto js = nlohmann::json::parse(output);
  ASSERT_EQ(js.size(), 3u);
  const std::vector<std::string> names = {"SCI", "NOISE", "PSF"};
  for (std::size_t k = 0; k < 3; ++k) {
    SCOPED_TRACE(names[k]);
    const auto& e = js[k];
    EXPECT_EQ(e["name"], names[k]);
    EXPECT_EQ(e["bitpix"], -32);
    const ImageF& d = hdus[k].data;
    ASSERT_EQ(e["shape"], (std::vector<Eigen::Index>{d.rows(), d.cols()}));
    for (Eigen::Index i = 0; i < d.rows(); ++i)
      for (Eigen::Index j = 0; j < d.cols(); ++j) {
        const auto& v = e["data"][i][j];
        if (std::isnan(d(i, j)))
          EXPECT_TRUE(v.is_null());
        else if (std::isinf(d(i, j)))
          EXPECT_EQ(v, d(i, j) > 0 ? "inf" : "-inf");
        else
          EXPECT_EQ(v.get<double>(), double(d(i, j))) << i << "," << j;  // astropy data[i, j] == ours (i, j)
      }
    if (!hdus[k].wcs) {
      EXPECT_FALSE(e.contains("scales"));
      continue;
    }
    const FitsWcs& w = *hdus[k].wcs;
    const double s = w.pixel_scale_arcsec;
    EXPECT_NEAR(e["scales"][0].get<double>(), s, 1e-12 * s);
    EXPECT_NEAR(e["scales"][1].get<double>(), s, 1e-12 * s);
    // The image centre maps to (ra, dec); one pixel right is east-to-west (RA smaller), one up is north.
    EXPECT_NEAR(e["centre"][0].get<double>(), w.ra_deg, 1e-10);
    EXPECT_NEAR(e["centre"][1].get<double>(), w.dec_deg, 1e-10);
    const double cosd = std::cos(w.dec_deg * M_PI / 180);
    EXPECT_NEAR((e["right"][0].get<double>() - w.ra_deg) * cosd * 3600, -s, 1e-6 * s);
    EXPECT_NEAR((e["up"][1].get<double>() - w.dec_deg) * 3600, s, 1e-6 * s);
  }
  const auto keys = js[0]["keys"].get<std::vector<std::string>>();
  for (const char* k : {"zLens", "source mag", "THETA_E_ARCSEC", "EXPTIME"})  // HIERARCH case kept
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
  EXPECT_EQ(js[0]["EXPTIME"], 1500.25);
  EXPECT_EQ(js[0]["LENSED"], true);
  EXPECT_EQ(js[0]["THETA_E_ARCSEC"], 1.234567890123456789);
  EXPECT_EQ(js[0]["zLens"], 0.5);
  EXPECT_EQ(js[0]["NOTE"], std::string(100, 'x') + "end");
  EXPECT_EQ(js[2]["PIXSCALE"], 0.025);
}

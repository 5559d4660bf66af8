// Tests of the HDF5 data-set format (io/dataset_schema.hpp): bitwise round trips, the .partial /
// finish / resume protocol, reader errors, reading with h5py and pandas alone, and the inspect,
// gallery and export-fits commands run through the built lensforge-sim.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <fcntl.h>
#include <png.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lensforge/sim/app/export_fits_command.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/sim/io/dataset_writer.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/sim/io/png.hpp"
#include "lensforge/sim/survey/band.hpp"
#include "test_support.hpp"

#ifndef LENSFORGE_SIM_EXE
#error "LENSFORGE_SIM_EXE (the path of lensforge-sim) must be defined by tests/CMakeLists.txt"
#endif

using namespace lensforge;
using lensforge::test::read_text;
namespace fs = std::filesystem;

namespace {

constexpr int kN = 12;
const std::string kConfig = "run:\n  seed: 7\n  num_images: 12\nsurvey: des  # two bands\n";
constexpr std::uint64_t kSeed = 7;

/// Two bands of different sizes, every optional plane, kappa on its own grid, labels of each type
/// (subtype is exactly as long as "double").
DatasetSchema test_schema() {
  DatasetSchema s;
  s.bands = {BandSchema{"g", "DES", 5, 6, "e-/s", 30.0, 0.263, 900.0, 1.1},
             BandSchema{"r", "DES", 9, 8, "ADU", 31.25, 0.263, 450.0, 0.95}};
  s.planes = {true, true, true, true};
  s.kappa = KappaGrid{7, 4, 0.05};
  s.labels = {{"class", LabelType::INT64, "", "1 lens, 0 non-lens"},
              {"subtype", LabelType::STRING, "", "kind of system", 6},
              {"theta_E", LabelType::FLOAT64, "arcsec", "Einstein radius"},
              {"z_source", LabelType::FLOAT64, "", "source redshift"},
              {"n_images", LabelType::INT64, "", "number of lensed images"}};
  return s;
}

DatasetRun test_run() { return {kSeed, kN, kConfig}; }

/// Image i: every pixel from its own generator (normal deviates, random mask bits); image 0 also
/// holds NaN, -0, +inf, the smallest denormal and the largest float. Labels: 4 non-lenses
/// (i % 3 == 0, theta_E NaN), 8 lenses; subtypes none 4, double 4, quad 4.
Sample make_sample(const DatasetSchema& s, int i) {
  std::mt19937 gen(1000u + unsigned(i));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto fill = [&](int ny, int nx, float offset) {
    ImageF img(ny, nx);
    for (Eigen::Index k = 0; k < img.size(); ++k) img.data()[k] = offset + normal(gen);
    return img;
  };
  Sample out;
  for (const BandSchema& b : s.bands) {
    BandPlanes p;
    p.image = fill(b.ny, b.nx, float(i));
    if (s.planes.noiseless) p.noiseless = fill(b.ny, b.nx, 10.0f);
    if (s.planes.source) p.source = fill(b.ny, b.nx, 20.0f);
    if (s.planes.sigma) p.sigma = fill(b.ny, b.nx, 30.0f);
    if (s.planes.mask) {
      p.mask = Mask(b.ny, b.nx);
      for (Eigen::Index k = 0; k < p.mask.size(); ++k) p.mask.data()[k] = std::uint16_t(gen() & 0xffu);
    }
    out.bands.push_back(std::move(p));
  }
  if (i == 0) {
    float* d = out.bands[0].image.data();
    d[0] = std::numeric_limits<float>::quiet_NaN();
    d[1] = -0.0f;
    d[2] = std::numeric_limits<float>::infinity();
    d[3] = std::numeric_limits<float>::denorm_min();
    d[4] = std::numeric_limits<float>::max();
  }
  if (s.kappa) out.kappa = fill(s.kappa->ny, s.kappa->nx, 0.5f);
  const bool lens = i % 3 != 0;
  for (const LabelColumn& c : s.labels) {
    if (c.name == "class") out.labels.emplace_back(std::int64_t(lens ? 1 : 0));
    if (c.name == "subtype") out.labels.emplace_back(std::string(!lens ? "none" : i % 2 ? "quad" : "double"));
    if (c.name == "theta_E") out.labels.emplace_back(lens ? 0.5 + 0.1 * i : std::numeric_limits<double>::quiet_NaN());
    if (c.name == "z_source") out.labels.emplace_back(1.0 + 0.25 * i);
    if (c.name == "n_images") out.labels.emplace_back(std::int64_t(lens ? 2 + 2 * (i % 2) : 0));
  }
  return out;
}

template <class A>
bool same_bits(const A& a, const A& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(typename A::Scalar) * std::size_t(a.size())) == 0;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Image i of the file equals the sample bit for bit, in every plane and label.
void expect_image_equals(const DatasetReader& r, std::int64_t i, const Sample& s) {
  const DatasetSchema& schema = r.schema();
  for (std::size_t k = 0; k < schema.bands.size(); ++k) {
    const std::string& b = schema.bands[k].name;
    for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA}) {
      if (!schema.has_plane(p)) continue;
      const ImageF& want = p == DatasetPlane::IMAGE       ? s.bands[k].image
                           : p == DatasetPlane::NOISELESS ? s.bands[k].noiseless
                           : p == DatasetPlane::SOURCE    ? s.bands[k].source
                                                          : s.bands[k].sigma;
      EXPECT_TRUE(same_bits(r.read_image(b, i, p), want)) << b << " " << dataset_plane_name(p) << " " << i;
    }
    if (schema.planes.mask) {
      EXPECT_TRUE(same_bits(r.read_mask(b, i), s.bands[k].mask)) << b << " mask " << i;
    }
  }
  if (schema.kappa) {
    EXPECT_TRUE(same_bits(r.read_kappa(i), s.kappa)) << "kappa " << i;
  }
  for (std::size_t k = 0; k < schema.labels.size(); ++k) {
    const LabelData col = r.read_label(schema.labels[k].name);
    const std::string& name = schema.labels[k].name;
    if (const auto* d = std::get_if<std::vector<double>>(&col))
      EXPECT_TRUE(same_bits((*d)[std::size_t(i)], std::get<double>(s.labels[k]))) << name << " " << i;
    else if (const auto* v = std::get_if<std::vector<std::int64_t>>(&col))
      EXPECT_EQ((*v)[std::size_t(i)], std::get<std::int64_t>(s.labels[k])) << name << " " << i;
    else
      EXPECT_EQ(std::get<std::vector<std::string>>(col)[std::size_t(i)], std::get<std::string>(s.labels[k]))
          << name << " " << i;
  }
}

/// Two files hold the same schema, run and data, compared dataset by dataset, bit for bit.
void expect_same_data(const std::string& a, const std::string& b) {
  const DatasetReader ra(a), rb(b);
  EXPECT_EQ(schema_difference(ra.schema(), rb.schema()), "");
  ASSERT_EQ(ra.num_images(), rb.num_images());
  EXPECT_EQ(ra.run().seed, rb.run().seed);
  EXPECT_EQ(ra.run().config_text, rb.run().config_text);
  const std::int64_t n = ra.num_images();
  for (const BandSchema& band : ra.schema().bands) {
    for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA}) {
      if (!ra.schema().has_plane(p)) continue;
      std::vector<float> va(std::size_t(n * band.ny * band.nx)), vb(va.size());
      ra.read_images(band.name, 0, n, va, p);
      rb.read_images(band.name, 0, n, vb, p);
      EXPECT_EQ(std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)), 0)
          << band.name << " " << dataset_plane_name(p);
    }
    for (std::int64_t i = 0; ra.schema().planes.mask && i < n; ++i) {
      EXPECT_TRUE(same_bits(ra.read_mask(band.name, i), rb.read_mask(band.name, i))) << band.name << " mask " << i;
    }
  }
  for (std::int64_t i = 0; ra.schema().kappa && i < n; ++i) {
    EXPECT_TRUE(same_bits(ra.read_kappa(i), rb.read_kappa(i))) << "kappa " << i;
  }
  for (const std::string& name : ra.label_names()) {
    const LabelData la = ra.read_label(name), lb = rb.read_label(name);
    ASSERT_EQ(la.index(), lb.index()) << name;
    if (const auto* d = std::get_if<std::vector<double>>(&la)) {
      const auto& e = std::get<std::vector<double>>(lb);
      ASSERT_EQ(d->size(), e.size());
      EXPECT_EQ(std::memcmp(d->data(), e.data(), d->size() * sizeof(double)), 0) << name;
    } else {
      EXPECT_TRUE(la == lb) << name;
    }
  }
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

/// The message of the IoError `f` throws ("" and a test failure if it throws none).
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception thrown";
  return {};
}

#define EXPECT_CONTAINS(text, part)                                   \
  do {                                                                \
    const std::string text_ = (text);                                 \
    EXPECT_NE(text_.find(part), std::string::npos) << text_;          \
  } while (false)

/// A fresh folder per test.
class DatasetIo : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("lensforge_h5_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "log");
    fs::create_directories(work());
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path work() const { return root_ / "work"; }
  std::string file(const std::string& name) const { return (work() / name).string(); }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(work())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  /// Writes images [first, last) of the test set; finishes the file when last == kN.
  static void write_images(DatasetWriter& w, int first, int last) {
    const DatasetSchema& s = w.schema();
    for (int i = first; i < last; ++i) w.append(make_sample(s, i));
    if (last == kN) w.finish();
  }

  /// The whole test set, written without interruption.
  std::string write_complete(const std::string& name, const WriterOptions& o = {},
                             const DatasetSchema& schema = test_schema()) const {
    DatasetWriter w = DatasetWriter::create(file(name), schema, test_run(), o);
    write_images(w, 0, kN);
    return file(name);
  }

  struct Result {
    int status = -1;
    std::string out, err;
  };
  /// Runs lensforge-sim with `args` (shell-quoted where needed) inside work/.
  Result run(const std::string& args) const {
    const fs::path out = root_ / "log" / "stdout", err = root_ / "log" / "stderr";
    const std::string cmd = "cd '" + work().string() + "' && '" LENSFORGE_SIM_EXE "' " + args + " >'" + out.string() +
                            "' 2>'" + err.string() + "'";
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(out), read_text(err)};
  }

  /// The command failed as bad input: status 2, one error line holding `part`, no new files.
  void expect_bad_input(const Result& r, const std::string& part, const std::vector<std::string>& files_before) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind("lensforge-sim: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_CONTAINS(r.err, part);
    EXPECT_EQ(files(), files_before);
  }

  fs::path root_;
};

// ---- HDF5 access without lensforge, to tamper with files ---------------------------------------

/// Sets an int64 root attribute of an existing file.
void set_root_attr(const std::string& path, const char* name, std::int64_t v) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  ASSERT_GE(a, 0);
  EXPECT_GE(H5Awrite(a, H5T_NATIVE_INT64, &v), 0);
  H5Aclose(a);
  H5Fclose(f);
}

/// Grows a dataset's first dimension to n, filling the new rows with `value` bytes.
void grow_dataset(const std::string& path, const char* dataset, hsize_t n, unsigned char value) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
  ASSERT_GE(d, 0);
  hid_t space = H5Dget_space(d);
  hsize_t dims[3] = {0, 1, 1};
  const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
  H5Sclose(space);
  const hsize_t old = dims[0];
  dims[0] = n;
  ASSERT_GE(H5Dset_extent(d, dims), 0);
  space = H5Dget_space(d);
  const hsize_t start[3] = {old, 0, 0};
  hsize_t count[3] = {n - old, dims[1], dims[2]};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
  const hid_t type = H5Dget_type(d);
  const hid_t mem = H5Screate_simple(rank, count, nullptr);
  std::vector<unsigned char> junk(H5Tget_size(type) * std::size_t(H5Sget_select_npoints(space)), value);
  EXPECT_GE(H5Dwrite(d, type, mem, space, H5P_DEFAULT, junk.data()), 0);
  H5Sclose(mem);
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
}

}  // namespace

// ---- schema ---------------------------------------------------------------------------------------

TEST(DatasetSchema, ValidateNamesTheFieldAtFault) {
  EXPECT_EQ(test_schema().validate(), "");
  auto with = [](auto change) {
    DatasetSchema s = test_schema();
    change(s);
    return s.validate();
  };
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands.clear(); }), "bands is empty");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands[1].name = "r/i"; }), "bands[1].name = 'r/i'");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands[1].name = "g"; }), "band names must be unique");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands[0].nx = 0; }), "bands[0].nx = 0 px");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands[0].pixel_scale = -1; }), "bands[0].pixel_scale");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.bands[0].unit = ""; }), "bands[0].unit is empty");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.kappa->ny = 0; }), "kappa.ny");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.labels[2].name = "2theta"; }), "labels[2].name = '2theta'");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.labels[4].name = "class"; }), "label names must be unique");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.labels[1].string_length = 0; }), "labels[1].string_length = 0");
  EXPECT_CONTAINS(with([](DatasetSchema& s) { s.labels[0].description = "tab\there"; }), "printable ASCII");

  EXPECT_EQ(WriterOptions{}.validate(), "");
  EXPECT_CONTAINS((WriterOptions{0, true}.validate()), "shuffle");
  EXPECT_CONTAINS(WriterOptions{10}.validate(), "gzip_level = 10");
  EXPECT_CONTAINS((WriterOptions{0, false, 0}.validate()), "flush_every = 0");
}

TEST(DatasetSchema, BandSchemaTakesTheBandsGridExposureAndPsf) {
  Band band;
  band.survey = "LSST";
  band.name = "i";
  band.nx = 40;
  band.ny = 30;
  band.pixel_scale = 0.2;
  band.exposure_time = 15;
  band.n_exposures = 184;
  band.psf.fwhm = 0.71;
  const BandSchema b = band_schema(band, "ADU", 31.5);
  EXPECT_EQ(b.name, "i");
  EXPECT_EQ(b.survey, "LSST");
  EXPECT_EQ(b.nx, 40);
  EXPECT_EQ(b.ny, 30);
  EXPECT_EQ(b.pixel_scale, 0.2);
  EXPECT_EQ(b.exposure_time, 15.0 * 184);  // total integration
  EXPECT_EQ(b.psf_fwhm, 0.71);
  EXPECT_EQ(b.unit, "ADU");
  EXPECT_EQ(b.zero_point, 31.5);
}

// ---- writer and reader ----------------------------------------------------------------------------

TEST_F(DatasetIo, RoundTripIsBitwiseInEveryPlaneAndLabel) {
  const std::string path = write_complete("set.h5");
  EXPECT_EQ(files(), std::vector<std::string>{"set.h5"});  // the .partial was renamed

  const DatasetReader r(path);
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.num_images(), kN);
  EXPECT_EQ(r.schema_version(), 1);
  EXPECT_EQ(r.software_version(), LENSFORGE_VERSION);
  EXPECT_EQ(r.created().size(), 20u) << r.created();  // 2025-01-31T12:00:00Z
  EXPECT_EQ(r.created().back(), 'Z');
  EXPECT_EQ(r.run().seed, kSeed);
  EXPECT_EQ(r.run().num_images, kN);
  EXPECT_EQ(r.run().config_text, kConfig);
  EXPECT_EQ(schema_difference(r.schema(), test_schema()), "");
  EXPECT_EQ(r.label_names(), (std::vector<std::string>{"class", "subtype", "theta_E", "z_source", "n_images"}));
  EXPECT_EQ(r.filters().gzip_level, 0);
  for (int i = 0; i < kN; ++i) expect_image_equals(r, i, make_sample(test_schema(), i));

  // Block reads equal single reads, also from the middle of the file.
  const std::vector<ImageF> block = r.read_images("r", 3, 4, DatasetPlane::SOURCE);
  ASSERT_EQ(block.size(), 4u);
  for (int k = 0; k < 4; ++k) EXPECT_TRUE(same_bits(block[std::size_t(k)], r.read_image("r", 3 + k, DatasetPlane::SOURCE)));
  EXPECT_TRUE(r.read_images("g", kN, 0).empty());

  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_image("g", kN); }), "outside the 12 images");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_image("i", 0); }), "no band 'i' (bands: g, r)");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_label("mass"); }), "no label 'mass'");
  std::vector<float> small(10);
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_images("g", 0, 1, small); }), "holds 10 values");
}

TEST_F(DatasetIo, MinimalSchemaWithoutOptionalPlanesOrLabels) {
  DatasetSchema s;
  s.bands = {BandSchema{"VIS", "Euclid", 3, 2, "e-/s", 24.6, 0.1, 1700, 0.16}};
  DatasetWriter w = DatasetWriter::create(file("min.h5"), s, {1, 2, ""});
  Sample a, b;
  a.bands = {BandPlanes{ImageF::Constant(2, 3, 1.5f)}};
  b.bands = {BandPlanes{ImageF::Constant(2, 3, -2.0f)}};
  w.append(a);
  w.append(b);
  w.finish();
  const DatasetReader r(file("min.h5"));
  EXPECT_TRUE(r.label_names().empty());
  EXPECT_FALSE(r.schema().kappa.has_value());
  EXPECT_TRUE(same_bits(r.read_image("VIS", 1), b.bands[0].image));
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_mask("VIS", 0); }), "no masks");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_kappa(0); }), "no kappa");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { r.read_image("VIS", 0, DatasetPlane::SIGMA); }), "no sigma plane");
}

TEST_F(DatasetIo, GzipAndShuffleRoundTripBitwise) {
  const std::string plain = write_complete("plain.h5");
  for (const WriterOptions& o : {WriterOptions{1, true}, WriterOptions{4, true}, WriterOptions{4, false}}) {
    const std::string name = "gzip" + std::to_string(o.gzip_level) + (o.shuffle ? "s" : "") + ".h5";
    const std::string path = write_complete(name, o);
    const DatasetReader r(path);
    EXPECT_EQ(r.filters().gzip_level, o.gzip_level) << name;
    EXPECT_EQ(r.filters().shuffle, o.shuffle) << name;
    expect_same_data(path, plain);
  }
}

TEST_F(DatasetIo, UnfinishedWriterLeavesOnlyThePartialFile) {
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
    write_images(w, 0, 3);
    EXPECT_EQ(w.num_written(), 3);
  }  // destroyed before finish(), as by an exception
  EXPECT_EQ(files(), std::vector<std::string>{"set.h5.partial"});

  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetReader r(file("set.h5.partial")); }),
                  "incomplete data set (3 of 12 images written)");
  ReaderOptions o;
  o.allow_incomplete = true;
  const DatasetReader r(file("set.h5.partial"), o);
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.num_images(), 3);
  EXPECT_EQ(r.run().num_images, kN);
  for (int i = 0; i < 3; ++i) expect_image_equals(r, i, make_sample(test_schema(), i));
  EXPECT_THROW(r.read_image("g", 3), ConfigError);
}

TEST_F(DatasetIo, CreateRefusesExistingFilesAndBadSamplesWriteNothing) {
  write_text(work() / "taken.h5", "x");
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::create(file("taken.h5"), test_schema(), test_run()); }),
                  "exists; set overwrite");
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::create(file("no/set.h5"), test_schema(), test_run()); }),
                  "folder");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { DatasetWriter::create(file("a.h5"), test_schema(), {1, 0, ""}); }),
                  "num_images = 0");

  DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::create(file("set.h5"), test_schema(), test_run()); }),
                  "an interrupted run");
  Sample s = make_sample(test_schema(), 0);
  s.bands[1].sigma = ImageF::Zero(8, 8);
  EXPECT_CONTAINS(error_of<ConfigError>([&] { w.append(s); }), "band 'r' sigma is 8x8 (rows x columns), expected 8x9");
  s = make_sample(test_schema(), 0);
  s.labels[3] = std::int64_t(1);
  EXPECT_CONTAINS(error_of<ConfigError>([&] { w.append(s); }), "label 'z_source' holds an int64, the column is float64");
  s = make_sample(test_schema(), 0);
  s.labels[1] = std::string("triple");  // 6 bytes fit
  w.append(s);
  s.labels[1] = std::string("einstein");
  EXPECT_CONTAINS(error_of<ConfigError>([&] { w.append(s); }), "is 8 bytes, longer than the column's 6");
  s = make_sample(test_schema(), 1);
  s.kappa.resize(0, 0);
  EXPECT_CONTAINS(error_of<ConfigError>([&] { w.append(s); }), "kappa is 0x0");
  EXPECT_EQ(w.num_written(), 1);
  EXPECT_CONTAINS(error_of<ConfigError>([&] { w.finish(); }), "finish() after 1 of 12 images");

  // Overwrite replaces a .partial and removes the old final file, so that an interrupted
  // replacement can be resumed.
  WriterOptions o;
  o.overwrite = true;
  {
    DatasetWriter again = DatasetWriter::create(file("taken.h5"), test_schema(), test_run(), o);
    write_images(again, 0, 2);
  }
  EXPECT_FALSE(fs::exists(work() / "taken.h5"));
  DatasetWriter resumed = DatasetWriter::resume(file("taken.h5"), test_schema(), test_run());
  write_images(resumed, 2, kN);
  EXPECT_EQ(DatasetReader(file("taken.h5")).num_images(), kN);
  { DatasetWriter closed = std::move(w); }  // leaves set.h5.partial
  write_complete("set.h5", o);              // replaces it
  EXPECT_EQ(DatasetReader(file("set.h5")).num_images(), kN);
}

// ---- resume ---------------------------------------------------------------------------------------

TEST_F(DatasetIo, ResumeAfterFiveOfTwelveEqualsAnUninterruptedRun) {
  const std::string reference = write_complete("reference.h5");
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
    write_images(w, 0, 5);
  }
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 5);
  write_images(w, 5, kN);
  EXPECT_EQ(files(), (std::vector<std::string>{"reference.h5", "set.h5"}));
  expect_same_data(file("set.h5"), reference);
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::resume(file("set.h5"), test_schema(), test_run()); }),
                  "its run is complete");
}

TEST_F(DatasetIo, ResumeTruncatesImagesPastTheLastRecordedCount) {
  const std::string reference = write_complete("reference.h5");
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
    write_images(w, 0, 5);
  }
  // As if images 5 and 6 had reached the file but the count had not: junk rows past num_written.
  grow_dataset(file("set.h5.partial"), "/images/g", 7, 0x7f);
  grow_dataset(file("set.h5.partial"), "/masks/r", 7, 0xff);
  grow_dataset(file("set.h5.partial"), "/labels/subtype", 7, 'x');
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 5);
  write_images(w, 5, kN);
  expect_same_data(file("set.h5"), reference);
}

TEST_F(DatasetIo, ResumeAfterTheProcessWasKilledContinuesFromTheLastFlush) {
  const std::string reference = write_complete("reference.h5");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // child: 5 images with a flush after the 4th, then dies without any cleanup
    try {
      WriterOptions o;
      o.flush_every = 4;
      DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run(), o);
      write_images(w, 0, 5);
      std::_Exit(0);
    } catch (...) {
      std::_Exit(3);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(files(), (std::vector<std::string>{"reference.h5", "set.h5.partial"}));

  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 4);
  write_images(w, 4, kN);
  expect_same_data(file("set.h5"), reference);
}

TEST_F(DatasetIo, AKillBetweenFlushesLosesOnlyTheUnflushedImagesWithTheirLabels) {
  // Label values are kept in memory between flushes: the flushes after images 3 and 6 must have
  // written them before recording num_written, and image 7's must not count.
  const std::string reference = write_complete("reference.h5");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // child: 7 images with flushes after the 3rd and 6th, then dies without any cleanup
    try {
      WriterOptions o;
      o.flush_every = 3;
      DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run(), o);
      write_images(w, 0, 7);
      std::_Exit(0);
    } catch (...) {
      std::_Exit(3);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  {
    ReaderOptions o;
    o.allow_incomplete = true;
    const DatasetReader r(file("set.h5.partial"), o);
    ASSERT_EQ(r.num_images(), 6);
    for (int i = 0; i < 6; ++i) expect_image_equals(r, i, make_sample(test_schema(), i));
    EXPECT_EQ(std::get<std::vector<std::string>>(r.read_label("subtype")).size(), 6u);
  }
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 6);
  write_images(w, 6, kN);
  expect_same_data(file("set.h5"), reference);
}

TEST_F(DatasetIo, LabelsPastTheStagingCapacityAndAtDestructionAreAllWritten) {
  // More images between flushes than are staged (1024 values a column), an unfinished writer
  // destroyed between flushes, then resumed: the same file as one written with the default
  // flush interval.
  DatasetSchema s;
  s.bands = {BandSchema{"VIS", "Euclid", 3, 2, "e-/s", 24.6, 0.1, 1700, 0.16}};
  s.labels = {{"index", LabelType::INT64, "", "image index"},
              {"x", LabelType::FLOAT64, "arcsec", "a position"},
              {"name", LabelType::STRING, "", "a name", 5}};
  constexpr int kImages = 1300, kStopped = 1100;
  const DatasetRun run{3, kImages, "flush test\n"};
  auto sample = [](int i) {
    Sample out;
    out.bands = {BandPlanes{ImageF::Constant(2, 3, float(i))}};
    out.labels = {std::int64_t(i), 0.25 * i, std::string("n") + std::to_string(i % 1000)};
    return out;
  };
  {
    DatasetWriter w = DatasetWriter::create(file("reference.h5"), s, run);
    for (int i = 0; i < kImages; ++i) w.append(sample(i));
    w.finish();
  }
  WriterOptions rare;
  rare.flush_every = 1200;
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), s, run, rare);
    for (int i = 0; i < kStopped; ++i) w.append(sample(i));
  }  // destroyed before the first flush: records all 1100
  {
    ReaderOptions o;
    o.allow_incomplete = true;
    const DatasetReader r(file("set.h5.partial"), o);
    ASSERT_EQ(r.num_images(), kStopped);
    const auto index = std::get<std::vector<std::int64_t>>(r.read_label("index"));
    const auto x = std::get<std::vector<double>>(r.read_label("x"));
    const auto name = std::get<std::vector<std::string>>(r.read_label("name"));
    ASSERT_EQ(index.size(), std::size_t(kStopped));
    for (int i = 0; i < kStopped; ++i) {
      EXPECT_EQ(index[std::size_t(i)], i);
      EXPECT_EQ(x[std::size_t(i)], 0.25 * i);
      EXPECT_EQ(name[std::size_t(i)], "n" + std::to_string(i % 1000));
    }
    EXPECT_TRUE(same_bits(r.read_image("VIS", kStopped - 1), sample(kStopped - 1).bands[0].image));
  }
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), s, run, rare);
  EXPECT_EQ(w.num_written(), kStopped);
  for (int i = kStopped; i < kImages; ++i) w.append(sample(i));
  w.finish();
  expect_same_data(file("set.h5"), file("reference.h5"));
}

TEST_F(DatasetIo, AWriterHoldsTheFileLockAndResumeNamesALockedFile) {
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
    write_images(w, 0, 2);
    // HDF5's file lock (flock) is held by the writer: another open file description is refused.
    const int fd = ::open(file("set.h5.partial").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_NE(::flock(fd, LOCK_SH | LOCK_NB), 0);
    ::close(fd);
  }
  const int fd = ::open(file("set.h5.partial").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_SH | LOCK_NB), 0);  // as a reader in another process would
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::resume(file("set.h5"), test_schema(), test_run()); }),
                  "the file is locked by another process");
  ::close(fd);
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 2);
}

TEST_F(DatasetIo, ResumeRefusesADifferentRunAndLeavesThePartialUntouched) {
  {
    DatasetWriter w = DatasetWriter::create(file("set.h5"), test_schema(), test_run());
    write_images(w, 0, 5);
  }
  const std::string before = read_text(work() / "set.h5.partial");
  auto resume_error = [&](const DatasetSchema& s, const DatasetRun& run) {
    return error_of<IoError>([&] { DatasetWriter::resume(file("set.h5"), s, run); });
  };
  DatasetRun other = test_run();
  other.config_text = "run:\n  seed: 7\n  num_images: 12\nsurvey: lsst\n";
  EXPECT_CONTAINS(resume_error(test_schema(), other),
                  "the configuration text differs (first difference in line 4: file has 'survey: des  # two bands', "
                  "expected 'survey: lsst')");
  other = test_run();
  other.seed = 8;
  EXPECT_CONTAINS(resume_error(test_schema(), other), "seed: file has 7, expected 8");
  other = test_run();
  other.num_images = 13;
  EXPECT_CONTAINS(resume_error(test_schema(), other), "num_images: file has 12, expected 13");
  DatasetSchema s = test_schema();
  s.bands[1].nx = 10;
  EXPECT_CONTAINS(resume_error(s, test_run()), "the schema differs: band 1 ('r') nx: file has 9, expected 10");
  s = test_schema();
  s.labels[2].unit = "deg";
  EXPECT_CONTAINS(resume_error(s, test_run()), "label 2 ('theta_E') unit: file has 'arcsec', expected 'deg'");
  s = test_schema();
  s.planes.sigma = false;
  EXPECT_CONTAINS(resume_error(s, test_run()), "plane sigma: file has true, expected false");
  EXPECT_CONTAINS(error_of<IoError>([&] { DatasetWriter::resume(file("other.h5"), test_schema(), test_run()); }),
                  "there is no");

  EXPECT_EQ(read_text(work() / "set.h5.partial"), before);
  DatasetWriter w = DatasetWriter::resume(file("set.h5"), test_schema(), test_run());
  EXPECT_EQ(w.num_written(), 5);
}

// ---- reader errors --------------------------------------------------------------------------------

TEST_F(DatasetIo, ReaderRefusesMissingDamagedForeignAndIncompleteFiles) {
  auto open_error = [&](const std::string& name) {
    return error_of<IoError>([&] { DatasetReader r(file(name)); });
  };
  EXPECT_CONTAINS(open_error("missing.h5"), "missing.h5': no such file");
  fs::create_directory(work() / "folder.h5");
  EXPECT_CONTAINS(open_error("folder.h5"), "is a folder");
  write_text(work() / "text.h5", "run: {seed: 1}\n");
  EXPECT_CONTAINS(open_error("text.h5"), "text.h5': not an HDF5 file");

  const std::string good = write_complete("good.h5");
  const std::string bytes = read_text(good);
  write_text(work() / "truncated.h5", bytes.substr(0, bytes.size() / 2));
  EXPECT_CONTAINS(open_error("truncated.h5"), "truncated");

  fs::copy_file(good, work() / "v2.h5");
  set_root_attr(file("v2.h5"), "schema_version", 2);
  EXPECT_CONTAINS(open_error("v2.h5"), "schema_version 2 is not supported");

  fs::copy_file(good, work() / "unfinished.h5");
  set_root_attr(file("unfinished.h5"), "complete", 0);
  EXPECT_CONTAINS(open_error("unfinished.h5"), "incomplete data set (12 of 12 images written)");

  const hid_t f = H5Fcreate(file("plain.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
  EXPECT_CONTAINS(open_error("plain.h5"), "not a lensforge data set");
}

// ---- reading without lensforge: h5py and pandas -------------------------------------------------

TEST_F(DatasetIo, H5pyAndPandasReadTheFileWithoutLensforge) {
  const std::string path = write_complete("set.h5");
  // What Python should find: every image of both bands as raw float32, labels as JSON.
  nlohmann::json expected;
  expected["num_images"] = kN;
  expected["seed"] = kSeed;
  expected["config"] = kConfig;
  expected["bands"] = {"g", "r"};
  for (const BandSchema& b : test_schema().bands) {
    std::ofstream raw(work() / (b.name + ".f32"), std::ios::binary);
    for (int i = 0; i < kN; ++i) {
      const ImageF img = make_sample(test_schema(), i).bands[std::size_t(*test_schema().band_index(b.name))].image;
      raw.write(reinterpret_cast<const char*>(img.data()), std::streamsize(sizeof(float) * std::size_t(img.size())));
    }
    expected["shapes"][b.name] = {kN, b.ny, b.nx};
    expected["units"][b.name] = b.unit;
  }
  expected["label_names"] = {"class", "subtype", "theta_E", "z_source", "n_images"};
  expected["dtypes"] = {{"class", "int64"}, {"subtype", "object"}, {"theta_E", "float64"},
                        {"z_source", "float64"}, {"n_images", "int64"}};
  for (int i = 0; i < kN; ++i) {
    const Sample s = make_sample(test_schema(), i);
    expected["labels"]["class"].push_back(std::get<std::int64_t>(s.labels[0]));
    expected["labels"]["subtype"].push_back(std::get<std::string>(s.labels[1]));
    const double theta = std::get<double>(s.labels[2]);
    expected["labels"]["theta_E"].push_back(std::isnan(theta) ? nlohmann::json(nullptr) : nlohmann::json(theta));
    expected["labels"]["z_source"].push_back(std::get<double>(s.labels[3]));
    expected["labels"]["n_images"].push_back(std::get<std::int64_t>(s.labels[4]));
  }
  write_text(work() / "expected.json", expected.dump());
  write_text(work() / "check.py", R"(import json, math, sys
try:
    import h5py, numpy as np, pandas as pd
except ImportError as e:
    print(f"missing Python module {e.name}: run scripts/setup.sh", file=sys.stderr)
    sys.exit(3)
exp = json.load(open("expected.json"))
with h5py.File("set.h5", "r") as f:
    a = f.attrs
    assert a["schema_version"] == 1 and a["complete"] == 1, dict(a)
    assert a["num_images"] == exp["num_images"] and a["num_written"] == exp["num_images"]
    assert a["seed"] == exp["seed"] and a["config"] == exp["config"], (a["seed"], a["config"])
    assert list(a["bands"]) == exp["bands"], list(a["bands"])
    assert list(a["planes"]) == ["noiseless", "source", "sigma", "mask", "kappa"], list(a["planes"])
    for b, shape in exp["shapes"].items():
        d = f["images"][b]
        assert d.dtype == np.float32 and d.shape == tuple(shape), (d.dtype, d.shape)
        assert d.chunks == (1, shape[1], shape[2]) and d.maxshape == (None, shape[1], shape[2]), d.chunks
        ref = np.fromfile(f"{b}.f32", dtype="<f4").reshape(shape)
        assert np.array_equal(d[...].view(np.uint32), ref.view(np.uint32)), b
        assert d.attrs["unit"] == exp["units"][b] and d.attrs["band"] == b
        assert f["sigma"][b].shape == tuple(shape) and f["masks"][b].dtype == np.uint16
        assert list(f["masks"][b].attrs["bit_names"])[:2] == ["COSMIC_RAY", "HOT"]
    assert f["kappa"].shape == (exp["num_images"], 4, 7)
    cols = list(f["labels"].attrs["columns"])
    df = pd.DataFrame({c: f["labels"][c][...] for c in cols})
    assert f["labels"]["theta_E"].attrs["unit"] == "arcsec"
assert list(df.columns) == exp["label_names"], list(df.columns)
dtypes = {c: str(t) for c, t in df.dtypes.items()}
assert dtypes == exp["dtypes"], dtypes
assert list(df["subtype"].str.decode("ascii")) == exp["labels"]["subtype"]
for c in ["class", "n_images", "z_source"]:
    assert list(df[c]) == exp["labels"][c], c
theta = [None if math.isnan(v) else v for v in df["theta_E"]]
assert theta == exp["labels"]["theta_E"], theta
print("ok")
)");
  const fs::path out = root_ / "log" / "python";
  const std::string cmd = "cd '" + work().string() + "' && /usr/bin/python3 check.py >'" + out.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  const int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  ASSERT_NE(status, 3) << read_text(out) << "h5py or pandas is missing: run scripts/setup.sh";
  EXPECT_EQ(status, 0) << read_text(out);
  EXPECT_EQ(read_text(out), "ok\n");
}

// ---- commands: inspect, gallery, export-fits -----------------------------------------------------

TEST_F(DatasetIo, InspectSummarisesTheFile) {
  write_complete("set.h5", WriterOptions{4, true});
  const Result r = run("inspect set.h5");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const std::string line : {
           "file: set.h5\n",
           "schema_version: 1\n",
           "software_version: " LENSFORGE_VERSION "\n",
           "seed: 7\n",
           "images: 12 of 12 (complete)\n",
           "compression: gzip 4 + shuffle\n",
           "bands: 2\n",
           "  g: 6 x 5 px (rows x columns), unit 'e-/s', zero_point 30, pixel_scale 0.263 arcsec/px, exposure_time 900 "
           "s, psf_fwhm 1.1 arcsec, survey 'DES'\n",
           "  r: 8 x 9 px (rows x columns), unit 'ADU', zero_point 31.25,",
           "planes: image, noiseless, source, sigma, mask, kappa (4 x 7 px, 0.05 arcsec/px)\n",
           "labels: 5\n",
           "  class (int64): min 0, mean 0.666667, max 1 -- 1 lens, 0 non-lens\n",
           "  subtype (string, 6 bytes) -- kind of system\n",
           // lenses i = 1, 2, 4, 5, 7, 8, 10, 11: theta_E = 0.5 + 0.1 i, mean i = 6
           "  theta_E (float64, arcsec): min 0.6, mean 1.1, max 1.6; 4 non-finite -- Einstein radius\n",
           "  z_source (float64): min 1, mean 2.375, max 3.75 -- source redshift\n",
           "counts by class: 0: 4, 1: 8\n",
           "counts by subtype: double: 4, none: 4, quad: 4\n",
       })
    EXPECT_CONTAINS(r.out, line);

  {
    DatasetWriter w = DatasetWriter::create(file("run.h5"), test_schema(), test_run());
    write_images(w, 0, 5);
  }
  const Result partial = run("inspect run.h5.partial");
  ASSERT_EQ(partial.status, 0) << partial.err;
  EXPECT_CONTAINS(partial.out, "images: 5 of 12 (incomplete: the run was interrupted; resume it to finish)\n");
  EXPECT_CONTAINS(partial.out, "counts by class: 0: 2, 1: 3\n");

  const auto before = files();
  expect_bad_input(run("inspect missing.h5"), "'missing.h5': no such file", before);
  expect_bad_input(run("inspect set.h5 extra.h5"), "extra.h5", before);
}

namespace {

struct Png {
  png_uint_32 width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // rows top to bottom
  std::array<int, 3> at(int x, int y) const {
    const std::size_t k = 3 * (std::size_t(y) * width + std::size_t(x));
    return {rgb[k], rgb[k + 1], rgb[k + 2]};
  }
};

Png read_png_rgb(const std::string& path) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) throw std::runtime_error(img.message);
  img.format = PNG_FORMAT_RGB;
  Png p{img.width, img.height, std::vector<std::uint8_t>(PNG_IMAGE_SIZE(img))};
  if (!png_image_finish_read(&img, nullptr, p.rgb.data(), 0, nullptr)) throw std::runtime_error(img.message);
  return p;
}

int to_byte(float v) { return v > 0.0f ? (v >= 1.0f ? 255 : int(std::lround(v * 255.0f))) : 0; }

}  // namespace

TEST_F(DatasetIo, GalleryDrawsClassFramedTilesInIndexOrder) {
  write_complete("set.h5");
  const Result r = run("gallery set.h5 -o grid.png --n 5 --bands r --first 2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "wrote grid.png: 5 images (2 x 3 tiles) from index 2, grey r; frame: green lens");
  // Band r is 8 rows x 9 columns; frame = max(2, 8 / 16) = 2 px; 3 columns, 2 rows of 13 x 12 px
  // cells with 2 px gaps: 3 * 13 + 4 * 2 = 47 wide, 2 * 12 + 3 * 2 = 30 high.
  const Png png = read_png_rgb(file("grid.png"));
  ASSERT_EQ(png.width, 47u);
  ASSERT_EQ(png.height, 30u);
  const DatasetReader reader(file("set.h5"));
  const std::array<int, 3> green{0, 255, 0}, red{255, 0, 0}, black{0, 0, 0};
  for (int t = 0; t < 5; ++t) {
    const int index = 2 + t, left = 2 + (t % 3) * 15, top = 2 + (t / 3) * 14;
    EXPECT_EQ(png.at(left, top), index % 3 == 0 ? red : green) << "frame of tile " << t;
    EXPECT_EQ(png.at(left + 12, top + 11), index % 3 == 0 ? red : green) << "frame of tile " << t;
    EXPECT_EQ(png.at(left - 1, top), black) << "gap before tile " << t;
    // Pixels: image row i is PNG row top + 2 + (7 - i) (y up), grey = the asinh stretch of the tile.
    const ImageF v = asinh_stretch(reader.read_image("r", index));
    for (int i : {0, 3, 7})
      for (int j : {0, 4, 8}) {
        const int g = to_byte(v(i, j));
        EXPECT_EQ(png.at(left + 2 + j, top + 2 + (7 - i)), (std::array<int, 3>{g, g, g})) << t << " " << i << " " << j;
      }
  }
  EXPECT_EQ(png.at(32, 16), black);  // the sixth cell is empty

  // Three bands of one size give a colour composite, R = i, G = r, B = g by default; no class: grey.
  DatasetSchema s;
  s.bands = {BandSchema{"g", "HSC", 4, 4, "flux", 27, 0.168, 600, 0.7}, BandSchema{"r", "HSC", 4, 4, "flux", 27, 0.168, 600, 0.7},
             BandSchema{"i", "HSC", 4, 4, "flux", 27, 0.168, 600, 0.7}};
  DatasetWriter w = DatasetWriter::create(file("rgb.h5"), s, {1, 1, ""});
  Sample sample;
  for (float base : {1.0f, 2.0f, 3.0f}) {
    ImageF img(4, 4);
    for (int k = 0; k < 16; ++k) img.data()[k] = base * float(k);
    sample.bands.push_back(BandPlanes{img});
  }
  w.append(sample);
  w.finish();
  const Result rgb = run("gallery rgb.h5 -o rgb.png");
  ASSERT_EQ(rgb.status, 0) << rgb.err;
  EXPECT_CONTAINS(rgb.out, "1 images (1 x 1 tiles) from index 0, R=i G=r B=g; frame: grey");
  const Png c = read_png_rgb(file("rgb.png"));
  EXPECT_EQ(c.width, 4u + 4 + 4);
  EXPECT_EQ(c.at(2, 2), (std::array<int, 3>{128, 128, 128}));
  // Each band is k * base, so each stretches alike: the brightest pixel (row 3, column 3, top
  // right in the PNG) is white, the faintest black.
  EXPECT_EQ(c.at(4 + 3, 4), (std::array<int, 3>{255, 255, 255}));
  EXPECT_EQ(c.at(4, 4 + 3), black);

  const auto before = files();
  expect_bad_input(run("gallery set.h5 -o grid.png"), "exists; use --overwrite", before);
  expect_bad_input(run("gallery set.h5 -o g2.png --bands g,r"), "give one band (grey) or three (R,G,B)", before);
  expect_bad_input(run("gallery set.h5 -o g2.png --bands g,r,x"), "has no band 'x' (bands: g, r)", before);
  expect_bad_input(run("gallery set.h5 -o g2.png --bands g,r,g"), "a composite needs equal sizes", before);
  expect_bad_input(run("gallery set.h5 -o g2.png --first 12"), "--first 12 is past the last image", before);
  expect_bad_input(run("gallery set.h5 -o g2.jpg"), "must end in .png", before);
  expect_bad_input(run("gallery set.h5 -o g2.png --n 0"), "--n", before);
  ASSERT_EQ(run("gallery set.h5 -o grid.png --n 1 --overwrite").status, 0);
  EXPECT_EQ(read_png_rgb(file("grid.png")).width, 2u + 5 + 2 + 2 + 2);  // band g: 5 columns
}

TEST(ExportFits, ParseIndexList) {
  EXPECT_EQ(parse_index_list("3,7,10-12", 13), (std::vector<std::int64_t>{3, 7, 10, 11, 12}));
  EXPECT_EQ(parse_index_list("5,2-6,0", 7), (std::vector<std::int64_t>{5, 2, 3, 4, 6, 0}));
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("3,13", 13); }), "13 is past the last image");
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("8-2", 13); }), "range '8-2' runs backwards");
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("1,,2", 13); }), "'' is not an index");
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("x", 13); }), "'x' is not an index");
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("-1", 13); }), "'' is not an index");
  EXPECT_CONTAINS(error_of<ConfigError>([] { parse_index_list("2 ", 13); }), "'2 ' is not an index");
}

TEST_F(DatasetIo, ExportFitsWritesOneMultiExtensionFilePerIndex) {
  write_complete("set.h5");
  const Result r = run("export-fits set.h5 --indices 3,7,10-11 -o fits");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(work() / "fits")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"set_03.fits", "set_07.fits", "set_10.fits", "set_11.fits"}));
  EXPECT_CONTAINS(r.out, "wrote fits/set_07.fits (image 7, 2 HDUs)\n");

  const std::string f7 = (work() / "fits" / "set_07.fits").string();
  EXPECT_EQ(fits_hdu_names(f7), (std::vector<std::string>{"g", "r"}));
  const DatasetReader reader(file("set.h5"));
  for (const char* band : {"g", "r"}) {
    const FitsImage img = read_fits_image(f7, std::string(band));
    EXPECT_TRUE(same_bits(ImageF(img.data.cast<float>()), reader.read_image(band, 7))) << band;
    EXPECT_EQ(img.card("BAND"), band);
    EXPECT_EQ(img.card("LFINDEX"), "7");
    EXPECT_EQ(img.card("LFSEED"), "7");
    EXPECT_EQ(img.card("class"), "1");
    EXPECT_EQ(img.card("subtype"), "quad");
    // Written as the shortest text that reads back exactly.
    EXPECT_EQ(std::stod(*img.card("theta_E")), std::get<double>(make_sample(test_schema(), 7).labels[2]));
    EXPECT_EQ(img.card("n_images"), "4");
    EXPECT_NEAR(*img.pixel_scale_arcsec(), 0.263, 1e-12);
  }
  EXPECT_EQ(read_fits_image(f7, "r").card("BUNIT"), "ADU");
  EXPECT_EQ(read_fits_image(f7, "r").card("MAGZP"), "31.25");
  const FitsImage f3 = read_fits_image((work() / "fits" / "set_03.fits").string(), 0);
  EXPECT_EQ(f3.card("class"), "0");
  EXPECT_FALSE(f3.card("theta_E").has_value());  // NaN: only a comment
  const std::pair<std::string, std::string> nan_comment{"COMMENT", "theta_E = nan"};
  EXPECT_NE(std::find(f3.header.begin(), f3.header.end(), nan_comment), f3.header.end());

  const auto before = files();
  expect_bad_input(run("export-fits set.h5 --indices 3,12 -o out"), "12 is past the last image", before);
  expect_bad_input(run("export-fits set.h5 --indices 3-1 -o out"), "runs backwards", before);
  expect_bad_input(run("export-fits set.h5 --indices 2,7 -o fits"), "set_07.fits' exists; use --overwrite", before);
  expect_bad_input(run("export-fits set.h5 --indices 2 -o none/out"), "parent folder 'none' does not exist", before);
  expect_bad_input(run("export-fits nothere.h5 --indices 2 -o out"), "no such file", before);
  EXPECT_EQ(run("export-fits set.h5 --indices 2,7 -o fits --overwrite").status, 0);
}

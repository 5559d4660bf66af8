// open_dataset_source: exactly the stored pixels, planes and labels, bands in the order asked,
// concurrent reads, and errors that name the file and what is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "data_test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/example_source.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

constexpr std::int64_t kRows = 10;

const std::string& dataset() { return test::synthetic_dataset<kRows>(); }

std::string open_error(const std::string& path, const SourceOptions& o) {
  try {
    open_dataset_source(path, o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool same_pixels(const ImageF& img, std::int64_t row, std::size_t band, int plane) {
  for (int y = 0; y < img.rows(); ++y)
    for (int x = 0; x < img.cols(); ++x)
      if (img(y, x) != test::synthetic_pixel(row, band, plane, y, x)) return false;
  return true;
}

}  // namespace

TEST(DatasetSource, AVirtualMasterOverShardsReadsLikeOneFile) {
  test::TempDir dir;
  test::write_synthetic_dataset(dir / "part0.h5", 4, 0);
  test::write_synthetic_dataset(dir / "part1.h5", kRows - 4, 4);
  write_virtual_dataset(dir / "master.h5", test::synthetic_schema(), DatasetRun{7, kRows, "synthetic"},
                        {{dir / "part0.h5", 0, 4}, {dir / "part1.h5", 4, kRows - 4}}, false);
  SourceOptions o;
  o.bands = {"A", "C"};
  o.columns = {"class", "lens_theta_E", "index"};
  o.noise_planes = true;
  const auto one = open_dataset_source(dataset(), o), master = open_dataset_source(dir / "master.h5", o);
  ASSERT_EQ(master->size(), kRows);
  for (std::int64_t i = 0; i < kRows; ++i) {
    const RawExample a = one->get(i), b = master->get(i);
    EXPECT_EQ(b.index, i);
    for (std::size_t k = 0; k < 2; ++k) {
      EXPECT_TRUE((a.bands[k].array() == b.bands[k].array()).all()) << i;
      EXPECT_TRUE((a.sigma[k].array() == b.sigma[k].array()).all()) << i;
    }
    for (std::size_t c = 0; c < o.columns.size(); ++c)
      EXPECT_TRUE(a.values[c] == b.values[c] || (std::isnan(a.values[c]) && std::isnan(b.values[c]))) << i << " " << c;
  }
}

TEST(DatasetSource, ReturnsTheStoredPixelsAndLabels) {
  SourceOptions o;
  o.bands = {"C", "B"};
  o.columns = {"class", "lens_theta_E", "n_images", "index"};
  o.noise_planes = true;
  const auto src = open_dataset_source(dataset(), o);
  EXPECT_EQ(src->size(), kRows);
  EXPECT_FALSE(src->fresh_per_epoch());
  ASSERT_EQ(src->bands().size(), 2u);
  EXPECT_EQ(src->bands()[0].name, "C");
  EXPECT_EQ(src->bands()[1].name, "B");
  EXPECT_EQ(src->bands()[1].pixel_scale, 0.3);
  EXPECT_EQ(src->columns(), o.columns);
  for (std::int64_t i = 0; i < kRows; ++i) {
    const RawExample r = src->get(i);
    EXPECT_EQ(r.index, i);
    ASSERT_EQ(r.bands.size(), 2u);
    ASSERT_EQ(r.noiseless.size(), 2u);
    ASSERT_EQ(r.sigma.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t band = k == 0 ? 2 : 1;  // C, B in the file's order A, B, C
      EXPECT_TRUE(same_pixels(r.bands[k], i, band, 0)) << i << " " << k;
      EXPECT_TRUE(same_pixels(r.noiseless[k], i, band, 1)) << i << " " << k;
      EXPECT_TRUE(same_pixels(r.sigma[k], i, band, 2)) << i << " " << k;
    }
    const bool pos = test::synthetic_positive(i);
    ASSERT_EQ(r.values.size(), 4u);
    EXPECT_EQ(r.values[0], pos ? 1.0 : 0.0);
    if (pos) {
      EXPECT_EQ(r.values[1], test::synthetic_theta_E(i));
      EXPECT_EQ(r.values[2], 2.0);
    } else {
      EXPECT_TRUE(std::isnan(r.values[1]));
      EXPECT_TRUE(std::isnan(r.values[2]));  // int64 -1: "does not apply"
    }
    EXPECT_EQ(r.values[3], double(i));
    const std::vector<double> l = src->labels(i);
    EXPECT_EQ(0, std::memcmp(l.data(), r.values.data(), l.size() * sizeof(double)));
  }
  EXPECT_NE(src->describe().find("10 images"), std::string::npos) << src->describe();
}

TEST(DatasetSource, DefaultsToEveryBandWithoutNoisePlanes) {
  const auto src = open_dataset_source(dataset(), SourceOptions{});
  ASSERT_EQ(src->bands().size(), 3u);
  const RawExample r = src->get(4);
  EXPECT_TRUE(r.noiseless.empty());
  EXPECT_TRUE(r.values.empty());
  EXPECT_TRUE(same_pixels(r.bands[0], 4, 0, 0));
  EXPECT_TRUE(same_pixels(r.bands[2], 4, 2, 0));
}

TEST(DatasetSource, MaxRowsLimitsTheRows) {
  SourceOptions o;
  o.max_rows = 4;
  const auto src = open_dataset_source(dataset(), o);
  EXPECT_EQ(src->size(), 4);
  EXPECT_NO_THROW(src->get(3));
  EXPECT_THROW(src->get(4), ConfigError);
  o.max_rows = kRows + 1;
  EXPECT_NE(open_error(dataset(), o).find("max_rows = 11"), std::string::npos);
}

TEST(DatasetSource, ConcurrentReadsGiveTheSameImages) {
  const auto src = open_dataset_source(dataset(), SourceOptions{});
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      int good = 0;
      for (int rep = 0; rep < 5; ++rep)
        for (std::int64_t i = 0; i < kRows; ++i) {
          const RawExample r = src->get((i + t) % kRows);
          good += same_pixels(r.bands[0], (i + t) % kRows, 0, 0) && same_pixels(r.bands[1], (i + t) % kRows, 1, 0);
        }
      ok[std::size_t(t)] = good;
    });
  for (auto& t : threads) t.join();
  for (int g : ok) EXPECT_EQ(g, 5 * kRows);
}

TEST(DatasetSource, ErrorsNameTheFileAndWhatIsThere) {
  SourceOptions o;
  o.bands = {"A", "VIS"};
  std::string m = open_error(dataset(), o);
  EXPECT_NE(m.find(dataset()), std::string::npos) << m;
  EXPECT_NE(m.find("'VIS'"), std::string::npos) << m;
  EXPECT_NE(m.find("A, B, C"), std::string::npos) << m;

  o = SourceOptions{};
  o.columns = {"class", "lens_theta_e"};
  m = open_error(dataset(), o);
  EXPECT_NE(m.find("'lens_theta_e'"), std::string::npos) << m;
  EXPECT_NE(m.find("lens_theta_E"), std::string::npos) << m;  // listed among those there
  EXPECT_EQ(m.find("subtype"), std::string::npos) << m;       // strings are not offered

  o.columns = {"subtype"};
  m = open_error(dataset(), o);
  EXPECT_NE(m.find("string label column 'subtype'"), std::string::npos) << m;

  EXPECT_THROW(open_dataset_source(dataset() + ".missing", SourceOptions{}), IoError);
  const auto src = open_dataset_source(dataset(), SourceOptions{});
  EXPECT_THROW(src->get(-1), ConfigError);
  EXPECT_THROW(src->get(kRows), ConfigError);
}

TEST(DatasetSource, NoisePlanesMustBeStored) {
  test::TempDir dir;
  DatasetSchema s = test::synthetic_schema();
  s.planes = DatasetPlanes{};
  s.labels.clear();
  const std::string path = dir / "plain.h5";
  DatasetWriter w = DatasetWriter::create(path, s, DatasetRun{1, 1, "plain"});
  Sample sample;
  for (const BandSchema& b : s.bands) sample.bands.push_back(BandPlanes{ImageF::Zero(b.ny, b.nx)});
  w.append(sample);
  w.finish();
  SourceOptions o;
  o.noise_planes = true;
  const std::string m = open_error(path, o);
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("noiseless"), std::string::npos) << m;
}

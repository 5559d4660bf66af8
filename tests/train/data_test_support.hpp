#pragma once
// Helpers of the data-path tests: temporary folders, small generator configs, and a small data set
// written with DatasetWriter whose every pixel and label is known.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string>

#include "lensforge/sim/io/dataset_writer.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "test_support.hpp"

namespace lensforge::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("lensforge_train_" + std::to_string(::getpid()) + "_" +
                                                     std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

/// The shipped LSST population shrunk to 16x16 cutouts without supersampling and class blocks of
/// 20, so that a few dozen images take well under a second (as tests/sim/test_generate.cpp).
inline GeneratorConfig small_lsst_config() {
  std::string s = read_text(source_path("configs/populations/lsst.yaml"));
  s = std::regex_replace(s, std::regex("image_size: 64"), "image_size: 16");
  s = std::regex_replace(s, std::regex("supersampling: 2"), "supersampling: 1");
  s = std::regex_replace(s, std::regex("class_block: 100"), "class_block: 20");
  s = std::regex_replace(s, std::regex("min_lensed_pixels: 10"), "min_lensed_pixels: 3");
  return parse_generator_config(s, "lsst_small.yaml", source_path("configs/populations"), source_path("configs"));
}

// ---- a synthetic data set -------------------------------------------------------------------

/// Bands of the synthetic set: "A" 12x12 px at 0.1"/px, "B" 4x4 px at 0.3"/px, "C" 12x12 at 0.1"/px.
inline DatasetSchema synthetic_schema() {
  DatasetSchema s;
  s.bands = {BandSchema{"A", "test", 12, 12, "e-/s", 25.0, 0.1, 100.0, 0.2},
             BandSchema{"B", "test", 4, 4, "e-/s", 24.0, 0.3, 100.0, 0.4},
             BandSchema{"C", "test", 12, 12, "e-/s", 23.0, 0.1, 100.0, 0.2}};
  s.planes.noiseless = true;
  s.planes.sigma = true;
  s.labels = {LabelColumn{"index", LabelType::INT64, "", "row"},
              LabelColumn{"class", LabelType::INT64, "", "1 lens, 0 not"},
              LabelColumn{"subtype", LabelType::STRING, "", "name", 8},
              LabelColumn{"lens_theta_E", LabelType::FLOAT64, "arcsec", "NaN for non-lenses"},
              LabelColumn{"lens_center_x", LabelType::FLOAT64, "arcsec", "x"},
              LabelColumn{"lens_center_y", LabelType::FLOAT64, "arcsec", "y"},
              LabelColumn{"lens_e1", LabelType::FLOAT64, "", "e1"},
              LabelColumn{"lens_e2", LabelType::FLOAT64, "", "e2"},
              LabelColumn{"n_images", LabelType::INT64, "", "-1 where it does not apply"}};
  return s;
}

/// Pixel (y, x) of plane `plane` (0 image, 1 noiseless, 2 sigma) of band b of row i: distinct
/// values, exact in float32.
inline float synthetic_pixel(std::int64_t i, std::size_t b, int plane, int y, int x) {
  if (plane == 2) return 0.5f + 0.25f * float(b) + 0.125f * float(i % 4);
  return float(i * 1000 + std::int64_t(b) * 200 + y * 12 + x) + (plane == 1 ? 0.5f : 0.0f);
}

/// Labels of row i: class 1 on every third row; theta_E NaN on negatives; n_images -1 on negatives.
inline bool synthetic_positive(std::int64_t i) { return i % 3 == 0; }
inline double synthetic_theta_E(std::int64_t i) { return 0.5 + 0.01 * double(i); }

/// Writes rows [first, first + n) of the synthetic set to `path` (a shard when first > 0).
inline void write_synthetic_dataset(const std::string& path, std::int64_t n, std::int64_t first = 0) {
  const DatasetSchema schema = synthetic_schema();
  DatasetWriter w = DatasetWriter::create(path, schema, DatasetRun{7, n, "synthetic"});
  for (std::int64_t i = first; i < first + n; ++i) {
    Sample s;
    for (std::size_t b = 0; b < schema.bands.size(); ++b) {
      const BandSchema& bs = schema.bands[b];
      BandPlanes p;
      for (int plane = 0; plane < 3; ++plane) {
        ImageF img(bs.ny, bs.nx);
        for (int y = 0; y < bs.ny; ++y)
          for (int x = 0; x < bs.nx; ++x) img(y, x) = synthetic_pixel(i, b, plane, y, x);
        (plane == 0 ? p.image : plane == 1 ? p.noiseless : p.sigma) = std::move(img);
      }
      s.bands.push_back(std::move(p));
    }
    const bool pos = synthetic_positive(i);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.labels = {LabelValue(std::int64_t(i)),
                LabelValue(std::int64_t(pos ? 1 : 0)),
                LabelValue(std::string(pos ? "lens" : "galaxy")),
                LabelValue(pos ? synthetic_theta_E(i) : nan),
                LabelValue(0.01 * double(i)),
                LabelValue(-0.02 * double(i)),
                LabelValue(0.1),
                LabelValue(-0.05),
                LabelValue(std::int64_t(pos ? 2 : -1))};
    w.append(s);
  }
  w.finish();
}

/// A synthetic data set of `Rows` rows written once per test program into a temporary folder.
template <std::int64_t Rows>
const std::string& synthetic_dataset() {
  static TempDir dir;
  static const std::string path = [] {
    const std::string p = dir / "synthetic.h5";
    write_synthetic_dataset(p, Rows);
    return p;
  }();
  return path;
}

}  // namespace lensforge::test

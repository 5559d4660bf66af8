#pragma once
// A tiny lens-finding problem for the LibTorch tests: two 16x16 bands ("A" 0.2"/px, "B" the same
// grid) of a central elliptical "galaxy" plus noise; odd examples (class 1) add an Einstein-ring
// like Gaussian ring of radius lens_theta_E in [0.6, 1.2] arcsec, even ones (class 0) do not and
// have lens_theta_E = NaN. Written to a lensforge HDF5 data set with DatasetWriter, so the trainer
// reads it through its ordinary file path.
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include <unistd.h>

#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/io/dataset_writer.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::test {

/// A fresh folder under the system's temporary folder, removed with its contents at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("lensforge_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

inline constexpr double kTinyPixelScale = 0.2;  ///< arcsec/px

/// The tiny data set's schema: bands A and B of size x size px; columns class, lens_theta_E.
inline DatasetSchema tiny_schema(int size) {
  DatasetSchema s;
  for (const char* name : {"A", "B"}) {
    BandSchema b;
    b.name = name;
    b.survey = "test";
    b.nx = b.ny = size;
    b.unit = "flux";
    b.zero_point = 25.0;
    b.pixel_scale = kTinyPixelScale;
    s.bands.push_back(b);
  }
  s.labels = {{"class", LabelType::INT64, "", "1 lens, 0 not", 0},
              {"lens_theta_E", LabelType::FLOAT64, "arcsec", "ring radius", 0}};
  return s;
}

/// lens_theta_E of a corrupted lens example, arcsec: finite, but its standardised square
/// overflows float32 (max 3.4e38) in the Gaussian NLL.
inline constexpr double kCorruptThetaE = 1e37;

/// Example `index` of the tiny problem drawn from Rng(seed, index); a lens with lens_theta_E =
/// kCorruptThetaE in its label when `corrupt` (its image is that of an ordinary lens).
inline Sample tiny_sample(std::uint64_t seed, std::int64_t index, int size, bool corrupt = false) {
  Rng rng(seed, std::uint64_t(index));
  const bool lens = index % 2 == 1 || corrupt;
  const double theta = lens ? rng.uniform(0.6, 1.2) : std::numeric_limits<double>::quiet_NaN();
  Sample s;
  for (int band = 0; band < 2; ++band) {
    ImageF img(size, size);
    const double c = 0.5 * (size - 1);
    for (int i = 0; i < size; ++i) {
      for (int j = 0; j < size; ++j) {
        const double x = (j - c) * kTinyPixelScale, y = (i - c) * kTinyPixelScale;
        double v = 2.0 * std::exp(-(x * x / 0.08 + y * y / 0.05)) + rng.normal(0.0, 0.1);
        if (lens) {
          const double r = std::hypot(x, y) - theta;
          v += (band == 0 ? 0.6 : 1.0) * std::exp(-r * r / (2 * 0.12 * 0.12));
        }
        img(i, j) = float(v);
      }
    }
    BandPlanes planes;
    planes.image = std::move(img);
    s.bands.push_back(std::move(planes));
  }
  s.labels = {LabelValue(std::int64_t(lens ? 1 : 0)), LabelValue(corrupt ? kCorruptThetaE : theta)};
  return s;
}

/// Writes `n` tiny examples (seed `seed`) to `path`, example `corrupt_index` (if any) corrupted.
inline void write_tiny_dataset(const std::string& path, int n, int size, std::uint64_t seed,
                               std::int64_t corrupt_index = -1) {
  DatasetWriter w = DatasetWriter::create(path, tiny_schema(size), DatasetRun{seed, n, "tiny test problem"});
  for (int i = 0; i < n; ++i) w.append(tiny_sample(seed, i, size, i == corrupt_index));
  w.finish();
}

/// A small CNN run on the tiny data: 2 stages of widths 4, 8, dense 16, no dropout, batch 8,
/// constant rate 3e-3, one loader worker, one torch thread.
inline train::TrainConfig tiny_config(const std::string& train_file, const std::string& val_file,
                                      const std::string& output_dir) {
  train::TrainConfig c;
  c.output_dir = output_dir;
  c.yaml_text = "tiny: test";
  c.train.file = train_file;
  c.validation.file = val_file;
  c.stack.bands = {"A", "B"};
  c.stack.grid = train::BandGrid::NATIVE;
  c.preprocess.normalisation = train::Normalisation::MINMAX;
  c.augment.dihedral = false;
  c.task.classify = true;
  c.model.architecture = train::Architecture::CNN;
  c.model.widths = {4, 8};
  c.model.dense_units = 16;
  c.model.dropout = 0.0;
  c.model.spatial_dropout = 0.0;
  c.optim.learning_rate = 3e-3;
  c.loader.batch_size = 8;
  c.loader.workers = 1;
  c.loader.prefetch = 2;
  c.epochs = 2;
  c.seed = 11;
  c.threads = 1;
  return c;
}

}  // namespace lensforge::test

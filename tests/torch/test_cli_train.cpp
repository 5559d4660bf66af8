// lensforge-train as a user runs it: fit on a tiny generated data set, resume, show-config, and the
// exit status and single error line of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

#if !defined(LENSFORGE_TRAIN_EXE) || !defined(LENSFORGE_SIM_EXE)
#error "LENSFORGE_TRAIN_EXE and LENSFORGE_SIM_EXE must be defined by tests/CMakeLists.txt"
#endif

namespace lensforge::test {
namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string out, err;
};

/// Runs `exe args` in `dir`, capturing stdout and stderr in files beside it.
Result run_in(const fs::path& dir, const std::string& exe, const std::string& args) {
  const fs::path out = dir.parent_path() / (dir.filename().string() + ".stdout");
  const fs::path err = dir.parent_path() / (dir.filename().string() + ".stderr");
  const std::string cmd = "cd '" + dir.string() + "' && env -u LENSFORGE_CONFIGS '" + exe + "' " + args + " >'" +
                          out.string() + "' 2>'" + err.string() + "'";
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(out), read_text(err)};
}

/// metrics.csv as rows of name -> value.
std::vector<std::vector<std::pair<std::string, double>>> read_metrics(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::stringstream s(line); std::getline(s, line, ',');) names.push_back(line);
  std::vector<std::vector<std::pair<std::string, double>>> rows;
  while (std::getline(in, line)) {
    std::vector<std::pair<std::string, double>> row;
    std::stringstream s(line);
    for (const auto& n : names) {
      std::string v;
      std::getline(s, v, ',');
      row.emplace_back(n, std::strtod(v.c_str(), nullptr));
    }
    rows.push_back(row);
  }
  return rows;
}

// 32 training and 16 validation images of the Euclid population (VIS 200x200 at 0.1"/px, NISP
// 66x66 at 0.3"/px), stacked VIS + H onto 0.6"/px and cut to 16x16 px: the smallest input on which
// a two-stage CNN still runs, so an epoch takes a fraction of a second.
const char* kConfig = R"(output_dir: run
data:
  train: {file: DATA/train.h5}
  validation: {file: DATA/val.h5}
stack: {bands: [VIS, H], grid: finest, pixel_scale: 0.6, size: 16}
preprocess: {stretch: asinh, softening: 0.025, normalisation: minmax}
augment: {dihedral: true}
task: {classify: true}
model: {architecture: cnn, widths: [4, 8], dense_units: 8, dropout: 0.0}
optim: {optimizer: adam, learning_rate: 0.001, schedule: constant}
loader: {batch_size: 8, workers: 1, prefetch: 2}
epochs: 2
seed: 3
threads: 1
)";

class CliTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = fs::temp_directory_path() / ("lensforge_cli_train_data_" + std::to_string(::getpid()));
    fs::remove_all(data_);
    fs::create_directories(data_);
    const std::string population = source_path("configs/populations/euclid.yaml");
    for (const auto& [name, n, seed] : {std::tuple{"train.h5", 32, 1}, std::tuple{"val.h5", 16, 2}}) {
      const Result r = run_in(data_, LENSFORGE_SIM_EXE,
                              "generate '" + population + "' -n " + std::to_string(n) + " -o " + name +
                                  " --seed " + std::to_string(seed) + " --threads 2");
      ASSERT_EQ(r.status, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(data_); }

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    work_ = data_ / info->name();
    fs::create_directories(work_);
  }

  /// Writes the tiny config (with `extra` lines appended) as work/NAME and returns its name.
  std::string write_config(const std::string& extra = "", const std::string& name = "cfg.yaml") const {
    std::string text = kConfig;
    for (std::size_t at; (at = text.find("DATA")) != std::string::npos;) text.replace(at, 4, data_.string());
    std::ofstream(work_ / name) << text << extra;
    return name;
  }

  Result train(const std::string& args) const { return run_in(work_, LENSFORGE_TRAIN_EXE, args); }

  /// Status 2, one line "lensforge-train: error: ..." holding `part`, and no run folder.
  void expect_bad_input(const Result& r, const std::string& part, const std::string& output = "run") const {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(r.err.rfind("lensforge-train: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(work_ / output)) << "bad input must write nothing";
  }

  static fs::path data_;
  fs::path work_;
};

fs::path CliTrain::data_;

TEST_F(CliTrain, FitWritesCheckpointsAndOneMetricsRowPerEpoch) {
  const Result r = train("fit " + write_config());
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"best.pt", "last.pt", "metrics.csv", "metrics.json", "train.log"})
    EXPECT_TRUE(fs::is_regular_file(work_ / "run" / f)) << f;
  const auto rows = read_metrics(work_ / "run" / "metrics.csv");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    for (const auto& [name, v] : row) {
      if (name == "train_loss" || name == "val_loss") {
        EXPECT_TRUE(std::isfinite(v) && v > 0) << name;
      }
    }
  }
  EXPECT_NE(r.out.find("completed 2 epochs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("best: epoch"), std::string::npos) << r.out;

  // The run is not overwritten by accident; --overwrite starts again.
  const Result again = train("fit cfg.yaml");
  EXPECT_EQ(again.status, 2);
  EXPECT_NE(again.err.find("already holds a run"), std::string::npos) << again.err;
  EXPECT_EQ(train("fit cfg.yaml --overwrite --epochs 1").status, 0);
  EXPECT_EQ(read_metrics(work_ / "run" / "metrics.csv").size(), 1u);
}

TEST_F(CliTrain, DataThatLacksABandIsBadInput) {
  expect_bad_input(train("fit " + write_config() + " --set stack.bands=[VIS,K]"), "no band 'K'");
}

TEST_F(CliTrain, ResumeReachesTheMetricsOfAnUninterruptedRun) {
  const std::string cfg = write_config();
  ASSERT_EQ(train("fit " + cfg + " -o whole").status, 0);
  const Result first = train("fit " + cfg + " -o parts --epochs 1");
  ASSERT_EQ(first.status, 0) << first.err;
  const Result rest = train("fit " + cfg + " -o parts --resume");
  ASSERT_EQ(rest.status, 0) << rest.err;
  const auto whole = read_metrics(work_ / "whole" / "metrics.csv");
  const auto parts = read_metrics(work_ / "parts" / "metrics.csv");
  ASSERT_EQ(whole.size(), 2u);
  ASSERT_EQ(parts.size(), 2u);
  // One thread, a fixed seed and a constant learning rate: the resumed run repeats the same
  // arithmetic, so losses agree to the printed precision (timings differ and are skipped).
  for (std::size_t e = 0; e < 2; ++e)
    for (std::size_t k = 0; k < whole[e].size(); ++k) {
      const auto& [name, v] = whole[e][k];
      if (name == "seconds" || name == "images_per_second" || std::isnan(v)) continue;
      EXPECT_NEAR(parts[e][k].second, v, 1e-9 * std::fabs(v) + 1e-12) << "epoch " << e + 1 << " " << name;
    }
}

// One case of each kind (the config messages themselves are checked in tests/train/test_train_config.cpp).
TEST_F(CliTrain, BadInputExitsTwoWithOneErrorLineAndWritesNothing) {
  expect_bad_input(train("fit " + write_config("epoch: 3\n", "typo.yaml")),
                   "typo.yaml:15: epoch: unknown top-level key; did you mean 'epochs'?");
  expect_bad_input(train("fit " + write_config() + " --set data.train.file=missing.h5"),
                   "data.train.file = " + (work_ / "missing.h5").string() + ": no such file");
  expect_bad_input(train("fit " + write_config() + " --resume"), "no " + (work_ / "run" / "last.pt").string());
  expect_bad_input(train("fti cfg.yaml"), "unknown command 'fti'; available: fit, show-config");
}

TEST_F(CliTrain, NonFiniteLossStopsWithStatusOneAndTheReason) {
  // Pixels scaled by 1e38 and neither stretched nor normalised: every lens galaxy's core (tens of
  // e-/s in a 0.6" pixel) exceeds float32's 3.4e38, so the first batch's loss is not finite.
  const Result r = train("fit " + write_config() +
                         " --set 'preprocess={band_scale: [1e38, 1e38], stretch: linear, normalisation: none}'");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("lensforge-train: error: training stopped: non-finite loss"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("at epoch 1, batch 1"), std::string::npos) << r.err;
}

TEST_F(CliTrain, ShowConfigPrintsTheEffectiveConfig) {
  const Result r = train("show-config " + write_config() + " --set epochs=5 --set stack.bands=[VIS]");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("epochs: 5\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bands: [VIS]\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("output_dir: " + (work_ / "run").string() + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  // The printed config is a config: fit-ready and unchanged by a second reading.
  std::ofstream(work_ / "effective.yaml") << r.out;
  const Result again = train("show-config effective.yaml");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out.substr(again.out.find('\n')), r.out.substr(r.out.find('\n')));
  // Missing data is a note, not an error: configs are checked before their data is made.
  const Result missing = train("show-config cfg.yaml --set data.validation.file=later.h5");
  EXPECT_EQ(missing.status, 0);
  EXPECT_NE(missing.err.find("note: data.validation.file"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace lensforge::test

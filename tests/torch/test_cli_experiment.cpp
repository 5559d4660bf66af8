// `lensforge-train experiment` as a user runs it: a tiny experiment (small cutouts, a few dozen
// images, a 2-stage CNN, one epoch) generates, trains, evaluates and writes the summary; a second
// run reuses everything (a regression-only model included); a bad experiment file is one error line and exit status 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

#ifndef LENSFORGE_TRAIN_EXE
#error "LENSFORGE_TRAIN_EXE must be defined by tests/CMakeLists.txt"
#endif

namespace lensforge::test {
namespace {

namespace fs = std::filesystem;

class CliExperiment : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lensforge_cli_experiment_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) const {
    const std::string cmd = "'" + std::string(LENSFORGE_TRAIN_EXE) + "' " + args + " >'" + (dir_ / "out.txt").string() +
                            "' 2>'" + (dir_ / "err.txt").string() + "'";
    const int rc = std::system(cmd.c_str());
    if (out) *out = read_text(dir_ / "out.txt");
    if (err) *err = read_text(dir_ / "err.txt");
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  fs::path dir_;
};

TEST_F(CliExperiment, RunsTheWholeJobThenReusesItsOutputs) {
  const std::string populations = source_path("configs/populations");
  const std::string small = "'survey.image_size={VIS: 40, Y: 14, J: 14, H: 14}'";
  const std::string training =
      "[epochs=1, 'stack={bands: [VIS, H], pixel_scale: 0.25, size: 16}', 'model.widths=[4, 8]', "
      "model.dense_units=8, loader.batch_size=8, threads=1]";
  std::ofstream(dir_ / "x.yaml") << "title: tiny\noutput_dir: run\nthreads: 1\ndatasets:\n"
                                 << "  train: {population: " << populations << "/euclid.yaml, count: 40, seed: 1, set: ["
                                 << small << "]}\n"
                                 << "  val: {population: " << populations << "/euclid.yaml, count: 20, seed: 2, set: ["
                                 << small << "]}\n"
                                 << "  rings: {population: " << populations
                                 << "/compound.yaml, count: 10, seed: 3, set: [" << small
                                 << ", classes.compound_arc.fraction=0, classes.double_ring.fraction=1]}\n"
                                 << "models:\n  finder: {config: " << source_path("configs/training/theta_e_regressor.yaml")
                                 << ", train: train, validation: val, set: " << training << "}\n"
                                 << "  reg: {config: " << source_path("configs/training/theta_e_regressor.yaml")
                                 << ", train: train, validation: val, set: " << training.substr(0, training.size() - 1)
                                 << ", task.classify=false]}\n"
                                 << "evaluations:\n  e: {model: finder, sets: [val, rings]}\n"
                                 << "  r: {model: reg, sets: [val], mc_samples: 2}\n"
                                 << "headline:\n  finder: {evaluation: e, test: val, compound: [rings]}\n"
                                 << "  regressor: {evaluation: r, test: val, min_theta_E: 0}\n  compare: [e]\n";
  std::string out, err;
  ASSERT_EQ(run("experiment '" + (dir_ / "x.yaml").string() + "'", &out, &err), 0) << out << err;
  for (const char* f : {"data/train.h5", "data/val.h5", "data/rings.h5", "models/finder/best.pt", "models/reg/best.pt",
                        "eval/e/report.html", "eval/e/metrics.json", "eval/r/report.html", "results.json", "report.html"})
    EXPECT_TRUE(fs::is_regular_file(dir_ / "run" / f)) << f;
  const auto r = nlohmann::json::parse(read_text(dir_ / "run/results.json"));
  const double auroc = r["finder"]["auroc"].get<double>();
  EXPECT_TRUE(auroc >= 0 && auroc <= 1) << auroc;
  EXPECT_EQ(r["finder"]["compound"]["rings"]["value"].is_number() || r["finder"]["compound"]["rings"]["value"].is_null(),
            true);
  EXPECT_GT(r["regressor"]["lenses"].get<int>(), 0);
  EXPECT_EQ(r["sweep"].size(), 2u) << "the ratio and the second source's magnitude for one finder on one set";
  EXPECT_NE(out.find("headline figures"), std::string::npos);
  const std::string report = read_text(dir_ / "run/report.html");
  EXPECT_NE(report.find("href=\"eval/e/report.html\""), std::string::npos);
  EXPECT_NE(report.find("<svg"), std::string::npos);

  ASSERT_EQ(run("experiment '" + (dir_ / "x.yaml").string() + "'", &out, &err), 0) << err;
  EXPECT_NE(out.find("data set train: up to date"), std::string::npos) << out;
  EXPECT_NE(out.find("model finder: up to date"), std::string::npos) << out;
}

TEST_F(CliExperiment, BadExperimentFileIsOneErrorLineAndExitTwo) {
  std::ofstream(dir_ / "bad.yaml") << "output_dir: run\ndatasets:\n  a: {population: nowhere.yaml, count: 5}\n";
  std::string out, err;
  EXPECT_EQ(run("experiment '" + (dir_ / "bad.yaml").string() + "'", &out, &err), 2);
  EXPECT_NE(err.find("nowhere.yaml"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(dir_ / "run"));
}

}  // namespace
}  // namespace lensforge::test

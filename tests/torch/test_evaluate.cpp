// evaluate() and `lensforge-train evaluate` on a model trained for a few batches on the tiny
// problem (torch_test_support.hpp): the predictions it scores are the Predictor's, every output
// file is written, MC dropout adds epistemic coverage, and a validation set gives a calibrated
// checkpoint copy whose card holds the fitted temperature. (The metrics themselves are checked
// against hand-computed cases in tests/train/test_eval_*.cpp.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/eval/evaluate.hpp"
#include "lensforge/train/model_card.hpp"
#include "lensforge/train/predictor.hpp"
#include "lensforge/train/trainer.hpp"
#include "test_support.hpp"
#include "torch_test_support.hpp"

#if !defined(LENSFORGE_TRAIN_EXE)
#error "LENSFORGE_TRAIN_EXE must be defined by tests/CMakeLists.txt"
#endif

namespace lensforge::test {
namespace {

namespace fs = std::filesystem;

/// One tiny model (classifier + theta_E regressor with dropout, so MC dropout has something to
/// sample) and its data, shared by the tests of this file.
class Evaluate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("evaluate");
    write_tiny_dataset(dir_->file("train.h5"), 48, 16, 1);
    write_tiny_dataset(dir_->file("val.h5"), 24, 16, 2);
    write_tiny_dataset(dir_->file("test.h5"), 40, 16, 3);
    train::TrainConfig c = tiny_config(dir_->file("train.h5"), dir_->file("val.h5"), dir_->file("run"));
    c.task.targets = {"lens_theta_E"};
    c.model.num_targets = 1;
    c.model.dropout = 0.3;
    c.epochs = 2;
    train::FitOptions f;
    f.progress = false;
    ASSERT_TRUE(train::fit(c, f).ok);
    checkpoint_ = dir_->file("run/best.pt");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  static std::string checkpoint_;
};
TempDir* Evaluate::dir_ = nullptr;
std::string Evaluate::checkpoint_;

TEST_F(Evaluate, ScoresThePredictorsOutputsAndWritesEveryFile) {
  eval::EvaluateOptions o;
  o.checkpoint = checkpoint_;
  o.data = {dir_->file("test.h5")};
  o.validation = dir_->file("val.h5");
  o.output_dir = dir_->file("eval");
  o.mc_samples = 4;
  o.metrics.bootstrap = 20;
  o.gallery = 3;
  o.threads = 1;
  std::ostringstream log;
  const eval::Evaluation ev = eval::evaluate(o, log);
  ASSERT_EQ(ev.sets.size(), 1u);
  const eval::SetPredictions& s = ev.sets[0];
  ASSERT_EQ(s.size(), 40);
  for (std::int64_t i = 0; i < s.size(); ++i) EXPECT_EQ(s.labels[std::size_t(i)], i % 2) << i;  // odd rows are lenses

  // The logits are the Predictor's for the image prepared from the file (example 5).
  train::Predictor p(checkpoint_, "cpu", 1);
  train::SourceOptions so;
  so.bands = p.card().stack.bands;
  const auto src = train::open_dataset_source(dir_->file("test.h5"), so);
  const train::Example ex = p.prepare(src->get(5), src->bands());
  const train::Predictions direct = p.predict(ex.pixels, 1);
  EXPECT_NEAR(s.logits[5], direct.logit[0], 1e-5);
  ASSERT_EQ(s.targets.size(), 1u);
  EXPECT_NEAR(s.targets[0].mean[5], direct.mean[0], 1e-4);
  EXPECT_EQ(s.targets[0].sigma_epistemic.size(), 40u);
  EXPECT_EQ(s.probability_std.size(), 40u);

  // Temperature: fitted on val.h5, used for the test set, stored in a checkpoint copy only.
  ASSERT_TRUE(ev.temperature_fit.has_value());
  EXPECT_LE(ev.temperature_fit->nll_after, ev.temperature_fit->nll_before);
  EXPECT_EQ(s.temperature, ev.temperature_fit->temperature);
  EXPECT_DOUBLE_EQ(train::read_model_card(dir_->file("eval/calibrated.pt")).temperature, ev.temperature_fit->temperature);
  EXPECT_EQ(train::read_model_card(checkpoint_).temperature, p.card().temperature);

  const nlohmann::json j = nlohmann::json::parse(read_text(dir_->file("eval/metrics.json")));
  const auto& set = j["sets"][0];
  EXPECT_EQ(set["size"], 40);
  const double auroc = set["classification"]["scalars"]["auroc"]["value"];
  EXPECT_GE(auroc, 0.0);
  EXPECT_LE(auroc, 1.0);
  // aleatoric, epistemic and combined sigma, each at 68.27% and 95%, over the 20 lenses.
  ASSERT_EQ(set["targets"][0]["coverage"].size(), 6u);
  EXPECT_EQ(set["targets"][0]["coverage"][4]["sigma"], "combined");
  EXPECT_EQ(set["targets"][0]["coverage"][0]["count"], 20);
  EXPECT_NE(read_text(dir_->file("eval/metrics.csv")).find("test,classification,tpr0,"), std::string::npos);
  const std::string html = read_text(dir_->file("eval/report.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("calibrated.pt"), std::string::npos);
  EXPECT_NE(log.str().find("temperature fitted"), std::string::npos);
}

TEST_F(Evaluate, CommandLineWritesTheReportAndRefusesBadInput) {
  const std::string out = dir_->file("cli");
  auto run = [&](const std::string& args) {
    const std::string cmd = std::string("'") + LENSFORGE_TRAIN_EXE + "' evaluate " + args + " >'" + out +
                            ".stdout' 2>'" + out + ".stderr'";
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  const std::string common = "'" + checkpoint_ + "' '" + dir_->file("test.h5") + "' --bootstrap 10 --threads 1 -o '" + out + "'";
  ASSERT_EQ(run(common), 0) << read_text(out + ".stderr");
  EXPECT_NE(read_text(out + ".stdout").find("test: 40 images, AUROC"), std::string::npos) << read_text(out + ".stdout");
  EXPECT_TRUE(fs::exists(fs::path(out) / "report.html"));
  EXPECT_FALSE(fs::exists(fs::path(out) / "calibrated.pt"));  // no --validation
  // An earlier evaluation is not replaced without --overwrite.
  EXPECT_EQ(run(common), 2);
  EXPECT_NE(read_text(out + ".stderr").find("--overwrite"), std::string::npos);
  EXPECT_EQ(run(common + " --overwrite"), 0);
  // A missing test set: one error line naming it, exit status 2.
  EXPECT_EQ(run("'" + checkpoint_ + "' '" + dir_->file("missing.h5") + "' -o '" + dir_->file("cli2") + "'"), 2);
  const std::string err = read_text(out + ".stderr");
  EXPECT_NE(err.find("missing.h5"), std::string::npos);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(dir_->file("cli2")));
}

}  // namespace
}  // namespace lensforge::test

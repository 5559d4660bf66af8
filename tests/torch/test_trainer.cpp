// The training loop on the tiny problem (torch_test_support.hpp): it learns, resumes exactly,
// stops on a non-finite loss keeping finite checkpoints, and writes its outputs.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "checkpoint.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/predictor.hpp"
#include "lensforge/train/trainer.hpp"
#include "lr_schedule.hpp"
#include "rank_auroc.hpp"
#include "torch_test_support.hpp"

namespace lensforge::train {
namespace {
namespace fs = std::filesystem;

/// Training (32) and validation (16) files of the tiny problem, written once for the suite.
class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir("trainer_data");
    test::write_tiny_dataset(train_file(), 32, 16, 1);
    test::write_tiny_dataset(val_file(), 16, 16, 2);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string train_file() { return dir_->file("train.h5"); }
  static std::string val_file() { return dir_->file("val.h5"); }
  static test::TempDir* dir_;
};
test::TempDir* TrainerTest::dir_ = nullptr;

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

FitOptions quiet() {
  FitOptions o;
  o.progress = false;
  return o;
}

TEST_F(TrainerTest, TinyModelOverfitsTinyDataSet) {
  test::TempDir out("fit");
  TrainConfig c = test::tiny_config(train_file(), val_file(), out.file("run"));
  c.epochs = 40;
  c.optim.learning_rate = 1e-2;
  const FitResult r = fit(c, quiet());
  ASSERT_TRUE(r.ok) << r.stop_reason;
  EXPECT_EQ(r.epochs_completed, 40);
  EXPECT_EQ(r.stop_reason, "completed 40 epochs");
  const nlohmann::json m = read_json(out.file("run/metrics.json"));
  ASSERT_EQ(m["epochs"].size(), 40u);
  const double first = m["epochs"][0]["train_loss"], last = m["epochs"][39]["train_loss"];
  // The first epoch's mean is near chance (log 2 = 0.69); 32 separable examples must be learnt.
  EXPECT_LT(last, first / 10) << "first " << first << ", last " << last;
  EXPECT_GT(double(m["epochs"][39]["val_auroc"]), 0.9);
  for (const char* f : {"best.pt", "last.pt", "metrics.csv", "train.log"}) {
    EXPECT_TRUE(fs::exists(out.file(std::string("run/") + f))) << f;
  }
  const ModelCard card = read_model_card(r.best_checkpoint);
  EXPECT_EQ(card.epoch, r.best_epoch);
  EXPECT_EQ(card.model.input, (InputShape{2, 16, 16}));
  EXPECT_EQ(card.bands.size(), 2u);
  EXPECT_EQ(card.config_yaml, "tiny: test");
  // A second run into the same folder needs resume or overwrite.
  EXPECT_THROW(fit(c, quiet()), ConfigError);
}

/// Final weights of a run's last.pt.
std::vector<torch::Tensor> last_weights(const std::string& dir) {
  torch_impl::CheckpointReader reader(dir + "/last.pt");
  torch_impl::LensNet net = reader.load_model();
  std::vector<torch::Tensor> w;
  for (const auto& p : net->named_parameters()) w.push_back(p.value().clone());
  for (const auto& b : net->named_buffers()) w.push_back(b.value().clone());
  return w;
}

TEST_F(TrainerTest, ResumeGivesTheWeightsOfAnUninterruptedRun) {
  // Everything random in play: dropout and channel dropout, augmentation, shuffling, AdamW,
  // gradient clipping, warm-up and a step schedule.
  test::TempDir out("resume");
  TrainConfig c = test::tiny_config(train_file(), val_file(), out.file("whole"));
  c.model.dropout = 0.3;
  c.model.spatial_dropout = 0.2;
  c.augment.dihedral = true;
  c.optim.kind = OptimizerKind::ADAMW;
  c.optim.weight_decay = 1e-2;
  c.optim.grad_clip = 1.0;
  c.optim.schedule = ScheduleKind::STEP;
  c.optim.step_epochs = 1;
  c.optim.gamma = 0.5;
  c.optim.warmup_epochs = 1;
  c.loader.workers = 2;
  c.epochs = 3;
  ASSERT_TRUE(fit(c, quiet()).ok);

  TrainConfig first = c;
  first.output_dir = out.file("split");
  first.epochs = 2;
  ASSERT_TRUE(fit(first, quiet()).ok);
  TrainConfig second = first;
  second.epochs = 3;
  FitOptions resume = quiet();
  resume.resume = true;
  const FitResult r = fit(second, resume);
  ASSERT_TRUE(r.ok) << r.stop_reason;
  EXPECT_EQ(r.epochs_completed, 3);

  const auto a = last_weights(out.file("whole")), b = last_weights(out.file("split"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
  const nlohmann::json ma = read_json(out.file("whole/metrics.json")), mb = read_json(out.file("split/metrics.json"));
  ASSERT_EQ(mb["epochs"].size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_EQ(ma["epochs"][e]["train_loss"], mb["epochs"][e]["train_loss"]) << e;
    EXPECT_EQ(ma["epochs"][e]["val_loss"], mb["epochs"][e]["val_loss"]) << e;
    EXPECT_EQ(ma["epochs"][e]["lr"], mb["epochs"][e]["lr"]) << e;
  }

  // Resuming with another model is refused.
  TrainConfig other = second;
  other.model.widths = {4, 4};
  EXPECT_THROW(fit(other, resume), ConfigError);
}

TEST_F(TrainerTest, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoints) {
  // A training file whose row 32 has a corrupted label (lens_theta_E = 1e37 arcsec): epoch 1
  // trains on the first 32 rows; the resumed run, on all 33 with the standardisation it started
  // with, meets row 32 in epoch 2, where (1e37 / 0.2)^2 overflows float32 in the Gaussian NLL.
  test::TempDir out("nan");
  test::write_tiny_dataset(out.file("corrupt.h5"), 33, 16, 1, 32);
  TrainConfig c = test::tiny_config(out.file("corrupt.h5"), val_file(), out.file("run"));
  c.task.targets = {"lens_theta_E"};
  c.model.num_targets = 1;
  c.train.size = 32;
  c.epochs = 1;
  ASSERT_TRUE(fit(c, quiet()).ok);
  c.train.size = 0;
  c.epochs = 3;
  FitOptions resume = quiet();
  resume.resume = true;
  const FitResult r = fit(c, resume);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.stop_reason.find("non-finite"), std::string::npos) << r.stop_reason;
  EXPECT_NE(r.stop_reason.find("epoch 2"), std::string::npos) << r.stop_reason;
  EXPECT_EQ(r.epochs_completed, 1);
  EXPECT_EQ(r.best_epoch, 1);
  EXPECT_EQ(read_model_card(r.last_checkpoint).epoch, 1);
  EXPECT_EQ(read_model_card(r.best_checkpoint).epoch, 1);
  for (const auto& w : last_weights(out.file("run"))) EXPECT_TRUE(torch::isfinite(w).all().item<bool>());
  EXPECT_EQ(read_json(out.file("run/metrics.json"))["epochs"].size(), 1u);
}

TEST_F(TrainerTest, InvalidConfigIsRefusedBeforeTraining) {
  test::TempDir out("invalid");
  TrainConfig c = test::tiny_config(train_file(), val_file(), out.file("run"));
  c.optim.learning_rate = 1e30;
  EXPECT_THROW(fit(c, quiet()), ConfigError);
  EXPECT_FALSE(fs::exists(out.file("run/train.log")));
}

TEST_F(TrainerTest, RegressionTargetsAreStandardisedOnTheTrainingSet) {
  test::TempDir out("regress");
  TrainConfig c = test::tiny_config(train_file(), val_file(), out.file("run"));
  c.task.targets = {"lens_theta_E"};
  c.model.num_targets = 1;
  c.epochs = 1;
  const FitResult r = fit(c, quiet());
  ASSERT_TRUE(r.ok) << r.stop_reason;
  const ModelCard card = read_model_card(r.last_checkpoint);
  ASSERT_EQ(card.scaling.mean.size(), 1u);
  // theta_E of the 16 positives of the training file, drawn as the writer drew them.
  double sum = 0;
  for (int i = 1; i < 32; i += 2) sum += std::get<double>(test::tiny_sample(1, i, 16).labels[1]);
  EXPECT_NEAR(card.scaling.mean[0], sum / 16, 1e-9);
  EXPECT_EQ(card.model.num_targets, 1);
  const nlohmann::json m = read_json(out.file("run/metrics.json"));
  EXPECT_FALSE(m["epochs"][0]["val_nll"].is_null());
  Predictor p(r.last_checkpoint, "cpu", 1);
  EXPECT_EQ(p.card().scaling.mean, card.scaling.mean);
}

TEST_F(TrainerTest, EarlyStoppingAfterPatienceEpochs) {
  test::TempDir out("early");
  TrainConfig c = test::tiny_config(train_file(), val_file(), out.file("run"));
  c.epochs = 30;
  c.early_stopping_patience = 2;
  c.min_delta = 1e6;  // nothing counts as an improvement after the first epoch
  const FitResult r = fit(c, quiet());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.epochs_completed, 3);
  EXPECT_NE(r.stop_reason.find("early stopping"), std::string::npos) << r.stop_reason;
}

TEST(LrSchedule, WarmUpStepCosineAndPlateau) {
  OptimSpec o;
  o.learning_rate = 1.0;
  o.warmup_epochs = 2;
  o.schedule = ScheduleKind::STEP;
  o.step_epochs = 2;
  o.gamma = 0.5;
  torch_impl::LrSchedule step(o, 10);
  EXPECT_DOUBLE_EQ(step.lr(0), 1.0 / 3);
  EXPECT_DOUBLE_EQ(step.lr(1), 2.0 / 3);
  EXPECT_DOUBLE_EQ(step.lr(2), 1.0);
  EXPECT_DOUBLE_EQ(step.lr(3), 1.0);
  EXPECT_DOUBLE_EQ(step.lr(4), 0.5);
  o.warmup_epochs = 0;
  o.schedule = ScheduleKind::COSINE;
  o.min_learning_rate = 0.1;
  torch_impl::LrSchedule cosine(o, 4);
  EXPECT_DOUBLE_EQ(cosine.lr(0), 1.0);
  EXPECT_DOUBLE_EQ(cosine.lr(2), 0.55);  // half way: (1 + 0.1) / 2
  o.schedule = ScheduleKind::PLATEAU;
  o.plateau_patience = 1;
  o.min_learning_rate = 0.3;
  torch_impl::LrSchedule plateau(o, 10);
  for (double loss : {1.0, 0.9, 0.95, 0.95}) plateau.observe(loss);  // two bad epochs > patience 1
  EXPECT_DOUBLE_EQ(plateau.lr(4), 0.5);
  torch_impl::LrSchedule restored(o, 10);
  restored.restore(plateau.state());
  for (double loss : {0.95, 0.95}) restored.observe(loss);
  EXPECT_DOUBLE_EQ(restored.lr(6), 0.3);  // 0.25 floored at min_learning_rate
}

TEST(RankAuroc, MatchesPairCountingWithTies) {
  // Positives {0.9, 0.5, 0.3}, negatives {0.5, 0.2}: 0.9 beats both (2), 0.5 ties 0.5 and beats
  // 0.2 (1.5), 0.3 beats 0.2 (1): 4.5 of 6 pairs.
  EXPECT_DOUBLE_EQ(torch_impl::rank_auroc({0.9f, 0.5f, 0.5f, 0.3f, 0.2f}, {1, 1, 0, 1, 0}), 4.5 / 6);
  EXPECT_TRUE(std::isnan(torch_impl::rank_auroc({0.1f, 0.2f}, {1, 1})));
}

}  // namespace
}  // namespace lensforge::train

// Data-parallel training: `mpirun -n 2 lensforge-train fit` and two processes started with
// --rank/--world-size reach the weights of one process with the same global batch.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "checkpoint.hpp"
#include "distributed.hpp"
#include "test_support.hpp"
#include "torch_test_support.hpp"

#if !defined(LENSFORGE_TRAIN_EXE)
#error "LENSFORGE_TRAIN_EXE must be defined by tests/CMakeLists.txt"
#endif

namespace lensforge::test {
namespace {

namespace fs = std::filesystem;

std::string shq(const fs::path& p) { return "'" + p.string() + "'"; }

// 37 training examples in global batches of 8: four whole batches and one of 5, which the two
// processes split 2 + 3. Classification plus theta_E regression (NaN for non-lenses, so the NLL
// is a mean over a different number of entries in each process's part), augmentation and dropout
// on, no batch norm (see the BatchNorm test below).
const char* kConfig = R"(output_dir: run
data:
  train: {file: DATA/train.h5}
  validation: {file: DATA/val.h5}
stack: {bands: [A, B], grid: native}
preprocess: {normalisation: minmax}
augment: {dihedral: true}
task: {classify: true, targets: [lens_theta_E], regress_positives_only: true}
model: {architecture: cnn, widths: [4, 8], dense_units: 16, dropout: 0.3, spatial_dropout: 0.1, batch_norm: false}
optim: {optimizer: adam, learning_rate: 0.003, schedule: constant}
loader: {batch_size: 8, workers: 1, prefetch: 2}
epochs: 2
seed: 5
threads: 1
)";

/// metrics.csv's column `name`, one value per epoch.
std::vector<double> metric(const fs::path& csv, const std::string& name) {
  std::ifstream in(csv);
  std::string line, cell;
  std::getline(in, line);
  int column = -1, i = 0;
  for (std::stringstream s(line); std::getline(s, cell, ','); ++i)
    if (cell == name) column = i;
  std::vector<double> values;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    for (int k = 0; k <= column; ++k) std::getline(s, cell, ',');
    values.push_back(std::strtod(cell.c_str(), nullptr));
  }
  return values;
}

class DistributedTrain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new TempDir("distributed_train");
    write_tiny_dataset(data_->file("train.h5"), 37, 16, 1);
    write_tiny_dataset(data_->file("val.h5"), 13, 16, 2);
    std::string text = kConfig;
    for (std::size_t at; (at = text.find("DATA")) != std::string::npos;) text.replace(at, 4, data_->file(""));
    std::ofstream(data_->file("cfg.yaml")) << text;
    const std::string model = "dropout: 0.3, spatial_dropout: 0.1, batch_norm: false";
    text.replace(text.find(model), model.size(), "dropout: 0.0, batch_norm: true");
    std::ofstream(data_->file("bn.yaml")) << text;
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  void SetUp() override {
    if (shell("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun missing: run scripts/setup.sh";
  }

  static std::string fit(const std::string& cfg, const std::string& out) {
    return "'" LENSFORGE_TRAIN_EXE "' fit " + shq(data_->file(cfg)) + " -o " + shq(data_->file(out)) + " ";
  }
  static std::string mpirun(int n) {
    return "mpirun --oversubscribe " + std::string(::geteuid() == 0 ? "--allow-run-as-root " : "") + "-n " +
           std::to_string(n) + " ";
  }
  /// One process's run (cached per config): the reference.
  static fs::path single(const std::string& cfg) {
    const std::string out = "single_" + cfg;
    if (!fs::exists(data_->file(out) + "/last.pt")) {
      EXPECT_EQ(shell(fit(cfg, out) + ">" + shq(data_->file(out + ".log")) + " 2>&1"), 0)
          << read_text(data_->file(out + ".log"));
    }
    return data_->file(out);
  }

  /// Largest |a - b| over all parameters and buffers of two checkpoints; `scale` the largest |a|.
  static double max_weight_difference(const fs::path& a, const fs::path& b, double* scale) {
    using train::torch_impl::CheckpointReader;
    CheckpointReader ra((a / "last.pt").string()), rb((b / "last.pt").string());
    auto ma = ra.load_model(), mb = rb.load_model();
    const auto pa = ma->named_parameters(), pb = mb->named_parameters();
    double diff = 0;
    *scale = 0;
    for (const auto& item : pa) {
      const torch::Tensor x = item.value(), y = pb[item.key()];
      diff = std::max(diff, (x - y).abs().max().item<double>());
      *scale = std::max(*scale, x.abs().max().item<double>());
    }
    const auto ba = ma->named_buffers(), bb = mb->named_buffers();
    for (const auto& item : ba) {
      if (!item.value().is_floating_point()) continue;
      diff = std::max(diff, (item.value() - bb[item.key()]).abs().max().item<double>());
    }
    return diff;
  }

  /// The runs in `a` and `b` trained alike: weights within `weight_tol`, losses within `loss_rel`.
  static void expect_same_training(const fs::path& a, const fs::path& b, double weight_tol, double loss_rel) {
    double scale = 0;
    const double diff = max_weight_difference(a, b, &scale);
    EXPECT_LT(diff, weight_tol) << "largest weight " << scale;
    std::cout << "largest weight difference " << diff << " (largest weight " << scale << ")\n";
    EXPECT_GT(scale, 0.05);
    for (const char* name : {"train_loss", "train_bce", "train_nll", "val_loss", "val_accuracy", "val_auroc"}) {
      const auto x = metric(a / "metrics.csv", name), y = metric(b / "metrics.csv", name);
      ASSERT_EQ(x.size(), 2u) << name;
      ASSERT_EQ(y.size(), 2u) << name;
      for (std::size_t e = 0; e < x.size(); ++e) EXPECT_NEAR(y[e], x[e], loss_rel * std::fabs(x[e])) << name << " epoch " << e + 1;
    }
  }

  static TempDir* data_;
};

TempDir* DistributedTrain::data_ = nullptr;

// Tolerance: the processes' gradient parts are summed in another order than one process sums the
// batch (float32, ~1e-7 relative per sum); ten Adam steps of at most lr = 3e-3 each carry that to
// ~1e-7 of the weights (|w| < 1; measured 4.5e-8). 1e-6 is far below one step (3e-3), which a wrong normalisation
// (a mean per process, the NLL over local entries) changes by its full size, and the losses (sums
// of parts over the global counts) would then differ by tens of percent, not 1e-5 (the bound here).
constexpr double kWeightTol = 1e-6;
constexpr double kLossRel = 1e-5;

TEST_F(DistributedTrain, MpirunTwoProcessesMatchOneProcess) {
  const fs::path one = single("cfg.yaml");
  const fs::path two = data_->file("mpi");
  const std::string log = data_->file("mpi.log");
  ASSERT_EQ(shell(mpirun(2) + fit("cfg.yaml", "mpi") + "--dist-init file://" + data_->file("mpi.rdv") + " >" +
                  shq(log) + " 2>&1"),
            0)
      << read_text(log);
  const std::string text = read_text(log);
  EXPECT_NE(text.find("2 processes (gloo)"), std::string::npos) << text;
  EXPECT_EQ(text.find("best: epoch"), text.rfind("best: epoch")) << "only rank 0 reports: " << text;
  EXPECT_EQ(text.find("epoch 2/2: lr"), text.rfind("epoch 2/2: lr")) << "only rank 0 logs: " << text;
  expect_same_training(one, two, kWeightTol, kLossRel);
  EXPECT_FALSE(fs::exists(data_->file("mpi.rdv"))) << "the rendezvous file is removed";
}

TEST_F(DistributedTrain, ExplicitRanksWithAFileRendezvousMatchOneProcess) {
  const fs::path one = single("cfg.yaml");
  const std::string args = "--world-size 2 --dist-init file://" + data_->file("explicit.rdv");
  const std::string log0 = data_->file("rank0.log"), log1 = data_->file("rank1.log");
  const std::string script = data_->file("explicit.sh");
  std::ofstream(script) << "(" << fit("cfg.yaml", "explicit") << args << " --rank 1 >" << shq(log1)
                        << " 2>&1; echo $? >" << shq(data_->file("rc1")) << ") &\n"
                        << fit("cfg.yaml", "explicit") << args << " --rank 0 >" << shq(log0) << " 2>&1\n"
                        << "rc=$?\nwait\nexit $rc\n";
  const int rc = shell("sh " + shq(script));
  ASSERT_EQ(rc, 0) << read_text(log0);
  EXPECT_EQ(read_text(data_->file("rc1")), "0\n") << read_text(log1);
  expect_same_training(one, data_->file("explicit"), kWeightTol, kLossRel);
  EXPECT_EQ(read_text(log1), "") << "rank 1 prints nothing";
}

// Batch norm normalises with each process's own half batch (as PyTorch DDP without SyncBatchNorm),
// so two processes train a slightly different model: the weights follow the single-process run
// closely but not to rounding. The bound is loose (0.1 of the weights' scale after ten steps of
// 3e-3) and only says that the run is the same training, not another one: equal weights to 1e-6
// would mean the batch statistics were global.
TEST_F(DistributedTrain, BatchNormUsesEachProcesssStatistics) {
  const fs::path one = single("bn.yaml");
  ASSERT_EQ(shell(mpirun(2) + fit("bn.yaml", "mpi_bn") + "--dist-init file://" + data_->file("bn.rdv") + " >" +
                  shq(data_->file("bn.log")) + " 2>&1"),
            0)
      << read_text(data_->file("bn.log"));
  double scale = 0;
  const double diff = max_weight_difference(one, data_->file("mpi_bn"), &scale);
  std::cout << "batch norm: largest weight difference " << diff << " (largest weight " << scale << ")\n";
  EXPECT_GT(diff, kWeightTol);
  EXPECT_LT(diff, 0.1 * scale);
}

TEST_F(DistributedTrain, ResumedTwoProcessRunMatchesOneUninterruptedProcess) {
  const fs::path one = single("cfg.yaml");
  const std::string log = data_->file("resume.log");
  ASSERT_EQ(shell(mpirun(2) + fit("cfg.yaml", "resumed") + "--epochs 1 --dist-init file://" + data_->file("r1.rdv") +
                  " >" + shq(log) + " 2>&1"),
            0)
      << read_text(log);
  ASSERT_EQ(shell(mpirun(2) + fit("cfg.yaml", "resumed") + "--resume --dist-init file://" + data_->file("r2.rdv") +
                  " >" + shq(log) + " 2>&1"),
            0)
      << read_text(log);
  expect_same_training(one, data_->file("resumed"), kWeightTol, kLossRel);
}

TEST_F(DistributedTrain, BatchSizeMustBeAMultipleOfTheProcessCount) {
  const std::string log = data_->file("three.log");
  EXPECT_EQ(shell(fit("cfg.yaml", "three") + "--world-size 3 --rank 0 --dist-init file://" + data_->file("three.rdv") +
                  " >" + shq(log) + " 2>&1"),
            2);
  EXPECT_NE(read_text(log).find("loader.batch_size = 8: training on 3 processes needs a multiple of 3"),
            std::string::npos)
      << read_text(log);
  EXPECT_FALSE(fs::exists(data_->file("three")));
}

}  // namespace
}  // namespace lensforge::test

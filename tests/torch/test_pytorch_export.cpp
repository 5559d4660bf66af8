// `lensforge-train export`: the exported state dict, model card and Python definition rebuild the
// network in plain PyTorch (/usr/bin/python3) with the outputs of LibTorch, for a CNN and a
// pre-activation ResNet with classification and regression heads and non-trivial batch-norm
// statistics; Python's preprocess() and predict() give the numbers of the C++ preprocessing and
// Predictor; the command writes the files, refuses to replace them without --overwrite.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "checkpoint.hpp"
#include "lensforge/train/data/preprocess.hpp"
#include "lensforge/train/predictor.hpp"
#include "lensforge/train/pytorch_export.hpp"
#include "models.hpp"
#include "test_support.hpp"
#include "torch_test_support.hpp"

namespace lensforge::train {
namespace {
namespace fs = std::filesystem;
using torch_impl::LensNet;

constexpr const char* kPython = "/usr/bin/python3";

bool python_has_torch() {
  static const bool ok = std::system((std::string(kPython) + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

/// Runs a shell command; its exit status (-1 if it did not exit).
int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// A card with both heads (2 targets) and preprocessing steps with parameters: band scales, and
/// log + min-max (CNN) or percentile clipping + asinh + percentile scaling (ResNet).
ModelCard export_card(Architecture architecture) {
  ModelCard c;
  c.software_version = "test";
  c.created = "2026-01-01T00:00:00Z";
  c.model.architecture = architecture;
  c.model.input = {2, 16, 16};
  c.model.widths = {4, 8};
  c.model.blocks_per_stage = 2;  // ResNet: identity shortcuts in stage 0, a stride-2 projection into stage 1
  c.model.dense_units = 16;
  c.model.dropout = 0.3;          // inactive in eval mode
  c.model.spatial_dropout = 0.1;
  c.model.num_targets = 2;
  c.stack.bands = {"A", "B"};
  c.stack.grid = BandGrid::NATIVE;
  c.bands = test::tiny_schema(16).bands;
  c.preprocess.band_scale = {1.0, 2.0};
  c.preprocess.softening = 0.5;
  if (architecture == Architecture::CNN) {  // the other stretch with a parameter, min-max scaling
    c.preprocess.stretch = Stretch::LOG;
    c.preprocess.normalisation = Normalisation::MINMAX;
  } else {  // percentile clipping and scaling
    c.preprocess.clip_low = 0.5;
    c.preprocess.clip_high = 99.5;
    c.preprocess.stretch = Stretch::ASINH;
    c.preprocess.normalisation = Normalisation::PERCENTILE;
    c.preprocess.norm_low = 1.0;
    c.preprocess.norm_high = 99.0;
  }
  c.task.targets = {"lens_theta_E", "lens_e1"};
  c.scaling = {{"lens_theta_E", "lens_e1"}, {1.5, -0.2}, {0.4, 3.0}};
  c.temperature = 1.7;
  c.config_yaml = "model: {}\n";
  c.train_data = "tiny.h5 (40 images)";
  return c;
}

/// A model of the card whose every 1-d parameter (biases, batch-norm scales and shifts) is moved
/// off its initial value and whose batch-norm running statistics come from training-mode passes,
/// so that a weight or buffer the export dropped, renamed or mis-assigned changes the outputs.
LensNet make_model(const ModelCard& card) {
  torch::manual_seed(7);
  LensNet net(card.model, 1);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters())
      if (p.dim() == 1) p.add_(0.3 * torch::randn_like(p));
  }
  net->train();
  for (int i = 0; i < 3; ++i) net->forward(torch::rand({8, 2, 16, 16}) * 3 - 0.5);
  net->eval();
  return net;
}

/// Raw images [n, 2, 16, 16] of stored units, one pixel not finite (preprocess sets it to 0).
std::vector<float> raw_images(std::int64_t n) {
  torch::manual_seed(8);
  const torch::Tensor t = (torch::rand({n, 2, 16, 16}) * 4 - 1).contiguous();
  std::vector<float> v(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  v[37] = std::nanf("");
  return v;
}

std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

/// Compares the next expected.size() values of `python` from `offset` on with `expected`:
/// |py - c| <= tol * max(1, |c|).
void expect_close(const std::vector<float>& python, std::size_t& offset, const std::vector<float>& expected,
                  double tol, const std::string& what) {
  ASSERT_GE(python.size(), offset + expected.size()) << what << ": Python wrote too few values";
  double worst = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double c = expected[i], py = python[offset + i];
    worst = std::max(worst, std::abs(py - c) / std::max(1.0, std::abs(c)));
  }
  EXPECT_LE(worst, tol) << what << ": largest relative difference Python vs C++";
  offset += expected.size();
}

/// Exports a checkpoint of `architecture`, runs tests/torch/check_pytorch_export.py on raw images
/// and compares everything it wrote with LibTorch.
void check_architecture(Architecture architecture, const std::string& tag) {
  if (!python_has_torch()) GTEST_SKIP() << kPython << " cannot import torch (install python3-torch to run this test)";
  test::TempDir dir("pyexport_" + tag);
  const ModelCard card = export_card(architecture);
  LensNet net = make_model(card);
  const std::string checkpoint = dir.file("model.pt");
  torch_impl::save_checkpoint(checkpoint, card, net);
  const std::vector<std::string> files = export_pytorch(checkpoint, dir.file("export"));
  ASSERT_EQ(files.size(), 3u);
  for (const auto& f : files) EXPECT_TRUE(fs::is_regular_file(f)) << f;
  EXPECT_EQ(test::read_text(dir.file("export/lensforge_model.py")), test::read_text(test::source_path("train/python/lensforge_model.py")))
      << "the program's built-in copy of lensforge_model.py is stale";

  constexpr std::int64_t n = 5;
  const std::vector<float> raw = raw_images(n);
  {
    std::ofstream f(dir.file("images.f32"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(raw.data()), std::streamsize(raw.size() * sizeof(float)));
  }
  const std::string cmd = std::string(kPython) + " '" + test::source_path("tests/torch/check_pytorch_export.py") +
                          "' '" + dir.file("export") + "' '" + dir.file("images.f32") + "' " + std::to_string(n) +
                          " '" + dir.file("out.f32") + "' 2>&1";
  ASSERT_EQ(run(cmd), 0) << cmd;
  const std::vector<float> py = read_floats(dir.file("out.f32"));

  // C++: the data path's preprocessing, then the network as the checkpoint rebuilds it and the
  // Predictor behind lensforge-infer predict.
  std::vector<float> x = raw;
  const std::size_t per_image = std::size_t(card.model.input.numel());
  for (std::int64_t i = 0; i < n; ++i) preprocess(x.data() + std::size_t(i) * per_image, card.model.input, card.preprocess);
  torch_impl::CheckpointReader reader(checkpoint);
  LensNet loaded = reader.load_model();
  torch::NoGradGuard no_grad;
  const torch_impl::ModelOutput out = loaded->forward(torch::from_blob(x.data(), {n, 2, 16, 16}, torch::kFloat32));
  const Predictions pred = Predictor(checkpoint).predict(x, n);

  // Preprocessed pixels lie in [0, 1]; float32 asinh / log10 may differ by an ulp between libm and numpy.
  std::size_t at = 0;
  expect_close(py, at, x, 2e-6, "preprocess");
  // Network outputs: float32 sums of at most 8 * 4 * 4 = 128 products per dense unit (and 3 * 3 * 8
  // per convolution), accumulated in a different order at worst: ~128 * 6e-8 < 1e-5 of the
  // outputs' O(1) magnitude. A wrong weight, buffer or layer order changes them by >> 1e-3.
  constexpr double tol = 1e-5;
  for (const auto& [name, t] : {std::pair{"logit", out.logit}, {"mean", out.mean}, {"log_var", out.log_var}})
    expect_close(py, at, to_vector(t), tol, std::string("forward ") + name);
  expect_close(py, at, pred.probability, tol, "predict probability");
  expect_close(py, at, pred.mean, tol, "predict mean");
  expect_close(py, at, pred.sigma, tol, "predict sigma");
  for (const auto& [name, t] : {std::pair{"logit", out.logit}, {"mean", out.mean}, {"log_var", out.log_var}})
    expect_close(py, at, to_vector(t), tol, std::string("torch.jit.trace ") + name);
  EXPECT_EQ(at, py.size()) << "Python wrote more values than expected";
}

TEST(PytorchExport, CnnMatchesLibTorch) { check_architecture(Architecture::CNN, "cnn"); }

TEST(PytorchExport, ResNetMatchesLibTorch) { check_architecture(Architecture::RESNET, "resnet"); }

#ifdef LENSFORGE_TRAIN_EXE
TEST(PytorchExport, CommandWritesFilesAndRefusesToReplaceThem) {
  test::TempDir dir("pyexport_cli");
  const ModelCard card = export_card(Architecture::CNN);
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("model.pt"), card, net);
  const std::string exe = std::string("'") + LENSFORGE_TRAIN_EXE + "' export '" + dir.file("model.pt") + "' -o '" +
                          dir.file("export") + "'";
  const std::string out = dir.file("stdout"), err = dir.file("stderr");
  const std::string redirect = " >'" + out + "' 2>'" + err + "'";

  ASSERT_EQ(run(exe + redirect), 0) << test::read_text(err);
  for (const char* name : kPytorchExportFiles) {
    EXPECT_TRUE(fs::is_regular_file(dir.file(std::string("export/") + name))) << name;
    EXPECT_NE(test::read_text(out).find(name), std::string::npos) << "stdout lists " << name;
  }
  const nlohmann::json written = test::read_json(dir.file("export/model_card.json"));
  EXPECT_EQ(written["model"]["architecture"], "cnn");
  EXPECT_EQ(written["scaling"]["names"], nlohmann::json(card.scaling.names));

  // Again without --overwrite: exit 2, one line that names the folder and the flag.
  EXPECT_EQ(run(exe + redirect), 2);
  const std::string e = test::read_text(err);
  EXPECT_NE(e.find("--overwrite"), std::string::npos) << e;
  EXPECT_EQ(std::count(e.begin(), e.end(), '\n'), 1) << e;
  EXPECT_EQ(run(exe + " --overwrite" + redirect), 0) << test::read_text(err);

  // A missing checkpoint: exit 2 naming it, nothing written.
  const std::string missing = std::string("'") + LENSFORGE_TRAIN_EXE + "' export '" + dir.file("none.pt") + "' -o '" +
                              dir.file("export2") + "'";
  EXPECT_EQ(run(missing + redirect), 2);
  EXPECT_NE(test::read_text(err).find("none.pt"), std::string::npos) << test::read_text(err);
  EXPECT_FALSE(fs::exists(dir.file("export2")));
}
#endif

}  // namespace
}  // namespace lensforge::train

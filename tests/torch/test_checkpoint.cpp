// Checkpoint files and the Predictor on a hand-made (untrained) model: the card and the weights
// survive the round trip, predictions are those of the model, outputs are un-standardised with
// the card's scaling, and Monte Carlo dropout is spread and reproducible.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "checkpoint.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/predictor.hpp"
#include "lensforge/train/trainer.hpp"
#include "models.hpp"
#include "torch_test_support.hpp"

namespace lensforge::train {
namespace {
using torch_impl::LensNet;

ModelCard test_card() {
  ModelCard c;
  c.software_version = "test";
  c.created = "2026-01-01T00:00:00Z";
  c.model.architecture = Architecture::CNN;
  c.model.input = {2, 16, 16};
  c.model.widths = {4, 8};
  c.model.dense_units = 16;
  c.model.dropout = 0.3;
  c.model.spatial_dropout = 0.1;
  c.model.num_targets = 2;
  c.stack.bands = {"A", "B"};
  c.stack.grid = BandGrid::NATIVE;
  c.bands = test::tiny_schema(16).bands;
  c.preprocess.stretch = Stretch::ASINH;
  c.preprocess.softening = 0.25;
  c.preprocess.normalisation = Normalisation::NONE;
  c.task.targets = {"lens_theta_E", "lens_e1"};
  c.scaling = {{"lens_theta_E", "lens_e1"}, {1.5, -0.2}, {0.4, 3.0}};
  c.temperature = 1.7;
  c.config_yaml = "model: {}\n";
  c.train_data = "tiny.h5 (40 images)";
  c.epoch = 3;
  c.val_loss = 0.25;
  return c;
}

/// A model of the card whose batch-norm statistics are not the initial ones (a few training-mode
/// passes), so that the round trip must carry buffers as well as parameters.
LensNet make_model(const ModelCard& card) {
  torch::manual_seed(5);
  LensNet net(card.model, 1);
  net->train();
  for (int i = 0; i < 3; ++i) net->forward(torch::rand({8, 2, 16, 16}) * 3);
  net->eval();
  return net;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(Checkpoint, CardAndWeightsRoundTrip) {
  test::TempDir dir("ckpt");
  const ModelCard card = test_card();
  LensNet net = make_model(card);
  const std::string path = dir.file("m.pt");
  torch_impl::save_checkpoint(path, card, net);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  EXPECT_EQ(nlohmann::json(read_model_card(path)), nlohmann::json(card));
  torch_impl::CheckpointReader reader(path);
  EXPECT_FALSE(reader.has_resume_state());
  LensNet loaded = reader.load_model();
  const auto a = net->named_parameters(), b = loaded->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
  for (const auto& item : net->named_buffers()) {
    EXPECT_TRUE(torch::equal(item.value(), loaded->named_buffers()[item.key()])) << item.key();
  }
}

TEST(Checkpoint, MissingOrForeignFilesAreIoErrors) {
  test::TempDir dir("ckpt_bad");
  EXPECT_THROW(read_model_card(dir.file("none.pt")), IoError);
  std::ofstream(dir.file("text.pt")) << "not a checkpoint";
  EXPECT_THROW(read_model_card(dir.file("text.pt")), IoError);
  // A LibTorch archive without a card.
  torch::serialize::OutputArchive other;
  other.write("x", torch::ones({2}));
  other.save_to(dir.file("other.pt"));
  try {
    read_model_card(dir.file("other.pt"));
    FAIL() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not a lensforge checkpoint"), std::string::npos) << e.what();
  }
}

TEST(Predictor, PredictionsAreTheModelsUnstandardised) {
  test::TempDir dir("pred");
  const ModelCard card = test_card();
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("m.pt"), card, net);
  Predictor predictor(dir.file("m.pt"), "cpu", 1);
  EXPECT_EQ(predictor.card().temperature, 1.7);

  torch::manual_seed(8);
  const std::int64_t n = 6;
  const torch::Tensor x = torch::rand({n, 2, 16, 16});
  const Predictions p = predictor.predict(to_vector(x), n);
  torch::NoGradGuard no_grad;
  const torch_impl::ModelOutput out = net->forward(x);
  const std::vector<float> logit = to_vector(out.logit), mean = to_vector(out.mean), lv = to_vector(out.log_var);
  ASSERT_EQ(p.logit.size(), std::size_t(n));
  ASSERT_EQ(p.mean.size(), std::size_t(2 * n));
  EXPECT_TRUE(p.sigma_epistemic.empty());
  EXPECT_TRUE(p.probability_std.empty());
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(p.logit[i], logit[i]);  // same weights, same kernels: bit-identical
    EXPECT_NEAR(p.probability[i], 1.0 / (1.0 + std::exp(-logit[i] / 1.7)), 1e-6);
    for (int t = 0; t < 2; ++t) {
      const std::size_t k = std::size_t(i * 2 + t);
      // Physical = standardised * scale + mean; sigma = exp(log s^2 / 2) * scale (float32: 1e-5
      // relative covers the rounding of the product and the exp).
      const double expected_mean = mean[k] * card.scaling.scale[t] + card.scaling.mean[t];
      const double expected_sigma = std::exp(0.5 * lv[k]) * card.scaling.scale[t];
      EXPECT_NEAR(p.mean[k], expected_mean, 1e-5 * (1 + std::abs(expected_mean)));
      EXPECT_NEAR(p.sigma[k], expected_sigma, 1e-5 * expected_sigma);
    }
  }
  predictor.set_temperature(1.0);
  EXPECT_NEAR(predictor.predict(to_vector(x), n).probability[0], 1.0 / (1.0 + std::exp(-logit[0])), 1e-6);
  EXPECT_THROW(predictor.set_temperature(0.0), ConfigError);
  EXPECT_THROW(predictor.predict(std::vector<float>(10), n), ConfigError);
}

TEST(Predictor, MonteCarloDropoutIsSpreadAndSeeded) {
  test::TempDir dir("pred_mc");
  const ModelCard card = test_card();
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("m.pt"), card, net);
  Predictor predictor(dir.file("m.pt"), "cpu", 1);
  torch::manual_seed(9);
  const std::vector<float> x = to_vector(torch::rand({4, 2, 16, 16}));
  const Predictions plain = predictor.predict(x, 4);
  const Predictions a = predictor.predict(x, 4, 16, 7), b = predictor.predict(x, 4, 16, 7),
                    c = predictor.predict(x, 4, 16, 8);
  ASSERT_EQ(a.probability_std.size(), 4u);
  ASSERT_EQ(a.sigma_epistemic.size(), 8u);
  EXPECT_EQ(a.probability_std, b.probability_std);
  EXPECT_EQ(a.sigma_epistemic, b.sigma_epistemic);
  EXPECT_NE(a.probability_std, c.probability_std);
  for (float s : a.probability_std) EXPECT_GT(s, 0.f);
  for (float s : a.sigma_epistemic) EXPECT_GT(s, 0.f);
  // The point estimates are the deterministic (dropout off) pass either way.
  EXPECT_EQ(a.logit, plain.logit);
  EXPECT_EQ(a.mean, plain.mean);
}

TEST(Predictor, LogitGradientMatchesFiniteDifferences) {
  test::TempDir dir("pred_grad");
  ModelCard card = test_card();
  card.model.dropout = 0.0;
  card.model.spatial_dropout = 0.0;
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("m.pt"), card, net);
  Predictor predictor(dir.file("m.pt"), "cpu", 1);
  torch::manual_seed(10);
  std::vector<float> x = to_vector(torch::rand({2, 2, 16, 16}));
  std::vector<float> logits;
  const std::vector<float> g = predictor.logit_gradient(x, 2, &logits);
  ASSERT_EQ(g.size(), x.size());
  EXPECT_EQ(logits, predictor.predict(x, 2).logit);
  // Central difference at the pixel of largest gradient of image 1 (ReLU kinks aside, the
  // logit is linear on a step of 1e-2; float32 logits of ~1 carry ~1e-7 error, so the difference
  // quotient is good to ~1e-5 plus the curvature term: 5% of the gradient is a safe bound).
  std::size_t k = x.size() / 2;
  for (std::size_t i = x.size() / 2; i < x.size(); ++i) {
    if (std::abs(g[i]) > std::abs(g[k])) k = i;
  }
  const float h = 1e-2f, x0 = x[k];
  x[k] = x0 + h;
  const float up = predictor.predict(x, 2).logit[1];
  x[k] = x0 - h;
  const float down = predictor.predict(x, 2).logit[1];
  EXPECT_NEAR((up - down) / (2 * h), g[k], 0.05 * std::abs(g[k]));
}

TEST(Predictor, PreparesRawBandsAsTrainingDid) {
  test::TempDir dir("pred_prepare");
  const ModelCard card = test_card();
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("m.pt"), card, net);
  Predictor predictor(dir.file("m.pt"), "cpu", 1);
  Sample s = test::tiny_sample(3, 1, 16);
  RawExample raw;
  raw.index = 1;
  // The image's bands in another order than the model's: prepare picks them by name.
  raw.bands = {s.bands[1].image, s.bands[0].image};
  std::vector<BandSchema> bands = {card.bands[1], card.bands[0]};
  const Example e = predictor.prepare(raw, bands);
  TaskSpec no_targets = card.task;
  no_targets.targets.clear();
  const Example expected = prepare_example(raw, bands, {}, card.stack, card.preprocess, no_targets, nullptr, nullptr);
  EXPECT_EQ(e.pixels.size(), std::size_t(card.model.input.numel()));
  EXPECT_EQ(e.pixels, expected.pixels);
  // Band A of the model is the image's second band, stretched with asinh(x / 0.25).
  EXPECT_FLOAT_EQ(e.pixels[0], std::asinh(s.bands[0].image(0, 0) / 0.25f));
  raw.bands.pop_back();
  bands.pop_back();
  try {
    predictor.prepare(raw, bands);
    FAIL() << "no exception";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("needs band \"A\""), std::string::npos) << err.what();
  }
}

TEST(Predictor, CudaRequestWithoutCudaIsAClearError) {
  if (cuda_available()) GTEST_SKIP() << "CUDA is available here";
  test::TempDir dir("pred_cuda");
  const ModelCard card = test_card();
  LensNet net = make_model(card);
  torch_impl::save_checkpoint(dir.file("m.pt"), card, net);
  try {
    Predictor p(dir.file("m.pt"), "cuda");
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA is not available"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lensforge::train

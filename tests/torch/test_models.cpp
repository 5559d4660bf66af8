// Shapes of both architectures' outputs, and the dropout switch (training, eval, Monte Carlo).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "lensforge/sim/core/error.hpp"
#include "models.hpp"

namespace lensforge::train::torch_impl {
namespace {

ModelSpec tiny_spec(Architecture a) {
  ModelSpec s;
  s.architecture = a;
  s.input = {2, 16, 16};
  s.widths = {4, 8};
  s.blocks_per_stage = 1;
  s.dense_units = 8;
  s.dropout = 0.5;
  s.spatial_dropout = 0.25;
  s.classify = true;
  s.num_targets = 3;
  return s;
}

TEST(Models, OutputShapesOfBothArchitectures) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::rand({5, 2, 16, 16});
  for (Architecture a : {Architecture::CNN, Architecture::RESNET}) {
    LensNet net(tiny_spec(a), 7);
    const ModelOutput out = net->forward(x);
    ASSERT_TRUE(out.logit.defined());
    EXPECT_EQ(out.logit.sizes(), (std::vector<std::int64_t>{5}));
    EXPECT_EQ(out.mean.sizes(), (std::vector<std::int64_t>{5, 3}));
    EXPECT_EQ(out.log_var.sizes(), (std::vector<std::int64_t>{5, 3}));
    EXPECT_TRUE(torch::isfinite(out.logit).all().item<bool>());
  }
  // Odd sizes: the CNN's pools floor (17 -> 8 -> 4), the ResNet pools globally.
  ModelSpec odd = tiny_spec(Architecture::CNN);
  odd.input = {1, 17, 9};
  odd.classify = false;
  odd.num_targets = 1;
  LensNet net(odd, 0);
  const ModelOutput out = net->forward(torch::rand({2, 1, 17, 9}));
  EXPECT_FALSE(out.logit.defined());
  EXPECT_EQ(out.mean.sizes(), (std::vector<std::int64_t>{2, 1}));
}

TEST(Models, ResNetHasProjectionShortcutsOnlyAtStageTransitions) {
  ModelSpec s = tiny_spec(Architecture::RESNET);
  s.widths = {4, 4, 8};
  s.blocks_per_stage = 2;
  LensNet net(s, 0);
  int projections = 0;
  for (const auto& item : net->named_parameters()) {
    if (item.key().find("projection") != std::string::npos) ++projections;
  }
  // Stages 2 and 3 start with stride 2 (4 -> 4 and 4 -> 8 channels): two 1x1 projections
  // without bias; stage 1's first block keeps the stem's width and shape (identity shortcut).
  EXPECT_EQ(projections, 2);
}

TEST(Models, RejectsInvalidSpecsAndTooSmallInputs) {
  ModelSpec s = tiny_spec(Architecture::CNN);
  s.widths = {4, 8, 8, 8, 8};  // five 2x2 pools need 32 px
  EXPECT_THROW(LensNet(s, 0), ConfigError);
  s = tiny_spec(Architecture::CNN);
  s.dropout = 1.0;
  EXPECT_THROW(LensNet(s, 0), ConfigError);
  s = tiny_spec(Architecture::CNN);
  s.input = {};
  EXPECT_THROW(LensNet(s, 0), ConfigError);
}

TEST(Models, DropoutOnlyInTrainingOrMonteCarloAndSeededByItsOwnGenerator) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::rand({4, 2, 16, 16});
  LensNet net(tiny_spec(Architecture::CNN), 5);
  net->eval();
  const torch::Tensor a = net->forward(x).logit, b = net->forward(x).logit;
  EXPECT_TRUE(torch::equal(a, b));  // eval: deterministic

  net->set_monte_carlo(true);
  net->dropout_control().generator.set_current_seed(42);
  const torch::Tensor m1 = net->forward(x).logit;
  const torch::Tensor m2 = net->forward(x).logit;
  EXPECT_FALSE(torch::equal(m1, m2));  // a new mask each pass
  net->dropout_control().generator.set_current_seed(42);
  torch::manual_seed(999);  // the global generator plays no part
  EXPECT_TRUE(torch::equal(net->forward(x).logit, m1));

  // Batch norm stays in eval mode during Monte Carlo passes: running statistics do not move.
  const auto& bn = net->named_buffers()["features.norms.0.running_mean"];
  const torch::Tensor before = bn.clone();
  net->forward(x * 10);
  EXPECT_TRUE(torch::equal(before, bn));
  net->set_monte_carlo(false);
  EXPECT_TRUE(torch::equal(net->forward(x).logit, a));
}

TEST(Models, DropoutKeepsTheMeanOfItsInput) {
  // Inverted dropout scales kept values by 1 / (1 - p): over 10^6 features with p = 0.5 the mean
  // of ones is 1 within 5 standard errors, 5 * sqrt(p / (1 - p) / 1e6) = 0.005.
  DropoutControl control(9);
  const torch::Tensor y = apply_dropout(torch::ones({1000, 1000}), 0.5, false, true, control);
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.005);
  EXPECT_NEAR((y == 0).to(torch::kFloat64).mean().item<double>(), 0.5, 0.005);
  // Channelwise: every channel of an example is kept or dropped whole.
  const torch::Tensor z = apply_dropout(torch::ones({50, 20, 3, 3}), 0.5, true, true, control);
  EXPECT_TRUE(torch::equal(z.amax({2, 3}), z.amin({2, 3})));
}

}  // namespace
}  // namespace lensforge::train::torch_impl

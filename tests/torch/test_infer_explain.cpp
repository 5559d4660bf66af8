// Occlusion maps and deep dream with a real (tiny) checkpoint, and the files the commands write.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "infer_fixture.hpp"
#include "lensforge/infer/deep_dream.hpp"
#include "lensforge/infer/explanation_files.hpp"
#include "lensforge/infer/inference.hpp"
#include "lensforge/infer/occlusion.hpp"
#include "lensforge/sim/io/fits.hpp"
#include "lensforge/train/predictor.hpp"

using namespace lensforge;
using namespace lensforge::infer;
namespace fs = std::filesystem;

TEST(InferExplain, OcclusionOfTheModelMatchesItsScores) {
  const auto& f = test::infer_fixture();
  const train::Predictor predictor(f.checkpoint, "cpu", 1);
  const train::InputShape shape = predictor.card().model.input;
  std::vector<std::string> warnings;
  const std::vector<float> image = InputLoader(predictor).load({InputKind::DATASET, f.dataset, {f.dataset}, 2}, warnings).pixels;
  OcclusionOptions o;
  o.patch = 6;
  o.stride = 3;
  o.batch_size = 16;
  const BatchScorer scorer = [&](const std::vector<float>& x, std::int64_t n) { return predictor_logits(predictor, x, n); };
  const OcclusionMap m = occlusion_map(image, shape, scorer, o);
  EXPECT_EQ(m.base_score, predictor.predict(image, 1).logit[0]);
  ASSERT_EQ(m.drop.rows(), shape.height);
  EXPECT_TRUE(m.drop.isFinite().all());
  // Patch (1, 2) rebuilt by hand and scored alone gives the same drop (batch composition does not
  // change an eval-mode model's per-image output beyond float rounding between batch sizes).
  std::vector<float> hidden = image;
  const std::int64_t plane = std::int64_t(shape.height) * shape.width;
  for (int c = 0; c < shape.channels; ++c) {
    double mean = 0;
    for (std::int64_t k = 0; k < plane; ++k) mean += image[c * plane + k];
    for (int y = 3; y < 9; ++y)
      for (int x = 6; x < 12; ++x) hidden[c * plane + y * shape.width + x] = float(mean / double(plane));
  }
  const float expected = m.base_score - predictor.predict(hidden, 1).logit[0];
  EXPECT_NEAR(m.patch_drop(1, 2), expected, 1e-5f * (1.f + std::abs(m.base_score)));

  const fs::path dir = f.dir / "occlusion";
  fs::create_directories(dir);
  const auto files = write_occlusion_files(dir.string(), "x", m, image, shape, predictor.card().stack.bands, o);
  ASSERT_EQ(files.size(), 2u);
  const FitsImage map = read_fits_image(files[0], "OCCLUSION");
  EXPECT_EQ(map.data.cast<float>().matrix(), m.drop.matrix());
  EXPECT_EQ(read_fits_image(files[0], "Y").data.rows(), shape.height);
  EXPECT_TRUE(fs::file_size(files[1]) > 0);
}

TEST(InferExplain, DreamRaisesOrLowersTheLogit) {
  const auto& f = test::infer_fixture();
  const train::Predictor predictor(f.checkpoint, "cpu", 1);
  const train::InputShape shape = predictor.card().model.input;
  const GradientFn gradient = [&](const std::vector<float>& x, std::int64_t n, std::vector<float>* l) {
    return predictor.logit_gradient(x, n, l);
  };
  const BatchScorer scorer = [&](const std::vector<float>& x, std::int64_t n) { return predictor_logits(predictor, x, n); };
  DreamOptions o;
  o.steps = 8;
  o.step_size = 0.02;
  o.jitter = 1;
  o.blur_sigma = 0.3;
  o.seed = 4;
  const std::vector<float> start = dream_noise(shape, 9);
  const DreamResult up = deep_dream(start, shape, gradient, scorer, o);
  // Frame 0 is the start image, scored in one batch with the other frames: equal to scoring it
  // alone up to float rounding between batch sizes (float32, O(1) logits).
  const float alone = predictor.predict(start, 1).logit[0];
  EXPECT_NEAR(up.logits[0], alone, 1e-5 * std::max(1.0f, std::abs(alone)));
  EXPECT_GT(up.logits.back(), up.logits.front());
  o.target = DreamTarget::NOT_LENS;
  const DreamResult down = deep_dream(start, shape, gradient, scorer, o);
  EXPECT_LT(down.logits.back(), down.logits.front());

  const fs::path dir = f.dir / "dream";
  fs::create_directories(dir);
  const auto files = write_dream_files(dir.string(), "noise", up, predictor.card().stack.bands, o);
  EXPECT_EQ(files.size(), 2u + 9u);  // FITS, CSV, 9 PNG frames
}

#ifdef LENSFORGE_INFER_EXE
TEST(InferExplain, CommandLineWritesOcclusionAndDreamFiles) {
  const auto& f = test::infer_fixture();
  const std::string exe = LENSFORGE_INFER_EXE;
  const std::string occ = (f.dir / "cli_occ").string(), dream = (f.dir / "cli_dream").string();
  ASSERT_EQ(std::system((exe + " occlusion " + f.checkpoint + " " + f.dataset + " --index 1 -o " + occ +
                         " --patch 4 --fill zero --threads 1 > /dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(fs::exists(fs::path(occ) / "occlusion.fits"));
  EXPECT_TRUE(fs::exists(fs::path(occ) / "occlusion.png"));
  ASSERT_EQ(std::system((exe + " dream " + f.checkpoint + " -o " + dream +
                         " --steps 3 --target not-lens --threads 1 > /dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(fs::exists(fs::path(dream) / "dream.fits"));
  EXPECT_TRUE(fs::exists(fs::path(dream) / "dream_0003.png"));
  // Bad arguments: exit 2, nothing written.
  EXPECT_EQ(WEXITSTATUS(std::system((exe + " occlusion " + f.checkpoint + " " + f.dataset + " -o " + occ +
                                     " --fill purple > /dev/null 2>&1").c_str())), 2);
}
#endif

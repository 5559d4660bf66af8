#pragma once
// Deep dream (Mordvintsev et al. 2015) for a lens finder: gradient ascent of the logit (towards
// "lens") or descent (towards "not lens") on the prepared input image. Each step rolls the image by
// a random offset (jitter, so the pattern does not lock onto the pixel grid), takes the gradient
// there, rolls it back, moves the image by step_size times the gradient divided by its mean
// absolute value, then smooths every channel with a Gaussian (wrapping around the borders like the roll). The model is reached through
// callbacks, so the loop is computed (and tested) without LibTorch.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lensforge/infer/occlusion.hpp"
#include "lensforge/train/data/example.hpp"

namespace lensforge::infer {

/// d(logit)/d(image) of n prepared images [n, C, H, W]; writes the logits to `logits` if non-null.
using GradientFn =
    std::function<std::vector<float>(const std::vector<float>& images, std::int64_t n, std::vector<float>* logits)>;

enum class DreamTarget {
  LENS,      ///< raise the logit
  NOT_LENS,  ///< lower it
};

struct DreamOptions {
  DreamTarget target = DreamTarget::LENS;
  int steps = 50;            ///< gradient steps, [1, 100000]
  double step_size = 0.01;   ///< change per step in units of the gradient's mean |value|, (0, 100]
  int jitter = 2;            ///< largest roll per axis, px, [0, min(H, W) / 2]
  double blur_sigma = 0.5;   ///< Gaussian smoothing after each step, px, [0, 10]; 0: none
  std::uint64_t seed = 0;    ///< jitter offsets (and the noise start) draw from Rng(seed, 0)
  int batch_size = 64;       ///< frames per scorer call when the frames' logits are computed, [1, 65536]
  std::string validate(const train::InputShape& shape) const;
};

struct DreamResult {
  train::InputShape shape;
  /// steps + 1 frames [C, H, W]: the start, then the image after each step.
  std::vector<std::vector<float>> frames;
  std::vector<float> logits;  ///< [steps + 1] logit of each frame (from the scorer)
};

/// A start image of uniform noise in [0, 1) (the range of MINMAX-normalised inputs) from
/// Rng(seed, 0).split(1).
std::vector<float> dream_noise(const train::InputShape& shape, std::uint64_t seed);

/// Runs the dream from `start` [C, H, W]. Throws ConfigError for invalid options or a start of the
/// wrong size, std::runtime_error for callbacks that return the wrong number of values.
DreamResult deep_dream(const std::vector<float>& start, const train::InputShape& shape, const GradientFn& gradient,
                       const BatchScorer& scorer, const DreamOptions& options);

}  // namespace lensforge::infer

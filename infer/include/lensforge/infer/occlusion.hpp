#pragma once
// Occlusion sensitivity (Zeiler & Fergus 2014): a patch of every channel is replaced by a fill value,
// slid over the prepared image, and the drop of the model's score (the logit) is recorded. Regions
// whose hiding lowers the score are those the model relies on.
//
// The model is reached through a callback, so the map is computed (and tested) without LibTorch.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/train/data/example.hpp"

namespace lensforge::infer {

/// Scores of n prepared images [n, C, H, W] (float32, NCHW): one score (logit) per image.
using BatchScorer = std::function<std::vector<float>(const std::vector<float>& images, std::int64_t n)>;

enum class OcclusionFill {
  VALUE,  ///< OcclusionOptions::fill_value in every channel
  MEAN,   ///< each channel's mean over the whole image
  ZERO,   ///< 0
};

struct OcclusionOptions {
  int patch = 4;            ///< patch side, px, [1, min(H, W)]
  /// Step between patch positions, px, [0, patch]; 0: the patch side (tiles without overlap). The
  /// last row and column of positions are moved in so that patches end at the image border, so
  /// every pixel is covered.
  int stride = 0;
  OcclusionFill fill = OcclusionFill::MEAN;
  double fill_value = 0.0;  ///< VALUE: the value, finite, in the prepared image's units
  int batch_size = 64;      ///< occluded images per scorer call, [1, 65536]
  std::string validate(const train::InputShape& shape) const;
};

struct OcclusionMap {
  float base_score = 0.f;  ///< score of the unoccluded image
  /// [H, W]: mean over the patches covering each pixel of (base score - score with the patch
  /// hidden); positive where hiding the pixel lowers the score.
  ImageF drop;
  /// [rows, cols] of patch positions: base score - score with the patch at (row, col) hidden; the
  /// patch's top-left pixel is (positions_y[row], positions_x[col]).
  ImageF patch_drop;
  std::vector<int> positions_y, positions_x;
};

/// Patch top-left positions along an axis of `size` px: 0, stride, ..., and size - patch.
std::vector<int> occlusion_positions(int size, int patch, int stride);

/// The occlusion map of one prepared image [C, H, W]. Throws ConfigError for invalid options or an
/// image of the wrong size, and std::runtime_error if the scorer returns the wrong number of scores.
OcclusionMap occlusion_map(const std::vector<float>& image, const train::InputShape& shape, const BatchScorer& scorer,
                           const OcclusionOptions& options);

}  // namespace lensforge::infer

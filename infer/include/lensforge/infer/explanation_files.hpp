#pragma once
// Files written by `lensforge-infer occlusion` and `lensforge-infer dream`.
#include <string>
#include <vector>

#include "lensforge/infer/deep_dream.hpp"
#include "lensforge/infer/occlusion.hpp"
#include "lensforge/sim/core/image.hpp"
#include "lensforge/train/data/example.hpp"

namespace lensforge::infer {

/// The mean over channels of a prepared image [C, H, W] (what the PNGs show).
ImageF channel_mean(const std::vector<float>& image, const train::InputShape& shape);

/// RGB overlay of a [-1, 1] map on a [0, 1] grey image: positive values tint red, negative blue,
/// with opacity 0.6 |value|. Images with a longer side under 256 px are enlarged (nearest
/// neighbour) by the integer factor that brings it to at least 256 px, here and in the dream PNGs.
void write_overlay_png(const std::string& path, const ImageF& gray, const ImageF& signed_unit_map);

/// <dir>/occlusion.fits: primary HDU OCCLUSION (the per-pixel score drop, cards BASELOGI = base logit,
/// PATCH, STRIDE, FILL, ID), then PATCHES (patch_drop, one value per patch position) and one HDU per
/// channel of the prepared input (EXTNAME = band); <dir>/occlusion.png: the drop (scaled by its
/// largest |value|) over the asinh-stretched channel mean. Returns the paths written. Throws IoError.
std::vector<std::string> write_occlusion_files(const std::string& dir, const std::string& id, const OcclusionMap& map,
                                               const std::vector<float>& image, const train::InputShape& shape,
                                               const std::vector<std::string>& bands, const OcclusionOptions& options);

/// <dir>/dream.fits: one HDU per channel (EXTNAME = band), each a cube of the steps + 1 frames
/// (NAXIS3 = frame), cards TARGET, STEPSIZE, JITTER, BLUR, SEED, ID; <dir>/dream.csv: step, logit;
/// <dir>/dream_NNNN.png: each frame's channel mean, all frames on one asinh stretch (percentiles over
/// every frame) so that they compare. Returns the paths written. Throws IoError.
std::vector<std::string> write_dream_files(const std::string& dir, const std::string& id, const DreamResult& result,
                                           const std::vector<std::string>& bands, const DreamOptions& options);

}  // namespace lensforge::infer

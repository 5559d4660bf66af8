#include "lensforge/infer/occlusion.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::infer {

std::string OcclusionOptions::validate(const train::InputShape& shape) const {
  const int side = std::min(shape.height, shape.width);
  if (patch < 1 || patch > side) return fmt::format("patch = {} px: must be in [1, {}] (the image side)", patch, side);
  if (stride < 0 || stride > patch) return fmt::format("stride = {} px: must be in [0, patch = {}]", stride, patch);
  if (fill == OcclusionFill::VALUE && !std::isfinite(fill_value))
    return fmt::format("fill value = {}: must be finite", fill_value);
  if (batch_size < 1 || batch_size > 65536) return fmt::format("batch size = {}: must be in [1, 65536]", batch_size);
  return "";
}

std::vector<int> occlusion_positions(int size, int patch, int stride) {
  const int step = stride > 0 ? stride : patch;
  std::vector<int> p;
  for (int at = 0; at + patch <= size; at += step) p.push_back(at);
  if (p.empty() || p.back() + patch < size) p.push_back(size - patch);
  return p;
}

OcclusionMap occlusion_map(const std::vector<float>& image, const train::InputShape& shape, const BatchScorer& scorer,
                           const OcclusionOptions& options) {
  if (const std::string e = options.validate(shape); !e.empty()) throw ConfigError("occlusion: " + e);
  if (std::int64_t(image.size()) != shape.numel())
    throw ConfigError(fmt::format("occlusion: image has {} values, its shape {} x {} x {} needs {}", image.size(),
                                  shape.channels, shape.height, shape.width, shape.numel()));
  const int C = shape.channels, H = shape.height, W = shape.width;
  const std::int64_t plane = std::int64_t(H) * W;

  std::vector<float> fill(C, 0.f);
  for (int c = 0; c < C; ++c) {
    if (options.fill == OcclusionFill::VALUE) fill[c] = static_cast<float>(options.fill_value);
    if (options.fill == OcclusionFill::MEAN) {
      double sum = 0;
      for (std::int64_t k = 0; k < plane; ++k) sum += image[c * plane + k];
      fill[c] = static_cast<float>(sum / double(plane));
    }
  }

  auto score = [&](const std::vector<float>& images, std::int64_t n) {
    std::vector<float> s = scorer(images, n);
    if (std::int64_t(s.size()) != n)
      throw std::runtime_error(fmt::format("occlusion: the scorer returned {} scores for {} images", s.size(), n));
    return s;
  };

  OcclusionMap map;
  map.base_score = score(image, 1)[0];
  map.positions_y = occlusion_positions(H, options.patch, options.stride);
  map.positions_x = occlusion_positions(W, options.patch, options.stride);
  const std::int64_t rows = std::int64_t(map.positions_y.size()), cols = std::int64_t(map.positions_x.size());
  const std::int64_t total = rows * cols;
  map.patch_drop = ImageF::Zero(rows, cols);

  std::vector<float> batch;
  for (std::int64_t first = 0; first < total; first += options.batch_size) {
    const std::int64_t n = std::min<std::int64_t>(options.batch_size, total - first);
    batch.resize(static_cast<std::size_t>(n * shape.numel()));
    for (std::int64_t b = 0; b < n; ++b) {
      float* out = batch.data() + b * shape.numel();
      std::copy(image.begin(), image.end(), out);
      const int y0 = map.positions_y[(first + b) / cols], x0 = map.positions_x[(first + b) % cols];
      for (int c = 0; c < C; ++c)
        for (int y = y0; y < y0 + options.patch; ++y)
          std::fill_n(out + c * plane + std::int64_t(y) * W + x0, options.patch, fill[c]);
    }
    const std::vector<float> s = score(batch, n);
    for (std::int64_t b = 0; b < n; ++b) map.patch_drop((first + b) / cols, (first + b) % cols) = map.base_score - s[b];
  }

  ImageF sum = ImageF::Zero(H, W), count = ImageF::Zero(H, W);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      sum.block(map.positions_y[r], map.positions_x[c], options.patch, options.patch) += map.patch_drop(r, c);
      count.block(map.positions_y[r], map.positions_x[c], options.patch, options.patch) += 1.f;
    }
  map.drop = sum / count;  // every pixel is covered at least once (occlusion_positions)
  return map;
}

}  // namespace lensforge::infer

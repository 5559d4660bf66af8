#include "lensforge/infer/deep_dream.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"

namespace lensforge::infer {
namespace {

/// out(c, y, x) = in(c, (y - dy) mod H, (x - dx) mod W): the image moved by (dy, dx), wrapping.
std::vector<float> roll(const std::vector<float>& in, const train::InputShape& s, int dy, int dx) {
  std::vector<float> out(in.size());
  const std::int64_t plane = std::int64_t(s.height) * s.width;
  for (int c = 0; c < s.channels; ++c)
    for (int y = 0; y < s.height; ++y) {
      const int sy = ((y - dy) % s.height + s.height) % s.height;
      const float* src = in.data() + c * plane + std::int64_t(sy) * s.width;
      float* dst = out.data() + c * plane + std::int64_t(y) * s.width;
      for (int x = 0; x < s.width; ++x) dst[x] = src[((x - dx) % s.width + s.width) % s.width];
    }
  return out;
}

/// Taps of a Gaussian of `sigma` px sampled at integer offsets out to 4 sigma, summing to 1.
std::vector<float> gaussian_taps(double sigma) {
  const int r = std::max(1, static_cast<int>(std::ceil(4.0 * sigma)));
  std::vector<double> t(2 * r + 1);
  double sum = 0;
  for (int k = -r; k <= r; ++k) sum += t[k + r] = std::exp(-0.5 * k * k / (sigma * sigma));
  std::vector<float> out(t.size());
  for (std::size_t k = 0; k < t.size(); ++k) out[k] = static_cast<float>(t[k] / sum);
  return out;
}

/// Separable convolution of every channel with `taps`, wrapping around the borders like roll()
/// (so the blur conserves each channel's sum and treats no pixel as an edge).
void blur_wrapping(std::vector<float>& x, const train::InputShape& s, const std::vector<float>& taps) {
  const int r = static_cast<int>(taps.size() / 2), H = s.height, W = s.width;
  const std::int64_t plane = std::int64_t(H) * W;
  std::vector<float> tmp(static_cast<std::size_t>(plane));
  for (int c = 0; c < s.channels; ++c) {
    float* img = x.data() + c * plane;
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        float acc = 0;
        for (int k = -r; k <= r; ++k) acc += taps[k + r] * img[std::int64_t(y) * W + ((xx + k) % W + W) % W];
        tmp[std::int64_t(y) * W + xx] = acc;
      }
    for (int y = 0; y < H; ++y)
      for (int xx = 0; xx < W; ++xx) {
        float acc = 0;
        for (int k = -r; k <= r; ++k) acc += taps[k + r] * tmp[std::int64_t(((y + k) % H + H) % H) * W + xx];
        img[std::int64_t(y) * W + xx] = acc;
      }
  }
}

}  // namespace

std::string DreamOptions::validate(const train::InputShape& shape) const {
  if (steps < 1 || steps > 100000) return fmt::format("steps = {}: must be in [1, 100000]", steps);
  if (!(step_size > 0 && step_size <= 100)) return fmt::format("step size = {}: must be in (0, 100]", step_size);
  const int most = std::min(shape.height, shape.width) / 2;
  if (jitter < 0 || jitter > most) return fmt::format("jitter = {} px: must be in [0, {}] (half the image side)", jitter, most);
  if (!(blur_sigma >= 0 && blur_sigma <= 10)) return fmt::format("blur sigma = {} px: must be in [0, 10]", blur_sigma);
  if (batch_size < 1 || batch_size > 65536) return fmt::format("batch size = {}: must be in [1, 65536]", batch_size);
  return "";
}

std::vector<float> dream_noise(const train::InputShape& shape, std::uint64_t seed) {
  Rng rng = Rng(seed, 0).split(1);
  std::vector<float> x(static_cast<std::size_t>(shape.numel()));
  for (float& v : x) v = static_cast<float>(rng.uniform());
  return x;
}

DreamResult deep_dream(const std::vector<float>& start, const train::InputShape& shape, const GradientFn& gradient,
                       const BatchScorer& scorer, const DreamOptions& options) {
  if (const std::string e = options.validate(shape); !e.empty()) throw ConfigError("dream: " + e);
  if (std::int64_t(start.size()) != shape.numel())
    throw ConfigError(fmt::format("dream: start image has {} values, its shape {} x {} x {} needs {}", start.size(),
                                  shape.channels, shape.height, shape.width, shape.numel()));
  const double sign = options.target == DreamTarget::LENS ? 1.0 : -1.0;
  const std::vector<float> taps = options.blur_sigma > 0 ? gaussian_taps(options.blur_sigma) : std::vector<float>{};
  Rng rng = Rng(options.seed, 0).split(0);

  DreamResult result;
  result.shape = shape;
  result.frames.reserve(static_cast<std::size_t>(options.steps) + 1);
  result.frames.push_back(start);
  std::vector<float> x = start;
  for (int step = 0; step < options.steps; ++step) {
    const int span = 2 * options.jitter + 1;
    const int dy = static_cast<int>(rng.below(span)) - options.jitter;
    const int dx = static_cast<int>(rng.below(span)) - options.jitter;
    std::vector<float> g = gradient(roll(x, shape, dy, dx), 1, nullptr);
    if (std::int64_t(g.size()) != shape.numel())
      throw std::runtime_error(fmt::format("dream: the gradient has {} values for {}", g.size(), shape.numel()));
    g = roll(g, shape, -dy, -dx);
    double mean_abs = 0;
    for (float v : g) mean_abs += std::abs(v);
    mean_abs /= double(g.size());
    if (mean_abs > 0) {
      const float k = static_cast<float>(sign * options.step_size / mean_abs);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] += k * g[i];
    }
    if (!taps.empty()) blur_wrapping(x, shape, taps);
    result.frames.push_back(x);
  }

  const std::int64_t total = std::int64_t(result.frames.size());
  std::vector<float> batch;
  for (std::int64_t first = 0; first < total; first += options.batch_size) {
    const std::int64_t n = std::min<std::int64_t>(options.batch_size, total - first);
    batch.clear();
    for (std::int64_t b = 0; b < n; ++b) batch.insert(batch.end(), result.frames[first + b].begin(), result.frames[first + b].end());
    const std::vector<float> s = scorer(batch, n);
    if (std::int64_t(s.size()) != n)
      throw std::runtime_error(fmt::format("dream: the scorer returned {} scores for {} images", s.size(), n));
    result.logits.insert(result.logits.end(), s.begin(), s.end());
  }
  return result;
}

}  // namespace lensforge::infer

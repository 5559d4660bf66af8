#include "lensforge/train/data/augmentation.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

AugmentDraw draw_augmentation(const AugmentSpec& spec, Rng& rng) {
  AugmentDraw d;
  if (spec.dihedral) {
    const int k = int(rng.below(8));
    d.rotations = k % 4;
    d.flip = k >= 4;
  }
  if (spec.max_shift > 0.0) {
    d.shift_x = rng.uniform(-spec.max_shift, spec.max_shift);
    d.shift_y = rng.uniform(-spec.max_shift, spec.max_shift);
  }
  return d;
}

void apply_dihedral(float* pixels, const InputShape& shape, int rotations, bool flip) {
  rotations = ((rotations % 4) + 4) % 4;
  if (rotations == 0 && !flip) return;
  if (shape.height != shape.width)
    throw ConfigError(fmt::format("augment.dihedral needs square images, these are {}x{} px (set stack.size)",
                                  shape.height, shape.width));
  const int n = shape.width;
  const std::size_t npix = std::size_t(n) * std::size_t(n);
  // Source pixel of every output pixel: with doubled centred coordinates X = 2j - (n - 1),
  // Y = 2i - (n - 1), the source is T^-1 (X, Y): rotations by -90 deg, (X, Y) -> (Y, -X), then the flip.
  std::vector<std::size_t> from(npix);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      int X = 2 * j - (n - 1), Y = 2 * i - (n - 1);
      for (int r = 0; r < rotations; ++r) {
        const int t = X;
        X = Y;
        Y = -t;
      }
      if (flip) X = -X;
      from[std::size_t(i) * std::size_t(n) + std::size_t(j)] =
          std::size_t((Y + n - 1) / 2) * std::size_t(n) + std::size_t((X + n - 1) / 2);
    }
  std::vector<float> in(npix);
  for (int c = 0; c < shape.channels; ++c) {
    float* x = pixels + std::size_t(c) * npix;
    std::copy(x, x + npix, in.begin());
    for (std::size_t k = 0; k < npix; ++k) x[k] = in[from[k]];
  }
}

namespace {

// out[j] = in at position j - d along a line of n values read with `stride`, by linear
// interpolation; 0 outside.
void shift_line(const float* in, float* out, int n, std::size_t stride, double d) {
  const double m = std::floor(-d);
  const float t = float(-d - m);
  const int off = int(m);
  for (int j = 0; j < n; ++j) {
    const int a = j + off, b = a + 1;
    const float va = (a >= 0 && a < n) ? in[std::size_t(a) * stride] : 0.0f;
    const float vb = (b >= 0 && b < n) ? in[std::size_t(b) * stride] : 0.0f;
    out[std::size_t(j) * stride] = (1.0f - t) * va + t * vb;
  }
}

}  // namespace

void shift_image(float* pixels, const InputShape& shape, double dx, double dy) {
  if (dx == 0.0 && dy == 0.0) return;
  const int H = shape.height, W = shape.width;
  const std::size_t npix = std::size_t(H) * std::size_t(W);
  std::vector<float> tmp(npix);
  for (int c = 0; c < shape.channels; ++c) {
    float* x = pixels + std::size_t(c) * npix;
    for (int i = 0; i < H; ++i) shift_line(x + std::size_t(i) * W, tmp.data() + std::size_t(i) * W, W, 1, dx);
    for (int j = 0; j < W; ++j) shift_line(tmp.data() + j, x + j, H, std::size_t(W), dy);
  }
}

LabelPairs label_pairs(const AugmentSpec& spec, const std::vector<std::string>& columns) {
  auto index = [&](const std::string& name) {
    return std::size_t(std::find(columns.begin(), columns.end(), name) - columns.begin());
  };
  auto collect = [&](const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::vector<std::pair<std::size_t, std::size_t>> r;
    for (const auto& [a, b] : pairs) {
      const std::size_t ia = index(a), ib = index(b);
      if (ia < columns.size() && ib < columns.size()) r.emplace_back(ia, ib);
    }
    return r;
  };
  return LabelPairs{collect(spec.vector_pairs), collect(spec.spin2_pairs)};
}

void transform_labels(std::vector<double>& v, const LabelPairs& pairs, const AugmentDraw& draw, double pixel_scale) {
  for (const auto& [ix, iy] : pairs.vectors) {
    double x = v[ix] + draw.shift_x * pixel_scale, y = v[iy] + draw.shift_y * pixel_scale;
    if (draw.flip) x = -x;
    for (int r = 0; r < draw.rotations; ++r) {
      const double t = x;
      x = -y;
      y = t;
    }
    v[ix] = x;
    v[iy] = y;
  }
  const bool negate = draw.rotations % 2 == 1;  // two quarter turns turn a spin-2 pair by 360 deg
  for (const auto& [i1, i2] : pairs.spin2) {
    if (draw.flip) v[i2] = -v[i2];
    if (negate) {
      v[i1] = -v[i1];
      v[i2] = -v[i2];
    }
  }
}

ImageF redraw_noise(const ImageF& noiseless, const ImageF& sigma, Rng& rng) {
  if (noiseless.rows() != sigma.rows() || noiseless.cols() != sigma.cols())
    throw ConfigError(fmt::format("noise redraw: noiseless plane {}x{} px, sigma plane {}x{} px", noiseless.rows(),
                                  noiseless.cols(), sigma.rows(), sigma.cols()));
  std::vector<double> z(std::size_t(noiseless.size()));
  fill_standard_normal(rng, z.data(), z.size());
  ImageF out(noiseless.rows(), noiseless.cols());
  const float* a = noiseless.data();
  const float* s = sigma.data();
  float* o = out.data();
  for (std::size_t k = 0; k < z.size(); ++k) o[k] = a[k] + s[k] * float(z[k]);
  return out;
}

}  // namespace lensforge::train

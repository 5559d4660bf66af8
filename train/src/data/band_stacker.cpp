#include "lensforge/train/data/band_stacker.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {

namespace {

std::vector<std::string> band_names(const std::vector<BandSchema>& bands) {
  std::vector<std::string> names;
  for (const BandSchema& b : bands) names.push_back(b.name);
  return names;
}

}  // namespace

BandStacker::Axis BandStacker::make_axis(BandGrid grid, int n_in, double s_in, int n_out, double s_out) {
  Axis a;
  a.n_in = n_in;
  a.first.assign(std::size_t(n_out), 0);
  a.offset.assign(std::size_t(n_out) + 1, 0);
  auto add = [&](int o, int i, double w) {
    if (a.offset[std::size_t(o) + 1] == a.offset[std::size_t(o)]) a.first[std::size_t(o)] = i;
    a.weight.push_back(float(w));
    a.offset[std::size_t(o) + 1] = a.weight.size();
  };
  for (int o = 0; o < n_out; ++o) {
    a.offset[std::size_t(o) + 1] = a.weight.size();
    if (grid == BandGrid::NATIVE) {
      // Centred crop or pad by an even difference: output o is input o + (n_in - n_out) / 2.
      const int i = o + (n_in - n_out) / 2;
      if (i >= 0 && i < n_in) add(o, i, 1.0);
    } else if (s_out >= s_in) {
      // Area overlap of output pixel [lo, hi) with input pixel i's [(i - n_in/2) s_in, ... + s_in),
      // in units of input pixels (input pixel i spans [i, i + 1) in u = x / s_in + n_in / 2).
      const double lo = (o - 0.5 * n_out) * s_out / s_in + 0.5 * n_in;
      const double hi = lo + s_out / s_in;
      const int i0 = std::max(0, int(std::floor(lo))), i1 = std::min(n_in - 1, int(std::ceil(hi)) - 1);
      for (int i = i0; i <= i1; ++i) {
        const double w = std::min(hi, i + 1.0) - std::max(lo, double(i));
        if (w > 1e-12) add(o, i, w);
      }
    } else {
      // Bilinear interpolation of the surface brightness at the output pixel centre, in input pixel
      // coordinates (centre of input pixel i at u = i); times s_out / s_in per axis converts the
      // input pixel's flux to surface brightness and back to flux in the (smaller) output pixel.
      const double u = (o - 0.5 * (n_out - 1)) * s_out / s_in + 0.5 * (n_in - 1);
      if (u < -0.5 || u > n_in - 0.5) continue;
      const double f = s_out / s_in;
      const double uc = std::clamp(u, 0.0, double(n_in - 1));
      const int i = std::min(int(std::floor(uc)), n_in - 1);
      const double t = uc - i;
      if (i + 1 < n_in && t > 0.0) {
        add(o, i, (1.0 - t) * f);
        add(o, i + 1, t * f);
      } else {
        add(o, i, f);
      }
    }
  }
  return a;
}

BandStacker::BandStacker(const StackSpec& spec, const std::vector<BandSchema>& bands) {
  if (auto e = spec.validate(); !e.empty()) throw ConfigError("stack: " + e);
  for (const std::string& name : spec.bands) {
    const auto it = std::find_if(bands.begin(), bands.end(), [&](const BandSchema& b) { return b.name == name; });
    if (it == bands.end())
      throw ConfigError(fmt::format("stack.bands: band '{}' is not in the data (bands there: {})", name,
                                    fmt::join(band_names(bands), ", ")));
    band_index_.push_back(std::size_t(it - bands.begin()));
  }
  const BandSchema& first = bands[band_index_.front()];
  int ny = 0, nx = 0;
  if (spec.grid == BandGrid::NATIVE) {
    for (std::size_t b : band_index_)
      if (bands[b].nx != first.nx || bands[b].ny != first.ny)
        throw ConfigError(fmt::format(
            "stack.grid = native needs bands of one shape: {} is {}x{} px, {} is {}x{} px (use grid: finest to "
            "resample them onto one grid)",
            first.name, first.ny, first.nx, bands[b].name, bands[b].ny, bands[b].nx));
    if (spec.pixel_scale != 0.0)
      for (std::size_t b : band_index_)
        if (std::abs(spec.pixel_scale - bands[b].pixel_scale) > 1e-9 * bands[b].pixel_scale)
          throw ConfigError(fmt::format(
              "stack.pixel_scale = {} arcsec/px: grid native keeps the stored pixels of {} ({} arcsec/px); use 0 or "
              "grid: finest",
              spec.pixel_scale, bands[b].name, bands[b].pixel_scale));
    pixel_scale_ = first.pixel_scale;
    ny = spec.size > 0 ? spec.size : first.ny;
    nx = spec.size > 0 ? spec.size : first.nx;
    if ((first.ny - ny) % 2 != 0 || (first.nx - nx) % 2 != 0)
      throw ConfigError(fmt::format(
          "stack.size = {} px: grid native crops or pads {}x{} px bands symmetrically, so the difference must be even",
          spec.size, first.ny, first.nx));
  } else {
    std::size_t finest = band_index_.front();
    for (std::size_t b : band_index_)
      if (bands[b].pixel_scale < bands[finest].pixel_scale) finest = b;
    const BandSchema& f = bands[finest];
    pixel_scale_ = spec.pixel_scale > 0.0 ? spec.pixel_scale : f.pixel_scale;
    nx = ny =
        spec.size > 0 ? spec.size : std::max(1, int(std::lround(std::max(f.nx, f.ny) * f.pixel_scale / pixel_scale_)));
    if (nx > 4096)
      throw ConfigError(fmt::format(
          "stack: the field of view of {} ({} px at {} arcsec/px) is {} px at {} arcsec/px, more than 4096; set size",
          f.name, std::max(f.nx, f.ny), f.pixel_scale, nx, pixel_scale_));
  }
  shape_ = InputShape{int(band_index_.size()), ny, nx};
  for (std::size_t b : band_index_) {
    const BandSchema& s = bands[b];
    Channel c;
    c.band = b;
    c.nx = s.nx;
    c.ny = s.ny;
    c.x = make_axis(spec.grid, s.nx, s.pixel_scale, nx, pixel_scale_);
    c.y = make_axis(spec.grid, s.ny, s.pixel_scale, ny, pixel_scale_);
    channels_.push_back(std::move(c));
  }
}

void BandStacker::stack(const std::vector<ImageF>& images, float* out) const {
  const int H = shape_.height, W = shape_.width;
  std::vector<float> rows;  // the x pass of the input rows that the y pass reads: [ny_in, W]
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    const Channel& ch = channels_[c];
    if (ch.band >= images.size())
      throw ConfigError(fmt::format("stack: {} images given, band index {} needed", images.size(), ch.band));
    const ImageF& img = images[ch.band];
    if (img.rows() != ch.ny || img.cols() != ch.nx)
      throw ConfigError(fmt::format("stack: image of band index {} is {}x{} px, its schema says {}x{}", ch.band,
                                    img.rows(), img.cols(), ch.ny, ch.nx));
    rows.assign(std::size_t(ch.ny) * std::size_t(W), 0.0f);
    // Input rows read by the y pass.
    int r0 = ch.ny, r1 = -1;
    for (int o = 0; o < H; ++o) {
      const std::size_t k0 = ch.y.offset[std::size_t(o)], k1 = ch.y.offset[std::size_t(o) + 1];
      if (k1 > k0) {
        r0 = std::min(r0, ch.y.first[std::size_t(o)]);
        r1 = std::max(r1, ch.y.first[std::size_t(o)] + int(k1 - k0) - 1);
      }
    }
    for (int r = r0; r <= r1; ++r) {
      const float* in = img.row(r).data();
      float* t = rows.data() + std::size_t(r) * std::size_t(W);
      for (int o = 0; o < W; ++o) {
        const std::size_t k0 = ch.x.offset[std::size_t(o)], k1 = ch.x.offset[std::size_t(o) + 1];
        const float* src = in + ch.x.first[std::size_t(o)];
        float acc = 0.0f;
        for (std::size_t k = k0; k < k1; ++k) acc += ch.x.weight[k] * src[k - k0];
        t[o] = acc;
      }
    }
    float* dst = out + c * std::size_t(H) * std::size_t(W);
    for (int o = 0; o < H; ++o) {
      float* d = dst + std::size_t(o) * std::size_t(W);
      std::fill(d, d + W, 0.0f);
      const std::size_t k0 = ch.y.offset[std::size_t(o)], k1 = ch.y.offset[std::size_t(o) + 1];
      for (std::size_t k = k0; k < k1; ++k) {
        const float w = ch.y.weight[k];
        const float* t = rows.data() + std::size_t(ch.y.first[std::size_t(o)] + int(k - k0)) * std::size_t(W);
        for (int j = 0; j < W; ++j) d[j] += w * t[j];
      }
    }
  }
}

}  // namespace lensforge::train

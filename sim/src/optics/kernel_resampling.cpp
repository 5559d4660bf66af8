#include "lensforge/sim/optics/kernel_resampling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

namespace {

/// Keys cubic convolution kernel, a = -1/2.
double keys_cubic(double t) {
  t = std::abs(t);
  if (t < 1.0) return (1.5 * t - 2.5) * t * t + 1.0;
  if (t < 2.0) return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0;
  return 0.0;
}

/// The (2 out_radius + 1) x n_in weight matrix of one axis (see the header).
Eigen::MatrixXd axis_weights(Eigen::Index n_in, double ratio, double centre, int out_radius) {
  const int n_out = 2 * out_radius + 1;
  const double c = std::max(1.0, ratio);
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(n_out, n_in);
  for (Eigen::Index k = 0; k < n_in; ++k) {
    // Output indices j whose centre x_j = centre + (j - out_radius) ratio is within 2c of k.
    const double j_lo = std::ceil((k - centre - 2.0 * c) / ratio) + out_radius;
    const double j_hi = std::floor((k - centre + 2.0 * c) / ratio) + out_radius;
    double norm = 0.0;
    for (double j = j_lo; j <= j_hi; ++j) norm += keys_cubic((centre + (j - out_radius) * ratio - k) / c);
    for (double j = std::max(j_lo, 0.0); j <= std::min(j_hi, double(n_out - 1)); ++j)
      w(static_cast<Eigen::Index>(j), k) = keys_cubic((centre + (j - out_radius) * ratio - k) / c) / norm;
  }
  return w;
}

}  // namespace

ImageD resample_kernel_image(const ImageD& in, double in_scale, double out_scale, double centre_col,
                             double centre_row, int out_radius) {
  if (!(in_scale > 0.0) || !std::isfinite(in_scale))
    throw ConfigError(fmt::format("resample_kernel_image: in_scale = {} arcsec/pixel; allowed: finite and > 0", in_scale));
  if (!(out_scale > 0.0) || !std::isfinite(out_scale))
    throw ConfigError(fmt::format("resample_kernel_image: out_scale = {} arcsec/pixel; allowed: finite and > 0", out_scale));
  if (out_radius < 0)
    throw ConfigError(fmt::format("resample_kernel_image: out_radius = {} pixels; allowed: >= 0", out_radius));
  if (!std::isfinite(centre_col) || !std::isfinite(centre_row))
    throw ConfigError("resample_kernel_image: centre must be finite");
  const double ratio = out_scale / in_scale;
  const Eigen::MatrixXd wy = axis_weights(in.rows(), ratio, centre_row, out_radius);
  const Eigen::MatrixXd wx = axis_weights(in.cols(), ratio, centre_col, out_radius);
  // Rows first (tmp = wy in), then columns (out = tmp wx^T); the weights are sparse (<= 4c + 1
  // non-zeros per input pixel), so zero weights are skipped.
  const Eigen::Index n_out = 2 * out_radius + 1;
  ImageD tmp = ImageD::Zero(n_out, in.cols());
  for (Eigen::Index i = 0; i < n_out; ++i)
    for (Eigen::Index k = 0; k < in.rows(); ++k)
      if (const double w = wy(i, k); w != 0.0) tmp.row(i) += w * in.row(k);
  ImageD out = ImageD::Zero(n_out, n_out);
  for (Eigen::Index j = 0; j < n_out; ++j)
    for (Eigen::Index k = 0; k < in.cols(); ++k)
      if (const double w = wx(j, k); w != 0.0) out.col(j) += w * tmp.col(k);
  return out;
}

}  // namespace lensforge

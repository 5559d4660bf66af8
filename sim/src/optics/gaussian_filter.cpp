#include <algorithm>
#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/psf.hpp"

namespace lensforge {
void gaussian_filter_nearest(ImageF& img, double sigma_pix, double truncate) {
  if (!(sigma_pix > 0.0) || !std::isfinite(sigma_pix))
    throw ConfigError("gaussian_filter_nearest: sigma = " + std::to_string(sigma_pix) + " pixels must be > 0");
  if (!(truncate > 0.0) || !std::isfinite(truncate))
    throw ConfigError("gaussian_filter_nearest: truncate = " + std::to_string(truncate) + " must be > 0");
  if (img.size() == 0) return;
  const int r = static_cast<int>(truncate * sigma_pix + 0.5);
  if (r == 0) return;  // scipy: a single tap of weight 1
  std::vector<double> wd(2 * r + 1);
  double sum = 0.0;
  for (int k = -r; k <= r; ++k) sum += wd[k + r] = std::exp(-0.5 * k * k / (sigma_pix * sigma_pix));
  std::vector<float> w(wd.size());
  for (std::size_t k = 0; k < wd.size(); ++k) w[k] = static_cast<float>(wd[k] / sum);

  const int rows = static_cast<int>(img.rows()), cols = static_cast<int>(img.cols());
  // Axis 0: each output row is a weighted sum of whole input rows (clamped at the border), so the
  // inner loop runs along contiguous memory.
  ImageF tmp = ImageF::Zero(rows, cols);
  for (int i = 0; i < rows; ++i) {
    float* __restrict o = tmp.row(i).data();
    for (int k = -r; k <= r; ++k) {
      const float* __restrict in = img.row(std::clamp(i + k, 0, rows - 1)).data();
      const float wk = w[k + r];
      for (int j = 0; j < cols; ++j) o[j] += wk * in[j];
    }
  }
  // Axis 1: along each row, with the border pixel repeated r times on both sides.
  std::vector<float> padded(static_cast<std::size_t>(cols + 2 * r));
  for (int i = 0; i < rows; ++i) {
    const float* src = tmp.row(i).data();
    std::fill(padded.begin(), padded.begin() + r, src[0]);
    std::copy(src, src + cols, padded.begin() + r);
    std::fill(padded.begin() + r + cols, padded.end(), src[cols - 1]);
    float* __restrict o = img.row(i).data();
    std::fill(o, o + cols, 0.0f);
    for (int k = 0; k <= 2 * r; ++k) {
      const float* __restrict p = padded.data() + k;
      const float wk = w[k];
      for (int j = 0; j < cols; ++j) o[j] += wk * p[j];
    }
  }
}

}  // namespace lensforge

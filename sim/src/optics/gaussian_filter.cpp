#include <algorithm>
#include <cmath>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/psf.hpp"

namespace lensforge {
namespace {

// One 1-D pass along rows (axis 1) of a row-major (rows x cols) array, border pixels repeated.
void correlate_rows(const float* in, float* out, Eigen::Index rows, Eigen::Index cols, const std::vector<float>& w,
                    int r, std::vector<float>& padded) {
  padded.resize(static_cast<std::size_t>(cols + 2 * r));
  for (Eigen::Index i = 0; i < rows; ++i) {
    const float* src = in + i * cols;
    std::fill(padded.begin(), padded.begin() + r, src[0]);
    std::copy(src, src + cols, padded.begin() + r);
    std::fill(padded.begin() + r + cols, padded.end(), src[cols - 1]);
    float* dst = out + i * cols;
    for (Eigen::Index j = 0; j < cols; ++j) {
      const float* p = padded.data() + j;
      float acc = 0.0f;
      for (int k = 0; k <= 2 * r; ++k) acc += w[k] * p[k];
      dst[j] = acc;
    }
  }
}

}  // namespace

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

  std::vector<float> padded;
  // Axis 0 (along columns) via the transpose, then axis 1 (along rows), as scipy does.
  ImageF t = img.transpose();
  ImageF t2(t.rows(), t.cols());
  correlate_rows(t.data(), t2.data(), t.rows(), t.cols(), w, r, padded);
  img = t2.transpose();
  ImageF out(img.rows(), img.cols());
  correlate_rows(img.data(), out.data(), img.rows(), img.cols(), w, r, padded);
  img.swap(out);
}

}  // namespace lensforge

#pragma once
// Background and noise of an image from its border: the median of the outer `width` pixels (the
// whole image when it is smaller) and 1.4826 x their median absolute deviation (the Gaussian sigma).
#include <algorithm>
#include <cmath>
#include <vector>

#include "lensforge/sim/core/image.hpp"

namespace lensforge::detail {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct BorderNoise {
  double median = 0.0;  ///< pixel units
  double sigma = 0.0;   ///< pixel units, 1.4826 MAD
};

inline BorderNoise border_noise(const ImageD& img, Eigen::Index width = 4) {
  std::vector<double> border;
  const Eigen::Index ny = img.rows(), nx = img.cols();
  for (Eigen::Index i = 0; i < ny; ++i)
    for (Eigen::Index j = 0; j < nx; ++j)
      if (i < width || j < width || i >= ny - width || j >= nx - width) border.push_back(img(i, j));
  BorderNoise b;
  b.median = median(border);
  for (double& v : border) v = std::abs(v - b.median);
  b.sigma = 1.4826 * median(std::move(border));
  return b;
}

}  // namespace lensforge::detail

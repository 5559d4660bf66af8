#include "lensforge/sim/population/lens_criterion.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace lensforge {

std::string LensCriterion::validate() const {
  if (!(k_sigma > 0.0 && std::isfinite(k_sigma))) return fmt::format("k_sigma = {}: must be > 0", k_sigma);
  if (min_images < 0 || min_images > 1000) return fmt::format("min_images = {}: must be in [0, 1000]", min_images);
  if (min_lensed_pixels < 0 || min_lensed_pixels > 100000000)
    return fmt::format("min_lensed_pixels = {}: must be in [0, 1e8]", min_lensed_pixels);
  if (!(min_magnification >= 0.0 && std::isfinite(min_magnification)))
    return fmt::format("min_magnification = {}: must be >= 0", min_magnification);
  if (!(min_arc_snr >= 0.0 && std::isfinite(min_arc_snr)))
    return fmt::format("min_arc_snr = {}: must be >= 0", min_arc_snr);
  if (min_region_pixels < 1 || min_region_pixels > 100000000)
    return fmt::format("min_region_pixels = {}: must be in [1, 1e8]", min_region_pixels);
  if (max_attempts < 1 || max_attempts > 10000)
    return fmt::format("max_attempts = {}: must be in [1, 10000]", max_attempts);
  return {};
}

LensedSourceStats lensed_source_stats(const ImageF& source, const ImageF& sigma, double k_sigma,
                                      int min_region_pixels) {
  if (source.rows() != sigma.rows() || source.cols() != sigma.cols())
    throw std::invalid_argument("lensed_source_stats: source and sigma differ in shape");
  const Eigen::Index ny = source.rows(), nx = source.cols();
  std::vector<unsigned char> above(static_cast<std::size_t>(ny * nx), 0);
  LensedSourceStats st;
  double snr2 = 0.0;
  for (Eigen::Index i = 0; i < ny; ++i)
    for (Eigen::Index j = 0; j < nx; ++j) {
      const double s = source(i, j), n = sigma(i, j);
      if (n > 0.0 && s > k_sigma * n) {
        above[i * nx + j] = 1;
        ++st.lensed_pixels;
        snr2 += (s / n) * (s / n);
      }
    }
  st.arc_snr = std::sqrt(snr2);
  // Connected regions, 8-neighbour, by an explicit-stack flood fill.
  std::vector<Eigen::Index> stack;
  for (Eigen::Index start = 0; start < ny * nx; ++start) {
    if (above[start] != 1) continue;
    int size = 0;
    above[start] = 2;
    stack.push_back(start);
    while (!stack.empty()) {
      const Eigen::Index p = stack.back();
      stack.pop_back();
      ++size;
      const Eigen::Index i = p / nx, j = p % nx;
      for (Eigen::Index di = -1; di <= 1; ++di)
        for (Eigen::Index dj = -1; dj <= 1; ++dj) {
          const Eigen::Index a = i + di, b = j + dj;
          if (a < 0 || a >= ny || b < 0 || b >= nx || above[a * nx + b] != 1) continue;
          above[a * nx + b] = 2;
          stack.push_back(a * nx + b);
        }
    }
    if (size >= min_region_pixels) ++st.n_images;
  }
  return st;
}

}  // namespace lensforge

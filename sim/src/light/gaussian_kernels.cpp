// Batched Gaussian loop (compiled with -ffast-math: exp maps to glibc's vector math).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "light_kernels.hpp"

namespace lensforge::light_kernels {

template <class T>
void add_gaussian(const GaussianConstants& c, const T* __restrict x, const T* __restrict y, T* __restrict out,
                  std::size_t n) {
  const T cx = T(c.map.cx), cy = T(c.map.cy);
  const T m11 = T(c.map.m11), m12 = T(c.map.m12), m21 = T(c.map.m21), m22 = T(c.map.m22);
  const T norm = T(c.norm);
  // float32 path (images): skip a batch lying entirely where the profile is below kNegligible
  // of its amplitude. The float64 path keeps lenstronomy's exact values everywhere.
  if constexpr (std::is_same_v<T, float>)
    if (!any_within(c.map, x, y, n, T(-std::log(kNegligible)))) return;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T u = m11 * dx + m12 * dy, v = m21 * dx + m22 * dy;
    out[i] += norm * std::exp(-(u * u + v * v));
  }
}

template void add_gaussian<float>(const GaussianConstants&, const float*, const float*, float*, std::size_t);
template void add_gaussian<double>(const GaussianConstants&, const double*, const double*, double*, std::size_t);

}  // namespace lensforge::light_kernels

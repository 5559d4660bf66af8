// Batched Sersic loop (compiled with -ffast-math: exp/log map to glibc's vector math).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "light_kernels.hpp"

namespace lensforge::light_kernels {

namespace {

// (R / R_sersic)^(1/n) = t^(1/(2n)) from t = (R / R_sersic)^2. Roots > 0: 2n = 2^Roots, so the
// power is Roots square roots (n = 0.5, 1, 2, 4, 8: Gaussian, exponential disc, de Vaucouleurs,
// ...), exact to rounding and cheaper than a log and an exp; Roots < 0: any n.
template <int Roots, class T>
inline T sersic_power(T t, T k) {
  if constexpr (Roots < 0) {
    return std::exp(std::log(t) * k);
  } else {
    for (int r = 0; r < Roots; ++r) t = std::sqrt(t);
    return t;
  }
}

template <int Roots, class T>
void sersic_loop(const SersicConstants& c, const T* __restrict x, const T* __restrict y, T* __restrict out,
                 std::size_t n) {
  const T cx = T(c.map.cx), cy = T(c.map.cy);
  const T m11 = T(c.map.m11), m12 = T(c.map.m12), m21 = T(c.map.m21), m22 = T(c.map.m22);
  const T amp = T(c.amp), b_n = T(c.b_n), k = T(c.half_inv_n), t_min = T(c.t_min), t_max = T(c.t_max);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T u = m11 * dx + m12 * dy, v = m21 * dx + m22 * dy;
    const T t = std::max(u * u + v * v, t_min);  // (R / R_sersic)^2 with R floored
    const T p = sersic_power<Roots>(t, k);       // (R / R_sersic)^(1/n)
    const T value = amp * std::exp(b_n - b_n * p);
    out[i] += t <= t_max ? value : T(0);
  }
}

}  // namespace

template <class T>
void add_sersic(const SersicConstants& c, const T* __restrict x, const T* __restrict y, T* __restrict out,
                std::size_t n) {
  // float32 path (images): skip a batch lying entirely where the profile is below kNegligible
  // of its amplitude. The float64 path keeps lenstronomy's exact values everywhere.
  if constexpr (std::is_same_v<T, float>)
    if (!any_within(c.map, x, y, n, T(c.t_negligible))) return;
  // One branch per call on the index, never per point: 1/(2n) = 2^-r takes r square roots.
  int roots = -1;
  for (int r = 0; r <= 4; ++r)
    if (c.half_inv_n == std::ldexp(1.0, -r)) roots = r;
  switch (roots) {
    case 0: return sersic_loop<0>(c, x, y, out, n);
    case 1: return sersic_loop<1>(c, x, y, out, n);
    case 2: return sersic_loop<2>(c, x, y, out, n);
    case 3: return sersic_loop<3>(c, x, y, out, n);
    case 4: return sersic_loop<4>(c, x, y, out, n);
    default: return sersic_loop<-1>(c, x, y, out, n);
  }
}

template void add_sersic<float>(const SersicConstants&, const float*, const float*, float*, std::size_t);
template void add_sersic<double>(const SersicConstants&, const double*, const double*, double*, std::size_t);

}  // namespace lensforge::light_kernels

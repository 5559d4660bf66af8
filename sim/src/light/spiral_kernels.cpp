// Batched spiral loop (compiled with -ffast-math: exp/log/cos/atan2 map to glibc's vector math).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "light_kernels.hpp"

namespace lensforge::light_kernels {

template <class T>
void add_spiral(const SpiralConstants& c, const T* __restrict x, const T* __restrict y, T* __restrict out,
                std::size_t n) {
  const SersicConstants& d = c.disc;
  const T cx = T(d.map.cx), cy = T(d.map.cy);
  const T m11 = T(d.map.m11), m12 = T(d.map.m12), m21 = T(d.map.m21), m22 = T(d.map.m22);
  const T amp = T(d.amp), b_n = T(d.b_n), k = T(d.half_inv_n), t_min = T(d.t_min), t_max = T(d.t_max);
  const T arms = T(c.arms), a = T(c.amplitude), winding = T(c.winding), c0 = T(c.c0), phase = T(c.phase);
  const T t_arm = T(c.t_arm);
  // float32 path (images): skip a batch lying entirely where the disc is negligible (as the Sersic).
  if constexpr (std::is_same_v<T, float>)
    if (!any_within(d.map, x, y, n, T(d.t_negligible))) return;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T u = m11 * dx + m12 * dy, v = m21 * dx + m22 * dy;
    const T t = std::max(u * u + v * v, t_min);  // (R / R_sersic)^2 with R floored
    const T log_t = std::log(t);
    const T disc = amp * std::exp(b_n - b_n * std::exp(log_t * k));
    const T angle = arms * std::atan2(v, u) - winding * (T(0.5) * log_t + c0) + phase;
    const T modulation = T(1) + a * (t / (t + t_arm)) * std::cos(angle);
    out[i] += t <= t_max ? disc * modulation : T(0);
  }
}

template void add_spiral<float>(const SpiralConstants&, const float*, const float*, float*, std::size_t);
template void add_spiral<double>(const SpiralConstants&, const double*, const double*, double*, std::size_t);

}  // namespace lensforge::light_kernels

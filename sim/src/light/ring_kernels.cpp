// Batched Gaussian-ring loop (compiled with -ffast-math: exp maps to glibc's vector math).
#include <cmath>
#include <type_traits>

#include "light_kernels.hpp"

namespace lensforge::light_kernels {

template <class T>
void add_ring(const RingConstants& c, const T* __restrict x, const T* __restrict y, T* __restrict out,
              std::size_t n) {
  const T cx = T(c.map.cx), cy = T(c.map.cy);
  const T m11 = T(c.map.m11), m12 = T(c.map.m12), m21 = T(c.map.m21), m22 = T(c.map.m22);
  const T amp = T(c.amp), r0 = T(c.r0), k = T(c.k);
  // float32 path (images): skip a batch lying entirely outside the ring's negligible radius.
  if constexpr (std::is_same_v<T, float>)
    if (!any_within(c.map, x, y, n, T(c.t_negligible))) return;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T u = m11 * dx + m12 * dy, v = m21 * dx + m22 * dy;
    const T d = std::sqrt(u * u + v * v) - r0;
    out[i] += amp * std::exp(-k * d * d);
  }
}

template void add_ring<float>(const RingConstants&, const float*, const float*, float*, std::size_t);
template void add_ring<double>(const RingConstants&, const double*, const double*, double*, std::size_t);

}  // namespace lensforge::light_kernels

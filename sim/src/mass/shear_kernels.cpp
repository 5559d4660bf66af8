// External shear kernels (lenstronomy "SHEAR"), centred on (ra_0, dec_0):
// psi = gamma1/2 (dx^2 - dy^2) + gamma2 dx dy, alpha = (gamma1 dx + gamma2 dy, gamma2 dx - gamma1 dy),
// f_xx = gamma1, f_yy = -gamma1, f_xy = gamma2.
#include "kernels.hpp"

namespace lensforge::kernels {

template <class T>
void deflection(const Shear& p, const T* __restrict x, const T* __restrict y, T* __restrict ax,
                T* __restrict ay, std::size_t n) {
  const T x0 = T(p.ra_0), y0 = T(p.dec_0), g1 = T(p.gamma1), g2 = T(p.gamma2);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - x0, dy = y[i] - y0;
    ax[i] += g1 * dx + g2 * dy;
    ay[i] += g2 * dx - g1 * dy;
  }
}

template <class T>
void potential(const Shear& p, const T* __restrict x, const T* __restrict y, T* __restrict psi, std::size_t n) {
  const T x0 = T(p.ra_0), y0 = T(p.dec_0), h1 = T(0.5 * p.gamma1), g2 = T(p.gamma2);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - x0, dy = y[i] - y0;
    psi[i] += h1 * (dx * dx - dy * dy) + g2 * dx * dy;
  }
}

template <class T>
void hessian(const Shear& p, const T* __restrict, const T* __restrict, T* __restrict fxx, T* __restrict fxy,
             T* __restrict fyy, std::size_t n) {
  const T g1 = T(p.gamma1), g2 = T(p.gamma2);
  for (std::size_t i = 0; i < n; ++i) {
    fxx[i] += g1;
    fxy[i] += g2;
    fyy[i] -= g1;
  }
}

template void deflection<float>(const Shear&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Shear&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Shear&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Shear&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Shear&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Shear&, const double*, const double*, double*, double*, double*, std::size_t);

}  // namespace lensforge::kernels

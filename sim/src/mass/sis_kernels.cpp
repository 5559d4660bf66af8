// SIS kernels (lenstronomy "SIS"): psi = theta_E r, alpha = theta_E (dx, dy) / r,
// f_xx = theta_E dy^2 / r^3, f_yy = theta_E dx^2 / r^3, f_xy = -theta_E dx dy / r^3.
// r^2 is floored at kR2Floor, so the exact centre gives alpha = 0 and a zero Hessian.
#include <algorithm>
#include <cmath>

#include "kernels.hpp"

namespace lensforge::kernels {

template <class T>
void deflection(const Sis& p, const T* __restrict x, const T* __restrict y, T* __restrict ax, T* __restrict ay,
                std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), te = T(p.theta_E), floor = T(kR2Floor);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T a = te / std::sqrt(std::max(dx * dx + dy * dy, floor));
    ax[i] += a * dx;
    ay[i] += a * dy;
  }
}

template <class T>
void potential(const Sis& p, const T* __restrict x, const T* __restrict y, T* __restrict psi, std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), te = T(p.theta_E);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    psi[i] += te * std::sqrt(dx * dx + dy * dy);
  }
}

template <class T>
void hessian(const Sis& p, const T* __restrict x, const T* __restrict y, T* __restrict fxx, T* __restrict fxy,
             T* __restrict fyy, std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), te = T(p.theta_E), floor = T(kR2Floor);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T r2 = std::max(dx * dx + dy * dy, floor);
    const T w = te / (r2 * std::sqrt(r2));
    fxx[i] += dy * dy * w;
    fxy[i] -= dx * dy * w;
    fyy[i] += dx * dx * w;
  }
}

template void deflection<float>(const Sis&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Sis&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Sis&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Sis&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Sis&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Sis&, const double*, const double*, double*, double*, double*, std::size_t);

}  // namespace lensforge::kernels

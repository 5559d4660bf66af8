// Point mass kernels (lenstronomy "POINT_MASS"), m = theta_E^2: psi = m ln r, alpha = m (dx, dy) / r^2,
// f_xx = m (dy^2 - dx^2) / r^4 = -f_yy, f_xy = -2 m dx dy / r^4 (kappa = 0 off the centre).
// r^2 is floored at kR2Floor, so the exact centre gives alpha = 0, a zero Hessian and psi = m ln(1e-10).
#include <algorithm>
#include <cmath>

#include "kernels.hpp"

namespace lensforge::kernels {

template <class T>
void deflection(const PointMass& p, const T* __restrict x, const T* __restrict y, T* __restrict ax,
                T* __restrict ay, std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), m = T(p.theta_E * p.theta_E), floor = T(kR2Floor);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T a = m / std::max(dx * dx + dy * dy, floor);
    ax[i] += a * dx;
    ay[i] += a * dy;
  }
}

template <class T>
void potential(const PointMass& p, const T* __restrict x, const T* __restrict y, T* __restrict psi,
               std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), h = T(0.5 * p.theta_E * p.theta_E), floor = T(kR2Floor);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    psi[i] += h * std::log(std::max(dx * dx + dy * dy, floor));
  }
}

template <class T>
void hessian(const PointMass& p, const T* __restrict x, const T* __restrict y, T* __restrict fxx,
             T* __restrict fxy, T* __restrict fyy, std::size_t n) {
  const T cx = T(p.center_x), cy = T(p.center_y), m = T(p.theta_E * p.theta_E), floor = T(kR2Floor);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T r2 = std::max(dx * dx + dy * dy, floor);
    const T w = m / r2;  // divided twice: r^4 would leave the float range near the floor
    const T a = (dy * dy - dx * dx) / r2 * w, b = T(-2) * dx * dy / r2 * w;
    fxx[i] += a;
    fxy[i] += b;
    fyy[i] -= a;
  }
}

template void deflection<float>(const PointMass&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const PointMass&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const PointMass&, const float*, const float*, float*, std::size_t);
template void potential<double>(const PointMass&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const PointMass&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const PointMass&, const double*, const double*, double*, double*, double*,
                              std::size_t);

}  // namespace lensforge::kernels

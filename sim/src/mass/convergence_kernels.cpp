// Uniform mass sheet kernels (lenstronomy "CONVERGENCE"), centred on (ra_0, dec_0):
// psi = kappa/2 (dx^2 + dy^2), alpha = kappa (dx, dy), f_xx = f_yy = kappa, f_xy = 0.
#include "kernels.hpp"

namespace lensforge::kernels {

template <class T>
void deflection(const Convergence& p, const T* __restrict x, const T* __restrict y, T* __restrict ax,
                T* __restrict ay, std::size_t n) {
  const T x0 = T(p.ra_0), y0 = T(p.dec_0), k = T(p.kappa);
  for (std::size_t i = 0; i < n; ++i) {
    ax[i] += k * (x[i] - x0);
    ay[i] += k * (y[i] - y0);
  }
}

template <class T>
void potential(const Convergence& p, const T* __restrict x, const T* __restrict y, T* __restrict psi,
               std::size_t n) {
  const T x0 = T(p.ra_0), y0 = T(p.dec_0), h = T(0.5 * p.kappa);
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - x0, dy = y[i] - y0;
    psi[i] += h * (dx * dx + dy * dy);
  }
}

template <class T>
void hessian(const Convergence& p, const T* __restrict, const T* __restrict, T* __restrict fxx, T* __restrict,
             T* __restrict fyy, std::size_t n) {
  const T k = T(p.kappa);
  for (std::size_t i = 0; i < n; ++i) {
    fxx[i] += k;
    fyy[i] += k;
  }
}

template void deflection<float>(const Convergence&, const float*, const float*, float*, float*, std::size_t);
template void deflection<double>(const Convergence&, const double*, const double*, double*, double*, std::size_t);
template void potential<float>(const Convergence&, const float*, const float*, float*, std::size_t);
template void potential<double>(const Convergence&, const double*, const double*, double*, std::size_t);
template void hessian<float>(const Convergence&, const float*, const float*, float*, float*, float*, std::size_t);
template void hessian<double>(const Convergence&, const double*, const double*, double*, double*, double*,
                              std::size_t);

}  // namespace lensforge::kernels

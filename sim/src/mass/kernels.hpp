#pragma once
// Internal: the batched per-profile kernels behind add_deflection / add_potential / add_hessian.
//
// Each kernel ADDS its profile's value at (x[k], y[k]), k < n, to the outputs. The parameters must
// satisfy validate(); they are converted once per call into constants of the evaluation type T, then
// one branch-light loop runs over the points (float32/float64 SIMD through glibc's libmvec). Every
// kernel is finite exactly at the profile's centre and for e1 = e2 = 0.
//
// Definitions live in <profile>_kernels.cpp (compiled with -ffast-math -fno-finite-math-only) with
// explicit float and double instantiations; output arrays must not alias the inputs.
#include <cmath>
#include <cstddef>

#include "lensforge/sim/mass/ellipticity.hpp"
#include "lensforge/sim/mass/mass_profile.hpp"

namespace lensforge::kernels {

/// Floor on r^2 = dx^2 + dy^2 [arcsec^2] for the singular profiles (SIS, POINT_MASS): r >= 1e-10
/// arcsec, far below any pixel, and r^4 still a normal float.
inline constexpr double kR2Floor = 1e-20;

/// lenstronomy's "SIE" is its NIE with core s_scale = 1e-10 arcsec (core s = s_scale/sqrt(q) in the
/// major-axis frame). We keep that core: it matches lenstronomy to rounding (the pure s = 0 closed form
/// differs by b s/r, 1.2e-8 arcsec at r = 0.01") and makes the centre finite.
inline constexpr double kSieCore = 1e-10;

/// EPL: the elliptical radius R = |(q x', y')| is floored at this value [arcsec], as in lenstronomy.
inline constexpr double kEplRFloor = 1e-9;

/// NFW: X = R/Rs is floored at this value (dimensionless), below which every quantity is that of
/// R = 1e-6 Rs along the same direction (deflection -> 0 linearly at the centre).
inline constexpr double kNfwXFloor = 1e-6;

template <class T> void deflection(const Sie&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Sie&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Sie&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const Sis&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Sis&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Sis&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const Epl&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Epl&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Epl&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const Nfw&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Nfw&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Nfw&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const PointMass&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const PointMass&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const PointMass&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const Shear&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Shear&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Shear&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

template <class T> void deflection(const Convergence&, const T* x, const T* y, T* ax, T* ay, std::size_t n);
template <class T> void potential(const Convergence&, const T* x, const T* y, T* psi, std::size_t n);
template <class T> void hessian(const Convergence&, const T* x, const T* y, T* fxx, T* fxy, T* fyy, std::size_t n);

/// Centre and major-axis rotation of an elliptical profile, in the evaluation type:
/// x' = c dx + s dy, y' = -s dx + c dy with (dx, dy) = (x - cx, y - cy).
template <class T>
struct MajorAxisFrame {
  T cx, cy, c, s;
  T cc, ss, cs2, c2;  // c^2, s^2, 2cs, c^2 - s^2: rotation of the Hessian tensor back to (x, y)
  MajorAxisFrame(double center_x, double center_y, double phi)
      : cx(T(center_x)),
        cy(T(center_y)),
        c(T(std::cos(phi))),
        s(T(std::sin(phi))),
        cc(T(std::cos(phi) * std::cos(phi))),
        ss(T(std::sin(phi) * std::sin(phi))),
        cs2(T(std::sin(2.0 * phi))),
        c2(T(std::cos(2.0 * phi))) {}

  /// Hessian (hxx, hxy, hyy) in the major-axis frame -> (x, y) frame: H = R^T H' R.
  void add_rotated(T hxx, T hxy, T hyy, T& fxx, T& fxy, T& fyy) const {
    fxx += cc * hxx - cs2 * hxy + ss * hyy;
    fyy += ss * hxx + cs2 * hxy + cc * hyy;
    fxy += T(0.5) * cs2 * (hxx - hyy) + c2 * hxy;
  }
};

}  // namespace lensforge::kernels

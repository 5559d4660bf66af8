#pragma once
// Internal: the batched light-profile loops (compiled with -ffast-math in *_kernels.cpp) and the
// per-call constants they take. Constants are computed once per call in double precision by
// light_profile.cpp, so the loops hold no branches on parameters and no divisions.
#include <cstddef>

namespace lensforge::light_kernels {

/// Linear map from offsets (dx, dy) = (x - cx, y - cy) [arcsec] to a frame in which the profile is
/// round: u = m11 dx + m12 dy, v = m21 dx + m22 dy; u^2 + v^2 = (R / scale)^2 with R the
/// circularised radius sqrt(q x'^2 + y'^2 / q) of the ellipse and `scale` the profile's radius.
struct EllipseMap {
  double cx = 0.0, cy = 0.0;  ///< arcsec, profile centre
  double m11 = 1.0, m12 = 0.0, m21 = 0.0, m22 = 1.0;  ///< 1/arcsec
};

/// I = amp exp(b_n - b_n t^(1/(2n))), t = max(u^2 + v^2, t_min), and 0 where t > t_max
/// (u, v in units of R_sersic).
struct SersicConstants {
  EllipseMap map;
  double amp = 0.0;         ///< flux/arcsec^2
  double b_n = 1.0;         ///< lenstronomy's b_n
  double half_inv_n = 0.5;  ///< 1 / (2 n)
  double t_min = 0.0;       ///< (R floor / R_sersic)^2
  double t_max = 0.0;       ///< (R cut / R_sersic)^2
  /// (R / R_sersic)^2 beyond which I < kNegligible * amp: a batch whose points all lie beyond it
  /// is skipped (the values dropped are below float resolution of any pixel the profile touches).
  double t_negligible = 0.0;
};

/// Surface brightness, relative to the profile's amp (Sersic) or peak (Gaussian), below which a
/// whole batch of points may be skipped.
constexpr double kNegligible = 1e-9;

/// I = norm exp(-(u^2 + v^2)), (u, v) in units of sqrt(2) sigma, norm = amp / (2 pi sigma^2).
struct GaussianConstants {
  EllipseMap map;
  double norm = 0.0;  ///< flux/arcsec^2, peak surface brightness
};

/// Sersic disc times [1 + a T cos(m atan2(v, u) - k (ln t / 2 + c0) + phase)], T = t / (t + t_arm)
/// (u, v, t as for the Sersic, in units of R_sersic). Batches beyond the disc's t_negligible are
/// skipped (there I < (1 + a) kNegligible amp).
struct SpiralConstants {
  SersicConstants disc;
  double arms = 2.0;       ///< m, number of arms
  double amplitude = 0.0;  ///< a, arm contrast
  double winding = 0.0;    ///< k = m / tan(pitch angle)
  double c0 = 0.0;         ///< ln(R_sersic / r_arm)
  double phase = 0.0;      ///< radians
  double t_arm = 1.0;      ///< (r_arm / R_sersic)^2
};

/// I = amp exp(-(sqrt(u^2 + v^2) - r0)^2 k), (u, v) in arcsec (map scale 1), k = 1 / (2 sigma^2).
struct RingConstants {
  EllipseMap map;
  double amp = 0.0;  ///< flux/arcsec^2
  double r0 = 0.0;   ///< arcsec, crest radius
  double k = 1.0;    ///< 1/arcsec^2
  double t_negligible = 0.0;  ///< arcsec^2: beyond (u^2 + v^2) = t_negligible, I < kNegligible amp
};

/// Whether any of the n points lies within (u^2 + v^2) <= t of the map's centre. The float32
/// loops call it first and skip a batch that lies entirely where the profile is negligible (an
/// integer count vectorises; a float min-reduction does not without -ffinite-math-only).
template <class T>
inline bool any_within(const EllipseMap& map, const T* __restrict x, const T* __restrict y, std::size_t n, T t) {
  const T cx = T(map.cx), cy = T(map.cy), m11 = T(map.m11), m12 = T(map.m12), m21 = T(map.m21), m22 = T(map.m22);
  int near = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const T dx = x[i] - cx, dy = y[i] - cy;
    const T u = m11 * dx + m12 * dy, v = m21 * dx + m22 * dy;
    near += u * u + v * v <= t;
  }
  return near > 0;
}

/// ADD the profile at (x[k], y[k]) to out[k], k < n. Instantiated for float and double.
template <class T>
void add_sersic(const SersicConstants& c, const T* x, const T* y, T* out, std::size_t n);
template <class T>
void add_gaussian(const GaussianConstants& c, const T* x, const T* y, T* out, std::size_t n);
template <class T>
void add_spiral(const SpiralConstants& c, const T* x, const T* y, T* out, std::size_t n);
template <class T>
void add_ring(const RingConstants& c, const T* x, const T* y, T* out, std::size_t n);

}  // namespace lensforge::light_kernels

#pragma once
// Multi-plane ray tracing through any number of lens planes to any number of target (source)
// redshifts. A compound lens is a lens plane at the redshift of the first source.
//
// Each plane's profiles give REDUCED deflections defined for a source at z_source_convention
// (lenstronomy's convention: theta_E of a plane is the Einstein radius it alone would have for
// that source). The image-plane ray theta reaches plane/target j at
//   theta_j = theta - sum_{i: z_i < z_j} f_ji alpha_i(theta_i),
//   f_ji = D(z_i, z_j) D(0, z_sc) / (D(0, z_j) D(z_i, z_sc)),
// with f = 1 exactly when z_j = z_sc, so one plane reduces exactly to beta = theta - alpha.
// Planes at or behind a target do not deflect it.
#include <cstddef>
#include <vector>

#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "lensforge/sim/mass/mass_profile.hpp"

namespace lensforge {

struct LensPlane {
  double z = 0.5;                      ///< redshift, > 0
  std::vector<MassProfile> profiles;   ///< deflectors on this plane
};

/// Per-thread scratch space for MultiPlaneTracer::trace (reused between calls, no allocation
/// once warm).
template <class T>
struct TraceWorkspace {
  std::vector<std::vector<T>> ax, ay;  // deflection of each plane
  std::vector<T> tx, ty;               // ray position on the current plane
};

class MultiPlaneTracer {
 public:
  /// planes in any order (sorted by z here; planes at the same z are merged into one, profiles
  /// kept in the order given); targets: redshifts at which ray positions are wanted (at least one,
  /// any order, each finite and > 0, may lie behind z_source_convention); z_source_convention:
  /// finite, > 0 and behind every plane (a plane at or behind it has no defined reduced deflection).
  /// Every profile is validated here. Throws ConfigError naming the plane, profile or target.
  MultiPlaneTracer(const FlatLambdaCDM& cosmo, std::vector<LensPlane> planes, std::vector<double> target_z,
                   double z_source_convention);

  std::size_t num_planes() const { return planes_.size(); }
  std::size_t num_targets() const { return target_z_.size(); }
  const std::vector<LensPlane>& planes() const { return planes_; }
  double target_z(std::size_t t) const { return target_z_[t]; }
  /// f_ji of the recursion for target t and plane i (0 when the plane does not deflect it).
  double target_factor(std::size_t t, std::size_t i) const { return target_factor_[t][i]; }

  /// Traces n rays from image-plane positions (x[k], y[k]) [arcsec] and writes their angular
  /// positions on target t to (bx[t][k], by[t][k]). The outputs must not overlap x or y.
  /// Thread-safe with one workspace per thread; allocates nothing once ws has held n rays.
  template <class T>
  void trace(const T* x, const T* y, std::size_t n, T* const* bx, T* const* by, TraceWorkspace<T>& ws) const;

 private:
  std::vector<LensPlane> planes_;                   // sorted by z
  std::vector<double> target_z_;                    // as given
  std::vector<std::vector<double>> plane_factor_;   // [j][i], i < j: plane i onto plane j
  std::vector<std::vector<double>> target_factor_;  // [t][i]
};

extern template void MultiPlaneTracer::trace<float>(const float*, const float*, std::size_t, float* const*,
                                                    float* const*, TraceWorkspace<float>&) const;
extern template void MultiPlaneTracer::trace<double>(const double*, const double*, std::size_t, double* const*,
                                                     double* const*, TraceWorkspace<double>&) const;

}  // namespace lensforge

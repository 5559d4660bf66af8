#include "lensforge/sim/lens/multi_plane.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {
namespace {

// out[k] = x[k] - sum_i f[i] a_i[k] over the planes with f[i] != 0. With one plane and f = 1 this is
// exactly x - a (1 * a is exact), so the single-plane limit holds bit for bit.
template <class T>
void subtract_deflections(const T* x, const std::vector<double>& f, const std::vector<std::vector<T>>& a,
                          std::size_t n, T* out) {
  std::copy(x, x + n, out);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == 0.0) continue;
    const T fi = static_cast<T>(f[i]);
    const T* ai = a[i].data();
    for (std::size_t k = 0; k < n; ++k) out[k] -= fi * ai[k];
  }
}

}  // namespace

MultiPlaneTracer::MultiPlaneTracer(const FlatLambdaCDM& cosmo, std::vector<LensPlane> planes,
                                   std::vector<double> target_z, double z_source_convention)
    : target_z_(std::move(target_z)) {
  const double z_sc = z_source_convention;
  if (!(z_sc > 0.0) || !std::isfinite(z_sc))
    throw ConfigError(fmt::format("MultiPlaneTracer: z_source_convention = {} must be a finite redshift > 0", z_sc));
  if (target_z_.empty()) throw ConfigError("MultiPlaneTracer: at least one target (source) redshift is needed");
  for (std::size_t t = 0; t < target_z_.size(); ++t)
    if (!(target_z_[t] > 0.0) || !std::isfinite(target_z_[t]))
      throw ConfigError(fmt::format("MultiPlaneTracer: target_z[{}] = {} must be a finite redshift > 0", t, target_z_[t]));
  for (std::size_t i = 0; i < planes.size(); ++i) {
    const LensPlane& p = planes[i];
    if (!(p.z > 0.0) || !std::isfinite(p.z))
      throw ConfigError(fmt::format("MultiPlaneTracer: lens plane {} has z = {}; it must be a finite redshift > 0", i, p.z));
    if (!(p.z < z_sc))
      throw ConfigError(fmt::format(
          "MultiPlaneTracer: lens plane {} at z = {} is at or behind z_source_convention = {}: its reduced "
          "deflections (defined for a source at z_source_convention) are undefined there; put z_source_convention "
          "behind every lens plane",
          i, p.z, z_sc));
    for (std::size_t k = 0; k < p.profiles.size(); ++k)
      if (std::string msg = validate(p.profiles[k]); !msg.empty())
        throw ConfigError(fmt::format("MultiPlaneTracer: lens plane {} (z = {}), profile {} ({}): {}", i, p.z, k,
                                      name(p.profiles[k]), msg));
  }

  // Sort by redshift; planes at the same redshift become one plane (their deflections add).
  std::stable_sort(planes.begin(), planes.end(), [](const LensPlane& a, const LensPlane& b) { return a.z < b.z; });
  for (LensPlane& p : planes) {
    if (!planes_.empty() && planes_.back().z == p.z)
      planes_.back().profiles.insert(planes_.back().profiles.end(), p.profiles.begin(), p.profiles.end());
    else
      planes_.push_back(std::move(p));
  }

  // f(z_i -> z_j) = D(z_i, z_j) D(0, z_sc) / (D(0, z_j) D(z_i, z_sc)), exactly 1 when z_j == z_sc.
  const std::size_t np = planes_.size();
  const double d_sc = cosmo.angular_diameter_distance(z_sc);
  std::vector<double> d_isc(np);
  for (std::size_t i = 0; i < np; ++i) d_isc[i] = cosmo.angular_diameter_distance(planes_[i].z, z_sc);
  const auto factor = [&](std::size_t i, double z_j) {
    if (z_j == z_sc) return 1.0;
    return cosmo.angular_diameter_distance(planes_[i].z, z_j) * d_sc /
           (cosmo.angular_diameter_distance(z_j) * d_isc[i]);
  };
  plane_factor_.assign(np, {});
  for (std::size_t j = 0; j < np; ++j) {
    plane_factor_[j].assign(j, 0.0);
    for (std::size_t i = 0; i < j; ++i) plane_factor_[j][i] = factor(i, planes_[j].z);
  }
  target_factor_.assign(target_z_.size(), std::vector<double>(np, 0.0));
  for (std::size_t t = 0; t < target_z_.size(); ++t)
    for (std::size_t i = 0; i < np && planes_[i].z < target_z_[t]; ++i) target_factor_[t][i] = factor(i, target_z_[t]);
}

template <class T>
void MultiPlaneTracer::trace(const T* x, const T* y, std::size_t n, T* const* bx, T* const* by,
                             TraceWorkspace<T>& ws) const {
  const std::size_t np = planes_.size();
  ws.ax.resize(np);
  ws.ay.resize(np);
  ws.tx.resize(n);
  ws.ty.resize(n);
  for (std::size_t j = 0; j < np; ++j) {
    // Ray positions on plane j: the image-plane positions themselves on the first plane.
    const T* px = x;
    const T* py = y;
    if (j > 0) {
      subtract_deflections(x, plane_factor_[j], ws.ax, n, ws.tx.data());
      subtract_deflections(y, plane_factor_[j], ws.ay, n, ws.ty.data());
      px = ws.tx.data();
      py = ws.ty.data();
    }
    ws.ax[j].assign(n, T(0));
    ws.ay[j].assign(n, T(0));
    for (const MassProfile& p : planes_[j].profiles) add_deflection(p, px, py, ws.ax[j].data(), ws.ay[j].data(), n);
  }
  for (std::size_t t = 0; t < target_z_.size(); ++t) {
    subtract_deflections(x, target_factor_[t], ws.ax, n, bx[t]);
    subtract_deflections(y, target_factor_[t], ws.ay, n, by[t]);
  }
}

template void MultiPlaneTracer::trace<float>(const float*, const float*, std::size_t, float* const*, float* const*,
                                             TraceWorkspace<float>&) const;
template void MultiPlaneTracer::trace<double>(const double*, const double*, std::size_t, double* const*,
                                              double* const*, TraceWorkspace<double>&) const;

}  // namespace lensforge

#include "lensforge/sim/light/light_profile.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include <fmt/format.h>

#include "lensforge/sim/mass/ellipticity.hpp"
#include "light_kernels.hpp"

namespace lensforge {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

// lenstronomy's numerical guards for the Sersic (LightModel SersicUtil): R is floored at 1e-4 arcsec
// and the profile is 0 beyond R > 1000 R_sersic.
constexpr double kSersicMinR = 1e-4;        // arcsec
constexpr double kSersicMaxRFrac = 1000.0;  // in units of R_sersic

// Map to the round frame of an ellipse (lenstronomy transform_e1e2_product_average), divided by `scale`.
light_kernels::EllipseMap ellipse_map(double e1, double e2, double cx, double cy, double scale) {
  const AxisRatioAngle qa = q_phi_from_e1e2(e1, e2);
  const double sq = std::sqrt(qa.q), c = std::cos(qa.phi), s = std::sin(qa.phi);
  return {cx, cy, sq * c / scale, sq * s / scale, -s / (sq * scale), c / (sq * scale)};
}

light_kernels::SersicConstants sersic_constants(const Sersic& s) {
  const double b_n = sersic_b_n(s.n_sersic);
  const double rmin = kSersicMinR / s.R_sersic;
  // I / amp = exp(b_n (1 - p)) < kNegligible for p = (R/R_sersic)^(1/n) > 1 + ln(1/kNegligible)/b_n.
  const double p_negligible = 1.0 + std::log(1.0 / light_kernels::kNegligible) / b_n;
  const double t_negligible = std::min(std::pow(p_negligible, 2.0 * s.n_sersic), kSersicMaxRFrac * kSersicMaxRFrac);
  return {ellipse_map(s.e1, s.e2, s.center_x, s.center_y, s.R_sersic), s.amp, b_n, 0.5 / s.n_sersic, rmin * rmin,
          kSersicMaxRFrac * kSersicMaxRFrac, t_negligible};
}

light_kernels::GaussianConstants gaussian_constants(double amp, double sigma, double e1, double e2, double cx,
                                                    double cy) {
  return {ellipse_map(e1, e2, cx, cy, std::numbers::sqrt2 * sigma), amp / (2.0 * std::numbers::pi * sigma * sigma)};
}

light_kernels::SpiralConstants spiral_constants(const Spiral& p) {
  const Sersic disc{p.amp, p.R_sersic, p.n_sersic, p.e1, p.e2, p.center_x, p.center_y};
  const double r = p.r_arm / p.R_sersic;
  return {sersic_constants(disc),    double(p.n_arms),       p.arm_amplitude, p.n_arms / std::tan(p.pitch_angle),
          std::log(p.R_sersic / p.r_arm), p.arm_phase, r * r};
}

light_kernels::RingConstants ring_constants(const Ring& r) {
  // I / amp < kNegligible outside R = R_ring + sigma sqrt(2 ln(1/kNegligible)).
  const double r_negligible = r.R_ring + r.sigma * std::sqrt(2.0 * std::log(1.0 / light_kernels::kNegligible));
  return {ellipse_map(r.e1, r.e2, r.center_x, r.center_y, 1.0), r.amp, r.R_ring, 0.5 / (r.sigma * r.sigma),
          r_negligible * r_negligible};
}

// Keys' cubic convolution kernel (a = -1/2) weights of the 4 taps at offsets -1, 0, 1, 2 from
// floor(f), for t = f - floor(f) in [0, 1).
inline void keys_weights(double t, double w[4]) {
  const double t2 = t * t, t3 = t2 * t;
  w[0] = -0.5 * t3 + t2 - 0.5 * t;
  w[1] = 1.5 * t3 - 2.5 * t2 + 1.0;
  w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;
  w[3] = 0.5 * t3 - 0.5 * t2;
}

template <class T>
void add_interpolated(const InterpolatedImage& im, const T* x, const T* y, T* out, std::size_t n) {
  if (!im.stamp || im.amp == 0.0) return;
  const auto& st = *im.stamp;
  const long ny = st.rows(), nx = st.cols();
  const double c = std::cos(im.rotation), s = std::sin(im.rotation), inv = 1.0 / im.pixel_scale;
  const double fx0 = 0.5 * double(nx - 1), fy0 = 0.5 * double(ny - 1);
  const double norm = im.amp * inv * inv;
  const double flip = im.flip ? -1.0 : 1.0;
  for (std::size_t k = 0; k < n; ++k) {
    const double dx = double(x[k]) - im.center_x, dy = double(y[k]) - im.center_y;
    const double u = flip * (c * dx + s * dy), v = -s * dx + c * dy;
    const double fj = u * inv + fx0, fi = v * inv + fy0;
    if (!(fj > -2.0 && fj < double(nx + 1) && fi > -2.0 && fi < double(ny + 1))) continue;
    const double j0 = std::floor(fj), i0 = std::floor(fi);
    double wx[4], wy[4];
    keys_weights(fj - j0, wx);
    keys_weights(fi - i0, wy);
    const long jb = long(j0) - 1, ib = long(i0) - 1;
    double sum = 0.0;
    for (int a = 0; a < 4; ++a) {
      const long i = ib + a;
      if (i < 0 || i >= ny) continue;
      double row = 0.0;
      for (int b = 0; b < 4; ++b) {
        const long j = jb + b;
        if (j >= 0 && j < nx) row += wx[b] * st(i, j);
      }
      sum += wy[a] * row;
    }
    out[k] += T(norm * sum);
  }
}

template <class T>
void add_impl(const LightProfile& p, const T* x, const T* y, T* out, std::size_t n) {
  std::visit(Overloaded{
                 [&](const Sersic& s) { light_kernels::add_sersic(sersic_constants(s), x, y, out, n); },
                 [&](const Gaussian& g) {
                   light_kernels::add_gaussian(gaussian_constants(g.amp, g.sigma, g.e1, g.e2, g.center_x, g.center_y),
                                               x, y, out, n);
                 },
                 [&](const ClumpySersic& c) {
                   light_kernels::add_sersic(sersic_constants(c.host), x, y, out, n);
                   for (const Knot& k : c.knots)
                     light_kernels::add_gaussian(
                         gaussian_constants(k.flux, k.sigma, 0.0, 0.0, c.host.center_x + k.dx, c.host.center_y + k.dy),
                         x, y, out, n);
                 },
                 [&](const Spiral& sp) { light_kernels::add_spiral(spiral_constants(sp), x, y, out, n); },
                 [&](const Ring& r) { light_kernels::add_ring(ring_constants(r), x, y, out, n); },
                 [&](const InterpolatedImage& im) { add_interpolated(im, x, y, out, n); },
             },
             p);
}

// ---- validation ---------------------------------------------------------------------------------

// When !ok, sets msg to "<profile>: <param> = <value> must be <range>" and returns true.
bool fail(std::string& msg, bool ok, const char* profile, const std::string& param, double value,
          const char* range) {
  if (ok) return false;
  msg = fmt::format("{}: {} = {} must be {}", profile, param, value, range);
  return true;
}

bool check_center(std::string& msg, const char* prof, double cx, double cy, const char* nx, const char* ny) {
  return fail(msg, std::isfinite(cx), prof, nx, cx, "finite (arcsec)") ||
         fail(msg, std::isfinite(cy), prof, ny, cy, "finite (arcsec)");
}

bool check_ellipticity(std::string& msg, const char* prof, double e1, double e2) {
  if (fail(msg, std::isfinite(e1), prof, "e1", e1, "finite") || fail(msg, std::isfinite(e2), prof, "e2", e2, "finite"))
    return true;
  return fail(msg, std::hypot(e1, e2) < 1.0, prof, "|e| = hypot(e1, e2)", std::hypot(e1, e2), "< 1");
}

bool check_sersic(std::string& msg, const char* prof, const Sersic& s, const std::string& prefix) {
  return fail(msg, s.amp >= 0.0 && std::isfinite(s.amp), prof, prefix + "amp", s.amp, ">= 0 and finite") ||
         fail(msg, s.R_sersic > 0.0 && std::isfinite(s.R_sersic), prof, prefix + "R_sersic", s.R_sersic,
              "> 0 and finite (arcsec)") ||
         fail(msg, s.n_sersic >= 0.2 && s.n_sersic <= 10.0, prof, prefix + "n_sersic", s.n_sersic, "in [0.2, 10]") ||
         check_ellipticity(msg, prof, s.e1, s.e2) ||
         check_center(msg, prof, s.center_x, s.center_y, "center_x", "center_y");
}

double sersic_total_flux(const Sersic& s) {
  const double n = s.n_sersic, b_n = sersic_b_n(n);
  return s.amp * 2.0 * std::numbers::pi * n * std::exp(b_n) * std::pow(b_n, -2.0 * n) * std::tgamma(2.0 * n) *
         s.R_sersic * s.R_sersic;
}

double ring_total_flux(const Ring& r) {
  const double s = r.sigma, R = r.R_ring;
  return 2.0 * std::numbers::pi * r.amp *
         (s * s * std::exp(-R * R / (2.0 * s * s)) +
          std::sqrt(0.5 * std::numbers::pi) * R * s * (1.0 + std::erf(R / (std::numbers::sqrt2 * s))));
}

}  // namespace

const char* name(const LightProfile& p) {
  return std::visit(Overloaded{[](const Sersic&) { return "SERSIC_ELLIPSE"; },
                               [](const Gaussian&) { return "GAUSSIAN_ELLIPSE"; },
                               [](const ClumpySersic&) { return "CLUMPY_SERSIC"; },
                               [](const Spiral&) { return "SPIRAL"; }, [](const Ring&) { return "RING"; },
                               [](const InterpolatedImage&) { return "INTERPOL"; }},
                    p);
}

std::string validate(const LightProfile& p) {
  std::string msg;
  const char* prof = name(p);
  std::visit(Overloaded{
                 [&](const Sersic& s) { check_sersic(msg, prof, s, ""); },
                 [&](const Gaussian& g) {
                   fail(msg, g.amp >= 0.0 && std::isfinite(g.amp), prof, "amp", g.amp, ">= 0 and finite") ||
                       fail(msg, g.sigma > 0.0 && std::isfinite(g.sigma), prof, "sigma", g.sigma,
                            "> 0 and finite (arcsec)") ||
                       check_ellipticity(msg, prof, g.e1, g.e2) ||
                       check_center(msg, prof, g.center_x, g.center_y, "center_x", "center_y");
                 },
                 [&](const ClumpySersic& c) {
                   if (check_sersic(msg, prof, c.host, "host.")) return;
                   for (std::size_t i = 0; i < c.knots.size(); ++i) {
                     const Knot& k = c.knots[i];
                     const std::string kn = fmt::format("knots[{}].", i);
                     if (fail(msg, std::isfinite(k.dx), prof, kn + "dx", k.dx, "finite (arcsec)") ||
                         fail(msg, std::isfinite(k.dy), prof, kn + "dy", k.dy, "finite (arcsec)") ||
                         fail(msg, k.sigma > 0.0 && std::isfinite(k.sigma), prof, kn + "sigma", k.sigma,
                              "> 0 and finite (arcsec)") ||
                         fail(msg, k.flux >= 0.0 && std::isfinite(k.flux), prof, kn + "flux", k.flux,
                              ">= 0 and finite"))
                       return;
                   }
                 },
                 [&](const Spiral& sp) {
                   const Sersic disc{sp.amp, sp.R_sersic, sp.n_sersic, sp.e1, sp.e2, sp.center_x, sp.center_y};
                   check_sersic(msg, prof, disc, "") ||
                       fail(msg, sp.n_arms >= 1 && sp.n_arms <= 8, prof, "n_arms", sp.n_arms, "in [1, 8]") ||
                       fail(msg, sp.arm_amplitude >= 0.0 && sp.arm_amplitude <= 1.0, prof, "arm_amplitude",
                            sp.arm_amplitude, "in [0, 1]") ||
                       fail(msg, sp.pitch_angle > 0.0 && sp.pitch_angle < 0.5 * std::numbers::pi, prof, "pitch_angle",
                            sp.pitch_angle, "in (0, pi/2) (radians)") ||
                       fail(msg, sp.r_arm > 0.0 && std::isfinite(sp.r_arm), prof, "r_arm", sp.r_arm,
                            "> 0 and finite (arcsec)") ||
                       fail(msg, std::isfinite(sp.arm_phase), prof, "arm_phase", sp.arm_phase, "finite (radians)");
                 },
                 [&](const Ring& r) {
                   fail(msg, r.amp >= 0.0 && std::isfinite(r.amp), prof, "amp", r.amp, ">= 0 and finite") ||
                       fail(msg, r.R_ring >= 0.0 && std::isfinite(r.R_ring), prof, "R_ring", r.R_ring,
                            ">= 0 and finite (arcsec)") ||
                       fail(msg, r.sigma > 0.0 && std::isfinite(r.sigma), prof, "sigma", r.sigma,
                            "> 0 and finite (arcsec)") ||
                       check_ellipticity(msg, prof, r.e1, r.e2) ||
                       check_center(msg, prof, r.center_x, r.center_y, "center_x", "center_y");
                 },
                 [&](const InterpolatedImage& im) {
                   if (!im.stamp || im.stamp->size() == 0) {
                     msg = fmt::format("{}: stamp '{}' has no pixels", prof, im.id);
                     return;
                   }
                   fail(msg, im.amp >= 0.0 && std::isfinite(im.amp), prof, "amp", im.amp, ">= 0 and finite") ||
                       fail(msg, im.pixel_scale > 0.0 && std::isfinite(im.pixel_scale), prof, "pixel_scale",
                            im.pixel_scale, "> 0 and finite (arcsec)") ||
                       fail(msg, std::isfinite(im.rotation), prof, "rotation", im.rotation, "finite (radians)") ||
                       check_center(msg, prof, im.center_x, im.center_y, "center_x", "center_y");
                 },
             },
             p);
  return msg;
}

double sersic_b_n(double n) { return std::max(1.9992 * n - 0.3271, 1e-5); }

double total_flux(const LightProfile& p) {
  return std::visit(Overloaded{[](const Sersic& s) { return sersic_total_flux(s); },
                               [](const Gaussian& g) { return g.amp; },
                               [](const ClumpySersic& c) {
                                 double f = sersic_total_flux(c.host);
                                 for (const Knot& k : c.knots) f += k.flux;
                                 return f;
                               },
                               [](const Spiral& sp) {
                                 return sersic_total_flux(
                                     Sersic{sp.amp, sp.R_sersic, sp.n_sersic, sp.e1, sp.e2, sp.center_x, sp.center_y});
                               },
                               [](const Ring& r) { return ring_total_flux(r); },
                               [](const InterpolatedImage& im) { return im.amp; }},
                    p);
}

LightProfile scaled(const LightProfile& p, double factor) {
  LightProfile out = p;
  std::visit(Overloaded{[&](Sersic& s) { s.amp *= factor; }, [&](Gaussian& g) { g.amp *= factor; },
                        [&](ClumpySersic& c) {
                          c.host.amp *= factor;
                          for (auto& k : c.knots) k.flux *= factor;
                        },
                        [&](Spiral& sp) { sp.amp *= factor; }, [&](Ring& r) { r.amp *= factor; },
                        [&](InterpolatedImage& im) { im.amp *= factor; }},
             out);
  return out;
}

double sersic_amp_from_total_flux(const Sersic& s, double flux) {
  Sersic unit = s;
  unit.amp = 1.0;
  return flux / sersic_total_flux(unit);
}

void add_surface_brightness(const LightProfile& p, const float* x, const float* y, float* out, std::size_t n) {
  add_impl(p, x, y, out, n);
}

void add_surface_brightness(const LightProfile& p, const double* x, const double* y, double* out, std::size_t n) {
  add_impl(p, x, y, out, n);
}

double surface_brightness(const LightProfile& p, double x, double y) {
  double out = 0.0;
  add_impl(p, &x, &y, &out, 1);
  return out;
}

}  // namespace lensforge

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "lensforge/sim/light/light_profile.hpp"
#include "lensforge/sim/mass/ellipticity.hpp"
#include "test_support.hpp"

using namespace lensforge;

namespace {

constexpr double kPi = std::numbers::pi;

Sersic make_sersic(double amp, double R_sersic, double n, double q, double phi, double cx, double cy) {
  Sersic s{amp, R_sersic, n, 0.0, 0.0, cx, cy};
  e1e2_from_q_phi(q, phi, s.e1, s.e2);
  return s;
}

// Integral of a profile over the plane in polar coordinates (r, t) of the ellipse's round frame:
// (dx, dy) = rot(phi) (r cos t / sqrt(q), r sin t sqrt(q)) has unit Jacobian, so dx dy = r dr dt.
// r = R_sersic e^u is integrated by 24-point Gauss-Legendre panels in u with panel edges at lenstronomy's
// R floor (1e-4 arcsec) and cut (1000 R_sersic), where the profile has kinks; t by the trapezoid
// rule (spectral for a periodic integrand). All points go through add_surface_brightness in one call.
double integrate_polar(const LightProfile& p, double cx, double cy, double q, double phi, double r_scale) {
  static const double gx[12] = {0.0640568928626056, 0.1911188674736163, 0.3150426796961634, 0.4337935076260451,
                                0.5454214713888395, 0.6480936519369756, 0.7401241915785544, 0.8200019859739029,
                                0.8864155270044011, 0.9382745520027328, 0.9747285559713095, 0.9951872199970214};
  static const double gw[12] = {0.1279381953467522, 0.1258374563468283, 0.1216704729278034, 0.1155056680537256,
                                0.1074442701159656, 0.0976186521041139, 0.0861901615319533, 0.0733464814110803,
                                0.0592985849154368, 0.0442774388174198, 0.0285313886289337, 0.0123412297999872};
  const int nt = 24;
  const double sq = std::sqrt(q), c = std::cos(phi), s = std::sin(phi);
  const double edges[] = {std::log(1e-12), std::log(1e-4 / r_scale), std::log(1000.0), std::log(1e4)};
  std::vector<double> x, y, wr;
  for (int seg = 0; seg < 3; ++seg) {
    const int panels = 40;
    const double h = (edges[seg + 1] - edges[seg]) / panels;
    for (int k = 0; k < panels; ++k)
      for (int g = 0; g < 24; ++g) {
        const double node = g < 12 ? -gx[11 - g] : gx[g - 12], weight = g < 12 ? gw[11 - g] : gw[g - 12];
        const double r = r_scale * std::exp(edges[seg] + h * (k + 0.5 * (1.0 + node)));
        for (int it = 0; it < nt; ++it) {
          const double t = 2.0 * kPi * it / nt, a = r * std::cos(t) / sq, b = r * std::sin(t) * sq;
          x.push_back(cx + c * a - s * b);
          y.push_back(cy + s * a + c * b);
          wr.push_back(weight * 0.5 * h * r * r * (2.0 * kPi / nt));  // dr = r du
        }
      }
  }
  std::vector<double> v(x.size(), 0.0);
  add_surface_brightness(p, x.data(), y.data(), v.data(), x.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += wr[i] * v[i];
  return sum;
}

// Midpoint (= trapezoid) sum over a uniform grid: exponentially accurate for Gaussians sampled finer
// than their width (error ~ exp(-2 pi^2 sigma^2 / h^2)).
double integrate_grid(const LightProfile& p, double cx, double cy, double half_width, double h) {
  std::vector<double> x, y;
  const int m = static_cast<int>(std::ceil(half_width / h));
  for (int i = -m; i <= m; ++i)
    for (int j = -m; j <= m; ++j) {
      x.push_back(cx + j * h);
      y.push_back(cy + i * h);
    }
  std::vector<double> v(x.size(), 0.0);
  add_surface_brightness(p, x.data(), y.data(), v.data(), x.size());
  double sum = 0.0;
  for (double a : v) sum += a;
  return sum * h * h;
}

}  // namespace

TEST(LightProfile, SersicIntegratesToTotalFlux) {
  // total_flux is lenstronomy's analytic formula for the untruncated profile. The rendered profile
  // follows lenstronomy: constant inside R = 1e-4 arcsec and 0 beyond 1000 R_sersic, which changes
  // the flux by `removed` (relative, R_sersic = 0.7 arcsec), computed separately with numpy by a 1D
  // radial Gauss-Legendre quadrature (60 nodes x 400 log-r panels; the same quadrature of the
  // untruncated profile reproduces the analytic total to 5e-16). The 2D quadrature here is good to
  // ~3e-14, so the rendered integral must match total_flux * (1 + removed) to 1e-11 for every q:
  // this checks amp, b_n, the exponent 1/n, the floor, the cut, and that the ellipse preserves area.
  const struct {
    double n, removed;
  } cases[] = {{0.5, -9.418083e-17}, {1.0, -2.271243e-12}, {2.0, -1.307075e-09}, {4.0, -2.662857e-07},
               {6.0, -5.331182e-06}};
  for (const auto& c : cases)
    for (double q : {1.0, 0.6, 0.3}) {
      const double phi = 0.4 + q;
      const Sersic s = make_sersic(3.0, 0.7, c.n, q, phi, 0.2, -0.1);
      const double got = integrate_polar(s, s.center_x, s.center_y, q, phi, s.R_sersic);
      EXPECT_NEAR(got / total_flux(s) - 1.0, c.removed, 1e-11) << "n = " << c.n << ", q = " << q;
    }
}

TEST(LightProfile, TotalFluxMatchesLenstronomyReference) {
  // ref_images.json: lenstronomy's total flux of its lens light and unlensed source.
  const auto ref = test::read_json(test::shared_path("reference/images/ref_images.json"));
  const auto to_sersic = [](const nlohmann::json& k) {
    return Sersic{k["amp"], k["R_sersic"], k["n_sersic"], k["e1"], k["e2"], k["center_x"], k["center_y"]};
  };
  EXPECT_NEAR(total_flux(to_sersic(ref["kwargs_lens_light"][0])) / ref["total_flux_lens_light"].get<double>(), 1.0,
              1e-13);
  EXPECT_NEAR(total_flux(to_sersic(ref["kwargs_source"][0])) / ref["total_flux_source_unlensed"].get<double>(), 1.0,
              1e-13);
}

TEST(LightProfile, SersicValueAtRSersicIsAmp) {
  for (double n : {0.5, 1.0, 4.0, 10.0})
    for (double q : {1.0, 0.5}) {
      const double phi = 0.3, Rs = 0.4;
      const Sersic s = make_sersic(7.5, Rs, n, q, phi, 1.0, 2.0);
      // On the major axis R = sqrt(q) d, on the minor axis R = d / sqrt(q).
      const double d_major = Rs / std::sqrt(q), d_minor = Rs * std::sqrt(q);
      EXPECT_NEAR(surface_brightness(s, 1.0 + d_major * std::cos(phi), 2.0 + d_major * std::sin(phi)), 7.5, 1e-12);
      EXPECT_NEAR(surface_brightness(s, 1.0 - d_minor * std::sin(phi), 2.0 + d_minor * std::cos(phi)), 7.5, 1e-12);
    }
}

TEST(LightProfile, SersicMatchesLenstronomyFormula) {
  // The conventions block of ref_images.json in its matrix form:
  //   x_ = ((1-e1) dx - e2 dy)/sqrt(1-e1^2-e2^2), y_ = (-e2 dx + (1+e1) dy)/sqrt(1-e1^2-e2^2),
  //   I = amp exp(-b_n ((max(R, 1e-4)/R_sersic)^(1/n) - 1)), b_n = 1.9992 n - 0.3271.
  const Sersic s{20.0, 0.8, 4.0, 0.1, -0.05, 0.05, -0.03};
  const double b_n = 1.9992 * 4.0 - 0.3271;
  EXPECT_DOUBLE_EQ(sersic_b_n(4.0), b_n);
  EXPECT_DOUBLE_EQ(sersic_b_n(0.1), 1e-5);  // floored
  const double norm = std::sqrt(1.0 - s.e1 * s.e1 - s.e2 * s.e2);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (int k = 0; k < 200; ++k) {
    const double x = u(rng), y = u(rng), dx = x - s.center_x, dy = y - s.center_y;
    const double xs = ((1.0 - s.e1) * dx - s.e2 * dy) / norm, ys = (-s.e2 * dx + (1.0 + s.e1) * dy) / norm;
    const double R = std::max(std::hypot(xs, ys), 1e-4);
    const double want = s.amp * std::exp(-b_n * (std::pow(R / s.R_sersic, 0.25) - 1.0));
    EXPECT_NEAR(surface_brightness(s, x, y), want, 1e-13 * want);
  }
  // The floor: constant within R < 1e-4 arcsec; the cut: zero beyond R > 1000 R_sersic.
  const double centre = s.amp * std::exp(-b_n * (std::pow(1e-4 / s.R_sersic, 0.25) - 1.0));
  EXPECT_NEAR(surface_brightness(s, s.center_x, s.center_y), centre, 1e-13 * centre);
  EXPECT_NEAR(surface_brightness(s, s.center_x + 3e-5, s.center_y), centre, 1e-13 * centre);
  const Sersic round{1.0, 0.01, 4.0, 0.0, 0.0, 0.0, 0.0};  // I(999 R_sersic) = 4e-16 amp
  EXPECT_GT(surface_brightness(round, 9.99, 0.0), 0.0);
  EXPECT_EQ(surface_brightness(round, 10.01, 0.0), 0.0);
}

TEST(LightProfile, EllipseMajorAxisAlongPhi) {
  const double q = 0.5, phi = kPi / 6.0, d = 0.5;
  for (const LightProfile& p : {LightProfile(make_sersic(1.0, 0.5, 1.5, q, phi, 0.0, 0.0)), [&] {
         Gaussian g{1.0, 0.4};
         e1e2_from_q_phi(q, phi, g.e1, g.e2);
         return LightProfile(g);
       }()}) {
    SCOPED_TRACE(name(p));
    const double major = surface_brightness(p, d * std::cos(phi), d * std::sin(phi));
    const double minor = surface_brightness(p, -d * std::sin(phi), d * std::cos(phi));
    EXPECT_GT(major, 1.5 * minor);  // brighter along the major axis
    // Same isophote at distance d on the major axis and q d on the minor axis.
    EXPECT_NEAR(surface_brightness(p, -q * d * std::sin(phi), q * d * std::cos(phi)), major, 1e-12 * major);
    // Point symmetry about the centre.
    EXPECT_NEAR(surface_brightness(p, -d * std::cos(phi), -d * std::sin(phi)), major, 1e-12 * major);
  }
}

TEST(LightProfile, GaussianAmpIsTotalFlux) {
  for (double q : {1.0, 0.4}) {
    Gaussian g{5.0, 0.2, 0.0, 0.0, 0.3, -0.2};
    e1e2_from_q_phi(q, 1.0, g.e1, g.e2);
    EXPECT_EQ(total_flux(g), 5.0);
    // Spacing sigma sqrt(q) / 4 and half width 12 sigma / sqrt(q): discretisation and truncation
    // errors are both far below 1e-12.
    const double got = integrate_grid(g, g.center_x, g.center_y, 12.0 * g.sigma / std::sqrt(q),
                                      0.25 * g.sigma * std::sqrt(q));
    EXPECT_NEAR(got, 5.0, 5.0 * 1e-12) << "q = " << q;
    EXPECT_NEAR(surface_brightness(g, g.center_x, g.center_y), 5.0 / (2.0 * kPi * 0.04), 1e-12);
  }
}

TEST(LightProfile, ClumpyIsHostPlusKnots) {
  ClumpySersic c;
  c.host = make_sersic(2.0, 0.3, 1.0, 0.7, 0.2, 0.1, 0.2);
  c.knots = {{0.25, 0.0, 0.03, 0.4}, {-0.1, 0.3, 0.05, 0.7}, {0.0, -0.2, 0.02, 0.0}};
  EXPECT_NEAR(total_flux(c), total_flux(c.host) + 1.1, 1e-14);
  // Knots' light integrates to their fluxes (host removed point by point).
  std::vector<double> x, y;
  const double h = 0.004;
  for (int i = -200; i <= 200; ++i)
    for (int j = -200; j <= 200; ++j) {
      x.push_back(c.host.center_x + j * h);
      y.push_back(c.host.center_y + i * h);
    }
  std::vector<double> v(x.size(), 0.0);
  add_surface_brightness(c, x.data(), y.data(), v.data(), x.size());
  for (double& a : v) a = -a;
  add_surface_brightness(c.host, x.data(), y.data(), v.data(), x.size());
  double knots = 0.0;
  for (double a : v) knots -= a;
  EXPECT_NEAR(knots * h * h, 1.1, 1e-9);
  // Each knot peaks at host centre + (dx, dy) with flux / (2 pi sigma^2) above the host.
  const Knot& k = c.knots[0];
  const double kx = c.host.center_x + k.dx, ky = c.host.center_y + k.dy;
  const double other = 0.7 / (2.0 * kPi * 0.0025) * std::exp(-(0.35 * 0.35 + 0.3 * 0.3) / (2.0 * 0.0025));
  EXPECT_NEAR(surface_brightness(c, kx, ky) - surface_brightness(c.host, kx, ky),
              k.flux / (2.0 * kPi * k.sigma * k.sigma) + other, 1e-9);
}

TEST(LightProfile, AmpFluxRoundTrip) {
  for (double n : {0.3, 1.0, 3.3, 8.0}) {
    const Sersic s = make_sersic(4.2, 0.35, n, 0.55, -0.7, 0.0, 0.0);
    EXPECT_NEAR(sersic_amp_from_total_flux(s, total_flux(s)), 4.2, 4.2 * 1e-14);
    Sersic t = s;
    t.amp = sersic_amp_from_total_flux(s, 1000.0);
    EXPECT_NEAR(total_flux(t), 1000.0, 1000.0 * 1e-14);
  }
  EXPECT_NEAR(flux_from_magnitude(20.0, 25.0), 100.0, 1e-12);
  EXPECT_EQ(flux_from_magnitude(25.0, 25.0), 1.0);
}

TEST(LightProfile, FloatAgreesWithDouble) {
  ClumpySersic clumpy{make_sersic(3.0, 0.25, 2.5, 0.6, 0.9, 0.1, 0.0), {{0.2, 0.1, 0.04, 0.5}}};
  Gaussian g{2.0, 0.3, 0.1, -0.2, 0.0, 0.1};
  const Spiral spiral{5.0, 0.8, 1.0, 0.1, 0.2, 0.05, 0.0, 2, 0.7, 0.35, 0.3, 0.5};
  const Ring ring{3.0, 0.9, 0.25, -0.1, 0.15, 0.0, 0.05};
  const LightProfile profiles[] = {make_sersic(10.0, 0.6, 4.0, 0.5, 0.3, 0.05, -0.03),
                                   make_sersic(10.0, 0.2, 0.7, 0.8, -1.0, 0.0, 0.0), g, clumpy, spiral, ring};
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::vector<double> xd(4096), yd(4096);
  std::vector<float> xf(4096), yf(4096);
  for (std::size_t i = 0; i < xd.size(); ++i) {
    xf[i] = float(u(rng));
    yf[i] = float(u(rng));
    xd[i] = xf[i];  // the same points exactly
    yd[i] = yf[i];
  }
  for (const LightProfile& p : profiles) {
    SCOPED_TRACE(name(p));
    std::vector<double> vd(xd.size(), 0.0);
    std::vector<float> vf(xd.size(), 0.0f);
    add_surface_brightness(p, xd.data(), yd.data(), vd.data(), vd.size());
    add_surface_brightness(p, xf.data(), yf.data(), vf.data(), vf.size());
    // float32 rounding (6e-8) of the offsets and of b_n (R/R_s)^(1/n), an exponent up to ~40 here
    // (the ring's (R - R_ring)^2 / (2 sigma^2) and the spiral's arm phase alike):
    // ~1e-5 relative where the profile is non-negligible (absolute floor 1e-6 of the peak).
    const double peak = surface_brightness(p, 0.0, 0.0) + surface_brightness(p, 0.1, 0.0);
    double worst = 0.0;
    for (std::size_t i = 0; i < vd.size(); ++i)
      worst = std::max(worst, std::abs(vf[i] - vd[i]) / (std::abs(vd[i]) + 1e-6 * peak));
    EXPECT_LT(worst, 1e-5);
  }
}

TEST(LightProfile, NamesAndValidation) {
  EXPECT_STREQ(name(Sersic{}), "SERSIC_ELLIPSE");
  EXPECT_STREQ(name(Gaussian{}), "GAUSSIAN_ELLIPSE");
  EXPECT_STREQ(name(ClumpySersic{}), "CLUMPY_SERSIC");
  EXPECT_EQ(validate(Sersic{}), "");
  EXPECT_EQ(validate(Gaussian{}), "");
  EXPECT_EQ(validate(ClumpySersic{Sersic{}, {Knot{}}}), "");
  EXPECT_EQ(validate(Sersic{1.0, 1.0, 12.0}), "SERSIC_ELLIPSE: n_sersic = 12 must be in [0.2, 10]");
  EXPECT_EQ(validate(Sersic{1.0, 1.0, 0.1}), "SERSIC_ELLIPSE: n_sersic = 0.1 must be in [0.2, 10]");
  EXPECT_EQ(validate(Sersic{1.0, 0.0}), "SERSIC_ELLIPSE: R_sersic = 0 must be > 0 and finite (arcsec)");
  EXPECT_EQ(validate(Sersic{-1.0}), "SERSIC_ELLIPSE: amp = -1 must be >= 0 and finite");
  EXPECT_EQ(validate(Sersic{1.0, 1.0, 1.0, 0.6, 0.8}), "SERSIC_ELLIPSE: |e| = hypot(e1, e2) = 1 must be < 1");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(validate(Sersic{1.0, 1.0, 1.0, 0.0, 0.0, nan}), "SERSIC_ELLIPSE: center_x = nan must be finite (arcsec)");
  EXPECT_EQ(validate(Gaussian{1.0, -0.1}), "GAUSSIAN_ELLIPSE: sigma = -0.1 must be > 0 and finite (arcsec)");
  EXPECT_EQ(validate(Gaussian{1.0, 0.1, nan}), "GAUSSIAN_ELLIPSE: e1 = nan must be finite");
  EXPECT_EQ(validate(ClumpySersic{Sersic{1.0, -2.0}, {}}),
            "CLUMPY_SERSIC: host.R_sersic = -2 must be > 0 and finite (arcsec)");
  EXPECT_EQ(validate(ClumpySersic{Sersic{}, {Knot{}, Knot{0.0, 0.0, 0.0, 1.0}}}),
            "CLUMPY_SERSIC: knots[1].sigma = 0 must be > 0 and finite (arcsec)");
  EXPECT_EQ(validate(ClumpySersic{Sersic{}, {Knot{0.0, 0.0, 0.1, -1.0}}}),
            "CLUMPY_SERSIC: knots[0].flux = -1 must be >= 0 and finite");
}

TEST(LightProfile, FloatBatchesSkipOnlyNegligibleLight) {
  // A float32 batch whose points all lie where I < 1e-9 amp is skipped (left at 0); the float64
  // path keeps the exact (tiny) values; a batch with one near point is evaluated everywhere.
  const Sersic s{2.0, 0.15, 1.5, 0.1, -0.1, 0.3, -0.2};
  std::vector<float> xf(64), yf(64, -0.2f), out_far(64, 0.0f), out_mixed(64, 0.0f);
  std::vector<double> xd(64), yd(64, -0.2), out_d(64, 0.0);
  for (int k = 0; k < 64; ++k) xd[k] = xf[k] = 6.0f + 0.1f * k;  // >= 38 R_sersic away
  add_surface_brightness(s, xf.data(), yf.data(), out_far.data(), xf.size());
  add_surface_brightness(s, xd.data(), yd.data(), out_d.data(), xd.size());
  for (int k = 0; k < 64; ++k) {
    EXPECT_EQ(out_far[k], 0.0f);
    EXPECT_GT(out_d[k], 0.0);
    EXPECT_LT(out_d[k], 1e-9 * s.amp);
  }
  xf[0] = 0.3f;  // the centre
  add_surface_brightness(s, xf.data(), yf.data(), out_mixed.data(), xf.size());
  EXPECT_GT(out_mixed[63], 0.0f);
  EXPECT_NEAR(out_mixed[63], out_d[63], 1e-5 * out_d[63]);
}

// ---- SPIRAL and RING (hard negatives) ---------------------------------------------------------

namespace {

// The round frame of an ellipse as lenstronomy writes it (see SersicMatchesLenstronomyFormula):
// radius R and polar angle measured from the major axis. lenstronomy's matrix is
// R(phi) diag(sqrt q, 1/sqrt q) R(-phi): its frame is the major-axis frame rotated by +phi, so phi
// is subtracted.
struct RoundFrame {
  double R, theta;
};
RoundFrame round_frame(double e1, double e2, double dx, double dy) {
  const double norm = std::sqrt(1.0 - e1 * e1 - e2 * e2);
  const double xs = ((1.0 - e1) * dx - e2 * dy) / norm, ys = (-e2 * dx + (1.0 + e1) * dy) / norm;
  return {std::hypot(xs, ys), std::atan2(ys, xs) - q_phi_from_e1e2(e1, e2).phi};
}

}  // namespace

TEST(LightProfile, SpiralMatchesItsFormula) {
  // I = I_sersic(R) [1 + A R^2/(R^2 + r_arm^2) cos(m (theta - ln(R/r_arm)/tan(pitch)) + phase)].
  const Spiral sp{5.0, 0.8, 1.5, 0.15, -0.1, 0.1, -0.2, 3, 0.6, 0.4, 0.3, 0.7};
  const Sersic disc{sp.amp, sp.R_sersic, sp.n_sersic, sp.e1, sp.e2, sp.center_x, sp.center_y};
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (int k = 0; k < 200; ++k) {
    const double x = u(rng), y = u(rng);
    const RoundFrame f = round_frame(sp.e1, sp.e2, x - sp.center_x, y - sp.center_y);
    const double taper = f.R * f.R / (f.R * f.R + sp.r_arm * sp.r_arm);
    const double arg = sp.n_arms * (f.theta - std::log(f.R / sp.r_arm) / std::tan(sp.pitch_angle)) + sp.arm_phase;
    const double want = surface_brightness(disc, x, y) * (1.0 + sp.arm_amplitude * taper * std::cos(arg));
    EXPECT_NEAR(surface_brightness(sp, x, y), want, 1e-12 * surface_brightness(disc, x, y));
  }
  // Along an arm crest (a logarithmic spiral) the light is the disc's times 1 + A T; half-way
  // between crests, 1 - A T. Round disc so that the crest is R = r_arm exp(tan(pitch) theta).
  Spiral round = sp;
  round.e1 = round.e2 = round.center_x = round.center_y = round.arm_phase = 0.0;
  const Sersic round_disc{sp.amp, sp.R_sersic, sp.n_sersic};
  for (double theta : {0.5, 1.5, 2.5}) {
    const double R = sp.r_arm * std::exp(std::tan(sp.pitch_angle) * theta);
    const double T = R * R / (R * R + sp.r_arm * sp.r_arm);
    const double crest = surface_brightness(round, R * std::cos(theta), R * std::sin(theta));
    const double t2 = theta + kPi / sp.n_arms;  // half an arm period further round the circle
    const double trough = surface_brightness(round, R * std::cos(t2), R * std::sin(t2));
    const double d = surface_brightness(round_disc, R, 0.0);
    EXPECT_NEAR(crest / d, 1.0 + sp.arm_amplitude * T, 1e-12);
    EXPECT_NEAR(trough / d, 1.0 - sp.arm_amplitude * T, 1e-12);
  }
}

TEST(LightProfile, SpiralArmsCarryNoNetFlux) {
  // The arm term averages to zero on every circle of the round frame, so the spiral integrates to
  // exactly what its disc does (same quadrature: the trapezoid rule in angle is exact for the
  // m <= 8 harmonics), and total_flux() is the disc's analytic total.
  for (double q : {1.0, 0.45}) {
    const double phi = 0.6;
    const Sersic disc = make_sersic(2.0, 0.7, 1.0, q, phi, 0.1, 0.05);
    const Spiral sp{disc.amp, disc.R_sersic, disc.n_sersic, disc.e1, disc.e2, disc.center_x, disc.center_y,
                    4, 1.0, 0.25, 0.4, 1.0};
    EXPECT_EQ(total_flux(sp), total_flux(disc));
    const double got = integrate_polar(sp, sp.center_x, sp.center_y, q, phi, sp.R_sersic);
    const double ref = integrate_polar(disc, disc.center_x, disc.center_y, q, phi, disc.R_sersic);
    EXPECT_NEAR(got / ref, 1.0, 1e-13) << "q = " << q;
    EXPECT_NEAR(got / total_flux(sp), 1.0, 1e-11);  // the Sersic floor/cut remove 2.3e-12 (n = 1)
  }
}

TEST(LightProfile, RingMatchesItsFormulaAndTotalFlux) {
  const Ring r{4.0, 1.1, 0.12, 0.2, 0.1, -0.1, 0.2};
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-2.5, 2.5);
  for (int k = 0; k < 200; ++k) {
    const double x = u(rng), y = u(rng);
    const RoundFrame f = round_frame(r.e1, r.e2, x - r.center_x, y - r.center_y);
    const double want = r.amp * std::exp(-(f.R - r.R_ring) * (f.R - r.R_ring) / (2.0 * r.sigma * r.sigma));
    EXPECT_NEAR(surface_brightness(r, x, y), want, 1e-12 * r.amp);
  }
  // Total flux: the analytic formula against the 2D quadrature, for thin, thick and filled rings.
  for (const auto& [R_ring, sigma] : {std::pair{1.1, 0.12}, std::pair{0.3, 0.4}, std::pair{0.0, 0.25}})
    for (double q : {1.0, 0.5}) {
      Ring t{2.5, R_ring, sigma, 0.0, 0.0, 0.2, -0.3};
      e1e2_from_q_phi(q, 0.9, t.e1, t.e2);
      const double got = integrate_polar(t, t.center_x, t.center_y, q, 0.9, std::max(R_ring, sigma));
      EXPECT_NEAR(got / total_flux(t), 1.0, 1e-12) << "R_ring = " << R_ring << ", sigma = " << sigma;
    }
  // R_ring = 0 is a Gaussian whose peak is amp: total flux 2 pi sigma^2 amp.
  const Ring filled{3.0, 0.0, 0.2, 0.1, 0.0, 0.0, 0.0};
  const Gaussian g{3.0 * 2.0 * kPi * 0.04, 0.2, 0.1, 0.0, 0.0, 0.0};
  EXPECT_NEAR(total_flux(filled), total_flux(g), 1e-14);
  EXPECT_NEAR(surface_brightness(filled, 0.13, -0.07), surface_brightness(g, 0.13, -0.07), 1e-12);
  EXPECT_NEAR(total_flux(scaled(filled, 0.5)), 0.5 * total_flux(filled), 1e-15);
}

TEST(LightProfile, SpiralAndRingNamesAndValidation) {
  EXPECT_STREQ(name(Spiral{}), "SPIRAL");
  EXPECT_STREQ(name(Ring{}), "RING");
  EXPECT_EQ(validate(Spiral{}), "");
  EXPECT_EQ(validate(Ring{}), "");
  Spiral sp;
  sp.n_arms = 0;
  EXPECT_EQ(validate(sp), "SPIRAL: n_arms = 0 must be in [1, 8]");
  sp = Spiral{};
  sp.arm_amplitude = 1.5;
  EXPECT_EQ(validate(sp), "SPIRAL: arm_amplitude = 1.5 must be in [0, 1]");
  sp = Spiral{};
  sp.pitch_angle = 1.6;
  EXPECT_EQ(validate(sp), "SPIRAL: pitch_angle = 1.6 must be in (0, pi/2) (radians)");
  sp = Spiral{};
  sp.r_arm = 0.0;
  EXPECT_EQ(validate(sp), "SPIRAL: r_arm = 0 must be > 0 and finite (arcsec)");
  sp = Spiral{};
  sp.n_sersic = 11.0;
  EXPECT_EQ(validate(sp), "SPIRAL: n_sersic = 11 must be in [0.2, 10]");
  EXPECT_EQ(validate(Ring{1.0, -0.5}), "RING: R_ring = -0.5 must be >= 0 and finite (arcsec)");
  EXPECT_EQ(validate(Ring{1.0, 0.5, 0.0}), "RING: sigma = 0 must be > 0 and finite (arcsec)");
  EXPECT_EQ(validate(Ring{1.0, 0.5, 0.1, 0.8, 0.6}), "RING: |e| = hypot(e1, e2) = 1 must be < 1");
  EXPECT_EQ(validate(Ring{-1.0}), "RING: amp = -1 must be >= 0 and finite");
}

TEST(LightProfile, SpiralAndRingFloatBatchesSkipOnlyNegligibleLight) {
  // As for the Sersic: a float32 batch entirely where I < ~1e-9 amp is skipped, the float64 path
  // keeps the tiny exact values, a batch with one near point is evaluated everywhere. Negligible
  // beyond 13.4 R_sersic = 2.7" (circularised; 3.0" on the major axis) for the n = 1 disc, beyond
  // R_ring + 6.4 sigma = 0.82" (circularised; the batch starts at 0.86") for the ring.
  const Spiral sp{2.0, 0.2, 1.0, 0.1, 0.0, 0.0, 0.0, 2, 0.5, 0.3, 0.2, 0.0};
  const Ring ring{2.0, 0.5, 0.05, 0.0, 0.1, 0.0, 0.0};
  for (const auto& [p, x0] : {std::pair{LightProfile(sp), 3.2f}, std::pair{LightProfile(ring), 0.85f}}) {
    SCOPED_TRACE(name(p));
    std::vector<float> xf(64), yf(64, 0.0f), out_far(64, 0.0f), out_mixed(64, 0.0f);
    std::vector<double> xd(64), yd(64, 0.0), out_d(64, 0.0);
    for (int k = 0; k < 64; ++k) xd[k] = xf[k] = x0 + 0.002f * k;
    add_surface_brightness(p, xf.data(), yf.data(), out_far.data(), xf.size());
    add_surface_brightness(p, xd.data(), yd.data(), out_d.data(), xd.size());
    for (int k = 0; k < 64; ++k) {
      EXPECT_EQ(out_far[k], 0.0f);
      EXPECT_GT(out_d[k], 0.0);
      EXPECT_LT(out_d[k], 2e-9 * 2.0);  // (1 + arm amplitude) kNegligible amp at most
    }
    xf[0] = 0.45f;  // on the ring's crest, inside the disc
    add_surface_brightness(p, xf.data(), yf.data(), out_mixed.data(), xf.size());
    EXPECT_NEAR(out_mixed[10], out_d[10], 1e-4 * out_d[10]);
  }
}

TEST(LightProfile, SersicIndicesWithSquareRootPowersMatchTheFormula) {
  // n = 0.5, 1, 2, 4, 8 take (R/R_sersic)^(1/n) by repeated square roots; n = 3 by log and exp.
  for (double n : {0.5, 1.0, 2.0, 3.0, 4.0, 8.0}) {
    const Sersic s{2.0, 0.7, n, 0.1, -0.2, 0.05, 0.1};
    const double b_n = sersic_b_n(n);
    std::vector<double> xd, yd;
    for (int k = 0; k < 64; ++k) {
      xd.push_back(-3.0 + 0.1 * k);
      yd.push_back(0.5 - 0.03 * k);
    }
    std::vector<float> xf(xd.begin(), xd.end()), yf(yd.begin(), yd.end()), of(64, 0.0f);
    std::vector<double> od(64, 0.0);
    add_surface_brightness(s, xd.data(), yd.data(), od.data(), 64);
    add_surface_brightness(s, xf.data(), yf.data(), of.data(), 64);
    const double norm = std::sqrt(1.0 - s.e1 * s.e1 - s.e2 * s.e2);
    for (int k = 0; k < 64; ++k) {
      const double dx = xd[k] - s.center_x, dy = yd[k] - s.center_y;
      const double xs = ((1.0 - s.e1) * dx - s.e2 * dy) / norm, ys = (-s.e2 * dx + (1.0 + s.e1) * dy) / norm;
      const double want = s.amp * std::exp(-b_n * (std::pow(std::hypot(xs, ys) / s.R_sersic, 1.0 / n) - 1.0));
      EXPECT_NEAR(od[k], want, 1e-13 * want) << "n " << n;
      EXPECT_NEAR(of[k], want, 2e-5 * want) << "n " << n;  // float32 rounding of b_n (R/R_e)^(1/n) ~ 20
    }
  }
}

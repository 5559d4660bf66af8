// Mass profiles against analytic identities: deflection = grad(potential), Hessian = Jacobian of the
// deflection, half trace = the profile's kappa, limits between profiles, finiteness at the centre,
// point-mass images, the SIS Einstein ring, and validate() messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "lensforge/sim/mass/ellipticity.hpp"
#include "lensforge/sim/mass/mass_profile.hpp"

using namespace lensforge;

namespace {

struct Named {
  std::string label;
  MassProfile p;
};

/// e1, e2 of axis ratio q and major-axis angle phi [rad].
std::pair<double, double> e12(double q, double phi) {
  double e1 = 0.0, e2 = 0.0;
  e1e2_from_q_phi(q, phi, e1, e2);
  return {e1, e2};
}

Sie sie(double theta_E, double q, double phi, double cx, double cy) {
  const auto [e1, e2] = e12(q, phi);
  return Sie{theta_E, e1, e2, cx, cy};
}

std::vector<Named> profiles() {
  return {
      {"SIE q=0.7 off-centre", sie(1.2, 0.7, -0.35, 0.2, -0.1)},
      {"SIE q=0.3", sie(1.0, 0.3, 0.9, 0.0, 0.0)},
      {"SIE round", Sie{1.1, 0.0, 0.0, -0.3, 0.25}},
      {"SIS off-centre", Sis{1.3, 0.4, -0.25}},
      {"POINT_MASS", PointMass{0.8, 0.1, 0.2}},
      {"SHEAR off-origin", Shear{0.07, -0.04, 0.3, -0.5}},
      {"CONVERGENCE", Convergence{0.15, -0.2, 0.1}},
  };
}

/// Centre of a profile (the shear / convergence origin for those).
std::pair<double, double> centre(const MassProfile& p) {
  return std::visit(
      [](const auto& q) -> std::pair<double, double> {
        using P = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<P, Shear> || std::is_same_v<P, Convergence>)
          return {q.ra_0, q.dec_0};
        else
          return {q.center_x, q.center_y};
      },
      p);
}

/// A 9 x 9 grid over [-2.6, 2.6]^2 (offset so that no point sits on an axis), minus points within
/// r_min of the profile's centre, where derivatives grow as 1/r^k and finite differences degrade.
std::vector<std::pair<double, double>> test_points(const MassProfile& p, double r_min) {
  const auto [cx, cy] = centre(p);
  std::vector<std::pair<double, double>> pts;
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j) {
      const double x = -2.6 + 0.65 * j + 0.0137, y = -2.6 + 0.65 * i - 0.0291;
      if (std::hypot(x - cx, y - cy) >= r_min) pts.emplace_back(x, y);
    }
  return pts;
}

/// |a - b| / max(1, |b|): absolute for |b| <= 1, relative above.
double scaled_dev(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

bool finite(const Hessian& h) { return std::isfinite(h.f_xx) && std::isfinite(h.f_xy) && std::isfinite(h.f_yy); }

}  // namespace

TEST(MassIdentities, DeflectionIsTheGradientOfThePotential) {
  // Central difference with h = 1e-5: truncation h^2/6 |psi'''| <= 2e-9 (|psi'''| <= 2 theta_E^2/r^3 ~ 50
  // for the point mass at r >= 0.3), rounding ~ 2^-52 |psi| / h ~ 1e-10: 1e-8 leaves a margin of five.
  const double h = 1e-5;
  for (const Named& n : profiles()) {
    SCOPED_TRACE(n.label);
    for (const auto& [x, y] : test_points(n.p, 0.3)) {
      const Deflection a = deflection(n.p, x, y);
      const double gx = (potential(n.p, x + h, y) - potential(n.p, x - h, y)) / (2 * h);
      const double gy = (potential(n.p, x, y + h) - potential(n.p, x, y - h)) / (2 * h);
      EXPECT_LE(scaled_dev(a.x, gx), 1e-8) << "at (" << x << ", " << y << ")";
      EXPECT_LE(scaled_dev(a.y, gy), 1e-8) << "at (" << x << ", " << y << ")";
    }
  }
}

TEST(MassIdentities, HessianIsTheJacobianOfTheDeflection) {
  // Central difference with h = 1e-5: truncation h^2/6 |alpha'''| <= 2e-9 (|alpha'''| <= 6 theta_E^2/r^4
  // ~ 100 for the point mass at r >= 0.5), rounding ~ 2^-52 |alpha| / h ~ 1e-11.
  const double h = 1e-5;
  for (const Named& n : profiles()) {
    SCOPED_TRACE(n.label);
    for (const auto& [x, y] : test_points(n.p, 0.5)) {
      const Hessian H = hessian(n.p, x, y);
      const Deflection xp = deflection(n.p, x + h, y), xm = deflection(n.p, x - h, y);
      const Deflection yp = deflection(n.p, x, y + h), ym = deflection(n.p, x, y - h);
      EXPECT_LE(scaled_dev(H.f_xx, (xp.x - xm.x) / (2 * h)), 1e-8) << "at (" << x << ", " << y << ")";
      EXPECT_LE(scaled_dev(H.f_xy, (yp.x - ym.x) / (2 * h)), 1e-8) << "at (" << x << ", " << y << ")";
      EXPECT_LE(scaled_dev(H.f_xy, (xp.y - xm.y) / (2 * h)), 1e-8) << "at (" << x << ", " << y << ")";
      EXPECT_LE(scaled_dev(H.f_yy, (yp.y - ym.y) / (2 * h)), 1e-8) << "at (" << x << ", " << y << ")";
    }
  }
}

TEST(MassIdentities, HalfTraceIsTheProfileConvergence) {
  // kappa of each profile as documented in mass_profile.hpp, in the major-axis frame of ellipticity.hpp.
  // The SIE's 1e-10" core changes kappa by ~1e-10/r relative, hence 1e-9.
  for (const Named& n : profiles()) {
    SCOPED_TRACE(n.label);
    for (const auto& [x, y] : test_points(n.p, 0.1)) {
      const double expected = std::visit(
          [x = x, y = y](const auto& p) -> double {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, Sie>) {
              const AxisRatioAngle a = q_phi_from_e1e2(p.e1, p.e2);
              const double dx = x - p.center_x, dy = y - p.center_y;
              const double xp = std::cos(a.phi) * dx + std::sin(a.phi) * dy;
              const double yp = -std::sin(a.phi) * dx + std::cos(a.phi) * dy;
              return 0.5 * p.theta_E / std::sqrt(a.q * xp * xp + yp * yp / a.q);
            } else if constexpr (std::is_same_v<P, Sis>) {
              return 0.5 * p.theta_E / std::hypot(x - p.center_x, y - p.center_y);
            } else if constexpr (std::is_same_v<P, Convergence>) {
              return p.kappa;
            } else if constexpr (std::is_same_v<P, PointMass> || std::is_same_v<P, Shear>) {
              return 0.0;  // no mass off the centre
            } else {
              ADD_FAILURE() << "no analytic kappa for this profile in the test";
              return 0.0;
            }
          },
          n.p);
      EXPECT_LE(std::abs(hessian(n.p, x, y).kappa() - expected), 1e-9 * std::max(1.0, expected))
          << "at (" << x << ", " << y << ")";
    }
  }
}

TEST(MassIdentities, RoundSieIsTheSis) {
  // The SIE keeps lenstronomy's 1e-10" core: it changes alpha by <= theta_E 1e-10/r, the Hessian by
  // ~1e-10/r relative and psi by <= theta_E 1e-10 |ln r| + 1e-10, all below 1e-8 for r >= 0.1.
  for (const auto& [te, cx, cy] : {std::tuple{1.0, 0.0, 0.0}, std::tuple{1.4, 0.3, -0.7}}) {
    const MassProfile round = Sie{te, 0.0, 0.0, cx, cy}, sis = Sis{te, cx, cy};
    for (const auto& [x, y] : test_points(sis, 0.1)) {
      const Deflection a = deflection(round, x, y), b = deflection(sis, x, y);
      EXPECT_NEAR(a.x, b.x, 1e-8);
      EXPECT_NEAR(a.y, b.y, 1e-8);
      const Hessian ha = hessian(round, x, y), hb = hessian(sis, x, y);
      EXPECT_LE(scaled_dev(ha.f_xx, hb.f_xx), 1e-8);
      EXPECT_LE(scaled_dev(ha.f_xy, hb.f_xy), 1e-8);
      EXPECT_LE(scaled_dev(ha.f_yy, hb.f_yy), 1e-8);
      EXPECT_LE(scaled_dev(potential(round, x, y), potential(sis, x, y)), 1e-8);
    }
  }
}

TEST(MassIdentities, SieIsContinuousAtTheRoundLimit) {
  // q = 1 takes the series branch, q = 1 - 1e-12 the atan/atanh one: they must agree to O(1 - q),
  // in double and in float (where q rounds to 1 but s = sqrt(1 - q^2) = 1.4e-6 does not vanish).
  const auto [e1, e2] = e12(1.0 - 1e-12, 0.4);
  const MassProfile near = Sie{1.2, e1, e2, 0.1, -0.2}, round = Sie{1.2, 0.0, 0.0, 0.1, -0.2};
  std::vector<double> xs, ys;
  for (const auto& [x, y] : test_points(round, 0.0)) {
    xs.push_back(x);
    ys.push_back(y);
  }
  xs.push_back(0.1);  // the exact centre
  ys.push_back(-0.2);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Deflection a = deflection(near, xs[i], ys[i]), b = deflection(round, xs[i], ys[i]);
    EXPECT_NEAR(a.x, b.x, 1e-10);
    EXPECT_NEAR(a.y, b.y, 1e-10);
    EXPECT_TRUE(finite(hessian(near, xs[i], ys[i])));
    EXPECT_NEAR(potential(near, xs[i], ys[i]), potential(round, xs[i], ys[i]), 1e-10);
  }
  const std::size_t n = xs.size();
  const std::vector<float> xf(xs.begin(), xs.end()), yf(ys.begin(), ys.end());
  std::vector<float> ax(n), ay(n), bx(n), by(n);
  add_deflection(near, xf.data(), yf.data(), ax.data(), ay.data(), n);
  add_deflection(round, xf.data(), yf.data(), bx.data(), by.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(std::isfinite(ax[i]) && std::isfinite(ay[i]));
    EXPECT_NEAR(ax[i], bx[i], 1e-5);
    EXPECT_NEAR(ay[i], by[i], 1e-5);
  }
}

namespace {

template <class T>
void expect_finite_at(const MassProfile& p, double x, double y) {
  const T xs[1] = {T(x)}, ys[1] = {T(y)};
  T ax[1] = {0}, ay[1] = {0}, psi[1] = {0}, fxx[1] = {0}, fxy[1] = {0}, fyy[1] = {0};
  add_deflection(p, xs, ys, ax, ay, 1);
  add_potential(p, xs, ys, psi, 1);
  add_hessian(p, xs, ys, fxx, fxy, fyy, 1);
  EXPECT_TRUE(std::isfinite(ax[0]) && std::isfinite(ay[0])) << ax[0] << " " << ay[0];
  EXPECT_TRUE(std::isfinite(psi[0])) << psi[0];
  EXPECT_TRUE(std::isfinite(fxx[0]) && std::isfinite(fxy[0]) && std::isfinite(fyy[0]))
      << fxx[0] << " " << fxy[0] << " " << fyy[0];
  // Every profile here is point-symmetric about its centre, so the deflection there is zero.
  EXPECT_EQ(ax[0], T(0));
  EXPECT_EQ(ay[0], T(0));
}

}  // namespace

TEST(MassIdentities, FiniteExactlyAtTheCentre) {
  std::vector<Named> all = profiles();
  const auto [e1, e2] = e12(1.0 - 1e-12, 1.1);
  all.push_back({"SIE q = 1 - 1e-12", Sie{0.9, e1, e2, 0.05, 0.0}});
  all.push_back({"SIE centred round", Sie{}});
  all.push_back({"SIS centred", Sis{}});
  all.push_back({"POINT_MASS centred", PointMass{}});
  all.push_back({"POINT_MASS massless", PointMass{0.0}});
  all.push_back({"SHEAR", Shear{0.1, 0.05}});
  for (const Named& n : all) {
    SCOPED_TRACE(n.label);
    const auto [cx, cy] = centre(n.p);
    expect_finite_at<double>(n.p, cx, cy);
    expect_finite_at<float>(n.p, cx, cy);
  }
}

TEST(MassIdentities, FloatPathAgreesWithDouble) {
  // float32 keeps ~7 digits: 1e-5 absolute (relative above 1) leaves room for the rounding of the
  // inputs (|x| ~ 3: 2e-7) times the Hessian (<= ~10 at r >= 0.3).
  for (const Named& n : profiles()) {
    SCOPED_TRACE(n.label);
    std::vector<double> xd, yd;
    for (const auto& [x, y] : test_points(n.p, 0.3)) {
      xd.push_back(x);
      yd.push_back(y);
    }
    const std::size_t m = xd.size();
    const std::vector<float> xf(xd.begin(), xd.end()), yf(yd.begin(), yd.end());
    std::vector<float> ax(m), ay(m), psi(m), fxx(m), fxy(m), fyy(m);
    add_deflection(n.p, xf.data(), yf.data(), ax.data(), ay.data(), m);
    add_potential(n.p, xf.data(), yf.data(), psi.data(), m);
    add_hessian(n.p, xf.data(), yf.data(), fxx.data(), fxy.data(), fyy.data(), m);
    for (std::size_t i = 0; i < m; ++i) {
      // Evaluate double at the float-rounded input, so that only the arithmetic is compared.
      const double x = xf[i], y = yf[i];
      const Deflection a = deflection(n.p, x, y);
      const Hessian h = hessian(n.p, x, y);
      EXPECT_LE(scaled_dev(ax[i], a.x), 1e-5);
      EXPECT_LE(scaled_dev(ay[i], a.y), 1e-5);
      EXPECT_LE(scaled_dev(psi[i], potential(n.p, x, y)), 1e-5);
      EXPECT_LE(scaled_dev(fxx[i], h.f_xx), 1e-5);
      EXPECT_LE(scaled_dev(fxy[i], h.f_xy), 1e-5);
      EXPECT_LE(scaled_dev(fyy[i], h.f_yy), 1e-5);
    }
  }
}

TEST(MassIdentities, PointMassImagesMapBackWithTheirMagnification) {
  // Source at beta (distance b from the lens): images on the lens-source line at
  // theta_pm = (b +- sqrt(b^2 + 4 theta_E^2)) / 2 (theta_- < 0: opposite side), mu = 1/(1 - (theta_E/theta)^4).
  const double te = 1.1, cx = 0.3, cy = -0.2;
  const MassProfile pm = PointMass{te, cx, cy};
  for (const double b : {0.05, 0.4, 1.7}) {
    const double ux = std::cos(0.7), uy = std::sin(0.7);
    const double bx = cx + b * ux, by = cy + b * uy;
    for (const double t : {(b + std::sqrt(b * b + 4 * te * te)) / 2, (b - std::sqrt(b * b + 4 * te * te)) / 2}) {
      const double x = cx + t * ux, y = cy + t * uy;
      const Deflection a = deflection(pm, x, y);
      EXPECT_NEAR(x - a.x, bx, 1e-12);
      EXPECT_NEAR(y - a.y, by, 1e-12);
      const double mu = 1.0 / (1.0 - std::pow(te / t, 4));
      EXPECT_NEAR(hessian(pm, x, y).magnification(), mu, 1e-10 * std::abs(mu));
    }
  }
}

TEST(MassIdentities, SisEinsteinRingIsTheCriticalCurveAndImageOfTheCentre) {
  // det A = 1 - theta_E / r vanishes on r = theta_E (tangential critical curve), and every point of that
  // circle maps to the source-plane point at the lens centre.
  for (const auto& [te, cx, cy] : {std::tuple{1.0, 0.0, 0.0}, std::tuple{1.7, -0.4, 0.9}}) {
    const MassProfile sis = Sis{te, cx, cy};
    for (int k = 0; k < 16; ++k) {
      const double ang = 2 * std::numbers::pi * k / 16 + 0.1;
      const double x = cx + te * std::cos(ang), y = cy + te * std::sin(ang);
      EXPECT_NEAR(hessian(sis, x, y).det_A(), 0.0, 1e-14);
      const Deflection a = deflection(sis, x, y);
      EXPECT_NEAR(x - a.x, cx, 1e-14);
      EXPECT_NEAR(y - a.y, cy, 1e-14);
      // Just inside (outside) the ring det A < 0 (> 0): the curve is crossed, not touched.
      EXPECT_LT(hessian(sis, cx + 0.99 * (x - cx), cy + 0.99 * (y - cy)).det_A(), 0.0);
      EXPECT_GT(hessian(sis, cx + 1.01 * (x - cx), cy + 1.01 * (y - cy)).det_A(), 0.0);
    }
  }
}

TEST(MassIdentities, ValidateNamesParameterValueAndRange) {
  for (const MassProfile& p : {MassProfile{Sie{}}, MassProfile{Sis{}}, MassProfile{Epl{}}, MassProfile{Nfw{}},
                               MassProfile{PointMass{}}, MassProfile{Shear{}}, MassProfile{Convergence{}}})
    EXPECT_EQ(validate(p), "") << name(p);
  EXPECT_EQ(validate(Sie{-1.0}), "SIE theta_E = -1 must be > 0 arcsec");
  EXPECT_EQ(validate(Sis{0.0}), "SIS theta_E = 0 must be > 0 arcsec");
  EXPECT_EQ(validate(Sis{INFINITY}), "SIS theta_E = inf must be finite");
  EXPECT_EQ(validate(Sie{1.0, 0.6, 0.8}),
            "SIE ellipticity |e| = sqrt(e1^2 + e2^2) = 1 (e1 = 0.6, e2 = 0.8) must be < 1");
  EXPECT_EQ(validate(Sie{1.0, 0.0, 0.0, NAN}), "SIE center_x = nan must be finite");
  EXPECT_EQ(validate(Epl{1.0, 3.0}), "EPL gamma = 3 must be in (1, 3), both ends excluded");
  EXPECT_EQ(validate(Epl{1.0, 1.0}), "EPL gamma = 1 must be in (1, 3), both ends excluded");
  EXPECT_EQ(validate(Epl{1.0, 2.5, 0.9, 0.5}).rfind("EPL ellipticity |e| = ", 0), 0u);
  EXPECT_EQ(validate(Nfw{0.0, 1.0}), "NFW Rs = 0 must be > 0 arcsec");
  EXPECT_EQ(validate(Nfw{1.0, -0.5}), "NFW alpha_Rs = -0.5 must be >= 0 arcsec");
  EXPECT_EQ(validate(PointMass{-0.5}), "POINT_MASS theta_E = -0.5 must be >= 0 arcsec");
  EXPECT_EQ(validate(Shear{0.6, 0.8}),
            "SHEAR |gamma| = sqrt(gamma1^2 + gamma2^2) = 1 (gamma1 = 0.6, gamma2 = 0.8) must be < 1");
  EXPECT_EQ(validate(Convergence{NAN}), "CONVERGENCE kappa = nan must be finite");
  EXPECT_STREQ(name(Sie{}), "SIE");
  EXPECT_STREQ(name(PointMass{}), "POINT_MASS");
  EXPECT_STREQ(name(Convergence{}), "CONVERGENCE");
}

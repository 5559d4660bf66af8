#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/lens/multi_plane.hpp"
#include "test_support.hpp"

using namespace lensforge;

namespace {

// A regular grid of image-plane rays, the same in float and double.
struct Rays {
  std::vector<double> x, y;
  std::vector<float> xf, yf;
};

Rays make_rays(int m, double half_width) {
  Rays r;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      r.xf.push_back(float(-half_width + 2.0 * half_width * (j + 0.37) / m));
      r.yf.push_back(float(-half_width + 2.0 * half_width * (i + 0.61) / m));
      r.x.push_back(r.xf.back());
      r.y.push_back(r.yf.back());
    }
  return r;
}

// Traces to every target; result[t] = (beta_x, beta_y).
template <class T>
std::vector<std::pair<std::vector<T>, std::vector<T>>> trace_all(const MultiPlaneTracer& tr, const std::vector<T>& x,
                                                                 const std::vector<T>& y) {
  std::vector<std::pair<std::vector<T>, std::vector<T>>> out(tr.num_targets(),
                                                             {std::vector<T>(x.size()), std::vector<T>(x.size())});
  std::vector<T*> bx, by;
  for (auto& o : out) {
    bx.push_back(o.first.data());
    by.push_back(o.second.data());
  }
  TraceWorkspace<T> ws;
  tr.trace(x.data(), y.data(), x.size(), bx.data(), by.data(), ws);
  return out;
}

Sie sie(double theta_E, double e1, double e2, double cx, double cy) { return Sie{theta_E, e1, e2, cx, cy}; }

}  // namespace

TEST(MultiPlaneTracer, MatchesLenstronomyReference) {
  // ref_multiplane.json: lenstronomy 1.14.2 MultiPlane, SIE at z = 0.3 and SIS at z = 0.8, source at
  // z = 2 = z_source_convention, 471 rays. Tolerances: double 1e-9 arcsec (the recursions differ only
  // in rounding, ~1e-15, and the distances agree to 1e-12); float 1e-5 arcsec (float32 rounding of
  // the positions, ~2e-7 arcsec, and of the float SIE kernel).
  const auto ref = test::read_json(test::shared_path("reference/ref_multiplane.json"));
  const FlatLambdaCDM cosmo(ref["cosmology"]["H0"].get<double>(), ref["cosmology"]["Om0"].get<double>());
  const auto& k0 = ref["kwargs_lens"][0];
  const auto& k1 = ref["kwargs_lens"][1];
  ASSERT_EQ(ref["lens_model_list"][0], "SIE");
  ASSERT_EQ(ref["lens_model_list"][1], "SIS");
  std::vector<LensPlane> planes = {
      {ref["lens_redshift_list"][0].get<double>(), {sie(k0["theta_E"], k0["e1"], k0["e2"], k0["center_x"], k0["center_y"])}},
      {ref["lens_redshift_list"][1].get<double>(), {Sis{k1["theta_E"], k1["center_x"], k1["center_y"]}}}};
  const MultiPlaneTracer tr(cosmo, planes, {ref["z_source"].get<double>()}, ref["z_source_convention"].get<double>());
  ASSERT_EQ(tr.num_planes(), 2u);
  EXPECT_EQ(tr.target_factor(0, 0), 1.0);  // target at z_source_convention: exactly 1
  EXPECT_EQ(tr.target_factor(0, 1), 1.0);

  const auto x = ref["points"]["x"].get<std::vector<double>>();
  const auto y = ref["points"]["y"].get<std::vector<double>>();
  const auto bx = ref["beta_x"].get<std::vector<double>>();
  const auto by = ref["beta_y"].get<std::vector<double>>();
  ASSERT_EQ(x.size(), 471u);
  const auto d = trace_all(tr, x, y);
  const std::vector<float> xf(x.begin(), x.end()), yf(y.begin(), y.end());
  const auto f = trace_all(tr, xf, yf);
  double worst_d = 0.0, worst_f = 0.0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    worst_d = std::max({worst_d, std::abs(d[0].first[k] - bx[k]), std::abs(d[0].second[k] - by[k])});
    worst_f = std::max({worst_f, std::abs(f[0].first[k] - bx[k]), std::abs(f[0].second[k] - by[k])});
  }
  EXPECT_LT(worst_d, 1e-9);
  EXPECT_LT(worst_f, 1e-5);
}

TEST(MultiPlaneTracer, OnePlaneIsExactlyThetaMinusAlpha) {
  const FlatLambdaCDM cosmo;
  const std::vector<MassProfile> profiles = {sie(1.1, 0.12, -0.07, 0.03, -0.02), Shear{0.03, -0.02}};
  const MultiPlaneTracer tr(cosmo, {{0.5, profiles}}, {1.7}, 1.7);
  const Rays r = make_rays(40, 2.5);
  const auto check = [&](const auto& x, const auto& y) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    std::vector<T> ax(x.size(), T(0)), ay(x.size(), T(0));
    for (const MassProfile& p : profiles) add_deflection(p, x.data(), y.data(), ax.data(), ay.data(), x.size());
    const auto b = trace_all(tr, x, y);
    for (std::size_t k = 0; k < x.size(); ++k) {
      ASSERT_EQ(b[0].first[k], x[k] - ax[k]) << k;  // bit for bit
      ASSERT_EQ(b[0].second[k], y[k] - ay[k]) << k;
    }
  };
  check(r.x, r.y);
  check(r.xf, r.yf);
}

TEST(MultiPlaneTracer, PlanesAtOrBehindATargetDoNotDeflectIt) {
  const FlatLambdaCDM cosmo(67.7, 0.31);
  const Sie lens = sie(1.0, 0.1, 0.05, 0.0, 0.0);
  const Sis far{0.4, 0.3, 0.1};
  // Targets: in front of both planes, at the first plane, between the planes.
  const MultiPlaneTracer tr(cosmo, {{0.5, {lens}}, {1.5, {far}}}, {0.3, 0.5, 1.0}, 2.0);
  const Rays r = make_rays(20, 2.0);
  const auto b = trace_all(tr, r.x, r.y);
  EXPECT_EQ(b[0].first, r.x);
  EXPECT_EQ(b[0].second, r.y);
  EXPECT_EQ(b[1].first, r.x);
  EXPECT_EQ(b[1].second, r.y);
  EXPECT_EQ(tr.target_factor(2, 1), 0.0);
  // Between the planes: only the first deflects, scaled from z_source_convention = 2 to z = 1.
  const double f = cosmo.angular_diameter_distance(0.5, 1.0) * cosmo.angular_diameter_distance(2.0) /
                   (cosmo.angular_diameter_distance(1.0) * cosmo.angular_diameter_distance(0.5, 2.0));
  EXPECT_NEAR(tr.target_factor(2, 0), f, 1e-15);
  EXPECT_LT(f, 1.0);
  for (std::size_t k = 0; k < r.x.size(); ++k) {
    const Deflection a = deflection(lens, r.x[k], r.y[k]);
    EXPECT_NEAR(b[2].first[k], r.x[k] - f * a.x, 1e-14);
    EXPECT_NEAR(b[2].second[k], r.y[k] - f * a.y, 1e-14);
  }
}

TEST(MultiPlaneTracer, PlaneOrderDoesNotMatterAndEqualRedshiftsMerge) {
  const FlatLambdaCDM cosmo;
  const LensPlane a{0.4, {sie(0.9, 0.05, 0.1, 0.0, 0.0), Shear{0.02, 0.01}}};
  const LensPlane b{0.9, {Sis{0.3, 0.5, -0.3}}};
  const LensPlane c{1.3, {Sis{0.2, -0.6, 0.2}}};
  const Rays r = make_rays(16, 2.0);
  const MultiPlaneTracer sorted(cosmo, {a, b, c}, {2.5}, 2.5);
  const MultiPlaneTracer shuffled(cosmo, {c, a, b}, {2.5}, 2.5);
  EXPECT_EQ(shuffled.planes()[0].z, 0.4);
  EXPECT_EQ(shuffled.planes()[2].z, 1.3);
  EXPECT_EQ(trace_all(sorted, r.x, r.y), trace_all(shuffled, r.x, r.y));
  EXPECT_EQ(trace_all(sorted, r.xf, r.yf), trace_all(shuffled, r.xf, r.yf));
  // The first plane split into two planes at the same redshift: merged, same rays bit for bit.
  const LensPlane a1{0.4, {a.profiles[0]}}, a2{0.4, {a.profiles[1]}};
  const MultiPlaneTracer split(cosmo, {b, a1, c, a2}, {2.5}, 2.5);
  ASSERT_EQ(split.num_planes(), 3u);
  EXPECT_EQ(split.planes()[0].profiles.size(), 2u);
  EXPECT_EQ(trace_all(sorted, r.x, r.y), trace_all(split, r.x, r.y));
}

TEST(MultiPlaneTracer, CompoundLensTwoSources) {
  // Main deflector at z = 0.5, the first source at z = 1 is itself a lens plane (its mass), the
  // second source at z = 2.5 lies behind; theta_E defined for z_source_convention = 2.5.
  const FlatLambdaCDM cosmo;
  const Sie main = sie(1.2, 0.1, -0.05, 0.0, 0.0);
  const Sis s1_mass{0.15, 0.2, 0.1};
  const double z1 = 1.0, z2 = 2.5;
  const MultiPlaneTracer tr(cosmo, {{z1, {s1_mass}}, {0.5, {main}}}, {z1, z2}, z2);
  const MultiPlaneTracer main_only(cosmo, {{0.5, {main}}}, {z1}, z2);
  const Rays r = make_rays(24, 2.5);
  const auto b = trace_all(tr, r.x, r.y);
  // The first source sees only the main deflector: identical to tracing without its own plane.
  const auto b1 = trace_all(main_only, r.x, r.y);
  EXPECT_EQ(b[0], b1[0]);
  EXPECT_EQ(tr.target_factor(0, 1), 0.0);
  const auto bf = trace_all(tr, r.xf, r.yf);
  EXPECT_EQ(bf[0], trace_all(main_only, r.xf, r.yf)[0]);

  // The second source: lenstronomy's comoving recursion (ref_multiplane.json conventions), written
  // out independently: x_i = x_{i-1} + a T(z_{i-1}, z_i), theta_i = x_i / T(0, z_i),
  // a -= alpha_red(theta_i) D(0, z_sc) / D(z_i, z_sc), beta = (x_n + a T(z_n, z_s)) / T(0, z_s).
  const double zs[] = {0.5, z1};
  const MassProfile prof[] = {main, s1_mass};
  for (std::size_t k = 0; k < r.x.size(); ++k) {
    double px = 0.0, py = 0.0, ax = r.x[k], ay = r.y[k], zprev = 0.0;
    for (int i = 0; i < 2; ++i) {
      const double t = cosmo.comoving_transverse_distance(zprev, zs[i]), t0 = cosmo.comoving_distance(zs[i]);
      px += ax * t;
      py += ay * t;
      const Deflection a = deflection(prof[i], px / t0, py / t0);
      const double phys = cosmo.angular_diameter_distance(z2) / cosmo.angular_diameter_distance(zs[i], z2);
      ax -= a.x * phys;
      ay -= a.y * phys;
      zprev = zs[i];
    }
    const double t = cosmo.comoving_transverse_distance(z1, z2), t0 = cosmo.comoving_distance(z2);
    EXPECT_NEAR(b[1].first[k], (px + ax * t) / t0, 1e-12);
    EXPECT_NEAR(b[1].second[k], (py + ay * t) / t0, 1e-12);
    EXPECT_NEAR(bf[1].first[k], b[1].first[k], 1e-5);
    EXPECT_NEAR(bf[1].second[k], b[1].second[k], 1e-5);
  }
}

TEST(MultiPlaneTracer, WorkspaceIsReusedWithoutAllocation) {
  const FlatLambdaCDM cosmo;
  const MultiPlaneTracer tr(cosmo, {{0.3, {sie(1.0, 0.1, 0.0, 0.0, 0.0)}}, {0.7, {Sis{0.2, 0.1, 0.0}}}}, {1.0, 2.0}, 2.0);
  const Rays r = make_rays(32, 2.0);
  std::vector<double> b0(r.x.size()), b1(r.x.size()), c0(r.x.size()), c1(r.x.size());
  double* bx[] = {b0.data(), b1.data()};
  double* by[] = {c0.data(), c1.data()};
  TraceWorkspace<double> ws;
  tr.trace(r.x.data(), r.y.data(), r.x.size(), bx, by, ws);
  std::vector<const double*> before = {ws.tx.data(), ws.ty.data()};
  for (std::size_t i = 0; i < ws.ax.size(); ++i) {
    before.push_back(ws.ax[i].data());
    before.push_back(ws.ay[i].data());
  }
  const std::vector<double> first = b1;
  for (std::size_t n : {r.x.size(), r.x.size() / 2, r.x.size()}) {
    tr.trace(r.x.data(), r.y.data(), n, bx, by, ws);
    std::vector<const double*> after = {ws.tx.data(), ws.ty.data()};
    for (std::size_t i = 0; i < ws.ax.size(); ++i) {
      after.push_back(ws.ax[i].data());
      after.push_back(ws.ay[i].data());
    }
    EXPECT_EQ(after, before) << "n = " << n;
  }
  EXPECT_EQ(b1, first);  // stale workspace contents do not leak into the result
}

TEST(MultiPlaneTracer, RejectsInvalidSetups) {
  const FlatLambdaCDM cosmo;
  const auto message = [&](std::vector<LensPlane> planes, std::vector<double> targets, double z_sc) -> std::string {
    try {
      MultiPlaneTracer(cosmo, std::move(planes), std::move(targets), z_sc);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  };
  const LensPlane ok{0.5, {Sis{1.0}}};
  EXPECT_EQ(message({ok}, {2.0}, 2.0), "");
  EXPECT_EQ(message({}, {2.0}, 2.0), "");  // no lens: beta = theta
  const std::string behind = message({ok, {2.0, {Sis{0.1}}}}, {2.5}, 2.0);
  EXPECT_NE(behind.find("lens plane 1 at z = 2 is at or behind z_source_convention = 2"), std::string::npos) << behind;
  EXPECT_NE(message({ok, {3.0, {Sis{0.1}}}}, {3.5}, 2.0).find("undefined"), std::string::npos);
  EXPECT_NE(message({{0.0, {}}}, {2.0}, 2.0).find("lens plane 0 has z = 0"), std::string::npos);
  EXPECT_NE(message({{NAN, {}}}, {2.0}, 2.0).find("z = nan"), std::string::npos);
  EXPECT_NE(message({ok}, {2.0, -1.0}, 2.0).find("target_z[1] = -1"), std::string::npos);
  EXPECT_NE(message({ok}, {}, 2.0).find("at least one target"), std::string::npos);
  EXPECT_NE(message({ok}, {2.0}, 0.0).find("z_source_convention = 0"), std::string::npos);
  const std::string bad = message({ok, {0.7, {Sis{0.1}, Sis{-1.0}}}}, {2.0}, 2.0);
  EXPECT_NE(bad.find("lens plane 1 (z = 0.7), profile 1 (SIS): "), std::string::npos) << bad;
  EXPECT_NE(bad.find("theta_E"), std::string::npos) << bad;
}

// Artefacts: cosmic-ray rate, geometry and charge law against their configured values; every mask
// bit set exactly where its artefact put something; sub-stream independence; observe() = noise
// when every artefact is off. Statistical tolerances are 5 standard errors (see
// test_noise_model.cpp for why 5).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/detector/artefacts.hpp"
#include "lensforge/sim/detector/observe.hpp"
#include "lensforge/sim/survey/band.hpp"

using namespace lensforge;

namespace {

// sky_rate = 10^(-0.4 (22 - 27)) * 0.1^2 = 1 e-/s/px; t = 4 x 566 s.
Band test_band() {
  Band b;
  b.survey = "Test";
  b.name = "x";
  b.pixel_scale = 0.1;
  b.nx = b.ny = 128;
  b.zero_point = 27.0;
  b.exposure_time = 566.0;
  b.n_exposures = 4;
  b.gain = 3.0;
  b.read_noise = 4.0;
  b.sky_brightness = 22.0;
  b.dark_current = 0.0;
  b.full_well = 1e9;
  b.pixel_size = 12.0;
  b.psf.fwhm = 0.3;
  return b;
}

}  // namespace

TEST(Artefacts, MaskBitsAreDistinctAndNamed) {
  std::set<std::uint16_t> seen;
  std::set<std::string> names;
  for (MaskBit b : kAllMaskBits) {
    EXPECT_EQ(std::popcount(bits(b)), 1);
    seen.insert(bits(b));
    names.insert(std::string(mask_bit_name(b)));
  }
  EXPECT_EQ(seen.size(), kAllMaskBits.size());
  EXPECT_EQ(names.size(), kAllMaskBits.size());
  EXPECT_EQ(mask_bit_name(MaskBit::COSMIC_RAY), "COSMIC_RAY");
}

TEST(Artefacts, CosmicRayRateGeometryAndChargeLaw) {
  CosmicRaySettings s;
  s.rate = 5.0;  // cm^-2 s^-1
  s.thickness = 40.0;
  s.charge_mpv = 75.0;
  s.charge_width = 5.0;
  const double pixel_um = 12.0, t = 2264.0;
  const int frames = 150, n = 64;
  // Expected events per frame: 5 * 64^2 * (12e-4 cm)^2 * 2264 s = 66.8.
  const double per_frame = s.rate * n * n * std::pow(pixel_um * 1e-4, 2) * t;
  std::vector<double> projected, q_per_um;
  long total = 0;
  for (int f = 0; f < frames; ++f) {
    ImageD e = ImageD::Zero(n, n);
    Mask m = Mask::Zero(n, n);
    Rng rng(77, f);
    for (const auto& h : add_cosmic_rays(e, m, s, pixel_um, t, rng)) {
      ++total;
      projected.push_back(std::hypot(h.x1 - h.x0, h.y1 - h.y0) * pixel_um);
      q_per_um.push_back(h.charge / h.path_length);
    }
  }
  const double expect = per_frame * frames;  // Poisson: sd = sqrt(expect) ~ 100
  EXPECT_NEAR(double(total), expect, 5 * std::sqrt(expect));
  // Cosine-law incidence: P(tan theta <= x) = x^2 / (1 + x^2), so the projected length is at most
  // the thickness for half of the tracks and at most twice it for 4/5 of them.
  const double N = double(projected.size());
  const auto frac_below = [&](double x) {
    return std::count_if(projected.begin(), projected.end(), [&](double p) { return p <= x; }) / N;
  };
  EXPECT_NEAR(frac_below(s.thickness), 0.5, 5 * std::sqrt(0.25 / N));
  EXPECT_NEAR(frac_below(2 * s.thickness), 0.8, 5 * std::sqrt(0.16 / N));
  // Moyal law: lambda = -ln Z^2 has median -ln(0.454936) = 0.78760 (chi^2_1 median 0.454936) and
  // density 0.2144 there, so median(Q/L) = mpv + 0.7876 width with standard error
  // width / (2 * 0.2144 sqrt(N)).
  std::nth_element(q_per_um.begin(), q_per_um.begin() + q_per_um.size() / 2, q_per_um.end());
  const double median = q_per_um[q_per_um.size() / 2];
  EXPECT_NEAR(median, s.charge_mpv + 0.78760 * s.charge_width, 5 * s.charge_width / (2 * 0.2144 * std::sqrt(N)));
}

TEST(Artefacts, CosmicRayChargeLandsExactlyWhereFlagged) {
  CosmicRaySettings s;
  s.rate = 50.0;
  s.thickness = 100.0;
  ImageD e = ImageD::Zero(96, 80);
  Mask m = Mask::Zero(96, 80);
  Rng rng(3, 3);
  const auto hits = add_cosmic_rays(e, m, s, 10.0, 1000.0, rng);
  ASSERT_GT(hits.size(), 100u);
  double deposited = 0;
  for (const auto& h : hits) {
    EXPECT_LE(h.deposited, h.charge * (1 + 1e-12));
    deposited += h.deposited;
    const bool inside = h.x1 >= 0 && h.x1 <= 80 && h.y1 >= 0 && h.y1 <= 96;
    if (inside) {
      EXPECT_NEAR(h.deposited, h.charge, 1e-9 * h.charge);
    }
  }
  EXPECT_NEAR(e.sum(), deposited, 1e-9 * deposited);
  for (int i = 0; i < 96; ++i)
    for (int j = 0; j < 80; ++j) EXPECT_EQ(has_bit(m(i, j), MaskBit::COSMIC_RAY), e(i, j) > 0) << i << "," << j;
}

TEST(Artefacts, HotDeadAndBadColumnsAreFlaggedExactlyAndBehave) {
  Band b = test_band();
  b.read_noise = 0.0;  // so that an empty pixel reads exactly -background
  b.artefacts.hot_pixels = {true, 0.01, 50.0};
  b.artefacts.dead_pixels = {true, 0.02};
  b.artefacts.bad_columns = {true, 0.05};
  const int n = 256;
  ImageF rate = ImageF::Zero(n, n);
  Mask mask = Mask::Zero(n, n);
  Rng rng(9, 1);
  const ArtefactReport rep = apply_rate_artefacts(rate, mask, b, rng);
  const double N = double(n) * n;
  EXPECT_NEAR(rep.hot_pixels, 0.01 * N, 5 * std::sqrt(0.01 * 0.99 * N));
  EXPECT_NEAR(rep.dead_pixels, 0.02 * N, 5 * std::sqrt(0.02 * 0.98 * N));
  EXPECT_NEAR(rep.bad_columns, 0.05 * n, 5 * std::sqrt(0.05 * 0.95 * n));
  int hot = 0, dead = 0, bad_cols = 0;
  for (int j = 0; j < n; ++j) {
    const int flagged = int((mask.col(j).unaryExpr([](std::uint16_t v) { return int(has_bit(v, MaskBit::BAD_COLUMN)); })).sum());
    EXPECT_TRUE(flagged == 0 || flagged == n) << "column " << j;
    bad_cols += flagged == n;
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(has_bit(mask(i, j), MaskBit::HOT), rate(i, j) == 50.0f);
      hot += has_bit(mask(i, j), MaskBit::HOT);
      dead += has_bit(mask(i, j), MaskBit::DEAD);
    }
  }
  EXPECT_EQ(hot, rep.hot_pixels);
  EXPECT_EQ(dead, rep.dead_pixels);
  EXPECT_EQ(bad_cols, rep.bad_columns);

  // Through observe(): dead pixels and bad columns hold no charge, every other pixel sees the sky.
  Rng r2(9, 1);
  const Observation o = observe(ImageF::Zero(n, n), b, r2);
  const float empty = float(-b.background_rate());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const bool no_charge = o.mask(i, j) & (MaskBit::DEAD | MaskBit::BAD_COLUMN);
      EXPECT_EQ(o.image(i, j) == empty, no_charge) << i << "," << j;
      if (no_charge) {
        EXPECT_EQ(o.sigma(i, j), 0.0f);
      }
    }
}

TEST(Artefacts, SatelliteTrailFlagsExactlyTheLitPixelsWithTheConfiguredBrightness) {
  const Band b = test_band();
  SatelliteTrailSettings s;
  s.mean_count = 1.0;
  s.width = 0.4;  // 4 pixels FWHM
  s.brightness_min = s.brightness_max = 20.0;
  const int n = 128;
  // Seeds that draw exactly one trail closer to horizontal than 60 degrees and crossing at least
  // 10 columns whole; the first 40 seeds give several.
  int trails_checked = 0;
  for (int seed = 0; seed < 40; ++seed) {
    ImageF rate = ImageF::Zero(n, n);
    Mask mask = Mask::Zero(n, n);
    Rng rng(21, seed);
    const auto trails = add_satellite_trails(rate, mask, s, b, rng);
    if (trails.size() != 1 || std::abs(std::cos(trails[0].angle)) < 0.5) continue;
    const SatelliteTrail& tr = trails[0];
    const PixelGrid g = b.grid();
    const double sa = std::sin(tr.angle), ca = std::cos(tr.angle);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        ASSERT_EQ(has_bit(mask(i, j), MaskBit::SATELLITE), rate(i, j) > 0) << i << "," << j;
        const double d = std::abs(-(g.x(j) - tr.x) * sa + (g.y(i) - tr.y) * ca);
        if (rate(i, j) > 0) {
          ASSERT_LE(d, 2 * s.width + std::sqrt(2.0) / 3 * b.pixel_scale + 1e-9);
        }
      }
    // Across-trail integral per column of width p: I0 sigma sqrt(2 pi) p / |cos a|, with
    // I0 = 10^(-0.4 (20 - 27)) e-/s/arcsec^2; truncation at 2 FWHM keeps 1 - 2.5e-6 of it.
    const double i0 = std::pow(10.0, 0.4 * 7.0), sigma = s.width / 2.3548200450309493;
    const double per_column = i0 * sigma * std::sqrt(2 * std::numbers::pi) * b.pixel_scale / std::abs(ca);
    int columns = 0;
    for (int j = 0; j < n; ++j) {
      // Only columns that hold the whole cross-section.
      const double yc = tr.y + (g.x(j) - tr.x) * sa / ca, half = (2 * s.width + 2 * b.pixel_scale) / std::abs(ca);
      if (yc - half < g.y(-0.5) || yc + half > g.y(n - 0.5)) continue;
      EXPECT_NEAR(rate.col(j).cast<double>().sum(), per_column, 0.01 * per_column) << "seed " << seed << " column " << j;
      ++columns;
    }
    trails_checked += columns >= 10;
  }
  EXPECT_GE(trails_checked, 3);
}

TEST(Artefacts, NeighboursAddTheirFluxAwayFromTheCentreAndMaskAboveThreshold) {
  Band b = test_band();
  NeighbourSettings s;
  s.mean_count = 1.0;
  s.mag_min = 19.0;
  s.mag_max = 21.0;
  s.min_distance = 2.0;
  s.radius_min = 0.2;
  s.radius_max = 0.4;
  s.sersic_n_min = s.sersic_n_max = 1.0;  // exponential: 8 R_e holds 1 - 2e-5 of the light
  s.mask_threshold = 0.5;
  const int n = 160;  // 16"
  b.nx = b.ny = n;
  int stars = 0, galaxies = 0, moffats = 0;
  for (int seed = 0; seed < 200 && (stars < 3 || galaxies < 3 || moffats < 3); ++seed) {
    if (seed == 100) {
      b.psf.type = PsfType::MOFFAT;
      b.psf.beta = 3.0;
      s.star_fraction = 1.0;
    }
    ImageF rate = ImageF::Zero(n, n);
    Mask mask = Mask::Zero(n, n);
    Rng rng(4, seed);
    const auto nbs = add_neighbours(rate, mask, s, b, rng);
    if (nbs.size() != 1) continue;
    const Neighbour& nb = nbs[0];
    EXPECT_GE(std::hypot(nb.x, nb.y), s.min_distance);
    EXPECT_NEAR(rate.cast<double>().sum(), nb.flux, 1e-4 * nb.flux);
    const double threshold = s.mask_threshold * b.sky_rate();
    for (int k = 0; k < rate.size(); ++k)
      ASSERT_EQ(has_bit(mask.data()[k], MaskBit::NEIGHBOUR), rate.data()[k] >= float(threshold)) << k;
    // Compare with the total flux only when the stamp lies wholly inside the image: stamp radius
    // 6 sigma (Gaussian star), the 99.9% radius 1.63" (Moffat, beta 3, FWHM 0.3"), 8 R_e + 3 FWHM.
    const bool moffat = b.psf.type == PsfType::MOFFAT;
    const double radius = !nb.star ? 8 * nb.r_eff + 3 * b.psf.fwhm : moffat ? 1.63 : 6 * b.psf.fwhm / 2.3548;
    const double room = 0.5 * n * b.pixel_scale - radius - 2 * b.pixel_scale;
    if (std::abs(nb.x) > room || std::abs(nb.y) > room) continue;
    const double total = b.flux(nb.magnitude);
    if (!nb.star) {
      EXPECT_NEAR(nb.flux, total, 0.01 * total);  // 4x4 sub-sampling of the cusp
      ++galaxies;
    } else if (moffat) {
      EXPECT_NEAR(nb.flux, 0.999 * total, 0.003 * total);  // stamp holds 99.9%; 5x5 sub-sampling
      ++moffats;
    } else {
      EXPECT_NEAR(nb.flux, total, 1e-5 * total);  // exact pixel integrals to 6 sigma
      ++stars;
    }
  }
  EXPECT_GE(stars, 3);
  EXPECT_GE(galaxies, 3);
  EXPECT_GE(moffats, 3);
}

TEST(Artefacts, NeighbourMinDistanceBeyondTheImageIsAConfigError) {
  Band b = test_band();
  NeighbourSettings s;
  s.mean_count = 1.0;
  s.min_distance = 100.0;  // the image is 12.8" wide
  ImageF rate = ImageF::Zero(128, 128);
  Mask mask = Mask::Zero(128, 128);
  Rng rng(1, 1);
  EXPECT_THROW(add_neighbours(rate, mask, s, b, rng), ConfigError);
}

TEST(Artefacts, EachEffectHasItsOwnStream) {
  Band only_hot = test_band();
  only_hot.artefacts.hot_pixels = {true, 0.01, 5.0};
  Band all = only_hot;
  all.artefacts.neighbours.enabled = true;
  all.artefacts.satellite_trails.enabled = true;
  all.artefacts.satellite_trails.mean_count = 3.0;
  all.artefacts.dead_pixels.enabled = true;
  ImageF r1 = ImageF::Zero(128, 128), r2 = r1;
  Mask m1 = Mask::Zero(128, 128), m2 = m1;
  Rng a(5, 5), c(5, 5);
  apply_rate_artefacts(r1, m1, only_hot, a);
  apply_rate_artefacts(r2, m2, all, c);
  const auto hot = [](const Mask& m) { return m.unaryExpr([](std::uint16_t v) { return has_bit(v, MaskBit::HOT); }); };
  EXPECT_TRUE((hot(m1) == hot(m2)).all());
  EXPECT_GT(hot(m1).count(), 50);
}

TEST(Artefacts, ObserveWithEveryArtefactOffIsAddNoise) {
  const Band b = test_band();
  ImageF img = ImageF::Zero(128, 128);
  img(64, 64) = 300.0f;
  Rng a(12, 34), c(12, 34);
  const Observation o1 = observe(img, b, a), o2 = add_noise(img, b, c);
  EXPECT_TRUE((o1.image == o2.image).all());
  EXPECT_TRUE((o1.sigma == o2.sigma).all());
  EXPECT_TRUE((o1.mask == 0).all());
}

TEST(Artefacts, ObserveIsDeterministicAndRecordsEveryEnabledEffect) {
  Band b = test_band();
  b.full_well = 2e4;
  auto& a = b.artefacts;
  a.cosmic_rays.enabled = true;
  a.hot_pixels.enabled = true;
  a.hot_pixels.fraction = 1e-3;
  a.dead_pixels.enabled = true;
  a.dead_pixels.fraction = 1e-3;
  a.bad_columns.enabled = true;
  a.bad_columns.fraction = 0.02;
  a.satellite_trails.enabled = true;
  a.satellite_trails.mean_count = 2.0;
  a.neighbours.enabled = true;
  a.neighbours.mean_count = 3.0;
  ImageF img = ImageF::Zero(128, 128);
  img(64, 64) = 2000.0f;  // saturates: capacity 8e4 e- = 35 e-/s
  Rng r1(99, 1), r2(99, 1), r3(99, 2);
  const Observation o1 = observe(img, b, r1), o2 = observe(img, b, r2), o3 = observe(img, b, r3);
  EXPECT_TRUE((o1.image == o2.image).all());
  EXPECT_TRUE((o1.mask == o2.mask).all());
  EXPECT_FALSE((o1.image == o3.image).all());
  // Expected cosmic rays: 5 * 128^2 * (12e-4)^2 * 2264 = 267.
  EXPECT_NEAR(double(o1.artefacts.cosmic_rays.size()), 267.1, 5 * std::sqrt(267.1));
  for (MaskBit bit : kAllMaskBits) {
    const long count = o1.mask.unaryExpr([bit](std::uint16_t v) { return long(has_bit(v, bit)); }).sum();
    EXPECT_GT(count, 0) << mask_bit_name(bit);
  }
}

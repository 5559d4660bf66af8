// Noise model: moments of the noisy image against the Poisson + Gaussian read-noise expectation,
// the sigma plane, photometric calibration, determinism and saturation with bleeding.
// Tolerances are 5 standard errors of the estimated quantity: the file makes ~30 such comparisons
// and 5 sigma keeps each valid for any seed (two-sided p = 6e-7), while still failing for any
// error of the model larger than ~1% of the noise (N = 2.6e5 pixels per image).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/detector/noise_model.hpp"
#include "lensforge/sim/survey/band.hpp"

using namespace lensforge;

namespace {

// sky_rate = 10^(-0.4 (22 - 27)) * 0.2^2 = 4 e-/s/px; background 4.1 e-/s; t = 300 s.
Band test_band() {
  Band b;
  b.survey = "Test";
  b.name = "x";
  b.pixel_scale = 0.2;
  b.nx = b.ny = 64;
  b.zero_point = 27.0;
  b.exposure_time = 100.0;
  b.n_exposures = 3;
  b.gain = 2.0;
  b.read_noise = 5.0;
  b.sky_brightness = 22.0;
  b.dark_current = 0.1;
  b.full_well = 1e9;
  b.pixel_size = 10.0;
  b.psf.fwhm = 0.8;
  return b;
}

struct Moments {
  double mean = 0, var = 0;
  long n = 0;
};

Moments moments(const ImageF& img) {
  Moments m;
  m.n = img.size();
  double s = 0, s2 = 0;
  for (long k = 0; k < m.n; ++k) {
    s += img.data()[k];
    s2 += double(img.data()[k]) * img.data()[k];
  }
  m.mean = s / m.n;
  m.var = s2 / m.n - m.mean * m.mean;
  return m;
}

}  // namespace

TEST(NoiseModel, SkyRateAndFluxHelpers) {
  const Band b = test_band();
  EXPECT_NEAR(b.sky_rate(), 4.0, 1e-12);
  EXPECT_NEAR(b.background_rate(), 4.1, 1e-12);
  EXPECT_NEAR(b.flux(27.0), 1.0, 1e-15);
  EXPECT_NEAR(b.flux(22.0), 100.0, 1e-12);
  EXPECT_NEAR(b.magnitude(b.flux(19.3)), 19.3, 1e-12);
  EXPECT_DOUBLE_EQ(b.total_exposure_time(), 300.0);
}

TEST(NoiseModel, FlatImageMeanAndVarianceMatchPoissonPlusReadNoise) {
  const Band b = test_band();
  const double t = b.total_exposure_time(), read_var = b.n_exposures * b.read_noise * b.read_noise;
  int stream = 0;
  for (double level : {0.0, 0.05, 2.0, 400.0}) {
    Rng rng(11, stream++);
    const ImageF flat = ImageF::Constant(512, 512, float(level));
    const Observation obs = add_noise(flat, b, rng);
    const Moments m = moments(obs.image);
    // Counts C = Poisson(lambda) + Normal(0, read_var): cumulants k2 = lambda + read_var, k4 = lambda.
    const double lambda = (level + b.background_rate()) * t;
    const double k2 = lambda + read_var, k4 = lambda;
    const double var = k2 / (t * t);
    const double se_mean = std::sqrt(var / m.n);
    const double se_var = std::sqrt((k4 + 2 * k2 * k2) / m.n) / (t * t);
    EXPECT_NEAR(m.mean, level, 5 * se_mean) << "level " << level;
    EXPECT_NEAR(m.var, var, 5 * se_var) << "level " << level;
    EXPECT_NEAR(obs.background, b.background_rate(), 1e-12);
  }
}

TEST(NoiseModel, SigmaMapIsTheFormulaAndMatchesTheScatter) {
  const Band b = test_band();
  const double t = b.total_exposure_time(), read_var = b.n_exposures * b.read_noise * b.read_noise;
  ImageF truth(256, 256);
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) truth(i, j) = float(0.2 * j + 0.05 * i);  // 0 .. 64 e-/s
  Rng rng(5, 0);
  const Observation obs = add_noise(truth, b, rng);
  double s = 0, s2 = 0;
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) {
      const double expect = std::sqrt((truth(i, j) + b.background_rate()) * t + read_var) / t;
      ASSERT_NEAR(obs.sigma(i, j), expect, 1e-6 * expect) << i << "," << j;
      const double z = (obs.image(i, j) - truth(i, j)) / obs.sigma(i, j);
      s += z;
      s2 += z * z;
    }
  const double n = 256.0 * 256.0, mean = s / n, var = s2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(1.0 / n));
  EXPECT_NEAR(var, 1.0, 5 * std::sqrt(2.0 / n));  // counts >= 1230: excess kurtosis < 1e-3
}

TEST(NoiseModel, PointSourceGivesTenToTheMinusPointFourMagMinusZpElectronsPerSecond) {
  // 128 x 128 independent realisations of a point source of magnitude 20 held in one pixel.
  const Band b = test_band();
  const double m = 20.0, t = b.total_exposure_time();
  const double rate = std::pow(10.0, -0.4 * (m - b.zero_point));  // 631 e-/s
  EXPECT_NEAR(b.flux(m), rate, 1e-12 * rate);
  const ImageF img = ImageF::Constant(128, 128, float(rate));
  const double n = img.size();
  const double se_e = std::sqrt((rate + b.background_rate()) * t + b.n_exposures * b.read_noise * b.read_noise) /
                      std::sqrt(n);  // electrons

  NoiseOptions adu;
  adu.unit = OutputUnit::ADU;
  Rng r1(3, 1);
  const Observation o_adu = add_noise(img, b, r1, adu);
  EXPECT_NEAR(moments(o_adu.image).mean * b.gain, rate * t, 5 * se_e);  // electrons in the sum
  EXPECT_NEAR(o_adu.scale, t / b.gain, 1e-12);
  EXPECT_NEAR(o_adu.zero_point, b.zero_point + 2.5 * std::log10(t / b.gain), 1e-12);
  // The header zero point turns the measured total back into the magnitude.
  EXPECT_NEAR(o_adu.zero_point - 2.5 * std::log10(moments(o_adu.image).mean), m, 5 * se_e / (rate * t));

  NoiseOptions nmgy;
  nmgy.unit = OutputUnit::ZERO_POINT_FLUX;  // 22.5: nanomaggies
  Rng r2(3, 2);
  const Observation o_f = add_noise(img, b, r2, nmgy);
  const double expect_nmgy = std::pow(10.0, -0.4 * (m - 22.5));  // 10 nanomaggies
  EXPECT_NEAR(moments(o_f.image).mean, expect_nmgy, 5 * se_e / (rate * t) * expect_nmgy);
  EXPECT_DOUBLE_EQ(o_f.zero_point, 22.5);
  EXPECT_EQ(output_unit_name(o_f.unit), "flux");

  // output_scale() is what the observation used (for noiseless images in the same unit).
  for (const auto& [opts, obs] : {std::pair{adu, &o_adu}, std::pair{nmgy, &o_f}}) {
    const OutputScale c = output_scale(b, opts);
    EXPECT_EQ(c.scale, obs->scale);
    EXPECT_EQ(c.zero_point, obs->zero_point);
  }
  EXPECT_EQ(output_scale(b, NoiseOptions{}).scale, 1.0);
  EXPECT_EQ(output_scale(b, NoiseOptions{}).zero_point, b.zero_point);
}

TEST(NoiseModel, SameRngGivesTheSameImageAndOtherStreamsDiffer) {
  const Band b = test_band();
  const ImageF img = ImageF::Constant(64, 64, 10.0f);
  Rng a(42, 7), c(42, 7), d(42, 8), e(43, 7);
  const Observation oa = add_noise(img, b, a), oc = add_noise(img, b, c), od = add_noise(img, b, d),
                    oe = add_noise(img, b, e);
  EXPECT_TRUE((oa.image == oc.image).all());
  EXPECT_GT((oa.image != od.image).count(), 4000);
  EXPECT_GT((oa.image != oe.image).count(), 4000);
}

TEST(NoiseModel, AddNoiseIsTheCompositionOfItsStages) {
  // add_noise() runs fused passes; they must give what the documented stages give:
  // expected_electrons -> sample_poisson (stream rng.split(2)) -> saturate_and_bleed ->
  // add_read_noise (stream rng.split(4)) -> background subtraction and unit. The stream tags are
  // those of sim/src/detector/noise_internal.hpp. The sigma plane is the same arithmetic, so
  // equal; the image may differ by the last bit of the double sum (the fused pass may use an
  // FMA) before its float rounding (1e-7 relative), hence 1e-6 of the pixel's sigma plus that.
  Band b = test_band();
  b.full_well = 2e4;  // summed capacity 6e4 e- = 200 e-/s: the star saturates and bleeds
  ImageF img = ImageF::Constant(64, 48, 3.0f);
  img(30, 20) = 5000.0f;
  img(5, 7) = -50.0f;  // clipped to zero expectation
  NoiseOptions adu;
  adu.unit = OutputUnit::ADU;
  Rng rng(21, 5);
  const Observation o = add_noise(img, b, rng, adu);

  const double t = b.total_exposure_time(), scale = o.scale;
  Mask mask = Mask::Zero(64, 48);
  ImageD counts = expected_electrons(img, b, mask);
  const ImageD expected = counts;
  Rng poisson = rng.split(2), read = rng.split(4);
  sample_poisson(counts, poisson);
  const double lost = saturate_and_bleed(counts, mask, b.n_exposures * b.full_well);
  add_read_noise(counts, std::sqrt(double(b.n_exposures)) * b.read_noise, read);
  EXPECT_EQ(o.saturation_lost, lost);
  EXPECT_TRUE((o.mask == mask).all());
  EXPECT_GT(mask.unaryExpr([](std::uint16_t v) { return int(has_bit(v, MaskBit::BLEED)); }).sum(), 0);
  const double read_var = b.n_exposures * b.read_noise * b.read_noise;
  for (Eigen::Index i = 0; i < img.rows(); ++i)
    for (Eigen::Index j = 0; j < img.cols(); ++j) {
      const float sigma = float(std::sqrt(expected(i, j) + read_var) * scale / t);
      ASSERT_EQ(o.sigma(i, j), sigma) << i << "," << j;
      const double value = (counts(i, j) - b.background_rate() * t) * scale / t;
      ASSERT_NEAR(o.image(i, j), value, 1e-6 * sigma + 1e-7 * std::abs(value)) << i << "," << j;
    }
}

TEST(NoiseModel, NegativeInputIsClippedToZeroExpectation) {
  Band b = test_band();
  b.read_noise = 0.0;
  const ImageF img = ImageF::Constant(16, 16, -1e6f);  // e.g. ringing far below the sky
  Rng rng(1, 1);
  const Observation o = add_noise(img, b, rng);
  EXPECT_TRUE((o.image == float(-b.background_rate())).all());  // zero counts, background removed
  EXPECT_TRUE((o.sigma == 0.0f).all());
}

TEST(NoiseModel, SaturationConservesChargeAlongColumnsAndFlagsExactly) {
  const double cap = 1e5;
  ImageD e(64, 48);
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 48; ++j) {
      const double r2 = (i - 31.3) * (i - 31.3) + (j - 20.6) * (j - 20.6);
      e(i, j) = 200.0 + 4e5 * std::exp(-r2 / (2 * 2.0 * 2.0));  // peak 4 x capacity
    }
  const ImageD before = e;
  Mask mask = Mask::Zero(64, 48);
  const double lost = saturate_and_bleed(e, mask, cap);
  EXPECT_EQ(lost, 0.0);
  for (int j = 0; j < 48; ++j)
    EXPECT_NEAR(e.col(j).sum(), before.col(j).sum(), 1e-9 * before.col(j).sum()) << "column " << j;
  int saturated = 0, bled = 0;
  for (int i = 0; i < 64; ++i)
    for (int j = 0; j < 48; ++j) {
      EXPECT_LE(e(i, j), cap);
      EXPECT_EQ(has_bit(mask(i, j), MaskBit::SATURATED), e(i, j) >= cap) << i << "," << j;
      EXPECT_EQ(has_bit(mask(i, j), MaskBit::BLEED), e(i, j) > before(i, j)) << i << "," << j;
      saturated += has_bit(mask(i, j), MaskBit::SATURATED);
      bled += has_bit(mask(i, j), MaskBit::BLEED);
    }
  // The central column holds ~4e5 sqrt(2 pi) 2 = 2e6 e-, well below 64 rows x 1e5: nothing lost.
  EXPECT_GT(saturated, 20);
  EXPECT_GT(bled, 10);
  EXPECT_EQ(mask.unaryExpr([](std::uint16_t v) { return int(v & ~(MaskBit::SATURATED | MaskBit::BLEED)); }).sum(), 0);
}

TEST(NoiseModel, BleedingPastTheEdgeIsReportedAsLost) {
  const double cap = 1e5;
  ImageD e = ImageD::Constant(40, 5, 100.0);
  e(2, 2) = 3e6;  // 2.9e6 excess, 1.45e6 each way; only 2 rows above
  const double total = e.sum();
  Mask mask = Mask::Zero(40, 5);
  const double lost = saturate_and_bleed(e, mask, cap);
  EXPECT_GT(lost, 1e6);
  EXPECT_NEAR(e.sum() + lost, total, 1e-9 * total);
  EXPECT_TRUE(has_bit(mask(0, 2), MaskBit::BLEED) && has_bit(mask(0, 2), MaskBit::SATURATED));
  EXPECT_EQ(mask(0, 1), 0);
}

TEST(NoiseModel, SaturatedStarThroughTheFullModel) {
  Band b = test_band();
  b.full_well = 5e4;  // summed capacity 1.5e5 e- = 500 e-/s over 300 s
  ImageF img = ImageF::Zero(64, 64);
  img(32, 32) = 5000.0f;
  Rng rng(8, 8);
  const Observation o = add_noise(img, b, rng);
  EXPECT_TRUE(has_bit(o.mask(32, 32), MaskBit::SATURATED));
  EXPECT_TRUE(has_bit(o.mask(31, 32), MaskBit::BLEED));
  EXPECT_EQ(o.mask(32, 31), 0);  // bleeding stays in the column
  const double cap_rate = b.n_exposures * b.full_well / b.total_exposure_time() - b.background_rate();
  EXPECT_NEAR(o.image(32, 32), cap_rate, 5 * o.sigma(32, 32));
  EXPECT_EQ(o.saturation_lost, 0.0);
  NoiseOptions off;
  off.saturation = false;
  Rng rng2(8, 8);
  const Observation o2 = add_noise(img, b, rng2, off);
  EXPECT_EQ(o2.mask(32, 32), 0);
  EXPECT_GT(o2.image(32, 32), 4000.0f);
}

TEST(NoiseModel, InvalidOptionsAndBandsAreRejectedWithTheField) {
  const Band b = test_band();
  const ImageF img = ImageF::Zero(8, 8);
  Rng rng(1, 1);
  NoiseOptions bad;
  bad.unit = OutputUnit::ZERO_POINT_FLUX;
  bad.flux_zero_point = 50.0;
  try {
    add_noise(img, b, rng, bad);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("flux_zero_point = 50"), std::string::npos) << e.what();
  }
  Band nb = b;
  nb.read_noise = -1.0;
  try {
    add_noise(img, nb, rng);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("read_noise = -1 e-: must be in [0, 1000]"), std::string::npos) << e.what();
  }
}

// PSF kernels: Gaussian and Moffat (pixel-integrated), pixelated kernels, resampling.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/optics/kernel_resampling.hpp"
#include "lensforge/sim/optics/moffat_kernel.hpp"
#include "lensforge/sim/optics/pixelated_kernel.hpp"
#include "lensforge/sim/optics/psf_kernel.hpp"

using namespace lensforge;

namespace {

template <class Img>
double sum(const Img& k) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < k.rows(); ++i)
    for (Eigen::Index j = 0; j < k.cols(); ++j) s += k(i, j);
  return s;
}

/// Flux-weighted (column, row) centroid and the variance along x, in pixels.
struct Moments {
  double cx, cy, var_x;
};
template <class Img>
Moments moments(const Img& k) {
  double s = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0;
  for (Eigen::Index i = 0; i < k.rows(); ++i)
    for (Eigen::Index j = 0; j < k.cols(); ++j) {
      const double v = k(i, j);
      s += v;
      sx += v * j;
      sy += v * i;
      sxx += v * double(j) * double(j);
    }
  const double cx = sx / s;
  return {cx, sy / s, sxx / s - cx * cx};
}

/// FWHM in pixels from the central row: the half-maximum radius by linear interpolation between
/// the two pixels that straddle it.
double measured_fwhm_pixels(const PsfKernel& k) {
  const int r = k.radius();
  const ImageF& p = k.pixels();
  const double half = 0.5 * p(r, r);
  for (int m = 1; m <= r; ++m)
    if (p(r, r + m) < half) {
      const double a = p(r, r + m - 1), b = p(r, r + m);
      return 2.0 * (m - 1 + (a - half) / (a - b));
    }
  ADD_FAILURE() << "kernel too small to reach half maximum";
  return 0.0;
}

/// Sum of the central (2 inner + 1)^2 pixels.
double inner_sum(const PsfKernel& k, int inner) {
  const int r = k.radius();
  return sum(k.pixels().block(r - inner, r - inner, 2 * inner + 1, 2 * inner + 1));
}

/// max |a - b| over the pixels (plain loops: Eigen's float reductions trip a false g++ 12
/// -Wmaybe-uninitialized in its AVX-512 code).
template <class A, class B>
double max_abs_diff(const A& a, const B& b) {
  double m = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) m = std::max(m, std::abs(double(a(i, j)) - double(b(i, j))));
  return m;
}

template <class A>
std::pair<double, double> min_max(const A& a) {
  double lo = a(0, 0), hi = a(0, 0);
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) {
      lo = std::min(lo, double(a(i, j)));
      hi = std::max(hi, double(a(i, j)));
    }
  return {lo, hi};
}

/// Sum of s x s blocks of an image whose size is a multiple of s.
ImageD block_sum(const ImageF& fine, int s) {
  ImageD out = ImageD::Zero(fine.rows() / s, fine.cols() / s);
  for (Eigen::Index i = 0; i < fine.rows(); ++i)
    for (Eigen::Index j = 0; j < fine.cols(); ++j) out(i / s, j / s) += fine(i, j);
  return out;
}

/// A point-sampled round Gaussian blob, flux 1, centred at (cx, cy) pixels.
ImageD blob(int rows, int cols, double cx, double cy, double sigma) {
  ImageD img(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      img(i, j) = std::exp(-((j - cx) * (j - cx) + (i - cy) * (i - cy)) / (2 * sigma * sigma)) /
                  (2 * M_PI * sigma * sigma);
  return img;
}

template <class F>
std::string config_error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

constexpr double kFwhmToSigma = 1.0 / 2.3548200450309493;  // 1 / (2 sqrt(2 ln 2))

}  // namespace

TEST(PsfKernel, NormalisesAnOddSquareImage) {
  ImageF img(3, 3);
  img << 1, 2, 1, 2, 4, 2, 1, 2, 1;
  const PsfKernel k(img, 0.05);
  EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6);
  EXPECT_FLOAT_EQ(k.pixels()(1, 1), 0.25f);
  EXPECT_EQ(k.radius(), 1);
  EXPECT_DOUBLE_EQ(k.pixel_scale(), 0.05);
}

TEST(PsfKernel, RejectsEvenNonFiniteZeroSumAndBadScale) {
  EXPECT_NE(config_error_of([] { PsfKernel(ImageF::Ones(4, 4), 0.1); }).find("odd"), std::string::npos);
  EXPECT_NE(config_error_of([] { PsfKernel(ImageF::Ones(3, 5), 0.1); }).find("square"), std::string::npos);
  ImageF nan = ImageF::Ones(3, 3);
  nan(0, 2) = NAN;
  EXPECT_NE(config_error_of([&] { PsfKernel(nan, 0.1); }).find("pixel (0, 2)"), std::string::npos);
  EXPECT_NE(config_error_of([] { PsfKernel(ImageF::Zero(3, 3), 0.1); }).find("positive sum"), std::string::npos);
  EXPECT_NE(config_error_of([] { PsfKernel(ImageF::Ones(3, 3), 0.0); }).find("pixel_scale"), std::string::npos);
}

TEST(GaussianKernel, SumsToOneSymmetricAndPeakedAtTheCentre) {
  const PsfKernel k = gaussian_kernel({.fwhm = 0.7, .pixel_scale = 0.2});
  EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6);
  const int r = k.radius();
  EXPECT_EQ(min_max(k.pixels()).second, k.pixels()(r, r));
  for (int i = 0; i < k.size(); ++i)
    for (int j = 0; j < k.size(); ++j) {
      EXPECT_FLOAT_EQ(k.pixels()(i, j), k.pixels()(k.size() - 1 - i, j));
      EXPECT_FLOAT_EQ(k.pixels()(i, j), k.pixels()(j, i));
    }
  const Moments m = moments(k.pixels());
  EXPECT_NEAR(m.cx, r, 1e-5);
  EXPECT_NEAR(m.cy, r, 1e-5);
}

TEST(GaussianKernel, AutomaticRadiusIsTheSmallestHoldingTheRequestedFlux) {
  // Exact for the separable Gaussian: the square of half-width (R + 1/2) px holds erf(.)^2.
  // Reference: a kernel four times wider, whose own loss (< 1e-15) is negligible.
  for (double eps : {1e-3, 1e-6}) {
    const GaussianKernelParams p{.fwhm = 0.5, .pixel_scale = 0.1, .outside_flux = eps};
    const PsfKernel k = gaussian_kernel(p);
    GaussianKernelParams wide = p;
    wide.radius = 4 * k.radius();
    const PsfKernel ref = gaussian_kernel(wide);
    EXPECT_GE(inner_sum(ref, k.radius()), 1.0 - eps - 1e-7) << eps;
    EXPECT_LT(inner_sum(ref, k.radius() - 1), 1.0 - eps) << eps;
  }
}

TEST(GaussianKernel, PixelsAreIntegralsNotSamples) {
  // The kernel's variance is that of the Gaussian convolved with the pixel box, sigma^2 + h^2/12
  // (point samples would give sigma^2); the discrete sum equals the integral up to aliasing terms
  // exp(-2 pi^2 sigma^2/h^2) ~ 1e-14 here. Truncation at 1e-12 and float32 rounding: < 1e-6.
  const double h = 0.1, fwhm = 0.3, sigma_px = fwhm * kFwhmToSigma / h;
  const PsfKernel k = gaussian_kernel({.fwhm = fwhm, .pixel_scale = h, .outside_flux = 1e-12});
  EXPECT_NEAR(moments(k.pixels()).var_x, sigma_px * sigma_px + 1.0 / 12.0, 1e-5);
}

TEST(GaussianKernel, BinningAFinerKernelGivesTheCoarseOne) {
  // Pixel integration is additive: 5x5 blocks of a kernel at h/5 spanning the same square are the
  // kernel at h (both normalised over the same area).
  const int s = 5, r = 6;
  const PsfKernel coarse = gaussian_kernel({.fwhm = 0.25, .pixel_scale = 0.1, .radius = r});
  const PsfKernel fine = gaussian_kernel({.fwhm = 0.25, .pixel_scale = 0.1 / s, .radius = s * r + (s - 1) / 2});
  const ImageD binned = block_sum(fine.pixels(), s);
  ASSERT_EQ(binned.rows(), coarse.size());
  const double peak = min_max(coarse.pixels()).second;
  EXPECT_LT(max_abs_diff(binned, coarse.pixels()), 1e-6 * peak);
}

TEST(GaussianKernel, AnalyticFwhmRecovered) {
  // Both errors of the measurement scale as (h/FWHM)^2: the pixel box changes the profile by
  // h^2 f''/24 and linear interpolation of the half-maximum crossing errs by <= h^2 f''/(8 f');
  // at the half maximum of a Gaussian they add up to 0.24 (h/FWHM)^2 (0.4-0.7 for Moffat
  // beta in [1.5, 4.8]). Tolerance: (h/FWHM)^2, 2.5e-3 for 20 pixels per FWHM.
  const double fwhm = 0.8, h = fwhm / 20;
  const PsfKernel k = gaussian_kernel({.fwhm = fwhm, .pixel_scale = h});
  EXPECT_NEAR(measured_fwhm_pixels(k) * h, fwhm, fwhm * (h / fwhm) * (h / fwhm));
}

TEST(MoffatKernel, AlphaFollowsTheFwhmDefinition) {
  const MoffatKernelParams p{.fwhm = 0.9, .beta = 3.0};
  // I(fwhm/2) = I(0)/2  <=>  (1 + (fwhm/(2 alpha))^2)^(-beta) = 1/2.
  EXPECT_NEAR(std::pow(1.0 + std::pow(p.fwhm / (2 * p.alpha()), 2), -p.beta), 0.5, 1e-14);
}

TEST(MoffatKernel, SumsToOneAndAnalyticFwhmRecovered) {
  const double fwhm = 0.6, h = fwhm / 20;
  for (double beta : {1.5, 2.5, 4.765}) {
    const PsfKernel k = moffat_kernel({.fwhm = fwhm, .beta = beta, .pixel_scale = h, .radius = 60});
    EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6) << beta;
    const int r = k.radius();
    EXPECT_EQ(min_max(k.pixels()).second, k.pixels()(r, r));
    EXPECT_FLOAT_EQ(k.pixels()(r - 7, r + 3), k.pixels()(r + 3, r + 7));  // octant symmetry
    // Tolerance derived in GaussianKernel.AnalyticFwhmRecovered.
    EXPECT_NEAR(measured_fwhm_pixels(k) * h, fwhm, fwhm * (h / fwhm) * (h / fwhm)) << beta;
  }
}

TEST(MoffatKernel, BinningAFinerKernelGivesTheCoarseOne) {
  // Checks the sub-cell quadrature: the centre pixel of the coarse kernel (alpha ~ 0.6 px, sharp
  // core) integrated on the coarse grid must match the sum of 25 fine pixels.
  const int s = 5, r = 8;
  const PsfKernel coarse = moffat_kernel({.fwhm = 0.1, .beta = 2.5, .pixel_scale = 0.08, .radius = r});
  const PsfKernel fine =
      moffat_kernel({.fwhm = 0.1, .beta = 2.5, .pixel_scale = 0.08 / s, .radius = s * r + (s - 1) / 2});
  const ImageD binned = block_sum(fine.pixels(), s);
  const double peak = min_max(coarse.pixels()).second;
  EXPECT_LT(max_abs_diff(binned, coarse.pixels()), 1e-6 * peak);
}

TEST(MoffatKernel, AutomaticRadiusHoldsTheRequestedFlux) {
  // The rule uses the inscribed circle, a lower bound on the square's flux; the reference is a
  // kernel holding all but 1e-6 of the flux.
  for (double beta : {2.5, 4.765}) {
    const MoffatKernelParams p{.fwhm = 0.7, .beta = beta, .pixel_scale = 0.1, .outside_flux = 1e-2};
    const PsfKernel k = moffat_kernel(p);
    MoffatKernelParams wide = p;
    wide.outside_flux = 1e-6;
    const PsfKernel ref = moffat_kernel(wide);
    ASSERT_GT(ref.radius(), k.radius());
    EXPECT_GE(inner_sum(ref, k.radius()), 1.0 - 1e-2) << beta;
    EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6);
  }
}

TEST(KernelValidation, InvalidParametersNameTheParameterAndRange) {
  auto gauss = [](GaussianKernelParams p) { return config_error_of([&] { gaussian_kernel(p); }); };
  auto moffat = [](MoffatKernelParams p) { return config_error_of([&] { moffat_kernel(p); }); };
  EXPECT_NE(gauss({.fwhm = -0.1}).find("fwhm = -0.1 arcsec; allowed: finite and > 0"), std::string::npos);
  EXPECT_NE(gauss({.fwhm = NAN}).find("fwhm"), std::string::npos);
  EXPECT_NE(gauss({.pixel_scale = 0.0}).find("pixel_scale = 0"), std::string::npos);
  EXPECT_NE(gauss({.outside_flux = 0.5}).find("outside_flux = 0.5; allowed: (0, 0.1]"), std::string::npos);
  EXPECT_NE(gauss({.radius = 20, .max_radius = 10}).find("radius = 20"), std::string::npos);
  EXPECT_NE(gauss({.fwhm = 10.0, .pixel_scale = 0.01, .max_radius = 100}).find("max_radius = 100"),
            std::string::npos);
  EXPECT_NE(moffat({.beta = 1.0}).find("beta = 1; allowed: (1, 1000]"), std::string::npos);
  EXPECT_NE(moffat({.beta = 2.0, .max_radius = 5000}).find("max_radius = 5000 pixels; allowed: [1, 4096]"),
            std::string::npos);
  // beta -> 1: the wings hold so much flux that 1 - 1e-6 needs an astronomically large kernel.
  EXPECT_NE(moffat({.beta = 1.1, .outside_flux = 1e-6}).find("max_radius = 1024"), std::string::npos);
  EXPECT_NE(config_error_of([] { pixelated_kernel(ImageD(ImageD::Ones(3, 3)), {.input_pixel_scale = -1.0}); })
                .find("input_pixel_scale = -1"),
            std::string::npos);
  EXPECT_NE(config_error_of([] { pixelated_kernel(ImageD(ImageD::Ones(3, 3)), {.radius = -2}); }).find("radius = -2"),
            std::string::npos);
}

TEST(PixelatedKernel, OffCentreInputIsRecentred) {
  const ImageD img = blob(25, 25, 13.3, 11.6, 1.7);
  const PsfKernel k = pixelated_kernel(img, {.input_pixel_scale = 0.1});
  EXPECT_EQ(k.size() % 2, 1);
  EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6);
  const Moments m = moments(k.pixels());
  EXPECT_NEAR(m.cx, k.radius(), 1e-3);
  EXPECT_NEAR(m.cy, k.radius(), 1e-3);
  // A pure shift at the same scale keeps the variance (Keys cubic reproduces quadratics).
  EXPECT_NEAR(m.var_x, moments(img).var_x, 1e-4);
}

TEST(PixelatedKernel, EvenSizedInputIsRecentredOntoAnOddKernel) {
  // Symmetric about the shared corner of the four central pixels: the kernel must come out
  // symmetric about its central pixel.
  const ImageD img = blob(24, 24, 11.5, 11.5, 2.0);
  const PsfKernel k = pixelated_kernel(img, {.input_pixel_scale = 0.05});
  const Moments m = moments(k.pixels());
  EXPECT_NEAR(m.cx, k.radius(), 1e-3);
  EXPECT_NEAR(m.cy, k.radius(), 1e-3);
  const ImageF& p = k.pixels();
  const ImageF flipped = p.colwise().reverse(), transposed = p.transpose();
  EXPECT_LT(max_abs_diff(p, flipped), 1e-6 * p(k.radius(), k.radius()));
  EXPECT_LT(max_abs_diff(p, transposed), 1e-6 * p(k.radius(), k.radius()));
}

TEST(PixelatedKernel, ResamplingPreservesFluxAndExactMoments) {
  // Unnormalised resampling of an off-centre blob (flux 0.37): the flux is preserved for every
  // ratio; centroid and variance in arcsec are preserved exactly for integer upsampling and any
  // downsampling (see kernel_resampling.hpp).
  const double in_scale = 0.1;
  const ImageD img = 0.37 * blob(21, 19, 9.3, 10.2, 1.5);
  const Moments mi = moments(img);
  for (double ratio : {1.0 / 3.0, 1.0 / 2.5, 0.7, 2.0, 2.7}) {
    const int out_radius = static_cast<int>(std::ceil((15.0 + 2.0 * std::max(1.0, ratio)) / ratio));
    const ImageD out = resample_kernel_image(img, in_scale, in_scale * ratio, 9.0, 10.0, out_radius);
    EXPECT_NEAR(sum(out), sum(img), 1e-12) << ratio;
    const bool exact = ratio > 1.0 || ratio == 1.0 / 3.0;
    const Moments mo = moments(out);
    const double tol = exact ? 1e-9 : 1e-2;  // arcsec and arcsec^2
    // Output centre pixel out_radius sits at input pixel (9, 10).
    EXPECT_NEAR((mo.cx - out_radius) * ratio + 9.0, mi.cx, tol / in_scale) << ratio;
    EXPECT_NEAR((mo.cy - out_radius) * ratio + 10.0, mi.cy, tol / in_scale) << ratio;
    EXPECT_NEAR(mo.var_x * ratio * ratio, mi.var_x, tol / (in_scale * in_scale)) << ratio;
  }
}

TEST(PixelatedKernel, UpsampledGaussianKeepsTheInputPixelWidth) {
  // A Gaussian kernel at h resampled to h/3 keeps its variance sigma^2 + h^2/12: interpolation
  // neither blurs nor sharpens; the input's pixel integration stays (it cannot be undone).
  const double h = 0.1, fwhm = 0.35, sigma_px = fwhm * kFwhmToSigma / h;
  const PsfKernel coarse = gaussian_kernel({.fwhm = fwhm, .pixel_scale = h, .outside_flux = 1e-12});
  const PsfKernel fine = pixelated_kernel(coarse.pixels(), {.input_pixel_scale = h, .pixel_scale = h / 3});
  EXPECT_DOUBLE_EQ(fine.pixel_scale(), h / 3);
  EXPECT_NEAR(sum(fine.pixels()), 1.0, 1e-6);
  const Moments m = moments(fine.pixels());
  EXPECT_NEAR(m.cx, fine.radius(), 1e-3);
  EXPECT_NEAR(m.var_x / 9.0, sigma_px * sigma_px + 1.0 / 12.0, 1e-4);
}

TEST(PixelatedKernel, NonIntegerRatioIsRecentredByCorrectiveShifts) {
  const ImageD img = blob(15, 16, 7.8, 6.9, 1.2);
  const PsfKernel k = pixelated_kernel(img, {.input_pixel_scale = 0.1, .pixel_scale = 0.04});
  const Moments m = moments(k.pixels());
  EXPECT_NEAR(m.cx, k.radius(), 1e-3);
  EXPECT_NEAR(m.cy, k.radius(), 1e-3);
  EXPECT_NEAR(sum(k.pixels()), 1.0, 1e-6);
}

TEST(PixelatedKernel, NegativePixelPolicies) {
  ImageD img = blob(11, 11, 5.0, 5.0, 1.0);
  img(0, 10) = -0.01;  // far corner: moves the centroid when kept
  const std::string err = config_error_of(
      [&] { pixelated_kernel(img, {.input_pixel_scale = 0.1, .negative_pixels = NegativePixels::Reject}); });
  EXPECT_NE(err.find("pixel (0, 10) is -0.01"), std::string::npos) << err;

  ImageD zeroed = img;
  zeroed(0, 10) = 0.0;
  const PsfKernel clipped = pixelated_kernel(img, {.input_pixel_scale = 0.1});
  const PsfKernel reference = pixelated_kernel(zeroed, {.input_pixel_scale = 0.1});
  EXPECT_EQ(max_abs_diff(clipped.pixels(), reference.pixels()), 0.0);

  const PsfKernel kept = pixelated_kernel(img, {.input_pixel_scale = 0.1, .negative_pixels = NegativePixels::Keep});
  EXPECT_LT(min_max(kept.pixels()).first, -0.005);  // the negative pixel survives
  const Moments m = moments(kept.pixels());  // the signed centroid is recentred too
  EXPECT_NEAR(m.cx, kept.radius(), 1e-3);
  EXPECT_NEAR(m.cy, kept.radius(), 1e-3);
}

TEST(PixelatedKernel, RejectsEmptyNonFiniteAndFluxlessImages) {
  EXPECT_NE(config_error_of([] { pixelated_kernel(ImageD(0, 0), {}); }).find("empty"), std::string::npos);
  ImageD nan = ImageD::Ones(4, 4);
  nan(2, 1) = INFINITY;
  EXPECT_NE(config_error_of([&] { pixelated_kernel(nan, {}); }).find("pixel (2, 1) is inf"), std::string::npos);
  EXPECT_NE(config_error_of([] { pixelated_kernel(ImageD(-ImageD::Ones(3, 3)), {}); }).find("flux is 0"),
            std::string::npos);
}

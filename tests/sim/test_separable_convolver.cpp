// Separable convolution of Gaussian PSFs, and the PsfConvolver interface over it and the FFT.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/optics/direct_convolution.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/optics/moffat_kernel.hpp"
#include "lensforge/sim/optics/psf_convolver.hpp"
#include "lensforge/sim/optics/separable_convolver.hpp"

using namespace lensforge;

namespace {

ImageF random_image(int rows, int cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  ImageF img(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) img(i, j) = u(gen);
  return img;
}

double max_abs_diff(const ImageF& a, const ImageF& b) {
  return (a.cast<double>() - b.cast<double>()).abs().maxCoeff();
}

double max_abs(const ImageF& a) { return a.cast<double>().abs().maxCoeff(); }

}  // namespace

TEST(SeparableConvolver, TapsAreTheOneDimensionalFactorOfGaussianKernel) {
  // Same radius rule, and the outer product of the taps is gaussian_kernel's image to float
  // rounding (both are normalised products of the same erf differences).
  for (const GaussianKernelParams p : {GaussianKernelParams{.fwhm = 0.16, .pixel_scale = 0.1},
                                       GaussianKernelParams{.fwhm = 0.45, .pixel_scale = 0.3},
                                       GaussianKernelParams{.fwhm = 0.16, .pixel_scale = 0.1 / 3},
                                       GaussianKernelParams{.fwhm = 1.0, .pixel_scale = 0.2, .radius = 4}}) {
    const PsfKernel k = gaussian_kernel(p);
    const SeparableConvolver conv(p);
    ASSERT_EQ(conv.radius(), k.radius()) << p.fwhm << " " << p.pixel_scale;
    const std::vector<double> t = gaussian_kernel_taps(p);
    double sum = 0.0;
    for (double v : t) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-15);
    EXPECT_LT(max_abs_diff(conv.kernel().pixels(), k.pixels()), 1e-7 * max_abs(k.pixels()));
    for (int i = 0; i < k.size(); ++i)
      for (int j = 0; j < k.size(); ++j) ASSERT_NEAR(t[i] * t[j], k.pixels()(i, j), 1e-7 * k.pixels()(i, j) + 1e-12);
  }
}

TEST(SeparableConvolver, MatchesDirectAndFftConvolutionWithTheGaussianKernel) {
  // Odd and even sizes, images narrower than the kernel, and the Euclid VIS / NISP kernels.
  // convolve_direct sums in double (exact to float rounding); float32 passes err ~1e-7 of the
  // peak; tolerance 1e-6 of the peak.
  struct Case {
    int rows, cols;
    double fwhm, scale;
  };
  for (const Case c : {Case{200, 200, 0.16, 0.1}, Case{66, 66, 0.45, 0.3}, Case{67, 66, 0.5, 0.3},
                       Case{31, 48, 0.3, 0.05}, Case{5, 3, 0.45, 0.1}, Case{1, 1, 0.3, 0.1}, Case{2, 9, 0.2, 0.1}}) {
    const GaussianKernelParams p{.fwhm = c.fwhm, .pixel_scale = c.scale};
    const ImageF img = random_image(c.rows, c.cols, unsigned(10 * c.rows + c.cols));
    const SeparableConvolver conv(p);
    const ImageF out = conv.convolve(img);
    const ImageF direct = convolve_direct(img, gaussian_kernel(p));
    const ImageF fft = FftConvolver(gaussian_kernel(p)).convolve(img);
    ASSERT_EQ(out.rows(), c.rows);
    ASSERT_EQ(out.cols(), c.cols);
    EXPECT_LT(max_abs_diff(out, direct), 1e-6 * max_abs(direct)) << c.rows << "x" << c.cols << " r" << conv.radius();
    EXPECT_LT(max_abs_diff(out, fft), 1e-6 * max_abs(direct)) << c.rows << "x" << c.cols << " r" << conv.radius();
  }
}

TEST(SeparableConvolver, IsAConvolutionNotACorrelation) {
  // Asymmetric taps: a point source at (i0, j0) must come out as t[p] t[q] at
  // (i0 + p - r, j0 + q - r), like convolve_direct with the outer-product kernel.
  const SeparableConvolver conv({1.0, 2.0, 4.0, 0.5, 0.25}, 0.1);
  ImageF img = ImageF::Zero(9, 11);
  img(4, 3) = 2.0f;
  const ImageF out = conv.convolve(img);
  const std::vector<float>& t = conv.taps();
  for (int p = 0; p < 5; ++p)
    for (int q = 0; q < 5; ++q) EXPECT_NEAR(out(4 + p - 2, 3 + q - 2), 2.0f * t[p] * t[q], 1e-7);
  const ImageF noisy = random_image(13, 8, 3);
  EXPECT_LT(max_abs_diff(conv.convolve(noisy), convolve_direct(noisy, conv.kernel())), 1e-6 * max_abs(noisy));
}

TEST(SeparableConvolver, PreservesFluxInsideTheImageAndLosesItAtTheBorder) {
  // A Gaussian source (sigma 3 px) in the middle of 120x121, PSF of radius 12 px: the flux within
  // 20 px of the border is < 1e-9 of the total, so the sum is kept to float rounding. A point at
  // a corner keeps exactly the kernel's quarter that falls inside: (sum_{p >= r} t[p])^2.
  ImageF img(120, 121);
  for (int i = 0; i < 120; ++i)
    for (int j = 0; j < 121; ++j) img(i, j) = float(std::exp(-((i - 58.3) * (i - 58.3) + (j - 61.0) * (j - 61.0)) / 18.0));
  const SeparableConvolver conv(GaussianKernelParams{.fwhm = 0.5, .pixel_scale = 0.1, .radius = 12});
  const ImageF out = conv.convolve(img);
  EXPECT_NEAR(out.cast<double>().sum() / img.cast<double>().sum(), 1.0, 1e-6);
  EXPECT_LT(out.maxCoeff(), img.maxCoeff());  // blurred

  ImageF corner = ImageF::Zero(30, 30);
  corner(0, 0) = 1.0f;
  double half = 0.0;
  for (int p = conv.radius(); p < int(conv.taps().size()); ++p) half += conv.taps()[p];
  EXPECT_NEAR(conv.convolve(corner).cast<double>().sum(), half * half, 1e-6);
}

TEST(SeparableConvolver, OutputMayAliasTheInput) {
  const SeparableConvolver conv(GaussianKernelParams{.fwhm = 0.6, .pixel_scale = 0.1});
  ImageF img = random_image(20, 13, 5);
  const ImageF expected = conv.convolve(img);
  conv.convolve(img, img);
  EXPECT_EQ(max_abs_diff(img, expected), 0.0);
}

TEST(SeparableConvolver, RejectsBadTapsAndScale) {
  EXPECT_THROW(SeparableConvolver({}, 0.1), ConfigError);
  EXPECT_THROW(SeparableConvolver({0.5, 0.5}, 0.1), ConfigError);
  EXPECT_THROW(SeparableConvolver({1.0, NAN, 1.0}, 0.1), ConfigError);
  EXPECT_THROW(SeparableConvolver({1.0, -2.0, 1.0}, 0.1), ConfigError);
  EXPECT_THROW(SeparableConvolver({1.0}, 0.0), ConfigError);
  EXPECT_THROW(SeparableConvolver(GaussianKernelParams{.fwhm = -1.0}), ConfigError);
}

TEST(PsfConvolver, DispatchesToTheSeparableOrTheFftPath) {
  const GaussianKernelParams g{.fwhm = 0.3, .pixel_scale = 0.1};
  const PsfKernel moffat = moffat_kernel({.fwhm = 0.3, .beta = 3.0, .pixel_scale = 0.1});
  const PsfConvolver sep(SeparableConvolver{g}), fft(FftConvolver{moffat});
  EXPECT_TRUE(sep.separable());
  EXPECT_FALSE(fft.separable());
  const ImageF img = random_image(24, 17, 8);
  EXPECT_EQ(max_abs_diff(sep.convolve(img), SeparableConvolver(g).convolve(img)), 0.0);
  EXPECT_LT(max_abs_diff(fft.convolve(img), convolve_direct(img, moffat)), 1e-6 * max_abs(img));
}

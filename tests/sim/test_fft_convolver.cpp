// FFT and direct convolution with PSF kernels.
#include <gtest/gtest.h>

#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "lensforge/sim/optics/direct_convolution.hpp"
#include "lensforge/sim/optics/fft_convolver.hpp"
#include "lensforge/sim/optics/gaussian_kernel.hpp"
#include "lensforge/sim/optics/moffat_kernel.hpp"

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

/// An asymmetric positive kernel: catches a flipped (correlation instead of convolution) or
/// transposed result.
PsfKernel random_kernel(int size, unsigned seed) {
  ImageF k = random_image(size, size, seed);
  k(0, size - 1) += 3.0f;
  return PsfKernel(k, 0.1);
}

double max_abs_diff(const ImageF& a, const ImageF& b) {
  double m = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) m = std::max(m, std::abs(double(a(i, j)) - double(b(i, j))));
  return m;
}

double max_abs(const ImageF& a) {
  double m = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) m = std::max(m, std::abs(double(a(i, j))));
  return m;
}

double sum(const ImageF& a) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) s += a(i, j);
  return s;
}

bool seven_smooth(int n) {
  for (int f : {2, 3, 5, 7})
    while (n % f == 0) n /= f;
  return n == 1;
}

}  // namespace

TEST(FftFriendlySize, IsTheNextSevenSmoothNumber) {
  EXPECT_EQ(fft_friendly_size(1), 1);
  EXPECT_EQ(fft_friendly_size(11), 12);
  EXPECT_EQ(fft_friendly_size(121), 125);
  EXPECT_EQ(fft_friendly_size(210), 210);
  EXPECT_EQ(fft_friendly_size(211), 216);
  for (int n = 1; n <= 3000; ++n) {
    const int m = fft_friendly_size(n);
    ASSERT_TRUE(m >= n && seven_smooth(m)) << n;
    for (int k = n; k < m; ++k) ASSERT_FALSE(seven_smooth(k)) << n;
  }
}

TEST(DirectConvolution, IsAConvolutionNotACorrelation) {
  // A point source at (i0, j0) must come out as the kernel itself centred there:
  // out(i0 + p - r, j0 + q - r) = k(p, q), as scipy.signal.convolve2d(mode='same').
  const PsfKernel k = random_kernel(5, 7);
  ImageF img = ImageF::Zero(9, 11);
  img(4, 3) = 2.0f;
  const ImageF out = convolve_direct(img, k);
  for (int p = 0; p < 5; ++p)
    for (int q = 0; q < 5; ++q) EXPECT_FLOAT_EQ(out(4 + p - 2, 3 + q - 2), 2.0f * k.pixels()(p, q));
  EXPECT_NEAR(sum(out), 2.0, 1e-6);
}

TEST(FftConvolver, MatchesDirectConvolution) {
  // Odd and even image sizes, kernels from 1x1 to larger than the image (wider than the padded
  // FFT, so it wraps onto itself). Float32 FFT errors are ~1e-7 of the peak (the double-summed
  // direct result is exact to float rounding); tolerance 1e-5 of the peak.
  struct Case {
    int rows, cols, ksize;
  };
  for (const Case c : {Case{17, 17, 3}, Case{16, 16, 5}, Case{15, 22, 7}, Case{32, 9, 21}, Case{8, 5, 21},
                       Case{1, 13, 3}, Case{30, 31, 1}, Case{70, 64, 63}, Case{2, 1, 21}}) {
    const ImageF img = random_image(c.rows, c.cols, 100 + c.rows);
    const PsfKernel k = random_kernel(c.ksize, 200 + c.ksize);
    const FftConvolver conv(k);
    const ImageF fft = conv.convolve(img), direct = convolve_direct(img, k);
    ASSERT_EQ(fft.rows(), c.rows);
    ASSERT_EQ(fft.cols(), c.cols);
    EXPECT_LT(max_abs_diff(fft, direct), 1e-5 * max_abs(direct)) << c.rows << "x" << c.cols << " k" << c.ksize;
  }
}

TEST(FftConvolver, PadsJustEnoughForALinearConvolution) {
  const FftConvolver conv(gaussian_kernel({.fwhm = 0.5, .pixel_scale = 0.1, .radius = 10}));
  EXPECT_EQ(conv.padded_shape(200, 200), std::make_pair(210, 210));  // 200 + 10 = 2 3 5 7
  EXPECT_EQ(conv.padded_shape(5, 100), std::make_pair(15, 112));     // 110 = 2 5 11 -> 112 = 2^4 7
}

TEST(FftConvolver, PreservesFluxOfASourceInsideTheImage) {
  // A Gaussian source (sigma 3 px) in the middle of 120x120, Moffat kernel of radius 25 px: the
  // flux within 35 px of the border is < 1e-30, so nothing leaves the image.
  ImageF img(120, 120);
  for (int i = 0; i < 120; ++i)
    for (int j = 0; j < 120; ++j) img(i, j) = std::exp(-((i - 58.3) * (i - 58.3) + (j - 61.0) * (j - 61.0)) / 18.0);
  const FftConvolver conv(moffat_kernel({.fwhm = 0.6, .beta = 3.0, .pixel_scale = 0.1, .radius = 25}));
  const ImageF out = conv.convolve(img);
  EXPECT_NEAR(sum(out) / sum(img), 1.0, 1e-6);
  EXPECT_LT(max_abs(out), max_abs(img));  // blurred
}

TEST(FftConvolver, OutputMayAliasTheInput) {
  const FftConvolver conv(random_kernel(5, 3));
  ImageF img = random_image(20, 13, 5);
  const ImageF expected = conv.convolve(img);
  conv.convolve(img, img);
  EXPECT_EQ(max_abs_diff(img, expected), 0.0);
}

TEST(FftConvolver, ConcurrentConvolutionsEqualSerialOnes) {
  // Many TBB threads share one fresh convolver (so they also race to create the cached plans and
  // kernel transforms of two padded shapes); each result must equal, bit for bit, the same
  // convolution done afterwards on one thread. The work is short, so each task first waits (up
  // to 2 s) until a second thread has joined, which makes the overlap certain.
  tbb::global_control allow(tbb::global_control::max_allowed_parallelism, 4);
  tbb::task_arena arena(4);
  const FftConvolver conv(random_kernel(9, 11));
  constexpr int kTasks = 48;
  std::vector<ImageF> inputs, concurrent(kTasks);
  for (int t = 0; t < kTasks; ++t) inputs.push_back(random_image(t % 2 ? 40 : 33, t % 2 ? 40 : 50, 1000 + t));
  std::mutex m;
  std::set<std::thread::id> threads;
  std::atomic<std::size_t> joined{0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  arena.execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<int>(0, kTasks, 1),
        [&](const tbb::blocked_range<int>& r) {
          {
            std::lock_guard<std::mutex> lock(m);
            threads.insert(std::this_thread::get_id());
            joined = threads.size();
          }
          while (joined.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
          for (int t = r.begin(); t < r.end(); ++t) concurrent[t] = conv.convolve(inputs[t]);
        },
        tbb::simple_partitioner());
  });
  EXPECT_GE(threads.size(), 2u);
  for (int t = 0; t < kTasks; ++t) EXPECT_EQ(max_abs_diff(concurrent[t], conv.convolve(inputs[t])), 0.0) << t;
}

TEST(FftConvolver, MeasuredPlansGiveTheSameConvolution) {
  const PsfKernel k = random_kernel(7, 21);
  const ImageF img = random_image(24, 18, 9);
  const ImageF a = FftConvolver(k, FftConvolver::Planning::Measure).convolve(img);
  EXPECT_LT(max_abs_diff(a, convolve_direct(img, k)), 1e-5 * max_abs(a));
}

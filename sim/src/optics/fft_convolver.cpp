#include "lensforge/sim/optics/fft_convolver.hpp"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "fftw_handles.hpp"

namespace lensforge {

int fft_friendly_size(int n) {
  for (int m = std::max(n, 1);; ++m) {
    int r = m;
    for (int f : {2, 3, 5, 7})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

namespace {

/// One calling thread's work buffers for one padded shape.
struct Workspace {
  detail::FftwfBuffer<float> real;          // py x px, row-major
  detail::FftwfBuffer<fftwf_complex> spec;  // py x (px/2 + 1)
};

/// Everything that depends on the padded shape: plans, kernel spectrum, per-thread buffers.
struct PaddedTransforms {
  int py = 0, px = 0;
  detail::FftwfPlan r2c, c2r;
  /// Kernel transform, the kernel wrapped so that its centre sits at (0, 0) and scaled by
  /// 1/(py px), which makes the unnormalised inverse FFT return the convolution itself.
  detail::FftwfBuffer<fftwf_complex> kernel_spectrum;
  tbb::enumerable_thread_specific<Workspace> workspaces;

  PaddedTransforms(int py_, int px_, const ImageF& kernel, unsigned flags)
      : py(py_), px(px_), workspaces([n_real = real_size(py_, px_), n_spec = spec_size(py_, px_)] {
          return Workspace{detail::FftwfBuffer<float>(n_real), detail::FftwfBuffer<fftwf_complex>(n_spec)};
        }) {
    kernel_spectrum = detail::FftwfBuffer<fftwf_complex>(spec_size(py, px));
    detail::FftwfBuffer<float> real(real_size(py, px));
    {
      // Plans made on these buffers run on any other fftwf_malloc'd ones (same alignment).
      std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
      r2c = detail::FftwfPlan(fftwf_plan_dft_r2c_2d(py, px, real.data(), kernel_spectrum.data(), flags));
      c2r = detail::FftwfPlan(fftwf_plan_dft_c2r_2d(py, px, kernel_spectrum.data(), real.data(), flags));
    }
    if (!r2c || !c2r) throw std::runtime_error("FftConvolver: FFTW could not make a plan");
    // Planning with FFTW_MEASURE overwrites the buffers: fill them only now.
    std::memset(real.data(), 0, real.size() * sizeof(float));
    const int n = static_cast<int>(kernel.rows()), r = n / 2;
    const float norm = 1.0f / (float(py) * float(px));
    for (int p = 0; p < n; ++p)
      for (int q = 0; q < n; ++q) {
        const int i = (p - r + py) % py, j = (q - r + px) % px;
        real.data()[std::size_t(i) * px + j] += kernel(p, q) * norm;  // taps may share a slot
      }
    fftwf_execute_dft_r2c(r2c.get(), real.data(), kernel_spectrum.data());
  }

  static std::size_t real_size(int py, int px) { return std::size_t(py) * std::size_t(px); }
  static std::size_t spec_size(int py, int px) { return std::size_t(py) * std::size_t(px / 2 + 1); }
};

}  // namespace

struct FftConvolver::Impl {
  Impl(PsfKernel k, unsigned f) : kernel(std::move(k)), flags(f) {}

  PsfKernel kernel;
  unsigned flags;  // FFTW planner flags
  std::mutex cache_mutex;
  std::map<std::pair<int, int>, std::unique_ptr<PaddedTransforms>> cache;  // by padded shape

  /// The transforms of a padded shape, made on first use. Entries live as long as the convolver
  /// and never move, so the reference stays valid without the lock.
  PaddedTransforms& transforms(int py, int px) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto& slot = cache[{py, px}];
    if (!slot) slot = std::make_unique<PaddedTransforms>(py, px, kernel.pixels(), flags);
    return *slot;
  }
};

FftConvolver::FftConvolver(PsfKernel kernel, Planning planning)
    : impl_(std::make_unique<Impl>(std::move(kernel),
                                   planning == Planning::Measure ? unsigned(FFTW_MEASURE) : unsigned(FFTW_ESTIMATE))) {}
FftConvolver::~FftConvolver() = default;
FftConvolver::FftConvolver(FftConvolver&&) noexcept = default;
FftConvolver& FftConvolver::operator=(FftConvolver&&) noexcept = default;

const PsfKernel& FftConvolver::kernel() const { return impl_->kernel; }

std::pair<int, int> FftConvolver::padded_shape(int rows, int cols) const {
  const int r = impl_->kernel.radius();
  return {fft_friendly_size(rows + r), fft_friendly_size(cols + r)};
}

void FftConvolver::convolve(const ImageF& image, ImageF& out) const {
  const int rows = static_cast<int>(image.rows()), cols = static_cast<int>(image.cols());
  if (rows == 0 || cols == 0) {
    out.resize(rows, cols);
    return;
  }
  const auto [py, px] = padded_shape(rows, cols);
  PaddedTransforms& t = impl_->transforms(py, px);
  Workspace& w = t.workspaces.local();
  float* real = w.real.data();
  fftwf_complex* spec = w.spec.data();

  for (int i = 0; i < rows; ++i) {
    std::memcpy(real + std::size_t(i) * px, image.row(i).data(), sizeof(float) * cols);
    std::memset(real + std::size_t(i) * px + cols, 0, sizeof(float) * (px - cols));
  }
  std::memset(real + std::size_t(rows) * px, 0, sizeof(float) * std::size_t(py - rows) * px);

  fftwf_execute_dft_r2c(t.r2c.get(), real, spec);
  const fftwf_complex* ks = t.kernel_spectrum.data();
  const std::size_t n_spec = PaddedTransforms::spec_size(py, px);
  for (std::size_t k = 0; k < n_spec; ++k) {
    const float a = spec[k][0], b = spec[k][1], c = ks[k][0], d = ks[k][1];
    spec[k][0] = a * c - b * d;
    spec[k][1] = a * d + b * c;
  }
  fftwf_execute_dft_c2r(t.c2r.get(), spec, real);

  out.resize(rows, cols);  // after reading `image`, which may be `out`
  for (int i = 0; i < rows; ++i) std::memcpy(out.row(i).data(), real + std::size_t(i) * px, sizeof(float) * cols);
}

ImageF FftConvolver::convolve(const ImageF& image) const {
  ImageF out;
  convolve(image, out);
  return out;
}

}  // namespace lensforge

#pragma once
// Internal RAII owners of FFTW (single precision) resources, and the lock around FFTW's planner.
// FFTW's planner (plan creation and destruction, wisdom) shares global state and is not
// thread-safe; only fftwf_execute* may run concurrently. Every fftwf_plan_* and
// fftwf_destroy_plan call in lensforge must hold fftw_planner_mutex().
#include <fftw3.h>

#include <cstddef>
#include <mutex>
#include <new>
#include <utility>

namespace lensforge::detail {

/// The one process-wide mutex serialising FFTW planner calls (FFTW's own planner state is
/// process-wide, so the guard must be too).
inline std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

/// A buffer from fftwf_malloc (SIMD-aligned, so that plans made on one such buffer may execute
/// on any other via the new-array execute functions). Contents are uninitialised.
template <class T>
class FftwfBuffer {
 public:
  FftwfBuffer() = default;
  explicit FftwfBuffer(std::size_t n) : n_(n), p_(static_cast<T*>(fftwf_malloc(n * sizeof(T)))) {
    if (n > 0 && p_ == nullptr) throw std::bad_alloc();
  }
  FftwfBuffer(FftwfBuffer&& o) noexcept : n_(std::exchange(o.n_, 0)), p_(std::exchange(o.p_, nullptr)) {}
  FftwfBuffer& operator=(FftwfBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      n_ = std::exchange(o.n_, 0);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  FftwfBuffer(const FftwfBuffer&) = delete;
  FftwfBuffer& operator=(const FftwfBuffer&) = delete;
  ~FftwfBuffer() { reset(); }

  T* data() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  void reset() {
    if (p_ != nullptr) fftwf_free(p_);  // fftwf_free is thread-safe
    p_ = nullptr;
    n_ = 0;
  }
  std::size_t n_ = 0;
  T* p_ = nullptr;
};

/// An fftwf_plan, destroyed under the planner lock.
class FftwfPlan {
 public:
  FftwfPlan() = default;
  /// Takes ownership of a plan made by the caller while holding fftw_planner_mutex().
  explicit FftwfPlan(fftwf_plan p) : p_(p) {}
  FftwfPlan(FftwfPlan&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  FftwfPlan& operator=(FftwfPlan&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  FftwfPlan(const FftwfPlan&) = delete;
  FftwfPlan& operator=(const FftwfPlan&) = delete;
  ~FftwfPlan() { reset(); }

  fftwf_plan get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  void reset() {
    if (p_ != nullptr) {
      std::lock_guard<std::mutex> lock(fftw_planner_mutex());
      fftwf_destroy_plan(p_);
      p_ = nullptr;
    }
  }
  fftwf_plan p_ = nullptr;
};

}  // namespace lensforge::detail

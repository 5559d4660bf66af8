#pragma once
// Internal: the scalar pieces of the Poisson samplers, shared by Rng::poisson (rng.cpp) and the
// batched sample_poisson_inplace (rng_kernels.cpp). Defined in rng.cpp, which is compiled without
// -ffast-math, so these are the exact reference computations.
#include <cstdint>

#include "lensforge/sim/core/rng.hpp"

namespace lensforge::detail {

/// Poisson deviate of mean lambda in (0, ~700) by inversion (sequential search from 0) of the
/// uniform p in [0, 1).
std::uint64_t poisson_inversion(double lambda, double p);

/// PTRS, transformed rejection with squeeze (Hoermann 1993, "The transformed rejection method for
/// generating Poisson random variables"), for one mean lambda >= 10. A pair is (u, v) with
/// u = uniform() - 0.5 in [-0.5, 0.5) and v = uniform() in [0, 1), drawn in that order.
class Ptrs {
 public:
  explicit Ptrs(double lambda);

  /// The candidate floor((2a / us + b) u + lambda + 0.43), us = 0.5 - |u|.
  double candidate(double u) const;

  /// Hoermann's acceptance of the candidate k of the pair (u, v): the squeeze
  /// (us >= 0.07 and v <= v_r), the quick rejection (k < 0, or us < 0.013 and v > us), then the
  /// full test log(v) + log(1/alpha) - log(a / us^2 + b) <= -lambda + k log(lambda) - log(k!).
  /// The constants of the full test (two logs) are made on its first use.
  bool accept(double u, double v, double k);

  /// Draws pairs from `rng` until one is accepted; returns its candidate.
  std::uint64_t draw(Rng& rng);

 private:
  double lambda_, a_, b_, vr_;
  double log_invalpha_ = 0.0, loglam_ = 0.0;
  bool have_logs_ = false;
};

}  // namespace lensforge::detail

#include "lensforge/sim/core/rng.hpp"

namespace lensforge {

std::uint64_t Rng::poisson(double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda < 30.0) {
    // Inversion by sequential search.
    const double l = std::exp(-lambda);
    std::uint64_t k = 0;
    double p = uniform();
    double prob = l;
    while (p > prob) {
      p -= prob;
      ++k;
      prob *= lambda / double(k);
      if (prob <= 0.0) break;
    }
    return k;
  }
  // PTRS: transformed rejection with squeeze (Hoermann 1993, "The transformed rejection method
  // for generating Poisson random variables").
  // The constants of the full acceptance test (two logs, a division) are made only when the
  // squeeze does not accept, which is rare (~10% of draws).
  const double b = 0.931 + 2.53 * std::sqrt(lambda), a = -0.059 + 0.02483 * b;
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  double log_invalpha = 0.0, loglam = 0.0;
  bool have_logs = false;
  while (true) {
    const double u = uniform() - 0.5, v = uniform();
    const double us = 0.5 - std::abs(u);
    const double k = std::floor((2.0 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return std::uint64_t(k);
    if (k < 0.0 || (us < 0.013 && v > us)) continue;
    if (!have_logs) {
      log_invalpha = std::log(1.1239 + 1.1328 / (b - 3.4));
      loglam = std::log(lambda);
      have_logs = true;
    }
    if (std::log(v) + log_invalpha - std::log(a / (us * us) + b) <= -lambda + k * loglam - std::lgamma(k + 1.0))
      return std::uint64_t(k);
  }
}

}  // namespace lensforge

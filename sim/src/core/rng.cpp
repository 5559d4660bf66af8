#include "lensforge/sim/core/rng.hpp"

#include "poisson_ptrs.hpp"

namespace lensforge {

namespace detail {

std::uint64_t poisson_inversion(double lambda, double p) {
  const double l = std::exp(-lambda);
  std::uint64_t k = 0;
  double prob = l;
  while (p > prob) {
    p -= prob;
    ++k;
    prob *= lambda / double(k);
    if (prob <= 0.0) break;
  }
  return k;
}

Ptrs::Ptrs(double lambda) : lambda_(lambda) {
  b_ = 0.931 + 2.53 * std::sqrt(lambda);
  a_ = -0.059 + 0.02483 * b_;
  vr_ = 0.9277 - 3.6224 / (b_ - 2.0);
}

double Ptrs::candidate(double u) const {
  const double us = 0.5 - std::abs(u);
  return std::floor((2.0 * a_ / us + b_) * u + lambda_ + 0.43);
}

bool Ptrs::accept(double u, double v, double k) {
  const double us = 0.5 - std::abs(u);
  if (us >= 0.07 && v <= vr_) return true;
  if (k < 0.0 || (us < 0.013 && v > us)) return false;
  // The squeeze accepts ~75% of pairs, so the logs are made only when needed.
  if (!have_logs_) {
    log_invalpha_ = std::log(1.1239 + 1.1328 / (b_ - 3.4));
    loglam_ = std::log(lambda_);
    have_logs_ = true;
  }
  return std::log(v) + log_invalpha_ - std::log(a_ / (us * us) + b_) <=
         -lambda_ + k * loglam_ - std::lgamma(k + 1.0);
}

std::uint64_t Ptrs::draw(Rng& rng) {
  while (true) {
    const double u = rng.uniform() - 0.5, v = rng.uniform();
    const double k = candidate(u);
    if (accept(u, v, k)) return std::uint64_t(k);
  }
}

}  // namespace detail

std::uint64_t Rng::poisson(double lambda) {
  if (!(lambda > 0.0)) return 0;
  if (lambda < 30.0) return detail::poisson_inversion(lambda, uniform());
  return detail::Ptrs(lambda).draw(*this);
}

}  // namespace lensforge

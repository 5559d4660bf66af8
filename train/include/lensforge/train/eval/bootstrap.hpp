#pragma once
// Percentile bootstrap confidence intervals for any scalar statistic of a set of examples
// (Efron & Tibshirani 1993, ch. 13). Resample r draws its indices from Rng(seed, r), so the result
// depends only on (seed, resamples), never on threads.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lensforge/train/eval/confidence_interval.hpp"

namespace lensforge::eval {

struct BootstrapOptions {
  int resamples = 1000;     ///< [1, 1e6]
  double level = 0.95;      ///< (0, 1)
  std::uint64_t seed = 0;
  std::string validate() const;
};

/// The statistic of the examples at `indices` (repeats allowed), e.g. AUROC of those scores.
/// NaN is allowed (e.g. a resample without negatives): such resamples are left out.
using Statistic = std::function<double(std::span<const std::int64_t> indices)>;

struct BootstrapInterval : ConfidenceInterval {
  int valid_resamples = 0;  ///< resamples with a finite statistic
};

/// value = statistic of all n examples (indices 0..n-1); [lower, upper] = the (1 -/+ level) / 2
/// quantiles (linear interpolation) of the finite resample values; NaN bounds when none is finite.
/// `strata` (empty, or one value per example, e.g. the labels): resample within each stratum,
/// keeping its size, so every resample has the same class balance. ConfigError for n < 1, strata
/// of the wrong length or invalid options.
BootstrapInterval bootstrap_interval(std::int64_t n, const Statistic& statistic, const BootstrapOptions& options,
                                     std::span<const int> strata = {});

/// Several statistics of one resample at once (e.g. AUROC, TPR0 and TPR10 from one ROC curve).
using MultiStatistic = std::function<std::vector<double>(std::span<const std::int64_t> indices)>;

/// bootstrap_interval for `count` statistics computed together; every call of `statistic` must
/// return `count` values (ConfigError otherwise). Result k is the interval of statistic k.
std::vector<BootstrapInterval> bootstrap_intervals(std::int64_t n, int count, const MultiStatistic& statistic,
                                                   const BootstrapOptions& options, std::span<const int> strata = {});

/// values[indices[i]] for each i (a resample's copy of a per-example array).
template <class T>
std::vector<T> gather(std::span<const T> values, std::span<const std::int64_t> indices) {
  std::vector<T> out;
  out.reserve(indices.size());
  for (const std::int64_t i : indices) out.push_back(values[std::size_t(i)]);
  return out;
}

/// Quantile q in [0, 1] of `sorted` (ascending, non-empty), linear interpolation as numpy's default.
double sorted_quantile(std::span<const double> sorted, double q);

}  // namespace lensforge::eval

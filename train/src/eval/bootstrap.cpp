#include "lensforge/train/eval/bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"

namespace lensforge::eval {

std::string BootstrapOptions::validate() const {
  if (resamples < 1 || resamples > 1000000)
    return fmt::format("bootstrap.resamples = {}: must be in [1, 1000000]", resamples);
  if (!(level > 0.0 && level < 1.0)) return fmt::format("bootstrap.level = {}: must be in (0, 1)", level);
  return "";
}

double sorted_quantile(std::span<const double> sorted, double q) {
  const double pos = q * double(sorted.size() - 1);
  const auto k = std::size_t(std::floor(pos));
  if (k + 1 >= sorted.size()) return sorted.back();
  return sorted[k] + (pos - double(k)) * (sorted[k + 1] - sorted[k]);
}

std::vector<BootstrapInterval> bootstrap_intervals(std::int64_t n, int count, const MultiStatistic& statistic,
                                                   const BootstrapOptions& options, std::span<const int> strata) {
  if (const std::string e = options.validate(); !e.empty()) throw ConfigError(e);
  if (n < 1) throw ConfigError(fmt::format("bootstrap_interval: n = {}: need at least one example", n));
  if (count < 1) throw ConfigError(fmt::format("bootstrap_intervals: count = {}: must be >= 1", count));
  if (!strata.empty() && std::int64_t(strata.size()) != n)
    throw ConfigError(fmt::format("bootstrap_interval: {} strata for {} examples", strata.size(), n));
  auto evaluate = [&](std::span<const std::int64_t> idx) {
    std::vector<double> v = statistic(idx);
    if (v.size() != std::size_t(count))
      throw ConfigError(fmt::format("bootstrap_intervals: the statistic returned {} values, expected {}", v.size(), count));
    return v;
  };

  // Members of each stratum in index order (one stratum of everything when none are given).
  std::vector<std::vector<std::int64_t>> groups;
  if (strata.empty()) {
    groups.emplace_back(static_cast<std::size_t>(n));
    std::iota(groups[0].begin(), groups[0].end(), std::int64_t(0));
  } else {
    std::map<int, std::vector<std::int64_t>> by_value;
    for (std::int64_t i = 0; i < n; ++i) by_value[strata[std::size_t(i)]].push_back(i);
    for (auto& [value, members] : by_value) groups.push_back(std::move(members));
  }

  std::vector<std::int64_t> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), std::int64_t(0));
  std::vector<BootstrapInterval> out(static_cast<std::size_t>(count));
  const std::vector<double> full = evaluate(all);
  for (int k = 0; k < count; ++k) {
    out[std::size_t(k)].value = full[std::size_t(k)];
    out[std::size_t(k)].level = options.level;
  }

  std::vector<std::vector<double>> values(static_cast<std::size_t>(count));
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  for (int r = 0; r < options.resamples; ++r) {
    Rng rng(options.seed, std::uint64_t(r));
    std::size_t pos = 0;
    for (const auto& g : groups)
      for (std::size_t k = 0; k < g.size(); ++k) idx[pos++] = g[rng.below(g.size())];
    const std::vector<double> v = evaluate(idx);
    for (int k = 0; k < count; ++k)
      if (std::isfinite(v[std::size_t(k)])) values[std::size_t(k)].push_back(v[std::size_t(k)]);
  }
  for (int k = 0; k < count; ++k) {
    auto& vk = values[std::size_t(k)];
    BootstrapInterval& o = out[std::size_t(k)];
    o.valid_resamples = int(vk.size());
    if (vk.empty()) continue;
    std::sort(vk.begin(), vk.end());
    o.lower = sorted_quantile(vk, 0.5 * (1.0 - options.level));
    o.upper = sorted_quantile(vk, 0.5 * (1.0 + options.level));
  }
  return out;
}

BootstrapInterval bootstrap_interval(std::int64_t n, const Statistic& statistic, const BootstrapOptions& options,
                                     std::span<const int> strata) {
  return bootstrap_intervals(
      n, 1, [&](std::span<const std::int64_t> idx) { return std::vector<double>{statistic(idx)}; }, options, strata)[0];
}

}  // namespace lensforge::eval

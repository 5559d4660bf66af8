#include "lensforge/train/eval/completeness.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/binary_labels.hpp"
#include "lensforge/train/eval/bootstrap.hpp"

namespace lensforge::eval {

std::vector<CompletenessBin> completeness_by_subtype(std::span<const double> scores, std::span<const int> labels,
                                                     std::span<const std::string> subtypes, double threshold,
                                                     double level) {
  check_scores_and_labels(scores, labels, "completeness_by_subtype");
  if (subtypes.size() != scores.size())
    throw ConfigError(fmt::format("completeness_by_subtype: {} subtypes for {} scores", subtypes.size(), scores.size()));
  // Key (-label, name): positives first, then by name.
  std::map<std::pair<int, std::string>, std::pair<std::int64_t, std::int64_t>> counts;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    auto& c = counts[{-labels[i], subtypes[i]}];
    c.first += 1;
    c.second += scores[i] >= threshold;
  }
  std::vector<CompletenessBin> out;
  for (const auto& [key, c] : counts) {
    CompletenessBin b;
    b.name = key.second;
    b.label = -key.first;
    b.count = c.first;
    b.selected = c.second;
    b.fraction = wilson_interval(c.second, c.first, level);
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<CompletenessBin> completeness_binned(std::span<const double> scores, std::span<const int> labels,
                                                 std::span<const double> variable, std::span<const double> edges,
                                                 double threshold, double level) {
  check_scores_and_labels(scores, labels, "completeness_binned");
  if (variable.size() != scores.size())
    throw ConfigError(fmt::format("completeness_binned: {} variable values for {} scores", variable.size(), scores.size()));
  if (edges.size() < 2) throw ConfigError(fmt::format("completeness_binned: {} edges: need at least 2", edges.size()));
  for (std::size_t k = 0; k < edges.size(); ++k) {
    if (!std::isfinite(edges[k]) || (k > 0 && !(edges[k] > edges[k - 1])))
      throw ConfigError(fmt::format("completeness_binned: edges[{}] = {}: edges must be finite and strictly increasing",
                                    k, edges[k]));
  }
  const std::size_t nb = edges.size() - 1;
  std::vector<CompletenessBin> out(nb);
  std::vector<double> sum(nb, 0.0);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double v = variable[i];
    if (labels[i] != 1 || !std::isfinite(v) || v < edges.front() || v > edges.back()) continue;
    std::size_t b = std::size_t(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()) - 1;
    b = std::min(b, nb - 1);  // v == edges.back(): the last bin is closed
    out[b].count += 1;
    out[b].selected += scores[i] >= threshold;
    sum[b] += v;
  }
  for (std::size_t b = 0; b < nb; ++b) {
    out[b].name = fmt::format("{:.4g}-{:.4g}", edges[b], edges[b + 1]);
    out[b].label = 1;
    out[b].low = edges[b];
    out[b].high = edges[b + 1];
    if (out[b].count > 0) out[b].centre = sum[b] / double(out[b].count);
    out[b].fraction = wilson_interval(out[b].selected, out[b].count, level);
  }
  return out;
}

std::vector<double> quantile_edges(std::span<const double> values, int bins) {
  if (bins < 1) throw ConfigError(fmt::format("quantile_edges: bins = {}: must be >= 1", bins));
  std::vector<double> finite;
  for (const double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  std::sort(finite.begin(), finite.end());
  if (finite.empty() || finite.front() == finite.back()) return {};
  std::vector<double> edges;
  for (int k = 0; k <= bins; ++k) {
    const double e = sorted_quantile(finite, double(k) / bins);
    if (edges.empty() || e > edges.back()) edges.push_back(e);
  }
  return edges;
}

}  // namespace lensforge::eval

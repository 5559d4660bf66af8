#include "lensforge/train/eval/reliability_diagram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/binary_labels.hpp"

namespace lensforge::eval {

std::vector<ReliabilityBin> reliability_diagram(std::span<const double> probabilities, std::span<const int> labels,
                                                int bins, double level) {
  check_scores_and_labels(probabilities, labels, "reliability_diagram");
  if (bins < 1 || bins > 10000) throw ConfigError(fmt::format("reliability_diagram: bins = {}: must be in [1, 10000]", bins));
  std::vector<ReliabilityBin> out(static_cast<std::size_t>(bins));
  std::vector<double> sum(std::size_t(bins), 0.0);
  std::vector<std::int64_t> positives(std::size_t(bins), 0);
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double p = probabilities[i];
    if (!(p >= 0.0 && p <= 1.0))
      throw ConfigError(fmt::format("reliability_diagram: probability[{}] = {}: must be in [0, 1]", i, p));
    const auto b = std::min(std::size_t(p * bins), std::size_t(bins) - 1);
    out[b].count += 1;
    sum[b] += p;
    positives[b] += labels[i];
  }
  for (std::size_t b = 0; b < out.size(); ++b) {
    out[b].low = double(b) / bins;
    out[b].high = double(b + 1) / bins;
    out[b].mean_probability =
        out[b].count > 0 ? sum[b] / double(out[b].count) : std::numeric_limits<double>::quiet_NaN();
    out[b].positive_fraction = wilson_interval(positives[b], out[b].count, level);
  }
  return out;
}

double expected_calibration_error(const std::vector<ReliabilityBin>& bins) {
  std::int64_t n = 0;
  double sum = 0.0;
  for (const auto& b : bins) {
    if (b.count == 0) continue;
    n += b.count;
    sum += double(b.count) * std::abs(b.positive_fraction.value - b.mean_probability);
  }
  return n > 0 ? sum / double(n) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace lensforge::eval

#include "lensforge/train/eval/temperature_scaling.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/eval/binary_labels.hpp"

namespace lensforge::eval {
namespace {

/// log(1 + exp(x)) without overflow.
double softplus(double x) { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

}  // namespace

double binary_nll(std::span<const double> logits, std::span<const int> labels, double temperature) {
  check_scores_and_labels(logits, labels, "binary_nll");
  if (!(temperature > 0.0 && std::isfinite(temperature)))
    throw ConfigError(fmt::format("binary_nll: temperature = {}: must be > 0", temperature));
  if (logits.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i] / temperature;
    sum += labels[i] == 1 ? softplus(-z) : softplus(z);  // -log sigmoid(z), -log(1 - sigmoid(z))
  }
  return sum / double(logits.size());
}

TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int> labels, double min_temperature,
                               double max_temperature) {
  check_scores_and_labels(logits, labels, "fit_temperature");
  for (std::size_t i = 0; i < logits.size(); ++i)
    if (!std::isfinite(logits[i])) throw ConfigError(fmt::format("fit_temperature: logit[{}] = {} is not finite", i, logits[i]));
  const std::int64_t p = count_positives(labels);
  if (p == 0 || p == std::int64_t(labels.size()))
    throw ConfigError(fmt::format("fit_temperature: {} positives of {} examples: both classes are needed", p, labels.size()));
  if (!(min_temperature > 0.0 && min_temperature < max_temperature && std::isfinite(max_temperature)))
    throw ConfigError(fmt::format("fit_temperature: temperature range [{}, {}]: need 0 < min < max", min_temperature,
                                  max_temperature));

  TemperatureFit fit;
  fit.nll_before = binary_nll(logits, labels, 1.0);
  auto f = [&](double log_t) { return binary_nll(logits, labels, std::exp(log_t)); };
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);  // 1 / golden ratio
  double a = std::log(min_temperature), b = std::log(max_temperature);
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = f(c), fd = f(d);
  while (b - a > 1e-9) {
    if (fc <= fd) {  // the minimum lies in [a, d]
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
    ++fit.iterations;
  }
  const double log_t = 0.5 * (a + b);
  fit.temperature = std::exp(log_t);
  fit.nll_after = f(log_t);
  const double tol = 1e-6;
  fit.at_bound = log_t - std::log(min_temperature) < tol || std::log(max_temperature) - log_t < tol;
  return fit;
}

std::vector<double> calibrated_probabilities(std::span<const double> logits, double temperature) {
  if (!(temperature > 0.0 && std::isfinite(temperature)))
    throw ConfigError(fmt::format("calibrated_probabilities: temperature = {}: must be > 0", temperature));
  std::vector<double> out;
  out.reserve(logits.size());
  for (const double z : logits) out.push_back(1.0 / (1.0 + std::exp(-z / temperature)));
  return out;
}

}  // namespace lensforge::eval

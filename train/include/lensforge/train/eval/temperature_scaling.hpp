#pragma once
// Temperature scaling (Guo et al. 2017): probability = sigmoid(logit / T) with the one parameter
// T > 0 fitted on validation logits by minimising the mean binary cross-entropy (NLL). The NLL is
// convex in 1/T (logistic regression through the origin), hence unimodal in log T, so a
// golden-section search on log T over [min_temperature, max_temperature] finds the optimum.
#include <cstdint>
#include <span>
#include <vector>

namespace lensforge::eval {

struct TemperatureFit {
  double temperature = 1.0;
  double nll_before = 0.0;  ///< mean NLL at T = 1
  double nll_after = 0.0;   ///< mean NLL at the fitted T
  bool at_bound = false;    ///< the optimum lies on a search bound (e.g. separable data: T -> 0)
  int iterations = 0;
};

/// Mean binary cross-entropy of sigmoid(logit / temperature) (temperature > 0), computed stably
/// (softplus), nats per example. NaN for no examples.
double binary_nll(std::span<const double> logits, std::span<const int> labels, double temperature = 1.0);

/// Fits T on (logits, labels): both classes must be present, logits finite, 0 < min < max
/// (ConfigError otherwise). The search stops when the bracket is narrower than 1e-9 in log T.
TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int> labels,
                               double min_temperature = 1e-2, double max_temperature = 1e2);

/// sigmoid(logit / temperature) for each logit.
std::vector<double> calibrated_probabilities(std::span<const double> logits, double temperature);

}  // namespace lensforge::eval

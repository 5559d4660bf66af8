#include "lensforge/train/eval/set_predictions.hpp"

#include <cmath>

#include <fmt/format.h>

namespace lensforge::eval {

std::string SetPredictions::validate() const {
  const std::size_t n = labels.size();
  auto check = [&](std::size_t size, const std::string& what) -> std::string {
    if (size != 0 && size != n) return fmt::format("set '{}': {} has {} entries for {} examples", name, what, size, n);
    return "";
  };
  std::string e;
  auto first = [&](std::string m) {
    if (e.empty()) e = std::move(m);
  };
  first(check(indices.size(), "indices"));
  first(check(subtypes.size(), "subtypes"));
  first(check(logits.size(), "logits"));
  first(check(probability_std.size(), "probability_std"));
  for (const auto& v : variables) first(check(v.values.size(), "variable " + v.name));
  for (const auto& t : targets) {
    if (t.truth.size() != n || t.mean.size() != n)
      first(fmt::format("set '{}': target {} has {} truths and {} predictions for {} examples", name, t.name,
                        t.truth.size(), t.mean.size(), n));
    first(check(t.sigma.size(), "target " + t.name + " sigma"));
    first(check(t.sigma_epistemic.size(), "target " + t.name + " sigma_epistemic"));
  }
  for (std::size_t i = 0; i < n && e.empty(); ++i)
    if (labels[i] != 0 && labels[i] != 1) first(fmt::format("set '{}': label[{}] = {}: must be 0 or 1", name, i, labels[i]));
  if (!(temperature > 0.0 && std::isfinite(temperature)))
    first(fmt::format("set '{}': temperature = {}: must be > 0", name, temperature));
  return e;
}

}  // namespace lensforge::eval

// fit_target_scaling: standardisation of the regression targets from the source's label values.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <tbb/parallel_for.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"

namespace lensforge::train {

TargetScaling fit_target_scaling(const ExampleSource& source, const TaskSpec& task, std::int64_t max_examples) {
  if (auto e = task.validate(); !e.empty()) throw ConfigError("task." + e);
  TargetScaling s;
  if (task.targets.empty()) return s;
  if (max_examples < 1)
    throw ConfigError(fmt::format("fit_target_scaling: max_examples = {} must be >= 1", max_examples));
  const std::vector<std::string>& columns = source.columns();
  auto column = [&](const std::string& name, const char* why) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    if (it == columns.end())
      throw ConfigError(fmt::format("{}: column '{}' is not read by {} (its columns: {})", why, name, source.describe(),
                                    fmt::join(columns, ", ")));
    return std::size_t(it - columns.begin());
  };
  std::vector<std::size_t> target_column;
  for (const std::string& t : task.targets) target_column.push_back(column(t, "task.targets"));
  const std::size_t class_column = task.regress_positives_only ? column("class", "task.regress_positives_only") : 0;

  // Label values of the first n examples (files: from memory; online: simulated, in parallel).
  const std::int64_t n = std::min(source.size(), max_examples);
  std::vector<std::vector<double>> values(static_cast<std::size_t>(n));
  tbb::parallel_for(std::int64_t(0), n, [&](std::int64_t i) { values[std::size_t(i)] = source.labels(i); });

  for (std::size_t t = 0; t < task.targets.size(); ++t) {
    // Two passes in index order: the result does not depend on threads.
    double sum = 0.0;
    std::int64_t count = 0;
    auto use = [&](const std::vector<double>& v) {
      return std::isfinite(v[target_column[t]]) && (!task.regress_positives_only || v[class_column] == 1.0);
    };
    for (const auto& v : values)
      if (use(v)) {
        sum += v[target_column[t]];
        ++count;
      }
    if (count == 0)
      throw ConfigError(fmt::format("task.targets: '{}' has no finite value{} among the first {} examples of {}",
                                    task.targets[t], task.regress_positives_only ? " on a positive" : "", n,
                                    source.describe()));
    const double mean = sum / double(count);
    double ss = 0.0;
    for (const auto& v : values)
      if (use(v)) ss += (v[target_column[t]] - mean) * (v[target_column[t]] - mean);
    const double sd = std::sqrt(ss / double(count));
    s.names.push_back(task.targets[t]);
    s.mean.push_back(mean);
    // A constant target (e.g. lens_gamma = 2 for SIE-only data; rounding leaves ~1e-16 |mean|)
    // keeps its unit: scale 1.
    s.scale.push_back(sd > 1e-9 * std::abs(mean) && sd > 0.0 ? sd : 1.0);
  }
  return s;
}

}  // namespace lensforge::train

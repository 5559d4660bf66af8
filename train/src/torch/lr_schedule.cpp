#include "lr_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace lensforge::train::torch_impl {

LrSchedule::LrSchedule(const OptimSpec& spec, int epochs)
    : spec_(spec), epochs_(epochs), plateau_best_(std::numeric_limits<double>::infinity()) {}

double LrSchedule::lr(int epoch) const {
  const int w = std::max(0, spec_.warmup_epochs);
  const int e = std::max(0, epoch - w);
  double rate = spec_.learning_rate;
  switch (spec_.schedule) {
    case ScheduleKind::CONSTANT:
      break;
    case ScheduleKind::STEP:
      rate *= std::pow(spec_.gamma, double(e / std::max(1, spec_.step_epochs)));
      break;
    case ScheduleKind::COSINE: {
      const double span = std::max(1, epochs_ - w);
      rate = spec_.min_learning_rate +
             (spec_.learning_rate - spec_.min_learning_rate) * 0.5 * (1.0 + std::cos(std::numbers::pi * e / span));
      break;
    }
    case ScheduleKind::PLATEAU:
      rate = std::max(spec_.min_learning_rate, rate * std::pow(spec_.gamma, double(plateau_decays_)));
      break;
  }
  if (epoch < w) rate *= double(epoch + 1) / double(w + 1);
  return rate;
}

void LrSchedule::observe(double val_loss) {
  if (spec_.schedule != ScheduleKind::PLATEAU) return;
  if (val_loss < plateau_best_) {
    plateau_best_ = val_loss;
    plateau_bad_ = 0;
  } else if (++plateau_bad_ > spec_.plateau_patience) {
    ++plateau_decays_;
    plateau_bad_ = 0;
  }
}

nlohmann::json LrSchedule::state() const {
  // An infinite best (nothing observed yet) is stored as null.
  nlohmann::json best = std::isfinite(plateau_best_) ? nlohmann::json(plateau_best_) : nlohmann::json();
  return {{"plateau_best", best}, {"plateau_bad", plateau_bad_}, {"plateau_decays", plateau_decays_}};
}

void LrSchedule::restore(const nlohmann::json& state) {
  const auto& best = state.at("plateau_best");
  plateau_best_ = best.is_null() ? std::numeric_limits<double>::infinity() : best.get<double>();
  plateau_bad_ = state.at("plateau_bad").get<int>();
  plateau_decays_ = state.at("plateau_decays").get<int>();
}

}  // namespace lensforge::train::torch_impl

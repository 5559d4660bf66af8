#pragma once
// Internal: the words that stand for the config's enumerations, shared by the reader and the writer
// of training configs.
#include <array>
#include <string>
#include <vector>

#include "lensforge/train/model_card.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

template <class E>
struct EnumWord {
  E value;
  const char* word;  ///< lower case, as written in configs
};

inline constexpr std::array<EnumWord<BandGrid>, 2> kBandGridWords{{{BandGrid::FINEST, "finest"},
                                                                   {BandGrid::NATIVE, "native"}}};
inline constexpr std::array<EnumWord<Normalisation>, 3> kNormalisationWords{
    {{Normalisation::NONE, "none"}, {Normalisation::MINMAX, "minmax"}, {Normalisation::PERCENTILE, "percentile"}}};
inline constexpr std::array<EnumWord<Stretch>, 4> kStretchWords{
    {{Stretch::LINEAR, "linear"}, {Stretch::ASINH, "asinh"}, {Stretch::SQRT, "sqrt"}, {Stretch::LOG, "log"}}};
inline constexpr std::array<EnumWord<Architecture>, 2> kArchitectureWords{
    {{Architecture::CNN, "cnn"}, {Architecture::RESNET, "resnet"}}};
inline constexpr std::array<EnumWord<OptimizerKind>, 2> kOptimizerWords{
    {{OptimizerKind::ADAM, "adam"}, {OptimizerKind::ADAMW, "adamw"}}};
inline constexpr std::array<EnumWord<ScheduleKind>, 4> kScheduleWords{{{ScheduleKind::CONSTANT, "constant"},
                                                                       {ScheduleKind::STEP, "step"},
                                                                       {ScheduleKind::COSINE, "cosine"},
                                                                       {ScheduleKind::PLATEAU, "plateau"}}};

template <class E, std::size_t N>
const char* enum_word(const std::array<EnumWord<E>, N>& table, E value) {
  for (const auto& w : table)
    if (w.value == value) return w.word;
  return "?";
}

template <class E, std::size_t N>
std::vector<std::string> enum_words(const std::array<EnumWord<E>, N>& table) {
  std::vector<std::string> out;
  for (const auto& w : table) out.emplace_back(w.word);
  return out;
}

}  // namespace lensforge::train

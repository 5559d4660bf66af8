#pragma once
// Internal: the words that stand for the config's enumerations, shared by the reader and the writer
// of training configs.
#include <array>
#include <cassert>
#include <string>
#include <string_view>
#include <vector>

#include "lensforge/train/model_card.hpp"
#include "lensforge/train/train_config.hpp"

namespace lensforge::train {

template <class E>
struct EnumWord {
  E value;
  std::string_view word;  ///< lower case, as written in configs
};

// The data specs' words come from specs.hpp (shared with the checkpoints' JSON).
inline const std::array<EnumWord<BandGrid>, 2> kBandGridWords{
    {{BandGrid::FINEST, band_grid_name(BandGrid::FINEST)}, {BandGrid::NATIVE, band_grid_name(BandGrid::NATIVE)}}};
inline const std::array<EnumWord<Normalisation>, 3> kNormalisationWords{
    {{Normalisation::NONE, normalisation_name(Normalisation::NONE)},
     {Normalisation::MINMAX, normalisation_name(Normalisation::MINMAX)},
     {Normalisation::PERCENTILE, normalisation_name(Normalisation::PERCENTILE)}}};
inline const std::array<EnumWord<Stretch>, 4> kStretchWords{
    {{Stretch::LINEAR, stretch_name(Stretch::LINEAR)},
     {Stretch::ASINH, stretch_name(Stretch::ASINH)},
     {Stretch::SQRT, stretch_name(Stretch::SQRT)},
     {Stretch::LOG, stretch_name(Stretch::LOG)}}};
inline const std::array<EnumWord<Architecture>, 2> kArchitectureWords{
    {{Architecture::CNN, "cnn"}, {Architecture::RESNET, "resnet"}}};
inline const std::array<EnumWord<OptimizerKind>, 2> kOptimizerWords{
    {{OptimizerKind::ADAM, "adam"}, {OptimizerKind::ADAMW, "adamw"}}};
inline const std::array<EnumWord<ScheduleKind>, 4> kScheduleWords{{{ScheduleKind::CONSTANT, "constant"},
                                                                   {ScheduleKind::STEP, "step"},
                                                                   {ScheduleKind::COSINE, "cosine"},
                                                                   {ScheduleKind::PLATEAU, "plateau"}}};

template <class E, std::size_t N>
std::string enum_word(const std::array<EnumWord<E>, N>& table, E value) {
  for (const auto& w : table)
    if (w.value == value) return std::string(w.word);
  assert(false && "enumeration value missing from its word table");
  return {};
}

template <class E, std::size_t N>
std::vector<std::string> enum_words(const std::array<EnumWord<E>, N>& table) {
  std::vector<std::string> out;
  for (const auto& w : table) out.emplace_back(w.word);
  return out;
}

}  // namespace lensforge::train

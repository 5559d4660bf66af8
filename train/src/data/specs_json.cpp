// JSON form of the data specs (model cards, training logs).
#include <algorithm>
#include <climits>
#include <cstdint>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

namespace {

using nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// Reads the fields of one spec object: `name` prefixes every key in messages ("stack.size").
class Fields {
 public:
  Fields(const json& j, std::string name, std::vector<std::string> keys) : j_(j), name_(std::move(name)) {
    if (!j.is_object()) throw ConfigError(fmt::format("{}: expected an object, got {}", name_, j.dump()));
    for (auto it = j.begin(); it != j.end(); ++it)
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
        throw ConfigError(fmt::format("{}.{}: unknown key (allowed: {})", name_, it.key(), fmt::join(keys, ", ")));
  }

  void number(const char* key, double& out) const {
    if (const json* v = find(key)) {
      if (!v->is_number()) fail(key, "a number", *v);
      out = v->get<double>();
    }
  }
  void integer(const char* key, int& out) const {
    if (const json* v = find(key)) {
      if (!v->is_number_integer() || v->get<std::int64_t>() < INT32_MIN || v->get<std::int64_t>() > INT32_MAX)
        fail(key, "an integer", *v);
      out = v->get<int>();
    }
  }
  void boolean(const char* key, bool& out) const {
    if (const json* v = find(key)) {
      if (!v->is_boolean()) fail(key, "true or false", *v);
      out = v->get<bool>();
    }
  }
  void strings(const char* key, std::vector<std::string>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_array()) fail(key, "a list of strings", *v);
      std::vector<std::string> r;
      for (const json& e : *v) {
        if (!e.is_string()) fail(key, "a list of strings", *v);
        r.push_back(e.get<std::string>());
      }
      out = std::move(r);
    }
  }
  void numbers(const char* key, std::vector<double>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_array()) fail(key, "a list of numbers", *v);
      std::vector<double> r;
      for (const json& e : *v) {
        if (!e.is_number()) fail(key, "a list of numbers", *v);
        r.push_back(e.get<double>());
      }
      out = std::move(r);
    }
  }
  void pairs(const char* key, Pairs& out) const {
    if (const json* v = find(key)) {
      const char* what = "a list of [name, name] pairs";
      if (!v->is_array()) fail(key, what, *v);
      Pairs r;
      for (const json& e : *v) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string()) fail(key, what, *v);
        r.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      }
      out = std::move(r);
    }
  }
  template <class E, class FromName>
  void enumeration(const char* key, E& out, FromName from_name, const char* allowed) const {
    if (const json* v = find(key)) {
      if (!v->is_string()) fail(key, allowed, *v);
      const auto e = from_name(v->get<std::string>());
      if (!e) fail(key, allowed, *v);
      out = *e;
    }
  }
  /// Throws ConfigError naming the spec if `message` is not empty.
  void check(const std::string& message) const {
    if (!message.empty()) throw ConfigError(fmt::format("{}.{}", name_, message));
  }

 private:
  const json* find(const char* key) const {
    const auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  [[noreturn]] void fail(const char* key, const char* expected, const json& got) const {
    throw ConfigError(fmt::format("{}.{}: expected {}, got {}", name_, key, expected, got.dump()));
  }

  const json& j_;
  std::string name_;
};

json pairs_json(const Pairs& pairs) {
  json a = json::array();
  for (const auto& [x, y] : pairs) a.push_back({x, y});
  return a;
}

}  // namespace

void to_json(json& j, const StackSpec& s) {
  j = json{{"bands", s.bands}, {"grid", band_grid_name(s.grid)}, {"pixel_scale", s.pixel_scale}, {"size", s.size}};
}

void from_json(const json& j, StackSpec& s) {
  const Fields f(j, "stack", {"bands", "grid", "pixel_scale", "size"});
  StackSpec r;
  f.strings("bands", r.bands);
  f.enumeration("grid", r.grid, band_grid_from_name, "finest or native");
  f.number("pixel_scale", r.pixel_scale);
  f.integer("size", r.size);
  f.check(r.validate());
  s = std::move(r);
}

void to_json(json& j, const PreprocessSpec& s) {
  j = json{{"band_scale", s.band_scale}, {"clip_low", s.clip_low},
           {"clip_high", s.clip_high},   {"stretch", stretch_name(s.stretch)},
           {"softening", s.softening},   {"normalisation", normalisation_name(s.normalisation)},
           {"norm_low", s.norm_low},     {"norm_high", s.norm_high}};
}

void from_json(const json& j, PreprocessSpec& s) {
  const Fields f(
      j, "preprocess",
      {"band_scale", "clip_low", "clip_high", "stretch", "softening", "normalisation", "norm_low", "norm_high"});
  PreprocessSpec r;
  f.numbers("band_scale", r.band_scale);
  f.number("clip_low", r.clip_low);
  f.number("clip_high", r.clip_high);
  f.enumeration("stretch", r.stretch, stretch_from_name, "linear, asinh, sqrt or log");
  f.number("softening", r.softening);
  f.enumeration("normalisation", r.normalisation, normalisation_from_name, "none, minmax or percentile");
  f.number("norm_low", r.norm_low);
  f.number("norm_high", r.norm_high);
  f.check(r.validate());
  s = std::move(r);
}

void to_json(json& j, const AugmentSpec& s) {
  j = json{{"dihedral", s.dihedral},
           {"max_shift", s.max_shift},
           {"noise_redraw", s.noise_redraw},
           {"vector_pairs", pairs_json(s.vector_pairs)},
           {"spin2_pairs", pairs_json(s.spin2_pairs)}};
}

void from_json(const json& j, AugmentSpec& s) {
  const Fields f(j, "augment", {"dihedral", "max_shift", "noise_redraw", "vector_pairs", "spin2_pairs"});
  AugmentSpec r;
  f.boolean("dihedral", r.dihedral);
  f.number("max_shift", r.max_shift);
  f.boolean("noise_redraw", r.noise_redraw);
  f.pairs("vector_pairs", r.vector_pairs);
  f.pairs("spin2_pairs", r.spin2_pairs);
  f.check(r.validate());
  s = std::move(r);
}

void to_json(json& j, const TaskSpec& s) {
  j = json{{"classify", s.classify},
           {"positive_weight", s.positive_weight},
           {"targets", s.targets},
           {"regress_positives_only", s.regress_positives_only}};
}

void from_json(const json& j, TaskSpec& s) {
  const Fields f(j, "task", {"classify", "positive_weight", "targets", "regress_positives_only"});
  TaskSpec r;
  f.boolean("classify", r.classify);
  f.number("positive_weight", r.positive_weight);
  f.strings("targets", r.targets);
  f.boolean("regress_positives_only", r.regress_positives_only);
  f.check(r.validate());
  s = std::move(r);
}

void to_json(json& j, const TargetScaling& s) { j = json{{"names", s.names}, {"mean", s.mean}, {"scale", s.scale}}; }

void from_json(const json& j, TargetScaling& s) {
  const Fields f(j, "scaling", {"names", "mean", "scale"});
  TargetScaling r;
  f.strings("names", r.names);
  f.numbers("mean", r.mean);
  f.numbers("scale", r.scale);
  f.check(r.validate());
  s = std::move(r);
}

}  // namespace lensforge::train

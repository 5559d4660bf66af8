// StackSpec, PreprocessSpec, AugmentSpec, TaskSpec, TargetScaling, LoaderOptions: validate()
// messages, JSON round trips and JSON errors that name the key; the default label pairs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data_test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/population/label_column.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "lensforge/train/data/specs.hpp"

using namespace lensforge;
using namespace lensforge::train;
using nlohmann::json;

namespace {

// The ConfigError message of f(), or "" if it does not throw one.
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Specs, DefaultsAreValid) {
  EXPECT_EQ(PreprocessSpec{}.validate(), "");
  EXPECT_EQ(AugmentSpec{}.validate(), "");
  EXPECT_EQ(TaskSpec{}.validate(), "");
  EXPECT_EQ(TargetScaling{}.validate(), "");
  EXPECT_EQ(LoaderOptions{}.validate(), "");
  EXPECT_NE(StackSpec{}.validate(), "");  // no bands
}

TEST(Specs, ValidateNamesTheFieldAndValue) {
  StackSpec s{{"VIS"}, BandGrid::FINEST, 12.0, 64};
  EXPECT_NE(s.validate().find("pixel_scale = 12"), std::string::npos) << s.validate();
  s = StackSpec{{"VIS", "VIS"}, BandGrid::FINEST, 0.0, 0};
  EXPECT_NE(s.validate().find("bands[1] = 'VIS'"), std::string::npos) << s.validate();
  s = StackSpec{{"VIS"}, BandGrid::FINEST, 0.0, 5000};
  EXPECT_NE(s.validate().find("size = 5000"), std::string::npos) << s.validate();

  PreprocessSpec p;
  p.clip_low = 50;
  p.clip_high = 40;
  EXPECT_NE(p.validate().find("clip_low = 50"), std::string::npos) << p.validate();
  p = PreprocessSpec{};
  p.softening = 0;
  EXPECT_NE(p.validate().find("softening = 0"), std::string::npos) << p.validate();
  p = PreprocessSpec{};
  p.band_scale = {1.0, -2.0};
  EXPECT_NE(p.validate().find("band_scale[1] = -2"), std::string::npos) << p.validate();

  AugmentSpec a;
  a.max_shift = 5;
  EXPECT_NE(a.validate().find("max_shift = 5"), std::string::npos) << a.validate();
  a = AugmentSpec{};
  a.vector_pairs = {{"x", "y"}};
  a.spin2_pairs = {{"e1", "x"}};
  EXPECT_NE(a.validate().find("'x'"), std::string::npos) << a.validate();

  TaskSpec t;
  t.positive_weight = 0;
  EXPECT_NE(t.validate().find("positive_weight = 0"), std::string::npos) << t.validate();
  t = TaskSpec{};
  t.targets = {"lens_theta_E", "lens_theta_E"};
  EXPECT_NE(t.validate().find("targets[1]"), std::string::npos) << t.validate();

  TargetScaling sc{{"a"}, {0.0}, {0.0}};
  EXPECT_NE(sc.validate().find("scale[0] = 0"), std::string::npos) << sc.validate();

  LoaderOptions o;
  o.batch_size = 0;
  EXPECT_NE(o.validate().find("batch_size = 0"), std::string::npos) << o.validate();
  o = LoaderOptions{};
  o.workers = 300;
  EXPECT_NE(o.validate().find("workers = 300"), std::string::npos) << o.validate();
  o = LoaderOptions{};
  o.prefetch = 0;
  EXPECT_NE(o.validate().find("prefetch = 0"), std::string::npos) << o.validate();
}

TEST(Specs, JsonRoundTripsEveryField) {
  const StackSpec s{{"VIS", "H"}, BandGrid::NATIVE, 0.3125, 64};
  const StackSpec s2 = json(s).get<StackSpec>();
  EXPECT_EQ(s2.bands, s.bands);
  EXPECT_EQ(s2.grid, s.grid);
  EXPECT_EQ(s2.pixel_scale, s.pixel_scale);
  EXPECT_EQ(s2.size, s.size);

  PreprocessSpec p;
  p.band_scale = {1.0, 2.5};
  p.clip_low = 0.5;
  p.clip_high = 99.5;
  p.stretch = Stretch::ASINH;
  p.softening = 0.03;
  p.normalisation = Normalisation::PERCENTILE;
  p.norm_low = 2;
  p.norm_high = 98;
  const PreprocessSpec p2 = json(p).get<PreprocessSpec>();
  EXPECT_EQ(p2.band_scale, p.band_scale);
  EXPECT_EQ(p2.clip_low, p.clip_low);
  EXPECT_EQ(p2.clip_high, p.clip_high);
  EXPECT_EQ(p2.stretch, p.stretch);
  EXPECT_EQ(p2.softening, p.softening);
  EXPECT_EQ(p2.normalisation, p.normalisation);
  EXPECT_EQ(p2.norm_low, p.norm_low);
  EXPECT_EQ(p2.norm_high, p.norm_high);

  AugmentSpec a;
  a.dihedral = false;
  a.max_shift = 0.5;
  a.noise_redraw = true;
  a.vector_pairs = default_vector_pairs();
  a.spin2_pairs = default_spin2_pairs();
  const AugmentSpec a2 = json(a).get<AugmentSpec>();
  EXPECT_EQ(a2.dihedral, a.dihedral);
  EXPECT_EQ(a2.max_shift, a.max_shift);
  EXPECT_EQ(a2.noise_redraw, a.noise_redraw);
  EXPECT_EQ(a2.vector_pairs, a.vector_pairs);
  EXPECT_EQ(a2.spin2_pairs, a.spin2_pairs);

  const TaskSpec t{false, 3.0, {"lens_theta_E", "lens_e1"}, false};
  const TaskSpec t2 = json(t).get<TaskSpec>();
  EXPECT_EQ(t2.classify, t.classify);
  EXPECT_EQ(t2.positive_weight, t.positive_weight);
  EXPECT_EQ(t2.targets, t.targets);
  EXPECT_EQ(t2.regress_positives_only, t.regress_positives_only);

  const TargetScaling sc{{"lens_theta_E"}, {1.25}, {0.5}};
  const TargetScaling sc2 = json(sc).get<TargetScaling>();
  EXPECT_EQ(sc2.names, sc.names);
  EXPECT_EQ(sc2.mean, sc.mean);
  EXPECT_EQ(sc2.scale, sc.scale);

  // Enum names as written.
  EXPECT_EQ(json(s)["grid"], "native");
  EXPECT_EQ(json(p)["stretch"], "asinh");
  EXPECT_EQ(json(p)["normalisation"], "percentile");
}

TEST(Specs, JsonMissingKeysKeepDefaults) {
  const PreprocessSpec p = json::object().get<PreprocessSpec>();
  EXPECT_EQ(p.normalisation, PreprocessSpec{}.normalisation);
  EXPECT_EQ(p.norm_high, PreprocessSpec{}.norm_high);
  const StackSpec s = json{{"bands", {"VIS"}}}.get<StackSpec>();
  EXPECT_EQ(s.grid, BandGrid::FINEST);
}

TEST(Specs, JsonErrorsNameTheKey) {
  auto stack = [](json j) { return config_error([&] { (void)j.get<StackSpec>(); }); };
  EXPECT_NE(stack(json{{"bands", {"VIS"}}, {"size", "big"}}).find("stack.size: expected an integer"),
            std::string::npos);
  EXPECT_NE(stack(json{{"bands", {"VIS"}}, {"size", 6.5}}).find("stack.size"), std::string::npos);
  EXPECT_NE(stack(json{{"bands", {"VIS"}}, {"grid", "coarse"}}).find("stack.grid: expected finest or native"),
            std::string::npos);
  const std::string unknown = stack(json{{"bands", {"VIS"}}, {"sise", 3}});
  EXPECT_NE(unknown.find("stack.sise: unknown key"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("pixel_scale"), std::string::npos) << unknown;  // lists the allowed keys
  EXPECT_NE(stack(json{{"bands", {"VIS"}}, {"pixel_scale", -1}}).find("stack.pixel_scale = -1"), std::string::npos);
  EXPECT_NE(stack(json::array()).find("stack: expected an object"), std::string::npos);

  const std::string pre = config_error([] { (void)json{{"stretch", "cube"}}.get<PreprocessSpec>(); });
  EXPECT_NE(pre.find("preprocess.stretch"), std::string::npos) << pre;
  const std::string aug = config_error([] { (void)json{{"vector_pairs", {{"x"}}}}.get<AugmentSpec>(); });
  EXPECT_NE(aug.find("augment.vector_pairs"), std::string::npos) << aug;
  const std::string task = config_error([] { (void)json{{"classify", 1}}.get<TaskSpec>(); });
  EXPECT_NE(task.find("task.classify: expected true or false"), std::string::npos) << task;
  const std::string sc = config_error([] {
    (void)json{{"names", {"a"}}, {"mean", {0.0}}, {"scale", {-1.0}}}.get<TargetScaling>();
  });
  EXPECT_NE(sc.find("scaling.scale[0]"), std::string::npos) << sc;
}

TEST(Specs, EnumNamesRoundTrip) {
  for (BandGrid g : {BandGrid::FINEST, BandGrid::NATIVE}) EXPECT_EQ(band_grid_from_name(band_grid_name(g)), g);
  for (Stretch s : {Stretch::LINEAR, Stretch::ASINH, Stretch::SQRT, Stretch::LOG})
    EXPECT_EQ(stretch_from_name(stretch_name(s)), s);
  for (Normalisation n : {Normalisation::NONE, Normalisation::MINMAX, Normalisation::PERCENTILE})
    EXPECT_EQ(normalisation_from_name(normalisation_name(n)), n);
  EXPECT_FALSE(stretch_from_name("ASINH"));
}

TEST(Specs, DefaultPairsCoverEveryPositionAndEllipticityColumn) {
  // Every pair names real columns, and every column that is an x position or a spin-2 first
  // component is in a pair with its partner.
  const std::vector<LabelColumn> cols = label_columns(test::small_lsst_config());
  auto has = [&](const std::string& n) {
    return std::any_of(cols.begin(), cols.end(), [&](const LabelColumn& c) { return c.name == n; });
  };
  const auto vectors = default_vector_pairs();
  const auto spin2 = default_spin2_pairs();
  for (const auto* pairs : {&vectors, &spin2})
    for (const auto& [a, b] : *pairs) {
      EXPECT_TRUE(has(a)) << a;
      EXPECT_TRUE(has(b)) << b;
    }
  auto ends_with = [](const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  for (const LabelColumn& c : cols) {
    const std::string& n = c.name;
    if (ends_with(n, "_center_x")) {
      const std::pair<std::string, std::string> p{n, n.substr(0, n.size() - 1) + "y"};
      EXPECT_NE(std::find(vectors.begin(), vectors.end(), p), vectors.end()) << n;
    }
    if (ends_with(n, "_e1") || ends_with(n, "_gamma1")) {
      const std::pair<std::string, std::string> p{n, n.substr(0, n.size() - 1) + "2"};
      EXPECT_NE(std::find(spin2.begin(), spin2.end(), p), spin2.end()) << n;
    }
  }
}

TEST(Specs, RequiredColumnsAddPairPartnersOfTargets) {
  TaskSpec t;
  t.targets = {"lens_theta_E", "lens_e1", "lens_center_y"};
  AugmentSpec a;
  a.vector_pairs = default_vector_pairs();
  a.spin2_pairs = default_spin2_pairs();
  EXPECT_EQ(required_columns(t, &a), (std::vector<std::string>{"class", "lens_theta_E", "lens_e1", "lens_e2",
                                                               "lens_center_y", "lens_center_x"}));
  EXPECT_EQ(required_columns(t, nullptr),
            (std::vector<std::string>{"class", "lens_theta_E", "lens_e1", "lens_center_y"}));
}

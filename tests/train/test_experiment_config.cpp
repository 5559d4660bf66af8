// Experiment files (configs/experiments/*.yaml): the shipped ones load, their populations and
// training configs load with the experiment's overrides, and mistakes get one located error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/train/experiment_config.hpp"
#include "lensforge/train/train_config.hpp"
#include "test_support.hpp"

namespace lensforge::train {
namespace {

namespace fs = std::filesystem;

TEST(ExperimentConfig, ShippedExperimentsLoadWithTheirPopulationsAndTrainingConfigs) {
  for (const char* name : {"demo", "seed_study"}) {
    SCOPED_TRACE(name);
    const auto x = load_experiment_config(test::source_path(std::string("configs/experiments/") + name + ".yaml"));
    ASSERT_GE(x.datasets.size(), 5u);
    ASSERT_EQ(x.models.size(), 3u);
    EXPECT_EQ(x.finder.fpr, 0.01);
    EXPECT_EQ(x.finder.compound.size(), 2u);
    EXPECT_EQ(x.regressor.target, "lens_theta_E");
    for (const auto& d : x.datasets) {
      SCOPED_TRACE(d.name);
      const GeneratorConfig g = load_generator_config(d.population, "", d.overrides);
      EXPECT_NE(g.yaml_text.find("with"), std::string::npos) << "overrides are recorded in the stored config";
      if (d.name == "compound_arcs" || d.name == "double_rings") {
        EXPECT_EQ(g.bands.front().nx, 200) << "compound test sets at the training cutout size";
      }
    }
    for (const auto& m : x.models) {
      SCOPED_TRACE(m.name);
      std::vector<std::string> o = m.overrides;
      o.push_back("data.train={file: a.h5}");
      o.push_back("data.validation={file: b.h5}");
      EXPECT_NO_THROW(load_train_config(m.config, o));
    }
  }
}

TEST(ExperimentConfig, SingleLensSetsHaveNoCompoundLensesAndTheFractionsStillSumToOne) {
  const auto x = load_experiment_config(test::source_path("configs/experiments/demo.yaml"));
  const GeneratorConfig g = load_generator_config(x.dataset("train").population, "", x.dataset("train").overrides);
  double total = 0;
  for (const auto& c : g.classes) {
    total += c.fraction;
    if (c.kind == SampleClass::COMPOUND_ARC || c.kind == SampleClass::DOUBLE_RING) {
      EXPECT_EQ(c.fraction, 0.0);
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

class ExperimentErrors : public ::testing::Test {
 protected:
  std::string error_of(const std::string& text) {
    const fs::path p = fs::temp_directory_path() / ("lensforge_experiment_" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(p) << text;
    try {
      load_experiment_config(p.string());
    } catch (const ConfigError& e) {
      fs::remove(p);
      return e.what();
    }
    fs::remove(p);
    return "no error";
  }
  const std::string base_ =
      "output_dir: out\n"
      "datasets:\n"
      "  train: {population: p.yaml, count: 10, seed: 1}\n"
      "  val: {population: p.yaml, count: 10, seed: 2}\n"
      "models:\n"
      "  m: {config: t.yaml, train: train, validation: val}\n";
};

TEST_F(ExperimentErrors, NameTheFileTheKeyAndWhatIsAllowed) {
  EXPECT_NE(error_of(base_ + "evaluation: {}\n").find("did you mean 'evaluations'"), std::string::npos);
  const std::string unknown_set = error_of(base_ + "evaluations:\n  e: {model: m, sets: [test]}\n");
  EXPECT_NE(unknown_set.find(":8:"), std::string::npos) << unknown_set;
  EXPECT_NE(unknown_set.find("test is no data set; datasets: train, val"), std::string::npos) << unknown_set;
  EXPECT_NE(error_of(base_ + "evaluations:\n  e: {model: nope, sets: [train]}\n").find("no such model; models: m"),
            std::string::npos);
  EXPECT_NE(error_of("output_dir: o\ndatasets:\n  a: {population: p.yaml, count: 0.5}\n")
                .find("datasets.a.count = 0.5; allowed: a whole number of images in [1, 1e9]"),
            std::string::npos);
  EXPECT_NE(error_of("output_dir: o\ndatasets:\n  a/b: {population: p.yaml, count: 5}\n").find("name 'a/b'"),
            std::string::npos);
  EXPECT_NE(error_of(base_ + "evaluations:\n  e: {model: m, sets: [train]}\nheadline:\n  finder: {evaluation: e, test: "
                             "train, fpr: 2}\n")
                .find("headline.finder.fpr = 2; allowed: (0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of("datasets: {}\n").find("output_dir"), std::string::npos);
  EXPECT_NE(error_of(base_ + "evaluations:\n  e: {model: m, sets: [train]}\nheadline:\n  regressor: {evaluation: e, test: "
                             "val}\n")
                .find("headline.regressor: data set val is not evaluated by e (its sets: train)"),
            std::string::npos);
}

TEST(ExperimentConfig, OverridesChangeCountsAndAMissingFileIsAnIoError) {
  const auto x = load_experiment_config(test::source_path("configs/experiments/demo.yaml"),
                                        {"datasets.train.count=123", "output_dir=/tmp/x"});
  EXPECT_EQ(x.dataset("train").count, 123);
  EXPECT_EQ(x.data_path("train"), "/tmp/x/data/train.h5");
  EXPECT_THROW(load_experiment_config("/nonexistent/experiment.yaml"), IoError);
}

}  // namespace
}  // namespace lensforge::train

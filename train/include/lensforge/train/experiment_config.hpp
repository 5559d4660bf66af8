#pragma once
// An experiment: the whole job in one file (configs/experiments/*.yaml), run by
// `lensforge-train experiment FILE.yaml`: generate data sets, train models, evaluate them, and
// summarise the headline figures. Every size lives here, not in a script.
//
//   title: "..."                      shown in the report
//   output_dir: ../../out/demo        data/<set>.h5, models/<model>/, eval/<evaluation>/,
//                                     results.json, report.html (relative to this file)
//   threads: 0                        simulator and torch threads, 0: all cores
//   datasets:                         generated with the simulator (skipped when a complete file
//     <name>: {population: P.yaml,    from the same config, seed and count is already there)
//              count: N, seed: S,
//              set: [key=value, ...]} overrides of the population config (lensforge-sim generate --set)
//   models:                           trained with fit() (skipped when best.pt holds the same config)
//     <name>: {config: T.yaml, train: <dataset>, validation: <dataset>, set: [key=value, ...]}
//   evaluations:
//     <name>: {model: <model>, sets: [<dataset>, ...], validation: <dataset> (temperature fit),
//              mc_samples: N}
//   headline:                         the figures of the results table (all optional)
//     finder: {evaluation: <name>, test: <dataset>, compound: [<dataset>, ...], fpr: 0.01,
//              min_theta_E: 1.0, min_arc_snr: 20}
//     regressor: {evaluation: <name>, test: <dataset>, target: lens_theta_E, min_theta_E: 0.8}
//     compare: [<evaluation>, ...]    finders whose completeness on the compound sets is swept against
//                                     the Einstein-radius ratio and the second source's magnitude
#include <cstdint>
#include <string>
#include <vector>

namespace lensforge::train {

struct ExperimentDataset {
  std::string name;
  std::string population;               ///< generator config path (resolved)
  std::int64_t count = 0;               ///< images, [1, 1e9]
  std::uint64_t seed = 0;
  std::vector<std::string> overrides;   ///< "key=value" for the population config
};

struct ExperimentModel {
  std::string name;
  std::string config;                   ///< training config path (resolved)
  std::string train, validation;        ///< dataset names
  std::vector<std::string> overrides;   ///< "key=value" for the training config
};

struct ExperimentEvaluation {
  std::string name;
  std::string model;                    ///< model name
  std::vector<std::string> sets;        ///< dataset names, at least one
  std::string validation;               ///< dataset name for the temperature fit, or empty
  int mc_samples = 0;                   ///< Monte Carlo dropout passes, [0, 1000]
};

struct FinderHeadline {
  std::string evaluation;               ///< empty: no finder figures
  std::string test;                     ///< single lenses and negatives: sets the threshold
  std::vector<std::string> compound;    ///< positives-only sets scored at the test set's threshold
  double fpr = 0.01;                    ///< false-positive rate of the threshold, (0, 1)
  double min_theta_E = 1.0;             ///< arcsec, bright-subset cut
  double min_arc_snr = 20.0;            ///< bright-subset cut
};

struct RegressorHeadline {
  std::string evaluation;               ///< empty: no regression figures
  std::string test;
  std::string target = "lens_theta_E";
  double min_theta_E = 0.8;             ///< arcsec: figures for lenses with theta_E at least this
};

struct ExperimentConfig {
  std::string path;
  std::string title;
  std::string output_dir;
  int threads = 0;
  std::vector<ExperimentDataset> datasets;
  std::vector<ExperimentModel> models;
  std::vector<ExperimentEvaluation> evaluations;
  FinderHeadline finder;
  RegressorHeadline regressor;
  std::vector<std::string> compare;     ///< evaluation names

  const ExperimentDataset& dataset(const std::string& name) const;
  const ExperimentModel& model(const std::string& name) const;
  const ExperimentEvaluation& evaluation(const std::string& name) const;
  std::string data_path(const std::string& dataset) const;    ///< output_dir/data/<name>.h5
  std::string model_dir(const std::string& model) const;      ///< output_dir/models/<name>
  std::string eval_dir(const std::string& evaluation) const;  ///< output_dir/eval/<name>
};

/// Reads an experiment; `overrides` "key.path=value" change it first (e.g. datasets.train.count=2000).
/// ConfigError naming the file, the key and what is allowed for unknown keys, wrong types, names that
/// refer to nothing (a model's dataset, an evaluation's model) and out-of-range values.
ExperimentConfig load_experiment_config(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace lensforge::train

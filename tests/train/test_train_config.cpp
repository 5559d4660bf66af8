// Training configs: every section read, overrides, located errors, path resolution, and the shipped
// configs/training/*.yaml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/train_config.hpp"
#include "test_support.hpp"

namespace lensforge::train {
namespace {

namespace fs = std::filesystem;

// Every key set to a value that differs from its default.
const char* kFull = R"(output_dir: runs/full
data:
  train: {file: data/train.h5, size: 500}
  validation:
    population: pop.yaml
    seed: 12345678901234
    size: 64
stack: {bands: [VIS, H], grid: native, pixel_scale: 0.3, size: 48}
preprocess:
  band_scale: [2, 0.5]
  clip_low: 0.5
  clip_high: 99.5
  stretch: sqrt
  softening: 0.2
  normalisation: percentile
  norm_low: 2
  norm_high: 98
augment:
  dihedral: false
  max_shift: 1.5
  noise_redraw: true
  vector_pairs: [[cx, cy]]
  spin2_pairs: [[e1, e2], [g1, g2]]
task: {classify: false, positive_weight: 2.5, targets: [lens_theta_E, lens_e1], regress_positives_only: false}
model:
  architecture: ResNet
  widths: [8, 16]
  blocks_per_stage: 3
  dense_units: 32
  dropout: 0.25
  spatial_dropout: 0.1
  batch_norm: false
optim:
  optimizer: adamw
  learning_rate: 3.0e-4
  weight_decay: 0.01
  grad_clip: 2
  schedule: step
  step_epochs: 4
  gamma: 0.5
  plateau_patience: 2
  min_learning_rate: 1.0e-6
  warmup_epochs: 2
loader: {batch_size: 16, shuffle: false, drop_last: true, balance_classes: false, workers: 3, prefetch: 7}
epochs: 9
early_stopping: {patience: 4, min_delta: 0.01}
seed: 77
threads: 2
device: cuda
)";

const char* kMinimal = R"(output_dir: out
data:
  train: {file: train.h5}
  validation: {file: val.h5}
stack: {bands: [VIS]}
)";

TrainConfig parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_train_config(text, "cfg.yaml", "/base", overrides);
}

/// Parsing fails with a ConfigError holding every part.
void expect_error(const std::string& text, const std::vector<std::string>& overrides,
                  const std::vector<std::string>& parts) {
  try {
    parse(text, overrides);
    ADD_FAILURE() << "no error; expected one holding '" << parts.front() << "'";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(TrainConfig, ReadsEverySection) {
  const TrainConfig c = parse(kFull);
  EXPECT_EQ(c.path, "cfg.yaml");
  EXPECT_EQ(c.output_dir, "/base/runs/full");
  EXPECT_EQ(c.train.file, "/base/data/train.h5");
  EXPECT_EQ(c.train.size, 500);
  EXPECT_FALSE(c.train.online());
  EXPECT_EQ(c.validation.population, "/base/pop.yaml");
  EXPECT_EQ(c.validation.seed, 12345678901234u);
  EXPECT_EQ(c.validation.size, 64);
  EXPECT_TRUE(c.validation.online());

  EXPECT_EQ(c.stack.bands, (std::vector<std::string>{"VIS", "H"}));
  EXPECT_EQ(c.stack.grid, BandGrid::NATIVE);
  EXPECT_EQ(c.stack.pixel_scale, 0.3);
  EXPECT_EQ(c.stack.size, 48);

  EXPECT_EQ(c.preprocess.band_scale, (std::vector<double>{2, 0.5}));
  EXPECT_EQ(c.preprocess.clip_low, 0.5);
  EXPECT_EQ(c.preprocess.clip_high, 99.5);
  EXPECT_EQ(c.preprocess.stretch, Stretch::SQRT);
  EXPECT_EQ(c.preprocess.softening, 0.2);
  EXPECT_EQ(c.preprocess.normalisation, Normalisation::PERCENTILE);
  EXPECT_EQ(c.preprocess.norm_low, 2);
  EXPECT_EQ(c.preprocess.norm_high, 98);

  EXPECT_FALSE(c.augment.dihedral);
  EXPECT_EQ(c.augment.max_shift, 1.5);
  EXPECT_TRUE(c.augment.noise_redraw);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.augment.vector_pairs, (Pairs{{"cx", "cy"}}));
  EXPECT_EQ(c.augment.spin2_pairs, (Pairs{{"e1", "e2"}, {"g1", "g2"}}));

  EXPECT_FALSE(c.task.classify);
  EXPECT_EQ(c.task.positive_weight, 2.5);
  EXPECT_EQ(c.task.targets, (std::vector<std::string>{"lens_theta_E", "lens_e1"}));
  EXPECT_FALSE(c.task.regress_positives_only);

  EXPECT_EQ(c.model.architecture, Architecture::RESNET);  // written "ResNet": case is ignored
  EXPECT_EQ(c.model.widths, (std::vector<int>{8, 16}));
  EXPECT_EQ(c.model.blocks_per_stage, 3);
  EXPECT_EQ(c.model.dense_units, 32);
  EXPECT_EQ(c.model.dropout, 0.25);
  EXPECT_EQ(c.model.spatial_dropout, 0.1);
  EXPECT_FALSE(c.model.batch_norm);
  EXPECT_FALSE(c.model.classify);  // derived from task
  EXPECT_EQ(c.model.num_targets, 2);

  EXPECT_EQ(c.optim.kind, OptimizerKind::ADAMW);
  EXPECT_EQ(c.optim.learning_rate, 3e-4);
  EXPECT_EQ(c.optim.weight_decay, 0.01);
  EXPECT_EQ(c.optim.grad_clip, 2);
  EXPECT_EQ(c.optim.schedule, ScheduleKind::STEP);
  EXPECT_EQ(c.optim.step_epochs, 4);
  EXPECT_EQ(c.optim.gamma, 0.5);
  EXPECT_EQ(c.optim.plateau_patience, 2);
  EXPECT_EQ(c.optim.min_learning_rate, 1e-6);
  EXPECT_EQ(c.optim.warmup_epochs, 2);

  EXPECT_EQ(c.loader.batch_size, 16);
  EXPECT_FALSE(c.loader.shuffle);
  EXPECT_TRUE(c.loader.drop_last);
  EXPECT_FALSE(c.loader.balance_classes);
  EXPECT_EQ(c.loader.workers, 3);
  EXPECT_EQ(c.loader.prefetch, 7);
  EXPECT_TRUE(c.loader.augment);  // max_shift > 0 and noise_redraw, though dihedral is off
  EXPECT_EQ(c.loader.seed, 77u);

  EXPECT_EQ(c.epochs, 9);
  EXPECT_EQ(c.early_stopping_patience, 4);
  EXPECT_EQ(c.min_delta, 0.01);
  EXPECT_EQ(c.seed, 77u);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.device, "cuda");
  EXPECT_EQ(c.validate(), "");
}

TEST(TrainConfig, DefaultsWhereKeysAreAbsent) {
  const TrainConfig c = parse(kMinimal);
  const TrainConfig d;
  EXPECT_EQ(c.stack.grid, d.stack.grid);
  EXPECT_EQ(c.stack.size, d.stack.size);
  EXPECT_EQ(c.preprocess.normalisation, d.preprocess.normalisation);
  EXPECT_EQ(c.model.widths, d.model.widths);
  EXPECT_EQ(c.optim.learning_rate, d.optim.learning_rate);
  EXPECT_EQ(c.loader.batch_size, d.loader.batch_size);
  EXPECT_EQ(c.epochs, d.epochs);
  EXPECT_EQ(c.device, "cpu");
  // Absent pairs are lensforge's label pairs; the default dihedral augmentation turns augment on.
  EXPECT_EQ(c.augment.vector_pairs, default_vector_pairs());
  EXPECT_EQ(c.augment.spin2_pairs, default_spin2_pairs());
  EXPECT_TRUE(c.loader.augment);
  EXPECT_FALSE(parse(kMinimal, {"augment.dihedral=false"}).loader.augment);
}

TEST(TrainConfig, YamlTextIsTheEffectiveConfigAndReadsBackTheSame) {
  for (const char* text : {kFull, kMinimal}) {
    const TrainConfig c = parse(text, {"epochs=3"});
    // Paths in yaml_text are absolute, so the base folder of the second reading does not matter.
    const TrainConfig again = parse_train_config(c.yaml_text, "again.yaml", "/elsewhere");
    EXPECT_EQ(again.yaml_text, c.yaml_text);
    EXPECT_EQ(again.epochs, 3);
    EXPECT_EQ(again.train.file, c.train.file);
    EXPECT_EQ(again.validation.population, c.validation.population);
    EXPECT_EQ(again.optim.learning_rate, c.optim.learning_rate);
    EXPECT_EQ(again.augment.vector_pairs, c.augment.vector_pairs);
  }
  // Doubles are written in their shortest exact form.
  const std::string y = parse(kFull).yaml_text;
  EXPECT_NE(y.find("learning_rate: 0.0003\n"), std::string::npos) << y;
  EXPECT_NE(y.find("seed: 12345678901234\n"), std::string::npos) << y;
  EXPECT_NE(y.find("architecture: resnet\n"), std::string::npos) << y;
}

TEST(TrainConfig, OverridesScalarsListsAndSections) {
  const TrainConfig c = parse(kMinimal, {"optim.learning_rate=3e-4", "stack.bands=[VIS, Y, J]", "model.widths=[4,8]",
                                         "data.validation={population: p.yaml, seed: 9, size: 100}",
                                         "early_stopping.patience=3", "epochs=5", "epochs=7", "task.targets=[lens_theta_E]"});
  EXPECT_EQ(c.optim.learning_rate, 3e-4);
  EXPECT_EQ(c.stack.bands, (std::vector<std::string>{"VIS", "Y", "J"}));
  EXPECT_EQ(c.model.widths, (std::vector<int>{4, 8}));
  EXPECT_TRUE(c.validation.online());
  EXPECT_EQ(c.validation.seed, 9u);
  EXPECT_EQ(c.validation.size, 100);
  EXPECT_EQ(c.early_stopping_patience, 3);  // the section was created
  EXPECT_EQ(c.epochs, 7);                   // the later override wins
  EXPECT_EQ(c.model.num_targets, 1);
  EXPECT_NE(c.yaml_text.find("learning_rate: 0.0003"), std::string::npos);

  // An empty (or null) value removes the key: its default applies again.
  EXPECT_EQ(parse(kFull, {"augment.max_shift="}).augment.max_shift, 0.0);
  EXPECT_EQ(parse(kFull, {"model.widths=null"}).model.widths, ModelSpec{}.widths);
  // Replacing one alternative by the other: remove file, set population.
  const TrainConfig online = parse(kMinimal, {"data.train.file=", "data.train.population=p.yaml", "data.train.size=10"});
  EXPECT_TRUE(online.train.online());
  EXPECT_EQ(online.train.size, 10);
}

TEST(TrainConfig, RelativePathsResolveAgainstTheConfigFolderAndOverridesAgainstTheWorkingDirectory) {
  const fs::path root = fs::temp_directory_path() / ("lensforge_train_config_" + std::to_string(::getpid()));
  fs::create_directories(root / "configs");
  const fs::path config = root / "configs" / "run.yaml";
  std::ofstream(config) << "output_dir: ../runs/x\ndata: {train: {file: ../d/t.h5}, validation: {file: v.h5}}\n"
                           "stack: {bands: [VIS]}\n";
  const TrainConfig c = load_train_config(config.string());
  EXPECT_EQ(c.path, config.string());
  EXPECT_EQ(c.output_dir, (root / "runs" / "x").string());
  EXPECT_EQ(c.train.file, (root / "d" / "t.h5").string());
  EXPECT_EQ(c.validation.file, (root / "configs" / "v.h5").string());
  const TrainConfig o = load_train_config(config.string(), {"data.validation.file=w.h5", "output_dir=/abs/run"});
  EXPECT_EQ(o.validation.file, (fs::current_path() / "w.h5").lexically_normal().string());
  EXPECT_EQ(o.output_dir, "/abs/run");

  // check_files names the first missing input, then passes once they exist.
  EXPECT_NE(c.check_files().find("data.train.file = " + c.train.file + ": no such file"), std::string::npos)
      << c.check_files();
  fs::create_directories(root / "d");
  std::ofstream(root / "d" / "t.h5") << "x";
  EXPECT_NE(c.check_files().find("data.validation.file = " + c.validation.file + ": no such file"), std::string::npos)
      << c.check_files();
  std::ofstream(root / "configs" / "v.h5") << "x";
  EXPECT_EQ(c.check_files(), "");
  fs::remove_all(root);
}

TEST(TrainConfig, MissingConfigFileIsAnIoErrorNamingIt) {
  try {
    load_train_config("/no/such/folder/run.yaml");
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/folder/run.yaml"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, ErrorsNameFileLineKeyValueAndWhatIsAllowed) {
  const std::string base = kMinimal;  // 5 lines; what follows starts on line 6
  expect_error(base + "optim: {lerning_rate: 0.1}\n",
               {}, {"cfg.yaml:6:", "optim.lerning_rate: unknown key of optim; did you mean 'learning_rate'?",
                    "allowed: optimizer, learning_rate"});
  expect_error(base + "epoch: 3\n", {}, {"cfg.yaml:6:", "epoch: unknown top-level key; did you mean 'epochs'?"});
  expect_error(base + "loader:\n  batch_size: many\n", {},
               {"cfg.yaml:7:", "loader.batch_size: expected a number, found 'many'"});
  expect_error(base + "augment: {dihedral: sometimes}\n", {}, {"cfg.yaml:6:", "augment.dihedral", "true or false"});
  expect_error(base + "model: {architecture: resnet50}\n", {},
               {"cfg.yaml:6:", "model.architecture: unknown value 'resnet50'; did you mean 'resnet'?",
                "allowed: cnn, resnet"});
  expect_error(base + "preprocess: {stretch: arcsinh}\n", {}, {"allowed: linear, asinh, sqrt, log"});
  expect_error(base + "preprocess: {normalisation: zscore}\n", {}, {"allowed: none, minmax, percentile"});
  expect_error(base + "stack: {size: 32}\n", {}, {"cfg.yaml:6:", "duplicate key (first given on line 5)"});
  expect_error(base + "optim: {schedule: linear}\n", {}, {"allowed: constant, step, cosine, plateau"});
  expect_error(base + "optim: {optimizer: sgd}\n", {}, {"allowed: adam, adamw"});
  // Out of range: located at the value, with the range.
  expect_error(base + "optim:\n  learning_rate: 20\n", {}, {"cfg.yaml:7:", "optim.learning_rate = 20; allowed: (0, 10]"});
  expect_error(base + "epochs: 0\n", {}, {"cfg.yaml:6:", "epochs = 0; allowed: [1, 1e6]"});
  expect_error(base + "model: {dropout: 1.5}\n", {}, {"cfg.yaml:6:", "model.dropout = 1.5"});
  expect_error(base + "loader: {workers: 0}\n", {}, {"cfg.yaml:6:", "loader.workers = 0"});
  expect_error(base + "device: tpu\n", {}, {"cfg.yaml:6:", "device = tpu; allowed: cpu, cuda"});
  expect_error(base + "optim: {warmup_epochs: 20}\n", {}, {"optim.warmup_epochs = 20; allowed: [0, epochs) = [0, 20)"});
  expect_error(base + "seed: -1\n", {}, {"cfg.yaml:6:", "seed: expected an integer in [0, 2^63 - 1], found '-1'"});
  // An invalid default (no bands anywhere) is reported without a line when its section is absent.
  expect_error("output_dir: o\ndata: {train: {file: a.h5}, validation: {file: b.h5}}\n", {}, {"cfg.yaml: stack.bands"});
  // Data splits.
  expect_error("output_dir: o\ndata:\n  train: {file: a.h5, population: p.yaml}\n  validation: {file: b.h5}\n"
               "stack: {bands: [VIS]}\n",
               {}, {"cfg.yaml:3:", "both file and population given"});
  expect_error("output_dir: o\ndata:\n  train: {file: a.h5, seed: 3}\n  validation: {file: b.h5}\nstack: {bands: [VIS]}\n",
               {}, {"cfg.yaml:3:", "data.train.seed: applies to online data (population) only"});
  expect_error("output_dir: o\ndata:\n  train: {population: p.yaml}\n  validation: {file: b.h5}\nstack: {bands: [VIS]}\n",
               {}, {"cfg.yaml:3:", "data.train.size = 0; allowed: [1, 1e9]"});
  expect_error("output_dir: o\ndata:\n  train: {file: a.h5}\n  validation: {file: a.h5}\nstack: {bands: [VIS]}\n", {},
               {"cfg.yaml:4:", "data.validation.file = /base/a.h5: the training file"});
  expect_error("output_dir: o\ndata:\n  train: {file: a.h5}\nstack: {bands: [VIS]}\n", {},
               {"data.validation: missing"});
  expect_error("data: {train: {file: a.h5}, validation: {file: b.h5}}\n", {}, {"output_dir: missing"});
  // YAML syntax.
  expect_error(base + "optim: {learning_rate: [1\n", {}, {"cfg.yaml:", "YAML syntax error"});
  expect_error("- a\n- b\n", {}, {"cfg.yaml:1:", "expected a map of config keys, found a list"});
}

TEST(TrainConfig, OverrideErrorsNameTheOverride) {
  expect_error(kMinimal, {"optim.lr=1"},
               {"cfg.yaml: override 'optim.lr=1': unknown key optim.lr; allowed in optim: optimizer, learning_rate"});
  expect_error(kMinimal, {"optim.learnig_rate=1"}, {"did you mean 'learning_rate'?"});
  expect_error(kMinimal, {"epoch=3"}, {"unknown key epoch; did you mean 'epochs'?"});
  expect_error(kMinimal, {"epochs=abc"}, {"cfg.yaml: override 'epochs=abc': epochs: expected a number, found 'abc'"});
  expect_error(kMinimal, {"epochs=0"}, {"cfg.yaml: override 'epochs=0': epochs = 0; allowed: [1, 1e6]"});
  expect_error(kMinimal, {"model.architecture=vgg"}, {"override 'model.architecture=vgg'", "allowed: cnn, resnet"});
  expect_error(kMinimal, {"stack.grid=coarse"}, {"override 'stack.grid=coarse'", "allowed: finest, native"});
  expect_error(kMinimal, {"stack.bands=[VIS"}, {"override 'stack.bands=[VIS'", "not valid YAML"});
  expect_error(kMinimal, {"epochs"}, {"override 'epochs'", "expected key=value"});
  expect_error(kMinimal, {"epochs.max=3"}, {"epochs holds a value, it has no key 'max'"});
  expect_error(kMinimal, {"optim..learning_rate=1"}, {"empty part"});
  expect_error(kMinimal, {"data.train.population=p.yaml"}, {"both file and population given"});
  // A whole section replaced by an override: an unknown key inside it names the override.
  expect_error(kMinimal, {"optim={learning_rat: 1}"}, {"override 'optim={learning_rat: 1}'", "did you mean 'learning_rate'"});
}

TEST(TrainConfig, ShippedConfigsParseAndValidate) {
  const fs::path dir = test::source_path("configs/training");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") names.push_back(e.path().filename().string());
  for (const char* expected : {"finder_cnn.yaml", "finder_resnet.yaml", "theta_e_regressor.yaml", "online_cnn.yaml"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  const fs::path source = fs::path(test::source_path("")).lexically_normal();
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const TrainConfig c = load_train_config((dir / name).string());
    EXPECT_EQ(c.validate(), "");
    EXPECT_EQ(parse_train_config(c.yaml_text, "again", "").yaml_text, c.yaml_text);
    EXPECT_EQ(fs::path(c.output_dir).parent_path(), source / "out" / "runs");
    for (const DataSpec* d : {&c.train, &c.validation}) {
      if (d->online()) {
        EXPECT_EQ(d->population, (source / "configs" / "populations" / "euclid.yaml").string());
      } else {
        EXPECT_EQ(fs::path(d->file).parent_path(), source / "out" / "data");
      }
    }
  }
  const TrainConfig online = load_train_config((dir / "online_cnn.yaml").string());
  EXPECT_TRUE(online.train.online());
  EXPECT_NE(online.train.seed, online.validation.seed);
  EXPECT_EQ(online.check_files(), "");  // its populations exist
  const TrainConfig reg = load_train_config((dir / "theta_e_regressor.yaml").string());
  EXPECT_EQ(reg.task.targets, (std::vector<std::string>{"lens_theta_E"}));
  EXPECT_EQ(reg.model.num_targets, 1);
  // The regression-only variant its comment suggests is valid too.
  const TrainConfig reg_only = load_train_config((dir / "theta_e_regressor.yaml").string(), {"task.classify=false"});
  EXPECT_FALSE(reg_only.model.classify);
}

}  // namespace
}  // namespace lensforge::train

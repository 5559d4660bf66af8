#include "lensforge/train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkpoint.hpp"
#include "device.hpp"
#include "distributed.hpp"
#include "lensforge/sim/app/progress.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/train/data/batch_loader.hpp"
#include "losses.hpp"
#include "lr_schedule.hpp"
#include "models.hpp"
#include "rank_auroc.hpp"

namespace lensforge::train {
namespace {
namespace fs = std::filesystem;
using torch_impl::LensNet;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kOnlineScalingExamples = 1000;

/// Tag of the dropout generator's stream under the run seed.
constexpr std::uint64_t kDropoutStream = 0x64726f706f7574ULL;  // "dropout"

std::shared_ptr<const ExampleSource> open_source(const DataSpec& data, const TrainConfig& config, bool training,
                                                 const char* split) {
  SourceOptions options;
  options.bands = config.stack.bands;
  options.columns = required_columns(config.task, training ? &config.augment : nullptr);
  options.noise_planes = training && config.augment.noise_redraw;
  options.max_rows = data.online() ? 0 : data.size;
  if (data.online()) {
    auto generator = std::make_shared<const GeneratorConfig>(load_generator_config(data.population));
    return make_online_source(std::move(generator), data.seed, data.size, options);
  }
  if (data.file.empty()) throw ConfigError(fmt::format("{}: give a data file or a population config", split));
  return open_dataset_source(data.file, options);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

/// Everything printed goes to stderr and train.log (process 0 only: other processes print nothing).
class RunLog {
 public:
  RunLog(const fs::path& path, bool append, bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    file_.open(path, append ? std::ios::app : std::ios::trunc);
    if (!file_) throw IoError("cannot write " + path.string());
  }
  void line(const std::string& text) {
    if (!enabled_) return;
    std::cerr << text << '\n';
    file_ << text << '\n';
    file_.flush();
  }

 private:
  bool enabled_;
  std::ofstream file_;
};

/// Per-epoch metric rows, written as metrics.csv and metrics.json.
const std::vector<std::string> kMetricColumns = {"epoch",          "lr",           "train_loss",     "train_bce",
                                                 "train_nll",      "val_loss",     "val_bce",        "val_nll",
                                                 "val_accuracy",   "val_auroc",    "seconds",        "images_per_second"};

void write_metrics(const fs::path& dir, const nlohmann::json& history) {
  const fs::path csv_tmp = dir / "metrics.csv.tmp", json_tmp = dir / "metrics.json.tmp";
  {
    std::ofstream csv(csv_tmp);
    for (std::size_t i = 0; i < kMetricColumns.size(); ++i) csv << (i ? "," : "") << kMetricColumns[i];
    csv << '\n';
    for (const auto& row : history) {
      for (std::size_t i = 0; i < kMetricColumns.size(); ++i) {
        const auto& v = row.at(kMetricColumns[i]);
        csv << (i ? "," : "") << (v.is_null() ? std::string("nan") : v.dump());
      }
      csv << '\n';
    }
    std::ofstream json(json_tmp);
    json << nlohmann::json{{"columns", kMetricColumns}, {"epochs", history}}.dump(1) << '\n';
    if (!csv || !json) throw IoError("cannot write metrics in " + dir.string());
  }
  fs::rename(csv_tmp, dir / "metrics.csv");
  fs::rename(json_tmp, dir / "metrics.json");
}

/// The parts of a card that must match for a resume.
nlohmann::json resume_identity(const ModelCard& c) {
  return {{"model", c.model}, {"stack", c.stack}, {"preprocess", c.preprocess}, {"task", c.task}};
}

struct Tensors {
  torch::Tensor images, labels, targets;
};

/// Wraps the batch's buffers without copying (the batch must outlive the tensors on the CPU).
Tensors wrap(Batch& b, const torch::Device& device) {
  const std::int64_t n = b.size();
  Tensors t;
  t.images = torch::from_blob(b.images.data(), {n, b.shape.channels, b.shape.height, b.shape.width}, torch::kFloat32)
                 .to(device);
  t.labels = torch::from_blob(b.labels.data(), {n}, torch::kFloat32).to(device);
  if (b.num_targets > 0) t.targets = torch::from_blob(b.targets.data(), {n, b.num_targets}, torch::kFloat32).to(device);
  return t;
}

struct EpochLosses {
  double loss = 0, bce = kNaN, nll = kNaN;
  std::int64_t images = 0;
};

/// Sums per-batch losses into means over the epoch (BCE per image, NLL per counted entry).
class LossAccumulator {
 public:
  void add(const torch_impl::LossTerms& terms, std::int64_t n) {
    images_ += n;
    if (terms.classification.defined()) {
      bce_sum_ += terms.classification.item<double>() * double(n);
      has_bce_ = true;
    }
    if (terms.regression.defined()) {
      nll_sum_ += terms.regression.item<double>() * double(terms.regression_count);
      nll_count_ += terms.regression_count;
      has_nll_ = true;
    }
  }
  /// Several processes: every accumulator becomes the sum of all of theirs.
  void all_reduce(torch_impl::ProcessGroup& group, const TaskSpec& task) {
    if (group.size() == 1) return;
    torch::Tensor s = torch::tensor({double(images_), bce_sum_, nll_sum_, double(nll_count_)}, torch::kFloat64);
    group.all_reduce_sum(s);
    images_ = std::int64_t(std::llround(s[0].item<double>()));
    bce_sum_ = s[1].item<double>();
    nll_sum_ = s[2].item<double>();
    nll_count_ = std::int64_t(std::llround(s[3].item<double>()));
    has_bce_ = task.classify;
    has_nll_ = !task.targets.empty();
  }
  EpochLosses result() const {
    EpochLosses r;
    r.images = images_;
    r.loss = 0;
    if (has_bce_) r.loss += r.bce = images_ > 0 ? bce_sum_ / double(images_) : kNaN;
    if (has_nll_) r.loss += r.nll = nll_count_ > 0 ? nll_sum_ / double(nll_count_) : 0.0;
    return r;
  }

 private:
  double bce_sum_ = 0, nll_sum_ = 0;
  std::int64_t images_ = 0, nll_count_ = 0;
  bool has_bce_ = false, has_nll_ = false;
};

struct Validation {
  EpochLosses losses;
  double accuracy = kNaN, auroc = kNaN;
};

Validation validate(LensNet& model, BatchLoader& loader, const TaskSpec& task, const torch::Device& device,
                    int max_batches, torch_impl::ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  model->eval();
  LossAccumulator acc;
  std::vector<float> scores, labels;
  // Several processes: scores and labels at their positions in the validation epoch, all-reduced.
  const bool parts = group.size() > 1;
  const std::int64_t positions = parts ? loader.source().size() : 0;
  torch::Tensor placed = parts ? torch::zeros({3, positions}, torch::kFloat64) : torch::Tensor();
  loader.start_epoch(0);
  int batches = 0;
  while (auto batch = loader.next()) {
    if (max_batches > 0 && batches++ >= max_batches) break;
    if (batch->size() == 0) continue;
    const Tensors t = wrap(*batch, device);
    const torch_impl::ModelOutput out = model->forward(t.images);
    acc.add(torch_impl::compute_loss(out, t.labels, t.targets, task), batch->size());
    if (out.logit.defined()) {
      const torch::Tensor l = out.logit.to(torch::kCPU).contiguous();
      if (parts) {
        auto a = placed.accessor<double, 2>();
        for (std::int64_t k = 0; k < batch->size(); ++k) {
          const std::int64_t p = batch->global_first + batch->offset + k;
          a[0][p] = l.data_ptr<float>()[k];
          a[1][p] = batch->labels[std::size_t(k)];
          a[2][p] = 1.0;
        }
      } else {
        scores.insert(scores.end(), l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
        labels.insert(labels.end(), batch->labels.begin(), batch->labels.end());
      }
    }
  }
  acc.all_reduce(group, task);
  if (parts && task.classify) {
    group.all_reduce_sum(placed);
    auto a = placed.accessor<double, 2>();
    for (std::int64_t p = 0; p < positions; ++p) {
      if (a[2][p] == 0.0) continue;
      scores.push_back(float(a[0][p]));
      labels.push_back(float(a[1][p]));
    }
  }
  Validation v;
  v.losses = acc.result();
  if (!scores.empty()) {
    std::size_t correct = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) correct += (scores[i] > 0.f) == (labels[i] > 0.5f);
    v.accuracy = double(correct) / double(scores.size());
    v.auroc = torch_impl::rank_auroc(scores, labels);
  }
  return v;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(LensNet& model, const OptimSpec& o) {
  if (o.kind == OptimizerKind::ADAMW) {
    return std::make_unique<torch::optim::AdamW>(model->parameters(),
                                                 torch::optim::AdamWOptions(o.learning_rate).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(model->parameters(),
                                              torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
}

/// Moves the moment estimates of a restored Adam/AdamW to the parameters' device (checkpoints
/// are read onto the CPU).
template <class State>
void move_adam_state(torch::optim::Optimizer& opt, const torch::Device& device) {
  for (auto& item : opt.state()) {
    auto& s = static_cast<State&>(*item.second);
    if (s.exp_avg().defined()) s.exp_avg(s.exp_avg().to(device));
    if (s.exp_avg_sq().defined()) s.exp_avg_sq(s.exp_avg_sq().to(device));
    if (s.max_exp_avg_sq().defined()) s.max_exp_avg_sq(s.max_exp_avg_sq().to(device));
  }
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

bool output_dir_has_run(const fs::path& dir) {
  for (const char* name : {"last.pt", "best.pt", "metrics.csv", "metrics.json", "train.log"}) {
    if (fs::exists(dir / name)) return true;
  }
  return false;
}

/// One process's part of a data-parallel step: the forward and backward pass over its part of the
/// global batch, then the gradients all-reduced. Returns the global batch's loss terms (scalars;
/// total undefined gradient) and leaves every parameter's .grad() equal on all processes.
torch_impl::LossTerms distributed_step(LensNet& model, const Tensors& t, const Batch& batch, const TaskSpec& task,
                                       torch_impl::ProcessGroup& group) {
  double local_entries = 0;
  if (!task.targets.empty())
    local_entries = torch_impl::regression_mask(t.targets, t.labels, task.regress_positives_only).sum().item<double>();
  torch::Tensor counts = torch::tensor({double(batch.size()), local_entries}, torch::kFloat64);
  group.all_reduce_sum(counts);
  const torch_impl::GlobalCounts global{counts[0].item<double>(), counts[1].item<double>()};
  torch_impl::DropoutControl& dropout = model->dropout_control();
  dropout.global_offset = batch.offset;
  dropout.global_rows = batch.global_size;
  // An empty part (a final batch smaller than the process count) still runs, so that dropout
  // draws its masks; its sums are zero.
  const torch_impl::LossTerms part = torch_impl::compute_loss_part(model->forward(t.images), t.labels, t.targets,
                                                                   task, global);
  dropout.global_offset = dropout.global_rows = 0;
  part.total.backward();
  std::vector<torch::Tensor> flat;
  const auto params = model->parameters();
  for (const auto& p : params)
    flat.push_back(p.grad().defined() ? p.grad().reshape(-1) : torch::zeros({p.numel()}, p.options()));
  flat.push_back(torch::stack({part.classification.defined() ? part.classification.detach() : torch::zeros({}),
                               part.regression.defined() ? part.regression.detach() : torch::zeros({})})
                     .to(params.front().scalar_type()));
  torch::Tensor all = torch::cat(flat);
  group.all_reduce_sum(all);
  std::int64_t at = 0;
  for (const auto& p : params) {
    const torch::Tensor g = all.narrow(0, at, p.numel()).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(g);
    } else {
      p.mutable_grad() = g.clone();
    }
    at += p.numel();
  }
  torch_impl::LossTerms terms;
  if (part.classification.defined()) terms.classification = all[at].clone();
  if (part.regression.defined()) terms.regression = all[at + 1].clone();
  terms.regression_count = std::int64_t(global.regression_entries);
  terms.total = terms.classification.defined() && terms.regression.defined() ? terms.classification + terms.regression
                : terms.classification.defined()                              ? terms.classification
                                                                              : terms.regression;
  return terms;
}

/// After a data-parallel step: batch norm's running mean and variance become the average over the
/// processes weighted by their examples (a process with an empty part contributes nothing).
void average_running_stats(LensNet& model, const Batch& batch, torch_impl::ProcessGroup& group) {
  torch::NoGradGuard no_grad;
  const double weight = batch.global_size > 0 ? double(batch.size()) / double(batch.global_size) : 0.0;
  for (const auto& item : model->named_buffers()) {
    const std::string& name = item.key();
    if (name.size() < 12) continue;
    const bool stat = name.ends_with("running_mean") || name.ends_with("running_var");
    if (!stat) continue;
    torch::Tensor b = item.value();
    if (weight == 0.0) {
      b.zero_();
    } else {
      b.mul_(weight);
    }
    group.all_reduce_sum(b);
  }
}

}  // namespace

FitResult fit(const TrainConfig& config, const FitOptions& options) {
  if (const std::string e = config.validate(); !e.empty()) throw ConfigError("training config: " + e);
  if (config.output_dir.empty()) throw ConfigError("training config: output_dir is empty");
  const torch::Device device = torch_impl::parse_device(config.device);
  const DistributedOptions& dist = options.distributed;
  if (const std::string e = dist.validate(); !e.empty()) throw ConfigError("distributed training: " + e);
  if (dist.world_size > 1 && config.loader.batch_size % dist.world_size != 0)
    throw ConfigError(fmt::format("loader.batch_size = {}: training on {} processes needs a multiple of {} (the "
                                  "global batch; each process takes batch_size / {} examples of it)",
                                  config.loader.batch_size, dist.world_size, dist.world_size, dist.world_size));
  const fs::path dir(config.output_dir);
  fs::create_directories(dir);
  if (options.resume && !fs::exists(dir / "last.pt")) {
    throw ConfigError("resume: " + (dir / "last.pt").string() + " does not exist");
  }
  if (!options.resume && !options.overwrite && output_dir_has_run(dir)) {
    throw ConfigError("output_dir " + dir.string() + " already holds a run: resume it or allow overwriting");
  }
  // Every process has checked the folder above; process 0 writes into it only once all have
  // joined the group, so no process sees another's files.
  torch_impl::ProcessGroup group(dist, device);
  const bool lead = group.lead();
  RunLog log(dir / "train.log", options.resume, lead);
  const std::string last_path = (dir / "last.pt").string(), best_path = (dir / "best.pt").string();
  const int threads = torch_impl::set_torch_threads(config.threads);

  // Data.
  auto train_source = open_source(config.train, config, true, "train");
  auto val_source = open_source(config.validation, config, false, "validation");
  // A resumed run keeps the standardisation it started with (the training data may have grown).
  // Online sources simulate every example they are asked for: their scaling comes from the first
  // kOnlineScalingExamples images (the standard error of a mean is then ~3% of the spread).
  std::optional<torch_impl::CheckpointReader> resume_from;
  if (options.resume) resume_from.emplace(last_path);
  TargetScaling scaling;
  if (resume_from) {
    scaling = resume_from->card().scaling;
  } else if (!config.task.targets.empty()) {
    scaling = fit_target_scaling(*train_source, config.task,
                                 train_source->fresh_per_epoch() ? kOnlineScalingExamples : std::int64_t(100000));
  }
  LoaderOptions train_opts = config.loader;
  train_opts.seed = config.seed;
  train_opts.shard_rank = group.rank();
  train_opts.shard_count = group.size();
  LoaderOptions val_opts = train_opts;
  val_opts.shuffle = false;
  val_opts.drop_last = false;
  val_opts.balance_classes = false;
  val_opts.augment = false;
  BatchLoader train_loader(train_source, config.stack, config.preprocess, config.task, scaling, config.augment, train_opts);
  BatchLoader val_loader(val_source, config.stack, config.preprocess, config.task, scaling, AugmentSpec{}, val_opts);

  // Model and card.
  ModelCard card;
  card.software_version = LENSFORGE_VERSION;
  card.model = config.model;
  card.model.input = stacked_shape(config.stack, train_source->bands());
  card.model.classify = config.task.classify;
  card.model.num_targets = int(config.task.targets.size());
  card.stack = config.stack;
  card.bands = train_source->bands();
  card.preprocess = config.preprocess;
  card.augment = config.augment;
  card.task = config.task;
  card.scaling = scaling;
  card.config_yaml = config.yaml_text;
  card.train_data = train_source->describe();

  torch::manual_seed(config.seed);
  LensNet model(card.model, Rng(config.seed, kDropoutStream).next());
  model->to(device);
  auto optimizer = make_optimizer(model, config.optim);
  torch_impl::LrSchedule schedule(config.optim, config.epochs);

  // Loop state (saved in every last.pt).
  int start_epoch = 0, best_epoch = -1, bad_epochs = 0;
  double best_val = kInf, stopping_best = kInf;
  nlohmann::json history = nlohmann::json::array();

  if (resume_from) {
    torch_impl::CheckpointReader& reader = *resume_from;
    if (resume_identity(reader.card()) != resume_identity(card)) {
      throw ConfigError("resume: " + last_path + " was written for another model, data preparation or task: " +
                        resume_identity(reader.card()).dump() + " vs " + resume_identity(card).dump());
    }
    reader.load_weights(model);
    model->to(device);
    torch_impl::ResumeState state;
    state.optimizer = optimizer.get();
    reader.load_resume_state(state);
    if (!device.is_cpu()) {
      if (config.optim.kind == OptimizerKind::ADAMW) {
        move_adam_state<torch::optim::AdamWParamState>(*optimizer, device);
      } else {
        move_adam_state<torch::optim::AdamParamState>(*optimizer, device);
      }
    }
    const nlohmann::json& loop = state.loop;
    start_epoch = loop.at("epoch").get<int>();
    best_epoch = loop.at("best_epoch").get<int>();
    best_val = loop.at("best_val_loss").is_null() ? kInf : loop.at("best_val_loss").get<double>();
    stopping_best = loop.at("stopping_best").is_null() ? kInf : loop.at("stopping_best").get<double>();
    bad_epochs = loop.at("bad_epochs").get<int>();
    schedule.restore(loop.at("schedule"));
    history = loop.at("history");
    if (state.rng_torch.defined()) {
      at::Generator global = at::detail::getDefaultCPUGenerator();  // a handle to the shared generator
      global.set_state(state.rng_torch);
    }
    if (state.rng_dropout.defined()) model->dropout_control().generator.set_state(state.rng_dropout);
    if (lead) write_metrics(dir, history);
    log.line(fmt::format("resumed from {} after epoch {}", last_path, start_epoch));
    resume_from.reset();
  }
  // Every process starts from process 0's weights (equal already when seeded alike; this makes sure).
  if (group.size() > 1) {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      torch::Tensor d = p.detach();
      group.broadcast(d);
    }
    for (auto& b : model->buffers()) group.broadcast(b);
  }
  log.line(fmt::format("training {} ({} parameters) on {} examples of {}, validating on {}; {} threads on {}{}",
                       card.model.architecture == Architecture::CNN ? "CNN" : "ResNet",
                       torch_impl::parameter_count(*model), train_source->size(), card.train_data,
                       val_source->describe(), threads, device.str(),
                       group.size() > 1 ? fmt::format(", {} processes (gloo)", group.size()) : std::string()));

  FitResult result;
  result.epochs_completed = start_epoch;
  result.best_epoch = best_epoch;
  result.best_val_loss = best_val;
  if (fs::exists(best_path)) result.best_checkpoint = best_path;
  if (fs::exists(last_path)) result.last_checkpoint = last_path;

  auto stopped_by_patience = [&] { return config.early_stopping_patience > 0 && bad_epochs >= config.early_stopping_patience; };
  for (int epoch = start_epoch; epoch < config.epochs && !stopped_by_patience(); ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const double lr = schedule.lr(epoch);
    set_lr(*optimizer, lr);
    model->train();
    train_loader.start_epoch(epoch);
    const std::int64_t planned = options.max_batches > 0
                                     ? std::min<std::int64_t>(options.max_batches, train_loader.batches_per_epoch())
                                     : train_loader.batches_per_epoch();
    std::optional<Progress> progress;
    if (options.progress && lead) {
      progress.emplace(std::cerr, fmt::format("epoch {}/{}", epoch + 1, config.epochs), std::uint64_t(planned), 0,
                       is_terminal(2));
    }
    LossAccumulator acc;
    std::int64_t batch_index = 0;
    std::string failure;
    while (batch_index < planned) {
      std::optional<Batch> batch = train_loader.next();
      if (!batch) break;
      const Tensors t = wrap(*batch, device);
      optimizer->zero_grad();
      torch_impl::LossTerms terms;
      if (group.size() == 1) {
        terms = torch_impl::compute_loss(model->forward(t.images), t.labels, t.targets, config.task);
        const double loss = terms.total.item<double>();
        if (!std::isfinite(loss)) {
          failure = fmt::format("non-finite loss ({}) at epoch {}, batch {}", loss, epoch + 1, batch_index + 1);
          break;
        }
        terms.total.backward();
      } else {
        terms = distributed_step(model, t, *batch, config.task, group);
        const double loss = terms.total.item<double>();
        if (!std::isfinite(loss)) {  // the global batch's loss: every process stops here alike
          failure = fmt::format("non-finite loss ({}) at epoch {}, batch {}", loss, epoch + 1, batch_index + 1);
          break;
        }
      }
      if (config.optim.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), config.optim.grad_clip);
      optimizer->step();
      if (group.size() > 1) average_running_stats(model, *batch, group);
      acc.add(terms, batch->global_size);
      ++batch_index;
      if (progress) progress->update(std::uint64_t(batch_index));
    }
    if (progress) progress->finish();
    const EpochLosses train = acc.result();
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Validation val;
    if (failure.empty()) {
      val = validate(model, val_loader, config.task, device, options.max_batches, group);
      if (group.size() > 1) {  // decisions on process 0's numbers (equal anyway), taken alike everywhere
        torch::Tensor v = torch::tensor({val.losses.loss}, torch::kFloat64);
        group.broadcast(v);
        val.losses.loss = v.item<double>();
      }
      if (!std::isfinite(val.losses.loss)) {
        failure = fmt::format("non-finite validation loss ({}) after epoch {}", val.losses.loss, epoch + 1);
      }
    }
    if (!failure.empty()) {
      log.line(failure + "; stopping, " + (result.last_checkpoint.empty()
                                                ? std::string("no checkpoint was written")
                                                : "keeping the checkpoints of epoch " + std::to_string(epoch)));
      result.ok = false;
      result.stop_reason = failure;
      return result;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    schedule.observe(val.losses.loss);
    const bool best = val.losses.loss < best_val;
    if (best) {
      best_val = val.losses.loss;
      best_epoch = epoch + 1;
    }
    if (val.losses.loss < stopping_best - config.min_delta) {
      stopping_best = val.losses.loss;
      bad_epochs = 0;
    } else {
      ++bad_epochs;
    }
    history.push_back({{"epoch", epoch + 1},
                       {"lr", lr},
                       {"train_loss", finite_or_null(train.loss)},
                       {"train_bce", finite_or_null(train.bce)},
                       {"train_nll", finite_or_null(train.nll)},
                       {"val_loss", finite_or_null(val.losses.loss)},
                       {"val_bce", finite_or_null(val.losses.bce)},
                       {"val_nll", finite_or_null(val.losses.nll)},
                       {"val_accuracy", finite_or_null(val.accuracy)},
                       {"val_auroc", finite_or_null(val.auroc)},
                       {"seconds", seconds},
                       {"images_per_second", train.images / train_seconds}});

    card.created = utc_now();
    card.epoch = epoch + 1;
    card.val_loss = val.losses.loss;
    torch_impl::ResumeState state;
    state.optimizer = optimizer.get();
    state.loop = {{"epoch", epoch + 1},
                  {"best_epoch", best_epoch},
                  {"best_val_loss", finite_or_null(best_val)},
                  {"stopping_best", finite_or_null(stopping_best)},
                  {"bad_epochs", bad_epochs},
                  {"schedule", schedule.state()},
                  {"history", history}};
    state.rng_torch = at::detail::getDefaultCPUGenerator().get_state();
    state.rng_dropout = model->dropout_control().generator.get_state();
    if (lead) torch_impl::save_checkpoint(last_path, card, model, &state);
    result.last_checkpoint = last_path;
    if (best) {
      if (lead) torch_impl::save_checkpoint(best_path, card, model);
      result.best_checkpoint = best_path;
    }
    if (lead) write_metrics(dir, history);
    result.epochs_completed = epoch + 1;
    result.best_epoch = best_epoch;
    result.best_val_loss = best_val;
    log.line(fmt::format("epoch {}/{}: lr {:.3g}, train loss {:.4f}, val loss {:.4f}, accuracy {:.4f}, AUROC {:.4f}, "
                         "{:.1f} s ({:.0f} images/s){}",
                         epoch + 1, config.epochs, lr, train.loss, val.losses.loss, val.accuracy, val.auroc, seconds,
                         train.images / train_seconds, best ? ", best so far" : ""));
  }
  if (stopped_by_patience()) {
    result.stop_reason = fmt::format("early stopping: no validation improvement larger than {} for {} epochs (best: "
                                     "epoch {}, loss {:.4f})",
                                     config.min_delta, bad_epochs, best_epoch, best_val);
  } else {
    result.stop_reason = fmt::format("completed {} epochs", result.epochs_completed);
  }
  log.line(result.stop_reason);
  if (group.size() > 1) {  // every process returns after process 0 has written its files
    torch::Tensor done = torch::zeros({1});
    group.all_reduce_sum(done);
  }
  return result;
}

}  // namespace lensforge::train

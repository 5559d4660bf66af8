#include "lensforge/train/data/batch_loader.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/example_preparer.hpp"

namespace lensforge::train {

namespace {

// Stream of an epoch's order (shuffle or class-balanced draws): Rng(seed, epoch).split(kOrderTag).
// Positions p use split(p), p < 2^40, so the tag (top bit set) never meets one.
constexpr std::uint64_t kOrderTag = (1ULL << 63) | 0x6f72646572ULL;

// Signals a worker that the epoch it works on was stopped.
struct Stopped {};

}  // namespace

std::string LoaderOptions::validate() const {
  if (batch_size < 1 || batch_size > 65536) return fmt::format("batch_size = {}: must be in [1, 65536]", batch_size);
  if (workers < 1 || workers > 256) return fmt::format("workers = {}: must be in [1, 256]", workers);
  if (prefetch < 1 || prefetch > 256) return fmt::format("prefetch = {}: must be in [1, 256]", prefetch);
  if (shard_count < 1 || shard_count > 65536) return fmt::format("shard_count = {}: must be in [1, 65536]", shard_count);
  if (shard_rank < 0 || shard_rank >= shard_count)
    return fmt::format("shard_rank = {}: must be in [0, {}]", shard_rank, shard_count - 1);
  return {};
}

struct BatchLoader::Impl {
  std::shared_ptr<const ExampleSource> source;
  ExamplePreparer preparer;
  TargetScaling scaling;
  LoaderOptions options;
  std::vector<std::int64_t> positives, negatives;  // balance_classes: rows of each class

  // The epoch in flight. `order` (files) and the counters are set by start_epoch before the
  // workers start and read-only for them; `next_claim`, `next_deliver`, `ready`, `failed` are
  // guarded by `mutex`.
  int epoch = -1;
  std::vector<std::int64_t> order;
  std::int64_t num_items = 0, num_batches = 0;
  std::mutex mutex;
  std::condition_variable work_cv, ready_cv;
  std::int64_t next_claim = 0, next_deliver = 0;
  bool failed = false;
  std::map<std::int64_t, std::variant<Batch, std::exception_ptr>> ready;
  std::exception_ptr delivered_error;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  Impl(std::shared_ptr<const ExampleSource> s, const StackSpec& stack, const PreprocessSpec& preprocess,
       const TaskSpec& task, TargetScaling sc, const AugmentSpec& augment, const LoaderOptions& o)
      : source(std::move(s)),
        preparer(source->bands(), source->columns(), stack, preprocess, task,
                 o.augment ? std::optional<AugmentSpec>(augment) : std::nullopt),
        scaling(std::move(sc)),
        options(o) {}

  std::int64_t items_per_epoch() const {
    if (!options.balance_classes) return source->size();
    return std::max<std::int64_t>(1, source->size() / options.batch_size) * options.batch_size;
  }

  std::int64_t batches_per_epoch() const {
    const std::int64_t n = items_per_epoch(), b = options.batch_size;
    return options.drop_last ? n / b : (n + b - 1) / b;
  }

  // Source index of position p of the current epoch.
  std::int64_t source_index(std::int64_t p) const {
    if (source->fresh_per_epoch()) return std::int64_t(epoch) * source->size() + p;
    return order.empty() ? p : order[std::size_t(p)];
  }

  void make_order() {
    order.clear();
    if (source->fresh_per_epoch()) return;
    Rng rng = Rng(options.seed, std::uint64_t(epoch)).split(kOrderTag);
    if (options.balance_classes) {
      // Slot q of every batch: even q a positive, odd q a negative, each drawn with replacement.
      order.resize(std::size_t(num_items));
      for (std::int64_t p = 0; p < num_items; ++p) {
        const auto& pool = (p % options.batch_size) % 2 == 0 ? positives : negatives;
        order[std::size_t(p)] = pool[std::size_t(rng.below(pool.size()))];
      }
    } else if (options.shuffle) {
      order.resize(std::size_t(num_items));
      std::iota(order.begin(), order.end(), std::int64_t(0));
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[std::size_t(rng.below(i))]);
    }
  }

  Batch make_batch(std::int64_t b) const {
    const std::int64_t B = options.batch_size;
    const std::int64_t global_first = b * B, global_n = std::min(B, num_items - global_first);
    const std::int64_t K = options.shard_count, r = options.shard_rank;
    const std::int64_t lo = r * global_n / K, hi = (r + 1) * global_n / K;
    const std::int64_t first = global_first + lo, n = hi - lo;
    const InputShape& shape = preparer.shape();
    const std::size_t numel = std::size_t(shape.numel());
    const std::size_t T = scaling.names.size();
    Batch batch;
    batch.shape = shape;
    batch.num_targets = int(T);
    batch.global_first = global_first;
    batch.global_size = global_n;
    batch.offset = lo;
    batch.indices.resize(std::size_t(n));
    batch.images.resize(std::size_t(n) * numel);
    batch.labels.resize(std::size_t(n));
    batch.targets.resize(std::size_t(n) * T);
    for (std::int64_t k = 0; k < n; ++k) {
      if (stop.load(std::memory_order_relaxed)) throw Stopped{};
      const std::int64_t p = first + k;
      const RawExample raw = source->get(source_index(p));
      Example ex;
      if (preparer.augments()) {
        Rng rng = Rng(options.seed, std::uint64_t(epoch)).split(std::uint64_t(p));
        ex = preparer.prepare(raw, &rng);
      } else {
        ex = preparer.prepare(raw, nullptr);
      }
      batch.indices[std::size_t(k)] = ex.index;
      std::copy(ex.pixels.begin(), ex.pixels.end(), batch.images.begin() + std::ptrdiff_t(std::size_t(k) * numel));
      batch.labels[std::size_t(k)] = ex.label;
      for (std::size_t t = 0; t < T; ++t)
        batch.targets[std::size_t(k) * T + t] = float((ex.targets[t] - scaling.mean[t]) / scaling.scale[t]);
    }
    return batch;
  }

  void work() {
    for (;;) {
      std::int64_t b = 0;
      {
        std::unique_lock lock(mutex);
        work_cv.wait(lock, [&] {
          return stop || failed || next_claim >= num_batches || next_claim < next_deliver + options.prefetch;
        });
        if (stop || failed || next_claim >= num_batches) return;
        b = next_claim++;
      }
      std::variant<Batch, std::exception_ptr> result;
      try {
        result = make_batch(b);
      } catch (const Stopped&) {
        return;
      } catch (...) {
        result = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        if (std::holds_alternative<std::exception_ptr>(result)) failed = true;
        ready.emplace(b, std::move(result));
      }
      ready_cv.notify_all();
      work_cv.notify_all();
    }
  }

  void stop_epoch() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    work_cv.notify_all();
    for (std::thread& t : threads) t.join();
    threads.clear();
    ready.clear();
    failed = false;
    delivered_error = nullptr;
    stop = false;
  }
};

BatchLoader::BatchLoader(std::shared_ptr<const ExampleSource> source, StackSpec stack, PreprocessSpec preprocess,
                         TaskSpec task, TargetScaling scaling, AugmentSpec augment, LoaderOptions options) {
  if (!source) throw ConfigError("loader: no example source given");
  if (auto e = options.validate(); !e.empty()) throw ConfigError("loader." + e);
  if (auto e = scaling.validate(); !e.empty()) throw ConfigError("scaling." + e);
  if (scaling.names != task.targets)
    throw ConfigError(fmt::format("loader: the target scaling is for [{}], the task's targets are [{}]",
                                  fmt::join(scaling.names, ", "), fmt::join(task.targets, ", ")));
  if (source->size() < 1) throw ConfigError(fmt::format("loader: {} has no examples", source->describe()));
  impl_ = std::make_unique<Impl>(std::move(source), stack, preprocess, task, std::move(scaling), augment, options);
  if (options.balance_classes) {
    const ExampleSource& s = *impl_->source;
    if (s.fresh_per_epoch())
      throw ConfigError(
          "loader.balance_classes: online sources draw classes by the population's fractions (set them "
          "in its classes:); balancing is for files");
    const auto& cols = s.columns();
    const auto it = std::find(cols.begin(), cols.end(), "class");
    if (it == cols.end())
      throw ConfigError(fmt::format("loader.balance_classes: {} was opened without the 'class' column", s.describe()));
    const std::size_t c = std::size_t(it - cols.begin());
    for (std::int64_t i = 0; i < s.size(); ++i)
      (s.labels(i)[c] == 1.0 ? impl_->positives : impl_->negatives).push_back(i);
    if (impl_->positives.empty() || impl_->negatives.empty())
      throw ConfigError(fmt::format("loader.balance_classes: {} has {} positives and {} negatives; both are needed",
                                    s.describe(), impl_->positives.size(), impl_->negatives.size()));
  }
}

BatchLoader::~BatchLoader() { impl_->stop_epoch(); }

InputShape BatchLoader::shape() const { return impl_->preparer.shape(); }

std::int64_t BatchLoader::batches_per_epoch() const { return impl_->batches_per_epoch(); }

const ExampleSource& BatchLoader::source() const { return *impl_->source; }

void BatchLoader::start_epoch(int epoch, std::int64_t first_batch) {
  Impl& m = *impl_;
  if (epoch < 0) throw ConfigError(fmt::format("loader: epoch {} must be >= 0", epoch));
  const std::int64_t nb = m.batches_per_epoch();
  if (first_batch < 0 || first_batch > nb)
    throw ConfigError(fmt::format("loader: first batch {} must be in [0, {}] (batches per epoch)", first_batch, nb));
  m.stop_epoch();
  m.epoch = epoch;
  m.num_items = m.items_per_epoch();
  m.num_batches = nb;
  m.make_order();
  m.next_claim = m.next_deliver = first_batch;
  const int workers = int(std::min<std::int64_t>(m.options.workers, std::max<std::int64_t>(1, nb - first_batch)));
  for (int w = 0; w < workers; ++w) m.threads.emplace_back([&m] { m.work(); });
}

std::optional<Batch> BatchLoader::next() {
  Impl& m = *impl_;
  if (m.epoch < 0) throw std::logic_error("BatchLoader::next: call start_epoch first");
  std::unique_lock lock(m.mutex);
  if (m.delivered_error) std::rethrow_exception(m.delivered_error);
  if (m.next_deliver >= m.num_batches) return std::nullopt;
  m.ready_cv.wait(lock, [&] { return m.ready.count(m.next_deliver) > 0; });
  auto node = m.ready.extract(m.next_deliver);
  ++m.next_deliver;
  lock.unlock();
  m.work_cv.notify_all();
  if (auto* e = std::get_if<std::exception_ptr>(&node.mapped())) {
    m.delivered_error = *e;
    std::rethrow_exception(*e);
  }
  return std::move(std::get<Batch>(node.mapped()));
}

}  // namespace lensforge::train

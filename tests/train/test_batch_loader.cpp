// BatchLoader: batches hold the stored pixels and labels; epochs are permutations fixed by the
// seed; results do not depend on the worker count; start_epoch(e, b) resumes exactly; class
// balance; worker errors reach next(); early destruction does not hang. fit_target_scaling.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <numeric>
#include <set>
#include <thread>

#include "data_test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/data/batch_loader.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

constexpr std::int64_t kRows = 30;

const std::string& dataset() { return test::synthetic_dataset<kRows>(); }

TaskSpec theta_task() {
  TaskSpec t;
  t.targets = {"lens_theta_E", "lens_center_x"};
  return t;
}

AugmentSpec full_augment() {
  AugmentSpec a;
  a.max_shift = 0.5;
  a.noise_redraw = true;
  a.vector_pairs = default_vector_pairs();
  a.spin2_pairs = default_spin2_pairs();
  return a;
}

std::shared_ptr<const ExampleSource> file_source(bool noise_planes = true) {
  SourceOptions o;
  const AugmentSpec a = full_augment();
  o.columns = required_columns(theta_task(), &a);
  o.noise_planes = noise_planes;
  return open_dataset_source(dataset(), o);
}

const StackSpec kStack{{"A", "B"}, BandGrid::FINEST, 0.0, 0};  // B (0.3"/px) onto A's 0.1"/px grid

std::vector<Batch> run_epoch(BatchLoader& loader, int epoch, std::int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].indices != b[k].indices || a[k].images.size() != b[k].images.size() ||
        a[k].targets.size() != b[k].targets.size())
      return false;
    if (std::memcmp(a[k].images.data(), b[k].images.data(), a[k].images.size() * sizeof(float)) != 0) return false;
    if (std::memcmp(a[k].targets.data(), b[k].targets.data(), a[k].targets.size() * sizeof(float)) != 0) return false;
    if (a[k].labels != b[k].labels) return false;
  }
  return true;
}

// A source of tiny images whose get() sleeps, or throws for one index.
class FakeSource : public ExampleSource {
 public:
  FakeSource(std::int64_t n, std::int64_t bad, std::chrono::milliseconds delay) : n_(n), bad_(bad), delay_(delay) {}
  std::int64_t size() const override { return n_; }
  const std::vector<BandSchema>& bands() const override { return bands_; }
  const std::vector<std::string>& columns() const override { return columns_; }
  bool fresh_per_epoch() const override { return false; }
  RawExample get(std::int64_t i) const override {
    ++calls;
    std::this_thread::sleep_for(delay_);
    if (i == bad_) throw IoError("fake: image " + std::to_string(i) + " is damaged");
    RawExample r;
    r.index = i;
    r.bands = {ImageF::Constant(4, 4, float(i))};
    r.values = {double(i % 2), std::nan("")};
    return r;
  }
  std::string describe() const override { return "fake"; }
  mutable std::atomic<int> calls{0};

 private:
  std::int64_t n_, bad_;
  std::chrono::milliseconds delay_;
  std::vector<BandSchema> bands_{BandSchema{"A", "", 4, 4, "e-/s", 25, 0.1, 1, 0}};
  std::vector<std::string> columns_{"class", "theta"};  // theta: never known
};

}  // namespace

TEST(BatchLoader, BatchesHoldTheStoredPixelsAndLabels) {
  SourceOptions so;
  so.columns = {"class", "lens_theta_E", "lens_center_x"};
  const std::shared_ptr<const ExampleSource> src = open_dataset_source(dataset(), so);
  PreprocessSpec pre;
  pre.normalisation = Normalisation::NONE;
  const TargetScaling scaling{{"lens_theta_E", "lens_center_x"}, {0.5, 0.1}, {0.25, 2.0}};
  LoaderOptions o;
  o.batch_size = 8;
  o.shuffle = false;
  o.workers = 2;
  BatchLoader loader(src, StackSpec{{"C", "A"}, BandGrid::NATIVE, 0.0, 0}, pre, theta_task(), scaling, AugmentSpec{},
                     o);
  EXPECT_EQ(loader.shape(), (InputShape{2, 12, 12}));
  EXPECT_EQ(loader.batches_per_epoch(), 4);  // 30 rows: 8 + 8 + 8 + 6
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches.back().size(), 6);
  std::int64_t row = 0;
  for (const Batch& b : batches) {
    EXPECT_EQ(b.shape, loader.shape());
    EXPECT_EQ(b.num_targets, 2);
    for (std::int64_t k = 0; k < b.size(); ++k, ++row) {
      ASSERT_EQ(b.indices[std::size_t(k)], row);
      const float* img = b.images.data() + k * 288;
      for (int c = 0; c < 2; ++c)
        for (int y = 0; y < 12; ++y)
          for (int x = 0; x < 12; ++x)
            ASSERT_EQ(img[c * 144 + y * 12 + x], test::synthetic_pixel(row, c == 0 ? 2 : 0, 0, y, x));
      const bool pos = test::synthetic_positive(row);
      EXPECT_EQ(b.labels[std::size_t(k)], pos ? 1.0f : 0.0f);
      const float theta = b.targets[std::size_t(2 * k)];
      if (pos)
        EXPECT_EQ(theta, float((test::synthetic_theta_E(row) - 0.5) / 0.25));
      else
        EXPECT_TRUE(std::isnan(theta));
      EXPECT_EQ(b.targets[std::size_t(2 * k + 1)], float((0.01 * double(row) - 0.1) / 2.0));
    }
  }
  EXPECT_EQ(row, kRows);
  EXPECT_FALSE(loader.next());  // stays at the end
}

TEST(BatchLoader, ShuffledEpochsArePermutationsFixedBySeedAndEpoch) {
  const auto src = file_source(false);
  LoaderOptions o;
  o.batch_size = 7;
  o.seed = 5;
  const TargetScaling sc = fit_target_scaling(*src, theta_task());
  BatchLoader a(src, kStack, PreprocessSpec{}, theta_task(), sc, AugmentSpec{}, o);
  BatchLoader b(src, kStack, PreprocessSpec{}, theta_task(), sc, AugmentSpec{}, o);
  auto order = [](const std::vector<Batch>& bs) {
    std::vector<std::int64_t> idx;
    for (const Batch& x : bs) idx.insert(idx.end(), x.indices.begin(), x.indices.end());
    return idx;
  };
  const auto e0 = order(run_epoch(a, 0)), e1 = order(run_epoch(a, 1));
  std::vector<std::int64_t> all(kRows);
  std::iota(all.begin(), all.end(), 0);
  for (const auto* e : {&e0, &e1}) {
    std::vector<std::int64_t> sorted = *e;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, all);
  }
  EXPECT_NE(e0, e1);
  EXPECT_NE(e0, all);
  EXPECT_EQ(order(run_epoch(b, 1)), e1);
}

TEST(BatchLoader, BatchesDoNotDependOnTheWorkerCount) {
  const auto src = file_source();
  const TargetScaling sc = fit_target_scaling(*src, theta_task());
  LoaderOptions o;
  o.batch_size = 4;
  o.augment = true;
  o.seed = 17;
  o.prefetch = 2;
  std::vector<std::vector<Batch>> runs;
  for (int workers : {1, 3}) {
    o.workers = workers;
    BatchLoader loader(src, kStack, PreprocessSpec{}, theta_task(), sc, full_augment(), o);
    runs.push_back(run_epoch(loader, 2));
  }
  ASSERT_EQ(runs[0].size(), 8u);
  EXPECT_TRUE(same_batches(runs[0], runs[1]));
}

TEST(BatchLoader, StartEpochResumesExactly) {
  const auto src = file_source();
  const TargetScaling sc = fit_target_scaling(*src, theta_task());
  LoaderOptions o;
  o.batch_size = 4;
  o.augment = true;
  o.seed = 3;
  o.workers = 2;
  BatchLoader loader(src, kStack, PreprocessSpec{}, theta_task(), sc, full_augment(), o);
  run_epoch(loader, 0);
  const auto through = run_epoch(loader, 1);
  // Stop mid-epoch (batches in flight are dropped), then resume at batch 3 of epoch 1.
  loader.start_epoch(4);
  ASSERT_TRUE(loader.next());
  const auto resumed = run_epoch(loader, 1, 3);
  EXPECT_TRUE(same_batches(resumed, std::vector<Batch>(through.begin() + 3, through.end())));
  EXPECT_TRUE(run_epoch(loader, 1, loader.batches_per_epoch()).empty());
  EXPECT_THROW(loader.start_epoch(1, loader.batches_per_epoch() + 1), ConfigError);
  // A different epoch augments differently (same rows, other draws).
  EXPECT_FALSE(same_batches(run_epoch(loader, 0), through));
}

TEST(BatchLoader, DropLastAndOnlineIndices) {
  auto fake = std::make_shared<FakeSource>(10, -1, std::chrono::milliseconds(0));
  LoaderOptions o;
  o.batch_size = 4;
  o.drop_last = true;
  o.shuffle = false;
  BatchLoader loader(fake, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{}, TargetScaling{},
                     AugmentSpec{}, o);
  EXPECT_EQ(loader.batches_per_epoch(), 2);
  EXPECT_EQ(run_epoch(loader, 0).size(), 2u);

  // Online: epoch e reads indices [e N, (e + 1) N) in order.
  const auto cfg = std::make_shared<const GeneratorConfig>(test::small_lsst_config());
  SourceOptions so;
  so.bands = {"g", "r"};
  so.columns = {"class"};
  const std::shared_ptr<const ExampleSource> online = make_online_source(cfg, 2, 3, so);
  LoaderOptions lo;
  lo.batch_size = 2;
  BatchLoader ol(online, StackSpec{{"g", "r"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{}, TargetScaling{},
                 AugmentSpec{}, lo);
  const auto e1 = run_epoch(ol, 1);
  ASSERT_EQ(e1.size(), 2u);
  EXPECT_EQ(e1[0].indices, (std::vector<std::int64_t>{3, 4}));
  EXPECT_EQ(e1[1].indices, (std::vector<std::int64_t>{5}));
}

TEST(BatchLoader, BalancedBatchesAreHalfPositive) {
  const auto src = file_source(false);  // 10 positives in 30 rows
  LoaderOptions o;
  o.batch_size = 6;
  o.balance_classes = true;
  o.seed = 8;
  const TargetScaling sc = fit_target_scaling(*src, theta_task());
  BatchLoader loader(src, kStack, PreprocessSpec{}, theta_task(), sc, AugmentSpec{}, o);
  EXPECT_EQ(loader.batches_per_epoch(), 5);
  const auto batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 5u);
  std::set<std::int64_t> positives;
  for (const Batch& b : batches) {
    ASSERT_EQ(b.size(), 6);
    EXPECT_EQ(std::count(b.labels.begin(), b.labels.end(), 1.0f), 3);
    for (std::int64_t k = 0; k < b.size(); ++k) {
      EXPECT_EQ(b.labels[std::size_t(k)], test::synthetic_positive(b.indices[std::size_t(k)]) ? 1.0f : 0.0f);
      if (b.labels[std::size_t(k)] == 1.0f) positives.insert(b.indices[std::size_t(k)]);
    }
  }
  EXPECT_GT(positives.size(), 5u);  // 15 draws with replacement from 10 positives
  BatchLoader again(src, kStack, PreprocessSpec{}, theta_task(), sc, AugmentSpec{}, o);
  EXPECT_TRUE(same_batches(run_epoch(again, 0), batches));

  auto online = make_online_source(std::make_shared<const GeneratorConfig>(test::small_lsst_config()), 1, 4,
                                   SourceOptions{{"g"}, {"class"}});
  EXPECT_THROW(BatchLoader(std::move(online), StackSpec{{"g"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{},
                           TargetScaling{}, AugmentSpec{}, o),
               ConfigError);
}

TEST(BatchLoader, WorkerErrorsReachNextInOrder) {
  // Example 9 fails: batches 0-1 (examples 0-7) arrive, then batch 2 rethrows the IoError, and so
  // does every later call until the next start_epoch.
  auto fake = std::make_shared<FakeSource>(20, 9, std::chrono::milliseconds(1));
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = false;
  o.workers = 3;
  BatchLoader loader(fake, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{}, TargetScaling{},
                     AugmentSpec{}, o);
  loader.start_epoch(0);
  EXPECT_EQ(loader.next()->indices.front(), 0);
  EXPECT_EQ(loader.next()->indices.front(), 4);
  try {
    loader.next();
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("image 9"), std::string::npos);
  }
  EXPECT_THROW(loader.next(), IoError);
  loader.start_epoch(0, 3);  // past the bad example
  EXPECT_EQ(loader.next()->indices.front(), 12);
}

TEST(BatchLoader, StopsPromptlyWhenTheConsumerStopsEarly) {
  // 1000 examples at 5 ms with 4 workers would take 1.25 s; destroying the loader after one
  // batch must stop the workers after their current example, not at the end of the epoch.
  auto fake = std::make_shared<FakeSource>(1000, -1, std::chrono::milliseconds(5));
  const auto t0 = std::chrono::steady_clock::now();
  {
    LoaderOptions o;
    o.batch_size = 10;
    o.workers = 4;
    o.prefetch = 50;
    BatchLoader loader(fake, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{}, TargetScaling{},
                       AugmentSpec{}, o);
    loader.start_epoch(0);
    ASSERT_TRUE(loader.next());
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(fake->calls.load(), 200);
  EXPECT_LT(s, 1.0);
  // A loader never started, and one whose epoch ran out, also shut down.
  {
    BatchLoader idle(fake, StackSpec{{"A"}, BandGrid::NATIVE, 0.0, 0}, PreprocessSpec{}, TaskSpec{}, TargetScaling{},
                     AugmentSpec{}, LoaderOptions{});
    EXPECT_THROW(idle.next(), std::logic_error);
  }
}

TEST(BatchLoader, RefusesMismatchedScalingAndOptions) {
  const auto src = file_source(false);
  LoaderOptions o;
  EXPECT_THROW(BatchLoader(src, kStack, PreprocessSpec{}, theta_task(), TargetScaling{}, AugmentSpec{}, o),
               ConfigError);
  o.workers = 0;
  const TargetScaling sc = fit_target_scaling(*src, theta_task());
  EXPECT_THROW(BatchLoader(src, kStack, PreprocessSpec{}, theta_task(), sc, AugmentSpec{}, o), ConfigError);
  o = LoaderOptions{};
  o.augment = true;  // noise_redraw without noise planes: reported by next()
  BatchLoader loader(src, kStack, PreprocessSpec{}, theta_task(), sc, full_augment(), o);
  loader.start_epoch(0);
  EXPECT_THROW(loader.next(), ConfigError);
}

TEST(TargetScaling, FitsMeanAndSpreadOfPositives) {
  const auto src = file_source(false);
  const TargetScaling s = fit_target_scaling(*src, theta_task());
  ASSERT_EQ(s.names, theta_task().targets);
  // Positives are rows 0, 3, ..., 27: theta_E = 0.5 + 0.01 i, lens_center_x = 0.01 i.
  double m = 0, v = 0;
  for (int i = 0; i < kRows; i += 3) m += 0.5 + 0.01 * i;
  m /= 10;
  for (int i = 0; i < kRows; i += 3) v += (0.5 + 0.01 * i - m) * (0.5 + 0.01 * i - m);
  EXPECT_NEAR(s.mean[0], m, 1e-14);
  EXPECT_NEAR(s.scale[0], std::sqrt(v / 10), 1e-14);
  EXPECT_NEAR(s.mean[1], m - 0.5, 1e-14);
  EXPECT_NEAR(s.scale[1], std::sqrt(v / 10), 1e-14);
  // All rows, first 6 only.
  TaskSpec all = theta_task();
  all.regress_positives_only = false;
  all.targets = {"lens_center_x"};
  const TargetScaling a = fit_target_scaling(*src, all, 6);
  EXPECT_NEAR(a.mean[0], 0.025, 1e-15);
  // No finite value among the negatives' theta_E; a column not read.
  TaskSpec t = theta_task();
  t.targets = {"lens_theta_E"};
  t.regress_positives_only = false;
  EXPECT_NO_THROW(fit_target_scaling(*src, t, 2));  // row 0 is a positive
  EXPECT_THROW(fit_target_scaling(*src, t, 0), ConfigError);
  SourceOptions so;
  so.columns = {"class", "lens_theta_E"};
  so.max_rows = 3;
  t.targets = {"lens_theta_E"};
  const auto few = open_dataset_source(dataset(), so);
  TaskSpec neg = t;
  neg.regress_positives_only = true;
  EXPECT_NO_THROW(fit_target_scaling(*few, neg));
  t.targets = {"lens_e1"};
  EXPECT_THROW(fit_target_scaling(*few, t), ConfigError);
  FakeSource unknown(4, -1, std::chrono::milliseconds(0));
  t.targets = {"theta"};
  try {
    fit_target_scaling(unknown, t);
    FAIL() << "fitted a target without values";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'theta' has no finite value"), std::string::npos) << e.what();
  }
}

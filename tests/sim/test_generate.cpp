// The dataset generator: files do not depend on the thread count, on a shard split merged back,
// or on an interruption and resume; class fractions; the generate and merge commands.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "lensforge/sim/app/generate_command.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "test_support.hpp"

using namespace lensforge;
namespace fs = std::filesystem;

namespace {

// The shipped LSST example, shrunk to 16x16 cutouts without supersampling and class blocks of 10
// so that a few dozen images run in well under a second.
std::string small_lsst_config() {
  std::ifstream in(test::source_path("configs/populations/lsst.yaml"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  s = std::regex_replace(s, std::regex("image_size: 64"), "image_size: 16");
  s = std::regex_replace(s, std::regex("supersampling: 2"), "supersampling: 1");
  s = std::regex_replace(s, std::regex("class_block: 100"), "class_block: 20");
  s = std::regex_replace(s, std::regex("min_lensed_pixels: 10"), "min_lensed_pixels: 3");
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("lensforge_gen_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

const GeneratorConfig& config() {
  static const GeneratorConfig c =
      parse_generator_config(small_lsst_config(), "lsst_small.yaml", test::source_path("configs/populations"),
                             test::source_path("configs"));
  return c;
}

// Every plane and label of two data sets, bitwise (NaN equal to NaN).
void expect_same_data(const std::string& a_path, const std::string& b_path) {
  const DatasetReader a(a_path), b(b_path);
  ASSERT_EQ(a.num_images(), b.num_images());
  ASSERT_EQ(schema_difference(a.schema(), b.schema()), "");
  const DatasetSchema& s = a.schema();
  for (std::int64_t i = 0; i < a.num_images(); ++i)
    for (const BandSchema& band : s.bands) {
      for (DatasetPlane p : {DatasetPlane::IMAGE, DatasetPlane::NOISELESS, DatasetPlane::SOURCE, DatasetPlane::SIGMA}) {
        if (!s.has_plane(p)) continue;
        const ImageF x = a.read_image(band.name, i, p), y = b.read_image(band.name, i, p);
        ASSERT_EQ(0, std::memcmp(x.data(), y.data(), sizeof(float) * x.size()))
            << band.name << " " << dataset_plane_name(p) << " image " << i;
      }
      if (s.planes.mask) {
        ASSERT_TRUE((a.read_mask(band.name, i) == b.read_mask(band.name, i)).all());
      }
    }
  for (const LabelColumn& c : s.labels) {
    const LabelData x = a.read_label(c.name), y = b.read_label(c.name);
    if (const auto* dx = std::get_if<std::vector<double>>(&x)) {
      const auto& dy = std::get<std::vector<double>>(y);
      ASSERT_EQ(0, std::memcmp(dx->data(), dy.data(), sizeof(double) * dx->size())) << c.name;
    } else {
      ASSERT_TRUE(x == y) << c.name;
    }
  }
}

GenerateOptions options(const std::string& out, std::uint64_t n, int threads) {
  GenerateOptions o;
  o.output = out;
  o.num_images = n;
  o.seed = 42;
  o.threads = threads;
  return o;
}

}  // namespace

TEST(Generate, FileDoesNotDependOnTheThreadCount) {
  TempDir dir;
  generate_dataset(config(), options(dir / "one.h5", 20, 1));
  generate_dataset(config(), options(dir / "two.h5", 20, 2));
  expect_same_data(dir / "one.h5", dir / "two.h5");
  const DatasetReader r(dir / "one.h5");
  EXPECT_EQ(r.run().seed, 42u);
  EXPECT_EQ(r.run().config_text, config().yaml_text);
  const auto index = std::get<std::vector<std::int64_t>>(r.read_label("index"));
  for (std::size_t i = 0; i < index.size(); ++i) EXPECT_EQ(index[i], std::int64_t(i));
}

TEST(Generate, ShardsMergedBackEqualTheUnshardedRun) {
  TempDir dir;
  generate_dataset(config(), options(dir / "all.h5", 20, 2));
  std::vector<std::string> shards;
  for (std::uint64_t k : {2u, 0u, 1u}) {  // any order
    GenerateOptions o = options(dir / ("shard" + std::to_string(k) + ".h5"), 20, 1);
    o.shard = k;
    o.num_shards = 3;
    generate_dataset(config(), o);
    shards.push_back(o.output);
    EXPECT_EQ(DatasetReader(o.output).num_images(), std::int64_t(shard_range(20, k, 3).second - shard_range(20, k, 3).first));
  }
  merge_datasets(shards, dir / "merged.h5", {});
  expect_same_data(dir / "all.h5", dir / "merged.h5");
  // A missing shard is named, not silently skipped.
  EXPECT_THROW(merge_datasets({shards[0], shards[1]}, dir / "bad.h5", {}), ConfigError);
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
}

TEST(Generate, AnInterruptedRunLeavesOnlyAPartialFileAndResumesToTheSameResult) {
  TempDir dir;
  generate_dataset(config(), options(dir / "ref.h5", 20, 2));
  GenerateOptions o = options(dir / "run.h5", 20, 2);
  o.writer.flush_every = 4;
  struct Interrupt {};
  EXPECT_THROW(generate_dataset(config(), o,
                                [](std::uint64_t done, std::uint64_t) {
                                  if (done == 7) throw Interrupt{};
                                }),
               Interrupt);
  EXPECT_FALSE(fs::exists(dir / "run.h5"));  // never mistaken for complete
  EXPECT_TRUE(fs::exists(dir / "run.h5.partial"));
  o.resume = true;
  const GenerateStats s = generate_dataset(config(), o);
  EXPECT_EQ(s.resumed_from, 7u);
  EXPECT_FALSE(fs::exists(dir / "run.h5.partial"));
  expect_same_data(dir / "ref.h5", dir / "run.h5");
}

TEST(Generate, ClassesComeInTheConfiguredFractions) {
  TempDir dir;
  generate_dataset(config(), options(dir / "f.h5", 40, 2));
  const DatasetReader r(dir / "f.h5");
  const auto subtype = std::get<std::vector<std::string>>(r.read_label("subtype"));
  std::map<std::string, int> counts;
  for (const auto& s : subtype) ++counts[s];
  // lsst.yaml: lens 0.5, nonlens_galaxy 0.2, spiral 0.1, ring_galaxy 0.1, merger 0.05, edge_on 0.05,
  // exact in every block of 20 images.
  EXPECT_EQ(counts["lens"], 20);
  EXPECT_EQ(counts["nonlens_galaxy"], 8);
  EXPECT_EQ(counts["spiral"], 4);
  EXPECT_EQ(counts["ring_galaxy"], 4);
  EXPECT_EQ(counts["merger"], 2);
  EXPECT_EQ(counts["edge_on"], 2);
}

TEST(Generate, OptionsAreValidated) {
  EXPECT_NE(options("x.h5", 0, 1).validate(), "");
  GenerateOptions o = options("x.h5", 10, 1);
  o.shard = 3;
  o.num_shards = 3;
  EXPECT_NE(o.validate().find("shard"), std::string::npos);
  EXPECT_EQ(parse_shard("2/5"), (std::pair<std::uint64_t, std::uint64_t>{2, 5}));
  for (const char* bad : {"5/5", "1", "a/2", "-1/2", "1/0", "1/2x"}) EXPECT_THROW(parse_shard(bad), ConfigError) << bad;
  EXPECT_EQ(shard_range(10, 0, 3), (std::pair<std::uint64_t, std::uint64_t>{0, 3}));
  EXPECT_EQ(shard_range(10, 2, 3), (std::pair<std::uint64_t, std::uint64_t>{6, 10}));
}

TEST(GenerateCommand, WritesAFileOrOneErrorAndNothing) {
  TempDir dir;
  {
    std::ofstream(dir / "small.yaml") << small_lsst_config();
  }
  std::ostringstream out, err;
  GenerateCommandArgs a;
  a.config_path = dir / "small.yaml";
  a.num_images = 6;
  a.output_path = dir / "set.h5";
  a.configs_dir = test::source_path("configs");
  ASSERT_EQ(run_generate_command(a, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("wrote"), std::string::npos) << out.str();
  EXPECT_EQ(DatasetReader(a.output_path).num_images(), 6);
  // The existing output is not replaced.
  std::ostringstream out2, err2;
  EXPECT_EQ(run_generate_command(a, out2, err2), 2);
  EXPECT_NE(err2.str().find("--overwrite"), std::string::npos) << err2.str();
  // A bad config key: one error line naming file, line and key; nothing written.
  {
    std::ofstream(dir / "bad.yaml") << std::regex_replace(small_lsst_config(), std::regex("class_block:"), "class_blok:");
  }
  a.config_path = dir / "bad.yaml";
  a.output_path = dir / "bad.h5";
  std::ostringstream out3, err3;
  EXPECT_EQ(run_generate_command(a, out3, err3), 2);
  EXPECT_NE(err3.str().find("class_blok"), std::string::npos) << err3.str();
  EXPECT_NE(err3.str().find("bad.yaml:"), std::string::npos) << err3.str();
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
  EXPECT_FALSE(fs::exists(dir / "bad.h5.partial"));
}

// ---- scale-out: virtual masters over shards, mpirun ---------------------------------------------

namespace {

// Shards k of K of the test run (seed 42, 20 images) in `dir`, in the order given.
std::vector<std::string> write_shards(const TempDir& dir, const std::string& stem, std::uint64_t num_shards) {
  std::vector<std::string> shards;
  for (std::uint64_t k = num_shards; k-- > 0;) {
    GenerateOptions o = options(dir / (stem + std::to_string(k) + ".h5"), 20, 1);
    o.shard = k;
    o.num_shards = num_shards;
    generate_dataset(config(), o);
    shards.push_back(o.output);
  }
  return shards;
}

// Runs /usr/bin/python3 on `script` with `args`; returns its exit status and output.
std::pair<int, std::string> run_python(const TempDir& dir, const std::string& script, const std::string& args) {
  std::ofstream(dir / "check.py") << script;
  const std::string cmd = "/usr/bin/python3 '" + dir / "check.py" + "' " + args + " >'" + dir / "python.log" + "' 2>&1";
  const int status = test::shell(cmd);
  return {status, test::read_text(dir / "python.log")};
}

}  // namespace

TEST(Generate, AVirtualMasterOverTheShardsReadsAsTheUnshardedRun) {
  TempDir dir;
  generate_dataset(config(), options(dir / "all.h5", 20, 2));
  fs::create_directories(dir / "run");
  const std::vector<std::string> shards = write_shards(dir, "run/part", 3);
  write_virtual_master(shards, dir / "run/master.h5", false);
  expect_same_data(dir / "all.h5", dir / "run/master.h5");
  {
    const DatasetReader m(dir / "run/master.h5");
    EXPECT_EQ(m.shard_files(), (std::vector<std::string>{"part0.h5", "part1.h5", "part2.h5"}));  // relative
    EXPECT_EQ(m.run().num_images, 20);
    EXPECT_TRUE(m.complete());
    // The master maps the shards' images: it stores a few kB, not the images.
    EXPECT_LT(fs::file_size(dir / "run/master.h5"), fs::file_size(dir / "all.h5") / 4);
  }
  EXPECT_TRUE(DatasetReader(dir / "all.h5").shard_files().empty());
  EXPECT_THROW(write_virtual_master(shards, dir / "run/master.h5", false), IoError);  // exists

  // What a user's h5py sees is the unsharded run, dataset by dataset, byte for byte.
  const auto [status, log] = run_python(dir, R"(
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names = []
a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
assert len(names) > 20, names
for n in names:
    x, y = a[n][()], b[n][()]
    assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), n
assert b["labels/index"].is_virtual and not a["labels/index"].is_virtual
print("ok", len(names))
)", "'" + dir / "all.h5" + "' '" + dir / "run/master.h5" + "'");
  ASSERT_EQ(status, 0) << log << "(h5py is installed by scripts/setup.sh)";
  EXPECT_EQ(log.rfind("ok ", 0), 0u) << log;

  // The folder moves as a whole (names are relative); a missing shard is named, never read as zeros.
  fs::rename(dir / "run", dir / "moved");
  expect_same_data(dir / "all.h5", dir / "moved/master.h5");
  fs::remove(dir / "moved/part1.h5");
  try {
    DatasetReader r(dir / "moved/master.h5");
    ADD_FAILURE() << "a master with a missing shard was opened";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("part1.h5"), std::string::npos) << e.what();
  }
  // Shards that do not tile the run, or a master given as a shard, are refused.
  EXPECT_THROW(write_virtual_master({dir / "moved/part0.h5", dir / "moved/part2.h5"}, dir / "bad.h5", false),
               ConfigError);
  EXPECT_FALSE(fs::exists(dir / "bad.h5"));
}

TEST(GenerateCommand, MergeWritesAVirtualMasterOrACopy) {
  TempDir dir;
  generate_dataset(config(), options(dir / "all.h5", 20, 2));
  const std::vector<std::string> shards = write_shards(dir, "part", 2);
  MergeCommandArgs a;
  a.shards = {shards[1]};  // shard 0 of 2 alone: the run's last images are missing
  a.output_path = dir / "virtual.h5";
  std::ostringstream out0, err0;
  EXPECT_EQ(run_merge_command(a, out0, err0), 2);
  EXPECT_NE(err0.str().find("images 10..19 of the run's 20 are missing"), std::string::npos) << err0.str();
  EXPECT_FALSE(fs::exists(a.output_path));
  a.shards = shards;
  std::ostringstream out, err;
  ASSERT_EQ(run_merge_command(a, out, err), 0) << err.str();
  EXPECT_EQ(DatasetReader(a.output_path).shard_files().size(), 2u);
  expect_same_data(dir / "all.h5", a.output_path);
  a.output_path = dir / "copy.h5";
  a.gzip = 1;
  std::ostringstream out2, err2;
  EXPECT_EQ(run_merge_command(a, out2, err2), 2);  // compression needs --copy
  EXPECT_NE(err2.str().find("--copy"), std::string::npos) << err2.str();
  EXPECT_FALSE(fs::exists(a.output_path));
  a.copy = true;
  std::ostringstream out3, err3;
  ASSERT_EQ(run_merge_command(a, out3, err3), 0) << err3.str();
  EXPECT_TRUE(DatasetReader(a.output_path).shard_files().empty());
  EXPECT_EQ(DatasetReader(a.output_path).filters().gzip_level, 1);
  expect_same_data(dir / "all.h5", a.output_path);
  // A virtual master is not a shard.
  MergeCommandArgs b;
  b.shards = {dir / "virtual.h5"};
  b.output_path = dir / "again.h5";
  std::ostringstream out4, err4;
  EXPECT_EQ(run_merge_command(b, out4, err4), 2);
  EXPECT_NE(err4.str().find("virtual"), std::string::npos) << err4.str();
}

TEST(GenerateCommand, ResumeStartsAMissingShardAndKeepsACompleteOne) {
  TempDir dir;
  {
    std::ofstream(dir / "small.yaml") << small_lsst_config();
  }
  GenerateCommandArgs a;
  a.config_path = dir / "small.yaml";
  a.num_images = 10;
  a.output_path = dir / "part.h5";
  a.shard = "1/2";
  a.configs_dir = test::source_path("configs");
  a.resume = true;  // with nothing to resume: starts the shard
  std::ostringstream out, err;
  ASSERT_EQ(run_generate_command(a, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("wrote"), std::string::npos) << out.str();
  const auto written = fs::last_write_time(a.output_path);
  std::ostringstream out2, err2;
  ASSERT_EQ(run_generate_command(a, out2, err2), 0) << err2.str();
  EXPECT_NE(out2.str().find("is complete"), std::string::npos) << out2.str();
  EXPECT_EQ(fs::last_write_time(a.output_path), written);
  // Another run's file under that name is not taken for this shard.
  a.seed = 7;
  std::ostringstream out3, err3;
  EXPECT_EQ(run_generate_command(a, out3, err3), 1);
  EXPECT_NE(err3.str().find("another run"), std::string::npos) << err3.str();
}

#if defined(LENSFORGE_SIM_EXE) && defined(LENSFORGE_TEST_MPI)
namespace {

using test::shell;

std::string mpirun(int ranks) {
  return "mpirun --oversubscribe " + std::string(::geteuid() == 0 ? "--allow-run-as-root " : "") + "-n " +
         std::to_string(ranks) + " ";
}

class MpiGenerate : public ::testing::Test {
 protected:
  void SetUp() override {
    if (shell("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun missing: run scripts/setup.sh";
    std::ofstream(dir / "small.yaml") << small_lsst_config();
  }
  std::string generate(int n, const std::string& out, int threads = 1) const {
    return "'" LENSFORGE_SIM_EXE "' generate '" + dir / "small.yaml" + "' --configs '" +
           test::source_path("configs") + "' -n " + std::to_string(n) + " --seed 42 --threads " +
           std::to_string(threads) + " -o '" + out + "' ";
  }
  TempDir dir;
};

}  // namespace

TEST_F(MpiGenerate, TwoRanksWriteShardsAndAVirtualMasterEqualToOneProcess) {
  ASSERT_EQ(shell(generate(40, dir / "one.h5") + " >/dev/null 2>&1"), 0);
  ASSERT_EQ(shell(mpirun(2) + generate(40, dir / "two.h5") + " >'" + dir / "log" + "' 2>&1"), 0);
  EXPECT_TRUE(fs::exists(dir / "two-00000-of-00002.h5"));
  EXPECT_TRUE(fs::exists(dir / "two-00001-of-00002.h5"));
  EXPECT_EQ(DatasetReader(dir / "two.h5").shard_files().size(), 2u);
  expect_same_data(dir / "one.h5", dir / "two.h5");
}

TEST_F(MpiGenerate, AFailedRankLeavesNoMasterAndResumeCompletesTheSameDataSet) {
  ASSERT_EQ(shell(generate(40, dir / "one.h5", 2) + " >/dev/null 2>&1"), 0);
  const std::string run = mpirun(2) + generate(40, dir / "two.h5");
  // Rank 1 cannot create its file (a folder stands in the way); rank 0 completes its shard.
  const std::string obstacle = dir / "two-00001-of-00002.h5.partial.new";
  fs::create_directories(obstacle);
  EXPECT_NE(shell(run + " >'" + dir / "log" + "' 2>&1"), 0);
  const std::string log = test::read_text(dir / "log");
  EXPECT_NE(log.find("not every rank completed its shard"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir / "two.h5")) << "the master must not exist while a shard is missing";
  ASSERT_TRUE(fs::exists(dir / "two-00000-of-00002.h5")) << log;
  EXPECT_FALSE(fs::exists(dir / "two-00001-of-00002.h5"));
  // The same command with --resume keeps shard 0, makes shard 1 and writes the master.
  fs::remove(obstacle);
  const auto kept = fs::last_write_time(dir / "two-00000-of-00002.h5");
  ASSERT_EQ(shell(run + "--resume >'" + dir / "log2" + "' 2>&1"), 0) << test::read_text(dir / "log2");
  EXPECT_NE(test::read_text(dir / "log2").find("is complete"), std::string::npos);
  EXPECT_EQ(fs::last_write_time(dir / "two-00000-of-00002.h5"), kept);
  expect_same_data(dir / "one.h5", dir / "two.h5");
}
#endif

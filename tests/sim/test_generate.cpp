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

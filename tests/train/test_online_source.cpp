// make_online_source: image i is what `generate` stores as image i for the same config and seed,
// and the same every time it is asked for; errors name the config.
#include <gtest/gtest.h>

#include <cstring>

#include "data_test_support.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/train/data/example_source.hpp"

using namespace lensforge;
using namespace lensforge::train;

namespace {

std::shared_ptr<const GeneratorConfig> config() {
  static const auto c = std::make_shared<const GeneratorConfig>(test::small_lsst_config());
  return c;
}

bool same_bits(const ImageF& a, const ImageF& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

std::string make_error(std::shared_ptr<const GeneratorConfig> c, const SourceOptions& o) {
  try {
    make_online_source(std::move(c), 1, 10, o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OnlineSource, EqualsTheGeneratedFileAndIsReproducible) {
  constexpr std::uint64_t seed = 11;
  constexpr std::int64_t n = 6;
  test::TempDir dir;
  GenerateOptions g;
  g.output = dir / "gen.h5";
  g.num_images = n;
  g.seed = seed;
  g.threads = 2;
  generate_dataset(*config(), g);
  const DatasetReader file(g.output);

  SourceOptions o;
  o.bands = {"i", "g"};
  o.columns = {"class", "lens_theta_E", "lens_e1", "source1_n_knots", "index"};
  o.noise_planes = true;
  const auto online = make_online_source(config(), seed, n, o);
  const auto again = make_online_source(config(), seed, n, o);
  EXPECT_TRUE(online->fresh_per_epoch());
  EXPECT_EQ(online->size(), n);
  ASSERT_EQ(online->bands().size(), 2u);
  EXPECT_EQ(online->bands()[0].name, "i");
  EXPECT_EQ(online->bands()[0].unit, file.schema().bands[3].unit);  // the output unit, as stored
  const auto file_source = open_dataset_source(g.output, o);
  for (std::int64_t i = 0; i < n; ++i) {
    const RawExample r = online->get(i);
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string& band = o.bands[k];
      EXPECT_TRUE(same_bits(r.bands[k], file.read_image(band, i))) << band << " " << i;
      EXPECT_TRUE(same_bits(r.noiseless[k], file.read_image(band, i, DatasetPlane::NOISELESS))) << band << " " << i;
      EXPECT_TRUE(same_bits(r.sigma[k], file.read_image(band, i, DatasetPlane::SIGMA))) << band << " " << i;
    }
    // Labels as the file source gives them (NaN where they do not apply, bitwise).
    const std::vector<double> stored = file_source->labels(i);
    ASSERT_EQ(r.values.size(), stored.size());
    EXPECT_EQ(0, std::memcmp(r.values.data(), stored.data(), stored.size() * sizeof(double))) << i;
    EXPECT_EQ(r.values[4], double(i));
    // The same again, from this source and from another one.
    const RawExample r2 = online->get(i), r3 = again->get(i);
    EXPECT_TRUE(same_bits(r.bands[0], r2.bands[0]) && same_bits(r.bands[1], r3.bands[1]));
  }
  // Later epochs see other images (index n + i).
  EXPECT_FALSE(same_bits(online->get(n).bands[0], online->get(0).bands[0]));
}

TEST(OnlineSource, ErrorsNameTheConfig) {
  SourceOptions o;
  o.bands = {"g", "VIS"};
  std::string m = make_error(config(), o);
  EXPECT_NE(m.find("lsst_small.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("'VIS'"), std::string::npos) << m;
  EXPECT_NE(m.find("u, g, r, i, z, y"), std::string::npos) << m;
  o = SourceOptions{};
  o.columns = {"lens_theta_e"};
  m = make_error(config(), o);
  EXPECT_NE(m.find("'lens_theta_e'"), std::string::npos) << m;
  o.columns = {"subtype"};
  EXPECT_NE(make_error(config(), o).find("string"), std::string::npos);
  auto quiet = std::make_shared<GeneratorConfig>(*config());
  quiet->observation.noise = false;
  o = SourceOptions{};
  o.noise_planes = true;
  EXPECT_NE(make_error(quiet, o).find("observation.noise is off"), std::string::npos);
  const auto src = make_online_source(config(), 1, 10, SourceOptions{});
  EXPECT_THROW(src->get(-1), ConfigError);
  EXPECT_THROW(make_online_source(config(), 1, 0, SourceOptions{}), ConfigError);
}

TEST(OnlineSource, HybridClassesEqualTheGeneratedFile) {
  // Real cutouts (hybrid lenses, cutouts without arcs, contaminants) through the online path.
  const auto cfg = std::make_shared<const GeneratorConfig>(load_generator_config(
      std::string(LENSFORGE_SOURCE_DIR) + "/configs/populations/euclid_vis_hybrid.yaml", "",
      {"classes.lens.fraction=0.2", "classes.nonlens_galaxy.fraction=0", "classes.spiral.fraction=0",
       "classes.ring_galaxy.fraction=0", "classes.merger.fraction=0", "classes.companion.fraction=0",
       "classes.edge_on.fraction=0", "classes.hybrid_lens.fraction=0.4", "classes.hybrid_nonlens.fraction=0.2",
       "classes.real_contaminant.fraction=0.2", "class_block=10"}));
  constexpr std::int64_t n = 10;
  test::TempDir dir;
  GenerateOptions g;
  g.output = dir / "hybrid.h5";
  g.num_images = n;
  g.seed = 5;
  g.threads = 2;
  generate_dataset(*cfg, g);
  const DatasetReader file(g.output);
  SourceOptions o;
  o.columns = {"class", "lens_theta_E", "cutout_transform"};
  o.noise_planes = true;
  const auto online = make_online_source(cfg, 5, n, o);
  const auto subtypes = std::get<std::vector<std::string>>(file.read_label("subtype"));
  int hybrid = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const RawExample r = online->get(i);
    EXPECT_TRUE(same_bits(r.bands[0], file.read_image("VIS", i))) << i;
    EXPECT_TRUE(same_bits(r.sigma[0], file.read_image("VIS", i, DatasetPlane::SIGMA))) << i;
    hybrid += subtypes[std::size_t(i)] != "lens";
  }
  EXPECT_EQ(hybrid, 8);
}

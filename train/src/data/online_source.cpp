// make_online_source: the simulator as an ExampleSource.
#include <cmath>
#include <limits>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lensforge/sim/core/allocator.hpp"
#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/generate/dataset_generator.hpp"
#include "lensforge/sim/population/generator_config.hpp"
#include "lensforge/sim/population/label_column.hpp"
#include "lensforge/sim/population/sampler.hpp"
#include "lensforge/train/data/example_source.hpp"

namespace lensforge::train {

namespace {

class OnlineSource final : public ExampleSource {
 public:
  OnlineSource(std::shared_ptr<const GeneratorConfig> config, std::uint64_t seed, std::int64_t size,
               const SourceOptions& options)
      : config_(std::move(config)), observer_(make_observer(*config_)), seed_(seed), size_(size) {
    const std::string& name = config_->path;
    if (size < 1 || size > std::int64_t(1e12))
      throw ConfigError(fmt::format("{}: online images per epoch = {}: must be in [1, 1e12]", name, size));
    // Planes as the generator stores them; only the noise planes asked for are made.
    schema_ = dataset_schema(*config_);
    schema_.planes = DatasetPlanes{};
    schema_.kappa.reset();
    if (options.noise_planes) {
      if (!config_->observation.noise)
        throw ConfigError(fmt::format("{}: noise re-draws need noise planes, but observation.noise is off", name));
      schema_.planes.noiseless = true;
      schema_.planes.sigma = true;
    }
    std::vector<std::string> available;
    for (const BandSchema& b : schema_.bands) available.push_back(b.name);
    if (options.bands.empty()) {
      for (std::size_t k = 0; k < schema_.bands.size(); ++k) band_index_.push_back(k);
    } else {
      for (const std::string& b : options.bands) {
        const auto k = schema_.band_index(b);
        if (!k)
          throw ConfigError(
              fmt::format("{}: no band '{}' in this config (its bands: {})", name, b, fmt::join(available, ", ")));
        band_index_.push_back(*k);
      }
    }
    for (std::size_t k : band_index_) bands_.push_back(schema_.bands[k]);
    std::vector<std::string> numeric;
    for (const LabelColumn& c : schema_.labels)
      if (c.type != LabelType::STRING) numeric.push_back(c.name);
    columns_ = options.columns;
    for (const std::string& c : columns_) {
      const auto k = schema_.label_index(c);
      if (!k || schema_.labels[*k].type == LabelType::STRING)
        throw ConfigError(fmt::format("{}: {} label column '{}' (numeric columns: {})", name,
                                      k ? "cannot learn from the string" : "no", c, fmt::join(numeric, ", ")));
      column_index_.push_back(*k);
    }
  }

  std::int64_t size() const override { return size_; }
  const std::vector<BandSchema>& bands() const override { return bands_; }
  const std::vector<std::string>& columns() const override { return columns_; }
  bool fresh_per_epoch() const override { return true; }

  RawExample get(std::int64_t index) const override {
    if (index < 0) throw ConfigError(fmt::format("{}: online example {} must be >= 0", config_->path, index));
    Sample s = dataset_sample(*config_, schema_, make_sample(*config_, observer_, seed_, std::uint64_t(index)));
    RawExample r;
    r.index = index;
    for (std::size_t k : band_index_) {
      r.bands.push_back(std::move(s.bands[k].image));
      if (schema_.planes.noiseless) {
        r.noiseless.push_back(std::move(s.bands[k].noiseless));
        r.sigma.push_back(std::move(s.bands[k].sigma));
      }
    }
    for (std::size_t k : column_index_) {
      const LabelValue& v = s.labels[k];
      if (const auto* d = std::get_if<double>(&v)) {
        r.values.push_back(*d);
      } else {
        const std::int64_t n = std::get<std::int64_t>(v);
        r.values.push_back(n == -1 ? std::numeric_limits<double>::quiet_NaN() : double(n));
      }
    }
    return r;
  }

  std::string describe() const override {
    return fmt::format("online: {} seed {} ({} images per epoch)", config_->path, seed_, size_);
  }

 private:
  std::shared_ptr<const GeneratorConfig> config_;
  SceneObserver observer_;
  std::uint64_t seed_;
  std::int64_t size_;
  DatasetSchema schema_;
  std::vector<std::size_t> band_index_;
  std::vector<BandSchema> bands_;
  std::vector<std::string> columns_;
  std::vector<std::size_t> column_index_;
};

}  // namespace

std::unique_ptr<ExampleSource> make_online_source(std::shared_ptr<const GeneratorConfig> config, std::uint64_t seed,
                                                  std::int64_t size, const SourceOptions& options) {
  if (!config) throw ConfigError("online source: no generator config given");
  retain_freed_image_memory();  // per-sample images without page faults (core/allocator.hpp)
  return std::make_unique<OnlineSource>(std::move(config), seed, size, options);
}

}  // namespace lensforge::train

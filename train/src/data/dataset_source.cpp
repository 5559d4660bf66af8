// open_dataset_source: a lensforge HDF5 data set as an ExampleSource.
#include <cmath>
#include <limits>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/io/dataset_reader.hpp"
#include "lensforge/train/data/example_source.hpp"

namespace lensforge::train {

namespace {

class DatasetSource final : public ExampleSource {
 public:
  DatasetSource(const std::string& path, const SourceOptions& options) : reader_(path) {
    const DatasetSchema& schema = reader_.schema();
    // Bands.
    std::vector<std::string> available;
    for (const BandSchema& b : schema.bands) available.push_back(b.name);
    if (options.bands.empty()) {
      bands_ = schema.bands;
    } else {
      for (const std::string& name : options.bands) {
        const auto k = schema.band_index(name);
        if (!k)
          throw ConfigError(
              fmt::format("{}: no band '{}' in this data set (its bands: {})", path, name, fmt::join(available, ", ")));
        bands_.push_back(schema.bands[*k]);
      }
    }
    if (options.noise_planes)
      for (DatasetPlane p : {DatasetPlane::NOISELESS, DatasetPlane::SIGMA})
        if (!schema.has_plane(p))
          throw ConfigError(
              fmt::format("{}: noise re-draws need the {} planes, which this data set does not store "
                          "(generate it with store: {{noiseless: true, sigma: true}} and noise on)",
                          path, dataset_plane_name(p)));
    noise_planes_ = options.noise_planes;
    // Rows.
    const std::int64_t rows = reader_.num_images();
    if (options.max_rows < 0 || options.max_rows > rows)
      throw ConfigError(
          fmt::format("{}: max_rows = {}: must be in [0, {}] (0: all rows)", path, options.max_rows, rows));
    size_ = options.max_rows > 0 ? options.max_rows : rows;
    // Label columns, read once.
    std::vector<std::string> numeric;
    for (const LabelColumn& c : schema.labels)
      if (c.type != LabelType::STRING) numeric.push_back(c.name);
    columns_ = options.columns;
    for (const std::string& name : columns_) {
      const auto k = schema.label_index(name);
      if (!k || schema.labels[*k].type == LabelType::STRING)
        throw ConfigError(fmt::format("{}: {} label column '{}' (numeric columns there: {})", path,
                                      k ? "cannot learn from the string" : "no", name, fmt::join(numeric, ", ")));
      const LabelData data = reader_.read_label(name);
      std::vector<double> v(std::size_t(size_), 0.0);
      if (const auto* d = std::get_if<std::vector<double>>(&data)) {
        std::copy(d->begin(), d->begin() + size_, v.begin());
      } else {
        const auto& n = std::get<std::vector<std::int64_t>>(data);
        for (std::int64_t i = 0; i < size_; ++i)
          v[std::size_t(i)] =
              n[std::size_t(i)] == -1 ? std::numeric_limits<double>::quiet_NaN() : double(n[std::size_t(i)]);
      }
      values_.push_back(std::move(v));
    }
  }

  std::int64_t size() const override { return size_; }
  const std::vector<BandSchema>& bands() const override { return bands_; }
  const std::vector<std::string>& columns() const override { return columns_; }
  bool fresh_per_epoch() const override { return false; }

  RawExample get(std::int64_t index) const override {
    RawExample r;
    r.index = index;
    r.values = labels(index);
    for (const BandSchema& b : bands_) {
      r.bands.push_back(reader_.read_image(b.name, index));
      if (noise_planes_) {
        r.noiseless.push_back(reader_.read_image(b.name, index, DatasetPlane::NOISELESS));
        r.sigma.push_back(reader_.read_image(b.name, index, DatasetPlane::SIGMA));
      }
    }
    return r;
  }

  std::vector<double> labels(std::int64_t index) const override {
    if (index < 0 || index >= size_)
      throw ConfigError(fmt::format("{}: example {} out of range [0, {})", reader_.path(), index, size_));
    std::vector<double> v;
    v.reserve(values_.size());
    for (const auto& column : values_) v.push_back(column[std::size_t(index)]);
    return v;
  }

  std::string describe() const override {
    std::vector<std::string> names;
    for (const BandSchema& b : bands_) names.push_back(b.name);
    return fmt::format("{} ({} images, bands {})", reader_.path(), size_, fmt::join(names, ","));
  }

 private:
  DatasetReader reader_;
  std::vector<BandSchema> bands_;
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> values_;  // [column][row]
  std::int64_t size_ = 0;
  bool noise_planes_ = false;
};

}  // namespace

std::unique_ptr<ExampleSource> open_dataset_source(const std::string& path, const SourceOptions& options) {
  return std::make_unique<DatasetSource>(path, options);
}

}  // namespace lensforge::train

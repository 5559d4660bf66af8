#pragma once
// Sources of raw examples: a lensforge HDF5 data set (streamed, never loaded whole) or the
// simulator itself (online mode: image i is make_sample(config, seed, i), so a run is reproducible).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"

namespace lensforge {
struct GeneratorConfig;
}

namespace lensforge::train {

/// The bands of one system as stored or simulated, and the label values asked for.
struct RawExample {
  std::int64_t index = -1;
  std::vector<ImageF> bands;      ///< observed image per band, in ExampleSource::bands() order
  std::vector<ImageF> noiseless;  ///< per band when the source was opened with noise planes, else empty
  std::vector<ImageF> sigma;      ///< per band expected 1-sigma noise (same condition), else empty
  /// Values of the numeric label columns asked for (ExampleSource::columns() order); int64 columns
  /// converted to double; NaN where the column has no value.
  std::vector<double> values;
};

/// Thread-safe: get() may be called from several threads at once.
class ExampleSource {
 public:
  virtual ~ExampleSource() = default;
  /// Examples per epoch.
  virtual std::int64_t size() const = 0;
  /// The bands of every example (name, shape, pixel scale, unit, zero point, PSF), in order.
  virtual const std::vector<BandSchema>& bands() const = 0;
  /// Numeric label columns returned in RawExample::values, in order.
  virtual const std::vector<std::string>& columns() const = 0;
  /// True for online sources: every epoch sees new images (epoch e uses indices
  /// [e * size(), (e + 1) * size())), and get() accepts any index >= 0. False for files: get()
  /// accepts [0, size()) and epochs reshuffle the same images.
  virtual bool fresh_per_epoch() const = 0;
  /// Example `index`. Throws ConfigError for an index out of range, IoError for unreadable data.
  virtual RawExample get(std::int64_t index) const = 0;
  /// RawExample::values of example `index` alone (same errors as get()). Files answer from the
  /// columns read at open, without reading images; the default (online sources) is get(index).values.
  virtual std::vector<double> labels(std::int64_t index) const;
  /// A short description for logs and checkpoints ("file.h5 (12000 images)", "online: cfg.yaml seed 7").
  virtual std::string describe() const = 0;
};

struct SourceOptions {
  /// Bands to read, in the order wanted; empty: every band of the source, in its order.
  std::vector<std::string> bands;
  /// Numeric label columns to read (e.g. "class", "lens_theta_E"); each must exist and be
  /// float64 or int64, else ConfigError naming the column and listing what exists.
  std::vector<std::string> columns;
  /// Also read the noiseless and sigma planes (needed for noise re-draws); ConfigError if the
  /// source does not have them.
  bool noise_planes = false;
  /// Files: use only the first `max_rows` rows, >= 0; 0: all (TrainConfig's DataSpec::size).
  /// Online sources ignore it.
  std::int64_t max_rows = 0;
};

/// Streams a lensforge data set (io/dataset_schema.hpp) through DatasetReader's chunk cache.
/// Label columns asked for are read once at open (N doubles each); images on demand. int64 values
/// of -1 (the schema's "does not apply") become NaN. Throws IoError for an unreadable file,
/// ConfigError naming the file for a missing band (listing the bands there), a missing or string
/// column (listing the numeric columns there), missing noise planes or max_rows out of range.
std::unique_ptr<ExampleSource> open_dataset_source(const std::string& path, const SourceOptions& options);

/// Online mode: `size` images per epoch drawn by make_sample(config, seed, index), [1, 1e12]. Each
/// image is what `lensforge-sim generate` with this config and seed stores as image `index`
/// (dataset_sample of generate/dataset_generator.hpp): the same pixels, in the same unit. Bands and
/// columns as for files (ConfigError naming the config); noise planes need observation.noise.
std::unique_ptr<ExampleSource> make_online_source(std::shared_ptr<const GeneratorConfig> config, std::uint64_t seed,
                                                  std::int64_t size, const SourceOptions& options);

}  // namespace lensforge::train

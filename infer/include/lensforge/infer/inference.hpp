#pragma once
// Applying a checkpoint to many objects: inputs are read (FITS cutouts or data set images),
// prepared as training prepared them (Predictor::prepare: stacking onto the model's grid and pixel
// scale, cut or pad to its size, preprocessing), scored in batches, and written to the scores table.
// A broken input is reported and skipped; it never stops the run.
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lensforge/infer/input_item.hpp"
#include "lensforge/infer/prediction_csv.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/predictor.hpp"

namespace lensforge::infer {

/// Reads and prepares inputs for one predictor. Data sets stay open between calls. Thread-safe.
class InputLoader {
 public:
  explicit InputLoader(const train::Predictor& predictor);
  ~InputLoader();

  /// The schemas of the model's input bands (card().stack.bands, in channel order), whose values
  /// stand in for what a FITS header does not say.
  const std::vector<BandSchema>& model_bands() const { return model_bands_; }
  /// The prepared image [C, H, W] of an item; warnings about the input (assumed pixel scale, NaN
  /// pixels) are appended to `warnings`. Throws IoError / ConfigError naming the input.
  train::Example load(const InputItem& item, std::vector<std::string>& warnings) const;

 private:
  const train::ExampleSource& dataset(const std::string& path) const;
  const train::Predictor& predictor_;
  std::vector<BandSchema> model_bands_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<train::ExampleSource>> datasets_;
};

struct PredictOptions {
  int batch_size = 64;       ///< images per model call, [1, 65536]
  int mc_samples = 0;        ///< Monte Carlo dropout passes, [0, 10000]; 0: none
  std::uint64_t seed = 0;    ///< MC dropout: batch b draws from seed + b
  bool progress = true;      ///< progress bar / log lines on `err`
  std::string validate() const;
};

struct PredictSummary {
  std::int64_t ok = 0;       ///< rows scored
  std::int64_t failed = 0;   ///< rows with status "error"
  std::int64_t warned = 0;   ///< scored rows that carry a warning
};

/// Scores `items` in order, one table row each. Inputs of a batch are read on several threads
/// (TBB). Errors and warnings go to `err` as one line each (and into the row's message).
PredictSummary predict_inputs(const train::Predictor& predictor, const std::vector<InputItem>& items,
                              const PredictOptions& options, PredictionCsv& table, std::ostream& err,
                              bool interactive);

/// Scores of prepared images [n, C, H, W] by the predictor: its logits. For occlusion and dream.
std::vector<float> predictor_logits(const train::Predictor& predictor, const std::vector<float>& images, std::int64_t n);

}  // namespace lensforge::infer

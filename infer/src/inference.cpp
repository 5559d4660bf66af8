#include "lensforge/infer/inference.hpp"

#include <algorithm>
#include <exception>
#include <ostream>

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "lensforge/infer/fits_cutout.hpp"
#include "lensforge/sim/app/progress.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge::infer {

InputLoader::InputLoader(const train::Predictor& predictor) : predictor_(predictor) {
  const train::ModelCard& card = predictor.card();
  for (const std::string& name : card.stack.bands) {
    const auto it = std::find_if(card.bands.begin(), card.bands.end(), [&](const BandSchema& b) { return b.name == name; });
    if (it == card.bands.end())
      throw ConfigError(fmt::format("checkpoint: stack band '{}' is not among the model card's bands", name));
    model_bands_.push_back(*it);
  }
}

InputLoader::~InputLoader() = default;

const train::ExampleSource& InputLoader::dataset(const std::string& path) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = datasets_[path];
  if (!slot) {
    train::SourceOptions options;
    options.bands = predictor_.card().stack.bands;
    slot = train::open_dataset_source(path, options);
  }
  return *slot;
}

train::Example InputLoader::load(const InputItem& item, std::vector<std::string>& warnings) const {
  if (item.kind == InputKind::DATASET) {
    const train::ExampleSource& source = dataset(item.paths.at(0));
    return predictor_.prepare(source.get(item.index), source.bands());
  }
  FitsCutout cutout = item.kind == InputKind::FITS_FILE ? read_fits_cutout(item.id, item.paths.at(0), model_bands_)
                                                        : read_fits_cutout(item.id, item.paths, model_bands_);
  warnings.insert(warnings.end(), cutout.warnings.begin(), cutout.warnings.end());
  return predictor_.prepare(cutout.raw, cutout.bands);
}

std::string PredictOptions::validate() const {
  if (batch_size < 1 || batch_size > 65536) return fmt::format("batch = {}: must be in [1, 65536]", batch_size);
  if (mc_samples < 0 || mc_samples > 10000) return fmt::format("mc-samples = {}: must be in [0, 10000]", mc_samples);
  return "";
}

PredictSummary predict_inputs(const train::Predictor& predictor, const std::vector<InputItem>& items,
                              const PredictOptions& options, PredictionCsv& table, std::ostream& err,
                              bool interactive) {
  if (const std::string e = options.validate(); !e.empty()) throw ConfigError("predict: " + e);
  const InputLoader loader(predictor);
  const std::int64_t numel = predictor.card().model.input.numel();
  const std::int64_t total = std::int64_t(items.size());
  PredictSummary summary;
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>(err, "scoring", std::uint64_t(total), 0, interactive);

  struct Loaded {
    std::vector<std::string> warnings;
    std::string error;
    std::vector<float> pixels;
  };
  for (std::int64_t first = 0, batch = 0; first < total; first += options.batch_size, ++batch) {
    const std::int64_t n = std::min<std::int64_t>(options.batch_size, total - first);
    std::vector<Loaded> loaded(static_cast<std::size_t>(n));
    // Reading and Predictor::prepare on several threads: prepare only reads the checkpoint's card
    // (the network, whose dropout mode predict switches, is used on this thread alone).
    tbb::parallel_for(std::int64_t(0), n, [&](std::int64_t k) {
      Loaded& l = loaded[k];
      if (!items[first + k].error.empty()) {
        l.error = items[first + k].error;
        return;
      }
      try {
        train::Example e = loader.load(items[first + k], l.warnings);
        if (std::int64_t(e.pixels.size()) != numel)
          throw ConfigError(fmt::format("prepared image has {} values, the model takes {}", e.pixels.size(), numel));
        l.pixels = std::move(e.pixels);
      } catch (const std::exception& ex) {
        l.error = ex.what();
      }
    });
    std::vector<float> images;
    std::vector<std::int64_t> rows;
    for (std::int64_t k = 0; k < n; ++k)
      if (loaded[k].error.empty()) {
        images.insert(images.end(), loaded[k].pixels.begin(), loaded[k].pixels.end());
        rows.push_back(k);
      }
    train::Predictions p;
    if (!rows.empty())
      p = predictor.predict(images, std::int64_t(rows.size()), options.mc_samples, options.seed + std::uint64_t(batch));
    std::size_t next = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      const InputItem& item = items[first + k];
      const std::string where = item.kind == InputKind::DATASET ? fmt::format("{}[{}]", item.id, item.index) : item.id;
      std::string warning;
      for (const std::string& w : loaded[k].warnings) {
        err << "warning: " << w << '\n';
        warning += (warning.empty() ? "" : "; ") + w;
      }
      if (!loaded[k].error.empty()) {
        err << "error: " << where << ": " << loaded[k].error << " (skipped)\n";
        table.write_error(item, loaded[k].error);
        ++summary.failed;
        continue;
      }
      table.write_ok(item, p, std::int64_t(next++), warning);
      ++summary.ok;
      if (!warning.empty()) ++summary.warned;
    }
    table.flush();
    if (progress) progress->update(std::uint64_t(first + n));
  }
  if (progress) progress->finish();
  return summary;
}

std::vector<float> predictor_logits(const train::Predictor& predictor, const std::vector<float>& images, std::int64_t n) {
  return predictor.predict(images, n).logit;
}

}  // namespace lensforge::infer

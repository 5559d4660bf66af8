#pragma once
// Applies a trained checkpoint (implemented with LibTorch; this header is torch-free, so
// evaluation and inference code compiles without torch headers).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/example_source.hpp"
#include "lensforge/train/model_card.hpp"

namespace lensforge::train {

struct Predictions {
  std::int64_t size = 0;
  int num_targets = 0;
  std::vector<float> logit;        ///< [n] (empty when the model does not classify)
  std::vector<float> probability;  ///< [n] sigmoid(logit / temperature)
  std::vector<float> mean;         ///< [n, T] physical units (scaling undone)
  std::vector<float> sigma;        ///< [n, T] aleatoric 1-sigma, physical units
  /// [n, T] Monte Carlo dropout spread of the mean (epistemic), physical units; empty unless
  /// mc_samples > 0. Combined sigma = sqrt(sigma^2 + sigma_epistemic^2).
  std::vector<float> sigma_epistemic;
  std::vector<float> probability_std;  ///< [n] MC dropout spread of the probability; empty unless mc_samples > 0
};

/// predict/gradient: one call at a time per Predictor (predict switches the network's dropout
/// mode); use one Predictor per thread for those. prepare and card only read the card and may be
/// called from several threads at once, also while predict runs. The constructor sets LibTorch's (process-wide) intra-op thread count.
class Predictor {
 public:
  /// Loads the checkpoint (IoError naming it if unreadable). device "cpu" or "cuda"; threads 0: all cores.
  explicit Predictor(const std::string& checkpoint_path, const std::string& device = "cpu", int threads = 0);
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  const ModelCard& card() const;
  /// Overrides the stored calibration temperature (> 0).
  void set_temperature(double temperature);
  /// Prepares raw bands as training did (stack + preprocess, no augmentation). `bands` describe
  /// raw.bands; they must include the card's bands (ConfigError naming the missing one).
  Example prepare(const RawExample& raw, const std::vector<BandSchema>& bands,
                  const std::vector<std::string>& columns = {}) const;
  /// Runs the model in eval mode on prepared images [n, C, H, W] (C, H, W = card().model.input).
  /// mc_samples > 0 adds Monte Carlo dropout estimates from that many stochastic passes, drawn
  /// from a generator seeded with `seed`.
  Predictions predict(const std::vector<float>& images, std::int64_t n, int mc_samples = 0,
                      std::uint64_t seed = 0) const;
  /// d(logit)/d(input) for images [n, C, H, W] (eval mode); `logits` receives the logits if non-null.
  std::vector<float> logit_gradient(const std::vector<float>& images, std::int64_t n,
                                    std::vector<float>* logits = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lensforge::train

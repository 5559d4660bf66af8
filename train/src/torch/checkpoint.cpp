#include "checkpoint.hpp"

#include <filesystem>

#include "lensforge/sim/core/error.hpp"

namespace lensforge::train::torch_impl {
namespace fs = std::filesystem;

void save_checkpoint(const std::string& path, const ModelCard& card, LensNet& model, const ResumeState* state) {
  const std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    archive.write("card", c10::IValue(nlohmann::json(card).dump()));
    torch::serialize::OutputArchive weights;
    model->save(weights);
    archive.write("model", weights);
    if (state) {
      if (state->optimizer) {
        torch::serialize::OutputArchive opt;
        state->optimizer->save(opt);
        archive.write("optimizer", opt);
      }
      archive.write("loop", c10::IValue(state->loop.dump()));
      if (state->rng_torch.defined()) archive.write("rng_torch", state->rng_torch);
      if (state->rng_dropout.defined()) archive.write("rng_dropout", state->rng_dropout);
    }
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw IoError("cannot write checkpoint " + path + ": " + e.what_without_backtrace());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
}

CheckpointReader::CheckpointReader(const std::string& path) : path_(path) {
  if (!fs::is_regular_file(path)) throw IoError("checkpoint " + path + ": no such file");
  try {
    archive_.load_from(path, torch::Device(torch::kCPU));
  } catch (const c10::Error& e) {
    throw IoError("checkpoint " + path + ": not a readable LibTorch archive (" + e.what_without_backtrace() + ")");
  }
  c10::IValue text;
  if (!archive_.try_read("card", text) || !text.isString()) {
    throw IoError("checkpoint " + path + ": no model card: not a lensforge checkpoint");
  }
  try {
    card_ = nlohmann::json::parse(text.toStringRef()).get<ModelCard>();
  } catch (const nlohmann::json::exception& e) {
    throw IoError("checkpoint " + path + ": unreadable model card: " + e.what());
  } catch (const ConfigError& e) {
    throw IoError("checkpoint " + path + ": " + e.what());
  }
}

LensNet CheckpointReader::load_model(std::uint64_t dropout_seed) {
  LensNet model(card_.model, dropout_seed);
  load_weights(model);
  model->eval();
  return model;
}

void CheckpointReader::load_weights(LensNet& model) {
  torch::serialize::InputArchive weights;
  try {
    if (!archive_.try_read("model", weights)) throw IoError("checkpoint " + path_ + ": no model weights");
    model->load(weights);
  } catch (const c10::Error& e) {
    throw IoError("checkpoint " + path_ + ": weights do not fit the model of its card (" + e.what_without_backtrace() + ")");
  }
}

bool CheckpointReader::has_resume_state() {
  c10::IValue loop;
  return archive_.try_read("loop", loop);
}

void CheckpointReader::load_resume_state(ResumeState& state) {
  try {
    c10::IValue loop;
    if (!archive_.try_read("loop", loop) || !loop.isString()) {
      throw IoError("checkpoint " + path_ + ": no training state to resume from");
    }
    state.loop = nlohmann::json::parse(loop.toStringRef());
    if (state.optimizer) {
      torch::serialize::InputArchive opt;
      if (!archive_.try_read("optimizer", opt)) throw IoError("checkpoint " + path_ + ": no optimizer state");
      state.optimizer->load(opt);
    }
    if (!archive_.try_read("rng_torch", state.rng_torch)) state.rng_torch = torch::Tensor();
    if (!archive_.try_read("rng_dropout", state.rng_dropout)) state.rng_dropout = torch::Tensor();
  } catch (const c10::Error& e) {
    throw IoError("checkpoint " + path_ + ": unreadable training state (" + e.what_without_backtrace() + ")");
  } catch (const nlohmann::json::exception& e) {
    throw IoError("checkpoint " + path_ + ": unreadable training state: " + e.what());
  }
}

}  // namespace lensforge::train::torch_impl

namespace lensforge::train {

ModelCard read_model_card(const std::string& checkpoint_path) {
  return torch_impl::CheckpointReader(checkpoint_path).card();
}

}  // namespace lensforge::train

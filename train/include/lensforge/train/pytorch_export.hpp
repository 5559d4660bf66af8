#pragma once
// A trained model for plain PyTorch (Python): `lensforge-train export`. LibTorch 1.13's C++
// modules (torch::nn::Module) cannot be scripted or traced into TorchScript (torch::jit has no C++
// frontend for them), so the export is a state dict plus a Python definition of the same network:
//   state_dict.pt       torch.load(...) in Python gives a dict {name: tensor}; the names are those of
//                       the LensNet module's state_dict() (parameters and batch-norm buffers), in
//                       module order. The torch.save zip format, readable with weights_only=True.
//   model_card.json     the checkpoint's model card (model_card.hpp), indented JSON
//   lensforge_model.py  train/python/lensforge_model.py (compiled into the program): LensNet(card),
//                       load(folder), preprocess(images, card), predict(model, card, x)
// (Implemented on the LibTorch side.)
#include <string>
#include <string_view>
#include <vector>

namespace lensforge::train {

/// The file names an export writes into its folder, in the order above.
inline constexpr const char* kPytorchExportFiles[] = {"state_dict.pt", "model_card.json", "lensforge_model.py"};

/// The text of train/python/lensforge_model.py as built into the program.
std::string_view pytorch_model_source();

/// Writes the three files for `checkpoint` into `output_dir` (created if missing), replacing files
/// of those names; each file is written to "<name>.tmp" and renamed. Returns the paths written.
/// Throws IoError naming the checkpoint (missing, not a lensforge checkpoint, weights that do not
/// fit its card) or the output file that cannot be written.
std::vector<std::string> export_pytorch(const std::string& checkpoint, const std::string& output_dir);

}  // namespace lensforge::train

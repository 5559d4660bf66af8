// export_pytorch (pytorch_export.hpp): a checkpoint as state_dict.pt + model_card.json + the
// Python model definition.
#include "lensforge/train/pytorch_export.hpp"

#include <filesystem>
#include <fstream>

#include <caffe2/serialize/inline_container.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include "checkpoint.hpp"
#include "lensforge/sim/core/error.hpp"

namespace lensforge::train {
namespace {
namespace fs = std::filesystem;

/// Writes `bytes` to `path` through "<path>.tmp" and a rename; IoError naming the path otherwise.
void write_file(const fs::path& path, std::string_view bytes) {
  const fs::path tmp = path.string() + ".tmp";
  std::error_code ec;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.close();
    if (!f) {
      fs::remove(tmp, ec);
      throw IoError(fmt::format("export: cannot write {}", tmp.string()));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(fmt::format("export: cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  }
}

/// The module's state dict as Python's nn.Module.state_dict() orders it: modules depth first, each
/// module's own parameters, then its own buffers (batch norm: running_mean, running_var,
/// num_batches_tracked).
c10::Dict<std::string, at::Tensor> state_dict(torch::nn::Module& model) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& m : model.named_modules("", /*include_self=*/true)) {
    const std::string prefix = m.key().empty() ? "" : m.key() + ".";
    for (const auto& p : m.value()->named_parameters(/*recurse=*/false))
      dict.insert(prefix + p.key(), p.value().detach().contiguous());
    for (const auto& b : m.value()->named_buffers(/*recurse=*/false))
      dict.insert(prefix + b.key(), b.value().detach().contiguous());
  }
  return dict;
}

/// `value` in the zip format of Python's torch.save: what torch::pickle_save writes, except that
/// containers are not wrapped in torch.jit._pickle.restore_type_tag (TorchScript's type tags), so
/// that torch.load(..., weights_only=True) accepts the file as well as plain torch.load.
std::vector<char> torch_save_bytes(const c10::IValue& value) {
  std::vector<char> pickle;
  torch::jit::Pickler pickler([&](const char* buf, std::size_t size) { pickle.insert(pickle.end(), buf, buf + size); },
                              nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();
  std::vector<char> zip;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, std::size_t size) {
    const char* b = static_cast<const char*>(bytes);
    zip.insert(zip.end(), b, b + size);
    return size;
  });
  torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
  writer.writeEndOfFile();
  return zip;
}

}  // namespace

std::vector<std::string> export_pytorch(const std::string& checkpoint, const std::string& output_dir) {
  torch_impl::CheckpointReader reader(checkpoint);
  torch_impl::LensNet model = reader.load_model();
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (!fs::is_directory(output_dir, ec)) throw IoError(fmt::format("export: cannot create folder {}", output_dir));
  const fs::path dir(output_dir);
  std::vector<char> weights;
  try {
    weights = torch_save_bytes(c10::IValue(state_dict(*model)));
  } catch (const c10::Error& e) {
    throw IoError(fmt::format("export: cannot serialise the weights of {}: {}", checkpoint, e.what_without_backtrace()));
  }
  std::vector<std::string> written;
  for (const char* name : kPytorchExportFiles) written.push_back((dir / name).string());
  write_file(written[0], std::string_view(weights.data(), weights.size()));
  write_file(written[1], nlohmann::json(reader.card()).dump(2) + "\n");
  write_file(written[2], pytorch_model_source());
  return written;
}

}  // namespace lensforge::train

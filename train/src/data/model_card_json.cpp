// JSON form of ModelSpec and ModelCard (the text stored in every checkpoint). Torch-free, so that
// tools read and write cards without LibTorch. Keys are the C++ field names; enums are lower-case
// words. Reading is strict about types (nlohmann::json throws type_error) and lenient about
// missing keys, which keep their defaults, so cards written by an older version stay readable.
#include <string>

#include <nlohmann/json.hpp>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/train/model_card.hpp"

namespace lensforge::train {
namespace {

template <class T>
void read_if_present(const nlohmann::json& j, const char* key, T& value) {
  if (auto it = j.find(key); it != j.end()) it->get_to(value);
}

std::string architecture_name(Architecture a) { return a == Architecture::CNN ? "cnn" : "resnet"; }

Architecture parse_architecture(const std::string& name) {
  if (name == "cnn") return Architecture::CNN;
  if (name == "resnet") return Architecture::RESNET;
  throw ConfigError("model card: architecture = \"" + name + "\": must be \"cnn\" or \"resnet\"");
}

nlohmann::json band_to_json(const BandSchema& b) {
  return {{"name", b.name},         {"survey", b.survey},           {"nx", b.nx},
          {"ny", b.ny},             {"unit", b.unit},               {"zero_point", b.zero_point},
          {"pixel_scale", b.pixel_scale}, {"exposure_time", b.exposure_time}, {"psf_fwhm", b.psf_fwhm}};
}

BandSchema band_from_json(const nlohmann::json& j) {
  BandSchema b;
  read_if_present(j, "name", b.name);
  read_if_present(j, "survey", b.survey);
  read_if_present(j, "nx", b.nx);
  read_if_present(j, "ny", b.ny);
  read_if_present(j, "unit", b.unit);
  read_if_present(j, "zero_point", b.zero_point);
  read_if_present(j, "pixel_scale", b.pixel_scale);
  read_if_present(j, "exposure_time", b.exposure_time);
  read_if_present(j, "psf_fwhm", b.psf_fwhm);
  return b;
}

}  // namespace

void to_json(nlohmann::json& j, const ModelSpec& s) {
  j = {{"architecture", architecture_name(s.architecture)},
       {"input", {{"channels", s.input.channels}, {"height", s.input.height}, {"width", s.input.width}}},
       {"widths", s.widths},
       {"blocks_per_stage", s.blocks_per_stage},
       {"dense_units", s.dense_units},
       {"dropout", s.dropout},
       {"spatial_dropout", s.spatial_dropout},
       {"batch_norm", s.batch_norm},
       {"classify", s.classify},
       {"num_targets", s.num_targets}};
}

void from_json(const nlohmann::json& j, ModelSpec& s) {
  s = ModelSpec{};
  if (auto it = j.find("architecture"); it != j.end()) s.architecture = parse_architecture(it->get<std::string>());
  if (auto it = j.find("input"); it != j.end()) {
    read_if_present(*it, "channels", s.input.channels);
    read_if_present(*it, "height", s.input.height);
    read_if_present(*it, "width", s.input.width);
  }
  read_if_present(j, "widths", s.widths);
  read_if_present(j, "blocks_per_stage", s.blocks_per_stage);
  read_if_present(j, "dense_units", s.dense_units);
  read_if_present(j, "dropout", s.dropout);
  read_if_present(j, "spatial_dropout", s.spatial_dropout);
  read_if_present(j, "batch_norm", s.batch_norm);
  read_if_present(j, "classify", s.classify);
  read_if_present(j, "num_targets", s.num_targets);
}

void to_json(nlohmann::json& j, const ModelCard& c) {
  nlohmann::json bands = nlohmann::json::array();
  for (const auto& b : c.bands) bands.push_back(band_to_json(b));
  j = {{"format", "lensforge model card"},
       {"software_version", c.software_version},
       {"created", c.created},
       {"model", c.model},
       {"stack", c.stack},
       {"bands", std::move(bands)},
       {"preprocess", c.preprocess},
       {"augment", c.augment},
       {"task", c.task},
       {"scaling", c.scaling},
       {"temperature", c.temperature},
       {"config_yaml", c.config_yaml},
       {"train_data", c.train_data},
       {"epoch", c.epoch},
       {"val_loss", c.val_loss}};
}

void from_json(const nlohmann::json& j, ModelCard& c) {
  c = ModelCard{};
  read_if_present(j, "software_version", c.software_version);
  read_if_present(j, "created", c.created);
  read_if_present(j, "model", c.model);
  read_if_present(j, "stack", c.stack);
  if (auto it = j.find("bands"); it != j.end()) {
    for (const auto& b : *it) c.bands.push_back(band_from_json(b));
  }
  read_if_present(j, "preprocess", c.preprocess);
  read_if_present(j, "augment", c.augment);
  read_if_present(j, "task", c.task);
  read_if_present(j, "scaling", c.scaling);
  read_if_present(j, "temperature", c.temperature);
  read_if_present(j, "config_yaml", c.config_yaml);
  read_if_present(j, "train_data", c.train_data);
  read_if_present(j, "epoch", c.epoch);
  read_if_present(j, "val_loss", c.val_loss);
}

}  // namespace lensforge::train

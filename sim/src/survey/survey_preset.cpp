#include "lensforge/sim/survey/survey_preset.hpp"

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lensforge/sim/core/error.hpp"

namespace lensforge {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& file, const YAML::Mark& mark, const std::string& path, const std::string& msg) {
  if (mark.is_null()) throw ConfigError(fmt::format("{}: {}: {}", file, path, msg));
  throw ConfigError(fmt::format("{}:{}:{}: {}: {}", file, mark.line + 1, mark.column + 1, path, msg));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// A mapping node (or null = empty) with its key path in the file.
struct Src {
  YAML::Node node;
  std::string path;
};

// Rejects keys outside `allowed` and non-mapping nodes; null counts as an empty mapping.
void check_map(const std::string& file, const Src& s, std::initializer_list<const char*> allowed) {
  if (s.node.IsNull()) return;
  if (!s.node.IsMap()) fail(file, s.node.Mark(), s.path, "expected a mapping of keys to values");
  for (auto it = s.node.begin(); it != s.node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      fail(file, it->first.Mark(), child_path(s.path, key),
           fmt::format("unknown key '{}'; allowed here: {}", key, join(names)));
    }
  }
}

Src child_src(const Src& s, const std::string& key) {
  return {s.node.IsDefined() && s.node.IsMap() ? s.node[key] : YAML::Node(), child_path(s.path, key)};
}

// Where a band field's value came from (for messages).
struct Origin {
  YAML::Mark mark;
  std::string path;
};

// A band's fields seen through its layers, lowest priority first.
class Layers {
 public:
  Layers(std::string file, std::string rel, std::map<std::string, Origin>* origins)
      : file_(std::move(file)), rel_(std::move(rel)), origins_(origins) {}

  void add(const Src& s) {
    if (s.node.IsDefined() && !s.node.IsNull()) srcs_.push_back(s);
  }
  void check(std::initializer_list<const char*> allowed) const {
    for (const auto& s : srcs_) check_map(file_, s, allowed);
  }
  Layers child(const std::string& key) const {
    Layers c(file_, child_path(rel_, key), origins_);
    for (const auto& s : srcs_) c.add(child_src(s, key));
    return c;
  }
  // The highest-priority node holding `key`, recorded in the origins.
  std::optional<std::pair<YAML::Node, std::string>> find(const std::string& key) const {
    for (auto it = srcs_.rbegin(); it != srcs_.rend(); ++it) {
      YAML::Node n = it->node[key];
      if (n.IsDefined()) {
        const std::string path = child_path(it->path, key);
        (*origins_)[child_path(rel_, key)] = {n.Mark(), path};
        return std::make_pair(n, path);
      }
    }
    return std::nullopt;
  }

  template <class T>
  bool read(const std::string& key, T& out) const {
    auto f = find(key);
    if (!f) return false;
    out = convert<T>(f->first, f->second);
    return true;
  }
  template <class T>
  void require(const std::string& key, T& out, const Src& owner) const {
    if (!read(key, out))
      fail(file_, owner.node.Mark(), child_path(owner.path, child_path(rel_, key)),
           "missing required key (set it in the band or in defaults)");
  }

  template <class T>
  T convert(const YAML::Node& n, const std::string& path) const {
    const char* what = std::is_same_v<T, bool>          ? "true or false"
                       : std::is_same_v<T, int>         ? "an integer"
                       : std::is_same_v<T, std::string> ? "a string"
                                                        : "a number";
    if (!n.IsScalar()) fail(file_, n.Mark(), path, fmt::format("expected {}, got a {}", what, n.IsMap() ? "mapping" : n.IsSequence() ? "sequence" : "null value"));
    try {
      return n.as<T>();
    } catch (const YAML::Exception&) {
      fail(file_, n.Mark(), path, fmt::format("expected {}, got '{}'", what, n.Scalar()));
    }
  }

 private:
  std::string file_, rel_;
  std::map<std::string, Origin>* origins_;
  std::vector<Src> srcs_;
};

const std::initializer_list<const char*> kBandKeys = {
    "pixel_scale", "nx",           "ny",         "zero_point", "sky_zero_point", "exposure_time", "n_exposures", "gain",
    "read_noise",  "sky_brightness", "dark_current", "full_well",  "pixel_size",     "psf",           "artefacts"};

Band read_band(const Layers& l, const Src& owner, const std::string& survey, const std::string& name,
               const fs::path& dir, const std::string& file) {
  l.check(kBandKeys);
  Band b;
  b.survey = survey;
  b.name = name;
  l.require("pixel_scale", b.pixel_scale, owner);
  l.require("nx", b.nx, owner);
  l.require("ny", b.ny, owner);
  l.require("zero_point", b.zero_point, owner);
  double szp = 0.0;
  if (l.read("sky_zero_point", szp)) b.sky_zero_point = szp;
  l.require("exposure_time", b.exposure_time, owner);
  l.require("n_exposures", b.n_exposures, owner);
  l.require("gain", b.gain, owner);
  l.require("read_noise", b.read_noise, owner);
  l.require("sky_brightness", b.sky_brightness, owner);
  l.require("dark_current", b.dark_current, owner);
  l.require("full_well", b.full_well, owner);
  l.require("pixel_size", b.pixel_size, owner);

  const Layers psf = l.child("psf");
  psf.check({"type", "fwhm", "beta", "file", "oversampling"});
  std::string type;
  psf.require("type", type, owner);
  if (auto t = psf_type_from_name(type)) {
    b.psf.type = *t;
  } else {
    auto f = psf.find("type");
    fail(file, f->first.Mark(), f->second, fmt::format("unknown PSF type '{}'; allowed: GAUSSIAN, MOFFAT, PIXEL", type));
  }
  psf.require("fwhm", b.psf.fwhm, owner);
  psf.read("beta", b.psf.beta);
  psf.read("oversampling", b.psf.oversampling);
  if (psf.read("file", b.psf.file) && !b.psf.file.empty() && fs::path(b.psf.file).is_relative())
    b.psf.file = (dir / b.psf.file).lexically_normal().string();

  const Layers art = l.child("artefacts");
  art.check({"cosmic_rays", "hot_pixels", "dead_pixels", "bad_columns", "satellite_trails", "neighbours"});
  auto& a = b.artefacts;
  {
    const Layers s = art.child("cosmic_rays");
    s.check({"enabled", "rate", "thickness", "charge_mpv", "charge_width"});
    s.read("enabled", a.cosmic_rays.enabled);
    s.read("rate", a.cosmic_rays.rate);
    s.read("thickness", a.cosmic_rays.thickness);
    s.read("charge_mpv", a.cosmic_rays.charge_mpv);
    s.read("charge_width", a.cosmic_rays.charge_width);
  }
  {
    const Layers s = art.child("hot_pixels");
    s.check({"enabled", "fraction", "current"});
    s.read("enabled", a.hot_pixels.enabled);
    s.read("fraction", a.hot_pixels.fraction);
    s.read("current", a.hot_pixels.current);
  }
  {
    const Layers s = art.child("dead_pixels");
    s.check({"enabled", "fraction"});
    s.read("enabled", a.dead_pixels.enabled);
    s.read("fraction", a.dead_pixels.fraction);
  }
  {
    const Layers s = art.child("bad_columns");
    s.check({"enabled", "fraction"});
    s.read("enabled", a.bad_columns.enabled);
    s.read("fraction", a.bad_columns.fraction);
  }
  {
    const Layers s = art.child("satellite_trails");
    s.check({"enabled", "mean_count", "width", "brightness_min", "brightness_max"});
    s.read("enabled", a.satellite_trails.enabled);
    s.read("mean_count", a.satellite_trails.mean_count);
    s.read("width", a.satellite_trails.width);
    s.read("brightness_min", a.satellite_trails.brightness_min);
    s.read("brightness_max", a.satellite_trails.brightness_max);
  }
  {
    const Layers s = art.child("neighbours");
    s.check({"enabled", "mean_count", "star_fraction", "mag_min", "mag_max", "min_distance", "radius_min",
             "radius_max", "sersic_n_min", "sersic_n_max", "q_min", "mask_threshold"});
    auto& n = a.neighbours;
    s.read("enabled", n.enabled);
    s.read("mean_count", n.mean_count);
    s.read("star_fraction", n.star_fraction);
    s.read("mag_min", n.mag_min);
    s.read("mag_max", n.mag_max);
    s.read("min_distance", n.min_distance);
    s.read("radius_min", n.radius_min);
    s.read("radius_max", n.radius_max);
    s.read("sersic_n_min", n.sersic_n_min);
    s.read("sersic_n_max", n.sersic_n_max);
    s.read("q_min", n.q_min);
    s.read("mask_threshold", n.mask_threshold);
  }
  return b;
}

YAML::Node load_yaml(const std::string& path) {
  if (!fs::is_regular_file(path)) throw IoError(fmt::format("{}: no such survey file", path));
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    fail(path, e.mark, "(file)", "YAML syntax error: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw IoError(fmt::format("{}: cannot read the survey file", path));
  }
}

std::string scalar_or_empty(const Layers& l, const std::string& key) {
  std::string s;
  l.read(key, s);
  return s;
}

}  // namespace

const Band& SurveyPreset::band(std::string_view band_name) const {
  for (const auto& b : bands)
    if (b.name == band_name) return b;
  std::vector<std::string> names;
  for (const auto& b : bands) names.push_back(b.name);
  throw ConfigError(fmt::format("preset {} has no band '{}'; bands: {}", name, band_name, join(names)));
}

std::vector<SurveyPreset> load_survey_file(const std::string& path) {
  const YAML::Node root = load_yaml(path);
  const Src top{root, ""};
  if (root.IsNull()) fail(path, root.Mark(), "(file)", "the file is empty");
  check_map(path, top, {"survey", "description", "defaults", "bands", "presets"});
  std::map<std::string, Origin> unused;
  Layers top_layer(path, "", &unused);
  top_layer.add(top);
  std::string survey;
  top_layer.require("survey", survey, top);
  const std::string file_description = scalar_or_empty(top_layer, "description");

  const Src bands = child_src(top, "bands");
  if (!bands.node.IsDefined() || bands.node.IsNull())
    fail(path, root.Mark(), "bands", "missing required key: the survey's bands");
  if (!bands.node.IsMap() || bands.node.size() == 0)
    fail(path, bands.node.Mark(), "bands", "expected a mapping of band names to band fields");
  std::vector<std::string> band_names;
  for (auto it = bands.node.begin(); it != bands.node.end(); ++it) band_names.push_back(it->first.Scalar());

  struct PresetSrc {
    std::string name, description;
    Src defaults, bands;
    bool from_presets = false;  // declared under presets: (else the whole file is the preset)
  };
  std::vector<PresetSrc> presets;
  const Src pres = child_src(top, "presets");
  if (pres.node.IsDefined() && !pres.node.IsNull()) {
    if (!pres.node.IsMap() || pres.node.size() == 0)
      fail(path, pres.node.Mark(), "presets", "expected a mapping of preset names to preset settings");
    for (auto it = pres.node.begin(); it != pres.node.end(); ++it) {
      const Src p{it->second, "presets." + it->first.Scalar()};
      check_map(path, p, {"description", "defaults", "bands"});
      PresetSrc ps{it->first.Scalar(), file_description, child_src(p, "defaults"), child_src(p, "bands"), true};
      Layers pl(path, "", &unused);
      pl.add(p);
      if (auto d = scalar_or_empty(pl, "description"); !d.empty()) ps.description = d;
      if (ps.bands.node.IsDefined() && !ps.bands.node.IsNull()) {
        if (!ps.bands.node.IsMap()) fail(path, ps.bands.node.Mark(), ps.bands.path, "expected a mapping of band names");
        for (auto b = ps.bands.node.begin(); b != ps.bands.node.end(); ++b)
          if (std::find(band_names.begin(), band_names.end(), b->first.Scalar()) == band_names.end())
            fail(path, b->first.Mark(), ps.bands.path + "." + b->first.Scalar(),
                 fmt::format("no such band in 'bands'; bands: {}", join(band_names)));
      }
      presets.push_back(std::move(ps));
    }
  } else {
    presets.push_back({fs::path(path).stem().string(), file_description, Src{}, Src{}, false});
  }

  const fs::path dir = fs::path(path).parent_path();
  std::vector<SurveyPreset> out;
  for (const auto& ps : presets) {
    SurveyPreset sp{ps.name, survey, ps.description, path, {}};
    for (const auto& bname : band_names) {
      const Src own = child_src(bands, bname);
      std::map<std::string, Origin> origins;
      Layers l(path, "", &origins);
      l.add(child_src(top, "defaults"));
      l.add(own);
      l.add(ps.defaults);
      if (ps.bands.node.IsDefined() && ps.bands.node.IsMap()) l.add(child_src(ps.bands, bname));
      Band b = read_band(l, own, survey, bname, dir, path);
      if (const std::string msg = b.validate(); !msg.empty()) {
        const std::string key = msg.substr(0, msg.find(' '));
        const auto o = origins.find(key);
        const std::string where = ps.from_presets ? fmt::format(" (preset {})", ps.name) : std::string();
        if (o != origins.end()) fail(path, o->second.mark, o->second.path, "band " + bname + where + ": " + msg);
        fail(path, own.node.Mark(), own.path, "band " + bname + where + ": " + msg);
      }
      sp.bands.push_back(std::move(b));
    }
    out.push_back(std::move(sp));
  }
  return out;
}

namespace {

std::vector<fs::path> survey_files(const std::string& configs_dir) {
  const fs::path dir = fs::path(configs_dir) / "surveys";
  if (!fs::is_directory(dir)) throw IoError(fmt::format("{}: no such folder of survey presets", dir.string()));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Preset names a file defines, without reading its bands.
std::vector<std::string> preset_names(const fs::path& file) {
  const YAML::Node root = load_yaml(file.string());
  std::vector<std::string> names;
  const YAML::Node p = root.IsMap() ? root["presets"] : YAML::Node();
  if (p.IsDefined() && p.IsMap() && p.size() > 0) {
    for (auto it = p.begin(); it != p.end(); ++it) names.push_back(it->first.Scalar());
  } else {
    names.push_back(file.stem().string());
  }
  return names;
}

}  // namespace

std::vector<std::string> list_survey_presets(const std::string& configs_dir) {
  std::vector<std::string> all;
  for (const auto& f : survey_files(configs_dir))
    for (auto& n : preset_names(f)) all.push_back(std::move(n));
  std::sort(all.begin(), all.end());
  return all;
}

SurveyPreset load_survey_preset(const std::string& configs_dir, std::string_view name) {
  std::vector<std::string> all;
  for (const auto& f : survey_files(configs_dir)) {
    const auto names = preset_names(f);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      for (auto& p : load_survey_file(f.string()))
        if (p.name == name) return p;
    }
    for (const auto& n : names) all.push_back(f.stem().string() == n ? n : n + " (" + f.filename().string() + ")");
  }
  throw ConfigError(fmt::format("no survey preset '{}' in {}/surveys; available: {}", name, configs_dir, join(all)));
}

}  // namespace lensforge

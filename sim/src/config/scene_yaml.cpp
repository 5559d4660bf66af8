#include "lensforge/sim/config/scene_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/light/stamp_library.hpp"
#include "yaml_map.hpp"

namespace lensforge {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

using yamlmap::child_path;
using yamlmap::Context;
using yamlmap::describe;
using yamlmap::read_bool;
using yamlmap::read_integer;
using yamlmap::read_number;
using yamlmap::read_string;

// ---- maps -------------------------------------------------------------------------------------

/// A YAML map at a key path, with its keys checked for duplicates.
class MapView {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  MapView(const Context& ctx, const YAML::Node& node, std::string path, const std::string& expected)
      : ctx_(&ctx), node_(node), path_(std::move(path)) {
    if (!node.IsMap())
      ctx.fail(node, fmt::format("{}: expected {}, found {}", path_.empty() ? "scene" : path_, expected,
                                 describe(node)));
    for (auto it = node.begin(); it != node.end(); ++it) {
      Entry e{read_string(ctx, it->first, child_path(path_, "<key>")), it->first, it->second};
      if (find(e.key))
        ctx.fail(e.key_node, fmt::format("{}: duplicate key (first given on line {})", child_path(path_, e.key),
                                         find(e.key)->key_node.Mark().line + 1));
      entries_.push_back(std::move(e));
    }
  }

  const Context& ctx() const { return *ctx_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const std::vector<Entry>& entries() const { return entries_; }
  std::string child(const std::string& key) const { return child_path(path_, key); }

  const Entry* find(const std::string& key) const {
    for (const auto& e : entries_)
      if (e.key == key) return &e;
    return nullptr;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }

  /// Fails on the first key not in `allowed`; `what` names the thing (e.g. "parameter of SIE").
  void allow_only(const std::vector<std::string>& allowed, const std::string& what) const {
    for (const auto& e : entries_)
      if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end())
        ctx_->fail(e.key_node, fmt::format("{}: unknown {}; allowed: {}", child(e.key), what, join(allowed)));
  }

  const Entry& require(const std::string& key, const std::string& what) const {
    const Entry* e = find(key);
    if (!e) ctx_->fail(node_, fmt::format("{}: missing; {}", child(key), what));
    return *e;
  }

  double number(const std::string& key, const std::string& what) const {
    return read_number(*ctx_, require(key, what).value, child(key));
  }
  std::optional<double> optional_number(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    return read_number(*ctx_, e->value, child(key));
  }

 private:
  const Context* ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
};

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Position of `word` as a whole word in `text`, or npos.
std::size_t find_word(const std::string& text, const std::string& word) {
  for (std::size_t pos = text.find(word); pos != std::string::npos; pos = text.find(word, pos + 1)) {
    const bool left = pos == 0 || !is_word_char(text[pos - 1]);
    const bool right = pos + word.size() >= text.size() || !is_word_char(text[pos + word.size()]);
    if (left && right) return pos;
  }
  return std::string::npos;
}

/// Turns the message of a validate() function (which names the parameter, its value and the
/// allowed range) into a located error: it points at the key of `maps` that the message names
/// first, or at the first map when it names none. `aliases` maps words of the message to keys
/// (a struct field written under another name in the file).
[[noreturn]] void fail_validation(const std::vector<const MapView*>& maps, const std::string& message,
                                  const std::vector<std::pair<std::string, std::string>>& aliases = {}) {
  const MapView* best_map = nullptr;
  const MapView::Entry* best = nullptr;
  std::size_t best_pos = std::string::npos;
  auto consider = [&](const std::string& word, const std::string& key) {
    const std::size_t pos = find_word(message, word);
    if (pos == std::string::npos || (best && pos >= best_pos)) return;
    for (const MapView* m : maps)
      if (const auto* e = m->find(key)) {
        best_map = m, best = e, best_pos = pos;
        return;
      }
  };
  for (const MapView* m : maps)
    for (const auto& e : m->entries()) consider(e.key, e.key);
  for (const auto& [word, key] : aliases) consider(word, key);
  if (!best) maps.front()->ctx().fail(maps.front()->node(), fmt::format("{}: {}", maps.front()->path(), message));
  const std::string found = best->value.IsScalar() ? " = " + best->value.Scalar() : "";
  best_map->ctx().fail(best->value, fmt::format("{}{}: {}", best_map->child(best->key), found, message));
}

// ---- profile tables ---------------------------------------------------------------------------

template <class P>
struct Param {
  const char* key;
  double P::*member;
  bool required = true;
};

template <class P>
void read_params(const MapView& m, const std::string& type, const std::vector<Param<P>>& params,
                 const std::vector<std::string>& allowed, P& out) {
  for (const auto& p : params) {
    if (p.required)
      out.*p.member = m.number(p.key, fmt::format("{} needs it (parameters: {})", type, join(allowed)));
    else if (auto v = m.optional_number(p.key))
      out.*p.member = *v;
  }
}

template <class P>
std::vector<std::string> keys_of(const std::vector<Param<P>>& params) {
  std::vector<std::string> keys;
  for (const auto& p : params) keys.emplace_back(p.key);
  return keys;
}

struct MassType {
  std::string name;
  std::vector<std::string> keys;  // profile parameters, without z
  std::function<MassProfile(const MapView&, const std::vector<std::string>& allowed)> read;
};

template <class P>
MassType mass_type(const char* name, std::vector<Param<P>> params) {
  MassType t{name, keys_of(params), {}};
  t.read = [params, type = std::string(name)](const MapView& m, const std::vector<std::string>& allowed) {
    P p{};
    read_params(m, type, params, allowed, p);
    return MassProfile{p};
  };
  return t;
}

const std::vector<MassType>& mass_types() {
  static const std::vector<MassType> types = {
      mass_type<Sie>("SIE", {{"theta_E", &Sie::theta_E}, {"e1", &Sie::e1}, {"e2", &Sie::e2},
                             {"center_x", &Sie::center_x}, {"center_y", &Sie::center_y}}),
      mass_type<Sis>("SIS", {{"theta_E", &Sis::theta_E}, {"center_x", &Sis::center_x}, {"center_y", &Sis::center_y}}),
      mass_type<Epl>("EPL", {{"theta_E", &Epl::theta_E}, {"gamma", &Epl::gamma}, {"e1", &Epl::e1}, {"e2", &Epl::e2},
                             {"center_x", &Epl::center_x}, {"center_y", &Epl::center_y}}),
      mass_type<Nfw>("NFW", {{"Rs", &Nfw::Rs}, {"alpha_Rs", &Nfw::alpha_Rs}, {"center_x", &Nfw::center_x},
                             {"center_y", &Nfw::center_y}}),
      mass_type<PointMass>("POINT_MASS", {{"theta_E", &PointMass::theta_E}, {"center_x", &PointMass::center_x},
                                          {"center_y", &PointMass::center_y}}),
      mass_type<Shear>("SHEAR", {{"gamma1", &Shear::gamma1}, {"gamma2", &Shear::gamma2},
                                 {"ra_0", &Shear::ra_0, false}, {"dec_0", &Shear::dec_0, false}}),
      mass_type<Convergence>("CONVERGENCE", {{"kappa", &Convergence::kappa}, {"ra_0", &Convergence::ra_0, false},
                                             {"dec_0", &Convergence::dec_0, false}}),
  };
  return types;
}

enum class LightKind { Sersic, Gaussian, ClumpySersic, Spiral, Ring, RealGalaxy };

struct LightType {
  std::string name;
  LightKind kind;
  bool elliptical;
};

const std::vector<LightType>& light_types() {
  static const std::vector<LightType> types = {
      {"SERSIC", LightKind::Sersic, false},
      {"SERSIC_ELLIPSE", LightKind::Sersic, true},
      {"GAUSSIAN", LightKind::Gaussian, false},
      {"GAUSSIAN_ELLIPSE", LightKind::Gaussian, true},
      {"CLUMPY_SERSIC", LightKind::ClumpySersic, true},
      {"SPIRAL", LightKind::Spiral, true},
      {"RING", LightKind::Ring, true},
      {"REAL_GALAXY", LightKind::RealGalaxy, true},
  };
  return types;
}

std::vector<Param<Sersic>> sersic_params(bool elliptical) {
  std::vector<Param<Sersic>> p = {{"R_sersic", &Sersic::R_sersic}, {"n_sersic", &Sersic::n_sersic}};
  if (elliptical) p.insert(p.end(), {{"e1", &Sersic::e1}, {"e2", &Sersic::e2}});
  p.insert(p.end(), {{"center_x", &Sersic::center_x}, {"center_y", &Sersic::center_y}});
  return p;
}

std::vector<Param<Gaussian>> gaussian_params(bool elliptical) {
  std::vector<Param<Gaussian>> p = {{"sigma", &Gaussian::sigma}};
  if (elliptical) p.insert(p.end(), {{"e1", &Gaussian::e1}, {"e2", &Gaussian::e2}});
  p.insert(p.end(), {{"center_x", &Gaussian::center_x}, {"center_y", &Gaussian::center_y}});
  return p;
}

// SPIRAL: the disc's Sersic keys, then the arms (n_arms, an integer, is read on its own).
const std::vector<Param<Spiral>>& spiral_params() {
  static const std::vector<Param<Spiral>> p = {
      {"R_sersic", &Spiral::R_sersic},   {"n_sersic", &Spiral::n_sersic},       {"e1", &Spiral::e1},
      {"e2", &Spiral::e2},               {"center_x", &Spiral::center_x},       {"center_y", &Spiral::center_y},
      {"arm_amplitude", &Spiral::arm_amplitude}, {"pitch_angle", &Spiral::pitch_angle}, {"r_arm", &Spiral::r_arm},
      {"arm_phase", &Spiral::arm_phase, false}};
  return p;
}

const std::vector<Param<Ring>>& ring_params() {
  static const std::vector<Param<Ring>> p = {{"R_ring", &Ring::R_ring}, {"sigma", &Ring::sigma},
                                             {"e1", &Ring::e1},         {"e2", &Ring::e2},
                                             {"center_x", &Ring::center_x}, {"center_y", &Ring::center_y}};
  return p;
}

// REAL_GALAXY: a stamp of a catalog (catalog, row and flip are read on their own).
const std::vector<Param<InterpolatedImage>>& real_galaxy_params() {
  static const std::vector<Param<InterpolatedImage>> p = {{"center_x", &InterpolatedImage::center_x},
                                                          {"center_y", &InterpolatedImage::center_y},
                                                          {"rotation", &InterpolatedImage::rotation, false},
                                                          {"pixel_scale", &InterpolatedImage::pixel_scale, false}};
  return p;
}

// Stamp libraries read by this process, by catalog path and cleaning threshold (shared, read-only).
std::shared_ptr<const StampLibrary> stamp_library_cached(const std::string& path, double threshold) {
  static std::mutex mu;
  static std::map<std::pair<std::string, double>, std::shared_ptr<const StampLibrary>> cache;
  std::lock_guard lock(mu);
  auto& slot = cache[{path, threshold}];
  if (!slot) slot = std::make_shared<const StampLibrary>(load_stamp_library(path, StampCleaning{threshold}));
  return slot;
}

const std::vector<Param<Knot>>& knot_params() {
  static const std::vector<Param<Knot>> p = {
      {"dx", &Knot::dx}, {"dy", &Knot::dy}, {"sigma", &Knot::sigma}, {"flux", &Knot::flux}};
  return p;
}

std::vector<std::string> type_names(const auto& table) {
  std::vector<std::string> names;
  for (const auto& t : table) names.push_back(t.name);
  return names;
}

/// The `type` of a profile entry, looked up in `table`.
template <class Table>
const auto& lookup_type(const MapView& m, const Table& table, const std::string& kind) {
  const auto& e = m.require("type", fmt::format("every entry needs a type ({})", join(type_names(table))));
  const std::string name = read_string(m.ctx(), e.value, m.child("type"));
  for (const auto& t : table)
    if (t.name == name) return t;
  m.ctx().fail(e.value, fmt::format("{}: unknown {} '{}'; allowed: {}", m.child("type"), kind, name,
                                    join(type_names(table))));
}

// ---- the scene --------------------------------------------------------------------------------

struct LocatedZ {
  double z;
  YAML::Node node;
  std::string path;
};

class SceneParser {
 public:
  SceneParser(const Context& ctx, const YAML::Node& root) : ctx_(ctx), root_(ctx, root, "", "a map of scene keys") {}

  SceneFile parse() {
    root_.allow_only({"cosmology", "z_source_convention", "grid", "psf", "magnitude_zero_point", "flux_unit", "lens",
                      "lens_light", "source_light", "cutout"},
                     "scene key");
    SceneFile f;
    if (const auto* e = root_.find("cutout")) read_cutout(f, *e);
    cutout_ = f.cutout ? &*f.cutout : nullptr;
    if (const auto* e = root_.find("flux_unit")) {
      f.flux_unit = read_string(ctx_, e->value, "flux_unit");
      const bool printable = std::all_of(f.flux_unit.begin(), f.flux_unit.end(), [](char c) { return c >= 32 && c < 127; });
      if (f.flux_unit.empty() || f.flux_unit.size() > 60 || !printable)
        ctx_.fail(e->value, fmt::format("flux_unit = '{}': must be 1 to 60 printable ASCII characters (a FITS BUNIT, "
                                        "e.g. electron/s)", f.flux_unit));
    }
    f.magnitude_zero_point = root_.optional_number("magnitude_zero_point");
    if (cutout_) {
      const HybridCutout& c = cutout_->cutout;
      if (const auto* e = root_.find("flux_unit"); e && f.flux_unit != "electron/s")
        ctx_.fail(e->value, fmt::format("flux_unit = '{}': a cutout scene is in the cutout's electron/s; leave "
                                        "flux_unit out", f.flux_unit));
      if (f.magnitude_zero_point && std::abs(*f.magnitude_zero_point - c.zero_point) > 1e-9)
        ctx_.fail(root_.find("magnitude_zero_point")->value,
                  fmt::format("magnitude_zero_point = {}: cutout '{}' has zero_point {} (its catalog row); give that "
                              "or leave it out", *f.magnitude_zero_point, c.name, c.zero_point));
      f.magnitude_zero_point = c.zero_point;
      f.flux_unit = "electron/s";
    }
    zero_point_ = f.magnitude_zero_point;
    if (const auto* e = root_.find("cosmology")) f.scene.cosmology = read_cosmology(e->value);
    f.options = read_options();
    read_lens(f.scene);
    read_lights(f);
    read_z_source_convention(f.scene);
    return f;
  }

 private:
  FlatLambdaCDM read_cosmology(const YAML::Node& n) const {
    const MapView m(ctx_, n, "cosmology", "a map {H0: km/s/Mpc, Om0: matter density}");
    m.allow_only({"H0", "Om0"}, "cosmology parameter");
    const double H0 = m.optional_number("H0").value_or(70.0);
    const double Om0 = m.optional_number("Om0").value_or(0.3);
    try {
      return FlatLambdaCDM(H0, Om0);
    } catch (const ConfigError& err) {
      fail_validation({&m}, err.what());
    }
  }

  /// cutout: {catalog, name, band}: the hybrid catalog row, loaded (its pixels included).
  void read_cutout(SceneFile& f, const MapView::Entry& entry) const {
    const MapView m(ctx_, entry.value, "cutout", "a map {catalog: CSV, name: ROW, band: BAND}");
    m.allow_only({"catalog", "name", "band"}, "cutout key");
    const auto& ce = m.require("catalog", "a hybrid catalog (CSV, catalogs/README.md), relative to the scene file");
    SceneCutout sc;
    sc.catalog_as_given = read_string(ctx_, ce.value, "cutout.catalog");
    std::filesystem::path cat = sc.catalog_as_given;
    if (cat.is_relative()) cat = std::filesystem::path(ctx_.file()).parent_path() / cat;
    sc.catalog = cat.string();
    sc.line = entry.key_node.Mark().line + 1;
    const auto& ne = m.require("name", "the name of the cutout's catalog row");
    const std::string name = read_string(ctx_, ne.value, "cutout.name");
    std::optional<std::string> band;
    if (const auto* b = m.find("band")) band = read_string(ctx_, b->value, "cutout.band");
    std::vector<HybridCutout> rows;
    try {
      rows = load_hybrid_catalog(sc.catalog);
    } catch (const Error& err) {
      ctx_.fail(ce.value, fmt::format("cutout.catalog: {}", err.what()));
    }
    std::vector<const HybridCutout*> hits;
    std::vector<std::string> names;
    for (const HybridCutout& c : rows) {
      if (c.name == name && (!band || c.band == *band)) hits.push_back(&c);
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
    }
    if (hits.empty())
      ctx_.fail(ne.value, fmt::format("cutout.name = '{}'{}: no such cutout in {}; cutouts: {}", name,
                                      band ? fmt::format(" (band {})", *band) : "", sc.catalog, join(names)));
    if (hits.size() > 1) {
      std::vector<std::string> bands;
      for (const HybridCutout* c : hits) bands.push_back(c->band);
      ctx_.fail(ne.value, fmt::format("cutout.name = '{}': {} rows in {} (bands {}); give cutout.band", name,
                                      hits.size(), sc.catalog, join(bands)));
    }
    sc.cutout = *hits.front();
    f.cutout = std::move(sc);
  }

  /// The grid and PSF of a cutout scene: the cutout's; `grid:` may restate them and set supersampling.
  RenderOptions read_cutout_options() const {
    const HybridCutout& c = cutout_->cutout;
    RenderOptions o;
    o.grid = PixelGrid{int(c.pixels.cols()), int(c.pixels.rows()), c.pixel_scale, 0.0, 0.0};
    o.supersampling = 4;
    if (const auto* e = root_.find("psf"); e && !e->value.IsNull())
      ctx_.fail(e->key_node, fmt::format("psf: a cutout scene uses the PSF of cutout '{}' (its catalog row: psf_fwhm "
                                         "= {}\"); leave psf out", c.name, c.psf_fwhm));
    if (const auto* e = root_.find("grid"); e && !e->value.IsNull()) {
      const MapView grid(ctx_, e->value, "grid", "a map {num_pix, pixel_scale, supersampling}");
      grid.allow_only({"num_pix", "nx", "ny", "pixel_scale", "supersampling"}, "grid key of a cutout scene");
      auto agree = [&](const char* key, double want, const std::string& what) {
        if (const auto* k = grid.find(key)) {
          const double got = read_number(ctx_, k->value, grid.child(key));
          if (std::abs(got - want) > 1e-9 * std::abs(want))
            ctx_.fail(k->value, fmt::format("{} = {}: cutout '{}' is {}; give that or leave it out (the cutout sets "
                                            "the grid)", grid.child(key), k->value.Scalar(), c.name, what));
        }
      };
      const std::string size = fmt::format("{}x{} pixels (nx x ny)", o.grid.nx, o.grid.ny);
      if (grid.has("num_pix") && o.grid.nx != o.grid.ny)
        ctx_.fail(grid.find("num_pix")->key_node,
                  fmt::format("grid.num_pix: cutout '{}' is not square ({}); give nx and ny", c.name, size));
      agree("num_pix", o.grid.nx, size);
      agree("nx", o.grid.nx, size);
      agree("ny", o.grid.ny, size);
      agree("pixel_scale", o.grid.pixel_scale, fmt::format("{}\"/px", o.grid.pixel_scale));
      if (const auto* s = grid.find("supersampling")) o.supersampling = read_integer(ctx_, s->value, grid.child("supersampling"));
      if (const std::string msg = o.validate(); !msg.empty()) fail_validation({&grid}, msg);
    }
    o.psf = GaussianPsf{c.psf_fwhm, 5.0};  // what hybrid_arc applies for a row without a PSF kernel
    return o;
  }

  RenderOptions read_options() const {
    if (cutout_) return read_cutout_options();
    RenderOptions o;
    const MapView grid(ctx_, root_.require("grid", "a scene needs grid: {num_pix, pixel_scale}").value, "grid",
                       "a map {num_pix, pixel_scale, supersampling}");
    grid.allow_only({"num_pix", "nx", "ny", "pixel_scale", "supersampling", "center_x", "center_y"}, "grid key");
    if (grid.has("num_pix")) {
      for (const char* k : {"nx", "ny"})
        if (const auto* e = grid.find(k))
          ctx_.fail(e->key_node, fmt::format("{}: give either num_pix (square) or nx and ny, not both", grid.child(k)));
      o.grid.nx = o.grid.ny = read_integer(ctx_, grid.find("num_pix")->value, grid.child("num_pix"));
    } else {
      if (!grid.has("nx") && !grid.has("ny"))
        ctx_.fail(grid.node(), "grid.num_pix: missing; give num_pix (square image) or nx and ny (pixels)");
      o.grid.nx = read_integer(ctx_, grid.require("nx", "give nx and ny together, or num_pix").value, grid.child("nx"));
      o.grid.ny = read_integer(ctx_, grid.require("ny", "give nx and ny together, or num_pix").value, grid.child("ny"));
    }
    o.grid.pixel_scale = grid.number("pixel_scale", "the pixel size in arcsec is required");
    o.grid.center_x = grid.optional_number("center_x").value_or(0.0);
    o.grid.center_y = grid.optional_number("center_y").value_or(0.0);
    if (const auto* e = grid.find("supersampling")) o.supersampling = read_integer(ctx_, e->value, grid.child("supersampling"));

    const std::vector<std::pair<std::string, std::string>> grid_aliases = {
        {"size", "num_pix"}, {"size", "nx"}, {"centre", "center_x"}, {"center", "center_x"}};
    if (const std::string msg = o.grid.validate(); !msg.empty()) fail_validation({&grid}, msg, grid_aliases);

    std::optional<MapView> psf;
    if (const auto* e = root_.find("psf"); e && !e->value.IsNull()) {
      psf.emplace(ctx_, e->value, "psf", "a map {type: GAUSSIAN, fwhm}");
      psf->allow_only({"type", "fwhm", "truncation", "supersampling_convolution"}, "psf key");
      const auto& type = psf->require("type", "the psf needs a type (GAUSSIAN)");
      if (read_string(ctx_, type.value, "psf.type") != "GAUSSIAN")
        ctx_.fail(type.value, fmt::format("psf.type: unknown psf type {}; allowed: GAUSSIAN", describe(type.value)));
      GaussianPsf g;
      g.fwhm = psf->number("fwhm", "the GAUSSIAN psf needs its full width at half maximum in arcsec");
      g.truncate = psf->optional_number("truncation").value_or(g.truncate);
      o.psf = g;
      if (const auto* s = psf->find("supersampling_convolution"))
        o.supersampling_convolution = read_bool(ctx_, s->value, psf->child("supersampling_convolution"));
    }
    if (const std::string msg = o.validate(); !msg.empty()) {
      std::vector<const MapView*> maps = {&grid};
      if (psf) maps.push_back(&*psf);
      auto aliases = grid_aliases;
      aliases.emplace_back("truncate", "truncation");
      fail_validation(maps, msg, aliases);
    }
    return o;
  }

  /// The list under a top-level key (an empty list when an optional key is absent or null).
  YAML::Node list(const std::string& key, bool required, const std::string& what) const {
    const auto* e = required ? &root_.require(key, what) : root_.find(key);
    if (!e || (!required && e->value.IsNull())) return YAML::Node(YAML::NodeType::Sequence);
    if (!e->value.IsSequence())
      ctx_.fail(e->value, fmt::format("{}: expected a list of profiles (- {{type: ..., ...}}), found {}", key,
                                      describe(e->value)));
    if (required && e->value.size() == 0) ctx_.fail(e->value, fmt::format("{}: empty; {}", key, what));
    return e->value;
  }

  void read_lens(Scene& scene) {
    const YAML::Node lens = list("lens", true, "a scene needs at least one mass profile (lens: [{type: SIE, ...}])");
    for (std::size_t i = 0; i < lens.size(); ++i) {
      const MapView m(ctx_, lens[i], fmt::format("lens[{}]", i), "a map {type: ..., z: ..., parameters}");
      const MassType& t = lookup_type(m, mass_types(), "mass profile type");
      std::vector<std::string> allowed = t.keys;
      allowed.insert(allowed.begin(), {"type", "z"});
      m.allow_only(allowed, "parameter of " + t.name);
      const auto& ze = m.require("z", "every mass profile needs the redshift z of its lens plane");
      const double z = read_number(ctx_, ze.value, m.child("z"));
      if (!(z > 0.0)) ctx_.fail(ze.value, fmt::format("{}.z = {}: must be > 0", m.path(), ze.value.Scalar()));
      const MassProfile p = t.read(m, allowed);
      if (const std::string msg = validate(p); !msg.empty()) fail_validation({&m}, msg);

      auto plane = std::find_if(scene.lens_planes.begin(), scene.lens_planes.end(),
                                [z](const LensPlane& lp) { return lp.z == z; });
      if (plane == scene.lens_planes.end()) {
        scene.lens_planes.push_back(LensPlane{z, {}});
        plane = scene.lens_planes.end() - 1;
      }
      plane->profiles.push_back(p);
      if (!first_lens_ || z < first_lens_->z) first_lens_ = LocatedZ{z, ze.value, m.child("z")};
      if (!last_lens_ || z > last_lens_->z) last_lens_ = LocatedZ{z, ze.value, m.child("z")};
    }
    std::stable_sort(scene.lens_planes.begin(), scene.lens_planes.end(),
                     [](const LensPlane& a, const LensPlane& b) { return a.z < b.z; });
  }

  void read_lights(SceneFile& f) {
    Scene& scene = f.scene;
    const YAML::Node ll = list("lens_light", false, "");
    if (cutout_ && ll.size() > 0)
      ctx_.fail(ll, fmt::format("lens_light: {} {}, but a cutout scene has none: the real pixels of cutout '{}' "
                                "carry the lens light; remove lens_light",
                                ll.size(), ll.size() == 1 ? "entry" : "entries", cutout_->cutout.name));
    for (std::size_t i = 0; i < ll.size(); ++i) {
      f.lens_light_magnitudes.emplace_back();
      scene.lens_light.push_back(read_light(ll[i], fmt::format("lens_light[{}]", i), false, f.lens_light_magnitudes.back()));
    }
    const YAML::Node src =
        list("source_light", true, "a scene needs at least one source (source_light: [{type: SERSIC_ELLIPSE, z: ...}])");
    for (std::size_t i = 0; i < src.size(); ++i) {
      const std::string path = fmt::format("source_light[{}]", i);
      f.source_magnitudes.emplace_back();
      scene.sources.push_back(read_light(src[i], path, true, f.source_magnitudes.back()));
      const double z = scene.sources.back().z;
      if (!(z > first_lens_->z))
        ctx_.fail(src[i]["z"], fmt::format("{}.z = {} is not behind the lens at z = {} ({}); a source needs z > {}",
                                           path, src[i]["z"].Scalar(), first_lens_->z, first_lens_->path,
                                           first_lens_->z));
      if (!last_source_ || z > last_source_->z) last_source_ = LocatedZ{z, src[i]["z"], path + ".z"};
    }
  }

  LightComponent read_light(const YAML::Node& n, const std::string& path, bool is_source,
                            LightMagnitudes& magnitudes) const {
    const MapView m(ctx_, n, path, "a map {type: ..., parameters}");
    const LightType& t = lookup_type(m, light_types(), "light profile type");
    std::vector<std::string> params;
    switch (t.kind) {
      case LightKind::Gaussian: params = keys_of(gaussian_params(t.elliptical)); break;
      case LightKind::Spiral:
        params = keys_of(spiral_params());
        params.insert(params.begin() + 6, "n_arms");
        break;
      case LightKind::Ring: params = keys_of(ring_params()); break;
      case LightKind::RealGalaxy:
        params = keys_of(real_galaxy_params());
        params.insert(params.begin(), {"catalog", "row", "flip", "clean_threshold"});
        break;
      default: params = keys_of(sersic_params(t.elliptical)); break;
    }
    std::vector<std::string> allowed = {"type", "z", "amp", "flux", "magnitude", "magnitudes"};
    allowed.insert(allowed.end(), params.begin(), params.end());
    if (t.kind == LightKind::ClumpySersic) allowed.push_back("knots");
    m.allow_only(allowed, "parameter of " + t.name);

    LightComponent c;
    if (const auto* ze = m.find("z")) {
      c.z = read_number(ctx_, ze->value, m.child("z"));
      if (!(c.z >= 0.0)) ctx_.fail(ze->value, fmt::format("{}.z = {}: must be >= 0", path, ze->value.Scalar()));
    } else if (is_source) {
      m.require("z", "every source needs its redshift z");
    } else {
      c.z = first_lens_->z;  // lens light sits on the first lens plane unless told otherwise
    }

    // Exactly one amplitude key.
    std::vector<const MapView::Entry*> amps;
    for (const char* k : {"amp", "flux", "magnitude"})
      if (const auto* e = m.find(k)) amps.push_back(e);
    const std::string amp_meaning = t.kind == LightKind::Gaussian || t.kind == LightKind::RealGalaxy ? "total flux"
                                    : t.kind == LightKind::Ring   ? "surface brightness on the crest, flux/arcsec^2"
                                                                  : "surface brightness at R_sersic, flux/arcsec^2";
    const std::string amp_rule =
        fmt::format("give exactly one of amp ({}), flux (total flux), magnitude (AB)", amp_meaning);
    if (amps.empty()) ctx_.fail(n, fmt::format("{}.amp: missing; {}", path, amp_rule));
    if (amps.size() > 1)
      ctx_.fail(amps[1]->key_node, fmt::format("{}: both {} and {} given; {}", m.child(amps[1]->key), amps[0]->key,
                                               amps[1]->key, amp_rule));
    const MapView::Entry& amp_key = *amps.front();
    const double amp_value = read_number(ctx_, amp_key.value, m.child(amp_key.key));
    if (amp_key.key == "magnitude" && !zero_point_)
      ctx_.fail(amp_key.value, fmt::format("{}.magnitude: needs magnitude_zero_point (the AB magnitude of 1 flux "
                                           "unit) at the top level of the scene, or give amp or flux instead",
                                           path));

    // The other parameters, validated with amp = 1 so that total_flux() is defined.
    std::vector<MapView> knot_maps;
    switch (t.kind) {
      case LightKind::Sersic:
      case LightKind::ClumpySersic: {
        Sersic s;
        read_params(m, t.name, sersic_params(t.elliptical), allowed, s);
        if (t.kind == LightKind::Sersic) {
          c.profile = s;
        } else {
          ClumpySersic cs{s, read_knots(m, knot_maps)};
          c.profile = cs;
        }
        break;
      }
      case LightKind::Gaussian: {
        Gaussian g;
        read_params(m, t.name, gaussian_params(t.elliptical), allowed, g);
        c.profile = g;
        break;
      }
      case LightKind::Spiral: {
        Spiral sp;
        read_params(m, t.name, spiral_params(), allowed, sp);
        sp.n_arms = read_integer(ctx_, m.require("n_arms", fmt::format("{} needs it (parameters: {})", t.name,
                                                                       join(allowed))).value,
                                 m.child("n_arms"));
        c.profile = sp;
        break;
      }
      case LightKind::Ring: {
        Ring r;
        read_params(m, t.name, ring_params(), allowed, r);
        c.profile = r;
        break;
      }
      case LightKind::RealGalaxy: c.profile = read_real_galaxy(m, t.name, allowed); break;
    }
    set_amp(c.profile, 1.0);
    if (const std::string msg = validate(c.profile); !msg.empty()) fail_light_validation(m, knot_maps, msg, {});

    double amp = amp_value;
    if (amp_key.key != "amp") {
      const double flux = amp_key.key == "flux" ? amp_value : flux_from_magnitude(amp_value, *zero_point_);
      // CLUMPY_SERSIC: the flux is the host's (knots carry their own); else the profile's total.
      amp = std::holds_alternative<ClumpySersic>(c.profile) ? sersic_amp_from_total_flux(host(c.profile), flux)
                                                            : flux / total_flux(c.profile);
      if (!std::isfinite(amp))
        ctx_.fail(amp_key.value, fmt::format("{}.{} = {}: gives a non-finite amp", path, amp_key.key,
                                             amp_key.value.Scalar()));
    }
    set_amp(c.profile, amp);
    if (const std::string msg = validate(c.profile); !msg.empty())
      fail_light_validation(m, knot_maps, msg, {{"amp", amp_key.key}});
    magnitudes = read_magnitudes(m);
    for (const BandMagnitude& b : magnitudes.entries)
      if (b.survey.empty()) c.magnitudes[b.band] = b.magnitude;
    return c;
  }

  /// `magnitudes`: {band: mag, ...} (any survey) or {survey: {band: mag, ...}, ...}.
  LightMagnitudes read_magnitudes(const MapView& light) const {
    LightMagnitudes out;
    out.component = light.path();
    out.line = light.node().Mark().line + 1;
    const auto* e = light.find("magnitudes");
    if (!e) return out;
    out.line = e->key_node.Mark().line + 1;
    const std::string form =
        "a map of AB magnitudes per band {VIS: 19.8, Y: 19.1, ...} or per survey {Euclid: {VIS: 19.8, ...}, ...}";
    const MapView top(ctx_, e->value, light.child("magnitudes"), form);
    if (top.entries().empty()) ctx_.fail(e->value, fmt::format("{}: empty; expected {}", top.path(), form));
    const bool grouped = top.entries().front().value.IsMap();
    auto read_bands = [&](const MapView& bands, const std::string& survey) {
      if (bands.entries().empty())
        ctx_.fail(bands.node(), fmt::format("{}: empty; expected band: AB magnitude pairs", bands.path()));
      for (const auto& b : bands.entries()) {
        if (b.value.IsMap())
          ctx_.fail(b.value, fmt::format("{}: expected an AB magnitude, found a map (survey groups hold bands, "
                                         "not further groups)", bands.child(b.key)));
        const double mag = read_number(ctx_, b.value, bands.child(b.key));
        out.entries.push_back({survey, b.key, mag, bands.child(b.key), b.value.Mark().line + 1});
      }
    };
    if (!grouped) {
      for (const auto& b : top.entries())
        if (b.value.IsMap())
          ctx_.fail(b.key_node, fmt::format("{}: a survey group among band magnitudes; give either band: magnitude "
                                            "pairs (any survey) or survey: {{band: magnitude}} groups, not both",
                                            top.child(b.key)));
      read_bands(top, "");
      return out;
    }
    for (std::size_t k = 0; k < top.entries().size(); ++k) {
      const auto& g = top.entries()[k];
      if (!g.value.IsMap())
        ctx_.fail(g.value, fmt::format("{}: expected a map {{band: AB magnitude}} for survey {} like the groups "
                                       "before it, found {}; give either band: magnitude pairs (any survey) or "
                                       "survey: {{band: magnitude}} groups, not both",
                                       top.child(g.key), g.key, describe(g.value)));
      for (std::size_t j = 0; j < k; ++j)
        if (equal_ignoring_case(top.entries()[j].key, g.key))
          ctx_.fail(g.key_node, fmt::format("{}: survey {} is already given as {} on line {} (survey names ignore "
                                            "case)", top.child(g.key), g.key, top.entries()[j].key,
                                            top.entries()[j].key_node.Mark().line + 1));
      read_bands(MapView(ctx_, g.value, top.child(g.key), "a map {band: AB magnitude}"), g.key);
    }
    return out;
  }

  /// A light profile's validate() message, pointed at knots[i] when it names a knot.
  [[noreturn]] static void fail_light_validation(const MapView& m, const std::vector<MapView>& knot_maps,
                                                 const std::string& msg,
                                                 const std::vector<std::pair<std::string, std::string>>& aliases) {
    if (const auto pos = msg.find("knots["); pos != std::string::npos) {
      const std::size_t k = std::strtoul(msg.c_str() + pos + 6, nullptr, 10);
      if (k < knot_maps.size()) fail_validation({&knot_maps[k]}, msg);
    }
    fail_validation({&m}, msg, aliases);
  }

  std::vector<Knot> read_knots(const MapView& m, std::vector<MapView>& maps) const {
    std::vector<Knot> knots;
    const auto* e = m.find("knots");
    if (!e) return knots;
    if (!e->value.IsSequence())
      ctx_.fail(e->value, fmt::format("{}: expected a list of knots [{{dx, dy, sigma, flux}}, ...], found {}",
                                      m.child("knots"), describe(e->value)));
    const std::vector<std::string> allowed = keys_of(knot_params());
    for (std::size_t k = 0; k < e->value.size(); ++k) {
      maps.emplace_back(ctx_, e->value[k], fmt::format("{}[{}]", m.child("knots"), k), "a map {dx, dy, sigma, flux}");
      maps.back().allow_only(allowed, "knot parameter");
      Knot knot;
      read_params(maps.back(), "a knot", knot_params(), allowed, knot);
      knots.push_back(knot);
    }
    return knots;
  }

  /// REAL_GALAXY: catalog (CSV path, relative to the scene file), row (name or 0-based index),
  /// flip (bool), clean_threshold (noise sigmas), pixel_scale (arcsec on the source plane; default
  /// the stamp's own), rotation (radians).
  InterpolatedImage read_real_galaxy(const MapView& m, const std::string& type,
                                     const std::vector<std::string>& allowed) const {
    const auto& ce = m.require("catalog", fmt::format("{} needs a stamp catalog (CSV, catalogs/README.md)", type));
    std::filesystem::path cat = read_string(ctx_, ce.value, m.child("catalog"));
    if (cat.is_relative()) cat = std::filesystem::path(ctx_.file()).parent_path() / cat;
    double threshold = 0.0;
    if (const auto* e = m.find("clean_threshold")) {
      threshold = read_number(ctx_, e->value, m.child("clean_threshold"));
      if (!(threshold >= 0.0))
        ctx_.fail(e->value, fmt::format("{} = {}: must be >= 0 (noise sigmas)", m.child("clean_threshold"), threshold));
    }
    std::shared_ptr<const StampLibrary> lib;
    try {
      lib = stamp_library_cached(cat.string(), threshold);
    } catch (const Error& err) {
      ctx_.fail(ce.value, fmt::format("{}: {}", m.child("catalog"), err.what()));
    }
    const auto& re = m.require("row", fmt::format("{} needs the row of the stamp catalog (name or 0-based index)", type));
    const std::string row = read_string(ctx_, re.value, m.child("row"));
    const StampEntry* entry = nullptr;
    for (const StampEntry& e : lib->entries)
      if (e.name == row) entry = &e;
    if (!entry) {
      char* end = nullptr;
      const long k = std::strtol(row.c_str(), &end, 10);
      if (!row.empty() && *end == '\0' && k >= 0 && std::size_t(k) < lib->entries.size()) entry = &lib->entries[k];
    }
    if (!entry) {
      std::vector<std::string> names;
      for (const StampEntry& e : lib->entries) names.push_back(e.name);
      ctx_.fail(re.value, fmt::format("{} = '{}': no such row in {}; rows: {}", m.child("row"), row, cat.string(),
                                      join(names)));
    }
    bool flip = false;
    if (const auto* e = m.find("flip")) flip = read_bool(ctx_, e->value, m.child("flip"));
    InterpolatedImage im = stamp_profile(*entry, 1.0, 0.0, 0.0, 0.0, flip);
    read_params(m, type, real_galaxy_params(), allowed, im);
    return im;
  }

  static const Sersic& host(const LightProfile& p) { return std::get<ClumpySersic>(p).host; }

  static void set_amp(LightProfile& p, double amp) {
    std::visit(
        [amp](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, ClumpySersic>)
            v.host.amp = amp;
          else
            v.amp = amp;
        },
        p);
  }

  void read_z_source_convention(Scene& scene) const {
    if (const auto* e = root_.find("z_source_convention")) {
      scene.z_source_convention = read_number(ctx_, e->value, "z_source_convention");
      if (!(scene.z_source_convention > last_lens_->z))
        ctx_.fail(e->value, fmt::format("z_source_convention = {}: must be > every lens redshift (largest: {} = {})",
                                        e->value.Scalar(), last_lens_->path, last_lens_->z));
    } else {
      scene.z_source_convention = last_source_->z;
      if (!(scene.z_source_convention > last_lens_->z))
        ctx_.fail(last_lens_->node,
                  fmt::format("{} = {} is behind every source; z_source_convention (default: the largest source "
                              "redshift, {} = {}) must be > every lens redshift: set z_source_convention",
                              last_lens_->path, last_lens_->z, last_source_->path, last_source_->z));
    }
  }

  const Context& ctx_;
  MapView root_;
  const SceneCutout* cutout_ = nullptr;  ///< the scene's cutout, once read
  std::optional<double> zero_point_;
  std::optional<LocatedZ> first_lens_, last_lens_, last_source_;
};

}  // namespace

SceneFile parse_scene_yaml(const std::string& yaml_text, const std::string& source_name) {
  const Context ctx(source_name);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml_text);
  } catch (const YAML::ParserException& e) {
    ctx.fail_at_line(e.mark.line, "YAML syntax error: " + e.msg);
  }
  if (docs.size() > 1)
    ctx.fail(docs[1], fmt::format("a scene file holds one YAML document, found {} (separated by ---)", docs.size()));
  const YAML::Node root = docs.empty() ? YAML::Node() : docs.front();
  if (root.IsNull())
    throw ConfigError(source_name + ": the scene is empty; it needs at least grid, lens and source_light");
  SceneFile f = SceneParser(ctx, root).parse();
  f.path = source_name;
  return f;
}

SceneFile load_scene_yaml(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw IoError(fmt::format("scene file '{}' is a folder", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open scene file '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read scene file '{}'", path));
  return parse_scene_yaml(text.str(), path);
}

Scene scene_for_survey(const SceneFile& f, const std::vector<Band>& survey_bands,
                       const std::vector<std::string>& observed) {
  const std::string survey = survey_bands.empty() ? std::string() : survey_bands.front().survey;
  std::vector<std::string> names;
  for (const Band& b : survey_bands) names.push_back(b.name);
  auto is_band = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  for (const std::string& o : observed)
    if (!is_band(o)) throw ConfigError(fmt::format("survey {} has no band '{}'; its bands: {}", survey, o, join(names)));
  auto fail = [&](int line, const std::string& text) {
    throw ConfigError(fmt::format("{}:{}: {}", f.path, line, text));
  };

  Scene out = f.scene;
  auto apply = [&](std::vector<LightComponent>& components, const std::vector<LightMagnitudes>& written) {
    for (std::size_t i = 0; i < components.size() && i < written.size(); ++i) {
      LightComponent& c = components[i];
      const LightMagnitudes& lm = written[i];
      c.magnitudes.clear();
      if (lm.entries.empty()) {  // flat f_nu at the magnitude of the plain render, if it has one
        const double total = total_flux(c.profile);
        if (f.magnitude_zero_point && total > 0.0)
          for (const std::string& o : observed) c.magnitudes[o] = *f.magnitude_zero_point - 2.5 * std::log10(total);
        continue;
      }
      std::string group;  // the survey group used ("" for the flat form)
      std::vector<std::string> other_groups;
      for (const BandMagnitude& e : lm.entries) {
        if (!e.survey.empty() && !equal_ignoring_case(e.survey, survey)) {
          if (std::find(other_groups.begin(), other_groups.end(), e.survey) == other_groups.end())
            other_groups.push_back(e.survey);
          continue;
        }
        if (!is_band(e.band))
          fail(e.line, fmt::format("{}: survey {} has no band '{}'; its bands: {}", e.key_path, survey, e.band,
                                   join(names)));
        c.magnitudes[e.band] = e.magnitude;
        group = e.survey;
      }
      const std::string at = lm.component + ".magnitudes" + (group.empty() ? "" : "." + group);
      if (!c.magnitudes.empty() && !(total_flux(c.profile) > 0.0))
        fail(lm.line, fmt::format("{}: the entry's amp/flux gives no light, so there is no shape to rescale to the "
                                  "magnitudes; give it a positive amp, flux or magnitude",
                                  at));
      if (c.magnitudes.empty())
        fail(lm.line, fmt::format("{}: no magnitudes for survey {} (given for: {}); add a group {} with the bands {}",
                                  at, survey, join(other_groups), survey, join(names)));
      for (const std::string& o : observed)
        if (!c.magnitudes.count(o))
          fail(lm.line, fmt::format("{}: no magnitude for band {} (observed bands: {}); give one for every observed "
                                    "band", at, o, join(observed)));
    }
  };
  apply(out.lens_light, f.lens_light_magnitudes);
  apply(out.sources, f.source_magnitudes);
  return out;
}

}  // namespace lensforge

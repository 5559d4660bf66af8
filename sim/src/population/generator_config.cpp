#include "lensforge/sim/population/generator_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/population/label_column.hpp"
#include "lensforge/sim/survey/survey_preset.hpp"
#include "../config/yaml_map.hpp"

namespace lensforge {

namespace fs = std::filesystem;
using yamlmap::Context;
using yamlmap::Map;

std::size_t GeneratorConfig::band_index(const std::string& name) const {
  for (std::size_t k = 0; k < bands.size(); ++k)
    if (bands[k].name == name) return k;
  std::vector<std::string> names;
  for (const auto& b : bands) names.push_back(b.name);
  throw ConfigError(fmt::format("no band '{}' in this config; bands: {}", name, fmt::join(names, ", ")));
}

std::size_t GeneratorConfig::criterion_band() const {
  return criterion.band.empty() ? 0 : band_index(criterion.band);
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// The values a parameter may take: an interval with open or closed ends; `integer`: draws are
/// rounded to the nearest integer first.
struct Domain {
  double lo = -kInf, hi = kInf;
  bool lo_open = false, hi_open = false;
  const char* text = "any finite value";
  bool integer = false;

  /// Whether every value of `s` lies in the domain (an open end of `s` may touch an open end here).
  bool contains(const Support& s) const {
    const bool lo_ok = s.lo > lo || (s.lo == lo && (!lo_open || s.lo_open));
    const bool hi_ok = s.hi < hi || (s.hi == hi && (!hi_open || s.hi_open));
    return lo_ok && hi_ok;
  }
};

const Domain kAny{};
const Domain kPositive{0.0, kInf, true, true, "> 0"};
const Domain kNonNegative{0.0, kInf, false, true, ">= 0"};
const Domain kRedshift{0.0, 20.0, true, false, "in (0, 20]"};
const Domain kSersicIndex{0.2, 10.0, false, false, "in [0.2, 10]"};
const Domain kEllipticity{-1.0, 1.0, true, true, "in (-1, 1)"};
const Domain kAxisRatio{0.0, 1.0, true, false, "in (0, 1]"};
const Domain kUnitInterval{0.0, 1.0, false, false, "in [0, 1]"};
const Domain kFraction{0.0, 1.0, false, true, "in [0, 1)"};
const Domain kSlope{1.0, 3.0, true, true, "in (1, 3)"};
const Domain kPitch{0.0, 0.5 * std::numbers::pi, true, true, "in (0, pi/2) radians"};
const Domain kKnotCount{0.0, 20.0, false, false, "an integer in [0, 20]", true};
const Domain kArmCount{1.0, 8.0, false, false, "an integer in [1, 8]", true};
const Domain kFieldCount{0.0, 50.0, false, false, "an integer in [0, 50]", true};

constexpr double kDoubleRingMaxBeta = 0.25;  // double_ring: both sources within this many theta_E of the caustic centre
constexpr double kEdgeOnMaxQ = 0.4;          // edge_on: thin discs, axis ratio at most this

/// A parameter read from the file, with where it was written (for order checks between parameters).
struct Located {
  Distribution dist;
  YAML::Node node;
  std::string path;
};

enum class Need { NO, OPTIONAL, REQUIRED };

/// What a galaxy block may contain besides R_sersic, n_sersic, ellipticity and photometry.
struct GalaxyKeys {
  Need z = Need::NO;
  bool center = false;
  bool knots = false;
  bool arms = false;
  bool lensed = false;
  std::vector<std::string> extra;  // keys the caller reads from the same map
};

class Parser {
 public:
  Parser(const Context& ctx, GeneratorConfig& cfg, std::string base_dir, std::string configs_dir)
      : ctx_(ctx), cfg_(cfg), base_dir_(std::move(base_dir)), configs_dir_(std::move(configs_dir)) {}

  void parse(const YAML::Node& root_node) {
    const Map root(ctx_, root_node, "", "a map of config keys");
    root.allow_only({"survey", "observation", "cosmology", "catalogs", "class_block", "criterion", "store", "classes"},
                    "top-level key");
    read_survey(root.require("survey", "the config needs survey: {preset: ..., bands: [...]}").value);
    if (const auto* e = root.find("observation")) read_observation(e->value);
    if (const auto* e = root.find("cosmology")) read_cosmology(e->value);
    if (const auto* e = root.find("catalogs")) read_catalogs(e->value);
    if (const auto* e = root.find("class_block")) {
      cfg_.class_block = yamlmap::read_integer(ctx_, e->value, "class_block");
      if (cfg_.class_block < 1 || cfg_.class_block > 1000000)
        ctx_.fail(e->value, fmt::format("class_block = {}: must be in [1, 1000000]", cfg_.class_block));
    }
    if (const auto* e = root.find("criterion")) read_criterion(e->value);
    if (const auto* e = root.find("store")) read_store(e->value);
    read_classes(root.require("classes", "the config needs classes: {lens: {fraction: ..., ...}, ...}").value);
  }

 private:
  // ---- paths ----------------------------------------------------------------------------------

  std::string resolve(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute() || base_dir_.empty()) return p;
    return (fs::path(base_dir_) / p).lexically_normal().string();
  }

  /// Runs f; a ConfigError it throws is re-thrown located at `at` under `path`.
  template <class F>
  auto located(const YAML::Node& at, const std::string& path, F&& f) const {
    try {
      return f();
    } catch (const ConfigError& e) {
      ctx_.fail(at, fmt::format("{}: {}", path, e.what()));
    }
  }

  // ---- survey and options ---------------------------------------------------------------------

  void read_survey(const YAML::Node& n) {
    const Map m(ctx_, n, "survey", "a map {preset, bands, image_size}");
    m.allow_only({"preset", "file", "bands", "image_size"}, "survey key");
    const auto preset_name = m.optional_string("preset");
    SurveyPreset preset;
    if (const auto* f = m.find("file")) {
      const std::string file = resolve(yamlmap::read_string(ctx_, f->value, m.child("file")));
      std::vector<SurveyPreset> presets;
      try {
        presets = load_survey_file(file);
      } catch (const IoError& e) {
        throw IoError(fmt::format("{}:{}: survey.file: {}", ctx_.file(), Context::line(f->value), e.what()));
      } catch (const ConfigError& e) {
        ctx_.fail(f->value, fmt::format("survey.file: {}", e.what()));
      }
      std::vector<std::string> names;
      for (const auto& p : presets) names.push_back(p.name);
      if (preset_name) {
        const auto it = std::find_if(presets.begin(), presets.end(), [&](const auto& p) { return p.name == *preset_name; });
        if (it == presets.end())
          ctx_.fail(m.find("preset")->value, fmt::format("survey.preset: '{}' is not a preset of {}; presets: {}",
                                                         *preset_name, file, fmt::join(names, ", ")));
        preset = *it;
      } else {
        if (presets.size() != 1)
          ctx_.fail(f->value, fmt::format("survey.file: {} holds {} presets; choose one with survey.preset ({})", file,
                                          presets.size(), fmt::join(names, ", ")));
        preset = presets.front();
      }
      cfg_.survey = file + (preset_name ? ":" + *preset_name : "");
    } else {
      const auto& p = m.require("preset", "give survey.preset (a preset of configs/surveys) or survey.file");
      if (configs_dir_.empty())
        ctx_.fail(p.value, "survey.preset: no configs folder to look presets up in; give survey.file instead");
      preset = located(p.value, "survey.preset", [&] { return load_survey_preset(configs_dir_, *preset_name); });
      cfg_.survey = *preset_name;
    }

    if (const auto* b = m.find("bands")) {
      if (!b->value.IsSequence() || b->value.size() == 0)
        ctx_.fail(b->value, fmt::format("survey.bands: expected a list of band names, found {}",
                                        yamlmap::describe(b->value)));
      for (std::size_t k = 0; k < b->value.size(); ++k) {
        const std::string path = fmt::format("survey.bands[{}]", k);
        const std::string name = yamlmap::read_string(ctx_, b->value[k], path);
        for (const auto& have : cfg_.bands)
          if (have.name == name) ctx_.fail(b->value[k], fmt::format("{}: band '{}' listed twice", path, name));
        cfg_.bands.push_back(located(b->value[k], path, [&] { return preset.band(name); }));
      }
    } else {
      cfg_.bands = preset.bands;
    }

    if (const auto* s = m.find("image_size")) {
      auto set_size = [&](Band& band, const YAML::Node& v, const std::string& path) {
        const int size = yamlmap::read_integer(ctx_, v, path);
        band.nx = band.ny = size;
        if (auto e = band.validate(); !e.empty()) ctx_.fail(v, fmt::format("{} = {}: {}", path, size, e));
      };
      if (s->value.IsMap()) {
        const Map sizes(ctx_, s->value, "survey.image_size", "a number or a map {band: pixels}");
        for (const auto& e : sizes.entries())
          set_size(cfg_.bands[located(e.key_node, sizes.child(e.key), [&] { return cfg_.band_index(e.key); })], e.value,
                   sizes.child(e.key));
      } else {
        for (Band& band : cfg_.bands) set_size(band, s->value, "survey.image_size");
      }
    }
  }

  void read_observation(const YAML::Node& n) {
    const Map m(ctx_, n, "observation", "a map of observation options");
    m.allow_only({"supersampling", "supersampling_convolution", "noise", "artefacts", "unit", "flux_zero_point",
                  "subtract_background", "saturation"},
                 "observation option");
    ObservationOptions& o = cfg_.observation;
    o.supersampling = m.optional_integer("supersampling").value_or(o.supersampling);
    o.supersampling_convolution = m.optional_bool("supersampling_convolution").value_or(o.supersampling_convolution);
    o.noise = m.optional_bool("noise").value_or(o.noise);
    o.artefacts = m.optional_bool("artefacts").value_or(o.artefacts);
    if (const auto* u = m.find("unit")) {
      const std::string unit = yamlmap::read_string(ctx_, u->value, m.child("unit"));
      if (unit == "e-/s")
        o.noise_options.unit = OutputUnit::ELECTRONS_PER_S;
      else if (unit == "ADU")
        o.noise_options.unit = OutputUnit::ADU;
      else if (unit == "flux")
        o.noise_options.unit = OutputUnit::ZERO_POINT_FLUX;
      else
        ctx_.fail(u->value, fmt::format("observation.unit: unknown unit '{}'; allowed: e-/s, ADU, flux", unit));
    }
    o.noise_options.flux_zero_point = m.optional_number("flux_zero_point").value_or(o.noise_options.flux_zero_point);
    o.noise_options.subtract_background =
        m.optional_bool("subtract_background").value_or(o.noise_options.subtract_background);
    o.noise_options.saturation = m.optional_bool("saturation").value_or(o.noise_options.saturation);
    if (auto e = o.validate(); !e.empty()) fail_at_named_key(m, e);
  }

  void read_cosmology(const YAML::Node& n) {
    const Map m(ctx_, n, "cosmology", "a map {H0: km/s/Mpc, Om0: matter density}");
    m.allow_only({"H0", "Om0"}, "cosmology parameter");
    const double H0 = m.optional_number("H0").value_or(70.0), Om0 = m.optional_number("Om0").value_or(0.3);
    try {
      cfg_.cosmology = FlatLambdaCDM(H0, Om0);
    } catch (const ConfigError& e) {
      fail_at_named_key(m, e.what());
    }
  }

  void read_catalogs(const YAML::Node& n) {
    const Map m(ctx_, n, "catalogs", "a map {name: path/to/catalog.csv}");
    for (const auto& e : m.entries()) {
      const std::string file = resolve(yamlmap::read_string(ctx_, e.value, m.child(e.key)));
      try {
        cfg_.catalogs.push_back(load_catalog_csv(file, e.key));
      } catch (const IoError& err) {
        throw IoError(fmt::format("{}:{}: {}: {}", ctx_.file(), Context::line(e.value), m.child(e.key), err.what()));
      } catch (const ConfigError& err) {
        ctx_.fail(e.value, fmt::format("{}: {}", m.child(e.key), err.what()));
      }
    }
  }

  void read_criterion(const YAML::Node& n) {
    const Map m(ctx_, n, "criterion", "a map of lens criterion settings");
    m.allow_only({"band", "k_sigma", "min_images", "min_lensed_pixels", "min_magnification", "min_arc_snr",
                  "min_region_pixels", "on_failure", "max_attempts"},
                 "criterion key");
    LensCriterion& c = cfg_.criterion;
    if (const auto* b = m.find("band")) {
      c.band = yamlmap::read_string(ctx_, b->value, m.child("band"));
      located(b->value, m.child("band"), [&] { return cfg_.band_index(c.band); });
    }
    c.k_sigma = m.optional_number("k_sigma").value_or(c.k_sigma);
    c.min_images = m.optional_integer("min_images").value_or(c.min_images);
    c.min_lensed_pixels = m.optional_integer("min_lensed_pixels").value_or(c.min_lensed_pixels);
    c.min_magnification = m.optional_number("min_magnification").value_or(c.min_magnification);
    c.min_arc_snr = m.optional_number("min_arc_snr").value_or(c.min_arc_snr);
    c.min_region_pixels = m.optional_integer("min_region_pixels").value_or(c.min_region_pixels);
    c.max_attempts = m.optional_integer("max_attempts").value_or(c.max_attempts);
    if (const auto* f = m.find("on_failure")) {
      const std::string v = yamlmap::read_string(ctx_, f->value, m.child("on_failure"));
      if (v == "redraw")
        c.on_failure = CriterionFailure::REDRAW;
      else if (v == "relabel")
        c.on_failure = CriterionFailure::RELABEL;
      else
        ctx_.fail(f->value, fmt::format("criterion.on_failure: '{}'; allowed: redraw, relabel", v));
    }
    if (auto e = c.validate(); !e.empty()) fail_at_named_key(m, e);
  }

  void read_store(const YAML::Node& n) {
    const Map m(ctx_, n, "store", "a map {noiseless, source, sigma, mask, kappa: true/false}");
    m.allow_only({"noiseless", "source", "sigma", "mask", "kappa"}, "plane");
    StoredPlanes& s = cfg_.store;
    s.noiseless = m.optional_bool("noiseless").value_or(s.noiseless);
    s.source = m.optional_bool("source").value_or(s.source);
    s.sigma = m.optional_bool("sigma").value_or(s.sigma);
    s.mask = m.optional_bool("mask").value_or(s.mask);
    s.kappa = m.optional_bool("kappa").value_or(s.kappa);
  }

  /// A validate() message "key = ...: ..." located at that key of `m` (or at the map).
  [[noreturn]] void fail_at_named_key(const Map& m, const std::string& msg) const {
    for (const auto& e : m.entries())
      if (msg.rfind(e.key + " ", 0) == 0 || msg.rfind(e.key + ":", 0) == 0 || msg.rfind(e.key + "[", 0) == 0)
        ctx_.fail(e.value, fmt::format("{}{}", m.path().empty() ? "" : m.path() + ".", msg));
    ctx_.fail(m.node(), fmt::format("{}: {}", m.path(), msg));
  }

  // ---- distributions --------------------------------------------------------------------------

  Distribution distribution(const YAML::Node& n, const std::string& path) const {
    if (n.IsScalar()) return FixedValue{yamlmap::read_number(ctx_, n, path)};
    const Map m(ctx_, n, path, "a number or a distribution {dist: uniform, min: ..., max: ...}");
    const auto& d = m.require("dist", "a distribution names its kind: dist: fixed | uniform | normal | "
                                      "truncated_normal | lognormal | power_law | choice | catalog");
    const std::string kind = yamlmap::read_string(ctx_, d.value, m.child("dist"));
    auto num = [&](const char* key) {
      return yamlmap::read_number(ctx_, m.require(key, fmt::format("{} needs it", kind)).value, m.child(key));
    };
    Distribution out;
    if (kind == "fixed") {
      m.allow_only({"dist", "value"}, "key of a fixed value");
      out = FixedValue{num("value")};
    } else if (kind == "uniform") {
      m.allow_only({"dist", "min", "max"}, "key of uniform");
      out = UniformDist{num("min"), num("max")};
    } else if (kind == "normal") {
      m.allow_only({"dist", "mean", "sigma"}, "key of normal");
      out = NormalDist{num("mean"), num("sigma")};
    } else if (kind == "truncated_normal") {
      m.allow_only({"dist", "mean", "sigma", "min", "max"}, "key of truncated_normal");
      out = TruncatedNormalDist{num("mean"), num("sigma"), num("min"), num("max")};
    } else if (kind == "lognormal") {
      m.allow_only({"dist", "median", "sigma_dex", "mu", "sigma"}, "key of lognormal");
      m.at_most_one({"median", "mu"}, "give median and sigma_dex (log10 scatter) or mu and sigma (natural log)");
      if (m.has("mu") || m.has("sigma")) {
        m.at_most_one({"sigma_dex", "sigma"}, "sigma_dex goes with median, sigma with mu");
        out = LogNormalDist{num("mu"), num("sigma")};
      } else {
        const double median = num("median");
        if (!(median > 0.0)) ctx_.fail(m.find("median")->value, fmt::format("{}.median = {}: must be > 0", path, median));
        out = LogNormalDist{std::log(median), num("sigma_dex") * std::numbers::ln10};
      }
    } else if (kind == "power_law") {
      m.allow_only({"dist", "slope", "min", "max"}, "key of power_law");
      out = PowerLawDist{num("slope"), num("min"), num("max")};
    } else if (kind == "choice") {
      m.allow_only({"dist", "values", "weights"}, "key of choice");
      ChoiceDist c;
      c.values = numbers(m.require("values", "choice needs its list of values").value, m.child("values"));
      if (const auto* w = m.find("weights")) c.weights = numbers(w->value, m.child("weights"));
      out = c;
    } else if (kind == "catalog") {
      m.allow_only({"dist", "catalog", "column"}, "key of a catalog column");
      const auto& ce = m.require("catalog", "name one of the config's catalogs");
      const std::string cat = yamlmap::read_string(ctx_, ce.value, m.child("catalog"));
      std::vector<std::string> names;
      for (const auto& c : cfg_.catalogs) names.push_back(c.name);
      const auto it = std::find(names.begin(), names.end(), cat);
      if (it == names.end())
        ctx_.fail(ce.value, fmt::format("{}: no catalog '{}'; catalogs: {}", m.child("catalog"), cat,
                                        names.empty() ? "none (declare them under catalogs:)" : fmt::format("{}", fmt::join(names, ", "))));
      const std::size_t ci = std::size_t(it - names.begin());
      const auto& co = m.require("column", "name a column of the catalog");
      const std::string col = yamlmap::read_string(ctx_, co.value, m.child("column"));
      const auto k = cfg_.catalogs[ci].column_index(col);
      if (!k)
        ctx_.fail(co.value, fmt::format("{}: catalog '{}' has no column '{}'; columns: {}", m.child("column"), cat, col,
                                        fmt::join(cfg_.catalogs[ci].columns, ", ")));
      out = CatalogColumnDist{ci, *k};
    } else {
      ctx_.fail(d.value, fmt::format("{}: unknown distribution '{}'; allowed: fixed, uniform, normal, "
                                     "truncated_normal, lognormal, power_law, choice, catalog",
                                     m.child("dist"), kind));
    }
    if (auto e = validate(out, cfg_.catalogs); !e.empty()) fail_at_named_key(m, e);
    return out;
  }

  std::vector<double> numbers(const YAML::Node& n, const std::string& path) const {
    if (!n.IsSequence()) ctx_.fail(n, fmt::format("{}: expected a list of numbers, found {}", path, yamlmap::describe(n)));
    std::vector<double> v;
    for (std::size_t k = 0; k < n.size(); ++k) v.push_back(yamlmap::read_number(ctx_, n[k], fmt::format("{}[{}]", path, k)));
    return v;
  }

  /// The distribution at `key`, whose every draw must lie in `dom`.
  Located param(const Map& m, const std::string& key, const Domain& dom) const {
    const auto& e = m.require(key, "required here");
    Located p{distribution(e.value, m.child(key)), e.value, m.child(key)};
    check_domain(p, dom);
    return p;
  }
  Distribution param_or(const Map& m, const std::string& key, const Domain& dom, double fallback) const {
    return m.has(key) ? param(m, key, dom).dist : Distribution{FixedValue{fallback}};
  }

  void check_domain(const Located& p, const Domain& dom) const {
    Support s = support(p.dist, cfg_.catalogs);
    if (dom.integer) s = {std::round(s.lo), std::round(s.hi)};
    if (!dom.contains(s))
      ctx_.fail(p.node, fmt::format("{}: {} gives values in {}; every draw must be {}{}", p.path,
                                    describe(p.dist, cfg_.catalogs), s.text(), dom.text,
                                    std::isfinite(s.lo) && std::isfinite(s.hi) ? ""
                                                                               : " (use a bounded distribution, e.g. "
                                                                                 "truncated_normal)"));
  }

  /// `front` < `back` for every draw: disjoint supports, or one catalog's columns ordered row by row.
  void check_order(const Located& front, const Located& back, const std::string& rule) const {
    const auto* a = std::get_if<CatalogColumnDist>(&front.dist);
    const auto* b = std::get_if<CatalogColumnDist>(&back.dist);
    if (a && b && a->catalog == b->catalog) {
      const Catalog& cat = cfg_.catalogs[a->catalog];
      for (std::size_t r = 0; r < cat.num_rows(); ++r)
        if (!(cat.values[a->column][r] < cat.values[b->column][r]))
          ctx_.fail(back.node, fmt::format("{}: row {} of catalog '{}' has {} = {} not above {} = {}; {}", back.path,
                                           r + 1, cat.name, cat.columns[b->column], cat.values[b->column][r],
                                           cat.columns[a->column], cat.values[a->column][r], rule));
      return;
    }
    const Support sf = support(front.dist, cfg_.catalogs), sb = support(back.dist, cfg_.catalogs);
    if (!(sf.hi < sb.lo || (sf.hi == sb.lo && (sf.hi_open || sb.lo_open))))
      ctx_.fail(back.node, fmt::format("{}: {} can be <= {} (line {}: {}); {}: make the ranges disjoint or draw both "
                                       "from one catalog row",
                                       back.path, describe(back.dist, cfg_.catalogs), front.path,
                                       Context::line(front.node), describe(front.dist, cfg_.catalogs), rule));
  }

  // ---- components -----------------------------------------------------------------------------

  EllipticitySpec ellipticity(const Map& m) const {
    EllipticitySpec e;
    const bool e1e2 = m.has("e1") || m.has("e2"), qphi = m.has("q") || m.has("phi");
    if (e1e2 && qphi) {
      const auto* second = m.has("q") ? m.find("q") : m.find("phi");
      ctx_.fail(second->key_node, fmt::format("{}: give the ellipticity as e1, e2 or as q, phi, not both",
                                              m.child(second->key)));
    }
    if (e1e2) {
      const Located e1 = param(m, "e1", kEllipticity), e2 = param(m, "e2", kEllipticity);
      const Support s1 = support(e1.dist, cfg_.catalogs), s2 = support(e2.dist, cfg_.catalogs);
      const double worst = std::hypot(std::max(std::abs(s1.lo), std::abs(s1.hi)), std::max(std::abs(s2.lo), std::abs(s2.hi)));
      if (!(worst < 1.0))
        ctx_.fail(e1.node, fmt::format("{}, e2: draws can reach |e| = hypot(e1, e2) = {}; every draw needs |e| < 1 "
                                       "(narrow the ranges, or give q and phi)",
                                       e1.path, worst));
      e = {EllipticitySpec::Form::E1E2, e1.dist, e2.dist};
    } else if (qphi) {
      e = {EllipticitySpec::Form::Q_PHI, param(m, "q", kAxisRatio).dist, param(m, "phi", kAny).dist};
    }
    return e;
  }

  PhotometrySpec photometry(const Map& m, bool lensed_allowed) const {
    PhotometrySpec p;
    const std::size_t nb = cfg_.bands.size();
    p.terms.assign(nb, FixedValue{0.0});
    p.relative.assign(nb, true);
    const std::string rule = "give magnitude (+ colours, reference_band) or magnitudes (one per band)";
    m.at_most_one({"magnitudes", "magnitude"}, rule);
    if (const auto* ms = m.find("magnitudes")) {
      for (const char* k : {"colours", "reference_band"})
        if (const auto* e = m.find(k)) ctx_.fail(e->key_node, fmt::format("{}: goes with magnitude, not magnitudes", m.child(k)));
      const Map per(ctx_, ms->value, m.child("magnitudes"), "a map {band: magnitude}");
      std::vector<bool> seen(nb, false);
      for (const auto& e : per.entries()) {
        const std::size_t b = located(e.key_node, per.child(e.key), [&] { return cfg_.band_index(e.key); });
        p.terms[b] = distribution(e.value, per.child(e.key));
        p.relative[b] = false;
        seen[b] = true;
      }
      for (std::size_t b = 0; b < nb; ++b)
        if (!seen[b])
          ctx_.fail(ms->value, fmt::format("{}.{}: missing; magnitudes needs every band of the config", per.path(),
                                           cfg_.bands[b].name));
    } else {
      const auto& mag = m.require("magnitude", rule);
      if (const auto* r = m.find("reference_band")) {
        const std::string name = yamlmap::read_string(ctx_, r->value, m.child("reference_band"));
        p.reference = located(r->value, m.child("reference_band"), [&] { return cfg_.band_index(name); });
      }
      p.terms[p.reference] = distribution(mag.value, m.child("magnitude"));
      p.relative[p.reference] = false;
      if (const auto* cs = m.find("colours")) {
        const Map col(ctx_, cs->value, m.child("colours"), "a map {band: m_band - m_reference}");
        for (const auto& e : col.entries()) {
          const std::size_t b = located(e.key_node, col.child(e.key), [&] { return cfg_.band_index(e.key); });
          if (b == p.reference)
            ctx_.fail(e.key_node, fmt::format("{}: the reference band has no colour", col.child(e.key)));
          p.terms[b] = distribution(e.value, col.child(e.key));
        }
      }
    }
    if (const auto* l = m.find("lensed_magnitude")) {
      if (!lensed_allowed)
        ctx_.fail(l->key_node, fmt::format("{}: only lensed sources have lensed magnitudes", m.child("lensed_magnitude")));
      p.lensed = yamlmap::read_bool(ctx_, l->value, m.child("lensed_magnitude"));
    }
    return p;
  }

  static std::vector<std::string> photometry_keys(bool lensed) {
    std::vector<std::string> k = {"magnitude", "colours", "reference_band", "magnitudes"};
    if (lensed) k.push_back("lensed_magnitude");
    return k;
  }

  GalaxySpec galaxy(const Map& m, const GalaxyKeys& keys, std::optional<Located>* z_out = nullptr) const {
    std::vector<std::string> allowed = {"R_sersic", "n_sersic", "e1", "e2", "q", "phi"};
    const auto pk = photometry_keys(keys.lensed);
    allowed.insert(allowed.end(), pk.begin(), pk.end());
    if (keys.z != Need::NO) allowed.push_back("z");
    if (keys.center) allowed.insert(allowed.end(), {"center_x", "center_y"});
    if (keys.knots) allowed.push_back("knots");
    if (keys.arms) allowed.push_back("arms");
    allowed.push_back("real_galaxy");
    allowed.insert(allowed.end(), keys.extra.begin(), keys.extra.end());
    m.allow_only(allowed, "key of " + m.path());

    GalaxySpec g;
    if (keys.z == Need::REQUIRED || (keys.z == Need::OPTIONAL && m.has("z"))) {
      Located z = param(m, "z", kRedshift);
      g.z = z.dist;
      if (z_out) *z_out = z;
    }
    const bool real = m.has("real_galaxy");  // a stamp: R_sersic and n_sersic not needed
    g.R_sersic = real ? param_or(m, "R_sersic", kPositive, 0.5) : param(m, "R_sersic", kPositive).dist;
    g.n_sersic = real ? param_or(m, "n_sersic", kSersicIndex, 1.0) : param(m, "n_sersic", kSersicIndex).dist;
    g.ellipticity = ellipticity(m);
    if (keys.center) {
      g.center_x = param_or(m, "center_x", kAny, 0.0);
      g.center_y = param_or(m, "center_y", kAny, 0.0);
    }
    g.photometry = photometry(m, keys.lensed);
    if (const auto* k = m.find("knots")) {
      const Map km(ctx_, k->value, m.child("knots"), "a map {count, sigma, flux_fraction, radius}");
      km.allow_only({"count", "sigma", "flux_fraction", "radius"}, "knot parameter");
      g.knots = KnotsSpec{param(km, "count", kKnotCount).dist, param(km, "sigma", kPositive).dist,
                          param(km, "flux_fraction", kFraction).dist, param(km, "radius", kNonNegative).dist};
    }
    if (const auto* r = m.find("real_galaxy")) g.real_galaxy = real_galaxy(m, r->value);
    if (const auto* a = m.find("arms")) {
      const Map am(ctx_, a->value, m.child("arms"), "a map {n_arms, amplitude, pitch_angle, r_arm}");
      am.allow_only({"n_arms", "amplitude", "pitch_angle", "r_arm"}, "arm parameter");
      g.arms = ArmsSpec{param(am, "n_arms", kArmCount).dist, param(am, "amplitude", kUnitInterval).dist,
                        param(am, "pitch_angle", kPitch).dist, param(am, "r_arm", kPositive).dist};
    }
    return g;
  }

  /// real_galaxy: {catalog: stamps.csv, clean_threshold, pixel_scale, magnitude: [lo, hi],
  /// size: [lo, hi], redshift: [lo, hi]} (ranges query the stamp catalog).
  RealGalaxySpec real_galaxy(const Map& parent, const YAML::Node& n) const {
    const Map m(ctx_, n, parent.child("real_galaxy"),
                "a map {catalog, clean_threshold, pixel_scale, magnitude: [lo, hi], size: [lo, hi], redshift: [lo, hi]}");
    m.allow_only({"catalog", "clean_threshold", "pixel_scale", "magnitude", "size", "redshift"}, "real_galaxy key");
    const auto& ce = m.require("catalog", "the stamp catalog (CSV, catalogs/README.md)");
    const std::string file = resolve(yamlmap::read_string(ctx_, ce.value, m.child("catalog")));
    double threshold = 0.0;
    if (const auto* e = m.find("clean_threshold")) {
      threshold = yamlmap::read_number(ctx_, e->value, m.child("clean_threshold"));
      if (!(threshold >= 0.0)) ctx_.fail(e->value, fmt::format("{}: must be >= 0 (noise sigmas)", m.child("clean_threshold")));
    }
    RealGalaxySpec r;
    try {
      r.library = std::make_shared<const StampLibrary>(load_stamp_library(file, StampCleaning{threshold}));
    } catch (const Error& err) {
      ctx_.fail(ce.value, fmt::format("{}: {}", m.child("catalog"), err.what()));
    }
    for (const StampEntry& e : r.library->entries)
      if (e.name.size() > kMaxNameLength)
        ctx_.fail(ce.value, fmt::format("{}: {}:{}: stamp name '{}' has {} characters; at most {} (it becomes a label)",
                                        m.child("catalog"), file, e.line, e.name, e.name.size(), kMaxNameLength));
    if (const auto* e = m.find("pixel_scale")) {
      r.pixel_scale = yamlmap::read_number(ctx_, e->value, m.child("pixel_scale"));
      if (!(r.pixel_scale > 0.0)) ctx_.fail(e->value, fmt::format("{}: must be > 0 (arcsec)", m.child("pixel_scale")));
    }
    StampQuery q;
    auto range = [&](const char* key, std::optional<double>& lo, std::optional<double>& hi) {
      const auto* e = m.find(key);
      if (!e) return;
      if (!e->value.IsSequence() || e->value.size() != 2)
        ctx_.fail(e->value, fmt::format("{}: expected a range [lo, hi]", m.child(key)));
      lo = yamlmap::read_number(ctx_, e->value[0], m.child(key) + "[0]");
      hi = yamlmap::read_number(ctx_, e->value[1], m.child(key) + "[1]");
    };
    range("magnitude", q.magnitude_min, q.magnitude_max);
    range("size", q.size_min, q.size_max);
    range("redshift", q.redshift_min, q.redshift_max);
    r.rows = select_stamps(*r.library, q);
    if (r.rows.empty())
      ctx_.fail(n, fmt::format("{}: no row of {} passes the query (magnitude, size, redshift ranges)", m.path(), file));
    return r;
  }

  Map sub(const Map& parent, const std::string& key, const std::string& expected) const {
    return Map(ctx_, parent.require(key, "required for this class").value, parent.child(key), expected);
  }

  DeflectorSpec deflector(const Map& m, Located& z) const {
    m.allow_only({"z", "mass", "shear", "light"}, "deflector key");
    DeflectorSpec d;
    z = param(m, "z", kRedshift);
    d.z = z.dist;

    const Map mass = sub(m, "mass", "a map {profile, theta_E or sigma_v, ...}");
    mass.allow_only({"profile", "theta_E", "sigma_v", "gamma", "e1", "e2", "q", "phi", "center_x", "center_y", "nfw"},
                    "mass parameter");
    const auto& pe = mass.require("profile", "SIE or EPL");
    const std::string profile = yamlmap::read_string(ctx_, pe.value, mass.child("profile"));
    if (profile == "SIE")
      d.mass.profile = MassSpec::Profile::SIE;
    else if (profile == "EPL")
      d.mass.profile = MassSpec::Profile::EPL;
    else
      ctx_.fail(pe.value, fmt::format("{}: unknown profile '{}'; allowed: SIE, EPL", mass.child("profile"), profile));
    mass.at_most_one({"theta_E", "sigma_v"}, "give theta_E (arcsec) or sigma_v (km/s; theta_E from the cosmology)");
    if (mass.has("sigma_v"))
      d.mass.sigma_v = param(mass, "sigma_v", kPositive).dist;
    else
      d.mass.theta_E = param(mass, "theta_E", kPositive).dist;
    if (d.mass.profile == MassSpec::Profile::EPL)
      d.mass.gamma = param(mass, "gamma", kSlope).dist;
    else if (const auto* g = mass.find("gamma"))
      ctx_.fail(g->key_node, fmt::format("{}: only the EPL profile has a slope gamma", mass.child("gamma")));
    d.mass.ellipticity = ellipticity(mass);
    d.mass.center_x = param_or(mass, "center_x", kAny, 0.0);
    d.mass.center_y = param_or(mass, "center_y", kAny, 0.0);
    if (mass.has("nfw")) {
      const Map nfw = sub(mass, "nfw", "a map {Rs, alpha_Rs}");
      nfw.allow_only({"Rs", "alpha_Rs"}, "NFW parameter");
      d.mass.nfw = MassSpec::Nfw{param(nfw, "Rs", kPositive).dist, param(nfw, "alpha_Rs", kNonNegative).dist};
    }
    if (m.has("shear")) d.shear = shear(sub(m, "shear", "a map {gamma1, gamma2}"));
    d.light = galaxy(sub(m, "light", "a map {R_sersic, n_sersic, magnitude, ...}"), GalaxyKeys{});
    return d;
  }

  ShearSpec shear(const Map& sh) const {
    sh.allow_only({"gamma1", "gamma2"}, "shear parameter");
    const Located g1 = param(sh, "gamma1", kEllipticity), g2 = param(sh, "gamma2", kEllipticity);
    const Support s1 = support(g1.dist, cfg_.catalogs), s2 = support(g2.dist, cfg_.catalogs);
    const double worst = std::hypot(std::max(std::abs(s1.lo), std::abs(s1.hi)), std::max(std::abs(s2.lo), std::abs(s2.hi)));
    if (!(worst < 1.0))
      ctx_.fail(g1.node, fmt::format("{}, gamma2: draws can reach |gamma| = {}; every draw needs |gamma| < 1", g1.path, worst));
    return ShearSpec{g1.dist, g2.dist};
  }

  SourceSpec source(const Map& m, Located& z) const {
    std::optional<Located> zl;
    SourceSpec s;
    s.galaxy = galaxy(m, GalaxyKeys{Need::REQUIRED, false, true, false, true, {"beta"}}, &zl);
    z = *zl;
    s.beta = param(m, "beta", kNonNegative).dist;
    return s;
  }

  void read_classes(const YAML::Node& n) {
    const Map m(ctx_, n, "classes", "a map {class name: {fraction, ...}}");
    std::vector<std::string> names;
    for (SampleClass c : all_classes()) names.emplace_back(class_name(c));
    if (m.entries().empty()) ctx_.fail(n, fmt::format("classes: empty; allowed classes: {}", fmt::join(names, ", ")));
    double total = 0.0;
    for (const auto& e : m.entries()) {
      const auto it = std::find(names.begin(), names.end(), e.key);
      if (it == names.end())
        ctx_.fail(e.key_node, fmt::format("{}: unknown class; allowed: {}", m.child(e.key), fmt::join(names, ", ")));
      cfg_.classes.push_back(read_class(all_classes()[std::size_t(it - names.begin())], e.value, m.child(e.key)));
      total += cfg_.classes.back().fraction;
    }
    // Compound lenses measure each source on its own (population/sampler.hpp).
    for (const auto& c : cfg_.classes)
      if (c.second_source) cfg_.observation.source_images = true;
    if (std::abs(total - 1.0) > 1e-9) {
      std::vector<std::string> parts;
      for (const auto& c : cfg_.classes) parts.push_back(fmt::format("{} {}", class_name(c.kind), c.fraction));
      ctx_.fail(n, fmt::format("classes: the fractions sum to {:.10g}, not 1 ({})", total, fmt::join(parts, ", ")));
    }
  }

  ClassSpec read_class(SampleClass kind, const YAML::Node& n, const std::string& path) const {
    const Map m(ctx_, n, path, "a map {fraction, components}");
    ClassSpec c;
    c.kind = kind;
    std::vector<std::string> allowed = {"fraction"};
    const bool hybrid = kind == SampleClass::HYBRID_LENS || kind == SampleClass::HYBRID_NONLENS ||
                        kind == SampleClass::REAL_CONTAMINANT;
    const bool lens = is_lens_class(kind) && !hybrid;
    if (hybrid) allowed.push_back("cutout");
    if (kind == SampleClass::HYBRID_LENS) allowed.insert(allowed.end(), {"mass", "shear", "source"});
    const bool compound = kind == SampleClass::COMPOUND_ARC || kind == SampleClass::DOUBLE_RING;
    if (lens) allowed.insert(allowed.end(), {"deflector", "source", "companion", "field"});
    if (compound) allowed.insert(allowed.end(), {"source_mass", "second_source"});
    if (kind == SampleClass::NONLENS_BACKGROUND) allowed.push_back("field");
    if (!lens && !hybrid && kind != SampleClass::NONLENS_BACKGROUND) allowed.insert(allowed.end(), {"galaxy", "bulge", "companion", "field"});
    if (kind == SampleClass::RING_GALAXY) allowed.push_back("ring");
    m.allow_only(allowed, fmt::format("component of class {}", class_name(kind)));

    const auto& fe = m.require("fraction", "the share of the dataset in this class, [0, 1]");
    c.fraction = yamlmap::read_number(ctx_, fe.value, m.child("fraction"));
    if (!(c.fraction >= 0.0 && c.fraction <= 1.0))
      ctx_.fail(fe.value, fmt::format("{}.fraction = {}: must be in [0, 1]", path, c.fraction));
    if (hybrid) return hybrid_class(std::move(c), m);

    const char* rule = "every draw needs the source behind the lens plane in front of it";
    if (lens) {
      Located zl, zs;
      c.deflector = deflector(sub(m, "deflector", "a map {z, mass, shear, light}"), zl);
      c.source = source(sub(m, "source", "a map {z, beta, R_sersic, ...}"), zs);
      check_order(zl, zs, rule);
      if (compound) {
        const Map sm = sub(m, "source_mass", "a map {profile, theta_E_ratio}");
        sm.allow_only({"profile", "theta_E_ratio", "e1", "e2", "q", "phi"}, "source_mass parameter");
        SourceMassSpec s;
        const auto& pe = sm.require("profile", "SIS or SIE");
        const std::string profile = yamlmap::read_string(ctx_, pe.value, sm.child("profile"));
        if (profile == "SIS")
          s.profile = SourceMassSpec::Profile::SIS;
        else if (profile == "SIE")
          s.profile = SourceMassSpec::Profile::SIE;
        else
          ctx_.fail(pe.value, fmt::format("{}: unknown profile '{}'; allowed: SIS, SIE", sm.child("profile"), profile));
        s.theta_E_ratio = param(sm, "theta_E_ratio", kPositive).dist;
        if (s.profile == SourceMassSpec::Profile::SIS) {
          for (const char* k : {"e1", "e2", "q", "phi"})
            if (const auto* e = sm.find(k))
              ctx_.fail(e->key_node, fmt::format("{}: an SIS is round; use profile: SIE", sm.child(k)));
        } else {
          s.ellipticity = ellipticity(sm);
        }
        c.source_mass = s;
        Located z2;
        c.second_source = source(sub(m, "second_source", "a map {z, beta, R_sersic, ...}"), z2);
        check_order(zs, z2, "every draw needs the second source behind the first");
        if (kind == SampleClass::DOUBLE_RING)
          for (const char* key : {"source", "second_source"}) {
            const Map sm2(ctx_, m.find(key)->value, m.child(key), "a map");
            const Located beta{(key == std::string("source") ? c.source : c.second_source)->beta,
                               sm2.find("beta")->value, sm2.child("beta")};
            if (support(beta.dist, cfg_.catalogs).hi > kDoubleRingMaxBeta)
              ctx_.fail(beta.node, fmt::format("{}: {} reaches beta = {}; a double_ring needs both sources near the "
                                               "caustic centre, beta <= {}",
                                               beta.path, describe(beta.dist, cfg_.catalogs),
                                               support(beta.dist, cfg_.catalogs).hi, kDoubleRingMaxBeta));
          }
      }
    }
    if (m.has("galaxy") || (!lens && kind != SampleClass::NONLENS_BACKGROUND)) {
      const Map gm = sub(m, "galaxy", "a map {R_sersic, n_sersic, magnitude, ...}");
      c.galaxy = galaxy(gm, GalaxyKeys{Need::OPTIONAL, true, false, kind == SampleClass::SPIRAL, false, {}});
      if (kind == SampleClass::SPIRAL && !c.galaxy->arms)
        gm.require("arms", "a spiral's galaxy needs arms: {n_arms, amplitude, pitch_angle, r_arm}");
      if (kind == SampleClass::EDGE_ON) {
        const EllipticitySpec& e = c.galaxy->ellipticity;
        const auto* q = gm.find("q");
        if (e.form != EllipticitySpec::Form::Q_PHI)
          ctx_.fail(gm.node(), fmt::format("{}.q: missing; an edge_on galaxy gives its axis ratio q (<= {}) and angle phi",
                                           gm.path(), kEdgeOnMaxQ));
        if (support(e.a, cfg_.catalogs).hi > kEdgeOnMaxQ)
          ctx_.fail(q->value, fmt::format("{}.q: {} reaches q = {}; an edge_on disc needs q <= {}", gm.path(),
                                          describe(e.a, cfg_.catalogs), support(e.a, cfg_.catalogs).hi, kEdgeOnMaxQ));
      }
    }
    if (m.has("bulge")) c.bulge = galaxy(sub(m, "bulge", "a map {R_sersic, n_sersic, magnitude, ...}"), GalaxyKeys{});
    if (kind == SampleClass::RING_GALAXY) {
      const Map rm = sub(m, "ring", "a map {R_ring, sigma, magnitude, ...}");
      std::vector<std::string> keys = {"R_ring", "sigma", "e1", "e2", "q", "phi"};
      const auto pk = photometry_keys(false);
      keys.insert(keys.end(), pk.begin(), pk.end());
      rm.allow_only(keys, "ring parameter");
      c.ring = RingSpec{param(rm, "R_ring", kNonNegative).dist, param(rm, "sigma", kPositive).dist, ellipticity(rm),
                        photometry(rm, false)};
    }
    if (m.has("companion") || kind == SampleClass::MERGER || kind == SampleClass::COMPANION) {
      const Map cm = sub(m, "companion", "a map {separation, R_sersic, n_sersic, magnitude, ...}");
      CompanionSpec cs;
      cs.galaxy = galaxy(cm, GalaxyKeys{Need::OPTIONAL, false, false, false, false, {"separation"}});
      cs.separation = param(cm, "separation", kNonNegative).dist;
      c.companion = cs;
    }
    if (m.has("field") || kind == SampleClass::NONLENS_BACKGROUND) {
      const Map fm = sub(m, "field", "a map {count, half_width, R_sersic, n_sersic, magnitude, ...}");
      FieldSpec fs;
      fs.galaxy = galaxy(fm, GalaxyKeys{Need::OPTIONAL, false, false, false, false, {"count", "half_width"}});
      fs.count = param(fm, "count", kFieldCount).dist;
      fs.half_width = param(fm, "half_width", kPositive).dist;
      c.field = fs;
    }
    return c;
  }

  /// cutout: {catalog: cutouts.csv, split: train, dihedral: true}; hybrid_lens adds mass: {profile:
  /// SIE, e1/e2 or q/phi, center_x, center_y}, shear and source (theta_E from the cutout).
  ClassSpec hybrid_class(ClassSpec c, const Map& m) const {
    const Map cm = sub(m, "cutout", "a map {catalog, split, dihedral}");
    cm.allow_only({"catalog", "split", "dihedral"}, "cutout key");
    const auto& ce = cm.require("catalog", "a hybrid cutout catalog (CSV, catalogs/README.md)");
    const std::string file = resolve(yamlmap::read_string(ctx_, ce.value, cm.child("catalog")));
    auto& lib = cutout_libraries_[file];
    if (!lib)
      lib = std::make_shared<const CutoutLibrary>(
          located(ce.value, cm.child("catalog"), [&] { return load_cutout_library(file, cfg_.bands); }));
    CutoutSpec cs;
    cs.library = lib;
    const auto split = cm.optional_string("split");
    std::vector<std::string> splits;
    for (std::size_t k = 0; k < lib->sets.size(); ++k) {
      if (!split || lib->sets[k].split == *split) cs.sets.push_back(k);
      if (std::find(splits.begin(), splits.end(), lib->sets[k].split) == splits.end()) splits.push_back(lib->sets[k].split);
    }
    if (cs.sets.empty())
      ctx_.fail(cm.find("split")->value, fmt::format("{}: no cutout of {} has split '{}'; its splits: '{}'",
                                                     cm.child("split"), file, *split, fmt::join(splits, "', '")));
    cs.dihedral = cm.optional_bool("dihedral").value_or(true);
    if (cs.dihedral)
      for (const Band& b : cfg_.bands)
        if (b.nx != b.ny)
          ctx_.fail(cm.node(), fmt::format("{}.dihedral: band {} is {}x{}; rotations need square images (dihedral: "
                                           "false)", cm.path(), b.name, b.nx, b.ny));
    c.cutout = cs;
    if (c.kind != SampleClass::HYBRID_LENS) return c;

    MassSpec mass;
    if (m.has("mass")) {
      const Map mm = sub(m, "mass", "a map {profile: SIE, e1/e2 or q/phi, center_x, center_y}");
      mm.allow_only({"profile", "e1", "e2", "q", "phi", "center_x", "center_y"},
                    "hybrid mass parameter (theta_E comes from the cutout's z_lens and sigma_v)");
      if (const auto pe = mm.optional_string("profile"); pe && *pe != "SIE")
        ctx_.fail(mm.find("profile")->value, fmt::format("{}: '{}'; a hybrid lens is an SIE", mm.child("profile"), *pe));
      mass.ellipticity = ellipticity(mm);
      mass.center_x = param_or(mm, "center_x", kAny, 0.0);
      mass.center_y = param_or(mm, "center_y", kAny, 0.0);
    }
    c.hybrid_mass = mass;
    if (m.has("shear")) c.hybrid_shear = shear(sub(m, "shear", "a map {gamma1, gamma2}"));
    Located zs;
    c.source = source(sub(m, "source", "a map {z, beta, R_sersic, ...}"), zs);
    double z_lens = 0.0;
    std::string deepest;
    for (std::size_t k : cs.sets)
      if (lib->sets[k].bands.front().z_lens > z_lens) {
        z_lens = lib->sets[k].bands.front().z_lens;
        deepest = lib->sets[k].name;
      }
    if (!(support(zs.dist, cfg_.catalogs).lo > z_lens))
      ctx_.fail(zs.node, fmt::format("{}: {} can be <= z_lens = {} of cutout '{}'; every source must lie behind every "
                                     "cutout's lens",
                                     zs.path, describe(zs.dist, cfg_.catalogs), z_lens, deepest));
    return c;
  }

  const Context& ctx_;
  GeneratorConfig& cfg_;
  std::string base_dir_, configs_dir_;
  mutable std::map<std::string, std::shared_ptr<const CutoutLibrary>> cutout_libraries_;  // by catalog path
};

}  // namespace

GeneratorConfig parse_generator_config(const std::string& yaml_text, const std::string& source_name,
                                       const std::string& base_dir, const std::string& configs_dir,
                                       const std::vector<std::string>& overrides) {
  Context ctx(source_name);
  GeneratorConfig cfg;
  cfg.path = source_name;
  cfg.yaml_text = yaml_text;
  YAML::Node root = yamlmap::load_document(ctx, yaml_text);
  if (!overrides.empty()) {
    for (const auto& text : overrides) yamlmap::apply_override(ctx, root, yamlmap::parse_override(ctx, text));
    // The effective config is what the run stores (and what --resume and merge compare).
    YAML::Emitter emitted;
    emitted << root;
    cfg.yaml_text = fmt::format("# {} with {}\n{}\n", source_name, fmt::join(overrides, " "), emitted.c_str());
  }
  Parser(ctx, cfg, base_dir, configs_dir).parse(root);
  return cfg;
}

GeneratorConfig load_generator_config(const std::string& path, const std::string& configs_dir,
                                      const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw IoError(fmt::format("generator config '{}' is a folder", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open generator config '{}': {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read generator config '{}'", path));
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  const std::string configs = configs_dir.empty() ? dir.parent_path().string() : configs_dir;
  return parse_generator_config(text.str(), path, dir.string(), configs, overrides);
}

}  // namespace lensforge

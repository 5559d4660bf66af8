#include "lensforge/sim/population/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "lensforge/sim/mass/ellipticity.hpp"
#include "lensforge/sim/population/cutout_library.hpp"
#include "lensforge/sim/render/renderer.hpp"

namespace lensforge {
namespace {

// Sub-streams of an attempt's Rng.
constexpr std::uint64_t kSceneTag = 1, kCatalogTag = 2, kNoiseTag = 3;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kTwoPi = 2.0 * std::numbers::pi;

/// One sample's label values, set by column name; unset columns keep NaN / -1 / "".
class LabelRow {
 public:
  explicit LabelRow(const std::vector<LabelColumn>& columns) : columns_(columns) {
    values_.reserve(columns.size());
    for (std::size_t k = 0; k < columns.size(); ++k) {
      index_.emplace(columns[k].name, k);
      switch (columns[k].type) {
        case LabelType::FLOAT64: values_.emplace_back(kNaN); break;
        case LabelType::INT64: values_.emplace_back(std::int64_t{-1}); break;
        case LabelType::STRING: values_.emplace_back(std::string()); break;
      }
    }
  }
  void set(const std::string& name, double v) { at(name, LabelType::FLOAT64) = v; }
  void set_int(const std::string& name, std::int64_t v) { at(name, LabelType::INT64) = v; }
  void set_string(const std::string& name, std::string v) { at(name, LabelType::STRING) = std::move(v); }
  /// Per-band columns <prefix>_<band>.
  void set_bands(const std::vector<Band>& bands, const std::string& prefix, const std::vector<double>& mags) {
    for (std::size_t b = 0; b < bands.size(); ++b) set(prefix + "_" + bands[b].name, mags[b]);
  }
  std::vector<LabelValue> take() { return std::move(values_); }

 private:
  LabelValue& at(const std::string& name, LabelType type) {
    const auto it = index_.find(name);
    if (it == index_.end() || columns_[it->second].type != type)
      throw std::logic_error("make_sample: label column '" + name + "' is missing or of another type");
    return values_[it->second];
  }
  const std::vector<LabelColumn>& columns_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<LabelValue> values_;
};

/// The draws of one attempt: parameters in a fixed order from one stream, one row per catalog.
struct Draw {
  const GeneratorConfig& cfg;
  Rng rng;
  std::vector<std::size_t> rows;

  Draw(const GeneratorConfig& c, const Rng& attempt) : cfg(c), rng(attempt.split(kSceneTag)) {
    Rng catalog_rng = attempt.split(kCatalogTag);
    for (const Catalog& cat : c.catalogs) rows.push_back(catalog_rng.below(cat.num_rows()));
  }
  double operator()(const Distribution& d) { return sample(d, rng, cfg.catalogs, rows); }
  int count(const Distribution& d) { return static_cast<int>(std::lround((*this)(d))); }
  double angle() { return rng.uniform(0.0, kTwoPi); }
};

struct Ellipse {
  double e1 = 0.0, e2 = 0.0;
};

Ellipse draw_ellipse(const EllipticitySpec& spec, Draw& d) {
  Ellipse e;
  switch (spec.form) {
    case EllipticitySpec::Form::ROUND: break;
    case EllipticitySpec::Form::E1E2:
      e.e1 = d(spec.a);
      e.e2 = d(spec.b);
      break;
    case EllipticitySpec::Form::Q_PHI: {
      const double q = d(spec.a), phi = d(spec.b);
      e1e2_from_q_phi(q, phi, e.e1, e.e2);
      break;
    }
  }
  return e;
}

std::vector<double> draw_magnitudes(const PhotometrySpec& p, Draw& d) {
  std::vector<double> m(p.terms.size());
  const double ref = d(p.terms[p.reference]);
  for (std::size_t b = 0; b < m.size(); ++b) {
    if (b == p.reference)
      m[b] = ref;
    else
      m[b] = p.relative[b] ? ref + d(p.terms[b]) : d(p.terms[b]);
  }
  return m;
}

void set_magnitudes(LightComponent& c, const std::vector<Band>& bands, const std::vector<double>& mags) {
  c.magnitudes.clear();
  for (std::size_t b = 0; b < bands.size(); ++b) c.magnitudes[bands[b].name] = mags[b];
}

/// A drawn galaxy component and the values its labels need.
struct DrawnGalaxy {
  LightComponent light;
  double z = kNaN, R = kNaN, n = kNaN, e1 = kNaN, e2 = kNaN, cx = kNaN, cy = kNaN;
  std::vector<double> mags;  ///< per band, as drawn (lensed ones for a source with lensed magnitudes)
  int n_knots = 0;
  int n_arms = 0;
  std::string stamp;  ///< real-galaxy stamp name, "" for analytic light
  double arm_amplitude = kNaN, pitch_angle = kNaN;
};

/// Draws z (unless `z_given`), R_sersic, n_sersic, ellipticity, centre offset (from the anchor),
/// the profile's extras and the magnitudes, in that order. Total flux 1 before magnitudes apply.
DrawnGalaxy draw_galaxy(const GalaxySpec& g, Draw& d, double anchor_x, double anchor_y, double z_default,
                        std::optional<double> z_given = std::nullopt) {
  DrawnGalaxy out;
  out.z = z_given ? *z_given : g.z ? d(*g.z) : z_default;
  out.R = d(g.R_sersic);
  out.n = d(g.n_sersic);
  const Ellipse e = draw_ellipse(g.ellipticity, d);
  out.e1 = e.e1;
  out.e2 = e.e2;
  out.cx = anchor_x + d(g.center_x);
  out.cy = anchor_y + d(g.center_y);
  Sersic s{1.0, out.R, out.n, e.e1, e.e2, out.cx, out.cy};
  if (g.real_galaxy) {
    const RealGalaxySpec& r = *g.real_galaxy;
    const StampEntry& entry = r.library->entries[r.rows[d.rng.below(r.rows.size())]];
    out.stamp = entry.name;
    const double rotation = d.angle();
    const bool flip = d.rng.uniform() < 0.5;
    const InterpolatedImage im = stamp_profile(entry, 1.0, out.cx, out.cy, rotation, flip, r.pixel_scale);
    out.R = entry.size * im.pixel_scale / entry.pixel_scale;  // half-light radius on the source plane
    out.n = kNaN;
    out.e1 = out.e2 = kNaN;
    out.light.profile = im;
  } else if (g.arms) {
    Spiral sp{1.0, out.R, out.n, e.e1, e.e2, out.cx, out.cy};
    sp.n_arms = out.n_arms = d.count(g.arms->n_arms);
    sp.arm_amplitude = out.arm_amplitude = d(g.arms->amplitude);
    sp.pitch_angle = out.pitch_angle = d(g.arms->pitch_angle);
    sp.r_arm = d(g.arms->r_arm);
    sp.arm_phase = d.angle();
    out.light.profile = sp;
  } else if (g.knots) {
    out.n_knots = d.count(g.knots->count);
    const double sigma = d(g.knots->sigma), fraction = d(g.knots->flux_fraction), radius = d(g.knots->radius);
    if (out.n_knots == 0) {
      s.amp = sersic_amp_from_total_flux(s, 1.0);
      out.light.profile = s;
    } else {
      ClumpySersic c;
      c.host = s;
      c.host.amp = sersic_amp_from_total_flux(s, 1.0 - fraction);
      for (int k = 0; k < out.n_knots; ++k) {
        const double a = d.angle();
        c.knots.push_back({radius * out.R * std::cos(a), radius * out.R * std::sin(a), sigma, fraction / out.n_knots});
      }
      out.light.profile = c;
    }
  } else {
    s.amp = sersic_amp_from_total_flux(s, 1.0);
    out.light.profile = s;
  }
  out.light.z = std::isfinite(out.z) ? out.z : 0.0;  // unknown redshift: unlensed foreground light
  out.mags = draw_magnitudes(g.photometry, d);
  set_magnitudes(out.light, d.cfg.bands, out.mags);
  return out;
}

/// Reduced deflections are defined for z_source_convention: a deflection defined for z_from is
/// multiplied by [D(l, to)/D(to)] / [D(l, from)/D(from)] for z_to.
double deflection_ratio(const FlatLambdaCDM& c, double z_l, double z_from, double z_to) {
  return (c.angular_diameter_distance(z_l, z_to) / c.angular_diameter_distance(z_to)) /
         (c.angular_diameter_distance(z_l, z_from) / c.angular_diameter_distance(z_from));
}

/// A lensed source of the scene and what its labels need.
struct LensedSource {
  std::string prefix;  // "source1", "source2"
  DrawnGalaxy galaxy;
  bool lensed_magnitudes = false;
  double beta = kNaN;
  double magnification = kNaN;
};

struct DrawnScene {
  Scene scene;
  std::vector<LensedSource> sources;  // in Scene::sources order
  const CutoutSet* cutout = nullptr;  // hybrid classes: the real cutout
  int transform = 0;                  // its dihedral transform
};

/// A source placed at beta theta_E from the caustic centre (cx, cy) in a uniform direction.
LensedSource place_source(const SourceSpec& s, const std::string& prefix, double z, double cx, double cy,
                          double theta_E, Draw& d) {
  LensedSource src;
  src.prefix = prefix;
  src.beta = d(s.beta);
  const double a = d.angle();
  src.galaxy = draw_galaxy(s.galaxy, d, cx + src.beta * theta_E * std::cos(a), cy + src.beta * theta_E * std::sin(a),
                           z, z);
  src.lensed_magnitudes = s.galaxy.photometry.lensed;
  return src;
}

void label_mass(LabelRow& row, double z, double theta_E, double sigma_v, double gamma, double e1, double e2,
                double cx, double cy, double g1, double g2) {
  row.set("lens_z", z);
  row.set("lens_theta_E", theta_E);
  row.set("lens_sigma_v", sigma_v);
  row.set("lens_gamma", gamma);
  row.set("lens_e1", e1);
  row.set("lens_e2", e2);
  row.set("lens_center_x", cx);
  row.set("lens_center_y", cy);
  row.set("lens_gamma1", g1);
  row.set("lens_gamma2", g2);
}

/// Hybrid classes: the cutout (and its transform); hybrid_lens adds an SIE (+ shear) with the
/// cutout's theta_E for the drawn source redshift, and the source.
DrawnScene draw_hybrid(const GeneratorConfig& cfg, const ClassSpec& cls, Draw& d, LabelRow& row) {
  DrawnScene out;
  out.scene.cosmology = cfg.cosmology;
  const CutoutSpec& cs = *cls.cutout;
  out.cutout = &cs.library->sets[cs.sets[d.rng.below(cs.sets.size())]];
  out.transform = cs.dihedral ? int(d.rng.below(8)) : 0;
  row.set_string("cutout_name", out.cutout->name);
  row.set_int("cutout_transform", out.transform);
  if (cls.kind != SampleClass::HYBRID_LENS) return out;

  const HybridCutout& ref = out.cutout->bands.front();
  const MassSpec& M = *cls.hybrid_mass;
  const double z_s = d(*cls.source->galaxy.z);
  const double theta_E = hybrid_theta_E(ref, cfg.cosmology, z_s);
  const double cx = d(M.center_x), cy = d(M.center_y);
  const Ellipse e = draw_ellipse(M.ellipticity, d);
  double g1 = 0.0, g2 = 0.0;
  if (cls.hybrid_shear) {
    g1 = d(cls.hybrid_shear->gamma1);
    g2 = d(cls.hybrid_shear->gamma2);
  }
  out.scene.z_source_convention = z_s;
  LensPlane plane{ref.z_lens, {Sie{theta_E, e.e1, e.e2, cx, cy}}};
  if (cls.hybrid_shear) plane.profiles.push_back(Shear{g1, g2, cx, cy});
  out.scene.lens_planes.push_back(plane);
  label_mass(row, ref.z_lens, theta_E, hybrid_sigma_v(ref, cfg.cosmology), 2.0, e.e1, e.e2, cx, cy, g1, g2);
  out.sources.push_back(place_source(*cls.source, "source1", z_s, cx, cy, theta_E, d));
  out.scene.sources.push_back(out.sources.back().galaxy.light);
  return out;
}

void label_galaxy(LabelRow& row, const std::vector<Band>& bands, const DrawnGalaxy& g) {
  row.set("galaxy_z", g.z);
  row.set("galaxy_R_sersic", g.R);
  row.set("galaxy_n_sersic", g.n);
  row.set("galaxy_e1", g.e1);
  row.set("galaxy_e2", g.e2);
  row.set("galaxy_center_x", g.cx);
  row.set("galaxy_center_y", g.cy);
  row.set_bands(bands, "galaxy_mag", g.mags);
}

DrawnScene draw_scene(const GeneratorConfig& cfg, const ClassSpec& cls, Draw& d, LabelRow& row) {
  if (cls.cutout) return draw_hybrid(cfg, cls, d, row);
  DrawnScene out;
  Scene& scene = out.scene;
  scene.cosmology = cfg.cosmology;
  const auto& bands = cfg.bands;
  double main_x = 0.0, main_y = 0.0, main_z = kNaN;

  if (cls.deflector) {
    const DeflectorSpec& D = *cls.deflector;
    const MassSpec& M = D.mass;
    const bool compound = cls.second_source.has_value();
    const double z_l = d(D.z);
    const double z_s1 = d(*cls.source->galaxy.z);
    const double z_s2 = compound ? d(*cls.second_source->galaxy.z) : kNaN;
    const double cx = d(M.center_x), cy = d(M.center_y);
    double sigma_v = kNaN, theta_E = kNaN;
    if (M.sigma_v) {
      sigma_v = d(*M.sigma_v);
      theta_E = cfg.cosmology.sis_theta_E(sigma_v, z_l, z_s1);
    } else {
      theta_E = d(*M.theta_E);
    }
    const double gamma = M.profile == MassSpec::Profile::EPL ? d(M.gamma) : 2.0;
    const Ellipse e = draw_ellipse(M.ellipticity, d);
    double Rs = kNaN, alpha_Rs = kNaN, g1 = 0.0, g2 = 0.0;
    if (M.nfw) {
      Rs = d(M.nfw->Rs);
      alpha_Rs = d(M.nfw->alpha_Rs);
    }
    if (D.shear) {
      g1 = d(D.shear->gamma1);
      g2 = d(D.shear->gamma2);
    }
    // Deflections for source 1 scaled to the convention redshift (the last source).
    scene.z_source_convention = compound ? z_s2 : z_s1;
    const double f = compound ? deflection_ratio(cfg.cosmology, z_l, z_s1, z_s2) : 1.0;
    LensPlane plane{z_l, {}};
    if (M.profile == MassSpec::Profile::SIE)
      plane.profiles.push_back(Sie{theta_E * f, e.e1, e.e2, cx, cy});
    else  // EPL: alpha ~ theta_E^(gamma - 1)
      plane.profiles.push_back(Epl{theta_E * std::pow(f, 1.0 / (gamma - 1.0)), gamma, e.e1, e.e2, cx, cy});
    if (M.nfw) plane.profiles.push_back(Nfw{Rs, alpha_Rs * f, cx, cy});
    if (D.shear) plane.profiles.push_back(Shear{g1 * f, g2 * f, cx, cy});
    scene.lens_planes.push_back(plane);

    label_mass(row, z_l, theta_E, sigma_v, gamma, e.e1, e.e2, cx, cy, g1, g2);
    row.set("lens_nfw_Rs", Rs);
    row.set("lens_nfw_alpha_Rs", alpha_Rs);

    const DrawnGalaxy light = draw_galaxy(D.light, d, cx, cy, z_l);
    scene.lens_light.push_back(light.light);
    label_galaxy(row, bands, light);
    main_x = cx, main_y = cy, main_z = z_l;

    out.sources.push_back(place_source(*cls.source, "source1", z_s1, cx, cy, theta_E, d));
    if (compound) {
      const SourceMassSpec& sm = *cls.source_mass;
      const double theta_E2 = d(sm.theta_E_ratio) * theta_E;  // for source 2 = the convention
      const double sx = out.sources[0].galaxy.cx, sy = out.sources[0].galaxy.cy;
      Ellipse e2;
      if (sm.profile == SourceMassSpec::Profile::SIE) {
        e2 = draw_ellipse(sm.ellipticity, d);
        scene.lens_planes.push_back(LensPlane{z_s1, {Sie{theta_E2, e2.e1, e2.e2, sx, sy}}});
      } else {
        scene.lens_planes.push_back(LensPlane{z_s1, {Sis{theta_E2, sx, sy}}});
      }
      row.set("lens2_z", z_s1);
      row.set("lens2_theta_E", theta_E2);
      row.set("lens2_e1", e2.e1);
      row.set("lens2_e2", e2.e2);
      row.set("lens2_center_x", sx);
      row.set("lens2_center_y", sy);
      out.sources.push_back(place_source(*cls.second_source, "source2", z_s2, cx, cy, theta_E, d));
    }
    for (const auto& s : out.sources) scene.sources.push_back(s.galaxy.light);
  }

  if (cls.galaxy) {
    const DrawnGalaxy g = draw_galaxy(*cls.galaxy, d, 0.0, 0.0, kNaN);
    scene.lens_light.push_back(g.light);
    label_galaxy(row, bands, g);
    main_x = g.cx, main_y = g.cy, main_z = g.z;
    if (cls.galaxy->arms) {
      row.set_int("spiral_n_arms", g.n_arms);
      row.set("spiral_arm_amplitude", g.arm_amplitude);
      row.set("spiral_pitch_angle", g.pitch_angle);
    }
  }
  if (cls.bulge) {
    const DrawnGalaxy b = draw_galaxy(*cls.bulge, d, main_x, main_y, main_z);
    scene.lens_light.push_back(b.light);
    row.set("bulge_R_sersic", b.R);
    row.set("bulge_n_sersic", b.n);
    row.set_bands(bands, "bulge_mag", b.mags);
  }
  if (cls.ring) {
    const RingSpec& rs = *cls.ring;
    Ring r{1.0, d(rs.R_ring), d(rs.sigma), 0.0, 0.0, main_x, main_y};
    const Ellipse e = draw_ellipse(rs.ellipticity, d);
    r.e1 = e.e1;
    r.e2 = e.e2;
    r.amp = 1.0 / total_flux(r);
    LightComponent c{r, std::isfinite(main_z) ? main_z : 0.0, {}};
    const std::vector<double> mags = draw_magnitudes(rs.photometry, d);
    set_magnitudes(c, bands, mags);
    scene.lens_light.push_back(c);
    row.set("ring_R_ring", r.R_ring);
    row.set("ring_sigma", r.sigma);
    row.set_bands(bands, "ring_mag", mags);
  }
  if (cls.companion) {
    const double sep = d(cls.companion->separation), a = d.angle();
    const DrawnGalaxy c =
        draw_galaxy(cls.companion->galaxy, d, main_x + sep * std::cos(a), main_y + sep * std::sin(a), main_z);
    scene.lens_light.push_back(c.light);
    row.set("companion_separation", sep);
    row.set("companion_R_sersic", c.R);
    row.set_bands(bands, "companion_mag", c.mags);
  }
  if (cls.field) {
    const int count = d.count(cls.field->count);
    const double hw = d(cls.field->half_width);
    for (int k = 0; k < count; ++k) {
      const double x = d.rng.uniform(-hw, hw), y = d.rng.uniform(-hw, hw);
      scene.lens_light.push_back(draw_galaxy(cls.field->galaxy, d, x, y, kNaN).light);
    }
    row.set_int("n_field_galaxies", count);
  }
  return out;
}

/// Each lensed source's effective magnification: its rendered flux in `band`'s cutout (lens planes
/// on, no PSF) over the total flux of its unlensed profile. A source whose images leave the cutout
/// counts only what the cutout holds.
void measure_magnifications(DrawnScene& s, const Band& band, int supersampling) {
  if (s.sources.empty()) return;
  RenderOptions ro;
  ro.grid = band.grid();
  ro.supersampling = supersampling;
  Scene lensed = s.scene;
  lensed.lens_light.clear();
  const RenderedImages a = render(lensed, ro);
  for (std::size_t k = 0; k < s.sources.size(); ++k) {
    const double with = a.sources[k].cast<double>().sum(), without = total_flux(lensed.sources[k].profile);
    s.sources[k].magnification = with > 0.0 ? with / without : kNaN;
  }
}

/// Expected 1-sigma noise (e-/s per pixel) of a noiseless image, as the noise model computes it.
ImageF expected_sigma(const ImageF& noiseless, const Band& band) {
  const double t = band.total_exposure_time(), bkg = band.background_rate();
  const double read = band.n_exposures * band.read_noise * band.read_noise;
  ImageF sigma(noiseless.rows(), noiseless.cols());
  for (Eigen::Index i = 0; i < noiseless.size(); ++i)
    sigma.data()[i] = float(std::sqrt(std::max(double(noiseless.data()[i]) + bkg, 0.0) * t + read) / t);
  return sigma;
}

ImageF convergence_map(const Scene& scene, const Band& band) {
  const PixelGrid g = band.grid();
  const std::size_t n = std::size_t(g.nx) * std::size_t(g.ny);
  std::vector<double> x(n), y(n), fxx(n, 0.0), fxy(n, 0.0), fyy(n, 0.0);
  for (int i = 0; i < g.ny; ++i)
    for (int j = 0; j < g.nx; ++j) {
      x[std::size_t(i) * g.nx + j] = g.x(j);
      y[std::size_t(i) * g.nx + j] = g.y(i);
    }
  for (const LensPlane& p : scene.lens_planes)
    for (const MassProfile& m : p.profiles) add_hessian(m, x.data(), y.data(), fxx.data(), fxy.data(), fyy.data(), n);
  ImageF kappa(g.ny, g.nx);
  for (std::size_t k = 0; k < n; ++k) kappa.data()[k] = float(0.5 * (fxx[k] + fyy[k]));
  return kappa;
}

}  // namespace

std::vector<int> class_counts_per_block(const GeneratorConfig& config) {
  const int B = config.class_block;
  std::vector<int> counts(config.classes.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  int used = 0;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    // Rounded to 1e-9 first, so that 0.29 * 100 = 28.999999999999996 counts as 29.
    const double quota = std::round(config.classes[c].fraction * B * 1e9) / 1e9;
    counts[c] = static_cast<int>(std::floor(quota));
    used += counts[c];
    remainders.emplace_back(quota - counts[c], c);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int k = 0; used < B; ++k, ++used) ++counts[remainders[std::size_t(k) % remainders.size()].second];
  return counts;
}

std::size_t class_index(const GeneratorConfig& config, std::uint64_t seed, std::uint64_t index) {
  const std::uint64_t B = std::uint64_t(config.class_block);
  const std::vector<int> counts = class_counts_per_block(config);
  std::vector<std::size_t> order;
  order.reserve(B);
  for (std::size_t c = 0; c < counts.size(); ++c) order.insert(order.end(), std::size_t(counts[c]), c);
  Rng rng = Rng(seed, index / B).split(kClassTag);
  for (std::uint64_t i = B - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);  // Fisher-Yates
  return order[index % B];
}

SceneObserver make_observer(const GeneratorConfig& config) { return SceneObserver(config.bands, config.observation); }

SampleResult make_sample(const GeneratorConfig& config, const SceneObserver& observer, std::uint64_t seed,
                         std::uint64_t index) {
  bool same_bands = observer.bands().size() == config.bands.size();
  for (std::size_t k = 0; same_bands && k < config.bands.size(); ++k)
    same_bands = observer.bands()[k].name == config.bands[k].name;
  if (!same_bands) throw std::invalid_argument("make_sample: the observer's bands are not the config's (use make_observer)");
  const std::vector<LabelColumn> columns = label_columns(config);
  SampleResult r;
  r.index = index;
  r.class_index = class_index(config, seed, index);
  const ClassSpec& cls = config.classes[r.class_index];
  r.kind = cls.kind;
  const bool lens = is_lens_class(cls.kind);
  const LensCriterion& crit = config.criterion;
  const std::size_t cb = config.criterion_band();
  const Band& cband = config.bands[cb];
  const Rng base(seed, index);

  for (int attempt = 0;; ++attempt) {
    const Rng arng = base.split(std::uint64_t(attempt));
    LabelRow row(columns);
    Draw draw(config, arng);
    DrawnScene drawn = draw_scene(config, cls, draw, row);

    measure_magnifications(drawn, cband, config.observation.supersampling);
    for (std::size_t k = 0; k < drawn.sources.size(); ++k) {
      LensedSource& s = drawn.sources[k];
      const double dm = std::isfinite(s.magnification) ? 2.5 * std::log10(s.magnification) : kNaN;
      std::vector<double> intrinsic = s.galaxy.mags, lensed = s.galaxy.mags;
      for (std::size_t b = 0; b < intrinsic.size(); ++b) {
        if (s.lensed_magnitudes)
          intrinsic[b] = std::isfinite(dm) ? lensed[b] + dm : lensed[b];  // no measurable mu: as given
        else
          lensed[b] = intrinsic[b] - dm;
      }
      set_magnitudes(drawn.scene.sources[k], config.bands, intrinsic);
      const std::string& p = s.prefix;
      row.set(p + "_z", s.galaxy.z);
      row.set(p + "_center_x", s.galaxy.cx);
      row.set(p + "_center_y", s.galaxy.cy);
      row.set(p + "_beta", s.beta);
      row.set(p + "_R_sersic", s.galaxy.R);
      row.set(p + "_n_sersic", s.galaxy.n);
      row.set(p + "_e1", s.galaxy.e1);
      row.set(p + "_e2", s.galaxy.e2);
      row.set_int(p + "_n_knots", s.galaxy.n_knots);
      row.set_string(p + "_stamp", s.galaxy.stamp);
      row.set_bands(config.bands, p + "_mag", intrinsic);
      row.set_bands(config.bands, p + "_lensed_mag", lensed);
      row.set(p + "_magnification", s.magnification);
    }

    // A redraw throws the attempt away, so a lens that fails the criterion is rejected as early as
    // its cheapest failing test allows; the bits of a kept attempt are the same (every band's noise
    // comes from its own split of noise_rng, so observing band cb first changes no draw).
    const bool may_redraw = lens && crit.on_failure == CriterionFailure::REDRAW && attempt + 1 < crit.max_attempts;
    if (may_redraw) {
      const double mu = drawn.sources.front().magnification;
      if (!(std::isfinite(mu) && mu >= crit.min_magnification)) continue;  // fails whatever the images show
    }
    const Rng noise_rng = arng.split(kNoiseTag);
    auto observe = [&](std::size_t k) {
      return drawn.cutout ? observe_cutout(*drawn.cutout, k, config.bands[k], drawn.transform, drawn.scene,
                                           config.observation, noise_rng)
                          : observer.observe_band(drawn.scene, k, noise_rng);
    };
    std::vector<BandObservation> bands(config.bands.size());
    if (lens) bands[cb] = observe(cb);  // the criterion band first

    bool passed = true;
    if (lens) {
      const BandObservation& bo = bands[cb];
      const bool noisy = bo.observed.sigma.size() > 0;
      const ImageF sigma = noisy ? bo.observed.sigma : expected_sigma(bo.noiseless, cband);
      const float scale = noisy ? float(bo.observed.scale) : 1.0f;
      const LensedSourceStats all =
          lensed_source_stats(bo.source * scale, sigma, crit.k_sigma, crit.min_region_pixels);
      row.set_int("n_images", all.n_images);
      row.set_int("lensed_pixels", all.lensed_pixels);
      row.set("arc_snr", all.arc_snr);
      if (drawn.sources.size() > 1 && bo.sources.size() != drawn.sources.size())
        throw std::invalid_argument(
            "make_sample: compound lenses need an observer that keeps source images (use make_observer)");
      for (std::size_t k = 0; k < drawn.sources.size(); ++k) {
        const LensedSourceStats st =
            drawn.sources.size() == 1
                ? all
                : lensed_source_stats(bo.sources[k] * scale, sigma, crit.k_sigma, crit.min_region_pixels);
        const std::string& p = drawn.sources[k].prefix;
        row.set_int(p + "_n_images", st.n_images);
        row.set_int(p + "_lensed_pixels", st.lensed_pixels);
        row.set(p + "_arc_snr", st.arc_snr);
      }
      const double mu = drawn.sources.front().magnification;
      passed = all.n_images >= crit.min_images && all.lensed_pixels >= crit.min_lensed_pixels &&
               std::isfinite(mu) && mu >= crit.min_magnification && all.arc_snr >= crit.min_arc_snr;
      if (!passed && may_redraw) continue;
      row.set_int("criterion_passed", passed ? 1 : 0);
    }
    for (std::size_t k = 0; k < bands.size(); ++k)
      if (!lens || k != cb) bands[k] = observe(k);

    r.label = lens && passed ? 1 : 0;
    r.attempts = attempt + 1;
    row.set_int("index", std::int64_t(index));
    row.set_int("class", r.label);
    row.set_string("subtype", class_name(cls.kind));
    row.set_int("attempts", r.attempts);
    if (config.store.kappa) r.kappa = convergence_map(drawn.scene, config.bands.front());
    r.scene = std::move(drawn.scene);
    r.bands = std::move(bands);
    r.labels = row.take();
    return r;
  }
}

}  // namespace lensforge

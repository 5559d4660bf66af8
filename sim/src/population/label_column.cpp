#include "lensforge/sim/population/label_column.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "lensforge/sim/population/generator_config.hpp"

namespace lensforge {

std::vector<LabelColumn> label_columns(const GeneratorConfig& config) {
  std::vector<LabelColumn> c;
  auto add = [&](std::string name, LabelType type, std::string unit, std::string description, int length = 24) {
    // Strings: subtype names (the longest, "nonlens_background", has 18 characters) or cutout and
    // stamp names (at most kMaxNameLength, checked when the catalogs are read).
    c.push_back({std::move(name), type, std::move(unit), std::move(description), type == LabelType::STRING ? length : 0});
  };
  auto dbl = [&](std::string name, std::string unit, std::string description) {
    add(std::move(name), LabelType::FLOAT64, std::move(unit), std::move(description));
  };
  auto i64 = [&](std::string name, std::string description) {
    add(std::move(name), LabelType::INT64, "", std::move(description));
  };
  auto per_band = [&](const std::string& prefix, const std::string& what) {
    for (const Band& b : config.bands)
      dbl(fmt::format("{}_{}", prefix, b.name), "mag", fmt::format("{}, AB, band {} {}", what, b.survey, b.name));
  };

  i64("index", "sample index in the run: the image is a function of (seed, index) only");
  i64("class", "1: lens-like positive (lens, compound_arc, double_ring passing the lens criterion); 0: negative");
  add("subtype", LabelType::STRING, "",
      "drawn class: lens, compound_arc, double_ring, nonlens_galaxy, nonlens_background, spiral, ring_galaxy, "
      "merger, companion, edge_on, hybrid_lens, hybrid_nonlens, real_contaminant");
  i64("attempts", "scene draws made: 1 + redraws after failing the lens criterion");
  i64("criterion_passed", "lens criterion: 1 passed, 0 failed (then class 0), -1 not evaluated (negatives)");

  dbl("lens_z", "", "redshift of the main deflector");
  dbl("lens_theta_E", "arcsec", "Einstein radius of the main deflector for source 1");
  dbl("lens_sigma_v", "km/s", "velocity dispersion theta_E was derived from (NaN when theta_E was drawn)");
  dbl("lens_gamma", "", "logarithmic density slope (EPL; 2 for the SIE)");
  dbl("lens_e1", "", "mass ellipticity e1 (lenstronomy convention)");
  dbl("lens_e2", "", "mass ellipticity e2");
  dbl("lens_center_x", "arcsec", "mass centre x (= caustic centre)");
  dbl("lens_center_y", "arcsec", "mass centre y");
  dbl("lens_gamma1", "", "external shear gamma1 for source 1 (centred on the deflector)");
  dbl("lens_gamma2", "", "external shear gamma2 for source 1");
  dbl("lens_nfw_Rs", "arcsec", "NFW halo scale radius");
  dbl("lens_nfw_alpha_Rs", "arcsec", "NFW deflection at Rs for source 1");
  dbl("lens2_z", "", "redshift of the second lens plane (source 1 of a compound lens)");
  dbl("lens2_theta_E", "arcsec", "Einstein radius of source 1 as a lens, for source 2");
  dbl("lens2_e1", "", "second-plane mass ellipticity e1 (0 for an SIS)");
  dbl("lens2_e2", "", "second-plane mass ellipticity e2");
  dbl("lens2_center_x", "arcsec", "second-plane mass centre x (source 1's centre)");
  dbl("lens2_center_y", "arcsec", "second-plane mass centre y");

  dbl("galaxy_z", "", "redshift of the central galaxy (the deflector for lenses)");
  dbl("galaxy_R_sersic", "arcsec", "central galaxy half-light radius (circularised)");
  dbl("galaxy_n_sersic", "", "central galaxy Sersic index");
  dbl("galaxy_e1", "", "central galaxy light ellipticity e1");
  dbl("galaxy_e2", "", "central galaxy light ellipticity e2");
  dbl("galaxy_center_x", "arcsec", "central galaxy centre x");
  dbl("galaxy_center_y", "arcsec", "central galaxy centre y");
  per_band("galaxy_mag", "central galaxy magnitude");

  for (const char* s : {"source1", "source2"}) {
    const std::string p = s;
    dbl(p + "_z", "", p + " redshift");
    dbl(p + "_center_x", "arcsec", p + " unlensed centre x");
    dbl(p + "_center_y", "arcsec", p + " unlensed centre y");
    dbl(p + "_beta", "", p + " offset from the caustic centre in units of lens_theta_E");
    dbl(p + "_R_sersic", "arcsec", p + " half-light radius (circularised)");
    dbl(p + "_n_sersic", "", p + " Sersic index");
    dbl(p + "_e1", "", p + " ellipticity e1");
    dbl(p + "_e2", "", p + " ellipticity e2");
    i64(p + "_n_knots", p + " number of star-forming knots");
    add(p + "_stamp", LabelType::STRING, "", p + " real-galaxy stamp name (stamp catalog row); empty for analytic light",
        int(kMaxNameLength));
    per_band(p + "_mag", p + " intrinsic (unlensed) magnitude");
    per_band(p + "_lensed_mag", p + " lensed magnitude: intrinsic - 2.5 log10(magnification)");
    dbl(p + "_magnification", "", p + " lensed flux in the criterion band's cutout (no PSF) / unlensed total flux");
    i64(p + "_n_images", p + " connected regions above k_sigma noise in the criterion band");
    i64(p + "_lensed_pixels", p + " pixels above k_sigma noise in the criterion band");
    dbl(p + "_arc_snr", "", p + " sqrt(sum (S/sigma)^2) over its lensed pixels");
  }
  i64("n_images", "lensed sources together: connected regions above k_sigma noise (criterion band)");
  i64("lensed_pixels", "lensed sources together: pixels where source > k_sigma sigma (criterion band)");
  dbl("arc_snr", "", "lensed sources together: sqrt(sum (S/sigma)^2) over the lensed pixels");

  dbl("bulge_R_sersic", "arcsec", "bulge half-light radius");
  dbl("bulge_n_sersic", "", "bulge Sersic index");
  per_band("bulge_mag", "bulge magnitude");
  i64("spiral_n_arms", "number of spiral arms");
  dbl("spiral_arm_amplitude", "", "spiral arm contrast");
  dbl("spiral_pitch_angle", "rad", "spiral arm pitch angle");
  dbl("ring_R_ring", "arcsec", "ring crest radius (circularised)");
  dbl("ring_sigma", "arcsec", "ring width");
  per_band("ring_mag", "ring magnitude");
  dbl("companion_separation", "arcsec", "companion distance from the central galaxy");
  dbl("companion_R_sersic", "arcsec", "companion half-light radius");
  per_band("companion_mag", "companion magnitude");
  i64("n_field_galaxies", "number of unrelated field galaxies");
  add("cutout_name", LabelType::STRING, "", "real cutout of a hybrid class (hybrid catalog name); empty otherwise",
      int(kMaxNameLength));
  i64("cutout_transform", "rotation/flip of the cutout (cutout_library.hpp dihedral t in [0, 8)); -1 otherwise");
  return c;
}

std::size_t label_index(const std::vector<LabelColumn>& columns, std::string_view name) {
  for (std::size_t k = 0; k < columns.size(); ++k)
    if (columns[k].name == name) return k;
  throw std::out_of_range(fmt::format("no label column '{}'", name));
}

}  // namespace lensforge

#pragma once
// Generator configs (configs/populations/*.yaml): which survey bands to observe, how, and what
// population of images to draw. Top-level keys:
//
//   survey:                          # required
//     preset: euclid                 #   a preset of <configs>/surveys/*.yaml, or
//     file: ../surveys/euclid.yaml   #   a survey file (relative to this config), with preset: if it has several
//     bands: [VIS, Y, J, H]          #   optional: default every band of the preset, in preset order
//     image_size: 64                 #   optional: nx = ny for every band, or {VIS: 100, Y: 34} per band
//   observation:                     # optional (population/sampler.hpp uses SceneObserver)
//     supersampling: 3               #   [1, 32]
//     supersampling_convolution: false
//     noise: true                    #   false: noiseless images only (no sigma map, no artefacts)
//     artefacts: true
//     unit: e-/s                     #   e-/s | ADU | flux (flux: 1 unit = AB flux_zero_point)
//     flux_zero_point: 22.5
//   cosmology: {H0: 70, Om0: 0.3}    # optional
//   catalogs: {lenses: ../../catalogs/example_lenses.csv}   # optional: name -> CSV (relative to this config)
//   class_block: 100                 # optional: the class fractions hold exactly in every block of this many images
//   criterion: {...}                 # optional: population/lens_criterion.hpp; keys band, k_sigma, min_images,
//                                    #   min_lensed_pixels, min_magnification, min_arc_snr, min_region_pixels,
//                                    #   on_failure (redraw | relabel), max_attempts
//   store: {noiseless: true, source: true, sigma: true, mask: true, kappa: false}   # optional planes to write
//   classes:                         # required: class name -> {fraction, components}; fractions sum to 1
//     lens: {fraction: 0.5, deflector: {...}, source: {...}}
//
// Class names and their components (population/population_spec.hpp; "?" = optional):
//   lens                 deflector, source, companion?, field?
//   compound_arc         deflector, source, source_mass, second_source, companion?, field?
//   double_ring          as compound_arc, with both sources' beta <= 0.25 (near the caustic centre)
//   nonlens_galaxy       galaxy, bulge?, companion?, field?
//   nonlens_background   field
//   spiral               galaxy (with arms), bulge?, companion?, field?
//   ring_galaxy          galaxy, ring, bulge?, companion?, field?
//   merger, companion    galaxy, companion, bulge?, field?
//   edge_on              galaxy (ellipticity as q, phi with q <= 0.4), bulge?, companion?, field?
//   hybrid_lens          cutout, mass?, shear?, source: a simulated source lensed by an SIE at the
//                        cutout centre, painted onto a real cutout (population/cutout_library.hpp)
//   hybrid_nonlens       cutout: a real lens-galaxy cutout as it is (negative)
//   real_contaminant     cutout: a real cutout of anything else as it is (negative)
// Components:
//   deflector:     z, mass, shear?, light
//   mass:          profile (SIE | EPL), theta_E or sigma_v, gamma (EPL), e1/e2 or q/phi, center_x?, center_y?,
//                  nfw? {Rs, alpha_Rs}
//   shear:         gamma1, gamma2
//   light, galaxy, bulge (a galaxy):
//                  R_sersic, n_sersic, e1/e2 or q/phi (absent: round), photometry, and where allowed z,
//                  center_x, center_y (galaxy: offset from the image centre), arms (galaxy of spiral),
//                  knots (sources)
//   photometry:    magnitude + colours? {band: m_band - m_reference} + reference_band? (default the
//                  first band), or magnitudes {band: m} for every band; sources may add
//                  lensed_magnitude: true (the magnitudes are the observed, lensed ones)
//   source, second_source: a galaxy with z and beta (offset from the deflector centre in units of
//                  its theta_E), knots? {count, sigma, flux_fraction, radius}
//   source_mass:   profile (SIS | SIE), theta_E_ratio, e1/e2 or q/phi (SIE)
//   arms:          n_arms, amplitude, pitch_angle, r_arm
//   ring:          R_ring, sigma, e1/e2 or q/phi, photometry
//   companion:     separation + a galaxy (no center)
//   field:         count, half_width + a galaxy (no center)
//   cutout:        catalog (hybrid catalog CSV, render/hybrid.hpp), split? (keep the rows whose split
//                  column has this value), dihedral? (default true: one of 8 rotations/flips)
//   mass (hybrid): profile? (SIE), e1/e2 or q/phi, center_x?, center_y?; theta_E is the cutout's SIS
//                  value for the drawn source redshift (z_lens, sigma_v of its catalog row)
// Every parameter is a distribution (population/distribution.hpp). Its support must lie in the
// parameter's range, and redshifts must be ordered for every draw (deflector < source <
// second_source: disjoint supports, or columns of one catalog whose every row is ordered).
//
// Errors: ConfigError "FILE:LINE: key.path: what was found; what is allowed" for syntax errors,
// unknown keys, wrong types, missing keys and impossible values; IoError for unreadable files.
#include <string>
#include <vector>

#include "lensforge/sim/cosmo/flat_lcdm.hpp"
#include "lensforge/sim/population/catalog.hpp"
#include "lensforge/sim/population/lens_criterion.hpp"
#include "lensforge/sim/population/population_spec.hpp"
#include "lensforge/sim/render/observation.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

/// Optional planes a dataset stores beside the noisy image of every band.
struct StoredPlanes {
  bool noiseless = true;  ///< noiseless image (lens light + sources), per band
  bool source = true;     ///< noiseless lensed-source image, per band
  bool sigma = true;      ///< expected 1-sigma noise, per band (only with noise)
  bool mask = true;       ///< artefact bit mask, per band (only with noise)
  bool kappa = false;     ///< convergence map on the first band's grid (SampleResult::kappa)
};

struct GeneratorConfig {
  std::string path;       ///< file it was read from (or the name given to parse_generator_config)
  std::string yaml_text;  ///< the full config text, for provenance
  std::string survey;     ///< survey preset name (or survey file) the bands come from
  std::vector<Band> bands;  ///< observed bands, in config order (image sizes overridden)
  ObservationOptions observation;
  FlatLambdaCDM cosmology;
  std::vector<Catalog> catalogs;
  std::vector<ClassSpec> classes;  ///< in config order, fractions summing to 1
  int class_block = 100;           ///< [1, 1e6]
  LensCriterion criterion;
  StoredPlanes store;

  /// Index in `bands` of the criterion band.
  std::size_t criterion_band() const;
  /// Index in `bands` of the band called `name`; throws ConfigError listing the bands otherwise.
  std::size_t band_index(const std::string& name) const;
};

/// Reads a generator config. `configs_dir` is where survey presets are looked up
/// (<configs_dir>/surveys/*.yaml); empty: the folder above the config's own folder
/// (configs/populations/x.yaml -> configs/). Relative paths in the file are relative to its folder.
/// `overrides` ("classes.lens.fraction=0.45", value parsed as YAML; an empty value removes the key)
/// are applied in order before parsing; errors about a value they set name the override, and
/// yaml_text is then the effective config (re-emitted, comments dropped) so the run stores it.
GeneratorConfig load_generator_config(const std::string& path, const std::string& configs_dir = "",
                                      const std::vector<std::string>& overrides = {});

/// Parses config text; `source_name` stands for the file in messages, `base_dir` resolves its
/// relative paths, `configs_dir` as for load_generator_config (required here when survey.preset is used).
GeneratorConfig parse_generator_config(const std::string& yaml_text, const std::string& source_name,
                                       const std::string& base_dir, const std::string& configs_dir,
                                       const std::vector<std::string>& overrides = {});

}  // namespace lensforge

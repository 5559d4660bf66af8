#pragma once
// What a population config says about one class of images: every parameter as a Distribution
// (population/distribution.hpp), grouped by the component it belongs to. The config syntax of each
// block is in population/generator_config.hpp; units and ranges are given here. Ranges are checked
// on the distributions' supports when the config is read, so that every draw is valid.
#include <optional>
#include <string>
#include <vector>

#include <memory>
#include "lensforge/sim/light/stamp_library.hpp"
#include "lensforge/sim/population/cutout_library.hpp"
#include "lensforge/sim/population/distribution.hpp"

namespace lensforge {

/// Shape of an ellipse: absent (round), lenstronomy's e1/e2, or axis ratio q and major-axis angle phi.
struct EllipticitySpec {
  enum class Form { ROUND, E1E2, Q_PHI };
  Form form = Form::ROUND;
  Distribution a = FixedValue{0.0};  ///< e1 (|e| < 1), or q (axis ratio, (0, 1])
  Distribution b = FixedValue{0.0};  ///< e2 (|e| < 1), or phi (radians, counter-clockwise from +x)
};

/// AB magnitudes in every observed band: a reference band's magnitude plus a colour per other band
/// (m_band - m_reference; a band without colour has colour 0), or a magnitude per band.
struct PhotometrySpec {
  std::size_t reference = 0;        ///< index of the reference band in the config's band list
  std::vector<Distribution> terms;  ///< per band: its magnitude, or its colour when `relative`
  std::vector<bool> relative;       ///< per band: terms[b] is a colour added to the reference magnitude
  /// The magnitudes are the lensed (observed) ones of a lensed source: its intrinsic magnitude is
  /// lensed + 2.5 log10(mu), mu measured by rendering (population/sampler.hpp).
  bool lensed = false;
};

/// Star-forming knots of a clumpy source (CLUMPY_SERSIC): `count` round Gaussians at radius
/// `radius` R_sersic from the centre in uniformly random directions, sharing `flux_fraction` of
/// the component's total flux equally.
struct KnotsSpec {
  Distribution count = FixedValue{0.0};          ///< number (rounded to an integer), [0, 20]
  Distribution sigma = FixedValue{0.05};         ///< arcsec, knot width, > 0
  Distribution flux_fraction = FixedValue{0.2};  ///< knots' share of the total flux, [0, 1)
  Distribution radius = FixedValue{1.0};         ///< distance from the centre in units of R_sersic, >= 0
};

/// Logarithmic spiral arms (light profile SPIRAL); the arm phase is uniform in [0, 2 pi).
struct ArmsSpec {
  Distribution n_arms = FixedValue{2.0};         ///< number of arms (rounded to an integer), [1, 8]
  Distribution amplitude = FixedValue{0.5};      ///< arm contrast, [0, 1]
  Distribution pitch_angle = FixedValue{0.3};    ///< radians, (0, pi/2)
  Distribution r_arm = FixedValue{0.5};          ///< arcsec, radius where the arms start, > 0
};

/// A real-galaxy light profile: a stamp drawn uniformly from the rows of a stamp library that pass
/// the query (light/stamp_library.hpp), uniformly rotated and flipped with probability 1/2. The
/// component's magnitudes scale it; its R_sersic, n_sersic and ellipticity are not used.
struct RealGalaxySpec {
  std::shared_ptr<const StampLibrary> library;
  std::vector<std::size_t> rows;  ///< indices of library->entries that pass the query, not empty
  double pixel_scale = 0.0;       ///< arcsec per stamp pixel on the source plane; <= 0: the stamp's own
};

/// A galaxy light component with a Sersic profile (optionally with knots or spiral arms).
struct GalaxySpec {
  std::optional<Distribution> z;               ///< redshift, >= 0 (labels; decides lensing of light behind a lens)
  Distribution R_sersic = FixedValue{0.5};     ///< arcsec, circularised half-light radius, > 0
  Distribution n_sersic = FixedValue{1.0};     ///< Sersic index, [0.2, 10]
  EllipticitySpec ellipticity;
  Distribution center_x = FixedValue{0.0};     ///< arcsec, offset from the component's anchor
  Distribution center_y = FixedValue{0.0};     ///< arcsec
  PhotometrySpec photometry;
  std::optional<KnotsSpec> knots;              ///< clumpy source (CLUMPY_SERSIC)
  std::optional<ArmsSpec> arms;                ///< spiral galaxy (SPIRAL)
  std::optional<RealGalaxySpec> real_galaxy;   ///< real-galaxy stamp (INTERPOL) instead of the Sersic
};

/// Main deflector mass: SIE or EPL (+ an optional NFW halo at the same centre).
struct MassSpec {
  enum class Profile { SIE, EPL };
  Profile profile = Profile::SIE;
  /// Einstein radius, arcsec, > 0, for the (first) source's redshift; or derived from sigma_v.
  std::optional<Distribution> theta_E;
  /// Velocity dispersion, km/s, > 0: theta_E = FlatLambdaCDM::sis_theta_E(sigma_v, z_lens, z_source).
  std::optional<Distribution> sigma_v;
  Distribution gamma = FixedValue{2.0};     ///< EPL slope, (1, 3); SIE: 2
  EllipticitySpec ellipticity;
  Distribution center_x = FixedValue{0.0};  ///< arcsec
  Distribution center_y = FixedValue{0.0};  ///< arcsec
  struct Nfw {
    Distribution Rs;        ///< arcsec, scale radius, > 0
    Distribution alpha_Rs;  ///< arcsec, deflection at Rs (for the first source), >= 0
  };
  std::optional<Nfw> nfw;
};

/// External shear (lenstronomy SHEAR, centred on the deflector), |gamma| < 1.
struct ShearSpec {
  Distribution gamma1 = FixedValue{0.0};
  Distribution gamma2 = FixedValue{0.0};
};

/// The main deflector: redshift, mass, shear and light (centred on the mass).
struct DeflectorSpec {
  Distribution z = FixedValue{0.5};  ///< redshift, > 0
  MassSpec mass;
  std::optional<ShearSpec> shear;
  GalaxySpec light;
};

/// A lensed source: a galaxy placed at beta theta_E from the deflector centre (uniform direction).
struct SourceSpec {
  GalaxySpec galaxy;                   ///< z required, > the redshift of every plane in front
  Distribution beta = FixedValue{0.0}; ///< offset from the caustic centre in units of the deflector's theta_E, >= 0
};

/// Mass of the first source of a compound lens (its own lens plane, centred on its light).
struct SourceMassSpec {
  enum class Profile { SIS, SIE };
  Profile profile = Profile::SIS;
  /// theta_E(source 1 as a lens, for source 2) / theta_E(main deflector, for source 1), > 0.
  /// The Jackpot (SDSS J0946+1006): ~0.16" / 1.43" = 0.11.
  Distribution theta_E_ratio = FixedValue{0.1};
  EllipticitySpec ellipticity;  ///< SIE only
};

/// A ring around a galaxy (light profile RING), centred on it, at its redshift.
struct RingSpec {
  Distribution R_ring = FixedValue{1.0};  ///< arcsec, crest radius, >= 0
  Distribution sigma = FixedValue{0.1};   ///< arcsec, ring width, > 0
  EllipticitySpec ellipticity;
  PhotometrySpec photometry;
};

/// A second galaxy at `separation` arcsec from the main one (uniform direction).
struct CompanionSpec {
  Distribution separation = FixedValue{1.0};  ///< arcsec, >= 0
  GalaxySpec galaxy;                          ///< center_x/center_y not used
};

/// Unrelated field galaxies placed uniformly in the square |x|, |y| <= half_width.
struct FieldSpec {
  Distribution count = FixedValue{0.0};       ///< number (rounded to an integer), [0, 50]
  Distribution half_width = FixedValue{5.0};  ///< arcsec, > 0
  GalaxySpec galaxy;                          ///< center_x/center_y not used
};

/// The kinds of image a dataset holds. Positives (label 1): LENS, COMPOUND_ARC, DOUBLE_RING.
enum class SampleClass {
  LENS,                ///< galaxy-galaxy lens: SIE (or EPL) + shear (+ NFW), one lensed source
  COMPOUND_ARC,        ///< two source planes: source 1 also lenses source 2
  DOUBLE_RING,         ///< compound lens with both sources near the caustic centre: two rings
  NONLENS_GALAXY,      ///< a lens-like galaxy with no lensed source
  NONLENS_BACKGROUND,  ///< unlensed field galaxies only
  SPIRAL,              ///< hard negative: spiral arms
  RING_GALAXY,         ///< hard negative: a ring around a galaxy
  MERGER,              ///< hard negative: a close pair of comparable galaxies
  COMPANION,           ///< hard negative: a galaxy with a small close companion
  EDGE_ON,             ///< hard negative: a thin edge-on disc
  HYBRID_LENS,         ///< a simulated lensed source painted onto a real cutout of a lens galaxy
  HYBRID_NONLENS,      ///< a real cutout of a lens galaxy as it is (no arc)
  REAL_CONTAMINANT,    ///< a real cutout of something else (spiral, star, ...) as it is
};

/// "lens", "compound_arc", ... (the config's class names and the `subtype` label).
const char* class_name(SampleClass c);
/// All classes in enum order.
const std::vector<SampleClass>& all_classes();
/// Whether the class is a lens-like positive (label 1 when it passes the lens criterion).
/// HYBRID_LENS counts as one.
bool is_lens_class(SampleClass c);

/// Real cutouts of a hybrid class (population/cutout_library.hpp): a cutout drawn uniformly from
/// `sets`, then (when `dihedral`) one of the 8 rotations/flips uniformly.
struct CutoutSpec {
  std::shared_ptr<const CutoutLibrary> library;
  std::vector<std::size_t> sets;  ///< indices of library->sets in the class (its split), not empty
  bool dihedral = true;
};

/// One class of a generator config and its population.
struct ClassSpec {
  SampleClass kind = SampleClass::LENS;
  double fraction = 0.0;  ///< share of the dataset, [0, 1]; the config's fractions sum to 1
  std::optional<DeflectorSpec> deflector;       ///< lens classes
  std::optional<SourceSpec> source;             ///< lens classes
  std::optional<SourceMassSpec> source_mass;    ///< compound classes
  std::optional<SourceSpec> second_source;      ///< compound classes
  std::optional<GalaxySpec> galaxy;             ///< negatives: the central galaxy (not nonlens_background)
  std::optional<GalaxySpec> bulge;              ///< optional bulge centred on `galaxy`
  std::optional<RingSpec> ring;                 ///< ring_galaxy
  std::optional<CompanionSpec> companion;       ///< merger, companion (optional for other classes)
  std::optional<FieldSpec> field;               ///< nonlens_background (optional for other classes)
  std::optional<CutoutSpec> cutout;             ///< hybrid classes
  /// hybrid_lens: SIE mass (ellipticity, centre) and shear; theta_E comes from the cutout.
  std::optional<MassSpec> hybrid_mass;
  std::optional<ShearSpec> hybrid_shear;
};

}  // namespace lensforge

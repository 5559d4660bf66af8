#pragma once
// Light profiles with lenstronomy's names and conventions. Surface brightness is flux per arcsec^2
// (e.g. electrons/s/arcsec^2 or any flux unit the caller chooses); positions in arcsec. A pixel
// value is the mean surface brightness over the pixel times pixel_scale^2 (see render/).
#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <Eigen/Core>

namespace lensforge {

/// Elliptical Sersic (lenstronomy "SERSIC_ELLIPSE"; "SERSIC" is the round case):
///   I(R) = amp exp(-b_n [(R/R_sersic)^(1/n) - 1]),  b_n = 1.9992 n - 0.3271,
///   R = sqrt(q x'^2 + y'^2/q), so R_sersic is the circularised half-light radius sqrt(a b).
struct Sersic {
  double amp = 1.0;       ///< flux/arcsec^2, surface brightness at R = R_sersic, >= 0
  double R_sersic = 1.0;  ///< arcsec, circularised half-light radius, > 0
  double n_sersic = 1.0;  ///< Sersic index, [0.2, 10]
  double e1 = 0.0;        ///< ellipticity component, |e| < 1
  double e2 = 0.0;        ///< ellipticity component, |e| < 1
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// Elliptical Gaussian (lenstronomy "GAUSSIAN_ELLIPSE"; "GAUSSIAN" is the round case):
///   I = amp / (2 pi sigma^2) exp(-R^2 / (2 sigma^2)), R as for the Sersic; amp is the total flux.
struct Gaussian {
  double amp = 1.0;       ///< flux, total, >= 0
  double sigma = 1.0;     ///< arcsec, > 0
  double e1 = 0.0;        ///< ellipticity component, |e| < 1
  double e2 = 0.0;        ///< ellipticity component, |e| < 1
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// A star-forming knot of a clumpy source: a round Gaussian placed relative to the host centre.
struct Knot {
  double dx = 0.0;     ///< arcsec, offset from the host centre along x
  double dy = 0.0;     ///< arcsec, offset along y
  double sigma = 0.05; ///< arcsec, > 0
  double flux = 0.0;   ///< flux, total, >= 0 (same unit as the host's total flux)
};

/// Clumpy source (lensforge "CLUMPY_SERSIC"): an elliptical Sersic host plus Gaussian knots.
struct ClumpySersic {
  Sersic host;
  std::vector<Knot> knots;
};

/// Spiral galaxy (lensforge "SPIRAL", a hard negative: arms mimic arcs): an elliptical Sersic disc
/// modulated by n_arms logarithmic spiral arms,
///   I = I_sersic(R) [1 + arm_amplitude T(R) cos(n_arms (theta - ln(R / r_arm) / tan(pitch_angle)) + arm_phase)],
///   T(R) = R^2 / (R^2 + r_arm^2),
/// with R the circularised radius and theta the polar angle (from the major axis, counter-clockwise)
/// in the round frame of the ellipse, where the disc is round: both as for the Sersic. An arm crest
/// is a logarithmic spiral R = r_arm exp(tan(pitch_angle) (theta - theta_0)). The taper T fades the
/// arms inside r_arm, where the spiral would wind ever tighter. The modulation averages to zero on
/// every circle of the round frame, so the total flux is exactly the Sersic disc's.
struct Spiral {
  double amp = 1.0;            ///< flux/arcsec^2, disc surface brightness at R = R_sersic, >= 0
  double R_sersic = 1.0;       ///< arcsec, circularised half-light radius of the disc, > 0
  double n_sersic = 1.0;       ///< Sersic index of the disc, [0.2, 10]
  double e1 = 0.0;             ///< ellipticity component, |e| < 1
  double e2 = 0.0;             ///< ellipticity component, |e| < 1
  double center_x = 0.0;       ///< arcsec
  double center_y = 0.0;       ///< arcsec
  int n_arms = 2;              ///< number of arms, [1, 8]
  double arm_amplitude = 0.5;  ///< relative arm contrast, [0, 1] (1: inter-arm light vanishes)
  double pitch_angle = 0.3;    ///< radians, angle between an arm and the circle, (0, pi/2) exclusive
  double r_arm = 0.5;          ///< arcsec, radius where arm phase and taper are set, > 0
  double arm_phase = 0.0;      ///< radians, rotation of the arm pattern (finite)
};

/// Elliptical Gaussian ring (lensforge "RING", a hard negative: ring galaxies mimic Einstein rings):
///   I = amp exp(-(R - R_ring)^2 / (2 sigma^2)),  R as for the Sersic (circularised radius).
/// Total flux (exact, the ellipse map keeps area):
///   2 pi amp [sigma^2 exp(-R_ring^2 / (2 sigma^2)) + sqrt(pi/2) R_ring sigma (1 + erf(R_ring / (sqrt(2) sigma)))].
struct Ring {
  double amp = 1.0;       ///< flux/arcsec^2, surface brightness on the ring's crest, >= 0
  double R_ring = 1.0;    ///< arcsec, circularised radius of the crest, >= 0
  double sigma = 0.1;     ///< arcsec, Gaussian width of the ring, > 0
  double e1 = 0.0;        ///< ellipticity component, |e| < 1
  double e2 = 0.0;        ///< ellipticity component, |e| < 1
  double center_x = 0.0;  ///< arcsec
  double center_y = 0.0;  ///< arcsec
};

/// A pixelated image as a light profile (lensforge "INTERPOL", like lenstronomy's INTERPOL and
/// GalSim's InterpolatedImage): a real-galaxy stamp placed on the source plane. Stamp pixel (i, j)
/// (row, column, normalised so all pixels sum to 1) has its centre at the offset
///   (u, v) = ((j - (nx-1)/2) pixel_scale, (i - (ny-1)/2) pixel_scale)
/// in the stamp frame; a sky offset (dx, dy) from the centre maps to it by a rotation by -rotation
/// then, when flipped, u -> -u. Between pixel centres the stamp is interpolated with Keys' bicubic
/// convolution kernel (a = -1/2: passes through the pixel values, weights sum to 1, so the
/// integral over the plane is exactly the pixel sum); zero beyond the stamp's border.
///   I = amp * interp(stamp)(u, v) / pixel_scale^2,  so amp is the total flux.
struct InterpolatedImage {
  std::shared_ptr<const Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> stamp;  ///< sums to 1
  double amp = 1.0;          ///< flux, total, >= 0
  double pixel_scale = 0.1;  ///< arcsec per stamp pixel on the source plane, > 0
  double rotation = 0.0;     ///< radians, counter-clockwise rotation of the stamp on the sky (finite)
  bool flip = false;         ///< mirror the stamp's u axis before rotating
  double center_x = 0.0;     ///< arcsec
  double center_y = 0.0;     ///< arcsec
  std::string id;            ///< the stamp's identity (catalog name), for labels and messages
};

using LightProfile = std::variant<Sersic, Gaussian, ClumpySersic, Spiral, Ring, InterpolatedImage>;

/// lenstronomy's name of the profile ("SERSIC_ELLIPSE", "GAUSSIAN_ELLIPSE", "CLUMPY_SERSIC"; lensforge's
/// own "SPIRAL", "RING", "INTERPOL").
const char* name(const LightProfile& p);

/// Empty when valid, else a message naming the parameter, its value and the allowed range.
std::string validate(const LightProfile& p);

/// Sersic b_n as lenstronomy defines it (linear approximation, floored at 1e-5).
double sersic_b_n(double n);

/// Total flux (analytic integral over the plane), in flux units.
double total_flux(const LightProfile& p);

/// amp of a Sersic whose total flux is `flux` (the other parameters as given).
double sersic_amp_from_total_flux(const Sersic& s, double flux);

/// The same profile with every amplitude multiplied by `factor` (>= 0): total flux scales by it.
LightProfile scaled(const LightProfile& p, double factor);

/// Total flux of an AB magnitude for a band zero point (magnitude giving 1 flux unit).
inline double flux_from_magnitude(double mag, double zero_point);

/// ADD the surface brightness at (x[k], y[k]) to out[k], k < n.
void add_surface_brightness(const LightProfile& p, const float* x, const float* y, float* out, std::size_t n);
void add_surface_brightness(const LightProfile& p, const double* x, const double* y, double* out, std::size_t n);

/// Scalar convenience (double precision).
double surface_brightness(const LightProfile& p, double x, double y);

}  // namespace lensforge

#include <cmath>
inline double lensforge::flux_from_magnitude(double mag, double zero_point) {
  return std::pow(10.0, -0.4 * (mag - zero_point));
}

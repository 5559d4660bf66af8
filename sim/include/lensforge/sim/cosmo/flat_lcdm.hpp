#pragma once
// Flat Lambda-CDM cosmology without radiation (astropy FlatLambdaCDM with Tcmb0 = 0):
// E(z) = sqrt(Om0 (1+z)^3 + 1 - Om0). Distances in Mpc.
#include <string>

namespace lensforge {

class FlatLambdaCDM {
 public:
  /// H0 in km/s/Mpc, (0, 1000); Om0 matter density today, [0, 1]. Throws ConfigError otherwise.
  explicit FlatLambdaCDM(double H0 = 70.0, double Om0 = 0.3);

  double H0() const { return H0_; }
  double Om0() const { return Om0_; }
  /// Hubble distance c/H0, Mpc.
  double hubble_distance() const;
  /// Line-of-sight comoving distance to z (>= 0), Mpc. Flat, so also the transverse one.
  double comoving_distance(double z) const;
  /// Transverse comoving distance between z1 <= z2, Mpc (= D_C(z2) - D_C(z1) when flat).
  double comoving_transverse_distance(double z1, double z2) const;
  /// Angular-diameter distance to z, Mpc.
  double angular_diameter_distance(double z) const;
  /// Angular-diameter distance from z1 to z2 (z1 <= z2), Mpc.
  double angular_diameter_distance(double z1, double z2) const;
  /// Critical surface density for a lens at z_l and source at z_s > z_l, M_sun / Mpc^2.
  double sigma_crit(double z_l, double z_s) const;
  /// Critical surface density, M_sun / arcsec^2 (at the lens distance).
  double sigma_crit_arcsec2(double z_l, double z_s) const;
  /// Einstein radius of an SIS with 1D velocity dispersion sigma_v (km/s), arcsec:
  /// theta_E = 4 pi (sigma_v/c)^2 D_ls/D_s.
  double sis_theta_E(double sigma_v_kms, double z_l, double z_s) const;

 private:
  double H0_, Om0_;
};

}  // namespace lensforge

#pragma once
// lenstronomy's ellipticity convention, shared by mass and light profiles:
//   e1 = (1-q)/(1+q) cos(2 phi),  e2 = (1-q)/(1+q) sin(2 phi)
// q = minor/major axis ratio in (0, 1]; phi = major-axis angle, radians, counter-clockwise from +x.
// Major-axis frame: x' = cos(phi) dx + sin(phi) dy, y' = -sin(phi) dx + cos(phi) dy.
#include <cmath>

namespace lensforge {

struct AxisRatioAngle {
  double q;    ///< minor/major axis ratio, (0, 1]
  double phi;  ///< major-axis angle, radians, counter-clockwise from +x
};

/// (e1, e2) -> (q, phi). |e| is clipped at 0.9999 as in lenstronomy.
inline AxisRatioAngle q_phi_from_e1e2(double e1, double e2) {
  double e = std::hypot(e1, e2);
  if (e > 0.9999) e = 0.9999;
  return {(1.0 - e) / (1.0 + e), 0.5 * std::atan2(e2, e1)};
}

/// (q, phi) -> (e1, e2).
inline void e1e2_from_q_phi(double q, double phi, double& e1, double& e2) {
  const double e = (1.0 - q) / (1.0 + q);
  e1 = e * std::cos(2.0 * phi);
  e2 = e * std::sin(2.0 * phi);
}

}  // namespace lensforge

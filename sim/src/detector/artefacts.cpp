#include "lensforge/sim/detector/artefacts.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numbers>

#include <fmt/format.h>

#include "lensforge/sim/core/error.hpp"
#include "lensforge/sim/core/pixel_grid.hpp"
#include "lensforge/sim/survey/band.hpp"

namespace lensforge {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kFwhmToSigma = 1.0 / 2.3548200450309493;  // 1 / (2 sqrt(2 ln 2))

template <class Img>
void require_same_shape(const Img& img, const Mask& mask, const char* what) {
  if (img.rows() != mask.rows() || img.cols() != mask.cols())
    throw ConfigError(fmt::format("{}: image is {}x{} (rows x columns) but the mask is {}x{}", what, img.rows(),
                                  img.cols(), mask.rows(), mask.cols()));
}

// Sub-stream tags inside apply_*_artefacts. Fixed forever: changing one changes every image.
enum StreamTag : std::uint64_t { NEIGHBOURS = 1, SATELLITES = 2, HOT = 3, DEAD = 4, BAD_COLUMNS = 5, COSMIC = 6 };

// Work space of deposit_track, reused from track to track.
struct TrackScratch {
  std::vector<double> x, y, ts;
};

// Adds charge q along the segment (x0, y0) -> (x1, y1) in pixel coordinates, in proportion to the
// length inside each pixel; returns the charge that landed inside the image.
double deposit_track(ImageD& e, Mask& mask, double x0, double y0, double x1, double y1, double q,
                     TrackScratch& scratch) {
  const Eigen::Index ny = e.rows(), nx = e.cols();
  auto put = [&](Eigen::Index i, Eigen::Index j, double c) {
    if (c <= 0.0) return 0.0;
    e(i, j) += c;
    mask(i, j) |= bits(MaskBit::COSMIC_RAY);
    return c;
  };
  const double dx = x1 - x0, dy = y1 - y0;
  if (std::hypot(dx, dy) < 1e-9) {
    const auto j = Eigen::Index(std::floor(x0)), i = Eigen::Index(std::floor(y0));
    return (i >= 0 && i < ny && j >= 0 && j < nx) ? put(i, j, q) : 0.0;
  }
  // Clip the parameter range t in [0, 1] to the image box [0, nx] x [0, ny] (Liang-Barsky).
  double ta = 0.0, tb = 1.0;
  auto clip = [&](double p, double r) {  // keep p t <= r
    if (p == 0.0) return r >= 0.0;
    const double t = r / p;
    if (p < 0.0) ta = std::max(ta, t);
    else tb = std::min(tb, t);
    return ta <= tb;
  };
  if (!(clip(-dx, x0) && clip(dx, double(nx) - x0) && clip(-dy, y0) && clip(dy, double(ny) - y0))) return 0.0;
  // Parameters where the clipped segment crosses pixel boundaries, sorted: each axis lists its
  // crossings in increasing t, the two lists are merged between ta and tb. A crossing that
  // rounding put outside [ta, tb] is caught by the final check.
  auto crossings = [&](double a0, double da, std::vector<double>& out) {
    out.clear();
    if (da == 0.0) return;
    const double lo = std::min(a0 + ta * da, a0 + tb * da), hi = std::max(a0 + ta * da, a0 + tb * da);
    for (double b = std::floor(lo) + 1.0; b < hi; b += 1.0) out.push_back((b - a0) / da);
    if (da < 0.0) std::reverse(out.begin(), out.end());
  };
  crossings(x0, dx, scratch.x);
  crossings(y0, dy, scratch.y);
  std::vector<double>& ts = scratch.ts;
  ts.assign(1, ta);
  std::merge(scratch.x.begin(), scratch.x.end(), scratch.y.begin(), scratch.y.end(), std::back_inserter(ts));
  ts.push_back(tb);
  if (!std::is_sorted(ts.begin(), ts.end())) std::sort(ts.begin(), ts.end());
  double landed = 0.0;
  for (std::size_t k = 0; k + 1 < ts.size(); ++k) {
    const double dt = ts[k + 1] - ts[k];
    if (dt <= 0.0) continue;
    const double tm = 0.5 * (ts[k] + ts[k + 1]);
    const auto j = std::clamp(Eigen::Index(std::floor(x0 + tm * dx)), Eigen::Index(0), nx - 1);
    const auto i = std::clamp(Eigen::Index(std::floor(y0 + tm * dy)), Eigen::Index(0), ny - 1);
    landed += put(i, j, q * dt);
  }
  return landed;
}

// Separable Gaussian blur with sampled taps exp(-k^2 / 2 s^2), |k| <= int(4 s + 0.5), normalised
// to 1, zero outside the stamp.
void gaussian_blur(ImageD& img, double sigma_px) {
  const int r = int(4.0 * sigma_px + 0.5);
  if (r < 1) return;
  std::vector<double> w(2 * r + 1);
  double sum = 0.0;
  for (int k = -r; k <= r; ++k) sum += w[k + r] = std::exp(-0.5 * k * k / (sigma_px * sigma_px));
  for (double& v : w) v /= sum;
  const Eigen::Index ny = img.rows(), nx = img.cols();
  ImageD tmp = ImageD::Zero(ny, nx);
  for (Eigen::Index i = 0; i < ny; ++i)
    for (Eigen::Index j = 0; j < nx; ++j)
      for (int k = -r; k <= r; ++k)
        if (j + k >= 0 && j + k < nx) tmp(i, j) += w[k + r] * img(i, j + k);
  img.setZero();
  for (Eigen::Index i = 0; i < ny; ++i)
    for (int k = -r; k <= r; ++k)
      if (i + k >= 0 && i + k < ny) img.row(i) += w[k + r] * tmp.row(i + k);
}

// A square stamp of (2 half + 1)^2 pixels centred on pixel (ci, cj).
struct Stamp {
  Eigen::Index ci, cj, half;
  ImageD values;
};

Stamp render_star(const Band& band, double xc, double yc, double flux, const PixelGrid& g) {
  const double s = band.pixel_scale, fwhm = band.psf.fwhm;
  const double jc = (xc - g.center_x) / s + 0.5 * (g.nx - 1), ic = (yc - g.center_y) / s + 0.5 * (g.ny - 1);
  Stamp st{Eigen::Index(std::lround(ic)), Eigen::Index(std::lround(jc)), 0, {}};
  if (band.psf.type == PsfType::MOFFAT) {
    const double beta = band.psf.beta, alpha = fwhm / (2.0 * std::sqrt(std::pow(2.0, 1.0 / beta) - 1.0));
    // Radius enclosing 99.9% of the flux, at most 20 FWHM.
    const double r999 = alpha * std::sqrt(std::pow(1e-3, 1.0 / (1.0 - beta)) - 1.0);
    st.half = Eigen::Index(std::ceil(std::min(r999, 20.0 * fwhm) / s)) + 1;
    const double norm = flux * (beta - 1.0) / (kPi * alpha * alpha);
    constexpr int kSub = 5;
    st.values.resize(2 * st.half + 1, 2 * st.half + 1);
    for (Eigen::Index a = 0; a < st.values.rows(); ++a)
      for (Eigen::Index b = 0; b < st.values.cols(); ++b) {
        double acc = 0.0;
        for (int u = 0; u < kSub; ++u)
          for (int v = 0; v < kSub; ++v) {
            const double y = g.y(double(st.ci - st.half + a) - 0.5 + (u + 0.5) / kSub) - yc;
            const double x = g.x(double(st.cj - st.half + b) - 0.5 + (v + 0.5) / kSub) - xc;
            acc += std::pow(1.0 + (x * x + y * y) / (alpha * alpha), -beta);
          }
        st.values(a, b) = norm * acc / (kSub * kSub) * s * s;
      }
    return st;
  }
  // GAUSSIAN (and PIXEL's Gaussian stand-in): exact pixel integrals, separable.
  const double sigma = fwhm * kFwhmToSigma;
  st.half = Eigen::Index(std::ceil(6.0 * sigma / s)) + 1;
  const Eigen::Index n = 2 * st.half + 1;
  Eigen::ArrayXd px(n), py(n);
  const double k = 1.0 / (std::sqrt(2.0) * sigma);
  for (Eigen::Index a = 0; a < n; ++a) {
    const double x = g.x(double(st.cj - st.half + a)) - xc, y = g.y(double(st.ci - st.half + a)) - yc;
    px(a) = 0.5 * (std::erf((x + 0.5 * s) * k) - std::erf((x - 0.5 * s) * k));
    py(a) = 0.5 * (std::erf((y + 0.5 * s) * k) - std::erf((y - 0.5 * s) * k));
  }
  st.values = flux * (py.matrix() * px.matrix().transpose()).array();
  return st;
}

Stamp render_galaxy(const Band& band, const Neighbour& nb, double flux, const PixelGrid& g) {
  const double s = band.pixel_scale, fwhm = band.psf.fwhm, n = nb.sersic_n, re = nb.r_eff, q = nb.q;
  const double jc = (nb.x - g.center_x) / s + 0.5 * (g.nx - 1), ic = (nb.y - g.center_y) / s + 0.5 * (g.ny - 1);
  Stamp st{Eigen::Index(std::lround(ic)), Eigen::Index(std::lround(jc)),
           Eigen::Index(std::ceil((8.0 * re + 3.0 * fwhm) / s)) + 1, {}};
  // lenstronomy SERSIC_ELLIPSE: I(R) = I_e exp(-b_n ((R/R_e)^(1/n) - 1)), R^2 = q x'^2 + y'^2/q;
  // the map (x', y') -> (sqrt(q) x', y'/sqrt(q)) has unit Jacobian, so the total flux is the
  // circular one: 2 pi n I_e R_e^2 e^b b^(-2n) Gamma(2n).
  const double b = 1.9992 * n - 0.3271;
  const double total = 2.0 * kPi * n * re * re * std::exp(b + std::lgamma(2.0 * n) - 2.0 * n * std::log(b));
  const double ie = flux / total, ca = std::cos(nb.angle), sa = std::sin(nb.angle);
  constexpr int kSub = 4;
  st.values.resize(2 * st.half + 1, 2 * st.half + 1);
  for (Eigen::Index a = 0; a < st.values.rows(); ++a)
    for (Eigen::Index c = 0; c < st.values.cols(); ++c) {
      double acc = 0.0;
      for (int u = 0; u < kSub; ++u)
        for (int v = 0; v < kSub; ++v) {
          const double y = g.y(double(st.ci - st.half + a) - 0.5 + (u + 0.5) / kSub) - nb.y;
          const double x = g.x(double(st.cj - st.half + c) - 0.5 + (v + 0.5) / kSub) - nb.x;
          const double xp = ca * x + sa * y, yp = -sa * x + ca * y;
          const double r = std::sqrt(q * xp * xp + yp * yp / q);
          acc += std::exp(-b * (std::pow(r / re, 1.0 / n) - 1.0));
        }
      st.values(a, c) = ie * acc / (kSub * kSub) * s * s;
    }
  gaussian_blur(st.values, fwhm * kFwhmToSigma / s);
  return st;
}

}  // namespace

std::vector<CosmicRayHit> add_cosmic_rays(ImageD& electrons, Mask& mask, const CosmicRaySettings& s,
                                          double pixel_size, double exposure_time, Rng& rng) {
  require_same_shape(electrons, mask, "add_cosmic_rays");
  const double nx = double(electrons.cols()), ny = double(electrons.rows());
  const double pixel_cm = pixel_size * 1e-4;
  const std::uint64_t n = rng.poisson(s.rate * nx * ny * pixel_cm * pixel_cm * exposure_time);
  std::vector<CosmicRayHit> hits;
  hits.reserve(n);
  TrackScratch scratch;
  for (std::uint64_t k = 0; k < n; ++k) {
    CosmicRayHit h;
    h.x0 = rng.uniform(0.0, nx);
    h.y0 = rng.uniform(0.0, ny);
    // Isotropic flux through a plane: p(cos theta) proportional to cos theta.
    const double c = std::sqrt(1.0 - rng.uniform());  // in (0, 1]
    const double phi = 2.0 * kPi * rng.uniform();
    const double projected_px = s.thickness * std::sqrt(1.0 - c * c) / c / pixel_size;
    h.x1 = h.x0 + projected_px * std::cos(phi);
    h.y1 = h.y0 + projected_px * std::sin(phi);
    h.path_length = s.thickness / c;
    // Moyal's approximation to Landau: lambda = -ln(Z^2); guard Z = 0.
    const double z = rng.normal();
    const double lambda = -std::log(std::max(z * z, 1e-300));
    h.charge = std::max(0.0, h.path_length * (s.charge_mpv + s.charge_width * lambda));
    h.deposited = deposit_track(electrons, mask, h.x0, h.y0, h.x1, h.y1, h.charge, scratch);
    hits.push_back(h);
  }
  return hits;
}

int add_hot_pixels(ImageF& rate, Mask& mask, const HotPixelSettings& s, Rng& rng) {
  require_same_shape(rate, mask, "add_hot_pixels");
  int count = 0;
  for (Eigen::Index k = 0; k < rate.size(); ++k)
    if (rng.uniform() < s.fraction) {
      rate.data()[k] += float(s.current);
      mask.data()[k] |= bits(MaskBit::HOT);
      ++count;
    }
  return count;
}

int add_dead_pixels(Mask& mask, const DeadPixelSettings& s, Rng& rng) {
  int count = 0;
  for (Eigen::Index k = 0; k < mask.size(); ++k)
    if (rng.uniform() < s.fraction) {
      mask.data()[k] |= bits(MaskBit::DEAD);
      ++count;
    }
  return count;
}

int add_bad_columns(Mask& mask, const BadColumnSettings& s, Rng& rng) {
  int count = 0;
  for (Eigen::Index j = 0; j < mask.cols(); ++j)
    if (rng.uniform() < s.fraction) {
      for (Eigen::Index i = 0; i < mask.rows(); ++i) mask(i, j) |= bits(MaskBit::BAD_COLUMN);
      ++count;
    }
  return count;
}

std::vector<SatelliteTrail> add_satellite_trails(ImageF& rate, Mask& mask, const SatelliteTrailSettings& s,
                                                 const Band& band, Rng& rng) {
  require_same_shape(rate, mask, "add_satellite_trails");
  const PixelGrid g{int(rate.cols()), int(rate.rows()), band.pixel_scale, 0.0, 0.0};
  const double sc = band.pixel_scale, sigma = s.width * kFwhmToSigma, cut = 2.0 * s.width;
  const std::uint64_t n = rng.poisson(s.mean_count);
  std::vector<SatelliteTrail> trails;
  constexpr int kSub = 3;
  for (std::uint64_t k = 0; k < n; ++k) {
    SatelliteTrail tr;
    tr.x = rng.uniform(g.x(-0.5), g.x(g.nx - 0.5));
    tr.y = rng.uniform(g.y(-0.5), g.y(g.ny - 0.5));
    tr.angle = kPi * rng.uniform();
    tr.width = s.width;
    tr.surface_brightness = rng.uniform(s.brightness_min, s.brightness_max);
    const double peak = band.flux(tr.surface_brightness) * sc * sc;  // e-/s per pixel at the centre line
    const double sa = std::sin(tr.angle), ca = std::cos(tr.angle);
    for (Eigen::Index i = 0; i < rate.rows(); ++i)
      for (Eigen::Index j = 0; j < rate.cols(); ++j) {
        const double dc = -(g.x(double(j)) - tr.x) * sa + (g.y(double(i)) - tr.y) * ca;
        if (std::abs(dc) > cut + sc) continue;
        double acc = 0.0;
        for (int u = 0; u < kSub; ++u)
          for (int v = 0; v < kSub; ++v) {
            const double x = g.x(double(j) - 0.5 + (v + 0.5) / kSub), y = g.y(double(i) - 0.5 + (u + 0.5) / kSub);
            const double d = -(x - tr.x) * sa + (y - tr.y) * ca;
            if (std::abs(d) <= cut) acc += std::exp(-0.5 * d * d / (sigma * sigma));
          }
        const float add = float(peak * acc / (kSub * kSub));
        if (add > 0.0f) {
          rate(i, j) += add;
          mask(i, j) |= bits(MaskBit::SATELLITE);
        }
      }
    trails.push_back(tr);
  }
  return trails;
}

std::vector<Neighbour> add_neighbours(ImageF& rate, Mask& mask, const NeighbourSettings& s, const Band& band,
                                      Rng& rng) {
  require_same_shape(rate, mask, "add_neighbours");
  const PixelGrid g{int(rate.cols()), int(rate.rows()), band.pixel_scale, 0.0, 0.0};
  const double hx = 0.5 * g.nx * g.pixel_scale, hy = 0.5 * g.ny * g.pixel_scale;
  if (s.min_distance >= std::hypot(hx, hy))
    throw ConfigError(fmt::format("artefacts.neighbours.min_distance = {:g} arcsec leaves no room in a {:g}x{:g} "
                                  "arcsec image: must be below the half-diagonal {:g}",
                                  s.min_distance, 2 * hx, 2 * hy, std::hypot(hx, hy)));
  const double threshold = s.mask_threshold * band.sky_rate();
  const std::uint64_t n = rng.poisson(s.mean_count);
  std::vector<Neighbour> out;
  for (std::uint64_t k = 0; k < n; ++k) {
    Neighbour nb;
    int tries = 0;
    do {
      if (++tries > 100000)
        throw ConfigError(fmt::format("artefacts.neighbours.min_distance = {:g} arcsec: no position found in "
                                      "the image after 100000 tries",
                                      s.min_distance));
      nb.x = rng.uniform(-hx, hx);
      nb.y = rng.uniform(-hy, hy);
    } while (std::hypot(nb.x, nb.y) < s.min_distance);
    nb.magnitude = rng.uniform(s.mag_min, s.mag_max);
    nb.star = rng.uniform() < s.star_fraction;
    const double total = band.flux(nb.magnitude);
    Stamp st;
    if (nb.star) {
      st = render_star(band, nb.x, nb.y, total, g);
    } else {
      nb.r_eff = rng.uniform(s.radius_min, s.radius_max);
      nb.sersic_n = rng.uniform(s.sersic_n_min, s.sersic_n_max);
      nb.q = rng.uniform(s.q_min, 1.0);
      nb.angle = kPi * rng.uniform();
      st = render_galaxy(band, nb, total, g);
    }
    for (Eigen::Index a = 0; a < st.values.rows(); ++a)
      for (Eigen::Index b = 0; b < st.values.cols(); ++b) {
        const Eigen::Index i = st.ci - st.half + a, j = st.cj - st.half + b;
        if (i < 0 || i >= rate.rows() || j < 0 || j >= rate.cols()) continue;
        const double v = st.values(a, b);
        rate(i, j) += float(v);
        nb.flux += v;
        if (v >= threshold) mask(i, j) |= bits(MaskBit::NEIGHBOUR);
      }
    out.push_back(nb);
  }
  return out;
}

ArtefactReport apply_rate_artefacts(ImageF& rate, Mask& mask, const Band& band, Rng& rng) {
  require_same_shape(rate, mask, "apply_rate_artefacts");
  const ArtefactSettings& a = band.artefacts;
  ArtefactReport report;
  if (a.neighbours.enabled) {
    Rng r = rng.split(NEIGHBOURS);
    report.neighbours = add_neighbours(rate, mask, a.neighbours, band, r);
  }
  if (a.satellite_trails.enabled) {
    Rng r = rng.split(SATELLITES);
    report.satellite_trails = add_satellite_trails(rate, mask, a.satellite_trails, band, r);
  }
  if (a.hot_pixels.enabled) {
    Rng r = rng.split(HOT);
    report.hot_pixels = add_hot_pixels(rate, mask, a.hot_pixels, r);
  }
  if (a.dead_pixels.enabled) {
    Rng r = rng.split(DEAD);
    report.dead_pixels = add_dead_pixels(mask, a.dead_pixels, r);
  }
  if (a.bad_columns.enabled) {
    Rng r = rng.split(BAD_COLUMNS);
    report.bad_columns = add_bad_columns(mask, a.bad_columns, r);
  }
  return report;
}

void apply_charge_artefacts(ImageD& electrons, Mask& mask, const Band& band, Rng& rng, ArtefactReport& report) {
  if (band.artefacts.cosmic_rays.enabled) {
    Rng r = rng.split(COSMIC);
    report.cosmic_rays = add_cosmic_rays(electrons, mask, band.artefacts.cosmic_rays, band.pixel_size,
                                         band.total_exposure_time(), r);
  }
}

}  // namespace lensforge

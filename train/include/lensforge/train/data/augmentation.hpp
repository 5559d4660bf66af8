#pragma once
// AugmentSpec applied to a stacked image [C, H, W] and its labels, in lenstronomy's frame: x grows
// with the column index, y with the row index, both measured from the image centre (the optical
// axis, core/pixel_grid.hpp), ellipticities e1 = (1-q)/(1+q) cos 2phi, e2 = (1-q)/(1+q) sin 2phi
// with phi counter-clockwise from +x (mass/ellipticity.hpp).
//
// A draw is a shift by (shift_x, shift_y) output pixels followed by an element of the dihedral
// group of the square: an optional flip x -> -x followed by `rotations` quarter turns
// (x, y) -> (-y, x). The image becomes out(p) = in(T^-1 p), exactly the image the simulator
// renders of the transformed scene (tests/train/test_augmentation.cpp checks this against renders),
// and the labels follow:
//   vector pairs (positions, arcsec):  (x, y) -> (x + shift_x s, y + shift_y s), then
//                                      flip (-x, y), then per quarter turn (-y, x);
//   spin-2 pairs (e1, e2), (g1, g2):   flip (e1, -e2), then per quarter turn (-e1, -e2) (a
//                                      rotation by a turns spin-2 quantities by 2a); shifts leave them.
// s is the output pixel scale (arcsec/px). Other labels are unchanged.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/core/rng.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

struct AugmentDraw {
  int rotations = 0;     ///< quarter turns (x, y) -> (-y, x), [0, 3]
  bool flip = false;     ///< x -> -x, applied before the rotations
  double shift_x = 0.0;  ///< output px along x (columns), applied first
  double shift_y = 0.0;  ///< output px along y (rows)
};

/// The draw for one example: the dihedral element uniformly of 8 (rng.below(8): rotations = d % 4,
/// flip = d >= 4) when spec.dihedral, then shift_x and shift_y uniform in [-max_shift, max_shift]
/// when max_shift > 0, in that order.
AugmentDraw draw_augmentation(const AugmentSpec& spec, Rng& rng);

/// The dihedral element of `draw` on every channel of a square image, in place (ConfigError if
/// height != width).
void apply_dihedral(float* pixels, const InputShape& shape, int rotations, bool flip);

/// Shifts every channel by (dx, dy) px in place by bilinear interpolation: out(i, j) =
/// in(i - dy, j - dx), zero where that lies outside. Integer shifts move pixels exactly; the total
/// flux and the flux-weighted centroid (shifted by (dx, dy)) are kept for content away from the edges.
void shift_image(float* pixels, const InputShape& shape, double dx, double dy);

/// Column indices of the pairs of `spec` whose two columns are both among `columns`.
struct LabelPairs {
  std::vector<std::pair<std::size_t, std::size_t>> vectors;
  std::vector<std::pair<std::size_t, std::size_t>> spin2;
};
LabelPairs label_pairs(const AugmentSpec& spec, const std::vector<std::string>& columns);

/// Transforms the label values (columns order) as the image of `draw`; pixel_scale in arcsec/px.
void transform_labels(std::vector<double>& values, const LabelPairs& pairs, const AugmentDraw& draw,
                      double pixel_scale);

/// noiseless + sigma * N(0, 1) per pixel (one standard normal per pixel from rng, in row-major
/// order, fill_standard_normal of core/rng.hpp). ConfigError if the shapes differ.
ImageF redraw_noise(const ImageF& noiseless, const ImageF& sigma, Rng& rng);

}  // namespace lensforge::train

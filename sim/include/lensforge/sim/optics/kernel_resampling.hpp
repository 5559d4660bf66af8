#pragma once
// Flux-conserving resampling of kernel images (shift and change of pixel scale).
#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// Resamples `in` (pixels of in_scale arcsec) onto a (2 out_radius + 1)^2 grid of out_scale
/// arcsec whose central pixel is centred at (centre_col, centre_row) in input pixel coordinates
/// (input pixel (i, j) is centred at column j, row i). Separable; along each axis the flux of
/// input pixel k goes to output pixel j with weight
///   w_jk = K((x_j - k) / c) / sum_j' K((x_j' - k) / c),
/// x_j = input coordinate of output centre j, c = max(1, out_scale / in_scale) (the coarser of
/// the two pixels, in input pixels), and K the Keys (1981) cubic convolution kernel with a = -1/2
/// (support |t| < 2; it reproduces polynomials up to degree 2). The sum runs over the unbounded
/// output lattice, so every input pixel hands out exactly its flux: the total flux is preserved
/// for any ratio, except the flux whose weights fall outside the output grid.
/// Exact properties (without that loss): for a pure shift (equal scales), for integer upsampling
/// (in_scale / out_scale = 2, 3, ...) and for any downsampling, the normalisation is a no-op and
/// the flux centroid and second moments in arcsec are preserved exactly; otherwise to O(c^2)
/// accuracy. Downsampling widens the kernel to the output pixel (anti-aliasing). Cubic
/// interpolation overshoots next to sharp features, so the result can hold small negative values.
/// Throws ConfigError for non-positive scales or a negative radius.
ImageD resample_kernel_image(const ImageD& in, double in_scale, double out_scale, double centre_col,
                             double centre_row, int out_radius);

}  // namespace lensforge

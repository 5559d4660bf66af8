#pragma once
// Pixel grid with lenstronomy's convention (SimAPI / make_grid_with_coordtransform):
// pixel (i, j) = (row, column) has its centre at
//   x_j = center_x + (j - (nx-1)/2) * pixel_scale,   y_i = center_y + (i - (ny-1)/2) * pixel_scale
// so x grows with the column and y with the row (no RA flip). For even sizes the optical axis is
// the corner shared by the four central pixels.
#include <string>

namespace lensforge {

struct PixelGrid {
  int nx = 0;                ///< columns (pixels), >= 1
  int ny = 0;                ///< rows (pixels), >= 1
  double pixel_scale = 0.0;  ///< arcsec per pixel, > 0
  double center_x = 0.0;     ///< arcsec, sky coordinate of the grid centre
  double center_y = 0.0;     ///< arcsec

  double x(double j) const { return center_x + (j - 0.5 * (nx - 1)) * pixel_scale; }
  double y(double i) const { return center_y + (i - 0.5 * (ny - 1)) * pixel_scale; }

  /// The s x s supersampled grid: sub-pixel k of pixel j has its centre at
  /// x_j + (-1/2 + (k + 1/2)/s) * pixel_scale, as in lenstronomy.
  PixelGrid supersampled(int s) const { return {nx * s, ny * s, pixel_scale / s, center_x, center_y}; }

  /// Empty string when valid, else a message naming the bad field.
  std::string validate() const;
};

}  // namespace lensforge

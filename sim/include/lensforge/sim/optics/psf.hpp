#pragma once
// Point-spread functions as normalised pixel kernels, and their convolution with images.
#include <string>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// Image blurred by scipy.ndimage.gaussian_filter(img, sigma_pix, mode='nearest', truncate):
/// separable, point-sampled taps exp(-k^2/(2 sigma^2)), k = -r..r, r = int(truncate sigma + 0.5),
/// normalised to sum 1; pixels beyond the border repeat the border pixel. This is what
/// lenstronomy applies for a GAUSSIAN PSF.
void gaussian_filter_nearest(ImageF& img, double sigma_pix, double truncate = 5.0);

}  // namespace lensforge

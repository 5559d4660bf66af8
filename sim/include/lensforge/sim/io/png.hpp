#pragma once
// PNG previews: asinh-stretched greyscale or RGB images (8 bit).
#include <cstdint>
#include <string>
#include <vector>

#include "lensforge/sim/core/image.hpp"

namespace lensforge {

/// asinh stretch of an image to [0, 1]: v = asinh((x - lo)/soft) / asinh((hi - lo)/soft), with lo
/// and hi the given percentiles of the pixel values and soft = softening * (hi - lo).
ImageF asinh_stretch(const ImageF& img, double lo_percentile = 0.5, double hi_percentile = 99.8,
                     double softening = 0.05);

/// Writes a [0, 1] greyscale image (row 0 at the BOTTOM, as astronomers display y up).
void write_png_gray(const std::string& path, const ImageF& unit_image);
/// Writes an RGB image from three [0, 1] planes of the same size (row 0 at the bottom).
void write_png_rgb(const std::string& path, const ImageF& r, const ImageF& g, const ImageF& b);

/// The bytes of the PNG file write_png_gray would write (for data: URIs in HTML reports).
std::vector<std::uint8_t> encode_png_gray(const ImageF& unit_image);
/// The bytes of the PNG file write_png_rgb would write.
std::vector<std::uint8_t> encode_png_rgb(const ImageF& r, const ImageF& g, const ImageF& b);

}  // namespace lensforge

#pragma once
// Band stacking (StackSpec): every band of an example onto one output grid, one channel per band.
//
// Grids follow lenstronomy's pixel-centre convention (core/pixel_grid.hpp): both the band's grid
// and the output grid are centred on the optical axis, pixel j of n has its centre at
// (j - (n - 1) / 2) * pixel_scale. Pixel values are flux per pixel throughout.
//  - FINEST, output pixels at least as large as the band's: flux-conserving area-overlap binning,
//    out(I, J) = sum_ij in(i, j) * overlap(I, J; i, j) / band pixel area (separable in x and y),
//    so the flux inside the output's field is kept exactly (up to float rounding).
//  - FINEST, output pixels smaller than the band's (NISP 0.3" onto VIS 0.1"): bilinear
//    interpolation of the surface brightness in(i, j) / s_in^2 at the output pixel centre, times
//    the output pixel area s_out^2; a centre within half a band pixel of the band's edge takes the
//    edge pixel's value.
//  - Output pixels outside the band's field of view are 0 (padding).
//  - NATIVE: pixels copied unchanged; every band must have the same shape; StackSpec::size crops
//    or pads symmetrically (the difference to the band's size must be even, so the centre stays).
#include <cstddef>
#include <vector>

#include "lensforge/sim/core/image.hpp"
#include "lensforge/sim/io/dataset_schema.hpp"
#include "lensforge/train/data/example.hpp"
#include "lensforge/train/data/specs.hpp"

namespace lensforge::train {

class BandStacker {
 public:
  /// `bands` are the source's bands (ExampleSource::bands()); the spec's bands are looked up by
  /// name. Throws ConfigError for an invalid spec, a spec band that is not among `bands` (naming
  /// it and listing those there), NATIVE with bands of different shapes, a NATIVE pixel_scale other
  /// than the bands' own, or a NATIVE size whose difference to a band's size is odd.
  BandStacker(const StackSpec& spec, const std::vector<BandSchema>& bands);

  /// Channels x height x width of the stacked image.
  const InputShape& shape() const { return shape_; }
  /// Output pixel scale, arcsec/px (NATIVE: that of the first channel's band).
  double pixel_scale() const { return pixel_scale_; }
  /// Index into the source's bands of each channel.
  const std::vector<std::size_t>& band_indices() const { return band_index_; }

  /// Stacks `images` (one per source band, in the source's order, each of its schema's shape; only
  /// the channels' bands are read) into out[0, shape().numel()) as [C, H, W]. Thread-safe.
  /// Throws ConfigError if an image used has another shape than its band's schema.
  void stack(const std::vector<ImageF>& images, float* out) const;

 private:
  /// Sparse 1-D resampling matrix: output pixel o takes weight[offset[o] + k] of input pixel
  /// first[o] + k, k < offset[o + 1] - offset[o].
  struct Axis {
    int n_in = 0;
    std::vector<int> first;
    std::vector<std::size_t> offset;
    std::vector<float> weight;
  };
  struct Channel {
    std::size_t band = 0;
    int nx = 0, ny = 0;
    Axis x, y;
  };
  static Axis make_axis(BandGrid grid, int n_in, double scale_in, int n_out, double scale_out);

  InputShape shape_;
  double pixel_scale_ = 0.0;
  std::vector<std::size_t> band_index_;
  std::vector<Channel> channels_;
};

}  // namespace lensforge::train

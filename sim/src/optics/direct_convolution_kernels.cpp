#include "lensforge/sim/optics/direct_convolution.hpp"

#include <algorithm>

namespace lensforge {

ImageF convolve_direct(const ImageF& image, const PsfKernel& kernel) {
  const ImageF& k = kernel.pixels();
  const int rows = static_cast<int>(image.rows()), cols = static_cast<int>(image.cols());
  const int n = kernel.size(), r = kernel.radius();
  ImageF out = ImageF::Zero(rows, cols);
  for (int i = 0; i < rows; ++i) {
    float* o = out.row(i).data();
    for (int p = 0; p < n; ++p) {
      const int si = i + r - p;
      if (si < 0 || si >= rows) continue;
      const float* src = image.row(si).data();
      for (int q = 0; q < n; ++q) {
        const float w = k(p, q);
        const int d = r - q;  // out[j] += w * src[j + d]
        const int j0 = std::max(0, -d), j1 = std::min(cols, cols - d);
        for (int j = j0; j < j1; ++j) o[j] += w * src[j + d];
      }
    }
  }
  return out;
}

}  // namespace lensforge

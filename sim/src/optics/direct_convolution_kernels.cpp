#include "lensforge/sim/optics/direct_convolution.hpp"

#include <algorithm>
#include <vector>

namespace lensforge {

ImageF convolve_direct(const ImageF& image, const PsfKernel& kernel) {
  const ImageF& k = kernel.pixels();
  const int rows = static_cast<int>(image.rows()), cols = static_cast<int>(image.cols());
  const int n = kernel.size(), r = kernel.radius();
  ImageF out(rows, cols);
  std::vector<double> acc(cols);  // one output row, accumulated in double
  for (int i = 0; i < rows; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int p = 0; p < n; ++p) {
      const int si = i + r - p;
      if (si < 0 || si >= rows) continue;
      const float* src = image.row(si).data();
      for (int q = 0; q < n; ++q) {
        const double w = k(p, q);
        const int d = r - q;  // acc[j] += w * src[j + d]
        const int j0 = std::max(0, -d), j1 = std::min(cols, cols - d);
        for (int j = j0; j < j1; ++j) acc[j] += w * src[j + d];
      }
    }
    for (int j = 0; j < cols; ++j) out(i, j) = static_cast<float>(acc[j]);
  }
  return out;
}

}  // namespace lensforge

#pragma once
// Images are row-major Eigen arrays: img(i, j) is row i (y), column j (x), as numpy's C order.
#include <Eigen/Core>

namespace lensforge {

template <class T>
using Image = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ImageF = Image<float>;
using ImageD = Image<double>;

/// Mean of s x s blocks: (ny*s, nx*s) -> (ny, nx). Used to bin a supersampled image to pixels.
template <class T>
Image<T> block_average(const Image<T>& fine, int s) {
  const Eigen::Index ny = fine.rows() / s, nx = fine.cols() / s;
  Image<T> out = Image<T>::Zero(ny, nx);
  const T w = T(1) / T(s * s);
  for (Eigen::Index i = 0; i < ny; ++i)
    for (int a = 0; a < s; ++a) {
      const T* row = fine.row(i * s + a).data();
      T* o = out.row(i).data();
      for (Eigen::Index j = 0; j < nx; ++j) {
        T acc = 0;
        for (int b = 0; b < s; ++b) acc += row[j * s + b];
        o[j] += acc * w;
      }
    }
  return out;
}

}  // namespace lensforge

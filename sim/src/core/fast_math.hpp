#pragma once
// Internal, for *_kernels.cpp only: branch-free float32 exp, log, atan and atanh that inline into
// the per-pixel loops, so g++ vectorises them to full-width SIMD with no calls (glibc's libmvec
// variants cost a call, register spills and special-case handling per vector). Polynomials are
// Cephes' single-precision ones (S. Moshier, public domain); relative error ~2e-7 over the ranges
// used here. The float64 overloads defer to <cmath> (libmvec under -ffast-math).
#include <bit>
#include <cmath>
#include <cstdint>

namespace lensforge::fastmath {

/// e^x for float; inputs below -87 return ~1e-38 (not 0), above 88 return ~1.6e38.
inline float exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  // Two-constant reduction r = x - n ln2 (C1 is exact in float; C2 is the remainder).
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  const float z = r * r;
  const float p =
      ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
         1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r) + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

/// Natural log for finite x > 0 (x <= 0 is not handled: callers floor their arguments).
inline float log(float x) {
  const std::int32_t bits = std::bit_cast<std::int32_t>(x);
  float e = static_cast<float>((bits >> 23) - 126);
  float m = std::bit_cast<float>((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1.0f : e;
  m = (low ? m + m : m) - 1.0f;
  const float z = m * m;
  float y = ((((((((7.0376836292e-2f * m - 1.1514610310e-1f) * m + 1.1676998740e-1f) * m - 1.2420140846e-1f) * m +
                 1.4249322787e-1f) * m - 1.6668057665e-1f) * m + 2.0000714765e-1f) * m - 2.4999993993e-1f) * m +
            3.3333331174e-1f) * m * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  return (m + y) + 0.693359375f * e;
}

/// atan(x) for any finite x.
inline float atan(float x) {
  const float ax = std::fabs(x);
  const bool big = ax > 2.414213562373095f, mid = ax > 0.4142135623730950f;
  const float num = big ? -1.0f : (mid ? ax - 1.0f : ax);
  const float den = big ? ax : (mid ? ax + 1.0f : 1.0f);
  const float xr = num / den;
  const float y0 = big ? 1.5707963267948966f : (mid ? 0.7853981633974483f : 0.0f);
  const float z = xr * xr;
  const float y =
      y0 + ((((8.05374449538e-2f * z - 1.38776856032e-1f) * z + 1.99777106478e-1f) * z - 3.33329491539e-1f) * z * xr +
            xr);
  return std::copysign(y, x);
}

/// atanh(x) for |x| < 1: the odd Taylor series below |x| = 0.5 (truncation < 1e-9 relative, and
/// no cancellation for small x), 0.5 ln((1+x)/(1-x)) above.
inline float atanh(float x) {
  const float z = x * x;
  const float series =
      x * (1.0f + z * (1.0f / 3 + z * (1.0f / 5 + z * (1.0f / 7 + z * (1.0f / 9 + z * (1.0f / 11 + z * (1.0f / 13 +
           z * (1.0f / 15 + z * (1.0f / 17 + z * (1.0f / 19 + z * (1.0f / 21 + z * (1.0f / 23 + z * (1.0f / 25)))))))))))));
  const float ax = std::fabs(x);
  const float lg = std::copysign(0.5f * log((1.0f + ax) / (1.0f - ax)), x);
  return ax < 0.5f ? series : lg;
}

inline double exp(double x) { return std::exp(x); }
inline double log(double x) { return std::log(x); }
inline double atan(double x) { return std::atan(x); }
inline double atanh(double x) { return std::atanh(x); }

}  // namespace lensforge::fastmath

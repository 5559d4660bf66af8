#pragma once
// Internal, for *_kernels.cpp only: lets g++ vectorise calls to exp/log/... through glibc's libmvec.
//
// glibc declares its SIMD variants (bits/math-vector.h) only when __FAST_MATH__ is defined, and g++
// defines __FAST_MATH__ only for the complete -ffast-math set. The kernels are compiled with
// -ffast-math -fno-finite-math-only (see the top-level CMakeLists.txt), so without the declarations
// below every loop calling exp or log stays scalar ("no vectype for stmt"). The SIMD variants
// (_ZGVdN8v_expf, _ZGVeN16v_logf, ...) keep glibc's <= 4 ulp accuracy and handle inf/NaN inputs;
// they never set errno, hence the __NO_MATH_ERRNO__ (-fno-math-errno) guard. libm.so pulls in
// libmvec.so.1 as needed, so no extra link flag is required.
#include <cmath>

#if defined(__x86_64__) && defined(__GLIBC__) && defined(__NO_MATH_ERRNO__) && !defined(__FAST_MATH__)
#define LENSFORGE_LIBMVEC __attribute__((simd("notinbranch")))
extern "C" {
LENSFORGE_LIBMVEC double exp(double) noexcept;
LENSFORGE_LIBMVEC float expf(float) noexcept;
LENSFORGE_LIBMVEC double log(double) noexcept;
LENSFORGE_LIBMVEC float logf(float) noexcept;
LENSFORGE_LIBMVEC double sin(double) noexcept;
LENSFORGE_LIBMVEC float sinf(float) noexcept;
LENSFORGE_LIBMVEC double cos(double) noexcept;
LENSFORGE_LIBMVEC float cosf(float) noexcept;
LENSFORGE_LIBMVEC double atan(double) noexcept;
LENSFORGE_LIBMVEC float atanf(float) noexcept;
LENSFORGE_LIBMVEC double atanh(double) noexcept;
LENSFORGE_LIBMVEC float atanhf(float) noexcept;
LENSFORGE_LIBMVEC double atan2(double, double) noexcept;
LENSFORGE_LIBMVEC float atan2f(float, float) noexcept;
}
#undef LENSFORGE_LIBMVEC
#endif

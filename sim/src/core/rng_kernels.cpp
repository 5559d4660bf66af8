// Batched uniform, normal and Poisson draws (compiled with -ffast-math: the transforms vectorise
// through glibc's libmvec). The uniforms come from a UniformLanes seeded from the Rng; everything
// after that is element-wise, so results depend only on the Rng's state.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <vector>

#include "lensforge/sim/core/rng.hpp"
#include "poisson_ptrs.hpp"

namespace lensforge {

namespace {

// Elements per block: the block's scratch arrays stay in L1.
constexpr std::size_t kBlock = 256;

constexpr std::size_t kLanes = UniformLanes::kLanes;

// SplitMix64 output `index` (1, 2, ...) of the seed x (Steele, Lea & Flood 2014).
std::uint64_t splitmix_output(std::uint64_t x, std::uint64_t index) {
  std::uint64_t z = x + index * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// g++ vector extensions: one value per lane (one AVX-512 register, two AVX2 ones), so the lane
// loop is SIMD by construction and the state stays in registers across steps.
using U64xL = std::uint64_t __attribute__((vector_size(8 * kLanes)));
using I64xL = std::int64_t __attribute__((vector_size(8 * kLanes)));
using F64xL = double __attribute__((vector_size(8 * kLanes)));

// `steps` steps of all lanes: out[kLanes * t + l] = the uniform of lane l's output at step t.
void generate(std::uint64_t (&state)[4][kLanes], double* out, std::size_t steps) {
  U64xL s0, s1, s2, s3;
  std::memcpy(&s0, state[0], sizeof s0);
  std::memcpy(&s1, state[1], sizeof s1);
  std::memcpy(&s2, state[2], sizeof s2);
  std::memcpy(&s3, state[3], sizeof s3);
  for (std::size_t t = 0; t < steps; ++t) {
    const U64xL a = s0 + s3;
    const U64xL r = ((a << 23) | (a >> 41)) + s0;
    const U64xL x = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= x;
    s3 = (s3 << 45) | (s3 >> 19);
    // r >> 11 < 2^53: exact in a double, as is the power-of-two scaling.
    const F64xL u = __builtin_convertvector(I64xL(r >> 11), F64xL) * 0x1.0p-53;
    std::memcpy(out + kLanes * t, &u, sizeof u);
  }
  std::memcpy(state[0], &s0, sizeof s0);
  std::memcpy(state[1], &s1, sizeof s1);
  std::memcpy(state[2], &s2, sizeof s2);
  std::memcpy(state[3], &s3, sizeof s3);
}

}  // namespace

UniformLanes::UniformLanes(Rng& rng) {
  for (auto& word : s_) {
    const std::uint64_t w = rng.next();
    for (std::size_t l = 0; l < kLanes; ++l) word[l] = splitmix_output(w, l + 1);
  }
}

void UniformLanes::refill() {
  generate(s_, buf_, 1);
  pos_ = 0;
}

void UniformLanes::fill(double* out, std::size_t n) {
  std::size_t k = 0;
  while (k < n && pos_ < kLanes) out[k++] = buf_[pos_++];
  const std::size_t steps = (n - k) / kLanes;
  generate(s_, out + k, steps);
  k += kLanes * steps;
  if (k < n) {
    refill();
    while (k < n) out[k++] = buf_[pos_++];
  }
}

void fill_standard_normal(Rng& rng, double* out, std::size_t n) {
  if (n == 0) return;
  UniformLanes lanes(rng);
  fill_standard_normal(lanes, out, n);
}

void fill_standard_normal(UniformLanes& lanes, double* out, std::size_t n) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  // The transform always runs over whole blocks (a constant trip count, a multiple of the vector
  // width), so every pair goes through the same vector code, wherever it falls in the array:
  // values do not depend on how an array is cut into calls. Slots past the last pair hold
  // harmless uniforms.
  double u[2 * kBlock], a[kBlock], b[kBlock], c[kBlock], s[kBlock];
  std::fill_n(a, kBlock, 0.5);
  std::fill_n(b, kBlock, 0.5);
  for (std::size_t start = 0; start < n; start += 2 * kBlock) {
    const std::size_t m = std::min(n - start, 2 * kBlock), pairs = (m + 1) / 2;
    lanes.fill(u, 2 * pairs);
    for (std::size_t p = 0; p < pairs; ++p) {
      a[p] = u[2 * p];
      b[p] = u[2 * p + 1];
    }
    for (std::size_t p = 0; p < kBlock; ++p) {
      const double r = std::sqrt(-2.0 * std::log(1.0 - a[p]));  // 1 - a in (0, 1]
      const double t = kTwoPi * b[p];
      // sin(t) as cos(t - pi/2): g++ would fuse sin(t) and cos(t) into a sincos call, which does
      // not vectorise; the shifted argument errs by at most 1 ulp of 2 pi (9e-16).
      c[p] = r * std::cos(t);
      s[p] = r * std::cos(t - 0.5 * std::numbers::pi);
    }
    double* o = out + start;
    for (std::size_t p = 0; p < m / 2; ++p) {
      o[2 * p] = c[p];
      o[2 * p + 1] = s[p];
    }
    if (m % 2 == 1) o[m - 1] = c[pairs - 1];
  }
}

namespace {

// One round of the batched Poisson sampler: every element of x takes one pair of uniforms, in
// index order. Means below 10 (and NaN, <= 0) are finished by inversion; for the others the
// pair's PTRS candidate replaces the mean if accepted, else the mean stays and the index goes to
// `rejected` (in index order).
void poisson_round(UniformLanes& lanes, double* x, std::size_t n, std::vector<std::size_t>& rejected) {
  // Decisions of the vectorised full PTRS test (kSmall: a mean below 10 or NaN, for inversion).
  constexpr double kAccept = 0.0, kReject = 1.0, kUndecided = 2.0, kSmall = 3.0;
  const double half_log_two_pi = 0.5 * std::log(2.0 * std::numbers::pi);
  constexpr double kLn2 = std::numbers::ln2;
  double uv[2 * kBlock], ua[kBlock], va[kBlock], kk[kBlock];
  std::int64_t open[kBlock];  // as wide as a double, so the squeeze loop vectorises
  std::size_t idx[kBlock], rare[kBlock];
  double res[kBlock], dec[kBlock];
  for (std::size_t start = 0; start < n; start += kBlock) {
    const std::size_t m = std::min(n - start, kBlock);
    double* xb = x + start;
    lanes.fill(uv, 2 * m);
    for (std::size_t i = 0; i < m; ++i) {
      ua[i] = uv[2 * i];
      va[i] = uv[2 * i + 1];
    }
    // Squeeze (Hoermann's step 3) for every element; means below 10 stay open.
    for (std::size_t i = 0; i < m; ++i) {
      const double lam = xb[i], u = ua[i] - 0.5, v = va[i];
      const double b = 0.931 + 2.53 * std::sqrt(std::max(lam, 10.0)), a = -0.059 + 0.02483 * b;
      const double vr = 0.9277 - 3.6224 / (b - 2.0);
      const double us = 0.5 - std::abs(u);
      const double k = std::floor((2.0 * a / us + b) * u + lam + 0.43);
      const bool done = lam >= 10.0 && us >= 0.07 && v <= vr;
      kk[i] = k;
      open[i] = done ? 0 : 1;
      xb[i] = done ? k : lam;
    }
    // Pack the indices of the open elements (branch-free: each slot is written, kept only if
    // open); the test below gathers its inputs through them.
    std::size_t c = 0;
    for (std::size_t i = 0; i < m; ++i) {
      idx[c] = i;
      c += std::size_t(open[i]);
    }
    // Quick rejection and full test (steps 4-5).
    for (std::size_t j = 0; j < c; ++j) {
      const std::size_t i = idx[j];
      const double mean = xb[i], u = ua[i] - 0.5, v = va[i], k = kk[i];
      const double lam = std::max(mean, 10.0);  // small means: a harmless stand-in, decided below
      const double sl = std::sqrt(lam), b = 0.931 + 2.53 * sl, a = -0.059 + 0.02483 * b;
      const double us = 0.5 - std::abs(u);
      // The full test  log(v) + log(1/alpha) - log(a/us^2 + b) <= -lam + k log(lam) - log(k!),
      // with log(k!) by Stirling's series at K = k + 8 for k < 10 (K = k otherwise):
      //   log(k!) = (K + 1/2) log(K) - K + log(2 pi)/2 + S(K) - log(P),
      //   P = (k + 1) (k + 2) ... (k + 8) for k < 10 (exact in double), else 1,
      // S truncated after the K^-5 term (error below 1/(1680 K^7) <= 3e-10 for K >= 8). Rearranged
      // into two logs without cancellation (d = K - k):
      //   log(v sqrt(K) K^d (1/alpha) / (P (a/us^2 + b))) <= k log(lam/K) + (K - lam) - log(2 pi)/2 - S(K).
      const bool small = k < 10.0;
      const double kp = std::max(k, 0.0);  // k < 0 is rejected below
      const double p = (kp + 1.0) * (kp + 2.0) * (kp + 3.0) * (kp + 4.0) * (kp + 5.0) * (kp + 6.0) * (kp + 7.0) * (kp + 8.0);
      const double kf = small ? kp + 8.0 : k, k2 = kf * kf, k4 = k2 * k2;
      const double shift = small ? k4 * k4 / p : 1.0;  // K^d / P
      const double sk = std::sqrt(kf), ik = 1.0 / kf, ik2 = ik * ik;
      const double series = ik * (1.0 / 12.0 - ik2 * (1.0 / 360.0 - ik2 * (1.0 / 1260.0)));
      const double lhs = std::log(v * sk * shift * (1.1239 + 1.1328 / (b - 3.4)) / (a / (us * us) + b));
      const double log_ratio = std::log(lam / kf);
      const double rhs = kp * log_ratio + (kf - lam) - half_log_two_pi - series;
      // Bound on the rounding of this and of the exact test, whose terms lam, k log(lam) and
      // log(k!) are below lam + K (2 log(lam) + |log(lam/K)|): a few ulp of that, ~1e-15
      // relative, here with a safety factor of 1000, plus the series truncation. log(lam) is
      // bounded by its binary exponent: lam < 2^(e + 1), e = the exponent field - 1023 (lam >= 10).
      const double log_lam_bound = double(std::int64_t(std::bit_cast<std::uint64_t>(lam) >> 52) - 1022) * kLn2;
      const double margin = 1e-12 * (lam + kf * (2.0 * log_lam_bound + std::abs(log_ratio)) + 1.0) + 1e-9;
      double d = lhs <= rhs - margin ? kAccept : (lhs > rhs + margin ? kReject : kUndecided);
      d = us < 0.013 && v > us ? kReject : d;
      d = k < 0.0 ? kReject : d;
      d = mean >= 10.0 ? d : kSmall;
      dec[j] = d;
    }
    // What each open element holds afterwards: the candidate where accepted, else the mean (a
    // loop of its own: with this select in it, g++ 12 does not vectorise the test above).
    for (std::size_t j = 0; j < c; ++j) {
      const std::size_t i = idx[j];
      res[j] = dec[j] == kAccept ? kk[i] : xb[i];
    }
    // Finish the open elements in index order (no draws here): the accepted ones branch-free,
    // then the rare rest (means below 10, undecided or rejected pairs).
    std::size_t nrare = 0;
    for (std::size_t j = 0; j < c; ++j) {
      xb[idx[j]] = res[j];
      rare[nrare] = j;
      nrare += std::size_t(dec[j] != kAccept);
    }
    for (std::size_t r = 0; r < nrare; ++r) {
      const std::size_t j = rare[r], i = idx[j];
      const double lam = xb[i];
      if (!(lam >= 10.0)) {
        xb[i] = lam > 0.0 ? double(detail::poisson_inversion(lam, ua[i])) : 0.0;
        continue;
      }
      if (dec[j] == kUndecided && detail::Ptrs(lam).accept(ua[i] - 0.5, va[i], kk[i])) xb[i] = kk[i];
      else rejected.push_back(start + i);
    }
  }
}

}  // namespace

void sample_poisson_inplace(Rng& rng, double* x, std::size_t n) {
  if (n == 0) return;
  UniformLanes lanes(rng);
  std::vector<std::size_t> open, rejected;
  poisson_round(lanes, x, n, open);
  // Further rounds on the rejected elements only (~10% of the previous round each).
  std::vector<double> lam;
  while (!open.empty()) {
    lam.resize(open.size());
    for (std::size_t j = 0; j < open.size(); ++j) lam[j] = x[open[j]];
    rejected.clear();
    poisson_round(lanes, lam.data(), lam.size(), rejected);
    for (std::size_t j = 0; j < open.size(); ++j) x[open[j]] = lam[j];
    for (std::size_t& r : rejected) r = open[r];
    std::swap(open, rejected);
  }
}

}  // namespace lensforge

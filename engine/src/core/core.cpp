#include <fmt/format.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/check.hpp"
#include "kpisim/core/memory.hpp"
#include "kpisim/core/rng.hpp"
#include "kpisim/core/vmath.hpp"

namespace kpisim {

namespace {
// Acklam's rational approximation: relative error below 1.15e-9 over (0,1).
constexpr double kA[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                         1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
constexpr double kB[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                         -1.328068155288572e+01};
constexpr double kC[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                         -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
constexpr double kD[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
constexpr double kPlow = 0.02425;

// The central region (95% of draws) needs no transcendental function; the tails use vmath::log,
// so that the scalar and the batch version give the same bits. Horner steps are explicit fused
// multiply-adds (std::fma rounds once, the same at every instruction set; where the hardware has no
// FMA the C library computes it exactly), half the operations of a multiply and an add.
inline double quantile_central(double p) noexcept {
  const double q = p - 0.5;
  const double r = q * q;
  using std::fma;
  const double num = fma(fma(fma(fma(fma(kA[0], r, kA[1]), r, kA[2]), r, kA[3]), r, kA[4]), r, kA[5]);
  const double den = fma(fma(fma(fma(fma(kB[0], r, kB[1]), r, kB[2]), r, kB[3]), r, kB[4]), r, 1.0);
  return num * q / den;
}

inline double quantile_tail(double q) noexcept {
  using std::fma;
  const double num = fma(fma(fma(fma(fma(kC[0], q, kC[1]), q, kC[2]), q, kC[3]), q, kC[4]), q, kC[5]);
  const double den = fma(fma(fma(fma(kD[0], q, kD[1]), q, kD[2]), q, kD[3]), q, 1.0);
  return num / den;
}
}  // namespace

double normal_quantile(double p) noexcept {
  if (p < kPlow) return quantile_tail(std::sqrt(-2 * vmath::log(p)));
  if (p <= 1 - kPlow) return quantile_central(p);
  return -quantile_tail(std::sqrt(-2 * vmath::log(1 - p)));
}

void normal_quantile_batch(const double* u, double* z, std::size_t n) noexcept {
  // The central region for every draw; then the tails (about 5% of draws), gathered into a short
  // array so that their logarithms are computed in a vectorised loop too. The same operations as
  // normal_quantile, so the same bits.
  constexpr std::size_t kPiece = 256;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) z[j] = quantile_central(u[j]);
#if defined(__AVX512F__)
  // With AVX-512, eight draws at a time: the tails' distances from the nearer end are compressed
  // into q (vcompresspd, register form), and the tails' quantiles expanded back into place
  // (vexpandpd): no branch on which draws are tails, and no loop over single draws.
  constexpr std::size_t kLanes = 8;
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    alignas(64) double q[kPiece + kLanes];
    __mmask8 tails[kPiece / kLanes];
    const __m512d low = _mm512_set1_pd(kPlow);
    const __m512d high = _mm512_set1_pd(1 - kPlow);
    const __m512d one = _mm512_set1_pd(1.0);
    std::size_t m = 0;
    for (std::size_t g = 0; g < len; g += kLanes) {
      const auto valid = static_cast<__mmask8>(len - g >= kLanes ? 0xFFU : (1U << (len - g)) - 1U);
      const __m512d x = _mm512_maskz_loadu_pd(valid, u + lo + g);
      // A tail is !(x >= kPlow && x <= 1 - kPlow); its distance from the nearer end x or 1 - x.
      const __mmask8 central = _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(x, low, _CMP_GE_OQ), x, high, _CMP_LE_OQ);
      const auto tail = static_cast<__mmask8>(valid & static_cast<__mmask8>(~central));
      const __m512d dist = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, low, _CMP_LT_OQ), _mm512_sub_pd(one, x), x);
      _mm512_storeu_pd(q + m, _mm512_maskz_compress_pd(tail, dist));
      tails[g / kLanes] = tail;
      m += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(tail)));
    }
    if (m == 0) continue;
#pragma omp simd
    for (std::size_t r = 0; r < m; ++r) q[r] = quantile_tail(std::sqrt(-2 * vmath::log(q[r])));
    const __m512i sign = _mm512_set1_epi64(static_cast<long long>(0x8000000000000000ULL));
    std::size_t r = 0;
    for (std::size_t g = 0; g < len; g += kLanes) {
      const __mmask8 tail = tails[g / kLanes];  // (none: every mask below is empty, nothing is written)
      const auto count = static_cast<unsigned>(std::popcount(static_cast<unsigned>(tail)));
      const __m512d t = _mm512_maskz_expand_pd(tail, _mm512_maskz_loadu_pd(static_cast<__mmask8>((1U << count) - 1U), q + r));
      const __m512d x = _mm512_maskz_loadu_pd(tail, u + lo + g);
      // The lower tail's quantile as it is, the upper tail's negated (its sign bit flipped).
      const __m512d neg = _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(t), sign));
      const __m512d v = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, low, _CMP_LT_OQ), neg, t);
      _mm512_mask_storeu_pd(z + lo + g, tail, v);
      r += count;
    }
  }
#else
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    std::size_t idx[kPiece];
    double q[kPiece];
    // Tail flags in a vectorised loop, then the tails gathered eight flags (one 64-bit word) at a
    // time: words without any are skipped, the others compacted without branches (which draws are
    // tails is random: branches on it would be mispredicted).
    constexpr std::size_t kWord = sizeof(std::uint64_t);
    alignas(kWord) std::uint8_t tail[kPiece];
#pragma omp simd
    for (std::size_t r = 0; r < len; ++r) tail[r] = !(u[lo + r] >= kPlow && u[lo + r] <= 1 - kPlow) ? 1 : 0;
    const std::size_t words = (len + kWord - 1) / kWord;
    std::fill(tail + len, tail + words * kWord, std::uint8_t{0});
    std::size_t m = 0;
    for (std::size_t g = 0; g < words; ++g) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, tail + g * kWord, kWord);
      if (bits == 0) continue;
      for (std::size_t j = lo + g * kWord; j < lo + (g + 1) * kWord; ++j) {  // branch-free compaction
        idx[m] = j;
        m += tail[j - lo];
      }
    }
    for (std::size_t r = 0; r < m; ++r) q[r] = u[idx[r]] < kPlow ? u[idx[r]] : 1 - u[idx[r]];
#pragma omp simd
    for (std::size_t r = 0; r < m; ++r) q[r] = quantile_tail(std::sqrt(-2 * vmath::log(q[r])));
    for (std::size_t r = 0; r < m; ++r) z[idx[r]] = u[idx[r]] < kPlow ? q[r] : -q[r];
  }
#endif
}

std::uint32_t poisson_from_uniform(double lambda, double u) noexcept {
  if (!(lambda > 0.0)) return 0;
  // P(0) = exp(-lambda) >= 1 - lambda: below that bound no draw can exceed zero.
  if (u <= 1.0 - lambda) return 0;
  if (lambda > 30.0) {
    const double x = lambda + std::sqrt(lambda) * normal_quantile(u) + 0.5;
    return x <= 0.0 ? 0U : static_cast<std::uint32_t>(x);
  }
  double p = vmath::exp(-lambda);
  double cdf = p;
  std::uint32_t k = 0;
  while (u > cdf && k < 200) {
    ++k;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

namespace {
constexpr int kPoissonSteps = 6;  // covers every draw with lambda below about 0.5 but a few in a million

// The count of Poisson(l) at uniform x by the first kPoissonSteps steps of the CDF sum, or -1 when
// the draw lies beyond them (or l > 30: the normal approximation). The factors l / m of the CDF sum,
// m = 1..6, with two divisions: l / 1, l / 2 and l / 4 are exact products, and l / 6 is exactly
// (l / 3) / 2 (halving is exact), so the same bits as dividing each time.
inline double poisson_steps(double l, double x) noexcept {
  const double l3 = l / 3.0;
  const double factor[kPoissonSteps] = {l, l * 0.5, l3, l * 0.25, l / 5.0, l3 * 0.5};
  double p = vmath::exp(-l);
  double cdf = p;
  double k = 0.0;
#pragma GCC unroll 6
  for (int s = 0; s < kPoissonSteps; ++s) {
    k += x > cdf ? 1.0 : 0.0;
    p *= factor[s];
    cdf += p;
  }
  const bool beyond = x > cdf || l > 30.0;
  return beyond ? -1.0 : k;
}
}  // namespace

void poisson_batch(const double* lambda, const double* u, double* count, std::size_t n) noexcept {
  constexpr std::size_t kPiece = 256;
#if defined(__AVX512F__)
  // With AVX-512, eight draws at a time: the draws past the zero shortcut are compressed into
  // contiguous rows (vcompresspd, register form) and their counts expanded back into place
  // (vexpandpd), with no branch on which draws they are.
  constexpr std::size_t kLanes = 8;
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    alignas(64) double lam[kPiece + kLanes], uu[kPiece + kLanes], k_out[kPiece];
    __mmask8 past[kPiece / kLanes];
    const __m512d zero = _mm512_setzero_pd();
    const __m512d one = _mm512_set1_pd(1.0);
    std::size_t m = 0;
    for (std::size_t g = 0; g < len; g += kLanes) {
      const auto valid = static_cast<__mmask8>(len - g >= kLanes ? 0xFFU : (1U << (len - g)) - 1U);
      const __m512d l = _mm512_maskz_loadu_pd(valid, lambda + lo + g);
      const __m512d x = _mm512_maskz_loadu_pd(valid, u + lo + g);
      // (l > 0) & !(x <= 1 - l); the rest are 0 (P(0) = exp(-l) >= 1 - l).
      const auto p = static_cast<__mmask8>(
          valid & _mm512_mask_cmp_pd_mask(_mm512_cmp_pd_mask(l, zero, _CMP_GT_OQ), x, _mm512_sub_pd(one, l), _CMP_NLE_UQ));
      _mm512_mask_storeu_pd(count + lo + g, valid, zero);
      _mm512_storeu_pd(lam + m, _mm512_maskz_compress_pd(p, l));
      _mm512_storeu_pd(uu + m, _mm512_maskz_compress_pd(p, x));
      past[g / kLanes] = p;
      m += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(p)));
    }
    if (m == 0) continue;
#pragma omp simd
    for (std::size_t r = 0; r < m; ++r) k_out[r] = poisson_steps(lam[r], uu[r]);
    for (std::size_t r = 0; r < m; ++r)
      if (k_out[r] < 0.0) k_out[r] = static_cast<double>(poisson_from_uniform(lam[r], uu[r]));
    std::size_t r = 0;
    for (std::size_t g = 0; g < len; g += kLanes) {
      const __mmask8 p = past[g / kLanes];  // (none: every mask below is empty, nothing is written)
      const auto c = static_cast<unsigned>(std::popcount(static_cast<unsigned>(p)));
      const __m512d k = _mm512_maskz_expand_pd(p, _mm512_maskz_loadu_pd(static_cast<__mmask8>((1U << c) - 1U), k_out + r));
      _mm512_mask_storeu_pd(count + lo + g, p, k);
      r += c;
    }
  }
#else
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    // Most draws are 0 by the shortcut of poisson_from_uniform (P(0) = exp(-lambda) >= 1 - lambda);
    // the others are flagged in a vectorised loop and gathered for the CDF sum, eight flags (one
    // 64-bit word) at a time: words without any are skipped, the others compacted without branches.
    std::uint32_t idx[kPiece];
    double lam[kPiece], uu[kPiece], k_out[kPiece];
    constexpr std::size_t kWord = sizeof(std::uint64_t);
    alignas(kWord) std::uint8_t past[kPiece];
#pragma omp simd
    for (std::size_t r = 0; r < len; ++r) {
      const double l = lambda[lo + r];
      const double x = u[lo + r];
      past[r] = ((l > 0.0) & !(x <= 1.0 - l)) ? 1 : 0;
      count[lo + r] = 0.0;
    }
    const std::size_t words = (len + kWord - 1) / kWord;
    std::fill(past + len, past + words * kWord, std::uint8_t{0});
    std::size_t m = 0;
    for (std::size_t g = 0; g < words; ++g) {
      std::uint64_t bits = 0;
      std::memcpy(&bits, past + g * kWord, kWord);
      if (bits == 0) continue;
      for (std::size_t r = g * kWord; r < (g + 1) * kWord; ++r) {
        idx[m] = static_cast<std::uint32_t>(r);
        m += past[r];
      }
    }
    for (std::size_t r = 0; r < m; ++r) {
      lam[r] = lambda[lo + idx[r]];
      uu[r] = u[lo + idx[r]];
    }
#pragma omp simd
    for (std::size_t r = 0; r < m; ++r) k_out[r] = poisson_steps(lam[r], uu[r]);
    for (std::size_t r = 0; r < m; ++r)
      count[lo + idx[r]] = k_out[r] >= 0.0 ? k_out[r] : static_cast<double>(poisson_from_uniform(lam[r], uu[r]));
  }
#endif
}

std::string_view to_string(Cadence c) noexcept {
  switch (c) {
    case Cadence::daily:
      return "daily";
    case Cadence::weekly:
      return "weekly";
    case Cadence::monthly:
      return "monthly";
    case Cadence::quarterly:
      return "quarterly";
    case Cadence::annual:
      return "annual";
  }
  return "daily";
}

bool parse_cadence(std::string_view s, Cadence& out) noexcept {
  for (Cadence c : {Cadence::daily, Cadence::weekly, Cadence::monthly, Cadence::quarterly, Cadence::annual}) {
    if (s == to_string(c)) {
      out = c;
      return true;
    }
  }
  return false;
}

namespace detail {
void check_failed(const char* cond, const std::string& what, const char* file, int line) {
  throw InvariantError(fmt::format("invariant violated: {} ({}) at {}:{}", what, cond, file, line));
}
}  // namespace detail

std::size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

}  // namespace kpisim

#include <fmt/format.h>

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

void poisson_batch(const double* lambda, const double* u, double* count, std::size_t n) noexcept {
  constexpr int kSteps = 6;  // covers every draw with lambda below about 0.5 but a few in a million
  constexpr std::size_t kPiece = 256;
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
    for (std::size_t r = 0; r < m; ++r) {
      const double l = lam[r];
      // The factors l / m of the CDF sum, m = 1..6, with two divisions: l / 1, l / 2 and l / 4 are
      // exact products, and l / 6 is exactly (l / 3) / 2 (halving is exact), so the same bits as
      // dividing each time.
      const double l3 = l / 3.0;
      const double factor[kSteps] = {l, l * 0.5, l3, l * 0.25, l / 5.0, l3 * 0.5};
      double p = vmath::exp(-l);
      double cdf = p;
      double k = 0.0;
#pragma GCC unroll 6
      for (int s = 0; s < kSteps; ++s) {
        k += uu[r] > cdf ? 1.0 : 0.0;
        p *= factor[s];
        cdf += p;
      }
      const bool beyond = uu[r] > cdf || l > 30.0;
      k_out[r] = beyond ? -1.0 : k;
    }
    for (std::size_t r = 0; r < m; ++r)
      count[lo + idx[r]] = k_out[r] >= 0.0 ? k_out[r] : static_cast<double>(poisson_from_uniform(lam[r], uu[r]));
  }
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

#pragma once
// Elementary functions written for the daily loop: branch-free, so that loops calling them
// vectorise, and independent of the C library, so that results do not change with its version.
// Polynomials are evaluated by Horner steps written as std::fma: one rounding per step (IEEE 754
// defines it), so the same bits with a hardware FMA or without (the C library's fma is exact), in
// half the operations of a multiply and an add.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kpisim::vmath {

/// e^x with a relative error below 3e-16 for x in [-708, 709]; 0 below, +inf above.
/// Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, and a degree-13 Taylor polynomial for e^r
/// (truncation error below 5e-18), then scaling by 2^n through the exponent bits.
/// tests/unit/test_rules.cpp checks it against std::exp.
inline double exp(double x) noexcept {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 with the last 32 bits zero: n * hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer in the low bits
  const double xc = x < -708.0 ? -708.0 : (x > 709.0 ? 709.0 : x);
  const double shifted = xc * kLog2e + kShift;
  const double n = shifted - kShift;
  const double r = (xc - n * kLn2Hi) - n * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = std::fma(p, r, 1.0 / 479001600.0);
  p = std::fma(p, r, 1.0 / 39916800.0);
  p = std::fma(p, r, 1.0 / 3628800.0);
  p = std::fma(p, r, 1.0 / 362880.0);
  p = std::fma(p, r, 1.0 / 40320.0);
  p = std::fma(p, r, 1.0 / 5040.0);
  p = std::fma(p, r, 1.0 / 720.0);
  p = std::fma(p, r, 1.0 / 120.0);
  p = std::fma(p, r, 1.0 / 24.0);
  p = std::fma(p, r, 1.0 / 6.0);
  p = std::fma(p, r, 0.5);
  p = std::fma(p, r, 1.0);
  p = std::fma(p, r, 1.0);
  // The integer n sits in the low bits of `shifted`; (n + 1023) << 52 is the bit pattern of 2^n.
  const std::uint64_t bits = (std::bit_cast<std::uint64_t>(shifted) + 1023U) << 52U;
  const double y = p * std::bit_cast<double>(bits);
  return x < -708.0 ? 0.0 : (x > 709.0 ? std::numeric_limits<double>::infinity() : y);
}

/// Rounds to float a double r that a scalar computation gives with std::exp, from the same
/// computation done with vmath::exp (`v`), in a loop that vectorises, to the same bits: the two
/// exponentials differ by a few ulps (tests/unit/test_batch.cpp: below 2^-51 relative for results
/// that are normal doubles), and the same few roundings after them keep v within a relative 2^-50
/// or so of r, far inside the 2^-40 allowed here. Rounding to float is monotone: when both ends of
/// v (1 -+ 2^-40) round to the same float, so does r, and it is written to `out`; otherwise (r
/// within 2^-40 of a float rounding boundary: about one value in 30,000) the result is false and r
/// must be computed as it is. The caller keeps exp's argument where its result is a normal double
/// (at least -700, say); below, the relative bound does not hold.
inline bool sure_float(double v, float& out) noexcept {
  const auto lo = static_cast<float>(v * (1.0 - 0x1p-40));
  const auto hi = static_cast<float>(v * (1.0 + 0x1p-40));
  out = lo;
  return lo == hi;
}

/// Natural logarithm with a relative error below 4e-16 for normal positive x (what the normal
/// quantile's tails need: x in [1e-10, 0.03]). x = 2^e m with m in [sqrt(1/2), sqrt(2)), then
/// log m = 2 atanh(s), s = (m - 1)/(m + 1), |s| < 0.172, by its series to s^23 (truncation below
/// 1e-18). Zero, negative, subnormal and non-finite x are not handled (the callers never pass them).
inline double log(double x) noexcept {
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  // Mantissa scaled into [1, 2), then into [sqrt(1/2), sqrt(2)) by moving one factor 2 to e.
  const std::uint64_t mant_bits = (bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL;
  double m = std::bit_cast<double>(mant_bits);
  // The exponent field k (11 bits) as a double, exactly, without an integer-to-double conversion
  // (AVX2 has none for 64-bit lanes, and the loop would stay scalar): the bits of 2^52 + k, less
  // 2^52 + 1023.
  double e = std::bit_cast<double>((bits >> 52U) | 0x4330000000000000ULL) - (0x1p52 + 1023.0);
  const bool high = m > 1.4142135623730951;
  m = high ? 0.5 * m : m;
  e = high ? e + 1.0 : e;
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23.0;
  p = std::fma(p, s2, 1.0 / 21.0);
  p = std::fma(p, s2, 1.0 / 19.0);
  p = std::fma(p, s2, 1.0 / 17.0);
  p = std::fma(p, s2, 1.0 / 15.0);
  p = std::fma(p, s2, 1.0 / 13.0);
  p = std::fma(p, s2, 1.0 / 11.0);
  p = std::fma(p, s2, 1.0 / 9.0);
  p = std::fma(p, s2, 1.0 / 7.0);
  p = std::fma(p, s2, 1.0 / 5.0);
  p = std::fma(p, s2, 1.0 / 3.0);
  const double log_m = 2.0 * s + 2.0 * s * s2 * p;
  return (e * kLn2Hi + log_m) + e * kLn2Lo;
}

}  // namespace kpisim::vmath

#pragma once
// Elementary functions written for the daily loop: branch-free, so that loops calling them
// vectorise, and independent of the C library, so that results do not change with its version.
#include <bit>
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
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // The integer n sits in the low bits of `shifted`; (n + 1023) << 52 is the bit pattern of 2^n.
  const std::uint64_t bits = (std::bit_cast<std::uint64_t>(shifted) + 1023U) << 52U;
  const double y = p * std::bit_cast<double>(bits);
  return x < -708.0 ? 0.0 : (x > 709.0 ? std::numeric_limits<double>::infinity() : y);
}

}  // namespace kpisim::vmath

#pragma once
// Counter-based random streams (Philox4x32-10, Random123).
//
// Every draw is a pure function of (seed, replication, agent, day, purpose, index): no generator
// state is carried between agents or threads, so results do not depend on the number of threads or
// on the order in which agents are processed. Policies share the replication key (not their own),
// which gives common random numbers across policies: the same people, tasks and luck.
#include <Random123/philox.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace kpisim {

/// Purposes of random draws. Each draw gives four independent uniforms ("lanes"); the lanes of a
/// purpose are assigned below and never used for anything else. A new mechanism takes a new value.
enum class Purpose : std::uint32_t {
  traits = 1,       ///< traits of the person hired into a slot (blocks 0-2; keyed by hire day)
  arrivals = 2,     ///< lane 0: work arriving; 1: outcome-measurement noise; 2: quit draw
  decision = 3,     ///< lanes 0-3: bounded-rationality noise on the four activities
  defects = 4,      ///< lane 0: errors caught; 1: errors passed on; 2: chatbot escalations
  measurement = 5,  ///< lane 0: usage-dashboard noise (when enabled)
  learning = 6,     ///< noise on experienced AI gains: block j/4, lane j%4 for the j-th task of the division's mix
  audit = 8,        ///< lane 0: audited in the next period
  managers = 9,     ///< lane 0: a unit manager's readiness to mandate (agent = unit index, day 0; drawn once)
  seats = 10,       ///< lane 0: a slot's tie-break for AI licences (`seats` regime; day 0, drawn once)
};

/// Four independent 32-bit draws for one (agent, day, purpose, block).
class Rng {
 public:
  using Philox = r123::Philox4x32;

  Rng(std::uint64_t seed, std::uint32_t replication) noexcept {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32U) ^ (replication * 0x9E3779B9U)}};
  }

  /// Four uniforms in (0,1) for (agent, day, purpose, block).
  struct U4 {
    double u[4];
  };
  [[nodiscard]] U4 uniform4(std::uint32_t agent, std::uint32_t day, Purpose purpose, std::uint32_t block = 0) const noexcept {
    Philox gen;
    const Philox::ctr_type ctr = {{agent, day, static_cast<std::uint32_t>(purpose), block}};
    const Philox::ctr_type r = gen(ctr, key_);
    U4 out{};
    for (int i = 0; i < 4; ++i) out.u[i] = to_open01(r.v[i]);
    return out;
  }

  /// uniform4(agent0 + j, day, purpose, block) for j < count, lane l written to out[l][j]; the same
  /// bits as the scalar call, in a form compilers vectorise across agents (Philox4x32-10 written
  /// out with 64-bit products; tests/unit/test_batch.cpp checks it against Random123). Lanes whose
  /// out[l] is null are not written.
  void uniform4_batch(std::uint32_t agent0, std::size_t count, std::uint32_t day, Purpose purpose, std::uint32_t block,
                      double* const out[4]) const noexcept {
    constexpr std::uint32_t m0 = 0xD2511F53U;
    constexpr std::uint32_t m1 = 0xCD9E8D57U;
    constexpr std::uint32_t w0 = 0x9E3779B9U;
    constexpr std::uint32_t w1 = 0xBB67AE85U;
    const auto p = static_cast<std::uint32_t>(purpose);
    double* const o0 = out[0];
    double* const o1 = out[1];
    double* const o2 = out[2];
    double* const o3 = out[3];
    if (o0 == nullptr || o1 == nullptr || o2 == nullptr || o3 == nullptr) {
      constexpr std::size_t kSink = 64;
      // Some lanes unused: write them to a sink (keeps the loop below free of branches).
      for (std::size_t j = 0; j < count; j += kSink) {
        const std::size_t m = count - j < kSink ? count - j : kSink;
        double sink[kSink];
        double* const part[4] = {o0 != nullptr ? o0 + j : sink, o1 != nullptr ? o1 + j : sink, o2 != nullptr ? o2 + j : sink,
                                 o3 != nullptr ? o3 + j : sink};
        uniform4_batch(agent0 + static_cast<std::uint32_t>(j), m, day, purpose, block, part);
      }
      return;
    }
#if defined(__AVX512F__)
    // With AVX-512 each counter word is kept in a 64-bit lane (values below 2^32): a product is then
    // one multiply of 64-bit lanes and its halves a shift and a mask, where 32-bit lanes need
    // widening before the multiply and shuffles after it (GCC 12: the whole batch about 1.8 times
    // as fast). The same integers, so the same bits. Without AVX-512 (no cheap conversion of 64-bit
    // lanes to double) the 32-bit form below is as fast (AVX2) or faster (SSE).
    constexpr std::uint64_t low = 0xFFFFFFFFU;
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) {
      std::uint64_t c0 = static_cast<std::uint32_t>(agent0 + static_cast<std::uint32_t>(j));
      std::uint64_t c1 = day;
      std::uint64_t c2 = p;
      std::uint64_t c3 = block;
      std::uint32_t k0 = key_.v[0];
      std::uint32_t k1 = key_.v[1];
      for (int r = 0; r < 10; ++r) {
        const std::uint64_t p0 = std::uint64_t{m0} * c0;
        const std::uint64_t p1 = std::uint64_t{m1} * c2;
        c0 = (p1 >> 32U) ^ c1 ^ k0;
        c1 = p1 & low;
        c2 = (p0 >> 32U) ^ c3 ^ k1;
        c3 = p0 & low;
        k0 += w0;
        k1 += w1;
      }
      o0[j] = to_open01_lane(c0);
      o1[j] = to_open01_lane(c1);
      o2[j] = to_open01_lane(c2);
      o3[j] = to_open01_lane(c3);
    }
#else
#pragma omp simd
    for (std::size_t j = 0; j < count; ++j) {
      std::uint32_t c0 = agent0 + static_cast<std::uint32_t>(j);
      std::uint32_t c1 = day;
      std::uint32_t c2 = p;
      std::uint32_t c3 = block;
      std::uint32_t k0 = key_.v[0];
      std::uint32_t k1 = key_.v[1];
      for (int r = 0; r < 10; ++r) {
        const std::uint64_t p0 = static_cast<std::uint64_t>(m0) * c0;
        const std::uint64_t p1 = static_cast<std::uint64_t>(m1) * c2;
        const auto hi0 = static_cast<std::uint32_t>(p0 >> 32U);
        const auto hi1 = static_cast<std::uint32_t>(p1 >> 32U);
        c0 = hi1 ^ c1 ^ k0;
        c1 = static_cast<std::uint32_t>(p1);
        c2 = hi0 ^ c3 ^ k1;
        c3 = static_cast<std::uint32_t>(p0);
        k0 += w0;
        k1 += w1;
      }
      o0[j] = to_open01_signed(c0);
      o1[j] = to_open01_signed(c1);
      o2[j] = to_open01_signed(c2);
      o3[j] = to_open01_signed(c3);
    }
#endif
  }

  /// Maps a 32-bit integer to a double in the open interval (0,1): (x + 0.5) / 2^32.
  static constexpr double to_open01(std::uint32_t x) noexcept {
    return (static_cast<double>(x) + 0.5) * (1.0 / 4294967296.0);
  }
  /// The same value through a signed conversion (x - 2^31 as int32, exact), which SIMD units have.
  static constexpr double to_open01_signed(std::uint32_t x) noexcept {
    return (static_cast<double>(static_cast<std::int32_t>(x ^ 0x80000000U)) + 2147483648.5) * (1.0 / 4294967296.0);
  }
  /// The same value for x < 2^32 held in a 64-bit lane: x is exactly the double with x in the low
  /// bits of 2^52's mantissa, less 2^52 (an OR and a subtraction, which SIMD units have for 64-bit lanes).
  static double to_open01_lane(std::uint64_t x) noexcept {
    return ((std::bit_cast<double>(x | 0x4330000000000000ULL) - 4503599627370496.0) + 0.5) * (1.0 / 4294967296.0);
  }

 private:
  Philox::key_type key_{};
};

/// Standard normal by inverse CDF (Acklam's rational approximation, relative error < 1.15e-9);
/// one uniform in, one normal out, so draws stay aligned with their counters.
double normal_quantile(double u) noexcept;

/// z[j] = normal_quantile(u[j]) for j < n (bit-identical to the scalar function), in a loop
/// compilers vectorise.
void normal_quantile_batch(const double* u, double* z, std::size_t n) noexcept;

/// Standard normal CDF and density.
inline double normal_cdf(double x) noexcept {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}
inline double normal_pdf(double x) noexcept {
  return 0.3989422804014327 * std::exp(-0.5 * x * x);
}

/// Poisson(lambda) by inversion of one uniform; exact for the CDF sums used (lambda <= ~30),
/// normal approximation above that.
std::uint32_t poisson_from_uniform(double lambda, double u) noexcept;

/// count[j] = poisson_from_uniform(lambda[j], u[j]) for j < n (the same values): a few steps of
/// the CDF sum for all draws in a loop compilers vectorise, the scalar function for the rare
/// draws beyond them.
void poisson_batch(const double* lambda, const double* u, double* count, std::size_t n) noexcept;

}  // namespace kpisim

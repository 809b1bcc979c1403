#pragma once
// Counter-based random streams (Philox4x32-10, Random123).
//
// Every draw is a pure function of (seed, replication, agent, day, purpose, index): no generator
// state is carried between agents or threads, so results do not depend on the number of threads or
// on the order in which agents are processed. Policies share the replication key (not their own),
// which gives common random numbers across policies: the same people, tasks and luck.
#include <Random123/philox.h>

#include <cmath>
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

  /// Maps a 32-bit integer to a double in the open interval (0,1): (x + 0.5) / 2^32.
  static constexpr double to_open01(std::uint32_t x) noexcept { return (static_cast<double>(x) + 0.5) * (1.0 / 4294967296.0); }

 private:
  Philox::key_type key_{};
};

/// Standard normal by inverse CDF (Acklam's rational approximation, relative error < 1.15e-9);
/// one uniform in, one normal out, so draws stay aligned with their counters.
double normal_quantile(double u) noexcept;

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

}  // namespace kpisim

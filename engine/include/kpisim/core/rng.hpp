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

/// Purposes of random draws. A new mechanism takes a new value; never reuse one for two uses.
enum class Purpose : std::uint32_t {
  traits = 1,         ///< initial traits of the person in a slot (hire-dependent)
  arrivals = 2,       ///< daily work arrivals
  decision = 3,       ///< bounded-rationality noise in the allocation
  defects = 4,        ///< AI defects and their detection
  measurement = 5,    ///< KPI measurement noise
  learning = 6,       ///< noise on experienced AI outcomes
  attrition = 7,      ///< quit draw
  audit = 8,          ///< audit selection and detection
  chatbot = 9,        ///< chatbot containment
  organisation = 10,  ///< unit tree assignment
  snapshot = 11,      ///< agent sample for snapshots
  script = 12,        ///< scripted-padding adoption
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

/// Standard normal by inverse CDF (Acklam's rational approximation refined by one Halley step);
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

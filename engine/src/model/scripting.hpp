#pragma once
// Scripted padding: docs/model.md section 7.5. Pure functions inlined into the per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_scripting.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/rules.hpp"

namespace kpisim::detail::scripting {

/// Expected prize, USD a day, of extra usage the KPI would pay `linear` USD a day for at today's
/// marginal rate, when the usage incentives can pay at most `cap` USD a day (a prize or a bonus
/// spread over its period): cap x (1 - exp(-linear / cap)). It equals `linear` for small steps,
/// never exceeds `cap`, and is 0 without a cap (a tiny prize has a tiny effect). Used for an hour
/// of padding (allocation_problem.hpp); scripts use the exact contest gain below.
inline double bounded_prize(double linear, double cap) noexcept {
  return cap > 0.0 ? cap * (1.0 - vmath::exp(-std::max(0.0, linear) / cap)) : 0.0;
}

/// Expected prize, USD a day, of running one's script at intensity x in a usage contest (a
/// leaderboard's cutoff or a quota's target, written by the regime): the stake times the change in
/// the probability of passing the threshold, stake x [Phi((kept x - gap) / sigma) - Phi(-gap / sigma)],
/// with the gap to the threshold and the perceived noise in units of the full script's contribution
/// to the score, and `kept` the share of it an audit leaves. Never above the stake; 0 without a contest.
inline double contest_gain(double x, double stake, double kept, double gap, double sigma) noexcept {
  if (!(stake > 0.0) || !(sigma > 0.0)) return 0.0;
  const double z_with = (kept * x - gap) / sigma;
  const double z_without = -gap / sigma;
  // Both far on the same side of the threshold: the chances differ by less than 1e-15 (and the
  // error functions, the costly part, are skipped for most people).
  if ((z_with < -8.0 && z_without < -8.0) || (z_with > 8.0 && z_without > 8.0)) return 0.0;
  return stake * (rules::normal_cdf(z_with) - rules::normal_cdf(z_without));
}

/// The intensity x in [0, 1] that maximises sens x contest_gain(x) - cost x x (cost: the felt cost
/// of the full script's size, USD a day). The gain is S-shaped in x: the optimum is where the
/// density of passing the threshold has fallen to cost x sigma / (sens x stake x kept), on its far
/// side (z* = sqrt(-2 ln(q sqrt(2 pi)))), or the whole script when size costs nothing; 0 when even
/// the steepest step does not pay.
inline double contest_intensity(double sens, double stake, double kept, double gap, double sigma, double cost) noexcept {
  if (!(stake > 0.0) || !(sigma > 0.0) || !(kept > 0.0) || !(sens > 0.0)) return 0.0;
  if (!(cost > 0.0)) return 1.0;
  const double q = cost * sigma / (sens * stake * kept) * 2.5066282746310002;  // x sqrt(2 pi): phi(z) = q / sqrt(2 pi)
  if (q >= 1.0) return 0.0;
  const double z = std::sqrt(-2.0 * std::log(q));
  return std::clamp((gap + sigma * z) / kept, 0.0, 1.0);
}

/// Net felt payoff (USD a day) of running a script with expected prize `gain` at intensity x: the
/// prize, weighed by reward sensitivity, less the expected penalty, the size cost and the integrity
/// cost of scripting at all (`integrity_cost` = integrity x script_integrity_cost_usd).
inline double net_payoff(double sens, double gain, double penalty, double cost, double integrity_cost, double x) noexcept {
  return sens * (gain - penalty) - cost * x - integrity_cost;
}

/// Start above the hysteresis band, stop below it, otherwise keep doing what one did.
inline std::uint8_t decide(std::uint8_t scripting, double net, double hysteresis) noexcept {
  if (scripting == 0 && net > hysteresis) return 1;
  if (scripting != 0 && net < -hysteresis) return 0;
  return scripting;
}

}  // namespace kpisim::detail::scripting

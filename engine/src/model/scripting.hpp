#pragma once
// Scripted padding: docs/model.md section 7.5. Pure functions inlined into the per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_scripting.cpp.
#include <algorithm>
#include <cstdint>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/vmath.hpp"

namespace kpisim::detail::scripting {

/// Expected prize, USD a day, of extra usage the KPI would pay `linear` USD a day for at today's
/// marginal rate, when the usage incentives can pay at most `cap` USD a day (a prize or a bonus
/// spread over its period): cap x (1 - exp(-linear / cap)). It equals `linear` for small steps,
/// never exceeds `cap`, and is 0 without a cap (a tiny prize has a tiny effect).
inline double bounded_prize(double linear, double cap) noexcept {
  return cap > 0.0 ? cap * (1.0 - vmath::exp(-std::max(0.0, linear) / cap)) : 0.0;
}

/// The intensity x in [0, 1] of the script a person would run (a share of her script's capacity:
/// its tokens and sessions a day): the x that maximises sens x bounded_prize(rate x x, cap) -
/// cost x x, where `rate` is what the full script would earn at today's marginal rates (USD a day,
/// after the audit filter) and `cost` the felt cost of running it at full size:
/// x* = (cap / rate) ln(sens x rate / cost) when that is positive, at most 1; the full script when
/// its size costs nothing.
inline double intensity(double sens, double rate, double cap, double cost) noexcept {
  const double gain = sens * rate;
  if (!(gain > 0.0) || !(cap > 0.0)) return 0.0;
  if (!(cost > 0.0)) return 1.0;
  if (gain <= cost) return 0.0;
  return std::min(1.0, cap / rate * vmath::log(gain / cost));
}

/// Net felt payoff (USD a day) of running a script at intensity x: the bounded expected prize,
/// weighed by reward sensitivity, less the expected penalty, the size cost and the integrity cost
/// of scripting at all (`integrity_cost` = integrity x script_integrity_cost_usd).
inline double net_payoff(double sens, double rate, double cap, double penalty, double cost, double integrity_cost, double x) noexcept {
  return sens * (bounded_prize(rate * x, cap) - penalty) - cost * x - integrity_cost;
}

/// Start above the hysteresis band, stop below it, otherwise keep doing what one did.
inline std::uint8_t decide(std::uint8_t scripting, double net, double hysteresis) noexcept {
  if (scripting == 0 && net > hysteresis) return 1;
  if (scripting != 0 && net < -hysteresis) return 0;
  return scripting;
}

}  // namespace kpisim::detail::scripting

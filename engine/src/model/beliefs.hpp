#pragma once
// What people learn from: belief updating, docs/model.md section 7.11.
// Pure functions inlined into the weekly plan (weekly_plan.cpp) and tested directly in
// tests/unit/test_beliefs.cpp.
#include <algorithm>
#include <cmath>

#include "kpisim/config/scenario.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim::detail::beliefs {

/// The gain a person experiences per AI hour on task t: the true gain less the clean-up hours per
/// AI hour that come back to them (the workslop share of their errors lands on colleagues unseen).
inline double experienced_gain(const TaskSpec& t, double true_gain, double defect_prob, double workslop_share) noexcept {
  const double returned = defect_prob * t.stakes_hours * (1.0 - workslop_share) / (t.base_hours * t.time_factor);
  return true_gain - returned;
}

/// The belief after a week with `hours_used` AI hours on the task: a noisy observation (sd shrinking
/// with the hours of experience; z a standard normal draw) pulls it with weight min(1, rate x hours).
/// Unchanged without experience.
inline float update(float belief, double experienced, const Learning& lr, double z, double hours_used) noexcept {
  const double obs = experienced + lr.observation_sd * z / std::sqrt(std::max(1.0, hours_used));
  const double weight = std::min(1.0, lr.belief_rate * hours_used);
  const double b0 = belief;
  return hours_used > 0 ? static_cast<float>(b0 + weight * (obs - b0)) : belief;
}

}  // namespace kpisim::detail::beliefs

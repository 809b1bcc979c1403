#pragma once
// What people learn from: belief updating, docs/model.md section 7.11.
// Pure functions inlined into the weekly plan (weekly_plan.cpp) and tested directly in
// tests/unit/test_beliefs.cpp.
#include <algorithm>
#include <cmath>

#include "kpisim/config/scenario.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim::detail::beliefs {

/// The gain in value per hour of AI-assisted work a person perceives on a task: the gain as it
/// happens, shifted by the perception bias (METR 2025: developers who were 19% slower believed they
/// were 20% faster). Errors and their clean-up are not in it: people learn those as trust (7.12)
/// and weigh them in the choice (7.2, ai_choice.hpp).
inline double perceived_gain(double true_gain, double perception_bias) noexcept {
  return true_gain + perception_bias;
}

/// What a week with `hours_used` AI hours perceived at `perceived` and `hours_trained` hours of
/// training, where the exercises show the true gain, teaches: the hours-weighted mean. Without
/// training, exactly `perceived` (branch-free for the vectorised plan).
inline double with_training(double perceived, double hours_used, double true_gain, double hours_trained) noexcept {
  const double total = hours_used + hours_trained;
  const double mixed = (perceived * hours_used + true_gain * hours_trained) / std::max(total, 1e-300);
  return hours_trained > 0 ? mixed : perceived;
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

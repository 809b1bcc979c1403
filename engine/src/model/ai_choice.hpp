#pragma once
// The AI-or-manual choice of the weekly plan, net of the checking and clean-up a person expects:
// docs/model.md section 7.2. Pure functions inlined into the weekly plan (weekly_plan.cpp) and
// tested directly in tests/unit/test_ai_choice.cpp.
#include <algorithm>

#include "kpisim/model/spec.hpp"

namespace kpisim::detail::ai_choice {

/// The error probability a person perceives for one AI output on task t: her perceived share of
/// AI outputs with an error (1 - trust, learned from the errors she sees, 7.12) spread over task
/// types in proportion to their nominal error rates (the tool's relative error rates are common
/// knowledge; the level is what each person learns). `nominal_mean` is the division's
/// mix-weighted mean of the tasks' nominal error rates.
inline double perceived_defect_prob(const TaskSpec& t, double trust, double nominal_mean) noexcept {
  return nominal_mean > 0 ? std::clamp((1.0 - trust) * t.defect_prob / nominal_mean, 0.0, 1.0) : 0.0;
}

/// Hours a person expects to lose per passed error on task t, in hours of her own work: the
/// downstream clean-up hours plus the task's value at risk at her own value per hour (value_usd /
/// value_per_hour: the same in hours at any skill).
inline double hours_per_passed_error(const TaskSpec& t) noexcept { return t.stakes_hours + t.value_usd / t.value_per_hour; }

/// Expected overhead hours per hour of AI-assisted work on task t at perceived error probability
/// `p_hat`: the cheaper of checking everything (verification_ratio hours per AI hour; the errors
/// found cost their fix, the rest pass) and checking nothing (every error passes).
inline double overhead_per_ai_hour(const TaskSpec& t, double p_hat, double verification_ratio, double verification_efficacy) noexcept {
  const double errors_per_ai_hour = p_hat / (t.base_hours * t.time_factor);
  const double passed = hours_per_passed_error(t);
  const double check = verification_ratio + errors_per_ai_hour * (verification_efficacy * t.fix_hours + (1.0 - verification_efficacy) * passed);
  const double skip = errors_per_ai_hour * passed;
  return std::min(check, skip);
}

/// The felt friction of working with AI rather than by habit, USD per hour: falls linearly from
/// `friction_usd` at proficiency 0 to 0 at proficiency 1.
inline double friction(double friction_usd, double proficiency) noexcept { return friction_usd * (1.0 - proficiency); }

}  // namespace kpisim::detail::ai_choice

#pragma once
// The AI-or-manual choice of the weekly plan, net of the checking and clean-up a person expects:
// docs/model.md section 7.2. Pure functions inlined into the weekly plan (weekly_plan.cpp) and
// tested directly in tests/unit/test_ai_choice.cpp.
#include <algorithm>

#include "kpisim/model/rules.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim::detail::ai_choice {

/// The error probability a person perceives for one AI output on task t: her perceived share of
/// AI outputs with an error (1 - trust, learned from the errors she sees, 7.12) spread over task
/// types in proportion to their nominal error rates (the tool's relative error rates are common
/// knowledge; the level is what each person learns). `nominal_mean` is the division's
/// mix-weighted mean of the tasks' nominal error rates.
inline double perceived_defect_prob(double trust, double relative_rate) noexcept {
  return std::clamp((1.0 - trust) * relative_rate, 0.0, 1.0);
}

/// The task's nominal error rate relative to the division's mean (0 without error-prone tasks).
inline double relative_rate(const TaskSpec& t, double nominal_mean) noexcept {
  return nominal_mean > 0 ? t.defect_prob / nominal_mean : 0.0;
}

inline double perceived_defect_prob(const TaskSpec& t, double trust, double nominal_mean) noexcept {
  return perceived_defect_prob(trust, relative_rate(t, nominal_mean));
}

/// Hours a person expects to lose per passed error on task t, in hours of her own work: the
/// downstream clean-up hours plus the task's value at risk at her own value per hour (value_usd /
/// value_per_hour: the same in hours at any skill).
inline double hours_per_passed_error(const TaskSpec& t) noexcept {
  return t.stakes_hours + t.value_usd / t.value_per_hour;
}

/// Expected overhead hours per hour of AI-assisted work on task t at perceived error probability
/// `p_hat`: the cheaper of checking everything (verification_ratio hours per AI hour; the errors
/// found cost their fix, the rest pass) and checking nothing (every error passes).
/// The same from the task's numbers: `tasks_per_ai_hour` = 1 / (base_hours x time_factor), `passed`
/// = hours_per_passed_error(t), `fix_hours` (the weekly plan's loop over people uses this form, with
/// the task's numbers hoisted out of it).
inline double overhead_per_ai_hour(double p_hat, double tasks_per_ai_hour, double passed, double fix_hours, double verification_ratio,
                                   double verification_efficacy) noexcept {
  const double errors_per_ai_hour = p_hat * tasks_per_ai_hour;
  const double check =
      verification_ratio + errors_per_ai_hour * (verification_efficacy * fix_hours + (1.0 - verification_efficacy) * passed);
  const double skip = errors_per_ai_hour * passed;
  return std::min(check, skip);
}

inline double overhead_per_ai_hour(const TaskSpec& t, double p_hat, double verification_ratio, double verification_efficacy) noexcept {
  return overhead_per_ai_hour(p_hat, 1.0 / (t.base_hours * t.time_factor), hours_per_passed_error(t), t.fix_hours, verification_ratio,
                              verification_efficacy);
}

/// The felt friction of working with AI rather than by habit, USD per hour: falls linearly from
/// `friction_usd` at proficiency 0 to 0 at proficiency 1, and rises as professional efficacy falls
/// below the baseline's (`efficacy_friction` per unit; rules::kRefEfficacy).
inline double friction(double friction_usd, double proficiency, double efficacy, double efficacy_friction) noexcept {
  return friction_usd * (1.0 - proficiency) * std::max(0.0, 1.0 + efficacy_friction * (rules::kRefEfficacy - efficacy));
}

}  // namespace kpisim::detail::ai_choice

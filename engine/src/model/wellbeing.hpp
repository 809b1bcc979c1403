#pragma once
// Well-being (job demands-resources): docs/model.md section 7.13.
// Pure functions of one person's day, inlined into the vectorised per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_wellbeing.cpp.
#include <algorithm>

#include "kpisim/config/scenario.hpp"
#include "kpisim/model/rules.hpp"

namespace kpisim::detail::wellbeing {

// Fixed constants of the model (documented in docs/model.md, 7.13 and Known simplifications).
constexpr double kShameDecay = 0.9;        // shame left after a day
constexpr double kMandateHindrance = 0.5;  // hindrance demand of working under a mandate
constexpr double kEngagementDrain = 2.0;   // engagement loss per unit exhaustion, relative to engagement_rate
constexpr double kMandateAutonomy = 0.5;   // share of autonomy left under a mandate

inline double clamp01(double x) noexcept {
  return std::clamp(x, 0.0, 1.0);
}

/// What she expects the regime to pay her per working day (USD, net of penalties), learned from
/// what it has paid her: adaptive expectations over working days, `received` being what reached her
/// since her last working day.
inline double reward_expectation(const Wellbeing& wb, double expected, double received) noexcept {
  return expected + wb.reward_expectation_rate * (received - expected);
}

/// The expected reward as she feels it: per USD of the value of her norm day (`day_value`), bounded
/// to [-1, 1] (a reward stream worth more than her day's work is felt as no more than one that
/// matches it). Positive: a resource; negative (fines expected): a hindrance.
/// Written without a branch around the division, so that the loop calling it vectorises.
inline double reward_felt(double expected, double day_value) noexcept {
  const double valued = day_value > 0 ? 1.0 : 0.0;
  return valued * std::clamp(expected / std::max(day_value, 1e-9), -1.0, 1.0);
}

/// Hindrance demands: felt pressure, working under a mandate (0 or 1), leaderboard shame, and the
/// penalties she expects (`felt` < 0, reward_felt).
inline double hindrance(const Wellbeing& wb, double pressure, double mandate, double shame, double felt) noexcept {
  return pressure + mandate * kMandateHindrance + shame + wb.weight_reward * std::max(0.0, -felt);
}

/// The day's job demands D. `backlog` is the work still pending after today's work.
inline double demand(const Wellbeing& wb, double norm, double inv_norm, double hours, double cleanup_today, double hindrance, double fear,
                     double backlog) noexcept {
  return wb.base_demand + wb.weight_overtime * std::max(0.0, hours - norm) * inv_norm + wb.weight_cleanup * cleanup_today * inv_norm +
         wb.weight_hindrance * hindrance + wb.weight_fear * fear + wb.weight_backlog * std::max(0.0, backlog * inv_norm - 1.0);
}

/// Job resources R: autonomy (halved under a mandate; `mandate` is the share of the work under
/// one, 0 to 1), support, and the rewards she expects (`felt` > 0, reward_felt).
inline double resources(const Wellbeing& wb, double mandate, double felt) noexcept {
  return wb.resources_autonomy * (1.0 - (1.0 - kMandateAutonomy) * mandate) + wb.resources_support + wb.weight_reward * std::max(0.0, felt);
}

/// Exhaustion after a working day, clamped to [0, 1].
inline double exhaustion_workday(const Wellbeing& wb, double x, double strain, double demand, double resources) noexcept {
  x += strain * wb.drain_rate * demand / (1.0 + resources) * (1.0 - x) - wb.recovery_rate_workday * resources * x;
  return clamp01(x);
}

/// Cynicism after a working day, from meaningless work (performative and futile AI hours per norm
/// hour) and today's updated exhaustion x, clamped to [0, 1].
inline double cynicism_workday(const Wellbeing& wb, double y, double meaningless, double x) noexcept {
  y += wb.cynicism_rate * meaningless * (1.0 - y) + wb.cynicism_from_exhaustion * x * (1.0 - y) - wb.cynicism_recovery * y;
  return clamp01(y);
}

/// Efficacy moves towards today's achievement (value against the value expected of the person).
inline double efficacy_workday(const Wellbeing& wb, double efficacy, double value, double expected) noexcept {
  const double achieved = expected > 0 ? clamp01(value / expected) : 0.0;
  return clamp01(efficacy + wb.efficacy_rate * (achieved - efficacy));
}

/// Engagement: built by resources under demand, drained by exhaustion x (today's).
inline double engagement_workday(const Wellbeing& wb, double engagement, double demand, double resources, double x) noexcept {
  engagement += wb.engagement_rate * (resources * (1.0 + demand) * (1.0 - engagement) - kEngagementDrain * x * engagement);
  return clamp01(engagement);
}

/// The share of the value of work a person delivers: exhaustion lowers it (the health-impairment
/// path), engagement above the baseline's raises it and below lowers it (discretionary effort, the
/// motivational path; rules::kRefEngagement).
inline double performance(const Wellbeing& wb, double exhaustion, double engagement) noexcept {
  return (1.0 - wb.performance_loss * exhaustion) * std::max(0.0, 1.0 + wb.engagement_performance * (engagement - rules::kRefEngagement));
}

/// Recovery on a day off.
inline double exhaustion_day_off(const Wellbeing& wb, double x) noexcept {
  return clamp01(x - wb.recovery_rate_day_off * x);
}
inline double cynicism_day_off(const Wellbeing& wb, double y) noexcept {
  return clamp01(y - wb.cynicism_recovery * y);
}

}  // namespace kpisim::detail::wellbeing

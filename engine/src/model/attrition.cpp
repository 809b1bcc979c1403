// Initialisation of a person and attrition's replacement: docs/model.md sections 5 and 7.14.
// A hire draws traits and starts well-being, beliefs and work state; a quitter is replaced at once
// in the same slot (person_pass.cpp draws the quits with rules::quit_hazard). Tested directly
// in tests/unit/test_attrition.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kpisim/core/rng.hpp"
#include "kpisim/model/rules.hpp"
#include "person_pass.hpp"

namespace kpisim::detail {
namespace {

double clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}

}  // namespace

void hire(const ModelSpec& spec, World& w, const Rng& rng, std::size_t i, int day, bool initial) {
  const auto& wf = spec.scenario.workforce;
  const auto slot = static_cast<std::uint32_t>(i);
  const auto hd = static_cast<std::uint32_t>(day);
  const auto u0 = rng.uniform4(slot, hd, Purpose::traits, 0);
  const auto u1 = rng.uniform4(slot, hd, Purpose::traits, 1);
  // The potential is drawn from the workforce's distribution; the initial workforce is experienced
  // (at its potential), a replacement starts as a novice at the same place in the distribution.
  const double z_skill = normal_quantile(u0.u[0]);
  // A division's skill scale multiplies both (organisation.divisions.*.skill_scale).
  const DivisionSpec& div = spec.divisions[spec.division_of[i]];
  const double scale = div.skill_scale;
  // Learners (students, trainees) start as novices even in the first cohort.
  const bool novice = !initial || div.learners;
  const double potential = std::clamp(scale * (wf.skill_mean + wf.skill_sd * z_skill), 0.2, 2.5);
  w.skill_potential[i] = static_cast<float>(potential);
  w.skill[i] = static_cast<float>(novice ? std::clamp(scale * (wf.replacement_skill + wf.skill_sd * z_skill), 0.2, potential) : potential);
  const double prof = initial ? wf.proficiency_mean : std::max(0.0, wf.proficiency_mean - wf.proficiency_sd);
  w.proficiency[i] = static_cast<float>(clamp01(prof + wf.proficiency_sd * normal_quantile(u0.u[1])));
  w.integrity[i] = static_cast<float>(clamp01(wf.integrity_mean + wf.integrity_sd * normal_quantile(u0.u[2])));
  w.reward_sensitivity[i] =
      static_cast<float>(std::max(0.0, wf.reward_sensitivity_mean + wf.reward_sensitivity_sd * normal_quantile(u0.u[3])));
  w.script_scale[i] = static_cast<float>(std::exp(wf.script_scale_sigma * normal_quantile(u1.u[0])));
  const auto u2 = rng.uniform4(slot, hd, Purpose::traits, 2);
  w.strain[i] = static_cast<float>(std::exp(wf.strain_sigma * normal_quantile(u2.u[0])));
  const double optimism = wf.prior_gain + wf.prior_gain_sd * normal_quantile(u1.u[1]);
  for (std::size_t k = 0; k < w.k; ++k) w.belief[k * w.n + i] = static_cast<float>(optimism);
  w.hire_day[i] = day;
  w.last_slop_day[i] = World::kNever;
  w.exhaustion[i] = static_cast<float>(0.2 + 0.1 * u1.u[2]);
  w.cynicism[i] = static_cast<float>(0.1 + 0.1 * u1.u[3]);
  w.efficacy[i] = static_cast<float>(rules::kRefEfficacy);
  w.trust[i] = static_cast<float>(clamp01(wf.trust_mean + wf.trust_sd * normal_quantile(u2.u[1])));
  w.engagement[i] = static_cast<float>(rules::kRefEngagement);
  w.shame[i] = 0.0F;
  w.backlog_hours[i] = static_cast<float>(spec.scenario.behaviour.norm_hours);
  w.cleanup_hours[i] = 0.0F;
  w.scripting[i] = 0;
  w.script_intensity[i] = 0.0F;
  w.ema_kpi[i] = 0.0F;
  w.ema_value[i] = 0.0F;
  w.reward_usd[i] = 0.0F;
  w.reward_seen[i] = 0.0F;
  w.reward_expect[i] = 0.0F;
}

}  // namespace kpisim::detail

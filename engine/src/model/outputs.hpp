#pragma once
// The day's outputs from the per-division sums: docs/model.md sections 7.18 (token cost and
// energy), 7.19 (Goodhart diagnostics) and 7.20 (outputs); the variables themselves are declared
// in engine/src/io/variables.cpp. Used by Simulation::step; tested in tests/unit/test_outputs.cpp.
#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "kpisim/model/spec.hpp"
#include "person_pass.hpp"

namespace kpisim::detail::outputs {

/// Calls put(name, value) for each daily variable computed from one set of sums (a division's or
/// the organisation's).
template <class Put>
void daily(const Acc& ac, bool workday, Put&& put) {
  const double n = std::max(1.0, ac[a_headcount]);
  const double corr_n = ac[a_corr_n];
  const double vx = corr_n * ac[a_sxx] - ac[a_sx] * ac[a_sx];
  const double vy = corr_n * ac[a_syy] - ac[a_sy] * ac[a_sy];
  // Variances below rounding level (everyone equal) give no correlation rather than noise.
  const bool spread = vx > 1e-12 * corr_n * ac[a_sxx] && vy > 1e-12 * corr_n * ac[a_syy];
  const double corr = spread ? std::clamp((corr_n * ac[a_sxy] - ac[a_sx] * ac[a_sy]) / std::sqrt(vx * vy), -1.0, 1.0) : std::nan("");
  put("headcount", ac[a_headcount]);
  put("true_value_per_fte", ac[a_value] / n);
  put("measured_value_per_fte", ac[a_measured] / n);
  put("ai_value_per_fte", ac[a_ai_value] / n);
  put("ai_value_gross_per_fte", ac[a_ai_value_gross] / n);
  put("ai_task_share", ac[a_work_hours] > 0 ? ac[a_ai_hours] / ac[a_work_hours] : 0.0);
  put("backlog_hours_per_fte", ac[a_backlog] / n);
  put("hours_per_fte", ac[a_hours] / n);
  put("overtime_per_fte", ac[a_overtime] / n);
  put("manual_hours_per_fte", ac[a_manual] / n);
  put("ai_hours_per_fte", ac[a_ai_hours] / n);
  put("verification_hours_per_fte", ac[a_verify] / n);
  put("cleanup_hours_per_fte", ac[a_cleanup] / n);
  put("performative_hours_per_fte", ac[a_perf_hours] / n);
  put("learning_hours_per_fte", ac[a_learn] / n);
  put("training_hours_per_fte", ac[a_training] / n);
  put("time_saved_per_fte", ac[a_time_saved] / n);
  put("time_saved_gross_per_fte", ac[a_time_saved_gross] / n);
  put("tokens_productive", ac[a_tok_prod]);
  put("tokens_rework", ac[a_tok_rework]);
  put("tokens_performative", ac[a_tok_perf]);
  put("tokens_scripted", ac[a_tok_script]);
  put("ai_sessions", ac[a_sessions]);
  put("token_cost_usd", ac[a_cost]);
  put("energy_kwh", ac[a_energy]);
  put("defects_caught", ac[a_caught]);
  put("defects_passed", ac[a_passed]);
  put("workslop_hours", ac[a_slop_hours]);
  put("workslop_recipient_share", ac[a_slop_recent] / n);
  put("escalations", ac[a_escalations]);
  put("escalation_handoff_hours", ac[a_handoff]);
  put("escalation_wait_days", ac[a_handoff] > 0 ? ac[a_wait] / ac[a_handoff] : std::nan(""));
  put("exhaustion_mean", 6.0 * ac[a_exhaustion] / n);
  put("cynicism_mean", 6.0 * ac[a_cynicism] / n);
  put("efficacy_mean", 6.0 * ac[a_efficacy] / n);
  put("engagement_mean", ac[a_engagement] / n);
  put("burnout_share", ac[a_burnt] / n);
  put("quits", ac[a_quits]);
  put("skill_mean", ac[a_skill] / n);
  put("proficiency_mean", ac[a_prof] / n);
  put("trust_mean", ac[a_trust] / n);
  put("belief_error", workday ? ac[a_belief_err] / n : std::nan(""));
  // Output diversity (7.20): the mean over pairs of people of (x_i + x_j) / 2 - m_i m_j.
  const double heads = ac[a_headcount];
  put("output_diversity", workday && heads >= 2
                              ? ac[a_style_x] / heads - (ac[a_style_m] * ac[a_style_m] - ac[a_style_m2]) / (heads * (heads - 1.0))
                              : std::nan(""));
  put("pressure_mean", ac[a_pressure] / n);
  put("mandate_share", ac[a_mandate] / n);
  put("scripting_share", ac[a_scripting] / n);
  put("licensed_share", 1.0 - ac[a_unlicensed] / n);
  put("kpi_value_correlation", corr);
  put("reported_true_gap", ac[a_value] > 0 ? (ac[a_measured] - ac[a_value]) / ac[a_value] : std::nan(""));
  put("performative_kpi_share", ac[a_kpi] > 0 ? ac[a_kpi_perf] / ac[a_kpi] : 0.0);
}

}  // namespace kpisim::detail::outputs

#pragma once
// The daily allocation problem: marginal utilities and caps of work (W), verification (V),
// performative use (P) and learning (L), docs/model.md section 7.4. The solver is
// engine/src/model/allocation.cpp. Pure functions inlined into the per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_allocation_problem.cpp.
#include <algorithm>

#include "kpisim/config/scenario.hpp"
#include "scripting.hpp"

namespace kpisim::detail::allocation_problem {

/// What the person knows today: traits, incentives as published, the weekly plan's ratios.
struct View {
  double sensitivity, integrity, proficiency;
  double inc_usage, inc_sessions, inc_usage_cap, inc_outcome, inc_padding_penalty;
  double kept;  // 1 - the audit filter: the share of performative KPI an audit leaves
  double pressure, mandate;
  double believed_per_hour, tokens_per_hour, sessions_per_hour, ai_share, verify_value;
  double seat = 1.0;  // 1 with an AI licence, 0 without (7.15.11): no padding, no practice with AI
};

/// Marginal utilities in USD per hour, and whether performative hours game an outcome metric
/// (1) rather than pad usage (0).
struct Marginals {
  double work, verify, perform, learn;
  double gaming;
};

inline Marginals marginals(const Behaviour& b, const Measurement& ms, const View& v) noexcept {
  const double visible = v.pressure * b.pressure_usd_per_hour + v.mandate * b.mandate_usd_per_hour;
  Marginals m{};
  m.work =
      b.intrinsic_weight * v.believed_per_hour + v.sensitivity * (v.inc_usage * v.tokens_per_hour + v.inc_sessions * v.sessions_per_hour +
                                                                  v.inc_outcome * v.believed_per_hour + visible * v.ai_share);
  // verify_value is valued at the perceived error rate (1 - trust, 7.2): trust breeds complacency.
  m.verify = (b.intrinsic_weight + v.sensitivity * v.inc_outcome) * v.verify_value;
  // An hour of padding earns at most what the usage incentives can pay in a day (scripting.hpp).
  const double pad_pay =
      v.seat * (scripting::bounded_prize(v.kept * (v.inc_usage * b.padding_tokens_per_hour + v.inc_sessions * b.padding_sessions_per_hour),
                                         v.kept * v.inc_usage_cap) +
                v.pressure * b.pressure_usd_per_hour);
  const double game_pay = v.kept * v.inc_outcome * ms.gaming_usd_per_hour;
  m.gaming = game_pay > pad_pay ? 1.0 : 0.0;
  m.perform = v.sensitivity * (std::max(pad_pay, game_pay) - v.inc_padding_penalty) - v.integrity * b.integrity_cost_usd_per_hour;
  m.learn = v.seat * (b.intrinsic_weight * b.learning_value_usd_per_hour * (1.0 - v.proficiency) +
                      v.sensitivity * v.inc_usage * b.learning_tokens_per_hour);
  return m;
}

/// Caps: work up to the hours that clear the backlog, verification up to the ratio of the AI hours
/// of the work that fits the budget, performative use up to the budget, learning up to its maximum.
struct Caps {
  double work, verify, perform, learn;
};
inline Caps caps(const Behaviour& b, double backlog, double hours_per_e, double ai_share, double budget) noexcept {
  const double work = backlog * hours_per_e;
  return {work, b.verification_ratio * ai_share * std::min(work, budget), budget, b.max_learning_hours};
}

}  // namespace kpisim::detail::allocation_problem

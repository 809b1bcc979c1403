#pragma once
// Scripted padding: docs/model.md section 7.5. Pure functions inlined into the per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_scripting.cpp.
#include <cstdint>

#include "kpisim/config/scenario.hpp"

namespace kpisim::detail::scripting {

/// Net felt payoff (USD a day) of running a script of `script_tokens` tokens and `script_sessions`
/// sessions: what the KPI pays for what the audit filter leaves, less the expected penalty, weighed
/// by reward sensitivity, against the integrity cost.
inline double net_payoff(const Behaviour& b, double sensitivity, double integrity, double kept, double inc_usage, double inc_sessions,
                         double inc_script_penalty, double script_tokens, double script_sessions) noexcept {
  return sensitivity * (kept * (inc_usage * script_tokens + inc_sessions * script_sessions) - inc_script_penalty) -
         integrity * b.script_integrity_cost_usd;
}

/// Start above the hysteresis band, stop below it, otherwise keep doing what one did.
inline std::uint8_t decide(std::uint8_t scripting, double net, double hysteresis) noexcept {
  if (scripting == 0 && net > hysteresis) return 1;
  if (scripting != 0 && net < -hysteresis) return 0;
  return scripting;
}

}  // namespace kpisim::detail::scripting

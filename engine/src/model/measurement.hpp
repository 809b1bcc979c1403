#pragma once
// Measurement (what the organisation sees) and the Goodhart moving averages: docs/model.md
// sections 7.10 and 7.19. Pure functions inlined into the per-person pass (person_pass.cpp) and
// tested directly in tests/unit/test_measurement.cpp.
#include <algorithm>

namespace kpisim::detail::measurement {

/// Tokens on the usage dashboard: the audit filter removes its share of the performative tokens;
/// usage noise (factor 1 + cv z, or exactly 1 without noise) multiplies the rest; never negative.
inline double tokens(double tokens, double performative, double filter, double usage_factor) noexcept {
  return std::max(0.0, (tokens - filter * performative) * usage_factor);
}

/// Sessions on the dashboard: every work session, and what the audit filter leaves of the
/// performative ones.
inline double sessions(double work_sessions, double performative_sessions, double filter) noexcept {
  return work_sessions + (1.0 - filter) * performative_sessions;
}

/// Measured outcome after the audit filter removes its share of the gamed part.
inline double outcome(double measured_before_filter, double gamed, double filter) noexcept {
  return measured_before_filter - filter * gamed;
}

/// One step of an exponential moving average (rate 0 leaves it exactly as it was).
inline double ema(double previous, double today, double rate) noexcept {
  return previous + rate * (today - previous);
}

}  // namespace kpisim::detail::measurement

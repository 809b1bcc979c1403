#pragma once
// Work, value and tokens; errors (verification, thinning, clean-up, workslop); chatbot escalations:
// docs/model.md sections 7.7-7.9. Pure functions inlined into the per-person pass
// (person_pass.cpp) and tested directly in tests/unit/test_work.cpp.
#include <algorithm>

namespace kpisim::detail::work {

/// Share of today's AI errors caught: verification coverage of the AI hours times efficacy.
inline double catch_probability(double verify_hours, double ai_hours, double verification_ratio, double verification_efficacy) noexcept {
  const double coverage = ai_hours > 0 ? std::min(1.0, verify_hours / (verification_ratio * ai_hours)) : 0.0;
  return coverage * verification_efficacy;
}

/// True value of the day's work: value per E lowered by exhaustion (performance), less the value lost
/// to errors passed on; never negative.
inline double value(double e, double true_per_e, double performance, double passed, double loss_per_defect) noexcept {
  return std::max(0.0, e * true_per_e * performance - passed * loss_per_defect);
}

/// Clean-up queue after today's errors: the queue left, fixes of caught errors, and the part of the
/// passed errors' downstream hours that returns to the author.
inline double cleanup_queue(double queue_left, double caught, double fix_per_defect, double stakes_hours, double workslop_share) noexcept {
  return queue_left + caught * fix_per_defect + stakes_hours * (1.0 - workslop_share);
}

}  // namespace kpisim::detail::work

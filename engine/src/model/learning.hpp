#pragma once
// Proficiency, skill and trust: docs/model.md section 7.12.
// Pure functions of one person's working day, inlined into the per-person pass (person_pass.cpp)
// and tested directly in tests/unit/test_learning.cpp.
#include <algorithm>

#include "kpisim/config/scenario.hpp"

namespace kpisim::detail::learning {

/// AI proficiency after a working day: genuine AI use and learning hours close part of the gap to 1.
inline double proficiency(const Learning& lr, double prof, double ai_hours, double learning_hours) noexcept {
  prof += (lr.proficiency_rate * ai_hours + lr.learning_rate * learning_hours) * (1.0 - prof);
  return std::clamp(prof, 0.0, 1.0);
}

/// Domain skill after a working day: manual practice closes part of the gap to the person's own
/// potential (the skill she would reach with experience: a learning curve that flattens), erosion
/// on AI-assisted hours. Practice never lifts skill above the potential, so months of manual work
/// add nothing to an experienced worker who is already there.
inline double skill(const Learning& lr, double sk, double potential, double manual_hours, double ai_hours) noexcept {
  sk += lr.skill_practice_rate * manual_hours * std::max(0.0, potential - sk) - lr.skill_erosion_rate * ai_hours * sk;
  return std::clamp(sk, 0.05, std::max(0.05, potential));
}

/// Trust in AI output after a working day with `ai_tasks` AI-assisted tasks, from the errors the
/// person sees: those caught and the share of passed ones that come back to them (workslop handed to
/// colleagues stays unseen). Trust is the share of AI output she believes correct on her division's
/// mix of tasks; the tasks she used AI for err `rel_used` times as often as that mix by their nominal
/// rates (which she knows, 7.2), so what she sees is read at the mix's level: seen errors / rel_used.
/// Unchanged without AI-assisted tasks, or when they are all error-free by their nominal rates
/// (they say nothing about the level).
inline double trust(const Learning& lr, double trust, double ai_tasks, double caught, double passed, double workslop_share,
                    double rel_used) noexcept {
  if (!(ai_tasks > 0) || !(rel_used > 0)) return trust;
  const double seen_ok = 1.0 - std::min(1.0, (caught + passed * (1.0 - workslop_share)) / (ai_tasks * rel_used));
  const double rate = std::min(1.0, lr.trust_rate * ai_tasks);
  return std::clamp(trust + rate * (seen_ok - trust), 0.0, 1.0);
}

}  // namespace kpisim::detail::learning

#pragma once
// The organisation's managers: pressure trickle-down and mandates (docs/model.md section 7.1) and
// division heads' beliefs about the value AI adds (section 7.17). Called once a day by
// Simulation::step (simulation.cpp); tested directly in tests/unit/test_managers.cpp.
#include <cstddef>
#include <vector>

#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "person_pass.hpp"

namespace kpisim::detail::managers {

/// Pressure trickles down the unit tree (children are stored before parents, so one backward pass
/// visits parents first): unit_pressure[u] = unit_pressure_own[u] + trickle x unit_pressure[parent].
void trickle_pressure(const ModelSpec& spec, double trickle, World& w);

/// Each team's pressure is its unit's; a team is under a mandate if its pressure exceeds the
/// threshold or its division head's belief (as of yesterday) exceeds `mandate_belief_usd`.
/// `division_unit[d]` is the unit index of division d.
void team_mandates(const ModelSpec& spec, const Managers& m, const std::vector<std::size_t>& division_unit, World& w);

/// The day's KPI weights as the managers read them (a regime's Regime::kpi).
struct KpiView {
  double tokens = 0, sessions = 0, outcome = 0;
  bool none = true;  // no KPI in force: qualitative feedback
};

/// What a division head observes of the value AI adds per FTE-day, from the division's day sums:
/// usage dashboards read at an assumed exchange rate, measured outcome against its manual
/// equivalent, or (no KPI) qualitative feedback.
double observed_ai_value(const Managers& m, const KpiView& kpi, const Acc& division);

/// Division heads move their belief towards today's observation on working days. Returns the
/// headcount-weighted sum of the beliefs (for the manager_ai_value_belief output).
double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView& kpi, bool workday, const std::vector<Acc>& division_sums,
                      World& w);

}  // namespace kpisim::detail::managers

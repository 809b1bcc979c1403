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

/// Each team's pressure is its unit's; a team is under a mandate for every task type if its
/// pressure exceeds the threshold (division heads' mandates per task type: update_beliefs).
void team_mandates(const ModelSpec& spec, const Managers& m, World& w);

/// The day's KPI weights as the managers read them (a regime's Regime::kpi).
struct KpiView {
  double tokens = 0, sessions = 0, outcome = 0;
  bool none = true;  // no KPI in force: the heads hear their people's weekly reports (feedback)
};

/// What a division head reads on her KPI's dashboard about the value AI adds per FTE-day, from the
/// division's day sums: usage read at an assumed exchange rate, or measured outcome against what
/// people say they produced. Only with a KPI in force (without one: feedback()).
double observed_ai_value(const Managers& m, const KpiView& kpi, const Acc& division);

/// The plan day's reports (PassState::feedback), summed in block order: per division and task type,
/// the mean over the division's people of what they believe AI adds to a day of AI-assisted work
/// on the task ([division * tasks + task]).
std::vector<double> feedback(const PassState& ps, std::size_t blocks);

/// Division heads update their beliefs per task type: with a KPI in force, towards the dashboard's
/// signal (one for all task types) on working days; without one, towards their people's reports,
/// task by task, when `reports` is given (the plan day). Then each head mandates AI for the task
/// types she believes add more than `mandate_belief_usd` to a person-day (from the next day).
/// Returns the headcount-weighted sum of the heads' mix-weighted beliefs (manager_ai_value_belief).
double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView& kpi, bool workday, const std::vector<Acc>& division_sums,
                      const std::vector<double>* reports, World& w);

}  // namespace kpisim::detail::managers

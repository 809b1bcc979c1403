#pragma once
// The organisation's managers: pressure trickle-down and mandates (docs/model.md section 7.1) and
// division heads' beliefs about the value AI adds (section 7.17). Called once a day by
// Simulation::step (simulation.cpp); tested directly in tests/unit/test_managers.cpp.
#include <cstddef>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "person_pass.hpp"

namespace kpisim::detail::managers {

/// Pressure trickles down the unit tree (children are stored before parents, so one backward pass
/// visits parents first): unit_pressure[u] = unit_pressure_own[u] + trickle x unit_pressure[parent].
void trickle_pressure(const ModelSpec& spec, double trickle, World& w);

/// Each unit manager's own threshold for mandates, drawn once (a trait): mandate_belief_usd +
/// mandate_belief_sd x N(0,1) (Purpose::managers, agent = unit index), never below 0 (or below
/// mandate_belief_usd when that is negative).
void draw_thresholds(const ModelSpec& spec, const Rng& rng, World& w);

/// Each team's pressure is its unit's. Every manager decides mandates task type by task type: she
/// mandates AI for task type k when what she believes AI adds to a person-day of AI-assisted work on
/// k (her division's belief, 7.17) plus what the pressure she feels makes a person-day of visible AI
/// use worth to her (`stake_per_pressure` USD per unit of pressure) exceeds `mandate_belief_usd`.
/// Each manager weighs with her own pressure and her own threshold (draw_thresholds); the beliefs
/// are her division's. A unit works under its own manager's mandates and those of every manager
/// above it (unit_task_mandate); unit_mandate_share is the share of each unit's work they cover.
void team_mandates(const ModelSpec& spec, double stake_per_pressure, World& w);

/// The mandate decision of one manager on one task type (docs/model.md 7.1).
[[nodiscard]] inline bool mandates(double belief_usd, double pressure, double stake_per_pressure, double threshold_usd) noexcept {
  return belief_usd + pressure * stake_per_pressure > threshold_usd;
}

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
/// task by task, when `reports` is given (the plan day). The mandates they lead to are decided
/// the next morning (team_mandates). Returns the headcount-weighted sum of the heads' mix-weighted beliefs (manager_ai_value_belief).
double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView& kpi, bool workday, const std::vector<Acc>& division_sums,
                      const std::vector<double>* reports, World& w);

}  // namespace kpisim::detail::managers

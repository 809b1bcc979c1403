#pragma once
// The organisation's managers: mandates under the pressure each chose (docs/model.md section 7.1) and
// every manager's beliefs about the value AI adds, from her own unit's data (section 7.17). Called once a day by
// Simulation::step (simulation.cpp); tested directly in tests/unit/test_managers.cpp.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "person_pass.hpp"

namespace kpisim::detail::managers {

/// Per division, the task types of its mix (ascending: the only ones a manager mandates or believes
/// anything about) and the mix's total (summed over all task types in order, as a unit's share
/// divides by it). Fixed for a run.
struct Mixes {
  std::vector<std::vector<std::uint32_t>> tasks;
  std::vector<double> total;
};
[[nodiscard]] Mixes division_mixes(const ModelSpec& spec);

/// The teams [first, second) wholly inside the slots [lo, hi) (teams tile the slots in order).
[[nodiscard]] std::pair<std::size_t, std::size_t> teams_within(const ModelSpec& spec, std::size_t lo, std::size_t hi);

/// Each unit manager's own threshold for mandates, drawn once (a trait): mandate_belief_usd +
/// mandate_belief_sd x N(0,1) (Purpose::managers, agent = unit index), never below 0 (or below
/// mandate_belief_usd when that is negative).
void draw_thresholds(const ModelSpec& spec, const Rng& rng, World& w);

/// Each team's pressure is its unit's. Every manager decides mandates task type by task type: she
/// mandates AI for task type k when what she believes AI adds to a person-day of AI-assisted work on
/// k (her own belief, from her own unit's data, 7.17) plus what the pressure she feels makes a
/// person-day of visible AI use worth to her (`stake_per_pressure` USD per unit of pressure) exceeds
/// her own threshold (draw_thresholds). A unit works under its own manager's mandates and those of
/// every manager above it (unit_task_mandate); unit_mandate_share is the share of each unit's work
/// they cover.
void team_mandates(const ModelSpec& spec, double stake_per_pressure, World& w);

/// team_mandates in parts, for the daily cycle (the same bits: each unit decides from her own state
/// and her parent's row, decided before hers): mandates_above_teams decides every unit that is not a
/// team (backwards in storage order, parents first); then the teams [t_lo, t_hi), each from its parent's
/// row, with its pressure (team_pressure). The per-person pass decides the teams wholly inside each of
/// its blocks at the block's start (their members read them only in that block); the day decides the
/// teams split between blocks before the pass.
void mandates_above_teams(const ModelSpec& spec, const Mixes& mixes, double stake_per_pressure, World& w);
void team_mandates(const ModelSpec& spec, const Mixes& mixes, double stake_per_pressure, World& w, std::size_t t_lo, std::size_t t_hi);

/// The mandate decision of one manager on one task type (docs/model.md 7.1).
[[nodiscard]] inline bool mandates(double belief_usd, double pressure, double stake_per_pressure, double threshold_usd) noexcept {
  return belief_usd + pressure * stake_per_pressure > threshold_usd;
}

/// The day's KPI weights of one division as its managers read them (Regime::kpi_by_division). The
/// functions below take one per division (`kpi[d]`): a policy with a scope sets a KPI in some
/// divisions only.
struct KpiView {
  double tokens = 0, sessions = 0, outcome = 0;
  bool none = true;  // no KPI in force: the heads hear their people's weekly reports (feedback)
};

/// What one person adds to her unit's KPI dashboard today (before the exchange rate and the mean):
/// her measured tokens under a token KPI, her measured AI sessions under a sessions KPI, and under an
/// outcome KPI her measured value plus `outcome_credit` (what she says AI added less what she says
/// she produced). Only with a KPI in force (without one the managers hear reports).
[[nodiscard]] inline double dashboard_entry(const KpiView& kpi, const World& w, const PassState& ps, std::size_t i) noexcept {
  if (kpi.tokens > 0) return w.measured_tokens[i];
  if (kpi.sessions > 0) return w.measured_sessions[i];
  return static_cast<double>(w.measured_outcome[i]) + static_cast<double>(ps.outcome_credit[i]);
}

/// What a unit's dashboard says AI adds per FTE-day, from the sum of its members' entries
/// (dashboard_entry) and its headcount: usage read at the assumed exchange rate, or the outcome
/// dashboard's credit to AI as it is.
[[nodiscard]] double observed_ai_value(const Managers& m, const KpiView& kpi, double headcount, double dashboard_sum);

/// What each unit's manager sees of her own unit, summed over its members (all of them, the
/// manager included; [unit] as spec.units, and [unit * k + task] for the reports).
struct UnitSums {
  std::vector<double> headcount;
  std::vector<double> dashboard;  ///< the sum of the members' dashboard entries (when a KPI is read)
  std::vector<double> reports;    ///< the sum of the members' reports per task type (on the plan day)
};

/// Sums the day's dashboard entries (`dashboard`: a KPI in force on a working day) and the plan
/// day's reports (`reports`) over each team's members in slot order, then each unit's children into
/// it in storage order (children before parents): the same bits at any thread count.
void unit_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports, UnitSums& out);

/// unit_sums in parts, for the daily cycle (the same bits): start_unit_sums (zeros) before the pass;
/// team_sums_within at the end of each block of the pass, for the teams wholly inside it (their
/// members' dashboard entries and reports are final by then: nothing after the pass changes them);
/// finish_unit_sums after it (the teams split between blocks, then add_to_parents).
void start_unit_sums(const ModelSpec& spec, const World& w, bool reports, UnitSums& out);
void team_sums_within(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports,
                      UnitSums& out, std::size_t lo, std::size_t hi);
void finish_unit_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports,
                      UnitSums& out);

/// The sums of teams [t_lo, t_hi), each over its members in slot order.
void team_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports, UnitSums& out,
               std::size_t t_lo, std::size_t t_hi);

/// Each unit's sums added into its parent's, children first (storage order).
void add_to_parents(const ModelSpec& spec, const World& w, bool reports, UnitSums& out);

/// Every unit's manager (units at depth >= 1: division heads, department heads, team managers)
/// updates her beliefs per task type from her own unit: towards the mean of her people's reports,
/// task by task, when `reports` (the plan day, under every regime); with a KPI in force, her view of
/// its dashboard's level (one signal for all task types) moves towards the day's reading on working
/// days, and her belief on each task type is what her people report for it shifted by
/// managers.dashboard_weight x (that level - the mix-weighted mean of the reports); without one, it
/// is what they report. The mandates they lead to are
/// decided the next morning (team_mandates). Returns the headcount-weighted sum of the division
/// heads' mix-weighted beliefs (manager_ai_value_belief).
double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView* kpi, bool workday, const UnitSums& sums, bool reports,
                      World& w);

/// What every manager's update of the day shares (update_beliefs in parts).
struct BeliefDay {
  const Managers* m = nullptr;
  const KpiView* kpi = nullptr;  ///< one per division (a policy with a scope sets a KPI in some divisions only)
  bool workday = false;
  bool reports = false;    ///< the plan day's reports are read
  bool dashboard = false;  ///< a KPI's dashboard is read (a KPI in force in some division on a working day)
  bool update = false;     ///< any belief changes today
  double weekly_rate = 0.0;
};

/// update_beliefs in parts, for the daily cycle (the same bits: each manager's update reads only her
/// own unit's sums and state): begin_beliefs before the pass (it notes a dashboard read today);
/// team_beliefs_within at the end of each block of the pass, after team_sums_within, for the same
/// teams; finish_beliefs after finish_unit_sums, for the teams split between blocks and every unit
/// above the teams; division_heads_belief last (update_beliefs' return value).
[[nodiscard]] BeliefDay begin_beliefs(const ModelSpec& spec, const Managers& m, const KpiView* kpi, bool workday, bool reports, World& w);
void unit_beliefs(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums, World& w, std::size_t u);
void team_beliefs_within(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums, World& w, std::size_t lo,
                         std::size_t hi);
void finish_beliefs(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums,
                    const std::vector<std::uint32_t>& split_teams, World& w);
[[nodiscard]] double division_heads_belief(const ModelSpec& spec, const UnitSums& sums, const World& w);

}  // namespace kpisim::detail::managers

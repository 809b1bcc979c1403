#pragma once
// The mutable state of one run, as structure-of-arrays columns indexed by employee slot.
// A slot keeps its index when its holder quits: the replacement takes the slot (hire_day changes).
#include <cstdint>
#include <vector>

namespace kpisim {

class ModelSpec;

template <class T>
using Column = std::vector<T>;

struct World {
  explicit World(const ModelSpec& spec);

  /// Zeroes the incentive columns and the day's regime counters (start of each day, before the
  /// regimes write). Only the columns marked written since the last clear (wrote) are zeroed: the
  /// others are still zero (checked in checked builds).
  void clear_incentives();
  /// The column part of clear_incentives, alone: zeroes the incentive columns marked written and
  /// clears the marks (Simulation::step does it at the end of a day, alongside the regime's close;
  /// clear_incentives then finds every column zero the next morning).
  void clear_incentive_columns();

  /// Marks incentive column `c` (one of the twelve cleared by clear_incentives) as written today: a
  /// regime calls it in apply() for each incentive column it writes.
  void wrote(const Column<float>& c);
  /// Whether incentive column `c` was written since the last clear_incentives (if not, every entry
  /// is +0: the per-person pass then reads zeros from its scratch instead of the column).
  [[nodiscard]] bool written(const Column<float>& c) const;
  /// Whether incentive column `c` has been written on any day of the run so far.
  [[nodiscard]] bool ever_written(const Column<float>& c) const;

  static constexpr std::int32_t kNever = -1000000;  ///< a day long before any run

  std::size_t n = 0;  ///< employees
  std::size_t k = 0;  ///< task types

  // Traits (drawn at hire).
  Column<float> skill, proficiency, integrity, reward_sensitivity, script_scale, strain;
  Column<float> skill_potential;  ///< the skill experience leads to (a trait; practice never lifts skill above it)
  Column<float> trust;            ///< trust in AI output (0-1): high trust means less verification
  Column<std::int32_t> hire_day;
  Column<float> belief;  ///< k*n, task-major: belief[t*n + i], believed AI value gain on task t

  // Well-being (0-1 scales; Maslach 0-6 = 6x).
  Column<float> exhaustion, cynicism, efficacy, engagement, shame;

  // Work state.
  Column<float> backlog_hours;         ///< pending work in manual hours at skill 1
  Column<float> cleanup_hours;         ///< pending clean-up (own late-found errors, received workslop)
  Column<std::uint8_t> scripting;      ///< runs a padding script
  Column<float> script_intensity;      ///< the share of her script's capacity she runs (decided weekly, docs/model.md 7.5)
  Column<std::int32_t> last_slop_day;  ///< last day workslop from a colleague reached the person (or far in the past)

  // Today's measured quantities (written by the agent loop; regimes read them at end of day).
  Column<float> measured_tokens;      ///< as the usage dashboard sees them (audit corrections excluded)
  Column<float> metered_tokens;       ///< every token the person used today, as the AI platform meters and bills them (exact)
  Column<float> metered_usd;          ///< what those tokens cost, at the prices of the tools that served them (the invoice, 7.18)
  Column<float> measured_outcome;     ///< measured value (noisy, gamed)
  Column<float> measured_sessions;    ///< AI sessions (uses) as the usage dashboard counts them
  Column<float> performative_tokens;  ///< the performative part of measured_tokens (padding + scripts)
  Column<float> performative_hours;   ///< hours of performative activity today
  Column<float> gamed_outcome;        ///< the gamed part of measured_outcome

  // Incentives (cleared each day, then written by the regimes).
  Column<float> inc_usage;      ///< USD per measured token
  Column<float> inc_sessions;   ///< USD per measured AI session
  Column<float> inc_usage_cap;  ///< the most the usage incentives (inc_usage, inc_sessions) can pay, USD a day (prize or bonus per day)
  Column<float> contest_stake;  ///< the usage contest a script could change (docs/model.md 7.5): its stake, USD a day,
  Column<float> contest_gap;    ///< the distance from the person's own score to the threshold, in units of her full script,
  Column<float> contest_sigma;  ///< and the perceived noise of the difference, in the same units
  Column<float> inc_outcome;    ///< USD per measured USD of value
  Column<float> inc_padding_penalty;  ///< expected USD penalty per performative hour
  Column<float> inc_script_penalty;   ///< expected USD penalty per day of running a script
  Column<float> perf_filter;          ///< share of performative tokens/gaming the person expects an audit to filter out (decisions)
  Column<float> perf_removed;         ///< share of today's performative tokens/gaming the audit really removes from the KPI (measurement)
  Column<float> no_seat;              ///< 1: the person has no AI licence today (`seats`, 7.15.11): no assistant, no script, no padding
  Column<float> training;             ///< hours of AI training she attends today (`training`, 7.15.13), before her work

  // Goodhart diagnostics: exponential moving averages of the KPI and of true value.
  Column<float> ema_kpi, ema_value;

  // Money (written by regimes at cadence).
  Column<float> reward_usd;     ///< rewards received minus penalties, cumulative
  Column<float> reward_seen;    ///< reward_usd as of the person's last working day (what reached her since is new to her)
  Column<float> reward_expect;  ///< the reward she expects from the regime per working day, USD (7.13; learned from what reached her)

  // Per team (index into spec.team_units).
  Column<float> team_pressure;  ///< the pressure the team's manager holds on it

  // Per unit (spec.units).
  Column<float> unit_pressure;             ///< the pressure the unit's manager chooses to hold on it (regime-written, 7.1, 7.15.3)
  Column<float> unit_manager_belief;       ///< each unit's manager: the mix-weighted mean of her beliefs per task type (USD per person-day)
  Column<float> unit_mandate_threshold;    ///< the unit manager's own threshold for mandates (a trait, 7.1)
  Column<std::uint8_t> unit_task_mandate;  ///< units * k ([unit * k + task]): AI mandated for the task in the unit, by its
                                           ///< manager or one above her (7.1)
  Column<float> unit_mandate_share;        ///< the share of the unit's work (by its division's mix) under mandates
  /// units * k: AI ordered for the task in the unit by a policy (the `mandate` regime, 7.15.9), written
  /// by the regime each day (`orders_written`) and cleared by clear_incentives; the unit's manager
  /// mandates what is ordered (7.1).
  Column<std::uint8_t> unit_task_order;
  bool orders_written = false;

  // Per unit and task type ([unit * k + task]): what the unit's manager believes AI adds to a day
  // of AI-assisted work on the task (USD per person-day), from her own unit's data (docs/model.md 7.17):
  // what her people report for it (unit_task_report), shifted under a KPI towards her dashboard's level.
  Column<float> unit_task_belief;
  Column<float> unit_task_report;  ///< units * k: her running view of what her people report AI adds on the task
  Column<float> unit_dashboard;    ///< per unit: her running view of her dashboard's level (USD per person-day); without a
                                   ///< KPI, the mix-weighted mean of unit_task_report

  // Run-level counters written by regimes, reported in the day's outputs.
  double rewards_paid_today = 0.0;
  double penalties_today = 0.0;
  double audits_today = 0.0;
  double audit_detections_today = 0.0;
  double audit_false_positives_today = 0.0;
  double audit_hours_today = 0.0;
  bool dashboards_read = false;  ///< a KPI's dashboard has been read by the managers on some day (7.17)

 private:
  std::uint32_t incentives_written_ = 0;  ///< bit j: incentive column j written since the last clear_incentives
  std::uint32_t incentives_ever_ = 0;     ///< bit j: incentive column j written on some day of the run
};

}  // namespace kpisim

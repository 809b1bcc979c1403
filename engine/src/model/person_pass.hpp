#pragma once
// The fused per-person pass of the daily cycle (internal to the engine).
//
// Each block of kBlock agents is cut into chunks of at most kChunk agents that lie within one
// division. A chunk runs in phases, each a loop over its agents: inputs and weekly plans (scalar),
// random draws (Philox and normal quantiles, vectorised across agents), arrivals and the
// allocation problem, the allocation itself (vectorised active-set solve with a scalar fallback),
// work and errors, learning and well-being, measurement, then per-chunk sums added to the block's
// per-division accumulators. The chunking depends only on the agent index, never on the thread
// count, so results stay bit-identical for any number of threads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"

namespace kpisim::detail {

// Daily accumulators (sums over employees), one set per division per block.
enum A : std::size_t {
  a_headcount,
  a_value,
  a_measured,
  a_ai_value,
  a_backlog,
  a_hours,
  a_overtime,
  a_manual,
  a_ai_hours,
  a_verify,
  a_cleanup,
  a_perf_hours,
  a_learn,
  a_work_hours,
  a_tok_prod,
  a_tok_rework,
  a_tok_perf,
  a_tok_script,
  a_cost,
  a_energy,
  a_caught,
  a_passed,
  a_slop_hours,
  a_escalations,
  a_exhaustion,
  a_cynicism,
  a_efficacy,
  a_engagement,
  a_burnt,
  a_quits,
  a_skill,
  a_prof,
  a_trust,
  a_belief_err,
  a_pressure,
  a_mandate,
  a_scripting,
  a_kpi,
  a_kpi_perf,
  a_measured_tokens,
  a_sessions,
  a_sx,
  a_sy,
  a_sxx,
  a_syy,
  a_sxy,
  a_corr_n,
  a_time_saved,
  a_time_saved_gross,
  a_ai_value_gross,
  a_slop_recent,
  a_value_reported,     // the value of the day's work as its authors believe it (what they tell their managers)
  a_ai_value_reported,  // the value AI added as its users believe it, less the checking and clean-up hours they spent
  a_unlicensed,         // people without an AI licence today (`seats`, 7.15.11)
  a_e,                  // manual-equivalent hours of work done (E), summed only when a chatbot hands escalations to a service division
  a_handoff,            // hours of escalated requests handed to service divisions (set from a_e after the pass, 7.9)
  a_wait,               // those hours times the days they wait in the service division's queue (idem)
  a_training,           // hours of training attended (`training`, 7.15.13), summed only on days a regime orders some
  a_style_x,            // output diversity (7.20): sum of x_i
  a_style_m,            // sum of m_i
  a_style_m2,           // sum of m_i^2
  a_count
};
using Acc = std::array<double, a_count>;

// Per-person weekly plan: aggregates over the task mix per manual-equivalent hour of work (E), and
// the ratios the daily allocation reads, refreshed on the first working day of each week (people
// revisit habits weekly).
struct Plan {
  Column<float> hours_per_e;         // hours spent per E (manual and AI parts), at least 1e-6
  Column<float> believed_per_hour;   // believed value per hour of work
  Column<float> tokens_per_hour;     // tokens per hour of work
  Column<float> sessions_per_hour;   // AI-assisted tasks per hour of work
  Column<float> ai_share;            // AI-assisted share of work hours
  Column<float> verify_value;        // perceived value of an hour of verification (at the perceived error rate)
  Column<float> true_per_e;          // true value per E
  Column<float> manual_per_e;        // value the same E would give done manually
  Column<float> manual_per_hour;     // manual value per hour of work (manual_per_e / hours_per_e)
  Column<float> tokens_per_e;        // tokens per E
  Column<float> defects_per_e;       // expected AI errors per E
  Column<float> ai_hours_per_e;      // AI-assisted hours per E
  Column<float> style_m;             // output diversity (7.20): the model's expected share of her work's style, m_i
  Column<float> style_x;             // output diversity: her term x_i = 1 - sum over tools of a_iT 2h(1 - h)
  Column<float> ai_guided_per_e;     // of which practice with a guided tool (7.12); read only if ModelSpec::any_guided
  Column<float> escal_per_e;         // chatbot escalations per E
  Column<float> futile_per_e;        // AI hours per E on tasks the person believes AI harms
  Column<float> fix_per_defect;      // fix hours per caught error (weighted)
  Column<float> loss_per_defect;     // value lost per error passed on
  Column<float> stakes_per_defect;   // downstream hours per error passed on
  Column<float> tokens_per_ai_task;  // tokens per AI-assisted task (a regeneration costs one)
  Column<float> usd_per_token;       // mean price of her AI work's tokens, at the tools that serve her tasks (7.18)
  Column<float> wh_per_token;        // mean energy per token of her AI work (7.18)
  Column<float> belief_err;          // mean |belief - truth| over the mix
  Column<float> ai_tasks_per_e;      // AI-assisted tasks per E
  Column<float> rel_rate_used;       // nominal error rate of her AI-assisted tasks relative to the division's mix (7.12)
  Column<float> week_e;              // E done since the last plan (experience for belief updates)
  Column<float> week_train;          // hours of training attended since the last plan (7.15.13)
  Column<float> mandate_against;     // share of the work mandated that she would otherwise do manually (the felt mandate, 7.13)
  Column<float> no_seat_at_plan;     // World::no_seat as the plan saw it: a change of licence re-plans her that day (7.15.11)
  Column<std::uint8_t> needs_plan;   // a new hire plans on their first working day

  explicit Plan(std::size_t n);
};

// State the pass keeps between days, besides the World.
struct PassState {
  explicit PassState(const ModelSpec& spec);

  Plan plan;
  std::vector<std::vector<std::uint32_t>> div_tasks;  // per division: task types with a positive share
  std::vector<double> div_value_per_hour;             // mix-weighted value per manual hour at skill 1
  std::vector<double> div_defect_nominal;             // mix-weighted nominal error rate per AI output (ai_choice.hpp)
  std::vector<float> slop_in;                         // per employee: workslop hours received, to clean up on the next working day
  std::vector<float> slop_out;                        // per employee: workslop hours produced today
  std::vector<std::uint32_t> split_teams;  // teams with members in more than one block (kBlock): their workslop is scattered after the pass
  std::vector<std::uint32_t> slop_to;      // per employee: the slot of the colleague who receives it (workslop::recipient_slot)
  // What each person tells her managers (docs/model.md 7.17). On the plan day: what she believes AI
  // adds to a day of AI-assisted work on each task type of her division's mix (task-major,
  // [task * employees + slot]; other task types are never read). On working days under an outcome
  // KPI: what she says AI added today less what she says she produced (the outcome dashboard's
  // credit to AI is the measured value plus this).
  std::vector<float> report;
  std::vector<float> outcome_credit;
  std::size_t divisions = 0, tasks = 0, employees = 0;
};

namespace managers {
struct KpiView;
struct UnitSums;
struct Mixes;
struct BeliefDay;
}  // namespace managers

// What every chunk of one day shares.
struct DayContext {
  const ModelSpec& spec;
  World& w;
  const Rng& rng;
  int day = 0;
  bool workday = false;
  bool plan_day = false;
  // The KPI weights of each division (a policy with a scope judges some divisions only): per
  // measured token (relative to the reference), per measured session, per measured USD of outcome.
  const double* kpi_wt = nullptr;
  const double* kpi_ws = nullptr;
  const double* kpi_wo = nullptr;
  // What the managers read of their teams, summed at the end of each block (managers::team_sums_within;
  // none when null): the KPI dashboard (`dashboard_sums`) and the plan day's reports (`report_sums`).
  const managers::KpiView* kpi_view = nullptr;  // one per division
  managers::UnitSums* unit_sums = nullptr;
  bool dashboard_sums = false;
  bool report_sums = false;
  // The managers of the teams wholly inside each block (managers.hpp; none when null): their
  // mandates at the block's start (`mixes`, under `stake_per_pressure`) and, after their sums, their
  // beliefs at its end (`beliefs`).
  const managers::Mixes* mixes = nullptr;
  double stake_per_pressure = 0.0;
  const managers::BeliefDay* beliefs = nullptr;
  // Escalations handed to service divisions (7.9; none when null): per division, the hours of
  // requests arriving today per person, and the requester's frustration per E of work (escalated
  // requests x wait_hindrance x the working days the service division's queue takes).
  const double* service_in = nullptr;
  const double* frustration_per_e = nullptr;
};

/// Draws the traits of the person hired into slot i on `day`.
void hire(const ModelSpec& spec, World& w, const Rng& rng, std::size_t i, int day, bool initial);

/// Runs the day for agents [lo, hi) of one block (for_blocks); adds their sums to acc[division]. With
/// c.mixes it starts with the mandates of the teams wholly inside the block (managers.hpp). On a
/// working day it ends by scattering the workslop of the teams wholly inside the block (workslop.hpp),
/// while the block's columns are still in cache; the day's caller scatters split_teams after the pass.
/// Then (every day, with c.unit_sums) it sums what the managers read of those teams, and (with
/// c.beliefs) updates their managers' beliefs (managers.hpp).
void person_pass(const DayContext& c, PassState& s, Acc* acc, std::size_t lo, std::size_t hi);

}  // namespace kpisim::detail

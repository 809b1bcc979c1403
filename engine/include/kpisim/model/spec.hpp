#pragma once
// The resolved, immutable description of what is simulated (OpenMM's System, not its Context).
// Built once from a Scenario; the daily loop reads only these flat tables, never YAML.
#include <cstdint>
#include <string>
#include <vector>

#include "kpisim/config/scenario.hpp"

namespace kpisim {

/// A task type with its tool's effect folded in (per-token prices, chatbot containment).
struct TaskSpec {
  double base_hours;      ///< manual hours per task at skill 1
  double value_per_hour;  ///< value_usd / base_hours (manual, skill 1)
  double value_usd;       ///< value of one task
  double stakes_hours;    ///< downstream clean-up per undetected error
  double time_factor;     ///< hours with AI / manual hours (chatbots: expected, escalations included)
  double value_gain;      ///< (1 + quality change) / time factor - 1: value-per-hour gain at skill 1, full proficiency
  double novice_slope;    ///< gain multiplier slope per unit of skill below 1
  double defect_prob;     ///< errors per AI output
  double tokens_per_use;  ///< tokens per AI-assisted task
  double fix_hours;       ///< hours to fix a caught error
  double usd_per_token;   ///< price
  double wh_per_token;    ///< energy
  double containment;     ///< chatbots: resolved without a human (1 for assistants)
  double guided;          ///< share of an AI-assisted hour that is practice (tools.NAME.guided, 7.12)
  double homogenisation;  ///< share of an AI-assisted output that is the model's (tools.NAME.homogenisation, 7.20)
  std::int32_t service;   ///< chatbots: the division that handles its escalations (7.9), -1: the requester
  bool chatbot;           ///< AI use is forced (the chatbot is the front door)
  bool inside;            ///< inside the jagged frontier (the novice slope applies)
};

/// A unit of the organisation tree. Units cover contiguous employee ranges [first, end).
struct Unit {
  std::int32_t parent = -1;    ///< parent unit, -1 for the root
  std::int32_t depth = 0;      ///< 0: organisation, 1: division, 2...: departments, deepest: teams
  std::int32_t division = -1;  ///< division index (-1 for the root)
  std::uint32_t first = 0;     ///< first employee
  std::uint32_t end = 0;       ///< one past the last employee
  std::uint32_t manager = 0;   ///< the employee who manages it (first employee of its first team)
  bool team = false;           ///< a leaf: its members feel its pressure
};

/// Resolved division: normalised task mix (dense over task types).
struct DivisionSpec {
  std::string name;
  std::vector<double> mix;  ///< share of workload hours by task type, sums to 1
  double workload = 1.0;
  double skill_scale = 1.0;  ///< multiplies the skill drawn at hire (docs/model.md 5)
  bool learners = false;     ///< the first cohort starts as novices (docs/model.md 5)
  // Escalations handed to service divisions (7.9), per manual-equivalent hour (E) of this
  // division's work; indexed by the service division, empty when no chatbot of its mix has one.
  std::vector<double> handoff_to;      ///< hours of requests handed to each service division per E
  std::vector<double> frustration_to;  ///< escalated requests x wait_hindrance per E, by the division handling them
  double handoff = 0.0;                ///< the sum of handoff_to
  // Price and energy per token of the AI use not tied to a task type (learning, training, padding,
  // scripts), done with the assistants: mix-weighted over its assistant task types (7.18).
  double assistant_usd_per_token = 0.0;
  double assistant_wh_per_token = 0.0;
  std::uint32_t headcount = 0;  ///< its slots (set with the organisation)
};

class ModelSpec {
 public:
  /// Validates cross-references (task mixes, tools) and builds the flat tables. Throws InputError
  /// with file:line:column messages where positions are known.
  /// With `organisation` false, only the checks, tasks and divisions: no per-employee tables and
  /// no units (O(1) in the number of employees; for validating before a size check).
  static ModelSpec resolve(const Scenario& scenario, const std::string& file = "<scenario>", bool organisation = true);

  Scenario scenario;  ///< the fully resolved scenario (defaults filled in)
  std::vector<std::string> task_names;
  std::vector<TaskSpec> tasks;
  std::vector<DivisionSpec> divisions;
  std::vector<Unit> units;                 ///< children before parents; units.back() is the root
  std::vector<std::uint32_t> team_units;   ///< unit index of each team, in employee order
  std::vector<std::uint32_t> team_of;      ///< per employee: index into team_units
  std::vector<std::uint16_t> division_of;  ///< per employee
  std::vector<std::uint8_t> is_manager;    ///< per employee
  std::size_t employees = 0;
  bool any_guided = false;   ///< some task's tool is guided (7.12): the plan's guided hours are read
  bool any_service = false;  ///< some chatbot hands its escalations to a service division (7.9)

  [[nodiscard]] std::size_t task_count() const noexcept { return tasks.size(); }
};

/// The size of the organisation tree that ModelSpec::resolve builds, from arithmetic on the counts
/// (no tree is built): units (teams, departments, divisions and the root) and teams.
struct OrganisationCounts {
  std::size_t units = 0;
  std::size_t teams = 0;
};
OrganisationCounts count_organisation(const Scenario& s);

/// Bytes of one built organisation: the per-employee tables and the units.
std::size_t organisation_bytes(const Scenario& s);

/// Bytes of simulation state per employee for this spec (used for the memory estimate).
std::size_t state_bytes_per_employee(std::size_t task_types);

/// Memory a run of this scenario needs (all policies in parallel, outputs included), in bytes.
std::size_t estimate_memory_bytes(const Scenario& s, std::size_t task_types, std::size_t parallel_runs);

}  // namespace kpisim

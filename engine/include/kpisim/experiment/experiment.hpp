#pragma once
// Experiment files: a base scenario, the policies to compare, the parameters to vary and how,
// replications and a seed. An experiment expands into runs, one per (parameter point, policy,
// replication); replication k of every point and policy shares its random streams (common random
// numbers), so differences between policies or points are their effect. See docs/experiments.md.
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/params.hpp"
#include "kpisim/config/scenario.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/stats/design.hpp"

namespace YAML {
class Node;
}

namespace kpisim {

/// True if the YAML file at `path` is an experiment (it has a top-level `base` or `scenario` key)
/// rather than a scenario. False if it cannot be read or parsed (the loaders then report why).
bool is_experiment_file(const std::string& path);

/// The most parameter points an experiment may have (checked from the counts before the design
/// is generated; docs/experiments.md).
inline constexpr std::size_t kMaxDesignPoints = 1'000'000;
/// The most values (points x parameters) a design may hold.
inline constexpr std::size_t kMaxDesignValues = 10'000'000;

/// One varied parameter: a scenario key path (for example `behaviour.effort_cost` or
/// `policies.leaderboard.prize_usd`) with explicit values (grid designs) or a range.
struct SweepParameter {
  static constexpr bool kKeyPathNames = true;  ///< its name is a key path: item selectors `[ ] * =` allowed
  std::string name;                            ///< the scenario key path (the key under `parameters`)
  std::vector<double> values;
  double lower = std::numeric_limits<double>::quiet_NaN();
  double upper = std::numeric_limits<double>::quiet_NaN();
  enum class Scale : std::uint8_t { linear, log } scale = Scale::linear;
  int levels = 3;
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.numbers("values", values, {"", -params::kInf, params::kInf, "explicit values (grid design only)", ""});
    v.num("lower", lower, {"", -params::kInf, params::kInf, "lower end of the range", ""});
    v.num("upper", upper, {"", -params::kInf, params::kInf, "upper end of the range", ""});
    v.choice("scale", scale, std::array<params::Choice<Scale>, 2>{{{"linear", Scale::linear}, {"log", Scale::log}}},
             {"spacing of the range: log needs lower > 0", ""});
    v.integer("levels", levels, {"1", 1, 1000, "grid design: equally spaced values over the range (ends included)", ""});
  }
};

/// A named group of scenario keys varied together by one parameter (its name under `parameters`):
/// the parameter's value multiplies every `scale` key's base value and is assigned to every `set`
/// key. Keys are key paths with wildcards and filters (`tasks.*.defect_prob`,
/// `tasks[tool=chatbot].ai_quality_change`; docs/experiments.md, "Groups").
struct ParameterGroup {
  std::string name;
  std::vector<std::string> scale;  ///< key paths multiplied by the factor
  std::vector<std::string> set;    ///< key paths set to the value
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.texts("scale", scale, {"key paths (wildcards allowed) whose base values the parameter multiplies", ""});
    v.texts("set", set, {"key paths (wildcards allowed) the parameter's value is assigned to", ""});
  }
};

/// One number of the scenario that a parameter changes: set to the parameter's value, or to its
/// base value times the parameter's value (a group's `scale` keys).
struct ParameterTarget {
  std::string path;      ///< concrete key path in the resolved scenario (keys and [index] only)
  bool scale = false;    ///< multiply `base` by the parameter's value
  double base = 0;       ///< the base scenario's value
  bool integer = false;  ///< an integer key: the value is rounded
};

/// How the parameter points are chosen.
struct DesignSpec {
  enum class Type : std::uint8_t { grid, lhs, sobol, saltelli, morris, points, posterior } type = Type::grid;
  int points = 16;             ///< lhs, sobol: points; saltelli: base rows N (N (d + 2) points); posterior: draws
  int trajectories = 10;       ///< morris: r trajectories (r (d + 1) points)
  int levels = 4;              ///< morris: p levels (even)
  std::vector<double> values;  ///< points: the points' values, point by point (one per parameter, in order)
  std::string file;            ///< posterior: a calibration's results file, relative to the experiment file
  std::string from;            ///< points: where the points came from (free text; a resolved posterior says)

  template <class V>
  void visit(V& v) {
    v.choice("type", type,
             std::array<params::Choice<Type>, 7>{{{"grid", Type::grid},
                                                  {"lhs", Type::lhs},
                                                  {"sobol", Type::sobol},
                                                  {"saltelli", Type::saltelli},
                                                  {"morris", Type::morris},
                                                  {"points", Type::points},
                                                  {"posterior", Type::posterior}}},
             {"grid: every combination of the parameters' values; lhs: Latin hypercube; sobol: Sobol points; "
              "saltelli: Sobol sensitivity indices; morris: elementary effects; points: the points listed in `values`; "
              "posterior: draws from a calibration's posterior (`file`)",
              "Saltelli et al. 2010; Morris 1991"});
    v.integer("points", points,
              {"1", 1, 1'000'000, "lhs and sobol: number of points; saltelli: base rows N (N (d + 2) points); posterior: draws", ""});
    v.integer("trajectories", trajectories, {"1", 1, 100'000, "morris: number of trajectories r (r (d + 1) points)", ""});
    v.integer("levels", levels, {"1", 2, 1000, "morris: number of levels p of the grid (even)", "Morris 1991"});
    v.numbers(
        "values", values,
        {"", -params::kInf, params::kInf, "points: the points' values, point by point (one per parameter, in the parameters' order)", ""});
    v.text("file", file, {"posterior: the results file of a `kpisim calibrate` with a posterior, relative to this file", ""});
    v.text("from", from, {"points: where the points came from (free text, written when a posterior is resolved)", ""});
  }
};

/// What `compare` and the sensitivity analysis summarise.
struct AnalysisSpec {
  std::vector<std::string> outputs = {"true_value_per_fte", "measured_value_per_fte", "burnout_share",        "exhaustion_mean",
                                      "token_cost_usd",     "cleanup_hours_per_fte",  "kpi_value_correlation"};
  int first_day = 0;
  int last_day = -1;  ///< -1: the last day
  double level = 0.95;
  int resamples = 1000;

  template <class V>
  void visit(V& v) {
    v.texts("outputs", outputs, {"daily variables summarised (names as in docs/output-schema.md)", ""});
    v.integer("first_day", first_day, {"day", 0, 36500, "first day of the window each run is summarised over (its mean)", ""});
    v.integer("last_day", last_day, {"day", -1, 36500, "last day of the window (-1: the last simulated day)", ""});
    v.num("level", level, {"1", 0.5, 0.9999, "confidence level of the intervals", ""});
    v.integer("resamples", resamples,
              {"1", 0, 1'000'000, "bootstrap resamples of the Sobol indices (0: no intervals)", "Saltelli et al. 2010"});
  }
};

/// One constraint of the robust comparison on an output (named as in `analysis.outputs`): in a
/// state of the world, the policy's mean over replications must lie within [min, max]; with
/// `relative_to: baseline`, its paired difference from the baseline policy in the same state must.
struct RobustConstraint {
  static constexpr bool kKeyPathNames = true;  ///< output names may hold a division: unit_burnout_share[Sales]
  std::string name;                            ///< the output
  double min = -params::kInf;
  double max = params::kInf;
  enum class Relative : std::uint8_t { absolute, baseline } relative_to = Relative::absolute;
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.num("min", min, {"", -params::kInf, params::kInf, "lowest acceptable value (the output's units)", ""});
    v.num("max", max, {"", -params::kInf, params::kInf, "highest acceptable value (the output's units)", ""});
    v.choice("relative_to", relative_to,
             std::array<params::Choice<Relative>, 2>{{{"absolute", Relative::absolute}, {"baseline", Relative::baseline}}},
             {"absolute: the policy's value; baseline: its difference from the baseline policy in the same state", ""});
  }
};

/// PRIM scenario discovery settings (Friedman & Fisher 1999).
struct PrimSpec {
  double peel_alpha = 0.05;
  double min_support = 0.05;
  double threshold = 0.8;
  double significance = 0.05;
  int resamples = 100;

  template <class V>
  void visit(V& v) {
    v.num("peel_alpha", peel_alpha, {"1", 0.001, 0.5, "share of the box's states each peel removes", "Friedman & Fisher 1999"});
    v.num("min_support", min_support, {"1", 0.001, 1, "peeling stops before the box holds fewer than this share of the states", ""});
    v.num("threshold", threshold, {"1", 0.001, 1, "box chosen: the largest on the peeling trajectory with at least this density", ""});
    v.num("significance", significance,
          {"1", 0.0001, 1, "restrictions with a larger quasi-p-value are dropped from the chosen box", "Bryant & Lempert 2010"});
    v.integer("resamples", resamples, {"1", 0, 10'000, "bootstrap resamples of the stability check (0: none)", ""});
  }
};

/// The robust comparison over the design's states of the world (docs/experiments.md, "Robust
/// comparison"): regret against the best policy in each state, satisficing shares, and scenario
/// discovery of where each policy loses. Present when the experiment file has a `robust:` section.
struct RobustSpec {
  std::string objective = "net_value_annual_usd";
  enum class Direction : std::uint8_t { max, min } direction = Direction::max;
  double regret_threshold = 0.0;
  enum class Loses : std::uint8_t { either, regret, constraints } loses = Loses::either;
  std::vector<RobustConstraint> constraints;
  PrimSpec prim;
  int line = -1;  ///< >= 0 when the section is given
  int col = -1;

  [[nodiscard]] bool present() const noexcept { return line >= 0; }

  template <class V>
  void visit(V& v) {
    v.text("objective", objective,
           {"output whose mean over replications ranks the policies in each state (USD/day outputs are shown per year)", ""});
    v.choice("direction", direction, std::array<params::Choice<Direction>, 2>{{{"max", Direction::max}, {"min", Direction::min}}},
             {"whether more or less of the objective is better", ""});
    v.num("regret_threshold", regret_threshold,
          {"", 0, params::kInf, "a policy loses in a state when its regret exceeds this (objective units, per year for USD/day)", ""});
    v.choice(
        "loses", loses,
        std::array<params::Choice<Loses>, 3>{{{"either", Loses::either}, {"regret", Loses::regret}, {"constraints", Loses::constraints}}},
        {"what scenario discovery explains: states where the regret exceeds regret_threshold, where a constraint fails, or either", ""});
    v.named("constraints", constraints, {"satisficing constraints: OUTPUT -> {min, max, relative_to}", ""}, params::Merge::replace);
    v.section("prim", prim, {"scenario discovery of where each policy loses (PRIM)", "Friedman & Fisher 1999"});
  }
};

/// An experiment file.
struct Experiment {
  std::string name = "experiment";
  std::string description;
  std::string base;                   ///< scenario file, relative to the experiment file
  std::vector<std::string> policies;  ///< policies of the base to run (empty: all)
  std::string baseline;               ///< policy the others are compared with (empty: the first)
  int replications = 10;
  std::uint64_t seed = 0;  ///< 0: the base scenario's seed
  int days = 0;            ///< 0: the base scenario's horizon
  std::vector<SweepParameter> parameters;
  std::vector<ParameterGroup> groups;
  DesignSpec design;
  AnalysisSpec analysis;
  RobustSpec robust;

  template <class V>
  void visit(V& v) {
    v.text("name", name, {"short name of the experiment", ""});
    v.text("description", description, {"free text", ""});
    v.text("base", base, {"the base scenario file, relative to this file (or give `scenario:` inline)", ""});
    v.accept("scenario");   // an inline base scenario, read by the loader
    v.accept("optimise");   // a policy optimisation (kpisim optimise), read by Optimisation::load (experiment/optimise.hpp)
    v.accept("calibrate");  // a calibration (kpisim calibrate), read by Calibration::load (experiment/calibrate.hpp)
    v.texts("policies", policies, {"policies of the base scenario to run (default: all)", ""});
    v.text("baseline", baseline, {"policy the others are compared with (default: the first)", ""});
    v.integer("replications", replications, {"1", 1, 1'000'000, "replications per policy and point (common random numbers)", ""});
    v.integer("seed", seed, {"1", 0, 1.8e19, "master seed (0: the base scenario's seed)", ""});
    v.integer("days", days, {"day", 0, 36500, "horizon (0: the base scenario's)", ""});
    v.named("groups", groups, {"named groups of keys one parameter scales or sets together: NAME -> {scale: [...], set: [...]}", ""},
            params::Merge::replace);
    v.named("parameters", parameters,
            {"parameters to vary: scenario key path or group name -> {values} or {lower, upper, scale, levels}", ""},
            params::Merge::replace);
    v.section("design", design, {"how parameter points are chosen", ""});
    v.section("analysis", analysis, {"what compare and the sensitivity analysis summarise", ""});
    v.section("robust", robust, {"robust comparison over the states of the world: regret, satisficing, scenario discovery", ""});
  }
};

/// Whether an experiment text may name its base scenario by file (`base:`). Text stored in a
/// results file must not: its scenario is stored inline, and a path named inside an untrusted file
/// is never opened.
enum class BaseFile : std::uint8_t { allowed, refused };

/// One run of an expanded experiment.
struct SweepRun {
  std::size_t point = 0;          ///< parameter point
  std::size_t policy = 0;         ///< index into Sweep::policies
  std::uint32_t replication = 0;  ///< replication k (its random streams)
};

/// An experiment expanded into points and runs, ready to execute.
class Sweep {
 public:
  /// Reads and checks an experiment file: errors name file:line:column (unknown keys with a
  /// suggestion; parameter paths the scenario does not have; values the scenario refuses; design
  /// requirements). Throws InputError listing every problem.
  static Sweep load(const std::string& path);
  /// What the parameters' ranges are for. `sweep`: the experiment's design gives the points run.
  /// `search_box`: the box an optimisation or a calibration searches; no design is run, and
  /// `points` are the box's check points for check_points(): every parameter at its lower end, each
  /// alone at its upper end, and each pair at their upper ends (1 + d + d(d - 1)/2 points, not the
  /// 3^d of a default grid), so that every pair of parameters meets the four combinations of its
  /// ends and a cross-field check between any two is met at its corner.
  enum class DesignUse { sweep, search_box };
  /// The same from text; `dir` resolves a relative `base`. With BaseFile::refused a `base:` key is
  /// an error (the file it names is not opened).
  static Sweep from_text(const std::string& text, const std::string& name, const std::string& dir, BaseFile base_file = BaseFile::allowed,
                         DesignUse use = DesignUse::sweep);
  /// The same from a parsed document (its nodes' marks give the positions in messages): a
  /// calibration builds its replicas' experiments from the nodes of its own file.
  static Sweep from_node(const YAML::Node& root, const std::string& name, const std::string& dir, BaseFile base_file = BaseFile::allowed,
                         DesignUse use = DesignUse::sweep);

  Experiment experiment;
  Scenario base;                            ///< the base scenario (seed and days already overridden)
  std::vector<std::string> policies;        ///< labels of the policies run, in output order
  std::vector<std::size_t> policy_index;    ///< their index in base.policies
  std::size_t baseline = 0;                 ///< index into `policies`
  std::vector<std::vector<double>> points;  ///< [point][parameter] values
  stats::MorrisDesign morris;               ///< the Morris design (design.type morris only)
  /// [parameter] the scenario numbers each parameter changes (one for a key path, a group's keys).
  std::vector<std::vector<ParameterTarget>> targets;

  [[nodiscard]] std::size_t runs() const noexcept {
    return points.size() * policies.size() * static_cast<std::size_t>(experiment.replications);
  }
  [[nodiscard]] SweepRun run(std::size_t r) const noexcept;
  /// Checks the scenario of every parameter point as `run` would (cross-field checks such as
  /// crowding <= effort_cost, which single values cannot show), without building organisations.
  /// Throws InputError naming the experiment file, the parameters' positions and each failing
  /// point's values (at most 10 points listed). `validate` and `sweep` both call it.
  void check_points() const;
  /// One line per parameter that is a group or selects a list item: the scenario numbers it changes
  /// (with their base values for `scale`); "" when every parameter is a plain key path.
  [[nodiscard]] std::string describe_targets() const;
  /// Whether parameter j is a group's name (its targets are the group's keys).
  [[nodiscard]] bool is_group(std::size_t j) const;
  /// The scenario's own value of each parameter, as written in the base scenario (a group that
  /// scales its keys: factor 1; a group that sets them: its first key's value).
  [[nodiscard]] std::vector<double> written_values() const;
  /// The value a target takes when its parameter has the value x (scaled, rounded if integer).
  [[nodiscard]] static double value_of(const ParameterTarget& t, double x);
  /// The resolved scenario of a point (base with the point's parameter values applied).
  [[nodiscard]] Scenario scenario_at(std::size_t point) const;
  /// The resolved experiment as YAML (stored in results and in the resume manifest).
  [[nodiscard]] std::string to_yaml() const;
  [[nodiscard]] int days() const noexcept { return base.days; }
  [[nodiscard]] int last_day() const noexcept;  ///< the analysis window's last day, resolved
  /// analysis.outputs with each `unit_<variable>` expanded to one output per division
  /// (expand_outputs, experiment/analysis.hpp): the outputs compared, in order.
  [[nodiscard]] std::vector<std::string> output_names() const;

 private:
  std::string source_;  ///< file name for messages
};

}  // namespace kpisim

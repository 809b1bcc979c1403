#pragma once
// Policy optimisation: an experiment file with an `optimise:` section names the policy to tune,
// its parameters and ranges (the experiment's `parameters`), an objective (a weighted sum of
// outputs' window means, maximised or minimised), constraints on outputs' means, and a budget of
// candidate evaluations. Each candidate runs the policy over the experiment's replications with
// the same random streams (common random numbers), so that candidates are compared on the same
// luck; NLopt's derivative-free local search (kpisim/stats/optimise.hpp) picks the next
// candidate. The result states its uncertainty: the chosen point's objective with its interval,
// paired differences from the baseline policy, the scenario's own values and the runner-up, and a
// re-evaluation on fresh replications that removes the selection ("winner's curse") bias.
// docs/experiments.md, "Optimisation".
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kpisim/config/params.hpp"
#include "kpisim/config/scenario.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/stats/optimise.hpp"
#include "kpisim/stats/summary.hpp"

namespace kpisim {

/// The most runs an optimisation may ask for ((evaluations + 1) x replications + 3 x confirmation
/// replications), checked from the counts before anything runs.
inline constexpr std::size_t kMaxOptimisationRuns = 10'000'000;

/// A constraint on an output's mean over replications: `max`, `min`, or both.
struct OptimiseConstraint {
  static constexpr bool kKeyPathNames = true;  ///< its name is an output, possibly unit_<variable>[<division>]
  std::string name;                            ///< the output
  double max = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.num("max", max, {"", -params::kInf, params::kInf, "the output's mean over replications must not exceed this", ""});
    v.num("min", min, {"", -params::kInf, params::kInf, "the output's mean over replications must not fall below this", ""});
  }
};

/// The `optimise:` section of an experiment file.
struct OptimiseSpec {
  std::string policy;  ///< the policy whose parameters are tuned (default: the first policy run that is not the baseline)
  enum class Goal : std::uint8_t { maximise, minimise } goal = Goal::maximise;
  std::vector<WeightEntry> objective;  ///< output -> weight (default: net_value_annual_usd: 1)
  std::vector<OptimiseConstraint> constraints;
  int evaluations = 30;  ///< candidate evaluations (the start point and the Latin hypercube included)
  int start_points = 0;  ///< Latin hypercube points evaluated before the local search
  stats::LocalAlgorithm algorithm = stats::LocalAlgorithm::cobyla;
  double initial_step = 0.25;          ///< fraction of each range
  double tolerance = 0.01;             ///< smallest step, as a fraction of each range
  int confirm_replications = 0;        ///< fresh replications for the re-evaluation (0: as many as `replications`)
  std::vector<std::string> uncertain;  ///< parameters that are uncertain states of the world, not decisions
  int states = 8;                      ///< states of the world drawn (Latin hypercube) when `uncertain` is given

  template <class V>
  void visit(V& v) {
    v.text("policy", policy, {"the policy whose parameters are tuned (default: the first policy run other than the baseline)", ""});
    v.choice("goal", goal, std::array<params::Choice<Goal>, 2>{{{"maximise", Goal::maximise}, {"minimise", Goal::minimise}}},
             {"maximise or minimise the objective", ""});
    v.weights("objective", objective,
              {"", -1e12, 1e12, "output -> weight: the objective is the weighted sum of the outputs' window means", ""});
    v.named("constraints", constraints, {"output -> {max, min}: bounds on the output's mean over replications", ""},
            params::Merge::replace);
    v.integer("evaluations", evaluations, {"1", 1, 100'000, "candidate evaluations, each over every replication", ""});
    v.integer("start_points", start_points, {"1", 0, 10'000, "Latin hypercube points evaluated before the local search", ""});
    v.choice("algorithm", algorithm,
             std::array<params::Choice<stats::LocalAlgorithm>, 4>{{{"cobyla", stats::LocalAlgorithm::cobyla},
                                                                   {"bobyqa", stats::LocalAlgorithm::bobyqa},
                                                                   {"sbplx", stats::LocalAlgorithm::sbplx},
                                                                   {"neldermead", stats::LocalAlgorithm::neldermead}}},
             {"NLopt's local search: cobyla (constraints), bobyqa, sbplx, neldermead (a box only)", "Powell 1994; Powell 2009"});
    v.num("initial_step", initial_step, {"1", 1e-6, 1.0, "initial step of the local search, as a fraction of each range", ""});
    v.num("tolerance", tolerance, {"1", 1e-9, 0.5, "stop when a step is below this fraction of each range", ""});
    v.integer("confirm_replications", confirm_replications,
              {"1", 0, 1'000'000, "fresh replications re-evaluating the result (0: as many as `replications`)", ""});
    v.texts("uncertain", uncertain, {"parameters (names under `parameters`) that are uncertain states of the world, not decisions", ""});
    v.integer("states", states, {"1", 1, 10'000, "states of the world (Latin hypercube over the uncertain parameters' ranges)", ""});
  }
};

/// True if the YAML file has a top-level `optimise` key (false if it cannot be read).
bool has_optimise_section(const std::string& path);

/// An experiment with an `optimise:` section, checked and resolved.
class Optimisation {
 public:
  /// Reads and checks the file (as an experiment, then its `optimise:` section): errors name
  /// file:line:column, unknown keys get a suggestion. Throws InputError listing every problem.
  static Optimisation load(const std::string& path);
  /// The same from YAML text: `name` names it in messages, relative `base:` paths are resolved in
  /// `dir` (refused with BaseFile::refused: the resolved experiment stored in a results file).
  static Optimisation from_text(const std::string& text, const std::string& name, const std::string& dir,
                                BaseFile base_file = BaseFile::allowed);

  Sweep sweep;                         ///< the experiment (its parameters are the search box)
  OptimiseSpec spec;                   ///< the section, with defaults filled in
  std::size_t policy = 0;              ///< the tuned policy, an index into sweep.policies
  std::vector<std::size_t> decision;   ///< the decision parameters (indices into the experiment's parameters)
  std::vector<std::size_t> uncertain;  ///< the uncertain ones
  /// [state][uncertain parameter] values: the states of the world of the search and of the fresh
  /// re-evaluation (two Latin hypercubes, seeded by the seed; one empty state without `uncertain`).
  std::vector<std::vector<double>> states, fresh_states;
  std::vector<stats::Parameter> box;  ///< the decision parameters' ranges
  std::vector<double> start;          ///< the scenario's own values of the decision parameters, clamped into the box
  std::vector<double> written;        ///< the scenario's own values of every parameter (a group's factor: 1)
  std::vector<std::string> outputs;   ///< the outputs computed for each run (objective's, constraints', the money view's)

  [[nodiscard]] int replications() const noexcept { return sweep.experiment.replications; }
  [[nodiscard]] int confirm_replications() const noexcept {
    return spec.confirm_replications > 0 ? spec.confirm_replications : sweep.experiment.replications;
  }
  [[nodiscard]] std::size_t state_count() const noexcept { return states.empty() ? 1 : states.size(); }
  /// Every parameter's value: the decision values x and state s's values (of `fresh_states` if fresh).
  [[nodiscard]] std::vector<double> full_point(const std::vector<double>& x, std::size_t s, bool fresh) const;
  /// Runs at most: ((evaluations + 1 baseline) x replications + 3 x confirmation replications) x states.
  [[nodiscard]] std::size_t max_runs() const noexcept;
  /// The objective as text ("net_value_annual_usd", "1 x a + -2e6 x b").
  [[nodiscard]] std::string objective_text() const;
  /// The resolved experiment and its optimise section as YAML (stored in the results file).
  [[nodiscard]] std::string to_yaml() const;
};

/// One candidate's results over the replications.
struct CandidateResult {
  std::vector<double> x;                    ///< parameter values
  std::vector<double> objective;            ///< [replication] the objective's value (as defined, before the goal's sign)
  std::vector<std::vector<double>> output;  ///< [output][replication] window means (Optimisation::outputs)
  stats::Summary summary;                   ///< of `objective`
  bool feasible = false;
  int stage = 0;  ///< 0 start, 1 Latin hypercube, 2 local search
};

struct ComparisonLine {
  std::string label;
  stats::Summary objective;   ///< over replications
  stats::Summary difference;  ///< chosen minus this, paired by replication (empty for the chosen itself)
  std::vector<stats::Summary> outputs;
};

struct OptimisationReport {
  std::vector<CandidateResult> evaluations;
  std::size_t chosen = 0;
  bool feasible = false;
  std::string stop;
  std::size_t runner_up = std::numeric_limits<std::size_t>::max();  ///< best other distinct evaluation (none: max)
  std::vector<ComparisonLine> search;    ///< on the optimisation's replications: chosen, start, baseline, runner-up
  std::vector<ComparisonLine> confirm;   ///< on fresh replications: chosen, start, baseline
  stats::WelchComparison winners_curse;  ///< chosen's objective: optimisation replications minus fresh ones
  /// The same for the chosen point's gain over the baseline (paired differences, search minus fresh):
  /// far less noisy, since each replication's shared luck cancels in its difference.
  stats::WelchComparison gain_bias;
  /// [fresh state] chosen minus baseline, and chosen minus start, paired over the state's fresh replications (with `uncertain`).
  std::vector<stats::Summary> state_vs_baseline, state_vs_start;
  std::size_t runs = 0;
  std::vector<std::pair<std::size_t, std::string>> failures;  ///< (run label index, message)
};

struct OptimiseOptions {
  std::string output;
  bool overwrite = false;
  ResultsMeta meta;
  /// (runs done, runs at most); called from the calling thread between candidates.
  std::function<void(long long, long long)> progress;
};

/// Runs the optimisation and writes its results file (never replacing an existing file without
/// `overwrite`: OutputExistsError before anything runs). Same seed, same result at any thread count.
OptimisationReport run_optimisation(const Optimisation& opt, const OptimiseOptions& options);

/// The readable summary `kpisim optimise` prints.
std::string format_optimisation(const Optimisation& opt, const OptimisationReport& report);

/// The report of an optimisation read back from its results file (`kpisim compare`): the tables
/// `optimisation/evaluations`, `optimisation/comparison` and (with `uncertain`) `optimisation/states`,
/// checked against the optimisation stored in the file. What format_optimisation prints from it is
/// what `kpisim optimise` printed (per-replication values are not stored: each evaluation's outputs
/// are their means). Throws ResultsFileError for tables that are missing or do not fit together.
OptimisationReport read_optimisation_report(const Optimisation& opt, const std::string& path);

}  // namespace kpisim

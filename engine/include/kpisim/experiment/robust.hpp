#pragma once
// The robust comparison of an experiment with a `robust:` section (docs/experiments.md, "Robust
// comparison"): each parameter point of the design is a state of the world; in each, every policy's
// objective (its mean over replications, common random numbers) gives the best policy and every
// policy's regret; constraints give satisficing shares; PRIM finds where each policy loses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/stats/robust.hpp"

namespace kpisim {

/// The outputs the robust comparison reads (its objective, then its constraints' outputs).
std::vector<std::string> robust_outputs(const Sweep& sweep);

/// A problem of an experiment's `robust:` section: at the key path's position, or at line:col
/// (0-based) when line >= 0.
struct RobustProblem {
  std::string key;
  std::string message;
  int line = -1;
  int col = -1;
};
/// Problems of an experiment's `robust:` section, for the experiment loader to report at their
/// positions; empty when there is none or the section is absent.
std::vector<RobustProblem> robust_problems(const Sweep& sweep);

/// PRIM needs at least this many states of the world with a defined objective.
inline constexpr std::size_t kMinPrimStates = 10;

struct RobustPolicy {
  std::string policy;
  stats::RegretSummary regret;             ///< in the objective's shown units
  double objective_mean = stats::kNaN;     ///< mean over states of the policy's objective
  double satisficing_share = stats::kNaN;  ///< share of states meeting every constraint
  double loses_share = stats::kNaN;        ///< share of states where it loses (regret above the threshold, or a constraint unmet)
  double resolved_share = stats::kNaN;  ///< share of states where its regret's paired interval lies above 0 (worse than the best, resolved)
  bool prim_run = false;
  std::string prim_note;  ///< why PRIM was not run, when it was not
  stats::PrimResult prim;
};

struct RobustAnalysis {
  std::string objective;  ///< the output
  std::string units;      ///< units shown (USD/year for USD/day outputs)
  double scale = 1.0;     ///< shown objective = output x scale
  bool maximise = true;
  std::size_t states = 0;       ///< parameter points
  std::size_t states_used = 0;  ///< with the objective defined for every policy
  /// [state * policies + policy]: objective (shown units), its regret and the regret's paired
  /// interval over replications (best policy of the state minus this one); satisfies: 1 when every
  /// constraint holds, loses: 1 when the policy loses there.
  std::vector<double> objective_values, regret, regret_lower, regret_upper;
  std::vector<std::uint8_t> satisfies, loses;
  stats::RegretTable table;
  std::vector<RobustPolicy> policies;
};

/// Computes the robust comparison from the window means of each run (throws what `window_means`
/// throws). The sweep must have a robust section.
RobustAnalysis analyse_robust(const Sweep& sweep, const WindowMeans& window_means);

/// The section `kpisim sweep` and `compare` print ("Robustness over N states of the world").
std::string format_robust(const Sweep& sweep, const RobustAnalysis& robust);

/// One sentence per restriction of a box: "x >= a and y <= b"; "" without restrictions.
std::string describe_box(const Sweep& sweep, const stats::PrimResult& prim);

/// What `kpisim validate` says of the robust section: one line (and a second when the design has
/// too few states for scenario discovery); "" without the section.
std::string describe_robust(const Sweep& sweep);

/// Writes the group `robust` of the results file (docs/output-schema.md).
void write_robust(ResultsWriter& writer, const Sweep& sweep, const RobustAnalysis& robust);

}  // namespace kpisim

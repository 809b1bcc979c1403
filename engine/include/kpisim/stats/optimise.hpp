#pragma once
// Derivative-free minimisation over a box with inequality constraints, for objectives estimated by
// simulation under common random numbers (a sample-average approximation: every candidate is
// evaluated with the same random streams, so the estimated objective is a deterministic function of
// the candidate and a deterministic optimiser applies). The local search is NLopt's (Johnson, "The
// NLopt nonlinear-optimization package"): COBYLA (Powell 1994) handles the constraints; BOBYQA
// (Powell 2009), Sbplx (Rowan 1990) and Nelder-Mead handle a box only. An optional global stage
// evaluates a Latin hypercube of start points first and starts the local search at the best.
//
// Everything is in the caller's coordinates; the search works in the unit cube of the box (each
// coordinate scaled to [0,1]), so that step sizes are comparable across parameters. Reproducible:
// the same problem and options give the same sequence of evaluations. docs/experiments.md,
// "Optimisation".
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kpisim/stats/design.hpp"

namespace kpisim::stats {

enum class LocalAlgorithm : std::uint8_t { cobyla, bobyqa, sbplx, neldermead };

/// The algorithm's name as in experiment files ("cobyla", ...).
const char* algorithm_name(LocalAlgorithm a) noexcept;

struct OptimisationProblem {
  std::vector<Parameter> box;  ///< the parameters (ranges; a log scale searches in log x)
  std::vector<double> start;   ///< start of the local search (parameter values; empty: the box's centre in the unit cube)
  std::size_t constraints = 0;
  /// Evaluates a candidate (parameter values): returns 1 + constraints numbers, the objective to
  /// minimise and then each constraint's value c_j, feasible when c_j <= 0. NaN objective: the
  /// candidate failed (it is recorded and treated as infeasible and worst).
  std::function<std::vector<double>(const std::vector<double>& x)> evaluate;
};

struct OptimisationOptions {
  LocalAlgorithm algorithm = LocalAlgorithm::cobyla;
  std::size_t max_evaluations = 50;  ///< all evaluations, the start points included
  std::size_t start_points = 0;      ///< Latin hypercube points evaluated before the local search
  double initial_step = 0.25;        ///< initial step of the local search, as a fraction of each range
  double xtol = 1e-3;                ///< stop when a step changes every unit coordinate by less than this
  std::uint64_t seed = 0;            ///< seeds the Latin hypercube
};

struct Evaluation {
  std::vector<double> x;       ///< parameter values
  std::vector<double> values;  ///< objective, then constraints (as returned by evaluate)
  bool feasible = false;       ///< every constraint <= 0 and the objective is a number
  double violation = 0.0;      ///< sum of the positive constraint values (infinite when it failed)
  int stage = 0;               ///< 0: the start point, 1: a Latin hypercube point, 2: the local search
};

struct OptimisationResult {
  std::vector<Evaluation> evaluations;  ///< in the order evaluated
  std::size_t best = 0;                 ///< the feasible evaluation with the lowest objective; if none is feasible, the least violating
  bool any_feasible = false;
  std::string stop;  ///< why the local search stopped (NLopt's result, or "evaluation budget spent")
};

/// Minimises problem.evaluate's objective subject to its constraints. Every distinct candidate is
/// evaluated once (NLopt asks for the objective and constraints at the same point separately; they
/// share one evaluation). At most options.max_evaluations evaluations. Constraints need COBYLA
/// (throws std::invalid_argument otherwise, and for an empty or invalid box or a start outside it).
OptimisationResult minimise(const OptimisationProblem& problem, const OptimisationOptions& options);

}  // namespace kpisim::stats

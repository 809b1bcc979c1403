// Derivative-free optimisation over a box: NLopt's local algorithms with an optional Latin
// hypercube start (kpisim/stats/optimise.hpp).
#include "kpisim/stats/optimise.hpp"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

namespace kpisim::stats {
namespace {

struct Search {
  const OptimisationProblem* problem = nullptr;
  const OptimisationOptions* options = nullptr;
  OptimisationResult* result = nullptr;
  nlopt_opt opt = nullptr;
  bool budget_spent = false;
  std::exception_ptr error;  ///< an exception of evaluate(), rethrown after NLopt returns
  double worst = 0.0;        ///< the largest finite objective seen (a failed candidate counts as worse)
  bool have_worst = false;

  /// Points given in parameter values (the start, the local search's start) and their unit
  /// coordinates: the search asks for them in unit coordinates, and gets exactly those values back
  /// (the round trip through the unit cube may change the last bit).
  std::vector<std::pair<std::vector<double>, std::vector<double>>> known;  // (u, x)

  [[nodiscard]] std::vector<double> to_values(const double* u) const {
    for (const auto& [ku, kx] : known)
      if (std::equal(ku.begin(), ku.end(), u)) return kx;
    std::vector<double> x(problem->box.size());
    for (std::size_t j = 0; j < x.size(); ++j) {
      // Within 1e-9 of a bound is the bound (the local search reaches bounds only to round-off).
      double v = std::clamp(u[j], 0.0, 1.0);
      if (v < 1e-9) v = 0.0;
      if (v > 1.0 - 1e-9) v = 1.0;
      x[j] = to_parameter(problem->box[j], v);
    }
    return x;
  }

  /// The evaluation at x (an earlier one if x was evaluated before), or nullptr when the budget is spent.
  const Evaluation* at(const std::vector<double>& x, int stage) {
    for (const auto& e : result->evaluations)
      if (e.x == x) return &e;
    if (result->evaluations.size() >= options->max_evaluations) {
      budget_spent = true;
      return nullptr;
    }
    Evaluation e;
    e.x = x;
    e.stage = stage;
    e.values = problem->evaluate(x);
    if (e.values.size() != 1 + problem->constraints)
      throw std::invalid_argument("the evaluation returned the wrong number of values (objective and constraints)");
    const bool failed = !std::isfinite(e.values[0]);
    for (std::size_t j = 1; j < e.values.size(); ++j) e.violation += std::isnan(e.values[j]) ? 1.0 : std::max(0.0, e.values[j]);
    if (failed) e.violation = std::numeric_limits<double>::infinity();
    e.feasible = !failed && e.violation == 0.0;
    if (!failed && (!have_worst || e.values[0] > worst)) {
      worst = e.values[0];
      have_worst = true;
    }
    result->evaluations.push_back(std::move(e));
    return &result->evaluations.back();
  }

  /// What NLopt is told for a failed candidate: worse than anything seen, and infeasible.
  [[nodiscard]] double penalty() const { return have_worst ? worst + std::abs(worst) + 1.0 : 1e30; }
};

/// Whether evaluation a is better than b: feasible before infeasible, then the lower objective
/// (feasible) or the lower violation (infeasible); ties keep the earlier.
bool better(const Evaluation& a, const Evaluation& b) {
  if (a.feasible != b.feasible) return a.feasible;
  if (a.feasible) return a.values[0] < b.values[0];
  return a.violation < b.violation;
}

double objective_cb(unsigned n, const double* u, double* /*grad*/, void* data) {
  auto* s = static_cast<Search*>(data);
  try {
    const Evaluation* e = s->at(s->to_values(u), 2);
    if (e == nullptr) {
      nlopt_force_stop(s->opt);
      return s->penalty();
    }
    static_cast<void>(n);
    return std::isfinite(e->values[0]) ? e->values[0] : s->penalty();
  } catch (...) {
    s->error = std::current_exception();
    nlopt_force_stop(s->opt);
    return 0.0;
  }
}

void constraints_cb(unsigned m, double* out, unsigned /*n*/, const double* u, double* /*grad*/, void* data) {
  auto* s = static_cast<Search*>(data);
  try {
    const Evaluation* e = s->at(s->to_values(u), 2);
    for (unsigned j = 0; j < m; ++j) {
      const double c = e == nullptr ? 1.0 : e->values[j + 1];
      out[j] = std::isfinite(e == nullptr ? 0.0 : e->values[0]) && std::isfinite(c) ? c : 1.0;
    }
    if (e == nullptr) nlopt_force_stop(s->opt);
  } catch (...) {
    s->error = std::current_exception();
    for (unsigned j = 0; j < m; ++j) out[j] = 0.0;
    nlopt_force_stop(s->opt);
  }
}

const char* result_text(nlopt_result r) {
  switch (r) {
    case NLOPT_SUCCESS:
      return "converged";
    case NLOPT_STOPVAL_REACHED:
      return "target value reached";
    case NLOPT_FTOL_REACHED:
      return "converged (objective tolerance)";
    case NLOPT_XTOL_REACHED:
      return "converged (step below the tolerance)";
    case NLOPT_MAXEVAL_REACHED:
    case NLOPT_MAXTIME_REACHED:
      return "evaluation budget spent";
    case NLOPT_ROUNDOFF_LIMITED:
      return "stopped: round-off limits progress";
    case NLOPT_FORCED_STOP:
      return "evaluation budget spent";
    case NLOPT_INVALID_ARGS:
      return "invalid arguments";
    case NLOPT_OUT_OF_MEMORY:
      return "out of memory";
    default:
      return "failed";
  }
}

}  // namespace

const char* algorithm_name(LocalAlgorithm a) noexcept {
  switch (a) {
    case LocalAlgorithm::cobyla:
      return "cobyla";
    case LocalAlgorithm::bobyqa:
      return "bobyqa";
    case LocalAlgorithm::sbplx:
      return "sbplx";
    case LocalAlgorithm::neldermead:
      return "neldermead";
  }
  return "?";
}

OptimisationResult minimise(const OptimisationProblem& problem, const OptimisationOptions& options) {
  validate_parameters(problem.box);
  const std::size_t d = problem.box.size();
  if (problem.constraints > 0 && options.algorithm != LocalAlgorithm::cobyla)
    throw std::invalid_argument("constraints need the cobyla algorithm (bobyqa, sbplx and neldermead handle a box only)");
  if (!problem.start.empty() && problem.start.size() != d) throw std::invalid_argument("the start point has the wrong dimension");
  if (!problem.evaluate) throw std::invalid_argument("no evaluation function");
  if (options.max_evaluations == 0) throw std::invalid_argument("the evaluation budget must be at least 1");
  if (!(options.initial_step > 0.0 && options.initial_step <= 1.0)) throw std::invalid_argument("the initial step must lie in (0, 1]");

  OptimisationResult result;
  result.evaluations.reserve(options.max_evaluations);  // pointers into it stay valid
  Search s;
  s.problem = &problem;
  s.options = &options;
  s.result = &result;

  // The start point.
  std::vector<double> u0(d, 0.5);
  for (std::size_t j = 0; j < d && !problem.start.empty(); ++j) {
    const double u = to_unit(problem.box[j], problem.start[j]);
    if (!(u >= -1e-12 && u <= 1 + 1e-12)) throw std::invalid_argument("the start point lies outside the box: " + problem.box[j].name);
    u0[j] = std::clamp(u, 0.0, 1.0);
  }
  if (!problem.start.empty()) s.known.emplace_back(u0, problem.start);
  static_cast<void>(s.at(s.to_values(u0.data()), 0));
  // The global stage: Latin hypercube points; the local search starts at the best point so far.
  if (options.start_points > 0) {
    const Design lhs = latin_hypercube(problem.box, options.start_points, options.seed);
    for (std::size_t i = 0; i < lhs.size() && !s.budget_spent; ++i) {
      std::vector<double> x(d);
      for (std::size_t j = 0; j < d; ++j) x[j] = lhs.values(i, j);
      static_cast<void>(s.at(x, 1));
    }
    std::size_t best = 0;
    for (std::size_t i = 1; i < result.evaluations.size(); ++i)
      if (better(result.evaluations[i], result.evaluations[best])) best = i;
    for (std::size_t j = 0; j < d; ++j) u0[j] = std::clamp(to_unit(problem.box[j], result.evaluations[best].x[j]), 0.0, 1.0);
    s.known.emplace_back(u0, result.evaluations[best].x);
  }

  // The local search.
  if (!s.budget_spent && result.evaluations.size() < options.max_evaluations) {
    nlopt_algorithm alg = NLOPT_LN_COBYLA;
    switch (options.algorithm) {
      case LocalAlgorithm::cobyla:
        alg = NLOPT_LN_COBYLA;
        break;
      case LocalAlgorithm::bobyqa:
        alg = NLOPT_LN_BOBYQA;
        break;
      case LocalAlgorithm::sbplx:
        alg = NLOPT_LN_SBPLX;
        break;
      case LocalAlgorithm::neldermead:
        alg = NLOPT_LN_NELDERMEAD;
        break;
    }
    nlopt_opt opt = nlopt_create(alg, static_cast<unsigned>(d));
    if (opt == nullptr) throw std::runtime_error("NLopt could not create the optimiser");
    s.opt = opt;
    const std::vector<double> lo(d, 0.0), hi(d, 1.0), step(d, options.initial_step);
    nlopt_set_lower_bounds(opt, lo.data());
    nlopt_set_upper_bounds(opt, hi.data());
    nlopt_set_initial_step(opt, step.data());
    nlopt_set_xtol_abs1(opt, options.xtol);
    // Counted by NLopt per call; repeated points cost nothing here, so allow more calls than the
    // budget: the budget itself is enforced by Search::at.
    nlopt_set_maxeval(opt, static_cast<int>(std::min<std::size_t>(10 * options.max_evaluations + 10, 1U << 30U)));
    nlopt_set_min_objective(opt, objective_cb, &s);
    if (problem.constraints > 0) {
      const std::vector<double> tol(problem.constraints, 0.0);
      nlopt_add_inequality_mconstraint(opt, static_cast<unsigned>(problem.constraints), constraints_cb, &s, tol.data());
    }
    std::vector<double> u = u0;
    double fmin = 0.0;
    const nlopt_result r = nlopt_optimize(opt, u.data(), &fmin);
    nlopt_destroy(opt);
    if (s.error) std::rethrow_exception(s.error);
    result.stop = s.budget_spent ? "evaluation budget spent" : result_text(r);
  } else {
    result.stop = "evaluation budget spent";
  }

  for (std::size_t i = 1; i < result.evaluations.size(); ++i)
    if (better(result.evaluations[i], result.evaluations[result.best])) result.best = i;
  result.any_feasible = result.evaluations[result.best].feasible;
  return result;
}

}  // namespace kpisim::stats

#pragma once
// Robust choice among policies over an ensemble of states of the world: regret against the best
// policy in each state, and scenario discovery with PRIM (the Patient Rule Induction Method,
// Friedman & Fisher 1999; as used in EMA Workbench, Kwakkel 2017, with the quasi-p-values of
// Bryant & Lempert 2010) and a bootstrap check of its stability.
//
// NaN values mark failed states: a state with a NaN objective for any policy has no best policy
// and no regret (NaN), and is left out of the summaries (counted).
// Formulas, assumptions and references: docs/experiments.md, "Statistics used".
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "kpisim/stats/summary.hpp"

namespace kpisim::stats {

inline constexpr std::size_t kNoPolicy = std::numeric_limits<std::size_t>::max();

/// Regret of each policy in each state: objective[s * policies + p] is policy p's objective in
/// state s (e.g. its mean over replications). With `maximise`, best(s) = max_p objective and
/// regret = best(s) - objective; otherwise best(s) = min_p objective and regret = objective -
/// best(s). Regret is >= 0 and is 0 for the best policy (ties: the lowest index is "best").
struct RegretTable {
  std::size_t states = 0;
  std::size_t policies = 0;
  std::vector<double> regret;     ///< [s * policies + p], NaN when state s has a NaN objective
  std::vector<std::size_t> best;  ///< [s] index of the best policy, kNoPolicy when undefined
};
/// Throws std::invalid_argument if objective.size() != states * policies or policies == 0.
RegretTable regret_table(std::span<const double> objective, std::size_t states, std::size_t policies, bool maximise);

/// One policy's regret over the states with a defined regret.
struct RegretSummary {
  std::size_t n = 0;         ///< states used
  double mean = kNaN;        ///< mean regret
  double p90 = kNaN;         ///< 90th percentile (linear interpolation between order statistics)
  double max = kNaN;         ///< largest regret
  double best_share = kNaN;  ///< share of the n states where the policy is the best
};
std::vector<RegretSummary> summarize_regret(const RegretTable& table);

/// The q-quantile (q in [0,1]) of the finite values, linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default); NaN if there are none.
double quantile(std::span<const double> values, double q);

struct PrimOptions {
  double peel_alpha = 0.05;     ///< share of the box's points each peel removes
  double min_support = 0.05;    ///< peeling stops before the box holds fewer than this share of all points
  double threshold = 0.8;       ///< the box chosen: the first on the trajectory (most coverage) with density >= threshold
  double significance = 0.05;   ///< restrictions whose quasi-p-value exceeds this are dropped from the chosen box
  std::size_t resamples = 100;  ///< bootstrap resamples of the stability check (0: none)
  double level = 0.9;           ///< level of the resampling intervals of coverage and density
  std::uint64_t seed = 0;       ///< seed of the resampling (Philox streams)
};

/// One box of the peeling trajectory.
struct PrimStep {
  double coverage = kNaN;      ///< cases of interest inside / all cases of interest
  double density = kNaN;       ///< cases of interest inside / points inside
  double support = kNaN;       ///< points inside / all points
  std::size_t restricted = 0;  ///< dimensions the box restricts
};

/// One restricted dimension of the chosen box: lower <= x <= upper (a side equal to the data's
/// extreme is not a restriction).
struct PrimRestriction {
  std::size_t dim = 0;
  double lower = kNaN;
  double upper = kNaN;
  bool lower_restricted = false;
  bool upper_restricted = false;
  double qp = kNaN;  ///< quasi-p-value: P(Binomial(n_box, density without this restriction) >= cases in box)
};

struct PrimResult {
  std::size_t n = 0;              ///< points
  std::size_t n_interesting = 0;  ///< cases of interest
  std::vector<PrimStep> trajectory;
  std::size_t chosen = 0;                     ///< index of the chosen box in the trajectory (before pruning)
  bool meets_threshold = false;               ///< the chosen box's density reached the threshold (before pruning)
  std::size_t pruned = 0;                     ///< restrictions of the chosen box dropped as not significant
  PrimStep box;                               ///< the chosen box after pruning
  std::vector<double> lower, upper;           ///< its limits in every dimension
  std::vector<PrimRestriction> restrictions;  ///< its restricted dimensions, in dimension order
  // Stability: the same PRIM on bootstrap resamples of the points.
  std::size_t resamples_used = 0;                       ///< resamples with at least one case of interest
  double same_dims_share = kNaN;                        ///< share of resamples whose box restricts exactly the same dimensions
  std::vector<double> dim_share;                        ///< [dim] share of resamples whose box restricts that dimension
  double coverage_lower = kNaN, coverage_upper = kNaN;  ///< the chosen box's coverage on the resamples (percentile interval)
  double density_lower = kNaN, density_upper = kNaN;    ///< its density on the resamples
};

/// PRIM on points x[i] (all the same dimension d >= 1) with cases of interest y[i]: peels from the
/// bounding box of the points, one side of one dimension at a time, the peel leaving the highest
/// density (Friedman & Fisher's original criterion), alpha of the box's points per peel, while the
/// box keeps at least min_support of the points. Chooses the first box with density >= threshold
/// (else the densest box), drops its restrictions that are not significant (largest quasi-p-value
/// first, while above `significance`), then repeats all of this on bootstrap resamples. With no
/// case of interest, the trajectory is empty. Throws std::invalid_argument for mismatched sizes or
/// options out of range (peel_alpha, min_support in (0, 0.5], threshold in (0, 1], level in (0, 1)).
PrimResult prim(const std::vector<std::vector<double>>& x, std::span<const std::uint8_t> y, const PrimOptions& options);

}  // namespace kpisim::stats

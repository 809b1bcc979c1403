#pragma once
// Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC; the population Monte Carlo
// scheme of Beaumont, Cornuet, Marin & Robert 2009, after Toni et al. 2009): a population of
// parameter points ("particles") drawn from a uniform prior over a box (log-uniform on a log scale)
// is moved through generations of decreasing tolerance. Generation 0 samples the prior; generation g
// accepts proposals whose distance is at most the tolerance eps_g, the `quantile` of generation
// g - 1's distances; a proposal is a particle of g - 1 drawn by weight and moved by a Gaussian
// kernel in the unit cube of the box with twice the population's weighted variance per coordinate
// (a diagonal covariance), redrawn while it falls outside the box. Weights w_i ∝ prior(x_i) /
// Σ_j w_j K(x_i | x_j) correct for the proposal. The result's last generation is a weighted sample
// of the ABC posterior at its tolerance: the points whose simulated figures are within eps of the
// evidence, as the prior weighs them.
//
// Proposals are drawn in batches from one seeded stream and their distances computed a batch at a
// time (the caller may evaluate a batch in parallel), then accepted in order: the result depends
// on the seed and the distances only, not on how the batches were evaluated.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "kpisim/stats/design.hpp"

namespace kpisim::stats {

struct AbcOptions {
  std::size_t particles = 100;          ///< accepted points per generation
  std::size_t generations = 4;          ///< generations after the prior's (generation 0)
  double quantile = 0.5;                ///< eps_g = this quantile of generation g - 1's distances, in (0, 1)
  double min_tolerance = 0.0;           ///< eps never goes below it; the generation run at it is the last (0: run every generation)
  std::size_t max_simulations = 10000;  ///< distances computed at most (every generation included)
  std::uint64_t seed = 0;
};

struct AbcParticle {
  std::vector<double> x;  ///< parameter values
  double weight = 0.0;    ///< normalised within its generation
  double distance = 0.0;
};

struct AbcGeneration {
  double tolerance = 0.0;  ///< eps (infinite for the prior's generation)
  std::vector<AbcParticle> particles;
  std::size_t simulations = 0;  ///< distances computed for this generation (accepted or not)
};

struct AbcResult {
  std::vector<AbcGeneration> generations;
  std::size_t simulations = 0;
  std::string stop;  ///< why it stopped
};

/// Distances of a batch of points (parameter values); NaN counts as infinitely far (never accepted).
using AbcDistances = std::function<std::vector<double>(const std::vector<std::vector<double>>& points)>;

/// Runs ABC-SMC over the box (stats::validate_parameters' rules). Throws std::invalid_argument for
/// bad options (no particles, a quantile outside (0, 1), a budget smaller than the prior's generation).
AbcResult abc_smc(std::span<const Parameter> box, const AbcDistances& distances, const AbcOptions& options);

/// Weighted mean, standard deviation and quantile of one coordinate of a generation.
struct WeightedSummary {
  double mean = 0.0, sd = 0.0, lower = 0.0, upper = 0.0;  ///< lower, upper: the 5% and 95% weighted quantiles
};
WeightedSummary summarize_particles(const std::vector<AbcParticle>& particles, std::size_t coordinate);

/// Spearman's rank correlation of two samples (ties get their mean rank; pairs with a NaN are left
/// out); NaN with fewer than three pairs or a constant sample.
double rank_correlation(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace kpisim::stats

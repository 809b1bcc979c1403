#pragma once
// Global sensitivity analysis from model outputs evaluated on the designs of design.hpp: Sobol
// first-order and total indices (with bootstrap intervals) and Morris elementary effects.
//
// NaN outputs mark failed runs: they are skipped and counted, as in summary.hpp.
// Formulas, assumptions and references: docs/experiments.md, "Statistics used".
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "kpisim/stats/design.hpp"
#include "kpisim/stats/summary.hpp"

namespace kpisim::stats {

/// One Sobol index: the estimate on all base rows and its bootstrap percentile interval.
struct SobolIndex {
  double estimate = kNaN;
  double se = kNaN;     ///< bootstrap standard deviation of the estimate (NaN without resamples)
  double lower = kNaN;  ///< percentile interval (NaN without resamples)
  double upper = kNaN;
  [[nodiscard]] bool contains(double x) const noexcept { return lower <= x && x <= upper; }
};

struct SobolOptions {
  std::size_t resamples = 1000;  ///< bootstrap resamples (0: no intervals)
  double level = 0.95;           ///< level of the percentile intervals, in (0,1)
  std::uint64_t seed = 0;        ///< seed of the bootstrap resampling (Philox streams)
};

struct SobolResult {
  std::size_t n_base = 0;          ///< base rows used
  std::size_t n_failed = 0;        ///< base rows dropped because one of their d + 2 outputs was NaN
  double variance = kNaN;          ///< V(Y): variance (divisor 2N) of the 2N outputs f(A), f(B)
  std::vector<SobolIndex> first;   ///< S_i, i = 0..d-1
  std::vector<SobolIndex> total;   ///< ST_i, i = 0..d-1
  std::size_t resamples_used = 0;  ///< bootstrap resamples with a defined (finite) estimate
};

/// First-order and total Sobol indices from outputs y on a saltelli_design of dimension d
/// (y.size() = N (d + 2), in the row order documented at saltelli_design).
/// With f_A, f_B, f_ABi the outputs on the rows A, B, AB_i of the N usable base rows, and
/// V = variance of the 2N values {f_A, f_B} (divisor 2N), m = their mean:
///   first order (Saltelli et al. 2010, Table 2 (b)): S_i  = (1/N) sum_k (f_B,k - m)(f_ABi,k - f_A,k) / V
///   total (Jansen 1999; Saltelli et al. 2010 (f)):   ST_i = (1/(2N)) sum_k (f_A,k - f_ABi,k)^2 / V
/// The outputs are centred at m in S_i: its expectation is unchanged (E[f_ABi - f_A] = 0), and the
/// estimate becomes invariant to adding a constant to the output, which Saltelli's formula applied
/// to raw outputs is not (its variance grows with the output's mean).
/// Assumes independent inputs, uniform on the box (on a log scale: uniform in log) and a
/// square-integrable output. Estimates may fall slightly outside [0,1] by sampling error; they are
/// not clamped. A base row with any NaN among its d + 2 outputs is dropped and counted.
/// Bootstrap: `resamples` resamples of the N base rows with replacement (each resample keeps the
/// rows' d + 2 outputs together), the indices recomputed on each (including V and m); interval =
/// the (1-level)/2 and (1+level)/2 percentiles (linear interpolation between order statistics),
/// se = their standard deviation. The bootstrap treats base rows as i.i.d.; with Sobol (quasi-random)
/// base rows it usually overstates the error, so the intervals are conservative. Resamples whose
/// variance is zero are ignored (resamples_used counts the others).
/// Throws std::invalid_argument if d = 0, y.size() is not a multiple of d + 2, or the options are
/// invalid. Fewer than 2 usable base rows, or a zero variance: estimates NaN.
SobolResult sobol_indices(std::size_t dims, std::span<const double> y, const SobolOptions& options = {});

/// Morris statistics of one parameter.
struct MorrisEffect {
  double mu = kNaN;          ///< mean of the elementary effects
  double mu_star = kNaN;     ///< mean of their absolute values (Campolongo et al. 2007)
  double sigma = kNaN;       ///< their sample standard deviation (divisor count - 1); NaN if count < 2
  std::size_t count = 0;     ///< elementary effects used
  std::size_t n_failed = 0;  ///< elementary effects skipped because an output was NaN
};

/// Elementary effects from outputs y on a morris_design (y.size() = r (d + 1), same row order).
/// For the step from point x to x' = x +/- delta e_i along trajectory t:
///   EE_i = (y(x') - y(x)) / (u'_i - u_i)     (u the unit-cube coordinates, u'_i - u_i = +/- delta)
/// i.e. the change of the output per whole range of parameter i (per whole range of log(value) on a
/// log scale): for y = sum_i c_i x_i on linear scales, EE_i = c_i (upper_i - lower_i) exactly.
/// mu_i = mean EE_i, mu*_i = mean |EE_i|, sigma_i = sample sd of EE_i, over the r trajectories.
/// mu* ranks importance; sigma large relative to mu* signals non-linearity or interactions; |mu|
/// much smaller than mu* signals effects of changing sign. Throws std::invalid_argument if y has the
/// wrong size.
std::vector<MorrisEffect> morris_effects(const MorrisDesign& design, std::span<const double> y);

}  // namespace kpisim::stats

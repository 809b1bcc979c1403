#pragma once
// What a sweep's runs say: per policy (and parameter point), the mean of each output over
// replications with its confidence interval, and the paired difference from the baseline policy
// (replication k against replication k: common random numbers) with its interval; with a
// saltelli or morris design, sensitivity indices of each output for each policy.
#include <cstddef>
#include <string>
#include <vector>

#include "kpisim/experiment/experiment.hpp"
#include "kpisim/stats/sensitivity.hpp"
#include "kpisim/stats/summary.hpp"

namespace kpisim {

struct ComparisonRow {
  std::string output;
  std::size_t point = 0;
  std::string policy;
  stats::Summary summary;           ///< over replications
  stats::Summary paired;            ///< policy - reference (reference_name), replication by replication
  stats::WelchComparison unpaired;  ///< the same difference, ignoring the pairing (for reference)
};

struct SensitivityResult {
  std::string output;
  std::string policy;
  stats::SobolResult sobol;                 ///< saltelli designs
  std::vector<stats::MorrisEffect> morris;  ///< morris designs
};

struct Analysis {
  std::vector<ComparisonRow> comparison;
  std::vector<SensitivityResult> sensitivity;
  std::size_t points_compared = 0;  ///< points listed in `comparison` (all, unless there are many)
};

/// `values[o][r]`: the summary of output o (experiment.analysis.outputs) for run r, NaN for a
/// failed run. Comparisons are made per point when there are at most `max_points` points.
Analysis analyse(const Sweep& sweep, const std::vector<std::vector<double>>& values, std::size_t max_points = 12);

/// What paired differences are taken from: the baseline policy at the same point, or, when the
/// experiment runs a single policy over several points, that policy at point 0.
std::string reference_name(const Sweep& sweep);

/// The comparison and sensitivity as text tables (what `kpisim sweep` and `compare` print).
std::string format_analysis(const Sweep& sweep, const Analysis& analysis);

}  // namespace kpisim

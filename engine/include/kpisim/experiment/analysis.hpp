#pragma once
// What a sweep's runs say: per policy (and parameter point), the mean of each output over
// replications with its confidence interval, and the paired difference from the baseline policy
// (replication k against replication k: common random numbers) with its interval; with a
// saltelli or morris design, sensitivity indices of each output for each policy.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/stats/sensitivity.hpp"
#include "kpisim/stats/summary.hpp"

namespace kpisim {

/// The outputs a sweep may summarise (`analysis.outputs`): a daily variable (`net_value_per_fte`);
/// one division's series of a per-unit variable, `unit_<variable>[<division>]`; or
/// `unit_<variable>`, which stands for that variable in every division, in scenario order.
/// Returns the outputs with every `unit_<variable>` expanded. Names that are none of these, and
/// division outputs when `per_unit` is false (nothing is written per division), add a message to
/// `problems` (with a suggestion where one is near) and are left out.
std::vector<std::string> expand_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& divisions, bool per_unit,
                                        std::vector<std::string>* problems = nullptr);

/// An expanded output split into its daily variable and division ("" for the organisation).
struct OutputName {
  std::string variable;
  std::string division;
};
OutputName split_output(std::string_view output);

/// The units of an output (its daily variable's), "" when unknown.
std::string output_units(std::string_view output);

/// Mean of an (expanded) output over days [first, last] of a run, NaN days skipped; `divisions`
/// are the unit names in the order of the run's per-unit series.
double output_window_mean(const RunResult& run, std::string_view output, const std::vector<std::string>& divisions, int first, int last);

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

/// `values[o][r]`: the summary of output o (sweep.output_names()) for run r, NaN for a
/// failed run. Comparisons are made per point when there are at most `max_points` points.
inline constexpr std::size_t kMaxComparedPoints = 12;
Analysis analyse(const Sweep& sweep, const std::vector<std::vector<double>>& values, std::size_t max_points = kMaxComparedPoints);

/// What paired differences are taken from: the baseline policy at the same point, or, when the
/// experiment runs a single policy over several points, that policy at point 0.
std::string reference_name(const Sweep& sweep);

/// The comparison and sensitivity as text tables (what `kpisim sweep` and `compare` print).
std::string format_analysis(const Sweep& sweep, const Analysis& analysis);

/// Window means of an output for every run (as read_window_means gives them; throws when the
/// results file has no such variable).
using WindowMeans = std::function<std::vector<double>(const std::string& output)>;

/// The money view and the per-division table that `kpisim sweep` and `compare` print after the
/// analysis, from the file's daily series whatever the experiment's outputs:
/// per policy (and point), the net value to the organisation (docs/output-schema.md, "Money view")
/// per FTE-day and per year with paired differences from the reference, and the token cost,
/// rewards and penalties per year; then each division's true value per FTE-day with its paired
/// difference. A file without the money view's variables (written before them) or without
/// per-division series gets a line saying so instead.
std::string format_money_and_divisions(const Sweep& sweep, const WindowMeans& window_means);

}  // namespace kpisim

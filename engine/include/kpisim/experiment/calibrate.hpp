#pragma once
// Calibration to evidence by the method of simulated moments: an experiment file with a
// `calibrate:` section lists targets (an output of one of the experiment's policies, its window
// mean, optionally per another output, against an empirical value with its standard error or
// interval, and a weight) and takes the experiment's `parameters` (with ranges) as the box to
// search. A target may read a replica instead (`replicas:`, a study reproduced as a scenario of its
// own, run with the same parameters). Each candidate runs every policy a target names over the experiment's replications on
// the same random streams (common random numbers), so the simulated moments are a deterministic
// function of the parameters; the loss is Σ_t weight_t ((m_t − v_t) / s_t)² with s_t the target's
// standard error (inverse-variance weighting) or 1 (identity); NLopt's derivative-free search
// (kpisim/stats/optimise.hpp) minimises it after a Latin hypercube of start points. The result
// states the fit target by target (model mean with its interval, the gap in standard errors of
// evidence and simulation combined). docs/experiments.md, "Calibration".
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kpisim/config/params.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/stats/abc.hpp"
#include "kpisim/stats/optimise.hpp"

namespace kpisim {

/// The most runs a calibration may ask for ((evaluations + 1 + posterior simulations) x arms x
/// replications, an arm being a policy of the experiment or of a replica that a target names), checked
/// from the counts before anything runs.
inline constexpr std::size_t kMaxCalibrationRuns = 10'000'000;
/// The most replicas a calibration may name (checked before any is read).
inline constexpr std::size_t kMaxCalibrationReplicas = 100;

/// A study reproduced in silico (`calibrate.replicas.NAME`): a scenario of its own, run with the
/// experiment's parameters (the same key paths and groups, resolved in it) and replications. Targets
/// name it with `replica:`; its figures are window means over its own days.
struct CalibrationReplica {
  std::string name;
  std::string file;    ///< its scenario file, relative to the experiment file (or `scenario:` inline)
  int first_day = -1;  ///< its window's first day (-1: the experiment's analysis.first_day)
  int last_day = -1;   ///< its window's last day (-1: its last simulated day)
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.text("file", file, {"the replica's scenario file, relative to this file (or give `scenario:` inline)", ""});
    v.accept("scenario");  // an inline scenario, read by the loader
    v.integer("first_day", first_day, {"day", -1, 36500, "first day of its window (-1: the experiment's analysis.first_day)", ""});
    v.integer("last_day", last_day, {"day", -1, 36500, "last day of its window (-1: its last simulated day)", ""});
  }
};

/// One empirical figure the model should reproduce.
struct CalibrationTarget {
  std::string name;               ///< the target's id
  std::string replica;            ///< optional: the replica whose runs give the figure ("": the experiment's own scenario)
  std::string policy;             ///< the policy whose runs give the model's figure (one of the experiment's policies)
  std::string output;             ///< the output: its window mean per run
  std::vector<std::string> plus;  ///< optional: outputs added to `output` (a sum: checking plus clean-up hours, say)
  std::string per;                ///< optional: divide by this output's window mean, run by run (a ratio: a share of hours, say)
  double value = std::numeric_limits<double>::quiet_NaN();
  double se = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> interval;  ///< alternatively, a 95% interval [lower, upper]: se = (upper - lower) / (2 x 1.96)
  double weight = 1.0;
  std::string source;
  int line = -1;
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.text("replica", replica,
           {"optional: the replica (under `replicas`) whose runs give the figure (default: the experiment's scenario)", ""});
    v.text("policy", policy,
           {"the policy whose runs give the model's figure (one of the experiment's, or of its replica's, policies)", ""});
    v.text("output", output, {"the output whose window mean (per run) is the model's figure", ""});
    v.texts("plus", plus, {"optional: outputs whose window means are added to `output`'s, run by run", ""});
    v.text("per", per, {"optional: divide by this output's window mean, run by run", ""});
    v.num("value", value, {"", -params::kInf, params::kInf, "the empirical value", ""});
    v.num("se", se, {"", 0, params::kInf, "its standard error (or give `interval`)", ""});
    v.numbers("interval", interval, {"", -params::kInf, params::kInf, "a 95% interval [lower, upper] (instead of `se`)", ""});
    v.num("weight", weight, {"1", 0, 1e12, "the target's weight in the loss", ""});
    v.text("source", source, {"where the figure comes from", ""});
  }
  /// The standard error used: `se`, or the interval's half-width / 1.96.
  [[nodiscard]] double standard_error() const noexcept;
};

/// The optional `posterior:` subsection: ABC-SMC (kpisim/stats/abc.hpp) over the parameters' box
/// with the distance sqrt(Σ_t w_t z_t² / Σ_t w_t), z_t = (model - value) / se (every candidate on
/// the same replications).
struct PosteriorSpec {
  int particles = 0;           ///< accepted points per generation (0: no posterior)
  int generations = 4;         ///< generations after the prior's
  double quantile = 0.5;       ///< each generation's tolerance: this quantile of the previous one's distances
  double min_tolerance = 1.0;  ///< stop once the tolerance is at most this (in standard errors, root mean square)
  int max_simulations = 0;     ///< simulations at most (0: 20 x particles x (generations + 1))

  template <class V>
  void visit(V& v) {
    v.integer("particles", particles, {"1", 0, 100'000, "points per generation (0: no posterior)", ""});
    v.integer("generations", generations, {"1", 1, 100, "generations after the prior's", ""});
    v.num("quantile", quantile, {"1", 0.01, 0.99, "each tolerance is this quantile of the previous generation's distances", ""});
    v.num("min_tolerance", min_tolerance,
          {"1", 0, 1e9, "stop once the tolerance is at most this (root mean square of the targets' gaps in standard errors)", ""});
    v.integer("max_simulations", max_simulations, {"1", 0, 10'000'000, "simulations at most (0: 20 x particles x (generations + 1))", ""});
  }
  [[nodiscard]] std::size_t budget() const noexcept {
    return max_simulations > 0 ? static_cast<std::size_t>(max_simulations)
                               : 20 * static_cast<std::size_t>(particles) * (static_cast<std::size_t>(generations) + 1);
  }
};

/// The `calibrate:` section of an experiment file.
struct CalibrateSpec {
  std::vector<CalibrationReplica> replicas;
  std::vector<CalibrationTarget> targets;
  enum class Weighting : std::uint8_t { inverse_variance, identity, matrix } weighting = Weighting::inverse_variance;
  std::vector<double> weight_matrix;  ///< weighting: matrix: W, n x n row by row in the targets' order
  int evaluations = 40;               ///< candidates evaluated (the start and the Latin hypercube included)
  int start_points = 10;              ///< Latin hypercube points evaluated before the local search
  stats::LocalAlgorithm algorithm = stats::LocalAlgorithm::sbplx;
  double initial_step = 0.25;  ///< fraction of each range
  double tolerance = 0.01;     ///< smallest step, as a fraction of each range
  PosteriorSpec posterior;

  template <class V>
  void visit(V& v) {
    v.named(
        "replicas", replicas,
        {"studies reproduced in silico: NAME -> {file (or scenario inline), first_day, last_day}; a target names one with `replica:`", ""},
        params::Merge::replace);
    v.named("targets", targets, {"target id -> {policy, output, per, value, se or interval, weight, source}", ""}, params::Merge::replace);
    v.choice("weighting", weighting,
             std::array<params::Choice<Weighting>, 3>{
                 {{"inverse_variance", Weighting::inverse_variance}, {"identity", Weighting::identity}, {"matrix", Weighting::matrix}}},
             {"the loss's weights: 1/se^2 per target (inverse_variance), 1 (identity), each times the target's weight, or a matrix "
              "(weight_matrix)",
              ""});
    v.numbers("weight_matrix", weight_matrix,
              {"", -params::kInf, params::kInf,
               "weighting: matrix: the n x n matrix W of the loss (m - v)' W (m - v), row by row in the targets' order (e.g. the inverse "
               "of the evidence's covariance matrix); symmetric, positive semi-definite",
               "Hansen 1982; McFadden 1989"});
    v.integer("evaluations", evaluations, {"1", 1, 100'000, "candidate evaluations, each over every target's policy and replication", ""});
    v.integer("start_points", start_points, {"1", 0, 10'000, "Latin hypercube points evaluated before the local search", ""});
    v.choice("algorithm", algorithm,
             std::array<params::Choice<stats::LocalAlgorithm>, 3>{{{"sbplx", stats::LocalAlgorithm::sbplx},
                                                                   {"bobyqa", stats::LocalAlgorithm::bobyqa},
                                                                   {"neldermead", stats::LocalAlgorithm::neldermead}}},
             {"NLopt's local search over the box: sbplx, bobyqa (two parameters or more), neldermead", "Rowan 1990; Powell 2009"});
    v.num("initial_step", initial_step, {"1", 1e-6, 1.0, "initial step of the local search, as a fraction of each range", ""});
    v.num("tolerance", tolerance, {"1", 1e-9, 0.5, "stop when a step is below this fraction of each range", ""});
    v.section("posterior", posterior, {"ABC-SMC over the box: particles, generations, quantile, min_tolerance, max_simulations", ""});
  }
};

/// True if the YAML file has a top-level `calibrate` key (false if it cannot be read).
bool has_calibrate_section(const std::string& path);

/// An experiment with a `calibrate:` section, checked and resolved.
class Calibration {
 public:
  /// Reads and checks the file (as an experiment, then its `calibrate:` section): errors name
  /// file:line:column, unknown keys and names get a suggestion. Throws InputError listing every problem.
  static Calibration load(const std::string& path);
  /// The same from YAML text: `name` names it in messages, relative `base:` paths are resolved in `dir`.
  static Calibration from_text(const std::string& text, const std::string& name, const std::string& dir,
                               BaseFile base_file = BaseFile::allowed);

  /// A policy of one study whose runs a target reads: study 0 is the experiment's own scenario,
  /// study r + 1 the replica spec.replicas[r]; `policy` indexes that study's Sweep::policies.
  struct Arm {
    std::size_t study = 0;
    std::size_t policy = 0;
    friend bool operator==(const Arm& a, const Arm& b) noexcept { return a.study == b.study && a.policy == b.policy; }
  };

  Sweep sweep;                             ///< the experiment (its parameters are the box)
  CalibrateSpec spec;                      ///< the section, with defaults filled in
  std::vector<Sweep> replicas;             ///< [replica] its experiment: the parameters resolved in its scenario, all its policies
  std::vector<int> first_day, last_day;    ///< [study] its window, resolved
  std::vector<stats::Parameter> box;       ///< the parameters' ranges
  std::vector<double> start;               ///< the scenario's own values, clamped into the box
  std::vector<Arm> arms;                   ///< the policies the targets name (study-major, then in each study's order)
  std::vector<std::size_t> target_arm;     ///< [target] its position in `arms`
  std::vector<std::string> outputs;        ///< the outputs computed per run (targets' outputs and denominators)
  std::vector<std::size_t> target_output;  ///< [target] index into `outputs`
  /// weighting: matrix: W with the targets' weights folded in, sqrt(w_i w_j) W_ij (n x n, row-major)
  std::vector<double> weights;
  std::vector<std::size_t> target_per;                ///< [target] index into `outputs`, or npos without `per`
  std::vector<std::vector<std::size_t>> target_plus;  ///< [target] indices into `outputs` of `plus`

  [[nodiscard]] int replications() const noexcept { return sweep.experiment.replications; }
  /// Study s: 0 the experiment, r + 1 the replica r.
  [[nodiscard]] const Sweep& study(std::size_t s) const noexcept { return s == 0 ? sweep : replicas[s - 1]; }
  [[nodiscard]] std::size_t studies() const noexcept { return replicas.size() + 1; }
  /// The arms of study s, each as a one-point Sweep at the start point (for the pre-flight
  /// estimate), and how many of them there are; an empty `points` when the study has no arm.
  [[nodiscard]] Sweep probe(std::size_t s) const;
  [[nodiscard]] std::size_t arms_of(std::size_t s) const noexcept;
  /// Runs at most: (evaluations + 1 for the chosen point's kept runs + the posterior's simulations)
  /// x arms x replications.
  [[nodiscard]] std::size_t max_runs() const noexcept;
  /// The resolved experiment and its calibrate section as YAML (stored in the results file).
  [[nodiscard]] std::string to_yaml() const;
};

/// The model's figures for one candidate.
struct CalibrationEvaluation {
  std::vector<double> x;                                   ///< parameter values
  std::vector<std::vector<double>> per_run;                ///< [target][replication] the model's figure (NaN when a run failed)
  std::vector<double> model;                               ///< [target] mean over replications
  std::vector<double> contribution;                        ///< [target] weight x ((model - value) / s)^2
  double loss = std::numeric_limits<double>::quiet_NaN();  ///< their sum (NaN when a run failed)
  int stage = 0;                                           ///< 0 start, 1 Latin hypercube, 2 local search
};

/// One target's fit at the chosen point.
struct TargetFit {
  double model = 0, lower = 0, upper = 0;  ///< mean over replications and its interval
  double simulation_se = 0;                ///< the standard error of the model's mean (sd / sqrt(replications))
  double z = 0;                            ///< (model - value) / sqrt(se^2 + simulation_se^2)
  bool within = false;                     ///< |z| <= 2
};

/// A parameter's posterior against its prior (the box: uniform, or log-uniform on a log scale).
struct PosteriorSummary {
  stats::WeightedSummary posterior;  ///< weighted mean, sd, 5% and 95% quantiles of the last generation
  double width_ratio = 1.0;          ///< the 90% interval's width over the prior's (in the unit cube of the box)
};

struct CalibrationReport {
  std::vector<CalibrationEvaluation> evaluations;
  stats::AbcResult posterior;                        ///< empty generations without a `posterior:` section
  std::vector<PosteriorSummary> parameters;          ///< [parameter] from the last generation
  std::vector<std::vector<double>> posterior_model;  ///< [target] the model's figure of each last-generation particle
  /// [target][parameter] Spearman's rank correlation of the parameter and the target's figure over
  /// the prior's sample (generation 0): which targets respond to (and so can pin) which parameters.
  std::vector<std::vector<double>> sensitivity;
  std::size_t chosen = 0;
  std::string stop;
  std::vector<TargetFit> fit;                                 ///< [target] at the chosen point
  std::size_t runs = 0;                                       ///< runs simulated (those the journal answered not counted)
  std::size_t replayed = 0;                                   ///< points answered from the journal of an interrupted calibration (--resume)
  std::vector<std::pair<std::size_t, std::string>> failures;  ///< (evaluation, message)
};

struct CalibrateOptions {
  std::string output;
  bool overwrite = false;
  /// Continue an interrupted calibration: the points in OUTPUT.journal are answered from it (the
  /// same figures, bit for bit), the others simulated. Without it, a journal left behind is an
  /// OutputExistsError unless `overwrite` (then it is removed).
  bool resume = false;
  /// Identifies the binary (a hash of the executable): a journal of another binary is refused.
  std::string binary_id;
  ResultsMeta meta;
  /// (runs done, runs at most); called from the calling thread between candidates.
  std::function<void(long long, long long)> progress;

  /// Distribution over processes (MPI ranks; the engine itself does not depend on MPI). Every
  /// process calls run_calibration with the same calibration and options. Each batch of runs (a
  /// candidate, a posterior generation) is split: process q simulates the runs r with
  /// r mod `processes` = q (the chosen point's runs of the study the file keeps: process 0), and
  /// `gather` gives every process every process's figures, so that every process follows the same
  /// search and posterior. Process 0 alone checks the output and the journal, keeps the journal
  /// and writes the results file. Results do not depend on the number of processes.
  int process = 0;
  int processes = 1;
  /// Returns every process's `text`, in process order (every process calls it at the same point).
  std::function<std::vector<std::string>(const std::string&)> gather;
};

/// Runs the calibration and writes its results file (never replacing an existing file without
/// `overwrite`: OutputExistsError before anything runs). Same seed, same result at any thread count,
/// and after an interruption and `resume`. Every simulated point is journalled in OUTPUT.journal
/// (removed once the results file is in place).
CalibrationReport run_calibration(const Calibration& cal, const CalibrateOptions& options);

/// The readable summary `kpisim calibrate` prints.
std::string format_calibration(const Calibration& cal, const CalibrationReport& report);
/// The report of a finished calibration, read back from its results file (`kpisim compare FILE`):
/// the evaluations, the fit and, with a posterior, its generations, the last one's model figures
/// (NaN in files written before they were stored), the parameters' summary and the sensitivity
/// table. Throws ResultsFileError when a table is missing or does not match `cal`.
CalibrationReport read_calibration_report(const Calibration& cal, const std::string& path);

}  // namespace kpisim

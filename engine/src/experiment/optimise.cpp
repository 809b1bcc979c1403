// Policy optimisation: reading the `optimise:` section, evaluating candidates under common random
// numbers, the result's uncertainty, the results file and the printed summary
// (kpisim/experiment/optimise.hpp; docs/experiments.md, "Optimisation").
#include "kpisim/experiment/optimise.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "section.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultObjective = "net_value_annual_usd";
/// The runner-up is the best evaluation at least this far (a fraction of a range, in some
/// parameter) from the chosen point: nearer points are the same answer, not an alternative.
constexpr double kRunnerUpDistance = 0.05;

/// The outputs the printed money view shows beside the objective (when the file has them).
const std::vector<std::string>& money_outputs() {
  static const std::vector<std::string> names = {"net_value_annual_usd", "net_value_per_fte", "burnout_share"};
  return names;
}

/// Scenario runs of one policy at one point of the scenario, replications [first, first + n).
struct Runs {
  std::vector<std::vector<double>> values;  ///< [output][replication] window means, NaN when the run failed
  std::vector<RunResult> kept;              ///< the runs themselves (when asked for)
  std::string failure;                      ///< the first failure's message ("" when none failed)
};

class Runner {
 public:
  Runner(const Optimisation& opt, std::atomic<long long>& done) : opt_(opt), done_(done) {
    for (const auto& d : opt.sweep.base.organisation.divisions) divisions_.push_back(d.name);
  }

  /// The tuned or baseline policy at decision values x (null: the scenario as written) in every
  /// state of the world (of the fresh ones if `fresh`), `reps` replications each: unit u is state
  /// u / reps, on the random streams of replication first + u (every unit its own streams).
  Runs run(std::size_t policy, const std::vector<double>* x, bool fresh, std::uint32_t first, int reps, bool keep) const {
    const std::size_t states = opt_.state_count();
    const int n = static_cast<int>(states) * reps;
    Runs out;
    out.values.assign(opt_.outputs.size(), std::vector<double>(static_cast<std::size_t>(n), std::nan("")));
    if (keep) out.kept.resize(static_cast<std::size_t>(n));
    std::vector<std::unique_ptr<ModelSpec>> specs(states);
    std::vector<std::string> failures(static_cast<std::size_t>(n));
    for (std::size_t st = 0; st < states; ++st) {
      try {
        if (x == nullptr && opt_.uncertain.empty()) {
          specs[st] = std::make_unique<ModelSpec>(ModelSpec::resolve(opt_.sweep.base, opt_.sweep.experiment.name));
        } else {
          std::vector<double> decision;
          for (const std::size_t j : opt_.decision) decision.push_back(opt_.written[j]);
          Sweep at = opt_.sweep;
          at.points = {opt_.full_point(x == nullptr ? decision : *x, st, fresh)};
          specs[st] = std::make_unique<ModelSpec>(ModelSpec::resolve(at.scenario_at(0), opt_.sweep.experiment.name));
        }
      } catch (const std::exception& e) {
        for (int k = 0; k < reps; ++k) failures[st * static_cast<std::size_t>(reps) + static_cast<std::size_t>(k)] = e.what();
      }
    }
    const int days = opt_.sweep.days();
    const int first_day = opt_.sweep.experiment.analysis.first_day;
    const int last_day = opt_.sweep.last_day();
    const std::size_t pol = opt_.sweep.policy_index[policy];
    tbb::parallel_for(tbb::blocked_range<int>(0, n, 1), [&](const tbb::blocked_range<int>& range) {
      for (int k = range.begin(); k != range.end(); ++k) {
        const auto ku = static_cast<std::size_t>(k);
        const ModelSpec* spec = specs[ku / static_cast<std::size_t>(reps)].get();
        if (spec == nullptr) {
          done_.fetch_add(1);
          continue;
        }
        try {
          Simulation sim(*spec, pol, first + static_cast<std::uint32_t>(k));
          for (int d = 0; d < days; ++d) sim.step();
          RunResult r = sim.take_result();
          for (std::size_t o = 0; o < opt_.outputs.size(); ++o)
            out.values[o][ku] = output_window_mean(r, opt_.outputs[o], divisions_, first_day, last_day);
          if (keep) out.kept[ku] = std::move(r);
        } catch (const std::exception& e) {
          failures[ku] = e.what();
        }
        done_.fetch_add(1);
      }
    });
    for (const auto& f : failures)
      if (!f.empty() && out.failure.empty()) out.failure = f;
    return out;
  }

 private:
  const Optimisation& opt_;
  std::atomic<long long>& done_;
  std::vector<std::string> divisions_;
};

/// The objective's value per replication: the weighted sum of the objective's outputs.
std::vector<double> objective_of(const Optimisation& opt, const Runs& r) {
  const std::size_t n = r.values.empty() ? 0 : r.values.front().size();
  std::vector<double> out(n, 0.0);
  for (const auto& w : opt.spec.objective) {
    const auto o = static_cast<std::size_t>(std::find(opt.outputs.begin(), opt.outputs.end(), w.name) - opt.outputs.begin());
    for (std::size_t k = 0; k < n; ++k) out[k] += w.value * r.values[o][k];
  }
  return out;
}

std::size_t output_index(const Optimisation& opt, const std::string& name) {
  return static_cast<std::size_t>(std::find(opt.outputs.begin(), opt.outputs.end(), name) - opt.outputs.begin());
}

/// Constraint values c_j (feasible when <= 0) from the outputs' means.
std::vector<double> constraint_values(const Optimisation& opt, const std::vector<std::vector<double>>& values) {
  std::vector<double> out;
  for (const auto& c : opt.spec.constraints) {
    const double m = stats::summarize(values[output_index(opt, c.name)]).mean;
    if (!std::isnan(c.max)) out.push_back(m - c.max);
    if (!std::isnan(c.min)) out.push_back(c.min - m);
  }
  return out;
}

std::size_t constraint_count(const OptimiseSpec& s) {
  std::size_t n = 0;
  for (const auto& c : s.constraints) n += (std::isnan(c.max) ? 0 : 1) + (std::isnan(c.min) ? 0 : 1);
  return n;
}

ComparisonLine line(const Optimisation& opt, std::string label, const std::vector<double>& objective, const std::vector<double>* chosen,
                    const std::vector<std::vector<double>>& outputs) {
  const double level = opt.sweep.experiment.analysis.level;
  ComparisonLine l;
  l.label = std::move(label);
  l.objective = stats::summarize(objective, level);
  if (chosen != nullptr) l.difference = stats::paired_difference(*chosen, objective, level);
  for (const auto& o : outputs) l.outputs.push_back(stats::summarize(o, level));
  return l;
}

std::string num(double x) {
  if (std::isnan(x)) return "NaN";
  const double a = std::abs(x);
  if (a >= 1e6) return fmt::format("{:.4g}M", x / 1e6);
  if (a >= 1e4) return fmt::format("{:.4g}k", x / 1e3);
  return fmt::format("{:.4g}", x);
}

std::string interval(const stats::Summary& s) {
  if (std::isnan(s.ci.lower)) return fmt::format("{} (no interval)", num(s.mean));
  return fmt::format("{} [{}, {}]", num(s.mean), num(s.ci.lower), num(s.ci.upper));
}

std::string signed_interval(const stats::Summary& s) {
  const auto sg = [](double x) { return std::isnan(x) ? std::string("NaN") : (x > 0 ? "+" : "") + num(x); };
  if (std::isnan(s.ci.lower)) return sg(s.mean);
  return fmt::format("{} [{}, {}]", sg(s.mean), sg(s.ci.lower), sg(s.ci.upper));
}

std::string point_text(const Optimisation& opt, const std::vector<double>& x) {
  std::string s;
  for (std::size_t j = 0; j < x.size(); ++j)
    s += fmt::format("{}{} = {:.4g}", j == 0 ? "" : ", ", opt.sweep.experiment.parameters[opt.decision[j]].name, x[j]);
  return s;
}

}  // namespace

bool has_optimise_section(const std::string& path) {
  return detail::has_section(path, "optimise");
}

Optimisation Optimisation::load(const std::string& path) {
  return from_text(params::read_input_file(path, "experiment"), path, detail::directory_of(path));
}

Optimisation Optimisation::from_text(const std::string& text, const std::string& path, const std::string& dir, BaseFile base_file) {
  Diagnostics diag(path);
  Optimisation opt;
  SourceMap where;
  static constexpr detail::SectionWords kWords{
      "optimise",
      "`optimise` must be a mapping (policy, goal, objective, constraints, evaluations, ...)",
      "an optimisation needs an `optimise:` section (docs/experiments.md, \"Optimisation\")",
      "an optimisation chooses its own points: remove `design` (the parameters' ranges are the search box)",
      "an optimisation",
      "the optimisation"};
  opt.sweep = detail::read_with_section(
      text, path, dir, base_file, kWords, [&](params::YamlReader& r) { opt.spec.visit(r); }, diag, where);

  const Sweep& sw = opt.sweep;
  OptimiseSpec& s = opt.spec;
  // At the key, or (a default) at the nearest enclosing key the file has.
  const auto at = [&](const std::string& key, const std::string& msg) { detail::error_in_section(diag, where, "optimise." + key, msg); };
  // The tuned policy.
  if (s.policy.empty()) {
    for (std::size_t i = 0; i < sw.policies.size() && s.policy.empty(); ++i)
      if (i != sw.baseline) s.policy = sw.policies[i];
    if (s.policy.empty()) s.policy = sw.policies[sw.baseline];
  }
  const auto pit = std::find(sw.policies.begin(), sw.policies.end(), s.policy);
  if (pit == sw.policies.end()) {
    const std::string near = params::nearest(s.policy, sw.policies);
    at("policy", fmt::format("'{}' is not among the policies run{}", printable(s.policy),
                             near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
  } else {
    opt.policy = static_cast<std::size_t>(pit - sw.policies.begin());
  }
  // Outputs: the objective's and the constraints'.
  std::vector<std::string> divisions;
  for (const auto& d : sw.base.organisation.divisions) divisions.push_back(d.name);
  const auto check_output = [&](const std::string& name, int line, int col, const std::string& key) {
    std::vector<std::string> problems;
    const std::vector<std::string> expanded = expand_outputs({name}, divisions, sw.base.output.per_unit, &problems);
    std::string msg;
    if (!problems.empty())
      msg = problems.front();
    else if (expanded.size() != 1)
      msg = fmt::format("'{}' stands for {} outputs (one per division): name one, e.g. '{}'", name, expanded.size(), expanded.front());
    if (msg.empty()) return;
    if (line >= 0)
      diag.error(line, col, msg);
    else
      at(key, msg);
  };
  if (s.objective.empty()) s.objective.push_back({kDefaultObjective, 1.0, -1, -1});
  for (const auto& w : s.objective) {
    check_output(w.name, w.line, w.col, "objective");
    if (w.value == 0.0)
      diag.error(w.line, w.col, fmt::format("objective '{}': a weight of 0 leaves the output out; remove it", printable(w.name)));
  }
  for (const auto& c : s.constraints) {
    check_output(c.name, c.line, c.col, "constraints");
    if (std::isnan(c.max) && std::isnan(c.min))
      diag.error(c.line, c.col, fmt::format("constraint '{}': give `max`, `min` or both", printable(c.name)));
    else if (!std::isnan(c.max) && !std::isnan(c.min) && !(c.min < c.max))
      diag.error(c.line, c.col, fmt::format("constraint '{}': `min` must be below `max`", printable(c.name)));
  }
  for (std::size_t i = 0; i < s.uncertain.size(); ++i) {
    const auto& u = s.uncertain[i];
    std::vector<std::string> names;
    for (const auto& p : sw.experiment.parameters) names.push_back(p.name);
    if (std::find(names.begin(), names.end(), u) == names.end()) {
      const std::string near = params::nearest(u, names);
      at("uncertain", fmt::format("'{}' is not among the parameters (an uncertain parameter needs its range under `parameters`){}",
                                  printable(u), near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
    } else if (std::find(s.uncertain.begin(), s.uncertain.begin() + static_cast<std::ptrdiff_t>(i), u) !=
               s.uncertain.begin() + static_cast<std::ptrdiff_t>(i)) {
      at("uncertain", fmt::format("'{}' is listed twice", printable(u)));
    }
  }
  if (!sw.experiment.parameters.empty() && s.uncertain.size() >= sw.experiment.parameters.size())
    at("uncertain", "every parameter is uncertain: leave at least one decision parameter to optimise");
  if (s.uncertain.empty() && where.count("optimise.states") != 0)
    at("states", "`states` needs `uncertain` (the parameters whose values the states of the world draw)");
  if (!s.constraints.empty() && s.algorithm != stats::LocalAlgorithm::cobyla)
    at("algorithm", fmt::format("constraints need `algorithm: cobyla`; {} handles a box only", stats::algorithm_name(s.algorithm)));
  if (s.algorithm == stats::LocalAlgorithm::bobyqa && sw.experiment.parameters.size() < 2 + s.uncertain.size())
    at("algorithm", "bobyqa needs at least two parameters; use cobyla or sbplx for one");
  if (s.start_points >= s.evaluations)
    at("start_points", fmt::format("{} start points leave none of the {} evaluations to the local search: fewer start points or more "
                                   "evaluations",
                                   s.start_points, s.evaluations));
  // The budget, from the counts.
  if (const std::size_t runs = opt.max_runs(); runs > kMaxOptimisationRuns)
    at("evaluations",
       fmt::format("the optimisation would need up to {} runs (((evaluations {} + 1 baseline) x {} replications + 3 x {} "
                   "confirmation replications) x {} states); at most {} are allowed: fewer evaluations, replications or states",
                   runs, s.evaluations, sw.experiment.replications, opt.confirm_replications(), s.uncertain.empty() ? 1 : s.states,
                   kMaxOptimisationRuns));
  diag.throw_if_errors();

  // The box and the scenario's own values (the search's start); the states of the world.
  const std::vector<double> written = sw.written_values();
  std::vector<stats::Parameter> ubox;
  for (std::size_t j = 0; j < sw.experiment.parameters.size(); ++j) {
    const auto& p = sw.experiment.parameters[j];
    const bool uncertain = std::find(s.uncertain.begin(), s.uncertain.end(), p.name) != s.uncertain.end();
    (uncertain ? opt.uncertain : opt.decision).push_back(j);
    (uncertain ? ubox : opt.box).push_back({p.name, p.lower, p.upper, p.scale == SweepParameter::Scale::log});
    const double w = written[j];
    opt.written.push_back(w);
    if (!uncertain) opt.start.push_back(std::clamp(w, p.lower, p.upper));
  }
  if (!ubox.empty()) {
    const auto n = static_cast<std::size_t>(s.states);
    for (const bool fresh : {false, true}) {
      // The fresh states are another Latin hypercube: the re-evaluation is independent of the search.
      const stats::Design lhs = stats::latin_hypercube(ubox, n, fresh ? sw.base.seed ^ 0x9E3779B97F4A7C15ULL : sw.base.seed);
      auto& states = fresh ? opt.fresh_states : opt.states;
      for (std::size_t i = 0; i < n; ++i) {
        states.emplace_back();
        for (std::size_t j = 0; j < ubox.size(); ++j) states.back().push_back(lhs.values(i, j));
      }
    }
  }
  // Outputs computed per run.
  const auto add = [&](const std::string& n) {
    if (std::find(opt.outputs.begin(), opt.outputs.end(), n) == opt.outputs.end()) opt.outputs.push_back(n);
  };
  for (const auto& w : s.objective) add(w.name);
  for (const auto& c : s.constraints) add(c.name);
  for (const auto& n : money_outputs()) add(n);
  detail::check_resolved_size(opt.to_yaml(), kWords, diag, where);
  return opt;
}

std::size_t Optimisation::max_runs() const noexcept {
  // From the counts (before the states are drawn): at most 1e5 x 1e6 x 1e4, which fits in 64 bits.
  const auto r = static_cast<std::size_t>(replications());
  const auto n_states = static_cast<std::size_t>(spec.uncertain.empty() ? 1 : spec.states);
  return ((static_cast<std::size_t>(spec.evaluations) + 1) * r + 3 * static_cast<std::size_t>(confirm_replications())) * n_states;
}

std::vector<double> Optimisation::full_point(const std::vector<double>& x, std::size_t s, bool fresh) const {
  std::vector<double> p(written.size());
  for (std::size_t i = 0; i < decision.size(); ++i) p[decision[i]] = x[i];
  for (std::size_t i = 0; i < uncertain.size(); ++i) p[uncertain[i]] = (fresh ? fresh_states : states)[s][i];
  return p;
}

std::string Optimisation::objective_text() const {
  if (spec.objective.size() == 1 && spec.objective.front().value == 1.0) return spec.objective.front().name;
  std::string s;
  for (const auto& w : spec.objective) s += fmt::format("{}{} x {}", s.empty() ? "" : " + ", params::format_number(w.value), w.name);
  return s;
}

std::string Optimisation::to_yaml() const {
  YAML::Node tree = YAML::Load(sweep.to_yaml());
  YAML::Emitter out;
  out << YAML::BeginMap;
  params::YamlWriter w(out);
  OptimiseSpec copy = spec;
  copy.visit(w);
  out << YAML::EndMap;
  YAML::Node section = YAML::Load(out.c_str());
  for (auto kv : section["constraints"]) {
    YAML::Node entry = kv.second;
    for (const char* key : {"max", "min"})
      if (entry[key] && entry[key].Scalar() == ".nan") entry.remove(key);
  }
  if (spec.uncertain.empty()) {  // no ensemble: no states
    section.remove("uncertain");
    section.remove("states");
  }
  tree["optimise"] = section;
  YAML::Emitter clean;
  clean << tree;
  return std::string(clean.c_str()) + "\n";
}

OptimisationReport run_optimisation(const Optimisation& opt, const OptimiseOptions& o) {
  if (!o.overwrite && fs::symlink_status(o.output).type() != fs::file_type::not_found)
    throw OutputExistsError(fmt::format("refusing to overwrite existing file '{}'; pass --force to replace it", o.output));
  const Sweep& sw = opt.sweep;
  const int reps = opt.replications();
  const int confirm = opt.confirm_replications();
  const double level = sw.experiment.analysis.level;
  const double sign = opt.spec.goal == OptimiseSpec::Goal::maximise ? -1.0 : 1.0;  // minimise sign x objective
  std::atomic<long long> done{0};
  const auto total = static_cast<long long>(opt.max_runs());
  const auto tick = [&] {
    if (o.progress) o.progress(done.load(), total);
  };
  const Runner runner(opt, done);
  OptimisationReport report;

  // The baseline policy on the optimisation's replications (the scenario as written).
  const Runs base = runner.run(sw.baseline, nullptr, false, 0, reps, false);
  tick();
  std::vector<std::vector<double>> search_values;  // [evaluation] per-replication objective
  std::vector<std::vector<std::vector<double>>> search_outputs;
  stats::OptimisationProblem problem;
  problem.box = opt.box;
  problem.start = opt.start;
  problem.constraints = constraint_count(opt.spec);
  problem.evaluate = [&](const std::vector<double>& x) {
    const Runs r = runner.run(opt.policy, &x, false, 0, reps, false);
    tick();
    CandidateResult c;
    c.x = x;
    c.objective = objective_of(opt, r);
    c.output = r.values;
    c.summary = stats::summarize(c.objective, level);
    std::vector<double> out{r.failure.empty() ? sign * c.summary.mean : std::nan("")};
    if (!r.failure.empty()) report.failures.emplace_back(report.evaluations.size(), r.failure);
    for (const double v : constraint_values(opt, r.values)) out.push_back(v);
    report.evaluations.push_back(std::move(c));
    return out;
  };
  stats::OptimisationOptions so;
  so.algorithm = opt.spec.algorithm;
  so.max_evaluations = static_cast<std::size_t>(opt.spec.evaluations);
  so.start_points = static_cast<std::size_t>(opt.spec.start_points);
  so.initial_step = opt.spec.initial_step;
  so.xtol = opt.spec.tolerance;
  so.seed = sw.base.seed;
  const stats::OptimisationResult res = stats::minimise(problem, so);
  for (std::size_t i = 0; i < res.evaluations.size(); ++i) {
    report.evaluations[i].feasible = res.evaluations[i].feasible;
    report.evaluations[i].stage = res.evaluations[i].stage;
  }
  report.chosen = res.best;
  report.feasible = res.any_feasible;
  report.stop = res.stop;
  // The runner-up: the best evaluation at another point (kRunnerUpDistance), ranked as the optimiser ranks them.
  const auto better = [&](std::size_t a, std::size_t b) {
    const auto& ea = res.evaluations[a];
    const auto& eb = res.evaluations[b];
    if (ea.feasible != eb.feasible) return ea.feasible;
    return ea.feasible ? ea.values[0] < eb.values[0] : ea.violation < eb.violation;
  };
  for (std::size_t i = 0; i < res.evaluations.size(); ++i) {
    double apart = 0.0;  // the largest distance from the chosen point, as a fraction of a range
    for (std::size_t j = 0; j < opt.box.size(); ++j)
      apart = std::max(apart, std::abs(stats::to_unit(opt.box[j], res.evaluations[i].x[j]) -
                                       stats::to_unit(opt.box[j], res.evaluations[report.chosen].x[j])));
    if (apart < kRunnerUpDistance) continue;
    if (report.runner_up == std::numeric_limits<std::size_t>::max() || better(i, report.runner_up)) report.runner_up = i;
  }
  const CandidateResult& chosen = report.evaluations[report.chosen];
  const std::vector<double> base_objective = objective_of(opt, base);
  report.search.push_back(line(opt, "chosen", chosen.objective, nullptr, chosen.output));
  report.search.push_back(line(opt, "start", report.evaluations[0].objective, &chosen.objective, report.evaluations[0].output));
  report.search.push_back(line(opt, "baseline", base_objective, &chosen.objective, base.values));
  if (report.runner_up != std::numeric_limits<std::size_t>::max()) {
    const auto& ru = report.evaluations[report.runner_up];
    report.search.push_back(line(opt, "runner_up", ru.objective, &chosen.objective, ru.output));
  }

  // The re-evaluation on fresh replications (streams from S x reps on, S states: independent of
  // the search's), of the chosen point, the start and the baseline; their runs go to the file.
  const std::size_t n_states = opt.state_count();
  const auto first = static_cast<std::uint32_t>(n_states * static_cast<std::size_t>(reps));
  Runs fc = runner.run(opt.policy, &chosen.x, true, first, confirm, true);
  tick();
  Runs fs0 = runner.run(opt.policy, &report.evaluations[0].x, true, first, confirm, true);
  tick();
  Runs fb = runner.run(sw.baseline, nullptr, true, first, confirm, true);
  tick();
  const std::vector<double> oc = objective_of(opt, fc);
  const std::vector<double> os = objective_of(opt, fs0);
  const std::vector<double> ob = objective_of(opt, fb);
  report.confirm.push_back(line(opt, "chosen", oc, nullptr, fc.values));
  report.confirm.push_back(line(opt, "start", os, &oc, fs0.values));
  report.confirm.push_back(line(opt, "baseline", ob, &oc, fb.values));
  report.winners_curse = stats::welch_difference(chosen.objective, oc, level);
  {
    std::vector<double> gain_search(chosen.objective.size()), gain_fresh(oc.size());
    for (std::size_t k = 0; k < gain_search.size(); ++k) gain_search[k] = chosen.objective[k] - base_objective[k];
    for (std::size_t k = 0; k < gain_fresh.size(); ++k) gain_fresh[k] = oc[k] - ob[k];
    report.gain_bias = stats::welch_difference(gain_search, gain_fresh, level);
  }
  for (const Runs* r : {&fc, &fs0, &fb})
    if (!r->failure.empty()) report.failures.emplace_back(report.evaluations.size(), r->failure);
  report.runs = static_cast<std::size_t>(done.load());
  if (!opt.uncertain.empty()) {
    const auto c = static_cast<std::size_t>(confirm);
    for (std::size_t st = 0; st < n_states; ++st) {
      const auto from = static_cast<std::ptrdiff_t>(st * c);
      const auto to = static_cast<std::ptrdiff_t>((st + 1) * c);
      const std::vector<double> a(oc.begin() + from, oc.begin() + to), b(ob.begin() + from, ob.begin() + to),
          z(os.begin() + from, os.begin() + to);
      report.state_vs_baseline.push_back(stats::paired_difference(a, b, level));
      report.state_vs_start.push_back(stats::paired_difference(a, z, level));
    }
  }

  // The results file: the confirmation runs (their daily series), the evaluations and the comparison.
  ResultsLayout layout;
  layout.runs = 3 * n_states * static_cast<std::size_t>(confirm);
  layout.days = sw.days();
  layout.status = true;
  if (sw.base.output.per_unit)
    for (const auto& d : sw.base.organisation.divisions) layout.unit_names.push_back(d.name);
  for (const Runs* r : {&fc, &fs0, &fb})
    for (const auto& k : r->kept)
      if (!k.snapshot_days.empty() && layout.snapshot_days.empty()) {
        layout.snapshot_days = k.snapshot_days;
        layout.snapshot_agents = k.snapshot_agents;
      }
  for (const auto& p : sw.experiment.parameters) layout.parameters.push_back({p.name, "parameter " + p.name, "", {}, "parameter"});
  std::vector<double> written_decision;
  for (const std::size_t j : opt.decision) written_decision.push_back(opt.written[j]);
  const std::vector<double>* xs[] = {&chosen.x, &report.evaluations[0].x, &written_decision};
  const std::size_t pols[] = {opt.policy, opt.policy, sw.baseline};
  const std::size_t units = n_states * static_cast<std::size_t>(confirm);
  for (std::size_t g = 0; g < 3; ++g)
    for (std::size_t u = 0; u < units; ++u) {
      const auto& pol = sw.base.policies[sw.policy_index[pols[g]]];
      layout.policy.push_back(pol.name);
      layout.policy_type.push_back(pol.type);
      layout.replication.push_back(static_cast<std::int32_t>(first + u));
      layout.point.push_back(static_cast<std::int32_t>(g));
      const std::vector<double> full =
          opt.uncertain.empty() && g == 2 ? opt.written : opt.full_point(*xs[g], u / static_cast<std::size_t>(confirm), true);
      for (std::size_t j = 0; j < layout.parameters.size(); ++j) layout.parameters[j].values.push_back(full[j]);
    }
  ResultsMeta meta = o.meta;
  meta.days = sw.days();
  meta.unit_names = layout.unit_names;
  meta.extra_attrs.emplace_back("kind", "optimisation");
  meta.extra_attrs.emplace_back("optimisation", opt.to_yaml());
  ResultsWriter writer(o.output, meta, layout, o.overwrite);
  std::size_t run = 0;
  for (Runs* r : {&fc, &fs0, &fb})
    for (auto& k : r->kept) {
      if (k.series.empty()) {
        writer.write_failure(run++, r->failure.empty() ? std::string("the run failed") : r->failure);
        continue;
      }
      k.policy = layout.policy[run];
      k.policy_type = layout.policy_type[run];
      writer.write_run(run++, k);
    }
  using Column = ResultsWriter::Column;
  {
    std::vector<std::string> labels;
    std::vector<Column> cols;
    for (const std::size_t j : opt.decision) cols.push_back({sw.experiment.parameters[j].name, "parameter value", "", {}});
    cols.push_back({"objective", "objective: mean over replications", "", {}});
    cols.push_back({"objective_lower", "lower end of its confidence interval", "", {}});
    cols.push_back({"objective_upper", "upper end of its confidence interval", "", {}});
    for (const auto& n : opt.outputs) cols.push_back({"mean_" + n, "mean over replications of " + n, output_units(n), {}});
    cols.push_back({"feasible", "1 if every constraint holds (on the means), else 0", "1", {}});
    cols.push_back({"stage", "0 start, 1 Latin hypercube, 2 local search", "1", {}});
    for (std::size_t i = 0; i < report.evaluations.size(); ++i) {
      const auto& e = report.evaluations[i];
      labels.push_back(std::to_string(i));
      std::size_t c = 0;
      for (const double v : e.x) cols[c++].values.push_back(v);
      cols[c++].values.push_back(e.summary.mean);
      cols[c++].values.push_back(e.summary.ci.lower);
      cols[c++].values.push_back(e.summary.ci.upper);
      for (const auto& v : e.output) cols[c++].values.push_back(stats::summarize(v).mean);
      cols[c++].values.push_back(e.feasible ? 1.0 : 0.0);
      cols[c++].values.push_back(e.stage);
    }
    writer.write_table("optimisation/evaluations", "evaluation", labels, cols,
                       {{"goal", opt.spec.goal == OptimiseSpec::Goal::maximise ? "maximise" : "minimise"},
                        {"objective", opt.objective_text()},
                        {"algorithm", stats::algorithm_name(opt.spec.algorithm)},
                        {"stop", report.stop},
                        {"chosen", std::to_string(report.chosen)},
                        {"replications", std::to_string(reps)}});
  }
  {
    std::vector<std::string> labels;
    std::vector<Column> cols = {{"objective", "objective: mean over replications", "", {}},
                                {"objective_lower", "", "", {}},
                                {"objective_upper", "", "", {}},
                                {"n", "replications used", "1", {}},
                                {"difference", "chosen minus this row, paired by replication", "", {}},
                                {"difference_lower", "", "", {}},
                                {"difference_upper", "", "", {}},
                                {"fresh", "1: on the fresh (confirmation) replications, 0: on the search's", "1", {}}};
    for (const auto& n : opt.outputs) {
      cols.push_back({"mean_" + n, "mean over replications of " + n, output_units(n), {}});
      cols.push_back({"lower_" + n, "", output_units(n), {}});
      cols.push_back({"upper_" + n, "", output_units(n), {}});
    }
    for (int fresh = 0; fresh < 2; ++fresh)
      for (const auto& l : fresh != 0 ? report.confirm : report.search) {
        labels.push_back(fresh != 0 ? l.label + "_fresh" : l.label);
        const double v[] = {l.objective.mean,  l.objective.ci.lower,  l.objective.ci.upper,  static_cast<double>(l.objective.n),
                            l.difference.mean, l.difference.ci.lower, l.difference.ci.upper, static_cast<double>(fresh)};
        std::size_t c = 0;
        for (const double x : v) cols[c++].values.push_back(x);
        for (const auto& s : l.outputs) {
          cols[c++].values.push_back(s.mean);
          cols[c++].values.push_back(s.ci.lower);
          cols[c++].values.push_back(s.ci.upper);
        }
      }
    writer.write_table("optimisation/comparison", "row", labels, cols,
                       {{"level", fmt::format("{}", level)},
                        {"window", fmt::format("days {} to {}", sw.experiment.analysis.first_day, sw.last_day())},
                        {"confirm_replications", fmt::format("{} (replications {} to {})", confirm, reps, reps + confirm - 1)},
                        {"winners_curse", fmt::format("{}", report.winners_curse.ci.estimate)},
                        {"winners_curse_lower", fmt::format("{}", report.winners_curse.ci.lower)},
                        {"winners_curse_upper", fmt::format("{}", report.winners_curse.ci.upper)},
                        {"gain_bias", fmt::format("{}", report.gain_bias.ci.estimate)},
                        {"gain_bias_lower", fmt::format("{}", report.gain_bias.ci.lower)},
                        {"gain_bias_upper", fmt::format("{}", report.gain_bias.ci.upper)}});
  }
  if (!opt.uncertain.empty()) {
    std::vector<std::string> labels;
    std::vector<Column> cols;
    for (const std::size_t j : opt.uncertain) cols.push_back({sw.experiment.parameters[j].name, "the state's value", "", {}});
    for (const char* name : {"vs_baseline", "vs_start"}) {
      cols.push_back({std::string(name), "chosen minus the baseline (or start), paired over the state's fresh replications", "", {}});
      cols.push_back({std::string(name) + "_lower", "", "", {}});
      cols.push_back({std::string(name) + "_upper", "", "", {}});
    }
    for (std::size_t st = 0; st < n_states; ++st) {
      labels.push_back(std::to_string(st));
      std::size_t c = 0;
      for (const double v : opt.fresh_states[st]) cols[c++].values.push_back(v);
      for (const auto* d : {&report.state_vs_baseline[st], &report.state_vs_start[st]}) {
        cols[c++].values.push_back(d->mean);
        cols[c++].values.push_back(d->ci.lower);
        cols[c++].values.push_back(d->ci.upper);
      }
    }
    writer.write_table("optimisation/states", "state", labels, cols,
                       {{"states", "the fresh states of the world (a Latin hypercube independent of the search's)"}});
  }
  writer.commit();
  return report;
}

std::string format_optimisation(const Optimisation& opt, const OptimisationReport& r) {
  const Sweep& sw = opt.sweep;
  const bool maximise = opt.spec.goal == OptimiseSpec::Goal::maximise;
  const auto pct = static_cast<int>(std::lround(100 * sw.experiment.analysis.level));
  std::string s;
  const std::string units = opt.spec.objective.size() == 1 ? output_units(opt.spec.objective.front().name) : "";
  s += fmt::format("\n{} {}{} over {} (window days {} to {}; {}% intervals)\n", maximise ? "maximise" : "minimise", opt.objective_text(),
                   units.empty() ? "" : " (" + units + ")", sw.policies[opt.policy], sw.experiment.analysis.first_day, sw.last_day(), pct);
  for (const auto& c : opt.spec.constraints) {
    std::string b;
    if (!std::isnan(c.min)) b += fmt::format("{} <= ", params::format_number(c.min));
    b += "mean " + c.name;
    if (!std::isnan(c.max)) b += fmt::format(" <= {}", params::format_number(c.max));
    s += fmt::format("subject to {}\n", b);
  }
  const std::size_t n_states = opt.state_count();
  const std::string units_text = opt.uncertain.empty()
                                     ? fmt::format("{} replications", opt.replications())
                                     : fmt::format("{} replications in each of {} states of the world", opt.replications(), n_states);
  if (!opt.uncertain.empty()) {
    std::string u;
    for (const std::size_t j : opt.uncertain) {
      const auto& p = sw.experiment.parameters[j];
      u += fmt::format("{}{} in [{}, {}]{}", u.empty() ? "" : ", ", p.name, params::format_number(p.lower), params::format_number(p.upper),
                       p.scale == SweepParameter::Scale::log ? " (log)" : "");
    }
    s += fmt::format(
        "over the uncertainty: {}; {} states of the world (Latin hypercube); the objective and constraints are means over "
        "states and replications\n",
        u, n_states);
  }
  s += fmt::format("\nevaluations (each on {}, the same for every candidate):\n", units_text);
  s += "| # | stage |";
  for (const std::size_t j : opt.decision) s += fmt::format(" {} |", sw.experiment.parameters[j].name);
  s += " objective | interval |";
  for (const auto& c : opt.spec.constraints) s += fmt::format(" {} |", c.name);
  s += " feasible |\n|---|---|";
  for (std::size_t j = 0; j < opt.decision.size(); ++j) s += "---|";
  s += "---|---|";
  for (std::size_t j = 0; j < opt.spec.constraints.size(); ++j) s += "---|";
  s += "---|\n";
  const char* stages[] = {"start", "lhs", "local"};
  for (std::size_t i = 0; i < r.evaluations.size(); ++i) {
    const auto& e = r.evaluations[i];
    s += fmt::format("| {}{} | {} |", i, i == r.chosen ? " *" : "", stages[std::clamp(e.stage, 0, 2)]);
    for (const double v : e.x) s += fmt::format(" {:.4g} |", v);
    s += fmt::format(" {} | [{}, {}] |", num(e.summary.mean), num(e.summary.ci.lower), num(e.summary.ci.upper));
    for (const auto& c : opt.spec.constraints) s += fmt::format(" {} |", num(stats::summarize(e.output[output_index(opt, c.name)]).mean));
    s += fmt::format(" {} |\n", e.feasible ? "yes" : "no");
  }
  s += fmt::format("search: {} ({}, {} evaluations)\n", r.stop, stats::algorithm_name(opt.spec.algorithm), r.evaluations.size());
  const auto& chosen = r.evaluations[r.chosen];
  s += fmt::format("\nchosen: {} (evaluation {}){}\n", point_text(opt, chosen.x), r.chosen,
                   r.feasible ? "" : "  -- NO evaluated point met the constraints: this is the least violating one");
  bool clamped = false;
  for (std::size_t j = 0; j < opt.decision.size(); ++j) clamped = clamped || opt.written[opt.decision[j]] != opt.start[j];
  const std::string start_label =
      fmt::format("start, the scenario's values{} ({})", clamped ? " clamped into the ranges" : "", point_text(opt, r.evaluations[0].x));
  const std::string base_label = fmt::format("baseline policy '{}' (the scenario as written)", sw.policies[sw.baseline]);
  const auto block = [&](const std::vector<ComparisonLine>& lines, const std::string& title) {
    s += title;
    s += fmt::format("| | objective ({}% interval) | chosen minus this (paired) |", pct);
    for (const auto& c : opt.spec.constraints) s += fmt::format(" {} |", c.name);
    s += "\n|---|---|---|";
    for (std::size_t j = 0; j < opt.spec.constraints.size(); ++j) s += "---|";
    s += "\n";
    for (const auto& l : lines) {
      std::string label = l.label == "chosen"  ? std::string("chosen")
                          : l.label == "start" ? start_label
                          : l.label == "baseline"
                              ? base_label
                              : fmt::format("runner-up, evaluation {} ({})", r.runner_up, point_text(opt, r.evaluations[r.runner_up].x));
      s += fmt::format("| {} | {} | {} |", label, interval(l.objective), l.label == "chosen" ? "" : signed_interval(l.difference));
      for (const auto& c : opt.spec.constraints) s += fmt::format(" {} |", interval(l.outputs[output_index(opt, c.name)]));
      s += "\n";
    }
  };
  block(r.search, fmt::format("\non the search's {} (the chosen point was selected on these: its value is biased upward):\n", units_text));
  const std::size_t first = n_states * static_cast<std::size_t>(opt.replications());
  const std::size_t last = first + n_states * static_cast<std::size_t>(opt.confirm_replications()) - 1;
  block(r.confirm, opt.uncertain.empty()
                       ? fmt::format("\nre-evaluated on {} fresh replications ({} to {}), independent of the search:\n",
                                     opt.confirm_replications(), first, last)
                       : fmt::format("\nre-evaluated on {} fresh replications in each of {} fresh states of the world (replications {} to "
                                     "{}), independent of the search:\n",
                                     opt.confirm_replications(), n_states, first, last));
  const auto ci_text = [](const stats::TInterval& c) {
    return std::isnan(c.lower) ? num(c.estimate) : fmt::format("{} [{}, {}]", num(c.estimate), num(c.lower), num(c.upper));
  };
  s += fmt::format("selection bias (search minus fresh; unpaired, Welch): objective {}; gain over the baseline {}\n",
                   ci_text(r.winners_curse.ci), ci_text(r.gain_bias.ci));
  // Verdicts a reader can act on.
  const auto& fresh = r.confirm;
  const auto verdict = [&](const ComparisonLine& l, const std::string& what) {
    const auto& d = l.difference.ci;
    const bool better = maximise ? d.lower > 0 : d.upper < 0;
    const bool worse = maximise ? d.upper < 0 : d.lower > 0;
    if (std::isnan(d.lower)) return fmt::format("- against {}: no interval (too few replications)\n", what);
    if (better) return fmt::format("- better than {}: {} on fresh replications\n", what, signed_interval(l.difference));
    if (worse) return fmt::format("- WORSE than {}: {} on fresh replications\n", what, signed_interval(l.difference));
    return fmt::format("- not distinguishable from {} on fresh replications: {} (the interval contains 0)\n", what,
                       signed_interval(l.difference));
  };
  s += "\nverdict (fresh replications):\n";
  s += verdict(fresh[2], fmt::format("the baseline '{}'", sw.policies[sw.baseline]));
  s += verdict(fresh[1], "the scenario's own values");
  if (r.runner_up != std::numeric_limits<std::size_t>::max()) {
    const auto& d = r.search.back().difference.ci;
    const bool clear = maximise ? d.lower > 0 : d.upper < 0;
    s += clear ? fmt::format("- better than the runner-up on the search's replications: {}\n", signed_interval(r.search.back().difference))
               : fmt::format(
                     "- not distinguishable from the runner-up (evaluation {}) on the search's replications: {}; more replications "
                     "would be needed to tell them apart\n",
                     r.runner_up, signed_interval(r.search.back().difference));
  }
  if (!r.state_vs_baseline.empty()) {
    // Robustness: in how many of the fresh states of the world the chosen point beats the baseline.
    std::size_t ahead = 0, clearly_ahead = 0, behind = 0, clearly_behind = 0, worst = 0;
    for (std::size_t st = 0; st < r.state_vs_baseline.size(); ++st) {
      const auto& d = r.state_vs_baseline[st];
      const double m = maximise ? d.mean : -d.mean;  // > 0: the chosen point is better
      ahead += m > 0 ? 1 : 0;
      behind += m < 0 ? 1 : 0;
      clearly_ahead += (maximise ? d.ci.lower > 0 : d.ci.upper < 0) ? 1 : 0;
      clearly_behind += (maximise ? d.ci.upper < 0 : d.ci.lower > 0) ? 1 : 0;
      const double w = maximise ? r.state_vs_baseline[worst].mean : -r.state_vs_baseline[worst].mean;
      if (m < w) worst = st;
    }
    std::string at;
    for (std::size_t i = 0; i < opt.uncertain.size(); ++i)
      at += fmt::format("{}{} = {:.4g}", i == 0 ? "" : ", ", sw.experiment.parameters[opt.uncertain[i]].name, opt.fresh_states[worst][i]);
    s += fmt::format(
        "- across the {} fresh states of the world: better than the baseline in {} (its interval clear of 0 in {}), worse in {} "
        "(clearly in {}); the worst state ({}): {}\n",
        r.state_vs_baseline.size(), ahead, clearly_ahead, behind, clearly_behind, at, signed_interval(r.state_vs_baseline[worst]));
  }
  for (const auto& c : opt.spec.constraints) {
    const auto& m = fresh[0].outputs[output_index(opt, c.name)];
    const bool holds = (std::isnan(c.max) || m.ci.upper <= c.max) && (std::isnan(c.min) || m.ci.lower >= c.min);
    const bool fails = (!std::isnan(c.max) && m.mean > c.max) || (!std::isnan(c.min) && m.mean < c.min);
    s += fmt::format("- constraint on {}: mean {} {}\n", c.name, interval(m),
                     holds   ? "holds (the whole interval is within the bound)"
                     : fails ? "is VIOLATED on fresh replications"
                             : "holds on the mean, but the interval crosses the bound");
  }
  return s;
}

}  // namespace kpisim

namespace kpisim {

OptimisationReport read_optimisation_report(const Optimisation& opt, const std::string& path) {
  const Sweep& sw = opt.sweep;
  const ResultsTable ev = read_results_table(path, "optimisation/evaluations", "evaluation");
  const ResultsTable cmp = read_results_table(path, "optimisation/comparison", "row");
  const auto bad = [&](const std::string& why) { return ResultsFileError(fmt::format("cannot read results file '{}': {}", path, why)); };
  const auto col = [&](const ResultsTable& t, const std::string& table, const std::string& name) -> const std::vector<double>& {
    const std::vector<double>* c = t.column(name);
    if (c == nullptr)
      throw bad(fmt::format("table 'optimisation/{}' has no column '{}' (damaged, or not this optimisation's)", table, name));
    return *c;
  };
  const auto number = [&](const ResultsTable& t, const std::string& name) {
    const std::string text = t.attr(name);
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
    }
    throw bad(fmt::format("attribute '{}' of an optimisation table is not a number: '{}'", name, printable(text)));
  };
  OptimisationReport r;
  const std::size_t n = ev.labels.size();
  if (n == 0) throw bad("the optimisation has no evaluations");
  std::vector<const std::vector<double>*> xs;
  for (const std::size_t j : opt.decision) xs.push_back(&col(ev, "evaluations", sw.experiment.parameters[j].name));
  const auto& obj = col(ev, "evaluations", "objective");
  const auto& lo = col(ev, "evaluations", "objective_lower");
  const auto& hi = col(ev, "evaluations", "objective_upper");
  const auto& feasible = col(ev, "evaluations", "feasible");
  const auto& stage = col(ev, "evaluations", "stage");
  std::vector<const std::vector<double>*> means;
  for (const auto& o : opt.outputs) means.push_back(&col(ev, "evaluations", "mean_" + o));
  for (std::size_t i = 0; i < n; ++i) {
    CandidateResult c;
    for (const auto* x : xs) c.x.push_back((*x)[i]);
    c.summary.mean = c.summary.ci.estimate = obj[i];
    c.summary.ci.lower = lo[i];
    c.summary.ci.upper = hi[i];
    for (const auto* m : means) c.output.push_back({(*m)[i]});
    c.feasible = feasible[i] == 1.0;
    c.stage = std::isfinite(stage[i]) ? static_cast<int>(std::clamp(stage[i], 0.0, 2.0)) : 0;
    r.evaluations.push_back(std::move(c));
  }
  const std::string chosen = ev.attr("chosen");
  const auto it = std::find(ev.labels.begin(), ev.labels.end(), chosen);
  if (chosen.empty() || it == ev.labels.end())
    throw bad(fmt::format("the chosen evaluation '{}' is not in table 'optimisation/evaluations'", printable(chosen)));
  r.chosen = static_cast<std::size_t>(it - ev.labels.begin());
  r.feasible = r.evaluations[r.chosen].feasible;
  r.stop = ev.attr("stop");

  // The comparison: chosen, start, baseline (and runner_up) on the search's replications, then the same *_fresh.
  const auto summary = [&](std::size_t row, const std::string& name, const std::string& lower, const std::string& upper) {
    stats::Summary s;
    s.mean = s.ci.estimate = col(cmp, "comparison", name)[row];
    s.ci.lower = col(cmp, "comparison", lower)[row];
    s.ci.upper = col(cmp, "comparison", upper)[row];
    return s;
  };
  const auto line = [&](const std::string& label) {
    const auto at = std::find(cmp.labels.begin(), cmp.labels.end(), label);
    if (at == cmp.labels.end()) throw bad(fmt::format("table 'optimisation/comparison' has no row '{}'", label));
    const auto row = static_cast<std::size_t>(at - cmp.labels.begin());
    ComparisonLine l;
    l.label = label;
    if (l.label.ends_with("_fresh")) l.label.resize(l.label.size() - std::string_view("_fresh").size());
    l.objective = summary(row, "objective", "objective_lower", "objective_upper");
    l.objective.n = static_cast<std::size_t>(std::max(0.0, col(cmp, "comparison", "n")[row]));
    l.difference = summary(row, "difference", "difference_lower", "difference_upper");
    for (const auto& o : opt.outputs) l.outputs.push_back(summary(row, "mean_" + o, "lower_" + o, "upper_" + o));
    return l;
  };
  for (const char* label : {"chosen", "start", "baseline"}) r.search.push_back(line(label));
  if (std::find(cmp.labels.begin(), cmp.labels.end(), "runner_up") != cmp.labels.end()) {
    r.search.push_back(line("runner_up"));
    // The runner-up's evaluation: the one (not the chosen) whose search objective is the row's.
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
      const double d = std::abs(r.evaluations[i].summary.mean - r.search.back().objective.mean);
      if (i != r.chosen && d < best) {
        best = d;
        r.runner_up = i;
      }
    }
    if (r.runner_up == std::numeric_limits<std::size_t>::max()) throw bad("the runner-up is not among the evaluations");
  }
  for (const char* label : {"chosen_fresh", "start_fresh", "baseline_fresh"}) r.confirm.push_back(line(label));
  r.winners_curse.ci.estimate = number(cmp, "winners_curse");
  r.winners_curse.ci.lower = number(cmp, "winners_curse_lower");
  r.winners_curse.ci.upper = number(cmp, "winners_curse_upper");
  r.gain_bias.ci.estimate = number(cmp, "gain_bias");
  r.gain_bias.ci.lower = number(cmp, "gain_bias_lower");
  r.gain_bias.ci.upper = number(cmp, "gain_bias_upper");
  if (!opt.uncertain.empty()) {
    const ResultsTable st = read_results_table(path, "optimisation/states", "state");
    if (st.labels.size() != opt.fresh_states.size())
      throw bad(
          fmt::format("table 'optimisation/states' has {} states but the optimisation drew {}", st.labels.size(), opt.fresh_states.size()));
    for (std::size_t s = 0; s < st.labels.size(); ++s)
      for (const char* name : {"vs_baseline", "vs_start"}) {
        stats::Summary d;
        d.mean = d.ci.estimate = col(st, "states", name)[s];
        d.ci.lower = col(st, "states", std::string(name) + "_lower")[s];
        d.ci.upper = col(st, "states", std::string(name) + "_upper")[s];
        (std::string(name) == "vs_baseline" ? r.state_vs_baseline : r.state_vs_start).push_back(d);
      }
  }
  return r;
}

}  // namespace kpisim

// The robust comparison: regret, satisficing and PRIM scenario discovery over the design's states
// of the world (experiment/robust.hpp).
#include "kpisim/experiment/robust.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/core/calendar.hpp"
#include "kpisim/core/error.hpp"
#include "text_format.hpp"

namespace kpisim {
namespace {

// How the states of the world were chosen, for the table's heading.
const char* design_label(const DesignSpec& d) {
  switch (d.type) {
    case DesignSpec::Type::grid:
      return "grid design";
    case DesignSpec::Type::points:
    case DesignSpec::Type::posterior:
      return d.from.empty() ? "listed points" : "draws from a calibration's posterior";
    default:
      return "space-filling design";
  }
}

using text::num;
using text::usd;

std::string pct(double share) {
  return std::isnan(share) ? "n/a" : fmt::format("{:.0f}%", 100 * share);
}

std::vector<std::string> division_names(const Sweep& sw) {
  std::vector<std::string> d;
  for (const auto& u : sw.base.organisation.divisions) d.push_back(u.name);
  return d;
}

bool usd_per_day(const std::string& output) {
  return output_units(output) == "USD/day";
}

std::string constraint_text(const Sweep& sw, const RobustConstraint& c) {
  const bool rel = c.relative_to == RobustConstraint::Relative::baseline;
  const std::string lhs = rel ? fmt::format("{} - {}'s", c.name, sw.policies[sw.baseline]) : c.name;
  if (c.min > -params::kInf && c.max < params::kInf) return fmt::format("{} <= {} <= {}", num(c.min), lhs, num(c.max));
  if (c.min > -params::kInf) return fmt::format("{} >= {}", lhs, num(c.min));
  return fmt::format("{} <= {}", lhs, num(c.max));
}

/// PRIM's work, from the counts: each peel looks at every state of the box for 2 sides of every
/// parameter; peels until min_support: log(min_support) / log(1 - alpha); once per resample and once more.
double prim_work(const PrimSpec& p, std::size_t states, std::size_t parameters) {
  const double peels = std::ceil(std::log(p.min_support) / std::log1p(-p.peel_alpha)) + 1.0;
  return 2.0 * static_cast<double>(parameters) * static_cast<double>(states) * peels * static_cast<double>(p.resamples + 1);
}

/// Scenario discovery is skipped above this many operations (minutes of work): a large design with
/// many resamples (or a crafted results file) must not keep `compare` busy for hours.
constexpr double kMaxPrimWork = 2e11;

}  // namespace

std::vector<std::string> robust_outputs(const Sweep& sw) {
  const RobustSpec& r = sw.experiment.robust;
  std::vector<std::string> out = {r.objective};
  for (const auto& c : r.constraints)
    if (std::find(out.begin(), out.end(), c.name) == out.end()) out.push_back(c.name);
  return out;
}

std::vector<RobustProblem> robust_problems(const Sweep& sw) {
  std::vector<RobustProblem> out;
  const RobustSpec& r = sw.experiment.robust;
  if (!r.present()) return out;
  if (sw.policies.size() < 2)
    out.push_back(
        {"robust", fmt::format("the robust comparison compares policies: run at least two (this experiment runs {})", sw.policies.size())});
  const std::vector<std::string> divisions = division_names(sw);
  const auto check_output = [&](const std::string& key, const std::string& name, int line, int col) {
    std::vector<std::string> problems;
    const auto expanded = expand_outputs({name}, divisions, sw.base.output.per_unit, &problems);
    for (auto& p : problems) out.push_back({key, std::move(p), line, col});
    if (problems.empty() && expanded.size() != 1)
      out.push_back({key,
                     fmt::format("'{}' stands for one output per division; name one, e.g. '{}'", printable(name),
                                 expanded.empty() ? name : expanded.front()),
                     line, col});
  };
  check_output("robust.objective", r.objective, -1, -1);
  for (const auto& c : r.constraints) {
    const std::string key = "robust.constraints." + c.name;
    check_output(key, c.name, c.line, c.col);
    if (c.min == -params::kInf && c.max == params::kInf)
      out.push_back({key, fmt::format("constraint on '{}' needs `min` or `max`", printable(c.name)), c.line, c.col});
    else if (c.min > c.max)
      out.push_back(
          {key, fmt::format("constraint on '{}': min ({}) is above max ({})", printable(c.name), num(c.min), num(c.max)), c.line, c.col});
  }
  return out;
}

RobustAnalysis analyse_robust(const Sweep& sw, const WindowMeans& window_means) {
  const RobustSpec& spec = sw.experiment.robust;
  RobustAnalysis a;
  a.objective = spec.objective;
  a.maximise = spec.direction == RobustSpec::Direction::max;
  a.scale = usd_per_day(spec.objective) ? static_cast<double>(kDaysPerYear) : 1.0;
  a.units = usd_per_day(spec.objective) ? std::string("USD/year") : output_units(spec.objective);
  const std::size_t n_pol = sw.policies.size();
  const std::size_t n_states = sw.points.size();
  const auto reps = static_cast<std::size_t>(sw.experiment.replications);
  a.states = n_states;
  const auto index = [&](std::size_t point, std::size_t pol, std::size_t rep) { return (point * n_pol + pol) * reps + rep; };
  const std::vector<double> obj = window_means(spec.objective);
  if (obj.size() != sw.runs())
    throw RunError(fmt::format("robust comparison: {} has {} runs, expected {}", spec.objective, obj.size(), sw.runs()));

  // Per state: the mean over replications (a failed replication fails the state, as in sensitivity).
  const auto state_mean = [&](const std::vector<double>& v, std::size_t s, std::size_t p) {
    double sum = 0.0;
    for (std::size_t k = 0; k < reps; ++k) {
      const double x = v[index(s, p, k)];
      if (std::isnan(x)) return std::nan("");
      sum += x;
    }
    return sum / static_cast<double>(reps);
  };
  a.objective_values.assign(n_states * n_pol, std::nan(""));
  for (std::size_t s = 0; s < n_states; ++s)
    for (std::size_t p = 0; p < n_pol; ++p) a.objective_values[s * n_pol + p] = state_mean(obj, s, p) * a.scale;
  a.table = stats::regret_table(a.objective_values, n_states, n_pol, a.maximise);
  a.regret = a.table.regret;
  a.regret_lower.assign(n_states * n_pol, std::nan(""));
  a.regret_upper.assign(n_states * n_pol, std::nan(""));
  for (std::size_t s = 0; s < n_states; ++s) {
    const std::size_t best = a.table.best[s];
    if (best == stats::kNoPolicy) continue;
    ++a.states_used;
    std::vector<double> b(reps);
    std::vector<double> y(reps);
    for (std::size_t p = 0; p < n_pol; ++p) {
      if (p == best) continue;
      for (std::size_t k = 0; k < reps; ++k) {
        b[k] = obj[index(s, best, k)] * a.scale;
        y[k] = obj[index(s, p, k)] * a.scale;
      }
      const stats::Summary d = a.maximise ? stats::paired_difference(b, y, sw.experiment.analysis.level)
                                          : stats::paired_difference(y, b, sw.experiment.analysis.level);
      a.regret_lower[s * n_pol + p] = d.ci.lower;
      a.regret_upper[s * n_pol + p] = d.ci.upper;
    }
  }

  // Constraints: every one holds in the state (policy's mean, or its mean paired difference from the baseline).
  a.satisfies.assign(n_states * n_pol, 1);
  for (const auto& c : spec.constraints) {
    const std::vector<double> v = window_means(c.name);
    if (v.size() != sw.runs()) throw RunError(fmt::format("robust comparison: {} has {} runs, expected {}", c.name, v.size(), sw.runs()));
    const bool rel = c.relative_to == RobustConstraint::Relative::baseline;
    for (std::size_t s = 0; s < n_states; ++s)
      for (std::size_t p = 0; p < n_pol; ++p) {
        const double x = state_mean(v, s, p) - (rel ? state_mean(v, s, sw.baseline) : 0.0);
        if (!(x >= c.min && x <= c.max)) a.satisfies[s * n_pol + p] = 0;  // NaN (a failed run) does not satisfy
      }
  }

  // Summaries, and where each policy loses.
  const std::vector<stats::RegretSummary> summaries = stats::summarize_regret(a.table);
  a.loses.assign(n_states * n_pol, 0);
  std::vector<std::size_t> used;
  for (std::size_t s = 0; s < n_states; ++s)
    if (a.table.best[s] != stats::kNoPolicy) used.push_back(s);
  std::vector<std::vector<double>> x;
  x.reserve(used.size());
  for (const std::size_t s : used) x.push_back(sw.points[s]);
  for (std::size_t p = 0; p < n_pol; ++p) {
    RobustPolicy rp;
    rp.policy = sw.policies[p];
    rp.regret = summaries[p];
    std::vector<std::uint8_t> y;
    double sum = 0.0;
    std::size_t sat = 0;
    std::size_t resolved = 0;
    for (const std::size_t s : used) {
      const std::size_t i = s * n_pol + p;
      resolved += a.regret_lower[i] > 0.0 ? 1 : 0;
      sum += a.objective_values[i];
      sat += a.satisfies[i];
      const bool regret = a.regret[i] > spec.regret_threshold;
      const bool fails = a.satisfies[i] == 0;
      a.loses[i] = (spec.loses == RobustSpec::Loses::regret        ? regret
                    : spec.loses == RobustSpec::Loses::constraints ? fails
                                                                   : regret || fails)
                       ? 1
                       : 0;
      y.push_back(a.loses[i]);
    }
    const auto n_loses = static_cast<std::size_t>(std::count(y.begin(), y.end(), 1));
    if (!used.empty()) {
      const auto n = static_cast<double>(used.size());
      rp.objective_mean = sum / n;
      rp.satisficing_share = static_cast<double>(sat) / n;
      rp.loses_share = static_cast<double>(n_loses) / n;
      rp.resolved_share = static_cast<double>(resolved) / n;
    }
    if (sw.experiment.parameters.empty())
      rp.prim_note = "no uncertain parameters";
    else if (used.size() < kMinPrimStates)
      rp.prim_note = fmt::format("too few states of the world for scenario discovery ({} < {})", used.size(), kMinPrimStates);
    else if (n_loses == 0)
      rp.prim_note = "never loses";
    else if (n_loses == used.size())
      rp.prim_note = "loses in every state";
    else if (const double work = prim_work(spec.prim, used.size(), sw.experiment.parameters.size()); work > kMaxPrimWork)
      rp.prim_note = fmt::format(
          "scenario discovery skipped: about {:.1e} operations (states x parameters x peels x (resamples + 1)) is over the limit of "
          "{:.0e}; use fewer robust.prim.resamples or a larger peel_alpha",
          work, kMaxPrimWork);
    if (rp.prim_note.empty()) {
      stats::PrimOptions o;
      o.peel_alpha = spec.prim.peel_alpha;
      o.min_support = spec.prim.min_support;
      o.threshold = spec.prim.threshold;
      o.significance = spec.prim.significance;
      o.resamples = static_cast<std::size_t>(spec.prim.resamples);
      o.level = sw.experiment.analysis.level;
      o.seed = sw.base.seed;
      rp.prim = stats::prim(x, y, o);
      rp.prim_run = true;
    }
    a.policies.push_back(std::move(rp));
  }
  return a;
}

std::string describe_box(const Sweep& sw, const stats::PrimResult& prim) {
  std::string s;
  for (const auto& r : prim.restrictions) {
    const std::string& name = sw.experiment.parameters[r.dim].name;
    if (!s.empty()) s += " and ";
    if (r.lower_restricted && r.upper_restricted)
      s += fmt::format("{} <= {} <= {}", num(r.lower), name, num(r.upper));
    else if (r.lower_restricted)
      s += fmt::format("{} >= {}", name, num(r.lower));
    else
      s += fmt::format("{} <= {}", name, num(r.upper));
  }
  return s;
}

std::string format_robust(const Sweep& sw, const RobustAnalysis& a) {
  const RobustSpec& spec = sw.experiment.robust;
  const bool money = a.units == "USD/year";
  const auto val = [&](double x) { return money ? usd(x) : num(x); };
  std::string s = fmt::format(
      "\nRobustness over {} states of the world ({} over {} parameter{}; {} with every policy defined); objective {} "
      "({}{}; {} is better), each policy's mean over {} replications in each state\n",
      a.states, design_label(sw.experiment.design), sw.experiment.parameters.size(), sw.experiment.parameters.size() == 1 ? "" : "s",
      a.states_used, a.objective, a.units, money ? fmt::format(", at {} days a year", kDaysPerYear) : "", a.maximise ? "higher" : "lower",
      sw.experiment.replications);
  s += fmt::format(
      "| policy | mean objective | mean regret | 90th percentile regret | max regret | best in | worse than the best ({:g}% paired "
      "interval above 0) in | satisficing in | loses in |\n",
      100 * sw.experiment.analysis.level);
  s += "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& p : a.policies)
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", p.policy, val(p.objective_mean), val(p.regret.mean),
                     val(p.regret.p90), val(p.regret.max), pct(p.regret.best_share), pct(p.resolved_share), pct(p.satisficing_share),
                     pct(p.loses_share));
  // Which policy each criterion picks.
  if (!a.policies.empty() && a.states_used > 0) {
    const auto pick = [&](auto key) {
      std::size_t best = 0;
      for (std::size_t p = 1; p < a.policies.size(); ++p)
        if (key(a.policies[p]) < key(a.policies[best])) best = p;
      return a.policies[best].policy;
    };
    s += fmt::format("lowest maximum regret (minimax): {}; lowest mean regret: {}; most often satisficing: {}\n",
                     pick([](const RobustPolicy& p) { return p.regret.max; }), pick([](const RobustPolicy& p) { return p.regret.mean; }),
                     pick([](const RobustPolicy& p) { return -p.satisficing_share; }));
  }
  std::string constraints;
  for (const auto& c : spec.constraints) constraints += (constraints.empty() ? "" : "; ") + constraint_text(sw, c);
  s += fmt::format("regret = best policy's objective in the state minus the policy's (in {}); satisficing: {}\n", a.units,
                   constraints.empty() ? "no constraints given (every state)" : constraints);
  s += fmt::format("a policy loses in a state when {}\n",
                   spec.loses == RobustSpec::Loses::regret        ? fmt::format("its regret exceeds {}", val(spec.regret_threshold))
                   : spec.loses == RobustSpec::Loses::constraints ? std::string("a constraint fails")
                                                                  : fmt::format("its regret exceeds {}{}", val(spec.regret_threshold),
                                                                                constraints.empty() ? "" : " or a constraint fails"));
  for (const auto& p : a.policies) {
    s += fmt::format("\nwhere {} loses ({} of {} states): ", p.policy,
                     static_cast<std::size_t>(std::lround(p.loses_share * static_cast<double>(a.states_used))), a.states_used);
    if (!p.prim_run) {
      s += p.prim_note + "\n";
      continue;
    }
    const auto& r = p.prim;
    const std::string box = describe_box(sw, r);
    s += fmt::format("PRIM (peel alpha {}, density threshold {})\n", num(spec.prim.peel_alpha), num(spec.prim.threshold));
    s += fmt::format("  box: {}\n", box.empty() ? "(no restriction: the losses are spread over the whole space)" : box);
    s += fmt::format("  coverage {}, density {}, support {} (box {} of {} on the peeling trajectory, {}{})\n", num(r.box.coverage),
                     num(r.box.density), num(r.box.support), r.chosen, r.trajectory.size() - 1,
                     r.meets_threshold ? "the largest reaching the density threshold" : "the densest: none reaches the density threshold",
                     r.pruned == 0 ? std::string()
                                   : fmt::format("; {} of its restrictions dropped as not significant (quasi-p-value above {})", r.pruned,
                                                 num(spec.prim.significance)));
    if (!r.restrictions.empty()) {
      std::string qp;
      for (const auto& x : r.restrictions)
        qp += fmt::format("{}{} {}", qp.empty() ? "" : ", ", sw.experiment.parameters[x.dim].name, num(x.qp));
      s += fmt::format("  quasi-p-values: {}\n", qp);
    }
    if (r.resamples_used > 0) {
      std::string dims;
      for (std::size_t j = 0; j < r.dim_share.size(); ++j)
        dims += fmt::format("{}{} {}", dims.empty() ? "" : ", ", sw.experiment.parameters[j].name, pct(r.dim_share[j]));
      s += fmt::format(
          "  stability over {} bootstrap resamples: {} restrict the same parameters (restricted: {}); this box's coverage [{}, {}], "
          "density [{}, {}] ({:g}% of resamples)\n",
          r.resamples_used, pct(r.same_dims_share), dims, num(r.coverage_lower), num(r.coverage_upper), num(r.density_lower),
          num(r.density_upper), 100 * sw.experiment.analysis.level);
    }
  }
  return s;
}

std::string describe_robust(const Sweep& sw) {
  const RobustSpec& spec = sw.experiment.robust;
  if (!spec.present()) return "";
  std::string constraints;
  for (const auto& c : spec.constraints) constraints += (constraints.empty() ? "" : "; ") + constraint_text(sw, c);
  std::string s = fmt::format("  robust comparison over {} states of the world: objective {} ({}), constraints: {}\n", sw.points.size(),
                              spec.objective, spec.direction == RobustSpec::Direction::max ? "higher is better" : "lower is better",
                              constraints.empty() ? "none" : constraints);
  if (sw.points.size() < kMinPrimStates || sw.experiment.parameters.empty())
    s += fmt::format(
        "  note: scenario discovery (PRIM) needs uncertain parameters and at least {} states of the world; it will be skipped\n",
        kMinPrimStates);
  return s;
}

void write_robust(ResultsWriter& w, const Sweep& sw, const RobustAnalysis& a) {
  using Column = ResultsWriter::Column;
  const RobustSpec& spec = sw.experiment.robust;
  const std::size_t n_pol = sw.policies.size();
  std::string constraints;
  for (const auto& c : spec.constraints) constraints += (constraints.empty() ? "" : "; ") + constraint_text(sw, c);
  {
    std::vector<Column> cols = {{"objective_mean", "mean over states of the objective", a.units, {}},
                                {"regret_mean", "mean regret over states", a.units, {}},
                                {"regret_p90", "90th percentile of the regret over states", a.units, {}},
                                {"regret_max", "largest regret over states", a.units, {}},
                                {"best_share", "share of states where the policy is the best", "1", {}},
                                {"satisficing_share", "share of states meeting every constraint", "1", {}},
                                {"loses_share", "share of states where the policy loses", "1", {}},
                                {"resolved_share", "share of states where the regret's paired interval lies above 0", "1", {}},
                                {"box_coverage", "PRIM box: losing states inside / all losing states", "1", {}},
                                {"box_density", "PRIM box: losing states inside / states inside", "1", {}},
                                {"box_support", "PRIM box: states inside / all states", "1", {}},
                                {"box_same_dims_share", "share of bootstrap resamples whose box restricts the same parameters", "1", {}},
                                {"box_meets_threshold", "1 when the box's density reached the threshold (before pruning)", "1", {}},
                                {"box_pruned", "restrictions dropped from the box as not significant", "1", {}}};
    for (const auto& p : a.policies) {
      const double nan = std::nan("");
      const bool box = p.prim_run;
      const double vals[] = {p.objective_mean,
                             p.regret.mean,
                             p.regret.p90,
                             p.regret.max,
                             p.regret.best_share,
                             p.satisficing_share,
                             p.loses_share,
                             p.resolved_share,
                             box ? p.prim.box.coverage : nan,
                             box ? p.prim.box.density : nan,
                             box ? p.prim.box.support : nan,
                             box ? p.prim.same_dims_share : nan,
                             box ? (p.prim.meets_threshold ? 1.0 : 0.0) : nan,
                             box ? static_cast<double>(p.prim.pruned) : nan};
      for (std::size_t c = 0; c < cols.size(); ++c) cols[c].values.push_back(vals[c]);
    }
    std::string boxes;
    for (const auto& p : a.policies)
      boxes += fmt::format(
          "{}{}: {}", boxes.empty() ? "" : "\n", p.policy,
          p.prim_run ? (describe_box(sw, p.prim).empty() ? std::string("(no restriction)") : describe_box(sw, p.prim)) : p.prim_note);
    w.write_table("robust/policies", "policy", sw.policies, cols,
                  {{"objective", a.objective},
                   {"units", a.units},
                   {"direction", a.maximise ? "max" : "min"},
                   {"states", fmt::format("{}", a.states)},
                   {"states_used", fmt::format("{}", a.states_used)},
                   {"regret_threshold", fmt::format("{}", spec.regret_threshold)},
                   {"loses", spec.loses == RobustSpec::Loses::regret        ? "regret"
                             : spec.loses == RobustSpec::Loses::constraints ? "constraints"
                                                                            : "either"},
                   {"constraints", constraints},
                   {"boxes", boxes}});
  }
  std::vector<std::string> labels;
  for (std::size_t s = 0; s < a.states; ++s) labels.push_back(fmt::format("point {}", s));
  for (std::size_t p = 0; p < n_pol; ++p) {
    std::vector<Column> cols = {{"objective", "the policy's objective (mean over replications)", a.units, {}},
                                {"regret", "best policy's objective in the state minus this policy's", a.units, {}},
                                {"regret_lower", "lower end of the regret's paired interval over replications", a.units, {}},
                                {"regret_upper", "upper end of the regret's paired interval over replications", a.units, {}},
                                {"satisfies", "1 when every constraint holds", "1", {}},
                                {"loses", "1 when the policy loses (regret above the threshold, or a constraint fails)", "1", {}}};
    for (std::size_t s = 0; s < a.states; ++s) {
      const std::size_t i = s * n_pol + p;
      const double vals[] = {
          a.objective_values[i],          a.regret[i], a.regret_lower[i], a.regret_upper[i], static_cast<double>(a.satisfies[i]),
          static_cast<double>(a.loses[i])};
      for (std::size_t c = 0; c < cols.size(); ++c) cols[c].values.push_back(vals[c]);
    }
    w.write_table("robust/states/" + sw.policies[p], "state", labels, cols, {{"policy", sw.policies[p]}});
    const RobustPolicy& rp = a.policies[p];
    if (!rp.prim_run) continue;
    const auto& r = rp.prim;
    std::vector<Column> traj = {{"coverage", "losing states inside / all losing states", "1", {}},
                                {"density", "losing states inside / states inside", "1", {}},
                                {"support", "states inside / all states", "1", {}},
                                {"restricted", "parameters the box restricts", "1", {}}};
    std::vector<std::string> steps;
    for (std::size_t k = 0; k < r.trajectory.size(); ++k) {
      steps.push_back(fmt::format("{}", k));
      traj[0].values.push_back(r.trajectory[k].coverage);
      traj[1].values.push_back(r.trajectory[k].density);
      traj[2].values.push_back(r.trajectory[k].support);
      traj[3].values.push_back(static_cast<double>(r.trajectory[k].restricted));
    }
    w.write_table("robust/trajectory/" + sw.policies[p], "step", steps, traj,
                  {{"chosen", fmt::format("{}", r.chosen)}, {"meets_threshold", r.meets_threshold ? "1" : "0"}});
    std::vector<std::string> names;
    std::vector<Column> box = {{"lower", "lower limit of the box", "", {}},
                               {"upper", "upper limit of the box", "", {}},
                               {"lower_restricted", "1 when the lower limit restricts", "1", {}},
                               {"upper_restricted", "1 when the upper limit restricts", "1", {}},
                               {"qp", "quasi-p-value of the restriction", "1", {}},
                               {"resample_share", "share of bootstrap resamples whose box restricts this parameter", "1", {}}};
    for (std::size_t j = 0; j < sw.experiment.parameters.size(); ++j) {
      names.push_back(sw.experiment.parameters[j].name);
      double qp = std::nan("");
      bool lo = false;
      bool hi = false;
      for (const auto& x : r.restrictions)
        if (x.dim == j) {
          qp = x.qp;
          lo = x.lower_restricted;
          hi = x.upper_restricted;
        }
      const double vals[] = {r.lower[j], r.upper[j], lo ? 1.0 : 0.0, hi ? 1.0 : 0.0, qp, r.dim_share[j]};
      for (std::size_t c = 0; c < box.size(); ++c) box[c].values.push_back(vals[c]);
    }
    w.write_table("robust/box/" + sw.policies[p], "parameter", names, box,
                  {{"statement", describe_box(sw, r)},
                   {"coverage", fmt::format("{}", r.box.coverage)},
                   {"density", fmt::format("{}", r.box.density)},
                   {"support", fmt::format("{}", r.box.support)},
                   {"coverage_interval", fmt::format("{} {}", r.coverage_lower, r.coverage_upper)},
                   {"density_interval", fmt::format("{} {}", r.density_lower, r.density_upper)},
                   {"same_dims_share", fmt::format("{}", r.same_dims_share)},
                   {"resamples", fmt::format("{}", r.resamples_used)}});
  }
}

}  // namespace kpisim

// Comparisons with common random numbers and sensitivity indices from a sweep's run summaries.
#include "kpisim/experiment/analysis.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/params.hpp"
#include "kpisim/core/calendar.hpp"
#include "kpisim/io/results.hpp"
#include "text_format.hpp"

namespace kpisim {
namespace {

using text::num;
using text::usd;

std::string interval(const stats::TInterval& ci) {
  if (std::isnan(ci.lower)) return "";
  return fmt::format("[{}, {}]", num(ci.lower), num(ci.upper));
}

constexpr std::string_view kUnitPrefix = "unit_";

const VariableInfo* find_variable(std::string_view name) {
  for (const auto& info : daily_variables())
    if (info.name == name) return &info;
  return nullptr;
}

}  // namespace

OutputName split_output(std::string_view output) {
  const auto open = output.find('[');
  if (output.substr(0, kUnitPrefix.size()) != kUnitPrefix || open == std::string_view::npos || output.back() != ']')
    return {std::string(output), ""};
  return {std::string(output.substr(kUnitPrefix.size(), open - kUnitPrefix.size())),
          std::string(output.substr(open + 1, output.size() - open - 2))};
}

std::vector<std::string> expand_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& divisions, bool per_unit,
                                        std::vector<std::string>* problems) {
  std::vector<std::string> names;  // every valid name, for suggestions
  for (const auto& info : daily_variables()) {
    names.emplace_back(info.name);
    if (info.per_unit) names.push_back(std::string(kUnitPrefix) + std::string(info.name));
  }
  const auto problem = [&](std::string msg) {
    if (problems != nullptr) problems->push_back(std::move(msg));
  };
  std::vector<std::string> out;
  for (const auto& o : outputs) {
    if (find_variable(o) != nullptr) {
      out.push_back(o);
      continue;
    }
    const bool bracket = o.find('[') != std::string::npos;
    const OutputName n =
        bracket ? split_output(o) : OutputName{o.substr(0, kUnitPrefix.size()) == kUnitPrefix ? o.substr(kUnitPrefix.size()) : "", ""};
    const VariableInfo* info = find_variable(n.variable);
    if (o.substr(0, kUnitPrefix.size()) == kUnitPrefix && info != nullptr && !info->per_unit) {
      problem(fmt::format("'{}': {} is an organisation-level variable, not written per division", printable(o), n.variable));
      continue;
    }
    if (o.substr(0, kUnitPrefix.size()) != kUnitPrefix || info == nullptr || (bracket && o.back() != ']')) {
      const std::string near = params::nearest(bracket ? o.substr(0, o.find('[')) : o, names);
      problem(fmt::format("'{}' is not an output variable{}", printable(o), near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
      continue;
    }
    if (!per_unit) {
      problem(fmt::format("'{}' needs the per-division series, which `output.per_unit: false` turns off", printable(o)));
      continue;
    }
    if (!bracket) {
      for (const auto& d : divisions) out.push_back(fmt::format("{}{}[{}]", kUnitPrefix, n.variable, d));
      continue;
    }
    if (std::find(divisions.begin(), divisions.end(), n.division) == divisions.end()) {
      const std::string near = params::nearest(n.division, divisions);
      problem(fmt::format("'{}': the scenario has no division '{}'{}", printable(o), printable(n.division),
                          near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
      continue;
    }
    out.push_back(o);
  }
  return out;
}

std::string output_units(std::string_view output) {
  const VariableInfo* info = find_variable(split_output(output).variable);
  return info != nullptr ? std::string(info->units) : std::string();
}

double output_window_mean(const RunResult& run, std::string_view output, const std::vector<std::string>& divisions, int first, int last) {
  const OutputName n = split_output(output);
  const auto days = static_cast<std::size_t>(run.days);
  const double* row = nullptr;
  if (n.division.empty()) {
    row = &run.series[daily_index(n.variable) * days];
  } else {
    const auto& vars = daily_variables();
    const std::size_t v = daily_index(n.variable);
    std::size_t pos = 0;  // position among the per-unit variables
    for (std::size_t i = 0; i < v; ++i) pos += vars[i].per_unit ? 1 : 0;
    const auto u = static_cast<std::size_t>(std::find(divisions.begin(), divisions.end(), n.division) - divisions.begin());
    if (u >= divisions.size() || (pos * divisions.size() + u + 1) * days > run.unit_series.size()) return std::nan("");
    row = &run.unit_series[(pos * divisions.size() + u) * days];
  }
  double s = 0.0;
  int k = 0;
  for (int d = first; d <= last; ++d) {
    const double x = row[d];
    if (std::isnan(x)) continue;
    s += x;
    ++k;
  }
  return k > 0 ? s / k : std::nan("");
}

std::vector<std::string> Sweep::output_names() const {
  std::vector<std::string> divisions;
  for (const auto& d : base.organisation.divisions) divisions.push_back(d.name);
  return expand_outputs(experiment.analysis.outputs, divisions, base.output.per_unit);
}

std::string reference_name(const Sweep& sw) {
  return sw.policies.size() == 1 && sw.points.size() > 1 ? std::string("point 0") : sw.policies[sw.baseline];
}

Analysis analyse(const Sweep& sw, const std::vector<std::vector<double>>& values, std::size_t max_points) {
  Analysis out;
  const auto& spec = sw.experiment.analysis;
  const std::vector<std::string> outputs = sw.output_names();
  const std::size_t n_points = sw.points.size();
  const std::size_t n_pol = sw.policies.size();
  const auto reps = static_cast<std::size_t>(sw.experiment.replications);
  const auto index = [&](std::size_t point, std::size_t pol, std::size_t rep) { return (point * n_pol + pol) * reps + rep; };
  out.points_compared = n_points <= max_points ? n_points : 0;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const std::vector<double>& v = values[o];
    for (std::size_t point = 0; point < out.points_compared; ++point) {
      // The reference: the baseline policy at the same point; with one policy, the same policy
      // at point 0 (a parameter sweep compares points).
      const bool by_point = n_pol == 1;
      std::vector<double> base(reps);
      for (std::size_t k = 0; k < reps; ++k) base[k] = v[by_point ? index(0, 0, k) : index(point, sw.baseline, k)];
      for (std::size_t pol = 0; pol < n_pol; ++pol) {
        std::vector<double> y(reps);
        for (std::size_t k = 0; k < reps; ++k) y[k] = v[index(point, pol, k)];
        ComparisonRow row;
        row.output = outputs[o];
        row.point = point;
        row.policy = sw.policies[pol];
        row.summary = stats::summarize(y, spec.level);
        row.paired = stats::paired_difference(y, base, spec.level);
        row.unpaired = stats::welch_difference(y, base, spec.level);
        out.comparison.push_back(std::move(row));
      }
    }
    const auto type = sw.experiment.design.type;
    if (type != DesignSpec::Type::saltelli && type != DesignSpec::Type::morris) continue;
    for (std::size_t pol = 0; pol < n_pol; ++pol) {
      // The output as a function of the parameters: its mean over replications at each point
      // (with common random numbers, replication k is the same world at every point).
      std::vector<double> y(n_points);
      for (std::size_t point = 0; point < n_points; ++point) {
        double s = 0.0;
        std::size_t n = 0;
        for (std::size_t k = 0; k < reps; ++k) {
          const double x = v[index(point, pol, k)];
          if (std::isnan(x)) continue;
          s += x;
          ++n;
        }
        y[point] = n == reps ? s / static_cast<double>(n) : std::nan("");  // a failed replication fails the point
      }
      SensitivityResult res;
      res.output = outputs[o];
      res.policy = sw.policies[pol];
      if (type == DesignSpec::Type::saltelli) {
        stats::SobolOptions opt;
        opt.resamples = static_cast<std::size_t>(spec.resamples);
        opt.level = spec.level;
        opt.seed = sw.base.seed;
        res.sobol = stats::sobol_indices(sw.experiment.parameters.size(), y, opt);
      } else {
        res.morris = stats::morris_effects(sw.morris, y);
      }
      out.sensitivity.push_back(std::move(res));
    }
  }
  return out;
}

std::string format_analysis(const Sweep& sw, const Analysis& a) {
  std::string s;
  const auto& spec = sw.experiment.analysis;
  const int first = spec.first_day;
  const int last = sw.last_day();
  const std::string level = fmt::format("{:g}%", 100 * spec.level);
  if (a.points_compared == 0 && sw.points.size() > 1) {
    s += fmt::format("{} parameter points: too many to list comparisons (see the sensitivity tables and the results file).\n",
                     sw.points.size());
  }
  if (a.points_compared > 1) {
    s += "\nparameter points:\n";
    for (std::size_t p = 0; p < a.points_compared; ++p) {
      std::string desc;
      for (std::size_t j = 0; j < sw.experiment.parameters.size(); ++j)
        desc += fmt::format("{}{} = {}", j == 0 ? "" : ", ", sw.experiment.parameters[j].name, num(sw.points[p][j]));
      s += fmt::format("  {}: {}\n", p, desc);
    }
  }
  std::string current;
  for (const auto& row : a.comparison) {
    if (row.output != current) {
      current = row.output;
      const std::string units = output_units(row.output);
      s += fmt::format("\n{} ({}; mean over days {}-{} of each run; {} intervals over {} replications)\n", row.output, units, first, last,
                       level, sw.experiment.replications);
      s += fmt::format("| {}policy | mean | {} interval | paired difference from {} | {} interval | unpaired interval |\n",
                       sw.points.size() > 1 ? "point | " : "", level, reference_name(sw), level);
      s += sw.points.size() > 1 ? "|---:|---|---:|---|---:|---|---|\n" : "|---|---:|---|---:|---|---|\n";
    }
    const bool is_base = sw.policies.size() == 1 ? row.point == 0 : row.policy == sw.policies[sw.baseline];
    std::string failed = row.summary.n_failed > 0 ? fmt::format(" ({} failed)", row.summary.n_failed) : "";
    s += fmt::format("| {}{}{} | {} | {} | {} | {} | {} |\n", sw.points.size() > 1 ? fmt::format("{} | ", row.point) : "", row.policy,
                     failed, num(row.summary.mean), interval(row.summary.ci), is_base ? "(baseline)" : num(row.paired.mean),
                     is_base ? "" : interval(row.paired.ci), is_base ? "" : interval(row.unpaired.ci));
  }
  for (const auto& res : a.sensitivity) {
    if (!res.sobol.first.empty()) {
      s += fmt::format("\nSobol indices of {} under {} ({} base rows, {} failed; {} bootstrap intervals)\n", res.output, res.policy,
                       res.sobol.n_base, res.sobol.n_failed, level);
      s += "| parameter | first order S1 | interval | total ST | interval |\n|---|---:|---|---:|---|\n";
      for (std::size_t j = 0; j < res.sobol.first.size(); ++j) {
        const auto& f = res.sobol.first[j];
        const auto& t = res.sobol.total[j];
        s += fmt::format("| {} | {} | {} | {} | {} |\n", sw.experiment.parameters[j].name, num(f.estimate),
                         std::isnan(f.lower) ? "" : fmt::format("[{}, {}]", num(f.lower), num(f.upper)), num(t.estimate),
                         std::isnan(t.lower) ? "" : fmt::format("[{}, {}]", num(t.lower), num(t.upper)));
      }
    }
    if (!res.morris.empty()) {
      s += fmt::format("\nMorris elementary effects of {} under {} (per whole parameter range)\n", res.output, res.policy);
      s += "| parameter | mu* | mu | sigma | effects |\n|---|---:|---:|---:|---:|\n";
      for (std::size_t j = 0; j < res.morris.size(); ++j) {
        const auto& m = res.morris[j];
        s +=
            fmt::format("| {} | {} | {} | {} | {} |\n", sw.experiment.parameters[j].name, num(m.mu_star), num(m.mu), num(m.sigma), m.count);
      }
    }
  }
  return s;
}

namespace {

/// The analysis of derived outputs: comparisons only (no sensitivity), of the named outputs.
Analysis compare_only(const Sweep& sw, const std::vector<std::string>& outputs, const std::vector<std::vector<double>>& values) {
  Sweep copy = sw;
  copy.experiment.analysis.outputs = outputs;
  copy.experiment.design.type = DesignSpec::Type::grid;
  return analyse(copy, values);
}

const ComparisonRow* find_row(const Analysis& a, std::string_view output, std::size_t point, std::string_view policy) {
  for (const auto& r : a.comparison)
    if (r.output == output && r.point == point && r.policy == policy) return &r;
  return nullptr;
}

std::string with_interval(const stats::TInterval& ci, double mean, std::string (*f)(double) = num) {
  if (std::isnan(ci.lower)) return f(mean);
  return fmt::format("{} [{}, {}]", f(mean), f(ci.lower), f(ci.upper));
}

}  // namespace

std::string format_money_and_divisions(const Sweep& sw, const WindowMeans& window_means) {
  std::string s;
  const auto& spec = sw.experiment.analysis;
  const std::string level = fmt::format("{:g}%", 100 * spec.level);
  const std::string window = fmt::format("days {}-{}", spec.first_day, sw.last_day());
  const bool by_point = sw.points.size() > 1;
  const std::string ref = reference_name(sw);
  const auto is_reference = [&](const ComparisonRow& r) {
    return sw.policies.size() == 1 ? r.point == 0 : r.policy == sw.policies[sw.baseline];
  };

  // Per-point tables are printed for at most as many points as analyse() compares; beyond that they
  // would be empty (the robust comparison summarises many states of the world; the file holds every run).
  if (by_point && sw.points.size() > kMaxComparedPoints) {
    s += fmt::format(
        "\nmoney view and true value by division: not printed for {} design points (more than {}); every run's net_value_*, "
        "token_cost_usd, rewards_usd, penalties_usd and unit_* series are in the results file (kpisim_analysis.results.load), "
        "and a robust: section summarises policies over many states of the world\n",
        sw.points.size(), kMaxComparedPoints);
    return s;
  }

  // Money view: USD/day totals at an annual rate (kDaysPerYear days).
  const std::vector<std::string> money = {"net_value_per_fte", "net_value_usd", "token_cost_usd", "rewards_usd", "penalties_usd"};
  std::vector<std::vector<double>> mv;
  try {
    for (const auto& name : money) mv.push_back(window_means(name));
  } catch (const std::exception&) {
    mv.clear();
  }
  if (mv.empty()) {
    s += "\nmoney view: this results file has no net_value_* series (written before the money view); run the experiment again\n";
  } else {
    for (std::size_t k = 1; k < mv.size(); ++k)
      for (double& x : mv[k]) x *= kDaysPerYear;
    const Analysis a = compare_only(sw, money, mv);
    s += fmt::format(
        "\nmoney view: net value to the organisation = true value - token cost - rewards paid + penalties (docs/output-schema.md); "
        "USD/year at {} days a year, per FTE-day over calendar days; means over {} of each run, {} intervals over {} replications\n",
        kDaysPerYear, window, level, sw.experiment.replications);
    s += fmt::format(
        "| {}policy | net value per FTE-day | net value, USD/year | paired difference from {} | token cost, USD/year | rewards paid, "
        "USD/year | penalties, USD/year |\n",
        by_point ? "point | " : "", ref);
    s += by_point ? "|---:|---|---:|---:|---:|---:|---:|---:|\n" : "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& r : a.comparison) {
      if (r.output != money[1]) continue;
      const ComparisonRow* fte = find_row(a, money[0], r.point, r.policy);
      const ComparisonRow* tok = find_row(a, money[2], r.point, r.policy);
      const ComparisonRow* rew = find_row(a, money[3], r.point, r.policy);
      const ComparisonRow* pen = find_row(a, money[4], r.point, r.policy);
      s += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} |\n", by_point ? fmt::format("{} | ", r.point) : "", r.policy,
                       with_interval(fte->summary.ci, fte->summary.mean), with_interval(r.summary.ci, r.summary.mean, usd),
                       is_reference(r) ? "(reference)" : with_interval(r.paired.ci, r.paired.mean, usd), usd(tok->summary.mean),
                       usd(rew->summary.mean), usd(pen->summary.mean));
    }
  }

  // Per division: true value per FTE-day, with the paired difference from the reference.
  std::vector<std::string> divisions;
  for (const auto& d : sw.base.organisation.divisions) divisions.push_back(d.name);
  const std::vector<std::string> outs = expand_outputs({"unit_true_value_per_fte"}, divisions, sw.base.output.per_unit);
  std::vector<std::vector<double>> dv;
  try {
    for (const auto& name : outs) dv.push_back(window_means(name));
  } catch (const std::exception&) {
    dv.clear();
  }
  if (outs.empty() || dv.empty()) {
    s += "\nby division: this results file has no per-division series (output.per_unit: false)\n";
    return s;
  }
  const Analysis a = compare_only(sw, outs, dv);
  std::vector<std::pair<std::size_t, std::string>> cols;  // (point, policy)
  for (const auto& r : a.comparison)
    if (r.output == outs.front()) cols.emplace_back(r.point, r.policy);
  s += fmt::format(
      "\ntrue value per FTE-day by division (USD/person/day over calendar days; means over {} of each run; the reference's mean, and "
      "the others' paired difference from {} with its {} interval)\n| division |",
      window, ref, level);
  for (const auto& [point, policy] : cols) s += by_point ? fmt::format(" {} @ point {} |", policy, point) : fmt::format(" {} |", policy);
  s += "\n|---|";
  for (std::size_t c = 0; c < cols.size(); ++c) s += "---:|";
  s += "\n";
  for (std::size_t o = 0; o < outs.size(); ++o) {
    s += fmt::format("| {} |", printable(divisions[o]));
    for (const auto& [point, policy] : cols) {
      const ComparisonRow* r = find_row(a, outs[o], point, policy);
      s += r == nullptr       ? " n/a |"
           : is_reference(*r) ? fmt::format(" {} |", num(r->summary.mean))
                              : fmt::format(" {} |", with_interval(r->paired.ci, r->paired.mean));
    }
    s += "\n";
  }
  return s;
}

}  // namespace kpisim

// Comparisons with common random numbers and sensitivity indices from a sweep's run summaries.
#include "kpisim/experiment/analysis.hpp"

#include <cmath>

#include <fmt/format.h>

#include "kpisim/io/results.hpp"

namespace kpisim {
namespace {

std::string num(double x) {
  if (std::isnan(x)) return "n/a";
  const double a = std::fabs(x);
  if (a != 0.0 && (a >= 1e6 || a < 1e-3)) return fmt::format("{:.3e}", x);
  return fmt::format("{:.4g}", x);
}

std::string interval(const stats::TInterval& ci) {
  if (std::isnan(ci.lower)) return "";
  return fmt::format("[{}, {}]", num(ci.lower), num(ci.upper));
}

}  // namespace

std::string reference_name(const Sweep& sw) {
  return sw.policies.size() == 1 && sw.points.size() > 1 ? std::string("point 0") : sw.policies[sw.baseline];
}

Analysis analyse(const Sweep& sw, const std::vector<std::vector<double>>& values, std::size_t max_points) {
  Analysis out;
  const auto& spec = sw.experiment.analysis;
  const std::size_t n_points = sw.points.size();
  const std::size_t n_pol = sw.policies.size();
  const auto reps = static_cast<std::size_t>(sw.experiment.replications);
  const auto index = [&](std::size_t point, std::size_t pol, std::size_t rep) { return (point * n_pol + pol) * reps + rep; };
  out.points_compared = n_points <= max_points ? n_points : 0;
  for (std::size_t o = 0; o < spec.outputs.size(); ++o) {
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
        row.output = spec.outputs[o];
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
      res.output = spec.outputs[o];
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
      std::string units;
      for (const auto& info : daily_variables())
        if (info.name == row.output) units = std::string(info.units);
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

}  // namespace kpisim

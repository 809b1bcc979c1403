// write_sample_h5 OUT.h5 [SWEEP.h5]: writes a small synthetic results file (made-up, deterministic
// values) so that tests/python/test_hdf5_layout.py can check the HDF5 layout without running a
// simulation; with SWEEP.h5, also a sweep-style file streamed with ResultsWriter.
//
// OUT.h5 (write_hdf5): 3 runs (policies baseline, leaderboard, quota; replication 0), 30 days,
// 2 units, snapshots on days 9, 19 and 29 of agents 0, 3, 7, 12, 20. Values (all exactly representable):
//   daily       <var>[r, d]                = 10000 r + 100 v + 0.25 d   (v = index in daily_variables())
//                                            except kpi_value_correlation[r, 0] = NaN
//   per unit    unit_<var>[r, d, u]        = <var>[r, d] + 0.125 (u + 1)
//   snapshots   snap_<var>[r, s, a]        = 100 r + 10 s + a + 0.5 k  (k = index in snapshot_variables())
//
// SWEEP.h5 (ResultsWriter, runs written in reverse order): 12 runs = 2 policies (baseline/none,
// quota/quota) x 3 parameter points x 2 replications, run r = (policy * 3 + point) * 2 + replication;
// 10 days, 2 units, no snapshots. Parameters behaviour.effort_cost = 0.5, 1.0, 1.5 (units "1") and
// measurement.ema_days = 5, 10, 20 (units "day") by point. Daily and per-unit values as in OUT.h5
// (without the NaN); run 7 failed ("simulated failure: hours exceed the daily cap on day 3"), so its
// data are NaN and status = 1. Root attributes kind = "sweep" and experiment (YAML). Tables:
//   sensitivity/true_value_per_fte: dim parameter = [behaviour.effort_cost, measurement.ema_days],
//       S1 = [0.25, 0.5], ST = [0.375, 0.625]; attributes method = "sobol", output = "true_value_per_fte"
//   compare: dim policy = [baseline, quota], true_value_per_fte_mean = [1.5, 2.5]
// Existing files are replaced.
#include <cmath>
#include <cstdint>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kpisim/core/error.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/results.hpp"

namespace {

void write_sweep(const std::string& path) {
  using namespace kpisim;
  constexpr int days = 10;
  constexpr std::size_t points = 3, reps = 2;
  const std::vector<std::string> units{"Sales", "Ingeniería"};
  const std::vector<std::pair<std::string, std::string>> policies{{"baseline", "none"}, {"quota", "quota"}};
  const std::vector<double> effort{0.5, 1.0, 1.5};
  const std::vector<double> ema{5.0, 10.0, 20.0};
  constexpr std::size_t failed = 7;

  ResultsMeta meta;
  meta.engine_version = "0.0.0-sample";
  meta.git_commit = "0123456789ab";
  meta.build_type = "Sample";
  meta.simd = "x86-64";
  meta.scenario_name = "sweep sample";
  meta.scenario_file = "tests/data/sample.yaml";
  meta.scenario_yaml = "name: sweep sample\ndays: 10\n";
  meta.seed = 7;
  meta.command_line = "write_sample_h5 sample.h5 sweep.h5";
  meta.created_utc = "2024-01-01T00:00:00Z";
  meta.threads = 2;
  meta.days = days;
  meta.extra_attrs = {
      {"kind", "sweep"},
      {"experiment", "base: sample.yaml\nvary:\n  behaviour.effort_cost: [0.5, 1.0, 1.5]\n  measurement.ema_days: [5, 10, 20]\n"}};

  ResultsLayout layout;
  layout.runs = policies.size() * points * reps;
  layout.days = days;
  layout.unit_names = units;
  layout.parameters = {{"behaviour.effort_cost", "cost of effort", "1", {}}, {"measurement.ema_days", "moving-average window", "day", {}}};
  layout.status = true;
  for (const auto& policy : policies)
    for (std::size_t p = 0; p < points; ++p)
      for (std::size_t k = 0; k < reps; ++k) {
        layout.policy.push_back(policy.first);
        layout.policy_type.push_back(policy.second);
        layout.replication.push_back(static_cast<std::int32_t>(k));
        layout.point.push_back(static_cast<std::int32_t>(p));
        layout.parameters[0].values.push_back(effort[p]);
        layout.parameters[1].values.push_back(ema[p]);
      }

  const auto& daily = daily_variables();
  ResultsWriter writer(path, meta, layout, /*overwrite=*/true);
  for (std::size_t r = layout.runs; r-- > 0;) {
    if (r == failed) {
      writer.write_failure(r, "simulated failure: hours exceed the daily cap on day 3");
      continue;
    }
    RunResult run;
    run.policy = layout.policy[r];
    run.policy_type = layout.policy_type[r];
    run.replication = static_cast<std::uint32_t>(layout.replication[r]);
    run.days = days;
    for (std::size_t v = 0; v < daily.size(); ++v)
      for (int d = 0; d < days; ++d) run.series.push_back(10000.0 * static_cast<double>(r) + 100.0 * static_cast<double>(v) + 0.25 * d);
    for (std::size_t v = 0; v < daily.size(); ++v) {
      if (!daily[v].per_unit) continue;
      for (std::size_t u = 0; u < units.size(); ++u)
        for (int d = 0; d < days; ++d)
          run.unit_series.push_back(run.series[v * days + static_cast<std::size_t>(d)] + 0.125 * static_cast<double>(u + 1));
    }
    writer.write_run(r, run);
  }
  writer.write_table("sensitivity/true_value_per_fte", "parameter", {"behaviour.effort_cost", "measurement.ema_days"},
                     {{"S1", "first-order Sobol index", "1", {0.25, 0.5}}, {"ST", "total Sobol index", "1", {0.375, 0.625}}},
                     {{"method", "sobol"}, {"output", "true_value_per_fte"}});
  writer.write_table("compare", "policy", {"baseline", "quota"},
                     {{"true_value_per_fte_mean", "mean true value per FTE", "USD/person/day", {1.5, 2.5}}});
  writer.commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: write_sample_h5 OUT.h5 [SWEEP.h5]\n";
    return 2;
  }
  using namespace kpisim;
  constexpr int days = 30;
  const std::vector<std::string> units{"Sales", "Ingeniería"};
  const std::vector<int> snapshot_days{9, 19, 29};
  const std::vector<std::uint32_t> agents{0, 3, 7, 12, 20};

  ResultsMeta meta;
  meta.engine_version = "0.0.0-sample";
  meta.git_commit = "0123456789ab";
  meta.build_type = "Sample";
  meta.simd = "x86-64";
  meta.scenario_name = "sample";
  meta.scenario_file = "tests/data/sample.yaml";
  meta.scenario_yaml = "name: sample  # café\ndays: 30\nseed: 12345678901234567890\n";
  meta.seed = 12345678901234567890ULL;
  meta.command_line = "write_sample_h5 sample.h5";
  meta.created_utc = "2024-01-01T00:00:00Z";
  meta.threads = 2;
  meta.days = days;
  meta.unit_names = units;

  const auto& daily = daily_variables();
  const auto& snaps = snapshot_variables();
  const std::size_t corr = daily_index("kpi_value_correlation");
  const std::vector<std::pair<std::string, std::string>> policies{{"baseline", "none"}, {"leaderboard", "leaderboard"}, {"quota", "quota"}};

  std::vector<RunResult> runs;
  for (std::size_t r = 0; r < policies.size(); ++r) {
    RunResult run;
    run.policy = policies[r].first;
    run.policy_type = policies[r].second;
    run.replication = 0;
    run.days = days;
    const auto value = [&](std::size_t v, int d) { return 10000.0 * static_cast<double>(r) + 100.0 * static_cast<double>(v) + 0.25 * d; };
    for (std::size_t v = 0; v < daily.size(); ++v)
      for (int d = 0; d < days; ++d) run.series.push_back(v == corr && d == 0 ? std::numeric_limits<double>::quiet_NaN() : value(v, d));
    for (std::size_t v = 0; v < daily.size(); ++v) {
      if (!daily[v].per_unit) continue;
      for (std::size_t u = 0; u < units.size(); ++u)
        for (int d = 0; d < days; ++d)
          run.unit_series.push_back(run.series[v * days + static_cast<std::size_t>(d)] + 0.125 * static_cast<double>(u + 1));
    }
    run.snapshot_days = snapshot_days;
    run.snapshot_agents = agents;
    for (std::size_t k = 0; k < snaps.size(); ++k)
      for (std::size_t s = 0; s < snapshot_days.size(); ++s)
        for (std::uint32_t a : agents)
          run.snapshots.push_back(static_cast<float>(100.0 * static_cast<double>(r) + 10.0 * static_cast<double>(s) +
                                                     static_cast<double>(a) + 0.5 * static_cast<double>(k)));
    runs.push_back(std::move(run));
  }

  try {
    write_hdf5(argv[1], meta, runs, /*overwrite=*/true);
    if (argc == 3) write_sweep(argv[2]);
  } catch (const std::exception& e) {
    std::cerr << "write_sample_h5: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

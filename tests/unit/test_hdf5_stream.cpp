// Tests of the streaming ResultsWriter (runs out of order, failures, parameters, tables, commit and
// abandon) and of the reader (read_results_index, read_window_means), including their error messages.
#include <hdf5.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "h5_test_support.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/results.hpp"

namespace fs = std::filesystem;
using kpisim::OutputExistsError;
using kpisim::ResultsLayout;
using kpisim::ResultsMeta;
using kpisim::ResultsWriter;
using kpisim::RunError;
using kpisim::RunResult;

namespace {

using namespace kpisim::test;  // NOLINT(google-build-using-namespace): the shared test helpers

const double kNaN = std::numeric_limits<double>::quiet_NaN();

ResultsMeta make_meta() {
  ResultsMeta m;
  m.engine_version = "1.2.3";
  m.git_commit = "feedface";
  m.build_type = "Test";
  m.simd = "x86-64";
  m.scenario_name = "sweep test";
  m.scenario_file = "experiments/sweep.yaml";
  m.scenario_yaml = "name: sweep test\n";
  m.seed = 42;
  m.command_line = "kpisim sweep experiments/sweep.yaml";
  m.created_utc = "2025-07-01T00:00:00Z";
  m.threads = 2;
  m.extra_attrs = {{"kind", "sweep"}, {"experiment", "base: x.yaml\nvary: {behaviour.effort_cost: [0.1, 0.2]}\n"}};
  return m;
}

std::size_t per_unit_count() {
  std::size_t n = 0;
  for (const auto& v : kpisim::daily_variables()) n += v.per_unit ? 1 : 0;
  return n;
}

/// Daily value v on day d of run `run`: 1000 run + 10 v + d (exact).
RunResult make_run(std::size_t run, int days, std::size_t units, const std::vector<int>& snap_days,
                   const std::vector<std::uint32_t>& agents) {
  RunResult r;
  r.policy = run % 2 == 0 ? "baseline" : "quota";
  r.policy_type = run % 2 == 0 ? "none" : "quota";
  r.replication = static_cast<std::uint32_t>(run / 2);
  r.days = days;
  const std::size_t nd = kpisim::daily_variables().size();
  for (std::size_t v = 0; v < nd; ++v)
    for (int d = 0; d < days; ++d) r.series.push_back(1000.0 * static_cast<double>(run) + 10.0 * static_cast<double>(v) + d);
  for (std::size_t i = 0; i < per_unit_count() * units * static_cast<std::size_t>(days); ++i)
    r.unit_series.push_back(static_cast<double>(run) + 0.5 * static_cast<double>(i));
  if (!snap_days.empty()) {
    r.snapshot_days = snap_days;
    r.snapshot_agents = agents;
    for (std::size_t i = 0; i < kpisim::snapshot_variables().size() * snap_days.size() * agents.size(); ++i)
      r.snapshots.push_back(static_cast<float>(run) + 0.25F * static_cast<float>(i));
  }
  return r;
}

constexpr std::size_t kRuns = 4;
constexpr int kDays = 6;
const std::vector<std::string> kUnits{"A", "B"};
const std::vector<int> kSnapDays{2, 5};
const std::vector<std::uint32_t> kAgents{1, 4, 9};

ResultsLayout make_layout() {
  ResultsLayout l;
  l.runs = kRuns;
  l.days = kDays;
  l.unit_names = kUnits;
  l.snapshot_days = kSnapDays;
  l.snapshot_agents = kAgents;
  for (std::size_t r = 0; r < kRuns; ++r) {
    const RunResult run = make_run(r, 1, 0, {}, {});
    l.policy.push_back(run.policy);
    l.policy_type.push_back(run.policy_type);
    l.replication.push_back(static_cast<std::int32_t>(run.replication));
  }
  l.point = {0, 0, 1, 1};
  l.parameters = {{"behaviour.effort_cost", "cost of effort", "1", {0.1, 0.1, 0.2, 0.2}},
                  {"measurement.ema_days", "", "day", {5.0, 5.0, 10.0, 10.0}}};
  l.status = true;
  return l;
}

std::vector<double> read_doubles(hid_t loc, const std::string& name) {
  const Id dset(H5Dopen2(loc, name.c_str(), kDefault), H5Dclose);
  const Id space(H5Dget_space(dset.get()), H5Sclose);
  std::vector<double> out(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  REQUIRE(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, kAll, kAll, kDefault, out.data()) >= 0);
  return out;
}

double window_mean(const RunResult& r, std::size_t var, int first, int last) {
  double sum = 0;
  int n = 0;
  for (int d = first; d <= last; ++d)
    if (!std::isnan(r.at(var, d))) {
      sum += r.at(var, d);
      ++n;
    }
  return n > 0 ? sum / n : kNaN;
}

}  // namespace

TEST_CASE("ResultsWriter streams runs out of order and the reader reads them back", "[io]") {
  TempDir dir("kpisim_h5_stream");
  const std::string path = dir.file("sweep.h5");
  std::vector<RunResult> runs;
  for (std::size_t r = 0; r < kRuns; ++r) runs.push_back(make_run(r, kDays, kUnits.size(), kSnapDays, kAgents));
  // Run 3 comes without per-unit series and snapshots; run 0 has NaN days inside the window.
  runs[3].unit_series.clear();
  runs[3].snapshots.clear();
  const std::size_t tv = kpisim::daily_index("true_value_per_fte");
  runs[0].series[tv * kDays + 2] = kNaN;
  runs[0].series[tv * kDays + 3] = kNaN;
  // Run 2 has only NaN in the window of exhaustion_mean.
  const std::size_t ex = kpisim::daily_index("exhaustion_mean");
  for (int d = 1; d <= 4; ++d) runs[2].series[ex * kDays + static_cast<std::size_t>(d)] = kNaN;

  {
    ResultsWriter w(path, make_meta(), make_layout(), false);
    const auto names = dir.entries();  // the temporary file only (test_results_tmp.cpp checks its name)
    REQUIRE(names.size() == 1);
    CHECK(names[0].rfind("sweep.h5.tmp-" + std::to_string(::getpid()) + "-", 0) == 0);
    w.write_run(2, runs[2]);
    w.write_run(1, runs[1]);  // written, then failed: its data become NaN again
    w.write_failure(1, "invariant violated: hours > cap (day 3)");
    w.write_run(3, runs[3]);
    w.write_run(0, runs[0]);
    w.write_table("sensitivity/true_value_per_fte", "parameter", {"behaviour.effort_cost", "measurement.ema_days"},
                  {{"S1", "first-order Sobol index", "1", {0.25, 0.5}}, {"ST", "total Sobol index", "1", {0.375, kNaN}}},
                  {{"method", "sobol"}, {"output", "true_value_per_fte"}});
    w.write_table("sensitivity/true_value_per_fte", "bootstrap", {"lo", "hi"}, {{"S1_ci", "", "", {0.125, 0.625}}});
    CHECK_FALSE(fs::exists(path));
    w.commit();
    CHECK(dir.entries() == std::vector<std::string>{"sweep.h5"});
  }
  CHECK(dir.entries() == std::vector<std::string>{"sweep.h5"});  // the destructor of a committed writer keeps the file

  SECTION("index: coordinates, parameters, status and provenance") {
    const kpisim::ResultsIndex ix = kpisim::read_results_index(path);
    CHECK(ix.runs == kRuns);
    CHECK(ix.days == kDays);
    CHECK(ix.seed == 42);
    CHECK(ix.attr("kind") == "sweep");
    CHECK(ix.attr("experiment") == make_meta().extra_attrs[1].second);
    CHECK(ix.attr("scenario_name") == "sweep test");
    CHECK(ix.attr("title") == "KPISim results: sweep test");
    CHECK(ix.attr("no_such_attribute").empty());
    CHECK(ix.policy == std::vector<std::string>{"baseline", "quota", "baseline", "quota"});
    CHECK(ix.policy_type == std::vector<std::string>{"none", "quota", "none", "quota"});
    CHECK(ix.replication == std::vector<std::int32_t>{0, 0, 1, 1});
    CHECK(ix.point == std::vector<std::int32_t>{0, 0, 1, 1});
    REQUIRE(ix.parameters.size() == 2);
    CHECK(ix.parameters[0].name == "behaviour.effort_cost");
    CHECK(ix.parameters[0].long_name == "cost of effort");
    CHECK(ix.parameters[0].units == "1");
    CHECK(ix.parameters[0].values == std::vector<double>{0.1, 0.1, 0.2, 0.2});
    CHECK(ix.parameters[1].name == "measurement.ema_days");
    CHECK(ix.parameters[1].long_name == "measurement.ema_days");  // defaults to the name
    CHECK(ix.parameters[1].units == "day");
    CHECK(ix.parameters[1].values == std::vector<double>{5.0, 5.0, 10.0, 10.0});
    CHECK(ix.status == std::vector<std::int8_t>{0, 1, 0, 0});
    CHECK(ix.error == std::vector<std::string>{"", "invariant violated: hours > cap (day 3)", "", ""});
  }
  SECTION("window means, NaN days skipped, NaN for the failed run") {
    const auto hc = kpisim::read_window_means(path, "headcount", 1, 4);
    REQUIRE(hc.size() == kRuns);
    CHECK(hc[0] == window_mean(runs[0], 0, 1, 4));
    CHECK(hc[0] == 2.5);
    CHECK(std::isnan(hc[1]));
    CHECK(hc[2] == 2002.5);
    CHECK(hc[3] == 3002.5);
    const auto t = kpisim::read_window_means(path, "true_value_per_fte", 0, 5);
    CHECK(t[0] == window_mean(runs[0], tv, 0, 5));  // days 2 and 3 are NaN: mean of 0, 1, 4, 5
    CHECK(t[0] == 10.0 * static_cast<double>(tv) + 2.5);
    CHECK(std::isnan(t[1]));
    const auto e = kpisim::read_window_means(path, "exhaustion_mean", 1, 4);
    CHECK(std::isnan(e[2]));  // no non-NaN day in the window
    CHECK(e[3] == window_mean(runs[3], ex, 1, 4));
    const auto one = kpisim::read_window_means(path, "headcount", 5, 5);
    CHECK(one[3] == 3005.0);
  }
  SECTION("data layout: coordinates attribute, per-unit and snapshot NaN, tables") {
    const Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault), H5Fclose);
    const std::string coords = "policy policy_type replication point behaviour.effort_cost measurement.ema_days status error";
    for (const char* name : {"headcount", "unit_headcount", "snap_skill"}) {
      const Id ds(H5Dopen2(file.get(), name, kDefault), H5Dclose);
      CHECK(read_string_attr(ds.get(), "coordinates") == coords);
    }
    const Id p(H5Dopen2(file.get(), "behaviour.effort_cost", kDefault), H5Dclose);
    CHECK(read_string_attr(p.get(), "kpisim_role") == "parameter");
    const auto unit = read_doubles(file.get(), "unit_headcount");  // (run, day, unit)
    const std::size_t slab = static_cast<std::size_t>(kDays) * kUnits.size();
    REQUIRE(unit.size() == kRuns * slab);
    // unit_series is [pv][unit][day]: headcount is per-unit variable 0.
    CHECK(unit[0 * slab + 3 * kUnits.size() + 1] == runs[0].unit_series[1 * kDays + 3]);
    CHECK(unit[2 * slab + 5 * kUnits.size() + 0] == runs[2].unit_series[0 * kDays + 5]);
    for (std::size_t i = 0; i < slab; ++i) {
      CHECK(std::isnan(unit[1 * slab + i]));  // failed
      CHECK(std::isnan(unit[3 * slab + i]));  // written without per-unit series
    }
    const auto daily = read_doubles(file.get(), "headcount");
    for (int d = 0; d < kDays; ++d) CHECK(std::isnan(daily[static_cast<std::size_t>(kDays + d)]));
    const auto snaps = read_doubles(file.get(), "snap_skill");
    const std::size_t block = kSnapDays.size() * kAgents.size();
    CHECK(snaps[2 * block + 1] == static_cast<double>(runs[2].snapshots[1]));
    CHECK(std::isnan(snaps[3 * block]));

    const Id g(H5Gopen2(file.get(), "sensitivity/true_value_per_fte", kDefault), H5Gclose);
    CHECK(read_string_attr(g.get(), "method") == "sobol");
    CHECK(read_string_attr(g.get(), "output") == "true_value_per_fte");
    const auto s1 = read_doubles(g.get(), "S1");
    CHECK(s1 == std::vector<double>{0.25, 0.5});
    const auto st = read_doubles(g.get(), "ST");
    CHECK(st[0] == 0.375);
    CHECK(std::isnan(st[1]));
    CHECK(read_doubles(g.get(), "S1_ci") == std::vector<double>{0.125, 0.625});
  }
}

TEST_CASE("an uncommitted ResultsWriter leaves no file behind", "[io]") {
  TempDir dir("kpisim_h5_stream");
  const std::string path = dir.file("out.h5");
  SECTION("destroyed after writing") {
    {
      ResultsWriter w(path, make_meta(), make_layout(), false);
      w.write_run(0, make_run(0, kDays, kUnits.size(), kSnapDays, kAgents));
      CHECK(dir.entries().size() == 1);
      CHECK_FALSE(fs::exists(path));
    }
    CHECK(dir.entries().empty());
  }
  SECTION("moved, then destroyed") {
    std::optional<ResultsWriter> keep;
    {
      ResultsWriter w(path, make_meta(), make_layout(), true);
      keep.emplace(std::move(w));
    }
    CHECK(dir.entries().size() == 1);  // the moved-from writer removed nothing
    keep.reset();
    CHECK(dir.entries().empty());
  }
  SECTION("an exception unwinds through the writer") {
    try {
      ResultsWriter w(path, make_meta(), make_layout(), false);
      w.write_run(0, make_run(0, kDays, kUnits.size(), kSnapDays, kAgents));
      throw std::runtime_error("the sweep was interrupted");
    } catch (const std::runtime_error&) {
    }
    CHECK(dir.entries().empty());
  }
}

TEST_CASE("ResultsWriter refuses to overwrite unless asked to", "[io]") {
  TempDir dir("kpisim_h5_stream");
  const std::string path = dir.file("out.h5");
  { std::ofstream(path) << "precious"; }
  CHECK_THROWS_AS(ResultsWriter(path, make_meta(), make_layout(), false), OutputExistsError);
  CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), make_layout(), false),
                    "refusing to overwrite existing file '" + path + "'; pass --force to replace it");
  CHECK(slurp(path) == "precious");
  CHECK(dir.entries() == std::vector<std::string>{"out.h5"});

  SECTION("the file appears while the writer is open") {
    fs::remove(path);
    ResultsWriter w(path, make_meta(), make_layout(), false);
    { std::ofstream(path) << "late"; }
    CHECK_THROWS_AS(w.commit(), OutputExistsError);
    CHECK(slurp(path) == "late");
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    CHECK_THROWS_WITH(w.commit(), Catch::Contains("already committed or failed"));
  }
  SECTION("overwrite = true replaces it on commit only") {
    ResultsWriter w(path, make_meta(), make_layout(), true);
    for (std::size_t r = 0; r < kRuns; ++r) w.write_run(r, make_run(r, kDays, kUnits.size(), kSnapDays, kAgents));
    CHECK(slurp(path) == "precious");
    w.commit();
    CHECK(kpisim::read_results_index(path).status == std::vector<std::int8_t>{0, 0, 0, 0});
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    CHECK_THROWS_WITH(w.write_run(0, make_run(0, kDays, kUnits.size(), kSnapDays, kAgents)), Catch::Contains("already committed"));
  }
}

TEST_CASE("ResultsWriter rejects bad layouts, runs and tables with clear messages", "[io]") {
  TempDir dir("kpisim_h5_stream");
  const std::string path = dir.file("out.h5");
  SECTION("layouts (nothing is created)") {
    ResultsLayout l = make_layout();
    l.policy.pop_back();
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("4 runs but 3 values of 'policy'"));
    l = make_layout();
    l.parameters[1].values.push_back(1.0);
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("'measurement.ema_days'"));
    l = make_layout();
    l.parameters[0].name = "headcount";
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("clashes with a variable"));
    l.parameters[0].name = "behaviour/effort_cost";
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("not usable as a variable name"));
    l.parameters[0].name = "measurement.ema_days";
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("given twice"));
    l = make_layout();
    l.snapshot_agents.clear();
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("no sampled agents"));
    l = make_layout();
    l.runs = 0;
    CHECK_THROWS_WITH(ResultsWriter(path, make_meta(), l, false), Catch::Contains("no runs"));
    ResultsMeta m = make_meta();
    m.extra_attrs.emplace_back("seed", "7");
    CHECK_THROWS_WITH(ResultsWriter(path, m, make_layout(), false), Catch::Contains("clashes with a built-in attribute"));
    m = make_meta();
    m.days = kDays + 1;
    CHECK_THROWS_WITH(ResultsWriter(path, m, make_layout(), false), Catch::Contains("the metadata says 7 days"));
    CHECK(dir.entries().empty());
  }
  SECTION("runs and tables (the writer stays usable)") {
    ResultsWriter w(path, make_meta(), make_layout(), false);
    RunResult r = make_run(1, kDays + 1, kUnits.size(), kSnapDays, kAgents);
    CHECK_THROWS_WITH(w.write_run(1, r), Catch::Contains("same number of days") &&
                                             Catch::Contains("run 1 (policy 'quota', replication 0)") && Catch::Contains(path));
    r = make_run(1, kDays, kUnits.size(), kSnapDays, kAgents);
    r.series.pop_back();
    CHECK_THROWS_WITH(w.write_run(1, r), Catch::Contains("daily values"));
    r = make_run(1, kDays, kUnits.size(), kSnapDays, kAgents);
    r.unit_series.pop_back();
    CHECK_THROWS_WITH(w.write_run(1, r), Catch::Contains("per-unit values"));
    r = make_run(1, kDays, kUnits.size(), kSnapDays, kAgents);
    r.snapshot_agents[0] = 99;
    CHECK_THROWS_WITH(w.write_run(1, r), Catch::Contains("sampled agents"));
    r = make_run(1, kDays, kUnits.size(), kSnapDays, kAgents);
    r.snapshots.pop_back();
    CHECK_THROWS_WITH(w.write_run(1, r), Catch::Contains("snapshot values"));
    CHECK_THROWS_WITH(w.write_run(kRuns, make_run(1, kDays, kUnits.size(), kSnapDays, kAgents)), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(w.write_failure(kRuns, "x"), Catch::Contains("out of range"));
    CHECK_THROWS_WITH(w.write_table("t", "k", {"a", "b"}, {{"v", "", "", {1.0}}}),
                      Catch::Contains("column 'v' has 1 values but there are 2 labels"));
    CHECK_THROWS_WITH(w.write_table("/", "k", {"a"}, {{"v", "", "", {1.0}}}), Catch::Contains("group name"));
    CHECK_THROWS_WITH(w.write_table("headcount", "k", {"a"}, {{"v", "", "", {1.0}}}), Catch::Contains("not a group"));
    w.write_table("t", "k", {"a"}, {{"v", "", "", {1.0}}});
    CHECK_THROWS_WITH(w.write_table("t", "k", {"a"}, {{"w", "", "", {1.0}}}), Catch::Contains("already has a variable 'k'"));
    w.write_run(1, make_run(1, kDays, kUnits.size(), kSnapDays, kAgents));
    w.commit();
    const auto ix = kpisim::read_results_index(path);
    CHECK(ix.status == std::vector<std::int8_t>{-1, 0, -1, -1});
    const auto hc = kpisim::read_window_means(path, "headcount", 0, 0);
    CHECK(std::isnan(hc[0]));
    CHECK(hc[1] == 1000.0);
  }
  SECTION("write_failure needs status") {
    ResultsLayout l = make_layout();
    l.status = false;
    ResultsWriter w(path, make_meta(), l, false);
    CHECK_THROWS_WITH(w.write_failure(0, "boom"), Catch::Contains("status = true"));
    w.commit();
    const auto ix = kpisim::read_results_index(path);
    CHECK(ix.status.empty());
    CHECK(ix.error.empty());
  }
}

TEST_CASE("the reader reads write_hdf5 files and reports bad input clearly", "[io]") {
  TempDir dir("kpisim_h5_stream");
  const std::string path = dir.file("run.h5");
  ResultsMeta meta = make_meta();
  meta.extra_attrs.clear();
  meta.unit_names = kUnits;
  std::vector<RunResult> runs{make_run(0, kDays, kUnits.size(), {}, {}), make_run(1, kDays, kUnits.size(), {}, {})};
  kpisim::write_hdf5(path, meta, runs, false);

  const auto ix = kpisim::read_results_index(path);
  CHECK(ix.runs == 2);
  CHECK(ix.policy == std::vector<std::string>{"baseline", "quota"});
  CHECK(ix.point.empty());
  CHECK(ix.parameters.empty());
  CHECK(ix.status.empty());
  CHECK(ix.error.empty());
  CHECK(ix.attr("kind").empty());
  CHECK(kpisim::read_window_means(path, "headcount", 0, kDays - 1) == std::vector<double>{2.5, 1002.5});

  CHECK_THROWS_WITH(kpisim::read_window_means(path, "true_value_per_ft", 0, 1),
                    Catch::Contains("cannot read results file '" + path + "'") &&
                        Catch::Contains("no daily variable 'true_value_per_ft'; did you mean 'true_value_per_fte'?"));
  CHECK_THROWS_AS(kpisim::read_window_means(path, "", 0, 1), RunError);
  CHECK_THROWS_WITH(kpisim::read_window_means(path, "unit_headcount", 0, 1), Catch::Contains("not a daily (run, day) variable"));
  CHECK_THROWS_WITH(kpisim::read_window_means(path, "headcount", 0, kDays),
                    Catch::Contains("bad day window [0, 6]: the file has days 0 to 5"));
  CHECK_THROWS_WITH(kpisim::read_window_means(path, "headcount", -1, 2), Catch::Contains("bad day window"));
  CHECK_THROWS_WITH(kpisim::read_window_means(path, "headcount", 3, 2), Catch::Contains("first day is after the last"));

  const std::string missing = dir.file("missing.h5");
  CHECK_THROWS_WITH(kpisim::read_results_index(missing), "cannot read results file '" + missing + "': no such file");
  CHECK_THROWS_WITH(kpisim::read_window_means(missing, "headcount", 0, 1), Catch::Contains("no such file"));
  const std::string text = dir.file("text.h5");
  { std::ofstream(text) << "not hdf5"; }
  CHECK_THROWS_WITH(kpisim::read_results_index(text), Catch::Contains("not an HDF5 file"));
  const std::string other = dir.file("other.h5");
  { const Id f(H5Fcreate(other.c_str(), H5F_ACC_TRUNC, kDefault, kDefault), H5Fclose); }
  CHECK_THROWS_WITH(kpisim::read_results_index(other), Catch::Contains("not a KPISim results file (it has no 'run' dataset)"));
  CHECK_THROWS_WITH(kpisim::read_results_index(dir.path.string()), Catch::Contains("is a directory"));
}

TEST_CASE("a results file read from a memory image reads as the file does", "[io]") {
  TempDir dir("kpisim_h5_image");
  const std::string path = dir.file("run.h5");
  ResultsMeta meta = make_meta();
  meta.unit_names = kUnits;
  kpisim::write_hdf5(path, meta, {make_run(0, kDays, kUnits.size(), {}, {}), make_run(1, kDays, kUnits.size(), {}, {})}, false);
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto from_file = kpisim::verify_results_file(path);
  const std::string name = dir.file("image-only.h5");  // never created on disk
  {
    const kpisim::ResultsFileImage image(name, bytes.data(), bytes.size());
    const auto from_image = kpisim::verify_results_file(name);
    CHECK(from_image.runs == from_file.runs);
    CHECK(from_image.policy == from_file.policy);
    CHECK(from_image.string_attrs == from_file.string_attrs);
    CHECK(from_image.strings_checksummed);
    CHECK(kpisim::read_window_means(name, "headcount", 0, kDays - 1) == kpisim::read_window_means(path, "headcount", 0, kDays - 1));
    CHECK_THROWS_WITH(kpisim::read_results_index(path + "x"), Catch::Contains("no such file"));  // other names: the file system
  }
  CHECK_THROWS_WITH(kpisim::read_results_index(name), Catch::Contains("no such file"));  // the image is gone
  {
    const std::string text = "not hdf5";
    const kpisim::ResultsFileImage image(name, text.data(), text.size());
    CHECK_THROWS_WITH(kpisim::read_results_index(name), Catch::Contains("not an HDF5 file"));
  }
  const std::vector<char> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  const kpisim::ResultsFileImage half(name, cut.data(), cut.size());
  CHECK_THROWS_AS(kpisim::verify_results_file(name), kpisim::ResultsFileError);
}

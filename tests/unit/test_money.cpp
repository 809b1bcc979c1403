// The money view and per-division outputs (issue 13): the run summary's bridge, the names a
// sweep accepts as outputs, a division's window mean, and the tables `compare` prints, each from
// hand-built data with the expected numbers worked out here.
#include <catch2/catch.hpp>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/io/summary.hpp"

using Catch::Detail::Approx;

namespace {

const std::string kData = std::string(KPISIM_SOURCE_DIR) + "/tests/data";

void set(kpisim::RunResult& r, std::string_view var, int day, double v) {
  r.series[kpisim::daily_index(var) * static_cast<std::size_t>(r.days) + static_cast<std::size_t>(day)] = v;
}

/// The numbers of the summary row `label` (one per policy column).
std::vector<double> row(const std::string& table, const std::string& label) {
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(label, 0) != 0 || line.size() <= label.size() || line[label.size()] != ' ') continue;
    std::istringstream cells(line.substr(label.size()));
    std::vector<double> out;
    double x = 0;
    while (cells >> x) out.push_back(x);
    return out;
  }
  FAIL("no row " << label);
  return {};
}

}  // namespace

TEST_CASE("money: the run summary's annual bridge and net value per working FTE-day", "[unit][money]") {
  // Two weeks, 10 people; 100 USD per person on working days; 5 USD of tokens a day; a prize of 70
  // on day 13 (a Sunday) and a fine of 7 on day 6.
  kpisim::RunResult r;
  r.policy = "p";
  r.days = 14;
  r.series.assign(kpisim::daily_variables().size() * 14, 0.0);
  for (int d = 0; d < 14; ++d) {
    const bool work = d % 7 < 5;
    set(r, "headcount", d, 10);
    set(r, "true_value_per_fte", d, work ? 100 : 0);
    set(r, "token_cost_usd", d, 5);
    set(r, "rewards_usd", d, d == 13 ? 70 : 0);
    set(r, "penalties_usd", d, d == 6 ? 7 : 0);
    set(r, "audit_hours", d, d == 6 ? 3 : 0);
    set(r, "net_value_usd", d, (work ? 1000 : 0) - 5 - (d == 13 ? 70 : 0) + (d == 6 ? 7 : 0));
  }
  const std::string t = kpisim::summary_table({r});
  // 364 / 14 = 26 fortnights a year.
  CHECK(row(t, "  + true value") == std::vector<double>{10000.0 * 26});
  CHECK(row(t, "  - token cost") == std::vector<double>{70.0 * 26});
  CHECK(row(t, "  - rewards paid") == std::vector<double>{70.0 * 26});
  CHECK(row(t, "  + penalties") == std::vector<double>{7.0 * 26});
  CHECK(row(t, "  = net value to the organisation") == std::vector<double>{(10000.0 - 70 - 70 + 7) * 26});
  // Over the 10 working days' headcount (100 FTE-days): 9867 / 100.
  CHECK(row(t, "net value per FTE-day (USD, workdays)") == std::vector<double>{98.7});
  CHECK(row(t, "rewards paid (USD)") == std::vector<double>{70});
  CHECK(row(t, "penalties imposed (USD)") == std::vector<double>{7});
  CHECK(row(t, "audit hours (h; their cost is in true value)") == std::vector<double>{3});
  CHECK(t.find("organisation, USD/year (364-day year):\n") != std::string::npos);
}

TEST_CASE("money: sweep outputs name daily variables and divisions' series", "[unit][money]") {
  const std::vector<std::string> divisions = {"admin", "sales"};
  std::vector<std::string> problems;
  const auto out = kpisim::expand_outputs({"net_value_annual_usd", "unit_true_value_per_fte", "unit_burnout_share[sales]",
                                           "unit_rewards_usd", "unit_burnout_share[sale]", "net_value_per_ft"},
                                          divisions, true, &problems);
  CHECK(out == std::vector<std::string>{"net_value_annual_usd", "unit_true_value_per_fte[admin]", "unit_true_value_per_fte[sales]",
                                        "unit_burnout_share[sales]"});
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "'unit_rewards_usd': rewards_usd is an organisation-level variable, not written per division");
  CHECK(problems[1] == "'unit_burnout_share[sale]': the scenario has no division 'sale'; did you mean 'sales'?");
  CHECK(problems[2] == "'net_value_per_ft' is not an output variable; did you mean 'net_value_per_fte'?");
  problems.clear();
  CHECK(kpisim::expand_outputs({"unit_skill_mean"}, divisions, false, &problems).empty());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("output.per_unit: false") != std::string::npos);
  CHECK(kpisim::split_output("unit_skill_mean[a [b]]").variable == "skill_mean");
  CHECK(kpisim::split_output("unit_skill_mean[a [b]]").division == "a [b]");
  CHECK(kpisim::output_units("unit_true_value_per_fte[admin]") == "USD/person/day");
  CHECK(kpisim::output_units("net_value_annual_usd") == "USD/year");
}

TEST_CASE("money: a division's window mean reads its own column of the per-unit series", "[unit][money]") {
  const auto& vars = kpisim::daily_variables();
  std::size_t n_unit = 0;
  std::size_t pos = 0;  // position of burnout_share among the per-unit variables
  for (const auto& v : vars) {
    if (v.name == "burnout_share") pos = n_unit;
    n_unit += v.per_unit ? 1 : 0;
  }
  kpisim::RunResult r;
  r.days = 4;
  r.series.assign(vars.size() * 4, 0.0);
  r.unit_series.assign(n_unit * 3 * 4, -1.0);
  const std::vector<std::string> divisions = {"a", "b", "c"};
  for (int d = 0; d < 4; ++d) r.unit_series[(pos * 3 + 1) * 4 + static_cast<std::size_t>(d)] = 0.1 * (d + 1);  // division b
  r.unit_series[(pos * 3 + 1) * 4 + 3] = std::nan("");
  CHECK(kpisim::output_window_mean(r, "unit_burnout_share[b]", divisions, 1, 3) == Approx((0.2 + 0.3) / 2));
  CHECK(kpisim::output_window_mean(r, "unit_burnout_share[a]", divisions, 0, 3) == -1.0);
  set(r, "net_value_per_fte", 2, 8.0);
  CHECK(kpisim::output_window_mean(r, "net_value_per_fte", divisions, 0, 3) == 2.0);
}

TEST_CASE("money: compare's money and division tables, with paired differences", "[unit][money]") {
  const kpisim::Sweep sw = kpisim::Sweep::from_text(R"(
base: ../small_compare.yaml
policies: [baseline, leaderboard]
replications: 2
analysis: {outputs: [net_value_per_fte]}
)",
                                                    "exp.yaml", kData + "/experiments");
  // Runs: baseline r0, r1, leaderboard r0, r1. The leaderboard's net value per day is 10 and 30 less
  // (paired mean -20, i.e. -7280 a year), its rewards 1 a day (364 a year).
  const auto means = [](const std::string& name) -> std::vector<double> {
    if (name == "net_value_per_fte") return {100, 110, 90, 80};
    if (name == "net_value_usd") return {1000, 1100, 990, 1070};
    if (name == "rewards_usd") return {0, 0, 1, 1};
    if (name == "token_cost_usd" || name == "penalties_usd") return {0, 0, 0, 0};
    if (name.rfind("unit_true_value_per_fte[", 0) == 0) return {50, 60, 45, 57};
    throw std::runtime_error("no such variable");
  };
  const std::string t = kpisim::format_money_and_divisions(sw, means);
  CHECK(t.find("| baseline | 105 [41.47, 168.5] | 382.2k [150.9k, 613.5k] | (reference) | 0 | 0 | 0 |") != std::string::npos);
  CHECK(t.find("| leaderboard | 85 [21.47, 148.5] | 374.9k") != std::string::npos);
  CHECK(t.find("| -7280 [") != std::string::npos);  // (-10 - 30) / 2 * 364
  CHECK(t.find("| 364 | 0 |\n") != std::string::npos);
  CHECK(t.find("| administration | 55 | -4 [") != std::string::npos);  // (-5 - 3) / 2
  // Without the money view's series (an older file), a line says so and the division table still follows.
  const std::string old = kpisim::format_money_and_divisions(sw, [&](const std::string& name) -> std::vector<double> {
    if (name.rfind("net_value", 0) == 0) throw std::runtime_error("there is no daily variable");
    return means(name);
  });
  CHECK(old.find("no net_value_* series") != std::string::npos);
  CHECK(old.find("| consulting | 55 |") != std::string::npos);
}

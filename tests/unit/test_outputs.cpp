// The day's outputs from hand-built sums (docs/model.md 7.18-7.20, engine/src/model/outputs.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/spec.hpp"
#include "outputs.hpp"

using Catch::Detail::Approx;
using namespace kpisim::detail;  // NOLINT(google-build-using-namespace)

namespace {
std::map<std::string, double> outputs_of(const Acc& ac, bool workday) {
  std::map<std::string, double> m;
  outputs::daily(ac, workday, [&](std::string_view name, double v) { m[std::string(name)] = v; });
  return m;
}
}  // namespace

TEST_CASE("outputs: per-FTE means, shares and the KPI-value correlation from the sums", "[unit][outputs]") {
  Acc ac{};
  ac[a_headcount] = 2;
  ac[a_value] = 1000;
  ac[a_measured] = 1100;
  ac[a_ai_hours] = 6;
  ac[a_work_hours] = 12;
  ac[a_exhaustion] = 0.8;  // 0-1 sums: mean 0.4, 2.4 on the MBI 0-6 scale
  ac[a_kpi] = 10;
  ac[a_kpi_perf] = 2.5;
  // Two people with (KPI, value) moving averages (1, 2) and (3, 6): correlation 1.
  ac[a_corr_n] = 2;
  ac[a_sx] = 4;
  ac[a_sy] = 8;
  ac[a_sxx] = 10;
  ac[a_syy] = 40;
  ac[a_sxy] = 20;
  auto m = outputs_of(ac, true);
  CHECK(m["true_value_per_fte"] == Approx(500));
  CHECK(m["measured_value_per_fte"] == Approx(550));
  CHECK(m["ai_task_share"] == Approx(0.5));
  CHECK(m["exhaustion_mean"] == Approx(2.4));
  CHECK(m["reported_true_gap"] == Approx(0.1));
  CHECK(m["performative_kpi_share"] == Approx(0.25));
  CHECK(m["kpi_value_correlation"] == Approx(1.0));
  // (1, 6) and (3, 2): correlation -1; equal KPIs: no correlation (NaN), not noise.
  ac[a_sxy] = 12;
  CHECK(outputs_of(ac, true)["kpi_value_correlation"] == Approx(-1.0));
  ac[a_sx] = 4;
  ac[a_sxx] = 8;
  CHECK(std::isnan(outputs_of(ac, true)["kpi_value_correlation"]));
  // Belief error is reported on working days only.
  CHECK(std::isnan(outputs_of(ac, false)["belief_error"]));
}

TEST_CASE("outputs: tokens are priced at the division's mix-weighted price and energy", "[unit][outputs]") {
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 4\n  divisions:\n    d:\n      task_mix: {memo: 3, it_hr_request: 1}\n",
                                      "price.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  std::vector<Acc> sums(1, Acc{});
  sums[0][a_tok_prod] = 1.0e6;
  sums[0][a_tok_rework] = 0.5e6;
  sums[0][a_tok_perf] = 0.5e6;
  outputs::price_tokens(spec, sums);
  // memo uses the assistant (5 USD/Mtok), it_hr_request the chatbot (1 USD/Mtok): 0.75 x 5 + 0.25 x 1 = 4 USD/Mtok.
  CHECK(sums[0][a_cost] == Approx(8.0));
  // Both tools 0.3 Wh per thousand tokens: 2e6 tokens = 600 Wh = 0.6 kWh.
  CHECK(sums[0][a_energy] == Approx(0.6));
}

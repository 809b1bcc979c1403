// The day's outputs from hand-built sums (docs/model.md 7.18-7.20, engine/src/model/outputs.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
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

TEST_CASE("outputs: the assistants' price is mix-weighted over the task types an assistant serves", "[unit][outputs]") {
  auto s = kpisim::load_scenario_text(
      "organisation:\n  employees: 4\n  divisions:\n    d: {share: 1, task_mix: {memo: 3, analysis: 1, it_hr_request: 4}}\n"
      "    bots: {share: 1, task_mix: {it_hr_request: 1}}\n"
      "tools:\n  assistant: {usd_per_mtok: 6, wh_per_ktok: 0.4}\n",
      "price.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  // memo and analysis use the assistant (6 USD/Mtok), it_hr_request the chatbot (1 USD/Mtok, not
  // counted): padding, learning and scripts run on the assistant.
  CHECK(spec.divisions[0].assistant_usd_per_token == Approx(6e-6));
  CHECK(spec.divisions[0].assistant_wh_per_token == Approx(0.4e-3));
  // A division with chatbot work only: over every task type.
  CHECK(spec.divisions[1].assistant_usd_per_token == Approx(1e-6));
  CHECK(spec.divisions[1].assistant_wh_per_token == Approx(0.3e-3));
}

TEST_CASE("outputs: tokens are priced at the tool that served them, scripts and padding at the assistants'", "[unit][outputs]") {
  // The same organisation and leaderboard (scripts run on weekends too) under three price lists:
  // prices enter no decision, so the runs differ only in what the tokens cost.
  const auto run = [](double assistant, double chatbot) {
    const std::string text =
        "days: 70\norganisation:\n  employees: 80\n  divisions:\n    d: {share: 1, task_mix: {memo: 3, it_hr_request: 1}}\n"
        "tools:\n  assistant: {usd_per_mtok: " +
        std::to_string(assistant) + ", wh_per_ktok: " + std::to_string(assistant) +
        "}\n  chatbot: {usd_per_mtok: " + std::to_string(chatbot) + ", wh_per_ktok: " + std::to_string(chatbot) +
        "}\npolicies:\n  lb: {type: leaderboard, prize_usd: 400}\n";
    const auto spec = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(text, "price.yaml"));
    kpisim::Simulation sim(spec, 0, 0);
    for (int d = 0; d < spec.scenario.days; ++d) sim.step();
    return sim.take_result();
  };
  const auto both = run(5, 5), assistant = run(5, 0), chatbot = run(0, 5);
  const auto& vars = kpisim::daily_variables();
  const auto at = [&](const kpisim::RunResult& r, const std::string& name, int day) {
    for (std::size_t v = 0; v < vars.size(); ++v)
      if (vars[v].name == name) return r.at(v, day);
    FAIL("no variable " << name);
    return 0.0;
  };
  double scripted_weekend = 0.0, chatbot_cost = 0.0;
  for (int d = 0; d < 70; ++d) {
    INFO("day " << d);
    const double tokens = at(both, "tokens_productive", d) + at(both, "tokens_rework", d) + at(both, "tokens_performative", d);
    // One price for every token: cost is tokens x price, energy tokens x Wh (5 Wh per thousand).
    CHECK(at(both, "token_cost_usd", d) == Approx(tokens * 5e-6).epsilon(1e-6));
    CHECK(at(both, "energy_kwh", d) == Approx(tokens * 5e-6).epsilon(1e-6));
    // The price lists add up, token by token.
    CHECK(at(assistant, "token_cost_usd", d) + at(chatbot, "token_cost_usd", d) == Approx(at(both, "token_cost_usd", d)).epsilon(1e-6));
    chatbot_cost += at(chatbot, "token_cost_usd", d);
    if (d % 7 >= 5) {
      // Nobody works: only scripts run, on the assistant.
      const double scripted = at(both, "tokens_scripted", d);
      scripted_weekend += scripted;
      CHECK(at(assistant, "token_cost_usd", d) == Approx(scripted * 5e-6).epsilon(1e-6));
      CHECK(at(chatbot, "token_cost_usd", d) == 0.0);
    }
  }
  REQUIRE(scripted_weekend > 0);  // the check above saw scripts
  REQUIRE(chatbot_cost > 0);      // and the chatbot's own tokens are billed at its price
}

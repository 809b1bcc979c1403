// The `mandate` regime (docs/model.md 7.15.9): AI required for named task types, in a scope, from
// a day on; the managers in scope mandate what is ordered (7.1).
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"
#include "managers.hpp"
#include "regime_fixture.hpp"

using Catch::Detail::Approx;
using Catch::Matchers::Contains;
namespace mg = kpisim::detail::managers;
using namespace regime_fixture;

namespace {

std::size_t task(const kpisim::ModelSpec& spec, const std::string& name) {
  std::size_t k = 0;
  while (spec.task_names[k] != name) ++k;
  return k;
}

std::string division_of_unit(const kpisim::ModelSpec& spec, std::size_t u) {
  const int d = spec.units[u].division;
  return d < 0 ? "" : spec.divisions[static_cast<std::size_t>(d)].name;
}

}  // namespace

TEST_CASE("mandate: unknown or repeated task types are errors with the nearest name", "[unit][mandate]") {
  REQUIRE_THAT(error_of("  m: {type: mandate, tasks: [memoo]}\n"),
               Contains("policies.m.tasks: unknown task 'memoo'; did you mean 'memo'?"));
  REQUIRE_THAT(error_of("  m: {type: mandate, tasks: [memo, memo]}\n"), Contains("policies.m.tasks names 'memo' twice"));
  REQUIRE_THAT(error_of("  h: {type: hybrid, components: [{weight: 1, policy: {type: mandate, tasks: [minute]}}]}\n"),
               Contains("policies.h.components[0].policy.tasks: unknown task 'minute'"));
  REQUIRE(error_of("  m: {type: mandate, tasks: [memo], scope: [b], start_day: 10}\n") == "no error");
}

TEST_CASE("mandate: from its start day every manager in scope mandates the named task types of her division's mix", "[unit][mandate]") {
  const auto spec = spec_of("  m: {type: mandate, tasks: [memo, minutes], scope: [b], start_day: 3}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = spec.scenario.policies[0].config->instantiate(
      spec, kpisim::resolve_scope(spec, spec.scenario.policies[0], kpisim::whole_scope(spec)));
  const std::size_t k = w.k;
  const std::size_t memo = task(spec, "memo"), minutes = task(spec, "minutes"), analysis = task(spec, "analysis");
  for (int d = 0; d < 5; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    // No pressure, no belief: only the order can make a mandate (managers.mandate_belief_usd > 0).
    mg::team_mandates(spec, 160.0, w);
    for (std::size_t u = 0; u < spec.units.size(); ++u) {
      INFO("day " << d << ", unit " << u);
      const bool ordered = d >= 3 && spec.units[u].depth >= 1 && division_of_unit(spec, u) == "b";
      CHECK((w.unit_task_mandate[u * k + memo] != 0) == ordered);
      CHECK((w.unit_task_mandate[u * k + minutes] != 0) == ordered);
      CHECK(w.unit_task_mandate[u * k + analysis] == 0);
      // b's mix is memos and minutes: all of its work is under the mandate.
      CHECK(w.unit_mandate_share[u] == (ordered ? 1.0F : 0.0F));
    }
  }
  // The next day's clear removes the orders (a mandate that ends leaves nothing behind).
  w.clear_incentives();
  for (const std::uint8_t x : w.unit_task_order) REQUIRE(x == 0);
}

TEST_CASE("mandate: without names every task type of the mix, and weight 0 in a hybrid is no mandate", "[unit][mandate]") {
  const auto spec = spec_of("  m: {type: mandate}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = spec.scenario.policies[0].config->instantiate(spec, kpisim::whole_scope(spec));
  kpisim::RegimeContext ctx{spec, w, rng, 0};
  w.clear_incentives();
  regime->apply(ctx, 0.0);
  mg::team_mandates(spec, 160.0, w);
  for (std::size_t u = 0; u < spec.units.size(); ++u) REQUIRE(w.unit_mandate_share[u] == 0.0F);
  w.clear_incentives();
  regime->apply(ctx, 1.0);
  mg::team_mandates(spec, 160.0, w);
  for (std::size_t u = 0; u < spec.units.size(); ++u) REQUIRE(w.unit_mandate_share[u] == (spec.units[u].depth >= 1 ? 1.0F : 0.0F));
  std::vector<kpisim::KpiWeights> kw(spec.divisions.size());
  regime->kpi_by_division(0, 1.0, kw);
  for (const auto& x : kw) REQUIRE((x.tokens == 0 && x.sessions == 0 && x.outcome == 0));  // a mandate is not a KPI
}

TEST_CASE("mandate: people in scope do more of the mandated work with AI, and the rest run as under no policy", "[unit][mandate]") {
  const auto spec = spec_of("  none: {type: none}\n  memo_b: {type: mandate, tasks: [memo], scope: [b], start_day: 14}\n", "days: 56\n");
  std::vector<kpisim::RunResult> runs;
  for (std::size_t p = 0; p < 2; ++p) {
    kpisim::Simulation sim(spec, p, 0);
    for (int d = 0; d < spec.scenario.days; ++d) sim.step();
    runs.push_back(sim.take_result());
  }
  const std::size_t days = 56;
  const std::size_t ndiv = spec.divisions.size();
  const std::size_t vars = runs[0].unit_series.size() / (ndiv * days);
  const auto unit_var = [&](const kpisim::RunResult& r, std::size_t v, std::size_t dv) {
    return std::vector<double>(r.unit_series.begin() + static_cast<std::ptrdiff_t>((v * ndiv + dv) * days),
                               r.unit_series.begin() + static_cast<std::ptrdiff_t>((v * ndiv + dv + 1) * days));
  };
  std::size_t a = 0;
  while (spec.divisions[a].name != "a") ++a;
  const std::size_t b = 1 - a;
  bool a_same = true;
  for (std::size_t v = 0; v < vars; ++v) {
    const auto x = unit_var(runs[0], v, a);
    const auto y = unit_var(runs[1], v, a);
    a_same = a_same && std::memcmp(x.data(), y.data(), days * sizeof(double)) == 0;
  }
  REQUIRE(a_same);
  // In b, from the mandate's first plan day (day 14, a Monday) half the work (memos) is under it,
  // and more of b's work is done with AI than without it.
  // The per-unit variables are the daily ones marked per_unit, in order.
  std::size_t share_var = vars, ai_var = vars;
  std::size_t v = 0;
  for (const auto& info : kpisim::daily_variables()) {
    if (!info.per_unit) continue;
    if (info.name == "mandate_share") share_var = v;
    if (info.name == "ai_task_share") ai_var = v;
    ++v;
  }
  REQUIRE(v == vars);
  REQUIRE(share_var < vars);
  REQUIRE(ai_var < vars);
  const auto share = unit_var(runs[1], share_var, b);
  REQUIRE(share[13] == 0.0);
  REQUIRE(share[20] == Approx(0.5));
  const auto ai_none = unit_var(runs[0], ai_var, b);
  const auto ai_mandate = unit_var(runs[1], ai_var, b);
  double before = 0, after = 0;
  for (std::size_t d = 21; d < days; ++d) {
    before += ai_none[d];
    after += ai_mandate[d];
  }
  REQUIRE(after > before);
}

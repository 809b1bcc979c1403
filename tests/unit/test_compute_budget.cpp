// The `compute_budget` regime (docs/model.md 7.15.12): a token budget per period, split among
// divisions by leadership and drawn down by their token bills; a division that has spent its share
// loses access to the AI assistants until the next period, and its people re-plan at once.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/calendar.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"
#include "regime_fixture.hpp"

using Catch::Detail::Approx;
using Catch::Matchers::Contains;

using namespace regime_fixture;

namespace {

// Whether the division's people have access today (apply() must have run): all or none.
bool access(const kpisim::ModelSpec& spec, const kpisim::World& w, const std::string& name) {
  const std::uint16_t d = division(spec, name);
  std::size_t cut = 0, people = 0;
  for (std::size_t i = 0; i < w.n; ++i) {
    if (spec.division_of[i] != d) continue;
    ++people;
    cut += w.no_seat[i] != 0.0F ? 1 : 0;
  }
  REQUIRE((cut == 0 || cut == people));
  return cut == 0;
}

}  // namespace

TEST_CASE("compute_budget: its parameters are checked with the policy's position", "[unit][compute_budget]") {
  REQUIRE_THAT(error_of("  p: {type: compute_budget, cadence: daily}\n"), Contains("policies.p.cadence: a daily budget is not supported"));
  REQUIRE_THAT(error_of("  p: {type: compute_budget, allocation: usgae}\n"), Contains("did you mean 'usage'"));
  REQUIRE_THAT(error_of("  p: {type: compute_budget, usd_per_period: -5}\n"), Contains("usd_per_period"));
  REQUIRE(error_of("  p: {type: compute_budget, usd_per_period: 500, allocation: even, cadence: weekly, scope: [a], start_day: 7}\n") ==
          "no error");
}

TEST_CASE("compute_budget: a division that has spent its share loses access until the next period", "[unit][compute_budget]") {
  kpisim::Rng rng(1, 0);
  const auto spec = spec_of("  p: {type: compute_budget, usd_per_period: 100, allocation: even, cadence: weekly}\n");
  kpisim::World w(spec);
  auto regime = regime_of(spec);
  const std::uint16_t a = division(spec, "a");
  // Division a's bill: 30 USD a day, 0.75 USD for each of its 40 people (its 50 USD run out on day
  // 1); b uses nothing.
  const double usd_a = 30.0 / 40.0;
  for (int d = 0; d < 10; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    INFO("day " << d);
    // Spent at the end of day 1 (60 > 50): no access on days 2-6; a new week, a new budget, spent
    // again by the end of day 8.
    CHECK(access(spec, w, "a") == (d % 7 < 2));
    CHECK(access(spec, w, "b"));
    for (std::size_t i = 0; i < w.n; ++i) {
      w.metered_usd[i] = spec.division_of[i] == a ? static_cast<float>(usd_a) : 0.0F;
      w.measured_tokens[i] = 1.0e9F;  // the usage dashboard is not the invoice
    }
    regime->end_of_day(ctx, 1.0);
  }
}

TEST_CASE("compute_budget: leadership splits the budget by belief or by last period's spend", "[unit][compute_budget]") {
  kpisim::Rng rng(1, 0);
  SECTION("believed value") {
    const auto spec = spec_of("  p: {type: compute_budget, usd_per_period: 100, cadence: weekly}\n");
    kpisim::World w(spec);
    auto regime = regime_of(spec);
    w.unit_manager_belief[head_of(spec, "a")] = 30.0F;  // a's share: 75 USD
    w.unit_manager_belief[head_of(spec, "b")] = 10.0F;  // b's: 25 USD
    // Both divisions bill 40 USD a day: b's share is spent on day 0, a's on day 1.
    for (int d = 0; d < 4; ++d) {
      kpisim::RegimeContext ctx{spec, w, rng, d};
      w.clear_incentives();
      regime->apply(ctx, 1.0);
      INFO("day " << d);
      CHECK(access(spec, w, "a") == (d < 2));
      CHECK(access(spec, w, "b") == (d < 1));
      for (std::size_t i = 0; i < w.n; ++i) w.metered_usd[i] = 1.0F;  // 40 USD a day per division
      regime->end_of_day(ctx, 1.0);
    }
  }
  SECTION("usage: the second period follows the first's bills") {
    const auto spec = spec_of("  p: {type: compute_budget, usd_per_period: 100, allocation: usage, cadence: weekly}\n");
    kpisim::World w(spec);
    auto regime = regime_of(spec);
    // Week 1 (50 USD each by headcount): a bills 7 USD a day, b 1 USD; week 2's split is 49:7
    // (87.5 and 12.5 USD), so b's share runs out when it bills 6 USD a day (18 > 12.5 at the end
    // of day 9).
    for (int d = 0; d < 14; ++d) {
      kpisim::RegimeContext ctx{spec, w, rng, d};
      w.clear_incentives();
      regime->apply(ctx, 1.0);
      INFO("day " << d);
      CHECK(access(spec, w, "a"));
      CHECK(access(spec, w, "b") == (d < 10));
      for (std::size_t i = 0; i < w.n; ++i) {
        const bool in_a = spec.division_of[i] == division(spec, "a");
        const double bill = in_a ? 7.0 : (d < 7 ? 1.0 : 6.0);
        w.metered_usd[i] = static_cast<float>(bill / 40.0);
      }
      regime->end_of_day(ctx, 1.0);
    }
  }
}

TEST_CASE("compute_budget: a budget never spent changes nothing, and people cut off re-plan by hand at once", "[unit][compute_budget]") {
  const auto spec = spec_of(
      "  none: {type: none}\n  ample: {type: compute_budget, usd_per_period: 1.0e9}\n"
      "  tight: {type: compute_budget, usd_per_period: 0.05, cadence: weekly, scope: [a]}\n",
      "days: 42\n");
  const auto runs = run_all(spec);
  REQUIRE(runs[0].series.size() == runs[1].series.size());
  REQUIRE(std::memcmp(runs[0].series.data(), runs[1].series.data(), runs[0].series.size() * sizeof(double)) == 0);
  // The tight budget: division a is cut off within each week, on whatever day its share runs out,
  // and from that working day on its people do no AI-assisted work (they re-plan that morning, not
  // on the next plan day); b, outside the scope, is never cut off.
  const auto& r = runs[2];
  const std::size_t days = 42, ndiv = spec.divisions.size();
  const std::size_t vars = r.unit_series.size() / (ndiv * days);
  std::size_t licensed = vars, ai_hours = vars, v = 0;
  for (const auto& info : kpisim::daily_variables()) {
    if (!info.per_unit) continue;
    if (info.name == "licensed_share") licensed = v;
    if (info.name == "ai_hours_per_fte") ai_hours = v;
    ++v;
  }
  REQUIRE(licensed < vars);
  REQUIRE(ai_hours < vars);
  const auto at = [&](std::size_t var, std::size_t dv, std::size_t d) { return r.unit_series[(var * ndiv + dv) * days + d]; };
  const std::uint16_t a = division(spec, "a"), b = division(spec, "b");
  std::size_t cut_workdays = 0, mid_week_cuts = 0;
  for (std::size_t d = 0; d < days; ++d) {
    INFO("day " << d);
    REQUIRE(at(licensed, b, d) == 1.0);
    const double share = at(licensed, a, d);
    REQUIRE((share == 0.0 || share == 1.0));
    if (share == 0.0 && kpisim::is_workday(static_cast<int>(d))) {
      ++cut_workdays;
      REQUIRE(at(ai_hours, a, d) == 0.0);
      if (d % 7 != 0 && at(licensed, a, d - 1) == 1.0) ++mid_week_cuts;
    }
  }
  REQUIRE(cut_workdays > 0);
  REQUIRE(mid_week_cuts > 0);
  REQUIRE(r.at(variable("licensed_share"), 41) < 1.0);
}

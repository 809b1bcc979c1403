// Scopes (docs/model.md 7.15.8): a policy, or a component of one, applies to named divisions only.
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

using Catch::Matchers::Contains;

namespace {

// Two divisions of 50: a (slots 0-49) and b (slots 50-99), teams of 10.
const std::string kOrg = R"(organisation:
  employees: 100
  team_size: 10
  span: 3
  divisions:
    a: {share: 0.5}
    b: {share: 0.5}
)";

kpisim::ModelSpec spec_of(const std::string& policies, const std::string& extra = "") {
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(extra + kOrg + "policies:\n" + policies, "s.yaml"));
}

std::string error_of(const std::string& policies) {
  try {
    (void)spec_of(policies);
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "no error";
}

struct Driven {
  explicit Driven(const std::string& policy)
      : spec(spec_of("  p: " + policy + "\n")),
        world(spec),
        rng(1, 0),
        regime(spec.scenario.policies[0].config->instantiate(spec, resolve_scope(spec, spec.scenario.policies[0], whole_scope(spec)))) {}
  void day(int d) {
    kpisim::RegimeContext ctx{spec, world, rng, d};
    world.clear_incentives();
    regime->apply(ctx, 1.0);
    regime->end_of_day(ctx, 1.0);
  }
  kpisim::ModelSpec spec;
  kpisim::World world;
  kpisim::Rng rng;
  std::unique_ptr<kpisim::Regime> regime;
};

bool in_b(const kpisim::ModelSpec& spec, std::size_t i) {
  return spec.divisions[spec.division_of[i]].name == "b";
}

}  // namespace

TEST_CASE("scope: unknown, repeated or empty division lists are errors with position and suggestion", "[unit][scope]") {
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: [bb]}\n"), Contains(":9:34: error: policies.p.scope: unknown division 'bb'"));
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: [bb]}\n"), Contains("did you mean 'b'?"));
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: [a, a]}\n"), Contains("names 'a' twice"));
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: []}\n"), Contains("expects a non-empty list of division names"));
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: a}\n"), Contains("expects a non-empty list of division names"));
  REQUIRE_THAT(error_of("  p: {type: leaderboard, scope: [[a]]}\n"), Contains("expects a list of division names"));
  // A component lies within its policy's scope.
  const std::string outside = "  p: {type: hybrid, scope: [a], components: [{weight: 1, policy: {type: audit, scope: [b]}}]}\n";
  REQUIRE_THAT(error_of(outside), Contains("policies.p.components[0].policy.scope: division 'b' is outside the scope of the policy"));
  REQUIRE_THAT(error_of("  p: {type: schedule, phases: [{start_day: 0, policy: {type: outcome, scope: [c]}}]}\n"),
               Contains("policies.p.phases[0].policy.scope: unknown division 'c'"));
  REQUIRE(error_of("  p: {type: hybrid, scope: [a], components: [{weight: 1, policy: {type: audit, scope: [a]}}]}\n") == "no error");
}

TEST_CASE("scope: resolved to divisions, units and slots, within the parent's", "[unit][scope]") {
  const auto spec = spec_of("  p: {type: outcome, scope: [b]}\n  q: {type: outcome, scope: [b, a]}\n");
  const auto whole = kpisim::whole_scope(spec);
  REQUIRE(whole.all);
  const auto s = kpisim::resolve_scope(spec, spec.scenario.policies[0], whole);
  REQUIRE_FALSE(s.all);
  for (std::size_t i = 0; i < spec.employees; ++i) REQUIRE(s.has_person(i) == in_b(spec, i));
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const int d = spec.units[u].division;
    REQUIRE(s.has_unit(u) == (d >= 0 && spec.divisions[static_cast<std::size_t>(d)].name == "b"));
  }
  // Naming every division is the whole organisation (the root's head included).
  REQUIRE(kpisim::resolve_scope(spec, spec.scenario.policies[1], whole).all);
  // Within a parent: the intersection.
  REQUIRE_FALSE(kpisim::resolve_scope(spec, spec.scenario.policies[1], s).all);
  // The written scenario keeps the scope and reads back the same.
  const auto again = kpisim::load_scenario_text(kpisim::to_yaml(spec.scenario), "again.yaml");
  REQUIRE(again.policies[0].scope.size() == 1);
  REQUIRE(again.policies[0].scope[0].name == "b");
}

TEST_CASE("scope: a leaderboard ranks, pays and shames only the people in it", "[unit][scope]") {
  Driven f("{type: leaderboard, scope: [b], top_share: 0.1, prize_usd: 100, status_usd: 0, bottom_share: 0.2, shame_usd: 10}");
  // b's usage rises with the slot; a's people have the highest scores of all, and would take every
  // prize if they were ranked.
  for (std::size_t i = 0; i < f.world.n; ++i)
    f.world.measured_tokens[i] = static_cast<float>(in_b(f.spec, i) ? 1000.0 * static_cast<double>(i) : 1e9);
  for (int d = 0; d < 7; ++d) f.day(d);
  int winners = 0;
  int shamed = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    if (!in_b(f.spec, i)) {
      REQUIRE(f.world.reward_usd[i] == 0.0F);
      REQUIRE(f.world.shame[i] == 0.0F);
      continue;
    }
    if (f.world.reward_usd[i] > 0) {
      ++winners;
      REQUIRE(i >= 95);  // the top 10% of b's 50
    }
    if (f.world.shame[i] > 0) {
      ++shamed;
      REQUIRE(i < 60);  // the bottom 20% of b's 50
    }
  }
  REQUIRE(winners == 5);
  REQUIRE(shamed == 10);
  // Published: only b's people feel an incentive.
  f.day(7);
  double pull_b = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    if (in_b(f.spec, i))
      pull_b += f.world.inc_usage[i];
    else
      REQUIRE(f.world.inc_usage[i] == 0.0F);
  }
  REQUIRE(pull_b > 0);
}

TEST_CASE("scope: quotas, outcome bonuses and audits reach only the people in it", "[unit][scope]") {
  SECTION("individual quota") {
    Driven f("{type: quota, scope: [b], cadence: weekly, target_tokens_per_day: 1000, bonus_usd: 70}");
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = 5000.0F;
    f.day(0);
    for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE((f.world.inc_usage_cap[i] > 0) == in_b(f.spec, i));
    for (int d = 1; d < 7; ++d) f.day(d);
    for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE((f.world.reward_usd[i] == 70.0F) == in_b(f.spec, i));
  }
  SECTION("outcome bonus") {
    Driven f("{type: outcome, scope: [b], bonus_share: 0.5, cadence: weekly}");
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_outcome[i] = 100.0F;
    kpisim::RegimeContext ctx{f.spec, f.world, f.rng, 0};
    f.world.clear_incentives();
    f.regime->apply(ctx, 1.0);
    for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE(f.world.inc_outcome[i] == (in_b(f.spec, i) ? 0.5F : 0.0F));
    f.regime->end_of_day(ctx, 1.0);
    for (int d = 1; d < 7; ++d) f.day(d);
    for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE((f.world.reward_usd[i] > 0) == in_b(f.spec, i));
  }
  SECTION("audit") {
    Driven f("{type: audit, scope: [b], probability: 1, cadence: weekly, reviewer_hours: 0}");
    f.day(0);
    for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE((f.world.inc_padding_penalty[i] > 0) == in_b(f.spec, i));
    for (int d = 1; d < 7; ++d) f.day(d);
    // Audited in the next period: the audited spend its hours; a's people are never drawn.
    for (std::size_t i = 0; i < f.world.n; ++i)
      if (f.spec.is_manager[i] == 0) REQUIRE((f.world.cleanup_hours[i] > 0) == in_b(f.spec, i));
  }
  SECTION("manager-level quota") {
    Driven f("{type: quota, level: manager, scope: [b], target_tokens_per_day: 1e6, bonus_usd: 5000}");
    f.day(0);
    bool some = false;
    for (std::size_t u = 0; u < f.spec.units.size(); ++u) {
      const int d = f.spec.units[u].division;
      const bool b = d >= 0 && f.spec.divisions[static_cast<std::size_t>(d)].name == "b";
      if (!b) REQUIRE(f.world.unit_pressure[u] == 0.0F);
      some = some || (b && f.world.unit_pressure[u] > 0);
    }
    REQUIRE(some);
  }
}

TEST_CASE("scope: the KPI is set division by division", "[unit][scope]") {
  const auto spec = spec_of(
      "  p: {type: hybrid, components: [{weight: 2, policy: {type: leaderboard, scope: [a]}}, {weight: 1, policy: {type: outcome}}]}\n");
  const auto r = spec.scenario.policies[0].config->instantiate(spec, kpisim::whole_scope(spec));
  std::vector<kpisim::KpiWeights> k(spec.divisions.size());
  r->kpi_by_division(0, 1.0, k);
  for (std::size_t d = 0; d < k.size(); ++d) {
    REQUIRE(k[d].outcome == 1.0);
    REQUIRE(k[d].tokens == (spec.divisions[d].name == "a" ? 2.0 : 0.0));
  }
}

TEST_CASE("scope: outside it every division runs exactly as under no policy, and naming every division is no scope", "[unit][scope]") {
  const std::string policies = R"(  none: {type: none}
  leaderboard_b: {type: leaderboard, scope: [b]}
  quota_b: {type: quota, scope: [b], target_tokens_per_day: 150000}
  leadership_b: {type: quota, level: manager, scope: [b]}
  audited_b: {type: hybrid, scope: [b], components: [{weight: 1, policy: {type: outcome}}, {weight: 1, policy: {type: audit}}]}
  leaderboard: {type: leaderboard}
  leaderboard_everywhere: {type: leaderboard, scope: [a, b]}
)";
  const auto spec = spec_of(policies, "days: 60\n");
  std::vector<kpisim::RunResult> runs;
  for (std::size_t p = 0; p < spec.scenario.policies.size(); ++p) {
    kpisim::Simulation sim(spec, p, 0);
    for (int d = 0; d < spec.scenario.days; ++d) sim.step();
    runs.push_back(sim.take_result());
  }
  const std::size_t days = 60;
  const std::size_t ndiv = spec.divisions.size();
  const std::size_t vars = runs[0].unit_series.size() / (ndiv * days);
  REQUIRE(vars > 10);
  std::size_t a = 0;
  while (spec.divisions[a].name != "a") ++a;
  const auto slice_same = [&](const kpisim::RunResult& x, const kpisim::RunResult& y, std::size_t dv) {
    bool same = true;
    for (std::size_t v = 0; v < vars; ++v) {
      const double* px = x.unit_series.data() + (v * ndiv + dv) * days;
      const double* py = y.unit_series.data() + (v * ndiv + dv) * days;
      same = same && std::memcmp(px, py, days * sizeof(double)) == 0;
    }
    return same;
  };
  for (std::size_t p = 1; p <= 4; ++p) {
    INFO(spec.scenario.policies[p].name);
    REQUIRE(slice_same(runs[0], runs[p], a));            // division a: as under no policy, to the bit
    REQUIRE_FALSE(slice_same(runs[0], runs[p], 1 - a));  // division b: the policy acts
  }
  // A leaderboard over every division is the unscoped leaderboard, to the bit.
  REQUIRE(runs[5].series.size() == runs[6].series.size());
  REQUIRE(std::memcmp(runs[5].series.data(), runs[6].series.data(), runs[5].series.size() * sizeof(double)) == 0);
  REQUIRE(std::memcmp(runs[5].unit_series.data(), runs[6].unit_series.data(), runs[5].unit_series.size() * sizeof(double)) == 0);
}

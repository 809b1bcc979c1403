// Scenario files: defaults, errors with file:line:column, suggestions, ranges, round trip.
#include <catch2/catch.hpp>

#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/regime.hpp"

using Catch::Matchers::Contains;
using kpisim::load_scenario_text;

namespace {
std::string error_of(const std::string& yaml) {
  try {
    (void)load_scenario_text(yaml, "s.yaml");
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("a minimal scenario takes every default", "[unit][config]") {
  const auto s = load_scenario_text("days: 30\n", "s.yaml");
  REQUIRE(s.days == 30);
  REQUIRE(s.organisation.employees == kpisim::Scenario{}.organisation.employees);
  REQUIRE(s.policies.size() == 1);
  REQUIRE(s.policies[0].type == "none");
  REQUIRE(s.tasks.size() == kpisim::Scenario{}.tasks.size());
}

TEST_CASE("unknown keys are errors with position and the nearest valid key", "[unit][config]") {
  const auto e = error_of("days: 30\ndayz: 10\n");
  REQUIRE_THAT(e, Contains("s.yaml:2:1: error: unknown key 'dayz'"));
  REQUIRE_THAT(e, Contains("did you mean 'days'?"));
  const auto e2 = error_of("organisation:\n  employes: 10\n");
  REQUIRE_THAT(e2, Contains("s.yaml:2:3:"));
  REQUIRE_THAT(e2, Contains("in 'organisation'; did you mean 'employees'?"));
}

TEST_CASE("type and range errors say what was expected", "[unit][config]") {
  REQUIRE_THAT(error_of("days: abc\n"), Contains("s.yaml:1:7: error: 'days' expects a whole number in [1, 36500], got 'abc'"));
  REQUIRE_THAT(error_of("organisation: {employees: 1}\n"), Contains("expects a whole number in [2, 50000000]"));
  REQUIRE_THAT(error_of("behaviour: {norm_hours: 30}\n"), Contains("'behaviour.norm_hours' = 30 is out of range: expected [1, 24] h/day"));
  REQUIRE_THAT(error_of("output: {per_unit: maybe}\n"), Contains("expects true or false"));
  REQUIRE_THAT(error_of("organisation: 5\n"), Contains("must be a mapping"));
}

TEST_CASE("every error in a file is reported", "[unit][config]") {
  const auto e = error_of("dayz: 1\nseedd: 2\norganisation: {employees: -4}\n");
  REQUIRE_THAT(e, Contains("s.yaml:1:1:"));
  REQUIRE_THAT(e, Contains("s.yaml:2:1:"));
  REQUIRE_THAT(e, Contains("s.yaml:3:"));
}

TEST_CASE("syntax errors carry their position", "[unit][config]") {
  REQUIRE_THAT(error_of("days: [1, 2\n"), Contains("s.yaml:"));
  REQUIRE_THAT(error_of("days: [1, 2\n"), Contains("YAML syntax"));
  REQUIRE_THAT(error_of("- a\n- b\n"), Contains("a scenario must be a mapping"));
}

TEST_CASE("regimes: unknown type suggests the nearest, parameters are checked", "[unit][config][regimes]") {
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderbord}\n"), Contains("did you mean 'leaderboard'?"));
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderboard, top_share: 2}\n"), Contains("'policies.lb.top_share' = 2 is out of range"));
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderboard, prize: 2}\n"), Contains("did you mean 'prize_usd'?"));
  REQUIRE_THAT(error_of("policies:\n  q: {type: quota, level: team}\n"), Contains("must be one of: individual, manager"));
  REQUIRE_THAT(error_of("policies:\n  x: {cadence: weekly}\n"), Contains("needs a 'type'"));
  const auto s = load_scenario_text(
      "policies:\n  mix:\n    type: hybrid\n    components:\n      - {weight: 0.5, policy: {type: outcome, bonus_share: 0.2}}\n"
      "      - {weight: 1, policy: {type: audit}}\n",
      "s.yaml");
  REQUIRE(s.policies.size() == 1);
  REQUIRE(s.policies[0].name == "mix");
  REQUIRE(s.policies[0].type == "hybrid");
  REQUIRE_THAT(
      error_of("policies:\n  s:\n    type: schedule\n    phases:\n      - {start_day: 0, policy: {type: leaderboard, cadense: weekly}}\n"),
      Contains("s.yaml:5:52:"));
}

TEST_CASE("catalogues merge with the defaults, and divisions replace them", "[unit][config]") {
  const auto s = load_scenario_text(
      "tasks:\n  memo: {value_usd: 99}\n  podcast: {base_hours: 3}\norganisation:\n  divisions:\n    ops: {task_mix: {memo: 1}}\n",
      "s.yaml");
  const kpisim::Scenario def;
  REQUIRE(s.tasks.size() == def.tasks.size() + 1);
  REQUIRE(s.tasks[0].name == "memo");
  REQUIRE(s.tasks[0].value_usd == 99);
  REQUIRE(s.tasks[0].base_hours == def.tasks[0].base_hours);
  REQUIRE(s.tasks.back().name == "podcast");
  REQUIRE(s.organisation.divisions.size() == 1);
  REQUIRE(s.organisation.divisions[0].task_mix[0].line == 5);  // 0-based position kept for later checks
}

TEST_CASE("the resolved scenario round-trips through YAML", "[unit][config]") {
  const auto s = load_scenario_text(
      "name: rt\nseed: 12345678901234\npolicies:\n  lb: {type: leaderboard, prize_usd: 123.5, noise: uniform}\n"
      "  sched:\n    type: schedule\n    phases:\n      - {start_day: 0, end_day: 10, policy: {type: quota, level: manager}}\n",
      "s.yaml");
  const std::string y1 = kpisim::to_yaml(s);
  const auto s2 = load_scenario_text(y1, "resolved.yaml");
  REQUIRE(kpisim::to_yaml(s2) == y1);
  REQUIRE_THAT(y1, Contains("prize_usd: 123.5"));
  REQUIRE_THAT(y1, Contains("noise: uniform"));
  REQUIRE(s2.seed == 12345678901234ULL);
}

TEST_CASE("the reference documents every regime", "[unit][config]") {
  const std::string md = kpisim::scenario_reference_markdown();
  for (const auto& info : kpisim::regime_registry()) REQUIRE_THAT(md, Contains("### `" + std::string(info.name) + "`"));
  REQUIRE_THAT(md, Contains("`organisation.employees`"));
  REQUIRE_THAT(md, Contains("`policies.NAME.type`"));
}

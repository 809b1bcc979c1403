// The resolved model spec: the organisation tree and cross-references.
#include <catch2/catch.hpp>

#include <numeric>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/spec.hpp"

using Catch::Matchers::Contains;

TEST_CASE("the organisation tree covers every employee once, with contiguous units", "[unit][spec]") {
  for (int n : {3, 7, 40, 1001}) {
    auto s = kpisim::load_scenario_text(
        "organisation:\n  team_size: 6\n  span: 3\n  divisions:\n    a: {share: 2}\n    b: {share: 1}\n    c: {share: 1}\n", "s.yaml");
    s.organisation.employees = n;
    const auto m = kpisim::ModelSpec::resolve(s);
    REQUIRE(m.employees == static_cast<std::size_t>(n));
    REQUIRE(m.units.back().parent == -1);
    REQUIRE(m.units.back().first == 0);
    REQUIRE(m.units.back().end == static_cast<std::uint32_t>(n));
    std::vector<int> covered(static_cast<std::size_t>(n), 0);
    for (std::size_t t = 0; t < m.team_units.size(); ++t) {
      const auto& u = m.units[m.team_units[t]];
      REQUIRE(u.team);
      REQUIRE(u.end > u.first);
      REQUIRE(m.is_manager[u.first] == 1);
      for (auto i = u.first; i < u.end; ++i) {
        covered[i] += 1;
        REQUIRE(m.team_of[i] == t);
      }
    }
    for (int c : covered) REQUIRE(c == 1);
    for (std::size_t u = 0; u + 1 < m.units.size(); ++u) {
      const auto& unit = m.units[u];
      REQUIRE(unit.parent > static_cast<std::int32_t>(u));  // parents after children
      const auto& parent = m.units[static_cast<std::size_t>(unit.parent)];
      REQUIRE(parent.first <= unit.first);
      REQUIRE(parent.end >= unit.end);
      REQUIRE(unit.depth == parent.depth + 1);
    }
    // Divisions at depth 1, one per non-empty division.
    int divisions = 0;
    for (const auto& u : m.units) divisions += u.depth == 1 ? 1 : 0;
    REQUIRE(divisions == std::min(n, 3));
  }
}

TEST_CASE("distinct people head a team, its department and its division", "[unit][spec]") {
  // 1,000 people in teams of 8 (125 teams), span 5: departments of 5 teams, then of 25, then the
  // division: three levels above the teams, headed by the 2nd, 3rd and 4th members of the first team.
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 1000\n  team_size: 8\n  span: 5\n", "s.yaml");
  const auto m = kpisim::ModelSpec::resolve(s);
  std::vector<int> heads(m.employees, 0);
  std::size_t decision_units = 0;
  for (std::size_t u = 0; u + 1 < m.units.size(); ++u) {  // every unit but the root
    const auto& unit = m.units[u];
    ++decision_units;
    heads[unit.manager] += 1;
    REQUIRE(m.is_manager[unit.manager] == 1);
    REQUIRE(unit.manager >= unit.first);
    REQUIRE(unit.manager < unit.end);  // a head belongs to her unit
    // Above team level: the member h places into the unit's first team, h its height.
    if (!unit.team) {
      const auto& first_team = m.units[m.team_units[m.team_of[unit.first]]];
      REQUIRE(unit.manager > first_team.first);
      REQUIRE(unit.manager < first_team.end);
    }
  }
  for (int h : heads) REQUIRE(h <= 1);  // nobody heads two units
  REQUIRE(static_cast<std::size_t>(std::accumulate(heads.begin(), heads.end(), 0)) == decision_units);
  const auto& division = m.units[m.units.size() - 2];
  REQUIRE(division.depth == 1);
  REQUIRE(division.manager == 3);  // team 0's manager is 0; the three levels above: 1, 2, 3
  // Teams too small to seat every head: the head of the unit below heads this one too.
  auto t = kpisim::load_scenario_text("organisation:\n  employees: 64\n  team_size: 2\n  span: 2\n", "t.yaml");
  const auto small = kpisim::ModelSpec::resolve(t);
  REQUIRE(small.units[small.units.size() - 2].manager == 1);  // 32 teams, five levels above: only slot 1 is free
}

TEST_CASE("division sizes follow their shares", "[unit][spec]") {
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 1000\n  divisions:\n    a: {share: 3}\n    b: {share: 1}\n", "s.yaml");
  const auto m = kpisim::ModelSpec::resolve(s);
  const auto in_a = std::count(m.division_of.begin(), m.division_of.end(), 0);
  REQUIRE(in_a == 750);
  for (const auto& d : m.divisions) REQUIRE(std::accumulate(d.mix.begin(), d.mix.end(), 0.0) == Approx(1.0));
}

TEST_CASE("unknown tasks in a mix and unknown tools are errors with suggestions", "[unit][spec]") {
  auto s = kpisim::load_scenario_text("organisation:\n  divisions:\n    a: {task_mix: {memmo: 1}}\n", "s.yaml");
  try {
    (void)kpisim::ModelSpec::resolve(s, "s.yaml");
    FAIL("expected an error");
  } catch (const kpisim::InputError& e) {
    REQUIRE_THAT(e.what(), Contains("s.yaml:3:20: error: organisation.divisions.a.task_mix: unknown task 'memmo'; did you mean 'memo'?"));
  }
  auto s2 = kpisim::load_scenario_text("tasks:\n  memo: {tool: asistant}\n", "s.yaml");
  REQUIRE_THROWS_WITH(kpisim::ModelSpec::resolve(s2), Contains("did you mean 'assistant'?"));
}

TEST_CASE("chatbot tasks fold containment into their time factor", "[unit][spec]") {
  auto s = kpisim::load_scenario_text("tools:\n  chatbot: {containment: 1.0}\n", "s.yaml");
  auto m = kpisim::ModelSpec::resolve(s);
  const auto k = static_cast<std::size_t>(std::find(m.task_names.begin(), m.task_names.end(), "it_hr_request") - m.task_names.begin());
  REQUIRE(m.tasks[k].chatbot);
  REQUIRE(m.tasks[k].time_factor == Approx(0.2));
  auto s2 = kpisim::load_scenario_text("tools:\n  chatbot: {containment: 0.0, escalation_hours: 0.5}\n", "s.yaml");
  auto m2 = kpisim::ModelSpec::resolve(s2);
  // Every request escalates: bot time + a full manual handling + the escalation overhead.
  REQUIRE(m2.tasks[k].time_factor == Approx(0.2 + 1.0 + 0.5 / 0.5));
  REQUIRE(m2.tasks[k].value_gain < 0);
}

TEST_CASE("a tool's quality divides each of its shortfalls, and at 1 leaves the tasks as written", "[unit][spec]") {
  const std::string tasks =
      "tasks:\n"
      "  slow: {tool: t, ai_time_factor: 1.2, ai_quality_change: -0.2, defect_prob: 0.2}\n"
      "  fast: {tool: t, ai_time_factor: 0.8, ai_quality_change: 0.3, defect_prob: 0.0}\n"
      "  sure: {tool: t, defect_prob: 1.0}\n"
      "  ask: {tool: bot, ai_time_factor: 0.2, base_hours: 0.5}\n";
  const auto spec_at = [&](const std::string& q) {
    auto s = kpisim::load_scenario_text(
        tasks + "tools:\n  t: {quality: " + q + "}\n  bot: {kind: chatbot, containment: 0.6, quality: " + q + "}\n", "s.yaml");
    return kpisim::ModelSpec::resolve(s);
  };
  const auto m1 = spec_at("1");
  const auto m2 = spec_at("2");
  const auto m_half = spec_at("0.5");
  const auto idx = [&](const char* name) {
    return static_cast<std::size_t>(std::find(m1.task_names.begin(), m1.task_names.end(), name) - m1.task_names.begin());
  };
  const auto slow = idx("slow"), fast = idx("fast"), sure = idx("sure"), ask = idx("ask");
  // At 1, exactly the figures as written.
  REQUIRE(m1.tasks[slow].time_factor == 1.2);
  REQUIRE(m1.tasks[slow].defect_prob == 0.2);
  REQUIRE(m1.tasks[slow].value_gain == (1.0 - 0.2) / 1.2 - 1.0);
  REQUIRE(m1.tasks[ask].containment == 0.6);
  // Twice the capability: half the time, half the odds of an error (0.25 -> 0.125), half a loss of
  // quality; a gain in quality is kept, and so are certainty and impossibility of an error.
  REQUIRE(m2.tasks[slow].time_factor == Approx(0.6));
  REQUIRE(m2.tasks[slow].defect_prob == Approx(0.125 / 1.125));
  REQUIRE(m2.tasks[slow].value_gain == Approx((1.0 - 0.1) / 0.6 - 1.0));
  REQUIRE(m2.tasks[fast].value_gain == Approx(1.3 / 0.4 - 1.0));
  REQUIRE(m2.tasks[fast].defect_prob == 0.0);
  REQUIRE(m2.tasks[sure].defect_prob == 1.0);
  // A chatbot's odds of not resolving a request halve too: 0.4/0.6 -> 1/3, so it resolves 75%.
  REQUIRE(m2.tasks[ask].containment == Approx(0.75));
  REQUIRE(m2.tasks[ask].time_factor == Approx(0.75 * 0.1 + 0.25 * (0.1 + 1.0 + 0.5 / 0.5)));
  // Half the capability: everything worse, in the same measure.
  REQUIRE(m_half.tasks[slow].time_factor == Approx(2.4));
  REQUIRE(m_half.tasks[slow].defect_prob == Approx(0.5 / 1.5));
  REQUIRE(m_half.tasks[ask].containment == Approx(1.0 - (4.0 / 3.0) / (7.0 / 3.0)));
  // Worse tools lower the gain, better ones raise it.
  REQUIRE(m_half.tasks[slow].value_gain < m1.tasks[slow].value_gain);
  REQUIRE(m1.tasks[slow].value_gain < m2.tasks[slow].value_gain);
}

TEST_CASE("state per employee is under 1 KiB", "[unit][spec]") {
  REQUIRE(kpisim::state_bytes_per_employee(16) < 1024);
}

TEST_CASE("the organisation's size is known from its counts, before it is built", "[unit][spec]") {
  for (const char* shape : {"team_size: 6\n  span: 3\n  divisions:\n    a: {share: 2}\n    b: {share: 1}\n    c: {share: 1}\n",
                            "team_size: 2\n  span: 2\n", "team_size: 1000\n  span: 1000\n"}) {
    for (int n : {3, 7, 40, 1001, 12345}) {
      auto s = kpisim::load_scenario_text(std::string("organisation:\n  ") + shape, "s.yaml");
      s.organisation.employees = n;
      const auto counts = kpisim::count_organisation(s);
      const auto built = kpisim::ModelSpec::resolve(s);
      REQUIRE(counts.units == built.units.size());
      REQUIRE(counts.teams == built.team_units.size());
      // Checks only: nothing per employee.
      const auto checked = kpisim::ModelSpec::resolve(s, "s.yaml", false);
      REQUIRE(checked.units.empty());
      REQUIRE(checked.team_of.empty());
      REQUIRE(checked.employees == static_cast<std::size_t>(n));
    }
  }
}

TEST_CASE("an empty division map and a task mix summing to zero are errors with a position", "[unit][spec]") {
  const auto error_of = [](const std::string& yaml) {
    try {
      static_cast<void>(kpisim::ModelSpec::resolve(kpisim::load_scenario_text(yaml, "s.yaml"), "s.yaml", false));
    } catch (const kpisim::InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  REQUIRE_THAT(error_of("organisation:\n  divisions: {}\n"), Contains("s.yaml:2:14: error: organisation.divisions is empty"));
  REQUIRE_THAT(error_of("organisation:\n  divisions:\n    a: {task_mix: {memo: 0}}\n"),
               Contains("s.yaml:3:19: error: organisation.divisions.a.task_mix sums to zero"));
}

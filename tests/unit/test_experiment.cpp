// Experiment files: reading, error messages, and the expansion into points and runs.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/experiment/sweep.hpp"

using kpisim::Sweep;

namespace {

const std::string kData = std::string(KPISIM_SOURCE_DIR) + "/tests/data";

std::string error_of(const std::string& text) {
  try {
    static_cast<void>(Sweep::from_text(text, "exp.yaml", kData + "/experiments"));
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a grid experiment expands into the product of its values, run by run", "[unit][experiment]") {
  const Sweep sw = Sweep::from_text(R"(
base: ../small_compare.yaml
policies: [baseline, leaderboard]
replications: 3
parameters:
  behaviour.effort_cost: {values: [6, 8, 10]}
  wellbeing.drain_rate: {lower: 0.01, upper: 0.04, levels: 2}
)",
                                    "exp.yaml", kData + "/experiments");
  REQUIRE(sw.points.size() == 6);
  REQUIRE(sw.runs() == 6 * 2 * 3);
  REQUIRE(sw.points[0] == std::vector<double>{6, 0.01});
  REQUIRE(sw.points[1] == std::vector<double>{6, 0.04});
  REQUIRE(sw.points[5] == std::vector<double>{10, 0.04});
  // Run r = (point * policies + policy) * replications + replication.
  const auto r = sw.run(2 * 6 + 1 * 3 + 2);
  REQUIRE(r.point == 2);
  REQUIRE(r.policy == 1);
  REQUIRE(r.replication == 2);
  REQUIRE(sw.baseline == 0);
  // Each point's scenario carries its values; nothing else changes.
  const kpisim::Scenario s = sw.scenario_at(5);
  REQUIRE(s.behaviour.effort_cost == 10);
  REQUIRE(s.wellbeing.drain_rate == 0.04);
  REQUIRE(s.organisation.employees == sw.base.organisation.employees);
  REQUIRE(s.seed == sw.base.seed);
}

TEST_CASE("sampling designs give the documented numbers of points, inside the box", "[unit][experiment]") {
  const std::string head = R"(
base: ../small_compare.yaml
replications: 1
parameters:
  behaviour.effort_cost: {lower: 4, upper: 12}
  wellbeing.drain_rate: {lower: 0.01, upper: 0.1, scale: log}
  organisation.team_size: {lower: 3, upper: 9}
)";
  const Sweep lhs = Sweep::from_text(head + "design: {type: lhs, points: 10}\n", "exp.yaml", kData + "/experiments");
  REQUIRE(lhs.points.size() == 10);
  const Sweep sal = Sweep::from_text(head + "design: {type: saltelli, points: 8}\n", "exp.yaml", kData + "/experiments");
  REQUIRE(sal.points.size() == 8 * (3 + 2));
  const Sweep mor = Sweep::from_text(head + "design: {type: morris, trajectories: 5, levels: 4}\n", "exp.yaml", kData + "/experiments");
  REQUIRE(mor.points.size() == 5 * (3 + 1));
  for (const Sweep* sw : {&lhs, &sal, &mor})
    for (const auto& p : sw->points) {
      REQUIRE(p[0] >= 4);
      REQUIRE(p[0] <= 12);
      REQUIRE(p[1] >= 0.01 * (1 - 1e-12));
      REQUIRE(p[1] <= 0.1 * (1 + 1e-12));
      REQUIRE(p[2] == std::round(p[2]));  // an integer parameter takes whole values
    }
  // A real parameter whose default happens to be whole (effort_cost = 8) is not rounded.
  std::size_t fractional = 0;
  for (const auto& p : lhs.points) fractional += p[0] != std::round(p[0]) ? 1 : 0;
  REQUIRE(fractional >= 9);
}

TEST_CASE("experiment errors name the position and what was expected", "[unit][experiment]") {
  // Unknown key, with a suggestion.
  std::string e = error_of("base: ../small_compare.yaml\nreplicatons: 3\n");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:2:1"));
  REQUIRE_THAT(e, Catch::Contains("replications"));
  // A parameter path the scenario does not have, with a suggestion.
  e = error_of("base: ../small_compare.yaml\nparameters:\n  behaviour.efort_cost: {values: [1, 2]}\n");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:3"));
  REQUIRE_THAT(e, Catch::Contains("did you mean 'effort_cost'"));
  // A value the scenario refuses: the scenario's own message, at the parameter.
  e = error_of("base: ../small_compare.yaml\nparameters:\n  wellbeing.drain_rate: {values: [0.1, 50]}\n");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:3"));
  REQUIRE_THAT(e, Catch::Contains("out of range"));
  // Explicit values need a grid design.
  e = error_of("base: ../small_compare.yaml\nparameters:\n  behaviour.effort_cost: {values: [6, 8]}\ndesign: {type: lhs}\n");
  REQUIRE_THAT(e, Catch::Contains("design.type: grid"));
  // A policy the base does not have.
  e = error_of("base: ../small_compare.yaml\npolicies: [baseline, leaderbord]\n");
  REQUIRE_THAT(e, Catch::Contains("did you mean 'leaderboard'"));
  // An output that does not exist.
  e = error_of("base: ../small_compare.yaml\nanalysis: {outputs: [true_valu_per_fte]}\n");
  REQUIRE_THAT(e, Catch::Contains("did you mean 'true_value_per_fte'"));
  // No base scenario.
  e = error_of("replications: 3\n");
  REQUIRE_THAT(e, Catch::Contains("needs a base scenario"));
  // Base file missing.
  e = error_of("base: nowhere.yaml\n");
  REQUIRE_THAT(e, Catch::Contains("not found"));
}

TEST_CASE("an inline base scenario keeps the experiment file's positions", "[unit][experiment]") {
  const std::string e = error_of("scenario:\n  days: 28\n  organisaton: {employees: 10}\n");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:3"));
  REQUIRE_THAT(e, Catch::Contains("organisation"));
  const Sweep sw = Sweep::from_text("scenario:\n  days: 28\n  organisation: {employees: 30}\nreplications: 2\n", "exp.yaml", ".");
  REQUIRE(sw.base.days == 28);
  REQUIRE(sw.runs() == 2);
  // The resolved experiment reads back as the same experiment.
  const Sweep again = Sweep::from_text(sw.to_yaml(), "again.yaml", ".");
  REQUIRE(again.to_yaml() == sw.to_yaml());
}

TEST_CASE("experiment names and sizes are checked from the text, before anything is built", "[unit][experiment]") {
  // The name becomes NAME.h5 in the current directory: no paths.
  for (const char* name : {"../escaped_out", "/tmp/abs", "\"\"", "\"a\\nb\"", "\"\\xff\""})
    REQUIRE_THAT(error_of(std::string("name: ") + name + "\nbase: ../small_compare.yaml\n"),
                 Catch::Contains("exp.yaml:1:7: error: experiment name"));
  // A grid of 10^12 points is refused from its counts.
  std::string e = error_of(
      "base: ../small_compare.yaml\nparameters:\n"
      "  behaviour.effort_cost: {lower: 4, upper: 10, levels: 1000}\n  behaviour.crowding: {lower: 0, upper: 1, levels: 1000}\n"
      "  wellbeing.drain_rate: {lower: 0.01, upper: 0.1, levels: 1000}\n  wellbeing.base_demand: {lower: 0.1, upper: 1, levels: 1000}\n");
  REQUIRE_THAT(e,
               Catch::Contains("exp.yaml:3:3: error: the design has 1000000000000 parameter points (a grid of 1000 x 1000 x 1000 x 1000"));
  // Saltelli: N (d + 2) points.
  e = error_of(
      "base: ../small_compare.yaml\ndesign: {type: saltelli, points: 1000000}\nparameters:\n"
      "  behaviour.effort_cost: {lower: 4, upper: 10}\n  wellbeing.drain_rate: {lower: 0.01, upper: 0.1}\n");
  REQUIRE_THAT(e, Catch::Contains("the design has 4000000 parameter points (N (d + 2) with N = 1000000, d = 2)"));
  REQUIRE_THAT(error_of("base: ../small_compare.yaml\ndesign: {type: lhs, points: 10000000}\nparameters:\n  behaviour.effort_cost: {lower: "
                        "4, upper: 10}\n"),
               Catch::Contains("[1, 1000000]"));
  // Duplicated parameters, a base that is a directory.
  e = error_of(
      "base: ../small_compare.yaml\nparameters:\n  behaviour.effort_cost: {values: [4]}\n  behaviour.effort_cost: {values: [5]}\n");
  REQUIRE_THAT(e,
               Catch::Contains("exp.yaml:4:3: error: 'behaviour.effort_cost' appears twice in 'parameters' (first at line 3, column 3)"));
  REQUIRE_THAT(error_of("base: ..\n"), Catch::Contains("exp.yaml:1:7: error: base scenario '"));
  REQUIRE_THAT(error_of("base: ..\n"), Catch::Contains("is a directory"));
  REQUIRE_THAT(error_of(""), Catch::Contains("exp.yaml:1:1: error: an experiment must be a mapping"));
  REQUIRE_THAT(error_of("base: ../small_compare.yaml\n---\nbase: x\n"), Catch::Contains("exp.yaml:3:1: error: a second YAML document"));
  // The seed takes every 64-bit value.
  REQUIRE(Sweep::from_text("base: ../small_compare.yaml\nseed: 18446744073709551615\n", "exp.yaml", kData + "/experiments").base.seed ==
          18446744073709551615ULL);
}

TEST_CASE("every parameter point is checked as a run would check it, at the experiment's positions", "[unit][experiment]") {
  const Sweep sw = Sweep::from_text(
      "base: ../small_compare.yaml\nparameters:\n  behaviour.effort_cost: {values: [2, 8]}\n  behaviour.crowding: {values: [3]}\n",
      "exp.yaml", kData + "/experiments");
  std::string e;
  try {
    sw.check_points();
  } catch (const kpisim::InputError& err) {
    e = err.what();
  }
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:3: error: parameter point 0 (behaviour.effort_cost = 2, behaviour.crowding = 3)"));
  REQUIRE_THAT(e, Catch::Contains("must not exceed behaviour.effort_cost"));
  REQUIRE_THAT(e, !Catch::Contains("point 1"));  // point 1 (effort_cost 8) is valid
}

TEST_CASE("the sweep's memory estimate counts the design, the organisation and the runs", "[unit][experiment]") {
  const auto estimate = [](const std::string& extra) {
    const Sweep sw = Sweep::from_text("base: ../small_compare.yaml\nreplications: 1\n" + extra, "exp.yaml", kData + "/experiments");
    return kpisim::estimate_sweep(sw, 2, 1);  // a limit of 1 byte: counts only, no timing run
  };
  const auto small = estimate("design: {type: lhs, points: 10}\nparameters:\n  behaviour.effort_cost: {lower: 4, upper: 10}\n");
  const auto big = estimate("design: {type: lhs, points: 1000000}\nparameters:\n  behaviour.effort_cost: {lower: 4, upper: 10}\n");
  REQUIRE(std::isnan(big.seconds));
  // A million points of one value each, and five million runs: at least their bytes.
  REQUIRE(big.memory_bytes - small.memory_bytes >= 1'000'000 * sizeof(double) + big.runs * 2 * sizeof(std::string));
  // The organisation, from its counts (50 million employees are counted, not built).
  const auto org = [](int n) {
    const Sweep sw = Sweep::from_text(fmt::format("scenario: {{organisation: {{employees: {}}}}}\nreplications: 1\n", n), "exp.yaml", ".");
    return kpisim::estimate_sweep(sw, 1, 1).memory_bytes;
  };
  REQUIRE(org(50'000'000) - org(1000) >= std::size_t{50'000'000 - 1000} * (4 + 2 + 1));
}

namespace {

// The resolved scenario of a point as a YAML tree.
YAML::Node point_tree(const Sweep& sw, std::size_t point) {
  return YAML::Load(kpisim::to_yaml(sw.scenario_at(point)));
}

const std::string kListItems = R"(
base: ../small_compare.yaml
policies: [outcome_audited, leaderboard_switched_off]
replications: 1
parameters:
  policies.outcome_audited.components[1].policy.probability: {values: [0.2, 0.7]}
  policies.outcome_audited.components[outcome].weight: {values: [1, 3]}
  policies.leaderboard_switched_off.phases[0].end_day: {lower: 20, upper: 41, levels: 2}
  "policies.leaderboard_switched_off.phases[policy.type=leaderboard].policy.prize_usd": {values: [500]}
)";

}  // namespace

TEST_CASE("parameters address items of hybrids and schedules by index, name and field", "[unit][experiment]") {
  const Sweep sw = Sweep::from_text(kListItems, "exp.yaml", kData + "/experiments");
  REQUIRE(sw.points.size() == 8);
  REQUIRE(sw.points[7] == std::vector<double>{0.7, 3, 41, 500});
  // The name and the filter resolve to the item they select.
  REQUIRE(sw.targets[1].front().path == "policies.outcome_audited.components[0].weight");
  REQUIRE(sw.targets[3].front().path == "policies.leaderboard_switched_off.phases[0].policy.prize_usd");
  // The values reach the point's resolved scenario; the other items keep theirs.
  const YAML::Node t = point_tree(sw, 7);
  const YAML::Node comps = t["policies"]["outcome_audited"]["components"];
  REQUIRE(comps[1]["policy"]["probability"].as<double>() == 0.7);
  REQUIRE(comps[0]["weight"].as<double>() == 3);
  REQUIRE(comps[1]["weight"].as<double>() == 1);
  REQUIRE(comps[0]["policy"]["bonus_share"].as<double>() == 0.1);
  const YAML::Node phases = t["policies"]["leaderboard_switched_off"]["phases"];
  REQUIRE(phases[0]["end_day"].Scalar() == "41");
  REQUIRE(phases[0]["policy"]["prize_usd"].as<double>() == 500);
  REQUIRE(phases[1]["start_day"].Scalar() == "42");
  // An integer key inside a list is rounded like any integer parameter (20..41 in two levels).
  REQUIRE(sw.points[0][2] == 20);
  // The resolved experiment reads back as the same experiment.
  const Sweep again = Sweep::from_text(sw.to_yaml(), "again.yaml", ".");
  REQUIRE(again.to_yaml() == sw.to_yaml());
  REQUIRE(again.points == sw.points);
}

TEST_CASE("a group scales or sets exactly the keys it lists, wildcards expanded", "[unit][experiment]") {
  const Sweep sw = Sweep::from_text(R"(
base: ../small_compare.yaml
policies: [baseline]
replications: 1
groups:
  error_rates: {scale: [tasks.*.defect_prob]}
  chatbot_quality: {set: ["tasks[tool=chatbot].ai_quality_change"]}
  teams: {scale: [organisation.team_size, organisation.span]}
parameters:
  error_rates: {lower: 0.5, upper: 2}
  chatbot_quality: {values: [0.25]}
  teams: {values: [1, 1.3]}
)",
                                    "exp.yaml", kData + "/experiments");
  REQUIRE(sw.targets[0].size() == sw.base.tasks.size());
  REQUIRE(sw.targets[1].size() == 1);
  REQUIRE(sw.targets[1].front().path == "tasks.it_hr_request.ai_quality_change");
  REQUIRE(sw.points.size() == 3 * 1 * 2);
  const std::size_t p = 5;  // error_rates 2, chatbot_quality 0.25, teams 1.3
  REQUIRE(sw.points[p] == std::vector<double>{2, 0.25, 1.3});
  const YAML::Node base = YAML::Load(kpisim::to_yaml(sw.base));
  YAML::Node point = point_tree(sw, p);
  for (const auto& task : sw.base.tasks) {
    REQUIRE(point["tasks"][task.name]["defect_prob"].as<double>() == 2 * task.defect_prob);
    point["tasks"][task.name]["defect_prob"] = base["tasks"][task.name]["defect_prob"];
  }
  REQUIRE(point["tasks"]["it_hr_request"]["ai_quality_change"].as<double>() == 0.25);
  point["tasks"]["it_hr_request"]["ai_quality_change"] = base["tasks"]["it_hr_request"]["ai_quality_change"];
  // Integer keys scaled by a factor are rounded: 5 x 1.3 = 6.5 -> 7 (round half away from zero), 3 x 1.3 = 3.9 -> 4.
  REQUIRE(point["organisation"]["team_size"].Scalar() == "7");
  REQUIRE(point["organisation"]["span"].Scalar() == "4");
  point["organisation"]["team_size"] = base["organisation"]["team_size"];
  point["organisation"]["span"] = base["organisation"]["span"];
  // With the listed keys put back, nothing else differs.
  REQUIRE(YAML::Dump(point) == YAML::Dump(base));
  // A factor of 1 is the base scenario, to the bit.
  REQUIRE(kpisim::to_yaml(Sweep::from_text(R"(
base: ../small_compare.yaml
groups: {error_rates: {scale: [tasks.*.defect_prob]}}
parameters: {error_rates: {values: [1]}}
)",
                                           "exp.yaml", kData + "/experiments")
                              .scenario_at(0)) == kpisim::to_yaml(sw.base));
  // The resolved experiment keeps the groups and reads back as the same experiment; one without
  // groups writes no `groups` key (its stored text is unchanged).
  REQUIRE_THAT(sw.to_yaml(), Catch::Contains("groups:"));
  const Sweep again = Sweep::from_text(sw.to_yaml(), "again.yaml", ".");
  REQUIRE(again.to_yaml() == sw.to_yaml());
  REQUIRE(kpisim::to_yaml(again.scenario_at(p)) == kpisim::to_yaml(sw.scenario_at(p)));
  const Sweep plain = Sweep::from_text("base: ../small_compare.yaml\n", "exp.yaml", kData + "/experiments");
  REQUIRE_THAT(plain.to_yaml(), !Catch::Contains("groups"));
}

TEST_CASE("addressing errors in parameters and groups name the position, what was expected and a suggestion", "[unit][experiment]") {
  const std::string head = "base: ../small_compare.yaml\n";
  const auto param = [&](const std::string& path, const std::string& entry = "{values: [1]}") {
    return error_of(head + "parameters:\n  \"" + path + "\": " + entry + "\n");
  };
  // An index past the end of a list.
  std::string e = param("policies.outcome_audited.components[5].policy.probability");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:3: error: parameter"));
  REQUIRE_THAT(e, Catch::Contains("'policies.outcome_audited.components' has 2 items, [0] to [1]: there is no [5]"));
  // A list addressed as a section.
  e = param("policies.outcome_audited.components.weight");
  REQUIRE_THAT(e, Catch::Contains("is a list of 2 items: address one as components[0] to components[1], components[NAME]"));
  // A key one level too high: the suggestion names the section that has it.
  e = param("policies.outcome_audited.components[1].probability");
  REQUIRE_THAT(e, Catch::Contains("'policies.outcome_audited.components[1]' has no key 'probability'; did you mean 'policy.probability'?"));
  // An item name or a filter value that no item has.
  REQUIRE_THAT(param("policies.outcome_audited.components[audt].weight"),
               Catch::Contains("has name, type or policy.type 'audt'; did you mean 'audit'?"));
  REQUIRE_THAT(param("policies.outcome_audited.components[policy.type=outcom].weight"),
               Catch::Contains("no item of 'policies.outcome_audited.components' has policy.type = 'outcom'; did you mean 'outcome'?"));
  // An index into something that is not a list; a section; text; broken brackets.
  REQUIRE_THAT(param("behaviour[0].effort_cost"), Catch::Contains("'behaviour' is not a list"));
  REQUIRE_THAT(param("policies.outcome_audited.components[1]"), Catch::Contains("is a section, not a number"));
  REQUIRE_THAT(param("tasks.memo.frontier"), Catch::Contains("'tasks.memo.frontier' is 'inside', not a number"));
  REQUIRE_THAT(param("policies.outcome_audited.components[1.weight"), Catch::Contains("unclosed '['"));
  REQUIRE_THAT(param("policies.outcome_audited.components[].weight"), Catch::Contains("is not an item selector"));
  REQUIRE_THAT(param("tasks.memo."), Catch::Contains("has an empty key"));
  // A wildcard as a parameter: one parameter sets one number.
  REQUIRE_THAT(param("tasks.*.defect_prob"), Catch::Contains("matches 13 numbers"));
  REQUIRE_THAT(param("tasks.*.defect_prob"), Catch::Contains("list them in a group under `groups:`"));
  // A value the scenario refuses inside a list item: the scenario's own message.
  REQUIRE_THAT(param("policies.outcome_audited.components[1].policy.probability", "{values: [0.5, 3]}"),
               Catch::Contains("the scenario refuses 3"));

  const auto group = [&](const std::string& groups, const std::string& params = "") {
    return error_of(head + "groups:\n" + groups + (params.empty() ? "" : "parameters:\n" + params));
  };
  // An unknown key in a group's path: at the path's position, with the nearest key.
  e = group("  error_rates: {scale: [tasks.*.defect_prob, behaviour.efort_cost]}\n");
  REQUIRE_THAT(
      e, Catch::Contains("exp.yaml:3:46: error: group 'error_rates': 'behaviour' has no key 'efort_cost'; did you mean 'effort_cost'?"));
  // A wildcard that matches nothing.
  e = group("  g: {scale: [tasks.*.defect_prb]}\n");
  REQUIRE_THAT(e, Catch::Contains("exp.yaml:3:15: error: group 'g': none of the 13 entries that 'tasks.*' matches has a key 'defect_prb'; "
                                  "did you mean 'defect_prob'?"));
  e = group("  g: {set: [\"tasks[tool=chatbt].ai_quality_change\"]}\n");
  REQUIRE_THAT(e, Catch::Contains("no item of 'tasks' has tool = 'chatbt'; did you mean 'chatbot'?"));
  e = group("  g: {set: [\"policies.*.components[*].policy.cap\"]}\n");
  REQUIRE_THAT(e, Catch::Contains("group 'g': none of the 2 entries that 'policies.*.components[*].policy' matches has a key 'cap'"));
  // An unknown key of a group, an empty group, a dotted group name, a number listed twice.
  REQUIRE_THAT(group("  g: {scal: [tasks.*.defect_prob]}\n"), Catch::Contains("unknown key 'scal' in 'groups.g'; did you mean 'scale'?"));
  REQUIRE_THAT(group("  g: {}\n"), Catch::Contains("exp.yaml:3:3: error: group 'g': a group needs `scale: [key paths]`"));
  REQUIRE_THAT(group("  a.b: {scale: [tasks.*.defect_prob]}\n"), Catch::Contains("a group's name is a plain word without '.'"));
  REQUIRE_THAT(group("  g: {scale: [tasks.*.defect_prob], set: [tasks.memo.defect_prob]}\n"),
               Catch::Contains("exp.yaml:3:43: error: group 'g': 'tasks.memo.defect_prob' is changed twice"));
  // A factor that takes a value out of its documented range: the scenario's range applies.
  e = group("  g: {scale: [tasks.*.defect_prob]}\n", "  g: {lower: 0.5, upper: 5}\n");
  REQUIRE_THAT(e,
               Catch::Contains("exp.yaml:5:3: error: parameter 'g': the scenario refuses the value 5: 'tasks.strategy.defect_prob' = 1.25 "
                               "is out of range: expected [0, 1]"));
  // A misspelt group name as a parameter; a number varied by a group and by a parameter.
  REQUIRE_THAT(group("  error_rates: {scale: [tasks.*.defect_prob]}\n", "  error_rate: {values: [1]}\n"),
               Catch::Contains("exp.yaml:5:3: error: parameter 'error_rate': there is no group or scenario key 'error_rate'; did you mean "
                               "the group 'error_rates'?"));
  REQUIRE_THAT(group("  g: {scale: [tasks.*.defect_prob]}\n", "  g: {values: [1]}\n  tasks.memo.defect_prob: {values: [0.1]}\n"),
               Catch::Contains("exp.yaml:6:3: error: parameter 'tasks.memo.defect_prob': 'tasks.memo.defect_prob' is also changed by "
                               "parameter 'g' (line 5, column 3)"));
  // Every point is checked with the group applied (a cross-field rule: crowding <= effort_cost).
  const Sweep sw = Sweep::from_text(head +
                                        "groups: {crowd: {set: [behaviour.crowding]}}\n"
                                        "parameters: {crowd: {values: [3]}, behaviour.effort_cost: {values: [2, 8]}}\n",
                                    "exp.yaml", kData + "/experiments");
  e.clear();
  try {
    sw.check_points();
  } catch (const kpisim::InputError& err) {
    e = err.what();
  }
  REQUIRE_THAT(e, Catch::Contains("parameter point 0 (crowd = 3, behaviour.effort_cost = 2): the scenario refuses it"));
  REQUIRE_THAT(e, !Catch::Contains("point 1"));
}

TEST_CASE("a search's box is checked at both ends of each parameter and every pair's corners, not on a grid", "[unit][experiment]") {
  const std::string head = R"(
base: ../small_compare.yaml
replications: 1
)";
  using Use = Sweep::DesignUse;
  // Four parameters: every value is an end of its range; each pair of parameters meets at its four
  // corners; far fewer points than a grid of the default 3 levels (81).
  const Sweep four = Sweep::from_text(head +
                                          "parameters:\n  learning.trust_rate: {lower: 0.01, upper: 0.05}\n"
                                          "  learning.belief_rate: {lower: 0.02, upper: 0.1}\n"
                                          "  behaviour.effort_cost: {lower: 5, upper: 20}\n"
                                          "  learning.observation_sd: {lower: 0.1, upper: 0.5}\n",
                                      "exp.yaml", kData + "/experiments", kpisim::BaseFile::allowed, Use::search_box);
  const std::vector<double> lo = {0.01, 0.02, 5, 0.1};
  const std::vector<double> hi = {0.05, 0.1, 20, 0.5};
  REQUIRE(four.points.size() == 1U + 4 + 4 * 3 / 2);
  REQUIRE(four.points.size() < 81);
  std::set<std::vector<double>> distinct(four.points.begin(), four.points.end());
  REQUIRE(distinct.size() == four.points.size());
  for (const auto& row : four.points)
    for (std::size_t j = 0; j < 4; ++j) REQUIRE((row[j] == lo[j] || row[j] == hi[j]));
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t k = i + 1; k < 4; ++k)
      for (const double vi : {lo[i], hi[i]})
        for (const double vk : {lo[k], hi[k]}) {
          bool met = false;
          for (const auto& row : four.points) met = met || (row[i] == vi && row[k] == vk);
          REQUIRE(met);
        }
  // A cross-field rule between two of them (crowding <= effort_cost) is found at its corner, whatever
  // the other parameters.
  const Sweep cross = Sweep::from_text(head +
                                           "parameters:\n  learning.trust_rate: {lower: 0.01, upper: 0.05}\n"
                                           "  behaviour.crowding: {lower: 1, upper: 9}\n"
                                           "  learning.belief_rate: {lower: 0.02, upper: 0.1}\n"
                                           "  behaviour.effort_cost: {lower: 5, upper: 20}\n",
                                       "exp.yaml", kData + "/experiments", kpisim::BaseFile::allowed, Use::search_box);
  std::string e;
  try {
    cross.check_points();
  } catch (const kpisim::InputError& err) {
    e = err.what();
  }
  REQUIRE_THAT(e,
               Catch::Contains("behaviour.crowding = 9, learning.belief_rate = 0.02, behaviour.effort_cost = 5): the scenario refuses it"));
  // Thirteen parameters: 3^13 grid points would be refused as a design; as a search's box they are
  // checked at 1 + 13 + 78 = 92 points.
  std::string many = head + "parameters:\n";
  for (const char* key : {"behaviour.choice_temperature_usd", "behaviour.intrinsic_weight", "behaviour.cynicism_drag",
                          "behaviour.pressure_usd_per_hour", "behaviour.mandate_usd_per_hour", "behaviour.efficacy_friction",
                          "learning.proficiency_rate", "learning.learning_rate", "learning.trust_rate", "learning.belief_rate",
                          "learning.observation_sd", "behaviour.adoption_friction_usd_per_hour", "learning.perception_bias"})
    many += std::string("  ") + key + ": {lower: 0.5, upper: 1}\n";
  REQUIRE_THROWS_WITH(Sweep::from_text(many, "exp.yaml", kData + "/experiments"), Catch::Contains("parameter points"));
  const Sweep box = Sweep::from_text(many, "exp.yaml", kData + "/experiments", kpisim::BaseFile::allowed, Use::search_box);
  REQUIRE(box.points.size() == 1U + 13 + 13 * 12 / 2);
  REQUIRE_NOTHROW(box.check_points());
}

TEST_CASE("groups and list items are parameters of the sampling designs too", "[unit][experiment]") {
  const std::string head = R"(
base: ../small_compare.yaml
replications: 1
groups:
  error_rates: {scale: [tasks.*.defect_prob]}
parameters:
  error_rates: {lower: 0.5, upper: 2}
  policies.outcome_audited.components[audit].policy.probability: {lower: 0.1, upper: 0.9}
)";
  for (const char* design : {"design: {type: saltelli, points: 4}\n", "design: {type: morris, trajectories: 3, levels: 4}\n"}) {
    const Sweep sw = Sweep::from_text(head + design, "exp.yaml", kData + "/experiments");
    REQUIRE(sw.points.size() == (std::string(design).find("saltelli") != std::string::npos ? 4U * (2 + 2) : 3U * (2 + 1)));
    for (std::size_t p = 0; p < sw.points.size(); ++p) {
      const YAML::Node t = point_tree(sw, p);
      for (const auto& task : sw.base.tasks)
        REQUIRE(t["tasks"][task.name]["defect_prob"].as<double>() == task.defect_prob * sw.points[p][0]);
      REQUIRE(t["policies"]["outcome_audited"]["components"][1]["policy"]["probability"].as<double>() == sw.points[p][1]);
    }
  }
}

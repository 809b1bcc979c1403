// Experiment files: reading, error messages, and the expansion into points and runs.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

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

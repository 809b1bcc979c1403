// Experiment files: reading, error messages, and the expansion into points and runs.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/experiment.hpp"

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

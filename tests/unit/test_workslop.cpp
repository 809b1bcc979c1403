// Workslop reaches colleagues (docs/model.md 7.8, engine/src/model/workslop.cpp) on a hand-built
// organisation.
#include <catch2/catch.hpp>

#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "workslop.hpp"

using Catch::Detail::Approx;
namespace ws = kpisim::detail::workslop;

TEST_CASE("workslop: the recipient is one of the other members, uniformly", "[unit][workslop]") {
  // A team of 5: the author at offset 2 picks among offsets 0, 1, 3, 4 by quarters of (0, 1).
  CHECK(ws::recipient(2, 5, 0.01) == 0);
  CHECK(ws::recipient(2, 5, 0.26) == 1);
  CHECK(ws::recipient(2, 5, 0.51) == 3);
  CHECK(ws::recipient(2, 5, 0.99) == 4);
  CHECK(ws::recipient(0, 5, 0.01) == 1);
  CHECK(ws::recipient(4, 5, 0.999999999) == 3);
  CHECK(ws::recipient(0, 1, 0.5) == 0);  // a team of one: it comes back to the author
  // Uniform over a fine grid of picks: each colleague gets the same share.
  std::vector<int> hits(8, 0);
  for (int k = 0; k < 7000; ++k) ++hits[ws::recipient(3, 8, (k + 0.5) / 7000.0)];
  CHECK(hits[3] == 0);
  for (int m : {0, 1, 2, 4, 5, 6, 7}) CHECK(hits[static_cast<std::size_t>(m)] == 1000);
}

TEST_CASE("workslop: each person's workslop lands on one colleague, counted per recipient", "[unit][workslop]") {
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 10\n  team_size: 5\n", "slop.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  REQUIRE(spec.team_units.size() == 2);
  REQUIRE(spec.units[spec.team_units[0]].first == 0);
  REQUIRE(spec.units[spec.team_units[1]].first == 5);
  std::vector<float> produced(10, 0.0F);
  std::vector<double> pick(10, 0.5);
  produced[1] = 2.0F;                     // team 0, offset 1: pick 0.5 of the others {0, 2, 3, 4} -> offset 3
  produced[3] = 0.5F;                     // team 0, offset 3: {0, 1, 2, 4} -> offset 2
  produced[7] = 1.0F;                     // team 1, offset 2: {0, 1, 3, 4} -> offset 3, slot 8
  std::vector<float> received(10, 9.0F);  // rebuilt, not accumulated
  std::vector<std::int32_t> last(10, kpisim::World::kNever);
  ws::distribute(spec, 12, produced, pick, received, last);
  CHECK(received[3] == Approx(2.0));
  CHECK(received[2] == Approx(0.5));
  CHECK(received[8] == Approx(1.0));
  float total = 0;
  for (float r : received) total += r;
  CHECK(total == Approx(3.5));  // nothing lost, nothing duplicated
  CHECK(last[3] == 12);
  CHECK(last[2] == 12);
  CHECK(last[8] == 12);
  CHECK(last[1] == kpisim::World::kNever);  // authors are not recipients
  CHECK(last[0] == kpisim::World::kNever);
}

TEST_CASE("workslop: in a team of one it comes back to the author, who is not counted as a recipient", "[unit][workslop]") {
  // Three divisions of one person each: three teams of one.
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 3\n  divisions: {a: {}, b: {}, c: {}}\n", "solo.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  REQUIRE(spec.team_units.size() == 3);
  std::vector<float> produced{1.5F, 0.0F, 0.0F};
  std::vector<double> pick(3, 0.7);
  std::vector<float> received(3, 0.0F);
  std::vector<std::int32_t> last(3, kpisim::World::kNever);
  ws::distribute(spec, 3, produced, pick, received, last);
  CHECK(received[0] == Approx(1.5));
  CHECK(received[1] == 0.0F);
  CHECK(last[0] == kpisim::World::kNever);
}

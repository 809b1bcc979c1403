// Workslop reaches colleagues (docs/model.md 7.8, engine/src/model/workslop.cpp) on a hand-built
// organisation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
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

TEST_CASE("workslop: scattering block by block with precomputed recipients gives distribute's bits", "[unit][workslop]") {
  // Teams of 7 across blocks of 2048 slots: some teams are split between blocks (the pass leaves
  // them to the day's caller); every team is scattered exactly once, in slot order.
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 5000\n  team_size: 7\n", "blocks.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  const std::size_t n = spec.employees;
  std::vector<float> produced(n, 0.0F);
  std::vector<double> pick(n, 0.0);
  std::vector<std::uint32_t> to(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    produced[i] = i % 3 == 0 ? 0.0F : 0.1F * static_cast<float>(i % 11) + 0.013F;
    pick[i] = (static_cast<double>((i * 7919) % 1000) + 0.5) / 1000.0;
    const auto& u = spec.units[spec.team_units[spec.team_of[i]]];
    to[i] = ws::recipient_slot(static_cast<std::uint32_t>(i), u.first, u.end - u.first, pick[i]);
  }
  std::vector<float> ref(n, 5.0F);
  std::vector<std::int32_t> ref_last(n, kpisim::World::kNever);
  ref_last[17] = 3;
  ws::distribute(spec, 40, produced, pick, ref, ref_last);
  std::vector<float> got(n, 5.0F);
  std::vector<std::int32_t> got_last(n, kpisim::World::kNever);
  got_last[17] = 3;
  std::size_t split = 0;
  for (std::size_t lo = 0; lo < n; lo += 2048)
    ws::scatter_within(spec, 40, produced.data(), to.data(), got.data(), got_last.data(), lo, std::min<std::size_t>(lo + 2048, n));
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const auto& u = spec.units[spec.team_units[t]];
    if (u.first / 2048 != (u.end - 1) / 2048) {
      ++split;
      ws::scatter(spec, 40, produced.data(), to.data(), got.data(), got_last.data(), t, t + 1);
    }
  }
  CHECK(split >= 1);
  for (std::size_t i = 0; i < n; ++i) {
    INFO("slot " << i);
    REQUIRE(got[i] == ref[i]);  // the same float sums in the same order
    REQUIRE(got_last[i] == ref_last[i]);
  }
}

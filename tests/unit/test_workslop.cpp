// Workslop pools (docs/model.md 7.8, engine/src/model/workslop.cpp) on a hand-built organisation.
#include <catch2/catch.hpp>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/spec.hpp"
#include "workslop.hpp"

using Catch::Detail::Approx;

TEST_CASE("workslop: each team shares its members' workslop equally among them, the author included", "[unit][workslop]") {
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 10\n  team_size: 5\n", "slop.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  REQUIRE(spec.team_units.size() == 2);
  std::vector<float> produced(10, 0.0F);
  produced[1] = 2.0F;  // team 0
  produced[3] = 0.5F;  // team 0
  produced[7] = 1.0F;  // team 1
  std::vector<float> size(2, 5.0F);
  std::vector<float> share(2, 0.0F);
  kpisim::detail::workslop::pool(spec, produced, size, share);
  CHECK(share[0] == Approx(0.5));  // 2.5 h / 5 members
  CHECK(share[1] == Approx(0.2));
  // Nothing produced: nothing shared (the pool is rebuilt, not accumulated).
  std::fill(produced.begin(), produced.end(), 0.0F);
  kpisim::detail::workslop::pool(spec, produced, size, share);
  CHECK(share[0] == 0.0F);
  CHECK(share[1] == 0.0F);
}

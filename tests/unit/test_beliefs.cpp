// Employees' belief updating (docs/model.md 7.11, engine/src/model/beliefs.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include "beliefs.hpp"

using Catch::Detail::Approx;
namespace bel = kpisim::detail::beliefs;

namespace {
kpisim::TaskSpec task() {
  kpisim::TaskSpec t{};
  t.base_hours = 1.0;
  t.stakes_hours = 0.5;
  t.time_factor = 0.8;
  return t;
}
}  // namespace

TEST_CASE("beliefs: the experienced gain is the true gain less the clean-up that comes back", "[unit][beliefs]") {
  // Errors per AI output 0.1 x 0.5 h downstream x (1 - 0.5 workslop share) / (1 h x 0.8) = 0.03125 h per AI hour.
  CHECK(bel::experienced_gain(task(), 0.3, 0.1, 0.5) == Approx(0.3 - 0.03125));
  // All of it handed on as workslop: the author experiences the whole true gain.
  CHECK(bel::experienced_gain(task(), 0.3, 0.1, 1.0) == Approx(0.3));
}

TEST_CASE("beliefs: experience pulls the belief with weight min(1, rate x hours)", "[unit][beliefs]") {
  const kpisim::Learning p{};  // belief_rate 0.05 per hour, observation_sd 0.3
  // 4 hours, z = 0: 0.5 + 0.2 x (0.2 - 0.5) = 0.44.
  CHECK(bel::update(0.5F, 0.2, p, 0.0, 4.0) == Approx(0.44).epsilon(1e-6));
  // z = 1 adds 0.3 / sqrt(4) = 0.15 to the observation: 0.5 + 0.2 x (0.35 - 0.5) = 0.47.
  CHECK(bel::update(0.5F, 0.2, p, 1.0, 4.0) == Approx(0.47).epsilon(1e-6));
  // 40 hours: the weight is 1 (the belief becomes the observation); noise sd 0.3 / sqrt(40).
  CHECK(bel::update(0.5F, 0.2, p, 0.0, 40.0) == Approx(0.2).epsilon(1e-6));
  // No experience: unchanged, bit for bit.
  CHECK(bel::update(0.123F, 0.9, p, 2.0, 0.0) == 0.123F);
}

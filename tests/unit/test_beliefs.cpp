// Employees' belief updating (docs/model.md 7.11, engine/src/model/beliefs.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include "beliefs.hpp"

using Catch::Detail::Approx;
namespace bel = kpisim::detail::beliefs;

TEST_CASE("beliefs: the perceived gain is the gain as it happens, shifted by the perception bias", "[unit][beliefs]") {
  CHECK(bel::perceived_gain(0.3, 0.0) == 0.3);
  // METR 2025: 19% slower, believed 20% faster.
  CHECK(bel::perceived_gain(-0.19, 0.39) == Approx(0.20));
}

TEST_CASE("beliefs: with a perception bias the belief settles at the biased gain (the METR pattern persists)", "[unit][beliefs]") {
  kpisim::Learning p{};
  p.observation_sd = 0.0;
  // Weekly experience of 10 hours (weight 0.5) from a neutral prior: 0 -> 0.1 -> 0.15 -> ... -> 0.2.
  float belief = 0.0F;
  for (int week = 0; week < 40; ++week) belief = bel::update(belief, bel::perceived_gain(-0.19, 0.39), p, 0.0, 10.0);
  CHECK(belief == Approx(0.20).epsilon(1e-5));
  CHECK(belief > 0.0F);  // believes AI helps although it slows her down
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

// Scripted padding (docs/model.md 7.5, engine/src/model/scripting.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include <cmath>

#include "scripting.hpp"

using Catch::Detail::Approx;
namespace scr = kpisim::detail::scripting;

TEST_CASE("scripting: an hour of padding earns the marginal rate for small steps and never more than the cap", "[unit][scripting]") {
  CHECK(scr::bounded_prize(0.01, 100.0) == Approx(0.01).epsilon(1e-4));  // a small step: the marginal rate
  CHECK(scr::bounded_prize(100.0, 100.0) == Approx(100.0 * (1.0 - std::exp(-1.0))));
  CHECK(scr::bounded_prize(1e9, 100.0) == Approx(100.0));  // a huge script: at most the cap
  CHECK(scr::bounded_prize(1e9, 0.5) == Approx(0.5));      // a tiny prize: a tiny effect
  CHECK(scr::bounded_prize(1e9, 0.0) == 0.0);              // no prize: nothing
  CHECK(scr::bounded_prize(-5.0, 10.0) == 0.0);            // never negative
}

TEST_CASE("scripting: a script's expected prize is the stake times the change in the chance of passing", "[unit][scripting]") {
  const double phi = 0.5 * std::erfc(-1.0 / std::sqrt(2.0));  // Phi(1)
  // The threshold half a script away, noise 0.5 scripts: a full script moves Phi(-1) to Phi(1).
  CHECK(scr::contest_gain(1.0, 100.0, 1.0, 0.5, 0.5) == Approx(100.0 * (phi - (1.0 - phi))));
  CHECK(scr::contest_gain(0.0, 100.0, 1.0, 0.5, 0.5) == 0.0);
  // An audit that leaves half the script: as if running half of it.
  CHECK(scr::contest_gain(1.0, 100.0, 0.5, 0.5, 0.5) == Approx(scr::contest_gain(0.5, 100.0, 1.0, 0.5, 0.5)));
  // A threshold a hundred scripts away: almost nothing; one already passed: almost nothing.
  CHECK(scr::contest_gain(1.0, 100.0, 1.0, 100.0, 0.5) < 1e-12);
  CHECK(scr::contest_gain(1.0, 100.0, 1.0, -100.0, 0.5) < 1e-12);
  // Never above the stake, however large the script; nothing without a contest.
  CHECK(scr::contest_gain(1.0, 100.0, 1.0, 0.0, 1e-6) <= 100.0);
  CHECK(scr::contest_gain(1.0, 0.0, 1.0, 0.5, 0.5) == 0.0);
  CHECK(scr::contest_gain(1.0, 100.0, 1.0, 0.5, 0.0) == 0.0);
}

TEST_CASE("scripting: the intensity is where the density of passing has fallen to the size cost", "[unit][scripting]") {
  // Stake 100, gap 0.3, noise 0.2 (in scripts), cost 50 a full script, sensitivity 1, kept 1.
  const double x = scr::contest_intensity(1.0, 100.0, 1.0, 0.3, 0.2, 50.0);
  // First-order condition: stake x phi((x - gap) / sigma) / sigma = cost, on the far side of the gap.
  const double z = (x - 0.3) / 0.2;
  CHECK(100.0 * std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI) / 0.2 == Approx(50.0).epsilon(1e-9));
  CHECK(x > 0.3);
  // It beats every other intensity.
  const auto net = [](double y) { return scr::contest_gain(y, 100.0, 1.0, 0.3, 0.2) - 50.0 * y; };
  for (double y = 0.0; y <= 1.0; y += 0.01) CHECK(net(x) >= net(y) - 1e-9);
  // Size costs nothing: the whole script. The steepest step does not cover the cost: none.
  CHECK(scr::contest_intensity(1.0, 100.0, 1.0, 0.3, 0.2, 0.0) == 1.0);
  CHECK(scr::contest_intensity(1.0, 100.0, 1.0, 0.3, 0.2, 1000.0) == 0.0);
  // A tiny stake (0.5) against the same cost: none; no contest: none; indifferent to money: none.
  CHECK(scr::contest_intensity(1.0, 0.5, 1.0, 0.3, 0.2, 50.0) == 0.0);
  CHECK(scr::contest_intensity(1.0, 0.0, 1.0, 0.3, 0.2, 50.0) == 0.0);
  CHECK(scr::contest_intensity(0.0, 100.0, 1.0, 0.3, 0.2, 50.0) == 0.0);
  // A threshold beyond the whole script: at most the whole script.
  CHECK(scr::contest_intensity(1.0, 1e6, 1.0, 3.0, 0.2, 50.0) == 1.0);
}

TEST_CASE("scripting: the net payoff weighs the expected prize against penalty, size and integrity", "[unit][scripting]") {
  CHECK(scr::net_payoff(2.0, 10.0, 0.0, 0.0, 30.0, 1.0) == Approx(2.0 * 10.0 - 30.0));
  CHECK(scr::net_payoff(2.0, 10.0, 5.0, 4.0, 30.0, 0.5) == Approx(2.0 * (10.0 - 5.0) - 2.0 - 30.0));
}

TEST_CASE("scripting: start above the hysteresis band, stop below it, otherwise keep going", "[unit][scripting]") {
  CHECK(scr::decide(0, 11, 10) == 1);
  CHECK(scr::decide(0, 9, 10) == 0);
  CHECK(scr::decide(1, 9, 10) == 1);    // inside the band: keep running
  CHECK(scr::decide(1, -9, 10) == 1);   // still inside
  CHECK(scr::decide(1, -11, 10) == 0);  // below: stop
  CHECK(scr::decide(0, -11, 10) == 0);
}

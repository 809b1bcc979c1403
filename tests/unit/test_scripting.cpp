// Scripted padding (docs/model.md 7.5, engine/src/model/scripting.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include <cmath>

#include "scripting.hpp"

using Catch::Detail::Approx;
namespace scr = kpisim::detail::scripting;

TEST_CASE("scripting: the expected prize is linear for small steps and never exceeds the cap", "[unit][scripting]") {
  CHECK(scr::bounded_prize(0.01, 100.0) == Approx(0.01).epsilon(1e-4));     // a small step: the marginal rate
  CHECK(scr::bounded_prize(100.0, 100.0) == Approx(100.0 * (1.0 - std::exp(-1.0))));
  CHECK(scr::bounded_prize(1e9, 100.0) == Approx(100.0));                     // a huge script: at most the cap
  CHECK(scr::bounded_prize(1e9, 0.5) == Approx(0.5));                         // a tiny prize: a tiny effect
  CHECK(scr::bounded_prize(1e9, 0.0) == 0.0);                                 // no prize: nothing
  CHECK(scr::bounded_prize(-5.0, 10.0) == 0.0);                               // never negative
}

TEST_CASE("scripting: the intensity balances the bounded prize against the cost of size", "[unit][scripting]") {
  // Full script worth 1000 USD a day at the margin, cap 50, size cost 10, sensitivity 1:
  // x* = 50/1000 x ln(1000/10) = 0.05 ln 100.
  CHECK(scr::intensity(1.0, 1000.0, 50.0, 10.0) == Approx(0.05 * std::log(100.0)).epsilon(1e-9));
  // The first-order condition holds there: sens x rate x exp(-rate x / cap) = cost.
  const double x = scr::intensity(1.0, 1000.0, 50.0, 10.0);
  CHECK(1000.0 * std::exp(-1000.0 * x / 50.0) == Approx(10.0).epsilon(1e-9));
  CHECK(scr::intensity(1.0, 1000.0, 5000.0, 10.0) == 1.0);  // a large cap: the whole script
  CHECK(scr::intensity(1.0, 1000.0, 50.0, 0.0) == 1.0);     // size costs nothing: the whole script
  CHECK(scr::intensity(1.0, 5.0, 50.0, 10.0) == 0.0);       // the margin does not cover the cost
  CHECK(scr::intensity(0.0, 1000.0, 50.0, 10.0) == 0.0);    // indifferent to money
  CHECK(scr::intensity(1.0, 1000.0, 0.0, 10.0) == 0.0);     // no prize
}

TEST_CASE("scripting: the net payoff weighs the bounded prize against penalty, size and integrity", "[unit][scripting]") {
  // sens 2, full-script rate 10 USD at the margin against a cap of 1000 (nearly linear): 2 x 10 x (1 - ...)
  const double prize = 1000.0 * (1.0 - std::exp(-10.0 / 1000.0));
  CHECK(scr::net_payoff(2.0, 10.0, 1000.0, 0.0, 0.0, 30.0, 1.0) == Approx(2.0 * prize - 30.0));
  // An expected penalty of 5 USD (felt through sensitivity), a size cost of 4 at intensity 0.5.
  const double half = 1000.0 * (1.0 - std::exp(-5.0 / 1000.0));
  CHECK(scr::net_payoff(2.0, 10.0, 1000.0, 5.0, 4.0, 30.0, 0.5) == Approx(2.0 * (half - 5.0) - 2.0 - 30.0));
  // Dose-response: a 100-fold smaller cap shrinks the payoff of a huge script 100-fold.
  const double big = scr::net_payoff(1.0, 1e9, 100.0, 0.0, 0.0, 0.0, 1.0);
  const double tiny = scr::net_payoff(1.0, 1e9, 1.0, 0.0, 0.0, 0.0, 1.0);
  CHECK(big == Approx(100.0));
  CHECK(tiny == Approx(1.0));
}

TEST_CASE("scripting: start above the hysteresis band, stop below it, otherwise keep going", "[unit][scripting]") {
  CHECK(scr::decide(0, 11, 10) == 1);
  CHECK(scr::decide(0, 9, 10) == 0);
  CHECK(scr::decide(1, 9, 10) == 1);    // inside the band: keep running
  CHECK(scr::decide(1, -9, 10) == 1);   // still inside
  CHECK(scr::decide(1, -11, 10) == 0);  // below: stop
  CHECK(scr::decide(0, -11, 10) == 0);
}

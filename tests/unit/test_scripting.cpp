// Scripted padding (docs/model.md 7.5, engine/src/model/scripting.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include "scripting.hpp"

using Catch::Detail::Approx;
namespace scr = kpisim::detail::scripting;

TEST_CASE("scripting: the net payoff weighs what the KPI pays for the unfiltered tokens against integrity", "[unit][scripting]") {
  const kpisim::Behaviour b{};  // script_integrity_cost_usd 60
  // sensitivity 1, integrity 0.5, kept 1, 1e-5 USD per token, 2e6 tokens: 20 USD - 0.5 x 60 = -10.
  CHECK(scr::net_payoff(b, 1.0, 0.5, 1.0, 1e-5, 0, 0, 2e6, 500) == Approx(-10.0));
  // Ten times the incentive: 200 - 30 = 170.
  CHECK(scr::net_payoff(b, 1.0, 0.5, 1.0, 1e-4, 0, 0, 2e6, 500) == Approx(170.0));
  // An audit that filters 90% leaves 20 USD; an expected penalty of 5 USD comes off it.
  CHECK(scr::net_payoff(b, 1.0, 0.5, 0.1, 1e-4, 0, 5, 2e6, 500) == Approx(20.0 - 5.0 - 30.0));
  // Sessions pay per session: 0.1 USD x 500 sessions.
  CHECK(scr::net_payoff(b, 2.0, 0.0, 1.0, 0, 0.1, 0, 2e6, 500) == Approx(100.0));
  // No incentive, no sensitivity: only the integrity cost.
  CHECK(scr::net_payoff(b, 0.0, 1.0, 1.0, 1e-4, 0, 0, 2e6, 500) == Approx(-60.0));
}

TEST_CASE("scripting: start above the hysteresis band, stop below it, otherwise keep going", "[unit][scripting]") {
  CHECK(scr::decide(0, 11, 10) == 1);
  CHECK(scr::decide(0, 9, 10) == 0);
  CHECK(scr::decide(1, 9, 10) == 1);    // inside the band: keep running
  CHECK(scr::decide(1, -9, 10) == 1);   // still inside
  CHECK(scr::decide(1, -11, 10) == 0);  // below: stop
  CHECK(scr::decide(0, -11, 10) == 0);
}

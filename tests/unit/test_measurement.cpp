// Measurement (docs/model.md 7.10, engine/src/model/measurement.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include "measurement.hpp"

using Catch::Detail::Approx;
namespace me = kpisim::detail::measurement;

TEST_CASE("measurement: the audit filter removes its share of performative tokens, sessions and gamed outcome", "[unit][measurement]") {
  CHECK(me::tokens(1000, 400, 0.5, 1.0) == Approx(800));
  CHECK(me::tokens(1000, 400, 0.0, 1.1) == Approx(1100));  // usage noise multiplies
  CHECK(me::tokens(1000, 400, 0.0, -0.5) == 0.0);          // never negative
  CHECK(me::sessions(30, 100, 0.75) == Approx(55));
  CHECK(me::outcome(500, 100, 0.6) == Approx(440));
}

TEST_CASE("measurement: moving averages step towards today's value, rate 0 leaves them unchanged", "[unit][measurement]") {
  CHECK(me::ema(10, 30, 0.05) == Approx(11));
  CHECK(me::ema(10, 30, 0.0) == 10.0);
  CHECK(me::ema(10, 30, 1.0) == 30.0);
}

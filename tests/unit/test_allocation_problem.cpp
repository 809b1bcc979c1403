// The daily allocation problem's marginal utilities and caps (docs/model.md 7.4,
// engine/src/model/allocation_problem.hpp) on hand-built inputs. The solver has its own tests
// (test_allocation.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "allocation_problem.hpp"

using Catch::Detail::Approx;
namespace ap = kpisim::detail::allocation_problem;

namespace {
ap::View view() {
  ap::View v{};
  v.sensitivity = 1.0;
  v.integrity = 0.5;
  v.proficiency = 0.4;
  v.kept = 1.0;
  v.believed_per_hour = 60.0;
  v.tokens_per_hour = 10000.0;
  v.sessions_per_hour = 1.0;
  v.ai_share = 0.5;
  v.verify_value = 40.0;
  return v;
}
}  // namespace

TEST_CASE("allocation problem: without incentives work is worth its believed value, padding only costs integrity", "[unit][allocation]") {
  const kpisim::Behaviour b{};
  const kpisim::Measurement ms{};
  const auto m = ap::marginals(b, ms, view());
  CHECK(m.work == Approx(60.0));
  CHECK(m.verify == Approx(40.0));          // the perceived value of checking (at the perceived error rate)
  CHECK(m.perform == Approx(-0.5 * 20.0));  // integrity cost 20 USD/h
  CHECK(m.learn == Approx(25.0 * 0.6));     // learning value x (1 - proficiency)
  CHECK(m.gaming == 0.0);
}

TEST_CASE("allocation problem: usage incentives pay work, padding and learning per token", "[unit][allocation]") {
  const kpisim::Behaviour b{};
  const kpisim::Measurement ms{};
  auto v = view();
  v.inc_usage = 1e-4;     // USD per token
  v.inc_usage_cap = 1e6;  // a prize so large that an hour of padding is paid at the margin
  v.pressure = 0.5;
  v.mandate = 1.0;
  const auto m = ap::marginals(b, ms, v);
  // Work: 60 + 1 x (1e-4 x 10000 + visible 0.5 x 20 + 15 = 25 times the AI share 0.5) = 60 + 1 + 12.5.
  CHECK(m.work == Approx(73.5));
  // Padding: 200000 tokens/h x 1e-4 + pressure 0.5 x 20 = 30 USD/h, less integrity 10.
  CHECK(m.perform == Approx(20.0).epsilon(1e-4));
  // Learning: 15 + 1e-4 x 20000 = 17.
  CHECK(m.learn == Approx(17.0));
  // An audit that filters 75% of performative tokens leaves a quarter of the padding pay.
  v.kept = 0.25;
  CHECK(ap::marginals(b, ms, v).perform == Approx(0.25 * 20.0 + 10.0 - 10.0).epsilon(1e-4));
  // A small prize bounds what an hour of padding can earn: 5 x (1 - e^-4) of the 20 USD at the margin.
  v.kept = 1.0;
  v.inc_usage_cap = 5.0;
  CHECK(ap::marginals(b, ms, v).perform == Approx(5.0 * (1.0 - std::exp(-4.0)) + 10.0 - 10.0));
  // No prize at all: padding pays only the pressure.
  v.inc_usage_cap = 0.0;
  CHECK(ap::marginals(b, ms, v).perform == Approx(10.0 - 10.0));
}

TEST_CASE("allocation problem: an outcome bonus values verification and can make gaming pay more than padding", "[unit][allocation]") {
  const kpisim::Behaviour b{};
  const kpisim::Measurement ms{};  // gaming_usd_per_hour 200
  auto v = view();
  v.inc_outcome = 0.1;
  const auto m = ap::marginals(b, ms, v);
  CHECK(m.work == Approx(60.0 + 0.1 * 60.0));
  CHECK(m.verify == Approx((1.0 + 0.1) * 40.0));
  CHECK(m.gaming == 1.0);
  CHECK(m.perform == Approx(0.1 * 200.0 - 10.0));
  v.inc_padding_penalty = 30.0;  // the expected fine per performative hour
  CHECK(ap::marginals(b, ms, v).perform == Approx(20.0 - 30.0 - 10.0));
}

TEST_CASE("allocation problem: caps follow the backlog, the AI share and the budget", "[unit][allocation]") {
  const kpisim::Behaviour b{};  // verification_ratio 0.3, max_learning_hours 2
  // Backlog 10 E at 0.9 h per E: 9 h of work would clear it; budget 8 h: verification up to 0.3 x 0.5 x 8.
  const auto c = ap::caps(b, 10, 0.9, 0.5, 8);
  CHECK(c.work == Approx(9.0));
  CHECK(c.verify == Approx(1.2));
  CHECK(c.perform == 8.0);
  CHECK(c.learn == 2.0);
  CHECK(ap::caps(b, 2, 0.9, 0.5, 8).verify == Approx(0.3 * 0.5 * 1.8));
}

// The AI-or-manual choice's expected overhead and friction (docs/model.md 7.2,
// engine/src/model/ai_choice.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include "ai_choice.hpp"

using Catch::Detail::Approx;
namespace ac = kpisim::detail::ai_choice;

namespace {
kpisim::TaskSpec task() {
  kpisim::TaskSpec t{};
  t.base_hours = 1.0;
  t.time_factor = 0.5;  // 2 AI tasks per AI hour
  t.value_usd = 50.0;
  t.value_per_hour = 50.0;  // a passed error puts 1 h of value at risk
  t.stakes_hours = 1.0;     // and causes 1 h downstream
  t.fix_hours = 0.25;
  t.defect_prob = 0.1;
  return t;
}
}  // namespace

TEST_CASE("ai choice: the perceived error rate is 1 - trust spread by nominal error rates", "[unit][ai_choice]") {
  const auto t = task();
  CHECK(ac::perceived_defect_prob(t, 0.9, 0.1) == Approx(0.1));   // a task at the division's mean rate
  CHECK(ac::perceived_defect_prob(t, 0.9, 0.05) == Approx(0.2));  // twice as error-prone as the mix
  CHECK(ac::perceived_defect_prob(t, 0.0, 0.01) == 1.0);          // clamped to a probability
  CHECK(ac::perceived_defect_prob(t, 1.0, 0.1) == 0.0);           // full trust: no errors expected
  CHECK(ac::perceived_defect_prob(t, 0.5, 0.0) == 0.0);           // a division without error-prone tasks
}

TEST_CASE("ai choice: the expected overhead is the cheaper of checking all and checking none", "[unit][ai_choice]") {
  const auto t = task();
  CHECK(ac::hours_per_passed_error(t) == Approx(2.0));
  // p = 0.1: 0.2 errors per AI hour. Check all: 0.3 + 0.2 x (0.8 x 0.25 + 0.2 x 2) = 0.42; none: 0.4.
  CHECK(ac::overhead_per_ai_hour(t, 0.1, 0.3, 0.8) == Approx(0.4));
  // p = 0.5: 1 error per AI hour. Check all: 0.3 + 0.2 + 0.4 = 0.9; none: 2.
  CHECK(ac::overhead_per_ai_hour(t, 0.5, 0.3, 0.8) == Approx(0.9));
  // No errors expected: no overhead.
  CHECK(ac::overhead_per_ai_hour(t, 0.0, 0.3, 0.8) == 0.0);
  // The overhead never falls as the perceived error rate rises.
  double last = 0.0;
  for (double p = 0.0; p <= 1.0; p += 0.05) {
    const double o = ac::overhead_per_ai_hour(t, p, 0.3, 0.8);
    CHECK(o >= last);
    last = o;
  }
}

TEST_CASE("ai choice: adoption friction falls with proficiency and rises as efficacy falls", "[unit][ai_choice]") {
  // At the baseline's efficacy (0.87) the friction falls linearly with proficiency.
  CHECK(ac::friction(4.0, 0.0, 0.87, 1.0) == Approx(4.0));
  CHECK(ac::friction(4.0, 0.75, 0.87, 1.0) == Approx(1.0));
  CHECK(ac::friction(4.0, 1.0, 0.87, 1.0) == 0.0);
  // Lower efficacy, more friction: 4 x (1 + 1 x (0.87 - 0.37)) = 6; higher, less; never negative.
  CHECK(ac::friction(4.0, 0.0, 0.37, 1.0) == Approx(6.0));
  CHECK(ac::friction(4.0, 0.0, 1.0, 1.0) == Approx(4.0 * 0.87));
  CHECK(ac::friction(4.0, 0.0, 1.0, 10.0) == 0.0);
  CHECK(ac::friction(4.0, 0.0, 0.2, 0.0) == 4.0);  // switched off
}

// Well-being (docs/model.md 7.13, engine/src/model/wellbeing.hpp): the job demands-resources
// equations on hand-built inputs. Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>

#include "wellbeing.hpp"

using Catch::Detail::Approx;
namespace wb = kpisim::detail::wellbeing;

namespace {
kpisim::Wellbeing defaults() {
  return kpisim::Wellbeing{};
}
}  // namespace

TEST_CASE("wellbeing: demand adds the ordinary day, overtime, clean-up, hindrance, fear and backlog", "[unit][wellbeing]") {
  const auto p = defaults();
  // An 8-hour day with no clean-up, hindrance, fear or backlog beyond one day: the base demand.
  CHECK(wb::demand(p, 8, 1.0 / 8, 8, 0, 0, 0, 8) == Approx(0.8));
  // 10 hours (0.25 norm-days over), 2 h clean-up (0.25), hindrance 0.5, fear 0.2, backlog 24 h (2 days beyond one):
  // 0.8 + 1 x 0.25 + 1 x 0.25 + 0.6 x 0.5 + 0.3 x 0.2 + 0.1 x 2 = 1.86.
  CHECK(wb::demand(p, 8, 1.0 / 8, 10, 2, 0.5, 0.2, 24) == Approx(1.86));
  // Fewer hours than the norm are not negative overtime; a backlog under one day adds nothing.
  CHECK(wb::demand(p, 8, 1.0 / 8, 4, 0, 0, 0, 2) == Approx(0.8));
}

TEST_CASE("wellbeing: a mandate adds hindrance and halves autonomy", "[unit][wellbeing]") {
  const auto p = defaults();
  CHECK(wb::hindrance(p, 0.3, 0, 0.1, 0) == Approx(0.4));
  CHECK(wb::hindrance(p, 0.3, 1, 0.1, 0) == Approx(0.9));  // + 0.5 under a mandate
  CHECK(wb::resources(p, 0, 0) == Approx(1.0));            // 0.6 autonomy + 0.4 support
  CHECK(wb::resources(p, 1, 0) == Approx(0.7));            // 0.3 + 0.4
  // A head's mandate on task types making up 40% of the work: 0.6 x (1 - 0.5 x 0.4) + 0.4 = 0.88,
  // and a hindrance of 0.5 x 0.4.
  CHECK(wb::resources(p, 0.4, 0) == Approx(0.88));
  CHECK(wb::hindrance(p, 0.0, 0.4, 0.0, 0) == Approx(0.2));
}

TEST_CASE("wellbeing: rewards she expects are a resource, penalties she expects a hindrance", "[unit][wellbeing]") {
  const auto p = defaults();
  // Adaptive expectations at rate 0.01: from 0, a 200 USD prize reaching her moves the expectation
  // to 2 USD a working day; four prize-less working days then leave 2 x 0.99^4 = 1.92119202.
  double r = wb::reward_expectation(p, 0.0, 200.0);
  CHECK(r == Approx(2.0));
  for (int d = 0; d < 4; ++d) r = wb::reward_expectation(p, r, 0.0);
  CHECK(r == Approx(1.92119202));
  // A 200 USD prize every fifth working day: the expectation settles into a cycle whose mean is the
  // prize per working day, 40 (summing the updates over a cycle: 0.01 x (200 - 5 x mean) = 0).
  r = 0.0;
  double sum = 0.0;
  for (int week = 0; week < 400; ++week)
    for (int d = 0; d < 5; ++d) {
      r = wb::reward_expectation(p, r, d == 0 ? 200.0 : 0.0);
      if (week == 399) sum += r;
    }
  CHECK(sum / 5 == Approx(40.0).epsilon(0.02));
  // Felt per USD of the value of her day (400 USD): 40 USD a day is 0.1; bounded to [-1, 1].
  CHECK(wb::reward_felt(40.0, 400.0) == Approx(0.1));
  CHECK(wb::reward_felt(1e6, 400.0) == Approx(1.0));
  CHECK(wb::reward_felt(-1e6, 400.0) == Approx(-1.0));
  CHECK(wb::reward_felt(40.0, 0.0) == 0.0);
  // Resources 1 + 0.5 x 0.1 = 1.05; the hindrance is untouched by a reward.
  CHECK(wb::resources(p, 0, 0.1) == Approx(1.05));
  CHECK(wb::hindrance(p, 0.3, 0, 0.1, 0.1) == Approx(0.4));
  // Expected fines of 0.5 of her day: hindrance + 0.5 x 0.5 = 0.25, resources unchanged.
  CHECK(wb::hindrance(p, 0.0, 0, 0.0, -0.5) == Approx(0.25));
  CHECK(wb::resources(p, 0, -0.5) == Approx(1.0));
}

TEST_CASE("wellbeing: exhaustion drains with demand over resources and recovers with resources", "[unit][wellbeing]") {
  const auto p = defaults();
  // x = 0.3, strain 1, D = 0.8, R = 1: x + 0.03 x 0.8 / 2 x 0.7 - 0.0075 x 1 x 0.3 = 0.3 + 0.0084 - 0.00225 = 0.30615.
  CHECK(wb::exhaustion_workday(p, 0.3, 1.0, 0.8, 1.0) == Approx(0.30615));
  // Twice the strain doubles the drain only: 0.3 + 0.0168 - 0.00225.
  CHECK(wb::exhaustion_workday(p, 0.3, 2.0, 0.8, 1.0) == Approx(0.31455));
  // The equilibrium of the drain and recovery: x* = a / (a + b R) with a = strain x drain x D/(1+R).
  const double a = 0.03 * 0.8 / 2.0;
  const double xs = a / (a + 0.0075);
  CHECK(wb::exhaustion_workday(p, xs, 1.0, 0.8, 1.0) == Approx(xs).epsilon(1e-12));
  // Clamped to [0, 1] even with absurd rates.
  auto q = p;
  q.drain_rate = 10;
  CHECK(wb::exhaustion_workday(q, 0.5, 5.0, 10, 0) == 1.0);
  q = p;
  q.recovery_rate_workday = 10;
  CHECK(wb::exhaustion_workday(q, 0.5, 1.0, 0, 1) == 0.0);
}

TEST_CASE("wellbeing: cynicism grows with meaningless work and exhaustion, and decays", "[unit][wellbeing]") {
  const auto p = defaults();
  // y = 0.2, no meaningless work, x = 0.5: 0.2 + 0.004 x 0.5 x 0.8 - 0.01 x 0.2 = 0.2016 - 0.002 = 0.1996.
  CHECK(wb::cynicism_workday(p, 0.2, 0, 0.5) == Approx(0.1996));
  // One norm-day of meaningless work adds 0.03 x 1 x 0.8 = 0.024.
  CHECK(wb::cynicism_workday(p, 0.2, 1, 0.5) == Approx(0.2236));
}

TEST_CASE("wellbeing: efficacy tracks achievement, engagement is built by resources and drained by exhaustion", "[unit][wellbeing]") {
  const auto p = defaults();
  // Achieved 400 of 500 expected (0.8): 0.7 + 0.02 x (0.8 - 0.7) = 0.702.
  CHECK(wb::efficacy_workday(p, 0.7, 400, 500) == Approx(0.702));
  // Achievement is capped at 1 and is 0 when nothing is expected.
  CHECK(wb::efficacy_workday(p, 0.7, 900, 500) == Approx(0.706));
  CHECK(wb::efficacy_workday(p, 0.7, 400, 0) == Approx(0.686));
  // e = 0.6, R = 1, D = 0.8, x = 0.3: 0.6 + 0.02 x (1 x 1.8 x 0.4 - 2 x 0.3 x 0.6) = 0.6 + 0.02 x 0.36 = 0.6072.
  CHECK(wb::engagement_workday(p, 0.6, 0.8, 1.0, 0.3) == Approx(0.6072));
}

TEST_CASE("wellbeing: performance falls with exhaustion and moves with engagement around the baseline's", "[unit][wellbeing]") {
  const auto p = defaults();  // performance_loss 0.2, engagement_performance 0.5
  // At the baseline's engagement (0.74) only exhaustion acts: 1 - 0.2 x 0.5 = 0.9.
  CHECK(wb::performance(p, 0.5, 0.74) == Approx(0.9));
  // Engaged (0.94): x (1 + 0.5 x 0.2) = 1.1; disengaged (0.34): x (1 - 0.5 x 0.4) = 0.8.
  CHECK(wb::performance(p, 0.0, 0.94) == Approx(1.1));
  CHECK(wb::performance(p, 0.5, 0.34) == Approx(0.9 * 0.8));
  // Never negative, and switched off at 0.
  auto q = p;
  q.engagement_performance = 5.0;
  CHECK(wb::performance(q, 0.0, 0.0) == 0.0);
  q.engagement_performance = 0.0;
  CHECK(wb::performance(q, 0.0, 0.1) == 1.0);
}

TEST_CASE("wellbeing: days off recover exhaustion and cynicism", "[unit][wellbeing]") {
  const auto p = defaults();
  CHECK(wb::exhaustion_day_off(p, 0.4) == Approx(0.38));  // 5% a day
  CHECK(wb::cynicism_day_off(p, 0.4) == Approx(0.396));   // 1% a day
  auto q = p;
  q.recovery_rate_day_off = 3;  // above 1: 0, not negative
  CHECK(wb::exhaustion_day_off(q, 0.4) == 0.0);
}

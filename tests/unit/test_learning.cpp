// Proficiency, skill and trust (docs/model.md 7.12, engine/src/model/learning.hpp) on hand-built
// inputs.
#include <catch2/catch.hpp>

#include "learning.hpp"

using Catch::Detail::Approx;
namespace lrn = kpisim::detail::learning;

TEST_CASE("learning: proficiency closes the gap to 1 with AI hours and learning hours", "[unit][learning]") {
  const kpisim::Learning p{};
  // 0.5 + (0.01 x 5 + 0.05 x 1) x 0.5 = 0.55.
  CHECK(lrn::proficiency(p, 0.5, 5, 1) == Approx(0.55));
  CHECK(lrn::proficiency(p, 0.5, 0, 0) == 0.5);
  CHECK(lrn::proficiency(p, 1.0, 8, 2) == 1.0);
}

TEST_CASE("learning: skill grows with manual practice towards the person's potential and erodes with AI hours", "[unit][learning]") {
  const kpisim::Learning p{};
  // A novice at 0.5 with potential 1: 0.5 + 0.0015 x 4 x (1 - 0.5) - 0.0001 x 4 x 0.5 = 0.5028.
  CHECK(lrn::skill(p, 0.5, 1.0, 4, 4) == Approx(0.5028));
  // An experienced worker at her potential gains nothing from practice; AI hours erode.
  CHECK(lrn::skill(p, 1.2, 1.2, 8, 0) == 1.2);
  CHECK(lrn::skill(p, 1.2, 1.2, 4, 4) == Approx(1.2 - 0.0001 * 4 * 1.2));
  // Months of full-time manual work: a novice closes 1 - exp(-1.5) ~ 78% of the gap in 1,000 hours
  // (about six months), never passing the potential.
  double s = 0.5;
  for (int d = 0; d < 125; ++d) s = lrn::skill(p, s, 1.0, 8, 0);
  CHECK(s == Approx(1.0 - 0.5 * std::pow(1.0 - 0.012, 125)));
  CHECK(1.0 - s == Approx(0.5 * std::exp(-1.5)).epsilon(0.01));
  for (int d = 0; d < 2000; ++d) s = lrn::skill(p, s, 1.0, 8, 0);
  CHECK(s <= 1.0);
  // The crossover: with m manual and a AI hours a day skill tends to potential p m / (p m + e a).
  const double m = 2.3;
  const double a = 5.1;
  const double fixed = 1.4 * 0.0015 * m / (0.0015 * m + 0.0001 * a);
  CHECK(lrn::skill(p, fixed, 1.4, m, a) == Approx(fixed).epsilon(1e-12));
  CHECK(lrn::skill(p, fixed + 0.1, 1.4, m, a) < fixed + 0.1);
  CHECK(lrn::skill(p, fixed - 0.1, 1.4, m, a) > fixed - 0.1);
  // Bounds: never below 0.05, never above the potential.
  auto q = p;
  q.skill_erosion_rate = 1;
  CHECK(lrn::skill(q, 0.5, 1.0, 0, 8) == 0.05);
  q = p;
  q.skill_practice_rate = 1;
  CHECK(lrn::skill(q, 1.9, 2.0, 8, 0) == Approx(2.0));
}

TEST_CASE("learning: trust moves towards the share of AI output seen without error", "[unit][learning]") {
  const kpisim::Learning p{};
  // 10 AI tasks of the division's mean error rate (rel_used 1), 1 caught, 2 passed of which half
  // come back: seen errors 2 of 10, seen_ok 0.8; rate min(1, 0.02 x 10) = 0.2: 0.9 + 0.2 x (0.8 - 0.9) = 0.88.
  CHECK(lrn::trust(p, 0.9, 10, 1, 2, 0.5, 1.0) == Approx(0.88));
  // Workslop handed on stays unseen: with workslop share 1 the passed errors do not count.
  CHECK(lrn::trust(p, 0.9, 10, 1, 2, 1.0, 1.0) == Approx(0.9));
  // No AI use: unchanged.
  CHECK(lrn::trust(p, 0.7, 0, 0, 0, 0.5, 1.0) == 0.7);
  // Many tasks: the rate is capped at 1 (trust jumps to what was seen).
  CHECK(lrn::trust(p, 0.2, 100, 0, 0, 0.5, 1.0) == Approx(1.0));
}

TEST_CASE("learning: trust reads the errors seen at the level of the division's mix", "[unit][learning]") {
  const kpisim::Learning p{};
  // She used AI only on tasks that err a quarter as often as her division's mix (rel_used 0.25) and
  // saw 1 error in 10 tasks: at the mix's level that is 0.1 / 0.25 = 0.4 erring, seen_ok 0.6;
  // 0.9 + 0.2 x (0.6 - 0.9) = 0.84. Read at face value (the bias this corrects) it would be 0.9.
  CHECK(lrn::trust(p, 0.9, 10, 1, 0, 0.5, 0.25) == Approx(0.84));
  // Tasks that err twice as often as the mix: the same error read as half as alarming.
  CHECK(lrn::trust(p, 0.9, 10, 1, 0, 0.5, 2.0) == Approx(0.9 + 0.2 * (0.95 - 0.9)));
  // Seen errors beyond the mix's scale saturate: seen_ok 0.
  CHECK(lrn::trust(p, 0.9, 10, 5, 0, 0.5, 0.25) == Approx(0.9 + 0.2 * (0.0 - 0.9)));
  // Tasks error-free by their nominal rates say nothing about the level: unchanged.
  CHECK(lrn::trust(p, 0.7, 10, 0, 0, 0.5, 0.0) == 0.7);
}

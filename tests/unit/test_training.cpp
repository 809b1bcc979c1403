// The `training` regime (docs/model.md 7.15.13): hours of AI training for everyone in scope, at most
// so many a working day, new hires too; and what the hours do in a whole run.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"
#include "regime_fixture.hpp"

using Catch::Matchers::Contains;

using namespace regime_fixture;

TEST_CASE("training: its parameters are checked with the policy's position", "[unit][training]") {
  REQUIRE_THAT(error_of("  p: {type: training, hours_per_day: 0}\n"), Contains("hours_per_day"));
  REQUIRE_THAT(error_of("  p: {type: training, hour: 5}\n"), Contains("did you mean 'hours'"));
  REQUIRE_THAT(error_of("  p: {type: training, scope: [c]}\n"), Contains("unknown division 'c'"));
  REQUIRE(error_of("  p: {type: training, hours: 16, hours_per_day: 4, start_day: 30, new_hires: false, scope: [b]}\n") == "no error");
}

TEST_CASE("training: the hours go to everyone in scope on working days from the start, at most so many a day, new hires too",
          "[unit][training]") {
  for (const bool onboarding : {true, false}) {
    INFO("new_hires " << onboarding);
    const auto spec = spec_of(std::string("  p: {type: training, hours: 5, hours_per_day: 2, start_day: 3, scope: [a], new_hires: ") +
                              (onboarding ? "true" : "false") + "}\n");
    kpisim::World w(spec);
    kpisim::Rng rng(1, 0);
    auto regime = regime_of(spec);
    const std::uint16_t a = division(spec, "a");
    std::size_t newcomer = 0;
    while (spec.division_of[newcomer] != a) ++newcomer;
    // Day 3 is a Thursday: 2 h, Friday 2 h, the weekend nothing, Monday the last hour, then nothing.
    const float expected[] = {0, 0, 0, 2, 2, 0, 0, 1, 0, 0, 0};
    for (int d = 0; d < 11; ++d) {
      INFO("day " << d);
      if (d == 8) w.hire_day[newcomer] = 8;  // replaced overnight: hired on day 8
      kpisim::RegimeContext ctx{spec, w, rng, d};
      w.clear_incentives();
      regime->apply(ctx, 1.0);
      REQUIRE(w.written(w.training) == (expected[d] > 0 || (onboarding && d >= 8 && d <= 10)));
      for (std::size_t i = 0; i < w.n; ++i) {
        INFO("slot " << i);
        float want = spec.division_of[i] == a ? expected[d] : 0.0F;
        // The newcomer's own 5 hours from her first working day (a Tuesday): 2, 2, then 1.
        if (i == newcomer && d >= 8) want = onboarding ? (d == 10 ? 1.0F : 2.0F) : 0.0F;
        REQUIRE(w.training[i] == want);
      }
      regime->end_of_day(ctx, 1.0);
    }
    std::vector<kpisim::KpiWeights> kw(spec.divisions.size());
    regime->kpi_by_division(3, 1.0, kw);
    for (const auto& x : kw) REQUIRE((x.tokens == 0 && x.sessions == 0 && x.outcome == 0));  // training is not a KPI
  }
}

TEST_CASE("training: trained people are more proficient and their beliefs nearer the truth, and no hours change nothing",
          "[unit][training]") {
  const auto spec = spec_of(
      "  none: {type: none}\n  trained: {type: training, hours: 16, hours_per_day: 4}\n"
      "  empty: {type: training, hours: 0}\n",
      "days: 56\nlearning: {perception_bias: 0.3}\n");
  const auto runs = run_all(spec);
  REQUIRE(runs[0].series.size() == runs[2].series.size());
  REQUIRE(std::memcmp(runs[0].series.data(), runs[2].series.data(), runs[0].series.size() * sizeof(double)) == 0);
  // 16 hours each over the first week: 4 h on each of days 0-3, none after.
  const std::size_t hours = variable("training_hours_per_fte");
  REQUIRE(runs[1].at(hours, 0) == Approx(4.0));
  REQUIRE(runs[1].at(hours, 3) == Approx(4.0));
  REQUIRE(runs[1].at(hours, 4) == 0.0);
  REQUIRE(runs[0].at(hours, 0) == 0.0);
  const double prof_none = mean_over(runs[0], "proficiency_mean", 7, 56);
  const double prof_trained = mean_over(runs[1], "proficiency_mean", 7, 56);
  INFO("proficiency: " << prof_none << " without, " << prof_trained << " with training");
  REQUIRE(prof_trained > prof_none + 0.1);
  // Beliefs are read on working days (NaN on weekends): compare the Mondays of weeks 2-8.
  double err_none = 0, err_trained = 0;
  for (int d = 7; d < 56; d += 7) {
    err_none += runs[0].at(variable("belief_error"), d);
    err_trained += runs[1].at(variable("belief_error"), d);
  }
  INFO("belief error: " << err_none / 7 << " without, " << err_trained / 7 << " with training");
  REQUIRE(err_trained < err_none);
}

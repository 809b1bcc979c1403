// The `usage_cap` regime (docs/model.md 7.15.10): leadership pleads with staff to stop using AI for
// its own sake, to everyone or to those its dashboard shows above a ceiling, heard with the
// credibility leadership has left.
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

namespace {

// A hybrid of policy `kpi` and a usage_cap component with the parameters `cap`.
std::string with_cap(const std::string& kpi, const std::string& cap) {
  return "{type: hybrid, components: [{weight: 1, policy: " + kpi + "}, {weight: 1, policy: {type: usage_cap, " + cap + "}}]}";
}

bool same_bits(const kpisim::RunResult& a, const kpisim::RunResult& b) {
  return a.series.size() == b.series.size() && std::memcmp(a.series.data(), b.series.data(), a.series.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("usage_cap: its parameters are checked with the policy's position", "[unit][usage_cap]") {
  REQUIRE_THAT(error_of("  p: {type: usage_cap, credibility: 1.5}\n"), Contains("credibility"));
  REQUIRE_THAT(error_of("  p: {type: usage_cap, plea_usd_per_houre: 5}\n"), Contains("did you mean 'plea_usd_per_hour'"));
  REQUIRE_THAT(error_of("  p: {type: usage_cap, scope: [c]}\n"), Contains("unknown division 'c'"));
  REQUIRE(error_of("  p: {type: usage_cap, tokens_per_day: 1.0e6, cadence: monthly, scope: [b], start_day: 30}\n") == "no error");
}

TEST_CASE("usage_cap: a plea to everyone is heard at credibility x (1 - cynicism), in scope and from its start day", "[unit][usage_cap]") {
  const auto spec = spec_of(
      "  p: {type: usage_cap, credibility: 0.8, plea_usd_per_hour: 10, plea_usd_per_script_day: 50, "
      "scope: [b], start_day: 2}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = regime_of(spec);
  std::uint16_t b_index = 0;
  while (spec.divisions[b_index].name != "b") ++b_index;
  for (std::size_t i = 0; i < w.n; ++i) w.cynicism[i] = static_cast<float>(i % 5) * 0.25F;
  for (int d = 0; d < 4; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 0.5);
    for (std::size_t i = 0; i < w.n; ++i) {
      INFO("day " << d << ", slot " << i);
      const bool heard = d >= 2 && spec.division_of[i] == b_index;
      const double c = w.cynicism[i];
      CHECK(w.inc_padding_penalty[i] == (heard ? static_cast<float>(0.5 * 10 * 0.8 * (1.0 - c)) : 0.0F));
      CHECK(w.inc_script_penalty[i] == (heard ? static_cast<float>(0.5 * 50 * 0.8 * (1.0 - c)) : 0.0F));
    }
    regime->end_of_day(ctx, 0.5);
  }
  // A fully cynical listener does not hear it at all.
  bool some_deaf = false;
  for (std::size_t i = 0; i < w.n; ++i)
    if (spec.division_of[i] == b_index && w.cynicism[i] == 1.0F) some_deaf = w.inc_padding_penalty[i] == 0.0F;
  REQUIRE(some_deaf);
  std::vector<kpisim::KpiWeights> kw(spec.divisions.size());
  regime->kpi_by_division(0, 1.0, kw);
  for (const auto& x : kw) REQUIRE((x.tokens == 0 && x.sessions == 0 && x.outcome == 0));  // a plea is not a KPI
}

TEST_CASE("usage_cap: with a ceiling the plea goes to those the dashboard showed above it at the last reading", "[unit][usage_cap]") {
  const auto spec = spec_of("  p: {type: usage_cap, tokens_per_day: 1000, plea_usd_per_hour: 10}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = regime_of(spec);
  const auto above = [](std::size_t i) { return i % 3 == 0; };
  for (int d = 0; d < 14; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    for (std::size_t i = 0; i < w.n; ++i) {
      INFO("day " << d << ", slot " << i);
      // Nobody before leadership's first reading (the end of day 6); then those above it.
      // Slot 3's successor (hired on day 9) is not addressed before a reading that sees her.
      const bool addressed = d >= 7 && above(i) && !(i == 3 && d >= 10);
      CHECK(w.inc_padding_penalty[i] == (addressed ? 10.0F : 0.0F));
    }
    // Measured tokens per calendar day: 1,001 for those above, 999 for the others, and 0 on
    // weekends for everyone but slot 0 (whose weekend use keeps its mean above the ceiling).
    const bool weekend = d % 7 >= 5;
    for (std::size_t i = 0; i < w.n; ++i)
      w.measured_tokens[i] = weekend ? (i == 0 ? 1001.0F * 7 / 2 : 0.0F) : (above(i) ? 1001.0F * 7 / 5 : 999.0F * 7 / 5);
    if (d == 9) w.hire_day[3] = 9;  // slot 3 is replaced: her successor has not been seen on the dashboard
    regime->end_of_day(ctx, 1.0);
    if (d == 9) {
      kpisim::RegimeContext next{spec, w, rng, d + 1};
      w.clear_incentives();
      regime->apply(next, 1.0);
      REQUIRE(w.inc_padding_penalty[3] == 0.0F);
      REQUIRE(w.inc_padding_penalty[6] == 10.0F);
      w.hire_day[3] = 9;
    }
  }
}

TEST_CASE("usage_cap: a plea beside a token leaderboard cuts performative use, and a plea nobody believes changes nothing",
          "[unit][usage_cap]") {
  const std::string lb = "{type: leaderboard, prize_usd: 400}";
  const auto spec = spec_of("  lb: " + lb + "\n  lb_plea: " + with_cap(lb, "plea_usd_per_hour: 40, plea_usd_per_script_day: 200") +
                                "\n  lb_deaf: " + with_cap(lb, "credibility: 0") + "\n",
                            "days: 84\n");
  const auto runs = run_all(spec);
  REQUIRE(same_bits(runs[0], runs[2]));  // bit for bit (the weekend's NaN diagnostics included)
  const double perf_lb = mean_over(runs[0], "tokens_performative", 28, 84);
  const double perf_plea = mean_over(runs[1], "tokens_performative", 28, 84);
  INFO("performative tokens a day: leaderboard " << perf_lb << ", with the plea " << perf_plea);
  REQUIRE(perf_lb > 0);
  REQUIRE(perf_plea < 0.5 * perf_lb);
}

TEST_CASE("usage_cap: a hard ceiling needs an allowance and a period of a week or longer", "[unit][usage_cap]") {
  REQUIRE_THAT(error_of("  p: {type: usage_cap, hard: true}\n"), Contains("a hard ceiling needs `tokens_per_day` above 0"));
  REQUIRE_THAT(error_of("  p: {type: usage_cap, hard: true, tokens_per_day: 1000, cadence: daily}\n"),
               Contains("a hard ceiling needs a weekly or longer period"));
  REQUIRE_THAT(error_of("  p: {type: usage_cap, hard: yes please, tokens_per_day: 1000}\n"), Contains("hard"));
  REQUIRE(error_of("  p: {type: usage_cap, hard: true, tokens_per_day: 1000, cadence: monthly, scope: [a]}\n") == "no error");
}

TEST_CASE("usage_cap: a hard ceiling refuses access once the period's allowance is spent, in scope, until the next period",
          "[unit][usage_cap]") {
  // 1,000 tokens a calendar day from day 3, weekly: the first week's allowance is 4 days' (days
  // 3-6), 4,000 tokens; the second's 7,000. Nobody is addressed by a plea (it is set to 0).
  const auto spec = spec_of(
      "  p: {type: usage_cap, tokens_per_day: 1000, hard: true, plea_usd_per_hour: 0, plea_usd_per_script_day: 0, "
      "scope: [b], start_day: 3}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = regime_of(spec);
  const std::uint16_t b = division(spec, "b");
  // Slot i's tokens a day, as the platform meters them: 0, 500, 1,000 or 1,500 (i % 4). The
  // dashboard shows something else (an audit's correction): the platform does not read it.
  const auto use = [](std::size_t i) { return 500.0F * static_cast<float>(i % 4); };
  std::size_t hired = w.n;  // a heavy user of b, replaced at the end of day 9
  for (std::size_t i = 0; i < w.n; ++i)
    if (spec.division_of[i] == b && i % 4 == 3) hired = i;
  REQUIRE(hired < w.n);
  for (int d = 0; d < 16; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    if (d < 5) REQUIRE_FALSE(w.written(w.no_seat));  // nobody refused: the column is not written
    for (std::size_t i = 0; i < w.n; ++i) {
      INFO("day " << d << ", slot " << i);
      // 1,500 a day spends 4,000 by the end of day 5 (refused on day 6) and 7,000 by the end of day
      // 11 (refused on days 12 and 13); 1,000 a day spends the allowance on its last day only; the
      // successor of day 10 starts her own count (6,000 by day 13: never refused).
      const bool heavy = spec.division_of[i] == b && i % 4 == 3;
      const bool refused = heavy && (d == 6 || ((d == 12 || d == 13) && i != hired));
      CHECK(w.no_seat[i] == (refused ? 1.0F : 0.0F));
      CHECK(w.inc_padding_penalty[i] == 0.0F);
    }
    for (std::size_t i = 0; i < w.n; ++i) {
      w.metered_tokens[i] = use(i);
      w.measured_tokens[i] = 0.0F;
    }
    if (d == 9) w.hire_day[hired] = 10;
    regime->end_of_day(ctx, 1.0);
  }
}

TEST_CASE("usage_cap: a hard ceiling only ever takes access away, and a weight of 0 is no ceiling", "[unit][usage_cap]") {
  const auto spec = spec_of("  p: {type: usage_cap, tokens_per_day: 1000, hard: true}\n");
  kpisim::World w(spec);
  kpisim::Rng rng(1, 0);
  auto regime = regime_of(spec);
  for (int d = 0; d < 2; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    for (std::size_t i = 0; i < w.n; ++i) w.metered_tokens[i] = i == 0 ? 1.0e5F : 0.0F;  // slot 0 spends the week's 7,000 on day 0
    regime->end_of_day(ctx, 1.0);
  }
  kpisim::RegimeContext ctx{spec, w, rng, 2};
  w.clear_incentives();
  regime->apply(ctx, 0.0);
  REQUIRE_FALSE(w.written(w.no_seat));
  // Another policy took slot 1's access away today: the ceiling leaves that standing.
  w.wrote(w.no_seat);
  w.no_seat[1] = 1.0F;
  regime->apply(ctx, 1.0);
  REQUIRE(w.no_seat[0] == 1.0F);
  REQUIRE(w.no_seat[1] == 1.0F);
  for (std::size_t i = 2; i < w.n; ++i) REQUIRE(w.no_seat[i] == 0.0F);
}

TEST_CASE("usage_cap: a hard ceiling stops a leaderboard's scripts, and one nobody reaches changes nothing", "[unit][usage_cap]") {
  const std::string lb = "{type: leaderboard, prize_usd: 400}";
  const std::string off = "plea_usd_per_hour: 0, plea_usd_per_script_day: 0";
  const auto spec = spec_of("  lb: " + lb + "\n  lb_cap: " + with_cap(lb, "tokens_per_day: 100000, hard: true, " + off) +
                                "\n  lb_loose: " + with_cap(lb, "tokens_per_day: 1.0e12, hard: true, " + off) + "\n",
                            "days: 84\n");
  const auto runs = run_all(spec);
  REQUIRE(same_bits(runs[0], runs[2]));  // a ceiling nobody reaches: bit for bit the leaderboard alone
  const double scripted_lb = mean_over(runs[0], "tokens_scripted", 28, 84);
  const double scripted_cap = mean_over(runs[1], "tokens_scripted", 28, 84);
  const double access = mean_over(runs[1], "licensed_share", 28, 84);
  INFO("scripted tokens a day: leaderboard " << scripted_lb << ", with the ceiling " << scripted_cap << "; licensed share " << access);
  REQUIRE(scripted_lb > 0);
  REQUIRE(scripted_cap < 0.5 * scripted_lb);
  REQUIRE(access < 1.0);
  REQUIRE(mean_over(runs[0], "licensed_share", 28, 84) == 1.0);
}

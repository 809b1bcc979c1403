// Regimes driven directly with synthetic measurements.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/rules.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"

namespace {

struct Fixture {
  explicit Fixture(const std::string& policy_yaml, int employees = 100, const std::string& extra = "")
      : spec(kpisim::ModelSpec::resolve(kpisim::load_scenario_text(
            extra + "organisation: {employees: " + std::to_string(employees) + ", team_size: 10}\npolicies:\n  p: " + policy_yaml + "\n",
            "t.yaml"))),
        world(spec),
        rng(1, 0),
        regime(spec.scenario.policies[0].config->instantiate(spec, whole_scope(spec))) {}

  void day(int d, double weight = 1.0) {
    kpisim::RegimeContext ctx{spec, world, rng, d};
    world.clear_incentives();
    regime->apply(ctx, weight);
    regime->end_of_day(ctx, weight);
  }

  kpisim::ModelSpec spec;
  kpisim::World world;
  kpisim::Rng rng;
  std::unique_ptr<kpisim::Regime> regime;
};

}  // namespace

TEST_CASE("leaderboard: the top share win each week, and incentives peak near the cutoff", "[unit][regimes]") {
  Fixture f("{type: leaderboard, top_share: 0.1, prize_usd: 100, status_usd: 0, bottom_share: 0.1, shame_usd: 0}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * (i + 1));
  for (int d = 0; d < 7; ++d) f.day(d);
  double paid = 0;
  int winners = 0;
  for (std::size_t i = 0; i < f.world.n; ++i)
    if (f.world.reward_usd[i] > 0) {
      ++winners;
      paid += f.world.reward_usd[i];
      REQUIRE(i >= 90);  // the ten highest
    }
  REQUIRE(winners == 10);
  REQUIRE(paid == Approx(1000.0));
  REQUIRE(f.world.shame[0] > 0);
  REQUIRE(f.world.shame[50] == 0);
  // Published on day 7: people near the cutoff feel the strongest pull.
  f.day(7);
  REQUIRE(f.world.inc_usage[89] > f.world.inc_usage[50]);
  REQUIRE(f.world.inc_usage[89] > f.world.inc_usage[99] * 0.99);
  REQUIRE(f.world.inc_usage[50] >= 0.0F);
}

TEST_CASE("leaderboard: equal scores rank by slot, and the winners and the shamed may overlap", "[unit][regimes]") {
  // Everyone uses the same: the lower slot ranks higher, so the winners are the first slots and the
  // shamed the last, however the selection (which places the two cutoffs one after the other) works.
  auto ranked = [](const std::string& shares, std::size_t first_winner_out, std::size_t first_shamed) {
    Fixture f("{type: leaderboard, prize_usd: 100, status_usd: 0, shame_usd: 0, " + shares + "}");
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = 5000.0F;
    for (int d = 0; d < 7; ++d) f.day(d);
    for (std::size_t i = 0; i < f.world.n; ++i) {
      INFO("slot " << i);
      REQUIRE((f.world.reward_usd[i] > 0) == (i < first_winner_out));
      REQUIRE((f.world.shame[i] > 0) == (i >= first_shamed));
    }
  };
  ranked("top_share: 0.1, bottom_share: 0.1", 10, 90);
  ranked("top_share: 0.6, bottom_share: 0.6", 60, 40);  // the cutoffs cross: 20 people win and are shamed
}

TEST_CASE("leaderboard at scale: the winners and the shamed are those of a full sort, ties and unrepresentative samples included",
          "[unit][regimes]") {
  // From 8,192 people the selection looks for each cutoff among the candidates a sample of the scores
  // brackets, and falls back on every score when the bracket misses: either way the sets of a sort.
  const std::size_t n = 20000;
  auto check = [&](const std::string& shares, auto tokens_of) {
    Fixture f("{type: leaderboard, prize_usd: 100, status_usd: 0, shame_usd: 0, " + shares + "}", static_cast<int>(n));
    REQUIRE(f.world.n == n);
    std::vector<std::pair<double, std::size_t>> order(n);
    for (std::size_t i = 0; i < n; ++i) {
      f.world.measured_tokens[i] = static_cast<float>(tokens_of(i));
      order[i] = {-static_cast<double>(f.world.measured_tokens[i]), i};  // higher first, then by slot
    }
    std::sort(order.begin(), order.end());
    for (int d = 0; d < 7; ++d) f.day(d);
    const double top_share = shares.find("top_share: 0.6") != std::string::npos ? 0.6 : 0.05;
    const double bottom_share = shares.find("bottom_share: 0.6") != std::string::npos ? 0.6 : 0.1;
    const auto n_top = static_cast<std::size_t>(std::ceil(top_share * static_cast<double>(n)));
    const auto n_bottom = static_cast<std::size_t>(std::floor(bottom_share * static_cast<double>(n)));
    std::vector<char> wins(n, 0), shamed(n, 0);
    for (std::size_t r = 0; r < n_top; ++r) wins[order[r].second] = 1;
    for (std::size_t r = n - n_bottom; r < n; ++r) shamed[order[r].second] = 1;
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < n; ++i) {
      mismatches += (f.world.reward_usd[i] > 0) != (wins[i] != 0) ? 1 : 0;
      mismatches += (f.world.shame[i] > 0) != (shamed[i] != 0) ? 1 : 0;
    }
    REQUIRE(mismatches == 0);
    REQUIRE(f.world.rewards_paid_today == Approx(100.0 * static_cast<double>(n_top)));
  };
  // Many ties (a third use nothing, the rest one of 97 levels), the sample representative.
  const auto tied = [](std::size_t i) { return i % 3 == 0 ? 0.0 : 100.0 * static_cast<double>((i * 7919) % 97); };
  check("top_share: 0.05, bottom_share: 0.1", tied);
  check("top_share: 0.6, bottom_share: 0.6", tied);  // the cutoffs cross
  // Every sampled slot (each 32nd) far above the rest: the sample's bracket misses both cutoffs.
  const auto skewed = [](std::size_t i) { return i % 32 == 0 ? 1e6 + static_cast<double>(i) : static_cast<double>(i % 1000); };
  check("top_share: 0.05, bottom_share: 0.1", skewed);
  // Everyone equal: ranked by slot.
  check("top_share: 0.05, bottom_share: 0.1", [](std::size_t) { return 5000.0; });
}

TEST_CASE("leaderboard: each person weighs more usage at her score without her own padding, bounded by the stake", "[unit][regimes]") {
  Fixture f("{type: leaderboard, top_share: 0.1, prize_usd: 70, status_usd: 0, bottom_share: 0, shame_usd: 0}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * (i + 1));
  // Person 0 scripts her way to the top of the board: 200000 measured tokens a day, all padding.
  f.world.measured_tokens[0] = 200000.0F;
  f.world.performative_tokens[0] = 199000.0F;
  for (int d = 0; d < 7; ++d) f.day(d);
  REQUIRE(f.world.reward_usd[0] > 0.0F);  // she won
  f.day(7);
  // Judged without her padding she stands where person 0 would stand (1000 a day), far below the
  // cutoff: like person 1 (2000 a day), not like a clear leader. The incentive does not flip with
  // her own script, so she has no reason to stop and restart week after week.
  REQUIRE(f.world.inc_usage[0] == Approx(f.world.inc_usage[1]).epsilon(0.5));
  REQUIRE(f.world.inc_usage[0] > 0.0F);
  // The stake bounds what a jump in usage can be worth: 70 USD a week, 10 USD a day.
  REQUIRE(f.world.inc_usage_cap[50] == Approx(10.0));
}

TEST_CASE("leaderboard: people expect the next cutoff adaptively from the published ones", "[unit][regimes]") {
  // Week 1: person i uses 1000 (i + 1) tokens a day; week 2: everyone ten times as much. The top 10
  // of 100 win: cutoffs (the best loser, rank 10) 7 x 90000 then 7 x 900000 tokens.
  auto strongest_pull = [](const std::string& rate) {
    Fixture f("{type: leaderboard, top_share: 0.1, prize_usd: 100, status_usd: 0, bottom_share: 0, shame_usd: 0, expectation_rate: " +
              rate + "}");
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * (i + 1));
    for (int d = 0; d < 7; ++d) f.day(d);
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(10000 * (i + 1));
    for (int d = 7; d < 14; ++d) f.day(d);
    f.day(14);
    // Week 3's incentive is strongest for whoever scored nearest the expected cutoff.
    std::size_t best = 0;
    for (std::size_t i = 0; i < f.world.n; ++i)
      if (f.world.inc_usage[i] > f.world.inc_usage[best]) best = i;
    return best;
  };
  // Losers are measured against the worst winner (rank 9: 91000 then 910000 a day), winners against
  // the best loser (rank 10: 90000 then 900000 a day), each expected adaptively.
  // Rate 1: the last ones: the best loser, person 89 (900000), is 10000 a day below the worst winner,
  // person 90 (910000), and person 90 as far above person 89: the same pull; the first slot is kept.
  CHECK(strongest_pull("1") == 89);
  // Rate 0.3: the worst winner expected at 91000 + 0.3 x (910000 - 91000) = 336700 a day, nearest
  // loser's week-2 score 10000 x 34: person 33 (the best loser expected at 90000 + 0.3 x (900000 -
  // 90000) = 333000 a day is far below every winner's score).
  CHECK(strongest_pull("0.3") == 33);
}

TEST_CASE("leaderboard: each person's contest, in units of her full script, for the script decision", "[unit][regimes]") {
  Fixture f("{type: leaderboard, top_share: 0.1, prize_usd: 70, status_usd: 0, bottom_share: 0, shame_usd: 0}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * (i + 1));
  f.world.script_scale[0] = 1.0F;  // a script of behaviour.script_tokens_per_day = 2,000,000 tokens a day
  f.world.script_scale[1] = 0.0F;  // no script at all: no contest
  for (int d = 0; d < 7; ++d) f.day(d);
  f.day(7);
  // Stake 70 USD a week: 10 a day. Person 0 lost: her rival is the worst winner (rank 9) at 7 x
  // 91000 = 637000; her score 7 x 1000. Her full script adds 7 x 2,000,000 to the week. Noise: 0.3 x
  // max(630000 (the cutoff: the best loser, rank 10), the floor 5 x 100000) = 189000 per score, x
  // sqrt 2 for the difference.
  CHECK(f.world.contest_stake[0] == Approx(10.0));
  CHECK(f.world.contest_gap[0] == Approx((637000.0 - 7000.0) / 14.0e6).epsilon(1e-6));
  CHECK(f.world.contest_sigma[0] == Approx(189000.0 * std::sqrt(2.0) / 14.0e6).epsilon(1e-6));
  CHECK(f.world.contest_stake[1] == 0.0F);
}

TEST_CASE("leaderboard with uniform noise: each person's incentive is the triangular density at her score", "[unit][regimes]") {
  // The per-person view of the race runs in vectorised loops with the noise model as a compile-time
  // constant: the uniform model must give what rules::contest_marginal gives person by person.
  Fixture f(
      "{type: leaderboard, top_share: 0.1, prize_usd: 70, status_usd: 0, bottom_share: 0, shame_usd: 0, noise: uniform, noise_cv: 1}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * (i + 1));
  f.world.script_scale[0] = 1.0F;  // a script of behaviour.script_tokens_per_day = 2,000,000 tokens a day
  f.world.script_scale[1] = 0.0F;  // no script at all: no contest
  for (int d = 0; d < 7; ++d) f.day(d);
  f.day(7);
  // Cutoff (the best loser, rank 10) 7 x 90000 = 630000; perceived noise 1 x 630000 (above the
  // floor 5 x 100000): a triangular density on [-1260000, 1260000] around each person's rival's
  // score: the best loser's for the winners (persons 90-99), the worst winner's (7 x 91000) for the rest.
  const double cut = 630000.0;
  const double worst_winner = 637000.0;
  int pulled = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    const double score = 7000.0 * static_cast<double>(i + 1);
    const double rival = i >= 90 ? cut : worst_winner;
    const double m = kpisim::rules::contest_marginal(70.0, score, rival, cut, kpisim::rules::ContestNoise::uniform);
    CHECK(f.world.inc_usage[i] == static_cast<float>(m));
    pulled += m > 0 ? 1 : 0;
  }
  CHECK(pulled == 100);  // everyone is within 1260000 of the cutoff
  // Person 0's contest: stake 10 a day, the gap to her rival (the worst winner) and the noise in units
  // of her full script (7 x 2,000,000 a week), the noise x sqrt 2 for the difference.
  CHECK(f.world.contest_stake[0] == Approx(10.0));
  CHECK(f.world.contest_gap[0] == Approx((worst_winner - 7000.0) / 14.0e6).epsilon(1e-6));
  CHECK(f.world.contest_sigma[0] == Approx(cut * std::sqrt(2.0) / 14.0e6).epsilon(1e-6));
  CHECK(f.world.contest_stake[1] == 0.0F);
}

TEST_CASE("leaderboard: each side of a cutoff is measured against its marginal rival across it (Lazear & Rosen)", "[unit][regimes]") {
  // Six people with chosen daily tokens; ranked: person 3 (8000), 5 (6000), 0 (5000), 2 (3000),
  // 4 (2000), 1 (1000). A winner's rival is the best loser, a loser's the worst winner; a person
  // spared shame has the best of the shamed as rival, a shamed person the worst of the spared. The
  // rivals below are read off that ranking by hand for three pairs of shares (n_top = ceil(share x 6),
  // n_bottom = floor(share x 6)): apart, adjacent, and crossing (people who win and are shamed).
  const std::array<double, 6> daily{5000, 1000, 3000, 8000, 2000, 6000};
  struct Case {
    std::string shares;
    std::array<double, 6> top_rival, bottom_rival;  // per person, daily tokens
  };
  const std::array<Case, 3> cases{
      // 2 winners {3, 5}: rivals 5000 (person 0) for them, 6000 (person 5) for the rest.
      // 2 shamed {4, 1}: rivals 3000 (person 2) for them, 2000 (person 4) for the rest.
      Case{"top_share: 0.3, bottom_share: 0.34", {6000, 6000, 6000, 5000, 6000, 5000}, {2000, 3000, 2000, 2000, 3000, 2000}},
      // 3 shamed {2, 4, 1}, right below the best loser: rivals 5000 (person 0) for them, 3000 (person 2) for the rest.
      Case{"top_share: 0.3, bottom_share: 0.5", {6000, 6000, 6000, 5000, 6000, 5000}, {3000, 5000, 5000, 3000, 5000, 3000}},
      // 4 winners {3, 5, 0, 2}: rivals 2000 (person 4) for them, 3000 (person 2) for the rest;
      // 3 shamed {2, 4, 1}: rivals 5000 (person 0) for them, 3000 (person 2) for the rest.
      Case{"top_share: 0.6, bottom_share: 0.6", {2000, 3000, 2000, 2000, 3000, 2000}, {3000, 5000, 5000, 3000, 5000, 3000}},
  };
  for (const Case& c : cases) {
    Fixture f("{type: leaderboard, prize_usd: 100, status_usd: 0, shame_usd: 50, noise_cv: 0.05, " + c.shares + "}", 6);
    for (std::size_t i = 0; i < 6; ++i) f.world.measured_tokens[i] = static_cast<float>(daily[i]);
    f.world.script_scale[0] = 1.0F;  // a script of behaviour.script_tokens_per_day = 2,000,000 tokens a day
    for (int d = 0; d < 7; ++d) f.day(d);
    f.day(7);
    // A week's scores: 7 x daily. Perceived noise 0.05 x the floor 5 x 100000 (above every cutoff).
    const double sigma = 0.05 * 500000.0;
    for (std::size_t i = 0; i < 6; ++i) {
      INFO(c.shares << ", person " << i);
      const double score = 7.0 * daily[i];
      const double m = kpisim::rules::contest_marginal(100.0, score, 7.0 * c.top_rival[i], sigma, kpisim::rules::ContestNoise::normal) +
                       kpisim::rules::contest_marginal(50.0, score, 7.0 * c.bottom_rival[i], sigma, kpisim::rules::ContestNoise::normal);
      CHECK(f.world.inc_usage[i] == Approx(m).epsilon(1e-6));
    }
    // Person 0's script could change her standing at the top more than at the bottom (her top rival
    // is nearer, at the larger stake): the gap to that rival in units of her full script (7 x 2,000,000).
    CHECK(f.world.contest_stake[0] == Approx(100.0 / 7.0));
    CHECK(f.world.contest_gap[0] == Approx(7.0 * (c.top_rival[0] - daily[0]) / 14.0e6).epsilon(1e-6));
  }
  // The defect this replaces: the best loser (person 0 in the first case) used to be measured against
  // her own score and felt the symmetric marginal W / (2 sigma sqrt pi) whatever her gap to the winners.
  Fixture f("{type: leaderboard, prize_usd: 100, status_usd: 0, shame_usd: 0, bottom_share: 0, noise_cv: 0.05, top_share: 0.3}", 6);
  for (std::size_t i = 0; i < 6; ++i) f.world.measured_tokens[i] = static_cast<float>(daily[i]);
  for (int d = 0; d < 7; ++d) f.day(d);
  f.day(7);
  const double symmetric = 100.0 / (2.0 * 25000.0 * std::sqrt(M_PI));
  CHECK(f.world.inc_usage[0] < symmetric * (1.0 - 1e-3));
  CHECK(f.world.inc_usage[0] == Approx(symmetric * std::exp(-0.25 * (7000.0 / 25000.0) * (7000.0 / 25000.0))).epsilon(1e-6));
  CHECK(f.world.inc_usage[0] == Approx(f.world.inc_usage[5]).epsilon(1e-6));  // the worst winner: the same gap
}

TEST_CASE("individual quota: each person's contest is reaching the target, in units of her full script", "[unit][regimes]") {
  Fixture f("{type: quota, level: individual, cadence: weekly, target_tokens_per_day: 1000, bonus_usd: 70}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = 100.0F;
  f.world.script_scale[0] = 0.5F;  // a script of 1,000,000 tokens a day
  f.world.measured_tokens[0] = 300.0F;
  f.world.performative_tokens[0] = 200.0F;  // of which her own padding: her attainment leaves it out
  for (int d = 0; d < 7; ++d) f.day(d);
  f.day(7);
  // Bonus 70 a week: 10 a day. Target 5 x 1000; her attainment without padding 7 x 100; her full
  // script adds 7 x 1,000,000. Noise 0.3 x max(5000, 5 x 100000).
  CHECK(f.world.contest_stake[0] == Approx(10.0));
  CHECK(f.world.contest_gap[0] == Approx((5000.0 - 700.0) / 7.0e6).epsilon(1e-6));
  CHECK(f.world.contest_sigma[0] == Approx(150000.0 / 7.0e6).epsilon(1e-6));
}

TEST_CASE("a sessions leaderboard ranks measured sessions and pays per session", "[unit][regimes]") {
  Fixture f("{type: leaderboard, metric: sessions, top_share: 0.1, prize_usd: 100, status_usd: 0, bottom_share: 0}");
  for (std::size_t i = 0; i < f.world.n; ++i) {
    f.world.measured_sessions[i] = static_cast<float>(f.world.n - i);  // the first ten lead on sessions
    f.world.measured_tokens[i] = static_cast<float>(i);                // and trail on tokens
  }
  for (int d = 0; d < 8; ++d) f.day(d);
  for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE(f.world.reward_usd[i] == (i < 10 ? 100.0F : 0.0F));
  REQUIRE(f.regime->kpi(0).sessions == 1.0);
  REQUIRE(f.regime->kpi(0).tokens == 0.0);
  REQUIRE(f.world.inc_usage[10] == 0.0F);
  REQUIRE(f.world.inc_sessions[10] > 0.0F);
}

TEST_CASE("individual quota pays when the period's usage reaches the target", "[unit][regimes]") {
  Fixture f("{type: quota, level: individual, cadence: weekly, target_tokens_per_day: 1000, bonus_usd: 50}");
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = i < 40 ? 1500.0F : 100.0F;  // per day
  for (int d = 0; d < 7; ++d) f.day(d);  // 7 days of measurement vs 5 working days of target
  for (std::size_t i = 0; i < f.world.n; ++i) REQUIRE(f.world.reward_usd[i] == (i < 40 ? 50.0F : 0.0F));
  f.day(7);
  REQUIRE(f.world.inc_usage[0] >= 0.0F);
}

TEST_CASE("leadership quota: each manager chooses her pressure from her bonus and her view of the unit's usage", "[unit][regimes]") {
  auto pressure_at = [](const std::string& bonus) {
    Fixture f("{type: quota, level: manager, target_tokens_per_day: 1000, monitoring_days: 1, bonus_usd: " + bonus + "}");
    std::fill(f.world.measured_tokens.begin(), f.world.measured_tokens.end(), 250.0F);
    for (int d = 0; d <= 7; ++d) f.day(d);  // revised on Monday, day 7, from Friday's usage: 250 of 1000
    double at_div = -1;
    for (std::size_t u = 0; u < f.spec.units.size(); ++u)
      if (f.spec.units[u].depth == 1) at_div = f.world.unit_pressure[u];
    // The manager's choice, worked out from the decision rule with the defaults (response 0.5,
    // cost 2000, max 3; perceived noise 0.3 x max(target, the reference usage 100000)).
    const kpisim::Managers m{};
    // Quarterly: 65 working days.
    const double expected = kpisim::rules::manager_pressure(std::stod(bonus) / 65.0, 0.0, 250.0, 1000.0, 0.3 * 100000.0,
                                                            m.pressure_response, m.pressure_cost_usd, m.max_pressure);
    REQUIRE(at_div == Approx(expected).margin(1e-6));
    return at_div;
  };
  CHECK(pressure_at("0") == 0.0);  // no bonus: no pressure (a zero incentive is no policy)
  const double small = pressure_at("500");
  const double large = pressure_at("50000");
  CHECK(small >= 0.0);
  CHECK(large > small);  // a bigger bonus means more pressure
}

TEST_CASE("leadership quota: each manager below the KPI chooses the pressure she passes on", "[unit][regimes]") {
  // Division heads hold the KPI (manager_depth 1); every manager below values her unit's usage, up
  // to the target, at pass_down_usd (96) x the pressure her own manager holds on her, in expectation
  // over the perceived noise (0.3 x max(target 1000, reference 1000) = 300), and pressure costs her
  // 30 p^2 / 2 (the defaults): rules::passed_pressure (tested in test_rules.cpp) from her parent's
  // pressure and her own unit's usage, as of the previous working day.
  Fixture f("{type: quota, level: manager, target_tokens_per_day: 1000, monitoring_days: 1, bonus_usd: 0, review_usd: 130000}", 400,
            "measurement: {kpi_reference_tokens: 1000}\n");
  // The first 100 people are above the target; the next 100 at 900 a day; the rest at 100.
  for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = i < 100 ? 1600.0F : (i < 200 ? 900.0F : 100.0F);
  for (int d = 0; d <= 7; ++d) f.day(d);  // revised on Monday, day 7, from Friday's usage
  const auto& units = f.spec.units;
  int below = 0;
  for (std::size_t u = 0; u < units.size(); ++u) {
    if (units[u].depth < 2) continue;
    ++below;
    double usage = 0.0;
    for (std::size_t i = units[u].first; i < units[u].end; ++i) usage += f.world.measured_tokens[i];
    usage /= static_cast<double>(units[u].end - units[u].first);
    const double above = f.world.unit_pressure[static_cast<std::size_t>(units[u].parent)];
    INFO("unit " << u << " depth " << units[u].depth << " usage " << usage << " above " << above);
    CHECK(above > 0.0);
    CHECK(f.world.unit_pressure[u] ==
          Approx(kpisim::rules::passed_pressure(96.0 * above, usage, 1000.0, 300.0, 0.5, 30.0, 3.0)).margin(1e-6));
    // Far below the target she passes on much of it (up to 96 x 0.5 / 30 = 1.6 times, less as the
    // rise she expects from her pressure nears the target); well past it, little.
    if (usage < 200) CHECK(f.world.unit_pressure[u] > 0.6 * above);
    if (usage > 1500) CHECK(f.world.unit_pressure[u] < 0.1 * above);
  }
  REQUIRE(below > 0);
  // The pressure is held through the week and revised on the next Monday (day 14), from the views
  // as of Friday: everyone now far past the target, so much less pressure.
  const std::vector<float> monday(f.world.unit_pressure.begin(), f.world.unit_pressure.end());
  std::fill(f.world.measured_tokens.begin(), f.world.measured_tokens.end(), 5000.0F);
  for (int d = 8; d <= 13; ++d) {
    f.day(d);
    for (std::size_t u = 0; u < units.size(); ++u) CHECK(f.world.unit_pressure[u] == monday[u]);
  }
  f.day(14);
  for (std::size_t u = 0; u < units.size(); ++u)
    if (units[u].depth >= 1) CHECK(f.world.unit_pressure[u] < 0.5F * monday[u]);
  // No pressure from above, none passed on: without a bonus or a review nobody holds any.
  Fixture g("{type: quota, level: manager, target_tokens_per_day: 1000, monitoring_days: 1, bonus_usd: 0}", 400);
  for (int d = 0; d <= 7; ++d) g.day(d);
  for (std::size_t u = 0; u < g.spec.units.size(); ++u) CHECK(g.world.unit_pressure[u] == 0.0F);
}

TEST_CASE("leadership quota: managers choose their pressure on the KPI's first day, even mid-week", "[unit][regimes]") {
  // A schedule brings the KPI in on a Wednesday (day 3): the managers do not wait for Monday.
  Fixture f(
      "{type: schedule, phases: [{start_day: 3, policy: {type: quota, level: manager, target_tokens_per_day: 1000, "
      "monitoring_days: 1, bonus_usd: 0, review_usd: 130000}}]}",
      400, "measurement: {kpi_reference_tokens: 1000}\n");
  auto heads = [&] {
    double p = 0.0;
    for (std::size_t u = 0; u < f.spec.units.size(); ++u)
      if (f.spec.units[u].depth == 1) p += f.world.unit_pressure[u];
    return p;
  };
  for (int d = 0; d < 3; ++d) {
    f.day(d);
    CHECK(heads() == 0.0);
  }
  f.day(3);
  CHECK(heads() > 0.0);  // a view of 0 against the target: the review makes pressure worth its cost
}

TEST_CASE("outcome bonus is a linear slope paid on measured value", "[unit][regimes]") {
  Fixture f("{type: outcome, cadence: weekly, bonus_share: 0.25}");
  std::fill(f.world.measured_outcome.begin(), f.world.measured_outcome.end(), 100.0F);
  for (int d = 0; d < 7; ++d) f.day(d);
  REQUIRE(f.world.inc_outcome[3] == Approx(0.25));
  REQUIRE(f.world.reward_usd[3] == Approx(0.25 * 700));
}

TEST_CASE("audits deter ex ante, filter the audited and fine what they find", "[unit][regimes]") {
  Fixture f("{type: audit, cadence: weekly, probability: 0.5, detection: 0.8, penalty_usd_per_hour: 10, cost_hours: 1}", 1000);
  std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), 1.0F);
  for (int d = 0; d < 14; ++d) f.day(d);
  // Her perceived chance of audit after one period end (day 6): the announced 0.5 weighted as 10
  // periods, and whether that selection chose her (she is under audit now: filtered).
  const double chosen = f.world.perf_filter[0] > 0 ? 1.0 : 0.0;
  REQUIRE(f.world.inc_padding_penalty[0] == Approx((0.5 * 10 + chosen) / 11 * 0.8 * 10));
  int filtered = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) filtered += f.world.perf_filter[i] > 0 ? 1 : 0;
  REQUIRE(filtered > 400);
  REQUIRE(filtered < 600);
  double fines = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) fines -= f.world.reward_usd[i];
  REQUIRE(fines > 0);
}

TEST_CASE("hybrid scales its components by their weights", "[unit][regimes]") {
  Fixture f(
      "{type: hybrid, components: [{weight: 0.5, policy: {type: outcome, bonus_share: 0.2}}, {weight: 2, policy: {type: outcome, "
      "bonus_share: 0.1}}]}");
  f.day(0);
  REQUIRE(f.world.inc_outcome[0] == Approx(0.5 * 0.2 + 2 * 0.1));
  REQUIRE(f.regime->kpi(0).outcome == Approx(2.5));
}

TEST_CASE("schedule switches regimes on and off on their days", "[unit][regimes]") {
  Fixture f("{type: schedule, phases: [{start_day: 2, end_day: 4, policy: {type: outcome, bonus_share: 0.3}}]}");
  f.day(1);
  REQUIRE(f.world.inc_outcome[0] == 0.0F);
  REQUIRE(f.regime->kpi(1).outcome == 0.0);
  f.day(2);
  REQUIRE(f.world.inc_outcome[0] == Approx(0.3));
  REQUIRE(f.regime->kpi(3).outcome == 1.0);
  f.day(4);
  REQUIRE(f.world.inc_outcome[0] == 0.0F);
}

TEST_CASE("clear_incentives clears the incentive columns marked written: each regime marks what it writes", "[unit][regimes]") {
  // Every regime that writes per-person incentives, alone and in a hybrid: after a day the next
  // clear leaves every incentive column zero (a column written without World::wrote would keep its
  // values: checked builds throw in clear_incentives, release builds would carry them over).
  for (const std::string policy :
       {"{type: leaderboard, cadence: weekly}", "{type: leaderboard, metric: sessions}", "{type: quota, level: individual}",
        "{type: outcome}", "{type: audit, probability: 0.5}",
        "{type: hybrid, components: [{weight: 0.5, policy: {type: leaderboard}}, {weight: 0.5, policy: {type: quota}}]}"}) {
    CAPTURE(policy);
    Fixture f(policy);
    bool any = false;
    for (int d = 0; d < 21; ++d) {
      f.day(d);
      for (const auto* c : {&f.world.inc_usage, &f.world.inc_sessions, &f.world.inc_usage_cap, &f.world.inc_outcome,
                            &f.world.inc_padding_penalty, &f.world.inc_script_penalty, &f.world.contest_stake})
        for (const float x : *c) any = any || x != 0.0F;
    }
    REQUIRE(any);  // the regime wrote something (else the check below is empty)
    f.world.clear_incentives();
    for (const auto* c : {&f.world.inc_usage, &f.world.inc_sessions, &f.world.inc_usage_cap, &f.world.contest_stake, &f.world.contest_gap,
                          &f.world.contest_sigma, &f.world.inc_outcome, &f.world.inc_padding_penalty, &f.world.inc_script_penalty,
                          &f.world.perf_filter, &f.world.perf_removed})
      for (const float x : *c) REQUIRE(x == 0.0F);
  }
  // A column written and marked is cleared; one written without the mark is not (release) or is
  // refused (checked builds).
  Fixture f("{type: none}");
  f.world.inc_usage[3] = 2.0F;
  f.world.wrote(f.world.inc_usage);
  f.world.clear_incentives();
  CHECK(f.world.inc_usage[3] == 0.0F);
  f.world.inc_outcome[5] = 1.0F;
#ifdef KPISIM_CHECKS
  CHECK_THROWS_AS(f.world.clear_incentives(), kpisim::InvariantError);
  CHECK_THROWS_AS(f.world.wrote(f.world.skill), kpisim::InvariantError);  // not an incentive column
#else
  f.world.clear_incentives();
  CHECK(f.world.inc_outcome[5] == 1.0F);
#endif
}

TEST_CASE("World::written: after apply, every incentive column not marked is +0 (the pass reads zeros for it)", "[unit][regimes]") {
  // The per-person pass reads the scratch's zeros instead of an incentive column nobody marked
  // today (incentive_rows in chunk.hpp): the same values only if such a column is all +0 then.
  for (const std::string policy :
       {"{type: none}", "{type: leaderboard, cadence: weekly}", "{type: leaderboard, metric: sessions}", "{type: quota, level: individual}",
        "{type: quota, level: manager}", "{type: outcome}", "{type: audit, probability: 0.5}",
        "{type: hybrid, components: [{weight: 1, policy: {type: outcome}}, {weight: 1, policy: {type: audit, probability: 0.1}}]}"}) {
    CAPTURE(policy);
    Fixture f(policy);
    bool marked = false;
    bool unmarked = false;
    for (int d = 0; d < 21; ++d) {
      kpisim::RegimeContext ctx{f.spec, f.world, f.rng, d};
      f.world.clear_incentives();
      f.regime->apply(ctx, 1.0);
      for (const auto* c : {&f.world.inc_usage, &f.world.inc_sessions, &f.world.inc_usage_cap, &f.world.contest_stake, &f.world.contest_gap,
                            &f.world.contest_sigma, &f.world.inc_outcome, &f.world.inc_padding_penalty, &f.world.inc_script_penalty,
                            &f.world.perf_filter, &f.world.perf_removed}) {
        if (f.world.written(*c)) {
          marked = true;
          continue;
        }
        unmarked = true;
        for (const float x : *c) REQUIRE((x == 0.0F && !std::signbit(x)));
      }
      // The pass would run here; measurements for the regime's end of day.
      for (std::size_t i = 0; i < f.world.n; ++i) f.world.measured_tokens[i] = static_cast<float>(1000 * ((i * 7 + d) % 13));
      f.regime->end_of_day(ctx, 1.0);
    }
    CHECK(unmarked);
    // (None writes nothing; the manager-level quota only the units' pressure, no per-person column.)
    CHECK(marked == (policy != "{type: none}" && policy != "{type: quota, level: manager}"));
  }
  // The marks: set by wrote, cleared by clear_incentives.
  Fixture f("{type: none}");
  CHECK_FALSE(f.world.written(f.world.inc_usage));
  f.world.wrote(f.world.inc_usage);
  CHECK(f.world.written(f.world.inc_usage));
  CHECK_FALSE(f.world.written(f.world.inc_outcome));
  f.world.clear_incentives();
  CHECK_FALSE(f.world.written(f.world.inc_usage));
#ifdef KPISIM_CHECKS
  CHECK_THROWS_AS(static_cast<void>(f.world.written(f.world.skill)), kpisim::InvariantError);  // not an incentive column
#endif
}

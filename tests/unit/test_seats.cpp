// The `seats` regime (docs/model.md 7.15.11): a fixed number of AI licences, split among divisions
// by leadership and given within each division to its heaviest users; without a seat no assistant.
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

std::vector<std::size_t> seats_by_division(const kpisim::ModelSpec& spec, const kpisim::World& w) {
  std::vector<std::size_t> out(spec.divisions.size(), 0);
  for (std::size_t i = 0; i < w.n; ++i)
    if (w.no_seat[i] == 0.0F) out[spec.division_of[i]] += 1;
  return out;
}

}  // namespace

TEST_CASE("seats: its parameters are checked with the policy's position", "[unit][seats]") {
  REQUIRE_THAT(error_of("  p: {type: seats, licences: 10, cadence: daily}\n"),
               Contains("policies.p.cadence: daily reallocation is not supported"));
  REQUIRE_THAT(error_of("  p: {type: seats, allocation: beleived_value}\n"), Contains("did you mean 'believed_value'"));
  REQUIRE_THAT(error_of("  p: {type: seats, licences: -1}\n"), Contains("licences"));
  REQUIRE(error_of("  p: {type: seats, licences: 10, allocation: usage, cadence: monthly, scope: [b], start_day: 7}\n") == "no error");
}

TEST_CASE("seats: leadership splits the licences among divisions by headcount or by what their heads believe", "[unit][seats]") {
  kpisim::Rng rng(1, 0);
  SECTION("even") {
    const auto spec = spec_of("  p: {type: seats, licences: 30, allocation: even}\n");
    kpisim::World w(spec);
    auto regime = regime_of(spec);
    kpisim::RegimeContext ctx{spec, w, rng, 0};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    REQUIRE(seats_by_division(spec, w) == std::vector<std::size_t>{15, 15});
  }
  SECTION("believed value, and a division never gets more seats than people") {
    const auto spec = spec_of("  p: {type: seats, licences: 60, cadence: weekly}\n");
    kpisim::World w(spec);
    auto regime = regime_of(spec);
    const std::size_t a = head_of(spec, "a"), b = head_of(spec, "b");
    const std::size_t da = static_cast<std::size_t>(spec.units[a].division), db = static_cast<std::size_t>(spec.units[b].division);
    w.unit_manager_belief[a] = 30.0F;
    w.unit_manager_belief[b] = 10.0F;
    for (int d = 0; d < 14; ++d) {
      kpisim::RegimeContext ctx{spec, w, rng, d};
      w.clear_incentives();
      regime->apply(ctx, 1.0);
      const auto seats = seats_by_division(spec, w);
      INFO("day " << d);
      if (d < 7) {
        // 60 x 3/4 = 45 is more than a's 40 people: a takes 40, b the other 20.
        CHECK(seats[da] == 40);
        CHECK(seats[db] == 20);
      } else {
        // Re-read at the end of day 6: b's head now believes more.
        CHECK(seats[da] == 20);
        CHECK(seats[db] == 40);
      }
      regime->end_of_day(ctx, 1.0);
      if (d == 5) {
        w.unit_manager_belief[a] = 10.0F;
        w.unit_manager_belief[b] = 30.0F;
      }
    }
  }
  SECTION("nobody believes AI adds anything: by headcount") {
    const auto spec = spec_of("  p: {type: seats, licences: 20}\n");
    kpisim::World w(spec);
    auto regime = regime_of(spec);
    w.unit_manager_belief[head_of(spec, "a")] = -5.0F;
    w.unit_manager_belief[head_of(spec, "b")] = 0.0F;
    kpisim::RegimeContext ctx{spec, w, rng, 0};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    REQUIRE(seats_by_division(spec, w) == std::vector<std::size_t>{10, 10});
  }
}

TEST_CASE("seats: within a division, and organisation-wide under `usage`, the heaviest users on the dashboard keep them", "[unit][seats]") {
  kpisim::Rng rng(1, 0);
  const auto spec = spec_of("  p: {type: seats, licences: 30, allocation: usage, cadence: weekly, scope: [b]}\n");
  kpisim::World w(spec);
  auto regime = regime_of(spec);
  std::uint16_t b_index = 0;
  while (spec.divisions[b_index].name != "b") ++b_index;
  for (int d = 0; d < 8; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    std::size_t held = 0;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (spec.division_of[i] != b_index) {
        REQUIRE(w.no_seat[i] == 0.0F);  // outside the scope: untouched
        continue;
      }
      held += w.no_seat[i] == 0.0F ? 1 : 0;
    }
    REQUIRE(held == 30);
    for (std::size_t i = 0; i < w.n; ++i) w.measured_tokens[i] = static_cast<float>(i);
    regime->end_of_day(ctx, 1.0);
  }
  // After the first reading (end of day 6): b's 30 heaviest users, its highest slots.
  std::vector<std::size_t> b_slots;
  for (std::size_t i = 0; i < w.n; ++i)
    if (spec.division_of[i] == b_index) b_slots.push_back(i);
  for (std::size_t q = 0; q < b_slots.size(); ++q) REQUIRE((w.no_seat[b_slots[q]] == 0.0F) == (q >= b_slots.size() - 30));
}

TEST_CASE("seats: without a licence nobody uses the assistants, and a licence for everyone changes nothing", "[unit][seats]") {
  const auto spec = spec_of(
      "  none: {type: none}\n  all: {type: seats, licences: 80, allocation: usage}\n  nobody: {type: seats, licences: 0}\n"
      "  half: {type: seats, licences: 40, allocation: even}\n"
      "  lb: {type: leaderboard, prize_usd: 400}\n"
      "  lb_half: {type: hybrid, components: [{weight: 1, policy: {type: leaderboard, prize_usd: 400}}, "
      "{weight: 1, policy: {type: seats, licences: 40}}]}\n",
      "days: 56\n");
  const auto runs = run_all(spec);
  REQUIRE(runs[0].series.size() == runs[1].series.size());
  REQUIRE(std::memcmp(runs[0].series.data(), runs[1].series.data(), runs[0].series.size() * sizeof(double)) == 0);
  // Nobody: no assistant tokens, no AI hours, and no scripts even under a prize.
  const double tok_none = mean_over(runs[0], "tokens_productive", 7, 56);
  REQUIRE(tok_none > 0);
  REQUIRE(mean_over(runs[2], "tokens_productive", 0, 56) == 0.0);
  REQUIRE(mean_over(runs[2], "ai_hours_per_fte", 0, 56) == 0.0);
  REQUIRE(mean_over(runs[2], "learning_hours_per_fte", 0, 56) == 0.0);
  // The share holding a licence, as written: 1 without a policy, 0.5 with 40 licences for 80 people.
  for (int d = 0; d < 56; ++d) {
    REQUIRE(runs[0].at(variable("licensed_share"), d) == 1.0);
    REQUIRE(runs[2].at(variable("licensed_share"), d) == 0.0);
    REQUIRE(runs[3].at(variable("licensed_share"), d) == 0.5);
  }
  // Half the licences: about half the AI use.
  const double half = mean_over(runs[3], "tokens_productive", 7, 56) / tok_none;
  INFO("tokens with half the licences / with all: " << half);
  REQUIRE(half > 0.35);
  REQUIRE(half < 0.65);
  // Under a leaderboard, only the licensed pad and script.
  const double perf_lb = mean_over(runs[4], "tokens_performative", 14, 56);
  const double perf_half = mean_over(runs[5], "tokens_performative", 14, 56);
  INFO("performative tokens: leaderboard " << perf_lb << ", with half the licences " << perf_half);
  REQUIRE(perf_lb > 0);
  REQUIRE(perf_half < perf_lb);
  REQUIRE(mean_over(runs[5], "scripting_share", 14, 56) <= 0.5);
}

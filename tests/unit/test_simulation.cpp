// The daily cycle: invariants, determinism across threads and execution paths, common random
// numbers across policies.
#include <tbb/global_control.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/simulation.hpp"

namespace {

const char* kScenario = R"(
seed: 99
days: 70
organisation:
  employees: 5000
  team_size: 7
  divisions:
    admin: {share: 1, task_mix: {minutes: 1, correspondence: 1, admissions: 1, it_hr_request: 1}}
    eng: {share: 1, task_mix: {software: 2, software_mature: 1, summary: 1}}
output: {snapshot_every: 7, snapshot_sample: 20}
policies:
  none: {type: none}
  leaderboard: {type: leaderboard}
  quota: {type: quota, level: individual, target_tokens_per_day: 120000}
  leadership: {type: quota, level: manager, target_tokens_per_day: 200000}
  outcome: {type: hybrid, components: [{weight: 1, policy: {type: outcome, bonus_share: 0.3}}, {weight: 1, policy: {type: audit, probability: 0.3}}]}
  switched_off: {type: schedule, phases: [{start_day: 0, end_day: 35, policy: {type: leaderboard}}]}
)";

kpisim::ModelSpec make_spec() {
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(kScenario, "test.yaml"));
}

kpisim::RunResult run(const kpisim::ModelSpec& spec, std::size_t policy, kpisim::RunOptions opt = {}, std::uint32_t rep = 0) {
  kpisim::Simulation sim(spec, policy, rep, opt);
  for (int d = 0; d < spec.scenario.days; ++d) sim.step();
  return sim.take_result();
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

double total(const kpisim::RunResult& r, const char* var) {
  double s = 0;
  const auto v = kpisim::daily_index(var);
  for (int d = 0; d < r.days; ++d) s += r.at(v, d);
  return s;
}

}  // namespace

TEST_CASE("every regime runs with all invariants checked", "[unit][simulation]") {
  const auto spec = make_spec();
  for (std::size_t p = 0; p < spec.scenario.policies.size(); ++p) {
    INFO("policy " << spec.scenario.policies[p].name);
    const auto r = run(spec, p);  // KPISIM_CHECK throws in checked builds
    for (int d = 0; d < r.days; ++d) {
      REQUIRE(r.at(kpisim::daily_index("headcount"), d) == 5000);
      const double hours = r.at(kpisim::daily_index("hours_per_fte"), d);
      double parts = 0;
      for (const char* v : {"manual_hours_per_fte", "ai_hours_per_fte", "verification_hours_per_fte", "cleanup_hours_per_fte",
                            "performative_hours_per_fte", "learning_hours_per_fte"})
        parts += r.at(kpisim::daily_index(v), d);
      REQUIRE(hours == Approx(parts).epsilon(1e-9));
      if (d % 7 >= 5) REQUIRE(hours == 0.0);
      for (const char* v : {"tokens_productive", "tokens_rework", "tokens_performative", "true_value_per_fte", "token_cost_usd"})
        REQUIRE(r.at(kpisim::daily_index(v), d) >= 0.0);
      for (const char* v : {"ai_task_share", "burnout_share", "scripting_share", "mandate_share", "performative_kpi_share"}) {
        const double x = r.at(kpisim::daily_index(v), d);
        REQUIRE(x >= 0.0);
        REQUIRE(x <= 1.0);
      }
    }
    REQUIRE(r.snapshot_days.size() == 10);
    REQUIRE(r.snapshot_agents.size() == 20);
  }
}

TEST_CASE("the day's incentive columns are zeroed at its end, alongside the regime's close", "[unit][simulation]") {
  // Simulation::step zeroes the incentive columns the regime wrote at the end of the day (with the
  // regime's close and the managers' beliefs), so between days every one is +0 and none is marked;
  // the next morning's clear_incentives checks it (checked builds) and the regime writes afresh.
  const auto spec = make_spec();
  for (std::size_t p = 0; p < spec.scenario.policies.size(); ++p) {
    INFO("policy " << spec.scenario.policies[p].name);
    for (const bool serial : {false, true}) {
      kpisim::RunOptions opt;
      opt.serial = serial;
      kpisim::Simulation sim(spec, p, 0, opt);
      for (int d = 0; d < 9; ++d) {
        sim.step();
        const kpisim::World& w = sim.world();
        for (const auto* c : {&w.inc_usage, &w.inc_sessions, &w.inc_usage_cap, &w.contest_stake, &w.contest_gap, &w.contest_sigma,
                              &w.inc_outcome, &w.inc_padding_penalty, &w.inc_script_penalty, &w.perf_filter, &w.perf_removed}) {
          REQUIRE_FALSE(w.written(*c));
          REQUIRE(std::all_of(c->begin(), c->end(), [](float x) { return x == 0.0F && !std::signbit(x); }));
        }
      }
    }
  }
}

TEST_CASE("results are bit-identical for 1, 2 and 4 threads and the serial path", "[determinism]") {
  const auto spec = make_spec();
  for (std::size_t p : {std::size_t{1}, std::size_t{4}}) {
    const auto serial = run(spec, p, kpisim::RunOptions{true});
    for (std::size_t threads : {1, 2, 4}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
      const auto par = run(spec, p);
      INFO("policy " << p << " threads " << threads);
      REQUIRE(same_bits(serial.series, par.series));
      REQUIRE(same_bits(serial.unit_series, par.unit_series));
      REQUIRE(serial.snapshots.size() == par.snapshots.size());
      REQUIRE(std::memcmp(serial.snapshots.data(), par.snapshots.data(), serial.snapshots.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("policies share the workforce and luck (common random numbers)", "[unit][simulation]") {
  const auto spec = make_spec();
  kpisim::Simulation a(spec, 0, 0), b(spec, 1, 0), c(spec, 0, 1);
  REQUIRE(a.world().skill == b.world().skill);
  REQUIRE(a.world().integrity == b.world().integrity);
  REQUIRE(a.world().skill != c.world().skill);  // another replication draws another workforce
}

TEST_CASE("directions of the regimes on a common workforce", "[unit][simulation]") {
  const auto spec = make_spec();
  const auto none = run(spec, 0);
  const auto lb = run(spec, 1);
  const auto off = run(spec, 5);
  REQUIRE(total(none, "tokens_performative") == 0.0);
  REQUIRE(total(none, "rewards_usd") == 0.0);
  REQUIRE(total(lb, "tokens_performative") > 0.0);
  REQUIRE(total(lb, "rewards_usd") > 0.0);
  // The switched-off leaderboard pays nothing after day 35.
  double late = 0;
  for (int d = 36; d < off.days; ++d) late += off.at(kpisim::daily_index("rewards_usd"), d);
  REQUIRE(late == 0.0);
}

TEST_CASE("a policy writing every incentive column at once runs with all invariants checked, on any thread count", "[unit][simulation]") {
  // Every column the pass reads is prefetched (person_pass.cpp, Rows): with every regime of a
  // hybrid writing its incentives on the same day the list is at its longest (a list too short for
  // it once wrote past its end in release builds and hung the pass).
  const auto spec = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(R"(
seed: 5
days: 21
organisation:
  employees: 300
  divisions:
    admin: {share: 1, task_mix: {minutes: 1, correspondence: 1, it_hr_request: 1}}
    eng: {share: 1, task_mix: {software: 2, summary: 1}}
policies:
  everything:
    type: hybrid
    components:
      - {weight: 1, policy: {type: leaderboard, prize_usd: 2000, top_share: 0.5}}
      - {weight: 1, policy: {type: leaderboard, metric: sessions}}
      - {weight: 1, policy: {type: quota, level: individual, target_tokens_per_day: 120000}}
      - {weight: 1, policy: {type: outcome, bonus_share: 0.3}}
      - {weight: 1, policy: {type: audit, cadence: daily, probability: 0.3}}
      - {weight: 1, policy: {type: usage_cap, tokens_per_day: 50000, hard: true}}
      - {weight: 1, policy: {type: seats, licences: 200}}
      - {weight: 1, policy: {type: training}}
      - {weight: 1, policy: {type: compute_budget, usd_per_period: 100000}}
      - {weight: 1, policy: {type: mandate}}
)",
                                                                          "everything.yaml"));
  std::vector<double> first;
  for (std::size_t threads : {1, 2}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    const auto r = run(spec, 0);  // KPISIM_CHECK throws in checked builds
    INFO("threads " << threads);
    REQUIRE(total(r, "tokens_performative") > 0);
    REQUIRE(total(r, "training_hours_per_fte") > 0);
    if (first.empty())
      first = r.series;
    else
      REQUIRE(same_bits(first, r.series));
  }
}

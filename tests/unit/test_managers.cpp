// The managers' submodels (docs/model.md 7.1 and 7.17, engine/src/model/managers.cpp) on a
// hand-built organisation: mandates under the pressure each manager holds, what each manager observes of her own
// unit and how her beliefs move.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "managers.hpp"
#include "person_pass.hpp"

using Catch::Detail::Approx;
namespace mg = kpisim::detail::managers;

namespace {
kpisim::ModelSpec org() {
  // 2 divisions of 16, teams of 4, span 2: per division 4 teams, 2 departments, 1 division unit.
  auto s = kpisim::load_scenario_text(
      "organisation:\n  employees: 32\n  team_size: 4\n  span: 2\n  divisions:\n    a: {share: 1}\n    b: {share: 1}\n", "org.yaml");
  return kpisim::ModelSpec::resolve(s);
}
std::vector<std::size_t> division_units(const kpisim::ModelSpec& spec) {
  std::vector<std::size_t> du(spec.divisions.size());
  for (std::size_t u = 0; u < spec.units.size(); ++u)
    if (spec.units[u].depth == 1) du[static_cast<std::size_t>(spec.units[u].division)] = u;
  return du;
}
}  // namespace

TEST_CASE("managers: a division head's own pressure reaches only her division, and pressure makes mandates", "[unit][managers]") {
  const auto spec = org();
  kpisim::World w(spec);
  const auto du = division_units(spec);
  // She holds pressure 2 on her division; the managers below her chose to pass on 1.2 of it.
  for (std::size_t u = 0; u < spec.units.size(); ++u)
    if (spec.units[u].division == 0 && spec.units[u].depth >= 2) w.unit_pressure[u] = 1.2F;
  w.unit_pressure[du[0]] = 2.0F;
  const std::size_t k = w.k;
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), 150.0F);  // every manager's
  // Stake 100 USD a person-day per unit of pressure; beliefs 0 everywhere: the head of division a
  // (pressure 2: 200 > 150) mandates every task type of the mix for all her teams, although her
  // teams feel only 1.2 (120 < 150); division b feels nothing.
  mg::team_mandates(spec, 100.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const auto& u = spec.units[spec.team_units[t]];
    CHECK(w.team_pressure[t] == Approx(u.division == 0 ? 1.2 : 0.0));
    CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(u.division == 0 ? 1.0 : 0.0));
    for (std::size_t q = 0; q < k; ++q)
      CHECK(w.unit_task_mandate[spec.team_units[t] * k + q] == (u.division == 0 && spec.divisions[0].mix[q] > 0 ? 1 : 0));
  }
  // Stake 70: 2 x 70 = 140 < 150, no mandate; with a belief of 20 on one task type, 160 > 150: that one.
  std::size_t first = k;
  for (std::size_t q = 0; q < k && first == k; ++q)
    if (spec.divisions[0].mix[q] > 0) first = q;
  REQUIRE(first < k);
  w.unit_task_belief[du[0] * k + first] = 20.0F;  // the division head's own belief
  mg::team_mandates(spec, 70.0, w);
  double mix_total = 0.0;
  for (std::size_t q = 0; q < k; ++q) mix_total += spec.divisions[0].mix[q];
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const auto& u = spec.units[spec.team_units[t]];
    for (std::size_t q = 0; q < k; ++q) CHECK(w.unit_task_mandate[spec.team_units[t] * k + q] == (u.division == 0 && q == first ? 1 : 0));
    CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(u.division == 0 ? spec.divisions[0].mix[first] / mix_total : 0.0));
  }
  // A team manager's own pressure counts as well: pressure 3 on one team only (300 > 150).
  std::fill(w.unit_pressure.begin(), w.unit_pressure.end(), 0.0F);
  w.unit_pressure[spec.team_units.back()] = 3.0F;
  w.unit_task_belief[du[0] * k + first] = 0.0F;
  mg::team_mandates(spec, 100.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t)
    CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(t + 1 == spec.team_units.size() ? 1.0 : 0.0));
  // The threshold -1e9: every task type of the mix, whatever she believes and whatever the pressure.
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), -1e9F);
  w.unit_pressure[spec.team_units.back()] = 0.0F;
  for (std::size_t u = 0; u < spec.units.size(); ++u) w.unit_task_belief[u * k + first] = -500.0F;
  mg::team_mandates(spec, 100.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(1.0));
}

TEST_CASE("managers: a division head mandates AI for the task types she believes pay, from her people's reports", "[unit][managers]") {
  const auto spec = org();
  kpisim::World w(spec);
  kpisim::detail::PassState ps(spec);
  const auto du = division_units(spec);
  const std::size_t k = w.k;
  const std::size_t n = spec.employees;
  kpisim::Managers m{};  // mandate_belief_usd 150, belief_rate 0.05: a week's rate 1 - 0.95^5
  const double weekly = 1.0 - std::pow(0.95, 5.0);
  // Division 1's people report 1000 USD per AI-assisted day on its first task type and 100 on the
  // others; division 0's report 100 on everything.
  std::size_t first = k;
  for (std::size_t t = 0; t < k; ++t)
    if (spec.divisions[1].mix[t] > 0) {
      first = t;
      break;
    }
  REQUIRE(first < k);
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t i = 0; i < n; ++i) ps.report[t * n + i] = spec.division_of[i] == 1 && t == first ? 1000.0F : 100.0F;
  const std::vector<mg::KpiView> none(spec.divisions.size(), mg::KpiView{});
  mg::UnitSums sums;
  mg::unit_sums(spec, w, ps, none.data(), false, true, sums);
  CHECK(sums.headcount[du[1]] == 16.0);
  CHECK(sums.reports[du[1] * k + first] == Approx(16 * 1000.0));
  const double weighted = mg::update_beliefs(spec, m, none.data(), true, sums, true, w);
  double mix_total = 0.0;
  for (std::size_t t = 0; t < k; ++t) mix_total += spec.divisions[1].mix[t];
  // Every manager of division 1 (its head, its department heads, its team managers) hears the same.
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    if (spec.units[u].division != 1) continue;
    for (std::size_t t = 0; t < k; ++t)
      if (spec.divisions[1].mix[t] > 0) CHECK(w.unit_task_belief[u * k + t] == Approx((t == first ? 1000.0 : 100.0) * weekly));
  }
  // The reported aggregate is the head's mix-weighted belief; the output weighs the division heads by headcount.
  const double head1 = (spec.divisions[1].mix[first] * 1000.0 + (mix_total - spec.divisions[1].mix[first]) * 100.0) / mix_total * weekly;
  CHECK(w.unit_manager_belief[du[1]] == Approx(head1));
  CHECK(weighted == Approx(16 * head1 + 16 * 100.0 * weekly));
  // Without pressure: 1000 x 0.226 = 226 > 150 on that task type only; 100 x 0.226 = 22.6 elsewhere.
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), static_cast<float>(m.mandate_belief_usd));
  mg::team_mandates(spec, 160.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const auto& u = spec.units[spec.team_units[t]];
    for (std::size_t q = 0; q < k; ++q) CHECK(w.unit_task_mandate[spec.team_units[t] * k + q] == (u.division == 1 && q == first ? 1 : 0));
    CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(u.division == 1 ? spec.divisions[1].mix[first] / mix_total : 0.0));
  }
}

TEST_CASE("managers: each manager believes what her own unit shows her, and mandates for it alone", "[unit][managers]") {
  // Division a: 16 people in 4 teams of 4 (slots 0-3, 4-7, 8-11, 12-15), 2 departments of 2 teams.
  const auto spec = org();
  kpisim::World w(spec);
  kpisim::detail::PassState ps(spec);
  const auto du = division_units(spec);
  const std::size_t k = w.k;
  const std::size_t n = spec.employees;
  const kpisim::Managers m{};
  const double weekly = 1.0 - std::pow(0.95, 5.0);
  const std::size_t team0 = spec.team_units[0];
  const auto dept0 = static_cast<std::size_t>(spec.units[team0].parent);
  REQUIRE(spec.units[team0].first == 0);
  REQUIRE(spec.units[team0].end == 4);
  REQUIRE(spec.units[dept0].depth == 2);
  REQUIRE(spec.units[dept0].end == 8);
  std::size_t first = k;
  for (std::size_t t = 0; t < k && first == k; ++t)
    if (spec.divisions[0].mix[t] > 0) first = t;
  REQUIRE(first < k);
  // Reports: the first team says 1000 USD on the first task type, everyone else 100.
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t i = 0; i < n; ++i) ps.report[t * n + i] = i < 4 && t == first ? 1000.0F : 100.0F;
  const std::vector<mg::KpiView> none(spec.divisions.size(), mg::KpiView{});
  mg::UnitSums sums;
  mg::unit_sums(spec, w, ps, none.data(), false, true, sums);
  mg::update_beliefs(spec, m, none.data(), true, sums, true, w);
  CHECK(w.unit_task_belief[team0 * k + first] == Approx(1000.0 * weekly));                          // 226
  CHECK(w.unit_task_belief[dept0 * k + first] == Approx((4 * 1000.0 + 4 * 100.0) / 8 * weekly));    // 124
  CHECK(w.unit_task_belief[du[0] * k + first] == Approx((4 * 1000.0 + 12 * 100.0) / 16 * weekly));  // 73
  CHECK(w.unit_task_belief[spec.team_units[1] * k + first] == Approx(100.0 * weekly));
  // Only the first team's manager passes the threshold of 150: only her team works under a mandate.
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), 150.0F);
  mg::team_mandates(spec, 160.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t)
    for (std::size_t q = 0; q < k; ++q) CHECK(w.unit_task_mandate[spec.team_units[t] * k + q] == (t == 0 && q == first ? 1 : 0));
  // A token dashboard: the first team's people show 400,000 measured tokens a day, everyone else
  // none. At 0.5 USD per thousand tokens her team's dashboard says 200 USD per FTE-day, the
  // department's 100, the division's 50; a day moves each belief 5% of the way from 0.
  kpisim::World w2(spec);
  for (std::size_t i = 0; i < n; ++i) w2.measured_tokens[i] = i < 4 ? 400000.0F : 0.0F;
  const std::vector<mg::KpiView> tokens(spec.divisions.size(), mg::KpiView{1, 0, 0, false});
  mg::unit_sums(spec, w2, ps, tokens.data(), true, false, sums);
  mg::update_beliefs(spec, m, tokens.data(), true, sums, false, w2);
  CHECK(w2.unit_manager_belief[team0] == Approx(10.0));
  CHECK(w2.unit_manager_belief[dept0] == Approx(5.0));
  CHECK(w2.unit_manager_belief[du[0]] == Approx(2.5));
  CHECK(w2.unit_manager_belief[spec.team_units[1]] == 0.0F);
  CHECK(w2.unit_manager_belief[du[1]] == 0.0F);
}

TEST_CASE("managers: one manager mandates for her unit and those below it, by her own threshold", "[unit][managers]") {
  const auto spec = org();
  kpisim::World w(spec);
  const std::size_t k = w.k;
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), 150.0F);
  // A department of division a (depth 2) under pressure 2 (stake 100: 200 > 150); her teams hold none.
  std::size_t dept = spec.units.size();
  for (std::size_t u = 0; u < spec.units.size() && dept == spec.units.size(); ++u)
    if (spec.units[u].depth == 2 && spec.units[u].division == 0) dept = u;
  REQUIRE(dept < spec.units.size());
  w.unit_pressure[dept] = 2.0F;
  mg::team_mandates(spec, 100.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const bool below = spec.units[spec.team_units[t]].parent == static_cast<std::int32_t>(dept);
    CHECK(w.unit_mandate_share[spec.team_units[t]] == Approx(below ? 1.0 : 0.0));
  }
  // The same pressure on a manager more reluctant than most (threshold 250): nothing.
  w.unit_mandate_threshold[dept] = 250.0F;
  mg::team_mandates(spec, 100.0, w);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) CHECK(w.unit_mandate_share[spec.team_units[t]] == 0.0F);
  (void)k;
}

TEST_CASE("managers: thresholds are drawn once per manager around mandate_belief_usd", "[unit][managers]") {
  auto sc = kpisim::load_scenario_text(
      "organisation:\n  employees: 4000\n  team_size: 4\nmanagers: {mandate_belief_usd: 150, mandate_belief_sd: 50}\n", "org.yaml");
  const auto spec = kpisim::ModelSpec::resolve(sc);
  kpisim::World w(spec);
  const kpisim::Rng rng(7, 0);
  mg::draw_thresholds(spec, rng, w);
  double sum = 0.0;
  double sq = 0.0;
  const auto n = static_cast<double>(spec.units.size());  // 1,000 teams and the units above them
  for (const float t : w.unit_mandate_threshold) {
    sum += t;
    sq += (t - 150.0) * (t - 150.0);
  }
  CHECK(std::abs(sum / n - 150.0) < 4 * 50.0 / std::sqrt(n));
  CHECK(std::sqrt(sq / n) == Approx(50.0).epsilon(0.1));
  // Another replication, other managers; sd 0: all alike.
  kpisim::World w2(spec);
  mg::draw_thresholds(spec, kpisim::Rng(7, 1), w2);
  CHECK(w2.unit_mandate_threshold != w.unit_mandate_threshold);
  // Mean 20, sd 50: about a third of the draws would fall below 0; none does (nobody is eager to
  // impose what she believes adds nothing), and some sit exactly at 0.
  sc.managers.mandate_belief_usd = 20.0;
  const auto spec20 = kpisim::ModelSpec::resolve(sc);
  kpisim::World w20(spec20);
  mg::draw_thresholds(spec20, rng, w20);
  std::size_t at_zero = 0;
  for (const float t : w20.unit_mandate_threshold) {
    CHECK(t >= 0.0F);
    at_zero += t == 0.0F ? 1 : 0;
  }
  CHECK(at_zero > spec20.units.size() / 5);
  // A negative mean (a scenario that wants mandates whatever anyone believes) is its own floor.
  sc.managers.mandate_belief_usd = -1e9;
  const auto specn = kpisim::ModelSpec::resolve(sc);
  kpisim::World wn(specn);
  mg::draw_thresholds(specn, rng, wn);
  for (const float t : wn.unit_mandate_threshold) CHECK(t <= -1e9F + 1000.0F);
  sc.managers.mandate_belief_usd = 150.0;
  sc.managers.mandate_belief_sd = 0.0;
  const auto spec0 = kpisim::ModelSpec::resolve(sc);
  kpisim::World w0(spec0);
  mg::draw_thresholds(spec0, rng, w0);
  for (const float t : w0.unit_mandate_threshold) CHECK(t == 150.0F);
}

TEST_CASE("managers: what a manager's dashboard shows depends on the KPI in force", "[unit][managers]") {
  // A dashboard entry is built from what the organisation measures and what people say, nothing
  // else: it reads only measured columns and the outcome credit, never a true value. Ten people: 100k tokens, 4 sessions, a measured value
  // of 530 and a credit of -480 each (they say AI added 20 and that they produced 500).
  const kpisim::Managers m{};  // 0.5 USD per thousand tokens, 2.5 USD per session
  const mg::KpiView tokens{1, 0, 0, false};
  const mg::KpiView sessions{0, 1, 0, false};
  const mg::KpiView outcome{0, 0, 1, false};
  const auto spec = org();
  kpisim::World w(spec);
  kpisim::detail::PassState ps(spec);
  w.measured_tokens[0] = 1.0e5F;
  w.measured_sessions[0] = 4.0F;
  w.measured_outcome[0] = 530.0F;
  ps.outcome_credit[0] = -480.0F;
  w.measured_outcome[1] = 500.0F;  // a second person: the dashboard shows exactly what she says she produced
  ps.outcome_credit[1] = -480.0F;
  CHECK(mg::dashboard_entry(tokens, w, ps, 0) == Approx(1.0e5));
  CHECK(mg::dashboard_entry(sessions, w, ps, 0) == Approx(4.0));
  CHECK(mg::dashboard_entry(outcome, w, ps, 0) == Approx(50.0));
  CHECK(mg::observed_ai_value(m, tokens, 10, 10 * 1.0e5) == Approx(50));  // 100 ktok x 0.5
  CHECK(mg::observed_ai_value(m, sessions, 10, 10 * 4.0) == Approx(10));  // 4 x 2.5
  // The outcome dashboard's excess over what they say they produced, 30, is credited to AI, + 20.
  CHECK(mg::observed_ai_value(m, outcome, 10, 10 * 50.0) == Approx(50));
  // With the dashboard exactly what people say they produced, she reads what they say AI adds: 20.
  CHECK(mg::observed_ai_value(m, outcome, 10, 10 * mg::dashboard_entry(outcome, w, ps, 1)) == Approx(20));
}

TEST_CASE("managers: beliefs move towards the dashboard on working days, and back towards the reports once it has ended",
          "[unit][managers]") {
  const auto spec = org();
  kpisim::World w(spec);
  kpisim::detail::PassState ps(spec);
  const std::size_t k = w.k;
  const kpisim::Managers m{};  // belief_rate 0.05, 0.5 USD per thousand tokens
  // Division a's people show 80,000 measured tokens (40 USD per FTE-day as read from the
  // dashboard), division b's 40,000 (20).
  for (std::size_t i = 0; i < spec.employees; ++i) w.measured_tokens[i] = spec.division_of[i] == 0 ? 80000.0F : 40000.0F;
  const std::vector<mg::KpiView> tokens(spec.divisions.size(), mg::KpiView{1, 0, 0, false});
  mg::UnitSums sums;
  mg::unit_sums(spec, w, ps, tokens.data(), true, false, sums);
  const double weighted = mg::update_beliefs(spec, m, tokens.data(), true, sums, false, w);
  const auto du = division_units(spec);
  // The dashboard cannot tell task types apart: every task type moves alike, for every manager.
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    if (spec.units[u].depth < 1) continue;
    const auto dv = static_cast<std::size_t>(spec.units[u].division);
    for (std::size_t t = 0; t < k; ++t)
      if (spec.divisions[dv].mix[t] > 0) CHECK(w.unit_task_belief[u * k + t] == Approx(dv == 0 ? 2.0 : 1.0));  // 0 + 0.05 x 40 or 20
  }
  CHECK(w.unit_manager_belief[du[0]] == Approx(2.0));
  CHECK(w.unit_manager_belief[du[1]] == Approx(1.0));
  CHECK(weighted == Approx(16 * 2.0 + 16 * 1.0));
  mg::update_beliefs(spec, m, tokens.data(), false, sums, false, w);
  CHECK(w.unit_manager_belief[du[0]] == Approx(2.0));  // a day off: unchanged
  // Without a KPI (it has ended), the level she read fades towards what her people say (nothing
  // yet: 0), 5% a working day; on a day off nothing moves.
  const std::vector<mg::KpiView> none(spec.divisions.size(), mg::KpiView{});
  mg::update_beliefs(spec, m, none.data(), false, sums, false, w);
  CHECK(w.unit_manager_belief[du[0]] == Approx(2.0));
  mg::update_beliefs(spec, m, none.data(), true, sums, false, w);
  CHECK(w.unit_manager_belief[du[0]] == Approx(1.9));
}

TEST_CASE("managers: under a KPI the dashboard gives the level and her people's reports the task types, so mandates come task by task",
          "[unit][managers]") {
  const auto spec = org();
  kpisim::World w(spec);
  kpisim::detail::PassState ps(spec);
  const auto du = division_units(spec);
  const std::size_t k = w.k;
  const std::size_t n = spec.employees;
  kpisim::Managers m{};  // belief_rate 0.05, 0.5 USD per thousand tokens, dashboard_weight 1
  const double weekly = 1.0 - std::pow(0.95, 5.0);
  // Division a's mix: its people report 400 USD per AI-assisted day on its first task type, 0 on the others.
  std::size_t first = k;
  double mix_total = 0.0;
  for (std::size_t t = 0; t < k; ++t) {
    mix_total += spec.divisions[0].mix[t];
    if (first == k && spec.divisions[0].mix[t] > 0) first = t;
  }
  REQUIRE(first < k);
  REQUIRE(spec.divisions[0].mix[first] < mix_total);  // there are other task types in the mix
  const double pi = spec.divisions[0].mix[first] / mix_total;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t i = 0; i < n; ++i) ps.report[t * n + i] = t == first ? 400.0F : 0.0F;
  // No KPI yet: a plan day's reports. She has read no dashboard (its level is NaN).
  const std::vector<mg::KpiView> none(spec.divisions.size(), mg::KpiView{});
  mg::UnitSums sums;
  mg::unit_sums(spec, w, ps, none.data(), false, true, sums);
  mg::update_beliefs(spec, m, none.data(), true, sums, true, w);
  const std::size_t head = du[0];
  const double rep_first = 400.0 * weekly;
  CHECK(w.unit_task_belief[head * k + first] == Approx(rep_first));
  CHECK(std::isnan(w.unit_dashboard[head]));
  // A token KPI comes into force. Her people show 600,000 measured tokens a day: at 0.5 USD per
  // thousand, 300 USD per FTE-day. Her view of the level moves 5% of the way from where her people
  // put it; her belief on each task type is what they report for it, shifted by the gap.
  for (std::size_t i = 0; i < n; ++i) w.measured_tokens[i] = 600000.0F;
  const std::vector<mg::KpiView> tokens(spec.divisions.size(), mg::KpiView{1, 0, 0, false});
  mg::unit_sums(spec, w, ps, tokens.data(), true, false, sums);
  mg::update_beliefs(spec, m, tokens.data(), true, sums, false, w);
  const double level = pi * rep_first + 0.05 * (300.0 - pi * rep_first);
  CHECK(w.unit_dashboard[head] == Approx(level));
  CHECK(w.unit_task_belief[head * k + first] == Approx(rep_first + (level - pi * rep_first)));
  std::size_t other = k;
  for (std::size_t t = 0; t < k && other == k; ++t)
    if (t != first && spec.divisions[0].mix[t] > 0) other = t;
  REQUIRE(other < k);
  CHECK(w.unit_task_belief[head * k + other] == Approx(level - pi * rep_first));
  CHECK(w.unit_manager_belief[head] == Approx(level));  // the mix-weighted belief is the dashboard's level
  // Under pressure she mandates the task type her people say AI helps on, not the others.
  std::fill(w.unit_mandate_threshold.begin(), w.unit_mandate_threshold.end(), 150.0F);
  w.unit_pressure[head] = 0.5F;  // + 80 USD per person-day
  mg::team_mandates(spec, 160.0, w);
  const double b_first = rep_first + (level - pi * rep_first);
  REQUIRE(b_first + 80.0 > 150.0);
  REQUIRE(level - pi * rep_first + 80.0 < 150.0);
  CHECK(w.unit_task_mandate[head * k + first] == 1);
  CHECK(w.unit_task_mandate[head * k + other] == 0);
  CHECK(w.unit_mandate_share[head] == Approx(pi));
  // The KPI ends. Her memory of the dashboard's level fades towards what her people say, 5% a
  // working day (no jump), and not on a day off.
  mg::unit_sums(spec, w, ps, none.data(), false, false, sums);
  mg::update_beliefs(spec, m, none.data(), false, sums, false, w);
  CHECK(w.unit_dashboard[head] == Approx(level));
  mg::update_beliefs(spec, m, none.data(), true, sums, false, w);
  const double faded = level + 0.05 * (pi * rep_first - level);
  CHECK(w.unit_dashboard[head] == Approx(faded));
  CHECK(w.unit_task_belief[head * k + first] == Approx(rep_first + (faded - pi * rep_first)));
  CHECK(w.unit_task_belief[head * k + other] == Approx(faded - pi * rep_first));
  // dashboard_weight 0: she ignores the dashboard, and believes what her people say.
  kpisim::World w0(spec);
  m.dashboard_weight = 0.0;
  mg::unit_sums(spec, w0, ps, none.data(), false, true, sums);
  mg::update_beliefs(spec, m, none.data(), true, sums, true, w0);
  for (std::size_t i = 0; i < n; ++i) w0.measured_tokens[i] = 600000.0F;
  mg::unit_sums(spec, w0, ps, tokens.data(), true, false, sums);
  mg::update_beliefs(spec, m, tokens.data(), true, sums, false, w0);
  CHECK(w0.unit_task_belief[head * k + first] == Approx(rep_first));
  CHECK(w0.unit_task_belief[head * k + other] == Approx(0.0).margin(1e-6));
}

TEST_CASE("managers: the unit sums made block by block in the pass, then the split teams, are unit_sums'", "[unit][managers]") {
  // The daily cycle sums each team wholly inside a block of the pass at the block's end
  // (team_sums_within) and the teams split between blocks after it (finish_unit_sums): the same bits.
  auto s = kpisim::load_scenario_text(
      "organisation:\n  employees: 5000\n  team_size: 7\n  divisions:\n    a: {share: 2}\n    b: {share: 3}\n", "org.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  kpisim::detail::PassState ps(spec);
  REQUIRE(!ps.split_teams.empty());  // teams of 7 straddle the blocks' boundaries
  kpisim::World w(spec);
  const std::size_t k = w.k;
  for (std::size_t i = 0; i < w.n; ++i) {
    w.measured_tokens[i] = static_cast<float>((i * 7919) % 1000) * 13.5F;
    w.measured_outcome[i] = static_cast<float>((i * 104729) % 977) * 0.37F;
    ps.outcome_credit[i] = static_cast<float>((i * 31) % 17) - 8.0F;
    for (std::size_t q = 0; q < k; ++q) ps.report[q * ps.employees + i] = static_cast<float>((i + 3 * q) % 29) * 1.1F;
  }
  for (const mg::KpiView one : {mg::KpiView{1, 0, 0, false}, mg::KpiView{0, 0, 1, false}})
    for (const bool reports : {false, true}) {
      const std::vector<mg::KpiView> by_division(spec.divisions.size(), one);
      const mg::KpiView* const kpi = by_division.data();
      mg::UnitSums whole, parts;
      mg::unit_sums(spec, w, ps, kpi, true, reports, whole);
      mg::start_unit_sums(spec, w, reports, parts);
      for (std::size_t lo = 0; lo < w.n; lo += kpisim::kBlock)
        mg::team_sums_within(spec, w, ps, kpi, true, reports, parts, lo, std::min(w.n, lo + kpisim::kBlock));
      mg::finish_unit_sums(spec, w, ps, kpi, true, reports, parts);
      CHECK(parts.headcount == whole.headcount);
      CHECK(parts.dashboard == whole.dashboard);
      CHECK(parts.reports == whole.reports);
      CHECK(whole.headcount.back() == 5000.0);  // the root (stored last)
    }
}

TEST_CASE("managers: the mandates and beliefs made block by block in the pass, then the rest, are team_mandates' and update_beliefs'",
          "[unit][managers]") {
  // The daily cycle decides the units above the teams and the teams split between blocks before the
  // pass, and the teams wholly inside a block at its start (team_mandates); it updates the beliefs of
  // the teams wholly inside a block at its end (team_beliefs_within), then those of the split teams
  // and of the units above (finish_beliefs): the same bits as the whole functions.
  auto s = kpisim::load_scenario_text(
      "organisation:\n  employees: 5000\n  team_size: 7\n  divisions:\n    a: {share: 2}\n    b: {share: 3}\n", "org.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  kpisim::detail::PassState ps(spec);
  REQUIRE(!ps.split_teams.empty());  // teams of 7 straddle the blocks' boundaries
  kpisim::World whole(spec);
  const std::size_t k = whole.k;
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    whole.unit_pressure[u] = static_cast<float>((u * 37) % 11) * 0.2F;
    whole.unit_mandate_threshold[u] = 60.0F + static_cast<float>((u * 53) % 13) * 10.0F;
    for (std::size_t q = 0; q < k; ++q) whole.unit_task_belief[u * k + q] = static_cast<float>((u * 7 + q * 3) % 19) * 4.0F;
  }
  for (std::size_t i = 0; i < whole.n; ++i) {
    whole.measured_tokens[i] = static_cast<float>((i * 7919) % 1000) * 13.5F;
    for (std::size_t q = 0; q < k; ++q) ps.report[q * ps.employees + i] = static_cast<float>((i + 3 * q) % 29) * 1.1F;
  }
  kpisim::World parts = whole;
  const mg::Mixes mixes = mg::division_mixes(spec);
  const auto same = [](const auto& a, const auto& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0;  // NaN included
  };
  const double stake = 40.0;
  const kpisim::Managers m{};
  std::size_t mandated = 0;
  // Four days: plan-day reports without a KPI, then a token KPI's dashboard, on working days and a day off.
  const struct {
    mg::KpiView kpi;
    bool workday, reports;
  } days[] = {{mg::KpiView{}, true, true},
              {mg::KpiView{1, 0, 0, false}, true, false},
              {mg::KpiView{1, 0, 0, false}, false, false},
              {mg::KpiView{1, 0, 0, false}, true, true}};
  for (const auto& day : days) {
    mg::team_mandates(spec, stake, whole);
    mg::mandates_above_teams(spec, mixes, stake, parts);
    for (const std::uint32_t t : ps.split_teams) mg::team_mandates(spec, mixes, stake, parts, t, t + 1);
    for (std::size_t lo = 0; lo < parts.n; lo += kpisim::kBlock) {
      const auto [t, t_end] = mg::teams_within(spec, lo, std::min(parts.n, lo + kpisim::kBlock));
      mg::team_mandates(spec, mixes, stake, parts, t, t_end);
    }
    CHECK(same(parts.unit_task_mandate, whole.unit_task_mandate));
    CHECK(same(parts.unit_mandate_share, whole.unit_mandate_share));
    CHECK(same(parts.team_pressure, whole.team_pressure));
    for (const float share : whole.unit_mandate_share) mandated += share > 0 ? 1 : 0;

    mg::UnitSums sums;
    const std::vector<mg::KpiView> kpi(spec.divisions.size(), day.kpi);
    mg::unit_sums(spec, whole, ps, kpi.data(), !day.kpi.none && day.workday, day.reports, sums);
    const double w_whole = mg::update_beliefs(spec, m, kpi.data(), day.workday, sums, day.reports, whole);
    const mg::BeliefDay bd = mg::begin_beliefs(spec, m, kpi.data(), day.workday, day.reports, parts);
    for (std::size_t lo = 0; lo < parts.n; lo += kpisim::kBlock)
      mg::team_beliefs_within(spec, mixes, bd, sums, parts, lo, std::min(parts.n, lo + kpisim::kBlock));
    mg::finish_beliefs(spec, mixes, bd, sums, ps.split_teams, parts);
    const double w_parts = mg::division_heads_belief(spec, sums, parts);
    CHECK(std::memcmp(&w_parts, &w_whole, sizeof w_whole) == 0);
    CHECK(same(parts.unit_task_belief, whole.unit_task_belief));
    CHECK(same(parts.unit_task_report, whole.unit_task_report));
    CHECK(same(parts.unit_dashboard, whole.unit_dashboard));
    CHECK(same(parts.unit_manager_belief, whole.unit_manager_belief));
    CHECK(parts.dashboards_read == whole.dashboards_read);
  }
  CHECK(mandated > 0);  // some managers mandate, so the rows are not all zeros
}

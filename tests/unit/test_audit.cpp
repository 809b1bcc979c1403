// The audit regime (docs/model.md 7.15.5) on hand-built worlds: detection is a draw (a sample of
// the period's days is examined), padders can be missed, honest people are flagged at the
// false-positive rate, fines are the penalty times what was found, and a zero-strength audit is no
// audit at all.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"

namespace {

struct Fixture {
  explicit Fixture(const std::string& policy_yaml, int employees = 4000)
      : spec(kpisim::ModelSpec::resolve(kpisim::load_scenario_text(
            "organisation: {employees: " + std::to_string(employees) + ", team_size: 10}\npolicies:\n  p: " + policy_yaml + "\n",
            "t.yaml"))),
        world(spec),
        rng(7, 0),
        regime(spec.scenario.policies[0].config->instantiate(spec, whole_scope(spec))) {}

  void day(int d) {
    kpisim::RegimeContext ctx{spec, world, rng, d};
    world.clear_incentives();
    regime->apply(ctx, 1.0);
    regime->end_of_day(ctx, 1.0);
  }

  kpisim::ModelSpec spec;
  kpisim::World world;
  kpisim::Rng rng;
  std::unique_ptr<kpisim::Regime> regime;
};

// |count - n p| within 4 binomial standard deviations.
void require_binomial(double count, double n, double p) {
  INFO("count " << count << " of " << n << ", expected share " << p);
  REQUIRE(std::fabs(count - n * p) <= 4.0 * std::sqrt(n * p * (1.0 - p)));
}

// Weekly audits of everyone: selected at the end of week 0 (day 6), reviewed during week 1 (days
// 7-13), fined at the end of day 13.
// No reviewer time: every drawn audit is done (the attention budget is tested on its own).
const char* kWeekly =
    "{type: audit, cadence: weekly, probability: 1, cost_hours: 0, reviewer_hours: 0, penalty_usd_per_script: 0, shame: 0";

}  // namespace

TEST_CASE("audit: a padder is found with the probability that a padding day is examined", "[unit][audit]") {
  Fixture f(std::string(kWeekly) + ", detection: 0.3, false_positive_rate: 0, penalty_usd_per_hour: 10}");
  for (int d = 0; d < 13; ++d) {
    std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), d == 9 ? 2.0F : 0.0F);
    f.day(d);
  }
  std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), 0.0F);
  f.day(13);
  const auto n = static_cast<double>(f.world.n);
  REQUIRE(f.world.audits_today == n);
  // One padding day: found with probability `detection`; the others are missed (false negatives).
  require_binomial(f.world.audit_detections_today, n, 0.3);
  REQUIRE(f.world.audit_detections_today < n);
  // A fine is the penalty times the hours found: all two hours or none.
  double fined = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    REQUIRE((f.world.reward_usd[i] == 0.0F || f.world.reward_usd[i] == -20.0F));
    fined += f.world.reward_usd[i] < 0 ? 1 : 0;
  }
  REQUIRE(fined == f.world.audit_detections_today);
  REQUIRE(f.world.penalties_today == Approx(20.0 * fined));
}

TEST_CASE("audit: the more days of padding, the likelier a padder is found, and fines match the days found", "[unit][audit]") {
  Fixture f(std::string(kWeekly) + ", detection: 0.3, false_positive_rate: 0, penalty_usd_per_hour: 10}");
  for (int d = 0; d < 14; ++d) {
    std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), d >= 7 && d % 7 < 5 ? 1.0F : 0.0F);
    f.day(d);
  }
  const auto n = static_cast<double>(f.world.n);
  require_binomial(f.world.audit_detections_today, n, 1.0 - std::pow(0.7, 5));  // five padding days
  // Hours found: Binomial(5, 0.3) per person, so fines are whole multiples of 10 USD with mean 15.
  double total = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    const double fine = -f.world.reward_usd[i];
    REQUIRE(std::fmod(fine, 10.0) == 0.0);
    REQUIRE(fine <= 50.0);
    total += fine;
  }
  const double sd_mean = 10.0 * std::sqrt(5 * 0.3 * 0.7 / n);
  REQUIRE(std::fabs(total / n - 15.0) <= 4.0 * sd_mean);
}

TEST_CASE("audit: a script is found if it ran on an examined day", "[unit][audit]") {
  Fixture f(
      "{type: audit, cadence: weekly, probability: 1, cost_hours: 0, reviewer_hours: 0, shame: 0, detection: 0.2, false_positive_rate: 0, "
      "penalty_usd_per_hour: 0, penalty_usd_per_script: 500}");
  std::fill(f.world.scripting.begin(), f.world.scripting.end(), std::uint8_t{1});
  for (int d = 0; d < 14; ++d) f.day(d);
  const auto n = static_cast<double>(f.world.n);
  require_binomial(f.world.audit_detections_today, n, 1.0 - std::pow(0.8, 7));
  REQUIRE(f.world.penalties_today == Approx(500.0 * f.world.audit_detections_today));
}

TEST_CASE("audit: honest people are flagged at the false-positive rate, fined and shamed", "[unit][audit]") {
  Fixture f(
      "{type: audit, cadence: weekly, probability: 1, cost_hours: 0, reviewer_hours: 0, detection: 0.8, false_positive_rate: 0.05, "
      "false_positive_hours: 3, penalty_usd_per_hour: 10, shame: 0.4}");
  for (int d = 0; d < 14; ++d) f.day(d);  // nobody pads
  const auto n = static_cast<double>(f.world.n);
  require_binomial(f.world.audit_detections_today, n, 0.05);
  double flagged = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    if (f.world.reward_usd[i] == 0.0F) {
      REQUIRE(f.world.shame[i] == 0.0F);
      continue;
    }
    ++flagged;
    REQUIRE(f.world.reward_usd[i] == Approx(-30.0));
    REQUIRE(f.world.shame[i] == Approx(0.4));
  }
  REQUIRE(flagged == f.world.audit_detections_today);
  // The next week is a fresh draw: about the same rate, mostly different people.
  for (int d = 14; d < 21; ++d) f.day(d);
  require_binomial(f.world.audit_detections_today, n, 0.05);
}

TEST_CASE("audit: the false-positive rate does not change the expected penalty for padding", "[unit][audit]") {
  for (const double fpr : {0.0, 0.5}) {
    Fixture f(
        "{type: audit, cadence: weekly, probability: 0.25, detection: 0.4, penalty_usd_per_hour: 10, penalty_usd_per_script: 700, "
        "false_positive_rate: " +
            std::to_string(fpr) + "}",
        100);
    f.day(0);
    REQUIRE(f.world.inc_padding_penalty[0] == Approx(0.25 * 0.4 * 10));
    // A script that runs all week is found unless none of its seven days is examined.
    REQUIRE(f.world.inc_script_penalty[0] == Approx(0.25 * (1.0 - std::pow(0.6, 7)) * 700 / 7));
  }
}

TEST_CASE("audit: the filter and the expected fine vanish with detection", "[unit][audit]") {
  Fixture f(std::string(kWeekly) + ", detection: 0, false_positive_rate: 0, penalty_usd_per_hour: 10}");
  std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), 1.0F);
  std::fill(f.world.scripting.begin(), f.world.scripting.end(), std::uint8_t{1});
  for (int d = 0; d < 14; ++d) f.day(d);
  REQUIRE(f.world.inc_padding_penalty[0] == 0.0F);
  REQUIRE(f.world.inc_script_penalty[0] == 0.0F);
  REQUIRE(f.world.audits_today == static_cast<double>(f.world.n));
  REQUIRE(f.world.audit_detections_today == 0.0);
  REQUIRE(f.world.penalties_today == 0.0);
}

TEST_CASE("audit: a new hire is not fined for the predecessor's padding", "[unit][audit]") {
  Fixture f(std::string(kWeekly) + ", detection: 1, false_positive_rate: 0, penalty_usd_per_hour: 10}", 10);
  std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), 1.0F);
  for (int d = 0; d < 10; ++d) f.day(d);
  // Slot 3's holder quits on day 10; the replacement does not pad.
  f.world.hire_day[3] = 10;
  f.world.reward_usd[3] = 0.0F;
  f.world.performative_hours[3] = 0.0F;
  for (int d = 10; d < 14; ++d) f.day(d);
  REQUIRE(f.world.reward_usd[3] == 0.0F);
  REQUIRE(f.world.reward_usd[4] == Approx(-10.0 * 7));  // seven days of one hour, every day examined
  REQUIRE(f.world.audits_today == 9.0);                 // the new hire is not under the predecessor's audit
}

namespace {

const char* kSimScenario = R"(
seed: 5
days: 63
organisation: {employees: 600, team_size: 8}
output: {snapshot_every: 7, snapshot_sample: 20}
policies:
  plain: {type: hybrid, components: [{weight: 1, policy: {type: leaderboard}}]}
  zero_audit:
    type: hybrid
    components:
      - {weight: 1, policy: {type: leaderboard}}
      - {weight: 1, policy: {type: audit, cadence: weekly, probability: 0, penalty_usd_per_hour: 0, penalty_usd_per_script: 0, false_positive_rate: 0}}
  weak_audit:
    type: hybrid
    components:
      - {weight: 1, policy: {type: leaderboard}}
      - {weight: 1, policy: {type: audit, cadence: weekly, probability: 1, penalty_usd_per_hour: 0, penalty_usd_per_script: 0, false_positive_rate: 0.3, false_positive_hours: 0, cost_hours: 0, reviewer_hours: 0, shame: 0, detection: 0}}
)";

kpisim::RunResult run(const kpisim::ModelSpec& spec, std::size_t policy) {
  kpisim::Simulation sim(spec, policy, 0, {});
  for (int d = 0; d < spec.scenario.days; ++d) sim.step();
  return sim.take_result();
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("audit: a zero-strength audit equals no audit, bit for bit", "[unit][audit]") {
  const auto spec = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(kSimScenario, "t.yaml"));
  const auto plain = run(spec, 0);
  const auto zero = run(spec, 1);
  REQUIRE(same_bits(plain.series, zero.series));
  REQUIRE(same_bits(plain.unit_series, zero.unit_series));
  REQUIRE(same_bits(plain.snapshots, zero.snapshots));
  // Audits that find nothing, fine nothing, shame nobody and cost nothing change only the counters.
  const auto weak = run(spec, 2);
  const auto audits = kpisim::daily_index("audits");
  const auto detections = kpisim::daily_index("audit_detections");
  const auto false_positives = kpisim::daily_index("audit_false_positives");
  double n_audits = 0;
  double n_flagged = 0;
  double n_false = 0;
  for (int d = 0; d < weak.days; ++d) {
    n_audits += weak.at(audits, d);
    n_flagged += weak.at(detections, d);
    n_false += weak.at(false_positives, d);
  }
  REQUIRE(n_audits > 1000);
  require_binomial(n_flagged, n_audits, 0.3);
  REQUIRE(n_false == n_flagged);  // nothing is found at detection 0: every flag is a false positive
  for (std::size_t v = 0; v < kpisim::daily_variables().size(); ++v) {
    if (v == audits || v == detections || v == false_positives) continue;
    INFO("variable " << kpisim::daily_variables()[v].name);
    for (int d = 0; d < weak.days; ++d) REQUIRE(std::memcmp(&weak.series[v * 63 + d], &plain.series[v * 63 + d], sizeof(double)) == 0);
  }
}

TEST_CASE("audit: the measured KPI loses exactly what the examined days show, people expect the share d", "[unit][audit]") {
  Fixture f(std::string(kWeekly) + ", detection: 0.3, false_positive_rate: 0, penalty_usd_per_hour: 10}");
  // Everyone pads 1 hour on every day of week 1; count, per person, the days on which the KPI lost
  // the padding (perf_removed = 1 when the day's incentives are written).
  std::vector<int> removed_days(f.world.n, 0);
  for (int d = 0; d < 14; ++d) {
    std::fill(f.world.performative_hours.begin(), f.world.performative_hours.end(), d >= 7 ? 1.0F : 0.0F);
    kpisim::RegimeContext ctx{f.spec, f.world, f.rng, d};
    f.world.clear_incentives();
    f.regime->apply(ctx, 1.0);
    for (std::size_t i = 0; i < f.world.n; ++i) {
      REQUIRE((f.world.perf_removed[i] == 0.0F || f.world.perf_removed[i] == 1.0F));
      if (d < 7) REQUIRE(f.world.perf_removed[i] == 0.0F);         // nobody is under review in week 0
      if (d >= 7) REQUIRE(f.world.perf_filter[i] == Approx(0.3));  // what everyone under review expects
      removed_days[i] += f.world.perf_removed[i] != 0.0F ? 1 : 0;
    }
    f.regime->end_of_day(ctx, 1.0);
  }
  // The fine at the end of day 13 is the penalty times the hours found on examined days: the same
  // days the KPI lost.
  double total_days = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    REQUIRE(f.world.reward_usd[i] == Approx(-10.0 * removed_days[i]));
    total_days += removed_days[i];
  }
  require_binomial(total_days, 7.0 * static_cast<double>(f.world.n), 0.3);
}

TEST_CASE("audit: offenders learn the chance of detection from their own audits, the honest keep the announced one", "[unit][audit]") {
  // Detection 0.3, learning rate 1: after the audit, an offender's perceived detection is the share
  // of her offending days the audit examined, and her expected fine per padded hour follows it.
  Fixture f(std::string(kWeekly) + ", detection: 0.3, false_positive_rate: 0, penalty_usd_per_hour: 10, learning_rate: 1}");
  const std::size_t honest = f.world.n / 2;  // slots [honest, n) never pad
  for (int d = 0; d < 14; ++d) {
    for (std::size_t i = 0; i < f.world.n; ++i) f.world.performative_hours[i] = i < honest && d >= 7 && d % 7 < 5 ? 1.0F : 0.0F;
    f.day(d);
  }
  f.day(14);
  // Expected fine per hour: probability 1 x perceived detection x 10 USD.
  double sum_offenders = 0;
  std::size_t lucky = 0;
  for (std::size_t i = 0; i < f.world.n; ++i) {
    const double per_hour = f.world.inc_padding_penalty[i];
    if (i >= honest) {
      REQUIRE(per_hour == Approx(3.0));  // the announced 0.3
      continue;
    }
    // Five padding days of one hour; the fine (10 USD per hour found) says how many were examined.
    const double found_days = -f.world.reward_usd[i] / 10.0;
    REQUIRE(per_hour == Approx(10.0 * found_days / 5.0).margin(1e-5));
    sum_offenders += per_hour;
    if (found_days == 0) ++lucky;
  }
  // On average the learned detection is the true one (the share examined is unbiased) ...
  const auto m = static_cast<double>(honest);
  REQUIRE(sum_offenders / m == Approx(3.0).margin(4.0 * 10.0 * std::sqrt(0.3 * 0.7 / 5.0 / m)));
  // ... but those never caught (0.7^5 ~ 17%) come to expect no fine at all: punishment avoidance.
  require_binomial(static_cast<double>(lucky), m, std::pow(0.7, 5));
}

TEST_CASE("audit: a manager reviews her team's audits within her attention, and the reviews take her hours", "[unit][audit]") {
  // 4 teams of 10 under one division (4 teams < span 5), whose head is the second member of the
  // first team (docs/model.md 2.2); weekly audits of everyone; a review takes 1.5 h of the team
  // manager's attention, of which she has 4 h a week (the default): floor(4 / 1.5) = 2 reviews of
  // her people a week. Heads (the team managers and the division head) are reviewed above, at no cost.
  Fixture f("{type: audit, cadence: weekly, probability: 1, cost_hours: 0.5, reviewer_hours: 1.5, false_positive_rate: 0}", 40);
  REQUIRE(f.spec.team_units.size() == 4);
  const auto& team0 = f.spec.units[f.spec.team_units[0]];
  REQUIRE(f.spec.is_manager[team0.first + 1] == 1);  // the division head sits in the first team
  for (int d = 0; d < 7; ++d) f.day(d);              // selection at the end of day 6
  // Each team manager: 2 reviews x 1.5 h; each audited person 0.5 h; the 5 heads' own audits too.
  const double per_team = 2 * 1.5 + (2 + 1) * 0.5;
  CHECK(f.world.audit_hours_today == Approx(4 * per_team + 0.5));
  for (const std::uint32_t tu : f.spec.team_units) {
    const auto& team = f.spec.units[tu];
    CHECK(f.world.cleanup_hours[team.manager] == Approx(2 * 1.5 + 0.5));  // her reviews and her own audit
    int audited = 0;
    for (std::uint32_t i = team.first; i < team.end; ++i)
      if (f.spec.is_manager[i] == 0) audited += f.world.cleanup_hours[i] > 0 ? 1 : 0;
    CHECK(audited == 2);
  }
  CHECK(f.world.cleanup_hours[team0.first + 1] == Approx(0.5));  // the division head: her own audit only
  for (int d = 7; d < 14; ++d) f.day(d);
  CHECK(f.world.audits_today == 4 * 3 + 1);  // reviewed at the end of the week: 2 per team and the 5 heads
  // With no reviewer time the budget does not bind: everyone is audited.
  Fixture g("{type: audit, cadence: weekly, probability: 1, cost_hours: 0.5, reviewer_hours: 0, false_positive_rate: 0}", 40);
  for (int d = 0; d < 14; ++d) g.day(d);
  CHECK(g.world.audits_today == 40);
}

TEST_CASE("audit: managers audit the members their dashboard shows highest, and people learn their chance of being audited",
          "[unit][audit]") {
  // 4 teams of 10; weekly audits; the draws (probability 0.3) set how many of each team's members
  // are audited, the team manager chooses whom: those with the highest moving average of their
  // measured KPI. Each audit costs the audited person 1 h, so the audited are those with clean-up.
  const std::string base = "{type: audit, cadence: weekly, probability: 0.3, cost_hours: 1, reviewer_hours: 0, false_positive_rate: 0";
  Fixture risk(base + "}", 40);
  Fixture random(base + ", selection: random}", 40);
  for (Fixture* f : {&risk, &random})
    for (std::size_t i = 0; i < 40; ++i) f->world.ema_kpi[i] = static_cast<float>((i * 7) % 40);  // distinct scores
  for (int d = 0; d < 7; ++d) {
    risk.day(d);
    random.day(d);
  }
  int total = 0;
  for (const std::uint32_t tu : risk.spec.team_units) {
    const auto& team = risk.spec.units[tu];
    int count_risk = 0, count_random = 0;
    float lowest_audited = 1e9F, highest_spared = -1.0F;
    for (std::uint32_t i = team.first; i < team.end; ++i) {
      if (risk.spec.is_manager[i] != 0) continue;
      const bool audited = risk.world.cleanup_hours[i] > 0;
      count_risk += audited ? 1 : 0;
      count_random += random.world.cleanup_hours[i] > 0 ? 1 : 0;
      if (audited)
        lowest_audited = std::min(lowest_audited, risk.world.ema_kpi[i]);
      else
        highest_spared = std::max(highest_spared, risk.world.ema_kpi[i]);
    }
    CHECK(count_risk == count_random);                           // the same number: the draws
    if (count_risk > 0) CHECK(lowest_audited > highest_spared);  // and the highest scores
    total += count_risk;
  }
  REQUIRE(total > 0);
  // Perceived chance of being audited after one period: (0.3 x 10 + 1) / 11 if audited, 3 / 11 if
  // not; the expected fine per performative hour is 100 USD x that chance x detection 0.8.
  risk.world.clear_incentives();
  kpisim::RegimeContext ctx{risk.spec, risk.world, risk.rng, 7};
  risk.regime->apply(ctx, 1.0);
  for (std::uint32_t i = 0; i < 40; ++i) {
    const bool audited = risk.world.cleanup_hours[i] > 0;
    INFO("person " << i);
    CHECK(risk.world.inc_padding_penalty[i] == Approx(100.0 * (audited ? 4.0 / 11.0 : 3.0 / 11.0) * 0.8));
  }
}

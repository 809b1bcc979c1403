// Validation: the closed forms A1 and A2 hold end to end, through the daily loop (weekly plans,
// regimes, allocation, outputs), not only on the allocation solver (test_closed_forms.cpp). Each
// scenario puts the model at the limit the closed form names: one task type done by hand, people
// alike, no decision noise, no gaming, nothing to pad, no quitting; the outcome regime's bonus
// share b is the linear contract's slope.
#include <catch2/catch.hpp>

#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/model/simulation.hpp"

namespace {

// A memo (docs/model.md 2.4: 0.5 h by hand for 30 USD) is worth f = 60 USD per hour of work at
// skill 1. Everyone believes AI halves its value (prior_gain -1), so with a hard choice
// (temperature 0) nobody uses AI: no AI hours, no errors, no verification, no clean-up.
std::string scenario(double bonus_share, double effort_cost, double crowding, double intrinsic_weight, double learning_value) {
  return R"(
seed: 11
days: 35
organisation:
  employees: 40
  team_size: 5
  divisions:
    office: {task_mix: {memo: 1}}
workforce: {skill_mean: 1, skill_sd: 0, reward_sensitivity_mean: 1, reward_sensitivity_sd: 0, prior_gain: -1, prior_gain_sd: 0,
            proficiency_mean: 0.2, proficiency_sd: 0, integrity_mean: 0.7, integrity_sd: 0}
behaviour:
  effort_cost: )" +
         std::to_string(effort_cost) +
         R"(
  crowding: )" +
         std::to_string(crowding) +
         R"(
  intrinsic_weight: )" +
         std::to_string(intrinsic_weight) +
         R"(
  learning_value_usd_per_hour: )" +
         std::to_string(learning_value) +
         R"(
  learning_tokens_per_hour: 0
  max_learning_hours: 24
  decision_noise_usd: 0
  choice_temperature_usd: 0
  max_hours: 24
arrivals: {workload_cv: 0, max_backlog_days: 1000}
learning: {learning_rate: 0, proficiency_rate: 0}
attrition: {annual_turnover: 0}
measurement: {gaming_usd_per_hour: 0, outcome_noise_cv: 0}
managers: {mandate_belief_usd: 1000000000}
policies:
  bonus: {type: outcome, bonus_share: )" +
         std::to_string(bonus_share) + R"(}
)";
}

kpisim::RunResult run(const std::string& text) {
  const auto spec = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(text, "closed_form.yaml"));
  kpisim::Simulation sim(spec, 0, 0, {});
  for (int d = 0; d < spec.scenario.days; ++d) sim.step();
  return sim.take_result();
}

constexpr double kValuePerHour = 60.0;  // f: a memo's 30 USD in 0.5 h at skill 1

// People's state is stored in single precision (docs/architecture.md): the slope b a person reads
// is b rounded to a float (0.05 is 0.05 (1 + 1.5e-8)), and so is her proficiency. The closed form
// is evaluated at the values the model holds, and then holds to rounding in double precision.
double as_stored(double x) {
  return static_cast<double>(static_cast<float>(x));
}

}  // namespace

TEST_CASE("A1 end to end: under a linear bonus b on measured output people work b f / c hours a day", "[validation][A1]") {
  // intrinsic_weight 0: the bonus is the only reason to work (the closed form's agent), and
  // learning is worth nothing to her (a_L = 0).
  for (const double b : {0.05, 0.1, 0.2})
    for (const double c : {2.0, 8.0}) {
      const auto r = run(scenario(b, c, 0.0, 0.0, 0.0));
      const double expected = as_stored(b) * kValuePerHour / c;
      INFO("b=" << b << " c=" << c << " b f / c = " << expected);
      int checked = 0;
      for (int d = 1; d < r.days; ++d) {
        if (d % 7 >= 5) continue;  // days off
        REQUIRE(r.at(kpisim::daily_index("ai_hours_per_fte"), d) == 0.0);
        REQUIRE(r.at(kpisim::daily_index("manual_hours_per_fte"), d) == Approx(expected).epsilon(1e-12));
        REQUIRE(r.at(kpisim::daily_index("hours_per_fte"), d) == Approx(expected).epsilon(1e-12));
        ++checked;
      }
      REQUIRE(checked >= 20);
    }
}

TEST_CASE("A2 end to end: a bonus on measured output crowds out unmeasured learning", "[validation][A2]") {
  // Work is measured (a1 = (1 + b) f: intrinsic value plus the bonus); learning is not (m = its
  // intrinsic value per hour, learning_value x (1 - proficiency) with proficiency held at 0.2);
  // crowding delta couples them. The closed form, floored at 0 (calibration.md A2):
  // t1 = (c a1 - delta m)/(c^2 - delta^2), t2 = (c m - delta a1)/(c^2 - delta^2).
  const double c = 30.0;
  const double prof = 0.2;
  for (const double delta : {0.0, 10.0})
    for (const double lv : {50.0, 200.0})
      for (const double b : {0.0, 0.2, 1.0}) {
        const auto r = run(scenario(b, c, delta, 1.0, lv));
        const double a1 = (1.0 + as_stored(b)) * kValuePerHour;
        const double m = lv * (1.0 - as_stored(prof));
        double t1 = (c * a1 - delta * m) / (c * c - delta * delta);
        double t2 = (c * m - delta * a1) / (c * c - delta * delta);
        if (t2 < 0) {
          t2 = 0;
          t1 = a1 / c;
        }
        INFO("delta=" << delta << " learning value=" << lv << " b=" << b << ": t1=" << t1 << " t2=" << t2);
        for (int d = 1; d < r.days; ++d) {
          if (d % 7 >= 5) continue;
          REQUIRE(r.at(kpisim::daily_index("manual_hours_per_fte"), d) == Approx(t1).epsilon(1e-12));
          REQUIRE(r.at(kpisim::daily_index("learning_hours_per_fte"), d) == Approx(t2).margin(1e-12));
        }
        // No crowd-out without interaction: learning does not depend on the bonus.
        if (delta == 0.0) REQUIRE(t2 == Approx(m / c));
      }
  // The crowd-out itself, through the loop: a bigger bonus means fewer learning hours (delta > 0).
  const auto low = run(scenario(0.0, c, 10.0, 1.0, 200.0));
  const auto high = run(scenario(1.0, c, 10.0, 1.0, 200.0));
  REQUIRE(high.at(kpisim::daily_index("learning_hours_per_fte"), 8) < low.at(kpisim::daily_index("learning_hours_per_fte"), 8));
}

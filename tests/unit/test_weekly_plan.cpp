// The weekly plan (docs/model.md 7.2, engine/src/model/weekly_plan.cpp) on hand-built people:
// the logit choice per task type and the plan's aggregates per manual-equivalent hour (E), with the
// numbers of the built-in memo task worked out by hand from the model document.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "chunk.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/core/rng.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"

using Catch::Detail::Approx;
using namespace kpisim::detail;  // NOLINT(google-build-using-namespace)

namespace {
struct Fixture {
  explicit Fixture(const std::string& mix)
      : spec(kpisim::ModelSpec::resolve(
            kpisim::load_scenario_text("organisation:\n  employees: 4\n  divisions:\n    d:\n      task_mix: " + mix + "\n", "plan.yaml"))),
        w(spec),
        ps(spec),
        rng(1, 0),
        s(std::make_unique<Scratch>()) {
    for (std::size_t i = 0; i < w.n; ++i) {
      w.skill[i] = 1.0F;
      w.proficiency[i] = 1.0F;  // no adoption friction
      w.trust[i] = 1.0F;        // perceives no errors: no expected checking or clean-up
      w.cynicism[i] = 0.0F;
      w.efficacy[i] = 0.87F;  // the baseline's: the friction is its nominal size
      w.reward_sensitivity[i] = 0.0F;
      ps.plan.week_e[i] = 0.0F;  // no experience: beliefs stay as set
    }
    std::fill(s->pressure, s->pressure + kChunk, 0.0);
    std::fill(s->mandate, s->mandate + kChunk, 0.0);
  }
  void plan() {
    const DayContext c{spec, w, rng, 0, true, true, 0, 0, 0, nullptr, nullptr, false, false};
    plan_week(c, ps, *s, 0, 0, w.n);
  }
  std::size_t task(const std::string& name) const {
    for (std::size_t k = 0; k < spec.task_names.size(); ++k)
      if (spec.task_names[k] == name) return k;
    FAIL("no task " << name);
    return 0;
  }
  kpisim::ModelSpec spec;
  kpisim::World w;
  PassState ps;
  kpisim::Rng rng;
  std::unique_ptr<Scratch> s;
};
}  // namespace

TEST_CASE("weekly plan: the logit share of AI use and the aggregates per E for one task", "[unit][weekly_plan]") {
  Fixture f("{memo: 1}");
  const std::size_t k = f.task("memo");
  f.w.belief[k * f.w.n + 0] = 0.1F;
  f.w.belief[k * f.w.n + 1] = -0.2F;
  f.plan();
  // memo: 0.5 h, 30 USD (60 USD/h), time factor 0.8, quality +0.05 (gain 1.05/0.8 - 1 = 0.3125 at
  // skill 1 and full proficiency), defects 0.05 x (1.25 - 0.5) = 0.0375, 3000 tokens, stakes 0.3 h.
  // Person 0: score 60 x 0.1 = 6 USD/h, temperature 4: u = 1/(1 + e^-1.5).
  const double u = 1.0 / (1.0 + std::exp(-1.5));
  const Plan& p = f.ps.plan;
  CHECK(p.hours_per_e[0] == Approx((1 - u) + u * 0.8).epsilon(1e-6));
  CHECK(p.true_per_e[0] == Approx(60 * ((1 - u) + u * 1.3125 * 0.8)).epsilon(1e-6));
  CHECK(p.manual_per_e[0] == Approx(60 * ((1 - u) + u * 0.8)).epsilon(1e-6));
  const double h = (1 - u) + u * 0.8;
  CHECK(p.believed_per_hour[0] == Approx(60 * ((1 - u) + u * 1.1 * 0.8) / h).epsilon(1e-6));
  CHECK(p.tokens_per_e[0] == Approx(u * 3000 / 0.5).epsilon(1e-6));
  CHECK(p.ai_tasks_per_e[0] == Approx(u / 0.5).epsilon(1e-6));
  CHECK(p.defects_per_e[0] == Approx(u * 0.0375 / 0.5).epsilon(1e-6));
  CHECK(p.ai_hours_per_e[0] == Approx(u * 0.8).epsilon(1e-6));
  CHECK(p.ai_share[0] == Approx(u * 0.8 / h).epsilon(1e-6));
  CHECK(p.stakes_per_defect[0] == Approx(0.3).epsilon(1e-6));
  CHECK(p.loss_per_defect[0] == Approx(30).epsilon(1e-6));  // the task's value at risk, at skill 1
  CHECK(p.tokens_per_ai_task[0] == Approx(3000).epsilon(1e-6));
  CHECK(p.belief_err[0] == Approx(0.3125 - 0.1).epsilon(1e-6));
  CHECK(p.futile_per_e[0] == 0.0F);
  // Person 1 believes AI harms the memo: u = 1/(1 + e^3); those AI hours are futile.
  const double u1 = 1.0 / (1.0 + std::exp(3.0));
  CHECK(p.ai_hours_per_e[1] == Approx(u1 * 0.8).epsilon(1e-5));
  CHECK(p.futile_per_e[1] == Approx(u1 * 0.8).epsilon(1e-5));
  // A plan resets the week's experience and the new-hire flag.
  CHECK(p.week_e[0] == 0.0F);
  CHECK(p.needs_plan[0] == 0);
  // On the plan day each person reports what AI adds to a day of AI-assisted work on the memo, her
  // belief less the checking she expects (none at trust 1) at her value per hour: 8 x 60 x 0.1 = 48,
  // 8 x 60 x -0.2 = -96, and 0 for the two others (belief 0).
  const std::size_t n = f.ps.employees;
  CHECK(f.ps.report[k * n + 0] == Approx(48.0).epsilon(1e-6));
  CHECK(f.ps.report[k * n + 1] == Approx(-96.0).epsilon(1e-6));
  CHECK(f.ps.report[k * n + 2] == 0.0F);
  CHECK(f.ps.report[k * n + 3] == 0.0F);
}

TEST_CASE("weekly plan: incentives, pressure and mandates shift the score, chatbot use is forced", "[unit][weekly_plan]") {
  Fixture f("{memo: 1, it_hr_request: 1}");
  const std::size_t memo = f.task("memo");
  const std::size_t chat = f.task("it_hr_request");
  for (std::size_t i = 0; i < f.w.n; ++i) {
    f.w.belief[memo * f.w.n + i] = 0.0F;
    f.w.belief[chat * f.w.n + i] = -0.5F;  // believes the chatbot harms; it is used all the same
  }
  f.w.reward_sensitivity[1] = 1.0F;
  // Her team (everyone: 4 people, one team) under mandates for both task types, 15 USD/h.
  const std::size_t k = f.w.k;
  f.w.unit_task_mandate[f.spec.team_units[0] * k + memo] = 1;
  f.w.unit_task_mandate[f.spec.team_units[0] * k + chat] = 1;
  f.plan();
  const Plan& p = f.ps.plan;
  // Person 0, not sensitive to incentives, belief 0: memo share 1/2. Chatbot (time factor 1.4, share 1).
  // Hours per E: 0.5 x (0.5 + 0.5 x 0.8) + 0.5 x 1.4 = 0.45 + 0.7.
  CHECK(p.hours_per_e[0] == Approx(0.45 + 0.7).epsilon(1e-6));
  CHECK(p.ai_hours_per_e[0] == Approx(0.5 * 0.5 * 0.8 + 0.5 * 1.4).epsilon(1e-6));
  // Person 1: memo score 15 USD/h, share 1/(1 + e^-3.75).
  const double u = 1.0 / (1.0 + std::exp(-3.75));
  CHECK(p.hours_per_e[1] == Approx(0.5 * ((1 - u) + u * 0.8) + 0.7).epsilon(1e-6));
  // No mandate: person 1's memo share falls back to 1/2.
  f.w.unit_task_mandate[f.spec.team_units[0] * k + memo] = 0;
  f.w.unit_task_mandate[f.spec.team_units[0] * k + chat] = 0;
  f.plan();
  CHECK(p.hours_per_e[1] == Approx(0.45 + 0.7).epsilon(1e-6));
  // The memo mandated alone: everyone sensitive to it feels the 15 USD/h on the memo, and on
  // nothing else.
  f.w.reward_sensitivity[2] = 1.0F;
  f.w.unit_task_mandate[f.spec.team_units[0] * k + memo] = 1;
  f.plan();
  CHECK(p.hours_per_e[1] == Approx(0.5 * ((1 - u) + u * 0.8) + 0.7).epsilon(1e-6));
  CHECK(p.hours_per_e[2] == Approx(0.5 * ((1 - u) + u * 0.8) + 0.7).epsilon(1e-6));
  CHECK(p.hours_per_e[0] == Approx(0.45 + 0.7).epsilon(1e-6));  // not sensitive to incentives
}

TEST_CASE("weekly plan: a mandate is felt by the work it claims against one's own choice", "[unit][weekly_plan]") {
  Fixture f("{memo: 1, it_hr_request: 1}");
  const std::size_t memo = f.task("memo");
  const std::size_t chat = f.task("it_hr_request");
  const std::size_t k = f.w.k;
  f.w.belief[memo * f.w.n + 0] = 0.1F;   // own score 6 USD/h: u0 = 1/(1 + e^-1.5)
  f.w.belief[memo * f.w.n + 1] = -0.2F;  // -12 USD/h: u0 = 1/(1 + e^3)
  f.w.belief[memo * f.w.n + 2] = 1.0F;   // 60 USD/h: u0 = 1/(1 + e^-15), AI anyway
  f.w.belief[memo * f.w.n + 3] = 0.1F;
  f.w.reward_sensitivity[3] = 1.0F;  // complies (15 USD/h more); felt the same as person 0
  // No mandate: nothing is felt.
  f.plan();
  const Plan& p = f.ps.plan;
  for (std::size_t i = 0; i < 4; ++i) CHECK(p.mandate_against[i] == 0.0F);
  // The memo mandated (half of the mix): felt = 0.5 x (1 - u0); the chatbot's forced use is no mandate.
  f.w.unit_task_mandate[f.spec.team_units[0] * k + memo] = 1;
  f.w.unit_task_mandate[f.spec.team_units[0] * k + chat] = 1;
  f.plan();
  CHECK(p.mandate_against[0] == Approx(0.5 * (1.0 - 1.0 / (1.0 + std::exp(-1.5)))).epsilon(1e-6));
  CHECK(p.mandate_against[1] == Approx(0.5 * (1.0 - 1.0 / (1.0 + std::exp(3.0)))).epsilon(1e-6));
  CHECK(p.mandate_against[2] == Approx(0.5 * (1.0 - 1.0 / (1.0 + std::exp(-15.0)))).margin(1e-6));
  CHECK(p.mandate_against[2] < 1e-6F);
  CHECK(p.mandate_against[3] == Approx(p.mandate_against[0]).epsilon(1e-6));
}

TEST_CASE("weekly plan: the choice weighs the checking and clean-up expected at the perceived error rate", "[unit][weekly_plan]") {
  Fixture f("{memo: 1}");
  const std::size_t k = f.task("memo");
  for (std::size_t i = 0; i < f.w.n; ++i) f.w.belief[k * f.w.n + i] = 0.1F;
  f.w.trust[0] = 0.8F;        // perceives 20% of AI outputs wrong (the division's only task: its nominal rate is the mean)
  f.w.proficiency[1] = 0.5F;  // trust 1, half-proficient: friction 4 x 0.5 = 2 USD/h
  f.plan();
  const Plan& p = f.ps.plan;
  // Person 0: 0.2 errors per output / (0.5 h x 0.8) = 0.5 errors per AI hour; a passed error costs
  // 0.3 h downstream + 30/60 h of value = 0.8 h; checking all: 0.3 + 0.5 x (0.8 x 0.25 + 0.2 x 0.8) =
  // 0.48 h, checking none: 0.5 x 0.8 = 0.4 h. Score 60 x 0.1 - 60 x 0.4 = -18 USD/h.
  const double u0 = 1.0 / (1.0 + std::exp(18.0 / 4.0));
  CHECK(p.ai_hours_per_e[0] == Approx(u0 * 0.8).epsilon(1e-5));
  // Verification is valued at the perceived 0.5 errors per AI hour: efficacy / ratio x 0.5 x
  // (0.3 h x believed value per hour + 30 USD).
  CHECK(p.verify_value[0] == Approx(0.8 / 0.3 * 0.5 * (0.3 * p.believed_per_hour[0] + 30.0)).epsilon(1e-5));
  // Person 1: score 6 - 2 = 4 USD/h.
  const double u1 = 1.0 / (1.0 + std::exp(-1.0));
  CHECK(p.ai_hours_per_e[1] == Approx(u1 * 0.8).epsilon(1e-5));
  // Person 2 (trust 1, proficient): score 6 USD/h, as in the first test.
  CHECK(p.ai_hours_per_e[2] == Approx(0.8 / (1.0 + std::exp(-1.5))).epsilon(1e-5));
  // Person 3, half-proficient as person 1 but feeling ineffective (efficacy 0.37): friction
  // 2 x (1 + 0.5) = 3 USD/h, score 6 - 3 = 3 USD/h.
  f.w.proficiency[3] = 0.5F;
  f.w.efficacy[3] = 0.37F;
  f.plan();
  CHECK(p.ai_hours_per_e[3] == Approx(0.8 / (1.0 + std::exp(-0.75))).epsilon(1e-5));
}

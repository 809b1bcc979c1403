// Hiring and replacement (docs/model.md sections 5 and 7.14, engine/src/model/attrition.cpp) and
// the quit hazard (rules::quit_hazard), on hand-built slots.
#include <catch2/catch.hpp>

#include <cmath>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/rng.hpp"
#include "kpisim/model/rules.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "person_pass.hpp"

using Catch::Detail::Approx;

TEST_CASE("attrition: a hire starts in the documented state", "[unit][attrition]") {
  auto s = kpisim::load_scenario_text("organisation:\n  employees: 2000\n", "hire.yaml");
  const auto spec = kpisim::ModelSpec::resolve(s);
  kpisim::World w(spec);
  const kpisim::Rng rng(7, 0);
  double skill_initial = 0, skill_replacement = 0, potential_replacement = 0, prof_initial = 0, prof_replacement = 0;
  for (std::size_t i = 0; i < w.n; ++i) {
    kpisim::detail::hire(spec, w, rng, i, 0, true);
    skill_initial += w.skill[i];
    prof_initial += w.proficiency[i];
    CHECK(w.skill[i] >= 0.2F);
    CHECK(w.skill[i] <= 2.5F);
    CHECK(w.exhaustion[i] >= 0.2F);
    CHECK(w.exhaustion[i] <= 0.3F);
    CHECK(w.cynicism[i] >= 0.1F);
    CHECK(w.cynicism[i] <= 0.2F);
    CHECK(w.skill[i] == w.skill_potential[i]);  // the initial workforce is experienced
    CHECK(w.efficacy[i] == 0.87F);              // the baseline's efficacy and engagement
    CHECK(w.engagement[i] == 0.74F);
    CHECK(w.backlog_hours[i] == 8.0F);  // one norm-day
    CHECK(w.cleanup_hours[i] == 0.0F);
    CHECK(w.scripting[i] == 0);
    CHECK(w.hire_day[i] == 0);
    for (std::size_t k = 1; k < w.k; ++k) CHECK(w.belief[k * w.n + i] == w.belief[i]);  // one optimism for every task
    kpisim::detail::hire(spec, w, rng, i, 100, false);
    skill_replacement += w.skill[i];
    potential_replacement += w.skill_potential[i];
    prof_replacement += w.proficiency[i];
    CHECK(w.skill[i] <= w.skill_potential[i]);  // a novice, below what experience will make of her
    CHECK(w.hire_day[i] == 100);
  }
  const auto& wf = s.workforce;
  const double n = static_cast<double>(w.n);
  // Initial staff are drawn around the skill mean, replacements around the replacement skill, from a
  // normal clamped to [0.2, 2.5]: the mean of the clamped normal, within four standard errors.
  auto clamped_mean = [&](double mu) {
    const double sd = wf.skill_sd;
    auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    auto pdf = [](double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI); };
    const double a = (0.2 - mu) / sd;
    const double b = (2.5 - mu) / sd;
    return 0.2 * cdf(a) + 2.5 * (1.0 - cdf(b)) + mu * (cdf(b) - cdf(a)) + sd * (pdf(a) - pdf(b));
  };
  const double se = 4.0 * wf.skill_sd / std::sqrt(n);
  CHECK(skill_initial / n == Approx(clamped_mean(wf.skill_mean)).margin(se));
  CHECK(skill_replacement / n == Approx(clamped_mean(wf.replacement_skill)).margin(se));
  CHECK(potential_replacement / n == Approx(clamped_mean(wf.skill_mean)).margin(se));
  CHECK(prof_replacement / n < prof_initial / n);
}

TEST_CASE("attrition: the quit hazard gives the annual turnover at the reference state", "[unit][attrition]") {
  const kpisim::Attrition a{};
  const double base = kpisim::rules::quit_base(a.annual_turnover);
  const double h = kpisim::rules::quit_hazard(a, base, 0.35, 0.33, 0.74, 0.87);
  CHECK(std::pow(1.0 - h, 260) == Approx(0.88).epsilon(1e-3));  // 260 working days
  // Log-linear: exhaustion 0.25 above the reference, x 3; engagement 0.24 below, x 2; efficacy
  // 0.37 below, x 1.
  CHECK(kpisim::rules::quit_hazard(a, base, 0.6, 0.33, 0.74, 0.87) == Approx(h * std::exp(0.75)));
  CHECK(kpisim::rules::quit_hazard(a, base, 0.35, 0.33, 0.5, 0.87) == Approx(h * std::exp(0.48)));
  CHECK(kpisim::rules::quit_hazard(a, base, 0.35, 0.33, 0.74, 0.5) == Approx(h * std::exp(0.37)));
}

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

TEST_CASE("attrition: a division's skill scale multiplies the skill its people are hired with", "[unit][attrition]") {
  // Two divisions of 1,000 with the same draws slot by slot would need the same slots; instead the
  // same scenario is hired twice, once with the scale, and every slot is compared with itself.
  const std::string org = "organisation:\n  employees: 2000\n  divisions:\n    a: {share: 1}\n    b: {share: 1";
  const auto plain = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(org + "}\n", "plain.yaml"));
  const auto scaled = kpisim::ModelSpec::resolve(kpisim::load_scenario_text(org + ", skill_scale: 0.6}\n", "scaled.yaml"));
  kpisim::World wp(plain), ws(scaled);
  const kpisim::Rng rng(11, 0);
  int in_b = 0;
  for (std::size_t i = 0; i < wp.n; ++i) {
    for (const bool initial : {true, false}) {
      kpisim::detail::hire(plain, wp, rng, i, initial ? 0 : 50, initial);
      kpisim::detail::hire(scaled, ws, rng, i, initial ? 0 : 50, initial);
      const bool b = scaled.divisions[scaled.division_of[i]].name == "b";
      // Hand-computed: the scaled potential is 0.6 x the unscaled draw, bounded to [0.2, 2.5]; a
      // replacement starts at 0.6 x (replacement skill + sd z), bounded to [0.2, potential].
      // Where the unscaled draw was not bounded it is the raw draw itself.
      const bool raw_draw = wp.skill_potential[i] > 0.2F && wp.skill_potential[i] < 2.5F;
      if (b && raw_draw) CHECK(ws.skill_potential[i] == Approx(std::max(0.2, 0.6 * wp.skill_potential[i])).epsilon(1e-6));
      if (b) CHECK(ws.skill_potential[i] <= std::max(0.2F, wp.skill_potential[i]));
      if (!b) CHECK(ws.skill_potential[i] == wp.skill_potential[i]);
      if (!b) CHECK(ws.skill[i] == wp.skill[i]);
      CHECK(ws.skill[i] <= ws.skill_potential[i]);
      CHECK(ws.skill[i] >= 0.2F);
      // Everything else drawn at hire is the same.
      CHECK(ws.proficiency[i] == wp.proficiency[i]);
      CHECK(ws.trust[i] == wp.trust[i]);
    }
    in_b += scaled.divisions[scaled.division_of[i]].name == "b" ? 1 : 0;
  }
  CHECK(in_b == 1000);
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

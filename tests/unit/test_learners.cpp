// Learners and guided tools (docs/model.md 5, 7.12): a division of learners starts as novices, and
// AI-assisted hours with a guided tool (a tutor) build skill as practice instead of eroding it.
// Output diversity (7.20): what the models' share of the work does to its variety.
#include <catch2/catch.hpp>

#include <cmath>

#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "regime_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

// 80 students doing reflective work, who use AI readily (high trust and proficiency), with the
// assistant's `guided` share and the divisions' `learners` flag as given.
kpisim::ModelSpec course(const std::string& guided, bool learners, int days = 60) {
  const std::string flag = learners ? ", learners: true" : "";
  std::string text = "days: " + std::to_string(days) + R"(
organisation:
  employees: 80
  team_size: 4
  span: 2
  divisions:
    a: {share: 1, task_mix: {reflection: 1}, workload: 1.5)" +
                     flag + R"(}
    b: {share: 1, task_mix: {reflection: 1}, workload: 1.5)" +
                     flag + R"(}
workforce: {trust_mean: 0.9, proficiency_mean: 0.5}
policies:
  none: {type: none}
)";
  if (!guided.empty()) text += "tools:\n  assistant: {guided: " + guided + "}\n";
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(text, "s.yaml"));
}

std::string error_of_tools(const std::string& tools) {
  try {
    (void)kpisim::ModelSpec::resolve(kpisim::load_scenario_text(regime_fixture::kOrg + "tools:\n" + tools, "s.yaml"));
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "no error";
}

kpisim::RunResult run(const kpisim::ModelSpec& spec) {
  kpisim::Simulation sim(spec, 0, 0);
  for (int d = 0; d < spec.scenario.days; ++d) sim.step();
  return sim.take_result();
}

}  // namespace

TEST_CASE("guided: the key is checked and folded into the tasks its tool serves", "[unit][learners]") {
  REQUIRE_THAT(error_of_tools("  assistant: {guided: 1.5}\n"), Contains("guided"));
  REQUIRE_THAT(error_of_tools("  assistant: {guide: 1}\n"), Contains("did you mean 'guided'"));
  REQUIRE(error_of_tools("  assistant: {guided: 0.5}\n") == "no error");
  const auto plain = course("", false);
  REQUIRE_FALSE(plain.any_guided);
  for (const auto& t : plain.tasks) REQUIRE(t.guided == 0.0);
  const auto tutor = course("0.5", false);
  REQUIRE(tutor.any_guided);
  for (std::size_t k = 0; k < tutor.tasks.size(); ++k) {
    INFO(tutor.task_names[k]);
    REQUIRE(tutor.tasks[k].guided == (tutor.tasks[k].chatbot ? 0.0 : 0.5));  // the chatbot is another tool
  }
}

TEST_CASE("learners: the first cohort starts as novices, an experienced workforce at its potential", "[unit][learners]") {
  using regime_fixture::mean_over;
  const auto novices = run(course("", true, 1));
  const auto experienced = run(course("", false, 1));
  // The same people (draws keyed by slot): a learner starts at replacement_skill 0.5 + 0.3 z, an
  // experienced worker at her potential 1 + 0.3 z (clamps apart), after one day of work either way.
  const double novice = mean_over(novices, "skill_mean", 0, 1);
  REQUIRE(novice == Approx(0.5).margin(0.08));
  REQUIRE(mean_over(experienced, "skill_mean", 0, 1) - novice == Approx(0.5).margin(0.05));
}

TEST_CASE("guided: a tutor's AI hours build skill, an open tool's erode it, and guided 0 is the default bit for bit", "[unit][learners]") {
  using regime_fixture::mean_over;
  const auto open = run(course("", true));
  const auto open_explicit = run(course("0", true));
  const auto tutor = run(course("1", true));
  const int days = 60;
  // Students use AI for much of their work in both courses.
  REQUIRE(mean_over(open, "ai_task_share", 40, days) > 0.3);
  REQUIRE(mean_over(tutor, "ai_task_share", 40, days) > 0.3);
  // The same AI use, but the tutor's hours are practice: skill ends higher (it starts the same:
  // day 0's figure is after one day's work).
  REQUIRE(mean_over(tutor, "skill_mean", 0, 1) == Approx(mean_over(open, "skill_mean", 0, 1)).margin(0.005));
  const double skill_open = mean_over(open, "skill_mean", days - 5, days);
  const double skill_tutor = mean_over(tutor, "skill_mean", days - 5, days);
  REQUIRE(skill_tutor > skill_open + 0.02);
  REQUIRE(skill_tutor > mean_over(tutor, "skill_mean", 0, 1) + 0.05);  // learning, not just less erosion
  // Writing the default changes nothing.
  for (const char* name : {"skill_mean", "true_value_per_fte", "ai_task_share", "hours_per_fte"})
    for (int d = 0; d < days; ++d)
      REQUIRE(open.at(regime_fixture::variable(name), d) == open_explicit.at(regime_fixture::variable(name), d));
}

namespace {

// Everyone files all requests through the chatbot (forced use: a_i = 1), of homogenisation h.
kpisim::ModelSpec front_door(const std::string& h) {
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(R"(days: 7
organisation:
  employees: 80
  team_size: 4
  span: 2
  divisions:
    a: {share: 1, task_mix: {it_hr_request: 1}}
    b: {share: 1, task_mix: {it_hr_request: 1}}
tools:
  chatbot: {homogenisation: )" + h + R"(}
policies:
  none: {type: none}
)",
                                                               "s.yaml"));
}

}  // namespace

TEST_CASE("output diversity: (1 - h)^2 when everyone does all the work with one tool, NaN on days off", "[unit][diversity]") {
  const std::size_t v = regime_fixture::variable("output_diversity");
  for (const double h : {0.0, 0.3, 0.6, 1.0}) {
    INFO("homogenisation " << h);
    const auto r = run(front_door(std::to_string(h)));
    for (int d = 0; d < 7; ++d) {
      INFO("day " << d);
      if (d % 7 >= 5)
        REQUIRE(std::isnan(r.at(v, d)));
      else
        REQUIRE(r.at(v, d) == Approx((1.0 - h) * (1.0 - h)).margin(1e-6));
    }
  }
}

TEST_CASE("output diversity: 1 with nothing of the models in the work, lower as their share and homogenisation grow", "[unit][diversity]") {
  using regime_fixture::mean_over;
  const std::size_t v = regime_fixture::variable("output_diversity");
  const auto none = run(course("", true));  // the default assistant, homogenisation 0.3
  auto spec_flat = course("", true);
  for (auto& t : spec_flat.tasks) t.homogenisation = 0.0;  // the same people and choices, no model in the style
  const auto flat_run = run(spec_flat);
  auto spec_strong = course("", true);
  for (auto& t : spec_strong.tasks) t.homogenisation = 0.6;
  const auto strong = run(spec_strong);
  for (int d = 0; d < 60; ++d) {
    if (d % 7 >= 5) continue;
    INFO("day " << d);
    REQUIRE(flat_run.at(v, d) == 1.0);
    REQUIRE(none.at(v, d) < 1.0);
    REQUIRE(strong.at(v, d) < none.at(v, d));
    REQUIRE(strong.at(v, d) >= 0.16 - 1e-6);  // (1 - 0.6)^2: every output with the tool
  }
  // More AI use, less variety: the open course's students use AI more as the term goes on.
  REQUIRE(mean_over(none, "ai_task_share", 40, 60) > mean_over(none, "ai_task_share", 0, 10));
  const auto workday_mean = [&](int from, int to) {
    double sum = 0;
    int days = 0;
    for (int d = from; d < to; ++d)
      if (d % 7 < 5) sum += none.at(v, d), ++days;
    return sum / days;
  };
  REQUIRE(workday_mean(40, 60) < workday_mean(0, 10));
}

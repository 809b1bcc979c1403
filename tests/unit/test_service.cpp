// Chatbot escalations handed to a service division (docs/model.md 7.9): the resolved tables, the
// errors, and whole runs where the handling lands on the service division and the wait on the
// requesters.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/calendar.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "regime_fixture.hpp"

using Catch::Matchers::Contains;
using regime_fixture::division;
using regime_fixture::run_all;
using regime_fixture::variable;

namespace {

// 60 staff who spend half their work on IT and HR requests through the built-in chatbot (0.5 h a
// request, resolved at 0.40 by default), and a desk of 20 with a little work of its own.
std::string org(const std::string& chatbot, const std::string& desk_workload = "0.05") {
  return "organisation:\n  employees: 80\n  team_size: 4\n  span: 2\n  divisions:\n"
         "    staff: {share: 3, task_mix: {memo: 0.5, it_hr_request: 0.5}}\n"
         "    desk: {share: 1, workload: " +
         desk_workload +
         ", task_mix: {memo: 1}}\n"
         "tools:\n  chatbot: " +
         chatbot + "\n";
}

kpisim::ModelSpec spec_of(const std::string& text) {
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(text, "s.yaml"), "s.yaml");
}

std::size_t task(const kpisim::ModelSpec& m, const std::string& name) {
  return static_cast<std::size_t>(std::find(m.task_names.begin(), m.task_names.end(), name) - m.task_names.begin());
}

// A per-division daily variable of a run.
double unit_at(const kpisim::ModelSpec& spec, const kpisim::RunResult& r, const std::string& name, std::size_t dv, int day) {
  std::size_t v = 0;
  for (const auto& info : kpisim::daily_variables()) {
    if (!info.per_unit) continue;
    if (info.name == name) break;
    ++v;
  }
  const std::size_t ndiv = spec.divisions.size();
  const auto days = static_cast<std::size_t>(r.days);
  return r.unit_series[(v * ndiv + dv) * days + static_cast<std::size_t>(day)];
}

double unit_mean(const kpisim::ModelSpec& spec, const kpisim::RunResult& r, const std::string& name, std::size_t dv, int from, int to) {
  double s = 0;
  for (int d = from; d < to; ++d) s += unit_at(spec, r, name, dv, d);
  return s / (to - from);
}

}  // namespace

TEST_CASE("service: a routed chatbot leaves the requester the bot's time and the overhead, and hands the handling on", "[unit][service]") {
  const auto m = spec_of(org("{service_division: desk, escalation_hours: 0.5}"));
  const auto k = task(m, "it_hr_request");
  const auto staff = division(m, "staff"), desk = division(m, "desk");
  REQUIRE(m.any_service);
  REQUIRE(m.tasks[k].service == desk);
  // tf = 0.2 + (1 - 0.4) x 0.5 / 0.5 = 0.8; she keeps the value of the 40% the bot resolves.
  REQUIRE(m.tasks[k].time_factor == Approx(0.8));
  REQUIRE(m.tasks[k].value_gain == Approx(0.4 / 0.8 - 1.0));
  // Per E of staff work: half of it is requests, 0.6 of them escalate, each needing its 0.5 h.
  REQUIRE(m.divisions[staff].handoff_to.size() == 2);
  REQUIRE(m.divisions[staff].handoff_to[desk] == Approx(0.5 * 0.6));
  REQUIRE(m.divisions[staff].handoff_to[staff] == 0.0);
  REQUIRE(m.divisions[staff].handoff == Approx(0.3));
  REQUIRE(m.divisions[staff].frustration_to[desk] == Approx(0.5 * 0.6 / 0.5 * 0.05));
  REQUIRE(m.divisions[desk].handoff_to.empty());  // no requests in its mix
  REQUIRE(m.divisions[staff].headcount == 60);
  REQUIRE(m.divisions[desk].headcount == 20);
  // Without a service division, as before: the requester handles the escalation herself.
  const auto plain = spec_of(org("{escalation_hours: 0.5}"));
  REQUIRE_FALSE(plain.any_service);
  REQUIRE(plain.tasks[task(plain, "it_hr_request")].service == -1);
  REQUIRE(plain.tasks[task(plain, "it_hr_request")].time_factor == Approx(0.4 * 0.2 + 0.6 * (0.2 + 1.0 + 1.0)));
  REQUIRE(plain.divisions[0].handoff_to.empty());
}

TEST_CASE("service: a service division that does not exist, or on an assistant, is an error with its position", "[unit][service]") {
  REQUIRE_THROWS_WITH(spec_of(org("{service_division: dessk}")),
                      Contains("s.yaml:9:31: error: tools.chatbot.service_division: no division named 'dessk' (did you mean 'desk'?)"));
  REQUIRE_THROWS_WITH(spec_of(org("{containment: 0.4}") + "  assistant: {service_division: desk}\n"),
                      Contains("tools.assistant.service_division: only a chatbot escalates requests"));
}

TEST_CASE("service: the escalations' handling lands on the service division, and the requesters wait and are frustrated",
          "[unit][service]") {
  const std::string tail = "days: 56\npolicies:\n  none: {type: none}\n";
  const auto routed = spec_of(org("{service_division: desk}") + tail);
  const auto self = spec_of(org("{}") + tail);
  const auto patient = spec_of(org("{service_division: desk, wait_hindrance: 0}") + tail);
  const auto r = run_all(routed)[0];
  const auto s = run_all(self)[0];
  const auto p = run_all(patient)[0];
  const auto staff = division(routed, "staff"), desk = division(routed, "desk");
  const std::size_t handoff = variable("escalation_handoff_hours"), wait = variable("escalation_wait_days");
  for (int d = 0; d < 56; ++d) {
    INFO("day " << d);
    REQUIRE(s.at(handoff, d) == 0.0);
    REQUIRE(std::isnan(s.at(wait, d)));
    if (kpisim::is_workday(d)) {
      REQUIRE(r.at(handoff, d) > 0.0);
      REQUIRE(r.at(wait, d) >= 0.0);
      // All of it is handed on by the staff.
      REQUIRE(unit_at(routed, r, "escalation_handoff_hours", staff, d) == r.at(handoff, d));
    } else {
      REQUIRE(r.at(handoff, d) == 0.0);
      REQUIRE(std::isnan(r.at(wait, d)));
    }
  }
  // The first day's requests wait behind an empty queue; later ones behind the desk's backlog.
  REQUIRE(r.at(wait, 0) == 0.0);
  REQUIRE(r.at(wait, 28) > 0.0);
  // The desk works on the escalations; the staff no longer do.
  const double desk_routed = unit_mean(routed, r, "hours_per_fte", desk, 7, 56);
  const double desk_self = unit_mean(self, s, "hours_per_fte", desk, 7, 56);
  INFO("desk hours per calendar day: routed " << desk_routed << ", handled by the requesters " << desk_self);
  REQUIRE(desk_routed > 2.0 * desk_self);
  REQUIRE(unit_mean(routed, r, "hours_per_fte", staff, 7, 56) < unit_mean(self, s, "hours_per_fte", staff, 7, 56));
  // Waiting frustrates: with wait_hindrance 0 the staff are less exhausted, the rest of the model alike.
  const double x_routed = unit_mean(routed, r, "exhaustion_mean", staff, 14, 56);
  const double x_patient = unit_mean(patient, p, "exhaustion_mean", staff, 14, 56);
  INFO("staff exhaustion: " << x_routed << " frustrated, " << x_patient << " patient");
  REQUIRE(x_routed > x_patient);
  // Days before anything is handed on are the same bits with or without the frustration.
  REQUIRE(std::memcmp(&r.series[0], &p.series[0], sizeof(double)) == 0);
}

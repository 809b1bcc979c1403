#pragma once
// A small two-division organisation and helpers shared by the regime tests (test_mandate.cpp,
// test_usage_cap.cpp, test_seats.cpp, test_compute_budget.cpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/regimes/regime.hpp"

namespace regime_fixture {

// Two divisions of 40 (teams of 4, span 2): a does memos and analysis, b memos and minutes.
inline const std::string kOrg = R"(organisation:
  employees: 80
  team_size: 4
  span: 2
  divisions:
    a: {share: 1, task_mix: {memo: 0.25, analysis: 0.75}}
    b: {share: 1, task_mix: {memo: 0.5, minutes: 0.5}}
)";

/// The organisation with `policies` (YAML lines under `policies:`) and `extra` top-level keys.
inline kpisim::ModelSpec spec_of(const std::string& policies, const std::string& extra = "") {
  return kpisim::ModelSpec::resolve(kpisim::load_scenario_text(extra + kOrg + "policies:\n" + policies, "s.yaml"));
}

/// The error the scenario gives, or "no error".
inline std::string error_of(const std::string& policies) {
  try {
    (void)spec_of(policies);
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "no error";
}

/// Policy p's regime, in its scope.
inline std::unique_ptr<kpisim::Regime> regime_of(const kpisim::ModelSpec& spec, std::size_t p = 0) {
  const auto& policy = spec.scenario.policies[p];
  return policy.config->instantiate(spec, kpisim::resolve_scope(spec, policy, kpisim::whole_scope(spec)));
}

/// The index of division `name`.
inline std::uint16_t division(const kpisim::ModelSpec& spec, const std::string& name) {
  std::uint16_t d = 0;
  while (spec.divisions[d].name != name) ++d;
  return d;
}

/// The unit of division `name` (its head's).
inline std::size_t head_of(const kpisim::ModelSpec& spec, const std::string& name) {
  for (std::size_t u = 0; u < spec.units.size(); ++u)
    if (spec.units[u].depth == 1 && spec.units[u].division == division(spec, name)) return u;
  FAIL("no division " << name);
  return 0;
}

/// The index of daily variable `name`.
inline std::size_t variable(const std::string& name) {
  const auto& vars = kpisim::daily_variables();
  for (std::size_t v = 0; v < vars.size(); ++v)
    if (vars[v].name == name) return v;
  FAIL("no daily variable " << name);
  return 0;
}

/// The organisation-wide mean of a daily variable over days [from, to).
inline double mean_over(const kpisim::RunResult& r, const std::string& name, int from, int to) {
  const std::size_t v = variable(name);
  double s = 0;
  for (int d = from; d < to; ++d) s += r.at(v, d);
  return s / (to - from);
}

/// Every policy of the scenario run to its horizon, replication 0.
inline std::vector<kpisim::RunResult> run_all(const kpisim::ModelSpec& spec) {
  std::vector<kpisim::RunResult> runs;
  for (std::size_t p = 0; p < spec.scenario.policies.size(); ++p) {
    kpisim::Simulation sim(spec, p, 0);
    for (int d = 0; d < spec.scenario.days; ++d) sim.step();
    runs.push_back(sim.take_result());
  }
  return runs;
}

}  // namespace regime_fixture

// Scopes: the divisions a policy applies to (docs/model.md 7.15.8), resolved on the spec.
#include <fmt/format.h>

#include <algorithm>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {

Scope whole_scope(const ModelSpec& spec) {
  Scope s;
  s.all = true;
  s.division.assign(spec.divisions.size(), 1);
  s.unit.assign(spec.units.size(), 1);
  s.person.assign(spec.employees, 1.0F);
  return s;
}

Scope resolve_scope(const ModelSpec& spec, const PolicySpec& policy, const Scope& parent) {
  if (policy.scope.empty()) return parent;
  Scope s;
  s.division.assign(spec.divisions.size(), 0);
  for (const auto& e : policy.scope) {
    const auto it = std::find_if(spec.divisions.begin(), spec.divisions.end(), [&](const DivisionSpec& d) { return d.name == e.name; });
    if (it == spec.divisions.end()) throw InputError(fmt::format("policy '{}': scope names an unknown division", policy.name));
    const auto d = static_cast<std::size_t>(it - spec.divisions.begin());
    s.division[d] = parent.division[d];
  }
  s.all = std::all_of(s.division.begin(), s.division.end(), [](std::uint8_t x) { return x != 0; });
  s.unit.assign(spec.units.size(), 0);
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const int d = spec.units[u].division;
    s.unit[u] = d < 0 ? (s.all ? 1 : 0) : s.division[static_cast<std::size_t>(d)];
  }
  s.person.assign(spec.employees, 0.0F);
  for (std::size_t i = 0; i < spec.employees; ++i) s.person[i] = s.division[spec.division_of[i]] != 0 ? 1.0F : 0.0F;
  return s;
}

}  // namespace kpisim

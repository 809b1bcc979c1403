// The list of regimes the scenario's `type:` can name. Adding a regime adds one line here.
#include <algorithm>

#include "kpisim/regimes/builtin.hpp"

namespace kpisim {

const std::vector<RegimeInfo>& regime_registry() {
  static const std::vector<RegimeInfo> registry = {none_regime(),  leaderboard_regime(), quota_regime(),   outcome_regime(),
                                                   audit_regime(), hybrid_regime(),      schedule_regime()};
  return registry;
}

const RegimeInfo* find_regime(std::string_view name) {
  const auto& r = regime_registry();
  auto it = std::find_if(r.begin(), r.end(), [&](const RegimeInfo& i) { return i.name == name; });
  return it == r.end() ? nullptr : &*it;
}

}  // namespace kpisim

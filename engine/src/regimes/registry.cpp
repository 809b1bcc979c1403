// The list of regimes the scenario's `type:` can name. Adding a regime adds its declaration and
// one entry here; CMake builds every file in src/regimes/.
#include <algorithm>

#include "kpisim/regimes/regime.hpp"

namespace kpisim {

// Each regime's descriptor is defined in its own file (src/regimes/<name>.cpp).
RegimeInfo none_regime();
RegimeInfo leaderboard_regime();
RegimeInfo quota_regime();
RegimeInfo outcome_regime();
RegimeInfo audit_regime();
RegimeInfo hybrid_regime();
RegimeInfo schedule_regime();
RegimeInfo mandate_regime();
RegimeInfo usage_cap_regime();
RegimeInfo seats_regime();
RegimeInfo compute_budget_regime();
RegimeInfo training_regime();

const std::vector<RegimeInfo>& regime_registry() {
  static const std::vector<RegimeInfo> registry = {none_regime(),      leaderboard_regime(), quota_regime(),          outcome_regime(),
                                                   audit_regime(),     hybrid_regime(),      schedule_regime(),       mandate_regime(),
                                                   usage_cap_regime(), seats_regime(),       compute_budget_regime(), training_regime()};
  return registry;
}

const RegimeInfo* find_regime(std::string_view name) {
  const auto& r = regime_registry();
  auto it = std::find_if(r.begin(), r.end(), [&](const RegimeInfo& i) { return i.name == name; });
  return it == r.end() ? nullptr : &*it;
}

}  // namespace kpisim

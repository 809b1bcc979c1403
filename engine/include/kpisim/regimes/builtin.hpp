#pragma once
// Descriptors of the built-in regimes, one per file in src/regimes/.
#include "kpisim/regimes/regime.hpp"

namespace kpisim {
RegimeInfo none_regime();
RegimeInfo leaderboard_regime();
RegimeInfo quota_regime();
RegimeInfo outcome_regime();
RegimeInfo audit_regime();
RegimeInfo hybrid_regime();
RegimeInfo schedule_regime();
}  // namespace kpisim

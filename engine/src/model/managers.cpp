// The organisation's managers: docs/model.md sections 7.1 (pressure trickle-down and mandates)
// and 7.17 (managers' beliefs). See managers.hpp.
#include "managers.hpp"

#include <algorithm>

namespace kpisim::detail::managers {

void trickle_pressure(const ModelSpec& spec, double trickle, World& w) {
  for (std::size_t u = spec.units.size(); u-- > 0;) {
    const Unit& unit = spec.units[u];
    const double parent = unit.parent >= 0 ? w.unit_pressure[static_cast<std::size_t>(unit.parent)] : 0.0;
    w.unit_pressure[u] = static_cast<float>(w.unit_pressure_own[u] + trickle * parent);
  }
}

void team_mandates(const ModelSpec& spec, const Managers& m, const std::vector<std::size_t>& division_unit, World& w) {
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    w.team_pressure[t] = w.unit_pressure[spec.team_units[t]];
    // A mandate comes from pressure above the threshold, or from a division head who believes
    // (from what they observe) that AI adds more than managers.mandate_belief_usd per person-day.
    const Unit& team_unit = spec.units[spec.team_units[t]];
    const bool believer = w.unit_manager_belief[division_unit[static_cast<std::size_t>(team_unit.division)]] > m.mandate_belief_usd;
    w.team_mandate[t] = (w.team_pressure[t] > m.mandate_threshold || believer) ? 1 : 0;
  }
}

double observed_ai_value(const Managers& m, const KpiView& kpi, const Acc& ac) {
  const double n = std::max(1.0, ac[a_headcount]);
  // Qualitative feedback: what the division's people say AI adds (their beliefs, less the checking
  // and clean-up hours they spent).
  double signal = ac[a_ai_value_reported] / n;
  if (!kpi.none && kpi.tokens > 0)
    signal = m.assumed_usd_per_ktok * ac[a_measured_tokens] / n / 1000.0;
  else if (!kpi.none && kpi.sessions > 0)
    signal = m.assumed_usd_per_session * ac[a_sessions] / n;
  else if (!kpi.none && kpi.outcome > 0)
    // The outcome dashboard above what people say they produced is credited to AI, on top of what
    // they say AI adds: gamed output and measurement noise corrupt the belief because she reads them.
    signal = (ac[a_measured] - ac[a_value_reported]) / n + ac[a_ai_value_reported] / n;
  return signal;
}

double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView& kpi, bool workday, const std::vector<Acc>& division_sums,
                      World& w) {
  double weighted = 0.0;
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const Unit& unit = spec.units[u];
    if (unit.depth != 1) continue;
    const Acc& ac = division_sums[static_cast<std::size_t>(unit.division)];
    const double signal = observed_ai_value(m, kpi, ac);
    if (workday)
      w.unit_manager_belief[u] = static_cast<float>(w.unit_manager_belief[u] + m.belief_rate * (signal - w.unit_manager_belief[u]));
    weighted += w.unit_manager_belief[u] * ac[a_headcount];
  }
  return weighted;
}

}  // namespace kpisim::detail::managers

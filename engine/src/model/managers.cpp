// The organisation's managers: docs/model.md sections 7.1 (pressure trickle-down and mandates)
// and 7.17 (managers' beliefs). See managers.hpp.
#include "managers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kpisim/core/check.hpp"

namespace kpisim::detail::managers {

void trickle_pressure(const ModelSpec& spec, double trickle, World& w) {
  for (std::size_t u = spec.units.size(); u-- > 0;) {
    const Unit& unit = spec.units[u];
    const double parent = unit.parent >= 0 ? w.unit_pressure[static_cast<std::size_t>(unit.parent)] : 0.0;
    w.unit_pressure[u] = static_cast<float>(w.unit_pressure_own[u] + trickle * parent);
  }
}

void draw_thresholds(const ModelSpec& spec, const Rng& rng, World& w) {
  const Managers& m = spec.scenario.managers;
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const double z = normal_quantile(rng.uniform4(static_cast<std::uint32_t>(u), 0, Purpose::managers).u[0]);
    // Managers differ in how reluctant they are, but none is eager to impose what she believes
    // adds nothing: the draw stops at 0 (or at the mean, when a scenario sets it below 0).
    const double floor = std::min(0.0, m.mandate_belief_usd);
    w.unit_mandate_threshold[u] = static_cast<float>(std::max(floor, m.mandate_belief_usd + m.mandate_belief_sd * z));
  }
}

void team_mandates(const ModelSpec& spec, double stake_per_pressure, World& w) {
  const std::size_t k_count = w.k;
  // The most any task type of each division is believed to add: a manager whose pressure cannot
  // lift even that one over her threshold mandates nothing of her own (the common case: one test).
  std::vector<double> best(spec.divisions.size(), -std::numeric_limits<double>::infinity());
  for (std::size_t dv = 0; dv < spec.divisions.size(); ++dv)
    for (std::size_t k = 0; k < k_count; ++k)
      if (spec.divisions[dv].mix[k] > 0) best[dv] = std::max(best[dv], static_cast<double>(w.division_task_belief[dv * k_count + k]));
  // Units are stored children before parents: a backward pass visits each manager after those above her.
  for (std::size_t u = spec.units.size(); u-- > 0;) {
    const Unit& unit = spec.units[u];
    std::uint8_t* const own = &w.unit_task_mandate[u * k_count];
    if (unit.depth < 1) {
      std::fill_n(own, k_count, std::uint8_t{0});
      w.unit_mandate_share[u] = 0.0F;
      continue;
    }
    const auto parent = static_cast<std::size_t>(unit.parent);
    const std::uint8_t* const above = &w.unit_task_mandate[parent * k_count];
    const auto dv = static_cast<std::size_t>(unit.division);
    const double p = w.unit_pressure[u];
    const double threshold = w.unit_mandate_threshold[u];
    // The root mandates nothing, so a division head's "above" is all zeros and its share 0. A row
    // is all zeros exactly when its share is 0 (only task types of the mix are mandated), so the
    // common case, no mandate here or above, writes nothing.
    if (!mandates(best[dv], p, stake_per_pressure, threshold)) {
      const float inherited = unit.depth == 1 ? 0.0F : w.unit_mandate_share[parent];
      if (inherited == 0.0F && w.unit_mandate_share[u] == 0.0F) continue;
      std::copy_n(above, k_count, own);
      w.unit_mandate_share[u] = inherited;
      continue;
    }
    const DivisionSpec& div = spec.divisions[dv];
    const float* const belief = &w.division_task_belief[dv * k_count];
    double mix_total = 0.0;
    double mandated = 0.0;
    for (std::size_t k = 0; k < k_count; ++k) {
      const bool on = above[k] != 0 || (div.mix[k] > 0 && mandates(belief[k], p, stake_per_pressure, threshold));
      own[k] = on ? 1 : 0;
      mix_total += div.mix[k];
      mandated += on ? div.mix[k] : 0.0;
    }
    w.unit_mandate_share[u] = static_cast<float>(mix_total > 0 ? mandated / mix_total : 0.0);
  }
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) w.team_pressure[t] = w.unit_pressure[spec.team_units[t]];
}

double observed_ai_value(const Managers& m, const KpiView& kpi, const Acc& ac) {
  KPISIM_CHECK(!kpi.none, "a dashboard is read only with a KPI in force (without one the heads hear reports)");
  const double n = std::max(1.0, ac[a_headcount]);
  if (kpi.tokens > 0) return m.assumed_usd_per_ktok * ac[a_measured_tokens] / n / 1000.0;
  if (kpi.sessions > 0) return m.assumed_usd_per_session * ac[a_sessions] / n;
  // The outcome dashboard above what people say they produced is credited to AI, on top of what
  // they say AI adds (their beliefs, less the checking and clean-up hours they spent): gamed output
  // and measurement noise corrupt the belief because she reads them.
  return (ac[a_measured] - ac[a_value_reported]) / n + ac[a_ai_value_reported] / n;
}

std::vector<double> feedback(const PassState& ps, std::size_t blocks) {
  std::vector<double> mean(ps.divisions * ps.tasks, 0.0);
  for (std::size_t dv = 0; dv < ps.divisions; ++dv) {
    double n = 0.0;
    for (std::size_t b = 0; b < blocks; ++b) n += ps.feedback_n[b * ps.divisions + dv];
    for (std::size_t k = 0; k < ps.tasks; ++k) {
      double sum = 0.0;  // in block order: the same bits at any thread count
      for (std::size_t b = 0; b < blocks; ++b) sum += ps.feedback[(b * ps.divisions + dv) * ps.tasks + k];
      mean[dv * ps.tasks + k] = n > 0 ? sum / n : 0.0;
    }
  }
  return mean;
}

double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView& kpi, bool workday, const std::vector<Acc>& division_sums,
                      const std::vector<double>* reports, World& w) {
  const std::size_t k_count = w.k;
  // Feedback comes once a week (the plan day): a week's worth of the daily rate.
  const double weekly_rate = 1.0 - std::pow(1.0 - m.belief_rate, 5.0);
  double weighted = 0.0;
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const Unit& unit = spec.units[u];
    if (unit.depth != 1) continue;
    const auto dv = static_cast<std::size_t>(unit.division);
    const Acc& ac = division_sums[dv];
    const DivisionSpec& div = spec.divisions[dv];
    float* const belief = &w.division_task_belief[dv * k_count];
    if (kpi.none) {
      // No KPI: her people's reports, task by task.
      if (reports != nullptr)
        for (std::size_t k = 0; k < k_count; ++k)
          if (div.mix[k] > 0) belief[k] = static_cast<float>(belief[k] + weekly_rate * ((*reports)[dv * k_count + k] - belief[k]));
    } else if (workday) {
      // A KPI dashboard, which cannot tell task types apart: one signal for all of them.
      const double signal = observed_ai_value(m, kpi, ac);
      for (std::size_t k = 0; k < k_count; ++k)
        if (div.mix[k] > 0) belief[k] = static_cast<float>(belief[k] + m.belief_rate * (signal - belief[k]));
    }
    double mix_belief = 0.0;
    double mix_total = 0.0;
    for (std::size_t k = 0; k < k_count; ++k) {
      mix_belief += div.mix[k] * belief[k];
      mix_total += div.mix[k];
    }
    w.unit_manager_belief[u] = static_cast<float>(mix_total > 0 ? mix_belief / mix_total : 0.0);
    weighted += w.unit_manager_belief[u] * ac[a_headcount];
  }
  return weighted;
}

}  // namespace kpisim::detail::managers

// The organisation's managers: docs/model.md sections 7.1 (mandates)
// and 7.17 (managers' beliefs). See managers.hpp.
#include "managers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kpisim/core/check.hpp"
#include "kpisim/core/parallel.hpp"

namespace kpisim::detail::managers {

Mixes division_mixes(const ModelSpec& spec) {
  const std::size_t k_count = spec.task_count();
  Mixes out{std::vector<std::vector<std::uint32_t>>(spec.divisions.size()), std::vector<double>(spec.divisions.size(), 0.0)};
  for (std::size_t dv = 0; dv < spec.divisions.size(); ++dv)
    for (std::size_t k = 0; k < k_count; ++k) {
      out.total[dv] += spec.divisions[dv].mix[k];
      if (spec.divisions[dv].mix[k] > 0) out.tasks[dv].push_back(static_cast<std::uint32_t>(k));
    }
  return out;
}

std::pair<std::size_t, std::size_t> teams_within(const ModelSpec& spec, std::size_t lo, std::size_t hi) {
  if (lo >= hi) return {0, 0};
  std::size_t t = spec.team_of[lo];
  if (spec.units[spec.team_units[t]].first < lo) ++t;  // starts before lo
  std::size_t t_end = t;
  while (t_end < spec.team_units.size() && spec.units[spec.team_units[t_end]].end <= hi) ++t_end;
  return {t, t_end};
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

namespace {
// The mandates of unit u (its own row and share), from its parent's (decided before it).
void unit_mandates(const ModelSpec& spec, const Mixes& mixes, double stake_per_pressure, World& w, std::size_t u) {
  const std::size_t k_count = w.k;
  const Unit& unit = spec.units[u];
  std::uint8_t* const own = &w.unit_task_mandate[u * k_count];
  if (unit.depth < 1) {
    std::fill_n(own, k_count, std::uint8_t{0});
    w.unit_mandate_share[u] = 0.0F;
    return;
  }
  const auto parent = static_cast<std::size_t>(unit.parent);
  const std::uint8_t* const above = &w.unit_task_mandate[parent * k_count];
  const DivisionSpec& div = spec.divisions[static_cast<std::size_t>(unit.division)];
  const std::vector<std::uint32_t>& tasks = mixes.tasks[static_cast<std::size_t>(unit.division)];
  const float* const belief = &w.unit_task_belief[u * k_count];
  const std::uint8_t* const order = &w.unit_task_order[u * k_count];
  const double p = w.unit_pressure[u];
  const double threshold = w.unit_mandate_threshold[u];
  // The most she believes any task type of the mix adds: if her pressure cannot lift even that one
  // over her threshold she mandates nothing of her own (the common case: one test).
  double best = -std::numeric_limits<double>::infinity();
  for (const std::uint32_t k : tasks) best = std::max(best, static_cast<double>(belief[k]));
  // What a policy orders for her unit (the `mandate` regime, 7.15.9) she mandates.
  bool ordered = false;
  if (w.orders_written)
    for (const std::uint32_t k : tasks) ordered = ordered || order[k] != 0;
  // The root mandates nothing, so a division head's "above" is all zeros and its share 0. A row
  // is all zeros exactly when its share is 0 (only task types of the mix are mandated), so the
  // common case, no mandate here or above, writes nothing.
  if (!ordered && !mandates(best, p, stake_per_pressure, threshold)) {
    const float inherited = unit.depth == 1 ? 0.0F : w.unit_mandate_share[parent];
    if (inherited == 0.0F && w.unit_mandate_share[u] == 0.0F) return;
    std::copy_n(above, k_count, own);
    w.unit_mandate_share[u] = inherited;
    return;
  }
  // Task types outside the mix are never mandated (their entries above are 0, and adding 0 to the
  // mandated share changes nothing): her row is the one above with the mix's task types decided.
  std::copy_n(above, k_count, own);
  double mandated = 0.0;
  for (const std::uint32_t k : tasks) {
    const bool on = above[k] != 0 || order[k] != 0 || mandates(belief[k], p, stake_per_pressure, threshold);
    own[k] = on ? 1 : 0;
    mandated += on ? div.mix[k] : 0.0;
  }
#ifdef KPISIM_CHECKS
  for (std::size_t k = 0; k < k_count; ++k)
    KPISIM_CHECK(div.mix[k] > 0 || above[k] == 0, "a task type outside a division's mix is mandated in it");
#endif
  const double total = mixes.total[static_cast<std::size_t>(unit.division)];
  w.unit_mandate_share[u] = static_cast<float>(total > 0 ? mandated / total : 0.0);
}
}  // namespace

void mandates_above_teams(const ModelSpec& spec, const Mixes& mixes, double stake_per_pressure, World& w) {
  // Units are stored children before parents: a backward pass visits each manager after those above her.
  for (std::size_t u = spec.units.size(); u-- > 0;)
    if (!spec.units[u].team) unit_mandates(spec, mixes, stake_per_pressure, w, u);
}

void team_mandates(const ModelSpec& spec, const Mixes& mixes, double stake_per_pressure, World& w, std::size_t t_lo, std::size_t t_hi) {
  for (std::size_t t = t_lo; t < t_hi; ++t) {
    const std::uint32_t u = spec.team_units[t];
    unit_mandates(spec, mixes, stake_per_pressure, w, u);
    w.team_pressure[t] = w.unit_pressure[u];
  }
}

void team_mandates(const ModelSpec& spec, double stake_per_pressure, World& w) {
  const Mixes mixes = division_mixes(spec);
  mandates_above_teams(spec, mixes, stake_per_pressure, w);
  team_mandates(spec, mixes, stake_per_pressure, w, 0, spec.team_units.size());
}

double observed_ai_value(const Managers& m, const KpiView& kpi, double headcount, double dashboard_sum) {
  KPISIM_CHECK(!kpi.none, "a dashboard is read only with a KPI in force (without one the managers hear reports)");
  const double n = std::max(1.0, headcount);
  if (kpi.tokens > 0) return m.assumed_usd_per_ktok * dashboard_sum / n / 1000.0;
  if (kpi.sessions > 0) return m.assumed_usd_per_session * dashboard_sum / n;
  // The outcome dashboard above what people say they produced is credited to AI, on top of what
  // they say AI adds (their beliefs, less the checking and clean-up hours they spent): gamed output
  // and measurement noise corrupt the belief because she reads them.
  return dashboard_sum / n;
}

void start_unit_sums(const ModelSpec& spec, const World& w, bool reports, UnitSums& out) {
  const std::size_t units = spec.units.size();
  out.headcount.assign(units, 0.0);
  out.dashboard.assign(units, 0.0);
  out.reports.assign(reports ? units * w.k : 0, 0.0);
}

void team_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports, UnitSums& out,
               std::size_t t_lo, std::size_t t_hi) {
  const std::size_t k_count = w.k;
  // Each team's sums in slot order (each writes only its own unit's entries).
  for (std::size_t t = t_lo; t < t_hi; ++t) {
    const std::uint32_t u = spec.team_units[t];
    const Unit& team = spec.units[u];
    out.headcount[u] = static_cast<double>(team.end - team.first);
    const KpiView& kv = kpi[static_cast<std::size_t>(team.division)];
    if (dashboard && !kv.none) {
      double sum = 0.0;
      for (std::uint32_t i = team.first; i < team.end; ++i) sum += dashboard_entry(kv, w, ps, i);
      out.dashboard[u] = sum;
    }
    if (reports) {
      const DivisionSpec& div = spec.divisions[static_cast<std::size_t>(team.division)];
      for (std::size_t k = 0; k < k_count; ++k) {
        if (!(div.mix[k] > 0)) continue;
        const float* const r = ps.report.data() + k * ps.employees;
        double sum = 0.0;
        for (std::uint32_t i = team.first; i < team.end; ++i) sum += r[i];
        out.reports[u * k_count + k] = sum;
      }
    }
  }
}

void team_sums_within(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports,
                      UnitSums& out, std::size_t lo, std::size_t hi) {
  const auto [t, t_end] = teams_within(spec, lo, hi);
  team_sums(spec, w, ps, kpi, dashboard, reports, out, t, t_end);
}

void finish_unit_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports,
                      UnitSums& out) {
  for (const std::uint32_t t : ps.split_teams) team_sums(spec, w, ps, kpi, dashboard, reports, out, t, t + 1);
  add_to_parents(spec, w, reports, out);
}

void add_to_parents(const ModelSpec& spec, const World& w, bool reports, UnitSums& out) {
  const std::size_t k_count = w.k;
  // Children are stored before their parents: one forward pass adds each finished unit to its parent.
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const std::int32_t parent = spec.units[u].parent;
    if (parent < 0) continue;
    const auto pu = static_cast<std::size_t>(parent);
    out.headcount[pu] += out.headcount[u];
    out.dashboard[pu] += out.dashboard[u];
    if (reports)
      for (std::size_t k = 0; k < k_count; ++k) out.reports[pu * k_count + k] += out.reports[u * k_count + k];
  }
}

void unit_sums(const ModelSpec& spec, const World& w, const PassState& ps, const KpiView* kpi, bool dashboard, bool reports,
               UnitSums& out) {
  start_unit_sums(spec, w, reports, out);
  // Teams in parallel blocks (each writes only its own unit's entries).
  for_blocks(spec.team_units.size(),
             [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) { team_sums(spec, w, ps, kpi, dashboard, reports, out, lo, hi); });
  add_to_parents(spec, w, reports, out);
}

BeliefDay begin_beliefs(const ModelSpec& spec, const Managers& m, const KpiView* kpi, bool workday, bool reports, World& w) {
  BeliefDay day;
  day.m = &m;
  day.kpi = kpi;
  day.workday = workday;
  day.reports = reports;
  // Feedback comes once a week (the plan day): a week's worth of the daily rate.
  day.weekly_rate = 1.0 - std::pow(1.0 - m.belief_rate, 5.0);
  bool any_kpi = false;
  for (std::size_t dv = 0; dv < spec.divisions.size(); ++dv) any_kpi = any_kpi || !kpi[dv].none;
  day.dashboard = any_kpi && workday;
  // On a day off without reports no belief changes, and neither does its mix-weighted mean,
  // computed when the beliefs last changed. Without a KPI, between reports, only a manager who once
  // read a dashboard has anything to do (her memory of it fades); while nobody has, nothing is
  // updated (the common case: no KPI).
  w.dashboards_read = w.dashboards_read || day.dashboard;
  day.update = reports || day.dashboard || (workday && w.dashboards_read);
  return day;
}

void unit_beliefs(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums, World& w, std::size_t u) {
  const std::size_t k_count = w.k;
  const Managers& m = *day.m;
  const Unit& unit = spec.units[u];
  if (unit.depth < 1) return;
  const auto dv = static_cast<std::size_t>(unit.division);
  const KpiView& kpi = day.kpi[dv];  // the KPI her division is judged on (none outside a policy's scope)
  const DivisionSpec& div = spec.divisions[dv];
  const std::vector<std::uint32_t>& tasks = mixes.tasks[dv];
  const double mix_total = mixes.total[dv];
  const double n = sums.headcount[u];
  float* const belief = &w.unit_task_belief[u * k_count];
  float* const report = &w.unit_task_report[u * k_count];
  const auto mix_mean = [&](const float* v) {
    double sum = 0.0;
    for (const std::uint32_t k : tasks) sum += div.mix[k] * v[k];
    return mix_total > 0 ? sum / mix_total : 0.0;
  };
  float& level = w.unit_dashboard[u];  // NaN until she first reads a dashboard
  // A dashboard read for the first time starts from where her people put the level until today.
  if (!kpi.none && std::isnan(level)) level = static_cast<float>(mix_mean(report));
  // Her people's reports, task by task (the plan day, under every regime).
  if (day.reports && n > 0)
    for (const std::uint32_t k : tasks)
      report[k] = static_cast<float>(report[k] + day.weekly_rate * (sums.reports[u * k_count + k] / n - report[k]));
  const double mean_report = mix_mean(report);
  if (kpi.none && std::isnan(level)) {
    // No KPI, and none read before: what her people say.
    std::copy(report, report + k_count, belief);
  } else if (kpi.none) {
    // No KPI since one ended: her memory of its level fades towards what her people say, at
    // the rate she learned it, on working days.
    if (day.workday) level = static_cast<float>(level + m.belief_rate * (mean_report - level));
    const double shift = m.dashboard_weight * (level - mean_report);
    for (const std::uint32_t k : tasks) belief[k] = static_cast<float>(report[k] + shift);
  } else {
    // Her unit's KPI dashboard cannot tell task types apart: one signal, read on working days,
    // for the level; the differences between task types come from her people.
    if (day.workday) level = static_cast<float>(level + m.belief_rate * (observed_ai_value(m, kpi, n, sums.dashboard[u]) - level));
    const double shift = m.dashboard_weight * (level - mean_report);
    for (const std::uint32_t k : tasks) belief[k] = static_cast<float>(report[k] + shift);
  }
  w.unit_manager_belief[u] = static_cast<float>(mix_mean(belief));
}

void team_beliefs_within(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums, World& w, std::size_t lo,
                         std::size_t hi) {
  if (!day.update) return;
  const auto [t, t_end] = teams_within(spec, lo, hi);
  for (std::size_t q = t; q < t_end; ++q) unit_beliefs(spec, mixes, day, sums, w, spec.team_units[q]);
}

void finish_beliefs(const ModelSpec& spec, const Mixes& mixes, const BeliefDay& day, const UnitSums& sums,
                    const std::vector<std::uint32_t>& split_teams, World& w) {
  if (!day.update) return;
  for (const std::uint32_t t : split_teams) unit_beliefs(spec, mixes, day, sums, w, spec.team_units[t]);
  // The units above the teams: independent, so in parallel blocks.
  for_blocks(spec.units.size(), [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
    for (std::size_t u = lo; u < hi; ++u)
      if (!spec.units[u].team) unit_beliefs(spec, mixes, day, sums, w, u);
  });
}

double division_heads_belief(const ModelSpec& spec, const UnitSums& sums, const World& w) {
  double weighted = 0.0;
  for (std::size_t u = 0; u < spec.units.size(); ++u)
    if (spec.units[u].depth == 1) weighted += w.unit_manager_belief[u] * sums.headcount[u];
  return weighted;
}

double update_beliefs(const ModelSpec& spec, const Managers& m, const KpiView* kpi, bool workday, const UnitSums& sums, bool reports,
                      World& w) {
  const BeliefDay day = begin_beliefs(spec, m, kpi, workday, reports, w);
  const Mixes mixes = division_mixes(spec);
  // Every manager updates her own beliefs from her own unit: independent, so in parallel blocks.
  if (day.update)
    for_blocks(spec.units.size(), [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      for (std::size_t u = lo; u < hi; ++u) unit_beliefs(spec, mixes, day, sums, w, u);
    });
  return division_heads_belief(spec, sums, w);
}

}  // namespace kpisim::detail::managers

// The daily cycle. See docs/model.md (ODD "Process overview and scheduling") for the equations.
//
// Per day: (1) regimes write incentives and managers choose their pressure; (2) mandates; (3) one fused
// parallel pass over employees does arrivals, allocation, work, measurement, learning,
// well-being and attrition for each person (agent-local phases, fused for memory bandwidth);
// (4) deterministic reductions give the day's outputs, and each author's workslop reaches its
// recipient (inside the pass for teams within one block, here for teams split across blocks);
// (5) regimes close the day (windows, rewards, ranks, audits); (6) managers update beliefs.
#include "kpisim/model/simulation.hpp"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/check.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/allocation.hpp"
#include "kpisim/model/rules.hpp"
#include "managers.hpp"
#include "outputs.hpp"
#include "person_pass.hpp"
#include "workslop.hpp"

namespace kpisim {

// ---------------------------------------------------------------------------------------------
// World

World::World(const ModelSpec& spec) : n(spec.employees), k(spec.task_count()) {
  auto f = [&](Column<float>& c) { c.assign(n, 0.0F); };
  for (auto* c : {&skill,
                  &skill_potential,
                  &trust,
                  &strain,
                  &proficiency,
                  &integrity,
                  &reward_sensitivity,
                  &script_scale,
                  &exhaustion,
                  &cynicism,
                  &efficacy,
                  &engagement,
                  &shame,
                  &backlog_hours,
                  &cleanup_hours,
                  &measured_tokens,
                  &metered_tokens,
                  &metered_usd,
                  &measured_outcome,
                  &performative_tokens,
                  &performative_hours,
                  &gamed_outcome,
                  &perf_filter,
                  &perf_removed,
                  &measured_sessions,
                  &inc_sessions,
                  &inc_usage,
                  &inc_usage_cap,
                  &script_intensity,
                  &contest_stake,
                  &contest_gap,
                  &contest_sigma,
                  &inc_outcome,
                  &inc_padding_penalty,
                  &inc_script_penalty,
                  &no_seat,
                  &training,
                  &ema_kpi,
                  &ema_value,
                  &reward_usd,
                  &reward_seen,
                  &reward_expect})
    f(*c);
  hire_day.assign(n, 0);
  last_slop_day.assign(n, kNever);
  belief.assign(n * k, 0.0F);
  scripting.assign(n, 0);
  team_pressure.assign(spec.team_units.size(), 0.0F);
  unit_pressure.assign(spec.units.size(), 0.0F);
  unit_manager_belief.assign(spec.units.size(), 0.0F);
  unit_mandate_threshold.assign(spec.units.size(), 0.0F);
  unit_task_mandate.assign(spec.units.size() * k, 0);
  unit_mandate_share.assign(spec.units.size(), 0.0F);
  unit_task_order.assign(spec.units.size() * k, 0);
  unit_task_belief.assign(spec.units.size() * k, 0.0F);
  unit_task_report.assign(spec.units.size() * k, 0.0F);
  unit_dashboard.assign(spec.units.size(), std::numeric_limits<float>::quiet_NaN());  // no dashboard read yet
}

namespace {
// The incentive columns clear_incentives zeroes; a column's position is its bit in incentives_written_.
std::array<Column<float> World::*, 13> incentive_columns() {
  return {&World::inc_usage,     &World::inc_sessions,        &World::inc_usage_cap,
          &World::contest_stake, &World::contest_gap,         &World::contest_sigma,
          &World::inc_outcome,   &World::inc_padding_penalty, &World::inc_script_penalty,
          &World::perf_filter,   &World::perf_removed,        &World::no_seat,
          &World::training};
}
}  // namespace

void World::wrote(const Column<float>& c) {
  const auto columns = incentive_columns();
  for (std::size_t j = 0; j < columns.size(); ++j)
    if (&(this->*columns[j]) == &c) {
      incentives_written_ |= 1U << j;
      incentives_ever_ |= 1U << j;
      return;
    }
  KPISIM_CHECK(false, "World::wrote: not an incentive column");
}

namespace {
// The bit of incentive column `c` in World's masks (checked builds stop on another column).
std::uint32_t incentive_bit(const World& w, const Column<float>& c) {
  const auto columns = incentive_columns();
  for (std::size_t j = 0; j < columns.size(); ++j)
    if (&(w.*columns[j]) == &c) return 1U << j;
  KPISIM_CHECK(false, "World: not an incentive column");
  return ~0U;
}
}  // namespace

bool World::written(const Column<float>& c) const {
  return (incentives_written_ & incentive_bit(*this, c)) != 0;
}

bool World::ever_written(const Column<float>& c) const {
  return (incentives_ever_ & incentive_bit(*this, c)) != 0;
}

void World::clear_incentives() {
  clear_incentive_columns();
  std::fill(unit_pressure.begin(), unit_pressure.end(), 0.0F);
  if (orders_written) std::fill(unit_task_order.begin(), unit_task_order.end(), std::uint8_t{0});
  orders_written = false;
  rewards_paid_today = penalties_today = audits_today = audit_detections_today = audit_false_positives_today = audit_hours_today = 0.0;
}

void World::clear_incentive_columns() {
  // Only the columns a regime wrote since the last clear (the others are still zero: a regime
  // writes few of the twelve, and a run without a regime none), cleared block by block in parallel
  // (zeros, so the same at any thread count). Clearing all of them was a sizeable share of a day.
  const auto columns = incentive_columns();
  std::array<Column<float>*, 13> dirty{};
  std::size_t count = 0;
  for (std::size_t j = 0; j < columns.size(); ++j) {
    Column<float>& c = this->*columns[j];
    if ((incentives_written_ >> j & 1U) != 0) {
      dirty[count++] = &c;
    } else {
      KPISIM_CHECK(std::all_of(c.begin(), c.end(), [](float x) { return x == 0.0F && !std::signbit(x); }),
                   "an incentive column was written without World::wrote, so clear_incentives would not clear it");
    }
  }
  incentives_written_ = 0;
  if (count > 0)
    for_blocks(n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      for (std::size_t j = 0; j < count; ++j) std::fill(dirty[j]->data() + lo, dirty[j]->data() + hi, 0.0F);
    });
}

using namespace detail;  // NOLINT(google-build-using-namespace): the accumulator indices a_*

struct Simulation::Impl {
  explicit Impl(const ModelSpec& spec)
      : pass(spec), mixes(managers::division_mixes(spec)), blocks(block_count(spec.employees)), ndiv(spec.divisions.size()) {
    acc.assign(blocks * ndiv, Acc{});
    kpi.assign(ndiv, KpiWeights{});
    kpi_view.assign(ndiv, detail::managers::KpiView{});
    kpi_wt.assign(ndiv, 0.0);
    kpi_ws.assign(ndiv, 0.0);
    kpi_wo.assign(ndiv, 0.0);
    service_wait.assign(ndiv, 0.0);
    service_pending.assign(ndiv, 0.0);
    service_in.assign(ndiv, 0.0);
    frustration_per_e.assign(ndiv, 0.0);
  }

  detail::PassState pass;
  managers::Mixes mixes;  // each division's task types (the managers')
  std::size_t blocks;
  std::size_t ndiv;
  std::vector<Acc> acc;                  // [block][division]
  detail::managers::UnitSums unit_sums;  // what each manager sees of her own unit today (7.17)
  std::vector<std::uint32_t> snapshot_slots;
  // The day's KPI of each division (a policy with a scope judges some divisions only).
  std::vector<KpiWeights> kpi;
  std::vector<detail::managers::KpiView> kpi_view;
  std::vector<double> kpi_wt, kpi_ws, kpi_wo;  // per measured token, session, USD, relative to the references
  // Escalations handed to service divisions (7.9), per division: the working days its queue takes
  // (its backlog per person in norm days, at the end of the last day), the hours handed to it and
  // not yet arrived, today's arrivals per person, and the requesters' frustration per E.
  std::vector<double> service_wait, service_pending, service_in, frustration_per_e;
};

SnapshotLayout snapshot_layout(const ModelSpec& spec) {
  SnapshotLayout l;
  const auto& out = spec.scenario.output;
  if (out.snapshot_every <= 0) return l;
  const std::size_t n = spec.employees;
  const std::size_t m = std::min<std::size_t>(static_cast<std::size_t>(out.snapshot_sample), n);
  for (std::size_t j = 0; j < m; ++j) l.agents.push_back(static_cast<std::uint32_t>((2 * j + 1) * n / (2 * m)));
  for (int d = 0; d < spec.scenario.days; ++d)
    if ((d + 1) % out.snapshot_every == 0) l.days.push_back(d);  // as Simulation::step records them
  return l;
}

Simulation::Simulation(const ModelSpec& spec, std::size_t policy_index, std::uint32_t replication, RunOptions options)
    : spec_(spec),
      world_(spec),
      rng_(spec.scenario.seed, replication),
      regime_(spec.scenario.policies.at(policy_index)
                  .config->instantiate(spec, resolve_scope(spec, spec.scenario.policies.at(policy_index), whole_scope(spec)))),
      impl_(std::make_unique<Impl>(spec)),
      options_(options) {
  for (std::size_t i = 0; i < world_.n; ++i) detail::hire(spec_, world_, rng_, i, 0, true);
  managers::draw_thresholds(spec_, rng_, world_);
  const auto& pol = spec.scenario.policies[policy_index];
  result_.policy = pol.name;
  result_.policy_type = pol.type;
  result_.replication = replication;
  result_.days = spec.scenario.days;
  const auto days = static_cast<std::size_t>(spec.scenario.days);
  result_.series.assign(daily_variables().size() * days, 0.0);
  if (spec.scenario.output.per_unit) {
    std::size_t nu = 0;
    for (const auto& v : daily_variables()) nu += v.per_unit ? 1 : 0;
    result_.unit_series.assign(nu * spec.divisions.size() * days, 0.0);
  }
  const auto& out = spec.scenario.output;
  if (out.snapshot_every > 0) {
    impl_->snapshot_slots = snapshot_layout(spec).agents;
    result_.snapshot_agents = impl_->snapshot_slots;
  }
}

Simulation::~Simulation() = default;

void Simulation::step() {
  const ModelSpec& spec = spec_;
  const Scenario& sc = spec.scenario;
  World& w = world_;
  Impl& im = *impl_;
  const int d = day_;
  const bool workday = is_workday(d);
  const bool plan_day = d % 7 == 0;  // Mondays
  const auto& ms = sc.measurement;

  // (1) Regimes write incentives. (The columns written yesterday were zeroed at the end of
  // yesterday, alongside (5) and (6); here the day's counters and the units' pressure.)
  w.clear_incentives();
  RegimeContext ctx{spec, w, rng_, d};
  regime_->apply(ctx, 1.0);
  // The KPI each division is judged on today (none outside a policy's scope, 7.15.8).
  std::fill(im.kpi.begin(), im.kpi.end(), KpiWeights{});
  regime_->kpi_by_division(d, 1.0, im.kpi);
  bool any_kpi = false;
  for (std::size_t dv = 0; dv < im.ndiv; ++dv) {
    KpiWeights kw = im.kpi[dv];
    const bool no_kpi = kw.tokens == 0 && kw.outcome == 0 && kw.sessions == 0;
    if (no_kpi) kw.tokens = 1.0;  // with no KPI the diagnostics read the usage dashboard
    any_kpi = any_kpi || !no_kpi;
    im.kpi_view[dv] = {kw.tokens, kw.sessions, kw.outcome, no_kpi};
    im.kpi_wt[dv] = kw.tokens / ms.kpi_reference_tokens;
    im.kpi_ws[dv] = kw.sessions / ms.kpi_reference_sessions;
    im.kpi_wo[dv] = kw.outcome / ms.kpi_reference_usd;
  }

  // (2) Mandates are set (managers.cpp, 7.1), under the pressure each manager chose in (1): here
  // those of the units above the teams and of the teams split between blocks; each block of the pass
  // starts with those of its own teams.
  const double stake_per_pressure = sc.behaviour.pressure_usd_per_hour * sc.behaviour.norm_hours;
  managers::mandates_above_teams(spec, im.mixes, stake_per_pressure, w);
  for (const std::uint32_t t : im.pass.split_teams) managers::team_mandates(spec, im.mixes, stake_per_pressure, w, t, t + 1);

  // What the managers read tonight (7.17): the sums of each team's members, in the pass.
  const managers::KpiView* const kpi_view = im.kpi_view.data();
  const bool read_dashboard = any_kpi && workday;
  const bool read_reports = plan_day && workday;
  managers::start_unit_sums(spec, w, read_reports, im.unit_sums);
  // ... and what each of them makes of it (6): a team's manager at the end of its block of the pass.
  const managers::BeliefDay belief_day = managers::begin_beliefs(spec, sc.managers, kpi_view, workday, read_reports, w);

  // (3) The fused per-person pass (person_pass.cpp).
  // Escalations handed on since the service divisions' last working day arrive today (7.9); the
  // requesters' frustration per escalation is priced at the queues as they stood last night.
  if (spec.any_service) {
    for (std::size_t dv = 0; dv < im.ndiv; ++dv) {
      im.service_in[dv] = workday ? im.service_pending[dv] / std::max<double>(1.0, spec.divisions[dv].headcount) : 0.0;
      if (workday) im.service_pending[dv] = 0.0;
      const auto& fr = spec.divisions[dv].frustration_to;
      double f = 0.0;
      for (std::size_t sv = 0; sv < fr.size(); ++sv) f += fr[sv] * im.service_wait[sv];
      im.frustration_per_e[dv] = f;
    }
  }
  detail::DayContext day{spec,
                         w,
                         rng_,
                         d,
                         workday,
                         plan_day,
                         im.kpi_wt.data(),
                         im.kpi_ws.data(),
                         im.kpi_wo.data(),
                         kpi_view,
                         &im.unit_sums,
                         read_dashboard,
                         read_reports,
                         &im.mixes,
                         stake_per_pressure,
                         &belief_day};
  if (spec.any_service) {
    day.service_in = im.service_in.data();
    day.frustration_per_e = im.frustration_per_e.data();
  }
  std::fill(im.acc.begin(), im.acc.end(), Acc{});
  auto body = [&](std::size_t blk, std::size_t lo, std::size_t hi) { detail::person_pass(day, im.pass, &im.acc[blk * im.ndiv], lo, hi); };
  if (options_.serial)
    for_blocks_serial(w.n, body);
  else
    for_blocks(w.n, body);

  // (4) Deterministic reductions: per division in block order.
  std::vector<Acc> div_acc(im.ndiv, Acc{});
  for (std::size_t blk = 0; blk < im.blocks; ++blk)
    for (std::size_t dv = 0; dv < im.ndiv; ++dv)
      for (std::size_t j = 0; j < a_count; ++j) div_acc[dv][j] += im.acc[blk * im.ndiv + dv][j];
  // Escalated requests are handed to their service divisions, to arrive on their next working day,
  // where they wait behind the queue as it stands tonight (7.9).
  if (spec.any_service) {
    for (std::size_t dv = 0; dv < im.ndiv; ++dv) {
      const DivisionSpec& ds = spec.divisions[dv];
      const double e = div_acc[dv][a_e];
      double wait = 0.0;
      for (std::size_t sv = 0; sv < ds.handoff_to.size(); ++sv) {
        im.service_pending[sv] += e * ds.handoff_to[sv];
        wait += e * ds.handoff_to[sv] * im.service_wait[sv];
      }
      div_acc[dv][a_handoff] = e * ds.handoff;
      div_acc[dv][a_wait] = wait;
    }
    const double norm = sc.behaviour.norm_hours;
    for (std::size_t dv = 0; dv < im.ndiv; ++dv)
      im.service_wait[dv] = div_acc[dv][a_backlog] / (std::max<double>(1.0, spec.divisions[dv].headcount) * norm);
  }
  // Workslop reaches colleagues (workslop.cpp, 7.8): cleaned up on the next working day. Each block
  // of the pass scattered its own teams; here the few teams split between blocks.
  if (workday)
    for (const std::uint32_t t : im.pass.split_teams)
      workslop::scatter(spec, d, im.pass.slop_out.data(), im.pass.slop_to.data(), im.pass.slop_in.data(), w.last_slop_day.data(), t, t + 1);

  // (5) Regimes close the day, and (6) every manager's beliefs about AI value, from what she observes
  // of her own unit (managers.cpp, 7.17): its KPI dashboard on working days, or without a KPI her
  // people's reports of the plan day. The two share no data (a regime's close writes rewards, shame,
  // audit hours and its own state, never the incentive columns, which only apply writes; the
  // managers read the measured columns and the reports and write the units' beliefs), so they run
  // at the same time: each gives the same bits whichever thread runs it, and the TBB worker, often
  // asleep after the pass, can take one whole.
  double ai_signal_total = 0.0;
  const auto close_day = [&] { regime_->end_of_day(ctx, 1.0); };
  const auto beliefs = [&] {
    managers::finish_unit_sums(spec, w, im.pass, kpi_view, read_dashboard, read_reports, im.unit_sums);
    managers::finish_beliefs(spec, im.mixes, belief_day, im.unit_sums, im.pass.split_teams, w);
    ai_signal_total = managers::division_heads_belief(spec, im.unit_sums, w);
  };
  // Today's incentive columns are read by nothing after the pass: they are zeroed now, at the same
  // time (zeros, so the same whichever thread), rather than by tomorrow's clear_incentives on one
  // thread before the regime writes.
  const auto clear_columns = [&] { w.clear_incentive_columns(); };
  if (options_.serial) {
    close_day();
    beliefs();
    clear_columns();
  } else {
    tbb::parallel_invoke(close_day, beliefs, clear_columns);
  }

  // (7) Record the day.
  const std::size_t days = static_cast<std::size_t>(sc.days);
  const auto& vars = daily_variables();
  Acc total{};
  for (const auto& ac : div_acc)
    for (std::size_t j = 0; j < a_count; ++j) total[j] += ac[j];
  const auto dd = static_cast<std::size_t>(d);
  outputs::daily(total, workday, [&](std::string_view name, double v) { result_.series[daily_index(name) * days + dd] = v; });
  auto put_run = [&](std::string_view name, double v) { result_.series[daily_index(name) * days + dd] = v; };
  put_run("rewards_usd", w.rewards_paid_today);
  put_run("penalties_usd", w.penalties_today);
  put_run("audits", w.audits_today);
  put_run("audit_detections", w.audit_detections_today);
  put_run("audit_false_positives", w.audit_false_positives_today);
  put_run("audit_hours", w.audit_hours_today);
  put_run("manager_ai_value_belief", total[a_headcount] > 0 ? ai_signal_total / total[a_headcount] : 0.0);
  {
    // The money view (docs/output-schema.md): the organisation's net of what it pays out and gets back.
    const double net = total[a_value] - total[a_cost] - w.rewards_paid_today + w.penalties_today;
    put_run("net_value_usd", net);
    put_run("net_value_per_fte", net / std::max(1.0, total[a_headcount]));
    put_run("net_value_annual_usd", net * kDaysPerYear);
  }
  if (!result_.unit_series.empty()) {
    // per-unit variable index -> position among per_unit variables
    std::vector<std::size_t> pos(vars.size(), SIZE_MAX);
    std::size_t c = 0;
    for (std::size_t v = 0; v < vars.size(); ++v)
      if (vars[v].per_unit) pos[v] = c++;
    for (std::size_t dv = 0; dv < im.ndiv; ++dv)
      outputs::daily(div_acc[dv], workday, [&](std::string_view name, double v) {
        const std::size_t p = pos[daily_index(name)];
        if (p != SIZE_MAX) result_.unit_series[(p * im.ndiv + dv) * days + dd] = v;
      });
  }
  // Snapshots.
  const auto& out = sc.output;
  if (out.snapshot_every > 0 && (d + 1) % out.snapshot_every == 0) {
    result_.snapshot_days.push_back(d);
    const auto m = im.snapshot_slots.size();
    const std::size_t nsv = snapshot_variables().size();
    const std::size_t nsnap = static_cast<std::size_t>(sc.days / out.snapshot_every);
    if (result_.snapshots.empty()) result_.snapshots.assign(nsv * nsnap * m, 0.0F);
    const std::size_t s = result_.snapshot_days.size() - 1;
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t i = im.snapshot_slots[j];
      const float vals[] = {w.skill[i],
                            w.proficiency[i],
                            6.0F * w.exhaustion[i],
                            6.0F * w.cynicism[i],
                            6.0F * w.efficacy[i],
                            w.ema_kpi[i],
                            w.ema_value[i],
                            w.reward_usd[i],
                            w.reward_expect[i],
                            static_cast<float>(w.scripting[i]),
                            static_cast<float>(spec.team_of[i]),
                            static_cast<float>(spec.is_manager[i])};
      static_assert(sizeof(vals) / sizeof(vals[0]) == 12, "one value per snapshot variable");
      for (std::size_t v = 0; v < nsv; ++v) result_.snapshots[(v * nsnap + s) * m + j] = vals[v];
    }
  }
  ++day_;
}

std::vector<RunResult> run_policies(const ModelSpec& spec, std::uint32_t replication,
                                    const std::function<void(long long, long long)>& progress) {
  const std::size_t np = spec.scenario.policies.size();
  const int days = spec.scenario.days;
  std::vector<RunResult> results(np);
  std::atomic<long long> done{0};
  const long long total = static_cast<long long>(np) * days;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto work = [&] {
    tbb::parallel_for(std::size_t{0}, np, [&](std::size_t p) {
      try {
        Simulation sim(spec, p, replication);
        for (int d = 0; d < days && !failed.load(); ++d) {
          sim.step();
          done.fetch_add(1);
        }
        results[p] = sim.take_result();
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    });
  };
  if (progress) {
    // The runs execute on a worker thread so that this thread can report progress.
    std::atomic<bool> finished{false};
    std::thread worker([&] {
      work();
      finished.store(true);
    });
    bool cancelled = false;
    while (!finished.load()) {
      try {
        progress(done.load(), total);
      } catch (...) {
        // A throwing callback cancels the run (Ctrl-C in the Python module): the runs stop at the
        // end of their current day and the callback's exception is rethrown below.
        if (!failed.exchange(true)) error = std::current_exception();
        cancelled = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    worker.join();
    if (!cancelled) progress(done.load(), total);
  } else {
    work();
  }
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace kpisim

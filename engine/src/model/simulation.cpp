// The daily cycle. See docs/model.md (ODD "Process overview and scheduling") for the equations.
//
// Per day: (1) regimes write incentives; (2) pressure trickles down the unit tree; (3) one fused
// parallel pass over employees does arrivals, allocation, work, measurement, learning,
// well-being and attrition for each person (agent-local phases, fused for memory bandwidth);
// (4) deterministic reductions give the day's outputs and the team workslop pools;
// (5) regimes close the day (windows, rewards, ranks, audits); (6) managers update beliefs.
#include "kpisim/model/simulation.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/check.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/allocation.hpp"
#include "kpisim/model/rules.hpp"

namespace kpisim {

// ---------------------------------------------------------------------------------------------
// World

World::World(const ModelSpec& spec) : n(spec.employees), k(spec.task_count()) {
  auto f = [&](Column<float>& c) { c.assign(n, 0.0F); };
  for (auto* c : {&skill,
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
                  &measured_outcome,
                  &performative_tokens,
                  &performative_hours,
                  &gamed_outcome,
                  &perf_filter,
                  &measured_sessions,
                  &inc_sessions,
                  &inc_usage,
                  &inc_outcome,
                  &inc_padding_penalty,
                  &inc_script_penalty,
                  &ema_kpi,
                  &ema_value,
                  &reward_usd})
    f(*c);
  hire_day.assign(n, 0);
  belief.assign(n * k, 0.0F);
  scripting.assign(n, 0);
  rank.assign(n, UINT32_MAX);
  team_pressure.assign(spec.team_units.size(), 0.0F);
  team_mandate.assign(spec.team_units.size(), 0);
  unit_pressure_own.assign(spec.units.size(), 0.0F);
  unit_pressure.assign(spec.units.size(), 0.0F);
  unit_manager_belief.assign(spec.units.size(), 0.0F);
}

void World::clear_incentives() {
  for (auto* c : {&inc_usage, &inc_sessions, &inc_outcome, &inc_padding_penalty, &inc_script_penalty, &perf_filter, &unit_pressure_own})
    std::fill(c->begin(), c->end(), 0.0F);
  rewards_paid_today = penalties_today = audits_today = audit_detections_today = audit_hours_today = 0.0;
}

namespace {

// Daily accumulators (sums over employees), one set per division per block.
enum A : std::size_t {
  a_headcount,
  a_value,
  a_measured,
  a_ai_value,
  a_backlog,
  a_hours,
  a_overtime,
  a_manual,
  a_ai_hours,
  a_verify,
  a_cleanup,
  a_perf_hours,
  a_learn,
  a_work_hours,
  a_tok_prod,
  a_tok_rework,
  a_tok_perf,
  a_tok_script,
  a_cost,
  a_energy,
  a_caught,
  a_passed,
  a_slop_hours,
  a_escalations,
  a_exhaustion,
  a_cynicism,
  a_efficacy,
  a_engagement,
  a_burnt,
  a_quits,
  a_skill,
  a_prof,
  a_trust,
  a_belief_err,
  a_pressure,
  a_mandate,
  a_scripting,
  a_kpi,
  a_kpi_perf,
  a_measured_tokens,
  a_sessions,
  a_sx,
  a_sy,
  a_sxx,
  a_syy,
  a_sxy,
  a_corr_n,
  a_count
};
using Acc = std::array<double, a_count>;

// Per-person weekly plan: aggregates over the task mix per manual-equivalent hour of work (E),
// refreshed on the first working day of each week (people revisit habits weekly).
struct Plan {
  Column<float> hours_per_e;        // hours spent per E (manual and AI parts)
  Column<float> believed_per_e;     // believed value per E
  Column<float> true_per_e;         // true value per E
  Column<float> manual_per_e;       // value the same E would give done manually
  Column<float> tokens_per_e;       // tokens per E
  Column<float> defects_per_e;      // expected AI errors per E
  Column<float> stakes_per_e;       // expected downstream hours per E (errors x stakes)
  Column<float> loss_per_e;         // expected value at risk per E (errors x task value)
  Column<float> ai_hours_per_e;     // AI-assisted hours per E
  Column<float> escal_per_e;        // chatbot escalations per E
  Column<float> futile_per_e;       // AI hours per E on tasks the person believes AI harms
  Column<float> fix_per_e;          // fix hours per caught error (weighted)
  Column<float> belief_err;         // mean |belief - truth| over the mix
  Column<float> ai_tasks_per_e;     // AI-assisted tasks per E
  Column<float> week_e;             // E done since the last plan (experience for belief updates)
  Column<std::uint8_t> needs_plan;  // a new hire plans on their first working day

  explicit Plan(std::size_t n) {
    for (auto* c : {&hours_per_e, &believed_per_e, &true_per_e, &manual_per_e, &tokens_per_e, &defects_per_e, &stakes_per_e, &loss_per_e,
                    &ai_hours_per_e, &escal_per_e, &futile_per_e, &fix_per_e, &belief_err, &ai_tasks_per_e, &week_e})
      c->assign(n, 0.0F);
    needs_plan.assign(n, 1);
  }
};

double clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}

// Fixed constants of the model (documented in docs/model.md, 7.13).
constexpr double kShameDecay = 0.9;        // shame left after a day
constexpr double kMandateHindrance = 0.5;  // hindrance demand of working under a mandate
constexpr double kEngagementDrain = 2.0;   // engagement loss per unit exhaustion, relative to engagement_rate
constexpr double kMandateAutonomy = 0.5;   // share of autonomy left under a mandate

}  // namespace

struct Simulation::Impl {
  explicit Impl(const ModelSpec& spec) : plan(spec.employees), blocks(block_count(spec.employees)), ndiv(spec.divisions.size()) {
    acc.assign(blocks * ndiv, Acc{});
    team_size.resize(spec.team_units.size());
    for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
      const Unit& u = spec.units[spec.team_units[t]];
      team_size[t] = static_cast<float>(u.end - u.first);
    }
    for (const auto& d : spec.divisions) {
      std::vector<std::uint32_t> active;
      double vph = 0.0;
      for (std::size_t k = 0; k < d.mix.size(); ++k)
        if (d.mix[k] > 0) {
          active.push_back(static_cast<std::uint32_t>(k));
          vph += d.mix[k] * spec.tasks[k].value_per_hour;
        }
      div_tasks.push_back(std::move(active));
      div_value_per_hour.push_back(vph);
    }
    slop_share.assign(spec.team_units.size(), 0.0F);
    division_unit.assign(spec.divisions.size(), spec.units.size() - 1);
    for (std::size_t u = 0; u < spec.units.size(); ++u)
      if (spec.units[u].depth == 1) division_unit[static_cast<std::size_t>(spec.units[u].division)] = u;
    team_slop_out.assign(spec.employees, 0.0F);
  }

  Plan plan;
  std::size_t blocks;
  std::size_t ndiv;
  std::vector<Acc> acc;  // [block][division]
  std::vector<float> team_size;
  std::vector<std::vector<std::uint32_t>> div_tasks;
  std::vector<double> div_value_per_hour;  // mix-weighted value per manual hour at skill 1
  std::vector<float> slop_share;           // per team: workslop hours each member receives today
  std::vector<float> team_slop_out;        // per employee: workslop hours produced today
  std::vector<std::uint32_t> snapshot_slots;
  std::vector<std::size_t> division_unit;  // unit index of each division's root
};

namespace {

// Draws the traits of the person hired into slot i on `day`.
void hire(const ModelSpec& spec, World& w, const Rng& rng, std::size_t i, int day, bool initial) {
  const auto& wf = spec.scenario.workforce;
  const auto slot = static_cast<std::uint32_t>(i);
  const auto hd = static_cast<std::uint32_t>(day);
  const auto u0 = rng.uniform4(slot, hd, Purpose::traits, 0);
  const auto u1 = rng.uniform4(slot, hd, Purpose::traits, 1);
  const double base_skill = initial ? wf.skill_mean : wf.replacement_skill;
  w.skill[i] = static_cast<float>(std::clamp(base_skill + wf.skill_sd * normal_quantile(u0.u[0]), 0.2, 2.5));
  const double prof = initial ? wf.proficiency_mean : std::max(0.0, wf.proficiency_mean - wf.proficiency_sd);
  w.proficiency[i] = static_cast<float>(clamp01(prof + wf.proficiency_sd * normal_quantile(u0.u[1])));
  w.integrity[i] = static_cast<float>(clamp01(wf.integrity_mean + wf.integrity_sd * normal_quantile(u0.u[2])));
  w.reward_sensitivity[i] =
      static_cast<float>(std::max(0.0, wf.reward_sensitivity_mean + wf.reward_sensitivity_sd * normal_quantile(u0.u[3])));
  w.script_scale[i] = static_cast<float>(std::exp(wf.script_scale_sigma * normal_quantile(u1.u[0])));
  const auto u2 = rng.uniform4(slot, hd, Purpose::traits, 2);
  w.strain[i] = static_cast<float>(std::exp(wf.strain_sigma * normal_quantile(u2.u[0])));
  const double optimism = wf.prior_gain + wf.prior_gain_sd * normal_quantile(u1.u[1]);
  for (std::size_t k = 0; k < w.k; ++k) w.belief[k * w.n + i] = static_cast<float>(optimism);
  w.hire_day[i] = day;
  w.exhaustion[i] = static_cast<float>(0.2 + 0.1 * u1.u[2]);
  w.cynicism[i] = static_cast<float>(0.1 + 0.1 * u1.u[3]);
  w.efficacy[i] = 0.7F;
  w.trust[i] = static_cast<float>(clamp01(wf.trust_mean + wf.trust_sd * normal_quantile(u2.u[1])));
  w.engagement[i] = 0.6F;
  w.shame[i] = 0.0F;
  w.backlog_hours[i] = static_cast<float>(spec.scenario.behaviour.norm_hours);
  w.cleanup_hours[i] = 0.0F;
  w.scripting[i] = 0;
  w.ema_kpi[i] = 0.0F;
  w.ema_value[i] = 0.0F;
  w.reward_usd[i] = 0.0F;
  w.rank[i] = UINT32_MAX;
}

// The weekly plan of person i: AI-or-manual choice per task type, and aggregates per E.
// Also folds the past week's experience into beliefs.
void plan_week(const ModelSpec& spec, World& w, Plan& p, const Rng& rng, const std::vector<std::uint32_t>& tasks, const DivisionSpec& div,
               std::size_t i, int day, double pressure, bool mandate, double inc_usage, double inc_sessions, double inc_outcome) {
  const auto& b = spec.scenario.behaviour;
  const auto& lr = spec.scenario.learning;
  const double skill = w.skill[i];
  const double prof = w.proficiency[i];
  const double cyn = w.cynicism[i];
  const double sens = w.reward_sensitivity[i];
  const double week_e = p.week_e[i];
  double h = 0, vb = 0, vt = 0, vm = 0, tok = 0, def = 0, stk = 0, loss = 0, aih = 0, esc = 0, fut = 0, fix = 0, err = 0, ntask = 0;
  std::array<double, 4> z4{};
  for (std::size_t j = 0; j < tasks.size(); ++j) {
    const std::uint32_t k = tasks[j];
    const TaskSpec& t = spec.tasks[k];
    const double pi = div.mix[k];
    float& belief = w.belief[k * w.n + i];
    const double g_true = rules::ai_gain(t, skill, prof);
    if (j % 4 == 0) {
      const auto u = rng.uniform4(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(day), Purpose::learning,
                                  static_cast<std::uint32_t>(j / 4));
      for (int q = 0; q < 4; ++q) z4[static_cast<std::size_t>(q)] = normal_quantile(u.u[q]);
    }
    const double r_man = skill * t.value_per_hour;
    // Experience from last week updates the belief first. Hours used on k last week are
    // week_e * pi * u * tf, with u re-derived from the pre-update belief and today's incentives.
    const double tok_h = t.tokens_per_use / (t.base_hours * t.time_factor);
    const double sessions_h = 1.0 / (t.base_hours * t.time_factor);  // one session per AI-assisted task
    auto score = [&](double bel) {
      return b.intrinsic_weight * r_man * bel * (1.0 - b.cynicism_drag * cyn) +
             sens * (inc_usage * tok_h + inc_sessions * sessions_h + pressure * b.pressure_usd_per_hour +
                     (mandate ? b.mandate_usd_per_hour : 0.0) + inc_outcome * r_man * bel);
    };
    const double u_prev = t.chatbot ? 1.0 : rules::choice_share(score(belief), b.choice_temperature_usd);
    const double hours_used = week_e * pi * u_prev * t.time_factor;
    if (hours_used > 0) {
      // What people experience: the true gain less the clean-up that comes back to them; the share
      // of their errors that lands on colleagues (workslop) stays invisible to them.
      const double returned = rules::defect_prob(t, prof) * t.stakes_hours * (1.0 - b.workslop_share) / (t.base_hours * t.time_factor);
      const double obs = g_true - returned + lr.observation_sd * z4[j % 4] / std::sqrt(std::max(1.0, hours_used));
      const double weight = std::min(1.0, lr.belief_rate * hours_used);
      belief = static_cast<float>(belief + weight * (obs - belief));
    }
    const double bel = belief;
    const double u = t.chatbot ? 1.0 : rules::choice_share(score(bel), b.choice_temperature_usd);
    const double pdef = rules::defect_prob(t, prof);
    h += pi * ((1.0 - u) + u * t.time_factor);
    vb += pi * r_man * ((1.0 - u) + u * (1.0 + bel) * t.time_factor);
    vt += pi * r_man * ((1.0 - u) + u * (1.0 + g_true) * t.time_factor);
    vm += pi * r_man * ((1.0 - u) + u * t.time_factor);
    tok += pi * u * t.tokens_per_use / t.base_hours;
    ntask += pi * u / t.base_hours;
    def += pi * u * pdef / t.base_hours;
    stk += pi * u * pdef * t.stakes_hours / t.base_hours;
    loss += pi * u * pdef * t.value_usd * skill / t.base_hours;
    fix += pi * u * pdef * t.fix_hours / t.base_hours;
    aih += pi * u * t.time_factor;
    esc += pi * u * (1.0 - t.containment) / t.base_hours;
    if (bel < 0) fut += pi * u * t.time_factor;
    err += pi * std::fabs(bel - g_true);
  }
  p.hours_per_e[i] = static_cast<float>(h);
  p.believed_per_e[i] = static_cast<float>(vb);
  p.true_per_e[i] = static_cast<float>(vt);
  p.manual_per_e[i] = static_cast<float>(vm);
  p.tokens_per_e[i] = static_cast<float>(tok);
  p.defects_per_e[i] = static_cast<float>(def);
  p.stakes_per_e[i] = static_cast<float>(stk);
  p.loss_per_e[i] = static_cast<float>(loss);
  p.fix_per_e[i] = static_cast<float>(def > 0 ? fix / def : 0.0);
  p.ai_hours_per_e[i] = static_cast<float>(aih);
  p.escal_per_e[i] = static_cast<float>(esc);
  p.futile_per_e[i] = static_cast<float>(fut);
  p.belief_err[i] = static_cast<float>(err);
  p.ai_tasks_per_e[i] = static_cast<float>(ntask);
  p.week_e[i] = 0.0F;
  p.needs_plan[i] = 0;
}

}  // namespace

Simulation::Simulation(const ModelSpec& spec, std::size_t policy_index, std::uint32_t replication, RunOptions options)
    : spec_(spec),
      world_(spec),
      rng_(spec.scenario.seed, replication),
      regime_(spec.scenario.policies.at(policy_index).config->instantiate(spec)),
      impl_(std::make_unique<Impl>(spec)),
      options_(options) {
  for (std::size_t i = 0; i < world_.n; ++i) hire(spec_, world_, rng_, i, 0, true);
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
    const std::size_t m = std::min<std::size_t>(static_cast<std::size_t>(out.snapshot_sample), world_.n);
    for (std::size_t j = 0; j < m; ++j) impl_->snapshot_slots.push_back(static_cast<std::uint32_t>((2 * j + 1) * world_.n / (2 * m)));
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
  const auto& b = sc.behaviour;
  const auto& wb = sc.wellbeing;
  const auto& lr = sc.learning;
  const auto& ms = sc.measurement;

  // (1) Regimes write incentives.
  w.clear_incentives();
  RegimeContext ctx{spec, w, rng_, d};
  regime_->apply(ctx, 1.0);
  KpiWeights kw = regime_->kpi(d);
  const bool no_kpi = kw.tokens == 0 && kw.outcome == 0 && kw.sessions == 0;
  if (no_kpi) kw.tokens = 1.0;  // with no KPI the diagnostics read the usage dashboard

  // (2) Pressure trickles down: parents come after children in spec.units.
  for (std::size_t u = spec.units.size(); u-- > 0;) {
    const Unit& unit = spec.units[u];
    const double parent = unit.parent >= 0 ? w.unit_pressure[static_cast<std::size_t>(unit.parent)] : 0.0;
    w.unit_pressure[u] = static_cast<float>(w.unit_pressure_own[u] + sc.managers.trickle * parent);
  }
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    w.team_pressure[t] = w.unit_pressure[spec.team_units[t]];
    // A mandate comes from pressure above the threshold, or from a division head who believes
    // (from what they observe) that AI adds more than managers.mandate_belief_usd per person-day.
    const Unit& team_unit = spec.units[spec.team_units[t]];
    const bool believer =
        w.unit_manager_belief[im.division_unit[static_cast<std::size_t>(team_unit.division)]] > sc.managers.mandate_belief_usd;
    w.team_mandate[t] = (w.team_pressure[t] > sc.managers.mandate_threshold || believer) ? 1 : 0;
  }

  // (3) The fused per-person pass.
  const double alpha = 1.0 / ms.ema_days;
  const double kpi_wt = kw.tokens / ms.kpi_reference_tokens;
  const double kpi_ws = kw.sessions / ms.kpi_reference_sessions;
  const double kpi_wo = kw.outcome / ms.kpi_reference_usd;
  const double norm = b.norm_hours;
  const double lognorm_sigma = std::sqrt(std::log1p(sc.arrivals.workload_cv * sc.arrivals.workload_cv));
  const double hazard_max = rules::daily_quit_hazard(sc.attrition.annual_turnover, 1.0, 1.0, sc.attrition.exhaustion_sensitivity,
                                                     sc.attrition.cynicism_sensitivity);
  std::fill(im.acc.begin(), im.acc.end(), Acc{});

  auto body = [&](std::size_t blk, std::size_t lo, std::size_t hi) {
    Acc* acc = &im.acc[blk * im.ndiv];
    const auto day_u = static_cast<std::uint32_t>(d);
    for (std::size_t i = lo; i < hi; ++i) {
      const auto slot = static_cast<std::uint32_t>(i);
      const std::uint32_t team = spec.team_of[i];
      const std::size_t dv = spec.division_of[i];
      Acc& a = acc[dv];
      const DivisionSpec& div = spec.divisions[dv];
      const double pressure = w.team_pressure[team];
      const bool mandate = w.team_mandate[team] != 0;
      const double sens = w.reward_sensitivity[i];
      const double inc_usage = w.inc_usage[i];
      const double inc_sessions = w.inc_sessions[i];
      const double inc_outcome = w.inc_outcome[i];
      double x = w.exhaustion[i];
      double y = w.cynicism[i];
      // Audits filter this share of performative tokens and gamed outcomes out of the KPI, and
      // audited people know it: they keep only the rest of what padding and scripts earn.
      const double filter = std::clamp<double>(w.perf_filter[i], 0.0, 1.0);
      const double kept = 1.0 - filter;

      // Scripted padding: tokens without hours, every day (weekends included).
      const double script_tokens = b.script_tokens_per_day * w.script_scale[i];
      const double script_sessions = b.script_sessions_per_day * w.script_scale[i];
      {
        const double net = sens * (kept * (inc_usage * script_tokens + inc_sessions * script_sessions) - w.inc_script_penalty[i]) -
                           w.integrity[i] * b.script_integrity_cost_usd;
        if (w.scripting[i] == 0 && net > b.script_hysteresis_usd)
          w.scripting[i] = 1;
        else if (w.scripting[i] != 0 && net < -b.script_hysteresis_usd)
          w.scripting[i] = 0;
      }
      const double scripted = w.scripting[i] != 0 ? script_tokens : 0.0;

      double value = 0, measured = 0, tok_prod = 0, tok_rework = 0, tok_perf = scripted, gamed = 0;
      double work_sessions = 0.0;                                          // AI uses for real work and regenerations
      double perf_sessions = w.scripting[i] != 0 ? script_sessions : 0.0;  // scripts and manual padding
      double hours = 0, t_w = 0, t_v = 0, t_p = 0, t_l = 0, cleanup_today = 0, ai_hours = 0, manual_value = 0;
      double caught = 0, passed = 0, slop_out = 0, escalations = 0, futile = 0;
      bool quit = false;
      if (workday) {
        if (plan_day || im.plan.needs_plan[i] != 0)
          plan_week(spec, w, im.plan, rng_, im.div_tasks[dv], div, i, d, pressure, mandate, inc_usage, inc_sessions, inc_outcome);
        const Plan& p = im.plan;
        const auto u_ar = rng_.uniform4(slot, day_u, Purpose::arrivals);
        // Arrivals (lognormal with mean 1) and received workslop.
        const double arrive =
            div.workload * norm * std::exp(lognorm_sigma * normal_quantile(u_ar.u[0]) - 0.5 * lognorm_sigma * lognorm_sigma);
        double backlog = std::min<double>(w.backlog_hours[i] + arrive, sc.arrivals.max_backlog_days * norm);
        double cleanup = w.cleanup_hours[i] + im.slop_share[team];
        cleanup_today = std::min({cleanup, b.max_cleanup_hours, b.max_hours});
        cleanup -= cleanup_today;

        // Allocation: work (W), verification (V), performative (P), learning (L).
        const double h_e = std::max(1e-6, static_cast<double>(p.hours_per_e[i]));
        const double f_believed = p.believed_per_e[i] / h_e;
        const double tok_w = p.tokens_per_e[i] / h_e;
        const double ai_share = p.ai_hours_per_e[i] / h_e;
        const double defects_per_ai_hour = p.ai_hours_per_e[i] > 0 ? p.defects_per_e[i] / p.ai_hours_per_e[i] : 0.0;
        const double cost_per_defect =
            p.defects_per_e[i] > 0 ? (p.stakes_per_e[i] * f_believed + p.loss_per_e[i]) / p.defects_per_e[i] : 0.0;
        const double visible = pressure * b.pressure_usd_per_hour + (mandate ? b.mandate_usd_per_hour : 0.0);
        AllocationProblem prob;
        prob.n = 4;
        prob.c = b.effort_cost;
        prob.delta = b.crowding;
        prob.budget = std::max(0.0, b.max_hours - cleanup_today);
        const double sessions_w = p.ai_tasks_per_e[i] / h_e;
        prob.a[0] = b.intrinsic_weight * f_believed +
                    sens * (inc_usage * tok_w + inc_sessions * sessions_w + inc_outcome * f_believed + visible * ai_share);
        const double verify_value = b.verification_efficacy * defects_per_ai_hour * cost_per_defect / b.verification_ratio;
        // Trust in AI breeds complacency: checking feels worth 1.25 - 0.5 x trust of its value.
        prob.a[1] = (b.intrinsic_weight + sens * inc_outcome) * verify_value * (1.25 - 0.5 * w.trust[i]);
        const double pad_pay = kept * (inc_usage * b.padding_tokens_per_hour + inc_sessions * b.padding_sessions_per_hour) +
                               pressure * b.pressure_usd_per_hour;
        const double game_pay = kept * inc_outcome * ms.gaming_usd_per_hour;
        const bool gaming = game_pay > pad_pay;
        prob.a[2] = sens * (std::max(pad_pay, game_pay) - w.inc_padding_penalty[i]) - w.integrity[i] * b.integrity_cost_usd_per_hour;
        prob.a[3] =
            b.intrinsic_weight * b.learning_value_usd_per_hour * (1.0 - w.proficiency[i]) + sens * inc_usage * b.learning_tokens_per_hour;
        prob.cap[0] = backlog * h_e;
        prob.cap[1] = b.verification_ratio * ai_share * std::min(prob.cap[0], prob.budget);
        prob.cap[2] = prob.budget;
        prob.cap[3] = b.max_learning_hours;
        if (b.decision_noise_usd > 0) {
          const auto u_dec = rng_.uniform4(slot, day_u, Purpose::decision);
          for (std::size_t j = 0; j < 4; ++j) prob.a[j] += b.decision_noise_usd * normal_quantile(u_dec.u[j]);
        }
        const Allocation al = allocate(prob);
        t_w = al.t[0];
        t_v = al.t[1];
        t_p = al.t[2];
        t_l = al.t[3];

        // Work.
        const double e = t_w / h_e;  // manual-equivalent hours of work done
        backlog = std::max(0.0, backlog - e);
        im.plan.week_e[i] += static_cast<float>(e);
        ai_hours = e * p.ai_hours_per_e[i];
        const double lambda = e * p.defects_per_e[i];
        const double coverage = ai_hours > 0 ? std::min(1.0, t_v / (b.verification_ratio * ai_hours)) : 0.0;
        const double q = coverage * b.verification_efficacy;
        const auto u_def = rng_.uniform4(slot, day_u, Purpose::defects);
        caught = poisson_from_uniform(lambda * q, u_def.u[0]);
        passed = poisson_from_uniform(lambda * (1.0 - q), u_def.u[1]);
        escalations = poisson_from_uniform(e * p.escal_per_e[i], u_def.u[2]);
        // Trust follows what people see: errors they catch and their own errors that come back
        // to them; errors that land on colleagues (workslop) stay unseen.
        const double ai_tasks = e * p.ai_tasks_per_e[i];
        if (ai_tasks > 0) {
          const double seen_ok = 1.0 - std::min(1.0, (caught + passed * (1.0 - b.workslop_share)) / ai_tasks);
          const double rate = std::min(1.0, lr.trust_rate * ai_tasks);
          w.trust[i] = static_cast<float>(clamp01(w.trust[i] + rate * (seen_ok - w.trust[i])));
        }
        const double per_defect_loss = p.defects_per_e[i] > 0 ? p.loss_per_e[i] / p.defects_per_e[i] : 0.0;
        const double per_defect_stakes = p.defects_per_e[i] > 0 ? p.stakes_per_e[i] / p.defects_per_e[i] : 0.0;
        const double tokens_per_ai_task = p.ai_tasks_per_e[i] > 0 ? p.tokens_per_e[i] / p.ai_tasks_per_e[i] : 0.0;
        // Exhaustion lowers performance (job demands-resources: the health-impairment path).
        const double performance = 1.0 - wb.performance_loss * x;
        value = std::max(0.0, e * p.true_per_e[i] * performance - passed * per_defect_loss);
        manual_value = e * p.manual_per_e[i] * performance;
        tok_prod = e * p.tokens_per_e[i] + t_l * b.learning_tokens_per_hour;
        // Each caught error is regenerated: one more use of the tool.
        tok_rework = caught * tokens_per_ai_task;
        work_sessions = e * p.ai_tasks_per_e[i] + caught;
        cleanup += caught * p.fix_per_e[i] + passed * per_defect_stakes * (1.0 - b.workslop_share);
        slop_out = passed * per_defect_stakes * b.workslop_share;
        futile = e * p.futile_per_e[i];
        if (gaming) {
          gamed = t_p * ms.gaming_usd_per_hour;
        } else {
          tok_perf += t_p * b.padding_tokens_per_hour;
          perf_sessions += t_p * b.padding_sessions_per_hour;
        }

        // Measurement (what the organisation sees).
        const double noise_o = ms.outcome_noise_cv * norm * im.div_value_per_hour[dv] * normal_quantile(u_ar.u[1]);
        measured = value + gamed + noise_o;
        hours = cleanup_today + t_w + t_v + t_p + t_l;

        // Learning: proficiency from genuine use and learning; skill from practice, eroded by AI.
        double prof = w.proficiency[i];
        prof += (lr.proficiency_rate * ai_hours + lr.learning_rate * t_l) * (1.0 - prof);
        w.proficiency[i] = static_cast<float>(clamp01(prof));
        double sk = w.skill[i];
        const double manual_hours = std::max(0.0, t_w - ai_hours);
        sk += lr.skill_practice_rate * manual_hours * (lr.skill_max - sk) - lr.skill_erosion_rate * ai_hours * sk;
        w.skill[i] = static_cast<float>(std::clamp(sk, 0.05, lr.skill_max));

        // Well-being on a working day (job demands-resources).
        const double hindrance = pressure + (mandate ? kMandateHindrance : 0.0) + w.shame[i];
        const double fear = pressure * ai_share;
        const double demand = wb.base_demand + wb.weight_overtime * std::max(0.0, hours - norm) / norm +
                              wb.weight_cleanup * cleanup_today / norm + wb.weight_hindrance * hindrance + wb.weight_fear * fear +
                              wb.weight_backlog * std::max(0.0, backlog / norm - 1.0);
        const double resources = wb.resources_autonomy * (mandate ? kMandateAutonomy : 1.0) + wb.resources_support;
        x += w.strain[i] * wb.drain_rate * demand / (1.0 + resources) * (1.0 - x) - wb.recovery_rate_workday * resources * x;
        const double meaningless = (t_p + futile) / norm;
        x = clamp01(x);
        y += wb.cynicism_rate * meaningless * (1.0 - y) + wb.cynicism_from_exhaustion * x * (1.0 - y) - wb.cynicism_recovery * y;
        y = clamp01(y);
        const double expected = norm * w.skill[i] * im.div_value_per_hour[dv];
        const double achieved = expected > 0 ? clamp01(value / expected) : 0.0;
        w.efficacy[i] = static_cast<float>(clamp01(w.efficacy[i] + wb.efficacy_rate * (achieved - w.efficacy[i])));
        double en = w.engagement[i];
        en += wb.engagement_rate * (resources * (1.0 + demand) * (1.0 - en) - kEngagementDrain * x * en);
        w.engagement[i] = static_cast<float>(clamp01(en));

        // Attrition (working days): the quitter is replaced at once by a new hire.
        // (The bound at exhaustion = cynicism = 1 skips the exponential for almost every draw.)
        const double u_quit = u_ar.u[2];
        quit = u_quit < hazard_max &&
               u_quit < rules::daily_quit_hazard(sc.attrition.annual_turnover, x, y, sc.attrition.exhaustion_sensitivity,
                                                 sc.attrition.cynicism_sensitivity);

        w.backlog_hours[i] = static_cast<float>(backlog);
        w.cleanup_hours[i] = static_cast<float>(cleanup);
        a[a_belief_err] += p.belief_err[i];
      } else {
        x = clamp01(x - wb.recovery_rate_day_off * x);
        y = clamp01(y - wb.cynicism_recovery * y);
        measured = 0.0;
      }
      w.shame[i] = static_cast<float>(w.shame[i] * kShameDecay);
      w.exhaustion[i] = static_cast<float>(clamp01(x));
      w.cynicism[i] = static_cast<float>(clamp01(y));

      // Measured quantities for the regimes.
      const double tokens = tok_prod + tok_rework + tok_perf;
      double measured_tokens = tokens - filter * tok_perf;
      measured -= filter * gamed;
      if (ms.usage_noise_cv > 0) {
        const auto u_m = rng_.uniform4(slot, day_u, Purpose::measurement);
        measured_tokens = std::max(0.0, measured_tokens * (1.0 + ms.usage_noise_cv * normal_quantile(u_m.u[0])));
      }
      w.measured_tokens[i] = static_cast<float>(measured_tokens);
      const double measured_sessions = work_sessions + (1.0 - filter) * perf_sessions;
      w.measured_sessions[i] = static_cast<float>(measured_sessions);
      w.measured_outcome[i] = static_cast<float>(measured);
      w.performative_tokens[i] = static_cast<float>(tok_perf);
      w.performative_hours[i] = static_cast<float>(t_p);
      w.gamed_outcome[i] = static_cast<float>(gamed);
      im.team_slop_out[i] = static_cast<float>(slop_out);

      // Goodhart diagnostics: moving averages of the KPI and of true value (working days).
      const double kpi_today = kpi_wt * measured_tokens + kpi_ws * measured_sessions + kpi_wo * measured;
      const double kpi_perf = (1.0 - filter) * (kpi_wt * tok_perf + kpi_ws * perf_sessions + kpi_wo * gamed);
      if (workday) {
        w.ema_kpi[i] = static_cast<float>(w.ema_kpi[i] + alpha * (kpi_today - w.ema_kpi[i]));
        w.ema_value[i] = static_cast<float>(w.ema_value[i] + alpha * (value - w.ema_value[i]));
      }
      const double ek = w.ema_kpi[i];
      const double ev = w.ema_value[i];

      KPISIM_CHECK(std::isfinite(value) && value >= 0, "true value is finite and non-negative");
      KPISIM_CHECK(tok_prod >= 0 && tok_rework >= 0 && tok_perf >= 0, "tokens are non-negative");
      KPISIM_CHECK(hours <= b.max_hours + 1e-9, "hours worked do not exceed the daily cap");
      KPISIM_CHECK(std::fabs(hours - (cleanup_today + t_w + t_v + t_p + t_l)) < 1e-9, "hours add up");
      KPISIM_CHECK(detail::finite_in(x, 0, 1) && detail::finite_in(y, 0, 1), "well-being in [0,1]");
      KPISIM_CHECK(detail::finite_in(w.proficiency[i], 0, 1), "proficiency in [0,1]");

      a[a_headcount] += 1;
      a[a_value] += value;
      a[a_measured] += measured;
      a[a_ai_value] += value - manual_value;
      a[a_backlog] += w.backlog_hours[i];
      a[a_hours] += hours;
      a[a_overtime] += std::max(0.0, hours - norm);
      a[a_manual] += std::max(0.0, t_w - ai_hours);
      a[a_ai_hours] += ai_hours;
      a[a_verify] += t_v;
      a[a_cleanup] += cleanup_today;
      a[a_perf_hours] += t_p;
      a[a_learn] += t_l;
      a[a_work_hours] += t_w;
      a[a_tok_prod] += tok_prod;
      a[a_tok_rework] += tok_rework;
      a[a_tok_perf] += tok_perf;
      a[a_tok_script] += scripted;
      a[a_caught] += caught;
      a[a_passed] += passed;
      a[a_slop_hours] += slop_out;
      a[a_escalations] += escalations;
      a[a_exhaustion] += x;
      a[a_cynicism] += y;
      a[a_efficacy] += w.efficacy[i];
      a[a_engagement] += w.engagement[i];
      a[a_burnt] += x >= wb.burnout_threshold ? 1.0 : 0.0;
      a[a_skill] += w.skill[i];
      a[a_prof] += w.proficiency[i];
      a[a_trust] += w.trust[i];
      a[a_pressure] += pressure;
      a[a_mandate] += mandate ? 1.0 : 0.0;
      a[a_scripting] += w.scripting[i];
      a[a_kpi] += kpi_today;
      a[a_measured_tokens] += measured_tokens;
      a[a_sessions] += measured_sessions;
      a[a_kpi_perf] += kpi_perf;
      a[a_sx] += ek;
      a[a_sy] += ev;
      a[a_sxx] += ek * ek;
      a[a_syy] += ev * ev;
      a[a_sxy] += ek * ev;
      a[a_corr_n] += 1;
      if (quit) {
        a[a_quits] += 1;
        hire(spec, w, rng_, i, d + 1, false);
        im.plan.needs_plan[i] = 1;
        im.plan.week_e[i] = 0.0F;
      }
    }
  };
  if (options_.serial)
    for_blocks_serial(w.n, body);
  else
    for_blocks(w.n, body);

  // (4) Deterministic reductions: per division in block order.
  std::vector<Acc> div_acc(im.ndiv, Acc{});
  for (std::size_t blk = 0; blk < im.blocks; ++blk)
    for (std::size_t dv = 0; dv < im.ndiv; ++dv)
      for (std::size_t j = 0; j < a_count; ++j) div_acc[dv][j] += im.acc[blk * im.ndiv + dv][j];
  // Team workslop pools: hours produced today are shared among members on the next working day.
  for (std::size_t t = 0; workday && t < spec.team_units.size(); ++t) {
    const Unit& u = spec.units[spec.team_units[t]];
    double s = 0;
    for (std::uint32_t i = u.first; i < u.end; ++i) s += im.team_slop_out[i];
    im.slop_share[t] = static_cast<float>(s / im.team_size[t]);
  }

  // (5) Regimes close the day.
  regime_->end_of_day(ctx, 1.0);

  // (6) Managers' beliefs about AI value, from what they observe.
  double ai_signal_total = 0.0;
  {
    // Division-level observation: usage-based KPIs show tokens (read at an assumed exchange
    // rate); outcome KPIs show measured value against its manual-equivalent; with no KPI,
    // qualitative feedback reports the true value added.
    for (std::size_t u = 0; u < spec.units.size(); ++u) {
      const Unit& unit = spec.units[u];
      if (unit.depth != 1) continue;
      const Acc& ac = div_acc[static_cast<std::size_t>(unit.division)];
      const double n = std::max(1.0, ac[a_headcount]);
      double signal = ac[a_ai_value] / n;
      if (!no_kpi && kw.tokens > 0)
        signal = sc.managers.assumed_usd_per_ktok * ac[a_measured_tokens] / n / 1000.0;
      else if (!no_kpi && kw.sessions > 0)
        signal = sc.managers.assumed_usd_per_session * ac[a_sessions] / n;
      else if (!no_kpi && kw.outcome > 0)
        signal = (ac[a_measured] - ac[a_value]) / n + ac[a_ai_value] / n;
      if (workday)
        w.unit_manager_belief[u] =
            static_cast<float>(w.unit_manager_belief[u] + sc.managers.belief_rate * (signal - w.unit_manager_belief[u]));
      ai_signal_total += w.unit_manager_belief[u] * ac[a_headcount];
    }
  }

  // (7) Record the day.
  const std::size_t days = static_cast<std::size_t>(sc.days);
  const auto& vars = daily_variables();
  // Token cost and energy: use the mean price of the tools weighted by each division's mix.
  auto fill = [&](const Acc& ac, auto&& put) {
    const double n = std::max(1.0, ac[a_headcount]);
    const double corr_n = ac[a_corr_n];
    const double vx = corr_n * ac[a_sxx] - ac[a_sx] * ac[a_sx];
    const double vy = corr_n * ac[a_syy] - ac[a_sy] * ac[a_sy];
    // Variances below rounding level (everyone equal) give no correlation rather than noise.
    const bool spread = vx > 1e-12 * corr_n * ac[a_sxx] && vy > 1e-12 * corr_n * ac[a_syy];
    const double corr = spread ? std::clamp((corr_n * ac[a_sxy] - ac[a_sx] * ac[a_sy]) / std::sqrt(vx * vy), -1.0, 1.0) : std::nan("");
    put("headcount", ac[a_headcount]);
    put("true_value_per_fte", ac[a_value] / n);
    put("measured_value_per_fte", ac[a_measured] / n);
    put("ai_value_per_fte", ac[a_ai_value] / n);
    put("ai_task_share", ac[a_work_hours] > 0 ? ac[a_ai_hours] / ac[a_work_hours] : 0.0);
    put("backlog_hours_per_fte", ac[a_backlog] / n);
    put("hours_per_fte", ac[a_hours] / n);
    put("overtime_per_fte", ac[a_overtime] / n);
    put("manual_hours_per_fte", ac[a_manual] / n);
    put("ai_hours_per_fte", ac[a_ai_hours] / n);
    put("verification_hours_per_fte", ac[a_verify] / n);
    put("cleanup_hours_per_fte", ac[a_cleanup] / n);
    put("performative_hours_per_fte", ac[a_perf_hours] / n);
    put("learning_hours_per_fte", ac[a_learn] / n);
    put("tokens_productive", ac[a_tok_prod]);
    put("tokens_rework", ac[a_tok_rework]);
    put("tokens_performative", ac[a_tok_perf]);
    put("tokens_scripted", ac[a_tok_script]);
    put("ai_sessions", ac[a_sessions]);
    put("token_cost_usd", ac[a_cost]);
    put("energy_kwh", ac[a_energy]);
    put("defects_caught", ac[a_caught]);
    put("defects_passed", ac[a_passed]);
    put("workslop_hours", ac[a_slop_hours]);
    put("escalations", ac[a_escalations]);
    put("exhaustion_mean", 6.0 * ac[a_exhaustion] / n);
    put("cynicism_mean", 6.0 * ac[a_cynicism] / n);
    put("efficacy_mean", 6.0 * ac[a_efficacy] / n);
    put("engagement_mean", ac[a_engagement] / n);
    put("burnout_share", ac[a_burnt] / n);
    put("quits", ac[a_quits]);
    put("skill_mean", ac[a_skill] / n);
    put("proficiency_mean", ac[a_prof] / n);
    put("trust_mean", ac[a_trust] / n);
    put("belief_error", workday ? ac[a_belief_err] / n : std::nan(""));
    put("pressure_mean", ac[a_pressure] / n);
    put("mandate_share", ac[a_mandate] / n);
    put("scripting_share", ac[a_scripting] / n);
    put("kpi_value_correlation", corr);
    put("reported_true_gap", ac[a_value] > 0 ? (ac[a_measured] - ac[a_value]) / ac[a_value] : std::nan(""));
    put("performative_kpi_share", ac[a_kpi] > 0 ? ac[a_kpi_perf] / ac[a_kpi] : 0.0);
  };
  // Cost and energy need per-task prices: tokens are priced at each division's mix-weighted price.
  for (std::size_t dv = 0; dv < im.ndiv; ++dv) {
    double price = 0, energy = 0, wsum = 0;
    for (std::size_t k = 0; k < spec.tasks.size(); ++k) {
      price += spec.divisions[dv].mix[k] * spec.tasks[k].usd_per_token;
      energy += spec.divisions[dv].mix[k] * spec.tasks[k].wh_per_token;
      wsum += spec.divisions[dv].mix[k];
    }
    const double tokens = div_acc[dv][a_tok_prod] + div_acc[dv][a_tok_rework] + div_acc[dv][a_tok_perf];
    div_acc[dv][a_cost] = wsum > 0 ? tokens * price / wsum : 0.0;
    div_acc[dv][a_energy] = wsum > 0 ? tokens * energy / wsum / 1000.0 : 0.0;
  }
  Acc total{};
  for (const auto& ac : div_acc)
    for (std::size_t j = 0; j < a_count; ++j) total[j] += ac[j];
  const auto dd = static_cast<std::size_t>(d);
  fill(total, [&](std::string_view name, double v) { result_.series[daily_index(name) * days + dd] = v; });
  auto put_run = [&](std::string_view name, double v) { result_.series[daily_index(name) * days + dd] = v; };
  put_run("rewards_usd", w.rewards_paid_today);
  put_run("penalties_usd", w.penalties_today);
  put_run("audits", w.audits_today);
  put_run("audit_detections", w.audit_detections_today);
  put_run("audit_hours", w.audit_hours_today);
  put_run("manager_ai_value_belief", total[a_headcount] > 0 ? ai_signal_total / total[a_headcount] : 0.0);
  if (!result_.unit_series.empty()) {
    // per-unit variable index -> position among per_unit variables
    std::vector<std::size_t> pos(vars.size(), SIZE_MAX);
    std::size_t c = 0;
    for (std::size_t v = 0; v < vars.size(); ++v)
      if (vars[v].per_unit) pos[v] = c++;
    for (std::size_t dv = 0; dv < im.ndiv; ++dv)
      fill(div_acc[dv], [&](std::string_view name, double v) {
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
                            static_cast<float>(w.scripting[i]),
                            static_cast<float>(spec.team_of[i]),
                            static_cast<float>(spec.is_manager[i]),
                            w.rank[i] == UINT32_MAX ? -1.0F : static_cast<float>(w.rank[i])};
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
    while (!finished.load()) {
      progress(done.load(), total);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    worker.join();
    progress(done.load(), total);
  } else {
    work();
  }
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace kpisim

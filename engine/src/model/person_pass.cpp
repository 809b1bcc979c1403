// The per-person pass of the daily cycle. See docs/model.md (ODD "Process overview and
// scheduling", 7.3-7.12) for the equations, and person_pass.hpp for how the work is cut.
#include "person_pass.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "kpisim/core/check.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/allocation.hpp"
#include "kpisim/model/rules.hpp"

namespace kpisim::detail {
namespace {

double clamp01(double x) {
  return std::clamp(x, 0.0, 1.0);
}

// Fixed constants of the model (documented in docs/model.md, 7.13).
constexpr double kShameDecay = 0.9;        // shame left after a day
constexpr double kMandateHindrance = 0.5;  // hindrance demand of working under a mandate
constexpr double kEngagementDrain = 2.0;   // engagement loss per unit exhaustion, relative to engagement_rate
constexpr double kMandateAutonomy = 0.5;   // share of autonomy left under a mandate

constexpr std::size_t kChunk = 256;  // agents per chunk: the scratch below stays in L2

// Per-chunk working arrays, one set per thread (a chunk never yields its thread mid-way).
struct Scratch {
  // Inputs.
  double pressure[kChunk], mandate[kChunk], slop[kChunk], filter[kChunk], scripted[kChunk], script_sessions[kChunk];
  // Uniforms and normals.
  double u_arr[kChunk], u_noise[kChunk], u_quit[kChunk], u_meas[kChunk];
  double z_arr[kChunk], z_noise[kChunk], z_meas[kChunk];
  double u_dec[4][kChunk], z_dec[4][kChunk];
  double u_def[3][kChunk];
  // Arrivals and the allocation problem.
  double backlog[kChunk], cleanup[kChunk], cleanup_today[kChunk];
  double a[4][kChunk], cap[4][kChunk], budget[kChunk], t[4][kChunk];
  double gaming[kChunk], quit[kChunk];  // flags, 0 or 1 (doubles vectorise with the rest)
  // Work: Poisson rates and counts (caught, passed on, escalations).
  double e[kChunk], lambda[3][kChunk], count[3][kChunk], perf_sessions[kChunk];
  // Contributions to the accumulators.
  double out[a_count][kChunk];
  // Weekly plans: learning noise and the sums over the task mix.
  double u_learn[4][kChunk], z_learn[4][kChunk];
  double h[kChunk], vb[kChunk], vt[kChunk], vm[kChunk], tok[kChunk], def[kChunk], stk[kChunk], loss[kChunk], aih[kChunk], esc[kChunk],
      fut[kChunk], fix[kChunk], err[kChunk], ntask[kChunk];
};

Scratch& scratch() {
  thread_local std::unique_ptr<Scratch> s;
  if (!s) s = std::make_unique<Scratch>();
  return *s;
}

// Sum of x[0..n) in a fixed order: sixteen interleaved partial sums (enough independent additions
// to hide their latency once vectorised), combined pairwise.
double chunk_sum(const double* x, std::size_t n) {
  constexpr std::size_t kLanes = 16;
  double s[kLanes] = {};
  std::size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
#pragma GCC unroll 16
    for (std::size_t l = 0; l < kLanes; ++l) s[l] += x[j + l];
  for (std::size_t l = 0; j < n; ++j, ++l) s[l] += x[j];
  for (std::size_t width = kLanes / 2; width > 0; width /= 2)
    for (std::size_t l = 0; l < width; ++l) s[l] += s[l + width];
  return s[0];
}

// Weekly plans for agents [lo, lo + n) (scratch rows from `row`): the AI-or-manual choice per task
// type, and the aggregates per E. Also folds the past week's experience into beliefs. Tasks in the
// outer loop, agents in the inner (vectorised) one; every agent's sums run in task order.
void plan_week(const DayContext& c, PassState& ps, Scratch& s, std::size_t row, std::size_t lo, std::size_t n) {
  const ModelSpec& spec = c.spec;
  World& w = c.w;
  Plan& p = ps.plan;
  const auto b = spec.scenario.behaviour;
  const auto lr = spec.scenario.learning;
  const std::size_t dv = spec.division_of[lo];
  const std::vector<std::uint32_t>& tasks = ps.div_tasks[dv];
  const DivisionSpec& div = spec.divisions[dv];
  const double mandate_usd = b.mandate_usd_per_hour;
  const double* pressure = s.pressure + row;
  const double* mandate = s.mandate + row;
  for (double* a : {s.h, s.vb, s.vt, s.vm, s.tok, s.def, s.stk, s.loss, s.aih, s.esc, s.fut, s.fix, s.err, s.ntask}) std::fill_n(a, n, 0.0);
  for (std::size_t jt = 0; jt < tasks.size(); ++jt) {
    const std::uint32_t k = tasks[jt];
    const TaskSpec t = spec.tasks[k];
    const double pi = div.mix[k];
    if (jt % 4 == 0) {
      double* const u4[4] = {s.u_learn[0], s.u_learn[1], s.u_learn[2], s.u_learn[3]};
      c.rng.uniform4_batch(static_cast<std::uint32_t>(lo), n, static_cast<std::uint32_t>(c.day), Purpose::learning,
                           static_cast<std::uint32_t>(jt / 4), u4);
      for (std::size_t q = 0; q < 4; ++q) normal_quantile_batch(s.u_learn[q], s.z_learn[q], n);
    }
    const double* z = s.z_learn[jt % 4];
    float* belief = &w.belief[k * w.n + lo];
    const double tok_h = t.tokens_per_use / (t.base_hours * t.time_factor);
    const double sessions_h = 1.0 / (t.base_hours * t.time_factor);  // one session per AI-assisted task
    const double inv_base = 1.0 / t.base_hours;
    // A chatbot is the front door: its use is forced (weight 1; 0/1 weights keep the loop free of
    // branches, as in rules::ai_gain and rules::choice_share, so that it vectorises).
    const double forced = t.chatbot ? 1.0 : 0.0;
    const double temperature = b.choice_temperature_usd;
    auto share = [&](double score) { return forced + (1.0 - forced) * rules::choice_share(score, temperature); };
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t i = lo + j;
      const double skill = w.skill[i];
      const double prof = w.proficiency[i];
      const double sens = w.reward_sensitivity[i];
      const double g_true = rules::ai_gain(t, skill, prof);
      const double r_man = skill * t.value_per_hour;
      // Incentives for AI use on this task that do not depend on the belief, and the weight of
      // the belief in the score.
      const double fixed = sens * (w.inc_usage[i] * tok_h + w.inc_sessions[i] * sessions_h + pressure[j] * b.pressure_usd_per_hour +
                                   mandate[j] * mandate_usd);
      const double per_belief = b.intrinsic_weight * r_man * (1.0 - b.cynicism_drag * w.cynicism[i]) + sens * w.inc_outcome[i] * r_man;
      // Experience from last week updates the belief first. Hours used on k last week are
      // week_e * pi * u * tf, with u re-derived from the pre-update belief and today's incentives.
      const double bel0 = belief[j];
      const double u_prev = share(per_belief * bel0 + fixed);
      const double hours_used = p.week_e[i] * pi * u_prev * t.time_factor;
      const double pdef = rules::defect_prob(t, prof);
      // What people experience: the true gain less the clean-up that comes back to them; the share
      // of their errors that lands on colleagues (workslop) stays invisible to them.
      const double returned = pdef * t.stakes_hours * (1.0 - b.workslop_share) / (t.base_hours * t.time_factor);
      const double obs = g_true - returned + lr.observation_sd * z[j] / std::sqrt(std::max(1.0, hours_used));
      const double weight = std::min(1.0, lr.belief_rate * hours_used);
      const float bel_f = hours_used > 0 ? static_cast<float>(bel0 + weight * (obs - bel0)) : belief[j];
      belief[j] = bel_f;
      const double bel = bel_f;
      const double u = share(per_belief * bel + fixed);
      const double pu = pi * u;
      s.h[j] += pi * ((1.0 - u) + u * t.time_factor);
      s.vb[j] += pi * r_man * ((1.0 - u) + u * (1.0 + bel) * t.time_factor);
      s.vt[j] += pi * r_man * ((1.0 - u) + u * (1.0 + g_true) * t.time_factor);
      s.vm[j] += pi * r_man * ((1.0 - u) + u * t.time_factor);
      s.tok[j] += pu * t.tokens_per_use * inv_base;
      s.ntask[j] += pu * inv_base;
      s.def[j] += pu * pdef * inv_base;
      s.stk[j] += pu * pdef * t.stakes_hours * inv_base;
      s.loss[j] += pu * pdef * t.value_usd * skill * inv_base;
      s.fix[j] += pu * pdef * t.fix_hours * inv_base;
      s.aih[j] += pu * t.time_factor;
      s.esc[j] += pu * (1.0 - t.containment) * inv_base;
      s.fut[j] += bel < 0 ? pu * t.time_factor : 0.0;
      s.err[j] += pi * std::fabs(bel - g_true);
    }
  }
  // Per hour of work (the allocation's view) and per error.
  const double verify_scale = b.verification_efficacy / b.verification_ratio;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double def = s.def[j];
    const double aih = s.aih[j];
    const double ntask = s.ntask[j];
    const double tok = s.tok[j];
    const double h_e = std::max(1e-6, s.h[j]);
    const double f_believed = s.vb[j] / h_e;
    const double per_defect_loss = def > 0 ? s.loss[j] / def : 0.0;
    const double per_defect_stakes = def > 0 ? s.stk[j] / def : 0.0;
    const double defects_per_ai_hour = aih > 0 ? def / aih : 0.0;
    const double cost_per_defect = per_defect_stakes * f_believed + per_defect_loss;
    p.hours_per_e[i] = static_cast<float>(h_e);
    p.believed_per_hour[i] = static_cast<float>(f_believed);
    p.tokens_per_hour[i] = static_cast<float>(tok / h_e);
    p.sessions_per_hour[i] = static_cast<float>(ntask / h_e);
    p.ai_share[i] = static_cast<float>(aih / h_e);
    p.verify_value[i] = static_cast<float>(verify_scale * defects_per_ai_hour * cost_per_defect);
    p.true_per_e[i] = static_cast<float>(s.vt[j]);
    p.manual_per_e[i] = static_cast<float>(s.vm[j]);
    p.tokens_per_e[i] = static_cast<float>(tok);
    p.defects_per_e[i] = static_cast<float>(def);
    p.ai_hours_per_e[i] = static_cast<float>(aih);
    p.escal_per_e[i] = static_cast<float>(s.esc[j]);
    p.futile_per_e[i] = static_cast<float>(s.fut[j]);
    p.fix_per_defect[i] = static_cast<float>(def > 0 ? s.fix[j] / def : 0.0);
    p.loss_per_defect[i] = static_cast<float>(per_defect_loss);
    p.stakes_per_defect[i] = static_cast<float>(per_defect_stakes);
    p.tokens_per_ai_task[i] = static_cast<float>(ntask > 0 ? tok / ntask : 0.0);
    p.belief_err[i] = static_cast<float>(s.err[j]);
    p.ai_tasks_per_e[i] = static_cast<float>(ntask);
    p.week_e[i] = 0.0F;
    p.needs_plan[i] = 0;
  }
}

// Phase 1: team inputs, the scripting decision (every day) and weekly plans (working days).
void inputs(const DayContext& c, PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const ModelSpec& spec = c.spec;
  World& w = c.w;
  const auto& b = spec.scenario.behaviour;
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const std::uint32_t team = spec.team_of[i];
    const double pressure = w.team_pressure[team];
    const bool mandate = w.team_mandate[team] != 0;
    s.pressure[j] = pressure;
    s.mandate[j] = mandate ? 1.0 : 0.0;
    s.slop[j] = ps.slop_share[team];
    // Audits filter this share of performative tokens and gamed outcomes out of the KPI, and
    // audited people know it: they keep only the rest of what padding and scripts earn.
    const double filter = std::clamp<double>(w.perf_filter[i], 0.0, 1.0);
    s.filter[j] = filter;
    // Scripted padding: tokens without hours, every day (weekends included).
    const double script_tokens = b.script_tokens_per_day * w.script_scale[i];
    const double script_sessions = b.script_sessions_per_day * w.script_scale[i];
    const double net = w.reward_sensitivity[i] * ((1.0 - filter) * (w.inc_usage[i] * script_tokens + w.inc_sessions[i] * script_sessions) -
                                                  w.inc_script_penalty[i]) -
                       w.integrity[i] * b.script_integrity_cost_usd;
    if (w.scripting[i] == 0 && net > b.script_hysteresis_usd)
      w.scripting[i] = 1;
    else if (w.scripting[i] != 0 && net < -b.script_hysteresis_usd)
      w.scripting[i] = 0;
    s.scripted[j] = w.scripting[i] != 0 ? script_tokens : 0.0;
    s.script_sessions[j] = w.scripting[i] != 0 ? script_sessions : 0.0;
  }
  // Weekly plans: everyone on the first working day of the week; new hires on their first.
  if (!c.workday) return;
  if (c.plan_day) {
    plan_week(c, ps, s, 0, lo, n);
  } else {
    for (std::size_t j = 0; j < n; ++j)
      if (ps.plan.needs_plan[lo + j] != 0) plan_week(c, ps, s, j, lo + j, 1);
  }
}

// Phase 2: the day's random draws for the chunk.
void draws(const DayContext& c, Scratch& s, std::size_t lo, std::size_t n) {
  const Scenario& sc = c.spec.scenario;
  const auto agent0 = static_cast<std::uint32_t>(lo);
  const auto day = static_cast<std::uint32_t>(c.day);
  if (c.workday) {
    const bool outcome_noise = sc.measurement.outcome_noise_cv > 0;
    double* const arrivals[4] = {s.u_arr, outcome_noise ? s.u_noise : nullptr, s.u_quit, nullptr};
    c.rng.uniform4_batch(agent0, n, day, Purpose::arrivals, 0, arrivals);
    normal_quantile_batch(s.u_arr, s.z_arr, n);
    if (outcome_noise) normal_quantile_batch(s.u_noise, s.z_noise, n);
    if (sc.behaviour.decision_noise_usd > 0) {
      double* const decision[4] = {s.u_dec[0], s.u_dec[1], s.u_dec[2], s.u_dec[3]};
      c.rng.uniform4_batch(agent0, n, day, Purpose::decision, 0, decision);
      for (std::size_t q = 0; q < 4; ++q) normal_quantile_batch(s.u_dec[q], s.z_dec[q], n);
    }
    double* const defects[4] = {s.u_def[0], s.u_def[1], s.u_def[2], nullptr};
    c.rng.uniform4_batch(agent0, n, day, Purpose::defects, 0, defects);
  }
  if (sc.measurement.usage_noise_cv > 0) {
    double* const measurement[4] = {s.u_meas, nullptr, nullptr, nullptr};
    c.rng.uniform4_batch(agent0, n, day, Purpose::measurement, 0, measurement);
    normal_quantile_batch(s.u_meas, s.z_meas, n);
  }
}

// Phase 3 (working days): arrivals, clean-up, and the allocation problem of each person.
// (The phases copy the parameter groups they use: local copies cannot alias the columns written in
// the loop, which lets the compiler keep them in registers and vectorise.)
void problems(const DayContext& c, const PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const Scenario& sc = c.spec.scenario;
  const World& w = c.w;
  const Plan& p = ps.plan;
  const auto b = sc.behaviour;
  const auto ms = sc.measurement;
  const DivisionSpec& div = c.spec.divisions[c.spec.division_of[lo]];
  const double norm = b.norm_hours;
  // Arrivals: lognormal with mean 1.
  const double sigma = std::sqrt(std::log1p(sc.arrivals.workload_cv * sc.arrivals.workload_cv));
  const double mean_shift = 0.5 * sigma * sigma;
  const double arrive_scale = div.workload * norm;
  const double max_backlog = sc.arrivals.max_backlog_days * norm;
  const double cleanup_cap = std::min(b.max_cleanup_hours, b.max_hours);
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double arrive = arrive_scale * vmath::exp(sigma * s.z_arr[j] - mean_shift);
    const double backlog = std::min<double>(w.backlog_hours[i] + arrive, max_backlog);
    const double cleanup = w.cleanup_hours[i] + s.slop[j];
    const double cleanup_today = std::min(cleanup, cleanup_cap);
    s.backlog[j] = backlog;
    s.cleanup[j] = cleanup - cleanup_today;
    s.cleanup_today[j] = cleanup_today;

    // Allocation: work (W), verification (V), performative (P), learning (L).
    const double sens = w.reward_sensitivity[i];
    const double inc_usage = w.inc_usage[i];
    const double inc_sessions = w.inc_sessions[i];
    const double inc_outcome = w.inc_outcome[i];
    const double kept = 1.0 - s.filter[j];
    const double h_e = p.hours_per_e[i];
    const double f_believed = p.believed_per_hour[i];
    const double ai_share = p.ai_share[i];
    const double visible = s.pressure[j] * b.pressure_usd_per_hour + s.mandate[j] * b.mandate_usd_per_hour;
    const double budget = std::max(0.0, b.max_hours - cleanup_today);
    s.budget[j] = budget;
    s.a[0][j] = b.intrinsic_weight * f_believed + sens * (inc_usage * p.tokens_per_hour[i] + inc_sessions * p.sessions_per_hour[i] +
                                                          inc_outcome * f_believed + visible * ai_share);
    // Trust in AI breeds complacency: checking feels worth 1.25 - 0.5 x trust of its value.
    s.a[1][j] = (b.intrinsic_weight + sens * inc_outcome) * p.verify_value[i] * (1.25 - 0.5 * w.trust[i]);
    const double pad_pay = kept * (inc_usage * b.padding_tokens_per_hour + inc_sessions * b.padding_sessions_per_hour) +
                           s.pressure[j] * b.pressure_usd_per_hour;
    const double game_pay = kept * inc_outcome * ms.gaming_usd_per_hour;
    s.gaming[j] = game_pay > pad_pay ? 1.0 : 0.0;
    s.a[2][j] = sens * (std::max(pad_pay, game_pay) - w.inc_padding_penalty[i]) - w.integrity[i] * b.integrity_cost_usd_per_hour;
    s.a[3][j] =
        b.intrinsic_weight * b.learning_value_usd_per_hour * (1.0 - w.proficiency[i]) + sens * inc_usage * b.learning_tokens_per_hour;
    s.cap[0][j] = backlog * h_e;
    s.cap[1][j] = b.verification_ratio * ai_share * std::min(s.cap[0][j], budget);
    s.cap[2][j] = budget;
    s.cap[3][j] = b.max_learning_hours;
  }
  if (b.decision_noise_usd > 0)
    for (std::size_t q = 0; q < 4; ++q)
      for (std::size_t j = 0; j < n; ++j) s.a[q][j] += b.decision_noise_usd * s.z_dec[q][j];
}

// Phase 5 (working days): work done, errors and escalations.
void work(const DayContext& c, PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const auto b = c.spec.scenario.behaviour;
  const Plan& p = ps.plan;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double e = s.t[0][j] / p.hours_per_e[i];  // manual-equivalent hours of work done
    s.e[j] = e;
    const double ai_hours = e * p.ai_hours_per_e[i];
    const double lambda = e * p.defects_per_e[i];
    const double coverage = ai_hours > 0 ? std::min(1.0, s.t[1][j] / (b.verification_ratio * ai_hours)) : 0.0;
    const double q = coverage * b.verification_efficacy;
    s.lambda[0][j] = lambda * q;
    s.lambda[1][j] = lambda * (1.0 - q);
    s.lambda[2][j] = e * p.escal_per_e[i];
  }
  // Poisson counts by inversion of the CDF, across the chunk.
  for (std::size_t q = 0; q < 3; ++q) poisson_batch(s.lambda[q], s.u_def[q], s.count[q], n);
}

// Phase 6 (working days): outcomes, learning, well-being, attrition; writes the person's state
// and the day's contributions.
void outcomes(const DayContext& c, PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const Scenario& sc = c.spec.scenario;
  World& w = c.w;
  Plan& p = ps.plan;
  const auto b = sc.behaviour;
  const auto wb = sc.wellbeing;
  const auto lr = sc.learning;
  const auto ms = sc.measurement;
  const std::size_t dv = c.spec.division_of[lo];
  const double norm = b.norm_hours;
  const double inv_norm = 1.0 / norm;
  const double div_vph = ps.div_value_per_hour[dv];
  const double noise_scale = ms.outcome_noise_cv * norm * div_vph;
  const bool outcome_noise = ms.outcome_noise_cv > 0;
  const double hazard_max = rules::daily_quit_hazard(sc.attrition.annual_turnover, 1.0, 1.0, sc.attrition.exhaustion_sensitivity,
                                                     sc.attrition.cynicism_sensitivity);
  auto& o = s.out;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double t_w = s.t[0][j];
    const double t_v = s.t[1][j];
    const double t_p = s.t[2][j];
    const double t_l = s.t[3][j];
    const double e = s.e[j];
    const double backlog = std::max(0.0, s.backlog[j] - e);
    p.week_e[i] += static_cast<float>(e);
    const double ai_hours = e * p.ai_hours_per_e[i];
    const double caught = s.count[0][j];
    const double passed = s.count[1][j];
    // Trust follows what people see: errors they catch and their own errors that come back to
    // them; errors that land on colleagues (workslop) stay unseen.
    const double ai_tasks = e * p.ai_tasks_per_e[i];
    {
      const double trust = w.trust[i];
      const double seen_ok = 1.0 - std::min(1.0, (caught + passed * (1.0 - b.workslop_share)) / ai_tasks);
      const double rate = std::min(1.0, lr.trust_rate * ai_tasks);
      w.trust[i] = ai_tasks > 0 ? static_cast<float>(clamp01(trust + rate * (seen_ok - trust))) : w.trust[i];
    }
    double x = w.exhaustion[i];
    double y = w.cynicism[i];
    // Exhaustion lowers performance (job demands-resources: the health-impairment path).
    const double performance = 1.0 - wb.performance_loss * x;
    const double value = std::max(0.0, e * p.true_per_e[i] * performance - passed * p.loss_per_defect[i]);
    const double manual_value = e * p.manual_per_e[i] * performance;
    const double tok_prod = e * p.tokens_per_e[i] + t_l * b.learning_tokens_per_hour;
    // Each caught error is regenerated: one more use of the tool.
    const double tok_rework = caught * p.tokens_per_ai_task[i];
    const double work_sessions = e * p.ai_tasks_per_e[i] + caught;
    const double stakes = passed * p.stakes_per_defect[i];
    const double cleanup = s.cleanup[j] + caught * p.fix_per_defect[i] + stakes * (1.0 - b.workslop_share);
    const double slop_out = stakes * b.workslop_share;
    const double futile = e * p.futile_per_e[i];
    const bool gaming = s.gaming[j] != 0.0;
    const double gamed = gaming ? t_p * ms.gaming_usd_per_hour : 0.0;
    const double tok_perf = s.scripted[j] + (gaming ? 0.0 : t_p * b.padding_tokens_per_hour);
    const double perf_sessions = s.script_sessions[j] + (gaming ? 0.0 : t_p * b.padding_sessions_per_hour);

    // Measurement (what the organisation sees).
    const double noise_o = outcome_noise ? noise_scale * s.z_noise[j] : 0.0;
    const double cleanup_today = s.cleanup_today[j];
    const double hours = cleanup_today + t_w + t_v + t_p + t_l;

    // Learning: proficiency from genuine use and learning; skill from practice, eroded by AI.
    double prof = w.proficiency[i];
    prof += (lr.proficiency_rate * ai_hours + lr.learning_rate * t_l) * (1.0 - prof);
    w.proficiency[i] = static_cast<float>(clamp01(prof));
    double sk = w.skill[i];
    const double manual_hours = std::max(0.0, t_w - ai_hours);
    sk += lr.skill_practice_rate * manual_hours * (lr.skill_max - sk) - lr.skill_erosion_rate * ai_hours * sk;
    const double skill = std::clamp(sk, 0.05, lr.skill_max);
    w.skill[i] = static_cast<float>(skill);

    // Well-being on a working day (job demands-resources).
    const double pressure = s.pressure[j];
    const double mandate = s.mandate[j];
    const double hindrance = pressure + mandate * kMandateHindrance + w.shame[i];
    const double fear = pressure * p.ai_share[i];
    const double demand = wb.base_demand + wb.weight_overtime * std::max(0.0, hours - norm) * inv_norm +
                          wb.weight_cleanup * cleanup_today * inv_norm + wb.weight_hindrance * hindrance + wb.weight_fear * fear +
                          wb.weight_backlog * std::max(0.0, backlog * inv_norm - 1.0);
    const double resources = wb.resources_autonomy * (mandate != 0.0 ? kMandateAutonomy : 1.0) + wb.resources_support;
    x += w.strain[i] * wb.drain_rate * demand / (1.0 + resources) * (1.0 - x) - wb.recovery_rate_workday * resources * x;
    const double meaningless = (t_p + futile) * inv_norm;
    x = clamp01(x);
    y += wb.cynicism_rate * meaningless * (1.0 - y) + wb.cynicism_from_exhaustion * x * (1.0 - y) - wb.cynicism_recovery * y;
    y = clamp01(y);
    const double expected = norm * static_cast<double>(static_cast<float>(skill)) * div_vph;
    const double achieved = expected > 0 ? clamp01(value / expected) : 0.0;
    w.efficacy[i] = static_cast<float>(clamp01(w.efficacy[i] + wb.efficacy_rate * (achieved - w.efficacy[i])));
    double en = w.engagement[i];
    en += wb.engagement_rate * (resources * (1.0 + demand) * (1.0 - en) - kEngagementDrain * x * en);
    w.engagement[i] = static_cast<float>(clamp01(en));
    w.shame[i] = static_cast<float>(w.shame[i] * kShameDecay);
    w.exhaustion[i] = static_cast<float>(x);
    w.cynicism[i] = static_cast<float>(y);
    w.backlog_hours[i] = static_cast<float>(backlog);
    w.cleanup_hours[i] = static_cast<float>(cleanup);

    // Attrition candidates: the bound at exhaustion = cynicism = 1 settles almost every draw.
    s.quit[j] = s.u_quit[j] < hazard_max ? 1.0 : 0.0;

    KPISIM_CHECK(std::isfinite(value) && value >= 0, "true value is finite and non-negative");
    KPISIM_CHECK(tok_prod >= 0 && tok_rework >= 0 && tok_perf >= 0, "tokens are non-negative");
    KPISIM_CHECK(hours <= b.max_hours + 1e-9, "hours worked do not exceed the daily cap");
    KPISIM_CHECK(std::fabs(hours - (cleanup_today + t_w + t_v + t_p + t_l)) < 1e-9, "hours add up");

    w.performative_tokens[i] = static_cast<float>(tok_perf);
    w.performative_hours[i] = static_cast<float>(t_p);
    w.gamed_outcome[i] = static_cast<float>(gamed);
    ps.team_slop_out[i] = static_cast<float>(slop_out);
    o[a_value][j] = value;
    o[a_measured][j] = value + gamed + noise_o;  // before the audit filter (applied in measure())
    o[a_ai_value][j] = value - manual_value;
    o[a_hours][j] = hours;
    o[a_overtime][j] = std::max(0.0, hours - norm);
    o[a_manual][j] = manual_hours;
    o[a_ai_hours][j] = ai_hours;
    o[a_verify][j] = t_v;
    o[a_cleanup][j] = cleanup_today;
    o[a_time_saved][j] = e - t_w;  // manual-equivalent hours done minus the hours they took
    o[a_perf_hours][j] = t_p;
    o[a_learn][j] = t_l;
    o[a_work_hours][j] = t_w;
    o[a_tok_prod][j] = tok_prod;
    o[a_tok_rework][j] = tok_rework;
    o[a_tok_perf][j] = tok_perf;
    o[a_caught][j] = caught;
    o[a_passed][j] = passed;
    o[a_slop_hours][j] = slop_out;
    o[a_escalations][j] = s.count[2][j];
    o[a_belief_err][j] = p.belief_err[i];
    o[a_sessions][j] = work_sessions;  // work sessions here; measure() adds the performative ones
    s.perf_sessions[j] = perf_sessions;
  }
  // Exact quit draws for the candidates.
  for (std::size_t j = 0; j < n; ++j)
    if (s.quit[j] != 0.0) {
      const std::size_t i = lo + j;
      s.quit[j] = s.u_quit[j] < rules::daily_quit_hazard(sc.attrition.annual_turnover, w.exhaustion[i], w.cynicism[i],
                                                         sc.attrition.exhaustion_sensitivity, sc.attrition.cynicism_sensitivity)
                      ? 1.0
                      : 0.0;
    }
}

// Phase 6 on a day off: recovery, scripts keep running.
void day_off(const DayContext& c, Scratch& s, std::size_t lo, std::size_t n) {
  const auto wb = c.spec.scenario.wellbeing;
  World& w = c.w;
  auto& o = s.out;
  for (std::size_t v : {a_value,  a_measured, a_ai_value,   a_hours,       a_overtime,   a_manual,   a_ai_hours,
                        a_verify, a_cleanup,  a_perf_hours, a_learn,       a_work_hours, a_tok_prod, a_tok_rework,
                        a_caught, a_passed,   a_slop_hours, a_escalations, a_belief_err, a_sessions, a_time_saved})
    std::fill_n(o[v], n, 0.0);
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double x = w.exhaustion[i];
    const double y = w.cynicism[i];
    w.exhaustion[i] = static_cast<float>(clamp01(x - wb.recovery_rate_day_off * x));
    w.cynicism[i] = static_cast<float>(clamp01(y - wb.cynicism_recovery * y));
    w.shame[i] = static_cast<float>(w.shame[i] * kShameDecay);
    w.performative_tokens[i] = static_cast<float>(s.scripted[j]);
    w.performative_hours[i] = 0.0F;
    w.gamed_outcome[i] = 0.0F;
    s.quit[j] = 0.0;
    o[a_tok_perf][j] = s.scripted[j];
    s.perf_sessions[j] = s.script_sessions[j];
  }
}

// Phase 7: what the organisation measures, the Goodhart diagnostics, the remaining contributions.
void measure(const DayContext& c, Scratch& s, std::size_t lo, std::size_t n) {
  const Scenario& sc = c.spec.scenario;
  World& w = c.w;
  const auto ms = sc.measurement;
  const auto wb = sc.wellbeing;
  // The moving averages move on working days only (a rate of 0 leaves them exactly as they were).
  const double ema_rate = c.workday ? 1.0 / ms.ema_days : 0.0;
  const bool usage_noise = ms.usage_noise_cv > 0;
  auto& o = s.out;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double filter = s.filter[j];
    const double tok_perf = o[a_tok_perf][j];
    const double perf_sessions = s.perf_sessions[j];
    const double gamed = w.gamed_outcome[i];
    const double value = o[a_value][j];
    const double tokens = o[a_tok_prod][j] + o[a_tok_rework][j] + tok_perf;
    const double usage_factor = usage_noise ? 1.0 + ms.usage_noise_cv * s.z_meas[j] : 1.0;
    const double measured_tokens = std::max(0.0, (tokens - filter * tok_perf) * usage_factor);
    const double measured = o[a_measured][j] - filter * gamed;
    const double measured_sessions = o[a_sessions][j] + (1.0 - filter) * perf_sessions;
    w.measured_tokens[i] = static_cast<float>(measured_tokens);
    w.measured_sessions[i] = static_cast<float>(measured_sessions);
    w.measured_outcome[i] = static_cast<float>(measured);

    // Goodhart diagnostics: moving averages of the KPI and of true value (working days).
    const double kpi_today = c.kpi_wt * measured_tokens + c.kpi_ws * measured_sessions + c.kpi_wo * measured;
    const double kpi_perf = (1.0 - filter) * (c.kpi_wt * tok_perf + c.kpi_ws * perf_sessions + c.kpi_wo * gamed);
    const double ek_prev = w.ema_kpi[i];
    const double ev_prev = w.ema_value[i];
    w.ema_kpi[i] = static_cast<float>(ek_prev + ema_rate * (kpi_today - ek_prev));
    w.ema_value[i] = static_cast<float>(ev_prev + ema_rate * (value - ev_prev));
    const double ek = w.ema_kpi[i];
    const double ev = w.ema_value[i];
    const double x = w.exhaustion[i];
    KPISIM_CHECK(detail::finite_in(x, 0, 1) && detail::finite_in(w.cynicism[i], 0, 1), "well-being in [0,1]");
    KPISIM_CHECK(detail::finite_in(w.proficiency[i], 0, 1), "proficiency in [0,1]");

    o[a_measured][j] = measured;
    o[a_measured_tokens][j] = measured_tokens;
    o[a_sessions][j] = measured_sessions;
    o[a_kpi][j] = kpi_today;
    o[a_kpi_perf][j] = kpi_perf;
    o[a_tok_script][j] = s.scripted[j];
    o[a_backlog][j] = w.backlog_hours[i];
    o[a_exhaustion][j] = x;
    o[a_cynicism][j] = w.cynicism[i];
    o[a_efficacy][j] = w.efficacy[i];
    o[a_engagement][j] = w.engagement[i];
    o[a_burnt][j] = x >= wb.burnout_threshold ? 1.0 : 0.0;
    o[a_quits][j] = s.quit[j];
    o[a_skill][j] = w.skill[i];
    o[a_prof][j] = w.proficiency[i];
    o[a_trust][j] = w.trust[i];
    o[a_pressure][j] = s.pressure[j];
    o[a_mandate][j] = s.mandate[j];
    o[a_scripting][j] = w.scripting[i];
    o[a_sx][j] = ek;
    o[a_sy][j] = ev;
    o[a_sxx][j] = ek * ek;
    o[a_syy][j] = ev * ev;
    o[a_sxy][j] = ek * ev;
  }
}

}  // namespace

Plan::Plan(std::size_t n) {
  for (auto* c :
       {&hours_per_e,     &believed_per_hour, &tokens_per_hour,    &sessions_per_hour, &ai_share,       &verify_value, &true_per_e,
        &manual_per_e,    &tokens_per_e,      &defects_per_e,      &ai_hours_per_e,    &escal_per_e,    &futile_per_e, &fix_per_defect,
        &loss_per_defect, &stakes_per_defect, &tokens_per_ai_task, &belief_err,        &ai_tasks_per_e, &week_e})
    c->assign(n, 0.0F);
  hours_per_e.assign(n, 1.0F);
  needs_plan.assign(n, 1);
}

PassState::PassState(const ModelSpec& spec) : plan(spec.employees) {
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
  team_slop_out.assign(spec.employees, 0.0F);
}

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

void person_pass(const DayContext& c, PassState& ps, Acc* acc, std::size_t lo, std::size_t hi) {
  const ModelSpec& spec = c.spec;
  const auto& b = spec.scenario.behaviour;
  Scratch& s = scratch();
  std::size_t start = lo;
  while (start < hi) {
    // A chunk: at most kChunk agents, all in one division (divisions are contiguous slots).
    const std::uint16_t dv = spec.division_of[start];
    std::size_t end = start + 1;
    while (end < hi && end - start < kChunk && spec.division_of[end] == dv) ++end;
    const std::size_t n = end - start;
    inputs(c, ps, s, start, n);
    draws(c, s, start, n);
    if (c.workday) {
      problems(c, ps, s, start, n);
      {
        const double* const a[4] = {s.a[0], s.a[1], s.a[2], s.a[3]};
        const double* const cap[4] = {s.cap[0], s.cap[1], s.cap[2], s.cap[3]};
        double* const t[4] = {s.t[0], s.t[1], s.t[2], s.t[3]};
        allocate_batch(n, b.effort_cost, b.crowding, a, cap, s.budget, t);
      }
      work(c, ps, s, start, n);
      outcomes(c, ps, s, start, n);
    } else {
      day_off(c, s, start, n);
    }
    measure(c, s, start, n);
    Acc& a = acc[dv];
    a[a_headcount] += static_cast<double>(n);
    a[a_corr_n] += static_cast<double>(n);
    for (std::size_t v = 0; v < a_count; ++v)
      if (v != a_headcount && v != a_corr_n && v != a_cost && v != a_energy) a[v] += chunk_sum(s.out[v], n);
    // Quitters are replaced at once by new hires (after the day's sums).
    for (std::size_t j = 0; j < n; ++j)
      if (s.quit[j] != 0.0) {
        hire(spec, c.w, c.rng, start + j, c.day + 1, false);
        ps.plan.needs_plan[start + j] = 1;
        ps.plan.week_e[start + j] = 0.0F;
      }
    start = end;
  }
}

}  // namespace kpisim::detail

// The weekly plan: AI or manual per task type, and the plan's aggregates per manual-equivalent
// hour of work (docs/model.md section 7.2), with the belief updates of section 7.11 (beliefs.hpp)
// folded in first. Tested directly in tests/unit/test_weekly_plan.cpp.
#include <algorithm>
#include <cmath>

#include "ai_choice.hpp"
#include "beliefs.hpp"
#include "chunk.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/rules.hpp"

namespace kpisim::detail {

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
  double* const task_mandate = s.task_mandate + row;
  const std::uint32_t* const team_of = spec.team_of.data() + lo;
  // On the plan day everyone plans at once and tells her managers what she believes AI adds to a day
  // of AI-assisted work on each task type (7.17); each manager reads her own unit's (managers.cpp).
  const bool report = c.plan_day;
  const double norm = b.norm_hours;
  const double nominal_mean = ps.div_defect_nominal[dv];
  const double friction_usd = b.adoption_friction_usd_per_hour;
  for (double* a : {s.h,   s.vb,  s.vt, s.vm, s.tok, s.usd, s.wh,  s.def, s.dhat,  s.stk, s.loss,
                    s.aih, s.aig, s.sm, s.sx, s.esc, s.fut, s.fix, s.err, s.ntask, s.rel, s.against})
    std::fill_n(a, n, 0.0);
  // Each person's terms that do not depend on the task type, once (the same operations as inside
  // the loop over task types, so the same bits).
  double* const value_weight = s.value_weight + row;
  double* const drag = s.drag + row;
  double* const sens_outcome = s.sens_outcome + row;
  double* const pressure_usd = s.pressure_usd + row;
  double* const friction = s.friction + row;
  const float* const inc_outcome = incentive_rows(w, w.inc_outcome, s, lo);
  const float* const inc_usage = incentive_rows(w, w.inc_usage, s, lo);
  const float* const inc_sessions = incentive_rows(w, w.inc_sessions, s, lo);
  const float* const no_seat = incentive_rows(w, w.no_seat, s, lo);  // 1: no AI licence (7.15.11)
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double sens = w.reward_sensitivity[i];
    value_weight[j] = b.intrinsic_weight + sens * inc_outcome[j];
    drag[j] = 1.0 - b.cynicism_drag * w.cynicism[i];
    sens_outcome[j] = sens * inc_outcome[j];
    pressure_usd[j] = pressure[j] * b.pressure_usd_per_hour;
    friction[j] = ai_choice::friction(friction_usd, w.proficiency[i], w.efficacy[i], b.efficacy_friction);
  }
  for (std::size_t jt = 0; jt < tasks.size(); ++jt) {
    const std::uint32_t k = tasks[jt];
    const TaskSpec t = spec.tasks[k];
    const double pi = div.mix[k];
    if (jt % 4 == 0) {
      double* const u4[4] = {s.u_learn[0], s.u_learn[1], s.u_learn[2], s.u_learn[3]};
      c.rng.uniform4_batch(static_cast<std::uint32_t>(lo), n, static_cast<std::uint32_t>(c.day), Purpose::learning,
                           static_cast<std::uint32_t>(jt / 4), u4);
      for (std::size_t q = 0; q < 4 && jt + q < tasks.size(); ++q) normal_quantile_batch(s.u_learn[q], s.z_learn[q], n);  // lanes in use
    }
    const double* z = s.z_learn[jt % 4];
    float* belief = &w.belief[k * w.n + lo];
    const double tok_h = t.tokens_per_use / (t.base_hours * t.time_factor);
    const double sessions_h = 1.0 / (t.base_hours * t.time_factor);  // one session per AI-assisted task
    const double inv_base = 1.0 / t.base_hours;
    // A chatbot is the front door: its use is forced (weight 1; 0/1 weights keep the loop free of
    // branches, as in rules::ai_gain and rules::choice_share, so that it vectorises).
    // Without a licence (7.15.11) the assistants are out of reach (seat 0; a chatbot needs none).
    const double forced = t.chatbot ? 1.0 : 0.0;
    const double temperature = b.choice_temperature_usd;
    auto share = [&](double score, double seat) { return forced + (1.0 - forced) * seat * rules::choice_share(score, temperature); };
    // The task's numbers for the expected overhead (ai_choice.hpp), out of the loop over people.
    const double rel_rate = ai_choice::relative_rate(t, nominal_mean);
    const double tasks_per_ai_hour = 1.0 / (t.base_hours * t.time_factor);
    const double passed_hours = ai_choice::hours_per_passed_error(t);
    const double fix_hours = t.fix_hours;
    // Output diversity (7.20): the model's share of an AI-assisted output, and 2h(1 - h).
    const double hom = t.homogenisation;
    const double hom_spread = 2.0 * hom * (1.0 - hom);
    // A mandate for this task in her team (7.1); teams are runs of consecutive slots.
    bool any_mandate = false;
    for (std::size_t j = 0; j < n;) {
      const std::uint32_t team = team_of[j];
      const std::size_t stop = std::min<std::size_t>(spec.units[spec.team_units[team]].end - lo, n);
      const bool on = w.unit_task_mandate[static_cast<std::size_t>(spec.team_units[team]) * w.k + k] != 0;
      any_mandate = any_mandate || on;
      std::fill(task_mandate + j, task_mandate + stop, on ? 1.0 : 0.0);
      j = stop;
    }
#pragma omp simd
    for (std::size_t j = 0; j < n; ++j) {
      const std::size_t i = lo + j;
      const double skill = w.skill[i];
      const double prof = w.proficiency[i];
      const double sens = w.reward_sensitivity[i];
      const double g_true = rules::ai_gain(t, skill, prof);
      const double r_man = skill * t.value_per_hour;
      const double seat = 1.0 - static_cast<double>(no_seat[j]);
      // Incentives for AI use on this task that do not depend on the belief, and the weight of
      // the belief in the score.
      const double per_belief = b.intrinsic_weight * r_man * drag[j] + sens_outcome[j] * r_man;
      // The checking and clean-up she expects per AI hour (at her perceived error rate), valued at
      // what those hours would produce, and the friction of leaving her habits.
      const double p_hat = ai_choice::perceived_defect_prob(w.trust[i], rel_rate);
      const double overhead =
          ai_choice::overhead_per_ai_hour(p_hat, tasks_per_ai_hour, passed_hours, fix_hours, b.verification_ratio, b.verification_efficacy);
      const double fixed = sens * (inc_usage[j] * tok_h + inc_sessions[j] * sessions_h + pressure_usd[j] + task_mandate[j] * mandate_usd) -
                           value_weight[j] * r_man * overhead - friction[j];
      // Experience from last week updates the belief first. Hours used on k last week are
      // week_e * pi * u * tf, with u re-derived from the pre-update belief and today's incentives.
      const double bel0 = belief[j];
      const double u_prev = share(per_belief * bel0 + fixed, seat);
      const double hours_used = p.week_e[i] * pi * u_prev * t.time_factor;
      const double pdef = rules::defect_prob(t, prof);
      // What people perceive (7.11): the gain as it happens, with the perception bias. Hours of
      // training (7.15.13), spread over her tasks by the mix, are experience measured in the
      // exercises, without the bias.
      const double perceived = beliefs::perceived_gain(g_true, lr.perception_bias);
      const double hours_trained = static_cast<double>(p.week_train[i]) * pi;
      const double experienced = beliefs::with_training(perceived, hours_used, g_true, hours_trained);
      const float bel_f = beliefs::update(belief[j], experienced, lr, z[j], hours_used + hours_trained);
      belief[j] = bel_f;
      const double bel = bel_f;
      const double u = share(per_belief * bel + fixed, seat);
      // Her score without the mandate: what she would choose on her own (the felt mandate, below).
      s.score0[j] = per_belief * bel + fixed - sens * task_mandate[j] * mandate_usd;
      const double pu = pi * u;
      s.h[j] += pi * ((1.0 - u) + u * t.time_factor);
      s.vb[j] += pi * r_man * ((1.0 - u) + u * (1.0 + bel) * t.time_factor);
      s.vt[j] += pi * r_man * ((1.0 - u) + u * (1.0 + g_true) * t.time_factor);
      s.vm[j] += pi * r_man * ((1.0 - u) + u * t.time_factor);
      s.tok[j] += pu * t.tokens_per_use * inv_base;
      s.usd[j] += pu * t.tokens_per_use * t.usd_per_token * inv_base;  // at the price of the tool that serves the task (7.18)
      s.wh[j] += pu * t.tokens_per_use * t.wh_per_token * inv_base;
      s.ntask[j] += pu * inv_base;
      s.rel[j] += pu * rel_rate * inv_base;
      s.def[j] += pu * pdef * inv_base;
      s.dhat[j] += pu * p_hat * inv_base;
      s.stk[j] += pu * pdef * t.stakes_hours * inv_base;
      s.loss[j] += pu * pdef * t.value_usd * skill * inv_base;
      s.fix[j] += pu * pdef * t.fix_hours * inv_base;
      s.aih[j] += pu * t.time_factor;
      s.aig[j] += pu * t.time_factor * t.guided;
      s.sm[j] += pu * t.time_factor * hom;
      s.sx[j] += pu * t.time_factor * hom_spread;
      s.esc[j] += pu * (1.0 - t.containment) * inv_base;
      s.fut[j] += bel < 0 ? pu * t.time_factor : 0.0;
      s.err[j] += pi * std::fabs(bel - g_true);
      // What she would report AI adds to a day of AI-assisted work on this task: her believed gain
      // less the checking and clean-up she expects, at her own value per hour (7.17).
      s.fb[j] = norm * r_man * (bel - overhead);
    }
    // The share of her work the mandate claims against her own choice: the mandated task's work she
    // would do manually without it (7.13; a chatbot's forced use is no mandate: its share is 1).
    if (any_mandate) {
#pragma omp simd
      for (std::size_t j = 0; j < n; ++j) s.against[j] += pi * task_mandate[j] * (1.0 - share(s.score0[j], 1.0));
    }
    if (report) {
      float* const out = ps.report.data() + k * ps.employees + lo;
      for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(s.fb[j]);
    }
  }
  // Per hour of work (the allocation's view) and per error. Local pointers to the plan's columns,
  // and needs_plan (uint8, which may alias anything) cleared in its own loop: this lets the loop
  // vectorise (the same operations, so the same bits).
  const double verify_scale = b.verification_efficacy / b.verification_ratio;
  float* const hours_per_e = p.hours_per_e.data() + lo;
  float* const believed_per_hour = p.believed_per_hour.data() + lo;
  float* const tokens_per_hour = p.tokens_per_hour.data() + lo;
  float* const sessions_per_hour = p.sessions_per_hour.data() + lo;
  float* const ai_share = p.ai_share.data() + lo;
  float* const verify_value = p.verify_value.data() + lo;
  float* const true_per_e = p.true_per_e.data() + lo;
  float* const manual_per_e = p.manual_per_e.data() + lo;
  float* const manual_per_hour = p.manual_per_hour.data() + lo;
  float* const tokens_per_e = p.tokens_per_e.data() + lo;
  float* const defects_per_e = p.defects_per_e.data() + lo;
  float* const ai_hours_per_e = p.ai_hours_per_e.data() + lo;
  float* const ai_guided_per_e = p.ai_guided_per_e.data() + lo;
  float* const style_m = p.style_m.data() + lo;
  float* const style_x = p.style_x.data() + lo;
  float* const escal_per_e = p.escal_per_e.data() + lo;
  float* const futile_per_e = p.futile_per_e.data() + lo;
  float* const fix_per_defect = p.fix_per_defect.data() + lo;
  float* const loss_per_defect = p.loss_per_defect.data() + lo;
  float* const stakes_per_defect = p.stakes_per_defect.data() + lo;
  float* const tokens_per_ai_task = p.tokens_per_ai_task.data() + lo;
  float* const usd_per_token = p.usd_per_token.data() + lo;
  float* const wh_per_token = p.wh_per_token.data() + lo;
  const double usd_assist = div.assistant_usd_per_token;
  const double wh_assist = div.assistant_wh_per_token;
  float* const belief_err = p.belief_err.data() + lo;
  float* const ai_tasks_per_e = p.ai_tasks_per_e.data() + lo;
  float* const rel_rate_used = p.rel_rate_used.data() + lo;
  float* const week_e = p.week_e.data() + lo;
  float* const week_train = p.week_train.data() + lo;
  float* const mandate_against = p.mandate_against.data() + lo;
  float* const no_seat_at_plan = p.no_seat_at_plan.data() + lo;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const double def = s.def[j];
    const double aih = s.aih[j];
    const double ntask = s.ntask[j];
    const double tok = s.tok[j];
    const double h_e = std::max(1e-6, s.h[j]);
    const double f_believed = s.vb[j] / h_e;
    const double per_defect_loss = def > 0 ? s.loss[j] / def : 0.0;
    const double per_defect_stakes = def > 0 ? s.stk[j] / def : 0.0;
    // Verification is valued at the perceived error rate (7.4); the cost of an error is weighted
    // over task types by nominal error rates (proportional to the true ones and the perceived ones).
    const double defects_per_ai_hour = aih > 0 ? s.dhat[j] / aih : 0.0;
    const double cost_per_defect = per_defect_stakes * f_believed + per_defect_loss;
    hours_per_e[j] = static_cast<float>(h_e);
    believed_per_hour[j] = static_cast<float>(f_believed);
    tokens_per_hour[j] = static_cast<float>(tok / h_e);
    sessions_per_hour[j] = static_cast<float>(ntask / h_e);
    ai_share[j] = static_cast<float>(aih / h_e);
    verify_value[j] = static_cast<float>(verify_scale * defects_per_ai_hour * cost_per_defect);
    true_per_e[j] = static_cast<float>(s.vt[j]);
    manual_per_e[j] = static_cast<float>(s.vm[j]);
    manual_per_hour[j] = static_cast<float>(s.vm[j] / h_e);
    tokens_per_e[j] = static_cast<float>(tok);
    defects_per_e[j] = static_cast<float>(def);
    ai_hours_per_e[j] = static_cast<float>(aih);
    ai_guided_per_e[j] = static_cast<float>(s.aig[j]);
    style_m[j] = static_cast<float>(s.sm[j] / h_e);
    style_x[j] = static_cast<float>(1.0 - s.sx[j] / h_e);
    escal_per_e[j] = static_cast<float>(s.esc[j]);
    futile_per_e[j] = static_cast<float>(s.fut[j]);
    fix_per_defect[j] = static_cast<float>(def > 0 ? s.fix[j] / def : 0.0);
    loss_per_defect[j] = static_cast<float>(per_defect_loss);
    stakes_per_defect[j] = static_cast<float>(per_defect_stakes);
    tokens_per_ai_task[j] = static_cast<float>(ntask > 0 ? tok / ntask : 0.0);
    // The mean price and energy of her AI work's tokens (a regeneration is one more use at the mean).
    usd_per_token[j] = static_cast<float>(tok > 0 ? s.usd[j] / tok : usd_assist);
    wh_per_token[j] = static_cast<float>(tok > 0 ? s.wh[j] / tok : wh_assist);
    belief_err[j] = static_cast<float>(s.err[j]);
    ai_tasks_per_e[j] = static_cast<float>(ntask);
    rel_rate_used[j] = static_cast<float>(ntask > 0 ? s.rel[j] / ntask : 0.0);
    week_e[j] = 0.0F;
    week_train[j] = 0.0F;
    mandate_against[j] = static_cast<float>(s.against[j]);
    no_seat_at_plan[j] = no_seat[j];
  }
  std::fill_n(p.needs_plan.data() + lo, n, std::uint8_t{0});
}

}  // namespace kpisim::detail

// The per-person pass of the daily cycle. See docs/model.md (ODD "Process overview and
// scheduling", 7.3-7.12) for the equations, and person_pass.hpp for how the work is cut.
#include "person_pass.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "allocation_problem.hpp"
#include "arrivals.hpp"
#include "chunk.hpp"
#include "kpisim/core/check.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/allocation.hpp"
#include "kpisim/model/rules.hpp"
#include "learning.hpp"
#include "managers.hpp"
#include "measurement.hpp"
#include "scripting.hpp"
#include "wellbeing.hpp"
#include "work.hpp"
#include "workslop.hpp"

namespace kpisim::detail {
namespace {

using wellbeing::clamp01;
using wellbeing::kShameDecay;
constexpr int kSlopWindowDays = 28;  // "received workslop in the last month" (BetterUp Labs & Stanford 2025)

Scratch& scratch() {
  thread_local std::unique_ptr<Scratch> s;
  if (!s) s = std::make_unique<Scratch>();
  return *s;
}

// Sum of f(x[j]) for j < n (x[j] as a double) in chunk_sum's order: sixteen interleaved partial
// sums, combined pairwise.
template <class T, class F>
double lane_sum(const T* x, std::size_t n, F f) {
  constexpr std::size_t kLanes = 16;
  double s[kLanes] = {};
  std::size_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
#pragma GCC unroll 16
    for (std::size_t l = 0; l < kLanes; ++l) s[l] += f(static_cast<double>(x[j + l]));
  for (std::size_t l = 0; j < n; ++j, ++l) s[l] += f(static_cast<double>(x[j]));
  for (std::size_t width = kLanes / 2; width > 0; width /= 2)
    for (std::size_t l = 0; l < width; ++l) s[l] += s[l + width];
  return s[0];
}

// Sum of x[0..n) (as doubles) in a fixed order: sixteen interleaved partial sums (enough independent
// additions to hide their latency once vectorised), combined pairwise.
#if defined(__AVX512F__)
// With AVX-512, float and double rows: the sixteen partial sums in two registers (lanes 0-7, 8-15),
// the rows past the last full sixteen added to the first lanes under a mask, and the pairwise
// combination (lanes l and l + 8, then l + 4, l + 2, l + 1) done in registers: the same additions
// in the same order, so the same bits, without the round trip through memory the compiler makes
// of the combination (a store of both registers, then loads of their halves, which cannot be
// forwarded from the store). (Zero-masked forms of the conversion and the extractions: GCC 12 warns
// that the unmasked ones use an undefined vector.)
inline __m512d load8(const float* p, __mmask8 m) {
  return _mm512_maskz_cvtps_pd(m, _mm256_maskz_loadu_ps(m, p));
}
inline __m512d load8(const double* p, __mmask8 m) {
  return _mm512_maskz_loadu_pd(m, p);
}
template <class T>
requires std::is_same_v<T, float> || std::is_same_v<T, double>
double chunk_sum(const T* x, std::size_t n) {
  constexpr std::size_t kLanes = 16;
  constexpr auto kAll = static_cast<__mmask8>(0xFFU);
  __m512d lo = _mm512_setzero_pd();
  __m512d hi = _mm512_setzero_pd();
  std::size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    lo = _mm512_add_pd(lo, load8(x + j, kAll));
    hi = _mm512_add_pd(hi, load8(x + j + kLanes / 2, kAll));
  }
  const std::size_t rest = n - j;  // < 16, into lanes 0 .. rest - 1
  const auto m_lo = static_cast<__mmask8>(rest >= kLanes / 2 ? 0xFFU : (1U << rest) - 1U);
  const auto m_hi = static_cast<__mmask8>(rest > kLanes / 2 ? (1U << (rest - kLanes / 2)) - 1U : 0U);
  lo = _mm512_mask_add_pd(lo, m_lo, lo, load8(x + j, m_lo));
  hi = _mm512_mask_add_pd(hi, m_hi, hi, load8(x + j + std::min(rest, kLanes / 2), m_hi));  // (at most one past the end)
  const __m512d s8 = _mm512_add_pd(lo, hi);
  const __m256d s4 = _mm256_add_pd(_mm512_maskz_extractf64x4_pd(0xF, s8, 0), _mm512_maskz_extractf64x4_pd(0xF, s8, 1));
  const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
}
template <class T>
requires(!std::is_same_v<T, float> && !std::is_same_v<T, double>)
#else
template <class T>
#endif
    double chunk_sum(const T* x, std::size_t n) {
  return lane_sum(x, n, [](double v) { return v; });
}

// The sum of squares of n floats, in chunk_sum's order: the same bits on every target (no FMA
// contraction, CMakeLists.txt).
double chunk_sum_sq(const float* x, std::size_t n) {
  return lane_sum(x, n, [](double v) { return v * v; });
}

// Calls fn(j) for every j < n with flag[j] != 0, in order. Eight flags (one 64-bit word) are checked
// at a time: most chunks hold only a few set flags (new hires).
template <class Fn>
void for_each_set(const std::uint8_t* flag, std::size_t n, const Fn& fn) {
  constexpr std::size_t kWord = sizeof(std::uint64_t);
  std::size_t g = 0;
  for (; g + kWord <= n; g += kWord) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, flag + g, kWord);
    if (bits == 0) continue;
    for (std::size_t j = g; j < g + kWord; ++j)
      if (flag[j] != 0) fn(j);
  }
  for (; g < n; ++g)
    if (flag[g] != 0) fn(g);
}

// The per-person columns the pass reads or writes, for software prefetching: a chunk touches some
// sixty columns, more streams than the hardware prefetchers follow, so each chunk asks for the next
// chunk's rows (into L2) while it works on its own. Prefetches change no result.
struct Rows {
  static constexpr std::size_t kMax = 128;
  const char* base[kMax] = {};
  std::size_t size[kMax] = {};
  std::size_t count = 0;
  template <class T>
  void add(const std::vector<T>& c) {
    // A prefetch is a hint: past kMax columns the rest are not prefetched (the same results), and
    // never written past the arrays. Checked builds say so, so that kMax is raised.
    KPISIM_CHECK(count < kMax, "Rows::kMax is too small for the pass's columns");
    if (count == kMax) return;
    base[count] = reinterpret_cast<const char*>(c.data());  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast): bytes to prefetch
    size[count++] = sizeof(T);
  }
  // Rows [lo, lo + n) of every column.
  void prefetch(std::size_t lo, std::size_t n) const {
    constexpr std::size_t kLine = 64;
    for (std::size_t c = 0; c < count; ++c) {
      const char* const first = base[c] + lo * size[c];
      const std::size_t bytes = n * size[c];
      for (std::size_t off = 0; off < bytes; off += kLine) __builtin_prefetch(first + off, 1, 2);
    }
  }
};

// The columns of a working day (all of them) or of a day off (those inputs, day_off and measure use).
Rows pass_rows(const ModelSpec& spec, const World& w, const PassState& ps, bool workday) {
  Rows r;
  for (const Column<float>* c : {&w.exhaustion,
                                 &w.cynicism,
                                 &w.efficacy,
                                 &w.engagement,
                                 &w.shame,
                                 &w.skill,
                                 &w.proficiency,
                                 &w.trust,
                                 &w.backlog_hours,
                                 &w.script_intensity,
                                 &w.script_scale,
                                 &w.measured_tokens,
                                 &w.metered_tokens,
                                 &w.metered_usd,
                                 &w.measured_outcome,
                                 &w.measured_sessions,
                                 &w.performative_tokens,
                                 &w.performative_hours,
                                 &w.gamed_outcome,
                                 &w.ema_kpi,
                                 &w.ema_value,
                                 &w.reward_sensitivity,
                                 &w.integrity,
                                 &ps.slop_in})
    r.add(*c);
  // Incentive columns only if a regime wrote them today: the pass reads the others as zeros from its
  // scratch (incentive_rows), without touching them.
  for (const Column<float>* c : {&w.perf_filter, &w.perf_removed, &w.contest_stake, &w.contest_gap, &w.contest_sigma, &w.inc_script_penalty,
                                 &w.no_seat, &w.training})
    if (w.written(*c)) r.add(*c);
  r.add(w.last_slop_day);
  r.add(w.scripting);
  r.add(spec.team_of);
  if (!workday) return r;
  for (const Column<float>* c : {&w.skill_potential,
                                 &w.strain,
                                 &w.reward_usd,
                                 &w.reward_seen,
                                 &w.reward_expect,
                                 &w.cleanup_hours,
                                 &ps.slop_out,
                                 &ps.plan.hours_per_e,
                                 &ps.plan.believed_per_hour,
                                 &ps.plan.tokens_per_hour,
                                 &ps.plan.sessions_per_hour,
                                 &ps.plan.ai_share,
                                 &ps.plan.verify_value,
                                 &ps.plan.true_per_e,
                                 &ps.plan.manual_per_e,
                                 &ps.plan.manual_per_hour,
                                 &ps.plan.tokens_per_e,
                                 &ps.plan.defects_per_e,
                                 &ps.plan.ai_hours_per_e,
                                 &ps.plan.escal_per_e,
                                 &ps.plan.futile_per_e,
                                 &ps.plan.fix_per_defect,
                                 &ps.plan.loss_per_defect,
                                 &ps.plan.stakes_per_defect,
                                 &ps.plan.tokens_per_ai_task,
                                 &ps.plan.usd_per_token,
                                 &ps.plan.wh_per_token,
                                 &ps.plan.belief_err,
                                 &ps.plan.ai_tasks_per_e,
                                 &ps.plan.rel_rate_used,
                                 &ps.plan.week_e,
                                 &ps.plan.week_train,
                                 &ps.plan.mandate_against,
                                 &ps.plan.style_m,
                                 &ps.plan.style_x})
    r.add(*c);
  if (spec.any_guided) r.add(ps.plan.ai_guided_per_e);
  for (const Column<float>* c : {&w.inc_usage, &w.inc_sessions, &w.inc_usage_cap, &w.inc_outcome, &w.inc_padding_penalty})
    if (w.written(*c)) r.add(*c);
  r.add(ps.slop_to);
  r.add(ps.plan.needs_plan);
  return r;
}

// Phase 1: team inputs, the scripting decision (every day) and weekly plans (working days).
void inputs(const DayContext& c, PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const ModelSpec& spec = c.spec;
  World& w = c.w;
  const auto b = spec.scenario.behaviour;
  // Local pointers, so that the compiler can keep them in registers and vectorise the loops (the
  // uint8 scripting column, whose writes could alias anything, is written only by the decision).
  const std::uint32_t* const team_of = spec.team_of.data() + lo;
  const float* const team_pressure = w.team_pressure.data();
  const float* const unit_mandate_share = w.unit_mandate_share.data();
  const float* const slop_in = ps.slop_in.data() + lo;
  const float* const perf_filter = incentive_rows(w, w.perf_filter, s, lo);
  const float* const perf_removed = incentive_rows(w, w.perf_removed, s, lo);
  const float* const script_scale = w.script_scale.data() + lo;
  const float* const sensitivity = w.reward_sensitivity.data() + lo;
  const float* const integrity = w.integrity.data() + lo;
  const float* const contest_stake = incentive_rows(w, w.contest_stake, s, lo);
  const float* const contest_gap = incentive_rows(w, w.contest_gap, s, lo);
  const float* const contest_sigma = incentive_rows(w, w.contest_sigma, s, lo);
  const float* const inc_script_penalty = incentive_rows(w, w.inc_script_penalty, s, lo);
  const float* const no_seat = incentive_rows(w, w.no_seat, s, lo);  // 1: no AI licence today (7.15.11)
  std::uint8_t* const scripting = w.scripting.data() + lo;
  float* const intensity = w.script_intensity.data() + lo;
  std::uint8_t* const needs_plan = ps.plan.needs_plan.data() + lo;
  const bool plan_day = c.plan_day;
  // Access given or taken away since her plan (7.15.11, 7.15.12): she re-plans today (her script
  // too), not at the next plan day. Never restricted in this run: nothing to compare.
  if (c.workday && !plan_day && w.ever_written(w.no_seat)) {
    const float* const seat_then = ps.plan.no_seat_at_plan.data() + lo;
    for (std::size_t j = 0; j < n; ++j) needs_plan[j] = needs_plan[j] != 0 || seat_then[j] != no_seat[j] ? 1 : 0;
  }
  // Each person's team (slots [first, first + size)), for the workslop recipient, and the team's
  // pressure and mandate: teams are runs of consecutive slots, so the chunk is covered team by team.
  for (std::size_t j = 0; j < n;) {
    const std::uint32_t team = team_of[j];
    const Unit& u = spec.units[spec.team_units[team]];
    const std::size_t stop = std::min<std::size_t>(u.end - lo, n);
    std::fill(s.team_first + j, s.team_first + stop, u.first);
    std::fill(s.team_size + j, s.team_size + stop, u.end - u.first);
    std::fill(s.pressure + j, s.pressure + stop, static_cast<double>(team_pressure[team]));
    // The share of the team's work under its managers' mandates (7.1).
    std::fill(s.mandate + j, s.mandate + stop, static_cast<double>(unit_mandate_share[spec.team_units[team]]));
    j = stop;
  }
  // Every day, everyone: workslop received, the audit filters, and the script as it runs (no
  // decision: uint8 reads only, so the loop vectorises).
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    s.slop[j] = slop_in[j];
    // Audits filter this share of performative tokens and gamed outcomes out of the KPI, and
    // audited people know it: they keep only the rest of what padding and scripts earn.
    s.filter[j] = std::clamp<double>(perf_filter[j], 0.0, 1.0);
    s.removed[j] = std::clamp<double>(perf_removed[j], 0.0, 1.0);  // what the audit really removes today
    // Scripted padding (7.5): tokens without hours, every day (weekends included), at the
    // intensity last chosen; a script needs a licence (7.15.11).
    const bool on = scripting[j] != 0 && no_seat[j] == 0.0F;
    const double x = intensity[j];
    s.script_on[j] = on ? 1.0 : 0.0;
    s.scripted[j] = on ? x * (b.script_tokens_per_day * script_scale[j]) : 0.0;
    s.script_sessions[j] = on ? x * (b.script_sessions_per_day * script_scale[j]) : 0.0;
  }
  // People reconsider their script once a week, on the plan day (and new hires until their first
  // plan); in between it runs as set. The script's intensity is chosen against its expected prize in
  // the usage contest (the change in the chance of passing the threshold, never more than the
  // stake); whether to run it at all, with hysteresis. The intensity (std::log) in one loop, the
  // rest (vmath::exp only) in another that vectorises on plan days.
  auto intensity_at = [&](std::size_t j) {
    const double size_cost = b.script_cost_usd_per_mtok * 1e-6 * (b.script_tokens_per_day * script_scale[j]);
    s.script_x[j] =
        scripting::contest_intensity(sensitivity[j], contest_stake[j], 1.0 - s.filter[j], contest_gap[j], contest_sigma[j], size_cost);
  };
  auto decide_at = [&](std::size_t j, auto may_gain) {
    const double filter = s.filter[j];
    const double script_tokens = b.script_tokens_per_day * script_scale[j];
    const double script_sessions = b.script_sessions_per_day * script_scale[j];
    const double size_cost = b.script_cost_usd_per_mtok * 1e-6 * script_tokens;
    double x = s.script_x[j];
    const double gain =
        may_gain && x > 0.0 ? scripting::contest_gain(x, contest_stake[j], 1.0 - filter, contest_gap[j], contest_sigma[j]) : 0.0;
    const double net =
        scripting::net_payoff(sensitivity[j], gain, inc_script_penalty[j], size_cost, integrity[j] * b.script_integrity_cost_usd, x);
    const bool on = scripting::decide(scripting[j], net, b.script_hysteresis_usd) != 0 && x > 0.0 && no_seat[j] == 0.0F;
    intensity[j] = static_cast<float>(on ? x : 0.0);
    x = intensity[j];
    scripting[j] = on ? 1 : 0;
    s.script_on[j] = on ? 1.0 : 0.0;
    s.scripted[j] = on ? x * script_tokens : 0.0;
    s.script_sessions[j] = on ? x * script_sessions : 0.0;
  };
  if (plan_day) {
    for (std::size_t j = 0; j < n; ++j) intensity_at(j);
    // Without any positive intensity in the chunk (no usage contest) no gain is computed.
    bool any = false;
    for (std::size_t j = 0; j < n; ++j) any = any || s.script_x[j] > 0.0;
    auto decide_all = [&](auto may_gain) {
#pragma omp simd
      for (std::size_t j = 0; j < n; ++j) decide_at(j, may_gain);
    };
    if (any)
      decide_all(std::true_type{});
    else
      decide_all(std::false_type{});
  } else {
    for_each_set(needs_plan, n, [&](std::size_t j) {
      intensity_at(j);
      decide_at(j, std::true_type{});
    });
  }
  if (!c.workday) return;
  // Weekly plans: everyone on the first working day of the week; new hires on their first.
  if (c.plan_day) {
    plan_week(c, ps, s, 0, lo, n);
  } else {
    for_each_set(needs_plan, n, [&](std::size_t j) { plan_week(c, ps, s, j, lo + j, 1); });
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
    double* const defects[4] = {s.u_def[0], s.u_def[1], s.u_def[2], s.u_def[3]};
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
  // Arrivals (7.6): lognormal with mean workload x norm.
  const arrivals::Lognormal arrive_dist = arrivals::lognormal(sc.arrivals.workload_cv, div.workload * norm);
  const double max_backlog = sc.arrivals.max_backlog_days * norm;
  // Requests other divisions' chatbots escalated to this one since its last working day (7.9).
  const double handed_in = c.service_in != nullptr ? c.service_in[c.spec.division_of[lo]] : 0.0;
  const double cleanup_cap = std::min(b.max_cleanup_hours, b.max_hours);
  const float* const inc_usage = incentive_rows(w, w.inc_usage, s, lo);
  const float* const inc_sessions = incentive_rows(w, w.inc_sessions, s, lo);
  const float* const inc_usage_cap = incentive_rows(w, w.inc_usage_cap, s, lo);
  const float* const inc_outcome = incentive_rows(w, w.inc_outcome, s, lo);
  const float* const inc_padding_penalty = incentive_rows(w, w.inc_padding_penalty, s, lo);
  const float* const no_seat = incentive_rows(w, w.no_seat, s, lo);
  const float* const training = incentive_rows(w, w.training, s, lo);  // hours of training ordered today (7.15.13)
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double backlog = std::min<double>(w.backlog_hours[i] + arrivals::arrive(arrive_dist, s.z_arr[j]) + handed_in, max_backlog);
    const arrivals::Cleanup cleanup = arrivals::cleanup(w.cleanup_hours[i], s.slop[j], cleanup_cap);
    s.backlog[j] = backlog;
    s.cleanup[j] = cleanup.left;
    s.cleanup_today[j] = cleanup.today;
    // Training comes after the day's clean-up and before her own choices; what does not fit under
    // the daily cap is not attended.
    const double train = std::min(static_cast<double>(training[j]), b.max_hours - cleanup.today);
    s.train[j] = train;

    // Allocation (7.4): work (W), verification (V), performative (P), learning (L).
    const allocation_problem::View v{w.reward_sensitivity[i],
                                     w.integrity[i],
                                     w.proficiency[i],
                                     inc_usage[j],
                                     inc_sessions[j],
                                     inc_usage_cap[j],
                                     inc_outcome[j],
                                     inc_padding_penalty[j],
                                     1.0 - s.filter[j],
                                     s.pressure[j],
                                     s.mandate[j],
                                     p.believed_per_hour[i],
                                     p.tokens_per_hour[i],
                                     p.sessions_per_hour[i],
                                     p.ai_share[i],
                                     p.verify_value[i],
                                     1.0 - static_cast<double>(no_seat[j])};
    const allocation_problem::Marginals m = allocation_problem::marginals(b, ms, v);
    const double budget = std::max(0.0, b.max_hours - cleanup.today - train);
    const allocation_problem::Caps cap = allocation_problem::caps(b, backlog, p.hours_per_e[i], v.ai_share, budget);
    s.budget[j] = budget;
    s.gaming[j] = m.gaming;
    s.a[0][j] = m.work;
    s.a[1][j] = m.verify;
    s.a[2][j] = m.perform;
    s.a[3][j] = m.learn;
    s.cap[0][j] = cap.work;
    s.cap[1][j] = cap.verify;
    // Without a licence (7.15.11) no padding and no practice with AI, whatever the decision noise
    // (gaming an outcome metric needs no tool).
    s.cap[2][j] = cap.perform * std::max(m.gaming, v.seat);
    s.cap[3][j] = cap.learn * v.seat;
  }
  if (b.decision_noise_usd > 0)
    for (std::size_t q = 0; q < 4; ++q)
      for (std::size_t j = 0; j < n; ++j) s.a[q][j] += b.decision_noise_usd * s.z_dec[q][j];
}

// Phase 5 (working days): work done, errors and escalations.
void work_phase(const DayContext& c, PassState& ps, Scratch& s, std::size_t lo, std::size_t n) {
  const auto b = c.spec.scenario.behaviour;
  const Plan& p = ps.plan;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double e = s.t[0][j] / p.hours_per_e[i];  // manual-equivalent hours of work done
    s.e[j] = e;
    const double ai_hours = e * p.ai_hours_per_e[i];
    const double lambda = e * p.defects_per_e[i];
    const double q = work::catch_probability(s.t[1][j], ai_hours, b.verification_ratio, b.verification_efficacy);
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
  const double frustration_per_e = c.frustration_per_e != nullptr ? c.frustration_per_e[dv] : 0.0;
  // Learning, training, padding and scripts are done with the assistants (7.18).
  const double usd_assist = c.spec.divisions[dv].assistant_usd_per_token;
  const double kwh_assist = c.spec.divisions[dv].assistant_wh_per_token * 1e-3;
  const bool outcome_noise = ms.outcome_noise_cv > 0;
  const auto att = sc.attrition;
  const double quit_base = rules::quit_base(att.annual_turnover);
  auto& o = s.out;
  // The reward she expects from the regime, learned from what reached her since her last working
  // day (rewards minus penalties), felt per USD of the value of her norm day at the skill she starts
  // the day with (7.13). A loop of its own: in the loop below it keeps GCC from vectorising.
  double* const reward_felt = s.reward_felt;
  const float* const skill0 = w.skill.data() + lo;
  float* const reward_usd = w.reward_usd.data() + lo;
  float* const reward_seen = w.reward_seen.data() + lo;
  float* const reward_expect = w.reward_expect.data() + lo;
  // Practice hours with a guided tool (7.12), or zeros when no tool is guided (not read).
  const float* const ai_guided = c.spec.any_guided ? p.ai_guided_per_e.data() + lo : s.zeros;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const double received = static_cast<double>(reward_usd[j]) - static_cast<double>(reward_seen[j]);
    reward_seen[j] = reward_usd[j];
    const auto r = static_cast<float>(wellbeing::reward_expectation(wb, reward_expect[j], received));
    reward_expect[j] = r;
    reward_felt[j] = wellbeing::reward_felt(r, norm * static_cast<double>(skill0[j]) * div_vph);
  }
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
    // them; errors that land on colleagues (workslop) stay unseen. What they see is read at the
    // division mix's level (the tasks they used AI for err more or less than the mix, 7.12).
    const double ai_tasks = e * p.ai_tasks_per_e[i];
    w.trust[i] = static_cast<float>(learning::trust(lr, w.trust[i], ai_tasks, caught, passed, b.workslop_share, p.rel_rate_used[i]));
    const double x0 = w.exhaustion[i];
    // Exhaustion lowers performance (job demands-resources: the health-impairment path); engagement
    // adds discretionary effort (the motivational path).
    const double performance = wellbeing::performance(wb, x0, w.engagement[i]);
    const double value = work::value(e, p.true_per_e[i], performance, passed, p.loss_per_defect[i]);
    const double manual_value = e * p.manual_per_e[i] * performance;
    const double train = s.train[j];
    p.week_train[i] += static_cast<float>(train);
    const double tok_work = e * p.tokens_per_e[i];
    const double tok_learn = t_l * b.learning_tokens_per_hour + train * b.learning_tokens_per_hour;
    const double tok_prod = tok_work + tok_learn;
    // Each caught error is regenerated: one more use of the tool.
    const double tok_rework = caught * p.tokens_per_ai_task[i];
    const double work_sessions = e * p.ai_tasks_per_e[i] + caught;
    const double stakes = passed * p.stakes_per_defect[i];
    const double cleanup = work::cleanup_queue(s.cleanup[j], caught, p.fix_per_defect[i], stakes, b.workslop_share);
    const double slop_out = stakes * b.workslop_share;
    const double futile = e * p.futile_per_e[i];
    const bool gaming = s.gaming[j] != 0.0;
    const double gamed = gaming ? t_p * ms.gaming_usd_per_hour : 0.0;
    const double tok_perf = s.scripted[j] + (gaming ? 0.0 : t_p * b.padding_tokens_per_hour);
    const double perf_sessions = s.script_sessions[j] + (gaming ? 0.0 : t_p * b.padding_sessions_per_hour);

    // Measurement (what the organisation sees).
    const double noise_o = outcome_noise ? noise_scale * s.z_noise[j] : 0.0;
    const double cleanup_today = s.cleanup_today[j];
    const double hours = cleanup_today + t_w + t_v + t_p + t_l + train;

    // Learning (7.12): proficiency from genuine use and learning; skill from practice (manual work,
    // and the share of AI-assisted work a guided tool leaves to her), eroded by the rest of AI use.
    w.proficiency[i] = static_cast<float>(learning::proficiency(lr, w.proficiency[i], ai_hours, t_l + train));
    const double manual_hours = std::max(0.0, t_w - ai_hours);
    const double guided_hours = e * static_cast<double>(ai_guided[j]);
    const double skill =
        learning::skill(lr, w.skill[i], w.skill_potential[i], manual_hours + guided_hours, std::max(0.0, ai_hours - guided_hours));
    w.skill[i] = static_cast<float>(skill);

    // Well-being on a working day (7.13, job demands-resources).
    const double pressure = s.pressure[j];
    const double expected = norm * static_cast<double>(static_cast<float>(skill)) * div_vph;
    // The reward she expects, as she feels it (above): a resource or a hindrance.
    const double felt = reward_felt[j];
    // A mandate weighs by the work it claims against her own choice (the week's plan, 7.13).
    const double mandate = p.mandate_against[i];
    // Frustration with escalated requests waiting in a service division's queue (7.9).
    const double hindrance = wellbeing::hindrance(wb, pressure, mandate, w.shame[i], felt) + e * frustration_per_e;
    const double fear = pressure * p.ai_share[i];
    const double demand = wellbeing::demand(wb, norm, inv_norm, hours, cleanup_today, hindrance, fear, backlog);
    const double resources = wellbeing::resources(wb, mandate, felt);
    const double x = wellbeing::exhaustion_workday(wb, x0, w.strain[i], demand, resources);
    const double meaningless = (t_p + futile) * inv_norm;
    const double y = wellbeing::cynicism_workday(wb, w.cynicism[i], meaningless, x);
    w.efficacy[i] = static_cast<float>(wellbeing::efficacy_workday(wb, w.efficacy[i], value, expected));
    w.engagement[i] = static_cast<float>(wellbeing::engagement_workday(wb, w.engagement[i], demand, resources, x));
    w.shame[i] = static_cast<float>(w.shame[i] * kShameDecay);
    w.exhaustion[i] = static_cast<float>(x);
    w.cynicism[i] = static_cast<float>(y);
    w.backlog_hours[i] = static_cast<float>(backlog);
    w.cleanup_hours[i] = static_cast<float>(cleanup);

    // Attrition (7.14), at today's well-being as stored.
    s.quit[j] =
        s.u_quit[j] < rules::quit_hazard(att, quit_base, w.exhaustion[i], w.cynicism[i], w.engagement[i], w.efficacy[i]) ? 1.0 : 0.0;

    KPISIM_CHECK(std::isfinite(value) && value >= 0, "true value is finite and non-negative");
    KPISIM_CHECK(tok_prod >= 0 && tok_rework >= 0 && tok_perf >= 0, "tokens are non-negative");
    KPISIM_CHECK(hours <= b.max_hours + 1e-9, "hours worked do not exceed the daily cap");
    KPISIM_CHECK(std::fabs(hours - (cleanup_today + t_w + t_v + t_p + t_l + train)) < 1e-9, "hours add up");

    w.performative_tokens[i] = static_cast<float>(tok_perf);
    w.performative_hours[i] = static_cast<float>(t_p);
    w.gamed_outcome[i] = static_cast<float>(gamed);
    ps.slop_out[i] = static_cast<float>(slop_out);
    ps.slop_to[i] = workslop::recipient_slot(static_cast<std::uint32_t>(i), s.team_first[j], s.team_size[j], s.u_def[3][j]);
    o[a_value][j] = value;
    o[a_measured][j] = value + gamed + noise_o;  // before the audit filter (applied in measure())
    // AI value added and time saved, net of verification and clean-up (7.7): those hours are valued at
    // what they would have produced as manual work.
    const double manual_per_hour = p.manual_per_hour[i] * performance;
    const double overhead_hours = t_v + cleanup_today;
    o[a_ai_value_gross][j] = value - manual_value;
    o[a_ai_value][j] = value - manual_value - overhead_hours * manual_per_hour;
    // What people tell their managers (7.17): the same accounting at their believed value per hour.
    const double believed_value = e * p.believed_per_hour[i] * p.hours_per_e[i] * performance;
    o[a_value_reported][j] = believed_value;
    o[a_ai_value_reported][j] = believed_value - manual_value - overhead_hours * manual_per_hour;
    o[a_hours][j] = hours;
    o[a_overtime][j] = std::max(0.0, hours - norm);
    o[a_manual][j] = manual_hours;
    o[a_ai_hours][j] = ai_hours;
    o[a_time_saved_gross][j] = e - t_w;  // manual-equivalent hours done minus the hours they took
    o[a_time_saved][j] = e - t_w - overhead_hours;
    o[a_tok_prod][j] = tok_prod;
    o[a_tok_rework][j] = tok_rework;
    o[a_tok_perf][j] = tok_perf;
    // Token cost and energy (7.18): her AI work's tokens at the tools that serve her tasks, the rest
    // at the assistants'.
    const double tok_tools = tok_work + tok_rework;
    const double tok_assist = tok_learn + tok_perf;
    o[a_cost][j] = tok_tools * p.usd_per_token[i] + tok_assist * usd_assist;
    o[a_energy][j] = tok_tools * p.wh_per_token[i] * 1e-3 + tok_assist * kwh_assist;
    o[a_slop_hours][j] = slop_out;
    o[a_sessions][j] = work_sessions;  // work sessions here; measure() adds the performative ones
    // (Hours of checking, clean-up, performative use, learning and work, caught and passed errors,
    // escalations and the belief error are summed from their rows: direct_sources.)
    s.perf_sessions[j] = perf_sessions;
  }
  // Under an outcome KPI, what each person says AI added less what she says she produced (the
  // outcome dashboard's credit to AI, 7.17); in a loop of its own, so the one above stays vectorised.
  if (c.kpi_wo[c.spec.division_of[lo]] > 0) {
    float* const credit = ps.outcome_credit.data() + lo;
    for (std::size_t j = 0; j < n; ++j) credit[j] = static_cast<float>(o[a_ai_value_reported][j] - o[a_value_reported][j]);
  }
}

// The contributions that are 0 on a day off and that measure() does not write: their sums are skipped
// on days off (adding 0 leaves an accumulator as it was: it starts at +0 and never becomes -0).
constexpr std::array<bool, a_count> kWorkOnly = [] {
  std::array<bool, a_count> m{};
  for (std::size_t v :
       {a_value,          a_ai_value,          a_hours,       a_overtime,   a_manual,     a_ai_hours,         a_verify,
        a_cleanup,        a_perf_hours,        a_learn,       a_work_hours, a_tok_prod,   a_tok_rework,       a_caught,
        a_passed,         a_slop_hours,        a_escalations, a_belief_err, a_time_saved, a_time_saved_gross, a_ai_value_gross,
        a_value_reported, a_ai_value_reported, a_e,           a_training,   a_style_x,    a_style_m,          a_style_m2})
    m[v] = true;
  return m;
}();

// Phase 6 on a day off: recovery, scripts keep running.
void day_off(const DayContext& c, Scratch& s, std::size_t lo, std::size_t n) {
  const auto wb = c.spec.scenario.wellbeing;
  World& w = c.w;
  auto& o = s.out;
  const std::size_t dv = c.spec.division_of[lo];
  const double usd_assist = c.spec.divisions[dv].assistant_usd_per_token;
  const double kwh_assist = c.spec.divisions[dv].assistant_wh_per_token * 1e-3;
  // The contributions measure() reads; the other work-only ones are not summed on a day off (kWorkOnly).
  for (std::size_t v : {a_value, a_measured, a_tok_prod, a_tok_rework, a_sessions}) std::fill_n(o[v], n, 0.0);
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    w.exhaustion[i] = static_cast<float>(wellbeing::exhaustion_day_off(wb, w.exhaustion[i]));
    w.cynicism[i] = static_cast<float>(wellbeing::cynicism_day_off(wb, w.cynicism[i]));
    w.shame[i] = static_cast<float>(w.shame[i] * kShameDecay);
    w.performative_tokens[i] = static_cast<float>(s.scripted[j]);
    w.performative_hours[i] = 0.0F;
    w.gamed_outcome[i] = 0.0F;
    s.quit[j] = 0.0;
    o[a_tok_perf][j] = s.scripted[j];
    o[a_cost][j] = s.scripted[j] * usd_assist;  // scripts run on the assistants (7.18)
    o[a_energy][j] = s.scripted[j] * kwh_assist;
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
  // The chunk's division's KPI (a chunk lies in one division).
  const std::size_t dv = c.spec.division_of[lo];
  const double kpi_wt = c.kpi_wt[dv], kpi_ws = c.kpi_ws[dv], kpi_wo = c.kpi_wo[dv];
  auto& o = s.out;
#pragma omp simd
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t i = lo + j;
    const double filter = s.removed[j];
    const double tok_perf = o[a_tok_perf][j];
    const double perf_sessions = s.perf_sessions[j];
    const double gamed = w.gamed_outcome[i];
    const double value = o[a_value][j];
    const double tokens = o[a_tok_prod][j] + o[a_tok_rework][j] + tok_perf;
    const double usage_factor = usage_noise ? 1.0 + ms.usage_noise_cv * s.z_meas[j] : 1.0;
    const double measured_tokens = measurement::tokens(tokens, tok_perf, filter, usage_factor);
    const double measured = measurement::outcome(o[a_measured][j], gamed, filter);
    const double measured_sessions = measurement::sessions(o[a_sessions][j], perf_sessions, filter);
    w.measured_tokens[i] = static_cast<float>(measured_tokens);
    w.metered_tokens[i] = static_cast<float>(tokens);
    w.metered_usd[i] = static_cast<float>(o[a_cost][j]);
    w.measured_sessions[i] = static_cast<float>(measured_sessions);
    w.measured_outcome[i] = static_cast<float>(measured);

    // Goodhart diagnostics: moving averages of the KPI and of true value (working days).
    const double kpi_today = kpi_wt * measured_tokens + kpi_ws * measured_sessions + kpi_wo * measured;
    const double kpi_perf = (1.0 - filter) * (kpi_wt * tok_perf + kpi_ws * perf_sessions + kpi_wo * gamed);
    const double ek_prev = w.ema_kpi[i];
    const double ev_prev = w.ema_value[i];
    w.ema_kpi[i] = static_cast<float>(measurement::ema(ek_prev, kpi_today, ema_rate));
    w.ema_value[i] = static_cast<float>(measurement::ema(ev_prev, value, ema_rate));
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
    // (Scripted tokens, backlog, well-being, skill, proficiency, trust, pressure, mandate, quits,
    // scripting and the two moving averages are summed from their columns: direct_sources.)
    o[a_burnt][j] = x >= wb.burnout_threshold ? 1.0 : 0.0;
    o[a_slop_recent][j] = c.day - w.last_slop_day[i] < kSlopWindowDays ? 1.0 : 0.0;
    o[a_sxx][j] = ek * ek;
    o[a_syy][j] = ev * ev;
    o[a_sxy][j] = ek * ev;
  }
}

// The contributions that are a column as it stands after measure() (a float or uint8 column of the
// world or the plan, its squares, or a scratch row): summed from there (the same values in the same order, so the same
// bits) rather than copied into the chunk's contribution rows first.
struct DirectSources {
  const float* f[a_count] = {};
  const float* f_sq[a_count] = {};  // a float column whose squares are summed
  const double* d[a_count] = {};
  const std::uint8_t* u8[a_count] = {};
};

DirectSources direct_sources(const World& w, const PassState& ps, const Scratch& s) {
  DirectSources src;
  // Working days only (kWorkOnly): what outcomes() reads.
  src.d[a_work_hours] = s.t[0];
  src.d[a_verify] = s.t[1];
  src.d[a_perf_hours] = s.t[2];
  src.d[a_learn] = s.t[3];
  src.d[a_cleanup] = s.cleanup_today;
  src.d[a_caught] = s.count[0];
  src.d[a_passed] = s.count[1];
  src.d[a_escalations] = s.count[2];
  src.d[a_e] = s.e;
  src.d[a_training] = s.train;
  src.f[a_belief_err] = ps.plan.belief_err.data();
  src.f[a_style_x] = ps.plan.style_x.data();
  src.f[a_style_m] = ps.plan.style_m.data();
  src.f_sq[a_style_m2] = ps.plan.style_m.data();
  // Every day: what measure() reads.
  src.d[a_tok_script] = s.scripted;
  src.d[a_quits] = s.quit;
  src.d[a_pressure] = s.pressure;
  src.d[a_mandate] = s.mandate;
  src.f[a_backlog] = w.backlog_hours.data();
  src.f[a_exhaustion] = w.exhaustion.data();
  src.f[a_cynicism] = w.cynicism.data();
  src.f[a_efficacy] = w.efficacy.data();
  src.f[a_engagement] = w.engagement.data();
  src.f[a_skill] = w.skill.data();
  src.f[a_prof] = w.proficiency.data();
  src.f[a_trust] = w.trust.data();
  src.f[a_sx] = w.ema_kpi.data();
  src.f[a_sy] = w.ema_value.data();
  src.u8[a_scripting] = w.scripting.data();
  src.f[a_unlicensed] = w.no_seat.data();  // all zeros unless a `seats` or `compute_budget` policy wrote it today
  return src;
}

}  // namespace

Plan::Plan(std::size_t n) {
  for (auto* c : {&hours_per_e,        &believed_per_hour, &tokens_per_hour, &sessions_per_hour, &ai_share,        &verify_value,
                  &true_per_e,         &manual_per_e,      &manual_per_hour, &tokens_per_e,      &defects_per_e,   &ai_hours_per_e,
                  &ai_guided_per_e,    &escal_per_e,       &futile_per_e,    &fix_per_defect,    &loss_per_defect, &stakes_per_defect,
                  &tokens_per_ai_task, &belief_err,        &ai_tasks_per_e,  &rel_rate_used,     &week_e,          &mandate_against,
                  &no_seat_at_plan,    &week_train,        &style_m,         &usd_per_token,     &wh_per_token})
    c->assign(n, 0.0F);
  hours_per_e.assign(n, 1.0F);
  style_x.assign(n, 1.0F);  // all work by hand until the first plan
  needs_plan.assign(n, 1);
}

PassState::PassState(const ModelSpec& spec) : plan(spec.employees) {
  for (const auto& d : spec.divisions) {
    std::vector<std::uint32_t> active;
    double vph = 0.0;
    double nominal = 0.0;
    for (std::size_t k = 0; k < d.mix.size(); ++k)
      if (d.mix[k] > 0) {
        active.push_back(static_cast<std::uint32_t>(k));
        vph += d.mix[k] * spec.tasks[k].value_per_hour;
        nominal += d.mix[k] * spec.tasks[k].defect_prob;
      }
    div_tasks.push_back(std::move(active));
    div_value_per_hour.push_back(vph);
    div_defect_nominal.push_back(nominal);
  }
  divisions = spec.divisions.size();
  tasks = spec.task_count();
  employees = spec.employees;
  report.assign(tasks * employees, 0.0F);
  outcome_credit.assign(employees, 0.0F);
  // person_pass cuts chunks relying on divisions being contiguous runs of slots.
  KPISIM_CHECK(std::is_sorted(spec.division_of.begin(), spec.division_of.end()), "divisions are contiguous runs of slots");
  slop_in.assign(spec.employees, 0.0F);
  slop_out.assign(spec.employees, 0.0F);
  slop_to.assign(spec.employees, 0);
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const Unit& u = spec.units[spec.team_units[t]];
    // workslop::scatter_within and the chunk's team runs rely on teams tiling the slots in order.
    KPISIM_CHECK(u.first == (t == 0 ? 0U : spec.units[spec.team_units[t - 1]].end) && u.end > u.first, "teams tile the slots in order");
    if (u.end > u.first && u.first / kBlock != (u.end - 1) / kBlock) split_teams.push_back(static_cast<std::uint32_t>(t));
  }
}

void person_pass(const DayContext& c, PassState& ps, Acc* acc, std::size_t lo, std::size_t hi) {
  const ModelSpec& spec = c.spec;
  const auto& b = spec.scenario.behaviour;
  Scratch& s = scratch();
  // The mandates of the teams wholly inside this block, which only its chunks read (the day decided
  // those of the units above and of the teams split between blocks).
  if (c.mixes != nullptr) {
    const auto [t, t_end] = managers::teams_within(spec, lo, hi);
    managers::team_mandates(spec, *c.mixes, c.stake_per_pressure, c.w, t, t_end);
  }
  const Rows rows = pass_rows(spec, c.w, ps, c.workday);
  const DirectSources src = direct_sources(c.w, ps, s);
  const bool restricted = c.w.written(c.w.no_seat);
  const bool trained = c.w.written(c.w.training);
  rows.prefetch(lo, std::min(hi - lo, kChunk));
  std::size_t start = lo;
  while (start < hi) {
    // A chunk: at most kChunk agents, all in one division. Divisions are contiguous slots: when the
    // chunk's last slot is in the division, so is every slot before it (the common case, no scan).
    const std::uint16_t dv = spec.division_of[start];
    std::size_t end = std::min(hi, start + kChunk);
    if (spec.division_of[end - 1] != dv)
      end = static_cast<std::size_t>(std::find_if(spec.division_of.begin() + static_cast<std::ptrdiff_t>(start),
                                                  spec.division_of.begin() + static_cast<std::ptrdiff_t>(end),
                                                  [dv](std::uint16_t d) { return d != dv; }) -
                                     spec.division_of.begin());
    const std::size_t n = end - start;
    if (end < hi) rows.prefetch(end, std::min(hi - end, kChunk));
    inputs(c, ps, s, start, n);
    draws(c, s, start, n);
    if (c.workday) {
      problems(c, ps, s, start, n);
      {
        const double* const a[4] = {s.a[0], s.a[1], s.a[2], s.a[3]};
        const double* const cap[4] = {s.cap[0], s.cap[1], s.cap[2], s.cap[3]};
        double* const t[4] = {s.t[0], s.t[1], s.t[2], s.t[3]};
        allocate_batch(n, b.effort_cost, b.crowding, a, cap, s.budget, t);
        // Checking covers at most the AI-assisted work done today (7.4).
        limit_to_base(n, b.effort_cost, b.crowding, a, cap, s.budget, 1, 0, b.verification_ratio, ps.plan.ai_share.data() + start, t);
      }
      work_phase(c, ps, s, start, n);
      outcomes(c, ps, s, start, n);
    } else {
      day_off(c, s, start, n);
    }
    measure(c, s, start, n);
    Acc& a = acc[dv];
    a[a_headcount] += static_cast<double>(n);
    a[a_corr_n] += static_cast<double>(n);
    for (std::size_t v = 0; v < a_count; ++v) {
      if (v == a_headcount || v == a_corr_n || v == a_handoff || v == a_wait || (!c.workday && kWorkOnly[v])) continue;
      if (v == a_e && !spec.any_service) continue;     // read only to hand escalations on (7.9)
      if (v == a_training && !trained) continue;       // no training ordered today: its sum is 0
      if (v == a_unlicensed && !restricted) continue;  // no_seat not written today: its sum is 0
      if (src.f[v] != nullptr)
        a[v] += chunk_sum(src.f[v] + start, n);
      else if (src.f_sq[v] != nullptr)
        a[v] += chunk_sum_sq(src.f_sq[v] + start, n);
      else if (src.u8[v] != nullptr)
        a[v] += chunk_sum(src.u8[v] + start, n);
      else if (src.d[v] != nullptr)
        a[v] += chunk_sum(src.d[v], n);
      else
        a[v] += chunk_sum(s.out[v], n);
    }
    // Quitters are replaced at once by new hires (after the day's sums).
    for (std::size_t j = 0; j < n; ++j)
      if (s.quit[j] != 0.0) {
        hire(spec, c.w, c.rng, start + j, c.day + 1, false);
        ps.plan.needs_plan[start + j] = 1;
        ps.plan.week_e[start + j] = 0.0F;
        ps.plan.week_train[start + j] = 0.0F;
      }
    start = end;
  }
  // Workslop reaches colleagues (7.8), for the teams wholly inside this block: every member has been
  // through the day (inputs read slop_in, measure read last_slop_day, quitters were replaced), and no
  // other block touches them.
  if (c.workday)
    workslop::scatter_within(spec, c.day, ps.slop_out.data(), ps.slop_to.data(), ps.slop_in.data(), c.w.last_slop_day.data(), lo, hi);
  // What the managers read of the teams wholly inside this block, while their columns are in cache,
  // and then what those teams' managers make of it.
  if (c.unit_sums != nullptr) {
    managers::team_sums_within(spec, c.w, ps, c.kpi_view, c.dashboard_sums, c.report_sums, *c.unit_sums, lo, hi);
    if (c.beliefs != nullptr && c.mixes != nullptr) managers::team_beliefs_within(spec, *c.mixes, *c.beliefs, *c.unit_sums, c.w, lo, hi);
  }
}

}  // namespace kpisim::detail

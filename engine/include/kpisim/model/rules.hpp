#pragma once
// Small pure functions of the model, shared by the daily loop and the unit tests.
#include <algorithm>
#include <cmath>

#include "kpisim/core/vmath.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim::rules {

/// True relative gain in value per hour from using AI on a task, for a person of the given skill
/// and AI proficiency. Inside the frontier novices gain more (slope): gains shrink to 0 for
/// experts. Gains grow with proficiency; losses are worse at low proficiency. Outside the frontier
/// skill does not change the gain (AI does not lift the floor there).
/// Written without branches: the task's switches become weights 0 and 1 that combine both cases
/// exactly, so that the weekly plan's loop over people vectorises.
inline double ai_gain(const TaskSpec& t, double skill, double proficiency) noexcept {
  const double gaining = t.value_gain >= 0.0 ? 1.0 : 0.0;
  const double slope_on = t.inside ? 1.0 : 0.0;
  const double novice = slope_on * std::max(0.0, 1.0 + t.novice_slope * (1.0 - skill)) + (1.0 - slope_on);
  return gaining * (t.value_gain * novice * (0.5 + 0.5 * proficiency)) +
         (1.0 - gaining) * std::max(-1.0, t.value_gain * (1.5 - 0.5 * proficiency));  // a task's value cannot turn negative
}

/// Probability that one AI output has an error, given proficiency in [0,1].
inline double defect_prob(const TaskSpec& t, double proficiency) noexcept {
  return std::clamp(t.defect_prob * (1.25 - 0.5 * proficiency), 0.0, 1.0);
}

/// Logit choice share with temperature (0: hard threshold at z > 0). Without branches, as ai_gain.
inline double choice_share(double z, double temperature) noexcept {
  const double hard = temperature > 0.0 ? 0.0 : 1.0;
  const double inv_temperature = temperature > 0.0 ? 1.0 / temperature : 0.0;
  const double logit = 1.0 / (1.0 + vmath::exp(-z * inv_temperature));
  return hard * (z > 0.0 ? 1.0 : 0.0) + (1.0 - hard) * logit;
}

/// The reference well-being of the default baseline, where the quit hazard gives the annual
/// turnover and engagement and efficacy change nothing (0-1 scales; exhaustion 0.35 and cynicism
/// 0.33 are about 2.1 and 2.0 on the MBI-GS 0-6 scales, efficacy 0.87 about 5.2). Hires start at
/// the reference engagement and efficacy.
constexpr double kRefExhaustion = 0.35;
constexpr double kRefCynicism = 0.33;
constexpr double kRefEngagement = 0.74;
constexpr double kRefEfficacy = 0.87;

/// The daily quit hazard at the reference well-being, from an annual turnover (260 working days).
inline double quit_base(double annual_turnover) noexcept {
  return -std::log(1.0 - annual_turnover) / 260.0;
}

/// Daily quit hazard (`base` from quit_base): it rises with exhaustion and cynicism and falls with
/// engagement and professional efficacy (log-linear). The engine's own exponential, so that the
/// per-person loop vectorises and every build gives the same bits.
inline double quit_hazard(const Attrition& a, double base, double exhaustion, double cynicism, double engagement,
                          double efficacy) noexcept {
  return std::min(
      1.0,
      base * vmath::exp(a.exhaustion_sensitivity * (exhaustion - kRefExhaustion) + a.cynicism_sensitivity * (cynicism - kRefCynicism) +
                        a.engagement_sensitivity * (kRefEngagement - engagement) + a.efficacy_sensitivity * (kRefEfficacy - efficacy)));
}

/// Marginal expected prize per unit of score in a rank-order contest against a marginal
/// competitor: the prize spread times the density of the score difference at the cutoff.
/// With normal noise of sd `sigma` on each score the difference has sd sigma*sqrt(2); with
/// uniform noise on [-q, q] the difference is triangular on [-2q, 2q].
/// For two players this is exactly the Lazear-Rosen first-order condition.
enum class ContestNoise { normal, uniform };
inline double contest_marginal(double spread, double own, double cutoff, double scale, ContestNoise noise) noexcept {
  if (!(scale > 0.0)) return 0.0;
  const double x = own - cutoff;
  if (noise == ContestNoise::normal) {
    const double s = scale * std::sqrt(2.0);
    return spread * 0.3989422804014327 * vmath::exp(-0.5 * (x / s) * (x / s)) / s;
  }
  const double w = 2.0 * scale;  // triangular density on [-2q, 2q]: (2q - |x|) / (4q^2)
  const double ax = std::fabs(x);
  return ax >= w ? 0.0 : spread * (w - ax) / (w * w);
}

/// The standard normal distribution function, to an absolute error below 1.5e-7 (Abramowitz &
/// Stegun 1964, 7.1.26, for erf), with the engine's own exponential: one exponential and a short
/// polynomial, a fraction of the cost of std::erfc, and the same bits in every build.
inline double normal_cdf(double z) noexcept {
  const double x = std::fabs(z) * 0.7071067811865476;
  const double t = 1.0 / (1.0 + 0.3275911 * x);
  const double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const double tail = 0.5 * poly * vmath::exp(-x * x);  // P(Z > |z|)
  return z >= 0.0 ? 1.0 - tail : tail;
}

/// E[min(U, target)] / target for a usage U ~ N(expected, sigma^2): the share of the target that a
/// review counting usage linearly up to the target expects to credit. Its derivative in `expected`
/// is Phi((target - expected) / sigma) / target: every step towards the target counts, less so
/// the likelier the target is met anyway. (The lower bound 0 of usage is ignored: it does not change
/// the derivative.)
inline double expected_capped_share(double expected, double target, double sigma) noexcept {
  const double z = (expected - target) / sigma;
  const double pdf = 0.3989422804014327 * vmath::exp(-0.5 * z * z);
  return (expected - (expected - target) * normal_cdf(z) - sigma * pdf) / target;
}

/// A manager's expected utility, USD a working day, from holding pressure p on her unit under a
/// leadership usage KPI. She expects her unit's usage to respond to pressure (usage + response x
/// target x p, perceived noise sigma). Her bonus is paid if it reaches the target (an S-shaped
/// expected bonus); her review counts the usage linearly up to the target (career concerns, an
/// order enforced from above), in expectation over the noise (expected_capped_share); pressure
/// costs her (cost / 2) p^2 (attention, her staff's goodwill).
inline double manager_utility(double p, double bonus, double review, double usage, double target, double sigma, double response,
                              double cost) noexcept {
  const double expected = usage + response * target * p;
  const double z = (expected - target) / sigma;
  return bonus * normal_cdf(z) + review * expected_capped_share(expected, target, sigma) - 0.5 * cost * p * p;
}

/// The pressure a manager chooses: the p in [0, p_max] that maximises manager_utility (the
/// expected bonus is S-shaped in p, so the utility can have two local maxima: a grid finds the
/// best region, a golden-section search refines it). No stake (or no target): no pressure.
inline double manager_pressure(double bonus, double review, double usage, double target, double sigma, double response, double cost,
                               double p_max) noexcept {
  if (!(bonus > 0.0 || review > 0.0) || !(target > 0.0) || !(sigma > 0.0) || !(p_max > 0.0)) return 0.0;
  auto u = [&](double p) { return manager_utility(p, bonus, review, usage, target, sigma, response, cost); };
  constexpr int kGrid = 64;
  const double step = p_max / kGrid;
  int best = 0;
  double best_u = u(0.0);
  for (int k = 1; k <= kGrid; ++k) {
    const double uk = u(k * step);
    if (uk > best_u) {
      best_u = uk;
      best = k;
    }
  }
  double lo = std::max(0.0, (best - 1) * step);
  double hi = std::min(p_max, (best + 1) * step);
  constexpr double kInvPhi = 0.6180339887498949;
  for (int it = 0; it < 40; ++it) {
    const double a = hi - kInvPhi * (hi - lo);
    const double b = lo + kInvPhi * (hi - lo);
    if (u(a) < u(b))
      lo = a;
    else
      hi = b;
  }
  const double p = 0.5 * (lo + hi);
  return u(p) >= best_u ? p : best * step;
}

/// The pressure a manager without a KPI of her own passes down (docs/model.md 7.1): the pressure
/// her own manager holds on her makes her unit's usage worth `review` USD a working day to her,
/// counted linearly up to the target and in expectation over the noise sigma (how her manager
/// judges her), and pressure costs her (cost / 2) p^2: manager_utility with no bonus. Its
/// maximum solves the first-order condition
///   review · response · Phi((target − usage − response · target · p) / sigma) = cost · p,
/// whose left side falls and right side rises in p: one root, found by Newton steps kept inside a
/// shrinking bracket [0, min(p_max, review · response / cost)] (to a relative 1e-10), from `guess` when it lies
/// inside the bracket. She passes on most while
/// her unit is far below the target, less as it nears it, little once it is well past it; no
/// pressure from above, none.
inline double passed_pressure(double review, double usage, double target, double sigma, double response, double cost, double p_max,
                              double guess = -1.0) noexcept {
  if (!(review > 0.0) || !(target > 0.0) || !(response > 0.0) || !(p_max > 0.0) || !(sigma > 0.0)) return 0.0;
  const double gain = review * response;  // USD a working day per unit of pressure, at most
  double lo = 0.0;
  double hi = cost > 0.0 ? std::min(p_max, gain / cost) : p_max;
  const double slope = response * target / sigma;
  const double z0 = (target - usage) / sigma;
  // h(p) = gain · Phi(z0 − slope · p) − cost · p, falling in p, h(0) > 0; one exponential gives both
  // Phi (normal_cdf's formula) and its density.
  auto h = [&](double p, double& dh) {
    const double z = z0 - slope * p;
    const double x = std::fabs(z) * 0.7071067811865476;
    const double t = 1.0 / (1.0 + 0.3275911 * x);
    const double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const double e = vmath::exp(-x * x);  // exp(−z²/2)
    const double tail = 0.5 * poly * e;
    dh = -gain * 0.3989422804014327 * e * slope - cost;
    return gain * (z >= 0.0 ? 1.0 - tail : tail) - cost * p;
  };
  double dh = 0.0;
  if (h(hi, dh) >= 0.0) return hi;  // the cap binds (or pressure is free)
  // Start from the guess (her choice of the day before) when it lies inside the bracket.
  double p = guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
  for (int it = 0; it < 60; ++it) {
    const double v = h(p, dh);
    if (v > 0.0)
      lo = p;
    else
      hi = p;
    const double next = p - v / dh;
    if (next > lo && next < hi) {
      const bool done = std::fabs(next - p) <= 1e-10 * (1.0 + p);  // Newton has converged
      p = next;
      if (done) break;
    } else {
      p = 0.5 * (lo + hi);
    }
    if (hi - lo <= 1e-10 * (1.0 + hi)) break;
  }
  return p;
}

}  // namespace kpisim::rules

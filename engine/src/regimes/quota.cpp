// Regime `quota`: a bonus when measured AI usage passes a threshold.
//
// level: individual - each person earns `bonus_usd` per period when their measured tokens per
//   working day reach `target_tokens_per_day`. Their marginal incentive per token is the bonus
//   times the density of reaching the target from their last published attainment, with
//   perceived noise `noise_cv` times the larger of the target and a typical period's usage
//   (threshold gaming: people far from the target do not respond). On day 0, and for a new hire
//   until the next period end, people expect a typical period's usage; before the first period
//   ends they extrapolate their usage so far.
// level: manager - a leadership KPI: the managers of units down to depth `manager_depth` (1 =
//   division heads) are judged on their unit's average measured tokens per person. Each chooses
//   the pressure on her unit that maximises her expected bonus less the cost of pressure
//   (rules::manager_pressure: a bigger bonus means more pressure; no bonus, none). Every manager
//   below them chooses the pressure she passes on from the pressure her own manager holds on her
//   and her view of her unit's usage (rules::passed_pressure: none once the unit is at the
//   target). Staff feel their team's pressure as an implicit incentive to be seen using AI and as
//   a hindrance demand.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kpisim/core/parallel.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/rules.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

enum class QuotaLevel : std::uint8_t { individual, manager };

struct QuotaParams {
  QuotaLevel level = QuotaLevel::individual;
  Cadence cadence = Cadence::quarterly;
  double target_tokens_per_day = 100000.0;
  double bonus_usd = 2000.0;
  double noise_cv = 0.3;
  int manager_depth = 1;
  double review_usd = 0.0;
  double monitoring_days = 10.0;

  template <class V>
  void visit(V& v) {
    v.choice("level", level,
             std::array{params::Choice<QuotaLevel>{"individual", QuotaLevel::individual},
                        params::Choice<QuotaLevel>{"manager", QuotaLevel::manager}},
             {"individual: each person's own usage; manager: a leadership KPI on the unit's average usage (managers pass pressure down)",
              "NUS (deans and heads), KPMG (senior managers' bonuses)"});
    v.choice("cadence", cadence, kCadenceChoices, {"bonus period", "assumption (quarterly bonuses)"});
    v.num("target_tokens_per_day", target_tokens_per_day, {"token/day", 0, 1e13, "usage target per person per working day", "assumption"});
    v.num("bonus_usd", bonus_usd,
          {"USD", 0, 1e8, "bonus per period when the target is met (to the person, or to the manager)", "assumption"});
    v.num("noise_cv", noise_cv,
          {"1", 0.001, 10,
           "perceived uncertainty of one's own final usage, relative to the larger of the target and a typical period's usage "
           "(measurement.kpi_reference_tokens a working day)",
           "assumption"});
    v.integer("manager_depth", manager_depth,
              {"level", 1, 100, "manager level: units at depth 1..manager_depth carry the KPI (1: division heads)", ""});
    v.num("review_usd", review_usd,
          {"USD", 0, 1e8,
           "level manager: the felt value per period of the unit's usage counted linearly up to the target in the manager's review "
           "(career concerns; an order enforced from above), besides the bonus",
           "assumption"});
    v.num("monitoring_days", monitoring_days,
          {"day", 1, 1000, "time constant of the manager's running view of the unit's usage", "assumption"});
  }
};

// The units below the root, level by level (depth 1 first), each level in storage order.
std::vector<std::vector<std::size_t>> units_by_depth(const ModelSpec& spec) {
  std::vector<std::vector<std::size_t>> levels;
  for (std::size_t u = 0; u < spec.units.size(); ++u) {
    const int d = spec.units[u].depth;
    if (d < 1) continue;
    if (levels.size() < static_cast<std::size_t>(d)) levels.resize(static_cast<std::size_t>(d));
    levels[static_cast<std::size_t>(d) - 1].push_back(u);
  }
  return levels;
}

class QuotaRegime final : public Regime {
 public:
  QuotaRegime(const QuotaParams& p, const ModelSpec& spec, const Scope& /*scope*/)
      : p_(p), spec_(spec), window_(spec.employees, 0.0), slope_(spec.employees, 0.0F), unit_usage_(spec.units.size(), 0.0) {
    // On the first day people expect a typical period's usage (measurement.kpi_reference_tokens a day).
    publish();
    expect_typical();
  }

  void apply(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    if (p_.level == QuotaLevel::individual) {
      // The bonus spread over the period bounds what extra usage can be worth (scripting.hpp), and
      // is the stake of the contest a script could change: reaching the target (docs/model.md 7.5).
      const double days = cadence_days(p_.cadence);
      const double cap = weight * p_.bonus_usd / days;
      const double t = p_.target_tokens_per_day * workdays_per_period(p_.cadence);
      const double noise = sigma();
      const double per_script = days * ctx.spec.scenario.behaviour.script_tokens_per_day;
      for (const auto* c : {&w.inc_usage, &w.inc_usage_cap, &w.contest_stake, &w.contest_gap, &w.contest_sigma}) w.wrote(*c);
      // Person by person, in parallel blocks (each person's columns only: the same bits at any thread
      // count). Local pointers and selects in place of the branch let the loop vectorise (the same
      // operations, so the same bits; an entry not taken is rewritten with its own value).
      float* const inc_usage = w.inc_usage.data();
      float* const inc_usage_cap = w.inc_usage_cap.data();
      float* const contest_stake = w.contest_stake.data();
      float* const contest_gap = w.contest_gap.data();
      float* const contest_sigma = w.contest_sigma.data();
      const float* const script_scale = w.script_scale.data();
      const float* const slope = slope_.data();
      const double* const attainment = attainment_.data();
      const float* const in_scope = scope().person.data();  // 1 in the policy's scope, 0 outside (7.15.8)
      const auto cap_f = static_cast<float>(cap);
      for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
        for (std::size_t i = lo; i < hi; ++i) {
          const float in = in_scope[i];
          inc_usage[i] += static_cast<float>(weight * slope[i]) * in;
          inc_usage_cap[i] += cap_f * in;
          const double full = per_script * script_scale[i];
          const float stake = contest_stake[i], gap = contest_gap[i], sigma = contest_sigma[i];
          const auto gap_here = static_cast<float>((t - attainment[i]) / full);
          const bool larger =
              (static_cast<int>(t > 0) & static_cast<int>(full > 0) & static_cast<int>(cap > stake) & static_cast<int>(in > 0.0F)) != 0;
          contest_stake[i] = larger ? cap_f : stake;
          contest_gap[i] = larger ? gap_here : gap;
          contest_sigma[i] = larger ? static_cast<float>(noise / full) : sigma;
        }
      });
      return;
    }
    // Managers revise the pressure they hold once a week, on the plan day (day 0 and every Monday,
    // as people plan their week: docs/model.md 7.1), or when the regime's weight changes, from their
    // views of their units' usage as of the previous working day (on day 0 a view of 0) and the
    // pressure their own manager holds on them: level by level from the division heads down, so
    // every manager chooses after her own manager; each level's managers in parallel blocks (each
    // unit's own entries: the same bits at any thread count).
    if (ctx.day % 7 == 0 || weight != chosen_weight_) {
      chosen_weight_ = weight;
      // (Ranges of 64 managers, not the engine's blocks of 2,048: each solves a small problem, and a
      // level of a few thousand would fall into two uneven blocks. Each writes her own entry only,
      // so the range does not change the bits.)
      for (const std::vector<std::size_t>& level : by_depth_) {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, level.size(), 64), [&](const tbb::blocked_range<std::size_t>& r) {
          for (std::size_t j = r.begin(); j < r.end(); ++j) {
            const std::size_t u = level[j];
            const Unit& unit = spec_.units[u];
            const double above = unit.depth > 1 ? chosen_[static_cast<std::size_t>(unit.parent)] : 0.0;
            // Outside the policy's scope no manager holds pressure from it (7.15.8).
            chosen_[u] = scope().has_unit(u) ? choose(u, weight, above, chosen_[u]) : 0.0;
          }
        });
      }
    }
    for (const std::vector<std::size_t>& level : by_depth_)
      for (const std::size_t u : level) w.unit_pressure[u] += static_cast<float>(chosen_[u]);
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    if (p_.level == QuotaLevel::individual) {
      // Everyone's window gains the day's usage in loops that vectorise; then the few new hires
      // (hired at the end of today) are reset (the same values as skipping their addition). Before
      // the first period ends people gauge their attainment from their usage so far, extrapolated
      // to the whole period, on working days: in the same blocks, while the windows are in cache.
      ++days_in_window_;
      const bool gauge = is_workday(ctx.day) && !is_period_end(ctx.day, p_.cadence) && !published_;
      const double extrapolate = static_cast<double>(cadence_days(p_.cadence)) / days_in_window_;
      double* const window = window_.data();
      double* const own = own_padding_.data();
      const float* const usage = w.measured_tokens.data();
      const float* const padding = w.performative_tokens.data();
      for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
        for (std::size_t i = lo; i < hi; ++i) window[i] += usage[i];
#pragma omp simd
        for (std::size_t i = lo; i < hi; ++i) own[i] += padding[i];
        hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) {  // a new person expects typical usage
          window[i] = 0.0;
          own[i] = 0.0;
          slope_[i] = static_cast<float>(fresh_slope_);
          attainment_[i] = reference_tokens_ * workdays_per_period(p_.cadence);
          fresh_[i] = 1;
        });
        if (gauge) slopes_in(extrapolate, lo, hi);
      });
      // A daily quota is judged on working days; days off roll into the next one.
      if (p_.cadence == Cadence::daily && !is_workday(ctx.day)) return;
      if (!is_period_end(ctx.day, p_.cadence)) return;
      const double target = p_.target_tokens_per_day * workdays_per_period(p_.cadence);
      for (std::size_t i = 0; i < w.n; ++i) {
        if (window_[i] >= target && scope().has_person(i)) {
          w.reward_usd[i] += static_cast<float>(weight * p_.bonus_usd);
          w.rewards_paid_today += weight * p_.bonus_usd;
        }
      }
      publish();
      published_ = true;
      days_in_window_ = 0;
      return;
    }
    // Managers watch a running average of their unit's measured usage per person and working
    // day; tokens of days off (scripts) count towards the next working day.
    // Everyone's day into her pending usage in parallel blocks (each person's own entry, a loop that
    // vectorises); on a working day the running total of all pending usage in slot order (one
    // chain of additions, the only serial part), kept at each team's first slot: every unit is a
    // run of whole teams, and its usage is the difference of the totals at its ends.
    double* const pending = pending_.data();
    const float* const measured = w.measured_tokens.data();
    for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) pending[i] += measured[i];
    });
    if (is_workday(ctx.day)) {
      const double a = 1.0 / p_.monitoring_days;
      const std::size_t teams = spec_.team_units.size();
      double total = 0.0;
      for (std::size_t t = 0; t < teams; ++t) {
        const Unit& team = spec_.units[spec_.team_units[t]];
        total_at_team_[t] = total;
        for (std::size_t i = team.first; i < team.end; ++i) {
          total += pending[i];
          pending[i] = 0.0;
        }
      }
      total_at_team_[teams] = total;
      // The running total at slot i: at the first slot of its team (i = n: after the last team).
      const auto total_at = [&](std::uint32_t i) { return total_at_team_[i < w.n ? spec_.team_of[i] : teams]; };
      for (std::size_t u = 0; u < spec_.units.size(); ++u) {
        const Unit& unit = spec_.units[u];
        if (unit.depth < 1) continue;
        const double per_person = (total_at(unit.end) - total_at(unit.first)) / std::max(1U, unit.end - unit.first);
        unit_usage_[u] += a * (per_person - unit_usage_[u]);
      }
    }
    if (!is_period_end(ctx.day, p_.cadence)) return;
    // Each manager is paid once per period, for the highest unit they head that met the target.
    std::fill(paid_.begin(), paid_.end(), 0);
    for (std::size_t u = spec_.units.size(); u-- > 0;) {
      const Unit& unit = spec_.units[u];
      if (unit.depth < 1 || unit.depth > p_.manager_depth || unit_usage_[u] < p_.target_tokens_per_day || !scope().has_unit(u)) continue;
      if (paid_[unit.manager] != 0) continue;
      paid_[unit.manager] = 1;
      w.reward_usd[unit.manager] += static_cast<float>(weight * p_.bonus_usd);
      w.rewards_paid_today += weight * p_.bonus_usd;
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    return {1.0, 0.0};
  }

 private:
  // The pressure the manager of unit u chooses (docs/model.md 7.1, 7.15.3), from her view of the
  // unit's usage: with the KPI, her bonus and review (scaled by the regime's weight in a hybrid) and
  // what the pressure `above` her own manager holds on her makes the unit's usage worth to her,
  // against the cost of pressure; without it, only the latter (the pressure she passes down).
  // `before` is her choice of the day before (where the pass-down solver starts).
  [[nodiscard]] double choose(std::size_t u, double weight, double above, double before) const {
    const Managers& m = spec_.scenario.managers;
    const double t = p_.target_tokens_per_day;
    const double from_above = m.pass_down_usd * above;
    const double sigma = p_.noise_cv * std::max(t, reference_tokens_);
    if (spec_.units[u].depth > p_.manager_depth)
      return rules::passed_pressure(from_above, unit_usage_[u], t, sigma, m.pressure_response, m.pressure_cost_usd, m.max_pressure, before);
    const double days = workdays_per_period(p_.cadence);  // stakes per working day, like the cost
    return rules::manager_pressure(weight * p_.bonus_usd / days, weight * p_.review_usd / days + from_above, unit_usage_[u], t, sigma,
                                   m.pressure_response, m.pressure_cost_usd, m.max_pressure);
  }

  // Perceived uncertainty of one's final usage: noise_cv x the target, but never below noise_cv x
  // a typical period's usage (a tiny target is not a knife edge).
  [[nodiscard]] double sigma() const {
    const double t = p_.target_tokens_per_day * workdays_per_period(p_.cadence);
    return p_.noise_cv * std::max(t, reference_tokens_ * workdays_per_period(p_.cadence));
  }

  // Marginal incentive per token: bonus x density of reaching the target from the (scaled) window.
  void slopes_from(double extrapolate) {
    for_blocks(window_.size(), [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) { slopes_in(extrapolate, lo, hi); });
  }

  // slopes_from for the people [lo, hi).
  void slopes_in(double extrapolate, std::size_t lo, std::size_t hi) {
    const double t = p_.target_tokens_per_day * workdays_per_period(p_.cadence);
    const double s = sigma();
    // Everyone in a loop that vectorises (each person's own entries), with the engine's exponential
    // where the scalar formula has std::exp: its float is the formula's whenever vmath::sure_float
    // can tell (all but about one person in 30,000 a day), and those few are computed again with
    // std::exp. (The formula with std::exp in the loop cost a millisecond a day at 100,000 people.)
    const double bonus = p_.bonus_usd;
    const bool keep_fresh = extrapolate != 1.0;  // a new hire keeps the typical expectation
    const bool no_target = t <= 0.0;
    const double* const window = window_.data();
    const double* const padding = own_padding_.data();
    const std::uint8_t* const fresh = fresh_.data();
    double* const attainment = attainment_.data();
    float* const slope = slope_.data();
    std::array<std::uint8_t, kBlock> again;
#pragma omp simd
    for (std::size_t i = lo; i < hi; ++i) {
      // (Bitwise, not &&: a condition on a loop invariant kept the loop scalar.)
      const bool keep = (static_cast<int>(keep_fresh) & static_cast<int>(fresh[i] != 0)) != 0;
      // Attainment without her own padding (she knows it): judging more usage by the attainment her
      // own script produced would make her stop once it carries her past the target and start again
      // when she falls short (a period-to-period cycle).
      const double unpadded = window[i] - padding[i];
      const double own = 0.0 < unpadded ? unpadded : 0.0;  // std::max(0.0, unpadded)
      const double z = (extrapolate * own - t) / s;
      const double arg = -0.5 * z * z;  // normal_pdf's
      float f = 0.0F;
      const bool sure = vmath::sure_float(bonus * (0.3989422804014327 * vmath::exp(arg)) / s, f) && arg >= -700.0;
      attainment[i] = keep ? attainment[i] : extrapolate * own;
      slope[i] = keep ? slope[i] : (no_target ? 0.0F : f);
      again[i - lo] = static_cast<std::uint8_t>(static_cast<int>(!keep) & static_cast<int>(!no_target) & static_cast<int>(!sure));
    }
    for (std::size_t i = lo; i < hi; ++i)
      if (again[i - lo] != 0) slope[i] = static_cast<float>(bonus * normal_pdf((attainment[i] - t) / s) / s);
  }

  // Publishes attainments at a period end and opens a new window.
  void publish() {
    slopes_from(1.0);
    std::fill(window_.begin(), window_.end(), 0.0);
    std::fill(own_padding_.begin(), own_padding_.end(), 0.0);
    std::fill(fresh_.begin(), fresh_.end(), 0);
  }

  // Everyone (and every new hire, until their first publication) expects a typical period's usage.
  void expect_typical() {
    const double t = p_.target_tokens_per_day * workdays_per_period(p_.cadence);
    const double typical = reference_tokens_ * workdays_per_period(p_.cadence);
    fresh_slope_ = t <= 0.0 ? 0.0 : p_.bonus_usd * normal_pdf((typical - t) / sigma()) / sigma();
    std::fill(slope_.begin(), slope_.end(), static_cast<float>(fresh_slope_));
    std::fill(attainment_.begin(), attainment_.end(), typical);
  }

  QuotaParams p_;
  const ModelSpec& spec_;
  std::vector<double> window_;
  std::vector<double> own_padding_ = std::vector<double>(spec_.employees, 0.0);  ///< each person's own padding in the window
  std::vector<double> attainment_ = std::vector<double>(spec_.employees, 0.0);  ///< the attainment each person expects, without her padding
  std::vector<float> slope_;
  std::vector<double> unit_usage_;
  std::vector<double> chosen_ = std::vector<double>(spec_.units.size(), 0.0);  ///< the pressure each manager chose this week
  double chosen_weight_ = -1.0;                                             ///< the regime's weight when they chose it (-1: not yet chosen)
  std::vector<std::vector<std::size_t>> by_depth_ = units_by_depth(spec_);  ///< units at depth 1, 2, ... in storage order
  std::vector<double> total_at_team_ =
      std::vector<double>(spec_.team_units.size() + 1, 0.0);  ///< running usage total at each team's first slot
  std::vector<double> pending_ = std::vector<double>(spec_.employees, 0.0);
  HireTracker hires_ = HireTracker(spec_.employees);
  double fresh_slope_ = 0.0;  ///< incentive of someone who expects a typical period's usage
  std::vector<std::uint8_t> fresh_ = std::vector<std::uint8_t>(spec_.employees, 0);  ///< hired this period
  double reference_tokens_ = spec_.scenario.measurement.kpi_reference_tokens;
  int days_in_window_ = 0;
  bool published_ = false;
  std::vector<std::uint8_t> paid_ = std::vector<std::uint8_t>(spec_.employees, 0);
};

}  // namespace

RegimeInfo quota_regime() {
  return {"quota",
          "A bonus-linked usage quota: a bonus when measured tokens per working day reach a target, either for each person "
          "(`level: individual`) or as a leadership KPI on a unit's average, which managers turn into pressure that each manager "
          "below chooses how far to pass on to her staff (`level: manager`).",
          &make_config<QuotaParams, QuotaRegime>};
}

}  // namespace kpisim

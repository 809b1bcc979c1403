// Regime `usage_cap`: leadership asks staff to stop using AI for its own sake (docs/model.md
// 7.15.10). With `tokens_per_day: 0` the plea goes to everyone; with a ceiling, to those whose
// dashboard showed more measured tokens per calendar day than the ceiling over the last period.
// A plea is not a fine: it is a felt cost on performative use (per hour of padding or gaming, per
// day of running a script), heard with the credibility leadership has left: its own (`credibility`)
// times what is left of the listener's engagement with the organisation's aims, 1 - cynicism. A
// plea after a usage KPI that bred cynicism is heard less than the same plea without one.
// With `hard: true` the ceiling is also the platform's: once a person's metered tokens in the
// current period reach the period's allowance (tokens_per_day x its calendar days in force), she
// loses access to the assistants (World::no_seat, as without a licence) until the next period.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

struct UsageCapParams {
  double tokens_per_day = 0.0;
  double plea_usd_per_hour = 20.0;
  double plea_usd_per_script_day = 60.0;
  double credibility = 1.0;
  Cadence cadence = Cadence::weekly;
  int start_day = 0;
  bool hard = false;

  template <class V>
  void visit(V& v) {
    v.num("tokens_per_day", tokens_per_day,
          {"token/day", 0, 1e12,
           "the ceiling: the plea goes to those whose measured tokens per calendar day over the last period exceeded it (0: to everyone)",
           "assumption"});
    v.num("plea_usd_per_hour", plea_usd_per_hour,
          {"USD/h", 0, 1e6,
           "felt cost of an hour of performative use (padding or gaming) against leadership's plea, when the plea is fully credible",
           "assumption (the size of behaviour.integrity_cost_usd_per_hour)"});
    v.num("plea_usd_per_script_day", plea_usd_per_script_day,
          {"USD/day", 0, 1e6, "felt cost of a day of running a script against the plea, when fully credible",
           "assumption (the size of behaviour.script_integrity_cost_usd)"});
    v.num("credibility", credibility,
          {"1", 0, 1,
           "the credibility leadership has left (each listener also discounts the plea by her cynicism: she hears credibility x (1 - "
           "cynicism))",
           "assumption"});
    v.choice("cadence", cadence, kCadenceChoices,
             {"how often leadership reads the dashboard to see who is above the ceiling", "assumption"});
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day of the plea", "assumption"});
    v.flag("hard", hard,
           {"the platform also refuses tokens above the ceiling: once a person's tokens in the current period (every token, as the "
            "platform meters them) reach tokens_per_day x the period's calendar days in force, she has no access to the assistants "
            "until the next period",
            "assumption"});
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (!hard) return;
    if (!(tokens_per_day > 0))
      diag.error(line, col, fmt::format("{}.hard: a hard ceiling needs `tokens_per_day` above 0 (the allowance a day)", path));
    if (cadence == Cadence::daily)
      diag.error(line, col,
                 fmt::format("{}.cadence: a hard ceiling needs a weekly or longer period (the platform's refusal takes effect from the "
                             "next day); use weekly or longer",
                             path));
  }
};

class UsageCapRegime final : public Regime {
 public:
  UsageCapRegime(const UsageCapParams& p, const ModelSpec& spec, const Scope& /*scope*/)
      : p_(p), window_(spec.employees, 0.0), addressed_(spec.employees, p.tokens_per_day > 0 ? 0.0F : 1.0F), hires_(spec.employees) {
    if (p_.hard) {
      used_.assign(spec.employees, 0.0);
      refused_.assign(spec.employees, 0);
    }
  }

  void apply(RegimeContext& ctx, double weight) override {
    if (ctx.day < p_.start_day) return;
    World& w = ctx.world;
    // The platform's refusal is there or not, whatever the weight a hybrid gives the policy (a
    // weight of 0 is no policy). It only ever removes access: another policy's licences stand.
    if (p_.hard && weight > 0 && any_refused_) {
      w.wrote(w.no_seat);
      float* const no_seat = w.no_seat.data();
      const float* const in_scope = scope().person.data();
      for (std::size_t i = 0; i < w.n; ++i)
        if (refused_[i] != 0) no_seat[i] = std::max(no_seat[i], in_scope[i]);
    }
    const double per_hour = weight * p_.plea_usd_per_hour * p_.credibility;
    const double per_script_day = weight * p_.plea_usd_per_script_day * p_.credibility;
    if (!(per_hour > 0) && !(per_script_day > 0)) return;
    w.wrote(w.inc_padding_penalty);
    w.wrote(w.inc_script_penalty);
    // Person by person in parallel blocks (each person's entries only: the same bits at any thread
    // count). Heard = addressed x in scope x (1 - her cynicism).
    float* const padding_penalty = w.inc_padding_penalty.data();
    float* const script_penalty = w.inc_script_penalty.data();
    const float* const cynicism = w.cynicism.data();
    const float* const addressed = addressed_.data();
    const float* const in_scope = scope().person.data();
    for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) {
        const double heard = static_cast<double>(addressed[i] * in_scope[i]) * (1.0 - static_cast<double>(cynicism[i]));
        padding_penalty[i] += static_cast<float>(per_hour * heard);
        script_penalty[i] += static_cast<float>(per_script_day * heard);
      }
    });
  }

  void end_of_day(RegimeContext& ctx, double /*weight*/) override {
    if (ctx.day < p_.start_day) return;
    World& w = ctx.world;
    const bool ceiling = p_.tokens_per_day > 0;
    // A hard ceiling's allowance for the period of today (periods are aligned to day 0; one begun
    // before the start day counts only its days since).
    const int length = cadence_days(p_.cadence);
    const int period_start = ctx.day / length * length;
    const double allowance = p_.tokens_per_day * static_cast<double>(period_start + length - std::max(p_.start_day, period_start));
    // The dashboard: everyone's measured tokens into the window; a new hire has not been seen on it
    // (with a ceiling she is not addressed until leadership's next reading; without one, the plea
    // reaches everyone). A hard ceiling's meter: every token the platform served the people in
    // scope into their count for the period; whoever has reached the allowance is refused from
    // tomorrow. A new hire starts with a fresh allowance (the leaver's tokens of the day of the quit
    // go with her). Each person's entries only: the same bits at any thread count.
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      double* const window = window_.data();
      const float* const measured = w.measured_tokens.data();
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) window[i] += measured[i];
      if (p_.hard) {
        double* const used = used_.data();
        const float* const metered = w.metered_tokens.data();
        const float* const in_scope = scope().person.data();
#pragma omp simd
        for (std::size_t i = lo; i < hi; ++i) used[i] += static_cast<double>(metered[i] * in_scope[i]);
      }
      hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) {
        window_[i] = 0.0;
        addressed_[i] = ceiling ? 0.0F : 1.0F;
        if (p_.hard) used_[i] = 0.0;
      });
      if (p_.hard)
        for (std::size_t i = lo; i < hi; ++i) refused_[i] = used_[i] >= allowance ? 1 : 0;
    });
    if (p_.hard) any_refused_ = std::any_of(refused_.begin(), refused_.end(), [](std::uint8_t r) { return r != 0; });
    if (!is_period_end(ctx.day, p_.cadence)) return;
    // Leadership reads the period's dashboard: the plea goes to those above the ceiling per
    // calendar day (a period begun before the plea started counts only its days since).
    const int first = std::max(p_.start_day, ctx.day + 1 - cadence_days(p_.cadence));
    const double days = static_cast<double>(ctx.day + 1 - first);
    const double limit = p_.tokens_per_day * days;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (ceiling) addressed_[i] = window_[i] > limit ? 1.0F : 0.0F;
      window_[i] = 0.0;
    }
    if (p_.hard) {  // a new period: a new allowance for everyone
      std::fill(used_.begin(), used_.end(), 0.0);
      std::fill(refused_.begin(), refused_.end(), std::uint8_t{0});
      any_refused_ = false;
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    return {};
  }

 private:
  UsageCapParams p_;
  std::vector<double> window_;    ///< measured tokens since the last reading
  std::vector<float> addressed_;  ///< 1: the plea is addressed to the person (above the ceiling at the last reading)
  HireTracker hires_;
  std::vector<double> used_;           ///< a hard ceiling: metered tokens this period
  std::vector<std::uint8_t> refused_;  ///< a hard ceiling: the allowance is spent, no access until the next period
  bool any_refused_ = false;
};

}  // namespace

RegimeInfo usage_cap_regime() {
  return {"usage_cap",
          "Leadership pleads with staff to stop using AI for its own sake: a felt cost on performative use (padding, gaming, "
          "scripts), addressed to everyone or, with `tokens_per_day`, to those the dashboard shows above that ceiling, and heard "
          "with the credibility leadership has left (`credibility` x (1 - the listener's cynicism)). No KPI, no money.",
          &make_config<UsageCapParams, UsageCapRegime>};
}

}  // namespace kpisim

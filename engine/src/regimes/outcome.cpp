// Regime `outcome`: reward measured value added (time to completion, quality), not usage.
//
// Each person earns `bonus_share` of their measured outcome per period (a linear incentive,
// Holmstrom & Milgrom). The measured outcome is true value plus noise plus whatever performative
// gaming adds (measurement.gaming_usd_per_hour): partly gameable, as Campbell's law predicts.
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

struct OutcomeParams {
  Cadence cadence = Cadence::quarterly;
  double bonus_share = 0.1;

  template <class V>
  void visit(V& v) {
    v.choice("cadence", cadence, kCadenceChoices, {"bonus period", "assumption (quarterly bonuses)"});
    v.num("bonus_share", bonus_share,
          {"USD/USD", 0, 10, "bonus per USD of measured value (the slope b of a linear contract)", "Holmstrom & Milgrom 1987; Baker 2002"});
  }
};

class OutcomeRegime final : public Regime {
 public:
  OutcomeRegime(const OutcomeParams& p, const ModelSpec& spec, const Scope& /*scope*/)
      : p_(p), window_(spec.employees, 0.0), hires_(spec.employees) {}

  void apply(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    const auto b = static_cast<float>(weight * p_.bonus_share);
    w.wrote(w.inc_outcome);
    // In parallel blocks (each person's entry only: the same bits at any thread count).
    // Outside the scope the bonus is 0 (x 1 inside: the same bits as without a scope).
    float* const inc = w.inc_outcome.data();
    const float* const in_scope = scope().person.data();
    for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) inc[i] += b * in_scope[i];
    });
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    // Everyone's day into the window (a loop that vectorises), then a new hire's window is reset:
    // the same state as skipping her. In parallel blocks (each person's entry only).
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      double* const window = window_.data();
      const float* const measured = w.measured_outcome.data();
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) window[i] += measured[i];
      hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) { window_[i] = 0.0; });
    });
    if (!is_period_end(ctx.day, p_.cadence)) return;
    for (std::size_t i = 0; i < w.n; ++i) {
      const double pay = scope().has_person(i) ? weight * p_.bonus_share * std::max(0.0, window_[i]) : 0.0;
      w.reward_usd[i] += static_cast<float>(pay);
      w.rewards_paid_today += pay;
      window_[i] = 0.0;
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    return {0.0, 1.0};
  }

 private:
  OutcomeParams p_;
  std::vector<double> window_;
  HireTracker hires_;
};

}  // namespace

RegimeInfo outcome_regime() {
  return {"outcome",
          "Outcome metrics: a linear bonus on measured value added (time to completion, quality). The measure is noisy and "
          "partly gameable (measurement.outcome_noise_cv, measurement.gaming_usd_per_hour).",
          &make_config<OutcomeParams, OutcomeRegime>};
}

}  // namespace kpisim

// Regime `compute_budget`: a token budget in USD per period for the policy's scope, split among
// its divisions by leadership and drawn down by each division's token bill, the invoice: every
// token its people used, at the price of the tool that served it (docs/model.md 7.15.12, 7.18).
// When a division's share is spent, its people lose access to the AI assistants (World::no_seat,
// as without a licence, 7.15.11) until the next period; they re-plan their work by hand the next
// working day. Padding and scripts are billed like any use, so performative use spends the
// compute that real work would have used.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"
#include "shares.hpp"

namespace kpisim {
namespace {

struct BudgetParams {
  double usd_per_period = 10000.0;
  shares::Rule allocation = shares::Rule::believed_value;
  Cadence cadence = Cadence::monthly;
  int start_day = 0;

  template <class V>
  void visit(V& v) {
    v.num(
        "usd_per_period", usd_per_period,
        {"USD", 0, 1e12, "the token budget of the policy's scope per period, at the tokens' prices (tools.*.usd_per_mtok)", "assumption"});
    v.choice("allocation", allocation, shares::kRuleChoices,
             {"how leadership splits the budget among divisions each period: even (by headcount), believed_value (by headcount x what "
              "each division's head believes AI adds, 7.17) or usage (by what each spent the period before; the first period by "
              "headcount)",
              "assumption"});
    v.choice("cadence", cadence, kCadenceChoices, {"the budget period (weekly or longer)", "assumption (monthly cloud billing)"});
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day of the budget (AI is unlimited before)", "assumption"});
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (cadence == Cadence::daily)
      diag.error(line, col,
                 fmt::format("{}.cadence: a daily budget is not supported (people plan their AI use weekly); use weekly or longer", path));
  }
};

class ComputeBudgetRegime final : public Regime {
 public:
  ComputeBudgetRegime(const BudgetParams& p, const ModelSpec& spec, const Scope& scope) : p_(p) {
    for (std::size_t u = 0; u < spec.units.size(); ++u) {
      if (spec.units[u].depth != 1 || !scope.has_unit(u)) continue;
      const Unit& unit = spec.units[u];
      heads_.push_back(u);
      std::size_t people = 0;
      for (std::uint32_t i = unit.first; i < unit.end; ++i) people += scope.has_person(i) ? 1 : 0;
      headcount_.push_back(people);
    }
    left_.assign(heads_.size(), 0.0);
    spent_.assign(heads_.size(), 0.0);
    cut_.assign(heads_.size(), 0);
  }

  void apply(RegimeContext& ctx, double weight) override {
    // A budget is there or not, whatever the weight a hybrid gives it; a weight of 0 is no policy.
    if (ctx.day < p_.start_day || !(weight > 0)) return;
    World& w = ctx.world;
    // A new period (the first day in force, or the morning after a period's end: the division
    // heads' beliefs are final then).
    if (!started_ || due_) {
      allocate(w);
      started_ = true;
      due_ = false;
    }
    if (std::none_of(cut_.begin(), cut_.end(), [](std::uint8_t c) { return c != 0; })) return;  // access for everyone
    w.wrote(w.no_seat);
    const ModelSpec& spec = ctx.spec;
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      if (cut_[h] == 0) continue;
      const Unit& unit = spec.units[heads_[h]];
      for (std::uint32_t i = unit.first; i < unit.end; ++i) w.no_seat[i] = std::max(w.no_seat[i], scope().person[i]);
    }
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    if (ctx.day < p_.start_day || !(weight > 0) || !started_) return;
    const World& w = ctx.world;
    const ModelSpec& spec = ctx.spec;
    // Today's bill per division, the invoice (in slot order: the same sum on any thread count).
    // Access is cut from tomorrow once the division's share is spent.
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      const Unit& unit = spec.units[heads_[h]];
      double bill = 0.0;
      for (std::uint32_t i = unit.first; i < unit.end; ++i) bill += scope().person[i] * static_cast<double>(w.metered_usd[i]);
      spent_[h] += bill;
      left_[h] -= bill;
      if (!(left_[h] > 0)) cut_[h] = 1;
    }
    if (is_period_end(ctx.day, p_.cadence)) due_ = true;
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override { return {}; }

 private:
  void allocate(const World& w) {
    const std::size_t g = heads_.size();
    std::vector<double> weight(g, 0.0);
    double wsum = 0.0;
    for (std::size_t h = 0; h < g; ++h) {
      switch (p_.allocation) {
        case shares::Rule::even:
          weight[h] = static_cast<double>(headcount_[h]);
          break;
        case shares::Rule::believed_value:
          weight[h] = shares::believed_weight(headcount_[h], w.unit_manager_belief[heads_[h]]);
          break;
        case shares::Rule::usage:
          weight[h] = started_ ? spent_[h] : static_cast<double>(headcount_[h]);
          break;
      }
      wsum += weight[h];
    }
    if (!(wsum > 0)) {  // nobody believed in AI, or nobody spent: by headcount
      wsum = 0.0;
      for (std::size_t h = 0; h < g; ++h) wsum += weight[h] = static_cast<double>(headcount_[h]);
    }
    for (std::size_t h = 0; h < g; ++h) {
      left_[h] = wsum > 0 ? p_.usd_per_period * weight[h] / wsum : 0.0;
      spent_[h] = 0.0;
      cut_[h] = left_[h] > 0 ? 0 : 1;
    }
  }

  BudgetParams p_;
  std::vector<std::size_t> heads_;      ///< the division units in scope
  std::vector<std::size_t> headcount_;  ///< their people in scope
  std::vector<double> left_;            ///< budget left this period, USD
  std::vector<double> spent_;           ///< spent this period, USD
  std::vector<std::uint8_t> cut_;       ///< the division's share is spent: no access until the next period
  bool started_ = false;
  bool due_ = false;
};

}  // namespace

RegimeInfo compute_budget_regime() {
  return {"compute_budget",
          "A token budget in USD per period (`usd_per_period`), split among divisions each period evenly, by what each "
          "division's head believes AI adds (`believed_value`) or by last period's spend (`usage`); once a division's share "
          "is spent (padding and scripts included), its people lose access to the AI assistants until the next period.",
          &make_config<BudgetParams, ComputeBudgetRegime>};
}

}  // namespace kpisim

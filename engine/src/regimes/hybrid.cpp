// Regime `hybrid`: a weighted combination of regimes. Each component's incentives and rewards
// are scaled by its weight; the KPI is the weighted sum of the components' KPIs.
#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/scenario.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/config_of.hpp"

namespace kpisim {
namespace {

struct Component {
  double weight = 1.0;
  PolicySpec policy;

  template <class V>
  void visit(V& v) {
    v.num("weight", weight, {"1", 0, 1e6, "weight of this component's incentives and rewards", ""});
    v.section("policy", policy, {"the component regime: {type: ..., parameters}", ""});
  }
};

struct HybridParams {
  std::vector<Component> components;

  template <class V>
  void visit(V& v) {
    v.list("components", components, {"list of {weight, policy}", ""});
  }
  [[nodiscard]] std::vector<std::pair<std::string, const PolicySpec*>> components_list() const {
    std::vector<std::pair<std::string, const PolicySpec*>> out;
    for (std::size_t j = 0; j < components.size(); ++j) out.emplace_back(fmt::format("components[{}].policy", j), &components[j].policy);
    return out;
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (components.empty()) diag.error(line, col, path + ": a hybrid needs `components`: a list of {weight, policy}");
    for (std::size_t j = 0; j < components.size(); ++j) {
      const auto& p = components[j].policy;
      const std::string sub = fmt::format("{}.components[{}].policy", path, j);
      if (!p.config)
        diag.error(line, col, sub + ": missing (give {type: ..., parameters})");
      else
        p.config->check(sub, p.line, p.col, diag);
    }
  }
};

class HybridRegime final : public Regime {
 public:
  HybridRegime(const HybridParams& p, const ModelSpec& spec, const Scope& scope) {
    if (p.components.empty()) throw InputError("hybrid: `components` is empty; give at least one {weight, policy}");
    for (const auto& c : p.components) {
      if (!c.policy.config) throw InputError("hybrid: a component has no policy");
      weights_.push_back(c.weight);
      parts_.push_back(c.policy.config->instantiate(spec, resolve_scope(spec, c.policy, scope)));
    }
  }
  void apply(RegimeContext& ctx, double weight) override {
    for (std::size_t j = 0; j < parts_.size(); ++j) parts_[j]->apply(ctx, weight * weights_[j]);
  }
  void end_of_day(RegimeContext& ctx, double weight) override {
    for (std::size_t j = 0; j < parts_.size(); ++j) parts_[j]->end_of_day(ctx, weight * weights_[j]);
  }
  [[nodiscard]] KpiWeights kpi(int day) const override {
    KpiWeights k;
    for (std::size_t j = 0; j < parts_.size(); ++j) {
      const KpiWeights c = parts_[j]->kpi(day);
      k.tokens += weights_[j] * c.tokens;
      k.outcome += weights_[j] * c.outcome;
      k.sessions += weights_[j] * c.sessions;
    }
    return k;
  }
  void kpi_by_division(int day, double weight, std::vector<KpiWeights>& out) const override {
    for (std::size_t j = 0; j < parts_.size(); ++j) parts_[j]->kpi_by_division(day, weight * weights_[j], out);
  }

 private:
  std::vector<double> weights_;
  std::vector<std::unique_ptr<Regime>> parts_;
};

}  // namespace

RegimeInfo hybrid_regime() {
  return {"hybrid",
          "A weighted combination of regimes, e.g. an outcome bonus with audits, or a leaderboard plus a quota. "
          "`components: [{weight: 1, policy: {type: outcome}}, {weight: 1, policy: {type: audit}}]`.",
          &make_config<HybridParams, HybridRegime>};
}

}  // namespace kpisim

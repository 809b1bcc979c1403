// Regime `none`: no usage target. People experiment and keep what works (bottom-up adoption).
#include "kpisim/regimes/config_of.hpp"

namespace kpisim {
namespace {

struct NoneParams {
  template <class V>
  void visit(V& /*v*/) {}
};

class NoneRegime final : public Regime {
 public:
  NoneRegime(const NoneParams& /*p*/, const ModelSpec& /*spec*/, const Scope& /*scope*/) {}
  void apply(RegimeContext& /*ctx*/, double /*weight*/) override {}
  void end_of_day(RegimeContext& /*ctx*/, double /*weight*/) override {}
  [[nodiscard]] KpiWeights kpi(int /*day*/) const override { return {}; }
};

}  // namespace

RegimeInfo none_regime() {
  return {"none",
          "No KPI on AI: no target, no reward. People try AI, learn from what they experience and keep what works "
          "(bottom-up experimentation). The baseline of every comparison.",
          &make_config<NoneParams, NoneRegime>};
}

}  // namespace kpisim

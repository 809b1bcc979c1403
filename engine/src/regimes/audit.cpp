// Regime `audit`: a modifier that audits a random share of people each period.
//
// An audited person is under review for the next period: the audit filters `detection` of their
// performative tokens and gamed outcomes out of the measured KPI, and at the end of the period
// fines `penalty_usd_per_hour` per detected performative hour and `penalty_usd_per_script` for a
// detected script. Everyone expects the penalty ex ante (probability x detection x fine), which
// deters padding. Each audit costs the audited person `cost_hours` (added to their clean-up).
// Combine with another regime through `hybrid`.
#include <algorithm>

#include "kpisim/core/calendar.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

struct AuditParams {
  Cadence cadence = Cadence::monthly;
  double probability = 0.1;
  double detection = 0.8;
  double penalty_usd_per_hour = 100.0;
  double penalty_usd_per_script = 2000.0;
  double cost_hours = 1.0;

  template <class V>
  void visit(V& v) {
    v.choice("cadence", cadence, kCadenceChoices, {"audit period", "assumption"});
    v.num("probability", probability, {"1", 0, 1, "share of people audited each period", "assumption"});
    v.num("detection", detection, {"1", 0, 1, "share of performative use an audit finds (and filters)", "assumption"});
    v.num("penalty_usd_per_hour", penalty_usd_per_hour, {"USD/h", 0, 1e7, "fine per detected performative hour", "assumption"});
    v.num("penalty_usd_per_script", penalty_usd_per_script, {"USD", 0, 1e8, "fine for a detected padding script", "assumption"});
    v.num("cost_hours", cost_hours, {"h", 0, 100, "hours an audit takes from the audited person", "assumption"});
  }
};

class AuditRegime final : public Regime {
 public:
  AuditRegime(const AuditParams& p, const ModelSpec& spec)
      : p_(p), audited_(spec.employees, 0), hours_(spec.employees, 0.0), script_days_(spec.employees, 0), hires_(spec.employees) {}

  void apply(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    const double days = cadence_days(p_.cadence);
    const auto per_hour = static_cast<float>(weight * p_.probability * p_.detection * p_.penalty_usd_per_hour);
    const auto per_script_day = static_cast<float>(weight * p_.probability * p_.detection * p_.penalty_usd_per_script / days);
    const auto filter = static_cast<float>(p_.detection);
    for (std::size_t i = 0; i < w.n; ++i) {
      w.inc_padding_penalty[i] += per_hour;
      w.inc_script_penalty[i] += per_script_day;
      if (audited_[i] != 0) w.perf_filter[i] = std::max(w.perf_filter[i], filter);
    }
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (hires_.replaced(w.hire_day, i)) {  // a new hire is not under its predecessor's audit
        audited_[i] = 0;
        hours_[i] = 0.0;
        script_days_[i] = 0;
      }
      if (audited_[i] == 0) continue;
      hours_[i] += w.performative_hours[i];
      script_days_[i] += w.scripting[i];
    }
    if (!is_period_end(ctx.day, p_.cadence)) return;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (audited_[i] != 0) {
        const double fine =
            p_.detection * hours_[i] * p_.penalty_usd_per_hour + (script_days_[i] > 0 ? p_.detection * p_.penalty_usd_per_script : 0.0);
        w.audits_today += 1;
        if (fine > 0) {
          w.audit_detections_today += 1;
          w.reward_usd[i] -= static_cast<float>(weight * fine);
          w.penalties_today += weight * fine;
        }
      }
      // Draw who is audited next period.
      const auto u = ctx.rng.uniform4(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(ctx.day), Purpose::audit);
      audited_[i] = u.u[0] < p_.probability ? 1 : 0;
      hours_[i] = 0.0;
      script_days_[i] = 0;
      if (audited_[i] != 0) {
        w.cleanup_hours[i] += static_cast<float>(p_.cost_hours);
        w.audit_hours_today += p_.cost_hours;
      }
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override { return {}; }

 private:
  AuditParams p_;
  std::vector<std::uint8_t> audited_;
  std::vector<double> hours_;
  std::vector<int> script_days_;
  HireTracker hires_;
};

}  // namespace

RegimeInfo audit_regime() {
  return {"audit",
          "Audits (a modifier: combine with another regime in a `hybrid`). A random share of people is audited each period; "
          "audits filter detected performative usage out of the KPI and fine it; everyone expects the fine ex ante.",
          &make_config<AuditParams, AuditRegime>};
}

}  // namespace kpisim

// Regime `schedule`: policies that start, change or stop on given days (a rollout date; a
// leaderboard switched off after a scandal). Each phase is active on [start_day, end_day); phases
// may overlap (their incentives add). A phase's regime keeps its state while inactive, and only
// accumulates measurements while active.
#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/scenario.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/config_of.hpp"

namespace kpisim {
namespace {

struct Phase {
  int start_day = 0;
  int end_day = 1000000;
  PolicySpec policy;
  int line = -1;  ///< position in the scenario file (set by the reader)
  int col = -1;

  template <class V>
  void visit(V& v) {
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day the phase is in force", ""});
    v.integer("end_day", end_day, {"day", 0, 1000000, "first day it no longer is (default: never ends)", ""});
    v.section("policy", policy, {"the regime in force: {type: ..., parameters}", ""});
  }
};

struct ScheduleParams {
  std::vector<Phase> phases;

  template <class V>
  void visit(V& v) {
    v.list("phases", phases, {"list of {start_day, end_day, policy}", ""});
  }
  [[nodiscard]] std::vector<std::pair<std::string, const PolicySpec*>> components_list() const {
    std::vector<std::pair<std::string, const PolicySpec*>> out;
    for (std::size_t j = 0; j < phases.size(); ++j) out.emplace_back(fmt::format("phases[{}].policy", j), &phases[j].policy);
    return out;
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (phases.empty()) diag.error(line, col, path + ": a schedule needs `phases`: a list of {start_day, end_day, policy}");
    for (std::size_t j = 0; j < phases.size(); ++j) {
      const auto& ph = phases[j];
      const std::string sub = fmt::format("{}.phases[{}]", path, j);
      if (ph.end_day <= ph.start_day)
        diag.error(ph.line, ph.col, fmt::format("{}: end_day ({}) must be after start_day ({})", sub, ph.end_day, ph.start_day));
      if (!ph.policy.config)
        diag.error(ph.line, ph.col, sub + ".policy: missing (give {type: ..., parameters})");
      else
        ph.policy.config->check(sub + ".policy", ph.policy.line, ph.policy.col, diag);
    }
  }
};

class ScheduleRegime final : public Regime {
 public:
  ScheduleRegime(const ScheduleParams& p, const ModelSpec& spec, const Scope& scope) {
    if (p.phases.empty()) throw InputError("schedule: `phases` is empty; give at least one {start_day, policy}");
    for (const auto& ph : p.phases) {
      if (!ph.policy.config) throw InputError("schedule: a phase has no policy");
      if (ph.end_day <= ph.start_day) throw InputError("schedule: a phase ends (end_day) before it starts (start_day)");
      start_.push_back(ph.start_day);
      end_.push_back(ph.end_day);
      parts_.push_back(ph.policy.config->instantiate(spec, resolve_scope(spec, ph.policy, scope)));
    }
  }
  void apply(RegimeContext& ctx, double weight) override {
    for (std::size_t j = 0; j < parts_.size(); ++j)
      if (active(j, ctx.day)) parts_[j]->apply(ctx, weight);
  }
  void end_of_day(RegimeContext& ctx, double weight) override {
    for (std::size_t j = 0; j < parts_.size(); ++j)
      if (active(j, ctx.day)) parts_[j]->end_of_day(ctx, weight);
  }
  [[nodiscard]] KpiWeights kpi(int day) const override {
    KpiWeights k;
    for (std::size_t j = 0; j < parts_.size(); ++j) {
      if (!active(j, day)) continue;
      const KpiWeights c = parts_[j]->kpi(day);
      k.tokens += c.tokens;
      k.outcome += c.outcome;
      k.sessions += c.sessions;
    }
    return k;
  }
  void kpi_by_division(int day, double weight, std::vector<KpiWeights>& out) const override {
    for (std::size_t j = 0; j < parts_.size(); ++j)
      if (active(j, day)) parts_[j]->kpi_by_division(day, weight, out);
  }

 private:
  [[nodiscard]] bool active(std::size_t j, int day) const { return day >= start_[j] && day < end_[j]; }
  std::vector<int> start_, end_;
  std::vector<std::unique_ptr<Regime>> parts_;
};

}  // namespace

RegimeInfo schedule_regime() {
  return {"schedule",
          "Policies over time: `phases: [{start_day: 0, end_day: 180, policy: {type: leaderboard}}, {start_day: 180, policy: "
          "{type: none}}]`. A rollout date, a change of regime, a leaderboard switched off.",
          &make_config<ScheduleParams, ScheduleRegime>};
}

}  // namespace kpisim

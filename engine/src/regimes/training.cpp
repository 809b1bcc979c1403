// Regime `training`: leadership trains its people to use AI (docs/model.md 7.15.13). Everyone in
// scope attends `hours` of training, at most `hours_per_day` a working day from `start_day`; with
// `new_hires`, so does each person hired into the scope later, from her first working day
// (onboarding). An hour of training is taken before the day's own work (after clean-up), uses
// tokens as an hour of learning does, raises AI proficiency as a dedicated learning hour does
// (learning.learning_rate), and is experience of her own task types measured in the exercises:
// the week's belief update counts it at the true gain, without the perception bias (7.11). It sets
// no KPI and pays nothing. The weight a hybrid gives it does not scale the hours (an order, as a
// mandate); a weight of 0 is no policy.
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

struct TrainingParams {
  double hours = 8.0;
  double hours_per_day = 2.0;
  int start_day = 0;
  bool new_hires = true;

  template <class V>
  void visit(V& v) {
    v.num("hours", hours,
          {"h", 0, 1000, "hours of AI training each person in scope attends",
           "assumption (a one-day course; Humlum & Vestergaard 2025: training needs)"});
    v.num("hours_per_day", hours_per_day, {"h/day", 0.1, 24, "most hours of training a person attends on one working day", "assumption"});
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day of the training", "assumption"});
    v.flag("new_hires", new_hires, {"people hired into the scope later are trained too, from their first working day (onboarding)", ""});
  }
};

class TrainingRegime final : public Regime {
 public:
  TrainingRegime(const TrainingParams& p, const ModelSpec& spec, const Scope& /*scope*/)
      : p_(p), done_(spec.employees, 0.0F), hires_(spec.employees) {}

  void apply(RegimeContext& ctx, double weight) override {
    if (ctx.day < p_.start_day || !(weight > 0) || !is_workday(ctx.day) || !(p_.hours > 0)) return;
    World& w = ctx.world;
    // A new hire starts from nothing (with `new_hires`) or is never trained; the slots of the
    // people hired before the start are not replacements (hire day 0 is the initial workforce).
    const float owed_by_hire = p_.new_hires ? 0.0F : static_cast<float>(p_.hours);
    float* const done = done_.data();
    float* const training = w.training.data();
    const float* const in_scope = scope().person.data();
    const auto total = static_cast<float>(p_.hours);
    const auto per_day = static_cast<float>(p_.hours_per_day);
    bool any = false;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (hires_.replaced(w.hire_day, i)) done[i] = w.hire_day[i] > p_.start_day ? owed_by_hire : 0.0F;
      const float today = in_scope[i] > 0.0F ? std::min(per_day, std::max(0.0F, total - done[i])) : 0.0F;
      training[i] += today;  // another training component of a hybrid may have ordered some too
      done[i] += today;
      any = any || today > 0.0F;
    }
    if (any) w.wrote(w.training);
  }

  void end_of_day(RegimeContext& /*ctx*/, double /*weight*/) override {}
  [[nodiscard]] KpiWeights kpi(int /*day*/) const override { return {}; }

 private:
  TrainingParams p_;
  std::vector<float> done_;  ///< hours of training each slot's holder has attended
  HireTracker hires_;
};

}  // namespace

RegimeInfo training_regime() {
  return {"training",
          "Leadership trains its people to use AI: `hours` of training each (at most `hours_per_day` a working day, from "
          "`start_day`; new hires too with `new_hires`). Training hours come before the day's own work, raise AI proficiency as "
          "learning hours do, and are experience measured in exercises: they calibrate beliefs about AI's gain on each task type "
          "without the perception bias (docs/model.md 7.15.13). No KPI, no money.",
          &make_config<TrainingParams, TrainingRegime>};
}

}  // namespace kpisim

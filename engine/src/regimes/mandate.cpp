// Regime `mandate`: leadership requires AI for named task types, in the policy's scope, from a day
// on (docs/model.md 7.15.9). Every unit in scope orders AI for those task types of its division's
// mix; its manager mandates what is ordered (7.1), so its people feel the mandate on those task
// types in their weekly plan (mandate_usd_per_hour, 7.2) and, where it claims work they would do by
// hand, as a hindrance (7.13). It sets no KPI, pays nothing and measures nothing: a compliance
// check is another policy in a `hybrid` (a quota on usage, or audits).
#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"

namespace kpisim {
namespace {

struct MandateParams {
  std::vector<std::string> tasks;
  int start_day = 0;

  template <class V>
  void visit(V& v) {
    v.texts("tasks", tasks,
            {"task types AI is required for (those of each division's mix; empty: every task type)",
             "seed articles: mandates for every task, short memos included"});
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day the mandate is in force", "assumption"});
  }
  void check_spec(const ModelSpec& spec, const std::string& path, int line, int col, Diagnostics& diag) const {
    for (std::size_t j = 0; j < tasks.size(); ++j) {
      const auto& name = tasks[j];
      if (std::find(spec.task_names.begin(), spec.task_names.end(), name) != spec.task_names.end()) {
        if (std::find(tasks.begin(), tasks.begin() + static_cast<std::ptrdiff_t>(j), name) !=
            tasks.begin() + static_cast<std::ptrdiff_t>(j))
          diag.error(line, col, fmt::format("{}.tasks names '{}' twice", path, printable(name)));
        continue;
      }
      const std::string near = params::nearest(name, spec.task_names);
      diag.error(line, col,
                 fmt::format("{}.tasks: unknown task '{}'{}", path, printable(name),
                             near.empty() ? "; tasks are defined under `tasks`" : fmt::format("; did you mean '{}'?", near)));
    }
  }
};

class MandateRegime final : public Regime {
 public:
  MandateRegime(const MandateParams& p, const ModelSpec& spec, const Scope& scope) : start_day_(p.start_day) {
    // The orders, unit by unit: the named task types of the unit's division's mix (all of them
    // without names), for every unit in scope below the root.
    const std::size_t k = spec.tasks.size();
    std::vector<std::uint8_t> named(k, p.tasks.empty() ? 1 : 0);
    for (const auto& name : p.tasks) {
      const auto it = std::find(spec.task_names.begin(), spec.task_names.end(), name);
      if (it == spec.task_names.end()) throw InputError(fmt::format("mandate: unknown task '{}'", printable(name)));
      named[static_cast<std::size_t>(it - spec.task_names.begin())] = 1;
    }
    for (std::size_t u = 0; u < spec.units.size(); ++u) {
      const Unit& unit = spec.units[u];
      if (unit.depth < 1 || !scope.has_unit(u)) continue;
      const DivisionSpec& div = spec.divisions[static_cast<std::size_t>(unit.division)];
      for (std::size_t t = 0; t < k; ++t)
        if (named[t] != 0 && div.mix[t] > 0) orders_.push_back(u * k + t);
    }
  }

  void apply(RegimeContext& ctx, double weight) override {
    // An order is an order whatever the weight a hybrid gives it, but a weight of 0 is no policy.
    if (ctx.day < start_day_ || !(weight > 0) || orders_.empty()) return;
    World& w = ctx.world;
    for (const std::size_t e : orders_) w.unit_task_order[e] = 1;
    w.orders_written = true;
  }
  void end_of_day(RegimeContext& /*ctx*/, double /*weight*/) override {}
  [[nodiscard]] KpiWeights kpi(int /*day*/) const override { return {}; }

 private:
  int start_day_;
  std::vector<std::size_t> orders_;  ///< [unit * k + task] entries ordered
};

}  // namespace

RegimeInfo mandate_regime() {
  return {"mandate",
          "An AI mandate: leadership requires AI for named task types (`tasks`, default every task type) from `start_day`, "
          "in the policy's scope. Every manager in scope mandates them; people feel the mandate in their weekly plan, and "
          "as a hindrance where it claims work they would do by hand. No KPI, no money: add a quota or audits in a `hybrid` "
          "to check compliance.",
          &make_config<MandateParams, MandateRegime>};
}

}  // namespace kpisim

// Regime `seats`: a fixed number of AI licences, allocated and reallocated by leadership (docs/model.md
// 7.15.11). Only people with a seat can use the AI assistants (chatbots are the organisation's front
// door and need none): without one a person plans every task manually, runs no script, pads no usage
// and practises nothing with AI. At the start and at each period's end leadership splits the
// licences among the divisions in scope, and each division gives its share to the people its usage
// dashboard shows using the most (the reclaiming of idle licences); ties, and the first allocation,
// by a fixed draw per slot. How the divisions' shares are set (`allocation`):
//   - even: in proportion to headcount;
//   - believed_value: in proportion to headcount x what each division's head believes AI adds to a
//     person-day of AI-assisted work (7.17), so usage data corrupted by a usage KPI misallocate the
//     licences and the people's reports allocate them on what they see;
//   - usage: no split; the whole scope's licences go to the heaviest users on the dashboard.
// A division never gets more seats than people; what it cannot take goes to the others.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
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

struct SeatsParams {
  int licences = 0;
  shares::Rule allocation = shares::Rule::believed_value;
  Cadence cadence = Cadence::quarterly;
  int start_day = 0;

  template <class V>
  void visit(V& v) {
    v.integer("licences", licences,
              {"seat", 0, 100000000, "AI licences (seats) for the people in the policy's scope; only people with one use the assistants",
               "assumption"});
    v.choice("allocation", allocation, shares::kRuleChoices,
             {"how leadership splits the licences among divisions: even (by headcount), believed_value (by headcount x what each "
              "division's head believes AI adds, 7.17) or usage (no split: the heaviest users on the dashboard); within a division "
              "they go to the heaviest users",
              "assumption"});
    v.choice("cadence", cadence, kCadenceChoices, {"how often leadership reallocates the licences (weekly or longer)", "assumption"});
    v.integer("start_day", start_day, {"day", 0, 1000000, "first day licences are needed (everyone has AI before)", "assumption"});
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (cadence == Cadence::daily)
      diag.error(line, col,
                 fmt::format("{}.cadence: daily reallocation is not supported (people plan their AI use weekly); use weekly or "
                             "longer",
                             path));
  }
};

class SeatsRegime final : public Regime {
 public:
  SeatsRegime(const SeatsParams& p, const ModelSpec& spec, const Scope& scope)
      : p_(p), seat_(spec.employees, 0), window_(spec.employees, 0.0), draw_(spec.employees, 0.0), hires_(spec.employees) {
    for (std::size_t u = 0; u < spec.units.size(); ++u)
      if (spec.units[u].depth == 1 && scope.has_unit(u)) heads_.push_back(u);
  }

  void apply(RegimeContext& ctx, double weight) override {
    // A licence is there or not, whatever the weight a hybrid gives it; a weight of 0 is no policy.
    if (ctx.day < p_.start_day || !(weight > 0)) return;
    World& w = ctx.world;
    if (!allocated_) {
      for (std::size_t i = 0; i < w.n; ++i) draw_[i] = ctx.rng.uniform4(static_cast<std::uint32_t>(i), 0, Purpose::seats).u[0];
      due_ = true;
      allocated_ = true;
    }
    // Leadership reallocates in the morning after a period's end: the division heads' beliefs are
    // then final (end_of_day runs while the managers update them, and must not read them).
    if (due_) {
      allocate(ctx);
      std::fill(window_.begin(), window_.end(), 0.0);
      due_ = false;
    }
    w.wrote(w.no_seat);
    float* const no_seat = w.no_seat.data();
    const std::uint8_t* const seat = seat_.data();
    const float* const in_scope = scope().person.data();
    // A licence only ever grants what no other policy of the day has taken away (a spent budget, a
    // hard ceiling): the column was zeroed this morning, so alone this is an assignment.
    for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) no_seat[i] = std::max(no_seat[i], seat[i] != 0 ? 0.0F : in_scope[i]);
    });
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    if (ctx.day < p_.start_day || !(weight > 0) || !allocated_) return;
    World& w = ctx.world;
    // The usage dashboard: measured tokens into the window; a new hire's window starts empty (she
    // takes over her predecessor's licence, if any, until the next reallocation).
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      double* const window = window_.data();
      const float* const measured = w.measured_tokens.data();
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) window[i] += measured[i];
      hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) { window_[i] = 0.0; });
    });
    if (is_period_end(ctx.day, p_.cadence)) due_ = true;
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    return {};
  }

 private:
  // Gives the seats of `members` to the `count` heaviest users of the last period (then by draw).
  void give(std::vector<std::uint32_t>& members, std::size_t count) {
    std::sort(members.begin(), members.end(), [&](std::uint32_t a, std::uint32_t b) {
      if (window_[a] != window_[b]) return window_[a] > window_[b];
      return draw_[a] < draw_[b] || (draw_[a] == draw_[b] && a < b);
    });
    for (std::size_t q = 0; q < members.size(); ++q) seat_[members[q]] = q < count ? 1 : 0;
  }

  void allocate(RegimeContext& ctx) {
    const ModelSpec& spec = ctx.spec;
    const World& w = ctx.world;
    const auto licences = static_cast<std::size_t>(p_.licences);
    std::vector<std::vector<std::uint32_t>> members(heads_.size());
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      const Unit& u = spec.units[heads_[h]];
      for (std::uint32_t i = u.first; i < u.end; ++i)
        if (scope().has_person(i)) members[h].push_back(i);
    }
    if (p_.allocation == shares::Rule::usage) {
      std::vector<std::uint32_t> all;
      for (const auto& m : members) all.insert(all.end(), m.begin(), m.end());
      give(all, licences);
      return;
    }
    std::vector<std::size_t> cap(heads_.size());
    std::vector<double> weight(heads_.size());
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      cap[h] = members[h].size();
      weight[h] = p_.allocation == shares::Rule::believed_value ? shares::believed_weight(cap[h], w.unit_manager_belief[heads_[h]])
                                                                : static_cast<double>(cap[h]);
    }
    const std::vector<std::size_t> seats = shares::split_capped(licences, cap, weight);
    for (std::size_t h = 0; h < heads_.size(); ++h) give(members[h], seats[h]);
  }

  SeatsParams p_;
  std::vector<std::size_t> heads_;  ///< the division units in scope
  std::vector<std::uint8_t> seat_;  ///< per slot: holds a licence
  std::vector<double> window_;      ///< measured tokens since the last allocation
  std::vector<double> draw_;        ///< per slot: the fixed tie-break draw
  HireTracker hires_;
  bool allocated_ = false;
  bool due_ = false;  ///< a period ended: reallocate in the next apply()
};

}  // namespace

RegimeInfo seats_regime() {
  return {"seats",
          "A fixed number of AI licences (`licences`), reallocated by leadership each period: split among divisions evenly, "
          "by what each division's head believes AI adds (`believed_value`), or to the heaviest users organisation-wide "
          "(`usage`); within a division to its heaviest users. Without a seat a person cannot use the assistants.",
          &make_config<SeatsParams, SeatsRegime>};
}

}  // namespace kpisim

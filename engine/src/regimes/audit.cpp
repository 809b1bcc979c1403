// Regime `audit`: a modifier that audits a share of people each period (docs/model.md 7.15.5).
//
// The period-end draws (probability `probability`) set how many of each team are audited; the team
// manager chooses whom: with `selection: risk` the members her dashboard shows highest (the moving
// average of their measured KPI), with `random` the drawn ones. Everyone learns her own chance of
// being audited from the periods she has seen (a Beta prior at the announced rate worth
// `selection_prior_periods` periods). An audited person is under review for the next period. The review is a sample of the period's
// daily usage records (audit sampling): each day's record is examined with probability `detection`,
// independently, and all performative use on an examined day is found. At the end of the period
// the audit fines `penalty_usd_per_hour` per detected performative hour and `penalty_usd_per_script`
// once if a script ran on an examined day, so a padder can be missed (false negative). Independently
// of any padding, the review wrongly flags an audited person with probability `false_positive_rate`
// (legitimate use read as padding) and fines `false_positive_hours` at the hourly rate (false
// positive). Being flagged (rightly or not) adds `shame` (a hindrance demand, 7.13). Everyone expects
// the fines for padding and scripts ex ante (probability x perceived chance of detection x fine),
// which deters them; the expected false-positive fine does not depend on padding and enters no
// decision. The perceived chance starts at the announced `detection` and is learned from one's own
// audits (reward history shapes beliefs about the regime): a person audited in a period in which
// she padded or scripted reads from the itemised fine the share of her offending days that were
// examined, and moves her belief towards it by `learning_rate` (the lucky come to feel safe and
// escalate, the caught are deterred: punishment avoidance, Stafford & Warr 1993). Audited
// people know the expected share an audit finds (`perf_filter` = detection, read by decisions); what
// an examined day shows is removed from the measured KPI (`perf_removed`, read by the measurement).
// Each audit costs the
// audited person `cost_hours` (added to their clean-up) and her team manager `reviewer_hours` of
// attention (added to the manager's clean-up: hours taken from her own work). A manager's attention
// is finite: managers.attention_hours_per_week accrue to her each week (saved up to a week's or a
// period's worth), each review spends reviewer_hours of them, and the drawn audits beyond what she
// has (those with the largest draws) are not done. A team manager's own audit is reviewed above her (no cost to her team).
// Combine with another regime through `hybrid`.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

enum class AuditSelection { risk, random };
inline constexpr std::array<params::Choice<AuditSelection>, 2> kSelectionChoices{
    {{"risk", AuditSelection::risk}, {"random", AuditSelection::random}}};

struct AuditParams {
  Cadence cadence = Cadence::monthly;
  AuditSelection selection = AuditSelection::risk;
  double selection_prior_periods = 10.0;
  double probability = 0.1;
  double detection = 0.8;
  double penalty_usd_per_hour = 100.0;
  double penalty_usd_per_script = 2000.0;
  double cost_hours = 1.0;
  double reviewer_hours = 1.0;
  double false_positive_rate = 0.05;
  double false_positive_hours = 4.0;
  double shame = 0.3;
  double learning_rate = 0.5;

  template <class V>
  void visit(V& v) {
    v.choice("cadence", cadence, kCadenceChoices, {"audit period", "assumption"});
    v.choice("selection", selection, kSelectionChoices,
             {"whom each team manager audits: risk = the members her dashboard shows highest (the moving average of their "
              "measured KPI), as many as the period's draws give her team; random = the drawn members themselves",
              "risk-based audit selection (ISA 315/330; tax audit scoring); assumption"});
    v.num("selection_prior_periods", selection_prior_periods,
          {"periods", 0, 1e6,
           "weight of the announced probability in each person's perceived chance of being audited, in periods: after n periods "
           "of which she was audited in a, she expects (probability x prior + a) / (prior + n); 0 with no periods seen keeps "
           "the announced rate",
           "Anwar & Loughran 2011 (perceived risk falls with unpunished experience); assumption for the size"});
    v.num("probability", probability, {"1", 0, 1, "share of people audited each period", "assumption"});
    v.num(
        "detection", detection,
        {"1", 0, 1, "probability that the audit examines a given day's usage record (all performative use on it is found)", "assumption"});
    v.num("penalty_usd_per_hour", penalty_usd_per_hour, {"USD/h", 0, 1e7, "fine per detected performative hour", "assumption"});
    v.num("penalty_usd_per_script", penalty_usd_per_script, {"USD", 0, 1e8, "fine for a detected padding script", "assumption"});
    v.num("cost_hours", cost_hours, {"h", 0, 100, "hours an audit takes from the audited person", "assumption"});
    v.num("reviewer_hours", reviewer_hours,
          {"h", 0, 100,
           "hours of her team manager's attention an audit takes (reviewing the sampled records), taken from the manager's own work; "
           "a manager reviews at most managers.attention_hours_per_week worth of audits",
           "assumption"});
    v.num("false_positive_rate", false_positive_rate,
          {"1", 0, 1, "probability that an audit wrongly flags the audited person's legitimate use as padding", "assumption"});
    v.num("false_positive_hours", false_positive_hours,
          {"h", 0, 1000, "legitimate hours a false positive fines as performative (at penalty_usd_per_hour)", "assumption"});
    v.num("shame", shame, {"1", 0, 10, "hindrance demand added by being flagged, rightly or not (decays 10%/day)", "assumption"});
    v.num("learning_rate", learning_rate,
          {"1", 0, 1,
           "weight of one's own audit in the perceived chance of detection (after an audit of a period in which she padded or "
           "scripted, towards the share of her offending days it examined; 0: everyone keeps the announced rate)",
           "Anwar & Loughran 2011 (people update perceived sanction risk from their own experience); assumption for the size"});
  }
};

class AuditRegime final : public Regime {
 public:
  AuditRegime(const AuditParams& p, const ModelSpec& spec, const Scope& /*scope*/)
      : p_(p),
        audited_(spec.employees, 0),
        found_hours_(spec.employees, 0.0),
        script_found_(spec.employees, 0),
        offend_days_(spec.employees, 0),
        found_days_(spec.employees, 0),
        perceived_(spec.employees, static_cast<float>(p.detection)),
        script_belief_(spec.employees, static_cast<float>(script_found_probability(p.detection))),
        selected_belief_(spec.employees, static_cast<float>(p.probability)),
        periods_seen_(spec.employees, 0),
        times_audited_(spec.employees, 0),
        hires_(spec.employees) {
    attention_.assign(spec.team_units.size(), 0.0);
  }

  void apply(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    const double days = cadence_days(p_.cadence);
    // E[detected hours | audited] = detection x H: each hour lies on a day examined with probability
    // `detection`. A script that runs throughout a period is found unless none of its days is
    // examined. Each person expects both at her perceived detection.
    // Each at her perceived chance of being audited (learned from her own periods, end_of_day).
    const double per_hour = weight * p_.penalty_usd_per_hour;
    const double per_script_day = weight * p_.penalty_usd_per_script / days;
    const auto filter = static_cast<float>(p_.detection);
    const auto day = static_cast<std::uint32_t>(ctx.day);
    for (const auto* c : {&w.inc_padding_penalty, &w.inc_script_penalty, &w.perf_filter, &w.perf_removed}) w.wrote(*c);
    // Person by person, in parallel blocks (each person's columns only: the same bits at any thread
    // count): everyone's expected fines in a loop that vectorises (local pointers), then the audited.
    float* const padding_penalty_col = w.inc_padding_penalty.data();
    float* const script_penalty_col = w.inc_script_penalty.data();
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      float* const padding_penalty = padding_penalty_col;
      float* const script_penalty = script_penalty_col;
      const float* const selected = selected_belief_.data();
      const float* const perceived = perceived_.data();
      const float* const script_belief = script_belief_.data();
      const float* const in_scope = scope().person.data();  // outside the policy's scope nobody is audited (7.15.8)
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) {
        const double chance = selected[i] * in_scope[i];
        padding_penalty[i] += static_cast<float>(per_hour * chance * perceived[i]);
        script_penalty[i] += static_cast<float>(per_script_day * chance * script_belief[i]);
      }
      std::array<std::uint32_t, kBlock> list;
      const std::size_t count = audited_in(lo, hi, list);
      for (std::size_t q = 0; q < count; ++q) {
        const std::size_t i = list[q];
        // The audited know the expected share found; the KPI loses what is found: all of an examined
        // day's performative use (the same draw as end_of_day's examination).
        w.perf_filter[i] = std::max(w.perf_filter[i], filter);
        const bool seen = examined(ctx, i, day);
        examined_[i] = seen ? 1 : 0;  // kept for end_of_day's review (the draw is the same)
        if (seen) w.perf_removed[i] = 1.0F;
      }
    });
    examined_day_ = ctx.day;
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    const auto day = static_cast<std::uint32_t>(ctx.day);
    const auto announced = static_cast<float>(script_found_probability(p_.detection));
    // Today's examinations as apply() drew them (for everyone audited since: the audited set changes
    // only below), or drawn here when apply() did not run today.
    const bool drawn = examined_day_ == ctx.day;
    // The day's review, person by person in parallel blocks (each person's state only).
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
      hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) {  // a new hire is not under its predecessor's audit
        audited_[i] = 0;
        found_hours_[i] = 0.0;
        script_found_[i] = 0;
        offend_days_[i] = found_days_[i] = 0;
        perceived_[i] = static_cast<float>(p_.detection);  // the announced rates
        script_belief_[i] = announced;
        selected_belief_[i] = static_cast<float>(p_.probability);
        periods_seen_[i] = times_audited_[i] = 0;
      });
      // Then the audited among them (each person's review reads and writes only her own state).
      std::array<std::uint32_t, kBlock> list;
      const std::size_t count = audited_in(lo, hi, list);
      for (std::size_t q = 0; q < count; ++q) {
        const std::size_t i = list[q];
        const bool offended = w.performative_hours[i] > 0 || w.scripting[i] != 0;
        if (offended) ++offend_days_[i];
        if (drawn ? examined_[i] != 0 : examined(ctx, i, day)) {
          found_hours_[i] += w.performative_hours[i];
          if (w.scripting[i] != 0) script_found_[i] = 1;
          if (offended) ++found_days_[i];
        }
      }
    });
    if (!is_period_end(ctx.day, p_.cadence)) return;
    for (std::size_t i = 0; i < w.n; ++i) {
      if (audited_[i] != 0) {
        w.audits_today += 1;
        // Lane 1 of the period-end day: a false positive, independent of what there was to find.
        const bool false_positive =
            ctx.rng.uniform4(static_cast<std::uint32_t>(i), day, Purpose::audit, kReviewBlock).u[1] < p_.false_positive_rate;
        const double hours = found_hours_[i] + (false_positive ? p_.false_positive_hours : 0.0);
        const double fine = hours * p_.penalty_usd_per_hour + (script_found_[i] != 0 ? p_.penalty_usd_per_script : 0.0);
        const bool found = found_hours_[i] > 0 || script_found_[i] != 0;
        if (false_positive && !found) w.audit_false_positives_today += 1;
        if (found || false_positive) {
          w.audit_detections_today += 1;  // what the organisation sees: true and false positives alike
          w.shame[i] += static_cast<float>(weight * p_.shame);
        }
        if (fine > 0) {
          w.reward_usd[i] -= static_cast<float>(weight * fine);
          w.penalties_today += weight * fine;
        }
        // What the itemised fine tells an offender: the share of her offending days examined.
        if (offend_days_[i] > 0) {
          const double seen = static_cast<double>(found_days_[i]) / offend_days_[i];
          const double d = perceived_[i] + p_.learning_rate * (seen - perceived_[i]);
          perceived_[i] = static_cast<float>(d);
          script_belief_[i] = static_cast<float>(script_found_probability(d));
        }
      }
      // Draw who is audited next period.
      draw_[i] = ctx.rng.uniform4(static_cast<std::uint32_t>(i), day, Purpose::audit).u[0];
      audited_[i] = draw_[i] < p_.probability && scope().has_person(i) ? 1 : 0;
      found_hours_[i] = 0.0;
      script_found_[i] = 0;
      offend_days_[i] = found_days_[i] = 0;
    }
    // Each team manager reviews her team's audits within her attention (the smallest draws first),
    // and the reviews take her hours. Attention accrues each period and can be saved up to a week's
    // (or a period's) worth.
    const double weekly = ctx.spec.scenario.managers.attention_hours_per_week;
    const double budget = weekly * cadence_days(p_.cadence) / 7.0;
    const double cap = std::max(budget, weekly);
    const std::vector<std::uint8_t>& is_manager = ctx.spec.is_manager;
    for (std::size_t t = 0; t < ctx.spec.team_units.size(); ++t) {
      if (!scope().has_unit(ctx.spec.team_units[t])) continue;  // no audits outside the policy's scope
      const Unit& team = ctx.spec.units[ctx.spec.team_units[t]];
      attention_[t] = std::min(cap, attention_[t] + budget);
      const auto most =
          p_.reviewer_hours > 0 ? static_cast<std::size_t>(std::floor(attention_[t] / p_.reviewer_hours)) : ctx.spec.employees;
      std::size_t count = 0;
      for (std::uint32_t i = team.first; i < team.end; ++i) count += (is_manager[i] == 0 && audited_[i] != 0) ? 1 : 0;
      if (p_.selection == AuditSelection::risk) {
        // She audits the members her dashboard shows highest (the moving average of their measured
        // KPI; ties by slot), as many as the draws give her team: the draws set how many, she sets who.
        for (std::uint32_t i = team.first; i < team.end; ++i)
          if (is_manager[i] == 0) {
            audited_[i] = 0;
            draw_[i] = -static_cast<double>(w.ema_kpi[i]);  // the smallest "draw" is the highest score
          }
        for (std::size_t c = 0; c < count; ++c) {
          std::uint32_t best = team.end;
          for (std::uint32_t i = team.first; i < team.end; ++i)
            if (is_manager[i] == 0 && audited_[i] == 0 && (best == team.end || draw_[i] < draw_[best])) best = i;
          audited_[best] = 1;
        }
      }
      while (count > most) {  // drop the largest draw, or the lowest score (teams are small)
        std::uint32_t worst = team.end;
        for (std::uint32_t i = team.first; i < team.end; ++i)
          if (is_manager[i] == 0 && audited_[i] != 0 && (worst == team.end || draw_[i] > draw_[worst])) worst = i;
        audited_[worst] = 0;
        --count;
      }
      const double review = static_cast<double>(count) * p_.reviewer_hours;
      attention_[t] -= review;
      w.cleanup_hours[team.manager] += static_cast<float>(review);
      w.audit_hours_today += review;
    }
    for (std::size_t i = 0; i < w.n; ++i) {
      if (audited_[i] != 0) {
        w.cleanup_hours[i] += static_cast<float>(p_.cost_hours);
        w.audit_hours_today += p_.cost_hours;
      }
      // Audits are visible (each takes the audited person's hours): she learns her own chance of
      // being audited from her periods, starting from the announced rate.
      periods_seen_[i] = static_cast<std::uint16_t>(std::min<int>(periods_seen_[i] + 1, UINT16_MAX));
      times_audited_[i] = static_cast<std::uint16_t>(std::min<int>(times_audited_[i] + (audited_[i] != 0 ? 1 : 0), UINT16_MAX));
      selected_belief_[i] = static_cast<float>(selection_chance(periods_seen_[i], times_audited_[i]));
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    return {};
  }

 private:
  static constexpr std::uint32_t kReviewBlock = 1;  ///< block 0 is the selection draw

  /// The audited slots of block [lo, hi), in order, into `list` (a compaction without branches: a
  /// tenth of people audited at random would mispredict a branch per person); returns how many.
  [[nodiscard]] std::size_t audited_in(std::size_t lo, std::size_t hi, std::array<std::uint32_t, kBlock>& list) const {
    std::size_t count = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      list[count] = static_cast<std::uint32_t>(i);
      count += audited_[i] != 0 ? 1 : 0;
    }
    return count;
  }
  /// Lane 0 of the review block: is person i's usage record of `day` examined?
  [[nodiscard]] bool examined(const RegimeContext& ctx, std::size_t i, std::uint32_t day) const {
    return ctx.rng.uniform4(static_cast<std::uint32_t>(i), day, Purpose::audit, kReviewBlock).u[0] < p_.detection;
  }
  /// A person's perceived chance of being audited in a period, after `seen` periods of which she was
  /// audited in `audited`: the announced probability weighted as selection_prior_periods periods.
  [[nodiscard]] double selection_chance(double seen, double audited) const {
    const double prior = p_.selection_prior_periods;
    return prior + seen > 0 ? (p_.probability * prior + audited) / (prior + seen) : p_.probability;
  }
  /// The chance that a script running throughout a period is found, at a per-day detection d.
  [[nodiscard]] double script_found_probability(double d) const {
    return 1.0 - std::pow(1.0 - d, cadence_days(p_.cadence));
  }

  AuditParams p_;
  std::vector<std::uint8_t> audited_;
  std::vector<std::uint8_t> examined_ = std::vector<std::uint8_t>(audited_.size(), 0);  ///< today's examination of the audited (apply)
  int examined_day_ = -1;                                                               ///< the day examined_ was drawn for
  std::vector<double> draw_ = std::vector<double>(audited_.size(), 1.0);                ///< the period-end selection draw (lowest first)
  std::vector<double> attention_;    ///< per team: the manager's review hours available (accrued, saved up to a cap)
  std::vector<double> found_hours_;  ///< performative hours on the examined days of the period
  std::vector<std::uint8_t> script_found_;
  std::vector<std::uint16_t> offend_days_;    ///< days of the audited period with padding or a script
  std::vector<std::uint16_t> found_days_;     ///< of those, the days the audit examined
  std::vector<float> perceived_;              ///< each person's perceived detection (learned from her own audits)
  std::vector<float> script_belief_;          ///< 1 - (1 - perceived_)^L, kept so that apply() takes no pow per person and day
  std::vector<float> selected_belief_;        ///< each person's perceived chance of being audited in a period (learned)
  std::vector<std::uint16_t> periods_seen_;   ///< period ends she has seen since her hire (the selections she saw)
  std::vector<std::uint16_t> times_audited_;  ///< of those, the selections that chose her
  HireTracker hires_;
};

}  // namespace

RegimeInfo audit_regime() {
  return {"audit",
          "Audits (a modifier: combine with another regime in a `hybrid`). A share of people is audited each period, chosen by "
          "their team managers from the dashboard (the highest measured usage first) or at random; the review examines a random sample of "
          "their days and fines the performative use it finds, misses the rest, and "
          "wrongly flags some honest people; everyone expects the fine ex ante.",
          &make_config<AuditParams, AuditRegime>};
}

}  // namespace kpisim

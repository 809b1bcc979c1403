// Regime `leaderboard`: a rank-order tournament on measured AI usage (tokens or sessions).
//
// Each period the measured tokens (or sessions) of the period are ranked. The top `top_share` win `prize_usd`
// plus the felt value of the title (`status_usd`); the bottom `bottom_share` are shamed (a felt
// penalty `shame_usd` and a hindrance demand). Ranks are published `lag_days` after the period
// ends; until the next publication each person's marginal incentive per token is the prize
// spread times the density of the score difference with her marginal competitor across the cutoff
// (rules::contest_marginal): a winner's is the best loser, a loser's the worst winner; at the bottom
// the best of the shamed for the rest, the worst of the rest for the shamed. The perceived noise is `noise_cv` times the cutoff (at least
// `noise_cv` times a typical period's score: measurement.kpi_reference_tokens or _sessions a
// working day). Someone hired since the last ranking is not shamed and feels no incentive yet. Before the first publication people gauge
// the race each working day from the scores so far, extrapolated to the whole period. People far above
// or far below the cutoff feel almost no incentive; those near it, a strong one (Lazear & Rosen).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>

#include <tbb/parallel_invoke.h>

#include "kpisim/core/error.hpp"
#include "kpisim/core/parallel.hpp"
#include "kpisim/model/rules.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/config_of.hpp"
#include "kpisim/regimes/period.hpp"

namespace kpisim {
namespace {

enum class UsageMetric : std::uint8_t { tokens, sessions };

struct LeaderboardParams {
  UsageMetric metric = UsageMetric::tokens;
  Cadence cadence = Cadence::weekly;
  double top_share = 0.05;
  double prize_usd = 200.0;
  double status_usd = 300.0;
  double bottom_share = 0.10;
  double shame_usd = 100.0;
  double shame = 0.3;
  double noise_cv = 0.3;
  rules::ContestNoise noise = rules::ContestNoise::normal;
  int lag_days = 0;
  double expectation_rate = 0.3;

  template <class V>
  void visit(V& v) {
    v.choice("metric", metric,
             std::array{params::Choice<UsageMetric>{"tokens", UsageMetric::tokens},
                        params::Choice<UsageMetric>{"sessions", UsageMetric::sessions}},
             {"what is ranked: measured tokens or AI sessions (uses)", "token leaderboards at large tech firms"});
    v.choice("cadence", cadence, kCadenceChoices, {"how often the leaderboard is published", "assumption (weekly)"});
    v.num("top_share", top_share, {"1", 0, 1, "share of people at the top who win", "assumption"});
    v.num("prize_usd", prize_usd, {"USD", 0, 1e7, "money prize per winner per period", "assumption"});
    v.num("status_usd", status_usd,
          {"USD", 0, 1e7, "felt value of a title and visibility per period", "token leaderboard titles for top users"});
    v.num("bottom_share", bottom_share, {"1", 0, 1, "share of people at the bottom who are shamed", "assumption"});
    v.num("shame_usd", shame_usd, {"USD", 0, 1e7, "felt penalty of being at the bottom per period", "assumption"});
    v.num("shame", shame, {"1", 0, 10, "hindrance demand added by being shamed (decays 10%/day)", "assumption"});
    v.num("noise_cv", noise_cv, {"1", 0.001, 10, "perceived noise of scores relative to the cutoff", "assumption"});
    v.choice("noise", noise,
             std::array{params::Choice<rules::ContestNoise>{"normal", rules::ContestNoise::normal},
                        params::Choice<rules::ContestNoise>{"uniform", rules::ContestNoise::uniform}},
             {"shape of the perceived noise (uniform: on +-noise_cv*cutoff)", "Lazear & Rosen 1981"});
    v.integer("lag_days", lag_days,
              {"day", 0, 365, "days between the end of a period and publication (shorter than the period)", "assumption"});
    v.num("expectation_rate", expectation_rate,
          {"1", 0.01, 1,
           "weight of a newly published cutoff in the cutoff people expect for the next period (adaptive expectations; 1: the last "
           "one only, which lets large prizes drive a cobweb cycle)",
           "assumption (Nerlove 1958)"});
  }
  void check(const std::string& path, int line, int col, Diagnostics& diag) const {
    if (lag_days >= cadence_days(cadence))
      diag.error(line, col,
                 fmt::format("{}.lag_days ({}) must be shorter than the {} period ({} days)", path, lag_days, to_string(cadence),
                             cadence_days(cadence)));
  }
};

/// The usage contest a person's script could change (docs/model.md 7.5): the stake (USD per
/// period), the gap from her own score to her rival's across the cutoff and the perceived noise of the difference,
/// both in units of her full script's contribution to the period's score.
struct Contest {
  float stake = 0.0F, gap = 0.0F, sigma = 0.0F;
};

/// Change in the probability of passing a threshold `gap` away (noise sd `sigma`) from adding `add`.
inline double passing_change(double add, double gap, double sigma) {
  if (!(sigma > 0)) return 0.0;
  const double z_with = (add - gap) / sigma;
  const double z_without = -gap / sigma;
  // Far on the same side of the threshold either way (most people): the chances differ by < 1e-15.
  if ((z_with < -8.0 && z_without < -8.0) || (z_with > 8.0 && z_without > 8.0)) return 0.0;
  return rules::normal_cdf(z_with) - rules::normal_cdf(z_without);
}

class LeaderboardRegime final : public Regime {
 public:
  LeaderboardRegime(const LeaderboardParams& p, const ModelSpec& spec, const Scope& scope)
      : p_(p),
        window_(spec.employees, 0.0),
        own_padding_(spec.employees, 0.0),
        slope_(spec.employees, 0.0F),
        pending_(spec.employees, 0.0F),
        stake_(spec.employees, 0.0F),
        pending_stake_(spec.employees, 0.0F),
        contest_(spec.employees),
        pending_contest_(spec.employees),
        ranked_(spec.employees),
        ranked_bottom_(spec.employees),
        hires_(spec.employees),
        fresh_(spec.employees, 0),
        noise_floor_(workdays_per_period(p.cadence) * (p.metric == UsageMetric::tokens
                                                           ? spec.scenario.measurement.kpi_reference_tokens
                                                           : spec.scenario.measurement.kpi_reference_sessions)) {
    // The ranked population: everyone, or the slots in the policy's scope in slot order (7.15.8).
    if (!scope.all)
      for (std::size_t i = 0; i < spec.employees; ++i)
        if (scope.has_person(i)) scoped_.push_back(static_cast<std::uint32_t>(i));
  }

  void apply(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    if (publish_day_ >= 0 && ctx.day >= publish_day_) {
      std::swap(slope_, pending_);
      std::swap(stake_, pending_stake_);
      std::swap(contest_, pending_contest_);
      publish_day_ = -1;
    }
    auto& column = p_.metric == UsageMetric::tokens ? w.inc_usage : w.inc_sessions;
    for (const auto* c : {&column, &w.inc_usage_cap, &w.contest_stake, &w.contest_gap, &w.contest_sigma}) w.wrote(*c);
    // The most the race can be worth to each person, per day: the stake of the cutoff her marginal
    // comes from (the prize and the title at the top, escaping the shame at the bottom), spread over
    // the period. It bounds the expected prize of a large jump in usage (a script), which the
    // marginal alone would not (scripting.hpp).
    const double per_day = weight / cadence_days(p_.cadence);
    // Person by person, in parallel blocks (each person's columns only: the same bits at any thread
    // count). Local pointers and selects in place of the branch let the loop vectorise (the same
    // operations, so the same bits; an entry not taken is rewritten with its own value).
    float* const marginal = column.data();
    float* const cap = w.inc_usage_cap.data();
    float* const contest_stake = w.contest_stake.data();
    float* const contest_gap = w.contest_gap.data();
    float* const contest_sigma = w.contest_sigma.data();
    const float* const slope = slope_.data();
    const float* const stake = stake_.data();
    const Contest* const contest = contest_.data();
    for_blocks(w.n, [=](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) {
        marginal[i] += static_cast<float>(weight * slope[i]);
        cap[i] += static_cast<float>(per_day * stake[i]);
        // The contest her script could change (docs/model.md 7.5); in a hybrid, the one with the larger stake.
        const Contest k = contest[i];
        const auto k_stake = static_cast<float>(per_day * k.stake);
        const bool larger = k_stake > contest_stake[i];
        contest_stake[i] = larger ? k_stake : contest_stake[i];
        contest_gap[i] = larger ? k.gap : contest_gap[i];
        contest_sigma[i] = larger ? k.sigma : contest_sigma[i];
      }
    });
  }

  void end_of_day(RegimeContext& ctx, double weight) override {
    World& w = ctx.world;
    const bool period_end = is_period_end(ctx.day, p_.cadence);
    const bool provisional = !period_end && !published_ && is_workday(ctx.day);
    // Everyone's window gains the day's usage in a loop that vectorises; then the few new hires
    // (hired at the end of today) are reset: they start with an empty score and no published
    // standing yet (the same values as skipping their addition).
    const bool tokens = p_.metric == UsageMetric::tokens;
    double* const window = window_.data();
    double* const own = own_padding_.data();
    const float* const usage = tokens ? w.measured_tokens.data() : w.measured_sessions.data();
    const float* const padding = w.performative_tokens.data();
    for_blocks(w.n, [&](std::size_t /*block*/, std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) window[i] += usage[i];
      if (tokens) {
#pragma omp simd
        for (std::size_t i = lo; i < hi; ++i) own[i] += padding[i];
      }
      hires_.each_replaced(w.hire_day, lo, hi, [&](std::size_t i) {
        window[i] = 0.0;
        own[i] = 0.0;
        slope_[i] = 0.0F;
        pending_[i] = 0.0F;
        stake_[i] = 0.0F;
        pending_stake_[i] = 0.0F;
        contest_[i] = Contest{};
        pending_contest_[i] = Contest{};
        fresh_[i] = 1;
      });
    });
    ++days_in_window_;
    if (period_end) {
      // (The standings also open the new window: everyone's score and padding back to 0.)
      standings(ctx, weight, 1.0, true, pending_, pending_stake_, pending_contest_);
      publish_day_ = ctx.day + 1 + p_.lag_days;
      published_ = true;
      days_in_window_ = 0;
    } else if (provisional) {
      // Before the first publication people gauge the race from what they see so far,
      // extrapolated to the whole period (no prizes yet).
      standings(ctx, weight, static_cast<double>(cadence_days(p_.cadence)) / days_in_window_, false, slope_, stake_, contest_);
    }
  }

  [[nodiscard]] KpiWeights kpi(int /*day*/) const override {
    KpiWeights k;
    (p_.metric == UsageMetric::tokens ? k.tokens : k.sessions) = 1.0;
    return k;
  }

 private:
  LeaderboardParams p_;
  std::vector<double> window_;
  std::vector<double> own_padding_;  ///< each person's own padding and scripted tokens in the window (she knows them)
  std::vector<float> slope_;
  std::vector<float> pending_;
  std::vector<float> stake_;  ///< the stake (USD per period) of the cutoff each person's marginal comes from
  std::vector<float> pending_stake_;
  std::vector<Contest> contest_;  ///< the cutoff each person's script could change (docs/model.md 7.5)
  std::vector<Contest> pending_contest_;
  /// A score and its person: selection moves these, so comparisons read no other array.
  struct Ranked {
    double score;
    std::uint32_t who;
  };
  std::vector<Ranked> ranked_;         ///< the candidate pairs of the top cutoff's selection
  std::vector<Ranked> ranked_bottom_;  ///< those of the bottom cutoff's (selected at the same time)
  std::vector<double> sample_;         ///< a sample of the scores, for the top cutoff's candidates
  std::vector<double> sample_bottom_;  ///< the same for the bottom cutoff's
  std::vector<std::uint32_t> scoped_;  ///< the slots in the policy's scope, in order (empty: everyone is ranked)
  std::vector<double> compact_;        ///< their windows, gathered for the ranking
  int publish_day_ = -1;
  HireTracker hires_;
  int days_in_window_ = 0;
  bool published_ = false;
  std::vector<std::uint8_t> fresh_;    ///< replaced since the last ranking: no standing yet
  std::vector<std::size_t> winners_;   ///< per block of the standings: how many won the prize
  double expected_top_ = 0.0;          ///< the best loser's score people expect for the coming period (adaptive expectations)
  double expected_top_beat_ = 0.0;     ///< the worst winner's
  double expected_bottom_ = 0.0;       ///< the best of the shamed's
  double expected_bottom_beat_ = 0.0;  ///< the worst of the rest's
  double noise_floor_;                 ///< smallest perceived noise: noise_cv x a typical period's usage (per-day reference x working days)

  /// The engine's total order of the (score, slot) pairs: higher scores first, equal scores by slot.
  static bool better(const Ranked& a, const Ranked& b) noexcept {
    return a.score != b.score ? a.score > b.score : a.who < b.who;
  }

  /// The pair at rank `pos` of the total order of the window's pairs, and the score at rank
  /// pos - 1 (0 when pos = 0). Exact whatever the scores: a sample of every kStride-th score bounds
  /// the cutoff's score, one pass over the window counts the pairs above the bounds and copies those
  /// within them (a few thousand at 100,000 people) into `buf`, and the selection runs on those.
  /// When the rank is not among them (the bounds are a guess), or the organisation is small, it runs
  /// on every pair: the same pair either way, since the rank of a pair in a total order does not
  /// depend on how it is found.
  struct Cut {
    Ranked entry{0.0, 0};
    double above = 0.0;
  };
  static Cut select_rank(const double* window, std::size_t n, std::size_t pos, std::vector<Ranked>& buf, std::vector<double>& sample) {
    constexpr std::size_t kStride = 32;
    constexpr std::size_t kMargin = 64;  // sample ranks each side of the estimate (about 5 sd at 100,000 people)
    std::size_t above = 0;               // pairs ranked before every candidate
    std::size_t m = 0;                   // candidates in buf[0, m)
    bool narrowed = false;
    if (n >= 4 * kStride * kMargin) {
      const std::size_t ns = n / kStride;
      sample.resize(ns);
      for (std::size_t r = 0; r < ns; ++r) sample[r] = window[r * kStride];
      // The sample's scores at ranks sr -+ kMargin (descending), around the estimate sr of the cutoff's.
      const std::size_t sr = pos / kStride;
      const auto at = [&](std::size_t r) {
        std::nth_element(sample.begin(), sample.begin() + static_cast<std::ptrdiff_t>(r), sample.end(), std::greater<>());
        return sample[r];
      };
      const double hi = sr >= kMargin ? at(sr - kMargin) : std::numeric_limits<double>::infinity();
      const double lo = sr + kMargin < ns ? at(sr + kMargin) : -std::numeric_limits<double>::infinity();
      // Everyone above hi ranks before everyone at or below it; everyone below lo after everyone
      // at or above it. Counted and copied without branches.
      for (std::size_t i = 0; i < n; ++i) {
        const double x = window[i];
        buf[m] = Ranked{x, static_cast<std::uint32_t>(i)};
        above += x > hi ? 1 : 0;
        m += !(x > hi) && x >= lo ? 1 : 0;
      }
      narrowed = above < pos && pos < above + m;
    }
    if (!narrowed) {
      above = 0;
      m = n;
      for (std::size_t i = 0; i < n; ++i) buf[i] = Ranked{window[i], static_cast<std::uint32_t>(i)};
    }
    const auto first = buf.begin();
    const auto nth = first + static_cast<std::ptrdiff_t>(pos - above);
    std::nth_element(first, nth, first + static_cast<std::ptrdiff_t>(m), better);
    Cut c;
    c.entry = *nth;
    // The worst of those the selection left before it (pos - 1 >= above when narrowed).
    if (pos > above) c.above = std::max_element(first, nth, better)->score;
    return c;
  }

  // Ranks the window (scaled by `extrapolate`), pays prizes and shames when `pay` (and then opens
  // the new window: scores, padding and the fresh marks back to 0), and writes each person's
  // marginal incentive per token for the coming period into `out`.
  void standings(RegimeContext& ctx, double weight, double extrapolate, bool pay, std::vector<float>& out, std::vector<float>& out_stake,
                 std::vector<Contest>& out_contest) {
    World& w = ctx.world;
    // Only the people in the policy's scope are ranked (7.15.8): their scores are gathered in slot
    // order, so that the order of (score, position) among them is the order of (score, slot).
    const bool all = scope().all;
    const std::size_t n = all ? w.n : scoped_.size();
    const std::uint32_t* const slot_of = all ? nullptr : scoped_.data();
    const auto slot = [slot_of](std::size_t j) { return slot_of == nullptr ? j : static_cast<std::size_t>(slot_of[j]); };
    if (!all) {
      compact_.resize(n);
      for (std::size_t j = 0; j < n; ++j) compact_[j] = window_[scoped_[j]];
    }
    const auto n_top = static_cast<std::size_t>(std::ceil(p_.top_share * static_cast<double>(n)));
    const auto n_bottom = static_cast<std::size_t>(std::floor(p_.bottom_share * static_cast<double>(n)));
    // Each side of a cutoff is measured against its marginal rival across it (Lazear & Rosen 1981;
    // docs/model.md 7.15.2): a winner against the best loser (the score she must stay above), a
    // loser against the worst winner (the score she must beat); at the bottom, the shamed against
    // the worst of the rest (the score they must beat to escape) and the rest against the best of
    // the shamed (the score they must stay above). The best loser and the best of the shamed are the
    // published cutoffs (they also set the perceived noise).
    double top_cut = 0.0;      // the best loser (rank n_top)
    double top_beat = 0.0;     // the worst winner (rank n_top - 1)
    double bottom_cut = 0.0;   // the best of the shamed (rank n - n_bottom)
    double bottom_beat = 0.0;  // the worst of the rest (rank n - n_bottom - 1)
    // The entries at the two cutoffs: a person wins if she ranks above the best loser and is shamed
    // unless she ranks above the best of the shamed (the engine's total order, no stored ranks).
    Ranked top_entry{0.0, 0};
    Ranked bottom_entry{0.0, 0};
    const std::size_t top_pos = std::min(n_top, n - 1);
    const std::size_t bottom_pos = n - n_bottom;
    // Only the cutoffs and who is above or below them matter (a total order, so the same sets at
    // any thread count): selection among the candidates near each cutoff (select_rank), no sort.
    // The two cutoffs are selected at the same time, each in its own buffer. The marginal rival on
    // the other side of each cutoff is the pair just before it in the order. Winners are those
    // before the best loser (everyone when top_share is 1), the shamed the best of the shamed and
    // those after her: both are paid in the pass over everyone below (each person's own columns;
    // the day's total adds the same amount once per winner, after it).
    const double* const window = all ? window_.data() : compact_.data();  // the ranked scores
    tbb::parallel_invoke(
        [&] {
          if (n_top == 0) return;
          const Cut cut = select_rank(window, n, top_pos, ranked_, sample_);
          top_entry = cut.entry;
          top_cut = top_entry.score;
          if (n_top < n) top_beat = cut.above;  // the worst winner (rank n_top - 1)
        },
        [&] {
          if (n_bottom == 0) return;
          const Cut cut = select_rank(window, n, bottom_pos, ranked_bottom_, sample_bottom_);
          bottom_entry = cut.entry;
          bottom_cut = bottom_entry.score;
          // The worst of the rest (rank n - n_bottom - 1).
          if (n_bottom < n) bottom_beat = cut.above;
        });
    // The cutoffs' entries by slot, for each person's view below (the same order among the ranked).
    if (n_top > 0) top_entry.who = static_cast<std::uint32_t>(slot(top_entry.who));
    if (n_bottom > 0) bottom_entry.who = static_cast<std::uint32_t>(slot(bottom_entry.who));
    top_cut *= extrapolate;
    top_beat *= extrapolate;
    bottom_cut *= extrapolate;
    bottom_beat *= extrapolate;
    // People expect the coming period's rivals' scores from the published ones with adaptive
    // expectations: a best response to the last cutoff alone cycles when the prize is large
    // (everyone scripts, the cutoff soars, the race looks lost, they stop, it falls, they start
    // again). Each of the four reference scores is expected on its own, at the same rate, and each
    // person compares her score with the expected one of her side. The first publication, and
    // provisional standings, are taken as they are.
    if (pay) {
      const double r = published_ ? p_.expectation_rate : 1.0;
      expected_top_ += r * (top_cut - expected_top_);
      expected_top_beat_ += r * (top_beat - expected_top_beat_);
      expected_bottom_ += r * (bottom_cut - expected_bottom_);
      expected_bottom_beat_ += r * (bottom_beat - expected_bottom_beat_);
      top_cut = expected_top_;
      top_beat = expected_top_beat_;
      bottom_cut = expected_bottom_;
      bottom_beat = expected_bottom_beat_;
    }
    const double sigma_top = p_.noise_cv * std::max(top_cut, noise_floor_);
    const double sigma_bottom = p_.noise_cv * std::max(bottom_cut, noise_floor_);
    // Each person's view of the race, independently of everyone else's: in parallel (the same bits
    // at any thread count). Local copies and pointers keep the loops free of aliasing.
    const double top_stake = p_.prize_usd + p_.status_usd;
    const double shame_usd = p_.shame_usd;
    // When everyone wins (top_share 1) there is no cutoff to beat: no contest, no incentive.
    const bool top_on = n_top > 0 && n_top < n;
    // When everyone is shamed (bottom_share 1) there is no one to overtake: no contest either.
    const bool bottom_on = n_bottom > 0 && n_bottom < n;
    const double s_top = sigma_top * std::sqrt(2.0);
    const double s_bot = sigma_bottom * std::sqrt(2.0);
    const double period_days = static_cast<double>(cadence_days(p_.cadence));
    const Behaviour& b = ctx.spec.scenario.behaviour;
    const double script_day = p_.metric == UsageMetric::tokens ? b.script_tokens_per_day : b.script_sessions_per_day;
    const double top_entry_score = top_entry.score, bottom_entry_score = bottom_entry.score;
    const std::size_t top_entry_who = top_entry.who, bottom_entry_who = bottom_entry.who;
    double* const own = own_padding_.data();
    double* const window_w = window_.data();
    const double* const window_all = window_w;  // by slot
    const float* const script_scale = w.script_scale.data();
    std::uint8_t* const fresh = fresh_.data();
    const float* const in_scope = scope().person.data();  // 0 outside the policy's scope: no standing, no prize, no shame
    // The prizes and the shame (when `pay`), and how many win in each block.
    const bool pay_top = pay && n_top > 0;
    const bool pay_bottom = pay && n_bottom > 0;
    const bool everyone_wins = n_top >= n;
    const auto prize_f = static_cast<float>(weight * p_.prize_usd);
    const auto shame_f = static_cast<float>(weight * p_.shame);
    float* const reward = w.reward_usd.data();
    float* const shame = w.shame.data();
    winners_.assign(block_count(w.n), 0);
    std::size_t* const winners = winners_.data();
    float* const marginal = out.data();
    float* const marginal_stake = out_stake.data();
    Contest* const contest = out_contest.data();
    // The noise model as a compile-time constant in each loop (the branch on it would keep the loop
    // from vectorising). Pieces of a block in three loops: the contest functions for everyone in
    // loops that vectorise (no conditions), then what they mean for each person.
    auto view = [=](std::size_t block, std::size_t lo, std::size_t hi, auto noise_model) {
      constexpr rules::ContestNoise noise = decltype(noise_model)::value;
      // Local copies of the captures: the loops below then vectorise (the closure's members would be
      // read through it on every iteration).
      const double* const window_l = window_all;
      const double* const own_l = own;
      const double extrapolate_l = extrapolate, top_cut_l = top_cut, top_beat_l = top_beat, bottom_cut_l = bottom_cut,
                   bottom_beat_l = bottom_beat;
      const double top_entry_score_l = top_entry_score, bottom_entry_score_l = bottom_entry_score;
      const std::size_t top_entry_who_l = top_entry_who, bottom_entry_who_l = bottom_entry_who;
      const double top_stake_l = top_stake, shame_usd_l = shame_usd, sigma_top_l = sigma_top, sigma_bottom_l = sigma_bottom;
      const bool pay_top_l = pay_top, pay_bottom_l = pay_bottom, everyone_wins_l = everyone_wins;
      const float prize_l = prize_f, shame_l = shame_f;
      float* const reward_l = reward;
      float* const shame_col = shame;
      const std::uint8_t* const fresh_l = fresh;
      const float* const in_scope_l = in_scope;
      // Local copies of the pointers: read through the closure, stores to them are scatters to GCC
      // (AVX2 has none, and the loop would stay scalar).
      double* const window_clear = window_w;
      double* const own_clear = own;
      unsigned won = 0;
      constexpr std::size_t kPiece = 256;
      double score[kPiece], ref_top[kPiece], ref_bot[kPiece], m_top[kPiece], m_bottom[kPiece], full[kPiece], g_top[kPiece], g_bot[kPiece];
      for (std::size_t p0 = lo; p0 < hi; p0 += kPiece) {
        const std::size_t len = std::min(kPiece, hi - p0);
#pragma omp simd
        for (std::size_t r = 0; r < len; ++r) {
          const std::size_t i = p0 + r;
          // Each person weighs more usage at the score she would have without her own padding: she
          // knows it, and judging a script by the score the script itself produced would make her stop
          // when it lifts her clear of the cutoff and start again when she falls back (a week-to-week
          // cycle).
          const double unpadded = window_l[i] - own_l[i];
          score[r] = extrapolate_l * (0.0 < unpadded ? unpadded : 0.0);  // std::max(0.0, unpadded) without a reference
          // Her side of each cutoff by the ranking (her whole window, ties by slot), and the rival's
          // score she is measured against: a winner the best loser's, a loser the worst winner's; the
          // rest the best of the shamed's, the shamed the worst of the rest's.
          const bool wins = window_l[i] > top_entry_score_l || (window_l[i] == top_entry_score_l && i < top_entry_who_l);
          const bool spared = window_l[i] > bottom_entry_score_l || (window_l[i] == bottom_entry_score_l && i < bottom_entry_who_l);
          ref_top[r] = wins ? top_cut_l : top_beat_l;
          ref_bot[r] = spared ? bottom_cut_l : bottom_beat_l;
          m_top[r] = rules::contest_marginal(top_stake_l, score[r], ref_top[r], sigma_top_l, noise);
          m_bottom[r] = rules::contest_marginal(shame_usd_l, score[r], ref_bot[r], sigma_bottom_l, noise);
        }
        // The contest her script could change: the cutoff (top or bottom) whose stake a full script
        // would move most, in units of her full script's contribution to the window (what person i's
        // full script adds to the ranked score per day, over the period).
#pragma omp simd
        for (std::size_t r = 0; r < len; ++r) {
          full[r] = period_days * (script_day * script_scale[p0 + r]);
          g_top[r] = top_stake * passing_change(full[r], ref_top[r] - score[r], s_top);
          g_bot[r] = shame_usd * passing_change(full[r], ref_bot[r] - score[r], s_bot);
        }
        for (std::size_t r = 0; r < len; ++r) {
          const std::size_t i = p0 + r;
          const double mt = top_on ? m_top[r] : 0.0;
          const double mb = bottom_on ? m_bottom[r] : 0.0;
          const double m = mt + mb;
          // New since the last ranking, or outside the policy's scope: no standing, no incentive.
          const bool is_fresh = fresh[i] != 0 || in_scope[i] == 0.0F;
          marginal[i] = is_fresh ? 0.0F : static_cast<float>(m);
          marginal_stake[i] = is_fresh || !(m > 0) ? 0.0F : static_cast<float>((mt * top_stake + mb * shame_usd) / m);
          const double gt = top_on ? g_top[r] : 0.0;
          const double gb = bottom_on ? g_bot[r] : 0.0;
          Contest k;
          if (!is_fresh && full[r] > 0 && (gt > 0 || gb > 0)) {
            const bool top = gt >= gb;
            k.stake = static_cast<float>(top ? top_stake : shame_usd);
            k.gap = static_cast<float>(((top ? ref_top[r] : ref_bot[r]) - score[r]) / full[r]);
            k.sigma = static_cast<float>((top ? s_top : s_bot) / full[r]);
          }
          contest[i] = k;
        }
        // At the end of a period, the prize for each winner and the shame for each of the shamed
        // (none for someone hired since the last ranking), by selects (an entry not paid is
        // rewritten as it is; bitwise operations, as conditions on the loop's invariants kept it
        // scalar); then the new period opens: empty windows, and no one new to the ranking.
        if (pay) {
#pragma omp simd reduction(+ : won)
          for (std::size_t r = 0; r < len; ++r) {
            const std::size_t i = p0 + r;
            const double x = window_l[i];
            const int wins = static_cast<int>(x > top_entry_score_l) |
                             (static_cast<int>(x == top_entry_score_l) & static_cast<int>(i < top_entry_who_l));
            const int spared = static_cast<int>(x > bottom_entry_score_l) |
                               (static_cast<int>(x == bottom_entry_score_l) & static_cast<int>(i < bottom_entry_who_l));
            const int in = static_cast<int>(in_scope_l[i] != 0.0F);
            const int paid = static_cast<int>(pay_top_l) & (static_cast<int>(everyone_wins_l) | wins) & in;
            const int shamed = static_cast<int>(pay_bottom_l) & (spared ^ 1) & static_cast<int>(fresh_l[i] == 0) & in;
            reward_l[i] = paid != 0 ? reward_l[i] + prize_l : reward_l[i];
            shame_col[i] = shamed != 0 ? shame_col[i] + shame_l : shame_col[i];
            won += static_cast<unsigned>(paid);
            window_clear[i] = 0.0;
            own_clear[i] = 0.0;
          }
          std::fill(fresh + p0, fresh + p0 + len, std::uint8_t{0});
        }
      }
      winners[block] = won;
    };
    for_blocks(w.n, [&](std::size_t block, std::size_t lo, std::size_t hi) {
      if (p_.noise == rules::ContestNoise::normal)
        view(block, lo, hi, std::integral_constant<rules::ContestNoise, rules::ContestNoise::normal>{});
      else
        view(block, lo, hi, std::integral_constant<rules::ContestNoise, rules::ContestNoise::uniform>{});
    });
    // The day's total gains the prize once per winner (the same additions as paying them one by one).
    const double prize = weight * p_.prize_usd;
    for (const std::size_t count : winners_)
      for (std::size_t j = 0; j < count; ++j) w.rewards_paid_today += prize;
  }
};

}  // namespace

RegimeInfo leaderboard_regime() {
  return {"leaderboard",
          "A usage leaderboard: people are ranked on measured tokens each period; the top share win a prize and a title, "
          "the bottom share are shamed. A rank-order tournament (Lazear & Rosen 1981): the incentive is strongest near the "
          "cutoffs and depends on the prize spread, not its level.",
          &make_config<LeaderboardParams, LeaderboardRegime>};
}

}  // namespace kpisim

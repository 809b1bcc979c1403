#include "kpisim/model/allocation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kpisim {
namespace {

// Sum of clamp((a_j - theta)/k, 0, cap_j).
double total_at(const AllocationProblem& p, double k, double theta) noexcept {
  double s = 0.0;
  for (std::size_t j = 0; j < p.n; ++j) s += std::clamp((p.a[j] - theta) / k, 0.0, p.cap[j]);
  return s;
}

// Finds theta with  theta - slope_delta * S(theta) = target  (slope_delta = delta, target = mu)
// when `fixed_total` < 0, or with S(theta) = fixed_total otherwise. Both left-hand sides are
// monotone and piecewise linear in theta, so the root is exact up to rounding.
double solve_theta(const AllocationProblem& p, double k, double slope_delta, double target, double fixed_total) noexcept {
  std::array<double, 2 * kMaxActivities> bp{};
  std::size_t m = 0;
  for (std::size_t j = 0; j < p.n; ++j) {
    bp[m++] = p.a[j];
    bp[m++] = p.a[j] - k * p.cap[j];
  }
  for (std::size_t i = 1; i < m; ++i) {  // insertion sort: at most 16 values
    const double v = bp[i];
    std::size_t j = i;
    for (; j > 0 && bp[j - 1] > v; --j) bp[j] = bp[j - 1];
    bp[j] = v;
  }
  // g(theta) is increasing in theta for both equations.
  auto g = [&](double theta) {
    const double s = total_at(p, k, theta);
    return fixed_total < 0 ? theta - slope_delta * s - target : fixed_total - s;
  };
  // Find the segment [lo, hi] of consecutive breakpoints (extended to +-inf) holding the root.
  double lo = -1e300;
  double hi = 1e300;
  for (std::size_t i = 0; i < m; ++i) {
    if (g(bp[i]) >= 0.0) {
      hi = bp[i];
      lo = i > 0 ? bp[i - 1] : -1e300;
      break;
    }
    lo = bp[i];
  }
  // Inside the segment S is linear: S(theta) = A - B*theta with B = (#free)/k.
  const double mid = (lo > -1e299 && hi < 1e299) ? 0.5 * (lo + hi) : (lo > -1e299 ? lo + 1.0 : hi - 1.0);
  double a_sum = 0.0;
  double free_count = 0.0;
  for (std::size_t j = 0; j < p.n; ++j) {
    const double tj = (p.a[j] - mid) / k;
    if (tj <= 0.0) continue;
    if (tj >= p.cap[j]) {
      a_sum += p.cap[j];
    } else {
      a_sum += p.a[j] / k;
      free_count += 1.0;
    }
  }
  const double b = free_count / k;
  double theta = 0.0;
  if (fixed_total < 0) {
    // theta - delta*(A - B theta) = target  ->  theta (1 + delta B) = target + delta A
    theta = (target + slope_delta * a_sum) / (1.0 + slope_delta * b);
  } else {
    // A - B theta = fixed_total
    theta = b > 0.0 ? (a_sum - fixed_total) / b : mid;
  }
  return std::clamp(theta, lo, hi);
}

Allocation allocate_positive(const AllocationProblem& p, double k) noexcept;

Allocation allocate_linear(const AllocationProblem& p) noexcept {
  // Perfect substitutes (c == delta): the cost depends only on the total, (c/2) S^2. Fill the
  // activities in decreasing order of a_j while the marginal a_j - c*S stays positive.
  Allocation x;
  std::array<std::size_t, kMaxActivities> order{};
  for (std::size_t j = 0; j < p.n; ++j) order[j] = j;
  std::stable_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(p.n),
                   [&](std::size_t i, std::size_t j) { return p.a[i] > p.a[j]; });
  double s = 0.0;
  for (std::size_t r = 0; r < p.n; ++r) {
    const std::size_t j = order[r];
    if (p.a[j] <= 0.0) break;
    double room = std::min(p.cap[j], p.budget - s);
    if (p.c > 0.0) room = std::min(room, std::max(0.0, p.a[j] / p.c - s));
    if (room <= 0.0) break;
    x.t[j] = room;
    s += room;
  }
  x.total = s;
  return x;
}

}  // namespace

Allocation allocate(const AllocationProblem& p_in) noexcept {
  const double k = p_in.c - p_in.delta;
  if (!(k > 1e-12 * std::max(1.0, p_in.c))) return allocate_linear(p_in);
  // theta = mu + delta*S >= 0, so an activity with a_j <= 0 is never done: solve without it.
  AllocationProblem p = p_in;
  std::array<std::size_t, kMaxActivities> index{};
  std::size_t m = 0;
  for (std::size_t j = 0; j < p_in.n; ++j)
    if (p_in.a[j] > 0.0 && p_in.cap[j] > 0.0) {
      p.a[m] = p_in.a[j];
      p.cap[m] = p_in.cap[j];
      index[m++] = j;
    }
  p.n = m;
  if (m == 0) return {};
  Allocation x = allocate_positive(p, k);
  Allocation out;
  out.total = x.total;
  out.multiplier = x.multiplier;
  for (std::size_t r = 0; r < m; ++r) out.t[index[r]] = x.t[r];
  return out;
}

namespace {
Allocation allocate_positive(const AllocationProblem& p, double k) noexcept {
  Allocation x;
  {
    // Fast path with the budget slack (mu = 0): active-set iteration. With F the free activities
    // and U those at their cap, theta = delta*S and S = sum_F (a_j - theta)/k + sum_U cap_j give
    // theta = delta*(A_F + k*C_U)/(k + delta*|F|). Reclassify until the KKT conditions hold
    // (usually one or two rounds); fall back to the exact breakpoint search otherwise.
    enum : unsigned char { kFree, kZero, kCap };
    const double inv_k = 1.0 / k;  // (allocate_batch() uses the same arithmetic)
    std::array<unsigned char, kMaxActivities> state{};
    for (int round = 0; round < 8; ++round) {
      double a_free = 0.0, c_cap = 0.0, n_free = 0.0;
      for (std::size_t j = 0; j < p.n; ++j) {
        if (state[j] == kFree) {
          a_free += p.a[j];
          n_free += 1.0;
        } else if (state[j] == kCap) {
          c_cap += p.cap[j];
        }
      }
      const double theta = p.delta * (a_free + k * c_cap) / (k + p.delta * n_free);
      bool changed = false;
      double total = 0.0;
      for (std::size_t j = 0; j < p.n; ++j) {
        const double t = (p.a[j] - theta) * inv_k;
        const unsigned char want = t <= 0.0 ? kZero : (t >= p.cap[j] ? kCap : kFree);
        changed = changed || want != state[j];
        state[j] = want;
        x.t[j] = want == kZero ? 0.0 : (want == kCap ? p.cap[j] : t);
        total += x.t[j];
      }
      if (changed) continue;
      if (total <= p.budget) {
        x.total = total;
        return x;
      }
      break;  // the budget binds: exact search below
    }
    x = Allocation{};
  }
  // Unconstrained by the budget (mu = 0): theta = delta * S(theta).
  double theta = solve_theta(p, k, p.delta, 0.0, -1.0);
  double s = total_at(p, k, theta);
  if (s > p.budget) {
    // Budget binds: S(theta) = budget, mu = theta - delta * budget >= 0.
    theta = solve_theta(p, k, p.delta, 0.0, p.budget);
    x.multiplier = std::max(0.0, theta - p.delta * p.budget);
  }
  double total = 0.0;
  for (std::size_t j = 0; j < p.n; ++j) {
    x.t[j] = std::clamp((p.a[j] - theta) / k, 0.0, p.cap[j]);
    total += x.t[j];
  }
  // With very large marginal utilities rounding can overshoot the budget by a few ulps.
  if (total > p.budget) {
    const double scale = p.budget / total;
    total = 0.0;
    for (std::size_t j = 0; j < p.n; ++j) {
      x.t[j] *= scale;
      total += x.t[j];
    }
    total = std::min(total, p.budget);
  }
  x.total = total;
  return x;
}
}  // namespace

double allocation_utility(const AllocationProblem& p, const Allocation& x) noexcept {
  double u = 0.0;
  double s = 0.0;
  double sq = 0.0;
  for (std::size_t j = 0; j < p.n; ++j) {
    u += p.a[j] * x.t[j];
    s += x.t[j];
    sq += x.t[j] * x.t[j];
  }
  // sum_{j<l} t_j t_l = (S^2 - sum t^2)/2
  return u - 0.5 * p.c * sq - p.delta * 0.5 * (s * s - sq);
}

namespace {
constexpr int kActiveSetRounds = 4;  // vectorised active-set rounds before the scalar fallback
constexpr int kM = static_cast<int>(kBatchActivities);

// The active set of one problem in allocate_batch(): per activity, admissible (a > 0 and cap > 0),
// free, at its cap, all 0 or 1 and combined by arithmetic (exact with 0 and 1) rather than branches,
// so that the loops calling it vectorise; and the hours t at the current theta.
struct ActiveSet {
  double ok[kM], fr[kM], cp[kM], t[kM];

  [[gnu::always_inline]] inline void start(const double (&a)[kM], const double (&cap)[kM]) {
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      ok[q] = a[q] > 0.0 ? (cap[q] > 0.0 ? 1.0 : 0.0) : 0.0;
      fr[q] = ok[q];
      cp[q] = 0.0;
      t[q] = 0.0;
    }
  }
  /// A_F (sum of the free activities' a), C_U (sum of the capped activities' caps) and |F|.
  [[gnu::always_inline]] inline void sums(const double (&a)[kM], const double (&cap)[kM], double& a_free, double& c_cap,
                                          double& n_free) const {
    a_free = c_cap = n_free = 0.0;
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      a_free += fr[q] * a[q];
      c_cap += cp[q] * cap[q];
      n_free += fr[q];
    }
  }
  /// Classifies every activity at theta and sets t; returns a count of changes (0: settled) and
  /// adds the hours to `total`.
  [[gnu::always_inline]] inline double reclassify(const double (&a)[kM], const double (&cap)[kM], double theta, double inv_k,
                                                  double& total) {
    double changed = 0.0;
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      const double tq = (a[q] - theta) * inv_k;
      const double positive = tq > 0.0 ? ok[q] : 0.0;
      const double u = tq >= cap[q] ? positive : 0.0;
      const double f = positive - u;
      changed += std::fabs(f - fr[q]) + std::fabs(u - cp[q]);
      fr[q] = f;
      cp[q] = u;
      t[q] = positive * std::min(tq, cap[q]) + 0.0;  // + 0.0: no negative zeros
      total += t[q];
    }
    return changed;
  }
};
/// Problem j of a batch given as columns (allocate_batch(), limit_to_base()).
AllocationProblem column_problem(std::size_t j, double c, double delta, const double* const a[kBatchActivities],
                                 const double* const cap[kBatchActivities], const double* budget) noexcept {
  AllocationProblem prob;
  prob.n = kBatchActivities;
  prob.c = c;
  prob.delta = delta;
  prob.budget = budget[j];
  for (std::size_t q = 0; q < kBatchActivities; ++q) {
    prob.a[q] = a[q][j];
    prob.cap[q] = cap[q][j];
  }
  return prob;
}

/// `Rounds` budget-slack rounds (mu = 0: theta = delta*(A_F + k*C_U)/(k + delta*|F|), the rounds of
/// allocate()) from the active set `set`; returns the last round's count of changes (0: settled) and
/// its hours in set.t and `total`.
template <int Rounds>
[[gnu::always_inline]] inline double slack_steps(ActiveSet& set, const double (&av)[kM], const double (&cv)[kM], double k, double delta,
                                                 double inv_k, double& total) noexcept {
  double changed = 1.0;
#pragma GCC unroll 8
  for (int round = 0; round < Rounds; ++round) {
    double a_free = 0.0, c_cap = 0.0, n_free = 0.0;
    set.sums(av, cv, a_free, c_cap, n_free);
    const double theta = delta * (a_free + k * c_cap) / (k + delta * n_free);
    total = 0.0;
    changed = set.reclassify(av, cv, theta, inv_k, total);
  }
  return changed;
}

constexpr std::size_t kSlackPiece = 128;
/// Gathered rows are padded to a multiple of this many with copies of row 0 (their results unused),
/// so that the vectorised loops over them run whole vectors (8 lanes with AVX-512) and never their
/// scalar remainder, which takes most of a short loop's time.
constexpr std::size_t kLanes = 8;
static_assert(kSlackPiece % kLanes == 0, "a padded piece fits its rows");
[[nodiscard]] inline std::size_t padded(std::size_t m) noexcept {
  return (m + kLanes - 1) / kLanes * kLanes;
}
/// The budget-slack rounds of allocate_batch() for problems [0, len <= kSlackPiece) of the columns:
/// writes t and, per problem, solved (settled within the budget: the bits allocate() gives) and
/// binding (settled over the budget). Not inlined: in its callers, with their own gathered rows, GCC
/// 12 left every loop scalar; the column pointers are copied into locals so that the loops vectorise.
[[gnu::noinline]] void slack_rounds(std::size_t len, double k, double delta, double inv_k, const double* const a_in[kM],
                                    const double* const cap_in[kM], const double* budget, double* const t_in[kM], double* solved,
                                    double* binding) noexcept {
  const double* a[kM];
  const double* cap[kM];
  double* t[kM];
  for (int q = 0; q < kM; ++q) {
    a[q] = a_in[q];
    cap[q] = cap_in[q];
    t[q] = t_in[q];
  }
#pragma omp simd
  for (std::size_t j = 0; j < len; ++j) {
    double av[kM], cv[kM];
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      av[q] = a[q][j];
      cv[q] = cap[q][j];
    }
    ActiveSet set;
    set.start(av, cv);
    double total = 0.0;
    const double changed = slack_steps<kActiveSetRounds>(set, av, cv, k, delta, inv_k, total);
    solved[j] = changed == 0.0 ? (total <= budget[j] ? 1.0 : 0.0) : 0.0;
    binding[j] = changed == 0.0 ? (total <= budget[j] ? 0.0 : 1.0) : 0.0;
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) t[q][j] = set.t[q];
  }
}

/// std::clamp(v, lo, hi) by value (the same result: lo if v < lo, else hi if hi < v, else v).
[[gnu::always_inline]] inline double clamp_value(double v, double lo, double hi) noexcept {
  const double below_hi = hi < v ? hi : v;
  return v < lo ? lo : below_hi;
}

/// x, y = min, max (a compare-exchange of a sorting network).
[[gnu::always_inline]] inline void order(double& x, double& y) noexcept {
  const double lo = y < x ? y : x;
  const double hi = y < x ? x : y;
  x = lo;
  y = hi;
}

/// S(theta) = sum_j clamp((a_j - theta)/k, 0, cap_j) over the admissible activities (ok), as
/// total_at() in allocate() (an activity it drops adds an exact zero).
[[gnu::always_inline]] inline double sum_at(const double (&av)[kM], const double (&cv)[kM], const double (&ok)[kM], double k,
                                            double theta) noexcept {
  double sum = 0.0;
#pragma GCC unroll 4
  for (int q = 0; q < kM; ++q) {
    const double x = clamp_value((av[q] - theta) / k, 0.0, cv[q]);
    sum += ok[q] != 0.0 ? x : 0.0;
  }
  return sum;
}

/// solve_theta() without branches, from the sorted breakpoints bp and S at each (s_bp): theta with
/// theta - delta S(theta) = 0 (fixed < 0) or S(theta) = fixed. Flags are doubles, 0 or 1, as in
/// ActiveSet (with a bool GCC vectorises nothing of the loop).
[[gnu::always_inline]] inline double root(const double (&bp)[2 * kM], const double (&s_bp)[2 * kM], const double (&av)[kM],
                                          const double (&cv)[kM], const double (&ok)[kM], double k, double delta, double fixed) noexcept {
  double lo = -1e300, hi = 1e300;
  double found = 0.0;
  double prev = -1e300;  // the breakpoint before bp[i] (a variable: with bp[i - 1] GCC left the loop scalar)
#pragma GCC unroll 8
  for (int i = 0; i < 2 * kM; ++i) {
    const double sum = s_bp[i];
    const double g = fixed < 0 ? bp[i] - delta * sum - 0.0 : fixed - sum;
    const double ge = g >= 0.0 ? 1.0 : 0.0;
    const double take = ge - ge * found;  // the first breakpoint with g >= 0
    const double lo_here = ge != 0.0 ? prev : bp[i];
    lo = found != 0.0 ? lo : lo_here;
    hi = take != 0.0 ? bp[i] : hi;
    found += take;
    prev = bp[i];
  }
  // (lo > -1e299 && hi < 1e299 ? 0.5 (lo + hi) : ...) with selects only.
  const double mid_finite_lo = hi < 1e299 ? 0.5 * (lo + hi) : lo + 1.0;
  const double mid = lo > -1e299 ? mid_finite_lo : hi - 1.0;
  double a_sum = 0.0;
  double free_count = 0.0;
#pragma GCC unroll 4
  for (int q = 0; q < kM; ++q) {
    const double tj = (av[q] - mid) / k;
    const double in = tj > 0.0 ? ok[q] : 0.0;
    const double here = tj >= cv[q] ? cv[q] : av[q] / k;
    const double free_here = tj >= cv[q] ? 0.0 : 1.0;
    a_sum += in != 0.0 ? here : 0.0;
    free_count += in != 0.0 ? free_here : 0.0;
  }
  const double b = free_count / k;
  const double fixed_theta = b > 0.0 ? (a_sum - fixed) / b : mid;
  const double theta = fixed < 0 ? (0.0 + delta * a_sum) / (1.0 + delta * b) : fixed_theta;
  return clamp_value(theta, lo, hi);
}

/// allocate() for rows [0, len) of contiguous columns (len a multiple of kLanes; k = c - delta not
/// near 0), in a loop that vectorises, with allocate()'s operations in its order (so its bits): the
/// budget-slack rounds (eight at most); where they do not settle within the budget, the breakpoint
/// search of solve_theta() with the budget slack and, if the total then exceeds the budget, with
/// S = budget; the hours at that theta, scaled down if rounding overshoots the budget. Branches
/// become selects; a problem's activities that allocate() drops (a <= 0 or cap <= 0) add exact
/// zeros to its sums, and their breakpoints are 1e300, past every real one, where the search's
/// upper end already is. kOver: rows whose budget-slack rounds are known to settle over the budget
/// (in allocate_batch's or slack_rounds()'s four rounds; allocate() settles them the same way and goes
/// on to the search), so the rounds are skipped.
template <bool kOver>
[[gnu::noinline]] void exact_rows(std::size_t len, double k, double delta, double inv_k, const double (*ab)[kSlackPiece],
                                  const double (*cb)[kSlackPiece], const double* bb, double (*tb)[kSlackPiece]) noexcept {
  constexpr int kB = 2 * kM;  // breakpoints
#pragma omp simd
  for (std::size_t r = 0; r < len; ++r) {
    double av[kM], cv[kM];
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      av[q] = ab[q][r];
      cv[q] = cb[q][r];
    }
    const double bud = bb[r];
    ActiveSet set;
    set.start(av, cv);
    // (Flags are doubles, 0 or 1, as in ActiveSet: GCC vectorises none of this with a bool.)
    double slack_done = 0.0;
    if constexpr (!kOver) {
      double slack_total = 0.0;
      const double changed = slack_steps<8>(set, av, cv, k, delta, inv_k, slack_total);
      slack_done = changed == 0.0 ? (slack_total <= bud ? 1.0 : 0.0) : 0.0;
    }
    // solve_theta(): the breakpoints a_j and a_j - k cap_j, sorted (a sorting network of min and max:
    // the same sorted values as the insertion sort).
    double bp[kB];
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      bp[q] = set.ok[q] != 0.0 ? av[q] : 1e300;  // (the order before sorting does not matter)
      bp[kM + q] = set.ok[q] != 0.0 ? av[q] - k * cv[q] : 1e300;
    }
    static_assert(kB == 8, "the sorting network sorts 8 values");
    order(bp[0], bp[2]);
    order(bp[1], bp[3]);
    order(bp[4], bp[6]);
    order(bp[5], bp[7]);
    order(bp[0], bp[4]);
    order(bp[1], bp[5]);
    order(bp[2], bp[6]);
    order(bp[3], bp[7]);
    order(bp[0], bp[1]);
    order(bp[2], bp[3]);
    order(bp[4], bp[5]);
    order(bp[6], bp[7]);
    order(bp[2], bp[4]);
    order(bp[3], bp[5]);
    order(bp[1], bp[4]);
    order(bp[3], bp[6]);
    order(bp[1], bp[2]);
    order(bp[3], bp[4]);
    order(bp[5], bp[6]);
    // S at each breakpoint, for both searches.
    double s_bp[kB];
#pragma GCC unroll 8
    for (int i = 0; i < kB; ++i) s_bp[i] = sum_at(av, cv, set.ok, k, bp[i]);
    double theta = root(bp, s_bp, av, cv, set.ok, k, delta, -1.0);
    const double s = sum_at(av, cv, set.ok, k, theta);
    theta = s > bud ? root(bp, s_bp, av, cv, set.ok, k, delta, bud) : theta;
    double x[kM];
    double total = 0.0;
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      const double v = clamp_value((av[q] - theta) / k, 0.0, cv[q]);
      x[q] = set.ok[q] != 0.0 ? v : 0.0;
      total += x[q];
    }
    // With very large marginal utilities rounding can overshoot the budget by a few ulps.
    const double scale = bud / total;
#pragma GCC unroll 4
    for (int q = 0; q < kM; ++q) {
      const double y = total > bud ? x[q] * scale : x[q];
      tb[q][r] = slack_done != 0.0 ? set.t[q] : y;
    }
  }
}

/// allocate() for the problems at rows src[0, m) of the columns a, cap and budget, writing their
/// hours into rows dst[0, m) of t: gathered a piece at a time into contiguous rows for exact_rows()
/// (allocate() itself one by one for perfect substitutes). kOver as in exact_rows().
template <bool kOver>
void solve_rest(std::size_t m, const std::uint32_t* src, const std::uint32_t* dst, double c, double delta, const double* const a[kM],
                const double* const cap[kM], const double* budget, double* const t[kM]) noexcept {
  const double k = c - delta;
  if (!(k > 1e-12 * std::max(1.0, c))) {
    for (std::size_t r = 0; r < m; ++r) {
      const AllocationProblem prob = column_problem(src[r], c, delta, a, cap, budget);
      const Allocation al = allocate(prob);
      for (std::size_t q = 0; q < kBatchActivities; ++q) t[q][dst[r]] = al.t[q];
    }
    return;
  }
  const double inv_k = 1.0 / k;
  double ab[kM][kSlackPiece], cb[kM][kSlackPiece], bb[kSlackPiece], tb[kM][kSlackPiece];
  for (std::size_t lo = 0; lo < m; lo += kSlackPiece) {
    const std::size_t len = std::min(kSlackPiece, m - lo);
    for (std::size_t r = 0; r < len; ++r) {
      const std::size_t j = src[lo + r];
      for (int q = 0; q < kM; ++q) {
        ab[q][r] = a[q][j];
        cb[q][r] = cap[q][j];
      }
      bb[r] = budget[j];
    }
    const std::size_t lp = padded(len);
    for (std::size_t r = len; r < lp; ++r) {
      for (int q = 0; q < kM; ++q) {
        ab[q][r] = ab[q][0];
        cb[q][r] = cb[q][0];
      }
      bb[r] = bb[0];
    }
    exact_rows<kOver>(lp, k, delta, inv_k, ab, cb, bb, tb);
    for (std::size_t r = 0; r < len; ++r)
      for (int q = 0; q < kM; ++q) t[q][dst[lo + r]] = tb[q][r];
  }
}

}  // namespace

void allocate_batch(std::size_t n, double c, double delta, const double* const a_in[kBatchActivities],
                    const double* const cap_in[kBatchActivities], const double* budget, double* const t_in[kBatchActivities]) noexcept {
  // Local copies of the column pointers: the compiler then knows they stay put in the loops.
  const double* a[kBatchActivities];
  const double* cap[kBatchActivities];
  double* t[kBatchActivities];
  for (std::size_t q = 0; q < kBatchActivities; ++q) {
    a[q] = a_in[q];
    cap[q] = cap_in[q];
    t[q] = t_in[q];
  }
  constexpr std::size_t kPiece = kSlackPiece;
  const double k = c - delta;
  const bool linear = !(k > 1e-12 * std::max(1.0, c));
  const double inv_k = 1.0 / k;
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    double solved[kPiece];   // 1: solved here; 0: left to allocate()
    double binding[kPiece];  // 1: settled with the budget slack but over budget
    std::fill_n(solved, len, 0.0);
    if (!linear) {
      // Budget slack (mu = 0): theta = delta*(A_F + k*C_U)/(k + delta*|F|), the rounds of allocate().
      const double* ap[kBatchActivities];
      const double* cp[kBatchActivities];
      double* tp[kBatchActivities];
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        ap[q] = a[q] + lo;
        cp[q] = cap[q] + lo;
        tp[q] = t[q] + lo;
      }
      // Whole vectors in place; the last len % kLanes problems (a chunk cut at a division's end)
      // copied into a padded vector, so that no scalar remainder runs.
      const std::size_t whole = len / kLanes * kLanes;
      slack_rounds(whole, k, delta, inv_k, ap, cp, budget + lo, tp, solved, binding);
      if (whole < len) {
        double ar[kM][kLanes], cr[kM][kLanes], br[kLanes], tr[kM][kLanes], sr[kLanes], nr[kLanes];
        for (std::size_t r = 0; r < kLanes; ++r) {
          const std::size_t j = lo + std::min(whole + r, len - 1);  // the last problem again as padding
          for (std::size_t q = 0; q < kBatchActivities; ++q) {
            ar[q][r] = a[q][j];
            cr[q][r] = cap[q][j];
          }
          br[r] = budget[j];
        }
        const double* const arp[kBatchActivities] = {ar[0], ar[1], ar[2], ar[3]};
        const double* const crp[kBatchActivities] = {cr[0], cr[1], cr[2], cr[3]};
        double* const trp[kBatchActivities] = {tr[0], tr[1], tr[2], tr[3]};
        slack_rounds(kLanes, k, delta, inv_k, arp, crp, br, trp, sr, nr);
        for (std::size_t r = 0; whole + r < len; ++r) {
          solved[whole + r] = sr[r];
          binding[whole + r] = nr[r];
          for (std::size_t q = 0; q < kBatchActivities; ++q) t[q][lo + whole + r] = tr[q][r];
        }
      }
      // The budget binds (mu > 0): S(theta) = B gives theta = (A_F - k*(B - C_U)) / |F|; the answer
      // stands if the active set settles with |F| > 0 and mu = theta - delta*B >= 0 (KKT). Those
      // problems are gathered into contiguous rows first.
      std::size_t nb = 0;
      std::size_t row[kPiece];
      double ab[kBatchActivities][kPiece], cb[kBatchActivities][kPiece], bb[kPiece], tb[kBatchActivities][kPiece], good[kPiece];
      for (std::size_t r = 0; r < len; ++r)
        if (binding[r] != 0.0) {
          const std::size_t j = lo + r;
          for (std::size_t q = 0; q < kBatchActivities; ++q) {
            ab[q][nb] = a[q][j];
            cb[q][nb] = cap[q][j];
          }
          bb[nb] = budget[j];
          row[nb++] = r;
        }
      const std::size_t nbp = nb == 0 ? 0 : padded(nb);
      for (std::size_t r = nb; r < nbp; ++r) {
        for (std::size_t q = 0; q < kBatchActivities; ++q) {
          ab[q][r] = ab[q][0];
          cb[q][r] = cb[q][0];
        }
        bb[r] = bb[0];
      }
#pragma omp simd
      for (std::size_t r = 0; r < nbp; ++r) {
        const double bud = bb[r];
        double av[kM], cv[kM];
#pragma GCC unroll 4
        for (int q = 0; q < kM; ++q) {
          av[q] = ab[q][r];
          cv[q] = cb[q][r];
        }
        ActiveSet set;
        set.start(av, cv);
        double changed = 1.0;
        double theta = 0.0;
        double n_free = 0.0;
#pragma GCC unroll 8
        for (int round = 0; round < kActiveSetRounds; ++round) {
          double a_free = 0.0, c_cap = 0.0, total = 0.0;
          set.sums(av, cv, a_free, c_cap, n_free);
          theta = (a_free - k * (bud - c_cap)) / n_free;
          changed = set.reclassify(av, cv, theta, inv_k, total);
        }
        // (NaN from |F| = 0 fails the comparisons.)
        good[r] = changed == 0.0 ? (n_free > 0.0 ? (theta - delta * bud >= 0.0 ? 1.0 : 0.0) : 0.0) : 0.0;
#pragma GCC unroll 4
        for (int q = 0; q < kM; ++q) tb[q][r] = set.t[q];
      }
      for (std::size_t r = 0; r < nb; ++r)
        if (good[r] != 0.0) {
          solved[row[r]] = 1.0;
          for (std::size_t q = 0; q < kBatchActivities; ++q) t[q][lo + row[r]] = tb[q][r];
        }
    }
    // The rest (about 3%), as allocate() solves them: apart, those whose budget-slack rounds settled
    // over the budget (most of them).
    std::uint32_t rest[kPiece], over[kPiece];
    std::size_t nr = 0, no = 0;
    for (std::size_t r = 0; r < len; ++r) {
      if (solved[r] != 0.0) continue;
      if (!linear && binding[r] != 0.0)
        over[no++] = static_cast<std::uint32_t>(lo + r);
      else
        rest[nr++] = static_cast<std::uint32_t>(lo + r);
    }
    solve_rest<false>(nr, rest, rest, c, delta, a, cap, budget, t);
    solve_rest<true>(no, over, over, c, delta, a, cap, budget, t);
  }
}

std::size_t limit_to_base(std::size_t n, double c, double delta, const double* const a[kBatchActivities],
                          const double* const cap[kBatchActivities], const double* budget, std::size_t dep, std::size_t base, double ratio,
                          const float* share, double* const t[kBatchActivities]) noexcept {
  // The problems to solve again are gathered, a piece at a time, into contiguous rows with the
  // lowered cap; the budget-slack rounds settle most of them in a vectorised loop (the bits of
  // allocate()), and allocate() solves the rest. Solving one problem changes only its own row.
  constexpr std::size_t kPiece = kSlackPiece;
  const double k = c - delta;
  const bool linear = !(k > 1e-12 * std::max(1.0, c));
  const double inv_k = 1.0 / k;
  std::size_t resolved = 0;
  for (std::size_t lo = 0; lo < n; lo += kPiece) {
    const std::size_t len = std::min(kPiece, n - lo);
    std::size_t row[kPiece];
    double ab[kBatchActivities][kPiece], cb[kBatchActivities][kPiece], bb[kPiece], tb[kBatchActivities][kPiece], solved[kPiece],
        binding[kPiece];
    // Which problems break the bound, in a loop that vectorises; then their rows, found without
    // branches (about half the problems are solved again, at random), are copied with the lowered cap.
    double bound[kPiece];
    std::uint8_t again[kPiece];
    const double* const t_base = t[base] + lo;
    const double* const t_dep = t[dep] + lo;
    const float* const share_lo = share + lo;
#pragma omp simd
    for (std::size_t r = 0; r < len; ++r) {
      bound[r] = ratio * static_cast<double>(share_lo[r]) * t_base[r];
      again[r] = t_dep[r] > bound[r] ? 1 : 0;
    }
    std::size_t m = 0;
    for (std::size_t r = 0; r < len; ++r) {
      row[m] = lo + r;
      m += again[r];
    }
    for (std::size_t r = 0; r < m; ++r) {
      const std::size_t j = row[r];
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        ab[q][r] = a[q][j];
        cb[q][r] = cap[q][j];
      }
      cb[dep][r] = std::min(cb[dep][r], bound[j - lo]);
      bb[r] = budget[j];
    }
    if (m == 0) continue;
    const std::size_t mp = padded(m);
    for (std::size_t r = m; r < mp; ++r) {
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        ab[q][r] = ab[q][0];
        cb[q][r] = cb[q][0];
      }
      bb[r] = bb[0];
    }
    const double* const ap[kBatchActivities] = {ab[0], ab[1], ab[2], ab[3]};
    const double* const cp[kBatchActivities] = {cb[0], cb[1], cb[2], cb[3]};
    double* const tp[kBatchActivities] = {tb[0], tb[1], tb[2], tb[3]};
    if (linear)
      std::fill_n(solved, m, 0.0);
    else
      slack_rounds(mp, k, delta, inv_k, ap, cp, bb, tp, solved, binding);
    // The rest as allocate() solves them: apart, those whose budget-slack rounds settled over the
    // budget (most of them).
    std::uint32_t src[kPiece], dst[kPiece], over_src[kPiece], over_dst[kPiece];
    std::size_t nr = 0, no = 0;
    for (std::size_t r = 0; r < m; ++r) {
      if (solved[r] != 0.0) {
        for (std::size_t q = 0; q < kBatchActivities; ++q) t[q][row[r]] = tb[q][r];
      } else if (!linear && binding[r] != 0.0) {
        over_src[no] = static_cast<std::uint32_t>(r);
        over_dst[no++] = static_cast<std::uint32_t>(row[r]);
      } else {
        src[nr] = static_cast<std::uint32_t>(r);
        dst[nr++] = static_cast<std::uint32_t>(row[r]);
      }
    }
    solve_rest<false>(nr, src, dst, c, delta, ap, cp, bb, t);
    solve_rest<true>(no, over_src, over_dst, c, delta, ap, cp, bb, t);
    resolved += m;
  }
  return resolved;
}

}  // namespace kpisim

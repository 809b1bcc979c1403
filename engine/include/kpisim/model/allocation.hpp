#pragma once
// The allocation of a day's hours among activities: the agent's decision machinery.
//
// The agent maximises   U(t) = sum_j a_j t_j - (c/2) sum_j t_j^2 - delta sum_{j<l} t_j t_l
// subject to            0 <= t_j <= cap_j  and  sum_j t_j <= budget,
// where a_j is the marginal utility of activity j (intrinsic value + incentives - penalties) and
// delta < c couples the activities (they compete for time and attention). The KKT conditions
// give t_j = clamp((a_j - theta) / (c - delta), 0, cap_j) with theta = mu + delta * S, S = sum t_j,
// mu >= 0 the budget multiplier. theta is found exactly: S(theta) is piecewise linear, so the root
// is located between sorted breakpoints and solved in closed form. With delta = c (perfect
// substitutes) or c = 0 the problem is linear and the solution is bang-bang (greedy by a_j).
//
// This is the function that the closed forms A1-A3 and A5 (docs/model.md, Validation) are checked
// against in tests/validation/test_closed_forms.cpp.
#include <array>
#include <cstddef>

namespace kpisim {

inline constexpr std::size_t kMaxActivities = 8;

struct AllocationProblem {
  std::size_t n = 0;                         ///< number of activities (<= kMaxActivities)
  std::array<double, kMaxActivities> a{};    ///< marginal utility per hour
  std::array<double, kMaxActivities> cap{};  ///< upper bound per activity (hours), >= 0
  double c = 1.0;                            ///< own convex cost
  double delta = 0.0;                        ///< cross cost, 0 <= delta <= c
  double budget = 1e300;                     ///< hours available for all activities together
};

struct Allocation {
  std::array<double, kMaxActivities> t{};  ///< hours per activity
  double total = 0.0;
  double multiplier = 0.0;  ///< shadow price of the time budget (mu)
};

/// Exact maximiser of the problem above. No allocation, no branches on agent identity.
Allocation allocate(const AllocationProblem& p) noexcept;

/// Number of activities of the batch solver (the daily loop's four: work, verification,
/// performative use, learning).
inline constexpr std::size_t kBatchActivities = 4;

/// allocate() for n problems with kBatchActivities activities and common c and delta, given as
/// columns (problem j: a[q][j], cap[q][j], budget[j]); writes t[q][j]. The active-set iteration runs
/// across problems in a vectorised loop, first with the budget slack (the same rounds and arithmetic
/// as allocate(): the same bits), then, where the budget binds, with S = budget (the same solution
/// up to rounding); problems whose active set does not settle in a few rounds go to allocate().
void allocate_batch(std::size_t n, double c, double delta, const double* const a[kBatchActivities],
                    const double* const cap[kBatchActivities], const double* budget, double* const t[kBatchActivities]) noexcept;

/// Activity `dep` (verification) can only serve the hours of activity `base` (work) chosen the same
/// day: it may not exceed ratio * share[j] * t[base][j] (checking covers at most the AI-assisted work
/// actually done). For the problems of a batch solved by allocate_batch() that break this, the cap of
/// `dep` is lowered to that bound and the problem solved again with allocate(). One round suffices
/// for a feasible allocation: lowering one activity's cap never lowers another's hours (theta can only
/// fall), so the new t[base] is at least the old one. Returns the number of problems solved again.
std::size_t limit_to_base(std::size_t n, double c, double delta, const double* const a[kBatchActivities],
                          const double* const cap[kBatchActivities], const double* budget, std::size_t dep, std::size_t base, double ratio,
                          const float* share, double* const t[kBatchActivities]) noexcept;

/// The agent's utility at t (for tests and diagnostics).
double allocation_utility(const AllocationProblem& p, const Allocation& x) noexcept;

}  // namespace kpisim

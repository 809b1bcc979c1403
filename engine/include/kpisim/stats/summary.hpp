#pragma once
// Summary statistics over replications: means, Student-t confidence intervals, paired differences
// (common random numbers) and Welch's unpaired interval.
//
// Conventions shared by every function here:
//  - A replication's value is one double. NaN marks a failed run: it is skipped and counted
//    (`n_failed`), never silently turned into a number. Infinities are not failures: they are used
//    as they are, and make the mean infinite and the interval NaN.
//  - `level` is the two-sided confidence level, strictly between 0 and 1 (0.95 gives a 95%
//    interval); anything else throws std::invalid_argument.
//  - When an interval is undefined (fewer than two usable values), its bounds, standard error and
//    degrees of freedom are NaN. No function throws for too few values.
//
// The formulas and their assumptions are set out in docs/experiments.md, "Statistics used".
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>

namespace kpisim::stats {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Quantile of Student's t distribution with `df` degrees of freedom: the x with P(T <= x) = p.
/// `p` in (0,1); `df` > 0, not necessarily an integer (Welch intervals have fractional df).
/// Throws std::invalid_argument otherwise. Computed by Boost.Math (students_t), accurate to a few
/// ulp. Example: t_quantile(0.975, 4) = 2.776445.
double t_quantile(double p, double df);

/// A two-sided Student-t confidence interval: estimate -/+ t_{(1+level)/2, df} * se.
struct TInterval {
  double estimate = kNaN;  ///< the point estimate (a mean, or a difference of means)
  double se = kNaN;        ///< its estimated standard error
  double df = kNaN;        ///< degrees of freedom of the t distribution used
  double level = 0.95;     ///< confidence level
  double lower = kNaN;     ///< lower bound (NaN when undefined)
  double upper = kNaN;     ///< upper bound (NaN when undefined)
  [[nodiscard]] double half_width() const noexcept { return 0.5 * (upper - lower); }
  [[nodiscard]] bool contains(double x) const noexcept { return lower <= x && x <= upper; }
};

/// Mean, sample standard deviation and t interval of one sample (values over replications).
struct Summary {
  std::size_t n = 0;         ///< values used (NaN excluded)
  std::size_t n_failed = 0;  ///< NaN values skipped (failed runs)
  double mean = kNaN;        ///< arithmetic mean of the n values; NaN if n = 0
  double sd = kNaN;          ///< sample standard deviation, divisor n - 1; NaN if n < 2
  TInterval ci;              ///< interval for the mean: se = sd / sqrt(n), df = n - 1
};

/// Summarises one sample: mean xbar = (1/n) sum x_k, s^2 = sum (x_k - xbar)^2 / (n - 1) (two-pass),
/// interval xbar -/+ t_{(1+level)/2, n-1} s / sqrt(n).
/// Assumes the n values are independent and identically distributed; the interval is exact for
/// normal values and approximate (central limit theorem) otherwise. n = 1: mean = the value, sd and
/// interval NaN. n = 0: everything NaN.
Summary summarize(std::span<const double> values, double level = 0.95);

/// Paired difference, policy minus baseline, replication by replication: d_k = policy[k] -
/// baseline[k], summarised as one sample (summarize(d)). This is the interval to report under common
/// random numbers: replication k of both policies shares the random streams of everything the
/// policy does not cause, so the shared noise cancels in d_k.
/// Assumes the pairs (policy[k], baseline[k]) are independent across k; within a pair the two may
/// be arbitrarily correlated. A pair with a NaN on either side is skipped and counted in n_failed.
/// Throws std::invalid_argument if the two spans differ in length.
Summary paired_difference(std::span<const double> policy, std::span<const double> baseline, double level = 0.95);

/// Welch's unpaired interval for the difference of means, policy minus baseline.
struct WelchComparison {
  Summary policy;    ///< summary of the policy sample
  Summary baseline;  ///< summary of the baseline sample
  TInterval ci;      ///< interval for mean(policy) - mean(baseline)
};

/// Welch's interval: estimate xbar_p - xbar_b, se = sqrt(s_p^2/n_p + s_b^2/n_b), and the
/// Welch-Satterthwaite degrees of freedom df = se^4 / ((s_p^2/n_p)^2/(n_p-1) + (s_b^2/n_b)^2/(n_b-1)).
/// Assumes two independent samples, each i.i.d.; variances may differ. Under common random numbers
/// the samples are NOT independent (they share streams): this interval then ignores the positive
/// correlation and is wider than necessary. It is provided for comparison with paired_difference.
/// NaN values are skipped in each sample separately. The interval is NaN unless both samples have at
/// least two values. If both sample variances are zero, se = 0, df = n_p + n_b - 2 and the interval
/// collapses to the estimate.
WelchComparison welch_difference(std::span<const double> policy, std::span<const double> baseline, double level = 0.95);

}  // namespace kpisim::stats

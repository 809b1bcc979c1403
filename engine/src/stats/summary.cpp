// Summary statistics: Student-t intervals (quantiles from Boost.Math), paired and Welch differences.
#include "kpisim/stats/summary.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace kpisim::stats {

namespace {

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("confidence level must be in (0,1), got " + std::to_string(level));
}

// Mean and sum of squared deviations of the non-NaN values (two passes).
struct Moments {
  std::size_t n = 0;
  std::size_t n_nan = 0;
  double mean = kNaN;
  double ss = kNaN;
};

Moments moments(std::span<const double> x) {
  Moments m;
  double sum = 0.0;
  for (const double v : x) {
    if (std::isnan(v)) {
      ++m.n_nan;
    } else {
      ++m.n;
      sum += v;
    }
  }
  if (m.n == 0) return m;
  m.mean = sum / static_cast<double>(m.n);
  double ss = 0.0;
  for (const double v : x) {
    if (!std::isnan(v)) ss += (v - m.mean) * (v - m.mean);
  }
  m.ss = ss;
  return m;
}

TInterval make_interval(double estimate, double se, double df, double level) {
  TInterval ci;
  ci.estimate = estimate;
  ci.se = se;
  ci.df = df;
  ci.level = level;
  if (std::isfinite(se) && df > 0.0) {
    const double h = t_quantile(0.5 + 0.5 * level, df) * se;
    ci.lower = estimate - h;
    ci.upper = estimate + h;
  }
  return ci;
}

}  // namespace

double t_quantile(double p, double df) {
  if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("t_quantile: p must be in (0,1), got " + std::to_string(p));
  if (!(df > 0.0)) throw std::invalid_argument("t_quantile: degrees of freedom must be > 0, got " + std::to_string(df));
  const boost::math::students_t dist(df);
  return boost::math::quantile(dist, p);
}

Summary summarize(std::span<const double> values, double level) {
  check_level(level);
  const Moments m = moments(values);
  Summary s;
  s.n = m.n;
  s.n_failed = m.n_nan;
  s.mean = m.mean;
  s.ci.estimate = m.mean;
  s.ci.level = level;
  if (m.n < 2) return s;
  const auto n = static_cast<double>(m.n);
  s.sd = std::sqrt(m.ss / (n - 1.0));
  s.ci = make_interval(m.mean, s.sd / std::sqrt(n), n - 1.0, level);
  return s;
}

Summary paired_difference(std::span<const double> policy, std::span<const double> baseline, double level) {
  check_level(level);
  if (policy.size() != baseline.size()) {
    throw std::invalid_argument("paired_difference: " + std::to_string(policy.size()) + " policy values but " +
                                std::to_string(baseline.size()) + " baseline values (one each per replication)");
  }
  std::vector<double> d(policy.size());
  for (std::size_t k = 0; k < d.size(); ++k) {
    // NaN on either side propagates to d_k, which summarize() then skips and counts.
    d[k] = std::isnan(policy[k]) || std::isnan(baseline[k]) ? kNaN : policy[k] - baseline[k];
  }
  return summarize(d, level);
}

WelchComparison welch_difference(std::span<const double> policy, std::span<const double> baseline, double level) {
  check_level(level);
  WelchComparison w;
  w.policy = summarize(policy, level);
  w.baseline = summarize(baseline, level);
  w.ci.estimate = w.policy.mean - w.baseline.mean;
  w.ci.level = level;
  if (w.policy.n < 2 || w.baseline.n < 2) return w;
  const auto np = static_cast<double>(w.policy.n);
  const auto nb = static_cast<double>(w.baseline.n);
  const double vp = w.policy.sd * w.policy.sd / np;
  const double vb = w.baseline.sd * w.baseline.sd / nb;
  const double se = std::sqrt(vp + vb);
  double df = (vp + vb) * (vp + vb) / (vp * vp / (np - 1.0) + vb * vb / (nb - 1.0));
  if (se == 0.0) df = np + nb - 2.0;  // both samples constant: 0/0 above; the interval is a point
  w.ci = make_interval(w.ci.estimate, se, df, level);
  return w;
}

}  // namespace kpisim::stats

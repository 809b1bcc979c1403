// Regret tables and PRIM scenario discovery (stats/robust.hpp).
#include "kpisim/stats/robust.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/binomial.hpp>

#include "philox_stream.hpp"

namespace kpisim::stats {

RegretTable regret_table(std::span<const double> objective, std::size_t states, std::size_t policies, bool maximise) {
  if (policies == 0 || objective.size() != states * policies)
    throw std::invalid_argument("regret_table: objective must hold states x policies values");
  RegretTable t;
  t.states = states;
  t.policies = policies;
  t.regret.assign(objective.size(), kNaN);
  t.best.assign(states, kNoPolicy);
  for (std::size_t s = 0; s < states; ++s) {
    const auto row = objective.subspan(s * policies, policies);
    if (std::any_of(row.begin(), row.end(), [](double v) { return std::isnan(v); })) continue;
    std::size_t best = 0;
    for (std::size_t p = 1; p < policies; ++p)
      if (maximise ? row[p] > row[best] : row[p] < row[best]) best = p;
    t.best[s] = best;
    for (std::size_t p = 0; p < policies; ++p) t.regret[s * policies + p] = maximise ? row[best] - row[p] : row[p] - row[best];
  }
  return t;
}

double quantile(std::span<const double> values, double q) {
  std::vector<double> v;
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double h = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::vector<RegretSummary> summarize_regret(const RegretTable& t) {
  std::vector<RegretSummary> out(t.policies);
  for (std::size_t p = 0; p < t.policies; ++p) {
    std::vector<double> r;
    std::size_t best = 0;
    for (std::size_t s = 0; s < t.states; ++s) {
      if (t.best[s] == kNoPolicy) continue;
      r.push_back(t.regret[s * t.policies + p]);
      best += t.best[s] == p ? 1 : 0;
    }
    RegretSummary& o = out[p];
    o.n = r.size();
    if (r.empty()) continue;
    double sum = 0.0;
    for (double x : r) sum += x;
    o.mean = sum / static_cast<double>(r.size());
    o.max = *std::max_element(r.begin(), r.end());
    o.p90 = quantile(r, 0.9);
    o.best_share = static_cast<double>(best) / static_cast<double>(r.size());
  }
  return out;
}

namespace {

// A box: limits per dimension; a point is inside when lower <= x <= upper in every dimension.
struct Box {
  std::vector<double> lower, upper;
};

struct Counts {
  std::size_t inside = 0;
  std::size_t interesting = 0;
};

Counts count(const std::vector<std::vector<double>>& x, std::span<const std::uint8_t> y, const Box& b) {
  Counts c;
  const std::size_t d = b.lower.size();
  for (std::size_t i = 0; i < x.size(); ++i) {
    bool in = true;
    for (std::size_t j = 0; j < d && in; ++j) in = x[i][j] >= b.lower[j] && x[i][j] <= b.upper[j];
    if (!in) continue;
    ++c.inside;
    c.interesting += y[i] != 0 ? 1 : 0;
  }
  return c;
}

PrimStep step_of(const Counts& c, std::size_t n, std::size_t n_interesting, std::size_t restricted) {
  PrimStep s;
  s.coverage = n_interesting > 0 ? static_cast<double>(c.interesting) / static_cast<double>(n_interesting) : kNaN;
  s.density = c.inside > 0 ? static_cast<double>(c.interesting) / static_cast<double>(c.inside) : kNaN;
  s.support = n > 0 ? static_cast<double>(c.inside) / static_cast<double>(n) : kNaN;
  s.restricted = restricted;
  return s;
}

std::size_t n_restricted(const Box& b, const Box& data) {
  std::size_t k = 0;
  for (std::size_t j = 0; j < b.lower.size(); ++j) k += b.lower[j] > data.lower[j] || b.upper[j] < data.upper[j] ? 1 : 0;
  return k;
}

// P(Binomial(n, p) >= k).
double upper_tail(std::size_t k, std::size_t n, double p) {
  if (k == 0) return 1.0;
  if (p <= 0.0) return 0.0;
  if (p >= 1.0) return 1.0;
  const boost::math::binomial_distribution<double> dist(static_cast<double>(n), p);
  return boost::math::cdf(boost::math::complement(dist, static_cast<double>(k - 1)));
}

// The peel, prune and choice on one data set; the stability check calls it on resamples.
struct Fit {
  std::vector<PrimStep> trajectory;
  std::vector<Box> boxes;
  std::size_t chosen = 0;
  bool meets = false;
  std::size_t pruned = 0;
  Box box;                 // chosen and pruned
  std::vector<double> qp;  // [dim] of the pruned box, NaN for unrestricted dimensions
  Box data;
};

Fit fit(const std::vector<std::vector<double>>& x, std::span<const std::uint8_t> y, const PrimOptions& o) {
  Fit f;
  const std::size_t n = x.size();
  const std::size_t d = x.front().size();
  std::size_t n_int = 0;
  for (std::size_t i = 0; i < n; ++i) n_int += y[i] != 0 ? 1 : 0;
  f.data.lower.assign(d, std::numeric_limits<double>::infinity());
  f.data.upper.assign(d, -std::numeric_limits<double>::infinity());
  for (const auto& row : x)
    for (std::size_t j = 0; j < d; ++j) {
      f.data.lower[j] = std::min(f.data.lower[j], row[j]);
      f.data.upper[j] = std::max(f.data.upper[j], row[j]);
    }
  f.box = f.data;
  f.qp.assign(d, kNaN);
  if (n_int == 0) return f;

  Box box = f.data;
  std::vector<std::size_t> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = i;
  const auto min_inside = static_cast<double>(n) * o.min_support;
  f.boxes.push_back(box);
  f.trajectory.push_back(step_of(count(x, y, box), n, n_int, 0));
  std::vector<double> vals;
  while (true) {
    // Every candidate peel: one side of one dimension, removing alpha of the points inside.
    double best_density = -1.0;
    std::size_t best_dim = 0;
    bool best_upper = false;
    double best_limit = 0.0;
    std::size_t best_kept = 0;
    const std::size_t m = in.size();
    const auto k = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(o.peel_alpha * static_cast<double>(m))));
    if (k >= m) break;
    for (std::size_t j = 0; j < d; ++j) {
      for (const bool upper : {false, true}) {
        vals.resize(m);
        for (std::size_t t = 0; t < m; ++t) vals[t] = x[in[t]][j];
        const std::size_t pos = upper ? m - 1 - k : k;
        std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(pos), vals.end());
        double limit = vals[pos];
        // Ties (bootstrap resamples repeat points; integer parameters repeat values): when every
        // point would stay, peel the points at the extreme instead, however many they are.
        const auto [lo_it, hi_it] = std::minmax_element(vals.begin(), vals.end());
        const double extreme = upper ? *hi_it : *lo_it;
        if (limit == extreme) {
          bool found = false;
          for (const double v : vals)
            if (upper ? v < extreme && (!found || v > limit) : v > extreme && (!found || v < limit)) {
              limit = v;
              found = true;
            }
          if (!found) continue;
        }
        std::size_t kept = 0;
        std::size_t yes = 0;
        for (const std::size_t i : in) {
          const bool keep = upper ? x[i][j] <= limit : x[i][j] >= limit;
          if (!keep) continue;
          ++kept;
          yes += y[i] != 0 ? 1 : 0;
        }
        if (kept == m || static_cast<double>(kept) < min_inside || kept == 0) continue;  // removes nothing (ties), or too small
        const double density = static_cast<double>(yes) / static_cast<double>(kept);
        if (density > best_density) {
          best_density = density;
          best_dim = j;
          best_upper = upper;
          best_limit = limit;
          best_kept = kept;
        }
      }
    }
    if (best_density < 0.0) break;
    (best_upper ? box.upper : box.lower)[best_dim] = best_limit;
    std::vector<std::size_t> next;
    next.reserve(best_kept);
    for (const std::size_t i : in)
      if (best_upper ? x[i][best_dim] <= best_limit : x[i][best_dim] >= best_limit) next.push_back(i);
    in.swap(next);
    f.boxes.push_back(box);
    f.trajectory.push_back(step_of(count(x, y, box), n, n_int, n_restricted(box, f.data)));
  }

  // The box chosen: the first (largest coverage) reaching the threshold, else the densest.
  f.chosen = f.trajectory.size();
  for (std::size_t s = 0; s < f.trajectory.size(); ++s)
    if (f.trajectory[s].density >= o.threshold) {
      f.chosen = s;
      break;
    }
  f.meets = f.chosen < f.trajectory.size();
  if (!f.meets) {
    f.chosen = 0;
    for (std::size_t s = 1; s < f.trajectory.size(); ++s)
      if (f.trajectory[s].density > f.trajectory[f.chosen].density) f.chosen = s;
  }

  // Pruning: a restriction whose removal does not lower the density significantly is dropped.
  Box b = f.boxes[f.chosen];
  while (true) {
    const Counts c = count(x, y, b);
    std::size_t worst = d;
    double worst_qp = -1.0;
    f.qp.assign(d, kNaN);
    for (std::size_t j = 0; j < d; ++j) {
      if (!(b.lower[j] > f.data.lower[j] || b.upper[j] < f.data.upper[j])) continue;
      Box wider = b;
      wider.lower[j] = f.data.lower[j];
      wider.upper[j] = f.data.upper[j];
      const Counts w = count(x, y, wider);
      const double p = static_cast<double>(w.interesting) / static_cast<double>(w.inside);
      f.qp[j] = upper_tail(c.interesting, c.inside, p);
      if (f.qp[j] > worst_qp) {
        worst_qp = f.qp[j];
        worst = j;
      }
    }
    if (worst == d || worst_qp <= o.significance) break;
    b.lower[worst] = f.data.lower[worst];
    b.upper[worst] = f.data.upper[worst];
    ++f.pruned;
  }
  f.box = b;
  return f;
}

}  // namespace

PrimResult prim(const std::vector<std::vector<double>>& x, std::span<const std::uint8_t> y, const PrimOptions& o) {
  if (x.size() != y.size()) throw std::invalid_argument("prim: x and y must have the same number of points");
  if (x.empty() || x.front().empty()) throw std::invalid_argument("prim: needs at least one point with at least one dimension");
  const std::size_t d = x.front().size();
  for (const auto& row : x)
    if (row.size() != d || std::any_of(row.begin(), row.end(), [](double v) { return !std::isfinite(v); }))
      throw std::invalid_argument("prim: every point needs the same number of finite coordinates");
  if (!(o.peel_alpha > 0.0 && o.peel_alpha <= 0.5) || !(o.min_support > 0.0 && o.min_support <= 1.0) ||
      !(o.threshold > 0.0 && o.threshold <= 1.0) || !(o.level > 0.0 && o.level < 1.0) || !(o.significance > 0.0 && o.significance <= 1.0))
    throw std::invalid_argument("prim: option out of range");
  if (o.resamples > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("prim: too many resamples");

  PrimResult r;
  r.n = x.size();
  for (const auto v : y) r.n_interesting += v != 0 ? 1 : 0;
  const Fit f = fit(x, y, o);
  r.trajectory = f.trajectory;
  r.chosen = f.chosen;
  r.meets_threshold = f.meets;
  r.pruned = f.pruned;
  r.lower = f.box.lower;
  r.upper = f.box.upper;
  r.dim_share.assign(d, kNaN);
  if (r.n_interesting == 0) return r;
  const Box& data = f.data;
  r.box = step_of(count(x, y, f.box), r.n, r.n_interesting, n_restricted(f.box, data));
  std::vector<bool> restricted(d, false);
  for (std::size_t j = 0; j < d; ++j) {
    const bool lo = f.box.lower[j] > data.lower[j];
    const bool hi = f.box.upper[j] < data.upper[j];
    if (!lo && !hi) continue;
    restricted[j] = true;
    r.restrictions.push_back({j, f.box.lower[j], f.box.upper[j], lo, hi, f.qp[j]});
  }

  // Stability: resample the points with replacement, fit again, compare.
  if (o.resamples == 0) return r;
  std::vector<std::vector<double>> xb(r.n);
  std::vector<std::uint8_t> yb(r.n);
  std::size_t same = 0;
  std::vector<std::size_t> dims(d, 0);
  std::vector<double> cov;
  std::vector<double> dens;
  for (std::size_t b = 0; b < o.resamples; ++b) {
    detail::PhiloxStream rng(o.seed, detail::StreamPurpose::prim_bootstrap, static_cast<std::uint32_t>(b));
    std::size_t yes = 0;
    for (std::size_t i = 0; i < r.n; ++i) {
      const std::size_t k = rng.below(static_cast<std::uint32_t>(r.n));
      xb[i] = x[k];
      yb[i] = y[k];
      yes += y[k] != 0 ? 1 : 0;
    }
    if (yes == 0) continue;
    ++r.resamples_used;
    const Fit g = fit(xb, yb, o);
    bool all_same = true;
    for (std::size_t j = 0; j < d; ++j) {
      const bool rj = g.box.lower[j] > g.data.lower[j] || g.box.upper[j] < g.data.upper[j];
      dims[j] += rj ? 1 : 0;
      all_same = all_same && rj == restricted[j];
    }
    same += all_same ? 1 : 0;
    const Counts c = count(xb, yb, f.box);
    cov.push_back(static_cast<double>(c.interesting) / static_cast<double>(yes));
    if (c.inside > 0) dens.push_back(static_cast<double>(c.interesting) / static_cast<double>(c.inside));
  }
  if (r.resamples_used == 0) return r;
  const auto used = static_cast<double>(r.resamples_used);
  r.same_dims_share = static_cast<double>(same) / used;
  for (std::size_t j = 0; j < d; ++j) r.dim_share[j] = static_cast<double>(dims[j]) / used;
  const double tail = (1.0 - o.level) / 2.0;
  r.coverage_lower = quantile(cov, tail);
  r.coverage_upper = quantile(cov, 1.0 - tail);
  r.density_lower = quantile(dens, tail);
  r.density_upper = quantile(dens, 1.0 - tail);
  return r;
}

}  // namespace kpisim::stats

// Sobol indices (Saltelli 2010 first order, Jansen 1999 total) with bootstrap intervals; Morris
// elementary effects.
#include "kpisim/stats/sensitivity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "philox_stream.hpp"

namespace kpisim::stats {

namespace {

// The outputs of the usable base rows, by matrix: f_A[k], f_B[k], f_AB[i * n + k].
struct SaltelliOutputs {
  std::size_t d = 0;
  std::size_t n = 0;
  std::vector<double> a, b, ab;
};

// Estimates S_i and ST_i on the base rows `rows` (with repetitions, for the bootstrap). Returns V;
// s1 and st are left NaN when V is not positive and finite.
double estimate(const SaltelliOutputs& o, std::span<const std::uint32_t> rows, std::vector<double>& s1, std::vector<double>& st) {
  const auto n = static_cast<double>(rows.size());
  double sum = 0.0;
  for (const std::uint32_t k : rows) sum += o.a[k] + o.b[k];
  const double m = sum / (2.0 * n);
  double ss = 0.0;
  for (const std::uint32_t k : rows) ss += (o.a[k] - m) * (o.a[k] - m) + (o.b[k] - m) * (o.b[k] - m);
  const double v = ss / (2.0 * n);
  std::fill(s1.begin(), s1.end(), kNaN);
  std::fill(st.begin(), st.end(), kNaN);
  if (!(v > 0.0) || !std::isfinite(v)) return v;
  for (std::size_t i = 0; i < o.d; ++i) {
    const double* ab = o.ab.data() + i * o.n;
    double first = 0.0;
    double total = 0.0;
    for (const std::uint32_t k : rows) {
      first += (o.b[k] - m) * (ab[k] - o.a[k]);
      total += (o.a[k] - ab[k]) * (o.a[k] - ab[k]);
    }
    s1[i] = first / n / v;
    st[i] = total / (2.0 * n) / v;
  }
  return v;
}

// Percentile q of sorted values, linear interpolation between order statistics (Hyndman & Fan
// type 7, numpy's default).
double percentile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

void fill_interval(SobolIndex& idx, std::vector<double>& reps, double level) {
  if (reps.size() < 2) return;
  std::sort(reps.begin(), reps.end());
  idx.lower = percentile(reps, 0.5 - 0.5 * level);
  idx.upper = percentile(reps, 0.5 + 0.5 * level);
  double mean = 0.0;
  for (const double r : reps) mean += r;
  mean /= static_cast<double>(reps.size());
  double ss = 0.0;
  for (const double r : reps) ss += (r - mean) * (r - mean);
  idx.se = std::sqrt(ss / static_cast<double>(reps.size() - 1));
}

}  // namespace

SobolResult sobol_indices(std::size_t dims, std::span<const double> y, const SobolOptions& options) {
  if (dims == 0) throw std::invalid_argument("sobol_indices: needs at least one parameter");
  if (y.size() % (dims + 2) != 0) {
    throw std::invalid_argument("sobol_indices: " + std::to_string(y.size()) + " outputs is not a multiple of d + 2 = " +
                                std::to_string(dims + 2) + " (one block per base row, see saltelli_design)");
  }
  if (!(options.level > 0.0 && options.level < 1.0)) throw std::invalid_argument("sobol_indices: level must be in (0,1)");
  if (options.resamples > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("sobol_indices: too many resamples");
  const std::size_t blocks = y.size() / (dims + 2);
  if (blocks > std::numeric_limits<std::uint32_t>::max()) throw std::invalid_argument("sobol_indices: too many base rows");

  SobolResult res;
  res.first.resize(dims);
  res.total.resize(dims);

  SaltelliOutputs o;
  o.d = dims;
  std::vector<std::size_t> usable;
  for (std::size_t k = 0; k < blocks; ++k) {
    const auto block = y.subspan(k * (dims + 2), dims + 2);
    if (std::any_of(block.begin(), block.end(), [](double v) { return std::isnan(v); })) {
      ++res.n_failed;
    } else {
      usable.push_back(k);
    }
  }
  o.n = usable.size();
  res.n_base = o.n;
  if (o.n < 2) return res;
  o.a.resize(o.n);
  o.b.resize(o.n);
  o.ab.resize(dims * o.n);
  for (std::size_t r = 0; r < o.n; ++r) {
    const std::size_t row0 = usable[r] * (dims + 2);
    o.a[r] = y[row0];
    o.b[r] = y[row0 + dims + 1];
    for (std::size_t i = 0; i < dims; ++i) o.ab[i * o.n + r] = y[row0 + 1 + i];
  }

  std::vector<std::uint32_t> rows(o.n);
  for (std::size_t r = 0; r < o.n; ++r) rows[r] = static_cast<std::uint32_t>(r);
  std::vector<double> s1(dims);
  std::vector<double> st(dims);
  res.variance = estimate(o, rows, s1, st);
  for (std::size_t i = 0; i < dims; ++i) {
    res.first[i].estimate = s1[i];
    res.total[i].estimate = st[i];
  }
  if (!(res.variance > 0.0) || !std::isfinite(res.variance)) return res;

  // Bootstrap over base rows: resample b draws its n row indices from its own Philox stream.
  std::vector<std::vector<double>> rep_first(dims);
  std::vector<std::vector<double>> rep_total(dims);
  for (std::size_t b = 0; b < options.resamples; ++b) {
    detail::PhiloxStream rng(options.seed, detail::StreamPurpose::bootstrap, static_cast<std::uint32_t>(b));
    for (auto& r : rows) r = rng.below(static_cast<std::uint32_t>(o.n));
    const double v = estimate(o, rows, s1, st);
    if (!(v > 0.0) || !std::isfinite(v)) continue;
    ++res.resamples_used;
    for (std::size_t i = 0; i < dims; ++i) {
      rep_first[i].push_back(s1[i]);
      rep_total[i].push_back(st[i]);
    }
  }
  for (std::size_t i = 0; i < dims; ++i) {
    fill_interval(res.first[i], rep_first[i], options.level);
    fill_interval(res.total[i], rep_total[i], options.level);
  }
  return res;
}

std::vector<MorrisEffect> morris_effects(const MorrisDesign& design, std::span<const double> y) {
  const Matrix& u = design.points.unit;
  const std::size_t d = u.cols();
  const std::size_t r = design.trajectories;
  if (y.size() != u.rows() || u.rows() != r * (d + 1) || design.factor.size() != r * d) {
    throw std::invalid_argument("morris_effects: expected " + std::to_string(r * (d + 1)) + " outputs (r (d + 1)), got " +
                                std::to_string(y.size()));
  }
  std::vector<std::vector<double>> ee(d);
  std::vector<MorrisEffect> out(d);
  for (std::size_t t = 0; t < r; ++t) {
    for (std::size_t s = 0; s < d; ++s) {
      const std::size_t row = t * (d + 1) + s;
      const std::uint32_t f = design.factor[t * d + s];
      if (std::isnan(y[row]) || std::isnan(y[row + 1])) {
        ++out[f].n_failed;
        continue;
      }
      ee[f].push_back((y[row + 1] - y[row]) / (u(row + 1, f) - u(row, f)));
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    MorrisEffect& e = out[i];
    e.count = ee[i].size();
    if (e.count == 0) continue;
    const auto n = static_cast<double>(e.count);
    double sum = 0.0;
    double sum_abs = 0.0;
    for (const double v : ee[i]) {
      sum += v;
      sum_abs += std::abs(v);
    }
    e.mu = sum / n;
    e.mu_star = sum_abs / n;
    if (e.count < 2) continue;
    double ss = 0.0;
    for (const double v : ee[i]) ss += (v - e.mu) * (v - e.mu);
    e.sigma = std::sqrt(ss / (n - 1.0));
  }
  return out;
}

}  // namespace kpisim::stats

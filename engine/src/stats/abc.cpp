// ABC-SMC (population Monte Carlo): see kpisim/stats/abc.hpp.
#include "kpisim/stats/abc.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "philox_stream.hpp"

namespace kpisim::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A standard normal draw (Box-Muller, one of the pair): the same draws on every platform with the
/// same libm.
double normal(detail::PhiloxStream& s) {
  const double u1 = s.uniform_open01();
  const double u2 = s.uniform_open01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Index drawn with probability proportional to weights (cumulative sum; weights sum to 1).
std::size_t draw_index(detail::PhiloxStream& s, const std::vector<AbcParticle>& pop) {
  const double u = s.uniform_open01();
  double c = 0.0;
  for (std::size_t i = 0; i < pop.size(); ++i) {
    c += pop[i].weight;
    if (u < c) return i;
  }
  return pop.size() - 1;
}

double distance_or_inf(double d) {
  return std::isnan(d) ? kInf : d;
}

}  // namespace

AbcResult abc_smc(std::span<const Parameter> box, const AbcDistances& distances, const AbcOptions& o) {
  validate_parameters(box);
  if (o.particles == 0) throw std::invalid_argument("abc_smc: needs at least one particle");
  if (!(o.quantile > 0.0 && o.quantile < 1.0)) throw std::invalid_argument("abc_smc: the quantile must lie in (0, 1)");
  if (o.max_simulations < o.particles) throw std::invalid_argument("abc_smc: the budget is smaller than the prior's generation");
  const std::size_t dim = box.size();
  const std::size_t n = o.particles;
  AbcResult res;
  // Generation 0: the prior, every point accepted (eps infinite), equal weights.
  {
    detail::PhiloxStream s(o.seed, detail::StreamPurpose::abc, 0);
    std::vector<std::vector<double>> pts(n, std::vector<double>(dim));
    for (auto& p : pts)
      for (std::size_t j = 0; j < dim; ++j) p[j] = to_parameter(box[j], s.uniform_open01());
    const std::vector<double> d = distances(pts);
    AbcGeneration g;
    g.tolerance = kInf;
    g.simulations = n;
    for (std::size_t i = 0; i < n; ++i) g.particles.push_back({pts[i], 1.0 / static_cast<double>(n), distance_or_inf(d[i])});
    res.simulations = n;
    res.generations.push_back(std::move(g));
  }
  res.stop = "every generation run";
  for (std::size_t gen = 1; gen <= o.generations; ++gen) {
    const std::vector<AbcParticle>& prev = res.generations.back().particles;
    // The tolerance: the quantile of the previous generation's distances (unweighted, as in
    // Beaumont et al. 2009's adaptive schedule).
    std::vector<double> ds;
    ds.reserve(prev.size());
    for (const auto& p : prev) ds.push_back(p.distance);
    std::sort(ds.begin(), ds.end());
    // Never below the minimum: the last generation is run at it, then the run stops.
    const double eps =
        std::max(o.min_tolerance, ds[std::min(ds.size() - 1, static_cast<std::size_t>(o.quantile * static_cast<double>(ds.size())))]);
    if (!std::isfinite(eps)) {
      res.stop = "no finite distance to set a tolerance from (every simulation failed)";
      break;
    }
    // The kernel: in the unit cube, sd per coordinate = sqrt(2 x the weighted variance).
    std::vector<std::vector<double>> unit(prev.size(), std::vector<double>(dim));
    std::vector<double> sd(dim, 0.0);
    for (std::size_t j = 0; j < dim; ++j) {
      double mean = 0.0;
      for (std::size_t i = 0; i < prev.size(); ++i) {
        unit[i][j] = to_unit(box[j], prev[i].x[j]);
        mean += prev[i].weight * unit[i][j];
      }
      double var = 0.0;
      for (std::size_t i = 0; i < prev.size(); ++i) var += prev[i].weight * (unit[i][j] - mean) * (unit[i][j] - mean);
      sd[j] = std::max(std::sqrt(2.0 * var), 1e-9);
    }
    detail::PhiloxStream s(o.seed, detail::StreamPurpose::abc, static_cast<std::uint32_t>(gen));
    AbcGeneration g;
    g.tolerance = eps;
    std::vector<std::vector<double>> accepted_unit;
    while (g.particles.size() < n) {
      const std::size_t budget = o.max_simulations - res.simulations;
      if (budget == 0) break;
      // A batch of proposals: as many as are still missing (at least one), within the budget.
      const std::size_t batch = std::min(budget, std::max<std::size_t>(n - g.particles.size(), 1));
      std::vector<std::vector<double>> pts, us;
      for (std::size_t b = 0; b < batch; ++b) {
        const std::size_t from = draw_index(s, prev);
        std::vector<double> u(dim);
        for (std::size_t j = 0; j < dim; ++j) {
          do {
            u[j] = unit[from][j] + sd[j] * normal(s);
          } while (u[j] < 0.0 || u[j] > 1.0);  // outside the box: prior 0, redrawn
        }
        std::vector<double> x(dim);
        for (std::size_t j = 0; j < dim; ++j) x[j] = to_parameter(box[j], u[j]);
        pts.push_back(std::move(x));
        us.push_back(std::move(u));
      }
      const std::vector<double> d = distances(pts);
      res.simulations += batch;
      g.simulations += batch;
      for (std::size_t b = 0; b < batch && g.particles.size() < n; ++b) {
        const double db = distance_or_inf(d[b]);
        if (db > eps) continue;
        g.particles.push_back({pts[b], 0.0, db});
        accepted_unit.push_back(us[b]);
      }
    }
    if (g.particles.size() < n) {
      res.stop = "the simulation budget ran out during a generation (it is left out: its sample is incomplete)";
      break;
    }
    // Weights: uniform prior (constant in the unit cube) over the proposal density. The kernel is
    // the product of per-coordinate normals truncated to [0, 1], each normalised by its mass in the
    // cube; the normalisation depends on the particle it moves from, so it stays in.
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      double q = 0.0;
      for (std::size_t k = 0; k < prev.size(); ++k) {
        double dens = prev[k].weight;
        for (std::size_t j = 0; j < dim; ++j) {
          const double z = (accepted_unit[i][j] - unit[k][j]) / sd[j];
          const double mass = 0.5 * (std::erf((1.0 - unit[k][j]) / (sd[j] * std::numbers::sqrt2)) -
                                     std::erf((0.0 - unit[k][j]) / (sd[j] * std::numbers::sqrt2)));
          dens *= std::exp(-0.5 * z * z) / (sd[j] * std::max(mass, 1e-300));
        }
        q += dens;
      }
      g.particles[i].weight = q > 0 ? 1.0 / q : 0.0;
      total += g.particles[i].weight;
    }
    for (auto& p : g.particles) p.weight = total > 0 ? p.weight / total : 1.0 / static_cast<double>(n);
    res.generations.push_back(std::move(g));
    if (eps <= o.min_tolerance) {
      res.stop = "the tolerance reached its minimum";
      break;
    }
  }
  return res;
}

WeightedSummary summarize_particles(const std::vector<AbcParticle>& particles, std::size_t c) {
  WeightedSummary s;
  if (particles.empty()) return s;
  for (const auto& p : particles) s.mean += p.weight * p.x[c];
  double var = 0.0;
  for (const auto& p : particles) var += p.weight * (p.x[c] - s.mean) * (p.x[c] - s.mean);
  s.sd = std::sqrt(var);
  std::vector<std::pair<double, double>> xs;
  xs.reserve(particles.size());
  for (const auto& p : particles) xs.emplace_back(p.x[c], p.weight);
  std::sort(xs.begin(), xs.end());
  const auto quantile = [&](double q) {
    double cum = 0.0;
    for (const auto& [x, w] : xs) {
      cum += w;
      if (cum >= q) return x;
    }
    return xs.back().first;
  };
  s.lower = quantile(0.05);
  s.upper = quantile(0.95);
  return s;
}

double rank_correlation(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, double>> pairs;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (!std::isnan(a[i]) && !std::isnan(b[i])) pairs.emplace_back(a[i], b[i]);
  const std::size_t n = pairs.size();
  if (n < 3) return std::nan("");
  const auto ranks = [&](bool second) {
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), std::size_t{0});
    const auto key = [&](std::size_t i) { return second ? pairs[i].second : pairs[i].first; };
    std::sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) { return key(x) < key(y); });
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      while (j + 1 < n && key(idx[j + 1]) == key(idx[i])) ++j;
      const double mean_rank = 0.5 * static_cast<double>(i + j);
      for (std::size_t k = i; k <= j; ++k) r[idx[k]] = mean_rank;
      i = j + 1;
    }
    return r;
  };
  const std::vector<double> ra = ranks(false), rb = ranks(true);
  const double m = 0.5 * static_cast<double>(n - 1);
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (ra[i] - m) * (rb[i] - m);
    saa += (ra[i] - m) * (ra[i] - m);
    sbb += (rb[i] - m) * (rb[i] - m);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

}  // namespace kpisim::stats

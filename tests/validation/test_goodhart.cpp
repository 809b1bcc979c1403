// Validation A4 (regressional Goodhart): with M = G + xi, rewarding the top q by M yields true
// value lambda * E[M | top q], lambda = s_G^2 / (s_G^2 + s_xi^2), within sampling error; with
// heavy-tailed noise E[G | M > t] falls back towards E[G] as t grows. Draws use the engine's
// counter-based streams and the engine's ranking rule (descending score, ties by index); the last
// test selects the winners with the leaderboard regime itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/rng.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"

namespace {

struct Sample {
  std::vector<double> g, m;
};

Sample draw(std::size_t n, double sg, double sx, bool heavy, std::uint32_t rep) {
  const kpisim::Rng rng(2018, rep);
  Sample s;
  s.g.resize(n);
  s.m.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto u = rng.uniform4(static_cast<std::uint32_t>(i), 0, kpisim::Purpose::measurement);
    const double g = sg * kpisim::normal_quantile(u.u[0]);
    // Heavy tail: Student t with 2 degrees of freedom, by its closed-form quantile.
    const double p = u.u[1];
    const double t2 = (2 * p - 1) / std::sqrt(2 * p * (1 - p));
    const double xi = heavy ? sx * t2 : sx * kpisim::normal_quantile(p);
    s.g[i] = g;
    s.m[i] = g + xi;
  }
  return s;
}

std::vector<std::size_t> top_by_measure(const std::vector<double>& m, double q) {
  std::vector<std::size_t> idx(m.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return m[a] != m[b] ? m[a] > m[b] : a < b; });
  idx.resize(static_cast<std::size_t>(std::ceil(q * static_cast<double>(m.size()))));
  return idx;
}

}  // namespace

TEST_CASE("A4: rewarding the top of a noisy metric selects noise (regressional Goodhart)", "[validation][A4]") {
  const std::size_t n = 400000;
  for (double sx : {0.5, 1.0, 2.0})
    for (double q : {0.01, 0.1, 0.3}) {
      const double sg = 1.0;
      const double lambda = sg * sg / (sg * sg + sx * sx);
      const Sample s = draw(n, sg, sx, false, static_cast<std::uint32_t>(sx * 10 + q * 100));
      const auto top = top_by_measure(s.m, q);
      double mean_g = 0, mean_m = 0;
      for (auto i : top) {
        mean_g += s.g[i];
        mean_m += s.m[i];
      }
      mean_g /= static_cast<double>(top.size());
      mean_m /= static_cast<double>(top.size());
      // Sampling error of the residual G - lambda*M among the selected: its sd is
      // sqrt(s_G^2 (1 - lambda)) (independent of M for jointly normal variables).
      const double resid_sd = std::sqrt(sg * sg * (1 - lambda));
      const double se = resid_sd / std::sqrt(static_cast<double>(top.size()));
      INFO("sigma_xi=" << sx << " q=" << q << " E[G|top]=" << mean_g << " lambda*E[M|top]=" << lambda * mean_m << " se=" << se);
      REQUIRE(std::fabs(mean_g - lambda * mean_m) < 4.0 * se);
      REQUIRE(mean_g < mean_m);  // the selected look better than they are
    }
}

TEST_CASE("A4: with heavy-tailed noise the true value of the extreme top falls back", "[validation][A4]") {
  const std::size_t n = 400000;
  const Sample s = draw(n, 1.0, 1.0, true, 7);
  std::vector<double> sorted = s.m;
  std::sort(sorted.begin(), sorted.end());
  auto mean_g_above = [&](double t) {
    double sum = 0;
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (s.m[i] > t) {
        sum += s.g[i];
        ++k;
      }
    return sum / static_cast<double>(k);
  };
  const double moderate = mean_g_above(sorted[n - n / 10]);   // top 10%
  const double extreme = mean_g_above(sorted[n - n / 2000]);  // top 0.05%
  INFO("E[G | top 10%]=" << moderate << " E[G | top 0.05%]=" << extreme);
  // For normal noise the extreme selection would have the *higher* true value; with heavy tails
  // it falls back towards E[G] = 0.
  REQUIRE(extreme < moderate);
  REQUIRE(std::fabs(extreme) < 0.5 * moderate + 0.05);
}

TEST_CASE("A4 through the leaderboard regime: its winners' true value regresses by lambda", "[validation][A4]") {
  // Measured usage M = G + xi around a common level; the leaderboard's own ranking picks the
  // winners; their mean true excess over the population is lambda times their measured excess.
  const int n = 40000;
  const double q = 0.1, level = 1e5, sg = 2e4, sx = 2e4;
  const double lambda = sg * sg / (sg * sg + sx * sx);
  const auto spec = kpisim::ModelSpec::resolve(
      kpisim::load_scenario_text("organisation: {employees: " + std::to_string(n) +
                                     "}\npolicies:\n  lb: {type: leaderboard, top_share: 0.1, bottom_share: 0, prize_usd: 1}\n",
                                 "a4.yaml"));
  kpisim::World w(spec);
  const kpisim::Rng rng(4, 0);
  auto regime = spec.scenario.policies[0].config->instantiate(spec, whole_scope(spec));
  std::vector<double> g(static_cast<std::size_t>(n)), m(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto u = rng.uniform4(static_cast<std::uint32_t>(i), 0, kpisim::Purpose::measurement);
    g[i] = sg * kpisim::normal_quantile(u.u[0]);
    m[i] = g[i] + sx * kpisim::normal_quantile(u.u[1]);
    w.measured_tokens[i] = static_cast<float>(level + m[i]);
  }
  for (int d = 0; d < 7; ++d) {
    kpisim::RegimeContext ctx{spec, w, rng, d};
    w.clear_incentives();
    regime->apply(ctx, 1.0);
    regime->end_of_day(ctx, 1.0);
  }
  double mg = 0, mm = 0, k = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    if (w.reward_usd[i] > 0) {
      mg += g[i];
      mm += m[i];
      k += 1;
    }
  REQUIRE(k == std::ceil(q * n));
  mg /= k;
  mm /= k;
  const double se = std::sqrt(sg * sg * (1 - lambda) / k);
  INFO("E[G|win]=" << mg << " lambda*E[M|win]=" << lambda * mm << " se=" << se);
  REQUIRE(std::fabs(mg - lambda * mm) < 4.0 * se);
}

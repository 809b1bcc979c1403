// ABC-SMC (kpisim/stats/abc.hpp) on problems whose ABC posterior is known in closed form: with a
// uniform prior and the distance |x - c| / s, the points within eps are the interval
// [c - eps s, c + eps s] (cut by the box), and the ABC posterior at tolerance eps is uniform on it:
// mean c, sd eps s / sqrt(3). The population's weights must undo the proposal's concentration for
// the sample to be uniform there; without them the sd comes out too small.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kpisim/stats/abc.hpp"

namespace {
using kpisim::stats::AbcOptions;
using kpisim::stats::Parameter;

kpisim::stats::AbcDistances around(double c, double s, std::size_t coordinate = 0) {
  return [=](const std::vector<std::vector<double>>& pts) {
    std::vector<double> d;
    d.reserve(pts.size());
    for (const auto& p : pts) d.push_back(std::abs(p[coordinate] - c) / s);
    return d;
  };
}
}  // namespace

TEST_CASE("abc: the last generation is uniform on the points within the tolerance", "[unit][abc]") {
  const std::vector<Parameter> box = {{"x", 0.0, 10.0, false}};
  AbcOptions o;
  o.particles = 2000;
  o.generations = 4;
  o.quantile = 0.5;
  o.max_simulations = 200000;
  o.seed = 7;
  const auto res = kpisim::stats::abc_smc(box, around(3.0, 1.0), o);
  REQUIRE(res.generations.size() == 5);
  const auto& last = res.generations.back();
  const double eps = last.tolerance;
  // The tolerance halves about every generation from the prior's median distance (about 3.5).
  CHECK(eps < 0.6);
  CHECK(eps > 0.05);
  double wsum = 0.0;
  for (const auto& p : last.particles) {
    CHECK(std::abs(p.x[0] - 3.0) <= eps + 1e-12);
    CHECK(p.distance <= eps);
    wsum += p.weight;
  }
  CHECK(wsum == Approx(1.0));
  const auto sm = kpisim::stats::summarize_particles(last.particles, 0);
  const double sd = eps / std::sqrt(3.0);
  // Sampling error of a weighted sample of 2,000 (effective size somewhat less): a few percent.
  CHECK(sm.mean == Approx(3.0).margin(0.08 * sd));
  CHECK(sm.sd == Approx(sd).epsilon(0.06));
  CHECK(sm.lower == Approx(3.0 - 0.9 * eps).margin(0.1 * eps));  // the 5% quantile of a uniform on [c - eps, c + eps]
  CHECK(sm.upper == Approx(3.0 + 0.9 * eps).margin(0.1 * eps));
  CHECK(res.simulations <= o.max_simulations);
}

TEST_CASE("abc: a box edge cuts the posterior, and a log scale works in log x", "[unit][abc]") {
  // The target sits at the box's lower edge: the posterior is uniform on [0, eps s].
  const std::vector<Parameter> box = {{"x", 0.0, 1.0, false}, {"y", 1.0, 100.0, true}};
  AbcOptions o;
  o.particles = 4000;
  o.generations = 3;
  o.max_simulations = 400000;
  o.seed = 3;
  const auto res = kpisim::stats::abc_smc(box, around(0.0, 0.1), o);
  const auto& last = res.generations.back();
  const double hi = last.tolerance * 0.1;
  const auto sx = kpisim::stats::summarize_particles(last.particles, 0);
  CHECK(sx.mean == Approx(hi / 2).margin(0.05 * hi));
  CHECK(sx.sd == Approx(hi / std::sqrt(12.0)).epsilon(0.08));
  // y is not informed: its posterior is its prior, log-uniform on [1, 100] (median 10).
  const auto sy = kpisim::stats::summarize_particles(last.particles, 1);
  double below10 = 0.0;
  for (const auto& p : last.particles) below10 += p.x[1] < 10.0 ? p.weight : 0.0;
  CHECK(below10 == Approx(0.5).margin(0.05));
  // ... and in its tails too: the proposals (a kernel truncated to the box) put less mass near the
  // edges, and only the weights put it back (unweighted, each tail holds about 6% instead of 10%).
  double low = 0.0, high = 0.0;
  for (const auto& p : last.particles) {
    low += p.x[1] < std::pow(100.0, 0.1) ? p.weight : 0.0;
    high += p.x[1] > std::pow(100.0, 0.9) ? p.weight : 0.0;
  }
  CHECK(low == Approx(0.1).margin(0.015));
  CHECK(high == Approx(0.1).margin(0.015));
  CHECK(sy.lower == Approx(std::pow(100.0, 0.05)).epsilon(0.2));
}

TEST_CASE("abc: the same seed gives the same populations whatever the batches, and options are checked", "[unit][abc]") {
  const std::vector<Parameter> box = {{"x", 0.0, 10.0, false}};
  AbcOptions o;
  o.particles = 50;
  o.generations = 3;
  o.seed = 11;
  const auto a = kpisim::stats::abc_smc(box, around(5.0, 1.0), o);
  const auto b = kpisim::stats::abc_smc(box, around(5.0, 1.0), o);
  REQUIRE(a.generations.size() == b.generations.size());
  for (std::size_t g = 0; g < a.generations.size(); ++g)
    for (std::size_t i = 0; i < a.generations[g].particles.size(); ++i)
      CHECK(a.generations[g].particles[i].x == b.generations[g].particles[i].x);
  // Failed simulations (NaN) are never accepted.
  const auto nan_right = [](const std::vector<std::vector<double>>& pts) {
    std::vector<double> d;
    d.reserve(pts.size());
    for (const auto& p : pts) d.push_back(p[0] > 5.0 ? std::nan("") : std::abs(p[0] - 4.0));
    return d;
  };
  const auto c = kpisim::stats::abc_smc(box, nan_right, o);
  for (std::size_t g = 1; g < c.generations.size(); ++g)
    for (const auto& p : c.generations[g].particles) CHECK(p.x[0] <= 5.0);
  // A budget that runs out mid-generation leaves that generation out.
  o.max_simulations = 120;
  const auto d = kpisim::stats::abc_smc(box, around(5.0, 1.0), o);
  CHECK(d.simulations <= 120);
  CHECK(d.stop.find("budget") != std::string::npos);
  o.quantile = 1.0;
  CHECK_THROWS_AS(kpisim::stats::abc_smc(box, around(5.0, 1.0), o), std::invalid_argument);
}

TEST_CASE("abc: rank correlation", "[unit][abc]") {
  using kpisim::stats::rank_correlation;
  // Spearman's rho of a monotone but non-linear relation is 1 (-1 reversed); hand-computed otherwise.
  CHECK(rank_correlation({1, 2, 3, 4, 5}, {1, 8, 27, 64, 125}) == Approx(1.0));
  CHECK(rank_correlation({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}) == Approx(-1.0));
  // Ranks (0..4) of b = {2, 0, 1, 4, 3}: d^2 = 4 + 1 + 1 + 1 + 1 = 8, rho = 1 - 6 x 8 / (5 x 24) = 0.6.
  CHECK(rank_correlation({1, 2, 3, 4, 5}, {30, 10, 20, 50, 40}) == Approx(0.6));
  // Ties share their mean rank; NaN pairs are left out; too few pairs or a constant sample: NaN.
  CHECK(rank_correlation({1, 2, 2, 3}, {1, 2, 2, 3}) == Approx(1.0));
  CHECK(rank_correlation({1, 2, std::nan(""), 3, 4}, {1, 2, 100, 3, 4}) == Approx(1.0));
  CHECK(std::isnan(rank_correlation({1, 2}, {1, 2})));
  CHECK(std::isnan(rank_correlation({1, 1, 1, 1}, {1, 2, 3, 4})));
}

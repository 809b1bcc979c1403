// The optimiser (kpisim/stats/optimise.hpp) on problems with known answers: noisy quadratics under
// common random numbers (every candidate sees the same replications' noise), a constrained problem
// whose optimum lies on the constraint, the budget, and reproducibility.
#include <Random123/philox.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "kpisim/stats/optimise.hpp"

namespace {

using kpisim::stats::LocalAlgorithm;
using kpisim::stats::OptimisationOptions;
using kpisim::stats::OptimisationProblem;

/// Standard normal draws for replication k, keyed by (seed, k): the same for every candidate.
std::vector<double> normals(std::uint64_t seed, std::uint32_t k, std::size_t n) {
  r123::Philox4x32 gen;
  const r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32U)}};
  std::vector<double> out;
  for (std::uint32_t block = 0; out.size() < n; ++block) {
    const r123::Philox4x32::ctr_type c = {{k, block, 7U, 0U}};
    const auto r = gen(c, key);
    for (int i = 0; i < 4 && out.size() < n; i += 2) {
      const double u1 = (static_cast<double>(r.v[i]) + 0.5) / 4294967296.0;
      const double u2 = (static_cast<double>(r.v[i + 1]) + 0.5) / 4294967296.0;
      out.push_back(std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));  // Box-Muller
    }
  }
  return out;
}

/// Replication k's noise: a shift of the optimum (sd `shift`) per coordinate and an additive term (sd 1).
struct Noise {
  std::vector<std::vector<double>> shift;  // [k][j]
  std::vector<double> add;                 // [k]
  Noise(std::uint64_t seed, std::size_t reps, std::size_t d, double sd) {
    for (std::uint32_t k = 0; k < reps; ++k) {
      const auto z = normals(seed, k, d + 1);
      shift.emplace_back();
      for (std::size_t j = 0; j < d; ++j) shift.back().push_back(sd * z[j]);
      add.push_back(z[d]);
    }
  }
  /// The mean shift: the sample-average problem's optimum is the true optimum plus this.
  [[nodiscard]] std::vector<double> mean_shift() const {
    std::vector<double> m(shift.front().size(), 0.0);
    for (const auto& s : shift)
      for (std::size_t j = 0; j < m.size(); ++j) m[j] += s[j] / static_cast<double>(shift.size());
    return m;
  }
};

/// Mean over replications of sum_j a_j (x_j - c_j - shift_kj)^2 + add_k: a noisy quadratic whose
/// true optimum is c (the sample average's is c + mean shift).
double noisy_quadratic(const std::vector<double>& x, const std::vector<double>& c, const std::vector<double>& a, const Noise& noise) {
  double total = 0.0;
  for (std::size_t k = 0; k < noise.add.size(); ++k) {
    double f = noise.add[k];
    for (std::size_t j = 0; j < x.size(); ++j) f += a[j] * std::pow(x[j] - c[j] - noise.shift[k][j], 2);
    total += f;
  }
  return total / static_cast<double>(noise.add.size());
}

}  // namespace

TEST_CASE("optimiser finds the optimum of a noisy 3-d quadratic under common random numbers", "[validation]") {
  const std::vector<double> c = {1.9, -2.4, 3.3};  // the true optimum
  const std::vector<double> a = {1.0, 3.0, 0.5};
  const std::size_t reps = 20;
  const double sd = 0.1;  // sd of a replication's shift of the optimum: the sample average's optimum is off by ~ sd / sqrt(20) = 0.022
  const Noise noise(42, reps, 3, sd);
  const std::vector<double> saa = {c[0] + noise.mean_shift()[0], c[1] + noise.mean_shift()[1], c[2] + noise.mean_shift()[2]};
  OptimisationProblem p;
  p.box = {{"x", -2.0, 3.0, false}, {"y", -3.0, 1.0, false}, {"z", 0.5, 4.0, false}};
  p.evaluate = [&](const std::vector<double>& x) { return std::vector<double>{noisy_quadratic(x, c, a, noise)}; };
  for (const auto alg : {LocalAlgorithm::cobyla, LocalAlgorithm::bobyqa, LocalAlgorithm::sbplx}) {
    INFO("algorithm " << kpisim::stats::algorithm_name(alg));
    OptimisationOptions o;
    o.algorithm = alg;
    o.max_evaluations = 300;
    o.xtol = 1e-5;
    const auto r = kpisim::stats::minimise(p, o);
    REQUIRE(r.evaluations.size() <= o.max_evaluations);
    REQUIRE(r.any_feasible);
    const auto& best = r.evaluations[r.best].x;
    for (std::size_t j = 0; j < 3; ++j) {
      // The optimiser solves the sample-average problem it is given ...
      CHECK(std::abs(best[j] - saa[j]) < 5e-3);
      // ... whose optimum is the true one within the noise: 4 standard errors of the mean shift.
      CHECK(std::abs(best[j] - c[j]) < 4 * sd / std::sqrt(static_cast<double>(reps)));
    }
    // Not vacuous: the start (the box's centre) is far from the optimum.
    double far = 0.0;
    for (std::size_t j = 0; j < 3; ++j) far += std::pow(r.evaluations[0].x[j] - c[j], 2);
    CHECK(std::sqrt(far) > 1.5);
  }
}

TEST_CASE("optimiser with a Latin hypercube start finds the optimum in a corner region", "[validation]") {
  const std::vector<double> c = {0.05, 0.9};
  const std::vector<double> a = {1.0, 1.0};
  const Noise noise(7, 10, 2, 0.02);
  OptimisationProblem p;
  p.box = {{"p", 0.01, 1.0, true}, {"q", 0.0, 1.0, false}};  // a log scale searches in log x
  p.evaluate = [&](const std::vector<double>& x) { return std::vector<double>{noisy_quadratic(x, c, a, noise)}; };
  OptimisationOptions o;
  o.start_points = 8;
  o.max_evaluations = 120;
  o.xtol = 1e-6;
  o.seed = 3;
  const auto r = kpisim::stats::minimise(p, o);
  int lhs = 0;
  for (const auto& e : r.evaluations) lhs += e.stage == 1 ? 1 : 0;
  CHECK(lhs == 8);
  const auto m = noise.mean_shift();
  CHECK(std::abs(r.evaluations[r.best].x[0] - (c[0] + m[0])) < 5e-3);
  CHECK(std::abs(r.evaluations[r.best].x[1] - (c[1] + m[1])) < 5e-3);
}

TEST_CASE("optimiser: constrained optimum on the constraint", "[validation]") {
  // Minimise (x - 2)^2 + (y - 1)^2 (noisy, CRN) subject to x + y <= 1: the optimum is the projection
  // of the unconstrained optimum (2, 1) + shift onto the line x + y = 1, i.e. (1, 0) + the projected shift.
  const std::vector<double> c = {2.0, 1.0};
  const std::vector<double> a = {1.0, 1.0};
  const Noise noise(11, 16, 2, 0.05);
  const auto m = noise.mean_shift();
  const double excess = (c[0] + m[0] + c[1] + m[1] - 1.0) / 2.0;
  const std::vector<double> expected = {c[0] + m[0] - excess, c[1] + m[1] - excess};
  OptimisationProblem p;
  p.box = {{"x", -1.0, 3.0, false}, {"y", -1.0, 3.0, false}};
  p.start = {0.0, 0.0};
  p.constraints = 1;
  p.evaluate = [&](const std::vector<double>& x) { return std::vector<double>{noisy_quadratic(x, c, a, noise), x[0] + x[1] - 1.0}; };
  OptimisationOptions o;
  o.max_evaluations = 200;
  o.xtol = 1e-6;
  const auto r = kpisim::stats::minimise(p, o);
  REQUIRE(r.any_feasible);
  const auto& best = r.evaluations[r.best];
  CHECK(best.feasible);
  CHECK(best.values[1] <= 0.0);
  CHECK(best.values[1] > -1e-3);  // on the constraint
  CHECK(std::abs(best.x[0] - expected[0]) < 1e-2);
  CHECK(std::abs(best.x[1] - expected[1]) < 1e-2);
  CHECK(std::abs(best.x[0] - 1.0) < 0.1);  // and near the true (1, 0)
  CHECK(std::abs(best.x[1] - 0.0) < 0.1);
  // The unconstrained optimum would violate it: the constraint matters.
  CHECK(c[0] + c[1] > 1.0);
}

TEST_CASE("optimiser: budget, infeasible problems and refused combinations", "[unit]") {
  OptimisationProblem p;
  p.box = {{"x", 0.0, 1.0, false}, {"y", 0.0, 1.0, false}};
  p.constraints = 1;
  int calls = 0;
  p.evaluate = [&](const std::vector<double>& x) {
    ++calls;
    return std::vector<double>{x[0] + x[1], 3.0 - x[0] - x[1]};  // x + y >= 3 is impossible in the box
  };
  OptimisationOptions o;
  o.max_evaluations = 17;
  o.start_points = 4;
  const auto r = kpisim::stats::minimise(p, o);
  CHECK(r.evaluations.size() <= 17);
  CHECK(calls == static_cast<int>(r.evaluations.size()));  // every candidate evaluated once
  CHECK_FALSE(r.any_feasible);
  // The least violating point is reported: near (1, 1).
  CHECK(r.evaluations[r.best].violation < 1.3);
  o.algorithm = LocalAlgorithm::bobyqa;
  CHECK_THROWS_AS(kpisim::stats::minimise(p, o), std::invalid_argument);
  o.algorithm = LocalAlgorithm::cobyla;
  p.start = {2.0, 0.0};
  CHECK_THROWS_AS(kpisim::stats::minimise(p, o), std::invalid_argument);
}

TEST_CASE("optimiser: the same seed gives the same trajectory", "[determinism]") {
  const std::vector<double> c = {0.3, 0.6};
  const std::vector<double> a = {2.0, 1.0};
  const Noise noise(5, 8, 2, 0.1);
  OptimisationProblem p;
  p.box = {{"x", 0.0, 1.0, false}, {"y", 0.0, 1.0, false}};
  p.constraints = 1;
  p.evaluate = [&](const std::vector<double>& x) { return std::vector<double>{noisy_quadratic(x, c, a, noise), x[0] - 0.25}; };
  OptimisationOptions o;
  o.start_points = 5;
  o.max_evaluations = 40;
  o.seed = 99;
  const auto r1 = kpisim::stats::minimise(p, o);
  const auto r2 = kpisim::stats::minimise(p, o);
  REQUIRE(r1.evaluations.size() == r2.evaluations.size());
  for (std::size_t i = 0; i < r1.evaluations.size(); ++i) {
    CHECK(r1.evaluations[i].x == r2.evaluations[i].x);
    CHECK(r1.evaluations[i].values == r2.evaluations[i].values);
  }
  CHECK(r1.best == r2.best);
  o.seed = 100;  // another seed: another Latin hypercube
  const auto r3 = kpisim::stats::minimise(p, o);
  CHECK(r3.evaluations[1].x != r1.evaluations[1].x);
}

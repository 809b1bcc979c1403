// The allocation solver: exact KKT conditions on random problems, and special cases.
#include <catch2/catch.hpp>

#include <cmath>

#include "kpisim/core/rng.hpp"
#include "kpisim/model/allocation.hpp"

using kpisim::allocate;
using kpisim::Allocation;
using kpisim::AllocationProblem;

namespace {

// Checks the Karush-Kuhn-Tucker conditions of the solution to tolerance `tol`.
void require_kkt(const AllocationProblem& p, const Allocation& x, double tol) {
  double s = 0;
  for (std::size_t j = 0; j < p.n; ++j) s += x.t[j];
  REQUIRE(s <= p.budget + tol);
  REQUIRE(x.multiplier >= 0.0);
  if (s < p.budget - tol) REQUIRE(x.multiplier == Approx(0.0).margin(tol));
  for (std::size_t j = 0; j < p.n; ++j) {
    REQUIRE(x.t[j] >= 0.0);
    REQUIRE(x.t[j] <= p.cap[j] + tol);
    const double grad = p.a[j] - p.c * x.t[j] - p.delta * (s - x.t[j]) - x.multiplier;
    if (x.t[j] > tol && x.t[j] < p.cap[j] - tol) REQUIRE(grad == Approx(0.0).margin(tol));
    if (x.t[j] <= tol) REQUIRE(grad <= tol);
    if (x.t[j] >= p.cap[j] - tol) REQUIRE(grad >= -tol);
  }
}

}  // namespace

TEST_CASE("allocation satisfies the KKT conditions on random problems", "[unit][allocation]") {
  const kpisim::Rng rng(42, 0);
  for (std::uint32_t trial = 0; trial < 2000; ++trial) {
    const auto u = rng.uniform4(trial, 0, kpisim::Purpose::decision, 0);
    AllocationProblem p;
    p.n = 1 + trial % 6;
    p.c = 0.5 + 10 * u.u[0];
    p.delta = p.c * 0.95 * u.u[1];
    p.budget = trial % 3 == 0 ? 1e300 : 1 + 12 * u.u[2];
    for (std::size_t j = 0; j < p.n; ++j) {
      const auto v = rng.uniform4(trial, static_cast<std::uint32_t>(j + 1), kpisim::Purpose::decision, 0);
      p.a[j] = 200 * (v.u[0] - 0.3);
      p.cap[j] = v.u[1] < 0.3 ? 1e300 : 10 * v.u[2];
    }
    const Allocation x = allocate(p);
    require_kkt(p, x, 1e-8 * (1 + p.c));
  }
}

TEST_CASE("allocation is the unique maximiser: perturbations lower utility", "[unit][allocation]") {
  AllocationProblem p;
  p.n = 4;
  p.a = {60, 20, 35, -5};
  p.cap = {1e300, 3, 1e300, 2};
  p.c = 8;
  p.delta = 3;
  p.budget = 9;
  const Allocation x = allocate(p);
  const double u0 = kpisim::allocation_utility(p, x);
  for (std::size_t j = 0; j < p.n; ++j)
    for (double eps : {-1e-3, 1e-3}) {
      Allocation y = x;
      y.t[j] = std::max(0.0, std::min(p.cap[j], y.t[j] + eps));
      double s = 0;
      for (std::size_t k = 0; k < p.n; ++k) s += y.t[k];
      if (s > p.budget) continue;
      REQUIRE(kpisim::allocation_utility(p, y) <= u0 + 1e-12);
    }
}

TEST_CASE("allocation: nothing is done when nothing pays", "[unit][allocation]") {
  AllocationProblem p;
  p.n = 3;
  p.a = {-1, 0, -20};
  p.cap = {5, 5, 5};
  p.c = 2;
  p.delta = 1;
  const Allocation x = allocate(p);
  REQUIRE(x.total == 0.0);
}

TEST_CASE("allocation: a binding budget is spent exactly", "[unit][allocation]") {
  AllocationProblem p;
  p.n = 2;
  p.a = {100, 90};
  p.cap = {1e300, 1e300};
  p.c = 1;
  p.delta = 0.5;
  p.budget = 8;
  const Allocation x = allocate(p);
  REQUIRE(x.total == Approx(8.0).epsilon(1e-14));
  REQUIRE(x.multiplier > 0);
  // Interior with the budget: t1 - t2 = (a1 - a2) / (c - delta) = 20.
  REQUIRE(x.t[0] - x.t[1] == Approx(8.0).epsilon(1e-12));  // capped by the budget: t2 = 0
}

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

TEST_CASE("allocation: checking covers at most the AI-assisted work done (limit_to_base)", "[unit][allocation]") {
  // Two people, c = 8, delta = 3, budget 12; activities work, verification, performative, learning.
  // Person 0: one hour of work left (cap 1) and checking worth 30 USD/h: the box problem gives
  // theta = 3 (1 + t_V), t_V = (30 - theta) / 5 = 3.375 h of checking for 1 h of work. With half
  // the work on AI and 0.3 h of checking per AI hour, full coverage is 0.15 h: re-solved with that
  // cap, theta = 3 x 1.15 = 3.45, work stays at its cap and checking is 0.15.
  // Person 1: checking worth 10 USD/h against 50 for work: no checking, nothing to re-solve.
  const double a0[2] = {50, 50}, a1[2] = {30, 10}, zero[2] = {0, 0};
  const double cap0[2] = {1, 10}, cap1[2] = {10, 10};
  const double budget[2] = {12, 12};
  const double* const a[4] = {a0, a1, zero, zero};
  const double* const cap[4] = {cap0, cap1, zero, zero};
  double t0[2], t1[2], t2[2], t3[2];
  double* const t[4] = {t0, t1, t2, t3};
  kpisim::allocate_batch(2, 8, 3, a, cap, budget, t);
  CHECK(t1[0] == Approx(3.375));
  CHECK(t0[0] == Approx(1.0));
  const double before_w1 = t0[1];
  const double before_v1 = t1[1];
  const float share[2] = {0.5F, 0.5F};
  CHECK(kpisim::limit_to_base(2, 8, 3, a, cap, budget, 1, 0, 0.3, share, t) == 1);
  CHECK(t0[0] == Approx(1.0));
  CHECK(t1[0] == Approx(0.15));
  CHECK(t1[0] <= 0.3 * 0.5 * t0[0]);
  CHECK(t0[1] == before_w1);  // untouched, to the bit
  CHECK(t1[1] == before_v1);
  CHECK(t1[1] == 0.0);
  // Lowering the checking cap never lowers work: with work free (cap 10) the re-solve gives more work.
  const double cap0b[2] = {10, 10};
  const double a1b[2] = {48, 10};
  const double* const capb[4] = {cap0b, cap1, zero, zero};
  const double* const ab[4] = {a0, a1b, zero, zero};
  kpisim::allocate_batch(2, 8, 3, ab, capb, budget, t);
  const double w_before = t0[0];
  REQUIRE(t1[0] > 0.3 * 0.5 * t0[0]);
  CHECK(kpisim::limit_to_base(2, 8, 3, ab, capb, budget, 1, 0, 0.3, share, t) == 1);
  CHECK(t0[0] > w_before);
  CHECK(t1[0] <= 0.3 * 0.5 * t0[0]);
}

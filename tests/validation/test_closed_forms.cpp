// Validation: the decision machinery reproduces the closed forms A1, A2, A3 and A5 of the
// calibration notes (docs/model.md, "Validation") to floating-point tolerance.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <functional>

#include "kpisim/model/allocation.hpp"
#include "kpisim/model/rules.hpp"

using kpisim::allocate;
using kpisim::AllocationProblem;

namespace {

// Golden-section maximisation of a unimodal function on [lo, hi].
double argmax(const std::function<double(double)>& f, double lo, double hi) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi, c = b - g * (b - a), d = a + g * (b - a);
  double fc = f(c), fd = f(d);
  for (int i = 0; i < 200 && b - a > 1e-13; ++i) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return 0.5 * (a + b);
}

// The agent's effort on one measured task with a linear bonus b: the engine's solver with one
// activity whose marginal utility is b per unit of measured output.
double single_task_effort(double b, double c) {
  AllocationProblem p;
  p.n = 1;
  p.a[0] = b;
  p.cap[0] = 1e300;
  p.c = c;
  return allocate(p).t[0];
}

}  // namespace

TEST_CASE("A1: linear incentive gives effort b/c, and the optimal slope 1/(1+r c sigma^2)", "[validation][A1]") {
  for (double c : {0.5, 1.0, 3.0})
    for (double b : {0.0, 0.2, 1.0, 7.5}) REQUIRE(single_task_effort(b, c) == Approx(b / c).epsilon(1e-15));
  // Principal: total certainty equivalent e - (c/2) e^2 - (r/2) b^2 sigma^2 with e = e(b) from the agent.
  for (double r : {0.0, 0.5, 2.0})
    for (double s2 : {0.1, 1.0})
      for (double c : {0.5, 2.0}) {
        auto surplus = [&](double b) {
          const double e = single_task_effort(b, c);
          return e - 0.5 * c * e * e - 0.5 * r * b * b * s2;
        };
        const double b_star = argmax(surplus, 0.0, 2.0);
        REQUIRE(b_star == Approx(1.0 / (1.0 + r * c * s2)).margin(1e-7));
      }
}

TEST_CASE("A2: multitask crowd-out with an unmeasured task", "[validation][A2]") {
  const double c = 2.0;
  for (double delta : {0.0, 0.5, 1.5})
    for (double m : {0.5, 1.0, 3.0})
      for (double alpha1 : {0.0, 0.5, 1.0, 2.0, 4.0, 8.0}) {
        AllocationProblem p;
        p.n = 2;
        p.a = {alpha1, m};
        p.cap = {1e300, 1e300};
        p.c = c;
        p.delta = delta;
        const auto x = allocate(p);
        double t1 = (c * alpha1 - delta * m) / (c * c - delta * delta);
        double t2 = (c * m - delta * alpha1) / (c * c - delta * delta);
        if (t2 < 0) {  // floored: the unmeasured task is crowded out entirely
          t2 = 0;
          t1 = alpha1 / c;
        }
        if (t1 < 0) {
          t1 = 0;
          t2 = m / c;
        }
        INFO("delta=" << delta << " m=" << m << " alpha1=" << alpha1);
        REQUIRE(x.t[0] == Approx(t1).margin(1e-12));
        REQUIRE(x.t[1] == Approx(t2).margin(1e-12));
        if (delta == 0.0) REQUIRE(x.t[1] == Approx(m / c).margin(1e-12));  // no crowd-out without interaction
        if (delta > 0 && alpha1 >= c * m / delta) REQUIRE(x.t[1] == 0.0);
      }
  // Hard time budget with linear costs: bang-bang on the higher marginal reward.
  AllocationProblem p;
  p.n = 2;
  p.cap = {1e300, 1e300};
  p.c = 0;
  p.delta = 0;
  p.budget = 8;
  p.a = {3.0, 2.0};
  auto x = allocate(p);
  REQUIRE(x.t[0] == 8.0);
  REQUIRE(x.t[1] == 0.0);
  p.a = {1.0, 2.5};
  x = allocate(p);
  REQUIRE(x.t[0] == 0.0);
  REQUIRE(x.t[1] == 8.0);
}

TEST_CASE("A3: metric alignment, b* = f.g/(|g|^2 + r sigma^2), value share cos^2(theta)", "[validation][A3]") {
  const std::array<double, 3> f{1.0, 0.5, 0.2};
  const std::array<std::array<double, 3>, 3> gs{{{1.0, 0.0, 0.0}, {0.3, 0.9, 0.4}, {0.0, 0.0, 1.0}}};
  auto agent = [](double b, const std::array<double, 3>& g) {
    AllocationProblem p;
    p.n = 3;
    for (std::size_t j = 0; j < 3; ++j) {
      p.a[j] = b * g[j];
      p.cap[j] = 1e300;
    }
    p.c = 1.0;
    p.delta = 0.0;
    return allocate(p);
  };
  for (const auto& g : gs) {
    double fg = 0, gg = 0, ff = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      fg += f[j] * g[j];
      gg += g[j] * g[j];
      ff += f[j] * f[j];
    }
    // t* = b g (activities can go negative in the theory; here g >= 0 so t >= 0 binds nowhere).
    const auto x = agent(0.7, g);
    for (std::size_t j = 0; j < 3; ++j) REQUIRE(x.t[j] == Approx(0.7 * g[j]).margin(1e-14));
    for (double rs2 : {0.0, 0.3}) {
      auto surplus = [&](double b) {
        const auto t = agent(b, g);
        double v = 0, cost = 0;
        for (std::size_t j = 0; j < 3; ++j) {
          v += f[j] * t.t[j];
          cost += 0.5 * t.t[j] * t.t[j];
        }
        return v - cost - 0.5 * rs2 * b * b;
      };
      const double b_star = argmax(surplus, 0.0, 5.0);
      REQUIRE(b_star == Approx(fg / (gg + rs2)).margin(1e-7));
      if (rs2 == 0.0) {
        const double first_best = 0.5 * ff;  // t = f
        const double cos2 = fg * fg / (ff * gg);
        REQUIRE(surplus(b_star) / first_best == Approx(cos2).margin(1e-9));
      }
    }
  }
  // A KPI orthogonal to value (a raw token count): b* = 0; any positive weight buys only cost.
  const std::array<double, 3> value_only{1.0, 0.5, 0.0};
  const std::array<double, 3> tokens_only{0.0, 0.0, 1.0};
  auto surplus_orth = [&](double b) {
    const auto t = agent(b, tokens_only);
    double v = 0, cost = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      v += value_only[j] * t.t[j];
      cost += 0.5 * t.t[j] * t.t[j];
    }
    return v - cost;
  };
  REQUIRE(argmax(surplus_orth, 0.0, 5.0) == Approx(0.0).margin(1e-7));
  REQUIRE(surplus_orth(1.0) < 0.0);
}

TEST_CASE("A5: tournament effort (W1-W2)/(2 c sigma sqrt(pi)), and with uniform noise (W1-W2)/(2 q c)", "[validation][A5]") {
  // Parameters where the symmetric pure-strategy equilibrium exists (c > 0.121 spread / sigma^2).
  for (double spread : {1.0, 4.0})
    for (double sigma : {1.0, 2.0, 4.0})
      for (double c : {1.0, 2.0}) {
        // Best-response iteration with the engine's contest marginal and allocation solver.
        double mu1 = 0.0, mu2 = 3.0;
        for (int it = 0; it < 200; ++it) {
          AllocationProblem p;
          p.n = 1;
          p.cap[0] = 1e300;
          p.c = c;
          // Own marginal at the current efforts: the density of the difference at own - other.
          // Solve own first-order condition by fixed point on own effort.
          double own = mu1;
          for (int k = 0; k < 200; ++k) {
            p.a[0] = kpisim::rules::contest_marginal(spread, own, mu2, sigma, kpisim::rules::ContestNoise::normal);
            own = 0.5 * own + 0.5 * allocate(p).t[0];
          }
          mu1 = own;
          std::swap(mu1, mu2);
        }
        const double theory = spread / (2.0 * c * sigma * std::sqrt(M_PI));
        INFO("spread=" << spread << " sigma=" << sigma << " c=" << c);
        REQUIRE(mu1 == Approx(theory).epsilon(1e-9));
        REQUIRE(mu2 == Approx(theory).epsilon(1e-9));
      }
  // At the symmetric point the marginal is exactly the Lazear-Rosen first-order condition.
  const double m = kpisim::rules::contest_marginal(3.0, 1.0, 1.0, 2.0, kpisim::rules::ContestNoise::normal);
  REQUIRE(m == Approx(3.0 / (2.0 * 2.0 * std::sqrt(M_PI))).epsilon(1e-15));
  const double mu = kpisim::rules::contest_marginal(3.0, 1.0, 1.0, 2.0, kpisim::rules::ContestNoise::uniform);
  REQUIRE(mu == Approx(3.0 / (2.0 * 2.0)).epsilon(1e-15));
  // Effort depends on the spread, not the level; it falls as 1/sigma.
  REQUIRE(kpisim::rules::contest_marginal(3.0, 0, 0, 4.0, kpisim::rules::ContestNoise::normal) * 2 ==
          Approx(kpisim::rules::contest_marginal(3.0, 0, 0, 2.0, kpisim::rules::ContestNoise::normal)).epsilon(1e-15));
}

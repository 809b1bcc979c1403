// Small model rules and the random-number machinery.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/rng.hpp"
#include "kpisim/model/rules.hpp"

namespace r = kpisim::rules;

namespace {
kpisim::TaskSpec inside_task() {
  kpisim::TaskSpec t{};
  t.value_gain = 0.14;
  t.novice_slope = 2.4;
  t.inside = true;
  t.defect_prob = 0.1;
  return t;
}
}  // namespace

namespace {
// The root of review x response x Phi((t - usage - response x t x p)/sigma) = cost x p, by bisection
// with std::erfc (independent of the engine's own normal distribution function and solver).
double review_root(double review, double usage, double t, double sigma, double response, double cost) {
  double lo = 0.0;
  double hi = review * response / cost;
  for (int it = 0; it < 200; ++it) {
    const double p = 0.5 * (lo + hi);
    const double z = (t - usage - response * t * p) / sigma;
    (review * response * 0.5 * std::erfc(-z / std::sqrt(2.0)) > cost * p ? lo : hi) = p;
  }
  return 0.5 * (lo + hi);
}
}  // namespace

TEST_CASE("AI gain: novices gain more inside the frontier, experts about nothing", "[unit][rules]") {
  const auto t = inside_task();
  const double novice = r::ai_gain(t, 0.4, 1.0);
  const double typical = r::ai_gain(t, 1.0, 1.0);
  const double expert = r::ai_gain(t, 1.6, 1.0);
  REQUIRE(typical == Approx(0.14));
  REQUIRE(novice == Approx(0.14 * (1 + 2.4 * 0.6)));  // ~ +34% (Brynjolfsson et al.)
  REQUIRE(novice > typical);
  REQUIRE(expert == Approx(0.0).margin(0.01));
  REQUIRE(r::ai_gain(t, 2.5, 1.0) == 0.0);     // never negative inside the frontier
  REQUIRE(r::ai_gain(t, 1.0, 0.0) < typical);  // proficiency helps
}

TEST_CASE("AI gain outside the frontier is a loss, worse at low proficiency", "[unit][rules]") {
  kpisim::TaskSpec t{};
  t.value_gain = -0.2;
  REQUIRE(r::ai_gain(t, 1.0, 1.0) == Approx(-0.2));
  REQUIRE(r::ai_gain(t, 1.0, 0.0) == Approx(-0.3));
}

TEST_CASE("defect probability stays in [0,1] and falls with proficiency", "[unit][rules]") {
  auto t = inside_task();
  REQUIRE(r::defect_prob(t, 0.0) > r::defect_prob(t, 1.0));
  t.defect_prob = 1.0;
  REQUIRE(r::defect_prob(t, 0.0) == 1.0);
  t.defect_prob = 0.0;
  REQUIRE(r::defect_prob(t, 0.5) == 0.0);
}

TEST_CASE("choice share is a logit in [0,1] and a threshold at zero temperature", "[unit][rules]") {
  REQUIRE(r::choice_share(0.0, 4.0) == Approx(0.5));
  REQUIRE(r::choice_share(1e6, 4.0) == Approx(1.0));
  REQUIRE(r::choice_share(-1e6, 4.0) == Approx(0.0));
  REQUIRE(r::choice_share(0.1, 0.0) == 1.0);
  REQUIRE(r::choice_share(-0.1, 0.0) == 0.0);
}

TEST_CASE("quit hazard reproduces the annual turnover at the reference state", "[unit][rules]") {
  const kpisim::Attrition a{};  // annual 0.12; sensitivities 3, 2, 2, 1
  const double base = r::quit_base(a.annual_turnover);
  const double h = r::quit_hazard(a, base, 0.35, 0.33, 0.74, 0.87);
  REQUIRE(1.0 - std::pow(1.0 - h, 260.0) == Approx(0.12).epsilon(1e-3));
  REQUIRE(r::quit_hazard(a, base, 0.8, 0.33, 0.74, 0.87) > h);
  REQUIRE(r::quit_hazard(a, base, 0.35, 0.8, 0.74, 0.87) > h);
  REQUIRE(r::quit_hazard(a, base, 0.35, 0.33, 0.3, 0.87) > h);  // disengaged
  REQUIRE(r::quit_hazard(a, base, 0.35, 0.33, 0.74, 0.5) > h);  // feels ineffective
  REQUIRE(r::quit_hazard(a, base, 0.35, 0.33, 0.9, 0.95) < h);
}

TEST_CASE("counter-based streams are pure functions of their keys", "[unit][rng]") {
  const kpisim::Rng a(7, 0), b(7, 0), c(7, 1), d(8, 0);
  const auto x = a.uniform4(3, 10, kpisim::Purpose::defects);
  const auto y = b.uniform4(3, 10, kpisim::Purpose::defects);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(x.u[i] == y.u[i]);
    REQUIRE(x.u[i] > 0.0);
    REQUIRE(x.u[i] < 1.0);
  }
  REQUIRE(c.uniform4(3, 10, kpisim::Purpose::defects).u[0] != x.u[0]);
  REQUIRE(d.uniform4(3, 10, kpisim::Purpose::defects).u[0] != x.u[0]);
  REQUIRE(a.uniform4(3, 10, kpisim::Purpose::arrivals).u[0] != x.u[0]);
  REQUIRE(a.uniform4(4, 10, kpisim::Purpose::defects).u[0] != x.u[0]);
}

TEST_CASE("uniforms have the right moments", "[unit][rng]") {
  const kpisim::Rng rng(1, 0);
  double s = 0, s2 = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const auto u = rng.uniform4(static_cast<std::uint32_t>(i), 0, kpisim::Purpose::traits);
    for (double v : u.u) {
      s += v;
      s2 += v * v;
    }
  }
  const double m = s / (4.0 * n);
  const double var = s2 / (4.0 * n) - m * m;
  REQUIRE(m == Approx(0.5).margin(4 * std::sqrt(1.0 / 12 / (4.0 * n))));
  REQUIRE(var == Approx(1.0 / 12).epsilon(0.01));
}

TEST_CASE("normal quantile inverts the normal CDF to Acklam's accuracy", "[unit][rng]") {
  // Acklam's approximation has relative error below 1.15e-9 in x, so the CDF of the result may
  // differ from u by at most about pdf(x) * 1.15e-9 * |x| (plus rounding).
  for (double u : {1e-12, 1e-6, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.77, 0.97575, 0.999, 1 - 1e-9}) {
    const double x = kpisim::normal_quantile(u);
    const double tol = kpisim::normal_pdf(x) * 1.15e-9 * std::fabs(x) + 1e-15;
    INFO("u=" << u << " x=" << x);
    REQUIRE(std::fabs(kpisim::normal_cdf(x) - u) <= tol);
  }
  REQUIRE(kpisim::normal_quantile(0.5) == Approx(0.0).margin(1e-15));
}

TEST_CASE("normal quantile keeps Acklam's relative error 1.15e-9 over a dense grid and the tails", "[unit][rng]") {
  // Reference: Newton steps on Phi(x) = u in long double (erfcl), from the engine's value; the
  // approximation's error is some 1e-9, far above the reference's. Every uniform the engine can
  // draw lies in [2^-33, 1 - 2^-33], where |x| < 6.4: the relative error 1.15e-9 is then an absolute
  // error below 7.4e-9.
  auto reference = [](double u) {
    long double x = kpisim::normal_quantile(u);
    const long double target = u;
    for (int it = 0; it < 3; ++it) {
      const long double cdf = 0.5L * std::erfc(-x / std::sqrt(2.0L));
      const long double pdf = std::exp(-0.5L * x * x) / std::sqrt(2.0L * 3.14159265358979323846264338327950288L);
      x -= (cdf - target) / pdf;
    }
    return x;
  };
  std::vector<double> grid;
  constexpr int kDense = 200000;
  for (int i = 1; i < kDense; ++i) grid.push_back(static_cast<double>(i) / kDense);  // the body, both tails' inner part
  for (double e = -33 * std::log(2.0); e < std::log(0.05); e += 0.01) {              // the tails to the smallest uniform
    grid.push_back(std::exp(e));
    grid.push_back(1.0 - std::exp(e));
  }
  for (const double x : {0.02425, std::nextafter(0.02425, 0.0), 0.97575, std::nextafter(0.97575, 1.0), 0.5}) grid.push_back(x);
  double worst_rel = 0.0;
  double worst_abs = 0.0;
  for (const double u : grid) {
    const double x = kpisim::normal_quantile(u);
    const auto ref = static_cast<double>(reference(u));
    const double err = std::fabs(x - ref);
    worst_abs = std::max(worst_abs, err);
    if (std::fabs(ref) > 1e-3) worst_rel = std::max(worst_rel, err / std::fabs(ref));
    // Near u = 1/2 the relative error is measured against a tiny x: bound the absolute error there.
    if (std::fabs(ref) <= 1e-3) REQUIRE(err < 1.15e-9 * 1e-3 + 1e-15);
  }
  INFO("largest relative error " << worst_rel << ", largest absolute error " << worst_abs);
  REQUIRE(worst_rel < 1.15e-9);
  REQUIRE(worst_abs < 7.4e-9);
}

TEST_CASE("Poisson by inversion has mean and variance lambda", "[unit][rng]") {
  const kpisim::Rng rng(3, 0);
  for (double lambda : {0.05, 0.7, 4.0, 45.0}) {
    double s = 0, s2 = 0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
      const double k = kpisim::poisson_from_uniform(lambda, rng.uniform4(static_cast<std::uint32_t>(i), 1, kpisim::Purpose::defects).u[0]);
      s += k;
      s2 += k * k;
    }
    const double m = s / n;
    INFO("lambda=" << lambda);
    REQUIRE(m == Approx(lambda).margin(5 * std::sqrt(lambda / n)));
    REQUIRE(s2 / n - m * m == Approx(lambda).epsilon(0.05));
  }
  REQUIRE(kpisim::poisson_from_uniform(0.0, 0.99) == 0U);
}

TEST_CASE("calendar: weeks of five working days, and cadences end on whole weeks", "[unit][calendar]") {
  int workdays = 0;
  for (int d = 0; d < 364; ++d) workdays += kpisim::is_workday(d) ? 1 : 0;
  REQUIRE(workdays == 260);
  REQUIRE(kpisim::is_period_end(6, kpisim::Cadence::weekly));
  REQUIRE_FALSE(kpisim::is_period_end(5, kpisim::Cadence::weekly));
  REQUIRE(kpisim::is_period_end(90, kpisim::Cadence::quarterly));
  kpisim::Cadence c{};
  REQUIRE(kpisim::parse_cadence("monthly", c));
  REQUIRE(c == kpisim::Cadence::monthly);
  REQUIRE_FALSE(kpisim::parse_cadence("fortnightly", c));
}

TEST_CASE("rules: a manager's pressure maximises her expected bonus and review less the cost of pressure", "[unit][rules]") {
  using kpisim::rules::manager_pressure;
  using kpisim::rules::manager_utility;
  // Usage 0.5 of the target, noise 0.2 of the target, response 0.5 per unit of pressure, cost 10 a day, bonus 100 a day.
  const double p = manager_pressure(100, 0, 50, 100, 20, 0.5, 10, 3);
  // The first-order condition at an interior optimum: bonus x phi(z) x response x target / sigma = cost x p.
  const double z = (50 + 0.5 * 100 * p - 100) / 20;
  const double foc = 100 * std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI) * 0.5 * 100 / 20 - 10 * p;
  CHECK(std::fabs(foc) < 1e-4 * 100);
  CHECK(p > 0.0);
  CHECK(p < 3.0);
  // It beats every other pressure on a fine grid.
  for (double q = 0.0; q <= 3.0; q += 0.01)
    CHECK(manager_utility(p, 100, 0, 50, 100, 20, 0.5, 10) >= manager_utility(q, 100, 0, 50, 100, 20, 0.5, 10) - 1e-9);
  // A hopeless target (at most 0.6 of it within reach) or no stake: no pressure.
  CHECK(manager_pressure(100, 0, 0, 100, 5, 0.2, 10, 3) == 0.0);
  CHECK(manager_pressure(0, 0, 50, 100, 20, 0.5, 10, 3) == 0.0);
  // Pressure grows with the bonus, and falls with its cost.
  CHECK(manager_pressure(200, 0, 50, 100, 20, 0.5, 10, 3) > p);
  CHECK(manager_pressure(100, 0, 50, 100, 20, 0.5, 40, 3) < p);
  // Free pressure: as much as she can (the expected bonus rises with pressure).
  CHECK(manager_pressure(100, 0, 50, 100, 20, 0.5, 0, 3) == Approx(3.0).margin(1e-6));
  // A review that counts usage linearly up to the target, in expectation over the noise: the
  // first-order condition review x response x P(usage below target) = cost x p, solved here by
  // bisection with std::erfc. Usage 0, target 100, noise 20: p = Phi((100 - 50 p)/20), about 0.994
  // (just under review x response / cost = 1, the optimum if the target could not be passed).
  CHECK(manager_pressure(0, 20, 0, 100, 20, 0.5, 10, 3) == Approx(review_root(20, 0, 100, 20, 0.5, 10)).margin(1e-5));
  CHECK(review_root(20, 0, 100, 20, 0.5, 10) == Approx(0.994).margin(1e-3));
  // ... also towards an unreachable target, which a bonus alone would not chase: exactly 1.
  CHECK(manager_pressure(0, 20, 0, 1e6, 20, 0.5, 10, 3) == Approx(1.0).margin(1e-6));
  // ... but less near it: usage 0.8 of the target, p = Phi((20 - 50 p)/20), about 0.45 (without
  // noise it would be exactly the 0.4 that reaches the target).
  CHECK(manager_pressure(0, 20, 80, 100, 20, 0.5, 10, 3) == Approx(review_root(20, 80, 100, 20, 0.5, 10)).margin(1e-5));
  CHECK(review_root(20, 80, 100, 20, 0.5, 10) == Approx(0.45).margin(0.01));
}

TEST_CASE("rules: the expected share of the target a noisy usage is credited with", "[unit][rules]") {
  using kpisim::rules::expected_capped_share;
  // E[min(U, t)] / t by numerical integration of the normal density (independent of the closed form).
  auto integrate = [](double mean, double t, double sigma) {
    double sum = 0.0;
    const double dz = 1e-3;
    for (double z = -10.0; z <= 10.0; z += dz) sum += std::min(mean + sigma * z, t) * std::exp(-0.5 * z * z) * dz;
    return sum / std::sqrt(2 * M_PI) / t;
  };
  for (const double mean : {20.0, 80.0, 100.0, 130.0, 300.0})
    CHECK(expected_capped_share(mean, 100, 20) == Approx(integrate(mean, 100, 20)).margin(1e-6));
  CHECK(expected_capped_share(1e6, 100, 20) == Approx(1.0));   // far past the target: all of it
  CHECK(expected_capped_share(50, 100, 1e-3) == Approx(0.5));  // no noise: the plain share
}

TEST_CASE("rules: the pressure passed down solves the first-order condition of a manager's utility without a bonus", "[unit][rules]") {
  using kpisim::rules::passed_pressure;
  // review 48, response 0.5, cost 30: at most 48 x 0.5 / 30 = 0.8; noise 300 on a target of 1000.
  for (const double usage : {0.0, 500.0, 900.0, 1000.0, 1300.0, 2000.0}) {
    const double p = passed_pressure(48, usage, 1000, 300, 0.5, 30, 3);
    INFO("usage " << usage);
    CHECK(p == Approx(review_root(48, usage, 1000, 300, 0.5, 30)).margin(1e-6));
    // It is the maximum of manager_utility with no bonus: no pressure on a fine grid does better.
    const double best = kpisim::rules::manager_utility(p, 0, 48, usage, 1000, 300, 0.5, 30);
    for (int g = 0; g <= 300; ++g) CHECK(kpisim::rules::manager_utility(g * 0.01, 0, 48, usage, 1000, 300, 0.5, 30) <= best + 1e-9);
  }
  // Far below the target nearly all of 0.8; at the target half of it; well past it little.
  CHECK(passed_pressure(48, -1e6, 1000, 300, 0.5, 30, 3) == Approx(0.8));
  CHECK(passed_pressure(48, 1000, 1000, 300, 0.5, 30, 3) < passed_pressure(48, 500, 1000, 300, 0.5, 30, 3));
  CHECK(passed_pressure(48, 2000, 1000, 300, 0.5, 30, 3) < 0.01);
  // No pressure from above: none; a cap binds; free pressure: as much as she can.
  CHECK(passed_pressure(0, 0, 1000, 300, 0.5, 30, 3) == 0.0);
  CHECK(passed_pressure(480, -1e6, 1000, 300, 0.5, 30, 1.5) == Approx(1.5));
  CHECK(passed_pressure(48, 0, 1000, 300, 0.5, 0, 3) == Approx(3.0));
}

TEST_CASE("rules: the normal distribution function is within 1.5e-7 of std::erfc's", "[unit][rules]") {
  double worst = 0.0;
  for (double z = -10.0; z <= 10.0; z += 0.001)
    worst = std::max(worst, std::fabs(kpisim::rules::normal_cdf(z) - 0.5 * std::erfc(-z / std::sqrt(2.0))));
  CHECK(worst < 1.5e-7);
  CHECK(kpisim::rules::normal_cdf(0.0) == Approx(0.5).margin(1e-9));
  CHECK(kpisim::rules::normal_cdf(-40.0) >= 0.0);
  CHECK(kpisim::rules::normal_cdf(40.0) <= 1.0);
}

// Arrivals, backlog and clean-up (docs/model.md 7.6, engine/src/model/arrivals.hpp) and work,
// value and errors (7.7-7.8, engine/src/model/work.hpp) on hand-built inputs.
#include <catch2/catch.hpp>

#include <cmath>

#include "arrivals.hpp"
#include "kpisim/core/rng.hpp"
#include "work.hpp"

using Catch::Detail::Approx;
namespace arr = kpisim::detail::arrivals;
namespace wk = kpisim::detail::work;

TEST_CASE("arrivals: lognormal with the workload as mean and the given coefficient of variation", "[unit][work]") {
  const auto ln = arr::lognormal(0.2, 8.8);
  const double sigma2 = std::log(1.04);  // ln(1 + cv^2)
  CHECK(ln.sigma == Approx(std::sqrt(sigma2)));
  CHECK(ln.shift == Approx(0.5 * sigma2));
  // The median (z = 0) is mean / sqrt(1 + cv^2).
  CHECK(arr::arrive(ln, 0.0) == Approx(8.8 / std::sqrt(1.04)));
  // Mean and coefficient of variation over a fine grid of quantiles (midpoint rule in u).
  double s1 = 0, s2 = 0;
  const int m = 200000;
  for (int k = 0; k < m; ++k) {
    const double a = arr::arrive(ln, kpisim::normal_quantile((k + 0.5) / m));
    s1 += a;
    s2 += a * a;
  }
  const double mean = s1 / m;
  CHECK(mean == Approx(8.8).epsilon(1e-3));
  CHECK(std::sqrt(s2 / m - mean * mean) / mean == Approx(0.2).epsilon(1e-2));
}

TEST_CASE("arrivals: clean-up is done first up to the cap, the rest waits", "[unit][work]") {
  const auto a = arr::cleanup(1.5, 0.25, 4.0);
  CHECK(a.today == 1.75);
  CHECK(a.left == 0.0);
  const auto b = arr::cleanup(5.0, 1.0, 4.0);
  CHECK(b.today == 4.0);
  CHECK(b.left == 2.0);
}

TEST_CASE("work: verification coverage and efficacy give the share of errors caught", "[unit][work]") {
  // 0.6 h of checking for 4 AI hours at ratio 0.3 covers 0.6 / 1.2 = half: 0.5 x 0.8 = 0.4.
  CHECK(wk::catch_probability(0.6, 4.0, 0.3, 0.8) == Approx(0.4));
  // Coverage is capped at 1; no AI hours, nothing to catch.
  CHECK(wk::catch_probability(5.0, 4.0, 0.3, 0.8) == Approx(0.8));
  CHECK(wk::catch_probability(1.0, 0.0, 0.3, 0.8) == 0.0);
}

TEST_CASE("work: value is lowered by exhaustion and by the errors passed on, never negative", "[unit][work]") {
  // 6 E at 70 USD per E, performance 0.9, 2 errors passed costing 30 USD each: 378 - 60 = 318.
  CHECK(wk::value(6, 70, 0.9, 2, 30) == Approx(318));
  CHECK(wk::value(1, 70, 1.0, 5, 30) == 0.0);
}

TEST_CASE("work: the clean-up queue gets fixes of caught errors and the author's share of passed ones", "[unit][work]") {
  // Left 1 h, 2 caught x 0.25 h, passed errors' downstream 3 h of which half returns: 1 + 0.5 + 1.5 = 3.
  CHECK(wk::cleanup_queue(1.0, 2, 0.25, 3.0, 0.5) == Approx(3.0));
  CHECK(wk::cleanup_queue(0.0, 0, 0.25, 3.0, 1.0) == Approx(0.0));  // all of it lands on colleagues
}

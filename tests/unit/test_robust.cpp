// Robust comparison (kpisim::stats, robust.hpp): regret on a hand-made table, PRIM on synthetic
// problems with a known box, a null problem without one, and the resampling stability check.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/stats/robust.hpp"

namespace st = kpisim::stats;

namespace {

// n uniform points in [0,1]^d and independent uniforms for label noise (Philox, fixed seed).
struct Synthetic {
  std::vector<std::vector<double>> x;
  std::vector<double> noise;
};

Synthetic uniform_points(std::uint64_t seed, std::size_t n, std::size_t d) {
  Synthetic s;
  const kpisim::Rng rng(seed, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> row;
    for (std::size_t j = 0; j < d; ++j)
      row.push_back(rng.uniform4(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j / 4), kpisim::Purpose::arrivals).u[j % 4]);
    s.x.push_back(row);
    s.noise.push_back(rng.uniform4(static_cast<std::uint32_t>(i), 0, kpisim::Purpose::decision).u[0]);
  }
  return s;
}

// y = 1 inside x0 < 0.3 and x2 > 0.6, each label flipped with probability `flip`.
std::vector<std::uint8_t> box_labels(const Synthetic& s, double flip) {
  std::vector<std::uint8_t> y;
  for (std::size_t i = 0; i < s.x.size(); ++i) {
    const bool in = s.x[i][0] < 0.3 && s.x[i][2] > 0.6;
    y.push_back(static_cast<std::uint8_t>((s.noise[i] < flip) != in ? 1 : 0));
  }
  return y;
}

}  // namespace

TEST_CASE("regret against the best policy in each state, on a hand-made table", "[unit][robust]") {
  // 4 states x 3 policies (objective to maximise); state 3 has a failed policy.
  const std::vector<double> obj = {10, 8,
                                   9,  //
                                   5,  7,
                                   7,  // tie: the lower index (1) is best
                                   1,  2,
                                   4,  //
                                   3,  std::nan(""),
                                   1};
  const st::RegretTable t = st::regret_table(obj, 4, 3, true);
  CHECK(t.best == std::vector<std::size_t>{0, 1, 2, st::kNoPolicy});
  const std::vector<double> expected = {0, 2, 1, 2, 0, 0, 3, 2, 0};
  for (std::size_t i = 0; i < expected.size(); ++i) CHECK(t.regret[i] == expected[i]);
  CHECK(std::isnan(t.regret[9]));
  CHECK(std::isnan(t.regret[11]));
  const auto s = st::summarize_regret(t);
  REQUIRE(s.size() == 3);
  CHECK(s[0].n == 3);
  CHECK(s[0].mean == Approx(5.0 / 3));
  CHECK(s[0].max == 3);
  CHECK(s[0].p90 == Approx(2.8));  // order statistics 0, 2, 3: h = 1.8 -> 2 + 0.8 * 1
  CHECK(s[0].best_share == Approx(1.0 / 3));
  CHECK(s[1].mean == Approx(4.0 / 3));
  CHECK(s[1].max == 2);
  CHECK(s[2].mean == Approx(1.0 / 3));
  CHECK(s[2].best_share == Approx(1.0 / 3));

  // Minimising: regret = objective - min.
  const st::RegretTable m = st::regret_table(obj, 4, 3, false);
  CHECK(m.best[0] == 1);
  CHECK(m.regret[0] == 2);
  CHECK(m.regret[1] == 0);
  CHECK_THROWS_AS(st::regret_table(obj, 3, 3, true), std::invalid_argument);
}

TEST_CASE("quantile interpolates between order statistics (numpy's default)", "[unit][robust]") {
  const std::vector<double> v = {4, 1, 3, 2, std::nan("")};
  CHECK(st::quantile(v, 0.0) == 1);
  CHECK(st::quantile(v, 1.0) == 4);
  CHECK(st::quantile(v, 0.5) == Approx(2.5));
  CHECK(st::quantile(v, 0.9) == Approx(3.7));
  CHECK(std::isnan(st::quantile(std::vector<double>{}, 0.5)));
}

TEST_CASE("PRIM finds a synthetic box: restricts exactly dims 0 and 2 near 0.3 and 0.6", "[unit][robust]") {
  const Synthetic s = uniform_points(2024, 2000, 4);
  const std::vector<std::uint8_t> y = box_labels(s, 0.05);
  st::PrimOptions o;
  o.resamples = 50;
  const st::PrimResult r = st::prim(s.x, y, o);
  REQUIRE(r.meets_threshold);
  REQUIRE(r.restrictions.size() == 2);
  CHECK(r.restrictions[0].dim == 0);
  CHECK(r.restrictions[1].dim == 2);
  CHECK(r.restrictions[0].upper_restricted);
  CHECK_FALSE(r.restrictions[0].lower_restricted);
  CHECK(r.restrictions[0].upper == Approx(0.3).margin(0.05));
  CHECK(r.restrictions[1].lower_restricted);
  CHECK_FALSE(r.restrictions[1].upper_restricted);
  CHECK(r.restrictions[1].lower == Approx(0.6).margin(0.05));
  CHECK(r.restrictions[0].qp < 1e-6);
  CHECK(r.restrictions[1].qp < 1e-6);
  // Inside the true box 95% of the labels are 1; outside 5%: about 0.12 * 0.95 + 0.88 * 0.05 = 0.158
  // of all points are cases, 72% of them in the true box.
  CHECK(r.box.density >= 0.8);
  CHECK(r.box.coverage >= 0.6);
  CHECK(r.box.support == Approx(0.12).margin(0.03));
  // The trajectory starts with the whole space and its coverage never grows.
  REQUIRE(r.trajectory.size() > 2);
  CHECK(r.trajectory.front().coverage == 1.0);
  CHECK(r.trajectory.front().support == 1.0);
  CHECK(r.trajectory.front().restricted == 0);
  for (std::size_t k = 1; k < r.trajectory.size(); ++k) CHECK(r.trajectory[k].coverage <= r.trajectory[k - 1].coverage);
  CHECK(r.trajectory.back().support >= o.min_support);
  // Stable: almost every resample restricts exactly the same dimensions.
  CHECK(r.resamples_used == 50);
  CHECK(r.same_dims_share >= 0.8);
  CHECK(r.dim_share[0] >= 0.95);
  CHECK(r.dim_share[2] >= 0.95);
  CHECK(r.dim_share[1] <= 0.2);
  CHECK(r.dim_share[3] <= 0.2);
  CHECK(r.density_lower <= r.box.density);
  CHECK(r.density_upper >= r.box.density);
  CHECK(r.coverage_lower <= r.box.coverage);
  CHECK(r.coverage_upper >= r.box.coverage);
}

TEST_CASE("PRIM on a problem without structure gives a low-density, unstable box", "[unit][robust]") {
  const Synthetic s = uniform_points(7, 2000, 4);
  std::vector<std::uint8_t> y;
  for (double u : s.noise) y.push_back(static_cast<std::uint8_t>(u < 0.2 ? 1 : 0));  // labels independent of x
  st::PrimOptions o;
  o.resamples = 50;
  const st::PrimResult r = st::prim(s.x, y, o);
  CHECK_FALSE(r.meets_threshold);
  CHECK(r.box.density < 0.4);
  // Whatever restriction survives pruning is not reproduced by resamples.
  CHECK(r.same_dims_share < 0.5);
}

TEST_CASE("PRIM edge cases: no cases, all cases, bad input", "[unit][robust]") {
  const Synthetic s = uniform_points(3, 200, 2);
  st::PrimOptions o;
  o.resamples = 5;
  const std::vector<std::uint8_t> none(200, 0);
  const st::PrimResult a = st::prim(s.x, none, o);
  CHECK(a.n_interesting == 0);
  CHECK(a.trajectory.empty());
  CHECK(a.restrictions.empty());
  const std::vector<std::uint8_t> all(200, 1);
  const st::PrimResult b = st::prim(s.x, all, o);
  CHECK(b.meets_threshold);
  CHECK(b.chosen == 0);
  CHECK(b.restrictions.empty());
  CHECK(b.box.density == 1.0);
  CHECK(b.same_dims_share == 1.0);
  CHECK_THROWS_AS(st::prim(s.x, std::vector<std::uint8_t>(3, 0), o), std::invalid_argument);
  st::PrimOptions bad = o;
  bad.peel_alpha = 0.0;
  CHECK_THROWS_AS(st::prim(s.x, all, bad), std::invalid_argument);
  std::vector<std::vector<double>> x = s.x;
  x[5][1] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(st::prim(x, all, o), std::invalid_argument);
}

TEST_CASE("PRIM stability is a pure function of the seed", "[unit][robust]") {
  const Synthetic s = uniform_points(11, 500, 3);
  std::vector<std::uint8_t> y;
  for (const auto& row : s.x) y.push_back(static_cast<std::uint8_t>(row[1] > 0.7 ? 1 : 0));
  st::PrimOptions o;
  o.resamples = 20;
  o.seed = 5;
  const st::PrimResult a = st::prim(s.x, y, o);
  const st::PrimResult b = st::prim(s.x, y, o);
  CHECK(a.same_dims_share == b.same_dims_share);
  CHECK(a.density_lower == b.density_lower);
  // The box chosen is the first on the trajectory to reach the threshold (the most coverage).
  REQUIRE(a.meets_threshold);
  REQUIRE(a.chosen > 0);
  CHECK(a.trajectory[a.chosen].density >= 0.8);
  CHECK(a.trajectory[a.chosen - 1].density < 0.8);
  // With threshold 1, a noise-free one-dimensional box is found exactly and every resample agrees.
  o.threshold = 1.0;
  const st::PrimResult c = st::prim(s.x, y, o);
  REQUIRE(c.restrictions.size() == 1);
  CHECK(c.restrictions[0].dim == 1);
  CHECK(c.restrictions[0].lower == Approx(0.7).margin(0.03));
  CHECK(c.box.density == 1.0);
  CHECK(c.box.coverage >= 0.95);  // the last peel (alpha of the box) may cut a little into the true box
  CHECK(c.same_dims_share == 1.0);
}

TEST_CASE("PRIM peels through tied values (bootstrap resamples repeat points)", "[unit][robust]") {
  // Every point three times: peels of alpha = 5% would remove less than one point's copies.
  const Synthetic s = uniform_points(2024, 400, 4);
  const std::vector<std::uint8_t> y0 = box_labels(s, 0.0);
  std::vector<std::vector<double>> x;
  std::vector<std::uint8_t> y;
  for (int copy = 0; copy < 3; ++copy) {
    x.insert(x.end(), s.x.begin(), s.x.end());
    y.insert(y.end(), y0.begin(), y0.end());
  }
  st::PrimOptions o;
  o.resamples = 0;
  o.min_support = 0.01;
  const st::PrimResult r = st::prim(x, y, o);
  // Peeling goes on below 60 points (where 5% is less than three copies) down to the minimum support.
  CHECK(r.trajectory.back().support < 0.03);
  REQUIRE(r.meets_threshold);
  REQUIRE(r.restrictions.size() == 2);
  CHECK(r.restrictions[0].dim == 0);
  CHECK(r.restrictions[1].dim == 2);
  CHECK(r.box.density >= 0.8);
  CHECK(r.box.coverage >= 0.8);
}

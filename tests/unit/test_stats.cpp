// The statistics and design-of-experiments library (kpisim::stats): t intervals, paired and Welch
// differences, designs (grid, Latin hypercube, Sobol, Saltelli, Morris), Sobol indices and Morris
// elementary effects. The Ishigami checks are [validation]: estimators against analytic indices.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/stats/design.hpp"
#include "kpisim/stats/sensitivity.hpp"
#include "kpisim/stats/summary.hpp"

namespace st = kpisim::stats;
using std::numbers::pi;

namespace {

// Standard normal draw number `i` of sample `sample` (independent across (seed, sample, i)).
double normal(std::uint64_t seed, std::uint32_t sample, std::uint32_t i) {
  const kpisim::Rng rng(seed, sample);
  return kpisim::normal_quantile(rng.uniform4(i / 4, 0, kpisim::Purpose::arrivals).u[i % 4]);
}

// Uniform in (0,1), same indexing.
double uniform(std::uint64_t seed, std::uint32_t sample, std::uint32_t i) {
  const kpisim::Rng rng(seed, sample);
  return rng.uniform4(i / 4, 0, kpisim::Purpose::decision).u[i % 4];
}

// The Ishigami function, inputs on [-pi, pi].
constexpr double kA = 7.0;
constexpr double kB = 0.1;
double ishigami(std::span<const double> x) {
  return std::sin(x[0]) + kA * std::sin(x[1]) * std::sin(x[1]) + kB * std::pow(x[2], 4) * std::sin(x[0]);
}

// Analytic Sobol indices of Ishigami (Ishigami & Homma 1990):
// V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50), V = V1 + V2 + V13.
struct IshigamiTruth {
  double s1[3];
  double st[3];
};
IshigamiTruth ishigami_truth() {
  const double pi4 = std::pow(pi, 4);
  const double v1 = 0.5 * (1 + kB * pi4 / 5) * (1 + kB * pi4 / 5);
  const double v2 = kA * kA / 8;
  const double v13 = kB * kB * pi4 * pi4 * (1.0 / 18 - 1.0 / 50);
  const double v = v1 + v2 + v13;
  return {{v1 / v, v2 / v, 0.0}, {(v1 + v13) / v, v2 / v, v13 / v}};
}

std::vector<st::Parameter> box(std::size_t d, double lo, double hi) {
  std::vector<st::Parameter> p(d);
  for (std::size_t j = 0; j < d; ++j) p[j] = {"x" + std::to_string(j + 1), lo, hi, false};
  return p;
}

// Reference Sobol generator (Bratley & Fox 1988, Gray-code order; Joe & Kuo's construction), written
// independently of Boost from the first rows of new-joe-kuo-6.21201: 32-bit fractions.
std::vector<std::vector<std::uint32_t>> reference_sobol(std::size_t n) {
  struct Poly {
    unsigned s, a;
    std::vector<std::uint32_t> m;
  };
  const std::vector<Poly> polys = {{1, 0, {1}}, {2, 1, {1, 3}}, {3, 1, {1, 3, 1}}, {3, 2, {1, 1, 1}}, {4, 1, {1, 1, 3, 3}}};
  const std::size_t dims = polys.size() + 1;
  std::vector<std::vector<std::uint32_t>> v(dims, std::vector<std::uint32_t>(33, 0));
  for (unsigned k = 1; k <= 32; ++k) v[0][k] = 1U << (32 - k);
  for (std::size_t j = 1; j < dims; ++j) {
    const Poly& p = polys[j - 1];
    for (unsigned k = 1; k <= 32; ++k) {
      if (k <= p.s) {
        v[j][k] = p.m[k - 1] << (32 - k);
      } else {
        std::uint32_t x = v[j][k - p.s] ^ (v[j][k - p.s] >> p.s);
        for (unsigned l = 1; l < p.s; ++l) {
          if ((p.a >> (p.s - 1 - l)) & 1U) x ^= v[j][k - l];
        }
        v[j][k] = x;
      }
    }
  }
  std::vector<std::vector<std::uint32_t>> pts(n, std::vector<std::uint32_t>(dims, 0));
  for (std::size_t i = 1; i < n; ++i) {
    unsigned c = 1;  // position of the rightmost zero bit of i - 1
    for (std::size_t x = i - 1; x & 1U; x >>= 1) ++c;
    for (std::size_t j = 0; j < dims; ++j) pts[i][j] = pts[i - 1][j] ^ v[j][c];
  }
  return pts;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Student t quantiles and intervals

TEST_CASE("t quantiles match tabulated values", "[unit][stats]") {
  CHECK(st::t_quantile(0.975, 4) == Approx(2.776445).epsilon(1e-6));
  CHECK(st::t_quantile(0.025, 4) == Approx(-2.776445).epsilon(1e-6));
  CHECK(st::t_quantile(0.975, 1) == Approx(12.706205).epsilon(1e-6));
  CHECK(st::t_quantile(0.975, 10) == Approx(2.228139).epsilon(1e-6));
  CHECK(st::t_quantile(0.995, 10) == Approx(3.169273).epsilon(1e-6));
  CHECK(st::t_quantile(0.95, 30) == Approx(1.697261).epsilon(1e-6));
  CHECK(st::t_quantile(0.975, 1e7) == Approx(1.959964).epsilon(1e-6));  // tends to the normal
  CHECK(st::t_quantile(0.5, 3.7) == Approx(0.0).margin(1e-12));
  // Fractional degrees of freedom lie between their integer neighbours.
  const double q = st::t_quantile(0.975, 4.5);
  CHECK(q < st::t_quantile(0.975, 4));
  CHECK(q > st::t_quantile(0.975, 5));
  CHECK_THROWS_AS(st::t_quantile(0.0, 4), std::invalid_argument);
  CHECK_THROWS_AS(st::t_quantile(1.0, 4), std::invalid_argument);
  CHECK_THROWS_AS(st::t_quantile(0.975, 0), std::invalid_argument);
  CHECK_THROWS_AS(st::t_quantile(0.975, std::nan("")), std::invalid_argument);
}

TEST_CASE("summarize gives the mean, sample sd and t interval", "[unit][stats]") {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  const st::Summary s = st::summarize(x);
  CHECK(s.n == 5);
  CHECK(s.n_failed == 0);
  CHECK(s.mean == Approx(3.0));
  CHECK(s.sd == Approx(std::sqrt(2.5)));
  CHECK(s.ci.se == Approx(std::sqrt(2.5 / 5)));
  CHECK(s.ci.df == 4);
  // 3 -/+ 2.776445 * sqrt(0.5)
  CHECK(s.ci.lower == Approx(1.036757).epsilon(1e-6));
  CHECK(s.ci.upper == Approx(4.963243).epsilon(1e-6));
  CHECK(s.ci.half_width() == Approx(1.963243).epsilon(1e-6));
  // A 90% interval uses t_{0.95,4} = 2.131847.
  const st::Summary s90 = st::summarize(x, 0.90);
  CHECK(s90.ci.half_width() == Approx(2.131847 * std::sqrt(0.5)).epsilon(1e-6));
  CHECK(s90.ci.level == 0.90);
  CHECK_THROWS_AS(st::summarize(x, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(st::summarize(x, 0.0), std::invalid_argument);
}

TEST_CASE("summarize: one value, no value, failed runs and infinities", "[unit][stats]") {
  const std::vector<double> one = {7.5};
  const st::Summary s1 = st::summarize(one);
  CHECK(s1.n == 1);
  CHECK(s1.mean == 7.5);
  CHECK(std::isnan(s1.sd));
  CHECK(std::isnan(s1.ci.lower));
  CHECK(std::isnan(s1.ci.upper));
  CHECK(std::isnan(s1.ci.se));

  const st::Summary s0 = st::summarize(std::span<const double>{});
  CHECK(s0.n == 0);
  CHECK(std::isnan(s0.mean));
  CHECK(std::isnan(s0.ci.lower));

  const double nan = std::nan("");
  const std::vector<double> with_nan = {1, nan, 3, nan, 5};
  const st::Summary sn = st::summarize(with_nan);
  CHECK(sn.n == 3);
  CHECK(sn.n_failed == 2);
  CHECK(sn.mean == Approx(3.0));
  CHECK(sn.sd == Approx(2.0));
  CHECK(sn.ci.half_width() == Approx(st::t_quantile(0.975, 2) * 2.0 / std::sqrt(3.0)));

  const std::vector<double> all_nan = {nan, nan};
  const st::Summary sa = st::summarize(all_nan);
  CHECK(sa.n == 0);
  CHECK(sa.n_failed == 2);
  CHECK(std::isnan(sa.mean));

  const std::vector<double> with_inf = {1, 2, std::numeric_limits<double>::infinity()};
  const st::Summary si = st::summarize(with_inf);
  CHECK(si.n == 3);
  CHECK(si.n_failed == 0);
  CHECK(std::isinf(si.mean));
  CHECK(std::isnan(si.ci.lower));

  const std::vector<double> constant = {2, 2, 2};
  const st::Summary sc = st::summarize(constant);
  CHECK(sc.sd == 0.0);
  CHECK(sc.ci.lower == 2.0);
  CHECK(sc.ci.upper == 2.0);
}

TEST_CASE("paired differences: per replication, NaN pairs skipped", "[unit][stats]") {
  const double nan = std::nan("");
  const std::vector<double> policy = {10, 12, nan, 15, 11};
  const std::vector<double> baseline = {9, 10, 8, 12, nan};
  // usable pairs: differences 1, 2, 3
  const st::Summary p = st::paired_difference(policy, baseline);
  CHECK(p.n == 3);
  CHECK(p.n_failed == 2);
  CHECK(p.mean == Approx(2.0));
  CHECK(p.sd == Approx(1.0));
  CHECK(p.ci.lower == Approx(2.0 - st::t_quantile(0.975, 2) / std::sqrt(3.0)));
  CHECK(p.ci.upper == Approx(2.0 + st::t_quantile(0.975, 2) / std::sqrt(3.0)));
  const std::vector<double> shorter = {1, 2};
  CHECK_THROWS_AS(st::paired_difference(policy, shorter), std::invalid_argument);
}

TEST_CASE("Welch interval: Satterthwaite degrees of freedom and degenerate cases", "[unit][stats]") {
  const std::vector<double> a = {1, 2, 3, 4, 5};  // mean 3, s^2 = 2.5
  const std::vector<double> b = {2, 4, 6, 8};     // mean 5, s^2 = 20/3
  const st::WelchComparison w = st::welch_difference(a, b);
  const double va = 2.5 / 5;
  const double vb = (20.0 / 3) / 4;
  const double df = (va + vb) * (va + vb) / (va * va / 4 + vb * vb / 3);
  CHECK(w.ci.estimate == Approx(-2.0));
  CHECK(w.ci.se == Approx(std::sqrt(va + vb)));
  CHECK(w.ci.df == Approx(df));
  CHECK(df == Approx(4.7495).epsilon(1e-4));
  CHECK(w.ci.half_width() == Approx(st::t_quantile(0.975, df) * std::sqrt(va + vb)));
  CHECK(w.policy.n == 5);
  CHECK(w.baseline.n == 4);

  const std::vector<double> one = {3};
  CHECK(std::isnan(st::welch_difference(a, one).ci.lower));
  const std::vector<double> c1 = {1, 1, 1};
  const std::vector<double> c2 = {3, 3};
  const st::WelchComparison wc = st::welch_difference(c1, c2);
  CHECK(wc.ci.lower == -2.0);
  CHECK(wc.ci.upper == -2.0);
  CHECK(wc.ci.df == 3.0);
}

TEST_CASE("paired interval on correlated data is much narrower than the unpaired one", "[unit][stats]") {
  // Common random numbers: replication k of both policies shares a large common component c_k
  // (sd 3); each adds its own small noise (sd 0.3); the policy adds 0.5. The paired interval's
  // width depends on the small noise only: expected width ratio sqrt(2*0.09 / (2*(9+0.09))) = 0.0995.
  const std::uint32_t n = 30;
  std::vector<double> base(n);
  std::vector<double> pol(n);
  for (std::uint32_t k = 0; k < n; ++k) {
    const double c = 3.0 * normal(11, k, 0);
    base[k] = 10.0 + c + 0.3 * normal(11, k, 1);
    pol[k] = 10.5 + c + 0.3 * normal(11, k, 2);
  }
  const st::Summary paired = st::paired_difference(pol, base);
  const st::WelchComparison unpaired = st::welch_difference(pol, base);
  CHECK(paired.mean == Approx(unpaired.ci.estimate));  // same point estimate
  CHECK(paired.ci.contains(0.5));
  CHECK_FALSE(paired.ci.contains(0.0));  // the paired interval detects the effect ...
  CHECK(unpaired.ci.contains(0.0));      // ... which the unpaired one cannot
  CHECK(paired.ci.half_width() < 0.2 * unpaired.ci.half_width());
}

TEST_CASE("95% t intervals cover the true mean in 93.5-96.5% of 2,000 samples", "[unit][stats]") {
  // Binomial sd of the coverage over 2,000 samples at 95% is 0.49 points: the band is +/- 3 sd.
  // With n = 5 the t quantile matters: the normal quantile 1.96 would cover only ~88%, and the
  // test checks that it would fail with it.
  const std::uint32_t samples = 2000;
  const std::uint32_t n = 5;
  const double mu = 10.0;
  int covered = 0;
  int covered_z = 0;
  int paired_covered = 0;
  int welch_covered = 0;
  for (std::uint32_t s = 0; s < samples; ++s) {
    std::vector<double> x(n);
    for (std::uint32_t i = 0; i < n; ++i) x[i] = mu + 2.0 * normal(2024, s, i);
    const st::Summary sum = st::summarize(x);
    covered += sum.ci.contains(mu) ? 1 : 0;
    covered_z += std::abs(sum.mean - mu) <= 1.959964 * sum.ci.se ? 1 : 0;

    // Paired: correlated pairs with a true difference of 1.
    std::vector<double> b(8);
    std::vector<double> p(8);
    for (std::uint32_t k = 0; k < 8; ++k) {
      const double c = normal(2025, s, k);
      b[k] = c + 0.5 * normal(2025, s, 100 + k);
      p[k] = 1.0 + c + 0.5 * normal(2025, s, 200 + k);
    }
    paired_covered += st::paired_difference(p, b).ci.contains(1.0) ? 1 : 0;

    // Welch: independent samples of unequal sizes and variances, true difference -1.
    std::vector<double> wa(6);
    std::vector<double> wb(15);
    for (std::uint32_t k = 0; k < 6; ++k) wa[k] = 1.0 + 0.5 * normal(2026, s, k);
    for (std::uint32_t k = 0; k < 15; ++k) wb[k] = 2.0 + 3.0 * normal(2026, s, 100 + k);
    welch_covered += st::welch_difference(wa, wb).ci.contains(-1.0) ? 1 : 0;
  }
  const double rate = covered / double(samples);
  const double rate_z = covered_z / double(samples);
  const double rate_paired = paired_covered / double(samples);
  const double rate_welch = welch_covered / double(samples);
  INFO("t coverage " << rate << ", normal-quantile coverage " << rate_z << ", paired " << rate_paired << ", Welch " << rate_welch);
  CHECK(rate >= 0.935);
  CHECK(rate <= 0.965);
  CHECK(rate_z < 0.935);  // the check has the power to reject the wrong quantile
  CHECK(rate_paired >= 0.935);
  CHECK(rate_paired <= 0.965);
  CHECK(rate_welch >= 0.935);
  CHECK(rate_welch <= 0.965);
}

// ---------------------------------------------------------------------------------------------
// Designs

TEST_CASE("parameters are validated and mapped, also on a log scale", "[unit][stats]") {
  const st::Parameter lin{"a", -2.0, 6.0, false};
  const st::Parameter lg{"b", 1.0, 100.0, true};
  CHECK(st::to_parameter(lin, 0.0) == -2.0);
  CHECK(st::to_parameter(lin, 1.0) == 6.0);
  CHECK(st::to_parameter(lin, 0.25) == Approx(0.0));
  CHECK(st::to_parameter(lg, 0.0) == 1.0);
  CHECK(st::to_parameter(lg, 1.0) == 100.0);
  CHECK(st::to_parameter(lg, 0.5) == Approx(10.0));
  CHECK(st::to_unit(lg, 10.0) == Approx(0.5));
  CHECK(st::to_unit(lin, 4.0) == Approx(0.75));
  std::vector<st::Parameter> bad = {{"x", 1.0, 1.0, false}};
  CHECK_THROWS_AS(st::validate_parameters(bad), std::invalid_argument);
  bad = {{"x", 0.0, 1.0, true}};
  CHECK_THROWS_AS(st::validate_parameters(bad), std::invalid_argument);
  bad = {{"x", 0.0, std::numeric_limits<double>::infinity(), false}};
  CHECK_THROWS_AS(st::validate_parameters(bad), std::invalid_argument);
  CHECK_THROWS_AS(st::validate_parameters({}), std::invalid_argument);
}

TEST_CASE("full grid: size, order and corners", "[unit][stats]") {
  const std::vector<st::Parameter> p = {{"a", 0.0, 1.0, false}, {"b", 10.0, 20.0, false}, {"c", 1.0, 100.0, true}};
  const std::vector<std::size_t> levels = {3, 1, 4};
  const st::Design g = st::full_grid(p, levels);
  REQUIRE(g.size() == 12);
  REQUIRE(g.values.cols() == 3);
  // Last parameter fastest: rows 0..3 run through c's levels with a at its lower bound.
  CHECK(g.values(0, 0) == 0.0);
  CHECK(g.values(0, 1) == 15.0);  // a single level sits at the centre
  CHECK(g.values(0, 2) == 1.0);
  CHECK(g.values(1, 2) == Approx(std::pow(100.0, 1.0 / 3)));  // equally spaced in log
  CHECK(g.values(3, 2) == 100.0);
  CHECK(g.values(4, 0) == 0.5);
  CHECK(g.values(4, 2) == 1.0);
  CHECK(g.values(11, 0) == 1.0);
  CHECK(g.values(11, 2) == 100.0);
  // Two levels each: exactly the 2^d corners, each once.
  const st::Design c = st::full_grid(p, 2);
  REQUIRE(c.size() == 8);
  std::set<std::vector<double>> corners;
  for (std::size_t i = 0; i < c.size(); ++i) {
    for (std::size_t j = 0; j < 3; ++j) CHECK((c.values(i, j) == p[j].lower || c.values(i, j) == p[j].upper));
    corners.insert({c.values(i, 0), c.values(i, 1), c.values(i, 2)});
  }
  CHECK(corners.size() == 8);
  const std::vector<std::size_t> zero = {2, 0, 2};
  CHECK_THROWS_AS(st::full_grid(p, zero), std::invalid_argument);
}

TEST_CASE("Latin hypercube: one value per stratum, reproducible from the seed", "[unit][stats]") {
  const std::vector<st::Parameter> p = {{"a", 0.0, 1.0, false}, {"b", -5.0, 5.0, false}, {"c", 0.01, 10.0, true}, {"d", 3.0, 4.0, false}};
  const std::size_t n = 97;
  const st::Design lhs = st::latin_hypercube(p, n, 12345);
  REQUIRE(lhs.size() == n);
  for (std::size_t j = 0; j < p.size(); ++j) {
    std::vector<int> hits(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const double v = lhs.values(i, j);
      REQUIRE(v >= p[j].lower);
      REQUIRE(v <= p[j].upper);
      const double u = st::to_unit(p[j], v);  // strata are equal in log(value) on a log scale
      CHECK(u == Approx(lhs.unit(i, j)).margin(1e-12));
      const auto stratum = static_cast<std::size_t>(std::floor(lhs.unit(i, j) * double(n)));
      REQUIRE(stratum < n);
      ++hits[stratum];
    }
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  const st::Design again = st::latin_hypercube(p, n, 12345);
  CHECK(again.values.data() == lhs.values.data());
  const st::Design other = st::latin_hypercube(p, n, 12346);
  std::size_t same = 0;
  for (std::size_t k = 0; k < other.unit.data().size(); ++k) same += other.unit.data()[k] == lhs.unit.data()[k] ? 1 : 0;
  CHECK(same == 0);
  // Columns are not copies of one another (independent permutations).
  std::size_t same_stratum = 0;
  for (std::size_t i = 0; i < n; ++i)
    same_stratum += std::floor(lhs.unit(i, 0) * double(n)) == std::floor(lhs.unit(i, 3) * double(n)) ? 1 : 0;
  CHECK(same_stratum < 10);
  CHECK_THROWS_AS(st::latin_hypercube(p, 0, 1), std::invalid_argument);
}

TEST_CASE("Sobol sequence: known first points, reference generator, nets and skipping", "[unit][stats]") {
  // The unscrambled Joe-Kuo Sobol sequence in Gray-code order (as scipy.stats.qmc.Sobol gives it).
  const double known[8][4] = {{0, 0, 0, 0},
                              {0.5, 0.5, 0.5, 0.5},
                              {0.75, 0.25, 0.25, 0.25},
                              {0.25, 0.75, 0.75, 0.75},
                              {0.375, 0.375, 0.625, 0.875},
                              {0.875, 0.875, 0.125, 0.375},
                              {0.625, 0.125, 0.875, 0.625},
                              {0.125, 0.625, 0.375, 0.125}};
  const st::Matrix s4 = st::sobol_sequence(4, 8);
  for (std::size_t i = 0; i < 8; ++i) {
    for (std::size_t j = 0; j < 4; ++j) CHECK(s4(i, j) == known[i][j]);
  }
  // 256 points in 6 dimensions against an independent implementation, bit for bit.
  const auto ref = reference_sobol(256);
  const st::Matrix s6 = st::sobol_sequence(6, 256);
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < 256; ++i) {
    for (std::size_t j = 0; j < 6; ++j) mismatches += s6(i, j) == std::ldexp(double(ref[i][j]), -32) ? 0 : 1;
  }
  CHECK(mismatches == 0);
  // The first 2^m points (origin included) put exactly one point in each interval [k/2^m, (k+1)/2^m)
  // of every coordinate.
  const st::Matrix s = st::sobol_sequence(10, 64);
  for (std::size_t j = 0; j < 10; ++j) {
    std::vector<int> hits(64, 0);
    for (std::size_t i = 0; i < 64; ++i) ++hits[static_cast<std::size_t>(s(i, j) * 64)];
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
  }
  // skip = k starts at point k.
  for (const std::uint64_t skip : {1U, 5U, 17U}) {
    const st::Matrix tail = st::sobol_sequence(6, 20, skip);
    for (std::size_t i = 0; i < 20; ++i) {
      for (std::size_t j = 0; j < 6; ++j) CHECK(tail(i, j) == s6(skip + i, j));
    }
  }
  // Mapped to a box.
  const std::vector<st::Parameter> p = {{"a", -1.0, 1.0, false}, {"b", 1.0, 100.0, true}};
  const st::Design d = st::sobol_design(p, 4);
  CHECK(d.values(0, 0) == -1.0);
  CHECK(d.values(0, 1) == 1.0);
  CHECK(d.values(1, 0) == 0.0);
  CHECK(d.values(1, 1) == Approx(10.0));
  CHECK_THROWS_AS(st::sobol_sequence(0, 4), std::invalid_argument);
  CHECK_THROWS_AS(st::sobol_sequence(3668, 4), std::invalid_argument);
}

TEST_CASE("Saltelli design: rows A, AB_1..AB_d, B per base row from a 2d-dimensional Sobol sequence", "[unit][stats]") {
  const std::size_t d = 3;
  const std::size_t n = 32;
  const auto p = box(d, -pi, pi);
  const st::Design sd = st::saltelli_design(p, n);
  REQUIRE(sd.size() == n * (d + 2));
  const st::Matrix base = st::sobol_sequence(2 * d, n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t r0 = k * (d + 2);
    for (std::size_t j = 0; j < d; ++j) {
      CHECK(sd.unit(r0, j) == base(k, j));              // A
      CHECK(sd.unit(r0 + d + 1, j) == base(k, d + j));  // B
      for (std::size_t i = 0; i < d; ++i) CHECK(sd.unit(r0 + 1 + i, j) == (i == j ? base(k, d + j) : base(k, j)));
    }
  }
  CHECK(sd.values(0, 0) == -pi);
  CHECK(st::saltelli_design(p, n, 8).unit(0, 0) == base(8, 0));
}

TEST_CASE("Morris design: one-at-a-time steps of delta on the grid, reproducible", "[unit][stats]") {
  const std::vector<st::Parameter> p = {{"a", 0.0, 1.0, false}, {"b", 5.0, 9.0, false}, {"c", 1.0, 1000.0, true}};
  const std::size_t d = p.size();
  const std::size_t r = 40;
  const std::size_t levels = 6;
  const st::MorrisDesign m = st::morris_design(p, r, levels, 99);
  REQUIRE(m.points.size() == r * (d + 1));
  CHECK(m.delta == Approx(0.6));  // p / (2 (p - 1))
  std::set<std::uint32_t> first_factors;
  for (std::size_t t = 0; t < r; ++t) {
    std::set<std::uint32_t> seen;
    for (std::size_t s = 0; s < d; ++s) {
      const std::size_t row = t * (d + 1) + s;
      const std::uint32_t f = m.factor[t * d + s];
      seen.insert(f);
      for (std::size_t j = 0; j < d; ++j) {
        const double du = m.points.unit(row + 1, j) - m.points.unit(row, j);
        if (j == f) {
          CHECK(std::abs(du) == Approx(m.delta));
        } else {
          CHECK(du == 0.0);
        }
      }
    }
    CHECK(seen.size() == d);  // every factor moves once
    first_factors.insert(m.factor[t * d]);
    for (std::size_t s = 0; s <= d; ++s) {
      for (std::size_t j = 0; j < d; ++j) {
        const double g = m.points.unit(t * (d + 1) + s, j) * double(levels - 1);
        CHECK(g == Approx(std::round(g)).margin(1e-12));  // on the grid
        CHECK(g >= 0.0);
        CHECK(g <= double(levels - 1) + 1e-12);
      }
    }
  }
  CHECK(first_factors.size() == d);  // the order of factors is random
  const st::MorrisDesign again = st::morris_design(p, r, levels, 99);
  CHECK(again.points.unit.data() == m.points.unit.data());
  CHECK(again.factor == m.factor);
  const st::MorrisDesign other = st::morris_design(p, r, levels, 100);
  CHECK(other.points.unit.data() != m.points.unit.data());
  CHECK_THROWS_AS(st::morris_design(p, r, 5, 1), std::invalid_argument);
  CHECK_THROWS_AS(st::morris_design(p, 0, 4, 1), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Sensitivity

TEST_CASE("Morris effects of a linear function are its coefficients times the ranges", "[unit][stats]") {
  const std::vector<st::Parameter> p = {
      {"a", 0.0, 1.0, false}, {"b", -2.0, 2.0, false}, {"c", 10.0, 20.0, false}, {"d", 5.0, 6.0, false}, {"e", 1.0, 100.0, true}};
  const double coef[5] = {2.0, -3.0, 0.5, 0.0, 1.5};
  // On a log scale the effect is per range of log(value): y = 1.5 ln(e) gives 1.5 ln(100).
  const double expected[5] = {2.0, -12.0, 5.0, 0.0, 1.5 * std::log(100.0)};
  const st::MorrisDesign m = st::morris_design(p, 25, 4, 7);
  std::vector<double> y(m.points.size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    const auto x = m.points.values.row(i);
    y[i] = coef[0] * x[0] + coef[1] * x[1] + coef[2] * x[2] + coef[3] * x[3] + coef[4] * std::log(x[4]);
  }
  const auto eff = st::morris_effects(m, y);
  REQUIRE(eff.size() == 5);
  for (std::size_t j = 0; j < 5; ++j) {
    CHECK(eff[j].count == 25);
    CHECK(eff[j].mu == Approx(expected[j]).margin(1e-9));
    CHECK(eff[j].mu_star == Approx(std::abs(expected[j])).margin(1e-9));
    CHECK(eff[j].sigma == Approx(0.0).margin(1e-9));
  }
  // A failed run removes the (at most two) effects that use it.
  y[3] = std::nan("");
  const auto eff2 = st::morris_effects(m, y);
  std::size_t failed = 0;
  for (const auto& e : eff2) failed += e.n_failed;
  CHECK(failed == 2);  // row 3 is inside trajectory 0 (d + 1 = 6 rows): two steps touch it
  CHECK(eff2[0].mu == Approx(2.0).margin(1e-9));
  const std::vector<double> wrong(3, 0.0);
  CHECK_THROWS_AS(st::morris_effects(m, wrong), std::invalid_argument);
}

TEST_CASE("Morris ranks the Ishigami inputs as the analytic elementary effects predict", "[validation][stats]") {
  // p = 4 levels on [-pi, pi]: levels -pi, -pi/3, pi/3, pi; delta = 2/3 of the range. Steps join
  // -pi with pi/3 and -pi/3 with pi. Then, exactly:
  //   x2: |EE| = a * 0.75 / (2/3) = 7.875 for every step (sin^2 is 0 or 0.75 at the levels);
  //   x1: |EE| = (sqrt(3)/2) / (2/3) * (1 + b x3^4), x3 uniform over the levels: mean 7.704;
  //   x3: |EE| = b pi^4 (80/81) / (2/3) * |sin x1|, |sin x1| in {0, sqrt(3)/2}: mean 6.249;
  //   a fourth input that the function ignores: EE = 0.
  // x1 and x3 take two values of |EE| with equal probability: sd of |EE| = half their gap, and the
  // checks allow 4 standard errors of the mean over r trajectories.
  const auto p = box(4, -pi, pi);
  const std::size_t r = 1000;
  const st::MorrisDesign m = st::morris_design(p, r, 4, 31);
  std::vector<double> y(m.points.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = ishigami(m.points.values.row(i));
  const auto e = st::morris_effects(m, y);

  const double pi4 = std::pow(pi, 4);
  const double c1 = (std::sqrt(3.0) / 2) / (2.0 / 3);
  const double ee1_hi = c1 * (1 + kB * pi4);
  const double ee1_lo = c1 * (1 + kB * pi4 / 81);
  const double ee3_hi = kB * pi4 * (80.0 / 81) / (2.0 / 3) * (std::sqrt(3.0) / 2);
  const double se1 = 0.5 * (ee1_hi - ee1_lo) / std::sqrt(double(r));
  const double se3 = 0.5 * ee3_hi / std::sqrt(double(r));
  INFO("mu* = " << e[0].mu_star << ", " << e[1].mu_star << ", " << e[2].mu_star << ", " << e[3].mu_star);
  INFO("mu = " << e[0].mu << ", " << e[1].mu << ", " << e[2].mu << "; sigma = " << e[0].sigma << ", " << e[1].sigma << ", " << e[2].sigma);

  CHECK(e[1].mu_star == Approx(7.875).epsilon(1e-9));
  CHECK(e[0].mu_star == Approx(0.5 * (ee1_hi + ee1_lo)).margin(4 * se1));
  CHECK(e[2].mu_star == Approx(0.5 * ee3_hi).margin(4 * se3));
  CHECK(e[3].mu_star == 0.0);
  CHECK(e[3].sigma == 0.0);
  // Ranking: x1 and x2 above x3 (x3 acts only through its interaction with x1), the dummy last.
  CHECK(e[0].mu_star > e[2].mu_star);
  CHECK(e[1].mu_star > e[2].mu_star);
  CHECK(e[2].mu_star > 0.0);
  // x2 and x3 have effects of both signs: |mu| well below mu*; large sigma flags x3's interaction.
  CHECK(std::abs(e[1].mu) < 0.2 * e[1].mu_star);
  CHECK(std::abs(e[2].mu) < 0.2 * e[2].mu_star);
  CHECK(e[2].sigma > e[2].mu_star);
}

TEST_CASE("Sobol indices of the Ishigami function match the analytic values", "[validation][stats]") {
  const IshigamiTruth truth = ishigami_truth();
  // The values quoted in the literature (a = 7, b = 0.1).
  CHECK(truth.s1[0] == Approx(0.3139).margin(5e-5));
  CHECK(truth.s1[1] == Approx(0.4424).margin(5e-5));
  CHECK(truth.st[0] == Approx(0.5576).margin(5e-5));
  CHECK(truth.st[2] == Approx(0.2437).margin(5e-5));

  // N = 2^13 base rows, 5 N = 40,960 evaluations. The bootstrap standard error (resampling base
  // rows as if they were i.i.d.) is of order 0.01 at this N (sd(f_B (f_ABi - f_A)) / (V sqrt N));
  // quasi-random base rows do better, so errors within 3 bootstrap standard errors are expected,
  // and the standard errors themselves must be below 0.02 so that the check cannot be vacuous.
  const std::size_t d = 3;
  const std::size_t n = 8192;
  const st::Design sd = st::saltelli_design(box(d, -pi, pi), n);
  std::vector<double> y(sd.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = ishigami(sd.values.row(i));
  st::SobolOptions opt;
  opt.resamples = 1000;
  opt.seed = 5;
  const st::SobolResult res = st::sobol_indices(d, y, opt);
  REQUIRE(res.n_base == n);
  REQUIRE(res.n_failed == 0);
  CHECK(res.resamples_used == 1000);
  const double pi4 = std::pow(pi, 4);
  const double v_true = 0.5 * (1 + kB * pi4 / 5) * (1 + kB * pi4 / 5) + kA * kA / 8 + kB * kB * pi4 * pi4 * (1.0 / 18 - 1.0 / 50);
  CHECK(res.variance == Approx(v_true).epsilon(0.02));
  for (std::size_t i = 0; i < d; ++i) {
    const st::SobolIndex& s1 = res.first[i];
    const st::SobolIndex& tt = res.total[i];
    INFO("x" << i + 1 << ": S1 " << s1.estimate << " [" << s1.lower << ", " << s1.upper << "] se " << s1.se << " (true " << truth.s1[i]
             << "); ST " << tt.estimate << " [" << tt.lower << ", " << tt.upper << "] se " << tt.se << " (true " << truth.st[i] << ")");
    CHECK(s1.se < 0.02);
    CHECK(tt.se < 0.02);
    CHECK(s1.se > 0.0);
    CHECK(tt.se > 0.0);
    CHECK(s1.estimate == Approx(truth.s1[i]).margin(3 * s1.se));
    CHECK(tt.estimate == Approx(truth.st[i]).margin(3 * tt.se));
    CHECK(s1.contains(truth.s1[i]));
    CHECK(tt.contains(truth.st[i]));
    CHECK(s1.lower < s1.estimate);
    CHECK(s1.upper > s1.estimate);
  }
  // Reproducible from the seed; another seed gives other intervals around the same estimates.
  const st::SobolResult again = st::sobol_indices(d, y, opt);
  CHECK(again.first[0].lower == res.first[0].lower);
  CHECK(again.total[2].upper == res.total[2].upper);
  opt.seed = 6;
  const st::SobolResult other = st::sobol_indices(d, y, opt);
  CHECK(other.first[0].estimate == res.first[0].estimate);
  CHECK(other.first[0].lower != res.first[0].lower);
}

TEST_CASE("Sobol estimators on i.i.d. Ishigami samples: unbiased, bootstrap errors calibrated", "[validation][stats]") {
  // 200 independent Monte Carlo estimates, each from N = 512 i.i.d. base rows (outputs built in the
  // saltelli_design row order). Their mean must be within 4 standard errors of the truth (the
  // estimators' O(1/N) bias is ~0.002, below one standard error of the mean, ~0.003), and the
  // bootstrap standard error (averaged over the 200, so itself precise) must match the spread of the
  // estimates: the ratio must lie in [0.8, 1.25]. For near-normal estimates the sample sd of 200 has
  // a relative standard deviation of 1/sqrt(2*199) = 5%: the bounds are 4 and 5 of those away.
  // The bootstrap must also be centred on the estimate (the percentile interval's midpoint within
  // 0.3 se of it on average; ~0.1-0.15 measured, ~0.8 if the resampling drew from half the rows),
  // and its 95% intervals must contain the truth in 90-99% of the 200 studies (binomial sd 1.5
  // points; 94-95% measured over 1,000 studies at this N).
  const IshigamiTruth truth = ishigami_truth();
  const std::size_t d = 3;
  const std::size_t n = 512;
  const std::uint32_t reps = 200;
  std::vector<std::vector<double>> est_s1(d);
  std::vector<std::vector<double>> est_st(d);
  std::vector<double> boot_se_s1(d, 0.0);
  std::vector<double> boot_se_st(d, 0.0);
  std::vector<double> offset_s1(d, 0.0);
  std::vector<double> offset_st(d, 0.0);
  std::vector<int> covered_s1(d, 0);
  std::vector<int> covered_st(d, 0);
  for (std::uint32_t rep = 0; rep < reps; ++rep) {
    std::vector<double> y(n * (d + 2));
    std::uint32_t draw = 0;
    for (std::size_t k = 0; k < n; ++k) {
      double a[3];
      double b[3];
      for (std::size_t j = 0; j < d; ++j) a[j] = -pi + 2 * pi * uniform(77, rep, draw++);
      for (std::size_t j = 0; j < d; ++j) b[j] = -pi + 2 * pi * uniform(77, rep, draw++);
      const std::size_t r0 = k * (d + 2);
      y[r0] = ishigami(a);
      y[r0 + d + 1] = ishigami(b);
      for (std::size_t i = 0; i < d; ++i) {
        double ab[3] = {a[0], a[1], a[2]};
        ab[i] = b[i];
        y[r0 + 1 + i] = ishigami(ab);
      }
    }
    st::SobolOptions opt;
    opt.resamples = 200;
    opt.seed = rep;
    const st::SobolResult res = st::sobol_indices(d, y, opt);
    for (std::size_t i = 0; i < d; ++i) {
      est_s1[i].push_back(res.first[i].estimate);
      est_st[i].push_back(res.total[i].estimate);
      boot_se_s1[i] += res.first[i].se / reps;
      boot_se_st[i] += res.total[i].se / reps;
      const st::SobolIndex& f = res.first[i];
      const st::SobolIndex& t = res.total[i];
      offset_s1[i] += std::abs(0.5 * (f.lower + f.upper) - f.estimate) / f.se / reps;
      offset_st[i] += std::abs(0.5 * (t.lower + t.upper) - t.estimate) / t.se / reps;
      covered_s1[i] += f.contains(truth.s1[i]) ? 1 : 0;
      covered_st[i] += t.contains(truth.st[i]) ? 1 : 0;
    }
  }
  for (std::size_t i = 0; i < d; ++i) {
    const st::Summary s1 = st::summarize(est_s1[i]);
    const st::Summary tt = st::summarize(est_st[i]);
    INFO("x" << i + 1 << ": mean S1 " << s1.mean << " sd " << s1.sd << " boot se " << boot_se_s1[i] << " (true " << truth.s1[i]
             << "); mean ST " << tt.mean << " sd " << tt.sd << " boot se " << boot_se_st[i] << " (true " << truth.st[i] << ")");
    CHECK(s1.mean == Approx(truth.s1[i]).margin(4 * s1.ci.se));
    CHECK(tt.mean == Approx(truth.st[i]).margin(4 * tt.ci.se));
    CHECK(boot_se_s1[i] / s1.sd > 0.8);
    CHECK(boot_se_s1[i] / s1.sd < 1.25);
    CHECK(boot_se_st[i] / tt.sd > 0.8);
    CHECK(boot_se_st[i] / tt.sd < 1.25);
    INFO("midpoint offsets " << offset_s1[i] << ", " << offset_st[i] << "; coverage " << covered_s1[i] << ", " << covered_st[i] << " of "
                             << reps);
    CHECK(offset_s1[i] < 0.3);
    CHECK(offset_st[i] < 0.3);
    CHECK(covered_s1[i] >= 180);
    CHECK(covered_s1[i] <= 198);
    CHECK(covered_st[i] >= 180);
    CHECK(covered_st[i] <= 198);
  }
}

TEST_CASE("Sobol indices: failed runs drop their base row, degenerate inputs give NaN", "[unit][stats]") {
  // y = 3 x1 + x2 on [0,1]^2: additive, S = ST = (9/10, 1/10).
  const std::size_t d = 2;
  const st::Design sd = st::saltelli_design(box(d, 0.0, 1.0), 1024);
  std::vector<double> y(sd.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = 3 * sd.values(i, 0) + sd.values(i, 1);
  st::SobolOptions opt;
  opt.resamples = 100;
  const st::SobolResult clean = st::sobol_indices(d, y, opt);
  CHECK(clean.first[0].estimate == Approx(0.9).margin(0.01));
  CHECK(clean.first[1].estimate == Approx(0.1).margin(0.01));
  CHECK(clean.total[0].estimate == Approx(0.9).margin(0.01));
  CHECK(clean.total[1].estimate == Approx(0.1).margin(0.01));
  // Shifting the output by a constant leaves the indices unchanged (centred estimator).
  std::vector<double> shifted(y);
  for (double& v : shifted) v += 1e6;
  const st::SobolResult sh = st::sobol_indices(d, shifted, opt);
  CHECK(sh.first[0].estimate == Approx(clean.first[0].estimate).margin(1e-6));
  CHECK(sh.first[1].estimate == Approx(clean.first[1].estimate).margin(1e-6));

  y[5 * (d + 2) + 1] = std::nan("");
  y[9 * (d + 2) + d + 1] = std::nan("");
  const st::SobolResult failed = st::sobol_indices(d, y, opt);
  CHECK(failed.n_base == 1022);
  CHECK(failed.n_failed == 2);
  CHECK(failed.first[0].estimate == Approx(0.9).margin(0.01));

  const std::vector<double> constant(4 * (d + 2), 1.0);
  const st::SobolResult c = st::sobol_indices(d, constant, opt);
  CHECK(c.variance == 0.0);
  CHECK(std::isnan(c.first[0].estimate));
  CHECK(std::isnan(c.total[0].lower));

  opt.resamples = 0;
  const st::SobolResult nob = st::sobol_indices(d, shifted, opt);
  CHECK(std::isnan(nob.first[0].lower));
  CHECK(nob.first[0].estimate == Approx(clean.first[0].estimate).margin(1e-6));

  const std::vector<double> ragged(7, 1.0);
  CHECK_THROWS_AS(st::sobol_indices(d, ragged), std::invalid_argument);
  CHECK_THROWS_AS(st::sobol_indices(0, ragged), std::invalid_argument);
}

// The vectorised kernels of the daily loop against their scalar definitions: Philox batches,
// normal quantiles, Poisson draws, the exponential and the batch allocation solver.
#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kpisim/core/rng.hpp"
#include "kpisim/core/vmath.hpp"
#include "kpisim/model/allocation.hpp"

namespace {

bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace

TEST_CASE("uniform4_batch gives the bits of uniform4, lane by lane", "[unit][rng]") {
  const kpisim::Rng rng(20261121, 3);
  for (const std::size_t count : {std::size_t{1}, std::size_t{7}, std::size_t{64}, std::size_t{65}, std::size_t{300}}) {
    for (const auto purpose : {kpisim::Purpose::arrivals, kpisim::Purpose::learning}) {
      std::vector<double> l0(count), l1(count), l2(count), l3(count, -1.0);
      double* const out[4] = {l0.data(), l1.data(), l2.data(), nullptr};
      const std::uint32_t agent0 = 4093;
      rng.uniform4_batch(agent0, count, 17, purpose, 2, out);
      for (std::size_t j = 0; j < count; ++j) {
        const auto u = rng.uniform4(agent0 + static_cast<std::uint32_t>(j), 17, purpose, 2);
        REQUIRE(same_bits(l0[j], u.u[0]));
        REQUIRE(same_bits(l1[j], u.u[1]));
        REQUIRE(same_bits(l2[j], u.u[2]));
      }
      double* const all[4] = {l0.data(), l1.data(), l2.data(), l3.data()};
      rng.uniform4_batch(agent0, count, 18, purpose, 0, all);
      for (std::size_t j = 0; j < count; ++j)
        REQUIRE(same_bits(l3[j], rng.uniform4(agent0 + static_cast<std::uint32_t>(j), 18, purpose).u[3]));
    }
  }
  // The signed conversion used by the batch equals the unsigned one at the ends of the range.
  for (const std::uint32_t x : {0U, 1U, 0x7FFFFFFFU, 0x80000000U, 0xFFFFFFFEU, 0xFFFFFFFFU})
    REQUIRE(same_bits(kpisim::Rng::to_open01_signed(x), kpisim::Rng::to_open01(x)));
  // ... and so does the conversion of a 64-bit lane (the AVX-512 form of the batch).
  for (const std::uint32_t x : {0U, 1U, 0x7FFFFFFFU, 0x80000000U, 0xFFFFFFFEU, 0xFFFFFFFFU})
    REQUIRE(same_bits(kpisim::Rng::to_open01_lane(x), kpisim::Rng::to_open01(x)));
  // Agent numbers that wrap past 2^32 - 1 within a batch, all four lanes.
  const std::size_t count = 300;
  std::vector<double> l[4];
  for (auto& v : l) v.assign(count, -1.0);
  double* const lanes[4] = {l[0].data(), l[1].data(), l[2].data(), l[3].data()};
  const std::uint32_t agent0 = 0xFFFFFF80U;
  rng.uniform4_batch(agent0, count, 5, kpisim::Purpose::defects, 1, lanes);
  for (std::size_t j = 0; j < count; ++j) {
    const auto u = rng.uniform4(agent0 + static_cast<std::uint32_t>(j), 5, kpisim::Purpose::defects, 1);
    for (std::size_t q = 0; q < 4; ++q) REQUIRE(same_bits(l[q][j], u.u[q]));
  }
}

TEST_CASE("normal_quantile_batch gives the bits of normal_quantile, tails included", "[unit][rng]") {
  std::vector<double> u;
  for (int i = 1; i < 4000; ++i) u.push_back(i / 4000.0);
  for (const double x :
       {1.1641532182693481e-10, 1e-6, 0.02424, 0.02425, 0.02426, 0.97574, 0.97575, 0.97576, 1 - 1e-6, 1 - 1.1641532182693481e-10})
    u.push_back(x);
  std::vector<double> z(u.size());
  kpisim::normal_quantile_batch(u.data(), z.data(), u.size());
  for (std::size_t j = 0; j < u.size(); ++j) REQUIRE(same_bits(z[j], kpisim::normal_quantile(u[j])));
  // Short batches (part of one group of eight draws) with tails at both ends: nothing past n written.
  const std::vector<double> ends = {1e-6, 0.5, 1 - 1e-6, 0.02424, 0.97576, 0.3, 1e-9, 0.99, 1 - 1e-9};
  for (std::size_t n = 1; n <= ends.size(); ++n) {
    std::vector<double> out(ends.size(), 7.0);
    kpisim::normal_quantile_batch(ends.data(), out.data(), n);
    for (std::size_t j = 0; j < ends.size(); ++j) REQUIRE(same_bits(out[j], j < n ? kpisim::normal_quantile(ends[j]) : 7.0));
  }
}

TEST_CASE("poisson_batch gives the counts of poisson_from_uniform", "[unit][rng]") {
  const kpisim::Rng rng(7, 0);
  std::vector<double> lambda, u;
  for (const double l : {0.0, 1e-12, 1e-3, 0.05, 0.3, 1.0, 2.5, 7.0, 29.0, 31.0, 120.0})
    for (std::uint32_t i = 0; i < 500; ++i) {
      lambda.push_back(l);
      u.push_back(rng.uniform4(i, 0, kpisim::Purpose::defects).u[0]);
    }
  std::vector<double> count(lambda.size());
  kpisim::poisson_batch(lambda.data(), u.data(), count.data(), lambda.size());
  for (std::size_t j = 0; j < lambda.size(); ++j) REQUIRE(count[j] == kpisim::poisson_from_uniform(lambda[j], u[j]));
  // Rates mixed within each piece of the batch (the draws past the zero shortcut are gathered),
  // and counts written over old values.
  std::vector<double> mixed(lambda.size());
  for (std::size_t j = 0; j < lambda.size(); ++j) mixed[j] = lambda[(j % 11) * 500 + j / 11];
  std::fill(count.begin(), count.end(), 99.0);
  kpisim::poisson_batch(mixed.data(), u.data(), count.data(), mixed.size());
  for (std::size_t j = 0; j < mixed.size(); ++j) REQUIRE(count[j] == kpisim::poisson_from_uniform(mixed[j], u[j]));
  // Short batches (part of one group of eight draws): nothing past n written.
  for (std::size_t n = 1; n <= 9; ++n) {
    std::vector<double> out(9, 99.0);
    kpisim::poisson_batch(mixed.data() + 3, u.data() + 3, out.data(), n);
    for (std::size_t j = 0; j < 9; ++j) REQUIRE(out[j] == (j < n ? kpisim::poisson_from_uniform(mixed[3 + j], u[3 + j]) : 99.0));
  }
}

TEST_CASE("vmath::exp is accurate to a few ulps and handles the ends of its range", "[unit][rng]") {
  const kpisim::Rng rng(11, 0);
  double worst = 0.0;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    const auto u = rng.uniform4(i, 0, kpisim::Purpose::traits);
    for (const double x : {1400.0 * (u.u[0] - 0.5), 20.0 * (u.u[1] - 0.5), 0.7 * (u.u[2] - 0.5)}) {
      const double ref = std::exp(x);
      worst = std::max(worst, std::fabs(kpisim::vmath::exp(x) - ref) / ref);
    }
  }
  INFO("largest relative error " << worst);
  REQUIRE(worst < 4.5e-16);  // two ulps
  REQUIRE(kpisim::vmath::exp(0.0) == 1.0);
  REQUIRE(kpisim::vmath::exp(-800.0) == 0.0);
  REQUIRE(kpisim::vmath::exp(-std::numeric_limits<double>::infinity()) == 0.0);
  REQUIRE(std::isinf(kpisim::vmath::exp(710.0)));
  REQUIRE(std::isnan(kpisim::vmath::exp(std::nan(""))));
}

TEST_CASE("vmath::sure_float gives the float of the formula with std::exp, or says that it cannot", "[unit][rng]") {
  // A bonus times the normal density over a scale, as the quota's slopes (regimes/quota.cpp): with
  // vmath::exp, when sure_float is sure, the very float the formula with std::exp gives.
  const kpisim::Rng rng(13, 0);
  std::size_t sure = 0;
  std::size_t in_range = 0;
  for (std::uint32_t i = 0; i < 200000; ++i) {
    const auto u = rng.uniform4(i, 0, kpisim::Purpose::traits);
    const double z = 80.0 * (u.u[0] - 0.5);
    const double bonus = 1.0 + 1e4 * u.u[1];
    const double s = 1e-3 + 1e7 * u.u[2];
    const auto ref = static_cast<float>(bonus * kpisim::normal_pdf(z) / s);
    const double arg = -0.5 * z * z;
    float f = -1.0F;
    const bool ok = kpisim::vmath::sure_float(bonus * (0.3989422804014327 * kpisim::vmath::exp(arg)) / s, f);
    if (arg < -700.0) continue;  // the callers compute these with std::exp
    ++in_range;
    if (!ok) continue;
    ++sure;
    INFO("z " << z << " bonus " << bonus << " s " << s);
    REQUIRE(std::bit_cast<std::uint32_t>(f) == std::bit_cast<std::uint32_t>(ref));
  }
  REQUIRE(in_range > 100000);
  REQUIRE(static_cast<double>(sure) > 0.999 * static_cast<double>(in_range));
  // Halfway between two floats (1 and the next): not sure, either way.
  float f = 0.0F;
  REQUIRE_FALSE(kpisim::vmath::sure_float(1.0 + 0x1p-24, f));
  REQUIRE_FALSE(kpisim::vmath::sure_float(1.0 + 0x1p-24 + 0x1p-45, f));
  REQUIRE(kpisim::vmath::sure_float(1.0 + 0x1p-30, f));
  REQUIRE(f == 1.0F);
  REQUIRE_FALSE(kpisim::vmath::sure_float(std::nan(""), f));
}

TEST_CASE("vmath::log is accurate to a few ulps over the range the quantile tails use", "[unit][rng]") {
  const kpisim::Rng rng(12, 0);
  double worst = 0.0;
  for (std::uint32_t i = 0; i < 20000; ++i) {
    const auto u = rng.uniform4(i, 0, kpisim::Purpose::traits);
    for (const double x : {u.u[0], std::exp(-25.0 * u.u[1]), 1e6 * u.u[2], 0.7 + 0.6 * u.u[3]}) {
      const double ref = std::log(x);
      worst = std::max(worst, std::fabs(kpisim::vmath::log(x) - ref) / std::max(std::fabs(ref), 1e-300));
    }
  }
  INFO("largest relative error " << worst);
  REQUIRE(worst < 4.5e-16);
  REQUIRE(kpisim::vmath::log(1.0) == 0.0);
  REQUIRE(kpisim::vmath::log(std::exp(1.0)) == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("allocate_batch solves each problem as allocate() does", "[unit][allocation]") {
  using kpisim::kBatchActivities;
  const kpisim::Rng rng(42, 1);
  std::size_t slack = 0, binding = 0;
  for (std::uint32_t batch = 0; batch < 40; ++batch) {
    const auto g = rng.uniform4(batch, 0, kpisim::Purpose::decision, 7);
    const double c = 0.5 + 10 * g.u[0];
    const double delta = batch % 10 == 9 ? c : c * 0.95 * g.u[1];  // every tenth batch: perfect substitutes
    const std::size_t n = 150 + batch;
    std::vector<double> a[kBatchActivities], cap[kBatchActivities], t[kBatchActivities], budget(n);
    for (std::size_t q = 0; q < kBatchActivities; ++q) {
      a[q].resize(n);
      cap[q].resize(n);
      t[q].resize(n);
    }
    for (std::uint32_t j = 0; j < n; ++j) {
      const auto v = rng.uniform4(batch, j, kpisim::Purpose::decision, 8);
      budget[j] = v.u[0] < 0.3 ? 1e300 : (v.u[0] < 0.35 ? 0.0 : 12 * v.u[1]);
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        const auto w = rng.uniform4(batch, j, kpisim::Purpose::decision, static_cast<std::uint32_t>(9 + q));
        a[q][j] = 200 * (w.u[0] - 0.3);
        cap[q][j] = w.u[1] < 0.3 ? 1e300 : (w.u[1] < 0.35 ? 0.0 : 10 * w.u[2]);
      }
    }
    const double* const ap[kBatchActivities] = {a[0].data(), a[1].data(), a[2].data(), a[3].data()};
    const double* const cp[kBatchActivities] = {cap[0].data(), cap[1].data(), cap[2].data(), cap[3].data()};
    double* const tp[kBatchActivities] = {t[0].data(), t[1].data(), t[2].data(), t[3].data()};
    kpisim::allocate_batch(n, c, delta, ap, cp, budget.data(), tp);
    for (std::size_t j = 0; j < n; ++j) {
      kpisim::AllocationProblem p;
      p.n = kBatchActivities;
      p.c = c;
      p.delta = delta;
      p.budget = budget[j];
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        p.a[q] = a[q][j];
        p.cap[q] = cap[q][j];
      }
      const kpisim::Allocation x = kpisim::allocate(p);
      if (x.multiplier == 0.0) {
        ++slack;  // the budget is slack: the same rounds, the same bits
        for (std::size_t q = 0; q < kBatchActivities; ++q) {
          INFO("batch " << batch << " problem " << j << " activity " << q << ": " << t[q][j] << " vs " << x.t[q] << ", budget " << p.budget
                        << ", a " << p.a[0] << " " << p.a[1] << " " << p.a[2] << " " << p.a[3] << ", cap " << p.cap[0] << " " << p.cap[1]
                        << " " << p.cap[2] << " " << p.cap[3] << ", c " << c << ", delta " << delta);
          REQUIRE(same_bits(t[q][j], x.t[q]));
        }
      } else {
        ++binding;  // the budget binds: the same solution up to rounding
        for (std::size_t q = 0; q < kBatchActivities; ++q) REQUIRE(t[q][j] == Approx(x.t[q]).margin(1e-9 * (1 + p.budget)));
      }
    }
  }
  // Both regimes were exercised.
  REQUIRE(slack > 1000);
  REQUIRE(binding > 1000);
}

TEST_CASE("limit_to_base solves each problem again as allocate() does with the lowered cap", "[unit][allocation]") {
  // limit_to_base settles most re-solved problems in the vectorised budget-slack rounds and gives
  // the rest to allocate(): every problem must come out with the bits allocate() gives it (slack and
  // binding budgets, perfect substitutes, problems left alone untouched).
  using kpisim::kBatchActivities;
  const kpisim::Rng rng(7, 2);
  std::size_t resolved_slack = 0, resolved_binding = 0, untouched = 0;
  for (std::uint32_t batch = 0; batch < 40; ++batch) {
    const auto g = rng.uniform4(batch, 0, kpisim::Purpose::decision, 17);
    const double c = 0.5 + 10 * g.u[0];
    const double delta = batch % 10 == 9 ? c : c * 0.95 * g.u[1];
    const double ratio = 0.1 + g.u[2];
    const std::size_t n = 250 + batch;  // more than one piece of the solver
    std::vector<double> a[kBatchActivities], cap[kBatchActivities], t[kBatchActivities], budget(n);
    std::vector<float> share(n);
    for (std::size_t q = 0; q < kBatchActivities; ++q) {
      a[q].resize(n);
      cap[q].resize(n);
      t[q].resize(n);
    }
    for (std::uint32_t j = 0; j < n; ++j) {
      const auto v = rng.uniform4(batch, j, kpisim::Purpose::decision, 18);
      budget[j] = v.u[0] < 0.3 ? 1e300 : (v.u[0] < 0.35 ? 0.0 : 12 * v.u[1]);
      share[j] = static_cast<float>(v.u[2]);
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        const auto w = rng.uniform4(batch, j, kpisim::Purpose::decision, static_cast<std::uint32_t>(19 + q));
        a[q][j] = 200 * (w.u[0] - 0.3);
        cap[q][j] = w.u[1] < 0.3 ? 1e300 : (w.u[1] < 0.35 ? 0.0 : 10 * w.u[2]);
      }
    }
    const double* const ap[kBatchActivities] = {a[0].data(), a[1].data(), a[2].data(), a[3].data()};
    const double* const cp[kBatchActivities] = {cap[0].data(), cap[1].data(), cap[2].data(), cap[3].data()};
    double* const tp[kBatchActivities] = {t[0].data(), t[1].data(), t[2].data(), t[3].data()};
    kpisim::allocate_batch(n, c, delta, ap, cp, budget.data(), tp);
    const std::vector<double> before[kBatchActivities] = {t[0], t[1], t[2], t[3]};
    const std::size_t resolved = kpisim::limit_to_base(n, c, delta, ap, cp, budget.data(), 1, 0, ratio, share.data(), tp);
    std::size_t expected = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const double bound = ratio * static_cast<double>(share[j]) * before[0][j];
      if (!(before[1][j] > bound)) {
        ++untouched;
        for (std::size_t q = 0; q < kBatchActivities; ++q) REQUIRE(same_bits(t[q][j], before[q][j]));
        continue;
      }
      ++expected;
      kpisim::AllocationProblem p;
      p.n = kBatchActivities;
      p.c = c;
      p.delta = delta;
      p.budget = budget[j];
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        p.a[q] = a[q][j];
        p.cap[q] = cap[q][j];
      }
      p.cap[1] = std::min(p.cap[1], bound);
      const kpisim::Allocation x = kpisim::allocate(p);
      ++(x.multiplier == 0.0 ? resolved_slack : resolved_binding);
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        INFO("batch " << batch << " problem " << j << " activity " << q << ": " << t[q][j] << " vs " << x.t[q]);
        REQUIRE(same_bits(t[q][j], x.t[q]));
      }
    }
    REQUIRE(resolved == expected);
  }
  // Every case was exercised.
  REQUIRE(resolved_slack > 500);
  REQUIRE(resolved_binding > 100);
  REQUIRE(untouched > 500);
}

TEST_CASE("limit_to_base gives allocate()'s bits where the budget binds (the vectorised breakpoint search)", "[unit][allocation]") {
  // Problems the active-set rounds leave (most with a binding budget) are solved by a vectorised copy
  // of allocate()'s breakpoint search: with the checking cap lowered to 0 every problem that checks
  // is solved again, most of them with a binding budget, and each must come out with allocate()'s
  // bits. Marginal utilities and caps over several orders of magnitude, budgets that bind.
  using kpisim::kBatchActivities;
  const kpisim::Rng rng(11, 3);
  std::size_t binding = 0, checked = 0;
  for (std::uint32_t batch = 0; batch < 60; ++batch) {
    const auto g = rng.uniform4(batch, 0, kpisim::Purpose::decision, 27);
    const double c = 0.1 + 20 * g.u[0];
    const double delta = c * 0.99 * g.u[1];
    const std::size_t n = 300 + 7 * batch;
    std::vector<double> a[kBatchActivities], cap[kBatchActivities], t[kBatchActivities], budget(n);
    std::vector<float> share(n, 1.0F);
    for (std::size_t q = 0; q < kBatchActivities; ++q) {
      a[q].resize(n);
      cap[q].resize(n);
      t[q].resize(n);
    }
    for (std::uint32_t j = 0; j < n; ++j) {
      const auto v = rng.uniform4(batch, j, kpisim::Purpose::decision, 28);
      budget[j] = v.u[0] < 0.05 ? 0.0 : 0.5 + 8 * v.u[1];
      const double scale = std::pow(10.0, 4 * v.u[2] - 1);
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        const auto w = rng.uniform4(batch, j, kpisim::Purpose::decision, static_cast<std::uint32_t>(29 + q));
        a[q][j] = scale * (w.u[0] - 0.2);
        cap[q][j] = w.u[1] < 0.2 ? 1e300 : (w.u[1] < 0.25 ? 0.0 : 12 * w.u[2]);
      }
    }
    const double* const ap[kBatchActivities] = {a[0].data(), a[1].data(), a[2].data(), a[3].data()};
    const double* const cp[kBatchActivities] = {cap[0].data(), cap[1].data(), cap[2].data(), cap[3].data()};
    double* const tp[kBatchActivities] = {t[0].data(), t[1].data(), t[2].data(), t[3].data()};
    kpisim::allocate_batch(n, c, delta, ap, cp, budget.data(), tp);
    const std::vector<double> before[kBatchActivities] = {t[0], t[1], t[2], t[3]};
    kpisim::limit_to_base(n, c, delta, ap, cp, budget.data(), 1, 0, 0.0, share.data(), tp);
    for (std::size_t j = 0; j < n; ++j) {
      if (!(before[1][j] > 0.0)) continue;
      kpisim::AllocationProblem p;
      p.n = kBatchActivities;
      p.c = c;
      p.delta = delta;
      p.budget = budget[j];
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        p.a[q] = a[q][j];
        p.cap[q] = cap[q][j];
      }
      p.cap[1] = 0.0;
      const kpisim::Allocation x = kpisim::allocate(p);
      ++checked;
      binding += x.multiplier > 0.0 ? 1 : 0;
      for (std::size_t q = 0; q < kBatchActivities; ++q) {
        INFO("batch " << batch << " problem " << j << " activity " << q << ": " << t[q][j] << " vs " << x.t[q]);
        REQUIRE(same_bits(t[q][j], x.t[q]));
      }
    }
  }
  REQUIRE(checked > 5000);
  REQUIRE(binding > 2000);
}

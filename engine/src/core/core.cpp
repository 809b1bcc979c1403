#include <fmt/format.h>

#include <cmath>

#include "kpisim/core/calendar.hpp"
#include "kpisim/core/check.hpp"
#include "kpisim/core/rng.hpp"

namespace kpisim {

double normal_quantile(double p) noexcept {
  // Acklam's rational approximation: relative error below 1.15e-9 over (0,1). The central region
  // (95% of draws) needs no transcendental function.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                                 1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                 -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double plow = 0.02425;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p <= 1 - plow) {
    const double q = p - 0.5;
    const double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double q = std::sqrt(-2 * std::log(1 - p));
  return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
}

std::uint32_t poisson_from_uniform(double lambda, double u) noexcept {
  if (!(lambda > 0.0)) return 0;
  // P(0) = exp(-lambda) >= 1 - lambda: below that bound no draw can exceed zero.
  if (u <= 1.0 - lambda) return 0;
  if (lambda > 30.0) {
    const double x = lambda + std::sqrt(lambda) * normal_quantile(u) + 0.5;
    return x <= 0.0 ? 0U : static_cast<std::uint32_t>(x);
  }
  double p = std::exp(-lambda);
  double cdf = p;
  std::uint32_t k = 0;
  while (u > cdf && k < 200) {
    ++k;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

std::string_view to_string(Cadence c) noexcept {
  switch (c) {
    case Cadence::daily:
      return "daily";
    case Cadence::weekly:
      return "weekly";
    case Cadence::monthly:
      return "monthly";
    case Cadence::quarterly:
      return "quarterly";
    case Cadence::annual:
      return "annual";
  }
  return "daily";
}

bool parse_cadence(std::string_view s, Cadence& out) noexcept {
  for (Cadence c : {Cadence::daily, Cadence::weekly, Cadence::monthly, Cadence::quarterly, Cadence::annual}) {
    if (s == to_string(c)) {
      out = c;
      return true;
    }
  }
  return false;
}

namespace detail {
void check_failed(const char* cond, const std::string& what, const char* file, int line) {
  throw InvariantError(fmt::format("invariant violated: {} ({}) at {}:{}", what, cond, file, line));
}
}  // namespace detail

}  // namespace kpisim

#pragma once
// Arrivals, backlog and clean-up: docs/model.md section 7.6. Pure functions inlined into the
// per-person pass (person_pass.cpp) and tested directly in tests/unit/test_work.cpp.
#include <algorithm>
#include <cmath>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/vmath.hpp"

namespace kpisim::detail::arrivals {

/// Lognormal arrivals with mean `scale` (the division's workload x norm hours) and coefficient of
/// variation `cv`: sigma and the mean shift sigma^2/2.
struct Lognormal {
  double sigma;
  double shift;
  double scale;
};
inline Lognormal lognormal(double cv, double scale) noexcept {
  const double sigma = std::sqrt(std::log1p(cv * cv));
  return {sigma, 0.5 * sigma * sigma, scale};
}

/// Hours of work arriving today for the standard normal draw z.
inline double arrive(const Lognormal& ln, double z) noexcept {
  return ln.scale * vmath::exp(ln.sigma * z - ln.shift);
}

/// Today's clean-up: the queue plus received workslop, at most `cap` hours (the rest waits).
struct Cleanup {
  double today;  // hours of clean-up done first today
  double left;   // hours left in the queue
};
inline Cleanup cleanup(double queue, double slop_received, double cap) noexcept {
  const double total = queue + slop_received;
  const double today = std::min(total, cap);
  return {today, total - today};
}

}  // namespace kpisim::detail::arrivals

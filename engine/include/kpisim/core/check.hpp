#pragma once
// Invariant checks compiled in when KPISIM_CHECKS is defined (checked, debug and sanitizer builds).
#include "kpisim/core/error.hpp"

#include <cmath>
#include <string>

#ifdef KPISIM_CHECKS
#define KPISIM_CHECK(cond, what)                                                  \
  do {                                                                            \
    if (!(cond)) ::kpisim::detail::check_failed(#cond, what, __FILE__, __LINE__); \
  } while (false)
#else
#define KPISIM_CHECK(cond, what) \
  do {                           \
  } while (false)
#endif

namespace kpisim::detail {
[[noreturn]] void check_failed(const char* cond, const std::string& what, const char* file, int line);
inline bool finite_in(double x, double lo, double hi) {
  return std::isfinite(x) && x >= lo && x <= hi;
}
}  // namespace kpisim::detail

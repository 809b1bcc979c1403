#pragma once
// Numbers in the tables `kpisim compare` and `kpisim sweep` print (analysis.cpp, robust.cpp).
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace kpisim::text {

/// A number for a table: 4 significant digits, scientific notation outside [1e-3, 1e6).
inline std::string num(double x) {
  if (std::isnan(x)) return "n/a";
  const double a = std::fabs(x);
  if (a != 0.0 && (a >= 1e6 || a < 1e-3)) return fmt::format("{:.3e}", x);
  return fmt::format("{:.4g}", x);
}

/// Money for people: 4 significant digits with k, M or B (260.8M), as the report writes it.
inline std::string usd(double x) {
  if (std::isnan(x)) return "n/a";
  const double a = std::fabs(x);
  if (a >= 1e9) return fmt::format("{:.4g}B", x / 1e9);
  if (a >= 1e6) return fmt::format("{:.4g}M", x / 1e6);
  if (a >= 1e4) return fmt::format("{:.4g}k", x / 1e3);
  return fmt::format("{:.4g}", x);
}

}  // namespace kpisim::text

#pragma once
// Splitting a resource among divisions in proportion to weights, for the regimes that allocate
// (seats.cpp, compute_budget.cpp). Include only from regime .cpp files.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "kpisim/config/params.hpp"

namespace kpisim::shares {

/// How leadership splits a resource among divisions: by headcount, by headcount x what each
/// division's head believes AI adds (7.17), or by usage (each regime says how).
enum class Rule : std::uint8_t { even, believed_value, usage };
inline constexpr std::array<params::Choice<Rule>, 3> kRuleChoices{
    {{"even", Rule::even}, {"believed_value", Rule::believed_value}, {"usage", Rule::usage}}};

/// Splits `total` whole units among groups with capacities `cap` in proportion to `weight`
/// (largest remainder, ties to the earlier group), never above a group's capacity: what a full
/// group cannot take is split again among the others. All weights 0 (or none left among the
/// groups still open): by remaining capacity.
inline std::vector<std::size_t> split_capped(std::size_t total, const std::vector<std::size_t>& cap, std::vector<double> weight) {
  const std::size_t g = cap.size();
  std::vector<std::size_t> out(g, 0);
  std::size_t left = std::min(total, std::accumulate(cap.begin(), cap.end(), std::size_t{0}));
  std::vector<std::uint8_t> open(g, 0);
  for (std::size_t d = 0; d < g; ++d) open[d] = cap[d] > 0 ? 1 : 0;
  while (left > 0) {
    double wsum = 0.0;
    for (std::size_t d = 0; d < g; ++d)
      if (open[d] != 0) wsum += weight[d];
    if (!(wsum > 0)) {
      for (std::size_t d = 0; d < g; ++d) weight[d] = open[d] != 0 ? static_cast<double>(cap[d] - out[d]) : 0.0;
      wsum = 0.0;
      for (std::size_t d = 0; d < g; ++d) wsum += weight[d];
    }
    std::vector<std::size_t> add(g, 0);
    std::vector<std::pair<double, std::size_t>> rem;
    std::size_t given = 0;
    for (std::size_t d = 0; d < g; ++d) {
      if (open[d] == 0) continue;
      const double exact = static_cast<double>(left) * weight[d] / wsum;
      add[d] = static_cast<std::size_t>(std::floor(exact));
      given += add[d];
      rem.emplace_back(exact - std::floor(exact), d);
    }
    std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t r = 0; given < left && r < rem.size(); ++r, ++given) add[rem[r].second] += 1;
    std::size_t placed = 0;
    for (std::size_t d = 0; d < g; ++d) {
      const std::size_t take = std::min(add[d], cap[d] - out[d]);
      out[d] += take;
      placed += take;
      if (out[d] == cap[d]) open[d] = 0;
    }
    left -= placed;
    if (placed == 0) break;  // cannot happen: the open groups' shares sum to `left`, and each can take one more
  }
  return out;
}

/// Weight of a division in leadership's split by what its head believes AI adds (USD per
/// person-day, 7.17): headcount x the belief, none for a belief at or below 0 (or not finite).
inline double believed_weight(std::size_t headcount, double belief) {
  return static_cast<double>(headcount) * (std::isfinite(belief) ? std::max(0.0, belief) : 0.0);
}

}  // namespace kpisim::shares

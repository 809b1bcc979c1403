// Workslop reaches colleagues (docs/model.md section 7.8). See workslop.hpp.
#include "workslop.hpp"

#include <algorithm>

namespace kpisim::detail::workslop {

void distribute(const ModelSpec& spec, int day, const std::vector<float>& produced, const std::vector<double>& pick,
                std::vector<float>& received, std::vector<std::int32_t>& last_received) {
  std::fill(received.begin(), received.end(), 0.0F);
  for (const std::uint32_t team : spec.team_units) {
    const Unit& u = spec.units[team];
    const std::uint32_t size = u.end - u.first;
    for (std::uint32_t i = u.first; i < u.end; ++i) {
      if (!(produced[i] > 0.0F)) continue;
      const std::uint32_t r = u.first + recipient(i - u.first, size, pick[i]);
      received[r] += produced[i];
      if (r != i) last_received[r] = day;
    }
  }
}

}  // namespace kpisim::detail::workslop

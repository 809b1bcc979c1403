// Workslop reaches colleagues (docs/model.md section 7.8). See workslop.hpp.
#include "workslop.hpp"

#include <algorithm>

namespace kpisim::detail::workslop {

void scatter(const ModelSpec& spec, int day, const float* produced, const std::uint32_t* to, float* received, std::int32_t* last_received,
             std::size_t team_lo, std::size_t team_hi) {
  for (std::size_t t = team_lo; t < team_hi; ++t) {
    const Unit& u = spec.units[spec.team_units[t]];
    std::fill(received + u.first, received + u.end, 0.0F);
    // Without branches on who produced workslop (about a third of people a day, at random): every
    // member in slot order; adding 0 hours changes no sum, and the day is recorded only where
    // something arrived from someone else.
    for (std::uint32_t i = u.first; i < u.end; ++i) {
      const std::uint32_t r = to[i];
      const float hours = produced[i];
      received[r] += hours;
      last_received[r] = (hours > 0.0F && r != i) ? day : last_received[r];
    }
  }
}

void scatter_within(const ModelSpec& spec, int day, const float* produced, const std::uint32_t* to, float* received,
                    std::int32_t* last_received, std::size_t lo, std::size_t hi) {
  if (lo >= hi) return;
  std::size_t t = spec.team_of[lo];
  if (spec.units[spec.team_units[t]].first < lo) ++t;  // starts before lo
  std::size_t t_end = t;
  while (t_end < spec.team_units.size() && spec.units[spec.team_units[t_end]].end <= hi) ++t_end;
  scatter(spec, day, produced, to, received, last_received, t, t_end);
}

void distribute(const ModelSpec& spec, int day, const std::vector<float>& produced, const std::vector<double>& pick,
                std::vector<float>& received, std::vector<std::int32_t>& last_received) {
  std::vector<std::uint32_t> to(produced.size());
  for (const std::uint32_t team : spec.team_units) {
    const Unit& u = spec.units[team];
    for (std::uint32_t i = u.first; i < u.end; ++i) to[i] = recipient_slot(i, u.first, u.end - u.first, pick[i]);
  }
  scatter(spec, day, produced.data(), to.data(), received.data(), last_received.data(), 0, spec.team_units.size());
}

}  // namespace kpisim::detail::workslop

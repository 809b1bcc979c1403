// Workslop pools (docs/model.md section 7.8). See workslop.hpp.
#include "workslop.hpp"

namespace kpisim::detail::workslop {

void pool(const ModelSpec& spec, const std::vector<float>& produced, const std::vector<float>& team_size, std::vector<float>& share) {
  for (std::size_t t = 0; t < spec.team_units.size(); ++t) {
    const Unit& u = spec.units[spec.team_units[t]];
    double s = 0;
    for (std::uint32_t i = u.first; i < u.end; ++i) s += produced[i];
    share[t] = static_cast<float>(s / team_size[t]);
  }
}

}  // namespace kpisim::detail::workslop

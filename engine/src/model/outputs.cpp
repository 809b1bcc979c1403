// Token cost and energy (docs/model.md section 7.18). See outputs.hpp.
#include "outputs.hpp"

namespace kpisim::detail::outputs {

void price_tokens(const ModelSpec& spec, std::vector<Acc>& div_acc) {
  // Cost and energy need per-task prices: tokens are priced at each division's mix-weighted price.
  for (std::size_t dv = 0; dv < div_acc.size(); ++dv) {
    double price = 0, energy = 0, wsum = 0;
    for (std::size_t k = 0; k < spec.tasks.size(); ++k) {
      price += spec.divisions[dv].mix[k] * spec.tasks[k].usd_per_token;
      energy += spec.divisions[dv].mix[k] * spec.tasks[k].wh_per_token;
      wsum += spec.divisions[dv].mix[k];
    }
    const double tokens = div_acc[dv][a_tok_prod] + div_acc[dv][a_tok_rework] + div_acc[dv][a_tok_perf];
    div_acc[dv][a_cost] = wsum > 0 ? tokens * price / wsum : 0.0;
    div_acc[dv][a_energy] = wsum > 0 ? tokens * energy / wsum / 1000.0 : 0.0;
  }
}

}  // namespace kpisim::detail::outputs

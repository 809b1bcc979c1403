#pragma once
// Shared helpers for regimes with a cadence: choices for YAML and working days per period.
#include <array>

#include "kpisim/config/params.hpp"
#include "kpisim/core/calendar.hpp"

namespace kpisim {

inline constexpr std::array<params::Choice<Cadence>, 5> kCadenceChoices{{{"daily", Cadence::daily},
                                                                         {"weekly", Cadence::weekly},
                                                                         {"monthly", Cadence::monthly},
                                                                         {"quarterly", Cadence::quarterly},
                                                                         {"annual", Cadence::annual}}};

/// Working days in one period of the cadence (weeks are whole, so this is exact).
constexpr double workdays_per_period(Cadence c) noexcept {
  return c == Cadence::daily ? 1.0 : cadence_days(c) * 5.0 / 7.0;
}

}  // namespace kpisim

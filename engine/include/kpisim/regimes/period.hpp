#pragma once
// Shared helpers for regimes with a cadence: choices for YAML and working days per period.
#include <array>
#include <cstdint>
#include <vector>

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

/// Notices when a slot's holder has been replaced (its hire day changed), even if the regime was
/// not active on the day of the hire (a paused schedule phase). Per-person regime state (windows,
/// published incentives, audits) belongs to the person, not the slot, and must be reset then.
class HireTracker {
 public:
  explicit HireTracker(std::size_t n) : known_(n, 0) {}
  /// True once per replacement of slot i.
  bool replaced(const std::vector<std::int32_t>& hire_day, std::size_t i) noexcept {
    if (hire_day[i] == known_[i]) return false;
    known_[i] = hire_day[i];
    return true;
  }
  /// Calls f(i) for each slot i of [lo, hi) replaced (as `replaced`), in slot order. Lets a regime
  /// update everyone's state in a loop that vectorises and then reset the few new hires.
  template <class F>
  void each_replaced(const std::vector<std::int32_t>& hire_day, std::size_t lo, std::size_t hi, F&& f) {
    for (std::size_t i = lo; i < hi; ++i)
      if (hire_day[i] != known_[i]) {
        known_[i] = hire_day[i];
        f(i);
      }
  }

 private:
  std::vector<std::int32_t> known_;
};

}  // namespace kpisim

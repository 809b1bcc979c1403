#pragma once
// Simulated calendar: day 0 is a Monday; weeks of five working days and two days off.
#include <cstdint>
#include <string_view>

namespace kpisim {

/// Cadence of a regime's events. Each fires at the end of the last day of its period.
enum class Cadence : std::uint8_t { daily, weekly, monthly, quarterly, annual };

/// The model's year: 52 whole weeks, 364 calendar days of which 260 are working days (the annual
/// cadence, attrition.annual_turnover and the money view's annual figures all use it).
inline constexpr int kDaysPerYear = 364;

/// Length of a cadence period in calendar days (months are 28 days, quarters 91, years 364:
/// whole weeks, so a period always holds the same number of working days).
constexpr int cadence_days(Cadence c) noexcept {
  switch (c) {
    case Cadence::daily:
      return 1;
    case Cadence::weekly:
      return 7;
    case Cadence::monthly:
      return 28;
    case Cadence::quarterly:
      return 91;
    case Cadence::annual:
      return kDaysPerYear;
  }
  return 1;
}

/// True when `day` (0-based) is the last day of a cadence period.
constexpr bool is_period_end(int day, Cadence c) noexcept {
  return (day + 1) % cadence_days(c) == 0;
}

/// Days 5 and 6 of each week (Saturday, Sunday) are days off.
constexpr bool is_workday(int day) noexcept {
  return day % 7 < 5;
}

std::string_view to_string(Cadence c) noexcept;
bool parse_cadence(std::string_view s, Cadence& out) noexcept;

}  // namespace kpisim

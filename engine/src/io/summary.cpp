#include "kpisim/io/summary.hpp"

#include <fmt/format.h>

#include <cmath>

#include "kpisim/core/calendar.hpp"

namespace kpisim {
namespace {

// annual: the horizon's total at an annual rate (kDaysPerYear calendar days); per_workday_fte: the
// horizon's total per working FTE-day (over the headcount of the working days); annual_per_fte: a
// per-FTE series times the headcount, at an annual rate (the organisation's total).
enum class Stat { mean, mean_workdays, last, sum, annual, per_workday_fte, annual_per_fte };

double stat(const RunResult& r, std::string_view var, Stat s) {
  const std::size_t v = daily_index(var);
  if (s == Stat::annual || s == Stat::per_workday_fte || s == Stat::annual_per_fte) {
    const std::size_t h = daily_index("headcount");
    double total = 0.0;
    double fte_days = 0.0;
    for (int d = 0; d < r.days; ++d) {
      const double x = s == Stat::annual_per_fte ? r.at(v, d) * r.at(h, d) : r.at(v, d);
      if (!std::isnan(x)) total += x;
      if (is_workday(d) && !std::isnan(r.at(h, d))) fte_days += r.at(h, d);
    }
    if (s == Stat::per_workday_fte) return fte_days > 0 ? total / fte_days : std::nan("");
    return r.days > 0 ? total * kDaysPerYear / r.days : std::nan("");
  }
  double acc = 0.0;
  int n = 0;
  for (int d = 0; d < r.days; ++d) {
    const double x = r.at(v, d);
    if (s == Stat::mean_workdays && d % 7 >= 5) continue;
    if (std::isnan(x)) continue;
    acc += x;
    ++n;
  }
  switch (s) {
    case Stat::sum:
      return acc;
    case Stat::last: {  // the last working day (weekends show recovery, not the state at work)
      for (int d = r.days - 1; d >= 0; --d)
        if (d % 7 < 5 && !std::isnan(r.at(v, d))) return r.at(v, d);
      return std::nan("");
    }
    default:
      return n > 0 ? acc / n : std::nan("");
  }
}

}  // namespace

std::string summary_table(const std::vector<RunResult>& runs) {
  // "end" values are taken on the last working day of the horizon.
  struct Row {
    const char* label;
    const char* var;
    Stat stat;
    double scale;
    const char* format;
  };
  const Row rows[] = {
      {"true value per FTE-day (USD, workdays)", "true_value_per_fte", Stat::mean_workdays, 1, "{:.1f}"},
      {"measured value per FTE-day (USD)", "measured_value_per_fte", Stat::mean_workdays, 1, "{:.1f}"},
      {"AI value added per FTE-day (USD)", "ai_value_per_fte", Stat::mean_workdays, 1, "{:.1f}"},
      {"  as managers believe it (USD/AI-assisted day)", "manager_ai_value_belief", Stat::mean_workdays, 1, "{:.1f}"},
      {"share of work hours with AI", "ai_task_share", Stat::mean_workdays, 1, "{:.3f}"},
      {"hours per FTE-day", "hours_per_fte", Stat::mean_workdays, 1, "{:.2f}"},
      {"clean-up hours per FTE-day", "cleanup_hours_per_fte", Stat::mean_workdays, 1, "{:.3f}"},
      {"verification hours per FTE-day", "verification_hours_per_fte", Stat::mean_workdays, 1, "{:.3f}"},
      {"performative hours per FTE-day", "performative_hours_per_fte", Stat::mean_workdays, 1, "{:.3f}"},
      {"exhaustion, end (MBI 0-6)", "exhaustion_mean", Stat::last, 1, "{:.2f}"},
      {"cynicism, end (MBI 0-6)", "cynicism_mean", Stat::last, 1, "{:.2f}"},
      {"share burnt out, end", "burnout_share", Stat::last, 1, "{:.3f}"},
      {"quits over the horizon", "quits", Stat::sum, 1, "{:.0f}"},
      {"tokens productive (millions)", "tokens_productive", Stat::sum, 1e-6, "{:.1f}"},
      {"tokens rework (millions)", "tokens_rework", Stat::sum, 1e-6, "{:.1f}"},
      {"tokens performative (millions)", "tokens_performative", Stat::sum, 1e-6, "{:.1f}"},
      {"token cost (USD)", "token_cost_usd", Stat::sum, 1, "{:.0f}"},
      {"energy (kWh)", "energy_kwh", Stat::sum, 1, "{:.1f}"},
      {"workslop incidents", "defects_passed", Stat::sum, 1, "{:.0f}"},
      {"chatbot escalations", "escalations", Stat::sum, 1, "{:.0f}"},
      {"skill, mean, end", "skill_mean", Stat::last, 1, "{:.3f}"},
      {"KPI-value correlation, end", "kpi_value_correlation", Stat::last, 1, "{:.3f}"},
      {"reported-vs-true gap (mean)", "reported_true_gap", Stat::mean_workdays, 1, "{:+.3f}"},
      {"performative share of KPI (mean)", "performative_kpi_share", Stat::mean, 1, "{:.3f}"},
      {"rewards paid (USD)", "rewards_usd", Stat::sum, 1, "{:.0f}"},
      {"penalties imposed (USD)", "penalties_usd", Stat::sum, 1, "{:.0f}"},
      {"audit hours (h; their cost is in true value)", "audit_hours", Stat::sum, 1, "{:.0f}"},
      {"organisation, USD/year (364-day year):", "", Stat::sum, 0, ""},
      {"  + true value", "true_value_per_fte", Stat::annual_per_fte, 1, "{:.0f}"},
      {"  - token cost", "token_cost_usd", Stat::annual, 1, "{:.0f}"},
      {"  - rewards paid", "rewards_usd", Stat::annual, 1, "{:.0f}"},
      {"  + penalties", "penalties_usd", Stat::annual, 1, "{:.0f}"},
      {"  = net value to the organisation", "net_value_usd", Stat::annual, 1, "{:.0f}"},
      {"net value per FTE-day (USD, workdays)", "net_value_usd", Stat::per_workday_fte, 1, "{:.1f}"},
  };
  std::size_t label_w = 0;
  for (const auto& r : rows) label_w = std::max(label_w, std::string_view(r.label).size());
  std::size_t col_w = 12;
  for (const auto& r : runs) col_w = std::max(col_w, r.policy.size() + 2);
  std::string out = fmt::format("{:<{}}", "", label_w);
  for (const auto& r : runs) out += fmt::format("{:>{}}", r.policy, col_w);
  out += "\n";
  for (const auto& row : rows) {
    if (std::string_view(row.var).empty()) {  // a heading
      out += fmt::format("{}\n", row.label);
      continue;
    }
    out += fmt::format("{:<{}}", row.label, label_w);
    for (const auto& r : runs) {
      const double v = stat(r, row.var, row.stat) * row.scale;
      out += fmt::format("{:>{}}", std::isnan(v) ? std::string("n/a") : fmt::format(fmt::runtime(row.format), v), col_w);
    }
    out += "\n";
  }
  return out;
}

}  // namespace kpisim

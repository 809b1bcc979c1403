#include <stdexcept>
#include <string>

#include "kpisim/io/results.hpp"

namespace kpisim {

const std::vector<VariableInfo>& daily_variables() {
  static const std::vector<VariableInfo> vars = {
      // productivity
      {"headcount", "active employees", "person", true},
      {"true_value_per_fte", "true value produced per employee", "USD/person/day", true},
      {"measured_value_per_fte", "measured (reported) value per employee: noisy and gameable outcome metric", "USD/person/day", true},
      {"ai_value_per_fte",
       "value AI adds, net: true value minus what the same work hours, verification hours and clean-up hours would produce manually",
       "USD/person/day", true},
      {"ai_value_gross_per_fte", "value AI adds, gross: true value minus what the same work hours would produce manually", "USD/person/day",
       true},
      {"manager_ai_value_belief",
       "division heads' mean belief about what AI adds to a person-day of AI-assisted work, from what they observe", "USD/person/day",
       false},
      {"ai_task_share", "share of work hours done with AI", "1", true},
      {"backlog_hours_per_fte", "pending work per employee", "h/person", true},
      // hours
      {"hours_per_fte", "hours worked per employee (all activities)", "h/person/day", true},
      {"overtime_per_fte", "hours over the norm per employee", "h/person/day", true},
      {"manual_hours_per_fte", "hours of manual work per employee", "h/person/day", true},
      {"ai_hours_per_fte", "hours of AI-assisted work per employee", "h/person/day", true},
      {"verification_hours_per_fte", "hours verifying AI output per employee", "h/person/day", true},
      {"cleanup_hours_per_fte", "hours cleaning up AI errors (own found late, and received workslop) per employee", "h/person/day", true},
      {"performative_hours_per_fte", "hours of performative AI use (padding, redundant prompts) per employee", "h/person/day", true},
      {"learning_hours_per_fte", "hours learning AI per employee", "h/person/day", true},
      {"training_hours_per_fte", "hours of AI training attended per employee (a `training` policy)", "h/person/day", true},
      {"time_saved_per_fte",
       "time saved by AI, net: manual-equivalent hours of work done minus the hours it took, the verification and the clean-up (negative "
       "when AI slows work)",
       "h/person/day", true},
      {"time_saved_gross_per_fte", "time saved by AI, gross: manual-equivalent hours of work done minus the hours it took", "h/person/day",
       true},
      // tokens and waste
      {"tokens_productive", "tokens used for real work and learning", "token/day", true},
      {"tokens_rework", "tokens used regenerating output with caught errors", "token/day", true},
      {"tokens_performative", "tokens used performatively (manual padding and scripts)", "token/day", true},
      {"tokens_scripted", "tokens burnt by padding scripts (part of tokens_performative)", "token/day", true},
      {"ai_sessions", "AI sessions (uses) as the usage dashboard counts them, audit-filtered", "1/day", true},
      {"token_cost_usd", "cost of all tokens", "USD/day", true},
      {"energy_kwh", "energy of all tokens", "kWh/day", true},
      // invisible labour
      {"defects_caught", "AI errors caught by verification", "1/day", true},
      {"defects_passed", "AI errors passed on undetected (workslop incidents)", "1/day", true},
      {"workslop_hours", "clean-up hours handed to colleagues by undetected errors", "h/day", true},
      {"workslop_recipient_share", "share of employees who received workslop from a colleague in the last 28 days", "1", true},
      {"escalations", "chatbot requests escalated to a human", "1/day", true},
      {"escalation_handoff_hours", "hours of escalated requests handed to a service division (by the requesters' division)", "h/day", true},
      {"escalation_wait_days",
       "working days the requests handed on today wait in their service division's queue (hours-weighted; NaN when none)", "day", true},
      // well-being (Maslach Burnout Inventory General Survey scales, 0-6)
      {"exhaustion_mean", "mean exhaustion (MBI-GS scale)", "0-6", true},
      {"cynicism_mean", "mean cynicism (MBI-GS scale)", "0-6", true},
      {"efficacy_mean", "mean professional efficacy (MBI-GS scale)", "0-6", true},
      {"engagement_mean", "mean work engagement", "1", true},
      {"burnout_share", "share of employees with high exhaustion (at or above the burnout threshold)", "1", true},
      {"quits", "employees who quit (and were replaced)", "person/day", true},
      // skills
      {"skill_mean", "mean domain skill (1 = typical worker)", "1", true},
      {"output_diversity",
       "diversity of the work's outputs: the expected dissimilarity of two people's work, 1 when all of it is done by hand, lower as "
       "more of it comes from the same models (tools.NAME.homogenisation)",
       "1", true},
      {"proficiency_mean", "mean AI proficiency", "1", true},
      {"trust_mean", "mean trust in AI output (high trust: less verification)", "1", true},
      {"belief_error", "mean absolute error of beliefs about AI's value gain, over the tasks people do", "1", true},
      // KPI regime
      {"pressure_mean", "mean pressure felt from managers' KPIs", "1", true},
      {"mandate_share", "share of the work under an AI mandate", "1", true},
      {"scripting_share", "share of employees running padding scripts", "1", true},
      {"licensed_share", "share of employees with access to the AI assistants (1 unless a `seats` or `compute_budget` policy withholds it)",
       "1", true},
      {"rewards_usd", "KPI rewards paid", "USD/day", false},
      {"penalties_usd", "audit penalties imposed", "USD/day", false},
      {"audits", "audits carried out", "1/day", false},
      {"audit_detections", "audits that flagged the audited person (performative use found, or a false positive)", "1/day", false},
      {"audit_false_positives", "audits that flagged a person whose examined days showed no performative use", "1/day", false},
      {"audit_hours", "hours audits took: from the audited and from the managers who reviewed them", "h/day", false},
      // Goodhart diagnostics
      {"kpi_value_correlation", "correlation across people of the KPI and true value (moving averages)", "1", true},
      {"reported_true_gap", "(measured value - true value) / true value", "1", true},
      {"performative_kpi_share", "share of the KPI earned by performative activity", "1", true},
      // money view (docs/output-schema.md, "Money view"): from the day's totals above, at output time
      {"net_value_usd", "net value to the organisation: true value minus token cost minus rewards paid plus penalties", "USD/day", false},
      {"net_value_per_fte", "net value to the organisation per employee (net_value_usd / headcount)", "USD/person/day", false},
      {"net_value_annual_usd", "net value to the organisation at an annual rate: net_value_usd times 364 days", "USD/year", false},
  };
  return vars;
}

const std::vector<VariableInfo>& snapshot_variables() {
  static const std::vector<VariableInfo> vars = {
      {"skill", "domain skill", "1", false},
      {"proficiency", "AI proficiency", "1", false},
      {"exhaustion", "exhaustion (MBI-GS scale)", "0-6", false},
      {"cynicism", "cynicism (MBI-GS scale)", "0-6", false},
      {"efficacy", "professional efficacy (MBI-GS scale)", "0-6", false},
      {"kpi", "KPI, moving average", "1", false},
      {"true_value", "true value, moving average", "USD/day", false},
      {"reward_usd", "cumulative rewards minus penalties", "USD", false},
      {"reward_expected", "the reward the person expects from the regime per working day, learned from what she received", "USD/day",
       false},
      {"scripting", "runs a padding script (0/1)", "1", false},
      {"team", "team index", "1", false},
      {"manager", "manages a team (0/1)", "1", false},
  };
  return vars;
}

std::size_t daily_index(std::string_view name) {
  const auto& v = daily_variables();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].name == name) return i;
  throw std::out_of_range("no daily variable named " + std::string(name));
}

}  // namespace kpisim

#include "kpisim/model/spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {
namespace {

// Splits n into parts proportional to shares (largest remainder), each at least 1 when n allows.
std::vector<std::size_t> apportion(std::size_t n, const std::vector<double>& shares) {
  const double total = std::accumulate(shares.begin(), shares.end(), 0.0);
  std::vector<std::size_t> out(shares.size(), 0);
  std::vector<std::pair<double, std::size_t>> rem;
  std::size_t used = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const double exact = static_cast<double>(n) * shares[i] / total;
    out[i] = static_cast<std::size_t>(std::floor(exact));
    used += out[i];
    rem.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t r = 0; used < n; ++r, ++used) out[rem[r % rem.size()].second] += 1;
  // Every part gets at least one when n allows: take from the largest.
  for (std::size_t i = 0; i < out.size() && n >= out.size(); ++i) {
    if (out[i] > 0) continue;
    const auto largest = static_cast<std::size_t>(std::max_element(out.begin(), out.end()) - out.begin());
    out[largest] -= 1;
    out[i] = 1;
  }
  return out;
}

}  // namespace

ModelSpec ModelSpec::resolve(const Scenario& scenario, const std::string& file, bool organisation) {
  Diagnostics diag(file);
  ModelSpec m;
  m.scenario = scenario;
  const Scenario& s = m.scenario;
  if (s.behaviour.crowding > s.behaviour.effort_cost)
    diag.error_at_path(s.source.get(), "behaviour.crowding",
                       fmt::format("behaviour.crowding ({}) must not exceed behaviour.effort_cost ({}): the utility would not be concave",
                                   s.behaviour.crowding, s.behaviour.effort_cost));
  if (s.behaviour.max_hours < s.behaviour.norm_hours)
    diag.error_at_path(s.source.get(), "behaviour.max_hours", "behaviour.max_hours must be at least behaviour.norm_hours");
  for (const auto& p : s.policies)
    if (p.config) p.config->check("policies." + p.name, p.line, p.col, diag);
  if (static_cast<std::size_t>(s.organisation.employees) < s.organisation.divisions.size())
    diag.error_at_path(s.source.get(), "organisation.employees",
                       fmt::format("organisation.employees ({}) is smaller than the number of divisions ({})", s.organisation.employees,
                                   s.organisation.divisions.size()));

  // Chatbots' service divisions (7.9): checked once per tool, used or not.
  std::vector<std::int32_t> tool_service(s.tools.size(), -1);
  for (std::size_t j = 0; j < s.tools.size(); ++j) {
    const Tool& tool = s.tools[j];
    if (tool.service_division.empty()) continue;
    const auto& divs = s.organisation.divisions;
    const auto it = std::find_if(divs.begin(), divs.end(), [&](const Division& d) { return d.name == tool.service_division; });
    const std::string where = "tools." + tool.name + ".service_division";
    if (tool.kind != ToolKind::chatbot) {
      diag.error_at_path(s.source.get(), where,
                         fmt::format("{}: only a chatbot escalates requests; '{}' is an assistant (set `kind: chatbot` or remove the key)",
                                     where, printable(tool.name)));
    } else if (it == divs.end()) {
      std::vector<std::string> names;
      names.reserve(divs.size());
      for (const auto& d : divs) names.push_back(d.name);
      const std::string near = params::nearest(tool.service_division, names);
      diag.error_at_path(s.source.get(), where,
                         fmt::format("{}: no division named '{}'{}", where, printable(tool.service_division),
                                     near.empty() ? "; divisions are defined under `organisation.divisions`"
                                                  : fmt::format(" (did you mean '{}'?)", near)));
    } else {
      tool_service[j] = static_cast<std::int32_t>(it - divs.begin());
    }
  }
  // Tasks with their tools.
  const Tool fallback_tool;
  std::vector<std::size_t> tool_of;  // per task: its tool's index in s.tools
  for (const auto& t : s.tasks) {
    const Tool* tool = nullptr;
    for (const auto& tl : s.tools)
      if (tl.name == t.tool) tool = &tl;
    if (tool == nullptr) {
      std::vector<std::string> names;
      names.reserve(s.tools.size());
      for (const auto& tl : s.tools) names.push_back(tl.name);
      const std::string near = params::nearest(t.tool, names);
      diag.error_at_path(s.source.get(), "tasks." + t.name + ".tool",
                         fmt::format("tasks.{}.tool: no tool named '{}'{}", t.name, printable(t.tool),
                                     near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near)));
      tool = &fallback_tool;  // keep the task so that later checks do not cascade
    }
    tool_of.push_back(tool == &fallback_tool ? 0 : static_cast<std::size_t>(tool - s.tools.data()));
    TaskSpec ts{};
    ts.base_hours = t.base_hours;
    ts.value_usd = t.value_usd;
    ts.value_per_hour = t.value_usd / t.base_hours;
    ts.stakes_hours = t.stakes_hours;
    ts.novice_slope = t.novice_gain_slope;
    // The tool's capability (tools.NAME.quality, 7.3) divides each of its shortfalls; at 1 the task's
    // figures are used as written (bit for bit).
    const double q = tool->quality;
    const auto odds_over_q = [q](double p) { return p >= 1.0 ? 1.0 : p / (p + q * (1.0 - p)); };  // odds p/(1-p) divided by q
    const double ai_time_factor = q == 1.0 ? t.ai_time_factor : std::max(0.01, t.ai_time_factor / q);
    const double quality_change = (q == 1.0 || t.ai_quality_change >= 0.0) ? t.ai_quality_change : t.ai_quality_change / q;
    ts.defect_prob = q == 1.0 ? t.defect_prob : odds_over_q(t.defect_prob);
    ts.tokens_per_use = t.tokens_per_use;
    ts.fix_hours = t.fix_hours;
    ts.usd_per_token = tool->usd_per_mtok * 1e-6;
    ts.wh_per_token = tool->wh_per_ktok * 1e-3;
    ts.chatbot = tool->kind == ToolKind::chatbot;
    ts.guided = tool->guided;
    ts.homogenisation = tool->homogenisation;
    m.any_guided = m.any_guided || ts.guided > 0;
    ts.inside = t.frontier == Frontier::inside;
    ts.service = tool == &fallback_tool ? -1 : tool_service[tool_of.back()];
    // A chatbot's containment, at the tool's capability (its odds of not resolving divided by q).
    const double c = q == 1.0 ? tool->containment : 1.0 - odds_over_q(1.0 - tool->containment);
    if (ts.chatbot && ts.service >= 0) {
      // Escalations go to the service division (7.9): the requester spends the chatbot's time and
      // the escalation overhead; the handling, and with it the value of an escalated request, belong
      // to the service division's work.
      ts.time_factor = ai_time_factor + (1.0 - c) * tool->escalation_hours / t.base_hours;
      ts.containment = c;
    } else if (ts.chatbot) {
      // Contained requests take ai_time_factor; escalated ones add a full manual handling plus the
      // escalation overhead. Value per resolved request is unchanged by escalation.
      const double tf_esc = ai_time_factor + 1.0 + tool->escalation_hours / t.base_hours;
      ts.time_factor = c * ai_time_factor + (1.0 - c) * tf_esc;
      ts.containment = c;
    } else {
      ts.time_factor = ai_time_factor;
      ts.containment = 1.0;
    }
    // Gain in value per hour: quality change over time factor.
    // A routed chatbot's requester keeps the value of the requests it resolves.
    const double kept = ts.service >= 0 ? ts.containment : 1.0;
    ts.value_gain = (1.0 + quality_change) * kept / ts.time_factor - 1.0;
    m.task_names.push_back(t.name);
    m.tasks.push_back(ts);
  }
  if (m.tasks.empty()) diag.error(-1, -1, "the task catalogue is empty");

  // Divisions and their task mixes.
  const auto& divs = s.organisation.divisions;
  if (divs.empty())
    diag.error_at_path(s.source.get(), "organisation.divisions", "organisation.divisions is empty: give at least one division");
  if (divs.size() > 65535) diag.error(-1, -1, "too many divisions (at most 65535)");
  for (const auto& d : divs) {
    if (!(d.share > 0))
      diag.error_at_path(s.source.get(), "organisation.divisions." + d.name + ".share",
                         fmt::format("organisation.divisions.{}.share must be positive (remove the division instead)", d.name));
    DivisionSpec ds;
    ds.name = d.name;
    ds.workload = d.workload;
    ds.skill_scale = d.skill_scale;
    ds.learners = d.learners;
    ds.mix.assign(m.tasks.size(), 0.0);
    double total = 0.0;
    bool unknown = false;
    for (const auto& e : d.task_mix) {
      auto it = std::find(m.task_names.begin(), m.task_names.end(), e.name);
      if (it == m.task_names.end()) {
        const std::string near = params::nearest(e.name, m.task_names);
        diag.error(e.line, e.col,
                   fmt::format("organisation.divisions.{}.task_mix: unknown task '{}'{}", d.name, printable(e.name),
                               near.empty() ? "; tasks are defined under `tasks`" : fmt::format("; did you mean '{}'?", near)));
        unknown = true;
        continue;
      }
      ds.mix[static_cast<std::size_t>(it - m.task_names.begin())] += e.value;
      total += e.value;
    }
    if (d.task_mix.empty()) {
      std::fill(ds.mix.begin(), ds.mix.end(), 1.0);
      total = static_cast<double>(ds.mix.size());
    }
    if (!(total > 0) && !unknown) {
      diag.error_at_path(s.source.get(), "organisation.divisions." + d.name + ".task_mix",
                         fmt::format("organisation.divisions.{}.task_mix sums to zero", d.name));
    }
    if (!(total > 0)) total = 1.0;
    for (auto& x : ds.mix) x /= total;
    // Escalations it hands to service divisions per E of its work (7.9): a chatbot is always used,
    // so per E, task k brings mix_k / base_hours_k requests, of which 1 - containment_k escalate,
    // each needing base_hours_k of handling.
    for (std::size_t k = 0; k < m.tasks.size(); ++k) {
      const TaskSpec& t = m.tasks[k];
      if (t.service < 0 || ds.mix[k] <= 0) continue;
      if (ds.handoff_to.empty()) {
        ds.handoff_to.assign(divs.size(), 0.0);
        ds.frustration_to.assign(divs.size(), 0.0);
      }
      const auto sv = static_cast<std::size_t>(t.service);
      const double escalated = ds.mix[k] * (1.0 - t.containment) / t.base_hours;
      ds.handoff_to[sv] += escalated * t.base_hours;
      ds.frustration_to[sv] += escalated * s.tools[tool_of[k]].wait_hindrance;
      ds.handoff += escalated * t.base_hours;
      m.any_service = true;
    }
    // The assistants' price and energy per token (7.18): mix-weighted over the task types an
    // assistant serves (a chatbot does not pad or teach); with none, over every task type.
    double wsum = 0.0;
    for (int pass = 0; pass < 2 && !(wsum > 0); ++pass)
      for (std::size_t k = 0; k < m.tasks.size(); ++k) {
        if (pass == 0 && m.tasks[k].chatbot) continue;
        ds.assistant_usd_per_token += ds.mix[k] * m.tasks[k].usd_per_token;
        ds.assistant_wh_per_token += ds.mix[k] * m.tasks[k].wh_per_token;
        wsum += ds.mix[k];
      }
    if (wsum > 0) {
      ds.assistant_usd_per_token /= wsum;
      ds.assistant_wh_per_token /= wsum;
    }
    m.divisions.push_back(std::move(ds));
  }
  if (s.policies.empty()) diag.error(-1, -1, "no policies to run");
  // Scopes (docs/model.md 7.15.8): names of divisions, within the scope of the policy a component
  // belongs to.
  {
    std::vector<std::string> div_names;
    div_names.reserve(divs.size());
    for (const auto& d : divs) div_names.push_back(d.name);
    const auto check_scope = [&](const auto& self, const PolicySpec& p, const std::string& where,
                                 const std::vector<std::uint8_t>& parent) -> void {
      std::vector<std::uint8_t> own = parent;
      if (!p.scope.empty()) {
        own.assign(divs.size(), 0);
        for (const auto& e : p.scope) {
          const auto it = std::find(div_names.begin(), div_names.end(), e.name);
          if (it == div_names.end()) {
            const std::string near = params::nearest(e.name, div_names);
            diag.error(e.line, e.col,
                       fmt::format("{}.scope: unknown division '{}'{}", where, printable(e.name),
                                   near.empty() ? "; divisions are defined under `organisation.divisions`"
                                                : fmt::format("; did you mean '{}'?", near)));
            continue;
          }
          const auto d = static_cast<std::size_t>(it - div_names.begin());
          if (parent[d] == 0) {
            diag.error(e.line, e.col,
                       fmt::format("{}.scope: division '{}' is outside the scope of the policy this component belongs to", where,
                                   printable(e.name)));
            continue;
          }
          own[d] = 1;
        }
      }
      if (p.config) {
        p.config->check_spec(m, where, p.line, p.col, diag);
        for (const auto& [path, c] : p.config->components()) self(self, *c, fmt::format("{}.{}", where, path), own);
      }
    };
    for (const auto& p : s.policies)
      check_scope(check_scope, p, "policies." + printable(p.name), std::vector<std::uint8_t>(divs.size(), 1));
  }
  diag.throw_if_errors();
  m.employees = static_cast<std::size_t>(s.organisation.employees);
  if (!organisation) return m;

  // The organisation tree: teams (contiguous members; first member manages), grouped by `span`
  // into departments up to one root per division, under one organisation root.
  const auto n = static_cast<std::size_t>(s.organisation.employees);
  m.employees = n;
  std::vector<double> shares;
  shares.reserve(divs.size());
  for (const auto& d : divs) shares.push_back(d.share);
  if (std::accumulate(shares.begin(), shares.end(), 0.0) <= 0) shares.assign(divs.size(), 1.0);
  const auto sizes = apportion(n, shares);
  m.team_of.resize(n);
  m.division_of.resize(n);
  m.is_manager.assign(n, 0);
  const auto team_size = static_cast<std::size_t>(s.organisation.team_size);
  const auto span = static_cast<std::size_t>(s.organisation.span);  // >= 2 (range-checked)
  std::vector<std::int32_t> division_roots;
  std::size_t first = 0;
  for (std::size_t d = 0; d < divs.size(); ++d) {
    const std::size_t nd = sizes[d];  // >= 1: apportion staffs every division
    m.divisions[d].headcount = static_cast<std::uint32_t>(nd);
    std::size_t nteams = std::max<std::size_t>(1, (nd + team_size - 1) / team_size);
    std::vector<std::int32_t> level;
    for (std::size_t t = 0; t < nteams; ++t) {
      const std::size_t lo = first + nd * t / nteams;
      const std::size_t hi = first + nd * (t + 1) / nteams;
      Unit u;
      u.first = static_cast<std::uint32_t>(lo);
      u.end = static_cast<std::uint32_t>(hi);
      u.manager = u.first;
      u.division = static_cast<std::int32_t>(d);
      u.team = true;
      m.is_manager[lo] = 1;
      for (std::size_t i = lo; i < hi; ++i) {
        m.team_of[i] = static_cast<std::uint32_t>(m.team_units.size());
        m.division_of[i] = static_cast<std::uint16_t>(d);
      }
      m.team_units.push_back(static_cast<std::uint32_t>(m.units.size()));
      level.push_back(static_cast<std::int32_t>(m.units.size()));
      m.units.push_back(u);
    }
    // Group upwards until one unit remains: the division root. A unit `height` levels above the
    // teams is headed by the member `height` places into its first team (the team's manager is the
    // first member), so distinct people head a team, its department and its division (docs/model.md
    // 2.2); only if that team is too small does the head of the unit below head this one too.
    std::size_t height = 0;
    auto head_of = [&](std::int32_t first_child) {
      const Unit& below = m.units[static_cast<std::size_t>(first_child)];
      const std::size_t slot = below.first + height;  // `below` starts with its first team
      const std::size_t team_end = m.units[m.team_units[m.team_of[below.first]]].end;
      return slot < team_end ? static_cast<std::uint32_t>(slot) : below.manager;
    };
    while (level.size() > 1) {
      ++height;
      std::vector<std::int32_t> up;
      for (std::size_t i = 0; i < level.size(); i += span) {
        Unit u;
        const std::size_t j_end = std::min(level.size(), i + span);
        u.first = m.units[static_cast<std::size_t>(level[i])].first;
        u.end = m.units[static_cast<std::size_t>(level[j_end - 1])].end;
        u.manager = head_of(level[i]);
        m.is_manager[u.manager] = 1;
        u.division = static_cast<std::int32_t>(d);
        const auto idx = static_cast<std::int32_t>(m.units.size());
        for (std::size_t j = i; j < j_end; ++j) m.units[static_cast<std::size_t>(level[j])].parent = idx;
        up.push_back(idx);
        m.units.push_back(u);
      }
      level = std::move(up);
    }
    // A division with a single team still gets a division unit above the team.
    if (m.units[static_cast<std::size_t>(level[0])].team) {
      Unit u = m.units[static_cast<std::size_t>(level[0])];
      u.team = false;
      height = 1;
      u.manager = head_of(level[0]);
      m.is_manager[u.manager] = 1;
      const auto idx = static_cast<std::int32_t>(m.units.size());
      m.units[static_cast<std::size_t>(level[0])].parent = idx;
      m.units.push_back(u);
      level[0] = idx;
    }
    division_roots.push_back(level[0]);
    first += nd;
  }
  Unit root;
  root.first = 0;
  root.end = static_cast<std::uint32_t>(n);
  root.manager = 0;
  const auto root_idx = static_cast<std::int32_t>(m.units.size());
  for (auto r : division_roots) m.units[static_cast<std::size_t>(r)].parent = root_idx;
  m.units.push_back(root);
  // Depths: parents come after children, so walk from the root down (reverse order).
  for (std::size_t i = m.units.size(); i-- > 0;) {
    auto& u = m.units[i];
    u.depth = u.parent < 0 ? 0 : m.units[static_cast<std::size_t>(u.parent)].depth + 1;
  }
  return m;
}

OrganisationCounts count_organisation(const Scenario& s) {
  // The same steps as the tree built by ModelSpec::resolve, on counts only.
  OrganisationCounts c;
  const auto& divs = s.organisation.divisions;
  if (divs.empty()) return c;
  std::vector<double> shares;
  shares.reserve(divs.size());
  for (const auto& d : divs) shares.push_back(d.share);
  if (std::accumulate(shares.begin(), shares.end(), 0.0) <= 0) shares.assign(divs.size(), 1.0);
  const auto sizes = apportion(static_cast<std::size_t>(s.organisation.employees), shares);
  const auto team_size = static_cast<std::size_t>(s.organisation.team_size);
  const auto span = static_cast<std::size_t>(s.organisation.span);
  for (const std::size_t nd : sizes) {
    const std::size_t nteams = std::max<std::size_t>(1, (nd + team_size - 1) / team_size);
    c.teams += nteams;
    c.units += nteams;
    std::size_t level = nteams;
    while (level > 1) {
      level = (level + span - 1) / span;
      c.units += level;
    }
    if (nteams == 1) c.units += 1;  // a division unit above its single team
  }
  c.units += 1;  // the organisation root
  return c;
}

std::size_t state_bytes_per_employee(std::size_t task_types) {
  // World: 36 float columns, hire_day and last_slop_day (4 bytes each), scripting (1), beliefs
  // (k floats); weekly plan: 21 float columns and a flag; the workslop columns (4 + 4 + 8); what
  // people tell their managers (k floats of reports and the outcome credit, 4); spec: team_of (4),
  // division_of (2), is_manager (1); regime state: about 40 bytes per person for the largest regime
  // (nested hybrids add theirs).
  constexpr std::size_t fixed = 36 * 4 + 2 * 4 + 1 + 21 * 4 + 1 + 16 + 4 + 4 + 2 + 1 + 40;
  return fixed + 2 * task_types * sizeof(float);
}

std::size_t organisation_bytes(const Scenario& s) {
  const auto n = static_cast<std::size_t>(s.organisation.employees);
  return n * (sizeof(std::uint32_t) + sizeof(std::uint16_t) + sizeof(std::uint8_t)) + count_organisation(s).units * sizeof(Unit);
}

std::size_t estimate_memory_bytes(const Scenario& s, std::size_t task_types, std::size_t parallel_runs) {
  const auto n = static_cast<std::size_t>(s.organisation.employees);
  const auto days = static_cast<std::size_t>(s.days);
  const std::size_t runs = s.policies.empty() ? 1 : s.policies.size();
  constexpr std::size_t overhead = std::size_t{4096} * 1024;
  const std::size_t per_run_state = n * state_bytes_per_employee(task_types) + overhead;
  const std::size_t vars = daily_variables().size();
  const std::size_t units = s.output.per_unit ? s.organisation.divisions.size() : 0;
  std::size_t per_run_out = days * vars * 8 * (1 + units);
  if (s.output.snapshot_every > 0)
    per_run_out += (days / static_cast<std::size_t>(s.output.snapshot_every) + 1) * static_cast<std::size_t>(s.output.snapshot_sample) *
                   snapshot_variables().size() * 4;
  // The organisation tree (units) is built once and shared; its per-employee tables are counted
  // in state_bytes_per_employee.
  return std::min(parallel_runs, runs) * per_run_state + runs * per_run_out + count_organisation(s).units * sizeof(Unit);
}

}  // namespace kpisim

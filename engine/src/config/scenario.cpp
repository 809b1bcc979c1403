#include <fmt/format.h>

#include <algorithm>

#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/regime.hpp"
#include "scenario_node.hpp"

namespace kpisim {
namespace {

TaskType task(const char* name, double base_hours, double value_usd, double stakes_hours, Frontier f, double time_factor, double quality,
              double defect, double tokens, const char* tool = "assistant") {
  TaskType t;
  t.name = name;
  t.base_hours = base_hours;
  t.value_usd = value_usd;
  t.stakes_hours = stakes_hours;
  t.frontier = f;
  t.ai_time_factor = time_factor;
  t.ai_quality_change = quality;
  t.defect_prob = defect;
  t.tokens_per_use = tokens;
  t.tool = tool;
  return t;
}

}  // namespace

Scenario::Scenario() {
  // The default task catalogue: the task types named in the source articles, with AI effects from
  // the studies cited in docs/model.md ("Defaults and their sources").
  using F = Frontier;
  // Columns: base hours, value, stakes hours, frontier, AI time factor, AI quality change, error
  // probability, tokens per use. Laboratory effects (Noy & Zhang: -40% time; Dell'Acqua: 25%
  // faster) are discounted to field-like gains of 25-45% in value per hour inside the frontier
  // (Brynjolfsson et al.: +14%; Cui et al.: +26%); organisation-wide savings are smaller still
  // because only part of the work is done with AI (Humlum & Vestergaard 2025: 2.8% of hours).
  tasks = {
      task("memo", 0.5, 30, 0.3, F::inside, 0.80, 0.05, 0.05, 3000),               // Noy & Zhang 2023: -40% time, +18% quality
      task("minutes", 1.0, 60, 0.5, F::inside, 0.70, -0.05, 0.12, 15000),          // transcription errors need clean-up
      task("summary", 0.5, 30, 0.5, F::inside, 0.70, 0.0, 0.08, 10000),            // Vectara 2023: 3-27% hallucination
      task("correspondence", 0.5, 30, 0.3, F::inside, 0.80, 0.05, 0.05, 4000),     // letters
      task("analysis", 2.0, 140, 1.0, F::inside, 0.80, 0.10, 0.05, 30000),         // Dell'Acqua 2023 inside: 25% faster, +40% quality
      task("customer_support", 0.25, 15, 0.25, F::inside, 0.88, 0.0, 0.05, 2500),  // Brynjolfsson et al. 2023: +14% per hour
      task("software", 4.0, 300, 2.0, F::inside, 0.80, 0.0, 0.10, 60000),          // Cui et al. 2024: +26% tasks
      task("software_mature", 4.0, 300, 2.0, F::outside, 1.19, 0.0, 0.10, 80000),  // METR 2025: 19% slower
      task("strategy", 3.0, 240, 2.0, F::outside, 0.85, -0.20, 0.25, 40000),       // Dell'Acqua 2023 outside: -19 pp correct
      task("admissions", 1.0, 80, 4.0, F::outside, 0.50, -0.20, 0.25, 20000),      // high stakes: manual work doubled
      task("financial_records", 1.0, 70, 3.0, F::outside, 0.60, -0.10, 0.20, 15000),
      task("reflection", 1.0, 50, 0.2, F::inside, 0.50, -0.10, 0.03, 5000),              // Bastani et al. 2025: skills erode
      task("it_hr_request", 0.5, 25, 0.2, F::inside, 0.20, 0.0, 0.05, 3000, "chatbot"),  // Gartner 2023 containment
  };

  for (auto& t : tasks) {
    if (t.name == "reflection") t.novice_gain_slope = 0.0;
  }
  Tool assistant;
  assistant.name = "assistant";
  Tool chatbot;
  chatbot.name = "chatbot";
  chatbot.kind = ToolKind::chatbot;
  chatbot.usd_per_mtok = 1.0;
  chatbot.containment = 0.40;  // between Gartner's 58% (simple) and 17% (complex)
  tools = {assistant, chatbot};

  Division all;
  all.name = "organisation";
  all.task_mix = {{"memo", 0.10},     {"minutes", 0.05},           {"summary", 0.10},          {"correspondence", 0.10}, {"analysis", 0.25},
                  {"strategy", 0.15}, {"financial_records", 0.10}, {"customer_support", 0.10}, {"it_hr_request", 0.05}};
  organisation.divisions = {all};
}

Scenario load_scenario_text(const std::string& text, const std::string& name) {
  Diagnostics diag(name);
  const YAML::Node root = params::load_document(text, diag);
  diag.throw_if_errors();
  return load_scenario_node(root, name);
}

Scenario load_scenario_node(const YAML::Node& root, const std::string& name) {
  Diagnostics diag(name);
  if (!root.IsMap()) {
    // An empty document has no position of its own: point at its start.
    diag.error(std::max(0, root.Mark().line), std::max(0, root.Mark().column),
               "a scenario must be a mapping of keys to values (for example `days: 364`), got " +
                   std::string(root.IsNull() ? "an empty document" : "something else"));
    diag.throw_if_errors();
  }
  Scenario s;
  auto where = std::make_shared<SourceMap>();
  params::YamlReader reader(root, diag, "", where.get());
  s.visit(reader);
  reader.finish();
  diag.throw_if_errors();
  s.source = std::move(where);
  for (auto& p : s.policies)
    if (!p.config) p.config = find_regime(p.type)->make();
  if (s.policies.empty()) {
    PolicySpec p;
    p.name = "none";
    p.type = "none";
    p.config = find_regime("none")->make();
    s.policies.push_back(std::move(p));
  }
  // The resolved scenario (to_yaml: every default written out; stored in every results file and
  // read back by `kpisim compare`) must load again, under the same node limit. Defaults make it
  // larger than the document (a task named with nothing else becomes a dozen keys): a document of
  // at most kResolvedCheckNodes nodes stays far below the limit; a larger one is checked here.
  if (params::count_nodes(root, params::kResolvedCheckNodes) > params::kResolvedCheckNodes &&
      resolved_node_count(s) > params::kMaxYamlNodes) {
    diag.error(std::max(0, root.Mark().line), std::max(0, root.Mark().column),
               fmt::format("the scenario with its defaults filled in (as results files store it) has more than {} YAML nodes: fewer "
                           "tasks, tools, divisions or policies",
                           params::kMaxYamlNodes));
    diag.throw_if_errors();
  }
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  return load_scenario_text(params::read_input_file(path, "scenario"), path);
}

std::size_t resolved_node_count(const Scenario& s) {
  YAML::Emitter unused;
  std::size_t nodes = 1;  // the root mapping
  params::YamlWriter w(unused, &nodes);
  Scenario copy = s;  // visit takes non-const references
  copy.visit(w);
  return nodes;
}

std::string to_yaml(const Scenario& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  params::YamlWriter w(out);
  Scenario copy = s;  // visit takes non-const references
  copy.visit(w);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

namespace {
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}
void table(std::string& md, const std::vector<params::DocRow>& rows) {
  md += "| key | type | unit | range | default | meaning | source |\n|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", r.key, r.type, r.unit, r.range, escape(r.default_value), escape(r.doc),
                      escape(r.source));
}
}  // namespace

std::string scenario_reference_markdown() {
  std::string md;
  md += "# Scenario reference\n\n";
  md += "<!-- Generated by `kpisim reference`; do not edit by hand. A test checks that this file is current. -->\n\n";
  md +=
      "A scenario is a YAML mapping. Every key is optional: anything left out takes the default below, so a\n"
      "minimal scenario is a few lines. Unknown keys are errors (with the nearest valid key suggested);\n"
      "values outside their range are errors; every error names file:line:column. Ranges are inclusive.\n"
      "`kpisim validate FILE` checks a file without running it; the fully resolved scenario (all defaults\n"
      "filled in) is stored in every output file as the root attribute `scenario`.\n\n";
  md += fmt::format(
      "**Names** (the keys under `policies`, `organisation.divisions`, `tasks` and `tools`, and an experiment's `name` and\n"
      "parameter paths) become labels, HDF5 group names and file names: 1 to {} bytes of letters `A-Z a-z`, digits, `_`, `-`\n"
      "and `.`, not starting with `.` and without `..` (parameter paths may also hold the item selectors `[ ] * =`,\n"
      "docs/experiments.md). Each name appears once in its map; a key given twice is an error naming both positions.\n\n",
      kMaxNameBytes);
  md += fmt::format(
      "**Limits.** A file is one YAML document of at most {} MiB, with at most {} nodes counted with YAML aliases\n"
      "expanded (`*name` counts as a copy of what it names), nested at most {} deep, and at most {} entries in any one\n"
      "mapping or list. These are checked on the parsed file before anything is built from it. A scenario\n"
      "whose estimated memory exceeds 80% of the machine's available memory is refused by `kpisim run` (exit 4) from\n"
      "arithmetic on its counts, before the organisation is built; `kpisim validate` warns about it.\n"
      "Values quoted in messages are escaped (`\\n`, `\\xNN`, ...) and cut after 60 characters.\n\n",
      params::kMaxFileBytes >> 20u, params::kMaxYamlNodes, params::kMaxYamlDepth, params::kMaxEntries);
  md +=
      "Units: `h` hours, `USD` US dollars, `token` AI tokens, `Wh` watt-hours, `1` dimensionless.\n"
      "Sources are given in full in docs/model.md (References).\n\n";
  md += "## Scenario keys\n\n";
  Scenario s;
  params::DocWriter d;
  s.visit(d);
  table(md, d.rows());
  md += "\n## Default task catalogue\n\n";
  md += "`tasks` merges with this catalogue: name a task to change some of its fields, or add a new name.\n\n";
  md +=
      "| task | base_hours | value_usd | stakes_hours | frontier | tool | ai_time_factor | ai_quality_change | defect_prob | "
      "tokens_per_use |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& t : s.tasks)
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", t.name, params::format_number(t.base_hours),
                      params::format_number(t.value_usd), params::format_number(t.stakes_hours),
                      t.frontier == Frontier::inside ? "inside" : "outside", t.tool, params::format_number(t.ai_time_factor),
                      params::format_number(t.ai_quality_change), params::format_number(t.defect_prob),
                      params::format_number(t.tokens_per_use));
  md +=
      "\n## Default tool catalogue\n\n| tool | kind | usd_per_mtok | wh_per_ktok | containment | escalation_hours | quality "
      "|\n|---|---|---|---|---|---|---|\n";
  for (const auto& t : s.tools)
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", t.name, t.kind == ToolKind::chatbot ? "chatbot" : "assistant",
                      params::format_number(t.usd_per_mtok), params::format_number(t.wh_per_ktok), params::format_number(t.containment),
                      params::format_number(t.escalation_hours), params::format_number(t.quality));
  md +=
      "\n## Regimes\n\nEach entry under `policies` is `NAME: {type: TYPE, ...parameters}`. Without `policies`, one policy\n"
      "`none` runs. Policies are compared on the same organisation with common random numbers.\n";
  for (const auto& info : regime_registry()) {
    md += fmt::format("\n### `{}`\n\n{}\n\n", info.name, info.summary);
    auto cfg = info.make();
    params::DocWriter dw;
    cfg->document(dw);
    if (dw.rows().empty())
      md += "No parameters.\n";
    else
      table(md, dw.rows());
  }
  return md;
}

}  // namespace kpisim

// Scenario files: defaults, errors with file:line:column, suggestions, ranges, round trip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/regime.hpp"

using Catch::Matchers::Contains;
using kpisim::load_scenario_text;

namespace {
std::string error_of(const std::string& yaml) {
  try {
    (void)load_scenario_text(yaml, "s.yaml");
  } catch (const kpisim::InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("a minimal scenario takes every default", "[unit][config]") {
  const auto s = load_scenario_text("days: 30\n", "s.yaml");
  REQUIRE(s.days == 30);
  REQUIRE(s.organisation.employees == kpisim::Scenario{}.organisation.employees);
  REQUIRE(s.policies.size() == 1);
  REQUIRE(s.policies[0].type == "none");
  REQUIRE(s.tasks.size() == kpisim::Scenario{}.tasks.size());
}

TEST_CASE("unknown keys are errors with position and the nearest valid key", "[unit][config]") {
  const auto e = error_of("days: 30\ndayz: 10\n");
  REQUIRE_THAT(e, Contains("s.yaml:2:1: error: unknown key 'dayz'"));
  REQUIRE_THAT(e, Contains("did you mean 'days'?"));
  const auto e2 = error_of("organisation:\n  employes: 10\n");
  REQUIRE_THAT(e2, Contains("s.yaml:2:3:"));
  REQUIRE_THAT(e2, Contains("in 'organisation'; did you mean 'employees'?"));
}

TEST_CASE("type and range errors say what was expected", "[unit][config]") {
  REQUIRE_THAT(error_of("days: abc\n"), Contains("s.yaml:1:7: error: 'days' expects a whole number in [1, 36500], got 'abc'"));
  REQUIRE_THAT(error_of("organisation: {employees: 1}\n"), Contains("expects a whole number in [2, 50000000]"));
  REQUIRE_THAT(error_of("behaviour: {norm_hours: 30}\n"), Contains("'behaviour.norm_hours' = 30 is out of range: expected [1, 24] h/day"));
  REQUIRE_THAT(error_of("output: {per_unit: maybe}\n"), Contains("expects true or false"));
  REQUIRE_THAT(error_of("organisation: 5\n"), Contains("must be a mapping"));
}

TEST_CASE("every error in a file is reported", "[unit][config]") {
  const auto e = error_of("dayz: 1\nseedd: 2\norganisation: {employees: -4}\n");
  REQUIRE_THAT(e, Contains("s.yaml:1:1:"));
  REQUIRE_THAT(e, Contains("s.yaml:2:1:"));
  REQUIRE_THAT(e, Contains("s.yaml:3:"));
}

TEST_CASE("a mistake repeated by YAML aliases gives the first 50 errors and a count of the rest", "[unit][config]") {
  // 821 bytes of aliases once gave 8,642 error lines (1.7 MB): one misspelt key, expanded 100 x 100 times.
  std::string yaml =
      "policies:\n  p: {type: hybrid, components: [&h {weight: 1, policy: {type: hybrid, components: [&c {wieght: 1, "
      "policy: {type: audit}}";
  for (int i = 0; i < 99; ++i) yaml += ", *c";
  yaml += "]}}";
  for (int i = 0; i < 99; ++i) yaml += ", *h";
  yaml += "]}\n";
  const auto e = error_of(yaml);
  std::size_t lines = 0;
  for (const char c : e) lines += c == '\n' ? 1 : 0;
  CHECK(lines == kpisim::kMaxReportedErrors + 1);
  REQUIRE_THAT(e, Contains("unknown key 'wieght' in 'policies.p.components[0].policy.components[0]'; did you mean 'weight'?"));
  REQUIRE_THAT(e, Contains("s.yaml: error: ... and 9950 more errors (only the first 50 are shown)"));
  // Fewer than the limit: all of them, and no count line.
  CHECK_THAT(error_of("dayz: 1\nseedd: 2\n"), !Contains("more errors"));
}

TEST_CASE("syntax errors carry their position", "[unit][config]") {
  REQUIRE_THAT(error_of("days: [1, 2\n"), Contains("s.yaml:"));
  REQUIRE_THAT(error_of("days: [1, 2\n"), Contains("YAML syntax"));
  REQUIRE_THAT(error_of("- a\n- b\n"), Contains("a scenario must be a mapping"));
}

TEST_CASE("regimes: unknown type suggests the nearest, parameters are checked", "[unit][config][regimes]") {
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderbord}\n"), Contains("did you mean 'leaderboard'?"));
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderboard, top_share: 2}\n"), Contains("'policies.lb.top_share' = 2 is out of range"));
  REQUIRE_THAT(error_of("policies:\n  lb: {type: leaderboard, prize: 2}\n"), Contains("did you mean 'prize_usd'?"));
  REQUIRE_THAT(error_of("policies:\n  q: {type: quota, level: team}\n"), Contains("must be one of: individual, manager"));
  REQUIRE_THAT(error_of("policies:\n  x: {cadence: weekly}\n"), Contains("needs a 'type'"));
  const auto s = load_scenario_text(
      "policies:\n  mix:\n    type: hybrid\n    components:\n      - {weight: 0.5, policy: {type: outcome, bonus_share: 0.2}}\n"
      "      - {weight: 1, policy: {type: audit}}\n",
      "s.yaml");
  REQUIRE(s.policies.size() == 1);
  REQUIRE(s.policies[0].name == "mix");
  REQUIRE(s.policies[0].type == "hybrid");
  REQUIRE_THAT(
      error_of("policies:\n  s:\n    type: schedule\n    phases:\n      - {start_day: 0, policy: {type: leaderboard, cadense: weekly}}\n"),
      Contains("s.yaml:5:52:"));
}

TEST_CASE("catalogues merge with the defaults, and divisions replace them", "[unit][config]") {
  const auto s = load_scenario_text(
      "tasks:\n  memo: {value_usd: 99}\n  podcast: {base_hours: 3}\norganisation:\n  divisions:\n    ops: {task_mix: {memo: 1}}\n",
      "s.yaml");
  const kpisim::Scenario def;
  REQUIRE(s.tasks.size() == def.tasks.size() + 1);
  REQUIRE(s.tasks[0].name == "memo");
  REQUIRE(s.tasks[0].value_usd == 99);
  REQUIRE(s.tasks[0].base_hours == def.tasks[0].base_hours);
  REQUIRE(s.tasks.back().name == "podcast");
  REQUIRE(s.organisation.divisions.size() == 1);
  REQUIRE(s.organisation.divisions[0].task_mix[0].line == 5);  // 0-based position kept for later checks
}

TEST_CASE("the resolved scenario round-trips through YAML", "[unit][config]") {
  const auto s = load_scenario_text(
      "name: rt\nseed: 12345678901234\npolicies:\n  lb: {type: leaderboard, prize_usd: 123.5, noise: uniform}\n"
      "  sched:\n    type: schedule\n    phases:\n      - {start_day: 0, end_day: 10, policy: {type: quota, level: manager}}\n",
      "s.yaml");
  const std::string y1 = kpisim::to_yaml(s);
  const auto s2 = load_scenario_text(y1, "resolved.yaml");
  REQUIRE(kpisim::to_yaml(s2) == y1);
  REQUIRE_THAT(y1, Contains("prize_usd: 123.5"));
  REQUIRE_THAT(y1, Contains("noise: uniform"));
  REQUIRE(s2.seed == 12345678901234ULL);
}

TEST_CASE("the reference documents every regime", "[unit][config]") {
  const std::string md = kpisim::scenario_reference_markdown();
  for (const auto& info : kpisim::regime_registry()) REQUIRE_THAT(md, Contains("### `" + std::string(info.name) + "`"));
  REQUIRE_THAT(md, Contains("`organisation.employees`"));
  REQUIRE_THAT(md, Contains("`policies.NAME.type`"));
}

// Issue 9 (hardening): input files are untrusted.

TEST_CASE("user text in messages is escaped and cut", "[unit][config]") {
  using kpisim::printable;
  REQUIRE(printable("plain_name-1.0") == "plain_name-1.0");
  REQUIRE(printable("a\nb.yaml:1:1: error: x") == "a\\nb.yaml:1:1: error: x");
  REQUIRE(printable("\x1b[31mred\t\\") == "\\x1B[31mred\\t\\\\");
  REQUIRE(printable("caf\xc3\xa9") == "caf\xc3\xa9");      // valid UTF-8 is kept
  REQUIRE(printable("bad\xff\xc3(") == "bad\\xFF\\xC3(");  // invalid bytes are shown
  REQUIRE(printable("a\xe2\x80\xae"
                    "b") == "a\\u{202E}b");  // a bidirectional override
  const std::string mb(1 << 20, 'x');
  const std::string cut = printable(mb);
  REQUIRE(cut.size() < 100);
  REQUIRE_THAT(cut, Contains("…(1048576 bytes)"));
  // A value with a newline cannot forge a second message line.
  const auto e = error_of("behaviour: {effort_cost: \"1\\nfake.yaml:1:1: error: forged\"}\n");
  REQUIRE(std::count(e.begin(), e.end(), '\n') == 1);
  REQUIRE_THAT(e, Contains("got '1\\nfake.yaml:1:1: error: forged'"));
  REQUIRE(error_of("dayz" + mb + ": 1\n").size() < 400);  // a megabyte key is not echoed whole
}

TEST_CASE("names are plain: letters, digits, _ - . without .. or a leading dot", "[unit][config]") {
  using kpisim::name_problem;
  for (const char* ok : {"a", "leaderboard", "quota-2", "v1.5", "A_b"}) REQUIRE(name_problem(ok).empty());
  for (const char* bad : {"", "a b", "../x", "a/b", ".hidden", "a..b", "/abs", "x\ny", "caf\xc3\xa9", "\xff"})
    REQUIRE_FALSE(name_problem(bad).empty());
  REQUIRE_FALSE(name_problem(std::string(kpisim::kMaxNameBytes + 1, 'a')).empty());
  REQUIRE_THAT(error_of("policies:\n  \"a b\": {type: none}\n"), Contains("s.yaml:2:3: error: 'a b' in 'policies'"));
  REQUIRE_THAT(error_of("policies:\n  a/b: {type: none}\n"), Contains("'/' is not allowed"));
  REQUIRE_THAT(error_of("policies:\n  ..: {type: none}\n"), Contains("s.yaml:2:3"));
  REQUIRE_THAT(error_of("organisation:\n  divisions:\n    x\xff: {}\n"),
               Contains("s.yaml:3:5: error: 'x\\xFF' in 'organisation.divisions'"));
  REQUIRE_THAT(error_of("organisation:\n  divisions:\n    \"x\\xff\": {}\n"), Contains("'\xc3\xbf' is not allowed"));
  REQUIRE_THAT(error_of("tasks:\n  \"\": {}\n"), Contains("must not be empty"));
  REQUIRE_THAT(error_of("tools:\n  \"t\\n\": {}\n"), Contains("'t\\n' in 'tools'"));
}

TEST_CASE("a name given twice is an error naming both positions", "[unit][config]") {
  REQUIRE_THAT(error_of("policies:\n  a: {type: none}\n  a: {type: quota}\n"),
               Contains("s.yaml:3:3: error: 'a' appears twice in 'policies' (first at line 2, column 3)"));
  REQUIRE_THAT(error_of("organisation:\n  divisions:\n    d: {}\n    d: {}\n"), Contains("s.yaml:4:5"));
  REQUIRE_THAT(error_of("tasks:\n  memo: {}\n  memo: {}\n"), Contains("appears twice in 'tasks'"));
  REQUIRE_THAT(error_of("organisation:\n  divisions:\n    d: {task_mix: {memo: 1, memo: 2}}\n"),
               Contains("'memo' appears twice in 'organisation.divisions.d.task_mix'"));
  REQUIRE_THAT(error_of("days: 3\ndays: 4\n"), Contains("s.yaml:2:1: error: duplicate key 'days' (first at line 1, column 1)"));
}

TEST_CASE("odd documents are errors with a position", "[unit][config]") {
  REQUIRE_THAT(error_of(""), Contains("s.yaml:1:1: error: a scenario must be a mapping"));
  REQUIRE_THAT(error_of("days: 3\n---\ndays: 4\n"), Contains("s.yaml:3:1: error: a second YAML document"));
  const auto e = error_of("policies:\n  ? [a, b]\n  : {type: none}\n");
  REQUIRE_THAT(e, Contains("s.yaml:2:5: error: the keys of 'policies' must be plain names"));
  REQUIRE_THAT(error_of("? {a: 1}\n: 2\n"), Contains("s.yaml:1:3: error: keys must be plain names"));
}

TEST_CASE("a few lines of YAML aliases cannot expand into millions of nodes", "[unit][config]") {
  // Eight levels of ten aliases each: 10^8 hybrid components if expanded.
  std::string yaml = "policies:\n  p1: &p1 {type: hybrid, components: [{weight: 1, policy: {type: none}}]}\n";
  for (int i = 2; i <= 9; ++i) {
    yaml += "  p" + std::to_string(i) + ": &p" + std::to_string(i) + " {type: hybrid, components: [";
    for (int k = 0; k < 10; ++k) yaml += std::string(k ? ", " : "") + "{weight: 1, policy: *p" + std::to_string(i - 1) + "}";
    yaml += "]}\n";
  }
  REQUIRE(yaml.size() < 3000);
  REQUIRE_THAT(error_of(yaml), Contains("more than 100000 YAML nodes"));
  std::string deep = "a: ";
  for (int i = 0; i < 100; ++i) deep += "{b: ";
  deep += "1" + std::string(100, '}') + "\n";
  REQUIRE_THAT(error_of(deep), Contains("nested more than 64 deep"));
}

namespace {
std::size_t yaml_nodes(const std::string& text) {
  return kpisim::params::count_nodes(YAML::Load(text), kpisim::params::kMaxYamlNodes * 10);
}
std::string many_tasks(int n) {
  std::string yaml = "tasks: {";
  for (int i = 0; i < n; ++i) yaml += (i ? ", t" : "t") + std::to_string(i) + ": ";
  return yaml + "}\n";
}
}  // namespace

TEST_CASE("every accepted scenario's resolved text loads again under the node limit", "[unit][config]") {
  // 10,000 tasks named with nothing else: 20,001 nodes in the file, about 250,000 once each
  // task's defaults are written out (to_yaml, what results files store), which would not load.
  const std::string big = many_tasks(10'000);
  REQUIRE(yaml_nodes(big) < kpisim::params::kMaxYamlNodes);
  REQUIRE_THAT(error_of(big), Contains("s.yaml:1:1: error: the scenario with its defaults filled in"));
  REQUIRE_THAT(error_of(big), Contains("more than 100000 YAML nodes"));
  // A few lines of aliases (found by fuzz_scenario: tests/fuzz/regressions/scenario/
  // resolved-node-limit.yaml): 50 hybrids of 100 audits each, about 30,000 nodes with the aliases
  // expanded, 5,000 audits with all their parameters once resolved.
  std::string aliases =
      "policies:\n  p: {type: hybrid, components: [&h {weight: 1, policy: {type: hybrid, components: [&c {weight: 1, "
      "policy: {type: audit}}";
  for (int i = 1; i < 100; ++i) aliases += ", *c";
  aliases += "]}}";
  for (int i = 1; i < 50; ++i) aliases += ", *h";
  aliases += "]}\n";
  REQUIRE(aliases.size() < 1000);
  REQUIRE_THAT(error_of(aliases), Contains("s.yaml:1:1: error: the scenario with its defaults filled in"));
  // 3,000 tasks: checked (a large document) and accepted; the resolved text loads again.
  const auto s = load_scenario_text(many_tasks(3'000), "s.yaml");
  const std::string resolved = kpisim::to_yaml(s);
  REQUIRE(yaml_nodes(resolved) > 50'000);
  REQUIRE(kpisim::to_yaml(load_scenario_text(resolved, "resolved.yaml")) == resolved);
  // The check counts the nodes to_yaml would write without writing them: the same count.
  REQUIRE(kpisim::resolved_node_count(s) == yaml_nodes(resolved));
  for (const char* file : {"tests/data/small_compare.yaml", "scenarios/compare_regimes.yaml", "scenarios/cases/mandate.yaml"}) {
    const auto sc = kpisim::load_scenario_file(std::string(KPISIM_SOURCE_DIR) + "/" + file);
    CHECK(kpisim::resolved_node_count(sc) == yaml_nodes(kpisim::to_yaml(sc)));
  }
}

TEST_CASE("small documents resolve far below the node limit (no check needed)", "[unit][config]") {
  // load_scenario_node resolves a scenario to count its nodes only when the document has more
  // than kResolvedCheckNodes nodes. Below that the resolved text is at most the defaults plus a
  // bounded number of nodes per node of the file: measured here for the entries that gain the most
  // from defaults (a bare task, tool, division, each regime as a policy and as a component).
  const std::size_t base = yaml_nodes(kpisim::to_yaml(load_scenario_text("days: 30\n", "s.yaml")));
  const std::vector<std::string> entries = {
      "tasks: {t: }",
      "tools: {x: }",
      "organisation: {divisions: {a: , b: , c: , d: , e: , f: , g: , h: , i: , j: }}",  // (they replace the default division)
      "policies: {p: {type: none}}",
      "policies: {p: {type: leaderboard}}",
      "policies: {p: {type: quota}}",
      "policies: {p: {type: audit}}",
      "policies: {p: {type: outcome}}",
      "policies: {p: {type: hybrid, components: [{weight: 1, policy: {type: audit}}]}}",
      "policies: {p: {type: hybrid, components: [{weight: 1, policy: {type: audit}}, {weight: 1, policy: {type: leaderboard}}]}}",
      "policies: {p: {type: schedule, phases: [{start_day: 0, policy: {type: audit}}]}}",
      "policies: {p: {type: schedule, phases: [{start_day: 0, end_day: 5, policy: {type: audit}}, {start_day: 5, policy: {type: quota}}]}}",
  };
  double growth = 0.0;  // resolved nodes added per node of the file, at most
  for (const auto& e : entries) {
    INFO(e);
    const std::string text = "days: 30\n" + e + "\n";
    const std::size_t resolved = yaml_nodes(kpisim::to_yaml(load_scenario_text(text, "s.yaml")));
    const std::size_t added = yaml_nodes(text) - yaml_nodes("days: 30\n");
    if (resolved <= base) continue;  // it replaced a default (policies and divisions replace, tasks and tools merge)
    growth = std::max(growth, static_cast<double>(resolved - base) / static_cast<double>(added));
  }
  REQUIRE(growth > 1.0);
  INFO("defaults " << base << " nodes, growth " << growth << " per node");
  REQUIRE(static_cast<double>(base) + growth * static_cast<double>(kpisim::params::kResolvedCheckNodes) <
          0.5 * static_cast<double>(kpisim::params::kMaxYamlNodes));
}

TEST_CASE("the seed takes every 64-bit value", "[unit][config]") {
  REQUIRE(load_scenario_text("seed: 18446744073709551615\n", "s.yaml").seed == 18446744073709551615ULL);
  REQUIRE_THAT(error_of("seed: 18446744073709551616\n"), Contains("64-bit"));
}

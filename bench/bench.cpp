// kpisim_bench: simulated agent-days per second and memory per employee.
//
// For each organisation size and each thread count (1 and all by default) it times every policy of
// the scenario on its own (construct, warm up, then time `days` calls of Simulation::step()) and
// the whole scenario as the CLI runs it (run_policies: all policies in parallel, construction
// included). Peak memory per employee is measured first, on a fresh process, from /proc/self/status.
// Usage: kpisim_bench SCENARIO [--sizes 10000,100000,1000000] [--days 28] [--warmup 7] [--json FILE]
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"

namespace {

std::string load_at_start;  // /proc/loadavg when the benchmark started

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the whole process (all threads), seconds. With the wall time it shows whether the
// run had the cores to itself: cpu / (wall x threads) well below 1 means other load.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return fmt::format("{} {} {}", a, b, c);
}

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string scenario;
  std::vector<int> sizes{10'000, 100'000, 1'000'000};
  std::vector<int> threads;  // empty: {1, all}
  int days = 28;
  int warmup = 7;
  int repeat = 1;                     // per-policy measurements repeated; the fastest is kept
  std::vector<std::string> policies;  // empty: all
  int large_size = 1'000'000;         // sizes >= this are "large"
  int large_days = 14;                // timed days at large sizes (0: `days`)
  int large_policies = 0;             // policies timed one by one at large sizes (0: all)
  std::string large_whole = "max";    // whole-scenario figure at large sizes: at the largest thread count, at all, or none
  bool no_whole = false;
  bool no_memory = false;
  int memory_size = 0;  // 0: the largest size
  int memory_days = 7;  // steps after construction before reading RSS
  std::string memory_policy;
  std::string json;
};

// ---------------------------------------------------------------------------------------------
// Memory from /proc/self/status (kB values).

struct ProcMem {
  long long rss_kb = -1;
  long long hwm_kb = -1;
};

ProcMem read_proc_mem() {
  ProcMem m;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    auto value = [&](const char* key) -> long long {
      const std::string k(key);
      if (line.compare(0, k.size(), k) != 0) return -1;
      return std::stoll(line.substr(k.size()));
    };
    if (const long long v = value("VmRSS:"); v >= 0) m.rss_kb = v;
    if (const long long v = value("VmHWM:"); v >= 0) m.hwm_kb = v;
  }
  return m;
}

// Resets VmHWM to the current RSS (Linux >= 4.0). Returns false when not permitted.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

// ---------------------------------------------------------------------------------------------
// Results

struct PolicyTiming {
  std::string name;
  std::string type;
  double construct_s = 0;
  double warmup_s = 0;
  double timed_s = 0;
  double timed_cpu_s = 0;
  int days = 0;     // timed days
  double rate = 0;  // agent-days/s over the timed days
};

struct WholeTiming {
  bool run = false;
  std::size_t policies = 0;
  int days = 0;        // days per policy (warm-up included: the CLI path has no warm-up)
  double seconds = 0;  // construction included
  double rate = 0;     // employees * days * policies / seconds
};

struct CaseResult {
  int employees = 0;
  int threads = 0;
  int days = 0;  // timed days per policy
  double resolve_s = 0;
  std::vector<PolicyTiming> per_policy;
  double mean_rate = 0;
  WholeTiming whole;

  /// Process CPU time / (wall time x threads) over the timed days of all policies.
  [[nodiscard]] double cpu_use() const {
    double wall = 0, cpu = 0;
    for (const auto& t : per_policy) {
      wall += t.timed_s;
      cpu += t.timed_cpu_s;
    }
    return wall > 0 ? cpu / (wall * threads) : 0.0;
  }
};

struct MemoryResult {
  bool run = false;
  int employees = 0;
  std::string policy;
  int steps = 0;
  long long base_rss_kb = 0, rss_kb = 0, hwm_kb = 0;
  bool hwm_reset = false;
  double rss_bytes_per_employee = 0;
  double peak_bytes_per_employee = 0;
  std::size_t task_types = 0;
  std::size_t model_bytes_per_employee = 0;
};

std::string mrate(double r) {
  return fmt::format("{:.2f}", r / 1e6);
}

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// Measurements

kpisim::Scenario sized(const kpisim::Scenario& base, int employees, int days) {
  kpisim::Scenario s = base;
  s.organisation.employees = employees;
  s.days = days;
  return s;
}

MemoryResult measure_memory(const kpisim::Scenario& base, const Options& o, int employees, std::size_t policy) {
  MemoryResult r;
  r.run = true;
  r.employees = employees;
  r.policy = base.policies[policy].name;
  r.steps = o.warmup + o.memory_days;
  kpisim::Scenario s = sized(base, employees, r.steps);
  s.policies = {base.policies[policy]};
  // Start the worker threads before the baseline so that their stacks are not counted.
  tbb::parallel_for(0, 1024, [](int) {});
  r.hwm_reset = reset_peak_rss();
  const ProcMem before = read_proc_mem();
  r.base_rss_kb = before.rss_kb;
  {
    const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, o.scenario);
    r.task_types = spec.task_count();
    r.model_bytes_per_employee = kpisim::state_bytes_per_employee(spec.task_count());
    kpisim::Simulation sim(spec, 0, 0);
    for (int d = 0; d < r.steps; ++d) sim.step();
    const ProcMem after = read_proc_mem();
    r.rss_kb = after.rss_kb;
    r.hwm_kb = after.hwm_kb;
  }
  const auto n = static_cast<double>(employees);
  r.rss_bytes_per_employee = static_cast<double>(r.rss_kb - r.base_rss_kb) * 1024.0 / n;
  r.peak_bytes_per_employee = static_cast<double>(r.hwm_kb - r.base_rss_kb) * 1024.0 / n;
  return r;
}

PolicyTiming time_policy(const kpisim::ModelSpec& spec, std::size_t p, int warmup, int days) {
  PolicyTiming t;
  t.name = spec.scenario.policies[p].name;
  t.type = spec.scenario.policies[p].type;
  auto t0 = Clock::now();
  kpisim::Simulation sim(spec, p, 0);
  t.construct_s = since(t0);
  t0 = Clock::now();
  for (int d = 0; d < warmup; ++d) sim.step();
  t.warmup_s = since(t0);
  const double cpu0 = process_cpu_seconds();
  t0 = Clock::now();
  for (int d = 0; d < days; ++d) sim.step();
  t.timed_s = since(t0);
  t.timed_cpu_s = process_cpu_seconds() - cpu0;
  t.days = days;
  t.rate = static_cast<double>(spec.employees) * days / t.timed_s;
  return t;
}

WholeTiming time_whole(const kpisim::ModelSpec& spec) {
  WholeTiming w;
  w.run = true;
  w.policies = spec.scenario.policies.size();
  w.days = spec.scenario.days;
  const auto t0 = Clock::now();
  const auto results = kpisim::run_policies(spec, 0);
  w.seconds = since(t0);
  w.rate = static_cast<double>(spec.employees) * w.days * static_cast<double>(w.policies) / w.seconds;
  return w;
}

// ---------------------------------------------------------------------------------------------
// Report

void print_report(const Options& o, const kpisim::Scenario& base, int all_threads, const std::vector<CaseResult>& cases,
                  const MemoryResult& mem, double total_s) {
  fmt::print("\n## KPISim benchmark: {}\n\n", o.scenario);
  fmt::print("engine {} ({}, {} build, {}{}), scenario '{}', {} policies, {} hardware threads\n", kpisim::engine_version(),
             kpisim::git_commit(), kpisim::build_type(), kpisim::simd_level(),
             kpisim::checks_enabled() ? ", INVARIANT CHECKS ON: figures not representative" : "", base.name, base.policies.size(),
             all_threads);
  fmt::print("Load average at start: {}; at end: {}.\n\n", load_at_start, loadavg());
  fmt::print(
      "- Per policy: build the world, step {} warm-up days (not timed), then time {} days (days {}..{}; day 0 is a Monday, "
      "so the timed window holds whole weeks). agent-days/s = employees x timed days / seconds. \"mean over policies\" is "
      "total agent-days / total time.{}\n",
      o.warmup, o.days, o.warmup, o.warmup + o.days - 1,
      o.repeat > 1 ? fmt::format(" Each policy is measured {} times; the fastest is kept.", o.repeat) : "");
  if (!o.no_whole)
    fmt::print(
        "- Whole scenario: run_policies() as `kpisim run` does it (all policies in parallel, world construction included, no "
        "warm-up), warm-up + timed days per policy ({}{}); agent-days/s = employees x days x policies / seconds.\n",
        o.warmup + o.days,
        o.large_days > 0 && o.large_days != o.days ? fmt::format(", {} at {}+ employees", o.warmup + o.large_days, o.large_size) : "");
  if (std::any_of(o.sizes.begin(), o.sizes.end(), [&](int n) { return n >= o.large_size; })) {
    std::vector<std::string> notes;
    if (o.large_days > 0 && o.large_days != o.days)
      notes.push_back(fmt::format("{} timed days instead of {} (--large-days)", o.large_days, o.days));
    if (o.large_policies > 0)
      notes.push_back(fmt::format("only the first {} policies timed (--large-policies 0 for all)", o.large_policies));
    if (!o.no_whole && o.large_whole == "max")
      notes.push_back(fmt::format("whole-scenario figure only with {} threads (--large-whole all|none)",
                                  *std::max_element(o.threads.begin(), o.threads.end())));
    if (!o.no_whole && o.large_whole == "none") notes.push_back("no whole-scenario figure (--large-whole max|all)");
    if (!notes.empty())
      fmt::print("- At {}+ employees, to keep the default run to a few minutes: {}.\n", o.large_size, fmt::join(notes, "; "));
  }
  fmt::print(
      "- CPU use = process CPU time / (wall time x threads) over the timed days; well below 100% means the cores were shared "
      "with other load (or threads idled) and the figures are pessimistic.\n");

  // Column set: every policy that appears in any case, in scenario order.
  std::vector<std::string> cols;
  for (const auto& p : base.policies) cols.push_back(p.name);

  fmt::print("\n### Throughput (million agent-days per second)\n\n");
  std::string head = "| employees | threads |";
  std::string rule = "|---:|---:|";
  for (const auto& c : cols) {
    head += fmt::format(" {} |", c);
    rule += "---:|";
  }
  head += " mean over policies | whole scenario |";
  rule += "---:|---:|";
  fmt::print("{}\n{}\n", head, rule);
  for (const auto& cr : cases) {
    std::string row = fmt::format("| {} | {} |", cr.employees, cr.threads);
    for (const auto& c : cols) {
      const auto it = std::find_if(cr.per_policy.begin(), cr.per_policy.end(), [&](const PolicyTiming& t) { return t.name == c; });
      row += it == cr.per_policy.end() ? " - |" : fmt::format(" {} |", mrate(it->rate));
    }
    const std::string mean_note = cr.per_policy.size() < cols.size() ? fmt::format(" ({} of {})", cr.per_policy.size(), cols.size()) : "";
    row += fmt::format(" **{}**{} |", mrate(cr.mean_rate), mean_note);
    row += cr.whole.run ? fmt::format(" {} |", mrate(cr.whole.rate)) : " - |";
    fmt::print("{}\n", row);
  }

  std::vector<std::string> starved;
  for (const auto& cr : cases)
    if (cr.cpu_use() < 0.85)
      starved.push_back(
          fmt::format("{} employees x {} thread{} ({:.0f}%)", cr.employees, cr.threads, cr.threads == 1 ? "" : "s", 100.0 * cr.cpu_use()));
  if (!starved.empty())
    fmt::print(
        "\n**Warning: the cores were shared with other load** (CPU use below 85%: {}). Those figures understate the "
        "engine; rerun on an idle machine (--repeat N keeps the fastest of N runs).\n",
        fmt::join(starved, ", "));

  // Scaling and fixed costs.
  fmt::print("\n### Per-case details\n\n");
  fmt::print(
      "| employees | threads | timed days | ns per agent-day | speed-up vs 1 thread | CPU use | resolve s | construct s (mean) | "
      "warm-up s (mean) | whole scenario s |\n");
  fmt::print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& cr : cases) {
    double base_rate = 0;
    for (const auto& c2 : cases)
      if (c2.employees == cr.employees && c2.threads == 1) base_rate = c2.mean_rate;
    double cons = 0, warm = 0;
    for (const auto& t : cr.per_policy) {
      cons += t.construct_s;
      warm += t.warmup_s;
    }
    const auto np = static_cast<double>(std::max<std::size_t>(1, cr.per_policy.size()));
    fmt::print("| {} | {} | {} | {:.1f} | {} | {:.0f}% | {:.3f} | {:.3f} | {:.3f} | {} |\n", cr.employees, cr.threads, cr.days,
               1e9 / cr.mean_rate, base_rate > 0 ? fmt::format("{:.2f}x", cr.mean_rate / base_rate) : "-", 100.0 * cr.cpu_use(),
               cr.resolve_s, cons / np, warm / np, cr.whole.run ? fmt::format("{:.2f}", cr.whole.seconds) : "-");
  }

  if (mem.run) {
    fmt::print("\n### Memory ({} employees, policy '{}', {} days stepped)\n\n", mem.employees, mem.policy, mem.steps);
    fmt::print("| measure | bytes per employee |\n|---|---:|\n");
    fmt::print("| RSS growth (VmRSS after - before resolve+construct+steps) | {:.0f} |\n", mem.rss_bytes_per_employee);
    fmt::print("| peak RSS growth (VmHWM - VmRSS before){} | {:.0f} |\n", mem.hwm_reset ? "" : " [VmHWM not reset: upper bound]",
               mem.peak_bytes_per_employee);
    fmt::print("| model estimate: state_bytes_per_employee({} task types) | {} |\n", mem.task_types, mem.model_bytes_per_employee);
    fmt::print("\nVmRSS before {:.1f} MiB, after {:.1f} MiB, VmHWM {:.1f} MiB.\n", static_cast<double>(mem.base_rss_kb) / 1024.0,
               static_cast<double>(mem.rss_kb) / 1024.0, static_cast<double>(mem.hwm_kb) / 1024.0);
  }

  // Targets.
  fmt::print("\n### Targets\n\n");
  const CaseResult* target_case = nullptr;
  for (const auto& cr : cases)
    if (cr.employees == 100'000 && cr.threads == all_threads) target_case = &cr;
  if (target_case != nullptr) {
    const bool ok = target_case->mean_rate >= 2e7;
    fmt::print("- >= 2e7 agent-days/s, all {} threads, 100k employees: mean over policies {:.3g} -> **{}**", all_threads,
               target_case->mean_rate, ok ? "met" : "NOT met");
    if (target_case->whole.run) fmt::print(" (whole scenario {:.3g})", target_case->whole.rate);
    fmt::print("\n");
  } else {
    fmt::print("- >= 2e7 agent-days/s at 100k employees with all threads: not measured (size or thread count not in the run)\n");
  }
  if (mem.run) {
    const bool ok = mem.peak_bytes_per_employee < 1024.0;
    fmt::print("- < 1 KiB of state per employee: peak RSS growth {:.0f} B/employee at {} employees -> **{}**\n",
               mem.peak_bytes_per_employee, mem.employees, ok ? "met" : "NOT met");
  }
  fmt::print("\nTotal benchmark time {:.1f} s.\n", total_s);
}

void write_json(const std::string& path, const Options& o, const kpisim::Scenario& base, int all_threads,
                const std::vector<CaseResult>& cases, const MemoryResult& mem, double total_s) {
  std::ostringstream j;
  j << "{\n";
  j << fmt::format("  \"engine_version\": {},\n  \"git_commit\": {},\n  \"build_type\": {},\n  \"simd\": {},\n  \"checks\": {},\n",
                   json_str(std::string(kpisim::engine_version())), json_str(std::string(kpisim::git_commit())),
                   json_str(std::string(kpisim::build_type())), json_str(std::string(kpisim::simd_level())),
                   kpisim::checks_enabled() ? "true" : "false");
  j << fmt::format(
      "  \"scenario\": {},\n  \"scenario_name\": {},\n  \"hardware_threads\": {},\n  \"days\": {},\n  \"warmup\": {},\n"
      "  \"repeat\": {},\n",
      json_str(o.scenario), json_str(base.name), all_threads, o.days, o.warmup, o.repeat);
  j << fmt::format("  \"load_average_start\": {},\n  \"load_average_end\": {},\n", json_str(load_at_start), json_str(loadavg()));
  j << fmt::format("  \"total_seconds\": {:.3f},\n  \"cases\": [\n", total_s);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto& cr = cases[c];
    j << fmt::format(
        "    {{\"employees\": {}, \"threads\": {}, \"timed_days\": {}, \"resolve_seconds\": {:.6f}, "
        "\"mean_agent_days_per_s\": {:.6g}, \"cpu_use\": {:.3f},\n",
        cr.employees, cr.threads, cr.days, cr.resolve_s, cr.mean_rate, cr.cpu_use());
    j << "     \"policies\": [";
    for (std::size_t p = 0; p < cr.per_policy.size(); ++p) {
      const auto& t = cr.per_policy[p];
      j << fmt::format(
          "{}\n       {{\"name\": {}, \"type\": {}, \"construct_seconds\": {:.6f}, \"warmup_seconds\": {:.6f}, "
          "\"timed_seconds\": {:.6f}, \"timed_cpu_seconds\": {:.6f}, \"agent_days_per_s\": {:.6g}}}",
          p == 0 ? "" : ",", json_str(t.name), json_str(t.type), t.construct_s, t.warmup_s, t.timed_s, t.timed_cpu_s, t.rate);
    }
    j << "],\n";
    if (cr.whole.run)
      j << fmt::format("     \"whole\": {{\"policies\": {}, \"days\": {}, \"seconds\": {:.6f}, \"agent_days_per_s\": {:.6g}}}}}",
                       cr.whole.policies, cr.whole.days, cr.whole.seconds, cr.whole.rate);
    else
      j << "     \"whole\": null}";
    j << (c + 1 < cases.size() ? ",\n" : "\n");
  }
  j << "  ],\n";
  if (mem.run)
    j << fmt::format(
        "  \"memory\": {{\"employees\": {}, \"policy\": {}, \"steps\": {}, \"base_rss_kb\": {}, \"rss_kb\": {}, \"hwm_kb\": {}, "
        "\"hwm_reset\": {}, \"rss_bytes_per_employee\": {:.1f}, \"peak_bytes_per_employee\": {:.1f}, "
        "\"model_bytes_per_employee\": {}}}\n",
        mem.employees, json_str(mem.policy), mem.steps, mem.base_rss_kb, mem.rss_kb, mem.hwm_kb, mem.hwm_reset ? "true" : "false",
        mem.rss_bytes_per_employee, mem.peak_bytes_per_employee, mem.model_bytes_per_employee);
  else
    j << "  \"memory\": null\n";
  j << "}\n";
  std::ofstream out(path);
  if (!out) throw kpisim::RunError(fmt::format("cannot write '{}'", path));
  out << j.str();
}

int run(const Options& opts) {
  Options o = opts;
  const auto t_start = Clock::now();
  kpisim::Scenario base = kpisim::load_scenario_file(o.scenario);
  if (base.policies.empty()) throw kpisim::InputError(fmt::format("{}: the scenario has no policies", o.scenario));
  if (!o.policies.empty()) {
    std::vector<kpisim::PolicySpec> keep;
    for (const auto& name : o.policies) {
      const auto it = std::find_if(base.policies.begin(), base.policies.end(), [&](const kpisim::PolicySpec& p) { return p.name == name; });
      if (it == base.policies.end()) {
        std::string names;
        for (const auto& p : base.policies) names += (names.empty() ? "" : ", ") + p.name;
        throw kpisim::InputError(fmt::format("--policies: no policy '{}' in {} (policies: {})", name, o.scenario, names));
      }
      keep.push_back(*it);
    }
    base.policies = keep;
  }
  const int all_threads = tbb::this_task_arena::max_concurrency();
  if (o.threads.empty()) {
    o.threads = {1};
    if (all_threads > 1) o.threads.push_back(all_threads);
  }
  std::sort(o.sizes.begin(), o.sizes.end());
  o.sizes.erase(std::unique(o.sizes.begin(), o.sizes.end()), o.sizes.end());

  load_at_start = loadavg();
  fmt::print(stderr, "kpisim_bench: {} ({} policies), sizes {}, threads {}, {} warm-up + {} timed days, {} build, load average {}\n",
             o.scenario, base.policies.size(), fmt::join(o.sizes, ","), fmt::join(o.threads, ","), o.warmup, o.days, kpisim::build_type(),
             load_at_start);

  // Memory first, while the process is fresh.
  MemoryResult mem;
  if (!o.no_memory) {
    const int n = o.memory_size > 0 ? o.memory_size : o.sizes.back();
    std::size_t p = 0;
    if (!o.memory_policy.empty()) {
      const auto it = std::find_if(base.policies.begin(), base.policies.end(),
                                   [&](const kpisim::PolicySpec& ps) { return ps.name == o.memory_policy; });
      if (it == base.policies.end()) throw kpisim::InputError(fmt::format("--memory-policy: no policy '{}'", o.memory_policy));
      p = static_cast<std::size_t>(it - base.policies.begin());
    }
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(all_threads));
    const auto t0 = Clock::now();
    mem = measure_memory(base, o, n, p);
    fmt::print(stderr, "  memory: {} employees, {:.0f} B/employee RSS growth, {:.0f} B/employee peak ({:.1f} s)\n", n,
               mem.rss_bytes_per_employee, mem.peak_bytes_per_employee, since(t0));
  }

  std::vector<CaseResult> cases;
  for (const int n : o.sizes) {
    const bool large = n >= o.large_size;
    const int days = large && o.large_days > 0 ? o.large_days : o.days;
    const kpisim::Scenario s = sized(base, n, o.warmup + days);
    auto t0 = Clock::now();
    const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, o.scenario);
    const double resolve_s = since(t0);
    std::size_t np = spec.scenario.policies.size();
    if (large && o.large_policies > 0) np = std::min<std::size_t>(np, static_cast<std::size_t>(o.large_policies));
    for (const int th : o.threads) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(th));
      CaseResult cr;
      cr.employees = n;
      cr.threads = th;
      cr.days = days;
      cr.resolve_s = resolve_s;
      for (std::size_t p = 0; p < np; ++p) {
        PolicyTiming best = time_policy(spec, p, o.warmup, days);
        for (int r = 1; r < o.repeat; ++r) {
          PolicyTiming t = time_policy(spec, p, o.warmup, days);
          if (t.rate > best.rate) best = t;
        }
        cr.per_policy.push_back(best);
        const auto& t = cr.per_policy.back();
        fmt::print(stderr, "  {:>8} employees, {} thread{}: {:<18} {:7.2f} M agent-days/s (construct {:.2f} s, timed {:.2f} s)\n", n, th,
                   th == 1 ? " " : "s", t.name, t.rate / 1e6, t.construct_s, t.timed_s);
      }
      double inv = 0;  // mean rate = total agent-days / total time (harmonic mean of the rates)
      for (const auto& t : cr.per_policy) inv += 1.0 / t.rate;
      cr.mean_rate = static_cast<double>(cr.per_policy.size()) / inv;
      const bool whole =
          !large || o.large_whole == "all" || (o.large_whole == "max" && th == *std::max_element(o.threads.begin(), o.threads.end()));
      if (!o.no_whole && whole) {
        cr.whole = time_whole(spec);
        fmt::print(stderr, "  {:>8} employees, {} thread{}: whole scenario     {:7.2f} M agent-days/s ({:.2f} s)\n", n, th,
                   th == 1 ? " " : "s", cr.whole.rate / 1e6, cr.whole.seconds);
      }
      cases.push_back(std::move(cr));
    }
  }

  const double total_s = since(t_start);
  print_report(o, base, all_threads, cases, mem, total_s);
  if (!o.json.empty()) {
    write_json(o.json, o, base, all_threads, cases, mem, total_s);
    fmt::print(stderr, "kpisim_bench: wrote {}\n", o.json);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"kpisim_bench: simulated agent-days per second and memory per employee"};
  app.add_option("scenario", o.scenario, "scenario file whose organisation and policies are benchmarked")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--sizes", o.sizes, "organisation sizes (employees), comma-separated")->delimiter(',')->capture_default_str();
  app.add_option("--threads", o.threads, "thread counts, comma-separated (default: 1 and all)")->delimiter(',');
  app.add_option("--days", o.days, "timed days per policy")->check(CLI::Range(1, 36500))->capture_default_str();
  app.add_option("--warmup", o.warmup, "untimed warm-up days per policy")->check(CLI::Range(0, 36500))->capture_default_str();
  app.add_option("--repeat", o.repeat, "time each policy N times and keep the fastest")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--policies", o.policies, "policies to time (names, comma-separated; default: all)")->delimiter(',');
  app.add_option("--large-size", o.large_size, "sizes from this many employees up are 'large'")->capture_default_str();
  app.add_option("--large-days", o.large_days, "timed days at large sizes (0: --days)")->check(CLI::Range(0, 36500))->capture_default_str();
  app.add_option("--large-policies", o.large_policies, "policies timed one by one at large sizes (0: all)")->capture_default_str();
  app.add_option("--large-whole", o.large_whole, "whole-scenario figure at large sizes: max (largest thread count only), all, none")
      ->check(CLI::IsMember({"max", "all", "none"}))
      ->capture_default_str();
  app.add_flag("--no-whole", o.no_whole, "skip the whole-scenario (run_policies) figure");
  app.add_flag("--no-memory", o.no_memory, "skip the memory measurement");
  app.add_option("--memory-size", o.memory_size, "employees for the memory measurement (default: the largest size)");
  app.add_option("--memory-days", o.memory_days, "days stepped after the warm-up before reading RSS")->capture_default_str();
  app.add_option("--memory-policy", o.memory_policy, "policy for the memory measurement (default: the first)");
  app.add_option("--json", o.json, "also write the results as JSON to FILE");
  CLI11_PARSE(app, argc, argv);
  for (const int n : o.sizes)
    if (n < 2) {
      fmt::print(stderr, "kpisim_bench: --sizes: {} is not a valid organisation size\n", n);
      return 2;
    }
  for (const int t : o.threads)
    if (t < 1) {
      fmt::print(stderr, "kpisim_bench: --threads: {} is not a valid thread count\n", t);
      return 2;
    }
  try {
    return run(o);
  } catch (const kpisim::InputError& e) {
    fmt::print(stderr, "kpisim_bench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "kpisim_bench: error: {}\n", e.what());
    return 1;
  }
}

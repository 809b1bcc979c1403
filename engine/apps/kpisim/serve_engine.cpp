// `kpisim serve`, the engine side (serve_engine.hpp): the CLI's loader and checks, runs in memory,
// a bounded least-recently-used cache of results keyed by the resolved scenario and replication.
#include "serve_engine.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <list>
#include <mutex>
#include <semaphore>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/core/memory.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/provenance.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/io/summary.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/regimes/regime.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn passes it on

namespace kpisim::app::serve {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

/// The name a scenario from the page has in messages (it has no file).
constexpr const char* kLabel = "scenario.yaml";
constexpr std::uint32_t kMaxReplication = 9999;

std::string fnv1a_hex(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

/// A number for the page: six significant digits (the series are drawn, not re-analysed: the
/// HDF5 export has every bit), NaN as null.
json num(double x) {
  if (!std::isfinite(x)) return nullptr;
  const std::string t = fmt::format("{:.6g}", x);
  double v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

Reply json_reply(const json& j, int status = 200) {
  Reply r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

json diagnostics_json(const DiagnosticsError& e) {
  json out = json::array();
  for (const auto& d : e.diagnostics())
    out.push_back({{"line", d.line}, {"column", d.column}, {"message", d.message}, {"severity", "error"}});
  return out;
}

/// A reply for an input error: 400 with the message and, when it has them, the diagnostics.
Reply input_error_reply(const InputError& e) {
  json j{{"error", trimmed(e.what())}};
  if (const auto* d = dynamic_cast<const DiagnosticsError*>(&e))
    j["diagnostics"] = diagnostics_json(*d);
  else
    j["diagnostics"] = json::array({{{"line", 0}, {"column", 0}, {"message", trimmed(e.what())}, {"severity", "error"}}});
  return json_reply(j, 400);
}

/// Parses the range text of a reference row, "[lo, hi]", into numbers (null when open or not numeric).
std::pair<json, json> range_of(const std::string& r) {
  if (r.size() < 5 || r.front() != '[' || r.back() != ']') return {nullptr, nullptr};
  const auto comma = r.find(", ");
  if (comma == std::string::npos) return {nullptr, nullptr};
  const auto parse = [](std::string_view t) -> json {
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return nullptr;
    return v;
  };
  return {parse(std::string_view(r).substr(1, comma - 1)), parse(std::string_view(r).substr(comma + 2, r.size() - comma - 3))};
}

json rows_json(const std::vector<params::DocRow>& rows) {
  json out = json::array();
  for (const auto& row : rows) {
    auto [lo, hi] = range_of(row.range);
    out.push_back({{"key", row.key},
                   {"type", row.type},
                   {"unit", row.unit},
                   {"range", row.range},
                   {"lo", lo},
                   {"hi", hi},
                   {"default", row.default_value},
                   {"doc", row.doc}});
  }
  return out;
}

/// Thrown from the progress callback of a run that a newer request of its session superseded.
struct Superseded {};

struct CachedRun {
  std::vector<RunResult> runs;
  ResultsMeta meta;
  std::string hash;
  double seconds = 0;
  std::size_t bytes = 0;
};

std::size_t bytes_of(const std::vector<RunResult>& runs) {
  std::size_t b = 0;
  for (const auto& r : runs)
    b += sizeof(RunResult) + r.series.size() * sizeof(double) + r.unit_series.size() * sizeof(double) + r.snapshots.size() * sizeof(float) +
         r.snapshot_agents.size() * sizeof(std::uint32_t) + r.snapshot_days.size() * sizeof(int);
  return b;
}

}  // namespace

Reply error_reply(int status, const std::string& message) {
  return json_reply(json{{"error", message}}, status);
}

struct Engine::State {
  State(const Limits& l, std::string w, std::string e) : limits(l), workdir(std::move(w)), examples_dir(std::move(e)), slots(l.max_runs) {}
  Limits limits;
  std::string workdir;
  std::string examples_dir;
  std::counting_semaphore<4096> slots;
  std::atomic<bool> stopping{false};

  std::mutex session_mutex;
  std::unordered_map<std::string, std::uint64_t> latest;  // session -> newest generation seen

  /// Records a request's generation; true when its session has already sent a newer one.
  bool superseded(const RunQuery& q, bool record) {
    if (q.session.empty()) return false;
    const std::lock_guard lock(session_mutex);
    if (record) {
      if (latest.size() > 4096 && latest.count(q.session) == 0) latest.clear();  // bounded; forgetting only delays a stop
      auto& g = latest[q.session];
      g = std::max(g, q.generation);
    }
    const auto it = latest.find(q.session);
    return it != latest.end() && it->second > q.generation;
  }

  std::mutex cache_mutex;
  std::list<std::pair<std::string, std::shared_ptr<const CachedRun>>> lru;  // most recent first
  std::unordered_map<std::string, decltype(lru)::iterator> index;
  std::size_t cache_bytes = 0;

  std::shared_ptr<const CachedRun> cached(const std::string& key) {
    const std::lock_guard lock(cache_mutex);
    const auto it = index.find(key);
    if (it == index.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second);
    return it->second->second;
  }
  void store(const std::string& key, const std::shared_ptr<const CachedRun>& r) {
    if (r->bytes > limits.cache_bytes) return;
    const std::lock_guard lock(cache_mutex);
    if (index.count(key) != 0) return;
    lru.emplace_front(key, r);
    index[key] = lru.begin();
    cache_bytes += r->bytes;
    while (cache_bytes > limits.cache_bytes && !lru.empty()) {
      cache_bytes -= lru.back().second->bytes;
      index.erase(lru.back().first);
      lru.pop_back();
    }
  }

  /// Loads, checks, runs or finds in the cache. Sets `reply` instead when the request is refused.
  std::shared_ptr<const CachedRun> obtain(const std::string& yaml, const RunQuery& q, Reply& reply, bool& was_cached) {
    Scenario s = load_scenario_text(yaml, kLabel);  // the CLI's loader: limits, names, ranges
    if (q.seed) s.seed = *q.seed;
    if (q.days) {
      if (*q.days < 1 || *q.days > 36500) throw InputError(fmt::format("days: expected a whole number in [1, 36500], got {}", *q.days));
      s.days = *q.days;
    }
    if (superseded(q, /*record=*/true)) throw Superseded{};
    if (q.replication > kMaxReplication)
      throw InputError(fmt::format("replication: expected a whole number in [0, {}], got {}", kMaxReplication, q.replication));
    const ModelSpec light = ModelSpec::resolve(s, kLabel, /*organisation=*/false);  // checks only, O(1) in employees
    // The size check comes from the counts, before the organisation is built (as `kpisim run`).
    const std::size_t est = estimate_memory_bytes(light.scenario, light.task_count(), light.scenario.policies.size());
    const std::size_t avail = available_memory_bytes();
    if (avail > 0 && est > avail / 10 * 8) {
      reply = error_reply(413, fmt::format("refusing to run: the scenario needs an estimated {:.1f} GiB ({} employees x {} policies, {} "
                                           "days) but only {:.1f} GiB is available; reduce organisation.employees, the number of "
                                           "policies or the horizon",
                                           static_cast<double>(est) / (1 << 30), s.organisation.employees, s.policies.size(), s.days,
                                           static_cast<double>(avail) / (1 << 30)));
      return nullptr;
    }
    const double agent_days = static_cast<double>(light.employees) * s.days * static_cast<double>(light.scenario.policies.size());
    if (agent_days > limits.max_agent_days) {
      reply = error_reply(413, fmt::format("refusing to run: {:.3g} agent-days ({} employees x {} days x {} policies) is more than this "
                                           "server runs per request ({:.3g}, `kpisim serve --max-agent-days`); run it with `kpisim "
                                           "run`, or reduce the organisation, the horizon or the policies",
                                           agent_days, light.employees, s.days, light.scenario.policies.size(), limits.max_agent_days));
      return nullptr;
    }
    const std::string resolved = to_yaml(light.scenario);
    const std::string key = fmt::format("{}\nreplication {}", resolved, q.replication);
    if (auto hit = cached(key)) {
      was_cached = true;
      return hit;
    }
    if (!slots.try_acquire()) {
      // A request that a newer one of its page has overtaken (which may hold the slot) is superseded, not busy:
      // the page must not retry it.
      if (superseded(q, /*record=*/false)) throw Superseded{};
      reply = error_reply(429, fmt::format("busy: {} run{} in progress (the limit of `kpisim serve --max-runs`); try again shortly",
                                           limits.max_runs, limits.max_runs == 1 ? " is" : "s are"));
      return nullptr;
    }
    struct Release {
      std::counting_semaphore<4096>& s;
      explicit Release(std::counting_semaphore<4096>& sem) : s(sem) {}
      Release(const Release&) = delete;
      Release& operator=(const Release&) = delete;
      Release(Release&&) = delete;
      Release& operator=(Release&&) = delete;
      ~Release() { s.release(); }
    } release{slots};
    const auto t0 = std::chrono::steady_clock::now();
    const ModelSpec spec = ModelSpec::resolve(s, kLabel);
    std::optional<tbb::global_control> limit;
    if (limits.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(limits.threads));
    const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
    auto out = std::make_shared<CachedRun>();
    out->runs = run_policies(spec, q.replication, [this, &q](long long, long long) {
      if (stopping.load()) throw RunError("the server is stopping");
      if (superseded(q, /*record=*/false)) throw Superseded{};
    });
    out->meta = run_meta(spec, kLabel, "kpisim serve", threads);
    out->hash = fnv1a_hex(resolved);
    out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out->bytes = bytes_of(out->runs) + resolved.size() + key.size();
    store(key, out);
    return out;
  }
};

Engine::Engine(const Limits& limits, std::string workdir, std::string examples_dir)
    : st_(std::make_unique<State>(limits, std::move(workdir), std::move(examples_dir))) {}
Engine::~Engine() = default;

void Engine::stop() noexcept {
  st_->stopping = true;
}

Reply Engine::info() const {
  json vars = json::array();
  for (const auto& v : daily_variables())
    vars.push_back({{"name", v.name}, {"long_name", v.long_name}, {"units", v.units}, {"per_unit", v.per_unit}});
  Scenario s;
  params::DocWriter d;
  s.visit(d);
  json regimes = json::array();
  for (const auto& r : regime_registry()) {
    params::DocWriter dw;
    r.make()->document(dw);
    regimes.push_back({{"name", r.name}, {"summary", r.summary}, {"params", rows_json(dw.rows())}});
  }
  return json_reply(json{{"engine_version", engine_version()},
                         {"git_commit", git_commit()},
                         {"limits",
                          {{"max_body_bytes", st_->limits.max_body_bytes},
                           {"max_runs", st_->limits.max_runs},
                           {"max_agent_days", st_->limits.max_agent_days},
                           {"cache_bytes", st_->limits.cache_bytes}}},
                         {"variables", vars},
                         {"reference", rows_json(d.rows())},
                         {"regimes", regimes}});
}

namespace {
/// The example scenarios: *.yaml under the examples directory (experiment files left out), as
/// paths relative to it. Only names from this list are ever opened.
std::vector<std::string> list_examples(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return out;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it.depth() > 2) it.disable_recursion_pending();
    if (!it->is_regular_file(ec) || it->path().extension() != ".yaml") continue;
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec || rel.rfind("experiments/", 0) == 0) continue;
    if (is_experiment_file(it->path().string())) continue;
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

Reply Engine::examples() const {
  return json_reply(json{{"examples", list_examples(st_->examples_dir)}});
}

Reply Engine::example(const std::string& name) const {
  const auto names = list_examples(st_->examples_dir);
  if (std::find(names.begin(), names.end(), name) == names.end())
    return error_reply(404, fmt::format("no example scenario '{}'", printable(name)));
  std::ifstream in(fs::path(st_->examples_dir) / name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Reply r;
  r.content_type = "text/yaml; charset=utf-8";
  r.body = text.str();
  return r;
}

Reply Engine::validate(const std::string& yaml) const {
  try {
    const Scenario s = load_scenario_text(yaml, kLabel);
    const ModelSpec spec = ModelSpec::resolve(s, kLabel, /*organisation=*/false);
    const OrganisationCounts org = count_organisation(s);
    const std::size_t est = estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size());
    json diags = json::array();
    const std::size_t avail = available_memory_bytes();
    if (avail > 0 && est > avail / 10 * 8)
      diags.push_back({{"line", 0},
                       {"column", 0},
                       {"severity", "warning"},
                       {"message", fmt::format("valid, but too large for this machine: it needs an estimated {:.1f} MiB and only {:.1f} "
                                               "MiB is available; a run would be refused",
                                               static_cast<double>(est) / (1 << 20), static_cast<double>(avail) / (1 << 20))}});
    const double agent_days = static_cast<double>(spec.employees) * s.days * static_cast<double>(spec.scenario.policies.size());
    if (agent_days > st_->limits.max_agent_days)
      diags.push_back({{"line", 0},
                       {"column", 0},
                       {"severity", "warning"},
                       {"message", fmt::format("valid, but {:.3g} agent-days is more than this server runs per request ({:.3g}); "
                                               "`kpisim run` runs it",
                                               agent_days, st_->limits.max_agent_days)}});
    json policies = json::array();
    for (const auto& p : spec.scenario.policies) policies.push_back({{"name", p.name}, {"type", p.type}});
    json divisions = json::array();
    for (const auto& dv : spec.divisions) divisions.push_back(dv.name);
    return json_reply(json{{"ok", true},
                           {"diagnostics", diags},
                           {"scenario",
                            {{"name", s.name},
                             {"employees", spec.employees},
                             {"days", s.days},
                             {"seed", std::to_string(s.seed)},
                             {"units", org.units},
                             {"teams", org.teams},
                             {"policies", policies},
                             {"divisions", divisions},
                             {"memory_bytes", est},
                             {"agent_days", agent_days}}},
                           {"resolved", to_yaml(spec.scenario)}});
  } catch (const DiagnosticsError& e) {
    return json_reply(json{{"ok", false}, {"diagnostics", diagnostics_json(e)}});
  } catch (const InputError& e) {
    return json_reply(
        json{{"ok", false},
             {"diagnostics", json::array({{{"line", 0}, {"column", 0}, {"message", trimmed(e.what())}, {"severity", "error"}}})}});
  }
}

Reply Engine::run(const std::string& yaml, const RunQuery& q) {
  std::vector<std::size_t> vars;
  for (const auto& name : q.variables) {
    try {
      vars.push_back(daily_index(name));
    } catch (const std::out_of_range&) {
      return error_reply(400, fmt::format("vars: '{}' is not a daily variable (docs/output-schema.md)", printable(name)));
    }
  }
  try {
    Reply refused;
    bool was_cached = false;
    const auto r = st_->obtain(yaml, q, refused, was_cached);
    if (!r) return refused;
    const auto& all = daily_variables();
    // Index of each per-unit variable among the per-unit ones (RunResult::unit_series order).
    std::vector<std::ptrdiff_t> unit_index(all.size(), -1);
    for (std::size_t v = 0, k = 0; v < all.size(); ++v)
      if (all[v].per_unit) unit_index[v] = static_cast<std::ptrdiff_t>(k++);
    const std::size_t units = r->meta.unit_names.size();
    const auto days = static_cast<std::size_t>(r->meta.days);
    json policies = json::array();
    for (const auto& run : r->runs) policies.push_back({{"name", run.policy}, {"type", run.policy_type}});
    json variables = json::object();
    json series = json::object();
    json unit_series = json::object();
    for (const std::size_t v : vars) {
      const std::string name(all[v].name);
      variables[name] = {{"long_name", all[v].long_name}, {"units", all[v].units}, {"per_unit", all[v].per_unit}};
      json per_policy = json::array();
      json per_policy_units = json::array();
      for (const auto& run : r->runs) {
        json xs = json::array();
        for (std::size_t d = 0; d < days; ++d) xs.push_back(num(run.series[v * days + d]));
        per_policy.push_back(std::move(xs));
        if (unit_index[v] >= 0 && units > 0) {
          json per_unit = json::array();
          for (std::size_t u = 0; u < units; ++u) {
            json ys = json::array();
            const std::size_t base = (static_cast<std::size_t>(unit_index[v]) * units + u) * days;
            for (std::size_t d = 0; d < days; ++d) ys.push_back(num(run.unit_series[base + d]));
            per_unit.push_back(std::move(ys));
          }
          per_policy_units.push_back(std::move(per_unit));
        }
      }
      series[name] = std::move(per_policy);
      if (!per_policy_units.empty()) unit_series[name] = std::move(per_policy_units);
    }
    return json_reply(json{{"hash", r->hash},
                           {"seed", std::to_string(r->meta.seed)},
                           {"replication", q.replication},
                           {"cached", was_cached},
                           {"seconds", r->seconds},
                           {"days", r->meta.days},
                           {"policies", policies},
                           {"units", r->meta.unit_names},
                           {"variables", variables},
                           {"series", series},
                           {"unit_series", unit_series},
                           {"summary_text", summary_table(r->runs)}});
  } catch (const Superseded&) {
    return error_reply(409, "superseded: a newer request of the same page arrived");
  } catch (const InputError& e) {
    return input_error_reply(e);
  } catch (const RunError& e) {
    return error_reply(500, e.what());
  }
}

Reply Engine::export_h5(const std::string& yaml, const RunQuery& q) {
  try {
    Reply refused;
    bool was_cached = false;
    const auto r = st_->obtain(yaml, q, refused, was_cached);
    if (!r) return refused;
    Reply out;
    out.content_type = "application/x-hdf5";
    out.body = write_hdf5_image(kLabel, r->meta, r->runs);
    out.filename = (name_problem(r->meta.scenario_name).empty() ? r->meta.scenario_name : std::string("scenario")) + ".h5";
    return out;
  } catch (const Superseded&) {
    return error_reply(409, "superseded: a newer request of the same page arrived");
  } catch (const InputError& e) {
    return input_error_reply(e);
  } catch (const RunError& e) {
    return error_reply(500, e.what());
  }
}

Reply Engine::export_report(const std::string& yaml, const RunQuery& q, const std::string& self) {
  Reply h5 = export_h5(yaml, q);
  if (h5.status != 200) return h5;
  // The report is written by `kpisim report` (the Python analysis package) into a fresh directory
  // under the working directory's .kpisim-serve/, read back and removed: nothing is written
  // anywhere else, and no name comes from the request.
  const fs::path base = fs::path(st_->workdir) / ".kpisim-serve";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return error_reply(500, fmt::format("cannot create '{}': {}", base.string(), ec.message()));
  std::string tmpl = (base / "report-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return error_reply(500, fmt::format("cannot create a directory in '{}': {}", base.string(), std::strerror(errno)));
  const fs::path dir(tmpl);
  struct Cleanup {
    fs::path p;
    explicit Cleanup(fs::path path) : p(std::move(path)) {}
    Cleanup(const Cleanup&) = delete;
    Cleanup& operator=(const Cleanup&) = delete;
    Cleanup(Cleanup&&) = delete;
    Cleanup& operator=(Cleanup&&) = delete;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } cleanup{dir};
  const fs::path file = dir / "results.h5";
  {
    std::ofstream out(file, std::ios::binary);
    out.write(h5.body.data(), static_cast<std::streamsize>(h5.body.size()));
    if (!out) return error_reply(500, fmt::format("cannot write '{}'", file.string()));
  }
  std::vector<std::string> args{self, "report", file.string(), "-o", (dir / "report").string(), "-q", "--force"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = ::posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv.data(), environ); rc != 0)
    return error_reply(500, fmt::format("cannot start `kpisim report`: {}", std::strerror(rc)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return error_reply(500, "waiting for `kpisim report` failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return error_reply(500, fmt::format("`kpisim report` failed (exit status {}); its messages are in the server's log",
                                        WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  std::ifstream in(dir / "report" / "report.html", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  Reply out;
  out.content_type = "text/html; charset=utf-8";
  out.body = text.str();
  out.filename = h5.filename.substr(0, h5.filename.size() - 3) + "_report.html";
  return out;
}

}  // namespace kpisim::app::serve

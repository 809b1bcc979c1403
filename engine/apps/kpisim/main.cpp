// kpisim: the command-line program. Argument parsing, progress, exit codes; nothing else.
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/summary.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"

namespace {

// Exit codes (documented in README.md and `kpisim --help`).
constexpr int kExitOk = 0;
constexpr int kExitRunError = 1;
constexpr int kExitInputError = 2;
constexpr int kExitOutputExists = 3;
constexpr int kExitTooLarge = 4;

std::size_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}
  void update(long long done, long long total) {
    if (!enabled_ || total <= 0) return;
    const double elapsed = seconds();
    if (elapsed < 1.5 && done < total) return;  // short runs print nothing
    const double frac = static_cast<double>(done) / static_cast<double>(total);
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
    std::fprintf(stderr, "\r[%-*s] %5.1f%%  %lld/%lld policy-days  %.0fs elapsed, ~%.0fs left ", width,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(), 100 * frac, done, total, elapsed, eta);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(stderr, "\n");
  }
  [[nodiscard]] double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_;
};

struct RunArgs {
  std::string scenario;
  std::string output;
  std::optional<std::string> seed;
  int threads = 0;
  std::optional<int> days;
  bool force = false;
  bool quiet = false;
  bool no_progress = false;
};

int cmd_validate(const std::string& file) {
  const kpisim::Scenario s = kpisim::load_scenario_file(file);
  const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, file);
  const std::size_t est = kpisim::estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size());
  fmt::print("{}: OK: '{}', {} employees in {} units ({} teams), {} task types, {} policies, {} days; estimated memory {:.1f} MiB\n", file,
             s.name, spec.employees, spec.units.size(), spec.team_units.size(), spec.task_count(), s.policies.size(), s.days,
             static_cast<double>(est) / (1024.0 * 1024.0));
  return kExitOk;
}

int cmd_run(const RunArgs& a, const std::string& command_line) {
  kpisim::Scenario s = kpisim::load_scenario_file(a.scenario);
  if (a.seed) {
    const std::string& t = *a.seed;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size())
      throw kpisim::InputError(fmt::format("--seed: expected a whole number in [0, 18446744073709551615], got '{}'", t));
    s.seed = v;
  }
  if (a.days) s.days = *a.days;
  const std::string out = a.output.empty() ? std::filesystem::path(a.scenario).stem().string() + ".h5" : a.output;
  if (!a.force && std::filesystem::symlink_status(out).type() != std::filesystem::file_type::not_found) {
    fmt::print(stderr, "kpisim: refusing to overwrite existing file '{}'; pass --force to replace it, or -o to choose another name\n", out);
    return kExitOutputExists;
  }
  const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, a.scenario);
  const std::size_t est = kpisim::estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size());
  const std::size_t avail = available_memory_bytes();
  if (avail > 0 && est > avail / 10 * 8) {
    fmt::print(stderr,
               "kpisim: refusing to run: the scenario needs an estimated {:.1f} GiB ({} employees x {} policies, {} days) but only "
               "{:.1f} GiB is available; reduce organisation.employees, the number of policies or the horizon\n",
               static_cast<double>(est) / (1 << 30), spec.employees, s.policies.size(), s.days, static_cast<double>(avail) / (1 << 30));
    return kExitTooLarge;
  }
  std::optional<tbb::global_control> limit;
  if (a.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(a.threads));
  const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));

  if (!a.quiet)
    fmt::print("kpisim {}: '{}' - {} employees, {} policies, {} days, seed {}, {} threads\n", kpisim::engine_version(), s.name,
               spec.employees, s.policies.size(), s.days, s.seed, threads);
  ProgressBar bar(!a.quiet && !a.no_progress);
  auto runs = kpisim::run_policies(spec, 0, [&](long long d, long long t) { bar.update(d, t); });
  bar.finish();
  const double secs = bar.seconds();

  kpisim::ResultsMeta meta;
  meta.engine_version = std::string(kpisim::engine_version());
  meta.git_commit = std::string(kpisim::git_commit());
  meta.build_type = std::string(kpisim::build_type());
  meta.simd = std::string(kpisim::simd_level());
  meta.scenario_name = s.name;
  meta.scenario_file = a.scenario;
  meta.scenario_yaml = kpisim::to_yaml(spec.scenario);
  meta.seed = s.seed;
  meta.command_line = command_line;
  meta.created_utc = utc_now();
  meta.threads = threads;
  meta.invariant_checks = kpisim::checks_enabled();
  meta.days = s.days;
  if (s.output.per_unit)
    for (const auto& d : spec.divisions) meta.unit_names.push_back(d.name);
  kpisim::write_hdf5(out, meta, runs, a.force);

  if (!a.quiet) {
    fmt::print("\n{}\n", kpisim::summary_table(runs));
    const double agent_days = static_cast<double>(spec.employees) * s.days * static_cast<double>(s.policies.size());
    fmt::print("simulated {:.3g} agent-days in {:.2f} s ({:.3g} agent-days/s); wrote {}\n", agent_days, secs,
               agent_days / std::max(secs, 1e-9), out);
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "KPISim: test a KPI policy for AI adoption on a simulated organisation before rolling it out.\n"
      "Simulates employees, managers and AI tools under KPI regimes and writes productivity, burnout\n"
      "and token-waste trajectories to HDF5."};
  app.footer(
      "Examples:\n"
      "  kpisim run scenarios/compare_regimes.yaml -o compare.h5     compare the policies of a scenario\n"
      "  kpisim run scenarios/compare_regimes.yaml --days 90 --seed 7 --threads 2 -o short.h5\n"
      "  kpisim validate my_org.yaml                                 check a scenario without running it\n"
      "  kpisim reference > docs/scenario-reference.md               every scenario key with its default\n"
      "\n"
      "Exit codes: 0 success; 1 run or output error; 2 invalid scenario or arguments;\n"
      "            3 output file exists (use --force); 4 scenario too large for this machine's memory.\n"
      "Read results in Python: xarray.open_dataset(FILE, engine=\"h5netcdf\"); see docs/output-schema.md.");
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("kpisim {} (commit {}, {} build, {})", kpisim::engine_version(), kpisim::git_commit(),
                                                kpisim::build_type(), kpisim::simd_level()));

  RunArgs ra;
  auto* run = app.add_subcommand("run", "run every policy of a scenario and write an HDF5 results file");
  run->add_option("SCENARIO", ra.scenario, "scenario file (YAML)")->required()->check(CLI::ExistingFile);
  run->add_option("-o,--output", ra.output, "results file (default: the scenario's name with .h5, in the current directory)");
  run->add_option("--seed", ra.seed, "override the scenario's seed (a whole number in [0, 2^64-1])");
  run->add_option("--threads", ra.threads, "worker threads (default: all cores); results do not depend on it")->check(CLI::Range(1, 4096));
  run->add_option("--days", ra.days, "override the horizon in days")->check(CLI::Range(1, 36500));
  run->add_flag("--force", ra.force, "replace an existing results file");
  run->add_flag("-q,--quiet", ra.quiet, "print nothing but errors");
  run->add_flag("--no-progress", ra.no_progress, "no progress bar");

  std::string vfile;
  auto* validate = app.add_subcommand("validate", "check a scenario file and print what it describes");
  validate->add_option("SCENARIO", vfile, "scenario file (YAML)")->required()->check(CLI::ExistingFile);

  auto* reference = app.add_subcommand("reference", "print the scenario reference (Markdown) generated from the parameter declarations");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitInputError;
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  try {
    if (*run) return cmd_run(ra, command_line);
    if (*validate) return cmd_validate(vfile);
    if (*reference) {
      std::cout << kpisim::scenario_reference_markdown();
      return kExitOk;
    }
  } catch (const kpisim::InputError& e) {
    std::cerr << e.what();
    if (std::string_view(e.what()).empty() || std::string_view(e.what()).back() != '\n') std::cerr << "\n";
    return kExitInputError;
  } catch (const kpisim::OutputExistsError& e) {
    std::cerr << "kpisim: " << e.what() << "\n";
    return kExitOutputExists;
  } catch (const kpisim::RunError& e) {
    std::cerr << "kpisim: " << e.what() << "\n";
    return kExitRunError;
  } catch (const std::exception& e) {
    std::cerr << "kpisim: internal error: " << e.what() << "\n";
    return kExitRunError;
  }
  return kExitOk;
}

// kpisim: the command-line program. Argument parsing, progress, exit codes; nothing else.
#include <sys/wait.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/core/memory.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/calibrate.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/experiment/optimise.hpp"
#include "kpisim/experiment/robust.hpp"
#include "kpisim/experiment/sweep.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/provenance.hpp"
#include "kpisim/io/summary.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "mpi.hpp"
#include "report.hpp"
#ifdef KPISIM_HAVE_SERVE
#include "serve.hpp"
#endif

namespace {

// Exit codes (documented in README.md and `kpisim --help`).
constexpr int kExitOk = 0;
constexpr int kExitRunError = 1;
constexpr int kExitInputError = 2;
constexpr int kExitOutputExists = 3;
constexpr int kExitTooLarge = 4;
constexpr int kExitRunsFailed = 5;

/// Runs `f` (which reads the results file `file`) in a child process and returns its exit code.
/// A damaged or crafted file can crash the HDF5 library itself, which no check before the read can
/// rule out; in the child that crash becomes a clear message and exit code 2 instead of a
/// segfault. Exceptions thrown by `f` are reported as main() reports them.
int isolated(const std::string& file, const std::function<int()>& f) {
  const auto run = [&]() -> int {
    try {
      return f();
    } catch (const kpisim::ResultsFileError& e) {
      std::cerr << "kpisim: " << e.what() << "\n";
      return kExitInputError;
    } catch (const kpisim::InputError& e) {
      std::cerr << e.what();
      if (std::string_view(e.what()).empty() || std::string_view(e.what()).back() != '\n') std::cerr << "\n";
      return kExitInputError;
    } catch (const kpisim::RunError& e) {
      std::cerr << "kpisim: " << e.what() << "\n";
      return kExitRunError;
    } catch (const std::exception& e) {
      std::cerr << "kpisim: internal error: " << e.what() << "\n";
      return kExitRunError;
    }
  };
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return run();  // no child possible: read here
  if (pid == 0) {
    const int rc = run();
    std::cout.flush();
    std::fflush(nullptr);
    ::_exit(rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      fmt::print(stderr, "kpisim: waiting for the reader of '{}' failed: {}\n", file, std::strerror(errno));
      return kExitRunError;
    }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  fmt::print(stderr,
             "kpisim: cannot read results file '{}': the HDF5 library crashed reading it (signal {}, {}): the file is damaged or "
             "crafted\n",
             file, sig, sig != 0 ? strsignal(sig) : "unknown");
  return kExitInputError;
}

/// Files written before the strings had checksums are read, with this warning.
void warn_unchecksummed_strings(const std::string& file, const kpisim::ResultsIndex& idx) {
  if (!idx.strings_checksummed)
    fmt::print(stderr,
               "kpisim: warning: '{}' has no checksums of its strings (written by an older KPISim): its scenario, experiment and "
               "labels are read unverified\n",
               file);
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled, std::string unit = "policy-days")
      : enabled_(enabled && isatty(STDERR_FILENO) != 0), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()) {}
  void update(long long done, long long total) {
    if (!enabled_ || total <= 0) return;
    const double elapsed = seconds();
    if (elapsed < 1.5 && done < total) return;  // short runs print nothing
    const double frac = static_cast<double>(done) / static_cast<double>(total);
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
    std::fprintf(stderr, "\r[%-*s] %5.1f%%  %lld/%lld %s  %.0fs elapsed, ~%.0fs left ", width,
                 std::string(static_cast<std::size_t>(filled), '#').c_str(), 100 * frac, done, total, unit_.c_str(), elapsed, eta);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(stderr, "\n");
  }
  [[nodiscard]] double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  bool enabled_;
  std::string unit_;
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

std::string mib(std::size_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f} GiB", b / (1024.0 * 1024 * 1024));
  return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
}

std::string plural(std::size_t n, const char* one, const char* many = nullptr) {
  return fmt::format("{} {}", n, n == 1 ? std::string(one) : (many != nullptr ? std::string(many) : std::string(one) + "s"));
}

/// FNV-1a hash of this program's executable: --resume accepts only parts written by the same binary.
std::string executable_hash() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  std::uint64_t h = 14695981039346656037ULL;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ULL;
    }
    if (!in) break;
  }
  return fmt::format("{:016x}", h);
}

std::string duration(double s) {
  if (s < 1) return "under a second";
  if (s < 90) return fmt::format("about {:.0f} s", s);
  if (s < 5400) return fmt::format("about {:.0f} min", s / 60);
  return fmt::format("about {:.1f} h", s / 3600);
}

// A warning (validate) when the estimate exceeds what `run` or `sweep` would accept here.
void warn_if_too_large(const std::string& file, std::size_t est, const char* command) {
  const std::size_t avail = kpisim::available_memory_bytes();
  if (avail > 0 && est > avail / 10 * 8)
    fmt::print(stderr,
               "{}: warning: valid, but too large for this machine: it needs an estimated {} and only {} is available; `kpisim {}` "
               "would refuse it (exit 4)\n",
               kpisim::printable(file, 300), mib(est), mib(avail), command);
}

int cmd_validate_experiment(const std::string& file) {
  const kpisim::Sweep sw = kpisim::Sweep::load(file);
  sw.check_points();  // the same checks as `sweep` and `sweep --dry-run`
  fmt::print("{}: OK: experiment '{}': {} point{} x {} polic{} x {} replication{} = {} runs of '{}' ({} employees, {} days)\n", file,
             sw.experiment.name, sw.points.size(), sw.points.size() == 1 ? "" : "s", sw.policies.size(),
             sw.policies.size() == 1 ? "y" : "ies", sw.experiment.replications, sw.experiment.replications == 1 ? "" : "s", sw.runs(),
             kpisim::printable(sw.base.name), sw.base.organisation.employees, sw.base.days);
  fmt::print("{}", sw.describe_targets());  // what groups and list items resolve to
  fmt::print("{}", kpisim::describe_robust(sw));
  // Memory only (a limit of 1 byte skips the timing probe, which would build a run).
  const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  warn_if_too_large(file, kpisim::estimate_sweep(sw, threads, 1).memory_bytes, "sweep");
  return kExitOk;
}

int cmd_validate_optimisation(const std::string& file);
int cmd_validate_calibration(const std::string& file);

int cmd_validate(const std::string& file) {
  if (kpisim::is_experiment_file(file) && kpisim::has_optimise_section(file)) return cmd_validate_optimisation(file);
  if (kpisim::is_experiment_file(file) && kpisim::has_calibrate_section(file)) return cmd_validate_calibration(file);
  if (kpisim::is_experiment_file(file)) return cmd_validate_experiment(file);
  const kpisim::Scenario s = kpisim::load_scenario_file(file);
  // Checks only: the organisation is counted, not built (it may not fit in memory).
  const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, file, /*organisation=*/false);
  const kpisim::OrganisationCounts org = kpisim::count_organisation(s);
  const std::size_t est = kpisim::estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size());
  fmt::print("{}: OK: '{}', {} employees in {} units ({} teams), {} task types, {}, {} days; estimated memory {:.1f} MiB\n", file,
             kpisim::printable(s.name), spec.employees, org.units, org.teams, spec.task_count(),
             plural(s.policies.size(), "policy", "policies"), s.days, static_cast<double>(est) / (1024.0 * 1024.0));
  warn_if_too_large(file, est, "run");
  return kExitOk;
}

int cmd_run(const RunArgs& a, const std::string& command_line) {
  kpisim::Scenario s = kpisim::load_scenario_file(a.scenario);
  if (a.seed) {
    const std::string& t = *a.seed;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size())
      throw kpisim::InputError(fmt::format("--seed: expected a whole number in [0, 18446744073709551615], got '{}'", kpisim::printable(t)));
    s.seed = v;
  }
  if (a.days) s.days = *a.days;
  const std::string out = a.output.empty() ? std::filesystem::path(a.scenario).stem().string() + ".h5" : a.output;
  if (!a.force && std::filesystem::symlink_status(out).type() != std::filesystem::file_type::not_found) {
    fmt::print(stderr, "kpisim: refusing to overwrite existing file '{}'; pass --force to replace it, or -o to choose another name\n", out);
    return kExitOutputExists;
  }
  // The size check comes from the counts, before the organisation is built.
  const std::size_t est = kpisim::estimate_memory_bytes(s, s.tasks.size(), s.policies.size());
  const std::size_t avail = kpisim::available_memory_bytes();
  if (avail > 0 && est > avail / 10 * 8) {
    static_cast<void>(kpisim::ModelSpec::resolve(s, a.scenario, /*organisation=*/false));  // invalid input is still exit 2
    fmt::print(stderr,
               "kpisim: refusing to run: the scenario needs an estimated {:.1f} GiB ({} employees x {} policies, {} days) but only "
               "{:.1f} GiB is available; reduce organisation.employees, the number of policies or the horizon\n",
               static_cast<double>(est) / (1 << 30), s.organisation.employees, s.policies.size(), s.days,
               static_cast<double>(avail) / (1 << 30));
    return kExitTooLarge;
  }
  const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, a.scenario);
  {
    // The output's directory must exist before the run, not after it (created like the results/ of scripts/run.sh).
    const std::filesystem::path parent = std::filesystem::path(out).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) throw kpisim::RunError(fmt::format("cannot create the directory '{}' for the results file: {}", parent.string(), ec.message()));
  }
  std::optional<tbb::global_control> limit;
  if (a.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(a.threads));
  const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));

  if (!a.quiet)
    fmt::print("kpisim {}: '{}' - {} employees, {}, {} days, seed {}, {}\n", kpisim::engine_version(), kpisim::printable(s.name),
               spec.employees, plural(s.policies.size(), "policy", "policies"), s.days, s.seed,
               plural(static_cast<std::size_t>(threads), "thread"));
  ProgressBar bar(!a.quiet && !a.no_progress);
  auto runs = kpisim::run_policies(spec, 0, [&](long long d, long long t) { bar.update(d, t); });
  bar.finish();
  const double secs = bar.seconds();

  kpisim::write_hdf5(out, kpisim::run_meta(spec, a.scenario, command_line, threads), runs, a.force);

  if (!a.quiet) {
    fmt::print("\n{}\n", kpisim::summary_table(runs));
    const double agent_days = static_cast<double>(spec.employees) * s.days * static_cast<double>(s.policies.size());
    fmt::print("simulated {:.3g} agent-days in {:.2f} s ({:.3g} agent-days/s); wrote {}\n", agent_days, secs,
               agent_days / std::max(secs, 1e-9), out);
  }
  return kExitOk;
}

struct SweepArgs {
  std::string experiment;
  std::string output;
  int threads = 0;
  bool force = false;
  bool resume = false;
  bool keep_parts = false;
  bool dry_run = false;
  bool quiet = false;
  bool no_progress = false;
};

/// The robust comparison of an experiment with a `robust:` section, recomputed from the file's
/// window means (read_window_means checks everything it reads), as the sweep computed and stored it.
void print_robust(const kpisim::Sweep& sw, const std::string& file) {
  if (!sw.experiment.robust.present()) return;
  fmt::print("{}", kpisim::format_robust(sw, kpisim::analyse_robust(sw, [&](const std::string& name) {
                                           return kpisim::read_window_means(file, name, sw.experiment.analysis.first_day, sw.last_day());
                                         })));
}

int cmd_sweep(const SweepArgs& a_in, const std::string& command_line, const kpisim::app::Mpi& mpi) {
  SweepArgs a = a_in;
  if (mpi.rank() != 0) a.quiet = true;  // one voice: process 0 prints, estimates and merges
  if (kpisim::has_optimise_section(a.experiment))
    throw kpisim::InputError(
        fmt::format("{}: error: this experiment has an `optimise:` section: run it with `kpisim optimise {}`", a.experiment, a.experiment));
  if (kpisim::has_calibrate_section(a.experiment))
    throw kpisim::InputError(fmt::format("{}: error: this experiment has a `calibrate:` section: run it with `kpisim calibrate {}`",
                                         a.experiment, a.experiment));
  const kpisim::Sweep sw = kpisim::Sweep::load(a.experiment);
  sw.check_points();  // every point's scenario, as `validate` checks it
  const std::string out = a.output.empty() ? sw.experiment.name + ".h5" : a.output;
  std::optional<tbb::global_control> limit;
  if (a.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(a.threads));
  const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));

  // Pre-flight: process 0 decides for every process (files and free memory may look different
  // elsewhere, and a process that stops alone would leave the others waiting).
  int verdict = kExitOk;
  if (mpi.rank() == 0) {
    // With --resume and the part directory still there, the sweep may have been killed after its
    // merged file was linked into place: run_sweep finishes it if the file is that merge, and
    // refuses (exit code 3) otherwise.
    const bool maybe_merged = a.resume && mpi.size() == 1 &&
                              std::filesystem::symlink_status(kpisim::parts_directory(out)).type() == std::filesystem::file_type::directory;
    if (!a.force && !a.dry_run && !maybe_merged && std::filesystem::symlink_status(out).type() != std::filesystem::file_type::not_found) {
      fmt::print(stderr, "kpisim: refusing to overwrite existing file '{}'; pass --force to replace it, or -o to choose another name\n",
                 out);
      if (a.resume && std::filesystem::symlink_status(kpisim::parts_directory(out)).type() == std::filesystem::file_type::directory)
        fmt::print(stderr,
                   "kpisim: '{}' is kept too: add --force to run what is missing or failed and merge again (a sweep killed after "
                   "linking '{}' into place left it complete)\n",
                   kpisim::parts_directory(out), out);
      verdict = kExitOutputExists;
    } else {
      const std::size_t avail = kpisim::available_memory_bytes();
      const kpisim::SweepEstimate est = kpisim::estimate_sweep(sw, threads, avail / 10 * 8);
      if (!a.quiet || a.dry_run)
        fmt::print(
            "kpisim {}: experiment '{}' - {} ({} x {} x {}), {} employees, {} days, {}{}\n"
            "estimate: {:.3g} agent-days, {}, peak memory about {}{}, results file at most {} (before compression)\n",
            kpisim::engine_version(), kpisim::printable(sw.experiment.name), plural(est.runs, "run"), plural(sw.points.size(), "point"),
            plural(sw.policies.size(), "policy", "policies"), plural(static_cast<std::size_t>(sw.experiment.replications), "replication"),
            sw.base.organisation.employees, sw.days(), plural(static_cast<std::size_t>(threads), "thread"),
            mpi.size() > 1 ? fmt::format(" in each of {} processes", mpi.size()) : "", static_cast<double>(est.agent_days),
            std::isnan(est.seconds) ? std::string("time not estimated") : duration(est.seconds / mpi.size()), mib(est.memory_bytes),
            mpi.size() > 1 ? " per process" : "", mib(est.output_bytes));
      if (avail > 0 && est.memory_bytes > avail / 10 * 8) {
        fmt::print(stderr,
                   "kpisim: refusing to run: the sweep needs an estimated {} at {} threads but only {} is available; use fewer --threads "
                   "or a smaller organisation\n",
                   mib(est.memory_bytes), threads, mib(avail));
        verdict = kExitTooLarge;
      } else if (a.dry_run) {
        verdict = -1;  // stop, successfully
      }
    }
  }
  if (mpi.distributed()) verdict = std::stoi(mpi.agree(std::to_string(verdict)));
  if (verdict == -1) return kExitOk;
  if (verdict != kExitOk) return verdict;

  kpisim::SweepOptions o;
  o.output = out;
  o.overwrite = a.force;
  o.resume = a.resume;
  o.keep_parts = a.keep_parts;
  o.build_id = executable_hash();
  o.meta = kpisim::build_meta(command_line, threads);
  o.meta.extra_attrs.emplace_back("processes", std::to_string(mpi.size()));
  o.meta.scenario_name = sw.base.name;
  o.meta.scenario_file = sw.experiment.base.empty() ? a.experiment : sw.experiment.base;
  o.meta.scenario_yaml = kpisim::to_yaml(sw.base);
  o.meta.seed = sw.base.seed;
  o.process = mpi.rank();
  o.processes = mpi.size();
  if (mpi.distributed()) {
    o.agree = [&](const std::string& text) { return mpi.agree(text); };
    o.barrier = [&] { mpi.barrier(); };
  }
  ProgressBar bar(!a.quiet && !a.no_progress, "run-days");
  o.progress = [&](long long d, long long t) { bar.update(d, t); };
  o.notice = [](const std::string& text) { fmt::print(stderr, "kpisim: {}\n", text); };  // also with -q: a repaired part is news
  const kpisim::SweepReport rep = kpisim::run_sweep(sw, o);
  bar.finish();
  if (mpi.rank() != 0) return kExitOk;
  if (!a.quiet) {
    fmt::print("{}{}", kpisim::format_analysis(sw, rep.analysis), kpisim::format_money_and_divisions(sw, [&](const std::string& name) {
                 return kpisim::read_window_means(out, name, sw.experiment.analysis.first_day, sw.last_day());
               }));
    print_robust(sw, out);
    fmt::print("\n{}: {} run now, {} from an earlier invocation, {} failed; {:.1f} s; wrote {}\n", plural(rep.runs, "run"), rep.ran,
               rep.resumed, rep.failures.size(), bar.seconds(), out);
  }
  if (!rep.failures.empty()) {
    fmt::print(stderr, "kpisim: {} of {} runs failed (their data are NaN; see the status and error variables):\n", rep.failures.size(),
               rep.runs);
    for (std::size_t i = 0; i < rep.failures.size() && i < 10; ++i)
      fmt::print(stderr, "  run {}: {}\n", rep.failures[i].first, rep.failures[i].second);
    if (rep.failures.size() > 10) fmt::print(stderr, "  ... and {} more\n", rep.failures.size() - 10);
    fmt::print(stderr,
               "The finished runs are kept in '{}': after fixing the cause, `kpisim sweep {} -o {} --resume --force` runs the failed runs "
               "again.\n",
               kpisim::parts_directory(out), a.experiment, out);
    return kExitRunsFailed;
  }
  return kExitOk;
}

int cmd_compare(const std::string& file, const SweepArgs& a, const std::string& command_line, const kpisim::app::Mpi& mpi) {
  if (kpisim::is_experiment_file(file)) {
    SweepArgs b = a;
    b.experiment = file;
    return cmd_sweep(b, command_line, mpi);
  }
  if (mpi.rank() != 0) return kExitOk;
  return isolated(file, [&] {
    const kpisim::ResultsIndex idx = kpisim::verify_results_file(file);  // every checksum, not only those of the variables compared
    warn_unchecksummed_strings(file, idx);
    const std::string yaml = idx.attr("experiment");
    if (yaml.empty() && idx.attr("kind") == "optimisation" && !idx.attr("optimisation").empty()) {
      // `kpisim optimise`'s file: its result again, from the tables it stored (docs/experiments.md, "Optimisation").
      const kpisim::Optimisation opt =
          kpisim::Optimisation::from_text(idx.attr("optimisation"), file + " (optimisation attribute)", ".", kpisim::BaseFile::refused);
      const std::size_t runs = 3 * opt.state_count() * static_cast<std::size_t>(opt.confirm_replications());
      if (runs != idx.runs)
        throw kpisim::ResultsFileError(fmt::format("'{}' has {} runs but its optimisation re-evaluates {}", file, idx.runs, runs));
      fmt::print("{}: optimisation '{}', {} (the chosen point, the start and the baseline on fresh replications)\n{}", file,
                 opt.sweep.experiment.name, plural(idx.runs, "run"),
                 kpisim::format_optimisation(opt, kpisim::read_optimisation_report(opt, file)));
      return kExitOk;
    }
    if (yaml.empty() && idx.attr("kind") == "calibration" && !idx.attr("calibration").empty()) {
      // `kpisim calibrate`'s file: its search, fit and posterior again, from the tables it stored.
      const kpisim::Calibration cal =
          kpisim::Calibration::from_text(idx.attr("calibration"), file + " (calibration attribute)", ".", kpisim::BaseFile::refused);
      fmt::print("{}: calibration '{}', {} kept (the chosen point's runs of {})\n{}", file, cal.sweep.experiment.name,
                 plural(idx.runs, "run"), idx.attr("runs_of").empty() ? std::string("the experiment") : idx.attr("runs_of"),
                 kpisim::format_calibration(cal, kpisim::read_calibration_report(cal, file)));
      return kExitOk;
    }
    if (yaml.empty())
      throw kpisim::InputError(
          fmt::format("{}: error: not a sweep results file (no 'experiment' attribute); `compare` reads the output of "
                      "`kpisim sweep`, `kpisim optimise` or `kpisim calibrate`, or runs an experiment file",
                      file));
    // The experiment text comes from the file: parsed with the experiment loader's limits, and its
    // scenario must be the resolved one stored inline (a `base:` path named in the file is refused,
    // never opened).
    const kpisim::Sweep sw = kpisim::Sweep::from_text(yaml, file + " (experiment attribute)", ".", kpisim::BaseFile::refused);
    if (sw.runs() != idx.runs)
      throw kpisim::ResultsFileError(fmt::format("'{}' has {} runs but its experiment describes {}", file, idx.runs, sw.runs()));
    std::vector<std::vector<double>> values;
    for (const auto& name : sw.output_names())
      values.push_back(kpisim::read_window_means(file, name, sw.experiment.analysis.first_day, sw.last_day()));
    const kpisim::Analysis an = kpisim::analyse(sw, values);
    fmt::print("{}: experiment '{}', {} runs\n{}{}", file, sw.experiment.name, idx.runs, kpisim::format_analysis(sw, an),
               kpisim::format_money_and_divisions(sw, [&](const std::string& name) {
                 return kpisim::read_window_means(file, name, sw.experiment.analysis.first_day, sw.last_day());
               }));
    print_robust(sw, file);
    return kExitOk;
  });
  return kExitOk;
}

// `kpisim optimise`: an experiment with an `optimise:` section (docs/experiments.md, "Optimisation").
struct OptimiseArgs {
  std::string experiment;
  std::string output;
  int threads = 0;
  bool force = false;
  bool dry_run = false;
  bool quiet = false;
  bool no_progress = false;
  bool as_written = false;  ///< calibrate: evaluate the start point only
  bool resume = false;      ///< calibrate: continue from OUTPUT.journal
};

// The options of a search (kpisim::OptimiseOptions, kpisim::CalibrateOptions): where it writes, and
// what it records and reports.
template <class Options>
Options search_options(const std::string& out, bool overwrite, const kpisim::ResultsMeta& meta,
                       const std::function<void(long long, long long)>& progress) {
  Options o;
  o.output = out;
  o.overwrite = overwrite;
  o.meta = meta;
  o.progress = progress;
  return o;
}

// What `kpisim optimise` and `kpisim calibrate` share: the output check, the thread limit, the
// pre-flight estimate (one candidate's runs of each scenario, `probes`, each timed and scaled to the
// budget's runs of it) and its refusal, the provenance and the progress bar. `header(threads)` is the
// first line the pre-flight prints; `search(out, meta, progress)` runs the search and returns its
// report; `failed` names what a failed run makes of an evaluation. With several MPI processes
// (`mpi`), process 0 makes the pre-flight's decision for all and alone speaks.
template <class Header, class Search, class Format>
int search_command(const OptimiseArgs& a, const std::string& command_line, const kpisim::Sweep& sweep, const char* noun,
                   const std::vector<std::pair<kpisim::Sweep, std::size_t>>& probes, Header header, Search search, Format format,
                   const char* failed, const kpisim::app::Mpi* mpi = nullptr) {
  sweep.check_points();  // the box's check points (Sweep::DesignUse::search_box), as `validate` checks them
  const bool voice = mpi == nullptr || mpi->rank() == 0;
  const std::string out = a.output.empty() ? sweep.experiment.name + ".h5" : a.output;
  std::optional<tbb::global_control> limit;
  if (a.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(a.threads));
  const int threads = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  int verdict = kExitOk;  // -1: stop, successfully (--dry-run)
  if (voice) {
    if (!a.force && !a.dry_run && std::filesystem::symlink_status(out).type() != std::filesystem::file_type::not_found) {
      fmt::print(stderr, "kpisim: refusing to overwrite existing file '{}'; pass --force to replace it, or -o to choose another name\n",
                 out);
      verdict = kExitOutputExists;
    } else {
      const std::size_t avail = kpisim::available_memory_bytes();
      kpisim::SweepEstimate est;  // memory: the largest scenario's; time: the sum over scenarios
      double seconds = 0.0;
      for (const auto& [one, runs] : probes) {
        if (one.points.empty()) continue;
        const kpisim::SweepEstimate e = kpisim::estimate_sweep(one, threads, avail / 10 * 8);
        seconds += e.seconds * static_cast<double>(runs) / static_cast<double>(std::max<std::size_t>(e.runs, 1));
        est.memory_bytes = std::max(est.memory_bytes, e.memory_bytes);
      }
      const int processes = mpi == nullptr ? 1 : mpi->size();
      if (!a.quiet || a.dry_run)
        fmt::print("{}{}\nestimate: {}, peak memory about {}{}\n", header(threads),
                   processes > 1 ? fmt::format(" in each of {} processes", processes) : std::string(),
                   std::isnan(seconds) ? std::string("time not estimated") : duration(seconds / processes), mib(est.memory_bytes),
                   processes > 1 ? " per process" : "");
      if (avail > 0 && est.memory_bytes > avail / 10 * 8) {
        fmt::print(stderr, "kpisim: refusing to run: the {} needs an estimated {} at {} threads but only {} is available\n", noun,
                   mib(est.memory_bytes), threads, mib(avail));
        verdict = kExitTooLarge;
      } else if (a.dry_run) {
        verdict = -1;
      }
    }
  }
  if (mpi != nullptr && mpi->distributed()) verdict = std::stoi(mpi->agree(std::to_string(verdict)));
  if (verdict == -1) return kExitOk;
  if (verdict != kExitOk) return verdict;
  kpisim::ResultsMeta meta = kpisim::build_meta(command_line, threads);
  meta.scenario_name = sweep.base.name;
  meta.scenario_file = sweep.experiment.base.empty() ? a.experiment : sweep.experiment.base;
  meta.scenario_yaml = kpisim::to_yaml(sweep.base);
  meta.seed = sweep.base.seed;
  ProgressBar bar(!a.quiet && !a.no_progress, "runs at most");
  const auto rep = search(out, meta, [&](long long d, long long t) { bar.update(d, t); });
  bar.finish();
  if (!a.quiet) {
    fmt::print("{}", format(rep));
    fmt::print("\n{} in {:.1f} s; wrote {}\n", plural(rep.runs, "run"), bar.seconds(), out);
  }
  if (!rep.failures.empty()) {
    if (voice)
      fmt::print(stderr, "kpisim: {} of the {}'s evaluations had failed runs ({}); first: {}\n", rep.failures.size(), noun, failed,
                 rep.failures.front().second);
    return kExitRunsFailed;
  }
  return kExitOk;
}

int cmd_optimise(const OptimiseArgs& a, const std::string& command_line) {
  const kpisim::Optimisation opt = kpisim::Optimisation::load(a.experiment);
  // Pre-flight, from the counts: one candidate's replications at this many threads (memory, and a
  // timing probe of a few simulated days), scaled to the budget's runs.
  kpisim::Sweep one = opt.sweep;
  one.points = {opt.full_point(opt.start, 0, false)};
  one.policies = {opt.sweep.policies[opt.policy]};
  one.policy_index = {opt.sweep.policy_index[opt.policy]};
  one.baseline = 0;
  const std::size_t runs = opt.max_runs();
  const auto header = [&](int threads) {
    return fmt::format(
        "kpisim {}: optimise '{}' - policy '{}', {} ({}), up to {} evaluations x {} + baseline + {} x 3 confirmation{} = at most {}, {} "
        "employees, {} days, {}",
        kpisim::engine_version(), kpisim::printable(opt.sweep.experiment.name), opt.sweep.policies[opt.policy],
        plural(opt.box.size(), "parameter"), kpisim::stats::algorithm_name(opt.spec.algorithm), opt.spec.evaluations,
        plural(static_cast<std::size_t>(opt.replications()), "replication"), opt.confirm_replications(),
        opt.uncertain.empty() ? std::string() : fmt::format(", x {} states of the world", opt.state_count()), plural(runs, "run"),
        opt.sweep.base.organisation.employees, opt.sweep.days(), plural(static_cast<std::size_t>(threads), "thread"));
  };
  const auto search = [&](const std::string& out, const kpisim::ResultsMeta& meta,
                          const std::function<void(long long, long long)>& progress) {
    return kpisim::run_optimisation(opt, search_options<kpisim::OptimiseOptions>(out, a.force, meta, progress));
  };
  const auto format = [&](const kpisim::OptimisationReport& rep) { return kpisim::format_optimisation(opt, rep); };
  return search_command(a, command_line, opt.sweep, "optimisation", {{one, runs}}, header, search, format, "counted as infeasible");
}

// `kpisim calibrate`: an experiment with a `calibrate:` section (docs/experiments.md, "Calibration").
int cmd_calibrate(const OptimiseArgs& a_in, const std::string& command_line, const kpisim::app::Mpi& mpi) {
  OptimiseArgs a = a_in;
  if (mpi.rank() != 0) a.quiet = true;  // one voice: process 0 prints and writes the file
  kpisim::Calibration cal = kpisim::Calibration::load(a.experiment);
  if (a.as_written) {  // the fit of the values as written: the start point alone, no search, no posterior
    cal.spec.evaluations = 1;
    cal.spec.start_points = 0;
    cal.spec.posterior.particles = 0;
  }
  // Pre-flight, from the counts: one candidate (every policy the targets name, every replication)
  // of the experiment's scenario and of each replica at this many threads (memory, and a timing
  // probe of a few simulated days), scaled to the budget.
  const std::size_t runs = cal.max_runs();
  std::vector<std::pair<kpisim::Sweep, std::size_t>> probes;
  for (std::size_t s = 0; s < cal.studies(); ++s) probes.emplace_back(cal.probe(s), runs / cal.arms.size() * cal.arms_of(s));
  const auto header = [&](int threads) {
    return fmt::format(
        "kpisim {}: calibrate '{}' - {} to {} ({}), up to {} + the chosen point's runs{}, each {} x {} = at most {}, {} "
        "employees, {} days, {}",
        kpisim::engine_version(), kpisim::printable(cal.sweep.experiment.name), plural(cal.box.size(), "parameter"),
        plural(cal.spec.targets.size(), "target"), kpisim::stats::algorithm_name(cal.spec.algorithm),
        plural(static_cast<std::size_t>(cal.spec.evaluations), "evaluation"),
        cal.spec.posterior.particles > 0 ? fmt::format(" + up to {} posterior simulations", cal.spec.posterior.budget()) : std::string(),
        plural(cal.arms.size(), "policy", "policies") +
            (cal.replicas.empty() ? std::string() : fmt::format(" (of the experiment and {})", plural(cal.replicas.size(), "replica"))),
        plural(static_cast<std::size_t>(cal.replications()), "replication"), plural(runs, "run"), cal.sweep.base.organisation.employees,
        cal.sweep.days(), plural(static_cast<std::size_t>(threads), "thread"));
  };
  const auto search = [&](const std::string& out, const kpisim::ResultsMeta& meta,
                          const std::function<void(long long, long long)>& progress) {
    auto o = search_options<kpisim::CalibrateOptions>(out, a.force, meta, progress);
    o.resume = a.resume;
    o.binary_id = executable_hash();
    o.meta.extra_attrs.emplace_back("processes", std::to_string(mpi.size()));
    o.process = mpi.rank();
    o.processes = mpi.size();
    if (mpi.distributed()) o.gather = [&](const std::string& text) { return mpi.gather(text); };
    return kpisim::run_calibration(cal, o);
  };
  const auto format = [&](const kpisim::CalibrationReport& rep) {
    std::string text = kpisim::format_calibration(cal, rep);
    if (rep.replayed > 0)
      text += fmt::format("resumed: {} answered from the journal of the interrupted calibration\n", plural(rep.replayed, "point"));
    return text;
  };
  return search_command(a, command_line, cal.sweep, "calibration", probes, header, search, format, "their loss is NaN", &mpi);
}

int cmd_validate_calibration(const std::string& file) {
  const kpisim::Calibration cal = kpisim::Calibration::load(file);
  cal.sweep.check_points();
  fmt::print(
      "{}: OK: calibration '{}': {} to {} ({}), up to {} x {} x {} replications; at most {} runs of '{}' ({} "
      "employees, {} days)\n",
      file, cal.sweep.experiment.name, plural(cal.box.size(), "parameter"), plural(cal.spec.targets.size(), "target"),
      kpisim::stats::algorithm_name(cal.spec.algorithm), plural(static_cast<std::size_t>(cal.spec.evaluations), "evaluation"),
      plural(cal.arms.size(), "policy", "policies"), cal.replications(), cal.max_runs(), kpisim::printable(cal.sweep.base.name),
      cal.sweep.base.organisation.employees, cal.sweep.base.days);
  fmt::print("{}", cal.sweep.describe_targets());
  return kExitOk;
}

int cmd_validate_optimisation(const std::string& file) {
  const kpisim::Optimisation opt = kpisim::Optimisation::load(file);
  opt.sweep.check_points();
  fmt::print(
      "{}: OK: optimisation '{}': policy '{}', {} ({}), up to {} evaluations x {} replications; at most {} runs of '{}' ({} "
      "employees, {} days)\n",
      file, opt.sweep.experiment.name, opt.sweep.policies[opt.policy], plural(opt.box.size(), "parameter"),
      kpisim::stats::algorithm_name(opt.spec.algorithm), opt.spec.evaluations, opt.replications(), opt.max_runs(),
      kpisim::printable(opt.sweep.base.name), opt.sweep.base.organisation.employees, opt.sweep.base.days);
  fmt::print("{}", opt.sweep.describe_targets());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  kpisim::disable_hdf5_exit_handler();  // before any HDF5 call: a full disk must not crash the exit
  const kpisim::app::Mpi mpi(argc, argv);
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
      "  kpisim sweep scenarios/experiments/compare_crn.yaml -o crn.h5  replications, CIs, paired differences\n"
      "  kpisim sweep EXPERIMENT -o out.h5 --resume                  continue an interrupted sweep\n"
      "  kpisim optimise EXPERIMENT -o best.h5                       tune a policy's parameters (objective, constraints)\n"
      "  kpisim calibrate EXPERIMENT -o fit.h5                       fit parameters to empirical targets\n"
      "  kpisim compare crn.h5                                       the comparison table of a sweep's file\n"
      "  kpisim report crn.h5 -o crn_report/                         plots and a self-contained report.html\n"
      "  kpisim serve                                                a local web app at http://127.0.0.1:8765/\n"
      "\n"
      "Exit codes: 0 success; 1 run or output error; 2 invalid scenario, experiment or arguments;\n"
      "            3 output file exists (use --force); 4 too large for this machine's memory;\n"
      "            5 sweep finished but some runs failed (their status and error are in the file).\n"
      "Read results in Python: xarray.open_dataset(FILE, engine=\"h5netcdf\"); see docs/output-schema.md.");
  app.require_subcommand(1);
#ifdef KPISIM_HAVE_MPI
  constexpr const char* kMpi = ", MPI";
#else
  constexpr const char* kMpi = "";
#endif
  app.set_version_flag("--version", fmt::format("kpisim {} (commit {}, {} build, {}{})", kpisim::engine_version(), kpisim::git_commit(),
                                                kpisim::build_type(), kpisim::simd_level(), kMpi));

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
  auto* validate = app.add_subcommand("validate", "check a scenario or experiment file and print what it describes");
  validate->add_option("FILE", vfile, "scenario or experiment file (YAML)")->required()->check(CLI::ExistingFile);

  SweepArgs sa;
  auto* sweep = app.add_subcommand("sweep", "run an experiment: every policy, parameter point and replication; one results file");
  sweep->add_option("EXPERIMENT", sa.experiment, "experiment file (YAML; docs/experiments.md)")->required()->check(CLI::ExistingFile);
  std::string cfile;
  auto* compare = app.add_subcommand(
      "compare", "print the comparison (paired differences, intervals) of a sweep's results file, or run an experiment and print it");
  compare->add_option("FILE", cfile, "results file of `kpisim sweep` (.h5), or an experiment file")->required()->check(CLI::ExistingFile);
  for (auto* sub : {sweep, compare}) {
    sub->add_option("-o,--output", sa.output, "results file (default: the experiment's name with .h5, in the current directory)");
    sub->add_option("--threads", sa.threads, "worker threads (default: all cores); results do not depend on it")
        ->check(CLI::Range(1, 4096));
    sub->add_flag("--force", sa.force, "replace an existing results file and discard the parts of an interrupted sweep");
    sub->add_flag("--resume", sa.resume, "continue an interrupted sweep of the same experiment: only the missing runs are run");
    sub->add_flag("--keep-parts", sa.keep_parts, "keep the per-run part files (FILE.parts/) after the merge");
    sub->add_flag("--dry-run", sa.dry_run, "print the pre-flight estimate and stop");
    sub->add_flag("-q,--quiet", sa.quiet, "print nothing but errors");
    sub->add_flag("--no-progress", sa.no_progress, "no progress bar");
  }

  OptimiseArgs oa;
  auto* optimise =
      app.add_subcommand("optimise", "find the policy parameters that maximise an objective under constraints (docs/experiments.md)");
  optimise->add_option("EXPERIMENT", oa.experiment, "experiment file with an `optimise:` section")->required()->check(CLI::ExistingFile);
  optimise->add_option("-o,--output", oa.output, "results file (default: the experiment's name with .h5, in the current directory)");
  optimise->add_option("--threads", oa.threads, "worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  optimise->add_flag("--force", oa.force, "replace an existing results file");
  optimise->add_flag("--dry-run", oa.dry_run, "check, print the pre-flight estimate and stop");
  optimise->add_flag("-q,--quiet", oa.quiet, "print nothing but errors");
  optimise->add_flag("--no-progress", oa.no_progress, "no progress bar");
  OptimiseArgs ca;
  auto* calibrate = app.add_subcommand(
      "calibrate", "fit parameters to empirical targets by simulated moments, target by target (docs/experiments.md, \"Calibration\")");
  calibrate->add_option("EXPERIMENT", ca.experiment, "experiment file with a `calibrate:` section")->required()->check(CLI::ExistingFile);
  calibrate->add_option("-o,--output", ca.output, "results file (default: the experiment's name with .h5, in the current directory)");
  calibrate->add_option("--threads", ca.threads, "worker threads (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  calibrate->add_flag("--force", ca.force, "replace an existing results file");
  calibrate->add_flag("--dry-run", ca.dry_run, "check, print the pre-flight estimate and stop");
  calibrate->add_flag("-q,--quiet", ca.quiet, "print nothing but errors");
  calibrate->add_flag("--no-progress", ca.no_progress, "no progress bar");
  calibrate->add_flag("--resume", ca.resume,
                      "continue an interrupted calibration from OUTPUT.journal: the points it holds are not simulated again (the "
                      "same result, bit for bit)");
  calibrate->add_flag("--as-written", ca.as_written,
                      "evaluate only the parameters' values as written in the scenarios (the start point, clamped into the box) and "
                      "report their fit: no search, no posterior");

  auto* reference = app.add_subcommand("reference", "print the scenario reference (Markdown) generated from the parameter declarations");

  // Everything after `report` (--help included) goes to the Python analysis package (report.hpp).
  auto* report = app.add_subcommand("report", "write PNG plots and one self-contained report.html for a results file (docs/report.md)");
  report->prefix_command()->allow_extras()->set_help_flag();
#ifdef KPISIM_HAVE_SERVE
  kpisim::app::ServeArgs serve_args;
  auto* serve = kpisim::app::add_serve_command(app, serve_args);  // the local web app (serve.cpp, docs/serve.md)
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitInputError;
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  // Several processes only make sense for sweeps and calibrations, and only with an MPI build.
  const int processes = std::max(mpi.size(), kpisim::app::Mpi::launched_size());
  if (processes > 1) {
#ifndef KPISIM_HAVE_MPI
    if (kpisim::app::Mpi::launched_size() > 1) {
      fmt::print(stderr,
                 "kpisim: started as {} processes, but this kpisim was built without MPI: each would run everything. Rebuild "
                 "with MPI (scripts/setup.sh installs Open MPI; cmake -DKPISIM_MPI=ON) or run one process.\n",
                 processes);
      return kExitInputError;
    }
#endif
    if (!*sweep && !*compare && !*calibrate) {
      if (mpi.rank() == 0)
        fmt::print(stderr,
                   "kpisim: only `sweep`, `calibrate` (and `compare` of an experiment) run on several processes; run this command as one "
                   "process\n");
      return kExitInputError;
    }
  }
  try {
    if (*run) return cmd_run(ra, command_line);
#ifdef KPISIM_HAVE_SERVE
    if (*serve) return kpisim::app::run_serve(serve_args);
#endif
    if (*validate) return cmd_validate(vfile);
    if (*sweep) return cmd_sweep(sa, command_line, mpi);
    if (*compare) return cmd_compare(cfile, sa, command_line, mpi);
    if (*optimise) return cmd_optimise(oa, command_line);
    if (*calibrate) return cmd_calibrate(ca, command_line, mpi);
    if (*report) {
      // The analysis package reads the file with h5py, which has no defence against a crafted file:
      // the whole file is verified first, in a child process (isolated()), so that a damaged file
      // gives exit code 2 and a message instead of a traceback or a crash of the interpreter.
      const std::vector<std::string> args = report->remaining();
      if (const std::string file = kpisim::app::report_results_argument(args); !file.empty()) {
        const int rc = isolated(file, [&] {
          warn_unchecksummed_strings(file, kpisim::verify_results_file(file));
          return kExitOk;
        });
        if (rc != kExitOk) return rc;
      }
      return kpisim::app::run_report(args);
    }
    if (*reference) {
      std::cout << kpisim::scenario_reference_markdown();
      return kExitOk;
    }
  } catch (const kpisim::InputError& e) {
    if (mpi.rank() == 0) {
      std::cerr << e.what();
      if (std::string_view(e.what()).empty() || std::string_view(e.what()).back() != '\n') std::cerr << "\n";
    }
    return kExitInputError;  // every process reads the same files: all stop here
  } catch (const kpisim::OutputExistsError& e) {
    if (mpi.rank() == 0) std::cerr << "kpisim: " << e.what() << "\n";
    return kExitOutputExists;
  } catch (const kpisim::ResultsFileError& e) {
    std::cerr << "kpisim: " << e.what() << "\n";
    return kExitInputError;
  } catch (const kpisim::RunError& e) {
    std::cerr << "kpisim: " << e.what() << "\n";
    mpi.abort(kExitRunError);
    return kExitRunError;
  } catch (const std::exception& e) {
    std::cerr << "kpisim: internal error: " << e.what() << "\n";
    mpi.abort(kExitRunError);
    return kExitRunError;
  }
  return kExitOk;
}

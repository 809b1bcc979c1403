// Running a sweep: parts written as runs finish, resume, failures, the merge into one file.
//
// Part files ("<output>.parts/run-NNNNNNNNN.part") hold one finished run each: a header, the run's
// series, per-unit series and snapshots (raw native doubles and floats, exactly the bits the
// simulation produced) or its failure message, and a trailer repeating the header's magic and the
// file size. A part is written under a temporary name and renamed, so a killed sweep leaves only
// whole parts; a part without a valid trailer is ignored and its run is done again. The
// directory's "experiment.yaml" holds the resolved experiment and the build that started it:
// `--resume` continues only the same experiment with the same build, so that the merged file is
// bit-identical to an uninterrupted sweep.
#include "kpisim/experiment/sweep.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "kpisim/core/error.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'K', 'P', 'S', 'P', 'A', 'R', 'T', '1'};

std::string part_path(const std::string& dir, std::size_t run) {
  return fmt::format("{}/run-{:09d}.part", dir, run);
}

struct PartHeader {
  char magic[8];
  std::uint64_t run;
  std::int32_t failed;
  std::int32_t days;
  std::uint32_t replication;
  std::uint32_t reserved;
  std::uint64_t message_bytes;
  std::uint64_t series;
  std::uint64_t unit_series;
  std::uint64_t snapshot_days;
  std::uint64_t snapshot_agents;
  std::uint64_t snapshots;
};

struct PartTrailer {
  std::uint64_t bytes;  ///< size of the whole file
  char magic[8];
};

template <class T>
void put(std::ostream& out, const std::vector<T>& v) {
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));  // NOLINT
}

template <class T>
bool get(std::istream& in, std::vector<T>& v, std::uint64_t n) {
  v.resize(n);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));  // NOLINT
  return static_cast<bool>(in);
}

void write_part(const std::string& dir, std::size_t run, const RunResult* r, const std::string& message) {
  PartHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.run = run;
  h.failed = r == nullptr ? 1 : 0;
  h.message_bytes = message.size();
  if (r != nullptr) {
    h.days = r->days;
    h.replication = r->replication;
    h.series = r->series.size();
    h.unit_series = r->unit_series.size();
    h.snapshot_days = r->snapshot_days.size();
    h.snapshot_agents = r->snapshot_agents.size();
    h.snapshots = r->snapshots.size();
  }
  const std::string final_path = part_path(dir, run);
  const std::string tmp = final_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw RunError(fmt::format("cannot create part file '{}'", tmp));
    out.write(reinterpret_cast<const char*>(&h), sizeof h);  // NOLINT
    out.write(message.data(), static_cast<std::streamsize>(message.size()));
    if (r != nullptr) {
      put(out, r->series);
      put(out, r->unit_series);
      put(out, r->snapshot_days);
      put(out, r->snapshot_agents);
      put(out, r->snapshots);
    }
    PartTrailer t{};
    t.bytes = static_cast<std::uint64_t>(out.tellp()) + sizeof t;
    std::memcpy(t.magic, kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&t), sizeof t);  // NOLINT
    out.flush();
    if (!out) throw RunError(fmt::format("writing part file '{}' failed (disk full?)", tmp));
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) throw RunError(fmt::format("renaming part file '{}' failed: {}", tmp, ec.message()));
}

struct Part {
  bool failed = false;
  std::string message;
  RunResult result;
};

/// Opens the part of `run` and checks that it is whole (its trailer) and is that run's (its
/// header); leaves `in` after the header. Nothing if it is missing, incomplete or not a part.
std::optional<PartHeader> open_part(std::ifstream& in, const std::string& dir, std::size_t run) {
  in.open(part_path(dir, run), std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  if (size < sizeof(PartHeader) + sizeof(PartTrailer)) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(size - sizeof(PartTrailer)));
  PartTrailer t{};
  in.read(reinterpret_cast<char*>(&t), sizeof t);  // NOLINT
  if (!in || t.bytes != size || std::memcmp(t.magic, kMagic, sizeof kMagic) != 0) return std::nullopt;
  in.seekg(0);
  PartHeader h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);  // NOLINT
  if (!in || std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.run != run) return std::nullopt;
  return h;
}

/// True if the part of `run` is whole and holds a finished (not failed) run; reads only its ends.
bool part_finished(const std::string& dir, std::size_t run) {
  std::ifstream in;
  const auto h = open_part(in, dir, run);
  return h && h->failed == 0;
}

/// A whole part of `run`, or nothing (missing, incomplete or not a part).
std::optional<Part> read_part(const std::string& dir, std::size_t run) {
  std::ifstream in;
  const auto h = open_part(in, dir, run);
  if (!h) return std::nullopt;
  Part p;
  p.failed = h->failed != 0;
  p.message.resize(h->message_bytes);
  in.read(p.message.data(), static_cast<std::streamsize>(h->message_bytes));
  if (!in) return std::nullopt;
  if (!p.failed) {
    RunResult& r = p.result;
    r.days = h->days;
    r.replication = h->replication;
    if (!get(in, r.series, h->series) || !get(in, r.unit_series, h->unit_series) || !get(in, r.snapshot_days, h->snapshot_days) ||
        !get(in, r.snapshot_agents, h->snapshot_agents) || !get(in, r.snapshots, h->snapshots))
      return std::nullopt;
  }
  return p;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw RunError(fmt::format("cannot write '{}'", tmp));
  }
  fs::rename(tmp, path);
}

/// What identifies a sweep for resuming: the resolved experiment and the build.
std::string manifest_text(const Sweep& sweep, const ResultsMeta& meta, const std::string& build_id) {
  return fmt::format(
      "# KPISim sweep parts: resumable only by the same experiment and build\nengine_version: {}\ngit_commit: {}\nbuild_id: {}\n---\n{}",
      meta.engine_version, meta.git_commit, build_id, sweep.to_yaml());
}

/// Runs named in KPISIM_TEST_FAIL_RUNS (comma-separated indices) throw: a fault-injection hook
/// for the tests of failure handling (tests/python/test_sweep.py).
std::set<std::size_t> injected_failures() {
  std::set<std::size_t> out;
  const char* env = std::getenv("KPISIM_TEST_FAIL_RUNS");  // NOLINT(concurrency-mt-unsafe): read once, before the threads start
  if (env == nullptr) return out;
  std::stringstream ss(env);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.insert(static_cast<std::size_t>(std::stoull(item)));
  return out;
}

double window_mean(const RunResult& r, std::size_t var, int first, int last) {
  double s = 0.0;
  int n = 0;
  for (int d = first; d <= last; ++d) {
    const double x = r.at(var, d);
    if (std::isnan(x)) continue;
    s += x;
    ++n;
  }
  return n > 0 ? s / n : std::nan("");
}

/// Resolved model of a point, cached per thread (runs of a point are consecutive).
class SpecCache {
 public:
  const ModelSpec& get(const Sweep& sweep, std::size_t point) {
    if (!spec_ || point_ != point) {
      spec_ = std::make_unique<ModelSpec>(ModelSpec::resolve(sweep.scenario_at(point), sweep.experiment.name));
      point_ = point;
    }
    return *spec_;
  }

 private:
  std::unique_ptr<ModelSpec> spec_;
  std::size_t point_ = 0;
};

void write_tables(ResultsWriter& w, const Sweep& sweep, const Analysis& a) {
  using Column = ResultsWriter::Column;
  for (const auto& output : sweep.experiment.analysis.outputs) {
    std::vector<std::string> labels;
    std::vector<Column> cols = {{"mean", "mean over replications", "", {}},
                                {"lower", "lower end of the confidence interval of the mean", "", {}},
                                {"upper", "upper end of the confidence interval of the mean", "", {}},
                                {"n", "replications used", "1", {}},
                                {"n_failed", "replications failed", "1", {}},
                                {"difference", "mean paired difference from the reference (attribute baseline)", "", {}},
                                {"difference_lower", "lower end of the paired difference's interval", "", {}},
                                {"difference_upper", "upper end of the paired difference's interval", "", {}},
                                {"unpaired_lower", "lower end of the unpaired (Welch) interval of the difference", "", {}},
                                {"unpaired_upper", "upper end of the unpaired (Welch) interval of the difference", "", {}}};
    for (const auto& row : a.comparison) {
      if (row.output != output) continue;
      labels.push_back(sweep.points.size() > 1 ? fmt::format("{} @ point {}", row.policy, row.point) : row.policy);
      const double vals[] = {row.summary.mean,
                             row.summary.ci.lower,
                             row.summary.ci.upper,
                             static_cast<double>(row.summary.n),
                             static_cast<double>(row.summary.n_failed),
                             row.paired.mean,
                             row.paired.ci.lower,
                             row.paired.ci.upper,
                             row.unpaired.ci.lower,
                             row.unpaired.ci.upper};
      for (std::size_t c = 0; c < cols.size(); ++c) cols[c].values.push_back(vals[c]);
    }
    if (!labels.empty())
      w.write_table("comparison/" + output, "row", labels, cols,
                    {{"baseline", reference_name(sweep)},
                     {"level", fmt::format("{}", sweep.experiment.analysis.level)},
                     {"window", fmt::format("days {} to {}", sweep.experiment.analysis.first_day, sweep.last_day())}});
  }
  std::vector<std::string> names;
  for (const auto& p : sweep.experiment.parameters) names.push_back(p.name);
  for (const auto& res : a.sensitivity) {
    std::vector<Column> cols;
    std::string method;
    if (!res.sobol.first.empty()) {
      method = "sobol (Saltelli 2010 first order, Jansen 1999 total, bootstrap percentile intervals)";
      cols = {{"S1", "first-order Sobol index", "1", {}}, {"S1_lower", "", "1", {}}, {"S1_upper", "", "1", {}},
              {"ST", "total Sobol index", "1", {}},       {"ST_lower", "", "1", {}}, {"ST_upper", "", "1", {}}};
      for (std::size_t j = 0; j < names.size(); ++j) {
        const auto& f = res.sobol.first[j];
        const auto& t = res.sobol.total[j];
        const double vals[] = {f.estimate, f.lower, f.upper, t.estimate, t.lower, t.upper};
        for (std::size_t c = 0; c < cols.size(); ++c) cols[c].values.push_back(vals[c]);
      }
    } else {
      method = "morris (elementary effects per whole parameter range)";
      cols = {{"mu_star", "mean absolute elementary effect", "", {}},
              {"mu", "mean elementary effect", "", {}},
              {"sigma", "standard deviation of the elementary effects", "", {}}};
      for (const auto& m : res.morris) {
        cols[0].values.push_back(m.mu_star);
        cols[1].values.push_back(m.mu);
        cols[2].values.push_back(m.sigma);
      }
    }
    w.write_table(fmt::format("sensitivity/{}/{}", res.output, res.policy), "parameter", names, cols, {{"method", method}});
  }
}

}  // namespace

std::string parts_directory(const std::string& output) {
  return output + ".parts";
}

SweepReport run_sweep(const Sweep& sweep, const SweepOptions& o) {
  SweepReport report;
  report.runs = sweep.runs();
  if (!o.overwrite && fs::exists(o.output))
    throw OutputExistsError(fmt::format("refusing to overwrite existing file '{}'; pass --force to replace it", o.output));

  // The part directory (prepared by process 0; the others learn its verdict).
  const std::string dir = parts_directory(o.output);
  const std::string manifest = manifest_text(sweep, o.meta, o.build_id);
  const std::string manifest_path = dir + "/experiment.yaml";
  std::string verdict;
  if (o.process == 0) {
    try {
      if (fs::exists(dir)) {
        if (o.resume) {
          if (read_text(manifest_path) != manifest)
            throw RunError(
                fmt::format("cannot resume: the parts in '{}' belong to another experiment or another build of kpisim; "
                            "run without --resume and with --force to discard them",
                            dir));
        } else if (o.overwrite) {
          fs::remove_all(dir);
        } else {
          throw RunError(
              fmt::format("'{}' holds the finished runs of an interrupted sweep: add --resume to continue it, "
                          "or --force to start again",
                          dir));
        }
      }
      fs::create_directories(dir);
      if (!fs::exists(manifest_path)) write_text_atomically(manifest_path, manifest);
    } catch (const std::exception& e) {
      verdict = e.what();
      if (verdict.empty()) verdict = "cannot prepare the part directory";
    }
  }
  if (o.processes > 1 && o.agree) verdict = o.agree(verdict);
  if (!verdict.empty()) throw RunError(verdict);

  // Runs still to do (a failed run is done again).
  std::vector<std::size_t> todo;
  for (std::size_t r = 0; r < report.runs; ++r) {
    if (part_finished(dir, r))
      ++report.resumed;
    else
      todo.push_back(r);
  }
  if (o.processes > 1) {
    if (o.barrier) o.barrier();  // every process has listed the missing runs before any writes a part
    // This process's share: every `processes`-th missing run (the same list on every process).
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < todo.size(); ++i)
      if (static_cast<int>(i % static_cast<std::size_t>(o.processes)) == o.process) mine.push_back(todo[i]);
    todo = std::move(mine);
  }
  report.ran = todo.size();

  // Run them, in parallel; each finished run is saved at once.
  const std::set<std::size_t> inject = injected_failures();
  const int days = sweep.days();
  std::atomic<long long> done{0};
  const long long total = static_cast<long long>(todo.size()) * days;
  std::exception_ptr fatal;
  std::atomic<bool> stop{false};
  tbb::enumerable_thread_specific<SpecCache> caches;
  auto work = [&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, todo.size(), 1), [&](const tbb::blocked_range<std::size_t>& range) {
      SpecCache& cache = caches.local();
      for (std::size_t t = range.begin(); t != range.end() && !stop.load(); ++t) {
        const std::size_t r = todo[t];
        const SweepRun run = sweep.run(r);
        try {
          if (inject.count(r) != 0) throw RunError(fmt::format("injected failure of run {} (KPISIM_TEST_FAIL_RUNS)", r));
          const ModelSpec& spec = cache.get(sweep, run.point);
          Simulation sim(spec, sweep.policy_index[run.policy], run.replication);
          for (int d = 0; d < days; ++d) {
            sim.step();
            done.fetch_add(1);
          }
          const RunResult result = sim.take_result();
          write_part(dir, r, &result, "");
        } catch (const std::exception& e) {
          try {
            write_part(dir, r, nullptr, e.what());
          } catch (...) {
            // Cannot even record the failure (disk full, directory removed): stop the sweep.
            if (!stop.exchange(true)) fatal = std::current_exception();
          }
        }
      }
    });
  };
  if (o.progress && total > 0) {
    std::atomic<bool> finished{false};
    std::exception_ptr error;
    std::thread worker([&] {
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      finished.store(true);
    });
    while (!finished.load()) {
      o.progress(done.load(), total);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    worker.join();
    o.progress(done.load(), total);
    if (error) std::rethrow_exception(error);
  } else {
    work();
  }
  if (fatal) std::rethrow_exception(fatal);
  if (o.processes > 1 && o.barrier) o.barrier();  // every part is written
  if (o.process != 0) return report;

  // Merge: run by run into one file, with the analysis.
  ResultsLayout layout;
  layout.runs = report.runs;
  layout.days = days;
  layout.status = true;
  const ModelSpec spec0 = ModelSpec::resolve(sweep.scenario_at(0), sweep.experiment.name);
  if (sweep.base.output.per_unit)
    for (const auto& dv : spec0.divisions) layout.unit_names.push_back(dv.name);
  for (std::size_t r = 0; r < report.runs && sweep.base.output.snapshot_every > 0; ++r) {
    const auto part = read_part(dir, r);
    if (part && !part->failed && !part->result.snapshot_days.empty()) {
      layout.snapshot_days = part->result.snapshot_days;
      layout.snapshot_agents = part->result.snapshot_agents;
      break;
    }
  }
  for (std::size_t j = 0; j < sweep.experiment.parameters.size(); ++j)
    layout.parameters.push_back({sweep.experiment.parameters[j].name, "varied parameter " + sweep.experiment.parameters[j].name, "", {}});
  for (std::size_t r = 0; r < report.runs; ++r) {
    const SweepRun run = sweep.run(r);
    const auto& pol = sweep.base.policies[sweep.policy_index[run.policy]];
    layout.policy.push_back(pol.name);
    layout.policy_type.push_back(pol.type);
    layout.replication.push_back(static_cast<std::int32_t>(run.replication));
    layout.point.push_back(static_cast<std::int32_t>(run.point));
    for (std::size_t j = 0; j < layout.parameters.size(); ++j) layout.parameters[j].values.push_back(sweep.points[run.point][j]);
  }
  ResultsMeta meta = o.meta;
  meta.days = days;
  meta.unit_names = layout.unit_names;
  meta.extra_attrs.emplace_back("kind", "sweep");
  meta.extra_attrs.emplace_back("experiment", sweep.to_yaml());
  ResultsWriter writer(o.output, meta, layout, o.overwrite);

  const auto& outputs = sweep.experiment.analysis.outputs;
  std::vector<std::size_t> var;
  var.reserve(outputs.size());
  for (const auto& name : outputs) var.push_back(daily_index(name));
  std::vector<std::vector<double>> values(outputs.size(), std::vector<double>(report.runs, std::nan("")));
  const int first = sweep.experiment.analysis.first_day;
  const int last = sweep.last_day();
  for (std::size_t r = 0; r < report.runs; ++r) {
    auto part = read_part(dir, r);
    if (!part) {
      writer.write_failure(r, "the run's part file is missing or incomplete");
      report.failures.emplace_back(r, "the run's part file is missing or incomplete");
      continue;
    }
    if (part->failed) {
      writer.write_failure(r, part->message);
      report.failures.emplace_back(r, part->message);
      continue;
    }
    RunResult& res = part->result;
    res.policy = layout.policy[r];
    res.policy_type = layout.policy_type[r];
    writer.write_run(r, res);
    for (std::size_t k = 0; k < outputs.size(); ++k) values[k][r] = window_mean(res, var[k], first, last);
  }
  report.analysis = analyse(sweep, values);
  write_tables(writer, sweep, report.analysis);
  writer.commit();
  // With failures the parts stay, so that --resume can run the failed runs again.
  report.parts_kept = o.keep_parts || !report.failures.empty();
  if (!report.parts_kept) fs::remove_all(dir);
  return report;
}

SweepEstimate estimate_sweep(const Sweep& sweep, int threads, std::size_t memory_limit) {
  SweepEstimate e;
  e.runs = sweep.runs();
  const Scenario& base = sweep.base;
  const auto employees = static_cast<std::size_t>(base.organisation.employees);
  const auto days = static_cast<std::size_t>(sweep.days());
  // Products in double, saturated: a run count near 2^64 must not wrap to a small estimate.
  const auto sat = [](double x) { return x >= 1.8e19 ? std::numeric_limits<std::size_t>::max() : static_cast<std::size_t>(x); };
  const auto runs = static_cast<double>(e.runs);
  e.agent_days = sat(runs * static_cast<double>(employees) * static_cast<double>(days));
  const double parallel = static_cast<double>(std::max(1, std::min(threads, static_cast<int>(std::min<std::size_t>(e.runs, 1 << 20)))));
  const auto concurrent = static_cast<std::size_t>(parallel);
  // Memory, from the counts alone (nothing is built before it is known to fit): each concurrent
  // run holds its organisation, its state and its daily results; the design and the per-run
  // tables of the merge are held throughout. Point values move parameters within ranges that do
  // not change the counts, except organisation.employees, taken at its largest.
  Scenario largest = base;
  for (std::size_t j = 0; j < sweep.experiment.parameters.size(); ++j)
    if (sweep.experiment.parameters[j].name == "organisation.employees")
      for (const auto& pt : sweep.points)
        largest.organisation.employees = std::max(largest.organisation.employees, static_cast<int>(pt[j]));
  largest.policies.resize(1);  // one run at a time per worker
  const std::size_t tasks = base.tasks.size();
  const std::size_t per_run = estimate_memory_bytes(largest, tasks, 1) + organisation_bytes(largest);
  const std::size_t d = sweep.experiment.parameters.size();
  const std::size_t design = sweep.points.size() * (3 * d * sizeof(double) + 48);  // rows, and the generator's matrices
  const double merge = runs * static_cast<double>(2 * sizeof(std::string) + 2 * sizeof(std::int32_t) + d * sizeof(double) +
                                                  sweep.experiment.analysis.outputs.size() * sizeof(double));
  e.memory_bytes = sat(static_cast<double>(concurrent) * static_cast<double>(per_run) + static_cast<double>(design) + merge +
                       static_cast<double>(organisation_bytes(largest)));
  std::size_t per_run_out = daily_variables().size() * days * sizeof(double);
  if (base.output.per_unit) per_run_out *= 1 + base.organisation.divisions.size();
  e.output_bytes = sat(runs * static_cast<double>(per_run_out));
  if (memory_limit > 0 && e.memory_bytes > memory_limit) {
    e.seconds = std::nan("");  // too large: nothing is built to time it
    return e;
  }
  // Calibrate on the first run: a week of simulated days.
  const ModelSpec spec = ModelSpec::resolve(sweep.scenario_at(0), sweep.experiment.name);
  Simulation sim(spec, sweep.policy_index[0], 0);
  const int probe = std::min(7, sweep.days());
  const auto t0 = std::chrono::steady_clock::now();
  for (int day = 0; day < probe; ++day) sim.step();
  const double per_agent_day = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                               static_cast<double>(spec.employees * static_cast<std::size_t>(probe));
  e.seconds = per_agent_day * static_cast<double>(e.agent_days) / parallel;
  return e;
}

}  // namespace kpisim

// Running a sweep: parts written as runs finish, resume, failures, the merge into one file.
//
// Part files ("<output>.parts/run-NNNNNNNNN.part") hold one finished run each: a header, the run's
// series, per-unit series and snapshots (raw native doubles and floats, exactly the bits the
// simulation produced) or its failure message, and a trailer repeating the header's magic and the
// file size. A part is written under a temporary name and renamed, so a killed sweep leaves only
// whole parts; a part without a valid trailer, or whose contents cannot be its run's (sizes,
// days, replication, snapshot layout checked against the run's model), is ignored and its run is
// done again. The directory's "experiment.yaml" holds the resolved experiment and the build that
// started it: `--resume` continues only the same experiment with the same build, so that the
// merged file is bit-identical to an uninterrupted sweep.
//
// The part directory is a directory of ours (created 0700; an existing one must be a real
// directory owned by this user and not writable by others), opened once without following links;
// every file in it is reached through that descriptor, created with O_EXCL | O_NOFOLLOW (a
// leftover of the name is unlinked first, never written through) and renamed into place.
#include "kpisim/experiment/sweep.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
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
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/robust.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'K', 'P', 'S', 'P', 'A', 'R', 'T', '1'};
constexpr const char* kManifest = "experiment.yaml";

std::string part_name(std::size_t run) {
  return fmt::format("run-{:09d}.part", run);
}

/// KPISIM_TEST_KILL_AT=<phase>: the process kills itself (SIGKILL) on reaching that phase, so that
/// the tests can interrupt a sweep deterministically at each phase (tests/python/test_sweep_fs.py).
/// Phases: plan, parts-dir, manifest, part-tmp, part, merge, commit, merged (docs/experiments.md).
void kill_point(std::string_view phase) {
  static const std::string at = [] {
    const char* env = std::getenv("KPISIM_TEST_KILL_AT");  // NOLINT(concurrency-mt-unsafe): read once
    return std::string(env == nullptr ? "" : env);
  }();
  if (!at.empty() && at == phase) static_cast<void>(std::raise(SIGKILL));
}

/// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) static_cast<void>(::close(fd_));
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      if (fd_ >= 0) static_cast<void>(::close(fd_));
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  /// Closes now; 0 or the errno of close(2) (a delayed write error, e.g. a full disk).
  int close() noexcept {
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

/// The part directory, opened without following a link at its name; every file in it is reached
/// through this descriptor (openat), so a directory swapped for a link later is not followed either.
struct PartsDir {
  std::string path;
  Fd fd;
};

/// Why `st` (lstat or fstat of a part directory) is not a directory kpisim may use, or "".
std::string unusable_dir(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (st.st_uid != ::geteuid()) return "belongs to another user";
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return "is writable by other users (chmod go-w if it is yours)";
  return "";
}

[[noreturn]] void refuse_dir(const std::string& dir, const std::string& why) {
  throw RunError(fmt::format(
      "cannot use the part directory '{}': it {}; kpisim neither uses nor removes it (move it away, or choose another -o)", dir, why));
}

PartsDir open_parts_dir(const std::string& dir) {
  PartsDir d{dir, Fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))};
  if (!d.fd.valid()) {
    const int err = errno;
    if (err == ELOOP || err == ENOTDIR) refuse_dir(dir, "is a symbolic link or not a directory");
    throw RunError(fmt::format("cannot open the part directory '{}': {}", dir, errno_text(err)));
  }
  struct stat st {};
  if (::fstat(d.fd.get(), &st) != 0) throw RunError(fmt::format("cannot inspect the part directory '{}': {}", dir, errno_text(errno)));
  if (const std::string why = unusable_dir(st); !why.empty()) refuse_dir(dir, why);
  return d;
}

/// The names in the directory (without "." and "..").
std::vector<std::string> list_names(const PartsDir& d) {
  std::vector<std::string> out;
  const int copy = ::dup(d.fd.get());  // closed by closedir
  DIR* dir = copy < 0 ? nullptr : ::fdopendir(copy);
  if (dir == nullptr) {
    const int err = errno;
    if (copy >= 0) static_cast<void>(::close(copy));
    throw RunError(fmt::format("cannot list the part directory '{}': {}", d.path, errno_text(err)));
  }
  while (const dirent* e = ::readdir(dir)) {  // NOLINT(concurrency-mt-unsafe): one stream per call
    const std::string_view n = e->d_name;     // NOLINT(cppcoreguidelines-pro-bounds-array-to-pointer-decay)
    if (n != "." && n != "..") out.emplace_back(n);
  }
  static_cast<void>(::closedir(dir));
  return out;
}

/// "run-NNNNNNNNN.part" (nine digits), optionally followed by `suffix`.
bool is_part_name(std::string_view n, std::string_view suffix = "") {
  constexpr std::string_view prefix = "run-", ext = ".part";
  if (n.size() != prefix.size() + 9 + ext.size() + suffix.size()) return false;
  if (n.substr(0, prefix.size()) != prefix || n.substr(prefix.size() + 9) != fmt::format("{}{}", ext, suffix)) return false;
  return std::all_of(n.begin() + static_cast<std::ptrdiff_t>(prefix.size()), n.begin() + static_cast<std::ptrdiff_t>(prefix.size() + 9),
                     [](char c) { return c >= '0' && c <= '9'; });
}

/// A temporary file of a sweep (removed when found: its writer was killed).
bool is_temporary_name(std::string_view n) {
  return n == fmt::format("{}.tmp", kManifest) || is_part_name(n, ".tmp");
}

void write_all(int fd, const void* data, std::size_t n, const std::string& shown) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw RunError(fmt::format("writing '{}' failed: {}", shown, w < 0 ? errno_text(errno) : "nothing was written"));
    p += w;  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    n -= static_cast<std::size_t>(w);
  }
}

template <class T>
void put(int fd, const std::vector<T>& v, const std::string& shown) {
  write_all(fd, v.data(), v.size() * sizeof(T), shown);
}

/// Reads exactly `n` bytes at `offset`; false at the end of the file or on an error.
bool read_at(int fd, void* data, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic)
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

template <class T>
bool get(int fd, std::vector<T>& v, std::uint64_t n, std::uint64_t& offset) {
  v.resize(n);
  if (!read_at(fd, v.data(), n * sizeof(T), offset)) return false;
  offset += n * sizeof(T);
  return true;
}

/// Creates `name` in the directory for writing, exclusively and without following links. A
/// leftover of that name (a killed sweep's temporary file, or anything planted there) is unlinked
/// first, never written through.
Fd create_exclusive(const PartsDir& d, const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    Fd fd(::openat(d.fd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.valid()) return fd;
    const int err = errno;
    if (err != EEXIST || attempt > 0 || ::unlinkat(d.fd.get(), name.c_str(), 0) != 0)
      throw RunError(fmt::format("cannot create '{}/{}': {}", d.path, name, errno_text(err)));
  }
}

/// Writes `tmp` with `fill(fd, shown)`, closes it and renames it to `name` (replacing, never
/// following, whatever has that name); on an error the temporary file is removed.
template <class F>
void write_atomically(const PartsDir& d, const std::string& name, F&& fill, std::string_view kill_before_rename = "") {
  const std::string tmp = name + ".tmp";
  const std::string shown = fmt::format("{}/{}", d.path, tmp);
  try {
    Fd fd = create_exclusive(d, tmp);
    std::forward<F>(fill)(fd.get(), shown);
    if (const int err = fd.close(); err != 0) throw RunError(fmt::format("writing '{}' failed: {}", shown, errno_text(err)));
    if (!kill_before_rename.empty()) kill_point(kill_before_rename);
    if (::renameat(d.fd.get(), tmp.c_str(), d.fd.get(), name.c_str()) != 0)
      throw RunError(fmt::format("renaming '{}' failed: {}", shown, errno_text(errno)));
  } catch (...) {
    static_cast<void>(::unlinkat(d.fd.get(), tmp.c_str(), 0));
    throw;
  }
}

/// Opens `name` in the directory for reading if it is a regular file (a link at the name is not
/// followed, a FIFO does not block); `size` is its size.
Fd open_regular(const PartsDir& d, const std::string& name, std::uint64_t& size) {
  Fd fd(::openat(d.fd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return Fd();
  size = static_cast<std::uint64_t>(st.st_size);
  return fd;
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

void write_part(const PartsDir& d, std::size_t run, const RunResult* r, const std::string& message) {
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
  write_atomically(
      d, part_name(run),
      [&](int fd, const std::string& shown) {
        write_all(fd, &h, sizeof h, shown);
        write_all(fd, message.data(), message.size(), shown);
        std::uint64_t bytes = sizeof h + message.size();
        if (r != nullptr) {
          put(fd, r->series, shown);
          put(fd, r->unit_series, shown);
          put(fd, r->snapshot_days, shown);
          put(fd, r->snapshot_agents, shown);
          put(fd, r->snapshots, shown);
          bytes += r->series.size() * sizeof(double) + r->unit_series.size() * sizeof(double) + r->snapshot_days.size() * sizeof(int) +
                   r->snapshot_agents.size() * sizeof(std::uint32_t) + r->snapshots.size() * sizeof(float);
        }
        PartTrailer t{};
        t.bytes = bytes + sizeof t;
        std::memcpy(t.magic, kMagic, sizeof kMagic);
        write_all(fd, &t, sizeof t, shown);
      },
      "part-tmp");
  kill_point("part");
}

/// What a finished run must have recorded (from its point's model): a part is checked against it.
struct Expected {
  int days = 0;
  std::uint32_t replication = 0;
  std::uint64_t series = 0;
  std::uint64_t unit_series = 0;
  std::uint64_t snapshots = 0;
  SnapshotLayout snapshot;
  std::string error;  ///< the point's model cannot be resolved: no part can be a finished run of it
};

/// The expected shape of each point's runs, computed when first asked for.
class Expectations {
 public:
  explicit Expectations(const Sweep& sweep) : sweep_(sweep), points_(sweep.points.size()) {}
  Expected of(std::size_t run) {
    const SweepRun sr = sweep_.run(run);
    auto& e = points_.at(sr.point);
    if (!e) {
      e.emplace();
      try {
        const ModelSpec spec = ModelSpec::resolve(sweep_.scenario_at(sr.point), sweep_.experiment.name);
        const auto days = static_cast<std::uint64_t>(spec.scenario.days);
        e->days = spec.scenario.days;
        e->series = daily_variables().size() * days;
        if (spec.scenario.output.per_unit) {
          const auto& vars = daily_variables();
          const auto nu = static_cast<std::uint64_t>(std::count_if(vars.begin(), vars.end(), [](const auto& v) { return v.per_unit; }));
          e->unit_series = nu * spec.divisions.size() * days;
        }
        e->snapshot = snapshot_layout(spec);
        e->snapshots = snapshot_variables().size() * e->snapshot.days.size() * e->snapshot.agents.size();
      } catch (const std::exception& ex) {
        e->error = ex.what();
      }
    }
    Expected out = *e;
    out.replication = sr.replication;
    return out;
  }

 private:
  const Sweep& sweep_;
  std::vector<std::optional<Expected>> points_;
};

/// A part that is whole (its trailer) and is its run's (its header).
struct OpenPart {
  Fd fd;
  PartHeader h{};
  std::uint64_t size = 0;
};

/// The part of `run` if it is whole and is that run's; nothing if it is missing, incomplete, not
/// a regular file or not a part.
std::optional<OpenPart> open_part(const PartsDir& d, std::size_t run) {
  OpenPart p;
  p.fd = open_regular(d, part_name(run), p.size);
  if (!p.fd.valid() || p.size < sizeof(PartHeader) + sizeof(PartTrailer)) return std::nullopt;
  PartTrailer t{};
  if (!read_at(p.fd.get(), &t, sizeof t, p.size - sizeof t) || t.bytes != p.size || std::memcmp(t.magic, kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  if (!read_at(p.fd.get(), &p.h, sizeof p.h, 0) || std::memcmp(p.h.magic, kMagic, sizeof kMagic) != 0 || p.h.run != run)
    return std::nullopt;
  return p;
}

/// Why a whole part cannot be the record of its run (a crafted or corrupted part), or "".
std::string inconsistency(const OpenPart& p, const Expected& e) {
  const PartHeader& h = p.h;
  // The declared blocks must fill the file exactly (each is checked against the size first, so the sum cannot overflow).
  const std::pair<std::uint64_t, std::uint64_t> blocks[] = {{h.message_bytes, 1},
                                                            {h.series, sizeof(double)},
                                                            {h.unit_series, sizeof(double)},
                                                            {h.snapshot_days, sizeof(int)},
                                                            {h.snapshot_agents, sizeof(std::uint32_t)},
                                                            {h.snapshots, sizeof(float)}};
  std::uint64_t total = sizeof(PartHeader) + sizeof(PartTrailer);
  for (const auto& [n, width] : blocks) {
    if (n > p.size / width) return "its header declares more data than the file holds";
    total += n * width;
    if (total > p.size) return "its header declares more data than the file holds";
  }
  if (total != p.size) return fmt::format("its header declares {} bytes but the file has {}", total, p.size);
  if (h.failed != 0 && h.failed != 1) return fmt::format("its status {} is neither finished (0) nor failed (1)", h.failed);
  if (h.failed == 1) {
    if (h.series + h.unit_series + h.snapshot_days + h.snapshot_agents + h.snapshots != 0) return "it records a failure but holds data";
    return "";
  }
  if (!e.error.empty()) return "its parameter point cannot be resolved: " + e.error;
  if (h.days != e.days) return fmt::format("it has {} days; the run has {}", h.days, e.days);
  if (h.replication != e.replication)
    return fmt::format("it is of replication {}; the run is of replication {}", h.replication, e.replication);
  if (h.series != e.series) return fmt::format("it has {} daily values; the run has {}", h.series, e.series);
  if (h.unit_series != e.unit_series) return fmt::format("it has {} per-unit values; the run has {}", h.unit_series, e.unit_series);
  if (h.snapshot_days != e.snapshot.days.size() || h.snapshot_agents != e.snapshot.agents.size() || h.snapshots != e.snapshots)
    return fmt::format("it has {} snapshot values ({} days x {} agents); the run has {} ({} x {})", h.snapshots, h.snapshot_days,
                       h.snapshot_agents, e.snapshots, e.snapshot.days.size(), e.snapshot.agents.size());
  std::uint64_t offset = sizeof(PartHeader) + h.message_bytes + (h.series + h.unit_series) * sizeof(double);
  std::vector<int> days;
  std::vector<std::uint32_t> agents;
  if (!get(p.fd.get(), days, h.snapshot_days, offset) || !get(p.fd.get(), agents, h.snapshot_agents, offset))
    return "its snapshot days cannot be read";
  if (days != e.snapshot.days || agents != e.snapshot.agents) return "its snapshot days or sampled agents are not the run's";
  return "";
}

struct Part {
  bool failed = false;
  std::string message;
  RunResult result;
};

/// The part of `run` if it is whole and consistent with the run, or nothing.
std::optional<Part> read_part(const PartsDir& d, std::size_t run, Expectations& expect) {
  auto p = open_part(d, run);
  if (!p || !inconsistency(*p, expect.of(run)).empty()) return std::nullopt;
  const PartHeader& h = p->h;
  Part out;
  out.failed = h.failed != 0;
  out.message.resize(h.message_bytes);
  std::uint64_t offset = sizeof(PartHeader);
  if (!read_at(p->fd.get(), out.message.data(), out.message.size(), offset)) return std::nullopt;
  offset += h.message_bytes;
  if (!out.failed) {
    RunResult& r = out.result;
    r.days = h.days;
    r.replication = h.replication;
    const int fd = p->fd.get();
    if (!get(fd, r.series, h.series, offset) || !get(fd, r.unit_series, h.unit_series, offset) ||
        !get(fd, r.snapshot_days, h.snapshot_days, offset) || !get(fd, r.snapshot_agents, h.snapshot_agents, offset) ||
        !get(fd, r.snapshots, h.snapshots, offset))
      return std::nullopt;
  }
  return out;
}

/// True if the directory's manifest is a regular file holding exactly `expected`.
bool manifest_matches(const PartsDir& d, const std::string& expected) {
  std::uint64_t size = 0;
  const Fd fd = open_regular(d, kManifest, size);
  if (!fd.valid() || size != expected.size()) return false;
  std::string text(expected.size(), '\0');
  return read_at(fd.get(), text.data(), text.size(), 0) && text == expected;
}

void write_manifest(const PartsDir& d, const std::string& text) {
  write_atomically(d, kManifest, [&](int fd, const std::string& shown) { write_all(fd, text.data(), text.size(), shown); });
}

/// Prepares the part directory for this sweep (process 0; see docs/experiments.md, "--resume"):
/// creates it (mode 0700, a link at its name is never followed), or checks an existing one (a
/// directory of ours, with the manifest of this very sweep when resuming) and removes the temporary
/// files of a killed invocation.
PartsDir prepare_parts_dir(const std::string& dir, const std::string& manifest, const SweepOptions& o) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (const std::string why = unusable_dir(st); !why.empty()) refuse_dir(dir, why);
    PartsDir d = open_parts_dir(dir);
    const std::vector<std::string> names = list_names(d);
    const bool has_manifest = std::find(names.begin(), names.end(), kManifest) != names.end();
    const bool only_temporaries = std::all_of(names.begin(), names.end(), is_temporary_name);
    if (!has_manifest && only_temporaries) {
      // Killed before its manifest was written, so before any run: nothing to resume.
      for (const auto& n : names) static_cast<void>(::unlinkat(d.fd.get(), n.c_str(), 0));
      write_manifest(d, manifest);
      return d;
    }
    if (o.resume) {
      if (!has_manifest)
        throw RunError(fmt::format(
            "cannot resume: '{}' has no {} to tell which experiment its files belong to; run without --resume and with --force to "
            "discard them",
            dir, kManifest));
      if (!manifest_matches(d, manifest))
        throw RunError(
            fmt::format("cannot resume: the parts in '{}' belong to another experiment or another build of kpisim; "
                        "run without --resume and with --force to discard them",
                        dir));
      for (const auto& n : names)
        if (is_temporary_name(n)) static_cast<void>(::unlinkat(d.fd.get(), n.c_str(), 0));
      return d;
    }
    if (!o.overwrite)
      throw RunError(
          fmt::format("'{}' holds the finished runs of an interrupted sweep: add --resume to continue it, "
                      "or --force to start again",
                      dir));
    fs::remove_all(dir);  // a directory of ours (checked above); remove_all never follows links
  } else if (errno != ENOENT) {
    throw RunError(fmt::format("cannot inspect the part directory '{}': {}", dir, errno_text(errno)));
  }
  if (const fs::path parent = fs::path(dir).parent_path(); !parent.empty())
    fs::create_directories(parent);  // as before: -o may name a new directory
  if (::mkdir(dir.c_str(), 0700) != 0) throw RunError(fmt::format("cannot create the part directory '{}': {}", dir, errno_text(errno)));
  PartsDir d = open_parts_dir(dir);
  kill_point("parts-dir");
  write_manifest(d, manifest);
  return d;
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
  for (const auto& output : sweep.output_names()) {
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

/// A sweep killed after its merged file was linked into place (phase "merged") and before its part
/// directory was removed: if `o.output` is that very merge, the sweep is finished (report of 0
/// runs done now, the analysis read back from the file) and the part directory is removed.
/// Ours means: the part directory is ours with this sweep's manifest (same experiment, same
/// build), a part for every run, and the file reads whole (every checksum, verify_results_file)
/// as a sweep file of the same experiment text, engine version and commit with every run ok. A
/// sweep with failed runs keeps its parts on purpose (--resume --force runs them again); anything
/// else gives nullopt, and the output is not touched.
std::optional<SweepReport> finished_merge(const Sweep& sweep, const SweepOptions& o, const std::string& dir, const std::string& manifest) {
  struct stat st {};
  if (o.processes != 1 || ::lstat(dir.c_str(), &st) != 0 || !unusable_dir(st).empty()) return std::nullopt;
  try {
    const PartsDir d = open_parts_dir(dir);
    if (!manifest_matches(d, manifest)) return std::nullopt;
    SweepReport report;
    report.runs = sweep.runs();
    for (std::size_t r = 0; r < report.runs; ++r) {
      const auto part = open_part(d, r);
      if (!part || part->h.failed != 0) return std::nullopt;
    }
    const ResultsIndex ix = verify_results_file(o.output);
    if (ix.attr("kind") != "sweep" || ix.attr("experiment") != sweep.to_yaml() || ix.attr("engine_version") != o.meta.engine_version ||
        ix.attr("git_commit") != o.meta.git_commit || ix.runs != report.runs || ix.status.size() != report.runs ||
        std::any_of(ix.status.begin(), ix.status.end(), [](std::int8_t s) { return s != 0; }))
      return std::nullopt;
    std::vector<std::vector<double>> values;
    for (const auto& name : sweep.output_names())
      values.push_back(read_window_means(o.output, name, sweep.experiment.analysis.first_day, sweep.last_day()));
    report.analysis = analyse(sweep, values);
    report.resumed = report.runs;
    report.parts_kept = o.keep_parts;
    if (!report.parts_kept) fs::remove_all(dir);  // a directory of ours (checked above); remove_all never follows links
    return report;
  } catch (const RunError&) {  // ResultsFileError is one: not a file of ours
    return std::nullopt;
  }
}

}  // namespace

std::string parts_directory(const std::string& output) {
  return output + ".parts";
}

SweepReport run_sweep(const Sweep& sweep, const SweepOptions& o) {
  SweepReport report;
  report.runs = sweep.runs();
  const std::string dir = parts_directory(o.output);
  const std::string manifest = manifest_text(sweep, o.meta, o.build_id);
  if (!o.overwrite && fs::symlink_status(o.output).type() != fs::file_type::not_found) {
    if (o.resume)
      if (auto finished = finished_merge(sweep, o, dir, manifest)) return std::move(*finished);
    throw OutputExistsError(fmt::format("refusing to overwrite existing file '{}'; pass --force to replace it{}", o.output,
                                        o.resume && fs::is_directory(fs::symlink_status(dir))
                                            ? fmt::format(" ('{}' is kept too, and the file is not this sweep's complete merge: add "
                                                          "--force to run what is missing or failed and merge again)",
                                                          dir)
                                            : ""));
  }
  kill_point("plan");

  // The part directory (prepared by process 0; the others learn its verdict).
  std::optional<PartsDir> parts;
  std::string verdict;
  if (o.process == 0) {
    try {
      parts = prepare_parts_dir(dir, manifest, o);
    } catch (const std::exception& e) {
      verdict = e.what();
      if (verdict.empty()) verdict = "cannot prepare the part directory";
    }
  }
  if (o.processes > 1 && o.agree) verdict = o.agree(verdict);
  if (!verdict.empty()) throw RunError(verdict);
  if (!parts) parts = open_parts_dir(dir);
  kill_point("manifest");

  // Runs still to do: missing, incomplete or failed, or with a part that cannot be the run's.
  Expectations expect(sweep);
  std::vector<std::size_t> todo;
  for (std::size_t r = 0; r < report.runs; ++r) {
    const auto part = open_part(*parts, r);
    std::string why;
    if (part && part->h.failed == 0 && (why = inconsistency(*part, expect.of(r))).empty()) {
      ++report.resumed;
      continue;
    }
    todo.push_back(r);
    if (!why.empty() && o.process == 0 && o.notice)
      o.notice(fmt::format("the part of run {} in '{}' is not a record of that run ({}): it is discarded and the run is done again", r, dir,
                           why));
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
          write_part(*parts, r, &result, "");
        } catch (const std::exception& e) {
          try {
            write_part(*parts, r, nullptr, e.what());
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
    std::exception_ptr cancelled;
    while (!finished.load()) {
      try {
        o.progress(done.load(), total);
      } catch (...) {
        // A throwing callback cancels the sweep (Ctrl-C in the Python module): the runs under way
        // finish and are saved as parts (a resume continues from them), then its exception is rethrown.
        cancelled = std::current_exception();
        stop.store(true);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    worker.join();
    if (cancelled) std::rethrow_exception(cancelled);
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
    const auto part = read_part(*parts, r, expect);
    if (part && !part->failed && !part->result.snapshot_days.empty()) {
      layout.snapshot_days = part->result.snapshot_days;
      layout.snapshot_agents = part->result.snapshot_agents;
      break;
    }
  }
  for (std::size_t j = 0; j < sweep.experiment.parameters.size(); ++j)
    layout.parameters.push_back(
        {sweep.experiment.parameters[j].name, "varied parameter " + sweep.experiment.parameters[j].name, "", {}, "parameter"});
  const std::size_t varied = layout.parameters.size();
  for (std::size_t j = 0; j < varied; ++j)  // the numbers a group changes, as each run used them
    if (sweep.is_group(j))
      for (const auto& t : sweep.targets[j])
        layout.parameters.push_back(
            {t.path, fmt::format("{} set by group {}", t.path, sweep.experiment.parameters[j].name), "", {}, "value"});
  for (std::size_t r = 0; r < report.runs; ++r) {
    const SweepRun run = sweep.run(r);
    const auto& pol = sweep.base.policies[sweep.policy_index[run.policy]];
    layout.policy.push_back(pol.name);
    layout.policy_type.push_back(pol.type);
    layout.replication.push_back(static_cast<std::int32_t>(run.replication));
    layout.point.push_back(static_cast<std::int32_t>(run.point));
    for (std::size_t j = 0; j < varied; ++j) layout.parameters[j].values.push_back(sweep.points[run.point][j]);
    for (std::size_t j = 0, k = varied; j < varied; ++j)
      if (sweep.is_group(j))
        for (const auto& t : sweep.targets[j]) layout.parameters[k++].values.push_back(Sweep::value_of(t, sweep.points[run.point][j]));
  }
  ResultsMeta meta = o.meta;
  meta.days = days;
  meta.unit_names = layout.unit_names;
  meta.extra_attrs.emplace_back("kind", "sweep");
  meta.extra_attrs.emplace_back("experiment", sweep.to_yaml());
  ResultsWriter writer(o.output, meta, layout, o.overwrite);

  const std::vector<std::string> outputs = sweep.output_names();
  std::vector<std::vector<double>> values(outputs.size(), std::vector<double>(report.runs, std::nan("")));
  // The robust comparison's outputs (experiment/robust.hpp), when the experiment has one.
  const std::vector<std::string> robust_outs = sweep.experiment.robust.present() ? robust_outputs(sweep) : std::vector<std::string>{};
  std::vector<std::vector<double>> robust_values(robust_outs.size(), std::vector<double>(report.runs, std::nan("")));
  const int first = sweep.experiment.analysis.first_day;
  const int last = sweep.last_day();
  for (std::size_t r = 0; r < report.runs; ++r) {
    auto part = read_part(*parts, r, expect);
    if (!part) {  // only if it was removed or changed during the sweep
      writer.write_failure(r, "the run's part file is missing, incomplete or inconsistent");
      report.failures.emplace_back(r, "the run's part file is missing, incomplete or inconsistent");
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
    if (r == 0) kill_point("merge");
    for (std::size_t k = 0; k < outputs.size(); ++k) values[k][r] = output_window_mean(res, outputs[k], layout.unit_names, first, last);
    for (std::size_t k = 0; k < robust_outs.size(); ++k)
      robust_values[k][r] = output_window_mean(res, robust_outs[k], layout.unit_names, first, last);
  }
  report.analysis = analyse(sweep, values);
  write_tables(writer, sweep, report.analysis);
  if (!robust_outs.empty()) {
    const RobustAnalysis robust = analyse_robust(sweep, [&](const std::string& name) {
      return robust_values.at(static_cast<std::size_t>(std::find(robust_outs.begin(), robust_outs.end(), name) - robust_outs.begin()));
    });
    write_robust(writer, sweep, robust);
  }
  kill_point("commit");
  writer.commit();
  kill_point("merged");
  // With failures the parts stay, so that --resume can run the failed runs again.
  report.parts_kept = o.keep_parts || !report.failures.empty();
  if (!report.parts_kept) {
    parts.reset();
    fs::remove_all(dir);  // never follows a link
  }
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
                                                  sweep.output_names().size() * sizeof(double));
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

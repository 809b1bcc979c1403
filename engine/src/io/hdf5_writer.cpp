// HDF5 results writer. This file is the only code that knows the layout of a results file.
//
// Layout (everything in the root group "/"; R = runs, D = days, U = units, S = snapshots,
// A = sampled agents). Strings are variable-length UTF-8. "Scale" means the dataset is an HDF5
// dimension scale (H5DSset_scale, NAME = dataset name); every axis of every N-D dataset has its
// scale attached (H5DSattach_scale), which is what makes h5netcdf/xarray see named dimensions.
//
//   Dimension coordinates (1-D scales, contiguous):
//     run(run)            int64   0..R-1                  long_name "run index", units "1"
//     day(day)            int32   0..D-1                  long_name "simulation day (day 0 is a Monday)", units "1"
//     unit(unit)          string  meta.unit_names          long_name "division"
//                         (only if some run has non-empty unit_series)
//     snapshot(snapshot)  int32   snapshot_days            long_name "day on which the agent snapshot was taken (day 0 is a Monday)", units
//     "1" agent(agent)        uint32  snapshot_agents          long_name "employee slot", units "1"
//                         (snapshot and agent only if some run has non-empty snapshots; values
//                          from the first such run, every other such run must match)
//   Non-index coordinates on run (1-D, run scale attached, contiguous):
//     policy(run)         string  RunResult::policy        long_name "policy label"
//     policy_type(run)    string  RunResult::policy_type   long_name "KPI regime type"
//     replication(run)    int32   RunResult::replication   long_name "replication index", units "1"
//   Data variables (attributes units, long_name from the variable tables, _FillValue = NaN of
//   the dataset's type, coordinates = "policy policy_type replication"):
//     <name>(run, day)                   float64  daily_variables(), from RunResult::series
//     unit_<name>(run, day, unit)        float64  daily variables with per_unit, from
//                                                 RunResult::unit_series [pv][unit][day]
//                                                 (only if the unit coordinate exists)
//     snap_<name>(run, snapshot, agent)  float32  snapshot_variables(), from RunResult::snapshots
//                                                 (only if the snapshot coordinate exists)
//   Runs without unit_series / snapshots are left unwritten in unit_* / snap_* and read as NaN
//   (HDF5 fill value NaN). Data variables are chunked (1, D), (1, D, U) and (1, S, A), with the
//   shuffle filter and deflate level 4.
//   Root attributes: engine_version, git_commit, build_type, simd, scenario_name, scenario_file,
//   scenario (resolved YAML), command_line, created_utc, Conventions = "CF-1.8",
//   title = "KPISim results: <scenario_name>" (strings); seed (uint64); threads (int32);
//   invariant_checks (int32, 1 when built with KPISIM_CHECKS).
//
// The file is written as "<path>.tmp-<pid>", closed and fsync'ed, then moved into place: with
// overwrite, renamed over <path>; without, hard-linked to <path> (link(2) fails if <path> exists,
// so a file that appeared meanwhile is never replaced) and the temporary removed. On file systems
// without hard links the existence check and rename are used instead.
#include "kpisim/io/hdf5_writer.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kpisim/core/error.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;

// Some HDF5 macros expand to C-style casts; take their values once here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
const hid_t kDefault = H5P_DEFAULT;
const hid_t kAllSpace = H5S_ALL;
const hid_t kDefaultErrorStack = H5E_DEFAULT;
const std::size_t kVariableSize = H5T_VARIABLE;
#pragma GCC diagnostic pop

constexpr const char* kCoordinates = "policy policy_type replication";
constexpr unsigned kDeflateLevel = 4;

/// Disables HDF5's automatic error-stack printing for the lifetime of the object.
class SilenceHdf5Errors {
 public:
  SilenceHdf5Errors() noexcept {
    saved_ = H5Eget_auto2(kDefaultErrorStack, &func_, &data_) >= 0;
    static_cast<void>(H5Eset_auto2(kDefaultErrorStack, nullptr, nullptr));
  }
  ~SilenceHdf5Errors() {
    if (saved_) static_cast<void>(H5Eset_auto2(kDefaultErrorStack, func_, data_));
  }
  SilenceHdf5Errors(const SilenceHdf5Errors&) = delete;
  SilenceHdf5Errors& operator=(const SilenceHdf5Errors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

/// The innermost message of the current HDF5 error stack (then clears the stack).
std::string hdf5_error_detail() {
  std::string detail;
  const auto walker = [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
    if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
    return 0;
  };
  static_cast<void>(H5Ewalk2(kDefaultErrorStack, H5E_WALK_UPWARD, walker, &detail));
  static_cast<void>(H5Eclear2(kDefaultErrorStack));
  return detail;
}

[[noreturn]] void fail(std::string_view what) {
  const std::string detail = hdf5_error_detail();
  if (detail.empty()) throw std::runtime_error(fmt::format("{} failed", what));
  throw std::runtime_error(fmt::format("{} failed (HDF5: {})", what, detail));
}

void check(herr_t status, std::string_view what) {
  if (status < 0) fail(what);
}

/// Owns an HDF5 identifier and closes it with the matching H5*close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid(hid_t id, Closer closer, std::string_view what) : id_(id), closer_(closer) {
    if (id_ < 0) fail(what);
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& other) noexcept : id_(std::exchange(other.id_, -1)), closer_(other.closer_) {}
  Hid& operator=(Hid&&) = delete;
  ~Hid() {
    if (id_ >= 0) static_cast<void>(closer_(id_));
  }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  /// Closes now and checks the result (needed for the file, whose close flushes data).
  void close(std::string_view what) {
    const hid_t id = std::exchange(id_, -1);
    check(closer_(id), what);
  }

 private:
  hid_t id_;
  Closer closer_;
};

Hid utf8_string_type() {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose, "copying the string type");
  check(H5Tset_size(type.get(), kVariableSize), "making the string type variable-length");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "setting the string type to UTF-8");
  return type;
}

Hid simple_space(const std::vector<hsize_t>& dims) {
  return Hid(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "creating a dataspace");
}

void set_string_attr(hid_t obj, const char* name, const std::string& value, std::string_view where) {
  const Hid type = utf8_string_type();
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar dataspace");
  const std::string what = fmt::format("writing attribute '{}' of {}", name, where);
  const Hid attr(H5Acreate2(obj, name, type.get(), space.get(), kDefault, kDefault), H5Aclose, what);
  const char* ptr = value.c_str();
  check(H5Awrite(attr.get(), type.get(), static_cast<const void*>(&ptr)), what);
}

template <typename T>
void set_scalar_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const T& value, std::string_view where) {
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar dataspace");
  const std::string what = fmt::format("writing attribute '{}' of {}", name, where);
  const Hid attr(H5Acreate2(obj, name, file_type, space.get(), kDefault, kDefault), H5Aclose, what);
  check(H5Awrite(attr.get(), mem_type, static_cast<const void*>(&value)), what);
}

void set_name_attrs(hid_t obj, const std::string& name, std::string_view long_name, std::string_view units) {
  const std::string where = fmt::format("dataset '{}'", name);
  set_string_attr(obj, "long_name", std::string(long_name), where);
  if (!units.empty()) set_string_attr(obj, "units", std::string(units), where);
}

/// A 1-D contiguous dataset holding `data` (numeric).
template <typename T>
Hid numeric_1d(hid_t file, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<T>& data) {
  const Hid space = simple_space({static_cast<hsize_t>(data.size())});
  const std::string what = fmt::format("creating dataset '{}'", name);
  Hid dset(H5Dcreate2(file, name.c_str(), file_type, space.get(), kDefault, kDefault, kDefault), H5Dclose, what);
  check(H5Dwrite(dset.get(), mem_type, kAllSpace, kAllSpace, kDefault, static_cast<const void*>(data.data())),
        fmt::format("writing dataset '{}'", name));
  return dset;
}

/// A 1-D contiguous dataset of variable-length UTF-8 strings.
Hid string_1d(hid_t file, const std::string& name, const std::vector<std::string>& data) {
  const Hid type = utf8_string_type();
  const Hid space = simple_space({static_cast<hsize_t>(data.size())});
  const std::string what = fmt::format("creating dataset '{}'", name);
  Hid dset(H5Dcreate2(file, name.c_str(), type.get(), space.get(), kDefault, kDefault, kDefault), H5Dclose, what);
  std::vector<const char*> ptrs;
  ptrs.reserve(data.size());
  for (const auto& s : data) ptrs.push_back(s.c_str());
  check(H5Dwrite(dset.get(), type.get(), kAllSpace, kAllSpace, kDefault, static_cast<const void*>(ptrs.data())),
        fmt::format("writing dataset '{}'", name));
  return dset;
}

void make_scale(hid_t dset, const std::string& name) {
  check(H5DSset_scale(dset, name.c_str()), fmt::format("making '{}' a dimension scale", name));
}

void attach_scales(hid_t dset, const std::string& name, const std::vector<hid_t>& scales) {
  for (std::size_t axis = 0; axis < scales.size(); ++axis)
    check(H5DSattach_scale(dset, scales[axis], static_cast<unsigned>(axis)),
          fmt::format("attaching dimension scale {} to '{}'", axis, name));
}

/// A chunked (1, dims[1], ...), shuffled, deflated float dataset with NaN fill value, its
/// attributes and its dimension scales attached.
template <typename T>
Hid data_variable(hid_t file, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<hsize_t>& dims,
                  const std::vector<hid_t>& scales, const VariableInfo& info) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const std::string what = fmt::format("creating dataset '{}'", name);
  const Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  std::vector<hsize_t> chunk = dims;
  chunk[0] = 1;
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
  check(H5Pset_shuffle(dcpl.get()), what);
  check(H5Pset_deflate(dcpl.get(), kDeflateLevel), what);
  check(H5Pset_fill_value(dcpl.get(), mem_type, &nan), what);
  const Hid space = simple_space(dims);
  Hid dset(H5Dcreate2(file, name.c_str(), file_type, space.get(), kDefault, dcpl.get(), kDefault), H5Dclose, what);
  const std::string where = fmt::format("dataset '{}'", name);
  set_name_attrs(dset.get(), name, info.long_name, info.units);
  set_scalar_attr(dset.get(), "_FillValue", file_type, mem_type, nan, where);
  set_string_attr(dset.get(), "coordinates", kCoordinates, where);
  attach_scales(dset.get(), name, scales);
  return dset;
}

/// Writes the slab of run `run` (dims[1..] values, row-major) into an N-D dataset.
template <typename T>
void write_run(hid_t dset, hid_t mem_type, const std::string& name, const std::vector<hsize_t>& dims, std::size_t run, const T* data) {
  const std::string what = fmt::format("writing run {} of dataset '{}'", run, name);
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  start[0] = static_cast<hsize_t>(run);
  count[0] = 1;
  const Hid file_space(H5Dget_space(dset), H5Sclose, what);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
  const Hid mem_space = simple_space(count);
  check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), kDefault, static_cast<const void*>(data)), what);
}

/// Dimensions of the file, established (and checked) before anything is written.
struct Shape {
  std::size_t runs = 0;
  std::size_t days = 0;
  std::size_t units = 0;                    ///< 0: no unit dimension
  std::vector<std::size_t> per_unit;        ///< daily indices of per_unit variables
  const RunResult* snapshot_ref = nullptr;  ///< first run with snapshots; nullptr: none
  std::size_t snapshots = 0;
  std::size_t agents = 0;
};

std::string describe(const std::vector<RunResult>& runs, std::size_t i) {
  return fmt::format("run {} (policy '{}', replication {})", i, runs[i].policy, runs[i].replication);
}

Shape check_shape(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs) {
  const auto bad = [&](const std::string& why) { return RunError(fmt::format("cannot write results file '{}': {}", path, why)); };
  if (runs.empty()) throw bad("there are no runs to write");
  Shape s;
  s.runs = runs.size();
  if (runs[0].days <= 0) throw bad(fmt::format("{} has {} days; at least 1 is needed", describe(runs, 0), runs[0].days));
  for (std::size_t i = 1; i < runs.size(); ++i)
    if (runs[i].days != runs[0].days)
      throw bad(fmt::format("all runs must have the same number of days, but {} has {} and {} has {}", describe(runs, 0), runs[0].days,
                            describe(runs, i), runs[i].days));
  if (meta.days != 0 && meta.days != runs[0].days)
    throw bad(fmt::format("the metadata says {} days but the runs have {}", meta.days, runs[0].days));
  s.days = static_cast<std::size_t>(runs[0].days);

  const auto& daily = daily_variables();
  for (std::size_t v = 0; v < daily.size(); ++v)
    if (daily[v].per_unit) s.per_unit.push_back(v);
  bool any_units = false;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].series.size() != daily.size() * s.days)
      throw bad(fmt::format("{} has {} daily values; expected {} variables x {} days", describe(runs, i), runs[i].series.size(),
                            daily.size(), s.days));
    any_units = any_units || !runs[i].unit_series.empty();
  }
  if (any_units) {
    s.units = meta.unit_names.size();
    if (s.units == 0) throw bad("runs have per-unit series but the metadata has no unit names");
    for (std::size_t i = 0; i < runs.size(); ++i)
      if (!runs[i].unit_series.empty() && runs[i].unit_series.size() != s.per_unit.size() * s.units * s.days)
        throw bad(fmt::format("{} has {} per-unit values; expected {} variables x {} units x {} days", describe(runs, i),
                              runs[i].unit_series.size(), s.per_unit.size(), s.units, s.days));
  }

  const std::size_t n_snap_vars = snapshot_variables().size();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = runs[i];
    if (r.snapshots.empty()) continue;
    if (s.snapshot_ref == nullptr) {
      if (r.snapshot_days.empty() || r.snapshot_agents.empty())
        throw bad(fmt::format("{} has snapshot values but no snapshot days or no sampled agents", describe(runs, i)));
      s.snapshot_ref = &r;
      s.snapshots = r.snapshot_days.size();
      s.agents = r.snapshot_agents.size();
    } else if (r.snapshot_days != s.snapshot_ref->snapshot_days || r.snapshot_agents != s.snapshot_ref->snapshot_agents) {
      throw bad(fmt::format("{} has different snapshot days or sampled agents than the first run with snapshots", describe(runs, i)));
    }
    if (r.snapshots.size() != n_snap_vars * s.snapshots * s.agents)
      throw bad(fmt::format("{} has {} snapshot values; expected {} variables x {} snapshots x {} agents", describe(runs, i),
                            r.snapshots.size(), n_snap_vars, s.snapshots, s.agents));
  }
  return s;
}

void write_contents(const std::string& file_name, const ResultsMeta& meta, const std::vector<RunResult>& runs, const Shape& s) {
  const Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating file access properties");
  // Closing the file closes everything in it, so the file really is closed before the rename.
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "setting the file close degree");
  Hid file(H5Fcreate(file_name.c_str(), H5F_ACC_TRUNC, kDefault, fapl.get()), H5Fclose,
           fmt::format("creating temporary file '{}'", file_name));
  const hid_t f = file.get();
  {
    // Root attributes.
    const std::string root = "the root group";
    set_string_attr(f, "Conventions", "CF-1.8", root);
    set_string_attr(f, "title", "KPISim results: " + meta.scenario_name, root);
    set_string_attr(f, "engine_version", meta.engine_version, root);
    set_string_attr(f, "git_commit", meta.git_commit, root);
    set_string_attr(f, "build_type", meta.build_type, root);
    set_string_attr(f, "simd", meta.simd, root);
    set_string_attr(f, "scenario_name", meta.scenario_name, root);
    set_string_attr(f, "scenario_file", meta.scenario_file, root);
    set_string_attr(f, "scenario", meta.scenario_yaml, root);
    set_string_attr(f, "command_line", meta.command_line, root);
    set_string_attr(f, "created_utc", meta.created_utc, root);
    const std::uint64_t seed = meta.seed;
    set_scalar_attr(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, seed, root);
    const std::int32_t threads = meta.threads;
    set_scalar_attr(f, "threads", H5T_STD_I32LE, H5T_NATIVE_INT32, threads, root);
    const std::int32_t checks = meta.invariant_checks ? 1 : 0;
    set_scalar_attr(f, "invariant_checks", H5T_STD_I32LE, H5T_NATIVE_INT32, checks, root);

    // Dimension coordinates.
    std::vector<std::int64_t> run_ids(s.runs);
    for (std::size_t i = 0; i < s.runs; ++i) run_ids[i] = static_cast<std::int64_t>(i);
    const Hid run = numeric_1d(f, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, run_ids);
    set_name_attrs(run.get(), "run", "run index", "1");
    make_scale(run.get(), "run");

    std::vector<std::int32_t> day_ids(s.days);
    for (std::size_t d = 0; d < s.days; ++d) day_ids[d] = static_cast<std::int32_t>(d);
    const Hid day = numeric_1d(f, "day", H5T_STD_I32LE, H5T_NATIVE_INT32, day_ids);
    set_name_attrs(day.get(), "day", "simulation day (day 0 is a Monday)", "1");
    make_scale(day.get(), "day");

    // Non-index coordinates on run.
    std::vector<std::string> policy, policy_type;
    std::vector<std::int32_t> replication;
    for (const RunResult& r : runs) {
      policy.push_back(r.policy);
      policy_type.push_back(r.policy_type);
      replication.push_back(static_cast<std::int32_t>(r.replication));
    }
    {
      const Hid d = string_1d(f, "policy", policy);
      set_name_attrs(d.get(), "policy", "policy label", "");
      attach_scales(d.get(), "policy", {run.get()});
    }
    {
      const Hid d = string_1d(f, "policy_type", policy_type);
      set_name_attrs(d.get(), "policy_type", "KPI regime type", "");
      attach_scales(d.get(), "policy_type", {run.get()});
    }
    {
      const Hid d = numeric_1d(f, "replication", H5T_STD_I32LE, H5T_NATIVE_INT32, replication);
      set_name_attrs(d.get(), "replication", "replication index", "1");
      attach_scales(d.get(), "replication", {run.get()});
    }

    // Daily variables.
    const auto& daily = daily_variables();
    const std::vector<hsize_t> dims2{s.runs, s.days};
    for (std::size_t v = 0; v < daily.size(); ++v) {
      const std::string name(daily[v].name);
      const Hid d = data_variable<double>(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims2, {run.get(), day.get()}, daily[v]);
      for (std::size_t i = 0; i < s.runs; ++i) write_run(d.get(), H5T_NATIVE_DOUBLE, name, dims2, i, runs[i].series.data() + v * s.days);
    }

    // Per-unit variables, transposed from [unit][day] to (day, unit).
    if (s.units > 0) {
      const Hid unit = string_1d(f, "unit", meta.unit_names);
      set_name_attrs(unit.get(), "unit", "division", "");
      make_scale(unit.get(), "unit");
      const std::vector<hsize_t> dims3{s.runs, s.days, s.units};
      std::vector<double> buf(s.days * s.units);
      for (std::size_t pv = 0; pv < s.per_unit.size(); ++pv) {
        const VariableInfo& info = daily[s.per_unit[pv]];
        const std::string name = "unit_" + std::string(info.name);
        const Hid d = data_variable<double>(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims3, {run.get(), day.get(), unit.get()}, info);
        for (std::size_t i = 0; i < s.runs; ++i) {
          const auto& us = runs[i].unit_series;
          if (us.empty()) continue;  // left as fill value (NaN)
          for (std::size_t u = 0; u < s.units; ++u)
            for (std::size_t dd = 0; dd < s.days; ++dd) buf[dd * s.units + u] = us[(pv * s.units + u) * s.days + dd];
          write_run(d.get(), H5T_NATIVE_DOUBLE, name, dims3, i, buf.data());
        }
      }
    }

    // Per-agent snapshots.
    if (s.snapshot_ref != nullptr) {
      std::vector<std::int32_t> snap_days(s.snapshot_ref->snapshot_days.begin(), s.snapshot_ref->snapshot_days.end());
      const Hid snapshot = numeric_1d(f, "snapshot", H5T_STD_I32LE, H5T_NATIVE_INT32, snap_days);
      set_name_attrs(snapshot.get(), "snapshot", "day on which the agent snapshot was taken (day 0 is a Monday)", "1");
      make_scale(snapshot.get(), "snapshot");
      const Hid agent = numeric_1d(f, "agent", H5T_STD_U32LE, H5T_NATIVE_UINT32, s.snapshot_ref->snapshot_agents);
      set_name_attrs(agent.get(), "agent", "employee slot", "1");
      make_scale(agent.get(), "agent");
      const auto& svars = snapshot_variables();
      const std::vector<hsize_t> dims3{s.runs, s.snapshots, s.agents};
      const std::size_t block = s.snapshots * s.agents;
      for (std::size_t sv = 0; sv < svars.size(); ++sv) {
        const std::string name = "snap_" + std::string(svars[sv].name);
        const Hid d =
            data_variable<float>(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims3, {run.get(), snapshot.get(), agent.get()}, svars[sv]);
        for (std::size_t i = 0; i < s.runs; ++i)
          if (!runs[i].snapshots.empty()) write_run(d.get(), H5T_NATIVE_FLOAT, name, dims3, i, runs[i].snapshots.data() + sv * block);
      }
    }
  }
  file.close(fmt::format("closing temporary file '{}'", file_name));
}

/// Flushes a closed file's data to disk so the rename cannot expose an incomplete file.
void sync_to_disk(const std::string& file_name) {
  const int fd = ::open(file_name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("opening '{}' to sync it failed: {}", file_name, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  static_cast<void>(::close(fd));
  if (rc != 0) throw std::runtime_error(fmt::format("syncing '{}' to disk failed: {}", file_name, std::strerror(err)));
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(path, ec));  // a dangling symlink counts as existing
}

[[noreturn]] void refuse_overwrite(const std::string& path) {
  throw OutputExistsError(fmt::format("refusing to overwrite existing file '{}'; pass --force to replace it", path));
}

}  // namespace

void write_hdf5(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs, bool overwrite) {
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  const Shape shape = check_shape(path, meta, runs);

  const std::string tmp = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  const SilenceHdf5Errors silence;
  try {
    write_contents(tmp, meta, runs, shape);
    sync_to_disk(tmp);
    if (overwrite) {
      std::error_code ec;
      fs::rename(tmp, path, ec);
      if (ec) throw std::runtime_error(fmt::format("renaming '{}' to '{}' failed: {}", tmp, path, ec.message()));
    } else {
      // link(2) fails if the target exists, so a file that appeared meanwhile is never replaced.
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        if (err == EEXIST) refuse_overwrite(path);
        if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EXDEV) {
          // No hard links here: fall back to check-then-rename (a narrow race remains).
          if (path_exists(path)) refuse_overwrite(path);
          std::error_code ec;
          fs::rename(tmp, path, ec);
          if (ec) throw std::runtime_error(fmt::format("renaming '{}' to '{}' failed: {}", tmp, path, ec.message()));
          return;
        }
        throw std::runtime_error(fmt::format("linking '{}' to '{}' failed: {}", tmp, path, std::strerror(err)));
      }
      std::error_code ignored;
      fs::remove(tmp, ignored);
    }
  } catch (const RunError&) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  } catch (const std::exception& e) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw RunError(fmt::format("cannot write results file '{}': {}", path, e.what()));
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

}  // namespace kpisim

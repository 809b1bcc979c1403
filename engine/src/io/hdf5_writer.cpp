// HDF5 results writer. This file defines the layout of a results file; hdf5_reader.cpp reads it
// back (no other code knows it).
//
// Layout (data in the root group "/"; R = runs, D = days, U = units, S = snapshots, A = sampled
// agents). Strings are variable-length UTF-8. "Scale" means the dataset is an HDF5 dimension scale
// (H5DSset_scale, NAME = dataset name); every axis of every N-D dataset has its scale attached
// (H5DSattach_scale), which is what makes h5netcdf/xarray see named dimensions. Link creation order
// is tracked in every group, so variables list in the order written.
//
//   Dimension coordinates (1-D scales; numeric ones checksummed, strings contiguous):
//     run(run)            int64   0..R-1                  long_name "run index", units "1"
//     day(day)            int32   0..D-1                  long_name "simulation day (day 0 is a Monday)", units "1"
//     unit(unit)          string  layout.unit_names        long_name "division"  (only if unit names are given)
//     snapshot(snapshot)  int32   layout.snapshot_days     long_name "day on which the agent snapshot was taken
//                                                          (day 0 is a Monday)", units "1"
//     agent(agent)        uint32  layout.snapshot_agents   long_name "employee slot", units "1"
//                         (snapshot and agent only if snapshot days are given)
//   Non-index coordinates on run (1-D, run scale attached; numeric ones checksummed, strings contiguous):
//     policy(run)         string  layout.policy            long_name "policy label"
//     policy_type(run)    string  layout.policy_type       long_name "KPI regime type"
//     replication(run)    int32   layout.replication       long_name "replication index", units "1"
//     point(run)          int32   layout.point             long_name "parameter point index", units "1"  (if given)
//     <parameter>(run)    float64 layout.parameters[i]     long_name, units as given; kpisim_role = "parameter"
//                                                          (names like "behaviour.effort_cost")
//     status(run)         int8    -1 not written, 0 ok, 1 failed; flag_values, flag_meanings  (if layout.status)
//     error(run)          string  "" or the failure message                                   (if layout.status)
//   Data variables (attributes units, long_name from the variable tables, _FillValue = NaN of
//   the dataset's type, coordinates = every run coordinate above, space-separated, in that order):
//     <name>(run, day)                   float64  daily_variables(), from RunResult::series
//     unit_<name>(run, day, unit)        float64  daily variables with per_unit, from
//                                                 RunResult::unit_series [pv][unit][day]
//                                                 (only if the unit coordinate exists)
//     snap_<name>(run, snapshot, agent)  float32  snapshot_variables(), from RunResult::snapshots
//                                                 (only if the snapshot coordinate exists)
//   Everything is created when the writer opens; runs are written as they arrive, in any order.
//   Unwritten runs, failed runs and runs without unit_series / snapshots read as NaN (HDF5 fill
//   value NaN). Data variables are chunked (1, D), (1, D, U) and (1, S, A) (one run per chunk),
//   with the shuffle filter, deflate level 4 and the Fletcher-32 checksum filter; the writer
//   disables their chunk cache, so each run's chunks go to the file when written. "Checksummed"
//   1-D datasets are chunked (up to 4096 values a chunk) with the Fletcher-32 filter alone (empty
//   table columns stay contiguous). Every chunk of every numeric dataset thus carries a checksum,
//   which HDF5 verifies on reading: damaged data fail to read instead of reading as intact.
//   String datasets stay contiguous (HDF5 allows no filter on variable-length data); instead, at
//   commit, every string dataset gets kpisim_crc32 (uint32, CRC-32 of its values) and every object
//   with string attributes kpisim_attrs_crc32 (uint32, CRC-32 of them): seal_strings, hdf5_util.hpp.
//   Tables (write_table), each in its own group G (possibly nested, e.g. "sensitivity/x"):
//     G/<dim>(<dim>)      string  labels (scale)
//     G/<column>(<dim>)   float64 long_name, units as given
//     string attributes of G as given
//   Root attributes: engine_version, git_commit, build_type, simd, scenario_name, scenario_file,
//   scenario (resolved YAML), command_line, created_utc, Conventions = "CF-1.8",
//   title = "KPISim results: <scenario_name>", then meta.extra_attrs (strings); seed (uint64);
//   threads (int32); invariant_checks (int32, 1 when built with KPISIM_CHECKS).
//
// ResultsWriter::in_memory (write_hdf5_image; the Python module) writes the same file with HDF5's core
// driver and no backing store, under a unique name that touches no disk, and image() returns its
// bytes as HDF5 frees them at close (file image callbacks), cut to the superblock's end-of-file.
//
// The file is written as "<path>.tmp-<pid>-<host>-<random>" (created by us with O_EXCL |
// O_NOFOLLOW, so never an existing file or a planted link; HDF5 opens it through /proc/self/fd and
// must find that very inode),
// closed and fsync'ed, then moved into place: with overwrite, renamed over <path>; without,
// hard-linked to <path> (link(2) fails if <path> exists, so a file that appeared meanwhile is never
// replaced) and the temporary removed. On file systems without hard links the existence check and
// rename are used instead. A writer killed (kill -9) leaves its temporary file; the next writer of
// the same <path> removes those of this user whose process no longer runs on this host.
#include "kpisim/io/hdf5_writer.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hdf5_util.hpp"
#include "kpisim/core/error.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;
using h5::check;
using h5::Hid;
using h5::kAllSpace;
using h5::kDefault;
using h5::simple_space;
using h5::utf8_string_type;

constexpr unsigned kDeflateLevel = 4;
/// Values per chunk of the 1-D datasets: a chunk (at most 64 KiB of variable-length string
/// references) fits HDF5's default 1 MiB chunk cache, so writing one run's status is not a
/// read-modify-write of the whole coordinate.
constexpr hsize_t kChunk1d = 4096;
constexpr std::int8_t kStatusNotWritten = -1;
constexpr std::int8_t kStatusOk = 0;
constexpr std::int8_t kStatusFailed = 1;

void set_string_attr(hid_t obj, const std::string& name, const std::string& value, std::string_view where) {
  const Hid type = utf8_string_type();
  const Hid space(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar dataspace");
  const std::string what = fmt::format("writing attribute '{}' of {}", name, where);
  const Hid attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), kDefault, kDefault), H5Aclose, what);
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

template <typename T>
void set_array_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const std::vector<T>& values, std::string_view where) {
  const Hid space = simple_space({static_cast<hsize_t>(values.size())});
  const std::string what = fmt::format("writing attribute '{}' of {}", name, where);
  const Hid attr(H5Acreate2(obj, name, file_type, space.get(), kDefault, kDefault), H5Aclose, what);
  check(H5Awrite(attr.get(), mem_type, static_cast<const void*>(values.data())), what);
}

void set_name_attrs(hid_t obj, const std::string& name, std::string_view long_name, std::string_view units) {
  const std::string where = fmt::format("dataset '{}'", name);
  set_string_attr(obj, "long_name", std::string(long_name), where);
  if (!units.empty()) set_string_attr(obj, "units", std::string(units), where);
}

/// Creation properties of a 1-D dataset of `n` values: chunks of up to kChunk1d values with the
/// Fletcher-32 checksum filter (a damaged chunk then fails to read instead of reading as intact).
/// An empty dataset (a table without rows) stays contiguous: it has no data to damage.
Hid checksummed_1d(std::size_t n, std::string_view what) {
  Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  if (n == 0) return dcpl;
  const hsize_t chunk = std::min<hsize_t>(n, kChunk1d);
  check(H5Pset_chunk(dcpl.get(), 1, &chunk), what);
  check(H5Pset_fletcher32(dcpl.get()), what);
  return dcpl;
}

/// A 1-D checksummed dataset holding `data` (numeric).
template <typename T>
Hid numeric_1d(hid_t loc, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<T>& data) {
  const Hid space = simple_space({static_cast<hsize_t>(data.size())});
  const std::string what = fmt::format("creating dataset '{}'", name);
  const Hid dcpl = checksummed_1d(data.size(), what);
  Hid dset(H5Dcreate2(loc, name.c_str(), file_type, space.get(), kDefault, dcpl.get(), kDefault), H5Dclose, what);
  if (!data.empty())
    check(H5Dwrite(dset.get(), mem_type, kAllSpace, kAllSpace, kDefault, static_cast<const void*>(data.data())),
          fmt::format("writing dataset '{}'", name));
  return dset;
}

/// A 1-D contiguous dataset of variable-length UTF-8 strings (HDF5 allows no filter, hence no
/// checksum, on variable-length data).
Hid string_1d(hid_t loc, const std::string& name, const std::vector<std::string>& data) {
  const Hid type = utf8_string_type();
  const Hid space = simple_space({static_cast<hsize_t>(data.size())});
  const std::string what = fmt::format("creating dataset '{}'", name);
  Hid dset(H5Dcreate2(loc, name.c_str(), type.get(), space.get(), kDefault, kDefault, kDefault), H5Dclose, what);
  std::vector<const char*> ptrs;
  ptrs.reserve(data.size());
  for (const auto& s : data) ptrs.push_back(s.c_str());
  if (!data.empty())
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
/// attributes and its dimension scales attached. `dapl` disables the chunk cache.
template <typename T>
Hid data_variable(hid_t file, const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<hsize_t>& dims,
                  const std::vector<hid_t>& scales, const VariableInfo& info, const std::string& coordinates, hid_t dapl) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const std::string what = fmt::format("creating dataset '{}'", name);
  const Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
  std::vector<hsize_t> chunk = dims;
  chunk[0] = 1;
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what);
  check(H5Pset_shuffle(dcpl.get()), what);
  check(H5Pset_deflate(dcpl.get(), kDeflateLevel), what);
  check(H5Pset_fletcher32(dcpl.get()), what);  // last: it checksums the bytes as stored
  check(H5Pset_fill_value(dcpl.get(), mem_type, &nan), what);
  const Hid space = simple_space(dims);
  Hid dset(H5Dcreate2(file, name.c_str(), file_type, space.get(), kDefault, dcpl.get(), dapl), H5Dclose, what);
  const std::string where = fmt::format("dataset '{}'", name);
  set_name_attrs(dset.get(), name, info.long_name, info.units);
  set_scalar_attr(dset.get(), "_FillValue", file_type, mem_type, nan, where);
  set_string_attr(dset.get(), "coordinates", coordinates, where);
  attach_scales(dset.get(), name, scales);
  return dset;
}

/// Writes the slab of run `run` (dims[1..] values, row-major) into an N-D dataset.
template <typename T>
void write_slab(hid_t dset, hid_t mem_type, std::string_view name, std::size_t run, const T* data) {
  const std::string what = fmt::format("writing run {} of dataset '{}'", run, name);
  const Hid file_space(H5Dget_space(dset), H5Sclose, what);
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  if (rank < 1) h5::fail(what);
  std::vector<hsize_t> count(static_cast<std::size_t>(rank));
  check(H5Sget_simple_extent_dims(file_space.get(), count.data(), nullptr), what);
  std::vector<hsize_t> start(count.size(), 0);
  start[0] = static_cast<hsize_t>(run);
  count[0] = 1;
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
  const Hid mem_space = simple_space(count);
  check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), kDefault, static_cast<const void*>(data)), what);
}

/// Writes one element of a 1-D dataset (numeric; for strings pass a `const char*` and the string type).
template <typename T>
void write_element(hid_t dset, hid_t mem_type, std::string_view name, std::size_t run, const T& value) {
  const std::string what = fmt::format("writing run {} of '{}'", run, name);
  const Hid file_space(H5Dget_space(dset), H5Sclose, what);
  const hsize_t start = run;
  const hsize_t count = 1;
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr), what);
  const Hid mem_space = simple_space({1});
  check(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), kDefault, static_cast<const void*>(&value)), what);
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

/// Moves the closed, synced temporary file to `path` (see the header comment).
void move_into_place(const std::string& tmp, const std::string& path, bool overwrite) {
  if (overwrite) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw std::runtime_error(fmt::format("renaming '{}' to '{}' failed: {}", tmp, path, ec.message()));
    return;
  }
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

/// The temporary files' tag of this host (PIDs are only meaningful on their host).
std::string host_tag() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "00000000";
  return fmt::format("{:08x}", static_cast<std::uint32_t>(std::hash<std::string>{}(name.data())));
}

/// Creates the temporary file of `path` exclusively, without following links, under an
/// unpredictable name (returned in `tmp`), with the mode HDF5 would give it (0666 less the umask).
/// Returns its descriptor, kept open so that the file HDF5 opens can be checked to be this one.
int create_temporary(const std::string& path, std::string& tmp) {
  std::random_device random;
  const std::string prefix = fmt::format("{}.tmp-{}-{}-", path, static_cast<long>(::getpid()), host_tag());
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = fmt::format("{}{:08x}", prefix, static_cast<std::uint32_t>(random()));
    const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) break;
  }
  const int err = errno;
  const std::string shown = tmp;
  tmp.clear();  // nothing of ours to remove
  throw std::runtime_error(fmt::format("creating temporary file '{}' failed: {}", shown, std::strerror(err)));
}

/// Removes the temporary files of `path` that killed writers left: named as create_temporary names
/// them, with this host's tag and the PID of no running process, regular files of this user.
void remove_stale_temporaries(const std::string& path) {
  const fs::path p(path);
  const std::string prefix = p.filename().string() + ".tmp-";
  const std::string tag = host_tag();
  std::error_code ec;
  for (fs::directory_iterator it(p.parent_path().empty() ? fs::path(".") : p.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    // <pid>-<tag>-<random>: 1 to 10 digits, then two groups of 8 hex digits.
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    const auto dash = rest.find('-');
    const auto all = [](std::string_view text, int (*is)(int)) {
      return std::all_of(text.begin(), text.end(), [is](char c) { return is(static_cast<unsigned char>(c)) != 0; });
    };
    if (dash == std::string_view::npos || dash == 0 || dash > 10 || rest.size() != dash + 18 || rest[dash + 9] != '-' ||
        rest.substr(dash + 1, 8) != tag || !all(rest.substr(0, dash), ::isdigit) || !all(rest.substr(dash + 10), ::isxdigit))
      continue;
    const long pid = std::stol(std::string(rest.substr(0, dash)));
    if (pid <= 0 || pid == static_cast<long>(::getpid()) || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) continue;
    static_cast<void>(::unlink(it->path().c_str()));
  }
}

/// Runs `f` with HDF5's error printing off; any non-RunError exception becomes a RunError naming `path`.
template <typename F>
void guarded(const std::string& path, F&& f) {
  const h5::SilenceErrors silence;
  try {
    std::forward<F>(f)();
  } catch (const RunError&) {
    throw;
  } catch (const std::exception& e) {
    throw RunError(fmt::format("cannot write results file '{}': {}", path, e.what()));
  }
}

/// Writes uint32 attribute `name` of `obj` (replacing one written before).
void set_crc_attr(hid_t obj, const char* name, std::uint32_t value, std::string_view where) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) h5::fail(fmt::format("looking up attribute '{}' of {}", name, where));
  if (exists > 0) check(H5Adelete(obj, name), fmt::format("replacing attribute '{}' of {}", name, where));
  set_scalar_attr(obj, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, value, where);
}

/// Stores the CRC-32 checksums of every variable-length string in the file (HDF5 keeps them in its
/// global heap, which has no checksum): on each string dataset, h5::kDataCrc32 over its values; on
/// each object with string attributes, h5::kAttrsCrc32 over them. Called when everything is written.
void seal_strings(hid_t file) {
  std::vector<std::string> objects;
  const auto collect = [](hid_t /*obj*/, const char* name, const H5O_info_t* /*info*/, void* data) noexcept -> herr_t {
    try {
      static_cast<std::vector<std::string>*>(data)->emplace_back(name);
      return 0;
    } catch (...) {
      return -1;
    }
  };
  check(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect, &objects, H5O_INFO_BASIC), "listing the objects of the file");
  const Hid str_type = utf8_string_type();
  for (const auto& name : objects) {
    const std::string where = name == "." ? std::string("the root group") : fmt::format("'{}'", name);
    const std::string what = fmt::format("checksumming the strings of {}", where);
    const Hid obj(H5Oopen(file, name.c_str(), kDefault), H5Oclose, what);
    if (H5Iget_type(obj.get()) == H5I_DATASET) {
      const Hid type(H5Dget_type(obj.get()), H5Tclose, what);
      if (H5Tget_class(type.get()) == H5T_STRING && H5Tis_variable_str(type.get()) > 0) {
        const Hid space(H5Dget_space(obj.get()), H5Sclose, what);
        const hssize_t n = H5Sget_simple_extent_npoints(space.get());
        if (n < 0) h5::fail(what);
        std::vector<char*> ptrs(static_cast<std::size_t>(n), nullptr);
        h5::StringsCrc crc;
        if (n > 0) {
          check(H5Dread(obj.get(), str_type.get(), kAllSpace, kAllSpace, kDefault, ptrs.data()), what);
          for (const char* p : ptrs) crc.add(p != nullptr ? p : "");
          check(H5Dvlen_reclaim(str_type.get(), space.get(), kDefault, ptrs.data()), what);
        }
        set_crc_attr(obj.get(), h5::kDataCrc32, crc.value(), where);
      }
    }
    std::vector<std::string> attr_names;
    const auto names = [](hid_t /*loc*/, const char* attr, const H5A_info_t* /*info*/, void* data) noexcept -> herr_t {
      try {
        static_cast<std::vector<std::string>*>(data)->emplace_back(attr);
        return 0;
      } catch (...) {
        return -1;
      }
    };
    hsize_t idx = 0;
    check(H5Aiterate2(obj.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, names, &attr_names), what);
    std::vector<std::pair<std::string, std::string>> strings;
    for (const auto& a : attr_names) {
      const Hid attr(H5Aopen(obj.get(), a.c_str(), kDefault), H5Aclose, what);
      const Hid type(H5Aget_type(attr.get()), H5Tclose, what);
      const Hid space(H5Aget_space(attr.get()), H5Sclose, what);
      if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0 || H5Sget_simple_extent_npoints(space.get()) != 1)
        continue;
      char* p = nullptr;
      check(H5Aread(attr.get(), str_type.get(), static_cast<void*>(&p)), what);
      strings.emplace_back(a, p != nullptr ? p : "");
      static_cast<void>(H5free_memory(p));
    }
    if (!strings.empty()) set_crc_attr(obj.get(), h5::kAttrsCrc32, h5::attrs_crc32(std::move(strings)), where);
  }
}

std::string describe(std::size_t run, const RunResult& r) {
  return fmt::format("run {} (policy '{}', replication {})", run, r.policy, r.replication);
}

/// A name usable for an HDF5 link and inside the space-separated `coordinates` attribute.
bool valid_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; });
}

/// Names of every dataset the root group can hold apart from parameters.
std::set<std::string, std::less<>> reserved_names() {
  std::set<std::string, std::less<>> names{"run",         "day",         "unit",  "snapshot", "agent", "policy",
                                           "policy_type", "replication", "point", "status",   "error"};
  for (const auto& v : daily_variables()) {
    names.emplace(v.name);
    if (v.per_unit) names.insert("unit_" + std::string(v.name));
  }
  for (const auto& v : snapshot_variables()) names.insert("snap_" + std::string(v.name));
  return names;
}

constexpr std::string_view kBuiltinAttrs[] = {"Conventions", "title",         "engine_version", "git_commit",      "build_type",
                                              "simd",        "scenario_name", "scenario_file",  "scenario",        "command_line",
                                              "created_utc", "seed",          "threads",        "invariant_checks"};

void validate_layout(const std::string& path, const ResultsMeta& meta, const ResultsLayout& l) {
  const auto bad = [&](const std::string& why) { return RunError(fmt::format("cannot write results file '{}': {}", path, why)); };
  if (l.runs == 0) throw bad("there are no runs to write");
  if (l.days <= 0) throw bad(fmt::format("the layout has {} days; at least 1 is needed", l.days));
  if (meta.days != 0 && meta.days != l.days) throw bad(fmt::format("the metadata says {} days but the layout has {}", meta.days, l.days));
  const auto check_size = [&](std::string_view what, std::size_t n) {
    if (n != l.runs) throw bad(fmt::format("the layout has {} runs but {} values of '{}'", l.runs, n, what));
  };
  check_size("policy", l.policy.size());
  check_size("policy_type", l.policy_type.size());
  check_size("replication", l.replication.size());
  if (!l.point.empty()) check_size("point", l.point.size());
  if (l.snapshot_days.empty() != l.snapshot_agents.empty())
    throw bad(l.snapshot_days.empty() ? "the layout has sampled agents but no snapshot days"
                                      : "the layout has snapshot days but no sampled agents");

  const auto reserved = reserved_names();
  std::set<std::string, std::less<>> seen;
  for (const auto& p : l.parameters) {
    if (!valid_name(p.name))
      throw bad(fmt::format("parameter name '{}' is not usable as a variable name (empty, '.', or containing '/' or white space)", p.name));
    if (reserved.count(p.name) > 0) throw bad(fmt::format("parameter name '{}' clashes with a variable of the results file", p.name));
    if (!seen.insert(p.name).second) throw bad(fmt::format("parameter '{}' is given twice", p.name));
    check_size(p.name, p.values.size());
  }
  seen.clear();
  for (const auto& [name, value] : meta.extra_attrs) {
    if (name.empty()) throw bad("an extra root attribute has an empty name");
    if (std::find(std::begin(kBuiltinAttrs), std::end(kBuiltinAttrs), name) != std::end(kBuiltinAttrs))
      throw bad(fmt::format("extra root attribute '{}' clashes with a built-in attribute", name));
    if (!seen.insert(name).second) throw bad(fmt::format("extra root attribute '{}' is given twice", name));
  }
}

/// The bytes of an in-memory file, taken when HDF5 frees them at its close (the core driver's
/// memory comes from these file image callbacks): the very bytes a closed file on disk would hold.
struct ImageCapture {
  void* mem = nullptr;
  std::size_t size = 0;  ///< allocated size of `mem` (the driver grows it in steps)
  std::string bytes;     ///< the file, set at close
  bool closed = false;
};

void* image_malloc(std::size_t size, H5FD_file_image_op_t /*op*/, void* udata) noexcept {
  auto* c = static_cast<ImageCapture*>(udata);
  c->mem = std::malloc(size);  // NOLINT(cppcoreguidelines-no-malloc): HDF5 frees and grows it through these callbacks
  c->size = c->mem != nullptr ? size : 0;
  return c->mem;
}

void* image_memcpy(void* dest, const void* src, std::size_t size, H5FD_file_image_op_t /*op*/, void* /*udata*/) noexcept {
  return std::memcpy(dest, src, size);
}

void* image_realloc(void* ptr, std::size_t size, H5FD_file_image_op_t /*op*/, void* udata) noexcept {
  auto* c = static_cast<ImageCapture*>(udata);
  void* grown = std::realloc(ptr, size);  // NOLINT(cppcoreguidelines-no-malloc)
  if (grown != nullptr) {
    c->mem = grown;
    c->size = size;
  }
  return grown;
}

herr_t image_free(void* ptr, H5FD_file_image_op_t op, void* udata) noexcept {
  auto* c = static_cast<ImageCapture*>(udata);
  if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && ptr != nullptr && ptr == c->mem) {
    try {
      c->bytes.assign(static_cast<const char*>(ptr), c->size);
      c->closed = true;
    } catch (...) {
      c->bytes.clear();  // no memory for the copy: image() reports it
    }
    c->mem = nullptr;
  }
  std::free(ptr);  // NOLINT(cppcoreguidelines-no-malloc)
  return 0;
}

// The capture is shared by every copy HDF5 makes of the property list: it lives as long as the writer.
void* image_udata_copy(void* udata) noexcept {
  return udata;
}
herr_t image_udata_free(void* /*udata*/) noexcept {
  return 0;
}

/// The end-of-file address in the superblock (version 2 or 3, 8-byte addresses, which is what the
/// writer creates) of a file image: the file's length, which the driver's allocation exceeds.
std::size_t image_length(const std::string& bytes) {
  constexpr std::size_t kEofOffset = 8 + 4 + 8 + 8;  // signature, version/sizes/flags, base address, extension address
  const bool ok =
      bytes.size() >= kEofOffset + 8 && bytes.compare(0, 8, "\x89HDF\r\n\x1a\n") == 0 && (bytes[8] == 2 || bytes[8] == 3) && bytes[9] == 8;
  if (!ok) throw std::runtime_error("the in-memory file does not start with the superblock this writer creates");
  std::uint64_t eof = 0;
  for (std::size_t i = 0; i < 8; ++i) eof |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[kEofOffset + i])) << (8 * i);
  if (eof > bytes.size()) throw std::runtime_error("the in-memory file is shorter than its superblock says");
  return static_cast<std::size_t>(eof);
}

}  // namespace

struct ResultsWriter::Impl {
  std::string path, tmp;
  int tmp_fd = -1;  ///< the temporary file as we created it (create_temporary), open until the end
  bool overwrite = false;
  bool memory = false;   ///< in memory (HDF5's core driver without a backing store): no tmp, no tmp_fd
  ImageCapture capture;  ///< the in-memory file's bytes
  std::size_t runs = 0, days = 0, units = 0, snapshots = 0, agents = 0;
  std::vector<int> snapshot_days;
  std::vector<std::uint32_t> snapshot_agents;
  bool status = false;
  std::vector<std::size_t> per_unit;  ///< daily indices of per_unit variables
  std::vector<bool> written;          ///< run has data (not NaN) in the file
  std::vector<bool> failed;           ///< run has a non-empty error message
  std::optional<Hid> file;
  std::vector<Hid> daily, unit, snap;
  std::optional<Hid> status_ds, error_ds;
  std::vector<double> buf;  ///< one run's (day, unit) slab, or NaN row
  std::vector<float> fbuf;  ///< one run's NaN snapshot slab
  bool finished = false;    ///< committed, or a commit failed: nothing more can be done

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  Impl(Impl&&) = delete;
  Impl& operator=(Impl&&) = delete;
  ~Impl() {
    if (!finished) abandon();
  }

  void close_datasets() noexcept {
    daily.clear();
    unit.clear();
    snap.clear();
    status_ds.reset();
    error_ds.reset();
  }

  /// Closes everything and removes the temporary file (errors ignored).
  void abandon() noexcept {
    const h5::SilenceErrors silence;
    close_datasets();
    if (file) file->reset();
    file.reset();
    close_tmp_fd();
    if (!tmp.empty()) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
    }
    finished = true;
  }

  void close_tmp_fd() noexcept {
    if (tmp_fd >= 0) static_cast<void>(::close(std::exchange(tmp_fd, -1)));
  }

  void create(const ResultsMeta& meta, const ResultsLayout& l);
  void create_on_disk(hid_t fapl, hid_t fcpl);
  void write_layout(const ResultsMeta& meta, const ResultsLayout& l);
  void write_nan(std::size_t run);
  void check_run(std::size_t run) const;
};

void ResultsWriter::Impl::check_run(std::size_t run) const {
  if (finished) throw RunError(fmt::format("cannot write results file '{}': the writer has already committed or failed", path));
  if (run >= runs)
    throw RunError(fmt::format("cannot write results file '{}': run index {} is out of range (the file has {} runs)", path, run, runs));
}

void ResultsWriter::Impl::create(const ResultsMeta& meta, const ResultsLayout& l) {
  runs = l.runs;
  days = static_cast<std::size_t>(l.days);
  units = l.unit_names.size();
  snapshot_days = l.snapshot_days;
  snapshot_agents = l.snapshot_agents;
  snapshots = snapshot_days.size();
  agents = snapshot_agents.size();
  status = l.status;
  written.assign(runs, false);
  failed.assign(runs, false);
  const auto& dvars = daily_variables();
  for (std::size_t v = 0; v < dvars.size(); ++v)
    if (dvars[v].per_unit) per_unit.push_back(v);

  const Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating file access properties");
  // Closing the file closes everything in it, so the file really is closed before the rename.
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "setting the file close degree");
  // The HDF5 1.10 file format: its object headers, chunk indexes (fixed arrays), B-trees and
  // heaps carry checksums, so damaged metadata are detected as well as damaged data (the format
  // of earlier versions checksums nothing). Readers need HDF5 1.10 or later (Debian 12 has 1.10.8).
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), "choosing the HDF5 1.10 file format");
  const Hid fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "creating file creation properties");
  check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "tracking link creation order");
  if (memory) {
    check(H5Pset_fapl_core(fapl.get(), std::size_t{1} << 20, /*backing_store=*/0), "choosing the in-memory file driver");
    H5FD_file_image_callbacks_t callbacks{image_malloc,     image_memcpy,     image_realloc, image_free,
                                          image_udata_copy, image_udata_free, &capture};
    check(H5Pset_file_image_callbacks(fapl.get(), &callbacks), "setting the in-memory file's callbacks");
    // HDF5 takes two files of the same name for the same file: each in-memory writer has its own.
    static std::atomic<unsigned long long> serial{0};
    const std::string name = fmt::format("kpisim-memory-{}-{}", static_cast<long>(::getpid()), serial.fetch_add(1));
    file.emplace(H5Fcreate(name.c_str(), H5F_ACC_EXCL, fcpl.get(), fapl.get()), H5Fclose, fmt::format("creating '{}' in memory", path));
  } else {
    create_on_disk(fapl.get(), fcpl.get());
  }
  write_layout(meta, l);
}

void ResultsWriter::Impl::create_on_disk(hid_t fapl, hid_t fcpl) {
  // HDF5 opens files by name. Through /proc/self/fd it reaches the very file we created, whatever is
  // put at its name meanwhile; without /proc, by its name, and the check below refuses a substitute.
  const std::string by_fd = fmt::format("/proc/self/fd/{}", tmp_fd);
  const std::string open_name = ::access(by_fd.c_str(), F_OK) == 0 ? by_fd : tmp;
  file.emplace(H5Fcreate(open_name.c_str(), H5F_ACC_TRUNC, fcpl, fapl), H5Fclose, fmt::format("creating temporary file '{}'", tmp));
  void* handle = nullptr;
  check(H5Fget_vfd_handle(file->get(), fapl, &handle), fmt::format("inspecting temporary file '{}'", tmp));
  struct stat ours {
  }, opened{};
  if (handle == nullptr || ::fstat(tmp_fd, &ours) != 0 || ::fstat(*static_cast<const int*>(handle), &opened) != 0 ||
      ours.st_dev != opened.st_dev || ours.st_ino != opened.st_ino)
    throw std::runtime_error(fmt::format("the temporary file '{}' was replaced while it was being opened", tmp));
}

void ResultsWriter::Impl::write_layout(const ResultsMeta& meta, const ResultsLayout& l) {
  const auto& dvars = daily_variables();
  const hid_t f = file->get();

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
  for (const auto& [name, value] : meta.extra_attrs) set_string_attr(f, name, value, root);
  const std::uint64_t seed = meta.seed;
  set_scalar_attr(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, seed, root);
  const std::int32_t threads = meta.threads;
  set_scalar_attr(f, "threads", H5T_STD_I32LE, H5T_NATIVE_INT32, threads, root);
  const std::int32_t checks = meta.invariant_checks ? 1 : 0;
  set_scalar_attr(f, "invariant_checks", H5T_STD_I32LE, H5T_NATIVE_INT32, checks, root);

  // Dimension coordinates.
  std::vector<std::int64_t> run_ids(runs);
  for (std::size_t i = 0; i < runs; ++i) run_ids[i] = static_cast<std::int64_t>(i);
  const Hid run = numeric_1d(f, "run", H5T_STD_I64LE, H5T_NATIVE_INT64, run_ids);
  set_name_attrs(run.get(), "run", "run index", "1");
  make_scale(run.get(), "run");
  run_ids = {};

  std::vector<std::int32_t> day_ids(days);
  for (std::size_t d = 0; d < days; ++d) day_ids[d] = static_cast<std::int32_t>(d);
  const Hid day = numeric_1d(f, "day", H5T_STD_I32LE, H5T_NATIVE_INT32, day_ids);
  set_name_attrs(day.get(), "day", "simulation day (day 0 is a Monday)", "1");
  make_scale(day.get(), "day");

  // Non-index coordinates on run.
  std::string coordinates = "policy policy_type replication";
  {
    const Hid d = string_1d(f, "policy", l.policy);
    set_name_attrs(d.get(), "policy", "policy label", "");
    attach_scales(d.get(), "policy", {run.get()});
  }
  {
    const Hid d = string_1d(f, "policy_type", l.policy_type);
    set_name_attrs(d.get(), "policy_type", "KPI regime type", "");
    attach_scales(d.get(), "policy_type", {run.get()});
  }
  {
    const Hid d = numeric_1d(f, "replication", H5T_STD_I32LE, H5T_NATIVE_INT32, l.replication);
    set_name_attrs(d.get(), "replication", "replication index", "1");
    attach_scales(d.get(), "replication", {run.get()});
  }
  if (!l.point.empty()) {
    const Hid d = numeric_1d(f, "point", H5T_STD_I32LE, H5T_NATIVE_INT32, l.point);
    set_name_attrs(d.get(), "point", "parameter point index", "1");
    attach_scales(d.get(), "point", {run.get()});
    coordinates += " point";
  }
  for (const auto& p : l.parameters) {
    const Hid d = numeric_1d(f, p.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, p.values);
    set_name_attrs(d.get(), p.name, p.long_name.empty() ? p.name : p.long_name, p.units);
    set_string_attr(d.get(), "kpisim_role", p.role, fmt::format("dataset '{}'", p.name));
    attach_scales(d.get(), p.name, {run.get()});
    coordinates += " " + p.name;
  }
  if (status) {
    Hid d = numeric_1d(f, "status", H5T_STD_I8LE, H5T_NATIVE_INT8, std::vector<std::int8_t>(runs, kStatusNotWritten));
    set_string_attr(d.get(), "long_name", "run status", "dataset 'status'");
    set_array_attr(d.get(), "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT8,
                   std::vector<std::int8_t>{kStatusNotWritten, kStatusOk, kStatusFailed}, "dataset 'status'");
    set_string_attr(d.get(), "flag_meanings", "not_written ok failed", "dataset 'status'");
    attach_scales(d.get(), "status", {run.get()});
    status_ds.emplace(std::move(d));
    Hid e = string_1d(f, "error", std::vector<std::string>(runs));
    set_name_attrs(e.get(), "error", "error message of a failed run (empty when it succeeded or was not written)", "");
    attach_scales(e.get(), "error", {run.get()});
    error_ds.emplace(std::move(e));
    coordinates += " status error";
  }

  // Data variables, with the chunk cache off: every write covers whole chunks (one run), so
  // nothing needs caching and memory stays at one run's data.
  const Hid dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose, "creating dataset access properties");
  check(H5Pset_chunk_cache(dapl.get(), 0, 0, 1.0), "disabling the chunk cache");
  const std::vector<hsize_t> dims2{runs, days};
  for (const auto& v : dvars)
    daily.push_back(data_variable<double>(f, std::string(v.name), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims2, {run.get(), day.get()}, v,
                                          coordinates, dapl.get()));
  if (units > 0) {
    const Hid unit_scale = string_1d(f, "unit", l.unit_names);
    set_name_attrs(unit_scale.get(), "unit", "division", "");
    make_scale(unit_scale.get(), "unit");
    const std::vector<hsize_t> dims3{runs, days, units};
    for (const std::size_t v : per_unit)
      unit.push_back(data_variable<double>(f, "unit_" + std::string(dvars[v].name), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims3,
                                           {run.get(), day.get(), unit_scale.get()}, dvars[v], coordinates, dapl.get()));
  }
  if (snapshots > 0) {
    std::vector<std::int32_t> snap_days(snapshot_days.begin(), snapshot_days.end());
    const Hid snapshot = numeric_1d(f, "snapshot", H5T_STD_I32LE, H5T_NATIVE_INT32, snap_days);
    set_name_attrs(snapshot.get(), "snapshot", "day on which the agent snapshot was taken (day 0 is a Monday)", "1");
    make_scale(snapshot.get(), "snapshot");
    const Hid agent = numeric_1d(f, "agent", H5T_STD_U32LE, H5T_NATIVE_UINT32, snapshot_agents);
    set_name_attrs(agent.get(), "agent", "employee slot", "1");
    make_scale(agent.get(), "agent");
    const std::vector<hsize_t> dims3{runs, snapshots, agents};
    for (const auto& v : snapshot_variables())
      snap.push_back(data_variable<float>(f, "snap_" + std::string(v.name), H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dims3,
                                          {run.get(), snapshot.get(), agent.get()}, v, coordinates, dapl.get()));
  }
}

/// Overwrites every data slab of `run` with NaN (for a run written before and now failed or rewritten without some parts).
void ResultsWriter::Impl::write_nan(std::size_t run) {
  const auto& dvars = daily_variables();
  buf.assign(std::max(days, days * units), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t v = 0; v < daily.size(); ++v) write_slab(daily[v].get(), H5T_NATIVE_DOUBLE, dvars[v].name, run, buf.data());
  for (std::size_t pv = 0; pv < unit.size(); ++pv)
    write_slab(unit[pv].get(), H5T_NATIVE_DOUBLE, fmt::format("unit_{}", dvars[per_unit[pv]].name), run, buf.data());
  if (!snap.empty()) {
    fbuf.assign(snapshots * agents, std::numeric_limits<float>::quiet_NaN());
    for (std::size_t sv = 0; sv < snap.size(); ++sv)
      write_slab(snap[sv].get(), H5T_NATIVE_FLOAT, fmt::format("snap_{}", snapshot_variables()[sv].name), run, fbuf.data());
  }
  buf = {};
  fbuf = {};
}

ResultsWriter::ResultsWriter(std::string path, const ResultsMeta& meta, ResultsLayout layout, bool overwrite) : path_(std::move(path)) {
  if (!overwrite && path_exists(path_)) refuse_overwrite(path_);
  validate_layout(path_, meta, layout);
  auto impl = std::make_unique<Impl>();
  impl->path = path_;
  impl->overwrite = overwrite;
  guarded(path_, [&] {
    remove_stale_temporaries(path_);
    impl->tmp_fd = create_temporary(path_, impl->tmp);
    impl->create(meta, layout);
  });  // on failure ~Impl removes the temporary file
  impl_ = std::move(impl);
}

ResultsWriter::ResultsWriter(std::string label, const ResultsMeta& meta, ResultsLayout layout, InMemory /*tag*/) : path_(std::move(label)) {
  validate_layout(path_, meta, layout);
  auto impl = std::make_unique<Impl>();
  impl->path = path_;
  impl->memory = true;
  guarded(path_, [&] { impl->create(meta, layout); });
  impl_ = std::move(impl);
}

ResultsWriter ResultsWriter::in_memory(std::string label, const ResultsMeta& meta, ResultsLayout layout) {
  return {std::move(label), meta, std::move(layout), InMemory{}};
}

std::string ResultsWriter::image() {
  if (!impl_) throw RunError("cannot write results: the writer was moved from");
  Impl& m = *impl_;
  if (m.finished) throw RunError(fmt::format("cannot write results file '{}': the writer has already committed or failed", path_));
  if (!m.memory) throw RunError(fmt::format("cannot take an image of results file '{}': it is written to disk", path_));
  std::string bytes;
  try {
    guarded(path_, [&] {
      seal_strings(m.file->get());
      m.close_datasets();
      m.file->close("closing the in-memory file");
      m.file.reset();
      if (!m.capture.closed) throw std::runtime_error("HDF5 did not hand over the in-memory file at its close");
      bytes = std::move(m.capture.bytes);
      bytes.resize(image_length(bytes));
    });
  } catch (...) {
    m.abandon();
    throw;
  }
  m.finished = true;
  return bytes;
}

ResultsWriter::~ResultsWriter() = default;
ResultsWriter::ResultsWriter(ResultsWriter&&) noexcept = default;
ResultsWriter& ResultsWriter::operator=(ResultsWriter&&) noexcept = default;

void ResultsWriter::write_run(std::size_t run, const RunResult& r) {
  if (!impl_) throw RunError("cannot write results: the writer was moved from");
  Impl& m = *impl_;
  m.check_run(run);
  const auto bad = [&](const std::string& why) { return RunError(fmt::format("cannot write results file '{}': {}", path_, why)); };
  const auto& dvars = daily_variables();
  const auto& svars = snapshot_variables();
  if (r.days != static_cast<int>(m.days))
    throw bad(
        fmt::format("all runs must have the same number of days, but the file has {} and {} has {}", m.days, describe(run, r), r.days));
  if (r.series.size() != dvars.size() * m.days)
    throw bad(
        fmt::format("{} has {} daily values; expected {} variables x {} days", describe(run, r), r.series.size(), dvars.size(), m.days));
  if (!r.unit_series.empty()) {
    if (m.units == 0) throw bad(fmt::format("{} has per-unit series but the file has no unit names", describe(run, r)));
    if (r.unit_series.size() != m.per_unit.size() * m.units * m.days)
      throw bad(fmt::format("{} has {} per-unit values; expected {} variables x {} units x {} days", describe(run, r), r.unit_series.size(),
                            m.per_unit.size(), m.units, m.days));
  }
  if (!r.snapshots.empty()) {
    if (m.snapshots == 0) throw bad(fmt::format("{} has snapshot values but the file has no snapshot days", describe(run, r)));
    if (r.snapshot_days != m.snapshot_days || r.snapshot_agents != m.snapshot_agents)
      throw bad(fmt::format("{} has different snapshot days or sampled agents than the file", describe(run, r)));
    if (r.snapshots.size() != svars.size() * m.snapshots * m.agents)
      throw bad(fmt::format("{} has {} snapshot values; expected {} variables x {} snapshots x {} agents", describe(run, r),
                            r.snapshots.size(), svars.size(), m.snapshots, m.agents));
  }

  guarded(path_, [&] {
    // Parts this run does not have must not keep an earlier write's values.
    if (m.written[run] && ((m.units > 0 && r.unit_series.empty()) || (m.snapshots > 0 && r.snapshots.empty()))) m.write_nan(run);
    for (std::size_t v = 0; v < m.daily.size(); ++v)
      write_slab(m.daily[v].get(), H5T_NATIVE_DOUBLE, dvars[v].name, run, r.series.data() + v * m.days);
    if (!r.unit_series.empty()) {
      // Transposed from [unit][day] to (day, unit).
      m.buf.resize(m.days * m.units);
      for (std::size_t pv = 0; pv < m.unit.size(); ++pv) {
        for (std::size_t u = 0; u < m.units; ++u)
          for (std::size_t d = 0; d < m.days; ++d) m.buf[d * m.units + u] = r.unit_series[(pv * m.units + u) * m.days + d];
        write_slab(m.unit[pv].get(), H5T_NATIVE_DOUBLE, fmt::format("unit_{}", dvars[m.per_unit[pv]].name), run, m.buf.data());
      }
      m.buf = {};
    }
    if (!r.snapshots.empty()) {
      const std::size_t block = m.snapshots * m.agents;
      for (std::size_t sv = 0; sv < m.snap.size(); ++sv)
        write_slab(m.snap[sv].get(), H5T_NATIVE_FLOAT, fmt::format("snap_{}", svars[sv].name), run, r.snapshots.data() + sv * block);
    }
    if (m.status) {
      write_element(m.status_ds->get(), H5T_NATIVE_INT8, "status", run, kStatusOk);
      if (m.failed[run]) {
        const Hid type = utf8_string_type();
        const char* empty = "";
        write_element(m.error_ds->get(), type.get(), "error", run, empty);
        m.failed[run] = false;
      }
    }
    m.written[run] = true;
  });
}

void ResultsWriter::write_failure(std::size_t run, const std::string& message) {
  if (!impl_) throw RunError("cannot write results: the writer was moved from");
  Impl& m = *impl_;
  m.check_run(run);
  if (!m.status)
    throw RunError(fmt::format("cannot write results file '{}': recording failed run {} needs a layout with status = true", path_, run));
  guarded(path_, [&] {
    if (m.written[run]) m.write_nan(run);
    m.written[run] = false;
    write_element(m.status_ds->get(), H5T_NATIVE_INT8, "status", run, kStatusFailed);
    const Hid type = utf8_string_type();
    const char* text = message.c_str();
    write_element(m.error_ds->get(), type.get(), "error", run, text);
    m.failed[run] = !message.empty();
  });
}

void ResultsWriter::write_table(const std::string& group, const std::string& dim, const std::vector<std::string>& labels,
                                const std::vector<Column>& columns, const std::vector<std::pair<std::string, std::string>>& attrs) {
  if (!impl_) throw RunError("cannot write results: the writer was moved from");
  Impl& m = *impl_;
  const auto bad = [&](const std::string& why) {
    return RunError(fmt::format("cannot write results file '{}': table '{}': {}", path_, group, why));
  };
  if (m.finished) throw RunError(fmt::format("cannot write results file '{}': the writer has already committed or failed", path_));
  // Validate everything before creating anything.
  std::vector<std::string> parts;
  {
    std::string_view rest(group);
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (rest.empty()) throw bad("a table needs a group name other than the root");
    while (!rest.empty()) {
      const std::size_t slash = rest.find('/');
      const std::string_view part = rest.substr(0, slash);
      if (!valid_name(part)) throw bad(fmt::format("'{}' is not a usable group name", part));
      parts.emplace_back(part);
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
  }
  if (!valid_name(dim)) throw bad(fmt::format("dimension name '{}' is not usable (empty, '.', or containing '/' or white space)", dim));
  std::set<std::string, std::less<>> names{dim};
  for (const auto& c : columns) {
    if (!valid_name(c.name))
      throw bad(fmt::format("column name '{}' is not usable (empty, '.', or containing '/' or white space)", c.name));
    if (!names.insert(c.name).second) throw bad(fmt::format("the name '{}' is used twice", c.name));
    if (c.values.size() != labels.size())
      throw bad(fmt::format("column '{}' has {} values but there are {} labels", c.name, c.values.size(), labels.size()));
  }
  std::set<std::string, std::less<>> attr_names;
  for (const auto& a : attrs)
    if (a.first.empty() || !attr_names.insert(a.first).second)
      throw bad(fmt::format("attribute name '{}' is empty or given twice", a.first));

  guarded(path_, [&] {
    const Hid gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "creating group creation properties");
    check(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "tracking link creation order");
    std::optional<Hid> g;
    std::string sofar;
    for (const auto& part : parts) {
      const hid_t parent = g ? g->get() : m.file->get();
      sofar += (sofar.empty() ? "" : "/") + part;
      const htri_t exists = H5Lexists(parent, part.c_str(), kDefault);
      if (exists < 0) h5::fail(fmt::format("looking up '{}'", sofar));
      if (exists > 0) {
        {
          const Hid obj(H5Oopen(parent, part.c_str(), kDefault), H5Oclose, fmt::format("opening '{}'", sofar));
          if (H5Iget_type(obj.get()) != H5I_GROUP) throw bad(fmt::format("'{}' exists and is not a group", sofar));
        }
        g.emplace(H5Gopen2(parent, part.c_str(), kDefault), H5Gclose, fmt::format("opening group '{}'", sofar));
      } else {
        g.emplace(H5Gcreate2(parent, part.c_str(), kDefault, gcpl.get(), kDefault), H5Gclose, fmt::format("creating group '{}'", sofar));
      }
    }
    const hid_t gid = g->get();
    for (const auto& n : names) {
      const htri_t exists = H5Lexists(gid, n.c_str(), kDefault);
      if (exists < 0) h5::fail(fmt::format("looking up '{}/{}'", sofar, n));
      if (exists > 0) throw bad(fmt::format("the group already has a variable '{}'", n));
    }
    for (const auto& a : attrs) {
      const htri_t exists = H5Aexists(gid, a.first.c_str());
      if (exists < 0) h5::fail(fmt::format("looking up attribute '{}' of '{}'", a.first, sofar));
      if (exists > 0) throw bad(fmt::format("the group already has an attribute '{}'", a.first));
    }
    const Hid scale = string_1d(gid, dim, labels);
    make_scale(scale.get(), dim);
    for (const auto& c : columns) {
      const Hid d = numeric_1d(gid, c.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c.values);
      set_name_attrs(d.get(), c.name, c.long_name.empty() ? c.name : c.long_name, c.units);
      attach_scales(d.get(), c.name, {scale.get()});
    }
    const std::string where = fmt::format("group '{}'", sofar);
    for (const auto& [name, value] : attrs) set_string_attr(gid, name, value, where);
  });
}

void ResultsWriter::commit() {
  if (!impl_) throw RunError("cannot write results: the writer was moved from");
  Impl& m = *impl_;
  if (m.finished) throw RunError(fmt::format("cannot write results file '{}': the writer has already committed or failed", path_));
  try {
    guarded(path_, [&] {
      seal_strings(m.file->get());
      m.close_datasets();
      m.file->close(fmt::format("closing temporary file '{}'", m.tmp));
      m.file.reset();
      sync_to_disk(m.tmp);
      move_into_place(m.tmp, m.path, m.overwrite);
    });
  } catch (...) {
    m.abandon();
    throw;
  }
  m.close_tmp_fd();
  m.finished = true;
}

void disable_hdf5_exit_handler() noexcept {
  static_cast<void>(H5dont_atexit());
}

namespace {

/// The layout write_hdf5 writes `runs` with.
ResultsLayout layout_of(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs) {
  const auto bad = [&](const std::string& why) { return RunError(fmt::format("cannot write results file '{}': {}", path, why)); };
  if (runs.empty()) throw bad("there are no runs to write");
  if (runs[0].days <= 0) throw bad(fmt::format("{} has {} days; at least 1 is needed", describe(0, runs[0]), runs[0].days));

  ResultsLayout layout;
  layout.runs = runs.size();
  layout.days = runs[0].days;
  bool any_units = false;
  const RunResult* snapshot_ref = nullptr;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = runs[i];
    layout.policy.push_back(r.policy);
    layout.policy_type.push_back(r.policy_type);
    layout.replication.push_back(static_cast<std::int32_t>(r.replication));
    any_units = any_units || !r.unit_series.empty();
    if (snapshot_ref == nullptr && !r.snapshots.empty()) {
      if (r.snapshot_days.empty() || r.snapshot_agents.empty())
        throw bad(fmt::format("{} has snapshot values but no snapshot days or no sampled agents", describe(i, r)));
      snapshot_ref = &r;
    }
  }
  if (meta.days != 0 && meta.days != layout.days)
    throw bad(fmt::format("the metadata says {} days but the runs have {}", meta.days, layout.days));
  if (any_units) {
    if (meta.unit_names.empty()) throw bad("runs have per-unit series but the metadata has no unit names");
    layout.unit_names = meta.unit_names;
  }
  if (snapshot_ref != nullptr) {
    layout.snapshot_days = snapshot_ref->snapshot_days;
    layout.snapshot_agents = snapshot_ref->snapshot_agents;
  }

  return layout;
}

}  // namespace

void write_hdf5(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs, bool overwrite) {
  if (!overwrite && path_exists(path)) refuse_overwrite(path);
  ResultsWriter writer(path, meta, layout_of(path, meta, runs), overwrite);
  for (std::size_t i = 0; i < runs.size(); ++i) writer.write_run(i, runs[i]);
  writer.commit();
}

std::string write_hdf5_image(const std::string& label, const ResultsMeta& meta, const std::vector<RunResult>& runs) {
  ResultsWriter writer = ResultsWriter::in_memory(label, meta, layout_of(label, meta, runs));
  for (std::size_t i = 0; i < runs.size(); ++i) writer.write_run(i, runs[i]);
  return writer.image();
}

}  // namespace kpisim

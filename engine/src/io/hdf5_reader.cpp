// HDF5 results reader: the coordinates and provenance of a results file, and per-run window means
// of a daily variable, read run by run. The layout is described in hdf5_writer.cpp.
#include "kpisim/io/hdf5_reader.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "hdf5_util.hpp"
#include "kpisim/config/params.hpp"
#include "kpisim/core/error.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;
using h5::check;
using h5::Hid;
using h5::kDefault;

/// A problem with the file's contents (turned into a RunError naming the file).
class BadFile : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `f` with HDF5's error printing off; every exception becomes a RunError naming `path`.
template <typename F>
auto guarded(const std::string& path, F&& f) {
  const h5::SilenceErrors silence;
  try {
    return std::forward<F>(f)();
  } catch (const RunError&) {
    throw;
  } catch (const std::exception& e) {
    throw RunError(fmt::format("cannot read results file '{}': {}", path, e.what()));
  }
}

bool has_link(hid_t loc, const std::string& name) {
  const htri_t exists = H5Lexists(loc, name.c_str(), kDefault);
  if (exists < 0) h5::fail(fmt::format("looking up '{}'", name));
  return exists > 0;
}

/// The file, opened read-only, after checking that it looks like a KPISim results file.
Hid open_results(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw BadFile("no such file");
  if (fs::is_directory(st)) throw BadFile("it is a directory");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) h5::fail("checking the file format");
  if (is_hdf5 == 0) throw BadFile("it is not an HDF5 file");
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault), H5Fclose, "opening the file");
  for (const char* name : {"run", "day", "policy", "policy_type", "replication"})
    if (!has_link(file.get(), name)) throw BadFile(fmt::format("it is not a KPISim results file (it has no '{}' dataset)", name));
  const htri_t has_version = H5Aexists(file.get(), "engine_version");
  if (has_version < 0) h5::fail("looking up attribute 'engine_version'");
  if (has_version == 0) throw BadFile("it is not a KPISim results file (it has no 'engine_version' attribute)");
  return file;
}

Hid open_dataset(hid_t loc, const std::string& name) {
  return {H5Dopen2(loc, name.c_str(), kDefault), H5Dclose, fmt::format("opening dataset '{}'", name)};
}

/// The length of a 1-D dataset (BadFile if it is not 1-D).
std::size_t length_1d(hid_t dset, const std::string& name) {
  const auto dims = h5::dataset_dims(dset, fmt::format("reading the shape of '{}'", name));
  if (dims.size() != 1) throw BadFile(fmt::format("'{}' has {} dimensions; expected 1", name, dims.size()));
  return static_cast<std::size_t>(dims[0]);
}

/// A 1-D numeric dataset of `expected` values (converted to T by HDF5).
template <typename T>
std::vector<T> read_numeric(hid_t loc, const std::string& name, hid_t mem_type, std::size_t expected) {
  const Hid dset = open_dataset(loc, name);
  const std::size_t n = length_1d(dset.get(), name);
  if (n != expected) throw BadFile(fmt::format("'{}' has {} values but there are {} runs", name, n, expected));
  std::vector<T> out(n);
  if (n > 0) check(H5Dread(dset.get(), mem_type, h5::kAllSpace, h5::kAllSpace, kDefault, out.data()), fmt::format("reading '{}'", name));
  return out;
}

/// A 1-D string dataset (variable- or fixed-length) of `expected` values.
std::vector<std::string> read_strings(hid_t loc, const std::string& name, std::size_t expected) {
  const Hid dset = open_dataset(loc, name);
  const std::size_t n = length_1d(dset.get(), name);
  if (n != expected) throw BadFile(fmt::format("'{}' has {} values but there are {} runs", name, n, expected));
  const std::string what = fmt::format("reading '{}'", name);
  const Hid file_type(H5Dget_type(dset.get()), H5Tclose, what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) throw BadFile(fmt::format("'{}' does not hold strings", name));
  std::vector<std::string> out(n);
  if (n == 0) return out;
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) h5::fail(what);
  if (variable > 0) {
    const Hid mem_type = h5::utf8_string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(dset.get(), mem_type.get(), h5::kAllSpace, h5::kAllSpace, kDefault, ptrs.data()), what);
    for (std::size_t i = 0; i < n; ++i) {
      if (ptrs[i] != nullptr) out[i] = ptrs[i];
      static_cast<void>(H5free_memory(ptrs[i]));
    }
  } else {
    const std::size_t size = H5Tget_size(file_type.get());
    if (size == 0) h5::fail(what);
    const Hid mem_type(H5Tcopy(file_type.get()), H5Tclose, what);
    std::vector<char> buf(n * size);
    check(H5Dread(dset.get(), mem_type.get(), h5::kAllSpace, h5::kAllSpace, kDefault, buf.data()), what);
    for (std::size_t i = 0; i < n; ++i) {
      const char* p = buf.data() + i * size;
      std::size_t len = 0;
      while (len < size && p[len] != '\0') ++len;
      out[i].assign(p, len);
    }
  }
  return out;
}

/// A scalar (or one-element) string attribute, or nullopt if `obj` has no such string attribute.
std::optional<std::string> read_string_attr(hid_t obj, const std::string& name) {
  const htri_t exists = H5Aexists(obj, name.c_str());
  if (exists < 0) h5::fail(fmt::format("looking up attribute '{}'", name));
  if (exists == 0) return std::nullopt;
  const std::string what = fmt::format("reading attribute '{}'", name);
  const Hid attr(H5Aopen(obj, name.c_str(), kDefault), H5Aclose, what);
  const Hid file_type(H5Aget_type(attr.get()), H5Tclose, what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) return std::nullopt;
  const Hid space(H5Aget_space(attr.get()), H5Sclose, what);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) h5::fail(what);
  if (variable > 0) {
    const Hid mem_type = h5::utf8_string_type();
    char* p = nullptr;
    check(H5Aread(attr.get(), mem_type.get(), static_cast<void*>(&p)), what);
    std::string out = p != nullptr ? std::string(p) : std::string();
    static_cast<void>(H5free_memory(p));
    return out;
  }
  const std::size_t size = H5Tget_size(file_type.get());
  const Hid mem_type(H5Tcopy(file_type.get()), H5Tclose, what);
  std::vector<char> buf(size + 1, '\0');
  check(H5Aread(attr.get(), mem_type.get(), buf.data()), what);
  std::size_t len = 0;
  while (len < size && buf[len] != '\0') ++len;
  return std::string(buf.data(), len);
}

/// Names of the attributes of `obj`, in name order.
std::vector<std::string> attribute_names(hid_t obj) {
  std::vector<std::string> names;
  const auto collect = [](hid_t /*loc*/, const char* name, const H5A_info_t* /*info*/, void* data) noexcept -> herr_t {
    try {
      static_cast<std::vector<std::string>*>(data)->emplace_back(name);
      return 0;
    } catch (...) {
      return -1;
    }
  };
  hsize_t idx = 0;
  check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names), "listing the root attributes");
  return names;
}

/// Names of the links in group `loc`, in creation order when the file tracks it, else in name order.
std::vector<std::string> link_names(hid_t loc) {
  H5G_info_t info{};
  check(H5Gget_info(loc, &info), "listing the root group");
  std::vector<std::string> names;
  if (info.nlinks == 0) return names;
  H5_index_t index = H5_INDEX_CRT_ORDER;
  if (H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, 0, nullptr, 0, kDefault) < 0) {
    static_cast<void>(H5Eclear2(h5::kDefaultErrorStack));
    index = H5_INDEX_NAME;
  }
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, i, nullptr, 0, kDefault);
    if (len < 0) h5::fail("listing the root group");
    std::vector<char> buf(static_cast<std::size_t>(len) + 1, '\0');
    if (H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, i, buf.data(), buf.size(), kDefault) < 0) h5::fail("listing the root group");
    names.emplace_back(buf.data(), static_cast<std::size_t>(len));
  }
  return names;
}

/// The dimensions of dataset `name` in `loc`, or nullopt if `name` is not a dataset.
std::optional<std::vector<hsize_t>> dataset_shape(hid_t loc, const std::string& name) {
  const Hid obj(H5Oopen(loc, name.c_str(), kDefault), H5Oclose, fmt::format("opening '{}'", name));
  if (H5Iget_type(obj.get()) != H5I_DATASET) return std::nullopt;
  return h5::dataset_dims(obj.get(), fmt::format("reading the shape of '{}'", name));
}

std::size_t run_count(hid_t file) {
  const Hid run = open_dataset(file, "run");
  return length_1d(run.get(), "run");
}

int day_count(hid_t file) {
  const Hid day = open_dataset(file, "day");
  const std::size_t days = length_1d(day.get(), "day");
  if (days > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw BadFile("the day dimension is too long");
  return static_cast<int>(days);
}

}  // namespace

std::string ResultsIndex::attr(std::string_view name) const {
  for (const auto& [key, value] : string_attrs)
    if (key == name) return value;
  return {};
}

ResultsIndex read_results_index(const std::string& path) {
  return guarded(path, [&] {
    const Hid file = open_results(path);
    const hid_t f = file.get();
    ResultsIndex ix;
    ix.runs = run_count(f);
    ix.days = day_count(f);

    for (const auto& name : attribute_names(f))
      if (auto value = read_string_attr(f, name)) ix.string_attrs.emplace_back(name, std::move(*value));
    const htri_t has_seed = H5Aexists(f, "seed");
    if (has_seed < 0) h5::fail("looking up attribute 'seed'");
    if (has_seed > 0) {
      const Hid attr(H5Aopen(f, "seed", kDefault), H5Aclose, "reading attribute 'seed'");
      check(H5Aread(attr.get(), H5T_NATIVE_UINT64, &ix.seed), "reading attribute 'seed'");
    }

    ix.policy = read_strings(f, "policy", ix.runs);
    ix.policy_type = read_strings(f, "policy_type", ix.runs);
    ix.replication = read_numeric<std::int32_t>(f, "replication", H5T_NATIVE_INT32, ix.runs);
    if (has_link(f, "point")) ix.point = read_numeric<std::int32_t>(f, "point", H5T_NATIVE_INT32, ix.runs);
    for (const auto& name : link_names(f)) {
      const htri_t tagged = H5Aexists_by_name(f, name.c_str(), "kpisim_role", kDefault);
      if (tagged <= 0) {
        static_cast<void>(H5Eclear2(h5::kDefaultErrorStack));
        continue;
      }
      const Hid dset = open_dataset(f, name);
      if (read_string_attr(dset.get(), "kpisim_role").value_or("") != "parameter") continue;
      ResultsLayout::Numeric p;
      p.name = name;
      p.long_name = read_string_attr(dset.get(), "long_name").value_or("");
      p.units = read_string_attr(dset.get(), "units").value_or("");
      p.values = read_numeric<double>(f, name, H5T_NATIVE_DOUBLE, ix.runs);
      ix.parameters.push_back(std::move(p));
    }
    if (has_link(f, "status")) ix.status = read_numeric<std::int8_t>(f, "status", H5T_NATIVE_INT8, ix.runs);
    if (has_link(f, "error")) ix.error = read_strings(f, "error", ix.runs);
    return ix;
  });
}

std::vector<double> read_window_means(const std::string& path, std::string_view variable, int first_day, int last_day) {
  return guarded(path, [&] {
    const Hid file = open_results(path);
    const hid_t f = file.get();
    const std::size_t runs = run_count(f);
    const int days = day_count(f);

    // The daily variables are the (run, day) datasets of the root group.
    const std::string name(variable);
    std::vector<std::string> daily;
    bool exists_otherwise = false;
    for (const auto& link : link_names(f)) {
      const auto shape = dataset_shape(f, link);
      if (!shape) continue;
      if (shape->size() == 2 && (*shape)[0] == runs && (*shape)[1] == static_cast<hsize_t>(days))
        daily.push_back(link);
      else if (link == name)
        exists_otherwise = true;
    }
    if (std::find(daily.begin(), daily.end(), name) == daily.end()) {
      if (exists_otherwise) throw BadFile(fmt::format("'{}' is not a daily (run, day) variable", name));
      const std::string near = params::nearest(name, daily);
      throw BadFile(fmt::format("there is no daily variable '{}'{}", name, near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
    }
    if (first_day > last_day) throw BadFile(fmt::format("bad day window [{}, {}]: the first day is after the last", first_day, last_day));
    if (first_day < 0 || last_day >= days)
      throw BadFile(fmt::format("bad day window [{}, {}]: the file has days 0 to {}", first_day, last_day, days - 1));

    const std::string what = fmt::format("reading '{}'", name);
    const Hid dset = open_dataset(f, name);
    const Hid file_space(H5Dget_space(dset.get()), H5Sclose, what);
    const hsize_t count[2] = {1, static_cast<hsize_t>(last_day - first_day + 1)};
    const Hid mem_space = h5::simple_space({count[1]});
    std::vector<double> row(static_cast<std::size_t>(count[1]));
    std::vector<double> means(runs);
    for (std::size_t r = 0; r < runs; ++r) {
      const hsize_t start[2] = {static_cast<hsize_t>(r), static_cast<hsize_t>(first_day)};
      check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
      check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), kDefault, row.data()), what);
      double sum = 0.0;
      std::size_t n = 0;
      for (const double x : row)
        if (!std::isnan(x)) {
          sum += x;
          ++n;
        }
      means[r] = n > 0 ? sum / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
    }
    return means;
  });
}

}  // namespace kpisim

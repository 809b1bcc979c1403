#pragma once
// HDF5 helpers shared by the results writer and reader (private to src/io: nothing outside this
// directory includes <hdf5.h>).
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/crc.hpp>

namespace kpisim::h5 {

// Some HDF5 macros expand to C-style casts; take their values once here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline const hid_t kDefault = H5P_DEFAULT;
inline const hid_t kAllSpace = H5S_ALL;
inline const hid_t kDefaultErrorStack = H5E_DEFAULT;
inline const std::size_t kVariableSize = H5T_VARIABLE;
#pragma GCC diagnostic pop

/// Disables HDF5's automatic error-stack printing for the lifetime of the object.
class SilenceErrors {
 public:
  SilenceErrors() noexcept {
    saved_ = H5Eget_auto2(kDefaultErrorStack, &func_, &data_) >= 0;
    static_cast<void>(H5Eset_auto2(kDefaultErrorStack, nullptr, nullptr));
  }
  ~SilenceErrors() {
    if (saved_) static_cast<void>(H5Eset_auto2(kDefaultErrorStack, func_, data_));
  }
  SilenceErrors(const SilenceErrors&) = delete;
  SilenceErrors& operator=(const SilenceErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

/// The innermost message of the current HDF5 error stack (then clears the stack).
inline std::string error_detail() {
  std::string detail;
  const auto walker = [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
    if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
    return 0;
  };
  static_cast<void>(H5Ewalk2(kDefaultErrorStack, H5E_WALK_UPWARD, walker, &detail));
  static_cast<void>(H5Eclear2(kDefaultErrorStack));
  // A failed write(2) or read(2) comes with a multi-line dump of HDF5's internals: keep its errno.
  if (const std::size_t at = detail.find("errno = "); at != std::string::npos) {
    const int err = std::atoi(detail.c_str() + at + 8);
    if (err > 0) return fmt::format("{}: {}", detail.substr(0, std::min(detail.find(", time"), detail.find(": time"))), std::strerror(err));
  }
  return detail;
}

/// Throws std::runtime_error "<what> failed (HDF5: <innermost message>)".
[[noreturn]] inline void fail(std::string_view what) {
  const std::string detail = error_detail();
  if (detail.empty()) throw std::runtime_error(fmt::format("{} failed", what));
  throw std::runtime_error(fmt::format("{} failed (HDF5: {})", what, detail));
}

inline void check(herr_t status, std::string_view what) {
  if (status < 0) fail(what);
}

/// Names of the CRC-32 checksums of the strings (docs/output-schema.md, "Checksums"): HDF5 keeps
/// variable-length strings in its global heap, which has no checksum and allows no filter.
/// kDataCrc32: uint32 attribute of a variable-length string dataset, over its values;
/// kAttrsCrc32: uint32 attribute of an object (the root group, a dataset, a group), over its
/// variable-length string attributes (one value each), in name order.
inline constexpr const char* kDataCrc32 = "kpisim_crc32";
inline constexpr const char* kAttrsCrc32 = "kpisim_attrs_crc32";

/// The CRC-32 of a sequence of strings, each followed by a NUL byte (strings hold none).
class StringsCrc {
 public:
  void add(std::string_view s) {
    crc_.process_bytes(s.data(), s.size());
    crc_.process_byte(0);
  }
  [[nodiscard]] std::uint32_t value() const { return crc_.checksum(); }

 private:
  boost::crc_32_type crc_;
};

/// The checksum of named string attributes: name and value of each, in name order.
inline std::uint32_t attrs_crc32(std::vector<std::pair<std::string, std::string>> attrs) {
  std::sort(attrs.begin(), attrs.end());
  StringsCrc crc;
  for (const auto& [name, value] : attrs) {
    crc.add(name);
    crc.add(value);
  }
  return crc.value();
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
  ~Hid() { reset(); }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  /// Closes now, ignoring errors.
  void reset() noexcept {
    if (id_ >= 0) static_cast<void>(closer_(std::exchange(id_, -1)));
  }
  /// Closes now and checks the result (needed for the file, whose close flushes data).
  void close(std::string_view what) {
    const hid_t id = std::exchange(id_, -1);
    check(closer_(id), what);
  }

 private:
  hid_t id_;
  Closer closer_;
};

/// Variable-length UTF-8 string type.
inline Hid utf8_string_type() {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose, "copying the string type");
  check(H5Tset_size(type.get(), kVariableSize), "making the string type variable-length");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "setting the string type to UTF-8");
  return type;
}

inline Hid simple_space(const std::vector<hsize_t>& dims) {
  return {H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "creating a dataspace"};
}

/// The extent of a dataset's dataspace.
inline std::vector<hsize_t> dataset_dims(hid_t dset, std::string_view what) {
  const Hid space(H5Dget_space(dset), H5Sclose, what);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(what);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) != rank) fail(what);
  return dims;
}

}  // namespace kpisim::h5

// HDF5 results reader: the coordinates and provenance of a results file, and per-run window means
// of a daily variable, read run by run. The layout is described in hdf5_writer.cpp.
#include "kpisim/io/hdf5_reader.hpp"

#include <hdf5.h>

#include <hdf5_hl.h>
#include <algorithm>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
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

/// Runs `f` with HDF5's error printing off; every exception becomes a ResultsFileError naming `path`.
template <typename F>
auto guarded(const std::string& path, F&& f) {
  const h5::SilenceErrors silence;
  try {
    return std::forward<F>(f)();
  } catch (const ResultsFileError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw ResultsFileError(
        fmt::format("cannot read results file '{}': it describes more data than fits in memory (damaged or crafted?)", path));
  } catch (const std::exception& e) {
    throw ResultsFileError(fmt::format("cannot read results file '{}': {}", path, e.what()));
  }
}

/// The size of the file being read: nothing stored in it (a string, a coordinate) can be longer,
/// so every size read from its metadata is checked against this before memory is allocated.
thread_local std::uintmax_t g_file_size = 0;
/// The path of the file being read (for reads of raw bytes, see check_vlen_lengths).
thread_local std::string g_file_path;
/// A memory image standing for the file at `path` (ResultsFileImage), or none.
struct Image {
  std::string path;
  std::vector<unsigned char> bytes;
  bool active = false;
};
thread_local Image g_image;

// File-image callbacks that let HDF5 read the image in place, as H5LTopen_file_image does with
// H5LT_FILE_IMAGE_DONT_COPY: every buffer HDF5 asks for (the property list's, its copies, the
// core driver's) is g_image.bytes itself, and copying it onto itself is nothing. Without them each
// opening copies the whole image three times (setting the property, copying the list into the
// file, opening the driver). The file is opened read-only: HDF5 never writes to it or resizes it.
void* image_malloc(std::size_t size, H5FD_file_image_op_t /*op*/, void* /*udata*/) {
  return size == g_image.bytes.size() ? g_image.bytes.data() : nullptr;
}
void* image_memcpy(void* dest, const void* src, std::size_t /*size*/, H5FD_file_image_op_t /*op*/, void* /*udata*/) {
  return dest == src && dest == g_image.bytes.data() ? dest : nullptr;
}
void* image_realloc(void* /*ptr*/, std::size_t /*size*/, H5FD_file_image_op_t /*op*/, void* /*udata*/) {
  return nullptr;  // read-only: never asked
}
herr_t image_free(void* /*ptr*/, H5FD_file_image_op_t /*op*/, void* /*udata*/) {
  return 0;  // the bytes are g_image's
}

/// The file's root group has the checksum of its string attributes: the file was written with
/// string checksums, so every string dataset and every object with string attributes has one.
thread_local bool g_strings_checksummed = false;

/// Throws BadFile unless `n` items of `item_bytes` fit in the file.
void check_fits(std::string_view name, std::uintmax_t n, std::uintmax_t item_bytes) {
  if (item_bytes != 0 && n > g_file_size / item_bytes)
    throw BadFile(fmt::format("'{}' claims {} values of {} bytes, more than the file's {} bytes (damaged or crafted)", name, n, item_bytes,
                              g_file_size));
}

/// The class of a dataset's stored type.
H5T_class_t type_class(hid_t dset, std::string_view name) {
  const Hid type(H5Dget_type(dset), H5Tclose, fmt::format("reading the type of '{}'", name));
  return H5Tget_class(type.get());
}

/// Throws BadFile unless dataset `dset` stores numbers (integers or floating point).
void require_numeric(hid_t dset, std::string_view name) {
  const H5T_class_t c = type_class(dset, name);
  if (c != H5T_INTEGER && c != H5T_FLOAT) throw BadFile(fmt::format("'{}' does not hold numbers", name));
}

/// Throws BadFile unless a 1-D dataset of `n` values has its data stored in the file (a
/// coordinate is always written in full): bounds the sizes that come from the file's metadata.
void require_stored(hid_t dset, std::string_view name, std::size_t n) {
  const Hid type(H5Dget_type(dset), H5Tclose, fmt::format("reading the type of '{}'", name));
  const std::size_t item = H5Tget_size(type.get());
  if (item == 0) h5::fail(fmt::format("reading the type of '{}'", name));
  check_fits(name, n, item);
  const hsize_t stored = H5Dget_storage_size(dset);
  if (n > 0 && stored < static_cast<hsize_t>(n) * item)
    throw BadFile(fmt::format("'{}' has {} values but only {} bytes of them are stored (damaged or crafted)", name, n, stored));
}

bool has_link(hid_t loc, const std::string& name) {
  const htri_t exists = H5Lexists(loc, name.c_str(), kDefault);
  if (exists < 0) h5::fail(fmt::format("looking up '{}'", name));
  return exists > 0;
}

Hid check_results_file(Hid file);

/// The file, opened read-only, after checking that it looks like a KPISim results file.
Hid open_results(const std::string& path) {
  if (g_image.active && g_image.path == path) {
    g_file_size = g_image.bytes.size();
    g_file_path = path;
    // H5Fis_hdf5 for an image: the signature at offset 0, 512, 1024, 2048, ...
    static constexpr unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    bool is_hdf5 = false;
    for (std::size_t at = 0; at + sizeof kSignature <= g_image.bytes.size() && !is_hdf5; at = at == 0 ? 512 : at * 2)
      is_hdf5 = std::memcmp(g_image.bytes.data() + at, kSignature, sizeof kSignature) == 0;
    if (!is_hdf5) throw BadFile("it is not an HDF5 file");
    const Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating file access properties");
    check(H5Pset_fapl_core(fapl.get(), std::size_t{1} << 16, false), "choosing the in-memory file driver");
    H5FD_file_image_callbacks_t in_place = {image_malloc, image_memcpy, image_realloc, image_free, nullptr, nullptr, nullptr};
    check(H5Pset_file_image_callbacks(fapl.get(), &in_place), "setting the file image callbacks");
    check(H5Pset_file_image(fapl.get(), g_image.bytes.data(), g_image.bytes.size()), "setting the file image");
    Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, "opening the file");
    return check_results_file(std::move(file));
  }
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw BadFile("no such file");
  if (fs::is_directory(st)) throw BadFile("it is a directory");
  g_file_size = fs::file_size(path, ec);
  if (ec) throw BadFile(fmt::format("cannot get its size: {}", ec.message()));
  g_file_path = path;
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) h5::fail("checking the file format");
  if (is_hdf5 == 0) throw BadFile("it is not an HDF5 file");
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault), H5Fclose, "opening the file");
  return check_results_file(std::move(file));
}

/// `file` after checking that it looks like a KPISim results file.
Hid check_results_file(Hid file) {
  for (const char* name : {"run", "day", "policy", "policy_type", "replication"})
    if (!has_link(file.get(), name)) throw BadFile(fmt::format("it is not a KPISim results file (it has no '{}' dataset)", name));
  const htri_t has_version = H5Aexists(file.get(), "engine_version");
  if (has_version < 0) h5::fail("looking up attribute 'engine_version'");
  if (has_version == 0) throw BadFile("it is not a KPISim results file (it has no 'engine_version' attribute)");
  const htri_t has_crc = H5Aexists(file.get(), h5::kAttrsCrc32);
  if (has_crc < 0) h5::fail(fmt::format("looking up attribute '{}'", h5::kAttrsCrc32));
  g_strings_checksummed = has_crc > 0;
  return file;
}

/// Throws BadFile unless `name` in `loc` is a hard link: a soft or external link would make HDF5
/// open another object or another file named inside this one.
void require_hard_link(hid_t loc, const std::string& name) {
  H5L_info_t link{};
  check(H5Lget_info(loc, name.c_str(), &link, kDefault), fmt::format("looking up '{}'", name));
  if (link.type != H5L_TYPE_HARD)
    throw BadFile(fmt::format("'{}' is a soft or external link; a results file has none (links are not followed)", name));
}

Hid open_dataset(hid_t loc, const std::string& name) {
  require_hard_link(loc, name);
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
  require_numeric(dset.get(), name);
  require_stored(dset.get(), name, n);
  std::vector<T> out(n);
  if (n > 0) check(H5Dread(dset.get(), mem_type, h5::kAllSpace, h5::kAllSpace, kDefault, out.data()), fmt::format("reading '{}'", name));
  return out;
}

/// `size` bytes of the file being read, from byte `offset` (checked to lie within the file).
std::vector<unsigned char> read_raw(std::uintmax_t offset, std::size_t size) {
  std::vector<unsigned char> out(size);
  if (g_image.active && g_image.path == g_file_path) {
    if (offset > g_image.bytes.size() || size > g_image.bytes.size() - offset)
      throw BadFile(fmt::format("cannot read {} bytes at offset {}", size, offset));
    std::memcpy(out.data(), g_image.bytes.data() + offset, size);
    return out;
  }
  std::ifstream in(g_file_path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size)))
    throw BadFile(fmt::format("cannot read {} bytes at offset {}", size, offset));
  return out;
}

/// Throws BadFile unless the stored lengths of the `n` variable-length strings of dataset `dset`
/// add up to at most the file's size. HDF5 converts each string (H5T__conv_vlen, under H5Dread) by
/// first allocating and zeroing a buffer of its stored length, and only then reading it from the
/// global heap: a damaged length (the dataset's raw data have no checksum) would make it take up to
/// 4 GB per string. So the lengths are read here, without HDF5, from the dataset's raw bytes: one
/// descriptor per string, a 4-byte little-endian length, the address of its global heap collection
/// (the file's address size) and a 4-byte index. The writer stores string datasets contiguously;
/// any other layout is refused.
void check_vlen_lengths(hid_t dset, const std::string& name, std::size_t n) {
  const std::string what = fmt::format("reading the layout of '{}'", name);
  const Hid dcpl(H5Dget_create_plist(dset), H5Pclose, what);
  if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS)
    throw BadFile(
        fmt::format("'{}' holds variable-length strings that are not stored contiguously, as a results file stores them "
                    "(damaged or crafted)",
                    name));
  const Hid file(H5Iget_file_id(dset), H5Fclose, what);
  const Hid fcpl(H5Fget_create_plist(file.get()), H5Pclose, what);
  std::size_t sizeof_addr = 0;
  std::size_t sizeof_size = 0;
  check(H5Pget_sizes(fcpl.get(), &sizeof_addr, &sizeof_size), what);
  const std::size_t item = 4 + sizeof_addr + 4;
  check_fits(name, n, item);
  const hsize_t stored = H5Dget_storage_size(dset);
  const haddr_t offset = H5Dget_offset(dset);
  if (stored != static_cast<hsize_t>(n) * item || offset == std::numeric_limits<haddr_t>::max() || offset > g_file_size ||
      n * item > g_file_size - offset)
    throw BadFile(fmt::format("'{}' has {} strings but {} bytes of descriptors at offset {} in a file of {} bytes (damaged or crafted)",
                              name, n, stored, offset, g_file_size));
  const std::vector<unsigned char> raw = read_raw(offset, n * item);
  std::uintmax_t total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char* p = raw.data() + i * item;
    total += std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8U | std::uint32_t{p[2]} << 16U | std::uint32_t{p[3]} << 24U;
    if (total > g_file_size)
      throw BadFile(
          fmt::format("the strings of '{}' claim {} bytes or more, more than the file's {} bytes: a damaged results file "
                      "(refused before reading them)",
                      name, total, g_file_size));
  }
}

/// The uint32 checksum attribute `name` of `obj`, or nullopt if it has none.
std::optional<std::uint32_t> read_crc_attr(hid_t obj, const char* name, std::string_view where) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) h5::fail(fmt::format("looking up attribute '{}' of {}", name, where));
  if (exists == 0) return std::nullopt;
  const std::string what = fmt::format("reading attribute '{}' of {}", name, where);
  const Hid attr(H5Aopen(obj, name, kDefault), H5Aclose, what);
  const Hid type(H5Aget_type(attr.get()), H5Tclose, what);
  const Hid space(H5Aget_space(attr.get()), H5Sclose, what);
  if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.get()) != 1)
    throw BadFile(fmt::format("attribute '{}' of {} is not one whole number (damaged or crafted)", name, where));
  std::uint32_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_UINT32, &value), what);
  return value;
}

/// Throws BadFile unless the strings of `where` match their stored CRC-32 `stored` (a file written
/// without string checksums has none; in a file written with them, every one must be there).
void require_crc(std::optional<std::uint32_t> stored, std::uint32_t computed, std::string_view what) {
  if (!stored) {
    if (g_strings_checksummed)
      throw BadFile(fmt::format("{} have no CRC-32 checksum, although the file's other strings have one (damaged or crafted)", what));
    return;
  }
  if (*stored != computed) throw BadFile(fmt::format("{} do not match their CRC-32 checksum: a damaged results file", what));
}

/// A 1-D string dataset (variable- or fixed-length) of `expected` values.
std::vector<std::string> read_strings(hid_t loc, const std::string& name, std::size_t expected) {
  const Hid dset = open_dataset(loc, name);
  const std::size_t n = length_1d(dset.get(), name);
  if (n != expected) throw BadFile(fmt::format("'{}' has {} values but there are {} runs", name, n, expected));
  const std::string what = fmt::format("reading '{}'", name);
  const Hid file_type(H5Dget_type(dset.get()), H5Tclose, what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) throw BadFile(fmt::format("'{}' does not hold strings", name));
  require_stored(dset.get(), name, n);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  const htri_t variable = H5Tis_variable_str(file_type.get());
  if (variable < 0) h5::fail(what);
  if (variable > 0) {
    check_vlen_lengths(dset.get(), name, n);
    const Hid mem_type = h5::utf8_string_type();
    std::vector<char*> ptrs(n, nullptr);
    check(H5Dread(dset.get(), mem_type.get(), h5::kAllSpace, h5::kAllSpace, kDefault, ptrs.data()), what);
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (ptrs[i] != nullptr) out[i].assign(ptrs[i], ::strnlen(ptrs[i], static_cast<std::size_t>(g_file_size)));
      total += out[i].size();
    }
    // H5Dvlen_reclaim needs the dataset's own dataspace (H5S_ALL is refused there, and the strings
    // would leak).
    const Hid space(H5Dget_space(dset.get()), H5Sclose, what);
    check(H5Dvlen_reclaim(mem_type.get(), space.get(), kDefault, ptrs.data()), what);
    if (total > g_file_size) throw BadFile(fmt::format("the strings of '{}' are longer than the file (damaged or crafted)", name));
    h5::StringsCrc crc;
    for (const auto& v : out) crc.add(v);
    require_crc(read_crc_attr(dset.get(), h5::kDataCrc32, fmt::format("'{}'", name)), crc.value(),
                fmt::format("the strings of '{}'", name));
  } else {
    const std::size_t size = H5Tget_size(file_type.get());
    if (size == 0) h5::fail(what);
    check_fits(name, n, size);
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
    const std::size_t len = p != nullptr ? ::strnlen(p, static_cast<std::size_t>(g_file_size) + 1) : 0;
    if (len > g_file_size) {
      static_cast<void>(H5free_memory(p));
      throw BadFile(fmt::format("attribute '{}' is longer than the file (damaged or crafted)", name));
    }
    std::string out(p != nullptr ? p : "", len);
    static_cast<void>(H5free_memory(p));
    return out;
  }
  const std::size_t size = H5Tget_size(file_type.get());
  check_fits(name, 1, size);
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

/// Throws BadFile unless the variable-length string attributes of `obj` match their CRC-32.
void verify_attrs_crc(hid_t obj, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> strings;
  for (const auto& name : attribute_names(obj)) {
    const std::string what = fmt::format("reading attribute '{}' of {}", name, where);
    {
      const Hid attr(H5Aopen(obj, name.c_str(), kDefault), H5Aclose, what);
      const Hid type(H5Aget_type(attr.get()), H5Tclose, what);
      const Hid space(H5Aget_space(attr.get()), H5Sclose, what);
      if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0 || H5Sget_simple_extent_npoints(space.get()) != 1)
        continue;
    }
    if (auto value = read_string_attr(obj, name)) strings.emplace_back(name, std::move(*value));
  }
  if (strings.empty()) return;
  require_crc(read_crc_attr(obj, h5::kAttrsCrc32, where), h5::attrs_crc32(std::move(strings)),
              fmt::format("the string attributes of {}", where));
}

/// Names of the links in group `loc`, in creation order when the file tracks it, else in name order.
std::vector<std::string> link_names(hid_t loc) {
  H5G_info_t info{};
  check(H5Gget_info(loc, &info), "listing the root group");
  std::vector<std::string> names;
  if (info.nlinks == 0) return names;
  check_fits("the root group", info.nlinks, 1);
  H5_index_t index = H5_INDEX_CRT_ORDER;
  if (H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, 0, nullptr, 0, kDefault) < 0) {
    static_cast<void>(H5Eclear2(h5::kDefaultErrorStack));
    index = H5_INDEX_NAME;
  }
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, i, nullptr, 0, kDefault);
    if (len < 0) h5::fail("listing the root group");
    if (static_cast<std::uintmax_t>(len) > g_file_size) throw BadFile("a link name is longer than the file (damaged or crafted)");
    std::vector<char> buf(static_cast<std::size_t>(len) + 1, '\0');
    if (H5Lget_name_by_idx(loc, ".", index, H5_ITER_INC, i, buf.data(), buf.size(), kDefault) < 0) h5::fail("listing the root group");
    names.emplace_back(buf.data(), static_cast<std::size_t>(len));
  }
  return names;
}

/// The dimensions of dataset `name` in `loc`, or nullopt if `name` is not a dataset.
std::optional<std::vector<hsize_t>> dataset_shape(hid_t loc, const std::string& name) {
  require_hard_link(loc, name);
  const Hid obj(H5Oopen(loc, name.c_str(), kDefault), H5Oclose, fmt::format("opening '{}'", name));
  if (H5Iget_type(obj.get()) != H5I_DATASET) return std::nullopt;
  return h5::dataset_dims(obj.get(), fmt::format("reading the shape of '{}'", name));
}

/// The address of an object in its file (what identifies it; a name lookup of an object reached
/// through a reference, H5Iget_name, searches the whole file).
haddr_t object_address(hid_t obj, std::string_view what) {
  H5O_info_t info{};
  check(H5Oget_info2(obj, &info, H5O_INFO_BASIC), what);
  return info.addr;
}

/// Throws BadFile unless every axis of N-D dataset `dset` has exactly one dimension scale attached,
/// the root dataset named as in `scales` (the writer attaches run, day, ...: xarray reads them as
/// dimension names).
void require_scales(hid_t dset, const std::string& name, const std::vector<std::string>& scales) {
  for (std::size_t axis = 0; axis < scales.size(); ++axis) {
    const int n = H5DSget_num_scales(dset, static_cast<unsigned>(axis));
    if (n != 1)
      throw BadFile(fmt::format("'{}' has {} dimension scales on axis {}; expected one ('{}')", name, std::max(n, 0), axis, scales[axis]));
    const std::string scale_path = "/" + scales[axis];
    H5O_info_t expected{};
    check(H5Oget_info_by_name2(dset, scale_path.c_str(), &expected, H5O_INFO_BASIC, kDefault),
          fmt::format("looking up the dimension scale '{}'", scales[axis]));
    haddr_t attached = 0;
    const auto visit = [](hid_t /*did*/, unsigned /*dim*/, hid_t dsid, void* data) -> herr_t {
      try {
        *static_cast<haddr_t*>(data) = object_address(dsid, "");
        return 1;
      } catch (...) {
        return -1;
      }
    };
    int idx = 0;
    if (H5DSiterate_scales(dset, static_cast<unsigned>(axis), &idx, visit, &attached) < 0 || attached != expected.addr)
      throw BadFile(fmt::format("'{}' has the wrong dimension scale on axis {}; expected '{}'", name, axis, scales[axis]));
  }
}

std::size_t run_count(hid_t file) {
  const Hid run = open_dataset(file, "run");
  const std::size_t runs = length_1d(run.get(), "run");
  require_numeric(run.get(), "run");
  require_stored(run.get(), "run", runs);
  return runs;
}

int day_count(hid_t file) {
  const Hid day = open_dataset(file, "day");
  const std::size_t days = length_1d(day.get(), "day");
  require_numeric(day.get(), "day");
  require_stored(day.get(), "day", days);
  if (days > static_cast<std::size_t>(std::numeric_limits<int>::max())) throw BadFile("the day dimension is too long");
  return static_cast<int>(days);
}

}  // namespace

ResultsFileImage::ResultsFileImage(std::string path, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  g_image = {std::move(path), std::vector<unsigned char>(bytes, bytes + size), true};
}

ResultsFileImage::~ResultsFileImage() {
  g_image = {};
}

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
    verify_attrs_crc(f, "the root group");
    ix.strings_checksummed = g_strings_checksummed;
    const htri_t has_seed = H5Aexists(f, "seed");
    if (has_seed < 0) h5::fail("looking up attribute 'seed'");
    if (has_seed > 0) {
      const Hid attr(H5Aopen(f, "seed", kDefault), H5Aclose, "reading attribute 'seed'");
      const Hid type(H5Aget_type(attr.get()), H5Tclose, "reading attribute 'seed'");
      const Hid space(H5Aget_space(attr.get()), H5Sclose, "reading attribute 'seed'");
      if (H5Tget_class(type.get()) != H5T_INTEGER || H5Sget_simple_extent_npoints(space.get()) != 1)
        throw BadFile("attribute 'seed' is not one whole number");
      check(H5Aread(attr.get(), H5T_NATIVE_UINT64, &ix.seed), "reading attribute 'seed'");
    }

    ix.policy = read_strings(f, "policy", ix.runs);
    ix.policy_type = read_strings(f, "policy_type", ix.runs);
    ix.replication = read_numeric<std::int32_t>(f, "replication", H5T_NATIVE_INT32, ix.runs);
    if (has_link(f, "point")) ix.point = read_numeric<std::int32_t>(f, "point", H5T_NATIVE_INT32, ix.runs);
    for (const auto& name : link_names(f)) {
      require_hard_link(f, name);
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

    // One division's series of a per-unit variable: unit_<variable>[<division>], a column of the
    // (run, day, unit) dataset unit_<variable>.
    std::string name(variable);
    std::string division;
    const bool of_unit = name.rfind("unit_", 0) == 0 && name.find('[') != std::string::npos && name.back() == ']';
    if (of_unit) {
      const auto open = name.find('[');
      division = name.substr(open + 1, name.size() - open - 2);
      name.resize(open);
    }

    // The daily variables are the (run, day) datasets of the root group; the per-unit ones (run, day, unit).
    std::vector<std::string> daily;
    bool exists_otherwise = false;
    for (const auto& link : link_names(f)) {
      const auto shape = dataset_shape(f, link);
      if (!shape) continue;
      if (shape->size() == (of_unit ? 3U : 2U) && (*shape)[0] == runs && (*shape)[1] == static_cast<hsize_t>(days))
        daily.push_back(link);
      else if (link == name)
        exists_otherwise = true;
    }
    if (std::find(daily.begin(), daily.end(), name) == daily.end()) {
      if (exists_otherwise)
        throw BadFile(fmt::format("'{}' is not a {} variable", name, of_unit ? "per-unit (run, day, unit)" : "daily (run, day)"));
      const std::string near = params::nearest(name, daily);
      throw BadFile(fmt::format("there is no {} variable '{}'{}", of_unit ? "per-unit" : "daily", name,
                                near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
    }
    if (first_day > last_day) throw BadFile(fmt::format("bad day window [{}, {}]: the first day is after the last", first_day, last_day));
    if (first_day < 0 || last_day >= days)
      throw BadFile(fmt::format("bad day window [{}, {}]: the file has days 0 to {}", first_day, last_day, days - 1));

    const std::string what = fmt::format("reading '{}'", name);
    const Hid dset = open_dataset(f, name);
    require_numeric(dset.get(), name);
    hsize_t unit = 0;
    if (of_unit) {
      require_scales(dset.get(), name, {"run", "day", "unit"});
      const auto units = (*dataset_shape(f, name))[2];
      const std::vector<std::string> unit_names = read_strings(f, "unit", static_cast<std::size_t>(units));
      const auto at = std::find(unit_names.begin(), unit_names.end(), division);
      if (at == unit_names.end()) {
        const std::string near = params::nearest(division, unit_names);
        throw BadFile(
            fmt::format("the file has no division '{}'{}", division, near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
      }
      unit = static_cast<hsize_t>(at - unit_names.begin());
    } else {
      require_scales(dset.get(), name, {"run", "day"});
    }
    const Hid file_space(H5Dget_space(dset.get()), H5Sclose, what);
    const hsize_t len = static_cast<hsize_t>(last_day) - static_cast<hsize_t>(first_day) + 1;
    const Hid mem_space = h5::simple_space({len});
    std::vector<double> row(static_cast<std::size_t>(len));
    std::vector<double> means(runs);
    for (std::size_t r = 0; r < runs; ++r) {
      if (of_unit) {
        const hsize_t start[3] = {static_cast<hsize_t>(r), static_cast<hsize_t>(first_day), unit};
        const hsize_t count[3] = {1, len, 1};
        check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
      } else {
        const hsize_t start[2] = {static_cast<hsize_t>(r), static_cast<hsize_t>(first_day)};
        const hsize_t count[2] = {1, len};
        check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
      }
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

namespace {

constexpr int kMaxGroupDepth = 8;
/// The most values verify_results_file reads at once (a run's slab of a data variable): 256 MiB of doubles.
constexpr std::uintmax_t kMaxSlabValues = std::uintmax_t{1} << 25;

/// Reads every numeric attribute of `obj` and every string one (bounded by the file size).
void verify_attributes(hid_t obj, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> strings;  // the variable-length ones, for their checksum
  for (const auto& name : attribute_names(obj)) {
    // Dimension-scale bookkeeping (object references) is checked through the H5DS calls instead.
    if (name == "DIMENSION_LIST" || name == "REFERENCE_LIST") continue;
    const std::string what = fmt::format("reading attribute '{}' of {}", name, where);
    const Hid attr(H5Aopen(obj, name.c_str(), kDefault), H5Aclose, what);
    const Hid type(H5Aget_type(attr.get()), H5Tclose, what);
    const Hid space(H5Aget_space(attr.get()), H5Sclose, what);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0) h5::fail(what);
    switch (H5Tget_class(type.get())) {
      case H5T_STRING:
        if (n != 1) throw BadFile(fmt::format("attribute '{}' of {} holds {} strings; expected one", name, where, n));
        if (auto value = read_string_attr(obj, name); value && H5Tis_variable_str(type.get()) > 0)
          strings.emplace_back(name, std::move(*value));
        break;
      case H5T_INTEGER:
      case H5T_FLOAT: {
        check_fits(name, static_cast<std::uintmax_t>(n), sizeof(double));
        std::vector<double> values(static_cast<std::size_t>(n));
        if (n > 0) check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()), what);
        break;
      }
      default:
        throw BadFile(fmt::format("attribute '{}' of {} is neither numbers nor a string", name, where));
    }
  }
  if (!strings.empty())
    require_crc(read_crc_attr(obj, h5::kAttrsCrc32, where), h5::attrs_crc32(std::move(strings)),
                fmt::format("the string attributes of {}", where));
}

/// Reads every value of dataset `name` in `loc`: Fletcher-32 checksums are verified on the way.
void verify_dataset(hid_t loc, const std::string& name, const std::string& path_name, std::size_t runs) {
  const Hid dset = open_dataset(loc, name);
  const auto dims = h5::dataset_dims(dset.get(), fmt::format("reading the shape of '{}'", path_name));
  verify_attributes(dset.get(), fmt::format("'{}'", path_name));
  // Dereference every attached dimension scale, as xarray does (a damaged reference fails here).
  for (std::size_t axis = 0; axis < dims.size(); ++axis) {
    const int n = H5DSget_num_scales(dset.get(), static_cast<unsigned>(axis));
    if (n < 0) h5::fail(fmt::format("reading the dimension scales of '{}'", path_name));
    for (int idx = 0; idx < n;) {
      const auto visit = [](hid_t /*did*/, unsigned /*dim*/, hid_t dsid, void* /*data*/) -> herr_t {
        return H5Iget_type(dsid) == H5I_DATASET ? 1 : -1;
      };
      if (H5DSiterate_scales(dset.get(), static_cast<unsigned>(axis), &idx, visit, nullptr) < 0)
        throw BadFile(fmt::format("'{}' has a damaged dimension scale on axis {}", path_name, axis));
      ++idx;
    }
  }
  if (dims.empty() || dims.size() > 3)
    throw BadFile(fmt::format("'{}' has {} dimensions; a results file has 1 to 3", path_name, dims.size()));
  if (dims.size() == 1) {
    if (type_class(dset.get(), path_name) == H5T_STRING) {
      static_cast<void>(read_strings(loc, name, static_cast<std::size_t>(dims[0])));
      return;
    }
    static_cast<void>(read_numeric<double>(loc, name, H5T_NATIVE_DOUBLE, static_cast<std::size_t>(dims[0])));
    return;
  }
  // A data variable (run, ...): read run by run.
  require_numeric(dset.get(), path_name);
  if (dims[0] != runs) throw BadFile(fmt::format("'{}' has {} runs; the file has {}", path_name, dims[0], runs));
  std::uintmax_t slab = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) {
    if (dims[i] == 0 || dims[i] > kMaxSlabValues / slab)
      throw BadFile(fmt::format("'{}' has a run slab of more than {} values (damaged or crafted)", path_name, kMaxSlabValues));
    slab *= dims[i];
  }
  const std::string what = fmt::format("reading '{}'", path_name);
  const Hid file_space(H5Dget_space(dset.get()), H5Sclose, what);
  std::vector<hsize_t> start(dims.size(), 0);
  std::vector<hsize_t> count = dims;
  count[0] = 1;
  const Hid mem_space = h5::simple_space(count);
  std::vector<double> buf(static_cast<std::size_t>(slab));
  for (hsize_t r = 0; r < dims[0]; ++r) {
    start[0] = r;
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr), what);
    check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), kDefault, buf.data()), what);
  }
}

void verify_group(hid_t g, const std::string& prefix, std::size_t runs, int depth) {
  if (depth > kMaxGroupDepth) throw BadFile(fmt::format("groups nest deeper than {} levels", kMaxGroupDepth));
  verify_attributes(g, prefix.empty() ? std::string("the root group") : fmt::format("group '{}'", prefix));
  for (const auto& name : link_names(g)) {
    const std::string path_name = prefix.empty() ? name : fmt::format("{}/{}", prefix, name);
    require_hard_link(g, name);
    const Hid obj(H5Oopen(g, name.c_str(), kDefault), H5Oclose, fmt::format("opening '{}'", path_name));
    switch (H5Iget_type(obj.get())) {
      case H5I_DATASET:
        verify_dataset(g, name, path_name, runs);
        break;
      case H5I_GROUP:
        verify_group(obj.get(), path_name, runs, depth + 1);
        break;
      default:
        throw BadFile(fmt::format("'{}' is neither a dataset nor a group", path_name));
    }
  }
}

}  // namespace

const std::vector<double>* ResultsTable::column(std::string_view name) const {
  for (const auto& [n, values] : columns)
    if (n == name) return &values;
  return nullptr;
}

std::string ResultsTable::attr(std::string_view name) const {
  for (const auto& [n, value] : attrs)
    if (n == name) return value;
  return {};
}

ResultsTable read_results_table(const std::string& path, const std::string& group, const std::string& dim) {
  return guarded(path, [&] {
    const Hid file = open_results(path);
    std::vector<Hid> opened;
    hid_t loc = file.get();
    std::string_view rest(group);
    while (!rest.empty()) {
      const std::size_t slash = rest.find('/');
      const std::string part(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
      if (!has_link(loc, part)) throw BadFile(fmt::format("it has no table '{}'", group));
      require_hard_link(loc, part);
      opened.emplace_back(H5Gopen2(loc, part.c_str(), kDefault), H5Gclose, fmt::format("opening group '{}'", part));
      loc = opened.back().get();
    }
    ResultsTable t;
    if (!has_link(loc, dim)) throw BadFile(fmt::format("table '{}' has no dimension '{}'", group, dim));
    std::size_t n = 0;
    {
      const Hid labels = open_dataset(loc, dim);
      n = length_1d(labels.get(), dim);
    }
    check_fits(dim, n, 1);
    t.labels = read_strings(loc, dim, n);
    for (const auto& link : link_names(loc)) {
      if (link == dim) continue;
      t.columns.emplace_back(link, read_numeric<double>(loc, link, H5T_NATIVE_DOUBLE, n));
    }
    verify_attrs_crc(loc, group);
    for (const auto& name : attribute_names(loc))
      if (auto value = read_string_attr(loc, name)) t.attrs.emplace_back(name, std::move(*value));
    return t;
  });
}

ResultsIndex verify_results_file(const std::string& path) {
  ResultsIndex ix = read_results_index(path);
  guarded(path, [&] {
    const Hid file = open_results(path);
    // The daily variables are what compare and report read: their scales must be the file's.
    for (const auto& link : link_names(file.get())) {
      const auto shape = dataset_shape(file.get(), link);
      if (!shape || shape->size() < 2) continue;
      const Hid dset = open_dataset(file.get(), link);
      if (shape->size() == 2) require_scales(dset.get(), link, {"run", "day"});
    }
    verify_group(file.get(), "", ix.runs, 0);
  });
  return ix;
}

}  // namespace kpisim

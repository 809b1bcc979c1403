#pragma once
// Shared by the HDF5 tests (test_hdf5_writer.cpp, test_hdf5_stream.cpp): a temporary directory,
// an owner of HDF5 identifiers, and readers of strings, written with the HDF5 C API so that the
// tests check the files independently of the writer's own code.
#include <hdf5.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

namespace kpisim::test {

namespace fs = std::filesystem;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline const hid_t kDefault = H5P_DEFAULT;
inline const hid_t kAll = H5S_ALL;
inline const std::size_t kVariable = H5T_VARIABLE;
#pragma GCC diagnostic pop

/// A fresh directory under the system temp directory, removed with its contents afterwards.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& prefix = "kpisim_h5_test") {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
  [[nodiscard]] std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    return names;
  }
};

/// Owns an hid_t.
class Id {
 public:
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) { REQUIRE(id_ >= 0); }
  ~Id() {
    if (id_ >= 0) static_cast<void>(closer_(id_));
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  Id(Id&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Id& operator=(Id&&) = delete;
  [[nodiscard]] hid_t get() const { return id_; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

inline Id utf8_type() {
  Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  REQUIRE(H5Tset_size(type.get(), kVariable) >= 0);
  REQUIRE(H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0);
  return type;
}

inline std::string read_string_attr(hid_t obj, const std::string& name) {
  const Id attr(H5Aopen(obj, name.c_str(), kDefault), H5Aclose);
  const Id file_type(H5Aget_type(attr.get()), H5Tclose);
  REQUIRE(H5Tis_variable_str(file_type.get()) > 0);
  REQUIRE(H5Tget_cset(file_type.get()) == H5T_CSET_UTF8);
  const Id type = utf8_type();
  char* p = nullptr;
  REQUIRE(H5Aread(attr.get(), type.get(), &p) >= 0);
  std::string out(p);
  H5free_memory(p);
  return out;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace kpisim::test

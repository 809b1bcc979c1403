// Tests of write_hdf5: exact round trip (read back with the HDF5 C API), refusal to overwrite,
// overwrite, and failures that must leave neither the target nor a temporary file behind.
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "h5_test_support.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/results.hpp"

namespace fs = std::filesystem;
using kpisim::ResultsMeta;
using kpisim::RunError;
using kpisim::RunResult;

namespace {

using namespace kpisim::test;  // NOLINT(google-build-using-namespace): the shared test helpers

Id open_file(const std::string& path) {
  return Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault), H5Fclose);
}
Id open_dataset(const Id& file, const std::string& name) {
  return Id(H5Dopen2(file.get(), name.c_str(), kDefault), H5Dclose);
}
bool has_link(const Id& file, const std::string& name) {
  return H5Lexists(file.get(), name.c_str(), kDefault) > 0;
}

std::vector<hsize_t> dims_of(const Id& dset) {
  const Id space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  REQUIRE(rank >= 0);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  REQUIRE(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) == rank);
  return dims;
}

template <typename T>
std::vector<T> read_all(const Id& file, const std::string& name, hid_t mem_type) {
  const Id dset = open_dataset(file, name);
  std::size_t n = 1;
  for (hsize_t d : dims_of(dset)) n *= static_cast<std::size_t>(d);
  std::vector<T> out(n);
  REQUIRE(H5Dread(dset.get(), mem_type, kAll, kAll, kDefault, out.data()) >= 0);
  return out;
}

std::vector<std::string> read_strings(const Id& file, const std::string& name) {
  const Id type = utf8_type();
  auto ptrs = read_all<char*>(file, name, type.get());
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p);
    H5free_memory(p);
  }
  return out;
}

template <typename T>
T read_scalar_attr(hid_t obj, const std::string& name, hid_t mem_type) {
  const Id attr(H5Aopen(obj, name.c_str(), kDefault), H5Aclose);
  T value{};
  REQUIRE(H5Aread(attr.get(), mem_type, &value) >= 0);
  return value;
}

ResultsMeta make_meta(int days, std::vector<std::string> units) {
  ResultsMeta m;
  m.engine_version = "9.8.7";
  m.git_commit = "abcdef123456-dirty";
  m.build_type = "Debug";
  m.simd = "x86-64-v3";
  m.scenario_name = "unit test";
  m.scenario_file = "scenarios/ünit.yaml";
  m.scenario_yaml = "name: unit test\n";
  m.seed = 18446744073709551615ULL;
  m.command_line = "kpisim run scenarios/ünit.yaml";
  m.created_utc = "2025-06-30T12:34:56Z";
  m.threads = 7;
  m.days = days;
  m.unit_names = std::move(units);
  return m;
}

/// A run with irrational-ish values, so an exact comparison checks every bit.
RunResult make_run(std::string policy, std::uint32_t rep, int days, std::size_t units, std::size_t snaps, std::size_t agents) {
  RunResult r;
  r.policy = std::move(policy);
  r.policy_type = r.policy + "_type";
  r.replication = rep;
  r.days = days;
  const double salt = 1.0 + static_cast<double>(rep) / 3.0 + static_cast<double>(r.policy.size()) / 7.0;
  const std::size_t nd = kpisim::daily_variables().size();
  for (std::size_t i = 0; i < nd * static_cast<std::size_t>(days); ++i) r.series.push_back(std::sin(static_cast<double>(i) * salt) * 1e3);
  std::size_t per_unit = 0;
  for (const auto& v : kpisim::daily_variables()) per_unit += v.per_unit ? 1 : 0;
  for (std::size_t i = 0; i < per_unit * units * static_cast<std::size_t>(days); ++i)
    r.unit_series.push_back(std::cos(static_cast<double>(i) * salt) / 3.0);
  for (std::size_t s = 0; s < snaps; ++s) r.snapshot_days.push_back(static_cast<int>(s * 5 + 4));
  for (std::size_t a = 0; a < agents; ++a) r.snapshot_agents.push_back(static_cast<std::uint32_t>(a * 11 + 2));
  if (snaps > 0)
    for (std::size_t i = 0; i < kpisim::snapshot_variables().size() * snaps * agents; ++i)
      r.snapshots.push_back(static_cast<float>(std::sqrt(static_cast<double>(i) + salt)));
  return r;
}

std::vector<std::string> per_unit_names() {
  std::vector<std::string> out;
  for (const auto& v : kpisim::daily_variables())
    if (v.per_unit) out.emplace_back(v.name);
  return out;
}

}  // namespace

TEST_CASE("write_hdf5 round-trips values, coordinates and attributes exactly", "[io]") {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  constexpr int days = 9;
  const std::vector<std::string> unit_names{"Sales", "R&D", "Ops"};
  ResultsMeta meta = make_meta(days, unit_names);
  meta.scenario_yaml = std::string(200000, 'x') + "\nend: é\n";  // larger than a compact attribute (64 KiB)
  std::vector<RunResult> runs{make_run("baseline", 0, days, 3, 2, 4), make_run("quota", 1, days, 3, 2, 4)};

  kpisim::write_hdf5(path, meta, runs, false);
  CHECK(dir.entries() == std::vector<std::string>{"out.h5"});

  const Id file = open_file(path);
  SECTION("root attributes") {
    const hid_t root = file.get();
    CHECK(read_string_attr(root, "engine_version") == "9.8.7");
    CHECK(read_string_attr(root, "git_commit") == "abcdef123456-dirty");
    CHECK(read_string_attr(root, "build_type") == "Debug");
    CHECK(read_string_attr(root, "simd") == "x86-64-v3");
    CHECK(read_string_attr(root, "scenario_name") == "unit test");
    CHECK(read_string_attr(root, "scenario_file") == "scenarios/ünit.yaml");
    CHECK(read_string_attr(root, "scenario") == meta.scenario_yaml);
    CHECK(read_string_attr(root, "command_line") == meta.command_line);
    CHECK(read_string_attr(root, "created_utc") == "2025-06-30T12:34:56Z");
    CHECK(read_string_attr(root, "Conventions") == "CF-1.8");
    CHECK(read_string_attr(root, "title") == "KPISim results: unit test");
    CHECK(read_scalar_attr<std::uint64_t>(root, "seed", H5T_NATIVE_UINT64) == 18446744073709551615ULL);
    CHECK(read_scalar_attr<std::int32_t>(root, "threads", H5T_NATIVE_INT32) == 7);
  }
  SECTION("coordinates") {
    CHECK(read_all<std::int64_t>(file, "run", H5T_NATIVE_INT64) == std::vector<std::int64_t>{0, 1});
    const auto day = read_all<std::int32_t>(file, "day", H5T_NATIVE_INT32);
    REQUIRE(day.size() == static_cast<std::size_t>(days));
    for (int d = 0; d < days; ++d) CHECK(day[static_cast<std::size_t>(d)] == d);
    CHECK(read_strings(file, "unit") == unit_names);
    CHECK(read_all<std::int32_t>(file, "snapshot", H5T_NATIVE_INT32) == runs[0].snapshot_days);
    CHECK(read_all<std::uint32_t>(file, "agent", H5T_NATIVE_UINT32) == runs[0].snapshot_agents);
    CHECK(read_strings(file, "policy") == std::vector<std::string>{"baseline", "quota"});
    CHECK(read_strings(file, "policy_type") == std::vector<std::string>{"baseline_type", "quota_type"});
    CHECK(read_all<std::int32_t>(file, "replication", H5T_NATIVE_INT32) == std::vector<std::int32_t>{0, 1});
    const Id day_ds = open_dataset(file, "day");
    CHECK(read_string_attr(day_ds.get(), "units") == "1");
    CHECK(read_string_attr(day_ds.get(), "long_name") == "simulation day (day 0 is a Monday)");
    for (const char* name : {"run", "day", "unit", "snapshot", "agent"}) {
      const Id d = open_dataset(file, name);
      CHECK(H5DSis_scale(d.get()) > 0);
    }
  }
  SECTION("daily variables") {
    const auto& vars = kpisim::daily_variables();
    for (std::size_t v = 0; v < vars.size(); ++v) {
      const std::string name(vars[v].name);
      const auto data = read_all<double>(file, name, H5T_NATIVE_DOUBLE);
      REQUIRE(data.size() == 2 * static_cast<std::size_t>(days));
      for (std::size_t r = 0; r < 2; ++r)
        for (int d = 0; d < days; ++d) REQUIRE(data[r * days + static_cast<std::size_t>(d)] == runs[r].at(v, d));
      const Id ds = open_dataset(file, name);
      CHECK(read_string_attr(ds.get(), "units") == vars[v].units);
      CHECK(read_string_attr(ds.get(), "long_name") == vars[v].long_name);
      CHECK(read_string_attr(ds.get(), "coordinates") == "policy policy_type replication");
      CHECK(std::isnan(read_scalar_attr<double>(ds.get(), "_FillValue", H5T_NATIVE_DOUBLE)));
    }
    // Chunking, filters and attached scales of one variable.
    const Id ds = open_dataset(file, "headcount");
    const Id dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
    REQUIRE(H5Pget_layout(dcpl.get()) == H5D_CHUNKED);
    hsize_t chunk[2] = {0, 0};
    REQUIRE(H5Pget_chunk(dcpl.get(), 2, chunk) == 2);
    CHECK(chunk[0] == 1);
    CHECK(chunk[1] == static_cast<hsize_t>(days));
    REQUIRE(H5Pget_nfilters(dcpl.get()) == 3);
    unsigned flags = 0;
    std::size_t nelmts = 1;
    unsigned level = 0;
    CHECK(H5Pget_filter2(dcpl.get(), 0, &flags, &nelmts, &level, 0, nullptr, nullptr) == H5Z_FILTER_SHUFFLE);
    nelmts = 1;
    CHECK(H5Pget_filter2(dcpl.get(), 1, &flags, &nelmts, &level, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE);
    CHECK(level == 4);
    nelmts = 0;
    CHECK(H5Pget_filter2(dcpl.get(), 2, &flags, &nelmts, nullptr, 0, nullptr, nullptr) ==
          H5Z_FILTER_FLETCHER32);  // last: checksums the stored bytes
    const Id run = open_dataset(file, "run");
    {
      // The numeric coordinates are checksummed too; the file is in the checksummed 1.10 format.
      const Id run_dcpl(H5Dget_create_plist(run.get()), H5Pclose);
      REQUIRE(H5Pget_layout(run_dcpl.get()) == H5D_CHUNKED);
      REQUIRE(H5Pget_nfilters(run_dcpl.get()) == 1);
      nelmts = 0;
      CHECK(H5Pget_filter2(run_dcpl.get(), 0, &flags, &nelmts, nullptr, 0, nullptr, nullptr) == H5Z_FILTER_FLETCHER32);
      const Id fapl(H5Fget_access_plist(file.get()), H5Pclose);
      H5F_libver_t low = H5F_LIBVER_EARLIEST;
      H5F_libver_t high = H5F_LIBVER_EARLIEST;
      REQUIRE(H5Pget_libver_bounds(fapl.get(), &low, &high) >= 0);
      CHECK(low == H5F_LIBVER_V110);
    }
    const Id day = open_dataset(file, "day");
    CHECK(H5DSis_attached(ds.get(), run.get(), 0) > 0);
    CHECK(H5DSis_attached(ds.get(), day.get(), 1) > 0);
    const Id policy = open_dataset(file, "policy");
    CHECK(H5DSis_attached(policy.get(), run.get(), 0) > 0);
  }
  SECTION("per-unit variables are (run, day, unit)") {
    const auto names = per_unit_names();
    const std::size_t nu = unit_names.size();
    for (std::size_t pv = 0; pv < names.size(); ++pv) {
      const std::string name = "unit_" + names[pv];
      const Id ds = open_dataset(file, name);
      CHECK(dims_of(ds) == std::vector<hsize_t>{2, static_cast<hsize_t>(days), nu});
      const auto data = read_all<double>(file, name, H5T_NATIVE_DOUBLE);
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t d = 0; d < static_cast<std::size_t>(days); ++d)
          for (std::size_t u = 0; u < nu; ++u) REQUIRE(data[(r * days + d) * nu + u] == runs[r].unit_series[(pv * nu + u) * days + d]);
    }
    const Id ds = open_dataset(file, "unit_headcount");
    const Id unit = open_dataset(file, "unit");
    CHECK(H5DSis_attached(ds.get(), unit.get(), 2) > 0);
    CHECK_FALSE(has_link(file, "unit_rewards_usd"));  // not per unit
  }
  SECTION("snapshots are float32 (run, snapshot, agent)") {
    const auto& vars = kpisim::snapshot_variables();
    for (std::size_t sv = 0; sv < vars.size(); ++sv) {
      const std::string name = "snap_" + std::string(vars[sv].name);
      const Id ds = open_dataset(file, name);
      CHECK(dims_of(ds) == std::vector<hsize_t>{2, 2, 4});
      const Id type(H5Dget_type(ds.get()), H5Tclose);
      CHECK(H5Tget_class(type.get()) == H5T_FLOAT);
      CHECK(H5Tget_size(type.get()) == 4);
      const auto data = read_all<float>(file, name, H5T_NATIVE_FLOAT);
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t i = 0; i < 8; ++i) REQUIRE(data[r * 8 + i] == runs[r].snapshots[sv * 8 + i]);
    }
  }
}

namespace {

/// The file in `image` has what the file at `path` has: the same size, the same root attributes
/// and the same values of every daily and per-unit variable. (The bytes themselves differ where
/// HDF5 records the time objects were created.)
void check_same_file(const std::string& image, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(on_disk.size() > 1000);
  CHECK(image.size() == on_disk.size());
  // Opened as the reader opens a memory image: the in-memory driver with the image copied in and
  // freed at close (H5LTopen_file_image leaks its callback data under LeakSanitizer).
  const Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  REQUIRE(H5Pset_fapl_core(fapl.get(), std::size_t{1} << 16, false) >= 0);
  std::string copy = image;  // HDF5's signature takes a writable buffer (it copies it)
  REQUIRE(H5Pset_file_image(fapl.get(), copy.data(), copy.size()) >= 0);
  const Id mem(H5Fopen("image.h5", H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  REQUIRE(mem.get() >= 0);
  const Id disk = open_file(path);
  for (const char* attr : {"engine_version", "scenario", "command_line", "created_utc"})
    CHECK(read_string_attr(mem.get(), attr) == read_string_attr(disk.get(), attr));
  for (const auto& v : kpisim::daily_variables()) {
    const std::string name(v.name);
    CHECK(read_all<double>(mem, name, H5T_NATIVE_DOUBLE) == read_all<double>(disk, name, H5T_NATIVE_DOUBLE));
    if (v.per_unit)
      CHECK(read_all<double>(mem, "unit_" + name, H5T_NATIVE_DOUBLE) == read_all<double>(disk, "unit_" + name, H5T_NATIVE_DOUBLE));
  }
}

}  // namespace

TEST_CASE("write_hdf5_image builds in memory the file write_hdf5 writes", "[io]") {
  // The Python module's kpisim.run returns this image: it must be the CLI's file.
  TempDir dir;
  const std::string path = dir.file("out.h5");
  constexpr int days = 9;
  const std::vector<std::string> unit_names{"Sales", "R&D"};
  const ResultsMeta meta = make_meta(days, unit_names);
  const std::vector<RunResult> runs{make_run("baseline", 0, days, 2, 2, 3), make_run("quota", 0, days, 2, 2, 3)};
  kpisim::write_hdf5(path, meta, runs, false);
  check_same_file(kpisim::write_hdf5_image("<memory>", meta, runs), path);
  CHECK(dir.entries() == std::vector<std::string>{"out.h5"});  // nothing else was written
  // Two in-memory writers open at once (two Python threads may run) each have their own file.
  kpisim::ResultsLayout layout;
  layout.runs = runs.size();
  layout.days = days;
  layout.unit_names = unit_names;
  layout.snapshot_days = runs[0].snapshot_days;
  layout.snapshot_agents = runs[0].snapshot_agents;
  for (const auto& r : runs) {
    layout.policy.push_back(r.policy);
    layout.policy_type.push_back(r.policy_type);
    layout.replication.push_back(static_cast<std::int32_t>(r.replication));
  }
  kpisim::ResultsWriter a = kpisim::ResultsWriter::in_memory("a", meta, layout);
  kpisim::ResultsWriter b = kpisim::ResultsWriter::in_memory("b", meta, layout);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    b.write_run(i, runs[i]);
    a.write_run(i, runs[i]);
  }
  check_same_file(a.image(), path);
  check_same_file(b.image(), path);
  CHECK_THROWS_AS(a.image(), RunError);                                        // finished
  CHECK_THROWS_AS(kpisim::ResultsWriter::in_memory("c", meta, {}), RunError);  // an invalid layout, refused before anything is created
  CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
}

TEST_CASE("write_hdf5 omits unit and snapshot dimensions when there is nothing to put in them", "[io]") {
  TempDir dir;
  const std::string path = dir.file("plain.h5");
  std::vector<RunResult> runs{make_run("a", 0, 5, 0, 0, 0)};
  kpisim::write_hdf5(path, make_meta(5, {"Sales"}), runs, false);
  const Id file = open_file(path);
  CHECK(has_link(file, "headcount"));
  for (const char* name : {"unit", "unit_headcount", "snapshot", "agent", "snap_skill"}) CHECK_FALSE(has_link(file, name));
}

TEST_CASE("write_hdf5 fills runs without per-unit series or snapshots with NaN", "[io]") {
  TempDir dir;
  const std::string path = dir.file("mixed.h5");
  std::vector<RunResult> runs{make_run("without", 0, 4, 0, 0, 0), make_run("with", 0, 4, 2, 1, 3)};
  kpisim::write_hdf5(path, make_meta(4, {"A", "B"}), runs, false);
  const Id file = open_file(path);
  const auto units = read_all<double>(file, "unit_headcount", H5T_NATIVE_DOUBLE);
  REQUIRE(units.size() == 2 * 4 * 2);
  for (std::size_t i = 0; i < 8; ++i) CHECK(std::isnan(units[i]));
  for (std::size_t i = 8; i < 16; ++i) CHECK_FALSE(std::isnan(units[i]));
  const auto snaps = read_all<float>(file, "snap_skill", H5T_NATIVE_FLOAT);
  REQUIRE(snaps.size() == 2 * 1 * 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(std::isnan(snaps[i]));
  for (std::size_t i = 3; i < 6; ++i) CHECK(snaps[i] == runs[1].snapshots[i - 3]);
}

TEST_CASE("write_hdf5 refuses to overwrite an existing file unless asked to", "[io]") {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  const auto meta = make_meta(3, {});
  std::vector<RunResult> first{make_run("first", 0, 3, 0, 0, 0)};
  std::vector<RunResult> second{make_run("second", 0, 3, 0, 0, 0)};

  SECTION("an existing results file is kept byte for byte") {
    kpisim::write_hdf5(path, meta, first, false);
    const std::string before = slurp(path);
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, second, false),
                      "refusing to overwrite existing file '" + path + "'; pass --force to replace it");
    CHECK_THROWS_AS(kpisim::write_hdf5(path, meta, second, false), RunError);
    CHECK(slurp(path) == before);
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
  }
  SECTION("so is any other file, even when the runs are invalid") {
    { std::ofstream(path) << "precious"; }
    std::vector<RunResult> none;
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, none, false), Catch::Contains("refusing to overwrite"));
    CHECK(slurp(path) == "precious");
  }
  SECTION("overwrite = true replaces the file") {
    kpisim::write_hdf5(path, meta, first, false);
    kpisim::write_hdf5(path, meta, second, true);
    const Id file = open_file(path);
    CHECK(read_strings(file, "policy") == std::vector<std::string>{"second"});
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
  }
  SECTION("overwrite = true replaces a file that is not HDF5") {
    { std::ofstream(path) << "not hdf5"; }
    kpisim::write_hdf5(path, meta, second, true);
    const Id file = open_file(path);
    CHECK(read_strings(file, "policy") == std::vector<std::string>{"second"});
  }
}

TEST_CASE("a failed write leaves neither the file nor a temporary file", "[io]") {
  TempDir dir;
  const std::string path = dir.file("out.h5");
  const auto meta = make_meta(0, {"A", "B"});

  SECTION("the directory does not exist") {
    const std::string missing = dir.file("no/such/dir/out.h5");
    std::vector<RunResult> runs{make_run("a", 0, 3, 0, 0, 0)};
    CHECK_THROWS_AS(kpisim::write_hdf5(missing, meta, runs, false), RunError);
    CHECK_THROWS_WITH(kpisim::write_hdf5(missing, meta, runs, true),
                      Catch::Contains("'" + missing + "'") && Catch::Contains("creating temporary file"));
    CHECK_FALSE(fs::exists(missing));
  }
  SECTION("runs with different numbers of days") {
    std::vector<RunResult> runs{make_run("a", 0, 3, 0, 0, 0), make_run("b", 0, 4, 0, 0, 0)};
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, false),
                      Catch::Contains("same number of days") && Catch::Contains("policy 'b'") && Catch::Contains(path));
    CHECK_THROWS_AS(kpisim::write_hdf5(path, meta, runs, true), RunError);
  }
  SECTION("no runs") {
    std::vector<RunResult> runs;
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, false), Catch::Contains("no runs"));
  }
  SECTION("inconsistent sizes") {
    std::vector<RunResult> runs{make_run("a", 0, 3, 2, 1, 2)};
    runs[0].series.pop_back();
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, false), Catch::Contains("daily values"));
    runs = {make_run("a", 0, 3, 2, 1, 2)};
    runs[0].unit_series.pop_back();
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, false), Catch::Contains("per-unit values"));
    runs = {make_run("a", 0, 3, 2, 1, 2), make_run("b", 0, 3, 2, 1, 2)};
    runs[1].snapshot_agents[0] = 99;
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, false), Catch::Contains("sampled agents"));
    runs = {make_run("a", 0, 3, 2, 0, 0)};
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, make_meta(3, {}), runs, false), Catch::Contains("no unit names"));
  }
  SECTION("the final rename fails (the target is a non-empty directory)") {
    fs::create_directories(fs::path(path) / "inside");
    std::vector<RunResult> runs{make_run("a", 0, 3, 2, 1, 2)};
    CHECK_THROWS_WITH(kpisim::write_hdf5(path, meta, runs, true), Catch::Contains("renaming"));
    CHECK(fs::is_directory(fs::path(path) / "inside"));
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    return;
  }
  CHECK(dir.entries().empty());
}

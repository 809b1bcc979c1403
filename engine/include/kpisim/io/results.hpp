#pragma once
// What a run produces, independent of the file format. The HDF5 writer (src/io/hdf5_writer.cpp)
// and reader (src/io/hdf5_reader.cpp) are the only code that knows the file layout; see
// docs/output-schema.md.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpisim {

/// Metadata of an output variable.
struct VariableInfo {
  std::string_view name;       ///< dataset name (snake_case)
  std::string_view long_name;  ///< human-readable description
  std::string_view units;      ///< UDUNITS-style where possible ("1" for dimensionless)
  bool per_unit;               ///< also written per division as unit_<name>(run, day, unit)
};

/// The daily series, in output order. series[v * days + d] is variable v on day d.
const std::vector<VariableInfo>& daily_variables();
/// Per-agent snapshot variables, in output order.
const std::vector<VariableInfo>& snapshot_variables();
/// Index of a daily variable by name (throws std::out_of_range).
std::size_t daily_index(std::string_view name);

/// The results of one run (one policy, one replication).
struct RunResult {
  std::string policy;       ///< policy label (key under `policies`)
  std::string policy_type;  ///< regime type name
  std::uint32_t replication = 0;
  int days = 0;
  std::vector<double> series;                  ///< [variable][day], daily_variables() order
  std::vector<double> unit_series;             ///< [per-unit variable][unit][day], per_unit variables in order
  std::vector<int> snapshot_days;              ///< days on which snapshots were taken
  std::vector<std::uint32_t> snapshot_agents;  ///< employee slots sampled (same for every snapshot)
  std::vector<float> snapshots;                ///< [snapshot variable][snapshot][agent]

  [[nodiscard]] double at(std::size_t var, int day) const {
    return series[var * static_cast<std::size_t>(days) + static_cast<std::size_t>(day)];
  }
};

/// Provenance and shared coordinates of a results file.
struct ResultsMeta {
  std::string engine_version;
  std::string git_commit;
  std::string build_type;
  std::string simd;  ///< instruction set level the engine was built for (results do not depend on it)
  std::string scenario_name;
  std::string scenario_file;
  std::string scenario_yaml;  ///< the fully resolved scenario
  std::uint64_t seed = 0;
  std::string command_line;
  std::string created_utc;  ///< ISO 8601
  int threads = 0;
  bool invariant_checks = false;  ///< built with KPISIM_CHECKS
  int days = 0;
  std::vector<std::string> unit_names;  ///< division names (dimension `unit`)
  /// More root string attributes (e.g. "experiment": the resolved experiment YAML, "kind": "sweep");
  /// names must not repeat a built-in attribute.
  std::vector<std::pair<std::string, std::string>> extra_attrs;
};

}  // namespace kpisim

#pragma once
// One run: a policy on the organisation, advanced a day at a time.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "kpisim/io/results.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/model/world.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {

/// Execution options that must not change results.
struct RunOptions {
  bool serial = false;  ///< use the serial reference path instead of TBB (same bits)
};

/// What every finished run of `spec` records as RunResult::snapshot_days and snapshot_agents (both
/// empty without snapshots); the sweep checks saved parts against it.
struct SnapshotLayout {
  std::vector<int> days;
  std::vector<std::uint32_t> agents;
};
SnapshotLayout snapshot_layout(const ModelSpec& spec);

class Simulation {
 public:
  /// Builds the world for `policy_index` of spec.scenario.policies. Replication r of every policy
  /// shares its random streams (common random numbers).
  Simulation(const ModelSpec& spec, std::size_t policy_index, std::uint32_t replication, RunOptions options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  Simulation(Simulation&&) = delete;
  Simulation& operator=(Simulation&&) = delete;

  /// Advances one day and records its outputs.
  void step();
  [[nodiscard]] int day() const noexcept { return day_; }
  [[nodiscard]] const World& world() const noexcept { return world_; }
  /// The results recorded so far (series sized for the full horizon).
  [[nodiscard]] const RunResult& result() const noexcept { return result_; }
  RunResult take_result() { return std::move(result_); }

 private:
  struct Impl;
  const ModelSpec& spec_;
  World world_;
  Rng rng_;
  std::unique_ptr<Regime> regime_;
  std::unique_ptr<Impl> impl_;
  RunOptions options_;
  RunResult result_;
  int day_ = 0;
};

/// Runs every policy of the spec for one replication (policies in parallel) and returns results in
/// policy order. `progress(done_days, total_days)` is called from the calling thread only; if it
/// throws, the runs stop at the end of their current day and its exception is rethrown.
std::vector<RunResult> run_policies(const ModelSpec& spec, std::uint32_t replication,
                                    const std::function<void(long long, long long)>& progress = {});

}  // namespace kpisim

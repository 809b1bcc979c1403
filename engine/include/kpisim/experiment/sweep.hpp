#pragma once
// Running an experiment: every (point, policy, replication) in parallel, each finished run saved
// at once as a part file (so a killed sweep loses no finished run and `--resume` runs only the
// missing ones), then the parts merged, run by run, into one results file with the analysis.
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/results.hpp"

namespace kpisim {

struct SweepOptions {
  std::string output;       ///< the results file
  bool overwrite = false;   ///< replace an existing results file, and discard parts of another sweep
  bool resume = false;      ///< continue from the parts of an interrupted sweep of the same experiment
  bool keep_parts = false;  ///< keep the part files after the merge (they are kept anyway when runs failed)
  std::string build_id;     ///< identifies the program (e.g. a hash of its executable): --resume requires the same
  ResultsMeta meta;         ///< provenance written to the results file
  /// Called from the calling thread: (simulated run-days done, total run-days to do). If it throws,
  /// no further run starts, the runs under way are finished and saved, and run_sweep rethrows.
  std::function<void(long long, long long)> progress;
  /// Called (by process 0) with a message about something the sweep repaired, e.g. a part that is
  /// not a record of its run and is run again.
  std::function<void(const std::string&)> notice;

  /// Distribution over processes (MPI ranks; the engine itself does not depend on MPI). Every
  /// process calls run_sweep with the same experiment and options. Process 0 checks and prepares
  /// the part directory, `agree` gives every process process 0's verdict (empty: go on; else an
  /// error message), each process runs the runs i with i mod `processes` = `process` of the
  /// missing ones, writing their parts into the shared directory; after `barrier`, process 0
  /// merges. Results do not depend on the number of processes.
  int process = 0;
  int processes = 1;
  std::function<std::string(const std::string&)> agree;  ///< returns process 0's argument on every process
  std::function<void()> barrier;
};

struct SweepReport {
  std::size_t runs = 0;                                       ///< runs in the experiment
  std::size_t resumed = 0;                                    ///< finished by an earlier, interrupted invocation
  std::size_t ran = 0;                                        ///< run by this invocation (by this process, with several)
  std::vector<std::pair<std::size_t, std::string>> failures;  ///< (run, message), in run order
  Analysis analysis;                                          ///< comparison and sensitivity (also written to the file)
  bool parts_kept = false;  ///< the part directory was kept (--keep-parts, or failed runs to retry with --resume)
};

/// The part directory of a results file: "<output>.parts".
std::string parts_directory(const std::string& output);

/// Runs the sweep. Throws OutputExistsError if the output exists (without overwrite), RunError if
/// parts of a sweep are present without --resume or --force, or belong to another experiment or
/// build. A run that throws is recorded as failed (data NaN, status 1, its message) and the sweep
/// goes on.
SweepReport run_sweep(const Sweep& sweep, const SweepOptions& options);

/// Pre-flight estimate for a sweep.
struct SweepEstimate {
  std::size_t runs = 0;
  std::size_t agent_days = 0;    ///< employees x days x runs
  double seconds = 0.0;          ///< estimated wall time at `threads` threads
  std::size_t memory_bytes = 0;  ///< peak memory: concurrent runs' state and results
  std::size_t output_bytes = 0;  ///< results file, uncompressed upper bound
};
/// Memory and output size from arithmetic on the counts (the design, the organisation, the runs);
/// then, only when the memory is within `memory_limit` (0: no limit), times a few simulated days
/// of the first run to estimate the time (about 0.1 s); otherwise `seconds` is NaN.
SweepEstimate estimate_sweep(const Sweep& sweep, int threads, std::size_t memory_limit = 0);

}  // namespace kpisim

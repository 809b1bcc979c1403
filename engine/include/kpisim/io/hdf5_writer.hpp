#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kpisim/io/results.hpp"

namespace kpisim {

/// What a results file holds, fixed before the first run is written.
struct ResultsLayout {
  std::size_t runs = 0;
  int days = 0;
  std::vector<std::string> unit_names;  ///< per-unit series unit_<name>(run, day, unit) (empty: none)
  std::vector<int> snapshot_days;       ///< agent snapshots (empty: none)
  std::vector<std::uint32_t> snapshot_agents;
  // Coordinates on the run dimension, each of size `runs`:
  std::vector<std::string> policy, policy_type;
  std::vector<std::int32_t> replication;
  std::vector<std::int32_t> point;  ///< parameter-point index of each run (empty: not written)
  struct Numeric {
    std::string name, long_name, units;
    std::vector<double> values;
    /// kpisim_role: "parameter" (a varied parameter) or "value" (a scenario number a group sets).
    std::string role = "parameter";
  };
  /// One float64 coordinate on run per varied parameter, named e.g. "behaviour.effort_cost" (empty:
  /// none). Names must not contain '/' or white space, nor clash with another variable of the file.
  /// Avoid units "days", "hours", "seconds" (xarray would decode the values to timedelta64); "day" and
  /// "h" are fine.
  std::vector<Numeric> parameters;
  /// Write status(run) int8 (0 ok, 1 failed; initialised to -1 = not written) and error(run)
  /// strings ("" when ok).
  bool status = false;
};

/// Streams runs into a results file: everything is created up front, each run's slabs are written
/// when they arrive, and the file appears under `path` only on commit().
///
/// Memory: the writer keeps open dataset handles and small bookkeeping (one bit per run), never more
/// than one run's data (HDF5's chunk cache is disabled for the data variables). Not thread-safe:
/// serialise calls. Validation errors (RunError) leave the file unchanged and the writer usable.
/// The unit names come from the layout; ResultsMeta::unit_names is not used.
class ResultsWriter {
 public:
  /// Creates "<path>.tmp-<pid>" with every dataset (data = fill value NaN). Throws OutputExistsError
  /// if `path` exists and !overwrite (before creating anything), RunError on an invalid layout
  /// (before creating anything) or on HDF5 failures.
  ResultsWriter(std::string path, const ResultsMeta& meta, ResultsLayout layout, bool overwrite);
  ~ResultsWriter();  ///< removes the temporary file unless committed
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  ResultsWriter(ResultsWriter&&) noexcept;             ///< the moved-from writer can only be destroyed
  ResultsWriter& operator=(ResultsWriter&&) noexcept;  ///< abandons (removes) this writer's own file first

  /// One run's data (any order; writing a run again replaces it); sets status 0 when layout.status.
  /// Checks days, sizes, snapshot days and agents against the layout. Runs without unit_series or
  /// snapshots leave those variables NaN.
  void write_run(std::size_t run, const RunResult& r);
  /// Status 1 and the message; the data stay (or become) NaN. Needs layout.status.
  void write_failure(std::size_t run, const std::string& message);

  struct Column {
    std::string name, long_name, units;
    std::vector<double> values;
  };
  /// A small table in group `group` (nested paths like "sensitivity/true_value_per_fte" allowed):
  /// one dimension `dim` whose coordinate holds `labels` (strings, a dimension scale), and float64
  /// variables over it; `attrs` become string attributes of the group. Readable with
  /// xarray.open_dataset(file, engine="h5netcdf", group=group). Several tables may share a group if
  /// their dimension and column names differ.
  void write_table(const std::string& group, const std::string& dim, const std::vector<std::string>& labels,
                   const std::vector<Column>& columns, const std::vector<std::pair<std::string, std::string>>& attrs = {});
  /// Closes, fsyncs and moves the file into place (hard link without overwrite, rename with), as
  /// write_hdf5 does. Throws OutputExistsError if `path` appeared meanwhile and !overwrite, RunError
  /// on failure; either way the temporary file is removed and the writer is finished.
  void commit();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// A writer of the same file in memory (HDF5's core driver; nothing touches the disk): finish it
  /// with image() instead of commit(). `label` stands for the path in messages.
  static ResultsWriter in_memory(std::string label, const ResultsMeta& meta, ResultsLayout layout);
  /// Finishes an in-memory writer and returns the bytes of its file (strings sealed, as commit()
  /// seals them). Throws RunError on failure; either way the writer is finished.
  std::string image();

 private:
  struct InMemory {};
  ResultsWriter(std::string label, const ResultsMeta& meta, ResultsLayout layout, InMemory /*tag*/);
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

/// Stops the HDF5 library from registering its exit handler; call first thing in main(), before
/// any other HDF5 use. After a failed H5Fclose (a full disk) HDF5 keeps the file half-closed, and
/// its exit handler then crashes (SIGSEGV in H5F__close_cb) trying to close it again; every file
/// the program opens is closed explicitly, so nothing is lost without the handler.
void disable_hdf5_exit_handler() noexcept;

/// Writes runs to an HDF5 file readable by h5py and xarray (engine="h5netcdf").
///
/// The file is written under a temporary name in the same directory and renamed over `path`
/// only when complete, so a failed or interrupted write never leaves a partial file under `path`.
/// Throws RunError if `path` exists and `overwrite` is false (nothing is written), or on any HDF5
/// failure (the temporary file is removed). Implemented with ResultsWriter.
void write_hdf5(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs, bool overwrite);

/// The file write_hdf5 would write, built in memory and returned as its bytes (an HDF5 file image:
/// h5py and xarray open it from io.BytesIO). `label` stands for the path in messages.
std::string write_hdf5_image(const std::string& label, const ResultsMeta& meta, const std::vector<RunResult>& runs);

}  // namespace kpisim

#pragma once
// Reading results files written by ResultsWriter / write_hdf5 (layout: src/io/hdf5_writer.cpp and
// docs/output-schema.md). Nothing here holds more than one run's data at a time.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpisim/io/hdf5_writer.hpp"

namespace kpisim {

/// The coordinates and provenance of a results file (no data variables).
struct ResultsIndex {
  std::size_t runs = 0;
  int days = 0;
  std::vector<std::pair<std::string, std::string>> string_attrs;  ///< every string root attribute (sorted by name)
  std::uint64_t seed = 0;
  std::vector<std::string> policy, policy_type;
  std::vector<std::int32_t> replication;
  std::vector<std::int32_t> point;                 ///< empty if the file has none
  std::vector<ResultsLayout::Numeric> parameters;  ///< empty if none; in the order written (kpisim_role = "parameter")
  std::vector<std::int8_t> status;                 ///< empty if none
  std::vector<std::string> error;                  ///< empty if none
  /// The file has CRC-32 checksums of its strings (and they match); files written before the
  /// checksums were stored have none, and their strings are read unverified.
  bool strings_checksummed = false;
  [[nodiscard]] std::string attr(std::string_view name) const;  ///< "" when absent
};

/// While it lives, the readers below, given `path`, read this memory image of a results file
/// instead of the file system, on this thread, through the same code (HDF5's core driver, no
/// backing store; nothing with that name may exist on disk). For fuzzing, where writing each input
/// to a file would cost more than reading it. The bytes are copied once, here; every opening reads
/// that copy in place (file-image callbacks: no copy per opening).
class ResultsFileImage {
 public:
  ResultsFileImage(std::string path, const void* data, std::size_t size);
  ~ResultsFileImage();
  ResultsFileImage(const ResultsFileImage&) = delete;
  ResultsFileImage& operator=(const ResultsFileImage&) = delete;
  ResultsFileImage(ResultsFileImage&&) = delete;
  ResultsFileImage& operator=(ResultsFileImage&&) = delete;
};

/// Throws ResultsFileError with a clear message (file not found, not a KPISim results file, damaged
/// or crafted: wrong types or shapes, sizes beyond the file's, ...).
ResultsIndex read_results_index(const std::string& path);

/// Mean of daily variable `variable` over days [first_day, last_day] (inclusive) for every run,
/// NaN days skipped (as xarray's skipna; a run with no non-NaN day, e.g. a failed run, gives NaN).
/// `variable` may name one division's series of a per-unit variable, `unit_<variable>[<division>]`.
/// Reads run by run (bounded memory). Throws RunError for an unknown variable (with the nearest
/// valid name suggested) or a bad window.
std::vector<double> read_window_means(const std::string& path, std::string_view variable, int first_day, int last_day);

/// Reads everything in a results file once, in bounded memory (one run's slab at a time): the
/// index, every dataset of every group (so HDF5 verifies each chunk's Fletcher-32 checksum), every
/// attribute, and the dimension scales of the daily variables. Throws ResultsFileError naming the
/// first problem. Damaged metadata can still crash the HDF5 library itself: run this in a child
/// process (see `kpisim report` and `kpisim compare`) when the file is untrusted. Returns the index.
ResultsIndex verify_results_file(const std::string& path);

/// A table written by ResultsWriter::write_table: the labels of its dimension, its float64 columns
/// (in file order) and the string attributes of its group.
struct ResultsTable {
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, std::vector<double>>> columns;
  std::vector<std::pair<std::string, std::string>> attrs;
  /// The column `name`, or nullptr when the table has none.
  [[nodiscard]] const std::vector<double>* column(std::string_view name) const;
  /// The attribute `name`, "" when absent.
  [[nodiscard]] std::string attr(std::string_view name) const;
};

/// Reads the table in group `group` (e.g. "optimisation/evaluations") whose dimension is `dim`,
/// with the checks of the other readers (hard links only, sizes against the file's, checksums).
/// Throws ResultsFileError when the file has no such table or it is malformed.
ResultsTable read_results_table(const std::string& path, const std::string& group, const std::string& dim);

}  // namespace kpisim

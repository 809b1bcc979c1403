// fuzz_results: libFuzzer target for the results-file readers (docs/fuzzing.md).
// Input bytes are written to a temporary file (the readers take a path) and read as
// `kpisim report FILE` and `kpisim compare FILE` read it: verify_results_file (every dataset,
// attribute, checksum and dimension scale), then, whatever its verdict (so that the readers are
// fuzzed on files the verification would refuse too), read_results_index; if the file has an
// `experiment` attribute, Sweep::from_text of it with a `base:` path refused (as compare does),
// the run count check, read_window_means of each analysed output over the analysis window,
// analyse and format_analysis. Files without an experiment are read too (read_window_means of one
// variable over every day), so that the data path is fuzzed as well.
// A refusal is a RunError (ResultsFileError is one) or an InputError (documented, with a message
// naming the file); anything else escaping, an abort or a sanitizer report is a crash.
// Production reads in a forked child (`isolated()` in main.cpp), so that a crash inside libhdf5 on
// crafted metadata becomes exit code 2; here the read is in-process (libFuzzer needs the coverage)
// and scripts/fuzz.sh classifies a crash by its faulting frame (tests/fuzz/triage.py).
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/io/hdf5_reader.hpp"

namespace {

/// One temporary file per process, in memory when /dev/shm exists; removed at exit.
const std::string& temp_path() {
  static const std::string path = [] {
    const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    return (dir / ("kpisim_fuzz_results_" + std::to_string(::getpid()) + ".h5")).string();
  }();
  return path;
}

void remove_temp() {
  std::remove(temp_path().c_str());
}

void write_file(const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(temp_path().c_str(), "wb");
  if (f == nullptr) {
    std::perror("fuzz_results: cannot write the temporary file");
    std::abort();
  }
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  if (std::fclose(f) != 0) std::abort();
}

void read_as_compare(const std::string& file) {
  const kpisim::ResultsIndex idx = kpisim::read_results_index(file);
  const std::string yaml = idx.attr("experiment");
  if (yaml.empty()) {
    if (idx.days > 0) static_cast<void>(kpisim::read_window_means(file, "true_value_per_fte", 0, idx.days - 1));
    return;
  }
  const kpisim::Sweep sw = kpisim::Sweep::from_text(yaml, file + " (experiment attribute)", ".", kpisim::BaseFile::refused);
  if (sw.runs() != idx.runs) return;  // `kpisim compare` refuses this with a RunError
  std::vector<std::vector<double>> values;
  for (const auto& name : sw.experiment.analysis.outputs)
    values.push_back(kpisim::read_window_means(file, name, sw.experiment.analysis.first_day, sw.last_day()));
  const kpisim::Analysis an = kpisim::analyse(sw, values);
  static_cast<void>(kpisim::format_analysis(sw, an));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  std::atexit(remove_temp);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  write_file(data, size);
  try {
    kpisim::verify_results_file(temp_path());
  } catch (const kpisim::RunError&) {
  } catch (const kpisim::InputError&) {
  }
  try {
    read_as_compare(temp_path());
  } catch (const kpisim::RunError&) {
    // refused with a message: the documented outcome
  } catch (const kpisim::InputError&) {
  }
  // HDF5 keeps freed blocks on its own free lists: give them back, so that an input ends with as
  // many frees as mallocs and libFuzzer does not rerun it for a full leak check.
  static_cast<void>(H5garbage_collect());
  return 0;
}

// fuzz_results: libFuzzer target for the results-file readers (docs/fuzzing.md).
// Input bytes are read from memory (kpisim::ResultsFileImage: HDF5's core driver, the readers'
// own code otherwise; no file per input) as
// `kpisim report FILE` and `kpisim compare FILE` read it: verify_results_file (every dataset,
// attribute, checksum and dimension scale), then, whatever its verdict (so that the readers are
// fuzzed on files the verification would refuse too), read_results_index; if the file has an
// `experiment` attribute, Sweep::from_text of it with a `base:` path refused (as compare does),
// the run count check, read_window_means of each analysed output over the analysis window,
// analyse and format_analysis. The files of `kpisim optimise` and `kpisim calibrate` are read as
// compare reads them: Optimisation::from_text / Calibration::from_text of the file's own section
// text (a `base:` path refused; the replicas' scenarios are inline), the run count check for an
// optimisation, then read_optimisation_report / read_calibration_report and their formatting.
// Files without an experiment are read too (read_window_means of one variable over every day), so
// that the data path is fuzzed as well.
// A refusal is a RunError (ResultsFileError is one) or an InputError (documented, with a message
// naming the file); anything else escaping, an abort or a sanitizer report is a crash.
// Production reads in a forked child (`isolated()` in main.cpp), so that a crash inside libhdf5 on
// crafted metadata becomes exit code 2; here the read is in-process (libFuzzer needs the coverage)
// and scripts/fuzz.sh classifies a crash by its faulting frame (tests/fuzz/triage.py).
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/calibrate.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/experiment/optimise.hpp"
#include "kpisim/io/hdf5_reader.hpp"

namespace {

/// The name the input is read under (the readers' path argument): never a file on disk, see
/// kpisim::ResultsFileImage.
constexpr const char* kName = "fuzz-input-in-memory.h5";

void read_as_compare(const std::string& file) {
  const kpisim::ResultsIndex idx = kpisim::read_results_index(file);
  const std::string yaml = idx.attr("experiment");
  if (yaml.empty() && idx.attr("kind") == "optimisation" && !idx.attr("optimisation").empty()) {
    const kpisim::Optimisation opt =
        kpisim::Optimisation::from_text(idx.attr("optimisation"), file + " (optimisation attribute)", ".", kpisim::BaseFile::refused);
    if (3 * opt.state_count() * static_cast<std::size_t>(opt.confirm_replications()) != idx.runs) return;  // refused by compare
    static_cast<void>(kpisim::format_optimisation(opt, kpisim::read_optimisation_report(opt, file)));
    return;
  }
  if (yaml.empty() && idx.attr("kind") == "calibration" && !idx.attr("calibration").empty()) {
    const kpisim::Calibration cal =
        kpisim::Calibration::from_text(idx.attr("calibration"), file + " (calibration attribute)", ".", kpisim::BaseFile::refused);
    static_cast<void>(kpisim::format_calibration(cal, kpisim::read_calibration_report(cal, file)));
    return;
  }
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const kpisim::ResultsFileImage image(kName, data, size);
  try {
    static_cast<void>(kpisim::verify_results_file(kName));
  } catch (const kpisim::RunError&) {
  } catch (const kpisim::InputError&) {
  }
  try {
    read_as_compare(kName);
  } catch (const kpisim::RunError&) {
    // refused with a message: the documented outcome
  } catch (const kpisim::InputError&) {
  }
  // HDF5 keeps freed blocks on its own free lists: give them back, so that an input ends with as
  // many frees as mallocs and libFuzzer does not rerun it for a full leak check.
  static_cast<void>(H5garbage_collect());
  return 0;
}

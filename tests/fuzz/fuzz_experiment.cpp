// fuzz_experiment: libFuzzer target for the experiment loader (docs/fuzzing.md).
// Input bytes are an experiment file's text, read as `kpisim sweep`/`validate` read a file
// (Sweep::load = Sweep::from_text after reading), in the directory of the base scenario the seed
// corpus names (`base: ../small_compare.yaml`, resolved in tests/data/experiments; an inline
// `scenario:` works too). A refusal is an InputError; anything else escaping, an abort or a
// sanitizer report is a crash. Nothing is simulated (the pre-flight estimate times real days).
// Properties checked on every accepted input: the resolved experiment (Sweep::to_yaml, stored in
// results files and read back by `kpisim compare`) loads again with the same runs and the same
// text, and the scenario of the first and last parameter points can be built.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/experiment.hpp"

#ifndef KPISIM_FUZZ_BASE_DIR
#error "KPISIM_FUZZ_BASE_DIR (the directory that resolves a relative `base:`) must be defined"
#endif

namespace {

[[noreturn]] void property_failed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_experiment: property failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string dir = KPISIM_FUZZ_BASE_DIR;
  std::string resolved;
  std::size_t runs = 0;
  try {
    const kpisim::Sweep sw = kpisim::Sweep::from_text(text, "fuzz_experiment.yaml", dir);
    runs = sw.runs();
    if (!sw.points.empty()) {
      static_cast<void>(sw.scenario_at(0));
      static_cast<void>(sw.scenario_at(sw.points.size() - 1));
    }
    for (std::size_t r : {std::size_t{0}, runs / 2, runs == 0 ? 0 : runs - 1})
      if (r < runs) static_cast<void>(sw.run(r));
    static_cast<void>(sw.last_day());
    resolved = sw.to_yaml();
  } catch (const kpisim::InputError&) {
    return 0;  // refused with a message: the documented outcome
  }
  try {
    const kpisim::Sweep again = kpisim::Sweep::from_text(resolved, "resolved_experiment.yaml", dir);
    if (again.runs() != runs) property_failed("the resolved experiment describes another number of runs", resolved);
    if (again.to_yaml() != resolved) property_failed("Sweep::to_yaml is not a fixed point", resolved + "---\n" + again.to_yaml());
  } catch (const kpisim::InputError& e) {
    property_failed("the resolved experiment (Sweep::to_yaml) does not load again", std::string(e.what()) + "\n--- resolved:\n" + resolved);
  }
  return 0;
}

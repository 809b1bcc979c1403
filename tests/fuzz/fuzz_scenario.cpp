// fuzz_scenario: libFuzzer target for the scenario loader (docs/fuzzing.md).
// Input bytes are a scenario file's text. The path is the CLI's (`kpisim validate` and `kpisim run`):
// load_scenario_text (= load_scenario_file after reading), ModelSpec::resolve, the memory estimate.
// A refusal is an InputError (a documented outcome, exit code 2); anything else escaping, an abort or
// a sanitizer report is a crash.
// ModelSpec::resolve builds the unit tree, in time and memory linear in organisation.employees
// (50 million take 30 s and 1 GB here): above kMaxResolvedEmployees the harness checks the loader
// and the round trip only, so that a mutated head count does not stall the fuzzer.
// Property checked on every accepted input: the resolved scenario written with to_yaml (stored in
// every results file, read back by `kpisim compare`) loads again and writes the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/model/spec.hpp"

namespace {

constexpr long long kMaxResolvedEmployees = 100'000;

[[noreturn]] void property_failed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_scenario: property failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  kpisim::Scenario s;
  try {
    s = kpisim::load_scenario_text(text, "fuzz.yaml");
  } catch (const kpisim::InputError&) {
    return 0;  // refused with a message: the documented outcome
  }
  std::string resolved;
  try {
    if (static_cast<long long>(s.organisation.employees) > kMaxResolvedEmployees) {
      resolved = kpisim::to_yaml(s);
    } else {
      const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, "fuzz.yaml");
      static_cast<void>(kpisim::estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size()));
      resolved = kpisim::to_yaml(spec.scenario);
    }
  } catch (const kpisim::InputError&) {
    return 0;
  }
  std::string again;
  try {
    again = kpisim::to_yaml(kpisim::load_scenario_text(resolved, "resolved.yaml"));
  } catch (const kpisim::InputError& e) {
    property_failed("the resolved scenario (to_yaml) does not load again", std::string(e.what()) + "\n--- resolved:\n" + resolved);
  }
  if (again != resolved) property_failed("to_yaml(load(to_yaml(s))) != to_yaml(s)", "--- first:\n" + resolved + "--- second:\n" + again);
  return 0;
}

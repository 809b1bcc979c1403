// fuzz_calibrate: libFuzzer target for the loaders of experiment files with a section of their own
// (docs/fuzzing.md): `calibrate:` (Calibration::from_text, what `kpisim calibrate` and `validate`
// read) and `optimise:` (Optimisation::from_text, `kpisim optimise`). Both go through
// src/experiment/section.cpp and then the experiment loader, so one target covers both: an input
// that contains the word "optimise" is read by the optimisation loader, one that contains
// "calibrate" (or neither: the missing-section path) by the calibration loader, one with both by
// both. Input bytes are the file's text, read in tests/data/experiments (`base:
// ../small_compare.yaml`, as the seeds name it; an inline `scenario:` works too). A refusal is an
// InputError; anything else escaping, an abort or a sanitizer report is a crash.
//
// Nothing is simulated, and loading must not simulate either: the link wraps the constructor of
// kpisim::Simulation and ModelSpec::resolve, so that a loader that constructs a simulation or
// builds an organisation (resolve with organisation = true) aborts (`-Wl,--wrap`, which redirects
// calls between the library's files: tests/fuzz/CMakeLists.txt; the target names the real symbols,
// so a renamed one fails the link instead of silently checking nothing).
//
// Properties checked on every accepted input:
// - the budget (max_runs, what the pre-flight estimate and the refusal use) is the arithmetic of the
//   counts, recomputed here in 128 bits (no overflow), and within the loader's limit;
// - what the loader resolved refers to what exists: each target's arm is a policy of its study (the
//   experiment's scenario, or the replica it names), the arms are distinct and study-major, each
//   study's window lies within its days, its outputs are in the list of outputs computed per run;
//   the tuned policy exists; the box has one range per parameter and the start point is inside it;
//   the optimisation's states of the world are inside the uncertain parameters' ranges;
// - the resolved text (to_yaml: stored in the results file; `kpisim compare` reads an
//   optimisation's back with its base refused) loads again with the same budget and is a fixed point;
// - the heap allocated while loading (ASan's allocator hooks) stays under kMaxLoadHeapBytes: a count
//   such as `particles: 100000` or `states: 10000` must not build anything in proportion.
// On refusal: the message is bounded and has no control characters but newlines (values are quoted
// through kpisim::printable).
#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "kpisim/core/error.hpp"
#include "kpisim/experiment/calibrate.hpp"
#include "kpisim/experiment/optimise.hpp"
#include "kpisim/model/spec.hpp"

#ifndef KPISIM_FUZZ_BASE_DIR
#error "KPISIM_FUZZ_BASE_DIR (the directory that resolves a relative `base:`) must be defined"
#endif

// The wrapped symbols (tests/fuzz/CMakeLists.txt): kpisim::Simulation::Simulation(ModelSpec const&,
// unsigned long, unsigned int, RunOptions), which loading never calls, and kpisim::ModelSpec::resolve(
// Scenario const&, std::string const&, bool organisation), which the experiment loader calls with
// organisation = false for the base scenario's cross-field checks, and never with true (building
// the organisation: time and memory linear in its employees).
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wreturn-type-c-linkage"
#pragma clang diagnostic ignored "-Wreserved-identifier"
extern "C" {
void __real__ZN6kpisim10SimulationC1ERKNS_9ModelSpecEmjNS_10RunOptionsE();                                                     // NOLINT
kpisim::ModelSpec __real__ZN6kpisim9ModelSpec7resolveERKNS_8ScenarioERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEb(  // NOLINT
    const kpisim::Scenario& scenario, const std::string& file, bool organisation);
[[noreturn]] void __wrap__ZN6kpisim10SimulationC1ERKNS_9ModelSpecEmjNS_10RunOptionsE() {  // NOLINT
  std::fprintf(stderr, "fuzz_calibrate: property failed: loading constructed a kpisim::Simulation\n");
  std::abort();
}
kpisim::ModelSpec __wrap__ZN6kpisim9ModelSpec7resolveERKNS_8ScenarioERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEb(  // NOLINT
    const kpisim::Scenario& scenario, const std::string& file, bool organisation) {
  if (organisation) {
    std::fprintf(stderr, "fuzz_calibrate: property failed: loading built an organisation (ModelSpec::resolve)\n");
    std::abort();
  }
  return __real__ZN6kpisim9ModelSpec7resolveERKNS_8ScenarioERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEb(scenario, file,
                                                                                                                    organisation);
}
}
#pragma clang diagnostic pop

namespace {

using u128 = unsigned __int128;

// Referencing the real constructor makes the link fail if it is renamed (the wrap would then check
// nothing); the resolve wrapper calls its real symbol.
[[maybe_unused]] void (*const kKeepReal)() = &__real__ZN6kpisim10SimulationC1ERKNS_9ModelSpecEmjNS_10RunOptionsE;

/// The most heap one loading may take (net of frees, at its peak). Measured: 0.7 MB for the seeds,
/// 61 MB for a document at the node limit (kMaxYamlNodes nodes, aliases expanded, and its resolved
/// text counted); nothing may grow with a count (particles, evaluations, states, replications).
constexpr long long kMaxLoadHeapBytes = 128LL << 20;
/// The longest refusal message: kMaxReportedErrors errors of each of the two reports (the section's
/// and the experiment's), each naming the file and quoting bounded values.
constexpr std::size_t kMaxMessageBytes = 1U << 20;

// Net bytes allocated by this thread since the loading started, and their peak (loading is
// single-threaded; the hooks run on every thread, and count only on the one that loads).
thread_local long long g_live = 0;
thread_local long long g_peak = 0;
thread_local bool g_counting = false;

void on_malloc(const volatile void* /*ptr*/, std::size_t size) {
  if (!g_counting) return;
  g_live += static_cast<long long>(size);
  g_peak = std::max(g_peak, g_live);
}
void on_free(const volatile void* ptr) {
  if (!g_counting || ptr == nullptr) return;
  g_live -= static_cast<long long>(__sanitizer_get_allocated_size(const_cast<const void*>(ptr)));
}

[[noreturn]] void property_failed(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_calibrate: property failed: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void check(bool ok, const char* what, const std::string& detail = "") {
  if (!ok) property_failed(what, detail);
}

template <class F>
auto counted(F&& load) {
  g_live = 0;
  g_peak = 0;
  g_counting = true;
  struct Stop {
    ~Stop() { g_counting = false; }
  } stop;
  auto result = load();
  g_counting = false;
  check(g_peak <= kMaxLoadHeapBytes, "loading took more heap than kMaxLoadHeapBytes", std::to_string(g_peak) + " bytes");
  return result;
}

void check_refusal(const kpisim::InputError& e) {
  const std::string m = e.what();
  check(!m.empty(), "an empty refusal message");
  check(m.size() <= kMaxMessageBytes, "a refusal message longer than kMaxMessageBytes", std::to_string(m.size()) + " bytes");
  for (const char c : m)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == '\x7f')
      property_failed("a control character in a refusal message (a value not quoted through printable)", m.substr(0, 4096));
}

bool in_box(double x, double lower, double upper) {
  return x >= std::min(lower, upper) && x <= std::max(lower, upper);
}

void check_box(const kpisim::Sweep& sw, const std::vector<kpisim::stats::Parameter>& box, const std::vector<double>& start) {
  check(box.size() == start.size(), "box and start differ in size");
  for (std::size_t j = 0; j < box.size(); ++j) {
    check(box[j].lower < box[j].upper, "a range of the box is empty or reversed", box[j].name);
    check(in_box(start[j], box[j].lower, box[j].upper), "the start point is outside the box", box[j].name);
  }
  static_cast<void>(sw);
}

void check_calibration(const kpisim::Calibration& cal) {
  const kpisim::Sweep& sw = cal.sweep;
  const kpisim::CalibrateSpec& s = cal.spec;
  const std::size_t n = s.targets.size();
  check(n > 0, "a calibration without targets was accepted");
  check(cal.target_arm.size() == n && cal.target_output.size() == n && cal.target_per.size() == n && cal.target_plus.size() == n,
        "the targets' resolved references do not match the targets");
  check(cal.replicas.size() == s.replicas.size() && cal.replicas.size() <= kpisim::kMaxCalibrationReplicas,
        "the replicas built are not the replicas named (or too many)");
  check(cal.first_day.size() == cal.studies() && cal.last_day.size() == cal.studies(), "a study has no window");
  for (std::size_t st = 0; st < cal.studies(); ++st)
    check(0 <= cal.first_day[st] && cal.first_day[st] <= cal.last_day[st] && cal.last_day[st] < cal.study(st).days(),
          "a study's window is outside its days");
  // Arms: distinct, study-major and in each study's policy order, each a policy the study runs.
  for (std::size_t a = 0; a < cal.arms.size(); ++a) {
    check(cal.arms[a].study < cal.studies() && cal.arms[a].policy < cal.study(cal.arms[a].study).policies.size(),
          "an arm's study or policy is out of range");
    if (a > 0)
      check(cal.arms[a - 1].study < cal.arms[a].study ||
                (cal.arms[a - 1].study == cal.arms[a].study && cal.arms[a - 1].policy < cal.arms[a].policy),
            "the arms are not study-major, ascending and distinct");
  }
  for (std::size_t t = 0; t < n; ++t) {
    const kpisim::CalibrationTarget& target = s.targets[t];
    check(cal.target_arm[t] < cal.arms.size(), "a target's arm is not among the calibration's arms", target.name);
    const kpisim::Calibration::Arm& arm = cal.arms[cal.target_arm[t]];
    check(target.replica.empty() ? arm.study == 0 : (arm.study > 0 && s.replicas[arm.study - 1].name == target.replica),
          "a target reads another study than its replica", target.name);
    check(cal.study(arm.study).policies[arm.policy] == target.policy, "a target names a policy its study does not run", target.name);
    check(cal.target_output[t] < cal.outputs.size() && cal.outputs[cal.target_output[t]] == target.output,
          "a target's output is not the output computed for it", target.name);
    if (target.per.empty())
      check(cal.target_per[t] == static_cast<std::size_t>(-1), "a target without `per` has a denominator", target.name);
    else
      check(cal.target_per[t] < cal.outputs.size() && cal.outputs[cal.target_per[t]] == target.per, "a target's `per` is not computed",
            target.name);
    check(cal.target_plus[t].size() == target.plus.size(), "a target's `plus` outputs are not all computed", target.name);
    for (std::size_t i = 0; i < target.plus.size(); ++i)
      check(cal.target_plus[t][i] < cal.outputs.size() && cal.outputs[cal.target_plus[t][i]] == target.plus[i],
            "a target's `plus` output is not the output computed", target.name);
    check(!std::isnan(target.value), "a target without a value was accepted", target.name);
    if (s.weighting == kpisim::CalibrateSpec::Weighting::inverse_variance)
      check(target.standard_error() > 0, "a target with no positive standard error was accepted under inverse-variance weighting",
            target.name);
  }
  // The budget: (evaluations + 1 + the posterior's simulations) x arms x replications.
  const u128 sims = s.posterior.particles <= 0 ? 0
                    : s.posterior.max_simulations > 0
                        ? static_cast<u128>(s.posterior.max_simulations)
                        : u128{20} * static_cast<u128>(s.posterior.particles) * (static_cast<u128>(s.posterior.generations) + 1);
  const u128 runs =
      (static_cast<u128>(s.evaluations) + 1 + sims) * std::max<u128>(cal.arms.size(), 1) * static_cast<u128>(cal.replications());
  check(runs == cal.max_runs(), "max_runs is not the arithmetic of the counts (an overflow?)");
  check(runs <= kpisim::kMaxCalibrationRuns, "a calibration above kMaxCalibrationRuns was accepted");
  check(cal.box.size() == sw.experiment.parameters.size(), "the box has not one range per parameter");
  check_box(sw, cal.box, cal.start);
}

void check_optimisation(const kpisim::Optimisation& opt) {
  const kpisim::Sweep& sw = opt.sweep;
  const kpisim::OptimiseSpec& s = opt.spec;
  check(opt.policy < sw.policies.size() && sw.policies[opt.policy] == s.policy, "the tuned policy is not one the experiment runs");
  check(opt.decision.size() + opt.uncertain.size() == sw.experiment.parameters.size() && !opt.decision.empty(),
        "the parameters are not split into decisions (at least one) and uncertain ones");
  check(opt.box.size() == opt.decision.size(), "the box has not one range per decision parameter");
  check_box(sw, opt.box, opt.start);
  check(opt.written.size() == sw.experiment.parameters.size(), "the written values do not match the parameters");
  const std::size_t states = s.uncertain.empty() ? 0 : static_cast<std::size_t>(s.states);
  check(opt.states.size() == states && opt.fresh_states.size() == states, "the states of the world are not `states` of them");
  for (const auto* set : {&opt.states, &opt.fresh_states})
    for (const auto& state : *set) {
      check(state.size() == opt.uncertain.size(), "a state of the world has not one value per uncertain parameter");
      for (std::size_t i = 0; i < state.size(); ++i) {
        const auto& p = sw.experiment.parameters[opt.uncertain[i]];
        check(in_box(state[i], p.lower, p.upper), "a state of the world is outside its parameter's range", p.name);
      }
    }
  for (const auto& w : s.objective)
    check(std::find(opt.outputs.begin(), opt.outputs.end(), w.name) != opt.outputs.end(), "an objective output is not computed", w.name);
  for (const auto& c : s.constraints)
    check(std::find(opt.outputs.begin(), opt.outputs.end(), c.name) != opt.outputs.end(), "a constrained output is not computed", c.name);
  // The budget: ((evaluations + 1) x replications + 3 x confirmation replications) x states.
  const u128 runs =
      ((static_cast<u128>(s.evaluations) + 1) * static_cast<u128>(opt.replications()) + 3 * static_cast<u128>(opt.confirm_replications())) *
      static_cast<u128>(std::max<std::size_t>(states, 1));
  check(runs == opt.max_runs(), "max_runs is not the arithmetic of the counts (an overflow?)");
  check(runs <= kpisim::kMaxOptimisationRuns, "an optimisation above kMaxOptimisationRuns was accepted");
}

template <class Job>
void fuzz_one(const std::string& text, const char* name, const char* resolved_name, void (*props)(const Job&)) {
  const std::string dir = KPISIM_FUZZ_BASE_DIR;
  std::string resolved;
  std::size_t runs = 0;
  try {
    const Job job = counted([&] { return Job::from_text(text, name, dir); });
    props(job);
    runs = job.max_runs();
    resolved = job.to_yaml();
  } catch (const kpisim::InputError& e) {
    check_refusal(e);
    return;  // refused with a message: the documented outcome
  }
  try {
    // As `kpisim compare` reads an optimisation stored in a results file: its base scenario inline,
    // a `base:` path refused.
    const Job again = Job::from_text(resolved, resolved_name, dir, kpisim::BaseFile::refused);
    props(again);
    if (again.max_runs() != runs) property_failed("the resolved text describes another budget", resolved);
    if (again.to_yaml() != resolved) property_failed("to_yaml is not a fixed point", resolved + "---\n" + again.to_yaml());
  } catch (const kpisim::InputError& e) {
    property_failed("the resolved text (to_yaml) does not load again", std::string(e.what()) + "\n--- resolved:\n" + resolved);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool optimise = text.find("optimise") != std::string::npos;
  const bool calibrate = text.find("calibrate") != std::string::npos;
  if (calibrate || !optimise) fuzz_one<kpisim::Calibration>(text, "fuzz_calibrate.yaml", "resolved_calibration.yaml", check_calibration);
  if (optimise) fuzz_one<kpisim::Optimisation>(text, "fuzz_optimise.yaml", "resolved_optimisation.yaml", check_optimisation);
  return 0;
}

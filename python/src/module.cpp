// _kpisim: the native part of the Python module `kpisim` (python/kpisim/__init__.py is the API).
// It validates and runs scenarios with the engine's own code and hands back the HDF5 file that
// `kpisim run` would write, as bytes built in memory (write_hdf5_image): the Python side opens
// them with xarray, so a dataset equals the CLI's file by construction. docs/python.md.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/params.hpp"
#include "kpisim/core/build_info.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/core/memory.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/experiment.hpp"
#include "kpisim/experiment/sweep.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/provenance.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"

namespace py = pybind11;

namespace {

/// Thrown from the progress callback when a Python exception (KeyboardInterrupt from Ctrl-C, or
/// one raised by the user's callback) is pending: the run stops and the exception is re-raised.
struct PythonErrorPending {};

/// The progress callback given to the engine, which calls it from the thread that released the
/// GIL about five times a second: the GIL is taken only here, to deliver Ctrl-C
/// (PyErr_CheckSignals) and to call the user's callback. A pending Python exception stops the run.
std::function<void(long long, long long)> reporter(const py::object& progress) {
  return [&progress](long long done, long long total) {
    const py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw PythonErrorPending{};
    if (!progress.is_none()) {
      try {
        progress(done, total);
      } catch (py::error_already_set& e) {
        e.restore();
        throw PythonErrorPending{};
      }
    }
  };
}

kpisim::Scenario load(const std::string& source, bool is_path, const std::string& name) {
  return is_path ? kpisim::load_scenario_file(source) : kpisim::load_scenario_text(source, name);
}

using DiagnosticTuple = std::tuple<std::string, int, int, std::string, std::string>;  // file, line, column, message, severity

/// The engine's validation (`kpisim validate`) of a scenario or experiment; errors as diagnostics.
std::vector<DiagnosticTuple> validate(const std::string& source, bool is_path, const std::string& name, bool experiment) {
  std::vector<DiagnosticTuple> out;
  const std::string file = is_path ? source : name;
  try {
    if (experiment) {
      const kpisim::Sweep sw = is_path ? kpisim::Sweep::load(source) : kpisim::Sweep::from_text(source, name, ".");
      sw.check_points();
    } else {
      const kpisim::Scenario s = load(source, is_path, name);
      const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, file, /*organisation=*/false);
      const std::size_t est = kpisim::estimate_memory_bytes(spec.scenario, spec.task_count(), spec.scenario.policies.size());
      const std::size_t avail = kpisim::available_memory_bytes();
      if (avail > 0 && est > avail / 10 * 8)
        out.emplace_back(file, 0, 0,
                         fmt::format("valid, but too large for this machine: it needs an estimated {:.1f} MiB and only {:.1f} MiB is "
                                     "available; kpisim.run would refuse it",
                                     static_cast<double>(est) / (1 << 20), static_cast<double>(avail) / (1 << 20)),
                         "warning");
    }
  } catch (const kpisim::DiagnosticsError& e) {
    for (const auto& d : e.diagnostics()) out.emplace_back(d.file, d.line, d.column, d.message, "error");
  } catch (const kpisim::InputError& e) {
    std::string msg = e.what();
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    out.emplace_back(file, 0, 0, msg, "error");
  }
  return out;
}

/// Runs every policy (or those named) of a scenario and returns the results file's bytes.
py::bytes run(const std::string& source, bool is_path, const std::string& name, std::optional<int> days, std::optional<std::uint64_t> seed,
              std::optional<int> threads, std::optional<std::vector<std::string>> policies, const py::object& progress,
              const std::string& command_line) {
  kpisim::Scenario s = load(source, is_path, name);
  const std::string file = is_path ? source : name;
  if (seed) s.seed = *seed;
  if (days) {
    if (*days < 1 || *days > 36500) throw kpisim::InputError(fmt::format("days: expected a whole number in [1, 36500], got {}", *days));
    s.days = *days;
  }
  if (policies) {
    std::vector<std::string> known;
    for (const auto& p : s.policies) known.push_back(p.name);
    std::vector<kpisim::PolicySpec> chosen;
    for (const auto& want : *policies) {
      const auto it = std::find_if(s.policies.begin(), s.policies.end(), [&](const kpisim::PolicySpec& p) { return p.name == want; });
      if (it == s.policies.end()) {
        const std::string near = kpisim::params::nearest(want, known);
        throw kpisim::InputError(fmt::format(
            "policies: '{}' is not a policy of {}{}; its policies are: {}", kpisim::printable(want), kpisim::printable(file, 300),
            near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near), fmt::join(known, ", ")));
      }
      if (std::any_of(chosen.begin(), chosen.end(), [&](const kpisim::PolicySpec& p) { return p.name == want; }))
        throw kpisim::InputError(fmt::format("policies: '{}' is given twice", kpisim::printable(want)));
      chosen.push_back(*it);
    }
    if (chosen.empty()) throw kpisim::InputError("policies: name at least one policy (or pass None for all)");
    s.policies = std::move(chosen);
  }
  if (threads && (*threads < 1 || *threads > 4096))
    throw kpisim::InputError(fmt::format("threads: expected a whole number in [1, 4096], got {}", *threads));
  // The size check comes from the counts, before the organisation is built (as `kpisim run`).
  const std::size_t est = kpisim::estimate_memory_bytes(s, s.tasks.size(), s.policies.size());
  const std::size_t avail = kpisim::available_memory_bytes();
  if (avail > 0 && est > avail / 10 * 8) {
    static_cast<void>(kpisim::ModelSpec::resolve(s, file, /*organisation=*/false));  // invalid input is still an input error
    PyErr_SetString(PyExc_MemoryError,
                    fmt::format("refusing to run: the scenario needs an estimated {:.1f} GiB ({} employees x {} policies, {} days) but "
                                "only {:.1f} GiB is available; reduce organisation.employees, the number of policies or the horizon",
                                static_cast<double>(est) / (1 << 30), s.organisation.employees, s.policies.size(), s.days,
                                static_cast<double>(avail) / (1 << 30))
                        .c_str());
    throw py::error_already_set();
  }
  std::string image;
  try {
    const py::gil_scoped_release nogil;  // building the organisation can take a while too
    const kpisim::ModelSpec spec = kpisim::ModelSpec::resolve(s, file);
    std::optional<tbb::global_control> limit;
    if (threads) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(*threads));
    const int used = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
    const std::vector<kpisim::RunResult> runs = kpisim::run_policies(spec, 0, reporter(progress));
    image = kpisim::write_hdf5_image(file, kpisim::run_meta(spec, file, command_line, used), runs);
  } catch (const PythonErrorPending&) {
    throw py::error_already_set();  // the GIL is held again here
  }
  return py::bytes(image);
}

/// Runs an experiment as `kpisim sweep` does, into `output` (part files beside it while it runs).
/// Returns (failures [(run, message)], notices, the comparison as `kpisim sweep` prints it).
py::tuple sweep(const std::string& source, bool is_path, const std::string& name, const std::string& output, std::optional<int> threads,
                bool resume, bool force, const std::string& build_id, const py::object& progress, const std::string& command_line) {
  const kpisim::Sweep sw = is_path ? kpisim::Sweep::load(source) : kpisim::Sweep::from_text(source, name, ".");
  sw.check_points();  // every point's scenario, as `validate` checks it
  if (threads && (*threads < 1 || *threads > 4096))
    throw kpisim::InputError(fmt::format("threads: expected a whole number in [1, 4096], got {}", *threads));
  std::optional<tbb::global_control> limit;
  if (threads) limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(*threads));
  const int used = static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  // Memory only (a limit of 1 byte skips the timing probe), refused as `kpisim sweep` refuses (exit 4).
  const std::size_t est = kpisim::estimate_sweep(sw, used, 1).memory_bytes;
  const std::size_t avail = kpisim::available_memory_bytes();
  if (avail > 0 && est > avail / 10 * 8) {
    PyErr_SetString(PyExc_MemoryError, fmt::format("refusing to run: the sweep needs an estimated {:.1f} MiB at {} threads but only {:.1f} "
                                                   "MiB is available; use fewer threads or a smaller organisation",
                                                   static_cast<double>(est) / (1 << 20), used, static_cast<double>(avail) / (1 << 20))
                                           .c_str());
    throw py::error_already_set();
  }
  std::vector<std::string> notices;
  kpisim::SweepReport rep;
  std::string table;
  try {
    const py::gil_scoped_release nogil;
    kpisim::SweepOptions o;
    o.output = output;
    o.overwrite = force;
    o.resume = resume;
    o.build_id = build_id;
    o.meta = kpisim::build_meta(command_line, used);
    o.meta.extra_attrs.emplace_back("processes", "1");
    o.meta.scenario_name = sw.base.name;
    o.meta.scenario_file = sw.experiment.base.empty() ? (is_path ? source : name) : sw.experiment.base;
    o.meta.scenario_yaml = kpisim::to_yaml(sw.base);
    o.meta.seed = sw.base.seed;
    o.progress = reporter(progress);
    o.notice = [&notices](const std::string& text) { notices.push_back(text); };
    rep = kpisim::run_sweep(sw, o);
    table = kpisim::format_analysis(sw, rep.analysis);
  } catch (const PythonErrorPending&) {
    throw py::error_already_set();
  }
  return py::make_tuple(rep.failures, notices, table);
}

/// Checks every checksum of a results file (as `kpisim compare` and `kpisim report` do first).
void verify_results(const std::string& path) {
  static_cast<void>(kpisim::verify_results_file(path));
}

}  // namespace

PYBIND11_MODULE(_kpisim, m) {
  m.doc() = "KPISim's engine (the native part of the kpisim package; use kpisim, not this module)";
  m.attr("engine_version") = std::string(kpisim::engine_version());
  m.attr("git_commit") = std::string(kpisim::git_commit());
  m.attr("build_type") = std::string(kpisim::build_type());
  static py::exception<kpisim::InputError> input_error(m, "InputError", PyExc_ValueError);
  static py::exception<kpisim::RunError> run_error(m, "RunError", PyExc_RuntimeError);
  // pybind11 wants a function taking std::exception_ptr by value.
  py::register_exception_translator([](std::exception_ptr p) {  // NOLINT(performance-unnecessary-value-param)
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kpisim::ResultsFileError& e) {
      PyErr_SetString(input_error.ptr(), e.what());  // a damaged or crafted file is bad input (exit 2 of the CLI)
    } catch (const kpisim::InputError& e) {
      std::string msg = e.what();
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      PyErr_SetString(input_error.ptr(), msg.c_str());
    } catch (const kpisim::RunError& e) {
      PyErr_SetString(run_error.ptr(), e.what());
    }
  });
  m.def("validate", &validate, py::arg("source"), py::arg("is_path"), py::arg("name"), py::arg("experiment"));
  m.def("sweep", &sweep, py::arg("source"), py::arg("is_path"), py::arg("name"), py::arg("output"), py::arg("threads"), py::arg("resume"),
        py::arg("force"), py::arg("build_id"), py::arg("progress"), py::arg("command_line"));
  m.def("verify_results", &verify_results, py::arg("path"));
  m.def("run", &run, py::arg("source"), py::arg("is_path"), py::arg("name"), py::arg("days"), py::arg("seed"), py::arg("threads"),
        py::arg("policies"), py::arg("progress"), py::arg("command_line"));
}

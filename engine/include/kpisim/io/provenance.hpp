#pragma once
// The provenance recorded in a results file of `kpisim run` (and of kpisim.run in Python).
#include <string>

#include "kpisim/io/results.hpp"

namespace kpisim {

class ModelSpec;  // model/spec.hpp

/// The current time in UTC, ISO 8601 ("2026-01-31T12:00:00Z").
std::string utc_now();

/// Build provenance (version, commit, build type, instruction set, checks), `command_line`, the
/// time and `threads`: what every results file records (the scenario is the caller's to add).
ResultsMeta build_meta(const std::string& command_line, int threads);

/// The metadata of a run of every policy of `spec`: build provenance (version, commit, build type,
/// instruction set, checks), the scenario (name, `scenario_file`, resolved YAML, seed, days, the
/// division names when per-unit series are written), `command_line`, the time and `threads`.
ResultsMeta run_meta(const ModelSpec& spec, const std::string& scenario_file, const std::string& command_line, int threads);

}  // namespace kpisim

#pragma once
#include <string>

#include "kpisim/config/scenario.hpp"

namespace kpisim {

/// Reads a scenario file. Throws InputError listing every problem as file:line:column: message
/// (syntax errors, unknown keys with the nearest valid key, type and range errors).
Scenario load_scenario_file(const std::string& path);

/// Same, from text (`name` is used in messages in place of a file name).
Scenario load_scenario_text(const std::string& text, const std::string& name);

/// The fully resolved scenario as YAML (every parameter, defaults included).
std::string to_yaml(const Scenario& s);
/// The nodes of to_yaml(s) as the loader counts them (keys and values), without writing the text.
std::size_t resolved_node_count(const Scenario& s);

/// docs/scenario-reference.md, generated from the parameter declarations.
std::string scenario_reference_markdown();

}  // namespace kpisim

#pragma once
// Private to the engine: reading a scenario from an already parsed YAML node, so that a scenario
// embedded in another file (an experiment's inline `scenario:`) keeps that file's positions.
#include <yaml-cpp/yaml.h>

#include <string>

#include "kpisim/config/scenario.hpp"

namespace kpisim {

/// As load_scenario_text, from a parsed node; messages name `name` with the node's positions.
Scenario load_scenario_node(const YAML::Node& root, const std::string& name);

}  // namespace kpisim

#pragma once
// Private to the engine: addressing numbers in a resolved scenario tree by key path, for an
// experiment's parameters and groups (docs/experiments.md, "Key paths").
//
//   behaviour.effort_cost                          a key in a section
//   policies.mix.components[1].policy.prize_usd    an item of a list, by index (from 0)
//   policies.mix.components[audit].weight          the item whose name, type or policy.type is `audit`
//   policies.mix.components[policy.type=audit]     the items whose field equals the value
//   tasks.*.defect_prob                            every entry of a map (or item of a list)
//   tasks[tool=chatbot].ai_quality_change          the entries whose field equals the value
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace kpisim::keypath {

/// The concrete paths a (possibly wildcard) path matches, or why it matches nothing usable.
struct Matches {
  std::vector<std::string> paths;  ///< concrete paths (indices only, no wildcards or filters), each a number
  std::string problem;             ///< empty when paths is usable
};

/// Resolves `pattern` in `root`. A pattern without wildcards or filters must exist; with them,
/// entries lacking the rest of the path are skipped, and matching nothing is a problem. Every match
/// must be a number (a scalar that parses as one).
Matches match(const YAML::Node& root, const std::string& pattern);

/// The node at a concrete path (keys and [index] only), or a null node.
YAML::Node find(const YAML::Node& root, const std::string& path);

/// The value of a scalar that match() accepted as a number (YAML's .inf and .nan included).
double number(const std::string& scalar);

/// Whether the pattern uses wildcards or filters (may match several numbers).
bool is_pattern(const std::string& path);

}  // namespace kpisim::keypath

#pragma once
// Declarative parameters: each parameter struct lists its fields once, in a `visit` member,
// with unit, range, documentation and source. Three visitors walk the same declaration:
//   YamlReader - decodes a scenario file with file:line:column errors and unknown-key suggestions;
//   YamlWriter - writes the fully resolved scenario (stored in every output file);
//   DocWriter  - generates docs/scenario-reference.md.
// A field is therefore documented, range-checked and serialised in exactly one place.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpisim::params {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// Metadata of a numeric parameter.
struct Meta {
  std::string_view unit;    ///< unit, "1" when dimensionless
  double lo = -kInf;        ///< smallest allowed value (inclusive)
  double hi = kInf;         ///< largest allowed value (inclusive)
  std::string_view doc;     ///< one-line description
  std::string_view source;  ///< where the default comes from (citation or "assumption")
};

/// Metadata of a non-numeric parameter.
struct TextMeta {
  std::string_view doc;
  std::string_view source;
};

/// One choice of an enumerated parameter.
template <class E>
struct Choice {
  std::string_view name;
  E value;
};

/// How a map of named entries combines with its defaults.
enum class Merge : std::uint8_t {
  with_defaults,  ///< entries override or extend the default catalogue
  replace         ///< a given map replaces the defaults entirely
};

/// Levenshtein distance, used to suggest the nearest valid key.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The nearest candidate to `key` (empty when nothing is reasonably close).
std::string nearest(std::string_view key, const std::vector<std::string>& candidates);

}  // namespace kpisim::params

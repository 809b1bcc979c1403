#pragma once
// Private to src/experiment: an experiment file with a section of its own that turns it into
// another kind of job (`optimise:` for kpisim optimise, `calibrate:` for kpisim calibrate). Both
// read the section first, refuse a `design` (they choose their own points), then read the rest as an
// experiment, and search a box of parameter ranges.
#include <functional>
#include <string>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/experiment/experiment.hpp"

namespace kpisim::detail {

/// True if the YAML file has the top-level key (false if it cannot be read).
bool has_section(const std::string& path, const char* key);

/// The directory relative `base:` paths of the file at `path` resolve in.
std::string directory_of(const std::string& path);

/// What a job says about its section in messages.
struct SectionWords {
  const char* key;            ///< "optimise"
  const char* not_a_mapping;  ///< "`optimise` must be a mapping (policy, goal, ...)"
  const char* missing;        ///< "an optimisation needs an `optimise:` section (docs/experiments.md, ...)"
  const char* design;         ///< "an optimisation chooses its own points: remove `design` (...)"
  const char* job;            ///< "an optimisation": the subject of the box's messages
};

/// Reads `text`: the section with `read` (given a reader of the section, whose keys land in
/// `where` under "KEY."), then the experiment, whose problems are reported after the section's; a
/// `design` is refused (except in a resolved experiment read back from a results file, BaseFile::
/// refused, which always names one). Then checks that the experiment has parameters and that each
/// is a range. Throws InputError listing every problem; `diag` keeps collecting for the caller.
Sweep read_with_section(const std::string& text, const std::string& path, const std::string& dir, BaseFile base_file,
                        const SectionWords& words, const std::function<void(params::YamlReader&)>& read, Diagnostics& diag,
                        SourceMap& where);

}  // namespace kpisim::detail

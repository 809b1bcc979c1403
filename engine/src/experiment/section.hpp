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
  const char* subject;        ///< "the optimisation": the subject of the resolved size's message
};

/// Reads `text`: the section with `read` (given a reader of the section, whose keys land in
/// `where` under "KEY."), then the experiment, whose problems are reported after the section's; a
/// `design` is refused (except in a resolved experiment read back from a results file, BaseFile::
/// refused, which always names one). Then checks that the experiment has parameters and that each
/// is a range. Throws InputError listing every problem; `diag` keeps collecting for the caller.
/// `where` also gets the positions of the section itself (words.key) and of the top-level
/// `parameters` (the document's start when it has none), so that error_in_section can place every
/// error.
Sweep read_with_section(const std::string& text, const std::string& path, const std::string& dir, BaseFile base_file,
                        const SectionWords& words, const std::function<void(params::YamlReader&)>& read, Diagnostics& diag,
                        SourceMap& where);

/// Records an error at `path` ("calibrate.posterior.particles") or, when the file does not have
/// that key (a default), at its nearest enclosing key that it has ("calibrate.posterior", then the
/// section): every error names file:line:column.
void error_in_section(Diagnostics& diag, const SourceMap& where, std::string path, std::string message);

/// Refuses (InputError at the section's position) a job whose resolved text (`resolved`: to_yaml,
/// every default written out, the base scenario inline; stored in its results file, and an
/// optimisation's read back by `kpisim compare`) has more than params::kMaxYamlNodes nodes, so that
/// it could not be read again: defaults make it larger than the file (each target or constraint
/// gets its defaults; the base scenario is inline).
void check_resolved_size(const std::string& resolved, const SectionWords& words, Diagnostics& diag, const SourceMap& where);

}  // namespace kpisim::detail

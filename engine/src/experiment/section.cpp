// An experiment file with a section of its own (section.hpp).
#include "section.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "kpisim/config/loader.hpp"
#include "kpisim/core/error.hpp"

namespace kpisim::detail {

bool has_section(const std::string& path, const char* key) {
  try {
    const YAML::Node root = YAML::Load(params::read_input_file(path, "experiment"));
    return root.IsMap() && root[key];
  } catch (const YAML::Exception&) {
    return false;
  } catch (const InputError&) {
    return false;
  }
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

Sweep read_with_section(const std::string& text, const std::string& path, const std::string& dir, BaseFile base_file,
                        const SectionWords& words, const std::function<void(params::YamlReader&)>& read, Diagnostics& diag,
                        SourceMap& where) {
  const YAML::Node root = params::load_document(text, diag);
  diag.throw_if_errors();
  if (root.IsMap()) {
    const YAML::Node section = root[words.key];
    const YAML::Node parameters = root["parameters"];
    const YAML::Mark sm = section ? section.Mark() : root.Mark();
    const YAML::Mark pm = parameters ? parameters.Mark() : root.Mark();
    where[words.key] = {std::max(0, sm.line), std::max(0, sm.column)};
    where["parameters"] = {std::max(0, pm.line), std::max(0, pm.column)};
    if (!section || !section.IsMap()) {
      const YAML::Mark m = section ? section.Mark() : root.Mark();
      diag.error(std::max(0, m.line), std::max(0, m.column), section ? words.not_a_mapping : words.missing);
    } else {
      params::YamlReader reader(section, diag, words.key, &where);
      read(reader);
      reader.finish();
    }
    // The resolved experiment stored in a results file (base_file refused) always names its design.
    if (const YAML::Node design = root["design"]; design && base_file == BaseFile::allowed)
      diag.error(design.Mark().line, design.Mark().column, words.design);
  }
  // The rest is an experiment: its own checks (with the section's problems first).
  Sweep sw;
  try {
    sw = Sweep::from_text(text, path, dir, base_file, Sweep::DesignUse::search_box);
  } catch (const InputError& err) {
    if (diag.ok()) throw;
    throw InputError(diag.report() + "\n" + err.what());
  }
  diag.throw_if_errors();
  // The box searched: parameters with ranges.
  if (sw.experiment.parameters.empty())
    diag.error_at_path(&where, "parameters",
                       fmt::format("{} needs parameters with ranges (`lower`, `upper`) under `parameters`", words.job));
  for (const auto& p : sw.experiment.parameters)
    if (!p.values.empty())
      diag.error(p.line, p.col,
                 fmt::format("parameter '{}': {} searches a range: give `lower` and `upper` instead of `values`", p.name, words.job));
  return sw;
}

void error_in_section(Diagnostics& diag, const SourceMap& where, std::string path, std::string message) {
  while (where.count(path) == 0) {
    const std::size_t dot = path.rfind('.');
    if (dot == std::string::npos) break;
    path.resize(dot);
  }
  diag.error_at_path(&where, path, std::move(message));
}

void check_resolved_size(const std::string& resolved, const SectionWords& words, Diagnostics& diag, const SourceMap& where) {
  if (params::count_nodes(YAML::Load(resolved), params::kMaxYamlNodes) <= params::kMaxYamlNodes) return;
  diag.error_at_path(&where, words.key,
                     fmt::format("{} with its defaults filled in and its base scenario inline (as its results file stores it) has more "
                                 "than {} YAML nodes: fewer targets, outputs, constraints or parameters, or a smaller base scenario",
                                 words.subject, params::kMaxYamlNodes));
  diag.throw_if_errors();
}

}  // namespace kpisim::detail

// Experiment files: reading, checking, and expansion into parameter points and runs.
#include "kpisim/experiment/experiment.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "../config/scenario_node.hpp"
#include "key_path.hpp"
#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/experiment/robust.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/results.hpp"
#include "kpisim/stats/design.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;

// The number at a concrete key path of a resolved scenario tree (checked to exist beforehand).
YAML::Node node_at(const YAML::Node& root, const std::string& path) {
  return keypath::find(root, path);
}

// The text a target takes for the parameter value x.
std::string target_text(const ParameterTarget& t, double x) {
  return params::format_number(Sweep::value_of(t, x));
}

bool is_integer_text(const std::string& s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(std::isdigit(static_cast<unsigned char>(s[i])) != 0 || (i == 0 && (s[i] == '-' || s[i] == '+')))) return false;
  return true;
}

// The first error message of a scenario that does not load, or "" if it loads.
std::string load_error(const YAML::Node& tree, const std::string& name);

// Whether the scenario declares the key at `path` as an integer: its value is written as a whole
// number and the scenario refuses that number plus a half as "not a whole number".
bool declared_integer(const YAML::Node& resolved, const std::string& path, const std::string& name) {
  const YAML::Node f = node_at(resolved, path);
  if (!f || !f.IsScalar() || !is_integer_text(f.Scalar())) return false;
  YAML::Node trial = YAML::Clone(resolved);
  YAML::Node target = node_at(trial, path);
  target = params::format_number(std::stod(f.Scalar()) + 0.5);
  return load_error(trial, name).find("whole number") != std::string::npos;
}

// The message of the first error in an InputError report, without its file:line:column prefix.
std::string first_message(const std::string& report) {
  const std::string first = report.substr(0, report.find('\n'));
  const auto pos = first.find("error: ");
  return pos == std::string::npos ? first : first.substr(pos + 7);
}

std::string load_error(const YAML::Node& tree, const std::string& name) {
  try {
    static_cast<void>(load_scenario_node(tree, name));
  } catch (const InputError& err) {
    return first_message(err.what());
  }
  return "";
}

// The numbers each group changes, resolved in the base scenario; problems go to diag at the key
// path's position in the experiment file. A group with a problem gets no targets.
std::vector<std::vector<ParameterTarget>> resolve_groups(const YAML::Node& root, const YAML::Node& resolved, const Experiment& e,
                                                         const std::string& name, Diagnostics& diag) {
  std::vector<std::vector<ParameterTarget>> out(e.groups.size());
  const YAML::Node groups_node = root["groups"];
  for (std::size_t gi = 0; gi < e.groups.size(); ++gi) {
    const ParameterGroup& g = e.groups[gi];
    const auto at = [&](int line, int col, const std::string& msg) { diag.error(line, col, fmt::format("group '{}': {}", g.name, msg)); };
    if (g.name.find('.') != std::string::npos) {
      at(g.line, g.col, "a group's name is a plain word without '.', so that it cannot be taken for a key path");
      continue;
    }
    if (g.scale.empty() && g.set.empty()) {
      at(g.line, g.col, "a group needs `scale: [key paths]` (multiplied by the parameter) or `set: [key paths]` (set to it)");
      continue;
    }
    std::vector<ParameterTarget> targets;
    std::vector<std::pair<std::string, std::string>> by;  // (concrete path, key path as written) of each target
    bool ok = true;
    for (const bool scale : {true, false}) {
      const auto& paths = scale ? g.scale : g.set;
      const char* mode = scale ? "scale" : "set";
      YAML::Node list;
      if (groups_node.IsMap() && groups_node[g.name].IsMap())
        if (const YAML::Node l = groups_node[g.name][mode]) list.reset(l);
      for (std::size_t i = 0; i < paths.size(); ++i) {
        const YAML::Mark mark = list.IsSequence() && i < list.size() ? list[i].Mark() : YAML::Mark{};
        const int line = list.IsSequence() ? mark.line : g.line;
        const int col = list.IsSequence() ? mark.column : g.col;
        const keypath::Matches m = keypath::match(resolved, paths[i]);
        if (!m.problem.empty()) {
          at(line, col, m.problem);
          ok = false;
          continue;
        }
        for (const auto& p : m.paths) {
          const auto dup = std::find_if(by.begin(), by.end(), [&](const auto& b) { return b.first == p; });
          if (dup != by.end()) {
            at(line, col,
               fmt::format("'{}' is changed twice: by '{}' and by '{}'; list each number once", p, printable(dup->second),
                           printable(paths[i])));
            ok = false;
            continue;
          }
          if (p == "seed" || p == "days") {
            at(line, col, "vary `seed` with replications and `days` with the experiment's `days`, not in a group");
            ok = false;
            continue;
          }
          by.emplace_back(p, paths[i]);
          targets.push_back({p, scale, keypath::number(keypath::find(resolved, p).Scalar()), declared_integer(resolved, p, name)});
        }
      }
    }
    if (ok) out[gi] = std::move(targets);
  }
  return out;
}

// The number of points of the design, from the counts alone (saturating at limit + 1).
std::size_t design_point_count(const Experiment& e, const std::vector<std::vector<double>>& grid_values) {
  const std::size_t d = e.parameters.size();
  constexpr std::size_t over = std::numeric_limits<std::size_t>::max();  // saturates: "more than 2^64"
  const auto mul = [](std::size_t a, std::size_t b) { return (b != 0 && a > over / b) ? over : a * b; };
  switch (e.design.type) {
    case DesignSpec::Type::grid: {
      std::size_t n = 1;
      for (const auto& gv : grid_values) n = mul(n, gv.size());
      return n;
    }
    case DesignSpec::Type::lhs:
    case DesignSpec::Type::sobol:
      return static_cast<std::size_t>(e.design.points);
    case DesignSpec::Type::saltelli:
      return mul(static_cast<std::size_t>(e.design.points), d + 2);
    case DesignSpec::Type::morris:
      return mul(static_cast<std::size_t>(e.design.trajectories), d + 1);
    case DesignSpec::Type::points:
      return d == 0 ? 0 : e.design.values.size() / d;
    case DesignSpec::Type::posterior:
      return static_cast<std::size_t>(e.design.points);
  }
  return over;
}

// A `points` design: d values per point, each inside its parameter's range.
void check_points_design(const Experiment& e, const std::vector<stats::Parameter>& box, const SourceMap& where, Diagnostics& diag) {
  const std::size_t d = box.size();
  const auto& v = e.design.values;
  if (v.empty() || v.size() % d != 0) {
    diag.error_at_path(&where, "design.values",
                       fmt::format("`values` holds {} numbers: the points' values, point by point, need a positive multiple of the {} "
                                   "parameter{} ({})",
                                   v.size(), d, d == 1 ? "" : "s", d == 1 ? "one per point" : fmt::format("{} per point", d)));
    return;
  }
  std::size_t reported = 0;
  for (std::size_t i = 0; i < v.size() && reported < 10; ++i) {
    const stats::Parameter& p = box[i % d];
    if (!(v[i] >= p.lower && v[i] <= p.upper)) {
      diag.error_at_path(&where, "design.values",
                         fmt::format("point {}: parameter '{}' = {} lies outside its range [{}, {}]", i / d, printable(p.name),
                                     params::format_number(v[i]), params::format_number(p.lower), params::format_number(p.upper)));
      ++reported;
    }
  }
}

// A `posterior` design: `points` draws from the last generation of a calibration's posterior (its
// weights, by systematic resampling seeded from the experiment's seed), resolved into a `points`
// design so that the stored experiment names no file and reproduces the same points.
void resolve_posterior(Experiment& e, const std::vector<stats::Parameter>& box, const std::string& dir, BaseFile base_file,
                       std::uint64_t seed, const SourceMap& where, Diagnostics& diag) {
  const auto at = [&](const std::string& msg) { diag.error_at_path(&where, "design.file", msg); };
  if (base_file == BaseFile::refused) {
    at("a stored experiment lists its points (`design.type: points`); the file named here is not opened");
    return;
  }
  if (e.design.file.empty()) {
    diag.error_at_path(&where, "design.type",
                       "a posterior design needs `file:`, the results file of a `kpisim calibrate` with a `posterior:` section");
    return;
  }
  const fs::path path = fs::path(e.design.file).is_absolute() ? fs::path(e.design.file) : fs::path(dir) / e.design.file;
  ResultsTable post;
  try {
    post = read_results_table(path.string(), "calibration/posterior", "particle");
  } catch (const std::exception& err) {
    at(fmt::format("cannot draw from the posterior of '{}': {} (a `kpisim calibrate` results file with a `posterior:` section is needed)",
                   printable(path.string(), 300), first_message(err.what())));
    return;
  }
  const std::vector<double>* gen = post.column("generation");
  const std::vector<double>* weight = post.column("weight");
  if (gen == nullptr || weight == nullptr || gen->empty() || gen->size() != weight->size()) {
    at(fmt::format("'{}' has no usable posterior sample (columns `generation` and `weight`)", printable(path.string(), 300)));
    return;
  }
  // The parameters' columns: those between `generation` and `weight` (the table's order, docs/output-schema.md;
  // `distance` and the targets' `model_<target>` come after).
  std::vector<std::string> names;
  bool in_parameters = false;
  for (const auto& c : post.columns) {
    if (c.first == "weight") break;
    if (in_parameters) names.push_back(c.first);
    in_parameters = in_parameters || c.first == "generation";
  }
  std::vector<const std::vector<double>*> cols;
  for (const auto& p : box) {
    const std::vector<double>* c = std::find(names.begin(), names.end(), p.name) == names.end() ? nullptr : post.column(p.name);
    if (c == nullptr || c->size() != gen->size()) {
      const std::string near = params::nearest(p.name, names);
      at(fmt::format("the posterior of '{}' has no parameter '{}'{}; it has: {}", printable(path.string(), 300), printable(p.name),
                     near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near),
                     printable(fmt::format("{}", fmt::join(names, ", ")), 300)));
      return;
    }
    cols.push_back(c);
  }
  double last = -1;
  for (const double g : *gen) last = std::isfinite(g) ? std::max(last, g) : last;
  std::vector<std::size_t> idx;
  double total = 0;
  for (std::size_t i = 0; i < gen->size(); ++i) {
    if ((*gen)[i] != last) continue;
    const double w = (*weight)[i];
    if (!(std::isfinite(w) && w >= 0)) {
      at(fmt::format("the posterior's particle {} has weight {}: weights must be finite and not negative", post.labels[i],
                     params::format_number(w)));
      return;
    }
    idx.push_back(i);
    total += w;
  }
  if (idx.empty() || !(total > 0)) {
    at("the posterior's last generation has no particle with a positive weight");
    return;
  }
  // Systematic resampling: draws at (u + k) / n along the cumulative weights, u uniform in [0, 1)
  // from the seed (53 bits of a 64-bit Mersenne twister, fully specified by the standard).
  const auto n = static_cast<std::size_t>(e.design.points);
  std::mt19937_64 rng(seed ^ 0x706f7374657269ULL);  // "posteri"
  const double u = static_cast<double>(rng() >> 11U) * 0x1.0p-53;
  std::vector<double> values;
  values.reserve(n * box.size());
  std::size_t j = 0;
  double cum = (*weight)[idx[0]] / total;
  for (std::size_t k = 0; k < n; ++k) {
    const double pos = (u + static_cast<double>(k)) / static_cast<double>(n);
    while (pos >= cum && j + 1 < idx.size()) cum += (*weight)[idx[++j]] / total;
    for (std::size_t q = 0; q < box.size(); ++q) values.push_back((*cols[q])[idx[j]]);
  }
  e.design.from = fmt::format("{} draws from the posterior of {} (generation {}, {} particles), by systematic resampling of their weights",
                              n, printable(e.design.file, 300), params::format_number(last), idx.size());
  e.design.type = DesignSpec::Type::points;
  e.design.values = std::move(values);
  e.design.file.clear();
}

}  // namespace

bool is_experiment_file(const std::string& path) {
  try {
    // Through the same size limit as the loaders; a file refused here is refused by them too.
    const YAML::Node root = YAML::Load(params::read_input_file(path, "experiment"));
    return root.IsMap() && (root["base"] || root["scenario"]);
  } catch (const YAML::Exception&) {
    return false;
  } catch (const InputError&) {
    return false;
  }
}

Sweep Sweep::load(const std::string& path) {
  const fs::path p(path);
  return from_text(params::read_input_file(path, "experiment"), path, p.has_parent_path() ? p.parent_path().string() : std::string("."));
}

Sweep Sweep::from_text(const std::string& text, const std::string& name, const std::string& dir, BaseFile base_file, DesignUse use) {
  Diagnostics diag(name);
  const YAML::Node root = params::load_document(text, diag);
  diag.throw_if_errors();
  return from_node(root, name, dir, base_file, use);
}

Sweep Sweep::from_node(const YAML::Node& root, const std::string& name, const std::string& dir, BaseFile base_file, DesignUse use) {
  Diagnostics diag(name);
  if (!root.IsMap()) {
    diag.error(std::max(0, root.Mark().line), std::max(0, root.Mark().column),
               "an experiment must be a mapping of keys to values (for example `replications: 10`)");
    diag.throw_if_errors();
  }
  Sweep sw;
  sw.source_ = name;
  Experiment& e = sw.experiment;
  SourceMap where;
  params::YamlReader reader(root, diag, "", &where);
  e.visit(reader);
  reader.finish();  // problems so far are reported together with those found below
  // The name becomes the default results file (NAME.h5 in the current directory): a plain name.
  if (const std::string problem = name_problem(e.name); !problem.empty())
    diag.error_at_path(&where, "name", fmt::format("experiment name '{}': {}", printable(e.name), problem));

  // The base scenario: a file, or inline. Without one nothing else can be checked.
  const YAML::Node inline_scenario = root["scenario"];
  if (e.base.empty() == !inline_scenario) {
    diag.error(root.Mark().line, root.Mark().column,
               e.base.empty() ? "an experiment needs a base scenario: `base: FILE` (relative to the experiment file) or `scenario:` inline"
                              : "give either `base:` or `scenario:`, not both");
    diag.throw_if_errors();
  }
  if (!e.base.empty() && base_file == BaseFile::refused) {
    diag.error_at_path(
        &where, "base",
        fmt::format("the base scenario must be stored inline (`scenario:`); the file '{}' named here is not opened", e.base));
    diag.throw_if_errors();
  }
  try {
    if (!e.base.empty()) {
      const fs::path base_path = fs::path(e.base).is_absolute() ? fs::path(e.base) : fs::path(dir) / e.base;
      std::error_code ec;
      if (!fs::exists(base_path, ec) || fs::is_directory(base_path, ec)) {
        diag.error_at_path(&where, "base",
                           fmt::format("base scenario '{}' {}", printable(base_path.string(), 300),
                                       fs::is_directory(base_path, ec) ? "is a directory, not a scenario file" : "not found"));
        diag.throw_if_errors();
      }
      sw.base = load_scenario_file(base_path.string());
    } else {
      sw.base = load_scenario_node(inline_scenario, name);
    }
  } catch (const InputError& err) {
    if (diag.ok() || std::string_view(err.what()).find(diag.report()) != std::string_view::npos) throw;
    throw InputError(diag.report() + "\n" + err.what());  // the experiment's problems, then the scenario's
  }
  if (e.seed != 0) sw.base.seed = e.seed;
  if (e.days != 0) sw.base.days = e.days;
  {
    const Scenario checked = sw.base;
    // Cross-field checks of the base, without building its organisation (which may be too large
    // for this machine: the sweep's estimate refuses that with its own exit code).
    static_cast<void>(ModelSpec::resolve(checked, name, /*organisation=*/false));
  }

  // Policies.
  if (e.policies.empty())
    for (const auto& pol : sw.base.policies) e.policies.push_back(pol.name);
  for (const auto& label : e.policies) {
    std::size_t found = sw.base.policies.size();
    std::vector<std::string> names;
    for (std::size_t i = 0; i < sw.base.policies.size(); ++i) {
      names.push_back(sw.base.policies[i].name);
      if (sw.base.policies[i].name == label) found = i;
    }
    if (found == sw.base.policies.size()) {
      const std::string near = params::nearest(label, names);
      diag.error_at_path(&where, "policies",
                         fmt::format("the base scenario has no policy '{}'{}", printable(label),
                                     near.empty() ? "" : fmt::format("; did you mean '{}'?", near)));
      continue;
    }
    sw.policies.push_back(label);
    sw.policy_index.push_back(found);
  }
  if (e.baseline.empty() && !sw.policies.empty()) e.baseline = sw.policies.front();
  for (std::size_t i = 0; i < sw.policies.size(); ++i)
    if (sw.policies[i] == e.baseline) sw.baseline = i;
  if (!sw.policies.empty() && sw.policies[sw.baseline] != e.baseline)
    diag.error_at_path(&where, "baseline", fmt::format("baseline '{}' is not among the policies run", printable(e.baseline)));

  // Outputs summarised, and the window.
  {
    // Daily variables, and per-division series (unit_<variable>[<division>]): analysis.hpp.
    std::vector<std::string> divisions;
    for (const auto& d : sw.base.organisation.divisions) divisions.push_back(d.name);
    std::vector<std::string> problems;
    static_cast<void>(expand_outputs(e.analysis.outputs, divisions, sw.base.output.per_unit, &problems));
    for (const auto& p : problems) diag.error_at_path(&where, "analysis.outputs", p);
    if (e.analysis.outputs.empty()) diag.error_at_path(&where, "analysis.outputs", "name at least one output to summarise");
    const int last = e.analysis.last_day < 0 ? sw.base.days - 1 : e.analysis.last_day;
    if (e.analysis.first_day > last || last > sw.base.days - 1)
      diag.error_at_path(&where, "analysis.first_day",
                         fmt::format("the window (days {} to {}) must lie within the {} simulated days (0 to {})", e.analysis.first_day,
                                     last, sw.base.days, sw.base.days - 1));
  }

  // The robust comparison's objective and constraints (experiment/robust.hpp).
  for (const auto& p : robust_problems(sw)) {
    if (p.line >= 0)
      diag.error(p.line, p.col, p.message);
    else
      diag.error_at_path(&where, p.key, p.message);
  }

  // Parameters: their paths exist in the scenario and the scenario accepts their values.
  const YAML::Node resolved = YAML::Load(kpisim::to_yaml(sw.base));
  const bool grid = e.design.type == DesignSpec::Type::grid;
  std::vector<stats::Parameter> box;
  std::vector<std::vector<double>> grid_values;
  std::vector<bool> integer_parameter;
  // Groups: their key paths resolve to numbers of the base scenario, each listed once.
  std::vector<std::vector<ParameterTarget>> group_targets = resolve_groups(root, resolved, e, name, diag);
  // Which parameter changes each scenario number (a number changed twice is refused).
  std::vector<std::pair<std::string, std::size_t>> claimed;  // (concrete path, parameter)
  for (std::size_t pj = 0; pj < e.parameters.size(); ++pj) {
    auto& prm = e.parameters[pj];
    const std::string key = "parameters." + prm.name;
    const auto at = [&](const std::string& msg) {
      if (prm.line >= 0)
        diag.error(prm.line, prm.col, fmt::format("parameter '{}': {}", prm.name, msg));
      else
        diag.error_at_path(&where, key, fmt::format("parameter '{}': {}", prm.name, msg));
    };
    std::vector<ParameterTarget> targets;
    const auto group = std::find_if(e.groups.begin(), e.groups.end(), [&](const ParameterGroup& g) { return g.name == prm.name; });
    if (group != e.groups.end()) {
      targets = group_targets[static_cast<std::size_t>(group - e.groups.begin())];
      if (targets.empty()) continue;  // the group's problem is reported at the group
    } else {
      const keypath::Matches m = keypath::match(resolved, prm.name);
      if (!m.problem.empty()) {
        std::vector<std::string> names;
        for (const auto& g : e.groups) names.push_back(g.name);
        const std::string near = prm.name.find_first_of(".[") == std::string::npos ? params::nearest(prm.name, names) : "";
        at(near.empty() ? m.problem : fmt::format("there is no group or scenario key '{}'; did you mean the group '{}'?", prm.name, near));
        continue;
      }
      if (m.paths.size() > 1) {
        at(
            fmt::format("'{}' matches {} numbers ({}); a parameter sets one number: list them in a group under `groups:` "
                        "({{scale: [...]}} or {{set: [...]}}) and vary the group",
                        prm.name, m.paths.size(), [&] {
                          std::string l;
                          for (std::size_t i = 0; i < m.paths.size() && i < 4; ++i) l += (i == 0 ? "" : ", ") + m.paths[i];
                          return m.paths.size() > 4 ? l + ", ..." : l;
                        }()));
        continue;
      }
      targets.push_back({m.paths[0], false, 0.0, false});
    }
    if (targets.front().path == "seed" || targets.front().path == "days") {
      at("vary `seed` with replications and `days` with the experiment's `days`, not as parameters");
      continue;
    }
    bool twice = false;
    for (const auto& t : targets)
      for (const auto& [path, other] : claimed)
        if (path == t.path && !twice) {
          twice = true;
          at(fmt::format("'{}' is also changed by parameter '{}' (line {}, column {}): a number is varied by one parameter", t.path,
                         e.parameters[other].name, e.parameters[other].line + 1, e.parameters[other].col + 1));
        }
    if (twice) continue;
    for (const auto& t : targets) claimed.emplace_back(t.path, pj);
    const bool have_range = !std::isnan(prm.lower) || !std::isnan(prm.upper);
    if (!prm.values.empty() && have_range) {
      at("give either `values` or `lower`/`upper`, not both");
      continue;
    }
    if (have_range && (std::isnan(prm.lower) || std::isnan(prm.upper) || !(prm.lower < prm.upper))) {
      at("a range needs `lower` < `upper`");
      continue;
    }
    if (prm.values.empty() && !have_range) {
      at("give `values: [...]` or a range `lower:` and `upper:`");
      continue;
    }
    if (!grid && !prm.values.empty()) {
      at("explicit `values` need `design.type: grid`; the other designs sample a range (`lower`, `upper`)");
      continue;
    }
    if (prm.scale == SweepParameter::Scale::log && have_range && !(prm.lower > 0)) {
      at("a log scale needs `lower` > 0");
      continue;
    }
    // Integer parameters take whole values: the designs' values are rounded (a group's factor is
    // not; the integer keys it changes are rounded after scaling).
    const bool integer = group == e.groups.end() && declared_integer(resolved, targets.front().path, name);
    targets.front().integer = targets.front().integer || integer;
    std::vector<double> candidates = prm.values;
    if (have_range) candidates = {prm.lower, prm.upper};
    for (double v : candidates) {
      YAML::Node trial = YAML::Clone(resolved);
      for (const auto& t : targets) {
        YAML::Node target = node_at(trial, t.path);
        target = target_text(t, v);
      }
      try {
        static_cast<void>(load_scenario_node(trial, name));
      } catch (const InputError& err) {
        at(fmt::format("the scenario refuses {}{}: {}", group != e.groups.end() ? "the value " : "", params::format_number(v),
                       first_message(err.what())));
        break;
      }
    }
    box.push_back({prm.name, have_range ? prm.lower : 0.0, have_range ? prm.upper : 1.0, prm.scale == SweepParameter::Scale::log});
    std::vector<double> gv = prm.values;
    if (gv.empty()) {
      for (int l = 0; l < prm.levels; ++l) {
        const double u = prm.levels == 1 ? 0.0 : static_cast<double>(l) / (prm.levels - 1);
        gv.push_back(stats::to_parameter(box.back(), u));
      }
    }
    if (integer)
      for (double& v : gv) v = std::round(v);
    grid_values.push_back(gv);
    integer_parameter.push_back(integer);
    sw.targets.push_back(std::move(targets));
  }
  diag.throw_if_errors();

  // Design.
  const std::size_t d = e.parameters.size();
  const auto design_error = [&](const std::string& msg) { diag.error_at_path(&where, "design.type", msg); };
  if (d == 0 && e.design.type != DesignSpec::Type::grid) design_error("this design needs at least one parameter under `parameters`");
  diag.throw_if_errors();
  if (e.design.type != DesignSpec::Type::posterior && !e.design.file.empty())
    diag.error_at_path(&where, "design.file", "`file` belongs to `design.type: posterior`");
  if (e.design.type != DesignSpec::Type::points && !e.design.values.empty())
    diag.error_at_path(&where, "design.values", "`values` belong to `design.type: points` (a grid's values go under each parameter)");
  if (e.design.type == DesignSpec::Type::posterior) resolve_posterior(e, box, dir, base_file, sw.base.seed, where, diag);
  if (e.design.type == DesignSpec::Type::points) check_points_design(e, box, where, diag);
  diag.throw_if_errors();
  if (use == DesignUse::search_box) {
    // A search's box: its check points, not a design (see DesignUse). Every value is a range's end,
    // rounded for an integer parameter below.
    const std::size_t n_check = 1 + d + d * (d - 1) / 2;
    if (n_check * d > kMaxDesignValues)
      diag.error_at_path(&where, "parameters",
                         fmt::format("a search over {} parameters checks its box at {} points x {} parameters = {} values; at most "
                                     "{} are allowed: fewer parameters (a group scales many keys with one)",
                                     d, n_check, d, n_check * d, kMaxDesignValues));
    diag.throw_if_errors();
    std::vector<double> low(d);
    std::vector<double> high(d);
    for (std::size_t j = 0; j < d; ++j) {
      low[j] = box[j].lower;
      high[j] = box[j].upper;
    }
    // Every parameter at its lower end; each alone at its upper end; each pair at their upper ends:
    // 1 + d + d(d - 1)/2 distinct rows, in which every pair meets all four combinations of its ends.
    sw.points.push_back(low);
    for (std::size_t i = 0; i < d; ++i) {
      std::vector<double> row = low;
      row[i] = high[i];
      sw.points.push_back(row);
      for (std::size_t k = i + 1; k < d; ++k) {
        row[k] = high[k];
        sw.points.push_back(row);
        row[k] = low[k];
      }
    }
    for (std::size_t j = 0; j < d; ++j)
      if (integer_parameter[j])
        for (auto& row : sw.points) row[j] = std::round(row[j]);
    return sw;
  }
  if (e.design.type == DesignSpec::Type::morris && e.design.levels % 2 != 0)
    diag.error_at_path(&where, "design.levels", "morris needs an even number of levels");
  // The size of the design, from the counts alone, before any point is generated.
  const std::size_t n_points = design_point_count(e, grid_values);
  if (d > 0 && n_points <= kMaxDesignPoints && n_points * d > kMaxDesignValues)
    diag.error_at_path(&where, "parameters",
                       fmt::format("the design has {} points x {} parameters = {} values; at most {} are allowed", n_points, d,
                                   n_points * d, kMaxDesignValues));
  if (const std::size_t n = n_points; n > kMaxDesignPoints) {
    std::string how;
    switch (e.design.type) {
      case DesignSpec::Type::grid:
        for (const auto& gv : grid_values) how += (how.empty() ? "" : " x ") + std::to_string(gv.size());
        how = "a grid of " + how + " values";
        break;
      case DesignSpec::Type::saltelli:
        how = fmt::format("N (d + 2) with N = {}, d = {}", e.design.points, d);
        break;
      case DesignSpec::Type::morris:
        how = fmt::format("r (d + 1) with r = {}, d = {}", e.design.trajectories, d);
        break;
      default:
        how = fmt::format("{} points", e.design.points);
    }
    diag.error_at_path(&where, e.design.type == DesignSpec::Type::grid ? "parameters" : "design.type",
                       fmt::format("the design has {} parameter points ({}); at most {} are allowed: fewer values or levels, fewer "
                                   "points, or a sampling design",
                                   n == std::numeric_limits<std::size_t>::max() ? std::string("more than 2^64") : std::to_string(n), how,
                                   kMaxDesignPoints));
  }
  diag.throw_if_errors();
  const std::uint64_t design_seed = sw.base.seed;
  auto take = [&](const stats::Design& des) {
    for (std::size_t i = 0; i < des.size(); ++i) {
      std::vector<double> row(d);
      for (std::size_t j = 0; j < d; ++j) row[j] = des.values(i, j);
      sw.points.push_back(std::move(row));
    }
  };
  switch (e.design.type) {
    case DesignSpec::Type::grid: {
      sw.points.emplace_back();  // the empty product: one point
      for (const auto& gv : grid_values) {
        std::vector<std::vector<double>> next;
        for (const auto& pt : sw.points)
          for (const double v : gv) {
            auto row = pt;
            row.push_back(v);
            next.push_back(std::move(row));
          }
        sw.points = std::move(next);
      }
      break;
    }
    case DesignSpec::Type::lhs:
      take(stats::latin_hypercube(box, static_cast<std::size_t>(e.design.points), design_seed));
      break;
    case DesignSpec::Type::sobol:
      take(stats::sobol_design(box, static_cast<std::size_t>(e.design.points)));
      break;
    case DesignSpec::Type::saltelli:
      take(stats::saltelli_design(box, static_cast<std::size_t>(e.design.points)));
      break;
    case DesignSpec::Type::morris: {
      sw.morris = stats::morris_design(box, static_cast<std::size_t>(e.design.trajectories), static_cast<std::size_t>(e.design.levels),
                                       design_seed);
      take(sw.morris.points);
      break;
    }
    case DesignSpec::Type::points:
    case DesignSpec::Type::posterior:  // resolved into points above
      for (std::size_t i = 0; i < e.design.values.size() / d; ++i)
        sw.points.emplace_back(e.design.values.begin() + static_cast<std::ptrdiff_t>(i * d),
                               e.design.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
      break;
  }
  // Integer parameters take whole values.
  for (std::size_t j = 0; j < d; ++j) {
    if (integer_parameter[j])
      for (auto& row : sw.points) row[j] = std::round(row[j]);
  }
  return sw;
}

SweepRun Sweep::run(std::size_t r) const noexcept {
  const auto reps = static_cast<std::size_t>(experiment.replications);
  SweepRun out;
  out.replication = static_cast<std::uint32_t>(r % reps);
  out.policy = (r / reps) % policies.size();
  out.point = r / reps / policies.size();
  return out;
}

void Sweep::check_points() const {
  if (experiment.parameters.empty()) return;
  // Each thread keeps one tree, its parameter nodes found once and overwritten point by point.
  struct Work {
    YAML::Node tree;
    std::vector<std::vector<YAML::Node>> targets;  // [parameter][target]
  };
  const std::string resolved = kpisim::to_yaml(base);
  tbb::enumerable_thread_specific<Work> work([&] {
    Work w{YAML::Load(resolved), {}};
    for (const auto& ts : targets) {
      w.targets.emplace_back();
      for (const auto& t : ts) w.targets.back().push_back(node_at(w.tree, t.path));
    }
    return w;
  });
  std::mutex mutex;
  std::vector<std::pair<std::size_t, std::string>> failures;  // (point, problem)
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, points.size(), 64), [&](const tbb::blocked_range<std::size_t>& range) {
    Work& w = work.local();
    for (std::size_t p = range.begin(); p != range.end(); ++p) {
      for (std::size_t j = 0; j < w.targets.size(); ++j)
        for (std::size_t k = 0; k < w.targets[j].size(); ++k) w.targets[j][k] = target_text(targets[j][k], points[p][j]);
      try {
        const Scenario sc = load_scenario_node(w.tree, source_);
        static_cast<void>(ModelSpec::resolve(sc, source_, /*organisation=*/false));
      } catch (const InputError& err) {
        const std::lock_guard<std::mutex> lock(mutex);
        failures.emplace_back(p, first_message(err.what()));
      }
    }
  });
  if (failures.empty()) return;
  std::sort(failures.begin(), failures.end());  // the same report for any number of threads
  Diagnostics diag(source_);
  const auto& first = experiment.parameters.front();
  for (std::size_t k = 0; k < failures.size() && k < 10; ++k) {
    const auto& [p, problem] = failures[k];
    std::string values;
    for (std::size_t j = 0; j < experiment.parameters.size(); ++j)
      values += fmt::format("{}{} = {}", values.empty() ? "" : ", ", experiment.parameters[j].name, params::format_number(points[p][j]));
    diag.error(first.line, first.col, fmt::format("parameter point {} ({}): the scenario refuses it: {}", p, values, problem));
  }
  if (failures.size() > 10) diag.error(first.line, first.col, fmt::format("... {} parameter points in all are refused", failures.size()));
  diag.throw_if_errors();
}

std::string Sweep::describe_targets() const {
  std::string out;
  for (std::size_t j = 0; j < experiment.parameters.size() && j < targets.size(); ++j) {
    const auto& ts = targets[j];
    if (!is_group(j) && ts.size() == 1 && ts.front().path == experiment.parameters[j].name) continue;
    std::string list;
    for (std::size_t k = 0; k < ts.size() && k < 6; ++k)
      list += fmt::format("{}{}{}", k == 0 ? "" : ", ", ts[k].path,
                          ts[k].scale ? fmt::format(" = {} x {}", params::format_number(ts[k].base), experiment.parameters[j].name) : "");
    if (ts.size() > 6) list += fmt::format(", ... ({} in all)", ts.size());
    out += fmt::format("  {} {}: {}\n", is_group(j) ? "group" : "parameter", experiment.parameters[j].name, list);
  }
  return out;
}

bool Sweep::is_group(std::size_t j) const {
  return std::any_of(experiment.groups.begin(), experiment.groups.end(),
                     [&](const ParameterGroup& g) { return g.name == experiment.parameters[j].name; });
}

double Sweep::value_of(const ParameterTarget& t, double x) {
  const double v = t.scale ? t.base * x : x;
  return t.integer ? std::round(v) : v;
}

std::vector<double> Sweep::written_values() const {
  const YAML::Node resolved = YAML::Load(kpisim::to_yaml(base));
  std::vector<double> out;
  for (std::size_t j = 0; j < experiment.parameters.size(); ++j) {
    const auto& ts = targets[j];
    double w = 1.0;  // a group's factor
    if (!is_group(j))
      w = keypath::number(keypath::find(resolved, ts.front().path).Scalar());
    else if (std::none_of(ts.begin(), ts.end(), [](const ParameterTarget& t) { return t.scale; }))
      w = ts.front().base;  // a `set` group: the first key's value
    out.push_back(w);
  }
  return out;
}

Scenario Sweep::scenario_at(std::size_t point) const {
  if (experiment.parameters.empty()) return base;
  YAML::Node tree = YAML::Load(kpisim::to_yaml(base));
  for (std::size_t j = 0; j < experiment.parameters.size(); ++j)
    for (const auto& t : targets[j]) {
      YAML::Node target = node_at(tree, t.path);
      target = target_text(t, points[point][j]);
    }
  return load_scenario_node(tree, fmt::format("{} (point {})", source_, point));
}

std::string Sweep::to_yaml() const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  params::YamlWriter w(out);
  Experiment copy = experiment;
  copy.base.clear();  // the scenario is stored inline, resolved
  copy.visit(w);
  out << YAML::Key << "scenario" << YAML::Value << YAML::Load(kpisim::to_yaml(base));
  out << YAML::EndMap;
  // A parameter has either values or a range: drop the unused keys (empty list, NaN ends).
  YAML::Node tree = YAML::Load(out.c_str());
  for (auto kv : tree["parameters"]) {
    YAML::Node entry = kv.second;
    if (entry["values"] && entry["values"].size() == 0) entry.remove("values");
    for (const char* key : {"lower", "upper"})
      if (entry[key] && entry[key].Scalar() == ".nan") entry.remove(key);
  }
  // The design's keys of other types are left out.
  if (tree["design"]) {
    YAML::Node des = tree["design"];
    if (des["values"] && des["values"].size() == 0) des.remove("values");
    for (const char* key : {"file", "from"})
      if (des[key] && des[key].Scalar().empty()) des.remove(key);
  }
  // Groups are written only when there are some, each with the lists it has.
  if (tree["groups"] && tree["groups"].size() == 0) tree.remove("groups");
  for (auto kv : tree["groups"]) {
    YAML::Node entry = kv.second;
    for (const char* key : {"scale", "set"})
      if (entry[key] && entry[key].size() == 0) entry.remove(key);
  }
  // The robust section is written only when given, each constraint with the limits it has.
  if (!experiment.robust.present()) tree.remove("robust");
  for (auto kv : tree["robust"]["constraints"]) {
    YAML::Node entry = kv.second;
    for (const char* key : {"min", "max"})
      if (entry[key] && (entry[key].Scalar() == ".inf" || entry[key].Scalar() == "-.inf")) entry.remove(key);
  }
  YAML::Emitter clean;
  clean << tree;
  return std::string(clean.c_str()) + "\n";
}

int Sweep::last_day() const noexcept {
  return experiment.analysis.last_day < 0 ? base.days - 1 : std::min(experiment.analysis.last_day, base.days - 1);
}

}  // namespace kpisim

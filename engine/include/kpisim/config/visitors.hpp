#pragma once
// The three parameter visitors (see params.hpp). Include only from .cpp files: pulls in yaml-cpp.
#include <yaml-cpp/yaml.h>

#include <array>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/params.hpp"

namespace kpisim {
struct PolicySpec;
struct WeightEntry;
}  // namespace kpisim

namespace kpisim::params {

// Limits that keep a small input file from describing a huge amount of work: checked on the
// parsed document before anything is built from it (docs/scenario-reference.md, "Limits").
inline constexpr std::size_t kMaxYamlNodes = 100'000;        ///< nodes of a document, YAML aliases expanded
inline constexpr int kMaxYamlDepth = 64;                     ///< nesting of mappings and lists
inline constexpr std::size_t kMaxEntries = 10'000;           ///< entries of one mapping or list
inline constexpr std::uintmax_t kMaxFileBytes = 16u << 20u;  ///< size of a scenario or experiment file

/// The contents of a scenario or experiment file (`what` names it in messages). Throws InputError
/// for a directory, an unreadable file or one larger than kMaxFileBytes, before reading it.
std::string read_input_file(const std::string& path, std::string_view what);

/// Parses `text` as exactly one YAML document and checks it against the limits above. Problems
/// (syntax, a second document, too many nodes, too deep) go to `diag` with their positions; the
/// returned node is then null.
YAML::Node load_document(const std::string& text, Diagnostics& diag);

/// The nodes of `n` counted as load_document counts them (keys and values; a YAML alias as a copy
/// of its anchored node), the count stopping at the first past `stop` (then stop + 1).
std::size_t count_nodes(const YAML::Node& n, std::size_t stop);

/// Documents of at most this many nodes resolve (every default written out, as to_yaml writes a
/// scenario) to far fewer than kMaxYamlNodes; a larger scenario is resolved to check it
/// (load_scenario_node). tests/unit/test_config.cpp bounds the growth that makes this hold.
inline constexpr std::size_t kResolvedCheckNodes = 2'000;

/// Records where a struct came from, for structs that keep a position (members line, col).
template <class S>
void set_mark(S& s, const YAML::Mark& m) {
  if constexpr (requires {
                  s.line;
                  s.col;
                }) {
    s.line = m.line;
    s.col = m.column;
  }
}

/// Decodes YAML into parameter structs. Errors go to Diagnostics with the node's position.
class YamlReader {
 public:
  YamlReader(const YAML::Node& node, Diagnostics& diag, std::string path, SourceMap* where = nullptr);

  void num(std::string_view key, double& x, const Meta& m);
  void integer(std::string_view key, int& x, const Meta& m);
  void integer(std::string_view key, std::uint64_t& x, const Meta& m);
  void flag(std::string_view key, bool& x, const TextMeta& m);
  void text(std::string_view key, std::string& x, const TextMeta& m);
  void weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& m);
  void numbers(std::string_view key, std::vector<double>& x, const Meta& m);
  void texts(std::string_view key, std::vector<std::string>& x, const TextMeta& m);
  void policy_body(PolicySpec& p);

  template <class E, std::size_t N>
  void choice(std::string_view key, E& x, const std::array<Choice<E>, N>& choices, const TextMeta& /*m*/) {
    const YAML::Node n = take(key);
    if (!n) return;
    std::vector<std::string> names;
    if (n.IsScalar()) {
      for (const auto& c : choices) {
        if (n.Scalar() == c.name) {
          x = c.value;
          return;
        }
      }
    }
    names.reserve(N);
    for (const auto& c : choices) names.emplace_back(c.name);
    bad_choice(n, key, names);
  }

  template <class S>
  void section(std::string_view key, S& s, const TextMeta& /*m*/) {
    const YAML::Node n = take(key);
    if (!n) return;
    if (!expect_map(n, key)) return;
    set_mark(s, n.Mark());
    YamlReader child(n, diag_, join(key), where_);
    s.visit(child);
    child.finish();
  }

  /// A map from names to structs; S must have a `std::string name` member.
  template <class S>
  void named(std::string_view key, std::vector<S>& items, const TextMeta& /*m*/, Merge merge) {
    const YAML::Node n = take(key);
    if (!n) return;
    if (!expect_map(n, key)) return;
    if (merge == Merge::replace) items.clear();
    SeenNames seen;
    // Names that are key paths (experiment parameters) may hold item selectors.
    constexpr bool key_path = requires {
      S::kKeyPathNames;
    };
    // The items by name (hashed: a map may have kMaxEntries entries, and a scan per entry would
    // make reading it quadratic). Names are unique: the defaults' and, by entry_name, the file's.
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < items.size(); ++i) index.emplace(items[i].name, i);
    for (const auto& kv : n) {
      if (!entry_name(kv.first, key, seen, true, key_path)) continue;
      const std::string& name = kv.first.Scalar();
      const auto [at, added] = index.emplace(name, items.size());
      if (added) {
        items.emplace_back();
        items.back().name = name;
      }
      S* target = &items[at->second];
      set_mark(*target, kv.first.Mark());
      if (kv.second.IsNull()) continue;  // "name:" with nothing keeps defaults
      if (!expect_map(kv.second, std::string(key) + "." + name)) continue;
      YamlReader child(kv.second, diag_, join(key) + "." + name, where_);
      target->visit(child);
      child.finish();
    }
  }

  /// A sequence of structs.
  template <class S>
  void list(std::string_view key, std::vector<S>& items, const TextMeta& /*m*/) {
    const YAML::Node n = take(key);
    if (!n) return;
    if (!n.IsSequence()) {
      error_at(n, shape_error(join(key), "a list (YAML sequence)"));
      return;
    }
    items.clear();
    std::size_t i = 0;
    for (const auto& el : n) {
      items.emplace_back();
      std::string p = join(key);  // built step by step: GCC 12 -Wrestrict false alarm on "a" + b
      p += '[';
      p += std::to_string(i++);
      p += ']';
      if (!el.IsMap()) {
        error_at(el, shape_error(p, "a mapping"));
        continue;
      }
      set_mark(items.back(), el.Mark());
      YamlReader child(el, diag_, p, where_);
      items.back().visit(child);
      child.finish();
    }
  }

  /// Reports keys present in the node that no visit asked for, with the nearest valid key.
  void finish();

  [[nodiscard]] Diagnostics& diagnostics() { return diag_; }
  [[nodiscard]] const YAML::Node& node() const { return node_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  void error_at(const YAML::Node& n, const std::string& msg);
  /// Marks a key as known without reading it (e.g. `type`, read by a dispatcher).
  void accept(std::string_view key) { known_.emplace_back(key); }

 private:
  YAML::Node take(std::string_view key);
  void accept_all();
  static std::string shape_error(const std::string& path, std::string_view expected);
  bool expect_map(const YAML::Node& n, std::string_view what);
  void bad_choice(const YAML::Node& n, std::string_view key, const std::vector<std::string>& names);
  [[nodiscard]] std::string join(std::string_view key) const;
  /// Checks the key of an entry of the map `key`: a plain scalar, not seen before (both positions
  /// reported), and, when `is_name`, a valid name (name_problem; a key path when `key_path`, for
  /// structs that declare kKeyPathNames). Adds it to `seen` if valid.
  using SeenNames = std::unordered_map<std::string, YAML::Mark>;  ///< names met in a map, with their first position
  bool entry_name(const YAML::Node& k, std::string_view key, SeenNames& seen, bool is_name, bool key_path = false);

  YAML::Node node_;
  Diagnostics& diag_;
  std::string path_;
  std::vector<std::string> known_;
  SourceMap* where_;
};

/// Writes the resolved values of parameter structs as YAML.
class YamlWriter {
 public:
  explicit YamlWriter(YAML::Emitter& out) : out_(out) {}
  /// Writes nothing to `out`: counts into `*nodes` the YAML nodes (keys and values) it would write,
  /// the count a load_document of the written text would make (checked by tests/unit/test_config.cpp).
  YamlWriter(YAML::Emitter& out, std::size_t* nodes) : out_(out), nodes_(nodes) {}

  void num(std::string_view key, double& x, const Meta& m);
  void integer(std::string_view key, int& x, const Meta& m);
  void integer(std::string_view key, std::uint64_t& x, const Meta& m);
  void flag(std::string_view key, bool& x, const TextMeta& m);
  void text(std::string_view key, std::string& x, const TextMeta& m);
  void weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& m);
  void numbers(std::string_view key, std::vector<double>& x, const Meta& m);
  void texts(std::string_view key, std::vector<std::string>& x, const TextMeta& m);
  void policy_body(PolicySpec& p);

  template <class E, std::size_t N>
  void choice(std::string_view key, E& x, const std::array<Choice<E>, N>& choices, const TextMeta& /*m*/) {
    for (const auto& c : choices)
      if (c.value == x) {
        if (counted(2)) continue;
        out_ << YAML::Key << std::string(key) << YAML::Value << std::string(c.name);
      }
  }
  template <class S>
  void section(std::string_view key, S& s, const TextMeta& /*m*/) {
    if (counted(2)) {
      s.visit(*this);
      return;
    }
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
    s.visit(*this);
    out_ << YAML::EndMap;
  }
  template <class S>
  void named(std::string_view key, std::vector<S>& items, const TextMeta& /*m*/, Merge /*merge*/) {
    if (counted(2)) {
      for (auto& it : items) {
        counted(2);
        it.visit(*this);
      }
      return;
    }
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginMap;
    for (auto& it : items) {
      out_ << YAML::Key << it.name << YAML::Value << YAML::BeginMap;
      it.visit(*this);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndMap;
  }
  template <class S>
  void list(std::string_view key, std::vector<S>& items, const TextMeta& /*m*/) {
    if (counted(2)) {
      for (auto& it : items) {
        counted(1);
        it.visit(*this);
      }
      return;
    }
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
    for (auto& it : items) {
      out_ << YAML::BeginMap;
      it.visit(*this);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }
  void accept(std::string_view /*key*/) {}
  [[nodiscard]] YAML::Emitter& emitter() { return out_; }

 private:
  /// In counting mode, adds n nodes and returns true (nothing is to be written).
  bool counted(std::size_t n) {
    if (nodes_ == nullptr) return false;
    *nodes_ += n;
    return true;
  }
  YAML::Emitter& out_;
  std::size_t* nodes_ = nullptr;
};

/// One row of the scenario reference.
struct DocRow {
  std::string key, type, unit, range, default_value, doc, source;
};

/// Collects reference rows (key path, type, unit, range, default, doc, source).
class DocWriter {
 public:
  explicit DocWriter(std::string prefix = {}) : prefix_(std::move(prefix)) {}

  void num(std::string_view key, double& x, const Meta& m);
  void integer(std::string_view key, int& x, const Meta& m);
  void integer(std::string_view key, std::uint64_t& x, const Meta& m);
  void flag(std::string_view key, bool& x, const TextMeta& m);
  void text(std::string_view key, std::string& x, const TextMeta& m);
  void weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& m);
  void numbers(std::string_view key, std::vector<double>& x, const Meta& m);
  void texts(std::string_view key, std::vector<std::string>& x, const TextMeta& m);
  void policy_body(PolicySpec& p);

  template <class E, std::size_t N>
  void choice(std::string_view key, E& x, const std::array<Choice<E>, N>& choices, const TextMeta& m) {
    std::string opts, def;
    for (const auto& c : choices) {
      opts += (opts.empty() ? "" : " \\| ") + std::string(c.name);
      if (c.value == x) def = std::string(c.name);
    }
    rows_.push_back({path(key), "choice", "", opts, def, std::string(m.doc), std::string(m.source)});
  }
  template <class S>
  void section(std::string_view key, S& s, const TextMeta& /*m*/) {
    DocWriter child(path(key));
    s.visit(child);
    append(child);
  }
  template <class S>
  void named(std::string_view key, std::vector<S>& items, const TextMeta& m, Merge /*merge*/) {
    std::string names;
    for (auto& it : items) names += (names.empty() ? "" : ", ") + it.name;
    rows_.push_back(
        {path(key), "map of name → entry", "", "", names.empty() ? "(empty)" : names, std::string(m.doc), std::string(m.source)});
    S fresh{};
    DocWriter child(path(key) + ".NAME");
    fresh.visit(child);
    append(child);
  }
  template <class S>
  void list(std::string_view key, std::vector<S>& /*items*/, const TextMeta& m) {
    rows_.push_back({path(key), "list", "", "", "", std::string(m.doc), std::string(m.source)});
    S fresh{};
    DocWriter child(path(key) + "[i]");
    fresh.visit(child);
    append(child);
  }
  void accept(std::string_view /*key*/) {}

  [[nodiscard]] const std::vector<DocRow>& rows() const { return rows_; }
  void append(const DocWriter& other) { rows_.insert(rows_.end(), other.rows_.begin(), other.rows_.end()); }

 private:
  [[nodiscard]] std::string path(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }
  std::string prefix_;
  std::vector<DocRow> rows_;
};

/// Formats a number for YAML and docs: shortest round-trip representation.
std::string format_number(double x);

}  // namespace kpisim::params

#include "kpisim/config/visitors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {

void Diagnostics::error(int line0, int col0, std::string message) {
  if (line0 >= 0)
    messages_.push_back(fmt::format("{}:{}:{}: error: {}", file_, line0 + 1, col0 + 1, message));
  else
    messages_.push_back(fmt::format("{}: error: {}", file_, message));
}

void Diagnostics::error_at_path(const SourceMap* where, const std::string& path, std::string message) {
  if (where != nullptr) {
    auto it = where->find(path);
    if (it != where->end()) {
      error(it->second.first, it->second.second, std::move(message));
      return;
    }
  }
  error(-1, -1, std::move(message));
}

std::string Diagnostics::report() const {
  std::string out;
  for (const auto& m : messages_) out += m + "\n";
  return out;
}

void Diagnostics::throw_if_errors() const {
  if (!ok()) throw InputError(report());
}

namespace params {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(std::string_view key, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(key, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Accept a suggestion within about a third of the key's length (at least 2 edits), or when one
  // contains the other (e.g. "employee" vs "employees").
  const std::size_t limit = std::max<std::size_t>(2, key.size() / 3);
  if (best_d <= limit) return best;
  for (const auto& c : candidates)
    if (c.find(key) != std::string::npos || key.find(c) != std::string_view::npos) return c;
  return {};
}

std::string format_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{}", x);
}

namespace {
std::string range_text(const Meta& m) {
  return fmt::format("[{}, {}]", format_number(m.lo), format_number(m.hi));
}
std::string describe(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}
bool parse_double(const std::string& s, double& out) {
  if (s == ".inf" || s == "inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}
}  // namespace

YamlReader::YamlReader(const YAML::Node& node, Diagnostics& diag, std::string path, SourceMap* where)
    : node_(node), diag_(diag), path_(std::move(path)), where_(where) {}

std::string YamlReader::join(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void YamlReader::error_at(const YAML::Node& n, const std::string& msg) {
  const YAML::Mark m = n.Mark();
  diag_.error(m.line, m.column, msg);
}

YAML::Node YamlReader::take(std::string_view key) {
  known_.emplace_back(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : node_)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) {
      if (where_ != nullptr) (*where_)[join(key)] = {kv.second.Mark().line, kv.second.Mark().column};
      return kv.second;
    }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool YamlReader::expect_map(const YAML::Node& n, std::string_view what) {
  if (n.IsMap()) return true;
  error_at(n, fmt::format("'{}' must be a mapping of keys to values, got {}", join(what), describe(n)));
  return false;
}

void YamlReader::num(std::string_view key, double& x, const Meta& m) {
  const YAML::Node n = take(key);
  if (!n) return;
  double v = 0.0;
  if (!n.IsScalar() || !parse_double(n.Scalar(), v) || std::isnan(v)) {
    error_at(n, fmt::format("'{}' expects a number{} in {}, got {}", join(key),
                            m.unit.empty() || m.unit == "1" ? "" : fmt::format(" ({})", m.unit), range_text(m), describe(n)));
    return;
  }
  if (v < m.lo || v > m.hi) {
    error_at(n, fmt::format("'{}' = {} is out of range: expected {}{}", join(key), n.Scalar(), range_text(m),
                            m.unit.empty() || m.unit == "1" ? "" : fmt::format(" {}", m.unit)));
    return;
  }
  x = v;
}

namespace {
template <class Int>
bool read_integer(const YAML::Node& n, Int& out, double lo, double hi) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  Int v{};
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return false;
  if (static_cast<double>(v) < lo || static_cast<double>(v) > hi) return false;
  out = v;
  return true;
}
}  // namespace

void YamlReader::integer(std::string_view key, int& x, const Meta& m) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!read_integer(n, x, m.lo, m.hi))
    error_at(n, fmt::format("'{}' expects a whole number in {}, got {}", join(key), range_text(m), describe(n)));
}

void YamlReader::integer(std::string_view key, std::uint64_t& x, const Meta& m) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!read_integer(n, x, m.lo, m.hi))
    error_at(n, fmt::format("'{}' expects a non-negative whole number (64-bit), got {}", join(key), describe(n)));
}

void YamlReader::flag(std::string_view key, bool& x, const TextMeta& /*m*/) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") {
      x = true;
      return;
    }
    if (s == "false" || s == "no" || s == "off") {
      x = false;
      return;
    }
  }
  error_at(n, fmt::format("'{}' expects true or false, got {}", join(key), describe(n)));
}

void YamlReader::text(std::string_view key, std::string& x, const TextMeta& /*m*/) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!n.IsScalar()) {
    error_at(n, fmt::format("'{}' expects a text value, got {}", join(key), describe(n)));
    return;
  }
  x = n.Scalar();
}

void YamlReader::numbers(std::string_view key, std::vector<double>& x, const Meta& m) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!n.IsSequence() || n.size() == 0) {
    error_at(n, fmt::format("'{}' expects a non-empty list of numbers in {}, got {}", join(key), range_text(m), describe(n)));
    return;
  }
  std::vector<double> out;
  for (const auto& el : n) {
    double v = 0.0;
    if (!el.IsScalar() || !parse_double(el.Scalar(), v) || std::isnan(v) || v < m.lo || v > m.hi) {
      error_at(el, fmt::format("'{}' expects numbers in {}, got {}", join(key), range_text(m), describe(el)));
      return;
    }
    out.push_back(v);
  }
  x = std::move(out);
}

void YamlReader::texts(std::string_view key, std::vector<std::string>& x, const TextMeta& /*m*/) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!n.IsSequence()) {
    error_at(n, fmt::format("'{}' expects a list of names, for example [a, b], got {}", join(key), describe(n)));
    return;
  }
  std::vector<std::string> out;
  for (const auto& el : n) {
    if (!el.IsScalar()) {
      error_at(el, fmt::format("'{}' expects a list of names, got {} in it", join(key), describe(el)));
      return;
    }
    out.push_back(el.Scalar());
  }
  x = std::move(out);
}

void YamlReader::weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& m) {
  const YAML::Node n = take(key);
  if (!n) return;
  if (!expect_map(n, key)) return;
  w.clear();
  for (const auto& kv : n) {
    WeightEntry e;
    e.name = kv.first.as<std::string>();
    e.line = kv.first.Mark().line;
    e.col = kv.first.Mark().column;
    double v = 0.0;
    if (!kv.second.IsScalar() || !parse_double(kv.second.Scalar(), v) || !(v >= m.lo && v <= m.hi)) {
      error_at(kv.second, fmt::format("'{}.{}' expects a number in {}, got {}", join(key), e.name, range_text(m), describe(kv.second)));
      continue;
    }
    e.value = v;
    w.push_back(std::move(e));
  }
}

void YamlReader::policy_body(PolicySpec& p) {
  const YAML::Node t = take("type");
  std::vector<std::string> names;
  for (const auto& info : regime_registry()) names.emplace_back(info.name);
  if (!t) {
    std::string list;
    for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
    error_at(node_, fmt::format("'{}' needs a 'type' (one of: {})", path_, list));
    accept_all();
    return;
  }
  const RegimeInfo* info = t.IsScalar() ? find_regime(t.Scalar()) : nullptr;
  if (info == nullptr) {
    bad_choice(t, "type", names);
    accept_all();  // the parameters cannot be checked without a known type
    return;
  }
  p.type = std::string(info->name);
  p.line = node_.Mark().line;
  p.col = node_.Mark().column;
  p.config = info->make();
  p.config->read(*this);
}

std::string YamlReader::shape_error(const std::string& path, std::string_view expected) {
  return fmt::format("'{}' must be {}", path, expected);
}

void YamlReader::accept_all() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_)
    if (kv.first.IsScalar()) known_.push_back(kv.first.Scalar());
}

void YamlReader::bad_choice(const YAML::Node& n, std::string_view key, const std::vector<std::string>& names) {
  std::string list;
  for (const auto& s : names) list += (list.empty() ? "" : ", ") + s;
  std::string msg = fmt::format("'{}' must be one of: {}; got {}", join(key), list, describe(n));
  if (n.IsScalar()) {
    const std::string s = nearest(n.Scalar(), names);
    if (!s.empty()) msg += fmt::format(" (did you mean '{}'?)", s);
  }
  error_at(n, msg);
}

void YamlReader::finish() {
  if (!node_.IsMap()) return;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) {
      error_at(kv.first, "keys must be plain names");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = path_.empty() ? fmt::format("unknown key '{}'", key) : fmt::format("unknown key '{}' in '{}'", key, path_);
    const std::string s = nearest(key, known_);
    if (!s.empty())
      msg += fmt::format("; did you mean '{}'?", s);
    else {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      msg += fmt::format("; valid keys here: {}", list);
    }
    error_at(kv.first, msg);
  }
  // Duplicate keys (yaml-cpp keeps both): report the second occurrence.
  std::vector<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) continue;
    if (std::find(seen.begin(), seen.end(), kv.first.Scalar()) != seen.end())
      error_at(kv.first, fmt::format("duplicate key '{}'", kv.first.Scalar()));
    seen.push_back(kv.first.Scalar());
  }
}

// ---------------------------------------------------------------------------------------------
// YamlWriter

namespace {
// A number as YAML: the shortest text that reads back as the same double (0.3, not
// 0.29999999999999999), or YAML's .inf / .nan.
std::string yaml_number(double x) {
  if (std::isnan(x)) return ".nan";
  if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
  return format_number(x);
}
}  // namespace

void YamlWriter::num(std::string_view key, double& x, const Meta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << yaml_number(x);
}
void YamlWriter::integer(std::string_view key, int& x, const Meta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << x;
}
void YamlWriter::integer(std::string_view key, std::uint64_t& x, const Meta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << x;
}
void YamlWriter::flag(std::string_view key, bool& x, const TextMeta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << (x ? "true" : "false");
}
void YamlWriter::text(std::string_view key, std::string& x, const TextMeta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << x;
}
void YamlWriter::numbers(std::string_view key, std::vector<double>& x, const Meta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const double v : x) out_ << yaml_number(v);
  out_ << YAML::EndSeq;
}
void YamlWriter::texts(std::string_view key, std::vector<std::string>& x, const TextMeta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : x) out_ << v;
  out_ << YAML::EndSeq;
}
void YamlWriter::weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& /*m*/) {
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& e : w) out_ << YAML::Key << e.name << YAML::Value << yaml_number(e.value);
  out_ << YAML::EndMap;
}
void YamlWriter::policy_body(PolicySpec& p) {
  out_ << YAML::Key << "type" << YAML::Value << p.type;
  if (p.config) p.config->write(*this);
}

// ---------------------------------------------------------------------------------------------
// DocWriter

void DocWriter::num(std::string_view key, double& x, const Meta& m) {
  rows_.push_back({path(key), "number", std::string(m.unit), range_text(m), format_number(x), std::string(m.doc), std::string(m.source)});
}
void DocWriter::integer(std::string_view key, int& x, const Meta& m) {
  rows_.push_back({path(key), "integer", std::string(m.unit), range_text(m), std::to_string(x), std::string(m.doc), std::string(m.source)});
}
void DocWriter::integer(std::string_view key, std::uint64_t& x, const Meta& m) {
  rows_.push_back({path(key), "integer", std::string(m.unit), "[0, 2^64-1]", std::to_string(x), std::string(m.doc), std::string(m.source)});
}
void DocWriter::flag(std::string_view key, bool& x, const TextMeta& m) {
  rows_.push_back({path(key), "boolean", "", "", x ? "true" : "false", std::string(m.doc), std::string(m.source)});
}
void DocWriter::text(std::string_view key, std::string& x, const TextMeta& m) {
  rows_.push_back({path(key), "text", "", "", x.empty() ? "(empty)" : x, std::string(m.doc), std::string(m.source)});
}
void DocWriter::numbers(std::string_view key, std::vector<double>& x, const Meta& m) {
  std::string def;
  for (const double v : x) def += (def.empty() ? "" : ", ") + format_number(v);
  rows_.push_back({path(key), "list of numbers", std::string(m.unit), range_text(m), def.empty() ? "(none)" : "[" + def + "]",
                   std::string(m.doc), std::string(m.source)});
}
void DocWriter::texts(std::string_view key, std::vector<std::string>& x, const TextMeta& m) {
  std::string def;
  for (const auto& v : x) def += (def.empty() ? "" : ", ") + v;
  rows_.push_back(
      {path(key), "list of names", "", "", def.empty() ? "(none)" : "[" + def + "]", std::string(m.doc), std::string(m.source)});
}
void DocWriter::weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& m) {
  std::string def;
  for (const auto& e : w) def += (def.empty() ? "" : ", ") + e.name + ": " + format_number(e.value);
  rows_.push_back({path(key), "map of task → number", std::string(m.unit), range_text(m), def.empty() ? "(all tasks equally)" : def,
                   std::string(m.doc), std::string(m.source)});
}
void DocWriter::policy_body(PolicySpec& p) {
  std::string names;
  for (const auto& info : regime_registry()) names += (names.empty() ? "" : " \\| ") + std::string(info.name);
  rows_.push_back({path("type"), "choice", "", names, p.type, "regime type; its parameters are listed under Regimes", ""});
}

}  // namespace params
}  // namespace kpisim

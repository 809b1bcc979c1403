#include "kpisim/config/visitors.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "kpisim/config/scenario.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/regimes/regime.hpp"

namespace kpisim {

namespace {
// The code point of the UTF-8 sequence at s[i] and its length, or length 0 when it is not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF included).
std::pair<char32_t, std::size_t> decode_utf8(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return {0, 0};
  }
  if (i + len > s.size()) return {0, 0};
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0u) != 0x80u) return {0, 0};
    cp = (cp << 6u) | (b & 0x3Fu);
  }
  const char32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, len};
}
}  // namespace

std::string printable(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (chars == max_chars) {
      out += fmt::format("…({} bytes)", text.size());
      return out;
    }
    ++chars;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\t')
        out += "\\t";
      else if (c == '\r')
        out += "\\r";
      else if (c < 0x20 || c == 0x7F)
        out += fmt::format("\\x{:02X}", c);
      else
        out += static_cast<char>(c);
      continue;
    }
    const auto [cp, len] = decode_utf8(text, i);
    if (len == 0) {
      out += fmt::format("\\x{:02X}", c);
      ++i;
      continue;
    }
    // C1 controls, zero-width and bidirectional formatting characters ("Trojan Source"), BOM.
    const bool hidden = (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
                        (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
    if (hidden)
      out += fmt::format("\\u{{{:04X}}}", static_cast<std::uint32_t>(cp));
    else
      out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string name_problem(std::string_view name, bool key_path) {
  if (name.empty()) return "a name must not be empty";
  if (name.size() > kMaxNameBytes) return fmt::format("a name has at most {} bytes (this one has {})", kMaxNameBytes, name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                    ch == '.' || (key_path && (ch == '[' || ch == ']' || ch == '*' || ch == '='));
    if (!ok) {
      const std::size_t len = static_cast<unsigned char>(ch) < 0x80 ? 1 : std::max<std::size_t>(1, decode_utf8(name, i).second);
      return fmt::format("'{}' is not allowed in a name: names use letters A-Z a-z, digits, '_', '-' and '.'",
                         printable(name.substr(i, len)));
    }
  }
  if (name.front() == '.') return "a name must not start with '.'";
  if (name.find("..") != std::string_view::npos) return "a name must not contain '..'";
  return {};
}

void Diagnostics::error(int line0, int col0, std::string message) {
  if (++count_ > kMaxReportedErrors) return;  // counted, not kept (report() says how many)
  const std::string file = printable(file_, 300);
  if (line0 >= 0)
    messages_.push_back(fmt::format("{}:{}:{}: error: {}", file, line0 + 1, col0 + 1, message));
  else
    messages_.push_back(fmt::format("{}: error: {}", file, message));
  entries_.push_back(Diagnostic{file_, line0 >= 0 ? line0 + 1 : 0, line0 >= 0 ? col0 + 1 : 0, std::move(message)});
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
  if (count_ > messages_.size())
    out += fmt::format("{}: error: ... and {} more errors (only the first {} are shown)\n", printable(file_, 300),
                       count_ - messages_.size(), messages_.size());
  return out;
}

void Diagnostics::throw_if_errors() const {
  if (!ok()) throw DiagnosticsError(report(), entries_);
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
  if (key.size() > 2 * kMaxNameBytes) return {};  // no name is that long; spare the quadratic distance
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
  if (n.IsScalar()) return "'" + printable(n.Scalar()) + "'";
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
// Walks the document as yaml-cpp holds it (an alias is the anchored node again, so a few lines of
// aliases can stand for billions of nodes) and stops at the first limit exceeded.
class SizeCheck {
 public:
  explicit SizeCheck(Diagnostics& diag) : diag_(diag) {}
  bool walk(const YAML::Node& n, int depth) {
    if (++nodes_ > kMaxYamlNodes) {
      diag_.error(n.Mark().line, n.Mark().column,
                  fmt::format("the document has more than {} YAML nodes (counting each use of an alias `*name` as a copy of its "
                              "anchored node; the count passed the limit here); split or simplify the file",
                              kMaxYamlNodes));
      return false;
    }
    if (depth > kMaxYamlDepth) {
      diag_.error(n.Mark().line, n.Mark().column, fmt::format("mappings and lists are nested more than {} deep here", kMaxYamlDepth));
      return false;
    }
    if (n.IsMap() || n.IsSequence()) {
      std::size_t entries = 0;
      for (const auto& el : n) {
        if (++entries > kMaxEntries) {
          diag_.error(n.Mark().line, n.Mark().column,
                      fmt::format("this {} has more than {} entries", n.IsMap() ? "mapping" : "list", kMaxEntries));
          return false;
        }
        if (n.IsMap()) {
          if (!walk(el.first, depth + 1) || !walk(el.second, depth + 1)) return false;
        } else if (!walk(el, depth + 1)) {
          return false;
        }
      }
    }
    return true;
  }

 private:
  Diagnostics& diag_;
  std::size_t nodes_ = 0;
};

}  // namespace

std::string read_input_file(const std::string& path, std::string_view what) {
  namespace fs = std::filesystem;
  const std::string shown = printable(path, 300);
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw InputError(fmt::format("{}: error: is a directory, not {} file", shown, what == "experiment" ? "an experiment" : "a scenario"));
  const std::uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes)
    throw InputError(fmt::format("{}: error: the {} file has {} bytes; at most {} MiB are read", shown, what, size, kMaxFileBytes >> 20u));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: error: cannot open the {} file", shown, what));
  std::string text;
  std::array<char, 1 << 16> buf{};
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes)  // grew while being read, or a pipe or device without a size
      throw InputError(fmt::format("{}: error: the {} file has more than {} MiB", shown, what, kMaxFileBytes >> 20u));
    if (!in) break;
  }
  return text;
}

namespace {

/// Parser events of a YAML stream: where the first node of the second document starts, if any.
class SecondDocument final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& /*mark*/) override { ++documents_; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/, const std::string& /*value*/) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                       YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {
    node(mark);
  }
  void OnMapEnd() override {}

  std::optional<YAML::Mark> second_mark;  ///< the first node of the second document

 private:
  void node(const YAML::Mark& m) {
    if (documents_ == 2 && !second_mark) second_mark = m;
  }
  int documents_ = 0;
};

}  // namespace

YAML::Node load_document(const std::string& text, Diagnostics& diag) {
  // YAML::LoadAll is not used: yaml-cpp 0.7 (Debian 12) can loop for ever, allocating, on some
  // malformed streams (yaml-cpp issue #1040; found by tests/fuzz). The first document is loaded,
  // and a second is looked for by a parser that reads at most two documents' events.
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    SecondDocument second;
    if (parser.HandleNextDocument(second) && parser.HandleNextDocument(second)) {
      const YAML::Mark m = second.second_mark.value_or(YAML::Mark());
      diag.error(std::max(0, m.line), std::max(0, m.column),
                 "a second YAML document begins here (after `---`); a file holds one document: remove the rest or split the file");
      return YAML::Node();
    }
  } catch (const YAML::Exception& e) {
    diag.error(std::max(0, e.mark.line), std::max(0, e.mark.column), "YAML syntax: " + printable(e.msg, 200));
    return YAML::Node();
  }
  if (!doc.IsDefined()) return YAML::Node(YAML::NodeType::Null);
  SizeCheck check(diag);
  if (!check.walk(doc, 0)) return YAML::Node();
  return doc;
}

namespace {
void count_into(const YAML::Node& n, std::size_t stop, std::size_t& count) {
  if (++count > stop) return;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      count_into(kv.first, stop, count);
      count_into(kv.second, stop, count);
      if (count > stop) return;
    }
  } else if (n.IsSequence()) {
    for (const auto& el : n) {
      count_into(el, stop, count);
      if (count > stop) return;
    }
  }
}
}  // namespace

std::size_t count_nodes(const YAML::Node& n, std::size_t stop) {
  std::size_t count = 0;
  count_into(n, stop, count);
  return std::min(count, stop + 1);
}

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

bool YamlReader::entry_name(const YAML::Node& k, std::string_view key, SeenNames& seen, bool is_name, bool key_path) {
  if (!k.IsScalar()) {
    error_at(k, fmt::format("the keys of '{}' must be plain names, got {}", join(key), describe(k)));
    return false;
  }
  const std::string& name = k.Scalar();
  if (const auto first = seen.find(name); first != seen.end()) {
    const YAML::Mark& mark = first->second;
    error_at(k, fmt::format("'{}' appears twice in '{}' (first at line {}, column {}); give each name once", printable(name), join(key),
                            mark.line + 1, mark.column + 1));
    return false;
  }
  if (is_name) {
    const std::string problem = name_problem(name, key_path);
    if (!problem.empty()) {
      error_at(k, fmt::format("'{}' in '{}': {}", printable(name), join(key), problem));
      return false;
    }
  }
  seen.emplace(name, k.Mark());
  return true;
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
  // The 64-bit range is checked by the conversion itself; m.hi as a double cannot say 2^64-1.
  if (!read_integer(n, x, m.lo, params::kInf))
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
  SeenNames seen;
  for (const auto& kv : n) {
    if (!entry_name(kv.first, key, seen, false)) continue;
    WeightEntry e;
    e.name = kv.first.Scalar();
    e.line = kv.first.Mark().line;
    e.col = kv.first.Mark().column;
    double v = 0.0;
    if (!kv.second.IsScalar() || !parse_double(kv.second.Scalar(), v) || !(v >= m.lo && v <= m.hi)) {
      error_at(kv.second,
               fmt::format("'{}.{}' expects a number in {}, got {}", join(key), printable(e.name), range_text(m), describe(kv.second)));
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
  if (const YAML::Node sc = take("scope")) {
    if (!sc.IsSequence() || sc.size() == 0) {
      error_at(sc, fmt::format("'{}' expects a non-empty list of division names, for example [it, claims], got {} (leave `scope` out "
                               "for the whole organisation)",
                               join("scope"), describe(sc)));
    } else {
      SeenNames seen;
      for (const auto& el : sc) {
        if (!el.IsScalar()) {
          error_at(el, fmt::format("'{}' expects a list of division names, got {} in it", join("scope"), describe(el)));
          continue;
        }
        const auto [first, added] = seen.emplace(el.Scalar(), el.Mark());
        if (!added) {
          error_at(el, fmt::format("'{}' names '{}' twice (first at line {}, column {})", join("scope"), printable(el.Scalar()),
                                   first->second.line + 1, first->second.column + 1));
          continue;
        }
        p.scope.push_back({el.Scalar(), 0.0, el.Mark().line, el.Mark().column});
      }
    }
  }
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
    std::string msg =
        path_.empty() ? fmt::format("unknown key '{}'", printable(key)) : fmt::format("unknown key '{}' in '{}'", printable(key), path_);
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
  // Duplicate keys (yaml-cpp keeps both): report the second occurrence with the first's position.
  // (Hashed: a scan of the keys seen for each key would make a large mapping quadratic.)
  SeenNames seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) continue;
    const auto [first, added] = seen.emplace(kv.first.Scalar(), kv.first.Mark());
    if (!added)
      error_at(kv.first, fmt::format("duplicate key '{}' (first at line {}, column {})", printable(first->first), first->second.line + 1,
                                     first->second.column + 1));
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
  if (counted(2)) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << yaml_number(x);
}
void YamlWriter::integer(std::string_view key, int& x, const Meta& /*m*/) {
  if (counted(2)) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << x;
}
void YamlWriter::integer(std::string_view key, std::uint64_t& x, const Meta& /*m*/) {
  if (counted(2)) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << x;
}
void YamlWriter::flag(std::string_view key, bool& x, const TextMeta& /*m*/) {
  if (counted(2)) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << (x ? "true" : "false");
}
void YamlWriter::text(std::string_view key, std::string& x, const TextMeta& /*m*/) {
  if (counted(2)) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << x;
}
void YamlWriter::numbers(std::string_view key, std::vector<double>& x, const Meta& /*m*/) {
  if (counted(2 + x.size())) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const double v : x) out_ << yaml_number(v);
  out_ << YAML::EndSeq;
}
void YamlWriter::texts(std::string_view key, std::vector<std::string>& x, const TextMeta& /*m*/) {
  if (counted(2 + x.size())) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& v : x) out_ << v;
  out_ << YAML::EndSeq;
}
void YamlWriter::weights(std::string_view key, std::vector<WeightEntry>& w, const Meta& /*m*/) {
  if (counted(2 + 2 * w.size())) return;
  out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& e : w) out_ << YAML::Key << e.name << YAML::Value << yaml_number(e.value);
  out_ << YAML::EndMap;
}
void YamlWriter::policy_body(PolicySpec& p) {
  if (!counted(2)) out_ << YAML::Key << "type" << YAML::Value << p.type;
  if (!p.scope.empty() && !counted(2 + p.scope.size())) {
    out_ << YAML::Key << "scope" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& e : p.scope) out_ << e.name;
    out_ << YAML::EndSeq;
  }
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
  rows_.push_back(
      {path("scope"), "list of names", "", "division names", "(whole organisation)",
       "the divisions the policy applies to; the others feel none of its incentives, only its spill-overs (docs/model.md 7.15.8)", ""});
}

}  // namespace params
}  // namespace kpisim

// Key paths into a resolved scenario tree: keys, list indices, wildcards and filters.
#include "key_path.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/params.hpp"
#include "kpisim/config/visitors.hpp"

namespace kpisim::keypath {
namespace {

struct Step {
  enum class Kind : std::uint8_t { key, all, index, name, filter } kind = Kind::key;
  std::string key;    ///< key: the key; name: the name; filter: the field (dotted)
  std::string value;  ///< filter: the value
  std::size_t index = 0;
  std::string text;  ///< as written, for messages
};

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (const char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

// The steps of a path, or a problem with its syntax.
std::optional<std::vector<Step>> parse(const std::string& path, std::string& problem) {
  std::vector<std::string> segments;
  std::string cur;
  int depth = 0;
  for (const char ch : path) {
    if (ch == '[') ++depth;
    if (ch == ']') --depth;
    if (depth < 0 || depth > 1) {
      problem = fmt::format("'{}' has unbalanced brackets: an item is addressed as key[0], key[*], key[name] or key[field=value]",
                            printable(path));
      return std::nullopt;
    }
    if (ch == '.' && depth == 0) {
      segments.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (depth != 0) {
    problem = fmt::format("'{}' has an unclosed '['", printable(path));
    return std::nullopt;
  }
  segments.push_back(cur);
  std::vector<Step> steps;
  for (const auto& seg : segments) {
    const std::size_t open = seg.find('[');
    const std::string head = seg.substr(0, open);
    if (head == "*") {
      steps.push_back({Step::Kind::all, "", "", 0, "*"});
    } else if (head.empty()) {
      problem = fmt::format("'{}' has an empty key (two dots in a row, or a leading or trailing dot, or '[' without a key before it)",
                            printable(path));
      return std::nullopt;
    } else {
      steps.push_back({Step::Kind::key, head, "", 0, head});
    }
    std::size_t pos = open;
    while (pos != std::string::npos && pos < seg.size()) {
      const std::size_t close = seg.find(']', pos);
      if (seg[pos] != '[' || close == std::string::npos) {
        problem = fmt::format("'{}': after ']' comes '.' or another '['", printable(path));
        return std::nullopt;
      }
      const std::string sel = seg.substr(pos + 1, close - pos - 1);
      const std::string text = "[" + sel + "]";
      const std::size_t eq = sel.find('=');
      if (sel == "*") {
        steps.push_back({Step::Kind::all, "", "", 0, text});
      } else if (all_digits(sel)) {
        errno = 0;
        const unsigned long long i = std::strtoull(sel.c_str(), nullptr, 10);
        steps.push_back({Step::Kind::index, "", "", errno == 0 ? static_cast<std::size_t>(i) : static_cast<std::size_t>(-1), text});
      } else if (eq != std::string::npos && eq > 0 && eq + 1 < sel.size()) {
        steps.push_back({Step::Kind::filter, sel.substr(0, eq), sel.substr(eq + 1), 0, text});
      } else if (!sel.empty() && eq == std::string::npos) {
        steps.push_back({Step::Kind::name, sel, "", 0, text});
      } else {
        problem =
            fmt::format("'{}': '{}' is not an item selector: use [0], [*], [name] or [field=value]", printable(path), printable(text));
        return std::nullopt;
      }
      pos = close + 1;
    }
  }
  return steps;
}

// A scalar field at a dotted path below `n`, or "" if there is none.
std::optional<std::string> field_of(const YAML::Node& n, const std::string& dotted) {
  YAML::Node cur = n;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur.IsMap()) return std::nullopt;
    const YAML::Node next = cur[key];
    if (!next) return std::nullopt;
    cur.reset(next);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!cur.IsScalar()) return std::nullopt;
  return cur.Scalar();
}

// Whether an item of a list is the one named `name`: its name, type or policy.type.
bool item_named(const YAML::Node& item, const std::string& name) {
  for (const char* field : {"name", "type", "policy.type"})
    if (field_of(item, field) == name) return true;
  return false;
}

bool is_number(const std::string& s) {
  if (s == ".inf" || s == "-.inf" || s == "+.inf" || s == ".nan" || s == ".NaN") return true;
  if (s.empty()) return false;
  char* end = nullptr;
  static_cast<void>(std::strtod(s.c_str(), &end));
  return end == s.c_str() + s.size();
}

std::string suggestion(const std::string& near) {
  return near.empty() ? "" : fmt::format("; did you mean '{}'?", printable(near));
}

struct At {
  YAML::Node node;
  std::string path;
};

// Why `step` matches nothing in any of `from` (the frontier before the step).
std::string no_match(const std::vector<At>& from, const Step& step, const std::string& prefix) {
  const bool one = from.size() == 1;
  const std::string where = one ? (from[0].path.empty() ? std::string("the scenario") : fmt::format("'{}'", from[0].path))
                                : fmt::format("none of the {} entries that '{}' matches", from.size(), printable(prefix));
  switch (step.kind) {
    case Step::Kind::key: {
      std::vector<std::string> keys;
      std::vector<std::string> deeper;  // child.key where a child section has the key
      bool any_map = false;
      for (const auto& a : from) {
        if (a.node.IsSequence() && one) {
          const std::string last = a.path.substr(a.path.rfind('.') + 1);
          return fmt::format("'{}' is a list of {} items: address one as {}[0]{}, {}[NAME] or all as {}[*], then .{}", a.path,
                             a.node.size(), last, a.node.size() > 1 ? fmt::format(" to {}[{}]", last, a.node.size() - 1) : "", last, last,
                             printable(step.key));
        }
        if (!a.node.IsMap()) continue;
        any_map = true;
        for (const auto& kv : a.node) {
          if (!kv.first.IsScalar()) continue;
          keys.push_back(kv.first.Scalar());
          if (kv.second.IsMap() && kv.second[step.key]) deeper.push_back(kv.first.Scalar() + "." + step.key);
        }
      }
      if (!any_map) {
        if (one) return fmt::format("'{}' is a value, not a section: it has no key '{}'", from[0].path, printable(step.key));
        return fmt::format("{} is a section with a key '{}'", where, printable(step.key));
      }
      std::string near = params::nearest(step.key, keys);
      if (near.empty() && !deeper.empty()) near = deeper.front();
      if (one) return fmt::format("{} has no key '{}'{}", where, printable(step.key), suggestion(near));
      return fmt::format("{} has a key '{}'{}", where, printable(step.key), suggestion(near));
    }
    case Step::Kind::index:
      if (one && from[0].node.IsSequence()) {
        const std::size_t n = from[0].node.size();
        return fmt::format("'{}' has {} item{}{}: there is no {}", from[0].path, n, n == 1 ? "" : "s",
                           n == 0 ? std::string() : fmt::format(", [0] to [{}]", n - 1), step.text);
      }
      return fmt::format("{} is not a list: {} addresses an item of a list", where, step.text);
    case Step::Kind::all:
      return fmt::format("{} has no entries for {} to match", where, step.text);
    case Step::Kind::name:
    case Step::Kind::filter: {
      std::vector<std::string> seen;
      bool any = false;
      for (const auto& a : from) {
        if (!a.node.IsSequence() && !a.node.IsMap()) continue;
        any = true;
        for (const auto& it : a.node) {
          const YAML::Node item = a.node.IsMap() ? it.second : YAML::Node(it);
          const std::vector<std::string> fields =
              step.kind == Step::Kind::name ? std::vector<std::string>{"name", "type", "policy.type"} : std::vector<std::string>{step.key};
          for (const auto& f : fields)
            if (const auto v = field_of(item, f)) seen.push_back(*v);
          if (step.kind == Step::Kind::name && a.node.IsMap() && it.first.IsScalar()) seen.push_back(it.first.Scalar());
        }
      }
      if (!any) return fmt::format("{} is not a list or a map: {} selects items of one", where, step.text);
      const std::string what = step.kind == Step::Kind::name ? fmt::format("name, type or policy.type '{}'", printable(step.key))
                                                             : fmt::format("{} = '{}'", printable(step.key), printable(step.value));
      const std::string near = params::nearest(step.kind == Step::Kind::name ? step.key : step.value, seen);
      return fmt::format("no item of {} has {}{}", one ? where : fmt::format("the entries that '{}' matches", printable(prefix)), what,
                         suggestion(near));
    }
  }
  return "no match";
}

}  // namespace

double number(const std::string& scalar) {
  if (scalar == ".inf" || scalar == "+.inf") return std::numeric_limits<double>::infinity();
  if (scalar == "-.inf") return -std::numeric_limits<double>::infinity();
  if (scalar == ".nan" || scalar == ".NaN") return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(scalar.c_str(), nullptr);
}

bool is_pattern(const std::string& path) {
  std::string problem;
  const auto steps = parse(path, problem);
  if (!steps) return false;
  for (const auto& s : *steps)
    if (s.kind == Step::Kind::all || s.kind == Step::Kind::filter || s.kind == Step::Kind::name) return true;
  return false;
}

Matches match(const YAML::Node& root, const std::string& pattern) {
  Matches out;
  const auto steps = parse(pattern, out.problem);
  if (!steps) return out;
  std::vector<At> frontier{{root, ""}};
  std::string prefix;  // the pattern up to the current step, as written
  const auto join = [](const std::string& p, const std::string& key) { return p.empty() ? key : p + "." + key; };
  for (const auto& step : *steps) {
    std::vector<At> next;
    for (const auto& a : frontier) {
      const YAML::Node& n = a.node;
      switch (step.kind) {
        case Step::Kind::key:
          if (n.IsMap())
            if (const YAML::Node c = n[step.key]) next.push_back({c, join(a.path, step.key)});
          break;
        case Step::Kind::index:
          if (n.IsSequence() && step.index < n.size()) next.push_back({n[step.index], fmt::format("{}[{}]", a.path, step.index)});
          break;
        case Step::Kind::all:
          if (n.IsMap()) {
            for (const auto& kv : n)
              if (kv.first.IsScalar()) next.push_back({kv.second, join(a.path, kv.first.Scalar())});
          } else if (n.IsSequence()) {
            for (std::size_t i = 0; i < n.size(); ++i) next.push_back({n[i], fmt::format("{}[{}]", a.path, i)});
          }
          break;
        case Step::Kind::name:
        case Step::Kind::filter: {
          const auto hit = [&](const YAML::Node& item, const std::string& key) {
            if (step.kind == Step::Kind::filter) return field_of(item, step.key) == step.value;
            return item_named(item, step.key) || key == step.key;
          };
          if (n.IsMap()) {
            for (const auto& kv : n)
              if (kv.first.IsScalar() && hit(kv.second, kv.first.Scalar())) next.push_back({kv.second, join(a.path, kv.first.Scalar())});
          } else if (n.IsSequence()) {
            for (std::size_t i = 0; i < n.size(); ++i)
              if (hit(n[i], "")) next.push_back({n[i], fmt::format("{}[{}]", a.path, i)});
          }
          break;
        }
      }
    }
    if (next.empty()) {
      out.problem = no_match(frontier, step, prefix);
      return out;
    }
    frontier = std::move(next);
    prefix += (prefix.empty() || step.text.front() == '[' ? "" : ".") + step.text;
  }
  const bool many = is_pattern(pattern);
  for (const auto& a : frontier) {
    if (!a.node.IsScalar()) {
      out.problem = many ? fmt::format("'{}' matches '{}', a section, not a number: name one of its keys", printable(pattern), a.path)
                         : fmt::format("'{}' is a section, not a number: name one of its keys", printable(pattern));
      return out;
    }
    if (!is_number(a.node.Scalar())) {
      out.problem = fmt::format("'{}' is '{}', not a number", a.path, printable(a.node.Scalar()));
      return out;
    }
    out.paths.push_back(a.path);
  }
  return out;
}

YAML::Node find(const YAML::Node& root, const std::string& path) {
  std::string problem;
  const auto steps = parse(path, problem);
  if (!steps) return {};
  YAML::Node cur = root;
  for (const auto& step : *steps) {
    if (step.kind == Step::Kind::key && cur.IsMap()) {
      YAML::Node next = cur[step.key];
      if (!next) return {};
      cur.reset(next);  // rebinds (assignment would overwrite the node cur refers to)
    } else if (step.kind == Step::Kind::index && cur.IsSequence() && step.index < cur.size()) {
      YAML::Node next = cur[step.index];
      cur.reset(next);
    } else {
      return {};
    }
  }
  return cur;
}

}  // namespace kpisim::keypath

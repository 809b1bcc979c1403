#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpisim/core/error.hpp"

namespace kpisim {

/// User text made safe to quote in a message: control characters, invalid UTF-8, bidirectional
/// overrides and backslashes are escaped (\n, \t, \xNN, \u{NNNN}, \\), and text longer than
/// `max_chars` characters is cut with "…(N bytes)". Every message that quotes a value from an
/// input file goes through this, so that a value cannot forge extra lines or flood the terminal.
std::string printable(std::string_view text, std::size_t max_chars = 60);

/// Limits on names that become HDF5 labels, group names and file names (policies, divisions,
/// tasks, tools, experiment parameters, the experiment's name): 1 to kMaxNameBytes bytes of
/// [A-Za-z0-9_.-], not starting with '.', without "..". Returns what is wrong, or "" when valid.
/// A key path (an experiment parameter) may also hold the item selectors `[ ] * =`.
inline constexpr std::size_t kMaxNameBytes = 128;
std::string name_problem(std::string_view name, bool key_path = false);

/// Where each key of a scenario file was found: dotted path -> 0-based (line, column) of its value.
using SourceMap = std::map<std::string, std::pair<int, int>>;

/// One error of an input file, as a program (the Python module's validate) wants it.
struct Diagnostic {
  std::string file;
  int line = 0;    ///< 1-based; 0 when the error has no position
  int column = 0;  ///< 1-based; 0 when the error has no position
  std::string message;
};

/// The InputError thrown by Diagnostics::throw_if_errors: what() is the report shown to users,
/// diagnostics() the same errors one by one.
class DiagnosticsError : public InputError {
 public:
  DiagnosticsError(const std::string& report, std::vector<Diagnostic> diagnostics)
      : InputError(report), diagnostics_(std::move(diagnostics)) {}
  [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// The most errors of one file that are kept and shown: the rest are counted ("... and N more").
/// A few bytes of YAML aliases can repeat one mistake thousands of times (821 bytes gave 8,642
/// lines, 1.7 MB, before this limit): the first errors say what is wrong.
inline constexpr std::size_t kMaxReportedErrors = 50;

/// Errors found in one input file, each with its 1-based line and column (the first
/// kMaxReportedErrors of them; the others are counted).
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  /// Records an error at a 0-based yaml-cpp mark (line/column), or without position when line < 0.
  void error(int line0, int col0, std::string message);

  /// Records an error at the position of `path` in `where` (no position if unknown).
  void error_at_path(const SourceMap* where, const std::string& path, std::string message);

  [[nodiscard]] bool ok() const noexcept { return count_ == 0; }
  /// Errors recorded, the ones not kept included.
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::vector<std::string>& messages() const noexcept { return messages_; }
  /// All messages joined by newlines, as shown to the user, and a last line counting the errors not
  /// kept (if any).
  [[nodiscard]] std::string report() const;
  /// The errors one by one (the same as messages()).
  [[nodiscard]] const std::vector<Diagnostic>& entries() const noexcept { return entries_; }
  /// Throws DiagnosticsError (an InputError) with report() when there are errors.
  void throw_if_errors() const;

 private:
  std::string file_;
  std::vector<std::string> messages_;
  std::vector<Diagnostic> entries_;
  std::size_t count_ = 0;
};

}  // namespace kpisim

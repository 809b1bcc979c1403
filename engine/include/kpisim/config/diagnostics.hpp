#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kpisim {

/// Where each key of a scenario file was found: dotted path -> 0-based (line, column) of its value.
using SourceMap = std::map<std::string, std::pair<int, int>>;

/// Errors found in one input file, each with its 1-based line and column.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  /// Records an error at a 0-based yaml-cpp mark (line/column), or without position when line < 0.
  void error(int line0, int col0, std::string message);

  /// Records an error at the position of `path` in `where` (no position if unknown).
  void error_at_path(const SourceMap* where, const std::string& path, std::string message);

  [[nodiscard]] bool ok() const noexcept { return messages_.empty(); }
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] const std::vector<std::string>& messages() const noexcept { return messages_; }
  /// All messages joined by newlines, as shown to the user.
  [[nodiscard]] std::string report() const;
  /// Throws InputError with report() when there are errors.
  void throw_if_errors() const;

 private:
  std::string file_;
  std::vector<std::string> messages_;
};

}  // namespace kpisim

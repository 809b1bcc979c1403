#pragma once
#include <stdexcept>
#include <string>

namespace kpisim {

/// A mistake in user input (scenario file, command line). what() is the full, user-facing message.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A run that cannot proceed (resources, I/O). what() is user-facing.
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The output file exists and replacing it was not allowed (exit code 3).
class OutputExistsError : public RunError {
 public:
  using RunError::RunError;
};

/// A results file that cannot be read: missing, not a KPISim results file, damaged or crafted
/// (exit code 2; what() is user-facing and names the file).
class ResultsFileError : public RunError {
 public:
  using RunError::RunError;
};

/// A violated model invariant (only thrown by checked builds).
class InvariantError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace kpisim

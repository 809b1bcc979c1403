#pragma once
// `kpisim serve`, the engine side: validation, runs with a bounded result cache, exports and the
// data the page builds its sliders from, with JSON replies. Nothing here knows HTTP (serve.cpp
// does); every scenario is read by the same loader, with the same limits and checks, as the CLI's.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kpisim::app::serve {

/// The server's limits (command-line options of `kpisim serve`, docs/serve.md).
struct Limits {
  std::size_t max_body_bytes = 0;  ///< largest request body accepted
  int max_runs = 1;                ///< runs at the same time; more are refused with 429 (busy)
  double max_agent_days = 0;       ///< largest run (employees x days x policies) accepted
  std::size_t cache_bytes = 0;     ///< size bound of the result cache
  int threads = 0;                 ///< worker threads per run (0: all cores)
};

/// A reply: HTTP status, content type, body, and a file name when the body is a download.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string filename;
};

/// What to run: a replication of the scenario, optionally with another seed or horizon, and which
/// daily variables to send back (the page asks for those it draws).
struct RunQuery {
  std::uint32_t replication = 0;
  std::optional<std::uint64_t> seed;
  std::optional<int> days;
  std::vector<std::string> variables;
  /// The page's session and the number of its latest request: a run whose session has sent a
  /// newer request stops at the end of its day (answered 409), so that a moved slider does not
  /// wait for the runs of the positions before it. Empty: never superseded.
  std::string session;
  std::uint64_t generation = 0;
};

class Engine {
 public:
  /// `workdir`: the only directory the server writes to (temporary files of the report export).
  Engine(const Limits& limits, std::string workdir, std::string examples_dir);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = delete;
  Engine& operator=(Engine&&) = delete;

  /// Version, limits, the daily variables and the scenario reference (key, unit, range, default).
  [[nodiscard]] Reply info() const;
  /// The shipped example scenarios (names), and one of them by name.
  [[nodiscard]] Reply examples() const;
  [[nodiscard]] Reply example(const std::string& name) const;
  /// Diagnostics (line, column, message) of a scenario's text, from the CLI's validation, and what
  /// it describes when valid.
  [[nodiscard]] Reply validate(const std::string& yaml) const;
  /// Runs (or takes from the cache) one replication of every policy; JSON series and summary.
  [[nodiscard]] Reply run(const std::string& yaml, const RunQuery& q);
  /// The results file `kpisim run` would write for this scenario and query, built in memory.
  [[nodiscard]] Reply export_h5(const std::string& yaml, const RunQuery& q);
  /// The HTML report (`kpisim report`) of that results file; `self` is this program's path.
  [[nodiscard]] Reply export_report(const std::string& yaml, const RunQuery& q, const std::string& self);
  /// Runs in progress stop at the end of their current day (on shutdown).
  void stop() noexcept;

 private:
  struct State;
  std::unique_ptr<State> st_;
};

/// A JSON error reply: {"error": message} with `status`.
Reply error_reply(int status, const std::string& message);

}  // namespace kpisim::app::serve

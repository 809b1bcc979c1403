#pragma once
// `kpisim serve`: the local web app (docs/serve.md). Only the command's options and entry point are
// here; the HTTP server (cpp-httplib) stays in serve.cpp and the engine side in serve_engine.cpp.
#include <string>

namespace CLI {
class App;
}

namespace kpisim::app {

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8765;
  std::string dir = ".";  ///< working directory: the only place the server writes (report exports)
  std::string examples;   ///< example scenarios offered by the page (default: the source tree's scenarios/)
  double max_body_mib = 16;
  int max_runs = 1;
  double max_agent_days = 2e8;
  double cache_mib = 512;
  int threads = 0;
  bool quiet = false;
};

/// Adds the `serve` subcommand and its options to `app`.
CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);

/// Runs the server until SIGINT or SIGTERM; returns the exit code.
int run_serve(const ServeArgs& args);

}  // namespace kpisim::app

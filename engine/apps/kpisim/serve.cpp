// `kpisim serve`: the HTTP side of the local web app (docs/serve.md), on cpp-httplib (Debian's
// libcpp-httplib-dev). Security: loopback by default; every request's Host, and its Origin when it
// has one, must name this server (DNS rebinding, cross-site requests); request bodies, concurrent
// runs and run sizes are bounded; nothing is written outside the working directory; scenarios go
// through the CLI's loader and checks (serve_engine.cpp).
#include "serve.hpp"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): sigtimedwait, pthread_sigmask
#include <time.h>    // NOLINT(modernize-deprecated-headers): timespec

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <httplib.h>

#include "kpisim/core/build_info.hpp"
#include "serve_engine.hpp"

#ifndef KPISIM_SERVE_WEB_DIR
#define KPISIM_SERVE_WEB_DIR ""
#endif
#ifndef KPISIM_SERVE_VENDOR_DIR
#define KPISIM_SERVE_VENDOR_DIR ""
#endif
#ifndef KPISIM_SCENARIOS_DIR_DEFAULT
#define KPISIM_SCENARIOS_DIR_DEFAULT ""
#endif

namespace kpisim::app {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24U) == 127U;
  in6_addr a6{};
  return ::inet_pton(AF_INET6, host.c_str(), &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/// The Host header values that name this server: the loopback names, and the bound address.
std::set<std::string> allowed_hosts(const std::string& bound, int port) {
  std::set<std::string> names{"127.0.0.1", "localhost", "[::1]"};
  if (bound != "0.0.0.0" && bound != "::") names.insert(bound.find(':') != std::string::npos ? "[" + bound + "]" : bound);
  std::set<std::string> out;
  for (const auto& n : names) {
    out.insert(lower(fmt::format("{}:{}", n, port)));
    if (port == 80) out.insert(lower(n));
  }
  return out;
}

/// Parses a whole number query parameter into `out`; false (and a message) when malformed.
template <class T>
bool param(const httplib::Request& req, const char* name, std::optional<T>& out, std::string& error) {
  if (!req.has_param(name)) return true;
  const std::string t = req.get_param_value(name);
  T v{};
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    error = fmt::format("{}: expected a whole number, got '{}'", name, t.substr(0, 40));
    return false;
  }
  out = v;
  return true;
}

void send(httplib::Response& res, const serve::Reply& r) {
  res.status = r.status;
  if (!r.filename.empty()) res.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}\"", r.filename));
  res.set_content(r.body, r.content_type);
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeArgs& a) {
  auto* s = app.add_subcommand("serve", "a local web app: edit a scenario, move sliders, compare policies, export (docs/serve.md)");
  s->add_option("--host", a.host, "address to listen on (default 127.0.0.1: this machine only)");
  s->add_option("--port", a.port, "port (default 8765; 0: any free port)")->check(CLI::Range(0, 65535));
  s->add_option("--dir", a.dir, "working directory: the only place the server writes (temporary files of report exports)")
      ->check(CLI::ExistingDirectory);
  s->add_option("--examples", a.examples, "directory of example scenarios offered by the page (default: the source tree's scenarios/)");
  s->add_option("--max-body-mib", a.max_body_mib, "largest request body, MiB (default 16, a scenario file's limit)")
      ->check(CLI::Range(0.001, 1024.0));
  s->add_option("--max-runs", a.max_runs, "runs at the same time; more get 429 'busy' (default 1)")->check(CLI::Range(1, 64));
  s->add_option("--max-agent-days", a.max_agent_days, "largest run per request, employees x days x policies (default 2e8)")
      ->check(CLI::Range(1.0, 1e15));
  s->add_option("--cache-mib", a.cache_mib, "size bound of the result cache, MiB (default 512)")->check(CLI::Range(0.0, 1e6));
  s->add_option("--threads", a.threads, "worker threads per run (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 4096));
  s->add_flag("-q,--quiet", a.quiet, "print only the address and errors");
  return s;
}

int run_serve(const ServeArgs& a) {
  std::error_code ec;
  const fs::path workdir = fs::canonical(a.dir, ec);
  if (ec) {
    fmt::print(stderr, "kpisim serve: --dir '{}': {}\n", a.dir, ec.message());
    return 2;
  }
  const std::string examples = a.examples.empty() ? std::string(KPISIM_SCENARIOS_DIR_DEFAULT) : a.examples;
  const std::string web = KPISIM_SERVE_WEB_DIR;
  const std::string vendor = KPISIM_SERVE_VENDOR_DIR;
  if (web.empty() || !fs::is_regular_file(fs::path(web) / "index.html", ec)) {
    fmt::print(stderr, "kpisim serve: the page is not in '{}' (this program was built from another checkout?)\n", web);
    return 1;
  }
  const bool have_vendor = !vendor.empty() && fs::is_regular_file(fs::path(vendor) / "uplot" / "dist" / "uPlot.iife.min.js", ec) &&
                           fs::is_regular_file(fs::path(vendor) / "yaml" / "browser" / "dist" / "index.js", ec);
  if (!have_vendor)
    fmt::print(stderr,
               "kpisim serve: warning: the page's JavaScript libraries (uPlot, yaml) are not in '{}': the API works, the page cannot "
               "draw. They are installed with npm when the build is configured (scripts/setup.sh installs npm; then re-run cmake)\n",
               vendor);

  // SIGINT and SIGTERM go to one thread that stops the server: blocked here, before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  serve::Limits limits;
  limits.max_body_bytes = static_cast<std::size_t>(a.max_body_mib * 1024 * 1024);
  limits.max_runs = a.max_runs;
  limits.max_agent_days = a.max_agent_days;
  limits.cache_bytes = static_cast<std::size_t>(a.cache_mib * 1024 * 1024);
  limits.threads = a.threads;
  serve::Engine engine(limits, workdir.string(), examples);
  const std::string self = fs::read_symlink("/proc/self/exe", ec).string();

  httplib::Server svr;
  svr.set_payload_max_length(limits.max_body_bytes);
  svr.set_file_extension_and_mimetype_mapping("js", "text/javascript");
  svr.set_file_extension_and_mimetype_mapping("css", "text/css");
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                           {"Referrer-Policy", "no-referrer"},
                           {"Cache-Control", "no-store"},
                           {"Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                            "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"}});
  // Port 0: any free port (bind_to_any_port reports which).
  const int bound_port = a.port == 0 ? svr.bind_to_any_port(a.host) : (svr.bind_to_port(a.host, a.port) ? a.port : -1);
  if (bound_port <= 0) {
    fmt::print(stderr, "kpisim serve: cannot listen on {}:{} (in use, or not an address of this machine)\n", a.host, a.port);
    return 1;
  }
  const std::set<std::string> hosts = allowed_hosts(a.host, bound_port);
  std::set<std::string> origins;
  for (const auto& h : hosts) origins.insert("http://" + h);

  // Every request: Host must name this server (a DNS-rebinding page has its own name in Host), and
  // a browser's Origin, when sent, must be this server's (a foreign page's fetch or form post).
  svr.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    const std::string host = lower(req.get_header_value("Host"));
    if (hosts.count(host) == 0) {
      send(res, serve::error_reply(403,
                                   "refused: the Host header does not name this server (kpisim serve answers only to its own "
                                   "address, e.g. http://127.0.0.1:PORT/)"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Origin") && origins.count(lower(req.get_header_value("Origin"))) == 0) {
      send(res, serve::error_reply(403, "refused: a request from another origin (only this server's own page may call it)"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.get_header_value("Sec-Fetch-Site") == "cross-site") {
      send(res, serve::error_reply(403, "refused: a cross-site request"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_logger([&a](const httplib::Request& req, const httplib::Response& res) {
    if (!a.quiet && (res.status >= 400 || req.path.rfind("/api/", 0) == 0))
      fmt::print("{} {} {}\n", req.method, req.path.substr(0, 200), res.status);
    std::fflush(stdout);
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {  // NOLINT(bugprone-empty-catch): reported below
    }
    send(res, serve::error_reply(500, "internal error: " + what));
  });

  svr.set_mount_point("/", web);
  if (have_vendor) {
    svr.set_mount_point("/vendor/uplot", (fs::path(vendor) / "uplot" / "dist").string());
    svr.set_mount_point("/vendor/yaml", (fs::path(vendor) / "yaml" / "browser" / "dist").string());
  }
  svr.Get("/api/info", [&](const httplib::Request&, httplib::Response& res) { send(res, engine.info()); });
  svr.Get("/api/examples", [&](const httplib::Request& req, httplib::Response& res) {
    send(res, req.has_param("name") ? engine.example(req.get_param_value("name")) : engine.examples());
  });
  svr.Post("/api/validate", [&](const httplib::Request& req, httplib::Response& res) { send(res, engine.validate(req.body)); });
  const auto query = [](const httplib::Request& req, serve::RunQuery& q, std::string& error) {
    std::optional<std::uint32_t> rep;
    std::optional<int> days;
    if (!param(req, "replication", rep, error) || !param(req, "seed", q.seed, error) || !param(req, "days", days, error)) return false;
    q.replication = rep.value_or(0);
    q.days = days;
    // The page's session (a random id) and request number, for stopping superseded runs.
    if (req.has_header("X-KPISim-Session")) {
      q.session = req.get_header_value("X-KPISim-Session");
      const bool plain = q.session.size() <= 64 &&
                         std::all_of(q.session.begin(), q.session.end(), [](unsigned char c) { return std::isalnum(c) != 0 || c == '-'; });
      const std::string g = req.get_header_value("X-KPISim-Generation");
      auto [end, err] = std::from_chars(g.data(), g.data() + g.size(), q.generation);
      if (!plain || g.empty() || err != std::errc() || end != g.data() + g.size()) {
        error = "X-KPISim-Session: up to 64 letters, digits and '-', with X-KPISim-Generation a whole number";
        return false;
      }
    }
    if (req.has_param("vars")) {
      const std::string v = req.get_param_value("vars");
      std::size_t start = 0;
      while (start <= v.size()) {
        const std::size_t end = std::min(v.find(',', start), v.size());
        if (end > start) q.variables.push_back(v.substr(start, end - start));
        start = end + 1;
      }
      if (q.variables.size() > 200) {
        error = "vars: at most 200 variables";
        return false;
      }
    }
    return true;
  };
  svr.Post("/api/run", [&](const httplib::Request& req, httplib::Response& res) {
    serve::RunQuery q;
    std::string error;
    send(res, query(req, q, error) ? engine.run(req.body, q) : serve::error_reply(400, error));
  });
  svr.Post("/api/export/h5", [&](const httplib::Request& req, httplib::Response& res) {
    serve::RunQuery q;
    std::string error;
    send(res, query(req, q, error) ? engine.export_h5(req.body, q) : serve::error_reply(400, error));
  });
  svr.Post("/api/export/report", [&](const httplib::Request& req, httplib::Response& res) {
    serve::RunQuery q;
    std::string error;
    send(res, query(req, q, error) ? engine.export_report(req.body, q, self) : serve::error_reply(400, error));
  });

  // The stopper waits for SIGINT or SIGTERM, looking every 0.2 s whether the server ended otherwise.
  std::atomic<bool> ended{false};
  std::thread stopper([&] {
    const timespec tick{0, 200'000'000};
    while (!ended.load()) {
      if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
        engine.stop();
        svr.stop();
        return;
      }
    }
  });
  const std::string shown = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
  fmt::print("kpisim serve {}: http://{}:{}/  (working directory {}; Ctrl-C stops)\n", kpisim::engine_version(), shown, bound_port,
             workdir.string());
  if (!is_loopback(a.host))
    fmt::print(stderr,
               "kpisim serve: warning: listening on {}, which other machines may reach; requests must still name this address in "
               "their Host header\n",
               a.host);
  std::fflush(stdout);
  const bool ok = svr.listen_after_bind();
  if (!ok && svr.is_running()) fmt::print(stderr, "kpisim serve: the server stopped with an error\n");
  ended = true;
  stopper.join();
  if (!a.quiet) fmt::print("kpisim serve: stopped\n");
  return 0;
}

}  // namespace kpisim::app

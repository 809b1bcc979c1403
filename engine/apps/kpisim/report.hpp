#pragma once
// `kpisim report`: hands its arguments to the Python analysis package (analysis/kpisim_analysis),
// which writes the PNG plots and report.html (docs/report.md). The program only finds the package
// and the interpreter and replaces itself with `PYTHON -m kpisim_analysis report ARGS...`, so the
// package's output, errors and exit code are the command's.
//
// Where: the environment variables KPISIM_ANALYSIS_DIR (the folder holding kpisim_analysis/) and
// KPISIM_PYTHON, else the source tree's analysis/ folder and Debian's /usr/bin/python3, both fixed at
// configure time (KPISIM_ANALYSIS_DIR_DEFAULT, KPISIM_PYTHON_DEFAULT).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace kpisim::app {

/// The results file named by `kpisim report`'s arguments, or "" when there is none to check (help
/// asked for, no positional argument, or no such regular file: the package then says why).
[[nodiscard]] inline std::string report_results_argument(const std::vector<std::string>& args) {
  std::string file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") return "";
    if (a == "-o" || a == "--output" || a == "--goodhart-days" || a == "--title") {
      ++i;  // the option's value
      continue;
    }
    if (a == "--") {
      if (i + 1 < args.size() && file.empty()) file = args[i + 1];
      break;
    }
    if (!a.empty() && a[0] == '-') continue;
    if (file.empty()) file = a;
  }
  std::error_code ec;
  return !file.empty() && std::filesystem::is_regular_file(file, ec) ? file : std::string();
}

/// Runs the analysis package's `report` command with `args`. Returns only on failure to start it
/// (exit code 1, with a message on standard error naming what is missing and how to get it).
[[nodiscard]] inline int run_report(const std::vector<std::string>& args) {
  const char* dir_env = std::getenv("KPISIM_ANALYSIS_DIR");
  const char* python_env = std::getenv("KPISIM_PYTHON");
  const std::string dir = dir_env != nullptr && *dir_env != '\0' ? dir_env : KPISIM_ANALYSIS_DIR_DEFAULT;
  const std::string python = python_env != nullptr && *python_env != '\0' ? python_env : KPISIM_PYTHON_DEFAULT;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "kpisim_analysis" / "__main__.py", ec)) {
    fmt::print(stderr,
               "kpisim report: the analysis package is not in '{}' (expected {}/kpisim_analysis/); set KPISIM_ANALYSIS_DIR to the "
               "repository's analysis/ folder\n",
               dir, dir);
    return 1;
  }
  const char* old_path = std::getenv("PYTHONPATH");
  const std::string path = old_path != nullptr && *old_path != '\0' ? dir + ":" + old_path : dir;
  if (setenv("PYTHONPATH", path.c_str(), 1) != 0) {
    fmt::print(stderr, "kpisim report: cannot set PYTHONPATH: {}\n", std::strerror(errno));
    return 1;
  }
  std::vector<std::string> argv_s = {python, "-m", "kpisim_analysis", "report", "--as-kpisim"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_s.size() + 1);
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(python.c_str(), argv.data());
  fmt::print(stderr,
             "kpisim report: cannot run '{}': {}. It needs Debian's Python with numpy, xarray, h5netcdf, matplotlib and scipy "
             "(scripts/setup.sh --python), or set KPISIM_PYTHON\n",
             python, std::strerror(errno));
  return 1;
}

}  // namespace kpisim::app

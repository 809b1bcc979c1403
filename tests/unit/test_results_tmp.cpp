// Tests of the results file's temporary name (engine/src/io/hdf5_writer.cpp, docs/output-schema.md
// "Writing"): created exclusively under an unpredictable name, and the temporaries that killed
// writers left removed by the next writer of the same file only when their process is gone.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "h5_test_support.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/io/results.hpp"

namespace fs = std::filesystem;

namespace {

using namespace kpisim::test;  // NOLINT(google-build-using-namespace): the shared test helpers

kpisim::ResultsLayout one_run() {
  kpisim::ResultsLayout l;
  l.runs = 1;
  l.days = 1;
  l.policy = {"baseline"};
  l.policy_type = {"none"};
  l.replication = {0};
  return l;
}

/// The PID of a process that has exited (and been reaped).
pid_t dead_pid() {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return child;
}

void touch(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("The results file's temporary has an unpredictable name and stale ones of dead writers go", "[io]") {
  TempDir dir("kpisim_results_tmp");
  const std::string path = dir.file("out.h5");
  const std::regex pattern("out\\.h5\\.tmp-" + std::to_string(::getpid()) + "-([0-9a-f]{8})-([0-9a-f]{8})");

  std::string tag, first_random;
  {
    kpisim::ResultsWriter w(path, {}, one_run(), false);
    const auto names = dir.entries();
    REQUIRE(names.size() == 1);
    std::smatch m;
    REQUIRE(std::regex_match(names[0], m, pattern));
    tag = m[1];
    first_random = m[2];
  }
  CHECK(dir.entries().empty());  // an abandoned writer removes its temporary file
  {
    kpisim::ResultsWriter w(path, {}, one_run(), false);
    std::smatch m;
    const auto names = dir.entries();
    REQUIRE(names.size() == 1);
    REQUIRE(std::regex_match(names[0], m, pattern));
    CHECK(m[2] != first_random);  // 1 in 2^32 to fail
  }

  const std::string dead = std::to_string(dead_pid());
  const std::string other_tag = tag == "00000000" ? "11111111" : "00000000";
  const std::string stale = dir.file("out.h5.tmp-" + dead + "-" + tag + "-0badc0de");
  const std::string live = dir.file("out.h5.tmp-" + std::to_string(::getppid()) + "-" + tag + "-0badc0de");
  const std::string other_host = dir.file("out.h5.tmp-" + dead + "-" + other_tag + "-0badc0de");
  const std::string old_form = dir.file("out.h5.tmp-" + dead);
  const std::string other_file = dir.file("other.h5.tmp-" + dead + "-" + tag + "-0badc0de");
  const std::string link = dir.file("out.h5.tmp-" + dead + "-" + tag + "-00000001");
  const std::string victim = dir.file("victim");
  for (const auto& f : {stale, live, other_host, old_form, other_file, victim}) touch(f, "precious\n");
  fs::create_symlink(victim, link);

  kpisim::ResultsWriter w(path, {}, one_run(), false);
  kpisim::RunResult r;
  r.days = 1;
  r.series.assign(kpisim::daily_variables().size(), 1.0);
  w.write_run(0, r);
  w.commit();
  CHECK_FALSE(fs::exists(stale));  // this host, this user, a dead process: removed
  CHECK(fs::exists(live));         // a live process: kept
  CHECK(fs::exists(other_host));   // another host's PIDs mean nothing here: kept
  CHECK(fs::exists(old_form));     // the older name without a host: kept
  CHECK(fs::exists(other_file));   // another results file's: kept
  CHECK(fs::is_symlink(link));     // not a regular file: kept, and never written through
  CHECK(read(victim) == "precious\n");
  CHECK(fs::exists(path));
}

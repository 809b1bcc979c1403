// Calibration by the method of simulated moments: reading the `calibrate:` section, evaluating
// candidates under common random numbers, the fit target by target, the results file and the
// printed summary (kpisim/experiment/calibrate.hpp; docs/experiments.md, "Calibration").
#include "kpisim/experiment/calibrate.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "kpisim/config/diagnostics.hpp"
#include "kpisim/config/loader.hpp"
#include "kpisim/config/visitors.hpp"
#include "kpisim/core/error.hpp"
#include "kpisim/experiment/analysis.hpp"
#include "kpisim/io/hdf5_reader.hpp"
#include "kpisim/io/hdf5_writer.hpp"
#include "kpisim/model/simulation.hpp"
#include "kpisim/model/spec.hpp"
#include "kpisim/stats/summary.hpp"
#include "section.hpp"

namespace kpisim {
namespace {

namespace fs = std::filesystem;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr double kZ95 = 1.959963984540054;  // the normal quantile of a two-sided 95% interval

/// How the runs of each batch are spread over processes (CalibrateOptions::process, processes,
/// gather): process q simulates the runs r with r mod processes = q, then every process gets every
/// process's figures.
struct Spread {
  std::size_t process = 0;
  std::size_t processes = 1;
  const std::function<std::vector<std::string>(const std::string&)>* gather = nullptr;

  [[nodiscard]] bool distributed() const noexcept { return processes > 1; }
  /// Every process's `text`, in process order (every process calls it at the same point).
  [[nodiscard]] std::vector<std::string> share(const std::string& text) const {
    return distributed() ? (*gather)(text) : std::vector<std::string>{text};
  }
};

/// Text between processes: numbers as hexadecimal floats (exact), messages as hexadecimal bytes
/// ("-" when empty), words separated by spaces, records by newlines.
std::string hex_bytes(const std::string& text) {
  if (text.empty()) return "-";
  std::string out;
  for (const unsigned char c : text) out += fmt::format("{:02x}", c);
  return out;
}
std::string from_hex_bytes(const std::string& word) {
  std::string out;
  if (word == "-") return out;
  for (std::size_t k = 0; k + 1 < word.size(); k += 2) out += static_cast<char>(std::stoi(word.substr(k, 2), nullptr, 16));
  return out;
}
/// The words of each line of `text` (text a process of this program wrote: trusted).
std::vector<std::vector<std::string>> records(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream in(line);
    std::vector<std::string> words;
    std::string w;
    while (in >> w) words.push_back(w);
    if (!words.empty()) out.push_back(std::move(words));
  }
  return out;
}
double number(const std::string& word) {
  return std::strtod(word.c_str(), nullptr);
}

/// Every target's figure per replication at each of a batch of parameter points, replications
/// 0 .. R-1 of each arm (a policy of the experiment or of a replica that the targets name; the same
/// streams for every point), the batch's runs in parallel. Returns [point][target][replication];
/// `failures[point]` gets the first failure's message ("" when none). `kept` (with a batch of one)
/// receives the runs of the first study with arms (the experiment's own, if a target reads it), arm-major.
/// Spread over processes (`spread`), each simulates its share of the runs (the kept runs: process
/// 0, which alone receives them) and every process returns every run's figures.
std::vector<std::vector<std::vector<double>>> simulate(const Calibration& cal, const std::vector<std::vector<double>>& points,
                                                       std::atomic<long long>& done, std::vector<RunResult>* kept,
                                                       std::vector<std::string>& failures, const Spread& spread) {
  const auto reps = static_cast<std::size_t>(cal.replications());
  const std::size_t per_point = cal.arms.size() * reps;
  const std::size_t np = points.size();
  const std::size_t n = np * per_point;
  const std::size_t ns = cal.studies();
  failures.assign(np, std::string());
  // [point][study] the resolved model of each study the arms use.
  std::vector<std::vector<std::unique_ptr<ModelSpec>>> specs(np);
  std::vector<bool> used(ns, false);
  for (const auto& a : cal.arms) used[a.study] = true;
  for (std::size_t p = 0; p < np; ++p) {
    specs[p].resize(ns);
    for (std::size_t st = 0; st < ns && failures[p].empty(); ++st) {
      if (!used[st]) continue;
      try {
        Sweep at = cal.study(st);
        at.points = {points[p]};
        specs[p][st] = std::make_unique<ModelSpec>(ModelSpec::resolve(at.scenario_at(0), cal.sweep.experiment.name));
      } catch (const std::exception& e) {
        failures[p] = e.what();
        for (auto& sp : specs[p]) sp.reset();
      }
    }
  }
  // [study] its divisions, and the outputs its arms' targets read.
  std::vector<std::vector<std::string>> divisions(ns);
  for (std::size_t st = 0; st < ns; ++st)
    for (const auto& d : cal.study(st).base.organisation.divisions) divisions[st].push_back(d.name);
  std::vector<std::vector<bool>> reads(ns, std::vector<bool>(cal.outputs.size(), false));
  for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
    std::vector<bool>& r = reads[cal.arms[cal.target_arm[t]].study];
    r[cal.target_output[t]] = true;
    for (const std::size_t o : cal.target_plus[t]) r[o] = true;
    if (cal.target_per[t] != kNone) r[cal.target_per[t]] = true;
  }
  const std::size_t kept_study = cal.arms.front().study;
  const std::size_t kept_arms = cal.arms_of(kept_study);
  if (kept != nullptr) kept->assign(np * kept_arms * reps, RunResult{});
  std::vector<std::vector<double>> out_values(cal.outputs.size(), std::vector<double>(n, std::nan("")));
  std::vector<std::string> run_failures(n);
  // This process's runs: every run when alone; else r mod processes = process, and the kept study's
  // runs on process 0 (whose results file keeps them).
  std::vector<std::size_t> mine;
  for (std::size_t k = 0; k < n; ++k) {
    const bool keeps = kept != nullptr && cal.arms[(k % per_point) / reps].study == kept_study;
    if ((keeps ? 0 : k % spread.processes) == spread.process) mine.push_back(k);
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, mine.size(), 1), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t m = range.begin(); m != range.end(); ++m) {
      const std::size_t k = mine[m];
      const std::size_t p = k / per_point;
      const std::size_t in = k % per_point;
      const Calibration::Arm& arm = cal.arms[in / reps];
      if (specs[p][arm.study]) {
        try {
          const Sweep& st = cal.study(arm.study);
          Simulation sim(*specs[p][arm.study], st.policy_index[arm.policy], static_cast<std::uint32_t>(in % reps));
          for (int d = 0; d < st.days(); ++d) sim.step();
          RunResult r = sim.take_result();
          for (std::size_t o = 0; o < cal.outputs.size(); ++o)
            if (reads[arm.study][o])
              out_values[o][k] =
                  output_window_mean(r, cal.outputs[o], divisions[arm.study], cal.first_day[arm.study], cal.last_day[arm.study]);
          // The kept study's arms come first (Calibration::arms is study-major).
          if (kept != nullptr && arm.study == kept_study) (*kept)[p * kept_arms * reps + in] = std::move(r);
        } catch (const std::exception& e) {
          run_failures[k] = e.what();
        }
      }
      done.fetch_add(1);
    }
  });
  if (spread.distributed()) {
    // Every process's runs to every process: "run figure... failure" per run, in the run's order.
    std::string text;
    for (const std::size_t k : mine) {
      text += std::to_string(k);
      for (const auto& column : out_values) text += fmt::format(" {:a}", column[k]);
      text += " " + hex_bytes(run_failures[k]) + "\n";
    }
    const std::vector<std::string> all = spread.share(text);
    for (std::size_t q = 0; q < all.size(); ++q) {
      if (q == spread.process) continue;
      for (const auto& w : records(all[q])) {
        const auto k = static_cast<std::size_t>(std::stoull(w.at(0)));
        for (std::size_t o = 0; o < out_values.size(); ++o) out_values[o].at(k) = number(w.at(o + 1));
        run_failures.at(k) = from_hex_bytes(w.at(out_values.size() + 1));
        done.fetch_add(1);
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k)
    if (!run_failures[k].empty() && failures[k / per_point].empty()) failures[k / per_point] = run_failures[k];
  // Each target's figure, run by run.
  std::vector<std::vector<std::vector<double>>> per_run(
      np, std::vector<std::vector<double>>(cal.spec.targets.size(), std::vector<double>(reps, std::nan(""))));
  for (std::size_t p = 0; p < np; ++p)
    for (std::size_t t = 0; t < cal.spec.targets.size(); ++t)
      for (std::size_t r = 0; r < reps; ++r) {
        const std::size_t k = p * per_point + cal.target_arm[t] * reps + r;
        double num = out_values[cal.target_output[t]][k];
        for (const std::size_t o : cal.target_plus[t]) num += out_values[o][k];
        per_run[p][t][r] = cal.target_per[t] == kNone ? num : num / out_values[cal.target_per[t]][k];
      }
  return per_run;
}

/// FNV-1a (64 bits) of `s`: the journal's line hashes and the experiment it names.
std::uint64_t fnv(std::string_view s) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

/// The journal of a calibration's simulations (OUTPUT.journal): one line per simulated point, its
/// parameter values and every target's figure per replication, exactly (hexadecimal floats), so
/// that an interrupted calibration resumes. The search and the posterior are deterministic: run
/// again, they ask for the same points in the same order, and the journal answers the points it
/// holds without simulating them. The first line names the experiment (a hash of its resolved
/// YAML) and the binary; each line ends with a hash of itself, so that a torn last line (a kill
/// mid-write) is dropped and any other damage refused. Created exclusively, never through a link.
class Journal {
 public:
  struct Entry {
    std::vector<std::vector<double>> per_run;  ///< [target][replication]
    std::string failure;
  };

  Journal(std::string path, const std::string& header, bool resume, std::size_t nx, std::size_t nt, std::size_t nr)
      : path_(std::move(path)), nx_(nx), nt_(nt), nr_(nr) {
    if (resume) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
      if (fd_ < 0 && errno == ELOOP)
        throw RunError(fmt::format("the calibration journal '{}' is a symbolic link: it is not followed (remove it)", path_));
      if (fd_ < 0 && errno != ENOENT)
        throw RunError(fmt::format("cannot open the calibration journal '{}': {}", path_, std::strerror(errno)));
      if (fd_ >= 0) {
        read_back(header);
        return;
      }
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RunError(errno == EEXIST ? fmt::format("the calibration journal '{}' appeared meanwhile", path_)
                                     : fmt::format("cannot create the calibration journal '{}': {}", path_, std::strerror(errno)));
    write_all(header + "\n");
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] const Entry* find(const std::vector<double>& x) const {
    const auto it = entries_.find(x);
    return it == entries_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  std::size_t replayed = 0;  ///< points answered from the journal

  void append(const std::vector<std::vector<double>>& points, const std::vector<std::vector<std::vector<double>>>& per_run,
              const std::vector<std::string>& failures) {
    std::string text;
    for (std::size_t p = 0; p < points.size(); ++p) {
      if (entries_.count(points[p]) != 0) continue;
      std::string line = "P";
      for (const double v : points[p]) line += fmt::format(" {:a}", v);
      for (const auto& t : per_run[p])
        for (const double v : t) line += fmt::format(" {:a}", v);
      line += " F ";
      if (failures[p].empty()) {
        line += "-";
      } else {
        for (const unsigned char c : failures[p]) line += fmt::format("{:02x}", c);
      }
      text += line + fmt::format(" H {:016x}\n", fnv(line));
      entries_[points[p]] = Entry{per_run[p], failures[p]};
    }
    if (text.empty()) return;
    write_all(text);
    if (::fdatasync(fd_) != 0) throw RunError(fmt::format("cannot sync the calibration journal '{}': {}", path_, std::strerror(errno)));
  }

  /// After the results file is in place: the journal is not needed any more.
  void remove() {
    ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
  }

 private:
  void write_all(const std::string& text) {
    std::size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw RunError(fmt::format("cannot write the calibration journal '{}': {}", path_, std::strerror(errno)));
      off += static_cast<std::size_t>(n);
    }
  }
  [[noreturn]] void damaged(std::size_t line, const std::string& why) const {
    throw RunError(
        fmt::format("the calibration journal '{}' is damaged at line {} ({}): remove it, or pass --force without --resume to "
                    "start the calibration over",
                    path_, line, why));
  }
  void read_back(const std::string& header) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
      throw RunError(fmt::format("the calibration journal '{}' is not a regular file", path_));
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd_, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    std::size_t pos = text.find('\n');
    if (pos == std::string::npos || text.compare(0, pos, header) != 0)
      throw RunError(
          fmt::format("the calibration journal '{}' was written by another experiment or another kpisim binary: it cannot be "
                      "resumed; pass --force without --resume to start over",
                      path_));
    std::size_t good = pos + 1;  // the end of the last intact line
    for (std::size_t line_no = 2; good < text.size(); ++line_no) {
      const std::size_t end = text.find('\n', good);
      const std::string_view line(text.data() + good, (end == std::string::npos ? text.size() : end) - good);
      const bool last = end == std::string::npos || end + 1 == text.size();
      const std::size_t h = line.rfind(" H ");
      std::uint64_t want = 0;
      const bool hashed = h != std::string_view::npos && std::sscanf(std::string(line.substr(h + 3)).c_str(), "%" SCNx64, &want) == 1 &&
                          fnv(line.substr(0, h)) == want;
      if (end == std::string::npos || !hashed) {
        if (last) break;  // a torn last line: dropped (the point is simulated again)
        damaged(line_no, "a line's hash does not match");
      }
      parse(line.substr(0, h), line_no);
      good = end + 1;
    }
    if (good < text.size() && ::ftruncate(fd_, static_cast<off_t>(good)) != 0)
      throw RunError(fmt::format("cannot truncate the calibration journal '{}': {}", path_, std::strerror(errno)));
    if (::lseek(fd_, 0, SEEK_END) < 0) throw RunError(fmt::format("cannot seek in the calibration journal '{}'", path_));
  }
  void parse(std::string_view body, std::size_t line_no) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < body.size()) {
      const std::size_t j = body.find(' ', i);
      words.emplace_back(body.substr(i, (j == std::string_view::npos ? body.size() : j) - i));
      i = j == std::string_view::npos ? body.size() : j + 1;
    }
    const std::size_t nv = nx_ + nt_ * nr_;
    if (words.size() != nv + 3 || words[0] != "P" || words[nv + 1] != "F") damaged(line_no, "not a point of this calibration");
    std::vector<double> v(nv);
    for (std::size_t k = 0; k < nv; ++k) {
      char* stop = nullptr;
      v[k] = std::strtod(words[k + 1].c_str(), &stop);
      if (stop == words[k + 1].c_str() || *stop != '\0') damaged(line_no, "a number cannot be read");
    }
    Entry e;
    e.per_run.assign(nt_, std::vector<double>(nr_));
    for (std::size_t t = 0; t < nt_; ++t)
      for (std::size_t r = 0; r < nr_; ++r) e.per_run[t][r] = v[nx_ + t * nr_ + r];
    const std::string& f = words[nv + 2];
    if (f != "-") {
      if (f.size() % 2 != 0) damaged(line_no, "a failure message cannot be read");
      for (std::size_t k = 0; k < f.size(); k += 2) e.failure += static_cast<char>(std::stoi(f.substr(k, 2), nullptr, 16));
    }
    entries_[std::vector<double>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(nx_))] = std::move(e);
  }

  std::string path_;
  int fd_ = -1;
  std::size_t nx_, nt_, nr_;
  std::map<std::vector<double>, Entry> entries_;
};

/// simulate() through the journal: points it holds are answered from it (their runs counted as
/// done), the others simulated in one batch and appended. `kept` needs the runs: it always simulates.
/// Spread over processes, process 0 holds the journal and tells the others what it answered.
std::vector<std::vector<std::vector<double>>> simulate_journaled(const Calibration& cal, const std::vector<std::vector<double>>& points,
                                                                 std::atomic<long long>& done, Journal* journal,
                                                                 std::vector<std::string>& failures, const Spread& spread) {
  if (journal == nullptr && !spread.distributed()) return simulate(cal, points, done, nullptr, failures, spread);
  const auto runs_per_point = static_cast<long long>(cal.arms.size()) * cal.replications();
  std::vector<std::vector<std::vector<double>>> out(points.size());
  failures.assign(points.size(), std::string());
  std::vector<bool> answered(points.size(), false);
  std::string told;  // process 0's answers: "point failure figure..." per answered point
  if (journal != nullptr)
    for (std::size_t p = 0; p < points.size(); ++p)
      if (const Journal::Entry* e = journal->find(points[p])) {
        out[p] = e->per_run;
        failures[p] = e->failure;
        answered[p] = true;
        ++journal->replayed;
        done.fetch_add(runs_per_point);
        told += std::to_string(p) + " " + hex_bytes(e->failure);
        for (const auto& t : e->per_run)
          for (const double v : t) told += fmt::format(" {:a}", v);
        told += "\n";
      }
  if (spread.distributed()) {
    const std::vector<std::string> all = spread.share(spread.process == 0 ? told : std::string());
    if (spread.process != 0)
      for (const auto& w : records(all.front())) {
        const auto p = static_cast<std::size_t>(std::stoull(w.at(0)));
        failures.at(p) = from_hex_bytes(w.at(1));
        std::size_t i = 2;
        out.at(p).assign(cal.spec.targets.size(), std::vector<double>(static_cast<std::size_t>(cal.replications())));
        for (auto& t : out[p])
          for (double& v : t) v = number(w.at(i++));
        answered[p] = true;
        done.fetch_add(runs_per_point);
      }
  }
  std::vector<std::vector<double>> missing;
  std::vector<std::size_t> where;
  for (std::size_t p = 0; p < points.size(); ++p)
    if (!answered[p]) {
      missing.push_back(points[p]);
      where.push_back(p);
    }
  if (missing.empty()) return out;
  std::vector<std::string> f;
  auto per_run = simulate(cal, missing, done, nullptr, f, spread);
  if (journal != nullptr) journal->append(missing, per_run, f);
  for (std::size_t k = 0; k < missing.size(); ++k) {
    out[where[k]] = std::move(per_run[k]);
    failures[where[k]] = f[k];
  }
  return out;
}

/// 0 if the symmetric n x n matrix `w` (row-major) plus `eps` I has a Cholesky factorisation (then
/// every eigenvalue of w is above -eps: positive semi-definite within eps), else the row (from 1)
/// where it fails. n is the number of targets: a plain loop is enough.
std::size_t failed_cholesky_row(const std::vector<double>& w, std::size_t n, double eps) {
  std::vector<double> l(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = w[i * n + j] + (i == j ? eps : 0.0);
      for (std::size_t k = 0; k < j; ++k) sum -= l[i * n + k] * l[j * n + k];
      if (i == j) {
        if (!(sum > 0)) return i + 1;
        l[i * n + i] = std::sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  return 0;
}

/// The weighting's name, with `sep` between words (inverse_variance, inverse-variance).
std::string weighting_name(CalibrateSpec::Weighting w, const char* sep) {
  switch (w) {
    case CalibrateSpec::Weighting::identity:
      return "identity";
    case CalibrateSpec::Weighting::matrix:
      return "matrix";
    case CalibrateSpec::Weighting::inverse_variance:
      break;
  }
  return std::string("inverse") + sep + "variance";
}

/// The loss's scale for a target: its standard error (inverse-variance weighting) or 1 (identity;
/// a weighting matrix scales the gaps itself).
double scale(const Calibration& cal, std::size_t t) {
  return cal.spec.weighting == CalibrateSpec::Weighting::identity ? 1.0 : cal.spec.targets[t].standard_error();
}

CalibrationEvaluation evaluate(const Calibration& cal, const std::vector<double>& x, std::vector<std::vector<double>> per_run) {
  CalibrationEvaluation e;
  e.x = x;
  e.per_run = std::move(per_run);
  e.loss = 0.0;
  for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
    const CalibrationTarget& target = cal.spec.targets[t];
    const stats::Summary s = stats::summarize(e.per_run[t]);
    const double m = s.n_failed > 0 ? std::nan("") : s.mean;
    e.model.push_back(m);
    if (cal.spec.weighting == CalibrateSpec::Weighting::matrix) continue;
    const double d = (m - target.value) / scale(cal, t);
    e.contribution.push_back(target.weight * d * d);
    e.loss += e.contribution.back();
  }
  if (cal.spec.weighting == CalibrateSpec::Weighting::matrix) {
    // (m - v)' W (m - v); target t's share is g_t (W g)_t (the shares sum to the loss; an
    // off-diagonal term can make one negative).
    const std::size_t n = cal.spec.targets.size();
    for (std::size_t i = 0; i < n; ++i) {
      double row = 0.0;
      for (std::size_t j = 0; j < n; ++j) row += cal.weights[i * n + j] * (e.model[j] - cal.spec.targets[j].value);
      e.contribution.push_back((e.model[i] - cal.spec.targets[i].value) * row);
      e.loss += e.contribution.back();
    }
  }
  return e;
}

/// The first names of a list, for a message: an experiment may run up to params::kMaxEntries policies.
std::string some_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 10;
  if (names.size() <= kShown) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{}, ... ({} in all)", fmt::join(names.begin(), names.begin() + kShown, ", "), names.size());
}

std::string num(double x) {
  if (std::isnan(x)) return "-";
  return fmt::format("{:.4g}", x);
}

}  // namespace

double CalibrationTarget::standard_error() const noexcept {
  if (!std::isnan(se)) return se;
  if (interval.size() == 2) return (interval[1] - interval[0]) / (2.0 * kZ95);
  return std::nan("");
}

bool has_calibrate_section(const std::string& path) {
  return detail::has_section(path, "calibrate");
}

Calibration Calibration::load(const std::string& path) {
  return from_text(params::read_input_file(path, "experiment"), path, detail::directory_of(path));
}

Calibration Calibration::from_text(const std::string& text, const std::string& path, const std::string& dir, BaseFile base_file) {
  Diagnostics diag(path);
  Calibration cal;
  SourceMap where;
  static constexpr detail::SectionWords kWords{
      "calibrate",
      "`calibrate` must be a mapping (targets, weighting, evaluations, ...)",
      "a calibration needs a `calibrate:` section (docs/experiments.md, \"Calibration\")",
      "a calibration chooses its own points: remove `design` (the parameters' ranges are the box searched)",
      "a calibration",
      "the calibration"};
  cal.sweep = detail::read_with_section(
      text, path, dir, base_file, kWords, [&](params::YamlReader& r) { cal.spec.visit(r); }, diag, where);

  const Sweep& sw = cal.sweep;
  CalibrateSpec& s = cal.spec;
  // At the key, or (a default) at the nearest enclosing key the file has.
  const auto at = [&](const std::string& key, const std::string& msg) { detail::error_in_section(diag, where, "calibrate." + key, msg); };
  if (s.targets.empty()) at("targets", "a calibration needs at least one target");
  if (s.replicas.size() > kMaxCalibrationReplicas)
    at("replicas", fmt::format("{} replicas; at most {} are allowed (each is a scenario built and run for every candidate)",
                               s.replicas.size(), kMaxCalibrationReplicas));
  diag.throw_if_errors();

  // Replicas: each a scenario of its own with the experiment's parameters, replications and seed,
  // read from the file's own nodes (messages point into this file, or into the replica's).
  cal.first_day.push_back(sw.experiment.analysis.first_day);
  cal.last_day.push_back(sw.last_day());
  if (!s.replicas.empty()) {
    const YAML::Node root = params::load_document(text, diag);
    diag.throw_if_errors();
    const YAML::Node entries = root["calibrate"]["replicas"];
    for (const CalibrationReplica& r : s.replicas) {
      const auto here = [&](const std::string& msg) { diag.error(r.line, r.col, fmt::format("replica '{}': {}", printable(r.name), msg)); };
      const YAML::Node entry = entries[r.name];
      const YAML::Node inline_scenario = entry["scenario"];
      if (r.file.empty() == !inline_scenario) {
        here(r.file.empty() ? "give its scenario: `file: FILE` (relative to this file) or `scenario:` inline"
                            : "give either `file:` or `scenario:`, not both");
        continue;
      }
      if (!r.file.empty() && base_file == BaseFile::refused) {
        here(fmt::format("its scenario must be stored inline (`scenario:`); the file '{}' named here is not opened",
                         printable(r.file, 300)));
        continue;
      }
      YAML::Node experiment(YAML::NodeType::Map);
      for (const char* key : {"name", "replications", "seed", "parameters", "groups"})
        if (const YAML::Node n = root[key]) experiment[key] = n;
      if (inline_scenario)
        experiment["scenario"] = inline_scenario;
      else
        experiment["base"] = entry["file"];
      try {
        cal.replicas.push_back(Sweep::from_node(experiment, path, dir, base_file, Sweep::DesignUse::search_box));
      } catch (const InputError& err) {
        here("its scenario, with the experiment's parameters, replications and seed, has problems (below)");
        std::string context = diag.report();
        while (!context.empty() && context.back() == '\n') context.pop_back();
        throw InputError(context + "\n" + err.what());
      }
      const Sweep& rs = cal.replicas.back();
      const int first = r.first_day < 0 ? sw.experiment.analysis.first_day : r.first_day;
      const int last = r.last_day < 0 ? rs.days() - 1 : r.last_day;
      if (first > last || last > rs.days() - 1)
        here(fmt::format("the window (days {} to {}) must lie within its {} simulated days (0 to {}){}", first, last, rs.days(),
                         rs.days() - 1, r.first_day < 0 ? "; give it a `first_day`" : ""));
      cal.first_day.push_back(first);
      cal.last_day.push_back(last);
    }
    diag.throw_if_errors();
  }

  std::vector<std::string> replica_names;
  for (const auto& r : s.replicas) replica_names.push_back(r.name);
  std::vector<std::size_t> study_of(s.targets.size(), 0);
  std::vector<std::size_t> policy_of(s.targets.size(), 0);
  std::vector<std::vector<bool>> used(cal.studies());
  for (std::size_t st = 0; st < cal.studies(); ++st) used[st].assign(cal.study(st).policies.size(), false);
  const auto add_output = [&](const std::string& name) {
    const auto it = std::find(cal.outputs.begin(), cal.outputs.end(), name);
    if (it != cal.outputs.end()) return static_cast<std::size_t>(it - cal.outputs.begin());
    cal.outputs.push_back(name);
    return cal.outputs.size() - 1;
  };
  for (std::size_t i = 0; i < s.targets.size(); ++i) {
    const CalibrationTarget& t = s.targets[i];
    const auto here = [&](const std::string& msg) { diag.error(t.line, t.col, fmt::format("target '{}': {}", printable(t.name), msg)); };
    if (!t.replica.empty()) {
      const auto rit = std::find(replica_names.begin(), replica_names.end(), t.replica);
      if (rit == replica_names.end()) {
        const std::string near = params::nearest(t.replica, replica_names);
        diag.error_at_path(
            &where, fmt::format("calibrate.targets.{}.replica", t.name),
            fmt::format("target '{}': there is no replica '{}' under `calibrate.replicas`{}", printable(t.name), printable(t.replica),
                        near.empty() ? (replica_names.empty() ? std::string() : fmt::format(" ({})", some_names(replica_names)))
                                     : fmt::format("; did you mean '{}'?", near)));
        continue;
      }
      study_of[i] = static_cast<std::size_t>(rit - replica_names.begin()) + 1;
    }
    const Sweep& st = cal.study(study_of[i]);
    const std::string whose = study_of[i] == 0 ? std::string("the experiment's") : fmt::format("replica '{}''s", printable(t.replica));
    if (t.policy.empty()) {
      here(fmt::format("give the `policy` whose runs give the model's figure (one of {} policies: {})", whose, some_names(st.policies)));
    } else if (const auto pit = std::find(st.policies.begin(), st.policies.end(), t.policy); pit == st.policies.end()) {
      const std::string near = params::nearest(t.policy, st.policies);
      here(fmt::format("policy '{}' is not among {} policies{}", printable(t.policy), whose,
                       near.empty() ? fmt::format(" ({})", some_names(st.policies)) : fmt::format("; did you mean '{}'?", near)));
    } else {
      policy_of[i] = static_cast<std::size_t>(pit - st.policies.begin());
      used[study_of[i]][policy_of[i]] = true;
    }
    std::vector<std::string> divisions;
    for (const auto& d : st.base.organisation.divisions) divisions.push_back(d.name);
    const auto check_output = [&](const std::string& key, const std::string& name) {
      std::vector<std::string> problems;
      const std::vector<std::string> expanded = expand_outputs({name}, divisions, st.base.output.per_unit, &problems);
      std::string msg;
      if (!problems.empty())
        msg = problems.front();
      else if (expanded.size() != 1)
        msg = fmt::format("'{}' stands for {} outputs (one per division): name one, e.g. '{}'", name, expanded.size(), expanded.front());
      if (msg.empty()) return true;
      detail::error_in_section(diag, where, fmt::format("calibrate.targets.{}.{}", t.name, key),
                               fmt::format("target '{}': {}", printable(t.name), msg));
      return false;
    };
    if (t.output.empty())
      here("give the `output` whose window mean is the model's figure");
    else if (check_output("output", t.output))
      cal.target_output.push_back(add_output(t.output));
    cal.target_plus.emplace_back();
    for (const auto& extra : t.plus)
      if (check_output("plus", extra)) cal.target_plus.back().push_back(add_output(extra));
    if (!t.per.empty() && check_output("per", t.per)) cal.target_per.push_back(add_output(t.per));
    if (t.per.empty()) cal.target_per.push_back(kNone);
    if (std::isnan(t.value)) here("give the empirical `value`");
    if (std::isnan(t.se) == t.interval.empty())
      here("give its uncertainty as `se` or as a 95% `interval: [lower, upper]` (one of the two)");
    else if (!t.interval.empty() && (t.interval.size() != 2 || !(t.interval[0] < t.interval[1])))
      here("`interval` must be [lower, upper] with lower < upper");
    else if (!(t.standard_error() > 0) && s.weighting != CalibrateSpec::Weighting::identity)
      here("a standard error of 0 would give the target an infinite weight: give a positive `se` (or `weighting: identity`)");
  }
  for (std::size_t r = 0; r < s.replicas.size(); ++r)
    if (std::find(study_of.begin(), study_of.end(), r + 1) == study_of.end())
      diag.error(
          s.replicas[r].line, s.replicas[r].col,
          fmt::format("replica '{}': no target reads it (name it in a target's `replica:`, or remove it)", printable(s.replicas[r].name)));
  // A weighting matrix: n x n numbers, symmetric, positive semi-definite, not zero.
  const std::size_t nt = s.targets.size();
  if (s.weighting != CalibrateSpec::Weighting::matrix && !s.weight_matrix.empty())
    at("weight_matrix", "a weight_matrix is read only with `weighting: matrix`");
  if (s.weighting == CalibrateSpec::Weighting::matrix) {
    std::string names;
    for (std::size_t t = 0; t < nt && t < 10; ++t) names += (t == 0 ? "" : ", ") + printable(s.targets[t].name);
    if (nt > 10) names += ", ...";
    if (s.weight_matrix.size() != nt * nt) {
      at(s.weight_matrix.empty() ? "weighting" : "weight_matrix",
         fmt::format("`weighting: matrix` needs a weight_matrix of {} x {} = {} numbers, row by row in the targets' order ({}); it has {}",
                     nt, nt, nt * nt, names, s.weight_matrix.size()));
    } else {
      double largest = 0.0;
      for (const double v : s.weight_matrix) largest = std::max(largest, std::abs(v));
      std::string problem;
      for (std::size_t i = 0; i < nt && problem.empty(); ++i)
        for (std::size_t j = i + 1; j < nt && problem.empty(); ++j)
          if (std::abs(s.weight_matrix[i * nt + j] - s.weight_matrix[j * nt + i]) > 1e-12 * largest)
            problem = fmt::format("it is not symmetric: row {} column {} is {}, row {} column {} is {}", i + 1, j + 1,
                                  s.weight_matrix[i * nt + j], j + 1, i + 1, s.weight_matrix[j * nt + i]);
      if (problem.empty() && !(largest > 0)) problem = "it is zero: every candidate would fit equally well";
      if (problem.empty()) {
        const std::size_t row = failed_cholesky_row(s.weight_matrix, nt, 1e-10 * largest * static_cast<double>(nt));
        if (row > 0)
          problem = fmt::format(
              "it is not positive semi-definite (the Cholesky factorisation of W + eI, e = 1e-10 x its largest entry x n, fails at "
              "row {}): a loss could fall below 0",
              row);
      }
      if (!problem.empty()) at("weight_matrix", "the weight matrix is refused: " + problem);
      // The targets' weights folded in: sqrt(w_i w_j) W_ij.
      for (std::size_t i = 0; i < nt; ++i)
        for (std::size_t j = 0; j < nt; ++j)
          cal.weights.push_back(std::sqrt(s.targets[i].weight * s.targets[j].weight) * s.weight_matrix[i * nt + j]);
    }
  }
  if (s.algorithm == stats::LocalAlgorithm::bobyqa && sw.experiment.parameters.size() < 2)
    at("algorithm", "bobyqa needs at least two parameters; use sbplx for one");
  if (s.posterior.particles > 0) {
    double wsum = 0.0;
    for (const auto& t : s.targets) wsum += t.weight;
    if (!(wsum > 0)) at("posterior", "a posterior needs a target with a positive weight");
    if (s.posterior.budget() < static_cast<std::size_t>(s.posterior.particles))
      at("posterior.max_simulations", "fewer simulations than particles: the prior's generation alone needs one per particle");
  }
  if (s.start_points >= s.evaluations)
    at("start_points", fmt::format("{} start points leave none of the {} evaluations to the local search: fewer start points or more "
                                   "evaluations",
                                   s.start_points, s.evaluations));
  diag.throw_if_errors();
  for (std::size_t st = 0; st < cal.studies(); ++st)
    for (std::size_t p = 0; p < used[st].size(); ++p)
      if (used[st][p]) cal.arms.push_back({st, p});
  for (std::size_t i = 0; i < s.targets.size(); ++i)
    cal.target_arm.push_back(
        static_cast<std::size_t>(std::find(cal.arms.begin(), cal.arms.end(), Arm{study_of[i], policy_of[i]}) - cal.arms.begin()));
  if (const std::size_t runs = cal.max_runs(); runs > kMaxCalibrationRuns) {
    const bool posterior = s.posterior.particles > 0;
    at(posterior ? "posterior" : "evaluations",
       fmt::format("the calibration would need up to {} runs ((evaluations {} + 1{}) x {}{} x {} replications); at most {} are allowed: "
                   "fewer evaluations{} or replications",
                   runs, s.evaluations, posterior ? fmt::format(" + {} posterior simulations", s.posterior.budget()) : std::string(),
                   cal.arms.size() == 1 ? std::string("1 policy") : fmt::format("{} policies", cal.arms.size()),
                   s.replicas.empty() ? "" : " (of the experiment and its replicas)", sw.experiment.replications, kMaxCalibrationRuns,
                   posterior ? ", particles, generations, max_simulations" : ""));
  }
  diag.throw_if_errors();
  const std::vector<double> written = sw.written_values();
  for (std::size_t j = 0; j < sw.experiment.parameters.size(); ++j) {
    const auto& p = sw.experiment.parameters[j];
    cal.box.push_back({p.name, p.lower, p.upper, p.scale == SweepParameter::Scale::log});
    cal.start.push_back(std::clamp(written[j], p.lower, p.upper));
  }
  detail::check_resolved_size(cal.to_yaml(), kWords, diag, where);
  return cal;
}

std::size_t Calibration::max_runs() const noexcept {
  const std::size_t sims = spec.posterior.particles > 0 ? spec.posterior.budget() : 0;
  return (static_cast<std::size_t>(spec.evaluations) + 1 + sims) * std::max<std::size_t>(arms.size(), 1) *
         static_cast<std::size_t>(replications());
}

std::size_t Calibration::arms_of(std::size_t s) const noexcept {
  return static_cast<std::size_t>(std::count_if(arms.begin(), arms.end(), [&](const Arm& a) { return a.study == s; }));
}

Sweep Calibration::probe(std::size_t s) const {
  Sweep one = study(s);
  one.points = {start};
  one.policies.clear();
  one.policy_index.clear();
  for (const Arm& a : arms)
    if (a.study == s) {
      one.policies.push_back(study(s).policies[a.policy]);
      one.policy_index.push_back(study(s).policy_index[a.policy]);
    }
  if (one.policies.empty()) one.points.clear();
  one.baseline = 0;
  return one;
}

std::string Calibration::to_yaml() const {
  YAML::Node tree = YAML::Load(sweep.to_yaml());
  YAML::Emitter out;
  out << YAML::BeginMap;
  params::YamlWriter w(out);
  CalibrateSpec copy = spec;
  copy.visit(w);
  out << YAML::EndMap;
  YAML::Node section = YAML::Load(out.c_str());
  for (auto kv : section["targets"]) {
    YAML::Node entry = kv.second;
    if (entry["se"] && entry["se"].Scalar() == ".nan") entry.remove("se");
    if (entry["interval"] && entry["interval"].size() == 0) entry.remove("interval");
    for (const char* key : {"replica", "per", "source"})
      if (entry[key] && entry[key].Scalar().empty()) entry.remove(key);
    if (entry["plus"] && entry["plus"].size() == 0) entry.remove("plus");
  }
  if (section["weight_matrix"] && section["weight_matrix"].size() == 0) section.remove("weight_matrix");
  // Each replica's scenario is stored inline, resolved (a results file names no file to open).
  if (section["replicas"] && section["replicas"].size() == 0) section.remove("replicas");
  for (std::size_t r = 0; r < replicas.size(); ++r) {
    YAML::Node entry = section["replicas"][spec.replicas[r].name];
    entry.remove("file");
    entry["scenario"] = YAML::Load(kpisim::to_yaml(replicas[r].base));
  }
  tree["calibrate"] = section;
  YAML::Emitter clean;
  clean << tree;
  return std::string(clean.c_str()) + "\n";
}

CalibrationReport run_calibration(const Calibration& cal, const CalibrateOptions& o) {
  Spread spread;
  if (o.processes > 1) {
    if (!o.gather || o.process < 0 || o.process >= o.processes)
      throw std::invalid_argument("run_calibration: several processes need a gather and a process in [0, processes)");
    spread.process = static_cast<std::size_t>(o.process);
    spread.processes = static_cast<std::size_t>(o.processes);
    spread.gather = &o.gather;
  }
  const Sweep& sw = cal.sweep;
  const auto reps = static_cast<std::size_t>(cal.replications());
  // Process 0 alone checks the output and keeps the journal (Journal above: a kill leaves it;
  // --resume replays it; success removes it), and tells the others its verdict: "" (go on), or the
  // error's kind and message, which every process then throws.
  const std::string journal_path = o.output + ".journal";
  std::unique_ptr<Journal> journal;
  std::string verdict;
  if (spread.process == 0) {
    try {
      if (!o.overwrite && fs::symlink_status(o.output).type() != fs::file_type::not_found)
        throw OutputExistsError(fmt::format("refusing to overwrite existing file '{}'; pass --force to replace it", o.output));
      const bool journal_left = fs::symlink_status(journal_path).type() != fs::file_type::not_found;
      if (journal_left && !o.resume) {
        if (!o.overwrite)
          throw OutputExistsError(
              fmt::format("an interrupted calibration's journal '{}' exists: continue it with --resume, or pass --force to "
                          "start over",
                          journal_path));
        ::unlink(journal_path.c_str());
      }
      const std::string header = fmt::format("kpisim-calibration-journal 1 experiment {:016x} binary {}", fnv(cal.to_yaml()),
                                             o.binary_id.empty() ? std::string("-") : o.binary_id);
      journal = std::make_unique<Journal>(journal_path, header, o.resume, cal.box.size(), cal.spec.targets.size(), reps);
    } catch (const OutputExistsError& e) {
      if (!spread.distributed()) throw;
      verdict = std::string("O") + e.what();
    } catch (const RunError& e) {
      if (!spread.distributed()) throw;
      verdict = std::string("R") + e.what();
    }
  }
  if (spread.distributed()) {
    verdict = spread.share(verdict).front();
    if (!verdict.empty() && verdict.front() == 'O') throw OutputExistsError(verdict.substr(1));
    if (!verdict.empty()) throw RunError(verdict.substr(1));
  }
  std::atomic<long long> done{0};
  const auto total = static_cast<long long>(cal.max_runs());
  const auto tick = [&] {
    if (o.progress) o.progress(done.load(), total);
  };
  CalibrationReport report;
  stats::OptimisationProblem problem;
  problem.box = cal.box;
  problem.start = cal.start;
  problem.evaluate = [&](const std::vector<double>& x) {
    std::vector<std::string> failures;
    CalibrationEvaluation e = evaluate(cal, x, std::move(simulate_journaled(cal, {x}, done, journal.get(), failures, spread).front()));
    tick();
    if (!failures.front().empty()) {
      report.failures.emplace_back(report.evaluations.size(), failures.front());
      e.loss = std::nan("");
    }
    const double loss = e.loss;
    report.evaluations.push_back(std::move(e));
    return std::vector<double>{loss};
  };
  stats::OptimisationOptions so;
  so.algorithm = cal.spec.algorithm;
  so.max_evaluations = static_cast<std::size_t>(cal.spec.evaluations);
  so.start_points = static_cast<std::size_t>(cal.spec.start_points);
  so.initial_step = cal.spec.initial_step;
  so.xtol = cal.spec.tolerance;
  so.seed = sw.base.seed;
  const stats::OptimisationResult res = stats::minimise(problem, so);
  for (std::size_t i = 0; i < res.evaluations.size(); ++i) report.evaluations[i].stage = res.evaluations[i].stage;
  report.chosen = res.best;
  report.stop = res.stop;

  // The posterior: ABC-SMC over the box, every simulation on the same replications.
  CalibrationEvaluation best_posterior;
  best_posterior.loss = std::numeric_limits<double>::infinity();
  if (cal.spec.posterior.particles > 0) {
    const PosteriorSpec& ps = cal.spec.posterior;
    double wsum = 0.0;
    for (const auto& t : cal.spec.targets) wsum += t.weight;
    std::map<std::vector<double>, std::vector<double>> model_at;  // each simulated point's figures (means)
    const stats::AbcDistances dist = [&](const std::vector<std::vector<double>>& pts) {
      std::vector<std::string> f;
      const auto per = simulate_journaled(cal, pts, done, journal.get(), f, spread);
      tick();
      std::vector<double> d;
      for (std::size_t p = 0; p < pts.size(); ++p) {
        double acc = 0.0;
        std::vector<double> means;
        for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
          const CalibrationTarget& target = cal.spec.targets[t];
          const stats::Summary s = stats::summarize(per[p][t]);
          const double m = s.n_failed > 0 ? std::nan("") : s.mean;
          means.push_back(m);
          const double z = (m - target.value) / target.standard_error();
          acc += target.weight * z * z;
        }
        model_at[pts[p]] = means;
        d.push_back(f[p].empty() ? std::sqrt(acc / wsum) : std::nan(""));
        if (f[p].empty()) {
          CalibrationEvaluation e = evaluate(cal, pts[p], per[p]);
          if (e.loss < best_posterior.loss) best_posterior = std::move(e);  // strictly: the first of equals
        }
      }
      return d;
    };
    stats::AbcOptions ao;
    ao.particles = static_cast<std::size_t>(ps.particles);
    ao.generations = static_cast<std::size_t>(ps.generations);
    ao.quantile = ps.quantile;
    ao.min_tolerance = ps.min_tolerance;
    ao.max_simulations = ps.budget();
    ao.seed = sw.base.seed;
    report.posterior = stats::abc_smc(cal.box, dist, ao);
    const auto& last = report.posterior.generations.back().particles;
    for (std::size_t j = 0; j < cal.box.size(); ++j) {
      PosteriorSummary s;
      s.posterior = stats::summarize_particles(last, j);
      s.width_ratio = stats::to_unit(cal.box[j], s.posterior.upper) - stats::to_unit(cal.box[j], s.posterior.lower);
      s.width_ratio /= 0.9;  // the prior's 90% interval covers 0.9 of the unit range
      report.parameters.push_back(s);
    }
    // Which targets respond to which parameters: rank correlations over the prior's sample.
    const auto& prior = report.posterior.generations.front().particles;
    report.sensitivity.assign(cal.spec.targets.size(), std::vector<double>(cal.box.size(), std::nan("")));
    for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
      std::vector<double> fig;
      fig.reserve(prior.size());
      for (const auto& particle : prior) fig.push_back(model_at.at(particle.x)[t]);
      for (std::size_t j = 0; j < cal.box.size(); ++j) {
        std::vector<double> xs;
        xs.reserve(prior.size());
        for (const auto& particle : prior) xs.push_back(particle.x[j]);
        report.sensitivity[t][j] = stats::rank_correlation(xs, fig);
      }
    }
    report.posterior_model.assign(cal.spec.targets.size(), {});
    for (const auto& particle : last) {
      const auto& means = model_at.at(particle.x);
      for (std::size_t t = 0; t < means.size(); ++t) report.posterior_model[t].push_back(means[t]);
    }
  }
  // The best of the posterior's simulations (by the search's loss) is chosen when it beats the
  // search's best: both were simulated on the same replications, so their losses compare.
  if (best_posterior.loss < report.evaluations[report.chosen].loss) {
    best_posterior.stage = 3;
    report.evaluations.push_back(std::move(best_posterior));
    report.chosen = report.evaluations.size() - 1;
  }
  // The chosen point again, its runs kept for the file (the same streams: the same figures).
  const CalibrationEvaluation& chosen = report.evaluations[report.chosen];
  std::vector<RunResult> kept;
  std::vector<std::string> failures;
  const std::vector<std::vector<double>> again = simulate(cal, {chosen.x}, done, &kept, failures, spread).front();
  const std::string failure = failures.front();
  tick();
  if (!failure.empty()) report.failures.emplace_back(report.chosen, failure);
  for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
    const CalibrationTarget& target = cal.spec.targets[t];
    const stats::Summary s = stats::summarize(again[t]);
    TargetFit f;
    f.model = s.mean;
    f.lower = s.ci.lower;
    f.upper = s.ci.upper;
    f.simulation_se = s.n > 1 ? s.sd / std::sqrt(static_cast<double>(s.n)) : 0.0;
    f.z = (s.mean - target.value) / std::sqrt(target.standard_error() * target.standard_error() + f.simulation_se * f.simulation_se);
    f.within = std::abs(f.z) <= 2.0;
    report.fit.push_back(f);
  }
  report.runs = static_cast<std::size_t>(done.load());
  if (spread.process != 0) return report;  // process 0 writes the file (and holds the journal)

  // The results file: the chosen point's runs, the evaluations and the fit.
  ResultsLayout layout;
  layout.runs = kept.size();
  // The file's runs are those of the first study a target reads: the experiment's own scenario, or
  // (when only replicas are read) the first replica read, whose scenario the file then names.
  const std::size_t ks = cal.arms.front().study;
  const Sweep& ksw = cal.study(ks);
  layout.days = ksw.days();
  layout.status = true;
  if (ksw.base.output.per_unit)
    for (const auto& d : ksw.base.organisation.divisions) layout.unit_names.push_back(d.name);
  for (const auto& k : kept)
    if (!k.snapshot_days.empty() && layout.snapshot_days.empty()) {
      layout.snapshot_days = k.snapshot_days;
      layout.snapshot_agents = k.snapshot_agents;
    }
  for (std::size_t j = 0; j < cal.box.size(); ++j)
    layout.parameters.push_back(
        {cal.box[j].name, "parameter " + cal.box[j].name, "", std::vector<double>(kept.size(), chosen.x[j]), "parameter"});
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const auto& pol = ksw.base.policies[ksw.policy_index[cal.arms[k / reps].policy]];
    layout.policy.push_back(pol.name);
    layout.policy_type.push_back(pol.type);
    layout.replication.push_back(static_cast<std::int32_t>(k % reps));
  }
  ResultsMeta meta = o.meta;
  meta.days = ksw.days();
  if (ks != 0) {
    meta.scenario_name = ksw.base.name;
    meta.scenario_file = fmt::format("replica '{}' of {}", cal.spec.replicas[ks - 1].name, meta.scenario_file);
    meta.scenario_yaml = kpisim::to_yaml(ksw.base);
    meta.seed = ksw.base.seed;
  }
  meta.unit_names = layout.unit_names;
  meta.extra_attrs.emplace_back("kind", "calibration");
  meta.extra_attrs.emplace_back("runs_of",
                                ks == 0 ? std::string("the experiment") : fmt::format("replica {}", cal.spec.replicas[ks - 1].name));
  meta.extra_attrs.emplace_back("calibration", cal.to_yaml());
  ResultsWriter writer(o.output, meta, layout, o.overwrite);
  for (std::size_t k = 0; k < kept.size(); ++k) {
    if (kept[k].series.empty()) {
      writer.write_failure(k, failure.empty() ? std::string("the run failed") : failure);
      continue;
    }
    kept[k].policy = layout.policy[k];
    kept[k].policy_type = layout.policy_type[k];
    writer.write_run(k, kept[k]);
  }
  using Column = ResultsWriter::Column;
  const std::size_t nt = cal.spec.targets.size();
  {
    std::vector<std::string> labels;
    std::vector<Column> cols;
    for (const auto& p : cal.box) cols.push_back({p.name, "parameter value", "", {}});
    cols.push_back(
        {"loss",
         "the loss: sum over targets of weight x ((model - value) / scale)^2, or (model - value)' W (model - value) with a weight matrix",
         "1",
         {}});
    cols.push_back(
        {"stage", "0 start, 1 Latin hypercube, 2 local search, 3 the posterior's best simulation (when it beat the search)", "1", {}});
    for (const auto& t : cal.spec.targets) cols.push_back({"model_" + t.name, "the model's figure: mean over replications", "", {}});
    for (std::size_t i = 0; i < report.evaluations.size(); ++i) {
      const auto& e = report.evaluations[i];
      labels.push_back(std::to_string(i));
      std::size_t c = 0;
      for (const double v : e.x) cols[c++].values.push_back(v);
      cols[c++].values.push_back(e.loss);
      cols[c++].values.push_back(e.stage);
      for (const double m : e.model) cols[c++].values.push_back(m);
    }
    writer.write_table("calibration/evaluations", "evaluation", labels, cols,
                       {{"algorithm", stats::algorithm_name(cal.spec.algorithm)},
                        {"weighting", weighting_name(cal.spec.weighting, "_")},
                        {"stop", report.stop},
                        {"chosen", std::to_string(report.chosen)},
                        {"replications", std::to_string(reps)}});
  }
  {
    std::vector<std::string> labels;
    std::vector<Column> cols = {{"value", "the empirical value", "", {}},
                                {"se", "its standard error", "", {}},
                                {"weight", "the target's weight", "1", {}},
                                {"model", "the model's figure at the chosen point: mean over replications", "", {}},
                                {"model_lower", "lower end of its 95% interval", "", {}},
                                {"model_upper", "upper end of its 95% interval", "", {}},
                                {"z", "(model - value) / sqrt(se^2 + the model mean's standard error^2)", "1", {}},
                                {"within", "1 if |z| <= 2", "1", {}},
                                {"contribution",
                                 "the target's term of the loss at the chosen point (with a weight matrix: g_t (W g)_t, g = model - value)",
                                 "1",
                                 {}}};
    for (std::size_t t = 0; t < nt; ++t) {
      const auto& target = cal.spec.targets[t];
      const auto& f = report.fit[t];
      labels.push_back(target.name);
      const double v[] = {target.value, target.standard_error(), target.weight,         f.model, f.lower, f.upper,
                          f.z,          f.within ? 1.0 : 0.0,    chosen.contribution[t]};
      for (std::size_t c = 0; c < cols.size(); ++c) cols[c].values.push_back(v[c]);
    }
    std::vector<std::pair<std::string, std::string>> attrs = {{"window", fmt::format("days {} to {}", cal.first_day[0], cal.last_day[0])}};
    for (std::size_t r = 0; r < cal.replicas.size(); ++r)
      attrs.emplace_back("window_" + cal.spec.replicas[r].name, fmt::format("days {} to {}", cal.first_day[r + 1], cal.last_day[r + 1]));
    std::string replica_of;
    for (const auto& t : cal.spec.targets)
      replica_of += (replica_of.empty() ? "" : ", ") + (t.replica.empty() ? std::string("-") : t.replica);
    if (!cal.replicas.empty()) attrs.emplace_back("replica", replica_of);
    writer.write_table("calibration/fit", "target", labels, cols, attrs);
  }
  if (!report.posterior.generations.empty()) {
    std::vector<std::string> labels;
    std::vector<Column> cols = {{"generation", "0: the prior's sample; then decreasing tolerances", "1", {}}};
    for (const auto& p : cal.box) cols.push_back({p.name, "parameter value", "", {}});
    cols.push_back({"weight", "the particle's weight within its generation (they sum to 1)", "1", {}});
    cols.push_back({"distance", "sqrt(sum_t w_t z_t^2 / sum_t w_t), z_t = (model - value) / se", "1", {}});
    for (const auto& t : cal.spec.targets)
      cols.push_back({"model_" + t.name, "the model's figure (mean over replications); last generation only, NaN before", "", {}});
    std::string tolerances;
    for (std::size_t g = 0; g < report.posterior.generations.size(); ++g) {
      const auto& gen = report.posterior.generations[g];
      tolerances += fmt::format("{}{}", g == 0 ? "" : ", ", gen.tolerance);
      for (std::size_t i = 0; i < gen.particles.size(); ++i) {
        const auto& pt = gen.particles[i];
        labels.push_back(fmt::format("{}.{}", g, i));
        std::size_t c = 0;
        cols[c++].values.push_back(static_cast<double>(g));
        for (const double v : pt.x) cols[c++].values.push_back(v);
        cols[c++].values.push_back(pt.weight);
        cols[c++].values.push_back(pt.distance);
        const bool last = g + 1 == report.posterior.generations.size();
        for (std::size_t t = 0; t < nt; ++t)
          cols[c++].values.push_back(last && i < report.posterior_model[t].size() ? report.posterior_model[t][i]
                                                                                  : std::numeric_limits<double>::quiet_NaN());
      }
    }
    writer.write_table("calibration/posterior", "particle", labels, cols,
                       {{"method", "ABC-SMC (population Monte Carlo, Beaumont et al. 2009), uniform prior over the box"},
                        {"tolerances", tolerances},
                        {"simulations", std::to_string(report.posterior.simulations)},
                        {"stop", report.posterior.stop}});
    std::vector<std::string> plabels;
    std::vector<Column> pcols = {{"prior_lower", "the box's lower end", "", {}},
                                 {"prior_upper", "the box's upper end", "", {}},
                                 {"mean", "posterior mean (last generation, weighted)", "", {}},
                                 {"sd", "posterior standard deviation", "", {}},
                                 {"lower", "posterior 5% quantile", "", {}},
                                 {"upper", "posterior 95% quantile", "", {}},
                                 {"width_ratio", "the posterior's 90% interval over the prior's (in the box's unit scale)", "1", {}}};
    for (std::size_t j = 0; j < cal.box.size(); ++j) {
      plabels.push_back(cal.box[j].name);
      const auto& s = report.parameters[j];
      const double v[] = {cal.box[j].lower,  cal.box[j].upper,  s.posterior.mean, s.posterior.sd,
                          s.posterior.lower, s.posterior.upper, s.width_ratio};
      for (std::size_t c = 0; c < pcols.size(); ++c) pcols[c].values.push_back(v[c]);
    }
    writer.write_table("calibration/parameters", "parameter", plabels, pcols, {});
    std::vector<std::string> tlabels;
    std::vector<Column> tcols;
    for (const auto& p : cal.box)
      tcols.push_back({p.name, "Spearman's rank correlation of the parameter and the target's figure over the prior's sample", "1", {}});
    for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
      tlabels.push_back(cal.spec.targets[t].name);
      for (std::size_t j = 0; j < cal.box.size(); ++j) tcols[j].values.push_back(report.sensitivity[t][j]);
    }
    writer.write_table("calibration/sensitivity", "target", tlabels, tcols,
                       {{"sample", fmt::format("the prior's sample: {} points", report.posterior.generations.front().particles.size())}});
  }
  writer.commit();
  report.replayed = journal->replayed;
  report.runs -= journal->replayed * cal.arms.size() * reps;
  journal->remove();
  return report;
}

CalibrationReport read_calibration_report(const Calibration& cal, const std::string& path) {
  const auto bad = [&](const std::string& why) { return ResultsFileError(fmt::format("cannot read results file '{}': {}", path, why)); };
  const auto col = [&](const ResultsTable& t, const std::string& table, const std::string& name) -> const std::vector<double>& {
    const std::vector<double>* c = t.column(name);
    if (c == nullptr) throw bad(fmt::format("table 'calibration/{}' has no column '{}' (damaged, or not this calibration's)", table, name));
    return *c;
  };
  const auto integer = [&](const std::string& text, const std::string& what, std::size_t limit) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(text, &used);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): reported below
      used = 0;
    }
    if (used == 0 || used != text.size() || v >= limit) throw bad(fmt::format("{} is not a valid count: '{}'", what, printable(text)));
    return static_cast<std::size_t>(v);
  };
  const std::size_t np = cal.box.size();
  const std::size_t nt = cal.spec.targets.size();
  CalibrationReport r;
  const ResultsTable ev = read_results_table(path, "calibration/evaluations", "evaluation");
  const std::size_t n = ev.labels.size();
  if (n == 0) throw bad("the calibration has no evaluations");
  std::vector<const std::vector<double>*> xs, ms;
  for (const auto& p : cal.box) xs.push_back(&col(ev, "evaluations", p.name));
  for (const auto& t : cal.spec.targets) ms.push_back(&col(ev, "evaluations", "model_" + t.name));
  const auto& loss = col(ev, "evaluations", "loss");
  const auto& stage = col(ev, "evaluations", "stage");
  for (std::size_t i = 0; i < n; ++i) {
    CalibrationEvaluation e;
    for (const auto* x : xs) e.x.push_back((*x)[i]);
    for (const auto* m : ms) e.model.push_back((*m)[i]);
    e.loss = loss[i];
    e.stage = std::isfinite(stage[i]) ? static_cast<int>(std::clamp(stage[i], 0.0, 3.0)) : 0;
    r.evaluations.push_back(std::move(e));
  }
  r.chosen = integer(ev.attr("chosen"), "the chosen evaluation", n);
  r.stop = ev.attr("stop");
  const ResultsTable fit = read_results_table(path, "calibration/fit", "target");
  if (fit.labels.size() != nt) throw bad(fmt::format("table 'calibration/fit' has {} targets, the calibration {}", fit.labels.size(), nt));
  const auto& model = col(fit, "fit", "model");
  const auto& lower = col(fit, "fit", "model_lower");
  const auto& upper = col(fit, "fit", "model_upper");
  const auto& z = col(fit, "fit", "z");
  const auto& within = col(fit, "fit", "within");
  for (std::size_t t = 0; t < nt; ++t) {
    if (fit.labels[t] != cal.spec.targets[t].name)
      throw bad(fmt::format("table 'calibration/fit' names target {} '{}', the calibration '{}'", t, printable(fit.labels[t]),
                            printable(cal.spec.targets[t].name)));
    TargetFit f;
    f.model = model[t];
    f.lower = lower[t];
    f.upper = upper[t];
    f.z = z[t];
    f.within = within[t] == 1.0;
    r.fit.push_back(f);
  }
  if (cal.spec.posterior.particles == 0) return r;
  // The posterior: its generations in order, the last one's model figures, the parameters' summary
  // and the sensitivity table.
  const ResultsTable post = read_results_table(path, "calibration/posterior", "particle");
  const auto& gen = col(post, "posterior", "generation");
  const auto& weight = col(post, "posterior", "weight");
  const auto& distance = col(post, "posterior", "distance");
  std::vector<const std::vector<double>*> px, pm;
  for (const auto& p : cal.box) px.push_back(&col(post, "posterior", p.name));
  for (const auto& t : cal.spec.targets) pm.push_back(post.column("model_" + t.name));  // absent in files of older versions
  std::vector<double> tolerances;
  {
    const std::string text = post.attr("tolerances");
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t stop = text.find(',', at);
      if (stop == std::string::npos) stop = text.size();
      std::string item = text.substr(at, stop - at);
      item.erase(0, item.find_first_not_of(' '));
      try {
        std::size_t used = 0;
        tolerances.push_back(std::stod(item, &used));
        if (used != item.size()) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        throw bad(fmt::format("the posterior's tolerances are not numbers: '{}'", printable(text)));
      }
      at = stop + 1;
    }
  }
  for (std::size_t i = 0; i < post.labels.size(); ++i) {
    const double g = gen[i];
    if (!(g >= 0 && g < static_cast<double>(tolerances.size()) && g == std::floor(g)))
      throw bad(fmt::format("particle '{}' has generation {} of {}", printable(post.labels[i]), g, tolerances.size()));
    const auto gi = static_cast<std::size_t>(g);
    if (gi + 1 < r.posterior.generations.size() || gi > r.posterior.generations.size())
      throw bad("the posterior's particles are not in the order of their generations");
    if (gi == r.posterior.generations.size()) r.posterior.generations.push_back({tolerances[gi], {}, 0});
    stats::AbcParticle particle;
    for (const auto* x : px) particle.x.push_back((*x)[i]);
    particle.weight = weight[i];
    particle.distance = distance[i];
    r.posterior.generations.back().particles.push_back(std::move(particle));
  }
  if (r.posterior.generations.size() != tolerances.size() || r.posterior.generations.empty())
    throw bad(fmt::format("the posterior has {} generations and {} tolerances", r.posterior.generations.size(), tolerances.size()));
  r.posterior.simulations = integer(post.attr("simulations"), "the posterior's simulations", std::size_t{1} << 62U);
  r.posterior.stop = post.attr("stop");
  const std::size_t last_n = r.posterior.generations.back().particles.size();
  r.posterior_model.assign(nt, {});
  for (std::size_t t = 0; t < nt; ++t)
    for (std::size_t k = post.labels.size() - last_n; k < post.labels.size(); ++k)
      r.posterior_model[t].push_back(pm[t] != nullptr ? (*pm[t])[k] : std::numeric_limits<double>::quiet_NaN());
  const ResultsTable par = read_results_table(path, "calibration/parameters", "parameter");
  if (par.labels.size() != np)
    throw bad(fmt::format("table 'calibration/parameters' has {} rows, the calibration {} parameters", par.labels.size(), np));
  const auto& mean = col(par, "parameters", "mean");
  const auto& sd = col(par, "parameters", "sd");
  const auto& plo = col(par, "parameters", "lower");
  const auto& phi = col(par, "parameters", "upper");
  const auto& width = col(par, "parameters", "width_ratio");
  for (std::size_t j = 0; j < np; ++j) r.parameters.push_back({{mean[j], sd[j], plo[j], phi[j]}, width[j]});
  const ResultsTable sens = read_results_table(path, "calibration/sensitivity", "target");
  if (sens.labels.size() != nt)
    throw bad(fmt::format("table 'calibration/sensitivity' has {} rows, the calibration {} targets", sens.labels.size(), nt));
  r.sensitivity.assign(nt, std::vector<double>(np));
  for (std::size_t j = 0; j < np; ++j) {
    const auto& c = col(sens, "sensitivity", cal.box[j].name);
    for (std::size_t t = 0; t < nt; ++t) r.sensitivity[t][j] = c[t];
  }
  return r;
}

std::string format_calibration(const Calibration& cal, const CalibrationReport& r) {
  const Sweep& sw = cal.sweep;
  std::string s = fmt::format(
      "calibrate {} to {} (window days {} to {}{}; {} weighting; each candidate on {} replications of {}{})\n\n",
      cal.box.size() == 1 ? std::string("1 parameter") : fmt::format("{} parameters", cal.box.size()),
      cal.spec.targets.size() == 1 ? std::string("1 target") : fmt::format("{} targets", cal.spec.targets.size()),
      sw.experiment.analysis.first_day, sw.last_day(), cal.replicas.empty() ? "" : ", each replica its own",
      weighting_name(cal.spec.weighting, "-"), cal.replications(),
      cal.arms.size() == 1 ? "1 policy" : fmt::format("{} policies", cal.arms.size()),
      cal.replicas.empty() ? std::string()
                           : fmt::format(" of the experiment and {} replica{}", cal.replicas.size(), cal.replicas.size() == 1 ? "" : "s"));
  s += "evaluations (the same replications for every candidate):\n| # | stage |";
  for (const auto& p : cal.box) s += fmt::format(" {} |", p.name);
  s += " loss |";
  for (const auto& t : cal.spec.targets) s += fmt::format(" {} |", t.name);
  s += "\n|---|---|";
  for (std::size_t j = 0; j < cal.box.size() + 1 + cal.spec.targets.size(); ++j) s += "---|";
  s += "\n";
  const char* stages[] = {"start", "lhs", "local", "posterior"};
  std::size_t searched = 0;
  double search_best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < r.evaluations.size(); ++i) {
    const auto& e = r.evaluations[i];
    if (e.stage != 3) {
      ++searched;
      if (e.loss < search_best) search_best = e.loss;
    }
    s += fmt::format("| {}{} | {} |", i, i == r.chosen ? " *" : "", stages[std::clamp(e.stage, 0, 3)]);
    for (const double v : e.x) s += fmt::format(" {} |", num(v));
    s += fmt::format(" {} |", num(e.loss));
    for (const double m : e.model) s += fmt::format(" {} |", num(m));
    s += "\n";
  }
  s += fmt::format("search: {} ({}, {} evaluation{})\n", r.stop, stats::algorithm_name(cal.spec.algorithm), searched,
                   searched == 1 ? "" : "s");
  const auto& chosen = r.evaluations[r.chosen];
  if (chosen.stage == 3)
    s += fmt::format(
        "the posterior's simulations found a lower loss ({}) than the search's best ({}): its best point is chosen (evaluation {})\n",
        num(chosen.loss), num(search_best), r.chosen);
  s += "\n";
  s += "chosen:";
  for (std::size_t j = 0; j < cal.box.size(); ++j) s += fmt::format("{} {} = {}", j == 0 ? "" : ",", cal.box[j].name, num(chosen.x[j]));
  s += fmt::format(" (evaluation {}, loss {})\n\n", r.chosen, num(chosen.loss));
  s += "fit at the chosen point (model: mean over replications, 95% interval; z: the gap in standard errors of the evidence and the\n"
       "simulation combined; the chosen point was selected on these replications):\n"
       "| target | policy | evidence (se) | model [95% interval] | z | within 2 se | source |\n|---|---|---|---|---|---|---|\n";
  std::size_t within = 0;
  for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
    const auto& target = cal.spec.targets[t];
    const auto& f = r.fit[t];
    within += f.within ? 1 : 0;
    s += fmt::format(
        "| {} | {} | {} ({}) | {} [{}, {}] | {:+.2f} | {} | {} |\n", printable(target.name),
        target.replica.empty() ? printable(target.policy) : fmt::format("{}: {}", printable(target.replica), printable(target.policy)),
        num(target.value), num(target.standard_error()), num(f.model), num(f.lower), num(f.upper), f.z, f.within ? "yes" : "NO",
        printable(target.source, 200));
  }
  s += fmt::format("{} of {} targets within two standard errors\n", within, cal.spec.targets.size());
  if (r.posterior.generations.empty()) return s;
  const auto& gens = r.posterior.generations;
  s += fmt::format("\nposterior (ABC-SMC, uniform prior over the box; {} particles a generation, {} simulations; {}):\n",
                   gens.back().particles.size(), r.posterior.simulations, r.posterior.stop);
  s += "tolerance by generation (root mean square gap in standard errors):";
  for (std::size_t g = 1; g < gens.size(); ++g) s += fmt::format(" {}", num(gens[g].tolerance));
  if (gens.size() == 1) s += " (none past the prior's sample)";
  s += "\n| parameter | prior | posterior mean (sd) | 90% interval | width against the prior |\n|---|---|---|---|---|\n";
  for (std::size_t j = 0; j < cal.box.size(); ++j) {
    const auto& p = r.parameters[j];
    s += fmt::format("| {} | [{}, {}]{} | {} ({}) | [{}, {}] | {:.0f}% |\n", cal.box[j].name, num(cal.box[j].lower), num(cal.box[j].upper),
                     cal.box[j].log_scale ? " log" : "", num(p.posterior.mean), num(p.posterior.sd), num(p.posterior.lower),
                     num(p.posterior.upper), 100.0 * p.width_ratio);
  }
  const bool figures = std::all_of(r.posterior_model.begin(), r.posterior_model.end(), [](const std::vector<double>& m) {
    return std::none_of(m.begin(), m.end(), [](double x) { return std::isnan(x); });
  });
  if (!figures)
    s += "the model's figures over the posterior: not in this file (written before they were stored)\n";
  else
    s += "the model's figures over the posterior (weighted mean, 5% to 95%):\n| target | evidence (se) | model over the posterior "
         "|\n|---|---|---|\n";
  for (std::size_t t = 0; t < cal.spec.targets.size() && figures; ++t) {
    std::vector<stats::AbcParticle> fig;
    for (std::size_t i = 0; i < gens.back().particles.size(); ++i)
      fig.push_back({{r.posterior_model[t][i]}, gens.back().particles[i].weight, 0.0});
    const stats::WeightedSummary w = stats::summarize_particles(fig, 0);
    s += fmt::format("| {} | {} ({}) | {} [{}, {}] |\n", printable(cal.spec.targets[t].name), num(cal.spec.targets[t].value),
                     num(cal.spec.targets[t].standard_error()), num(w.mean), num(w.lower), num(w.upper));
  }
  s += "A parameter whose posterior is about as wide as its prior is not pinned down by these targets.\n";
  s += "which targets respond to which parameters (Spearman's rank correlation over the prior's sample; near 0: the target cannot pin "
       "the parameter):\n| target |";
  for (const auto& p : cal.box) s += fmt::format(" {} |", p.name);
  s += "\n|---|";
  for (std::size_t j = 0; j < cal.box.size(); ++j) s += "---|";
  s += "\n";
  for (std::size_t t = 0; t < cal.spec.targets.size(); ++t) {
    s += fmt::format("| {} |", printable(cal.spec.targets[t].name));
    for (const double c : r.sensitivity[t]) s += std::isnan(c) ? std::string(" - |") : fmt::format(" {:+.2f} |", c);
    s += "\n";
  }
  return s;
}

}  // namespace kpisim

#pragma once
// MPI for `kpisim sweep` under mpirun/srun: initialised only when a launcher started the process,
// so that a kpisim built with MPI runs exactly as before on its own. Only the calling (main)
// thread makes MPI calls (MPI_THREAD_FUNNELED); the engine sees the distribution as callbacks.
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef KPISIM_HAVE_MPI
#include <mpi.h>
#endif

namespace kpisim::app {

class Mpi {
 public:
  Mpi(int& argc, char**& argv) {
#ifdef KPISIM_HAVE_MPI
    if (launched()) {
      int provided = 0;
      MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
      MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &size_);
      active_ = true;
    }
#else
    static_cast<void>(argc);
    static_cast<void>(argv);
#endif
  }
  ~Mpi() {
#ifdef KPISIM_HAVE_MPI
    if (active_) MPI_Finalize();
#endif
  }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
  Mpi(Mpi&&) = delete;
  Mpi& operator=(Mpi&&) = delete;

  [[nodiscard]] int rank() const noexcept {
    return rank_;
  }
  [[nodiscard]] int size() const noexcept {
    return size_;
  }
  [[nodiscard]] bool distributed() const noexcept {
    return active_ && size_ > 1;
  }

  /// Every process gets rank 0's `text`.
  [[nodiscard]] std::string agree(const std::string& text) const {
#ifdef KPISIM_HAVE_MPI
    unsigned long long n = text.size();
    MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
    std::string out = text;
    out.resize(n);
    if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
#else
    return text;
#endif
  }
  /// Every process gets every process's `text`, in process order.
  [[nodiscard]] std::vector<std::string> gather(const std::string& text) const {
#ifdef KPISIM_HAVE_MPI
    if (!active_) return {text};
    const auto n = static_cast<std::size_t>(size_);
    unsigned long long mine = text.size();
    std::vector<unsigned long long> sizes(n);
    MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, sizes.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD);
    std::vector<int> counts(n);
    std::vector<int> displs(n);
    unsigned long long total = 0;
    for (std::size_t q = 0; q < n; ++q) {
      if (sizes[q] > static_cast<unsigned long long>(std::numeric_limits<int>::max()) ||
          total > static_cast<unsigned long long>(std::numeric_limits<int>::max()) - sizes[q])
        throw std::length_error("a message between processes is too large (over 2 GiB)");
      counts[q] = static_cast<int>(sizes[q]);
      displs[q] = static_cast<int>(total);
      total += sizes[q];
    }
    std::string all(total, '\0');
    MPI_Allgatherv(text.data(), static_cast<int>(mine), MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, MPI_COMM_WORLD);
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t q = 0; q < n; ++q) out.emplace_back(all, static_cast<std::size_t>(displs[q]), static_cast<std::size_t>(counts[q]));
    return out;
#else
    return {text};
#endif
  }
  void barrier() const {
#ifdef KPISIM_HAVE_MPI
    if (active_) MPI_Barrier(MPI_COMM_WORLD);
#endif
  }
  /// Stops every process (an error on one process would leave the others waiting).
  void abort(int code) const {
#ifdef KPISIM_HAVE_MPI
    if (distributed()) MPI_Abort(MPI_COMM_WORLD, code);
#else
    static_cast<void>(code);
#endif
  }

  /// The number of processes a launcher says it started (1 without a launcher or when it does not say).
  static int launched_size() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
      if (const char* v = std::getenv(var))  // NOLINT(concurrency-mt-unsafe): before any thread starts
        return std::atoi(v) > 1 ? std::atoi(v) : 1;
    return 1;
  }

  /// True when an MPI launcher (mpirun/mpiexec of Open MPI or MPICH, srun with PMI/PMIx) started us.
  static bool launched() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
      if (std::getenv(var) != nullptr) return true;  // NOLINT(concurrency-mt-unsafe): before any thread starts
    return false;
  }

 private:
  bool active_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace kpisim::app

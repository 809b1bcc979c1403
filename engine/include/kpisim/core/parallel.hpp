#pragma once
// Deterministic parallel loops over agents.
//
// Work is cut into fixed blocks of `kBlock` agents whatever the thread count; each block writes
// its partial results to its own slot and the slots are combined in block order afterwards. The
// result is therefore bit-identical for 1, 2 or N threads.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>
#include <vector>

namespace kpisim {

inline constexpr std::size_t kBlock = 2048;

inline std::size_t block_count(std::size_t n) noexcept {
  return (n + kBlock - 1) / kBlock;
}

/// Calls body(block_index, begin, end) for every fixed block of [0, n), in parallel.
template <class Body>
void for_blocks(std::size_t n, const Body& body) {
  const std::size_t nb = block_count(n);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nb, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t b = r.begin(); b != r.end(); ++b) {
      const std::size_t lo = b * kBlock;
      const std::size_t hi = lo + kBlock < n ? lo + kBlock : n;
      body(b, lo, hi);
    }
  });
}

/// Serial reference path with the same blocking (used by tests to check the parallel path).
template <class Body>
void for_blocks_serial(std::size_t n, const Body& body) {
  const std::size_t nb = block_count(n);
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t lo = b * kBlock;
    const std::size_t hi = lo + kBlock < n ? lo + kBlock : n;
    body(b, lo, hi);
  }
}

}  // namespace kpisim

#pragma once
// Private to src/stats: a sequential stream of random 32-bit words from Philox4x32-10 (Random123),
// keyed by a 64-bit seed and identified by (purpose, id). Word w of the stream is lane w % 4 of
// Philox(counter = {purpose, id, w / 4 low, w / 4 high}, key = seed), so every stream is a pure
// function of (seed, purpose, id): streams never overlap and do not depend on evaluation order.
#include <Random123/philox.h>

#include <cstdint>

namespace kpisim::stats::detail {

/// What a stream is used for; distinct purposes give disjoint counters.
enum class StreamPurpose : std::uint32_t {
  latin_hypercube = 1,  ///< id = parameter index
  morris = 2,           ///< id = trajectory index
  bootstrap = 3,        ///< id = resample index
  prim_bootstrap = 4,   ///< id = resample index (PRIM stability, robust.cpp)
  abc = 5,              ///< id = generation (ABC-SMC proposals, abc.cpp)
};

class PhiloxStream {
 public:
  using Philox = r123::Philox4x32;

  PhiloxStream(std::uint64_t seed, StreamPurpose purpose, std::uint32_t id) noexcept
      : key_{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32U)}},
        purpose_(static_cast<std::uint32_t>(purpose)),
        id_(id) {}

  /// The next 32-bit word.
  std::uint32_t next() noexcept {
    if (lane_ == 4) refill();
    return buf_.v[lane_++];
  }

  /// A uniform in the open interval (0,1): (x + 0.5) / 2^32.
  double uniform_open01() noexcept { return (static_cast<double>(next()) + 0.5) * (1.0 / 4294967296.0); }

  /// A uniform integer in {0, ..., n-1}, n >= 1, without bias (Lemire 2019, multiply and reject).
  std::uint32_t below(std::uint32_t n) noexcept {
    std::uint64_t m = static_cast<std::uint64_t>(next()) * n;
    auto low = static_cast<std::uint32_t>(m);
    if (low < n) {
      const std::uint32_t threshold = (0U - n) % n;
      while (low < threshold) {
        m = static_cast<std::uint64_t>(next()) * n;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<std::uint32_t>(m >> 32U);
  }

 private:
  void refill() noexcept {
    Philox gen;
    const Philox::ctr_type ctr = {{purpose_, id_, static_cast<std::uint32_t>(block_), static_cast<std::uint32_t>(block_ >> 32U)}};
    buf_ = gen(ctr, key_);
    ++block_;
    lane_ = 0;
  }

  Philox::key_type key_;
  std::uint32_t purpose_;
  std::uint32_t id_;
  std::uint64_t block_ = 0;
  Philox::ctr_type buf_{};
  unsigned lane_ = 4;
};

}  // namespace kpisim::stats::detail

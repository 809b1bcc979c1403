#pragma once
// Workslop: where the undetected errors' downstream hours land, docs/model.md section 7.8.
// Called by Simulation::step after a working day's per-person pass; tested directly in
// tests/unit/test_workslop.cpp.
#include <cstdint>
#include <vector>

#include "kpisim/model/spec.hpp"

namespace kpisim::detail::workslop {

/// The colleague who receives the workslop of the member at offset `author` of a team of `size`,
/// for a uniform `pick` in (0, 1): uniformly one of the other members (the author in a team of one).
inline std::uint32_t recipient(std::uint32_t author, std::uint32_t size, double pick) noexcept {
  if (size <= 1) return author;
  // pick x (size - 1) < 2^31: the conversion through int32 gives the same k and vectorises (AVX2 has
  // no double-to-unsigned conversion).
  auto k = static_cast<std::uint32_t>(static_cast<std::int32_t>(pick * static_cast<double>(size - 1)));
  if (k > size - 2) k = size - 2;  // pick < 1, but guard the rounding
  return k >= author ? k + 1 : k;
}

/// The slot of that colleague for the person in slot `i` of the team whose members are slots [first, first + size).
inline std::uint32_t recipient_slot(std::uint32_t i, std::uint32_t first, std::uint32_t size, double pick) noexcept {
  return first + recipient(i - first, size, pick);
}

/// The workslop hours each person produced today go to the colleague in slot `to[i]`
/// (= recipient_slot(i, first, size, pick[i]); the per-person pass computes it in its chunk). For the
/// teams [team_lo, team_hi): `received` is rebuilt (hours each member cleans up on the next working
/// day) and `last_received[r]` set to `day` for every member r who received workslop from someone
/// else. Each team touches only its members, so disjoint ranges of teams give the same result in
/// any order.
void scatter(const ModelSpec& spec, int day, const float* produced, const std::uint32_t* to, float* received, std::int32_t* last_received,
             std::size_t team_lo, std::size_t team_hi);

/// scatter for the teams whose members all lie in slots [lo, hi) (the others are left as they are).
void scatter_within(const ModelSpec& spec, int day, const float* produced, const std::uint32_t* to, float* received,
                    std::int32_t* last_received, std::size_t lo, std::size_t hi);

/// All teams, recipients chosen from each person's uniform `pick` (the reference the tests use).
void distribute(const ModelSpec& spec, int day, const std::vector<float>& produced, const std::vector<double>& pick,
                std::vector<float>& received, std::vector<std::int32_t>& last_received);

}  // namespace kpisim::detail::workslop

#pragma once
// The working arrays of one chunk of the per-person pass (internal to person_pass.cpp and the
// phase files it calls: weekly_plan.cpp). See person_pass.hpp for how the work is cut.
#include <cstddef>
#include <cstdint>

#include "person_pass.hpp"

namespace kpisim::detail {

constexpr std::size_t kChunk = 256;  // agents per chunk: the scratch below stays in L2

// Per-chunk working arrays, one set per thread (a chunk never yields its thread mid-way).
struct Scratch {
  // Inputs.
  double pressure[kChunk], mandate[kChunk], task_mandate[kChunk], slop[kChunk], filter[kChunk], removed[kChunk], scripted[kChunk],
      script_sessions[kChunk], script_on[kChunk], script_x[kChunk];  // script_x: the script intensity chosen on a plan day
  // Uniforms and normals.
  double u_arr[kChunk], u_noise[kChunk], u_quit[kChunk], u_meas[kChunk];
  double z_arr[kChunk], z_noise[kChunk], z_meas[kChunk];
  double u_dec[4][kChunk], z_dec[4][kChunk];
  double u_def[4][kChunk];                              // caught, passed, escalations, the workslop recipient
  std::uint32_t team_first[kChunk], team_size[kChunk];  // each person's team: slots [first, first + size)
  // Arrivals and the allocation problem.
  double backlog[kChunk], cleanup[kChunk], cleanup_today[kChunk], train[kChunk];  // train: hours of training attended today
  double a[4][kChunk], cap[4][kChunk], budget[kChunk], t[4][kChunk];
  double gaming[kChunk], quit[kChunk];  // flags, 0 or 1 (doubles vectorise with the rest)
  // Work: Poisson rates and counts (caught, passed on, escalations).
  double e[kChunk], lambda[3][kChunk], count[3][kChunk], perf_sessions[kChunk];
  double reward_felt[kChunk];  // the reward each person expects today, as she feels it (outcomes, 7.13)
  // Contributions to the accumulators.
  double out[a_count][kChunk];
  // Weekly plans: learning noise and the sums over the task mix.
  double u_learn[4][kChunk], z_learn[4][kChunk];
  double h[kChunk], vb[kChunk], vt[kChunk], vm[kChunk], tok[kChunk], usd[kChunk], wh[kChunk], def[kChunk], dhat[kChunk], stk[kChunk],
      loss[kChunk], aih[kChunk], aig[kChunk], sm[kChunk], sx[kChunk], esc[kChunk], fut[kChunk], fix[kChunk], err[kChunk], ntask[kChunk],
      rel[kChunk], fb[kChunk], score0[kChunk], against[kChunk];
  // Weekly plans: each person's terms that do not depend on the task type (computed once, not per task).
  double value_weight[kChunk], drag[kChunk], sens_outcome[kChunk], pressure_usd[kChunk], friction[kChunk];
  // Zeros, read in place of an incentive column nobody wrote today (incentive_rows): never written.
  float zeros[kChunk];
};

/// Rows [lo, lo + n <= kChunk) of incentive column c, or the scratch's zeros when c was not written
/// today (every entry +0, World::written): the same values without reading the column.
inline const float* incentive_rows(const World& w, const Column<float>& c, const Scratch& s, std::size_t lo) {
  return w.written(c) ? c.data() + lo : s.zeros;
}

/// Weekly plans (7.2, with the belief updates of 7.11) for agents [lo, lo + n) of one division,
/// scratch rows from `row` (weekly_plan.cpp).
void plan_week(const DayContext& c, PassState& ps, Scratch& s, std::size_t row, std::size_t lo, std::size_t n);

}  // namespace kpisim::detail

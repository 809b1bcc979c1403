#pragma once
// Workslop: where the undetected errors' downstream hours land, docs/model.md section 7.8.
// Called by Simulation::step after a working day's per-person pass; tested directly in
// tests/unit/test_workslop.cpp.
#include <vector>

#include "kpisim/model/spec.hpp"

namespace kpisim::detail::workslop {

/// Each team pools the workslop hours its members produced today and shares them equally among its
/// members (the author included): share[t] = sum of produced[i] over t's members / team_size[t].
void pool(const ModelSpec& spec, const std::vector<float>& produced, const std::vector<float>& team_size, std::vector<float>& share);

}  // namespace kpisim::detail::workslop

#pragma once
#include <string>
#include <vector>

#include "kpisim/io/results.hpp"

namespace kpisim {

/// The comparison table printed after a run: one column per policy, one row per headline output
/// (horizon means unless stated).
std::string summary_table(const std::vector<RunResult>& runs);

}  // namespace kpisim

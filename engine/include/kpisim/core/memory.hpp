#pragma once
// What this machine can give a run: the too-large refusals of the program and the Python module
// compare their estimates with it.
#include <cstddef>

namespace kpisim {

/// MemAvailable from /proc/meminfo, in bytes (0 when it cannot be read).
std::size_t available_memory_bytes();

}  // namespace kpisim

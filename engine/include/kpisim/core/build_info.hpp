#pragma once
#include <string_view>

namespace kpisim {
/// Engine version (semantic), from CMake's project() version.
std::string_view engine_version();
/// Git commit the binary was built from, recorded at build time ("-dirty" if tracked files had
/// changes; "unknown" outside git).
std::string_view git_commit();
/// CMake build type (Release, Debug, RelWithDebInfo).
std::string_view build_type();
/// Instruction set the engine was built for (-march level, or NONE for the compiler default).
std::string_view simd_level();
/// True when invariant checks (KPISIM_CHECKS) are compiled in.
bool checks_enabled();
}  // namespace kpisim

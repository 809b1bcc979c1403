#pragma once
#include <string>
#include <vector>

#include "kpisim/io/results.hpp"

namespace kpisim {

/// Writes runs to an HDF5 file readable by h5py and xarray (engine="h5netcdf").
///
/// The file is written under a temporary name in the same directory and renamed over `path`
/// only when complete, so a failed or interrupted write never leaves a partial file under `path`.
/// Throws RunError if `path` exists and `overwrite` is false (nothing is written), or on any HDF5
/// failure (the temporary file is removed).
void write_hdf5(const std::string& path, const ResultsMeta& meta, const std::vector<RunResult>& runs, bool overwrite);

}  // namespace kpisim

#!/usr/bin/env bash
# Install KPISim's build and test dependencies from Debian 12's archive.
# Idempotent: packages already present are skipped; nothing is installed when all are there.
# Usage: scripts/setup.sh [--python]   (--python adds the Python stack used by tests and analysis,
#                                      Chromium for the report test and R's hdf5r for the R reader test)
#        scripts/setup.sh --report     (adds only what `kpisim report` needs: scripts/run.sh uses it)
set -euo pipefail

cpp_pkgs=(build-essential cmake ninja-build pkg-config git clang-format clang-tidy
          libtbb-dev libeigen3-dev libyaml-cpp-dev libhdf5-dev hdf5-tools catch2
          librandom123-dev libcli11-dev libfmt-dev libboost-dev libnlopt-dev libopenmpi-dev openmpi-bin
          clang-14 libclang-rt-14-dev  # clang-14 + its runtime (libFuzzer, sanitizers): scripts/fuzz.sh
          pybind11-dev python3-pybind11 python3-dev  # the Python module (KPISIM_PYTHON_MODULE, on in the checked preset)
          libcpp-httplib-dev nlohmann-json3-dev)  # `kpisim serve` (docs/serve.md)
# chromium: the report test opens report.html headless; r-cran-hdf5r: the test of the R snippet
# in docs/output-schema.md (together about 30 s to install).
py_pkgs=(python3-h5py python3-xarray python3-h5netcdf python3-pandas python3-numpy
         python3-scipy python3-matplotlib python3-pytest python3-yaml chromium r-cran-hdf5r
         jupyter-nbconvert python3-nbformat python3-ipykernel)  # docs/tutorial.ipynb, executed by a test

want=("${cpp_pkgs[@]}")
# npm installs the JavaScript libraries of `kpisim serve`'s page when the build is configured
# (cmake/serve.cmake); Debian's nodejs and npm unless a Node.js with npm is already there.
if ! command -v npm >/dev/null 2>&1; then want+=(nodejs npm); fi
if [[ "${1:-}" == "--python" ]]; then want+=("${py_pkgs[@]}"); fi
# The report's Python packages (docs/report.md): no browser, no R.
report_pkgs=(python3-h5py python3-xarray python3-h5netcdf python3-pandas python3-numpy python3-scipy
             python3-matplotlib python3-yaml)
if [[ "${1:-}" == "--report" ]]; then want+=("${report_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"

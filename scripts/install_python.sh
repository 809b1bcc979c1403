#!/usr/bin/env bash
# Makes `import kpisim` work in your Python from this checkout, offline (docs/python.md): builds the
# module (the release preset with KPISIM_PYTHON_MODULE=ON; the kpisim program is built as before)
# and writes kpisim.pth into the user site-packages of that Python (of a virtual environment: its
# site-packages), naming build/release/python and analysis/. Rebuilding updates what is imported.
# Usage: scripts/install_python.sh [--build-dir DIR]   (DIR: an existing build with the module,
#                                                       e.g. build/checked; nothing is built)
# The Python is $PYTHON (default /usr/bin/python3, Debian's, which has xarray and h5netcdf; a venv
# needs --system-site-packages for them, and the same Python version as the build).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-/usr/bin/python3}
build=""
if [[ "${1:-}" == "--build-dir" ]]; then
  build=$(cd "${2:?--build-dir needs a directory}" && pwd)
else
  scripts/setup.sh --python
  cmake --preset release -DKPISIM_PYTHON_MODULE=ON >/dev/null
  cmake --build --preset release -j "$(nproc)" --target _kpisim
  build=$PWD/build/release
fi
if [[ ! -f "$build/python/kpisim/__init__.py" ]]; then
  echo "install_python: $build has no Python module (configure it with -DKPISIM_PYTHON_MODULE=ON and build _kpisim)" >&2
  exit 1
fi
site=$("$py" -c 'import site, sys; print(site.getsitepackages()[0] if sys.prefix != sys.base_prefix else site.getusersitepackages())')
mkdir -p "$site"
printf '%s\n%s\n' "$build/python" "$PWD/analysis" >"$site/kpisim.pth"
cd /
"$py" -c 'import kpisim, kpisim.analysis; print(f"install_python: kpisim {kpisim.engine_version} importable from {kpisim.__file__}")'

"""The R snippet of docs/output-schema.md ("R: hdf5r"), run as documented on a results file of the
test run with Debian's R and r-cran-hdf5r (scripts/setup.sh --python installs them): it must read
what the Python reader reads, with the dimensions reversed as the document says."""
import re
import shutil
import subprocess

import numpy as np
import pytest

import kpisim_analysis as KA
from conftest import HANG_GUARD_S

RSCRIPT = shutil.which("Rscript") or "/usr/bin/Rscript"


def documented_snippet(source_dir) -> str:
    text = (source_dir / "docs" / "output-schema.md").read_text()
    section = text.split("### R: hdf5r", 1)[1]
    m = re.search(r"```r\n(.*?)```", section, re.S)
    assert m, "no ```r block under '### R: hdf5r' in docs/output-schema.md"
    return m.group(1)


def test_documented_r_snippet_reads_the_file(small_run, source_dir, tmp_path):
    snippet = documented_snippet(source_dir)
    assert '"compare_regimes.h5"' in snippet
    checks = """
cat("V", dim(v), "\\n")
cat("P", policy, "\\n")
cat("U", dim(u), "\\n")
cat("S", nchar(scenario) > 0, "\\n")
cat("X", format(v[10, 2], digits = 17), "\\n")
"""
    # The checks run before f$close_all(), the snippet's last line.
    body, close = snippet.rsplit("f$close_all()", 1)
    script = tmp_path / "read.R"
    script.write_text(body.replace('"compare_regimes.h5"', f'"{small_run}"') + checks + "f$close_all()" + close)
    r = subprocess.run([RSCRIPT, "--vanilla", str(script)], capture_output=True, text=True, timeout=HANG_GUARD_S, check=False)
    assert r.returncode == 0, r.stderr
    out = {line.split(" ", 1)[0]: line.split(" ", 1)[1].strip() for line in r.stdout.splitlines() if line[:2] in
           ("V ", "P ", "U ", "S ", "X ")}
    ds = KA.open_results(small_run)
    assert out["V"] == f"{ds.sizes['day']} {ds.sizes['run']}"
    assert out["P"].split() == list(ds.policy.values)
    assert out["U"] == f"{ds.sizes['unit']} {ds.sizes['day']} {ds.sizes['run']}"
    assert out["S"] == "TRUE"
    # v[10, 2] in R (1-based, reversed) is day 9 of run 1.
    assert float(out["X"]) == pytest.approx(float(ds.true_value_per_fte.values[1, 9]), rel=1e-15, abs=0)
    assert np.isfinite(float(out["X"]))

"""The tutorial notebook (docs/tutorial.ipynb) runs from top to bottom on the Python module, with
Debian's `jupyter nbconvert --execute` and python3 kernel, as a student would run it: every cell
executes without an error, the plot is drawn, the numbers the text refers to are printed, the
committed file is left as it is and nothing is left behind in the temporary directory.

The executed copy is written to KPISIM_NOTEBOOK_OUT (<build>/tests/notebook/, tests/CMakeLists.txt),
for a person to look at. Each cell has a generous time limit (a cell that hangs fails the test),
and there is no limit on the whole. Without the module (a build without KPISIM_PYTHON_MODULE, such
as the sanitize preset) the test is skipped, as test_module.py is.
"""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_dir = os.environ.get("KPISIM_PYTHON_DIR", "")
if not _dir or not (Path(_dir) / "kpisim" / "__init__.py").is_file():
    pytest.skip("the Python module was not built (configure with -DKPISIM_PYTHON_MODULE=ON, as the checked preset does)",
                allow_module_level=True)

SOURCE_DIR = Path(os.environ.get("KPISIM_SOURCE_DIR") or Path(__file__).resolve().parents[2])
NOTEBOOK = SOURCE_DIR / "docs" / "tutorial.ipynb"
CELL_TIMEOUT_S = 600  # per cell, to stop a hung kernel; not a speed requirement


def _outputs(nb, kind):
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == kind:
                yield cell, out


def test_tutorial_notebook_executes(tmp_path):
    import importlib.util
    for name in ("nbconvert", "ipykernel"):  # Debian's jupyter-nbconvert, and python3-ipykernel: the python3 kernel
        if importlib.util.find_spec(name) is None:
            pytest.fail(f"{name} is missing: scripts/setup.sh --python installs jupyter-nbconvert and python3-ipykernel",
                        pytrace=False)
    out_dir = Path(os.environ.get("KPISIM_NOTEBOOK_OUT") or tmp_path / "out")
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / "tutorial.ipynb"
    executed.unlink(missing_ok=True)
    before = hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(_dir), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the plot into the notebook
    temp = tmp_path / "tmp"  # the kernel's temporary directory: checked empty of KPISim's afterwards
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")  # the kernel's connection file
    env["IPYTHONDIR"] = str(tmp_path / "ipython")  # the kernel's profile: not in the user's home
    # `jupyter nbconvert` (Debian's /usr/bin/jupyter-nbconvert runs this module with /usr/bin/python3).
    r = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                        f"--ExecutePreprocessor.timeout={CELL_TIMEOUT_S}", "--ExecutePreprocessor.kernel_name=python3",
                        "--output-dir", str(out_dir), "--output", executed.name, str(NOTEBOOK)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert r.returncode == 0, r.stderr[-6000:]
    assert hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest() == before, "executing changed the committed notebook"

    nb = json.loads(executed.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "a code cell did not run"
    assert not list(_outputs(nb, "error"))
    text = "".join("".join(o.get("text", "")) for _, o in _outputs(nb, "stream"))
    assert "unknown key 'top_shares'" in text and "did you mean 'top_share'?" in text  # the error the student reads
    assert "^ line" in text
    assert "95% interval [" in text and "times as wide" in text  # the paired comparison, with numbers
    assert "by hand:" in text
    assert "The paired interval lies below 0 in" in text
    images = [o for _, o in _outputs(nb, "display_data") if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the plot is missing"
    left = [p.name for p in temp.iterdir() if p.name.startswith("kpisim-")]
    assert not left, f"left behind in the temporary directory: {left}"

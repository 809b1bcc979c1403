"""The committed notebooks of docs/ (docs/tutorial.ipynb) carry no outputs: git holds the lessons,
not one machine's results (tests/python/test_notebook.py executes them into the build directory).

Strip a notebook before committing it:
    /usr/bin/python3 -m nbconvert --clear-output --inplace docs/tutorial.ipynb
"""
import json
import os
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("KPISIM_SOURCE_DIR") or Path(__file__).resolve().parents[2])
NOTEBOOKS = sorted((SOURCE_DIR / "docs").glob("*.ipynb"))


def test_docs_has_the_tutorial_notebook():
    assert SOURCE_DIR / "docs" / "tutorial.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook without code cells"
    with_output = [i for i, c in enumerate(nb["cells"])
                   if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not with_output, f"{path.name}: cells {with_output} have outputs or execution counts; strip them " \
                            f"(/usr/bin/python3 -m nbconvert --clear-output --inplace {path.relative_to(SOURCE_DIR)})"
    assert not any(c.get("attachments") for c in nb["cells"]), "attachments (pasted images) are outputs too"
    assert "widgets" not in nb.get("metadata", {}), "widget state is output"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", "the notebook runs on the python3 kernel"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_valid(path):
    import nbformat  # Debian's python3-nbformat (scripts/setup.sh --python)
    nbformat.validate(nbformat.read(path, as_version=4))

"""scripts/docnums.py: the claims (kpisim-assert) and ratio words of the generated documents.

Documents here use only definitions (no kpisim command), so any executable file serves as --kpisim.
"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "docnums.py"
sys.path.insert(0, str(REPO / "scripts"))
import docnums  # noqa: E402


def check(tmp_path, text, mode="--check"):
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    proc = subprocess.run([sys.executable, str(SCRIPT), mode, "--kpisim", sys.executable, str(doc)],
                          capture_output=True, text=True, check=False)
    return proc, doc.read_text()


DOC = "<!-- kpisim-def\nbig, small = 3.0, 1.0\n-->\nbig is <!-- v:times(big / small) -->about three times<!-- /v --> small.\n"


def test_a_claim_that_holds_passes(tmp_path):
    proc, _ = check(tmp_path, DOC + "<!-- kpisim-assert: big > small  # big is larger -->\n")
    assert proc.returncode == 0, proc.stderr


def test_a_claim_that_fails_fails_check_and_names_line_and_claim(tmp_path):
    proc, _ = check(tmp_path, DOC + "\n<!-- kpisim-assert: big < small  # big is smaller -->\n")
    assert proc.returncode == 1
    assert "claim(s) in the prose no longer hold" in proc.stderr
    assert "doc.md:6: big < small  # big is smaller" in proc.stderr


def test_write_rewrites_the_numbers_but_still_reports_the_failed_claim(tmp_path):
    proc, text = check(tmp_path, DOC.replace("about three times", "stale") + "<!-- kpisim-assert: big < small -->\n",
                       "--write")
    assert proc.returncode == 1
    assert "about three times<!-- /v -->" in text
    assert "big < small" in proc.stderr


def test_times_words_a_ratio():
    assert docnums.times(3.7) == "about four times"
    assert docnums.times(2.3, "more than") == "more than twice"
    assert docnums.times(3.0, "more than") == "more than twice"
    assert docnums.times(50.4) == "about 50 times"
    assert docnums.sig(0.0026123, 2) == "0.0026"
    assert docnums.sig(-38.51, 3) == "\u221238.5"
    assert docnums.sig(2456.9, 3, 1, True) == "+2,457"


def test_machine_dependent_estimates_are_masked_in_every_wording():
    # The sweep's time estimate comes from a timing probe: "under a second" on one machine is "about 3 s" on a loaded one.
    line = "estimate: 2.18e+05 agent-days, {}, peak memory about 4.2 MiB, results file at most 3.1 MiB (before compression)"
    fast, slow, slower = (docnums.mask(line.format(t)) for t in ("under a second", "about 3 s", "about 1.2 h"))
    assert fast == slow == slower
    assert "4.2 MiB" in fast  # the memory estimate is arithmetic on the counts: still compared
    assert docnums.mask(line.format("about 3 s").replace("4.2 MiB", "5.0 MiB")) != fast


def test_calibrate_and_optimise_estimates_and_times_are_masked():
    # kpisim calibrate/optimise print "estimate: TIME, peak memory about M" and "N runs in T s; wrote F".
    line = "estimate: {}, peak memory about 8.2 MiB\n\n20 runs in {} s; wrote fit.h5"
    fast, slow = docnums.mask(line.format("under a second", "2.6")), docnums.mask(line.format("about 14 s", "31.0"))
    assert fast == slow
    assert "8.2 MiB" in fast and "20 runs in" in fast
    assert docnums.mask(line.format("under a second", "2.6").replace("20 runs", "21 runs")) != fast
    assert docnums.mask("1 run in 0.4 s; wrote x.h5") == "1 run in <*>; wrote x.h5"

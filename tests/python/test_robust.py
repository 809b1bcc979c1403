"""The robust comparison (docs/experiments.md, "Robust comparison") through the real program: a tiny
experiment (12 LHS states of the world x 2 policies x 2 replications) swept once; `compare` prints the
section "Robustness over N states of the world" and it agrees with the stored group `robust`; bad
`robust:` sections are refused with positions; files without the section print nothing of it.
"""
import re

import h5py
import numpy as np
import pytest


@pytest.fixture(scope="module")
def experiments(source_dir):
    return source_dir / "tests" / "data" / "experiments"


@pytest.fixture(scope="module")
def robust_file(cli, experiments, tmp_path_factory):
    out = tmp_path_factory.mktemp("robust") / "small_robust.h5"
    r = cli("sweep", experiments / "small_robust.yaml", "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    return out, r


def section(text):
    i = text.find("\nRobustness over ")
    assert i >= 0, text[-3000:]
    return text[i:]


def test_sweep_and_compare_print_the_same_section(cli, robust_file):
    out, swept = robust_file
    r = cli("compare", out)
    assert r.returncode == 0, r.stderr
    s = section(r.stdout)
    assert s.startswith("\nRobustness over 12 states of the world")
    assert "objective net_value_annual_usd (USD/year" in s
    # The sweep printed the same numbers it stored (compare recomputes them from the file).
    assert section(swept.stdout).split("\n\n")[0] == s.split("\n\n")[0]
    assert "| baseline |" in s and "| leaderboard |" in s
    assert "lowest maximum regret (minimax):" in s
    assert "satisficing: burnout_share <= 0.15; net_value_per_fte - baseline's >= 0" in s
    assert "where baseline loses" in s and "where leaderboard loses" in s


def test_stored_group_agrees_with_the_printed_table(cli, robust_file):
    out, _ = robust_file
    s = section(cli("compare", out).stdout)
    with h5py.File(out, "r") as f:
        g = f["robust/policies"]
        policies = [p.decode() if isinstance(p, bytes) else p for p in g["policy"][()]]
        assert policies == ["baseline", "leaderboard"]
        assert g.attrs["objective"] in ("net_value_annual_usd", b"net_value_annual_usd")
        for k, p in enumerate(policies):
            st = f[f"robust/states/{p}"]
            assert st["regret"].shape == (12,)
            regret = st["regret"][()]
            # Regret is best minus the policy's objective, 0 for the best, never negative.
            assert np.all(regret >= 0)
            assert g["regret_mean"][k] == pytest.approx(regret.mean())
            assert g["regret_max"][k] == pytest.approx(regret.max())
            assert g["satisficing_share"][k] == pytest.approx(st["satisfies"][()].mean())
            row = re.search(rf"^\| {p} \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| (\d+)% \| (\d+)% \| (\d+)% \| (\d+)% \|$", s,
                            re.M)
            assert row, s
            assert int(row.group(5)) == round(100 * g["best_share"][k])
            assert int(row.group(6)) == round(100 * g["resolved_share"][k])
            assert int(row.group(7)) == round(100 * g["satisficing_share"][k])
            assert int(row.group(8)) == round(100 * g["loses_share"][k])
            lo = st["regret_lower"][()]
            assert g["resolved_share"][k] == pytest.approx(np.mean(np.nan_to_num(lo, nan=-1) > 0))
        # In every state exactly one policy has zero regret (ties aside) and the objectives differ by it.
        obj = np.stack([f[f"robust/states/{p}/objective"][()] for p in policies])
        reg = np.stack([f[f"robust/states/{p}/regret"][()] for p in policies])
        np.testing.assert_allclose(reg, obj.max(axis=0) - obj)
        # The regret's paired interval over replications contains it.
        lo = f["robust/states/leaderboard/regret_lower"][()]
        hi = f["robust/states/leaderboard/regret_upper"][()]
        ok = np.isfinite(lo)
        assert ok.any()
        assert np.all(lo[ok] <= reg[1][ok] + 1e-6) and np.all(reg[1][ok] <= hi[ok] + 1e-6)


def test_constraints_are_checked_against_the_run_data(robust_file):
    out, _ = robust_file
    with h5py.File(out, "r") as f:
        pt = f["point"][()]
        pol = np.array([p.decode() if isinstance(p, bytes) else p for p in f["policy"][()]])
        burn = f["burnout_share"][()]  # (run, day)
        first = 7
        for p in ("baseline", "leaderboard"):
            sat = f[f"robust/states/{p}/satisfies"][()]
            for s in range(12):
                runs = np.flatnonzero((pt == s) & (pol == p))
                b = np.mean([np.nanmean(burn[r, first:]) for r in runs])
                if b > 0.15:
                    assert sat[s] == 0


def test_validate_describes_the_robust_section(cli, experiments):
    r = cli("validate", experiments / "small_robust.yaml")
    assert r.returncode == 0, r.stderr
    assert ("robust comparison over 12 states of the world: objective net_value_annual_usd (higher is better), "
            "constraints: burnout_share <= 0.15; net_value_per_fte - baseline's >= 0") in r.stdout
    assert "scenario discovery (PRIM) needs" not in r.stdout


def test_bad_robust_sections_are_refused_with_positions(cli, experiments, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {experiments.parent / 'small_compare.yaml'}\n"
                   "policies: [baseline, leaderboard]\n"
                   "replications: 2\n"
                   "robust:\n"
                   "  objective: net_value_anual_usd\n"
                   "  constraints:\n"
                   "    burnout_share: {}\n"
                   "  prim: {peel_alfa: 0.1}\n")
    r = cli("validate", bad)
    assert r.returncode == 2, r.stdout
    assert f"{bad}:5:" in r.stderr and "did you mean 'net_value_annual_usd'" in r.stderr
    assert f"{bad}:7:5" in r.stderr and "needs `min` or `max`" in r.stderr
    assert f"{bad}:8:" in r.stderr and "peel_alpha" in r.stderr
    one = tmp_path / "one.yaml"
    one.write_text(f"base: {experiments.parent / 'small_compare.yaml'}\npolicies: [baseline]\nrobust: {{}}\n")
    r = cli("validate", one)
    assert r.returncode == 2
    assert f"{one}:3:" in r.stderr and "at least two" in r.stderr


def test_files_without_the_section_print_none(cli, experiments, tmp_path):
    out = tmp_path / "crn.h5"
    r = cli("sweep", experiments / "small_crn.yaml", "-o", out, "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "Robustness over" not in r.stdout
    with h5py.File(out, "r") as f:
        assert "robust" not in f
        assert b"robust" not in (f.attrs["experiment"] if isinstance(f.attrs["experiment"], bytes) else f.attrs["experiment"].encode())


def test_report_draws_the_section(robust_file, tmp_path):
    pytest.importorskip("matplotlib")
    from kpisim_analysis import report as RP
    out, _ = robust_file
    page = RP.write_report(out, tmp_path / "rep").read_text()
    assert 'id="robust"' in page or "id=robust" in page
    assert "Scenario discovery (PRIM)" in page
    assert (tmp_path / "rep" / "robust.png").is_file()


def test_report_refuses_a_robust_group_that_does_not_fit_together(robust_file, tmp_path):
    """The report reads the stored group from an untrusted file: a group with a policy's states
    table missing is shown as unreadable, not drawn from half the data."""
    pytest.importorskip("matplotlib")
    import shutil

    from kpisim_analysis import report as RP
    from kpisim_analysis import results as R
    out, _ = robust_file
    bad = tmp_path / "bad.h5"
    shutil.copy(out, bad)
    with h5py.File(bad, "r+") as f:
        del f["robust/states/leaderboard"]
    with pytest.raises(ValueError, match="one table per policy"):
        R.robust(bad)
    import xarray as xr
    with xr.open_dataset(bad, engine="h5netcdf") as ds:
        sections, _ = RP.build_sections(ds.load())
    s = next(x for x in sections if x.id == "robust")
    assert "cannot be read" in s.note and not s.figures


def test_executive_summary_states_the_robustness(robust_file):
    """The executive summary reads the robust group: the recommendation's regret and satisficing share
    as stored, and says so when the robust criteria pick another policy than the pooled ranking."""
    pytest.importorskip("matplotlib")
    from kpisim_analysis import report as RP
    from kpisim_analysis import results as R
    out, _ = robust_file
    ds = R.open_results(out)
    s = RP.executive_summary(ds)
    rob = R.robust(out)["policies"]
    best = s.lines[0].policy
    i = [str(p) for p in rob["policy"].values].index(best)
    assert s.robust["policies"][best]["regret_max"] == float(rob["regret_max"].values[i])
    text = RP.recommendation_html(s)
    n = rob.attrs["states_used"]
    assert f"Robustness over {n} states of the world" in text
    assert "satisfices (" in text and f"{float(rob['satisficing_share'].values[i]):.0%} of the states" in text
    # Another policy best by minimax regret than by the pooled ranking: said, with the criterion.
    other = next(p for p in s.robust["policies"] if p != best)
    s.robust["minimax"] = other
    text = RP.recommendation_html(s)
    assert "The robust criteria pick otherwise" in text and f"lowest maximum regret: <b>{other}</b>" in text
    # A file without a robust group keeps the replication count.
    s.robust = None
    assert "is the best policy in" in RP.recommendation_html(s)

"""Reading a KPISim results file (docs/output-schema.md) into xarray.

    ds = open_results("results.h5")          # the root group: series, per-unit series, snapshots
    comparison(ds)                           # {output: Dataset over `row`}, sweep files
    sensitivity(ds)                          # {(output, policy): Dataset over `parameter`}
    provenance(ds)                           # engine version, commit, seed, resolved scenario, ...

The dataset is opened lazily (h5netcdf): a variable is read when it is used. The tables of a sweep
are small groups, read whole and closed at once.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import xarray as xr
import yaml

from . import schema as S


class ResultsFileError(Exception):
    """The path is missing, unreadable, or not a KPISim results file (the message says which)."""


def _source(ds_or_path) -> Path:
    """The file a dataset was opened from (or the path itself)."""
    if isinstance(ds_or_path, (str, os.PathLike)):
        return Path(ds_or_path)
    src = ds_or_path.encoding.get("source") or ds_or_path.attrs.get("kpisim_source")
    if not src:
        raise ValueError("this dataset was not opened from a file by open_results(); pass the path instead")
    return Path(src)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ResultsFileError(f"{path}: no such file")
    if path.is_dir():
        raise ResultsFileError(f"{path}: is a directory, not a results file")
    try:
        with h5py.File(path, "r") as f:
            missing = [a for a in S.REQUIRED_ATTRS if a not in f.attrs]
            if missing or S.RUN not in f or S.DAY not in f:
                raise ResultsFileError(
                    f"{path}: an HDF5 file, but not a KPISim results file (no "
                    f"{', '.join(missing) or 'run/day dimensions'}); write one with `kpisim run` or `kpisim sweep`")
    except OSError as e:
        raise ResultsFileError(f"{path}: not an HDF5 file or unreadable ({e})") from None


def open_results(path, *, ok_only: bool = False) -> xr.Dataset:
    """Opens a KPISim results file (from `kpisim run` or `kpisim sweep`) as an xarray Dataset.

    The dataset has the dimensions run and day (and unit, snapshot, agent when written), the run
    coordinates (policy, policy_type, replication; in sweep files point, one coordinate per varied
    parameter, status and error) and the root attributes (provenance). String coordinates come back
    as numpy unicode arrays. With ok_only=True, runs whose status is not 0 (failed or never written)
    are dropped; by default they stay, with NaN data.

    Raises ResultsFileError for a missing file or one that is not a KPISim results file.
    """
    path = Path(path)
    _check_file(path)
    ds = xr.open_dataset(path, engine="h5netcdf")
    strings = {name: ds[name].astype(str) for name in (S.POLICY, S.POLICY_TYPE, S.ERROR, S.UNIT) if name in ds.coords}
    ds = ds.assign_coords(strings)
    ds.attrs["kpisim_source"] = str(path)
    if ok_only and S.STATUS in ds.coords:
        ds = ds.isel(run=np.flatnonzero(ds[S.STATUS].values == S.STATUS_OK))
    return ds


def is_sweep(ds: xr.Dataset) -> bool:
    """True for a file written by `kpisim sweep` (replications, points, tables)."""
    return ds.attrs.get(S.KIND_ATTR) == S.SWEEP_KIND


def is_optimisation(ds: xr.Dataset) -> bool:
    """True for a file written by `kpisim optimise` (the chosen point, the start and the baseline
    re-run on fresh replications, and the tables of group `optimisation`)."""
    return ds.attrs.get(S.KIND_ATTR) == S.OPTIMISATION_KIND


def is_calibration(ds: xr.Dataset) -> bool:
    """True for a file written by `kpisim calibrate` (the chosen point's runs, and the tables of group
    `calibration`: the search, the fit to the targets and, with a posterior, the identifiability)."""
    return ds.attrs.get(S.KIND_ATTR) == S.CALIBRATION_KIND


def ok_runs(ds: xr.Dataset) -> np.ndarray:
    """Boolean mask over `run`: True where the run finished (every run of a `kpisim run` file)."""
    if S.STATUS in ds.coords:
        return ds[S.STATUS].values == S.STATUS_OK
    return np.ones(ds.sizes[S.RUN], dtype=bool)


def policies(ds: xr.Dataset) -> list[str]:
    """Policy labels in the file's order (the order of the scenario or experiment)."""
    return list(dict.fromkeys(ds[S.POLICY].values.tolist()))


def parameters(ds: xr.Dataset) -> list[str]:
    """Names of the varied parameters of a sweep (scenario key paths such as behaviour.effort_cost)."""
    return [c for c in ds.coords if ds[c].attrs.get(S.PARAMETER_ROLE_ATTR) == S.PARAMETER_ROLE]


def points(ds: xr.Dataset) -> list[int]:
    """Parameter point indices in the file ([0] for files without points)."""
    if S.POINT not in ds.coords:
        return [0]
    return sorted(set(int(p) for p in ds[S.POINT].values))


def point_of_runs(ds: xr.Dataset) -> np.ndarray:
    """The parameter point of every run (zeros for files without points)."""
    if S.POINT not in ds.coords:
        return np.zeros(ds.sizes[S.RUN], dtype=int)
    return ds[S.POINT].values.astype(int)


def point_values(ds: xr.Dataset, point: int) -> dict[str, float]:
    """The parameter values of one point: {parameter: value} (empty without parameters)."""
    runs = np.flatnonzero(point_of_runs(ds) == point)
    if runs.size == 0:
        raise KeyError(f"no run at point {point}")
    return {p: float(ds[p].values[runs[0]]) for p in parameters(ds)}


def point_label(ds: xr.Dataset, point: int) -> str:
    """A point described by its parameter values, with short names: 'effort_cost=6, drain_rate=0.05'
    ('point N' for a file without parameters)."""
    vals = point_values(ds, point)
    if not vals:
        return f"point {point}"
    return ", ".join(f"{name.rsplit('.', 1)[-1]}={v:g}" for name, v in vals.items())


def replications(ds: xr.Dataset) -> int:
    """Number of replications per policy and point."""
    return int(ds[S.REPLICATION].values.max()) + 1 if ds.sizes[S.RUN] else 0


def baseline(ds: xr.Dataset) -> str:
    """The baseline policy: the experiment's `baseline` for sweeps (and calibrations), otherwise the
    first policy."""
    if is_sweep(ds) or is_calibration(ds):
        exp = provenance(ds).experiment
        if isinstance(exp, dict) and exp.get("baseline") in policies(ds):
            return exp["baseline"]
    return policies(ds)[0]


def analysis_window(ds: xr.Dataset) -> tuple[int, int]:
    """(first_day, last_day) inclusive: the experiment's analysis window, or the whole horizon. For a
    calibration whose runs are a replica's (root attribute runs_of), the replica's window."""
    last = ds.sizes[S.DAY] - 1
    exp = provenance(ds).experiment if is_sweep(ds) or is_calibration(ds) else None
    if isinstance(exp, dict):
        a = exp.get("analysis") or {}
        runs_of = _text(ds.attrs.get("runs_of", ""))
        if is_calibration(ds) and runs_of.startswith("replica "):
            rep = ((exp.get("calibrate") or {}).get("replicas") or {}).get(runs_of[len("replica "):])
            if isinstance(rep, dict):
                a = {"first_day": rep.get("first_day", a.get("first_day", 0)), "last_day": rep.get("last_day", -1)}
        first = int(a.get("first_day", 0) or 0)
        end = int(a.get("last_day", -1))
        return first, (last if end < 0 else min(end, last))
    return 0, last


def daily_variables(ds: xr.Dataset) -> list[str]:
    """Names of the organisation-level daily series (run, day) in the file."""
    return [v for v in ds.data_vars if ds[v].dims == (S.RUN, S.DAY)]


def has_snapshots(ds: xr.Dataset) -> bool:
    """True when the file holds agent snapshots (output.snapshot_every > 0)."""
    return S.SNAPSHOT in ds.dims and f"{S.SNAP_PREFIX}kpi" in ds


def has_units(ds: xr.Dataset) -> bool:
    """True when the file holds per-division series (output.per_unit)."""
    return S.UNIT in ds.dims


def variable(name: str, ds: xr.Dataset | None = None) -> S.Variable:
    """Presentation facts of a daily variable. A variable schema.DAILY does not describe (written by
    a newer engine) is described from the file's own attributes when ds is given (long_name, units;
    the weekly aggregation guessed from the units); otherwise KeyError with the known names."""
    if name in S.DAILY:
        return S.DAILY[name]
    if ds is not None and name in ds:
        return S.infer_variable(str(ds[name].attrs.get("long_name", name)), str(ds[name].attrs.get("units", "1")))
    raise KeyError(f"unknown daily variable '{name}'; known: {', '.join(S.DAILY)}")


def _groups(path: Path, prefix: str, depth: int) -> list[str]:
    """Paths of the leaf groups `depth` levels below `prefix`, in file order."""
    out = []
    with h5py.File(path, "r") as f:
        if prefix not in f:
            return out

        def walk(g, level, parts):
            for k in g:
                if isinstance(g[k], h5py.Group):
                    if level + 1 == depth:
                        out.append("/".join([prefix, *parts, k]))
                    else:
                        walk(g[k], level + 1, [*parts, k])

        walk(f[prefix], 0, [])
    return out


def _read_group(path: Path, group: str) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf", group=group) as g:
        g = g.load()
    for name in list(g.coords) + list(g.data_vars):
        if g[name].dtype == object:
            g = g.assign_coords({name: g[name].astype(str)}) if name in g.coords else g.assign({name: g[name].astype(str)})
    return g


def comparison(ds_or_path) -> dict[str, xr.Dataset]:
    """The comparison tables of a sweep: {output: Dataset over `row`} (empty for other files).

    Each table has the columns of docs/experiments.md (mean, lower, upper, n, n_failed, difference,
    difference_lower, difference_upper, unpaired_lower, unpaired_upper), the attributes baseline,
    level (as a float) and window, and the coordinates `policy` and `point` parsed from the row labels
    ("POLICY" or "POLICY @ point N").
    """
    path = _source(ds_or_path)
    tables = {}
    for group in _groups(path, S.COMPARISON_GROUP, 1):
        t = _read_group(path, group)
        rows = [str(r) for r in t[S.COMPARISON_ROW_DIM].values]
        pol = [r.split(S.COMPARISON_POINT_SEPARATOR)[0] for r in rows]
        pnt = [int(r.split(S.COMPARISON_POINT_SEPARATOR)[1]) if S.COMPARISON_POINT_SEPARATOR in r else 0 for r in rows]
        t = t.assign_coords({S.POLICY: (S.COMPARISON_ROW_DIM, pol), S.POINT: (S.COMPARISON_ROW_DIM, pnt)})
        t.attrs["level"] = float(t.attrs.get("level", 0.95))
        tables[group.split("/", 1)[1]] = t
    return tables


def sensitivity(ds_or_path) -> dict[tuple[str, str], xr.Dataset]:
    """The sensitivity tables of a sweep: {(output, policy): Dataset over `parameter`}.

    Sobol tables have S1, S1_lower, S1_upper, ST, ST_lower, ST_upper; Morris tables mu_star, mu,
    sigma; both carry the attribute `method`. Empty for files without sensitivity analysis.
    """
    path = _source(ds_or_path)
    tables = {}
    for group in _groups(path, S.SENSITIVITY_GROUP, 2):
        _, output, policy = group.split("/")
        tables[(output, policy)] = _read_group(path, group)
    return tables


def comparison_frame(ds_or_path):
    """All comparison tables as one long pandas DataFrame (one row per output and table row)."""
    import pandas as pd

    frames = []
    for output, t in comparison(ds_or_path).items():
        df = t.to_dataframe().reset_index()
        df.insert(0, "output", output)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@dataclass
class Provenance:
    """Where a results file came from. `attrs` holds every provenance root attribute present, as text,
    in the order of schema.PROVENANCE_ATTRS; scenario/experiment hold the resolved YAML text and, when
    it parses, the parsed mapping."""

    path: Path
    attrs: dict[str, str] = field(default_factory=dict)
    scenario_yaml: str = ""
    experiment_yaml: str = ""
    scenario: dict | None = None
    experiment: dict | None = None

    def sha256(self) -> str:
        """SHA-256 of the results file (to tell which file a report or figure came from)."""
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()


def _text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.item()
    return str(v)


def _yaml(text: str):
    try:
        return yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return None


def provenance(ds: xr.Dataset) -> Provenance:
    """The provenance of an opened results file: engine version, commit, build, seed, command line,
    creation time, and the resolved scenario (and, for sweeps, experiment; for calibrations the
    experiment with its calibrate: section) as YAML text and parsed."""
    attrs = {k: _text(ds.attrs[k]) for k in S.PROVENANCE_ATTRS if k in ds.attrs}
    scen = _text(ds.attrs.get(S.SCENARIO_ATTR, ""))
    exp = _text(ds.attrs.get(S.EXPERIMENT_ATTR, "") or ds.attrs.get(S.CALIBRATION_ATTR, ""))
    return Provenance(path=_source(ds), attrs=attrs, scenario_yaml=scen, experiment_yaml=exp,
                      scenario=_yaml(scen), experiment=_yaml(exp))


def robust(ds_or_path) -> dict:
    """The robust comparison of a sweep (group `robust`, docs/output-schema.md): {} when absent, else
    {"policies": Dataset over `policy`, "states": {policy: Dataset over `state`}, "box": {policy:
    Dataset over `parameter`}, "trajectory": {policy: Dataset over `step`}}. The file is untrusted:
    raises ValueError when the group's tables do not fit together (a damaged or crafted file)."""
    path = _source(ds_or_path)
    with h5py.File(path, "r") as f:
        if "robust" not in f:
            return {}
    out = {"policies": _read_group(path, "robust/policies"), "states": {}, "box": {}, "trajectory": {}}
    if "policy" not in out["policies"].dims:
        raise ValueError("robust/policies has no 'policy' dimension")
    policies = [str(p) for p in out["policies"]["policy"].values]
    for kind, dim in (("states", "state"), ("box", "parameter"), ("trajectory", "step")):
        for group in _groups(path, f"robust/{kind}", 1):
            name = group.split("/", 2)[2]
            if name not in policies:
                raise ValueError(f"{group}: not one of the policies of robust/policies")
            t = _read_group(path, group)
            if dim not in t.dims:
                raise ValueError(f"{group} has no '{dim}' dimension")
            out[kind][name] = t
    sizes = {t.sizes["state"] for t in out["states"].values()}
    if len(sizes) > 1 or set(out["states"]) != set(policies):
        raise ValueError("robust/states must hold one table per policy, all over the same states")
    return out


OPTIMISATION_ROWS = ("chosen", "start", "baseline")  # the runs' points 0, 1, 2 (docs/output-schema.md)


def optimisation(ds_or_path) -> dict:
    """The result of `kpisim optimise` (group `optimisation`, docs/output-schema.md): {} when absent,
    else {"evaluations": Dataset over `evaluation`, "comparison": Dataset over `row`, "states":
    Dataset over `state` or None, "spec": the resolved experiment (dict, with its `optimise:`
    section), "parameters": the tuned parameters' names, "chosen": the chosen evaluation's label}.
    The file is untrusted: raises ValueError when the tables do not fit together."""
    path = _source(ds_or_path)
    with h5py.File(path, "r") as f:
        if "optimisation" not in f:
            return {}
        spec = _yaml(_text(f.attrs.get("optimisation", "")))
    ev = _read_group(path, "optimisation/evaluations")
    cmp = _read_group(path, "optimisation/comparison")
    if "evaluation" not in ev.dims or "row" not in cmp.dims:
        raise ValueError("optimisation/evaluations needs an 'evaluation' and optimisation/comparison a 'row' dimension")
    for name in ("objective", "objective_lower", "objective_upper", "feasible", "stage"):
        if name not in ev:
            raise ValueError(f"optimisation/evaluations has no column '{name}'")
    rows = [str(r) for r in cmp["row"].values]
    for need in (*OPTIMISATION_ROWS, *(r + "_fresh" for r in OPTIMISATION_ROWS)):
        if need not in rows:
            raise ValueError(f"optimisation/comparison has no row '{need}'")
    for name in ("objective", "objective_lower", "objective_upper", "difference", "difference_lower", "difference_upper"):
        if name not in cmp:
            raise ValueError(f"optimisation/comparison has no column '{name}'")
    chosen = str(ev.attrs.get("chosen", ""))
    labels = [str(e) for e in ev["evaluation"].values]
    if chosen not in labels:
        raise ValueError(f"optimisation/evaluations: the chosen evaluation '{chosen}' is not in the table")
    skip = {"objective", "objective_lower", "objective_upper", "feasible", "stage"}
    params = [c for c in ev.data_vars if c not in skip and not c.startswith("mean_")]
    states = None
    with h5py.File(path, "r") as f:
        has_states = "optimisation/states" in f
    if has_states:
        states = _read_group(path, "optimisation/states")
        if "state" not in states.dims or "vs_baseline" not in states:
            raise ValueError("optimisation/states needs a 'state' dimension and a 'vs_baseline' column")
    return {"evaluations": ev, "comparison": cmp, "states": states, "spec": spec if isinstance(spec, dict) else {},
            "parameters": params, "chosen": chosen}


CALIBRATION_FIT_COLUMNS = ("value", "se", "weight", "model", "model_lower", "model_upper", "z", "within", "contribution")
CALIBRATION_PARAMETER_COLUMNS = ("prior_lower", "prior_upper", "mean", "sd", "lower", "upper", "width_ratio")


def calibration(ds_or_path) -> dict:
    """The result of `kpisim calibrate` (group `calibration`, docs/output-schema.md, "Calibration
    files"): {} when absent, else {"evaluations": Dataset over `evaluation`, "fit": Dataset over
    `target`, "posterior": Dataset over `particle` or None, "parameters": Dataset over `parameter` or
    None, "sensitivity": Dataset over `target` or None, "spec": the resolved experiment (dict, with
    its `calibrate:` section), "names": the calibrated parameters in the file's order, "targets": the
    targets' ids, "chosen": the chosen evaluation's label, "replica": {target: its replica, '' for the
    experiment's own scenario}, "windows": {replica ('' for the experiment): 'days A to B'}, "scales":
    {parameter: 'log' or 'linear'}, "box": {parameter: (lower, upper)}, "runs_of": what the file's
    runs are}. The file is untrusted: raises ValueError when the tables do not fit together."""
    path = _source(ds_or_path)
    with h5py.File(path, "r") as f:
        if S.CALIBRATION_GROUP not in f:
            return {}
        have = {g for g in ("evaluations", "fit", "posterior", "parameters", "sensitivity")
                if f"{S.CALIBRATION_GROUP}/{g}" in f}
        spec = _yaml(_text(f.attrs.get(S.CALIBRATION_ATTR, "")))
        runs_of = _text(f.attrs.get("runs_of", "the experiment"))
    for need in ("evaluations", "fit"):
        if need not in have:
            raise ValueError(f"it has no table '{S.CALIBRATION_GROUP}/{need}'")
    ev = _read_group(path, f"{S.CALIBRATION_GROUP}/evaluations")
    fit = _read_group(path, f"{S.CALIBRATION_GROUP}/fit")
    if "evaluation" not in ev.dims or "target" not in fit.dims:
        raise ValueError("calibration/evaluations needs an 'evaluation' and calibration/fit a 'target' dimension")
    for name in ("loss", "stage"):
        if name not in ev:
            raise ValueError(f"calibration/evaluations has no column '{name}'")
    for name in CALIBRATION_FIT_COLUMNS:
        if name not in fit:
            raise ValueError(f"calibration/fit has no column '{name}'")
    targets = [str(t) for t in fit["target"].values]
    chosen = str(ev.attrs.get("chosen", ""))
    if chosen not in [str(e) for e in ev["evaluation"].values]:
        raise ValueError(f"calibration/evaluations: the chosen evaluation '{chosen}' is not in the table")
    models = {"model_" + t for t in targets}
    names = [c for c in ev.data_vars if c not in ("loss", "stage") and c not in models]
    if not names:
        raise ValueError("calibration/evaluations has no parameter column")
    spec = spec if isinstance(spec, dict) else {}
    declared = spec.get("parameters") if isinstance(spec.get("parameters"), dict) else {}
    scales = {n: str((declared.get(n) or {}).get("scale", "linear")) for n in names}
    box = {}
    for n in names:
        d = declared.get(n) or {}
        try:
            box[n] = (float(d["lower"]), float(d["upper"]))
        except (KeyError, TypeError, ValueError):
            box[n] = (float(np.nanmin(ev[n].values)), float(np.nanmax(ev[n].values)))
    replica_attr = str(fit.attrs.get("replica", ""))
    reps = [r.strip() for r in replica_attr.split(",")] if replica_attr else []
    if reps and len(reps) != len(targets):
        raise ValueError(f"calibration/fit: the attribute 'replica' names {len(reps)} replicas for {len(targets)} targets")
    replica = {t: ("" if not reps or reps[i] == "-" else reps[i]) for i, t in enumerate(targets)}
    windows = {"": str(fit.attrs.get("window", ""))}
    windows.update({k[len("window_"):]: str(v) for k, v in fit.attrs.items() if k.startswith("window_")})
    out = {"evaluations": ev, "fit": fit, "posterior": None, "parameters": None, "sensitivity": None, "spec": spec,
           "names": names, "targets": targets, "chosen": chosen, "replica": replica, "windows": windows,
           "scales": scales, "box": box, "runs_of": runs_of}
    if "posterior" in have:
        post = _read_group(path, f"{S.CALIBRATION_GROUP}/posterior")
        if "particle" not in post.dims:
            raise ValueError("calibration/posterior has no 'particle' dimension")
        for name in ("generation", "weight", "distance", *names):
            if name not in post:
                raise ValueError(f"calibration/posterior has no column '{name}'")
        out["posterior"] = post
        if "parameters" not in have:
            raise ValueError("it has calibration/posterior but no table 'calibration/parameters'")
        par = _read_group(path, f"{S.CALIBRATION_GROUP}/parameters")
        if "parameter" not in par.dims:
            raise ValueError("calibration/parameters has no 'parameter' dimension")
        for name in CALIBRATION_PARAMETER_COLUMNS:
            if name not in par:
                raise ValueError(f"calibration/parameters has no column '{name}'")
        if [str(p) for p in par["parameter"].values] != names:
            raise ValueError("calibration/parameters does not list the parameters of calibration/evaluations")
        out["parameters"] = par
        for i, n in enumerate(names):
            out["box"][n] = (float(par["prior_lower"].values[i]), float(par["prior_upper"].values[i]))
        if "sensitivity" in have:
            sens = _read_group(path, f"{S.CALIBRATION_GROUP}/sensitivity")
            if "target" not in sens.dims or [str(t) for t in sens["target"].values] != targets:
                raise ValueError("calibration/sensitivity must list the targets of calibration/fit")
            if any(n not in sens for n in names):
                raise ValueError("calibration/sensitivity needs a column per parameter")
            out["sensitivity"] = sens
    return out


def calibration_sources(cal: dict) -> dict[str, dict]:
    """Per target, what the experiment says of it (policy, output, plus, per, source; {} when the
    experiment cannot be read)."""
    targets = ((cal.get("spec") or {}).get("calibrate") or {}).get("targets")
    targets = targets if isinstance(targets, dict) else {}
    return {t: (targets.get(t) if isinstance(targets.get(t), dict) else {}) for t in cal.get("targets", [])}

"""Checks the HDF5 results layout with h5py and xarray (engine="h5netcdf").

Needs the files written by tests/tools/write_sample_h5 (see the value formulas there): the run-style
file from KPISIM_SAMPLE_H5 and the sweep-style file (streamed with ResultsWriter: parameter
coordinates, status, tables in groups) from KPISIM_SWEEP_H5 (its tests are skipped when unset).
Run with /usr/bin/python3 (Debian's h5py/xarray):

    write_sample_h5 /tmp/sample.h5 /tmp/sweep.h5
    KPISIM_SAMPLE_H5=/tmp/sample.h5 KPISIM_SWEEP_H5=/tmp/sweep.h5 /usr/bin/python3 -m pytest -q tests/python/test_hdf5_layout.py
"""
import os
import zlib

import pytest

SAMPLE = os.environ.get("KPISIM_SAMPLE_H5")
SWEEP = os.environ.get("KPISIM_SWEEP_H5")
if not SAMPLE:
    pytest.skip(
        "KPISIM_SAMPLE_H5 is not set: build tests/tools/write_sample_h5, run "
        "`write_sample_h5 OUT.h5` and set KPISIM_SAMPLE_H5=OUT.h5",
        allow_module_level=True,
    )

import h5py  # noqa: E402  (after the skip, so a missing env var skips instead of failing)
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

RUNS, DAYS, UNITS, SNAPS, AGENTS = 3, 30, 2, 3, 5
POLICIES = ["baseline", "leaderboard", "quota"]
POLICY_TYPES = ["none", "leaderboard", "quota"]
UNIT_NAMES = ["Sales", "Ingeniería"]
SNAPSHOT_DAYS = [9, 19, 29]
AGENT_IDS = [0, 3, 7, 12, 20]
COORDINATES = "policy policy_type replication"
ROOT_STRING_ATTRS = [
    "engine_version", "git_commit", "build_type", "simd", "scenario_name", "scenario_file", "scenario",
    "command_line", "created_utc", "Conventions", "title",
]


@pytest.fixture(scope="module")
def h5():
    assert os.path.isfile(SAMPLE), f"KPISIM_SAMPLE_H5={SAMPLE} does not exist"
    with h5py.File(SAMPLE, "r") as f:
        yield f


@pytest.fixture(scope="module")
def ds():
    assert os.path.isfile(SAMPLE), f"KPISIM_SAMPLE_H5={SAMPLE} does not exist"
    with xr.open_dataset(SAMPLE, engine="h5netcdf") as d:
        d.load()
        yield d


def daily_names(ds):
    return [n for n in ds.data_vars if not n.startswith(("unit_", "snap_"))]


# ---------------------------------------------------------------------------------------- xarray

def test_dimensions(ds):
    assert dict(ds.sizes) == {"run": RUNS, "day": DAYS, "unit": UNITS, "snapshot": SNAPS, "agent": AGENTS}


def test_index_coordinates(ds):
    assert set(ds.indexes) == {"run", "day", "unit", "snapshot", "agent"}
    np.testing.assert_array_equal(ds.run.values, np.arange(RUNS))
    assert ds.run.dtype == np.int64
    np.testing.assert_array_equal(ds.day.values, np.arange(DAYS))
    assert ds.day.dtype == np.int32  # not timedelta64: units must not be "days"
    assert ds.day.attrs["units"] == "1"
    assert ds.day.attrs["long_name"] == "simulation day (day 0 is a Monday)"
    assert list(ds.unit.values) == UNIT_NAMES
    np.testing.assert_array_equal(ds.snapshot.values, SNAPSHOT_DAYS)
    assert ds.snapshot.dtype == np.int32
    np.testing.assert_array_equal(ds.agent.values, AGENT_IDS)
    assert ds.agent.dtype == np.uint32
    for name in ds.coords:
        assert "long_name" in ds[name].attrs, name


def test_run_coordinates(ds):
    for name in ["policy", "policy_type", "replication"]:
        assert name in ds.coords and name not in ds.data_vars
        assert ds[name].dims == ("run",)
    assert list(ds.policy.values) == POLICIES
    assert list(ds.policy_type.values) == POLICY_TYPES
    np.testing.assert_array_equal(ds.replication.values, [0, 0, 0])
    groups = dict(ds.groupby("policy"))
    assert sorted(groups) == POLICIES
    assert float(groups["quota"].headcount.sel(day=4).item()) == 20000.0 + 1.0
    frame = ds.headcount.set_index(run=["policy", "replication"]).to_pandas()
    assert frame.loc[("leaderboard", 0), 3] == 10000.0 + 0.75


def test_variable_dims_and_attrs(ds):
    daily = daily_names(ds)
    assert "headcount" in daily and len(daily) >= 40
    for name, var in ds.data_vars.items():
        if name.startswith("unit_"):
            assert var.dims == ("run", "day", "unit"), name
            assert name[len("unit_"):] in ds.data_vars, name
            assert var.dtype == np.float64
        elif name.startswith("snap_"):
            assert var.dims == ("run", "snapshot", "agent"), name
            assert var.dtype == np.float32
        else:
            assert var.dims == ("run", "day"), name
            assert var.dtype == np.float64
        assert isinstance(var.attrs.get("units"), str) and var.attrs["units"], name
        assert isinstance(var.attrs.get("long_name"), str) and var.attrs["long_name"], name
        assert set(var.coords) >= {"policy", "policy_type", "replication"}, name
    assert ds.headcount.attrs["units"] == "person"
    assert "unit_headcount" in ds.data_vars
    assert "unit_rewards_usd" not in ds.data_vars  # not per unit
    assert "snap_skill" in ds.data_vars and "snap_team" in ds.data_vars


def test_root_attributes(ds):
    for name in ROOT_STRING_ATTRS:
        assert isinstance(ds.attrs.get(name), str), name
    assert ds.attrs["Conventions"] == "CF-1.8"
    assert ds.attrs["title"] == "KPISim results: sample"
    assert ds.attrs["scenario_name"] == "sample"
    assert "café" in ds.attrs["scenario"]
    assert ds.attrs["seed"] == 12345678901234567890
    assert ds.attrs["threads"] == 2


def test_daily_values_round_trip(ds):
    r = np.arange(RUNS)[:, None]
    d = np.arange(DAYS)[None, :]
    seen = set()
    for name in daily_names(ds):
        values = ds[name].values
        if name == "kpi_value_correlation":
            assert np.isnan(values[:, 0]).all()  # _FillValue NaN is masked, not an error
            values = values[:, 1:]
            dd = d[:, 1:]
        else:
            dd = d
        v = (values - 10000.0 * r - 0.25 * dd) / 100.0
        assert np.all(v == v[0, 0]), name  # same variable index everywhere: no run/day mix-up
        assert v[0, 0] == int(v[0, 0]), name
        seen.add(int(v[0, 0]))
        np.testing.assert_array_equal(values, 10000.0 * r + 100.0 * v[0, 0] + 0.25 * dd)
    assert len(seen) == len(daily_names(ds))  # each variable got its own data
    assert ds.headcount.sel(run=2, day=17).item() == 20000.0 + 4.25  # headcount is variable 0


def test_unit_values_round_trip(ds):
    offsets = 0.125 * (np.arange(UNITS) + 1)
    for name in [n for n in ds.data_vars if n.startswith("unit_")]:
        base = ds[name[len("unit_"):]].values
        np.testing.assert_array_equal(ds[name].values, base[:, :, None] + offsets[None, None, :], err_msg=name)
    assert ds.unit_headcount.sel(run=1, day=2, unit="Ingeniería").item() == 10000.0 + 0.5 + 0.25


def test_snapshot_values_round_trip(ds):
    r = np.arange(RUNS)[:, None, None]
    s = np.arange(SNAPS)[None, :, None]
    a = np.array(AGENT_IDS)[None, None, :]
    offsets = set()
    for name in [n for n in ds.data_vars if n.startswith("snap_")]:
        values = ds[name].values
        k = values[0, 0, 0]
        offsets.add(float(k))
        np.testing.assert_array_equal(values, (100.0 * r + 10.0 * s + a + k).astype(np.float32), err_msg=name)
    assert len(offsets) == len([n for n in ds.data_vars if n.startswith("snap_")])
    assert ds.snap_skill.sel(run=2, snapshot=19, agent=12).item() == 200.0 + 10.0 + 12.0


# ------------------------------------------------------------------------------------------ h5py

def test_dimension_scales_attached(h5):
    def is_scale(obj):  # Dataset.is_scale needs h5py >= 3.8
        return obj.attrs.get("CLASS") == b"DIMENSION_SCALE"

    for name in ["run", "day", "unit", "snapshot", "agent"]:
        assert is_scale(h5[name]), name
    for name in ["policy", "policy_type", "replication"]:
        assert not is_scale(h5[name])
        assert h5[name].dims[0].keys() == ["run"]
    for name, obj in h5.items():
        if obj.ndim < 2:
            continue
        if name.startswith("unit_"):
            want = ["run", "day", "unit"]
        elif name.startswith("snap_"):
            want = ["run", "snapshot", "agent"]
        else:
            want = ["run", "day"]
        assert [obj.dims[i].keys() for i in range(obj.ndim)] == [[w] for w in want], name


def test_chunking_and_compression(h5):
    for name, obj in h5.items():
        if obj.ndim < 2:
            continue
        assert obj.compression == "gzip", name
        assert obj.compression_opts == 4, name
        assert obj.shuffle, name
        if name.startswith("unit_"):
            assert obj.chunks == (1, DAYS, UNITS), name
        elif name.startswith("snap_"):
            assert obj.chunks == (1, SNAPS, AGENTS), name
        else:
            assert obj.chunks == (1, DAYS), name


def test_variable_attributes_h5py(h5):
    for name, obj in h5.items():
        if obj.ndim < 2:
            continue
        assert obj.attrs["coordinates"] == COORDINATES, name
        assert isinstance(obj.attrs["units"], str), name  # variable-length strings come back as str
        assert isinstance(obj.attrs["long_name"], str), name
        fill = obj.attrs["_FillValue"]
        assert np.isnan(fill) and fill.dtype == obj.dtype, name


def test_raw_values_h5py(h5):
    assert h5["headcount"][1, 3] == 10000.0 + 0.75
    assert np.isnan(h5["kpi_value_correlation"][0, 0])
    assert h5["unit_headcount"][2, 29, 0] == 20000.0 + 7.25 + 0.125
    assert h5["snap_skill"][0, 2, 4] == np.float32(20.0 + 20.0)
    assert list(h5["policy"].asstr()[:]) == POLICIES
    assert list(h5["unit"].asstr()[:]) == UNIT_NAMES
    assert h5.attrs["seed"] == np.uint64(12345678901234567890)
    assert h5.attrs["seed"].dtype == np.uint64
    assert h5.attrs["threads"].dtype == np.int32
    for name in ROOT_STRING_ATTRS:
        assert isinstance(h5.attrs[name], str), name


# ------------------------------------------------------------------------- sweep-style file (xarray)

SW_RUNS, SW_DAYS, SW_UNITS = 12, 10, 2
SW_POLICIES = ["baseline"] * 6 + ["quota"] * 6
SW_POINT = [0, 0, 1, 1, 2, 2] * 2
SW_REPLICATION = [0, 1] * 6
SW_EFFORT = [[0.5, 1.0, 1.5][p] for p in SW_POINT]
SW_EMA = [[5.0, 10.0, 20.0][p] for p in SW_POINT]
SW_FAILED = 7
SW_MESSAGE = "simulated failure: hours exceed the daily cap on day 3"
EFFORT, EMA = "behaviour.effort_cost", "measurement.ema_days"
SW_COORDINATES = f"policy policy_type replication point {EFFORT} {EMA} status error"
SW_TABLE = "sensitivity/true_value_per_fte"


def sweep_path():
    if not SWEEP:
        pytest.skip("KPISIM_SWEEP_H5 is not set: run `write_sample_h5 OUT.h5 SWEEP.h5` and set it")
    assert os.path.isfile(SWEEP), f"KPISIM_SWEEP_H5={SWEEP} does not exist"
    return SWEEP


@pytest.fixture(scope="module")
def sw():
    with xr.open_dataset(sweep_path(), engine="h5netcdf") as d:
        d.load()
        yield d


@pytest.fixture(scope="module")
def sw_h5():
    with h5py.File(sweep_path(), "r") as f:
        yield f


def sw_expected(var_index):
    """headcount-style values of daily variable `var_index`, NaN for the failed run."""
    r = np.arange(SW_RUNS, dtype=float)[:, None]
    d = np.arange(SW_DAYS)[None, :]
    v = 10000.0 * r + 100.0 * var_index + 0.25 * d
    v[SW_FAILED, :] = np.nan
    return v


def test_sweep_dimensions_and_run_coordinates(sw):
    assert dict(sw.sizes) == {"run": SW_RUNS, "day": SW_DAYS, "unit": SW_UNITS}
    assert set(sw.indexes) == {"run", "day", "unit"}
    names = ["policy", "policy_type", "replication", "point", EFFORT, EMA, "status", "error"]
    for name in names:
        assert name in sw.coords and name not in sw.data_vars, name
        assert sw[name].dims == ("run",), name
        assert "long_name" in sw[name].attrs, name
    assert list(sw.policy.values) == SW_POLICIES
    np.testing.assert_array_equal(sw.point.values, SW_POINT)
    np.testing.assert_array_equal(sw.replication.values, SW_REPLICATION)
    for name, values, units in [(EFFORT, SW_EFFORT, "1"), (EMA, SW_EMA, "day")]:
        assert sw[name].dtype == np.float64, name  # units "day" is not decoded to timedelta64
        np.testing.assert_array_equal(sw[name].values, values)
        assert sw[name].attrs["units"] == units
        assert sw[name].attrs["kpisim_role"] == "parameter"
    assert sw[EFFORT].attrs["long_name"] == "cost of effort"
    for name, var in sw.data_vars.items():
        assert set(var.coords) >= set(names), name


def test_sweep_status_and_error(sw):
    assert sw.status.dtype == np.int8
    want = np.zeros(SW_RUNS, dtype=np.int8)
    want[SW_FAILED] = 1
    np.testing.assert_array_equal(sw.status.values, want)
    assert list(sw.status.attrs["flag_values"]) == [-1, 0, 1]
    assert sw.status.attrs["flag_meanings"] == "not_written ok failed"
    errors = list(sw.error.values)
    assert errors[SW_FAILED] == SW_MESSAGE
    assert all(e == "" for i, e in enumerate(errors) if i != SW_FAILED)
    assert np.isnan(sw.headcount.sel(run=SW_FAILED).values).all()
    assert np.isnan(sw.unit_headcount.sel(run=SW_FAILED).values).all()
    ok = sw.where(sw.status == 0, drop=True)
    assert ok.sizes["run"] == SW_RUNS - 1 and SW_FAILED not in ok.run.values


def test_sweep_values_written_out_of_order(sw):
    np.testing.assert_array_equal(sw.headcount.values, sw_expected(0))
    np.testing.assert_array_equal(sw.unit_headcount.values, sw_expected(0)[:, :, None] + 0.125 * (np.arange(SW_UNITS) + 1))


def test_sweep_groupby_policy_and_parameter(sw):
    groups = dict(sw.groupby("policy"))
    assert sorted(groups) == ["baseline", "quota"]
    assert all(g.sizes["run"] == 6 for g in groups.values())
    mean = sw.headcount.groupby("policy").mean()  # skipna: the failed run drops out
    assert mean.dims == ("policy", "day")
    assert mean.sel(policy="baseline", day=0).item() == 10000.0 * np.mean([0, 1, 2, 3, 4, 5])
    assert mean.sel(policy="quota", day=0).item() == 10000.0 * np.mean([6, 8, 9, 10, 11])
    by_effort = sw.headcount.isel(day=0).groupby(EFFORT).mean()
    np.testing.assert_array_equal(by_effort[EFFORT].values, [0.5, 1.0, 1.5])
    assert by_effort.sel({EFFORT: 1.0}).item() == 10000.0 * np.mean([2, 3, 8, 9])


def test_sweep_select_runs_by_parameter(sw):
    sub = sw.sel(run=sw[EFFORT] == 1.0)
    np.testing.assert_array_equal(sub.run.values, [2, 3, 8, 9])
    np.testing.assert_array_equal(sub.point.values, [1, 1, 1, 1])
    np.testing.assert_array_equal(sub[EMA].values, [10.0] * 4)
    dropped = sw.where((sw[EFFORT] == 1.5) & (sw.policy == "quota"), drop=True)
    np.testing.assert_array_equal(dropped.run.values, [10, 11])
    indexed = sw.headcount.set_index(run=["policy", EFFORT, "replication"])
    assert np.isnan(indexed.sel({"policy": "quota", EFFORT: 0.5, "replication": 1}).values).all()  # the failed run
    row = indexed.sel({"policy": "quota", EFFORT: 1.0, "replication": 1})
    np.testing.assert_array_equal(row.values, sw_expected(0)[9])
    frame = sw.headcount.isel(day=0).to_dataframe()
    assert frame.loc[4, EFFORT] == 1.5 and frame.loc[4, "policy"] == "baseline"


def test_sweep_root_attributes(sw, sw_h5):
    assert sw.attrs["kind"] == "sweep"
    assert sw.attrs["experiment"].startswith("base: sample.yaml")
    assert sw.attrs["title"] == "KPISim results: sweep sample"
    assert isinstance(sw_h5.attrs["kind"], str)


def test_sweep_tables_in_groups(sw):
    with xr.open_dataset(sweep_path(), engine="h5netcdf", group=SW_TABLE) as t:
        assert dict(t.sizes) == {"parameter": 2}
        assert list(t.parameter.values) == [EFFORT, EMA]
        np.testing.assert_array_equal(t.S1.values, [0.25, 0.5])
        np.testing.assert_array_equal(t.ST.values, [0.375, 0.625])
        assert t.S1.sel(parameter=EMA).item() == 0.5
        assert t.S1.attrs["long_name"] == "first-order Sobol index"
        attrs = dict(t.attrs)
        crc = attrs.pop("kpisim_attrs_crc32")  # the CRC-32 of the string attributes (docs/output-schema.md)
        assert attrs == {"method": "sobol", "output": "true_value_per_fte"}
        assert int(crc) == zlib.crc32(b"method\0sobol\0output\0true_value_per_fte\0")
    with xr.open_dataset(sweep_path(), engine="h5netcdf", group="compare") as c:
        # A table dimension may share a name with a root coordinate: groups are separate namespaces.
        assert list(c.policy.values) == ["baseline", "quota"]
        assert c.true_value_per_fte_mean.sel(policy="quota").item() == 2.5
    assert "S1" not in sw.data_vars  # the root dataset does not pull in group variables


def test_sweep_h5py_layout(sw_h5):
    for name in [EFFORT, EMA, "point", "status", "error"]:
        assert sw_h5[name].dims[0].keys() == ["run"], name
    for name, obj in sw_h5.items():
        if isinstance(obj, h5py.Dataset) and obj.ndim >= 2:
            assert obj.attrs["coordinates"] == SW_COORDINATES, name
    assert sw_h5[f"{SW_TABLE}/S1"].dims[0].keys() == ["parameter"]
    assert sw_h5["error"].asstr()[SW_FAILED] == SW_MESSAGE

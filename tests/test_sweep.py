"""Sweeps: grid and Latin-hypercube designs over dotted keys, every point on common
random numbers, one tidy table with the swept values; bad sweep files exit 2."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.experiment.sweeps import Axis, design_points, sweep
from tests.conftest import BASELINE, small_overrides


def test_a_grid_runs_every_combination_with_its_values_in_the_table():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))
    s = sweep(base, {"quota.revenue_per_month": {"values": [150_000.0, 200_000.0]},
                     "workforce.training.days": {"values": [20, 27, 30]}},
              replications=2, seed=3, workers=1)  # fmt: skip
    assert len(s.points) == 6 and list(s.points.columns) == [
        "point", "quota.revenue_per_month", "workforce.training.days"]  # fmt: skip
    m = s.metrics()
    assert len(m) == 12 and m["workforce.training.days"].dtype.kind == "i"
    assert set(m["scenario"]) == {f"{base.name}[{i}]" for i in range(6)}
    for point, res in s.results.items():  # every point: the same seed and replications
        assert res.manifest["seed"] == 3 and res.manifest["replications"] == 2
        row = s.points.set_index("point").loc[point]
        assert res.manifest["scenario"]["quota"]["revenue_per_month"] == row.iloc[0]
    # Common random numbers: the quota does not change what is sold on this small steady
    # team, so the revenue of a replication is the same at both quotas.
    rev = m.pivot_table(index=["workforce.training.days", "replication"],
                        columns="quota.revenue_per_month", values="revenue")  # fmt: skip
    np.testing.assert_allclose(rev[150_000.0], rev[200_000.0])


def test_a_latin_hypercube_puts_one_sample_in_every_stratum():
    """LHS with n samples: each of the n equal slices of every axis holds one sample; an
    integer axis of n values takes each value once."""
    n = 9
    pts = design_points({"a": Axis(low=10.0, high=19.0), "b": Axis(low=1, high=9, integer=True)},
                        "lhs", samples=n, design_seed=4)  # fmt: skip
    np.testing.assert_array_equal(np.sort(np.floor(pts["a"] - 10.0)), np.arange(n))
    np.testing.assert_array_equal(np.sort(pts["b"]), np.arange(1, 10))
    again = design_points({"a": Axis(low=10.0, high=19.0), "b": Axis(low=1, high=9, integer=True)},
                          "lhs", samples=n, design_seed=4)  # fmt: skip
    assert pts.equals(again)  # the design is reproducible from its seed


runner = CliRunner()


def write_sweep(tmp_path, **spec) -> str:
    quotas = {"quota.revenue_per_month": {"values": [150000, 180000]}}
    data = {"scenario": str(BASELINE), "design": "grid", "parameters": quotas, **spec}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"parameters": {"quota.bogus": {"values": [1]}}},
                     "sweep point 0: quota.bogus", id="unknown key"),
        pytest.param({"parameters": {"quota.revenue_per_month": {"values": [-5.0]}}},
                     "sweep point 0: quota.revenue_per_month = -5.0", id="value out of range"),
        pytest.param({"parameters": {"quota.revenue_per_month": {"low": 1.0, "high": 2.0}}},
                     "a grid lists values for every parameter", id="grid with bounds"),
        pytest.param({"design": "lhs"}, "an lhs design needs samples", id="lhs without samples"),
        pytest.param({"colour": "red"}, "colour", id="unknown field"),
        pytest.param({"scenario": "nowhere.yaml"}, "nowhere.yaml", id="missing scenario"),
    ],
)  # fmt: skip
def test_bad_sweep_files_exit_2(tmp_path, spec, message):
    result = runner.invoke(app, ["sweep", write_sweep(tmp_path, **spec), "-r", "1",
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_cli_sweep_prints_one_row_per_point(tmp_path):
    path = write_sweep(tmp_path)
    result = runner.invoke(app, ["sweep", path, "-r", "2", "-w", "1", "--no-progress",
                                 "--seed", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 points x 2 replications" in result.output
    assert "150000" in result.output and "180000" in result.output
    # The columns: the catalogue's sweep view, headed by its short labels, in its order.
    from simsales.metrics.catalogue import metric, shown_in

    head = result.stdout.splitlines()[1]
    at = [head.find(f" {metric(name).short_label}") for name in shown_in("sweep")]
    assert -1 not in at and at == sorted(at), head
    assert "revenue" not in head and "share_at_quota" not in head  # no code names

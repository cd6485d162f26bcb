"""Sensitivity (SALib): Sobol indices against a case whose indices are known, Morris
screening of a parameter with no effect, and the ``simsales sensitivity`` command."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from tests.conftest import BASELINE, small_overrides

pytest.importorskip("SALib", reason="sensitivity analysis needs simsales[sensitivity]")
from simsales.experiment.sensitivity import sensitivity  # noqa: E402

# Attainment of a steady team over 2 months: revenue does not depend on the quota (no
# quits, no attainment dismissals, a flat commission: nobody games) nor on the recruiting
# fee, so attainment = revenue / quota is a function of the quota alone.
PARAMETERS = {"quota.revenue_per_month": (120_000.0, 200_000.0),
              "workforce.hiring.cost_per_hire": (0.0, 10_000.0)}  # fmt: skip


@pytest.fixture(scope="module")
def steady():
    return simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))


def test_sobol_indices_of_a_metric_that_depends_on_one_parameter(steady):
    """Known indices: S1 = ST = 1 for the quota, 0 for the fee. The fee's are exactly 0
    (the outputs do not change with it); the quota's contain 1 within their 95% bounds."""
    res = sensitivity(steady, PARAMETERS, "attainment", "sobol", samples=32, replications=1)
    t = res.table.set_index("parameter")
    fee, quota = t.loc["workforce.hiring.cost_per_hire"], t.loc["quota.revenue_per_month"]
    assert fee["S1"] == 0 and fee["ST"] == 0
    for index in ("S1", "ST"):
        assert abs(quota[index] - 1) <= quota[f"{index}_conf"], (index, quota[index])
    assert len(res.samples) == 32 * (2 + 2)  # Saltelli without second order: N (D + 2)


def test_morris_screens_out_a_parameter_with_no_effect(steady):
    res = sensitivity(steady, PARAMETERS, "attainment", "morris", samples=6, replications=1)
    t = res.table.set_index("parameter")
    assert t.loc["workforce.hiring.cost_per_hire", "mu_star"] == 0
    assert t.loc["quota.revenue_per_month", "mu_star"] > 0
    fig = res.plot()
    ax = fig.axes[0]
    # Named by the catalogue's label, effects on a share in percentage points.
    assert ax.get_title() == "Team attainment (revenue as a share of quota): Morris screening"
    assert ax.get_xlabel() == "Morris mu*: mean |elementary effect| [percentage points]"
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(re.fullmatch(r"-?[\d,]+\.\d pp", t) for t in ticks), ticks
    assert len(ax.patches) == 2  # one bar per parameter


def test_a_metric_the_catalogue_does_not_have_is_refused_before_any_run(steady, monkeypatch):
    import simsales.experiment.sensitivity as sa

    def no_run(*args, **kwargs):
        raise AssertionError("ran a point for a metric that does not exist")

    monkeypatch.setattr(sa, "run_many", no_run)
    with pytest.raises(ValueError, match="metric 'happiness' is not a summary metric; allowed: "
                       "revenue, margin, "):  # fmt: skip
        sensitivity(steady, PARAMETERS, "happiness", "morris", samples=2, replications=1)


runner = CliRunner()


def write_spec(tmp_path, **more) -> str:
    data = {"scenario": str(BASELINE), "method": "morris", "samples": 2, "metric": "attainment",
            "parameters": {"quota.revenue_per_month": {"low": 120000.0, "high": 200000.0}},
            **more}  # fmt: skip
    path = tmp_path / "sens.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_cli_sensitivity_prints_indices_and_saves_the_plot(tmp_path):
    png, csv = tmp_path / "s.png", tmp_path / "s.csv"
    args = ["sensitivity", write_spec(tmp_path), "-r", "1", "-w", "1", "--no-progress",
            "--plot", str(png), "--out", str(csv)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "morris indices of attainment" in result.output and png.stat().st_size > 0
    table = pd.read_csv(csv)
    assert list(table["parameter"]) == ["quota.revenue_per_month"]
    assert np.isfinite(table["mu_star"]).all()


@pytest.mark.parametrize(
    ("more", "message"),
    [
        pytest.param({"metric": "happiness"}, "metric: 'happiness' is not a summary metric; "
                     "allowed: revenue, margin,", id="unknown metric"),
        pytest.param({"method": "fast"}, "method", id="unknown method"),
        pytest.param({"parameters": {"quota.bogus": {"low": 1.0, "high": 2.0}}}, "quota.bogus",
                     id="unknown parameter"),
    ],
)  # fmt: skip
def test_cli_sensitivity_bad_files_exit_2(tmp_path, more, message):
    result = runner.invoke(app, ["sensitivity", write_spec(tmp_path, **more), "-r", "1",
                                 "--no-progress"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output

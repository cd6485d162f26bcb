"""Extreme and hostile runs (issue 15): workers that outlive a killed command, reports of
odd scenario names, calibrations that cannot work, and sweep or sensitivity designs too
large to build or run unasked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import simsales
from tests.conftest import BASELINE, ROOT


# ------------------------------------------------------------- orphaned workers (item 12)
def _descendants_alive(procs: list, within: float) -> list[int]:
    """The pids of ``procs`` still running (zombies count as ended) after up to ``within`` s."""
    import psutil

    deadline = time.monotonic() + within
    while True:
        alive = []
        for p in procs:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p.pid)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def test_workers_and_the_resource_tracker_end_when_the_command_is_killed(tmp_path):
    """``kill -9`` of ``simsales run`` runs no clean-up in it; its two workers (busy with
    replications) and the multiprocessing resource tracker must still end within seconds."""
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "store"
    cmd = [sys.executable, "-m", "simsales", "run", str(BASELINE), "-r", "200", "-w", "2",
           "--no-progress", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, cwd=ROOT)  # fmt: skip
    children: list = []
    try:
        shards = out / "shards" / "baseline"
        deadline = time.monotonic() + 120
        while not shards.is_dir() or not any(p.name.isdigit() for p in shards.iterdir()):
            assert proc.poll() is None and time.monotonic() < deadline, "no replication finished"
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        lines = [" ".join(c.cmdline()) for c in children]
        assert sum("spawn_main" in line for line in lines) == 2, lines  # the workers, busy
        assert sum("resource_tracker" in line for line in lines) == 1, lines
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert _descendants_alive(children, within=10.0) == []
    finally:
        for child in children:  # do not leave them behind should the test fail
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------- calibrate and --scheduler (item 10)
def test_calibrate_on_a_horizon_too_short_for_f2_is_a_clear_error():
    """F2 counts leads entered RESOLVE_MONTHS (3) months before the last month: with 3
    reported months none counts, and calibrate says what horizon it needs (it gave a
    nan and a traceback); with 4 it runs."""
    from typer.testing import CliRunner

    from simsales.cli import app
    from simsales.experiment.calibration import (
        MIN_MONTHS,
        CalibrationError,
        calibrate_sign_probability,
    )
    from simsales.metrics.summary import RESOLVE_MONTHS

    assert MIN_MONTHS == RESOLVE_MONTHS + 1 == 4
    short = ["--set", "horizon.months=3", "--set", "horizon.warmup_months=0"]
    result = CliRunner().invoke(app, ["calibrate", "-r", "2", "-w", "1", "--no-progress", *short])
    assert result.exit_code == 2, result.output
    assert "horizon.months = 3: too short to calibrate F2" in result.output
    assert "needs horizon.months >= 4" in result.output
    assert "Traceback" not in result.output and "nan" not in result.output
    sc = simsales.load_scenario(BASELINE).with_overrides({"horizon.months": 3})
    with pytest.raises(CalibrationError, match="horizon.months >= 4"):
        calibrate_sign_probability(sc, replications=2, workers=1)


def test_a_team_that_signs_nothing_cannot_be_calibrated():
    """An evaluation whose F2 has no value (no lead counted) or is zero (none signed)
    stops the calibration with a clear error instead of scaling by nan or dividing by 0."""
    from simsales.experiment.calibration import CalibrationError, _signing

    row = {"mean": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0}
    with pytest.raises(CalibrationError, match="signed no lead counted by F2 in 2 replications"):
        _signing(row, 0.05, 2)
    with pytest.raises(CalibrationError, match="realised F2 0"):
        _signing({**row, "mean": 0.0}, 0.05, 2)
    assert _signing({**row, "mean": 0.04}, 0.05, 2)["mean"] == 0.04


@pytest.mark.parametrize("address", ["not a url", "tcp://host:notaport"])
def test_a_malformed_scheduler_address_is_a_clear_error(address):
    pytest.importorskip("distributed", reason="the Dask executor needs simsales[cluster]")
    from typer.testing import CliRunner

    from simsales.cli import app
    from simsales.experiment.executors import DaskCluster, ExecutorError

    with pytest.raises(ExecutorError, match="is not a Dask scheduler address"):
        DaskCluster(address=address, timeout=1.0)
    result = CliRunner().invoke(app, ["run", "-r", "2", "--no-progress", "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert f"{address!r} is not a Dask scheduler address" in result.output
    assert "give tcp://host:port" in result.output


# ----------------------------------------------------- sweep and sensitivity sizes (item 9)
def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def _sweep_file(tmp_path, parameters: str, design: str = "design: grid"):
    """A sweep file over the bundled baseline with these ``parameters`` (YAML lines)."""
    return _write(tmp_path / "sweep.yaml",
                  f"scenario: {BASELINE}\n{design}\nparameters:\n{parameters}")  # fmt: skip


BIG_GRID_KEYS = ("quota.revenue_per_month", "team.reps", "horizon.months",
                 "workforce.hiring.class_size", "leads.sign_probability")  # fmt: skip


def test_a_grid_too_large_is_refused_from_its_shape_before_any_point_is_built(
    tmp_path, monkeypatch
):
    """5 axes of 100 values: 10^10 points, refused at load (it built every point, running
    out of memory, before the 10,000-point cap was checked)."""
    from simsales.experiment import sweeps
    from simsales.scenario import ScenarioError

    def no_points(*_):
        raise AssertionError("a point of the grid was built")

    monkeypatch.setattr(sweeps.itertools, "product", no_points)
    values = str(list(range(1, 101)))
    lines = "".join(f"  {key}: {{values: {values}}}\n" for key in BIG_GRID_KEYS)
    with pytest.raises(ScenarioError) as err:
        sweeps.load_sweep(_sweep_file(tmp_path, lines))
    assert "parameters: the grid has 10,000,000,000 points (100 x 100 x 100 x 100 x 100 " \
           "values); at most 10,000 allowed" in str(err.value)  # fmt: skip
    axes = {key: sweeps.Axis(values=list(range(100))) for key in BIG_GRID_KEYS}
    with pytest.raises(ValueError, match="10,000,000,000 points"):
        sweeps.design_points(axes, "grid")
    with pytest.raises(ValueError, match="10,000,000,000 points"):
        sweeps.sweep(simsales.load_scenario(BASELINE), axes, "grid", replications=1)
    # A grid of 101 x 100 is just over the cap: refused at load too, not after building.
    lines = (f"  team.reps: {{values: {list(range(1, 102))}}}\n"
             f"  horizon.months: {{values: {values}}}\n")  # fmt: skip
    with pytest.raises(ScenarioError, match="10,100 points"):
        sweeps.load_sweep(_sweep_file(tmp_path, lines))


def test_an_lhs_axis_needs_finite_bounds(tmp_path):
    from simsales.experiment.sweeps import load_sweep
    from simsales.scenario import ScenarioError

    for low, high in ((100_000, ".inf"), ("-.inf", 100_000), (".nan", 100_000)):
        line = f"  quota.revenue_per_month: {{low: {low}, high: {high}}}\n"
        with pytest.raises(ScenarioError) as err:
            load_sweep(_sweep_file(tmp_path, line, "design: lhs\nsamples: 4"))
        field = "high" if high == ".inf" else "low"
        assert f"parameters.quota.revenue_per_month.{field}" in str(err.value)
        assert "finite number" in str(err.value)


def test_a_swept_name_is_refused(tmp_path):
    """Every point is named <base>[<point>]: a swept name was silently dropped."""
    from simsales.experiment.sweeps import load_sweep, sweep
    from simsales.scenario import ScenarioError

    lines = "  name: {values: [a, b]}\n  team.reps: {values: [40, 50]}\n"
    with pytest.raises(ScenarioError, match="parameters: name cannot be swept"):
        load_sweep(_sweep_file(tmp_path, lines))
    with pytest.raises(ValueError, match="name cannot be swept"):
        sweep(simsales.load_scenario(BASELINE), {"name": {"values": ["a", "b"]}}, replications=1)


def _sensitivity_file(tmp_path, samples: int = 2, method: str = "morris",
                      bounds: str = "{low: 120000, high: 200000}"):  # fmt: skip
    return _write(tmp_path / "sens.yaml",
                  f"scenario: {BASELINE}\nmethod: {method}\nsamples: {samples}\n"
                  f"metric: revenue\nparameters:\n  quota.revenue_per_month: {bounds}\n"
                  f"  leads.sign_probability: {{low: 0.03, high: 0.07}}\n")  # fmt: skip


SHORT = ["--set", "horizon.months=2", "--set", "horizon.warmup_months=0", "--no-progress"]


def test_sensitivity_does_not_overwrite_or_write_into_a_missing_folder(tmp_path):
    from typer.testing import CliRunner

    from simsales.cli import app

    spec = _sensitivity_file(tmp_path)
    kept = _write(tmp_path / "indices.csv", "kept\n")
    plot = _write(tmp_path / "plot.png", "kept\n")
    for option, path in (("--out", kept), ("--plot", plot)):
        result = CliRunner().invoke(app, ["sensitivity", str(spec), option, str(path), *SHORT])
        assert result.exit_code == 2, result.output
        assert f"{option} {path}: exists; add --force to replace it" in result.output
        assert path.read_text() == "kept\n"
    for option in ("--out", "--plot"):
        missing = tmp_path / "no_such_folder" / "x.csv"
        result = CliRunner().invoke(app, ["sensitivity", str(spec), option, str(missing), *SHORT])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert f"folder {missing.parent} does not exist" in result.output
    pytest.importorskip("SALib", reason="sensitivity needs simsales[sensitivity]")
    result = CliRunner().invoke(app, ["sensitivity", str(spec), "--out", str(kept), "--plot",
                                      str(plot), "--force", "-w", "1", *SHORT])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert kept.read_text().startswith("parameter,mu_star")
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_a_large_sensitivity_design_says_its_size_and_time_and_needs_yes(tmp_path, monkeypatch):
    """Sobol with 4,096 samples over 2 parameters: 4,096 x 4 = 16,384 points; it started
    without a word. Now the size and the estimated time come first, and --yes is needed."""
    from typer.testing import CliRunner

    from simsales.cli import app
    from simsales.experiment import sensitivity as sa

    assert sa.design_size("sobol", 4096, 10) == 49_152  # the design
    assert sa.design_size("morris", 10, 3) == 40
    assert sa.estimated_seconds(0.1, 2_000, 2, 4) == pytest.approx(100.0)
    monkeypatch.setattr(sa, "seconds_per_replication", lambda base, seed=0: 0.1)
    spec = _sensitivity_file(tmp_path, samples=4096, method="sobol")
    result = CliRunner().invoke(app, ["sensitivity", str(spec), "-w", "2", *SHORT])
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    # 16,384 points x 2 replications x 0.1 s / 2 workers = 1,638 s, about 27 min
    assert lines[0] == "sobol design: 16,384 points x 2 replications; estimated run time " \
                       "about 27 min"  # fmt: skip
    assert "the design has 16,384 points, more than 2,000; add --yes" in lines[1]
    calls = []
    monkeypatch.setattr(sa, "sample_points", lambda *a: calls.append(a) or sa.np.zeros((0, 2)))
    monkeypatch.setattr(sa, "sensitivity", lambda *a, **k: (_ for _ in ()).throw(ValueError("x")))
    result = CliRunner().invoke(app, ["sensitivity", str(spec), "--yes", "-w", "2", *SHORT])
    assert calls and result.exit_code == 2  # past the question: sampled, then the fake fails


def test_sensitivity_bounds_must_be_finite_and_ordered(tmp_path):
    from simsales.experiment.sensitivity import load_sensitivity
    from simsales.scenario import ScenarioError

    cases = (("{low: 120000, high: .inf}", "high", "finite number"),
             ("{low: 200000, high: 120000}", "", "must be above low"))  # fmt: skip
    for bounds, field, says in cases:
        with pytest.raises(ScenarioError) as err:
            load_sensitivity(_sensitivity_file(tmp_path, bounds=bounds))
        assert f"parameters.quota.revenue_per_month{'.' + field if field else ''}" in str(
            err.value
        ) and says in str(err.value)


def test_sweep_and_sensitivity_files_have_the_scenario_size_cap(tmp_path):
    from simsales.experiment.sensitivity import load_sensitivity
    from simsales.experiment.sweeps import load_sweep
    from simsales.scenario import ScenarioError
    from simsales.scenario.loader import MAX_FILE_BYTES

    padding = "#" * 100 + "\n"
    big = "\n" + padding * (MAX_FILE_BYTES // len(padding) + 1)
    sweep_file = _sweep_file(tmp_path, "  team.reps: {values: [40, 50]}\n" + big)
    sens_file = _write(tmp_path / "s.yaml", _sensitivity_file(tmp_path).read_text() + big)
    for load, path in ((load_sweep, sweep_file), (load_sensitivity, sens_file)):
        with pytest.raises(ScenarioError):
            load(path)


# ------------------------------------------------------ report of odd scenarios (item 8)
def test_a_report_of_two_scenarios_that_differ_only_in_name():
    """The same inputs under two names: every difference is exactly 0, and the report says
    the inputs are the same (the issue saw a KeyError here; not reproduced since)."""
    import matplotlib

    matplotlib.use("Agg")
    from simsales.present.report import render_report
    from tests.conftest import small_overrides

    sc = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=4))
    comparison = simsales.compare([sc, sc.with_overrides({"name": "same_again"})],
                                  replications=3, seed=2, workers=1)  # fmt: skip
    table = comparison.table()
    known = table["difference"].dropna()
    assert len(known) > 20 and (known == 0).all()
    html = render_report(comparison, {}, "same inputs")
    assert "<strong>same_again</strong>: the same inputs as the baseline." in html

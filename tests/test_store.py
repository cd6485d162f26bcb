"""The results store loses nothing: a run killed mid-way and run again computes only the
missing replications, each exactly once, and gives the tables of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.experiment.results import TABLES
from tests.conftest import BASELINE

REPLICATIONS = 60  # about 5 s of work: time to kill it after the first few shards


def command(out: Path, seed: int = 4) -> list[str]:
    return [sys.executable, "-m", "simsales", "run", str(BASELINE), "-r", str(REPLICATIONS),
            "-w", "1", "--seed", str(seed), "--no-progress", "--out", str(out)]  # fmt: skip


def shards(out: Path) -> list[str]:
    folder = out / "shards" / "baseline"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_killed_run_resumes_to_exactly_the_uninterrupted_tables(tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len([s for s in shards(out) if s.isdigit()]) < 3:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no shard appeared"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = [s for s in shards(out) if s.isdigit()]
    assert 3 <= len(partial) < REPLICATIONS
    for name in partial:  # a shard is whole (its tables and their checksums) or absent
        assert sorted(p.name for p in (out / "shards" / "baseline" / name).iterdir()) == sorted(
            [*(f"{t}.parquet" for t in TABLES), "shard.json"]
        )
    done = subprocess.run(command(out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "recomputing" not in done.stderr  # every shard a kill leaves is whole
    assert [s for s in shards(out) if s.isdigit()] == sorted(str(r) for r in range(REPLICATIONS))
    fresh = tmp_path / "fresh"
    assert subprocess.run(command(fresh), capture_output=True, timeout=300).returncode == 0
    resumed, whole = simsales.load_results(out), simsales.load_results(fresh)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(resumed, table), getattr(whole, table))
    tm = resumed.team_month
    assert tm.groupby("replication").size().to_dict() == {r: 12 for r in range(REPLICATIONS)}


runner = CliRunner()
TINY = ["-r", "2", "-w", "1", "--no-progress", "--set", "horizon.months=1",
        "--set", "horizon.warmup_months=0"]  # fmt: skip


def test_a_folder_of_another_run_is_refused_unless_forced(tmp_path):
    out = tmp_path / "store"
    assert runner.invoke(app, ["run", *TINY, "--seed", "1", "--out", str(out)]).exit_code == 0
    other = runner.invoke(app, ["run", *TINY, "--seed", "2", "--out", str(out)])
    assert other.exit_code == 2 and "holds the results of another run (seed 1" in other.output
    forced = runner.invoke(app, ["run", *TINY, "--seed", "2", "--out", str(out), "--force"])
    assert forced.exit_code == 0
    assert simsales.load_results(out).manifest["seed"] == 2


def test_a_folder_that_is_not_a_store_is_refused(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["run", *TINY, "--out", str(out)])
    assert result.exit_code == 2 and "not a simsales results store" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_killed_sweep_resumes_with_every_replication_once(tmp_path):
    """A 2-point sweep killed while its first point runs: run again, every point holds
    each of its replications exactly once, and the tidy table equals a fresh sweep's."""
    import yaml

    spec = tmp_path / "sweep.yaml"
    spec.write_text(yaml.safe_dump({"scenario": str(BASELINE), "design": "grid", "parameters": {
        "quota.revenue_per_month": {"values": [150000.0, 180000.0]}}}))  # fmt: skip
    reps = 30

    def sweep_cmd(out: Path) -> list[str]:
        return [sys.executable, "-m", "simsales", "sweep", str(spec), "-r", str(reps), "-w",
                "1", "--seed", "3", "--no-progress", "--out", str(out)]  # fmt: skip

    out = tmp_path / "killed"
    first = out / "point_0" / "shards" / "baseline[0]"
    proc = subprocess.Popen(sweep_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not first.is_dir() or len([p for p in first.iterdir() if p.name.isdigit()]) < 3:
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "no shard appeared"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "point_1" / "shards").exists() or len(list(first.iterdir())) < reps
    done = subprocess.run(sweep_cmd(out), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for point in (0, 1):
        folder = out / f"point_{point}" / "shards" / f"baseline[{point}]"
        assert sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) == list(
            range(reps)
        )
    fresh = tmp_path / "fresh"
    assert subprocess.run(sweep_cmd(fresh), capture_output=True, timeout=300).returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sweep_metrics.parquet"),
                                  pd.read_parquet(fresh / "sweep_metrics.parquet"))  # fmt: skip

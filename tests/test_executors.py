"""Executors: the same tables in this process, on local processes and on a Dask cluster;
results gathered by key; an unusable cluster is a clear error (exit 2 from the CLI)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.experiment.executors import DaskCluster, ExecutorError, InProcess, LocalProcesses
from simsales.experiment.results import TABLES
from tests.conftest import BASELINE, small_overrides


@pytest.fixture(scope="module")
def small():
    return simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))


def same_tables(a: simsales.Results, b: simsales.Results) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)


def test_every_executor_gives_identical_tables(small):
    """In-process, 2 local processes and a 2-process Dask LocalCluster: identical tables
    for the same scenario, seed and replications (results are stored by replication,
    never in completion order)."""
    pytest.importorskip("distributed", reason="the Dask executor needs simsales[cluster]")
    ref = simsales.run(small, replications=5, seed=9, executor=InProcess())
    same_tables(ref, simsales.run(small, replications=5, seed=9, executor=LocalProcesses(2)))
    with DaskCluster(local_workers=2) as cluster:
        same_tables(ref, simsales.run(small, replications=5, seed=9, executor=cluster))


def test_executors_yield_every_task_with_its_key():
    """Tasks of very different sizes on 2 processes finish in any order; each result
    comes back under its own index (a builtin, so it pickles for spawned workers)."""
    items = [(7, n) for n in (200_000, 3, 50_000, 1, 100_000, 2)]
    expected = {i: pow(*item) for i, item in enumerate(items)}
    assert dict(LocalProcesses(2).imap(pow, items)) == expected
    assert dict(InProcess().imap(pow, items)) == expected


def test_an_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed", reason="the Dask executor needs simsales[cluster]")
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        DaskCluster(address="tcp://127.0.0.1:9", timeout=1.0)
    result = CliRunner().invoke(
        app, ["run", "-r", "2", "--no-progress", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.output


def test_scheduler_and_local_cluster_together_are_refused():
    result = CliRunner().invoke(
        app, ["run", "-r", "2", "--no-progress", "--scheduler", "tcp://x:1", "--dask-local", "2"]
    )
    assert result.exit_code == 2 and "give at most one" in result.output

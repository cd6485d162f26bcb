"""Sweeps and comparisons hand all their scenarios' tasks to the workers at once (one
``imap``), with exactly the tables of separate runs; stored runs still store every
replication as it finishes, and a rerun simulates nothing."""

from __future__ import annotations

import pytest

import simsales
from simsales.experiment.executors import LocalProcesses
from tests.conftest import BASELINE, small_overrides
from tests.test_reproducible import assert_same_tables


class Recording:
    """Local processes that remember the number of tasks of every ``imap`` call."""

    def __init__(self, workers: int = 2):
        self.inner = LocalProcesses(workers)
        self.workers = workers
        self.calls: list[int] = []

    def imap(self, fn, items):
        self.calls.append(len(items))
        yield from self.inner.imap(fn, items)


@pytest.fixture(scope="module")
def base():
    return simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=1))


def test_a_sweep_is_one_batch_with_the_tables_of_separate_runs(base):
    quotas = [140_000.0, 150_000.0, 160_000.0, 170_000.0]
    ex, ticks = Recording(), []
    s = simsales.sweep(base, {"quota.revenue_per_month": {"values": quotas}}, replications=3,
                       seed=5, executor=ex, progress=lambda d, t: ticks.append((d, t)))  # fmt: skip
    assert len(ex.calls) == 1 and ex.calls[0] >= len(quotas)  # every point's tasks at once
    assert ticks[-1] == (12, 12) and [d for d, _ in ticks] == sorted(d for d, _ in ticks)
    for point, quota in enumerate(quotas):
        named = f"{base.name}[{point}]"
        alone = base.with_overrides({"quota.revenue_per_month": quota, "name": named})
        assert_same_tables(s.results[point], simsales.run(alone, replications=3, seed=5, workers=1))


def test_a_stored_comparison_is_one_batch_stores_every_replication_and_resumes(base, tmp_path):
    other = base.with_overrides({"name": "more_calls", "leads.hq_leads_per_rep_day": 0.7})
    ex = Recording()
    c = simsales.compare([base, other], replications=3, seed=2, executor=ex, out=tmp_path)
    assert len(ex.calls) == 1
    for sc in (base, other):
        shards = tmp_path / "shards" / sc.name
        assert sorted(int(p.name) for p in shards.iterdir() if p.name.isdigit()) == [0, 1, 2]
        assert_same_tables(c.results[sc.name], simsales.run(sc, replications=3, seed=2, workers=1))
    again = Recording()
    resumed = simsales.compare([base, other], replications=3, seed=2, executor=again,
                               out=tmp_path)  # fmt: skip
    assert again.calls == [0]  # everything was stored: nothing to simulate
    for name, res in c.results.items():
        assert_same_tables(resumed.results[name], res)

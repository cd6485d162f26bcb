"""Run many replications of a scenario, in-process or on local worker processes, and
compare scenarios run with common random numbers."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simsales.experiment.executors import Executor, InProcess, LocalProcesses, default_executor
from simsales.experiment.memory import check_fits
from simsales.experiment.results import TABLES, Results
from simsales.metrics.catalogue import CATALOGUE, PRECISION
from simsales.scenario.schema import Scenario
from simsales.simulate import Columns, simulate_many

if TYPE_CHECKING:
    from simsales.experiment.store import ResultsStore

Progress = Callable[[int, int], None]  # (replications done, total)


class ProgressBar:
    """``progress=True``: a ``tqdm.auto`` bar (terminal or notebook) as a Progress."""

    def __init__(self, total: int, desc: str = "replications"):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="rep", leave=False)

    def __call__(self, done: int, total: int) -> None:
        self.bar.total = total
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()


def as_progress(progress: Progress | bool | None, total: int) -> Progress | None:
    """A callback from ``progress``: True for a bar, a callable as is, else None."""
    if progress is True:
        return ProgressBar(total)
    return progress or None


class OverallProgress:
    """Progress of a task made of several runs (a search, an optimisation), each of which
    counts only its own replications: ``run_many`` runs the next part, its progress
    offset by the parts before it, on a bar of ``total`` (an estimate: kept below it)."""

    def __init__(self, progress: Progress | bool | None, total: int):
        self.bar, self.total, self.done = as_progress(progress, total), total, 0

    def run_many(
        self,
        scenarios: Sequence[Scenario],
        replications: int,
        seed: int,
        executor: Executor,
        stores: Sequence[ResultsStore | None] | None = None,
    ) -> list[Results]:
        """``run_many`` as the next part of the whole."""
        bar, start, total = self.bar, self.done, self.total
        step = None if bar is None else (lambda d, _t: bar(min(start + d, total), total))
        results = run_many(scenarios, replications, seed, executor, step, stores)
        self.done += replications * len(scenarios)
        return results

    def finish(self) -> None:
        """The whole is done (a search may end before its estimated total)."""
        if self.bar is not None:
            self.bar(self.total, self.total)


def run(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | bool | None = None,
    executor: Executor | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
) -> Results:
    """Simulate ``replications`` independent team-years of ``scenario``.

    Replication r uses random streams spawned from ``(seed, r)`` only, so results
    are identical for any ``workers`` or ``executor`` and two scenarios with the same
    seed share random numbers (common random numbers). ``workers=None`` uses every core;
    ``workers=1`` runs in this process; worker processes start on the first call and serve
    later calls too (in a script, call ``run`` under ``if __name__ == "__main__":``);
    ``executor`` (``simsales.experiment.executors``: in-process, local processes or a Dask cluster)
    overrides ``workers``. ``progress(done, total)``
    is called as replications finish; ``progress=True`` shows a ``tqdm.auto`` bar
    (terminal or notebook). With ``out``, each replication is stored in that
    folder as it finishes (``simsales.experiment.store``) and a rerun computes only what is missing;
    a folder of another run is refused (``StoreError``) unless ``force``.
    """
    check_run([scenario], replications, seed, workers)
    if executor is None:
        executor = default_executor(workers, tasks=replications)
    store = open_store(out, [scenario], seed, force) if out is not None else None
    progress = as_progress(progress, replications)
    return run_many([scenario], replications, seed, executor, progress, [store])[0]


def check_run(scenarios: Sequence[Scenario], replications: int, seed: int,
              workers: int | None) -> None:  # fmt: skip
    """TypeError or ValueError for arguments no run accepts."""
    for scenario in scenarios:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a simsales Scenario, got {type(scenario).__name__}")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")


def run_many(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor,
    progress: Progress | None = None,
    stores: Sequence[ResultsStore | None] | None = None,
) -> list[Results]:
    """Replications 0..``replications``-1 of every scenario with ``seed``, all scenarios'
    worker tasks submitted at once, so workers stay busy from one scenario to the next
    (``progress(done, total)`` counts replications of all of them). With ``stores`` (one
    per scenario, or None), replications already stored are read back, the others stored
    as each finishes, and the tables read from the store: a resumed run gives exactly the
    tables of an uninterrupted one. A scenario whose replications would not fit in this
    machine's memory, as many at once as local workers, is refused first (``ScenarioError``,
    ``experiment.memory``)."""
    local = isinstance(executor, (InProcess, LocalProcesses))
    for sc in scenarios:
        check_fits(sc, min(executor.workers, replications) if local else 1)
    stores = list(stores) if stores is not None else [None] * len(scenarios)
    wanted = list(range(replications))
    todo = [wanted if store is None else sorted(set(wanted) - store.done(sc.name))
            for sc, store in zip(scenarios, stores, strict=True)]  # fmt: skip
    total = replications * len(scenarios)
    have = total - sum(map(len, todo))
    step = (lambda d, _t: progress(have + d, total)) if progress else None

    def write(job: int, r: int, columns: Columns) -> None:
        store = stores[job]
        if store is not None:
            store.write(scenarios[job].name, r, columns)

    jobs = list(zip(scenarios, todo, strict=True))
    in_memory = [store is None for store in stores]  # stored ones are read back below
    runs = simulate_batch(jobs, seed, executor, step, write, keep=in_memory)
    if progress and have == total:
        progress(total, total)
    results = []
    for sc, store, done in zip(scenarios, stores, runs, strict=True):
        tables = assemble(sc.name, done if store is None else store.read(sc.name, wanted))
        results.append(Results(**tables, manifest=manifest(sc, seed, replications)))
    return results


def simulate_batch(
    jobs: Sequence[tuple[Scenario, list[int]]],
    seed: int,
    executor: Executor,
    progress: Progress | None = None,
    on_done: Callable[[int, int, Columns], None] | None = None,
    keep: Sequence[bool] | None = None,
) -> list[dict[int, Columns]]:
    """The columns of each job's replications (a job: a scenario and its replications),
    keyed by replication, in one ``executor.imap`` over every job's tasks;
    ``on_done(job, replication, columns)`` is called as each finishes (e.g. to store it).
    A job whose ``keep`` is False returns no columns (``on_done`` had them)."""
    tasks = _tasks([len(reps) for _, reps in jobs], executor)
    items = [(jobs[j][0], [jobs[j][1][i] for i in chunk], seed) for j, chunk in tasks]
    runs: list[dict[int, Columns]] = [{} for _ in jobs]
    total, done = sum(len(reps) for _, reps in jobs), 0
    for t, finished in executor.imap(simulate_many, items):  # keyed results: order is free
        job = tasks[t][0]
        for r, columns in finished.items():
            if keep is None or keep[job]:
                runs[job][r] = columns
            if on_done:
                on_done(job, r, columns)
        done += len(finished)
        if progress:
            progress(done, total)
    return runs


def simulate_replications(
    scenario: Scenario,
    replications: list[int],
    seed: int,
    executor: Executor,
    progress: Progress | None = None,
    on_done: Callable[[int, Columns], None] | None = None,
) -> dict[int, Columns]:
    """The columns of each of ``replications`` of one scenario, keyed by replication;
    ``on_done(r, columns)`` is called as each finishes (e.g. to store it at once)."""
    each = (lambda _job, r, columns: on_done(r, columns)) if on_done else None
    return simulate_batch([(scenario, replications)], seed, executor, progress, each)[0]


@dataclass
class Comparison:
    """Scenarios run with the same seed and replications, and their paired comparison."""

    baseline: str
    results: dict[str, Results]  # by scenario name, in the order given

    def metrics(self) -> pd.DataFrame:
        """Headline metrics of every scenario, one row per (scenario, replication)."""
        return pd.concat([r.metrics() for r in self.results.values()])

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each scenario's own summary (mean, CI, percentiles), one block after another."""
        return pd.concat([r.summary(confidence) for r in self.results.values()], ignore_index=True)

    def table(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario and metric, the paired difference to the baseline with its
        t-interval, Holm-adjusted p-value and P(better) (``metrics.compare``)."""
        from simsales.metrics.compare import paired_comparison

        return paired_comparison(self.metrics(), self.baseline, confidence)

    def by_month(self, metric: str = "revenue", confidence: float = 0.95) -> pd.DataFrame:
        """Month by month, each scenario's paired difference to the baseline in a
        ``team_month`` column, with its t-interval and the plan in force
        (``metrics.compare.monthly_differences``): how a dated change plays out."""
        from simsales.metrics.compare import monthly_differences

        team_month = pd.concat([r.team_month for r in self.results.values()], ignore_index=True)
        return monthly_differences(team_month, metric, self.baseline, confidence)


def compare(
    scenarios: Sequence[Scenario],
    replications: int = 20,
    seed: int = 0,
    baseline: str | None = None,
    workers: int | None = None,
    progress: Progress | bool | None = None,
    executor: Executor | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
) -> Comparison:
    """Run every scenario with the same ``seed`` and replications 0..``replications``-1
    (common random numbers) and compare each with ``baseline`` (a scenario name; the
    first scenario by default). Scenario names must differ. With ``out``, every
    replication of every scenario is stored as it finishes and a rerun resumes (``run``)."""
    scenarios = list(scenarios)
    if len(scenarios) < 2:
        raise ValueError(f"compare needs at least 2 scenarios, got {len(scenarios)}")
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(
            f"scenario names must differ to be compared; repeated: {twice}; give each a "
            'name, e.g. with_overrides({"name": "more_reps", ...}) or name: in the file'
        )
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {names}")
    check_run(scenarios, replications, seed, workers)
    if executor is None:
        executor = default_executor(workers, tasks=replications * len(scenarios))
    store = open_store(out, scenarios, seed, force) if out is not None else None
    progress = as_progress(progress, replications * len(scenarios))
    results = run_many(scenarios, replications, seed, executor, progress, [store] * len(scenarios))
    return Comparison(baseline, {sc.name: res for sc, res in zip(scenarios, results, strict=True)})


def run_until_precise(
    scenario: Scenario,
    precision: float = 0.05,
    batch: int = 10,
    max_replications: int = 500,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | bool | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    metrics: Sequence[str] = PRECISION,
) -> Results:
    """Run replications ``batch`` at a time until every one of ``metrics`` (by default the
    metric catalogue's precision view: revenue and its main drivers) has a 95%
    t-interval half-width of at most ``precision`` x |its mean|, or ``max_replications``
    are done. ``manifest["precision"]`` records the target, the replications run and the
    metrics still imprecise (empty when the target was met)."""
    if not 0 < precision < 1:
        raise ValueError(f"precision must lie strictly between 0 and 1, got {precision}")
    if batch < 2:
        raise ValueError(f"batch must be >= 2 (an interval needs 2 replications), got {batch}")
    if max_replications < batch:
        raise ValueError(f"max_replications ({max_replications}) must be >= batch ({batch})")
    unknown = [name for name in metrics if name not in CATALOGUE]
    if unknown or not metrics:
        raise ValueError(f"metrics must be one or more names of the metric catalogue "
                         f"(simsales.metrics.catalogue.CATALOGUE); got {list(metrics)}, "
                         f"unknown: {unknown}")  # fmt: skip
    if executor is None:
        executor = default_executor(workers, tasks=batch)
    store = open_store(out, [scenario], seed, force) if out is not None else None
    progress = as_progress(progress, max_replications)
    runs: dict[int, Columns] = {}
    while True:
        new = list(range(len(runs), min(len(runs) + batch, max_replications)))
        if store is None:
            runs.update(simulate_replications(scenario, new, seed, executor))
        else:
            runs.update(_stored_run(store, scenario, new, seed, executor, None))
        res = Results(**assemble(scenario.name, runs), manifest=manifest(scenario, seed, len(runs)))
        imprecise = imprecise_metrics(res.summary(), precision, metrics)
        if progress:
            progress(len(runs), max_replications)
        if not imprecise or len(runs) >= max_replications:
            break
    res.manifest["precision"] = {"target": precision, "metrics": list(metrics),
                                 "replications": len(runs), "imprecise": imprecise}  # fmt: skip
    return res


def imprecise_metrics(summary: pd.DataFrame, precision: float, metrics: Sequence[str]) -> list[str]:
    """The ``metrics`` whose 95% interval half-width exceeds ``precision`` x |mean|."""
    s = summary.set_index("metric")
    out = []
    for metric in metrics:
        mean, low, high = s.loc[metric, ["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
        half = (high - low) / 2
        if not np.isfinite(half) or half > precision * abs(mean):
            out.append(metric)
    return out


def open_store(out, scenarios: list[Scenario], seed: int, force: bool):
    """The results store in ``out`` for these scenarios and seed (``simsales.experiment.store``)."""
    from simsales.experiment.store import ResultsStore

    hashes = {s.name: scenario_hash(s) for s in scenarios}
    return ResultsStore(out, hashes, seed, manifest(scenarios[0], seed, 0)["versions"], force)


def _stored_run(store, scenario, wanted, seed, executor, progress) -> dict[int, Columns]:
    """Replications ``wanted`` of ``scenario``: those stored, read back; the others
    simulated and stored one by one as they finish; all read from the store, so a
    resumed run gives exactly the tables of an uninterrupted one."""
    missing = sorted(set(wanted) - store.done(scenario.name))
    have = len(wanted) - len(missing)
    step = (lambda d, _t: progress(have + d, len(wanted))) if progress else None
    if missing:

        def keep(r: int, columns: Columns) -> None:
            store.write(scenario.name, r, columns)

        simulate_replications(scenario, missing, seed, executor, step, on_done=keep)
    elif progress:
        progress(len(wanted), len(wanted))
    return store.read(scenario.name, wanted)


# Replications per worker task: enough tasks for balanced load and a progress bar that
# moves, few enough that sending the scenario and the tables costs nothing noticeable.
CHUNKS_PER_WORKER = 4
MAX_CHUNK = 10


def _tasks(jobs: Sequence[int], executor: Executor) -> list[tuple[int, list[int]]]:
    """Worker tasks for jobs of ``jobs[j]`` replications: (job, positions in the job's
    list), one replication each in this process, else sized by the total work and never
    mixing jobs. Grouping changes speed only, since each replication draws from its own
    streams."""
    total = sum(jobs)
    if isinstance(executor, InProcess):
        size = 1
    else:
        size = max(1, min(MAX_CHUNK, -(-total // (executor.workers * CHUNKS_PER_WORKER))))
    return [(j, list(range(i, min(i + size, n)))) for j, n in enumerate(jobs)
            for i in range(0, n, size)]  # fmt: skip


def assemble(scenario_name: str, runs: dict[int, Columns]) -> dict[str, pd.DataFrame]:
    """Tidy DataFrames with ``scenario`` and ``replication`` first, rows sorted by key."""
    order = sorted(runs)
    out = {}
    for table in TABLES:
        parts = [runs[r][table] for r in order]
        lengths = [len(next(iter(p.values()))) for p in parts]
        cols = {
            "scenario": np.full(sum(lengths), scenario_name, dtype=object),
            "replication": np.repeat(np.asarray(order, dtype=np.int64), lengths),
        }
        for name in parts[0]:
            cols[name] = np.concatenate([p[name] for p in parts])
        out[table] = pd.DataFrame(cols)
    return out


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: equal hashes mean equal inputs."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(scenario: Scenario, seed: int, replications: int) -> dict:
    """What was run and with which software, saved beside the tables."""
    return {
        "scenario": scenario.model_dump(mode="json"),
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "replications": replications,
        "days_per_month": scenario.horizon.days_per_month,
        "versions": {
            "simsales": _version("simsales"),
            "simpy": _version("simpy"),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": platform.python_version(),
        },
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"

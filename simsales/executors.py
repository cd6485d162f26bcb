"""Where replications run: in this process, on local worker processes, or on a Dask
cluster. One small interface: ``imap(fn, items)`` yields ``(index, fn(*items[index]))``
as tasks finish; callers store results by key, never by completion order, so every
executor gives the same tables.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol


class ExecutorError(RuntimeError):
    """An executor cannot be used (e.g. a Dask scheduler that does not answer)."""


class Executor(Protocol):
    workers: int  # tasks that can run at once (for chunking)

    def imap(self, fn: Callable[..., Any], items: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
        """Run ``fn(*item)`` for every item; yield (index, result) as each finishes."""
        ...


class InProcess:
    """Run tasks one after another in this process."""

    workers = 1

    def imap(self, fn, items):
        for i, item in enumerate(items):
            yield i, fn(*item)


class LocalProcesses:
    """A pool of ``workers`` local processes (``spawn``: safe beside threads, e.g. in
    Jupyter or with BLAS)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")

    def imap(self, fn, items):
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=ctx) as pool:
            futures = {pool.submit(fn, *item): i for i, item in enumerate(items)}
            try:
                for fut in as_completed(futures):
                    yield futures[fut], fut.result()
            except BaseException:  # Ctrl-C, a failed task, or the caller stopped early
                pool.shutdown(wait=True, cancel_futures=True)
                raise


class DaskCluster:
    """A ``dask.distributed`` cluster: at ``address`` (``tcp://host:port``), or a
    ``LocalCluster`` of ``local_workers`` processes started and stopped here.
    Needs the ``simsales[cluster]`` extra."""

    def __init__(self, address: str | None = None, local_workers: int | None = None,
                 timeout: float = 10.0):  # fmt: skip
        if (address is None) == (local_workers is None):
            raise ValueError("give exactly one of address and local_workers")
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ExecutorError(
                "the Dask executor needs the cluster extra: pip install 'simsales[cluster]'"
            ) from exc
        self._cluster = None
        try:
            if address is None:
                self._cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None)  # fmt: skip
                self.client = Client(self._cluster, timeout=timeout)
            else:
                self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def imap(self, fn, items):
        from distributed import as_completed as dask_completed

        futures = [self.client.submit(fn, *item, pure=False) for item in items]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in dask_completed(futures):
                yield index[fut.key], fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def default_executor(workers: int | None) -> Executor:
    """In this process for one worker, else local processes (all cores by default)."""
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers == 1 else LocalProcesses(workers)

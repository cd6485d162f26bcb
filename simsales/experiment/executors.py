"""Where replications run: in this process, on local worker processes, or on a Dask
cluster. One small interface: ``imap(fn, items)`` yields ``(index, fn(*items[index]))``
as tasks finish; callers store results by key, never by completion order, so every
executor gives the same tables.

Local worker processes are started once per process and worker count and kept for
every later call (``shared_pool``): starting one costs about a second and a half
(it imports simsales and loads the compiled working day), which a sweep, a comparison
or a notebook would otherwise pay on every call. They are closed at exit, or by
``close_pools()``; a worker whose parent ends without closing them (``kill -9``, a
crash) ends too, within a second.
"""

from __future__ import annotations

import ast
import atexit
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import tokenize
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import FrameType, ModuleType
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
    """Tasks on ``workers`` local processes (``spawn``: safe beside threads, e.g. in
    Jupyter or with BLAS), taken from the pool this process keeps for that worker count
    (``shared_pool``): only the first call starts them."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")

    def imap(self, fn, items):
        if not items:
            return
        try:
            pool, futures = _submit(shared_pool(self.workers), self.workers, fn, items)
        except BrokenProcessPool:  # it broke while idle (a worker killed between calls)
            try:
                pool, futures = _submit(shared_pool(self.workers), self.workers, fn, items)
            except BrokenProcessPool as exc:
                raise ExecutorError(BROKEN) from exc
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        except BrokenProcessPool as exc:
            _discard(self.workers, pool)
            raise ExecutorError(BROKEN) from exc
        except KeyboardInterrupt:  # stop at once: abandoned tasks must not hold the cores
            if any(f.running() for f in futures):
                _discard(self.workers, pool, terminate=True)
            raise
        finally:  # a failed task, Ctrl-C or a caller that stopped early: drop the rest
            for fut in futures:
                fut.cancel()


BROKEN = (
    "a worker process stopped abruptly (killed, out of memory, or it failed to start: a "
    'script that runs simulations at its top level needs `if __name__ == "__main__":`); '
    "the workers are started afresh on the next call"
)

# The shared pools of this process, by worker count; reset in a forked child.
_pools: dict[int, ProcessPoolExecutor] = {}
_pools_owner = os.getpid()
_pools_lock = threading.Lock()


def shared_pool(workers: int) -> ProcessPoolExecutor:
    """This process's pool of ``workers`` spawned processes, started on first use and
    kept for later calls. Raises ExecutorError, before starting any process, when called
    from a script's top-level code that the workers would run again (no
    ``if __name__ == "__main__":``)."""
    global _pools_owner
    with _pools_lock:
        if _pools_owner != os.getpid():  # a forked child: its parent's pools are not its own
            _pools.clear()
            _pools_owner = os.getpid()
        pool = _pools.get(workers)
        if pool is None:
            _refuse_while_bootstrapping()
            check_main_guard()
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_start_worker)  # fmt: skip
            for _ in range(workers):  # start every worker now; left to itself the pool
                pool.submit(os.getpid)  # would start fewer once some sit idle
            _pools[workers] = pool
        return pool


def _start_worker() -> None:
    """In a worker, as it starts: leave Ctrl-C to the parent, and end with the parent."""
    _ignore_ctrl_c()
    _exit_with_parent()


def _ignore_ctrl_c() -> None:
    """Ctrl-C in a terminal reaches every process of the group; the parent handles it
    (and stops the workers), so a worker does not print a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_with_parent() -> None:
    """End this worker as soon as its parent process ends, however it ends (``kill -9``
    too, which runs no clean-up in the parent): a daemon thread waits on the parent's
    sentinel (a pipe only the parent holds open, readable once it closes) and then
    leaves at once, abandoning the task in hand, whose result nobody would read. With
    every worker gone, the resource tracker ends too (its pipe closes)."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: no parent to watch
        return
    threading.Thread(target=_exit_when_ready, args=(parent.sentinel,),
                     name="simsales-parent-watch", daemon=True).start()  # fmt: skip


def _exit_when_ready(sentinel: int) -> None:
    """Wait until ``sentinel`` is ready (the parent ended), then end this process."""
    multiprocessing.connection.wait([sentinel])
    os._exit(EXIT_PARENT_GONE)


# A worker's exit code when its parent ended: 128 + SIGHUP, as a shell gives a process
# whose terminal went away (assumption: no standard code; nobody is left to read it).
EXIT_PARENT_GONE = 128 + 1


def close_pools() -> None:
    """Stop the shared worker processes (done at exit; the next call starts new ones, e.g.
    after editing simsales in a notebook session)."""
    with _pools_lock:
        pools = list(_pools.values()) if _pools_owner == os.getpid() else []
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(close_pools)


def _submit(pool: ProcessPoolExecutor, workers: int, fn: Callable[..., Any],
            items: Sequence[tuple]) -> tuple[ProcessPoolExecutor, dict[Future, int]]:  # fmt: skip
    """Every task submitted to ``pool``, by future; a broken pool is discarded."""
    futures: dict[Future, int] = {}
    try:
        for i, item in enumerate(items):
            futures[pool.submit(fn, *item)] = i
    except BrokenProcessPool:
        for fut in futures:
            fut.cancel()
        _discard(workers, pool)
        raise
    return pool, futures


def _discard(workers: int, pool: ProcessPoolExecutor, terminate: bool = False) -> None:
    """Forget a broken or interrupted pool (the next call starts a new one); with
    ``terminate``, stop its processes at once instead of letting running tasks finish."""
    with _pools_lock:
        if _pools.get(workers) is pool:
            del _pools[workers]
    pool.shutdown(wait=False, cancel_futures=True)
    if terminate:
        stop = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if stop is not None:
            stop()
        else:  # before 3.14 the processes are reachable only as the pool's _processes
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()


# ------------------------------------------------ scripts without a __main__ guard
def check_main_guard() -> None:
    """Raise ExecutorError if this call comes from top-level code of the main script
    outside ``if __name__ == "__main__":``. Each spawned worker runs the main script (or
    ``-m`` module) again on start, so such code would start workers again in every
    worker. Interactive sessions, notebooks and ``python -c`` have no script to run
    again, and a call from a function the guarded block calls is fine."""
    main = sys.modules.get("__main__")
    script = _rerun_by_workers(main)
    if main is None or script is None:
        return
    line = _top_level_line(main)
    if line is None or _guarded(script, line):
        return
    raise ExecutorError(
        f"simsales starts worker processes, and each runs your script {script.name} again "
        f"as it starts; line {line} runs simulations at the script's top level, so every "
        f'worker would too. Put that code under `if __name__ == "__main__":`, or pass '
        f"workers=1 to run in this process"
    )


def _rerun_by_workers(main: ModuleType | None) -> Path | None:
    """The file spawned workers run again as ``__mp_main__`` (as ``multiprocessing.spawn``
    decides), or None."""
    file = getattr(main, "__file__", None)
    if file is None:
        return None
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None  # a package's __main__ (python -m pkg) is not run again
    if name is None and Path(file).stem == "ipython":
        return None
    return Path(file)


def _top_level_line(main: ModuleType) -> int | None:
    """The line of the main module's top-level code running now, if it is on the stack."""
    frame: FrameType | None = sys._getframe(1)
    line = None
    while frame is not None:
        if frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>":
            line = frame.f_lineno
        frame = frame.f_back
    return line


def _guarded(script: Path, line: int) -> bool:
    """Whether ``line`` of ``script`` lies in the body of ``if __name__ == "__main__":``
    (or the else of ``!=``); an unreadable script counts as guarded (no false alarm)."""
    try:
        with tokenize.open(script) as f:
            tree = ast.parse(f.read(), str(script))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = _main_test(node.test)
            body = node.body if test == "==" else node.orelse if test == "!=" else []
            if body and body[0].lineno <= line <= (body[-1].end_lineno or body[-1].lineno):
                return True
    return False


def _main_test(test: ast.expr) -> str | None:
    """``==`` or ``!=`` for a test comparing ``__name__`` with ``"__main__"``, else None."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    sides = [test.left, test.comparators[0]]
    names = [s.id for s in sides if isinstance(s, ast.Name)]
    texts = [s.value for s in sides if isinstance(s, ast.Constant)]
    if names != ["__name__"] or texts != ["__main__"]:
        return None
    return {ast.Eq: "==", ast.NotEq: "!="}.get(type(test.ops[0]))


def _refuse_while_bootstrapping() -> None:
    """In a worker that is still starting (running the main script again) a pool cannot
    start: leave quietly with one line, not a traceback per worker; the parent reports
    the stopped worker."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(
            "simsales: this worker process ran the script's simulations again while "
            'starting; put them under `if __name__ == "__main__":`'
        )


class DaskCluster:
    """A ``dask.distributed`` cluster: at ``address`` (``tcp://host:port``), or a
    ``LocalCluster`` of ``local_workers`` processes started and stopped here.
    Needs the ``simsales[cluster]`` extra."""

    def __init__(self, address: str | None = None, local_workers: int | None = None,
                 timeout: float = 10.0):  # fmt: skip
        if (address is None) == (local_workers is None):
            raise ValueError("give exactly one of address and local_workers")
        if local_workers is not None:
            check_main_guard()  # a LocalCluster spawns processes too
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
        except ValueError as exc:  # Dask cannot parse the address
            self.close()
            raise ExecutorError(
                f"{address!r} is not a Dask scheduler address ({exc}); give tcp://host:port"
            ) from None
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


def default_executor(workers: int | None, tasks: int | None = None) -> Executor:
    """In this process for one worker or a single task, else the shared local processes
    (all cores by default; one pool per worker count, whatever the number of tasks)."""
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers == 1 or tasks == 1 else LocalProcesses(workers)

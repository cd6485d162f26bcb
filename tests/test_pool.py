"""The shared worker pool: started once and reused by later calls; a failed task or an
early stop keeps it, Ctrl-C and a dead worker replace it; a script that would make every
worker run its simulations again (no ``if __name__ == "__main__":``) gets one clear error
before any process starts."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

import simsales
from simsales.experiment.executors import (
    BROKEN,
    ExecutorError,
    LocalProcesses,
    _guarded,
    shared_pool,
)
from tests.conftest import BASELINE, ROOT, small_overrides

WORKERS = 2


def worker_pids(tasks: int = 8) -> set[int]:
    """The processes that ran ``tasks`` quick tasks on the shared 2-worker pool."""
    return {pid for _, pid in LocalProcesses(WORKERS).imap(os.getpid, [()] * tasks)}


def pool_pids() -> set[int]:
    """Every process of the shared 2-worker pool (all start with it; the standard library
    keeps them by process id)."""
    return set(shared_pool(WORKERS)._processes)


def stopped(pids: set[int], within: float = 5.0) -> bool:
    """Whether all ``pids`` (children of this process) have ended within ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not pids & {p.pid for p in multiprocessing.active_children()}:
            return True
        time.sleep(0.05)
    return False


def test_later_calls_reuse_the_same_worker_processes():
    pool, pids = shared_pool(WORKERS), pool_pids()
    assert len(pids) == WORKERS and worker_pids() <= pids
    sc = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=1))
    simsales.run(sc, replications=2, seed=1, workers=WORKERS)
    simsales.compare([sc, sc.with_overrides({"name": "b"})], replications=2, workers=WORKERS)
    assert shared_pool(WORKERS) is pool and pool_pids() == pids  # nothing was started again
    assert worker_pids() <= pids


def test_a_failing_task_cancels_the_rest_of_its_call_and_keeps_the_pool():
    """time.sleep(-1) raises at once; the other 20 sleeps of 0.4 s (4 s on 2 workers)
    are cancelled, except the few already handed to the workers."""
    pool, pids = shared_pool(WORKERS), pool_pids()
    with pytest.raises(ValueError, match="non-negative"):
        dict(LocalProcesses(WORKERS).imap(time.sleep, [(-1,)] + [(0.4,)] * 20))
    start = time.perf_counter()
    assert worker_pids() <= pids  # the same processes, free within a second or two
    assert time.perf_counter() - start < 2.5
    assert shared_pool(WORKERS) is pool


def test_ctrl_c_stops_the_call_and_the_next_call_gets_fresh_workers():
    pids = pool_pids()
    tasks = LocalProcesses(WORKERS).imap(time.sleep, [(0.5,)] * 20)
    next(tasks)
    with pytest.raises(KeyboardInterrupt):
        tasks.throw(KeyboardInterrupt)  # what Ctrl-C raises while the call waits
    assert stopped(pids)  # the interrupted workers were stopped, not left sleeping
    start = time.perf_counter()
    assert not worker_pids() & pids
    assert time.perf_counter() - start < 5


def test_a_dead_worker_is_one_clear_error_and_the_pool_is_replaced():
    pids = pool_pids()
    with pytest.raises(ExecutorError, match="stopped abruptly"):
        dict(LocalProcesses(WORKERS).imap(os._exit, [(3,)]))
    assert not pool_pids() & pids
    sc = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=1))
    one = simsales.run(sc, replications=3, seed=2, workers=1).metrics()
    assert simsales.run(sc, replications=3, seed=2, workers=WORKERS).metrics().equals(one)


def test_a_worker_killed_between_calls_is_replaced_without_an_error():
    pids = pool_pids()
    os.kill(min(pids), signal.SIGKILL)  # e.g. the out-of-memory killer
    assert stopped({min(pids)})
    time.sleep(0.5)  # the pool's manager thread marks it broken
    assert not worker_pids() & pids  # a new pool, and no error
    assert not pool_pids() & pids


def test_a_worker_still_starting_leaves_quietly(monkeypatch):
    """Belt and braces: a worker running the script again while it starts cannot start
    processes of its own; it exits with one line (the parent reports the dead worker)."""
    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(SystemExit, match='if __name__ == "__main__":'):
        shared_pool(7)


@pytest.mark.parametrize(
    ("source", "line", "guarded"),
    [
        ('import x\nx.run()\nif __name__ == "__main__":\n    x.run()\n', 2, False),
        ('import x\nx.run()\nif __name__ == "__main__":\n    x.run()\n', 4, True),
        ("if '__main__' == __name__:\n    for i in range(2):\n        x.run(i)\n", 3, True),
        ('if __name__ != "__main__":\n    pass\nelse:\n    x.run()\n', 4, True),
        ('if __name__ == "__main__":\n    pass\nelse:\n    x.run()\n', 4, False),
        ("if name == '__main__':\n    x.run()\n", 2, False),
    ],
)  # fmt: skip
def test_the_guard_is_found_around_the_running_line(tmp_path, source, line, guarded):
    script = tmp_path / "plan.py"
    script.write_text(source, encoding="utf-8")
    assert _guarded(script, line) is guarded


SCRIPT = """\
import simsales
{patch}
sc = simsales.load_scenario({baseline!r}).with_overrides({overrides!r})
def main():
    res = simsales.run(sc, replications=2, seed=1, workers=2)
    print("revenue", round(res.metrics()["revenue"].sum()))
{call}
"""


def run_script(tmp_path, call: str, patch: str = "") -> subprocess.CompletedProcess:
    text = SCRIPT.format(baseline=str(BASELINE), overrides=small_overrides(months=1),
                         call=call, patch=patch)  # fmt: skip
    script = tmp_path / "plan.py"
    script.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)  # fmt: skip


def test_a_script_without_the_guard_gets_one_clear_error(tmp_path):
    out = run_script(tmp_path, "main()")
    assert out.returncode == 1 and "revenue" not in out.stdout
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "simsales.experiment.executors.ExecutorError: simsales starts worker processes"
    )
    assert "plan.py" in last and "line 7 runs simulations" in last
    assert 'under `if __name__ == "__main__":`' in last and "workers=1" in last
    assert out.stderr.count("Traceback") == 1, out.stderr  # this process's; no spawn flood
    assert len(out.stderr.splitlines()) <= 30 and "bootstrapping" not in out.stderr


def test_the_same_script_with_the_guard_runs(tmp_path):
    out = run_script(tmp_path, 'if __name__ == "__main__":\n    main()')
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("revenue ") and out.stderr == ""


def test_a_worker_that_runs_the_script_again_stops_without_a_flood(tmp_path):
    """With the check switched off, the workers run the script's simulation again while
    starting: each leaves with one line and the parent raises one clear error."""
    patch = "import simsales.experiment.executors as ex; ex.check_main_guard = lambda: None"
    out = run_script(tmp_path, "main()", patch=patch)
    assert out.returncode == 1
    assert (
        out.stderr.strip().splitlines()[-1]
        == f"simsales.experiment.executors.ExecutorError: {BROKEN}"
    )
    assert "ran the script's simulations again while starting" in out.stderr
    assert "bootstrapping" not in out.stderr
    assert len(out.stderr.splitlines()) <= 40, out.stderr


def _ctrl_c_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_in_a_terminal_ends_the_command_with_one_line(tmp_path):
    """A terminal's Ctrl-C reaches the command and its workers (one process group): the
    workers leave it to the command, which stops them and says what was kept."""
    out = tmp_path / "store"
    cmd = [sys.executable, "-m", "simsales", "run", str(BASELINE), "-r", "300", "-w", "2",
           "--no-progress", "--out", str(out)]  # fmt: skip
    # As in a terminal, Ctrl-C is not ignored: a run started in the background of a shell
    # without job control (as CI may be) inherits SIGINT ignored, and Python keeps that.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT,
                            preexec_fn=_ctrl_c_as_in_a_terminal)  # fmt: skip
    shards = out / "shards" / "baseline"
    deadline = time.monotonic() + 120
    while not shards.is_dir() or not any(p.name.isdigit() for p in shards.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "no replication finished"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        f"interrupted: the replications finished so far are stored in {out}; "
        "run the same command again to compute only the rest"
    ]

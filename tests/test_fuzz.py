"""The fuzz test (issue 15): structure-aware mutations of the bundled scenarios either load
or give one clear ScenarioError, and sampled valid ones run within time and memory bounds.

A small run here (under a minute); ``make fuzz`` runs 10,000 cases (``tests.fuzz_scenarios``).
"""

from __future__ import annotations

import pytest

import simsales
from tests import fuzz_scenarios as fz

SEED = 2026
CASES = 1200


@pytest.fixture(scope="module")
def report() -> fz.Report:
    return fz.fuzz(CASES, seed=SEED, run_share=0.0, cli_share=0.05)


def test_every_case_loads_or_is_refused_clearly(report):
    assert not report.failures, "\n\n".join(report.failures[:5])
    assert sum(report.counts.values()) == CASES
    assert report.counts["other"] == 0
    assert report.cli_checked >= 0.03 * CASES  # some also went through `simsales validate`


def test_the_mutations_are_varied_enough_to_mean_something(report):
    """Every kind of mutation was tried, and the cases are neither all refused (the
    mutations would be mere noise) nor mostly loaded (too timid to find anything)."""
    used = set(report.mutations)
    wanted = set(fz.TREE_MUTATIONS) | {f"text_{n}" for n in fz.TEXT_MUTATIONS} | {"set"}
    assert wanted <= used, wanted - used
    assert 0.05 * CASES <= report.counts["loaded"] <= 0.5 * CASES
    assert report.counts["refused"] >= 0.5 * CASES


def test_cases_are_the_same_on_every_run():
    for number in (0, 17, 999):
        a, b = fz.make_case(SEED, number), fz.make_case(SEED, number)
        assert (a.data, a.assignments, a.mutations) == (b.data, b.assignments, b.mutations)
    assert fz.make_case(SEED, 1).label() != fz.make_case(SEED + 1, 1).label()


def test_sampled_valid_cases_run_within_time_and_memory(tmp_path):
    """Three fuzzed scenarios that load run a one-month horizon in a child process,
    within the time bound and the memory the run's own estimate allows."""
    ran = []
    number = 0
    while len(ran) < 3:
        outcome = fz.check_case(fz.make_case(SEED, number), tmp_path)
        number += 1
        if outcome.scenario is None:
            continue
        try:
            short = fz.short_horizon(outcome.scenario)
        except simsales.ScenarioError:
            continue
        run = fz.run_sampled(short, tmp_path, seed=number)
        assert run.kind in ("ran", "too_big"), f"{outcome.case.label()}: {run.detail}"
        ran += [run] if run.kind == "ran" else []
    assert all(0 < r.peak_share <= 1 and r.seconds < fz.RUN_SECONDS_FIXED for r in ran)


def test_a_crash_or_an_unclear_error_is_a_failure(monkeypatch):
    """The harness itself can fail: a loader that raises anything but ScenarioError, or
    a ScenarioError too long to read, is counted 'other' and reported."""
    real = fz.load_scenario

    def broken(path):
        if b"2" in path.read_bytes()[:200]:
            raise KeyError("reps")
        return real(path)

    monkeypatch.setattr(fz, "load_scenario", broken)
    crashed = fz.fuzz(40, seed=SEED, run_share=0.0, cli_share=0.0)
    assert crashed.counts["other"] > 0 and len(crashed.failures) == crashed.counts["other"]
    assert "KeyError: 'reps'" in crashed.failures[0]

    def rambling(path):
        raise simsales.ScenarioError(str(path), [simsales.scenario.errors.Problem("x", "y" * 5000)])

    monkeypatch.setattr(fz, "load_scenario", rambling)
    unclear = fz.fuzz(5, seed=SEED, run_share=0.0, cli_share=0.0)
    file_cases = sum(c.assignments is None for c in map(lambda n: fz.make_case(SEED, n), range(5)))
    assert unclear.counts["other"] >= file_cases > 0
    assert "error line of" in unclear.failures[0]

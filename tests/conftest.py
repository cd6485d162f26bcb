"""Shared fixtures: the baseline and small, fast variants of it."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsales

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def small_overrides(reps: int = 8, groups: int = 2, firms: int = 40_000, months: int = 4) -> dict:
    """A small team over a short horizon: fast enough for many tests."""
    return {
        "team.reps": reps,
        "team.supervisor_groups": groups,
        "market.territories": [{"name": f"T{i + 1}", "firms": firms} for i in range(groups)],
        "horizon.months": months,
        "horizon.warmup_months": 1,
    }


@pytest.fixture(scope="session")
def baseline() -> simsales.Scenario:
    return simsales.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def small(baseline) -> simsales.Scenario:
    return baseline.with_overrides(small_overrides())


@pytest.fixture(scope="session")
def small_results(small) -> simsales.Results:
    return simsales.run(small, replications=3, seed=11, workers=1)

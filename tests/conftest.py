"""Shared fixtures: the baseline and small, fast variants of it."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsales

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


# A team that neither hires nor loses anyone, for tests of the funnel on a fixed team.
STEADY = {
    "workforce.hiring": {
        "policy": "none",
        "lead_time_months": 1,
        "cost_per_hire": 3000.0,
        "potential_mean": 1.0,
    },
    "workforce.attrition.quit_hazard_by_year": [0.0],
    "workforce.dismissal.no_order_months": 0,
}


def team_overrides(reps: int = 16, groups: int = 2, firms: int = 40_000, months: int = 6,
                   warmup: int | None = 1) -> dict:  # fmt: skip
    """A small team of the baseline's people rules (hiring, quits, dismissals) over a short
    horizon; ``warmup=None`` keeps the baseline's warm-up."""
    overrides = {
        "team.reps": reps,
        "team.supervisor_groups": groups,
        "market.territories": [{"name": f"T{i + 1}", "firms": firms} for i in range(groups)],
        "horizon.months": months,
    }
    return overrides if warmup is None else {**overrides, "horizon.warmup_months": warmup}


def small_overrides(reps: int = 8, groups: int = 2, firms: int = 40_000, months: int = 4) -> dict:
    """A small, steady team over a short horizon: fast enough for many tests."""
    return {**team_overrides(reps, groups, firms, months), **STEADY}


@pytest.fixture(scope="session")
def baseline() -> simsales.Scenario:
    return simsales.load_scenario(BASELINE)


@pytest.fixture(scope="session")
def small(baseline) -> simsales.Scenario:
    return baseline.with_overrides(small_overrides())


@pytest.fixture(scope="session")
def small_results(small) -> simsales.Results:
    return simsales.run(small, replications=3, seed=11, workers=1)

"""Same scenario and seed give identical tables, whatever the number of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd

import simsales
from simsales.experiment.results import TABLES


def assert_same_tables(a: simsales.Results, b: simsales.Results) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_same_seed_gives_identical_tables(small, small_results):
    again = simsales.run(small, replications=3, seed=11, workers=1)
    assert_same_tables(small_results, again)


def test_one_worker_and_two_workers_agree(small, small_results):
    parallel = simsales.run(small, replications=3, seed=11, workers=2)
    assert_same_tables(small_results, parallel)


def test_a_replication_does_not_depend_on_the_others(small, small_results):
    """Replication 2 is the same whether run alone or after replications 0 and 1."""
    alone = simsales.run(small, replications=3, seed=11, workers=1)
    tm = alone.team_month
    pd.testing.assert_frame_equal(
        tm[tm.replication == 2].reset_index(drop=True),
        small_results.team_month[small_results.team_month.replication == 2].reset_index(drop=True),
    )


def test_another_seed_gives_other_numbers(small, small_results):
    other = simsales.run(small, replications=3, seed=12, workers=1)
    assert not other.team_month["signings"].equals(small_results.team_month["signings"])


def test_scenarios_with_the_same_seed_share_random_numbers(small, small_results):
    """Common random numbers: a change that alters no draw (the name) changes nothing,
    and a small policy change moves results far less than a new seed does."""
    renamed = simsales.run(
        small.with_overrides({"name": "other"}), replications=3, seed=11, workers=1
    )
    a, b = small_results.team_month, renamed.team_month
    pd.testing.assert_frame_equal(a.drop(columns="scenario"), b.drop(columns="scenario"))
    # The starting team (tenure) comes from its own stream: the same under CRN.
    tweaked = small.with_overrides({"leads.hq_leads_per_rep_day": 0.65})
    t = simsales.run(tweaked, replications=3, seed=11, workers=1)
    pd.testing.assert_series_equal(
        t.rep_month["tenure_months"], small_results.rep_month["tenure_months"]
    )


def test_a_replication_does_not_depend_on_what_ran_before_or_on_draw_chunks(baseline, monkeypatch):
    """A replication gives the same tables after others in the same worker, and whatever
    the chunks its random numbers are drawn ahead in, also when the public pool,
    saturation and referrals are all busy."""
    from simsales.engine import rng
    from simsales.simulate import simulate, simulate_many

    stressed = baseline.with_overrides(
        {
            "team.reps": 12,
            "team.supervisor_groups": 2,
            "market.territories": [
                {"name": "Small", "firms": 2_500},
                {"name": "Big", "firms": 40_000},
            ],
            "horizon.months": 3,
            "horizon.warmup_months": 1,
            "leads.stale_after_days": 3,
            "leads.followup_cadence_days": {"A": 2, "B": 3, "C": 3, "D": 3},
            "rep.minutes_per_day": 300,
        }
    )
    many = simulate_many(stressed, [4, 0, 7], seed=3)
    monkeypatch.setattr(rng, "MIN_BUFFER", 1)  # refill nearly every day, in odd sizes
    for r in (4, 0, 7):
        alone = simulate(stressed, r, seed=3)
        for table, columns in alone.items():
            for name, values in columns.items():
                np.testing.assert_array_equal(
                    many[r][table][name], values, err_msg=f"{table}.{name}"
                )
    assert many[0]["team_month"]["stale_to_pool"].sum() > 0  # the pool really was busy
    assert many[0]["team_month"]["pool_claims"].sum() > 0
    norm = stressed.rep.norms.prospect_records * 12 * stressed.horizon.days_per_month
    assert many[0]["team_month"]["prospect_records"][-1] < norm  # the small territory ran dry

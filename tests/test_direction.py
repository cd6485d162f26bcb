"""Direction of effect: the model responds to policy levers the way the field says."""

from __future__ import annotations

import numpy as np

import simsales
from tests.conftest import STEADY
from tests.stats_helpers import assert_mean_above, assert_mean_is

ALPHA = 0.001


def one_territory(baseline, reps: int, firms: int, months: int = 6, warmup: int = 1):
    """A steady team of ``reps`` in one territory of ``firms`` firms."""
    return baseline.with_overrides(
        {
            **STEADY,
            "team.reps": reps,
            "team.supervisor_groups": 1,
            "market.territories": [{"name": "T", "firms": firms}],
            "horizon.months": months,
            "horizon.warmup_months": warmup,
        }
    )


def signings(scenario, replications: int = 8, seed: int = 5) -> np.ndarray:
    res = simsales.run(scenario, replications=replications, seed=seed, workers=2)
    return res.team_month.groupby("replication")["signings"].sum().to_numpy()


def test_more_reps_sign_more_in_an_open_market(baseline):
    """In a market far from saturation, doubling the team adds signings (paired, CRN)."""
    counts = {n: signings(one_territory(baseline, n, 40_000)) for n in (2, 4, 8)}
    assert_mean_above(counts[4] - counts[2], 0, ALPHA, "4 reps vs 2")
    assert_mean_above(counts[8] - counts[4], 0, ALPHA, "8 reps vs 4")
    # Roughly proportional: 4 times the reps sign more than twice as much.
    assert_mean_above(counts[8] - 2 * counts[2], 0, ALPHA, "8 reps vs 2 x 2 reps")


def test_a_saturated_territory_caps_signings(baseline):
    """In a small territory extra reps stop adding signings: the market runs dry."""
    small = {n: signings(one_territory(baseline, n, 3_000), replications=16) for n in (4, 16)}
    big = {n: signings(one_territory(baseline, n, 40_000), replications=16) for n in (4, 16)}
    # Four times the reps: the open market gains more than 2.5x, the saturated one less
    # than 2.5x (about 1.4x: 3,000 firms refill at ~38 a day after a 78-day cooling-off).
    assert_mean_above(big[16] - 2.5 * big[4], 0, ALPHA, "open market 16 vs 4 reps")
    assert_mean_above(2.5 * small[4] - small[16], 0, ALPHA, "saturated 16 vs 4 reps")


def test_a_bigger_territory_saturates_later(baseline):
    """Untouched firms run out, and prospecting falls below the norm, later in a bigger market."""

    def first_dry_month(firms: int) -> tuple[float, float]:
        sc = one_territory(baseline, 4, firms, months=6, warmup=0)
        res = simsales.run(sc, replications=3, seed=2, workers=1)
        tm = res.team_month
        untouched = tm.groupby("month")["firms_untouched"].mean()
        per_rep_day = tm.groupby("month")["prospect_records"].mean() / (4 * 26)
        dry = untouched.index[untouched < 0.05 * firms].min()
        short = per_rep_day.index[per_rep_day < 0.9 * 30].min()  # F1 norm: 30 records
        return dry, short

    # 4 reps x 30 records = 120 firms a day: 2,000 firms last ~17 days, 6,000 ~50 days.
    small_dry, small_short = first_dry_month(2_000)
    big_dry, big_short = first_dry_month(6_000)
    assert small_dry < big_dry
    assert small_short < big_short


def test_capping_followups_at_three_cuts_signings_as_f7_implies(baseline):
    """F7: 80% of signings come after the 4th follow-up, so dropping leads after the 3rd
    keeps only the signings of touches 0-4 (21 of 101 per entered lead)."""
    sc = baseline.with_overrides({"horizon.months": 8})
    capped = sc.with_overrides({"leads.max_followups": 3})
    # by replication: the two scenarios have different names
    a = simsales.run(sc, replications=6, seed=9, workers=2).metrics().droplevel("scenario")
    b = simsales.run(capped, replications=6, seed=9, workers=2).metrics().droplevel("scenario")
    assert_mean_above(1 - b["signings"] / a["signings"], 0.7, ALPHA, "share of signings lost")
    assert_mean_is(b["f2_sign_rate"] / a["f2_sign_rate"], 21 / 101, ALPHA, "F2 ratio")
    assert b["f7_share_followup_4_to_11"].max() == 0.0


def test_joint_visits_coach_a_young_team_into_more_signings(baseline):
    """Supervisors' joint visits (F16) lift that touch's close chance and coach the rep
    (F18): a team new on post signs more when its supervisors make joint visits."""
    young = baseline.with_overrides(
        {"horizon.months": 6, "team.tenure_months_min": 0, "team.tenure_months_max": 6}
    )
    counts = {
        j: signings(young.with_overrides({"supervisor.joint_visits_per_day": j}), seed=4)
        for j in (0, 8)
    }
    assert_mean_above(counts[8] - counts[0], 0, ALPHA, "8 joint visits a day vs none")

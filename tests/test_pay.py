"""Quota, pay and deal timing end to end: each rule checked on simulated tables, the
direction of its effect with paired replications (common random numbers), and the
behaviour F31 exists to stop.

Tolerances are t-intervals over replications (``stats_helpers``); exact rules are
checked exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsales
from tests.conftest import STEADY
from tests.stats_helpers import assert_mean_above, assert_mean_is

ALPHA = 0.001
LADDER = [
    {"from_attainment": 0.0, "rate": 0.08},
    {"from_attainment": 0.8, "rate": 0.12},
    {"from_attainment": 1.0, "rate": 0.16},
]


def team(baseline, reps: int = 16, months: int = 12, warmup: int = 1, **more) -> simsales.Scenario:
    """A steady team of ``reps`` in 2 groups, no hiring or quits, F28 off."""
    return baseline.with_overrides(
        {
            **STEADY,
            "team.reps": reps,
            "team.supervisor_groups": 2,
            "market.territories": [{"name": f"T{i}", "firms": 40_000} for i in range(2)],
            "horizon.months": months,
            "horizon.warmup_months": warmup,
            **more,
        }
    )


def plan(kind: str, period: str = "quarter", **fields) -> dict:
    """A commission section on the shared ladder, paid the month after (F37)."""
    sections = {
        "cliff": {"plan": "tiered", "tiers": LADDER, "marginal": False, "period": period},
        "gsb": {"plan": "gold_silver_bronze", "tiers": LADDER, "start_tier": 0, "period": period},
    }
    return {**sections[kind], "paid": "next_month", **fields}


def per_replication(res: simsales.Results, column: str) -> np.ndarray:
    return res.team_month.groupby("replication")[column].sum().to_numpy()


def on_post(res: simsales.Results) -> pd.DataFrame:
    return res.rep_month[res.rep_month["status"] == "on_post"]


# ------------------------------------------------------ the rules, exactly
def test_flat_commission_is_rate_times_revenue_paid_a_month_late(baseline):
    """Flat plan, F37: each rep earns 10% of the month's booked revenue and is paid it
    the month after (the first month: its own, for the starting team, F37)."""
    res = simsales.run(team(baseline, months=4, warmup=0), replications=2, seed=3, workers=1)
    rm = on_post(res).sort_values(["replication", "rep", "month"])
    np.testing.assert_allclose(rm["commission_earned"], 0.1 * rm["revenue"])
    for _, rep in rm.groupby(["replication", "rep"]):
        earned, paid = rep["commission_earned"].to_numpy(), rep["commission"].to_numpy()
        np.testing.assert_allclose(paid[1:], earned[:-1])
        np.testing.assert_allclose(paid[0], earned[0])  # steady state before day 0


def test_each_deals_commission_is_paid_once_through_quits(baseline):
    """With quits and hiring, every hired rep is paid exactly what he earned, less what
    is still owed at the end (earned in the last month, paid after the horizon); a
    leaver's last month settles everything."""
    scenario = baseline.with_overrides(
        {
            "team.reps": 16,
            "team.supervisor_groups": 2,
            "market.territories": [{"name": f"T{i}", "firms": 40_000} for i in range(2)],
            "horizon.months": 9,
            "horizon.warmup_months": 0,
            "workforce.attrition.quit_hazard_by_year": [0.15],
        }
    )
    res = simsales.run(scenario, replications=3, seed=8, workers=1)
    rm = res.rep_month
    last = rm["month"].max()
    hired = on_post(res)[lambda d: d["class"] > 0]
    assert res.team_month["quits"].sum() > 0 and hired["rep"].nunique() > 0
    checked = 0
    for (_, r), rows in hired.groupby(["replication", "rep"]):
        still = (rows["month"] == last).any()
        owed = rows.loc[rows["month"] == last, "commission_earned"].sum() if still else 0.0
        assert rows["commission"].sum() == pytest.approx(
            rows["commission_earned"].sum() - owed, rel=1e-9, abs=1e-6
        ), r
        checked += not still
    assert checked > 0  # some hired reps left and were settled


def test_fines_are_f32_50_yuan_a_missed_visit_at_most_the_base(baseline):
    res = simsales.run(team(baseline, months=2), replications=1, seed=4, workers=1)
    rm = on_post(res)
    expected = np.minimum(50.0 * rm["visits_short_of_norm"], rm["base_pay"])
    np.testing.assert_allclose(rm["fines"], expected)
    assert rm["fines"].sum() > 0


def test_f38_bonus_pays_the_grades_months_of_average_pay_at_the_year_end(baseline):
    """At the close of month 12 each rep on post all year gets his annual grade's months
    (A+ from 120%: 1.5, AA from 150%: 2; none below) of his average base + commission."""
    res = simsales.run(team(baseline), replications=2, seed=6, workers=1)
    rm = on_post(res)
    assert (rm.loc[rm["month"] < 12, "bonus"] == 0).all()
    year = rm.groupby(["replication", "rep"]).agg(
        revenue=("revenue", "sum"),
        quota=("quota", "sum"),
        monthly=("base_pay", "mean"),
        commission=("commission", "mean"),
        months=("month", "size"),
    )
    att = year["revenue"] / year["quota"]
    months = np.select([att >= 1.5, att >= 1.2], [2.0, 1.5], 0.0)
    expected = months * (year["monthly"] + year["commission"])
    got = rm[rm["month"] == 12].set_index(["replication", "rep"])["bonus"]
    full_year = year["months"] == 12
    np.testing.assert_allclose(got.loc[year.index[full_year]], expected[full_year])
    assert (got > 0).any() and (got == 0).any()


def test_gold_silver_bronze_this_months_step_sets_next_months_rate(baseline):
    """F31: the step paid in a month is the one the rep's attainment reached the month
    before, and the month's commission is that step's rate x its revenue."""
    scenario = team(baseline, months=6, **{"pay.commission": plan("gsb", "month"),
                                           "behaviour.gaming_share": 0.0})  # fmt: skip
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    rates = np.array([t["rate"] for t in LADDER])
    np.testing.assert_allclose(
        rm["commission_earned"], rates[rm["commission_tier"].astype(int)] * rm["revenue"]
    )
    rm = rm.sort_values(["rep", "month"])
    for _, rep in rm.groupby("rep"):
        reached = np.searchsorted([0.0, 0.8, 1.0], rep["attainment"].to_numpy(), "right") - 1
        np.testing.assert_array_equal(rep["commission_tier"].to_numpy()[1:], reached[:-1])


def test_hard_target_is_f33_attainment_times_revenue_times_15_percent(baseline):
    scenario = team(baseline, months=3, **{
        "pay.commission": {"plan": "hard_target", "rate": 0.15, "period": "month",
                           "paid": "same_month"},
        "behaviour.gaming_share": 0.0,
    })  # fmt: skip
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    np.testing.assert_allclose(
        rm["commission_earned"], rm["revenue"] / rm["quota"] * rm["revenue"] * 0.15
    )
    np.testing.assert_allclose(rm["commission"], rm["commission_earned"])


def test_a_quarterly_plan_earns_at_the_quarters_end(baseline):
    scenario = team(baseline, months=6, **{"pay.commission": plan("cliff"),
                                           "behaviour.gaming_share": 0.0})  # fmt: skip
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    quarter_end = rm["month"] % 3 == 0
    assert (rm.loc[~quarter_end, "commission_earned"] == 0).all()
    q = rm.assign(quarter=(rm["month"] - 1) // 3).groupby(["rep", "quarter"])
    totals = q.agg(
        revenue=("revenue", "sum"), quota=("quota", "sum"), earned=("commission_earned", "sum")
    )
    att = totals["revenue"] / totals["quota"]
    rate = np.select([att >= 1.0, att >= 0.8], [0.16, 0.12], 0.08)
    np.testing.assert_allclose(totals["earned"], rate * totals["revenue"])


def test_f35_split_moves_commission_between_reps_not_in_total(baseline):
    """F35 with a flat rate: the team's earned commission is still 10% of revenue."""
    split = {"information": 0.125, "groundwork": 0.375, "close": 0.5}
    scenario = team(baseline, months=4, **{
        "pay.commission": {"plan": "flat", "rate": 0.1, "paid": "same_month",
                           "split_by_stage": split},
        "leads.stale_after_days": 2,  # leads change hands through the pool (F11) ...
        "leads.followup_cadence_days": {"A": 2, "B": 2, "C": 2, "D": 2},
        "leads.hq_leads_per_rep_day": 4.0,  # ... when reps have more leads than minutes
    })  # fmt: skip
    res = simsales.run(scenario, replications=1, seed=5, workers=1)
    by_month = res.rep_month.groupby("month")[["commission_earned", "revenue"]].sum()
    np.testing.assert_allclose(by_month["commission_earned"], 0.1 * by_month["revenue"])
    rm = on_post(res)
    assert not np.allclose(rm["commission_earned"], 0.1 * rm["revenue"])  # split happened


def test_ramped_quota_grows_by_whole_months_on_post(baseline):
    """A hired rep on post for a whole month gets ramp[k] of the full quota after k whole
    months on post (k counted at the month's start), the full quota after the ramp."""
    ramp = [0.25, 0.5, 0.75]
    scenario = baseline.with_overrides(
        {
            "quota": {
                "policy": "ramped",
                "period": "month",
                "revenue_per_month": 150_000.0,
                "ramp": ramp,
            }
        }  # fmt: skip
    )
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    whole = rm[rm["tenure_months"] >= 1]
    k = np.minimum(np.floor(whole["tenure_months"] - 1 + 1e-9).astype(int), 3)
    shares = np.array([*ramp, 1.0])[k]
    np.testing.assert_allclose(whole["quota"], 150_000.0 * shares)
    assert (k < 3).any()


def test_f41_annual_quota_and_quarterly_attainment(baseline):
    """F41: months of quarter q carry annual x share[q] / 3; attainment and reps at quota
    are judged on the quarter so far."""
    shares = [0.1, 0.2, 0.3, 0.4]
    scenario = team(baseline, months=6, **{
        "quota": {"policy": "annual", "period": "quarter", "annual_revenue": 1_800_000.0,
                  "quarter_shares": shares},
    })  # fmt: skip
    res = simsales.run(scenario, replications=1, seed=2, workers=1)
    rm = on_post(res)
    quarter = (rm["month"] - 1) // 3
    np.testing.assert_allclose(rm["quota"], 1_800_000.0 * np.array(shares)[quarter] / 3)
    to_date = rm.assign(q=quarter).sort_values("month").groupby(["rep", "q"])
    expected = to_date["revenue"].cumsum() / to_date["quota"].cumsum()
    np.testing.assert_allclose(rm["period_attainment"], expected.loc[rm.index])
    at_quota = rm[rm["period_attainment"] >= 1].groupby("month").size()
    tm = res.team_month.set_index("month")
    np.testing.assert_array_equal(tm["reps_at_quota"], at_quota.reindex(tm.index, fill_value=0))
    assert tm["quota_period_end"].tolist() == [False, False, True, False, False, True]


def test_f40_quota_and_f34_base_derive_from_the_package(baseline):
    """F34: base = 70% of the package; F40: quota = 15 x the package, by year on post."""
    scenario = team(baseline, months=2, **{
        "pay.base_per_month": None,
        "pay.package": {"target_by_year": [8_000.0, 10_000.0], "fixed_share": 0.7},
        "quota": {"policy": "pay_derived", "period": "month", "pay_multiple": 15.0},
    })  # fmt: skip
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    # The starting team was on post 3-36 months; a month is on post for whole days.
    assert set(np.round(rm["quota"], 6)) <= {120_000.0, 150_000.0}
    np.testing.assert_allclose(rm["base_pay"], 0.7 * rm["quota"] / 15.0)
    assert rm["quota"].nunique() == 2


def test_growth_quota_is_last_months_revenue_plus_growth(baseline):
    scenario = team(baseline, months=3, **{
        "quota": {"policy": "growth", "period": "month", "revenue_per_month": 150_000.0,
                  "growth": 0.1, "min_revenue_per_month": 50_000.0},
    })  # fmt: skip
    rm = on_post(simsales.run(scenario, replications=1, seed=2, workers=1))
    rm = rm.sort_values(["rep", "month"])
    last = rm.groupby("rep")["revenue"].shift()
    later = rm["month"] > 1
    expected = np.maximum(1.1 * last[later], 50_000.0)
    np.testing.assert_allclose(rm.loc[later, "quota"], expected)


# ------------------------------------------------------ direction of effect
def test_a_higher_quota_lowers_attainment(baseline):
    runs = {
        q: simsales.run(
            team(baseline, months=6, **{"quota.revenue_per_month": q}),
            replications=6,
            seed=9,
            workers=2,
        )  # fmt: skip
        for q in (150_000.0, 180_000.0)
    }
    share = {q: r.metrics()["share_at_quota"].to_numpy() for q, r in runs.items()}
    att = {q: r.metrics()["attainment"].to_numpy() for q, r in runs.items()}
    assert_mean_above(att[150_000.0] - att[180_000.0], 0, ALPHA, "attainment, quota -20%")
    assert_mean_above(share[150_000.0] - share[180_000.0], 0, ALPHA, "share at quota")


def test_a_richer_accelerator_raises_payout(baseline):
    """The same team and sales; a top step of 24% instead of 16% pays more commission."""
    rich = [*LADDER[:2], {"from_attainment": 1.0, "rate": 0.24}]
    payout = {}
    for name, tiers in (("plain", LADDER), ("rich", rich)):
        section = {"plan": "tiered", "tiers": tiers, "marginal": True, "period": "month",
                   "paid": "same_month"}  # fmt: skip
        sc = team(baseline, months=6, **{"pay.commission": section,
                                          "behaviour.gaming_share": 0.0})  # fmt: skip
        payout[name] = per_replication(simsales.run(sc, replications=6, seed=9, workers=2),
                                       "commission")  # fmt: skip
    assert_mean_above(payout["rich"] - payout["plain"], 0, ALPHA, "commission, richer top step")


def test_a_harsher_dismissal_rule_dismisses_more(baseline):
    counts = {}
    for bar in (0.4, 0.8):
        sc = team(baseline, months=9, **{"workforce.dismissal.monthly_attainment_below": bar})
        counts[bar] = per_replication(simsales.run(sc, replications=12, seed=9, workers=2),
                                      "dismissals")  # fmt: skip
    assert_mean_above(counts[0.8] - counts[0.4], 0, ALPHA, "dismissals, bar 80% vs 40%")


def test_the_month_end_surge_concentrates_signings_in_the_last_week(baseline):
    """F13: with the surge, a larger share of signings falls in months' last week than
    the 6/26 of an even month."""
    share = {}
    for days in (0, 3):
        sc = team(baseline, months=6, **{"behaviour.surge_days": days})
        m = simsales.run(sc, replications=12, seed=9, workers=2).metrics()
        share[days] = m["month_end_signing_share"].to_numpy()
    assert_mean_above(share[3] - share[0], 0, ALPHA, "last-week share, surge vs none")
    assert_mean_is(share[0], 6 / 26, ALPHA, "last-week share without the surge")


# ----------------------------------------------------------- deal timing (F31)
def held(baseline, section: dict, replications: int = 10) -> np.ndarray:
    scenario = team(baseline, reps=24, months=12, warmup=3, **{
        "pay.commission": section, "behaviour.gaming_share": 1.0,
        "market.territories": [{"name": f"T{i}", "firms": 60_000} for i in range(2)],
    })  # fmt: skip
    res = simsales.run(scenario, replications=replications, seed=31, workers=2)
    return per_replication(res, "deals_held")


def test_nobody_times_deals_under_a_deal_plan(baseline):
    """A flat rate pays a deal the same whenever it is booked: no holds, no pulls."""
    scenario = team(baseline, months=6, **{"behaviour.gaming_share": 1.0})
    tm = simsales.run(scenario, replications=2, seed=1, workers=1).team_month
    assert tm["deals_held"].sum() == 0 and tm["deals_pulled"].sum() == 0


def test_a_rising_rate_on_quarterly_attainment_causes_holding_and_f31_removes_most(baseline):
    """The same team under a cliff ladder on quarterly attainment holds deals into the
    next quarter; with the ladder's step set by the previous quarter instead (F31's rule,
    same period), at most half as many are held; likewise by months, F31's own period."""
    for period in ("quarter", "month"):
        cliff, gsb = held(baseline, plan("cliff", period)), held(baseline, plan("gsb", period))
        assert_mean_above(cliff, 0, ALPHA, f"deals held under the {period}ly cliff plan")
        assert_mean_above(cliff - 2 * gsb, 0, ALPHA, f"cliff vs 2 x F31, {period}ly")


def test_held_deals_are_booked_on_the_next_periods_first_day(baseline):
    """Every deal held in a month other than the last is booked the next month."""
    scenario = team(baseline, months=6, warmup=1, **{"pay.commission": plan("cliff", "month"),
                                                     "behaviour.gaming_share": 1.0})  # fmt: skip
    tm = simsales.run(scenario, replications=2, seed=3, workers=1).team_month
    for _, one in tm.groupby("replication"):
        held_, booked = one["deals_held"].to_numpy(), one["held_deals_booked"].to_numpy()
        np.testing.assert_array_equal(booked[1:], held_[:-1])
    assert tm["deals_held"].sum() > 0

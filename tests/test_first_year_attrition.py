"""First-year attrition (docs/model.md 4.1 ``first_year_at_risk`` / ``first_year_leavers``,
4.6 ``first_year_attrition``): at the close before each reported month, the reps on post
in their first 12 months on post are at risk; those who quit or are dismissed at that
close (they leave on the month's first day) are the leavers; the metric is
1 - (1 - sum(leavers) / sum(at risk))**12.

The columns are recomputed here from ``rep_month`` (months 2 on: the close before month m
is the end of month m - 1, which rep_month shows) and from the run's people (month 1:
its close ends the warm-up, which no table shows). Runs are small: 16-20 reps in 2
territories, 1 + 4-6 months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.engine.calendar import Calendar
from simsales.metrics.summary import summary_text
from simsales.simulate import simulate
from tests.conftest import ROOT, team_overrides

BASE = simsales.load_scenario(simsales.baseline_path())
SMALL = {
    **team_overrides(),
    # Half the starting team in its first year on post, so both sides of the 12-month
    # line are in every run.
    "team.tenure_months_min": 0,
    "team.tenure_months_max": 24,
}
NO_DISMISSALS = {
    "workforce.dismissal.no_order_months": 0,
    "workforce.dismissal.bottom_share": 0,
    "workforce.dismissal.quarterly_attainment_below": 0,
    "workforce.dismissal.annual_attainment_below": 0,
    "workforce.dismissal.monthly_attainment_below": 0,
}
NO_HIRING = {"policy": "none", "lead_time_months": 1, "cost_per_hire": 3000.0,
             "potential_mean": 1.0}  # fmt: skip
# Many dismissals: every rep on post a whole month under 30% of the quota goes. Training
# and trial of 21 + 5 = 26 days: each class goes on post on a month's first day, just
# after the close that cannot yet let it go.
HARSH = {
    "workforce.dismissal.monthly_attainment_below": 0.3,
    "workforce.dismissal.consecutive_months": 1,
    "workforce.training.days": 21,
}
COLUMNS = ["first_year_at_risk", "first_year_leavers"]


def from_rep_month(rep_month: pd.DataFrame, months: int) -> pd.DataFrame:
    """Months 2..``months``: reps on post at the end of month m - 1 with under 12 months
    on post then (at risk), and those of them with no row in month m (a rep has a row
    for every month it is on the team for a day, so these left on its first day)."""
    rows = []
    for r, g in rep_month.groupby("replication", sort=True):
        for m in range(2, months + 1):
            before = g[(g["month"] == m - 1) & (g["status"] == "on_post")]
            gone = ~before["rep"].isin(g.loc[g["month"] == m, "rep"])
            first_year = before["tenure_months"] < 12
            rows.append({"replication": r, "month": m,
                         "first_year_at_risk": int(first_year.sum()),
                         "first_year_leavers": int((first_year & gone).sum()),
                         "all_leavers": int(gone.sum())})  # fmt: skip
    return pd.DataFrame(rows)


def month_one(scenario: simsales.Scenario, replication: int, seed: int) -> tuple[int, int]:
    """Month 1 from the run's people: on post before the warm-up's close, still on the team
    then, with fewer than 12 x days_per_month working days on post; and those of them who
    quit or were dismissed, leaving on month 1's first day."""
    cal = Calendar.from_horizon(scenario.horizon)
    people = pd.DataFrame(simulate(scenario, replication, seed, history=True)["people"])
    close = cal.starts[cal.warmup_months]
    on_post, leave = people["on_post_day"], people["leave_day"]
    risk = (on_post < close) & (leave >= close) & (close - on_post < 12 * cal.days_per_month)
    left = people["leave_reason"].isin(["quit", "dismissed"]) & (leave == close)
    return int(risk.sum()), int((risk & left).sum())


@pytest.fixture(scope="module")
def harsh() -> tuple[simsales.Scenario, simsales.Results]:
    sc = BASE.with_overrides(SMALL | HARSH)
    return sc, simsales.run(sc, replications=6, seed=4, workers=1)


def test_columns_recomputed_from_rep_month_and_people(harsh):
    sc, res = harsh
    tm = res.team_month.set_index(["replication", "month"]).sort_index()
    assert tm["promotions"].sum() == 0  # no other way to leave the post at a close
    mine = from_rep_month(res.rep_month, sc.horizon.months).set_index(["replication", "month"])
    later = tm.loc[mine.index]
    # Every leaver at a close is counted once in quits + dismissals of the month after.
    np.testing.assert_array_equal(mine["all_leavers"], later["quits"] + later["dismissals"])
    pd.testing.assert_frame_equal(mine[COLUMNS], later[COLUMNS], check_dtype=False)
    # The rules' leavers include first-year reps dismissed, not only quits.
    first_year_dismissed = (later["first_year_leavers"] > later["quits"]).sum()
    assert later["dismissals"].sum() > 0 and first_year_dismissed > 0
    assert (mine["all_leavers"] > mine["first_year_leavers"]).any()  # older reps left too
    for r in range(2):  # month 1: the close that ends the warm-up
        assert tuple(tm.loc[(r, 1), COLUMNS]) == month_one(sc, r, seed=4)
        assert tm.loc[(r, 1), "first_year_at_risk"] > 0


def test_metric_is_one_minus_the_monthly_rate_kept_a_year(harsh):
    _, res = harsh
    sums = res.team_month.groupby("replication")[COLUMNS].sum()
    rate = sums["first_year_leavers"] / sums["first_year_at_risk"]
    metric = res.metrics().droplevel("scenario")["first_year_attrition"]
    assert metric.index.equals(rate.index) and len(metric) == 6
    np.testing.assert_allclose(metric, 1 - (1 - rate) ** 12, rtol=1e-12, atol=0)
    assert ((metric > 0) & (metric < 1)).all()


def test_a_roster_s_frozen_warm_up_puts_nobody_at_risk():
    """today_2027: the roster's warm-up decides no leavers, so month 1 has none at risk
    and none leaving; from month 2 the roster's first-year reps are at risk."""
    sc = simsales.load_scenario(ROOT / "scenarios" / "today_2027.yaml").with_overrides(
        {"horizon.months": 3}
    )
    res = simsales.run(sc, replications=3, seed=3, workers=1)
    tm = res.team_month
    first = tm[tm["month"] == 1]
    assert (first[COLUMNS + ["quits", "dismissals"]] == 0).all().all()
    mine = from_rep_month(res.rep_month, 3).set_index(["replication", "month"])
    later = tm.set_index(["replication", "month"]).loc[mine.index]
    pd.testing.assert_frame_equal(mine[COLUMNS], later[COLUMNS], check_dtype=False)
    assert (later["first_year_at_risk"] > 0).all()


def test_pooled_monthly_rate_is_the_first_year_quit_hazard():
    """Quits only (no dismissals, no pay or quota multipliers) at h = 5% a month in the
    first year on post and never after: each rep at risk at a close quits with chance h,
    independently of the past, so sum(L) - h sum(R) is a martingale and sum(L) / sum(R)
    has standard error sqrt(h (1 - h) / sum(R)). Counting reps past their first year (who
    never quit) as at risk would pull the rate towards 0; the starting team has half of
    them. Exactly: every quit is a first-year leaver, in the month the rep leaves."""
    h = 0.05
    flat = {
        "workforce.attrition.quit_hazard_by_year": [h, 0.0],
        "workforce.attrition.low_pay_multiplier": 1,
        "workforce.attrition.quota_pressure_multiplier": 1,
        "team.reps": 20,
    }
    sc = BASE.with_overrides(SMALL | NO_DISMISSALS | flat)
    tm = simsales.run(sc, replications=20, seed=8, workers=1).team_month
    assert tm["dismissals"].sum() == 0
    np.testing.assert_array_equal(tm["first_year_leavers"], tm["quits"])
    at_risk, leavers = tm["first_year_at_risk"].sum(), tm["first_year_leavers"].sum()
    assert at_risk > 1000  # enough for the normal approximation (h * R >> 5)
    se = np.sqrt(h * (1 - h) / at_risk)
    assert abs(leavers / at_risk - h) <= 3 * se, (leavers, at_risk, leavers / at_risk, se)


def test_no_leavers_is_zero_and_hidden_nobody_at_risk_is_no_value():
    steady = {"workforce.attrition.quit_hazard_by_year": [0.0], **NO_DISMISSALS}
    stay = BASE.with_overrides(SMALL | steady | {"horizon.months": 4})
    res = simsales.run(stay, replications=3, seed=2, workers=1)
    assert (res.team_month["first_year_leavers"] == 0).all()
    assert res.team_month["first_year_at_risk"].sum() > 0
    assert (res.metrics()["first_year_attrition"] == 0).all()
    label = "First-year attrition"
    row = res.summary().set_index("metric").loc["first_year_attrition"]
    assert row["n"] == 3 and row["mean"] == 0
    text = summary_text(res.summary())
    assert label not in text and "zero in every replication" in text

    # Nobody in the first year: a starting team past 12 months on post, no hiring.
    veterans = {
        "team.tenure_months_min": 13,
        "team.tenure_months_max": 30,
        "workforce.hiring": NO_HIRING,
    }
    old = BASE.with_overrides(SMALL | veterans | {"horizon.months": 4})
    res = simsales.run(old, replications=2, seed=2, workers=1)
    assert (res.team_month["first_year_at_risk"] == 0).all()
    assert res.team_month["quits"].sum() > 0  # the veterans still quit, at 3% a month
    assert res.metrics()["first_year_attrition"].isna().all()
    row = res.summary().set_index("metric").loc["first_year_attrition"]
    assert row["n"] == 0
    assert label not in summary_text(res.summary())

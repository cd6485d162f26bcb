"""Hiring policies (simsales/policies/hiring.py): what each decides, and that the forecast
policy, new in issue 16, holds the reps on post at its target."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.engine.calendar import Calendar
from simsales.policies.hiring import (
    Backfill,
    FixedClasses,
    Forecast,
    HiringView,
    NoHiring,
    PlannedClasses,
    TargetHeadcount,
    make_hiring_policy,
    most_hires,
)
from tests.conftest import ROOT

BASE = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")
FORECAST = {
    "policy": "forecast",
    "target_reps": 64,
    "max_class_size": 20,
    "lead_time_months": 1,
    "cost_per_hire": 3000.0,
    "potential_mean": 1.0,
}


def view(**changes) -> HiringView:
    values = dict(month=3, active=12, planned=0, leavers=2, months_on_post=np.zeros(10),
                  in_training=2, on_trial=1)  # fmt: skip
    return HiringView(**(values | changes))


def forecast(**changes) -> Forecast:
    values = dict(target=14, max_class=20, months_to_post=3.0, quit_hazard_by_year=(0.05, 0.02),
                  washout_share=0.1, trial_pass_share=0.8)  # fmt: skip
    return Forecast(**(values | changes))


def test_forecast_covers_expected_quits_washouts_and_trial_failures():
    # 10 reps on post in year 1 stay 3 months with chance 0.95**3; 2 in training and 1 on
    # trial reach post with chance 0.9 * 0.8 and 0.8: 8.574 + 2.24 = 10.814 expected.
    policy = forecast()
    assert policy.expected_on_post(view()) == pytest.approx(10 * 0.95**3 + 0.8 * (0.9 * 2 + 1))
    # The gap to 14, 3.186, needs 3.186 / 0.72 = 4.4 trainees: a class of 5.
    assert policy.class_at_close(view()) == 5
    # Reps in their second year quit at 2%: fewer expected losses, a smaller class.
    assert policy.class_at_close(view(months_on_post=np.full(10, 13.0))) == 4
    # Classes already decided count as trainees on their way.
    assert policy.class_at_close(view(planned=5)) == 0
    assert forecast(max_class=3).class_at_close(view()) == 3
    assert forecast(target=10).class_at_close(view()) == 0  # expected above target


def test_reactive_and_planned_policies():
    assert TargetHeadcount(target=20, max_class=5).class_at_close(view(active=12, planned=4)) == 4
    assert TargetHeadcount(target=20, max_class=3).class_at_close(view(active=12)) == 3
    assert Backfill(max_class=8).class_at_close(view(leavers=2)) == 2
    assert Backfill(max_class=1).class_at_close(view(leavers=2)) == 1
    assert FixedClasses(size=4, every_months=3).planned(7) == {0: 4, 3: 4, 6: 4}
    assert FixedClasses(size=4, every_months=3).most_hires(7) == 12
    assert PlannedClasses(((2, 5), (4, 1))).most_hires(12) == 6
    assert NoHiring().class_at_close(view()) == 0 and NoHiring().planned(12) == {}


def test_the_scenario_chooses_the_policy():
    sc = BASE.with_overrides({"workforce.hiring": FORECAST})
    cal = Calendar.from_horizon(sc.horizon)
    policy = make_hiring_policy(sc, cal)
    tr = sc.workforce.training
    assert isinstance(policy, Forecast)
    assert policy.months_to_post == 1 + 1 + (tr.days + tr.trial_days) / cal.days_per_month
    assert policy.quit_hazard_by_year == tuple(sc.workforce.attrition.quit_hazard_by_year)
    assert most_hires(sc, cal) == cal.total_months * 20
    assert isinstance(make_hiring_policy(BASE, cal), FixedClasses)


def test_forecast_holds_the_reps_on_post_at_target():
    """Without dismissals (which the forecast leaves out), the reps on post over months
    4-12 average the target within 3 standard errors of the replications' means, plus
    the one bias the policy has by construction: a class rounded up adds at most one
    trainee, who reaches post with chance (1 - washout) x trial pass. With no hiring the
    team ends the year lower, by more than 3 standard errors of the difference."""
    steady = {"workforce.dismissal.no_order_months": 0, "workforce.dismissal.bottom_share": 0,
              "horizon.months": 12}  # fmt: skip
    sc = BASE.with_overrides(steady | {"workforce.hiring": FORECAST})
    res = simsales.run(sc, replications=20, seed=3, workers=1)
    late = res.team_month[res.team_month["month"] >= 4]
    per_run = late.groupby("replication")["reps_on_post"].mean()
    se = per_run.std(ddof=1) / np.sqrt(per_run.size)
    tr = sc.workforce.training
    rounding = (1 - tr.washout_share) * tr.trial_pass_share
    assert abs(per_run.mean() - 64) <= 3 * se + rounding, (per_run.mean(), se, rounding)
    assert late["hires"].sum() > 0
    no_hiring = {k: v for k, v in FORECAST.items() if k not in ("target_reps", "max_class_size")}
    none = BASE.with_overrides(steady | {"workforce.hiring": no_hiring | {"policy": "none"}})
    shrunk = simsales.run(none, replications=20, seed=3, workers=1).team_month
    held, lost = (t[t["month"] == 12]["reps_on_post"] for t in (res.team_month, shrunk))
    gap_se = np.sqrt(held.var(ddof=1) / held.size + lost.var(ddof=1) / lost.size)
    assert held.mean() - lost.mean() > 3 * gap_se, (held.mean(), lost.mean(), gap_se)


def test_a_higher_target_hires_more():
    sc = BASE.with_overrides({"workforce.hiring": FORECAST, "horizon.months": 6})
    more = sc.with_overrides({"workforce.hiring.target_reps": 80})
    hires = [simsales.run(s, replications=5, seed=1, workers=1).team_month["hires"].sum()
             for s in (sc, more)]  # fmt: skip
    assert hires[1] > hires[0]


def test_forecast_fields_are_checked():
    with pytest.raises(simsales.ScenarioError, match="target_reps"):
        BASE.with_overrides({"workforce.hiring": FORECAST | {"target_reps": None}})
    with pytest.raises(simsales.ScenarioError, match="class_size"):
        BASE.with_overrides({"workforce.hiring": FORECAST | {"class_size": 4}})

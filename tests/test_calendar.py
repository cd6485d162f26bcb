"""The working-day calendar (engine/calendar.py): months of their own lengths, and a run
on such a calendar (the groundwork of holidays and seasons, issue 17 item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.engine import calendar as calendar_module
from simsales.engine.calendar import Calendar
from simsales.simulate import simulate
from tests.conftest import ROOT

LENGTHS = (26, 26, 13, 26, 24)  # warm-up, then a month with a fortnight's holiday


def test_months_of_their_own_lengths():
    cal = Calendar(26, 1, 4, LENGTHS)
    assert [cal.start(m) for m in range(6)] == [0, 26, 52, 65, 91, 115]
    assert cal.total_days == 115 and [cal.days_in(m) for m in range(5)] == list(LENGTHS)
    days = np.arange(-30, 140)
    expected = [cal.month_of(int(d)) for d in days]
    assert cal.months_of(days).tolist() == expected
    assert cal.month_of(64) == 2 and cal.month_of(65) == 3 and cal.month_of(114) == 4
    assert cal.month_of(-1) == -1 and cal.month_of(115) == 5  # nominal months outside
    assert cal.start(7) == 115 + 2 * 26
    uniform = Calendar(26, 1, 4)
    assert (
        uniform.uniform
        and uniform.start(3) == 78
        and uniform.months_of(days).tolist() == (days // 26).tolist()
    )
    with pytest.raises(ValueError, match="month lengths"):
        Calendar(26, 1, 4, (26, 26))


@pytest.fixture(scope="module")
def short_february():
    """The baseline on a calendar whose second reported month has 13 working days: its
    team_month and rep_month tables over 4 replications."""
    sc = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides(
        {"horizon.months": 4, "horizon.warmup_months": 1}
    )
    original = Calendar.from_horizon
    calendar_module.Calendar.from_horizon = classmethod(  # type: ignore[method-assign]
        lambda cls, h: cls(h.days_per_month, h.warmup_months, h.months, LENGTHS)
    )
    try:
        runs = [simulate(sc, r, 5) for r in range(4)]
    finally:
        calendar_module.Calendar.from_horizon = original  # type: ignore[method-assign]
    return tuple(
        pd.concat(pd.DataFrame(run[t]).assign(replication=r) for r, run in enumerate(runs))
        for t in ("team_month", "rep_month")
    )


def test_a_short_month_has_the_work_of_its_days(short_february):
    """Work follows the working days. A rep on post all month makes 30 prospect records
    (F1) on each working day: 390 in the 13-day month, 780 in a 26-day one, exactly. HQ
    leads arrive at 0.6 a rep on post a working day (F10), Poisson, from the reps on post
    when the month starts (last month's end less the leavers who go on its first day):
    each month's total is within 4 standard deviations (sqrt of its mean) of that."""
    tm, rm = short_february
    stayed = rm[(rm["class"] == 0) & (rm["month"] == 2) & (rm["status"] == "on_post")]
    keys = ["replication", "rep"]
    whole = rm.merge(stayed[keys], on=keys)  # on post through months 1 and 2
    records = whole[whole["month"] <= 2].groupby("month")["prospect_records"].unique()
    assert [r.tolist() for r in records] == [[30 * 26], [30 * 13]]
    tm = tm.set_index(["replication", "month"]).sort_index()
    for month, days in ((2, 13), (3, 26)):
        previous, this = tm.xs(month - 1, level="month"), tm.xs(month, level="month")
        at_start = previous["reps_on_post"] - this["quits"] - this["dismissals"]
        expected = (0.6 * days * at_start).sum()
        assert abs(this["hq_leads"].sum() - expected) < 4 * np.sqrt(expected)


def test_month_end_signings_count_the_last_days_of_each_month(short_february):
    """signings_last_week counts the last 6 working days of each month, short or not:
    in the 13-day month at least their share of its days, 6/13, less 3 standard errors
    (the month-end surge, F13, only adds); counted over a nominal 26-day month it would
    be about none."""
    tm, _ = short_february
    feb = tm[tm["month"] == 2]
    share = (feb["signings_last_week"] / feb["signings"]).to_numpy()
    assert share.mean() + 3 * share.std(ddof=1) / np.sqrt(share.size) >= 6 / 13
    jan = tm[tm["month"] == 1]
    assert (jan["signings_last_week"] < jan["signings"]).all()


# ------------------------------------------------------------ a calendar of dates
SEASONAL = ROOT / "scenarios" / "seasonal.yaml"


def test_working_days_come_from_the_dates():
    """January 2027: 26 days that are not Sundays, less New Year's Day; February: 24, less
    the Spring Festival's 12 working days (3-16 February)."""
    h = simsales.load_scenario(SEASONAL).horizon
    lengths = h.month_lengths()
    assert len(lengths) == 15 and h.month_label(0) == "2026-10" and h.month_label(3) == "2027-01"
    assert lengths[3:5] == (25, 12)
    assert lengths[0] == 27 - 6  # October 2026: 27 days that are not Sundays, the golden week's 6
    cal = Calendar.from_horizon(h)
    assert cal.total_days == sum(lengths) and cal.days_in(4) == 12
    assert cal.labels[3] == "2027-01" and cal.month_of_year(4) == 2


def test_tables_say_the_calendar_month_and_its_working_days():
    sc = simsales.load_scenario(SEASONAL).with_overrides({"horizon.months": 3})
    tm = pd.DataFrame(simulate(sc, 0, 2)["team_month"])
    assert list(tm.columns[:4]) == ["month", "date", "working_days", "policy"]
    assert tm["date"].tolist() == ["2027-01", "2027-02", "2027-03"]
    assert tm["working_days"].tolist() == [25, 12, 27]
    base = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    plain = pd.DataFrame(simulate(base.with_overrides({"horizon.months": 1}), 0, 2)["team_month"])
    assert "date" not in plain and "working_days" not in plain


def seasons(interest=None, sign=None) -> simsales.Scenario:
    """The baseline from January 2027 (uniform months), with demand by month."""
    return simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides({
        "name": "seasons",
        "horizon.months": 4,
        "horizon.warmup_months": 1,
        "horizon.start": "2027-01",
        "leads.seasonality": {"interest": interest or [1.0] * 12, "sign": sign or [1.0] * 12},
    })  # fmt: skip


def test_a_month_without_sign_chance_signs_nothing():
    """Seasonality's sign multiplier scales every touch's and call's sign chance: at 0 in
    March no deal signs in March; months before it are identical to a year without
    seasons (common random numbers), and a dated change before March (which rebuilds the
    day's rules) keeps the season."""
    dead = [1.0, 1.0, 0.0] + [1.0] * 9
    flat = pd.DataFrame(simulate(seasons(), 0, 3)["team_month"])
    for sc in (seasons(sign=dead),
               seasons(sign=dead).with_overrides({"changes": [
                   {"month": 2, "set": {"leads.pool_expiry_days": 20}}]})):  # fmt: skip
        tm = pd.DataFrame(simulate(sc, 0, 3)["team_month"])
        assert tm.loc[tm["date"] == "2027-03", "signings"].item() == 0
        assert tm.loc[tm["date"] == "2027-04", "signings"].item() > 0
    tm = pd.DataFrame(simulate(seasons(sign=dead), 0, 3)["team_month"])
    before = ["visits", "signings", "revenue", "leads_entered"]
    pd.testing.assert_frame_equal(tm.loc[:1, before], flat.loc[:1, before])


def test_low_interest_means_fewer_appointment_calls():
    """Interest at 0.5 in February halves the interested share of records (0.2 -> 0.1: 3
    of 30 records on average, under the norm of 5 calls). January is as without seasons
    (common random numbers); February's calls (appointments, about 5 a rep-day, plus
    about 0.5 phone touches) fall to between (3 + 0.5) / 5.5 and, with January's
    interest carried into February's first day, about (3.5 + 0.5) / 5.5 of a flat year's."""
    low = [1.0, 0.5] + [1.0] * 10

    def calls(sc):
        tm = pd.concat([pd.DataFrame(simulate(sc, r, 7)["team_month"]) for r in range(3)])
        return tm.groupby("date")["phone_appointments"].sum()

    flat, dip = calls(seasons()), calls(seasons(interest=low))
    assert dip["2027-01"] == flat["2027-01"]
    assert 0.6 < dip["2027-02"] / flat["2027-02"] < 0.8


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"horizon.calendar": {"days_off": ["sunday"]}}, "horizon.calendar", "needs start"),
        ({"horizon.start": "2027-13"}, "horizon.start", "pattern"),
        ({"horizon.start": "2027-01", "horizon.calendar": {"days_off": ["sunday"], "holidays": [
            {"name": "x", "first": "2027-02-10", "last": "2027-02-01"}]}},
         "horizon.calendar.holidays[0].last", "on or after first"),
        ({"horizon.start": "2027-01", "horizon.calendar": {"days_off": ["sunday"], "holidays": [
            {"name": "closed", "first": "2027-01-01", "last": "2027-03-31"}]}},
         "horizon.calendar", "no working day"),
        ({"horizon.start": "2027-01", "horizon.calendar": {"days_off": ["funday"]}},
         "horizon.calendar.days_off[0]", "monday"),
        ({"leads.seasonality": {"interest": [1.0] * 12, "sign": [1.0] * 12}},
         "leads.seasonality", "needs horizon.start"),
        ({"horizon.start": "2027-01",
          "leads.seasonality": {"interest": [1.0] * 11, "sign": [1.0] * 12}},
         "leads.seasonality.interest", "12"),
    ],
    ids=["calendar-without-start", "bad-month", "holiday-backwards", "month-without-days",
         "bad-weekday", "seasons-without-start", "eleven-months"],
)  # fmt: skip
def test_bad_calendars_are_one_clear_error(overrides, field, words):
    from simsales.scenario.errors import ScenarioError

    base = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with pytest.raises(ScenarioError) as err:
        base.with_overrides(overrides)
    problems = err.value.problems
    assert problems[0].field == field, problems
    assert words in problems[0].message

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
    """The baseline on a calendar whose second reported month has 13 working days."""
    sc = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides(
        {"horizon.months": 4, "horizon.warmup_months": 1}
    )
    original = Calendar.from_horizon
    calendar_module.Calendar.from_horizon = classmethod(  # type: ignore[method-assign]
        lambda cls, h: cls(h.days_per_month, h.warmup_months, h.months, LENGTHS)
    )
    try:
        tables = [pd.DataFrame(simulate(sc, r, 5)["team_month"]) for r in range(4)]
    finally:
        calendar_module.Calendar.from_horizon = original  # type: ignore[method-assign]
    return pd.concat(tables)


def test_a_short_month_has_the_work_of_its_days(short_february):
    """Visits, records and HQ leads follow the working days: the 13-day month has half
    the 26-day months' (within sampling noise and the backlog a short month leaves)."""
    by_month = short_february.groupby("month")[["visits", "prospect_records", "hq_leads"]].sum()
    per_day = by_month.div(pd.Series(LENGTHS[1:], index=[1, 2, 3, 4]), axis=0)
    for column in ("visits", "prospect_records"):
        assert per_day.loc[2, column] == pytest.approx(per_day.loc[1, column], rel=0.05)
    # HQ leads are Poisson at a rate per rep-day: the month's total has sd sqrt(mean).
    hq = by_month["hq_leads"]
    expected = hq.loc[1] * 13 / 26
    assert abs(hq.loc[2] - expected) < 4 * np.sqrt(expected) + 0.05 * expected


def test_month_end_signings_count_the_last_days_of_each_month(short_february):
    """signings_last_week counts the last 6 working days of every month, short or not."""
    tm = short_february
    share = tm.groupby("month")["signings_last_week"].sum() / tm.groupby("month")["signings"].sum()
    assert 0.2 < share.loc[2] < 0.7  # 6 of 13 days, with the month-end surge (F13)
    assert share.loc[2] > share.loc[1]

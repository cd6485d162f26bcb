"""``cohort_kpis`` on a trainer's own HR table: the observation end, the order-day formats,
the F26 earning rule and the refusal of rows that cannot be right (issue 14)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import simsales
import simsales.metrics.cohorts as cohorts
from simsales.metrics.cohorts import CohortDataError, ObservationEndWarning, cohort_kpis
from tests.conftest import ROOT

F23_CSV = ROOT / "notebooks" / "data" / "f23_worked_example.csv"


def reps(*rows: dict, index: list | None = None) -> pd.DataFrame:
    """An HR table of one class from partial rows (a rep on post on day 0 by default)."""
    full = [
        {
            "class": "A",
            "left_before_post": None,
            "on_post_day": 0.0,
            "leave_day": np.nan,
            "order_days": [],
            **row,
        }
        for row in rows
    ]
    return pd.DataFrame(full, index=index)


def sample() -> pd.DataFrame:
    """Five trainees labelled by name: a washout, a trial failure and three on post."""
    return reps(
        {"left_before_post": "training", "on_post_day": np.nan},
        {"left_before_post": "trial", "on_post_day": np.nan, "leave_day": 20.0},
        {"order_days": [3.0, 12.0]},
        {"leave_day": 40.0, "order_days": [5.0]},
        {},
        index=["ana", "bo", "cy", "di", "ed"],
    )


def refused(hr: pd.DataFrame, **kwargs) -> str:
    """The message of the ``CohortDataError`` that ``cohort_kpis`` raises for ``hr``."""
    with pytest.raises(CohortDataError) as err:
        cohort_kpis(hr, **{"end_day": 400, **kwargs})
    assert isinstance(err.value, ValueError)  # callers catching ValueError still do
    return str(err.value)


# ------------------------------------------------------------ end_day
@pytest.mark.parametrize(
    ("start", "end_day", "seen"),
    [(0, 29, True), (0, 28, False), (33, 62, True), (33, 61, False), (-45, -16, True),
     (-45, -17, False)],
)  # fmt: skip
def test_end_day_is_the_last_day_covered(start, end_day, seen):
    """A month on post from day s is days s .. s + 29: complete when s + 29 <= end_day."""
    k = cohort_kpis(reps({"on_post_day": start}), days_per_month=30, end_day=end_day).iloc[0]
    assert np.isnan(k["survival_1m_of_on_post"]) == (not seen)
    if seen:
        assert k["survival_1m_of_on_post"] == 1.0
    assert np.isnan(k["survival_3m_of_on_post"])


def test_the_f23_csv_gives_12_of_18_once_its_month_is_covered():
    hr = pd.read_csv(F23_CSV)
    k = cohort_kpis(hr, days_per_month=30, end_day=33 + 29).iloc[0]  # on post on day 33
    assert k["on_post"] == 18 and k["signed_1m"] == 12
    assert k["signing_rate_1m_of_on_post"] == pytest.approx(12 / 18)  # F23
    assert k["survival_1m_of_on_post"] == pytest.approx(15 / 18)
    assert np.isnan(k["survival_3m_of_on_post"])  # the table covers one month only
    short = cohort_kpis(hr, days_per_month=30, end_day=33 + 28).iloc[0]
    assert np.isnan(short["signing_rate_1m_of_on_post"]) and short["on_post"] == 18


def test_without_end_day_the_latest_day_is_taken_and_said():
    hr = sample()  # latest day: di's leave on day 40
    with pytest.warns(ObservationEndWarning, match=r"took day 40\b.*Pass end_day="):
        k = cohort_kpis(hr, days_per_month=30).iloc[0]
    pd.testing.assert_series_equal(k, cohort_kpis(hr, days_per_month=30, end_day=40).iloc[0])
    assert k["survival_1m_of_on_post"] == pytest.approx(3 / 3)  # days 0-29 are covered
    # Not a year of survival from six weeks of data (the bug).
    assert np.isnan(k["survival_3m_of_on_post"]) and np.isnan(k["survival_12m_of_on_post"])


def test_an_order_day_can_be_the_latest_day():
    hr = reps({"order_days": [3.0, 75.0]}, {"leave_day": 12.0})
    with pytest.warns(ObservationEndWarning, match=r"took day 75\b"):
        k = cohort_kpis(hr, days_per_month=30).iloc[0]
    assert k["survival_1m_of_on_post"] == 0.5 and np.isnan(k["survival_3m_of_on_post"])


def test_a_table_with_nobody_on_post_needs_no_end_day():
    hr = reps({"left_before_post": "training", "on_post_day": np.nan})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ObservationEndWarning)
        k = cohort_kpis(hr).iloc[0]
    assert k["washout_of_trainees"] == 1.0 and k["on_post"] == 0


def test_the_simulation_passes_its_last_day_and_never_warns(monkeypatch):
    sc = simsales.load_scenario(ROOT / "scenarios" / "trainer_class.yaml").with_overrides(
        {"horizon.months": 8, "horizon.warmup_months": 1}
    )
    calls = []
    real = cohorts.cohort_kpis

    def recording(hr, **kwargs):
        calls.append(kwargs)
        return real(hr, **kwargs)

    monkeypatch.setattr(cohorts, "cohort_kpis", recording)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ObservationEndWarning)
        res = simsales.run(sc, replications=2, seed=5, workers=1)
    dpm = sc.horizon.days_per_month
    assert [c["end_day"] for c in calls] == [9 * dpm - 1] * 2  # days 0 .. 9 * dpm - 1 run
    c = res.cohorts
    known = c["earning_6m"].notna()
    assert known.any()  # the class's 6th month is seen: the check below is not vacuous
    assert (c.loc[known, "earning_6m"] <= c.loc[known, "survived_6m"]).all()  # F26


# ------------------------------------------------------------ order_days formats
@pytest.mark.parametrize(
    "cells",
    [
        ["5;20", "40", "", "2"],
        [" 5 ; 20 ;", 40, np.nan, 2.0],
        [(5, 20), np.array([40]), None, [2]],
        [np.array([5.0, 20.0]), pd.Series([40]), [], np.int64(2)],
    ],
)
def test_order_days_formats_read_alike(cells):
    as_lists = [[5.0, 20.0], [40.0], [], [2.0]]
    rows = [{}, {}, {}, {"leave_day": 10.0}]  # the leaver's order counts for F24 only
    expected = reps(*({**r, "order_days": d} for r, d in zip(rows, as_lists, strict=True)))
    got = reps(*({**r, "order_days": d} for r, d in zip(rows, cells, strict=True)))
    k = cohort_kpis(got, end_day=29)
    pd.testing.assert_frame_equal(k, cohort_kpis(expected, end_day=29))
    assert k["signed_1m"].iloc[0] == 1 and k["orders_1m"].iloc[0] == 3


def test_the_csv_read_as_text_or_numbers_gives_the_same_kpis():
    as_text = pd.read_csv(F23_CSV, dtype={"order_days": str})  # "38", "38;45" or NaN
    as_numbers = pd.read_csv(F23_CSV)  # one order a rep: pandas reads floats
    with_two = as_text.copy()
    with_two.loc[2, "order_days"] = "38;45"  # a second order in the first month
    end = 33 + 29
    pd.testing.assert_frame_equal(
        cohort_kpis(as_text, end_day=end), cohort_kpis(as_numbers, end_day=end)
    )
    k = cohort_kpis(with_two, end_day=end).iloc[0]
    assert k["orders_1m"] == 13 and k["signed_1m"] == 12


# ------------------------------------------------------------ F26 earning
def test_a_rep_gone_before_the_end_of_the_6th_month_is_not_earning():
    dpm, pay = 30, 9000.0
    hr = reps(
        {"leave_day": 6 * dpm - 1, "pay_month_6": pay},  # left on the 6th month's last day
        {"leave_day": 100.0, "pay_month_6": pay},  # gone in month 4: paid, but not earning
        {"leave_day": 6 * dpm, "pay_month_6": pay},  # first day gone is day 180: 6 months
        {"pay_month_6": pay},  # stays
        {"pay_month_6": 7999.0},  # stays, paid below the threshold
        {"pay_month_6": np.nan},  # stays, pay not known
    )
    k = cohort_kpis(hr, days_per_month=dpm, end_day=400, earning_threshold=8000).iloc[0]
    assert k["survived_6m"] == 4
    assert k["earning_6m"] == 2  # the third and fourth rep
    assert k["earning_6m_of_on_post"] == pytest.approx(2 / 6)


def test_earning_waits_for_the_6th_month_and_the_threshold():
    hr = reps({"pay_month_6": 9000.0})
    assert np.isnan(cohort_kpis(hr, end_day=178, earning_threshold=8000)["earning_6m"].iloc[0])
    assert cohort_kpis(hr, end_day=179, earning_threshold=8000)["earning_6m"].iloc[0] == 1
    assert np.isnan(cohort_kpis(hr, end_day=179)["earning_6m"].iloc[0])  # no threshold


# ------------------------------------------------------------ refusals
def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, (part, message)


def test_a_leave_day_before_the_on_post_day_is_refused():
    hr = sample()
    hr.loc["di", "leave_day"] = -3.0
    msg = refused(hr)
    assert_names(msg, "row 4 (index 'di')", "'leave_day'", "-3", "before on_post_day 0")
    assert "more" not in msg


def test_an_unknown_left_before_post_label_is_refused():
    hr = sample()
    hr.loc["bo", "left_before_post"] = "quit"
    msg = refused(hr)
    assert_names(msg, "row 2 (index 'bo')", "'left_before_post'", "'quit'", "'training'", "'trial'")


def test_a_label_with_spaces_around_it_is_read():
    hr = sample()
    hr.loc["ana", "left_before_post"] = " training "
    assert cohort_kpis(hr, end_day=400)["washed_out"].iloc[0] == 1


@pytest.mark.parametrize(("who", "label"), [("ana", "training"), ("bo", "trial")])
def test_a_trainee_who_left_before_post_with_an_on_post_day_is_refused(who, label):
    hr = sample()
    hr.loc[who, "on_post_day"] = 33.0
    if who == "bo":
        hr.loc[who, "leave_day"] = np.nan
    msg = refused(hr)
    row = "row 1 (index 'ana')" if who == "ana" else "row 2 (index 'bo')"
    assert_names(msg, row, "'on_post_day'", ": 33 ", f"left_before_post {label!r}")


def test_a_trainee_gone_before_post_without_a_label_is_refused():
    hr = sample()
    hr.loc["bo", "left_before_post"] = ""
    msg = refused(hr)
    assert_names(msg, "row 2 (index 'bo')", "'left_before_post'", "''", "leave_day 20")


def test_a_trainee_without_a_class_is_refused():
    hr = sample()
    hr["class"] = hr["class"].astype(object)
    hr.loc["cy", "class"] = None
    assert_names(refused(hr), "row 3 (index 'cy')", "'class'", "None", "is empty")


@pytest.mark.parametrize("dpm", [0, -30, np.inf, np.nan, "30", True, None])
def test_days_per_month_must_be_a_positive_finite_number(dpm):
    msg = refused(sample(), days_per_month=dpm)
    assert_names(msg, f"days_per_month={dpm!r}", "a finite number > 0")


@pytest.mark.parametrize("end", [np.inf, np.nan, "2026-03-31"])
def test_end_day_must_be_a_finite_number(end):
    assert_names(refused(sample(), end_day=end), f"end_day={end!r}", "a finite number")


@pytest.mark.parametrize("column", ["on_post_day", "leave_day"])
@pytest.mark.parametrize(("value", "shown"), [(np.inf, "inf"), ("soon", "'soon'")])
def test_a_day_that_is_not_a_finite_number_is_refused(column, value, shown):
    hr = sample()
    hr[column] = hr[column].astype(object)
    hr.loc["di", column] = value
    msg = refused(hr)
    assert_names(msg, "row 4 (index 'di')", f"'{column}'", f": {shown} ", "a day number")


def test_an_infinite_day_in_a_numeric_column_is_refused():
    hr = sample()
    hr.loc["ed", "leave_day"] = -np.inf
    assert_names(refused(hr), "row 5 (index 'ed')", "'leave_day'", "-inf", "finite")


def test_a_date_instead_of_a_day_number_is_refused():
    hr = sample()
    hr["on_post_day"] = hr["on_post_day"].astype(object)
    hr.loc["cy", "on_post_day"] = pd.Timestamp("2026-03-02")
    assert_names(refused(hr), "row 3 (index 'cy')", "'on_post_day'", "2026-03-02", "day number")


@pytest.mark.parametrize(
    ("cell", "says"),
    [("38;x", "'38;x' holds 'x', which is"), ("38,45", "'38,45' is"),
     ([38, "soon"], "[38, 'soon'] holds 'soon', which is"),
     ([38, np.inf], "[38, inf] holds inf, which is"), (np.inf, "inf is"), ("nan", "'nan' is")],
)  # fmt: skip
def test_an_order_day_that_is_not_a_day_number_is_refused(cell, says):
    hr = sample()
    hr.at["cy", "order_days"] = cell
    msg = refused(hr)
    assert_names(msg, "row 3 (index 'cy')", f"'order_days': {says} not a day number", "'38;45'")


def test_a_pay_that_is_not_a_number_is_refused():
    hr = sample().assign(pay_month_6=np.nan)
    hr["pay_month_6"] = hr["pay_month_6"].astype(object)
    hr.loc["ed", "pay_month_6"] = "8k"
    msg = refused(hr, earning_threshold=8000)
    assert_names(msg, "row 5 (index 'ed')", "'pay_month_6'", "'8k'", "an amount")


def test_several_problems_give_the_first_and_a_count():
    hr = sample()
    hr.loc["ed", "leave_day"] = -1.0
    hr.loc["bo", "left_before_post"] = "quit"
    hr.at["cy", "order_days"] = "3;?"
    msg = refused(hr)
    assert msg.startswith("HR-events table: row 2 (index 'bo')")
    assert re.search(r"; and 2 more$", msg)


def test_a_default_index_is_named_by_its_label():
    hr = sample().reset_index(drop=True)
    hr.loc[3, "leave_day"] = -3.0
    assert_names(refused(hr), "row 4 (index 3)")


def test_a_missing_column_is_refused():
    msg = refused(sample().drop(columns=["leave_day"]))
    assert_names(msg, "['leave_day']", "needs")


def test_pooled_rates_over_trainees_wait_for_classes_still_in_training():
    """A class still in training has nobody on post yet and survived_3m = 0: it must not
    count as 20 trainees of whom none remained (the pooled share of trainees would halve)."""
    from simsales.metrics.summary import _classes

    cohorts = pd.DataFrame(
        {
            "scenario": "s",
            "replication": 0,
            "trainees": [20, 20],
            "washed_out": [2, 0],
            "on_post": [16, 0],
            "in_class": [0, 20],
            "signed_1m": [6, 0],
            "orders_1m": [9, 0],
            "survived_3m": [10, 0],
            "survived_12m": [np.nan, np.nan],
            "earning_6m": [np.nan, np.nan],
        }
    )
    index = pd.MultiIndex.from_tuples([("s", 0)], names=["scenario", "replication"])
    k = _classes(cohorts, index).iloc[0]
    assert k["class_remaining_3m_of_trainees"] == pytest.approx(10 / 20)
    assert k["class_survival_3m_of_on_post"] == pytest.approx(10 / 16)
    assert k["class_washout_of_trainees"] == pytest.approx(2 / 20)
    assert np.isnan(k["class_remaining_12m_of_trainees"])

"""Plots: each function draws a labelled figure with the expected series from small
results (the figure's content, not just that it ran)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import simsales  # noqa: E402
from simsales import plotting  # noqa: E402
from tests.conftest import BASELINE, small_overrides  # noqa: E402


@pytest.fixture(scope="module")
def comparison():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=3))
    more = base.with_overrides({"name": "more_quota", "quota.revenue_per_month": 180_000.0})
    return simsales.compare([base, more], replications=4, seed=1, workers=1)


def test_fan_chart_has_two_bands_and_a_median_per_scenario(comparison):
    res = comparison.results
    tm = next(iter(res.values())).team_month
    fig = plotting.fan_chart(tm, "revenue", unit="yuan")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "month" and ax.get_ylabel() == "revenue [yuan]"
    assert len(ax.collections) == 2 and len(ax.lines) == 1  # P10-P90, P25-P75; median
    median = ax.lines[0].get_ydata()
    assert list(median) == list(tm.groupby("month")["revenue"].median())


def test_forest_plot_shows_every_metric_of_every_scenario(comparison):
    table = comparison.table()
    fig = plotting.forest_plot(table, metrics=["revenue", "attainment", "payroll"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["revenue", "attainment", "payroll"]
    assert "% of its mean" in ax.get_xlabel()
    # Attainment falls when the quota rises: its marker sits left of zero.
    points = ax.containers[0].lines[0]  # the errorbar's markers, one per metric
    assert len(points.get_xdata()) == 3 and points.get_xdata()[1] < 0


def test_attainment_histogram_marks_the_quota(comparison):
    rm = next(iter(comparison.results.values())).rep_month
    fig = plotting.attainment_histogram(rm)
    ax = fig.axes[0]
    quota = [line for line in ax.lines if list(line.get_xdata()) == [1.0, 1.0]]
    assert quota and ax.get_ylabel() == "rep-months"
    assert (
        sum(p.get_height() for p in ax.patches)
        == rm[rm["status"] == "on_post"]["attainment"].notna().sum()
    )


def test_headcount_stacks_the_three_statuses(comparison):
    tm = next(iter(comparison.results.values())).team_month
    fig = plotting.headcount(tm)
    ax = fig.axes[0]
    assert len(ax.collections) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "in training", "on trial", "on post"]  # fmt: skip

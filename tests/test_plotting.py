"""Plots: each function draws a labelled figure with the expected series from small
results (the figure's content, not just that it ran)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import simsales  # noqa: E402
from simsales import plotting  # noqa: E402
from tests.conftest import BASELINE, STEADY, small_overrides  # noqa: E402


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


@pytest.fixture(scope="module")
def trainees():
    """Three replications of one class of 12 joining a small team, followed 8 months."""
    sc = simsales.load_scenario(BASELINE.with_name("trainer_class.yaml"))
    small = {k: v for k, v in small_overrides(months=8).items() if k not in STEADY}
    sc = sc.with_overrides({**small, "workforce.hiring.plan": [{"month": 1, "size": 12}]})
    return simsales.run(sc, replications=3, seed=5, workers=1)


def _pooled_mean(cohorts, column):
    """Mean over replications of Σ column ÷ Σ on_post: what the plots should show."""
    by = cohorts.groupby("replication")
    return (by[column].sum() / by["on_post"].sum()).mean()


def test_cohort_survival_starts_at_one_and_shows_each_observed_window(trainees):
    fig = plotting.cohort_survival(trainees.cohorts)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "months on post" and "still on the team" in ax.get_ylabel()
    (curve,) = ax.containers  # one errorbar curve: the scenario's classes pooled
    assert curve.get_label() == "trainer_class"
    months, shares = curve.lines[0].get_data()
    # 8 months from the class's start: 1, 3 and 6 months on post are observed, 12 is not.
    assert list(months) == [0, 1, 3, 6]
    assert shares[0] == 1.0
    for m, share in zip([1, 3, 6], shares[1:], strict=True):
        assert share == pytest.approx(_pooled_mean(trainees.cohorts, f"survived_{m}m"))
    assert list(shares) == sorted(shares, reverse=True)  # survival never rises


def test_class_kpis_show_f23_f26_and_f24_per_class(trainees):
    fig = plotting.class_kpis(trainees.cohorts, by="class")
    left, right = fig.axes
    bars = [p.get_height() for p in left.patches]
    assert bars == pytest.approx(
        [_pooled_mean(trainees.cohorts, c) for c in ("signed_1m", "earning_6m", "survived_3m")]
    )
    assert right.patches[0].get_height() == pytest.approx(
        _pooled_mean(trainees.cohorts, "orders_1m")
    )
    assert [t.get_text() for t in right.get_xticklabels()] == ["class 1 (month 1)"]
    assert any("F23" in t.get_text() for t in left.get_legend().get_texts())
    with pytest.raises(ValueError, match="by must be"):
        plotting.class_kpis(trainees.cohorts, by="rep")


def test_territory_saturation_has_a_panel_per_territory_with_four_states(trainees):
    tm = trainees.territory_month
    fig = plotting.territory_saturation(tm)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["T1", "T2"]
    for ax in panels:
        assert [line.get_label() for line in ax.lines] == [
            "untouched", "cooling off", "in pipeline", "customers"]  # fmt: skip
    untouched = panels[0].lines[0].get_ydata()
    expected = tm[tm["territory"] == "T1"].groupby("month")["firms_untouched"].mean()
    assert list(untouched) == pytest.approx(list(expected))
    assert untouched[-1] < untouched[0]  # the market is worked through


def test_lead_funnel_stages_and_f7_comparison(trainees):
    fig = plotting.lead_funnel(trainees.team_month, trainees.funnel)
    left, right = fig.axes
    widths = [p.get_width() for p in left.patches]
    per_year = trainees.team_month.groupby("replication")["signings"].sum().mean() * 12 / 8
    assert len(widths) == 5 and widths[-1] == pytest.approx(per_year)
    assert widths == sorted(widths, reverse=True)  # each stage is narrower than the last
    from matplotlib.container import BarContainer

    simulated, field = [c for c in right.containers if isinstance(c, BarContainer)]
    assert len(simulated) == len(field) == 6
    assert [p.get_height() for p in field] == pytest.approx(
        [1 / 101, 2 / 101, 3 / 101, 5 / 101, 10 / 101, 80 / 101]
    )
    assert sum(p.get_height() for p in simulated) == pytest.approx(1.0)


def test_plots_leave_the_backend_to_the_caller(monkeypatch, comparison, trainees):
    """Library plots never switch the backend: in Jupyter that would hide every figure."""
    monkeypatch.setattr(matplotlib, "use", lambda *a, **k: pytest.fail("backend switched"))
    tm = next(iter(comparison.results.values())).team_month
    plotting.fan_chart(tm, "revenue")
    plotting.headcount(tm)
    plotting.cohort_survival(trainees.cohorts)
    plotting.territory_saturation(trainees.territory_month)

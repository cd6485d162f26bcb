"""Plots: each function draws a labelled figure with the expected series from small
results (the figure's content, not just that it ran)."""

from __future__ import annotations

import functools
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import simsales  # noqa: E402
from simsales import plotting  # noqa: E402
from tests.conftest import BASELINE, STEADY, small_overrides  # noqa: E402


@pytest.fixture(scope="module")
def comparison():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=3))
    more = base.with_overrides({"name": "more_quota", "quota.revenue_per_month": 180_000.0})
    return simsales.compare([base, more], replications=4, seed=1, workers=1)


def figure_texts(fig) -> list[str]:
    """Every text a reader sees in a figure: titles, axis labels, tick labels, legend
    entries and annotations (drawn first, so the tick labels exist)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _as_scenarios(tm, names):
    """The same team_month under several scenario names: enough for a fan chart's layout."""
    import pandas as pd

    return pd.concat([tm.assign(scenario=name) for name in names], ignore_index=True)


def test_fan_chart_has_two_bands_and_a_median_per_scenario(comparison):
    res = comparison.results
    tm = next(iter(res.values())).team_month
    fig = plotting.fan_chart(tm, "revenue")
    (ax,) = fig.axes
    assert ax.get_xlabel() == "month" and ax.get_ylabel() == "Revenue in the month [yuan]"
    assert len(ax.collections) == 2 and len(ax.lines) == 1  # P10-P90, P25-P75; median
    median = ax.lines[0].get_ydata()
    assert list(median) == list(tm.groupby("month")["revenue"].median())
    assert "Reps on post in the month [reps]" == plotting.fan_chart(tm, "reps_on_post").axes[
        0].get_ylabel()  # fmt: skip


def test_fan_chart_of_two_scenarios_is_one_axes_of_four_a_panel_each(comparison):
    import pandas as pd

    two = pd.concat([r.team_month for r in comparison.results.values()])
    (ax,) = plotting.fan_chart(two, "margin").axes
    assert [line.get_label() for line in ax.lines] == list(comparison.results)
    names = ["baseline", "more_quota", "hire_more", "hire_less"]
    tm = next(iter(comparison.results.values())).team_month
    fig = plotting.fan_chart(_as_scenarios(tm, names), "margin", baseline="baseline")
    assert [ax.get_title() for ax in fig.axes] == names  # one panel per scenario
    first = fig.axes[0]
    assert all(first.get_shared_y_axes().joined(first, ax) for ax in fig.axes)
    reference = list(tm.groupby("month")["margin"].median())
    for ax in fig.axes:
        assert len(ax.collections) == 2  # its own two bands
        faint = [line for line in ax.lines if line.get_linestyle() == "--"]
        if ax.get_title() == "baseline":
            assert not faint
        else:  # the baseline's median, for reference
            assert [list(line.get_ydata()) for line in faint] == [reference]
    assert "Margin in the month [yuan]" in figure_texts(fig)
    five = plotting.fan_chart(_as_scenarios(tm, [*names, "fifth"]), "margin")
    assert len(five.axes) == 5  # the grid's sixth place is removed, not left empty
    with pytest.raises(ValueError, match="baseline 'zzz' is not among"):
        plotting.fan_chart(_as_scenarios(tm, names), "margin", baseline="zzz")


def test_forest_plot_groups_metrics_and_marks_the_better_direction(comparison):
    table = comparison.table()
    fig = plotting.forest_plot(table, metrics=["payroll", "visits", "attainment", "revenue"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "Money",
        "Revenue (new deals)  (↑ better)",
        "Reps' pay (payroll)  (↓ better)",
        "Sales",
        "Team attainment (revenue as a share of quota)  (↑ better)",
        "First visits",  # no better direction: no mark
    ]
    weights = [t.get_fontweight() for t in ax.get_yticklabels()]
    assert [w == "bold" for w in weights] == [True, False, False, True, False, False]
    assert "% of its mean" in ax.get_xlabel()
    # Attainment falls when the quota rises: its marker (row 4) sits left of zero.
    points = ax.containers[0].lines[0]  # the errorbar's markers, one per metric
    x, y = points.get_data()
    assert list(y) == [1, 2, 4, 5] and x[2] < 0
    # The better side is shaded for the three metrics with a direction, not for visits:
    # right of zero for revenue and attainment, left of zero for payroll.
    shades = [c for c in ax.collections if len(c.get_paths()) == 1 and c.get_alpha() == 0.15]
    spans = sorted((round(float(np.mean(p.vertices[:, 1]))), p.vertices[:, 0].min(),
                    p.vertices[:, 0].max()) for c in shades for p in c.get_paths())  # fmt: skip
    assert [row for row, _, _ in spans] == [1, 2, 4]
    (_, lo1, hi1), (_, lo2, hi2), (_, lo4, _) = spans
    assert lo1 == 0 and hi1 > 0 and hi2 == 0 and lo2 < 0 and lo4 == 0
    assert "the better side" in [t.get_text() for t in ax.get_legend().get_texts()]


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


def _pooled_over_trainees(cohorts, column):
    """Mean over replications of Σ column ÷ Σ trainees over the classes done training."""
    done = cohorts[cohorts["in_class"] == 0].groupby("replication")
    return (done[column].sum() / done["trainees"].sum()).mean()


def test_cohort_survival_shows_reps_on_post_and_all_trainees_still_there(trainees):
    fig = plotting.cohort_survival(trainees.cohorts)
    on_post, all_trainees = fig.axes
    assert on_post.get_ylabel() == "share of reps who went on post still there"
    assert all_trainees.get_ylabel() == "share of all trainees still there"
    assert on_post.get_xlabel() == all_trainees.get_xlabel() == "months on post"
    (curve,) = on_post.containers  # one errorbar curve: the scenario's classes pooled
    assert curve.get_label() == trainees.cohorts["scenario"].iloc[0]
    months, shares = curve.lines[0].get_data()
    # 8 months from the class's start: 1, 3 and 6 months on post are observed, 12 is not.
    assert list(months) == [0, 1, 3, 6]
    assert shares[0] == 1.0
    for m, share in zip([1, 3, 6], shares[1:], strict=True):
        assert share == pytest.approx(_pooled_mean(trainees.cohorts, f"survived_{m}m"))
    assert list(shares) == sorted(shares, reverse=True)  # survival never rises
    # Of all trainees: it starts at the share who went on post, and stays below the
    # curve of those on post by that factor (washouts and failed trials count as gone).
    (of_all,) = all_trainees.containers
    months, remaining = of_all.lines[0].get_data()
    assert list(months) == [0, 1, 3, 6]
    assert remaining[0] == pytest.approx(_pooled_over_trainees(trainees.cohorts, "on_post"))
    assert remaining[0] < 1
    for m, share in zip([1, 3, 6], remaining[1:], strict=True):
        assert share == pytest.approx(_pooled_over_trainees(trainees.cohorts, f"survived_{m}m"))
    assert all(r < s for r, s in zip(remaining, shares, strict=True))


def test_class_kpis_show_f23_f26_and_f24_per_class(trainees):
    fig = plotting.class_kpis(trainees.cohorts, by="class")
    left, right = fig.axes
    bars = [p.get_height() for p in left.patches]
    assert bars == pytest.approx(
        [_pooled_mean(trainees.cohorts, c) for c in ("signed_1m", "survived_3m", "earning_6m")]
    )
    ticks = [t.get_text().replace("\n", " ") for t in left.get_xticklabels()]
    assert ticks == ["Signed in the first month (F23)",  # the catalogue's order
                     "Still there 3 months after going on post (F26)",
                     "Earning by the 6th month (F26)"]  # fmt: skip
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


ODD_NAMES = ("p $\\frac{1}$", "$x$ and $y$")  # mathtext that fails to draw; that draws italic


def _shown(fig) -> list[str]:
    """What the reader sees of every text of ``fig``, drawn to a PNG as the report does
    (mathtext is parsed then: a name it cannot read raises)."""
    import io

    from matplotlib import cbook
    from matplotlib.text import Text

    fig.savefig(io.BytesIO(), format="png")
    texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    matplotlib.pyplot.close(fig)
    assert not [t for t in texts if cbook.is_math_text(t)]  # no text is read as mathtext
    return [t.replace(r"\$", "$") for t in texts]  # as matplotlib shows an escaped $


def _renamed(table, names=ODD_NAMES):
    """``table`` with its scenarios renamed to ``names``, in order."""
    old = list(dict.fromkeys(table["scenario"]))
    return table.assign(scenario=table["scenario"].map(dict(zip(old, names, strict=False))))


def test_scenario_names_show_literally_in_every_plot(comparison, trainees):
    """Scenario (and territory) names that matplotlib would read as mathtext show as
    written: plotting functions take tables, whose name columns can hold anything."""
    import pandas as pd

    both = pd.concat([r.team_month for r in comparison.results.values()], ignore_index=True)
    rep_month = pd.concat([r.rep_month for r in comparison.results.values()], ignore_index=True)
    four = _as_scenarios(next(iter(comparison.results.values())).team_month,
                         [*ODD_NAMES, "c", "d"])  # fmt: skip
    figures = [
        plotting.fan_chart(_renamed(both), "revenue"),
        plotting.fan_chart(four, "revenue"),
        plotting.forest_plot(_renamed(comparison.table(), ODD_NAMES[1:])),
        plotting.attainment_histogram(_renamed(rep_month)),
        plotting.headcount(_renamed(both)),
        plotting.headcount(_renamed(both), ODD_NAMES[0]),
        plotting.cohort_survival(_renamed(trainees.cohorts)),
        plotting.class_kpis(_renamed(trainees.cohorts)),
    ]
    for fig in figures:
        shown = " | ".join(_shown(fig))
        assert any(name in shown for name in ODD_NAMES), shown
    tm = _renamed(trainees.territory_month).assign(territory=lambda t: t["territory"] + " $1$")
    shown = _shown(plotting.territory_saturation(tm))
    assert "T1 $1$" in shown and any(ODD_NAMES[0] in text for text in shown)


def test_literal_escapes_every_dollar_and_nothing_else():
    assert plotting.literal("p $\\frac{1}$") == "p \\$\\frac{1}\\$"
    assert plotting.literal("a\\$b") == "a\\\\$b"  # shown as a\$b: the escape is undone once
    assert plotting.literal("plan B, 80 reps") == "plan B, 80 reps"


@functools.cache
def small_optimisation():
    """A quick optimisation of the commission rate for margin, first-year attrition at
    most 72% (some candidates fail it): 8 trials of 6 replications, 3 finalists on 8
    fresh ones. Built once per test session (test_report uses it too)."""
    pytest.importorskip("optuna")
    from simsales.experiment.optimise import optimise

    sc = simsales.load_scenario(BASELINE).with_overrides({
        "team.reps": 16, "team.supervisor_groups": 2, "horizon.months": 6,
        "market.territories": [{"name": "A", "firms": 20_000}, {"name": "B", "firms": 20_000}],
    })  # fmt: skip
    return optimise(sc, {"pay.commission.rate": {"low": 0.04, "high": 0.16, "step": 0.02}},
                    "margin", ["first_year_attrition <= 0.72"], trials=8, batch=4,
                    replications=6, finalists=3, final_replications=8, workers=1)  # fmt: skip


@pytest.fixture(scope="module")
def optimisation():
    # pytest imports this file as test_plotting, test_report as tests.test_plotting: the
    # latter's cache serves both.
    from tests.test_plotting import small_optimisation as cached

    return cached()


def _collection(ax, label: str):
    (found,) = [c for c in ax.collections if c.get_label() == label]
    return found


def test_trade_off_draws_every_distinct_candidate_feasible_filled_infeasible_hollow(
    optimisation,
):
    o = optimisation
    fig = plotting.trade_off(o)
    (ax,) = fig.axes
    distinct = o.trials.drop_duplicates(subset=list(o.spec.parameters))
    assert len(distinct) < len(o.trials)  # the search proposed a candidate twice
    level = "first_year_attrition <= 0.72"
    met, failed = _collection(ax, "met the constraints"), _collection(ax, "failed a constraint")
    for points, feasible in ((met, True), (failed, False)):
        block = distinct[distinct["feasible"] == feasible]
        assert len(block) > 0  # both kinds, or the test says nothing
        assert sorted(map(tuple, points.get_offsets().tolist())) == sorted(
            zip(block[level], block["objective"], strict=True))  # fmt: skip
    assert len(met.get_offsets()) + len(failed.get_offsets()) == len(distinct)
    assert list(failed.get_facecolors()) == [] and met.get_facecolors().size  # hollow, filled
    # The bound: a dashed vertical line at the constraint's value, labelled in words.
    (bound,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert list(bound.get_xdata()) == [0.72, 0.72]
    assert bound.get_label() == "limit: first-year attrition ≤ 72.0%"
    # Finalists ringed at their search values; the winner starred and labelled.
    rings = _collection(ax, "finalists (run again on fresh replications)")
    assert len(rings.get_offsets()) == len(o.finalists)
    star = _collection(ax, f"the winner (trial {o.winner})")
    winner = o.trials.set_index("trial").loc[o.winner]
    assert star.get_offsets().tolist() == [[winner[level], winner["objective"]]]
    texts = figure_texts(fig)
    assert f"winner, trial {o.winner}" in texts
    # The base scenario's objective on the search replications, dotted across.
    (base,) = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert base.get_ydata()[0] == pytest.approx(winner["objective"] - o.search_advantage)
    matplotlib.pyplot.close(fig)


def test_trade_off_axes_say_the_catalogues_labels_units_and_scenario(optimisation):
    from simsales.metrics.catalogue import metric as catalogued

    fig = plotting.trade_off(optimisation)
    (ax,) = fig.axes
    attrition, margin = catalogued("first_year_attrition"), catalogued("margin")
    assert ax.get_xlabel().replace("\n", " ") == f"{attrition.label}, mean [%]"
    assert ax.get_ylabel().replace("\n", " ") == f"{margin.label}, mean [yuan]  (↑ better)"
    texts = figure_texts(fig)
    assert any(t.endswith("%") for t in texts)  # a share's ticks are percentages
    assert any(re.fullmatch(r"1\d,\d{3},\d{3}", t) for t in texts)  # money, separated
    title = ax.get_title().replace("\n", " ")
    assert optimisation.base.name in title and "first-year attrition" in title
    assert not [t for t in texts if "_" in t]  # no code names
    matplotlib.pyplot.close(fig)


def test_trade_off_without_constraints_puts_the_first_parameter_across(optimisation):
    import dataclasses

    unconstrained = optimisation.spec.model_copy(update={"constraints": []})
    o = dataclasses.replace(optimisation, spec=unconstrained)
    fig = plotting.trade_off(o)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "pay.commission.rate"
    assert not [line for line in ax.lines if line.get_linestyle() == "--"]  # no bound
    base = _collection(ax, "the base scenario")  # a parameter it sets: a marker there
    rate = optimisation.base.pay.commission.rate
    assert base.get_offsets()[0][0] == pytest.approx(rate)
    with pytest.raises(ValueError, match="no constraint 'margin > 0'"):
        plotting.trade_off(optimisation, constraint="margin > 0")
    _, ax2 = matplotlib.pyplot.subplots()
    assert plotting.trade_off(optimisation, "first_year_attrition <= 0.72", ax=ax2) is ax2.figure
    matplotlib.pyplot.close(fig)
    matplotlib.pyplot.close(ax2.figure)

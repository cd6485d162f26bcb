"""Plots of result tables for planners, leaders and trainers (matplotlib).

Every function takes a result table (``trade_off``: an optimisation's outcome) and returns
a ``matplotlib.figure.Figure``: titles, units and labelled axes in plain words (labels,
units and which way is better come from the metric catalogue,
``simsales.metrics.catalogue``; no code names), thousands separators, and the Okabe-Ito
colour-blind-safe palette. Nothing is shown or saved here;
call ``fig.savefig`` or let Jupyter show it.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from simsales.metrics.catalogue import CATALOGUE, ordered, shown_in
from simsales.metrics.catalogue import metric as catalogued

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")  # fmt: skip
# Direction marks of the forest plot, and the shade of a row's better side.
BETTER_MARK: dict[str | None, str] = {"higher": "↑ better", "lower": "↓ better"}
BETTER_SHADE = "#009E73"
# Up to this many scenarios share one fan chart; more get one panel each.
FANS_PER_AXES = 3


def _figure(width: float = 8.0, height: float = 4.5):
    # pyplot, with whatever backend is active: Jupyter's inline backend shows the figure,
    # and headless, matplotlib falls back to Agg (savefig needs no display).
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def _thousands(axis) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}")
    )


def plain_label(name: str) -> str:
    """The catalogue's label of a metric or result column; a column the catalogue does not
    know is written in words (``reps_in_training`` -> ``reps in training``)."""
    label = catalogued(name).label
    return label.replace("_", " ") if label == name else label


def monthly_label(name: str) -> str:
    """A ``team_month`` column as a monthly series: the catalogue's short label (without
    its note in brackets), "in the month" (``margin`` -> ``Margin in the month``)."""
    base = catalogued(name).short_label if name in CATALOGUE else plain_label(name)
    return f"{base} in the month"


def stage_label(name: str) -> str:
    """A count as a stage or bar of a plot: the catalogue's label, or a column the
    catalogue does not know in words, capitalised (``prospect_records`` -> ``Prospect
    records``)."""
    label = plain_label(name)
    return label[0].upper() + label[1:]


def literal(text: object) -> str:
    """``text`` as matplotlib shows it literally: a text with two ``$`` would otherwise be
    read as mathtext (``p $\\frac{1}$`` fails to draw, ``$x$`` shows an italic x). Every
    user-given name (scenario, class, territory) passes through it on its way to a plot."""
    return str(text).replace("$", r"\$")


def _fan(ax, block: pd.DataFrame, metric: str, colour: str, label: str) -> pd.DataFrame:
    """One scenario's fan on ``ax``: P10-P90 and P25-P75 bands and the median line."""
    q = block.groupby("month")[metric].quantile(np.array([0.1, 0.25, 0.5, 0.75, 0.9])).unstack()
    ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.15, linewidth=0)
    ax.fill_between(q.index, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0)
    ax.plot(q.index, q[0.5], color=colour, linewidth=2, label=label)
    _mark_changes(ax, block, colour)
    return q


def policy_changes(block: pd.DataFrame) -> list[tuple[int, str]]:
    """(first month, label) of each dated policy change in one scenario's team_month."""
    if "policy" not in block:  # results stored before dated changes existed
        return []
    firsts = block.groupby("policy", sort=False)["month"].min().sort_values()
    return [(int(m), str(p)) for p, m in firsts.items() if m > block["month"].min()]


SHOCK_LABEL = 40  # characters of a shock's label drawn on a chart


def shock_marks(block: pd.DataFrame) -> list[tuple[int, str]]:
    """(month, labels) of each month with shocks in one scenario's team_month."""
    if "shocks" not in block:  # a run without shocks
        return []
    months = block.groupby("month", sort=True)["shocks"].first()
    # (NaN: a scenario without shocks in a table with one that has them)
    return [(int(m), t) for m, t in zip(months.index.to_numpy(), months, strict=True)
            if isinstance(t, str) and t]  # fmt: skip


def _mark_changes(ax, block: pd.DataFrame, colour: str) -> None:
    """A dotted line where each dated change takes effect, labelled with its name at the
    top; a dashed one in the middle of each month with shocks, labelled upwards from the
    bottom (shocks may come in consecutive months) and cut to SHOCK_LABEL characters."""
    for month, label in policy_changes(block):
        ax.axvline(month - 0.5, color=colour, linestyle=":", linewidth=1.2)
        ax.annotate(literal(label), (month - 0.5, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -3), textcoords="offset points", va="top", ha="left",
                    fontsize="x-small", color=colour)  # fmt: skip
    for month, label in shock_marks(block):
        short = label if len(label) <= SHOCK_LABEL else label[: SHOCK_LABEL - 1] + "…"
        ax.axvline(month, color=colour, linestyle="--", linewidth=1.0)
        ax.annotate(literal(short), (month, 0.0), xycoords=("data", "axes fraction"),
                    xytext=(-2, 3), textcoords="offset points", va="bottom", ha="right",
                    rotation=90, fontsize="x-small", color=colour)  # fmt: skip


def fan_chart(team_month: pd.DataFrame, metric: str, unit: str | None = None,
              title: str | None = None, baseline: str | None = None):  # fmt: skip
    """A monthly metric across replications: the median, the P25-P75 and P10-P90 bands.

    Up to three scenarios share one axes, a fan each. More get one panel per scenario
    (shared axes), each with the baseline's median drawn faintly for reference;
    ``baseline`` names it (default: the first scenario). ``unit`` defaults to the
    catalogue's unit of ``metric``."""
    unit = catalogued(metric).unit if unit is None else unit
    label = monthly_label(metric)
    ylabel = f"{label} [{unit}]" if unit else label
    title = title or f"{label}: median, P25-P75 and P10-P90 over simulated years"
    scenarios = list(team_month["scenario"].drop_duplicates())
    if len(scenarios) > FANS_PER_AXES:
        return _fan_panels(team_month, metric, scenarios, ylabel, title, baseline)
    fig, ax = _figure()
    for i, (scenario, block) in enumerate(team_month.groupby("scenario", sort=False)):
        _fan(ax, block, metric, PALETTE[i % len(PALETTE)], literal(scenario))
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _thousands(ax.yaxis)
    ax.legend(title="median of", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _fan_panels(team_month, metric, scenarios, ylabel, title, baseline):
    """Small multiples: one panel per scenario, shared axes, the baseline's median faint."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    baseline = scenarios[0] if baseline is None else baseline
    if baseline not in scenarios:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {scenarios}")
    cols = 2 if len(scenarios) == 4 else 3
    rows = -(-len(scenarios) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows + 1.2), sharex=True,
                             sharey=True, squeeze=False)  # fmt: skip
    reference = team_month[team_month["scenario"] == baseline]
    reference = reference.groupby("month")[metric].median()
    for i, (ax, name) in enumerate(zip(axes.flat, scenarios, strict=False)):
        _fan(ax, team_month[team_month["scenario"] == name], metric, PALETTE[i % len(PALETTE)],
             "median")  # fmt: skip
        if name != baseline:
            ax.plot(reference.index, reference.to_numpy(), color="grey", linewidth=1.2,
                    linestyle="--", alpha=0.8)  # fmt: skip
        ax.set_title(literal(name), fontsize="medium")
        _thousands(ax.yaxis)
    for ax in list(axes.flat[len(scenarios) :]):
        fig.delaxes(ax)
    for j, ax in enumerate(axes.flat[: len(scenarios)]):
        if j + cols >= len(scenarios):  # no panel below: this one shows the months
            ax.tick_params(labelbottom=True)
    fig.supxlabel("month")
    fig.supylabel(ylabel)
    fig.suptitle(title, y=0.99)
    base = literal(baseline)
    handles = [
        Line2D([], [], color="black", linewidth=2, label="median"),
        Patch(color="black", alpha=0.3, label="P25-P75"),
        Patch(color="black", alpha=0.12, label="P10-P90"),
        Line2D([], [], color="grey", linestyle="--", label=f"median of the baseline, {base}"),
    ]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=4,
               fontsize="small", frameon=False)  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 0.91))
    return fig


def forest_plot(table: pd.DataFrame, metrics: list[str] | None = None):
    """Paired differences to the baseline with their 95% CIs (``Comparison.table()``), each
    as a percent of the baseline's mean: one row per metric, the scenarios side by side in
    it, the metrics grouped and labelled as in the catalogue (a bold heading per group).
    A metric with a better direction says so after its label ("↑ better": higher is
    better; "↓ better": lower is) and has its better side shaded; one without has neither.
    """
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    t = table if metrics is None else table[table["metric"].isin(metrics)]
    t = t[t["baseline_mean"].abs() > 0].copy()
    for col in ("difference", "ci_low", "ci_high"):
        t[col] = 100 * t[col] / t["baseline_mean"].abs()
    names = ordered(list(dict.fromkeys(t["metric"])))
    rows, ticks, headings = _forest_rows(names)
    fig, ax = _figure(9.5, 0.38 * len(ticks) + 1.8)
    scenarios = list(dict.fromkeys(t["scenario"]))
    step = 0.5 / max(len(scenarios) - 1, 1)
    for i, scenario in enumerate(scenarios):
        block = t[t["scenario"] == scenario]
        offset = (i - (len(scenarios) - 1) / 2) * step
        y = [rows[m] + offset for m in block["metric"]]
        ax.errorbar(block["difference"], y,
                    xerr=[block["difference"] - block["ci_low"],
                          block["ci_high"] - block["difference"]],
                    fmt="o", color=PALETTE[i % len(PALETTE)], capsize=3,
                    label=literal(scenario))  # fmt: skip
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(list(ticks), list(ticks.values()))
    for tick, row in zip(ax.yaxis.get_major_ticks(), ticks, strict=True):
        if row in headings:
            tick.label1.set_fontweight("bold")
            tick.tick1line.set_visible(False)
    for row in headings[1:]:
        ax.axhline(row - 0.5, color="#cccccc", linewidth=0.8)
    ax.set_ylim(len(ticks) - 0.5, -0.5)  # the first group at the top
    scale = ""
    span = np.nanmax(np.abs(t[["ci_low", "ci_high"]].to_numpy())) if len(t) else 0.0
    decimals = 1 if span < 5 else 0  # ticks 0.5% apart need a decimal
    if span > 100:
        # A headcount can move by thousands of percent where revenue moves by a few:
        # linear within +-10%, logarithmic beyond, so both stay readable.
        ax.set_xscale("symlog", linthresh=10)
        scale = "; linear within ±10%, log beyond"
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.{decimals}f}%" if v else "0"))
    ax.margins(x=0.08)  # room for the outermost caps
    _shade_better_sides(ax, rows)
    ax.set_xlabel(f"difference to the baseline [% of its mean], 95% CI{scale}")
    ax.set_title("Paired comparison with the baseline (common random numbers)")
    handles, _ = ax.get_legend_handles_labels()
    shade = Patch(color=BETTER_SHADE, alpha=0.15, label="the better side")
    ax.legend(handles=[*handles, shade], loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def _forest_rows(names: list[str]) -> tuple[dict[str, int], dict[int, str], list[int]]:
    """Row of each metric, label of each row (group headings and metrics with their
    direction marks), and the rows of the group headings."""
    rows: dict[str, int] = {}
    ticks: dict[int, str] = {}
    headings: list[int] = []
    group = None
    for name in names:
        m = catalogued(name)
        if m.group != group:
            group = m.group
            headings.append(len(ticks))
            ticks[len(ticks)] = group
        mark = BETTER_MARK.get(m.better)
        rows[name] = len(ticks)
        ticks[len(ticks)] = f"{plain_label(name)}  ({mark})" if mark else plain_label(name)
    return rows, ticks, headings


def _shade_better_sides(ax, rows: dict[str, int]) -> None:
    """Shade each metric row's better side of zero, keeping the axis limits."""
    left, right = ax.get_xlim()
    for name, y in rows.items():
        better = catalogued(name).better
        if better is None:
            continue
        edge = right if better == "higher" else left
        ax.fill_betweenx([y - 0.45, y + 0.45], 0, edge, color=BETTER_SHADE, alpha=0.15,
                         linewidth=0, zorder=0)  # fmt: skip
    ax.set_xlim(left, right)


def attainment_histogram(rep_month: pd.DataFrame, bins: int = 30):
    """Monthly attainment of reps on post, with the quota (attainment 1) marked."""
    fig, ax = _figure()
    on_post = rep_month[rep_month["status"] == "on_post"]
    for i, (scenario, block) in enumerate(on_post.groupby("scenario", sort=False)):
        values = block["attainment"].dropna().clip(upper=4)
        ax.hist(values, bins=bins, range=(0, 4), alpha=0.5, color=PALETTE[i % len(PALETTE)],
                label=literal(scenario))  # fmt: skip
    ax.axvline(1.0, color="black", linestyle="--", linewidth=1.5, label="quota")
    ax.set_xlabel("attainment in the month (revenue / quota; above 4 shown at 4)")
    ax.set_ylabel("rep-months")
    ax.set_title("How reps do against quota")
    _thousands(ax.yaxis)
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


HEADCOUNT = ("reps_in_training", "reps_on_trial", "reps_on_post")


def headcount(team_month: pd.DataFrame, scenario: str | None = None):
    """Mean headcount by status and month (in training, on trial, on post), stacked."""
    tm = team_month if scenario is None else team_month[team_month["scenario"] == scenario]
    mean = tm.groupby("month")[list(HEADCOUNT)].mean()
    fig, ax = _figure()
    ax.stackplot(mean.index, *(mean[c] for c in HEADCOUNT), colors=PALETTE[:3],
                 labels=[c.removeprefix("reps_").replace("_", " ") for c in HEADCOUNT])  # fmt: skip
    ax.set_xlabel("month")
    ax.set_ylabel("reps (mean over replications)")
    name = scenario or ", ".join(tm["scenario"].unique())
    ax.set_title(f"Headcount by status: {literal(name)}")
    ax.set_ylim(0, mean.sum(axis=1).max() * 1.2)  # room for the legend above the stack
    ax.legend(loc="upper center", ncol=3, fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _pooled(cohorts: pd.DataFrame, numerator: str, denominator: str = "on_post") -> pd.Series:
    """Mean and 95% t-interval over replications of each replication's pooled ratio
    (sum of numerator / sum of denominator over the classes whose window is observed);
    n = 0 when no class's is."""
    from simsales.metrics.summary import mean_interval

    seen = cohorts[cohorts[numerator].notna() & (cohorts[denominator] > 0)]
    sums = seen.groupby("replication")[[numerator, denominator]].sum()
    ratio = (sums[numerator] / sums[denominator]).to_numpy()
    return pd.Series(mean_interval(ratio), index=["mean", "ci_low", "ci_high", "n"])


def _class_label(cohorts: pd.DataFrame, by: str) -> pd.DataFrame:
    c = cohorts.copy()
    if by == "class":
        c["class"] = (
            "class " + c["class"].astype(str) + " (month " + c["class_month"].astype(str) + ")"
        )
    return c


# The two survival curves: the share still there of the reps who went on post (F26's
# survival_*_of_on_post) and of everyone who started the class (remaining_*_of_trainees).
SURVIVAL_AXES = {
    "on_post": ("share of reps who went on post still there", "Of the reps who went on post (F26)"),
    "trainees": ("share of all trainees still there", "Of everyone who started the class"),
}


def _survival_curve(block: pd.DataFrame, denominator: str) -> pd.DataFrame:
    """Months on post with the pooled share still there (mean, CI): of the reps on post it
    starts at 1; of the trainees (over the classes with no one still in training or on
    trial, as ``remaining_*_of_trainees``) at the share who went on post."""
    from simsales.metrics.cohorts import SURVIVAL_MONTHS

    if denominator == "on_post":
        start = pd.Series({"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1})
        points = [_pooled(block, f"survived_{m}m") for m in SURVIVAL_MONTHS]
    else:  # only classes done with training and trial: their trainees' fate is known
        block = block[block["in_class"] == 0]
        start = _pooled(block, "on_post", "trainees")
        points = [_pooled(_seen(block, m), f"survived_{m}m", "trainees") for m in SURVIVAL_MONTHS]
    curve = pd.DataFrame([start, *points], index=[0, *SURVIVAL_MONTHS])
    return curve[curve["n"] > 0]


def _seen(block: pd.DataFrame, months: int) -> pd.DataFrame:
    """The classes whose ``months`` window the run would have seen: those that started no
    later than the last class with reps on post whose window it saw. A class with no one
    on post has a known count (0) at any month; alone it would pull a later month to 0."""
    column = f"survived_{months}m"
    seen = block[(block["on_post"] > 0) & block[column].notna()]
    if seen.empty:
        return seen
    return block[block[column].notna() & (block["class_month"] <= seen["class_month"].max())]


def cohort_survival(cohorts: pd.DataFrame, by: str = "scenario"):
    """Share of a class still on the team 1, 3, 6 and 12 months after going on post, with
    95% CIs over replications, one curve per scenario (classes pooled) or, with
    ``by="class"``, per hiring class. Left: of the reps who went on post (F26: the 3-month
    test); right: of all the class's trainees, washouts and failed trials counted as gone
    (the trainer's "how many of my 20 are still here")."""
    import matplotlib.pyplot as plt

    from simsales.metrics.cohorts import SURVIVAL_MONTHS

    if by not in ("scenario", "class"):
        raise ValueError(f"by must be 'scenario' or 'class', got {by!r}")
    c = _class_label(cohorts, by)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for ax, (denominator, (ylabel, title)) in zip(axes, SURVIVAL_AXES.items(), strict=True):
        for i, key in enumerate(c[by].drop_duplicates()):
            curve = _survival_curve(c[c[by] == key], denominator)
            low = np.nan_to_num(curve["mean"] - curve["ci_low"])
            high = np.nan_to_num(curve["ci_high"] - curve["mean"])
            ax.errorbar(curve.index, curve["mean"], yerr=[low, high], marker="o", capsize=3,
                        color=PALETTE[i % len(PALETTE)], label=literal(key))  # fmt: skip
        ax.axvline(3, color="grey", linestyle=":", linewidth=1)
        ax.annotate("F26: survives 3 months?", (3, 0.02), xytext=(4, 0),
                    textcoords="offset points", fontsize="small", color="grey")  # fmt: skip
        ax.set_xticks([0, *SURVIVAL_MONTHS])
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("months on post")
        ax.set_ylabel(ylabel)
        ax.yaxis.set_major_formatter(_percent())
        ax.tick_params(labelleft=True)  # each panel says what its shares are of
        ax.set_title(title, fontsize="medium")
    axes[0].legend(fontsize="small", frameon=False)
    fig.suptitle("New-rep survival after going on post (mean, 95% CI)")
    fig.tight_layout()
    return fig


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# F23's worked example: 12 of 18 reps on post signed within a month (docs/model.md 4.5).
F23_EXAMPLE = 12 / 18
# The class_kpis bars: the catalogue's shares of reps who went on post in that view.
KPI_BARS = shown_in("class_kpis")
# The right panel of class_kpis: F24's order level.
ORDER_LEVEL = "class_orders_1m_per_on_post"


def _kpi_label(name: str) -> str:
    """A bar's label: the catalogue's, less what the axis already says it is a share of."""
    return textwrap.fill(plain_label(name).replace(", of reps who went on post", ""), 24)


def class_kpis(cohorts: pd.DataFrame, by: str = "scenario"):
    """The trainer's KPIs per scenario (classes pooled) or per class: F23's 1-month
    signing rate, 3-month survival and the 6-month earning share (F26), and F24's order
    level, as bars with 95% CIs over replications."""
    if by not in ("scenario", "class"):
        raise ValueError(f"by must be 'scenario' or 'class', got {by!r}")
    c = _class_label(cohorts, by)
    import matplotlib.pyplot as plt

    from simsales.metrics.summary import CLASS_RATIOS

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.8), gridspec_kw={"width_ratios": [2, 1]})
    keys = list(c[by].drop_duplicates())
    width = 0.8 / len(keys)
    for i, key in enumerate(keys):
        block = c[c[by] == key]
        colour = PALETTE[i % len(PALETTE)]
        rates = pd.DataFrame([_pooled(block, *CLASS_RATIOS[name]) for name in KPI_BARS])
        x = np.arange(len(KPI_BARS)) + (i - (len(keys) - 1) / 2) * width
        left.bar(
            x,
            rates["mean"],
            width,
            color=colour,
            label=literal(key),
            yerr=[rates["mean"] - rates["ci_low"], rates["ci_high"] - rates["mean"]],
            capsize=3,
        )
        level = _pooled(block, *CLASS_RATIOS[ORDER_LEVEL])
        right.bar(
            i,
            level["mean"],
            0.6,
            color=colour,
            yerr=[[level["mean"] - level["ci_low"]], [level["ci_high"] - level["mean"]]],
            capsize=3,
        )
    left.axhline(
        F23_EXAMPLE,
        xmin=0,
        xmax=1 / len(KPI_BARS),
        color="black",
        linestyle="--",
        linewidth=1,
        label="F23 worked example (12/18)",
    )
    left.set_xticks(np.arange(len(KPI_BARS)), [_kpi_label(m) for m in KPI_BARS], fontsize="small")
    left.set_ylim(0, 1.2)  # room for the legend above 100%
    left.set_yticks(np.linspace(0, 1, 6))
    left.yaxis.set_major_formatter(_percent())
    left.set_ylabel("share of the reps who went on post")
    left.set_title("New-rep KPIs (mean, 95% CI)")
    left.legend(loc="upper center", ncol=2, fontsize="small", frameon=False)
    right.set_xticks(
        range(len(keys)), [literal(k) for k in keys], rotation=20, ha="right", fontsize="small"
    )
    right.set_ylabel(textwrap.fill(plain_label(ORDER_LEVEL), 36))
    right.set_title("F24 order level")
    fig.tight_layout()
    return fig


# The states of a territory's firms that show how far it has been worked through.
MARKET_STATES = {
    "firms_untouched": "untouched",
    "firms_cooling": "cooling off",
    "firms_in_pipeline": "in pipeline",
    "firms_customers": "customers",
}


def territory_saturation(
    territory_month: pd.DataFrame, scenario: str | None = None, columns: int = 4
):
    """Per territory, its firms untouched, cooling off, in the pipeline and signed as
    customers over the months (mean over replications, log scale: customers are a few
    hundred of tens of thousands of firms); how fast each territory is worked through."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    tm = territory_month
    if scenario is not None:
        tm = tm[tm["scenario"] == scenario]
    names = list(tm["territory"].drop_duplicates())
    cols = min(columns, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 2.6 * rows + 0.8), sharex=True, sharey=True,
        squeeze=False,
    )  # fmt: skip
    for ax, name in zip(axes.flat, names, strict=False):
        mean = tm[tm["territory"] == name].groupby("month")[list(MARKET_STATES)].mean()
        for i, (col, label) in enumerate(MARKET_STATES.items()):
            ax.plot(mean.index, mean[col].clip(lower=1), color=PALETTE[i], linewidth=2,
                    label=label)  # fmt: skip
        ax.set_yscale("log")
        ax.set_title(literal(name), fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _thousands(ax.yaxis)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("firms (log scale)")
    for ax in axes[-1, :]:
        ax.set_xlabel("month")
    label = scenario or ", ".join(tm["scenario"].unique())
    fig.suptitle(f"Territory saturation: firms by state (mean over replications), {literal(label)}")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize="small", frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


# Funnel stages of team_month, top to bottom, and the field figure of each (F1 records ->
# calls -> visits; F3 entered); a stage is labelled as the catalogue labels its metric.
FUNNEL_STAGES = {
    "prospect_records": "F1",
    "phone_appointments": "F1",
    "visits": "F1",
    "leads_entered": "F3",
    "signings": "F2",
}
# The F7 diagnostics of the catalogue name the touch of each group after this.
F7_LABEL_OPENING = "F7: deals closed "


def f7_touch_label(group: str) -> str:
    """An F7 group (``metrics.summary.F7_GROUPS``) in the catalogue's words for its share:
    ``first_visit`` -> ``at the first visit``."""
    return catalogued(f"f7_share_{group}").short_label.removeprefix(F7_LABEL_OPENING)


def lead_funnel(team_month: pd.DataFrame, funnel: pd.DataFrame):
    """Left: the lead funnel by stage, per year and replication (mean), with the
    conversion from each stage to the next. Right: signings by touch, simulated share
    with 95% CI next to F7's."""
    import matplotlib.pyplot as plt

    from simsales.metrics.summary import F7_GROUPS, F7_PERCENT, mean_interval

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    keys = ["scenario", "replication"]
    months = team_month.groupby(keys)["month"].nunique()
    per_year = team_month.groupby(keys)[list(FUNNEL_STAGES)].sum().div(months / 12, axis=0)
    mean = per_year.mean()
    y = np.arange(len(mean))
    left.barh(y, mean.to_numpy(), color=PALETTE[0])
    for i, value in enumerate(mean.to_numpy()):
        rate = "" if i == 0 else f"  ({value / mean.iloc[i - 1]:.1%} of the stage above)"
        left.text(value, i, f" {value:,.0f}{rate}", va="center", fontsize="small")
    left.set_xscale("log")
    left.set_xlim(right=mean.max() * 60)  # room for the labels
    _thousands(left.xaxis)
    left.set_yticks(y, [f"{stage_label(name)} ({fid})" for name, fid in FUNNEL_STAGES.items()])
    left.invert_yaxis()
    left.set_xlabel("per year (mean over replications, log scale)")
    left.set_title("The lead funnel")
    total = funnel.groupby(keys)["signings"].sum()
    intervals = []
    for lo, hi in F7_GROUPS.values():
        part = funnel[funnel["touch"].between(lo, hi)].groupby(keys)["signings"].sum()
        intervals.append(mean_interval((part / total).to_numpy()))
    sim = pd.DataFrame(intervals, columns=["mean", "ci_low", "ci_high", "n"])
    x = np.arange(len(F7_GROUPS))
    right.bar(
        x - 0.2,
        sim["mean"],
        0.4,
        color=PALETTE[0],
        label="simulated (95% CI)",
        yerr=[sim["mean"] - sim["ci_low"], sim["ci_high"] - sim["mean"]],
        capsize=3,
    )
    right.bar(
        x + 0.2,
        np.array(list(F7_PERCENT.values())) / 101,
        0.4,
        color=PALETTE[1],
        label="F7 (field)",
    )
    right.set_xticks(x, [f7_touch_label(g) for g in F7_GROUPS], rotation=20, ha="right",
                     fontsize="small")  # fmt: skip
    right.yaxis.set_major_formatter(_percent())
    right.set_ylabel("share of signings")
    right.set_title("Signings by touch against F7")
    right.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


# The trade-off plot's marks: the winner, the finalists' rings and the base scenario.
WINNER_COLOUR = PALETTE[3]
INFEASIBLE_COLOUR = "#999999"


def _metric_axis(axis, name: str) -> None:
    """Ticks in a metric's units (``"share"``: a share of replications): shares as
    percentages, anything else with thousands separators."""
    if name == "share" or catalogued(name).kind == "share":
        from matplotlib.ticker import PercentFormatter

        axis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    else:
        _thousands(axis)


def _measure_label(measure) -> str:
    """An objective or a constraint's measure as an axis label with its unit: the
    catalogue's label and "mean", or "P10 of ..." for a percentile; "[%]" for a share."""
    m = catalogued(measure.metric)
    label = f"{m.label}, mean" if measure.q is None else f"P{round(measure.q * 100)} of {m.phrase}"
    return f"{label} [{m.unit_label}]" if m.unit_label else label


def _constraint_axis(c) -> tuple[str, str]:
    """A constraint's level as an axis label, and its bound in words (the line's label)."""
    ops = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}
    if c.versus is not None:
        m = catalogued(c.measure.metric)
        way = "above" if c.versus == ">" else "below"
        label = f"share of replications with {m.phrase} {way} the base scenario's [%]"
        return label, f"limit: {m.phrase} {way} the base's in {ops[c.op]} {c.value:.0%} of them"
    m = catalogued(c.measure.metric)
    return _measure_label(c.measure), f"limit: {c.measure.words} {ops[c.op]} {m.format(c.value)}"


def parameter_value(scenario, key: str):
    """The value at a dotted ``key`` of a scenario (``pay.commission.rate``), None when it
    has none there."""
    from simsales.scenario.overrides import value_at

    return value_at(scenario.model_dump(mode="json"), key)


def trade_off(optimisation, constraint: str | None = None, ax=None):
    """Every distinct candidate an optimisation tried (``simsales.optimise``), on the
    search replications: its constraint's level across (the first constraint, or the one
    whose text is ``constraint``; with no constraint, the first parameter) against the
    objective. Candidates that met every constraint are filled, the others hollow and
    grey; the constraint's bound is a dashed line; the finalists are ringed and the winner
    is a labelled star; the base scenario's objective on the same replications is a
    dotted line (and a marker, where the axis is a parameter it sets). Draws on ``ax`` if
    given."""
    o = optimisation
    spec, measure = o.spec, o.objective
    cons = {c.text: c for c in o.constraints}
    if constraint is not None and constraint not in cons:
        raise ValueError(f"no constraint {constraint!r}; the optimisation's: {list(cons)}")
    chosen = cons[constraint] if constraint is not None else next(iter(cons.values()), None)
    key = chosen.text if chosen is not None else next(iter(spec.parameters))
    own = ax is None
    if ax is None:
        fig, ax = _figure(8.0, 5.0)
    else:
        fig = ax.figure
    trials = o.trials.drop_duplicates(subset=list(spec.parameters))
    dim = spec.parameters.get(key)
    categories = dim.labels() if dim is not None and dim.choices is not None else None

    def x_of(values: pd.Series) -> np.ndarray:
        if categories is None:
            return values.to_numpy(dtype=float)
        return np.array([categories.index(str(v)) for v in values], dtype=float)

    x, y = x_of(trials[key]), trials["objective"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    feasible = trials["feasible"].to_numpy(dtype=bool)
    ax.scatter(x[ok & feasible], y[ok & feasible], s=40, color=PALETTE[0], zorder=3,
               label="met the constraints")  # fmt: skip
    ax.scatter(x[ok & ~feasible], y[ok & ~feasible], s=40, facecolors="none",
               edgecolors=INFEASIBLE_COLOUR, zorder=3, label="failed a constraint")  # fmt: skip
    finalists = trials[trials["trial"].isin(o.finalists["trial"])] if len(o.finalists) else None
    if finalists is not None and len(finalists):
        ax.scatter(x_of(finalists[key]), finalists["objective"], s=160, facecolors="none",
                   edgecolors=PALETTE[1], linewidths=1.8, zorder=4,
                   label="finalists (run again on fresh replications)")  # fmt: skip
    if o.winner is not None:
        row = o.trials.set_index("trial").loc[o.winner]
        wx = float(x_of(pd.Series([row[key]]))[0])
        wy = float(row["objective"])
        ax.scatter([wx], [wy], s=260, marker="*", color=WINNER_COLOUR, zorder=5,
                   label=f"the winner (trial {o.winner})")  # fmt: skip
        ax.margins(0.08)
        left, right = ax.get_xlim()
        side = "left" if wx <= (left + right) / 2 else "right"  # the label towards the middle
        ax.annotate(f"winner, trial {o.winner}", (wx, wy), xytext=(8 if side == "left" else -8, 8),
                    textcoords="offset points", ha=side, fontsize="small",
                    color=WINNER_COLOUR)  # fmt: skip
    base_name = literal(o.base.name)
    if o.winner is not None and math.isfinite(o.search_advantage):
        base_y = float(o.trials.set_index("trial").at[o.winner, "objective"]) - o.search_advantage
        ax.axhline(base_y, color="black", linestyle=":", linewidth=1.2,
                   label="the base scenario (same replications)")  # fmt: skip
        base_x = _base_x(o, key, categories)
        if base_x is not None:
            ax.scatter([base_x], [base_y], s=70, marker="D", color="black", zorder=5,
                       label="the base scenario")  # fmt: skip
    if chosen is not None:
        xlabel, bound = _constraint_axis(chosen)
        ax.axvline(chosen.value, color="black", linestyle="--", linewidth=1.2, label=bound)
        _metric_axis(ax.xaxis, "share" if chosen.versus is not None else chosen.measure.metric)
    else:
        xlabel = literal(key)
        if categories is not None:
            ax.set_xticks(range(len(categories)), [literal(c) for c in categories])
        else:
            _thousands(ax.xaxis)
    mark = BETTER_MARK["higher" if spec.goal == "maximise" else "lower"]
    ax.set_xlabel(textwrap.fill(xlabel, 80))
    ax.set_ylabel(textwrap.fill(f"{_measure_label(measure)}  ({mark})", 45))
    _metric_axis(ax.yaxis, measure.metric)
    across = chosen.measure.words if chosen is not None else key
    if chosen is not None and chosen.versus is not None:
        way = "above" if chosen.versus == ">" else "below"
        across = f"how often {chosen.measure.words} is {way} the base's"
    ax.set_title(textwrap.fill(f"{measure.words[0].upper()}{measure.words[1:]} against "
                               f"{across}: {int(ok.sum())} candidates tried, "
                               f"{spec.replications} replications each; {base_name}", 80),
                 fontsize="medium")  # fmt: skip
    ax.legend(fontsize="small", frameon=False, loc="best")
    if own:
        fig.tight_layout()
    return fig


def _base_x(o, key: str, categories: list[str] | None) -> float | None:
    """The base scenario's position on the x axis when it is a parameter (its value, or
    the choice whose value it has); None otherwise."""
    dim = o.spec.parameters.get(key)
    if dim is None:
        return None
    value = parameter_value(o.base, key)
    if categories is None:
        return float(value) if isinstance(value, int | float) else None
    for i, label in enumerate(categories):
        if dim.value(label) == value:
            return float(i)
    return None

"""Plots of result tables for planners, leaders and trainers (matplotlib).

Every function takes a result table and returns a ``matplotlib.figure.Figure``: titles,
units and labelled axes, thousands separators, and the Okabe-Ito colour-blind-safe
palette. Nothing is shown or saved here; call ``fig.savefig`` or let Jupyter show it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Okabe & Ito (2008): distinguishable with every common form of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")  # fmt: skip


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


def fan_chart(team_month: pd.DataFrame, metric: str, unit: str = "",
              title: str | None = None):  # fmt: skip
    """A monthly metric across replications: the median, the P25-P75 and P10-P90 bands,
    one fan per scenario."""
    fig, ax = _figure()
    for i, (scenario, block) in enumerate(team_month.groupby("scenario", sort=False)):
        q = block.groupby("month")[metric].quantile([0.1, 0.25, 0.5, 0.75, 0.9]).unstack()
        colour = PALETTE[i % len(PALETTE)]
        ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.15, linewidth=0)
        ax.fill_between(q.index, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0)
        ax.plot(q.index, q[0.5], color=colour, linewidth=2, label=str(scenario))
    ax.set_xlabel("month")
    ax.set_ylabel(f"{metric} [{unit}]" if unit else metric)
    ax.set_title(title or f"{metric} by month over replications: median, P25-P75, P10-P90")
    _thousands(ax.yaxis)
    ax.legend(title="median of", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def forest_plot(table: pd.DataFrame, metrics: list[str] | None = None):
    """Paired differences to the baseline with their 95% CIs (``Comparison.table()``), one
    row per metric and scenario; each metric as a percent of the baseline's mean."""
    t = table if metrics is None else table[table["metric"].isin(metrics)]
    t = t[t["baseline_mean"].abs() > 0].copy()
    for col in ("difference", "ci_low", "ci_high"):
        t[col] = 100 * t[col] / t["baseline_mean"].abs()
    fig, ax = _figure(8.0, 0.35 * len(t) + 1.6)
    y = np.arange(len(t))
    for i, (scenario, block) in enumerate(t.groupby("scenario", sort=False)):
        rows = y[t["scenario"].to_numpy() == scenario]
        colour = PALETTE[i % len(PALETTE)]
        ax.errorbar(block["difference"], rows,
                    xerr=[block["difference"] - block["ci_low"],
                          block["ci_high"] - block["difference"]],
                    fmt="o", color=colour, capsize=3, label=scenario)  # fmt: skip
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(y, [f"{m}" for m in t["metric"]])
    ax.invert_yaxis()
    scale = ""
    span = np.nanmax(np.abs(t[["ci_low", "ci_high"]].to_numpy())) if len(t) else 0.0
    decimals = 1 if span < 5 else 0  # ticks 0.5% apart need a decimal
    if span > 100:
        # A headcount can move by thousands of percent where revenue moves by a few:
        # linear within +-10%, logarithmic beyond, so both stay readable.
        ax.set_xscale("symlog", linthresh=10)
        scale = "; linear within ±10%, log beyond"
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.{decimals}f}%" if v else "0"))
    ax.set_xlabel(f"difference to the baseline [% of its mean], 95% CI{scale}")
    ax.set_title("Paired comparison with the baseline (common random numbers)")
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return fig


def attainment_histogram(rep_month: pd.DataFrame, bins: int = 30):
    """Monthly attainment of reps on post, with the quota (attainment 1) marked."""
    fig, ax = _figure()
    on_post = rep_month[rep_month["status"] == "on_post"]
    for i, (scenario, block) in enumerate(on_post.groupby("scenario", sort=False)):
        values = block["attainment"].dropna().clip(upper=4)
        ax.hist(values, bins=bins, range=(0, 4), alpha=0.5, color=PALETTE[i % len(PALETTE)],
                label=scenario)  # fmt: skip
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
    ax.set_title(f"Headcount by status: {name}")
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


def cohort_survival(cohorts: pd.DataFrame, by: str = "scenario"):
    """Share of a class's reps still on the team 1, 3, 6 and 12 months after going on
    post (F26: the 3-month test), with 95% CIs over replications; one curve per scenario
    (classes pooled) or, with ``by="class"``, per hiring class."""
    from simsales.metrics.cohorts import SURVIVAL_MONTHS

    if by not in ("scenario", "class"):
        raise ValueError(f"by must be 'scenario' or 'class', got {by!r}")
    c = _class_label(cohorts, by)
    fig, ax = _figure()
    for i, key in enumerate(c[by].drop_duplicates()):
        block = c[c[by] == key]
        points = [_pooled(block, f"survived_{m}m") for m in SURVIVAL_MONTHS]
        months = [0] + [m for m, p in zip(SURVIVAL_MONTHS, points, strict=True) if p["n"] > 0]
        seen = [p for p in points if p["n"] > 0]
        mean = [1.0] + [p["mean"] for p in seen]
        low = [0.0] + [p["mean"] - p["ci_low"] for p in seen]
        high = [0.0] + [p["ci_high"] - p["mean"] for p in seen]
        ax.errorbar(
            months,
            mean,
            yerr=[np.nan_to_num(low), np.nan_to_num(high)],
            marker="o",
            capsize=3,
            color=PALETTE[i % len(PALETTE)],
            label=str(key),
        )
    ax.axvline(3, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        "F26: survives 3 months?",
        (3, 0.02),
        xytext=(4, 0),
        textcoords="offset points",
        fontsize="small",
        color="grey",
    )
    ax.set_xticks([0, *SURVIVAL_MONTHS])
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("months on post")
    ax.set_ylabel("share of the class still on the team")
    ax.set_title("New-rep survival after going on post (mean, 95% CI)")
    ax.yaxis.set_major_formatter(_percent())
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# F23's worked example: 12 of 18 reps on post signed within a month (docs/model.md 4.5).
F23_EXAMPLE = 12 / 18


def class_kpis(cohorts: pd.DataFrame, by: str = "scenario"):
    """The trainer's KPIs per scenario (classes pooled) or per class: F23's 1-month
    signing rate, the 6-month earning share (F26) and F24's order level, as bars with
    95% CIs over replications."""
    if by not in ("scenario", "class"):
        raise ValueError(f"by must be 'scenario' or 'class', got {by!r}")
    c = _class_label(cohorts, by)
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    keys = list(c[by].drop_duplicates())
    shares = {
        "F23 signing rate, 1st month": "signed_1m",
        "F26 earning by month 6": "earning_6m",
        "survival, 3 months": "survived_3m",
    }
    width = 0.8 / len(keys)
    for i, key in enumerate(keys):
        block = c[c[by] == key]
        colour = PALETTE[i % len(PALETTE)]
        rates = pd.DataFrame([_pooled(block, col) for col in shares.values()])
        x = np.arange(len(shares)) + (i - (len(keys) - 1) / 2) * width
        left.bar(
            x,
            rates["mean"],
            width,
            color=colour,
            label=str(key),
            yerr=[rates["mean"] - rates["ci_low"], rates["ci_high"] - rates["mean"]],
            capsize=3,
        )
        level = _pooled(block, "orders_1m")
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
        xmax=1 / len(shares),
        color="black",
        linestyle="--",
        linewidth=1,
        label="F23 worked example (12/18)",
    )
    left.set_xticks(np.arange(len(shares)), list(shares), fontsize="small")
    left.set_ylim(0, 1.2)  # room for the legend above 100%
    left.set_yticks(np.linspace(0, 1, 6))
    left.yaxis.set_major_formatter(_percent())
    left.set_ylabel("share of the reps who went on post")
    left.set_title("New-rep KPIs (mean, 95% CI)")
    left.legend(loc="upper center", ncol=2, fontsize="small", frameon=False)
    right.set_xticks(
        range(len(keys)), [str(k) for k in keys], rotation=20, ha="right", fontsize="small"
    )
    right.set_ylabel("orders per rep on post, 1st month")
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
        ax.set_title(name, fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _thousands(ax.yaxis)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("firms (log scale)")
    for ax in axes[-1, :]:
        ax.set_xlabel("month")
    label = scenario or ", ".join(tm["scenario"].unique())
    fig.suptitle(f"Territory saturation: firms by state (mean over replications), {label}")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize="small", frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


# Funnel stages of team_month, top to bottom (F1 records -> calls -> visits; F3 entered).
FUNNEL_STAGES = {
    "prospect_records": "prospect records (F1)",
    "phone_appointments": "phone appointments (F1)",
    "visits": "first visits (F1)",
    "leads_entered": "leads entered (F3)",
    "signings": "signings (F2)",
}


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
    left.set_yticks(y, list(FUNNEL_STAGES.values()))
    left.invert_yaxis()
    left.set_xlabel("per year (mean over replications, log scale)")
    left.set_title("The lead funnel")
    total = funnel.groupby(keys)["signings"].sum()
    sim = []
    for lo, hi in F7_GROUPS.values():
        part = funnel[funnel["touch"].between(lo, hi)].groupby(keys)["signings"].sum()
        sim.append(mean_interval((part / total).to_numpy()))
    sim = pd.DataFrame(sim, columns=["mean", "ci_low", "ci_high", "n"])
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
    right.set_xticks(
        x,
        [
            g.replace("followup_", "follow-up ").replace("_to_", "-").replace("_", " ")
            for g in F7_GROUPS
        ],
        rotation=20,
        ha="right",
        fontsize="small",
    )
    right.yaxis.set_major_formatter(_percent())
    right.set_ylabel("share of signings")
    right.set_title("Signings by touch against F7")
    right.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig

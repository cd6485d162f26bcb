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
    import matplotlib

    matplotlib.use("Agg", force=False)  # no display needed; Jupyter keeps its own backend
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
        ax.fill_between(q.index, q[0.1], q[0.9], color=colour, alpha=0.15, linewidth=0,
                        label=f"{scenario}: P10-P90")  # fmt: skip
        ax.fill_between(q.index, q[0.25], q[0.75], color=colour, alpha=0.3, linewidth=0,
                        label=f"{scenario}: P25-P75")  # fmt: skip
        ax.plot(q.index, q[0.5], color=colour, linewidth=2, label=f"{scenario}: median")
    ax.set_xlabel("month")
    ax.set_ylabel(f"{metric} [{unit}]" if unit else metric)
    ax.set_title(title or f"{metric} by month, over replications")
    _thousands(ax.yaxis)
    ax.legend(fontsize="small", frameon=False)
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
    if len(t) and np.nanmax(np.abs(t[["ci_low", "ci_high"]].to_numpy())) > 100:
        # A headcount can move by thousands of percent where revenue moves by a few:
        # linear within +-10%, logarithmic beyond, so both stay readable.
        ax.set_xscale("symlog", linthresh=10)
        scale = "; linear within ±10%, log beyond"
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.0f}%" if v else "0"))
    ax.set_xlabel(f"difference to the baseline [% of its mean], 95% CI{scale}")
    ax.set_title("Paired comparison with the baseline (common random numbers)")
    ax.legend(fontsize="small", frameon=False)
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
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    fig.tight_layout()
    return fig

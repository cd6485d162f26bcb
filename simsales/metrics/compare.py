"""Paired comparison of scenarios run with common random numbers.

Every scenario runs the same replications with the same seed, so replication r of two
scenarios saw the same random numbers wherever their policies let them: the difference
per replication is the policy's effect plus far less noise than two independent runs
carry. For each metric and scenario this gives the mean difference to the baseline, its
paired t-interval, a p-value Holm-adjusted over the scenarios compared (when more than
one is compared with the baseline), and P(better): the share of replications in which
the scenario beats the baseline, for metrics with a better direction (the catalogue's;
none for calibration diagnostics and trade-offs).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.catalogue import ordered
from simsales.metrics.summary import RunInfo, grouped_table, replications_phrase

COLUMNS = [
    "scenario",
    "metric",
    "better_if",
    "baseline_mean",
    "scenario_mean",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "p_better",
    "n",
    "identical",
    "group",
    "label",
    "unit",
]


def paired_comparison(
    metrics: pd.DataFrame, baseline: str, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per compared scenario and metric of ``metrics`` (indexed by scenario and
    replication, as ``Results.metrics()``), metrics in the catalogue's order: the paired
    difference scenario − baseline over the replications both have, with its t-interval,
    p-value (paired t-test, two sided), the p-value Holm-adjusted over the scenarios
    compared for that metric, P(better) (NaN for a metric with no better direction:
    ``better_if`` None), ``identical`` (the difference is 0 in every pair), and the
    metric's group, label and unit. A metric missing (NaN) in a replication leaves that
    pair out."""
    from statsmodels.stats.multitest import multipletests

    scenarios = list(dict.fromkeys(metrics.index.get_level_values("scenario")))
    if baseline not in scenarios:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {scenarios}")
    base = metrics.xs(baseline, level="scenario")
    rows = []
    for name in (s for s in scenarios if s != baseline):
        other = metrics.xs(name, level="scenario")
        common = base.index.intersection(other.index)
        for metric in ordered(list(metrics.columns)):
            a = base.loc[common, metric].to_numpy(dtype=float)
            b = other.loc[common, metric].to_numpy(dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            m = catalogued(metric)
            rows.append({"scenario": name, "metric": metric, "better_if": m.better,
                         **_paired(a[ok], b[ok], m.better, confidence),
                         "group": m.group, "label": m.label, "unit": m.data_unit})  # fmt: skip
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "p_holm"])
    table["p_holm"] = table["p_value"]
    for _, block in table.groupby("metric", sort=False):
        known = block["p_value"].notna()
        if known.sum() > 1:
            adjusted = multipletests(block.loc[known, "p_value"], method="holm")[1]
            table.loc[block.index[known], "p_holm"] = adjusted
    return table[COLUMNS]


MONTHLY_COLUMNS = ["scenario", "month", "date", "policy", "metric", "baseline_mean",
                   "scenario_mean", "difference", "ci_low", "ci_high", "p_value", "p_better",
                   "n", "identical", "unit"]  # fmt: skip


def monthly_differences(
    team_month: pd.DataFrame, metric: str, baseline: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Month by month, the paired difference scenario − baseline of a ``team_month``
    column (e.g. ``revenue``), over the replications both have: one row per compared
    scenario and reported month (with its ``date`` when the horizon has a start; else
    None), with the scenario's plan in force (``policy``), the
    t-interval, p-value (paired t-test, not adjusted over months) and P(better). The
    planner's view of a dated change: no difference before it (common random numbers),
    then its effect month by month."""
    if metric not in team_month.columns or metric in ("scenario", "replication", "month"):
        known = [c for c in team_month.columns if c not in ("scenario", "replication", "month",
                                                           "policy")]  # fmt: skip
        raise ValueError(f"no column {metric!r} in team_month; known: {known}")
    scenarios = list(dict.fromkeys(team_month["scenario"]))
    if baseline not in scenarios:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {scenarios}")
    m = catalogued(metric)
    wide = team_month.pivot_table(index=["replication", "month"], columns="scenario",
                                  values=metric, aggfunc="first")  # fmt: skip
    rows = []
    for name in (s for s in scenarios if s != baseline):
        own = team_month[team_month["scenario"] == name]
        policy = own.groupby("month")["policy"].first() if "policy" in own else None
        date = own.groupby("month")["date"].first() if "date" in own else None
        for month in sorted(set(wide.index.get_level_values("month"))):
            block = wide.xs(month, level="month")
            a, b = block[baseline].to_numpy(dtype=float), block[name].to_numpy(dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            rows.append({"scenario": name, "month": int(month),
                         "date": None if date is None else date.get(month),
                         "policy": None if policy is None else policy.get(month),
                         "metric": metric, **_paired(a[ok], b[ok], m.better, confidence),
                         "unit": m.data_unit})  # fmt: skip
    return pd.DataFrame(rows, columns=MONTHLY_COLUMNS)


def _paired(a: np.ndarray, b: np.ndarray, better: str | None, confidence: float) -> dict:
    """The statistics of one metric's paired values ``a`` (baseline) and ``b``."""
    from scipy import stats

    d = b - a
    n = d.size
    mean = d.mean() if n else np.nan
    if better is None or not n:
        p_better = np.nan
    else:
        p_better = np.mean(d < 0) if better == "lower" else np.mean(d > 0)
    sd = d.std(ddof=1) if n > 1 else np.nan
    if n > 1 and sd > 0:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
        p = 2 * stats.t.sf(abs(mean) / (sd / np.sqrt(n)), n - 1)
    elif n > 1:  # the same difference in every replication
        half, p = 0.0, 1.0 if mean == 0 else 0.0
    else:
        half = p = np.nan
    return {"baseline_mean": a.mean() if n else np.nan,
            "scenario_mean": b.mean() if n else np.nan, "difference": mean,
            "ci_low": mean - half, "ci_high": mean + half, "p_value": p, "p_better": p_better,
            "n": n, "identical": bool(n) and bool(np.all(d == 0))}  # fmt: skip


# Scenario names longer than this head their column as "baseline" or "scenario".
HEAD_CHARS = 16
COMPARISON_HEAD = ("metric", "unit", "{baseline}", "{scenario}", "difference", "{level} CI",
                   "p (Holm)", "P(better)")  # fmt: skip


def comparison_text(
    table: pd.DataFrame,
    baseline: str,
    runs: Mapping[str, RunInfo | None] | None = None,
    confidence: float = 0.95,
) -> str:
    """A ``paired_comparison`` table as plain text, one block per scenario, grouped as the
    catalogue says: labels and units, money with separators, shares as percentages and
    their differences in percentage points; "no difference" for a metric identical in
    every replication, "-" for P(better) of a metric with no better direction. The
    header says the replications, seed, horizon, common random numbers and what the
    interval is (from ``runs``: scenario -> RunInfo)."""
    runs = runs or {}
    info = runs.get(baseline)
    n = info.replications if info else int(table["n"].max()) if len(table) else 0
    level = f"{confidence * 100:g}%"
    where = f"{info.horizon}; " if info else ""
    seed = f", seed {info.seed}" if info and info.seed is not None else ""
    over, single = replications_phrase(info, n)
    lines = [
        f"paired comparison with {baseline!r}: {where}{n} replications{seed}",
        "Common random numbers: replication r of every scenario drew the same random numbers; "
        "difference = scenario - baseline, replication by replication.",
        f"{level} CI of the mean difference over {over}; p (Holm): paired t-test, "
        "Holm-adjusted over the scenarios compared.",
        f"P(better): share of the simulated {single} in which the scenario did better "
        "(higher or lower, as marked; -: no way is better). Differences of shares are in "
        "percentage points (pp).",
    ]
    for key, block in table.groupby("scenario", sort=False):
        name = str(key)  # a scenario's name
        names = {"baseline": _head(baseline, "baseline"), "scenario": _head(name, "scenario")}
        head = [h.format(level=level, **names) for h in COMPARISON_HEAD]
        groups, hidden = _comparison_rows(block)
        other = runs.get(name)
        lines += ["", f"{name} vs {baseline}"]
        if other and info and other.period != info.period:
            lines.append(
                f"Caution: {name} runs {other.period}, {baseline} {info.period}; totals "
                "cover different periods and are not comparable (shares, averages and "
                "per-month figures are)."
            )
        if other and other.changes and (not info or other.changes != info.changes):
            lines.append(f"{name} changes policy at a date: {other.dated}.")
        if other and other.shocks and (not info or other.shocks != info.shocks):
            lines.append(f"{name} has {other.events}.")
        lines += grouped_table(head, groups)
        if hidden:
            lines.append(f"Not shown: {hidden}.")
    return "\n".join(lines)


def _comparison_rows(block: pd.DataFrame) -> tuple[list[tuple[str, list[list[str]]]], str]:
    """One scenario's rows, formatted, by group; and a note of what was left out."""
    groups: dict[str, list[list[str]]] = {}
    zero = unknown = 0
    for _, r in block.iterrows():
        m = catalogued(r["metric"])
        if r["n"] == 0:
            unknown += not m.only_if_any  # else: a feature neither run uses
            continue
        if m.only_if_any and r["identical"] and r["baseline_mean"] == 0:
            zero += 1
            continue
        means = [m.format(r["baseline_mean"]), m.format(r["scenario_mean"])]
        if r["identical"]:
            zero_diff = "0 pp" if m.kind == "share" else "0"
            cells = [zero_diff, "-", "-", "no difference"]
        else:
            ci = f"[{m.format_difference(r['ci_low'])}, {m.format_difference(r['ci_high'])}]"
            better = "-" if m.better is None else f"{r['p_better'] * 100:.0f}% ({m.better})"
            cells = [m.format_difference(r["difference"]), ci, _p(r["p_holm"]), better]
        groups.setdefault(m.group, []).append([m.label, m.unit_label, *means, *cells])
    hidden = []
    if zero:
        hidden.append(f"{zero} metric{'s' if zero != 1 else ''} zero in both in every replication")
    if unknown:
        hidden.append(f"{unknown} without a value in this run")
    return list(groups.items()), " and ".join(hidden)


def _head(name: str, role: str) -> str:
    """A scenario's name as a column head, or its role when the name is long (the block's
    title names both)."""
    return name if len(name) <= HEAD_CHARS else role


def _p(p: float) -> str:
    """A p-value without scientific notation: "0.034", "<0.001"."""
    if not np.isfinite(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"

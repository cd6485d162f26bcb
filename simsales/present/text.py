"""The text tables the CLI prints: a run's summary, a comparison, sweep means,
sensitivity indices and the ramp of hired reps. Labels, units and formats are the metric
catalogue's (``simsales.metrics.catalogue``)."""

from __future__ import annotations

import math

from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.catalogue import shown_in


def format_comparison(comparison, table=None, confidence: float = 0.95) -> str:
    """A ``Comparison`` (and its ``table()``, computed if not given) as plain text
    (``simsales.metrics.compare.comparison_text``): grouped, labelled, with units,
    readable numbers, and what the interval is."""
    from simsales.metrics.compare import comparison_text
    from simsales.metrics.summary import RunInfo

    runs = {name: RunInfo.of(res.manifest) for name, res in comparison.results.items()}
    if table is None:
        table = comparison.table(confidence)
    return comparison_text(table, comparison.baseline, runs, confidence)


# The sweep's columns: the catalogue's sweep view, headed by their short labels.
SWEEP_SHOWN = shown_in("sweep")


def sweep_text(summary, parameters: list[str]) -> str:
    """A sweep's summary (``SweepResult.summary()``) as plain text: one line per point,
    its swept values, and the means of the catalogue's sweep view under their short
    labels."""
    wide = summary[summary["metric"].isin(SWEEP_SHOWN)].pivot_table(
        index=["point", *parameters], columns="metric", values="mean", sort=False
    )[list(SWEEP_SHOWN)]
    formats = {name: catalogued(name).format for name in SWEEP_SHOWN}
    heads = [catalogued(name).short_label for name in SWEEP_SHOWN]
    return wide.to_string(formatters=formats, header=heads)


def format_summary(summary, precision: dict | None = None) -> str:
    """A run's summary (``Results.summary()``) as plain text, as its repr shows it
    (``simsales.metrics.summary.summary_text``): per group label, unit, mean, 95% CI, P10
    and P90, under the horizon and what the interval is. With ``precision`` (a
    manifest's), metrics whose interval is still wider than the target are marked."""
    from simsales.metrics.summary import summary_text

    return summary_text(summary, precision)


def format_indices(table, metric: str) -> str:
    """Sensitivity indices as plain text without scientific notation: Sobol indices (a
    share of the metric's variance) with 3 decimals; Morris effects in the metric's unit
    (money with separators, shares in percentage points)."""
    effect = catalogued(metric).format_effect
    formats = {col: (lambda v: f"{v:.3f}") if col.startswith("S") else effect
               for col in table.columns if col != "parameter"}  # fmt: skip
    return table.to_string(index=False, formatters=formats)


def format_ramp(ramp) -> str:
    """The ramp table (``Results.ramp``) as plain text: one line per month on post."""
    if ramp.empty:
        return "ramp: no hired rep went on post within the reported months"
    fmt = {"skill": _skill, "signings": catalogued("signings_per_rep_month").format,
           "revenue": catalogued("revenue_per_rep_month").format}  # fmt: skip
    wide = ramp.pivot(index="month_on_post", columns="measure")
    head = ["month on post", "rep-months", *(f"{m} [95% CI]" for m in fmt)]
    rows = []
    for month, row in wide.iterrows():
        cells = [str(month), str(int(row[("rep_months", "skill")]))]
        for measure, f in fmt.items():
            mean, low, high = (row[(c, measure)] for c in ("mean", "ci_low", "ci_high"))
            cells.append(f"{f(mean)} [{f(low)}, {f(high)}]")
        rows.append(cells)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["ramp of hired reps (means over replications of each one's mean per rep):"]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    return "\n".join(lines)


def _skill(value: float) -> str:
    """A skill multiplier (not a metric of the catalogue) to 3 decimals; "-" if unknown."""
    return f"{value:.3f}" if math.isfinite(value) else "-"


def monthly_text(monthly, baseline: str, confidence: float = 0.95) -> str:
    """Month-by-month paired differences (``Comparison.by_month``) as plain text: per
    compared scenario, its months grouped under the plan in force, each with both means,
    the difference and its interval ("no difference" where every replication agrees)."""
    from simsales.metrics.summary import grouped_table
    from simsales.present.plotting import monthly_label

    lines = []
    level = f"{confidence * 100:g}%"
    for name, block in monthly.groupby("scenario", sort=False):
        m = catalogued(str(block["metric"].iloc[0]))
        unit = m.unit
        head = ["month", "unit", "baseline", "scenario", "difference", f"{level} CI"]
        groups: list[tuple[str, list[list[str]]]] = []
        for row in block.itertuples():
            plan = f"plan in force: {row.policy}" if isinstance(row.policy, str) else ""
            if not groups or groups[-1][0] != plan:
                groups.append((plan, []))
            if row.identical:
                diff, ci = "0", "no difference"
            else:
                diff = m.format(row.difference, signed=True)
                low, high = m.format(row.ci_low, signed=True), m.format(row.ci_high, signed=True)
                ci = f"[{low}, {high}]"
            when = f"month {row.month}" + (f" ({row.date})" if isinstance(row.date, str) else "")
            groups[-1][1].append([when, unit, m.format(row.baseline_mean),
                                  m.format(row.scenario_mean), diff, ci])  # fmt: skip
        column = str(block["metric"].iloc[0])
        lines += ["", f"{name} vs {baseline}, month by month: {monthly_label(column)}"]
        lines += grouped_table(head, groups)
    return "\n".join(lines)


def fit_text(table) -> str:
    """A fit's estimates as a plain table: the parameter, what the history shows (with its
    95% CI and records), the value the fitted scenario takes and the base's."""

    def num(x) -> str:
        if not isinstance(x, int | float) or not math.isfinite(x):
            return "-"
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"

    lines = ["What the history shows (95% CI) and the value the fitted scenario takes:"]
    name = "parameter (figure the history shows)"
    head = (f"  {name:<44}{'history':>10}  {'95% CI':<24}{'records':>9}"
            f"{'fitted':>10}{'base':>10}")  # fmt: skip
    lines.append(head)
    for row in table.itertuples(index=False):
        ci = f"[{num(row.ci_low)}, {num(row.ci_high)}]"
        fitted = num(row.fitted) if row.used else "(base)"
        # A parameter read from another figure (the sign chance from the realised F2)
        # says which, so the history's number is not taken for the parameter's.
        name = row.parameter if row.key == row.parameter else f"{row.parameter} ({row.key})"
        lines.append(f"  {name:<44}{num(row.estimate):>10}  {ci:<24}{row.n:>9,}"
                     f"{fitted:>10}{num(row.base):>10}")  # fmt: skip
    lines.append("fitted: the value written to the scenario; it differs from what the "
                 "history shows where that is read through the model's other rules (the "
                 "file's comments say how); (base): too few records, the base's value is "
                 "kept.")  # fmt: skip
    return "\n".join(lines)

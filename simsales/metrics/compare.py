"""Paired comparison of scenarios run with common random numbers.

Every scenario runs the same replications with the same seed, so replication r of two
scenarios saw the same random numbers wherever their policies let them: the difference
per replication is the policy's effect plus far less noise than two independent runs
carry. For each metric and scenario this gives the mean difference to the baseline, its
paired t-interval, a p-value Holm-adjusted over the scenarios compared (when more than
one is compared with the baseline), and P(better): the share of replications in which
the scenario beats the baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Which way is better, for the metrics where that is plain; others count "higher".
LOWER_IS_BETTER = frozenset(
    {
        "quits",
        "dismissals",
        "payroll",
        "cost_of_sales",
        "commission",
        "fines",
        "stale_to_pool",
        "duplicated_approaches",
        "opportunity_per_rep_cv",
        "deals_held",
        "revenue_held",
        "class_washout_of_trainees",
    }
)
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
]


def paired_comparison(
    metrics: pd.DataFrame, baseline: str, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per compared scenario and metric of ``metrics`` (indexed by scenario and
    replication, as ``Results.metrics()``): the paired difference scenario − baseline
    over the replications both have, with its t-interval, p-value (paired t-test, two
    sided), the p-value Holm-adjusted over the scenarios compared for that metric, and
    P(better). A metric missing (NaN) in a replication leaves that pair out."""
    from scipy import stats
    from statsmodels.stats.multitest import multipletests

    scenarios = list(dict.fromkeys(metrics.index.get_level_values("scenario")))
    if baseline not in scenarios:
        raise ValueError(f"baseline {baseline!r} is not among the scenarios {scenarios}")
    base = metrics.xs(baseline, level="scenario")
    rows = []
    for name in (s for s in scenarios if s != baseline):
        other = metrics.xs(name, level="scenario")
        common = base.index.intersection(other.index)
        for metric in metrics.columns:
            a = base.loc[common, metric].to_numpy(dtype=float)
            b = other.loc[common, metric].to_numpy(dtype=float)
            ok = np.isfinite(a) & np.isfinite(b)
            a, b = a[ok], b[ok]
            d = b - a
            n = d.size
            lower = metric in LOWER_IS_BETTER
            row = {"scenario": name, "metric": metric, "better_if": "lower" if lower else "higher",
                   "baseline_mean": a.mean() if n else np.nan,
                   "scenario_mean": b.mean() if n else np.nan,
                   "difference": d.mean() if n else np.nan, "n": n}  # fmt: skip
            row["p_better"] = (np.mean(d < 0) if lower else np.mean(d > 0)) if n else np.nan
            sd = d.std(ddof=1) if n > 1 else np.nan
            if n > 1 and sd > 0:
                half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
                p = 2 * stats.t.sf(abs(d.mean()) / (sd / np.sqrt(n)), n - 1)
            elif n > 1:  # identical in every replication
                half, p = 0.0, 1.0 if d.mean() == 0 else 0.0
            else:
                half = p = np.nan
            row.update(ci_low=row["difference"] - half, ci_high=row["difference"] + half, p_value=p)
            rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "p_holm"])
    table["p_holm"] = table["p_value"]
    for _, block in table.groupby("metric", sort=False):
        known = block["p_value"].notna()
        if known.sum() > 1:
            adjusted = multipletests(block.loc[known, "p_value"], method="holm")[1]
            table.loc[block.index[known], "p_holm"] = adjusted
    return table[COLUMNS]

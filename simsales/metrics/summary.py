"""Headline metrics per replication, and their summary across replications.

Every mean comes with a 95% t-interval over replications and the replication
count; percentiles show the spread a planner should expect in a single year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# A lead cohort counts towards the F2 sign rate once this many months have passed since
# its entry month: a C/D lead's 11 follow-ups every 6 working days take ~66 days (< 78).
RESOLVE_MONTHS = 3
# F7 groups: touch indices (0 phone, 1 first visit, k+1 = k-th follow-up).
F7_GROUPS = {
    "phone": (0, 0),
    "first_visit": (1, 1),
    "followup_1": (2, 2),
    "followup_2": (3, 3),
    "followup_3": (4, 4),
    "followup_4_to_11": (5, 12),
}
# F7's shares of signings in those groups, in percent (they add to 101).
F7_PERCENT = {"phone": 1, "first_visit": 2, "followup_1": 3, "followup_2": 5, "followup_3": 10,
              "followup_4_to_11": 80}  # fmt: skip
KEYS = ["scenario", "replication"]


def replication_metrics(
    team_month: pd.DataFrame,
    funnel: pd.DataFrame,
    lead_cohorts: pd.DataFrame,
    cohorts: pd.DataFrame,
    days_per_month: int,
) -> pd.DataFrame:
    """One row per (scenario, replication), one column per headline metric."""
    tm = team_month.groupby(KEYS, sort=True)
    rep_months = tm["reps_on_post"].sum()
    out = pd.DataFrame(
        {
            "revenue": tm["revenue"].sum(),
            "signings": tm["signings"].sum(),
            "leads_entered": tm["leads_entered"].sum(),
            "visits": tm["visits"].sum(),
            "reps_on_post": tm["reps_on_post"].mean(),
            "revenue_per_rep_month": tm["revenue"].sum() / rep_months,
            "signings_per_rep_month": tm["signings"].sum() / rep_months,
            "visits_per_rep_day": tm["visits"].sum() / (rep_months * days_per_month),
            "followups_per_rep_day": tm["followups"].sum() / (rep_months * days_per_month),
            "stale_to_pool": tm["stale_to_pool"].sum(),
            "pool_claims": tm["pool_claims"].sum(),
            "reclaimed_signings": tm["reclaimed_signings"].sum(),
            "duplicated_approaches": tm["duplicated_approaches"].sum(),
            "opportunity_per_rep_cv": tm["opportunity_per_rep_cv"].mean(),
            "hires": tm["hires"].sum(),
            "quits": tm["quits"].sum(),
            "dismissals": tm["dismissals"].sum(),
            "promotions": tm["promotions"].sum(),
            "supervisor_hires": tm["supervisor_hires"].sum(),
            "supervisor_groups_end": tm["supervisor_groups"].last(),
            "attainment": tm["revenue"].sum() / tm["quota"].sum(),
            "payroll": tm["payroll"].sum(),
            "commission": tm["commission"].sum(),
            "bonus": tm["bonus"].sum(),
            "fines": tm["fines"].sum(),
            "pay_per_rep_month": tm["payroll"].sum() / rep_months,
            "cost_of_sales": tm["cost_of_sales"].sum(),
            "margin": tm["margin"].sum(),
            "deals_held": tm["deals_held"].sum(),
            "revenue_held": tm["revenue_held"].sum(),
            "deals_pulled": tm["deals_pulled"].sum(),
            "month_end_signing_share": tm["signings_last_week"].sum() / tm["signings"].sum(),
        }
    )
    # F41: share of reps on post at quota on the quota period, counted at periods' ends.
    ends = team_month[team_month["quota_period_end"]].groupby(KEYS, sort=True)
    out["share_at_quota"] = ends["reps_at_quota"].sum() / ends["reps_on_post"].sum()
    out["f2_sign_rate"], out["f2_open_share"] = _f2(lead_cohorts, team_month["month"].max())
    by_touch = funnel.pivot_table(index=KEYS, columns="touch", values="signings", aggfunc="sum")
    total = by_touch.sum(axis=1)
    for name, (lo, hi) in F7_GROUPS.items():
        cols = [c for c in by_touch.columns if lo <= c <= hi]
        out[f"f7_share_{name}"] = by_touch[cols].sum(axis=1) / total
    return out.join(_classes(cohorts, out.index))


def _classes(cohorts: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """New-hire KPIs (F21-F26) pooled over a replication's classes: each a ratio of
    summed counts, over the classes where it is known (NaN: no class, or windows not
    yet complete at the end of the run; washout and trial rates only over classes with
    nobody still in training or on trial)."""
    ratios = {  # metric: (numerator, denominator)
        "class_washout_of_trainees": ("washed_out", "trainees"),
        "class_trial_pass_of_reached_trial": ("on_post", "reached_trial"),
        "class_signing_rate_1m_of_on_post": ("signed_1m", "on_post"),
        "class_orders_1m_per_on_post": ("orders_1m", "on_post"),
        "class_survival_3m_of_on_post": ("survived_3m", "on_post"),
        "class_remaining_3m_of_trainees": ("survived_3m", "trainees"),
        "class_survival_12m_of_on_post": ("survived_12m", "on_post"),
        "class_remaining_12m_of_trainees": ("survived_12m", "trainees"),
        "class_earning_6m_of_on_post": ("earning_6m", "on_post"),
    }
    c = cohorts.assign(reached_trial=cohorts["trainees"] - cohorts["washed_out"])
    out = pd.DataFrame(index=index)
    for metric, (num, den) in ratios.items():
        known = c[c[num].notna()]
        if metric in ("class_washout_of_trainees", "class_trial_pass_of_reached_trial"):
            known = known[known["in_class"] == 0]  # classes done with training and trial
        g = known.groupby(KEYS, sort=True)[[num, den]].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[metric] = (g[num] / g[den].where(g[den] > 0)).reindex(index)
    return out


def _f2(lead_cohorts: pd.DataFrame, last_month: int) -> tuple[pd.Series, pd.Series]:
    """F2: share of entered leads that sign, over cohorts old enough to have resolved.

    Customer referrals are left out: F2 is about leads entered under the 353 rule and
    HQ pushes; customer referrals have their own rate (F9).
    """
    lc = lead_cohorts[
        (lead_cohorts["entry_month"] <= last_month - RESOLVE_MONTHS)
        & (lead_cohorts["source"] != "customer_referral")
    ]
    g = lc.groupby(KEYS, sort=True)[["entered", "signed", "open"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return g["signed"] / g["entered"], g["open"] / g["entered"]


def mean_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean, Student-t interval (NaN when fewer than 2 values) and n of the finite ``x``."""
    from scipy import stats  # slow to import; only needed here

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    mean = x.mean() if n else np.nan
    half = (
        stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    )
    return mean, mean - half, mean + half, n


def summarize(metrics: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean, t-interval, P10/P50/P90 and n for every metric, per scenario."""
    rows = []
    for scenario, block in metrics.groupby(level="scenario", sort=False):
        for metric in metrics.columns:
            x = block[metric].to_numpy(dtype=float)
            mean, low, high, n = mean_interval(x, confidence)
            p10, p50, p90 = np.percentile(x[np.isfinite(x)], [10, 50, 90]) if n else (np.nan,) * 3
            rows.append(
                {
                    "scenario": scenario,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)

"""Hiring-class KPIs exactly as the field defines them (F21-F26), from a table of HR events.

The same functions serve the simulation and a trainer's own data. The HR-events table
has one row per trainee:

==================  =====================================================================
column              meaning
==================  =====================================================================
class               the hiring class (any label)
left_before_post    "training" (washed out, F21), "trial" (failed the trial post, F22),
                    or empty / None for a trainee who went on post
on_post_day         day the rep went on post; NaN if never
leave_day           first day the rep was gone; NaN if still on the team
order_days          the days of the rep's orders (a list; a day repeats for two orders)
pay_month_6         optional: pay in the 6th month on post (F26); NaN if not known
==================  =====================================================================

Days are any consecutive day numbers (calendar days in real data; working days in the
simulation), with ``days_per_month`` of them to a month: F23-F25's "30 days on post" is
one month. A KPI whose window a class has not finished by ``end_day`` is NaN, never a
guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simsales.metrics.summary import mean_interval
from simsales.model.team import FAILED_TRIAL, NO_DAY, PROMOTED, WASHED_OUT, Team
from simsales.scenario.schema import Scenario

SURVIVAL_MONTHS = (1, 3, 6, 12)  # F26: does the new rep survive 3 months?
HR_COLUMNS = ("class", "left_before_post", "on_post_day", "leave_day", "order_days")
# Counts per class. Each rate is named after its denominator: most are over the reps who
# went on post (F23-F26 define them so); ``remaining_*_of_trainees`` answer a trainer's
# question of how many of the class's trainees are still there.
COUNTS = (
    "trainees",
    "washed_out",
    "failed_trial",
    "on_post",
    "in_class",  # still in training or on trial at the end: washout and trial rates wait
    "signed_1m",  # F23 numerator: signed within a month on post and still there after it
    "orders_1m",  # F24 numerator: orders in the first month on post, leavers included
    *(f"survived_{m}m" for m in SURVIVAL_MONTHS),
    "earning_6m",  # F26: paid at least the threshold in the 6th month on post
)
RATES = (
    "washout_of_trainees",
    "trial_pass_of_reached_trial",
    "signing_rate_1m_of_on_post",
    "orders_1m_per_on_post",
    *(f"survival_{m}m_of_on_post" for m in SURVIVAL_MONTHS),
    *(f"remaining_{m}m_of_trainees" for m in SURVIVAL_MONTHS),
    "earning_6m_of_on_post",
)


def cohort_kpis(
    hr: pd.DataFrame,
    days_per_month: float = 30,
    end_day: float | None = None,
    earning_threshold: float | None = None,
) -> pd.DataFrame:
    """One row per class: its counts (``COUNTS``) and KPIs (``RATES``).

    ``end_day``: last day observed (default: no limit, every window complete);
    ``earning_threshold``: monthly pay that counts as earning money (F26); without it, or
    without a ``pay_month_6`` column, the earning KPI is NaN.
    """
    missing = [c for c in HR_COLUMNS if c not in hr.columns]
    if missing:
        raise ValueError(f"HR-events table lacks column(s) {missing}; needs {list(HR_COLUMNS)}")
    end = np.inf if end_day is None else float(end_day)
    rows = []
    for klass, g in hr.groupby("class", sort=True):
        rows.append({"class": klass, **_class_counts(g, days_per_month, end, earning_threshold)})
    return _with_rates(pd.DataFrame(rows, columns=["class", *COUNTS]))


def _class_counts(g: pd.DataFrame, dpm: float, end: float, threshold: float | None) -> dict:
    left_before = g["left_before_post"].fillna("").astype(str)
    on_post_day = g["on_post_day"].to_numpy(dtype=float)
    leave_day = g["leave_day"].to_numpy(dtype=float)
    went = ~np.isnan(on_post_day)
    start, leave = on_post_day[went], np.where(np.isnan(leave_day), np.inf, leave_day)[went]
    orders = [np.asarray(d, dtype=float) for d in g["order_days"].to_numpy()[went]]
    window_end = start + dpm
    orders_first = np.array(
        [
            np.count_nonzero((d >= s) & (d < e))
            for d, s, e in zip(orders, start, window_end, strict=True)
        ]
    )
    stayed = leave >= window_end

    def seen(months: int) -> bool:  # every rep of the class observed that long on post
        return bool(np.all(start + months * dpm <= end))

    counts = {
        "trainees": len(g),
        "washed_out": int((left_before == "training").sum()),
        "failed_trial": int((left_before == "trial").sum()),
        "on_post": int(went.sum()),
        "in_class": int(((left_before == "") & ~went).sum()),
        "signed_1m": int(((orders_first > 0) & stayed).sum()) if seen(1) else np.nan,
        "orders_1m": int(orders_first.sum()) if seen(1) else np.nan,
    }
    for m in SURVIVAL_MONTHS:
        counts[f"survived_{m}m"] = int((leave >= start + m * dpm).sum()) if seen(m) else np.nan
    pay = g["pay_month_6"].to_numpy(dtype=float)[went] if "pay_month_6" in g else None
    if threshold is None or pay is None or not seen(6):
        counts["earning_6m"] = np.nan
    else:  # a rep gone before the 6th month earns nothing
        counts["earning_6m"] = int(np.sum(np.nan_to_num(pay, nan=0.0) >= threshold))
    return counts


def _with_rates(c: pd.DataFrame) -> pd.DataFrame:
    on_post = c["on_post"].where(c["on_post"] > 0)
    done = c["in_class"] == 0  # a class with trainees still learning has no final rates
    reached_trial = (c["trainees"] - c["washed_out"]).where(lambda x: (x > 0) & done)
    c["washout_of_trainees"] = c["washed_out"] / c["trainees"].where((c["trainees"] > 0) & done)
    c["trial_pass_of_reached_trial"] = c["on_post"] / reached_trial
    c["signing_rate_1m_of_on_post"] = c["signed_1m"] / on_post
    c["orders_1m_per_on_post"] = c["orders_1m"] / on_post
    trainees = c["trainees"].where((c["trainees"] > 0) & done)
    for m in SURVIVAL_MONTHS:
        c[f"survival_{m}m_of_on_post"] = c[f"survived_{m}m"] / on_post
        c[f"remaining_{m}m_of_trainees"] = c[f"survived_{m}m"] / trainees
    c["earning_6m_of_on_post"] = c["earning_6m"] / on_post
    return c


# -------------------------------------------------------------- simulation
def hr_events(team: Team, rec, workforce) -> pd.DataFrame:
    """The simulated hires (the starting team excluded) as an HR-events table, plus
    ``class_start_day``."""
    hired = np.flatnonzero(team.klass[: team.n] > 0)
    reason = team.leave_reason[hired]
    on_post = team.on_post_day[hired]
    # A rep promoted to supervisor stays with the company: not a leaver in F23-F26.
    leave = np.where(reason == PROMOTED, NO_DAY, team.leave_day[hired])
    log_rep, log_day = rec.signings()
    by_rep = pd.Series(log_day).groupby(log_rep).agg(list)
    dpm = workforce.cal.days_per_month
    pay = workforce.payroll.total
    months = pay.shape[0]
    sixth = np.where(on_post == NO_DAY, -1, on_post // dpm + 5)  # month index of the 6th month
    pay6 = np.full(hired.size, np.nan)
    ok = (sixth >= 0) & (sixth < months)
    pay6[ok] = np.nan_to_num(pay[sixth[ok], hired[ok]], nan=0.0)
    return pd.DataFrame(
        {
            "class": team.klass[hired],
            "class_start_day": team.hired_day[hired],
            "left_before_post": np.select(
                [reason == WASHED_OUT, reason == FAILED_TRIAL], ["training", "trial"], ""
            ),
            "on_post_day": np.where(on_post == NO_DAY, np.nan, on_post),
            "leave_day": np.where(leave == NO_DAY, np.nan, leave),
            "order_days": [by_rep.get(r, []) for r in hired],
            "pay_month_6": pay6,
        }
    )


def class_columns(team: Team, rec, workforce, scenario: Scenario) -> dict[str, np.ndarray]:
    """Columns of the ``cohorts`` table of one replication: one row per hiring class."""
    cal = workforce.cal
    names = ("class", "class_month", *COUNTS, *RATES)
    if not (team.klass[: team.n] > 0).any():  # no class: skip building tables
        return {
            name: np.empty(0, dtype=np.int64 if i < 2 else float) for i, name in enumerate(names)
        }
    hr = hr_events(team, rec, workforce)
    kpis = cohort_kpis(
        hr,
        days_per_month=cal.days_per_month,
        end_day=cal.total_days,
        earning_threshold=scenario.pay.earning_threshold,
    )
    start = hr.groupby("class")["class_start_day"].min().reindex(kpis["class"]).to_numpy()
    cols = {"class": kpis["class"].to_numpy(dtype=np.int64)}
    cols["class_month"] = (start // cal.days_per_month - cal.warmup_months + 1).astype(np.int64)
    for name in (*COUNTS, *RATES):
        cols[name] = kpis[name].to_numpy(dtype=float)
    return cols


RAMP_MEASURES = ("skill", "signings", "revenue")


def ramp_table(
    rep_month: pd.DataFrame, max_months: int = 24, confidence: float = 0.95
) -> pd.DataFrame:
    """How hired reps ramp up (F16-F18, F26): per scenario, month on post (1 = the month
    they went on post) and measure (month-end ``skill``, the month's ``signings`` and
    ``revenue`` per rep), the mean over replications of each replication's mean over its
    hired reps on post, with a t-interval and the replications counted (``n``) and the
    rep-months behind them. The starting team is left out."""
    rm = rep_month[(rep_month["class"] > 0) & (rep_month["status"] == "on_post")]
    rm = rm.assign(month_on_post=np.floor(rm["tenure_months"].to_numpy()).astype(np.int64) + 1)
    rm = rm[rm["month_on_post"] <= max_months]
    keys = ["scenario", "month_on_post"]
    per_rep = rm.groupby([*keys, "replication"], sort=True)[list(RAMP_MEASURES)].mean()
    rep_months = rm.groupby(keys, sort=True).size()
    rows = []
    for (scenario, month), block in per_rep.groupby(level=keys, sort=True):
        for measure in RAMP_MEASURES:
            mean, low, high, n = mean_interval(block[measure].to_numpy(), confidence)
            rows.append(
                {
                    "scenario": scenario,
                    "month_on_post": month,
                    "measure": measure,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": n,
                    "rep_months": int(rep_months[(scenario, month)]),
                }
            )
    columns = [*keys, "measure", "mean", "ci_low", "ci_high", "n", "rep_months"]
    return pd.DataFrame(rows, columns=columns)

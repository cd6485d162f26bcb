"""Hiring-class KPIs exactly as the field defines them (F21-F26), from a table of HR events.

The same functions serve the simulation and a trainer's own data. The HR-events table
has one row per trainee:

==================  =====================================================================
column              meaning
==================  =====================================================================
class               the hiring class (any label; never empty)
left_before_post    "training" (washed out, F21), "trial" (failed the trial post, F22),
                    or empty / None / NaN for a trainee who went on post or is still
                    in training or on trial
on_post_day         day the rep went on post; NaN if never
leave_day           first day the rep was gone; NaN if still on the team
order_days          the days of the rep's orders (a day repeats for two orders): a list,
                    tuple or array of day numbers, one number, a string of days separated
                    by ";" as a CSV holds them ("38;45"), or empty / NaN for none
pay_month_6         optional: pay in the 6th month on post (F26); NaN if not known
==================  =====================================================================

Days are any consecutive whole day numbers (calendar days in real data; working days in
the simulation; negative numbers are fine), with ``days_per_month`` of them to a month:
F23-F25's "30 days on post" is one month. ``end_day`` is the last day the data covers
(inclusive): the first k months on post of a rep who went on post on day s, days
s .. s + k * days_per_month - 1, are seen when that last day is at most ``end_day``. A
KPI whose window a class has not finished by ``end_day`` is NaN, never a guess.

A table the functions cannot read honestly is refused with a ``CohortDataError`` naming
the row, the column, the value and what is allowed.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import pandas as pd

from simsales.metrics.summary import mean_interval
from simsales.model.team import FAILED_TRIAL, NO_DAY, PROMOTED, WASHED_OUT, Team
from simsales.scenario.schema import Scenario

SURVIVAL_MONTHS = (1, 3, 6, 12)  # F26: does the new rep survive 3 months?
EARNING_MONTH = 6  # F26: does the new rep earn money within 6 months?
HR_COLUMNS = ("class", "left_before_post", "on_post_day", "leave_day", "order_days")
LEFT_BEFORE_POST = ("training", "trial")  # F21 washout, F22 failed trial; "" = neither
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
    "earning_6m",  # F26: on the team 6 months on post and paid the threshold in the 6th
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


class CohortDataError(ValueError):
    """An HR-events table or an argument ``cohort_kpis`` cannot use; the message names
    the row, the column, the value and what is allowed."""


class ObservationEndWarning(UserWarning):
    """``cohort_kpis`` was not told the last day the data covers and took the latest day
    found in the table."""


def cohort_kpis(
    hr: pd.DataFrame,
    days_per_month: float = 30,
    end_day: float | None = None,
    earning_threshold: float | None = None,
) -> pd.DataFrame:
    """One row per class: its counts (``COUNTS``) and KPIs (``RATES``).

    ``days_per_month``: days to a month on post (default 30: F23's "within 30 days" in
    calendar days); ``end_day``: the last day the data covers, inclusive (a window of k
    months from on-post day s is complete if s + k * days_per_month - 1 <= end_day).
    Without it, the latest day in the table (on-post, leave and order days) is taken, and
    an ``ObservationEndWarning`` says so. ``earning_threshold``: monthly pay that counts
    as earning money (F26); without it, or without a ``pay_month_6`` column, the earning
    KPI is NaN. A rep gone before the end of the 6th month on post is not earning,
    whatever ``pay_month_6`` says.

    Raises ``CohortDataError`` (a ``ValueError``) for a missing column, an argument that
    is not a finite number (``days_per_month`` must be > 0), or a row that cannot be right:
    an empty class, an unknown ``left_before_post`` label, a day that is not a finite
    number, an on-post day for a trainee who left before post, a leave day before the
    on-post day, or a trainee gone before post without a ``left_before_post`` label.
    """
    dpm = _argument("days_per_month", days_per_month, positive=True)
    end = None if end_day is None else _argument("end_day", end_day)
    threshold = (
        None if earning_threshold is None else _argument("earning_threshold", earning_threshold)
    )
    table = _clean(hr)
    if end is None:
        end = _inferred_end(table)
    return _with_rates(_class_counts(table, dpm, end, threshold))


def _class_counts(table: pd.DataFrame, dpm: float, end: float, threshold: float | None):
    """``COUNTS`` of every class (one row each, classes sorted), from the clean table.

    A count over a window some rep of the class has not been observed for in full is
    NaN; a column with no NaN is whole numbers."""
    codes, classes = pd.factorize(table["class"], sort=True)  # groupby's order
    n_class = len(classes)
    left_before = table["left_before_post"].to_numpy()
    on_post_day = table["on_post_day"].to_numpy(dtype=float)
    went = ~np.isnan(on_post_day)
    start = np.where(went, on_post_day, np.nan)
    leave = np.nan_to_num(table["leave_day"].to_numpy(dtype=float), nan=np.inf)
    window_end = start + dpm
    # Orders within a month of going on post, per rep: all order days at once.
    orders = table["order_days"].to_numpy()
    lengths = np.fromiter((len(d) for d in orders), dtype=np.int64, count=len(orders))
    flat = np.concatenate([np.empty(0), *(np.asarray(d, dtype=float) for d in orders)])
    row = np.repeat(np.arange(len(orders)), lengths)
    inside = went[row] & (flat >= start[row]) & (flat < window_end[row])
    orders_first = np.bincount(row[inside], minlength=len(orders))
    stayed = went & (leave >= window_end)
    # Every rep of a class observed m months on post: its latest on-post day is.
    latest = np.full(n_class, -np.inf)
    np.maximum.at(latest, codes[went], start[went])

    def per_class(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = mask.astype(float) if weights is None else np.where(mask, weights, 0.0)
        return np.bincount(codes, weights=w, minlength=n_class)

    def seen(months: int) -> np.ndarray:  # days s .. s + months * dpm - 1 within the data
        return latest + months * dpm <= end + 1

    counts = {
        "trainees": per_class(np.ones(len(codes), dtype=bool)),
        "washed_out": per_class(left_before == "training"),
        "failed_trial": per_class(left_before == "trial"),
        "on_post": per_class(went),
        "in_class": per_class((left_before == "") & ~went),
        "signed_1m": np.where(seen(1), per_class((orders_first > 0) & stayed), np.nan),
        "orders_1m": np.where(seen(1), per_class(went, orders_first), np.nan),
    }
    for m in SURVIVAL_MONTHS:
        survived = per_class(went & (leave >= start + m * dpm))
        counts[f"survived_{m}m"] = np.where(seen(m), survived, np.nan)
    if threshold is None or "pay_month_6" not in table:
        counts["earning_6m"] = np.full(n_class, np.nan)
    else:  # a rep gone before the end of the 6th month earns nothing, paid or not
        pay = np.nan_to_num(table["pay_month_6"].to_numpy(dtype=float), nan=0.0)
        there = went & (leave >= start + EARNING_MONTH * dpm)
        earning = per_class(there & (pay >= threshold))
        counts["earning_6m"] = np.where(seen(EARNING_MONTH), earning, np.nan)
    columns: dict[str, object] = {"class": classes}
    for name, values in counts.items():  # whole numbers unless some class is NaN
        columns[name] = values if np.isnan(values).any() else values.astype(np.int64)
    return pd.DataFrame(columns, columns=["class", *COUNTS])


# ------------------------------------------------------------ checking the table
def _argument(name: str, value: object, positive: bool = False) -> float:
    """``value`` as a float if it is a finite number (> 0 if ``positive``)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        number = float(value)
        if math.isfinite(number) and (number > 0 or not positive):
            return number
    allowed = "a finite number > 0" if positive else "a finite number"
    raise CohortDataError(f"cohort_kpis: {name}={value!r} is not allowed; allowed: {allowed}")


def _clean(hr: pd.DataFrame) -> pd.DataFrame:
    """The HR table with days as floats (NaN = none), ``left_before_post`` as "",
    "training" or "trial" and ``order_days`` as arrays; ``CohortDataError`` naming the
    first bad row (and how many more) if any row cannot be right."""
    missing = [c for c in HR_COLUMNS if c not in hr.columns]
    if missing:
        raise CohortDataError(
            f"HR-events table lacks column(s) {missing}; needs {list(HR_COLUMNS)}"
            " (and optionally 'pay_month_6')"
        )
    problems: list[tuple[int, str]] = []
    left = _labels(hr, problems)
    on_post = _numbers(hr, "on_post_day", problems)
    leave = _numbers(hr, "leave_day", problems)
    orders = _all_order_days(hr, problems)
    clean = pd.DataFrame(
        {
            "class": hr["class"].to_numpy(),
            "left_before_post": left,
            "on_post_day": on_post,
            "leave_day": leave,
            "order_days": orders,
        }
    )
    if "pay_month_6" in hr.columns:
        clean["pay_month_6"] = _numbers(hr, "pay_month_6", problems)
    _check_rows(hr, clean, problems)
    if problems:
        problems.sort(key=lambda p: p[0])  # stable: a row's problems keep their order
        more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise CohortDataError(f"HR-events table: {problems[0][1]}{more}")
    return clean


def _check_rows(hr: pd.DataFrame, t: pd.DataFrame, problems: list[tuple[int, str]]) -> None:
    """Rows whose columns contradict each other, and rows without a class."""
    left, on, leave = t["left_before_post"], t["on_post_day"], t["leave_day"]
    for i in np.flatnonzero(hr["class"].isna().to_numpy()).tolist():
        problems.append((i, _cell(hr, i, "class", "is empty; allowed: any label")))
    for i in np.flatnonzero(
        left.isin(LEFT_BEFORE_POST).to_numpy() & on.notna().to_numpy()
    ).tolist():
        problems.append(
            (
                i,
                _cell(
                    hr,
                    i,
                    "on_post_day",
                    f"is given for a trainee who left before post (left_before_post "
                    f"{left.iloc[i]!r}); allowed: empty (a trainee who washed out or failed "
                    "the trial never went on post)",
                ),
            )
        )
    for i in np.flatnonzero((leave < on).to_numpy()).tolist():
        problems.append(
            (
                i,
                _cell(
                    hr,
                    i,
                    "leave_day",
                    f"is before on_post_day {_show(on.iloc[i])}; allowed: on_post_day or "
                    "later (the first day gone), or empty",
                ),
            )
        )
    gone_unlabelled = (left == "") & on.isna() & leave.notna()
    for i in np.flatnonzero(gone_unlabelled.to_numpy()).tolist():
        problems.append(
            (
                i,
                _cell(
                    hr,
                    i,
                    "left_before_post",
                    f"is empty for a trainee who never went on post but left (leave_day "
                    f"{_show(leave.iloc[i])}); allowed: 'training' or 'trial'",
                ),
            )
        )


def _labels(hr: pd.DataFrame, problems: list[tuple[int, str]]) -> np.ndarray:
    """``left_before_post`` as "", "training" or "trial" (surrounding spaces ignored)."""
    out = np.full(len(hr), "", dtype=object)
    for i, value in enumerate(hr["left_before_post"]):
        if _is_empty(value):
            continue
        label = value.strip() if isinstance(value, str) else value
        out[i] = label  # an unknown label is kept: it is neither "" nor a reason
        if label not in LEFT_BEFORE_POST:
            problems.append(
                (
                    i,
                    _cell(
                        hr,
                        i,
                        "left_before_post",
                        "is not a known label; allowed: 'training' (washed out, F21), "
                        "'trial' (failed the trial post, F22), or empty / None / NaN",
                    ),
                )
            )
    return out


def _numbers(hr: pd.DataFrame, column: str, problems: list[tuple[int, str]]) -> np.ndarray:
    """A column of days (or pay) as floats, NaN where empty."""
    values = hr[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        out = values.to_numpy(dtype=float, na_value=np.nan)
        bad: list[int] = np.flatnonzero(np.isinf(out)).tolist()
    else:
        out, bad = np.full(len(values), np.nan), []
        for i, value in enumerate(values):
            try:
                out[i] = np.nan if _is_empty(value) else _finite(value)
            except ValueError:
                bad.append(i)
    what = "an amount" if column == "pay_month_6" else "a day number"
    for i in bad:
        problems.append(
            (i, _cell(hr, i, column, f"is not a finite number; allowed: {what}, or empty"))
        )
    return out


def _all_order_days(hr: pd.DataFrame, problems: list[tuple[int, str]]) -> np.ndarray:
    """Each row's order days as a float array (an object array of arrays)."""
    out = np.empty(len(hr), dtype=object)
    for i, value in enumerate(hr["order_days"]):
        try:
            out[i] = _order_days(value)
        except ValueError as bad:
            out[i] = np.empty(0)
            part = "is" if str(bad) == _show(value) else f"holds {bad}, which is"
            problems.append(
                (
                    i,
                    _cell(
                        hr,
                        i,
                        "order_days",
                        f"{part} not a day number; allowed: a list of day numbers, one "
                        "number, days separated by ';' as in '38;45', or empty for none",
                    ),
                )
            )
    return out


def _order_days(value: object) -> np.ndarray:
    """Order days of one cell; ValueError naming the part that is not a finite number."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # one number as an array
        value = value.item()
    if isinstance(value, str):
        return np.array([_finite(part) for part in value.split(";") if part.strip()])
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        try:  # the simulation's lists of ints: no loop in Python
            days = np.asarray(value, dtype=float)
            if days.ndim == 1 and np.isfinite(days).all():
                return days
        except (TypeError, ValueError):
            pass
        return np.array([_finite(day) for day in value], dtype=float)
    return np.empty(0) if _is_empty(value) else np.array([_finite(value)])


def _finite(value: object) -> float:
    """A finite number from a number or a numeric string; ValueError naming it otherwise."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(_show(value)) from None
    elif isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        number = float(value)
    else:
        raise ValueError(_show(value))
    if not math.isfinite(number):
        raise ValueError(_show(value))
    return number


def _is_empty(value: object) -> bool:
    """None, NaN, pandas' NA or a blank string: nothing recorded."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float | np.floating) and math.isnan(value)


def _cell(hr: pd.DataFrame, i: int, column: str, problem: str) -> str:
    """'row 7 (index 'ana'), column 'leave_day': 3 is before ...'"""
    value = hr[column].iloc[i]
    return f"row {i + 1} (index {_show(hr.index[i])}), column {column!r}: {_show(value)} {problem}"


def _show(value: object) -> str:
    """A cell's value as a reader would write it."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return f"{float(value):g}"
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def _inferred_end(t: pd.DataFrame) -> float:
    """The latest day in the table, with an ``ObservationEndWarning``; -inf (no warning)
    if there is none, as then nobody went on post and no window is judged."""
    days = [t["on_post_day"].to_numpy(), t["leave_day"].to_numpy(), *t["order_days"]]
    latest = max((np.nanmax(d) for d in days if d.size and not np.isnan(d).all()), default=None)
    if latest is None:
        return -np.inf
    warnings.warn(
        f"cohort_kpis: no end_day given; took day {latest:g}, the latest on_post_day, "
        "leave_day or order day in the table, as the last day the data covers. A KPI "
        "whose window runs past it is NaN. Pass end_day=<the last day your data covers> "
        "to say so yourself.",
        ObservationEndWarning,
        stacklevel=3,
    )
    return float(latest)


def _with_rates(c: pd.DataFrame) -> pd.DataFrame:
    """The counts with ``RATES`` beside them; a rate without its denominator is NaN."""

    def col(name: str) -> np.ndarray:
        return c[name].to_numpy(dtype=float)

    def over(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        return np.where(keep, values, np.nan)

    trainees, washed_out, on_post_n = col("trainees"), col("washed_out"), col("on_post")
    done = col("in_class") == 0  # a class with trainees still learning has no final rates
    on_post = over(on_post_n, on_post_n > 0)
    reached_trial = over(trainees - washed_out, (trainees - washed_out > 0) & done)
    of_trainees = over(trainees, (trainees > 0) & done)
    rates = {
        "washout_of_trainees": washed_out / of_trainees,
        "trial_pass_of_reached_trial": on_post_n / reached_trial,
        "signing_rate_1m_of_on_post": col("signed_1m") / on_post,
        "orders_1m_per_on_post": col("orders_1m") / on_post,
    }
    for m in SURVIVAL_MONTHS:
        rates[f"survival_{m}m_of_on_post"] = col(f"survived_{m}m") / on_post
        rates[f"remaining_{m}m_of_trainees"] = col(f"survived_{m}m") / of_trainees
    rates["earning_6m_of_on_post"] = col("earning_6m") / on_post
    return c.assign(**rates)


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
    order = np.argsort(log_rep, kind="stable")  # each rep's deals in booking order
    reps, days = log_rep[order], log_day[order]
    first, last = np.searchsorted(reps, hired, "left"), np.searchsorted(reps, hired, "right")
    pay = workforce.payroll.own_pay()  # F26: earning money of their own, not a guarantee
    months = pay.shape[0]
    # Month index of the 6th month on post.
    sixth = np.where(on_post == NO_DAY, -1, workforce.cal.months_of(on_post) + 5)
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
            "order_days": [days[a:b] for a, b in zip(first, last, strict=True)],
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
        end_day=cal.total_days - 1,  # day 0 .. total_days - 1 are simulated (Calendar)
        earning_threshold=scenario.pay.earning_threshold,
    )
    start = hr.groupby("class")["class_start_day"].min().reindex(kpis["class"]).to_numpy()
    cols = {"class": kpis["class"].to_numpy(dtype=np.int64)}
    cols["class_month"] = (cal.months_of(start) - cal.warmup_months + 1).astype(np.int64)
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
    rep_months = rm.groupby(keys, sort=True).size().to_dict()  # {(scenario, month): count}
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

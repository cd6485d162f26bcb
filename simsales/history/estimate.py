"""Estimates of the model's parameters from a team's history, each with a 95% CI and the
number of records it rests on (docs/model.md section 7 says what is identified from which
columns, and what is not).

Every estimator takes the canonical tables of ``simsales.history.formats`` (activities and
roster, dates as datetimes) and returns ``Estimate`` rows keyed by the scenario's dotted
key. Leads still open and people still employed at the end are censored, not dropped: a
lead's touches count while it is open, a rep's months on post count until they leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from simsales.scenario.sections.horizon import WEEKDAYS

GRADES = ("A", "B", "C", "D")
TOUCHES = ("call", "first_visit", "followup")
CLOSES = ("signed", "lost")
CONFIDENCE = 0.95
RESOLVE_DAYS = 90  # F2 counts leads entered at least 3 months before the end (as the model)
# assumption: records this close to the end may not have been called yet (a call follows
# a record within days, F1): left out.
GUARD_DAYS = 7
# assumption: a lead untouched this long before the history ends is no longer worked (the
# slowest cadence is a week, F11's weekly touch): it was dropped at its last touch (lost),
# not open (censored).
ABANDONED_DAYS = 60
# Working days: Monday-Saturday (F42: one day off a week) unless the base has a calendar.
SIX_DAY_WEEK = "1111110"


@dataclass(frozen=True)
class Estimate:
    """One fitted value: the scenario key it sets, the estimate and its 95% CI, the
    records it rests on and how it was read."""

    key: str
    value: float
    low: float
    high: float
    n: int
    how: str


@dataclass
class Curves:
    """What the fit report draws against the fitted values: the touch-of-close shares,
    the quit survival by months on post, the deal values."""

    close_shares: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tenure_months: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per rep
    quit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per rep
    entry_months: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per rep: on post
    #                                 this long when the history starts (left truncation)
    deal_values: np.ndarray = field(default_factory=lambda: np.zeros(0))


def proportion(k: int, n: int) -> tuple[float, float, float]:
    """k of n, with its Clopper-Pearson 95% interval."""
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(CONFIDENCE, method="exact")
    return k / n, float(ci.low), float(ci.high)


def rate(events: int, exposure: float) -> tuple[float, float, float]:
    """Events per unit of exposure, with the exact Poisson 95% interval."""
    if exposure <= 0:
        return float("nan"), float("nan"), float("nan")
    a = (1 - CONFIDENCE) / 2
    low = stats.chi2.ppf(a, 2 * events) / 2 if events > 0 else 0.0
    high = stats.chi2.ppf(1 - a, 2 * events + 2) / 2
    return events / exposure, low / exposure, high / exposure


@dataclass(frozen=True)
class Window:
    """The history's period and how its dates count as working days."""

    first: np.datetime64
    last: np.datetime64
    weekmask: str = SIX_DAY_WEEK
    holidays: tuple[np.datetime64, ...] = ()

    def working_days(self, start, end) -> np.ndarray:
        """Working days from ``start`` up to ``end`` (excluded), elementwise."""
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        return np.busday_count(s, e, weekmask=self.weekmask, holidays=list(self.holidays))


def working_week(calendar) -> tuple[str, tuple[np.datetime64, ...]]:
    """numpy's weekmask and holidays of a scenario's ``horizon.calendar`` (F42's six-day
    week and no holidays without one)."""
    if calendar is None:
        return SIX_DAY_WEEK, ()
    mask = "".join("0" if d in calendar.days_off else "1" for d in WEEKDAYS)
    return mask, tuple(np.datetime64(d) for h in calendar.holidays for d in h.days())


def window_of(activities: pd.DataFrame, calendar=None) -> Window:
    """The history's period, its working days as in ``calendar`` (``horizon.calendar``)."""
    dates = activities["date"].to_numpy(dtype="datetime64[D]")
    return Window(dates.min(), dates.max(), *working_week(calendar))


# ------------------------------------------------------------------ the funnel
def funnel(activities: pd.DataFrame, window: Window) -> list[Estimate]:
    """Own prospects from record to entered lead (F1, F3): the share of records called,
    of calls that lead to a first visit, of first visits entered. Records of the last
    GUARD_DAYS are left out (not called yet: censored)."""
    a = activities
    kinds = a.pivot_table(index="lead_id", columns="kind", values="date", aggfunc="min")
    if "record" not in kinds:
        return []
    own = kinds[kinds["record"].notna()]
    own = own[own["record"] <= window.last - np.timedelta64(GUARD_DAYS, "D")]
    col = {k: own[k].notna() if k in own else pd.Series(False, index=own.index)
           for k in ("call", "first_visit", "entered", "signed")}  # fmt: skip
    called = col["call"]
    phone = called & col["signed"] & ~col["first_visit"]  # signed on the appointment call
    visited = called & col["first_visit"]
    entered = visited & col["entered"]
    out = []
    for key, k, n, how in (
        ("leads.interested_share_of_records", called.sum(), len(own), "records called"),
        ("leads.booked_share_of_calls", visited.sum(), (called & ~phone).sum(),
         "calls followed by a first visit (phone closes left out)"),
        ("leads.valid_share_of_first_visits", entered.sum(), visited.sum(),
         "first visits entered into the CRM"),
    ):  # fmt: skip
        value, low, high = proportion(int(k), int(n))
        out.append(Estimate(key, value, low, high, int(n), how))
    return out


def grade_mix(activities: pd.DataFrame) -> list[Estimate]:
    """Shares of entered own and HQ leads by grade (F6); referrals are left out (a
    customer's referral comes as an A)."""
    entered = _entered(activities)
    entered = entered[entered["source"].isin(["own", "hq"]) & entered["grade"].isin(GRADES)]
    n = len(entered)
    counts = entered["grade"].value_counts()
    out = []
    for g in GRADES:
        value, low, high = proportion(int(counts.get(g, 0)), n)
        out.append(Estimate(f"leads.grade_mix.{g}", value, low, high, n,
                            "share of entered own and HQ leads"))  # fmt: skip
    return out


def _entered(activities: pd.DataFrame) -> pd.DataFrame:
    """One row per entered lead: its entry date, grade and source (first given)."""
    rows = activities[activities["kind"] == "entered"].drop_duplicates("lead_id")
    cols = ["lead_id", "date", "rep_id"] + [c for c in ("grade", "source") if c in rows]
    out = rows[cols].rename(columns={"date": "entered"})
    for c in ("grade", "source"):
        if c not in out:
            out[c] = None
    return out


# ------------------------------------------------------------- lead outcomes
def lead_outcomes(activities: pd.DataFrame) -> pd.DataFrame:
    """Per entered own or HQ lead: entry date, grade, rep, the touch index it closed at
    (0 = the call, 1 = the first visit, k + 1 = the k-th follow-up) and how (signed,
    lost, or open: censored after ``last_touch``), and the closing rep and date. A lead
    without a close but untouched for ABANDONED_DAYS before the history ends counts as
    lost at its last touch (dropped, as the model drops a lead after its last follow-up)."""
    entered = _entered(activities)
    entered = entered[entered["source"].isin(["own", "hq"])]
    a = activities[activities["lead_id"].isin(entered["lead_id"])]
    touches = _indexed_touches(a)
    last = touches.groupby("lead_id")["index"].max()
    closes = a[a["kind"].isin(CLOSES)].drop_duplicates("lead_id").set_index("lead_id")
    out = entered.set_index("lead_id")
    out["last_touch"] = last.reindex(out.index).fillna(0).astype(int)
    out["outcome"] = closes["kind"].reindex(out.index).fillna("open")
    out["closed"] = closes["date"].reindex(out.index)
    out["closer"] = closes["rep_id"].reindex(out.index)
    touched = touches.groupby("lead_id")["date"].max().reindex(out.index)
    touched = touched.fillna(out["entered"])
    end = a["date"].max() if len(a) else pd.NaT
    dropped = (out["outcome"] == "open") & (touched < end - pd.Timedelta(days=ABANDONED_DAYS))
    out.loc[dropped, "outcome"] = "lost"
    out.loc[dropped, "closed"] = touched[dropped]
    last_rep = touches.groupby("lead_id")["rep_id"].last().reindex(out.index)
    out.loc[dropped, "closer"] = last_rep[dropped]
    return out.reset_index()


def _indexed_touches(activities: pd.DataFrame) -> pd.DataFrame:
    """The touch rows of ``activities`` in each lead's order, with their touch index: a
    lead's first call is touch 0 (an own prospect's appointment call, an HQ lead's first
    call), later calls are not touches of their own, then the first visit, follow-ups."""
    touches = activities[activities["kind"].isin(TOUCHES)]
    rank = touches["kind"].map({"call": 0, "first_visit": 1, "followup": 2})
    touches = touches.assign(rank=rank).sort_values(["lead_id", "date", "rank"], kind="stable")
    first_call = (touches["kind"] == "call") & ~touches.duplicated(["lead_id", "kind"])
    touches = touches[(touches["kind"] != "call") | first_call].copy()
    touches["index"] = touches.groupby("lead_id").cumcount()
    return touches


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def touch_of_close(outcomes: pd.DataFrame, n_touches: int) -> Arrays:
    """Discrete-time competing risks over touches: (signed, lost, at risk) per touch
    index (the last holds all later ones) and the cumulative incidence of signing at each
    touch (Aalen-Johansen: open leads count as at risk up to their last touch)."""
    k = np.minimum(outcomes["last_touch"].to_numpy(), n_touches - 1)
    outcome = outcomes["outcome"].to_numpy()
    signed = np.bincount(k[outcome == "signed"], minlength=n_touches)
    lost = np.bincount(k[outcome == "lost"], minlength=n_touches)
    reached = np.bincount(k, minlength=n_touches)[::-1].cumsum()[::-1]  # last touch >= j
    with np.errstate(invalid="ignore", divide="ignore"):
        h_sign = np.where(reached > 0, signed / reached, 0.0)
        h_lose = np.where(reached > 0, lost / reached, 0.0)
    survive = np.concatenate(([1.0], np.cumprod(1.0 - h_sign - h_lose)[:-1]))
    return signed, lost, reached, survive * h_sign


def sign_odds(
    outcomes: pd.DataFrame, window: Window, n_touches: int
) -> tuple[list[Estimate], np.ndarray]:
    """The realised sign rate of entered leads (F2, on leads entered at least RESOLVE_DAYS
    before the end, as the model measures it), by grade; the touch-of-close shares (F7)
    and the loss share per follow-up, from the competing risks over touches; the last
    touch (max_followups)."""
    out = []
    resolved = outcomes[outcomes["entered"] <= window.last - np.timedelta64(RESOLVE_DAYS, "D")]
    value, low, high = proportion(int((resolved["outcome"] == "signed").sum()), len(resolved))
    out.append(Estimate("f2", value, low, high, len(resolved),
                        "entered leads signed (entered 3+ months before the end)"))  # fmt: skip
    for g in GRADES:
        mine = resolved[resolved["grade"] == g]
        value, low, high = proportion(int((mine["outcome"] == "signed").sum()), len(mine))
        out.append(Estimate(f"leads.grade_sign_weight.{g}", value, low, high, len(mine),
                            f"grade {g} entered leads signed (relative chances)"))  # fmt: skip
    signed, lost, reached, incidence = touch_of_close(outcomes, n_touches)
    total = incidence.sum()
    n_signed = int(signed.sum())
    for j in range(n_touches):
        share = incidence[j] / total if total > 0 else float("nan")
        _, low, high = proportion(int(signed[j]), n_signed)
        out.append(Estimate(f"leads.signing_touch_shares.{j}", share, low, high, n_signed,
                            "share of signings at this touch (censoring-adjusted)"))  # fmt: skip
    # Non-buyers still open at a follow-up say no with the loss share: the at-risk less
    # those who will sign later; the last touch (where the unsigned are dropped) left out.
    later_signers = signed[::-1].cumsum()[::-1]
    span = slice(2, n_touches - 1)
    losses = int(lost[span].sum())
    open_nonbuyers = float((reached[span] - later_signers[span]).sum())
    at_risk = int(round(open_nonbuyers))
    value, low, high = proportion(losses, at_risk)
    out.append(Estimate("leads.loss_share_per_followup", value, low, high, at_risk,
                        "non-buyers saying no at a follow-up"))  # fmt: skip
    return out, incidence


def cadence(activities: pd.DataFrame, window: Window) -> list[Estimate]:
    """Working days between a lead's consecutive touches from the first visit on, by
    grade: the median, with its distribution-free 95% interval (order statistics)."""
    a = activities[activities["kind"].isin(("first_visit", "followup"))]
    grades = _entered(activities).set_index("lead_id")["grade"]
    a = a.assign(grade=a["lead_id"].map(grades)).sort_values(["lead_id", "date"], kind="stable")
    prev = a.groupby("lead_id")["date"].shift()
    ok = prev.notna()
    gaps = pd.Series(window.working_days(prev[ok], a.loc[ok, "date"]), index=a.index[ok])
    out = []
    for g in GRADES:
        mine = np.sort(gaps[a.loc[ok, "grade"] == g].to_numpy())
        n = mine.size
        if n < 10:
            continue
        lo_i, hi_i = stats.binom.ppf([0.025, 0.975], n, 0.5).astype(int)
        out.append(Estimate(f"leads.followup_cadence_days.{g}", float(np.median(mine)),
                            float(mine[max(lo_i - 1, 0)]), float(mine[min(hi_i, n - 1)]), n,
                            "median working days between touches"))  # fmt: skip
    return out


def lead_rates(activities: pd.DataFrame, roster: pd.DataFrame, window: Window) -> list[Estimate]:
    """HQ leads (F10) per rep per working day on post."""
    hq = int((_entered(activities)["source"] == "hq").sum())
    days = rep_days_on_post(roster, window)
    value, low, high = rate(hq, days)
    return [Estimate("leads.hq_leads_per_rep_day", value, low, high, hq,
                     "HQ leads per rep-day on post")]  # fmt: skip


def rep_days_on_post(roster: pd.DataFrame, window: Window) -> float:
    """Working days reps were on post within the history's period."""
    reps = roster[(roster["role"] == "rep") & roster["on_post_date"].notna()]
    start = np.maximum(reps["on_post_date"].to_numpy("datetime64[D]"), window.first)
    leave = reps["leave_date"].fillna(pd.Timestamp(window.last)).to_numpy("datetime64[D]")
    end = np.minimum(leave, window.last) + np.timedelta64(1, "D")
    return float(np.clip(window.working_days(start, end), 0, None).sum())


def deal_values(activities: pd.DataFrame) -> tuple[list[Estimate], np.ndarray]:
    """Mean deal value (t interval) and its coefficient of variation, read as a lognormal's
    (the chi-square interval of the variance of log values)."""
    values = activities.loc[activities["kind"] == "signed", "deal_value"].dropna().to_numpy()
    values = values[values > 0]
    n = values.size
    if n < 3:
        return [], values
    mean = values.mean()
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n)
    s2 = np.log(values).var(ddof=1)
    lo_s2, hi_s2 = (n - 1) * s2 / stats.chi2.ppf([0.975, 0.025], n - 1)

    def cv(v: float) -> float:
        return float(np.sqrt(np.expm1(v)))

    return [
        Estimate("leads.deal_value_mean", mean, mean - half, mean + half, n, "mean deal value"),
        Estimate("leads.deal_value_cv", cv(s2), cv(lo_s2), cv(hi_s2), n,
                 "spread of deal values (lognormal)"),
    ], values  # fmt: skip


# --------------------------------------------------------------- people
def tenure_at(outcomes: pd.DataFrame, roster: pd.DataFrame) -> pd.Series:
    """Months (30.4 days) the closing rep had been on post when each lead closed."""
    on_post = roster.set_index("id")["on_post_date"]
    start = outcomes["closer"].map(on_post)
    return (outcomes["closed"] - start).dt.days / 30.4


def skill_spread(outcomes: pd.DataFrame, roster: pd.DataFrame) -> list[Estimate]:
    """The spread of potential (skill.potential_sigma): how much reps' sign rates differ
    beyond chance, among reps 12+ months on post with 20+ closed leads (method of moments
    for binomial rates, so a rep with few leads does not look like a star; the interval
    from the chi-square of the dispersion statistic). A lognormal of sigma s spreads rates
    by a coefficient of variation sqrt(exp(s^2) - 1)."""
    closed = outcomes[outcomes["outcome"] != "open"]
    closed = closed[tenure_at(closed, roster) >= 12]
    per = closed.groupby("closer")["outcome"].agg(n="size", k=lambda s: (s == "signed").sum())
    per = per[per["n"] >= 20]
    reps = len(per)
    if reps < 5:
        return []
    n, k = per["n"].to_numpy(float), per["k"].to_numpy(float)
    p = k.sum() / n.sum()
    x2 = float((((k - n * p) ** 2) / (n * p * (1 - p))).sum())
    scale = n.sum() - (n**2).sum() / n.sum()

    def sigma(statistic: float) -> float:
        between = max(statistic - (reps - 1), 0.0) * p * (1 - p) / scale
        return float(np.sqrt(np.log1p(between / p**2)))

    lo_x2, hi_x2 = x2 * (reps - 1) / stats.chi2.ppf([0.975, 0.025], reps - 1)
    how = f"spread of sign rates over {reps} experienced reps"
    return [Estimate("skill.potential_sigma", sigma(x2), sigma(lo_x2), sigma(hi_x2),
                     int(n.sum()), how)]  # fmt: skip


def touch_rows(activities: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Every touch of an entered own or HQ lead: its rep, date, touch index, the lead's
    grade, and whether the lead signed at it."""
    touches = _indexed_touches(activities[activities["lead_id"].isin(outcomes["lead_id"])])
    info = outcomes.set_index("lead_id")
    touches["grade"] = touches["lead_id"].map(info["grade"])
    last = touches["lead_id"].map(info["last_touch"])
    touches["signed"] = (touches["lead_id"].map(info["outcome"]) == "signed") & (
        touches["index"] == last
    )
    return touches


def ramp(touches: pd.DataFrame, roster: pd.DataFrame) -> list[Estimate]:
    """How new reps sign against experienced ones at the same touches: the signings of
    reps in their first 3 months on post over those expected at the team's sign chance of
    each touch index and grade (indirect standardisation), against the same for reps 12+
    months on post; the interval from the exact Poisson limits of the new reps' count.
    The model's skill.new_hire_fraction is read through the model from this ratio
    (``fit``): skill grows in those 3 months."""
    on_post = roster.set_index("id")["on_post_date"]
    months = (touches["date"] - touches["rep_id"].map(on_post)).dt.days / 30.4
    chance = touches.groupby(["index", "grade"])["signed"].transform("mean")
    new, old = months < 3, months >= 12
    k_new, e_new = int(touches.loc[new, "signed"].sum()), float(chance[new].sum())
    k_old, e_old = int(touches.loc[old, "signed"].sum()), float(chance[old].sum())
    if min(k_new, k_old) == 0:
        return []
    ratio, low, high = rate(k_new, e_new)
    scale = e_old / k_old
    return [Estimate("ramp", ratio * scale, low * scale, high * scale, k_new,
                     "new reps' signings over expected, against experienced reps'")]  # fmt: skip


def training(roster: pd.DataFrame, window: Window, training_days: int,
             trial_days: int) -> list[Estimate]:  # fmt: skip
    """Washouts (F21) among hires whose training should have ended, and trial passes
    (F22) among those whose trial should have ended: both within the history."""
    hires = roster[(roster["role"] == "rep") & (roster["class"].fillna(0) > 0)]
    hires = hires[hires["hire_date"] >= pd.Timestamp(window.first)]
    days = pd.Series(window.working_days(hires["hire_date"], np.full(len(hires), window.last)),
                     index=hires.index)  # fmt: skip
    trained = hires[days >= training_days]
    washed = int((trained["leave_reason"] == "washed_out").sum())
    out = []
    value, low, high = proportion(washed, len(trained))
    out.append(Estimate("workforce.training.washout_share", value, low, high, len(trained),
                        "hires washed out in training"))  # fmt: skip
    reached = trained[(trained["leave_reason"] != "washed_out")
                      & (days[trained.index] >= training_days + trial_days)]  # fmt: skip
    passed = int(reached["on_post_date"].notna().sum())
    failed = int((reached["leave_reason"] == "failed_trial").sum())
    value, low, high = proportion(passed, passed + failed)
    out.append(Estimate("workforce.training.trial_pass_share", value, low, high,
                        passed + failed, "trials passed"))  # fmt: skip
    return out


def quits(roster: pd.DataFrame, window: Window, years: int) -> tuple[list[Estimate], Curves]:
    """Monthly quit hazard by year on post (a piecewise-constant hazard: quits over months
    on post in each year; other leavers and those still there are censored), with the
    exact Poisson interval; the last year holds after."""
    reps = roster[(roster["role"] == "rep") & roster["on_post_date"].notna()].copy()
    last = pd.Timestamp(window.last)  # the roster may run on: everyone is censored here
    end = reps["leave_date"].fillna(last).where(lambda d: d <= last, last)
    months = ((end - reps["on_post_date"]).dt.days / 30.4).clip(lower=0).to_numpy()
    quit = ((reps["leave_reason"] == "quit") & (reps["leave_date"] <= last)).to_numpy()
    # History before window.first is left truncated: exposure counts from then on.
    entry = (pd.Timestamp(window.first) - reps["on_post_date"]).dt.days / 30.4
    entry = entry.clip(lower=0).to_numpy()
    out = []
    for y in range(years):
        low_edge, high_edge = 12 * y, (12 * (y + 1) if y < years - 1 else np.inf)
        exposure = np.clip(np.minimum(months, high_edge) - np.maximum(entry, low_edge), 0, None)
        events = int((quit & (months >= low_edge) & (months < high_edge)
                      & (months >= entry)).sum())  # fmt: skip
        value, lo, hi = rate(events, float(exposure.sum()))
        out.append(Estimate(f"workforce.attrition.quit_hazard_by_year.{y}", value, lo, hi,
                            events, f"quits per rep-month on post in year {y + 1}"))  # fmt: skip
    return out, Curves(tenure_months=months, quit=quit, entry_months=entry)

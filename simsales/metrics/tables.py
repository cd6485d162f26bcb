"""The ledger of one replication turned into tidy columns: the result tables.

``tables`` builds every table but ``cohorts`` (``metrics.cohorts.class_columns``) from
the model's ledger (``model.ledger``), its team and workforce, for the reported months
only (1 = the first month after the warm-up). docs/model.md, section 4, says what every
column means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simsales.model.customers import BOOK_COLUMNS, RENEWAL_REVENUE
from simsales.model.ledger import (
    COHORT,
    MARKET,
    REP_COUNTERS,
    REVENUE,
    T_REVENUE,
    T_SIGNINGS,
    TEAM_COUNTERS,
    TERRITORY_COUNTERS,
    WORKFORCE_COUNTERS,
    Ledger,
)
from simsales.model.pipeline import SOURCES
from simsales.model.team import DISMISSED, QUIT, ROLES, STATUS, Team

if TYPE_CHECKING:
    from simsales.model.customers import Book
    from simsales.model.payroll import Payroll
    from simsales.model.workforce import Workforce

PAY_COLUMNS = {
    "base_pay": "base",
    "commission": "commission",  # paid this month (F37: may be last month's)
    "commission_earned": "earned",
    "renewal_commission": "renewal_earned",  # earned on existing customers' fees (F8)
    "bonus": "bonus",
    "team_bonus": "team_bonus",  # F37: quarterly, for groups past the threshold
    "soft_target_pay": "soft_target",  # F33: pay C for prospect records
    "fines": "fines",
    "draw": "draw",  # advanced on commission short of the draw (pay.draw)
    "draw_recovered": "draw_recovered",  # taken back from commission (recoverable draw)
    "clawback": "clawback",  # taken back from commission for customers who churned early
    "guarantee": "guarantee",  # top-up to a new rep's pay floor (pay.guarantee)
    "pay": "total",  # base + commission + bonus + team bonus + soft target - fines + draw
    #                  - draw recovered - clawback + guarantee
}
MONTH_END_DAYS = 6  # a month's last working week (F42), for the F13 month-end measure
Columns = dict[str, dict[str, np.ndarray]]  # table name -> column name -> values


def _period_to_date(ledger: Ledger, pay: Payroll) -> tuple[np.ndarray, np.ndarray]:
    """[month, rep] revenue and quota from the start of the quota period (F41) to the
    month's end; the quota is NaN for a rep not on post at the month's end."""
    revenue = ledger.rep_counts[:, REVENUE, :]
    quota = np.nan_to_num(pay.quota)
    out_r, out_q = np.zeros_like(revenue), np.zeros_like(quota)
    for m in range(revenue.shape[0]):
        first = max(pay.period_bounds(m, int(pay.quota_months_at[m]))[0], 0)
        out_r[m] = revenue[first : m + 1].sum(axis=0)
        out_q[m] = quota[first : m + 1].sum(axis=0)
    out_q[np.isnan(pay.quota)] = np.nan
    return out_r, out_q


def _booked_last_week(ledger: Ledger) -> np.ndarray:
    """Deals booked in each month's last MONTH_END_DAYS working days (F13)."""
    _, day = ledger.signings()
    cal = ledger.cal
    month = cal.months_of(day)
    inside = (month >= 0) & (month < cal.total_months)
    day, month = day[inside], month[inside]
    starts = cal.starts
    lengths = np.diff(starts)
    late = day >= starts[month + 1] - np.minimum(MONTH_END_DAYS, lengths[month])
    return np.bincount(month[late], minlength=cal.total_months)[: cal.total_months]


def _territory_columns(ledger: Ledger, month_no: np.ndarray) -> dict[str, np.ndarray]:
    """territory_month: one row per reported month and territory that exists then:
    it has firms or reps (a re-split can give all of an empty territory's firms away
    before a rep goes on post there)."""
    w = ledger.cal.warmup_months
    market, terr = ledger.market[w:], ledger.terr[w:]
    exists = (market[:, MARKET.index("firms")] > 0) | (market[:, MARKET.index("reps")] > 0)
    m_idx, t_idx = np.nonzero(exists)
    col = {name: market[m_idx, i, t_idx] for i, name in enumerate(MARKET)}
    names = np.asarray(ledger.territory_names, dtype=object)
    out: dict[str, np.ndarray] = {"month": month_no[m_idx], "territory": names[t_idx]}
    out["firms"] = col["firms"]
    for name in ("available", "untouched", "cooling", "in_pipeline", "customers"):
        out[f"firms_{name}"] = col[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["penetration"] = np.where(col["firms"] > 0, col["customers"] / col["firms"], 0.0)
    out["pool_size"] = col["pool"]
    for i, name in enumerate(TERRITORY_COUNTERS):
        if name not in ("signings", "revenue"):
            out[name] = terr[m_idx, i, t_idx]
    out["reps"] = col["reps"]
    out["signings"] = terr[m_idx, T_SIGNINGS, t_idx]
    out["revenue"] = terr[m_idx, T_REVENUE, t_idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["opportunity_per_rep"] = np.where(
            col["reps"] > 0, col["available"] / col["reps"], np.nan
        )
    return out


# The columns of team_month, in order (model card 4.1): what ``--by-month`` may name.
# With horizon.start, ``date`` (YYYY-MM) and ``working_days`` follow ``month``; with
# shocks, ``shocks`` follows ``policy``.
OPTIONAL = ("date", "working_days", "shocks")
TEAM_MONTH_COLUMNS = (
    "month",
    "policy",
    *(f"reps_{name}" for name in STATUS[:3]),
    "reps_on_post_under_3_months",
    "reps_on_post_3_to_12_months",
    "reps_on_post_12_months_plus",
    *(f"{name}s_on_post" for name in ROLES[1:]),
    *WORKFORCE_COUNTERS[:-1],
    "first_year_at_risk",
    "first_year_leavers",
    "hiring_cost",
    "training_cost",
    "supervisor_hiring_cost",
    "supervisor_groups",
    "vacant_groups",
    "quota",
    "reps_at_quota",
    "reps_with_quota",
    "quota_period_end",
    *("payroll" if name == "pay" else name for name in PAY_COLUMNS if name != "commission_earned"),
    "rebalancing_cost",
    "supervisor_pay",
    "managers",
    "manager_pay",
    "cost_of_sales",
    *REP_COUNTERS,
    *TEAM_COUNTERS,
    "margin",
    "open_leads",
    "pool_size",
    *(f"firms_{name}" for name in MARKET[1:6]),
    "opportunity_per_rep_cv",
    "signings_last_week",
    *BOOK_COLUMNS,
)


def _first_year(team: Team, cal, frozen_until: int) -> tuple[np.ndarray, np.ndarray]:
    """Per reported month: the reps in their first 12 months on post whom the close
    before the month could let go (quit or dismissal), and those of them who left on the
    month's first day. The ratio of the sums is the first-year leaving chance per month
    (``first_year_attrition``). A roster's frozen warm-up decides no leavers: none at risk."""
    n = team.n
    on_post, leave = team.on_post_day[:n], team.leave_day[:n]
    left = np.isin(team.leave_reason[:n], (QUIT, DISMISSED))
    first_year = 12 * cal.days_per_month
    months = range(cal.warmup_months, cal.total_months)
    at_risk, leavers = np.zeros(len(months), np.int64), np.zeros(len(months), np.int64)
    for i, m in enumerate(months):
        if m - 1 < frozen_until:
            continue
        close = cal.starts[m]  # leavers decided at the close go this day
        risk = (on_post < close) & (leave >= close) & (close - on_post < first_year)
        at_risk[i] = np.count_nonzero(risk)
        leavers[i] = np.count_nonzero(risk & left & (leave == close))
    return at_risk, leavers


def slot_sum(values: np.ndarray) -> np.ndarray:
    """Sum over rep (or territory) slots, the last axis, NaN counted as 0, added in slot
    order. Slots a run reserves but has not filled add exactly nothing, so the sum does
    not depend on how many slots were reserved (numpy's pairwise sum would, in its last
    bits): a dated change that reserves more leaves the months before it identical."""
    return np.cumsum(np.nan_to_num(values), axis=-1)[..., -1]


def _opportunity_cv(ledger: Ledger) -> np.ndarray:
    """Per month: coefficient of variation over the reps on post of their territory's
    available firms per rep on post (0 when all reps have the same, NaN with no rep)."""
    reps = ledger.market[:, MARKET.index("reps")]
    available = ledger.market[:, MARKET.index("available")]
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rep = np.where(reps > 0, available / reps, 0.0)
        mean = slot_sum(reps * per_rep) / reps.sum(axis=1)
        var = slot_sum(reps * (per_rep - mean[:, None]) ** 2) / reps.sum(axis=1)
        return np.where(mean > 0, np.sqrt(var) / mean, np.where(np.isnan(mean), np.nan, 0.0))


def tables(
    ledger: Ledger,
    team: Team,
    workforce: Workforce,
    book: Book,
    labels: list[str],
    shocks: list[str] | None = None,
) -> Columns:
    """Tidy columns of every table but ``cohorts``, reported months only (1 = first
    month after the warm-up). ``labels`` name the policies in force (dated changes), by
    ``ledger.phase``; ``shocks``, with a scenario's shocks, say those of each month
    index ("" for none)."""
    cal = ledger.cal
    w, dpm = cal.warmup_months, cal.days_per_month
    months = np.arange(w, cal.total_months)
    month_no = months - w + 1
    status = ledger.status[w:]
    # rep_month rows: month-major, then rep; a rep has rows for the months it was on
    # the team for at least a day (hired, not yet gone at the month's start).
    starts, ends = cal.starts[w:-1], cal.starts[w + 1 :]
    present = (team.hired_day[None, :] < ends[:, None]) & (
        team.leave_day[None, :] > starts[:, None]
    )
    m_idx, r_idx = np.nonzero(present)
    names = np.asarray(workforce.territory_names, dtype=object)
    pay = workforce.payroll
    rep_month: dict[str, np.ndarray] = {
        "month": month_no[m_idx],
        "rep": r_idx,
        "class": team.klass[r_idx],
        "role": np.asarray(ROLES, dtype=object)[team.role[r_idx]],
        "group": ledger.group[w:][m_idx, r_idx],
        "territory": names[ledger.territory[w:][m_idx, r_idx]],
        "status": np.asarray(STATUS, dtype=object)[status[m_idx, r_idx]],
        "tenure_months": ledger.tenure_days[w:][m_idx, r_idx] / dpm,
        "skill": ledger.skill[w:][m_idx, r_idx],
        "quota": pay.quota[w:][m_idx, r_idx],
        "open_leads": ledger.open_leads[w:][m_idx, r_idx],
        "max_day_minutes": ledger.max_day_minutes[w:][m_idx, r_idx],
    }
    counts = ledger.rep_counts[w:]
    for i, name in enumerate(REP_COUNTERS):
        rep_month[name] = counts[m_idx, i, r_idx]
    period_revenue, period_quota = _period_to_date(ledger, pay)
    with np.errstate(invalid="ignore", divide="ignore"):
        # No quota (a prospector's or account manager's, roles): no attainment.
        quota = rep_month["quota"]
        rep_month["attainment"] = np.where(quota == 0, np.nan, rep_month["revenue"] / quota)
        period = np.where(period_quota == 0, np.nan, period_revenue / period_quota)
        rep_month["period_attainment"] = period[w:][m_idx, r_idx]
    for name, part in PAY_COLUMNS.items():
        rep_month[name] = getattr(pay, part)[w:][m_idx, r_idx]
    rep_month["commission_tier"] = pay.tier_used[w:][m_idx, r_idx]
    rep_month["renewal_revenue"] = book.rep_revenue[w:][m_idx, r_idx]
    rep_month["accounts"] = book.rep_accounts[w:][m_idx, r_idx]

    tenure = ledger.tenure_days[w:] / dpm
    phase = ledger.phase[w:]
    team_month: dict[str, np.ndarray] = {"month": month_no}
    if cal.labels:  # horizon.start: the calendar month of each reported month
        team_month["date"] = np.asarray(cal.labels[w:], dtype=object)
        team_month["working_days"] = np.diff(cal.starts)[w:]
    team_month["policy"] = np.asarray(labels, dtype=object)[phase]
    if shocks is not None:  # the scenario's shocks: what happened in each month
        team_month["shocks"] = np.asarray(shocks, dtype=object)[w:]
    for code, name in enumerate(STATUS[:3]):
        team_month[f"reps_{name}"] = (status == code).sum(axis=1)
    team_month["reps_on_post_under_3_months"] = (tenure < 3).sum(axis=1)
    team_month["reps_on_post_3_to_12_months"] = ((tenure >= 3) & (tenure < 12)).sum(axis=1)
    team_month["reps_on_post_12_months_plus"] = (tenure >= 12).sum(axis=1)
    on_post = status == STATUS.index("on_post")
    for code, name in enumerate(ROLES[1:], start=1):
        team_month[f"{name}s_on_post"] = (on_post & (team.role == code)[None, :]).sum(axis=1)
    for i, name in enumerate(WORKFORCE_COUNTERS[:-1]):
        team_month[name] = workforce.counts[w:, i]
    team_month["first_year_at_risk"], team_month["first_year_leavers"] = _first_year(
        team, cal, workforce.frozen_until
    )
    hiring_cost, training_cost, supervisor_cost = workforce.costs()
    team_month["hiring_cost"] = hiring_cost[w:]
    team_month["training_cost"] = training_cost[w:]
    team_month["supervisor_hiring_cost"] = supervisor_cost[w:]
    team_month["supervisor_groups"] = workforce.groups[w:]
    team_month["vacant_groups"] = workforce.vacant_groups[w:]
    quota = pay.quota[w:]  # NaN for reps not on post at the month's end
    team_month["quota"] = slot_sum(quota)
    with np.errstate(invalid="ignore"):  # on the quota period so far (F41)
        at_quota = period_revenue[w:] >= period_quota[w:]
    # Roles: prospectors and account managers carry no quota (model card 1.18).
    with_quota = ~np.isnan(quota) & team.closes()[None, :]
    team_month["reps_at_quota"] = (at_quota & with_quota).sum(axis=1)
    team_month["reps_with_quota"] = with_quota.sum(axis=1)
    q_months = pay.quota_months_at
    team_month["quota_period_end"] = np.array(
        [pay.period_bounds(m, int(q_months[m]))[1] == m for m in months.tolist()], dtype=bool
    )
    for name, part in PAY_COLUMNS.items():
        if name != "commission_earned":
            total = slot_sum(getattr(pay, part)[w:])
            team_month["payroll" if name == "pay" else name] = total
    team_month["rebalancing_cost"] = ledger.rebalancing_cost[w:]
    # Supervisors' pay (supervisor.pay): each filled group's base and its override on its
    # revenue; managers' pay (workforce.managers, F14).
    base, override = workforce.supervisor_pay[w:].T
    supervised = ~workforce.unsupervised[w:]
    revenue = slot_sum(np.where(supervised, counts[:, REP_COUNTERS.index("revenue"), :], 0.0))
    supervisors = workforce.groups[w:] - workforce.vacant_groups[w:]
    team_month["supervisor_pay"] = supervisors * base + override * revenue
    team_month["managers"] = workforce.managers()[w:]
    team_month["manager_pay"] = team_month["managers"] * workforce.manager_rates[w:, 1]
    team_month["cost_of_sales"] = (
        team_month["payroll"]
        + hiring_cost[w:]
        + training_cost[w:]
        + supervisor_cost[w:]
        + team_month["rebalancing_cost"]
        + team_month["supervisor_pay"]
        + team_month["manager_pay"]
    )
    for i, name in enumerate(REP_COUNTERS):
        team_month[name] = slot_sum(counts[:, i, :])
    for i, name in enumerate(TEAM_COUNTERS):
        team_month[name] = ledger.team[w:, i]
    team_month["leads_lost"] = team_month["leads_lost"] + team_month["pool_expired"]
    renewal_revenue = book.month[w:, RENEWAL_REVENUE]
    team_month["margin"] = team_month["revenue"] + renewal_revenue - team_month["cost_of_sales"]
    team_month["open_leads"] = ledger.open_leads[w:].sum(axis=1) + ledger.pool_size[w:]
    team_month["pool_size"] = ledger.pool_size[w:]
    for name in MARKET[1:6]:
        team_month[f"firms_{name}"] = ledger.market[w:, MARKET.index(name)].sum(axis=1)
    territory_month = _territory_columns(ledger, month_no)
    team_month["opportunity_per_rep_cv"] = _opportunity_cv(ledger)[w:]

    by_touch = ledger.signings_by_touch[w:].sum(axis=0)
    funnel = {"touch": np.arange(len(by_touch)), "signings": by_touch}

    n_src = len(SOURCES)
    lead_cohorts: dict[str, np.ndarray] = {
        "entry_month": np.repeat(month_no, n_src),
        "source": np.tile(np.asarray(SOURCES, dtype=object), len(months)),
    }
    for i, name in enumerate(COHORT):
        lead_cohorts[name] = ledger.cohort[i, w:].ravel()
    team_month["signings_last_week"] = _booked_last_week(ledger)[w:]
    for i, name in enumerate(BOOK_COLUMNS):
        team_month[name] = book.month[w:, i]
    if tuple(c for c in team_month if c not in OPTIONAL) != TEAM_MONTH_COLUMNS:  # as declared
        raise AssertionError(f"team_month columns {list(team_month)} != TEAM_MONTH_COLUMNS")
    return {
        "team_month": team_month,
        "territory_month": territory_month,
        "rep_month": rep_month,
        "funnel": funnel,
        "lead_cohorts": lead_cohorts,
    }

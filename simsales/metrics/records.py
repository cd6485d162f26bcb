"""Counters filled during one replication, turned into tidy columns at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.model.pipeline import SOURCES
from simsales.model.team import NOT_HIRED, STATUS, Team

if TYPE_CHECKING:
    from simsales.model.payroll import Payroll
    from simsales.model.workforce import Workforce

# Per rep and month: what each rep did and achieved (sums over the month's days).
REP_COUNTERS = (
    "prospect_records",
    "phone_appointments",
    "appointments_cancelled",
    "visits",
    "visits_short_of_norm",
    "followups",
    "joint_visits",
    "leads_created",
    "leads_entered",
    "leads_discarded",
    "leads_lost",
    "phone_closes",
    "signings",  # deals booked this month (held deals count in the month they are booked)
    "revenue",
    "deals_held",  # deals agreed this month and held into the next period
    "revenue_held",
    "deals_pulled",  # signed this month, by a rep pulling for pay, on a touch due next period
    "held_deals_booked",  # deals held last period and booked on this month's first day
    "minutes_used",
    "hq_leads",
    "referral_leads",
    "stale_to_pool",
    "pool_claims",
    "duplicated_approaches",  # prospect records that hit a firm another rep is working
)
(
    RECORDS,
    CALLS,
    CANCELLED,
    VISITS,
    VISITS_SHORT,
    FOLLOWUPS,
    JOINT,
    CREATED,
    ENTERED,
    DISCARDED,
    LOST,
    PHONE_CLOSES,
    SIGNINGS,
    REVENUE,
    HELD,
    HELD_REVENUE,
    PULLED,
    HELD_BOOKED,
    MINUTES,
    HQ,
    REFERRALS,
    STALE,
    CLAIMS,
    DUPLICATED,
) = range(len(REP_COUNTERS))
# Per month, team level (not attributable to a rep).
TEAM_COUNTERS = ("pool_expired", "reclaimed_signings", "rebalancings", "accounts_moved")
POOL_EXPIRED, RECLAIMED_SIGNINGS, REBALANCINGS, ACCOUNTS_MOVED = range(len(TEAM_COUNTERS))
# Per month and territory (the lead's or firm's territory).
TERRITORY_COUNTERS = (
    "signings",  # deals booked
    "revenue",
    "stale_to_pool",
    "pool_claims",
    "reclaimed_signings",
    "duplicated_approaches",  # prospect records that hit a firm another rep is working
)
T_SIGNINGS, T_REVENUE, T_STALE, T_CLAIMS, T_RECLAIMED, T_DUPLICATED = range(len(TERRITORY_COUNTERS))
# Per month, team level, counted by model.workforce (team_month columns but the last).
WORKFORCE_COUNTERS = (
    "hires",  # trainees starting a class
    "washouts",  # left during training (F21)
    "failed_trial",  # left at the end of the trial post (F22)
    "went_on_post",
    "quits",
    "dismissals",
    "promotions",  # reps promoted to supervise a new group (they stop selling)
    "supervisor_hires",  # supervisors hired from outside for a new group
    "trainee_days",  # days spent in training or on trial, for the training cost
)
(
    HIRES,
    WASHOUTS,
    FAILED,
    WENT_ON_POST,
    QUITS,
    DISMISSALS,
    PROMOTIONS,
    SUPERVISOR_HIRES,
    TRAINEE_DAYS,
) = range(len(WORKFORCE_COUNTERS))
# Fields of the signing log (a row per deal): the closer, the day it was booked (HELD_OPEN
# while held), the reps of its F35 information and groundwork stages, its timing, and the
# territory of the firm.
LOG = ("rep", "day", "found_by", "worked_by", "timing", "territory")
L_REP, L_DAY, L_FOUND, L_WORKED, L_TIMING, L_TERR = range(len(LOG))
TIMING = ("on_time", "held", "pulled")
ON_TIME, HELD_DEAL, PULLED_DEAL = range(len(TIMING))
HELD_OPEN = -1  # L_DAY of a held deal not yet booked
# rep_month pay columns -> Payroll arrays (team_month sums them, "pay" as "payroll").
PAY_COLUMNS = {
    "base_pay": "base",
    "commission": "commission",  # paid this month (F37: may be last month's)
    "commission_earned": "earned",
    "bonus": "bonus",
    "fines": "fines",
    "pay": "total",  # base + commission + bonus - fines
}
COHORT = ("entered", "signed", "lost", "open")
C_ENTERED, C_SIGNED, C_LOST, C_OPEN = range(len(COHORT))
# Month-end firm counts per territory: every firm is available, cooling off, in the
# pipeline (a rep's waiting prospect, booked visit or open lead, or in the public pool)
# or a customer; "in_pipeline" is counted from the leads, so the four add up to "firms"
# only if no firm was created or lost.
MARKET = ("firms", "available", "untouched", "cooling", "in_pipeline", "customers", "pool", "reps")
MONTH_END_DAYS = 6  # a month's last working week (F42), for the F13 month-end measure
Columns = dict[str, dict[str, np.ndarray]]  # table name -> column name -> values


class Recorder:
    """Accumulates counts by rep and month, signings by touch, lead cohorts, and a log of
    every signing (rep, day) for the hiring-class KPIs.

    The running month is summed in ``acc`` (one contiguous row per counter) and
    stored by ``close_month``. Per-rep arrays have a slot for every rep the run can
    have (``Team.capacity``).
    """

    def __init__(self, cal: Calendar, n_reps: int, n_touches: int, n_territories: int):
        self.cal = cal
        m, r = cal.total_months, n_reps
        self.acc = np.zeros((len(REP_COUNTERS), r))
        self.day_max = np.zeros(r)  # busiest day of the running month [min]
        self.rep_counts = np.zeros((m, len(REP_COUNTERS), r))
        self.max_day_minutes = np.zeros((m, r))
        self.team = np.zeros((m, len(TEAM_COUNTERS)))
        self.terr = np.zeros((m, len(TERRITORY_COUNTERS), n_territories))
        self.signings_by_touch = np.zeros((m, n_touches), dtype=np.int64)
        self.cohort = np.zeros((len(COHORT), m, len(SOURCES)), dtype=np.int64)
        self.signing_log = np.zeros((1024, len(LOG)), dtype=np.int64)  # a row per deal
        self.signing_value = np.zeros(1024)  # value of each deal [yuan]
        self.log_size = np.zeros(1, dtype=np.int64)
        # Month-end snapshots.
        self.skill = np.zeros((m, r))
        self.tenure_days = np.full((m, r), np.nan)  # working days on post; NaN if not on post
        self.status = np.full((m, r), NOT_HIRED, dtype=np.int64)
        self.group = np.zeros((m, r), dtype=np.int64)  # groups and territories change
        self.territory = np.zeros((m, r), dtype=np.int64)  # when a group splits
        self.open_leads = np.zeros((m, r))
        self.pool_size = np.zeros(m)
        self.market = np.zeros((m, len(MARKET), n_territories))
        self.territory_names: list[str] = []  # set by the caller at the end of the run

    def reserve_signings(self, extra: int) -> bool:
        """Make room in the signing log for ``extra`` more; True if it was reallocated."""
        need = int(self.log_size[0]) + extra
        if need <= self.signing_log.shape[0]:
            return False
        n, size = int(self.log_size[0]), max(2 * self.signing_log.shape[0], need)
        grown = np.zeros((size, len(LOG)), dtype=np.int64)
        grown[:n] = self.signing_log[:n]
        value = np.zeros(size)
        value[:n] = self.signing_value[:n]
        self.signing_log, self.signing_value = grown, value
        return True

    def log(self) -> tuple[np.ndarray, np.ndarray]:
        """The signing log so far as views: ``[LOG field, deal]`` and the deals' values."""
        n = int(self.log_size[0])
        return self.signing_log[:n].T, self.signing_value[:n]

    def signings(self) -> tuple[np.ndarray, np.ndarray]:
        """(rep, day) of every deal booked so far (held deals from the day they are booked)."""
        log, _ = self.log()
        booked = log[L_DAY] != HELD_OPEN
        return log[L_REP, booked], log[L_DAY, booked]

    def book_in_territories(self, deals: np.ndarray, month: int) -> None:
        """Count the logged ``deals`` (held ones, booked late) in their territories' month."""
        log, value = self.log()
        np.add.at(self.terr[month, T_SIGNINGS], log[L_TERR, deals], 1)
        np.add.at(self.terr[month, T_REVENUE], log[L_TERR, deals], value[deals])

    def close_month(self, month: int) -> None:
        self.rep_counts[month] = self.acc
        self.max_day_minutes[month] = self.day_max
        self.acc[:] = 0.0
        self.day_max[:] = 0.0

    # ----------------------------------------------------------------- tables
    def _period_to_date(self, pay: Payroll) -> tuple[np.ndarray, np.ndarray]:
        """[month, rep] revenue and quota from the start of the quota period (F41) to the
        month's end; the quota is NaN for a rep not on post at the month's end."""
        revenue = self.rep_counts[:, REVENUE, :]
        quota = np.nan_to_num(pay.quota)
        out_r, out_q = np.zeros_like(revenue), np.zeros_like(quota)
        for m in range(revenue.shape[0]):
            first = max(pay.period_bounds(m, pay.quota_months)[0], 0)
            out_r[m] = revenue[first : m + 1].sum(axis=0)
            out_q[m] = quota[first : m + 1].sum(axis=0)
        out_q[np.isnan(pay.quota)] = np.nan
        return out_r, out_q

    def _booked_last_week(self) -> np.ndarray:
        """Deals booked in each month's last MONTH_END_DAYS working days (F13)."""
        _, day = self.signings()
        dpm = self.cal.days_per_month
        late = day[day % dpm >= dpm - min(MONTH_END_DAYS, dpm)]
        return np.bincount(late // dpm, minlength=self.cal.total_months)[: self.cal.total_months]

    def _territory_columns(self, month_no: np.ndarray) -> dict[str, np.ndarray]:
        """territory_month: one row per reported month and territory that exists then:
        it has firms or reps (a re-split can give all of an empty territory's firms away
        before a rep goes on post there)."""
        w = self.cal.warmup_months
        market, terr = self.market[w:], self.terr[w:]
        exists = (market[:, MARKET.index("firms")] > 0) | (market[:, MARKET.index("reps")] > 0)
        m_idx, t_idx = np.nonzero(exists)
        col = {name: market[m_idx, i, t_idx] for i, name in enumerate(MARKET)}
        names = np.asarray(self.territory_names, dtype=object)
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

    def _opportunity_cv(self) -> np.ndarray:
        """Per month: coefficient of variation over the reps on post of their territory's
        available firms per rep on post (0 when all reps have the same, NaN with no rep)."""
        reps = self.market[:, MARKET.index("reps")]
        available = self.market[:, MARKET.index("available")]
        with np.errstate(invalid="ignore", divide="ignore"):
            per_rep = np.where(reps > 0, available / reps, 0.0)
            mean = (reps * per_rep).sum(axis=1) / reps.sum(axis=1)
            var = (reps * (per_rep - mean[:, None]) ** 2).sum(axis=1) / reps.sum(axis=1)
            return np.where(mean > 0, np.sqrt(var) / mean, np.where(np.isnan(mean), np.nan, 0.0))

    def columns(self, team: Team, workforce: Workforce) -> Columns:
        """Tidy columns of every table but ``cohorts``, reported months only (1 = first
        month after the warm-up)."""
        cal = self.cal
        w, dpm = cal.warmup_months, cal.days_per_month
        months = np.arange(w, cal.total_months)
        month_no = months - w + 1
        status = self.status[w:]
        # rep_month rows: month-major, then rep; a rep has rows for the months it was on
        # the team for at least a day (hired, not yet gone at the month's start).
        starts = months * dpm
        present = (team.hired_day[None, :] < (starts + dpm)[:, None]) & (
            team.leave_day[None, :] > starts[:, None]
        )
        m_idx, r_idx = np.nonzero(present)
        names = np.asarray(workforce.territory_names, dtype=object)
        pay = workforce.payroll
        rep_month: dict[str, np.ndarray] = {
            "month": month_no[m_idx],
            "rep": r_idx,
            "class": team.klass[r_idx],
            "group": self.group[w:][m_idx, r_idx],
            "territory": names[self.territory[w:][m_idx, r_idx]],
            "status": np.asarray(STATUS, dtype=object)[status[m_idx, r_idx]],
            "tenure_months": self.tenure_days[w:][m_idx, r_idx] / dpm,
            "skill": self.skill[w:][m_idx, r_idx],
            "quota": pay.quota[w:][m_idx, r_idx],
            "open_leads": self.open_leads[w:][m_idx, r_idx],
            "max_day_minutes": self.max_day_minutes[w:][m_idx, r_idx],
        }
        counts = self.rep_counts[w:]
        for i, name in enumerate(REP_COUNTERS):
            rep_month[name] = counts[m_idx, i, r_idx]
        period_revenue, period_quota = self._period_to_date(pay)
        with np.errstate(invalid="ignore", divide="ignore"):
            rep_month["attainment"] = rep_month["revenue"] / rep_month["quota"]
            rep_month["period_attainment"] = (period_revenue / period_quota)[w:][m_idx, r_idx]
        for name, part in PAY_COLUMNS.items():
            rep_month[name] = getattr(pay, part)[w:][m_idx, r_idx]
        rep_month["commission_tier"] = pay.tier_used[w:][m_idx, r_idx]

        tenure = self.tenure_days[w:] / dpm
        team_month: dict[str, np.ndarray] = {"month": month_no}
        for code, name in enumerate(STATUS[:3]):
            team_month[f"reps_{name}"] = (status == code).sum(axis=1)
        team_month["reps_on_post_under_3_months"] = (tenure < 3).sum(axis=1)
        team_month["reps_on_post_3_to_12_months"] = ((tenure >= 3) & (tenure < 12)).sum(axis=1)
        team_month["reps_on_post_12_months_plus"] = (tenure >= 12).sum(axis=1)
        for i, name in enumerate(WORKFORCE_COUNTERS[:-1]):
            team_month[name] = workforce.counts[w:, i]
        hiring_cost, training_cost, supervisor_cost = workforce.costs()
        team_month["hiring_cost"] = hiring_cost[w:]
        team_month["training_cost"] = training_cost[w:]
        team_month["supervisor_hiring_cost"] = supervisor_cost[w:]
        team_month["supervisor_groups"] = workforce.groups[w:]
        quota = pay.quota[w:]  # NaN for reps not on post at the month's end
        team_month["quota"] = np.nansum(quota, axis=1)
        with np.errstate(invalid="ignore"):  # on the quota period so far (F41)
            at_quota = period_revenue[w:] >= period_quota[w:]
        team_month["reps_at_quota"] = (at_quota & ~np.isnan(quota)).sum(axis=1)
        q_months = pay.quota_months
        team_month["quota_period_end"] = np.array(
            [pay.period_bounds(m, q_months)[1] == m for m in months], dtype=bool
        )
        for name, part in PAY_COLUMNS.items():
            if name != "commission_earned":
                total = np.nansum(getattr(pay, part)[w:], axis=1)
                team_month["payroll" if name == "pay" else name] = total
        cost_per_account = workforce.s.market.rebalancing.cost_per_account or 0.0
        team_month["rebalancing_cost"] = self.team[w:, ACCOUNTS_MOVED] * cost_per_account
        team_month["cost_of_sales"] = (
            team_month["payroll"]
            + hiring_cost[w:]
            + training_cost[w:]
            + supervisor_cost[w:]
            + team_month["rebalancing_cost"]
        )
        for i, name in enumerate(REP_COUNTERS):
            team_month[name] = counts[:, i, :].sum(axis=1)
        for i, name in enumerate(TEAM_COUNTERS):
            team_month[name] = self.team[w:, i]
        team_month["leads_lost"] = team_month["leads_lost"] + team_month["pool_expired"]
        team_month["margin"] = team_month["revenue"] - team_month["cost_of_sales"]
        team_month["open_leads"] = self.open_leads[w:].sum(axis=1) + self.pool_size[w:]
        team_month["pool_size"] = self.pool_size[w:]
        for name in MARKET[1:6]:
            team_month[f"firms_{name}"] = self.market[w:, MARKET.index(name)].sum(axis=1)
        territory_month = self._territory_columns(month_no)
        team_month["opportunity_per_rep_cv"] = self._opportunity_cv()[w:]

        by_touch = self.signings_by_touch[w:].sum(axis=0)
        funnel = {"touch": np.arange(len(by_touch)), "signings": by_touch}

        n_src = len(SOURCES)
        lead_cohorts: dict[str, np.ndarray] = {
            "entry_month": np.repeat(month_no, n_src),
            "source": np.tile(np.asarray(SOURCES, dtype=object), len(months)),
        }
        for i, name in enumerate(COHORT):
            lead_cohorts[name] = self.cohort[i, w:].ravel()
        team_month["signings_last_week"] = self._booked_last_week()[w:]
        return {
            "team_month": team_month,
            "territory_month": territory_month,
            "rep_month": rep_month,
            "funnel": funnel,
            "lead_cohorts": lead_cohorts,
        }

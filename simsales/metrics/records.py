"""Counters filled during one replication, turned into tidy columns at the end."""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.model.pipeline import SOURCES
from simsales.model.team import STATUS, Team

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
    "signings",
    "revenue",
    "minutes_used",
    "hq_leads",
    "referral_leads",
    "stale_to_pool",
    "pool_claims",
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
    MINUTES,
    HQ,
    REFERRALS,
    STALE,
    CLAIMS,
) = range(len(REP_COUNTERS))
# Per month, team level (not attributable to a rep).
TEAM_COUNTERS = ("pool_expired", "reclaimed_signings")
POOL_EXPIRED, RECLAIMED_SIGNINGS = range(len(TEAM_COUNTERS))
COHORT = ("entered", "signed", "lost", "open")
C_ENTERED, C_SIGNED, C_LOST, C_OPEN = range(len(COHORT))
MARKET = ("available", "untouched", "cooling", "customers", "in_contact")
Columns = dict[str, dict[str, np.ndarray]]  # table name -> column name -> values


class Recorder:
    """Accumulates counts by rep and month, signings by touch, and lead cohorts.

    The running month is summed in ``acc`` (one contiguous row per counter) and
    stored by ``close_month``.
    """

    def __init__(self, cal: Calendar, n_reps: int, n_touches: int, n_territories: int):
        self.cal = cal
        m, r = cal.total_months, n_reps
        self.acc = np.zeros((len(REP_COUNTERS), r))
        self.day_max = np.zeros(r)  # busiest day of the running month [min]
        self.rep_counts = np.zeros((m, len(REP_COUNTERS), r))
        self.max_day_minutes = np.zeros((m, r))
        self.team = np.zeros((m, len(TEAM_COUNTERS)))
        self.signings_by_touch = np.zeros((m, n_touches), dtype=np.int64)
        self.cohort = np.zeros((len(COHORT), m, len(SOURCES)), dtype=np.int64)
        # Month-end snapshots.
        self.skill = np.zeros((m, r))
        self.tenure_days = np.zeros((m, r))
        self.status = np.zeros((m, r), dtype=np.int64)
        self.open_leads = np.zeros((m, r))
        self.pool_size = np.zeros(m)
        self.market = np.zeros((m, len(MARKET), n_territories))

    def close_month(self, month: int) -> None:
        self.rep_counts[month] = self.acc
        self.max_day_minutes[month] = self.day_max
        self.acc[:] = 0.0
        self.day_max[:] = 0.0

    # ----------------------------------------------------------------- tables
    def columns(self, team: Team, territory_names: list[str]) -> Columns:
        """Tidy columns of every table, reported months only (1 = first month after
        the warm-up)."""
        cal = self.cal
        w = cal.warmup_months
        months = np.arange(w, cal.total_months)
        n_m = len(months)
        month_no = months - w + 1
        n_rep = team.n
        status = self.status[w:]
        # rep_month rows: month-major, then rep.
        rep_month: dict[str, np.ndarray] = {
            "month": np.repeat(month_no, n_rep),
            "rep": np.tile(np.arange(n_rep), n_m),
            "group": np.tile(team.group, n_m),
            "territory": np.tile(np.asarray(territory_names, dtype=object)[team.territory], n_m),
            "status": np.asarray(STATUS, dtype=object)[status.ravel()],
            "tenure_months": self.tenure_days[w:].ravel() / cal.days_per_month,
            "skill": self.skill[w:].ravel(),
            "open_leads": self.open_leads[w:].ravel(),
            "max_day_minutes": self.max_day_minutes[w:].ravel(),
        }
        counts = self.rep_counts[w:]
        for i, name in enumerate(REP_COUNTERS):
            rep_month[name] = counts[:, i, :].ravel()

        team_month: dict[str, np.ndarray] = {
            "month": month_no,
            "reps_on_post": (status == STATUS.index("on_post")).sum(axis=1),
        }
        for i, name in enumerate(REP_COUNTERS):
            team_month[name] = counts[:, i, :].sum(axis=1)
        for i, name in enumerate(TEAM_COUNTERS):
            team_month[name] = self.team[w:, i]
        team_month["leads_lost"] = team_month["leads_lost"] + team_month["pool_expired"]
        team_month["open_leads"] = self.open_leads[w:].sum(axis=1) + self.pool_size[w:]
        team_month["pool_size"] = self.pool_size[w:]
        for i, name in enumerate(MARKET):
            team_month[f"firms_{name}"] = self.market[w:, i].sum(axis=1)

        by_touch = self.signings_by_touch[w:].sum(axis=0)
        funnel = {"touch": np.arange(len(by_touch)), "signings": by_touch}

        n_src = len(SOURCES)
        lead_cohorts: dict[str, np.ndarray] = {
            "entry_month": np.repeat(month_no, n_src),
            "source": np.tile(np.asarray(SOURCES, dtype=object), n_m),
        }
        for i, name in enumerate(COHORT):
            lead_cohorts[name] = self.cohort[i, w:].ravel()
        return {
            "team_month": team_month,
            "rep_month": rep_month,
            "funnel": funnel,
            "lead_cohorts": lead_cohorts,
        }

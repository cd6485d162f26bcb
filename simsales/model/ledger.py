"""The model's ledger: what one replication counts as it runs.

Counters by rep and month (and by team, territory, touch and lead cohort), month-end
snapshots of the team, market and pipeline, and a log of every deal. The model writes
here (the compiled day through ``kernel.Books``); ``metrics.tables`` turns it into the
tidy result tables at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.model.events import EVENT_FIELDS
from simsales.model.pipeline import POOL, SOURCES
from simsales.model.team import NOT_HIRED

if TYPE_CHECKING:
    from simsales.model.market import Market
    from simsales.model.pipeline import Pipeline
    from simsales.model.team import Team

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
    "leads_handed_over",  # leads a prospector entered and handed to a closer (roles)
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
    HANDED,
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
    "promotions",  # reps promoted to supervise a new or vacant group (they stop selling)
    "supervisor_hires",  # supervisors hired from outside for a new or vacant group
    "supervisor_quits",  # supervisors who quit (supervisor.turnover)
    "supervisor_demotions",  # supervisors sent back to selling by F29's review
    "group_merges",  # vacant groups merged into another group
    "refresher_sessions",  # reps on post at a refresher session (F27)
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
    SUPERVISOR_QUITS,
    SUPERVISOR_DEMOTIONS,
    GROUP_MERGES,
    REFRESHER_SESSIONS,
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
COHORT = ("entered", "signed", "lost", "open")
C_ENTERED, C_SIGNED, C_LOST, C_OPEN = range(len(COHORT))
# Month-end firm counts per territory: every firm is available, cooling off, in the
# pipeline (a rep's waiting prospect, booked visit or open lead, or in the public pool)
# or a customer; "in_pipeline" is counted from the leads, so the four add up to "firms"
# only if no firm was created or lost.
MARKET = ("firms", "available", "untouched", "cooling", "in_pipeline", "customers", "pool", "reps")


def _grown(log: np.ndarray, value: np.ndarray, n: int, extra: int):
    """``(log, value)`` with room for ``extra`` rows after the first ``n`` (at least
    doubled), or None if they have it."""
    need = n + extra
    if need <= log.shape[0]:
        return None
    size = max(2 * log.shape[0], need, 1024)
    grown = np.zeros((size, log.shape[1]), dtype=log.dtype)
    grown[:n] = log[:n]
    grown_value = np.zeros(size)
    grown_value[:n] = value[:n]
    return grown, grown_value


class Ledger:
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
        self.phase = np.zeros(m, dtype=np.int64)  # policy phase in force (dated changes)
        self.rebalancing_cost = np.zeros(m)  # cost of the accounts re-splits moved [yuan]
        self.market = np.zeros((m, len(MARKET), n_territories))
        self.territory_names: list[str] = []  # set by the caller at the end of the run
        # The event log of a history run (model.events); empty, and never written, else.
        self.events = np.zeros((0, len(EVENT_FIELDS)), dtype=np.int64)
        self.event_value = np.zeros(0)
        self.event_size = np.zeros(1, dtype=np.int64)

    def reserve_signings(self, extra: int) -> bool:
        """Make room in the signing log for ``extra`` more; True if it was reallocated."""
        grown = _grown(self.signing_log, self.signing_value, int(self.log_size[0]), extra)
        if grown is None:
            return False
        self.signing_log, self.signing_value = grown
        return True

    def reserve_events(self, extra: int) -> bool:
        """Make room in the event log for ``extra`` more; True if it was reallocated."""
        grown = _grown(self.events, self.event_value, int(self.event_size[0]), extra)
        if grown is None:
            return False
        self.events, self.event_value = grown
        return True

    def event_log(self) -> tuple[np.ndarray, np.ndarray]:
        """The event log so far: ``[event, field]`` rows and their values."""
        n = int(self.event_size[0])
        return self.events[:n], self.event_value[:n]

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

    def snapshot(self, month: int, team: Team, pipe: Pipeline, market: Market,
                 interested: np.ndarray, end_day: int) -> None:  # fmt: skip
        """The team, pipeline and market at the end of ``month`` (``end_day``: the first
        day after it)."""
        self.skill[month] = team.skill
        on_post = team.on_post()
        self.tenure_days[month] = np.where(on_post, end_day - team.on_post_day, np.nan)
        self.status[month] = team.status
        self.group[month] = team.group
        self.territory[month] = team.territory
        owned = (pipe.owner >= 0) & (pipe.entered == 1)
        self.open_leads[month] = np.bincount(pipe.owner[owned], minlength=team.capacity)
        self.pool_size[month] = np.count_nonzero(pipe.owner == POOL)
        n = market.n
        # Counted from the leads and the waiting prospects, not as what the other counts leave.
        in_pipeline = np.bincount(pipe.territory[pipe.open_mask()], minlength=n)
        in_pipeline += np.bincount(team.territory, weights=interested, minlength=n).astype(np.int64)
        pool = np.bincount(pipe.territory[pipe.owner == POOL], minlength=n)
        reps = np.bincount(team.territory[on_post], minlength=n)
        self.market[month] = (market.firms, market.available, market.untouched, market.cooling,
                              in_pipeline, market.customers, pool, reps)  # fmt: skip

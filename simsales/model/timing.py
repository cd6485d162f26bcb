"""When deals are booked: held deals, pulled deals and the month-end surge (F13, F31).

On the first day of every month, and on each day of a month-end surge or a deal-timing
window (and the day after, to reset), an event on the agenda (``Phase.DEAL_TIMING``)
sets the compiled day's ``hold``, ``pulling`` and ``due_until`` arrays before the team
works; on other days nobody holds or works ahead. In the last ``surge_days`` of every month all reps
also make the follow-ups due up to ``surge_ahead_days`` later (F13: most is closed in a
month's last days).
In the last ``decision_days`` of a period plan's period, each gaming rep compares what
the plan pays over this period and the next if one more deal of mean value is booked
now, held into the next period, or pulled from it; the rep's own recent revenue is the
forecast of the rest. A rep who gains at least ``min_gain`` holds today's signings, or
pulls (works ahead on follow-ups due up to ``pull_days`` later). A deal plan pays a
deal the same whenever it is booked, so under one nobody times deals. Held deals are
booked on the next period's first day (``release``).
"""

from __future__ import annotations

from typing import cast

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.model import ledger as rc
from simsales.model.kernel import DayState
from simsales.model.ledger import HELD_OPEN, L_DAY, L_REP, Ledger
from simsales.model.payroll import Payroll
from simsales.model.team import Team
from simsales.policies.commission import PeriodPlan
from simsales.scenario.schema import Scenario


class DealTiming:
    """Sets, day by day, which reps hold or work ahead, and books held deals."""

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        team: Team,
        rec: Ledger,
        payroll: Payroll,
        state: DayState,
        rng: np.random.Generator,
        agenda: Agenda,
    ):
        self.cal, self.team, self.rec, self.pay, self.st = cal, team, rec, payroll, state
        # Drawn for every rep slot at once, so a rep games or not whatever the hiring order
        # (and whatever gaming share a dated change sets later).
        self.gamer_draw = rng.random(team.capacity)
        self.configure(scenario)
        self.set_yesterday = True  # the day's arrays need resetting before they are set
        self.agenda = agenda
        for month in range(cal.total_months):
            agenda.at(cal.start(month), Phase.DEAL_TIMING, self.month_start)

    def configure(self, scenario: Scenario) -> None:
        """Behaviour of ``scenario`` from the next month's first day on (call after the
        pay plan is configured: gaming needs a period plan)."""
        self.b = scenario.behaviour
        self.deal_value = scenario.leads.deal_value_mean
        self.gamer = self.gamer_draw < self.b.gaming_share
        self.games = self.pay.period_plan and self.b.gaming_share > 0

    def month_start(self, day: int) -> None:
        """Book held deals and set today's arrays; put the month's surge and deal-timing
        days (and each next day, which resets the arrays) on the agenda."""
        self.start_of_day(day)
        end = self.cal.start(self.cal.month_of(day) + 1)
        for d in range(day + 1, end):
            if any(self._surge_or_deciding(d, end)) or any(self._surge_or_deciding(d - 1, end)):
                self.agenda.at(d, Phase.DEAL_TIMING, self.start_of_day)

    def _surge_or_deciding(self, day: int, month_end: int) -> tuple[bool, bool]:
        """Is ``day`` in the month-end surge (its month ends before ``month_end``); do
        gaming reps weigh timing deals on it (in the period ending on ``next_period``,
        set on the month's first day)?"""
        b = self.b
        surge = bool(b.surge_days) and day >= month_end - b.surge_days
        deciding = bool(self.games) and int(self.st.next_period[0]) - day <= b.decision_days
        return surge, deciding

    def start_of_day(self, day: int) -> None:
        """Book held deals on a period's first day; set today's hold and work-ahead."""
        st, b = self.st, self.b
        month = self.cal.month_of(day)
        if day == self.cal.start(month):
            self.release(day)
            st.next_period[0] = self.pay.plan_period_end_day(month)  # periods end with months
        next_period = int(st.next_period[0])
        surge, deciding = self._surge_or_deciding(day, self.cal.start(month + 1))
        if self.set_yesterday:
            st.hold[:] = False
            st.pulling[:] = False
            st.due_until[:] = -1
        self.set_yesterday = bool(surge or deciding)
        if not self.set_yesterday:  # most days: nobody holds or works ahead
            return
        on_post = self.team.on_post()
        if surge:
            st.due_until[on_post] = day + b.surge_ahead_days
        if deciding:
            reps = np.flatnonzero(on_post & self.gamer)
            hold, pull = self.decide(day, month, next_period, reps)
            st.hold[reps[hold]] = True
            st.pulling[reps[pull]] = True
            st.due_until[reps[pull]] = np.maximum(st.due_until[reps[pull]], day + b.pull_days)

    def release(self, day: int) -> None:
        """Held deals are booked today, the first day of the period after they were agreed."""
        log, value = self.rec.log()
        held = np.flatnonzero(log[L_DAY] == HELD_OPEN)
        if held.size == 0:
            return
        log[L_DAY, held] = day
        np.add.at(self.rec.acc[rc.SIGNINGS], log[L_REP, held], 1)
        np.add.at(self.rec.acc[rc.REVENUE], log[L_REP, held], value[held])
        np.add.at(self.rec.acc[rc.HELD_BOOKED], log[L_REP, held], 1)
        self.rec.book_in_territories(held, self.cal.month_of(day))

    def decide(
        self, day: int, month: int, next_period: int, reps: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``reps`` hold today's deals and which pull: the expected gain, over this
        period and the next, of moving one deal of mean value across the period's end.
        A rep expects a Poisson number of further deals of mean value this period and
        next, at their own recent daily revenue (the quota's pace when new)."""
        pay, rec, dpm = self.pay, self.rec, self.cal.days_per_month
        # Reps decide only when self.games, which needs a period plan (__init__).
        plan = cast(PeriodPlan, pay.plan)
        first, last = pay.period_bounds(month, plan.months)
        first = max(first, 0)
        so_far = pay.credited[first:month, reps].sum(axis=0) + rec.acc[rc.REVENUE, reps]
        full = pay.full_quota[reps]
        quota = np.nansum(pay.quota[first:month, reps], axis=0) + full * (last - month + 1)
        back = max(month - self.b.forecast_months, 0)
        days_seen = pay.on_post_share[back:month, reps].sum(axis=0) * dpm
        seen = rec.rep_counts[back:month, rc.REVENUE, reps].sum(axis=0)
        per_day = np.where(days_seen > 0, seen / np.maximum(days_seen, 1), full / dpm)
        v = self.deal_value
        # Outcomes (rep, deals still to come this period k, deals next period j).
        k, p_k = _poisson_grid(per_day * (next_period - day) / v)
        j, p_j = _poisson_grid(per_day * plan.months * dpm / v)
        weight = p_k[:, :, None] * p_j[:, None, :]
        now = (so_far[:, None] + v * k)[:, :, None]
        held = rec.acc[rc.HELD_REVENUE, reps]  # already moved to the next period
        later = (held[:, None] + v * j)[:, None, :]
        q_now = quota[:, None, None]
        q_next = (full * plan.months)[:, None, None]
        tier = pay.tier[reps][:, None, None]

        def expected(this: np.ndarray, nxt: np.ndarray) -> np.ndarray:
            after = plan.next_tier(this, q_now, tier)
            total = plan.period_commission(this, q_now, tier) + plan.period_commission(
                nxt, q_next, after
            )
            return (weight * total).sum(axis=(1, 2))

        as_is = expected(now, later)
        gain_hold = expected(np.maximum(now - v, 0.0), later + v) - as_is
        gain_pull = expected(now + v, np.maximum(later - v, 0.0)) - as_is
        least = max(self.b.min_gain, np.finfo(float).tiny)  # a gain of 0 moves nothing
        hold = (gain_hold >= least) & (gain_hold >= gain_pull)
        pull = (gain_pull >= least) & (gain_pull > gain_hold)
        return hold, pull


def _poisson_grid(mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts 0..K and each row's Poisson probabilities of them, K past the largest mean
    by 8 standard deviations and 8 (a tail below 1e-6); the last count carries the tail."""
    from scipy.special import gammaln  # a ufunc: fast, unlike scipy.stats' distributions

    top = int(np.ceil(mean.max(initial=0.0) + 8.0 * np.sqrt(mean.max(initial=0.0)) + 8.0))
    counts = np.arange(top + 1)
    lam = np.maximum(mean, 1e-300)[:, None]
    pmf = np.exp(counts * np.log(lam) - lam - gammaln(counts + 1.0))
    pmf[:, -1] += 1.0 - pmf.sum(axis=1)
    return counts[None, :], pmf

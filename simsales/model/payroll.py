"""Pay of every rep-month: base salary, commission earned and paid, bonus, fines.

Quotas are set when a month starts (``quota`` policies) and pro-rated at its close for
the days a rep was on post. At the close, the month's booked deals are credited to
reps (all to the closer, or by stage, F35), commission is earned (a deal plan per deal,
a period plan at the period's end) and paid in the month or the month after (F37),
fines are charged for visits short of the norm (F32), at each year's close the
annual-grade bonus is paid (F38), at each quarter's close the team bonus (F37), soft-target
pay is paid for prospect records (F33), commission on customers who churned early is
clawed back, a draw is advanced on commission short of it (and repaid from commission
above it if recoverable), and a new rep's pay is topped up to the guarantee of their first
months (``pay.guarantee``). The renewal commission on existing customers' fees (F8) is
earned with the plan's commission. A rep who leaves is paid in full in their last month
(commission still owed, and what a period plan earns on the period so far) unless the
scenario's leavers forfeit it (``pay.leaver_commission``).
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.rng import lognormal_parameters
from simsales.model import ledger as rc
from simsales.model.customers import Book
from simsales.model.ledger import HELD_OPEN, L_DAY, L_FOUND, L_REP, L_WORKED, Ledger
from simsales.model.team import NO_DAY, ON_POST, Team
from simsales.policies.commission import (
    GoldSilverBronze,
    PeriodPlan,
    PriceRatio,
    is_period_plan,
    make_plan,
    stage_credit,
)
from simsales.policies.quota import QuotaInputs, make_quota_policy, period_months, period_start
from simsales.scenario.schema import Scenario

PAY_PARTS = ("base", "earned", "commission", "bonus", "team_bonus", "soft_target", "fines",
             "draw", "draw_recovered", "clawback", "guarantee", "total")  # fmt: skip


def role_bases(scenario: Scenario) -> np.ndarray | None:
    """Base salary of each of ROLES where the role sets its own (NaN: pay's); None without
    roles."""
    roles = scenario.roles
    if roles is None:
        return None
    own = [None, roles.prospectors, roles.closers, roles.account_managers]
    return np.array([np.nan if r is None or r.base_per_month is None else r.base_per_month
                     for r in own])  # fmt: skip


def month_share(on_post_day: np.ndarray, end_day: int, dpm: int) -> np.ndarray:
    """Share of the month ending before ``end_day`` (``dpm`` working days) each rep was on
    post: what pro-rates quota and base salary."""
    return np.clip(end_day - np.maximum(on_post_day, end_day - dpm), 0, dpm) / dpm


class Payroll:
    """Quota and pay per [month, rep], for reps on post at the month's close (NaN for
    the others), and the state pay carries between months."""

    # The parts of PAY_PARTS per [month, rep], set in __init__ [yuan].
    base: np.ndarray
    earned: np.ndarray
    commission: np.ndarray
    bonus: np.ndarray
    team_bonus: np.ndarray  # F37: the quarterly bonus of groups past the threshold
    soft_target: np.ndarray  # F33: pay C for prospect records
    fines: np.ndarray
    draw: np.ndarray  # advanced on commission short of the draw (pay.draw)
    draw_recovered: np.ndarray  # taken back from commission to repay a recoverable draw
    clawback: np.ndarray  # taken back from commission for customers who churned early
    guarantee: np.ndarray  # top-up to the new reps' pay floor (pay.guarantee)
    total: np.ndarray

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        team: Team,
        rec: Ledger,
        rng: np.random.Generator,
        book: Book,
    ):
        self.cal, self.team, self.rec, self.rng, self.book = cal, team, rec, rng, book
        m, r = cal.total_months, team.capacity
        self.quota_months_at = np.ones(m, dtype=np.int64)  # quota period length by month
        self.configure(scenario, 0)
        for part in PAY_PARTS:
            setattr(self, part, np.full((m, r), np.nan))
        self.quota = np.full((m, r), np.nan)
        self.on_post_share = np.zeros((m, r))  # share of the month's days on post
        self.floor = np.zeros((m, r))  # least pay of the month (pay.guarantee) [yuan]
        self.credited = np.zeros((m, r))  # revenue credited for commission (F35)
        self.tier_used = np.full((m, r), np.nan)  # F31 step paid in the month
        self.owed = np.zeros(r)  # commission earned, not yet paid (F37)
        self.renewal_earned = np.full((m, r), np.nan)  # commission on renewal revenue (F8)
        self.draw_debt = np.zeros(r)  # a recoverable draw still to repay
        self.clawback_debt = np.zeros(r)  # commission clawed back, still to take
        self.group_revenue = np.zeros((m, r))  # revenue of each group (by index) per month
        self.tier = np.full(r, self._start_tier(), dtype=np.int64)
        self.full_quota = np.zeros(r)  # the running month's quota for a whole month on post
        self.month_target = np.zeros(r)  # the running month's target pay (package)
        # The starting team was paid before day 0; its first month late-paid (F37) is paid as
        # in a steady state, the month's own commission, not the nothing earned before.
        self.paid_before = team.on_post_day < 0

    def configure(self, scenario: Scenario, month: int) -> None:
        """Quota and pay rules of ``scenario`` from month index ``month`` on (a dated
        change starts a month, and a quarter if either plan is quarterly). A new
        commission plan starts every rep at its first step; commission already earned
        stays owed."""
        before = getattr(self, "s", None)
        self.s = scenario
        pay = scenario.pay
        self.plan = make_plan(pay.commission)
        self.period_plan = is_period_plan(self.plan)
        self.plan_months = self.plan.months if is_period_plan(self.plan) else 1
        self.quota_policy = make_quota_policy(scenario.quota)
        self.quota_months_at[month:] = period_months(scenario.quota.period)
        split = pay.commission.split_by_stage
        self.shares = None if split is None else (split.information, split.groundwork, split.close)
        if before is not None and before.pay.commission != pay.commission:
            self.tier[:] = self._start_tier()

    def _start_tier(self) -> int:
        return self.plan.start_tier if isinstance(self.plan, GoldSilverBronze) else 0

    # ------------------------------------------------------------ calendar
    def month_no(self, month: int) -> int:
        """Reported numbering of month index ``month`` (1 = first after the warm-up)."""
        return month - self.cal.warmup_months + 1

    def period_bounds(self, month: int, months: int) -> tuple[int, int]:
        """First and last month index of the ``months``-long period containing ``month``."""
        first = period_start(self.month_no(month), months) + self.cal.warmup_months - 1
        return first, first + months - 1

    def plan_period_end_day(self, month: int) -> int:
        """First working day after the commission period that contains ``month``."""
        return self.cal.start(self.period_bounds(month, self.plan_months)[1] + 1)

    # ---------------------------------------------------------------- base
    def _years_on_post(self, day: int) -> np.ndarray:
        on = self.team.on_post_day
        days = np.where(on == NO_DAY, 0, np.maximum(day - on, 0))
        return days // (12 * self.cal.days_per_month)

    def target_pay(self, day: int) -> np.ndarray:
        """Monthly target pay of each rep's package (F34, F40); the base salary without one."""
        pay = self.s.pay
        if pay.package is None:
            base = np.full(self.team.capacity, pay.base_per_month)
            by_role = role_bases(self.s)
            if by_role is not None:  # roles' own base salaries (roles.*.base_per_month)
                own = by_role[self.team.role]
                base = np.where(np.isnan(own), base, own)
            return base
        by_year = np.asarray(pay.package.target_by_year)
        return by_year[np.minimum(self._years_on_post(day), len(by_year) - 1)]

    def base_salary(self) -> np.ndarray:
        """Each rep's base salary for a whole month on post in the running month: the
        package's step of the year on post when the month started [yuan/month]."""
        package = self.s.pay.package
        share = 1.0 if package is None else package.fixed_share
        return share * self.month_target

    # --------------------------------------------------------------- quota
    def start_month(self, month: int, day: int) -> None:
        """Set every rep's full-month quota for the month starting on ``day``."""
        team, dpm = self.team, self.cal.days_per_month
        on = team.on_post_day
        months_on_post = np.where(on == NO_DAY, 0, np.maximum(day - on, 0) // dpm)
        if month > 0:
            last_revenue = self.rec.rep_counts[month - 1, rc.REVENUE]
            had_last = self.on_post_share[month - 1] == 1.0
        else:  # nothing booked before the run
            last_revenue = np.zeros(team.capacity)
            had_last = np.zeros(team.capacity, dtype=bool)
        self.month_target = self.target_pay(day)
        inputs = QuotaInputs(self.month_no(month), months_on_post, last_revenue, had_last,
                             self.month_target)  # fmt: skip
        self.full_quota = np.asarray(self.quota_policy.monthly(inputs), dtype=float)
        if self.s.roles is not None:  # prospectors and account managers carry no quota
            self.full_quota = np.where(team.closes(), self.full_quota, 0.0)

    # --------------------------------------------------------------- deals
    def _deals(self, idx: np.ndarray, split: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Credited revenue and (deal plans) commission per rep of the logged deals ``idx``;
        by stage (F35) if the plan splits and ``split``, else all to the closer."""
        log, value = self.rec.log()
        closer, found, worked = log[L_REP, idx], log[L_FOUND, idx], log[L_WORKED, idx]
        v = value[idx]
        active = self.team.status == ON_POST
        n = self.team.capacity
        shares = self.shares if split else None
        credited = stage_credit(closer, found, worked, v, shares, active, n)
        if is_period_plan(self.plan):
            return credited, np.zeros(n)
        ratio = np.ones(v.size)
        if isinstance(self.plan, PriceRatio):
            c = self.s.pay.commission
            # Commission._valid_plan: price_ratio needs price_ratio_mean and price_ratio_cv
            assert c.price_ratio_mean is not None and c.price_ratio_cv is not None
            mu, sigma = lognormal_parameters(c.price_ratio_mean, c.price_ratio_cv)
            ratio = self.rng.lognormal(mu, sigma, v.size)
        commission = self.plan.deal_commission(v, ratio)
        return credited, stage_credit(closer, found, worked, commission, shares, active, n)

    def _booked_in(self, month: int) -> np.ndarray:
        log, _ = self.rec.log()
        first, end = self.cal.start(month), self.cal.start(month + 1)
        return np.flatnonzero((log[L_DAY] >= first) & (log[L_DAY] < end))

    def _period_commission(self, plan: PeriodPlan, month: int, reps: np.ndarray) -> np.ndarray:
        """What the period plan (``self.plan``) pays ``reps`` on their period so far, up to
        ``month``."""
        first = max(self.period_bounds(month, self.plan_months)[0], 0)
        revenue = self.credited[first : month + 1, reps].sum(axis=0)
        quota = np.nansum(self.quota[first : month + 1, reps], axis=0)
        tier = np.nan_to_num(self.tier_used[month, reps]).astype(np.int64)
        return plan.period_commission(revenue, quota, tier)

    # --------------------------------------------------------------- close
    def close_month(self, month: int, end_day: int, on_post: np.ndarray, visits_short: np.ndarray,
                    revenue: np.ndarray) -> None:  # fmt: skip
        """Book the month's quota and pay of the reps ``on_post`` at its close; ``revenue``
        and ``visits_short`` are the month's booked revenue and F32 shortfall per rep.
        The customer book has closed the month already (renewals and churn)."""
        team, pay = self.team, self.s.pay
        days = self.cal.days_in(month)
        share = np.where(on_post, month_share(team.on_post_day, end_day, days), 0.0)
        self.on_post_share[month] = share
        reps = np.flatnonzero(on_post)
        self.quota[month, reps] = (self.full_quota * share)[reps]
        base = (self.base_salary() * share)[reps]
        credited, deal_commission = self._deals(self._booked_in(month))
        self.credited[month] = credited
        plan = self.plan
        if is_period_plan(plan):
            self.tier_used[month, reps] = self.tier[reps]
            last = self.period_bounds(month, self.plan_months)[1]
            earned = self._period_commission(plan, month, reps) if month == last else 0.0 * base
            self.tier[reps] = plan.next_tier(
                credited[reps], self.quota[month, reps], self.tier[reps]
            )
        else:
            earned = deal_commission[reps]
        # Commission on the fees of existing customers (F8): none without customers.
        customers = self.s.customers
        rate = 0.0 if customers is None else customers.renewal_commission_rate
        self.renewal_earned[month, reps] = rate * self.book.rep_revenue[month, reps]
        earned = earned + self.renewal_earned[month, reps]
        self.earned[month, reps] = earned
        if pay.commission.paid == "same_month":
            paid = earned
        else:  # F37: paid the month after
            paid = self.owed[reps].copy()
            if month == 0:
                paid = np.where(self.paid_before[reps], earned, paid)
            self.owed[reps] = earned
        fines = np.minimum(pay.fine_per_visit_short * visits_short[reps], base)
        self.base[month, reps], self.commission[month, reps] = base, paid
        self.fines[month, reps] = fines
        self.bonus[month, reps] = self._bonus(month, reps, revenue)
        self.group_revenue[month] = np.bincount(
            team.group, weights=revenue, minlength=team.capacity
        )
        self.team_bonus[month, reps] = self._team_bonus(month, reps)
        self.soft_target[month, reps] = self._soft_target(month, reps, share)
        self._deductions(month, reps, end_day, share)
        self.floor[month, reps] = self._floor(end_day, share)[reps]
        self._total(month, reps)

    def _first_months(self, end_day: int, months: int) -> np.ndarray:
        """Reps within their first ``months`` months on post at the close before ``end_day``."""
        on = self.team.on_post_day
        return (on != NO_DAY) & (end_day - on <= months * self.cal.days_per_month)

    def _floor(self, end_day: int, share: np.ndarray) -> np.ndarray:
        """Each rep's least pay for the month closing before ``end_day``: the guarantee,
        pro-rated like the base, for reps within its months on post; else 0."""
        g = self.s.pay.guarantee
        if g is None:
            return np.zeros(self.team.capacity)
        return np.where(self._first_months(end_day, g.months), g.per_month * share, 0.0)

    def _deductions(self, month: int, reps: np.ndarray, end_day: int, share: np.ndarray) -> None:
        """Clawbacks of customers who churned early are charged, then taken from the
        commission paid (what is left waits for later commission); then the draw:
        commission short of it is advanced, and a recoverable draw is repaid from
        commission above it."""
        pay = self.s.pay
        self.clawback_debt += self._clawback_charges(month)
        paid = self.commission[month, reps]
        clawed = np.minimum(self.clawback_debt[reps], paid)
        self.clawback_debt[reps] -= clawed
        self.clawback[month, reps] = clawed
        left = paid - clawed
        d = pay.draw
        level = np.zeros(reps.size)
        if d is not None:
            level = np.where(self._first_months(end_day, d.months), d.per_month * share, 0.0)[reps]
        advanced = np.maximum(level - left, 0.0)
        recovered = np.zeros(reps.size)
        if d is not None and d.recoverable:
            recovered = np.minimum(self.draw_debt[reps], np.maximum(left - level, 0.0))
            self.draw_debt[reps] += advanced - recovered
        self.draw[month, reps], self.draw_recovered[month, reps] = advanced, recovered

    def _clawback_charges(self, month: int) -> np.ndarray:
        """Per rep: the commission taken back for customers they signed who churned at
        this close within ``pay.clawback.months`` of signing, in their first term: share x
        the deal's value x the signer's commission earned / revenue credited over the
        last 12 closed months. Nothing is charged to a signer who has left."""
        out = np.zeros(self.team.capacity)
        claw, book = self.s.pay.clawback, self.book
        if claw is None or book.churned_now.size == 0:
            return out
        churned = book.churned_now
        signer = book.signer[churned]
        early = (book.renewals[churned] == 0) & (month - book.won[churned] <= claw.months)
        early &= (signer >= 0) & self.team.on_post()[np.maximum(signer, 0)]
        first = max(month - 12, 0)
        earned = np.nansum(self.earned[first:month], axis=0)
        credited = self.credited[first:month].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(credited > 0, earned / credited, 0.0)
        charge = claw.share * book.first_value[churned] * rate[np.maximum(signer, 0)]
        np.add.at(out, signer[early], charge[early])
        return out

    def _team_bonus(self, month: int, reps: np.ndarray) -> np.ndarray:
        """F37: at a quarter's close, ``per_rep`` to each rep of a group whose revenue over
        the quarter reached the threshold."""
        tb = self.s.pay.team_bonus
        if tb is None or month < 2 or self.month_no(month) % 3:
            return np.zeros(reps.size)
        quarter = self.group_revenue[month - 2 : month + 1].sum(axis=0)
        return np.where(quarter[self.team.group[reps]] >= tb.threshold, tb.per_rep, 0.0)

    def _soft_target(self, month: int, reps: np.ndarray, share: np.ndarray) -> np.ndarray:
        """F33's pay C: ``per_month`` pro-rated for the days on post, times the share of
        the prospect-record norm (F1) met over them, at most 1."""
        soft = self.s.pay.soft_target
        if soft is None:
            return np.zeros(reps.size)
        norm = self.s.rep.norms.prospect_records * self.cal.days_in(month) * share[reps]
        records = self.rec.acc[rc.RECORDS, reps]
        with np.errstate(invalid="ignore", divide="ignore"):
            met = np.where(norm > 0, np.minimum(records / norm, 1.0), 0.0)
        return soft.per_month * share[reps] * met

    def _total(self, month: int, reps: np.ndarray) -> None:
        """The month's pay: base + commission + bonus + team bonus + soft-target pay -
        fines + draw - draw recovered - clawback, and the top-up to the floor
        (``pay.guarantee``) where that falls short of it."""
        own = (
            self.base[month, reps]
            + self.commission[month, reps]
            + self.bonus[month, reps]
            + self.team_bonus[month, reps]
            + self.soft_target[month, reps]
            - self.fines[month, reps]
            + self.draw[month, reps]
            - self.draw_recovered[month, reps]
            - self.clawback[month, reps]
        )
        self.guarantee[month, reps] = np.maximum(self.floor[month, reps] - own, 0.0)
        self.total[month, reps] = own + self.guarantee[month, reps]

    def own_pay(self) -> np.ndarray:
        """Pay per [month, rep] without the guarantee's top-up and the draw's advance:
        what the rep earned."""
        return self.total - np.nan_to_num(self.guarantee) - np.nan_to_num(self.draw)

    def _bonus(self, month: int, reps: np.ndarray, revenue: np.ndarray) -> np.ndarray:
        """F38: at a year's close, reps on post all year get their grade's months of their
        average monthly pay (base + commission); 0 otherwise."""
        bonus = self.s.pay.bonus
        out = np.zeros(reps.size)
        if bonus.policy == "none" or self.month_no(month) % 12 or month < 11:
            return out
        year = slice(month - 11, month + 1)
        whole = (self.on_post_share[year, reps] == 1.0).all(axis=0)
        booked = self.rec.rep_counts[month - 11 : month, rc.REVENUE, reps].sum(axis=0)
        quota = self.quota[year, reps].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):  # no quota (roles): no grade
            att = np.where(quota > 0, (booked + revenue[reps]) / quota, np.nan)
        assert bonus.grades is not None  # Bonus._grades: annual_grade needs grades
        starts = [g.from_attainment for g in bonus.grades]
        months = np.asarray([g.bonus_months for g in bonus.grades])
        grade = np.searchsorted(starts, np.nan_to_num(att), side="right") - 1
        monthly = np.nanmean(self.base[year, reps] + self.commission[year, reps], axis=0)
        out[whole] = (months[grade] * monthly)[whole]
        return out

    # --------------------------------------------------------------- leavers
    def settle(self, reps: np.ndarray, day: int) -> None:
        """Final pay of on-post ``reps`` leaving on ``day`` (a month's first day), in their
        last month: the deals they held are booked on its last day (credited to them in
        full), and the commission owed and what a period plan earns on the period so far
        are paid."""
        month = self.cal.month_of(day) - 1
        if month < 0 or reps.size == 0:
            return
        rec = self.rec
        log, value = rec.log()
        held = np.flatnonzero((log[L_DAY] == HELD_OPEN) & np.isin(log[L_REP], reps))
        deal_commission = np.zeros(self.team.capacity)
        if held.size:
            closer = log[L_REP, held]
            log[L_DAY, held] = day - 1
            log[rc.L_TIMING, held] = rc.ON_TIME  # booked before leaving: not held after all
            counts = rec.rep_counts[month]
            np.add.at(counts[rc.SIGNINGS], closer, 1)
            np.add.at(counts[rc.REVENUE], closer, value[held])
            np.add.at(counts[rc.HELD], closer, -1)
            np.add.at(counts[rc.HELD_REVENUE], closer, -value[held])
            # Sums taken away in another order leave float residue: none held, none left.
            none_left = counts[rc.HELD] == 0
            counts[rc.HELD_REVENUE][none_left] = 0.0
            rec.book_in_territories(held, month)
            credited, deal_commission = self._deals(held, split=False)
            self.credited[month] += credited
        before = np.nan_to_num(self.earned[month, reps])
        if is_period_plan(self.plan):
            after = self._period_commission(self.plan, month, reps)
            after = after + self.renewal_earned[month, reps]
        else:
            after = before + deal_commission[reps]
        self.earned[month, reps] = after
        if self.s.pay.leaver_commission == "paid":
            added = self.owed[reps] + after - before
            self.commission[month, reps] = np.nan_to_num(self.commission[month, reps]) + added
            # The draw tops up commission short of it: the last pay's commission counts.
            self.draw[month, reps] = np.maximum(np.nan_to_num(self.draw[month, reps]) - added, 0)
        self.owed[reps] = 0.0  # paid now, or forfeited
        self.draw_debt[reps] = self.clawback_debt[reps] = 0.0  # a leaver's debts: written off
        self._total(month, reps)

"""The team as a living population: hiring classes, training and trial, quits, dismissals,
and new supervisor groups.

Decisions are taken at a month's close (whom to hire for a later month, who quits, who
is dismissed, which group splits) and take effect as events on the agenda
(``engine.clock``): a class starts on the first day of its month; each trainee's washout
day (F21), trial result (F22) and day on post (F20) are drawn when the class starts and
put on the agenda; leavers go, and promoted supervisors take up their groups, on the
first day after the decision; a supervisor hired from outside starts on the first day of
the month after the lead time. Policies are small functions of the team's state that
return decisions; they schedule nothing.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.model import ledger as rc
from simsales.model.ledger import (
    DISMISSALS,
    FAILED,
    GROUP_MERGES,
    HIRES,
    PROMOTIONS,
    QUITS,
    REFRESHER_SESSIONS,
    SUPERVISOR_DEMOTIONS,
    SUPERVISOR_HIRES,
    SUPERVISOR_QUITS,
    TRAINEE_DAYS,
    WASHOUTS,
    WENT_ON_POST,
    WORKFORCE_COUNTERS,
    Ledger,
)
from simsales.model.payroll import Payroll
from simsales.model.pipeline import (
    CLOSED,
    ENTERED,
    LAST_TOUCH,
    N_CLOSED,
    NEVER,
    NEXT_DUE,
    OWNER,
    TERRITORY,
    Pipeline,
)
from simsales.model.team import (
    DISMISSED,
    FAILED_TRIAL,
    GONE,
    IN_TRAINING,
    NO_DAY,
    ON_POST,
    ON_TRIAL,
    PROMOTED,
    QUIT,
    SHARED,
    WASHED_OUT,
    Team,
    role_shares,
    roster_places,
)
from simsales.model.workday import TeamDay
from simsales.policies.attrition import QuitView, make_quit_policy
from simsales.policies.dismissal import ReviewView, make_dismissal_policy
from simsales.policies.hiring import HiringView, make_hiring_policy
from simsales.policies.new_groups import NoNewGroups, make_new_groups_policy, split_movers
from simsales.policies.territory import layout
from simsales.scenario.schema import Scenario, Turnover

# Scheduled changes of a trainee's status.
TO_TRIAL, TO_POST = "to_trial", "to_post"


def most_new_groups(scenario: Scenario, most_reps: int) -> int:
    """The most groups (and territories) a new-group policy can add in a run: each split
    needs a group past its span, and after a split only placed hires grow a group again,
    so splits never outnumber the reps the run can have."""
    return 0 if scenario.workforce.new_groups.policy == "none" else most_reps


class Workforce:
    """Hiring, training, trial, quits and dismissals of one replication."""

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        team: Team,
        rng: np.random.Generator,
        pipe: Pipeline,
        work: TeamDay,
        rec: Ledger,
        payroll: Payroll,
        agenda: Agenda,
        supervisor_rng: np.random.Generator,
    ):
        self.cal, self.team, self.rng, self.supervisor_rng = cal, team, rng, supervisor_rng
        self.pipe, self.work, self.rec, self.payroll = pipe, work, rec, payroll
        self.agenda = agenda
        self.counts = np.zeros((cal.total_months, len(WORKFORCE_COUNTERS)))
        self.missed_quarters = np.zeros(team.capacity, dtype=np.int64)  # F29: in a row
        self.missed_months = np.zeros(team.capacity, dtype=np.int64)  # monthly rule: in a row
        self.groups = np.zeros(cal.total_months, dtype=np.int64)  # groups at month end
        self.vacant_groups = np.zeros(cal.total_months, dtype=np.int64)  # of them, vacant
        # Per month and rep slot: the rep's group had no supervisor at the month's end.
        self.unsupervised = np.zeros((cal.total_months, team.capacity), dtype=bool)
        self.missed_by_group = np.zeros(team.vacant.size, dtype=np.int64)  # F29, supervisors
        self.turnover_hire_cost = np.zeros(cal.total_months)  # supervisors hired for vacancies
        self.splitting: set[int] = set()  # groups with a split decided, not yet done
        self.territory_names = list(layout(scenario).names)
        self.classes: dict[int, int] = {}  # month index -> class size
        self.scheduled: set[int] = set()  # months with a class start on the agenda
        self.freezes: list[tuple[int, int]] = []  # hiring freezes: (first day, end day)
        self.leaving: list[tuple[np.ndarray, int]] = []  # (reps, reason) going tomorrow
        self.n_classes = 0  # classes started so far; class k is numbered k (0: starting team)
        self.n_learning = 0  # trainees in training or on trial now
        # Cost of a hire, a trainee-day, a supervisor hire and a rep at a refresher
        # session, by month [yuan].
        self.unit_costs = np.zeros((cal.total_months, 4))
        # A supervisor's monthly base and override rate on group revenue, by month.
        self.supervisor_pay = np.zeros((cal.total_months, 2))
        # Groups per manager (0: no managers) and a manager's monthly pay, by month (F14).
        self.manager_rates = np.zeros((cal.total_months, 2))
        # With a roster, the warm-up only fills pipelines: the people stay as they are
        # (no classes, quits, dismissals or splits) until reported month 1.
        self.frozen_until = cal.warmup_months if scenario.team.roster is not None else 0
        if scenario.team.roster is not None:  # today's trainees: class 1, before any other
            agenda.at(cal.start(self.frozen_until), Phase.CLASS_START,
                      self.start_roster_trainees)  # fmt: skip
        self.configure(scenario, 0)
        if not self.frozen_until:
            self._decide_class(-1, leavers=0)  # reactive policies decide before month 0

    def configure(self, scenario: Scenario, month: int) -> None:
        """The workforce rules of ``scenario`` from month index ``month`` on: quits and
        dismissals from this month's close, classes starting from this month (a planned
        class of the rules before that starts from it is cancelled; classes a reactive
        policy decided earlier still start: recruiting has begun), and new hires'
        potential and training from the next class."""
        before = getattr(self, "hiring", None)
        self.s, self.wf = scenario, scenario.workforce
        wf, total = self.wf, self.cal.total_months
        self.hiring = make_hiring_policy(scenario, self.cal)
        self.quit_policy = make_quit_policy(wf.attrition)
        self.dismissal_policy = make_dismissal_policy(wf.dismissal)
        self.groups_policy = make_new_groups_policy(wf.new_groups)
        self.refresher = wf.refresher
        self.unit_costs[month:] = (wf.hiring.cost_per_hire, wf.training.cost_per_trainee_day,
                                   wf.new_groups.cost_per_hire or 0.0,
                                   wf.refresher.cost_per_rep if wf.refresher else 0.0)  # fmt: skip
        sup = scenario.supervisor.pay
        self.supervisor_pay[month:] = (sup.base_per_month, sup.override_rate) if sup else 0.0
        mg = wf.managers
        self.manager_rates[month:] = (mg.groups_per_manager, mg.pay_per_month) if mg else 0.0
        self.turnover = scenario.supervisor.turnover
        if before is not None:
            for m, size in before.planned(total).items():
                if m >= max(month, self.frozen_until):
                    self.classes[m] -= size
        for m, size in self.hiring.planned(total).items():
            if m >= max(month, self.frozen_until):
                self._plan_class(m, size)

    def _plan_class(self, month: int, size: int) -> None:
        """A class of ``size`` starts on the first day of ``month``."""
        self.classes[month] = self.classes.get(month, 0) + size
        if size > 0 and month not in self.scheduled:
            self.scheduled.add(month)
            self.agenda.at(self.cal.start(month), Phase.CLASS_START, self._start_class)

    def freeze(self, first: int, end: int) -> None:
        """No class starts from day ``first`` up to ``end`` (excluded): a hiring freeze."""
        self.freezes.append((first, end))

    def in_freeze(self, day: int) -> bool:
        """A hiring freeze holds on ``day``."""
        return any(first <= day < end for first, end in self.freezes)

    def count_trainee_days(self, day: int, days: int) -> None:
        """The trainees of today count ``days`` trainee-days, from ``day`` on (in one month)."""
        self.counts[self.cal.month_of(day), TRAINEE_DAYS] += self.n_learning * days

    # ----------------------------------------------------------- events
    def _start_class(self, day: int) -> None:
        team = self.team
        month = self.cal.month_of(day)
        size = self.classes[month]
        if size <= 0:  # cancelled by a dated change
            return
        if self.in_freeze(day):  # a hiring freeze: the class does not start
            self.classes[month] = 0
            return
        reps = np.arange(team.n, team.n + size)
        team.n += size
        self._place(reps)
        self._enrol(reps, day)
        self.counts[month, HIRES] += size
        self._paths(reps, day, np.zeros(size, dtype=np.int64))

    def _enrol(self, reps: np.ndarray, hired_day: int | np.ndarray) -> None:
        """``reps`` start training as a new class: potential drawn from the hiring
        profile (F19), skill a new hire's share of it."""
        team, size = self.team, reps.size
        sigma = self.s.skill.potential_sigma
        mu = np.log(self.wf.hiring.potential_mean) - 0.5 * sigma**2
        team.potential[reps] = self.rng.lognormal(mu, sigma, size)  # F19 hiring profile
        team.skill[reps] = self.s.skill.new_hire_fraction * team.potential[reps]
        team.status[reps] = IN_TRAINING
        self.n_learning += size
        self.n_classes += 1
        team.klass[reps] = self.n_classes
        team.hired_day[reps] = hired_day

    def _paths(self, reps: np.ndarray, day: int, done: np.ndarray) -> None:
        """Each trainee's path, drawn on ``day`` with ``done`` days of training behind
        them: washout day, or trial result and day on post. Washouts (F21) fall evenly
        over the training days, so one who has trained part of them washes out in the
        rest with the chance left."""
        tr = self.wf.training
        u = self.rng.random((3, reps.size))
        left = tr.days - done
        washes = u[0] < tr.washout_share * (left / tr.days) / (
            1 - tr.washout_share * done / tr.days
        )
        wash_day = day + np.floor(u[1] * left).astype(np.int64)
        for d in np.unique(wash_day[washes]):
            self._trainees(int(d), reps[washes & (wash_day == d)], "washout")
        stay, end_training = reps[~washes], (day + left)[~washes]
        passes = u[2][~washes] < tr.trial_pass_share
        for end in np.unique(end_training):
            here = end_training == end
            end_trial = int(end) + tr.trial_days
            self._trainees(int(end), stay[here], TO_TRIAL)
            self._trainees(end_trial, stay[here & passes], TO_POST)
            self._trainees(end_trial, stay[here & ~passes], "fail")
        self.work.roster_changed()

    def start_roster_trainees(self, day: int) -> None:
        """Today's trainees (``team.roster``) join on the first day of reported month 1,
        in their groups and territories, part way through training; the rest of their
        path is drawn as for a class."""
        team, roster = self.team, self.s.team.roster or []
        trainees = [p for p in roster if p.role == "trainee"]
        if not trainees:
            return
        where = roster_places(self.s)
        size = len(trainees)
        reps = np.arange(team.n, team.n + size)
        team.n += size
        team.group[reps] = [where.groups[p.group] for p in trainees]
        team.territory[reps] = [where.territories[str(p.territory)] for p in trainees]
        team.assign_roles(reps, role_shares(self.s))
        done = np.array([int(p.days_in_training or 0) for p in trainees], dtype=np.int64)
        self._enrol(reps, day - done)
        self._paths(reps, day, done)

    def _trainees(self, day: int, reps: np.ndarray, event: str) -> None:
        """On ``day``, ``reps`` wash out, start the trial, go on post or fail the trial."""
        if reps.size:
            self.agenda.at(day, Phase.TRAINEES, partial(self._move_on, reps, event))

    def _place(self, reps: np.ndarray) -> None:
        """New reps join the group, then the group's territory, with the fewest active reps."""
        team = self.team
        active = team.status[: team.n] != GONE
        active[reps] = False
        per_group = np.bincount(team.group[: team.n][active], minlength=team.n_groups)
        per_terr = np.bincount(
            team.territory[: team.n][active], minlength=team.territory_group.size
        )
        per_group = per_group[: team.n_groups]
        per_group[team.merged[: team.n_groups]] = np.iinfo(np.int64).max  # none left
        for r in reps:
            g = int(np.argmin(per_group))
            own = (team.territory_group == g) | (team.territory_group == SHARED)
            terrs = np.flatnonzero(own)  # the group's own (F15), or the open market
            t = int(terrs[np.argmin(per_terr[terrs])])
            team.group[r], team.territory[r] = g, t
            per_group[g] += 1
            per_terr[t] += 1
        team.assign_roles(reps, role_shares(self.s))

    def _move_on(self, reps: np.ndarray, event: str, day: int) -> None:
        team, month = self.team, self.cal.month_of(day)
        self.work.roster_changed()
        if event == "washout":
            self._leave(reps, WASHED_OUT, day)
            self.counts[month, WASHOUTS] += reps.size
        elif event == "fail":
            self._leave(reps, FAILED_TRIAL, day)
            self.counts[month, FAILED] += reps.size
        elif event == TO_TRIAL:
            team.status[reps] = ON_TRIAL
        elif event == TO_POST:
            self.n_learning -= reps.size
            team.status[reps] = ON_POST
            team.on_post_day[reps] = day
            self.counts[month, WENT_ON_POST] += reps.size

    def _leave(self, reps: np.ndarray, reason: int, day: int) -> None:
        """Reps leave today; an on-post rep's open leads go to the pool or the group."""
        team = self.team
        self.n_learning -= int(np.count_nonzero(team.status[reps] != ON_POST))  # trainees leaving
        was_on_post = reps[team.status[reps] == ON_POST]
        self.payroll.settle(was_on_post, day)  # paid in full before they go
        self.payroll.book.orphan(was_on_post, day)
        team.status[reps] = GONE
        team.leave_day[reps] = day
        team.leave_reason[reps] = reason
        if was_on_post.size:
            self._hand_over(was_on_post, day, self.wf.departed_pipeline)

    def _hand_over(self, reps: np.ndarray, day: int, to: str) -> None:
        """The reps' open leads go to the public pool (``to="pool"``) or their territory's
        colleagues (``"group"``); booked visits and waiting prospects cool off in their
        territory, so the reps may move to another territory today."""
        pipe, st = self.pipe, self.work.state
        table, n = pipe.table, pipe.n
        owner = table[OWNER, :n]
        mine = np.flatnonzero(np.isin(owner, reps))
        # Booked first visits are cancelled; the prospect cools off.
        booked = mine[table[ENTERED, mine] == 0]
        np.add.at(st.cool_terr, table[TERRITORY, booked], 1)
        table[OWNER, booked] = CLOSED
        table[NEXT_DUE, booked] = NEVER
        table[LAST_TOUCH, booked] = NEVER
        pipe.sizes[N_CLOSED] += booked.size
        # Prospects waiting for a call cool off too.
        np.add.at(st.cool_terr, self.team.territory[reps], st.interested[reps])
        st.interested[reps] = 0
        entered = mine[table[ENTERED, mine] == 1]
        pipe.mark_handed(entered)
        if to == "group":
            entered = self._to_colleagues(entered, reps)
        pipe.to_pool(entered, day)  # F11: the public pool

    def _to_colleagues(self, leads: np.ndarray, leavers: np.ndarray) -> np.ndarray:
        """Give leads to the staying on-post reps of their territory in turn; returns
        the leads of territories with nobody left (they go to the pool)."""
        team, table = self.team, self.pipe.table
        staying = team.on_post() & team.closes()  # reps who work entered leads
        staying[leavers] = False
        orphans = []
        for t in np.unique(table[TERRITORY, leads]):
            mine = leads[table[TERRITORY, leads] == t]
            heirs = np.flatnonzero(staying & (team.territory == t))
            if heirs.size == 0:
                orphans.append(mine)
                continue
            table[OWNER, mine] = heirs[np.arange(mine.size) % heirs.size]
        return np.concatenate(orphans) if orphans else np.empty(0, dtype=np.int64)

    # ---------------------------------------------------------- month close
    def month_close(self, month: int, end_day: int) -> None:
        """Book the month's quota, pay and signings; coach, then decide quits, dismissals
        and the class to hire. Runs before the Ledger closes the month."""
        team, wf, acc, dpm = self.team, self.wf, self.rec.acc, self.cal.days_per_month
        on_post = team.on_post()
        self.payroll.book.close_month(month)  # renewals and churn, before pay
        self.payroll.close_month(month, end_day, on_post, acc[rc.VISITS_SHORT], acc[rc.REVENUE])
        team.signings += acc[rc.SIGNINGS].astype(np.int64)
        self._count_groups(month)
        if month < self.frozen_until:  # a roster's warm-up: nobody comes, goes or learns
            if month == self.frozen_until - 1:
                self._decide_class(month, leavers=0)  # today's hiring decision
            return
        days_on_post = np.where(on_post, end_day - team.on_post_day, 0)
        months_on_post = days_on_post / dpm
        # F18: the trainer's monthly field visit to reps in their first months on post.
        coached = on_post & (months_on_post <= wf.training.trainer_visit_months)
        team.skill[coached] += (team.potential - team.skill)[
            coached
        ] * wf.training.trainer_visit_learning
        reps = np.flatnonzero(on_post)
        quits = self._quits(month, end_day, reps, months_on_post[reps])
        # Reviews judge revenue against quota: reps whose role carries one (roles).
        out = self._dismissals(month, reps[team.closes()[reps]], quits, end_day)
        if quits.size:
            self.leaving.append((quits, QUIT))
        if out.size:
            self.leaving.append((out, DISMISSED))
        if self.leaving:
            self.agenda.at(end_day, Phase.LEAVERS, self._leavers)
        self._decide_class(month, leavers=quits.size + out.size)
        self._supervisors_leave(month, end_day)
        self._decide_splits(month, end_day)

    def _count_groups(self, month: int) -> None:
        team = self.team
        self.groups[month] = team.active_groups()
        self.vacant_groups[month] = np.count_nonzero(team.vacant[: team.n_groups])
        self.unsupervised[month] = team.vacant[team.group]

    def _leavers(self, day: int) -> None:
        """The quits and dismissals decided at the month's close go (paid in full)."""
        month = self.cal.month_of(day)
        for reps, reason in self.leaving:
            self._leave(reps, reason, day)
            self.counts[month, QUITS if reason == QUIT else DISMISSALS] += reps.size
        self.leaving = []
        self.work.roster_changed()

    def _total(self, counter: int, first: int, month: int) -> np.ndarray:
        """Each rep's ``counter`` (a REP_COUNTERS index) summed over months
        ``first``..``month``, the running month (in ``acc``, not yet closed) included."""
        rec = self.rec
        return rec.rep_counts[max(first, 0) : month, counter].sum(axis=0) + rec.acc[counter]

    def attainment(self, first: int, month: int) -> np.ndarray:
        """Each rep's revenue over months ``first``..``month`` ÷ their quota over the
        months on post among them; NaN for a rep with no quota then."""
        quota = np.nansum(self.payroll.quota[max(first, 0) : month + 1], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(quota > 0, self._total(rc.REVENUE, first, month) / quota, np.nan)

    def _quits(
        self, month: int, end_day: int, reps: np.ndarray, months_on_post: np.ndarray
    ) -> np.ndarray:
        first = month - self.quit_policy.recent_months + 1
        recent = self.payroll.total[max(0, first) : month + 1, reps]
        view = QuitView(
            months_on_post=months_on_post,
            recent_pay=np.nanmean(recent, axis=0) if reps.size else np.empty(0),
            recent_attainment=self.attainment(first, month)[reps],
            base_pay=self.payroll.base_salary()[reps],
        )
        return reps[self.rng.random(reps.size) < self.quit_policy.hazards(view)]

    def _dismissals(self, month: int, reps: np.ndarray, quits: np.ndarray, end_day: int):
        view = ReviewView(
            month=month,
            month_no=month - self.cal.warmup_months + 1,
            end_day=end_day,
            days_per_month=self.cal.days_per_month,
            reps=reps,
            on_post_day=self.team.on_post_day,
            signings_so_far=self.team.signings,
            attainment=self.attainment,
            signings=lambda first, last: self._total(rc.SIGNINGS, first, last),
            missed_quarters=self.missed_quarters,
            missed_months=self.missed_months,
            rng=self.rng,
        )
        review = self.dismissal_policy.review(view, quits)
        self.missed_quarters, self.missed_months = review.missed_quarters, review.missed_months
        return review.dismissed

    def _staying_on_post(self) -> np.ndarray:
        """Reps on post who are not among the leavers decided at this close."""
        staying = self.team.on_post()
        for reps, _ in self.leaving:
            staying[reps] = False
        return staying

    def _decide_class(self, month: int, leavers: int) -> None:
        """At a month's close the hiring policy may decide a class for the month after
        the lead time (reactive policies: target_headcount, backfill, forecast)."""
        start = month + 1 + self.wf.hiring.lead_time_months
        if start >= self.cal.total_months:
            return
        team, end_day = self.team, self.cal.start(month + 1)
        status = team.status[: team.n]
        active = int(np.count_nonzero((status != GONE) & (status >= 0)))
        active -= sum(r.size for r, _ in self.leaving)
        staying = self._staying_on_post()
        view = HiringView(
            month=month,
            active=active,
            planned=sum(size for m, size in self.classes.items() if m > month),
            leavers=leavers,
            months_on_post=(end_day - team.on_post_day[staying]) / self.cal.days_per_month,
            in_training=int(np.count_nonzero(status == IN_TRAINING)),
            on_trial=int(np.count_nonzero(status == ON_TRIAL)),
        )
        size = self.hiring.class_at_close(view)
        if size and not self.in_freeze(self.cal.start(start)):  # none recruited for a freeze
            self._plan_class(start, size)

    # ------------------------------------------------------ new groups
    def _decide_splits(self, month: int, end_day: int) -> None:
        """A group with more reps on post than the span of control, after this month's
        leavers, gets a new supervisor: promoted at once, or hired after the lead time."""
        if isinstance(self.groups_policy, NoNewGroups):
            return
        team = self.team
        staying = self._staying_on_post()
        size = np.bincount(team.group[staying], minlength=team.n_groups)
        day = self.groups_policy.start_day(month, end_day, self.cal)
        if day >= self.cal.total_days:
            return
        for g in self.groups_policy.due(size):
            if int(g) not in self.splitting:
                self.splitting.add(int(g))
                self.agenda.at(day, Phase.SPLITS, partial(self._split_group, int(g)))

    def _split_group(self, g: int, day: int) -> None:
        """Group g splits: every second of its reps on post (of its most-staffed territory,
        when that territory splits) moves to a new group under the new supervisor, in a
        territory of its own (F15). Movers hand their open leads to the colleagues who stay
        in their old territory. No split if either side would be empty."""
        policy = self.groups_policy
        team, market = self.team, self.work.market
        month = self.cal.month_of(day)
        self.splitting.discard(g)
        self.work.roster_changed()
        members = np.flatnonzero(team.on_post() & (team.group == g))
        top = -1
        if members.size:
            first = max(month - policy.revenue_months(), 0)  # the last closed months
            revenue = self.rec.rep_counts[first:month, rc.REVENUE].sum(axis=0)[members]
            top = policy.supervisor(members, revenue)
            members = members[members != top]
        pool = members
        if policy.territory == "split" and members.size:
            old = int(np.argmax(np.bincount(team.territory[members])))
            pool = members[team.territory[members] == old]
        if pool.size < 2:
            return
        if top >= 0:
            self._leave(np.array([top]), PROMOTED, day)
            self.counts[month, PROMOTIONS] += 1
        else:
            self.counts[month, SUPERVISOR_HIRES] += 1
        movers = split_movers(pool, team.on_post_day)
        if team.territory_group[0] == SHARED:  # an open market: the new group works it too
            team.group[movers] = team.n_groups
            team.n_groups += 1
            return
        new_g, new_t = team.n_groups, team.n_territories
        team.n_groups += 1
        team.n_territories += 1
        team.territory_group[new_t] = new_g
        self._hand_over(movers, day, "group")
        if policy.territory == "split":
            customers = int(market.customers[old])
            market.split(old, new_t, movers.size / pool.size, day)
            self.payroll.book.move_territory(old, new_t, customers - int(market.customers[old]))
            self.work.copy_territory(old, new_t)  # same grade mix and travel
            self.territory_names.append(f"{self.territory_names[old]} / {new_g + 1}")
        else:
            # Only promote and hire split, and need territory; "new" needs new_territory_firms
            # (NewGroups._fields_of_policy).
            assert policy.new_territory_firms is not None
            market.open(new_t, policy.new_territory_firms)
            self.territory_names.append(f"New territory {new_g + 1}")
        team.group[movers], team.territory[movers] = new_g, new_t

    def costs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Hiring, training (new hires and refresher sessions) and supervisor-hiring cost
        per month [yuan]."""
        counts, unit = self.counts, self.unit_costs
        hiring = counts[:, HIRES] * unit[:, 0]
        training = counts[:, TRAINEE_DAYS] * unit[:, 1] + counts[:, REFRESHER_SESSIONS] * unit[:, 3]
        supervisors = counts[:, SUPERVISOR_HIRES] * unit[:, 2] + self.turnover_hire_cost
        return hiring, training, supervisors

    def managers(self) -> np.ndarray:
        """Managers per month (F14): the groups at the month's end over the span, rounded
        up; 0 without managers."""
        span = self.manager_rates[:, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(span > 0, np.ceil(self.groups / span), 0.0)

    # ------------------------------------------------------------ refresher training
    def month_start(self, month: int, day: int) -> None:
        """Put the month's refresher sessions (F27) on the agenda: the days ``k *
        every_days`` within it, under the rules in force today."""
        ref = self.refresher
        if ref is None or month < self.frozen_until:
            return
        end = self.cal.start(month + 1)
        first = -(-day // ref.every_days) * ref.every_days  # the first session day >= day
        for d in range(first, end, ref.every_days):
            self.agenda.at(d, Phase.REFRESHER, self._refresher_session)

    def _refresher_session(self, day: int) -> None:
        """Reps on post spend the session's minutes training, not selling, and learn."""
        ref, team = self.refresher, self.team
        if ref is None:  # a dated change ended refresher training this month
            return
        on = team.on_post()
        self.work.state.carry[on] += ref.minutes
        team.skill[on] += (team.potential - team.skill)[on] * ref.learning
        self.counts[self.cal.month_of(day), REFRESHER_SESSIONS] += np.count_nonzero(on)

    # ------------------------------------------------------------ supervisors as people
    def _supervisors_leave(self, month: int, end_day: int) -> None:
        """At a close: supervisors quit, and at a quarter's close F29's review demotes one
        whose group's attainment stayed under the bar; their groups fall vacant on the
        next day, and vacancies are filled (``supervisor.turnover.fill``)."""
        t, team = self.turnover, self.team
        if t is None:
            return
        n = team.n_groups
        live = ~team.merged[:n] & ~team.vacant[:n]
        quits = np.flatnonzero(live & (self.supervisor_rng.random(n) < t.quit_per_month))
        demoted = self._demotions(month, t, live)
        demoted = demoted[~np.isin(demoted, quits)]
        if quits.size or demoted.size or team.vacant[:n].any():
            self.agenda.at(end_day, Phase.SPLITS, partial(self._vacancies, quits, demoted))

    def _demotions(self, month: int, t: Turnover, live: np.ndarray) -> np.ndarray:
        """F29 for supervisors: groups whose attainment over the quarter ending at this
        close is under ``demote_below`` for ``demote_after_quarters`` quarters in a row."""
        if t.demote_below is None or month < 2 or self.payroll.month_no(month) % 3:
            return np.empty(0, dtype=np.int64)  # no review, or not a whole quarter run yet
        team, n = self.team, self.team.n_groups
        first = month - 2
        quota = np.nansum(self.payroll.quota[max(first, 0) : month + 1], axis=0)
        revenue = self._total(rc.REVENUE, first, month)
        g_quota = np.bincount(team.group, weights=quota, minlength=n)[:n]
        g_revenue = np.bincount(team.group, weights=revenue, minlength=n)[:n]
        with np.errstate(invalid="ignore", divide="ignore"):
            missed = live & (g_quota > 0) & (g_revenue < t.demote_below * g_quota)
        self.missed_by_group[:n] = np.where(missed, self.missed_by_group[:n] + 1, 0)
        return np.flatnonzero(self.missed_by_group[:n] >= t.demote_after_quarters)

    def _vacancies(self, quits: np.ndarray, demoted: np.ndarray, day: int) -> None:
        """The supervisors who quit or were demoted leave their groups today (a demoted one
        sells again in the group); then every vacant group is filled as the rules say."""
        team, month = self.team, self.cal.month_of(day)
        for g in demoted:
            self._back_to_selling(int(g), day)
            self.missed_by_group[g] = 0
        self.counts[month, SUPERVISOR_QUITS] += quits.size
        self.counts[month, SUPERVISOR_DEMOTIONS] += demoted.size
        team.vacant[quits] = team.vacant[demoted] = True
        t = self.turnover
        assert t is not None  # scheduled only with supervisor.turnover
        for g in np.flatnonzero(team.vacant[: team.n_groups]):
            if t.fill == "hire":
                assert t.hire_months is not None  # Turnover._fields_of_fill: hire needs it
                if g in quits or g in demoted:  # a new vacancy: recruiting starts
                    start = self.cal.start(month + t.hire_months)
                    self.agenda.at(start, Phase.SPLITS, partial(self._hired, int(g)))
            elif t.fill == "merge" and self._merge(int(g), month):
                continue
            else:  # promote (or merge with no other group left): the group's top rep
                self._promote(int(g), day)
        self.work.roster_changed()

    def _promote(self, g: int, day: int) -> None:
        """Group g's rep on post with the most revenue over the last 3 closed months
        becomes its supervisor (and stops selling); none on post: it stays vacant."""
        team, month = self.team, self.cal.month_of(day)
        members = np.flatnonzero(team.on_post() & (team.group == g))
        if members.size == 0:
            return
        revenue = self.rec.rep_counts[max(month - 3, 0) : month, rc.REVENUE].sum(axis=0)
        top = members[np.argmax(revenue[members])]
        self._leave(np.array([top]), PROMOTED, day)
        self.counts[month, PROMOTIONS] += 1
        team.vacant[g] = False

    def _hired(self, g: int, day: int) -> None:
        """A supervisor hired from outside takes up vacant group g today."""
        t, team = self.turnover, self.team
        if not team.vacant[g] or team.merged[g]:
            return
        team.vacant[g] = False
        month = self.cal.month_of(day)
        self.counts[month, SUPERVISOR_HIRES] += 1
        self.turnover_hire_cost[month] += (t.cost_per_hire or 0.0) if t is not None else 0.0
        self.work.roster_changed()

    def _merge(self, g: int, month: int) -> bool:
        """Vacant group g joins the group with the fewest reps on post (its reps, trainees
        and territories); False if there is no other group."""
        team = self.team
        n = team.n_groups
        others = np.flatnonzero(~team.merged[:n])
        others = others[others != g]
        if others.size == 0:
            return False
        size = np.bincount(team.group[team.on_post()], minlength=n)[:n]
        into = int(others[np.argmin(size[others])])
        members = np.flatnonzero((team.status != GONE) & (team.group == g))
        members = members[members < team.n]
        team.group[members] = into
        team.territory_group[team.territory_group == g] = into
        team.merged[g], team.vacant[g] = True, False
        self.counts[month, GROUP_MERGES] += 1
        return True

    def _back_to_selling(self, g: int, day: int) -> None:
        """A demoted supervisor sells again in group g from today, in its territory with the
        fewest reps: a rep of full skill (potential drawn as for a hire) new on post."""
        team = self.team
        r = team.n
        team.n += 1
        sigma = self.s.skill.potential_sigma
        mu = np.log(self.wf.hiring.potential_mean) - 0.5 * sigma**2
        team.potential[r] = team.skill[r] = self.supervisor_rng.lognormal(mu, sigma)
        terrs = np.flatnonzero(team.territory_group == g)
        if terrs.size == 0:  # an open market: the shared territory
            terrs = np.arange(team.n_territories)
        per_terr = np.bincount(team.territory[team.on_post()], minlength=team.territory_group.size)
        team.group[r], team.territory[r] = g, int(terrs[np.argmin(per_terr[terrs])])
        team.status[r] = ON_POST
        team.assign_roles(np.array([r]), role_shares(self.s))
        team.klass[r] = 0
        team.hired_day[r] = team.on_post_day[r] = day
        team.leave_day[r] = NO_DAY

"""The team's working day: the state that lives between days, and one call a day into
the compiled day (``model.kernel``, where the order of a rep's day is described).
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.rng import DRAWN, DrawBuffers, Streams, lognormal_parameters
from simsales.model.kernel import (
    Books,
    DayParams,
    DayState,
    MarketArrays,
    Tables,
    TeamArrays,
    day_needs,
    run_days,
)
from simsales.model.ledger import Ledger
from simsales.model.market import Market
from simsales.model.odds import LeadOdds, lead_odds, touch_states
from simsales.model.pipeline import Pipeline
from simsales.model.sampling import binomial_cdf_table
from simsales.model.team import ACCOUNT_MANAGER, FULL_CYCLE, PROSPECTOR, ROLES, Team
from simsales.policies.territory import Layout, layout
from simsales.scenario.schema import Scenario


def territory_grade_cdf(markets: Layout, odds: LeadOdds, slots: int) -> np.ndarray:
    """[territory slot, grade] cumulative grade mix: a territory's own (F6), else the
    scenario's; slots for territories opened later start with the scenario's."""
    table = np.tile(odds.grade_cdf, (slots, 1))
    for t, mix in enumerate(markets.grade_mix):
        if mix is not None:
            table[t] = np.cumsum(mix / mix.sum())
    return table


def _role_norms(scenario: Scenario) -> list:
    """The norms of the roles that have their own (the prospectors')."""
    roles = scenario.roles
    return [roles.prospectors] if roles is not None and roles.prospectors is not None else []


def role_norm_table(scenario: Scenario) -> np.ndarray:
    """Daily norms [records, calls, visits] x ROLES: full-cycle reps the rep's (F1),
    prospectors their own, closers and account managers none (they do not prospect)."""
    n = scenario.rep.norms
    full = (n.prospect_records, n.phone_appointments, n.visits)
    own = [(r.prospect_records, r.phone_appointments, r.visits) for r in _role_norms(scenario)]
    table = np.zeros((3, len(ROLES)), dtype=np.int64)
    table[:, FULL_CYCLE] = full
    table[:, PROSPECTOR] = own[0] if own else full
    return table


def day_params(scenario: Scenario, odds: LeadOdds) -> DayParams:
    """The scenario's numbers in the form the compiled day takes."""
    rep, leads, sup = scenario.rep, scenario.leads, scenario.supervisor
    deal_mu, deal_sigma = lognormal_parameters(leads.deal_value_mean, leads.deal_value_cv)
    norms = role_norm_table(scenario)
    return DayParams(
        capacity=float(rep.minutes_per_day),
        phone_minutes=float(rep.phone_minutes),
        followup_minutes=float(rep.followup_minutes),
        valid_share=float(leads.valid_share_of_first_visits),
        joint_multiplier=float(sup.joint_visit_close_multiplier),
        joint_per_day=int(sup.joint_visits_per_day),
        learning_per_day=float(
            scenario.skill.learning_per_day + sup.evening_meeting_learning_per_day
        ),
        experience_per_day=float(scenario.skill.learning_per_day),
        joint_learning=float(sup.joint_visit_learning),
        referrals_per_signing=float(leads.customer_referrals_per_signing),
        referrals_per_lost=float(leads.nonbuyer_referrals_per_lost_lead),
        deal_mu=deal_mu,
        deal_sigma=deal_sigma,
        phone_close=float(odds.phone_close),
        # The most any role's norm asks (what a day reserves room for).
        norm_records=int(norms[0].max()),
        norm_calls=int(norms[1].max()),
        norm_visits=int(norms[2].max()),
        stale_after=int(leads.stale_after_days),
        pool_expiry=int(leads.pool_expiry_days),
        claims_per_day=int(leads.pool_claims_per_rep_day),
        claim_anyone=leads.pool_claim_scope == "anyone",
        open_market=scenario.market.policy == "open",
        duplicate_minutes=float(scenario.market.duplicate_minutes or 0.0),
        duplicate_multiplier=float(scenario.market.duplicate_sign_multiplier or 1.0),
        cooling_off=int(scenario.market.cooling_off_days),
        n_touch=int(odds.sign.shape[1]),
        season_sign=1.0,
        log_events=False,
    )


class TeamDay:
    """Carries the state that lives between days and runs one day at a time."""

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        streams: Streams,
        team: Team,
        market: Market,
        pipe: Pipeline,
        odds: LeadOdds,
        rec: Ledger,
        log_events: bool = False,
    ):
        markets = layout(scenario)
        self.log_events = log_events  # keep the event log (a history run)
        self.cal, self.team, self.market, self.pipe = cal, team, market, pipe
        self.copied: dict[int, int] = {}  # territory slots opened later: target -> source
        self.price = 1.0  # factor on deal values (price changes: shocks)
        self.bursts: dict[int, np.ndarray] = {}  # day -> extra HQ leads per territory
        self.configure(scenario, odds)
        n, n_terr = team.capacity, market.n
        self.state = DayState(
            interested=np.zeros(n, dtype=np.int64),
            spare=np.zeros(n),
            used=np.zeros(n),
            cool_rep=np.zeros(n, dtype=np.int64),
            cool_terr=np.zeros(n_terr, dtype=np.int64),
            referrals=np.zeros((2, n), dtype=np.int64),
            hq_today=np.zeros(n_terr, dtype=np.int64),
            joint_done=np.zeros(n, dtype=bool),
            carry=np.zeros(n),
            hq_turn=np.zeros(1, dtype=np.int64),
            hand_turn=np.zeros(n_terr, dtype=np.int64),
            hold=np.zeros(n, dtype=bool),
            pulling=np.zeros(n, dtype=bool),
            due_until=np.zeros(n, dtype=np.int64),  # no work ahead unless a policy sets it
            next_period=np.full(1, np.iinfo(np.int64).max),
        )
        # Extra minutes of a first visit by territory slot (new territories: none).
        self.travel = np.zeros(market.n)
        self.travel[: len(markets.travel)] = markets.travel
        self.markets = MarketArrays(
            market.firms,
            market.available,
            market.untouched,
            market.cooling,
            market.customers,
            market.release,
            market.sign,
        )
        self.rec = rec
        self._bind_books()
        self.hq_gen = streams.hq
        self.draws = DrawBuffers(streams)
        self._need = np.zeros(len(DRAWN), dtype=np.int64)
        self.hq_month = np.zeros((cal.days_in(0), market.n), dtype=np.int64)
        self.month_start = 0  # first day of the month being worked
        self.refresh_roster()
        self.roster_stale = False

    def configure(
        self, scenario: Scenario, odds: LeadOdds | None = None, learning: bool = True
    ) -> None:
        """The day's rules and tables of ``scenario`` (``odds``: its lead odds, worked out
        if not given) from the next working day on; the state between days is kept. HQ
        leads follow the new rate from the next month's first day. Without ``learning``
        skills stand still (a roster's warm-up)."""
        rules = (scenario.rep, scenario.leads, scenario.supervisor, scenario.skill,
                 scenario.market, learning)  # fmt: skip
        if rules == getattr(self, "rules", None):
            return  # a dated change of other rules (pay, quota, ...): the day is the same
        self.rules = rules
        rep, leads = scenario.rep, scenario.leads
        odds = lead_odds(leads) if odds is None else odds
        self.params = day_params(scenario, odds)
        self.params = self.params._replace(
            deal_mu=self.params.deal_mu + np.log(self.price), log_events=self.log_events
        )
        if not learning:
            self.params = self.params._replace(
                learning_per_day=0.0, experience_per_day=0.0, joint_learning=0.0
            )
        self.norms = role_norm_table(scenario)
        self.roster_stale = True  # the reps' norms may have changed
        grade_cdf = territory_grade_cdf(layout(scenario), odds, self.market.n)
        for target, source in self.copied.items():
            grade_cdf[target] = grade_cdf[source]
        self.tables = Tables(
            states=touch_states(odds, rep.phone_minutes, rep.visit_minutes, rep.followup_minutes),
            grade_cdf=grade_cdf,
            interest_cdf=binomial_cdf_table(
                self.params.norm_records, leads.interested_share_of_records
            ),
            booking_cdf=binomial_cdf_table(  # as far as any role's norm of calls goes
                self.params.norm_calls, leads.booked_share_of_calls
            ),
        )
        self.hq_per_rep_day = leads.hq_leads_per_rep_day
        self.roster_stale = True  # the HQ rate is set with the roster
        # Seasonality (leads.seasonality) is applied month by month on these.
        self.seasons, self.plain, self.season_of = leads.seasonality, (self.params, self.tables), 0
        self.records, self.interested = (
            self.params.norm_records,  # the most records any role hands in a day
            leads.interested_share_of_records,
        )

    def _season(self, month: int) -> None:
        """The calendar month's demand (leads.seasonality): its multipliers of the
        interested share of records and of every sign chance, on the plain rules."""
        moy = self.cal.month_of_year(month)
        if self.seasons is None or moy is None or moy == self.season_of:
            return
        self.season_of = moy
        params, tables = self.plain
        share = min(self.interested * self.seasons.interest[moy - 1], 1.0)
        self.params = params._replace(season_sign=float(self.seasons.sign[moy - 1]))
        self.tables = tables._replace(interest_cdf=binomial_cdf_table(self.records, share))

    def reprice(self, multiplier: float) -> None:
        """Deal values are ``multiplier`` times what they were, from today (a price change)."""
        self.price *= multiplier
        shift = float(np.log(multiplier))
        params, tables = self.plain
        self.plain = (params._replace(deal_mu=params.deal_mu + shift), tables)
        self.params = self.params._replace(deal_mu=self.params.deal_mu + shift)

    def add_leads(self, day: int, leads: int, territories: np.ndarray) -> None:
        """``leads`` extra HQ leads arrive on ``day`` (today) in ``territories``, shared in
        proportion to their reps on post today, largest remainders first (a lead burst);
        none where nobody is on post."""
        if self.roster_stale:
            self.refresh_roster()
        reps = self.arrays.territory_reps[territories].astype(float)
        counts = np.zeros(self.market.n, dtype=np.int64)
        if reps.sum() == 0:
            return
        share = leads * reps / reps.sum()
        whole = np.floor(share).astype(np.int64)
        extra = np.argsort(-(share - whole), kind="stable")[: leads - int(whole.sum())]
        whole[extra] += 1
        counts[territories] = whole
        if day >= self.month_start + len(self.hq_month) or day < self.month_start:
            self.bursts[day] = counts  # the month's HQ leads are not drawn yet
        else:
            self.hq_month[day - self.month_start] += counts

    def _bind_books(self) -> None:
        rec = self.rec
        self.books = Books(rec.acc, rec.day_max, rec.team, rec.terr, rec.signings_by_touch,
                           rec.cohort, rec.signing_log, rec.signing_value,
                           rec.log_size, rec.events, rec.event_value,
                           rec.event_size)  # fmt: skip

    def copy_territory(self, source: int, target: int) -> None:
        """Territory slot ``target`` gets ``source``'s grade mix and travel minutes."""
        self.tables.grade_cdf[target] = self.tables.grade_cdf[source]
        self.travel[target] = self.travel[source]
        self.copied[target] = self.copied.get(source, source)

    def roster_changed(self) -> None:
        """Someone's status, group or territory changed: refresh before the next day."""
        self.roster_stale = True

    def refresh_roster(self) -> None:
        """Recompute what depends on who is on post (``roster_changed`` asks for it)."""
        self.roster_stale = False
        team = self.team
        on_post = team.on_post()
        reps = np.flatnonzero(on_post)
        # HQ leads, referrals, the pool and handed-over leads go to reps who close (all
        # of them without roles); HQ leads arrive at the rate of the reps who sell.
        closers = reps[team.closes()[reps]]
        by_territory = closers[np.argsort(team.territory[closers], kind="stable")]
        territory_reps = np.bincount(team.territory[closers], minlength=self.market.n)
        sellers = reps[team.role[reps] != ACCOUNT_MANAGER]
        selling = np.bincount(team.territory[sellers], minlength=self.market.n)
        # Joint-visit rota (F16): each on-post rep's place in its group, and group sizes.
        # Account managers have no leads to visit: they are not on it (roles).
        by_group = sellers[np.argsort(team.group[sellers], kind="stable")]
        group_reps = np.bincount(team.group[sellers], minlength=team.n_groups)
        group_start = np.cumsum(group_reps) - group_reps
        pos_in_group = np.zeros(team.capacity, dtype=np.int64)
        pos_in_group[by_group] = np.arange(by_group.size) - group_start[team.group[by_group]]
        self.arrays = TeamArrays(
            territory=team.territory,
            pos_in_group=pos_in_group,
            group_size=np.maximum(group_reps, 1)[team.group],
            on_post=on_post,
            skill=team.skill,
            potential=team.potential,
            by_territory=by_territory,
            territory_start=np.cumsum(territory_reps) - territory_reps,
            territory_reps=territory_reps,
            travel=self.travel[team.territory],
            supervised=~team.vacant[team.group],
            prospects=team.prospects(),
            closes=team.closes(),
            norm_records=self.norms[0][team.role],
            norm_calls=self.norms[1][team.role],
            norm_visits=self.norms[2][team.role],
        )
        self.hq_rate = self.hq_per_rep_day * selling

    def run_days(self, first: int, end: int) -> None:
        """Simulate working days ``first`` .. ``end - 1`` of one month (0 = the first day of
        the warm-up): days on which nothing but the team's work happens, compiled in as
        few calls as the room in the lead table, signing log and drawn numbers allows."""
        if self.roster_stale:
            self.refresh_roster()
        cal = self.cal
        month = cal.month_of(first)
        self.month_start = start = cal.start(month)
        if first == start:
            self._season(month)
            # HQ leads of the whole month (F10), per day and territory, at the rate of
            # the reps on post when the month starts.
            days = cal.days_in(month)
            self.hq_month = self.hq_gen.poisson(self.hq_rate, size=(days, self.market.n))
            for d in [d for d in self.bursts if start <= d < start + days]:
                self.hq_month[d - start] += self.bursts.pop(d)
        day = first
        while day < end:
            self._make_room(day)
            pipe = self.pipe
            day = run_days(day, end, month, start, self.hq_month, pipe.table, pipe.sizes,
                           self.params, self.tables, self.arrays, self.markets, self.state,
                           self.books, self.draws.current)  # fmt: skip

    def _make_room(self, day: int) -> None:
        """Room for day ``day``'s new leads, deals and random numbers (the most it can use)."""
        st = self.state
        arrivals = int(self.hq_month[day - self.month_start].sum() + st.referrals.sum())
        rows, deals, events = day_needs(self.pipe.n, self.team.capacity, arrivals, self.params,
                                        self._need)  # fmt: skip
        self.pipe.reserve(rows)
        grown = self.rec.reserve_signings(deals)
        if self.rec.reserve_events(events) or grown:
            self._bind_books()
        self.draws.ensure(self._need)

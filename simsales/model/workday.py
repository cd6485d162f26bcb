"""One working day of the whole team, as array operations over reps and leads.

Order of a rep's day (F6: best prospects first; due follow-ups before new visits):

1. pipeline touches due today, in this order: entered leads by grade (A first,
   then the longest overdue), then the first visits booked yesterday, as far as the
   working minutes go (F4, F42); booked visits that do not fit are cancelled. A
   supervisor joins the first visit-type touch of the reps on today's rota (F16);
2. appointment calls to interested prospects (F1: 5 a day); a call can close on
   the phone (F7 touch 0) or book a first visit for tomorrow (F1: 3 a day);
3. after work, new prospect records (F1: 30 a day; the seed says they are handed
   in in the evening, so they take no working minutes).

Before the reps start: cooling-off firms return, HQ leads (F10) and the referrals
given yesterday (F9) arrive, leads untouched for a week go to the public pool (F11),
pool leads expire or are claimed by reps of the territory who had time to spare
yesterday.

Speed: a day is a fixed, small number of array operations whatever the team size
(the benchmark's budget is about a hundred), so per-lead bookkeeping is done with
one ``bincount`` over a combined code rather than one call per counter.
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.rng import BlockRandom, BlockStreams, Groups, split_blocks
from simsales.metrics import records as rc
from simsales.metrics.records import Recorder
from simsales.model.market import Market
from simsales.model.odds import (
    PROSPECTED,
    PUSHED,
    REFERRED,
    LeadOdds,
    klass_of,
    touch_states,
)
from simsales.model.pipeline import (
    CUSTOMER_REFERRAL_SRC,
    HQ_SRC,
    NEVER,
    NONBUYER_REFERRAL_SRC,
    POOL,
    PROSPECTED_SRC,
    SOURCES,
    Pipeline,
)
from simsales.model.sampling import binomial_cdf_table, binomial_from_table, rare_binomial
from simsales.model.team import Team
from simsales.scenario.schema import Scenario

_FAMILY_OF_SOURCE = np.array([PROSPECTED, PUSHED, REFERRED, PUSHED], dtype=np.int8)
_N_SRC = len(SOURCES)

# A touched lead's event code: (kind * 4 + outcome) * 2 + fresh, where kind is 0 call,
# 1 first visit, 2 follow-up; outcome 0 stays open, 1 signed, 2 lost, 3 discarded
# (an invalid first visit); fresh marks a booked first visit of the rep's own prospect.
_N_CODES = 3 * 4 * 2
STAY, SIGNED, LOST, DISCARDED = range(4)


def _code_to_counters() -> tuple[list[int], np.ndarray]:
    """Matrix turning per-rep event-code counts into the Recorder's per-rep counters."""
    counters = [rc.CALLS, rc.VISITS, rc.FOLLOWUPS, rc.SIGNINGS, rc.LOST, rc.DISCARDED,
                rc.CREATED, rc.ENTERED, rc.PHONE_CLOSES]  # fmt: skip
    w = np.zeros((_N_CODES, len(counters)))
    for kind in range(3):
        for outcome in range(4):
            for fresh in range(2):
                code = (kind * 4 + outcome) * 2 + fresh
                w[code, kind] = 1.0  # calls, visits, follow-ups
                if outcome == SIGNED:
                    w[code, 3] = 1.0
                    w[code, 8] = float(kind == 0)  # signed on the phone
                if outcome == LOST:
                    w[code, 4] = 1.0
                if outcome == DISCARDED:
                    w[code, 5] = 1.0
                if fresh:
                    w[code, 6] = 1.0  # a first visit to an own prospect creates a lead
                    w[code, 7] = float(outcome != DISCARDED)
    return counters, w


class TeamDay:
    """Carries the state that lives between days and runs one day at a time."""

    def __init__(
        self,
        scenario: Scenario,
        cal: Calendar,
        streams: BlockStreams,
        team: Team,
        market: Market,
        pipe: Pipeline,
        odds: LeadOdds,
        rec: Recorder,
    ):
        self.s, self.cal, self.rng, self.team = scenario, cal, streams, team
        self.market, self.pipe, self.odds, self.rec = market, pipe, odds, rec
        rep, leads, sup = scenario.rep, scenario.leads, scenario.supervisor
        n = team.n
        self.capacity = float(rep.minutes_per_day)
        self.states = touch_states(odds, rep.phone_minutes, rep.visit_minutes, rep.followup_minutes)
        self.counters, self.code_weights = _code_to_counters()
        # CDF tables for the daily binomials with a fixed chance (exact inverse-CDF draws).
        self.interest_cdf = binomial_cdf_table(
            rep.norms.prospect_records, leads.interested_share_of_records
        )
        self.booking_cdf = binomial_cdf_table(
            rep.norms.phone_appointments, leads.booked_share_of_calls
        )
        self.joint_mult = sup.joint_visit_close_multiplier
        self.learn_rate = scenario.skill.learning_per_day + sup.evening_meeting_learning_per_day
        # Referrals a closed lead gives, by outcome (stay, signed, lost, discarded).
        self.referral_rate = np.array(
            [0.0, leads.customer_referrals_per_signing, leads.nonbuyer_referrals_per_lost_lead, 0.0]
        )
        sigma2 = np.log1p(leads.deal_value_cv**2)
        self.deal_mu, self.deal_sigma = np.log(leads.deal_value_mean) - sigma2 / 2, np.sqrt(sigma2)
        self.interested = np.zeros(n, dtype=np.int64)  # prospects waiting for a call
        self.spare = np.zeros(n)  # minutes left over yesterday
        self.used = np.zeros(n)  # minutes used today
        self.cool_rep = np.zeros(n, dtype=np.int64)  # firms a rep let go today (cool off)
        self.cool_terr = np.zeros(market.n, dtype=np.int64)  # firms of closed leads today
        self.hq_month = np.zeros((cal.days_per_month, market.n), dtype=np.int64)
        # A block of replications side by side: which replication a rep or territory is in.
        self.n_blocks = int(team.block.max()) + 1
        self.terr_per_block = market.n // self.n_blocks
        self.terr_block = np.arange(market.n) // self.terr_per_block
        self.rep_groups = self._split(team.block, is_sorted=True)
        self.n_pool = 0  # leads in the public pool
        self.referrals: list[tuple[np.ndarray, np.ndarray]] = []  # (owners, sources) for tomorrow
        self.refresh_roster()

    def refresh_roster(self) -> None:
        """Recompute what depends on who is on post; call after any status change."""
        team = self.team
        self.on_post = team.on_post()
        self.on_post_n = self.on_post.astype(np.int64)
        reps = np.flatnonzero(self.on_post)
        self.hq_reps = reps[np.argsort(team.territory[reps], kind="stable")]
        self.hq_per_terr = np.bincount(team.territory[reps], minlength=self.market.n)
        self.hq_start = np.cumsum(self.hq_per_terr) - self.hq_per_terr
        self.reps_by_territory = [reps[team.territory[reps] == t] for t in range(self.market.n)]
        self.records_want = self.s.rep.norms.prospect_records * self.on_post_n

    # ------------------------------------------------------------------ day
    def run(self, day: int) -> None:
        month, day_in_month = divmod(day, self.cal.days_per_month)
        if day_in_month == 0:
            self._start_month()
        self.market.release(day)
        self.used[:] = 0.0
        self._arrivals(day, month, self.hq_month[day_in_month])
        self._pool(day, month)
        joint_done = self._touches(day, month)
        self._calls(day, month)
        self._records()
        self._end_of_day(day, joint_done)

    def _start_month(self) -> None:
        """HQ leads of the whole month, drawn at once per territory and day (F10), at the
        rate of the reps on post when the month starts."""
        rate = self.s.leads.hq_leads_per_rep_day * self.hq_per_terr
        days, t = self.cal.days_per_month, self.terr_per_block
        self.hq_month = np.concatenate(
            [
                g.poisson(rate[b * t : (b + 1) * t], size=(days, t))
                for b, g in enumerate(self.rng.arrivals.gens)
            ],
            axis=1,
        )

    def _end_of_day(self, day: int, joint_done: np.ndarray) -> None:
        rec, team = self.rec, self.team
        cooled = np.bincount(team.territory, weights=self.cool_rep, minlength=self.market.n)
        self.market.cool(cooled.astype(np.int64) + self.cool_terr, day)
        self.cool_rep[:] = 0
        self.cool_terr[:] = 0
        # Experience and the evening meeting (F17) every day, plus coaching from a joint
        # visit (F16, F18): each closes a share of the gap to the rep's potential.
        rate = self.learn_rate + self.s.supervisor.joint_visit_learning * joint_done
        team.skill += (team.potential - team.skill) * rate
        rec.acc[rc.MINUTES] += self.used
        np.maximum(rec.day_max, self.used, out=rec.day_max)
        self.spare = self.capacity - self.used
        self.pipe.compact()

    # ------------------------------------------------------------- arrivals
    def _arrivals(self, day: int, month: int, hq_per_terr: np.ndarray) -> None:
        """HQ leads (F10) go to a random rep on post of their territory (F15); yesterday's
        referrals (F9) to the rep who was given them. All are entered and due today."""
        got = self.market.take(hq_per_terr)
        n_hq = int(got.sum())
        owners, sources = [], []
        if n_hq:
            terr = np.repeat(np.arange(self.market.n), got)
            u = self.rng.arrivals.random(self._split(self.terr_block[terr], True), n_hq)
            pick = self.hq_start[terr] + u * self.hq_per_terr[terr]
            owners.append(self.hq_reps[pick.astype(np.int64)])
            sources.append(np.full(n_hq, HQ_SRC, dtype=np.int8))
        if self.referrals:
            owner = np.concatenate([o for o, _ in self.referrals])
            source = np.concatenate([s for _, s in self.referrals])
            self.referrals = []
            keep = self.on_post[owner]  # a rep who has left gets no referral
            owner, source = owner[keep], source[keep]
            keep = self._within_market(owner)
            owners.append(owner[keep])
            sources.append(source[keep])
        if owners:
            self._enter(np.concatenate(owners), np.concatenate(sources), day, month)

    def _enter(self, owner: np.ndarray, source: np.ndarray, day: int, month: int) -> None:
        """Enter pushed or referred leads into their owner's pipeline, first call today."""
        n = owner.size
        if n == 0:
            return
        block = self.team.block[owner]
        grade = self._grades(self.rng.arrivals, self._split(block), n)
        grade[source == CUSTOMER_REFERRAL_SRC] = 0  # a referred firm comes with intent (F6 A)
        self.pipe.add(
            n,
            owner=owner,
            territory=self.team.territory[owner],
            state=self.states.of(klass_of(_FAMILY_OF_SOURCE[source], grade), 0),
            grade=grade,
            rank=grade,
            entered=True,
            source=source,
            next_due=day,
            last_touch=day,
            pool_since=-1,
            entry_month=month,
            reclaimed=False,
        )
        n_rep = self.team.n
        by_kind = np.bincount((source != HQ_SRC) * n_rep + owner, minlength=2 * n_rep)
        by_kind = by_kind.reshape(2, n_rep)
        acc = self.rec.acc
        acc[[rc.HQ, rc.REFERRALS]] += by_kind
        acc[rc.CREATED] += by_kind[0] + by_kind[1]
        acc[rc.ENTERED] += by_kind[0] + by_kind[1]
        self.rec.cohort[rc.C_ENTERED, :, month] += self._per_block(block * _N_SRC + source, _N_SRC)

    def _grades(self, rng: BlockRandom, groups: Groups, n: int) -> np.ndarray:
        u = rng.random(groups, n)
        return np.searchsorted(self.odds.grade_cdf, u, side="right").astype(np.int8)

    def _split(self, block: np.ndarray, is_sorted: bool = False) -> Groups:
        """Elements grouped by replication, for routing draws (nothing to do for one)."""
        return split_blocks(block, self.n_blocks, is_sorted) if self.n_blocks > 1 else []

    def _per_block(self, key: np.ndarray, width: int, weights=None) -> np.ndarray:
        """Counts of ``key = block * width + column``, as a (blocks, width) array."""
        counts = np.bincount(key, weights=weights, minlength=self.n_blocks * width)
        return counts.reshape(self.n_blocks, width)

    # ---------------------------------------------------------------- pool
    def _pool(self, day: int, month: int) -> None:
        """F11: leads untouched for a week leave their owner; pool leads expire or are claimed."""
        p, leads = self.pipe, self.s.leads
        stale = np.flatnonzero(p.last_touch < day - leads.stale_after_days)  # owned leads only
        if stale.size:
            self.rec.acc[rc.STALE] += np.bincount(p.owner[stale], minlength=self.team.n)
            p.owner[stale] = POOL
            p.pool_since[stale] = day
            p.next_due[stale] = NEVER
            p.last_touch[stale] = NEVER
            self.n_pool += stale.size
        if self.n_pool == 0:
            return
        pool_idx = np.flatnonzero(p.owner == POOL)
        expired = day - p.pool_since[pool_idx] >= leads.pool_expiry_days
        if expired.any():
            gone = pool_idx[expired]
            self.rec.team[:, month, rc.POOL_EXPIRED] += self._per_block(
                self.terr_block[p.territory[gone]], 1
            )[:, 0]
            lost = np.full(gone.size, LOST, dtype=np.int64)
            self._close(gone, p.owner[gone], np.zeros(gone.size, np.int64), lost, day, month)
            self.n_pool -= gone.size
            pool_idx = pool_idx[~expired]
        if leads.pool_claims_per_rep_day == 0 or pool_idx.size == 0:
            return
        pool_idx = pool_idx[np.argsort(p.pool_since[pool_idx], kind="stable")]  # oldest first
        can_claim = self.on_post & (self.spare >= self.s.rep.followup_minutes)
        claimers = []
        for t in np.unique(p.territory[pool_idx]):
            leads_t = pool_idx[p.territory[pool_idx] == t]
            reps_t = self.reps_by_territory[t]
            reps_t = reps_t[can_claim[reps_t]]
            if reps_t.size == 0:
                continue
            reps_t = reps_t[np.argsort(-self.spare[reps_t], kind="stable")]
            slots = np.tile(reps_t, leads.pool_claims_per_rep_day)[: leads_t.size]
            claimed = leads_t[: slots.size]
            p.owner[claimed] = slots
            p.pool_since[claimed] = -1
            p.last_touch[claimed] = day
            p.next_due[claimed] = day
            p.reclaimed[claimed] = True
            self.n_pool -= claimed.size
            claimers.append(slots)
        if claimers:
            self.rec.acc[rc.CLAIMS] += np.bincount(np.concatenate(claimers), minlength=self.team.n)

    # ------------------------------------------------------------- touches
    def _touches(self, day: int, month: int) -> np.ndarray:
        """Due touches in visiting order within each rep's minutes; returns who got coached."""
        p, team, rec = self.pipe, self.team, self.rec
        n_rep = team.n
        joint_done = np.zeros(n_rep, dtype=bool)
        due = np.flatnonzero(p.next_due <= day)  # owned open leads only: others are NEVER due
        if due.size == 0:
            rec.acc[rc.VISITS_SHORT] += self.s.rep.norms.visits * self.on_post_n
            return joint_done
        idx = self._fit_to_minutes(due, day)
        if self.n_blocks > 1:  # replication by replication, each in its own order
            idx = idx[np.argsort(team.block[p.owner[idx]], kind="stable")]
        owner = p.owner[idx]
        state = p.state[idx].astype(np.intp)
        st = self.states
        fresh = ~p.entered[idx]
        self.used += np.bincount(owner, weights=st.cost[state], minlength=n_rep)
        # The supervisor joins each rota rep's first visit-type touch of the day (F16).
        mult = team.skill[owner]
        joint_today = team.joint_visit_reps(day, self.s.supervisor.joint_visits_per_day)
        cand = np.flatnonzero((st.kind[state] >= 1) & joint_today[owner])
        if cand.size:
            cand = cand[np.argsort(self._visit_order(idx[cand], day), kind="stable")]
            c_owner = owner[cand]
            first = np.empty(cand.size, dtype=bool)
            first[0] = True
            np.not_equal(c_owner[1:], c_owner[:-1], out=first[1:])
            mult[cand[first]] *= self.joint_mult
            joint_done[c_owner[first]] = True
            rec.acc[rc.JOINT] += joint_done
        # Outcomes. A booked first visit is valid with F3's share (F5) before it can sign.
        block = team.block[owner]
        groups = self._split(block, is_sorted=True)
        u = self.rng.touches.random(groups, idx.size)
        lose = st.lose[state]
        sign = np.minimum(st.sign[state] * mult, 1.0 - lose)
        says_no = (u >= sign) & ((u < sign + lose) | st.final[state])
        outcome = (u < sign) * SIGNED + says_no * LOST
        # Drawn for every touch, fresh or not, so a replication's draws never depend on
        # the other replications of its block.
        invalid = fresh & (
            self.rng.visits.random(groups, idx.size) >= self.s.leads.valid_share_of_first_visits
        )
        if fresh.any():
            outcome[invalid] = DISCARDED
            valid = fresh & ~invalid
            ok = idx[valid]
            p.entered[ok] = True
            p.rank[ok] = p.grade[ok]
            p.entry_month[ok] = month
            entered_now = self._per_block(block[valid], 1)[:, 0]
            rec.cohort[rc.C_ENTERED, :, month, PROSPECTED_SRC] += entered_now
        code = (st.kind[state] * 4 + outcome) * 2 + fresh
        per_rep = np.bincount(owner * _N_CODES + code, minlength=n_rep * _N_CODES)
        per_rep = per_rep.reshape(n_rep, _N_CODES) @ self.code_weights
        rec.acc[self.counters] += per_rep.T
        # F1 norm of on-site visits (first visits); the shortfall is what F32 fines.
        short = np.maximum(self.s.rep.norms.visits - per_rep[:, 1], 0) * self.on_post_n
        rec.acc[rc.VISITS_SHORT] += short
        # Advance the leads that stay open.
        p.state[idx] = state + 1
        p.last_touch[idx] = day
        p.next_due[idx] = day + st.gap[state]
        closed = np.flatnonzero(outcome)
        if closed.size:
            touch = st.touch[state[closed]]
            self._close(idx[closed], owner[closed], touch, outcome[closed], day, month)
        return joint_done

    def _visit_order(self, idx: np.ndarray, day: int) -> np.ndarray:
        """Sort key of a rep's day: rep, then rank (grade A first; booked first visits
        last), then the most overdue first (F6)."""
        p = self.pipe
        overdue = np.minimum(day - p.next_due[idx], 63)
        return (p.owner[idx].astype(np.int64) * 16 + p.rank[idx]) * 64 + (63 - overdue)

    def _fit_to_minutes(self, due: np.ndarray, day: int) -> np.ndarray:
        """The due touches each rep gets through today, in visiting order, as far as the
        minutes go; booked first visits that do not fit are cancelled."""
        p, n_rep = self.pipe, self.team.n
        owner = p.owner[due]
        cost = self.states.cost[p.state[due]]
        over = np.bincount(owner, weights=cost, minlength=n_rep) > self.capacity
        if not over.any():  # the common day: every due touch fits
            return due
        busy = over[owner]
        order = due[busy]
        order = order[np.argsort(self._visit_order(order, day), kind="stable")]
        o, c = p.owner[order], self.states.cost[p.state[order]]
        cum = np.cumsum(c)
        new_rep = np.empty(order.size, dtype=bool)
        new_rep[0] = True
        np.not_equal(o[1:], o[:-1], out=new_rep[1:])
        fits = cum - np.maximum.accumulate(np.where(new_rep, cum - c, 0.0)) <= self.capacity
        missed = ~fits & ~p.entered[order]
        if missed.any():
            per_rep = np.bincount(o[missed], minlength=n_rep)
            self.rec.acc[rc.CANCELLED] += per_rep
            self.cool_rep += per_rep
            p.close(order[missed])
        return np.concatenate((due[~busy], order[fits]))

    # ---------------------------------------------------------------- calls
    def _calls(self, day: int, month: int) -> None:
        """Appointment calls: a rare phone close (F7 touch 0), else maybe a booked visit."""
        rep, rng, team = self.s.rep, self.rng.calls, self.team
        block = team.block
        norm = rep.norms.phone_appointments
        room = ((self.capacity - self.used) // rep.phone_minutes).astype(np.int64)
        calls = np.minimum(np.minimum(self.interested, room), norm) * self.on_post_n
        self.used += calls * rep.phone_minutes
        p_close = np.minimum(self.odds.phone_close * team.skill, 1.0 - 1e-12)
        closes = rare_binomial(calls, p_close, rng.random(self.rep_groups, team.n))
        u_book = rng.random(self.rep_groups, team.n)
        booked = binomial_from_table(calls - closes, self.booking_cdf, u_book)
        left = self.interested - calls
        waiting = np.minimum(left, norm)  # interest not called within a day's norm cools off
        self.cool_rep += calls - closes - booked + left - waiting
        self.interested = waiting
        self.rec.acc[rc.CALLS] += calls
        n_b = int(booked.sum())
        if n_b:
            owner = np.repeat(np.arange(team.n), booked)
            grade = self._grades(rng, self._split(block[owner], is_sorted=True), n_b)
            self.pipe.add(
                n_b,
                owner=owner,
                territory=team.territory[owner],
                state=self.states.of(klass_of(PROSPECTED, grade), 1),
                grade=grade,
                rank=4 + grade,
                entered=False,
                source=PROSPECTED_SRC,
                next_due=day + 1,
                last_touch=day,
                pool_since=-1,
                entry_month=month,
                reclaimed=False,
            )
        if closes.any():  # rare: about one call in 6,000
            self._phone_closes(closes, day, month)

    def _phone_closes(self, closes: np.ndarray, day: int, month: int) -> None:
        """Own prospects who sign on the appointment call: entered and signed at once."""
        team, rec = self.team, self.rec
        acc = rec.acc
        acc[rc.CREATED] += closes
        acc[rc.ENTERED] += closes
        acc[rc.SIGNINGS] += closes
        acc[rc.PHONE_CLOSES] += closes
        per_block = self._per_block(team.block, 1, weights=closes)[:, 0].astype(np.int64)
        rec.cohort[rc.C_ENTERED, :, month, PROSPECTED_SRC] += per_block
        rec.cohort[rc.C_SIGNED, :, month, PROSPECTED_SRC] += per_block
        owner = np.repeat(np.arange(team.n), closes)
        self._book_signings(owner, np.zeros(owner.size, dtype=np.int64), month)
        self.market.sign(np.bincount(team.territory[owner], minlength=self.market.n))
        self._referrals(owner, np.full(owner.size, SIGNED))

    # -------------------------------------------------------------- records
    def _records(self) -> None:
        """Evening prospect records (F1), limited by the firms left in each territory."""
        team, market = self.team, self.market
        want = self.records_want
        demand = np.bincount(team.territory, weights=want, minlength=market.n).astype(np.int64)
        got = market.take(demand)
        if (got < demand).any():  # a saturating territory: its reps share what is left
            share = got / np.maximum(demand, 1)
            want = np.floor(want * share[team.territory]).astype(np.int64)
            used = np.bincount(team.territory, weights=want, minlength=market.n).astype(np.int64)
            market.give_back(got - used)
        self.rec.acc[rc.RECORDS] += want
        u = self.rng.records.random(self.rep_groups, team.n)
        new = binomial_from_table(want, self.interest_cdf, u)
        self.interested += new
        self.cool_rep += want - new

    # ---------------------------------------------------------- outcomes
    def _close(self, idx, owner, touch, outcome, day: int, month: int) -> None:
        """Book closed pipeline leads: signed, lost (said no, dropped, expired in the pool)
        or discarded (an invalid first visit, never entered)."""
        p, rec = self.pipe, self.rec
        signed = outcome == SIGNED
        lost = outcome == LOST
        entered = signed | lost
        terr = p.territory[idx]
        block = self.terr_block[terr]
        # Cohorts by (block, entry month, source), signed and lost at once.
        e_idx = idx[entered]
        m_total = rec.cohort.shape[2]
        cohort = (block[entered] * m_total + p.entry_month[e_idx]) * _N_SRC + p.source[e_idx]
        both = self._per_block(cohort * 2 + lost[entered], m_total * _N_SRC * 2)
        both = both.reshape(self.n_blocks, m_total, _N_SRC, 2)
        rec.cohort[rc.C_SIGNED] += both[..., 0]
        rec.cohort[rc.C_LOST] += both[..., 1]
        # Firms by territory: column 0 signed (customers), 1 lost and 2 discarded (cool off).
        by_terr = np.bincount(terr * 3 + outcome - 1, minlength=3 * self.market.n).reshape(-1, 3)
        self.cool_terr += by_terr[:, 1] + by_terr[:, 2]
        if signed.any():
            s = np.flatnonzero(signed)
            reclaimed = self._per_block(block[s], 1, weights=p.reclaimed[idx[s]])[:, 0]
            rec.team[:, month, rc.RECLAIMED_SIGNINGS] += reclaimed
            self._book_signings(owner[s], touch[s], month)
            self.market.sign(by_terr[:, 0])
        p.close(idx)
        asked = owner >= 0  # a pool lead that expires has nobody to ask
        self._referrals(owner[asked], outcome[asked])

    def _book_signings(self, owner: np.ndarray, touch: np.ndarray, month: int) -> None:
        """Revenue and the F7 touch count of new deals."""
        rec, block = self.rec, self.team.block[owner]
        value = self.rng.deals.lognormal(
            self.deal_mu, self.deal_sigma, self._split(block, is_sorted=True), owner.size
        )
        rec.acc[rc.REVENUE] += np.bincount(owner, weights=value, minlength=self.team.n)
        n_touch = rec.signings_by_touch.shape[2]
        rec.signings_by_touch[:, month] += self._per_block(block * n_touch + touch, n_touch)

    def _referrals(self, owner: np.ndarray, outcome: np.ndarray) -> None:
        """F9: new customers refer firms, and reps ask every non-buyer for a referral.

        Each closed lead gives Poisson(rate) referrals; drawn as one Poisson total per
        outcome and replication, spread uniformly over its leads (the same distribution).
        """
        for kind, source in ((SIGNED, CUSTOMER_REFERRAL_SRC), (LOST, NONBUYER_REFERRAL_SRC)):
            rate = self.referral_rate[kind]
            if rate == 0:
                continue
            givers = owner[outcome == kind]
            groups = self._split(self.team.block[givers], is_sorted=True) or [(0, slice(None))]
            for b, sel in groups:
                gen, mine = self.rng.referrals.gens[b], givers[sel]
                k = gen.poisson(rate * mine.size) if mine.size else 0
                if k:
                    picked = mine[(gen.random(k) * mine.size).astype(np.int64)]
                    self.referrals.append((picked, np.full(k, source, dtype=np.int8)))

    def _within_market(self, reps: np.ndarray) -> np.ndarray:
        """Mask of the referrals whose territory still has a firm to give."""
        terr = self.team.territory[reps]
        want = np.bincount(terr, minlength=self.market.n)
        got = self.market.take(want)
        if (got == want).all():
            return np.ones(reps.size, dtype=bool)
        order = np.argsort(terr, kind="stable")
        rank = np.arange(reps.size) - np.searchsorted(terr[order], terr[order])
        keep = np.zeros(reps.size, dtype=bool)
        keep[order] = rank < got[terr[order]]
        return keep

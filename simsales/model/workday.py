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

Before the reps start: cooling-off firms return, HQ leads (F10) and referrals (F9)
arrive, leads untouched for a week go to the public pool (F11), pool leads expire
or are claimed by reps of the territory who had time to spare yesterday.
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.rng import Streams
from simsales.metrics import records as rc
from simsales.metrics.records import Recorder
from simsales.model.market import Market
from simsales.model.odds import PROSPECTED, PUSHED, REFERRED, LeadOdds, klass_of
from simsales.model.pipeline import (
    CUSTOMER_REFERRAL_SRC,
    HQ_SRC,
    NONBUYER_REFERRAL_SRC,
    POOL,
    PROSPECTED_SRC,
    Pipeline,
)
from simsales.model.team import Team
from simsales.scenario.schema import Scenario

_FAMILY_OF_SOURCE = np.array([PROSPECTED, PUSHED, REFERRED, PUSHED], dtype=np.int8)
_TOUCH_KIND = (rc.CALLS, rc.VISITS, rc.FOLLOWUPS)  # touch 0, touch 1, touch >= 2


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
        rec: Recorder,
    ):
        self.s, self.cal, self.rng, self.team = scenario, cal, streams, team
        self.market, self.pipe, self.odds, self.rec = market, pipe, odds, rec
        rep, leads = scenario.rep, scenario.leads
        n = team.n
        self.capacity = float(rep.minutes_per_day)
        # Minutes of a pipeline touch by its index: 0 = call, 1 = first visit, else follow-up.
        self.touch_cost = np.full(odds.sign.shape[1] + 1, rep.followup_minutes)
        self.touch_cost[0], self.touch_cost[1] = rep.phone_minutes, rep.visit_minutes
        self.joint_mult = scenario.supervisor.joint_visit_close_multiplier
        self.learn_rate = (
            scenario.skill.learning_per_day + scenario.supervisor.evening_meeting_learning_per_day
        )
        self.interested = np.zeros(n, dtype=np.int64)  # prospects waiting for a call
        self.spare = np.zeros(n)  # minutes left over yesterday
        self.used = np.zeros(n)  # minutes used today
        self.cool_rep = np.zeros(n, dtype=np.int64)  # firms a rep let go today (cool off)
        self.cool_terr = np.zeros(market.n, dtype=np.int64)  # firms of closed leads today
        self.referrals: list[tuple[np.ndarray, int]] = []  # (reps, source) arriving tomorrow
        self.reps_by_territory = [np.flatnonzero(team.territory == t) for t in range(market.n)]
        sigma2 = np.log1p(leads.deal_value_cv**2)
        self.deal_mu, self.deal_sigma = np.log(leads.deal_value_mean) - sigma2 / 2, np.sqrt(sigma2)

    # ------------------------------------------------------------------ day
    def run(self, day: int) -> None:
        month = day // self.cal.days_per_month
        self.market.release(day)
        self.used[:] = 0.0
        self._arrivals(day, month)
        self._pool(day, month)
        joint_done = self._touches(day, month)
        self._calls(day, month)
        self._records(month)
        self._end_of_day(day, joint_done)

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
    def _arrivals(self, day: int, month: int) -> None:
        """HQ leads (F10) and yesterday's referrals (F9) enter the CRM, owned by a rep."""
        leads, rng, team = self.s.leads, self.rng.arrivals, self.team
        owners, sources = [], []
        if leads.hq_leads_per_rep_day > 0:
            # Each territory's HQ leads go to its reps on post at random (F10, F15).
            reps = np.flatnonzero(team.on_post())
            reps = reps[np.argsort(team.territory[reps], kind="stable")]
            per_terr = np.bincount(team.territory[reps], minlength=self.market.n)
            got = self.market.take(rng.poisson(leads.hq_leads_per_rep_day * per_terr))
            n = int(got.sum())
            if n:
                terr = np.repeat(np.arange(self.market.n), got)
                start = np.cumsum(per_terr) - per_terr
                owners.append(reps[start[terr] + (rng.random(n) * per_terr[terr]).astype(np.int64)])
                sources.append(np.full(n, HQ_SRC, dtype=np.int8))
        if self.referrals:
            reps = np.concatenate([r for r, _ in self.referrals])
            src = np.concatenate([np.full(r.size, s, dtype=np.int8) for r, s in self.referrals])
            self.referrals = []
            on_post = team.on_post()[reps]  # a rep who left gets no referral
            reps, src = reps[on_post], src[on_post]
            keep = self._within_market(reps)
            owners.append(reps[keep])
            sources.append(src[keep])
        if not owners:
            return
        owner = np.concatenate(owners)
        source = np.concatenate(sources)
        n = owner.size
        if n == 0:
            return
        grade = self._grades(rng, n)
        grade[source == CUSTOMER_REFERRAL_SRC] = 0  # a referred firm comes with intent (F6 A)
        self.pipe.add(
            n,
            owner=owner,
            territory=team.territory[owner],
            klass=klass_of(_FAMILY_OF_SOURCE[source], grade),
            grade=grade,
            rank=grade,
            entered=True,
            source=source,
            next_touch=0,
            next_due=day,
            last_touch=day,
            pool_since=-1,
            entry_month=month,
            reclaimed=False,
        )
        r = team.n
        counts = np.bincount((source != HQ_SRC) * r + owner, minlength=2 * r).reshape(2, r)
        acc = self.rec.acc
        acc[[rc.HQ, rc.REFERRALS]] += counts
        both = counts.sum(axis=0)
        acc[rc.CREATED] += both
        acc[rc.ENTERED] += both
        self.rec.cohort[rc.C_ENTERED, month] += np.bincount(source, minlength=4)

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

    def _grades(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.odds.grade_cdf, rng.random(n), side="right").astype(np.int8)

    # ---------------------------------------------------------------- pool
    def _pool(self, day: int, month: int) -> None:
        """F11: leads untouched for a week leave their owner; pool leads expire or are claimed."""
        p, leads = self.pipe, self.s.leads
        stale = np.flatnonzero((p.owner >= 0) & (day - p.last_touch > leads.stale_after_days))
        if stale.size:
            self.rec.acc[rc.STALE] += np.bincount(p.owner[stale], minlength=self.team.n)
            p.owner[stale] = POOL
            p.pool_since[stale] = day
        pool_idx = np.flatnonzero(p.owner == POOL)
        if pool_idx.size == 0:
            return
        expired = day - p.pool_since[pool_idx] >= leads.pool_expiry_days
        if expired.any():
            gone = pool_idx[expired]
            self.rec.team[month, rc.POOL_EXPIRED] += gone.size
            self._lost(gone, month)
            pool_idx = pool_idx[~expired]
        if leads.pool_claims_per_rep_day == 0 or pool_idx.size == 0:
            return
        pool_idx = pool_idx[np.argsort(p.pool_since[pool_idx], kind="stable")]  # oldest first
        can_claim = self.team.on_post() & (self.spare >= self.s.rep.followup_minutes)
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
            claimers.append(slots)
        if claimers:
            self.rec.acc[rc.CLAIMS] += np.bincount(np.concatenate(claimers), minlength=self.team.n)

    # ------------------------------------------------------------- touches
    def _touches(self, day: int, month: int) -> np.ndarray:
        """Due touches in visiting order within each rep's minutes; returns who got coached."""
        p, team, odds, rec = self.pipe, self.team, self.odds, self.rec
        n_rep = team.n
        joint_today = team.joint_visit_reps(day, self.s.supervisor.joint_visits_per_day)
        own = p.owner
        due = np.flatnonzero((own >= 0) & (p.next_due <= day))
        if due.size == 0:
            rec.acc[rc.VISITS_SHORT] += self.s.rep.norms.visits * team.on_post()
            return np.zeros(n_rep, dtype=bool)
        idx = self._fit_to_minutes(due, day)
        owner, entered = own[idx], p.entered[idx]
        touch = p.next_touch[idx].astype(np.int64)
        cost = self.touch_cost[touch]
        self.used += np.bincount(owner, weights=cost, minlength=n_rep)
        kind = np.minimum(touch, 2)
        by_kind = np.bincount(kind * n_rep + owner, minlength=3 * n_rep).reshape(3, n_rep)
        rec.acc[list(_TOUCH_KIND)] += by_kind
        # F1 norm of on-site visits (first visits); the shortfall is what F32 fines.
        short = np.maximum(self.s.rep.norms.visits - by_kind[1], 0) * team.on_post()
        rec.acc[rc.VISITS_SHORT] += short
        # First visits of own prospects: valid ones (F5, F3) are entered into the CRM.
        active = entered.copy()
        fresh = np.flatnonzero(~entered)
        if fresh.size:
            valid = self.rng.visits.random(fresh.size) < self.s.leads.valid_share_of_first_visits
            f_owner = owner[fresh]
            made = np.bincount(f_owner, minlength=n_rep)
            good = np.bincount(f_owner[valid], minlength=n_rep)
            rec.acc[rc.CREATED] += made
            rec.acc[rc.ENTERED] += good
            rec.acc[rc.DISCARDED] += made - good
            self.cool_rep += made - good
            rec.cohort[rc.C_ENTERED, month, PROSPECTED_SRC] += int(valid.sum())
            ok = idx[fresh[valid]]
            p.entered[ok] = True
            p.rank[ok] = p.grade[ok]
            p.entry_month[ok] = month
            active[fresh[valid]] = True
            p.close(idx[fresh[~valid]])
        # The supervisor joins each rota rep's first visit-type touch of the day (F16).
        mult = team.skill[owner]
        cand = np.flatnonzero(active & (touch >= 1) & joint_today[owner])
        joint_done = np.zeros(n_rep, dtype=bool)
        if cand.size:
            cand = cand[np.argsort(self._visit_order(idx[cand], day))]
            c_owner = owner[cand]
            first = np.empty(cand.size, dtype=bool)
            first[0] = True
            np.not_equal(c_owner[1:], c_owner[:-1], out=first[1:])
            mult[cand[first]] *= self.joint_mult
            joint_done[c_owner[first]] = True
            rec.acc[rc.JOINT] += joint_done
        klass = p.klass[idx]
        lose = odds.lose[klass, touch]
        sign = np.minimum(odds.sign[klass, touch] * mult, 1.0 - lose)
        u = self.rng.touches.random(idx.size)
        signed = active & (u < sign)
        lost = active & ~signed & ((u < sign + lose) | (touch >= odds.last_touch))
        # Advance the leads that stay open; a call books the first visit for tomorrow.
        p.next_touch[idx] = touch + 1
        p.last_touch[idx] = day
        p.next_due[idx] = day + np.where(touch == 0, 1, odds.cadence[p.grade[idx]])
        if signed.any():
            s_idx = idx[signed]
            rec.acc[rc.PHONE_CLOSES] += np.bincount(owner[signed & (touch == 0)], minlength=n_rep)
            self._signed(
                owner[signed],
                p.territory[s_idx],
                p.entry_month[s_idx],
                p.source[s_idx],
                touch[signed],
                int(p.reclaimed[s_idx].sum()),
                month,
            )
            p.close(s_idx)
        if lost.any():
            l_idx = idx[lost]
            self._lost(l_idx, month)
            self._nonbuyer_referrals(owner[lost])
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
        cost = self.touch_cost[p.next_touch[due]]
        over = np.bincount(owner, weights=cost, minlength=n_rep) > self.capacity
        if not over.any():  # the common day: every due touch fits
            return due
        busy = over[owner]
        order = due[busy]
        order = order[np.argsort(self._visit_order(order, day))]
        o, c = p.owner[order], self.touch_cost[p.next_touch[order]]
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
        rep, leads, rng, team = self.s.rep, self.s.leads, self.rng.calls, self.team
        norm = rep.norms.phone_appointments
        room = np.floor((self.capacity - self.used) / rep.phone_minutes).astype(np.int64)
        calls = np.clip(np.minimum(self.interested, room), 0, norm) * team.on_post()
        self.used += calls * rep.phone_minutes
        closes = rng.binomial(calls, np.minimum(self.odds.phone_close * team.skill, 1.0))
        booked = rng.binomial(calls - closes, leads.booked_share_of_calls)
        left = self.interested - calls
        waiting = np.minimum(left, norm)  # interest not called within a day's norm cools off
        self.cool_rep += calls - closes - booked + left - waiting
        self.interested = waiting
        self.rec.acc[rc.CALLS] += calls
        n_b = int(booked.sum())
        if n_b:
            owner = np.repeat(np.arange(team.n), booked)
            grade = self._grades(rng, n_b)
            self.pipe.add(
                n_b,
                owner=owner,
                territory=team.territory[owner],
                klass=klass_of(PROSPECTED, grade),
                grade=grade,
                rank=4 + grade,
                entered=False,
                source=PROSPECTED_SRC,
                next_touch=1,
                next_due=day + 1,
                last_touch=day,
                pool_since=-1,
                entry_month=month,
                reclaimed=False,
            )
        n_c = int(closes.sum())
        if n_c:
            acc = self.rec.acc
            acc[rc.PHONE_CLOSES] += closes
            acc[rc.CREATED] += closes
            acc[rc.ENTERED] += closes
            self.rec.cohort[rc.C_ENTERED, month, PROSPECTED_SRC] += n_c
            owner = np.repeat(np.arange(team.n), closes)
            self._signed(
                owner,
                team.territory[owner],
                np.full(n_c, month),
                np.full(n_c, PROSPECTED_SRC),
                np.zeros(n_c, dtype=np.int64),
                0,
                month,
            )

    # -------------------------------------------------------------- records
    def _records(self, month: int) -> None:
        """Evening prospect records (F1), limited by the firms left in each territory."""
        team, market = self.team, self.market
        want = self.s.rep.norms.prospect_records * team.on_post().astype(np.int64)
        demand = np.bincount(team.territory, weights=want, minlength=market.n).astype(np.int64)
        got = market.take(demand)
        if (got < demand).any():  # a saturating territory: its reps share what is left
            share = got / np.maximum(demand, 1)
            want = np.floor(want * share[team.territory]).astype(np.int64)
            used = np.bincount(team.territory, weights=want, minlength=market.n).astype(np.int64)
            market.give_back(got - used)
        self.rec.acc[rc.RECORDS] += want
        new = self.rng.records.binomial(want, self.s.leads.interested_share_of_records)
        self.interested += new
        self.cool_rep += want - new

    # ---------------------------------------------------------- outcomes
    def _signed(self, owner, territory, entry_month, source, touch, reclaimed: int, month) -> None:
        rec, leads, n_rep = self.rec, self.s.leads, self.team.n
        n = owner.size
        value = self.rng.deals.lognormal(self.deal_mu, self.deal_sigma, n)
        rec.acc[rc.SIGNINGS] += np.bincount(owner, minlength=n_rep)
        rec.acc[rc.REVENUE] += np.bincount(owner, weights=value, minlength=n_rep)
        rec.signings_by_touch[month] += np.bincount(touch, minlength=rec.signings_by_touch.shape[1])
        np.add.at(rec.cohort[rc.C_SIGNED], (entry_month, source), 1)
        rec.team[month, rc.RECLAIMED_SIGNINGS] += reclaimed
        self.market.sign(np.bincount(territory, minlength=self.market.n))
        if leads.customer_referrals_per_signing > 0:
            k = self.rng.referrals.poisson(leads.customer_referrals_per_signing, n)
            if k.any():
                self.referrals.append((np.repeat(owner, k), CUSTOMER_REFERRAL_SRC))

    def _lost(self, idx: np.ndarray, month: int) -> None:
        """Close entered leads that said no, were dropped, or expired in the pool."""
        p = self.pipe
        np.add.at(self.rec.cohort[rc.C_LOST], (p.entry_month[idx], p.source[idx]), 1)
        owner = p.owner[idx]
        self.rec.acc[rc.LOST] += np.bincount(owner[owner >= 0], minlength=self.team.n)
        self.cool_terr += np.bincount(p.territory[idx], minlength=self.market.n)
        p.close(idx)

    def _nonbuyer_referrals(self, owner: np.ndarray) -> None:
        """F9: reps ask every non-buyer for a referral; some give one."""
        rate = self.s.leads.nonbuyer_referrals_per_lost_lead
        if rate > 0 and owner.size:
            k = self.rng.referrals.poisson(rate, owner.size)
            if k.any():
                self.referrals.append((np.repeat(owner, k), NONBUYER_REFERRAL_SRC))

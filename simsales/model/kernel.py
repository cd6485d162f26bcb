"""One working day of the whole team, compiled (numba): loops over reps and leads.

Order of a rep's day (F6: best prospects first; due follow-ups before new visits):

1. pipeline touches due today, in this order: entered leads by grade (A first,
   then the longest overdue), then the first visits booked yesterday, as far as the
   working minutes go (F4, F42); booked visits that do not fit are cancelled. A
   supervisor joins the first visit-type touch of the reps on today's rota (F16).
   A rep working ahead (``DayState.due_until``: the month-end surge, F13, or a rep
   pulling deals into this pay period) also makes, last, the follow-ups due up to
   that day, in the minutes the day's appointment calls leave; a deal a rep pulling
   for pay (``DayState.pulling``) signs on a touch due in the next period is a pulled
   deal. A
   rep holding deals (``DayState.hold``) books today's signings in the next period;
2. appointment calls to interested prospects (F1: 5 a day); a call can close on
   the phone (F7 touch 0) or book a first visit for tomorrow (F1: 3 a day);
3. after work, new prospect records (F1: 30 a day; the seed says they are handed
   in in the evening, so they take no working minutes).

Before the reps start: cooling-off firms return, HQ leads (F10) and the referrals
given yesterday (F9) arrive, leads untouched for a week go to the public pool (F11),
pool leads expire or are claimed by reps of the territory who had time to spare
yesterday.

Why compiled: a day is a few passes over the leads, and as numpy calls it needed
about 250 small array operations whatever the team size, several times the cost of
SimPy's own event loop. Random numbers come pre-drawn from ``engine.rng.Draws``,
consumed in a fixed order, so a replication depends only on its own streams.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import NamedTuple

import numpy as np
from numba import njit

from simsales.engine.rng import DRAWN, Draws
from simsales.model import events as ev
from simsales.model import ledger as rc
from simsales.model.odds import (
    N_GRADES,
    PROSPECTED,
    PUSHED,
    REFERRED,
    TouchStates,
    touch_sign_chance,
)
from simsales.model.pipeline import (
    CLOSED,
    CUSTOMER_REFERRAL_SRC,
    DUPLICATE_ONE,
    DUPLICATES_MAX,
    ENTERED,
    ENTRY_MONTH,
    FLAGS,
    FOUND_BY,
    GRADE,
    HANDED_BIT,
    HQ_SRC,
    LAST_TOUCH,
    LEAD_ID,
    N_CLOSED,
    N_IDS,
    N_POOL,
    N_ROWS,
    NEVER,
    NEXT_DUE,
    NONBUYER_REFERRAL_SRC,
    OWNER,
    POOL,
    POOL_SINCE,
    PROSPECTED_SRC,
    RANK,
    RECLAIMED_BIT,
    SOURCE,
    STATE,
    TERRITORY,
    TOUCHED_BY,
    WORKED_BY,
)
from simsales.model.sampling import binomial_from_table, poisson_from_uniform, rare_binomial

STAY, SIGNED, LOST, DISCARDED = range(4)  # outcome of a touch
# Draw sources, as indices of Draws.pos.
D_RECORDS, D_CALLS, D_VISITS, D_TOUCHES, D_ARRIVALS, D_DEALS, D_REFERRALS = range(len(DRAWN))
FAMILY_OF_SOURCE = np.array([PROSPECTED, PUSHED, REFERRED, PUSHED], dtype=np.int64)
# Rows of DayState.referrals: referrals from new customers, from non-buyers (F9).
REFERRAL_SOURCES = np.array([CUSTOMER_REFERRAL_SRC, NONBUYER_REFERRAL_SRC], dtype=np.int64)
OVERDUE_CAP = 63  # days of overdue that still raise a lead in the visiting order
AHEAD_KEY = 8 * (OVERDUE_CAP + 1)  # visiting order of touches made ahead: after all due ones

# numba's disk cache (cache=True) is keyed on this file alone, yet the day compiles in
# constants and functions of other modules. Their fingerprint is written here, so that a
# change to any of them changes this file and the day is compiled anew; a test fails
# until COMPILED_WITH is updated to ``dependency_fingerprint()``.
COMPILED_WITH = "b31cfc5e5091f8e6"


def dependency_fingerprint() -> str:
    """Hash of everything from other modules the compiled day builds in."""
    from simsales.model import odds, pipeline, sampling

    parts = [
        rc.REP_COUNTERS,
        rc.TEAM_COUNTERS,
        rc.TERRITORY_COUNTERS,
        rc.COHORT,
        rc.LOG,
        rc.TIMING,
        rc.HELD_OPEN,
        pipeline.COLUMNS,
        pipeline.SOURCES,
        (pipeline.POOL, pipeline.CLOSED, pipeline.NEVER, N_ROWS, N_CLOSED, N_POOL, N_IDS),
        ev.EVENT_FIELDS,
        ev.EVENT_KINDS,
        (odds.N_GRADES, odds.PROSPECTED, odds.PUSHED, odds.REFERRED),
        inspect.getsource(odds.touch_sign_chance.py_func),
        DRAWN,
        inspect.getsource(sampling),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class DayParams(NamedTuple):
    """Scenario numbers the day uses (units as in the scenario)."""

    capacity: float  # working minutes a day (F4, F42)
    phone_minutes: float
    followup_minutes: float
    valid_share: float  # share of first visits that are valid leads (F5)
    joint_multiplier: float  # on the close chance of a joint visit (F16)
    joint_per_day: int  # joint visits a supervisor makes a day (F16)
    learning_per_day: float  # experience plus the evening meeting (F17)
    experience_per_day: float  # experience alone: a rep whose group has no supervisor
    joint_learning: float  # extra share of the skill gap closed by a joint visit
    referrals_per_signing: float  # F9
    referrals_per_lost: float  # F9
    deal_mu: float  # log-scale mean of the deal value
    deal_sigma: float
    phone_close: float  # chance an appointment call closes (reference skill)
    norm_visits: int  # F1
    norm_calls: int  # F1
    norm_records: int  # F1
    stale_after: int  # F11; 0 = never
    pool_expiry: int
    claims_per_day: int
    claim_anyone: bool  # any rep may claim any pool lead (else only its territory's)
    open_market: bool  # any rep may approach any firm: records can hit a worked firm
    duplicate_minutes: float  # minutes lost the next day per duplicated approach
    duplicate_multiplier: float  # factor on a lead's sign chance per duplicated approach
    cooling_off: int
    n_touch: int
    season_sign: float  # the calendar month's multiplier of every sign chance (1: none)
    log_events: bool  # keep the event log (a history run: model.events)


class Tables(NamedTuple):
    """Lookup tables: per-state touch tables and the tables of the daily draws."""

    states: TouchStates
    grade_cdf: np.ndarray  # [territory, grade] cumulative grade mix (F6)
    interest_cdf: np.ndarray  # binomial CDF of interested records a day
    booking_cdf: np.ndarray  # binomial CDF of booked visits a day


class TeamArrays(NamedTuple):
    """Per-rep arrays, and on-post reps grouped by territory (``by_territory``)."""

    territory: np.ndarray
    pos_in_group: np.ndarray
    group_size: np.ndarray  # size of the rep's group
    on_post: np.ndarray
    skill: np.ndarray
    potential: np.ndarray
    by_territory: np.ndarray  # on-post reps sorted by territory (stable)
    territory_start: np.ndarray  # where each territory's reps start in by_territory
    territory_reps: np.ndarray  # on-post reps per territory
    travel: np.ndarray  # extra minutes of each rep's on-site first visits (territory)
    supervised: np.ndarray  # the rep's group has a supervisor (not vacant)
    prospects: np.ndarray  # the rep's role prospects: records, calls, first visits
    closes: np.ndarray  # the rep's role keeps the leads it enters and works them
    norm_records: np.ndarray  # each rep's daily norms (F1; 0 where the role has none)
    norm_calls: np.ndarray
    norm_visits: np.ndarray


class MarketArrays(NamedTuple):
    """Firm counts per territory (see model.market.Market)."""

    firms: np.ndarray
    available: np.ndarray
    untouched: np.ndarray
    cooling: np.ndarray
    customers: np.ndarray
    release: np.ndarray  # [territory, day] firms whose cooling-off ends that day
    sign: np.ndarray  # factor on every sign chance in the territory (a competitor)


class DayState(NamedTuple):
    """What carries from one day to the next, per rep or territory."""

    interested: np.ndarray  # prospects waiting for an appointment call
    spare: np.ndarray  # minutes left over yesterday
    used: np.ndarray  # minutes used today
    cool_rep: np.ndarray  # firms a rep let go today (they cool off)
    cool_terr: np.ndarray  # firms of leads closed today without signing
    referrals: np.ndarray  # [2, rep] referrals given today, entered tomorrow
    hq_today: np.ndarray  # HQ leads arriving today per territory (drawn by the caller)
    joint_done: np.ndarray  # reps coached on a joint visit today
    carry: np.ndarray  # minutes already lost for tomorrow (duplicated approaches today)
    hq_turn: np.ndarray  # (one element) next HQ lead's turn in an open market's rota
    hand_turn: np.ndarray  # per territory: the next closer a prospector's lead goes to
    hold: np.ndarray  # reps who hold today's signings into the next pay period
    pulling: np.ndarray  # reps who work ahead to pull deals into this pay period
    due_until: np.ndarray  # per rep: follow-ups due up to this day are made today
    next_period: np.ndarray  # (one element) first day of the next pay period


class Books(NamedTuple):
    """The Ledger's arrays the day adds to."""

    acc: np.ndarray  # [counter, rep] running month
    day_max: np.ndarray  # busiest day of the running month per rep [min]
    team: np.ndarray  # [month, team counter]
    terr: np.ndarray  # [month, territory counter, territory]
    by_touch: np.ndarray  # [month, touch] signings
    cohort: np.ndarray  # [cohort counter, entry month, source]
    signing_log: np.ndarray  # [deal, records.LOG field]; room for the day's signings
    signing_value: np.ndarray  # [deal] value [yuan]
    log_size: np.ndarray  # signings logged so far (one element)
    events: np.ndarray  # [event, model.events field]: the event log (a history run)
    event_value: np.ndarray  # [event] its value [yuan]
    event_size: np.ndarray  # events logged so far (one element)


@njit(cache=True)
def run_day(
    day: int,
    month: int,
    leads: np.ndarray,
    sizes: np.ndarray,
    p: DayParams,
    tb: Tables,
    team: TeamArrays,
    mk: MarketArrays,
    st: DayState,
    bk: Books,
    dr: Draws,
) -> None:
    """Simulate working day ``day`` (in month ``month``) in place. ``leads`` must have
    room for the day's new leads (``Pipeline.reserve``) and ``dr`` numbers enough for
    the day (``DrawBuffers.ensure``)."""
    for t in range(mk.available.size):  # cooling-off ends
        back = mk.release[t, day]
        mk.available[t] += back
        mk.cooling[t] -= back
    st.used[:] = np.minimum(st.carry, p.capacity)  # a day loses at most all its minutes
    st.carry[:] = 0.0
    st.joint_done[:] = False
    _arrivals(day, month, leads, sizes, p, tb, team, mk, st, bk, dr)
    _pool(day, month, leads, sizes, p, team, mk, st, bk, dr)
    _touches(day, month, leads, sizes, p, tb, team, mk, st, bk, dr)
    _calls(day, month, leads, sizes, p, tb, team, mk, st, bk, dr)
    _records(day, month, leads, sizes, p, tb, team, mk, st, bk, dr)
    _end_of_day(day, leads, sizes, p, team, mk, st, bk)


@njit(cache=True)
def run_days(
    first: int,
    end: int,
    month: int,
    month_start: int,
    hq_month: np.ndarray,
    leads: np.ndarray,
    sizes: np.ndarray,
    p: DayParams,
    tb: Tables,
    team: TeamArrays,
    mk: MarketArrays,
    st: DayState,
    bk: Books,
    dr: Draws,
) -> int:
    """Simulate working days ``first`` .. ``end - 1`` of month index ``month``, which
    starts on day ``month_start`` (``hq_month``: its HQ leads per day in the month and
    territory), in one call, as long as the lead table,
    the signing log and the drawn numbers have room for the next day by the same bounds
    ``TeamDay`` reserves (the first day always has). Returns the first day not run:
    ``end``, or a day the caller must make room for before calling again."""
    for day in range(first, end):
        st.hq_today[:] = hq_month[day - month_start]
        if day > first and not _has_room(leads, sizes, p, st, bk, dr):
            return day
        run_day(day, month, leads, sizes, p, tb, team, mk, st, bk, dr)
    return end


@njit(cache=True)
def day_needs(n_rows, capacity, arrivals, p, need):
    """Most lead rows, logged deals and numbers of each source (``need``, in DRAWN order)
    the next day can use: a touch draws its outcome and validity, a closed lead its deal
    value or referrals. Returns (new lead rows, deals, events): events only in a run that
    logs them (a touch, an entry and a close per lead, a close per pool lead, a row per
    new lead, two rows per rep and a phone close per call)."""
    booked = capacity * p.norm_calls
    touches = n_rows + arrivals
    need[D_RECORDS] = capacity * (2 + p.norm_records) if p.open_market else capacity
    need[D_CALLS] = 2 * capacity + booked
    need[D_VISITS] = touches
    need[D_TOUCHES] = touches
    need[D_ARRIVALS] = 2 * arrivals
    need[D_DEALS] = touches + booked
    need[D_REFERRALS] = touches + booked
    events = 4 * touches + 2 * capacity + 3 * booked if p.log_events else 0
    return arrivals + booked, touches + booked, events


@njit(cache=True)
def _has_room(leads, sizes, p, st, bk, dr):
    arrivals = st.hq_today.sum() + st.referrals.sum()
    need = np.empty(len(DRAWN), dtype=np.int64)
    rows, deals, events = day_needs(sizes[N_ROWS], st.spare.size, arrivals, p, need)
    if sizes[N_ROWS] + rows > leads.shape[1] or bk.log_size[0] + deals > bk.signing_log.shape[0]:
        return False
    if bk.event_size[0] + events > bk.events.shape[0]:
        return False
    left = (dr.records.size - dr.pos[D_RECORDS], dr.calls.size - dr.pos[D_CALLS],
            dr.visits.size - dr.pos[D_VISITS], dr.touches.size - dr.pos[D_TOUCHES],
            dr.arrivals.size - dr.pos[D_ARRIVALS], dr.deals.size - dr.pos[D_DEALS],
            dr.referrals.size - dr.pos[D_REFERRALS])  # fmt: skip
    for s in range(len(DRAWN)):
        if left[s] < need[s]:
            return False
    return True


# Speed note: numba counts references to every array it passes to a function that is
# not inlined, and namedtuples of arrays multiply that. So each stage unpacks the
# arrays it needs once, per-lead loops call only helpers of scalars or one or two
# arrays, and closed leads are booked in one batch (``_book_closed``).


# ------------------------------------------------------------------ helpers
@njit(cache=True)
def _grade(u, grade_cdf):
    """Grade (0..3 = A..D) of a lead for the uniform ``u`` (F6 mix)."""
    g = 0
    while g < N_GRADES - 1 and u >= grade_cdf[g]:
        g += 1
    return g


@njit(cache=True)
def _take(available, untouched, t, wanted):
    """Take up to ``wanted`` firms of territory t into contact; untouched and returning
    firms in proportion to what is available."""
    avail = available[t]
    got = min(wanted, avail)
    if got > 0:
        untouched[t] -= got * untouched[t] // avail
        available[t] = avail - got
    return got


@njit(cache=True)
def _log(bk, day, kind, rep, lead, territory, a, b, c, value):
    """One row of the event log (a history run only: callers check ``p.log_events``)."""
    k = bk.event_size[0]
    row = bk.events[k]
    row[ev.EV_DAY], row[ev.EV_KIND], row[ev.EV_REP], row[ev.EV_LEAD] = day, kind, rep, lead
    row[ev.EV_TERR], row[ev.EV_A], row[ev.EV_B], row[ev.EV_C] = territory, a, b, c
    bk.event_value[k] = value
    bk.event_size[0] = k + 1


@njit(cache=True)
def _new_lead(leads, sizes, bk, day, source):
    """Log the lead just added (the last row): its id, owner, territory, source, grade."""
    i = sizes[N_ROWS] - 1
    lead = sizes[N_IDS]
    sizes[N_IDS] = lead + 1
    leads[LEAD_ID, i] = lead
    _log(bk, day, ev.E_LEAD, leads[OWNER, i], lead, leads[TERRITORY, i], source,
         leads[GRADE, i], 0, 0.0)  # fmt: skip


@njit(cache=True)
def _add_lead(leads, sizes, owner, territory, state, grade, rank, entered, source, due, day, month):
    i = sizes[N_ROWS]
    sizes[N_ROWS] = i + 1
    leads[OWNER, i] = owner
    leads[TERRITORY, i] = territory
    leads[STATE, i] = state
    leads[GRADE, i] = grade
    leads[RANK, i] = rank
    leads[ENTERED, i] = entered
    leads[SOURCE, i] = source
    leads[NEXT_DUE, i] = due
    leads[LAST_TOUCH, i] = day
    leads[POOL_SINCE, i] = -1
    leads[ENTRY_MONTH, i] = month
    leads[FLAGS, i] = 0  # F35 stages: all the owner's until it changes hands


@njit(cache=True)
def _mark_handed(leads, i):
    """Lead i is about to leave its owner: from now on its F35 stages are kept."""
    if leads[FLAGS, i] & HANDED_BIT == 0:
        owner = leads[OWNER, i]
        leads[FOUND_BY, i] = owner
        leads[WORKED_BY, i] = owner
        leads[TOUCHED_BY, i] = owner
        leads[FLAGS, i] |= HANDED_BIT


@njit(cache=True)
def _closer_of(t, team, st, fallback):
    """The next closer of territory t in turn (roles); ``fallback`` if it has none."""
    n = team.territory_reps[t]
    if n == 0:
        return fallback
    c = team.by_territory[team.territory_start[t] + st.hand_turn[t] % n]
    st.hand_turn[t] += 1
    return c


@njit(cache=True)
def _hand_to_closer(leads, i, team, st, acc, r):
    """Prospector r hands entered lead i to a closer of its territory: found by r (F35)."""
    c = _closer_of(leads[TERRITORY, i], team, st, r)
    if c != r:
        _mark_handed(leads, i)
        leads[OWNER, i] = c
        acc[rc.HANDED, r] += 1


@njit(cache=True)
def _mark_closed(leads, sizes, i):
    leads[OWNER, i] = CLOSED
    leads[NEXT_DUE, i] = NEVER
    leads[LAST_TOUCH, i] = NEVER
    sizes[N_CLOSED] += 1


@njit(cache=True)
def _referral_count(outcome, p, u):
    """F9: referrals a closed lead gives (Poisson): a new customer refers firms, a
    non-buyer is asked for one."""
    if outcome == SIGNED:
        rate = p.referrals_per_signing
    elif outcome == LOST:
        rate = p.referrals_per_lost
    else:
        return 0
    return poisson_from_uniform(rate, u) if rate > 0.0 else 0


@njit(cache=True)
def _book_signing(r, t, day, month, value, found, worked, timing, hold, acc, terr, log, log_value,
                  log_size):  # fmt: skip
    """Book one signing of rep r in territory t: in today's month, or held (``hold[r]``)
    until the next period starts (``model.ledger.LOG`` fields)."""
    k = log_size[0]  # the log has a row per deal: one cache line per signing
    if hold[r]:
        acc[rc.HELD, r] += 1
        acc[rc.HELD_REVENUE, r] += value
        log[k, rc.L_DAY], log[k, rc.L_TIMING] = rc.HELD_OPEN, rc.HELD_DEAL
    else:
        acc[rc.SIGNINGS, r] += 1
        acc[rc.REVENUE, r] += value
        acc[rc.PULLED, r] += timing == rc.PULLED_DEAL
        terr[month, rc.T_SIGNINGS, t] += 1
        terr[month, rc.T_REVENUE, t] += value
        log[k, rc.L_DAY], log[k, rc.L_TIMING] = day, timing
    log[k, rc.L_REP], log[k, rc.L_FOUND], log[k, rc.L_WORKED] = r, found, worked
    log[k, rc.L_TERR] = t
    log_value[k] = value
    log_size[0] = k + 1


@njit(cache=True)
def _book_closed(idx, owner, touch, outcome, timing, day, month, leads, sizes, p, mk, st, bk, dr):
    """Book leads closed today: signed, lost (said no, dropped, expired in the pool) or
    discarded (an invalid first visit, never entered). ``owner`` is POOL for a pool
    lead that expired (nobody to ask for a referral)."""
    acc, cohort, by_touch, team_books = bk.acc, bk.cohort, bk.by_touch, bk.team
    customers, cool_terr, referrals = mk.customers, st.cool_terr, st.referrals
    deals, u_ref, pos = dr.deals, dr.referrals, dr.pos
    k_deal, k_ref = pos[D_DEALS], pos[D_REFERRALS]
    log, log_value, log_size, hold = bk.signing_log, bk.signing_value, bk.log_size, st.hold
    terr = bk.terr
    for j in range(idx.size):
        i, r, o = idx[j], owner[j], outcome[j]
        t = leads[TERRITORY, i]
        if o == SIGNED:
            cohort[rc.C_SIGNED, leads[ENTRY_MONTH, i], leads[SOURCE, i]] += 1
            reclaimed = leads[FLAGS, i] & RECLAIMED_BIT
            team_books[month, rc.RECLAIMED_SIGNINGS] += reclaimed
            terr[month, rc.T_RECLAIMED, t] += reclaimed
            handed = leads[FLAGS, i] & HANDED_BIT
            found = leads[FOUND_BY, i] if handed else r
            worked = leads[WORKED_BY, i] if handed else r
            value = np.exp(p.deal_mu + p.deal_sigma * deals[k_deal])  # lognormal
            k_deal += 1
            _book_signing(r, t, day, month, value, found, worked, timing[j], hold, acc, terr,
                          log, log_value, log_size)  # fmt: skip
            by_touch[month, touch[j]] += 1
            customers[t] += 1
            if p.log_events:
                _log(bk, day, ev.E_CLOSED, r, leads[LEAD_ID, i], t, SIGNED, 0, 0, value)
        else:
            if o == LOST:
                cohort[rc.C_LOST, leads[ENTRY_MONTH, i], leads[SOURCE, i]] += 1
                if p.log_events:
                    _log(bk, day, ev.E_CLOSED, r, leads[LEAD_ID, i], t, LOST, 0, 0, 0.0)
            cool_terr[t] += 1
        _mark_closed(leads, sizes, i)
        if r >= 0 and o != DISCARDED:
            referrals[0 if o == SIGNED else 1, r] += _referral_count(o, p, u_ref[k_ref])
            k_ref += 1
    pos[D_DEALS], pos[D_REFERRALS] = k_deal, k_ref


# ----------------------------------------------------------------- arrivals
@njit(cache=True)
def _enter(leads, sizes, owner, territory, source, grade, day, month, n_touch, acc, cohort):
    """Enter a pushed or referred lead into its owner's pipeline, first call today."""
    state = (FAMILY_OF_SOURCE[source] * N_GRADES + grade) * n_touch
    _add_lead(leads, sizes, owner, territory, state, grade, grade, 1, source, day, day, month)
    acc[rc.HQ if source == HQ_SRC else rc.REFERRALS, owner] += 1
    acc[rc.CREATED, owner] += 1
    acc[rc.ENTERED, owner] += 1
    cohort[rc.C_ENTERED, month, source] += 1


@njit(cache=True)
def _arrivals(day, month, leads, sizes, p, tb, team, mk, st, bk, dr):
    """HQ leads (F10) go to a random rep on post of their territory (F15), in an open
    market round-robin; yesterday's referrals (F9) to the rep who was given them, while
    the territory has firms."""
    available, untouched, hq_today, refs = mk.available, mk.untouched, st.hq_today, st.referrals
    territory, on_post, by_territory = team.territory, team.on_post, team.by_territory
    acc, cohort, grade_cdf = bk.acc, bk.cohort, tb.grade_cdf
    u, pos = dr.arrivals, dr.pos
    k = pos[D_ARRIVALS]
    for t in range(available.size):
        n_reps = team.territory_reps[t]
        if hq_today[t] == 0 or n_reps == 0:
            continue
        first = team.territory_start[t]
        for _ in range(_take(available, untouched, t, hq_today[t])):
            if p.open_market:  # F10 in an open market: round-robin over the reps on post
                owner = by_territory[first + st.hq_turn[0] % n_reps]
                st.hq_turn[0] += 1
            else:  # to the territory's owner: one of its group's reps (F15)
                owner = by_territory[first + int(u[k] * n_reps)]
            grade = _grade(u[k + 1], grade_cdf[t])
            k += 2
            _enter(leads, sizes, owner, t, HQ_SRC, grade, day, month, p.n_touch, acc, cohort)
            if p.log_events:
                _new_lead(leads, sizes, bk, day, HQ_SRC)
    wanted = np.zeros(available.size, dtype=np.int64)
    for r in range(territory.size):
        if on_post[r]:  # a rep who has left gets no referral
            wanted[territory[r]] += refs[0, r] + refs[1, r]
    left = np.zeros_like(wanted)
    for t in range(wanted.size):
        if wanted[t]:
            left[t] = _take(available, untouched, t, wanted[t])
    for r in range(territory.size):
        t = territory[r]
        for which in range(2):
            n_in = min(refs[which, r], left[t]) if on_post[r] else 0
            refs[which, r] = 0
            left[t] -= n_in
            source = REFERRAL_SOURCES[which]
            for _ in range(n_in):
                if source == CUSTOMER_REFERRAL_SRC:
                    grade = 0  # a referred firm comes with intent (F6 A)
                else:
                    grade = _grade(u[k], grade_cdf[t])
                    k += 1
                owner = r if team.closes[r] else _closer_of(t, team, st, r)
                _enter(leads, sizes, owner, t, source, grade, day, month, p.n_touch, acc, cohort)
                if p.log_events:
                    _new_lead(leads, sizes, bk, day, source)
    pos[D_ARRIVALS] = k


# --------------------------------------------------------------------- pool
@njit(cache=True)
def _pool(day, month, leads, sizes, p, team, mk, st, bk, dr):
    """F11: leads untouched for a week leave their owner; pool leads expire or are
    claimed, oldest first, by reps with a follow-up's time to spare: of the lead's
    territory, or any rep (``claim_anyone``)."""
    acc, terr = bk.acc, bk.terr
    n = sizes[N_ROWS]
    limit = day - p.stale_after if p.stale_after > 0 else -1  # 0: leads never go stale
    for i in range(n):
        if leads[LAST_TOUCH, i] < limit:  # owned open leads only: others have NEVER
            acc[rc.STALE, leads[OWNER, i]] += 1
            terr[month, rc.T_STALE, leads[TERRITORY, i]] += 1
            _mark_handed(leads, i)
            leads[OWNER, i] = POOL
            leads[POOL_SINCE, i] = day
            leads[NEXT_DUE, i] = NEVER
            leads[LAST_TOUCH, i] = NEVER
            sizes[N_POOL] += 1
    if sizes[N_POOL] == 0:
        return
    pool = np.empty(sizes[N_POOL], dtype=np.int64)
    expired = np.empty_like(pool)
    k = n_exp = 0
    for i in range(n):
        if leads[OWNER, i] == POOL:
            if day - leads[POOL_SINCE, i] >= p.pool_expiry:
                expired[n_exp] = i
                n_exp += 1
            else:
                pool[k] = i
                k += 1
    if n_exp:
        bk.team[month, rc.POOL_EXPIRED] += n_exp
        sizes[N_POOL] -= n_exp
        nobody = np.full(n_exp, POOL, dtype=np.int64)
        lost = np.full(n_exp, LOST, dtype=np.int64)
        zeros = np.zeros(n_exp, dtype=np.int64)
        _book_closed(expired[:n_exp], nobody, zeros, lost, zeros, day, month, leads, sizes, p,
                     mk, st, bk, dr)  # fmt: skip
    if p.claims_per_day == 0 or k == 0:
        return
    pool = pool[:k]
    pool = pool[np.argsort(leads[POOL_SINCE][pool], kind="mergesort")]  # oldest first
    spare = st.spare
    if p.claim_anyone:
        reps = team.by_territory[spare[team.by_territory] >= p.followup_minutes]
        reps = reps[np.argsort(-spare[reps], kind="mergesort")]  # most spare time first
        n_claim = min(k, reps.size * p.claims_per_day)
        for j in range(n_claim):
            _claim(leads, pool[j], reps[j % reps.size], day, acc, terr, month)
        sizes[N_POOL] -= n_claim
        return
    n_terr = mk.available.size
    # Group by territory, keeping the oldest-first order inside each (counting sort).
    start = np.zeros(n_terr + 1, dtype=np.int64)
    for i in pool:
        start[leads[TERRITORY, i] + 1] += 1
    start = np.cumsum(start)
    fill = start[:-1].copy()
    by_terr = np.empty_like(pool)
    for i in pool:
        t = leads[TERRITORY, i]
        by_terr[fill[t]] = i
        fill[t] += 1
    for t in range(n_terr):
        if start[t + 1] == start[t]:
            continue
        first = team.territory_start[t]
        reps = team.by_territory[first : first + team.territory_reps[t]]
        reps = reps[spare[reps] >= p.followup_minutes]
        if reps.size == 0:
            continue
        reps = reps[np.argsort(-spare[reps], kind="mergesort")]  # most spare time first
        n_claim = min(start[t + 1] - start[t], reps.size * p.claims_per_day)
        for j in range(n_claim):
            _claim(leads, by_terr[start[t] + j], reps[j % reps.size], day, acc, terr, month)
        sizes[N_POOL] -= n_claim


@njit(cache=True)
def _claim(leads, i, r, day, acc, terr, month):
    """Rep r claims pool lead i; it is due today."""
    leads[OWNER, i] = r
    leads[POOL_SINCE, i] = -1
    leads[LAST_TOUCH, i] = day
    leads[NEXT_DUE, i] = day
    leads[FLAGS, i] |= RECLAIMED_BIT
    acc[rc.CLAIMS, r] += 1
    terr[month, rc.T_CLAIMS, leads[TERRITORY, i]] += 1


# ------------------------------------------------------------------ touches
@njit(cache=True)
def _visit_key(leads, i, day):
    """Order of a rep's day: rank (grade A first; booked first visits last), then the
    most overdue first (F6); touches made ahead of their day last, soonest due first."""
    if leads[NEXT_DUE, i] > day:
        return AHEAD_KEY + leads[NEXT_DUE, i] - day
    overdue = min(day - leads[NEXT_DUE, i], OVERDUE_CAP)
    return leads[RANK, i] * (OVERDUE_CAP + 1) + OVERDUE_CAP - overdue


@njit(cache=True)
def _sort_by_visit_order(idx, keys, leads, day):
    """Stable insertion sort of one rep's due leads (a handful) by visiting order;
    ``keys`` is scratch space of the same size."""
    for a in range(idx.size):
        keys[a] = _visit_key(leads, idx[a], day)
    for a in range(1, idx.size):
        i, key = idx[a], keys[a]
        b = a - 1
        while b >= 0 and keys[b] > key:
            idx[b + 1] = idx[b]
            keys[b + 1] = keys[b]
            b -= 1
        idx[b + 1] = i
        keys[b + 1] = key


@njit(cache=True)
def _due_by_owner(day, leads, n, n_rep, cost, due_until, kind_of, travel):
    """Leads worked today grouped by owner (counting sort, table order kept): ``due`` and
    where each rep's part starts; and each rep's minutes of those touches. A lead is
    worked if due, or if entered and due by its owner's ``due_until`` (working ahead;
    ``ahead`` is the latest). One pass over the table finds them (the test is written out
    here: as a helper taking arrays it would cost numba reference counting on every
    lead); the grouping then passes over the worked leads only. A first visit (kind 1)
    costs the rep's territory's travel minutes on top."""
    ahead = due_until.max() if due_until.size else day
    start = np.zeros(n_rep + 1, dtype=np.int64)
    minutes = np.zeros(n_rep)
    found = np.empty(n, dtype=np.int64)  # worked leads in table order
    k = 0
    for i in range(n):
        due = leads[NEXT_DUE, i]  # NEVER for leads nobody owns
        if due <= day or (
            due <= ahead and leads[ENTERED, i] == 1 and due <= due_until[leads[OWNER, i]]
        ):
            r = leads[OWNER, i]
            start[r + 1] += 1
            s = leads[STATE, i]
            minutes[r] += cost[s] + travel[r] * (kind_of[s] == 1)
            found[k] = i
            k += 1
    start = np.cumsum(start)
    due = np.empty(k, dtype=np.int64)
    fill = start[:-1].copy()
    for j in range(k):  # grouped by owner, table order kept (a stable counting sort)
        i = found[j]
        r = leads[OWNER, i]
        due[fill[r]] = i
        fill[r] += 1
    return due, start, minutes


@njit(cache=True)
def _touches(day, month, leads, sizes, p, tb, team, mk, st, bk, dr):
    """Each rep's due touches in visiting order within the day's minutes."""
    states = tb.states
    cost, kind_of, sign_of, lose_of = states.cost, states.kind, states.sign, states.lose
    final_of, gap_of, touch_of = states.final, states.gap, states.touch
    skill, on_post = team.skill, team.on_post
    group_size, pos_in_group = team.group_size, team.pos_in_group
    used, cool_rep, joint_done, due_until = st.used, st.cool_rep, st.joint_done, st.due_until
    pulling, interested = st.pulling, st.interested
    acc, cohort = bk.acc, bk.cohort
    u_touch, u_visit, pos = dr.touches, dr.visits, dr.pos
    k_touch, k_visit = pos[D_TOUCHES], pos[D_VISITS]
    n_rep = skill.size
    next_period = st.next_period[0]
    travel = team.travel
    season = p.season_sign
    due, start, due_minutes = _due_by_owner(day, leads, sizes[N_ROWS], n_rep, cost, due_until,
                                            kind_of, travel)  # fmt: skip
    scratch = np.empty(due.size, dtype=np.int64)
    # Leads closed today, booked together at the end.
    c_idx = np.empty(due.size, dtype=np.int64)
    c_owner, c_touch, c_outcome = np.empty_like(c_idx), np.empty_like(c_idx), np.empty_like(c_idx)
    c_timing = np.empty_like(c_idx)
    n_closed = 0
    for r in range(n_rep):
        mine = due[start[r] : start[r + 1]]
        capacity = p.capacity - used[r]  # less what duplicated approaches cost (open market)
        busy = due_minutes[r] > capacity
        # Supervisor joint visit today: a rota through the rep's group (F16).
        size = group_size[r]
        joint = (
            team.supervised[r]
            and mine.size > 0
            and ((pos_in_group[r] - day * p.joint_per_day) % size < min(p.joint_per_day, size))
        )
        ahead = due_until[r] > day  # works ahead today, in the time calls leave
        if busy or joint or ahead:  # order matters when not all fits, for the joint visit,
            _sort_by_visit_order(mine, scratch[start[r] : start[r + 1]], leads, day)  # ahead
        ahead_room = capacity - min(interested[r], team.norm_calls[r]) * p.phone_minutes
        first_visits = 0
        minutes = 0.0
        fits = True
        for i in mine:
            s = leads[STATE, i]
            c = cost[s] + travel[r] * (kind_of[s] == 1)
            if ahead and leads[NEXT_DUE, i] > day and minutes + c > ahead_room:
                continue  # not due yet: only in the minutes left for calls
            if busy:
                fits = fits and minutes + c <= capacity
                if not fits:  # entered leads wait (overdue); booked visits are cancelled
                    if leads[ENTERED, i] == 0:
                        acc[rc.CANCELLED, r] += 1
                        cool_rep[r] += 1
                        _mark_closed(leads, sizes, i)
                    continue
            minutes += c
            kind = kind_of[s]
            mult = skill[r] * season * mk.sign[leads[TERRITORY, i]]
            flags = leads[FLAGS, i]
            dups = (flags >> 2) & DUPLICATES_MAX
            if dups:  # other reps approached this firm too (open market)
                mult *= p.duplicate_multiplier**dups
            if joint and kind >= 1:  # the supervisor joins this visit (F16)
                mult *= p.joint_multiplier
                joint = False
                joint_done[r] = True
                acc[rc.JOINT, r] += 1
            u = u_touch[k_touch]
            k_touch += 1
            lose = lose_of[s]
            sign = touch_sign_chance(sign_of[s], lose, mult)  # the same rule at every touch
            if u < sign:
                outcome = SIGNED
            elif u < sign + lose or final_of[s]:
                outcome = LOST
            else:
                outcome = STAY
            if kind == 0:
                acc[rc.CALLS, r] += 1
            elif kind == 1:
                acc[rc.VISITS, r] += 1
                first_visits += 1
            else:
                acc[rc.FOLLOWUPS, r] += 1
            if leads[ENTERED, i] == 0:  # a booked first visit: valid with F3's share (F5)
                acc[rc.CREATED, r] += 1
                valid = u_visit[k_visit] < p.valid_share
                k_visit += 1
                if valid:
                    leads[ENTERED, i] = 1
                    leads[RANK, i] = leads[GRADE, i]
                    leads[ENTRY_MONTH, i] = month
                    cohort[rc.C_ENTERED, month, PROSPECTED_SRC] += 1
                    acc[rc.ENTERED, r] += 1
                    if not team.closes[r] and outcome == STAY:  # roles: to a closer
                        _hand_to_closer(leads, i, team, st, acc, r)
                else:
                    outcome = DISCARDED
                    acc[rc.DISCARDED, r] += 1
                if p.log_events:
                    _log(bk, day, ev.E_TOUCH, r, leads[LEAD_ID, i], leads[TERRITORY, i], kind,
                         outcome, 0, 0.0)  # fmt: skip
                    if valid:
                        _log(bk, day, ev.E_ENTERED, r, leads[LEAD_ID, i], leads[TERRITORY, i],
                             0, leads[GRADE, i], 0, 0.0)  # fmt: skip
            elif p.log_events:
                _log(bk, day, ev.E_TOUCH, r, leads[LEAD_ID, i], leads[TERRITORY, i], kind,
                     outcome, 0, 0.0)  # fmt: skip
            if outcome == SIGNED:
                if kind == 0:
                    acc[rc.PHONE_CLOSES, r] += 1
            elif outcome == LOST:
                acc[rc.LOST, r] += 1
            pulled = pulling[r] and leads[NEXT_DUE, i] >= next_period  # for pay
            leads[STATE, i] = s + 1
            leads[LAST_TOUCH, i] = day
            leads[NEXT_DUE, i] = day + gap_of[s]
            if flags & HANDED_BIT:  # F35 stages are kept once it changed hands
                leads[WORKED_BY, i] = leads[TOUCHED_BY, i]
                leads[TOUCHED_BY, i] = r
            if outcome != STAY:
                c_idx[n_closed], c_owner[n_closed] = i, r
                c_touch[n_closed], c_outcome[n_closed] = touch_of[s], outcome
                c_timing[n_closed] = rc.PULLED_DEAL if pulled else rc.ON_TIME
                n_closed += 1
        used[r] += minutes
        if on_post[r]:  # F1 norm of on-site visits; the shortfall is what F32 fines
            acc[rc.VISITS_SHORT, r] += max(team.norm_visits[r] - first_visits, 0)
    pos[D_TOUCHES], pos[D_VISITS] = k_touch, k_visit
    _book_closed(c_idx[:n_closed], c_owner[:n_closed], c_touch[:n_closed], c_outcome[:n_closed],
                 c_timing[:n_closed], day, month, leads, sizes, p, mk, st, bk, dr)  # fmt: skip


# -------------------------------------------------------------------- calls
@njit(cache=True)
def _calls(day, month, leads, sizes, p, tb, team, mk, st, bk, dr):
    """Appointment calls: a rare phone close (F7 touch 0), else maybe a booked visit."""
    territory, on_post, skill = team.territory, team.on_post, team.skill
    interested, used, cool_rep = st.interested, st.used, st.cool_rep
    acc, booking_cdf, grade_cdf = bk.acc, tb.booking_cdf, tb.grade_cdf
    u, pos = dr.calls, dr.pos
    k = pos[D_CALLS]
    booked_state = PROSPECTED * N_GRADES * p.n_touch + 1  # touch 1; grade added below
    phone_closers = np.zeros(territory.size, dtype=np.int64)
    norm_calls = team.norm_calls
    for r in range(territory.size):
        if not on_post[r] or not team.prospects[r]:
            continue
        room = max(int((p.capacity - used[r]) // p.phone_minutes), 0)
        calls = min(interested[r], room, norm_calls[r])
        used[r] += calls * p.phone_minutes
        p_close = min(p.phone_close * skill[r] * p.season_sign * mk.sign[territory[r]], 1.0 - 1e-12)
        closes = rare_binomial(calls, p_close, u[k])
        booked = binomial_from_table(calls - closes, booking_cdf, u[k + 1])
        k += 2
        left = interested[r] - calls
        waiting = min(left, norm_calls[r])  # interest not called within a day's norm cools off
        cool_rep[r] += calls - closes - booked + left - waiting
        interested[r] = waiting
        acc[rc.CALLS, r] += calls
        if p.log_events and calls + left > 0:
            _log(bk, day, ev.E_CALLS, r, -1, territory[r], calls, booked, left - waiting, 0.0)
        for _ in range(booked):
            grade = _grade(u[k], grade_cdf[territory[r]])
            k += 1
            _add_lead(leads, sizes, r, territory[r], booked_state + grade * p.n_touch, grade,
                      4 + grade, 0, PROSPECTED_SRC, day + 1, day, month)  # fmt: skip
            if p.log_events:
                _new_lead(leads, sizes, bk, day, PROSPECTED_SRC)
        phone_closers[r] = closes
    pos[D_CALLS] = k
    if phone_closers.any():  # rare: about one call in 6,000
        _phone_closes(phone_closers, day, month, p, team, mk, st, bk, dr)


@njit(cache=True)
def _phone_closes(closes, day, month, p, team, mk, st, bk, dr):
    """Own prospects who sign on the appointment call: entered and signed at once."""
    pos = dr.pos
    for r in range(closes.size):
        for _ in range(closes[r]):
            for counter in (rc.CREATED, rc.ENTERED, rc.PHONE_CLOSES):
                bk.acc[counter, r] += 1
            bk.cohort[rc.C_ENTERED, month, PROSPECTED_SRC] += 1
            bk.cohort[rc.C_SIGNED, month, PROSPECTED_SRC] += 1
            value = np.exp(p.deal_mu + p.deal_sigma * dr.deals[pos[D_DEALS]])
            _book_signing(r, team.territory[r], day, month, value, r, r, rc.ON_TIME, st.hold,
                          bk.acc, bk.terr, bk.signing_log, bk.signing_value,
                          bk.log_size)  # fmt: skip
            if p.log_events:
                _log(bk, day, ev.E_PHONE_SIGNED, r, -1, team.territory[r], 0, 0, 0, value)
            bk.by_touch[month, 0] += 1
            mk.customers[team.territory[r]] += 1
            st.referrals[0, r] += _referral_count(SIGNED, p, dr.referrals[pos[D_REFERRALS]])
            pos[D_DEALS] += 1
            pos[D_REFERRALS] += 1


# ------------------------------------------------------------------ records
@njit(cache=True)
def _records(day, month, leads, sizes, p, tb, team, mk, st, bk, dr):
    """Evening prospect records (F1), limited by the firms left in each territory. In an
    open market a record hits a firm another rep is working with the share of such firms
    among those not cooling off or customers: it takes no firm, costs the rep
    ``duplicate_minutes`` tomorrow and annoys that firm (a random open lead)."""
    territory, on_post = team.territory, team.on_post
    available, untouched = mk.available, mk.untouched
    interested, cool_rep, acc, interest_cdf = st.interested, st.cool_rep, bk.acc, tb.interest_cdf
    u, pos = dr.records, dr.pos
    k = pos[D_RECORDS]
    demand = np.zeros(available.size, dtype=np.int64)
    dup = np.zeros(territory.size, dtype=np.int64)
    if p.open_market:
        k = _duplicates(month, leads, sizes, p, team, mk, st, bk, u, k, dup)
    prospects, norm_records = team.prospects, team.norm_records
    for r in range(territory.size):
        if on_post[r] and prospects[r]:
            demand[territory[r]] += norm_records[r] - dup[r]
    got = np.zeros_like(demand)
    for t in range(available.size):
        got[t] = _take(available, untouched, t, demand[t])
    used = np.zeros_like(demand)
    for r in range(territory.size):
        if not on_post[r] or not prospects[r]:  # no draw for an empty slot: the numbers
            continue  # never depend on how many slots a run reserves (common random numbers)
        t = territory[r]
        want = norm_records[r] - dup[r]
        if got[t] < demand[t]:  # a saturating territory: its reps share what is left
            want = int(np.floor(want * (got[t] / demand[t])))
        used[t] += want
        acc[rc.RECORDS, r] += want + dup[r]
        new = binomial_from_table(want, interest_cdf, u[k])
        k += 1
        interested[r] += new
        cool_rep[r] += want - new
        if p.log_events and want + dup[r] > 0:
            _log(bk, day, ev.E_RECORDS, r, -1, t, want + dup[r], new, 0, 0.0)
    pos[D_RECORDS] = k
    for t in range(available.size):
        available[t] += got[t] - used[t]  # taken but not used: still available


@njit(cache=True)
def _duplicates(month, leads, sizes, p, team, mk, st, bk, u, k, dup):
    """Open market: each on-post rep's duplicated records tonight (into ``dup``), their
    minutes lost tomorrow, and the annoyed firms' leads; returns the next uniform's index."""
    territory, on_post = team.territory, team.on_post
    n_terr = mk.available.size
    share = np.zeros(n_terr)
    for t in range(n_terr):
        worked = mk.firms[t] - mk.available[t] - mk.cooling[t] - mk.customers[t]
        if worked > 0:
            share[t] = min(worked / (worked + mk.available[t]), 0.999)
    # Open entered leads of each territory: the firms a duplicate can annoy.
    n = sizes[N_ROWS]
    count = np.zeros(n_terr + 1, dtype=np.int64)
    for i in range(n):
        if leads[OWNER, i] >= 0 and leads[ENTERED, i] == 1:
            count[leads[TERRITORY, i] + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    worked_leads = np.empty(start[n_terr], dtype=np.int64)
    for i in range(n):
        if leads[OWNER, i] >= 0 and leads[ENTERED, i] == 1:
            t = leads[TERRITORY, i]
            worked_leads[fill[t]] = i
            fill[t] += 1
    for r in range(territory.size):
        if not on_post[r] or not team.prospects[r]:
            continue
        t = territory[r]
        d = rare_binomial(team.norm_records[r], share[t], u[k])
        k += 1
        dup[r] = d
        st.carry[r] += d * p.duplicate_minutes
        bk.acc[rc.DUPLICATED, r] += d
        bk.terr[month, rc.T_DUPLICATED, t] += d
        size = start[t + 1] - start[t]
        for _ in range(d):
            if size > 0:
                i = worked_leads[start[t] + int(u[k] * size)]
                counted = (leads[FLAGS, i] >> 2) & DUPLICATES_MAX
                if leads[OWNER, i] != r and counted < DUPLICATES_MAX:
                    leads[FLAGS, i] += DUPLICATE_ONE
            k += 1
    return k


# --------------------------------------------------------------- end of day
@njit(cache=True)
def _end_of_day(day, leads, sizes, p, team, mk, st, bk):
    """Let-go firms cool off; skills grow; minutes are booked; closed rows squeezed out."""
    territory, skill, potential = team.territory, team.skill, team.potential
    used, spare, cool_rep, joint_done = st.used, st.spare, st.cool_rep, st.joint_done
    acc, day_max = bk.acc, bk.day_max
    cooled = st.cool_terr.copy()
    st.cool_terr[:] = 0
    for r in range(territory.size):
        cooled[territory[r]] += cool_rep[r]
        cool_rep[r] = 0
    for t in range(cooled.size):
        mk.release[t, day + p.cooling_off] += cooled[t]
        mk.cooling[t] += cooled[t]
    for r in range(territory.size):
        # On post, experience and the evening meeting (F17) every day, plus coaching from
        # a joint visit (F16, F18): each closes a share of the gap to the rep's potential.
        if team.on_post[r]:
            daily = p.learning_per_day if team.supervised[r] else p.experience_per_day
            rate = daily + p.joint_learning * joint_done[r]
            skill[r] += (potential[r] - skill[r]) * rate
        acc[rc.MINUTES, r] += used[r]
        day_max[r] = max(day_max[r], used[r])
        spare[r] = p.capacity - used[r]
    n = sizes[N_ROWS]
    if 2 * sizes[N_CLOSED] >= n:  # amortised O(1) per lead
        # Column by column: two memory streams at a time, not one per column.
        kept = np.empty(n, dtype=np.int64)
        k = 0
        for i in range(n):
            if leads[OWNER, i] != CLOSED:
                kept[k] = i
                k += 1
        for column in range(leads.shape[0]):
            values = leads[column]
            for j in range(k):
                values[j] = values[kept[j]]
        sizes[N_ROWS] = k
        sizes[N_CLOSED] = 0

"""Per-touch chances of signing and of losing a lead, derived from F2 and F7.

A lead is a discrete-time competing-risks process over its touches (0 = the
phone appointment, 1 = the first visit, k + 1 = the k-th follow-up). For a lead
class with overall sign probability ``p``, the marginal chances are fixed first:

* signing at touch k:  ``p * t_k``, with ``t`` the normalised F7 shares;
* saying no at touch k: ``(1 - p) * u_k``, with ``u`` geometric over the follow-ups,
  the last included (``loss_share_per_followup``);
* dropped after the last touch: the non-buyers who never said no, ``(1 - p)(1 - sum(u))``.

The hazards then follow exactly: ``h_k = p t_k / S_k`` and ``l_k = (1-p) u_k / S_k``
with ``S_k`` the chance to reach touch k. So a reference rep (skill 1, no joint
visits) reproduces ``p`` (F2) and the F7 shape by construction. Skill, joint visits and
duplicated approaches multiply ``h_k``, capped at ``1 - l_k`` at every touch, the last
included (``touch_sign_chance``): a better rep wins leads that would go on, or at the
last touch be dropped, never leads that say no (docs/model.md 2.6).

Lead families (rows of the tables, times 4 grades):

* PROSPECTED: the rep's own prospects. They can close on the appointment call
  (touch 0; a phone close is entered and signed at once), otherwise they are
  entered at the first visit if valid (F5). ``p`` is split between the two so that
  entered leads of this family sign with ``sign_probability`` and phone closes are
  the F7 share of touch 0.
* PUSHED: HQ leads (F10) and non-buyer referrals (F9); entered before touch 0.
* REFERRED: customer referrals (F9), entered before touch 0, own sign probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from simsales.scenario.schema import Leads

PROSPECTED, PUSHED, REFERRED = 0, 1, 2
N_GRADES = 4


@dataclass(frozen=True)
class LeadOdds:
    """Hazard tables indexed ``[klass, touch]`` with ``klass = family * 4 + grade``."""

    sign: np.ndarray  # chance to sign at the touch, given the lead reached it
    lose: np.ndarray  # chance to say no at the touch (the drop after the last touch is not in it)
    phone_close: float  # chance an appointment call to a prospect closes on the phone
    last_touch: int  # touch after which an unsigned lead is dropped (max_followups + 1)
    grade_cdf: np.ndarray  # cumulative grade mix, for drawing grades
    cadence: np.ndarray  # working days to the next follow-up, by grade


def klass_of(family: int | np.ndarray, grade: int | np.ndarray) -> int | np.ndarray:
    return family * N_GRADES + grade


def signing_shares(leads: Leads) -> np.ndarray:
    """F7 shares normalised to sum 1 (F7 itself adds to 101%)."""
    t = np.asarray(leads.signing_touch_shares, dtype=float)
    return t / t.sum()


def loss_shares(n_touches: int, rate: float) -> np.ndarray:
    """Where non-buyers say no: ``rate`` of those still open at each follow-up (touch >= 2),
    the last touch included. The rest, ``(1 - rate) ** (n_touches - 2)``, never say no:
    they are dropped after the last touch, and are not in these shares."""
    k = np.arange(n_touches)
    return np.where(k >= 2, rate * (1.0 - rate) ** np.maximum(k - 2, 0), 0.0)


@njit(cache=True)
def touch_sign_chance(hazard: float, say_no: float, multiplier: float) -> float:
    """Chance to sign at a touch for a rep whose close chance is ``multiplier`` times the
    reference rep's (skill, joint visit, duplicated approaches): ``hazard * multiplier``,
    capped at ``1 - say_no``. What a better rep wins comes from the leads that would go on
    (at the last touch: be dropped), never from those who say no at the touch. The same
    rule at every touch, the last included (docs/model.md 2.6)."""
    return min(hazard * multiplier, 1.0 - say_no)


def hazards(p: float, t: np.ndarray, u: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Sign and loss hazards for a lead entered at touch ``first`` with sign probability p."""
    n = len(t)
    tt = np.zeros(n)
    tt[first:] = t[first:] / t[first:].sum() if t[first:].sum() > 0 else 0.0
    p_sign = p * tt
    p_lose = (1.0 - p) * u
    reach = 1.0 - np.concatenate(([0.0], np.cumsum(p_sign + p_lose)[:-1]))
    reach[:first] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(reach > 1e-12, p_sign / reach, 0.0)
        lo = np.where(reach > 1e-12, p_lose / reach, 0.0)
    return np.clip(h, 0.0, 1.0), np.clip(lo, 0.0, 1.0)


def phone_close_chance(p: float, t0: float, entered_per_call: float) -> float:
    """Per-call phone close q such that, among a rep's own prospects, phone closes are the
    F7 share t0 of signings and entered leads sign with p (see docs/model.md)."""
    if t0 <= 0 or entered_per_call <= 0:
        return 0.0
    return entered_per_call / (entered_per_call + 1.0 / (t0 * p) - 1.0)


def lead_odds(leads: Leads) -> LeadOdds:
    """Build the hazard tables of all lead classes from the scenario's lead parameters."""
    t = signing_shares(leads)
    n = len(t)
    u = loss_shares(n, leads.loss_share_per_followup)
    p = leads.sign_probability
    mix = np.asarray(leads.grade_mix.as_tuple(), dtype=float)
    mix = mix / mix.sum()
    weight = np.asarray(leads.grade_sign_weight.as_tuple(), dtype=float)
    weight = weight / float(mix @ weight)  # grade mix averages to 1
    # Prospects entered at the first visit sign with p_v so that, with phone closes,
    # all entered prospects sign with p (derivation in docs/model.md).
    t0 = float(t[0])
    p_visit = p * (1.0 - t0) / (1.0 - t0 * p)
    family_p = {PROSPECTED: p_visit, PUSHED: p}
    sign = np.zeros((3 * N_GRADES, n))
    lose = np.zeros((3 * N_GRADES, n))
    for fam, base in family_p.items():
        for g in range(N_GRADES):
            pg = min(base * weight[g], 0.999)
            first = 1 if fam == PROSPECTED else 0
            sign[klass_of(fam, g)], lose[klass_of(fam, g)] = hazards(pg, t, u, first)
    ref_h, ref_l = hazards(leads.customer_referral_sign_probability, t, u, 0)
    for g in range(N_GRADES):
        sign[klass_of(REFERRED, g)], lose[klass_of(REFERRED, g)] = ref_h, ref_l
    last = leads.max_followups + 1
    lose[:, last + 1 :] = 0.0  # the unsigned are dropped after the last touch: no later ones
    entered_per_call = leads.booked_share_of_calls * leads.valid_share_of_first_visits
    return LeadOdds(
        sign=sign,
        lose=lose,
        phone_close=phone_close_chance(p, t0, entered_per_call),
        last_touch=last,
        grade_cdf=np.cumsum(mix),
        cadence=np.asarray(leads.followup_cadence_days.as_tuple(), dtype=np.int64),
    )


class TouchStates(NamedTuple):
    """Everything the working day needs about a lead's next touch, by lead state.

    A lead's state is ``klass * n_touch + touch`` (its class and the index of its next
    touch), so a few lookups in these small tables tell the day all it needs about a
    lead's touch; a touch made advances the state by one.
    """

    n_touch: int
    touch: np.ndarray  # index of the next touch
    kind: np.ndarray  # 0 call, 1 first visit, 2 follow-up
    cost: np.ndarray  # minutes of the touch
    sign: np.ndarray  # hazard of signing at the touch (reference rep)
    lose: np.ndarray  # hazard of saying no at the touch
    final: np.ndarray  # the last touch: unsigned leads are dropped after it
    gap: np.ndarray  # working days to the touch after this one


def touch_states(odds: LeadOdds, phone: float, visit: float, followup: float) -> TouchStates:
    """Per-state tables from the hazards, the activity minutes and the cadences."""
    n_klass, n_touch = odds.sign.shape
    touch = np.tile(np.arange(n_touch, dtype=np.int64), n_klass)
    grade = np.repeat(np.arange(n_klass) % N_GRADES, n_touch)
    cost = np.where(touch == 0, phone, np.where(touch == 1, visit, followup))
    return TouchStates(
        n_touch=n_touch,
        touch=touch,
        kind=np.minimum(touch, 2),
        cost=cost.astype(np.float64),
        sign=odds.sign.ravel().copy(),
        lose=odds.lose.ravel().copy(),
        final=touch >= odds.last_touch,
        gap=np.where(touch == 0, 1, odds.cadence[grade]).astype(np.int64),  # call: visit tomorrow
    )

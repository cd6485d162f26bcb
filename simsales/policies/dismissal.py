"""Dismissal policies: whom the company lets go at a month's close (F28, F29).

The rules of ``workforce.dismissal`` are applied together; a rep caught by any of them
is dismissed (a rep who quits this month is not). Some rules count misses in a row; the
policy is given the counts so far and returns them updated, with its decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.scenario.schema import Dismissal


@dataclass(frozen=True)
class ReviewView:
    """What a dismissal policy may look at, at the close of ``month``."""

    month: int  # month index from the warm-up's first
    month_no: int  # reported numbering: quarters end at months 3, 6, ...
    end_day: int  # first day after the month
    days_per_month: int
    reps: np.ndarray  # reps on post
    on_post_day: np.ndarray  # of every rep slot
    signings_so_far: np.ndarray  # of every rep slot, since going on post
    attainment: Callable[[int, int], np.ndarray]  # (first, last month) -> per rep slot
    signings: Callable[[int, int], np.ndarray]  # (first, last month) -> per rep slot
    missed_quarters: np.ndarray  # per rep slot: quarters in a row below the bar (F29)
    missed_months: np.ndarray  # per rep slot: months in a row below the monthly bar
    rng: np.random.Generator  # for tie-breaks in a ranking


@dataclass(frozen=True)
class Review:
    """A dismissal decision, and the misses in a row counted up to now."""

    dismissed: np.ndarray  # reps, unique and sorted
    missed_quarters: np.ndarray
    missed_months: np.ndarray


class DismissalPolicy(Protocol):
    def review(self, view: ReviewView, quits: np.ndarray) -> Review:
        """Who is dismissed this month (never one of ``quits``)."""
        ...


def bottom_of_review(signings: np.ndarray, share: float, u: np.ndarray) -> np.ndarray:
    """Positions of the ``share`` of reviewed reps with the fewest signings (F29 bottom-rank
    elimination); ties are broken by the uniform numbers ``u``."""
    n_out = int(np.floor(share * signings.size))
    return np.lexsort((u, signings))[:n_out]


@dataclass(frozen=True)
class DismissalRules:
    """Every rule of ``workforce.dismissal`` (a 0 or null switches a rule off)."""

    rules: Dismissal

    def review(self, view: ReviewView, quits: np.ndarray) -> Review:
        dis, dpm, month, reps = self.rules, view.days_per_month, view.month, view.reps
        missed_q, missed_m = view.missed_quarters.copy(), view.missed_months.copy()
        on_post_day, end_day = view.on_post_day, view.end_day
        days_on_post = end_day - on_post_day[reps]
        out = []
        # F29: attainment over periods the rep was on post for in full.
        if dis.quarterly_attainment_below and view.month_no % 3 == 0 and month >= 2:
            judged = reps[on_post_day[reps] <= end_day - 3 * dpm]
            missed = view.attainment(month - 2, month)[judged] < dis.quarterly_attainment_below
            missed_q[judged[missed]] += 1
            missed_q[judged[~missed]] = 0
            out.append(judged[missed_q[judged] >= dis.consecutive_quarters])
        if dis.monthly_attainment_below:  # N whole months in a row below the monthly bar
            judged = reps[on_post_day[reps] <= end_day - dpm]
            missed = view.attainment(month, month)[judged] < dis.monthly_attainment_below
            missed_m[judged[missed]] += 1
            missed_m[judged[~missed]] = 0
            out.append(judged[missed_m[judged] >= dis.consecutive_months])
        if dis.annual_attainment_below and view.month_no % 12 == 0 and month >= 11:
            judged = reps[on_post_day[reps] <= end_day - 12 * dpm]
            below = view.attainment(month - 11, month)[judged] < dis.annual_attainment_below
            out.append(judged[below])
        if dis.no_order_months:  # F28: no signing in the first N months on post
            window = dis.no_order_months * dpm
            due = (days_on_post >= window) & (days_on_post < window + dpm)
            out.append(reps[due & (view.signings_so_far[reps] == 0)])
        if dis.bottom_share and (month + 1) % dis.review_months == 0:
            counted = view.signings(month - dis.review_months + 1, month)
            reviewed = reps[days_on_post >= dis.review_min_months_on_post * dpm]
            u = view.rng.random(reviewed.size)
            out.append(reviewed[bottom_of_review(counted[reviewed], dis.bottom_share, u)])
        dismissed = np.setdiff1d(np.concatenate(out), quits) if out else np.empty(0, dtype=np.int64)
        return Review(dismissed, missed_q, missed_m)


def make_dismissal_policy(dismissal: Dismissal) -> DismissalPolicy:
    """The policy object of a validated ``workforce.dismissal`` section."""
    return DismissalRules(dismissal)

"""Re-splitting exclusive territories as headcount changes: when, and towards what.

At a month's close the policy says whether the next month starts with a re-split
(``resplit_due``); the target of a re-split is that every territory with reps holds the
region's available firms in proportion to its reps on post (``transfers``). The model
moves the firms and the accounts (``model.rebalance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.scenario.schema import Rebalancing


class RebalancingPolicy(Protocol):
    def resplit_due(self, month_no: int, reps_now: np.ndarray, reference: np.ndarray) -> bool:
        """At the close of reported month ``month_no``: does the next month start with a
        re-split? ``reps_now`` and ``reference``: reps on post per territory now and at
        the last re-split (or the start)."""
        ...


@dataclass(frozen=True)
class NoRebalancing:
    def resplit_due(self, month_no: int, reps_now: np.ndarray, reference: np.ndarray) -> bool:
        return False


@dataclass(frozen=True)
class EveryMonths:
    """A re-split after every ``months`` reported months."""

    months: int

    def resplit_due(self, month_no: int, reps_now: np.ndarray, reference: np.ndarray) -> bool:
        return month_no % self.months == 0


@dataclass(frozen=True)
class OnHeadcount:
    """A re-split when some territory's reps on post have changed by more than ``share``
    of what they were at the last re-split."""

    share: float

    def resplit_due(self, month_no: int, reps_now: np.ndarray, reference: np.ndarray) -> bool:
        change = np.abs(reps_now - reference) / np.maximum(reference, 1)
        return bool((change > self.share).any())


def transfers(available: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """``flow[t, u]``: available firms territory t should give territory u so that every
    territory with reps holds the region's available firms in proportion to its reps
    (nothing moves when no rep is on post)."""
    if reps.sum() == 0:
        return np.zeros((available.size, available.size))
    target = available.sum() * reps / reps.sum()
    surplus = np.maximum(available - target, 0.0)
    deficit = np.maximum(target - available, 0.0)
    if deficit.sum() == 0:
        return np.zeros((available.size, available.size))
    return np.outer(surplus, deficit / deficit.sum())


def make_rebalancing_policy(rule: Rebalancing) -> RebalancingPolicy:
    """The policy object of a validated ``market.rebalancing`` section."""
    if rule.policy == "every_months":
        assert rule.every_months is not None  # Rebalancing._fields_of_policy: every_months
        return EveryMonths(rule.every_months)
    if rule.policy == "on_headcount":
        assert rule.headcount_change is not None  # Rebalancing._fields_of_policy: on_headcount
        return OnHeadcount(rule.headcount_change)
    return NoRebalancing()

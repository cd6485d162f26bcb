"""Hiring policies: how many trainees start a class, and when.

A class starts on the first day of a month (F27: classes about monthly). Some policies
know their classes in advance (``planned``: fixed classes, a plan); the others decide at
each month's close, for the month after the lead time (``class_at_close``), from what
the team looks like then (``HiringView``). The model starts the classes and draws each
trainee's path; a policy only says how many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.scenario.schema import Hiring, Scenario


@dataclass(frozen=True)
class HiringView:
    """What a reactive hiring policy may look at, at a month's close."""

    month: int  # the month closing (month index from the warm-up's first; -1: before it)
    active: int  # reps on post, in training or on trial, after this close's leavers
    planned: int  # trainees of classes decided but not started yet
    leavers: int  # reps leaving after this close (quits and dismissals)
    months_on_post: np.ndarray  # of each rep on post who stays [months]
    in_training: int  # trainees in training now (after this close's leavers)
    on_trial: int  # trainees on the trial post now


class HiringPolicy(Protocol):
    def planned(self, total_months: int) -> dict[int, int]:
        """Classes known before the run: month index -> trainees."""
        ...

    def class_at_close(self, view: HiringView) -> int:
        """Trainees of the class decided at this close (0: none)."""
        ...

    def most_hires(self, total_months: int) -> int:
        """The most trainees the policy can hire in a run of ``total_months``."""
        ...


@dataclass(frozen=True)
class NoHiring:
    def planned(self, total_months: int) -> dict[int, int]:
        return {}

    def class_at_close(self, view: HiringView) -> int:
        return 0

    def most_hires(self, total_months: int) -> int:
        return 0


@dataclass(frozen=True)
class FixedClasses:
    """A class of ``size`` every ``every_months`` months, from the first month."""

    size: int
    every_months: int

    def planned(self, total_months: int) -> dict[int, int]:
        return {m: self.size for m in range(0, total_months, self.every_months)}

    def class_at_close(self, view: HiringView) -> int:
        return 0

    def most_hires(self, total_months: int) -> int:
        return -(-total_months // self.every_months) * self.size


@dataclass(frozen=True)
class PlannedClasses:
    """The classes of a plan: (month index, trainees)."""

    classes: tuple[tuple[int, int], ...]

    def planned(self, total_months: int) -> dict[int, int]:
        return dict(self.classes)

    def class_at_close(self, view: HiringView) -> int:
        return 0

    def most_hires(self, total_months: int) -> int:
        return sum(size for _, size in self.classes)


@dataclass(frozen=True)
class TargetHeadcount:
    """Tops reps on post, in training or on trial, plus classes already planned, up to
    ``target``; at most ``max_class`` a class."""

    target: int
    max_class: int

    def planned(self, total_months: int) -> dict[int, int]:
        return {}

    def class_at_close(self, view: HiringView) -> int:
        return int(min(max(self.target - view.active - view.planned, 0), self.max_class))

    def most_hires(self, total_months: int) -> int:
        return total_months * self.max_class


@dataclass(frozen=True)
class Backfill:
    """Replaces the month's leavers; at most ``max_class`` a class."""

    max_class: int

    def planned(self, total_months: int) -> dict[int, int]:
        return {}

    def class_at_close(self, view: HiringView) -> int:
        return int(min(view.leavers, self.max_class))

    def most_hires(self, total_months: int) -> int:
        return total_months * self.max_class


@dataclass(frozen=True)
class Forecast:
    """Hires, each month, enough trainees to cover the losses expected before the class
    goes on post, so that ``target`` reps are on post then.

    The class decided at a month's close goes on post ``months_to_post`` later (the lead
    time, then training and the trial). By then the reps on post now are expected to
    have quit at the scenario's hazard for their year on post, and trainees in training,
    on trial or in classes already decided are expected to wash out and fail the trial at
    the scenario's shares. The class is the gap to ``target``, divided by the share of a
    class expected to reach post, rounded up; at most ``max_class``. Dismissals are not
    forecast (they depend on results, not on a rate).
    """

    target: int
    max_class: int
    months_to_post: float
    quit_hazard_by_year: tuple[float, ...]  # monthly chance to quit in years 1, 2, ...
    washout_share: float
    trial_pass_share: float

    def planned(self, total_months: int) -> dict[int, int]:
        return {}

    def expected_on_post(self, view: HiringView) -> float:
        """Reps expected on post when the class decided now goes on post."""
        by_year = np.asarray(self.quit_hazard_by_year)
        year = np.minimum((view.months_on_post // 12).astype(np.int64), by_year.size - 1)
        staying = float(np.sum((1.0 - by_year[year]) ** self.months_to_post))
        graduates = self.trial_pass_share * (
            (1.0 - self.washout_share) * (view.in_training + view.planned) + view.on_trial
        )
        return staying + graduates

    def class_at_close(self, view: HiringView) -> int:
        gap = self.target - self.expected_on_post(view)
        reach_post = (1.0 - self.washout_share) * self.trial_pass_share
        if gap <= 0 or reach_post <= 0:
            return 0
        # Rounded up, less a hair of float error (a gap of exactly 5 trainees is 5, not 6).
        return int(min(math.ceil(gap / reach_post - 1e-9), self.max_class))

    def most_hires(self, total_months: int) -> int:
        return total_months * self.max_class


def make_hiring_policy(scenario: Scenario, cal: Calendar) -> HiringPolicy:
    """The policy object of a validated scenario's ``workforce.hiring``: the fields its
    policy needs are given (``Hiring._fields_of_policy``)."""
    wf = scenario.workforce
    h: Hiring = wf.hiring
    if h.policy == "fixed_classes":
        # Hiring._fields_of_policy: fixed_classes needs class_size and every_months
        assert h.class_size is not None and h.every_months is not None
        return FixedClasses(h.class_size, h.every_months)
    if h.policy == "plan":
        assert h.plan is not None  # Hiring._fields_of_policy: plan needs plan
        return PlannedClasses(tuple((c.month + cal.warmup_months - 1, c.size) for c in h.plan))
    if h.policy == "target_headcount":
        # Hiring._fields_of_policy: target_headcount needs target_reps and max_class_size
        assert h.target_reps is not None and h.max_class_size is not None
        return TargetHeadcount(h.target_reps, h.max_class_size)
    if h.policy == "backfill":
        assert h.max_class_size is not None  # Hiring._fields_of_policy: backfill needs it
        return Backfill(h.max_class_size)
    if h.policy == "forecast":
        # Hiring._fields_of_policy: forecast needs target_reps and max_class_size
        assert h.target_reps is not None and h.max_class_size is not None
        tr = wf.training
        learning_months = (tr.days + tr.trial_days) / cal.days_per_month
        return Forecast(
            target=h.target_reps,
            max_class=h.max_class_size,
            months_to_post=h.lead_time_months + 1 + learning_months,
            quit_hazard_by_year=tuple(wf.attrition.quit_hazard_by_year),
            washout_share=tr.washout_share,
            trial_pass_share=tr.trial_pass_share,
        )
    return NoHiring()


def most_hires(scenario: Scenario, cal: Calendar) -> int:
    """The most reps the scenario's hiring policy can hire in the run: the slots a team
    needs beyond its starting reps."""
    return make_hiring_policy(scenario, cal).most_hires(cal.total_months)

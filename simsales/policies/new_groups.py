"""New supervisor groups: when a group is split, and who leads the new one (F14, F15).

A group with more reps on post than the span of control, after a month's leavers, gets
a new supervisor: a rep of the group promoted at once (the top seller of the last
months), or one hired from outside who starts after a lead time. Half of the group's
reps move to the new group. The model carries out the split (who moves where, leads
handed over, territory split or opened); the policy decides when and who leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.scenario.schema import NewGroups


class NewGroupsPolicy(Protocol):
    @property
    def territory(self) -> str | None:
        """How a new group gets a territory: "split" (of its old group's), "new" or None."""
        ...

    @property
    def new_territory_firms(self) -> int | None:
        """Firms of an opened territory (given when ``territory`` is "new")."""
        ...

    def due(self, on_post_by_group: np.ndarray) -> np.ndarray:
        """Groups that get a new supervisor, from their reps on post after the leavers."""
        ...

    def start_day(self, month: int, end_day: int, cal: Calendar) -> int:
        """Day the new supervisor starts, for a split decided at the close of ``month``
        (``end_day``: the first day after it)."""
        ...

    def supervisor(self, members: np.ndarray, revenue: np.ndarray) -> int:
        """The rep of ``members`` promoted to lead the new group (``revenue``: theirs over
        the last months), or -1 for a supervisor hired from outside."""
        ...

    def revenue_months(self) -> int:
        """Closed months of revenue ``supervisor`` looks at (0: none)."""
        ...


@dataclass(frozen=True)
class NoNewGroups:
    territory: str | None = None
    new_territory_firms: int | None = None

    def due(self, on_post_by_group: np.ndarray) -> np.ndarray:
        return np.empty(0, dtype=np.int64)

    def start_day(self, month: int, end_day: int, cal: Calendar) -> int:
        return end_day

    def supervisor(self, members: np.ndarray, revenue: np.ndarray) -> int:
        return -1

    def revenue_months(self) -> int:
        return 0


@dataclass(frozen=True)
class _PastSpan:
    """A group with more reps on post than ``span_of_control`` gets a new supervisor."""

    span_of_control: int
    territory: str | None
    new_territory_firms: int | None

    def due(self, on_post_by_group: np.ndarray) -> np.ndarray:
        return np.flatnonzero(on_post_by_group > self.span_of_control)


@dataclass(frozen=True)
class PromoteTopRep(_PastSpan):
    """The group's top seller over the last ``top_rep_months`` closed months leads the new
    group from the first day after the decision (F14: supervisors come from the ranks)."""

    top_rep_months: int

    def start_day(self, month: int, end_day: int, cal: Calendar) -> int:
        return end_day

    def supervisor(self, members: np.ndarray, revenue: np.ndarray) -> int:
        return int(members[np.argmax(revenue)])  # ties: the lowest rep number

    def revenue_months(self) -> int:
        return self.top_rep_months


@dataclass(frozen=True)
class HireSupervisor(_PastSpan):
    """A supervisor hired from outside starts on the first day of the month after
    ``lead_time_months``."""

    lead_time_months: int

    def start_day(self, month: int, end_day: int, cal: Calendar) -> int:
        if self.lead_time_months == 0:
            return end_day
        return cal.start(month + 1 + self.lead_time_months)

    def supervisor(self, members: np.ndarray, revenue: np.ndarray) -> int:
        return -1

    def revenue_months(self) -> int:
        return 0


def split_movers(members: np.ndarray, on_post_day: np.ndarray) -> np.ndarray:
    """The reps who move to a new group: every second of ``members`` in order of going on
    post, so both groups keep the same mix of tenure."""
    order = members[np.lexsort((members, on_post_day[members]))]
    return order[1::2]


def make_new_groups_policy(ng: NewGroups) -> NewGroupsPolicy:
    """The policy object of a validated ``workforce.new_groups`` section: the fields its
    policy needs are given (``NewGroups._fields_of_policy``)."""
    if ng.policy == "promote":
        # NewGroups._fields_of_policy: promote needs span_of_control and top_rep_months
        assert ng.span_of_control is not None and ng.top_rep_months is not None
        return PromoteTopRep(
            span_of_control=ng.span_of_control,
            territory=ng.territory,
            new_territory_firms=ng.new_territory_firms,
            top_rep_months=ng.top_rep_months,
        )
    if ng.policy == "hire":
        # NewGroups._fields_of_policy: hire needs span_of_control and lead_time_months
        assert ng.span_of_control is not None and ng.lead_time_months is not None
        return HireSupervisor(
            span_of_control=ng.span_of_control,
            territory=ng.territory,
            new_territory_firms=ng.new_territory_firms,
            lead_time_months=ng.lead_time_months,
        )
    return NoNewGroups()

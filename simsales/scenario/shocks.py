"""When each of a scenario's shocks (``Scenario.shocks``) happens, in working days.

A time outside the reported months, or a freeze that ends before it starts, is an
``Inconsistent`` naming the shock; the other checks that read the shocks with the rest
of the scenario are in ``schema._shocks_consistent``."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

from simsales.scenario.sections.common import Inconsistent
from simsales.scenario.sections.shocks import WHEN_HINT, HiringFreeze, Shock, when_text

if TYPE_CHECKING:
    from simsales.scenario.schema import Scenario


@dataclass(frozen=True)
class ShockTiming:
    """The working days a shock covers: from ``first`` up to ``end`` (excluded); a
    one-day event has ``end = first + 1``. ``month`` is the reported month of ``first``."""

    shock: Shock
    first: int
    end: int
    month: int


def shock_timings(scenario: Scenario) -> list[ShockTiming]:
    """Each shock's working days, in the order written; Inconsistent (naming the shock's
    field) for a time outside the reported months or a freeze that ends before it starts."""
    h = scenario.horizon
    timings = []
    for i, shock in enumerate(scenario.shocks or []):
        if isinstance(shock, HiringFreeze):
            first = _day(scenario, shock.start, f"shocks.{i}.from", until=False)
            end = _day(scenario, shock.until, f"shocks.{i}.until", until=True)
            if end <= first:
                raise Inconsistent(
                    f"shocks.{i}.until",
                    when_text(shock.until),
                    f"must be on or after from ({when_text(shock.start)})",
                )
        else:
            first = _day(scenario, shock.when, f"shocks.{i}.when", until=False)
            end = first + 1
        month = _month_of_day(scenario, first) - h.warmup_months + 1
        timings.append(ShockTiming(shock, first, end, month))
    return timings


def _day(scenario: Scenario, when: int | dt.date, field: str, until: bool) -> int:
    """The working day ``when`` starts on (``until``: the day after it ends)."""
    h = scenario.horizon
    months, w = h.months, h.warmup_months
    if isinstance(when, int):
        if not 1 <= when <= months:
            raise Inconsistent(field, when, f"allowed: months 1..{months} (horizon.months)")
        return h.first_day(w + when - 1 + until)
    if h.start is None:
        raise Inconsistent(
            field,
            when.isoformat(),
            "a date needs horizon.start (the month of "
            "reported month 1); without it, write a reported month number",
        )
    m = h.month_index_of(when)
    if not w <= m < w + months:
        first, last = h.month_label(w), h.month_label(w + months - 1)
        raise Inconsistent(
            field,
            when.isoformat(),
            f"outside the reported months {first}..{last}; allowed: {WHEN_HINT}",
        )
    if until:  # the first working day after it (the day after the horizon: its end)
        return h.working_day(when + dt.timedelta(days=1))
    day = h.working_day(when)
    if day >= h.first_day(w + months):
        raise Inconsistent(
            field, when.isoformat(), "no working day on or after it within the horizon"
        )
    return day


def _month_of_day(scenario: Scenario, day: int) -> int:
    """Month index of working day ``day`` (within the run)."""
    h = scenario.horizon
    lengths = h.month_lengths() or (h.days_per_month,) * (h.warmup_months + h.months)
    return bisect_right(list(accumulate(lengths)), day)

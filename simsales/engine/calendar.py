"""Working-day calendar: day 0 is the first day of the warm-up.

Time runs in working days only. Months are runs of consecutive working days: by default
each has ``days_per_month`` of them (F42: about 26), and a calendar may give each month
its own number (``lengths``), e.g. fewer in a month with holidays. ``days_per_month``
stays the unit a count of days is turned into months with (tenure, ramp, review
windows): a nominal month of work.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from simsales.scenario.schema import Horizon


@dataclass(frozen=True)
class Calendar:
    """Days, months and the warm-up boundary of one run."""

    days_per_month: int  # nominal working days a month: the unit of "months" of days
    warmup_months: int
    months: int
    # Working days of each month, warm-up first; () = days_per_month each.
    lengths: tuple[int, ...] = ()
    # Calendar month (YYYY-MM) of each month, warm-up first; () without horizon.start.
    labels: tuple[str, ...] = ()
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.warmup_months + self.months
        lengths = self.lengths or (self.days_per_month,) * n
        if len(lengths) != n or min(lengths) < 1:
            raise ValueError(f"need {n} month lengths of at least 1 day, got {lengths}")
        object.__setattr__(self, "_starts", (0, *accumulate(lengths)))

    @classmethod
    def from_horizon(cls, h: Horizon) -> Calendar:
        """The scenario's calendar: with ``horizon.calendar``, months of their own working
        days; with ``horizon.start``, each month's calendar month."""
        n = h.warmup_months + h.months
        labels = tuple(h.month_label(m) for m in range(n)) if h.start is not None else ()
        return cls(h.days_per_month, h.warmup_months, h.months, h.month_lengths() or (), labels)

    def month_of_year(self, month: int) -> int | None:
        """Calendar month (1-12) of month index ``month``; None without horizon.start."""
        return int(self.labels[month][5:]) if self.labels else None

    @property
    def uniform(self) -> bool:
        """Every month has ``days_per_month`` working days."""
        return not self.lengths

    @property
    def total_months(self) -> int:
        """Months simulated, warm-up included."""
        return self.warmup_months + self.months

    @property
    def total_days(self) -> int:
        return self._starts[-1]

    def start(self, month: int) -> int:
        """First working day of month index ``month`` (``total_months``: the end; months
        past it, nominal ones after it)."""
        if month > self.total_months:
            return self.total_days + (month - self.total_months) * self.days_per_month
        return self._starts[month]

    @property
    def starts(self) -> np.ndarray:
        """First working day of every month index and, last, the end (``total_days``)."""
        return np.asarray(self._starts, dtype=np.int64)

    def days_in(self, month: int) -> int:
        """Working days of month index ``month``."""
        return self._starts[month + 1] - self._starts[month]

    def month_of(self, day: int) -> int:
        """Month index of a day, counting warm-up months from 0 (days before day 0, such
        as a starting rep's day on post, fall in nominal months before it)."""
        if self.uniform or day < 0:
            return day // self.days_per_month
        if day >= self.total_days:
            return self.total_months + (day - self.total_days) // self.days_per_month
        return bisect_right(self._starts, day) - 1  # the last month starting by the day

    def months_of(self, days: np.ndarray) -> np.ndarray:
        """``month_of`` of every day in an array."""
        days = np.asarray(days)
        if self.uniform:
            return days // self.days_per_month
        inside = np.searchsorted(self.starts, days, side="right") - 1
        before = days // self.days_per_month
        after = self.total_months + (days - self.total_days) // self.days_per_month
        return np.where(days < 0, before, np.where(days >= self.total_days, after, inside))

    def reported_month(self, month_index: int) -> int:
        """Month number shown in tables: 1 = first month after the warm-up."""
        return month_index - self.warmup_months + 1

"""Working-day calendar: day 0 is the first day of the warm-up."""

from __future__ import annotations

from dataclasses import dataclass

from simsales.scenario.schema import Horizon


@dataclass(frozen=True)
class Calendar:
    """Days, months and the warm-up boundary of one run."""

    days_per_month: int
    warmup_months: int
    months: int

    @classmethod
    def from_horizon(cls, h: Horizon) -> Calendar:
        return cls(h.days_per_month, h.warmup_months, h.months)

    @property
    def total_months(self) -> int:
        """Months simulated, warm-up included."""
        return self.warmup_months + self.months

    @property
    def total_days(self) -> int:
        return self.total_months * self.days_per_month

    def month_of(self, day: int) -> int:
        """Month index of a day, counting warm-up months from 0."""
        return day // self.days_per_month

    def reported_month(self, month_index: int) -> int:
        """Month number shown in tables: 1 = first month after the warm-up."""
        return month_index - self.warmup_months + 1

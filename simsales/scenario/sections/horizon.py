"""Section ``horizon``: the simulated calendar."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from simsales.scenario.sections.common import PRINTABLE, Inconsistent, _Strict

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class Holiday(_Strict):
    """Days off work for everyone: one date, or a run of dates (a named week)."""

    name: str = Field(min_length=1, max_length=60, pattern=PRINTABLE,
                      description="What the days are, e.g. Spring Festival.")  # fmt: skip
    first: dt.date = Field(strict=False, description="First day off (YYYY-MM-DD).")
    last: dt.date | None = Field(
        default=None, strict=False, description="Last day off (YYYY-MM-DD); default: first."
    )

    @model_validator(mode="after")
    def _in_order(self) -> Holiday:
        if self.last is not None and self.last < self.first:
            raise Inconsistent("last", str(self.last), f"must be on or after first ({self.first})")
        if self.last is not None and (self.last - self.first).days > 366:
            raise Inconsistent("last", str(self.last), "a holiday lasts at most a year")
        return self

    def days(self) -> list[dt.date]:
        last = self.last or self.first
        return [self.first + dt.timedelta(d) for d in range((last - self.first).days + 1)]


class WorkCalendar(_Strict):
    """Which dates are working days (F42: one day off a week, plus public holidays)."""

    days_off: list[Weekday] = Field(
        max_length=6, description="Weekly days off, e.g. [sunday] (F42: one day off a week)."
    )
    holidays: list[Holiday] = Field(
        default_factory=list, max_length=400, description="Public holidays and named weeks off."
    )


class Horizon(_Strict):
    """Simulated calendar: months of working days (F42)."""

    months: int = Field(ge=1, le=120, description="Months reported, after the warm-up [months].")
    warmup_months: int = Field(
        ge=0,
        le=24,
        description="Months simulated before reporting starts, so pipelines and markets are "
        "in their running state [months].",
    )
    days_per_month: int = Field(
        ge=1,
        le=31,
        description="Working days in a month; with a calendar, the nominal month that turns "
        "days into months (tenure, ramp) [days].",
    )
    start: str | None = Field(
        default=None,
        pattern=_MONTH,
        description="Calendar month of reported month 1 (YYYY-MM, e.g. 2027-01): tables "
        "get a date column and seasonality (leads.seasonality) applies by calendar month.",
    )
    calendar: WorkCalendar | None = Field(
        default=None,
        description="Working days from dates: each month has the dates that are not a "
        "weekly day off or a holiday (needs start); without it, days_per_month each.",
    )

    @model_validator(mode="after")
    def _calendar_needs_start(self) -> Horizon:
        if self.calendar is not None and self.start is None:
            raise Inconsistent("calendar", "set", "needs start (the month of reported month 1)")
        for m, days in enumerate(self.month_lengths() or ()):
            if days == 0:
                raise Inconsistent("calendar", self.month_label(m),
                                   "has no working day in this month")  # fmt: skip
        return self

    def first_month(self) -> tuple[int, int] | None:
        """(year, month) of the first simulated month (the warm-up's first), if start."""
        if self.start is None:
            return None
        year, month = map(int, self.start.split("-"))
        index = year * 12 + month - 1 - self.warmup_months
        return index // 12, index % 12 + 1

    def month_label(self, month_index: int) -> str:
        """YYYY-MM of month index ``month_index`` (0 = the warm-up's first); needs start."""
        first = self.first_month()
        assert first is not None
        index = first[0] * 12 + first[1] - 1 + month_index
        return f"{index // 12:04d}-{index % 12 + 1:02d}"

    def month_lengths(self) -> tuple[int, ...] | None:
        """Working days of each simulated month from the calendar (None without one)."""
        if self.calendar is None or self.start is None:
            return None
        off = {WEEKDAYS.index(d) for d in self.calendar.days_off}
        holidays = {d for h in self.calendar.holidays for d in h.days()}
        lengths = []
        for m in range(self.warmup_months + self.months):
            year, month = map(int, self.month_label(m).split("-"))
            dates = (
                dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
            )
            lengths.append(sum(d.weekday() not in off and d not in holidays for d in dates))
        return tuple(lengths)

    def month_index_of(self, date: dt.date) -> int:
        """Month index (0 = the warm-up's first) of the calendar month of ``date``; needs
        start. Negative or past the last month for dates outside the run."""
        first = self.first_month()
        assert first is not None
        return (date.year * 12 + date.month - 1) - (first[0] * 12 + first[1] - 1)

    def first_day(self, month_index: int) -> int:
        """First working day (0 = the warm-up's first day) of month index ``month_index``
        (the number of months simulated: the day after the last)."""
        lengths = self.month_lengths() or (self.days_per_month,) * (month_index + 1)
        return sum(lengths[:month_index])

    def working_day(self, date: dt.date) -> int:
        """The first working day on or after ``date`` (a date within the run; needs
        start). With a calendar, the working dates count; without one, a date falls at
        the same share of its month's ``days_per_month`` working days (the 16th of a
        30-day month: half-way)."""
        m = self.month_index_of(date)
        start = self.first_day(m)
        if self.calendar is None:
            days = calendar.monthrange(date.year, date.month)[1]
            return start + (date.day - 1) * self.days_per_month // days
        off = {WEEKDAYS.index(d) for d in self.calendar.days_off}
        holidays = {d for h in self.calendar.holidays for d in h.days()}
        earlier = (date.replace(day=d) for d in range(1, date.day))
        return start + sum(d.weekday() not in off and d not in holidays for d in earlier)

    def working_dates(self, first: int, end: int) -> list[dt.date]:
        """The date of each working day from ``first`` up to ``end`` (0 = the warm-up's
        first day; days before or after the run fall in nominal months of
        ``days_per_month`` working days); needs start. The inverse of ``working_day``:
        with a calendar, the working dates themselves; without one, working day j of a
        month is the first date at least j / days_per_month of the way through it."""
        assert self.start is not None
        lengths = self.month_lengths()
        total = self.warmup_months + self.months
        starts = [0]
        for days in lengths or (self.days_per_month,) * total:
            starts.append(starts[-1] + days)
        dates: list[dt.date] = []
        for day in range(first, end):
            if 0 <= day < starts[-1]:
                m = bisect.bisect_right(starts, day) - 1
                j = day - starts[m]
            elif day < 0:
                m, j = divmod(day, self.days_per_month)
            else:
                m, j = divmod(day - starts[-1], self.days_per_month)
                m += total
            year, month = map(int, self.month_label(m).split("-"))
            if lengths is not None and 0 <= m < total:
                dates.append(self._working_dates_of(year, month)[j])
            else:
                days = calendar.monthrange(year, month)[1]
                dates.append(dt.date(year, month, 1 + -(-j * days // self.days_per_month)))
        return dates

    def _working_dates_of(self, year: int, month: int) -> list[dt.date]:
        assert self.calendar is not None
        off = {WEEKDAYS.index(d) for d in self.calendar.days_off}
        holidays = {d for h in self.calendar.holidays for d in h.days()}
        dates = (dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1))
        return [d for d in dates if d.weekday() not in off and d not in holidays]

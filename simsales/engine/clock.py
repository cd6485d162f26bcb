"""The agenda: the model's dated events, run by SimPy in one written-down order.

Time is counted in working days (0 = the first day of the warm-up). Everything that
happens on a date - a month closing, a dated policy change, a hiring class arriving, a
trainee washing out or finishing the trial, leavers going, a group splitting, a
territory re-split, a new month's quotas, a pay period's deal-timing window - is an
event on this agenda: a small named handler put on SimPy's event queue for its day.
Events of one day run in the order of ``Phase`` (then in the order they were put on the
agenda), whatever order they were scheduled in, so the order of same-day events is
written once, here. The last phase of a day is the team's work: one call to the
compiled day for every working day until the next event (``Agenda.next_event_day``), so
SimPy handles only real events, never a bare day.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import IntEnum

import simpy
from simpy.events import EventPriority

# SimPy's own events use priorities 0 (urgent) and 1 (normal); the agenda's come after.
_FIRST_PRIORITY = 2


class Phase(IntEnum):
    """What happens on a working day, in this order."""

    MONTH_CLOSE = 0  # the month that ended yesterday: pay, coaching, quits, dismissals,
    #                  hiring and split decisions; its tables are closed
    WORKFORCE_CHANGE = 1  # a dated change's workforce rules, before the day's class starts
    CLASS_START = 2  # a hiring class starts training
    TRAINEES = 3  # washouts, trials starting, trial results (drawn when the class started)
    LEAVERS = 4  # the quits and dismissals decided at the month close go (paid in full)
    SPLITS = 5  # a group past its span of control gets a new supervisor
    REBALANCE = 6  # territories are re-split among the reps on post
    CHANGE = 7  # a dated change's other rules: pay, quota, behaviour, the day's work
    MONTH_START = 8  # the month's quotas
    DEAL_TIMING = 9  # held deals are booked; who holds or works ahead today
    REFRESHER = 10  # a refresher session takes minutes off the reps' day (F27)
    WORK = 11  # the team's working days, up to the next event


Handler = Callable[[int], None]  # called with the day


class _Dated(simpy.Event):
    """An event that runs ``handler(day)`` when SimPy reaches it (built as SimPy builds
    its own ``Timeout``: triggered at once, processed at its time and priority)."""

    def __init__(self, env: simpy.Environment, handler: Handler, day: int, priority: EventPriority):
        super().__init__(env)
        self._ok, self._value = True, None
        self.callbacks.append(lambda _: handler(day))
        env.schedule(self, priority=priority, delay=day - int(env.now))


class Agenda:
    """Dated events of one replication on a SimPy environment.

    ``at(day, phase, handler)`` puts ``handler(day)`` on the agenda. Nothing is kept for a
    day after ``end`` (the horizon's last working day is ``end - 1``) except the month
    close at ``end``, which closes the last month.
    """

    def __init__(self, end: int) -> None:
        self.env = simpy.Environment()
        self.end = end

    def at(self, day: int, phase: Phase, handler: Handler) -> None:
        """Run ``handler(day)`` on ``day`` in ``phase`` (``day`` >= today)."""
        if day > self.end or (day == self.end and phase != Phase.MONTH_CLOSE):
            return
        if day < self.env.now:
            raise ValueError(f"cannot schedule {handler} on day {day}: today is {self.env.now}")
        _Dated(self.env, handler, day, EventPriority(_FIRST_PRIORITY + phase))

    def next_event_day(self) -> int:
        """The day of the next event on the agenda (``end`` if none is left before it)."""
        nxt = self.env.peek()
        return self.end if nxt == math.inf else min(int(nxt), self.end)

    def run(self) -> None:
        """Run every event in order, to the end of the agenda."""
        self.env.run()

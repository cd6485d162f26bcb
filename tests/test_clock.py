"""The agenda (engine/clock.py): dated events run in day order and, on one day, in the
order of Phase, whatever order they were put on the agenda in."""

from __future__ import annotations

import pytest

from simsales.engine.clock import Agenda, Phase


def test_same_day_events_run_in_phase_order_then_in_the_order_given():
    agenda, ran = Agenda(end=10), []
    phases = (Phase.WORK, Phase.LEAVERS, Phase.MONTH_CLOSE, Phase.LEAVERS, Phase.CLASS_START)
    for i, phase in enumerate(phases):
        agenda.at(3, phase, lambda day, p=phase, i=i: ran.append((day, p.name, i)))
    agenda.at(1, Phase.WORK, lambda day: ran.append((day, "early", 5)))
    agenda.run()
    assert ran == [(1, "early", 5), (3, "MONTH_CLOSE", 2), (3, "CLASS_START", 4),
                   (3, "LEAVERS", 1), (3, "LEAVERS", 3), (3, "WORK", 0)]  # fmt: skip


def test_an_event_may_put_a_later_phase_of_its_own_day_on_the_agenda():
    agenda, ran = Agenda(end=10), []

    def close(day: int) -> None:
        ran.append("close")
        agenda.at(day, Phase.LEAVERS, lambda d: ran.append(f"leavers {d}"))

    agenda.at(4, Phase.MONTH_CLOSE, close)
    agenda.run()
    assert ran == ["close", "leavers 4"]


def test_nothing_runs_after_the_horizon_but_the_last_month_close():
    agenda, ran = Agenda(end=5), []
    agenda.at(5, Phase.MONTH_CLOSE, lambda day: ran.append(("close", day)))
    agenda.at(5, Phase.LEAVERS, lambda day: ran.append(("leavers", day)))
    agenda.at(7, Phase.TRAINEES, lambda day: ran.append(("trainees", day)))
    assert agenda.next_event_day() == 5
    agenda.run()
    assert ran == [("close", 5)]


def test_next_event_day_and_the_past():
    agenda = Agenda(end=20)
    assert agenda.next_event_day() == 20  # nothing on the agenda
    seen = []

    def work(day: int) -> None:
        seen.append((day, agenda.next_event_day()))
        with pytest.raises(ValueError, match="today is"):
            agenda.at(day - 1, Phase.WORK, work)

    agenda.at(2, Phase.WORK, work)
    agenda.at(9, Phase.MONTH_START, lambda day: None)
    agenda.run()
    assert seen == [(2, 9)]

"""Simulate one replication of one scenario: the unit of parallelism.

The model's dated events (month closes, hiring classes, trainees moving on, leavers,
group splits, re-splits, month starts, deal-timing days) are events on one agenda run by
SimPy (``engine.clock``), in the order of ``Phase`` on any one day. The team's work is
the last phase of a day: one call to the compiled day for each working day up to the
next event (leads are data, not processes), so SimPy handles only real events.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.engine.rng import make_streams
from simsales.metrics.cohorts import class_columns
from simsales.metrics.tables import Columns, tables
from simsales.model.customers import Book
from simsales.model.events import EVENT_FIELDS
from simsales.model.ledger import C_OPEN, Ledger
from simsales.model.market import Market
from simsales.model.odds import lead_odds
from simsales.model.payroll import Payroll
from simsales.model.pipeline import Pipeline
from simsales.model.rebalance import Rebalancer
from simsales.model.shocks import schedule_shocks
from simsales.model.team import LEAVE_REASONS, Team, build_team
from simsales.model.timing import DealTiming
from simsales.model.workday import TeamDay
from simsales.model.workforce import Workforce, most_new_groups
from simsales.policies.hiring import HiringPolicy, make_hiring_policy
from simsales.policies.territory import layout
from simsales.scenario.schema import Scenario


@dataclass(frozen=True)
class RunSize:
    """Room one replication reserves from its start, for the rules of every phase."""

    reps: int  # rep slots: the starting team, a roster's trainees and every hire any
    #            phase's policy can make
    territories: int  # territory slots, with those new groups can open
    cooling_off_days: int  # the longest cooling-off of any phase


def run_size(scenario: Scenario, cal: Calendar) -> RunSize:
    """The rep and territory slots and the cooling-off horizon a run of ``scenario``
    reserves: enough for each phase's rules over the whole run (so a dated change never
    needs more room, and no number drawn depends on it)."""
    phases = [s for _, s in scenario.phases()]
    # Each distinct hiring policy makes at most one class a month, so the hires of its
    # phases together stay within its bound for the whole run; distinct ones add up.
    policies: list[HiringPolicy] = []
    for s in phases:
        policy = make_hiring_policy(s, cal)
        if policy not in policies:
            policies.append(policy)
    trainees = sum(p.role == "trainee" for p in scenario.team.roster or [])  # today's
    reps = scenario.team.reps + trainees + sum(p.most_hires(cal.total_months) for p in policies)
    territories = len(scenario.market.territories) + max(most_new_groups(s, reps) for s in phases)
    # A supervisor demoted by F29's review sells again: at most every group each quarter.
    if any(s.supervisor.turnover and s.supervisor.turnover.demote_below for s in phases):
        reps += territories * (cal.total_months // 3)
    return RunSize(reps, territories, max(s.market.cooling_off_days for s in phases))


def simulate(scenario: Scenario, replication: int, seed: int, history: bool = False) -> Columns:
    """Run one replication and return the tidy columns of every result table.

    Pure: the output depends only on (scenario, replication, seed). With ``history`` the
    run also keeps its event log (``model.events``) and returns it as ``events``, with
    every person's dates as ``people``: what ``simsales.history.export`` writes as a CRM
    and HR history. The numbers are the same either way.
    """
    cal = Calendar.from_horizon(scenario.horizon)
    streams = make_streams(seed, replication)
    phases = scenario.phases()  # (first month index, scenario in force): dated changes
    written = scenario  # its shocks (the phases have none: they are the rules)
    labels = scenario.policy_labels()
    size = run_size(scenario, cal)
    scenario = phases[0][1]
    firms = layout(scenario).firms
    team = build_team(scenario, streams.team, size.reps, size.territories)
    market = Market(firms, size.cooling_off_days, cal.total_days, size.territories)
    odds = lead_odds(scenario.leads)
    pipe = Pipeline()
    rec = Ledger(cal, team.capacity, odds.sign.shape[1], market.n)
    agenda = Agenda(end=cal.total_days)
    work = TeamDay(scenario, cal, streams, team, market, pipe, odds, rec, log_events=history)
    book = Book(scenario, cal, team, market, rec, work.state.cool_terr, streams.customers)
    payroll = Payroll(scenario, cal, team, rec, streams.pricing, book)
    workforce = Workforce(scenario, cal, team, streams.workforce, pipe, work, rec, payroll, agenda,
                          streams.supervisors)  # fmt: skip
    # Deal timing acts only through the events it puts on the agenda (and a change).
    timing = DealTiming(scenario, cal, team, rec, payroll, work.state, streams.behaviour, agenda)
    rebalancer = Rebalancer(scenario, cal, team, market, pipe, rec, agenda, work.roster_changed)

    def month_close(day: int) -> None:  # the month that ended yesterday
        month = cal.month_of(day) - 1
        workforce.month_close(month, end_day=day)
        rebalancer.month_close(month, end_day=day)
        rec.close_month(month)
        rec.snapshot(month, team, pipe, market, work.state.interested, end_day=day)

    # A dated change takes effect on its month's first day in two steps: the workforce
    # rules before the day's class starts (a cancelled class never starts), the rest once
    # the last month's leavers have gone, paid and re-split under the rules they left in.
    def change_workforce(phase: int, day: int) -> None:
        workforce.configure(phases[phase][1], cal.month_of(day))

    def change(phase: int, day: int) -> None:
        new, month = phases[phase][1], cal.month_of(day)
        rec.phase[month:] = phase
        work.configure(new)
        payroll.configure(new, month)
        book.configure(new)
        timing.configure(new)
        rebalancer.configure(new)

    def month_start(day: int) -> None:
        payroll.start_month(cal.month_of(day), day)
        workforce.month_start(cal.month_of(day), day)

    def work_until_next_event(day: int) -> None:
        end = agenda.next_event_day()
        workforce.count_trainee_days(day, end - day)
        work.run_days(day, end)
        agenda.at(end, Phase.WORK, work_until_next_event)

    for month in range(cal.total_months):
        agenda.at(cal.start(month), Phase.MONTH_START, month_start)
        agenda.at(cal.start(month + 1), Phase.MONTH_CLOSE, month_close)
    if scenario.team.roster is not None:  # today's people: skills stand still in the warm-up
        work.configure(scenario, learning=False)
        agenda.at(cal.start(cal.warmup_months), Phase.CHANGE, lambda _: work.configure(scenario))
    for phase, (month, _) in enumerate(phases[1:], start=1):
        agenda.at(cal.start(month), Phase.WORKFORCE_CHANGE, partial(change_workforce, phase))
        agenda.at(cal.start(month), Phase.CHANGE, partial(change, phase))
    shocks = None
    if written.shocks:
        shocks = schedule_shocks(written, cal, agenda, work, workforce, rebalancer, market)
    agenda.at(0, Phase.WORK, work_until_next_event)
    agenda.run()
    # Leads still open at the end, by entry month and source (checks entered = signed+lost+open).
    still = pipe.open_mask() & (pipe.entered == 1)
    np.add.at(rec.cohort[C_OPEN], (pipe.entry_month[still], pipe.source[still]), 1)
    rec.territory_names = workforce.territory_names
    columns = tables(rec, team, workforce, book, labels, shocks)
    columns["cohorts"] = class_columns(team, rec, workforce, scenario)
    if history:
        events, values = rec.event_log()
        columns["events"] = {name: events[:, i].copy() for i, name in enumerate(EVENT_FIELDS)}
        columns["events"]["value"] = values.copy()
        columns["people"] = people_columns(team, workforce)
        columns["territories"] = {"name": np.asarray(workforce.territory_names, dtype=object)}
    return columns


def people_columns(team: Team, workforce: Workforce) -> dict[str, np.ndarray]:
    """Every rep the run hired (the starting team included): class, group and territory
    at the end, and the days hired, on post and gone (NO_DAY: not reached), and why."""
    n = team.n
    return {
        "rep": np.arange(n),
        "class": team.klass[:n].copy(),
        "group": team.group[:n].copy(),
        "territory": np.asarray(workforce.territory_names, dtype=object)[team.territory[:n]],
        "hired_day": team.hired_day[:n].copy(),
        "on_post_day": team.on_post_day[:n].copy(),
        "leave_day": team.leave_day[:n].copy(),
        "leave_reason": np.asarray(LEAVE_REASONS, dtype=object)[team.leave_reason[:n]],
    }


def simulate_many(scenario: Scenario, replications: list[int], seed: int) -> dict[int, Columns]:
    """Several replications one after another: what a worker process runs."""
    return {r: simulate(scenario, r, seed) for r in replications}

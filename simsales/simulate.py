"""Simulate one replication of one scenario: the unit of parallelism.

The model's dated events (month closes, hiring classes, trainees moving on, leavers,
group splits, re-splits, month starts, deal-timing days) are events on one agenda run by
SimPy (``engine.clock``), in the order of ``Phase`` on any one day. The team's work is
the last phase of a day: one call to the compiled day for each working day up to the
next event (leads are data, not processes), so SimPy handles only real events.
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.engine.rng import make_streams
from simsales.metrics.cohorts import class_columns
from simsales.metrics.tables import Columns, tables
from simsales.model.ledger import C_OPEN, Ledger
from simsales.model.market import Market
from simsales.model.odds import lead_odds
from simsales.model.payroll import Payroll
from simsales.model.pipeline import Pipeline
from simsales.model.rebalance import Rebalancer
from simsales.model.team import build_team
from simsales.model.timing import DealTiming
from simsales.model.workday import TeamDay
from simsales.model.workforce import Workforce, most_new_groups
from simsales.policies.hiring import most_hires
from simsales.policies.territory import layout
from simsales.scenario.schema import Scenario


def simulate(scenario: Scenario, replication: int, seed: int) -> Columns:
    """Run one replication and return the tidy columns of every result table.

    Pure: the output depends only on (scenario, replication, seed).
    """
    cal = Calendar.from_horizon(scenario.horizon)
    dpm = cal.days_per_month
    streams = make_streams(seed, replication)
    most_reps = scenario.team.reps + most_hires(scenario, cal)
    firms = layout(scenario).firms
    territories = len(firms) + most_new_groups(scenario, most_reps)
    team = build_team(scenario, streams.team, most_reps, territories)
    market = Market(firms, scenario.market.cooling_off_days, cal.total_days, territories)
    odds = lead_odds(scenario.leads)
    pipe = Pipeline()
    rec = Ledger(cal, team.capacity, odds.sign.shape[1], market.n)
    agenda = Agenda(end=cal.total_days)
    work = TeamDay(scenario, cal, streams, team, market, pipe, odds, rec)
    payroll = Payroll(scenario, cal, team, rec, streams.pricing)
    workforce = Workforce(scenario, cal, team, streams.workforce, pipe, work, rec, payroll, agenda)
    # Deal timing acts only through the events it puts on the agenda.
    DealTiming(scenario, cal, team, rec, payroll, work.state, streams.behaviour, agenda)
    rebalancer = Rebalancer(scenario, cal, team, market, pipe, rec, agenda, work.roster_changed)

    def month_close(day: int) -> None:  # the month that ended yesterday
        month = day // dpm - 1
        workforce.month_close(month, end_day=day)
        rebalancer.month_close(month, end_day=day)
        rec.close_month(month)
        rec.snapshot(month, team, pipe, market, work.state.interested, end_day=day)

    def month_start(day: int) -> None:
        payroll.start_month(day // dpm, day)

    def work_until_next_event(day: int) -> None:
        end = agenda.next_event_day()
        workforce.count_trainee_days(day, end - day)
        work.run_days(day, end)
        agenda.at(end, Phase.WORK, work_until_next_event)

    for month in range(cal.total_months):
        agenda.at(month * dpm, Phase.MONTH_START, month_start)
        agenda.at((month + 1) * dpm, Phase.MONTH_CLOSE, month_close)
    agenda.at(0, Phase.WORK, work_until_next_event)
    agenda.run()
    # Leads still open at the end, by entry month and source (checks entered = signed+lost+open).
    still = pipe.open_mask() & (pipe.entered == 1)
    np.add.at(rec.cohort[C_OPEN], (pipe.entry_month[still], pipe.source[still]), 1)
    rec.territory_names = workforce.territory_names
    columns = tables(rec, team, workforce)
    columns["cohorts"] = class_columns(team, rec, workforce, scenario)
    return columns


def simulate_many(scenario: Scenario, replications: list[int], seed: int) -> dict[int, Columns]:
    """Several replications one after another: what a worker process runs."""
    return {r: simulate(scenario, r, seed) for r in replications}

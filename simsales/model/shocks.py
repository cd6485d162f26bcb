"""The scenario's shocks (``Scenario.shocks``) as events on the agenda.

A lead burst, a price change and a competitor act on their day in ``Phase.CHANGE``
(after that day's leavers and re-split, so a burst goes to the reps on post that
morning); a territory re-split runs in ``Phase.REBALANCE`` as a due re-split would; a
hiring freeze is a span of days in which no class starts (``Workforce.freeze``).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.model.market import Market
from simsales.model.rebalance import Rebalancer
from simsales.model.workday import TeamDay
from simsales.model.workforce import Workforce
from simsales.scenario.schema import (
    Competitor,
    HiringFreeze,
    LeadBurst,
    PriceChange,
    Scenario,
    TerritoryResplit,
)
from simsales.scenario.shocks import shock_timings


def schedule_shocks(scenario: Scenario, cal: Calendar, agenda: Agenda, work: TeamDay,
                    workforce: Workforce, rebalancer: Rebalancer,
                    market: Market) -> list[str]:  # fmt: skip
    """Put every shock of ``scenario`` on the agenda; return, for each month index, the
    labels of the shocks that start in it ("" for none)."""
    names = {t.name: i for i, t in enumerate(scenario.market.territories)}
    labels: list[list[str]] = [[] for _ in range(cal.total_months)]
    for timing in shock_timings(scenario):
        shock, day = timing.shock, timing.first
        labels[cal.month_of(day)].append(shock.label)
        if isinstance(shock, HiringFreeze):
            workforce.freeze(timing.first, timing.end)
        elif isinstance(shock, TerritoryResplit):
            resplit = partial(rebalancer.resplit, accounts_to=shock.accounts_to,
                              cost=shock.cost_per_account)  # fmt: skip
            agenda.at(day, Phase.REBALANCE, resplit)
        else:
            agenda.at(day, Phase.CHANGE, _handler(shock, names, work, market))
    return ["; ".join(month) for month in labels]


def _handler(shock: LeadBurst | PriceChange | Competitor, names: dict[str, int],
             work: TeamDay, market: Market):  # fmt: skip
    """What the shock does on its day."""
    if isinstance(shock, PriceChange):
        return lambda day: work.reprice(shock.deal_value_multiplier)
    if isinstance(shock, Competitor):
        where = np.array([names[t] for t in shock.territories], dtype=np.int64)

        def enter(day: int) -> None:
            market.sign[where] *= shock.sign_multiplier

        return enter
    listed = shock.territories

    def burst(day: int) -> None:
        # Default: every territory that exists today (those new groups opened too).
        if listed is None:
            where = np.flatnonzero(work.team.territory_group != -1)
        else:
            where = np.array([names[t] for t in listed], dtype=np.int64)
        work.add_leads(day, shock.leads, where)

    return burst

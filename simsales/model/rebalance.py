"""Re-splitting exclusive territories by remaining potential as headcount changes.

At a month's close the policy decides whether to re-split (every N months, or when a
territory's reps on post have changed by more than a share since the last re-split);
the re-split is put on the agenda for the next month's first day, after that day's
leavers and joiners (``engine.clock.Phase``). Each territory's available firms are moved
towards an equal share per rep on post: a territory with more than its share gives the
surplus - that share of its available and cooling-off firms, and the same share of its
open leads (the accounts) - to those with less, in proportion to what they lack. Moved
accounts go to the receiving territory's reps in turn, or to the public pool, and each
costs ``cost_per_account``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.clock import Agenda, Phase
from simsales.model import ledger as rc
from simsales.model.ledger import Ledger
from simsales.model.market import Market
from simsales.model.pipeline import (
    LAST_TOUCH,
    N_POOL,
    NEXT_DUE,
    OWNER,
    POOL,
    POOL_SINCE,
    TERRITORY,
    Pipeline,
)
from simsales.model.team import Team
from simsales.policies.rebalancing import make_rebalancing_policy, transfers
from simsales.scenario.schema import Scenario


class Rebalancer:
    """Decides and carries out re-splits of one replication's territories."""

    def __init__(self, scenario: Scenario, cal: Calendar, team: Team, market: Market,
                 pipe: Pipeline, rec: Ledger, agenda: Agenda,
                 roster_changed: Callable[[], None]):  # fmt: skip
        self.cal = cal
        self.frozen = scenario.team.roster is not None
        self.configure(scenario)
        self.team, self.market, self.pipe, self.rec = team, market, pipe, rec
        self.agenda, self.roster_changed = agenda, roster_changed
        self.reference = self._reps()  # reps on post per territory at the last re-split

    def configure(self, scenario: Scenario) -> None:
        """The re-split rule of ``scenario`` from the next month close on."""
        self.rule = scenario.market.rebalancing
        self.policy = make_rebalancing_policy(self.rule)

    def _reps(self) -> np.ndarray:
        team = self.team
        return np.bincount(team.territory[team.on_post()], minlength=self.market.n)

    def month_close(self, month: int, end_day: int) -> None:
        """Decide whether the next month, starting on ``end_day``, starts with a re-split."""
        month_no = month - self.cal.warmup_months + 1
        if self.frozen and month_no < 1:
            return  # a roster's warm-up keeps the territories as they are today
        if self.policy.resplit_due(month_no, self._reps(), self.reference):
            self.agenda.at(end_day, Phase.REBALANCE, self.resplit)

    def resplit(self, day: int, accounts_to: str | None = None, cost: float | None = None) -> None:
        """Re-split the territories today; moved accounts go ``accounts_to`` and cost
        ``cost`` each (default: as ``market.rebalancing`` says)."""
        accounts_to = accounts_to or self.rule.accounts_to
        cost = self.rule.cost_per_account or 0.0 if cost is None else cost
        month = self.cal.month_of(day)
        reps = self._reps()
        self.reference = reps
        market = self.market
        flow = transfers(market.available.astype(float), reps.astype(float))
        moved_any, moved = False, 0
        for t in np.flatnonzero(flow.sum(axis=1) > 0).tolist():
            start_available = market.available[t]
            receivers = np.flatnonzero(flow[t] > 0)
            accounts = self._accounts(t)
            counts = np.floor(flow[t, receivers] / start_available * accounts.size).astype(int)
            # The accounts that move, spread over the territory's owners and ages.
            m = int(counts.sum())
            moved += m
            chosen = accounts[(np.arange(m) * accounts.size) // max(m, 1)]
            first = 0
            for u, n in zip(receivers, counts, strict=True):
                # A share of what t has now, so that t gives u flow[t, u] available firms.
                market.move(t, int(u), flow[t, u] / market.available[t], day)
                self._hand_over(chosen[first : first + n], t, int(u), day, month, accounts_to)
                first += n
            moved_any = True
        self.rec.rebalancing_cost[month] += cost * moved
        self.rec.team[month, rc.REBALANCINGS] += 1
        if moved_any:
            self.roster_changed()

    def _accounts(self, t: int) -> np.ndarray:
        """Territory t's open entered leads (owned or in its pool), spread over owners and
        ages: rows in table order."""
        p = self.pipe
        return np.flatnonzero((p.territory == t) & (p.entered == 1) & (p.owner >= POOL))

    def _hand_over(self, rows: np.ndarray, t: int, to: int, day: int, month: int,
                   accounts_to: str | None) -> None:  # fmt: skip
        """Leads ``rows`` of territory t, and their firms, become territory ``to``'s: its
        reps' in turn, or the public pool's."""
        if rows.size == 0:
            return
        p, team, table = self.pipe, self.team, self.pipe.table
        p.mark_handed(rows)
        was_pool = table[OWNER, rows] == POOL
        table[TERRITORY, rows] = to
        self.market.firms[t] -= rows.size  # the firms in contact move with their leads
        self.market.firms[to] += rows.size
        heirs = np.flatnonzero(team.on_post() & (team.territory == to))
        if accounts_to == "new_owner" and heirs.size:
            table[OWNER, rows] = heirs[np.arange(rows.size) % heirs.size]
            table[POOL_SINCE, rows] = -1
            table[LAST_TOUCH, rows] = day
            table[NEXT_DUE, rows] = day
            p.sizes[N_POOL] -= int(was_pool.sum())
        else:
            p.to_pool(rows[~was_pool], day)
        self.rec.team[month, rc.ACCOUNTS_MOVED] += rows.size

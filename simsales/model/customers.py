"""Customers after signing (F8): a book of accounts, as arrays.

Every deal booked becomes an account owned by the rep who closed it, worth its value a
year. At each month's close, before pay: the month's new accounts join the book (a
leaver's held deals, booked as they go, join at the next close, already orphaned);
orphaned accounts are handed over (``customers.handover``); then every account decides,
with one uniform number each:

- on an anniversary that ends a term: renew (chance ``renewal_probability``, times
  ``accounts_per_rep / accounts`` if its rep owns more, times ``1 - orphan_renewal_penalty``
  while orphaned), paying the fee grown by ``upsell``, or churn;
- on any other anniversary: pay the yearly fee;
- in any other month (not the month it joined): cancel with chance ``cancel_per_month``.

Fees of existing customers are ``renewal_revenue``, credited to the owner for the renewal
commission. A churned firm cools off in its territory and may be prospected again, as a
new customer. Accounts never come back to life: customers joined = active + churned.
"""

from __future__ import annotations

import numpy as np

from simsales.engine.calendar import Calendar
from simsales.engine.rng import lognormal_parameters
from simsales.model.ledger import HELD_OPEN, L_DAY, L_REP, L_TERR, Ledger
from simsales.model.market import Market
from simsales.model.team import ACCOUNT_MANAGER, Team
from simsales.scenario.schema import Customers, Scenario

ORPHAN = -1  # owner of an account whose rep left and that is not yet handed over
HOUSE = -2  # owner of an account handed to the house pool (handover.to: pool)
NEVER = np.iinfo(np.int64).max  # churn month of an active account

# Per month, team level (team_month columns, in this order).
BOOK_COLUMNS = (
    "customers_won",  # accounts that joined the book
    "renewals_due",  # terms that ended
    "renewals",  # of those, renewed
    "customers_churned",  # did not renew, or cancelled within a term
    "renewal_revenue",  # yearly fees of existing customers (renewals and mid-term)
    "customers_active",  # at the month's end
    "customers_orphaned",  # at the month's end: their rep left, not yet handed over
    "recurring_revenue",  # yearly fees of the active accounts at the month's end
    "net_revenue_retention",  # their fees now over a year before; NaN in the first year
)
(WON, DUE, RENEWED, CHURNED, RENEWAL_REVENUE, ACTIVE, ORPHANED, RECURRING,
 NRR) = range(len(BOOK_COLUMNS))  # fmt: skip
# An account's fields: who owns it and who signed it, the month index of the signing and
# of joining the book, its territory, renewals so far, the month it churned (NEVER while
# active) and since when it is orphaned (-1: it is not); its yearly fee now and at signing.
INT_FIELDS = ("owner", "signer", "won", "added", "territory", "renewals", "churn", "orphan_since")
FLOAT_FIELDS = ("value", "first_value")


class Book:
    """The accounts of one replication and what they did each month."""

    def __init__(self, scenario: Scenario, cal: Calendar, team: Team, market: Market,
                 rec: Ledger, cool_terr: np.ndarray, rng: np.random.Generator):  # fmt: skip
        self.cal, self.team, self.market, self.rec, self.rng = cal, team, market, rec, rng
        self.cool_terr = cool_terr  # firms the compiled day cools off at its end
        self.n = 0
        self.data: dict[str, np.ndarray] = {n: np.zeros(1024, dtype=np.int64) for n in INT_FIELDS}
        self.data.update({name: np.zeros(1024) for name in FLOAT_FIELDS})  # [yuan/year]
        self.next_row = 0  # signing-log rows before this are in the book or pending
        self.pending = np.empty(0, dtype=np.int64)  # held deals not yet booked
        m, r = cal.total_months, team.capacity
        self.month = np.zeros((m, len(BOOK_COLUMNS)))
        self.month[:, NRR] = np.nan  # known only with customers, from a year in
        self.rep_revenue = np.zeros((m, r))  # renewal revenue credited to each owner
        self.rep_accounts = np.zeros((m, r))  # active accounts each rep owns at month end
        self.churned_now = np.empty(0, dtype=np.int64)  # accounts churned at this close
        self.configure(scenario)
        if self.c is not None and self.c.starting_per_rep:
            self._starting_book(scenario, self.c.starting_per_rep)

    def configure(self, scenario: Scenario) -> None:
        """The customer rules of ``scenario`` from the next close on (a dated change)."""
        self.c = scenario.customers
        managers = scenario.roles.account_managers if scenario.roles else None
        self.manager_capacity = managers.accounts_per_manager if managers else 1

    def __getattr__(self, name: str) -> np.ndarray:
        """An account field (``owner``, ``value``, ...) of the accounts so far: a view."""
        data = self.__dict__.get("data")
        if data is None or name not in data:
            raise AttributeError(name)
        return data[name][: self.__dict__["n"]]

    # ------------------------------------------------------------ joining
    def _add(self, owner: np.ndarray, won: np.ndarray, territory: np.ndarray,
             value: np.ndarray, added: int) -> None:  # fmt: skip
        k, data = owner.size, self.data
        if self.n + k > data["value"].size:
            size = max(2 * data["value"].size, self.n + k)
            for name, a in data.items():
                data[name] = np.concatenate([a, np.zeros(size - a.size, dtype=a.dtype)])
        new = slice(self.n, self.n + k)
        fields: dict[str, np.ndarray | int] = {
            "owner": owner, "signer": owner, "won": won, "added": added, "territory": territory,
            "renewals": 0, "churn": NEVER, "orphan_since": -1, "value": value,
            "first_value": value,
        }  # fmt: skip
        for name, values in fields.items():
            data[name][new] = values
        self.n += k

    def _starting_book(self, scenario: Scenario, per_rep: int) -> None:
        """Each rep on post at the start owns ``per_rep`` accounts of their territory,
        won over the last term (anniversaries spread evenly), worth what a deal is."""
        team, market = self.team, self.market
        assert self.c is not None
        reps = np.repeat(np.flatnonzero(team.on_post()), per_rep)
        term = self.c.term_months
        won = -1 - np.floor(self.rng.random(reps.size) * term).astype(np.int64)
        mu, sigma = lognormal_parameters(
            scenario.leads.deal_value_mean, scenario.leads.deal_value_cv
        )
        value = self.rng.lognormal(mu, sigma, reps.size)
        territory = team.territory[reps]
        taken = np.bincount(territory, minlength=market.n)  # fits: _starting_book_fits
        market.available -= taken
        market.untouched -= np.minimum(taken, market.untouched)
        market.customers += taken
        self._add(reps, won, territory, value, added=0)
        if (team.role == ACCOUNT_MANAGER).any():  # roles: account managers own them
            every = np.arange(self.n)
            self._give(every, every)

    def _take_booked(self, month: int) -> np.ndarray:
        """Deals booked since the last close join the book; returns the new accounts."""
        log, value = self.rec.log()
        rows = np.concatenate([self.pending, np.arange(self.next_row, log.shape[1])])
        booked = log[L_DAY, rows] != HELD_OPEN
        self.pending, self.next_row = rows[~booked], log.shape[1]
        rows = rows[booked]
        first = self.n
        owner = log[L_REP, rows]
        self._add(owner, self.cal.months_of(log[L_DAY, rows]), log[L_TERR, rows], value[rows],
                  added=month)  # fmt: skip
        gone = np.flatnonzero(~self.team.on_post()[owner]) + first  # a leaver's held deals
        self.data["owner"][gone] = ORPHAN
        self.data["orphan_since"][gone] = month
        fresh = np.arange(first, self.n)
        if (self.team.role == ACCOUNT_MANAGER).any():  # roles: account managers own them
            mine = fresh[self.owner[fresh] >= 0]
            self._give(mine, np.flatnonzero(self.churn == NEVER))
        return fresh

    # ------------------------------------------------------------ owners
    def orphan(self, reps: np.ndarray, day: int) -> None:
        """``reps`` leave on ``day``: their active accounts are orphaned."""
        if reps.size == 0 or self.n == 0:
            return
        mine = np.flatnonzero(np.isin(self.owner, reps) & (self.churn == NEVER))
        self.data["owner"][mine] = ORPHAN
        self.data["orphan_since"][mine] = self.cal.month_of(day)

    def move_territory(self, old: int, new: int, count: int) -> None:
        """``count`` of territory ``old``'s customers now lie in territory ``new`` (the
        market split its customers)."""
        mine = np.flatnonzero((self.territory == old) & (self.churn == NEVER))
        moved = min(count, mine.size)  # the market also counts held deals not yet booked
        self.data["territory"][mine[mine.size - moved :]] = new

    def _owned(self, active: np.ndarray) -> np.ndarray:
        """Active accounts each rep owns."""
        owner = self.owner[active]
        return np.bincount(owner[owner >= 0], minlength=self.team.capacity)

    def _hand_over(self, month: int, active: np.ndarray) -> None:
        """Orphaned accounts that waited ``after_months`` closes go to the pool, or each to
        the on-post rep of its territory who owns the fewest (none there: they wait)."""
        assert self.c is not None
        h = self.c.handover
        since = self.orphan_since[active]
        due = active[(self.owner[active] == ORPHAN) & (month - since >= h.after_months)]
        if due.size == 0:
            return
        if h.to == "pool":
            self.data["owner"][due] = HOUSE
            self.data["orphan_since"][due] = -1
            return
        self._give(due, active)

    def _give(self, accounts: np.ndarray, active: np.ndarray) -> None:
        """Each of ``accounts`` to the least-loaded of its heirs: the account managers on
        post of its territory (any account manager if it has none) when the team has
        them (roles), else the reps on post of its territory; none: it stays as it is."""
        team = self.team
        load = self._owned(active)
        on_post = team.on_post()
        managers = on_post & (team.role == ACCOUNT_MANAGER)
        for t in np.unique(self.territory[accounts]):
            if managers.any():
                here = managers & (team.territory == t)
                heirs = np.flatnonzero(here if here.any() else managers)
            else:
                heirs = np.flatnonzero(on_post & (team.territory == t))
            if heirs.size == 0:
                continue
            for a in accounts[self.territory[accounts] == t]:
                heir = heirs[np.argmin(load[heirs])]
                self.data["owner"][a], self.data["orphan_since"][a] = heir, -1
                load[heir] += 1

    # ------------------------------------------------------------ the close
    def close_month(self, month: int) -> None:
        """The month's close: new accounts, handovers, then renewals, fees and churn."""
        c = self.c
        if c is None:  # no customers section: every signing is a one-off sale
            return
        fresh = self._take_booked(month)
        self.month[month, WON] = fresh.size
        self.churned_now = np.empty(0, dtype=np.int64)
        active = np.flatnonzero(self.churn == NEVER)
        if active.size:
            self._hand_over(month, active)
            self._decide(month, c, active, fresh)
        self._count(month)

    def _decide(self, month: int, c: Customers, active: np.ndarray, fresh: np.ndarray) -> None:
        owner = self.owner[active]
        age = month - self.won[active]
        u = self.rng.random(active.size)
        anniversary = (age > 0) & (age % 12 == 0)
        term_end = anniversary & (age % c.term_months == 0)
        load = self._owned(active)[np.maximum(owner, 0)]
        capacity = np.where(self.team.role[np.maximum(owner, 0)] == ACCOUNT_MANAGER,
                            self.manager_capacity, c.accounts_per_rep)  # fmt: skip
        with np.errstate(divide="ignore"):
            factor = np.where(owner >= 0, np.minimum(1.0, capacity / load), 1.0)
        factor = np.where(owner == ORPHAN, 1.0 - c.handover.orphan_renewal_penalty, factor)
        renew = term_end & (u < c.renewal_probability * factor)
        cancel = ~anniversary & ~np.isin(active, fresh) & (u < c.cancel_per_month)
        lost = (term_end & ~renew) | cancel
        renewed = active[renew]
        self.data["value"][renewed] *= 1 + c.upsell
        self.data["renewals"][renewed] += 1
        paying = anniversary & ~lost
        row = self.month[month]
        row[DUE], row[RENEWED] = np.count_nonzero(term_end), renewed.size
        row[RENEWAL_REVENUE] = self.value[active[paying]].sum()
        by_rep = paying & (owner >= 0)
        np.add.at(self.rep_revenue[month], owner[by_rep], self.value[active[by_rep]])
        churned = active[lost]
        self.data["churn"][churned] = month
        self.churned_now = churned
        row[CHURNED] = churned.size
        # The firm cools off in its territory (the compiled day ends the day with it).
        terr = self.territory[churned]
        np.subtract.at(self.market.customers, terr, 1)
        np.add.at(self.cool_terr, terr, 1)

    def _count(self, month: int) -> None:
        active = np.flatnonzero(self.churn == NEVER)
        row = self.month[month]
        row[ACTIVE] = active.size
        row[ORPHANED] = np.count_nonzero(self.owner[active] == ORPHAN)
        row[RECURRING] = self.value[active].sum()
        self.rep_accounts[month] = self._owned(active)
        # Net revenue retention: the accounts in the book a year ago (those churned since
        # count 0), their fees now over what they paid a year then.
        before = self.month[month - 12, RECURRING] if month >= 12 else 0.0
        kept = active[self.added[active] <= month - 12]
        row[NRR] = self.value[kept].sum() / before if before > 0 else np.nan

"""Territories as finite markets of prospect firms, counted, not listed.

A firm is available, in contact (being worked by a rep), cooling off after a
"no", or a customer. Contacted firms come back only after the cooling-off
period, so a territory worked harder than it refills saturates. The compiled
day (``model.kernel``) moves firms between these counts.
"""

from __future__ import annotations

import numpy as np


class Market:
    """Firm counts per territory, with a release schedule for cooling-off firms.

    ``capacity`` territory slots in all: those past ``firms`` start empty, for territories
    that new supervisor groups open or split off during the run (``split``, ``open``).
    """

    def __init__(
        self, firms: np.ndarray, cooling_off_days: int, total_days: int, capacity: int = 0
    ):
        self.firms = np.zeros(max(len(firms), capacity), dtype=np.int64)
        self.firms[: len(firms)] = firms
        self.n = len(self.firms)
        self.available = self.firms.copy()
        self.untouched = self.firms.copy()  # never contacted yet (a subset of available)
        self.cooling = np.zeros_like(self.firms)
        self.customers = np.zeros_like(self.firms)
        # release[t, d]: firms of territory t whose cooling-off ends on day d.
        self.release = np.zeros((self.n, total_days + cooling_off_days + 1), dtype=np.int64)
        # Factor on every sign chance of a territory's leads (a competitor: shocks).
        self.sign = np.ones(self.n)

    @property
    def in_contact(self) -> np.ndarray:
        return self.firms - self.available - self.cooling - self.customers

    def open(self, t: int, firms: int) -> None:
        """Territory slot ``t`` becomes a market of ``firms`` untouched firms."""
        self.firms[t] = self.available[t] = self.untouched[t] = firms

    def split(self, t: int, new: int, share: float, day: int) -> None:
        """Move ``share`` of territory t's firms that nobody is in contact with (available,
        cooling off with their release days, customers) to the empty slot ``new``, on the
        morning of ``day``; firms in contact stay in t with their leads."""
        self.move(t, new, share, day, customers=True)
        self.sign[new] = self.sign[t]  # the competitor is in both halves

    def move(self, t: int, to: int, share: float, day: int, customers: bool = False) -> None:
        """Move ``share`` of territory t's available firms (untouched ones in proportion)
        and of its cooling-off firms, with their release days, to territory ``to``; with
        ``customers`` its customers too. Each count is rounded down."""
        moved_release = np.floor(self.release[t, day:] * share).astype(np.int64)
        self.release[t, day:] -= moved_release
        self.release[to, day:] += moved_release
        moved = {"cooling": int(moved_release.sum())}
        for name in ("available", "untouched", *(("customers",) if customers else ())):
            moved[name] = int(getattr(self, name)[t] * share)
        for name, count in moved.items():
            getattr(self, name)[t] -= count
            getattr(self, name)[to] += count
        total = moved["available"] + moved["cooling"] + moved.get("customers", 0)
        self.firms[t] -= total
        self.firms[to] += total

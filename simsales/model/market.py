"""Territories as finite markets of prospect firms, counted, not listed.

A firm is available, in contact (being worked by a rep), cooling off after a
"no", or a customer. Contacted firms come back only after the cooling-off
period, so a territory worked harder than it refills saturates.
"""

from __future__ import annotations

import numpy as np


class Market:
    """Firm counts per territory, with a release schedule for cooling-off firms."""

    def __init__(self, firms: np.ndarray, cooling_off_days: int, total_days: int):
        self.firms = np.asarray(firms, dtype=np.int64)
        self.available = self.firms.copy()
        self.untouched = self.firms.copy()  # never contacted yet (a subset of available)
        self.customers = np.zeros_like(self.firms)
        self.cooling_off_days = cooling_off_days
        self._release = np.zeros((len(self.firms), total_days + cooling_off_days + 1), np.int64)
        self.cooling = np.zeros_like(self.firms)
        self.n = len(self.firms)

    @property
    def in_contact(self) -> np.ndarray:
        return self.firms - self.available - self.cooling - self.customers

    def release(self, day: int) -> None:
        """Firms whose cooling-off ends today become available again."""
        back = self._release[:, day]
        self.available += back
        self.cooling -= back

    def take(self, wanted: np.ndarray) -> np.ndarray:
        """Take up to ``wanted`` firms per territory into contact; returns how many were taken.

        Untouched and returning firms are taken in proportion to what is available.
        """
        got = np.minimum(wanted, self.available)
        self.untouched -= got * self.untouched // np.maximum(self.available, 1)
        self.available -= got
        return got

    def give_back(self, per_territory: np.ndarray) -> None:
        """Return firms taken but not used today (they stay available, touched or not)."""
        self.available += per_territory

    def cool(self, per_territory: np.ndarray, day: int) -> None:
        """Contacted firms that did not sign cool off until ``day + cooling_off_days``."""
        self._release[:, day + self.cooling_off_days] += per_territory
        self.cooling += per_territory

    def sign(self, per_territory: np.ndarray) -> None:
        """Firms that signed become customers and leave the prospect market."""
        self.customers += per_territory

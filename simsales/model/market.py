"""Territories as finite markets of prospect firms, counted, not listed.

A firm is available, in contact (being worked by a rep), cooling off after a
"no", or a customer. Contacted firms come back only after the cooling-off
period, so a territory worked harder than it refills saturates. The compiled
day (``model.kernel``) moves firms between these counts.
"""

from __future__ import annotations

import numpy as np


class Market:
    """Firm counts per territory, with a release schedule for cooling-off firms."""

    def __init__(self, firms: np.ndarray, cooling_off_days: int, total_days: int):
        self.firms = np.asarray(firms, dtype=np.int64)
        self.n = len(self.firms)
        self.available = self.firms.copy()
        self.untouched = self.firms.copy()  # never contacted yet (a subset of available)
        self.cooling = np.zeros_like(self.firms)
        self.customers = np.zeros_like(self.firms)
        # release[t, d]: firms of territory t whose cooling-off ends on day d.
        self.release = np.zeros((self.n, total_days + cooling_off_days + 1), dtype=np.int64)

    @property
    def in_contact(self) -> np.ndarray:
        return self.firms - self.available - self.cooling - self.customers

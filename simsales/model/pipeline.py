"""Open leads as columns of numpy arrays (leads are data, not SimPy processes).

Columns live in preallocated buffers that grow by doubling; a closed lead is
marked with ``owner == CLOSED`` and squeezed out when closed leads pile up, so a
day costs a few array operations whatever the number of leads.
"""

from __future__ import annotations

import numpy as np

# Lead sources (column ``source``; also the ``source`` of lead_cohorts).
SOURCES = ("prospected", "hq", "customer_referral", "nonbuyer_referral")
PROSPECTED_SRC, HQ_SRC, CUSTOMER_REFERRAL_SRC, NONBUYER_REFERRAL_SRC = range(4)
POOL, CLOSED = -1, -2  # owner codes: in the public pool (F11); closed (signed or lost)
NEVER = np.iinfo(np.int32).max  # next_due / last_touch of a lead nobody works on

_COLUMNS = {
    "owner": np.int32,  # rep index, POOL or CLOSED
    "territory": np.int32,
    "state": np.int16,  # lead class and next touch: index of the TouchStates tables
    "grade": np.int8,  # 0..3 = A..D (F6)
    "rank": np.int8,  # visiting order within a rep's day: grade if entered, 4 + grade if not yet
    "entered": np.bool_,  # entered into the CRM (valid, F5); False for a booked first visit
    "source": np.int8,
    "next_due": np.int32,  # working day the next touch is due; NEVER in the pool or closed
    "last_touch": np.int32,  # day of the last touch (or arrival / claim); NEVER likewise
    "pool_since": np.int32,  # day the lead went to the pool, -1 if owned
    "entry_month": np.int16,  # month index (warm-up included) the lead was entered (or booked)
    "reclaimed": np.bool_,  # was claimed from the pool at least once
}


class Pipeline:
    """All leads not yet closed. Columns are read and written as ``pipe.owner`` etc."""

    def __init__(self, capacity: int = 1024) -> None:
        self._buf = {name: np.empty(capacity, dtype=dt) for name, dt in _COLUMNS.items()}
        self.n = 0
        self.n_closed = 0

    def __len__(self) -> int:
        return self.n

    def add(self, k: int, **cols: np.ndarray | int) -> None:
        """Append ``k`` leads; scalar columns broadcast to length ``k``."""
        if k == 0:
            return
        if len(cols) != len(_COLUMNS):
            raise ValueError(f"lead columns must be exactly {sorted(_COLUMNS)}, got {sorted(cols)}")
        if self.n + k > len(self._buf["owner"]):
            size = max(2 * len(self._buf["owner"]), self.n + k)
            for name, buf in self._buf.items():
                grown = np.empty(size, dtype=buf.dtype)
                grown[: self.n] = buf[: self.n]
                self._buf[name] = grown
        for name, value in cols.items():
            self._buf[name][self.n : self.n + k] = value
        self.n += k

    def close(self, idx: np.ndarray) -> None:
        """Mark leads as closed (signed or lost); their counts were recorded by the caller.

        A closed lead is never due and never stale, so daily scans need not check owners.
        """
        self._buf["owner"][idx] = CLOSED
        self._buf["next_due"][idx] = NEVER
        self._buf["last_touch"][idx] = NEVER
        self.n_closed += idx.size

    def compact(self) -> None:
        """Squeeze out closed leads once they are half the table (amortised O(1) per lead)."""
        if self.n_closed * 2 < self.n:
            return
        keep = np.flatnonzero(self._buf["owner"][: self.n] != CLOSED)
        for buf in self._buf.values():
            buf[: keep.size] = buf[keep]
        self.n, self.n_closed = keep.size, 0

    def open_mask(self) -> np.ndarray:
        return self.owner != CLOSED


def _column(name: str) -> property:
    return property(lambda self: self._buf[name][: self.n], doc=f"Column {name!r} of open leads.")


for _name in _COLUMNS:
    setattr(Pipeline, _name, _column(_name))

"""Open leads as columns of one int32 table (leads are data, not SimPy processes).

The table grows by doubling before a day that could overflow it; a closed lead is
marked with ``owner == CLOSED`` and squeezed out by the compiled day once closed
leads are half the rows, so a day's work grows with the leads, not with history.
"""

from __future__ import annotations

import numpy as np

# Lead sources (column ``source``; also the ``source`` of lead_cohorts).
SOURCES = ("prospected", "hq", "customer_referral", "nonbuyer_referral")
PROSPECTED_SRC, HQ_SRC, CUSTOMER_REFERRAL_SRC, NONBUYER_REFERRAL_SRC = range(4)
POOL, CLOSED = -1, -2  # owner codes: in the public pool (F11); closed (signed or lost)
NEVER = int(np.iinfo(np.int32).max)  # next_due / last_touch of a lead nobody works on

COLUMNS = (
    "owner",  # rep index, POOL or CLOSED
    "territory",
    "state",  # lead class and next touch: index of the TouchStates tables
    "grade",  # 0..3 = A..D (F6)
    "rank",  # visiting order within a rep's day: grade if entered, 4 + grade if not yet
    "entered",  # 1 once entered into the CRM (valid, F5); 0 for a booked first visit
    "source",
    "next_due",  # working day the next touch is due; NEVER in the pool or closed
    "last_touch",  # day of the last touch (or arrival / claim); NEVER likewise
    "pool_since",  # day the lead went to the pool, -1 if owned
    "entry_month",  # month index (warm-up included) the lead was entered (or booked)
    "flags",  # RECLAIMED_BIT: claimed from the pool at least once; HANDED_BIT: changed hands
    # F35 stages, kept only once the lead has changed hands (HANDED_BIT); before, all three
    # are its owner. (Not written when a lead is created: a 13th column written per new
    # lead costs a quarter of the appointment calls' time in memory traffic.)
    "found_by",  # rep who brought the lead in (information stage)
    "worked_by",  # rep who made the touch before the last (groundwork stage)
    "touched_by",  # rep who made the last touch (the closer, when it signs)
    "lead_id",  # a lead's number for its history; written only when the run logs events
)
(
    OWNER,
    TERRITORY,
    STATE,
    GRADE,
    RANK,
    ENTERED,
    SOURCE,
    NEXT_DUE,
    LAST_TOUCH,
    POOL_SINCE,
    ENTRY_MONTH,
    FLAGS,
    FOUND_BY,
    WORKED_BY,
    TOUCHED_BY,
    LEAD_ID,
) = range(len(COLUMNS))
# Bits of the ``flags`` column; bits 2-4 count other reps' approaches to the firm (open
# market), at most DUPLICATES_MAX.
RECLAIMED_BIT, HANDED_BIT, DUPLICATE_ONE, DUPLICATES_MAX = 1, 2, 4, 7
# Entries of ``Pipeline.sizes``: rows in use, closed rows not yet squeezed out, pool leads,
# lead ids given so far (when the run logs events).
N_ROWS, N_CLOSED, N_POOL, N_IDS = range(4)


class Pipeline:
    """All leads not yet squeezed out: ``table[column, i]`` (columns are contiguous, as
    the day scans them); read a column as ``pipe.owner``."""

    # Columns of the lead rows in use, ``table[column, :n]``: read-only views set as
    # properties below the class, one per name of COLUMNS.
    owner: np.ndarray
    territory: np.ndarray
    state: np.ndarray
    grade: np.ndarray
    rank: np.ndarray
    entered: np.ndarray
    source: np.ndarray
    next_due: np.ndarray
    last_touch: np.ndarray
    pool_since: np.ndarray
    entry_month: np.ndarray
    flags: np.ndarray
    found_by: np.ndarray
    worked_by: np.ndarray
    touched_by: np.ndarray
    lead_id: np.ndarray

    def __init__(self, capacity: int = 1024) -> None:
        self.table = np.empty((len(COLUMNS), capacity), dtype=np.int32)
        self.sizes = np.zeros(4, dtype=np.int64)  # N_ROWS, N_CLOSED, N_POOL, N_IDS

    @property
    def n(self) -> int:
        return int(self.sizes[N_ROWS])

    def __len__(self) -> int:
        return self.n

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows (the most a day can add)."""
        need = self.n + extra
        if need > self.table.shape[1]:
            grown = np.empty((len(COLUMNS), max(2 * self.table.shape[1], need)), dtype=np.int32)
            grown[:, : self.n] = self.table[:, : self.n]
            self.table = grown

    def mark_handed(self, rows: np.ndarray) -> None:
        """The leads ``rows`` are about to leave their owner: keep their F35 stages from
        now on (until now all three were the owner's)."""
        t = self.table
        fresh = rows[(t[FLAGS, rows] & HANDED_BIT) == 0]
        for column in (FOUND_BY, WORKED_BY, TOUCHED_BY):
            t[column, fresh] = t[OWNER, fresh]
        t[FLAGS, fresh] |= HANDED_BIT

    def to_pool(self, rows: np.ndarray, day: int) -> None:
        """The owned leads ``rows`` go to the public pool (F11) on ``day``."""
        t = self.table
        t[OWNER, rows] = POOL
        t[POOL_SINCE, rows] = day
        t[NEXT_DUE, rows] = NEVER
        t[LAST_TOUCH, rows] = NEVER
        self.sizes[N_POOL] += rows.size

    def open_mask(self) -> np.ndarray:
        return self.owner != CLOSED


def _column(index: int, name: str) -> property:
    return property(
        lambda self: self.table[index, : self.n], doc=f"Column {name!r} of the lead rows."
    )


for _i, _name in enumerate(COLUMNS):
    setattr(Pipeline, _name, _column(_i, _name))

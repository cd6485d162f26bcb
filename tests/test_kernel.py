"""The compiled working day: its disk cache stays valid, and its small helpers."""

from __future__ import annotations

import numpy as np

from simsales.model import kernel
from simsales.model.pipeline import COLUMNS, NEXT_DUE, RANK


def test_compiled_day_is_recompiled_when_what_it_builds_in_changes():
    """numba's cache only watches kernel.py; COMPILED_WITH ties it to its dependencies."""
    assert kernel.COMPILED_WITH == kernel.dependency_fingerprint(), (
        "a constant or function the compiled day builds in has changed: set "
        f'COMPILED_WITH = "{kernel.dependency_fingerprint()}" in simsales/model/kernel.py'
    )


def test_visiting_order_is_grade_first_then_most_overdue_and_stable():
    day = 100
    leads = np.zeros((len(COLUMNS), 6), dtype=np.int32)
    # (rank, next_due): C due today, A due today, A 5 days overdue, booked visit (rank 4+B),
    # A due today (ties with lead 1), A overdue beyond the cap (ties with nothing).
    for i, (rank, due) in enumerate([(2, 100), (0, 100), (0, 95), (5, 99), (0, 100), (0, 1)]):
        leads[RANK, i], leads[NEXT_DUE, i] = rank, due
    idx = np.arange(6, dtype=np.int64)
    kernel._sort_by_visit_order(idx, np.empty(6, dtype=np.int64), leads, day)
    assert idx.tolist() == [5, 2, 1, 4, 0, 3]


def test_grades_follow_the_cumulative_mix_and_never_exceed_d():
    cdf = np.array([0.1, 0.4, 0.8, 0.9999999])  # rounding can leave the last below 1
    grades = [kernel._grade(u, cdf) for u in (0.0, 0.0999, 0.1, 0.5, 0.85, 0.99999999)]
    assert grades == [0, 0, 1, 2, 3, 3]


def test_taking_firms_keeps_the_untouched_share():
    available = np.array([1_000, 5], dtype=np.int64)
    untouched = np.array([600, 5], dtype=np.int64)
    assert kernel._take(available, untouched, 0, 100) == 100
    assert (available[0], untouched[0]) == (900, 540)  # 60% of those taken were untouched
    assert kernel._take(available, untouched, 1, 9) == 5  # no more than there are
    assert (available[1], untouched[1]) == (0, 0)

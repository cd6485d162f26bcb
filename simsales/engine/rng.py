"""The only place where random generators are made.

One independent stream per random source, spawned from
``SeedSequence(seed, spawn_key=(replication, stream))``. The same (seed,
replication) gives the same numbers whatever process runs it, and two scenarios
run with the same seed draw each source from the same stream (common random
numbers), so paired comparisons see the policy's effect, not sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Stable stream ids: append new sources at the end so existing streams keep their numbers.
STREAMS = (
    "team",  # starting tenure and skill potential
    "records",  # interested share of prospect records
    "calls",  # phone closes, bookings and the grade of booked prospects
    "visits",  # validity of first visits (F5)
    "touches",  # outcome of pipeline touches
    "arrivals",  # HQ leads, and the grade of arriving leads
    "deals",  # deal values
    "referrals",  # how many referrals a signing or a non-buyer gives (F9)
)


@dataclass(frozen=True)
class Streams:
    """Named numpy Generators for one replication."""

    team: np.random.Generator
    records: np.random.Generator
    calls: np.random.Generator
    visits: np.random.Generator
    touches: np.random.Generator
    arrivals: np.random.Generator
    deals: np.random.Generator
    referrals: np.random.Generator


def make_streams(seed: int, replication: int) -> Streams:
    """Create the independent generators of one replication."""
    if seed < 0 or replication < 0:
        raise ValueError(f"seed and replication must be >= 0, got {seed}, {replication}")
    gens = {
        name: np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, i)))
        )
        for i, name in enumerate(STREAMS)
    }
    return Streams(**gens)

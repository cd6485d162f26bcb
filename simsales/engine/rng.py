"""The only place where random generators are made.

One independent stream per random source, spawned from
``SeedSequence(seed, spawn_key=(replication, stream))``. The same (seed,
replication) gives the same numbers whatever process runs it, and two scenarios
run with the same seed draw each source from the same stream (common random
numbers), so paired comparisons see the policy's effect, not sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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
    "hq",  # HQ leads per territory and day (F10)
    "workforce",  # new hires' potential, washout, trial; quits and review tie-breaks
    "behaviour",  # which reps time deals for pay
    "pricing",  # deals' price ratios (F36)
    "customers",  # accounts after signing: the starting book, renewals and cancellations
    "supervisors",  # supervisors' quits, and a demoted supervisor's potential
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
    hq: np.random.Generator
    workforce: np.random.Generator
    behaviour: np.random.Generator
    pricing: np.random.Generator
    customers: np.random.Generator
    supervisors: np.random.Generator


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


def lognormal_parameters(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this mean and coefficient of variation."""
    sigma2 = float(np.log1p(cv**2))
    return float(np.log(mean) - sigma2 / 2), float(np.sqrt(sigma2))


# Sources the compiled working day draws from, in the order of ``Draws`` below.
DRAWN = ("records", "calls", "visits", "touches", "arrivals", "deals", "referrals")
DEALS = DRAWN.index("deals")  # standard normal numbers (deal values are lognormal)
MIN_BUFFER = 4096


class Draws(NamedTuple):
    """Numbers drawn ahead for the compiled day: each source's next number is
    ``buffer[pos[source]]``. Normal numbers for deals, uniform [0, 1) for the rest."""

    records: np.ndarray
    calls: np.ndarray
    visits: np.ndarray
    touches: np.ndarray
    arrivals: np.ndarray
    deals: np.ndarray
    referrals: np.ndarray
    pos: np.ndarray  # next unused index of each buffer, in DRAWN order


class DrawBuffers:
    """Each source's numbers, drawn from its generator in chunks before the day needs them.

    Chunked draws give the same sequence as one draw at a time (the generators keep no
    state between calls beyond the bit generator), so what a replication draws depends
    only on its streams, never on chunk sizes.
    """

    def __init__(self, streams: Streams) -> None:
        self._gens = [getattr(streams, name) for name in DRAWN]
        self._length = np.zeros(len(DRAWN), dtype=np.int64)
        empty = np.empty(0)
        self.current = Draws._make([*([empty] * len(DRAWN)), np.zeros(len(DRAWN), dtype=np.int64)])

    def ensure(self, need: np.ndarray) -> Draws:
        """Buffers with at least ``need[s]`` unused numbers of every source ``s``."""
        short = np.flatnonzero(self._length - self.current.pos < need)
        if short.size == 0:
            return self.current
        bufs, pos = list(self.current[: len(DRAWN)]), self.current.pos
        for s in short.tolist():
            rest = bufs[s][pos[s] :]
            size = max(2 * int(need[s]), MIN_BUFFER)
            gen = self._gens[s]
            fresh = gen.standard_normal(size) if s == DEALS else gen.random(size)
            bufs[s] = np.concatenate((rest, fresh))
            self._length[s] = bufs[s].size
            pos[s] = 0
        self.current = Draws._make([*bufs, pos])
        return self.current


# Spawn key of the analysis generator: one element, so it is no replication's (two).
ANALYSIS_KEY = 2**31 - 1


def analysis_generator(seed: int) -> np.random.Generator:
    """A generator for analysing results (e.g. bootstrap resampling), independent of
    every replication's streams of the same seed."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(ANALYSIS_KEY,)))
    )

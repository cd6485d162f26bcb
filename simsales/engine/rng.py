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


Groups = list[tuple[int, "slice | np.ndarray"]]


def split_blocks(block: np.ndarray, n_blocks: int, is_sorted: bool = False) -> Groups:
    """(replication in block, positions) for every replication that has elements.

    ``block`` gives each element's replication within the block; positions keep the
    elements' order, so each replication sees its draws in the order it would alone.
    """
    counts = np.bincount(block, minlength=n_blocks)
    order = None if is_sorted else np.argsort(block, kind="stable")
    groups: Groups = []
    start = 0
    for b, count in enumerate(counts.tolist()):
        if count:
            part = slice(start, start + count)
            groups.append((b, part if order is None else order[part]))
        start += count
    return groups


class BlockRandom:
    """One random source across a block of replications simulated together.

    Replication b of the block draws only from its own generator, in the same order
    and amounts as when simulated alone, so a replication's results do not depend on
    which others share its block. Each draw takes the elements' ``groups`` (see
    ``split_blocks``); a block of one replication takes the fast path.
    """

    def __init__(self, gens: list[np.random.Generator]):
        self.gens = gens
        self.size = len(gens)

    def _route(self, groups: Groups, n: int, draw, dtype=float) -> np.ndarray:
        out = np.empty(n, dtype=dtype)
        for b, sel in groups:
            k = sel.stop - sel.start if isinstance(sel, slice) else sel.size
            out[sel] = draw(self.gens[b], sel, k)
        return out

    def random(self, groups: Groups, n: int) -> np.ndarray:
        """One uniform [0, 1) number for each of ``n`` elements."""
        if self.size == 1:
            return self.gens[0].random(n)
        return self._route(groups, n, lambda g, sel, k: g.random(k))

    def lognormal(self, mean: float, sigma: float, groups: Groups, n: int) -> np.ndarray:
        if self.size == 1:
            return self.gens[0].lognormal(mean, sigma, n)
        return self._route(groups, n, lambda g, sel, k: g.lognormal(mean, sigma, k))


@dataclass(frozen=True)
class BlockStreams:
    """Every random source of a block of replications (see BlockRandom)."""

    team: BlockRandom
    records: BlockRandom
    calls: BlockRandom
    visits: BlockRandom
    touches: BlockRandom
    arrivals: BlockRandom
    deals: BlockRandom
    referrals: BlockRandom


def make_block_streams(seed: int, replications: list[int]) -> BlockStreams:
    """Streams of several replications, each exactly as ``make_streams`` makes them."""
    each = [make_streams(seed, r) for r in replications]
    return BlockStreams(**{name: BlockRandom([getattr(s, name) for s in each]) for name in STREAMS})

"""Random streams: one per source, reproducible, independent across replications."""

from __future__ import annotations

import numpy as np
import pytest

from simsales.engine.rng import STREAMS, make_streams


def test_same_seed_and_replication_give_the_same_numbers():
    a, b = make_streams(7, 3), make_streams(7, 3)
    for name in STREAMS:
        np.testing.assert_array_equal(getattr(a, name).random(5), getattr(b, name).random(5))


def test_streams_differ_by_source_replication_and_seed():
    first = {name: getattr(make_streams(7, 3), name).random(3).tobytes() for name in STREAMS}
    assert len(set(first.values())) == len(STREAMS)
    assert make_streams(7, 4).touches.random(3).tobytes() != first["touches"]
    assert make_streams(8, 3).touches.random(3).tobytes() != first["touches"]


def test_negative_seed_is_rejected():
    with pytest.raises(ValueError):
        make_streams(-1, 0)

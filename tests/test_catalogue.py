"""The metric catalogue covers every headline metric and writes values as people read them."""

from __future__ import annotations

import math

from simsales.metrics.catalogue import CATALOGUE, GROUPS, metric, ordered


def test_every_headline_metric_is_catalogued(small_results):
    names = set(small_results.metrics().columns)
    assert names == set(CATALOGUE), (
        f"not catalogued: {sorted(names - set(CATALOGUE))}; "
        f"catalogued but not computed: {sorted(set(CATALOGUE) - names)}"
    )


def test_entries_are_complete_and_plain():
    for m in CATALOGUE.values():
        assert m.group in GROUPS
        assert m.better in ("higher", "lower", None)
        assert "_" not in m.label, f"{m.name}: label {m.label!r} reads like code"
        assert m.kind == "share" or m.unit, f"{m.name}: a non-share needs a unit"
    diagnostics = [m for m in CATALOGUE.values() if m.group == "Calibration diagnostics"]
    assert diagnostics and all(m.better is None for m in diagnostics)


def test_values_are_written_for_people():
    assert metric("revenue").format(121_266_541.4) == "121,266,541"
    assert metric("revenue").format(1.2e9) == "1,200,000,000"  # never 1.2e+09
    assert metric("revenue").format(-16_686_879, signed=True) == "-16,686,879"
    assert metric("revenue").format_short(-16_686_879, signed=True) == "-16.7 M"
    assert metric("share_at_quota").format(0.4721) == "47.2%"
    assert metric("share_at_quota").format(-0.031, signed=True) == "-3.1 pp"
    assert metric("reps_on_post").format(64.14) == "64.1"
    assert metric("reps_on_post").format(math.nan) == "-"
    assert metric("stale_to_pool").format(-0.2) == "0"  # rounds to zero: no "-0"
    assert metric("my_own_column").label == "my_own_column"


def test_money_and_headcount_come_first_and_diagnostics_last():
    order = ordered(["f2_sign_rate", "quits", "my_own", "reps_on_post", "revenue"])
    assert order == ["revenue", "reps_on_post", "quits", "f2_sign_rate", "my_own"]

"""Every bundled scenario gives exactly its pinned results (``tests/golden_tables.py``).

If this fails after a change that is meant to move numbers, regenerate the golden files
with ``python -m tests.golden_tables`` in a commit of its own that says what moved and why.
"""

from __future__ import annotations

import json

import pytest

from tests.golden_tables import GOLDEN, cases, differences, golden_of


def test_every_bundled_scenario_and_stress_case_has_a_golden_file():
    have = {p.stem for p in GOLDEN.glob("*.json")}
    want = set(cases())
    assert have == want, f"missing: {sorted(want - have)}; stale: {sorted(have - want)}"


@pytest.mark.parametrize("name", cases())
def test_results_match_the_golden_tables(name):
    target = GOLDEN / f"{name}.json"
    if not target.is_file():
        pytest.fail(f"no golden file for {name}; run python -m tests.golden_tables")
    moved = differences(json.loads(target.read_text()), golden_of(name))
    assert not moved, (
        f"{name} no longer gives its golden results:\n  "
        + "\n  ".join(moved)
        + "\nIf this is intended, regenerate with `python -m tests.golden_tables` "
        "in a commit of its own that says what moved and why."
    )


def test_a_moved_number_is_reported():
    """The comparison is not blind: a changed mean, row count or checksum is named."""
    old = json.loads((GOLDEN / f"{cases()[0]}.json").read_text())
    new = json.loads(json.dumps(old))
    new["summary"]["revenue"]["mean"] = "1"
    new["tables"]["funnel"]["sha256"] = "0" * 64
    moved = differences(old, new)
    assert any(line.startswith("metric revenue: mean") for line in moved)
    assert "table funnel: values changed" in moved

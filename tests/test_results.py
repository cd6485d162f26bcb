"""Results: summary statistics, atomic save and faithful load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simsales
from simsales.results import MANIFEST, TABLES


def test_tables_are_tidy_and_keyed(small_results, small):
    for name in TABLES:
        table = getattr(small_results, name)
        assert list(table.columns[:2]) == ["scenario", "replication"], name
        if name == "cohorts":  # no hiring in this scenario: no classes, the columns remain
            assert table.empty and "signing_rate_1m_of_on_post" in table.columns
            continue
        assert set(table["scenario"]) == {small.name}
        assert sorted(table["replication"].unique()) == [0, 1, 2]
    tm = small_results.team_month
    assert sorted(tm["month"].unique()) == list(range(1, small.horizon.months + 1))
    assert len(small_results.rep_month) == 3 * small.horizon.months * small.team.reps
    assert set(small_results.lead_cohorts["source"]) == {
        "prospected",
        "hq",
        "customer_referral",
        "nonbuyer_referral",
    }


def test_summary_is_a_t_interval_over_replications(small_results):
    summary = small_results.summary()
    assert list(summary.columns) == [
        "scenario", "metric", "mean", "ci_low", "ci_high", "p10", "p50", "p90", "n"
    ]  # fmt: skip
    row = summary.set_index("metric").loc["signings"]
    per_rep = small_results.team_month.groupby("replication")["signings"].sum().to_numpy()
    lo, hi = stats.t.interval(0.95, len(per_rep) - 1, per_rep.mean(), stats.sem(per_rep))
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(per_rep.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert row["p50"] == pytest.approx(np.median(per_rep))


def test_save_and_load_round_trip(tmp_path, small_results):
    out = small_results.save(tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + [MANIFEST]
    )  # no temporary files left behind
    loaded = simsales.load_results(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, name), getattr(small_results, name))
    assert loaded.manifest == json.loads(json.dumps(small_results.manifest, default=str))
    pd.testing.assert_frame_equal(loaded.summary(), small_results.summary())


def test_manifest_says_what_was_run(small_results, small):
    m = small_results.manifest
    assert m["seed"] == 11 and m["replications"] == 3
    assert m["scenario"] == small.model_dump(mode="json")
    assert len(m["scenario_hash"]) == 64
    assert set(m["versions"]) >= {"simsales", "simpy", "numpy", "python"}
    assert simsales.Scenario.model_validate(m["scenario"]) == small  # re-runnable as saved


def test_saved_files_follow_the_umask(tmp_path, small_results):
    out = small_results.save(tmp_path / "run")
    mode = (out / "team_month.parquet").stat().st_mode & 0o777
    assert mode & 0o044  # readable by others under the usual 022 umask, not mkstemp's 0600


def test_loading_an_incomplete_folder_is_a_clear_error(tmp_path, small_results):
    out = small_results.save(tmp_path / "run")
    (out / "funnel.parquet").unlink()
    with pytest.raises(simsales.ResultsError, match="missing funnel.parquet"):
        simsales.load_results(out)


def test_failed_write_keeps_the_previous_file(tmp_path, small_results, monkeypatch):
    """A write that fails half-way leaves the old table intact and no temporary file."""
    out = small_results.save(tmp_path / "run")
    before = (out / "team_month.parquet").read_bytes()

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        small_results.save(out)
    assert (out / "team_month.parquet").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_run_rejects_bad_arguments(small):
    for kwargs in ({"replications": 0}, {"seed": -1}, {"workers": 0}):
        with pytest.raises(ValueError):
            simsales.run(small, **kwargs)
    with pytest.raises(TypeError):
        simsales.run({"team": {}})

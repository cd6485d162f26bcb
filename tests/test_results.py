"""Results: summary statistics, atomic save and faithful load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simsales
from simsales.experiment.results import MANIFEST, TABLES
from simsales.metrics.catalogue import GROUPS, ordered
from simsales.metrics.summary import NUMERIC, RunInfo, Summary, summarize


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
        "scenario", "metric", "mean", "ci_low", "ci_high", "p10", "p50", "p90", "n",
        "group", "label", "unit",
    ]  # fmt: skip
    assert all(pd.api.types.is_numeric_dtype(summary[c]) for c in NUMERIC)
    row = summary.set_index("metric").loc["signings"]
    per_rep = small_results.team_month.groupby("replication")["signings"].sum().to_numpy()
    lo, hi = stats.t.interval(0.95, len(per_rep) - 1, per_rep.mean(), stats.sem(per_rep))
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(per_rep.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    assert row["p50"] == pytest.approx(np.median(per_rep))


def test_summary_rows_follow_the_catalogue(small_results):
    """Rows in the catalogue's order (money first, diagnostics last), each with its group,
    plain label and unit."""
    summary = small_results.summary()
    assert list(summary["metric"]) == ordered(small_results.metrics().columns)
    assert summary["group"].iloc[0] == "Money" and summary["group"].iloc[-1] == GROUPS[-1]
    row = summary.set_index("metric").loc["revenue"]
    assert (row["group"], row["label"], row["unit"]) == ("Money", "Revenue (new deals)", "yuan")
    assert summary.set_index("metric").loc["attainment", "unit"] == "share"


def people_summary() -> Summary:
    """A summary of hand-made metrics over 3 replications of a 12-month horizon."""
    index = pd.MultiIndex.from_product([["plan"], range(3)], names=["scenario", "replication"])
    metrics = pd.DataFrame({"f2_sign_rate": [0.05, 0.051, 0.049],
                            "revenue": [121_265_541.4, 121_266_541.4, 121_267_541.4],
                            "quits": [0.0, 0.0, 0.0],
                            "margin": [1.2e9] * 3,
                            "share_at_quota": [0.4621, 0.4721, 0.4821]}, index=index)  # fmt: skip
    return summarize(metrics, runs={"plan": RunInfo(12, 3, 3, 1)})


def test_summary_shows_itself_as_a_person_reads_it():
    """The repr: the horizon and what the interval is, then per group label, unit, mean,
    CI, P10 and P90; money with separators (never 1.2e+09), shares as percentages; a
    metric shown only when non-zero is left out, and the note says so."""
    text = repr(people_summary())
    lines = text.splitlines()
    assert lines[0] == "scenario 'plan': 12 months after a 3-month warm-up; 3 replications, seed 1"
    assert lines[1].endswith("95% CI of the mean over 3 simulated years; P10-P90: the spread "
                             "of single years.")  # fmt: skip
    assert [line for line in lines if line in GROUPS] == ["Money", "Sales",
                                                          "Calibration diagnostics"]  # fmt: skip
    revenue = next(line for line in lines if line.startswith("  Revenue "))
    assert revenue.split()[3:5] == ["yuan", "121,266,541"]
    margin = next(line for line in lines if line.startswith("  Margin "))
    assert "1,200,000,000" in margin and "e+" not in text
    at_quota = next(line for line in lines if line.startswith("  Reps at quota"))
    assert at_quota.split()[-6:-4] == ["%", "47.2%"]  # the unit as the values are written
    assert "Reps who quit" not in text
    assert lines[-1] == ("Not shown: 1 metric zero in every replication; the DataFrame has "
                         "every row.")  # fmt: skip
    assert str(people_summary()) == text


def test_summary_html_for_notebooks(small_results):
    html = small_results.summary()._repr_html_()
    assert html.startswith('<div class="simsales-summary">')
    assert "4 months after a 1-month warm-up; 3 replications, seed 11" in html
    assert html.index(">Money<") < html.index(">Calibration diagnostics<")
    assert "<td" in html and "yuan" in html and "%</td>" in html and "e+" not in html


def test_frames_derived_from_a_summary_still_work(small_results):
    """Selections keep the readable view; set_index, pivots and extra columns give frames
    that show as plain DataFrames; concatenating summaries keeps every scenario's header."""
    summary = small_results.summary()
    some = summary[summary["metric"].isin(["revenue", "signings"])]
    assert "Revenue" in repr(some) and "Deals signed" in repr(some)
    by_metric = summary.set_index("metric")
    assert repr(by_metric) == pd.DataFrame.__repr__(by_metric)  # plain
    assert by_metric.loc["signings", "n"] == 3
    wide = summary.pivot_table(index="scenario", columns="metric", values="mean")
    assert wide.iloc[0]["revenue"] == by_metric.loc["revenue", "mean"]
    swept = summary.assign(point=0)
    assert repr(swept) == pd.DataFrame.__repr__(swept)  # a sweep's summary: plain
    both = pd.concat([summary, summary.assign(scenario="again")], ignore_index=True)
    assert isinstance(both, Summary) and len(both) == 2 * len(summary)
    assert "scenario 'again': 3 replications" in repr(both)  # no manifest of its own
    name = small_results.manifest["scenario"]["name"]
    assert f"scenario {name!r}: 4 months after a 1-month warm-up" in repr(both)


@pytest.mark.parametrize(
    ("info", "sentence"),
    [(RunInfo(12, 3, 50, 1), "95% CI of the mean over 50 simulated years; P10-P90: the "
                             "spread of single years"),
     (RunInfo(6, 0, 20), "95% CI of the mean over 20 simulated runs of 6 months; P10-P90: "
                         "the spread of single runs")],
)  # fmt: skip
def test_the_interval_is_said_in_words(info, sentence):
    from simsales.metrics.summary import interval_sentence

    assert interval_sentence(info, info.replications) == sentence
    assert RunInfo(12, 3, 50).horizon == "12 months after a 3-month warm-up"
    assert RunInfo(1, 0, 5).horizon == "1 month, no warm-up"


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

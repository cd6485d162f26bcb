"""A simulated run as a team's history (issue 18 item 4): the event log leaves every
number as it was, the activities and roster it gives add up to the run's own tables, pass
the checks a company's own files get, and ``simsales export-history`` writes them from a
stored results folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.history import formats
from simsales.history.export import simulated_history
from simsales.simulate import simulate
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

SMALL = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides({
    "horizon.months": 6, "horizon.warmup_months": 1, "horizon.start": "2027-01",
    "team.reps": 16, "name": "small",
})  # fmt: skip
SEED = 3


@pytest.fixture(scope="module")
def history() -> simsales.history.export.History:
    return simulated_history(SMALL, 0, SEED)


def reported(activities: pd.DataFrame) -> pd.DataFrame:
    """The rows dated in the reported months (the history starts with the warm-up)."""
    return activities[activities["date"] >= pd.Timestamp("2027-01-01")]


@pytest.mark.parametrize("scenario", ["baseline.yaml", "territory_open.yaml", "shocks_2027.yaml"])
def test_the_event_log_moves_no_number(scenario):
    sc = simsales.load_scenario(ROOT / "scenarios" / scenario)
    if sc.shocks is None:
        sc = sc.with_overrides({"horizon.months": 4, "horizon.warmup_months": 1})
    plain, logged = simulate(sc, 0, SEED), simulate(sc, 0, SEED, history=True)
    for table, columns in plain.items():
        for name, values in columns.items():
            a, b = pd.Series(values), pd.Series(logged[table][name])
            pd.testing.assert_series_equal(a, b, check_exact=True, obj=f"{table}.{name}")
    assert {"events", "people", "territories"} <= set(logged) and "events" not in plain


def test_activities_add_up_to_the_run_s_tables(history):
    """Each kind of row, counted over the reported months, is the run's own counter."""
    rows = reported(history.activities).groupby("kind").size()
    tm = history.team_month
    assert rows["record"] == tm["prospect_records"].sum()
    assert rows["call"] == tm["phone_appointments"].sum()  # appointment and touch-0 calls
    assert rows["first_visit"] == tm["visits"].sum()
    assert rows["followup"] == tm["followups"].sum()
    assert rows["entered"] == tm["leads_entered"].sum()
    assert rows["signed"] == tm["signings"].sum()  # the baseline holds no deal
    assert rows["lost"] == tm["leads_lost"].sum()  # said no, dropped, expired in the pool
    signed = reported(history.activities).query("kind == 'signed'")
    assert signed["deal_value"].sum() == pytest.approx(tm["revenue"].sum(), rel=1e-9)
    hq = reported(history.activities).query("kind == 'entered' and source == 'hq'")
    assert len(hq) == tm["hq_leads"].sum()


def test_roster_adds_up_to_the_run_s_tables(history):
    """Hires by month of their hire date; leavers by the month of the day after their last
    day (team_month counts a leaver in the month of the first day gone)."""
    roster, tm = history.roster, history.team_month
    reps = roster[roster["role"] == "rep"]
    hired = reps[(reps["class"] > 0) & (reps["hire_date"] >= "2027-01-01")]
    assert hired.groupby(hired["hire_date"].dt.month).size().reindex(range(1, 7), fill_value=0)\
        .tolist() == tm["hires"].tolist()  # fmt: skip
    dates = SMALL.horizon.working_dates(0, SMALL.horizon.first_day(7) + 1)
    gone = reps.dropna(subset=["leave_date"])
    first_gone = [dates[dates.index(d.date()) + 1] for d in gone["leave_date"]]
    months = pd.Series([d.month if d.year == 2027 else 0 for d in first_gone], index=gone.index)
    for reason, column in (("quit", "quits"), ("washed_out", "washouts")):
        mine = months[gone["leave_reason"] == reason]
        assert mine[mine > 0].value_counts().reindex(range(1, 7), fill_value=0).tolist() == \
            tm[column].tolist(), reason  # fmt: skip
    assert set(roster.loc[roster["role"] == "supervisor", "group"]) == set(reps["group"])


def test_the_history_passes_the_checks_of_a_company_s_own_files(history, tmp_path):
    """Written, read back and checked as a company's files are: every per-lead rule holds
    (record first, one first visit, follow-ups after it, one close, nothing after it)."""
    for suffix in ("csv", "parquet"):
        a, r = tmp_path / f"activities.{suffix}", tmp_path / f"roster.{suffix}"
        formats.write_activities(history.activities, a)
        formats.write_roster_history(history.roster, r)
        activities, roster = formats.read_activities(a), formats.read_roster_history(r)
        formats.check_consistent(activities, roster, str(a), str(r))
        assert len(activities) == len(history.activities)
        assert activities["kind"].tolist() == history.activities["kind"].tolist()
        np.testing.assert_allclose(activities["deal_value"], history.activities["deal_value"])


def test_an_own_prospect_goes_from_record_to_its_end(history):
    """A prospect's rows: record, call, first visit, entered, follow-ups, then signed or
    lost, on non-decreasing dates, by reps of one territory."""
    a = history.activities
    signed = a[(a["kind"] == "signed") & a["lead_id"].str.startswith("P")]["lead_id"]
    lead = a[a["lead_id"] == signed.iloc[len(signed) // 2]]
    kinds = lead["kind"].tolist()
    assert kinds[:2] == ["record", "call"]
    assert kinds[-1] == "signed" and kinds.count("signed") == 1
    if "first_visit" in kinds:  # not a phone close
        assert kinds[2:4] == ["first_visit", "entered"]
        assert set(kinds[4:-1]) <= {"followup"}
    assert lead["date"].is_monotonic_increasing
    assert lead["territory"].nunique() == 1


# ------------------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("stored")
    result = invoke("run", ROOT / "scenarios" / "baseline.yaml", "-r", "2", "-w", "1",
                    "--no-progress", "--seed", str(SEED), "--out", out,
                    "--set", "horizon.months=3", "--set", "horizon.warmup_months=1",
                    "--set", "team.reps=16")  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_export_history_writes_the_stored_replication(stored, tmp_path):
    result = invoke("export-history", stored, "--out", tmp_path / "h", "--replication", "1",
                    "--start", "2027-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "history of replication 1 written to" in result.stdout
    activities = formats.read_activities(tmp_path / "h" / "activities.csv")
    team_month = simsales.load_results(stored).team_month
    signed = activities[(activities["kind"] == "signed") & (activities["date"] >= "2027-01-01")]
    assert len(signed) == team_month.query("replication == 1")["signings"].sum()
    again = invoke("export-history", stored, "--out", tmp_path / "h", "--start", "2027-01")
    assert_bad_input(again, "activities.csv, roster.csv exist; add --force")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--replication", "2", "--start", "2027-01"], "--replication 2: allowed: 0..1"),
        ([], "has no horizon.start: a history needs dates"),
        (["--start", "2027-13"], "--start '2027-13'"),
        (["--format", "xlsx", "--start", "2027-01"], "--format 'xlsx': allowed: csv, parquet"),
    ],
    ids=["replication", "no-start", "bad-start", "format"],
)
def test_export_history_refuses_bad_options(stored, tmp_path, args, words):
    assert_bad_input(invoke("export-history", stored, "--out", tmp_path / "h", *args), words)


def test_export_history_refuses_what_it_cannot_reproduce(stored, tmp_path):
    """A folder of several scenarios (as compare --out writes), a folder that is no
    results, and stored tables this version does not give again (here: a manifest whose
    seed was edited)."""

    def copy(to):
        to.mkdir(parents=True)
        for f in stored.iterdir():
            if f.is_file():
                (to / f.name).write_bytes(f.read_bytes())
        return to

    several = tmp_path / "several"
    copy(several / "plan A"), copy(several / "plan B")
    assert_bad_input(invoke("export-history", several, "--out", tmp_path / "h"),
                     "is a results store; give the folder of one of its scenarios: plan A, "
                     "plan B")  # fmt: skip
    assert_bad_input(invoke("export-history", several / "plan A" / "shards", "--out",
                            tmp_path / "h"), "not a complete simsales results folder")  # fmt: skip
    edited = copy(tmp_path / "edited")
    manifest = json.loads((edited / "manifest.json").read_text())
    manifest["seed"] += 1
    (edited / "manifest.json").write_text(json.dumps(manifest))
    assert_bad_input(invoke("export-history", edited, "--out", tmp_path / "h", "--start",
                            "2027-01"), "does not give the stored tables")  # fmt: skip


def test_a_history_with_a_re_split_reads_back(tmp_path):
    """Accounts a re-split moves change territory: their later rows name the new one, and
    the history still passes the checks."""
    resplit = SMALL.with_overrides({"shocks": [{"kind": "territory_resplit", "when": 2}],
                                    "horizon.months": 3, "name": "resplit"})  # fmt: skip
    history = simulated_history(resplit, 0, SEED)
    assert history.team_month["accounts_moved"].sum() > 0
    moved = history.activities.groupby("lead_id")["territory"].nunique()
    # (a moved lead shows its new territory on its next row, if it has one)
    assert 0 < (moved > 1).sum() <= history.team_month["accounts_moved"].sum()
    formats.write_activities(history.activities, tmp_path / "a.parquet")
    formats.write_roster_history(history.roster, tmp_path / "r.parquet")
    activities = formats.read_activities(tmp_path / "a.parquet")
    roster = formats.read_roster_history(tmp_path / "r.parquet")
    formats.check_consistent(activities, roster, "a.parquet", "r.parquet")

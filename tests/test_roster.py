"""Today's team from a roster file (``team.roster``, issue 17 item 2): read and checked
row by row, and the run starts from exactly those people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.engine.calendar import Calendar
from simsales.engine.rng import make_streams
from simsales.model.team import ON_POST, build_team, grown_skill
from simsales.scenario.errors import ScenarioError
from simsales.simulate import simulate
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

EXAMPLE = ROOT / "scenarios" / "team_from_roster.yaml"
HEADER = "id,role,group,territory,months_on_post,days_in_training,skill\n"
GOOD = (
    "S1,supervisor,East,,,,\n"
    "E1,rep,East,T1,12,,1.5\n"
    "E2,rep,East,T1,2,,0.5\n"
    "E3,rep,East,T1,30,,\n"
    "S2,supervisor,West,,,,\n"
    "W1,rep,West,T2,0.5,,\n"
    "W2,rep,West,T2,6,,1.0\n"
    "T1,trainee,West,T2,,20,\n"
)
SCENARIO = """\
base: {baseline}
name: today
team:
  reps: null
  supervisor_groups: null
  tenure_months_min: null
  tenure_months_max: null
  roster: {roster}
market:
  alignment: {{policy: roster}}
  territories:
    - {{name: T1, firms: 20000, travel_minutes: 0}}
    - {{name: T2, firms: 15000, travel_minutes: 0}}
horizon: {{months: 3, warmup_months: 2}}
"""


def write(tmp_path, rows: str = GOOD, header: str = HEADER, roster: str = "team.csv"):
    (tmp_path / "team.csv").write_text(header + rows, encoding="utf-8")
    path = tmp_path / "today.yaml"
    path.write_text(SCENARIO.format(baseline=ROOT / "scenarios" / "baseline.yaml", roster=roster))
    return path


def test_the_example_roster_loads_with_its_counts():
    sc = simsales.load_scenario(EXAMPLE)
    roster = sc.team.roster
    assert sc.team.reps == sum(p.role == "rep" for p in roster) == 30
    assert sc.team.supervisor_groups == 4
    assert sum(p.role == "trainee" for p in roster) == 3


def test_the_run_starts_from_the_roster(tmp_path):
    """Groups, territories, tenure and relative skill as the roster says, on the first day
    of month 1; reps without a skill get the synthetic team's draw."""
    sc = simsales.load_scenario(write(tmp_path))
    cal = Calendar.from_horizon(sc.horizon)
    team = build_team(sc, make_streams(3, 0).team, 20, 4)
    assert team.n == 5 and (team.status[:5] == ON_POST).all()
    assert team.group[:5].tolist() == [0, 0, 0, 1, 1]
    assert team.territory[:5].tolist() == [0, 0, 0, 1, 1]
    month_one = 2 * cal.days_per_month
    tenure = np.array([12, 2, 30, 0.5, 6]) * cal.days_per_month
    assert team.on_post_day[:5].tolist() == (month_one - np.round(tenure)).astype(int).tolist()
    # Given skills keep their ratios, scaled to the model's average for these tenures.
    average = grown_skill(sc, np.ones(5), tenure).mean()
    assert team.skill[[0, 1, 4]] == pytest.approx(np.array([1.5, 0.5, 1.0]) * average)
    # ... and the potential is what grows into that skill at that tenure.
    grown = grown_skill(sc, team.potential[:5], tenure)
    assert grown == pytest.approx(team.skill[:5])


def test_people_stand_still_in_the_warm_up(tmp_path):
    """The warm-up fills pipelines only: no hires, quits, dismissals, washouts or learning
    before month 1, so month 1 starts with the roster's people and skills whatever the
    warm-up (learning from joint visits, which follow the day's rota, switched off)."""
    path = write(tmp_path)
    quiet = {"supervisor.joint_visit_learning": 0.0}
    long = simsales.load_scenario(path).with_overrides({**quiet, "name": "a"})
    none = long.with_overrides({"horizon.warmup_months": 0, "name": "b"})
    a = pd.DataFrame(simulate(long, 0, 9)["rep_month"])
    b = pd.DataFrame(simulate(none, 0, 9)["rep_month"])
    first = ["rep", "group", "territory", "tenure_months", "skill"]
    pd.testing.assert_frame_equal(
        a[(a["month"] == 1) & (a["class"] == 0)][first].reset_index(drop=True),
        b[(b["month"] == 1) & (b["class"] == 0)][first].reset_index(drop=True),
    )
    tm = pd.DataFrame(simulate(long, 0, 9)["team_month"])
    assert tm.loc[0, "reps_on_post"] >= 5 - tm.loc[0, "quits"] - tm.loc[0, "dismissals"]


def test_roster_trainees_join_part_way_through_training(tmp_path):
    """A trainee 20 days into the 27-day training (F20) finishes it 7 working days into
    month 1 and goes on post after the 5-day trial; none washes out or fails when the
    chances are zero."""
    sc = simsales.load_scenario(write(tmp_path)).with_overrides({
        "workforce.training.washout_share": 0.0,
        "workforce.training.trial_pass_share": 1.0,
        "workforce.hiring.class_size": 1,
    })  # fmt: skip
    rm = pd.DataFrame(simulate(sc, 0, 4)["rep_month"])
    trainee = rm[(rm["class"] == 1)]
    assert trainee["status"].tolist()[0] == "on_post"  # month 1's end
    # on post after 7 days of training and 5 of trial: 14 of month 1's 26 days on post
    assert trainee["tenure_months"].iloc[0] == pytest.approx((26 - 12) / 26, rel=1e-12)


# ------------------------------------------------------------------- bad rosters
@pytest.mark.parametrize(
    ("rows", "header", "words"),
    [
        ("S1,supervisor,East,,,,\nE1,boss,East,T1,3,,\n", HEADER, ["line 3", "role"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,three,,\n", HEADER,
         ["months_on_post = 'three'", "line 3", "not a number"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,,,\n", HEADER,
         ["line 3", "a rep needs months_on_post"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,-2,,\n", HEADER, ["line 3", "months_on_post"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,3,5,\n", HEADER,
         ["line 3", "a rep has no days_in_training"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,3,,\nE1,rep,East,T2,3,,\n", HEADER,
         ["ids must be unique", "E1"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,3,,\nE2,rep,East,T9,3,,\n", HEADER,
         ["T9", "no such territories"]),
        ("S1,supervisor,East,,,,\nS2,supervisor,West,,,,\nE1,rep,East,T1,3,,\n"
         "E2,rep,West,T1,3,,\n", HEADER,
         ["territory 'T1' is in groups"]),
        ("E1,rep,East,T1,3,,\nE2,rep,East,T2,3,,\n", HEADER, ["0 supervisors"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,3,,\nE2,rep,East,T2,3,,\nX1,trainee,East,T1,,40,\n",
         HEADER, ["finished training", "X1"]),
        ("S1,supervisor,East,,,,\nE1,rep,East,T1,3,,\nE2,rep,East,T1,3,,\n", HEADER,
         ["T2", "nobody in the roster"]),
        ("S1,supervisor,East,,,\n", "id,role,group,territory,months_on_post,skill,age\n",
         ["unknown columns ['age']"]),
        ("S1,East\n", "id,group\n", ["missing columns: ['role']"]),
        ("", HEADER, ["no people"]),
    ],
    ids=["role", "not-a-number", "missing-tenure", "negative", "field-of-other-role",
         "duplicate-id", "unknown-territory", "territory-in-two-groups", "no-supervisor",
         "trainee-done", "territory-without-people", "unknown-column", "missing-column",
         "header-only"],
)  # fmt: skip
def test_bad_rosters_are_one_clear_error(tmp_path, rows, header, words):
    """Exit 2 from the CLI with the file, row (line) and column named."""
    path = write(tmp_path, rows, header)
    result = invoke("validate", path)
    assert_bad_input(result, *words, max_lines=3)


def test_a_missing_roster_file_is_named(tmp_path):
    path = write(tmp_path, roster="nowhere.csv")
    assert_bad_input(invoke("validate", path), "team.roster", "no such file", "nowhere.csv")


def test_roster_rules_that_read_the_rest_of_the_scenario(tmp_path):
    """A roster needs alignment roster and an exclusive market, and no synthetic tenure;
    alignment roster needs a roster."""
    sc = simsales.load_scenario(write(tmp_path))
    for overrides, words in (
        ({"market.alignment.policy": "by_potential"}, "write market.alignment: {policy: roster}"),
        ({"team.tenure_months_min": 3}, "the roster gives each rep's months on post"),
        ({"team.reps": 7}, "the roster has 5 reps"),
    ):
        with pytest.raises(ScenarioError) as err:
            sc.with_overrides(overrides)
        assert words in str(err.value)
    base = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with pytest.raises(ScenarioError) as err:
        base.with_overrides({"market.alignment.policy": "roster"})
    assert "needs team.roster" in str(err.value)


def test_set_takes_a_roster_file_relative_to_the_working_folder(tmp_path, monkeypatch):
    sc = simsales.load_scenario(write(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.csv").write_text(HEADER + GOOD.replace("W2,rep,West,T2,6,,1.0\n", ""))
    smaller = sc.with_overrides({"team.roster": "other.csv", "team.reps": 4})
    assert smaller.team.reps == 4 and len(smaller.team.roster) == 7

"""Scenario rules beyond single fields: stale leads against cadence (F11), realistic
bounds on shares and ratios, the percentage hint, the names of overridden scenarios,
and ``--set`` overrides across the scenarios of one command."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.scenario.overrides import apply_cli_overrides, derived_name
from simsales.scenario.schema import (
    Commission,
    GradeDays,
    Quota,
    Rebalancing,
    percentage_hint,
)
from tests.conftest import small_overrides

ROOT = Path(__file__).resolve().parents[1]
BASE = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml")


def override_message(overrides: dict) -> str:
    with pytest.raises(simsales.ScenarioError) as info:
        BASE.with_overrides(overrides)
    assert len(info.value.problems) == 1, str(info.value)
    return str(info.value)


# --------------------------------------------------------------------------- stale vs cadence


def cadence(days: int) -> dict:
    return {"leads.followup_cadence_days": {g: days for g in "ABCD"}}


@pytest.mark.parametrize("stale", [1, 6, 12])
def test_a_cadence_up_to_stale_after_days_is_accepted_and_one_more_refused(stale):
    """F11 reclaims leads a rep had no time for: a cadence longer than the reclaim
    window would send every lead of the grade to the pool before its next touch."""
    ok = BASE.with_overrides({"leads.stale_after_days": stale, **cadence(stale)})
    assert ok.leads.followup_cadence_days.D == stale
    msg = override_message(
        {
            "leads.stale_after_days": stale,
            **cadence(stale),
            "leads.followup_cadence_days.C": stale + 1,
        }
    )
    assert msg.startswith(
        f"override: leads.followup_cadence_days.C = {stale + 1}: must be <= "
        f"leads.stale_after_days ({stale}): a grade-C lead goes to the public pool (F11) "
        f"{stale + 1} working days after a touch"
    )


def test_no_reclaim_rule_allows_any_cadence():
    """stale_after_days 0: leads never go stale, so no cadence is too long."""
    sc = BASE.with_overrides({"leads.stale_after_days": 0, **cadence(40)})
    assert sc.leads.followup_cadence_days.A == 40


def idle_team(days: int, stale: int) -> simsales.Scenario:
    """4 reps with time to spare (15 records a day, no HQ leads, no surge or gaming, so
    every touch is made on the day it is due) on a follow-up cadence of ``days`` for
    every grade. Built without validation, to run the cadences the schema refuses."""
    base = BASE.with_overrides(
        {**small_overrides(reps=4, groups=1, months=2), "rep.norms.prospect_records": 15,
         "leads.hq_leads_per_rep_day": 0.0, "behaviour.surge_days": 0,
         "behaviour.gaming_share": 0.0, "leads.stale_after_days": 0, "name": "idle"}
    )  # fmt: skip
    grades = GradeDays.model_construct(A=days, B=days, C=days, D=days)
    leads = base.leads.model_copy(
        update={"followup_cadence_days": grades, "stale_after_days": stale}
    )
    return base.model_copy(update={"leads": leads})


@pytest.mark.parametrize("stale", [1, 3, 6])
def test_the_kernel_sends_leads_to_the_pool_exactly_past_the_validated_boundary(stale):
    """The rule the validator enforces is the kernel's: reps with time to spare on a
    cadence of stale_after_days never lose a lead to the pool; one day more and no lead
    ever reaches its next touch with its rep: every follow-up made is of a lead just
    claimed back from the pool (follow-ups == pool claims)."""
    at = simsales.run(idle_team(stale, stale), replications=2, seed=1, workers=1).team_month
    assert at["stale_to_pool"].sum() == 0 and at["pool_claims"].sum() == 0
    assert at["followups"].sum() > 0
    past = simsales.run(idle_team(stale + 1, stale), replications=2, seed=1, workers=1)
    tm = past.team_month
    assert tm["stale_to_pool"].sum() > tm["leads_entered"].sum()  # claimed, stale again
    assert tm["followups"].sum() == tm["pool_claims"].sum() > 0


# --------------------------------------------------------------------------- bounds

# (key, highest value allowed, a value above it): each bound is justified in the field's
# description (docs/model.md section 3).
BOUNDS = [
    ("skill.potential_sigma", 1, 1.1),
    ("skill.learning_per_day", 0.1, 0.11),
    ("supervisor.joint_visit_close_multiplier", 3, 3.5),
    ("supervisor.joint_visit_learning", 0.5, 0.6),
    ("supervisor.evening_meeting_learning_per_day", 0.1, 0.2),
    ("leads.deal_value_cv", 2, 2.5),
    ("workforce.hiring.potential_mean", 2, 2.5),
    ("workforce.training.trainer_visit_learning", 0.5, 0.6),
    ("workforce.attrition.low_pay_multiplier", 5, 6),
    ("workforce.attrition.quota_pressure_multiplier", 5, 6),
    ("workforce.dismissal.bottom_share", 0.5, 0.6),
    ("workforce.dismissal.quarterly_attainment_below", 1.5, 1.6),
    ("workforce.dismissal.annual_attainment_below", 1.5, 1.6),
    ("workforce.dismissal.monthly_attainment_below", 1.5, 1.6),
    ("pay.bonus.grades.4.from_attainment", 2, 2.1),
]


@pytest.mark.parametrize(("key", "top", "above"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_shares_and_ratios_have_realistic_upper_bounds(key, top, above):
    assert BASE.with_overrides({key: top}) is not None
    msg = override_message({key: above})
    assert msg.startswith(f"override: {key.replace('.4.', '[4].')} = {above}: ")
    assert f"less than or equal to {top}" in msg


def test_bounds_of_plan_parts():
    """Quota growth, re-split trigger, ladder steps, cap and price ratios (parts validated
    alone, as their policies need other fields)."""
    growth = {"policy": "growth", "period": "month", "revenue_per_month": 1.0,
              "min_revenue_per_month": 0.0}  # fmt: skip
    for ok in (-0.5, 1.0):
        assert Quota.model_validate({**growth, "growth": ok}).growth == ok
    for bad in (-0.6, 1.1):
        with pytest.raises(ValidationError):
            Quota.model_validate({**growth, "growth": bad})
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        Quota.model_validate({"policy": "pay_derived", "period": "month", "pay_multiple": 101})
    resplit = {"policy": "on_headcount", "accounts_to": "pool", "cost_per_account": 0.0}
    assert Rebalancing.model_validate({**resplit, "headcount_change": 1.0})
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        Rebalancing.model_validate({**resplit, "headcount_change": 1.5})

    def tiered(top: float, cap: float) -> dict:
        tiers = [{"from_attainment": 0.0, "rate": 0.1}, {"from_attainment": top, "rate": 0.2}]
        return {"plan": "tiered", "tiers": tiers, "marginal": True, "period": "month",
                "cap_attainment": cap, "paid": "same_month"}  # fmt: skip

    assert Commission.model_validate(tiered(2.0, 3.0)).cap_attainment == 3.0
    with pytest.raises(ValidationError, match="less than or equal to 2"):
        Commission.model_validate(tiered(2.5, 3.0))
    with pytest.raises(ValidationError, match="less than or equal to 3"):
        Commission.model_validate(tiered(2.0, 3.5))
    ratio = {"plan": "price_ratio", "ratio_rates": [{"ratio": 1.0, "rate": 0.05}],
             "above_base_rate": 0.1, "paid": "same_month"}  # fmt: skip
    assert Commission.model_validate({**ratio, "price_ratio_mean": 2, "price_ratio_cv": 1})
    for field, bad in (("price_ratio_mean", 2.1), ("price_ratio_cv", 1.1)):
        values = {"price_ratio_mean": 1.0, "price_ratio_cv": 0.1, field: bad}
        with pytest.raises(ValidationError, match=field):
            Commission.model_validate({**ratio, **values})


# --------------------------------------------------------------------------- percentages


@pytest.mark.parametrize(
    ("value", "upper", "hint"),
    [
        pytest.param(70, 1, "value 70 looks like a percentage; write 0.7 for 70%", id="70"),
        pytest.param(2, 1, "value 2 looks like a percentage; write 0.02 for 2%", id="2"),
        pytest.param(100, 1, "value 100 looks like a percentage; write 1 for 100%", id="100"),
        pytest.param(1.5, 1, None, id="1.5 is a slip, not 1.5%"),
        pytest.param(100.5, 1, None, id="over 100"),
        pytest.param(1.0, 1, None, id="within"),
        pytest.param(True, 1, None, id="bool"),
        pytest.param(7, 1.5, None, id="7 for a ratio"),
        pytest.param(60, 1.5, "value 60 looks like a percentage; write 0.6 for 60%", id="60"),
        pytest.param(
            "70%", 1, "value '70%' looks like a percentage; write 0.7 for 70%", id="70% text"
        ),
        pytest.param(
            " 12.5 % ",
            1.5,
            "value ' 12.5 % ' looks like a percentage; write 0.125 for 12.5%",
            id="12.5% text",
        ),
        pytest.param("70%", 100, None, id="not a ratio field"),
        pytest.param("70%", None, None, id="unbounded field"),
        pytest.param("seventy", 1, None, id="other text"),
    ],
)
def test_percentage_hint(value, upper, hint):
    assert percentage_hint(value, upper) == hint


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param(
            "workforce.training.washout_share", 70,
            "workforce.training.washout_share = 70: Input should be less than or equal to 1; "
            "value 70 looks like a percentage; write 0.7 for 70%", id="share 70",
        ),
        pytest.param(
            "workforce.training.washout_share", "12.5%",
            "workforce.training.washout_share = '12.5%': Input should be a valid number; "
            "value '12.5%' looks like a percentage; write 0.125 for 12.5%", id="share 12.5%",
        ),
        pytest.param(
            "workforce.dismissal.monthly_attainment_below", "70%",
            "workforce.dismissal.monthly_attainment_below = '70%': Input should be a valid "
            "number; value '70%' looks like a percentage; write 0.7 for 70%", id="bar 70%",
        ),
        pytest.param(
            "pay.bonus.grades.1.from_attainment", 80,
            "pay.bonus.grades[1].from_attainment = 80: Input should be less than or equal "
            "to 2; value 80 looks like a percentage; write 0.8 for 80%", id="grade bar 80",
        ),
        pytest.param(
            "workforce.attrition.quit_hazard_by_year", [6, 3],
            "workforce.attrition.quit_hazard_by_year = [6.0, 3.0]: monthly chances must lie "
            "in 0..1; these do not; value 6 looks like a percentage; write 0.06 for 6%",
            id="list of chances",
        ),
        pytest.param(
            "team.reps", "70%", "team.reps = '70%': Input should be a valid integer",
            id="no hint for a count",
        ),
    ],
)  # fmt: skip
def test_a_share_written_as_a_percentage_says_what_to_write(key, value, expected):
    assert override_message({key: value}) == f"override: {expected}"


def test_a_ramp_in_percent_gets_the_hint():
    ramp = {"policy": "ramped", "period": "month", "revenue_per_month": 1.0, "ramp": [50, 100]}
    with pytest.raises(ValidationError, match="value 100 looks like a percentage"):
        Quota.model_validate(ramp)


def test_a_percentage_in_a_file_names_its_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("base: baseline\nname: x\nworkforce:\n  training:\n    washout_share: 15%\n")
    with pytest.raises(simsales.ScenarioError) as info:
        simsales.load_scenario(path)
    assert str(info.value) == (
        f"{path}: workforce.training.washout_share = '15%' (line 5): Input should be a valid "
        "number; value '15%' looks like a percentage; write 0.15 for 15%"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("7", "monthly_attainment_below = 7: Input should be less than or equal to 1.5"),
        ("70%", "write 0.7 for 70%"),
    ],
)
def test_the_cli_prints_one_line_and_exits_2_for_an_absurd_bar(value, message):
    key = "workforce.dismissal.monthly_attainment_below"
    result = CliRunner().invoke(app, ["run", "--set", f"{key}={value}", "-r", "1", "-w", "1"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: --set: ") and message in line


# --------------------------------------------------------------------------- names


def test_an_override_names_what_it_changed():
    assert BASE.with_overrides({"team.reps": 80}).name == "baseline, team.reps=80"
    two = {"team.reps": 80, "quota.revenue_per_month": 180000}
    named = "baseline, quota.revenue_per_month=180000, team.reps=80"  # sorted keys
    assert BASE.with_overrides(two).name == named
    assert BASE.with_overrides(dict(reversed(two.items()))).name == named
    assert BASE.with_overrides({"leads.sign_probability": 0.07}).name == (
        "baseline, leads.sign_probability=0.07"
    )
    hiring = BASE.with_overrides({"workforce.hiring.policy": "none",
                                  "workforce.hiring.class_size": None,
                                  "workforce.hiring.every_months": None})  # fmt: skip
    assert hiring.name.startswith("baseline, 3 changes #")


def test_a_given_name_wins_and_an_override_that_changes_nothing_keeps_the_name():
    assert BASE.with_overrides({"name": "more_reps", "team.reps": 80}).name == "more_reps"
    same = BASE.with_overrides({"team.reps": BASE.team.reps, "leads.grade_mix.A": 0.1})
    assert same.name == "baseline" and same == BASE
    partly = BASE.with_overrides({"team.reps": 80, "horizon.months": BASE.horizon.months})
    assert partly.name == "baseline, team.reps=80"


def test_long_or_structured_changes_get_keys_and_a_hash():
    terr = [{"name": "North", "firms": 500}, {"name": "South", "firms": 700}]
    a = BASE.with_overrides({"market.territories": terr, "team.supervisor_groups": 2})
    assert a.name.startswith("baseline, market.territories, team.supervisor_groups #")
    b = BASE.with_overrides(
        {"market.territories": [terr[0], {**terr[1], "firms": 701}], "team.supervisor_groups": 2}
    )
    assert b.name != a.name  # other values, another name
    again = BASE.with_overrides({"team.supervisor_groups": 2, "market.territories": terr})
    assert again.name == a.name  # the same changes, the same name
    many = {"rep.norms.visits": 4, "rep.norms.phone_appointments": 6, "horizon.months": 6,
            "leads.sign_probability": 0.07}  # fmt: skip
    assert BASE.with_overrides(many).name.startswith("baseline, 4 changes #")


def test_a_derived_name_stays_within_the_schemas_limit():
    long = BASE.with_overrides({"name": "x" * 120})
    sc = long.with_overrides({"team.reps": 80})
    assert len(sc.name) == 120 and sc.name.endswith("~, team.reps=80")
    assert derived_name(BASE, BASE, ["team.reps"]) == "baseline"


def test_sweep_points_keep_their_own_names():
    from simsales.experiment.sweeps import point_scenario

    assert point_scenario(BASE, 3, {"team.reps": 70}).name == "baseline[3]"


# --------------------------------------------------------------------------- --set


def two() -> list[simsales.Scenario]:
    return [BASE.with_overrides({"name": "a"}), BASE.with_overrides({"name": "b"})]


def test_cli_overrides_for_every_scenario_keep_the_names():
    a, b = apply_cli_overrides(two(), ["team.reps=80", "horizon.months=6"])
    assert (a.name, b.name) == ("a", "b")
    assert a.team.reps == b.team.reps == 80 and a.horizon.months == 6


def test_a_scoped_cli_override_changes_and_renames_its_scenario_only():
    a, b = apply_cli_overrides(two(), ["horizon.months=6", "b:team.reps=80"])
    assert (a.name, a.team.reps, a.horizon.months) == ("a", BASE.team.reps, 6)
    assert (b.name, b.team.reps, b.horizon.months) == ("b, team.reps=80", 80, 6)
    (c,) = apply_cli_overrides([BASE], ["baseline:name=more_reps", "baseline:team.reps=80"])
    assert c.name == "more_reps"


def test_no_assignments_return_the_same_scenarios():
    scenarios = two()
    assert apply_cli_overrides(scenarios, []) == scenarios


def test_values_may_hold_colons_and_names_may_too():
    a, b = apply_cli_overrides(two(), ["market.territories.0.name=North:East"])
    assert a.market.territories[0].name == b.market.territories[0].name == "North:East"
    a, b = apply_cli_overrides(two(), ["b:market.territories.0.name=x:y"])
    assert (a.market.territories[0].name, b.market.territories[0].name) == ("Territory 1", "x:y")
    (odd,) = apply_cli_overrides([BASE.with_overrides({"name": "plan: A"})],
                                 ["plan: A:team.reps=70"])  # fmt: skip
    assert (odd.name, odd.team.reps) == ("plan: A, team.reps=70", 70)


def test_later_assignments_win():
    (sc,) = apply_cli_overrides([BASE], ["team.reps=70", "team.reps=90"])
    assert sc.team.reps == 90
    (sc,) = apply_cli_overrides([BASE], ["rep.norms.visits=4",
                                         "rep.norms={visits: 2, phone_appointments: 5, "
                                         "prospect_records: 30}"])  # fmt: skip
    assert sc.rep.norms.visits == 2


def test_an_unknown_scenario_name_lists_the_names():
    with pytest.raises(simsales.ScenarioError) as info:
        apply_cli_overrides(two(), ["c:team.reps=80"])
    assert info.value.source == "--set"
    assert str(info.value) == (
        "--set: 'c:team.reps=80': no scenario is named 'c'; scenarios here: 'a', 'b' "
        "(write NAME:dotted.key=value, or dotted.key=value for every scenario)"
    )


def test_cli_override_errors_say_which_scenario():
    with pytest.raises(simsales.ScenarioError) as info:
        apply_cli_overrides(two(), ["b:team.reps=-1"])
    assert str(info.value) == (
        "--set: team.reps = -1: Input should be greater than or equal to 1 (in scenario 'b')"
    )
    with pytest.raises(simsales.ScenarioError, match="^--set: team.reps = -1: Input should"):
        apply_cli_overrides([BASE], ["team.reps=-1"])


def test_one_name_for_every_scenario_is_refused():
    with pytest.raises(simsales.ScenarioError) as info:
        apply_cli_overrides(two(), ["name=same"])
    assert "the overrides give two scenarios one name: ['same']" in str(info.value)


def test_compare_of_one_name_twice_says_how_to_name_them():
    with pytest.raises(ValueError) as info:
        simsales.compare([BASE, BASE], replications=2)
    assert str(info.value) == (
        "scenario names must differ to be compared; repeated: ['baseline']; give each a "
        'name, e.g. with_overrides({"name": "more_reps", ...}) or name: in the file'
    )

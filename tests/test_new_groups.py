"""New supervisor groups (F14-F16): a group past its span of control splits, under a rep
promoted from the group or a supervisor hired from outside, in a territory of its own."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.model.market import Market
from simsales.policies.new_groups import split_movers
from simsales.scenario.errors import ScenarioError
from tests.conftest import ROOT, small_overrides
from tests.test_properties import check_invariants

PROMOTE = {"policy": "promote", "span_of_control": 5, "territory": "split", "top_rep_months": 1}
HIRE = {
    "policy": "hire",
    "span_of_control": 5,
    "territory": "new",
    "new_territory_firms": 30_000,
    "lead_time_months": 1,
    "cost_per_hire": 20_000.0,
}


def one_big_group(baseline, new_groups: dict, months: int = 3) -> simsales.Scenario:
    """A steady team of 12 reps in one group and territory, 1 warm-up month."""
    return baseline.with_overrides(
        {**small_overrides(reps=12, groups=1, months=months), "workforce.new_groups": new_groups}
    )


@pytest.fixture(scope="module")
def promoted(baseline) -> simsales.Results:
    return simsales.run(one_big_group(baseline, PROMOTE), replications=2, seed=5, workers=1)


@pytest.fixture(scope="module")
def hired(baseline) -> simsales.Results:
    return simsales.run(one_big_group(baseline, HIRE), replications=2, seed=5, workers=1)


def test_movers_are_every_second_rep_by_day_on_post():
    on_post_day = np.array([50, 10, 30, 20, 40, 0])
    assert split_movers(np.arange(6), on_post_day).tolist() == [1, 2, 0]  # days 10, 30, 50


def group_sizes(res: simsales.Results, month: int) -> list[list[int]]:
    rm = res.rep_month
    on_post = rm[(rm["month"] == month) & (rm["status"] == "on_post")]
    sizes = on_post.groupby(["replication", "group"]).size()
    return [sorted(sizes.loc[r].tolist()) for r in sorted(set(rm["replication"]))]


def test_a_group_past_its_span_splits_under_a_promoted_top_seller(promoted):
    """12 reps > span 5: at the warm-up month's close the top seller is promoted and 5 of
    the other 11 (every second) move to a new group; the 6 who stay are past the span
    again at the next close: another promotion, and 2 of the 5 left move."""
    tm = promoted.team_month.set_index(["replication", "month"])
    assert tm["promotions"].unstack("month").values.tolist() == [[1, 1, 0]] * 2
    assert tm["reps_on_post"].unstack("month").values.tolist() == [[11, 10, 10]] * 2
    assert tm["supervisor_groups"].unstack("month").values.tolist() == [[2, 3, 3]] * 2
    assert group_sizes(promoted, 1) == [[5, 6]] * 2
    assert group_sizes(promoted, 2) == [[2, 3, 5]] * 2
    # Every territory is sold in by one group only (F15); new ones are named for the old.
    rm = promoted.rep_month
    per_territory = rm.groupby(["replication", "month", "territory"])["group"].nunique()
    assert (per_territory == 1).all()
    assert set(rm["territory"]) == {"T1", "T1 / 2", "T1 / 3"}


def test_a_split_moves_firms_and_never_creates_or_loses_one(promoted):
    tm = promoted.team_month
    firms = tm[["firms_available", "firms_cooling", "firms_customers", "firms_in_pipeline"]]
    assert (firms >= 0).all().all()
    assert (firms.sum(axis=1) == 40_000).all()
    assert (tm["firms_in_pipeline"] >= tm["open_leads"]).all()


@pytest.mark.parametrize("policy", [PROMOTE, HIRE], ids=["promote", "hire"])
def test_every_run_invariant_holds_through_splits(baseline, promoted, hired, policy):
    """Headcount (promotions included), trainees, selling only on post, quotas, funnel and
    cohort identities: the checks every run must pass."""
    res = promoted if policy is PROMOTE else hired
    check_invariants(res, one_big_group(baseline, policy))
    assert res.team_month[["promotions", "supervisor_hires"]].to_numpy().sum() > 0


def test_a_supervisor_hired_from_outside_costs_a_fee_and_no_rep(hired):
    """The decision at the warm-up month's close, a month of lead time: the new group
    starts on the first day of reported month 2 with its own new territory."""
    tm = hired.team_month.set_index(["replication", "month"])
    assert (tm["reps_on_post"] == 12).all()
    assert (tm["promotions"] == 0).all()
    assert tm.xs(1, level="month")["supervisor_groups"].eq(1).all()
    assert tm.xs(2, level="month")["supervisor_hires"].eq(1).all()
    assert tm.xs(2, level="month")["supervisor_hiring_cost"].eq(20_000.0).all()
    firms = tm[["firms_available", "firms_cooling", "firms_customers", "firms_in_pipeline"]]
    total = firms.sum(axis=1).unstack("month")
    assert (total[1] == 40_000).all() and (total[2] == 70_000).all()
    rm = hired.rep_month
    new = rm[(rm["month"] == 3) & (rm["territory"] == "New territory 2")]
    assert new.groupby("replication").size().tolist() == [6, 6]  # every second of 12
    assert (new["prospect_records"] > 0).all()  # they prospect in their new territory


def test_market_split_keeps_every_count_and_moves_a_share():
    m = Market(np.array([1000]), cooling_off_days=10, total_days=30, capacity=2)
    m.available[0], m.untouched[0], m.customers[0] = 600, 300, 50
    m.release[0, 5:9] = [40, 40, 20, 0]  # 100 firms cooling off, back on days 5-7
    m.cooling[0] = 100
    m.split(0, 1, share=0.5, day=5)
    assert (m.available == [300, 300]).all() and (m.untouched == [150, 150]).all()
    assert (m.customers == [25, 25]).all() and (m.cooling == [50, 50]).all()
    assert m.release[1, 5:8].tolist() == [20, 20, 10] and m.release[1, :5].sum() == 0
    assert m.firms.tolist() == [625, 375]  # the 250 in contact stay in territory 0
    assert (m.in_contact == [250, 0]).all()


def test_bundled_supervisor_scenarios_differ_only_in_how_the_supervisor_is_found():
    promoted = simsales.load_scenario(ROOT / "scenarios" / "supervisors_promoted.yaml")
    hired = simsales.load_scenario(ROOT / "scenarios" / "supervisors_hired.yaml")
    a, b = promoted.model_dump(), hired.model_dump()
    for d in (a, b):
        d.pop("name"), d.pop("description")
        d["workforce"].pop("new_groups")
    assert a == b
    assert (
        promoted.workforce.new_groups.span_of_control == hired.workforce.new_groups.span_of_control
    )


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({**PROMOTE, "span_of_control": 0}, "workforce.new_groups.span_of_control",
         "greater than or equal to 1"),
        ({**PROMOTE, "top_rep_months": None}, "workforce.new_groups.top_rep_months", "required"),
        ({**PROMOTE, "new_territory_firms": 100}, "workforce.new_groups.new_territory_firms",
         "not used"),
        ({**HIRE, "new_territory_firms": None}, "workforce.new_groups.new_territory_firms",
         "required"),
        ({**HIRE, "top_rep_months": 3}, "workforce.new_groups.top_rep_months", "not used"),
        ({"policy": "elect"}, "workforce.new_groups.policy", "promote"),
    ],
)  # fmt: skip
def test_bad_new_group_parameters_name_field_value_and_what_is_allowed(
    baseline, overrides, field, words
):
    with pytest.raises(ScenarioError) as err:
        baseline.with_overrides({"workforce.new_groups": overrides})
    assert field in str(err.value) and words in str(err.value)

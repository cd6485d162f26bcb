"""Supervisors as people (``supervisor.turnover``): they quit, F29's review demotes them,
and vacant groups are filled by a promotion, a hire or a merge."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.scenario.errors import ScenarioError
from tests.conftest import ROOT, team_overrides
from tests.test_customers import paired


def small(months: int = 9, groups: int = 4, **turnover):
    """16 reps in 4 groups, a class of 4 a month, no warm-up; supervisors with these rules."""
    rules = {"quit_per_month": 0.2, "fill": "promote", **turnover}
    base = simsales.load_scenario(simsales.baseline_path())
    return base.with_overrides({**team_overrides(groups=groups, firms=20_000, months=months,
                                                 warmup=0),
                                "supervisor.turnover": rules})  # fmt: skip


def test_a_quitting_supervisor_is_replaced_by_the_groups_top_rep_at_once():
    tm = simsales.run(small(), replications=3, seed=2, workers=1).team_month
    assert tm["supervisor_quits"].sum() > 0
    np.testing.assert_array_equal(tm["promotions"], tm["supervisor_quits"])
    assert (tm["vacant_groups"] == 0).all() and (tm["supervisor_groups"] == 4).all()


def test_a_hired_supervisor_leaves_the_group_vacant_meanwhile():
    """Hiring takes two month closes: each vacancy shows at two month ends and is then
    filled by a hire; a vacant group gets no joint visits, so there are fewer."""
    sc = small(fill="hire", hire_months=2, cost_per_hire=5000)
    res = simsales.run(sc, replications=3, seed=2, workers=1)
    tm = res.team_month
    quits = tm.groupby("replication")["supervisor_quits"].sum()
    assert (tm["vacant_groups"] > 0).any() and (tm["promotions"] == 0).all()
    for r, run in tm.groupby("replication"):
        # Each hire fills a vacancy of two months before; none are left over unfilled
        # but the last two months' quits.
        hires = run["supervisor_hires"].to_numpy()
        q = run["supervisor_quits"].to_numpy()
        np.testing.assert_array_equal(hires[2:], q[:-2])
        assert run["vacant_groups"].iloc[-1] == q[-2:].sum()
        assert quits[r] == hires.sum() + q[-2:].sum()
    np.testing.assert_allclose(tm["supervisor_hiring_cost"], 5000 * tm["supervisor_hires"])
    base = simsales.run(
        small(quit_per_month=0.0, fill="hire", hire_months=2, cost_per_hire=5000),
        replications=3,
        seed=2,
        workers=1,
    )
    diff, se = paired(base, res, "reps_on_post")  # nobody is promoted out of selling
    assert diff == 0 or abs(diff) < 3 * se + 1e-9
    joint = tm["joint_visits"].sum()
    assert joint < base.team_month["joint_visits"].sum()


def test_merged_groups_are_gone_and_their_reps_and_territories_join_another():
    res = simsales.run(small(fill="merge"), replications=3, seed=2, workers=1)
    tm, rm = res.team_month, res.rep_month
    for _, run in tm.groupby("replication"):
        merges = run["group_merges"].cumsum().to_numpy()
        np.testing.assert_array_equal(run["supervisor_groups"], 4 - merges)
    assert tm["group_merges"].sum() > 0
    # At each month's end the reps sit in as many groups as exist, and each group sells in
    # its own territories only (F15): a territory's reps all belong to one group.
    on = rm[rm["status"] == "on_post"]
    groups = on.groupby(["replication", "month"])["group"].nunique()
    existing = tm.set_index(["replication", "month"])["supervisor_groups"]
    assert (groups <= existing.reindex(groups.index)).all()
    assert (on.groupby(["replication", "month", "territory"])["group"].nunique() == 1).all()


def test_f29_demotes_supervisors_of_groups_under_the_bar_at_quarter_closes():
    """A bar no group can reach: at the first quarter's close every supervisor is demoted
    and sells again (counted the next month), and the top rep of each group steps up."""
    sc = small(months=7, quit_per_month=0.0, demote_below=1.5, demote_after_quarters=1)
    tm = simsales.run(sc, replications=2, seed=3, workers=1).team_month
    by_month = tm.groupby("month")["supervisor_demotions"].sum()
    assert by_month[4] == 2 * 4 and by_month[7] == 2 * 4
    assert by_month.drop([4, 7]).sum() == 0
    np.testing.assert_array_equal(tm["promotions"], tm["supervisor_demotions"])
    # The demoted supervisor takes the promoted rep's place: reps on post stay level.
    for _, run in tm.groupby("replication"):
        on_post = run["reps_on_post"].to_numpy()
        change = (run["went_on_post"] - run["quits"] - run["dismissals"]).to_numpy()
        np.testing.assert_array_equal(on_post[1:], on_post[:-1] + change[1:])


def test_the_bundled_turnover_scenarios_load():
    for name, fill in (("supervisors_turnover", "promote"), ("supervisors_merge", "merge")):
        sc = simsales.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert sc.supervisor.turnover is not None and sc.supervisor.turnover.fill == fill


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"quit_per_month": 0.9, "fill": "promote"}, "supervisor.turnover.quit_per_month"),
        ({"quit_per_month": 0.1, "fill": "fire"}, "supervisor.turnover.fill"),
        ({"quit_per_month": 0.1, "fill": "hire", "hire_months": 13, "cost_per_hire": 0},
         "supervisor.turnover.hire_months"),
        ({"quit_per_month": 0.1, "fill": "hire", "cost_per_hire": 0},
         "supervisor.turnover.hire_months"),
        ({"quit_per_month": 0.1, "fill": "promote", "hire_months": 2},
         "supervisor.turnover.hire_months"),
    ],
)  # fmt: skip
def test_bad_turnover_rules_name_the_field(rules, field):
    with pytest.raises(ScenarioError) as err:
        simsales.load_scenario(simsales.baseline_path()).with_overrides(
            {"supervisor.turnover": rules}
        )
    assert field in str(err.value)


def test_a_vacant_group_pays_no_supervisor_base_or_override():
    """Supervisors' pay counts groups with a supervisor at the month's end, and the override
    only on their reps' revenue: with long vacancies it is below what every group would
    cost, by exactly the vacant groups' base and override."""
    sc = small(fill="hire", hire_months=3, cost_per_hire=0).with_overrides(
        {"supervisor.pay": {"base_per_month": 10_000, "override_rate": 0.01}}
    )
    res = simsales.run(sc, replications=2, seed=2, workers=1)
    tm = res.team_month
    assert (tm["vacant_groups"] > 0).any()
    revenue = res.rep_month.groupby(["replication", "month"])["revenue"].sum()
    full = tm["supervisor_groups"] * 10_000 + 0.01 * revenue.to_numpy()
    vacant = tm["vacant_groups"] > 0
    assert (tm.loc[vacant, "supervisor_pay"] < full[vacant] - 10_000 + 1e-6).all()
    np.testing.assert_allclose(tm.loc[~vacant, "supervisor_pay"], full[~vacant])

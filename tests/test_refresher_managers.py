"""F27's refresher training (``workforce.refresher``) and F14's managers
(``workforce.managers``): exact counts and costs, and the direction of their effects."""

from __future__ import annotations

import numpy as np

import simsales
from tests.conftest import ROOT, STEADY, team_overrides
from tests.test_customers import paired

SESSION = {"every_days": 13, "minutes": 240, "learning": 0.0, "cost_per_rep": 100}


def small(months: int = 4, **overrides):
    """A steady team of 16 reps in 2 groups, no warm-up, 26 working days a month."""
    base = simsales.load_scenario(simsales.baseline_path())
    return base.with_overrides({**team_overrides(firms=20_000, months=months, warmup=0), **STEADY,
                                **overrides})  # fmt: skip


def test_every_rep_on_post_attends_two_sessions_a_month_at_their_cost():
    sc = small(**{"workforce.refresher": SESSION})
    tm = simsales.run(sc, replications=2, seed=1, workers=1).team_month
    # Sessions on days 0, 13, 26, ...: two a month for a steady team of 16.
    assert (tm["refresher_sessions"] == 2 * 16).all()
    base = simsales.run(small(), replications=2, seed=1, workers=1).team_month
    np.testing.assert_allclose(
        tm["training_cost"] - base["training_cost"], 100 * tm["refresher_sessions"]
    )


def test_a_session_takes_selling_time_and_a_learning_one_raises_skill():
    """Half a day off every half month: fewer touches per rep (common random numbers).
    A one-minute session that closes a tenth of the skill gap: higher skill."""
    n = 4
    base = simsales.run(small(), replications=n, seed=3, workers=1)
    off = simsales.run(small(**{"workforce.refresher": SESSION}), replications=n, seed=3,
                       workers=1)  # fmt: skip
    diff, se = paired(base, off, "followups_per_rep_day")
    assert diff < -3 * se and diff < 0
    learn = {**SESSION, "minutes": 1, "learning": 0.1}
    taught = simsales.run(small(**{"workforce.refresher": learn}), replications=n, seed=3,
                          workers=1)  # fmt: skip
    skill = taught.rep_month.groupby("month")["skill"].mean()
    assert (skill.to_numpy() > base.rep_month.groupby("month")["skill"].mean().to_numpy()).all()


def test_managers_cost_their_pay_and_change_nothing_else():
    """Managers over 3 groups each: ceil(groups / 3) of them, in cost of sales; on common
    random numbers nothing else moves."""
    sc = small(**{"team.supervisor_groups": 4,
                  "market.territories": [{"name": f"T{i}", "firms": 20_000} for i in range(4)],
                  })  # fmt: skip
    base = simsales.run(sc, replications=2, seed=5, workers=1).team_month
    managed = sc.with_overrides({"workforce.managers": {"groups_per_manager": 3,
                                                        "pay_per_month": 20_000}})  # fmt: skip
    tm = simsales.run(managed, replications=2, seed=5, workers=1).team_month
    assert (tm["managers"] == 2).all() and (base["managers"] == 0).all()
    np.testing.assert_array_equal(tm["manager_pay"], 40_000)
    np.testing.assert_allclose(tm["cost_of_sales"] - base["cost_of_sales"], 40_000)
    np.testing.assert_allclose(base["margin"] - tm["margin"], 40_000)
    same = [c for c in tm.columns if c not in ("scenario", "manager_pay", "managers",
                                                "cost_of_sales", "margin")]  # fmt: skip
    assert tm[same].equals(base[same])


def test_the_bundled_scenarios_load():
    ref = simsales.load_scenario(ROOT / "scenarios" / "training_refresher.yaml")
    assert ref.workforce.refresher is not None and ref.workforce.refresher.every_days == 13
    mg = simsales.load_scenario(ROOT / "scenarios" / "managers.yaml")
    assert mg.workforce.managers is not None and mg.workforce.managers.groups_per_manager == 4

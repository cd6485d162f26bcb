"""The ramp guarantee (``pay.guarantee``): new reps' pay floor, its top-up and its effect."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.metrics.summary import mean_interval
from tests.conftest import ROOT, team_overrides

GUARANTEE = {"per_month": 6000, "months": 3}


def small(**extra):
    """A small, fast team: 16 reps in 2 groups, a class of 4 a month, 6 months."""
    base = simsales.load_scenario(simsales.baseline_path())
    return base.with_overrides({**team_overrides(firms=20_000, warmup=None), **extra})


@pytest.fixture(scope="module")
def guaranteed():
    return simsales.run(small(**{"pay.guarantee": GUARANTEE}), replications=4, seed=5, workers=1)


def test_pay_is_its_parts_with_the_top_up(guaranteed):
    rm = guaranteed.rep_month.dropna(subset=["pay"])
    parts = rm["base_pay"] + rm["commission"] + rm["bonus"] - rm["fines"] + rm["guarantee"]
    np.testing.assert_allclose(rm["pay"], parts, rtol=0, atol=1e-6)
    tm = guaranteed.team_month
    by_month = rm.groupby(["replication", "month"])["guarantee"].sum()
    np.testing.assert_allclose(tm.set_index(["replication", "month"])["guarantee"], by_month)


def test_the_top_up_lifts_new_reps_to_the_floor_and_no_one_else(guaranteed):
    rm = guaranteed.rep_month.dropna(subset=["pay"])
    topped = rm[rm["guarantee"] > 0]
    assert len(topped) > 0, "some new reps earn less than 6,000 yuan in their first months"
    # Topped up exactly to the floor: the guarantee pro-rated for the days on post, so at
    # most the whole month's floor, and exactly it for a month on post throughout.
    assert (topped["pay"] <= GUARANTEE["per_month"] + 1e-6).all()
    whole = topped[topped["tenure_months"] >= 1]
    np.testing.assert_allclose(whole["pay"], GUARANTEE["per_month"], atol=1e-6)
    # Only within the guarantee's months on post (tenure at the month's end).
    assert (rm.loc[rm["tenure_months"] > GUARANTEE["months"] + 1e-9, "guarantee"] == 0).all()
    # Reps who earn more than the floor on their own get nothing.
    own = rm["base_pay"] + rm["commission"] + rm["bonus"] - rm["fines"]
    assert (rm.loc[own >= GUARANTEE["per_month"], "guarantee"] == 0).all()


def test_without_a_guarantee_no_top_up_is_paid():
    res = simsales.run(small(), replications=1, seed=5, workers=1)
    assert (res.rep_month["guarantee"].dropna() == 0).all()
    assert res.metrics()["guarantee"].iloc[0] == 0


def test_a_guarantee_raises_payroll_and_lowers_first_year_attrition():
    """Direction of effect, on common random numbers: the top-up is pay (payroll rises)
    and lifts new reps' recent pay to the reservation pay, which removes the low-pay quit
    factor in their first months, so fewer of them quit. Paired t-intervals over 40
    replications (on the bundled baseline the attrition effect is about -9 points, SE
    1.5, over 40 replications; this small team's is noisier)."""
    base = small(**{"horizon.months": 12})
    plan = base.with_overrides({"pay.guarantee": GUARANTEE, "name": "guaranteed"})
    c = simsales.compare([base, plan], replications=40, seed=11, workers=1)
    a = c.results[base.name].metrics().droplevel("scenario")
    b = c.results["guaranteed"].metrics().droplevel("scenario")
    assert (b["guarantee"] > 0).all()
    _, low, high, _ = mean_interval((b["payroll"] - a["payroll"]).to_numpy())
    assert low > 0
    _, low, high, _ = mean_interval(
        (b["first_year_attrition"] - a["first_year_attrition"]).to_numpy()
    )
    assert high < 0


def test_f26_earning_counts_own_pay_not_the_top_up():
    """F26's 'earning money within 6 months' is pay earned, not a floor: a guarantee above
    the earning threshold for 6 months does not make every new rep 'earn'."""
    floor = {"per_month": 20000, "months": 6}  # above pay.earning_threshold (8,000)
    res = simsales.run(small(**{"pay.guarantee": floor, "horizon.months": 9}), replications=2,
                       seed=5, workers=1)  # fmt: skip
    share = res.metrics()["class_earning_6m_of_on_post"].mean()
    assert 0 <= share < 1


def test_the_bundled_what_if_loads_and_cites_its_values():
    sc = simsales.load_scenario(ROOT / "scenarios" / "pay_guarantee.yaml")
    assert sc.pay.guarantee is not None
    assert (sc.pay.guarantee.per_month, sc.pay.guarantee.months) == (6000, 3)
    assert sc.pay.guarantee.per_month == sc.workforce.attrition.reservation_pay

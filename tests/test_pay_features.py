"""The pay features people use beside commission: draws (recoverable or not), clawbacks on
early churn, F33's soft-target pay and F37's quarterly team bonus. Each is checked
exactly from the tables and for the direction of its effect on common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.scenario.errors import ScenarioError
from tests.conftest import ROOT, team_overrides
from tests.test_customers import CUSTOMERS, paired
from tests.test_properties import check_pay_identity

DRAW = {"per_month": 3000, "months": 6}


def small(months: int = 8, **overrides):
    """16 reps in 2 groups, a class of 4 a month, no warm-up."""
    base = simsales.load_scenario(simsales.baseline_path())
    return base.with_overrides({**team_overrides(firms=20_000, months=months, warmup=0),
                                **overrides})  # fmt: skip


def on_post(res: simsales.Results):
    return res.rep_month.dropna(subset=["pay"])


# ------------------------------------------------------------------ draws
@pytest.fixture(scope="module")
def recoverable():
    sc = small(**{"pay.draw": {**DRAW, "recoverable": True}})
    return simsales.run(sc, replications=3, seed=4, workers=1)


def test_a_draw_tops_new_reps_commission_up_to_it():
    res = simsales.run(small(**{"pay.draw": {**DRAW, "recoverable": False}}), replications=3,
                       seed=4, workers=1)  # fmt: skip
    rm = on_post(res)
    check_pay_identity(rm)
    new = rm[rm["tenure_months"] <= DRAW["months"]]
    whole = new[new["tenure_months"] >= 1]  # on post all month: the whole draw
    np.testing.assert_allclose(whole["draw"], np.maximum(3000 - whole["commission"], 0.0))
    assert (whole["commission"] + whole["draw"] >= 3000 - 1e-6).all()
    assert (new["draw"] > 0).any()
    assert (rm.loc[rm["tenure_months"] > DRAW["months"] + 1e-9, "draw"] == 0).all()
    assert (rm["draw_recovered"] == 0).all()  # not recoverable: nothing is taken back


def test_a_recoverable_draw_is_repaid_from_commission_above_it(recoverable):
    rm = on_post(recoverable)
    check_pay_identity(rm)
    assert rm["draw_recovered"].sum() > 0
    # Repaid only from commission above the draw (all of it after the draw's months)...
    level = np.where(rm["tenure_months"] <= DRAW["months"], DRAW["per_month"], 0.0)
    assert (rm["draw_recovered"] <= np.maximum(rm["commission"] - level, 0.0) + 1e-6).all()
    # ...and never more than was advanced before, rep by rep.
    for _, rep in rm.sort_values("month").groupby(["replication", "rep"]):
        owed = rep["draw"].cumsum().shift(fill_value=0.0) - rep["draw_recovered"].cumsum()
        assert (owed >= -1e-6).all()


def test_a_draw_raises_payroll_and_a_recoverable_one_costs_less():
    """On common random numbers: a draw adds pay; repaying it takes part of that back."""
    n = 12
    none = simsales.run(small(12), replications=n, seed=7, workers=1)
    kept = simsales.run(small(12, **{"pay.draw": {**DRAW, "recoverable": False}}),
                        replications=n, seed=7, workers=1)  # fmt: skip
    repaid = simsales.run(small(12, **{"pay.draw": {**DRAW, "recoverable": True}}),
                          replications=n, seed=7, workers=1)  # fmt: skip
    diff, se = paired(none, kept, "payroll")
    assert diff > 3 * se
    diff, se = paired(repaid, kept, "payroll")
    assert diff > 3 * se


# --------------------------------------------------------------- clawback
def churny(clawback: bool, **extra):
    """Customers who cancel often (15% a month), with or without a 12-month clawback."""
    customers = {**CUSTOMERS, "cancel_per_month": 0.15}
    pay = {"pay.clawback": {"months": 12, "share": 1.0}} if clawback else {}
    return small(months=12, customers=customers, **pay, **extra)


def test_a_clawback_takes_back_the_commission_of_customers_who_left_early():
    res = simsales.run(churny(True), replications=3, seed=5, workers=1)
    rm = on_post(res)
    check_pay_identity(rm)
    assert rm["clawback"].sum() > 0
    # Taken from commission only; what is left waits for later commission, so a month's
    # clawback never exceeds what the rep was paid in commission.
    assert (rm["clawback"] <= rm["commission"] + 1e-6).all()
    tm = res.team_month.set_index(["replication", "month"])
    np.testing.assert_allclose(
        tm["clawback"], rm.groupby(["replication", "month"])["clawback"].sum()
    )


def test_a_clawback_lowers_payroll_and_raises_quits():
    """Reps whose customers churn lose pay, and reps who earn less quit more (the quit
    hazard's low-pay factor, F19's reservation pay). 40 paired years; measured: payroll
    -2.1 M (SE 0.03 M), quits +1.95 (SE 0.44) on this team."""
    n = 40
    a = simsales.run(churny(False), replications=n, seed=3, workers=1)
    b = simsales.run(churny(True), replications=n, seed=3, workers=1)
    diff, se = paired(a, b, "payroll")
    assert diff < -3 * se
    diff, se = paired(a, b, "quits")
    assert diff > 2 * se


def test_a_clawback_needs_customers():
    with pytest.raises(ScenarioError) as err:
        small(**{"pay.clawback": {"months": 6, "share": 1.0}})
    assert "pay.clawback" in str(err.value) and "customers" in str(err.value)


# ------------------------------------------------------ F33 and F37 pay
THRESHOLD = 3_700_000  # about what a group of 8 sells in a quarter: some reach it, some not


@pytest.fixture(scope="module")
def f33_f37():
    sc = simsales.load_scenario(ROOT / "scenarios" / "pay_f33_f37.yaml")
    sc = sc.with_overrides({**team_overrides(months=6, warmup=0),
                            "pay.team_bonus.threshold": THRESHOLD})  # fmt: skip
    return simsales.run(sc, replications=3, seed=6, workers=1)


def test_soft_target_pay_is_paid_for_the_record_norm(f33_f37):
    """F33's pay C: 500 a month for meeting 30 prospect records a day (F1), pro rata."""
    rm = on_post(f33_f37)
    check_pay_identity(rm)
    days = 26 * np.minimum(rm["tenure_months"], 1.0)
    share = np.minimum(rm["prospect_records"] / (30 * days), 1.0)
    whole = np.minimum(rm["tenure_months"], 1)  # share of the month on post
    np.testing.assert_allclose(rm["soft_target_pay"], 500 * whole * share)
    assert (rm.loc[rm["tenure_months"] >= 1, "soft_target_pay"] == 500).mean() > 0.9


def test_the_team_bonus_goes_to_groups_past_the_quarter_threshold(f33_f37):
    """At months 3 and 6, each rep on post in a group whose quarter revenue reached the
    threshold gets the bonus; nobody gets it in any other month."""
    rm = f33_f37.rep_month
    paid = on_post(f33_f37)
    assert (paid.loc[~paid["month"].isin([3, 6]), "team_bonus"] == 0).all()
    for end in (3, 6):
        quarter = rm[rm["month"].between(end - 2, end)]
        revenue = quarter.groupby(["replication", "group"])["revenue"].sum()
        rows = paid[paid["month"] == end]
        reached = revenue.reindex(list(zip(rows["replication"], rows["group"], strict=True)))
        expected = np.where(reached.to_numpy() >= THRESHOLD, 2000.0, 0.0)
        np.testing.assert_array_equal(rows["team_bonus"], expected)
    assert 0 < (paid["team_bonus"] > 0).sum() < len(paid[paid["month"].isin([3, 6])])

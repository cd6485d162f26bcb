"""Customers after signing (``customers``, F8): the book's invariants, its exact cases and
the direction of each lever's effect on common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.scenario.errors import ScenarioError
from tests.conftest import ROOT, STEADY, team_overrides

CUSTOMERS = {
    "term_months": 12,
    "renewal_probability": 0.7,
    "accounts_per_rep": 60,
    "upsell": 0.05,
    "cancel_per_month": 0.01,
    "renewal_commission_rate": 0.05,
    "starting_per_rep": 10,
    "handover": {"to": "rep", "after_months": 1, "orphan_renewal_penalty": 0.3},
}

# Dismissals (F29) still happen on a steady team: their accounts lose nothing orphaned.
NO_PENALTY = {"to": "rep", "after_months": 1, "orphan_renewal_penalty": 0.0}


def scenario(months: int = 14, warmup: int = 0, steady: bool = False, **customers):
    """16 reps in 2 groups with a book of customers; ``steady``: nobody comes or goes."""
    overrides = {**team_overrides(firms=20_000, months=months, warmup=warmup),
                 "customers": {**CUSTOMERS, **customers}}  # fmt: skip
    if steady:
        overrides |= STEADY
    return simsales.load_scenario(simsales.baseline_path()).with_overrides(overrides)


def paired(a: simsales.Results, b: simsales.Results, name: str) -> tuple[float, float]:
    """Mean and standard error of the paired difference b - a of a metric."""
    d = b.metrics()[name].to_numpy() - a.metrics()[name].to_numpy()
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size))


@pytest.fixture(scope="module")
def book():
    return simsales.run(scenario(), replications=4, seed=3, workers=1)


def test_customers_joined_are_active_or_churned(book):
    """No warm-up, so the tables see every month: the starting book plus every account
    that joined is active at the end or churned on the way, month by month."""
    tm = book.team_month
    starting = CUSTOMERS["starting_per_rep"] * 16
    for _, run in tm.groupby("replication"):
        joined = starting + run["customers_won"].cumsum()
        left = run["customers_churned"].cumsum()
        np.testing.assert_array_equal(joined, run["customers_active"] + left)
        assert (run["renewals"] <= run["renewals_due"]).all()
        assert (run["customers_churned"] >= run["renewals_due"] - run["renewals"]).all()
        assert (run["customers_orphaned"] <= run["customers_active"]).all()


def test_the_market_counts_the_book_when_no_deal_is_held():
    """With nobody timing deals, every signed firm joins the book at its month's close and a
    churned firm leaves the market's customers: the two counts agree at every month end."""
    res = simsales.run(scenario(**{}).with_overrides({"behaviour.gaming_share": 0}),
                       replications=2, seed=4, workers=1)  # fmt: skip
    tm = res.team_month
    assert tm["customers_churned"].sum() > 0
    np.testing.assert_array_equal(tm["firms_customers"], tm["customers_active"])


def test_renewal_commission_is_its_rate_on_the_fees_a_rep_collects(book):
    rm = book.rep_month.dropna(subset=["pay"])
    np.testing.assert_allclose(rm["renewal_commission"], 0.05 * rm["renewal_revenue"])
    tm = book.team_month.set_index(["replication", "month"])
    by_rep = book.rep_month.groupby(["replication", "month"])[["renewal_revenue", "accounts"]].sum()
    # Orphaned accounts pay their fees too, to nobody's commission.
    assert (by_rep["renewal_revenue"] <= tm["renewal_revenue"] + 1e-6).all()
    owned = tm["customers_active"] - tm["customers_orphaned"]
    np.testing.assert_array_equal(by_rep["accounts"], owned)
    np.testing.assert_allclose(
        tm["margin"], tm["revenue"] + tm["renewal_revenue"] - tm["cost_of_sales"]
    )


def test_sure_renewals_grow_every_account_by_the_upsell():
    """Everyone renews, nobody cancels, nobody quits (a dismissed rep's accounts renew as
    well while orphaned): each account of a year ago has had
    exactly one anniversary since, so net revenue retention is exactly 1 + upsell."""
    sc = scenario(steady=True, renewal_probability=1.0, cancel_per_month=0.0, upsell=0.1,
                  accounts_per_rep=10_000, handover=NO_PENALTY)  # fmt: skip
    tm = simsales.run(sc, replications=2, seed=1, workers=1).team_month
    assert (tm["customers_churned"] == 0).all()
    np.testing.assert_array_equal(tm["renewals"], tm["renewals_due"])
    assert tm.loc[tm["month"] <= 12, "net_revenue_retention"].isna().all()
    np.testing.assert_allclose(tm.loc[tm["month"] > 12, "net_revenue_retention"], 1.1)


def test_net_revenue_retention_is_renewal_times_staying_times_upsell():
    """No quits, no orphan penalty and room to serve everyone: an account of a year ago is
    still there if it did not cancel in the 11 other months and renewed at its anniversary,
    and then pays 1 + upsell as much; net revenue retention is that on average
    (each account has exactly one anniversary and 11 other months in the 12; the ratio is
    value-weighted, so the tolerance is 3 standard errors over replications)."""
    p, c, u = 0.7, 0.02, 0.05
    sc = scenario(months=13, steady=True, renewal_probability=p, cancel_per_month=c, upsell=u,
                  accounts_per_rep=10_000, handover=NO_PENALTY)  # fmt: skip
    tm = simsales.run(sc, replications=30, seed=2, workers=1).team_month
    nrr = tm.loc[tm["month"] == 13, "net_revenue_retention"]
    expected = (1 - c) ** 11 * p * (1 + u)
    assert abs(nrr.mean() - expected) < 3 * nrr.std(ddof=1) / np.sqrt(nrr.size)


def test_overloaded_reps_keep_fewer_customers():
    """A rep serving more than accounts_per_rep thins the service: renewals fall."""
    a = simsales.run(scenario(accounts_per_rep=10_000), replications=10, seed=6, workers=1)
    b = simsales.run(scenario(accounts_per_rep=10), replications=10, seed=6, workers=1)
    diff, se = paired(a, b, "renewal_rate")
    assert diff < -3 * se and diff < -0.2  # at ~20 accounts a rep, half the chance


def test_a_longer_term_raises_recurring_revenue():
    """Two-year contracts decide half as often: more customers stay, recurring revenue is
    higher after three years."""
    a = simsales.run(scenario(months=36), replications=6, seed=8, workers=1)
    b = simsales.run(scenario(months=36, term_months=24), replications=6, seed=8, workers=1)
    diff, se = paired(a, b, "recurring_revenue_end")
    assert diff > 3 * se and diff > 0


def test_orphaned_accounts_renew_less_and_a_pool_leaves_none_orphaned():
    """Leavers' accounts wait orphaned for a year: with a full penalty none of them renews.
    Handed to the pool at once, no account is ever orphaned at a month's end."""
    wait = {"to": "rep", "after_months": 12, "orphan_renewal_penalty": 0.0}
    a = simsales.run(scenario(handover=wait), replications=8, seed=9, workers=1)
    b = simsales.run(scenario(handover={**wait, "orphan_renewal_penalty": 1.0}),
                     replications=8, seed=9, workers=1)  # fmt: skip
    diff, se = paired(a, b, "renewal_rate")
    assert diff < -3 * se
    pool = {"to": "pool", "after_months": 0, "orphan_renewal_penalty": 0.3}
    tm = simsales.run(scenario(handover=pool), replications=2, seed=9, workers=1).team_month
    assert tm["quits"].sum() > 0 and (tm["customers_orphaned"] == 0).all()


def test_without_customers_nothing_is_booked(small_results):
    tm = small_results.team_month
    for column in ("customers_won", "customers_active", "renewal_revenue", "recurring_revenue"):
        assert (tm[column] == 0).all(), column
    assert tm["net_revenue_retention"].isna().all()
    assert small_results.metrics()["renewal_rate"].isna().all()


def test_the_bundled_renewals_scenario_runs_and_a_change_can_set_its_rate():
    sc = simsales.load_scenario(ROOT / "scenarios" / "customers_renewals.yaml")
    assert sc.customers is not None and sc.customers.term_months == 12
    changed = scenario(months=4).with_overrides(
        {"changes": [{"month": 3, "set": {"customers.renewal_commission_rate": 0.0}}]}
    )
    rm = simsales.run(changed, replications=1, seed=2, workers=1).rep_month.dropna(subset=["pay"])
    assert rm.loc[rm["month"] < 3, "renewal_commission"].sum() > 0
    assert (rm.loc[rm["month"] >= 3, "renewal_commission"] == 0).all()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"customers.term_months": 18}, "customers.term_months", "whole years"),
        ({"customers.renewal_probability": 1.5}, "customers.renewal_probability", ""),
        ({"customers.handover.to": "nobody"}, "customers.handover.to", "rep"),
        ({"market.territories": [{"name": "T1", "firms": 50}, {"name": "T2", "firms": 50}]},
         "customers.starting_per_rep", "8 x 10 accounts are more than the 50 firms"),
        ({"changes": [{"month": 2, "set": {"customers.starting_per_rep": 5}}]},
         "changes[0].set", "accounts the run starts with"),
    ],
)  # fmt: skip
def test_bad_customer_settings_name_the_field(overrides, field, words):
    with pytest.raises(ScenarioError) as err:
        scenario(months=4).with_overrides(overrides)
    assert field in str(err.value) and words in str(err.value)

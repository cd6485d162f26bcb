"""Roles (``roles``): prospectors who hand their leads to closers, and account managers who
own the customers, against the default full-cycle rep."""

from __future__ import annotations

import numpy as np
import pytest

import simsales
from simsales.scenario.errors import ScenarioError
from simsales.simulate import simulate
from tests.conftest import ROOT, STEADY, team_overrides
from tests.test_customers import CUSTOMERS, paired
from tests.test_properties import check_invariants

# Prospectors with norms above the rep's (F1: 3, 5, 30), so every table must reach them.
PROSPECTORS = {"share": 0.5, "visits": 6, "phone_appointments": 10, "prospect_records": 60}
F35 = {"information": 0.125, "groundwork": 0.375, "close": 0.5}


def small(months: int = 4, steady: bool = True, **overrides):
    """16 reps in 2 territories of 8, no warm-up."""
    base = simsales.load_scenario(simsales.baseline_path())
    extra = STEADY if steady else {}
    return base.with_overrides({**team_overrides(firms=20_000, months=months, warmup=0), **extra,
                                **overrides})  # fmt: skip


@pytest.fixture(scope="module")
def hunters():
    """Half prospectors, half closers, with F35's split of commission."""
    sc = small(roles={"prospectors": PROSPECTORS, "closers": {"share": 0.5}},
               **{"pay.commission.split_by_stage": F35})  # fmt: skip
    return sc, simsales.run(sc, replications=2, seed=4, workers=1)


def test_each_territory_gets_the_mix_of_roles(hunters):
    _, res = hunters
    first = res.rep_month[(res.rep_month["month"] == 1) & (res.rep_month["replication"] == 0)]
    mix = first.groupby(["territory", "role"]).size().unstack()
    assert (mix["prospector"] == 4).all() and (mix["closer"] == 4).all()
    tm = res.team_month
    np.testing.assert_array_equal(
        tm["prospectors_on_post"] + tm["closers_on_post"] + tm["account_managers_on_post"],
        tm["reps_on_post"],
    )


def test_prospectors_prospect_and_hand_over_and_closers_close(hunters):
    sc, res = hunters
    check_invariants(res, sc)
    on = res.rep_month[res.rep_month["status"] == "on_post"]
    hunt, close = on[on["role"] == "prospector"], on[on["role"] == "closer"]
    # Prospectors: their own norms of records, no follow-ups, every valid visit handed on.
    assert (hunt["prospect_records"] == 60 * 26).all()
    assert (hunt["followups"] == 0).all() and hunt["leads_handed_over"].sum() > 0
    assert (hunt["leads_handed_over"] <= hunt["leads_entered"]).all()
    # Closers: no prospecting, all the follow-ups, the deals and the quota.
    assert (close["prospect_records"] == 0).all() and close["followups"].sum() > 0
    assert close["signings"].sum() > 20 * hunt["signings"].sum()
    assert (hunt["quota"] == 0).all() and (close["quota"] > 0).all()
    tm = res.team_month
    np.testing.assert_array_equal(tm["reps_with_quota"], tm["closers_on_post"])
    # F35: the prospector who found a lead earns the information share of its deal, on
    # top of the commission of the few deals he closes himself (calls, first visits).
    assert hunt["commission_earned"].sum() > 0.1 * hunt["revenue"].sum() + 1000


def test_without_a_split_prospectors_earn_no_commission_and_are_not_reviewed():
    """Commission follows revenue: without F35's split the closer takes all. A review of
    revenue against quota passes over reps without a quota, even a harsh F28 rule."""
    sc = small(months=3, roles={"prospectors": PROSPECTORS, "closers": {"share": 0.5}},
               **{"workforce.dismissal.no_order_months": 1})  # fmt: skip
    res = simsales.run(sc, replications=2, seed=4, workers=1)
    rm = res.rep_month
    on = rm[rm["status"] == "on_post"]
    hunt = on[on["role"] == "prospector"]  # paid only on the deals he closes himself
    np.testing.assert_allclose(hunt["commission_earned"], 0.1 * hunt["revenue"])
    gone = rm[rm["status"] == "gone"]
    assert gone.empty or (gone["role"] != "prospector").all()


def test_roles_reproduce_exactly():
    """Same seed, same tables (the compiled day's tables reach the prospectors' norms)."""
    sc = small(months=2, roles={"prospectors": PROSPECTORS, "closers": {"share": 0.5}})
    a, b = simulate(sc, 0, 9), simulate(sc, 0, 9)
    for table, columns in a.items():
        for name, values in columns.items():
            np.testing.assert_array_equal(values, b[table][name], err_msg=f"{table}.{name}")


# Reps who serve at most 20 accounts beside selling: their books outgrow that in a year.
BUSY = {**CUSTOMERS, "accounts_per_rep": 20}


def managers(share: float, capacity: int):
    return small(months=14, steady=False, customers=BUSY,
                 roles={"account_managers": {"share": share,
                                             "accounts_per_manager": capacity}})  # fmt: skip


def test_account_managers_own_every_account_and_sell_nothing():
    res = simsales.run(managers(0.25, 400), replications=2, seed=2, workers=1)
    on = res.rep_month[res.rep_month["status"] == "on_post"]
    am, sellers = on[on["role"] == "account_manager"], on[on["role"] != "account_manager"]
    assert (am[["prospect_records", "visits", "followups", "signings", "quota"]] == 0).all().all()
    assert (sellers["accounts"] == 0).all() and am["accounts"].sum() > 0
    np.testing.assert_allclose(am["commission_earned"], am["renewal_commission"])


def test_account_managers_with_room_keep_more_customers():
    """Reps serving 20 accounts each beside selling lose renewals once their books pass
    that; managers who serve up to 400 keep them: the renewal rate is higher."""
    base = simsales.load_scenario(simsales.baseline_path()).with_overrides(
        {**team_overrides(firms=20_000, months=14, warmup=0), "customers": BUSY}
    )
    a = simsales.run(base, replications=6, seed=2, workers=1)
    b = simsales.run(managers(0.25, 400), replications=6, seed=2, workers=1)
    diff, se = paired(a, b, "renewal_rate")
    assert diff > 3 * se and diff > 0


def test_the_bundled_roles_scenario_loads():
    sc = simsales.load_scenario(ROOT / "scenarios" / "roles_hunters_farmers.yaml")
    assert sc.roles is not None and sc.roles.account_managers is not None


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"roles": {"prospectors": {**PROSPECTORS, "share": 0.7}, "closers": {"share": 0.5}}},
         "roles.share", "at most 1"),
        ({"roles": {"prospectors": {**PROSPECTORS, "share": 1.0}}}, "roles.prospectors.share",
         "closers"),
        ({"roles": {"account_managers": {"share": 0.2, "accounts_per_manager": 100}}},
         "roles.account_managers", "customers"),
        ({"changes": [{"month": 2, "set": {"roles.closers.share": 0.3}}]}, "changes[0].set",
         "who does what"),
    ],
)  # fmt: skip
def test_bad_roles_name_the_field(overrides, field, words):
    with pytest.raises(ScenarioError) as err:
        small(months=3).with_overrides(overrides)
    assert field in str(err.value) and words in str(err.value)


def test_reps_without_a_quota_get_no_annual_grade_bonus():
    """F38 grades annual attainment; a prospector has none, whatever deals he closes."""
    sc = small(months=12, roles={"prospectors": PROSPECTORS, "closers": {"share": 0.5}})
    rm = simsales.run(sc, replications=1, seed=4, workers=1).rep_month
    year_end = rm[(rm["month"] == 12) & (rm["status"] == "on_post")]
    hunt = year_end[year_end["role"] == "prospector"]
    assert (hunt["revenue"] > 0).any() or (rm.loc[rm["role"] == "prospector", "revenue"] > 0).any()
    assert (hunt["bonus"] == 0).all()
    assert (year_end.loc[year_end["role"] == "closer", "bonus"] > 0).any()

"""Territory policies (F10, F11, F15): alignment, layouts, the open market's duplicated
approaches, the public pool's rules, and the territory table.

Exact rules are checked exactly; effects with paired replications and t-intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simsales
from simsales import ScenarioError
from simsales.model.team import build_team
from simsales.policies.territory import align, largest_remainder
from tests.conftest import STEADY
from tests.stats_helpers import assert_mean_above

ROOT = Path(__file__).resolve().parents[1]
ALPHA = 0.001
OPEN = {"market.policy": "open", "market.duplicate_minutes": 10.0,
        "market.duplicate_sign_multiplier": 0.85}  # fmt: skip


def layout(baseline, firms: list[int], groups: int, reps: int, **more) -> simsales.Scenario:
    """A steady team of ``reps`` in ``groups`` groups over territories of ``firms``."""
    return baseline.with_overrides(
        {
            **STEADY,
            "team.reps": reps,
            "team.supervisor_groups": groups,
            "market.territories": [{"name": f"T{i + 1}", "firms": f} for i, f in enumerate(firms)],
            "horizon.months": 4,
            "horizon.warmup_months": 1,
            **more,
        }
    )


def per_replication(res: simsales.Results, table: str, column: str) -> np.ndarray:
    return getattr(res, table).groupby("replication")[column].sum().to_numpy()


# ------------------------------------------------------------- alignment
def test_largest_remainder_keeps_the_total_and_the_minimum():
    np.testing.assert_array_equal(largest_remainder(64, np.array([4.0, 2, 1, 1]),
                                                    np.ones(4, int)), [32, 16, 8, 8])  # fmt: skip
    np.testing.assert_array_equal(largest_remainder(10, np.ones(3), np.ones(3, int)), [4, 3, 3])
    # A minimum beyond the proportional share: 7 = 1 + 5 + 1, not 0 + 7 + 0.
    np.testing.assert_array_equal(largest_remainder(7, np.array([1.0, 100, 1]),
                                                    np.ones(3, int)), [1, 5, 1])  # fmt: skip


def test_by_potential_evens_firms_per_rep(baseline):
    """Territories of 60k, 20k, 20k firms and 2 groups: the largest goes to group 1, the
    two small ones to group 2 (40k); 10 reps split 6 : 4, so 10k firms per rep each."""
    scenario = layout(baseline, [60_000, 20_000, 20_000], groups=2, reps=10)
    group_of, per_group = align(scenario)
    np.testing.assert_array_equal(group_of, [0, 1, 1])
    np.testing.assert_array_equal(per_group, [6, 4])
    team = build_team(scenario, np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(team.group), [6, 4])
    np.testing.assert_array_equal(np.bincount(team.territory), [6, 2, 2])  # turns in group 2


def test_explicit_alignment_spreads_reps_evenly(baseline):
    scenario = layout(baseline, [10_000, 30_000, 20_000], groups=2, reps=7, **{
        "market.alignment": {"policy": "explicit", "groups": [["T3", "T1"], ["T2"]]}})  # fmt: skip
    team = build_team(scenario, np.random.default_rng(0))
    np.testing.assert_array_equal(np.bincount(team.group), [4, 3])
    np.testing.assert_array_equal(team.territory_group[:3], [0, 1, 0])
    assert set(team.territory[team.group == 0]) == {0, 2}


def test_the_shanghai_layout_is_f15s(baseline):
    """F15: Puxi 4 groups, Pudong 2, Jiading 1, Songjiang 1; 8 reps each."""
    sh = simsales.load_scenario(ROOT / "scenarios" / "territory_shanghai.yaml")
    team = build_team(sh, np.random.default_rng(0))
    names = [t.name for t in sh.market.territories]
    districts = [names[t].split(" ")[0] for t in team.territory_group[: len(names)]]
    assert {d: districts.count(d) for d in set(districts)} == {
        "Puxi": 4, "Pudong": 2, "Jiading": 1, "Songjiang": 1}  # fmt: skip
    np.testing.assert_array_equal(np.bincount(team.group), [8] * 8)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({"market.alignment": {"policy": "explicit", "groups": [["T1"], ["T9"]]}},
                     "market.alignment.groups = ['T9']: no such territories", id="unknown"),
        pytest.param({"market.alignment": {"policy": "explicit", "groups": [["T1", "T2"], ["T2"]]}},
                     "market.alignment.groups = ['T2']: a territory belongs to one group only",
                     id="overlap"),
        pytest.param({"market.alignment": {"policy": "explicit", "groups": [["T1"], []]}},
                     "market.alignment.groups = ['T2']: every territory needs a group",
                     id="unassigned"),
        pytest.param({"market.alignment": {"policy": "explicit", "groups": [["T1", "T2"]]}},
                     "market.alignment.groups = 1: needs one list per supervisor group: 2",
                     id="group count"),
        pytest.param({"market.alignment": {"policy": "by_potential", "groups": [["T1"], ["T2"]]}},
                     "market.alignment.groups = [['T1'], ['T2']]: not used by alignment policy",
                     id="groups with by_potential"),
        pytest.param({"market.territories.0.firms": 0},
                     "market.territories[0].firms = 0: Input should be greater than or equal to 1",
                     id="market size 0"),
        pytest.param({"market.policy": "open"},
                     "market.duplicate_minutes = None: required by market policy 'open'",
                     id="open without its costs"),
        pytest.param({"market.duplicate_minutes": 5.0},
                     "market.duplicate_minutes = 5.0: not used by market policy 'exclusive'",
                     id="exclusive with open's costs"),
    ],
)  # fmt: skip
def test_bad_layouts_are_refused(baseline, overrides, expected):
    scenario = layout(baseline, [20_000, 20_000], groups=2, reps=4)
    with pytest.raises(ScenarioError) as err:
        scenario.with_overrides(overrides)
    assert str(err.value).startswith(f"override: {expected}"), str(err.value)


def test_a_group_needs_a_rep_for_every_territory(baseline):
    scenario = layout(baseline, [20_000, 20_000, 20_000], groups=2, reps=4)
    with pytest.raises(ScenarioError, match="more territories than starting reps"):
        scenario.with_overrides(
            {
                "team.reps": 2,
                "market.alignment": {"policy": "explicit", "groups": [["T1", "T2"], ["T3"]]},
            }  # fmt: skip
        )


# ------------------------------------------------------------- open market
def test_duplicates_happen_in_an_open_market_only(baseline):
    """F15's point: exclusive territories have no duplicated approaches at all; the same
    team in an open market has them every month."""
    exclusive = layout(baseline, [40_000, 40_000], groups=2, reps=16)
    policies = (("exclusive", exclusive), ("open", exclusive.with_overrides(OPEN)))
    runs = {name: simsales.run(sc, replications=6, seed=3, workers=2) for name, sc in policies}
    assert runs["exclusive"].team_month["duplicated_approaches"].sum() == 0
    dup = runs["open"].team_month.groupby("replication")["duplicated_approaches"].sum()
    assert_mean_above(dup.to_numpy(), 0, ALPHA, "duplicated approaches, open market")
    assert runs["open"].territory_month["territory"].unique().tolist() == ["Open market"]
    # Records that duplicate take no firm: available + cooling + pipeline + customers = firms.
    tr = runs["open"].territory_month
    parts = tr[["firms_available", "firms_cooling", "firms_in_pipeline", "firms_customers"]]
    np.testing.assert_array_equal(parts.sum(axis=1), tr["firms"])


def test_duplicated_approaches_cost_time_and_sign_chances(baseline):
    """Paired: losing 60 minutes per duplicate uses more of the reps' minutes than losing
    none; a 0.5 factor per approach on the annoyed firm's lead signs fewer deals."""
    base = layout(baseline, [40_000, 40_000], groups=2, reps=16, **OPEN)
    runs = {}
    for name, minutes, factor in (("free", 0.0, 1.0), ("costly", 60.0, 1.0),
                                  ("annoying", 0.0, 0.5)):  # fmt: skip
        sc = base.with_overrides({"market.duplicate_minutes": minutes,
                                  "market.duplicate_sign_multiplier": factor})  # fmt: skip
        runs[name] = simsales.run(sc, replications=8, seed=4, workers=2)
    minutes = {k: per_replication(r, "team_month", "minutes_used") for k, r in runs.items()}
    assert_mean_above(minutes["costly"] - minutes["free"], 0, ALPHA, "minutes, costly duplicates")
    signed = {k: per_replication(r, "team_month", "signings") for k, r in runs.items()}
    assert_mean_above(signed["free"] - signed["annoying"], 0, ALPHA, "signings, annoyed firms")


def test_hq_leads_go_round_robin_in_an_open_market(baseline):
    """F10 in an open market: HQ leads rotate over the reps on post, so with a steady team
    no rep gets more than one HQ lead more than another over the whole run."""
    scenario = layout(baseline, [40_000, 40_000], groups=2, reps=16, **OPEN)
    rm = simsales.run(scenario, replications=2, seed=5, workers=1).rep_month
    per_rep = rm.groupby(["replication", "rep"])["hq_leads"].sum().groupby("replication")
    assert ((per_rep.max() - per_rep.min()) <= 1).all()
    exclusive = simsales.run(layout(baseline, [40_000, 40_000], groups=2, reps=16),
                             replications=2, seed=5, workers=1).rep_month  # fmt: skip
    spread = exclusive.groupby(["replication", "rep"])["hq_leads"].sum().groupby("replication")
    assert ((spread.max() - spread.min()) > 1).all()  # random within a territory


# ------------------------------------------------------------ public pool
def busy(baseline, **more) -> simsales.Scenario:
    """Reps with more leads than minutes: 4 HQ leads a rep-day, so leads go stale (F11)."""
    return layout(baseline, [40_000, 40_000], groups=2, reps=8,
                  **{"leads.hq_leads_per_rep_day": 4.0, **more})  # fmt: skip


def test_a_shorter_reclaim_window_grows_the_public_pool(baseline):
    pool = {}
    for days in (6, 12):  # F11's week, a fortnight (the baseline's cadences fit both)
        res = simsales.run(busy(baseline, **{"leads.stale_after_days": days}), replications=6,
                           seed=6, workers=2)  # fmt: skip
        pool[days] = per_replication(res, "team_month", "pool_size")
    assert_mean_above(pool[6] - pool[12], 0, ALPHA, "pool size, 6-day vs 12-day window")


def test_leads_never_go_stale_with_no_reclaim_rule(baseline):
    res = simsales.run(busy(baseline, **{"leads.stale_after_days": 0}), replications=2, seed=6,
                       workers=1)  # fmt: skip
    assert res.team_month["stale_to_pool"].sum() == 0
    assert res.team_month["pool_claims"].sum() == 0  # no leaver either: a steady team


def test_claims_across_territories_only_when_anyone_may_claim(baseline):
    """Under F15's rule every pool lead is claimed by a rep of its own territory; when
    anyone may claim (F11), reps of the idle territory T2 claim leads of T1, whose reps
    travel 3 hours a first visit and leave their leads to go stale."""
    moved = {}
    for scope in ("territory", "anyone"):
        sc = busy(baseline, **{"leads.pool_claim_scope": scope,
                               "market.territories.0.travel_minutes": 180.0,
                               "leads.hq_leads_per_rep_day": 1.0})  # fmt: skip
        res = simsales.run(sc, replications=2, seed=7, workers=1)
        keys = ["replication", "month", "territory"]
        of_leads = res.territory_month.set_index(keys)["pool_claims"]
        by_reps = res.rep_month.groupby(keys)["pool_claims"].sum().reindex(of_leads.index)
        moved[scope] = (of_leads - by_reps.fillna(0)).abs().sum()
        assert of_leads.sum() > 0
    assert moved["territory"] == 0 and moved["anyone"] > 0


# ------------------------------------------------------ territories differ
def test_a_richer_grade_mix_and_shorter_travel_sell_more(baseline):
    """Within one run: a territory of A leads only signs more per rep than one of D leads
    only (F6 grades' sign weights), and a territory with 2 hours of travel a first visit
    makes fewer first visits per rep than one without."""
    sc = layout(baseline, [40_000, 40_000], groups=2, reps=16, **{
        "market.territories": [
            {"name": "A", "firms": 40_000, "grade_mix": {"A": 1.0, "B": 0.0, "C": 0.0, "D": 0.0}},
            {"name": "D", "firms": 40_000, "travel_minutes": 120.0,
             "grade_mix": {"A": 0.0, "B": 0.0, "C": 0.0, "D": 1.0}}]})  # fmt: skip
    res = simsales.run(sc, replications=4, seed=8, workers=1)
    by = res.rep_month.groupby(["replication", "territory"])[["signings", "visits"]].sum()
    a, d = by.xs("A", level="territory"), by.xs("D", level="territory")
    assert_mean_above((a["signings"] - d["signings"]).to_numpy(), 0, ALPHA, "signings, A vs D")
    assert_mean_above((a["visits"] - d["visits"]).to_numpy(), 0, ALPHA, "first visits")


# ------------------------------------------------------------ rebalancing
def test_transfers_give_each_territory_its_reps_share():
    """300 available firms, reps 2 : 1 : 1: targets 150, 75, 75, so the third territory
    gives 50 to the first and 25 to the second."""
    from simsales.policies.rebalancing import transfers

    flow = transfers(np.array([100.0, 50.0, 150.0]), np.array([2.0, 1.0, 1.0]))
    np.testing.assert_allclose(flow, [[0, 0, 0], [0, 0, 0], [50, 25, 0]])
    assert not transfers(np.array([10.0, 10.0]), np.array([1.0, 1.0])).any()
    assert not transfers(np.array([10.0, 10.0]), np.array([0.0, 0.0])).any()  # nobody on post


def test_rebalancing_lowers_the_dispersion_of_opportunity_per_rep():
    """The Shanghai team with quits and hires: re-splitting every month (accounts to the
    new owners) leaves opportunity per rep more even than never re-splitting (paired)."""
    sh = simsales.load_scenario(ROOT / "scenarios" / "territory_shanghai.yaml").with_overrides(
        {"horizon.months": 6}
    )
    every = sh.with_overrides({"market.rebalancing": {
        "policy": "every_months", "every_months": 1, "accounts_to": "new_owner",
        "cost_per_account": 200.0}})  # fmt: skip
    cv, runs = {}, {}
    for name, sc in (("never", sh), ("monthly", every)):
        runs[name] = simsales.run(sc, replications=8, seed=12, workers=2)
        cv[name] = runs[name].metrics()["opportunity_per_rep_cv"].to_numpy()
    assert_mean_above(cv["never"] - cv["monthly"], 0, ALPHA, "opportunity CV, never - monthly")
    tm = runs["monthly"].team_month
    assert (tm["rebalancings"] == 1).all() and tm["accounts_moved"].sum() > 0
    np.testing.assert_allclose(tm["rebalancing_cost"], 200.0 * tm["accounts_moved"])
    assert runs["never"].team_month["accounts_moved"].sum() == 0


def test_more_reps_run_a_fixed_territory_dry_sooner_and_sign_less_each(baseline):
    """One territory of 6,000 firms: 12 reps prospect it empty (under 5% untouched) in an
    earlier month than 4 reps, and sign fewer deals per rep (paired, F1's 30 records)."""
    dry, per_rep = {}, {}
    for reps in (4, 12):
        sc = layout(baseline, [6_000], groups=1, reps=reps, **{"horizon.warmup_months": 0,
                                                                 "horizon.months": 5})  # fmt: skip
        res = simsales.run(sc, replications=6, seed=13, workers=2)
        untouched = res.territory_month.groupby("month")["firms_untouched"].mean()
        dry[reps] = untouched.index[untouched < 0.05 * 6_000].min()
        per_rep[reps] = per_replication(res, "team_month", "signings") / reps
    assert dry[12] < dry[4]
    assert_mean_above(per_rep[4] - per_rep[12], 0, ALPHA, "signings per rep, 4 vs 12 reps")

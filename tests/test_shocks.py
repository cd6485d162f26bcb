"""Shocks (``shocks:`` in a scenario, issue 17 item 4): dated one-off events - a lead
burst, a price change, a hiring freeze, a territory re-split, a competitor - validated
with the rest of the scenario, run as events on the agenda, shown in
``team_month.shocks``, and common random numbers up to the shock."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.scenario.errors import ScenarioError
from simsales.simulate import simulate
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

BASE = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides(
    {"horizon.months": 6, "horizon.warmup_months": 1, "name": "today"}
)
T1, T2 = "Territory 1", "Territory 2"
SEED = 5
K = 3  # the month the shocks below happen in
SHOCKS = {
    "lead_burst": {"kind": "lead_burst", "when": K, "leads": 200, "territories": [T2]},
    "price_change": {"kind": "price_change", "when": K, "deal_value_multiplier": 0.9},
    "hiring_freeze": {"kind": "hiring_freeze", "from": K, "until": K + 1},
    "territory_resplit": {"kind": "territory_resplit", "when": K, "cost_per_account": 200},
    "competitor": {"kind": "competitor", "when": K, "territories": [T1], "sign_multiplier": 0.0},
}


def with_shocks(*shocks: dict, base: simsales.Scenario = BASE) -> simsales.Scenario:
    return base.with_overrides({"shocks": list(shocks), "name": "shocked"})


def frames(scenario: simsales.Scenario, replication: int = 0) -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(v) for k, v in simulate(scenario, replication, SEED).items()}


@pytest.fixture(scope="module")
def plain() -> dict[str, pd.DataFrame]:
    return frames(BASE)


@pytest.fixture(scope="module")
def shocked() -> dict[str, dict[str, pd.DataFrame]]:
    return {kind: frames(with_shocks(shock)) for kind, shock in SHOCKS.items()}


def month(df: pd.DataFrame, m: int) -> pd.Series:
    return df[df["month"] == m].iloc[0]


# --------------------------------------------------------------- common random numbers
@pytest.mark.parametrize("kind", list(SHOCKS))
def test_tables_before_the_shock_are_identical(kind, plain, shocked):
    """A shock draws nothing of its own: before its month every table is the plain
    run's, under the same seed; from its month the run differs."""
    for table in ("team_month", "rep_month", "territory_month"):
        a = plain[table][plain[table]["month"] < K].reset_index(drop=True)
        b = shocked[kind][table][shocked[kind][table]["month"] < K]
        b = b.drop(columns=["shocks"], errors="ignore").reset_index(drop=True)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=table)
    after = plain["team_month"]["month"] >= K
    changed = shocked[kind]["team_month"].drop(columns=["shocks"])
    assert not plain["team_month"][after].equals(changed[after])


def test_the_shocks_column_names_each_shock_in_its_month(plain, shocked):
    tm = shocked["lead_burst"]["team_month"]
    assert tm["shocks"].tolist() == ["", "", f"lead burst of 200 leads in {T2}", "", "", ""]
    assert "shocks" not in plain["team_month"]  # only runs with shocks have it
    two = frames(with_shocks({**SHOCKS["price_change"], "name": "list price -10%"},
                             {**SHOCKS["competitor"], "when": 5}))["team_month"]  # fmt: skip
    entry = f"competitor in {T1} (sign chances x0)"
    assert two["shocks"].tolist() == ["", "", "list price -10%", "", entry, ""]


# ------------------------------------------------------------------- what each does
def test_lead_burst_adds_exactly_its_leads_in_its_territories(plain, shocked):
    """The month's own HQ leads are drawn as without the burst (common random numbers),
    so the month has exactly 200 more HQ leads, all in Territory 2."""
    tm, rm = shocked["lead_burst"]["team_month"], shocked["lead_burst"]["rep_month"]
    assert month(tm, K)["hq_leads"] == month(plain["team_month"], K)["hq_leads"] + 200
    rp = plain["rep_month"]
    by_territory = (rm[rm["month"] == K].groupby("territory")["hq_leads"].sum()
                    - rp[rp["month"] == K].groupby("territory")["hq_leads"].sum())  # fmt: skip
    assert by_territory[T2] == 200
    assert (by_territory.drop(T2) == 0).all()


def test_lead_burst_without_territories_is_shared_by_reps_on_post(plain):
    """Every territory gets a share of the leads in proportion to its reps on post that
    morning (largest remainders first): the shares add up to the burst and differ from
    an even split by less than a lead plus the territory's rounding."""
    burst = frames(with_shocks({"kind": "lead_burst", "when": K, "leads": 199}))
    rm, rp = burst["rep_month"], plain["rep_month"]
    extra = (rm[rm["month"] == K].groupby("territory")["hq_leads"].sum()
             - rp[rp["month"] == K].groupby("territory")["hq_leads"].sum())  # fmt: skip
    assert extra.sum() == 199
    # On post that morning: on post at the month's end since its first day or before
    # (on-post reps leave only at a month's start; trainees may go on post mid-month).
    mine = rm[(rm["month"] == K) & (rm["status"] == "on_post")]
    reps = mine[mine["tenure_months"] >= 1.0].groupby("territory").size()
    expected = 199 * reps / reps.sum()
    assert (np.abs(extra[reps.index] - expected) < 1).all()


def test_price_change_scales_every_deal_from_its_day(plain, shocked):
    """The same deals are signed in the shock's month (nothing else has changed yet),
    each at 0.9 of its value."""
    a, b = plain["team_month"], shocked["price_change"]["team_month"]
    assert month(b, K)["signings"] == month(a, K)["signings"]
    assert month(b, K)["revenue"] == pytest.approx(0.9 * month(a, K)["revenue"], rel=1e-12)


def test_price_changes_multiply():
    twice = frames(with_shocks(SHOCKS["price_change"], {**SHOCKS["price_change"], "when": K}))
    once = frames(with_shocks(SHOCKS["price_change"]))
    a, b = once["team_month"], twice["team_month"]
    assert month(b, K)["revenue"] == pytest.approx(0.9 * month(a, K)["revenue"], rel=1e-12)


def test_a_competitor_with_sign_multiplier_zero_stops_every_signing_there(plain, shocked):
    """No lead of Territory 1 signs from the day the competitor enters (visits, follow-ups
    and phone closes alike); other territories go on signing."""
    tm = shocked["competitor"]["territory_month"]
    mine = tm[tm["territory"] == T1].set_index("month")["signings"]
    assert (mine.loc[K:] == 0).all()
    assert (mine.loc[: K - 1] > 0).all()
    assert tm[(tm["territory"] == T2) & (tm["month"] >= K)]["signings"].sum() > 0


def test_hiring_freeze_cancels_the_classes_in_it(plain, shocked):
    """Fixed classes (the baseline's 4 a month) do not start in months 3 and 4 and are
    not made up; they start again in month 5."""
    a, b = plain["team_month"], shocked["hiring_freeze"]["team_month"]
    assert a["hires"].tolist() == [4] * 6
    assert b["hires"].tolist() == [4, 4, 0, 0, 4, 4]


def test_a_reactive_policy_hires_for_the_gap_after_the_freeze():
    """Target headcount recruits no class that would start in the freeze, then hires to
    the target once it ends."""
    target = BASE.with_overrides({
        "workforce.hiring.policy": "target_headcount", "workforce.hiring.class_size": None,
        "workforce.hiring.every_months": None, "workforce.hiring.target_reps": 72,
        "workforce.hiring.max_class_size": 40, "workforce.hiring.lead_time_months": 0,
        "name": "target",
    })  # fmt: skip
    a = frames(target)["team_month"]
    b = frames(with_shocks(SHOCKS["hiring_freeze"], base=target))["team_month"]
    assert a["hires"].iloc[K - 1 : K + 1].sum() > 0  # the policy would hire in the freeze
    assert b["hires"].iloc[K - 1 : K + 1].tolist() == [0, 0]
    assert b["hires"].iloc[K + 1] > a["hires"].iloc[K + 1]  # ... and hires the gap after


def test_territory_resplit_moves_accounts_at_their_cost(plain, shocked):
    tm = shocked["territory_resplit"]["team_month"]
    row = month(tm, K)
    assert row["rebalancings"] == 1 and tm["rebalancings"].sum() == 1
    assert row["accounts_moved"] > 0
    assert row["rebalancing_cost"] == 200 * row["accounts_moved"]
    assert month(plain["team_month"], K)["rebalancings"] == 0
    # Firms only move between territories: the market keeps its size.
    terr = shocked["territory_resplit"]["territory_month"]
    assert (terr.groupby("month")["firms"].sum() == BASE.market.territories[0].firms * 8).all()


# ----------------------------------------------------------- when, with a calendar
TODAY = simsales.load_scenario(ROOT / "scenarios" / "today_2027.yaml")


def test_a_date_is_the_first_working_day_on_or_after_it():
    """2027-04-20: April's first working day plus the 15 working days of April 1-19 (not
    the Sundays 4, 11, 18, nor Qingming on the 5th). A holiday moves a shock to the
    next working day; without a calendar a date falls at its share of the month."""
    h = TODAY.horizon
    april = h.first_day(h.warmup_months + 3)
    assert h.working_day(dt.date(2027, 4, 20)) == april + 15
    assert h.working_day(dt.date(2027, 10, 1)) == h.working_day(dt.date(2027, 10, 8))
    plain = BASE.with_overrides({"horizon.start": "2027-01"}).horizon  # 26 days a month
    assert plain.working_day(dt.date(2027, 4, 16)) == plain.first_day(4) + 15 * 26 // 30


def test_shock_timings_in_months_and_dates():
    from simsales.scenario.shocks import shock_timings

    s = with_shocks(
        {"kind": "lead_burst", "when": "2027-04-20", "leads": 10},
        {"kind": "hiring_freeze", "from": "2027-05-01", "until": "2027-08-31"},
        {"kind": "price_change", "when": 7, "deal_value_multiplier": 0.9},
        base=TODAY,
    )
    h = TODAY.horizon
    w = h.warmup_months
    burst, freeze, price = shock_timings(s)
    assert (burst.month, burst.end - burst.first) == (4, 1)
    assert (freeze.first, freeze.end, freeze.month) == (h.first_day(w + 4), h.first_day(w + 8), 5)
    assert (price.first, price.month) == (h.first_day(w + 6), 7)


# ------------------------------------------------------------------ bad shocks
@pytest.mark.parametrize(
    ("shocks", "field", "words"),
    [
        ([{"kind": "price_cut", "when": 2}], "shocks[0].kind", "unknown kind; allowed: lead_burst"),
        ([{"when": 2, "leads": 5}], "shocks[0].kind", "required field is missing"),
        ([{**SHOCKS["lead_burst"], "grade": "A"}], "shocks[0].grade",
         "unknown key; allowed here: name, kind, when, leads, territories"),
        ([{**SHOCKS["price_change"], "when": 7}], "shocks[0].when", "allowed: months 1..6"),
        ([{**SHOCKS["price_change"], "when": 0}], "shocks[0].when", "allowed: months 1..6"),
        ([{**SHOCKS["price_change"], "when": "2027-04-01"}], "shocks[0].when",
         "a date needs horizon.start"),
        ([{**SHOCKS["price_change"], "when": "April"}], "shocks[0].when", "not a date"),
        ([{**SHOCKS["hiring_freeze"], "until": 2}], "shocks[0].until",
         "must be on or after from (month 3)"),
        ([SHOCKS["hiring_freeze"], {**SHOCKS["hiring_freeze"], "from": 4, "until": 5}],
         "shocks[1].from", "overlaps the hiring freeze shocks[0]"),
        ([{**SHOCKS["competitor"], "territories": ["Nowhere"]}], "shocks[0].territories",
         "no such territories"),
        ([{**SHOCKS["lead_burst"], "territories": [T1, T1]}], "shocks[0].territories",
         "name each territory once"),
        ([{**SHOCKS["price_change"], "deal_value_multiplier": 90}],
         "shocks[0].deal_value_multiplier", "write 0.9 for 90%"),
        ([{**SHOCKS["lead_burst"], "leads": 0}], "shocks[0].leads", "greater than or equal to 1"),
    ],
    ids=["unknown-kind", "no-kind", "unknown-key", "after-horizon", "month-0",
         "date-without-start", "not-a-date", "until-before-from", "overlapping-freezes",
         "unknown-territory", "territory-twice", "percentage", "no-leads"],
)  # fmt: skip
def test_bad_shocks_are_one_clear_error(shocks, field, words):
    with pytest.raises(ScenarioError) as err:
        with_shocks(*shocks)
    problems = err.value.problems
    assert len(problems) == 1, problems
    assert problems[0].field == field
    assert words in problems[0].message


def test_a_date_outside_the_reported_months_is_refused():
    with pytest.raises(ScenarioError) as err:
        with_shocks({**SHOCKS["price_change"], "when": "2026-12-01"}, base=TODAY)
    problem = err.value.problems[0]
    assert problem.field == "shocks[0].when"
    assert "outside the reported months 2027-01..2027-12" in problem.message


def test_an_open_market_has_no_territories_to_name():
    open_market = BASE.with_overrides({"market.policy": "open",
                                       "market.duplicate_minutes": 10,
                                       "market.duplicate_sign_multiplier": 0.9})  # fmt: skip
    for shock in (SHOCKS["competitor"], SHOCKS["territory_resplit"]):
        with pytest.raises(ScenarioError, match="an open market has one shared territory"):
            with_shocks(shock, base=open_market)
    with_shocks({"kind": "lead_burst", "when": 2, "leads": 50}, base=open_market)  # fine


def test_a_change_cannot_set_shocks():
    with pytest.raises(ScenarioError) as err:
        BASE.with_overrides({"changes": [{"month": 2, "set": {"shocks": []}}]})
    assert err.value.problems[0].field == "changes[0].set"
    assert "the dated events" in err.value.problems[0].message


def test_a_file_with_a_bad_shock_exits_2(tmp_path):
    path = tmp_path / "year.yaml"
    path.write_text(
        f"base: {ROOT / 'scenarios' / 'today_2027.yaml'}\nname: year\n"
        "shocks:\n  - {kind: hiring_freeze, from: 2027-05-01, until: 2027-04-30}\n"
    )
    assert_bad_input(invoke("validate", path), "year.yaml", "shocks[0].until", "line 4",
                     "must be on or after from (2027-05-01)")  # fmt: skip


def test_validate_lists_the_shocks():
    result = invoke("validate", ROOT / "scenarios" / "shocks_2027.yaml")
    assert result.exit_code == 0, result.output
    assert "shocks: 'spring trade show' in month 4, 'hiring freeze until 2027-08-31' in month 5" \
        in result.stdout  # fmt: skip


# ---------------------------------------------------------- invariants and display
@pytest.fixture(scope="module")
def year() -> simsales.Comparison:
    shocks = simsales.load_scenario(ROOT / "scenarios" / "shocks_2027.yaml")
    return simsales.compare([TODAY, shocks], replications=2, seed=SEED, workers=1)


def test_the_run_invariants_hold_across_every_shock(year):
    res = year.results["shocks_2027"]
    tm, lc, fn = res.team_month, res.lead_cohorts, res.funnel
    assert tm["shocks"].astype(bool).sum() == 5 * 2
    np.testing.assert_array_equal(tm["leads_created"], tm["leads_entered"] + tm["leads_discarded"])
    np.testing.assert_array_equal(lc["entered"], lc["signed"] + lc["lost"] + lc["open"])
    agreed = tm["signings"] - tm["held_deals_booked"] + tm["deals_held"]
    np.testing.assert_array_equal(agreed.groupby(tm["replication"]).sum(),
                                  fn.groupby("replication")["signings"].sum())  # fmt: skip
    firms = res.territory_month.groupby(["replication", "month"])["firms"].sum()
    assert (firms == sum(t.firms for t in TODAY.market.territories)).all()
    in_contact = tm["firms_available"] + tm["firms_cooling"] + tm["firms_customers"]
    assert (in_contact <= firms.to_numpy()).all()


def test_run_info_comparison_and_report_say_the_shocks(year):
    from simsales.metrics.summary import RunInfo
    from simsales.present.report import dated_in_words
    from simsales.present.text import format_comparison

    info = RunInfo.of(year.results["shocks_2027"].manifest)
    assert info.shocks[0] == (4, "spring trade show")
    said = "shocks: 'spring trade show' in month 4, 'hiring freeze until 2027-08-31'"
    assert info.horizon.startswith(f"12 months after a 3-month warm-up; {said}")
    assert "shocks_2027 has shocks: 'spring trade show' in month 4" in format_comparison(year)
    words = dated_in_words({}, year.results["shocks_2027"].manifest["scenario"])
    assert words[0] == (
        "in month 4, 2027-04-20: spring trade show (lead burst of 300 leads in Pudong, Minhang)"
    )
    assert words[3] == "in month 7, 2027-07-01: deal values x0.9"


def test_fan_chart_marks_each_shock(year):
    import matplotlib.pyplot as plt

    from simsales.present.plotting import fan_chart, shock_marks
    from tests.test_plotting import figure_texts

    tm = pd.concat([r.team_month for r in year.results.values()], ignore_index=True)
    marks = shock_marks(tm[tm["scenario"] == "shocks_2027"])
    assert [m for m, _ in marks] == [4, 5, 6, 7, 10]
    assert shock_marks(tm[tm["scenario"] == "today_2027"]) == []
    fig = fan_chart(tm, "revenue")
    assert "spring trade show" in figure_texts(fig)
    dashed = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_xdata()[0] for ln in dashed) == [4, 5, 6, 7, 10]
    plt.close(fig)

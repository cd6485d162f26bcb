"""Dated policy changes (``changes:`` in a scenario, issue 17 item 1): validated with the
rest of the scenario, run as events on the agenda, shown in ``team_month.policy``, and
common random numbers up to the change."""

from __future__ import annotations

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
# The planner's question: +15% quota from month 4, with 2 months in a row under 70% out.
RAISE = {
    "month": 4,
    "name": "quota +15%",
    "set": {
        "quota.revenue_per_month": 172_500,
        "workforce.dismissal.monthly_attainment_below": 0.7,
        "workforce.dismissal.consecutive_months": 2,
    },
}
SEED = 5


def with_changes(*changes: dict, base: simsales.Scenario = BASE) -> simsales.Scenario:
    return base.with_overrides({"changes": list(changes), "name": "plan B"})


def frames(scenario: simsales.Scenario, replication: int = 0) -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(v) for k, v in simulate(scenario, replication, SEED).items()}


def before(df: pd.DataFrame, month: int) -> pd.DataFrame:
    return df[df["month"] < month].drop(columns=["policy"], errors="ignore").reset_index(drop=True)


# --------------------------------------------------------------- common random numbers
@pytest.mark.parametrize("replication", [0, 1])
@pytest.mark.parametrize(
    "change",
    [
        RAISE,
        # a richer change: pay plan, gaming, hiring, norms, lead odds and pool rules at once
        {
            "month": 4,
            "set": {
                "pay.commission.plan": "tiered",
                "pay.commission.rate": None,
                "pay.commission.period": "month",
                "pay.commission.marginal": True,
                "pay.commission.tiers": [
                    {"from_attainment": 0.0, "rate": 0.05},
                    {"from_attainment": 1.0, "rate": 0.15},
                ],
                "behaviour.gaming_share": 0.8,
                "workforce.hiring.class_size": 9,
                "rep.norms.visits": 4,
                "leads.sign_probability": 0.06,
                "leads.pool_expiry_days": 10,
                "market.cooling_off_days": 150,
            },
        },  # fmt: skip
    ],
    ids=["quota", "everything"],
)
def test_tables_before_the_change_are_identical(change, replication):
    """Two scenarios that differ only in a change at month k give identical tables before
    month k under the same seed (common random numbers): the change's own sizing of the
    team and market moves no number drawn before it."""
    plain, changed = frames(BASE, replication), frames(with_changes(change), replication)
    k = change["month"]
    # (lead_cohorts and cohorts follow leads and classes to their end, after the change)
    for table in ("team_month", "rep_month", "territory_month"):
        a, b = before(plain[table], k), before(changed[table], k)
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=table)
    # ... and the change does act from month k on
    after = plain["team_month"]["month"] >= k
    assert not plain["team_month"][after].equals(changed["team_month"][after])


def test_the_change_takes_effect_on_its_month():
    """Quotas are the new figure from month 4's first day, the old one before; the policy
    column names the plan in force."""
    tm = frames(with_changes(RAISE))["team_month"]
    assert tm["policy"].tolist() == ["starting plan"] * 3 + ["quota +15%"] * 3
    rm = frames(with_changes(RAISE))["rep_month"]
    whole = rm[rm["quota"].notna()]
    by_month = whole.groupby("month")["quota"].max()
    assert by_month.loc[[1, 2, 3]].tolist() == [150_000.0] * 3
    assert by_month.loc[[4, 5, 6]].tolist() == [172_500.0] * 3


def test_dismissal_rule_from_the_change_only():
    """The 2-month rule under 70% judges months 4 and 5 first, so its first dismissals
    leave on month 6's first day: months 1-5 dismiss exactly as without the change; from
    month 6 the paired difference is positive by more than 3 standard errors."""
    runs = simsales.run(with_changes(RAISE), replications=6, seed=SEED, workers=1).team_month
    plain = simsales.run(BASE, replications=6, seed=SEED, workers=1).team_month
    early = runs[runs["month"] < 6]["dismissals"].to_numpy()
    assert np.array_equal(early, plain[plain["month"] < 6]["dismissals"].to_numpy())
    late = [t[t["month"] >= 6].groupby("replication")["dismissals"].sum() for t in (runs, plain)]
    more = (late[0] - late[1]).to_numpy()
    assert more.mean() - 3 * more.std(ddof=1) / np.sqrt(more.size) > 0


def test_hiring_change_cancels_planned_classes_from_its_month():
    """fixed_classes of 4 a month, stopped from month 3: hires before it as planned,
    none from it on."""
    stop = with_changes({"month": 3, "name": "hiring freeze", "set": {
        "workforce.hiring.policy": "none",
        "workforce.hiring.class_size": None,
        "workforce.hiring.every_months": None,
    }})  # fmt: skip
    tm = frames(stop)["team_month"]
    assert tm.loc[tm["month"] < 3, "hires"].tolist() == [4, 4]
    assert tm.loc[tm["month"] >= 3, "hires"].sum() == 0
    grow = with_changes({"month": 2, "set": {"workforce.hiring.class_size": 7}})
    tm = frames(grow)["team_month"]
    assert tm["hires"].tolist() == [4, 7, 7, 7, 7, 7]
    # costs per hire follow the plan in force in each month
    dear = with_changes({"month": 5, "set": {"workforce.hiring.cost_per_hire": 10_000}})
    tm = frames(dear)["team_month"]
    assert (tm["hiring_cost"] / tm["hires"]).tolist() == [3000.0] * 4 + [10_000.0] * 2


def test_changes_add_up():
    """The scenario in force from a change has every change up to it applied."""
    sc = with_changes(
        {"month": 2, "set": {"quota.revenue_per_month": 160_000}},
        {"month": 4, "set": {"pay.commission.rate": 0.12}},
    )
    phases = sc.phases()
    assert [m for m, _ in phases] == [0, 2, 4]  # month index: warm-up month 0
    assert [p.quota.revenue_per_month for _, p in phases] == [150_000, 160_000, 160_000]
    assert [p.pay.commission.rate for _, p in phases] == [0.1, 0.1, 0.12]
    assert all(not p.changes for _, p in phases)
    assert sc.policy_labels() == ["starting plan", "change at month 2", "change at month 4"]


# ------------------------------------------------------------------------ bad changes
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ([{"month": 4, "set": {"team.reps": 80}}], "changes[0].set",
         "cannot change during a run"),
        ([{"month": 4, "set": {"market": {"policy": "open"}}}], "changes[0].set",
         "cannot change during a run"),
        ([{"month": 7, "set": {"quota.revenue_per_month": 1}}], "changes[0].month",
         "allowed: 1..6"),
        ([{"month": 0, "set": {"quota.revenue_per_month": 1}}], "changes[0].month",
         "greater than or equal to 1"),
        ([{"month": 4, "set": {"quota.revenue_per_month": 1}},
          {"month": 3, "set": {"quota.revenue_per_month": 2}}], "changes[1].month",
         "month order"),
        ([{"month": 4, "set": {"quota.revenue_per_month": -5}}], "changes[0].set",
         "quota.revenue_per_month"),
        ([{"month": 4, "set": {"quota.bogus": 5}}], "changes[0].set.quota.bogus",
         "unknown key"),
        ([{"month": 4, "set": {}}], "changes[0].set", "at least 1"),
        ([{"month": 5, "set": {"quota.period": "quarter"}}], "changes[0].month",
         "must start a quarter"),
        # inconsistent as a whole: a pay-derived quota needs a package
        ([{"month": 4, "set": {"quota.policy": "pay_derived", "quota.pay_multiple": 4,
                               "quota.revenue_per_month": None}}],
         "changes[0].set", "pay.package"),
    ],
    ids=["fixed-key", "fixed-parent", "after-horizon", "month-0", "out-of-order",
         "bad-value", "unknown-key", "empty", "mid-quarter", "inconsistent"],
)  # fmt: skip
def test_bad_changes_are_one_clear_error(changes, field, words):
    with pytest.raises(ScenarioError) as err:
        BASE.with_overrides({"changes": changes})
    problems = err.value.problems
    assert len(problems) == 1
    assert problems[0].field == field
    assert words in problems[0].message


def test_a_file_with_a_bad_change_exits_2(tmp_path):
    """From the CLI: exit 2, one line naming the file, the change and what is allowed."""
    path = tmp_path / "plan.yaml"
    path.write_text(
        f"base: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: plan\n"
        "changes:\n  - month: 4\n    set: {horizon.months: 24}\n"
    )
    assert_bad_input(invoke("validate", path), "plan.yaml", "changes[0].set", "horizon.months")


def test_a_long_bad_value_in_a_change_is_cut_in_the_message():
    """Found by `make fuzz`: a 5,000-character string set by a change gave an error line
    of 5,000 characters; the value is quoted cut, with its length said."""
    long = "a" * 5000
    with pytest.raises(ScenarioError) as err:
        BASE.with_overrides(
            {"changes": [{"month": 3, "set": {"workforce.dismissal.consecutive_months": long}}]}
        )
    text = str(err.value)
    assert "\n" not in text and len(text) < 1000 and "(5,002 characters)" in text


# ------------------------------------------------------------- where people see it
@pytest.fixture(scope="module")
def raised() -> simsales.Comparison:
    return simsales.compare([BASE, with_changes(RAISE)], replications=4, seed=SEED, workers=1)


def test_by_month_is_no_difference_before_the_change(raised):
    """Comparison.by_month: identical months before the change (common random numbers),
    the plan in force named, and a paired interval that contains the mean difference."""
    monthly = raised.by_month("reps_on_post")
    assert monthly["month"].tolist() == [1, 2, 3, 4, 5, 6]
    assert monthly["policy"].tolist() == ["starting plan"] * 3 + ["quota +15%"] * 3
    early = monthly[monthly["month"] < 4]
    assert early["identical"].all() and (early["difference"] == 0).all()
    late = monthly[monthly["month"] == 6].iloc[0]  # first month after a 2-month rule
    tm = {n: r.team_month for n, r in raised.results.items()}
    per_rep = (
        tm["plan B"].query("month == 6")["reps_on_post"].to_numpy()
        - tm["today"].query("month == 6")["reps_on_post"].to_numpy()
    )
    assert late["difference"] == pytest.approx(per_rep.mean())
    assert late["ci_low"] <= late["difference"] <= late["ci_high"]
    assert late["n"] == 4
    with pytest.raises(ValueError, match="no column 'nope' in team_month"):
        raised.by_month("nope")


def test_run_info_and_comparison_text_name_the_change(raised):
    from simsales.metrics.summary import RunInfo
    from simsales.present.text import format_comparison

    info = RunInfo.of(raised.results["plan B"].manifest)
    assert info.changes == ((4, "quota +15%"),)
    assert info.horizon == "6 months after a 1-month warm-up; from month 4 under 'quota +15%'"
    text = format_comparison(raised)
    assert "plan B changes policy at a date: from month 4 under 'quota +15%'." in text
    assert "Caution" not in text  # the same period: totals are comparable


def test_cli_by_month_groups_months_under_the_plan_in_force(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"base: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: plan\n"
        "changes:\n  - {month: 2, name: plan B, set: {quota.revenue_per_month: 172500}}\n"
    )
    base = ROOT / "scenarios" / "baseline.yaml"
    result = invoke("compare", base, plan, "-r", "2", "-w", "1", "--no-progress",
                    "--set", "horizon.months=3", "--set", "horizon.warmup_months=1",
                    "--by-month", "revenue")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "plan vs baseline, month by month: Revenue in the month" in out
    out = out[out.index("month by month") :]
    first, second = out.index("plan in force: starting plan"), out.index("plan in force: plan B")
    assert first < out.index("month 1 ") < second < out.index("month 2 ")
    assert "no difference" in out[first:second]
    assert_bad_input(invoke("compare", base, plan, "--by-month", "nope"),
                     "--by-month 'nope'", "no such team_month column")  # fmt: skip


def test_fan_chart_marks_the_change(raised):
    import matplotlib.pyplot as plt

    from simsales.present.plotting import fan_chart, policy_changes
    from tests.test_plotting import figure_texts

    tm = pd.concat([r.team_month for r in raised.results.values()], ignore_index=True)
    assert policy_changes(tm[tm["scenario"] == "plan B"]) == [(4, "quota +15%")]
    assert policy_changes(tm[tm["scenario"] == "today"]) == []
    fig = fan_chart(tm, "revenue")
    assert "quota +15%" in figure_texts(fig)
    lines = [ln for ln in fig.axes[0].get_lines() if list(ln.get_xdata()) == [3.5, 3.5]]
    assert len(lines) == 1  # one dotted line, just before month 4
    plt.close(fig)


def test_report_says_the_change_in_words():
    from simsales.present.report import changes_in_words

    words = changes_in_words(BASE.model_dump(), with_changes(RAISE).model_dump())
    assert words == [
        "from month 4 (quota +15%): monthly quota of a rep on post all month: 150,000 → "
        "172,500 yuan a month (+15%); dismissed after 2 whole months in a row on post with "
        "attainment below this: 0 → 0.7; months in a row below the monthly bar: 3 → 2 "
        "months (-33%)"
    ]


def test_room_is_reserved_for_every_hiring_policy_in_force():
    """Slots for every distinct hiring policy's hires over the run (a change that keeps
    the policy reserves nothing more): a change never runs out of rep slots."""
    from simsales.engine.calendar import Calendar
    from simsales.simulate import run_size

    cal = Calendar.from_horizon(BASE.horizon)  # 7 months: 4 reps a month under the base
    plain = run_size(BASE, cal)
    assert plain.reps == 64 + 4 * 7
    same = run_size(with_changes(RAISE), cal)
    assert same == plain
    bigger = with_changes({"month": 2, "set": {"workforce.hiring.class_size": 9}},
                          {"month": 4, "set": {"market.cooling_off_days": 200}})  # fmt: skip
    size = run_size(bigger, cal)
    assert size.reps == 64 + 4 * 7 + 9 * 7
    assert size.cooling_off_days == 200
    tm = frames(bigger)["team_month"]
    assert tm["hires"].tolist() == [4, 9, 9, 9, 9, 9]

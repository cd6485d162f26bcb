"""Workforce dynamics: hiring policies, training and trial, quits, dismissals, class KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simsales
from simsales.metrics.cohorts import CohortDataError, cohort_kpis, ramp_table
from simsales.model.payroll import month_share
from simsales.policies.attrition import QuitView, make_quit_policy
from simsales.scenario.errors import ScenarioError
from tests.conftest import ROOT, small_overrides
from tests.stats_helpers import assert_mean_above

TURNOVER = {  # the hiring scenarios' quits and F28 dismissals
    "workforce.attrition.quit_hazard_by_year": [0.06, 0.03, 0.015],
    "workforce.dismissal.no_order_months": 3,
}


def monthly_classes(base: simsales.Scenario, size: int = 3, **extra) -> simsales.Scenario:
    """The small team with turnover and a class of ``size`` every month."""
    return base.with_overrides(
        {
            **small_overrides(months=8),
            **TURNOVER,
            "workforce.hiring.policy": "fixed_classes",
            "workforce.hiring.class_size": size,
            "workforce.hiring.every_months": 1,
            **extra,
        }
    )


@pytest.fixture(scope="module")
def dynamic(baseline) -> simsales.Results:
    return simsales.run(monthly_classes(baseline), replications=8, seed=21, workers=1)


# ------------------------------------------------------------ class KPIs
def f23_example() -> pd.DataFrame:
    """F23's worked example: 20 trainees, 18 go on post, 15 remain after a month, 12 of
    them signed within it. Days are calendar days (30 to a month)."""
    rows = [{"left_before_post": "training", "on_post_day": np.nan}] * 1
    rows += [{"left_before_post": "trial", "on_post_day": np.nan}] * 1
    for i in range(18):
        leave = 10.0 if i < 3 else np.nan  # 3 leave within the first month
        # 12 of the 15 who stay sign within 30 days; 2 of the 3 leavers signed too.
        orders = [5.0, 20.0] if 3 <= i < 15 else [40.0] if i >= 15 else [2.0] if i < 2 else []
        rows.append(
            {"left_before_post": None, "on_post_day": 0.0, "leave_day": leave, "order_days": orders}
        )
    hr = pd.DataFrame(rows)
    hr["class"] = "2026-03"
    hr["order_days"] = [d if isinstance(d, list) else [] for d in hr["order_days"]]
    return hr


def test_f23_worked_example_gives_12_of_18():
    k = cohort_kpis(f23_example(), days_per_month=30, end_day=29).iloc[0]  # one month seen
    assert k["trainees"] == 20 and k["on_post"] == 18
    assert k["washed_out"] == 1 and k["failed_trial"] == 1
    assert k["signing_rate_1m_of_on_post"] == pytest.approx(12 / 18)  # F23: leavers excluded above
    assert k["orders_1m_per_on_post"] == pytest.approx((12 * 2 + 2) / 18)  # F24: leavers included
    assert k["survival_1m_of_on_post"] == pytest.approx(15 / 18)
    assert k["trial_pass_of_reached_trial"] == pytest.approx(18 / 19)
    assert np.isnan(k["earning_6m_of_on_post"])  # no pay column: unknown, not zero


def test_kpis_of_windows_not_yet_complete_are_nan():
    k = cohort_kpis(f23_example(), days_per_month=30, end_day=100).iloc[0]
    assert k["survival_3m_of_on_post"] == pytest.approx(15 / 18)  # days 0-89 are in the data
    assert np.isnan(k["survival_6m_of_on_post"]) and np.isnan(k["survival_12m_of_on_post"])


def test_hr_table_without_required_columns_is_refused():
    with pytest.raises(CohortDataError, match="order_days"):
        cohort_kpis(f23_example().drop(columns="order_days"), end_day=29)


# ------------------------------------------------------------ invariants
def test_headcount_moves_only_by_going_on_post_quits_and_dismissals(dynamic):
    for _, tm in dynamic.team_month.groupby("replication"):
        on_post = tm["reps_on_post"].to_numpy()
        change = (tm["went_on_post"] - tm["quits"] - tm["dismissals"]).to_numpy()
        np.testing.assert_array_equal(on_post[1:], on_post[:-1] + change[1:])
    tm = dynamic.team_month
    assert tm["hires"].sum() > 0 and tm["quits"].sum() > 0  # not vacuous


def test_every_trainee_is_accounted_for(dynamic, baseline):
    c = dynamic.cohorts
    assert set(c["class"]) >= {1, 2, 3}
    still_in_class = c["trainees"] - c["washed_out"] - c["failed_trial"] - c["on_post"]
    assert (c["in_class"] == still_in_class).all()
    # Only the classes that had not finished training and trial by the end remain in it.
    last = c["class_month"] >= c["class_month"].max() - 1
    assert (still_in_class[~last] == 0).all() and (still_in_class >= 0).all()
    assert (c["trainees"] == 3).all()


def test_nobody_sells_before_going_on_post(dynamic):
    rm = dynamic.rep_month
    learning = rm[rm["status"].isin(["in_training", "on_trial"])]
    assert len(learning) > 0
    activity = ["signings", "visits", "followups", "prospect_records", "phone_appointments"]
    assert (learning[activity].to_numpy() == 0).all()
    assert learning["tenure_months"].isna().all()  # not on post: no tenure on post


def test_nobody_sells_after_leaving(dynamic):
    rm = dynamic.rep_month.sort_values(["replication", "rep", "month"])
    gone = rm[rm["status"] == "gone"]
    assert len(gone) > 0
    # A leaver appears in the month it left, never after.
    assert not gone.duplicated(["replication", "rep"]).any()


def test_results_with_classes_are_identical_on_one_or_two_workers(baseline):
    scenario = monthly_classes(baseline)
    one = simsales.run(scenario, replications=2, seed=3, workers=1)
    two = simsales.run(scenario, replications=2, seed=3, workers=2)
    for name in ("team_month", "rep_month", "cohorts"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))


# -------------------------------------------------------------- policies
def test_each_hiring_policy_hires_what_it_says(baseline):
    base = monthly_classes(baseline)
    plan = base.with_overrides(
        {
            "workforce.hiring": {
                "policy": "plan",
                "plan": [{"month": 2, "size": 5}, {"month": 0, "size": 2}],
                "lead_time_months": 1,
                "cost_per_hire": 1000.0,
                "potential_mean": 1.0,
            }
        }
    )
    res = simsales.run(plan, replications=1, seed=4, workers=1)
    tm = res.team_month.set_index("month")
    assert tm["hires"].to_dict() == {m: (5.0 if m == 2 else 0.0) for m in tm.index}
    assert sorted(res.cohorts["trainees"]) == [2, 5]  # the warm-up class (month 0) too
    assert tm["hiring_cost"].sum() == 5 * 1000.0

    target = base.with_overrides(
        {
            "workforce.hiring": {
                "policy": "target_headcount",
                "target_reps": 10,
                "max_class_size": 4,
                "lead_time_months": 0,
                "cost_per_hire": 0.0,
                "potential_mean": 1.0,
            }
        }
    )
    tm = simsales.run(target, replications=1, seed=4, workers=1).team_month
    active = tm["reps_in_training"] + tm["reps_on_trial"] + tm["reps_on_post"]
    assert active.max() <= 10  # a class never overshoots the target
    assert (tm["hires"] <= 4).all() and tm["hires"].sum() > 0

    backfill = base.with_overrides(
        {
            "workforce.hiring": {
                "policy": "backfill",
                "max_class_size": 50,
                "lead_time_months": 0,
                "cost_per_hire": 0.0,
                "potential_mean": 1.0,
            }
        }
    )
    tm = simsales.run(backfill, replications=1, seed=4, workers=1).team_month
    leavers = (tm["quits"] + tm["dismissals"]).to_numpy()
    # Leavers decided at a month's close go the next day, when their replacements start.
    np.testing.assert_array_equal(tm["hires"].to_numpy(), leavers)
    assert leavers.sum() > 0


def test_departed_leads_go_to_the_pool_or_to_colleagues(baseline):
    # With "pool" the leavers' leads are claimed back from the pool; with "group" they
    # pass straight to colleagues.
    diff = paired(
        baseline,
        {"workforce.departed_pipeline": "group"},
        {"workforce.departed_pipeline": "pool"},
        per_rep_total("pool_claims"),
    )
    assert_mean_above(diff, 0.0, ALPHA, "pool claims, pool minus group")


# ------------------------------------------------------ direction of effect
REPS = 6
ALPHA = 0.01  # one-sided, per test


def paired(baseline, low: dict, high: dict, metric, reps: int = REPS) -> np.ndarray:
    """Per-replication difference of ``metric(results)`` between two variants (CRN)."""
    lo = simsales.run(monthly_classes(baseline, **low), replications=reps, seed=31, workers=2)
    hi = simsales.run(monthly_classes(baseline, **high), replications=reps, seed=31, workers=2)
    return metric(hi) - metric(lo)


def per_rep_total(column: str):
    return lambda res: res.team_month.groupby("replication")[column].sum().to_numpy()


def test_higher_washout_puts_fewer_on_post(baseline):
    diff = paired(
        baseline,
        {"workforce.training.washout_share": 0.5},
        {"workforce.training.washout_share": 0.05},
        per_rep_total("went_on_post"),
    )
    assert_mean_above(diff, 0.0, ALPHA, "went on post, washout 5% minus 50%")


def test_pay_below_the_reservation_pay_brings_more_quits(baseline):
    diff = paired(
        baseline,
        {"workforce.attrition.reservation_pay": 3000.0},  # base pay already meets it
        {
            "workforce.attrition.reservation_pay": 60000.0,
            "workforce.attrition.low_pay_multiplier": 4.0,
        },
        per_rep_total("quits"),
    )
    assert_mean_above(diff, 0.0, ALPHA, "quits, low minus adequate pay")


def test_a_stricter_dismissal_rule_dismisses_more_and_keeps_abler_reps(baseline):
    """Half-yearly bottom-rank reviews of reps on post for 6 months or more (F29) dismiss
    more than F28 alone, and the starting team's reps who survive them are abler
    (compared within the same reps, as the new hires are the same in both)."""
    team = {"team.reps": 16, "horizon.months": 12}
    strict = {
        **team,
        "workforce.dismissal.bottom_share": 0.25,
        "workforce.dismissal.review_months": 6,
        "workforce.dismissal.review_min_months_on_post": 6,
    }
    diff = paired(baseline, team, strict, per_rep_total("dismissals"))
    assert_mean_above(diff, 0.0, ALPHA, "dismissals, strict minus F28 only")

    def survivors_skill(res):
        rm = res.rep_month
        last = rm[(rm["month"] == rm["month"].max()) & (rm["status"] == "on_post")]
        return last[last["class"] == 0].groupby("replication")["skill"].mean().to_numpy()

    diff = paired(baseline, team, strict, survivors_skill)
    assert_mean_above(diff, 0.0, ALPHA, "mean skill of the starting team's survivors")


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"workforce.hiring.policy": "fixed_classes", "workforce.hiring.class_size": -2},
         "workforce.hiring.class_size", "greater than or equal to 1"),
        ({"workforce.training.washout_share": 1.2},
         "workforce.training.washout_share", "less than"),
        ({"workforce.hiring.policy": "target_headcount", "workforce.hiring.class_size": None,
          "workforce.hiring.every_months": None}, "workforce.hiring.target_reps", "required"),
        ({"workforce.hiring.target_reps": 9}, "workforce.hiring.target_reps", "not used"),
        ({"workforce.hiring.policy": "plan", "workforce.hiring.plan": [{"month": 40, "size": 3}],
          "workforce.hiring.class_size": None, "workforce.hiring.every_months": None},
         "workforce.hiring.plan", "within the horizon"),
        ({"workforce.hiring.policy": "hire_everyone"}, "workforce.hiring.policy", "fixed_classes"),
    ],
)  # fmt: skip
def test_bad_workforce_parameters_name_field_value_and_what_is_allowed(
    baseline, overrides, field, words
):
    with pytest.raises(ScenarioError) as err:
        baseline.with_overrides(overrides)
    assert field in str(err.value) and words in str(err.value)


def test_bundled_hiring_scenarios_load_and_hire_the_same_each_year():
    monthly = simsales.load_scenario(ROOT / "scenarios" / "hiring_monthly.yaml")
    quarterly = simsales.load_scenario(ROOT / "scenarios" / "hiring_quarterly.yaml")
    per_year = [
        h.class_size * 12 // h.every_months
        for h in (monthly.workforce.hiring, quarterly.workforce.hiring)
    ]
    assert per_year[0] == per_year[1] == 48
    trainer = simsales.load_scenario(ROOT / "scenarios" / "trainer_class.yaml")
    assert [(c.month, c.size) for c in trainer.workforce.hiring.plan] == [(1, 20)]


def test_training_cost_counts_every_trainee_day(baseline):
    """With no washout and every trial passed, a class of 5 costs 5 x (training + trial)
    trainee-days, and goes on post together the day after the trial."""
    scenario = monthly_classes(baseline).with_overrides(
        {
            "workforce.hiring": {
                "policy": "plan",
                "plan": [{"month": 1, "size": 5}],
                "lead_time_months": 0,
                "cost_per_hire": 0.0,
                "potential_mean": 1.0,
            },
            "workforce.training.washout_share": 0.0,
            "workforce.training.trial_pass_share": 1.0,
        }
    )
    res = simsales.run(scenario, replications=1, seed=2, workers=1)
    tr = scenario.workforce.training
    tm = res.team_month
    assert tm["training_cost"].sum() == 5 * (tr.days + tr.trial_days) * tr.cost_per_trainee_day
    assert tm["went_on_post"].sum() == 5
    assert res.cohorts["trial_pass_of_reached_trial"].tolist() == [1.0]


def test_new_hires_ramp_up_with_months_on_post(dynamic):
    """The ramp is an outcome: hired reps' skill and signings grow over their first months
    on post (they start at new_hire_fraction of potential with an empty pipeline)."""
    ramp = dynamic.ramp().set_index(["measure", "month_on_post"])
    skill, signings = ramp.loc["skill"], ramp.loc["signings"]
    # The 95% intervals of month 1 and month 3 on post do not overlap. (Month to month the
    # reps behind a row change, as some leave, so the mean need not rise every month.)
    assert skill.loc[3, "ci_low"] > skill.loc[1, "ci_high"]
    assert signings.loc[3, "ci_low"] > signings.loc[1, "ci_high"]
    assert (ramp["rep_months"] > 0).all()
    assert (ramp.xs(1, level="month_on_post")["n"] == 8).all()  # every replication
    assert (ramp["ci_low"] <= ramp["mean"]).all() and (ramp["mean"] <= ramp["ci_high"]).all()


def test_ramp_means_are_means_over_replications_of_per_replication_means():
    """Each replication weighs the same, however many hired reps it has."""
    rm = pd.DataFrame(
        {
            "scenario": "s",
            "replication": [0, 0, 0, 1],
            "class": [1, 1, 0, 1],
            "status": "on_post",
            "tenure_months": [0.5, 0.2, 0.5, 0.9],
            "skill": [0.4, 0.6, 9.0, 0.8],  # the class-0 rep (starting team) is left out
            "signings": [1, 3, 9, 0],
            "revenue": [1.0, 3.0, 9.0, 0.0],
        }
    )
    r = ramp_table(rm).set_index("measure")
    assert r.loc["skill", "mean"] == pytest.approx((0.5 + 0.8) / 2)
    assert r.loc["signings", "mean"] == pytest.approx((2 + 0) / 2)
    assert r.loc["signings", "rep_months"] == 3 and r.loc["signings", "n"] == 2


# ------------------------------------------------ quota, attainment, F29
def test_quota_is_pro_rata_for_the_days_on_post():
    on_post_day = np.array([-100, 26, 39, 52, 60])  # month of days 26..51 closes at 52
    share = month_share(on_post_day, end_day=52, dpm=26)
    np.testing.assert_allclose(150_000.0 * share, [150_000.0, 150_000.0, 75_000.0, 0.0, 0.0])


def test_quota_pressure_raises_the_quit_hazard_linearly_to_the_multiplier(baseline):
    s = baseline.with_overrides(
        {
            "workforce.attrition.quit_hazard_by_year": [0.04],
            "workforce.attrition.quota_pressure_multiplier": 3.0,
            "workforce.attrition.reservation_pay": 0.0,  # no pay effect
        }
    )
    attainment = np.array([0.0, 0.5, 1.0, 2.0, np.nan])
    view = QuitView(np.full(5, 6.0), np.full(5, 9000.0), attainment, np.full(5, 3000.0))
    hazard = make_quit_policy(s.workforce.attrition).hazards(view)
    # 1 + (3 - 1) x (1 - attainment), clipped: x3 at 0, x2 at half, x1 at or above quota;
    # a rep with no quota yet (NaN) feels no pressure.
    np.testing.assert_allclose(hazard, [0.12, 0.08, 0.04, 0.04, 0.04])


def quota_rules(baseline, quota: float, **dismissal) -> simsales.Scenario:
    """The small steady team (8 reps, each on post >= 3 months), 4 reported months after
    1 warm-up month, with a quota and F29 rules only."""
    off = {"quarterly_attainment_below": 0.0, "annual_attainment_below": 0.0}
    rules = {f"workforce.dismissal.{k}": v for k, v in {**off, **dismissal}.items()}
    return baseline.with_overrides(
        {**small_overrides(months=4), "quota.revenue_per_month": quota, **rules}
    )


def f29_dismissals(baseline, quota: float, **dismissal) -> np.ndarray:
    res = simsales.run(quota_rules(baseline, quota, **dismissal), replications=2, workers=1)
    return res.team_month.pivot(index="replication", columns="month", values="dismissals")


def test_f29_a_quarter_below_the_bar_dismisses_everyone_judged_on_it(baseline):
    """Nobody reaches a quota of a billion: the first quarter judged (reported months 1-3,
    all 8 reps on post throughout) dismisses the whole team; they leave in month 4."""
    d = f29_dismissals(baseline, 1e9, quarterly_attainment_below=0.6, consecutive_quarters=1)
    assert (d[4] == 8).all() and (d[[1, 2, 3]] == 0).all().all()


def test_f29_needs_the_quarters_in_a_row(baseline):
    # Only one quarter ends within reach of the 4 months: two in a row cannot happen.
    d = f29_dismissals(baseline, 1e9, quarterly_attainment_below=0.6, consecutive_quarters=2)
    assert (d == 0).all().all()
    # Everyone beats a quota of 1 yuan: the bar dismisses nobody.
    d = f29_dismissals(baseline, 1.0, quarterly_attainment_below=0.6, consecutive_quarters=1)
    assert (d == 0).all().all()


def test_f29_a_year_below_half_the_annual_quota_dismisses(baseline):
    s = quota_rules(baseline, 1e9, annual_attainment_below=0.5).with_overrides(
        {"horizon.months": 13, "horizon.warmup_months": 0}
    )
    res = simsales.run(s, replications=1, workers=1)
    d = res.team_month.set_index("month")["dismissals"]
    assert d[13] == 8 and d.drop(13).sum() == 0


def test_a_higher_quota_lowers_attainment_and_brings_more_quits(baseline):
    """Quota pressure (quota_pressure_multiplier > 1) acts on quits: the same team (common
    random numbers) quits more under a quota it cannot reach."""
    low = {"quota.revenue_per_month": 1.0, "workforce.attrition.quota_pressure_multiplier": 4.0}
    high = {**low, "quota.revenue_per_month": 1e7}
    diff = paired(baseline, low, high, per_rep_total("quits"))
    assert_mean_above(diff, 0.0, ALPHA, "quits, unreachable minus trivial quota")

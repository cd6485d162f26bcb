"""Working back from a target (``simsales.experiment.targets``, ``simsales plan``): targets
read and refused, class sizes, the plan as a dated change at month 1, the search by
bisection on common random numbers, the check on fresh replications, and the command.

The plans searched are for a small team (16 reps in 2 territories, 1 + 4 months): reps
on post at the end of month 4 of at least 19 (and 20) in 80% of simulated years, classes
of at most 3, 12 replications. What ``plan_hiring`` reports is recomputed here from plain runs of
``planned_scenario`` (``simsales.run``), not from its own tables.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simsales
from simsales.experiment.targets import (
    MAX_CHECKS,
    PLAN_NAME,
    TARGETS,
    UnreachableTarget,
    class_sizes,
    make_target,
    parse_target,
    plan_hiring,
    plan_summary,
    planned_scenario,
)
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

BASE = simsales.load_scenario(simsales.baseline_path())
TERRITORIES = [{"name": "A", "firms": 40_000}, {"name": "B", "firms": 40_000}]
SMALL = {
    "team.reps": 16,
    "team.supervisor_groups": 2,
    "market.territories": TERRITORIES,
    "horizon.months": 4,
    "horizon.warmup_months": 1,
}
SC = BASE.with_overrides(SMALL)  # hiring: the baseline's class of 4 every month
TODAY = simsales.load_scenario(ROOT / "scenarios" / "today_2027.yaml")  # horizon.start 2027-01
NO_HIRING = {"policy": "none", "lead_time_months": 1, "cost_per_hire": 3000.0,
             "potential_mean": 1.0}  # fmt: skip
ALLOWED = ", ".join(TARGETS)  # revenue, margin, signings, reps_on_post

# Reps on post at the end of month 4: today's hiring has about 22 on average (sd 2.7).
GOAL, LEVEL, BY, CONFIDENCE, MAX_CLASS, REPS, SEED = "reps_on_post=19", 19, 4, 0.8, 3, 12, 0
MOST = MAX_CLASS * BY  # the largest plan the limits allow
ARGS = dict(confidence=CONFIDENCE, max_class_size=MAX_CLASS, replications=REPS, seed=SEED)
# The same question on the command line.
CLI_SET = [
    "--set", "team.reps=16",
    "--set", "team.supervisor_groups=2",
    "--set", "market.territories=[{name: A, firms: 40000}, {name: B, firms: 40000}]",
    "--set", "horizon.months=4",
    "--set", "horizon.warmup_months=1",
    "-w", "1", "--no-progress",
]  # fmt: skip
CLI_PLAN = ["--target", GOAL, "--max-class", str(MAX_CLASS), "-r", str(REPS), "--seed", "0"]


def earliest(hires: int) -> list[tuple[int, int]]:
    """The earliest plan of ``hires`` trainees over months 1..BY, as (month, trainees)."""
    return list(zip(range(1, BY + 1), class_sizes(hires, BY, MAX_CLASS, "earliest"), strict=True))


def on_post_at_by(classes: list[tuple[int, int]] | None, seed: int) -> pd.Series:
    """Reps on post at the end of month BY, per replication, under a plan (None: the
    scenario's own hiring), from a plain run."""
    sc = SC if classes is None else planned_scenario(SC, classes, "check")
    tm = simsales.run(sc, replications=REPS, seed=seed, workers=1).team_month
    return tm[tm["month"] == BY].set_index("replication")["reps_on_post"]


def chance(classes, seed: int, level: int) -> float:
    return float((on_post_at_by(classes, seed) >= level).mean())


# ------------------------------------------------------------------------ targets
@pytest.mark.parametrize(
    "text, expected",
    [
        ("revenue=150e6", ("revenue", 150e6)),
        (" margin = 2_500_000 ", ("margin", 2.5e6)),
        ("signings=1,200", ("signings", 1200.0)),
        ("reps_on_post=64", ("reps_on_post", 64.0)),
    ],
)
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text, pieces",
    [
        ("revenue", ["'revenue'", "METRIC=VALUE", ALLOWED]),
        ("revenue=abc", ["'revenue=abc'", "'abc' is not a number", ALLOWED]),
        ("=150e6", ["'=150e6'", ALLOWED]),
        ("revenue=1=2", ["'revenue=1=2'", ALLOWED]),
    ],
)
def test_parse_target_refuses_what_is_not_metric_equals_number(text, pieces):
    with pytest.raises(ValueError) as info:
        parse_target(text)
    for piece in pieces:
        assert piece in str(info.value), (piece, str(info.value))


@pytest.mark.parametrize(
    "scenario, target, by, expected",
    [
        (SC, "revenue=150e6", None, ("revenue", 150e6, 4, "month 4")),  # the last month
        (SC, {"margin": 2e6}, 3, ("margin", 2e6, 3, "month 3")),
        (SC, "signings=100", "2", ("signings", 100.0, 2, "month 2")),
        (TODAY, "revenue=150e6", None, ("revenue", 150e6, 12, "2027-12")),
        (TODAY, "revenue=150e6", "2027-12", ("revenue", 150e6, 12, "2027-12")),
        (TODAY, "revenue=1e6", " 2027-3 ", ("revenue", 1e6, 3, "2027-03")),
        (TODAY, "reps_on_post=30", dt.date(2027, 6, 30), ("reps_on_post", 30.0, 6, "2027-06")),
        (TODAY, "revenue=1e6", 1, ("revenue", 1e6, 1, "2027-01")),
    ],
)
def test_make_target(scenario, target, by, expected):
    goal = make_target(scenario, target, by)
    assert (goal.metric, goal.value, goal.by, goal.by_label) == expected


@pytest.mark.parametrize(
    "scenario, target, by, pieces",
    [
        (SC, "profit=1", None, ["'profit'", ALLOWED]),
        (SC, "revenue=-5", None, ["revenue=-5", "positive"]),
        (SC, "revenue=0", None, ["revenue=0", "positive"]),
        (SC, "revenue=nan", None, ["revenue=nan", "positive"]),
        (SC, "revenue=inf", None, ["revenue=inf", "positive"]),
        (SC, {"revenue": 1e6, "margin": 1e5}, None, ["one target", "'margin'"]),
        (SC, "revenue=1e6", 0, ["by=0", "reported month 0", "1..4"]),
        (SC, "revenue=1e6", 5, ["by=5", "reported month 5", "1..4"]),
        (SC, "revenue=1e6", "7", ["by='7'", "reported month 7", "1..4"]),
        (SC, "revenue=1e6", True, ["by=True", "1..4", "YYYY-MM"]),
        (SC, "revenue=1e6", "2027-12", ["by='2027-12'", "no horizon.start", "1..4"]),
        (TODAY, "revenue=1e6", "2026-12", ["'2026-12'", "reported month 0", "2027-01 to 2027-12"]),
        (TODAY, "revenue=1e6", "2028-01", ["'2028-01'", "reported month 13", "1..12"]),
        (TODAY, "revenue=1e6", dt.date(2026, 11, 1), ["reported month -1", "1..12"]),
        (TODAY, "revenue=1e6", "Dec 2027", ["'Dec 2027'", "YYYY-MM", "1..12"]),
        (TODAY, "revenue=1e6", "2027-13", ["'2027-13'", "YYYY-MM"]),
    ],
)
def test_make_target_refuses(scenario, target, by, pieces):
    with pytest.raises(ValueError) as info:
        make_target(scenario, target, by)
    for piece in pieces:
        assert piece in str(info.value), (piece, str(info.value))


@pytest.mark.parametrize("scenario", [SC, TODAY], ids=["no start", "start"])
def test_make_target_takes_a_numpy_month(scenario):
    # e.g. by=team_month["month"].max(): a whole number, not a date
    assert make_target(scenario, "revenue=1e6", np.int64(3)).by == 3
    with pytest.raises(ValueError, match="reported month"):
        make_target(scenario, "revenue=1e6", np.bool_(True))


def test_target_totals_or_levels_per_replication():
    """Sum targets add months 1..by; reps_on_post is the level at the end of ``by``; a
    value equal to the target reaches it."""
    tm = pd.DataFrame({
        "replication": [0] * 4 + [1] * 4,
        "month": [1, 2, 3, 4] * 2,
        "revenue": [1.0, 2, 3, 4, 1, 1, 1, 9],
        "reps_on_post": [10, 11, 12, 13, 13, 12, 11, 10],
    })  # fmt: skip
    revenue = make_target(SC, "revenue=6", 3)
    assert revenue.of(tm).tolist() == [6.0, 3.0]
    assert revenue.reached(tm).tolist() == [True, False]
    assert make_target(SC, "revenue=6", 4).reached(tm).tolist() == [True, True]
    on_post = make_target(SC, "reps_on_post=12", 3)
    assert on_post.of(tm).tolist() == [12, 11]
    assert on_post.reached(tm).tolist() == [True, False]
    assert make_target(SC, "reps_on_post=12", 4).reached(tm).tolist() == [True, False]


def test_target_in_words():
    assert make_target(TODAY, "revenue=150e6").text == "revenue of 150,000,000 yuan by 2027-12"
    assert make_target(SC, "signings=300", 2).text == "deals signed of 300 deals by month 2"
    text = make_target(SC, "reps_on_post=20", 3).text  # a level, not a total
    assert text == "reps on post of 20.0 reps at the end of month 3", text


# -------------------------------------------------------------------- class sizes
@pytest.mark.parametrize(
    "hires, months, most, shape, expected",
    [
        (10, 4, 3, "earliest", [3, 3, 3, 1]),
        (10, 4, 3, "level", [3, 3, 2, 2]),
        (5, 4, 20, "earliest", [5, 0, 0, 0]),
        (5, 4, 20, "level", [2, 1, 1, 1]),
        (12, 4, 3, "earliest", [3, 3, 3, 3]),
        (12, 4, 3, "level", [3, 3, 3, 3]),
        (0, 3, 5, "earliest", [0, 0, 0]),
        (0, 3, 5, "level", [0, 0, 0]),
    ],
)
def test_class_sizes(hires, months, most, shape, expected):
    assert class_sizes(hires, months, most, shape) == expected


def test_class_sizes_fill_early_or_evenly_within_the_limit():
    """For every plan that fits: the sizes add up to the trainees and stay within the
    limit; ``earliest`` has hired, by every month, as many as any plan can
    (min(hires, k x limit)); ``level`` differs by at most one between months, the odd
    trainees first."""
    for months in range(1, 6):
        for most in range(1, 5):
            for hires in range(months * most + 1):
                early = class_sizes(hires, months, most, "earliest")
                even = class_sizes(hires, months, most, "level")
                for sizes in (early, even):
                    assert len(sizes) == months and sum(sizes) == hires
                    assert all(0 <= s <= most for s in sizes)
                by_month = np.cumsum(early).tolist()
                assert by_month == [min(hires, k * most) for k in range(1, months + 1)]
                assert max(even) - min(even) <= 1 and even == sorted(even, reverse=True)


@pytest.mark.parametrize("hires", [13, -1])
def test_class_sizes_beyond_the_limit(hires):
    for shape in ("earliest", "level"):
        with pytest.raises(ValueError, match=f"{hires} trainees do not fit 4 classes of at most 3"):
            class_sizes(hires, 4, 3, shape)


# ------------------------------------------------------------- planned scenario
def test_the_plan_is_a_dated_change_at_month_one():
    planned = planned_scenario(SC, [(1, 3), (2, 0), (3, 2), (4, 0)], "mine")
    assert planned.name == "mine"
    (change,) = planned.changes
    assert (change.month, change.name) == (1, PLAN_NAME) == (1, "hiring plan")
    assert change.settings == {"workforce.hiring": {
        "policy": "plan", "plan": [{"month": 1, "size": 3}, {"month": 3, "size": 2}],
        "lead_time_months": 1, "cost_per_hire": 3000.0, "potential_mean": 1.0,
    }}  # fmt: skip
    # The warm-up runs under the scenario as written; the plan holds from month 1.
    assert planned.workforce.hiring == SC.workforce.hiring
    (_, written), (start, in_force) = planned.phases()
    assert written.workforce.hiring == SC.workforce.hiring
    assert start == SC.horizon.warmup_months  # month index of reported month 1
    hiring = in_force.workforce.hiring
    assert hiring.policy == "plan" and hiring.class_size is None
    assert [(c.month, c.size) for c in hiring.plan] == [(1, 3), (3, 2)]
    assert planned.policy_labels() == ["starting plan", "hiring plan"]
    # An empty plan hires nobody.
    empty = planned_scenario(SC, [(1, 0), (2, 0)], "none")
    assert empty.changes[0].settings["workforce.hiring"] == {**NO_HIRING}


def test_the_plan_joins_a_change_of_month_one_and_refuses_a_later_hiring_change():
    quota = {"month": 1, "name": "quota up", "set": {"quota.revenue_per_month": 160_000}}
    quits = {"month": 3, "set": {"workforce.attrition.low_pay_multiplier": 1.5}}
    sc = SC.with_overrides({"changes": [quota, quits]})
    planned = planned_scenario(sc, [(1, 2), (2, 2)], "mine")
    first, later = planned.changes
    assert (first.month, first.name) == (1, "quota up")
    assert first.settings["quota.revenue_per_month"] == 160_000
    assert first.settings["workforce.hiring"]["plan"] == [{"month": 1, "size": 2},
                                                          {"month": 2, "size": 2}]  # fmt: skip
    assert (later.month, later.settings) == (3, quits["set"])
    assert planned.phases()[2][1].workforce.hiring.policy == "plan"  # still after month 3
    for key, value in [("workforce.hiring.class_size", 2), ("workforce.hiring", NO_HIRING)]:
        hiring = SC.with_overrides({"changes": [{"month": 3, "set": {key: value}}]})
        with pytest.raises(ValueError) as info:
            planned_scenario(hiring, [(1, 2)], "mine")
        assert f"change at month 3 sets {key}" in str(info.value)
        assert "would not hold" in str(info.value)


def test_a_planned_run_hires_the_plan_with_the_same_months_before_it():
    """Without hiring of its own, the scenario and its plan with classes from month 3 give
    identical tables in months 1-2 under the same seed (but the plan's label), and the
    plan's run hires exactly its classes."""
    none = SC.with_overrides({"workforce.hiring": NO_HIRING})
    planned = planned_scenario(none, [(1, 0), (2, 0), (3, 5), (4, 2)], "planned")
    a, b = (simsales.run(s, replications=3, seed=7, workers=1) for s in (none, planned))
    hires = b.team_month.pivot(index="replication", columns="month", values="hires")
    assert (hires.to_numpy() == [0, 0, 5, 2]).all()
    assert (b.team_month["policy"] == PLAN_NAME).all()
    for table in ("team_month", "rep_month", "territory_month"):
        x, y = (getattr(r, table) for r in (a, b))
        x, y = (t[t["month"] <= 2].drop(columns=["scenario", "policy"], errors="ignore")
                for t in (x, y))  # fmt: skip
        assert len(x) > 0
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True),
                                      check_exact=True, obj=table)  # fmt: skip
    month3 = [r.team_month[r.team_month["month"] == 3].reset_index(drop=True) for r in (a, b)]
    assert not month3[0]["reps_in_training"].equals(month3[1]["reps_in_training"])


def test_the_warm_up_keeps_the_scenario_s_own_hiring():
    """The baseline's classes of 4 run through the warm-up of the planned scenario too:
    the warm-up's class is the same class, and month 1 - its first month, before any
    decision of the plan can act on the team on post - sells and loses the same. The
    plan's classes replace the monthly 4 from month 1."""
    planned = planned_scenario(SC, [(1, 0), (2, 2), (3, 0), (4, 1)], "planned")
    a, b = (simsales.run(s, replications=3, seed=7, workers=1) for s in (SC, planned))
    hires = [r.team_month.pivot(index="replication", columns="month", values="hires")
             for r in (a, b)]  # fmt: skip
    assert (hires[0].to_numpy() == 4).all()
    assert (hires[1].to_numpy() == [0, 2, 0, 1]).all()
    same = ["went_on_post", "quits", "dismissals", "reps_on_post", "signings", "revenue"]
    one = [r.team_month[r.team_month["month"] == 1][same].reset_index(drop=True) for r in (a, b)]
    pd.testing.assert_frame_equal(*one, check_exact=True)
    assert one[0]["went_on_post"].sum() > 0  # the warm-up's trainees go on post in month 1
    warm = ["replication", "trainees", "washed_out", "failed_trial", "on_post"]
    classes = [r.cohorts[r.cohorts["class_month"] == 0][warm].reset_index(drop=True)
               for r in (a, b)]  # fmt: skip
    pd.testing.assert_frame_equal(*classes, check_exact=True)
    assert (classes[1]["trainees"] == 4).all()


# ------------------------------------------------------------------ plan_hiring
@pytest.fixture(scope="module")
def plan():
    """The plan for GOAL: the fresh check of the smallest plan found holds."""
    found = plan_hiring(SC, GOAL, workers=1, **ARGS)
    assert found.hires == found.search.query("p_target >= @CONFIDENCE")["hires"].min()
    return found


@pytest.fixture(scope="module")
def moved_plan():
    """One more rep on post: the fresh check of the smallest plan found falls short."""
    found = plan_hiring(SC, f"reps_on_post={LEVEL + 1}", workers=1, **ARGS)
    assert found.hires > found.search.query("p_target >= @CONFIDENCE")["hires"].min()
    return found


BOTH = pytest.mark.parametrize("which", ["plan", "moved_plan"])


@BOTH
def test_the_plan_is_the_smallest_the_bisection_found(which, request):
    """On the search replications (seed): the plans tried below the smallest that reached
    the confidence miss it, that one reaches it, and the two are one trainee apart (both
    chances recomputed from plain runs of the plans). The plan found is that one or, if
    its fresh check fell short, a larger one (next test)."""
    plan = request.getfixturevalue(which)
    level = int(plan.target.value)
    search = plan.search
    assert search["hires"].is_unique and search["hires"].is_monotonic_increasing
    assert {0, MOST} <= set(search["hires"])
    reached = search["p_target"] >= CONFIDENCE
    smallest = int(search.loc[reached, "hires"].min())
    largest_short = int(search.loc[~reached, "hires"].max())
    assert largest_short == smallest - 1
    p = search.set_index("hires")["p_target"]
    assert chance(earliest(smallest), SEED, level) == p[smallest] >= CONFIDENCE
    assert chance(earliest(smallest - 1), SEED, level) == p[smallest - 1] < CONFIDENCE
    # The fresh check moves up one trainee at a time (5% of under 20), MAX_CHECKS at most.
    assert smallest <= plan.hires < smallest + MAX_CHECKS
    assert plan.classes == earliest(plan.hires)
    assert max(size for _, size in plan.classes) <= MAX_CLASS
    assert plan.reachable and plan.max_class == MAX_CLASS and plan.shape == "earliest"
    assert (plan.target.metric, plan.target.by) == ("reps_on_post", BY)


@BOTH
def test_the_chance_reported_is_that_on_fresh_replications(which, request):
    """The plan's chance, its interval and today's chance come from seed + 1: recomputed
    from plain runs, with the exact (Clopper-Pearson) interval from beta quantiles. The
    plan found is the smallest that reached the confidence on the search replications
    and on the fresh ones: if the check moved the plan up, one trainee fewer fell short
    there."""
    plan = request.getfixturevalue(which)
    level = int(plan.target.value)
    assert plan.check_replications == REPS and plan.seed == SEED
    fresh = on_post_at_by(plan.classes, SEED + 1)
    k, n = int((fresh >= level).sum()), REPS
    assert plan.p_target == k / n >= CONFIDENCE
    lo = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    np.testing.assert_allclose(plan.p_interval, (lo, hi), rtol=1e-9)
    assert plan.p_interval[0] <= plan.p_target <= plan.p_interval[1]
    assert plan.p_today == chance(None, SEED + 1, level)
    smallest = int(plan.search.loc[plan.search["p_target"] >= CONFIDENCE, "hires"].min())
    if plan.hires > smallest:
        assert chance(earliest(plan.hires - 1), SEED + 1, level) < CONFIDENCE
    # The plan's own tables are those runs: it hires its classes in every replication.
    tm = plan.results.team_month
    assert tm[tm["month"] == BY].set_index("replication")["reps_on_post"].equals(fresh)
    hires = tm.pivot(index="replication", columns="month", values="hires")
    assert (hires.to_numpy() == [s for _, s in plan.classes]).all()


def test_the_plan_in_plain_data_and_words(plan):
    summary = plan_summary(plan)
    assert summary["target"] == {"metric": "reps_on_post", "value": LEVEL, "by": BY,
                                 "by_label": f"month {BY}"}  # fmt: skip
    assert summary["classes"] == [{"month": m, "trainees": s} for m, s in plan.classes if s]
    assert summary["hires"] == plan.hires and summary["p_target"] == plan.p_target
    assert json.loads(json.dumps(summary)) == summary | {"p_interval": list(plan.p_interval)}
    assert plan.table()["trainees"].tolist() == [s for _, s in plan.classes if s]
    text = plan.text()
    assert text.startswith(f"Target: reps on post of {LEVEL:.1f} reps")
    assert f"{plan.hires} trainees in all" in text
    assert f"  month 1: {plan.classes[0][1]} trainees" in text
    assert f"over {REPS} fresh simulated years" in text
    heads = plan.headcount()
    assert len(heads) == 2 * 2 * BY  # plan and today, on post and in training, by month


def test_the_plan_is_reproducible_and_does_not_depend_on_workers(plan):
    again = plan_hiring(SC, GOAL, workers=2, **ARGS)
    assert again.classes == plan.classes
    assert (again.p_target, again.p_interval, again.p_today) == (
        plan.p_target, plan.p_interval, plan.p_today,
    )  # fmt: skip
    pd.testing.assert_frame_equal(again.search, plan.search)


def test_a_target_no_plan_reaches():
    with pytest.raises(UnreachableTarget) as info:
        plan_hiring(SC, "reps_on_post=40", workers=1, **ARGS)
    best, message = info.value.best, str(info.value)
    assert isinstance(info.value, ValueError)
    assert best is not None and not best.reachable
    assert best.classes == [(m, MAX_CLASS) for m in range(1, BY + 1)] and best.hires == MOST
    assert best.p_target < CONFIDENCE
    assert message.startswith("No hiring plan within the limits reaches reps on post of 40")
    assert f"The most the limits allow ({MOST} trainees" in message
    assert f"{best.p_target:.0%} of fresh simulated years" in message
    assert "--max-class" in message and "--by" in message


def test_unreachable_when_the_fresh_checks_fall_short():
    """Here the search finds 3 trainees enough (2 not), and the fresh checks of 3, 4 and 5
    (MAX_CHECKS) fall short, though the plan of 12 reached the target on the search
    replications: UnreachableTarget, with the largest plan checked as ``best``, and a
    message that says so rather than calling it the most the limits allow."""
    with pytest.raises(UnreachableTarget) as info:
        plan_hiring(SC, "signings=180", workers=1, **ARGS)
    best, message = info.value.best, str(info.value)
    search = best.search.set_index("hires")["p_target"]
    assert search[MOST] >= CONFIDENCE and search[3] >= CONFIDENCE > search[2]
    assert best.hires == 3 + MAX_CHECKS - 1 and not best.reachable
    assert best.classes == earliest(best.hires) and best.p_target < CONFIDENCE
    assert "The most the limits allow" not in message
    assert f"fell short on fresh ones; the largest checked ({best.hires} trainees)" in message
    assert f"{best.p_target:.0%} of fresh simulated years" in message


@pytest.mark.parametrize(
    "change, pieces",
    [
        ({"confidence": 1.5}, ["confidence", "1.5"]),
        ({"confidence": 1.0}, ["confidence", "1.0"]),
        ({"confidence": 0.0}, ["confidence", "0.0"]),
        ({"shape": "foo"}, ["shape", "'foo'", "earliest", "level"]),
        ({"max_class_size": 0}, ["max_class_size", "0"]),
        ({"max_class_size": 2.5}, ["max_class_size", "2.5"]),
        ({"max_class_size": True}, ["max_class_size", "True"]),
        ({"replications": 0}, ["replications", "0"]),
        ({"target": "profit=1"}, ["'profit'", ALLOWED]),
        ({"by": 9}, ["by=9", "1..4"]),
    ],
)
def test_plan_hiring_refuses_bad_arguments(change, pieces):
    args = {"scenario": SC, "target": GOAL, **ARGS, "workers": 1} | change
    with pytest.raises(ValueError) as info:
        plan_hiring(**args)
    for piece in pieces:
        assert piece in str(info.value), (piece, str(info.value))


# ------------------------------------------------------------------ the command
def test_the_plan_command_prints_and_saves_the_plan(plan, tmp_path):
    out = tmp_path / "plan"
    result = invoke("plan", *CLI_SET, *CLI_PLAN, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Target: reps on post of {LEVEL:.1f} reps")
    assert f"{plan.hires} trainees in all" in result.stdout
    saved = json.loads((out / "plan.json").read_text())
    assert saved == {
        "target": {"metric": "reps_on_post", "value": LEVEL, "by": BY, "by_label": "month 4"},
        "confidence": CONFIDENCE, "shape": "earliest", "max_class_size": MAX_CLASS,
        "classes": [{"month": m, "trainees": s} for m, s in plan.classes if s],
        "hires": plan.hires, "p_target": plan.p_target, "p_interval": list(plan.p_interval),
        "p_today": plan.p_today, "seed": SEED, "replications": REPS,
        "check_replications": REPS, "reachable": True,
    }  # fmt: skip
    as_scenario = simsales.load_scenario(out / "plan.yaml")  # validates
    hiring = as_scenario.phases()[1][1].workforce.hiring
    assert [(c.month, c.size) for c in hiring.plan] == [(m, s) for m, s in plan.classes if s]
    assert as_scenario.workforce.hiring == SC.workforce.hiring
    assert as_scenario.team == SC.team and as_scenario.horizon == SC.horizon
    tm = simsales.load_results(out / "plan").team_month
    assert tm.groupby("month")["hires"].mean().tolist() == [s for _, s in plan.classes]
    assert simsales.load_results(out / "today").team_month["hires"].eq(4).all()

    again = invoke("plan", *CLI_SET, *CLI_PLAN, "--out", out)
    assert_bad_input(again, f"--out {out}", "already holds a plan (plan.json)", "--force")
    # --force replaces it; a target today's team reaches with no trainees: an empty plan.
    cheap = ["--target", "reps_on_post=1", "--max-class", "3", "-r", "10"]
    forced = invoke("plan", *CLI_SET, *cheap, "--out", out, "--force")
    assert forced.exit_code == 0, forced.output
    saved = json.loads((out / "plan.json").read_text())
    assert (saved["hires"], saved["classes"], saved["p_target"]) == (0, [], 1.0)
    hiring = simsales.load_scenario(out / "plan.yaml").phases()[1][1].workforce.hiring
    assert hiring.policy == "none"


@pytest.mark.parametrize(
    "args, pieces",
    [
        ([], ["--target is required", "revenue=150e6"]),
        (["--target", "profit=1"], ["'profit'", ALLOWED]),
        (["--target", "revenue"], ["METRIC=VALUE"]),
        (["--target", GOAL, "--confidence", "1.5"], ["--confidence 1.5", "between 0 and 1"]),
        (["--target", GOAL, "--shape", "foo"], ["--shape 'foo'", "earliest, level"]),
        (["--target", GOAL, "--by", "9"], ["reported month 9", "1..4"]),
        (["--target", GOAL, "--by", "2027-12"], ["no horizon.start"]),
        (["--target", "reps_on_post=40", "--max-class", "3", "-r", "10"],
         ["No hiring plan within the limits reaches reps on post of 40", "--max-class"]),
    ],
    ids=["no target", "unknown metric", "no value", "confidence", "shape", "by", "by date",
         "unreachable"],
)  # fmt: skip
def test_the_plan_command_refuses_bad_input(args, pieces):
    assert_bad_input(invoke("plan", *CLI_SET, *args), *pieces, max_lines=1)


def test_the_plan_command_refuses_a_month_outside_a_dated_horizon():
    result = invoke("plan", ROOT / "scenarios" / "today_2027.yaml", "--target", "revenue=1e8",
                    "--by", "2028-03", "--no-progress")  # fmt: skip
    assert_bad_input(result, "reported month 15", "2027-01 to 2027-12", max_lines=1)

"""Optimisation (``simsales.optimise``, ``simsales optimise``): the search finds a known
optimum, respects constraints, reports its honesty fields correctly, is reproducible
and resumable, and bad optimisation files exit 2 with one clear line.

The known-optimum problem: a small team (16 reps, 2 territories, 6 months) whose reps are
let go after 2 months in a row under 60% of quota. Raising the monthly quota dismisses
more reps, every one of whom earns more than they cost, so margin falls with the quota:
its maximiser is the range's lowest quota. The grid of the search's 8 values, run with
``simsales.sweep`` on the search's seed and replications (common random numbers), gives
the optimiser's search values exactly, and the tolerance for "found it" is two paired
standard errors of the grid's differences, never a number tuned to pass.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.experiment.optimise import (
    NoFeasibleCandidate,
    optimisation_summary,
    parse_constraint,
)
from simsales.experiment.store import StoreError
from simsales.scenario import ScenarioError
from tests.conftest import BASELINE, team_overrides

pytest.importorskip("optuna")

QUOTA = "quota.revenue_per_month"
GRID = [60_000.0 + 20_000.0 * i for i in range(8)]  # 60,000 .. 200,000
SEARCH = {QUOTA: {"low": GRID[0], "high": GRID[-1], "step": 20_000.0}}
SEED, REPS, FINAL_REPS = 0, 6, 10
PLAN = dict(trials=16, batch=4, replications=REPS, finalists=3, final_replications=FINAL_REPS)
TEAM = {
    **team_overrides(),
    "workforce.dismissal.monthly_attainment_below": 0.6,
    "workforce.dismissal.consecutive_months": 2,
}
# The constrained problem: at most 52% of reps at quota rules out the low quotas (the
# unconstrained optimum), and the candidate must beat the scenario's margin in at least
# 30% of the paired replications.
CONSTRAINTS = ["share_at_quota <= 0.52", "P(margin > baseline) >= 0.3"]
TINY = team_overrides(reps=8, firms=20_000, months=2)
TINY_PLAN = dict(trials=4, batch=2, replications=2, finalists=2, final_replications=2)


@pytest.fixture(scope="module")
def base() -> simsales.Scenario:
    return simsales.load_scenario(BASELINE).with_overrides(TEAM)


@pytest.fixture(scope="module")
def grid(base) -> pd.DataFrame:
    """Every replication's metrics at every quota of the search's grid, on the search's
    seed and replications: one row per (quota, replication)."""
    s = simsales.sweep(base, {QUOTA: {"values": GRID}}, replications=REPS, seed=SEED, workers=1)
    return s.metrics().set_index([QUOTA, "replication"]).sort_index()


@pytest.fixture(scope="module")
def found(base):
    return simsales.optimise(base, SEARCH, "margin", seed=SEED, workers=1, **PLAN)


@pytest.fixture(scope="module")
def constrained(base):
    return simsales.optimise(base, SEARCH, "margin", CONSTRAINTS, seed=SEED, workers=1, **PLAN)


@pytest.fixture(scope="module")
def base_search(base) -> pd.DataFrame:
    """The scenario itself on the search replications, by replication."""
    return (
        simsales.run(base, replications=REPS, seed=SEED, workers=1).metrics().droplevel("scenario")
    )


def grid_means(grid: pd.DataFrame, name: str) -> pd.Series:
    """Each quota's mean over the replications, summed as the optimiser sums them (numpy,
    in replication order), so equal values compare equal to the last bit."""
    return pd.Series({q: grid.loc[q, name].to_numpy(dtype=float).mean() for q in GRID})


def paired_se(grid: pd.DataFrame, a: float, b: float) -> float:
    """Standard error of the mean margin difference of quotas a and b, paired by
    replication (common random numbers)."""
    d = grid.loc[a, "margin"] - grid.loc[b, "margin"]
    return float(d.std(ddof=1) / math.sqrt(len(d)))


def winner_quota(o) -> float:
    return float(o.winner_values[QUOTA])


# --------------------------------------------------------------------- known optimum


def test_the_search_values_are_the_grids_on_common_random_numbers(found, grid):
    """Each trial ran the search's seed and replications, as the sweep did: its objective
    is the grid's mean margin at its quota, exactly."""
    means = grid_means(grid, "margin")
    assert set(found.trials[QUOTA]) <= set(GRID)
    for _, row in found.trials.iterrows():
        assert row["objective"] == means[float(row[QUOTA])], row
    assert found.trials["feasible"].all()  # no constraints: every trial is feasible


def test_the_search_finds_the_known_optimum(found, grid):
    """Margin's maximiser over the grid is its lowest quota (fewer dismissals); the
    winner is it, or a quota whose margin is within 2 paired SEs of it."""
    means = grid_means(grid, "margin")
    best = float(means.idxmax())
    assert best == GRID[0], means  # the problem: margin falls as the quota rises
    win = winner_quota(found)
    assert win == best or means[best] - means[win] <= 2 * paired_se(grid, best, win), (win, means)
    # The search tried the optimum (16 trials on 8 values) and ranked it first.
    assert best in set(found.trials[QUOTA])
    top = found.trials.sort_values("objective", ascending=False, kind="stable").iloc[0]
    assert float(top[QUOTA]) == best
    # The winner is one of the finalists, the best feasible one on the fresh replications.
    f = found.finalists.set_index("trial")
    assert found.winner in f.index and f.at[found.winner, "rank"] == 1
    assert f.loc[f["feasible"], "objective"].max() == f.at[found.winner, "objective"]


# ----------------------------------------------------------------------- constraints


def test_constraints_are_respected_and_the_best_feasible_point_found(constrained, grid,
                                                                    base_search):  # fmt: skip
    share = grid_means(grid, "share_at_quota")
    margin = grid_means(grid, "margin")
    beats = pd.Series({q: float((grid.loc[q, "margin"] > base_search["margin"]).mean())
                       for q in GRID})  # fmt: skip
    t = constrained.trials
    # Every trial's constraint levels are its values on the grid; "feasible" is both met.
    for _, row in t.iterrows():
        q = float(row[QUOTA])
        assert row[CONSTRAINTS[0]] == share[q]
        met = [parse_constraint(c).met(row[c]) for c in CONSTRAINTS]
        assert bool(row["feasible"]) == all(met), row
        if row["feasible"]:
            assert share[q] <= 0.52 and beats[q] >= 0.3, row
    assert (~t["feasible"]).any(), "the constraints should rule out some trials"
    # The unconstrained optimum is ruled out; the winner meets both constraints.
    assert share[GRID[0]] > 0.52
    win = winner_quota(constrained)
    assert win != GRID[0] and share[win] <= 0.52 and beats[win] >= 0.3
    # ... and meets them again on the fresh replications.
    f = constrained.finalists.set_index("trial")
    assert f.at[constrained.winner, "feasible"]
    for c in CONSTRAINTS:
        assert parse_constraint(c).met(f.at[constrained.winner, c]), c
    assert f.loc[f["feasible"], "objective"].max() == f.at[constrained.winner, "objective"]
    # It is the best feasible grid point, within 2 paired SEs.
    feasible = [q for q in GRID if share[q] <= 0.52 and beats[q] >= 0.3]
    best = max(feasible, key=lambda q: margin[q])
    gap = margin[best] - margin[win]
    assert win == best or gap <= 2 * paired_se(grid, best, win), (win, best, margin)


def test_p_beats_baseline_is_the_share_of_paired_replications(constrained, grid, base_search):
    """P(margin > baseline) of a trial is the share of the search replications in which
    its margin is above the scenario's (quota 150,000) in the same replication."""
    text = "P(margin > baseline) >= 0.3"
    for _, row in constrained.trials.iterrows():
        mine = grid.loc[float(row[QUOTA]), "margin"]
        theirs = base_search["margin"].reindex(mine.index)
        assert row[text] == pytest.approx(float((mine > theirs).mean()), abs=1e-12)
    assert set(constrained.trials[text].round(9)) - {0.0, 1.0}, "a share strictly inside 0..1"


# ------------------------------------------------------------------------- honesty


def test_honesty_fields_match_the_finalists_and_fresh_runs(found, base, grid, base_search):
    f = found.finalists
    assert len(f) == PLAN["finalists"]
    others = f[f["trial"] != found.winner]
    # indistinguishable: the other feasible finalists whose interval to the winner holds 0
    holds_zero = others["feasible"] & (others["ci_low"] <= 0) & (others["ci_high"] >= 0)
    assert found.indistinguishable == int(holds_zero.sum())
    assert (others["indistinguishable"] == holds_zero).all()
    w = f.set_index("trial").loc[found.winner]
    assert w["indistinguishable"] and w["difference_to_winner"] == 0
    # fresh_advantage: the winner's mean margin less the scenario's, fresh replications.
    fresh = simsales.run(found.scenario(), replications=FINAL_REPS, seed=SEED + 1, workers=1)
    fresh_base = simsales.run(base, replications=FINAL_REPS, seed=SEED + 1, workers=1)
    mine, theirs = fresh.metrics()["margin"].to_numpy(), fresh_base.metrics()["margin"].to_numpy()
    assert found.fresh_advantage == pytest.approx(mine.mean() - theirs.mean(), rel=1e-12)
    assert w["objective"] == pytest.approx(mine.mean(), rel=1e-12)
    low, high = found.fresh_interval
    assert low <= found.fresh_advantage <= high
    # search_advantage: the winner's search objective less the scenario's, search replications.
    search = grid_means(grid, "margin")[winner_quota(found)] - base_search["margin"].mean()
    assert found.search_advantage == pytest.approx(search, rel=1e-12)
    s = optimisation_summary(found)
    assert s["winner"] == found.winner and s["indistinguishable"] == found.indistinguishable
    assert s["fresh_advantage"] == found.fresh_advantage


# ------------------------------------------------------------------- reproducibility


def test_the_same_seed_gives_the_same_trials_and_winner_on_any_workers(base, found):
    again = simsales.optimise(base, SEARCH, "margin", seed=SEED, workers=2, **PLAN)
    pd.testing.assert_frame_equal(again.trials, found.trials)
    pd.testing.assert_frame_equal(again.finalists, found.finalists)
    assert again.winner == found.winner and again.fresh_advantage == found.fresh_advantage


# ---------------------------------------------------------------------- store/resume


@pytest.fixture(scope="module")
def tiny() -> simsales.Scenario:
    return simsales.load_scenario(BASELINE).with_overrides(TINY)


TINY_SEARCH = {"workforce.hiring.class_size": {"low": 2, "high": 5, "integer": True}}


def test_a_stored_optimisation_resumes_and_another_is_refused(tiny, tmp_path):
    first = simsales.optimise(tiny, TINY_SEARCH, "margin", seed=1, workers=1, out=tmp_path,
                              **TINY_PLAN)  # fmt: skip
    shards = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("shards/**/*") if p.is_file()}
    assert shards and (tmp_path / "search_baseline").is_dir()
    seen: list[tuple[int, int]] = []
    again = simsales.optimise(tiny, TINY_SEARCH, "margin", seed=1, workers=1, out=tmp_path,
                              progress=lambda d, t: seen.append((d, t)), **TINY_PLAN)  # fmt: skip
    pd.testing.assert_frame_equal(again.trials, first.trials)
    pd.testing.assert_frame_equal(again.finalists, first.finalists)
    assert again.winner == first.winner
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("shards/**/*") if p.is_file()}
    assert after == shards  # nothing recomputed, nothing rewritten
    total = TINY_PLAN["replications"] * (1 + TINY_PLAN["trials"]) + TINY_PLAN[
        "final_replications"] * (1 + TINY_PLAN["finalists"])  # fmt: skip
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (total, total)  # the bar ends full
    # Another optimisation (seed 2) is refused in that folder, unless forced.
    with pytest.raises((StoreError, ScenarioError), match="another run"):
        simsales.optimise(tiny, TINY_SEARCH, "margin", seed=2, workers=1, out=tmp_path,
                          **TINY_PLAN)  # fmt: skip
    forced = simsales.optimise(tiny, TINY_SEARCH, "margin", seed=2, workers=1, out=tmp_path,
                               force=True, **TINY_PLAN)  # fmt: skip
    fresh = simsales.optimise(tiny, TINY_SEARCH, "margin", seed=2, workers=1, **TINY_PLAN)
    pd.testing.assert_frame_equal(forced.trials, fresh.trials)


def test_no_feasible_candidate_raises_with_the_trials(tiny):
    with pytest.raises(NoFeasibleCandidate, match="no candidate met the constraints") as info:
        simsales.optimise(tiny, TINY_SEARCH, "margin", ["reps_on_post >= 10000"], seed=0,
                          workers=1, **TINY_PLAN)  # fmt: skip
    t = info.value.result.trials
    assert len(t) == TINY_PLAN["trials"] and not t["feasible"].any()
    assert info.value.result.winner is None


# ------------------------------------------------------------------------------ CLI

runner = CliRunner()
TINY_SET = [a for key, value in TINY.items()
            for a in ("--set", f"{key}={json.dumps(value).replace(chr(34), '')}")]  # fmt: skip


def write_spec(tmp_path, **changes) -> str:
    spec = {"scenario": str(BASELINE), "parameters": TINY_SEARCH, "objective": "margin",
            **TINY_PLAN, **changes}  # fmt: skip
    spec = {k: v for k, v in spec.items() if v is not None}
    path = tmp_path / "optimise.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return str(path)


def invoke(*args):
    return runner.invoke(app, ["optimise", *map(str, args), "-w", "1", "--no-progress", *TINY_SET])


@pytest.mark.parametrize(
    ("changes", "pieces"),
    [
        pytest.param({"colour": "red"}, ["colour"], id="unknown top-level key"),
        pytest.param({"parameters": {"quota.no_such_key": {"low": 1.0, "high": 2.0}}},
                     ["quota.no_such_key"], id="unknown parameter"),
        pytest.param({"parameters": {"pay.commission.rate": {"low": 0.1, "high": 0.1}}},
                     ["pay.commission.rate", "high"], id="empty bounds"),
        pytest.param({"parameters": {"pay.commission.rate": {"low": 0.2, "high": 0.1}}},
                     ["pay.commission.rate", "high"], id="reversed bounds"),
        pytest.param({"parameters": {"pay.commission.plan": {"choices": ["flat"]}}},
                     ["pay.commission.plan", "at least 2 choices"], id="a single choice"),
        pytest.param({"objective": "no_such_metric"}, ["objective", "no_such_metric"],
                     id="unknown objective"),
        pytest.param({"constraints": ["margin == 5"]}, ["constraint", "margin == 5", ">="],
                     id="bad operator"),
        pytest.param({"constraints": ["first_year_attrition <= -0.1"]},
                     ["first_year_attrition <= -0.1", "no candidate can meet it"],
                     id="negative share"),
        pytest.param({"constraints": ["share_at_quota >= 1.5"]},
                     ["share_at_quota >= 1.5", "no candidate can meet it"], id="share above 1"),
        pytest.param({"constraints": ["P(margin > baseline) >= 1.2"]},
                     ["P(margin > baseline) >= 1.2", "no candidate can meet it"],
                     id="probability above 1"),
        pytest.param({"finalists": 5}, ["finalists", "at most trials (4)"],
                     id="finalists > trials"),
        pytest.param({"parameters": {"pay.commission.rate": {"low": 0.05, "high": 5.0}}},
                     ["parameters.pay.commission.rate", "less than or equal to 1"],
                     id="bound the scenario refuses"),
        pytest.param({"constraints": ["reps_on_post >= 10000"]},
                     ["no candidate met the constraints", "reps_on_post >= 10000"],
                     id="no feasible candidate"),
    ],
)  # fmt: skip
def test_bad_optimisation_files_exit_2_with_one_clear_line(tmp_path, changes, pieces):
    result = invoke(write_spec(tmp_path, **changes))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), result.stderr
    for piece in pieces:
        assert piece in result.stderr, (piece, result.stderr)


def test_cli_optimise_saves_the_trials_finalists_and_winner(tmp_path):
    out = tmp_path / "out"
    result = invoke(write_spec(tmp_path, constraints=["P(margin > baseline) >= 0"]),
                    "--out", out, "--seed", "3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Winner (trial" in result.stdout
    trials = pd.read_csv(out / "trials.csv")
    finalists = pd.read_csv(out / "finalists.csv")
    summary = json.loads((out / "optimisation.json").read_text(encoding="utf-8"))
    assert len(trials) == TINY_PLAN["trials"] and len(finalists) == TINY_PLAN["finalists"]
    assert summary["seed"] == 3 and summary["objective"] == "margin"
    assert summary["direction"] == "maximise"
    winner = summary["winner"]
    assert winner in set(finalists["trial"])
    size = trials.set_index("trial").at[winner, "workforce.hiring.class_size"]
    assert summary["winner_values"] == {"workforce.hiring.class_size": size}
    assert summary["indistinguishable"] == int(
        (finalists["indistinguishable"] & (finalists["trial"] != winner)).sum()
    )
    f = finalists.set_index("trial")
    assert f.at[winner, "feasible"] and f.at[winner, "rank"] == 1
    sc = simsales.load_scenario(out / "winner.yaml")
    assert sc.workforce.hiring.class_size == size
    assert sc.team.reps == TINY["team.reps"]  # the --set overrides are in the winner
    assert np.isfinite(summary["fresh_advantage"])

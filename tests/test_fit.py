"""Fitting simsales to a team's history (issue 18 item 2): the estimators recover known
rates from a CRM-shaped history simsales did not make, and the parameters of a simulated
team from its exported history (parameter recovery); the fitted scenario is a complete,
valid file whose fitted values say so and whose other values keep the base's sources."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simsales
from simsales.history import estimate as est
from simsales.history.export import simulated_history
from simsales.history.fit import Fit, estimates_of, fit
from simsales.scenario.loader import value_sources
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

BASELINE = ROOT / "scenarios" / "baseline.yaml"


# ------------------------------------------- a history simsales did not make
class Truth:
    """Known rates of the hand-made history below."""

    called, visited, entered = 0.3, 0.5, 0.6
    grades = {"A": 0.2, "B": 0.3, "C": 0.5}
    sign, lose = 0.08, 0.10  # per follow-up, for every entered lead (a constant hazard)
    followups = 8
    deal_mean, deal_cv = 80_000.0, 0.4
    quit = 0.05  # per month on post
    washout, trial_pass = 0.15, 0.8
    cadence = 5  # working days between touches


def crm_history(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A CRM-shaped history from plain rules: 2,000 prospects of 20 reps over two years,
    and 60 people hired over it; every number drawn from ``Truth``."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    days = pd.bdate_range("2024-01-01", "2025-12-31", freq="C", weekmask="Mon Tue Wed Thu Fri Sat")
    rows = []
    reps = [f"rep{i}" for i in range(20)]
    for n in range(2000):
        lead, rep = f"lead{n}", reps[n % 20]
        d = int(rng.integers(0, len(days) - 200))
        rows.append((lead, rep, days[d], "record", None, "own", None))
        if rng.random() >= Truth.called:
            continue
        d += 1
        rows.append((lead, rep, days[d], "call", None, "own", None))
        if rng.random() >= Truth.visited:
            continue
        d += 2
        rows.append((lead, rep, days[d], "first_visit", None, "own", None))
        if rng.random() >= Truth.entered:
            continue
        grade = rng.choice(list(Truth.grades), p=list(Truth.grades.values()))
        rows.append((lead, rep, days[d], "entered", grade, "own", None))
        for _ in range(Truth.followups):
            d += Truth.cadence
            rows.append((lead, rep, days[d], "followup", grade, "own", None))
            u = rng.random()
            if u < Truth.sign:
                value = rng.lognormal(np.log(Truth.deal_mean) - np.log1p(Truth.deal_cv**2) / 2,
                                      np.sqrt(np.log1p(Truth.deal_cv**2)))  # fmt: skip
                rows.append((lead, rep, days[d], "signed", grade, "own", value))
                break
            if u < Truth.sign + Truth.lose:
                rows.append((lead, rep, days[d], "lost", grade, "own", None))
                break
    activities = pd.DataFrame(rows, columns=["lead_id", "rep_id", "date", "kind", "grade",
                                             "source", "deal_value"])  # fmt: skip
    people = []
    for i in range(60):
        hired = start + np.timedelta64(int(rng.integers(0, 500)), "D")
        if rng.random() < Truth.washout:
            people.append((f"rep{i}", hired, pd.NaT, hired + 20, "washed_out"))
            continue
        if rng.random() >= Truth.trial_pass:
            people.append((f"rep{i}", hired, pd.NaT, hired + 40, "failed_trial"))
            continue
        on_post = hired + np.timedelta64(40, "D")
        stay = rng.exponential(1 / Truth.quit) * 30.4
        left = on_post + np.timedelta64(int(stay), "D")
        ends = left <= np.datetime64("2025-12-31")
        people.append((f"rep{i}", hired, on_post, left if ends else pd.NaT,
                       "quit" if ends else None))  # fmt: skip
    roster = pd.DataFrame(people, columns=["id", "hire_date", "on_post_date", "leave_date",
                                           "leave_reason"])  # fmt: skip
    roster = roster.assign(role="rep", group="G1", territory=None, **{"class": 1})
    for c in ("hire_date", "on_post_date", "leave_date"):
        roster[c] = pd.to_datetime(roster[c])
    activities["date"] = pd.to_datetime(activities["date"])
    return activities, roster


@pytest.fixture(scope="module")
def crm() -> tuple[pd.DataFrame, pd.DataFrame]:
    return crm_history()


def by_key(estimates) -> dict[str, est.Estimate]:
    return {e.key: e for e in estimates}


# Each recovery test checks many parameters, each against its 95% interval: so that all of
# them hold together with 95% (Bonferroni over CHECKS checks), each interval is widened
# from z(0.975) to z(1 - 0.025 / CHECKS) about its estimate.
CHECKS = 25
WIDEN = float(stats.norm.ppf(1 - 0.025 / CHECKS) / stats.norm.ppf(0.975))


def assert_recovered(e: est.Estimate, truth: float) -> None:
    assert e.low <= e.value <= e.high
    low, high = e.value - WIDEN * (e.value - e.low), e.value + WIDEN * (e.high - e.value)
    assert low <= truth <= high, f"{e.key}: {truth} not in [{low:.4g}, {high:.4g}]"


def test_the_estimators_recover_the_rates_of_an_independent_history(crm):
    """Every rate the hand-made history was drawn with lies in its estimate's 95% CI."""
    activities, roster = crm
    window = est.window_of(activities)
    got = by_key(est.funnel(activities, window) + est.grade_mix(activities))
    assert_recovered(got["leads.interested_share_of_records"], Truth.called)
    assert_recovered(got["leads.booked_share_of_calls"], Truth.visited)
    assert_recovered(got["leads.valid_share_of_first_visits"], Truth.entered)
    for g, share in Truth.grades.items():
        assert_recovered(got[f"leads.grade_mix.{g}"], share)
    outcomes = est.lead_outcomes(activities)
    odds, incidence = est.sign_odds(outcomes, window, Truth.followups + 2)
    got = by_key(odds)
    # A constant per-follow-up hazard: the chance to sign in the end, and at follow-up k.
    stay = 1 - Truth.sign - Truth.lose
    p = Truth.sign * (1 - stay**Truth.followups) / (1 - stay)
    assert_recovered(got["f2"], p)
    assert_recovered(got["leads.signing_touch_shares.2"], Truth.sign / p)
    # The loss share is read among the non-buyers still open (those who will not sign
    # later), over follow-ups 1-7 (the last touch is where the unsigned are dropped).
    reach = stay ** np.arange(Truth.followups)  # at follow-up 1, 2, ...
    later = (Truth.sign * reach)[::-1].cumsum()[::-1]
    span = slice(0, Truth.followups - 1)
    nonbuyer_share = (Truth.lose * reach)[span].sum() / (reach - later)[span].sum()
    assert_recovered(got["leads.loss_share_per_followup"], nonbuyer_share)
    entered = len(outcomes)
    assert incidence.sum() == pytest.approx(p, abs=3 * math.sqrt(p * (1 - p) / entered))
    cadence = by_key(est.cadence(activities, window))
    assert cadence["leads.followup_cadence_days.C"].value == Truth.cadence
    deals = by_key(est.deal_values(activities)[0])
    assert_recovered(deals["leads.deal_value_mean"], Truth.deal_mean)
    assert_recovered(deals["leads.deal_value_cv"], Truth.deal_cv)
    people = by_key(est.training(roster, window, 14, 10) + est.quits(roster, window, 2)[0])
    assert_recovered(people["workforce.training.washout_share"], Truth.washout)
    assert_recovered(people["workforce.training.trial_pass_share"], Truth.trial_pass)
    assert_recovered(people["workforce.attrition.quit_hazard_by_year.0"], Truth.quit)


def test_open_leads_are_censored_not_counted_as_failures(crm):
    """Cut the history in half: leads still open then are at risk up to their last touch,
    so the signing chance of a follow-up stays what it was (unbiased), where counting open
    leads as unsigned would lower it."""
    activities, _ = crm
    cut = activities[activities["date"] < "2024-12-31"]
    outcomes = est.lead_outcomes(cut)
    assert (outcomes["outcome"] == "open").sum() > 5
    signed, lost, reached, _ = est.touch_of_close(outcomes, Truth.followups + 2)
    hazard = signed[2:].sum() / reached[2:].sum()
    assert hazard == pytest.approx(Truth.sign, abs=3 * math.sqrt(Truth.sign / reached[2:].sum()))


# --------------------------------------------------------- parameter recovery
TRUE = simsales.load_scenario(BASELINE).with_overrides({
    "horizon.months": 12, "horizon.warmup_months": 3, "horizon.start": "2026-01",
    "team.reps": 16, "leads.valid_share_of_first_visits": 0.45, "leads.grade_mix.A": 0.15,
    "leads.loss_share_per_followup": 0.2, "leads.deal_value_mean": 65_000,
    "leads.followup_cadence_days.B": 3, "name": "truth",
})  # fmt: skip


@pytest.fixture(scope="module")
def recovered() -> tuple[list[est.Estimate], simsales.history.export.History]:
    history = simulated_history(TRUE, 0, 21)
    found, _ = estimates_of(history.activities, history.roster, TRUE)
    return found, history


@pytest.mark.parametrize(
    ("key", "truth"),
    [
        ("leads.valid_share_of_first_visits", 0.45),
        ("leads.grade_mix.A", 0.15 / 1.05),  # the mix is normalised: A 0.15 + 0.9 of B-D
        ("leads.grade_mix.D", 0.4 / 1.05),
        ("leads.loss_share_per_followup", 0.2),
        ("leads.deal_value_mean", 65_000),
        ("leads.deal_value_cv", 0.3),
        ("workforce.training.washout_share", 0.125),
        ("workforce.training.trial_pass_share", 0.85),
    ],
)
def test_parameter_recovery_from_a_simulated_history(recovered, key, truth):
    """A simulated team's history, exported and read back by the estimators, gives every
    parameter it shows directly within its 95% CI."""
    found, _ = recovered
    assert_recovered(by_key(found)[key], truth)


def test_cadence_and_touch_shares_are_recovered(recovered):
    found, _ = recovered
    got = by_key(found)
    assert got["leads.followup_cadence_days.B"].value == 3
    assert got["leads.followup_cadence_days.A"].value == 2
    shares = np.asarray(TRUE.leads.signing_touch_shares, dtype=float)
    shares /= shares.sum()
    for j in (4, 8):  # the middle of F7's spread: 10 of 101 each
        assert_recovered(got[f"leads.signing_touch_shares.{j}"], shares[j])


@pytest.fixture(scope="module")
def fitted(recovered) -> Fit:
    _, history = recovered
    return fit(history.activities, history.roster, TRUE, value_sources(BASELINE),
               name="fitted", replications=2, seed=5)  # fmt: skip


def test_values_read_through_the_model_are_recovered(fitted):
    """The sign chance and the first-year quit hazard, which the history shows only with
    skill, joint visits, low pay and quota pressure on them: read through the model, the
    true values lie in the fitted intervals."""
    text = fitted.used["leads.sign_probability"]
    low, high = (float(x) for x in text.split("[", 1)[1].split("]", 1)[0].split(", "))
    assert low <= TRUE.leads.sign_probability <= high
    quits = fitted.used["workforce.attrition.quit_hazard_by_year"]
    low, high = (float(x) for x in quits.split("[", 1)[1].split("]", 1)[0].split(", "))
    assert low <= TRUE.workforce.attrition.quit_hazard_by_year[0] <= high


def test_the_fitted_file_is_complete_and_says_what_is_fitted(fitted, tmp_path):
    path = tmp_path / "fitted.yaml"
    fitted.write(path)
    again = simsales.load_scenario(path)
    assert again == fitted.scenario
    text = path.read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("valid_share_of_first"))
    assert "# fitted: 0.4" in line and "n=" in line
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("minutes_per_day"))
    assert "# F42" in line  # not identifiable: the base's value and source
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("sign_probability"))
    assert "# fitted through the model:" in line


def test_the_fit_report_draws_each_part(fitted):
    import matplotlib.pyplot as plt

    from tests.test_plotting import figure_texts

    fig = fitted.report()
    texts = figure_texts(fig)
    for title in (
        "Where deals close (F7)",
        "Deal values",
        "What the history says against the base",
    ):
        assert title in texts
    assert any(t.startswith("How long reps stay") for t in texts)
    plt.close(fig)


# ------------------------------------------------------------------------ the CLI
def test_cli_fit_writes_a_fitted_scenario(crm, tmp_path):
    from simsales.history.formats import write_activities, write_roster_history

    activities, roster = crm
    write_activities(activities, tmp_path / "a.csv")
    write_roster_history(roster, tmp_path / "r.csv")
    out = tmp_path / "fitted.yaml"
    base = tmp_path / "small.yaml"  # a small team: the fit runs it a few times
    base.write_text(f"base: {BASELINE}\nname: small\nteam: {{reps: 8, supervisor_groups: 2}}\n"
                    "horizon: {months: 6, warmup_months: 1}\nmarket:\n  territories:\n"
                    "    - {name: T1, firms: 40000}\n    - {name: T2, firms: 40000}\n")  # fmt: skip
    result = invoke("fit", tmp_path / "a.csv", tmp_path / "r.csv", "--out", out, "-r", "2",
                    "--base", base, "--name", "our team")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "leads.booked_share_of_calls" in result.stdout
    assert simsales.load_scenario(out).name == "our team"
    again = invoke("fit", tmp_path / "a.csv", tmp_path / "r.csv", "--out", out)
    assert_bad_input(again, "--out", "exists; add --force")
    (tmp_path / "bad.csv").write_text("lead_id,rep_id,date,kind\nL1,rep1,2024-01-05,visit\n")
    bad = invoke("fit", tmp_path / "bad.csv", tmp_path / "r.csv", "--out", tmp_path / "x.yaml")
    assert_bad_input(bad, "bad.csv", "line 2", "kind")

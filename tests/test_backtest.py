"""Back-testing a scenario against a team's history (issue 18 item 3): the history's
period simulated from the team as it stood then, each month's actuals set against the
simulated P10-P90 band. A scenario that made the history covers about 8 in 10 months; one
that is wrong about deal values covers no month of revenue."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import simsales
from simsales.history.backtest import METRICS, BacktestError, backtest
from simsales.history.export import simulated_history
from simsales.history.formats import write_activities, write_roster_history
from tests.conftest import ROOT
from tests.test_cli import assert_bad_input, invoke

TRUE = simsales.load_scenario(ROOT / "scenarios" / "baseline.yaml").with_overrides({
    "horizon.months": 12, "horizon.warmup_months": 3, "horizon.start": "2026-01",
    "team.reps": 16, "name": "truth",
})  # fmt: skip
RUNS = 30


@pytest.fixture(scope="module")
def history() -> simsales.history.export.History:
    return simulated_history(TRUE, 0, 21)


@pytest.fixture(scope="module")
def own(history):
    return backtest(TRUE, history.activities, history.roster, RUNS, seed=1, workers=1,
                    start="2026-01")  # fmt: skip


def test_the_scenario_that_made_a_history_covers_most_of_its_months(own):
    """About 80% of month-metric cells inside the band; with 60 cells (not independent),
    at least 80% less three binomial standard errors."""
    months = own.months
    assert len(months) == 12 * len(METRICS)
    cells = len(months)
    assert months["inside"].mean() >= 0.8 - 3 * math.sqrt(0.8 * 0.2 / cells)
    assert months["date"].tolist()[:2] == ["2026-01", "2026-02"]
    # The summary's error is the mean absolute percentage error of the median, exactly.
    summary = own.summary().set_index("metric")
    signings = months[months["metric"] == "signings"]
    mape = ((signings["p50"] - signings["actual"]).abs() / signings["actual"]).mean()
    assert summary.loc["signings", "mape"] == pytest.approx(mape, rel=1e-12)
    assert summary.loc["signings", "inside"] == signings["inside"].sum()


def test_actuals_are_the_history_s_own_figures(own, history):
    """The actual column is the history itself: signings and revenue by month of the signed
    rows, the same as the run's own team_month."""
    tm = history.team_month
    signings = own.months[own.months["metric"] == "signings"]["actual"].tolist()
    assert signings == tm["signings"].tolist()
    revenue = own.months[own.months["metric"] == "revenue"]["actual"].to_numpy()
    assert revenue == pytest.approx(tm["revenue"].to_numpy(), rel=1e-9)


def test_a_wrong_scenario_is_caught(history):
    """Deal values twice the truth: revenue misses the band in (nearly) every month, while
    the signings, which do not depend on deal values, stay covered."""
    wrong = TRUE.with_overrides({"leads.deal_value_mean": 100_000, "name": "wrong"})
    result = backtest(wrong, history.activities, history.roster, RUNS, seed=1, workers=1,
                      start="2026-01").summary().set_index("metric")  # fmt: skip
    assert result.loc["revenue", "inside"] <= 1
    # signings keep an honest band's coverage: 80% less three binomial SEs over 12 months
    assert result.loc["signings", "coverage"] >= 0.8 - 3 * math.sqrt(0.8 * 0.2 / 12)


def test_the_verdict_is_plain(own):
    text = own.verdict()
    assert text.startswith("Back-test over 12 months (30 simulated runs from the team as it "
                           "stood on the first day):")  # fmt: skip
    assert "Deals signed in the month: the model reproduces" in text
    assert "of 12 months within its 80% band" in text


def test_the_plot_shows_each_metric(own):
    import matplotlib.pyplot as plt

    from tests.test_plotting import figure_texts

    fig = own.plot()
    texts = figure_texts(fig)
    assert "Deals signed in the month" in texts and "Reps on post in the month" in texts
    plt.close(fig)


def test_a_history_without_a_whole_month_or_with_unknown_territories_is_refused(history):
    a = history.activities
    short = a[(a["date"] >= "2026-03-03") & (a["date"] <= "2026-03-20")]
    with pytest.raises(BacktestError, match="holds no whole month"):
        backtest(TRUE, short, history.roster, RUNS, start=None)
    renamed = history.roster.assign(territory=history.roster["territory"].replace(
        "Territory 1", "Pudong"))  # fmt: skip
    with pytest.raises(BacktestError, match=r"territories \['Pudong'\] are not in the scenario"):
        backtest(TRUE, a, renamed, RUNS, start="2026-01")


def test_cli_backtest(history, tmp_path):
    write_activities(history.activities, tmp_path / "a.csv")
    write_roster_history(history.roster, tmp_path / "r.csv")
    scenario = tmp_path / "truth.yaml"
    scenario.write_text(f"base: {ROOT / 'scenarios' / 'baseline.yaml'}\nname: truth\n"
                        "team: {reps: 16}\nhorizon: {months: 12, warmup_months: 3, "
                        "start: 2026-01}\n")  # fmt: skip
    result = invoke("backtest", scenario, "--actuals", tmp_path / "a.csv", tmp_path / "r.csv",
                    "-r", "10", "-w", "1", "--no-progress", "--start", "2026-01",
                    "--plot", tmp_path / "bt.png")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "the model reproduces" in result.stdout
    assert (tmp_path / "bt.png").stat().st_size > 10_000
    bad = invoke("backtest", scenario, "--actuals", tmp_path / "a.csv", tmp_path / "r.csv",
                 "-r", "10", "--start", "2031-01", "--no-progress")  # fmt: skip
    assert_bad_input(bad, "holds no whole month from 2031-01")


def test_months_are_compared_from_the_history_s_4th_month(history):
    from simsales.history.backtest import _months

    a = history.activities  # from the warm-up's first day, in October 2025
    assert _months(a, None)[0] == "2026-01"
    late = a[a["date"] >= "2026-02-10"]
    assert _months(late, None)[0] == "2026-05"
    assert _months(a, None)[-1] == "2026-12"
    assert _months(a, "2026-05")[0] == "2026-05"
    assert isinstance(pd.Timestamp(a["date"].max()), pd.Timestamp)

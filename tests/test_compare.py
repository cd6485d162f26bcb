"""Paired comparison with common random numbers: the statistics on hand-made metrics,
the variance reduction CRN buys on simulated ones, and the ``simsales compare`` command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.metrics.compare import paired_comparison
from tests.conftest import BASELINE, small_overrides
from tests.test_cli import rows_of


def frame(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """Metrics indexed by (scenario, replication) from {scenario: {metric: values}}."""
    parts = []
    for name, cols in values.items():
        n = len(next(iter(cols.values())))
        index = pd.MultiIndex.from_product([[name], range(n)], names=["scenario", "replication"])
        parts.append(pd.DataFrame(cols, index=index))
    return pd.concat(parts)


def test_difference_interval_and_p_value_are_the_paired_t_test():
    a = [10.0, 12.0, 9.0, 11.0, 13.0]
    b = [11.0, 14.0, 9.5, 12.0, 15.0]  # differences 1, 2, 0.5, 1, 2
    row = paired_comparison(frame({"A": {"revenue": a}, "B": {"revenue": b}}), "A").iloc[0]
    d = np.array(b) - np.array(a)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    assert row["difference"] == pytest.approx(1.3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.3 - half, 1.3 + half))
    assert row["p_value"] == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert row["p_holm"] == row["p_value"]  # one comparison: nothing to adjust
    assert row["p_better"] == 1.0 and row["better_if"] == "higher" and row["n"] == 5


def test_p_better_counts_the_right_direction():
    """Revenue: higher is better; quits: lower is better. 3 of 4 replications each."""
    m = frame({"A": {"revenue": [1.0, 1, 1, 1], "quits": [5.0, 5, 5, 5]},
               "B": {"revenue": [2.0, 2, 0, 3], "quits": [4.0, 6, 3, 2]}})  # fmt: skip
    t = paired_comparison(m, "A").set_index("metric")
    assert t.loc["revenue", "p_better"] == 0.75 and t.loc["revenue", "better_if"] == "higher"
    assert t.loc["quits", "p_better"] == 0.75 and t.loc["quits", "better_if"] == "lower"


def test_fewer_washouts_are_better():
    m = frame({"A": {"class_washout_of_trainees": [0.2, 0.1, 0.15]},
               "B": {"class_washout_of_trainees": [0.1, 0.1, 0.05]}})  # fmt: skip
    row = paired_comparison(m, "A").iloc[0]
    assert row["better_if"] == "lower" and row["p_better"] == pytest.approx(2 / 3)


def test_the_catalogue_says_which_way_is_better_and_diagnostics_have_none():
    """Directions come from the catalogue; a calibration diagnostic has none, so no
    P(better); a metric equal in every replication is flagged ``identical``; rows follow
    the catalogue's order and carry its label, group and unit."""
    m = frame({"A": {"f7_share_phone": [0.01, 0.02, 0.01], "payroll": [5.0, 5, 5],
                     "revenue": [1.0, 2, 3]},
               "B": {"f7_share_phone": [0.02, 0.03, 0.00], "payroll": [5.0, 5, 5],
                     "revenue": [2.0, 2, 4]}})  # fmt: skip
    t = paired_comparison(m, "A")
    assert list(t["metric"]) == ["revenue", "payroll", "f7_share_phone"]  # catalogue order
    t = t.set_index("metric")
    assert pd.isna(t.loc["f7_share_phone", "better_if"])  # no direction: missing
    assert np.isnan(t.loc["f7_share_phone", "p_better"])
    assert t.loc["f7_share_phone", "group"] == "Calibration diagnostics"
    assert t.loc["payroll", "identical"] and not t.loc["revenue", "identical"]
    assert t.loc["payroll", "p_value"] == 1.0
    assert t.loc["revenue", "p_better"] == pytest.approx(2 / 3)
    assert (t.loc["revenue", "label"], t.loc["revenue", "unit"]) == ("Revenue (new deals)", "yuan")
    assert t.loc["f7_share_phone", "unit"] == "share"


def test_holm_adjusts_over_the_scenarios_compared():
    """Three scenarios against A: Holm multiplies the sorted p-values by 3, 2, 1 and keeps
    them in order (p(1) = 3 p_min, then max(previous, 2 p_mid), then max(previous, p_max))."""
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, 12)
    m = frame({"A": {"x": list(base)},
               **{s: {"x": list(base + shift + rng.normal(0, 1, 12))}
                  for s, shift in (("B", 0.3), ("C", 1.0), ("D", 0.0))}})  # fmt: skip
    t = paired_comparison(m, "A").set_index("scenario")
    p = t["p_value"].sort_values()
    expected = np.maximum.accumulate(np.minimum(p.to_numpy() * [3, 2, 1], 1.0))
    np.testing.assert_allclose(t.loc[p.index, "p_holm"], expected)


def test_only_replications_both_scenarios_ran_are_paired():
    m = frame({"A": {"x": [1.0, 2.0, 3.0]}, "B": {"x": [2.0, 3.0]}})
    row = paired_comparison(m, "A").iloc[0]
    assert row["n"] == 2 and row["difference"] == 1.0 and row["ci_low"] == row["ci_high"] == 1.0


def test_an_unknown_baseline_is_refused():
    with pytest.raises(ValueError, match="baseline 'Z' is not among"):
        paired_comparison(frame({"A": {"x": [1.0]}, "B": {"x": [2.0]}}), "Z")


def test_common_random_numbers_cut_the_variance_of_a_difference():
    """Two close scenarios (31 prospect records a day instead of 30): the variance of the
    paired difference of revenue is well below that of two independent runs (var(a) +
    var(b)). Measured at about 0.25 of it; with 24 replications the ratio's sampling SD is
    about 0.25 x sqrt(2/23 + 2/46) = 0.09, so a true ratio of 0.25 passes the bound of 0.5
    with 2.7 SD to spare."""
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(reps=16, months=6))
    close = base.with_overrides({"name": "records_31", "rep.norms.prospect_records": 31})
    m = simsales.compare([base, close], replications=24, seed=5, workers=2).metrics()
    a = m.xs(base.name, level="scenario")["revenue"].to_numpy()
    b = m.xs("records_31", level="scenario")["revenue"].to_numpy()
    ratio = np.var(b - a, ddof=1) / (np.var(a, ddof=1) + np.var(b, ddof=1))
    assert ratio < 0.5, ratio


def test_compare_runs_every_scenario_on_the_same_replications():
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=2))
    other = base.with_overrides({"name": "more_quota", "quota.revenue_per_month": 200_000.0})
    c = simsales.compare([base, other], replications=3, seed=2, workers=1)
    assert list(c.results) == [base.name, "more_quota"] and c.baseline == base.name
    for res in c.results.values():
        assert res.manifest["seed"] == 2 and res.manifest["replications"] == 3
    t = c.table().set_index("metric")
    # Same sales, a higher quota: attainment falls in every replication.
    assert t.loc["attainment", "difference"] < 0 and t.loc["attainment", "p_better"] == 0.0
    assert t.loc["revenue", "difference"] == 0.0  # quota does not change what is sold here
    with pytest.raises(ValueError, match="repeated"):
        simsales.compare([base, base], replications=2)
    with pytest.raises(ValueError, match="at least 2"):
        simsales.compare([base], replications=2)


# ------------------------------------------------------------------ CLI
runner = CliRunner()


def small_file(tmp_path, name: str, **more) -> str:
    import yaml

    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["name"] = name
    data["horizon"]["months"] = 2
    data["horizon"]["warmup_months"] = 1
    data["team"]["reps"] = 8
    data["team"]["supervisor_groups"] = 2
    data["market"]["territories"] = data["market"]["territories"][:2]
    for key, value in more.items():
        data["quota"][key] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_cli_compare_prints_the_paired_table_and_saves_it(tmp_path):
    a = small_file(tmp_path, "plan_a")
    b = small_file(tmp_path, "plan_b", revenue_per_month=180_000.0)
    out = tmp_path / "cmp"
    args = ["compare", a, b, "-r", "3", "-w", "1", "--no-progress", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "paired comparison with 'plan_a': 2 months after a 1-month warm-up; "
        "3 replications, seed 0"
    )
    assert "95% CI of the mean difference over 3 simulated runs of 2 months" in lines[2]
    assert "plan_b vs plan_a" in lines and "P(better)" in result.stdout
    assert "e+" not in result.stdout and "e-0" not in result.stdout
    rows = rows_of(result.stdout)
    # A higher quota, the same sales: attainment falls in every replication, in points.
    attainment = rows["Team attainment (revenue as a share of quota)"]
    assert attainment[0] == "%" and attainment[1].endswith("%")
    assert attainment[3].startswith("-") and attainment[3].endswith(" pp")
    assert attainment[-1] == "0% (higher)"  # worse in every replication
    # A calibration diagnostic: no way is better, so no P(better).
    phone = rows["F7: deals closed on the phone (field: 1%)"]
    assert phone[-1] in ("-", "no difference") and "higher" not in phone
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"plan_b"}
    # Every metric pairs all 3 replications, or none where it is undefined (F2 needs 4
    # months; classes need completed windows).
    assert table["n"].isin([0, 3]).all() and (table.set_index("metric").loc["revenue", "n"] == 3)
    assert (out / "plan_a" / "manifest.json").is_file() and (out / "plan_b").is_dir()
    # Again on the same folder: nothing left to compute, and it says so.
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert again.stderr == (f"all 6 replications (2 scenarios x 3) already stored in {out}; "
                            "nothing to compute; showing the stored results\n")  # fmt: skip
    assert again.stdout == result.stdout


def test_cli_compare_a_scenario_with_a_copy_of_itself_shows_no_difference(tmp_path):
    """Every metric is identical in every replication: "no difference", no p-value and no
    P(better) of 0.00, for every row shown."""
    a = small_file(tmp_path, "plan_a")
    copy = small_file(tmp_path, "copy")
    result = runner.invoke(app, ["compare", a, copy, "-r", "2", "-w", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert "Revenue (new deals)" in rows and "F7: deals closed on the phone (field: 1%)" in rows
    for label, cells in rows.items():
        assert cells[-1] == "no difference", (label, cells)
        assert cells[4:6] == ["-", "-"], (label, cells)  # no CI, no p-value
    assert "0%" not in " ".join(c for cells in rows.values() for c in cells[4:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["one"], "compare needs at least 2 scenario files", id="one file"),
        pytest.param(["same", "same"], "scenario names must differ", id="same name"),
        pytest.param(["a", "b", "--baseline", "zz"], "--baseline 'zz': no such scenario",
                     id="unknown baseline"),
        pytest.param(["a", "missing"], "missing.yaml", id="missing file"),
    ],
)  # fmt: skip
def test_cli_compare_bad_input_exits_2(tmp_path, args, message):
    files = {"one": small_file(tmp_path, "one"), "same": small_file(tmp_path, "same"),
             "a": small_file(tmp_path, "a"), "b": small_file(tmp_path, "b"),
             "missing": str(tmp_path / "missing.yaml")}  # fmt: skip
    argv = [files.get(x, x) for x in args]
    result = runner.invoke(app, ["compare", *argv, "-r", "2", "--no-progress"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------------------- precision
def test_precision_runs_until_the_intervals_are_narrow_enough():
    """Batches of 4 until every headline 95% CI half-width is within 5% of its mean: the
    target is met at the count reported and was not met one batch earlier; the batches
    are the replications of a plain run of that many."""
    from simsales.experiment.runs import imprecise_metrics, run_until_precise
    from simsales.metrics.catalogue import PRECISION

    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(reps=16, months=3))
    res = run_until_precise(base, precision=0.05, batch=4, max_replications=80, seed=2,
                            workers=1)  # fmt: skip
    info = res.manifest["precision"]
    n = info["replications"]
    assert info["imprecise"] == [] and n % 4 == 0 and 8 <= n < 80
    assert info["metrics"] == list(PRECISION)
    assert imprecise_metrics(res.summary(), 0.05, PRECISION) == []
    fewer = simsales.run(base, replications=n - 4, seed=2, workers=1)
    assert imprecise_metrics(fewer.summary(), 0.05, PRECISION) != []
    plain = simsales.run(base, replications=n, seed=2, workers=1)
    pd.testing.assert_frame_equal(res.team_month, plain.team_month)


def test_an_impossible_precision_target_exits_2():
    result = runner.invoke(app, ["run", "--precision", "0", "--no-progress"])
    assert result.exit_code == 2 and "an impossible target" in result.output
    capped = runner.invoke(app, ["run", "--precision", "0.05", "--batch", "10",
                                 "--max-replications", "4", "--no-progress"])  # fmt: skip
    assert capped.exit_code == 2 and "must be >= --batch" in capped.output

"""The metric catalogue covers every headline metric and writes values as people read them;
it is the one place a metric's label, unit, direction, format, group and views are
declared, and every view (the CLI summary and comparison, the report, the plots, the
sweep, the sensitivity plot, --precision) shows exactly its words."""

from __future__ import annotations

import ast
import html
import inspect
import json
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from simsales import plotting  # noqa: E402
from simsales.cli import app  # noqa: E402
from simsales.experiment.runs import run_until_precise  # noqa: E402
from simsales.metrics import catalogue  # noqa: E402
from simsales.metrics.catalogue import (  # noqa: E402
    CATALOGUE,
    GROUPS,
    PRECISION,
    VIEWS,
    metric,
    ordered,
    shown_in,
)
from simsales.metrics.compare import comparison_text, paired_comparison  # noqa: E402
from simsales.metrics.summary import F7_GROUPS, F7_PERCENT  # noqa: E402
from simsales.present.text import format_summary  # noqa: E402
from tests.conftest import ROOT, small_overrides  # noqa: E402

LABELS = {m.label for m in CATALOGUE.values()}


def test_every_headline_metric_is_catalogued(small_results):
    names = set(small_results.metrics().columns)
    assert names == set(CATALOGUE), (
        f"not catalogued: {sorted(names - set(CATALOGUE))}; "
        f"catalogued but not computed: {sorted(set(CATALOGUE) - names)}"
    )


def test_entries_are_complete_and_plain():
    for m in CATALOGUE.values():
        assert m.group in GROUPS
        assert m.better in ("higher", "lower", None)
        assert "_" not in m.label, f"{m.name}: label {m.label!r} reads like code"
        assert m.kind == "share" or m.unit, f"{m.name}: a non-share needs a unit"
        assert m.views <= set(VIEWS), f"{m.name}: views {sorted(m.views - set(VIEWS))}"
    diagnostics = [m for m in CATALOGUE.values() if m.group == "Calibration diagnostics"]
    assert diagnostics and all(m.better is None for m in diagnostics)
    assert len({m.label for m in CATALOGUE.values()}) == len(CATALOGUE)  # no two alike


def test_values_are_written_for_people():
    assert metric("revenue").format(121_266_541.4) == "121,266,541"
    assert metric("revenue").format(1.2e9) == "1,200,000,000"  # never 1.2e+09
    assert metric("revenue").format(-16_686_879, signed=True) == "-16,686,879"
    assert metric("revenue").format_short(-16_686_879, signed=True) == "-16.7 M"
    assert metric("share_at_quota").format(0.4721) == "47.2%"
    assert metric("share_at_quota").format(-0.031, signed=True) == "-3.1 pp"
    assert metric("reps_on_post").format(64.14) == "64.1"
    assert metric("reps_on_post").format(math.nan) == "-"
    assert metric("stale_to_pool").format(-0.2) == "0"  # rounds to zero: no "-0"
    assert metric("my_own_column").label == "my_own_column"


def test_differences_effects_and_units_are_written_one_way():
    """A difference carries its sign unless it rounds to zero; an effect (a sensitivity
    index) is money in yuan, a share's in points, a small number to 4 decimals; a table
    of written values heads a share "%", a data frame's unit says "share"."""
    revenue, quota, reps = metric("revenue"), metric("share_at_quota"), metric("reps_on_post")
    assert revenue.format_difference(9_850.4) == "+9,850"
    assert revenue.format_difference(-0.3) == "0" and quota.format_difference(-0.0001) == "0.0 pp"
    assert quota.format_difference(-0.119) == "-11.9 pp"
    assert reps.format_difference(-13.31) == "-13.3"
    assert revenue.format_effect(1_234_567.8) == "1,234,568"
    assert quota.format_effect(0.031) == "3.1 pp" and quota.format_effect(-0.031) == "-3.1 pp"
    assert reps.format_effect(0.01234) == "0.0123" and reps.format_effect(1234.5) == "1,234"
    assert reps.format_effect(math.nan) == "-"
    assert (quota.unit_label, quota.data_unit) == ("%", "share")
    assert (revenue.unit_label, revenue.data_unit) == ("yuan", "yuan")


def test_short_labels_and_phrases_drop_the_note_in_brackets():
    assert metric("margin").short_label == "Margin" and metric("margin").phrase == "margin"
    assert metric("reps_on_post").phrase == "reps on post"
    assert metric("payroll").phrase == "reps' pay"
    assert metric("f2_sign_rate").phrase == "F2: share of entered leads that sign"  # F-ID kept
    assert metric("revenue").short_label == "Revenue"


def test_money_and_headcount_come_first_and_diagnostics_last():
    order = ordered(["f2_sign_rate", "quits", "my_own", "reps_on_post", "revenue"])
    assert order == ["revenue", "reps_on_post", "quits", "f2_sign_rate", "my_own"]


# ------------------------------------------------------------------------------ views
def test_every_view_lists_catalogued_metrics_in_the_catalogues_order():
    for view in VIEWS:
        names = shown_in(view)
        assert names, f"view {view!r} shows nothing"
        assert list(names) == ordered(names) and set(names) <= set(CATALOGUE)
        assert names == tuple(n for n, m in CATALOGUE.items() if view in m.views)
    assert PRECISION == ("revenue", "margin", "reps_on_post", "signings", "share_at_quota")
    with pytest.raises(ValueError, match="no view 'headline' in the metric catalogue; allowed"):
        shown_in("headline")
    with pytest.raises(ValueError, match="unknown view.*'nowhere'"):
        catalogue._m("x", "X", "xs", "Money", "count", None, views="report nowhere")


def test_the_callers_choices_are_the_catalogues_views():
    import simsales.cli
    import simsales.present.report

    assert simsales.report.HEADLINE == shown_in("report")
    assert simsales.report.FOREST == shown_in("forest")
    assert simsales.report.FANS == shown_in("fan")
    assert simsales.present.text.SWEEP_SHOWN == shown_in("sweep")
    assert plotting.KPI_BARS == shown_in("class_kpis")
    default = inspect.signature(run_until_precise).parameters["metrics"].default
    assert default is PRECISION


# --------------------------------------------- nothing declared outside the catalogue
# The modules that show, choose or write metrics. Left out, as they compute rather than
# present: the simulation (engine, model, policies, simulate.py), the scenario schema, and
# the tables of the run and of cohorts (their columns share names with metrics).
COMPUTING = ("engine", "model", "policies", "scenario", "simulate.py")
COLUMN_TABLES = ("metrics/tables.py", "metrics/cohorts.py", "metrics/catalogue.py")
# Declarations the scan finds that are not about metrics, with the reason.
NOT_ABOUT_METRICS = {
    ("plotting.py", "FUNNEL_STAGES"): "team_month columns as funnel stages, each with its "
    "field figure; their labels are the catalogue's (stage_label)",
    ("backtest.py", "REASON"): "the roster history's leave_reason counted by each leaver "
    "metric of the catalogue's backtest view; no label, choice or direction",
}


def presentation_modules() -> list[Path]:
    package = ROOT / "simsales"
    return sorted(
        p
        for p in package.rglob("*.py")
        if p.relative_to(package).parts[0] not in COMPUTING
        and p.relative_to(package).as_posix() not in COLUMN_TABLES
    )


def declared_outside(source: str) -> list[tuple[str, int, str]]:
    """What ``source`` declares that only the catalogue may, as (assigned name, line,
    what): a string that is a metric's label or short label; a tuple, list or set of two
    or more metric names (a choice of metrics, e.g. what --precision watches); a dict
    from two or more metric names to constants (a label, unit, direction or format per
    metric). Metric names used one at a time, and tables of how to compute metrics, are
    not declarations."""
    labels = LABELS | {m.short_label for m in CATALOGUE.values()}

    def names(nodes) -> list[str]:
        return [n.value for n in nodes if isinstance(n, ast.Constant) and n.value in CATALOGUE]

    tree = ast.parse(source)
    target = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            first = node.targets[0] if isinstance(node, ast.Assign) else node.target
            for inner in ast.walk(node.value):
                target[id(inner)] = ast.unparse(first)
    found = []
    for node in ast.walk(tree):
        where = (target.get(id(node), ""), getattr(node, "lineno", 0))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in labels:
            found.append((*where, f"label {node.value!r}"))
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(names(node.elts)) >= 2:
            found.append((*where, f"metrics {names(node.elts)}"))
        elif (
            isinstance(node, ast.Dict)
            and len(names(node.keys)) >= 2
            and all(isinstance(v, ast.Constant) for v in node.values)
        ):
            found.append((*where, f"a table of {names(node.keys)}"))
    return found


def test_the_scan_finds_labels_choices_and_tables_of_metrics():
    """The scan below can fail: it finds each kind of declaration, and leaves alone a
    metric used by name, an f-string and a table computing metrics."""
    source = """
HEADLINE = ("revenue", "signings", "margin")
BETTER = {"revenue": "higher", "payroll": "lower"}
TITLE = "Deals signed"
SHORT = "Reps on post"
one = summary.loc["revenue"]
text = f"{value} deals signed"
out = {"revenue": tm["revenue"].sum(), "signings": tm["signings"].sum()}
"""
    found = declared_outside(source)
    assert [(name, what.split()[0]) for name, _, what in found] == [
        ("HEADLINE", "metrics"),
        ("BETTER", "a"),
        ("TITLE", "label"),
        ("SHORT", "label"),
    ]


def test_no_metric_is_labelled_chosen_or_directed_outside_the_catalogue():
    modules = presentation_modules()
    assert {"cli.py", "report.py", "plotting.py", "text.py", "runs.py", "summary.py",
            "compare.py", "sensitivity.py", "sweeps.py", "calibration.py",
            "results.py"} <= {p.name for p in modules}  # fmt: skip
    problems = []
    for path in modules:
        for name, line, what in declared_outside(path.read_text(encoding="utf-8")):
            if (path.name, name) not in NOT_ABOUT_METRICS:
                problems.append(f"{path.relative_to(ROOT)}:{line} {name}: {what}")
    assert not problems, "declare these in simsales/metrics/catalogue.py:\n" + "\n".join(problems)


def test_docs_describe_exactly_the_catalogued_metrics():
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    section = text.split("### 4.6 Summary metrics")[1]
    table = section.split("| metric | unit | definition |")[1].split("\n\n")[0]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.M)
    assert sorted(documented) == sorted(CATALOGUE)


def test_f7_labels_say_the_field_figures_the_diagnostics_are_held_against():
    """The F7 diagnostics, one per touch group of the summary, each label saying F7's
    share (rounded to a whole percent of 101)."""
    f7 = [name for name in CATALOGUE if name.startswith("f7_share_")]
    assert f7 == [f"f7_share_{group}" for group in F7_GROUPS]
    for group, percent in F7_PERCENT.items():
        label = metric(f"f7_share_{group}").label
        assert label.endswith(f"(field: {percent}%)"), label


# ------------------------------------------------------- every view uses the labels
def table_rows(text: str) -> list[tuple[str, list[str]]]:
    """The rows of the plain-text tables of ``text`` (summary or comparison): the label,
    its wrapped lines joined, and the cells after it (unit, then values)."""
    rows: list[tuple[str, list[str]]] = []
    unit_at = None
    for line in text.splitlines():
        if line.startswith("  metric "):
            unit_at = line.index(" unit ") + 1
        elif not line.strip() or line in GROUPS or not line.startswith("  "):
            unit_at = None if not line.strip() else unit_at
        elif unit_at and line.startswith("    "):  # a wrapped label's next line
            label, cells = rows[-1]
            rows[-1] = (f"{label} {line.strip()}", cells)
        elif unit_at:
            rows.append((line[:unit_at].strip(), re.split(r"\s{2,}", line[unit_at:].strip())))
    return rows


def shown(metrics: pd.DataFrame) -> list[str]:
    """The metrics a summary shows: with a value, and not all zero if shown only then."""
    return [
        name
        for name in ordered(list(metrics.columns))
        if metrics[name].notna().any()
        and not (metric(name).only_if_any and (metrics[name].fillna(0) == 0).all())
    ]


def test_the_cli_summary_shows_the_catalogues_labels_and_units(small_results):
    metrics = small_results.metrics()
    rows = table_rows(format_summary(small_results.summary()))
    assert [label for label, _ in rows] == [metric(n).label for n in shown(metrics)]
    assert [cells[0] for _, cells in rows] == [metric(n).unit_label for n in shown(metrics)]


def test_the_comparison_text_shows_the_catalogues_labels_units_and_directions(small_results):
    base = small_results.metrics()
    rng = np.random.default_rng(0)
    other = base * rng.uniform(0.9, 1.1, size=base.shape)
    other.index = other.index.set_levels(["other"], level="scenario")
    table = paired_comparison(pd.concat([base, other]), base.index[0][0])
    rows = table_rows(comparison_text(table, base.index[0][0]))
    names = shown(base)
    assert [label for label, _ in rows] == [metric(n).label for n in names]
    assert [cells[0] for _, cells in rows] == [metric(n).unit_label for n in names]
    for (_, cells), name in zip(rows, names, strict=True):
        way = metric(name).better
        ok = cells[-1].endswith(f"({way})") if way else cells[-1] == "-"
        assert ok or cells[-1] == "no difference", (name, cells)
    assert table.set_index("metric")["label"].to_dict() == {n: metric(n).label for n in base}
    assert table.set_index("metric")["unit"].to_dict() == {n: metric(n).data_unit for n in base}


def test_plots_write_the_catalogues_labels(small_results):
    team_month, funnel = small_results.team_month, small_results.funnel
    fig = plotting.fan_chart(team_month, "margin")
    assert fig.axes[0].get_ylabel() == "Margin in the month [yuan]"
    left, right = plotting.lead_funnel(team_month, funnel).axes
    stages = [t.get_text() for t in left.get_yticklabels()]
    assert stages == ["Prospect records (F1)", "Phone appointments (F1)", "First visits (F1)",
                      "Leads entered in the CRM (F3)", "Deals signed (F2)"]  # fmt: skip
    touches = [t.get_text() for t in right.get_xticklabels()]
    assert touches == ["on the phone", "at the first visit", "at the 1st follow-up",
                       "at the 2nd follow-up", "at the 3rd follow-up",
                       "at follow-ups 4-11"]  # fmt: skip
    for touch, group in zip(touches, F7_GROUPS, strict=True):
        assert metric(f"f7_share_{group}").label.startswith(f"F7: deals closed {touch} (field")
    base = small_results.metrics()
    other = base * 1.05
    other.index = other.index.set_levels(["other"], level="scenario")
    table = paired_comparison(pd.concat([base, other]), base.index[0][0])
    forest = plotting.forest_plot(table, list(shown_in("forest")))
    ticks = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    mark = {"higher": "  (↑ better)", "lower": "  (↓ better)", None: ""}
    drawn = [n for n in shown_in("forest") if table.set_index("metric").loc[n, "n"] > 0
             and table.set_index("metric").loc[n, "baseline_mean"] != 0]  # fmt: skip
    assert [t for t in ticks if t not in GROUPS] == [
        metric(n).label + mark[metric(n).better] for n in drawn
    ]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_the_report_shows_the_catalogues_labels(small_results):
    from simsales.present.report import render_report

    page = render_report(small_results)  # its figures are closed as they are embedded

    def first_cells(section: str) -> list[str]:
        body = page.split(f'<section id="{section}">')[1].split("</section>")[0]
        table = body.split("<tbody>")[1].split("</tbody>")[0]
        return [html.unescape(c) for c in re.findall(r'<tr><td class="text">(.*?)</td>', table)]

    metrics = small_results.metrics()
    expected = [n for n in shown(metrics) if n in shown_in("report")]
    assert first_cells("headline") == [metric(n).label for n in expected]
    cohort = [n for n in CATALOGUE if metric(n).group == "New-rep classes"]
    if "No hiring class went on post" not in page:
        assert first_cells("cohorts") == [metric(n).label for n in cohort]


def test_precision_watches_the_catalogues_metrics_and_says_them(tmp_path):
    """--precision's metrics are the catalogue's precision view: its help names them, the
    manifest records them, and the last line lists their labels."""
    runner = CliRunner()
    help_text = " ".join(runner.invoke(app, ["run", "--help"]).stdout.split())
    assert ("until the 95% CIs of revenue, margin, reps on post, deals signed and reps at "
            "quota are within") in help_text  # fmt: skip
    overrides = [a for key, value in small_overrides(months=4).items()
                 for a in ("--set", f"{key}={json.dumps(value)}")]  # fmt: skip
    out = tmp_path / "precise"
    result = runner.invoke(app, ["run", *overrides, "--precision", "0.99", "--batch", "2",
                                 "--max-replications", "10", "-w", "1", "--no-progress",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["precision"]["metrics"] == list(PRECISION)
    labels = ", ".join(metric(n).label for n in PRECISION)
    done = manifest["precision"]["replications"]
    assert result.stdout.splitlines()[-2] == (
        f"precision: 95% CI half-width within 99% of the mean for {labels} after {done} "
        "replications"
    )
    with pytest.raises(ValueError, match="unknown: \\['happiness'\\]"):
        run_until_precise(None, metrics=["revenue", "happiness"])

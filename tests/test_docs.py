"""The model card (docs/model.md) documents every parameter, result column and metric."""

from __future__ import annotations

import inspect
import math
import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import simsales
from simsales.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
MODEL_CARD = ROOT / "docs" / "model.md"
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# A run small enough to take a few seconds: the tables' columns do not depend on size.
TINY = {
    "team.reps": 8,
    "team.supervisor_groups": 2,
    "market.territories": [{"name": "A", "firms": 20000}, {"name": "B", "firms": 20000}],
    "horizon.months": 2,
    "horizon.warmup_months": 1,
}


def _model_class(annotation: object) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and typing.get_origin(annotation) is None:
        if issubclass(annotation, BaseModel):
            return annotation
    return None


def leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf field, as written in scenario files and the model card.

    Nested models become ``a.b``, grade models ``a.A``..``a.D``, and a list of models
    ``a[].field`` (e.g. ``market.territories[].firms``).
    """
    paths: list[str] = []
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)  # as written in files: changes[].set
        annotation = field.annotation
        if path == "changes":  # optional, and documented field by field (changes[].month)
            (annotation,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        nested = _model_class(annotation)
        if nested is not None:
            paths += leaf_paths(nested, path + ".")
            continue
        if typing.get_origin(annotation) is list:
            (item,) = typing.get_args(annotation)
            item_model = _model_class(item)
            if item_model is not None:
                paths += leaf_paths(item_model, path + "[].")
                continue
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def card() -> str:
    assert MODEL_CARD.is_file(), f"model card missing: {MODEL_CARD}"
    return MODEL_CARD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_results() -> simsales.Results:
    scenario = simsales.load_scenario(BASELINE).with_overrides(TINY)
    return simsales.run(scenario, replications=1, workers=1)


def _undocumented(names, card: str) -> list[str]:
    """Names not mentioned in the card as inline code (`name`)."""
    return sorted({n for n in names if f"`{n}`" not in card})


def test_walker_finds_nested_grade_and_list_fields():
    paths = leaf_paths(Scenario)
    for expected in (
        "schema_version",
        "name",
        "horizon.days_per_month",
        "rep.norms.prospect_records",
        "leads.grade_mix.A",
        "leads.followup_cadence_days.D",
        "leads.signing_touch_shares",
        "market.territories[].name",
        "market.territories[].firms",
    ):
        assert expected in paths
    assert "market.territories" not in paths
    assert "leads.grade_mix" not in paths


def test_every_parameter_is_documented(card):
    missing = _undocumented(leaf_paths(Scenario), card)
    assert not missing, f"parameters missing from docs/model.md: {', '.join(missing)}"


def test_every_result_column_is_documented(card, tiny_results):
    missing = []
    for table in (
        "team_month",
        "territory_month",
        "rep_month",
        "funnel",
        "lead_cohorts",
        "cohorts",
    ):
        columns = getattr(tiny_results, table).columns
        missing += [f"{table}.{c}" for c in _undocumented(columns, card)]
        assert f"`{table}`" in card, f"table {table} is not described in docs/model.md"
    assert not missing, f"result columns missing from docs/model.md: {', '.join(missing)}"


def test_every_summary_metric_is_documented(card, tiny_results):
    summary = tiny_results.summary()
    metrics = summary["metric"].unique()
    assert len(metrics) > 0
    missing = _undocumented(metrics, card)
    assert not missing, f"summary metrics missing from docs/model.md: {', '.join(missing)}"
    missing_cols = _undocumented(summary.columns, card)
    assert not missing_cols, f"summary columns missing from docs/model.md: {missing_cols}"


def _table_defaults(card: str) -> dict[str, str]:
    """Default column of the parameter tables: rows ``| `path` | unit | default | ...``."""
    out = {}
    for line in card.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[0].endswith("`"):
            out.setdefault(cells[0].strip("`"), cells[2])
    return out


def _lookup(data: dict, path: str):
    node = data
    for part in path.split("."):
        node = node[part]
    return node


def _same(documented: object, actual: object) -> bool:
    if isinstance(actual, list):
        return (
            isinstance(documented, list)
            and len(documented) == len(actual)
            and all(_same(d, a) for d, a in zip(documented, actual, strict=True))
        )
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        return isinstance(documented, int | float) and math.isclose(documented, actual)
    return str(documented) == str(actual)


def test_documented_defaults_match_baseline(card):
    """The card's default column follows scenarios/baseline.yaml (e.g. after recalibration)."""
    baseline = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    defaults = _table_defaults(card)
    wrong = []
    for path in leaf_paths(Scenario):
        if "[]" in path:
            continue  # territories: a list, described in words
        cell = defaults.get(path)
        assert cell is not None, f"{path} has no row in the parameter tables of docs/model.md"
        try:
            actual = _lookup(baseline, path)
        except KeyError:  # a field the baseline's hiring policy does not use
            assert cell == "-", f"{path} is not in baseline.yaml; its default should be -"
            continue
        documented = yaml.safe_load(cell.strip("`"))
        if not _same(documented, actual):
            wrong.append(f"{path}: card says {cell}, baseline.yaml has {actual}")
    assert not wrong, "defaults in docs/model.md differ from baseline.yaml:\n" + "\n".join(wrong)


FIELD_FIGURES = ROOT / "docs" / "field_figures.md"
F_ID = re.compile(r"\bF(\d+)\b")
# A figure's row: | F7 | the figure | what simsales does with it | source codes |
FIGURE_ROW = re.compile(r"^\| (F\d+) \| (.+?) \| (.+?) \| (.+?) \|$")
SOURCE_ROW = re.compile(r"^\| (\d{3}) \| `(\d{3}_[0-9a-f]{16}\.txt)` \| (.+?) \|$")


def _figure_rows() -> dict[str, list[tuple[str, str, str]]]:
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for line in FIELD_FIGURES.read_text(encoding="utf-8").splitlines():
        m = FIGURE_ROW.match(line)
        if m:
            rows.setdefault(m[1], []).append((m[2], m[3], m[4]))
    return rows


def _citing_files() -> list[Path]:
    """Where F-IDs are cited: the package's code, the scenarios and the model card."""
    code = [p for p in (ROOT / "simsales").rglob("*.py") if "__pycache__" not in p.parts]
    scenarios = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "scenarios/schema.json"]
    return sorted(code) + scenarios + [MODEL_CARD]


def test_field_figures_have_one_entry_each_with_its_source():
    text = FIELD_FIGURES.read_text(encoding="utf-8")
    sources = {m[1] for m in map(SOURCE_ROW.match, text.splitlines()) if m}
    assert sources == {"000", "001", "002", "003", "004"}
    rows = _figure_rows()
    assert list(rows) == [f"F{i}" for i in range(1, 43)], "F1..F42 in order, nothing else"
    for fid, entries in rows.items():
        assert len(entries) == 1, f"{fid} has {len(entries)} entries"
        ((figure, use, source),) = entries
        assert len(figure) > 20 and len(use) > 10, f"{fid}: figure or use missing"
        cited = set(source.split(", "))
        assert cited and cited <= sources, f"{fid}: source {source!r} is not a listed document"


def test_every_cited_field_figure_is_in_field_figures():
    rows = _figure_rows()
    missing = sorted(
        f"{path.relative_to(ROOT)}: F{n}"
        for path in _citing_files()
        for n in set(F_ID.findall(path.read_text(encoding="utf-8")))
        if f"F{n}" not in rows
    )
    assert len(_citing_files()) > 20
    assert not missing, "F-IDs cited but not in docs/field_figures.md:\n" + "\n".join(missing)


def test_model_card_points_to_field_figures_not_the_seed_sheet():
    card = MODEL_CARD.read_text(encoding="utf-8")
    assert "(field_figures.md)" in card.split("## 1.")[0]  # linked before section 1
    stale = [p for p in _citing_files() if p.suffix in (".py", ".md", ".yaml")]
    stale = [str(p.relative_to(ROOT)) for p in stale if "SEED_FIGURES" in p.read_text("utf-8")]
    assert not stale, f"still pointing to SEED_FIGURES.md: {stale}"

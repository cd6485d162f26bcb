"""The model card (docs/model.md) documents every parameter, result column and metric."""

from __future__ import annotations

import inspect
import math
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
        path = prefix + name
        annotation = field.annotation
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

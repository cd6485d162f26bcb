"""Layout of the scenario schema (issue 16): one module per section, cross-section rules in
one place, and the JSON Schema unchanged by the split.

The section modules live in ``simsales/scenario/sections``; ``simsales/scenario/schema.py``
holds ``Scenario``, every rule that reads more than one section (``CROSS_SECTION_CHECKS``)
and re-exports the section models. The tests read the modules' source with ``ast``, so a
new import between section modules or a cross-section rule put inside a section fails here.
"""

from __future__ import annotations

import ast
import importlib
import json
import typing
from pathlib import Path

import pytest

from simsales.scenario import schema
from simsales.scenario.schema import CROSS_SECTION_CHECKS, Scenario, json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_JSON = ROOT / "scenarios" / "schema.json"
SECTIONS_DIR = ROOT / "simsales" / "scenario" / "sections"
SCHEMA_PY = ROOT / "simsales" / "scenario" / "schema.py"
COMMON = "simsales.scenario.sections.common"

# Which module holds the model of each section of a scenario file (a key of Scenario).
SECTION_MODULE = {
    "horizon": "horizon",
    "team": "team",
    "rep": "team",
    "skill": "team",
    "supervisor": "team",
    "market": "market",
    "leads": "leads",
    "quota": "quota",
    "pay": "pay",
    "behaviour": "behaviour",
    "workforce": "workforce",
    "customers": "customers",
    "roles": "roles",
    "changes": "changes",
    "shocks": "shocks",
}
# Section modules allowed to import another section module because a section of theirs
# nests a model of the other. None does: nested models (rep.norms, market.territories,
# pay.commission, workforce.hiring, ...) sit in their section's own module, and the one
# model two sections share, GradeValues (market.territories[].grade_mix, leads.grade_mix),
# is in common.
NESTS: dict[str, set[str]] = {}
SECTION_FILES = sorted(p for p in SECTIONS_DIR.glob("*.py") if p.stem not in ("__init__", "common"))


def simsales_imports(path: Path) -> set[str]:
    """Modules of the simsales package that the file at ``path`` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.name}: use absolute imports, not relative ones")
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n for n in names if n == "simsales" or n.startswith("simsales.")}
    return found


def test_schema_text_is_scenarios_schema_json():
    """Splitting the schema into modules leaves scenarios/schema.json byte for byte as is."""
    assert json_schema() == SCHEMA_JSON.read_text(encoding="utf-8")


def test_every_section_is_in_its_module():
    assert set(SECTION_MODULE) | {"schema_version", "name", "description"} == set(
        Scenario.model_fields
    )
    for key, module in SECTION_MODULE.items():
        model = Scenario.model_fields[key].annotation
        while typing.get_args(model):  # changes: list[Change] | None -> Change
            model = typing.get_args(model)[0]
        assert model.__module__ == f"simsales.scenario.sections.{module}", key


def section_classes() -> dict[str, list[str]]:
    """Each class defined in a section module: the modules that define a class of that name."""
    homes: dict[str, list[str]] = {}
    for path in SECTIONS_DIR.glob("*.py"):
        module = importlib.import_module(f"simsales.scenario.sections.{path.stem}")
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__:
                homes.setdefault(name, []).append(path.stem)
    return homes


def test_every_model_of_the_json_schema_lives_in_a_section_module_and_is_re_exported():
    """Each ``$defs`` entry (named after its class) is a class of exactly one section
    module, and ``from simsales.scenario.schema import <it>`` still works."""
    defs = json.loads(json_schema())["$defs"]
    homes = section_classes()
    assert len(defs) >= 30
    for name in defs:
        assert len(homes.get(name, [])) == 1, (name, homes.get(name))
        assert name in schema.__all__
        assert getattr(schema, name).__module__.endswith("." + homes[name][0])


def test_common_imports_no_other_simsales_module():
    assert simsales_imports(SECTIONS_DIR / "common.py") == set()


@pytest.mark.parametrize("path", SECTION_FILES, ids=lambda p: p.stem)
def test_section_module_imports_only_common(path):
    """A section module imports from the common module only (or a section it nests)."""
    allowed = {COMMON} | {f"simsales.scenario.sections.{m}" for m in NESTS.get(path.stem, ())}
    assert simsales_imports(path) <= allowed
    assert COMMON in simsales_imports(path)


@pytest.mark.parametrize("path", SECTION_FILES, ids=lambda p: p.stem)
def test_section_rules_cannot_see_other_sections(path):
    """A section model's validators see only their own model: nothing in a section module
    names Scenario, and no validator takes a ValidationInfo (whose context could carry
    another section)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"Scenario", "ValidationInfo", "context"}
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        decorators = ast.unparse(fn.decorator_list) if fn.decorator_list else ""
        if "validator" in decorators:
            assert [a.arg for a in fn.args.args] == ["self"], (path.stem, fn.name)


def sections_read(fn: ast.FunctionDef) -> set[str]:
    """Sections of the scenario (``scenario.<key>``) that a check function reads."""
    return {
        n.attr
        for n in ast.walk(fn)
        if isinstance(n, ast.Attribute)
        and isinstance(n.value, ast.Name)
        and n.value.id == "scenario"
        and n.attr in SECTION_MODULE
    }


def test_cross_section_checks_are_all_in_schema_and_each_reads_two_sections():
    """Every module-level check of schema.py is in CROSS_SECTION_CHECKS, each reads at
    least two sections (else it belongs in its section), and Scenario has one validator,
    which runs them."""
    tree = ast.parse(SCHEMA_PY.read_text(encoding="utf-8"))
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    checks = {
        name
        for name, fn in functions.items()
        if fn.args.args[:1] and fn.args.args[0].arg == "scenario"
    }
    assert checks == {check.__name__ for check in CROSS_SECTION_CHECKS}
    assert len(CROSS_SECTION_CHECKS) == len(checks) >= 6
    for check in CROSS_SECTION_CHECKS:
        assert check.__module__ == "simsales.scenario.schema"
        read = sections_read(functions[check.__name__])
        assert len(read) >= 2, (check.__name__, read)
    assert list(Scenario.__pydantic_decorators__.model_validators) == ["_cross_section"]

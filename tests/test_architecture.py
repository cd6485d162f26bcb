"""The rules of the house (docs/architecture.md), checked: the import-linter contract
(layers point one way; policies schedule nothing and make no generators; the model does
no I/O, plotting or CLI), only engine/rng.py makes random generators, only the agenda
schedules SimPy events, and library code never prints."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simsales"


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def calls_in(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every call in ``path``, e.g. (12, "np.random.default_rng")."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            parts, f = [], node.func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            out.append((node.lineno, ".".join(reversed(parts))))
    return out


def test_import_contract_is_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed (pip install -e '.[dev]')"
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


GENERATORS = ("default_rng", "SeedSequence", "PCG64", "Generator", "RandomState", "seed")


def test_only_engine_rng_makes_random_generators():
    found = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in sources()
        if path != PACKAGE / "engine" / "rng.py"
        for line, name in calls_in(path)
        if name.split(".")[-1] in GENERATORS and ("random" in name or name in GENERATORS)
    ]
    assert not found, found


@pytest.mark.parametrize(
    "name", ["env.timeout", "env.process", "env.schedule", "simpy.Environment"]
)
def test_only_the_agenda_schedules_simpy_events(name):
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources()
        if path != PACKAGE / "engine" / "clock.py"
        for line, called in calls_in(path)
        if called.endswith(name)
    ]
    assert not found, found


def test_library_code_never_prints():
    allowed = {PACKAGE / "cli.py"}  # the command line prints, through typer.echo
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sources()
        if path not in allowed
        for line, called in calls_in(path)
        if called == "print"
    ]
    assert not found, found


def test_pipeline_columns_are_declared_for_the_type_checker():
    """Pipeline's columns are set in a loop; their declarations (for mypy) must match."""
    from simsales.model.pipeline import COLUMNS, Pipeline

    declared = tuple(k for k in Pipeline.__annotations__ if k in COLUMNS)
    assert declared == COLUMNS


def test_the_package_type_checks():
    """mypy (its settings in pyproject.toml's [tool.mypy]) finds no error in the package;
    its cache (.mypy_cache) makes a rerun take a second or two. mypy comes with the dev
    extra (pip install -e '.[dev]')."""
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success: no issues found")

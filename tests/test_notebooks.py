"""The notebooks' shape (their execution is `make test`'s nbmake run): each opens with
its question, has one `parameters` cell setting the replication count from the
environment, defines no model code, and the README links each of them and its pictures."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from tests.conftest import ROOT

NOTEBOOKS = [
    "planner_quota_whatif",
    "leader_hiring_strategies",
    "trainer_cohort_outcomes",
    "fit_to_your_team",
]


@pytest.fixture(params=NOTEBOOKS)
def notebook(request):
    return request.param, nbformat.read(ROOT / "notebooks" / f"{request.param}.ipynb", 4)


def test_opens_with_the_question_in_words(notebook):
    _, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "**The question" in first.source


def test_one_parameters_cell_sets_replications_from_the_environment(notebook):
    _, nb = notebook
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"
    assert 'os.environ.get("SIMSALES_NOTEBOOK_REPLICATIONS", 200)' in tagged[0].source
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is tagged[0]


def test_defines_no_model_code(notebook):
    """Simulation lives in simsales: no class, no simpy, no random numbers of its own."""
    _, nb = notebook
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    tree = ast.parse(source)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}  # fmt: skip
    imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and n.module}  # fmt: skip
    assert imported <= {"os", "pathlib", "tempfile", "matplotlib", "pandas", "simsales",
                        "ipywidgets", "IPython"}, imported  # fmt: skip
    assert not re.search(r"\brandom\b|default_rng", source)


def test_readme_links_the_notebooks_and_pictures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f"(notebooks/{name}.ipynb)" in readme
    for picture in ("docs/img/fan_chart.png", "docs/img/comparison.png"):
        assert f"]({picture})" in readme
        assert (ROOT / picture).read_bytes().startswith(b"\x89PNG")

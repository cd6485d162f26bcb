"""The names the README uses exist after a plain ``import simsales``: ``simsales.sweep``
and ``simsales.sensitivity`` are the functions (also after importing their modules),
``simsales.plotting``, ``simsales.report`` and ``simsales.executors`` the modules."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.conftest import ROOT

README = ROOT / "README.md"

# A dotted name after "simsales." in prose, code spans or code blocks (not `simsales run`).
DOTTED = re.compile(r"\bsimsales((?:\.[A-Za-z_]\w*)+)")


def fresh(code: str) -> str:
    """stdout of ``code`` run in a new interpreter (nothing imported before it)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=120)  # fmt: skip
    return out.stdout


def test_sweep_and_sensitivity_are_functions_even_after_their_modules_are_imported():
    code = """
import json, simsales
before = [callable(simsales.sweep), callable(simsales.sensitivity)]
import simsales.experiment.sweeps, simsales.experiment.sensitivity, simsales.experiment
from simsales import plotting, report
after = [simsales.sweep.__name__, simsales.sensitivity.__name__]
print(json.dumps({"before": before, "after": after,
                  "fan_chart": callable(simsales.plotting.fan_chart),
                  "render_report": callable(simsales.report.render_report),
                  "close_pools": callable(simsales.executors.close_pools),
                  "same": simsales.sweep is simsales.experiment.sweeps.sweep}))
"""
    got = json.loads(fresh(code))
    assert got == {"before": [True, True], "after": ["sweep", "sensitivity"],
                   "fan_chart": True, "render_report": True, "close_pools": True,
                   "same": True}  # fmt: skip


def test_every_simsales_name_in_the_readme_exists():
    """Each ``simsales.a.b`` of the README resolves after ``import simsales``, attribute by
    attribute; a subpackage the README imports itself (``from simsales.metrics.cohorts
    import ...``) may be imported first."""
    text = README.read_text(encoding="utf-8")
    names = sorted({m.group(1).strip(".") for m in DOTTED.finditer(text)})
    imported = sorted(set(re.findall(r"from (simsales(?:\.\w+)+) import", text)))
    assert {"run", "compare", "sweep", "load_scenario"} <= set(names)
    code = f"""
import importlib, json, simsales
for module in {imported!r}:
    importlib.import_module(module)
missing = []
for name in {names!r}:
    obj = simsales
    for part in name.split("."):
        if not hasattr(obj, part):
            missing.append(name)
            break
        obj = getattr(obj, part)
print(json.dumps(missing))
"""
    assert json.loads(fresh(code)) == [], "README names missing from simsales"


def test_dir_lists_the_public_names():
    names = json.loads(fresh("import json, simsales; print(json.dumps(dir(simsales)))"))
    assert {"sweep", "sensitivity", "plotting", "report", "executors", "run"} <= set(names)

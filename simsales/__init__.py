"""simsales: a SimPy simulation and what-if planning tool for field-sales teams.

Quick use::

    import simsales
    sc = simsales.load_scenario("scenarios/baseline.yaml").with_overrides({"team.reps": 80})
    res = simsales.run(sc, replications=20, seed=1)
    res.summary()
"""

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# Public names, imported on first use: worker processes that only simulate do not pay
# for pandas and scipy, and `simsales validate` starts fast.
_PUBLIC = {
    "run": "simsales.experiment",
    "compare": "simsales.experiment",
    "Comparison": "simsales.experiment",
    "Results": "simsales.results",
    "ResultsError": "simsales.results",
    "load_results": "simsales.results",
    "Scenario": "simsales.scenario",
    "ScenarioError": "simsales.scenario",
    "load_scenario": "simsales.scenario",
    "baseline_path": "simsales.scenario.paths",
}

__all__ = [
    "Comparison",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "baseline_path",
    "compare",
    "load_results",
    "load_scenario",
    "run",
]

if TYPE_CHECKING:
    from simsales.experiment import Comparison, compare, run
    from simsales.results import Results, ResultsError, load_results
    from simsales.scenario import Scenario, ScenarioError, load_scenario
    from simsales.scenario.paths import baseline_path


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simsales' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

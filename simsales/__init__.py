"""simsales: a SimPy simulation and what-if planning tool for field-sales teams.

Quick use::

    import simsales
    sc = simsales.load_scenario("scenarios/baseline.yaml").with_overrides({"team.reps": 80})
    res = simsales.run(sc, replications=20, seed=1)
    res.summary()

In a plain script, call it under ``if __name__ == "__main__":``: worker processes run
the script again as they start.
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
    "sweep": "simsales.sweeps",
    "sensitivity": "simsales.sensitivity_analysis",
}
# Public modules, imported on first use: simsales.plotting.fan_chart(...).
_MODULES = ("executors", "plotting", "report")

__all__ = [
    "Comparison",
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "baseline_path",
    "compare",
    "executors",
    "load_results",
    "load_scenario",
    "plotting",
    "report",
    "run",
    "sensitivity",
    "sweep",
]

if TYPE_CHECKING:
    from simsales import executors, plotting, report
    from simsales.experiment import Comparison, compare, run
    from simsales.results import Results, ResultsError, load_results
    from simsales.scenario import Scenario, ScenarioError, load_scenario
    from simsales.scenario.paths import baseline_path
    from simsales.sensitivity_analysis import sensitivity
    from simsales.sweeps import sweep


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return import_module(f"simsales.{name}")  # importing sets the attribute
    raise AttributeError(f"module 'simsales' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

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
    "run": "simsales.experiment.runs",
    "compare": "simsales.experiment.runs",
    "Comparison": "simsales.experiment.runs",
    "Results": "simsales.experiment.results",
    "ResultsError": "simsales.experiment.results",
    "load_results": "simsales.experiment.results",
    "Scenario": "simsales.scenario",
    "ScenarioError": "simsales.scenario",
    "load_scenario": "simsales.scenario",
    "baseline_path": "simsales.scenario.paths",
    "sweep": "simsales.experiment.sweeps",
    "sensitivity": "simsales.experiment.sensitivity",
    "plan_hiring": "simsales.experiment.targets",
    "optimise": "simsales.experiment.optimise",
}
# Public modules, imported on first use: simsales.plotting.fan_chart(...).
_MODULES = {
    "executors": "simsales.experiment.executors",
    "plotting": "simsales.present.plotting",
    "report": "simsales.present.report",
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
    "executors",
    "load_results",
    "load_scenario",
    "optimise",
    "plan_hiring",
    "plotting",
    "report",
    "run",
    "sensitivity",
    "sweep",
]

if TYPE_CHECKING:
    from simsales.experiment import executors
    from simsales.experiment.optimise import optimise
    from simsales.experiment.results import Results, ResultsError, load_results
    from simsales.experiment.runs import Comparison, compare, run
    from simsales.experiment.sensitivity import sensitivity
    from simsales.experiment.sweeps import sweep
    from simsales.experiment.targets import plan_hiring
    from simsales.present import plotting, report
    from simsales.scenario import Scenario, ScenarioError, load_scenario
    from simsales.scenario.paths import baseline_path


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        module = import_module(_MODULES[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'simsales' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

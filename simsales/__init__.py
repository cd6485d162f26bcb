"""simsales: a SimPy simulation and what-if planning tool for field-sales teams.

Quick use::

    import simsales
    sc = simsales.load_scenario("scenarios/baseline.yaml").with_overrides({"team.reps": 80})
    res = simsales.run(sc, replications=20, seed=1)
    res.summary()
"""

from simsales.experiment import run
from simsales.results import Results, ResultsError, load_results
from simsales.scenario import Scenario, ScenarioError, load_scenario
from simsales.scenario.paths import baseline_path

__version__ = "0.1.0"

__all__ = [
    "Results",
    "ResultsError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "baseline_path",
    "load_results",
    "load_scenario",
    "run",
]

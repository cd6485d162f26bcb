"""Global sensitivity (``simsales.sensitivity``) of one metric to chosen parameters (needs
``simsales[sensitivity]``, SALib): Morris screening (elementary effects) or Sobol indices
(Saltelli sampling).

Each sampled point is the base scenario with that point's values, run ``replications``
times with the same seed (common random numbers), and the metric's mean over them is
the point's output; SALib's estimators turn the outputs into indices. A sensitivity file
is YAML like a sweep's::

    scenario: baseline.yaml
    method: sobol            # or morris
    samples: 64              # sobol: base samples N (N x (D + 2) points); morris: trajectories
    metric: revenue
    parameters:
      quota.revenue_per_month: {low: 120000, high: 200000}

Bounds are finite, low below high. ``design_size`` gives the number of points before
sampling, and ``estimated_seconds`` the run time: ``simsales sensitivity`` says both
first and runs a design of more than ``CONFIRM_POINTS`` points only with ``--yes``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from simsales.experiment.executors import Executor, default_executor
from simsales.experiment.runs import Progress, check_run, run, run_many
from simsales.experiment.sweeps import SpecFile, load_spec, point_scenario
from simsales.metrics.catalogue import CATALOGUE
from simsales.metrics.catalogue import metric as catalogued
from simsales.scenario.errors import shown_value
from simsales.scenario.schema import Inconsistent, Scenario

# A design of more points than this runs only when asked twice (the CLI's --yes).
# Assumption: 2,000 points x 2 replications at ~0.1 s each (the baseline on one core) is
# about 7 minutes on one core; beyond that a mistyped samples or parameter list should
# not silently take hours (a Sobol design of 4,096 samples over 10 parameters: 49,152).
CONFIRM_POINTS = 2_000


class Bounds(BaseModel):
    """A parameter's range: finite bounds, low below high."""

    model_config = ConfigDict(extra="forbid", strict=True)
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if not self.high > self.low:
            raise Inconsistent("high", self.high, f"must be above low ({self.low})")
        return self


class SensitivityFile(SpecFile):
    """A sensitivity file, validated strictly."""

    method: Literal["sobol", "morris"]
    samples: int = Field(ge=2, le=4096)
    metric: str = Field(min_length=1)
    parameters: dict[str, Bounds] = Field(min_length=1)

    @field_validator("metric")
    @classmethod
    def _catalogued(cls, metric: str) -> str:
        """A metric of the catalogue, refused before anything runs."""
        if metric not in CATALOGUE:
            raise PydanticCustomError("metric", "{metric} is not a summary metric; allowed: "
                                      "{allowed}", {"metric": shown_value(metric),
                                                    "allowed": ", ".join(CATALOGUE)})  # fmt: skip
        return metric


@dataclass
class SensitivityResults:
    """The indices (``table``: one row per parameter) and the sampled points and outputs."""

    method: str
    metric: str
    table: pd.DataFrame
    samples: pd.DataFrame  # one row per point: parameter values and the metric

    def plot(self):
        """A bar chart of the indices with their 95% confidence bars (matplotlib Figure),
        the metric named, and Morris effects written, as the metric catalogue says."""
        import matplotlib.pyplot as plt  # the active backend: inline in Jupyter, else Agg
        from matplotlib.ticker import FuncFormatter

        m = catalogued(self.metric)
        fig, ax = plt.subplots(figsize=(7, 0.6 * len(self.table) + 1.8))
        y = np.arange(len(self.table))
        if self.method == "sobol":
            for offset, col, label in ((-0.2, "S1", "first order S1"), (0.2, "ST", "total ST")):
                ax.barh(y + offset, self.table[col], height=0.4, xerr=self.table[f"{col}_conf"],
                        label=label, capsize=3)  # fmt: skip
            ax.set_xlabel("Sobol index (share of the variance of the metric)")
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
            ax.legend(loc="lower right")
            title = "Sobol indices"
        else:
            ax.barh(y, self.table["mu_star"], xerr=self.table["mu_star_conf"], capsize=3)
            unit = "percentage points" if m.kind == "share" else m.unit
            ax.set_xlabel("Morris mu*: mean |elementary effect|" + (f" [{unit}]" if unit else ""))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: m.format_effect(v)))
            title = "Morris screening"
        ax.set_yticks(y, self.table["parameter"])
        ax.invert_yaxis()
        ax.set_title(f"{m.label}: {title}")
        fig.tight_layout()
        return fig


def design_size(method: str, samples: int, parameters: int) -> int:
    """The number of points of a design, known before sampling it: Sobol (Saltelli, no
    second order) N x (D + 2); Morris N trajectories x (D + 1)."""
    return samples * (parameters + (2 if method == "sobol" else 1))


def seconds_per_replication(base: Scenario, seed: int = 0) -> float:
    """Wall time of one replication of ``base`` on one core, measured here: a second
    run after a first that warms up (imports, the compiled working day)."""
    run(base, replications=1, seed=seed, workers=1)
    start = time.perf_counter()
    run(base, replications=1, seed=seed, workers=1)
    return time.perf_counter() - start


def estimated_seconds(per_replication: float, points: int, replications: int,
                      workers: int | None) -> float:  # fmt: skip
    """Run time of ``points`` x ``replications`` on ``workers`` processes (default all
    cores), from the time of one replication on one core."""
    return per_replication * points * replications / (workers or os.cpu_count() or 1)


def _salib():
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import morris as morris_sample
        from SALib.sample import sobol as sobol_sample
    except ImportError as exc:
        raise ImportError(
            "sensitivity analysis needs the sensitivity extra: pip install 'simsales[sensitivity]'"
        ) from exc
    return sobol_sample, sobol_analyze, morris_sample, morris_analyze


def sample_points(problem: dict, method: str, samples: int, seed: int) -> np.ndarray:
    """SALib's design: Saltelli points for Sobol (no second order), trajectories for Morris."""
    sobol_sample, _, morris_sample, _ = _salib()
    if method == "sobol":
        return sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    return morris_sample.sample(problem, samples, seed=seed)


def indices(problem: dict, method: str, x: np.ndarray, y: np.ndarray, seed: int) -> pd.DataFrame:
    """SALib's indices as a tidy table, one row per parameter."""
    _, sobol_analyze, _, morris_analyze = _salib()
    if method == "sobol":
        r = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        cols = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        r = morris_analyze.analyze(problem, x, y, seed=seed)
        cols = ("mu_star", "mu_star_conf", "sigma", "mu")
    table = pd.DataFrame({c: np.asarray(r[c], dtype=float) for c in cols})
    table.insert(0, "parameter", problem["names"])
    return table


def sensitivity(base: Scenario, parameters: Mapping[str, tuple[float, float]], metric: str,
                method: str = "sobol", samples: int = 32, replications: int = 2, seed: int = 0,
                design_seed: int = 0, workers: int | None = None,
                executor: Executor | None = None,
                progress: Progress | None = None) -> SensitivityResults:  # fmt: skip
    """Indices of ``metric`` (a summary metric) for ``parameters`` (dotted key ->
    (low, high)); ``method`` ``sobol`` or ``morris``."""
    if method not in ("sobol", "morris"):
        raise ValueError(f"method must be 'sobol' or 'morris', got {method!r}")
    if metric not in CATALOGUE:
        raise ValueError(f"metric {shown_value(metric)} is not a summary metric; allowed: "
                         f"{', '.join(CATALOGUE)}")  # fmt: skip
    names = list(parameters)
    problem = {"num_vars": len(names), "names": names,
               "bounds": [list(map(float, parameters[n])) for n in names]}  # fmt: skip
    x = sample_points(problem, method, samples, design_seed)
    scenarios = [point_scenario(base, i, dict(zip(names, map(float, row), strict=True)))
                 for i, row in enumerate(x)]  # fmt: skip
    check_run(scenarios, replications, seed, workers)
    if executor is None:
        executor = default_executor(workers, tasks=len(x) * replications)
    # The first point alone, then all the others' tasks at once, with progress in points
    # (replications done, in points' worth).
    first = run_many(scenarios[:1], replications, seed, executor)[0].metrics()
    n = len(x)
    if progress:
        progress(1, n)
    step = (lambda done, total: progress(1 + done * (n - 1) // total, n)) if progress else None
    rest = run_many(scenarios[1:], replications, seed, executor, step) if n > 1 else []
    y = np.array([first[metric].mean()] + [res.metrics()[metric].mean() for res in rest])
    samples_table = pd.DataFrame(x, columns=names).assign(**{metric: y})
    return SensitivityResults(method, metric, indices(problem, method, x, y, design_seed),
                              samples_table)  # fmt: skip


def load_sensitivity(path: str | Path) -> tuple[Scenario, SensitivityFile]:
    """Read a sensitivity file and its base scenario."""
    return load_spec(path, SensitivityFile)

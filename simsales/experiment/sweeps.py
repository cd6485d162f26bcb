"""Sweeps (``simsales.sweep``): many variants of one scenario over dotted keys, run with
common random numbers.

A sweep is a design over parameters: a full ``grid`` of listed values, or a Latin
hypercube (``lhs``, ``scipy.stats.qmc``) of ``samples`` points between bounds. Each
point is the base scenario with that point's overrides (validated like any override),
named ``<base>[<point>]``; all points run the same replications with the same seed, and
all points' worker tasks are handed out at once (``experiment.run_many``). A sweep file
is YAML::

    scenario: baseline.yaml          # relative to the sweep file
    design: grid                     # or lhs, with samples: 20 and design_seed: 0
    parameters:
      quota.revenue_per_month: {values: [150000, 180000]}
      workforce.hiring.class_size: {values: [4, 6]}      # lhs: {low: 2, high: 8, integer: true}

A grid has at most ``MAX_POINTS`` points (the product of its numbers of values, checked
before any point is built); lhs bounds are finite; ``name`` cannot be swept.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, get_args

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simsales.experiment.executors import Executor, default_executor
from simsales.experiment.results import Results
from simsales.experiment.runs import Progress, as_progress, check_run, open_store, run_many
from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.schema import Inconsistent, Scenario

MAX_POINTS = 10_000
Design = Literal["grid", "lhs"]


class Axis(BaseModel):
    """One swept parameter: listed values (grid) or bounds (lhs)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    values: list[Any] | None = Field(default=None, min_length=1)
    low: float | None = Field(default=None, allow_inf_nan=False)  # lhs samples between
    high: float | None = Field(default=None, allow_inf_nan=False)  # finite bounds only
    integer: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        bounds = self.low is not None or self.high is not None
        if (self.values is None) == (not bounds):
            raise Inconsistent("values", self.values, "give values (grid) or low and high (lhs)")
        if bounds and (self.low is None or self.high is None or self.high < self.low):
            raise Inconsistent(
                "high", self.high, f"needs low and high with high >= low ({self.low})"
            )
        return self


class SpecFile(BaseModel):
    """What a sweep and a sensitivity file share: strict validation, like a scenario
    file's, and the base scenario's file, relative to the file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scenario: str = Field(min_length=1)


class SweepFile(SpecFile):
    """A sweep file, validated strictly like a scenario file."""

    design: Design
    samples: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    design_seed: int = Field(default=0, ge=0)
    parameters: dict[str, Axis] = Field(min_length=1)

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, parameters: dict[str, Axis], info: ValidationInfo) -> dict[str, Axis]:
        """No swept name; a grid small enough to build (checked before building it)."""
        if "name" in parameters:
            raise PydanticCustomError(
                "sweep", "name cannot be swept: each point is named <scenario name>[<point>]"
            )
        problem = grid_size_problem(parameters) if info.data.get("design") == "grid" else None
        if problem:
            raise PydanticCustomError("sweep", problem)
        return parameters

    @model_validator(mode="after")
    def _design(self) -> SweepFile:
        kinds = {name: a.values is not None for name, a in self.parameters.items()}
        if self.design == "grid":
            bad = [n for n, listed in kinds.items() if not listed]
            if bad or self.samples is not None:
                rule = "a grid lists values for every parameter and takes no samples"
                raise Inconsistent("parameters" if bad else "samples", bad or self.samples, rule)
        else:
            bad = [n for n, listed in kinds.items() if listed]
            if bad or self.samples is None:
                rule = "an lhs design needs samples and low/high for every parameter"
                raise Inconsistent("parameters" if bad else "samples", bad or None, rule)
        return self


def design_points(parameters: Mapping[str, Axis], design: str, samples: int | None = None,
                  design_seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """The sweep's points: one row per point, one column per parameter."""
    names = list(parameters)
    if design == "grid":
        problem = grid_size_problem(parameters)  # before building a single point
        if problem:
            raise ValueError(problem)
        rows = list(itertools.product(*(_listed(n, parameters[n]) for n in names)))
        return pd.DataFrame(rows, columns=names)
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(names), seed=design_seed).random(samples)
    cols = {}
    for j, name in enumerate(names):
        axis = parameters[name]
        low, high = _bounds(name, axis)
        if axis.integer:  # equal-width integer bins: each value's share of the unit interval
            cols[name] = (low + np.floor(unit[:, j] * (high - low + 1))).astype(int)
        else:
            cols[name] = low + unit[:, j] * (high - low)
    return pd.DataFrame(cols)


def _listed(name: str, axis: Axis) -> list[Any]:
    """A grid axis's values; a ValueError for an axis given bounds instead."""
    if axis.values is None:
        raise ValueError(f"parameter {name!r}: a grid lists values for every parameter")
    return axis.values


def _bounds(name: str, axis: Axis) -> tuple[float, float]:
    """An lhs axis's low and high; a ValueError for an axis given values instead."""
    if axis.low is None or axis.high is None:
        raise ValueError(f"parameter {name!r}: an lhs design needs low and high for each parameter")
    return axis.low, axis.high


def design_rows(points: pd.DataFrame) -> list[dict[str, Any]]:
    """The points of ``design_points`` as {dotted key: value}, one per point."""
    # pandas-stubs types a record's keys as Hashable; these are the parameters' keys (str)
    return cast(list[dict[str, Any]], points.to_dict("records"))


def grid_size_problem(parameters: Mapping[str, Axis]) -> str | None:
    """What is wrong with a grid over ``parameters`` of more than ``MAX_POINTS`` points, or
    None: its size is the product of the numbers of values, known without building it."""
    counts = [len(axis.values or ()) for axis in parameters.values()]
    size = math.prod(counts)
    if size <= MAX_POINTS:
        return None
    shape = " x ".join(map(str, counts))
    return f"the grid has {size:,} points ({shape} values); at most {MAX_POINTS:,} allowed"


@dataclass
class SweepResults:
    """Every point's results; ``metrics()`` is one tidy table with the swept values."""

    points: pd.DataFrame  # point, then one column per parameter
    results: dict[int, Results]  # by point

    def metrics(self) -> pd.DataFrame:
        """One row per point and replication: the point, its swept values and metrics."""
        return self._with_points(lambda res: res.metrics().reset_index())

    def _with_points(self, table) -> pd.DataFrame:
        """``table(results)`` of every point, with the point and its swept values first."""
        by_point = self.points.set_index("point")
        parts = []
        for point, res in self.results.items():
            part = table(res)
            for name in reversed(by_point.columns):  # .at keeps each column's type
                part.insert(0, name, by_point.at[point, name])
            part.insert(0, "point", point)
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Mean and t-interval of every metric per point, with the swept values."""
        return self._with_points(lambda res: res.summary(confidence))


def sweep(base: Scenario, parameters: Mapping[str, Mapping | Axis], design: Design = "grid",
          samples: int | None = None, design_seed: int = 0, replications: int = 10,
          seed: int = 0, workers: int | None = None, executor: Executor | None = None,
          progress: Progress | bool | None = None, out: str | os.PathLike | None = None,
          force: bool = False) -> SweepResults:  # fmt: skip
    """Run ``base`` at every point of the design, all with ``seed`` (common random
    numbers). ``parameters`` maps dotted keys to ``{"values": [...]}`` (grid) or
    ``{"low": a, "high": b, "integer": bool}`` (lhs). Raises ScenarioError for a point
    whose overrides the schema refuses."""
    axes = {
        k: v if isinstance(v, Axis) else Axis.model_validate(dict(v)) for k, v in parameters.items()
    }
    spec = SweepFile(scenario="-", design=design, samples=samples, design_seed=design_seed,
                     parameters=axes)  # fmt: skip
    points = design_points(spec.parameters, design, samples, design_seed)
    scenarios = [point_scenario(base, i, row) for i, row in enumerate(design_rows(points))]
    points.insert(0, "point", range(len(points)))
    check_run(scenarios, replications, seed, workers)
    if executor is None:
        executor = default_executor(workers, tasks=len(scenarios) * replications)
    stores = [None if out is None else open_store(Path(out) / f"point_{i}", [sc], seed, force)
              for i, sc in enumerate(scenarios)]  # fmt: skip
    progress = as_progress(progress, len(scenarios) * replications)
    results = run_many(scenarios, replications, seed, executor, progress, stores)
    return SweepResults(points, dict(enumerate(results)))


def point_scenario(base: Scenario, i: int, values: Mapping[str, Any]) -> Scenario:
    """The base scenario at sweep point ``i``; a sampled number for a whole-number field
    (e.g. a class size) is rounded to the nearest whole number."""
    clean = {}
    for key, value in values.items():
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float) and _is_whole_number_field(base, key):
            value = round(value)
        clean[key] = value
    return base.with_overrides({**clean, "name": f"{base.name}[{i}]"}, source=f"sweep point {i}")


def _is_whole_number_field(base: Scenario, key: str) -> bool:
    node: Any = base
    for part in key.split("."):
        node = (
            node[int(part)]
            if part.isdigit() and isinstance(node, list)
            else getattr(node, part, None)
        )
    return isinstance(node, int) and not isinstance(node, bool)


SpecT = TypeVar("SpecT", bound=SpecFile)


def load_spec(path: str | Path, model: type[SpecT]) -> tuple[Scenario, SpecT]:
    """Read a sweep or sensitivity file (``model``) and its base scenario, named by the
    file's ``scenario`` relative to it; every problem is a ScenarioError. The file is read
    as a scenario file is: a regular file of at most 1 MiB of UTF-8, YAML without aliases
    or deep nesting."""
    from simsales.scenario.loader import load_scenario, parse_yaml, read_text_file

    path = Path(path)
    data, _ = parse_yaml(read_text_file(path), str(path))
    try:
        spec = model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(str(path), [spec_problem(exc.errors()[0], model)]) from None
    return load_scenario((path.parent / spec.scenario).resolve()), spec


def spec_problem(err: Any, model: type[BaseModel]) -> Problem:
    """A pydantic error of a sweep, sensitivity or optimisation file as a Problem: a
    cross-field rule names its own field, an unknown key lists the keys allowed there, and
    pydantic's "Value error, " prefix is dropped."""
    loc = tuple(str(x) for x in err["loc"])
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, Inconsistent):
        return Problem(".".join((*loc, cause.field)), str(cause), cause.value,
                       has_value=not isinstance(cause.value, (dict, list)))  # fmt: skip
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(_fields_at(model, loc[:-1]))
        return Problem(".".join(loc), f"unknown key; allowed here: {allowed}")
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    shown = bool(loc) and not isinstance(value, (dict, list)) and str(value) not in message
    return Problem(".".join(loc), message, value, has_value=shown)


def _fields_at(model: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    """The keys a spec file allows at ``loc``: its own, or a parameter's (``parameters.K``)."""
    if len(loc) == 2 and loc[0] == "parameters":
        inner = get_args(model.model_fields["parameters"].annotation)[-1]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return list(inner.model_fields)
    return list(model.model_fields)


def load_sweep(path: str | Path) -> tuple[Scenario, SweepFile]:
    """Read a sweep file and its base scenario."""
    return load_spec(path, SweepFile)

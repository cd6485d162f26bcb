"""Find the best policy under constraints (``simsales.optimise``; needs
``simsales[optimise]``, optuna).

A planner asks "which quota and commission plan give the best margin while keeping
first-year attrition under 40%?". An optimisation file says it in YAML::

    scenario: baseline.yaml
    parameters:                        # dotted keys, as for --set
      quota.revenue_per_month: {low: 120000, high: 220000, step: 10000}
      workforce.dismissal.consecutive_months: {low: 2, high: 6, integer: true}
      pay.commission:                  # choices: a list, or labels and their values
        choices:
          flat_5: {plan: flat, rate: 0.05, paid: next_month}   # a choice replaces the
          flat_7: {plan: flat, rate: 0.07, paid: next_month}   # whole section
    objective: margin                  # a metric's mean, or p10(margin), p50(...), ...
    constraints:
      - first_year_attrition <= 0.6    # the mean over replications
      - P(margin > baseline) >= 0.9    # share of paired replications beating the scenario
    trials: 30                         # candidates the search tries
    replications: 20                   # per candidate, the same for all
    finalists: 5                       # best feasible candidates run again ...
    final_replications: 100            # ... on this many fresh replications

How it decides, and why it can be trusted:

1. **Search.** optuna's TPE sampler (seeded) proposes ``batch`` candidates at a time;
   each runs ``replications`` replications with ``seed``, every candidate and the
   scenario itself on the same ones (common random numbers), so the differences between
   candidates are far less noisy than their values. Constraints go to the sampler as
   violations (``constraints_func``), so it learns where the feasible region is.
2. **Selection.** The ``finalists`` best feasible candidates and the scenario run again
   on ``final_replications`` fresh replications (``seed + 1``), all on the same ones. A
   finalist must meet the constraints again on them; the winner is the feasible
   finalist with the best objective there. A finalist is *indistinguishable* from the
   winner when the paired 95% interval of their difference (Bonferroni over the
   finalists; a t-interval for a mean, a paired bootstrap for a quantile) includes 0.
3. **Honesty.** The winner is reported against the scenario with paired 95% CIs
   (``metrics.compare``), on the fresh replications. Its advantage on the search
   replications, where it was picked for looking good, is reported next to the fresh
   one: the difference is the optimiser's curse (selection bias).

Reproducible: the same file and seed give the same trials and winner on any number of
workers (the batch is part of the file, not of the machine). With ``out`` every run is
stored as it finishes and a rerun of the same command resumes, computing only what is
missing.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from simsales.engine.rng import analysis_generator
from simsales.experiment.executors import Executor, default_executor
from simsales.experiment.results import Results
from simsales.experiment.runs import Comparison, OverallProgress, Progress, check_run, open_store
from simsales.experiment.sweeps import SpecFile, load_spec, point_scenario, spec_problem
from simsales.metrics.catalogue import CATALOGUE
from simsales.metrics.catalogue import metric as catalogued
from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.schema import Inconsistent, Scenario

Direction = Literal["maximise", "minimise"]
ALPHA = 0.05  # the screen's and the intervals' error rate (95%)
MAX_TRIALS = 2_000  # a mistyped trials should not silently run for days
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}
_STAT = r"(?:mean|p(?:[1-9]|[1-9][0-9]))"
_MEASURE = re.compile(
    rf"^\s*(?:(?P<stat>{_STAT})\(\s*(?P<m1>[a-z0-9_]+)\s*\)|(?P<m2>[a-z0-9_]+))\s*$"
)
_VERSUS = re.compile(
    r"^\s*P\(\s*(?P<metric>[a-z0-9_]+)\s*(?P<cmp>[<>])\s*baseline\s*\)\s*(?P<op>>=|<=|>|<)\s*"
    r"(?P<value>\S+)\s*$"
)
_PLAIN = re.compile(r"^\s*(?P<lhs>.+?)\s*(?P<op>>=|<=|>|<)\s*(?P<value>\S+)\s*$")
MEASURE_HELP = "a metric (its mean), mean(metric) or pNN(metric), e.g. margin or p10(margin)"
CONSTRAINT_HELP = (
    "write MEASURE OP NUMBER with MEASURE " + MEASURE_HELP + " and OP one of >=, <=, >, <; "
    "or P(metric > baseline) >= 0.9 (the share of paired replications beating the scenario)"
)


@dataclass(frozen=True)
class Measure:
    """A metric's statistic over replications: its mean, or a percentile (``q`` in 0..1)."""

    metric: str
    q: float | None = None  # None: the mean

    @property
    def text(self) -> str:
        return self.metric if self.q is None else f"p{round(self.q * 100)}({self.metric})"

    @property
    def words(self) -> str:
        m = catalogued(self.metric)
        return m.phrase if self.q is None else f"P{round(self.q * 100)} of {m.phrase}"

    def of(self, values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        if values.size == 0:
            return math.nan
        return float(values.mean() if self.q is None else np.quantile(values, self.q))


def parse_measure(text: str) -> Measure:
    """``margin``, ``mean(margin)``, ``p10(margin)`` as a Measure; ValueError otherwise."""
    found = _MEASURE.match(text)
    if not found:
        raise ValueError(f"{text!r}: write {MEASURE_HELP}")
    name = found.group("m1") or found.group("m2")
    if name not in CATALOGUE:
        raise ValueError(f"{name!r} is not a summary metric; allowed: {', '.join(CATALOGUE)}")
    stat = found.group("stat")
    return Measure(name, None if stat in (None, "mean") else int(stat[1:]) / 100)


@dataclass(frozen=True)
class Constraint:
    """``measure op value``, or with ``versus`` the share of paired replications in which
    the candidate's metric is above (">") or below ("<") the scenario's."""

    text: str
    measure: Measure
    op: str
    value: float
    versus: str | None = None  # ">" or "<": a P(metric > baseline) constraint

    def level(self, values: np.ndarray, baseline: np.ndarray) -> float:
        """The constrained quantity for a candidate's per-replication ``values``."""
        if self.versus is None:
            return self.measure.of(values)
        ok = np.isfinite(values) & np.isfinite(baseline)
        beats = values[ok] > baseline[ok] if self.versus == ">" else values[ok] < baseline[ok]
        return float(beats.mean()) if beats.size else math.nan

    def violation(self, level: float) -> float:
        """How far ``level`` is on the wrong side (<= 0: met; as optuna wants it)."""
        if not math.isfinite(level):
            return math.inf
        gap = self.value - level if self.op in (">=", ">") else level - self.value
        return gap if gap > 0 or self.op in (">=", "<=") else (1e-12 if gap == 0 else gap)

    def met(self, level: float) -> bool:
        return math.isfinite(level) and OPS[self.op](level, self.value)


def parse_constraint(text: str) -> Constraint:
    """A constraint from its text; ValueError naming what is wrong, including a constraint
    no candidate could meet (a share above 1 or below 0, a count below 0)."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r}: {CONSTRAINT_HELP}")
    versus = _VERSUS.match(text)
    found = versus or _PLAIN.match(text)
    if not found or (not versus and text.lstrip().startswith("P(")):
        raise ValueError(f"{text!r}: {CONSTRAINT_HELP}")
    try:
        value = float(found.group("value").replace("_", ""))
    except ValueError:
        raise ValueError(f"{text!r}: {found.group('value')!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r}: the bound must be a finite number")
    op = found.group("op")
    if versus:
        name = versus.group("metric")
        if name not in CATALOGUE:
            raise ValueError(
                f"{text!r}: {name!r} is not a summary metric; allowed: {', '.join(CATALOGUE)}"
            )
        c = Constraint(text.strip(), Measure(name), op, value, versus.group("cmp"))
        low, high, what = 0.0, 1.0, "a share of replications, between 0 and 1"
    else:
        c = Constraint(text.strip(), parse_measure(found.group("lhs")), op, value)
        kind = catalogued(c.measure.metric).kind
        low, high, what = {
            "share": (0.0, 1.0, "a share, between 0 and 1"),
            "count": (0.0, math.inf, "a count, at least 0"),
            "number": (0.0, math.inf, "a number of at least 0"),
        }.get(kind, (-math.inf, math.inf, ""))
    impossible = (
        (op == ">=" and value > high)
        or (op == ">" and value >= high)
        or (op == "<=" and value < low)
        or (op == "<" and value <= low)
    )
    if impossible:
        hint = " (write 0.4 for 40%)" if high == 1.0 and value > 1 else ""
        raise ValueError(f"{text!r}: no candidate can meet it: the left side is {what}{hint}")
    if high == 1.0 and not 0.0 <= value <= 1.0:  # always met: surely a percentage
        raise ValueError(f"{text!r}: every candidate meets it, as the left side is {what}; "
                         f"write 0.4 for 40%")  # fmt: skip
    return c


class Dimension(BaseModel):
    """A parameter's range (``low``/``high``, with ``step``, ``integer`` or ``log``) or
    its ``choices`` (a list, or labels and their values)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)
    step: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    integer: bool = False
    log: bool = False
    choices: list[Any] | dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Dimension:
        ranged = self.low is not None or self.high is not None
        if ranged == (self.choices is not None):
            raise Inconsistent("choices", self.choices, "give low and high, or choices")
        if self.choices is not None:
            if len(self.choices) < 2:
                raise Inconsistent("choices", self.choices, "give at least 2 choices")
            if self.step is not None or self.integer or self.log:
                raise Inconsistent("choices", "...", "step, integer and log are for ranges")
            return self
        if self.low is None or self.high is None or not self.high > self.low:
            raise Inconsistent(
                "high",
                self.high,
                f"an empty range: needs low and high with high above low ({self.low})",
            )
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise Inconsistent("low", self.low, "integer ranges need whole-number bounds")
        if self.log and (self.low <= 0 or self.step is not None):
            raise Inconsistent("log", True, "a log range needs low above 0 and no step")
        if self.step is not None and (self.high - self.low) / self.step < 1 - 1e-9:
            raise Inconsistent("step", self.step, f"larger than the range {self.low}..{self.high}")
        return self

    def labels(self) -> list[str]:
        """The choices' labels (their values written out, for a list)."""
        if isinstance(self.choices, dict):
            return list(self.choices)
        return [_choice_label(v) for v in self.choices or []]

    def value(self, label_or_number: Any) -> Any:
        """The override value of a sampled label or number."""
        if self.choices is None:
            return label_or_number
        if isinstance(self.choices, dict):
            return self.choices[label_or_number]
        return self.choices[self.labels().index(label_or_number)]

    def corners(self) -> list[Any]:
        """The values that must each make a valid scenario: both bounds, every choice."""
        if self.choices is not None:
            return [self.value(label) for label in self.labels()]
        low, high = self.low, self.high
        assert low is not None and high is not None  # _one_kind
        return [int(low), int(high)] if self.integer else [low, high]


def _choice_label(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_choice_label(v)}" for k, v in value.items())
    return str(value)


class OptimiseFile(SpecFile):
    """An optimisation file, validated strictly (module docstring)."""

    parameters: dict[str, Dimension] = Field(min_length=1, max_length=20)
    objective: str = Field(min_length=1)
    direction: Direction | None = None  # default: the catalogue's better way
    constraints: list[str] = Field(default_factory=list, max_length=20)
    # assumption: 30 trials cover a few parameters' ranges well with TPE (its first 10
    # are random); 4 at a time keep 2-4 cores busy without blunting what it learns.
    trials: int = Field(default=30, ge=2, le=MAX_TRIALS)
    batch: int = Field(default=4, ge=1, le=64)
    # assumption: 20 replications per candidate, as run's default: on common random
    # numbers differences between candidates are far more precise than their values.
    replications: int = Field(default=20, ge=2, le=10_000)
    # assumption: the best 5 rerun on 100 fresh years: a paired difference of margin
    # known to about +-0.7 M yuan on the baseline (measured: [2.54, 3.88] M, 100 years).
    finalists: int = Field(default=5, ge=1, le=50)
    final_replications: int = Field(default=100, ge=2, le=100_000)

    @field_validator("parameters")
    @classmethod
    def _not_name(cls, parameters: dict[str, Dimension]) -> dict[str, Dimension]:
        if "name" in parameters:
            raise PydanticCustomError("optimise", "name cannot be a parameter")
        return parameters

    @field_validator("objective")
    @classmethod
    def _objective(cls, objective: str) -> str:
        try:
            parse_measure(objective)
        except ValueError as exc:
            raise PydanticCustomError("objective", str(exc)) from None
        return objective

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, constraints: list[str]) -> list[str]:
        for i, text in enumerate(constraints):
            try:
                parse_constraint(text)
            except ValueError as exc:
                raise PydanticCustomError("constraint", f"constraint {i}: {exc}") from None
        return constraints

    @model_validator(mode="after")
    def _direction(self) -> OptimiseFile:
        m = catalogued(parse_measure(self.objective).metric)
        if self.direction is None and m.better is None:
            raise Inconsistent(
                "direction",
                None,
                f"{m.name} has no better way; give direction: maximise or minimise",
            )
        if self.finalists > self.trials:
            raise Inconsistent("finalists", self.finalists, f"at most trials ({self.trials})")
        return self

    @property
    def goal(self) -> Direction:
        if self.direction is not None:
            return self.direction
        better = catalogued(parse_measure(self.objective).metric).better
        return "maximise" if better == "higher" else "minimise"


def load_optimisation(path: str | Path) -> tuple[Scenario, OptimiseFile]:
    """Read an optimisation file and its base scenario; every problem (including a
    parameter value at a bound or a choice that the scenario refuses) is a ScenarioError
    naming the file and the field."""
    base, spec = load_spec(path, OptimiseFile)
    check_parameters(base, spec.parameters, str(path))
    return base, spec


def check_parameters(base: Scenario, parameters: Mapping[str, Dimension], where: str) -> None:
    """Every bound and choice of every parameter makes a valid scenario (others held at the
    scenario's values); ScenarioError naming the parameter otherwise."""
    for key, dim in parameters.items():
        for value in dim.corners():
            try:
                point_scenario(base, 0, {key: value})
            except ScenarioError as exc:
                first = exc.problems[0] if exc.problems else None
                why = f"{first.field}: {first.message}" if first else str(exc)
                raise ScenarioError(where, [Problem(f"parameters.{key}", why, value)]) from None


@dataclass
class Optimisation:
    """What an optimisation found, and how sure it is (module docstring)."""

    spec: OptimiseFile
    base: Scenario
    trials: pd.DataFrame  # one row per trial: parameters, objective, constraints, feasible
    finalists: pd.DataFrame  # one row per finalist, fresh replications
    winner: int | None  # trial number of the winner; None: no finalist met the constraints
    comparison: Comparison | None  # the scenario (baseline) and the winner, fresh
    search_advantage: float  # winner's objective - scenario's, on the search replications
    fresh_advantage: float  # the same on the fresh replications
    fresh_interval: tuple[float, float]  # its paired 95% interval
    seed: int

    @property
    def objective(self) -> Measure:
        return parse_measure(self.spec.objective)

    @property
    def constraints(self) -> list[Constraint]:
        return [parse_constraint(c) for c in self.spec.constraints]

    @property
    def indistinguishable(self) -> int:
        """Finalists the fresh replications cannot tell from the winner."""
        f = self.finalists
        return int((f["indistinguishable"] & (f["trial"] != self.winner)).sum())

    @property
    def winner_values(self) -> dict[str, Any]:
        """The winner's parameter values (labels for choices)."""
        row = self.trials.set_index("trial").loc[self.winner]
        return {key: row[key] for key in self.spec.parameters}

    def scenario(self, trial: int | None = None) -> Scenario:
        """The scenario of a trial (the winner by default), as run."""
        trial = self.winner if trial is None else trial
        if trial is None:
            raise ValueError("no finalist met the constraints: there is no winner")
        row = self.trials.set_index("trial").loc[trial]
        return trial_scenario(
            self.base, self.spec.parameters, int(trial), {k: row[k] for k in self.spec.parameters}
        )

    def table(self, confidence: float = 0.95) -> pd.DataFrame:
        """The winner against the scenario: paired differences of every metric."""
        if self.comparison is None:
            raise ValueError("no finalist met the constraints: there is no winner")
        return self.comparison.table(confidence)

    def text(self) -> str:
        """The outcome in plain words."""
        return optimisation_text(self)


class NoFeasibleCandidate(ValueError):
    """No candidate met the constraints; ``result`` holds the trials tried."""

    def __init__(self, message: str, result: Optimisation):
        super().__init__(message)
        self.result = result


def trial_scenario(
    base: Scenario, parameters: Mapping[str, Dimension], trial: int, sampled: Mapping[str, Any]
) -> Scenario:
    """The base scenario with a trial's sampled values (labels turned into values)."""
    values = {key: parameters[key].value(v) for key, v in sampled.items()}
    sc = point_scenario(base, trial, values)
    return sc.with_overrides({"name": f"{base.name}[trial {trial}]"}, source=f"trial {trial}")


def optimise(
    scenario: Scenario,
    parameters: Mapping[str, Mapping | Dimension],
    objective: str,
    constraints: list[str] | None = None,
    direction: Direction | None = None,
    trials: int = 30,
    batch: int = 4,
    replications: int = 20,
    finalists: int = 5,
    final_replications: int = 100,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | bool | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
) -> Optimisation:
    """Search ``parameters`` (dotted keys to ``{"low", "high", "step", "integer",
    "log"}`` or ``{"choices": [...] or {label: value}}``) for the best ``objective`` (a
    metric's mean, or ``p10(metric)``, ...) subject to ``constraints`` (module
    docstring), and choose among the best on fresh replications. Raises ValueError or
    ScenarioError for a bad specification, ``NoFeasibleCandidate`` when no candidate met
    the constraints (in the search, or again on fresh replications), ImportError without
    optuna (``pip install 'simsales[optimise]'``)."""
    try:
        spec = OptimiseFile.model_validate(
            {
                "scenario": "-",
                # validated with the file's rules, so an error names its parameter
                "parameters": {
                    k: v if isinstance(v, Dimension) else dict(v) for k, v in parameters.items()
                },
                "objective": objective,
                "direction": direction,
                "constraints": list(constraints or []),
                "trials": trials,
                "batch": batch,
                "replications": replications,
                "finalists": finalists,
                "final_replications": final_replications,
            }
        )
    except ValidationError as exc:
        problem = spec_problem(exc.errors()[0], OptimiseFile)
        raise ScenarioError("optimise()", [problem]) from None
    check_parameters(scenario, spec.parameters, "optimise()")
    return run_optimisation(scenario, spec, seed, workers, executor, progress, out, force)


def run_optimisation(
    base: Scenario,
    spec: OptimiseFile,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | bool | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
) -> Optimisation:
    """``optimise`` for a validated file (``load_optimisation``)."""
    try:
        import optuna
    except ImportError as exc:  # the optional extra
        raise ImportError(
            "simsales.optimise needs optuna: pip install 'simsales[optimise]'"
        ) from exc
    check_run([base], max(spec.replications, spec.final_replications), seed, workers)
    if executor is None:
        executor = default_executor(workers, tasks=spec.batch * spec.replications)
    measure, cons = parse_measure(spec.objective), [parse_constraint(c) for c in spec.constraints]
    total = spec.replications * (1 + spec.trials) + spec.final_replications * (1 + spec.finalists)
    counter = OverallProgress(progress, total)
    root = Path(out) if out is not None else None

    def store(folder: str, sc: Scenario, at: int):
        return None if root is None else open_store(root / folder, [sc], at, force)

    def runs(scenarios: list[Scenario], folders: list[str], reps: int, at: int) -> list[Results]:
        stores = [store(f, sc, at) for sc, f in zip(scenarios, folders, strict=True)]
        return counter.run_many(scenarios, reps, at, executor, stores)

    (base_search,) = runs([base], ["search_baseline"], spec.replications, seed)
    base_values = _by_replication(base_search.metrics())
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=min(10, max(2, spec.trials // 3))
    )
    direction: Literal["maximize", "minimize"] = (
        "maximize" if spec.goal == "maximise" else "minimize"
    )
    study = optuna.create_study(direction=direction, sampler=sampler)
    search = functools.partial(runs, at=seed)  # every candidate on the same replications
    trials_table = _search(study, spec, base, base_values, search, measure, cons, optuna)
    base_objective = measure.of(base_values[measure.metric].to_numpy(dtype=float))
    unique = trials_table.drop_duplicates(subset=list(spec.parameters))
    feasible = unique[unique["feasible"]].sort_values(
        "objective", ascending=spec.goal != "maximise", kind="stable"
    )
    if feasible.empty:
        counter.finish()
        _no_winner(spec, base, trials_table, pd.DataFrame(), seed, "the search")
    chosen = [int(t) for t in feasible["trial"].head(spec.finalists)]
    finals = [
        trial_scenario(base, spec.parameters, t, _params(trials_table, t, spec)) for t in chosen
    ]
    fresh_runs = runs(
        [base, *finals],
        ["final_baseline", *[f"final_{t}" for t in chosen]],
        spec.final_replications,
        seed + 1,
    )
    counter.finish()
    fresh_base = _by_replication(fresh_runs[0].metrics())
    finalists_table, winner = _select(chosen, fresh_runs[1:], fresh_base, measure, cons, spec)
    if winner is None:
        _no_winner(spec, base, trials_table, finalists_table, seed, "fresh replications")
    win_res = fresh_runs[1 + chosen.index(winner)]
    win_name = finals[chosen.index(winner)].name
    comparison = Comparison(base.name, {base.name: fresh_runs[0], win_name: win_res})
    searched = trials_table.loc[trials_table["trial"] == winner, "objective"]
    search_adv = float(searched.iloc[0]) - base_objective
    diff, interval = _advantage(_by_replication(win_res.metrics()), fresh_base, measure)
    return Optimisation(
        spec,
        base,
        trials_table,
        finalists_table,
        winner,
        comparison,
        search_adv,
        diff,
        interval,
        seed,
    )


def _by_replication(metrics: pd.DataFrame) -> pd.DataFrame:
    """A run's metrics indexed by replication alone, so two runs pair by replication."""
    return metrics.droplevel("scenario") if "scenario" in metrics.index.names else metrics


def _no_winner(spec: OptimiseFile, base: Scenario, trials: pd.DataFrame,
               finalists: pd.DataFrame, seed: int, where: str) -> NoReturn:  # fmt: skip
    """Raise NoFeasibleCandidate with what was tried and how close it came."""
    nan = math.nan
    result = Optimisation(spec, base, trials, finalists, None, None, nan, nan, (nan, nan), seed)
    raise NoFeasibleCandidate(_none_feasible(result, where), result)


def _search(study, spec: OptimiseFile, base: Scenario, base_values: pd.DataFrame, runs,
            measure: Measure, cons: list[Constraint], optuna) -> pd.DataFrame:  # fmt: skip
    """The search: ``spec.trials`` candidates asked of ``study`` ``spec.batch`` at a time,
    each new one run on the search replications (``runs``), judged and told back with its
    constraint violations; one row per trial (a repeat gets its first run's row)."""
    distributions = {key: _distribution(optuna, dim) for key, dim in spec.parameters.items()}
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, dict[str, Any]] = {}  # sampled values -> row: a repeat is not rerun
    for first in range(0, spec.trials, spec.batch):
        asked = [study.ask(distributions) for _ in range(min(spec.batch, spec.trials - first))]
        fresh: list[tuple[tuple, Any]] = []  # (sampled values, optuna trial) to run
        for t in asked:
            key = tuple(t.params[k] for k in spec.parameters)
            if key not in seen and key not in {k for k, _ in fresh}:
                fresh.append((key, t))
        scenarios = [trial_scenario(base, spec.parameters, t.number, t.params) for _, t in fresh]
        results = (
            runs(scenarios, [f"trial_{t.number}" for _, t in fresh], spec.replications)
            if fresh
            else []
        )
        for (key, _), res in zip(fresh, results, strict=True):
            seen[key] = _judge(_by_replication(res.metrics()), base_values, measure, cons)
        for t in asked:
            row = seen[tuple(t.params[k] for k in spec.parameters)]
            for i, violation in enumerate(row["violations"]):  # <= 0: met (TPE learns them)
                t.set_constraint(f"constraint {i}", violation)
            objective = row["objective"]
            study.tell(
                t,
                objective if math.isfinite(objective) else None,
                state=None if math.isfinite(objective) else optuna.trial.TrialState.FAIL,
            )
            rows.append(
                {
                    "trial": t.number,
                    **t.params,
                    **{k: v for k, v in row.items() if k != "violations"},
                }
            )
    return pd.DataFrame(rows)


def _distribution(optuna, dim: Dimension):
    d = optuna.distributions
    if dim.choices is not None:
        return d.CategoricalDistribution(dim.labels())
    assert dim.low is not None and dim.high is not None  # Dimension._one_kind
    if dim.integer:
        step = int(dim.step) if dim.step else 1
        return d.IntDistribution(int(dim.low), int(dim.high), log=dim.log, step=step)
    high = dim.high
    if dim.step:  # optuna wants high on the grid of steps from low (without float dust)
        steps = math.floor((dim.high - dim.low) / dim.step + 1e-9)
        high = float(f"{dim.low + steps * dim.step:.12g}")
    return d.FloatDistribution(dim.low, high, log=dim.log, step=dim.step)


def _params(trials: pd.DataFrame, trial: int, spec: OptimiseFile) -> dict[str, Any]:
    row = trials.set_index("trial").loc[trial]
    return {
        k: (v.item() if isinstance(v, np.generic) else v)
        for k, v in ((k, row[k]) for k in spec.parameters)
    }


def _judge(
    values: pd.DataFrame, base: pd.DataFrame, measure: Measure, cons: list[Constraint]
) -> dict[str, Any]:
    """A candidate's objective, constraint levels and violations on its replications."""
    objective = measure.of(values[measure.metric].to_numpy(dtype=float))
    levels = [_level(c, values, base) for c in cons]
    violations = [c.violation(level) for c, level in zip(cons, levels, strict=True)]
    return {
        "objective": objective,
        **{c.text: level for c, level in zip(cons, levels, strict=True)},
        "feasible": all(c.met(level) for c, level in zip(cons, levels, strict=True)),
        "violations": [v if math.isfinite(v) else 1e300 for v in violations],
    }


def _level(c: Constraint, values: pd.DataFrame, base: pd.DataFrame) -> float:
    name = c.measure.metric
    mine = values[name].to_numpy(dtype=float)
    if c.versus is None:
        return c.level(mine, mine)
    common = values.index.intersection(base.index)
    return c.level(
        values.loc[common, name].to_numpy(dtype=float), base.loc[common, name].to_numpy(dtype=float)
    )


def _paired(
    a: np.ndarray, b: np.ndarray, measure: Measure, confidence: float, seed: int = 0
) -> tuple[float, float, float]:
    """measure(a) - measure(b) over paired replications and its interval: a paired
    t-interval for a mean, a paired bootstrap (scipy.stats.bootstrap) for a percentile."""
    from scipy import stats

    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    diff = measure.of(a) - measure.of(b)
    if a.size < 2:
        return diff, math.nan, math.nan
    if measure.q is None:
        d = a - b
        if np.all(d == d[0]):
            return diff, diff, diff
        ci = stats.ttest_1samp(d, 0.0).confidence_interval(confidence)
        return diff, float(ci.low), float(ci.high)
    q = measure.q
    res = stats.bootstrap(
        (a, b),
        lambda x, y: np.quantile(x, q) - np.quantile(y, q),
        paired=True,
        confidence_level=confidence,
        n_resamples=2000,
        method="percentile",
        random_state=analysis_generator(seed),
    )
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def _advantage(
    win: pd.DataFrame, base: pd.DataFrame, measure: Measure
) -> tuple[float, tuple[float, float]]:
    common = win.index.intersection(base.index)
    a = win.loc[common, measure.metric].to_numpy(dtype=float)
    b = base.loc[common, measure.metric].to_numpy(dtype=float)
    diff, low, high = _paired(a, b, measure, 1 - ALPHA)
    return diff, (low, high)


def _select(
    chosen: list[int],
    results: list[Results],
    base: pd.DataFrame,
    measure: Measure,
    cons: list[Constraint],
    spec: OptimiseFile,
) -> tuple[pd.DataFrame, int | None]:
    """The finalists on fresh replications: their objective, constraints met again, the
    winner (best feasible objective), and which are indistinguishable from it (paired 95%
    intervals, Bonferroni over the other feasible finalists)."""
    metrics = [_by_replication(r.metrics()) for r in results]
    rows = []
    for trial, of_trial in zip(chosen, metrics, strict=True):
        judged = _judge(of_trial, base, measure, cons)
        judged.pop("violations")
        rows.append({"trial": trial, **judged})
    table = pd.DataFrame(rows)
    table["indistinguishable"] = False
    table["difference_to_winner"] = math.nan
    table["ci_low"] = math.nan
    table["ci_high"] = math.nan
    feasible = table[table["feasible"]]
    if feasible.empty:
        return table, None
    scores = feasible["objective"] if spec.goal == "maximise" else -feasible["objective"]
    best = int(feasible.index[int(scores.to_numpy().argmax())])  # table's index: 0, 1, ...
    winner = int(table["trial"].to_numpy()[best])
    others = max(len(feasible) - 1, 1)
    confidence = 1 - ALPHA / others
    win_values: pd.Series = metrics[best][measure.metric]
    for i in map(int, feasible.index):
        mine: pd.Series = metrics[i][measure.metric]
        common = mine.index.intersection(win_values.index)
        diff, low, high = _paired(
            mine.loc[common].to_numpy(dtype=float),
            win_values.loc[common].to_numpy(dtype=float),
            measure,
            confidence,
        )
        table.loc[i, ["difference_to_winner", "ci_low", "ci_high"]] = diff, low, high
        table.loc[i, "indistinguishable"] = bool(i == best or low <= 0 <= high)
    table["rank"] = (
        table["objective"]
        .where(table["feasible"])
        .rank(ascending=spec.goal != "maximise", method="min")
    )
    return table, winner


def _none_feasible(result: Optimisation, where: str) -> str:
    """Why there is no winner: the constraint closest to being met."""
    cons = result.constraints
    table = result.trials if where == "the search" else result.finalists
    best = []
    for c in cons:
        levels = table[c.text].to_numpy(dtype=float)
        levels = levels[np.isfinite(levels)]
        if levels.size:
            closest = levels.max() if c.op in (">=", ">") else levels.min()
            best.append(f"{c.text}: best reached {_show(c, closest)}")
    keys = [k for k in result.spec.parameters if k in table.columns]  # finalists: distinct
    n = len(table.drop_duplicates(subset=keys)) if keys else len(table)
    return (
        f"no candidate met the constraints on {where} ({n} candidate{'s' * (n != 1)}); "
        + "; ".join(best)
        + ". Loosen a constraint or widen the parameters' ranges."
    )


def _constraint_words(c: Constraint) -> str:
    """What a constraint limits, in words: "first-year attrition", "P(margin > baseline)"."""
    if c.versus is not None:
        return f"P({c.measure.metric} {c.versus} baseline)"
    return c.measure.words


def _show(c: Constraint, level: float) -> str:
    if c.versus is not None:
        return f"{level:.0%}"
    return catalogued(c.measure.metric).format(level)


def optimisation_summary(o: Optimisation) -> dict[str, Any]:
    """The outcome as plain data (optimisation.json next to the tables)."""
    return {
        "objective": o.spec.objective,
        "direction": o.spec.goal,
        "constraints": o.spec.constraints,
        "parameters": {k: v.model_dump(exclude_none=True) for k, v in o.spec.parameters.items()},
        "seed": o.seed,
        "trials": len(o.trials),
        "replications": o.spec.replications,
        "final_replications": o.spec.final_replications,
        "winner": o.winner,
        "winner_values": {k: _plain(v) for k, v in o.winner_values.items()}
        if o.winner is not None
        else None,
        "fresh_advantage": o.fresh_advantage,
        "fresh_interval": list(o.fresh_interval),
        "search_advantage": o.search_advantage,
        "indistinguishable": o.indistinguishable if o.winner is not None else None,
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def optimisation_text(o: Optimisation) -> str:
    """An optimisation's outcome in plain words: the winner, its advantage over the
    scenario (fresh and on the search), the runners-up and how sure the choice is."""
    spec, m = o.spec, o.objective
    unit = catalogued(m.metric)
    distinct = o.trials.drop_duplicates(subset=list(spec.parameters))
    n_unique, n_met = len(distinct), int(distinct["feasible"].sum())
    lines = [
        f"Optimising {m.words} ({spec.goal}) of {o.base.name} over {', '.join(spec.parameters)}",
        f"subject to: {'; '.join(spec.constraints) or 'no constraints'}.",
        f"Search: {len(o.trials)} trials ({n_unique} distinct candidates) on "
        f"{spec.replications} replications each (seed {o.seed}, common random numbers); "
        f"{n_met} of them met the constraints.",
    ]
    if o.winner is None:
        where = "fresh replications" if len(o.finalists) else "the search"
        return "\n".join(lines + [f"No winner: no candidate met the constraints on {where}."])
    lines.append(f"Winner (trial {o.winner}):")
    for key, value in o.winner_values.items():
        lines.append(f"  {key} = {value}")
    low, high = o.fresh_interval
    fmt = lambda v: unit.format(v, signed=True) if m.q is None else unit.format_effect(v)  # noqa: E731
    lines.append(
        f"Against {o.base.name} on {spec.final_replications} fresh replications (seed "
        f"{o.seed + 1}): {m.words} {fmt(o.fresh_advantage)} [{fmt(low)}, {fmt(high)}] "
        f"{unit.unit} (paired 95% CI)."
    )
    lines.append(
        f"On the search replications, where it was picked, it looked "
        f"{fmt(o.search_advantage)} {unit.unit}: "
        + _curse_words(o.search_advantage, o.fresh_advantage)
    )
    f = o.finalists
    lines.append(
        f"Finalists on the fresh replications ({len(f)}; '=' cannot be told from "
        "the winner at 95%, Bonferroni):"
    )
    for _, row in f.sort_values("rank", na_position="last").iterrows():
        mark = "=" if row["indistinguishable"] else " "
        met = "" if row["feasible"] else "  (fails a constraint here)"
        cons = "; ".join(f"{_constraint_words(c)} {_show(c, row[c.text])}" for c in o.constraints)
        lines.append(
            f"  {mark} trial {int(row['trial'])}: {m.words} {unit.format(row['objective'])}"
            + (f"; {cons}" if cons else "")
            + met
        )
    k, others = o.indistinguishable, int(o.finalists["feasible"].sum()) - 1
    if others == 0:
        lines.append(
            "No other finalist met the constraints on the fresh replications, so the "
            "winner was compared with none; a longer search (more trials) may find "
            "better candidates."
        )
    elif k:
        lines.append(
            f"{k} other finalist{'s' * (k != 1)} cannot be told from the winner: treat "
            "them as equally good and choose among them on what the model leaves out."
        )
    else:
        lines.append(
            f"Each of the other {others} finalist{'s' * (others != 1)} is worse than "
            "the winner beyond chance (paired 95% intervals, Bonferroni)."
        )
    return "\n".join(lines)


def _curse_words(search: float, fresh: float) -> str:
    if not (math.isfinite(search) and math.isfinite(fresh)) or search == 0:
        return "no shrinkage to report."
    shrink = search - fresh
    share = shrink / abs(search)
    if share < 0.005:  # under half a percent: nothing to report
        return "it did at least as well on fresh replications (no optimiser's curse seen)."
    return (
        f"{share:.0%} of that advantage was luck of the search replications (the "
        "optimiser's curse); the fresh figure is the one to plan with."
    )

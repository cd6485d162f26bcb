"""Work back from a target (``simsales.plan_hiring``): the smallest hiring plan that
reaches a target with a given confidence.

A leader asks "how many reps must we hire, and when, to reach 150 million by December
with 80% confidence?". The answer is a plan of classes (``workforce.hiring.policy:
plan``) that replaces the scenario's own hiring from reported month 1, as a dated change
(the warm-up runs under the plan as written). Plans of ``n`` trainees are built one way
(``shape``) and searched over ``n`` by bisection, every plan on the same replications
(common random numbers), so the chance of reaching the target grows with ``n`` almost
without noise:

- ``earliest`` (the default) fills classes as early as the limit on class size allows: a
  rep hired earlier sells for longer before the target's month, so no plan of as few
  trainees reaches more (the smallest plan);
- ``level`` spreads them over the months as evenly as whole trainees allow (a steady
  load for the trainers; it needs more trainees).

The plan found on the search replications is then checked on fresh ones (seed + 1),
next to the scenario's own plan on the same fresh replications: the chance reported, its
exact binomial interval and the paired comparison come from those, not from the search
(which picked the plan, and would flatter it). If the fresh check falls short of the
confidence, the next larger plan is checked, at most ``MAX_CHECKS`` times.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from simsales.experiment.executors import Executor, default_executor
from simsales.experiment.results import Results
from simsales.experiment.runs import Comparison, OverallProgress, Progress, check_run
from simsales.metrics.catalogue import metric as catalogued
from simsales.metrics.catalogue import shown_in
from simsales.scenario.schema import Scenario

Shape = Literal["earliest", "level"]
# Targets a plan can aim at: team_month columns summed over months 1..by, or a level at
# the end of month ``by``.
TARGETS = shown_in("target")


def _summed(metric: str) -> bool:
    """A target's metric is summed over months 1..by (counts, amounts), or read at the end
    of month ``by`` (a number such as reps on post): the catalogue's target view."""
    return catalogued(metric).kind != "number"


# assumption: when the scenario's hiring policy sets no largest class, the trainers can
# train a class of 20 (the size of F23's worked example of a class) in a month.
DEFAULT_MAX_CLASS = 20
# assumption: 3 fresh checks, each of a plan 5% larger, before calling a target unreachable
# (a plan picked just at the confidence falls a little short on fresh years by chance
# about half the time).
MAX_CHECKS = 3
PLAN_NAME = "hiring plan"  # the dated change's label (team_month.policy)
AFTER_NAME = "own hiring again"  # after the target's month, the scenario's own hiring


class UnreachableTarget(ValueError):
    """No plan within the limits reaches the target with the confidence asked for;
    ``best`` is the largest plan checked on fresh replications: the largest the limits
    allow, or, when plans that reached the target in the search fell short on fresh
    replications, the largest of those."""

    def __init__(self, message: str, best: HiringPlan | None = None):
        super().__init__(message)
        self.best = best


@dataclass(frozen=True)
class Target:
    """``metric`` reaches ``value`` by reported month ``by`` (a total over months 1..by,
    or a level at the end of month ``by``: ``TARGETS``)."""

    metric: str
    value: float
    by: int
    by_label: str  # "2027-12" with horizon.start, else "month 12"

    def reached(self, team_month: pd.DataFrame) -> pd.Series:
        """Per replication, the target's metric (``of``) and whether it reached it."""
        return self.of(team_month) >= self.value

    def of(self, team_month: pd.DataFrame) -> pd.Series:
        """Per replication: the metric's total over months 1..by, or its level at ``by``."""
        upto = team_month[team_month["month"] <= self.by]
        grouped = upto.groupby("replication", sort=True)[self.metric]
        if _summed(self.metric):
            return grouped.sum()
        return upto[upto["month"] == self.by].set_index("replication")[self.metric].sort_index()

    @property
    def text(self) -> str:
        """The target in words: "revenue of 150,000,000 yuan by 2027-12"."""
        m = catalogued(self.metric)
        when = "by" if _summed(self.metric) else "at the end of"
        return f"{m.phrase} of {m.format(self.value)} {m.unit} {when} {self.by_label}"


def parse_target(text: str) -> tuple[str, float]:
    """``"revenue=150e6"`` as ("revenue", 150000000.0); ValueError naming what is allowed."""
    found = re.fullmatch(r"\s*([a-z_]+)\s*=\s*([^=\s]+)\s*", text)
    allowed = f"write METRIC=VALUE with METRIC one of {', '.join(TARGETS)}, e.g. revenue=150e6"
    if not found:
        raise ValueError(f"target {text!r}: {allowed}")
    name, number = found.groups()
    try:
        value = float(number.replace("_", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"target {text!r}: {number!r} is not a number; {allowed}") from None
    return name, value


def make_target(
    scenario: Scenario, target: str | Mapping[str, float], by: int | str | dt.date | None = None
) -> Target:
    """A ``Target`` from ``"revenue=150e6"`` or ``{"revenue": 150e6}`` and the month
    ``by`` (a reported month, "YYYY-MM" or a date with horizon.start; default the last
    reported month). ValueError for anything else."""
    if isinstance(target, str):
        name, value = parse_target(target)
    else:
        items = list(dict(target).items())
        if len(items) != 1:
            raise ValueError(f"give one target, e.g. {{'revenue': 150e6}}; got {dict(target)}")
        name, number = items[0]
        try:
            value = float(number)
        except (TypeError, ValueError):
            raise ValueError(
                f"target {name}={number!r} is not a number; e.g. {{'revenue': 150e6}}"
            ) from None
    if name not in TARGETS:
        raise ValueError(
            f"target metric {name!r} is not one a plan can aim at; allowed: {', '.join(TARGETS)}"
        )
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"target {name}={value!r}: the target must be a positive number")
    h = scenario.horizon
    month = _reported_month(scenario, by)
    if not 1 <= month <= h.months:
        raise ValueError(
            f"by={by!r} is reported month {month}; the scenario reports months "
            f"1..{h.months}"
            + (f" ({_label(scenario, 1)} to {_label(scenario, h.months)})" if h.start else "")
        )
    return Target(name, value, month, _label(scenario, month))


def _reported_month(scenario: Scenario, by: int | str | dt.date | None) -> int:
    h = scenario.horizon
    if by is None:
        return h.months
    if isinstance(by, (bool, np.bool_)):
        raise ValueError(f"by={by!r}: give a reported month (1..{h.months}) or YYYY-MM")
    if isinstance(by, numbers.Integral):
        return int(by)
    if isinstance(by, str) and re.fullmatch(r"\d+", by.strip()):
        return int(by)
    if h.start is None:
        raise ValueError(
            f"by={by!r} is a date, but the scenario has no horizon.start; give "
            f"a reported month 1..{h.months}"
        )
    if isinstance(by, str):
        found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", by)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise ValueError(
                f"by={by!r}: write a month as YYYY-MM (e.g. 2027-12) or a "
                f"reported month 1..{h.months}"
            )
        by = dt.date(int(found.group(1)), int(found.group(2)), 1)
    if not isinstance(by, dt.date):
        raise ValueError(f"by={by!r}: give a reported month (1..{h.months}) or YYYY-MM")
    return h.month_index_of(by) - h.warmup_months + 1


def _label(scenario: Scenario, month: int) -> str:
    h = scenario.horizon
    return h.month_label(month + h.warmup_months - 1) if h.start else f"month {month}"


def class_sizes(hires: int, months: int, max_class: int, shape: Shape) -> list[int]:
    """Class sizes of a plan of ``hires`` trainees over ``months`` months, at most
    ``max_class`` a class: as early as possible, or as level as possible (the odd
    trainees in the earliest months)."""
    if not 0 <= hires <= months * max_class:
        raise ValueError(f"{hires} trainees do not fit {months} classes of at most {max_class}")
    if shape == "earliest":
        return [min(max_class, max(hires - i * max_class, 0)) for i in range(months)]
    base, extra = divmod(hires, months)
    return [base + (i < extra) for i in range(months)]


def planned_scenario(
    scenario: Scenario, classes: list[tuple[int, int]], name: str, until: int | None = None
) -> Scenario:
    """``scenario`` with its hiring replaced from reported month 1 by ``classes``
    (reported month, trainees): a dated change named ``PLAN_NAME``, merged into a change
    of month 1 if the scenario has one. With ``until`` before the last reported month,
    the scenario's own hiring comes back from the month after it (a change named
    ``AFTER_NAME``), so months after the target are not left without hiring. ValueError
    if a later change of the scenario sets the hiring (the plan would not hold)."""
    h = scenario.workforce.hiring
    keep = h.model_dump(
        exclude={"policy", "class_size", "every_months", "target_reps", "max_class_size", "plan"}
    )
    plan = [{"month": m, "size": s} for m, s in classes if s > 0]
    hiring = {**keep, "policy": "plan", "plan": plan} if plan else {**keep, "policy": "none"}
    changes = [c.model_dump(by_alias=True, exclude_none=True) for c in scenario.changes or []]
    for change in changes:
        touched = [
            k
            for k in change["set"]
            if "workforce.hiring".startswith(k) or k.startswith("workforce.hiring")
        ]
        if touched:
            raise ValueError(
                f"the scenario's change at month {change['month']} sets {touched[0]}: a hiring "
                "plan from month 1 would not hold after it; remove that key from the change"
            )
    _change_at(changes, 1, PLAN_NAME)["set"]["workforce.hiring"] = hiring
    if until is not None and until < scenario.horizon.months:
        own = h.model_dump(mode="json", exclude_none=True)
        _change_at(changes, until + 1, AFTER_NAME)["set"]["workforce.hiring"] = own
    return scenario.with_overrides({"changes": changes, "name": name}, source="hiring plan")


def _change_at(changes: list[dict[str, Any]], month: int, name: str) -> dict[str, Any]:
    """The change of ``month`` in ``changes`` (ordered by month), added if there is none."""
    for change in changes:
        if change["month"] == month:
            return change
    new: dict[str, Any] = {"month": month, "name": name, "set": {}}
    changes.append(new)
    changes.sort(key=lambda c: c["month"])
    return new


@dataclass
class HiringPlan:
    """The plan found for a target: its classes, its chance of reaching the target on
    fresh replications, and how it compares with the scenario's own hiring."""

    target: Target
    confidence: float
    shape: Shape
    max_class: int
    max_class_source: str  # where the limit comes from, in words
    classes: list[tuple[int, int]]  # (reported month, trainees), every month of the window
    p_target: float  # on the fresh replications
    p_interval: tuple[float, float]  # exact (Clopper-Pearson) 95% interval
    p_today: float  # the scenario's own hiring, on the same fresh replications
    search: pd.DataFrame  # hires, p_target on the search replications, per plan tried
    comparison: Comparison  # today's plan (baseline) and the plan, fresh replications
    seed: int
    replications: int
    check_replications: int
    planned: Scenario  # the scenario with the plan, as run (plan.yaml)
    reachable: bool = True
    labels: dict[int, str] = field(default_factory=dict)  # reported month -> YYYY-MM

    @property
    def hires(self) -> int:
        return sum(size for _, size in self.classes)

    @property
    def results(self) -> Results:
        """The plan's results on the fresh replications."""
        return list(self.comparison.results.values())[1]

    @property
    def today(self) -> Results:
        """The scenario's own hiring on the same fresh replications."""
        return self.comparison.results[self.comparison.baseline]

    def table(self) -> pd.DataFrame:
        """The classes: one row per month of the plan with a class."""
        rows = [
            {"month": m, "date": self.labels.get(m), "trainees": s}
            for m, s in self.classes
            if s > 0
        ]
        table = pd.DataFrame(rows, columns=["month", "date", "trainees"])
        return table.drop(columns="date") if not self.labels else table

    def headcount(self) -> pd.DataFrame:
        """Month by month, reps on post and in training under the plan and under today's
        hiring: mean and P10-P90 over the fresh replications."""
        parts = []
        for who, res in (("plan", self.results), ("today", self.today)):
            g = res.team_month.groupby("month")
            for column in ("reps_on_post", "reps_in_training"):
                parts.append(
                    pd.DataFrame(
                        {
                            "hiring": who,
                            "what": column,
                            "mean": g[column].mean(),
                            "p10": g[column].quantile(0.1),
                            "p90": g[column].quantile(0.9),
                        }
                    ).reset_index()
                )
        return pd.concat(parts, ignore_index=True)

    def money(self, confidence: float = 0.95) -> pd.DataFrame:
        """The plan against today's hiring in the metrics a leader weighs (hires, cost of
        sales, margin, revenue, reps on post): paired differences with their intervals."""
        table = self.comparison.table(confidence)
        wanted = list(shown_in("plan"))
        table = table[table["metric"].isin(wanted)]
        return table.set_index("metric").loc[[w for w in wanted if w in set(table["metric"])]]

    def text(self) -> str:
        """The answer in plain words, for a leader."""
        return plan_text(self)


def plan_hiring(
    scenario: Scenario,
    target: str | Mapping[str, float],
    confidence: float = 0.8,
    by: int | str | dt.date | None = None,
    max_class_size: int | None = None,
    shape: Shape = "earliest",
    replications: int = 100,
    check_replications: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | bool | None = None,
) -> HiringPlan:
    """The smallest hiring plan (classes by reported month, at most ``max_class_size`` a
    class) under which ``scenario`` reaches ``target`` (``"revenue=150e6"`` or
    ``{"revenue": 150e6}``; the metric's total over months 1..``by``, or reps on post at
    the end of ``by``) in at least ``confidence`` of simulated years.

    The plan replaces the scenario's hiring from reported month 1 (module docstring).
    ``max_class_size`` defaults to the scenario's ``workforce.hiring.max_class_size``,
    else ``DEFAULT_MAX_CLASS``. Plans are searched on ``replications`` with ``seed`` and
    the one found is checked on ``check_replications`` (default: as many) fresh ones
    with ``seed + 1``. Raises ``UnreachableTarget`` when no plan within the limits
    reaches the target, ValueError for a bad target or argument.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if shape not in ("earliest", "level"):
        raise ValueError(f"shape must be 'earliest' or 'level', got {shape!r}")
    goal = make_target(scenario, target, by)
    max_class, source = _max_class(scenario, max_class_size)
    check_replications = check_replications or replications
    check_run([scenario], max(replications, check_replications), seed, workers)
    months = list(range(1, goal.by + 1))
    most = max_class * len(months)
    if executor is None:
        executor = default_executor(workers, tasks=max(replications, check_replications))
    steps = 2 + math.ceil(math.log2(most + 1)) + 2 * MAX_CHECKS
    counter = OverallProgress(progress, steps * replications)

    def scenario_of(hires: int) -> Scenario:
        plan = list(zip(months, class_sizes(hires, len(months), max_class, shape), strict=True))
        return planned_scenario(scenario, plan, _name(scenario, hires), until=goal.by)

    def run_plan(hires: int, reps: int, at: int, with_today: bool = False) -> list[Results]:
        sc = scenario_of(hires)
        runs = [scenario, sc] if with_today else [sc]
        return counter.run_many(runs, reps, at, executor)

    chances: dict[int, float] = {}

    def chance(hires: int) -> float:
        if hires not in chances:
            (res,) = run_plan(hires, replications, seed)
            chances[hires] = float(goal.reached(res.team_month).mean())
        return chances[hires]

    def search_table() -> pd.DataFrame:
        rows = sorted(chances.items())
        return pd.DataFrame(rows, columns=["hires", "p_target"])

    def checked(hires: int, reachable: bool = True) -> HiringPlan:
        today, res = run_plan(hires, check_replications, seed + 1, with_today=True)
        hit = goal.reached(res.team_month)
        k, n = int(hit.sum()), int(hit.size)
        from scipy import stats

        ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        sizes = class_sizes(hires, len(months), max_class, shape)
        every = range(1, scenario.horizon.months + 1)
        labels = {m: _label(scenario, m) for m in every} if scenario.horizon.start else {}
        comparison = Comparison(scenario.name, {scenario.name: today, _name(scenario, hires): res})
        return HiringPlan(
            goal,
            confidence,
            shape,
            max_class,
            source,
            list(zip(months, sizes, strict=True)),
            k / n,
            (ci.low, ci.high),
            float(goal.reached(today.team_month).mean()),
            search_table(),
            comparison,
            seed,
            replications,
            check_replications,
            scenario_of(hires),
            reachable,
            labels,
        )

    if chance(most) < confidence:
        best = checked(most, reachable=False)
        raise UnreachableTarget(_unreachable(goal, confidence, best), best)
    low, high = -1, most  # chance(low) < confidence <= chance(high)
    if chance(0) >= confidence:
        high = 0
    while high - low > 1:
        mid = (low + high) // 2
        if chance(mid) >= confidence:
            high = mid
        else:
            low = mid
    found = checked(high)
    tries = 1
    while found.p_target < confidence and tries < MAX_CHECKS and found.hires < most:
        bigger = min(most, found.hires + max(1, math.ceil(0.05 * max(found.hires, 1))))
        found, tries = checked(bigger), tries + 1
    if found.p_target < confidence:
        found.reachable = False
        raise UnreachableTarget(_unreachable(goal, confidence, found), found)
    counter.finish()
    return found


def _name(scenario: Scenario, hires: int) -> str:
    return f"{scenario.name}, hiring plan of {hires}"


def _max_class(scenario: Scenario, given: int | None) -> tuple[int, str]:
    if given is not None:
        if isinstance(given, bool) or not isinstance(given, int) or not 1 <= given <= 10_000:
            raise ValueError(f"max_class_size must be a whole number 1..10000, got {given!r}")
        return given, "given"
    own = scenario.workforce.hiring.max_class_size
    if own is not None:
        return own, "the scenario's workforce.hiring.max_class_size"
    return DEFAULT_MAX_CLASS, (
        "assumption: the scenario sets no largest class; 20, the size of F23's example class"
    )


def _unreachable(goal: Target, confidence: float, best: HiringPlan) -> str:
    """Why no plan reaches the target, plainly."""
    m = catalogued(goal.metric)
    reached = m.format(float(np.mean(best.target.of(best.results.team_month))))
    most = best.max_class * goal.by
    if best.hires == most:
        which = (f"The most the limits allow ({most} trainees: a class of {best.max_class} "
                 f"every month from month 1 to {goal.by})")  # fmt: skip
    else:
        which = (f"The plans that reached it on the search replications fell short on fresh "
                 f"ones; the largest checked ({best.hires} trainees)")  # fmt: skip
    return (
        f"No hiring plan within the limits reaches {goal.text} with {confidence:.0%} "
        f"confidence. {which} reaches it in {best.p_target:.0%} of fresh simulated years, "
        f"with {m.phrase} of {reached} {m.unit} on average. Lower the target, allow larger "
        "classes (max_class_size, --max-class), give the target a later month (by, --by), "
        "or use more replications."
    )


def plan_summary(plan: HiringPlan) -> dict[str, Any]:
    """The plan as plain data (for a JSON file next to the tables)."""
    return {
        "target": {
            "metric": plan.target.metric,
            "value": plan.target.value,
            "by": plan.target.by,
            "by_label": plan.target.by_label,
        },
        "confidence": plan.confidence,
        "shape": plan.shape,
        "max_class_size": plan.max_class,
        "classes": [{"month": m, "trainees": s} for m, s in plan.classes if s > 0],
        "hires": plan.hires,
        "p_target": plan.p_target,
        "p_interval": list(plan.p_interval),
        "p_today": plan.p_today,
        "seed": plan.seed,
        "replications": plan.replications,
        "check_replications": plan.check_replications,
        "reachable": plan.reachable,
    }


def plan_text(plan: HiringPlan) -> str:
    """A hiring plan in plain words: the target, the classes, the chance of reaching the
    target with its interval, the plan against today's hiring, and reps on post by month."""
    goal, p = plan.target, plan
    lo, hi = p.p_interval
    n = p.check_replications
    where = lambda m: f"month {m}" + (f" ({p.labels[m]})" if m in p.labels else "")  # noqa: E731
    today_hires = float(p.today.metrics()["hires"].mean())
    lines = [
        f"Target: {goal.text}, in at least {p.confidence:.0%} of simulated years.",
        f"Smallest hiring plan within the limits ({p.shape} classes of at most {p.max_class}; "
        f"{p.max_class_source}), replacing today's hiring in months 1 to {goal.by}"
        + (":" if goal.by == p.results.team_month["month"].max() else ", then today's again:"),
        *(f"  {where(m)}: {size} trainee{'s' * (size != 1)}" for m, size in p.classes if size),
        f"  {p.hires} trainees in all (today's hiring: {today_hires:,.0f} on average).",
        f"Chance of reaching the target: {p.p_target:.0%} [{lo:.0%}, {hi:.0%}] over {n} fresh "
        f"simulated years (95% exact interval); with today's hiring: {p.p_today:.0%}.",
        "Against today's hiring (mean difference per simulated year, paired 95% CI):",
    ]
    for name, row in p.money().iterrows():
        m = catalogued(str(name))
        lines.append(
            f"  {m.label}: {m.format(row['difference'], signed=True)} "
            f"[{m.format(row['ci_low'], signed=True)}, {m.format(row['ci_high'], signed=True)}]"
            f" {m.unit}".rstrip()
        )
    path = p.headcount()
    on_post = path[path["what"] == "reps_on_post"].set_index(["hiring", "month"])
    lines.append("Reps on post at each month's end: plan mean (P10-P90) / today's mean:")
    for month in sorted(set(on_post.index.get_level_values("month"))):
        mine, today = on_post.loc[("plan", month)], on_post.loc[("today", month)]
        lines.append(
            f"  {where(int(month))}: {mine['mean']:.1f} ({mine['p10']:.0f}-"
            f"{mine['p90']:.0f}) / {today['mean']:.1f}"
        )
    lines.append(
        f"Found by bisection over {len(p.search)} plans on {p.replications} replications "
        f"(seed {p.seed}, common random numbers), then checked on {n} fresh ones "
        f"(seed {p.seed + 1}), with today's hiring on the same ones."
    )
    return "\n".join(lines)

"""The scenarios in force over a run with dated changes (``Scenario.changes``).

Phase 0 is the scenario as written (it runs the warm-up); phase k is it with changes
1..k applied, each validated as a whole scenario, so a change that leaves the scenario
inconsistent is one clear error naming the change.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from simsales.scenario.errors import ScenarioError, shown_value
from simsales.scenario.sections.common import Inconsistent

if TYPE_CHECKING:
    from simsales.scenario.schema import Scenario


def phase_scenarios(scenario: Scenario) -> list[tuple[int, Scenario]]:
    """``(month index, scenario)`` of each phase; empty when there are no changes.

    Month index 0 is the warm-up's first month; a change at reported month m starts at
    index ``warmup_months + m - 1``.
    """
    from simsales.scenario.overrides import set_dotted  # overrides imports the schema

    if not scenario.changes:
        return []
    data = copy.deepcopy(scenario.model_dump(mode="python", by_alias=True))
    data["changes"] = data["shocks"] = None  # the phases are the rules; shocks are events
    source = f"scenario {scenario.name!r}"
    phases = [(0, _validated(data, source, None))]
    warmup = scenario.horizon.warmup_months
    for i, change in enumerate(scenario.changes):
        where = f"changes.{i}.set"
        for key, value in change.settings.items():
            try:
                set_dotted(data, key, value, source)
            except ScenarioError as exc:
                raise Inconsistent(f"{where}.{key}", value, _reason(exc)) from None
        phases.append((warmup + change.month - 1, _validated(data, source, (where, change))))
    return phases


def _validated(data: dict, source: str, change: tuple | None) -> Scenario:
    from simsales.scenario.loader import validate

    try:
        return validate(copy.deepcopy(data), source)
    except ScenarioError as exc:
        if change is None:
            raise
        where, c = change
        problem = exc.problems[0]
        raise Inconsistent(
            where,
            dict(c.settings),
            f"{c.label!r} leaves the scenario invalid: {problem.field}: "
            f"{problem.message}"
            + (f" (value {shown_value(problem.value)})" if problem.has_value else ""),
        ) from None


def _reason(exc: ScenarioError) -> str:
    problem = exc.problems[0]
    return f"{problem.field}: {problem.message}"

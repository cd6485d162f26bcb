"""Dotted-key overrides: ``{"team.reps": 50}`` applied to a Scenario, re-validated."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.loader import validate
from simsales.scenario.schema import Scenario

SOURCE = "override"


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """Return a new Scenario with dotted keys replaced; the input is not modified.

    Keys address nested fields (``rep.norms.visits``) and list items by index
    (``market.territories.0.firms``). Unknown keys and bad values raise ScenarioError.
    """
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    for key, value in overrides.items():
        _set(data, key, value)
    return validate(data, SOURCE)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse a CLI ``key=value``; the value is read as a YAML scalar or list (safe_load)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(SOURCE, [Problem("", f"{text!r} is not of the form dotted.key=value")])
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        raise ScenarioError(
            SOURCE, [Problem(key, "value is not valid YAML", value=raw, has_value=True)]
        ) from None
    return key, value


def _set(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    SOURCE,
                    [Problem(here, f"list index out of range; allowed: 0..{len(node) - 1}")],
                )
            idx: Any = int(part)
        elif isinstance(node, dict):
            if part not in node:
                allowed = ", ".join(node)
                raise ScenarioError(SOURCE, [Problem(here, f"unknown key; allowed here: {allowed}")])
            idx = part
        else:
            parent = ".".join(parts[:i])
            raise ScenarioError(SOURCE, [Problem(parent, "is a value, it has no sub-keys")])
        if last:
            node[idx] = value
        else:
            node = node[idx]

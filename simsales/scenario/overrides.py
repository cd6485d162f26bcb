"""Dotted-key overrides: ``{"team.reps": 50}`` applied to a Scenario, re-validated."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.loader import SafeLoader, allowed_keys, validate
from simsales.scenario.schema import Scenario

SOURCE = "override"


def apply_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], source: str = SOURCE
) -> Scenario:
    """Return a new Scenario with dotted keys replaced; the input is not modified.

    Keys address nested fields (``rep.norms.visits``) and list items by index
    (``market.territories.0.firms``). Unknown keys and bad values raise ScenarioError.
    """
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    for key, value in overrides.items():
        _set(data, key, value, source)
    return validate(data, source)


def parse_assignment(text: str, source: str = "--set") -> tuple[str, Any]:
    """Parse a CLI ``key=value``; the value is read as YAML (safe loader)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(source, [Problem("", f"{text!r} is not of the form dotted.key=value")])
    try:
        value = yaml.load(raw, Loader=SafeLoader) if raw.strip() else raw  # noqa: S506
    except yaml.YAMLError:
        raise ScenarioError(
            source, [Problem(key, "value is not valid YAML", value=raw, has_value=True)]
        ) from None
    return key, value


def _set(data: dict, key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    source,
                    [Problem(here, f"list index out of range; allowed: 0..{len(node) - 1}")],
                )
            idx: Any = int(part)
        elif isinstance(node, dict):
            # A field the schema has may be absent: an optional field left out, e.g. after
            # an earlier override replaced its whole section.
            allowed = allowed_keys(tuple(int(p) if p.isdigit() else p for p in parts[:i]))
            if part not in node and part not in allowed:
                raise ScenarioError(
                    source,
                    [Problem(here, f"unknown key; allowed here: {', '.join(allowed or node)}")],
                )
            if not last and part not in node:
                raise ScenarioError(source, [Problem(here, "is not set, so it has no sub-keys")])
            idx = part
        else:
            parent = ".".join(parts[:i])
            raise ScenarioError(source, [Problem(parent, "is a value, it has no sub-keys")])
        if last:
            node[idx] = copy.deepcopy(value)  # later keys may edit it: never the caller's
        else:
            node = node[idx]

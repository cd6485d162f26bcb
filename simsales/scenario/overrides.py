"""Dotted-key overrides: ``{"team.reps": 50}`` applied to a Scenario, re-validated.

A changed scenario is renamed so its tables cannot be mistaken for the original's
(``derived_name``), unless the overrides give ``name`` themselves.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simsales.scenario.errors import Problem, ScenarioError, shown_value
from simsales.scenario.loader import allowed_keys, parse_yaml, read_roster_names, validate
from simsales.scenario.schema import Scenario

SOURCE = "override"
CLI_SOURCE = "--set"
LABEL_CHARS = 60  # longest list of changes appended to a name
NAME_CHARS = next(  # the schema's limit on a name
    m.max_length for m in Scenario.model_fields["name"].metadata if hasattr(m, "max_length")
)
# text values shown as they are in a name: no space at either end, so a name never ends in one
_PLAIN_TEXT = re.compile(r"[\w.+-](?:[\w .+-]{0,28}[\w.+-])?")
_MISSING = object()


def apply_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], source: str = SOURCE
) -> Scenario:
    """Return a new Scenario with dotted keys replaced; the input is not modified.

    Keys address nested fields (``rep.norms.visits``) and list items by index
    (``market.territories.0.firms``). Unknown keys and bad values raise ScenarioError.
    The result is named by ``derived_name`` unless ``name`` is among the overrides.
    """
    result = _apply(scenario, overrides, source)
    if "name" in overrides:
        return result
    return _renamed(result, derived_name(scenario, result, overrides))


def _apply(scenario: Scenario, overrides: Mapping[str, Any], source: str) -> Scenario:
    data = copy.deepcopy(scenario.model_dump(mode="python", by_alias=True))
    for key, value in overrides.items():
        set_dotted(data, key, value, source)
    # A roster given as a file name (--set team.roster=today.csv): relative to here.
    return validate(data, source, read_roster_names(data, Path.cwd(), {}))


def _renamed(scenario: Scenario, name: str) -> Scenario:
    return scenario if name == scenario.name else scenario.model_copy(update={"name": name})


def derived_name(before: Scenario, after: Scenario, keys: Iterable[str]) -> str:
    """The name of ``after``, made from ``before`` by overriding ``keys``.

    Keys whose value did not change are left out; if none changed, the name stays
    ``before.name``. Otherwise the changed keys, sorted, are appended with their new
    values: ``"baseline, team.reps=80"``, ``"baseline, quota.revenue_per_month=180000,
    team.reps=80"``. If that would add more than LABEL_CHARS characters, or a value is
    a list, a mapping or text with other characters than letters, digits, spaces and
    ``.+-_``, the keys alone are appended with a short hash of the new values
    (``"baseline, market.territories #3fa2c1"``), or only their number when even the
    keys are too long (``"baseline, 7 changes #9b0d4e"``). The same changes always give
    the same name, and different changes different names. A name stays within the
    schema's 120 characters by shortening ``before.name``.
    """
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    changed = sorted(
        {k for k in keys if k != "name" and _get(new, k) != _get(old, k)},
    )
    if not changed:
        return before.name
    values = {key: _get(new, key) for key in changed}
    shown = [_shown(v) for v in values.values()]
    label = ", ".join(f"{k}={s}" for k, s in zip(changed, shown, strict=True))
    if None in shown or len(label) > LABEL_CHARS:
        text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
        digest = "#" + hashlib.sha256(text.encode()).hexdigest()[:6]
        label = f"{', '.join(changed)} {digest}"
        if len(label) > LABEL_CHARS:
            label = f"{len(changed)} change{'s' if len(changed) > 1 else ''} {digest}"
    room = NAME_CHARS - len(label) - 2
    head = before.name if len(before.name) <= room else before.name[: room - 1] + "~"
    return f"{head}, {label}"


def _get(data: Any, key: str) -> Any:
    """The value at dotted ``key`` of dumped scenario data, or _MISSING."""
    return value_at(data, key, _MISSING)


def value_at(data: Any, key: str, missing: Any = None) -> Any:
    """The value at dotted ``key`` (``pay.commission.rate``, ``market.territories.0``)
    of dumped scenario data, or ``missing`` where there is none."""
    node = data
    for part in key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return missing
    return node


def _shown(value: Any) -> str | None:
    """A short, file-name-safe text of a plain value for a name; None if there is none."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # null, true, false as in YAML
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
        return value
    return None


def apply_cli_overrides(scenarios: list[Scenario], assignments: list[str]) -> list[Scenario]:
    """Apply ``--set`` assignments to the scenarios of one command.

    Each assignment is ``dotted.key=value`` (applied to every scenario) or
    ``NAME:dotted.key=value`` (only to the scenario named NAME; the name is everything
    before the last ``:`` ahead of the first ``=``, since keys hold neither ``:`` nor
    ``=``, so ``a.b=x:y`` sets ``a.b`` to ``x:y`` for every scenario). Values are YAML.
    Assignments apply in the order given, a later one to the same key winning, and each
    scenario's are validated together.

    Naming: overrides for every scenario keep each scenario's name (the command was
    asked to change them all alike, and the names stay those of the files); a scenario
    changed by overrides of its own is renamed by ``derived_name`` from those alone,
    e.g. ``compare a.yaml b.yaml --set b:team.reps=80`` compares ``a`` with
    ``b, team.reps=80``. ``name=...`` (scoped or not) sets the name outright.

    Raises ScenarioError (source ``--set``) for a malformed assignment, an unknown
    NAME, bad keys or values, or overrides that would give two scenarios one name.
    """
    names = [sc.name for sc in scenarios]
    common: list[tuple[str, Any]] = []
    own: dict[str, list[tuple[str, Any]]] = {name: [] for name in names}
    for text in assignments:
        scope, key, value = _scoped_assignment(text, names)
        (common if scope is None else own[scope]).append((key, value))
    out = []
    for sc in scenarios:
        mine = own[sc.name]
        pairs = _in_order([*common, *mine]) if common or mine else {}
        if not pairs:
            out.append(sc)
            continue
        try:
            result = _apply(sc, {"name": sc.name, **pairs}, CLI_SOURCE)
        except ScenarioError as exc:
            raise _for_scenario(exc, sc.name, len(scenarios)) from None
        if "name" not in pairs:
            result = _renamed(result, derived_name(sc, result, [k for k, _ in mine]))
        out.append(result)
    _check_distinct(names, [sc.name for sc in out])
    return out


def _scoped_assignment(text: str, names: list[str]) -> tuple[str | None, str, Any]:
    """(scenario name or None for all, key, value) of one ``--set`` assignment."""
    head, sep, rest = text.partition("=")
    scope, colon, key = head.rpartition(":")
    if not colon:
        key, value = parse_assignment(text, CLI_SOURCE)
        return None, key, value
    scope = scope.strip()
    if scope not in names:
        raise ScenarioError(
            CLI_SOURCE,
            [
                Problem(
                    "",
                    f"{shown_value(text)}: no scenario is named {shown_value(scope)}; "
                    "scenarios here: "
                    f"{', '.join(map(repr, names))} (write NAME:dotted.key=value, or "
                    "dotted.key=value for every scenario)",
                )
            ],
        )
    key, value = parse_assignment(key + sep + rest, CLI_SOURCE)
    return scope, key, value


def _in_order(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Assignments as one mapping applied in order: a repeated key moves to its last place."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        out.pop(key, None)
        out[key] = value
    return out


def _for_scenario(exc: ScenarioError, name: str, n_scenarios: int) -> ScenarioError:
    """``exc`` naming the scenario it arose in, when the command has several."""
    if n_scenarios < 2:
        return exc
    problems = [
        Problem(p.field, f"{p.message} (in scenario {name!r})", p.value, p.line, p.has_value)
        for p in exc.problems
    ]
    return ScenarioError(exc.source, problems)


def _check_distinct(before: list[str], after: list[str]) -> None:
    repeated = sorted({n for n in after if after.count(n) > 1})
    if repeated and len(set(before)) == len(before):
        raise ScenarioError(
            CLI_SOURCE,
            [
                Problem(
                    "name",
                    f"the overrides give two scenarios one name: {repeated}; scope a name "
                    "to one scenario, e.g. --set 'b:name=more_reps'",
                )
            ],
        )


def parse_assignment(text: str, source: str = "--set") -> tuple[str, Any]:
    """Parse a CLI ``key=value``; the value is read as YAML by the scenario loader's
    ``parse_yaml`` (safe, no aliases, bounded nesting), so a value it cannot read
    (``2020-02-30`` for a number, ``!!int abc``) is a ScenarioError naming ``key``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            source, [Problem("", f"{shown_value(text)} is not of the form dotted.key=value")]
        )
    if not raw.strip():
        return key, raw
    try:
        value, _ = parse_yaml(raw, source)
    except ScenarioError as exc:
        problems = [_under_key(key, p, raw) for p in exc.problems]
        raise ScenarioError(source, problems) from None
    return key, value


def _under_key(key: str, problem: Problem, raw: str) -> Problem:
    """A problem found reading the YAML value of ``key=...``: named by the key (and the
    path inside the value), with the value in place of a line number."""
    inner = problem.field
    field = key + ("" if not inner else inner if inner.startswith("[") else f".{inner}")
    message = problem.message
    if not problem.has_value and not message.startswith("malformed YAML"):
        message = f"value is refused: {message}"
    elif not problem.has_value:
        message = "value is not valid YAML"
    value = problem.value if problem.has_value else raw
    return Problem(field, message, value, None, True)


def set_dotted(data: dict, key: str, value: Any, source: str) -> None:
    """Set dotted ``key`` (``rep.norms.visits``, ``market.territories.0.firms``) in the
    dumped scenario ``data`` to a copy of ``value``; an unknown key or a key below a value
    is a ScenarioError naming ``source``. An optional section left out is started."""
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
            if not last and node.get(part) is None:
                below = allowed_keys(tuple(int(p) if p.isdigit() else p for p in parts[: i + 1]))
                if not below:  # a value, or a field with no sub-keys of its own
                    raise ScenarioError(
                        source, [Problem(here, "is not set, so it has no sub-keys")]
                    )
                node[part] = {}  # an optional section left out (None): its keys start it
            idx = part
        else:
            parent = ".".join(parts[:i])
            raise ScenarioError(source, [Problem(parent, "is a value, it has no sub-keys")])
        if last:
            node[idx] = copy.deepcopy(value)  # later keys may edit it: never the caller's
        else:
            node = node[idx]

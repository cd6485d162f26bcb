"""Read a scenario file safely and turn every problem into a ScenarioError."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.schema import SCHEMA_VERSION, Inconsistent, Scenario

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: scenario files are small; larger is a mistake


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no code, no objects), also reading ``1e-05`` as a float.

    YAML 1.1 wants a dot in a float's mantissa, so plain PyYAML reads ``1e-05`` as text.
    """


SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

Path_ = tuple[str | int, ...]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a YAML scenario file.

    Raises ScenarioError naming the file, field path, bad value and what is allowed.
    """
    path = Path(path)
    src = str(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "file not found"
        raise ScenarioError(src, [Problem("", what)])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            src, [Problem("", f"file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are allowed")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(src, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
    data, lines = parse_yaml(text, src)
    return validate(data, src, lines)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML with ``safe_load`` semantics; also map each key path to its line."""
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(source, [Problem("", f"malformed YAML: {reason}", line=line)]) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines, source)
    return data, lines


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ScenarioError(
                    source,
                    [
                        Problem(
                            _dotted((*path, key)),
                            "key appears twice in the same mapping; each key may appear once",
                            line=key_node.start_mark.line + 1,
                        )
                    ],
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, source)


def validate(data: Any, source: str, lines: dict[Path_, int] | None = None) -> Scenario:
    """Validate parsed data into a Scenario, or raise ScenarioError."""
    lines = lines or {}
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source,
            [Problem("", f"top level is {kind}; a mapping of scenario sections is required")],
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, [_problem(e, data, lines) for e in exc.errors()]) from None


def _problem(err: dict, data: Any, lines: dict[Path_, int]) -> Problem:
    loc: Path_ = tuple(err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, Inconsistent):  # a cross-field rule: it names its own field
        loc = (*loc, *cause.field.split("."))
        return Problem(_dotted(loc), str(cause), cause.value, _line(loc, lines), has_value=True)
    if err["type"] == "missing":
        return Problem(_dotted(loc), "required field is missing", line=_line(loc[:-1], lines))
    if err["type"] == "extra_forbidden":
        return Problem(
            _dotted(loc),
            f"unknown key; allowed here: {', '.join(allowed_keys(loc[:-1]))}",
            line=_line(loc, lines),
        )
    if loc == ("schema_version",):
        message = f"unsupported schema_version; allowed: {SCHEMA_VERSION}"
    value = err.get("input")
    has_value = bool(loc) and not isinstance(value, dict)
    return Problem(_dotted(loc), message, value=value, line=_line(loc, lines), has_value=has_value)


def _line(loc: Path_, lines: dict[Path_, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def allowed_keys(loc: Path_) -> list[str]:
    """Field names allowed at a path of the Scenario model."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        model = _model_of(info.annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _model_of(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None

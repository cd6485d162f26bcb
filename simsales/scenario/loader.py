"""Read a scenario file safely and turn every problem into a ScenarioError."""

from __future__ import annotations

import copy
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from simsales.scenario.errors import Problem, ScenarioError
from simsales.scenario.paths import bundled_names, bundled_scenario
from simsales.scenario.roster import fill_roster_counts
from simsales.scenario.schema import SCHEMA_VERSION, Inconsistent, Scenario, percentage_hint
from simsales.scenario.sections.shocks import SHOCK_KINDS

MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: scenario files are small; larger is a mistake
MAX_BASE_DEPTH = 10  # files in a chain of bases: what-ifs of what-ifs, not a loop
BASE_KEY = "base"
OWN_KEYS = ("name", "description")  # say what one file is: never inherited from a base
BOUND_ERRORS = ("less_than_equal", "less_than")
# Levels of mappings and lists in one file: a scenario needs 4
# (market.territories[0].grade_mix), a sweep file 3; 20 is room to spare, far below where
# Python's recursion limit would end a deeper file with a RecursionError.
MAX_NESTING = 20
_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
          "timestamp": "a date"}  # fmt: skip


class RefusedYAML(yaml.composer.ComposerError):
    """YAML that is well formed but refused: an alias, or nesting deeper than MAX_NESTING."""


class SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no code, no objects), also reading ``1e-05`` as a float.

    YAML 1.1 wants a dot in a float's mantissa, so plain PyYAML reads ``1e-05`` as text.

    It refuses, while composing and so before anything is built, every alias (``*name``)
    and nesting deeper than MAX_NESTING levels. Aliases are refused outright rather than
    within a budget: a scenario file reuses another with ``base:``, and no bundled or
    documented file uses anchors, so a budget would only leave room for an alias bomb
    ("billion laughs") or a self-referencing alias (``name: &n [*n]``). An anchor that is
    never used is harmless and left alone.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0  # collections open around the node being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing an alias or one collection too many."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise RefusedYAML(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not allowed; write the value out, "
                "or start from another scenario file with base:",
                _start(event),
            )
        if isinstance(event, yaml.CollectionStartEvent):
            if self._depth >= MAX_NESTING:
                raise RefusedYAML(
                    None,
                    None,
                    f"nested more than {MAX_NESTING} levels deep; no scenario, sweep or "
                    "sensitivity file needs more than a few",
                    _start(event),
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)


def _start(event: yaml.Event) -> yaml.error.Mark | None:
    """Where ``event`` starts in the file. SafeLoader is PyYAML's pure-Python loader, whose
    events carry ``yaml.error.Mark``; the stubs also allow the C loader's mark."""
    return cast("yaml.error.Mark | None", event.start_mark)


SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

Path_ = tuple[str | int, ...]
Origin = tuple[str, int]  # (file, 1-based line) where a key path was set


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a YAML scenario file.

    A file may start from another with ``base: <file>`` (relative to the file's folder;
    a bare ``baseline`` or ``baseline.yaml`` not found there is the bundled baseline) and
    give only what differs: its mappings are merged key by key over the base's, a list or
    a value replaces the base's whole, and ``null`` drops an inherited key (JSON Merge
    Patch, RFC 7386). A file with a base must give its own ``name``; a base's
    ``description`` is not inherited either (it describes the base). Bases may chain, up
    to MAX_BASE_DEPTH; each base must be a valid scenario on its own. The merged result
    is validated as a whole.

    Raises ScenarioError naming the file, field path, bad value and what is allowed;
    the line of a value set in a base file is given with that file's name.
    """
    path = Path(path)
    data, origins = _load_tree(path, ())
    return validate(data, str(path), origins)


def value_sources(path: str | Path) -> dict[str, str]:
    """The comment written after each value of a scenario file and its bases, by dotted
    key (``leads.grade_mix.A`` -> ``"assumption: ..."``): where each value comes from.
    Values without a comment are left out."""
    data, origins = _load_tree(Path(path), ())
    texts: dict[str, list[str]] = {}
    out = {}
    for key, origin in origins.items():
        if not isinstance(origin, tuple) or not key or key[0] == BASE_KEY:
            continue
        file, line = origin
        if file not in texts:
            texts[file] = read_text_file(Path(file)).splitlines()
        text = texts[file][line - 1] if 0 < line <= len(texts[file]) else ""
        comment = _comment_of(text)
        if comment:
            out[".".join(str(k) for k in key)] = comment
    return out


def _comment_of(line: str) -> str | None:
    """The comment of a YAML line (after a ``#`` outside quotes), or None."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1 :].strip() or None
    return None


def read_text_file(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a scenario, sweep, sensitivity or roster file, after checking that it
    is a regular file (not a folder, a named pipe, whose reading would wait forever, or a
    device such as /dev/zero, which never ends), readable, at most ``limit`` bytes and
    UTF-8. Raises ScenarioError naming the file and what is wrong."""
    src = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError(src, [Problem("", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(src, [Problem("", f"cannot be read: {_os_reason(exc)}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(src, [Problem("", _file_kind(info.st_mode))])
    if info.st_size > limit:
        raise ScenarioError(src, [Problem("", _too_big(f"{info.st_size:,} bytes", limit))])
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit + 1)  # a file growing since stat stops here
    except OSError as exc:
        raise ScenarioError(src, [Problem("", f"cannot be read: {_os_reason(exc)}")]) from None
    if len(raw) > limit:
        raise ScenarioError(src, [Problem("", _too_big(f"over {limit:,} bytes", limit))])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(src, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None


def _too_big(size: str, limit: int) -> str:
    return f"file is {size}; at most {limit:,} are allowed"


def _os_reason(exc: OSError) -> str:
    """``permission denied`` and the like: the system's reason without the path."""
    return (exc.strerror or type(exc).__name__).lower()


def _file_kind(mode: int) -> str:
    """What a path that is not a regular file is, e.g. ``is a directory, not a file``."""
    kinds = (
        (stat.S_ISDIR, "is a directory"),
        (stat.S_ISFIFO, "is a named pipe (FIFO)"),
        (stat.S_ISCHR, "is a character device"),
        (stat.S_ISBLK, "is a block device"),
        (stat.S_ISSOCK, "is a socket"),
    )
    what = next((what for test, what in kinds if test(mode)), "is a special file")
    return f"{what}, not a file" if stat.S_ISDIR(mode) else f"{what}, not a regular file"


def _load_tree(path: Path, chain: tuple[Path, ...]) -> tuple[Any, dict[Path_, Origin]]:
    """Parsed data of ``path`` merged over its bases, and where each key path was set.

    ``chain`` holds the (resolved) files that have ``path`` as a base, nearest last.
    """
    src = str(path)
    data, lines = parse_yaml(read_text_file(path), src)
    origins: dict[Path_, Origin] = {p: (src, n) for p, n in lines.items()}
    roster_origins = read_roster_names(data, path.parent, origins)
    origins.update(roster_origins)
    if not isinstance(data, dict) or BASE_KEY not in data:
        return data, origins
    line = lines.get((BASE_KEY,))
    base = _resolve_base(data.pop(BASE_KEY), path, line)
    if "name" not in data:
        raise ScenarioError(
            src,
            [
                Problem(
                    "name",
                    "required in a file with base: (else it would carry its base's name); "
                    f"e.g. name: {path.stem}",
                    line=line,
                )
            ],
        )
    here = (*chain, path.resolve())
    if base.resolve() in here:
        loop = " -> ".join(p.name for p in (*here[here.index(base.resolve()) :], base))
        raise ScenarioError(
            src, [Problem(BASE_KEY, f"base files form a cycle: {loop}", str(base), line, True)]
        )
    if len(here) > MAX_BASE_DEPTH:
        raise ScenarioError(
            src,
            [
                Problem(
                    BASE_KEY,
                    f"more than {MAX_BASE_DEPTH} files in a chain of bases; "
                    "start from a file nearer the baseline",
                    line=line,
                )
            ],
        )
    base_data, base_origins = _load_tree(base, here)
    validate(base_data, str(base), base_origins)  # a base is a scenario: its errors name it
    inherited = {k: v for k, v in base_data.items() if k not in OWN_KEYS}
    merged = merge(inherited, data)
    return merged, {
        p: origins[p] if p in origins else base_origins[p]
        for p in _paths(merged)
        if p in origins or p in base_origins
    }


def read_roster_names(
    data: Any, folder: Path, origins: Mapping[Path_, Origin]
) -> dict[Path_, Origin]:
    """Replace a ``team.roster`` file name in ``data`` (relative to ``folder``, the
    scenario file's) by the roster's rows; returns where each row is (file, line)."""
    team = data.get("team") if isinstance(data, dict) else None
    if not isinstance(team, dict) or not isinstance(team.get("roster"), str):
        return {}
    from simsales.scenario.roster import read_roster

    name = team["roster"]
    where = origins.get(("team", "roster"))
    candidate = folder / name
    try:
        is_file = candidate.is_file()
    except (OSError, ValueError):
        is_file = False
    if not is_file and not candidate.exists():
        src, line = where if where else (None, None)
        raise ScenarioError(src or str(folder), [Problem(
            "team.roster", f"no such file: {candidate} (a CSV file, relative to the "
            "scenario file's folder)", name, line, True)])  # fmt: skip
    rows, row_origins = read_roster(candidate)
    team["roster"] = rows
    return row_origins


def _resolve_base(value: Any, path: Path, line: int | None) -> Path:
    """The file ``base: value`` of the scenario file ``path`` names."""
    src = str(path)
    usage = (
        "a scenario file relative to this file's folder, or baseline for the bundled "
        "baseline, e.g. base: baseline.yaml"
    )
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(src, [Problem(BASE_KEY, f"must name {usage}", value, line, True)])
    candidate = path.parent / value
    try:
        is_dir, exists = candidate.is_dir(), candidate.exists()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise ScenarioError(
            src,
            [
                Problem(
                    BASE_KEY, f"cannot be a file name ({reason}); name {usage}", value, line, True
                )
            ],  # fmt: skip
        ) from None
    if is_dir:
        raise ScenarioError(
            src, [Problem(BASE_KEY, f"{candidate} is a folder; name {usage}", value, line, True)]
        )
    if exists:  # a file, or a pipe or device that read_text_file refuses
        return candidate
    bundled = bundled_scenario(value)
    if bundled is not None:
        return bundled
    raise ScenarioError(
        src,
        [
            Problem(
                BASE_KEY,
                f"no such file: {candidate}; name {usage} (bundled: {', '.join(bundled_names())})",
                value,
                line,
                True,
            )
        ],
    )


def merge(base: Any, child: Any) -> Any:
    """``child`` merged over ``base``: mappings key by key (``None`` drops a key), any
    other value replaces the base's whole (JSON Merge Patch, RFC 7386). Neither input
    is modified."""
    if not isinstance(child, dict):
        return copy.deepcopy(child)
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in child.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge(out.get(key), value)
    return out


def _paths(node: Any, path: Path_ = ()) -> list[Path_]:
    """Every key path in ``node``: itself, its keys and list items, at any depth."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*path, i))
    return out


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML with ``safe_load`` semantics; also map each key path to its line.

    Aliases and nesting deeper than MAX_NESTING are refused before anything is built
    (SafeLoader), and a value the loader cannot read (``2020-02-30``, ``!!int abc``, a
    whole number of more digits than Python converts) is a ScenarioError naming its field.
    """
    try:
        loader = SafeLoader(text)  # refuses a control character in the text
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        message = f"malformed YAML: character #x{exc.character:04x} is not allowed in YAML text"
        raise ScenarioError(source, [Problem("", message, line=line)]) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, source) from None
        lines: dict[Path_, int] = {}
        if node is None:
            return None, lines
        _walk(node, (), lines, source, loader)  # builds each scalar, naming a bad one's field
        try:
            data = loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, source) from None
        except Exception as exc:  # noqa: BLE001 - a tagged collection PyYAML cannot build
            raise ScenarioError(source, [Problem("", f"unreadable YAML value: {exc}")]) from None
        return data, lines
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError, source: str) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    prefix = "" if isinstance(exc, RefusedYAML) else "malformed YAML: "
    return ScenarioError(source, [Problem("", f"{prefix}{reason}", line=line)])


def _construct_scalar(node: yaml.ScalarNode, path: Path_, source: str, loader: SafeLoader) -> None:
    """Build one scalar (kept by the loader for the whole document), or raise a
    ScenarioError naming its field, line and text when its tag cannot read it."""
    try:
        loader.construct_object(node, deep=True)
    except Exception as exc:  # noqa: BLE001 - any failure means the text is not of its tag
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, yaml.MarkedYAMLError):
            reason = exc.problem or reason
        tag = node.tag.rsplit(":", 1)[-1]
        if tag == "int" and "digits" in reason:
            digits = sum(c.isdigit() for c in node.value)
            reason = f"a whole number of {digits:,} digits; no field takes one that long"
        kind = _KINDS.get(tag, f"a {node.tag} value")
        raise ScenarioError(
            source,
            [
                Problem(
                    _dotted(path),
                    f"cannot be read as {kind} ({reason[:120]})",
                    node.value,  # Problem.describe cuts a long one
                    node.start_mark.line + 1,
                    True,
                )
            ],
        ) from None


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str, loader: SafeLoader
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        _construct_scalar(node, path, source, loader)
    elif isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(
                    source,
                    [
                        Problem(
                            _dotted(path),
                            "a key must be plain text, not a list or mapping",
                            line=key_node.start_mark.line + 1,
                        )
                    ],
                )
            if key_node.tag != "tag:yaml.org,2002:merge":  # `<<` is flattened, not built
                _construct_scalar(key_node, (*path, key_node.value), source, loader)
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
            _walk(value_node, (*path, key), lines, source, loader)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), lines, source, loader)


def validate(data: Any, source: str, lines: Mapping[Path_, int | Origin] | None = None) -> Scenario:
    """Validate parsed data into a Scenario, or raise ScenarioError.

    ``lines`` maps key paths to their line in ``source``, or to ``(file, line)`` where a
    value came from another file (a base); problems point there.
    """
    lines = lines or {}
    fill_roster_counts(data)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source,
            [Problem("", f"top level is {kind}; a mapping of scenario sections is required")],
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e, lines, source) for e in exc.errors()]
        raise ScenarioError(source, problems) from None


def _problem(err: Any, lines: Mapping[Path_, int | Origin], source: str) -> Problem:
    loc, tagged = _untagged(tuple(err["loc"]))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):  # a shock's kind
        loc = (*loc, err["ctx"]["discriminator"].strip("'"))
        line, file = _where(loc, lines, source)
        allowed = f"allowed: {', '.join(SHOCK_KINDS)}"
        if err["type"] == "union_tag_not_found":
            return Problem(_dotted(loc), f"required field is missing; {allowed}", None, line,
                           False, file)  # fmt: skip
        return Problem(_dotted(loc), f"unknown kind; {allowed}", err["ctx"]["tag"], line, True,
                       file)  # fmt: skip
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, Inconsistent):  # a cross-field rule: it names its own field
        loc = (*loc, *(int(p) if p.isdigit() else p for p in cause.field.split(".")))
        line, file = _where(loc, lines, source)
        message = str(cause)
        if file is not None and message.endswith("; remove it"):
            message += f" (it comes from {file}: write {loc[-1]}: null in this file to drop it)"
        return Problem(_dotted(loc), message, cause.value, line, True, file)
    if err["type"] == "missing":
        line, file = _where(loc[:-1], lines, source)
        return Problem(_dotted(loc), "required field is missing", line=line, file=file)
    if err["type"] == "extra_forbidden":
        line, file = _where(loc, lines, source)
        keys = allowed_keys(loc[2:-1], tagged) if tagged else allowed_keys(loc[:-1])
        return Problem(
            _dotted(loc),
            f"unknown key; allowed here: {', '.join(keys)}",
            line=line,
            file=file,
        )
    if loc == ("schema_version",):
        message = f"unsupported schema_version; allowed: {SCHEMA_VERSION}"
    value = err.get("input")
    ctx = err.get("ctx", {})
    bound = ctx.get("le", ctx.get("lt")) if err["type"] in BOUND_ERRORS else upper_bound(loc)
    hint = percentage_hint(value, bound)
    if hint:
        message += f"; {hint}"
    has_value = bool(loc) and not isinstance(value, dict)
    line, file = _where(loc, lines, source)
    return Problem(_dotted(loc), message, value, line, has_value, file)


def _where(loc: Path_, lines: Mapping[Path_, int | Origin], source: str) -> tuple[Any, Any]:
    """(line, file) of the nearest enclosing key path that has a line; file is None when
    the line is in ``source`` itself."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            where = lines[loc[:n]]
            if isinstance(where, int):
                return where, None
            file, line = where
            return line, (None if file == source else file)
    return None, None


def upper_bound(loc: Path_) -> float | None:
    """The upper limit (``le`` or ``lt``) of the Scenario field at ``loc``, if it has one;
    for an item of a list, the limit of the list's items."""
    model: Any = Scenario
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        info = model.model_fields[part]
        model = _model_of(info.annotation)
    if info is None or model is not None:
        return None
    for meta in info.metadata:
        for name in ("le", "lt"):
            if getattr(meta, name, None) is not None:
                return float(getattr(meta, name))
    return None


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _untagged(loc: Path_) -> tuple[Path_, Any]:
    """``loc`` without the kind pydantic puts after a shock's index (``shocks.2.competitor
    .when`` is ``shocks.2.when``), and the shock's model (None if not a shock's path)."""
    if len(loc) >= 3 and loc[0] == "shocks" and loc[2] in SHOCK_KINDS:
        return (*loc[:2], *loc[3:]), SHOCK_KINDS[str(loc[2])]
    return loc, None


def allowed_keys(loc: Path_, model: Any = Scenario) -> list[str]:
    """Keys allowed at a path of ``model`` (the Scenario): field names, or their aliases
    where a field has one (``from`` of a hiring freeze)."""
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        model = _model_of(info.annotation)
        if model is None:
            return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_of(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None

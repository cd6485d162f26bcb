"""Fuzzing the scenario loader with structure-aware mutations of the bundled scenarios.

Each case takes a bundled scenario (its file as written, often a short what-if with
``base:``, or a random scenario's full dump), applies one to three mutations to the parsed
tree (types swapped, values at and beyond their bounds, keys added, removed and misspelt,
nesting, shared nodes that YAML writes as aliases, lists emptied or blown up, unsafe
names and bases), writes it out as YAML, and now and then damages the text (aliases and
alias bombs, tags, byte noise, truncation, odd encodings). A tenth of the cases are
``--set`` assignments instead: mutated dotted keys and YAML values applied to a bundled
scenario as the CLI applies them.

Every case must either load or raise ScenarioError with a short message; anything else
is a failure. A sample of the cases that load also goes through ``simsales validate`` (exit
0 or 2, one error per line), and a smaller sample runs one replication of a one-month
horizon in a child process, which must finish within a time bound and within the memory
the run estimated for itself (``experiment.memory.estimate_memory``).

    python -m tests.fuzz_scenarios                 # 10,000 cases (make fuzz)
    python -m tests.fuzz_scenarios --cases 500 --seed 7 --keep failures/
    python -m tests.fuzz_scenarios --show 1234     # print case 1234's file and mutations

Cases are numbered; case ``i`` of seed ``s`` is the same on any machine.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import math
import random
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from simsales.cli import EXIT_BAD_INPUT, app
from simsales.engine.calendar import Calendar
from simsales.experiment.memory import estimate_memory
from simsales.policies.hiring import most_hires
from simsales.scenario import Scenario, ScenarioError, load_scenario
from simsales.scenario.loader import MAX_FILE_BYTES, MAX_NESTING, upper_bound
from simsales.scenario.overrides import apply_cli_overrides

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
OUTCOMES = ("loaded", "refused", "other")
LONGEST_ERROR_LINE = 1000  # characters: field, value and the keys allowed there, never a dump
SET_SHARE = 0.1  # cases that are --set assignments rather than files
TEXT_DAMAGE_SHARE = 0.35  # file cases whose YAML text is also damaged
CLI_SHARE = 0.05  # cases that also go through `simsales validate`
# A sampled run: one replication of one month, in a child process. Its time bound is a
# fixed start-up allowance plus a per-rep-day cost; both are about 10x what was measured
# (child start and compiled-day load 2-4 s; at most ~30 us per rep-day at the bounds of
# the daily norms), so only a run pathologically slow for its size fails.
RUN_SECONDS_FIXED = 40.0
RUN_SECONDS_PER_REP_DAY = 3e-4
RUN_MEMORY_BUDGET = 1.5 * 2**30  # sampled runs estimated above this are not started


# ----------------------------------------------------------------- values to put in
@dataclass(frozen=True)
class Plain:
    """A scalar written exactly as ``text`` (a plain YAML scalar, or with ``tag``)."""

    text: str
    tag: str | None = None


def _plain(dumper: yaml.SafeDumper, value: Plain) -> yaml.ScalarNode:
    tag = value.tag or dumper.resolve(yaml.ScalarNode, value.text, (True, False))
    return dumper.represent_scalar(tag, value.text)


class Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, also writing Plain scalars verbatim."""


Dumper.add_representer(Plain, _plain)

ODD_SCALARS: list[Any] = [
    "", "text", "0", "1e3", 0, 1, -1, 2, 0.5, -0.5, 1e-320, 1e308, -1e308,
    math.inf, -math.inf, math.nan, True, False, None, 2**31, 2**63, 10**30,
    dt.date(2020, 1, 1), dt.datetime(2027, 4, 1, 12, 30), [], {}, [1, 2], {"x": 1},
    "../../etc/passwd", "/tmp/x", "a" * 5000, "\x00", "p $\\frac{1}$", "日本語", "null",
    Plain("9" * 5000), Plain("2020-02-30"), Plain("0x1F"), Plain("0o17"), Plain("1_000"),
    Plain(".NaN"), Plain("-.inf"), Plain("1e400"), Plain("~"), Plain("yes"), Plain("1:30"),
    Plain("abc", "tag:yaml.org,2002:int"), Plain("x", "tag:yaml.org,2002:float"),
    Plain("aGVsbG8=", "tag:yaml.org,2002:binary"), Plain("1", "tag:yaml.org,2002:bool"),
    Plain("echo hi", "tag:yaml.org,2002:python/object/apply:os.system"),
    Plain("x", "!custom"),
]  # fmt: skip
UNSAFE_NAMES = ["", "/tmp/x", "../../x", "..", ".hidden", "a\x00b", "x" * 300, "p $\\frac{1}$",
                "con", "a/b", "a\\b", " lead", "tab\there", "name\n", "名字"]  # fmt: skip
ODD_BASES = ["baseline", "baseline.yaml", "nonexistent.yaml", "/etc/passwd", "/dev/zero", ".",
             "..", "../../../etc/hostname", "", "case.yaml", "hiring_monthly.yaml", 5, None,
             ["baseline.yaml"], "\x00"]  # fmt: skip
NOISE = [b"\x00", b"\xff", b"\xfe", b"\t", b":", b": ", b"-", b"- ", b"{", b"}", b"[", b"]", b"&",
         b"*", b"!", b"%", b"|", b">", b"\n", b" ", b"#", b"'", b'"', b"\r", b"\xe2\x80\xa8",
         b"\xc3", b"?", b",", b"@", b"`"]  # fmt: skip
BOMB = "laughs: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


# ----------------------------------------------------------------- the tree
Loc = tuple[Any, ...]


def _locations(node: Any, loc: Loc = (), above: frozenset[int] = frozenset()) -> Iterator[Loc]:
    """Every key path below ``node`` (not the root itself), not descending into a node
    that holds itself, and at most 50 levels deep."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    if id(node) in above or len(loc) > 50:
        return
    for key, value in list(items):
        yield (*loc, key)
        yield from _locations(value, (*loc, key), above | {id(node)})


def _parent(tree: Any, loc: Loc) -> Any:
    node = tree
    for part in loc[:-1]:
        node = node[part]
    return node


def _pick(
    rng: random.Random, tree: Any, want: Callable[[Any], bool] = lambda v: True
) -> Loc | None:
    locs = [loc for loc in _locations(tree) if want(_parent(tree, loc)[loc[-1]])]
    return rng.choice(locs) if locs else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _misspelt(rng: random.Random, key: str) -> str:
    if not key:
        return "x"
    i = rng.randrange(len(key))
    kind = rng.randrange(7)
    if kind == 0 and len(key) > 1:  # two letters swapped
        i = min(i, len(key) - 2)
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    if kind == 1:
        return key[:i] + key[i + 1 :]  # a letter dropped
    if kind == 2:
        return key[:i] + key[i] + key[i:]  # a letter doubled
    if kind == 3:
        return key.upper()
    if kind == 4:
        return key.replace("_", "-") if "_" in key else key + "s"
    if kind == 5:
        return key + " "
    return key.capitalize()


# Each mutation changes the tree in place and returns what it did (for the case's label).
def m_swap_type(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree)
    if loc is None:
        return "swap_type: nothing"
    value = copy.deepcopy(rng.choice(ODD_SCALARS))
    _parent(tree, loc)[loc[-1]] = value
    return f"swap_type {_dotted(loc)} = {_short(value)}"


def m_bounds(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree, _is_number)
    if loc is None:
        return m_swap_type(rng, tree)
    value = _parent(tree, loc)[loc[-1]]
    candidates: list[Any] = [0, -1, 1, -value, value + 1, value - 1, value * 2, value / 2,
                             value * 10, value * 1e6, 1e-12, 0.9999999, 1.0000001, 100,
                             1e9, 1e9 + 1, 1e12, 1e308, 2**31 - 1, 2**31, 2**53 + 1]  # fmt: skip
    limit = upper_bound(loc)
    if limit is not None and math.isfinite(limit):
        candidates += [limit, limit * (1 + 1e-9) + 1e-9, limit + 1, math.nextafter(limit, math.inf)]
    new = rng.choice(candidates)
    if isinstance(value, int) and rng.random() < 0.7 and math.isfinite(new) and abs(new) < 1e18:
        new = int(new)
    _parent(tree, loc)[loc[-1]] = new
    return f"bounds {_dotted(loc)} {_short(value)} -> {_short(new)}"


def m_perturb(rng: random.Random, tree: Any) -> str:
    """A plausible change: a number scaled by 0.5-1.5 (kept whole if it was), or a
    true/false flipped; most such scenarios still load, and the sampled runs use them."""
    loc = _pick(rng, tree, lambda v: _is_number(v) or isinstance(v, bool))
    if loc is None:
        return m_swap_type(rng, tree)
    value = _parent(tree, loc)[loc[-1]]
    if isinstance(value, bool):
        new: Any = not value
    else:
        new = value * rng.uniform(0.5, 1.5)
        new = round(new) if isinstance(value, int) else new
    _parent(tree, loc)[loc[-1]] = new
    return f"perturb {_dotted(loc)} {_short(value)} -> {_short(new)}"


def m_remove(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree)
    if loc is None:
        return "remove: nothing"
    del _parent(tree, loc)[loc[-1]]
    return f"remove {_dotted(loc)}"


def m_add_key(rng: random.Random, tree: Any) -> str:
    dicts = [()] if isinstance(tree, dict) else []
    dicts += [loc for loc in _locations(tree) if isinstance(_parent(tree, loc)[loc[-1]], dict)]
    if not dicts:
        return m_swap_type(rng, tree)
    loc = rng.choice(dicts)
    node = _get(tree, loc)
    key = rng.choice(["extra", "changes", "base", "name", "__proto__", "", "x" * 200, "seed",
                      "reps", "1", "null", "true"])  # fmt: skip
    node[key] = copy.deepcopy(rng.choice(ODD_SCALARS))
    return f"add_key {_dotted((*loc, key))}"


def m_misspell(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree)
    if loc is None or not isinstance(loc[-1], str):
        loc = rng.choice([(k,) for k in tree] if isinstance(tree, dict) and tree else [None])
    if loc is None:
        return m_swap_type(rng, tree)
    parent, key = _parent(tree, loc), loc[-1]
    new = _misspelt(rng, key)
    parent[new] = parent.pop(key)
    return f"misspell {_dotted(loc)} -> {new!r}"


def m_nest(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree)
    if loc is None:
        return m_swap_type(rng, tree)
    depth = rng.choice([1, 2, 3, MAX_NESTING - 2, MAX_NESTING, MAX_NESTING + 1, 60, 600])
    value = _parent(tree, loc)[loc[-1]]
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"x": value}
    _parent(tree, loc)[loc[-1]] = value
    return f"nest {_dotted(loc)} x{depth}"


def m_share(rng: random.Random, tree: Any) -> str:
    """Two places hold one object, or a list holds itself: YAML writes anchors and aliases."""
    containers = [loc for loc in _locations(tree) if isinstance(_get(tree, loc), dict | list)]
    if not containers:
        return m_swap_type(rng, tree)
    src = rng.choice(containers)
    if rng.random() < 0.3:
        holder: list[Any] = []
        holder.append(holder)
        _parent(tree, src)[src[-1]] = holder
        return f"share {_dotted(src)} = itself"
    dst = _pick(rng, tree)
    if dst is None or dst[: len(src)] == src:
        return "share: nothing"
    _parent(tree, dst)[dst[-1]] = _get(tree, src)
    return f"share {_dotted(dst)} = {_dotted(src)}"


def m_list(rng: random.Random, tree: Any) -> str:
    loc = _pick(rng, tree, lambda v: isinstance(v, list))
    if loc is None:
        return m_swap_type(rng, tree)
    items = _get(tree, loc)
    kind = rng.randrange(4)
    if kind == 0:
        new: list[Any] = []
    elif kind == 1:
        new = copy.deepcopy(items) * rng.choice([2, 3, 50, 2000])
    elif kind == 2:
        new = list(reversed(items))
    else:
        new = items[1:]
    _parent(tree, loc)[loc[-1]] = new
    return f"list {_dotted(loc)} {len(items)} -> {len(new)} items"


def m_name(rng: random.Random, tree: Any) -> str:
    if not isinstance(tree, dict):
        return m_swap_type(rng, tree)
    tree["name"] = rng.choice(UNSAFE_NAMES)
    return f"name = {tree['name']!r}"


def m_base(rng: random.Random, tree: Any) -> str:
    if not isinstance(tree, dict):
        return m_swap_type(rng, tree)
    tree["base"] = copy.deepcopy(rng.choice(ODD_BASES))
    return f"base = {tree['base']!r}"


TREE_MUTATIONS: dict[str, Callable[[random.Random, Any], str]] = {
    "perturb": m_perturb, "swap_type": m_swap_type, "bounds": m_bounds, "remove": m_remove,
    "add_key": m_add_key, "misspell": m_misspell, "nest": m_nest, "share": m_share,
    "list": m_list, "name": m_name, "base": m_base,
}  # fmt: skip
TREE_WEIGHTS = {"perturb": 6, "bounds": 4, "swap_type": 3, "remove": 2, "misspell": 2,
                "add_key": 1, "nest": 1,
                "share": 1, "list": 1, "name": 1, "base": 1}  # fmt: skip


# ----------------------------------------------------------------- the text
def t_flip(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out), "flip bytes"


def t_insert(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(data) + 1)
        data = data[:i] + rng.choice(NOISE) + data[i:]
    return data, "insert noise"


def t_cut(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    i = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        return data[:i], f"truncate at {i}"
    j = min(len(data), i + rng.randint(1, 200))
    return data[:i] + data[j:], f"delete {i}:{j}"


def t_lines(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.randrange(4)
    if kind == 0:
        lines.insert(j, lines[i])
    elif kind == 1:
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 2:
        lines[i] = b" " * rng.choice([1, 3, 8]) + lines[i]
    else:
        lines[i] = lines[i].lstrip()
    return b"\n".join(lines), f"lines {['duplicate', 'swap', 'indent', 'dedent'][kind]} {i}"


def _value_lines(data: bytes) -> list[int]:
    return [
        i
        for i, line in enumerate(data.split(b"\n"))
        if b": " in line and not line.strip().startswith(b"#")
    ]


def t_alias(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    values = _value_lines(data)
    kind = rng.randrange(3)
    if kind == 0 and len(values) >= 2:  # an anchored value reused
        a, b = rng.sample(values, 2)
        key_a, _, value_a = lines[a].partition(b": ")
        lines[a] = key_a + b": &v " + value_a
        lines[b] = lines[b].partition(b": ")[0] + b": *v"
        return b"\n".join(lines), "alias to another value"
    if kind == 1:
        return data + b"\nloop: &n [*n]\n", "self-referencing alias"
    return data + b"\n" + BOMB.encode(), "alias bomb"


def t_tag(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    values = _value_lines(data)
    if not values:
        return t_insert(rng, data)
    lines = data.split(b"\n")
    i = rng.choice(values)
    tag = rng.choice([b"!!str", b"!!int", b"!!float", b"!!bool", b"!!null", b"!!timestamp",
                      b"!!binary", b"!!set", b"!!omap", b"!!python/name:os.system",
                      b"!!python/object/apply:os.system", b"!custom", b"!<tag:x>"])  # fmt: skip
    key, _, value = lines[i].partition(b": ")
    lines[i] = key + b": " + tag + b" " + value
    return b"\n".join(lines), f"tag {tag.decode()} on line {i + 1}"


def t_encoding(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    kind = rng.randrange(5)
    if kind == 0:
        return b"\xef\xbb\xbf" + data, "UTF-8 byte order mark"
    if kind == 1:
        return data.decode("utf-8", "replace").encode("utf-16"), "UTF-16"
    if kind == 2:
        return data.replace(b"\n", b"\r\n"), "CRLF line ends"
    if kind == 3:
        return data.replace(b"name: ", "name: caf\xe9 ".encode("latin-1"), 1), "Latin-1 byte"
    return data.replace(b"\n", b"\r"), "CR line ends"


def t_documents(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    kind = rng.randrange(4)
    if kind == 0:
        return data + b"\n---\nname: second\n", "two documents"
    if kind == 1:
        return b"%YAML 1.2\n---\n" + data, "YAML 1.2 directive"
    if kind == 2:
        return b"", "empty file"
    return b"# " + b"x" * (MAX_FILE_BYTES + 10) + b"\n" + data, "over the size cap"


TEXT_MUTATIONS: dict[str, Callable[[random.Random, bytes], tuple[bytes, str]]] = {
    "flip": t_flip, "insert": t_insert, "cut": t_cut, "lines": t_lines, "alias": t_alias,
    "tag": t_tag, "encoding": t_encoding, "documents": t_documents,
}  # fmt: skip


# ----------------------------------------------------------------- cases
@dataclass
class Case:
    """One fuzz case: a file's bytes, or --set assignments on a bundled scenario."""

    number: int
    source: str  # the bundled file it started from
    mutations: list[str] = field(default_factory=list)  # what was done, for a person
    ops: list[str] = field(default_factory=list)  # the mutations' names, for counting
    data: bytes = b""
    assignments: list[str] | None = None  # a --set case

    def label(self) -> str:
        kind = "--set" if self.assignments is not None else "file"
        return f"case {self.number} ({kind} from {self.source}): " + "; ".join(self.mutations)


@dataclass
class Outcome:
    case: Case
    kind: str  # loaded | refused | other
    detail: str = ""
    scenario: Scenario | None = None


def _rng(seed: int, number: int) -> random.Random:
    return random.Random(f"simsales-fuzz:{seed}:{number}")


_TREES: dict[Path, Any] = {}
_FULL: dict[Path, Any] = {}


def _tree(path: Path, full: bool) -> Any:
    """The parsed file as written, or the full scenario it gives (every key)."""
    cache = _FULL if full else _TREES
    if path not in cache:
        if full:
            cache[path] = load_scenario(path).model_dump(mode="json")
        else:
            cache[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return copy.deepcopy(cache[path])


def make_case(seed: int, number: int) -> Case:
    """Case ``number`` of the fuzz run ``seed``."""
    rng = _rng(seed, number)
    path = BUNDLED[0] if rng.random() < 0.4 else rng.choice(BUNDLED)
    case = Case(number, path.name)
    if rng.random() < SET_SHARE:
        case.assignments = _assignments(rng, _tree(path, full=True))
        case.mutations = [repr(a)[:120] for a in case.assignments]
        case.ops = ["set"]
        return case
    full = rng.random() < 0.3
    tree = _tree(path, full)
    if full:
        case.mutations.append("full dump")
    names, weights = zip(*TREE_WEIGHTS.items(), strict=True)
    for name in rng.choices(names, weights, k=rng.choice([1, 1, 1, 2, 3])):
        case.mutations.append(TREE_MUTATIONS[name](rng, tree))
        case.ops.append(name)
    try:
        text = yaml.dump(tree, Dumper=Dumper, sort_keys=False, allow_unicode=rng.random() < 0.5)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:  # e.g. 600 levels deep
        text = f"# could not be written as YAML ({type(exc).__name__})\nname: x\n"
        case.mutations.append("unwritable tree")
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < TEXT_DAMAGE_SHARE:
        for name in rng.choices(list(TEXT_MUTATIONS), k=rng.choice([1, 1, 2])):
            data, what = TEXT_MUTATIONS[name](rng, data)
            case.mutations.append(what)
            case.ops.append(f"text_{name}")
    case.data = data
    return case


def _assignments(rng: random.Random, full: Any) -> list[str]:
    """One to three ``--set`` texts: real, misspelt or broken keys with odd YAML values."""
    keys = [".".join(str(p) for p in loc) for loc in _locations(full)]
    out = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        key = rng.choice(keys)
        kind = rng.randrange(6)
        if kind == 0:
            key = ".".join(_misspelt(rng, p) if rng.random() < 0.3 else p for p in key.split("."))
        elif kind == 1:
            key = rng.choice(["", ".", "a..b", "team.reps.x", "market.territories.99.firms",
                              "market.territories.-1", "name", "base", " team.reps",
                              "x" * 300])  # fmt: skip
        value = rng.choice(ODD_SCALARS)
        if isinstance(value, Plain):
            raw = (f"!<{value.tag}> " if value.tag else "") + value.text
        else:
            raw = yaml.dump(value, Dumper=Dumper, default_flow_style=True, width=10**9)
            raw = raw.removesuffix("\n...\n").strip()
        if rng.random() < 0.15:
            raw = rng.choice(["&a [*a]", "{", "[1, [2, [3", "a: b: c", "'unclosed", "*x",
                              "1\x00", "- - -", "!!python/name:os.system x"])  # fmt: skip
        scope = "baseline:" if rng.random() < 0.1 else ("nobody:" if rng.random() < 0.05 else "")
        sep = "=" if rng.random() > 0.03 else ""
        out.append(f"{scope}{key}{sep}{raw}")
    return out


def check_case(case: Case, folder: Path) -> Outcome:
    """Load the case as the library does; ScenarioError is 'refused', any other
    exception (or an unclear error message) is 'other'."""
    try:
        if case.assignments is not None:
            base = load_scenario(ROOT / "scenarios" / case.source)
            scenario = apply_cli_overrides([base], case.assignments)[0]
        else:
            path = folder / "case.yaml"
            path.write_bytes(case.data)
            scenario = load_scenario(path)
    except ScenarioError as exc:
        unclear = _unclear(exc)
        return Outcome(case, "other" if unclear else "refused", unclear or str(exc))
    except BaseException as exc:  # noqa: BLE001 - the very thing a fuzz test looks for
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome(case, "other", "".join(traceback.format_exception(exc)))
    problem = _not_finite(scenario)
    if problem:
        return Outcome(case, "other", problem)
    return Outcome(case, "loaded", scenario=scenario)


def _unclear(exc: ScenarioError) -> str:
    """Why a ScenarioError is not a clear error, or ''."""
    text = str(exc)
    lines = text.splitlines()
    if not lines or not all(line.strip() for line in lines):
        return f"empty error line in {text!r}"
    long = [line for line in lines if len(line) > LONGEST_ERROR_LINE]
    if long:
        return f"error line of {len(long[0])} characters: {long[0][:200]}..."
    if "Traceback" in text:
        return f"traceback in the error: {text[:300]}"
    return ""


def _not_finite(scenario: Scenario) -> str:
    """A loaded scenario holds no inf or nan (issue 15, item 5)."""
    data = scenario.model_dump()
    for loc in _locations(data):
        value = _get(data, loc)
        if isinstance(value, float) and not math.isfinite(value):
            return f"loaded with {_dotted(loc)} = {value}"
    return ""


def check_cli(case: Case, outcome: Outcome, folder: Path) -> str:
    """``simsales validate`` agrees with the library: exit 0 if loaded, else 2 with every
    error line starting 'error: '; '' if so, else what went wrong. (A --set case is
    checked by the library alone: validate takes no --set.)"""
    if case.assignments is not None:
        return ""
    path = folder / "case.yaml"
    path.write_bytes(case.data)
    args = ["validate", str(path)]
    result = CliRunner().invoke(app, args)
    want = 0 if outcome.kind == "loaded" else EXIT_BAD_INPUT
    if result.exit_code != want or (
        result.exception and not isinstance(result.exception, SystemExit)
    ):
        return f"simsales validate exited {result.exit_code} (want {want}): {result.exception!r}"
    if want and not all(line.startswith("error: ") for line in result.stderr.splitlines()):
        return f"simsales validate printed {result.stderr[:300]!r}"
    return ""


# ----------------------------------------------------------------- sampled runs
def short_horizon(scenario: Scenario) -> Scenario:
    """The scenario over one reported month with no warm-up."""
    return scenario.with_overrides({"horizon.months": 1, "horizon.warmup_months": 0})


def time_bound(scenario: Scenario) -> float:
    """Seconds a sampled run may take: RUN_SECONDS_FIXED plus a cost per rep-day of every
    rep the run can have (the team and every hire)."""
    cal = Calendar.from_horizon(scenario.horizon)
    slots = scenario.team.reps + most_hires(scenario, cal)
    return RUN_SECONDS_FIXED + RUN_SECONDS_PER_REP_DAY * slots * cal.total_days


@dataclass
class SampledRun:
    """What became of a sampled run: 'ran' within bounds, 'too_big' (estimated above
    RUN_MEMORY_BUDGET, not started), 'short_refused' (no valid one-month version) or
    'other' (failed, too slow or above its memory estimate: ``detail`` says which)."""

    kind: str
    detail: str = ""
    seconds: float = math.nan
    peak_share: float = math.nan  # peak resident memory / the run's own estimate


def run_sampled(scenario: Scenario, folder: Path, seed: int) -> SampledRun:
    """Run one replication of ``scenario`` (already short) in a child process."""
    need = estimate_memory(scenario)
    if need > RUN_MEMORY_BUDGET:
        return SampledRun("too_big", f"estimated {need / 2**30:.1f} GiB")
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    bound = time_bound(scenario)
    cmd = [sys.executable, "-m", "tests.fuzz_scenarios", "--run-one", str(path)]
    try:
        child = subprocess.run(
            [*cmd, "--seed", str(seed)], capture_output=True, text=True, timeout=bound, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return SampledRun("other", f"the run took over {bound:.0f} s ({scenario.team.reps} reps)")
    if child.returncode != 0:
        return SampledRun(
            "other", f"the run failed (exit {child.returncode}): {child.stderr[-2000:]}"
        )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    peak, seconds = measured["peak_bytes"], measured["seconds"]
    detail = f"{seconds:.2f} s, peak {peak / 2**20:.0f} MiB of {need / 2**20:.0f} MiB estimated"
    return SampledRun("other" if peak > need else "ran", detail, seconds, peak / need)


def _run_one(path: Path, seed: int) -> None:
    """The child of run_sampled: load, run, print seconds and peak resident memory."""
    import simsales

    scenario = load_scenario(path)
    start = time.perf_counter()
    res = simsales.run(scenario, replications=1, seed=seed, workers=1, progress=False)
    seconds = time.perf_counter() - start
    assert len(res.team_month) == scenario.horizon.months
    print(json.dumps({"seconds": seconds, "peak_bytes": _peak_rss()}))


def _peak_rss() -> int:
    """This process's peak resident memory [bytes] (VmHWM: unlike ru_maxrss, it starts
    afresh at exec, so the parent's own peak does not count)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ----------------------------------------------------------------- the run
@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)  # loaded / refused / other
    runs: Counter = field(default_factory=Counter)  # ran / too_big / short_refused / other
    cli_checked: int = 0
    mutations: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    run_seconds: list[float] = field(default_factory=list)
    run_peak_shares: list[float] = field(default_factory=list)  # of each run's estimate

    def summary(self) -> str:
        total = sum(self.counts.values())
        parts = ", ".join(f"{self.counts[k]:,} {k}" for k in OUTCOMES)
        runs = ", ".join(f"{n} {k}" for k, n in sorted(self.runs.items())) or "none"
        return (
            f"{total:,} cases: {parts}; {self.cli_checked} also through simsales validate; "
            f"sampled runs: {runs}"
        ) + (
            f"\nsampled runs took {min(self.run_seconds):.2f}-{max(self.run_seconds):.2f} s; "
            f"peak memory {min(self.run_peak_shares):.0%}-{max(self.run_peak_shares):.0%} "
            "of their own estimates"
            if self.run_seconds
            else ""
        )


def fuzz(
    cases: int,
    seed: int = 0,
    run_share: float = 0.01,
    cli_share: float = CLI_SHARE,
    first: int = 0,
    keep: Path | None = None,
    progress: Callable[[Iterator[int]], Iterator[int]] = iter,
) -> Report:
    """Run fuzz cases ``first .. first + cases - 1`` of ``seed``; failures are reported,
    not raised. A share ``run_share`` of the loaded ones runs a short horizon."""
    report = Report()
    with tempfile.TemporaryDirectory(prefix="simsales-fuzz-") as tmp:
        folder = Path(tmp)
        for number in progress(iter(range(first, first + cases))):
            case = make_case(seed, number)
            report.mutations.update(case.ops)
            outcome = check_case(case, folder)
            rng = _rng(seed + 1, number)
            detail = outcome.detail if outcome.kind == "other" else ""
            if not detail and case.assignments is None and rng.random() < cli_share:
                report.cli_checked += 1
                detail = check_cli(case, outcome, folder)
            report.counts["other" if detail else outcome.kind] += 1
            if not detail and outcome.scenario is not None and rng.random() < run_share:
                sampled = _sampled(outcome.scenario, folder, seed + number)
                report.runs[sampled.kind] += 1
                if sampled.kind == "ran":
                    report.run_seconds.append(sampled.seconds)
                    report.run_peak_shares.append(sampled.peak_share)
                detail = sampled.detail if sampled.kind == "other" else ""
            if detail:
                report.failures.append(f"{case.label()}\n{detail}")
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / f"case_{seed}_{number}.yaml").write_bytes(case.data)
    return report


def _sampled(scenario: Scenario, folder: Path, seed: int) -> SampledRun:
    try:
        short = short_horizon(scenario)
    except ScenarioError:
        return SampledRun("short_refused")
    return run_sampled(short, folder, seed)


def _get(tree: Any, loc: Loc) -> Any:
    for part in loc:
        tree = tree[part]
    return tree


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "(root)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="number of the first case")
    parser.add_argument("--run-share", type=float, default=0.01,
                        help="share of loaded cases that also run a short horizon")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="folder to write failing cases into")
    parser.add_argument("--show", type=int, metavar="N", help="print case N and stop")
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one:
        _run_one(args.run_one, args.seed)
        return 0
    if args.show is not None:
        case = make_case(args.seed, args.show)
        print(case.label())
        print(
            case.assignments
            if case.assignments is not None
            else case.data.decode("utf-8", "replace")
        )
        return 0
    from tqdm import tqdm

    start = time.perf_counter()
    report = fuzz(
        args.cases, args.seed, args.run_share, first=args.first, keep=args.keep,
        progress=lambda it: tqdm(it, total=args.cases, desc="fuzz cases", unit="case"),
    )  # fmt: skip
    for failure in report.failures:
        print(f"\nFAILED {failure}")
    print(f"\n{report.summary()} ({time.perf_counter() - start:.0f} s)")
    print("mutations: " + ", ".join(f"{k} {n}" for k, n in report.mutations.most_common()))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())

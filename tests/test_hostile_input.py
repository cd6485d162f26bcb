"""Hostile, damaged and extreme scenario input (issue 15, items 1-5).

Each test feeds input that once escaped ``--out``, exhausted memory, recursed too deep,
crashed with a traceback or ran to a ``nan`` result, and checks it now gives one clear
ScenarioError (exit 2 from the CLI) naming the file, field and value.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import simsales
from simsales.cli import EXIT_BAD_INPUT, app
from simsales.experiment.sweeps import load_sweep, point_scenario
from simsales.scenario.loader import MAX_NESTING, parse_yaml
from simsales.scenario.overrides import parse_assignment
from simsales.scenario.schema import check_name

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BASE_TEXT = BASELINE.read_text(encoding="utf-8")
BASE = simsales.load_scenario(BASELINE)
runner = CliRunner()

# "Billion laughs": nine lists of nine aliases, 9**9 (387 million) strings once expanded.
BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def set_line(key: str, value: str, text: str = BASE_TEXT) -> str:
    """``text`` with the one line starting ``key:`` (any indent) given ``value``."""
    pattern = re.compile(rf"^([ \t]*{re.escape(key)}:)[^\n]*$", re.MULTILINE)
    new, n = pattern.subn(lambda m: f"{m[1]} {value}", text)
    assert n == 1, f"{key!r} starts {n} lines of the baseline"
    return new


def load_error(path: Path) -> simsales.ScenarioError:
    with pytest.raises(simsales.ScenarioError) as info:
        simsales.load_scenario(path)
    return info.value


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result: Any) -> str:
    """The CLI's error, after checking it exited 2 with exactly one line and no traceback."""
    assert result.exit_code == EXIT_BAD_INPUT, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- 1. scenario names are safe labels -------------------------------------------------

UNSAFE_NAMES = [
    ("/tmp/x", "'/'"),
    ("../../x", "'/'"),
    ("..", "must start with a letter or digit"),
    (".hidden", "must start with a letter or digit"),
    ("-rf", "must start with a letter or digit"),
    ("a\\b", "'\\\\'"),
    ("a\x00b", "'\\x00'"),
    ("two\nlines", "'\\n'"),
    ("tab\there", "'\\t'"),
    ("p $\\frac{1}$", "'$'"),
    ("trailing ", "must not end in a space"),
    ("x" * 121, "at most 120 characters"),
]


@pytest.mark.parametrize(
    ("name", "says"), UNSAFE_NAMES, ids=[repr(n[:12]) for n, _ in UNSAFE_NAMES]
)
def test_unsafe_names_are_refused_in_files_and_overrides(tmp_path, name, says):
    quoted = '"' + name.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    quoted = quoted.replace("\x00", "\\0") + '"'
    err = load_error(write(tmp_path, set_line("name", quoted)))
    assert [p.field for p in err.problems] == ["name"]
    assert says in str(err)
    with pytest.raises(simsales.ScenarioError, match=re.escape(says)):
        BASE.with_overrides({"name": name})


@pytest.mark.parametrize(
    "name",
    ["baseline", "plan: A", "more_reps", "Zürich 2", "v1.2 (draft)", "a=1, b=2 #3 [4] ~5 +6"],
)
def test_safe_names_are_accepted(name):
    assert BASE.with_overrides({"name": name}).name == name


def test_automatic_names_are_safe_labels():
    """Names made by with_overrides and sweep points pass the schema's own name rule,
    including a text value with a space at its end (shown as a hash, never at a name's end)
    and a base name shortened to fit."""
    long_base = BASE.with_overrides({"name": "n" * 120})
    made = [
        BASE.with_overrides({"team.reps": 80}).name,
        BASE.with_overrides({"leads.deal_value_mean": 1e-05}).name,
        BASE.with_overrides({"market.territories.0.name": "North "}).name,
        BASE.with_overrides({f"horizon.{k}": 1 for k in ("months", "warmup_months")}).name,
        long_base.with_overrides({"team.reps": 80}).name,
        point_scenario(BASE, 3, {"team.reps": 70}).name,
    ]
    assert made[0] == "baseline, team.reps=80"
    assert made[5] == "baseline[3]"
    assert not made[2].endswith(" ")
    for name in made:
        assert check_name(name) == name


def test_cli_refuses_a_name_that_would_write_outside_out(tmp_path):
    outside = tmp_path / "outside"
    result = invoke(
        "run", BASELINE, "--set", f"name={outside}", "--out", tmp_path / "res", "-r", "1",
        "--no-progress",
    )  # fmt: skip
    line = one_line_error(result)
    assert line.startswith(f"error: --set: name = '{outside}': has characters")
    assert not outside.exists()
    assert not (tmp_path / "res").exists()


# --- 2. YAML resource attacks ----------------------------------------------------------


def test_billion_laughs_is_refused_before_expansion(tmp_path):
    path = write(tmp_path, BOMB)
    assert len(BOMB.encode()) < 400
    start = time.perf_counter()
    err = load_error(path)
    assert time.perf_counter() - start < 0.5
    assert str(err) == (
        f"{path}: line 2: YAML aliases (*a) are not allowed; write the value out, "
        "or start from another scenario file with base:"
    )


def test_self_referencing_alias_is_refused(tmp_path):
    path = write(tmp_path, "name: &n [*n]\n")
    assert "line 1: YAML aliases (*n) are not allowed" in str(load_error(path))


def test_merge_key_alias_is_refused(tmp_path):
    text = BASE_TEXT + "\nextra: &x {a: 1}\nmore:\n  <<: *x\n"
    assert "YAML aliases (*x) are not allowed" in str(load_error(write(tmp_path, text)))


@pytest.mark.parametrize("depth", [MAX_NESTING, 500, 5000])  # lists in a mapping
def test_deep_nesting_is_refused(tmp_path, depth):
    path = write(tmp_path, "name: " + "[" * depth + "]" * depth + "\n")
    err = load_error(path)
    assert str(err) == (
        f"{path}: line 1: nested more than {MAX_NESTING} levels deep; no scenario, sweep "
        "or sensitivity file needs more than a few"
    )


def test_nesting_up_to_the_limit_is_read():
    text = "[" * (MAX_NESTING - 1) + "1" + "]" * (MAX_NESTING - 1)
    data, _ = parse_yaml(f"a: {text}", "t")
    for _ in range(MAX_NESTING):  # the mapping and MAX_NESTING - 1 lists
        data = data["a"] if isinstance(data, dict) else data[0]
    assert data == 1


def test_alias_bomb_in_a_base_file_names_that_file(tmp_path):
    bomb = write(tmp_path, BOMB, "bomb.yaml")
    child = write(tmp_path, "base: bomb.yaml\nname: child\n", "child.yaml")
    err = load_error(child)
    assert err.source == str(bomb)
    assert "YAML aliases (*a) are not allowed" in str(err)


def test_alias_and_nesting_in_sweep_files_are_refused(tmp_path):
    write(tmp_path, BASE_TEXT, "baseline.yaml")
    alias = write(tmp_path, "scenario: baseline.yaml\n" + BOMB, "sweep.yaml")
    with pytest.raises(simsales.ScenarioError, match=r"line 3: YAML aliases \(\*a\)"):
        load_sweep(alias)
    deep = write(tmp_path, "scenario: baseline.yaml\nx: " + "[" * 900 + "]" * 900, "deep.yaml")
    with pytest.raises(simsales.ScenarioError, match="nested more than 20 levels"):
        load_sweep(deep)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("[&a [x, x, x], *a, *a]", "YAML aliases (*a) are not allowed"),
        ("&n [*n]", "YAML aliases (*n) are not allowed"),
        ("[" * 600 + "]" * 600, "nested more than 20 levels deep"),
    ],
    ids=["alias", "self-reference", "nesting"],
)
def test_set_values_refuse_aliases_and_nesting(value, says):
    with pytest.raises(simsales.ScenarioError) as info:
        parse_assignment(f"market.territories={value}")
    (problem,) = info.value.problems
    assert problem.field == "market.territories"
    assert problem.message == f"value is refused: {says}" + (
        "; write the value out, or start from another scenario file with base:"
        if "alias" in says
        else "; no scenario, sweep or sensitivity file needs more than a few"
    )


# --- 3. values the YAML loader itself cannot read --------------------------------------

UNREADABLE = [
    ("2020-02-30", "cannot be read as a date (day is out of range for month)"),
    ("!!int abc", "cannot be read as a whole number (invalid literal for int() with base 10"),
    ("9" * 5000, "cannot be read as a whole number (a whole number of 5,000 digits"),
    ("!!bool maybe", "cannot be read as true or false"),
    ("!!timestamp soon", "cannot be read as a date"),
    ("!!float abc", "cannot be read as a number"),
    ("!!python/name:os.system", "cannot be read as a tag:yaml.org,2002:python/name:os.system"),
]


@pytest.mark.parametrize(("value", "says"), UNREADABLE, ids=[u[1][17:40] for u in UNREADABLE])
def test_unreadable_values_in_a_file_name_field_and_line(tmp_path, value, says):
    text = set_line("reps", value)
    line = text.splitlines().index(f"  reps: {value}") + 1
    err = load_error(write(tmp_path, text))
    (problem,) = err.problems
    assert (problem.field, problem.line) == ("team.reps", line)
    assert problem.message.startswith(says)
    assert len(problem.describe()) < 300  # a 5,000-digit number is not echoed whole


@pytest.mark.parametrize(("value", "says"), UNREADABLE, ids=[u[1][17:40] for u in UNREADABLE])
def test_unreadable_values_in_set_name_the_key(value, says):
    with pytest.raises(simsales.ScenarioError) as info:
        parse_assignment(f"team.reps={value}")
    (problem,) = info.value.problems
    assert problem.field == "team.reps"
    assert problem.message.startswith(says)


def test_unreadable_key_and_value_inside_a_set_list():
    with pytest.raises(simsales.ScenarioError) as info:
        parse_assignment("market.territories=[{name: A, firms: 2020-02-30}]")
    assert info.value.problems[0].field == "market.territories[0].firms"
    with pytest.raises(simsales.ScenarioError, match="market.territories = '2020-02-30'"):
        parse_assignment("market.territories=2020-02-30")


def test_unreadable_key_is_named(tmp_path):
    err = load_error(write(tmp_path, BASE_TEXT + "\n2020-02-30: 1\n"))
    assert err.problems[0].field == "2020-02-30"
    assert "cannot be read as a date" in str(err)


def test_unreadable_value_from_cli_is_one_line(tmp_path):
    path = write(tmp_path, set_line("reps", "2020-02-30"))
    assert one_line_error(invoke("validate", path)) == (
        f"error: {path}: team.reps = '2020-02-30' (line 13): cannot be read as a date "
        "(day is out of range for month)"
    )
    line = one_line_error(invoke("run", BASELINE, "--set", "team.reps=!!int abc", "-r", "1"))
    assert line.startswith("error: --set: team.reps = 'abc': cannot be read as a whole number")


# --- 4. paths that are not readable regular files --------------------------------------


def test_permission_denied_is_a_clear_error(tmp_path, monkeypatch):
    path = write(tmp_path, BASE_TEXT)

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    assert str(load_error(path)) == f"{path}: cannot be read: permission denied"


def test_directory_is_a_clear_error(tmp_path):
    assert str(load_error(tmp_path)) == f"{tmp_path}: is a directory, not a file"


def _load_in_thread(path: Path) -> BaseException | None:
    """The error loading ``path`` raises, failing if it does not end within 10 s."""
    out: list[BaseException | None] = []

    def target() -> None:
        try:
            simsales.load_scenario(path)
            out.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(10)
    assert out, f"loading {path} did not end within 10 s"
    return out[0]


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    err = _load_in_thread(fifo)
    assert isinstance(err, simsales.ScenarioError)
    assert str(err) == f"{fifo}: is a named pipe (FIFO), not a regular file"
    child = write(tmp_path, "base: pipe.yaml\nname: child\n", "child.yaml")
    err = _load_in_thread(child)
    assert str(err) == f"{fifo}: is a named pipe (FIFO), not a regular file"


def test_character_device_is_refused():
    err = _load_in_thread(Path("/dev/zero"))
    assert str(err) == "/dev/zero: is a character device, not a regular file"


def test_sweep_file_paths_are_checked_alike(tmp_path):
    fifo = tmp_path / "sweep.yaml"
    os.mkfifo(fifo)
    with pytest.raises(simsales.ScenarioError, match="named pipe"):
        load_sweep(fifo)
    with pytest.raises(simsales.ScenarioError, match="is a directory, not a file"):
        load_sweep(tmp_path)
    with pytest.raises(simsales.ScenarioError, match="file not found"):
        load_sweep(tmp_path / "missing.yaml")


def test_unreadable_paths_from_cli_are_one_line(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert one_line_error(invoke("validate", fifo)).endswith("not a regular file")
    assert one_line_error(invoke("validate", "/dev/zero")).endswith(
        "character device, not a regular file"
    )


# --- 5. inf, nan and absurd magnitudes -------------------------------------------------


def _float_paths(node: Any, path: str = "") -> list[str]:
    """Dotted paths of every float (also in lists) in dumped scenario data."""
    if isinstance(node, float):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _float_paths(v, f"{path}.{k}".lstrip("."))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _float_paths(v, f"{path}.{i}")]
    return []


def _every_float_path() -> list[str]:
    paths: set[str] = set()
    for name in simsales.scenario.paths.bundled_names():
        sc = simsales.load_scenario(simsales.scenario.paths.bundled_scenario(name))
        paths |= set(_float_paths(sc.model_dump(mode="python")))
    return sorted(paths)


FLOAT_PATHS = _every_float_path()


def test_float_paths_cover_the_issue_examples():
    for key in ("leads.deal_value_mean", "pay.base_per_month", "leads.grade_mix.A",
                "leads.grade_sign_weight.B", "leads.signing_touch_shares.0"):  # fmt: skip
        assert key in FLOAT_PATHS
    assert len(FLOAT_PATHS) > 80


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 1e308])
def test_every_float_field_refuses_inf_nan_and_1e308(bad):
    """Each float of every bundled scenario, set to ``bad``, is refused; the error
    names that field."""
    bundled = {n: simsales.load_scenario(simsales.scenario.paths.bundled_scenario(n))
               for n in simsales.scenario.paths.bundled_names()}  # fmt: skip
    accepted = []
    for key in FLOAT_PATHS:
        sc = next(s for s in bundled.values() if key in _float_paths(s.model_dump()))
        try:
            sc.with_overrides({key: bad})
        except simsales.ScenarioError as exc:
            dotted = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", key)
            assert any(p.field.startswith(dotted) or dotted.startswith(p.field)
                       for p in exc.problems), (key, str(exc))  # fmt: skip
        else:
            accepted.append(key)
    assert accepted == []


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        (
            "deal_value_mean", ".nan",
            "leads.deal_value_mean = nan (line 79): "
            "Input should be a finite number",
        ),
        (
            "base_per_month", ".inf",
            "pay.base_per_month = inf (line 96): "
            "Input should be a finite number",
        ),
        (
            "deal_value_mean", "1e308",
            "leads.deal_value_mean = 1e+308 (line 79): "
            "Input should be less than or equal to 1000000000",
        ),
        (
            "A", "1e308",
            "leads.grade_mix.A = 1e+308 (line 61): "
            "Input should be less than or equal to 1000000",
        ),
        (
            "signing_touch_shares", "[.inf, 1, 1]",
            "leads.signing_touch_shares[0] = inf (line 76): "
            "Input should be a finite number",
        ),
    ],
)  # fmt: skip
def test_cli_validate_refuses_non_finite_and_huge_values(tmp_path, key, value, says):
    text = BASE_TEXT
    if key == "A":
        text = text.replace("    A: 0.1 ", "    A: 1e308 ", 1)
    else:
        text = set_line(key, value)
    path = write(tmp_path, text)
    assert one_line_error(invoke("validate", path)) == f"error: {path}: {says}"


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        (
            "leads.deal_value_mean=.nan",
            "leads.deal_value_mean = nan: "
            "Input should be a finite number",
        ),
        ("pay.base_per_month=.inf", "pay.base_per_month = inf: Input should be a finite number"),
        (
            "leads.grade_mix.A=1e308",
            "leads.grade_mix.A = 1e+308: "
            "Input should be less than or equal to 1000000",
        ),
        (
            "leads.grade_sign_weight.A=.inf",
            "leads.grade_sign_weight.A = inf: "
            "Input should be a finite number",
        ),
        (
            "leads.signing_touch_shares=[1e308, 1, 1]",
            "leads.signing_touch_shares[0] = 1e+308: "
            "Input should be less than or equal to 1000000",
        ),
    ],
)  # fmt: skip
def test_cli_run_set_refuses_non_finite_and_huge_values(tmp_path, assignment, says):
    result = invoke("run", BASELINE, "--set", assignment, "-r", "1", "--out", tmp_path / "o")
    assert one_line_error(result) == f"error: --set: {says}"
    assert not (tmp_path / "o").exists()


def test_inline_merge_key_without_alias_is_still_read():
    """``<<`` with a mapping written out (no alias) is plain YAML 1.1 and still merges."""
    data, lines = parse_yaml("a:\n  <<: {x: 1}\n  y: 2\n", "t")
    assert data == {"a": {"x": 1, "y": 2}}
    assert lines[("a", "y")] == 3


# --- found by the fuzz test (tests/fuzz_scenarios.py) ------------------------------------


@pytest.mark.parametrize("char", ["\x1e", "\x07", "\ufffe"])
def test_control_characters_in_the_text_are_a_clear_error(tmp_path, char):
    """PyYAML refuses them while it sets up, before the loader's own error handling ran."""
    err = load_error(write(tmp_path, BASE_TEXT.replace("name: baseline", f"name: a{char}b")))
    (problem,) = err.problems
    assert problem.line == 5  # the name's line in baseline.yaml
    assert problem.message == (
        f"malformed YAML: character #x{ord(char):04x} is not allowed in YAML text"
    )


@pytest.mark.parametrize(
    "base",
    ["a" * 5000, '"a\\0b"'],
    ids=["name too long", "NUL byte"],
)
def test_a_base_that_cannot_be_a_file_name_is_a_clear_error(tmp_path, base):
    err = load_error(write(tmp_path, f"base: {base}\nname: x\n"))
    (problem,) = err.problems
    assert problem.field == "base"
    assert len(str(err)) < 500


def test_long_values_and_assignments_are_quoted_cut(tmp_path):
    """A 5,000-character value, list or --set text is quoted cut to 120 characters, with
    its length, so that the error stays one readable line."""
    err = load_error(write(tmp_path, set_line("reps", "a" * 5000)))
    assert "... (5,002 characters)" in str(err) and len(str(err)) < 500
    hazards = "[" + ", ".join(["0.1"] * 2000) + "]"
    err = load_error(write(tmp_path, set_line("quit_hazard_by_year", hazards)))
    assert "characters)" in str(err) and len(str(err)) < 500
    for text in ["x" * 5000, f"nobody:team.reps={'1' * 5000}"]:
        with pytest.raises(simsales.ScenarioError) as info:
            simsales.scenario.overrides.apply_cli_overrides([BASE], [text])
        assert len(str(info.value)) < 600, str(info.value)[:700]

"""Scenario files: loading, validation errors, overrides, the JSON Schema and provenance.

Bad files are built by editing the text of ``scenarios/baseline.yaml`` in ``tmp_path``,
so every case differs from a known-good file in exactly one place, and the expected
YAML line number is computed from the edited text rather than hard-coded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

import simsales
from simsales.scenario.loader import MAX_FILE_BYTES
from simsales.scenario.overrides import parse_assignment
from simsales.scenario.schema import Scenario, json_schema

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SCHEMA_JSON = ROOT / "scenarios" / "schema.json"
BASE_TEXT = BASELINE.read_text(encoding="utf-8")
BASE = simsales.load_scenario(BASELINE)

# Expected numbers are derived from the baseline, so the tests survive re-calibration.
N_TERR = len(BASE.market.territories)
MAX_FOLLOWUPS = len(BASE.leads.signing_touch_shares) - 2
TOP_KEYS = list(Scenario.model_fields)  # schema_version, name, horizon, team, ...
TEAM_KEYS = ["reps", "supervisor_groups", "tenure_months_min", "tenure_months_max", "roster"]
NORMS_KEYS = ["visits", "phone_appointments", "prospect_records"]


# --------------------------------------------------------------------------- helpers


def set_value(key: str, value: str, text: str = BASE_TEXT) -> tuple[str, int]:
    """Give the one ``key:`` line of ``text`` a new value (its comment is kept).

    Returns the new text and the 1-based number of that line. ``key`` must start exactly
    one line (``reps`` matches ``  reps: 64`` but not ``supervisor_groups``).
    """
    pattern = re.compile(
        rf"^(?P<head>[ \t]*{re.escape(key)}:)[ \t]*[^#\n]*?(?P<tail>[ \t]+#.*)?$", re.MULTILINE
    )
    matches = list(pattern.finditer(text))
    assert len(matches) == 1, f"{key!r} starts {len(matches)} lines of the baseline, not 1"
    m = matches[0]
    line = f"{m['head']} {value}".rstrip() + (m["tail"] or "")
    return text[: m.start()] + line + text[m.end() :], text.count("\n", 0, m.start()) + 1


def remove_line(key: str, text: str = BASE_TEXT) -> str:
    """Delete the one line that sets ``key``."""
    new, line = set_value(key, "", text)
    lines = new.splitlines(keepends=True)
    del lines[line - 1]
    return "".join(lines)


def territory_line(index: int, text: str = BASE_TEXT) -> int:
    """1-based line of the ``index``-th ``- {name: ..., firms: ...}`` item."""
    items = [
        no
        for no, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith("- {name:")
    ]
    return items[index]


def edit_line(text: str, line: int, old: str, new: str) -> str:
    """Replace ``old`` (once) in line number ``line`` only."""
    lines = text.splitlines(keepends=True)
    assert lines[line - 1].count(old) == 1, (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new)
    return "".join(lines)


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line holding ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> simsales.ScenarioError:
    """Load ``path``, expecting exactly one ScenarioError that reports exactly one problem
    on one line starting with the file name."""
    with pytest.raises(simsales.ScenarioError) as info:
        simsales.load_scenario(path)
    err = info.value
    assert err.source == str(path)
    assert len(err.problems) == 1, str(err)
    assert "\n" not in str(err), str(err)
    assert str(err).startswith(f"{path}: "), "the message must start with the file name"
    return err


# --------------------------------------------------------------------------- good files


def test_baseline_loads_every_value_as_written():
    """The repository baseline is valid, and the Scenario holds exactly what the YAML says
    (no key dropped, renamed or defaulted)."""
    assert isinstance(BASE, simsales.Scenario)
    assert BASE.schema_version == 1
    # (model_dump lists the fields of hiring policies other than the chosen one as None.)
    assert BASE.model_dump(exclude_none=True) == yaml.safe_load(BASE_TEXT)
    # F15: one territory per supervisor group.
    assert BASE.team.supervisor_groups == N_TERR


def test_load_scenario_accepts_str_and_path():
    """``load_scenario`` takes a str as well as a Path, and the result is the same."""
    assert simsales.load_scenario(str(BASELINE)) == BASE


def test_bundled_baseline_loads_and_equals_the_repository_copy():
    """``simsales.baseline_path()`` (used by ``simsales run`` with no file) is the same scenario
    as scenarios/baseline.yaml, and the two files have not drifted apart."""
    bundled = simsales.baseline_path()
    assert bundled.is_file(), bundled
    assert simsales.load_scenario(bundled) == BASE
    assert bundled.read_text(encoding="utf-8") == BASE_TEXT, (
        "simsales/data/baseline.yaml differs from scenarios/baseline.yaml; copy one onto the other"
    )


def test_scenario_is_immutable():
    """A loaded Scenario cannot be changed in place; changes go through with_overrides."""
    sc = simsales.load_scenario(BASELINE)
    reps = sc.team.reps
    with pytest.raises(ValidationError):
        sc.team.reps = reps + 1  # type: ignore[misc]
    assert sc.team.reps == reps


# --------------------------------------------------------------------------- bad values

# (id, key of the line to change, new value, dotted field, repr of the value in the
#  message, what the message must say is allowed)
# fmt: off
BAD_VALUES = [
    ("negative", "reps", "-4", "team.reps", "-4", "greater than or equal to 1"),
    ("zero months", "months", "0", "horizon.months", "0", "greater than or equal to 1"),
    ("above maximum", "visits", "51", "rep.norms.visits", "51", "less than or equal to 50"),
    ("probability >= 1", "sign_probability", "1.5", "leads.sign_probability", "1.5",
     "less than 1"),
    ("zero deal value", "deal_value_mean", "0", "leads.deal_value_mean", "0", "greater than 0"),
    ("text for an int", "reps", "many", "team.reps", "'many'", "valid integer"),
    ("fraction for an int", "reps", "6.5", "team.reps", "6.5", "valid integer"),
    ("null for an int", "reps", "", "team.reps", "None", "valid integer"),
    ("number for a string", "name", "123", "name", "123", "valid string"),
    ("scalar for a list", "signing_touch_shares", "5", "leads.signing_touch_shares", "5",
     "valid list"),
    ("negative touch share", "signing_touch_shares", "[1, -2, 3]",
     "leads.signing_touch_shares", "[1.0, -2.0, 3.0]", "shares must be >= 0"),
    ("supervisor groups > territories", "supervisor_groups", str(N_TERR + 1),
     "team.supervisor_groups", str(N_TERR + 1), f"allowed: 1..{N_TERR}"),
    ("max_followups > len(shares) - 2", "max_followups", str(MAX_FOLLOWUPS + 1),
     "leads.max_followups", str(MAX_FOLLOWUPS + 1), f"must be <= {MAX_FOLLOWUPS}"),
    ("unsupported schema_version", "schema_version", "2", "schema_version", "2", "allowed: 1"),
    ("schema_version as text", "schema_version", '"1"', "schema_version", "'1'", "allowed: 1"),
]
# fmt: on


@pytest.mark.parametrize(
    ("key", "new", "field", "value", "allowed"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_VALUES],
)
def test_bad_value_names_file_field_value_line_and_allowed(
    tmp_path, key, new, field, value, allowed
):
    """Each out-of-range, mistyped or inconsistent value gives one ScenarioError whose text
    is ``<file>: <field> = <value> (line N): <what is allowed>``."""
    text, line = set_value(key, new)
    path = write(tmp_path, text)
    err = load_error(path)
    msg = str(err)
    assert msg.startswith(f"{path}: {field} = {value} (line {line}): ")
    assert allowed in msg
    problem = err.problems[0]
    assert (problem.field, problem.line) == (field, line)


def test_bad_value_inside_a_list_item(tmp_path):
    """A bad value in the third territory names ``market.territories[2].firms`` and the
    line of that item."""
    line = territory_line(2)
    firms = BASE.market.territories[2].firms
    path = write(tmp_path, edit_line(BASE_TEXT, line, f"firms: {firms}", "firms: -5"))
    msg = str(load_error(path))
    assert msg == (
        f"{path}: market.territories[2].firms = -5 (line {line}): "
        "Input should be greater than or equal to 1"
    )


def test_tenure_max_below_min(tmp_path):
    """tenure_months_max < tenure_months_min is reported on the max, quoting the min."""
    text, _ = set_value("tenure_months_min", "10")
    text, line = set_value("tenure_months_max", "2", text)
    msg = str(load_error(write(tmp_path, text)))
    assert f"team.tenure_months_max = 2.0 (line {line}): " in msg
    assert "must be >= tenure_months_min (10.0)" in msg


def test_reps_fewer_than_territories(tmp_path):
    """Every territory needs a rep: N-1 reps cannot cover N territories (even with N-1
    supervisor groups)."""
    text, line = set_value("reps", str(N_TERR - 1))
    text, _ = set_value("supervisor_groups", str(N_TERR - 1), text)
    msg = str(load_error(write(tmp_path, text)))
    assert f"team.reps = {N_TERR - 1} (line {line}): must be >= {N_TERR}" in msg
    assert "territories" in msg


def test_more_groups_than_territories_explains_the_limit(tmp_path):
    """The groups > territories message says how many territories there are and where they
    are set, so the user knows which of the two numbers to change."""
    text, _ = set_value("supervisor_groups", "200")
    msg = str(load_error(write(tmp_path, text)))
    assert "team.supervisor_groups = 200" in msg
    assert f"{N_TERR} territories in market.territories" in msg


def test_duplicate_territory_names(tmp_path):
    """Two territories with one name are refused, naming the repeated name and the line of
    the territories list."""
    first, second = (t.name for t in BASE.market.territories[:2])
    text = edit_line(BASE_TEXT, territory_line(1), f"name: {second},", f"name: {first},")
    path = write(tmp_path, text)
    msg = str(load_error(path))
    line = line_of(text, "territories:")
    assert msg.startswith(f"{path}: market.territories = [{first!r}] (line {line}): ")
    assert "territory names must be unique" in msg


# --------------------------------------------------------------------------- unknown keys


def test_unknown_top_level_key(tmp_path):
    """An unknown top-level key names itself, its line, and every allowed top-level key."""
    text = BASE_TEXT + "bogus: 1\n"
    path = write(tmp_path, text)
    assert str(load_error(path)) == (
        f"{path}: bogus (line {line_of(text, 'bogus: 1')}): unknown key; "
        f"allowed here: {', '.join(TOP_KEYS)}"
    )


def test_unknown_nested_key(tmp_path):
    """A misspelt key inside a section names its dotted path and the section's keys."""
    _, reps_line = set_value("reps", "1")
    lines = BASE_TEXT.splitlines(keepends=True)
    lines.insert(reps_line, "  repz: 3\n")
    text = "".join(lines)
    path = write(tmp_path, text)
    assert str(load_error(path)) == (
        f"{path}: team.repz (line {reps_line + 1}): unknown key; "
        f"allowed here: {', '.join(TEAM_KEYS)}"
    )


def test_unknown_key_two_levels_down(tmp_path):
    """Unknown keys are caught at any depth (rep.norms)."""
    _, visits_line = set_value("visits", "1")
    lines = BASE_TEXT.splitlines(keepends=True)
    lines.insert(visits_line, "    visitz: 3\n")
    path = write(tmp_path, "".join(lines))
    assert str(load_error(path)) == (
        f"{path}: rep.norms.visitz (line {visits_line + 1}): unknown key; "
        f"allowed here: {', '.join(NORMS_KEYS)}"
    )


def test_unknown_key_in_a_list_item(tmp_path):
    """Unknown keys inside a list item name the item's index."""
    line = territory_line(2)
    path = write(tmp_path, edit_line(BASE_TEXT, line, "}", ", size: 3}"))
    assert str(load_error(path)) == (
        f"{path}: market.territories[2].size (line {line}): unknown key; "
        "allowed here: name, firms, grade_mix, travel_minutes"
    )


# --------------------------------------------------------------------------- broken files


def test_missing_file(tmp_path):
    """A path that does not exist is a ScenarioError naming the path, not FileNotFoundError."""
    path = tmp_path / "no_such.yaml"
    assert str(load_error(path)) == f"{path}: file not found"


def test_directory_instead_of_file(tmp_path):
    """A directory is refused with a message saying so (not IsADirectoryError)."""
    assert str(load_error(tmp_path)) == f"{tmp_path}: is a directory, not a file"


def test_file_over_one_mebibyte(tmp_path):
    """Files over 1 MiB are refused before parsing; the message gives size and limit."""
    path = write(tmp_path, BASE_TEXT + "#" * MAX_FILE_BYTES + "\n")
    size = path.stat().st_size
    assert str(load_error(path)) == (
        f"{path}: file is {size:,} bytes; at most 1,048,576 are allowed"
    )


def test_file_of_exactly_one_mebibyte_is_allowed(tmp_path):
    """The limit is inclusive: a valid file padded to exactly 1 MiB still loads."""
    pad = MAX_FILE_BYTES - len(BASE_TEXT.encode()) - 1
    path = write(tmp_path, BASE_TEXT + "#" * pad + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert simsales.load_scenario(path) == BASE


def test_repeated_key_in_one_mapping(tmp_path):
    """YAML would silently keep the last of two equal keys; the loader refuses them and
    points at the second one."""
    _, reps_line = set_value("reps", "1")
    lines = BASE_TEXT.splitlines(keepends=True)
    lines.insert(reps_line, "  reps: 65\n")
    path = write(tmp_path, "".join(lines))
    assert str(load_error(path)) == (
        f"{path}: team.reps (line {reps_line + 1}): "
        "key appears twice in the same mapping; each key may appear once"
    )


def test_repeated_top_level_key(tmp_path):
    """Repeated keys are caught at the top level too."""
    text = BASE_TEXT + "name: again\n"
    msg = str(load_error(write(tmp_path, text)))
    assert f"name (line {line_of(text, 'name: again')}): key appears twice" in msg


@pytest.mark.parametrize(
    ("break_line", "stop_offset"),
    [
        pytest.param(lambda line: line.replace(": ", ": [", 1), 1, id="unclosed bracket"),
        pytest.param(lambda line: line[1:], 1, id="bad indentation"),
        pytest.param(lambda line: "\t" + line.lstrip(), 0, id="tab indentation"),
    ],
)
def test_malformed_yaml_names_the_line(tmp_path, break_line, stop_offset):
    """Syntax errors are ScenarioErrors with the line where the YAML parser stopped: the
    broken line itself, or the next one when only the next token shows the break."""
    _, line = set_value("reps", "1")
    lines = BASE_TEXT.splitlines(keepends=True)
    lines[line - 1] = break_line(lines[line - 1])
    path = write(tmp_path, "".join(lines))
    err = load_error(path)
    assert str(err).startswith(f"{path}: line {line + stop_offset}: malformed YAML: ")
    assert err.problems[0].line == line + stop_offset


def test_unsafe_yaml_tag_is_refused(tmp_path):
    """Python object tags are not constructed (safe_load): the file is malformed, nothing runs."""
    text, line = set_value("reps", "!!python/object/apply:os.getcwd []")
    msg = str(load_error(write(tmp_path, text)))
    assert f"line {line}: malformed YAML: could not determine a constructor" in msg


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("", "empty", id="empty file"),
        pytest.param("# only a comment\n", "empty", id="only comments"),
        pytest.param("- team\n- rep\n", "a list", id="list"),
        pytest.param("just some text\n", "a str", id="scalar"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    """A file whose top level is not a mapping says what it found and what is required."""
    path = write(tmp_path, text)
    assert str(load_error(path)) == (
        f"{path}: top level is {kind}; a mapping of scenario sections is required"
    )


def test_missing_schema_version(tmp_path):
    """schema_version is required: files must say which format they follow."""
    path = write(tmp_path, remove_line("schema_version"))
    msg = str(load_error(path))
    assert msg.startswith(f"{path}: schema_version ")
    assert msg.endswith(": required field is missing")


def test_missing_nested_field(tmp_path):
    """A missing nested field is reported with its dotted path and the line of its section."""
    text = remove_line("days_per_month")
    path = write(tmp_path, text)
    assert str(load_error(path)) == (
        f"{path}: horizon.days_per_month (line {line_of(text, 'horizon:')}): "
        "required field is missing"
    )


def test_file_that_is_not_utf8(tmp_path):
    """Non-UTF-8 bytes are a ScenarioError, not a UnicodeDecodeError."""
    path = tmp_path / "latin1.yaml"
    text, _ = set_value("name", "b\xe4seline")
    path.write_bytes(text.encode("latin-1"))
    assert str(load_error(path)).startswith(f"{path}: not UTF-8 text")


def test_every_problem_in_a_file_is_reported_in_one_error(tmp_path):
    """Several bad fields give ONE ScenarioError listing each, one line per problem, each
    line starting with the file name."""
    text, reps_line = set_value("reps", "-4")
    text, months_line = set_value("months", "0", text)
    path = write(tmp_path, text)
    with pytest.raises(simsales.ScenarioError) as info:
        simsales.load_scenario(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2 == len(info.value.problems)
    assert f"{path}: horizon.months = 0 (line {months_line}): " in str(info.value)
    assert f"{path}: team.reps = -4 (line {reps_line}): " in str(info.value)


def test_scenario_error_is_a_value_error():
    """Callers may catch ScenarioError as a ValueError."""
    assert issubclass(simsales.ScenarioError, ValueError)


def test_boolean_for_an_integer_is_a_type_error(tmp_path):
    """``supervisor_groups: true`` is a wrong type, not a roundabout way to write 1."""
    text, line = set_value("supervisor_groups", "true")
    msg = str(load_error(write(tmp_path, text)))
    assert f"team.supervisor_groups = True (line {line}): " in msg


def test_boolean_schema_version_is_unsupported(tmp_path):
    """``schema_version: true`` is not the supported version 1."""
    text, line = set_value("schema_version", "true")
    msg = str(load_error(write(tmp_path, text)))
    assert f"schema_version = True (line {line}): unsupported schema_version; allowed: 1" in msg


# --------------------------------------------------------------------------- overrides


def test_with_overrides_returns_a_new_scenario_and_leaves_the_original():
    """with_overrides is pure: the result has the new value, the original is unchanged,
    and no other field moves but the name, which says what changed."""
    before = BASE.model_dump()
    changed = BASE.with_overrides({"team.reps": 50})
    assert changed is not BASE
    assert isinstance(changed, simsales.Scenario)
    assert changed.team.reps == 50
    assert changed.name == f"{BASE.name}, team.reps=50"
    assert BASE.model_dump() == before
    after = changed.model_dump()
    after["team"]["reps"] = before["team"]["reps"]
    after["name"] = before["name"]
    assert after == before


def test_overrides_never_edit_the_callers_values(baseline):
    """A whole section given as a dict, then a key inside it: the caller's dict stays as
    it was (a shared constant edited here would leak into every later scenario)."""
    section = {"policy": "none", "lead_time_months": 1, "cost_per_hire": 3000.0,
               "potential_mean": 1.0}  # fmt: skip
    before = dict(section)
    s = baseline.with_overrides(
        {
            "workforce.hiring": section,
            "workforce.hiring.policy": "backfill",
            "workforce.hiring.max_class_size": 4,
        }  # fmt: skip
    )
    assert s.workforce.hiring.policy == "backfill"
    assert section == before


def test_override_nested_fields():
    """Dotted keys reach any depth (rep.norms.visits, leads.grade_mix.A)."""
    sc = BASE.with_overrides({"rep.norms.visits": 4, "leads.grade_mix.A": 0.25})
    assert sc.rep.norms.visits == 4
    assert sc.leads.grade_mix.A == pytest.approx(0.25)
    assert sc.rep.norms.phone_appointments == BASE.rep.norms.phone_appointments
    assert sc.leads.grade_mix.B == BASE.leads.grade_mix.B


def test_override_list_item_by_index():
    """``market.territories.0.firms`` changes the first territory only; scalars in a list
    are addressed the same way."""
    before = BASE.model_dump()
    sc = BASE.with_overrides({"market.territories.0.firms": 1234})
    assert sc.market.territories[0].firms == 1234
    assert sc.market.territories[0].name == BASE.market.territories[0].name
    assert sc.market.territories[1:] == BASE.market.territories[1:]
    assert BASE.model_dump() == before
    last = len(BASE.leads.signing_touch_shares) - 1
    sc = BASE.with_overrides({f"leads.signing_touch_shares.{last}": 0})
    assert sc.leads.signing_touch_shares[last] == 0
    assert sc.leads.signing_touch_shares[:last] == BASE.leads.signing_touch_shares[:last]


def test_override_a_whole_list():
    """A list can be replaced as a whole; its items are validated into models."""
    sc = BASE.with_overrides(
        {
            "market.territories": [{"name": "A", "firms": 100}, {"name": "B", "firms": 200}],
            "team.supervisor_groups": 2,
        }
    )
    assert [(t.name, t.firms) for t in sc.market.territories] == [("A", 100), ("B", 200)]


def test_overrides_are_validated_together_not_one_by_one():
    """Overrides that are only consistent together (fewer territories AND fewer groups AND
    fewer reps) are accepted, whatever their order in the mapping."""
    terr = [{"name": "A", "firms": 500}, {"name": "B", "firms": 500}]
    for order in (
        {"market.territories": terr, "team.supervisor_groups": 2, "team.reps": 2},
        {"team.reps": 2, "team.supervisor_groups": 2, "market.territories": terr},
    ):
        sc = BASE.with_overrides(order)
        assert (sc.team.reps, sc.team.supervisor_groups, len(sc.market.territories)) == (2, 2, 2)


def test_empty_overrides_give_an_equal_scenario():
    """No overrides: an equal (re-validated) scenario."""
    assert BASE.with_overrides({}) == BASE


def override_error(overrides: dict) -> simsales.ScenarioError:
    """Apply ``overrides`` to the baseline, expecting a ScenarioError from source "override"
    and leaving the baseline untouched."""
    before = BASE.model_dump()
    with pytest.raises(simsales.ScenarioError) as info:
        BASE.with_overrides(overrides)
    err = info.value
    assert err.source == "override"
    assert str(err).startswith("override: ")
    assert BASE.model_dump() == before  # a failed override changes nothing
    return err


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        pytest.param("bogus", TOP_KEYS, id="top level"),
        pytest.param("team.repz", TEAM_KEYS, id="nested"),
        pytest.param("rep.norms.visitz", NORMS_KEYS, id="two levels"),
        pytest.param(
            "market.territories.0.size",
            ["name", "firms", "grade_mix", "travel_minutes"],
            id="in list item",
        ),
    ],
)
def test_override_unknown_key_lists_allowed_keys(key, allowed):
    """An unknown override key names itself and every key allowed at that level."""
    err = override_error({key: 1})
    assert str(err) == f"override: {key}: unknown key; allowed here: {', '.join(allowed)}"


@pytest.mark.parametrize("index", [str(N_TERR), "first", "-1"])
def test_override_bad_list_index(index):
    """A list index past the end, or not a number, says which indexes exist."""
    err = override_error({f"market.territories.{index}.firms": 1})
    assert str(err) == (
        f"override: market.territories.{index}: list index out of range; allowed: 0..{N_TERR - 1}"
    )


def test_override_sub_key_of_a_value():
    """A scalar has no sub-keys: ``team.reps.x`` is refused naming ``team.reps``."""
    err = override_error({"team.reps.x": 1})
    assert str(err) == "override: team.reps: is a value, it has no sub-keys"


TENURE_MAX = BASE.team.tenure_months_max


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param(
            {"team.reps": -1},
            "team.reps = -1: Input should be greater than or equal to 1",
            id="out of range",
        ),
        pytest.param(
            {"team.reps": "many"},
            "team.reps = 'many': Input should be a valid integer",
            id="wrong type",
        ),
        pytest.param(
            {"team.supervisor_groups": N_TERR + 1},
            f"team.supervisor_groups = {N_TERR + 1}: more groups",
            id="inconsistent",
        ),
        pytest.param(
            {"team.tenure_months_min": TENURE_MAX + 1},
            f"team.tenure_months_max = {TENURE_MAX!r}: must be >= tenure_months_min "
            f"({TENURE_MAX + 1.0!r})",
            id="cross-field",
        ),
        pytest.param(
            {"market.territories.0.firms": 0},
            "market.territories[0].firms = 0: Input should be greater than or equal to 1",
            id="list item",
        ),
        pytest.param(
            {"leads.max_followups": MAX_FOLLOWUPS + 1},
            f"leads.max_followups = {MAX_FOLLOWUPS + 1}: must be <= {MAX_FOLLOWUPS}",
            id="max followups",
        ),
        pytest.param(
            {"team": 5}, "team = 5: Input should be a valid dictionary", id="value for a section"
        ),
    ],
)
def test_override_bad_value(overrides, expected):
    """Overridden values are validated like file values: field, value and what is allowed
    (there is no file line, so none is given)."""
    msg = str(override_error(overrides))
    assert msg.startswith(f"override: {expected}")
    assert "(line" not in msg


# --------------------------------------------------------------------------- parse_assignment


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        pytest.param("team.reps=50", "team.reps", 50, id="int"),
        pytest.param("leads.sign_probability=0.07", "leads.sign_probability", 0.07, id="float"),
        pytest.param(
            "leads.signing_touch_shares=[1, 2, 3]",
            "leads.signing_touch_shares",
            [1, 2, 3],
            id="list",
        ),
        pytest.param(
            "market.territories=[{name: A, firms: 20000}]",
            "market.territories",
            [{"name": "A", "firms": 20000}],
            id="list of mappings",
        ),
        pytest.param("name=my scenario", "name", "my scenario", id="string"),
        pytest.param("name=a=b", "name", "a=b", id="equals sign in value"),
        pytest.param(" team.reps = 50 ", "team.reps", 50, id="spaces"),
    ],
)
def test_parse_assignment_reads_yaml_values(text, key, value):
    """``key=value`` splits at the first ``=`` and reads the value as YAML."""
    got_key, got_value = parse_assignment(text)
    assert got_key == key
    assert got_value == value
    assert type(got_value) is type(value)


@pytest.mark.parametrize("text", ["team.reps", "team.reps 50", "=50", ""])
def test_parse_assignment_rejects_text_without_key_and_equals(text):
    """Text without ``=`` (or with nothing before it) is a ScenarioError quoting the text."""
    with pytest.raises(simsales.ScenarioError) as info:
        parse_assignment(text)
    assert str(info.value) == f"--set: {text!r} is not of the form dotted.key=value"


def test_parse_assignment_rejects_invalid_yaml():
    """A value that is not YAML names the key and the raw value."""
    with pytest.raises(simsales.ScenarioError) as info:
        parse_assignment("name=[1")
    assert str(info.value) == "--set: name = '[1': value is not valid YAML"


def test_parsed_assignments_apply_as_overrides():
    """What parse_assignment returns is what with_overrides takes (the CLI's --set path)."""
    pairs = dict(
        parse_assignment(a)
        for a in ("team.reps=50", "leads.sign_probability=0.07", "market.territories.1.firms=9")
    )
    sc = BASE.with_overrides(pairs)
    assert (sc.team.reps, sc.leads.sign_probability, sc.market.territories[1].firms) == (
        50,
        0.07,
        9,
    )


# --------------------------------------------------------------------------- JSON Schema


def test_schema_json_content_matches_the_models():
    """scenarios/schema.json describes the same schema as the pydantic models."""
    assert json.loads(SCHEMA_JSON.read_text(encoding="utf-8")) == json.loads(json_schema()), (
        "scenarios/schema.json is out of date: run `make schema`"
    )


def test_schema_json_is_exactly_json_schema():
    """scenarios/schema.json is exactly the text of ``json_schema()``."""
    assert SCHEMA_JSON.read_text(encoding="utf-8") == json_schema(), (
        "scenarios/schema.json is out of date: run `make schema`"
    )


def test_schema_forbids_unknown_keys_everywhere():
    """Every object in the JSON Schema sets additionalProperties: false, like the loader."""
    schema = json.loads(json_schema())
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        assert definition.get("additionalProperties") is False, name


# --------------------------------------------------------------------------- provenance

SOURCE_RE = re.compile(r"F\d+|assumption:|calibrated")
SECTION_RE = re.compile(r"^\s*[\w-]+:\s*$")  # `key:` with nothing after it
METADATA_KEYS = ("schema_version", "name", "description", "base")


def value_lines(text: str) -> list[tuple[int, str, str]]:
    """Lines that set a value (``key: value`` or ``- {...}``): (line no, line, comment)."""
    out = []
    for no, line in enumerate(text.splitlines(), start=1):
        code, _, comment = line.partition(" #")  # YAML comments need a space before '#'
        if not code.strip() or code.lstrip().startswith("#") or SECTION_RE.match(code):
            continue
        out.append((no, line, comment))
    return out


def unsourced_lines(text: str, skip_keys: tuple[str, ...] = ()) -> list[str]:
    """Value lines whose comment cites no F-ID, ``assumption:`` or ``calibrated``,
    as ``"<line no>: <line>"``; lines setting one of ``skip_keys`` are left out."""
    return [
        f"{no}: {line}"
        for no, line, comment in value_lines(text)
        if line.strip().split(":")[0] not in skip_keys and not SOURCE_RE.search(comment)
    ]


def test_provenance_checker_catches_unsourced_lines():
    """The checker itself: flags values without a source, exempts sections and comments."""
    text = (
        "# header\n"
        "team:                 # F15: a section comment is fine but optional\n"
        "rep:\n"
        "  reps: 64            # F13: sourced\n"
        "  groups: 8           # assumption: sourced\n"
        "  k: 3                # calibrated: to F2\n"
        "  bad: 1              # no source here\n"
        "  worse: 2\n"
        "  items:\n"
        "    - {name: A, firms: 1}   # assumption: ok\n"
        "    - {name: B, firms: 2}\n"
    )
    assert unsourced_lines(text) == [
        "7:   bad: 1              # no source here",
        "8:   worse: 2",
        "11:     - {name: B, firms: 2}",
    ]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenario_parameters_cite_their_source(path):
    """Every model parameter in every bundled scenario carries a comment citing an F-ID,
    or saying ``assumption:`` or ``calibrated``; and the file is valid."""
    simsales.load_scenario(path)
    bad = unsourced_lines(path.read_text(encoding="utf-8"), skip_keys=METADATA_KEYS)
    assert not bad, f"{path.name} values without a source comment:\n" + "\n".join(bad)


def test_baseline_provenance_check_is_not_vacuous():
    """The checker sees one line per value of the baseline: every leaf field, and every
    territory (a ``- {...}`` item); a flow list like signing_touch_shares is one line."""

    def count(node) -> int:
        if isinstance(node, dict):
            return sum(count(v) for v in node.values())
        if isinstance(node, list) and node and isinstance(node[0], dict):
            return len(node)
        return 1

    assert len(value_lines(BASE_TEXT)) == count(BASE.model_dump(exclude_none=True))

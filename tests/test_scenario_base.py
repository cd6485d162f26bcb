"""Short what-if files: ``base:`` resolution, merging, chains and the errors they give.

Files are written to ``tmp_path``; a full base is the text of ``scenarios/baseline.yaml``
(or a one-line edit of it), and expected line numbers are computed from the texts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import simsales
from simsales.scenario.loader import MAX_BASE_DEPTH, MAX_FILE_BYTES, merge

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASE_TEXT = (SCENARIOS / "baseline.yaml").read_text(encoding="utf-8")
BASE = simsales.load_scenario(SCENARIOS / "baseline.yaml")
WHAT_IFS = sorted(p for p in SCENARIOS.glob("*.yaml") if p.name != "baseline.yaml")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line holding ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def renamed_base(name: str, **edits: str) -> str:
    """The baseline's text with another name and ``old=new`` line edits."""
    text = BASE_TEXT.replace("name: baseline ", f"name: {name} ", 1)
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def load_error(path: Path) -> simsales.ScenarioError:
    with pytest.raises(simsales.ScenarioError) as info:
        simsales.load_scenario(path)
    assert len(info.value.problems) == 1, str(info.value)
    return info.value


# --------------------------------------------------------------------------- resolution


def test_base_is_relative_to_the_files_folder(tmp_path):
    """``base: ../team.yaml`` in sub/child.yaml is tmp_path/team.yaml, whatever the
    working directory; the child's values win, the rest is the base's."""
    write(tmp_path, "team.yaml", renamed_base("team", **{"reps: 64 ": "reps: 72 "}))
    child = write(tmp_path / "sub", "child.yaml", "base: ../team.yaml\nname: child\n"
                  "horizon:\n  months: 6\n")  # fmt: skip
    sc = simsales.load_scenario(child)
    assert (sc.name, sc.team.reps, sc.horizon.months) == ("child", 72, 6)
    assert sc.horizon.warmup_months == BASE.horizon.warmup_months


@pytest.mark.parametrize("base", ["baseline", "baseline.yaml"])
def test_a_bare_baseline_name_is_the_bundled_baseline(tmp_path, base):
    """With no such file beside the child, ``baseline`` and ``baseline.yaml`` are the
    baseline shipped in the package (simsales.baseline_path())."""
    child = write(tmp_path, "whatif.yaml", f"base: {base}\nname: whatif\n")
    assert simsales.load_scenario(child) == BASE.with_overrides({"name": "whatif"})


def test_a_file_beside_the_child_wins_over_the_bundled_baseline(tmp_path):
    write(tmp_path, "baseline.yaml", renamed_base("local", **{"reps: 64 ": "reps: 70 "}))
    child = write(tmp_path, "whatif.yaml", "base: baseline.yaml\nname: whatif\n")
    assert simsales.load_scenario(child).team.reps == 70


def test_bases_chain_and_each_level_contributes(tmp_path):
    """child -> middle -> baseline: each file's own values, nearest first."""
    write(tmp_path, "middle.yaml", "base: baseline\nname: middle\nteam:\n  reps: 80\n"
          "horizon:\n  months: 6\n")  # fmt: skip
    child = write(tmp_path, "child.yaml", "base: middle.yaml\nname: child\nhorizon:\n"
                  "  months: 9\n")  # fmt: skip
    sc = simsales.load_scenario(child)
    assert (sc.name, sc.team.reps, sc.horizon.months) == ("child", 80, 9)
    assert sc.rep == BASE.rep


def test_a_chain_of_max_depth_loads_and_one_more_is_refused(tmp_path):
    """MAX_BASE_DEPTH files with a base each (the last on the bundled baseline) load; a
    chain one longer is refused, naming the file where the limit is passed."""

    def chain(folder: Path, n: int) -> Path:
        for i in range(n):
            base = "baseline" if i == n - 1 else f"f{i + 1}.yaml"
            write(folder, f"f{i}.yaml", f"base: {base}\nname: f{i}\n")
        return folder / "f0.yaml"

    assert simsales.load_scenario(chain(tmp_path / "ok", MAX_BASE_DEPTH)).name == "f0"
    err = load_error(chain(tmp_path / "long", MAX_BASE_DEPTH + 1))
    assert err.source == str(tmp_path / "long" / f"f{MAX_BASE_DEPTH}.yaml")
    assert f"more than {MAX_BASE_DEPTH} files in a chain of bases" in str(err)


def test_a_cycle_of_bases_is_refused_and_shown(tmp_path):
    write(tmp_path, "a.yaml", "base: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "base: a.yaml\nname: b\n")
    err = load_error(tmp_path / "a.yaml")
    assert err.source == str(tmp_path / "b.yaml")  # the file whose base closes the loop
    assert "base files form a cycle: a.yaml -> b.yaml -> a.yaml" in str(err)
    me = write(tmp_path, "me.yaml", "base: me.yaml\nname: me\n")
    assert "base files form a cycle: me.yaml -> me.yaml" in str(load_error(me))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("5", "5", id="number"),
        pytest.param("[baseline.yaml]", "['baseline.yaml']", id="list"),
        pytest.param("", "None", id="empty"),
        pytest.param('"  "', "'  '", id="blank text"),
    ],
)
def test_a_base_that_is_not_a_file_name_is_refused(tmp_path, value, shown):
    text = f"schema_version: 1\nbase: {value}\nname: x\n"
    path = write(tmp_path, "x.yaml", text)
    assert str(load_error(path)) == (
        f"{path}: base = {shown} (line 2): must name a scenario file relative to this "
        "file's folder, or baseline for the bundled baseline, e.g. base: baseline.yaml"
    )


def test_a_missing_base_names_the_path_it_looked_for(tmp_path):
    path = write(tmp_path, "x.yaml", "name: x\nbase: nowhere.yaml\n")
    msg = str(load_error(path))
    assert msg.startswith(f"{path}: base = 'nowhere.yaml' (line 2): no such file: ")
    assert str(tmp_path / "nowhere.yaml") in msg
    assert "bundled: baseline.yaml" in msg


def test_a_folder_as_base_is_refused(tmp_path):
    (tmp_path / "sub").mkdir()
    path = write(tmp_path, "x.yaml", "base: sub\nname: x\n")
    assert f"{tmp_path / 'sub'} is a folder" in str(load_error(path))


def test_a_file_with_a_base_must_give_its_name(tmp_path):
    """Inheriting the base's name would label a what-if's tables 'baseline'."""
    path = write(tmp_path, "more_reps.yaml", "# header\nbase: baseline\nteam:\n  reps: 80\n")
    assert str(load_error(path)) == (
        f"{path}: name (line 2): required in a file with base: (else it would carry its "
        "base's name); e.g. name: more_reps"
    )


def test_a_base_description_is_not_inherited(tmp_path):
    """A description says what one file changes; the child's own, or none."""
    write(tmp_path, "b.yaml", "base: baseline\nname: b\ndescription: Eighty reps.\n"
          "team:\n  reps: 80\n")  # fmt: skip
    quiet = write(tmp_path, "c.yaml", "base: b.yaml\nname: c\n")
    told = write(tmp_path, "d.yaml", "base: b.yaml\nname: d\ndescription: Ninety.\n")
    assert simsales.load_scenario(tmp_path / "b.yaml").description == "Eighty reps."
    assert simsales.load_scenario(quiet).description is None
    assert simsales.load_scenario(told).description == "Ninety."
    assert simsales.load_scenario(quiet).team.reps == 80


# --------------------------------------------------------------------------- merging


def test_mappings_merge_key_by_key(tmp_path):
    """One key of a nested mapping changes; its siblings, at every depth, stay the base's."""
    path = write(tmp_path, "x.yaml", "base: baseline\nname: x\nrep:\n  norms:\n    visits: 4\n")
    sc = simsales.load_scenario(path)
    assert sc.rep.norms.visits == 4
    assert sc.rep.norms.phone_appointments == BASE.rep.norms.phone_appointments
    assert sc.rep.minutes_per_day == BASE.rep.minutes_per_day


def test_a_list_is_replaced_whole(tmp_path):
    """Two territories replace the baseline's eight: lists are not merged item by item."""
    text = ("base: baseline\nname: x\nteam:\n  supervisor_groups: 2\nmarket:\n  territories:\n"
            "    - {name: North, firms: 500}\n    - {name: South, firms: 700}\n")  # fmt: skip
    sc = simsales.load_scenario(write(tmp_path, "x.yaml", text))
    assert [(t.name, t.firms, t.travel_minutes) for t in sc.market.territories] == [
        ("North", 500, 0.0),
        ("South", 700, 0.0),
    ]


def test_null_drops_an_inherited_key_to_switch_policy(tmp_path):
    """Switching hiring policy: null drops the baseline's fixed-class fields."""
    text = ("base: baseline\nname: x\nworkforce:\n  hiring:\n    policy: backfill\n"
            "    class_size: null\n    every_months: null\n    max_class_size: 6\n")  # fmt: skip
    sc = simsales.load_scenario(write(tmp_path, "x.yaml", text))
    hiring = sc.workforce.hiring
    assert (hiring.policy, hiring.max_class_size, hiring.class_size) == ("backfill", 6, None)
    assert hiring.cost_per_hire == BASE.workforce.hiring.cost_per_hire


def test_an_inherited_field_the_new_policy_does_not_take_says_how_to_drop_it(tmp_path):
    """Without the nulls the baseline's class_size is refused at its line in the base,
    with the way to drop it."""
    base = write(tmp_path, "base.yaml", BASE_TEXT)
    text = "base: base.yaml\nname: x\nworkforce:\n  hiring:\n    policy: backfill\n" \
           "    every_months: null\n    max_class_size: 6\n"  # fmt: skip
    path = write(tmp_path, "x.yaml", text)
    size = BASE.workforce.hiring.class_size
    assert str(load_error(path)) == (
        f"{path}: workforce.hiring.class_size = {size} (line {line_of(BASE_TEXT, 'class_size:')} "
        f"of {base}): not used by hiring policy 'backfill', which takes max_class_size; "
        f"remove it (it comes from {base}: write class_size: null in this file to drop it)"
    )


def test_merge_follows_json_merge_patch_and_copies():
    """RFC 7386: mappings merge, null removes, anything else replaces; inputs untouched."""
    base: dict[str, Any] = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    child: dict[str, Any] = {"a": {"c": [3], "e": None, "f": {"g": None, "h": 2}}, "d": None}
    out = merge(base, child)
    assert out == {"a": {"b": 1, "c": [3], "f": {"h": 2}}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    out["a"]["c"].append(4)
    assert child["a"]["c"] == [3]


# --------------------------------------------------------------------------- errors


def test_a_bad_value_in_the_child_names_the_child_and_its_line(tmp_path):
    text = "base: baseline\nname: x\nteam:\n  reps: -4\n"
    path = write(tmp_path, "x.yaml", text)
    assert str(load_error(path)) == (
        f"{path}: team.reps = -4 (line 4): Input should be greater than or equal to 1"
    )


def test_an_error_of_the_merge_at_a_base_value_names_the_base_line(tmp_path):
    """The child makes leads go stale after 3 days; the base's grade-B cadence (set in
    the base) no longer fits: the child's error, at the line of the base that set it."""
    base = write(tmp_path, "base.yaml", BASE_TEXT)
    path = write(tmp_path, "x.yaml", "base: base.yaml\nname: x\nleads:\n  stale_after_days: 3\n")
    cadence = BASE.leads.followup_cadence_days.B
    line = line_of(BASE_TEXT, f"    B: {cadence} ")
    msg = str(load_error(path))
    assert msg.startswith(
        f"{path}: leads.followup_cadence_days.B = {cadence} (line {line} of {base}): "
        "must be <= leads.stale_after_days (3)"
    )


def test_a_bad_base_is_reported_as_the_base(tmp_path):
    """The base is a scenario of its own: its errors name it, not the child."""
    base = write(tmp_path, "base.yaml", renamed_base("b", **{"reps: 64 ": "reps: -1 "}))
    path = write(tmp_path, "x.yaml", "base: base.yaml\nname: x\nteam:\n  reps: 70\n")
    err = load_error(path)
    assert err.source == str(base)
    assert f"team.reps = -1 (line {line_of(BASE_TEXT, 'reps: 64 ')}): " in str(err)


def test_every_file_of_a_chain_is_read_safely(tmp_path):
    """The size limit and safe YAML hold for a base as for the file named."""
    big = write(tmp_path, "big.yaml", BASE_TEXT + "#" * MAX_FILE_BYTES + "\n")
    path = write(tmp_path, "x.yaml", "base: big.yaml\nname: x\n")
    err = load_error(path)
    assert err.source == str(big) and "at most 1,048,576 are allowed" in str(err)
    write(tmp_path, "evil.yaml", "name: !!python/object/apply:os.getcwd []\n")
    path = write(tmp_path, "y.yaml", "base: evil.yaml\nname: y\n")
    err = load_error(path)
    assert err.source == str(tmp_path / "evil.yaml") and "malformed YAML" in str(err)


# --------------------------------------------------------------------------- bundled what-ifs


def leaves(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a file's own values; a list is one value (it replaces the base's)."""
    if not isinstance(node, dict):
        return {prefix: node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out |= leaves(value, f"{prefix}.{key}" if prefix else key)
    return out


@pytest.mark.parametrize("path", WHAT_IFS, ids=lambda p: p.stem)
def test_every_bundled_what_if_is_its_base_with_its_own_values(path, monkeypatch):
    """Each bundled what-if is short: a base, its name, and its differences. Loading it
    equals applying its own values to the base as overrides (the other way of making a
    variant), and it names itself after its file. (An override's roster file is
    relative to the working folder: here, the file's.)"""
    monkeypatch.chdir(path.parent)
    own = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = simsales.load_scenario(path.parent / own.pop("base"))
    sc = simsales.load_scenario(path)
    assert sc == base.with_overrides(leaves(own))
    assert sc.name == path.stem != base.name
    assert len(path.read_text(encoding="utf-8").splitlines()) < 40

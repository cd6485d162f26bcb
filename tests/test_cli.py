"""The ``simsales`` command: good input works, bad input is one or two lines on stderr
and exit 2.

Most cases use typer's CliRunner on ``simsales.cli.app``; a few run the real
``python -m simsales`` in a subprocess, so the entry point and the absence of
tracebacks are checked end to end. Runs that simulate are tiny (8 reps, 2 territories,
1 + 2 months, 2 replications).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import simsales
from simsales.cli import EXIT_BAD_INPUT, app
from simsales.scenario.schema import json_schema

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
BASE_TEXT = BASELINE.read_text(encoding="utf-8")
N_TERR = len(simsales.load_scenario(BASELINE).market.territories)

TINY = [
    "--set", "horizon.months=2",
    "--set", "horizon.warmup_months=1",
    "--set", "team.reps=8",
    "--set", "team.supervisor_groups=2",
    "--set", "market.territories=[{name: A, firms: 20000}, {name: B, firms: 20000}]",
    "-r", "2", "-w", "1", "--no-progress",
]  # fmt: skip
SAVED = ["team_month.parquet", "territory_month.parquet", "rep_month.parquet",
         "funnel.parquet", "lead_cohorts.parquet", "cohorts.parquet",
         "manifest.json", "shards", "store.json"]  # fmt: skip

runner = CliRunner()


def invoke(*args: str | Path):
    """Run the CLI in-process; stdout and stderr are kept apart."""
    return runner.invoke(app, [str(a) for a in args])


def set_value(key: str, value: str, text: str = BASE_TEXT) -> str:
    """``text`` (the baseline) with the one ``key:`` line given a new value."""
    pattern = re.compile(rf"^([ \t]*{re.escape(key)}:)[ \t]*[^#\n]*?([ \t]+#.*)?$", re.MULTILINE)
    new, n = pattern.subn(lambda m: f"{m[1]} {value}" + (m[2] or ""), text)
    assert n == 1, f"{key!r} starts {n} lines of the baseline"
    return new


def line_no(key: str) -> int:
    """1-based line of the baseline that sets ``key``."""
    lines = BASE_TEXT.splitlines()
    hits = [i for i, line in enumerate(lines, start=1) if line.lstrip().startswith(f"{key}:")]
    assert len(hits) == 1, hits
    return hits[0]


def assert_bad_input(result, *pieces: str, max_lines: int = 2) -> None:
    """Exit 2, nothing on stdout, one or two lines on stderr starting with ``error:`` that
    contain each of ``pieces``, and no traceback anywhere."""
    assert result.exit_code == EXIT_BAD_INPUT == 2, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a crash
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= max_lines, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    for piece in pieces:
        assert piece in result.stderr, (piece, result.stderr)


# --------------------------------------------------------------------------- validate


def test_validate_good_file_prints_ok():
    """``simsales validate`` on the baseline exits 0 and prints OK on stdout only."""
    result = invoke("validate", BASELINE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{BASELINE}: OK")
    assert result.stderr == ""


# (id, text of the bad file, pieces the error line must contain)
BAD_FILES = [
    (
        "out of range",
        set_value("reps", "-4"),
        ["team.reps = -4", f"(line {line_no('reps')})", "greater than or equal to 1"],
    ),
    ("wrong type", set_value("reps", "many"), ["team.reps = 'many'", "valid integer"]),
    (
        "unknown top-level key",
        BASE_TEXT + "bogus: 1\n",
        ["bogus", "unknown key", "allowed here: schema_version"],
    ),
    (
        "unknown nested key",
        BASE_TEXT.replace("\nteam:\n", "\nteam:\n  repz: 1\n", 1),
        ["team.repz", "unknown key", "allowed here: reps, supervisor_groups"],
    ),
    (
        "groups > territories",
        set_value("supervisor_groups", str(N_TERR + 1)),
        ["team.supervisor_groups", f"allowed: 1..{N_TERR}"],
    ),
    (
        "tenure max < min",
        set_value("tenure_months_max", "0.5", set_value("tenure_months_min", "2")),
        ["team.tenure_months_max = 0.5", "must be >= tenure_months_min (2.0)"],
    ),
    (
        "max_followups too high",
        set_value("max_followups", "58"),
        ["leads.max_followups = 58", "must be <="],
    ),
    (
        "repeated key",
        BASE_TEXT.replace("\nteam:\n", "\nteam:\n  reps: 1\n", 1),
        ["team.reps", "key appears twice"],
    ),
    ("malformed YAML", set_value("reps", "[64"), ["malformed YAML", "line "]),
    ("not a mapping", "- a\n- b\n", ["top level is a list"]),
    ("empty file", "", ["top level is empty"]),
    (
        "missing schema_version",
        BASE_TEXT.replace("schema_version: 1", "", 1),
        ["schema_version", "required field is missing"],
    ),
    (
        "schema_version 2",
        set_value("schema_version", "2"),
        ["schema_version = 2", "unsupported schema_version; allowed: 1"],
    ),
    ("over 1 MiB", BASE_TEXT + "#" * (1 << 20), ["bytes; at most 1,048,576 are allowed"]),
]


@pytest.mark.parametrize(
    ("text", "pieces"), [pytest.param(text, pieces, id=name) for name, text, pieces in BAD_FILES]
)
def test_validate_bad_file_is_one_error_line(tmp_path, text, pieces):
    """Each kind of bad file: exit 2 and ``error: <file>: <field> ...: <allowed>`` on stderr."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", path)
    assert_bad_input(result, f"error: {path}: ", *pieces, max_lines=1)


def test_validate_missing_file(tmp_path):
    """A file that does not exist: exit 2 naming it."""
    path = tmp_path / "nope.yaml"
    assert_bad_input(invoke("validate", path), f"error: {path}: file not found", max_lines=1)


def test_validate_directory(tmp_path):
    """A directory instead of a file: exit 2 saying so."""
    assert_bad_input(
        invoke("validate", tmp_path), f"error: {tmp_path}: is a directory", max_lines=1
    )


def test_validate_file_with_two_problems(tmp_path):
    """Two bad fields in one file: both reported, still exit 2 and no traceback."""
    path = tmp_path / "two.yaml"
    path.write_text(set_value("reps", "-4").replace("\nhorizon:\n", "\nhorizon:\n  x: 1\n", 1))
    result = invoke("validate", path)
    assert_bad_input(result, "team.reps = -4", "horizon.x (line", "unknown key")


# --------------------------------------------------------------------------- run: bad input


@pytest.mark.parametrize(
    ("assignment", "pieces"),
    [
        pytest.param(
            "team.repz=5",
            ["--set: team.repz: unknown key", "allowed here: reps, supervisor_groups"],
            id="unknown key",
        ),
        pytest.param("bogus=5", ["--set: bogus: unknown key"], id="unknown section"),
        pytest.param(
            "team.reps=-1",
            ["--set: team.reps = -1", "greater than or equal to 1"],
            id="bad value",
        ),
        pytest.param("team.reps=many", ["--set: team.reps = 'many'"], id="wrong type"),
        pytest.param(
            "team.supervisor_groups=999",
            ["team.supervisor_groups = 999", f"allowed: 1..{N_TERR}"],
            id="inconsistent",
        ),
        pytest.param(
            "team.reps", ["'team.reps' is not of the form dotted.key=value"], id="missing ="
        ),
        pytest.param("=5", ["is not of the form dotted.key=value"], id="missing key"),
        pytest.param("name=[1", ["--set: name = '[1': value is not valid YAML"], id="invalid YAML"),
        pytest.param("market.territories.99.firms=1", ["list index out of range"], id="bad index"),
    ],
)
def test_run_bad_override_exits_2(assignment, pieces):
    """``run --set`` with an unknown key, a bad value or no ``=`` fails before simulating."""
    result = invoke("run", BASELINE, "--set", assignment, "-r", "1", "-w", "1", "--no-progress")
    assert_bad_input(result, "error: ", *pieces, max_lines=1)


def test_run_missing_file_exits_2(tmp_path):
    """``run`` on a file that does not exist: exit 2 naming it."""
    path = tmp_path / "nope.yaml"
    assert_bad_input(
        invoke("run", path, "-r", "1", "-w", "1", "--no-progress"),
        f"error: {path}: file not found",
        max_lines=1,
    )


def test_run_bad_file_exits_2(tmp_path):
    """``run`` on an invalid file reports it like ``validate`` does."""
    path = tmp_path / "bad.yaml"
    path.write_text(set_value("reps", "-4"))
    assert_bad_input(
        invoke("run", path, "-r", "1", "-w", "1", "--no-progress"),
        f"error: {path}: team.reps = -4",
        max_lines=1,
    )


def test_run_into_non_empty_folder_without_force_exits_2(tmp_path):
    """``--out`` into a folder that already has files is refused (nothing is overwritten)
    unless ``--force`` is given."""
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "keep.txt"
    keep.write_text("precious")
    result = invoke("run", BASELINE, *TINY, "--out", out)
    assert_bad_input(result, f"--out {out}", "not empty", "--force", max_lines=1)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert keep.read_text() == "precious"


def test_run_out_is_a_file_exits_2(tmp_path):
    """``--out`` naming an existing file is refused."""
    out = tmp_path / "out.txt"
    out.write_text("x")
    assert_bad_input(
        invoke("run", BASELINE, *TINY, "--out", out), "exists and is not a folder", max_lines=1
    )
    assert out.read_text() == "x"


# --------------------------------------------------------------------------- run: success


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny CLI run saved to a new folder, shared by the tests below."""
    out = tmp_path_factory.mktemp("cli") / "results"
    result = invoke("run", BASELINE, *TINY, "--seed", "3", "--out", out)
    return result, out


def test_run_prints_summary_with_metric_names(tiny_run):
    """A successful run exits 0 and prints the summary table, with revenue and the F2 sign
    rate, on stdout."""
    result, out = tiny_run
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "scenario 'baseline': 2 replications, seed 3 (totals over the horizon)"
    assert lines[1].split()[:2] == ["metric", "mean"]
    metrics = {line.split()[0] for line in lines[2:]}
    assert {"revenue", "f2_sign_rate", "signings", "leads_entered"} <= metrics
    assert lines[-1] == f"tables saved to {out}"


def test_run_shows_workforce_rows_only_for_a_changing_team():
    """A team with hiring shows hires and the class KPIs; the steady baseline does not."""
    result = invoke(
        "run", ROOT / "scenarios" / "trainer_class.yaml", "-r", "2", "-w", "1", "--no-progress",
        "--set", "team.reps=8", "--set", "team.supervisor_groups=2",
        "--set", "market.territories=[{name: A, firms: 20000}, {name: B, firms: 20000}]",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = {line.split()[0] for line in result.stdout.splitlines()[2:]}
    assert {"hires", "class_signing_rate_1m_of_on_post", "class_survival_3m_of_on_post"} <= metrics
    result = invoke(
        "run", "-r", "2", "-w", "1", "--no-progress", "--set", "horizon.months=2",
        "--set", "workforce.hiring={policy: none, lead_time_months: 1, cost_per_hire: 0,"
                 " potential_mean: 1.0}",
        "--set", "workforce.attrition.quit_hazard_by_year=[0.0]",
        "--set", "workforce.dismissal.no_order_months=0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    steady = {line.split()[0] for line in result.stdout.splitlines()[2:]}
    assert "signings" in steady
    assert not {m for m in steady if m.startswith("class_") or m in ("hires", "quits")}


def test_run_ramp_prints_hired_reps_by_month_on_post():
    """``--ramp`` adds one line per month on post, with the rep-months and each measure's
    interval; the trainer's class of 20 goes on post in reported month 2."""
    result = invoke(
        "run", ROOT / "scenarios" / "trainer_class.yaml", "-r", "2", "-w", "1", "--no-progress",
        "--ramp", "--set", "horizon.months=4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index("ramp of hired reps (means over replications of each one's mean per rep):")
    assert lines[start + 1].split()[:4] == ["month", "on", "post", "rep-months"]
    rows = [line.split() for line in lines[start + 2 :]]
    assert [r[0] for r in rows] == ["1", "2", "3"]  # months 2-4 of the horizon
    assert all(int(r[1]) > 0 for r in rows)


def test_run_out_writes_every_table_and_the_manifest(tiny_run):
    """``--out`` writes every Parquet table and manifest.json, loadable as Results of the
    overridden scenario."""
    _, out = tiny_run
    assert sorted(p.name for p in out.iterdir()) == sorted(SAVED)
    res = simsales.load_results(out)
    assert res.manifest["replications"] == 2
    assert res.manifest["seed"] == 3
    assert res.manifest["scenario"]["team"]["reps"] == 8
    assert [t["name"] for t in res.manifest["scenario"]["market"]["territories"]] == ["A", "B"]
    assert sorted(res.team_month["replication"].unique()) == [0, 1]
    assert sorted(res.team_month["month"].unique()) == [1, 2]
    assert res.rep_month.loc[res.rep_month["class"] == 0, "rep"].nunique() == 8  # the starting team


def test_run_force_writes_into_non_empty_folder(tmp_path):
    """With ``--force`` a non-empty ``--out`` folder is written into; other files stay."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = invoke("run", BASELINE, *TINY, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*SAVED, "notes.txt"])


# --------------------------------------------------------------------------- schema command


def test_schema_command_prints_the_json_schema():
    """``simsales schema`` prints the JSON Schema of scenario files."""
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json_schema())


def test_schema_command_output_is_exactly_json_schema():
    """``simsales schema > scenarios/schema.json`` (``make schema``) reproduces json_schema()."""
    assert invoke("schema").stdout == json_schema()


# --------------------------------------------------------------------------- real process


def python_m_simsales(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m simsales ARGS`` in a fresh interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "simsales", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_subprocess_validate_good_and_bad(tmp_path):
    """The real command: exit 0 and OK on a good file; exit 2, one ``error:`` line on stderr
    and no traceback on a bad one."""
    good = python_m_simsales("validate", BASELINE, cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "OK" in good.stdout

    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(set_value("supervisor_groups", str(N_TERR + 1)))
    bad = python_m_simsales("validate", bad_file, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith(f"error: {bad_file}: team.supervisor_groups = {N_TERR + 1}")


def test_subprocess_bad_override(tmp_path):
    """The real command: a ``--set`` without ``=`` is exit 2 without a traceback."""
    proc = python_m_simsales("run", BASELINE, "--set", "team.reps", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "error: --set: 'team.reps' is not of the form dotted.key=value"
    ]


def test_subprocess_tiny_run_saves_results(tmp_path):
    """The real command simulates, prints the summary and saves every table."""
    out = tmp_path / "res"
    proc = python_m_simsales("run", BASELINE, *TINY, "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "revenue" in proc.stdout
    assert "f2_sign_rate" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(SAVED)

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
from simsales.metrics.catalogue import GROUPS
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


def rows_of(text: str) -> dict[str, list[str]]:
    """The rows of the summary or comparison tables on ``text``: label -> the cells after
    it (unit, then values), the label read up to the head line's ``unit`` column."""
    out: dict[str, list[str]] = {}
    unit_at = None
    for line in text.splitlines():
        if line.startswith("  metric "):
            unit_at = line.index(" unit ") + 1
        elif not line.strip():
            unit_at = None  # a table ends at a blank line
        elif unit_at and re.match(r"  \S", line):  # not a group, not a wrapped label
            out[line[:unit_at].strip()] = re.split(r"\s{2,}", line[unit_at:].strip())
    return out


def test_run_prints_summary_with_metric_names(tiny_run):
    """A successful run exits 0 and prints the summary on stdout: a header saying the
    horizon, replications, seed and what the interval is, then the metrics by group with
    their plain labels."""
    result, out = tiny_run
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stderr == ""  # a fresh --out: nothing was stored before
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "scenario 'baseline': 2 months after a 1-month warm-up; 2 replications, seed 3"
    )
    assert lines[1] == (
        "Amounts are totals over the 2 reported months unless the label says per month, per "
        "day or average. 95% CI of the mean over 2 simulated runs of 2 months; P10-P90: the "
        "spread of single runs."
    )
    assert lines[3].split() == ["metric", "unit", "mean", "95%", "CI", "P10", "P90"]
    rows = rows_of(result.stdout)
    assert {"Revenue (new deals)", "Deals signed", "Leads entered in the CRM"} <= set(rows)
    assert lines[-1] == f"tables saved to {out}"


def test_run_summary_groups_units_and_numbers_for_people(tiny_run):
    """Groups in the catalogue's order (money and headcount first, diagnostics last), each
    row with its unit; money with thousands separators and as the stored results give it,
    shares as percentages, no scientific notation anywhere."""
    result, out = tiny_run
    text = result.stdout
    groups = [line for line in text.splitlines() if line in GROUPS]
    assert groups[:2] == ["Money", "Headcount"] and groups[-1] == "Calibration diagnostics"
    assert groups == sorted(groups, key=GROUPS.index)
    rows = rows_of(text)
    summary = simsales.load_results(out).summary().set_index("metric")
    revenue = summary.loc["revenue"]
    assert rows["Revenue (new deals)"][:2] == ["yuan", f"{revenue['mean']:,.0f}"]
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", rows["Revenue (new deals)"][1])  # e.g. 5,476,123
    low, high = f"{revenue['ci_low']:,.0f}", f"{revenue['ci_high']:,.0f}"
    assert rows["Revenue (new deals)"][2] == f"[{low}, {high}]"
    assert (
        rows["Deals signed"][0] == "deals" and rows["Reps on post (monthly average)"][0] == "reps"
    )
    at_quota = rows["Reps at quota (share of reps with a quota)"]
    assert at_quota[0] == "%"  # the unit as the values are written, as in the report
    assert at_quota[1] == f"{summary.loc['share_at_quota', 'mean'] * 100:.1f}%"
    assert "e+" not in text and "e-0" not in text and "nan" not in text.replace("nan -", "")


def test_run_shows_a_metric_only_when_it_has_a_value():
    """Class KPIs appear when a class completed its window; a team that neither hires nor
    loses anyone shows no hiring, leaving or class rows, and says what it left out."""
    result = invoke(
        "run", ROOT / "scenarios" / "trainer_class.yaml", "-r", "2", "-w", "1", "--no-progress",
        "--set", "team.reps=8", "--set", "team.supervisor_groups=2",
        "--set", "market.territories=[{name: A, firms: 20000}, {name: B, firms: 20000}]",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert {"Reps hired (trainees)", "Signed in the first month, of reps who went on post (F23)",
            "Washed out in training, of trainees (F21)"} <= set(rows)  # fmt: skip
    result = invoke(
        "run", "-r", "2", "-w", "1", "--no-progress", "--set", "horizon.months=2",
        "--set", "workforce.hiring={policy: none, lead_time_months: 1, cost_per_hire: 0,"
                 " potential_mean: 1.0}",
        "--set", "workforce.attrition.quit_hazard_by_year=[0.0]",
        "--set", "workforce.dismissal.no_order_months=0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    steady = rows_of(result.stdout)
    assert "Deals signed" in steady
    assert not [label for label in steady if "trainees" in label or label.startswith("Reps who")]
    assert "Workforce" not in result.stdout.splitlines()
    assert "Not shown: " in result.stdout
    # F2 needs lead cohorts 3 months old: with 2 months it is not known, and the note says so.
    assert (
        "F2: share of entered leads that sign (field: 1 in 20): nan - needs lead cohorts "
        "at least 3 months old" in result.stdout
    )


def test_run_again_into_a_finished_out_folder_says_nothing_is_left(tiny_run):
    """Running the same command again on its --out folder computes nothing, says so on
    stderr, and prints the same summary."""
    first, out = tiny_run
    again = invoke("run", BASELINE, *TINY, "--seed", "3", "--out", out)
    assert again.exit_code == 0, again.output
    assert again.stderr == (
        f"all 2 replications already stored in {out}; nothing to compute; "
        "showing the stored results\n"
    )
    assert again.stdout == first.stdout


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
    assert "  Revenue (new deals)  " in proc.stdout
    assert "F2: share of entered leads that sign (field: 1 in 20): nan" in proc.stdout  # 2 months
    assert sorted(p.name for p in out.iterdir()) == sorted(SAVED)


# --------------------------------------------------------------------------- help


def test_help_shows_the_extras_brackets_and_the_defaults_reasons():
    """Rich markup would eat ``[cluster]``; the help is plain, so the extras read as they
    are installed. Defaults of -r are explained where they differ."""
    for command, extra in (("run", "simsales[cluster]"), ("compare", "simsales[cluster]"),
                           ("sensitivity", "simsales[sensitivity]")):  # fmt: skip
        result = invoke(command, "--help")
        assert result.exit_code == 0, result.output
        assert extra in " ".join(result.stdout.split()), (command, result.stdout)
    assert "[default: 20" in invoke("run", "--help").stdout
    sweep = " ".join(invoke("sweep", "--help").stdout.split())
    assert "[default: 10" in sweep and "as a sweep has many points" in sweep


def test_every_option_and_argument_has_help():
    """Walk the command tree: every option and argument of every command says what it is."""
    import typer

    group = typer.main.get_command(app)
    assert len(group.commands) == 13  # with plan and optimise (issue 19)
    missing = [f"{name} {param.name}" for name, command in group.commands.items()
               for param in command.params
               if not (getattr(param, "help", None) or "").strip()]  # fmt: skip
    assert not missing, f"no help text: {missing}"


# --------------------------------------------------------------------------- --set


def scenario_file(tmp_path: Path, name: str) -> Path:
    """A tiny copy of the baseline named ``name`` (8 reps, 2 territories, 1 + 2 months)."""
    import yaml

    data = yaml.safe_load(BASE_TEXT)
    data["name"] = name
    data["horizon"].update(months=2, warmup_months=1)
    data["team"].update(reps=8, supervisor_groups=2)
    data["market"]["territories"] = data["market"]["territories"][:2]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


QUICK = ["-r", "2", "-w", "1", "--no-progress"]


def test_run_set_scoped_to_its_scenario(tmp_path):
    """``NAME:key=value`` on run changes the scenario of that name (and renames it after
    the change); the stored manifest has the value."""
    out = tmp_path / "out"
    result = invoke("run", scenario_file(tmp_path, "a"), *QUICK, "--set", "a:horizon.months=3",
                    "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("scenario 'a, horizon.months=3': 3 months after a 1-month")
    assert simsales.load_results(out).manifest["scenario"]["horizon"]["months"] == 3


def test_compare_set_for_all_and_for_one(tmp_path):
    """On compare, ``key=value`` changes every scenario, ``NAME:key=value`` only NAME."""
    a, b = scenario_file(tmp_path, "a"), scenario_file(tmp_path, "b")
    out = tmp_path / "cmp"
    result = invoke("compare", a, b, *QUICK, "--out", out, "--set", "horizon.months=3",
                    "--set", "b:quota.revenue_per_month=200000")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "b, quota.revenue_per_month=200000 vs a" in result.stdout
    manifests = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/manifest.json")}
    assert set(manifests) == {"a", "b, quota.revenue_per_month=200000"}
    quotas = {n: m["scenario"]["quota"]["revenue_per_month"] for n, m in manifests.items()}
    assert quotas["b, quota.revenue_per_month=200000"] == 200_000
    assert quotas["a"] == simsales.load_scenario(a).quota.revenue_per_month != 200_000
    assert {m["scenario"]["horizon"]["months"] for m in manifests.values()} == {3}


def test_report_set_reaches_the_scenarios(tmp_path, monkeypatch):
    """On report, the overrides reach the scenarios the report is made of."""
    import simsales.present.report

    seen = {}

    def render(done, sources, title):
        seen.update(done=done, sources=sources)
        return "<html></html>"

    monkeypatch.setattr(simsales.report, "render_report", render)
    a, b = scenario_file(tmp_path, "a"), scenario_file(tmp_path, "b")
    html = tmp_path / "r.html"
    result = invoke("report", a, b, *QUICK, "--out", html, "--set", "a:team.reps=6",
                    "--set", "horizon.months=3")  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = {n: r.manifest["scenario"] for n, r in seen["done"].results.items()}
    assert {n: s["team"]["reps"] for n, s in runs.items()} == {"a, team.reps=6": 6, "b": 8}
    assert {s["horizon"]["months"] for s in runs.values()} == {3}
    assert seen["sources"] == {"a, team.reps=6": str(a), "b": str(b)}


def test_sweep_and_sensitivity_set_their_base_scenario(tmp_path, monkeypatch):
    """On sweep and sensitivity, the overrides change the base scenario before its points."""
    import yaml

    import simsales.experiment.sensitivity
    import simsales.experiment.sweeps

    bases = {}
    for module, name in ((simsales.experiment.sweeps, "sweep"),
                         (simsales.experiment.sensitivity, "sensitivity")):  # fmt: skip
        real = getattr(module, name)

        def spy(base, *args, _real=real, _name=name, **kwargs):
            bases[_name] = base
            return _real(base, *args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    base = scenario_file(tmp_path, "base")
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(yaml.safe_dump({
        "scenario": str(base), "design": "grid",
        "parameters": {"quota.revenue_per_month": {"values": [150000, 180000]}}}))  # fmt: skip
    result = invoke("sweep", sweep_file, "-r", "1", "-w", "1", "--no-progress",
                    "--set", "base:team.reps=6", "--set", "horizon.months=3")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (bases["sweep"].team.reps, bases["sweep"].horizon.months) == (6, 3)
    sens_file = tmp_path / "sens.yaml"
    sens_file.write_text(yaml.safe_dump({
        "scenario": str(base), "method": "morris", "samples": 2, "metric": "attainment",
        "parameters": {"quota.revenue_per_month": {"low": 120000.0, "high": 200000.0}},
    }))  # fmt: skip
    result = invoke("sensitivity", sens_file, "-r", "1", "-w", "1", "--no-progress",
                    "--set", "team.reps=6")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert bases["sensitivity"].team.reps == 6
    assert "e+" not in result.stdout


@pytest.mark.parametrize("command", ["run", "compare", "report", "sweep", "sensitivity",
                                     "calibrate"])  # fmt: skip
@pytest.mark.parametrize(
    ("assignment", "piece"),
    [("team.repz=5", "--set: team.repz: unknown key"),
     ("nobody:team.reps=5", "no scenario is named 'nobody'")],
)  # fmt: skip
def test_bad_set_exits_2_with_one_line_on_every_command(tmp_path, command, assignment, piece):
    import yaml

    a = scenario_file(tmp_path, "a")
    sweep, sens = tmp_path / "sweep.yaml", tmp_path / "sens.yaml"
    sweep.write_text(yaml.safe_dump({
        "scenario": str(a), "design": "grid",
        "parameters": {"quota.revenue_per_month": {"values": [150000]}}}))  # fmt: skip
    sens.write_text(yaml.safe_dump({
        "scenario": str(a), "method": "morris", "samples": 2, "metric": "attainment",
        "parameters": {"quota.revenue_per_month": {"low": 120000.0, "high": 200000.0}},
    }))  # fmt: skip
    args = {"run": [a], "calibrate": [a], "compare": [a, scenario_file(tmp_path, "b")],
            "report": [a, "--out", tmp_path / "r.html"], "sweep": [sweep],
            "sensitivity": [sens]}[command]  # fmt: skip
    result = invoke(command, *args, "--set", assignment, "-r", "2", "--no-progress")
    assert_bad_input(result, piece, max_lines=1)
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- calibrate


def test_calibrate_shows_progress_and_says_how_to_use_the_result(tmp_path):
    """A tiny calibration: the value found, the realised F2, then how to use the value;
    the progress bar counts evaluations x replications on stderr."""
    path = scenario_file(tmp_path, "cal")
    result = invoke("calibrate", path, "-r", "2", "-w", "1", "--set", "horizon.months=4")
    assert result.exit_code == 0, result.output
    first, usage = result.stdout.splitlines()
    value = re.fullmatch(r"leads\.sign_probability: (0\.\d{5})  \(realised F2 .*, target 0\.05; "
                         r"2 replications, seed 20260101, \d evaluations\)", first)  # fmt: skip
    assert value, first
    v = value[1]
    assert usage == (f"To use it, set leads.sign_probability: {v} in your scenario file "
                     f"(or add --set leads.sign_probability={v} to a command).")  # fmt: skip
    assert "evaluations x replications" in result.stderr


def test_run_precision_marks_the_metrics_still_imprecise():
    """--precision with a cap it cannot meet: the headline metrics are marked with * and
    the last line says the target was not reached."""
    result = invoke("run", BASELINE, *TINY[:-5], "-w", "1", "--no-progress",
                    "--precision", "0.001", "--batch", "2", "--max-replications", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    for label in ("Revenue (new deals)", "Deals signed", "Margin (all revenue less cost of sales)"):
        assert f"{label} *" in rows, (label, sorted(rows))
    assert "First visits *" not in rows and "First visits" in rows  # not watched
    assert result.stdout.splitlines()[-1] == (
        "* still imprecise after 2 replications (the cap): 95% CI half-width within 0.1% of "
        "the mean not reached"
    )

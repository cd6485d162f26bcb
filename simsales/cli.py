"""The ``simsales`` command: validate and run scenarios from the shell.

Bad input (a scenario file, an override, an output folder) gets one or two lines
on stderr and exit code 2, never a traceback. Progress goes to stderr, the
summary table to stdout.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from simsales.metrics.catalogue import PRECISION
from simsales.metrics.catalogue import metric as catalogued
from simsales.present.text import (
    fit_text,
    format_comparison,
    format_indices,
    format_ramp,
    format_summary,
    monthly_text,
    sweep_text,
)
from simsales.scenario import ScenarioError, load_scenario
from simsales.scenario.overrides import apply_cli_overrides
from simsales.scenario.paths import baseline_path
from simsales.scenario.schema import json_schema
from simsales.scenario.shocks import shock_timings

if TYPE_CHECKING:
    from simsales.experiment.results import Results
    from simsales.experiment.runs import Comparison

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: Rich markup would eat simsales[cluster]'s brackets
    help="Simulate a field-sales team and test policies before trying them on people.",
)

EXIT_BAD_INPUT = 2

# Default replications, the same for a run, a comparison and a report. Assumption: 20
# simulated years put the 95% CI of the baseline's mean revenue within about 3% of it
# (measured: +-2.9%, seed 1) in seconds; use -r 50 or more for decisions.
REPLICATIONS = 20
# Per point of a sweep: points are many and share random numbers, so their differences
# are precise with fewer. Assumption: 10, so a 9-point grid costs 90 replications.
SWEEP_REPLICATIONS = 10
# Per point of a sensitivity design, which has many points (Morris: trajectories x
# (parameters + 1)). Assumption: 2 each, the indices averaging over the points.
SENSITIVITY_REPLICATIONS = 2
# Per evaluation of calibrate. Assumption: 60, for F2's 95% CI within about 1% of 0.05
# (docs/model.md 2.8: +-0.53% with 200, so +-0.97% with 60).
CALIBRATE_REPLICATIONS = 60


def _replications(why: str, least: int = 1) -> typer.models.OptionInfo:
    """The --replications/-r option, its default explained by ``why``."""
    return typer.Option("--replications", "-r", min=least, help=f"Replications {why}.")


RunReplications = Annotated[
    int, _replications("(simulated years) to run; the default is that of compare and report")
]
PairedReplications = Annotated[
    int,
    _replications(
        "(simulated years) of every scenario, the same for all (common random numbers); the "
        "default is that of run",
        least=2,
    ),
]
SweepReplications = Annotated[
    int,
    _replications(
        "at every point; fewer than run's default, as a sweep has many points and common "
        "random numbers keep their differences precise"
    ),
]
SensitivityReplications = Annotated[
    int,
    _replications(
        "at every point; few, as a design has many points and the indices average over them"
    ),
]
CalibrateReplications = Annotated[
    int,
    _replications(
        "per evaluation (a calibration makes 2 to 6); more than run's default, as F2 is a "
        "small rate whose 95% CI should be within about 1% of the target",
        least=2,
    ),
]


# Options several commands share.
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed", "-s", min=0,
        help="Seed of the random numbers; the same seed gives the same results.",
    ),
]  # fmt: skip
OverridesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="[NAME:]KEY=VALUE",
        help="Override a scenario parameter: dotted.key=value (the value is YAML) for "
        "every scenario, or NAME:dotted.key=value for the scenario named NAME only; a "
        "sweep or sensitivity file's base scenario is overridden before its points. "
        "Repeatable; a later one wins.",
    ),
]
BaselineOption = Annotated[
    str | None, typer.Option(help="Name of the baseline scenario; default the first.")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Processes; default all cores.")
]
ForceOption = Annotated[bool, typer.Option(help="Start --out afresh even if it holds another run.")]
ProgressOption = Annotated[bool, typer.Option(help="Progress bar on stderr.")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Run on this Dask scheduler, tcp://host:port (needs simsales[cluster])."),
]
DaskLocalOption = Annotated[
    int | None,
    typer.Option(
        "--dask-local", min=1,
        help="Run on a local Dask cluster of N processes (needs simsales[cluster]).",
    ),
]  # fmt: skip

ColumnsOption = Annotated[
    Path | None,
    typer.Option(
        help="Mapping of your files' column names and values to simsales' (docs/history.md)."
    ),
]


def _in_words(names) -> str:
    """Metrics as words of a sentence: "revenue, margin and deals signed"."""
    words = [catalogued(name).phrase for name in names]
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)


def _fail(message: str) -> NoReturn:
    """Print a bad-input message (at most two lines) on stderr and exit with code 2."""
    first, *rest = message.splitlines()
    typer.echo(f"error: {first}", err=True)
    if len(rest) == 1:
        typer.echo(f"error: {rest[0]}", err=True)
    elif rest:
        typer.echo(
            f"error: ... and {len(rest)} more problems (simsales validate lists them)", err=True
        )
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Check a scenario file; print what is wrong, or OK."""
    try:
        sc = load_scenario(file)
    except ScenarioError as exc:
        for line in str(exc).splitlines():  # validate lists every problem
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    changes = [f"from month {c.month}, {c.label!r}" for c in sc.changes or []]
    dated = f"; dated changes: {'; '.join(changes)}" if changes else ""
    shocks = [f"{t.shock.label!r} in month {t.month}" for t in shock_timings(sc)]
    dated += f"; shocks: {', '.join(shocks)}" if shocks else ""
    typer.echo(
        f"{file}: OK (scenario {sc.name!r}, {sc.team.reps} reps, {sc.horizon.months} months{dated})"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (kept in scenarios/schema.json)."""
    typer.echo(json_schema(), nl=False)


@app.command("run")
def run_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="Scenario YAML file; the bundled baseline if omitted.")
    ] = None,
    replications: RunReplications = REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Store each replication here as it finishes; resume."),
    ] = None,
    force: ForceOption = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
    ramp: Annotated[
        bool, typer.Option("--ramp", help="Also print hired reps' ramp-up by month on post.")
    ] = False,
    precision: Annotated[
        float | None,
        typer.Option(
            help=f"Run batches until the 95% CIs of {_in_words(PRECISION)} are within this "
            "share of their means, e.g. 0.05 (then -r is ignored)."
        ),
    ] = None,
    batch: Annotated[int, typer.Option(min=2, help="Replications per batch (--precision).")] = 10,
    max_replications: Annotated[
        int, typer.Option(min=2, help="Cap on replications (--precision).")
    ] = 500,
) -> None:
    """Run replications of a scenario and print its summary: per group of metrics, the
    mean with its 95% CI and the spread of single years (P10-P90)."""
    (sc,) = _load([file or baseline_path()], overrides)
    _check_out(out)
    from simsales.experiment.runs import run as run_scenario
    from simsales.experiment.runs import run_until_precise

    if precision is not None and not 0 < precision < 1:
        _fail(f"--precision {precision}: an impossible target; allowed: between 0 and 1, "
              "e.g. 0.05 for CIs within 5% of the mean")  # fmt: skip
    if precision is not None and max_replications < batch:
        _fail(f"--max-replications {max_replications}: must be >= --batch ({batch})")
    if precision is not None:
        replications = max_replications  # the progress bar's total

    _say_if_stored(out, [sc], seed, replications if precision is None else None, force)
    with _running(replications, progress, out, workers, scheduler, dask_local) as (tick, ex):
        if precision is None:
            res = run_scenario(sc, replications, seed, workers, tick, ex, out, force)
        else:
            res = run_until_precise(sc, precision, batch, max_replications, seed, workers, ex,
                                    tick, out, force)  # fmt: skip
    if out is not None:
        try:
            res.save(out)
        except OSError as exc:
            _fail(f"--out {out}: cannot write results ({exc})")
    typer.echo(format_summary(res.summary(), res.manifest.get("precision")))
    if ramp:
        typer.echo(format_ramp(res.ramp()))
    if out is not None:
        typer.echo(f"tables saved to {out}")


@app.command("compare")
def compare_cmd(
    files: Annotated[list[Path], typer.Argument(help="Two or more scenario YAML files.")],
    replications: PairedReplications = REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    baseline: BaselineOption = None,
    overrides: OverridesOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Store each replication as it finishes (resumes)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into a non-empty --out folder.")] = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
    by_month: Annotated[
        list[str] | None,
        typer.Option(
            "--by-month",
            metavar="COLUMN",
            help="Also print, month by month, the paired difference in this team_month "
            "column (e.g. revenue, reps_on_post), grouped by the plan in force: how a "
            "dated change plays out. Repeatable.",
        ),
    ] = None,
) -> None:
    """Run scenarios with common random numbers and print each one's paired difference to
    the baseline, grouped: the means, the difference with its 95% CI, Holm-adjusted
    p-value and P(better), the share of simulated years in which it did better."""
    if len(files) < 2:
        _fail(f"compare needs at least 2 scenario files, got {len(files)}")
    from simsales.metrics.tables import TEAM_MONTH_COLUMNS

    monthly = [c for c in TEAM_MONTH_COLUMNS if c not in ("month", "policy")]
    for column in by_month or []:
        if column not in monthly:
            _fail(f"--by-month {column!r}: no such team_month column; allowed: "
                  f"{', '.join(monthly)}")  # fmt: skip
    scenarios, baseline = _load_distinct(files, baseline, overrides)
    _check_out(out)
    from simsales.experiment.runs import compare  # heavy imports only when running

    total = replications * len(scenarios)
    _say_if_stored(out, scenarios, seed, replications, force)
    with _running(total, progress, out, workers, scheduler, dask_local) as (tick, ex):
        comparison = compare(scenarios, replications, seed, baseline, workers, progress=tick,
                             executor=ex, out=out, force=force)  # fmt: skip
    table = comparison.table()
    if out is not None:
        try:
            from simsales.experiment.results import atomic_write
            from simsales.experiment.store import StoreError, inside

            out.mkdir(parents=True, exist_ok=True)
            for name, res in comparison.results.items():
                res.save(inside(out, name))  # a safe folder name, checked to stay in out
            csv = table.to_csv(index=False).encode()
            atomic_write(out / "comparison.csv", lambda f: f.write(csv))
        except (OSError, StoreError) as exc:
            _fail(f"--out {out}: cannot write results ({exc})")
    typer.echo(format_comparison(comparison, table))
    for column in by_month or []:
        typer.echo(monthly_text(comparison.by_month(column), comparison.baseline))
    if out is not None:
        typer.echo(f"tables and comparison.csv saved to {out}")


@app.command("report")
def report_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Scenario YAML files; the first is the baseline.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    replications: PairedReplications = REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    baseline: BaselineOption = None,
    overrides: OverridesOption = None,
    title: Annotated[str, typer.Option(help="The report's title.")] = "simsales report",
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Run scenarios with common random numbers and write one self-contained HTML report
    (plots embedded, nothing fetched): scenarios, headline metrics with 95% CIs, the
    comparison with the baseline, fan charts, the lead funnel, new-rep KPIs and the manifest."""
    scenarios, baseline = _load_distinct(files, baseline, overrides)
    sources = {sc.name: str(f) for sc, f in zip(scenarios, files, strict=True)}
    if out.suffix.lower() not in (".html", ".htm"):
        _fail(f"--out {out}: the report is an HTML file; give a name ending in .html")
    if out.is_dir() or (out.exists() and not force):
        what = "is a folder" if out.is_dir() else "exists; add --force to replace it"
        _fail(f"--out {out}: {what}")
    if not out.parent.is_dir():
        _fail(f"--out {out}: folder {out.parent} does not exist")
    from simsales.experiment.runs import compare, run
    from simsales.present.report import render_report, write_report

    total = replications * len(scenarios)
    done: Results | Comparison
    with _running(total, progress, None, workers, scheduler, dask_local) as (tick, ex):
        if len(scenarios) == 1:
            done = run(scenarios[0], replications, seed, workers, progress=tick, executor=ex)
        else:
            done = compare(scenarios, replications, seed, baseline, workers, progress=tick,
                           executor=ex)  # fmt: skip
    _headless_plots()
    try:
        write_report(render_report(done, sources, title), out)
    except OSError as exc:
        _fail(f"--out {out}: cannot write the report ({exc})")
    typer.echo(f"report written to {out}")


@app.command("fit")
def fit_cmd(
    activities: Annotated[Path, typer.Argument(help="The activities file (CSV or Parquet).")],
    roster: Annotated[Path, typer.Argument(help="The roster history file (CSV or Parquet).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The fitted scenario YAML to write.")],
    base: Annotated[
        Path | None,
        typer.Option(
            help="Scenario whose values the history cannot tell are kept; default "
            "the bundled baseline."
        ),
    ] = None,  # fmt: skip
    columns: ColumnsOption = None,
    name: Annotated[str | None, typer.Option(help="Name of the fitted scenario.")] = None,
    replications: Annotated[
        int,
        typer.Option(
            "--replications", "-r", min=2, help="Simulated histories each step of the fit reads."
        ),
    ] = 3,  # fmt: skip
    seed: SeedOption = 0,
    report: Annotated[
        Path | None, typer.Option(help="Also draw the fit against the history (PNG or PDF).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace existing output files.")] = False,
    progress: ProgressOption = True,
) -> None:
    """Fit simsales to a team's own history: estimate what the history tells (funnel,
    grades, where deals close, cadence, lead rates, deal values, skill spread, ramp,
    washouts, trial passes, quits), each with its 95% CI, and write a complete scenario in
    which every fitted value says so and every other value keeps the base's source."""
    from simsales.history.fit import ROUNDS, fit
    from simsales.scenario.loader import value_sources

    _check_new_file(out, "--out", force)
    _check_new_file(report, "--report", force)
    base_file = base or baseline_path()
    scenario, acts, people = _read_history(base_file, activities, roster, columns)
    try:
        sources = value_sources(base_file)
        bar = _progress_bar(ROUNDS * replications, "simulated histories") if progress else None
        try:
            fitted = fit(acts, people, scenario, sources, name, replications=replications,
                         seed=seed, progress=bar.update_to if bar else None)  # fmt: skip
        finally:
            if bar:
                bar.close()
    except ScenarioError as exc:
        _fail(f"the fitted values do not make a valid scenario: {exc}")
    try:
        fitted.write(out)
        if report is not None:
            _headless_plots()
            fitted.report().savefig(report, dpi=110)
    except OSError as exc:
        _fail(f"cannot write ({exc})")
    typer.echo(fit_text(fitted.table()))
    typer.echo(f"fitted scenario {fitted.scenario.name!r} written to {out}")


@app.command("backtest")
def backtest_cmd(
    file: Annotated[Path, typer.Argument(help="The (fitted) scenario to back-test.")],
    actuals: Annotated[
        tuple[Path, Path],
        typer.Option(
            metavar="ACTIVITIES ROSTER",
            help="The history to test against: activities and roster history files.",
        ),
    ],  # fmt: skip
    columns: ColumnsOption = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="First month compared (YYYY-MM); default the history's 4th month (its "
            "pipelines build up in the first three)."
        ),
    ] = None,  # fmt: skip
    replications: Annotated[
        int,
        typer.Option(
            "--replications",
            "-r",
            min=10,
            help="Simulated runs of the history's period (the band).",
        ),
    ] = 50,  # fmt: skip
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw the months against the band (PNG or PDF).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --plot file.")] = False,
    progress: ProgressOption = True,
) -> None:
    """Simulate a history's own period from the team as it stood on its first day, with
    the classes that actually started, and compare each month's actual signings,
    revenue, reps on post and leavers with the simulated P10-P90 band: how many months
    fall inside it (about 8 in 10 for an honest model) and how far the median is off."""
    from simsales.history.backtest import BacktestError, backtest

    _check_new_file(plot, "--plot", force)
    scenario, acts, people = _read_history(file, actuals[0], actuals[1], columns)
    try:
        with _running(replications, progress, None, workers, None, None) as (tick, ex):
            done = backtest(scenario, acts, people, replications, seed, workers, start, tick, ex)
    except BacktestError as exc:
        _fail(str(exc))
    except ScenarioError as exc:
        _fail(f"the history's team does not make a valid scenario with {file}: {exc}")
    typer.echo(done.text())
    if plot is not None:
        _headless_plots()
        try:
            done.plot().savefig(plot, dpi=110)
        except OSError as exc:
            _fail(f"--plot {plot}: cannot write ({exc})")


def _read_history(scenario_file: Path, activities: Path, roster: Path, columns: Path | None):
    """The scenario and a history's two tables (through the --columns mapping), checked
    together; exit 2 naming the file, line and column of the first problem."""
    from simsales.history.formats import (
        HistoryError,
        check_consistent,
        read_activities,
        read_mapping,
        read_roster_history,
    )

    try:
        scenario = load_scenario(scenario_file)
        mapping = read_mapping(columns) if columns is not None else None
        acts = read_activities(activities, mapping)
        people = read_roster_history(roster, mapping)
        check_consistent(acts, people, str(activities), str(roster))
    except (ScenarioError, HistoryError) as exc:
        _fail(str(exc))
    return scenario, acts, people


@app.command("export-history")
def export_history_cmd(
    results: Annotated[
        Path, typer.Argument(help="One scenario's results folder (run or compare --out).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the two files in.")],
    replication: Annotated[
        int, typer.Option(min=0, help="Which replication (simulated year) to write.")
    ] = 0,
    file_format: Annotated[
        str, typer.Option("--format", help="csv or parquet.", metavar="csv|parquet")
    ] = "csv",
    start: Annotated[
        str | None,
        typer.Option(
            help="Calendar month of reported month 1 (YYYY-MM), for a scenario "
            "without horizon.start: the history needs dates."
        ),
    ] = None,  # fmt: skip
    force: ForceOption = False,
) -> None:
    """Write one simulated replication as a team's history: activities (one row per touch
    or stage change of a lead) and roster (one row per person), in the formats
    `simsales fit` reads (docs/history.md). The replication is run again from the stored
    scenario and seed, and must give the stored tables."""
    from simsales.history.export import ExportError, export_history
    from simsales.history.formats import HistoryError

    try:
        paths = export_history(results, out, replication, file_format, start, force)
    except (ExportError, HistoryError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"--out {out}: cannot write ({exc})")
    typer.echo(f"history of replication {replication} written to {paths[0]} and {paths[1]}")


def _load(files: list[Path], overrides: list[str] | None) -> list:
    """The scenarios of ``files`` with the ``--set`` overrides applied; else exit 2 naming
    the file or the override."""
    return _overridden(_read(files), overrides)


def _read(files: list[Path]) -> list:
    try:
        return [load_scenario(f) for f in files]
    except ScenarioError as exc:
        _fail(str(exc))


def _overridden(scenarios: list, overrides: list[str] | None) -> list:
    try:
        return apply_cli_overrides(scenarios, overrides or [])
    except ScenarioError as exc:
        _fail(str(exc))


def _load_distinct(
    files: list[Path], baseline: str | None, overrides: list[str] | None
) -> tuple[list, str | None]:
    """The scenarios of ``files``, their names distinct, with the overrides applied, and
    the baseline's name after them (an override of its own renames it); else exit 2
    naming the problem."""
    scenarios = _read(files)
    names = [sc.name for sc in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        _fail(f"scenario names must differ to be compared; repeated: {', '.join(twice)}; "
              "give each its own name: in the file")  # fmt: skip
    if baseline is not None and baseline not in names:
        _fail(f"--baseline {baseline!r}: no such scenario; allowed: {', '.join(names)}")
    scenarios = _overridden(scenarios, overrides)
    if baseline is not None:
        baseline = scenarios[names.index(baseline)].name
    return scenarios, baseline


def _headless_plots() -> None:
    """The command only writes plot files: draw with Agg, never open a window."""
    import matplotlib

    matplotlib.use("Agg")


@contextmanager
def _executor(workers: int | None, scheduler: str | None, dask_local: int | None):
    """The executor the options ask for: a Dask cluster (remote or local), else None
    (``run`` picks in-process or local processes from ``workers``). Exits with 2 when a
    cluster cannot be used."""
    if scheduler is not None and dask_local is not None:
        _fail("--scheduler and --dask-local: give at most one")
    if scheduler is None and dask_local is None:
        yield None
        return
    from simsales.experiment.executors import DaskCluster, ExecutorError

    try:
        cluster = DaskCluster(address=scheduler, local_workers=dask_local)
    except ExecutorError as exc:
        _fail(f"--scheduler {scheduler}: {exc}" if scheduler else f"--dask-local: {exc}")
    with cluster:
        yield cluster


@contextmanager
def _running(total: int, progress: bool, out: Path | None, workers, scheduler, dask_local,
             desc: str = "replications"):  # fmt: skip
    """Around a run: the progress bar and executor; an --out folder of another run, and
    Ctrl-C, end the command cleanly (exit 2, and 130 saying what is kept)."""
    from simsales.experiment.store import StoreError

    bar = _progress_bar(total, desc) if progress else None
    try:
        with _executor(workers, scheduler, dask_local) as executor:
            yield (bar.update_to if bar else None), executor
    except StoreError as exc:
        _fail(f"--out {exc}")
    except ScenarioError as exc:  # e.g. too big for this machine's memory (experiment.memory)
        _fail(str(exc))
    except KeyboardInterrupt:
        typer.echo(_interrupted(out), err=True)
        raise typer.Exit(130) from None
    finally:
        if bar:
            bar.close()


def _check_out(out: Path | None) -> None:
    """Refuse an --out that is, or lies under, something other than a folder."""
    if out is None:
        return
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                where = "exists" if path == out else f"lies under {path}, which exists"
                _fail(f"--out {out}: {where} and is not a folder")
            return


def _interrupted(out: Path | None) -> str:
    if out is None:
        return "interrupted: nothing was saved"
    return (
        f"interrupted: the replications finished so far are stored in {out}; "
        "run the same command again to compute only the rest"
    )


def _say_if_stored(out: Path | None, scenarios: list, seed: int, replications: int | None,
                   force: bool) -> None:  # fmt: skip
    """On stderr: how many stored shards were damaged and will be computed again, and
    whether ``out`` already holds every replication asked for (``replications``; None:
    not known in advance), so nothing is computed (a resumed run that had finished)."""
    from simsales.experiment.store import STORE, StoreError

    if out is None or not (out / STORE).is_file():
        return
    from simsales.experiment.runs import open_store

    try:
        store = open_store(out, scenarios, seed, force)
    except StoreError as exc:
        _fail(f"--out {exc}")
    have = {sc.name: store.done(sc.name) for sc in scenarios}  # verifies every shard
    if store.damaged_count():
        typer.echo(_damaged(out, store.damaged), err=True)
    if replications is None:
        return
    if all(set(range(replications)) <= have[sc.name] for sc in scenarios):
        total = replications * len(scenarios)
        each = f" ({len(scenarios)} scenarios x {replications})" if len(scenarios) > 1 else ""
        typer.echo(f"all {total} replications{each} already stored in {out}; nothing to "
                   "compute; showing the stored results", err=True)  # fmt: skip


def _damaged(out: Path, damaged: dict[str, dict[int, str]]) -> str:
    """One line: how many shards of ``out`` are recomputed, and the first few reasons."""
    found = [(name, r, why) for name, reps in damaged.items() for r, why in sorted(reps.items())]
    shown = "; ".join(f"{name} replication {r}: {why}" for name, r, why in found[:3])
    more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
    return (f"{out}: recomputing {len(found)} damaged shard{'s' * (len(found) != 1)} "
            f"({shown}{more})")  # fmt: skip


PLAN_REPLICATIONS = 100  # assumption: a chance near 80% known to about +-8 points (2 SE)


@app.command("plan")
def plan_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="Scenario YAML file; the bundled baseline if omitted.")
    ] = None,
    target: Annotated[
        str,
        typer.Option(
            help="What to reach: METRIC=VALUE, METRIC one of revenue, margin, signings "
            "(totals over months 1..--by) or reps_on_post (at the end of --by), e.g. "
            "revenue=150e6."
        ),
    ] = "",
    by: Annotated[
        str | None,
        typer.Option(
            help="Month to reach it by: YYYY-MM (needs horizon.start) or a reported "
            "month number; default the last reported month."
        ),
    ] = None,
    confidence: Annotated[
        float, typer.Option(help="Share of simulated years that must reach the target.")
    ] = 0.8,
    max_class: Annotated[
        int | None,
        typer.Option(
            "--max-class",
            min=1,
            max=10_000,
            help="Largest class the trainers can take in a month; default the "
            "scenario's workforce.hiring.max_class_size, else 20.",
        ),
    ] = None,
    shape: Annotated[
        str,
        typer.Option(
            help="earliest: classes as early as the limit allows (the smallest "
            "plan); level: as even over the months as possible."
        ),
    ] = "earliest",
    replications: Annotated[
        int,
        _replications("per plan tried, and again (fresh) for the plan found", least=10),
    ] = PLAN_REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Save the plan (plan.json), the plan as a scenario "
            "(plan.yaml) and the checked runs' tables here.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace files already in --out.")] = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Work back from a target: the smallest hiring plan (classes by month, within the
    limit on class size) that reaches the target in at least --confidence of simulated
    years, its chance with an exact interval on fresh replications, its cost against
    today's hiring and reps on post month by month. Exit 2 if no plan within the limits
    reaches it."""
    from simsales.experiment.targets import Shape, UnreachableTarget, make_target, plan_hiring

    if not target:
        _fail("--target is required, e.g. --target revenue=150e6")
    (sc,) = _load([file or baseline_path()], overrides)
    name = file or "the baseline"
    try:
        make_target(sc, target, by)
    except ValueError as exc:
        _fail(f"{name}: {exc}")
    if not 0 < confidence < 1:
        _fail(f"--confidence {confidence}: allowed strictly between 0 and 1, e.g. 0.8")
    if shape not in ("earliest", "level"):
        _fail(f"--shape {shape!r}: allowed: earliest, level")
    _check_out(out)
    if out is not None and not force and (out / "plan.json").exists():
        _fail(f"--out {out}: already holds a plan (plan.json); give --force to replace it")
    form: Shape = "level" if shape == "level" else "earliest"
    total = replications * 20  # a first guess: plan_hiring sets the bar's total as it goes
    try:
        with _running(total, progress, None, workers, scheduler, dask_local, "plans") as (
            tick,
            ex,
        ):
            plan = plan_hiring(sc, target, confidence, by, max_class, form, replications,
                               None, seed, workers, ex, tick)  # fmt: skip
    except UnreachableTarget as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"{name}: {exc}")
    if out is not None:
        _save_plan(plan, out)
    typer.echo(plan.text())
    if out is not None:
        typer.echo(f"plan saved to {out} (plan.json, plan.yaml, today/ and plan/ tables)")


def _save_plan(plan, out: Path) -> None:
    """plan.json, the planned scenario as YAML, and both checked runs' tables."""
    import json

    import yaml

    from simsales.experiment.results import atomic_write
    from simsales.experiment.targets import plan_summary

    planned = plan.planned.model_dump(mode="json", by_alias=True, exclude_none=True)
    scenario = yaml.safe_dump(planned, sort_keys=False).encode()
    summary = json.dumps(plan_summary(plan), indent=2).encode()
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "plan.yaml", lambda f: f.write(scenario))
        atomic_write(out / "plan.json", lambda f: f.write(summary))
        plan.today.save(out / "today")
        plan.results.save(out / "plan")
    except OSError as exc:
        _fail(f"--out {out}: cannot write results ({exc})")


@app.command("optimise")
def optimise_cmd(
    file: Annotated[
        Path, typer.Argument(help="Optimisation YAML file (its keys: help(simsales.optimise)).")
    ],
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Store every run here as it finishes (a rerun "
            "resumes), then the trials, finalists and the winner as a scenario.",
        ),
    ] = None,
    force: ForceOption = False,
    report: Annotated[
        Path | None, typer.Option(help="Also write an HTML report of the outcome here.")
    ] = None,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Search a scenario's parameters for the best objective under constraints (needs
    simsales[optimise]): candidates on common random numbers, the best few again on fresh
    replications, the winner against the scenario with paired 95% CIs, how many
    finalists cannot be told from it, and how much of its advantage was luck of the
    search. Exit 2 if no candidate meets the constraints."""
    from simsales.experiment.optimise import (
        NoFeasibleCandidate,
        load_optimisation,
        run_optimisation,
    )

    try:
        base, spec = load_optimisation(file)
        (base,) = _overridden([base], overrides)
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc) if isinstance(exc, ScenarioError) else f"{file}: {exc}")
    from importlib.util import find_spec

    if find_spec("optuna") is None:
        _fail("simsales optimise needs optuna: pip install 'simsales[optimise]'")
    _check_out(out)
    if report is not None:
        _check_new_file(report, "--report", force)
        if report.suffix.lower() not in (".html", ".htm"):
            _fail(f"--report {report}: the report is an HTML file; give a name ending in .html")
    total = spec.replications * (1 + spec.trials) + spec.final_replications * (1 + spec.finalists)
    try:
        with _running(total, progress, out, workers, scheduler, dask_local) as (tick, ex):
            result = run_optimisation(base, spec, seed, workers, ex, tick, out, force)
    except NoFeasibleCandidate as exc:
        _fail(f"{file}: {exc}")
    if out is not None:
        _save_optimisation(result, out)
    typer.echo(result.text())
    if report is not None:
        from simsales.present.report import render_report, write_report

        _headless_plots()
        try:
            assert result.comparison is not None  # a result without a winner raised above
            title = f"Optimisation: {file.name}"
            html = render_report(
                result.comparison, {base.name: str(file)}, title, optimisation=result
            )
            write_report(html, report)
        except OSError as exc:
            _fail(f"--report {report}: cannot write the report ({exc})")
        typer.echo(f"report written to {report}")
    if out is not None:
        typer.echo(f"trials, finalists and the winner (winner.yaml) saved to {out}")


def _save_optimisation(result, out: Path) -> None:
    """trials.csv, finalists.csv, optimisation.json and the winner as a scenario file."""
    import json

    import yaml

    from simsales.experiment.optimise import optimisation_summary
    from simsales.experiment.results import atomic_write

    files = {
        "trials.csv": result.trials.to_csv(index=False).encode(),
        "finalists.csv": result.finalists.to_csv(index=False).encode(),
        "optimisation.json": json.dumps(
            optimisation_summary(result), indent=2, default=str
        ).encode(),
        "winner.yaml": yaml.safe_dump(
            result.scenario().model_dump(mode="json", by_alias=True, exclude_none=True),
            sort_keys=False,
        ).encode(),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            atomic_write(out / name, lambda f, d=data: f.write(d))
    except OSError as exc:
        _fail(f"--out {out}: cannot write results ({exc})")


@app.command("sweep")
def sweep_cmd(
    file: Annotated[Path, typer.Argument(help="Sweep YAML file (its keys: help(simsales.sweep)).")],
    replications: SweepReplications = SWEEP_REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Store every point's replications here (resumes)."),
    ] = None,
    force: ForceOption = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Run a scenario at every point of a sweep (grid or Latin hypercube) with common
    random numbers; print each point's swept values and headline means."""
    from simsales.experiment.sweeps import (
        design_points,
        design_rows,
        load_sweep,
        point_scenario,
        sweep,
    )

    try:
        base, spec = load_sweep(file)
        (base,) = _overridden([base], overrides)
        points = design_points(spec.parameters, spec.design, spec.samples, spec.design_seed)
        for i, row in enumerate(design_rows(points)):  # every point valid before running
            point_scenario(base, i, row)
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc) if isinstance(exc, ScenarioError) else f"{file}: {exc}")
    _check_out(out)
    total = replications * len(points)
    with _running(total, progress, out, workers, scheduler, dask_local) as (tick, ex):
        result = sweep(base, spec.parameters, spec.design, spec.samples, spec.design_seed,
                       replications, seed, workers, ex, tick, out, force)  # fmt: skip
    if out is not None:
        try:
            result.metrics().to_parquet(out / "sweep_metrics.parquet")
        except OSError as exc:
            _fail(f"--out {out}: cannot write results ({exc})")
    typer.echo(f"sweep {file}: {len(points)} points x {replications} replications, seed {seed}"
               " (common random numbers); means over replications")  # fmt: skip
    typer.echo(sweep_text(result.summary(), list(spec.parameters)))


@app.command("sensitivity")
def sensitivity_cmd(
    file: Annotated[
        Path, typer.Argument(help="Sensitivity YAML file (its keys: help(simsales.sensitivity)).")
    ],
    replications: SensitivityReplications = SENSITIVITY_REPLICATIONS,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    plot: Annotated[Path | None, typer.Option(help="Save the bar plot here (PNG).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Save indices as CSV.")] = None,
    force: Annotated[bool, typer.Option(help="Replace existing --out and --plot files.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Run a design of more than 2,000 points.")
    ] = False,
    progress: ProgressOption = True,
) -> None:
    """Morris screening or Sobol indices of one metric over chosen parameters (needs the
    simsales[sensitivity] extra); every point on common random numbers. Says the number
    of points and the estimated run time first; a design of more than 2,000 points runs
    only with --yes."""
    from simsales.experiment.sweeps import point_scenario

    _check_new_file(out, "--out", force)
    _check_new_file(plot, "--plot", force)
    try:
        from simsales.experiment.sensitivity import load_sensitivity, sample_points, sensitivity

        base, spec = load_sensitivity(file)
        (base,) = _overridden([base], overrides)
        _confirm_design(base, spec, replications, seed, workers, yes)
        names = list(spec.parameters)
        problem = {"num_vars": len(names), "names": names,
                   "bounds": [[b.low, b.high] for b in spec.parameters.values()]}  # fmt: skip
        x = sample_points(problem, spec.method, spec.samples, 0)
        for i, row in enumerate(x):  # every point valid before running
            point_scenario(base, i, dict(zip(names, map(float, row), strict=True)))
    except ScenarioError as exc:
        _fail(str(exc))
    except (ImportError, ValueError) as exc:
        _fail(f"{file}: {exc}")
    bar = _progress_bar(len(x)) if progress else None
    try:
        result = sensitivity(base, {n: (b.low, b.high) for n, b in spec.parameters.items()},
                             spec.metric, spec.method, spec.samples, replications, seed,
                             workers=workers, progress=bar.update_to if bar else None)  # fmt: skip
    except ValueError as exc:
        _fail(f"{file}: {exc}")
    finally:
        if bar:
            bar.close()
    typer.echo(f"{spec.method} indices of {spec.metric}: {len(x)} points x {replications} "
               f"replications, seed {seed}")  # fmt: skip
    typer.echo(format_indices(result.table, spec.metric))
    try:
        if out is not None:
            result.table.to_csv(out, index=False)
        if plot is not None:
            _headless_plots()
            result.plot().savefig(plot, dpi=120)
            typer.echo(f"plot saved to {plot}")
    except OSError as exc:
        _fail(f"cannot write {exc.filename or out or plot}: {exc.strerror or exc}")


def _check_new_file(path: Path | None, option: str, force: bool) -> None:
    """Exit 2 unless ``path`` can be written: its folder exists, and it is no folder and
    does not exist yet (or ``force``)."""
    if path is None:
        return
    if path.is_dir():
        _fail(f"{option} {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        _fail(f"{option} {path}: folder {path.parent} does not exist")
    if path.exists() and not force:
        _fail(f"{option} {path}: exists; add --force to replace it")


def _confirm_design(base, spec, replications: int, seed: int, workers: int | None,
                    yes: bool) -> None:  # fmt: skip
    """On stderr: the design's size and estimated run time, before sampling it; exit 2 for
    a design above ``CONFIRM_POINTS`` points without ``--yes``."""
    from simsales.experiment.sensitivity import (
        CONFIRM_POINTS,
        design_size,
        estimated_seconds,
        seconds_per_replication,
    )

    points = design_size(spec.method, spec.samples, len(spec.parameters))
    seconds = estimated_seconds(seconds_per_replication(base, seed), points, replications,
                                workers)  # fmt: skip
    typer.echo(f"{spec.method} design: {points:,} points x {replications} replications; "
               f"estimated run time {_duration(seconds)}", err=True)  # fmt: skip
    if points > CONFIRM_POINTS and not yes:
        _fail(f"the design has {points:,} points, more than {CONFIRM_POINTS:,}; add --yes to "
              "run it, or lower samples or the number of parameters")  # fmt: skip


def _duration(seconds: float) -> str:
    """A run time in words: "about 40 s", "about 12 min", "about 3.5 h"."""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:.1f} h"


@app.command()
def calibrate(
    file: Annotated[
        Path | None, typer.Argument(help="Scenario YAML file; the bundled baseline if omitted.")
    ] = None,
    target: Annotated[
        float,
        typer.Option(
            min=0.0001,
            max=0.9999,
            help="F2 sign rate to reproduce: the share of entered leads that sign (F2: 1 in 20).",
        ),
    ] = 0.05,
    replications: CalibrateReplications = CALIBRATE_REPLICATIONS,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            "-s",
            min=0,
            help="Seed of every evaluation (common random numbers); the default is "
            "the one docs/model.md 2.8 used.",
        ),
    ] = 20_260_101,
    workers: WorkersOption = None,
    overrides: OverridesOption = None,
    progress: ProgressOption = True,
) -> None:
    """Find leads.sign_probability so the simulated team signs TARGET of entered leads (F2),
    and say how to use it."""
    from simsales.experiment.calibration import CalibrationError, calibrate_sign_probability

    (sc,) = _load([file or baseline_path()], overrides)
    try:
        with _running(0, progress, None, None, None, None,
                      "evaluations x replications") as (tick, _):  # fmt: skip
            cal = calibrate_sign_probability(sc, target, replications, seed, workers,
                                             progress=tick)  # fmt: skip
    except CalibrationError as exc:
        _fail(f"{file or baseline_path()}: {exc}")
    typer.echo(
        f"leads.sign_probability: {cal.sign_probability:.5f}  "
        f"(realised F2 {cal.f2_mean:.5f}, 95% CI [{cal.f2_ci_low:.5f}, {cal.f2_ci_high:.5f}], "
        f"target {target:g}; {cal.replications} replications, seed {seed}, "
        f"{cal.steps} evaluations)"
    )
    typer.echo(cal.usage())


def _progress_bar(total: int, desc: str = "replications"):
    """A tqdm bar on stderr with ``update_to(done, total)``, the total allowed to change."""
    from tqdm.auto import tqdm

    class Bar(tqdm):
        total: int  # tqdm's, set by its __init__ (tqdm has no type information)

        def update_to(self, done: int, total: int) -> None:
            if total != self.total:
                self.total = total
                self.refresh()
            self.update(done - self.n)

    return Bar(total=total, desc=desc, unit="rep", file=sys.stderr, leave=False)


def main() -> None:
    """Entry point of the ``simsales`` command and ``python -m simsales``."""
    app()

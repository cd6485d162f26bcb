"""The ``simsales`` command: validate and run scenarios from the shell.

Bad input (a scenario file, an override, an output folder) gets one or two lines
on stderr and exit code 2, never a traceback. Progress goes to stderr, the
summary table to stdout.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from simsales.scenario import ScenarioError, load_scenario
from simsales.scenario.overrides import apply_cli_overrides
from simsales.scenario.paths import baseline_path
from simsales.scenario.schema import json_schema

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate a field-sales team and test policies before trying them on people.",
)

EXIT_BAD_INPUT = 2

# Metrics shown by `simsales run`, in this order, with their display format.
SHOWN = {
    "revenue": "{:,.0f}",
    "signings": "{:,.0f}",
    "leads_entered": "{:,.0f}",
    "reps_on_post": "{:,.1f}",
    "revenue_per_rep_month": "{:,.0f}",
    "signings_per_rep_month": "{:,.2f}",
    "visits_per_rep_day": "{:,.2f}",
    "followups_per_rep_day": "{:,.2f}",
    "attainment": "{:.3f}",
    "share_at_quota": "{:.3f}",
    "payroll": "{:,.0f}",
    "pay_per_rep_month": "{:,.0f}",
    "cost_of_sales": "{:,.0f}",
    "margin": "{:,.0f}",
    "opportunity_per_rep_cv": "{:.3f}",
    "f2_sign_rate": "{:.4f}",
    "f7_share_phone": "{:.4f}",
    "f7_share_first_visit": "{:.4f}",
    "f7_share_followup_1": "{:.4f}",
    "f7_share_followup_2": "{:.4f}",
    "f7_share_followup_3": "{:.4f}",
    "f7_share_followup_4_to_11": "{:.4f}",
}
# Shown only for a team that changes: when hiring or leaving happened, and class KPIs
# when some class completed the window.
SHOWN_IF_ANY = {
    "hires": "{:,.1f}",
    "quits": "{:,.1f}",
    "dismissals": "{:,.1f}",
    "promotions": "{:,.1f}",
    "supervisor_hires": "{:,.1f}",
    "pool_claims": "{:,.1f}",
    "reclaimed_signings": "{:,.1f}",
    "duplicated_approaches": "{:,.0f}",
    "deals_held": "{:,.1f}",
    "deals_pulled": "{:,.1f}",
    "class_washout_of_trainees": "{:.3f}",
    "class_trial_pass_of_reached_trial": "{:.3f}",
    "class_signing_rate_1m_of_on_post": "{:.3f}",
    "class_orders_1m_per_on_post": "{:.3f}",
    "class_survival_3m_of_on_post": "{:.3f}",
    "class_remaining_3m_of_trainees": "{:.3f}",
    "class_survival_12m_of_on_post": "{:.3f}",
    "class_remaining_12m_of_trainees": "{:.3f}",
    "class_earning_6m_of_on_post": "{:.3f}",
}


# Options several commands share.
SeedOption = Annotated[int, typer.Option("--seed", "-s", min=0)]
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
    typer.Option(help="Run on this Dask scheduler, tcp://host:port (simsales[cluster])."),
]
DaskLocalOption = Annotated[
    int | None,
    typer.Option("--dask-local", min=1, help="Run on a local Dask cluster of N processes."),
]


def _fail(message: str) -> None:
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
    typer.echo(
        f"{file}: OK (scenario {sc.name!r}, {sc.team.reps} reps, {sc.horizon.months} months)"
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
    replications: Annotated[int, typer.Option("--replications", "-r", min=1)] = 10,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter: dotted.key=value (repeatable)."),
    ] = None,
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
            help="Run batches until headline 95% CIs are within this share of the "
            "mean, e.g. 0.05 (then -r is ignored)."
        ),
    ] = None,
    batch: Annotated[int, typer.Option(min=2, help="Replications per batch (--precision).")] = 10,
    max_replications: Annotated[
        int, typer.Option(min=2, help="Cap on replications (--precision).")
    ] = 500,
) -> None:
    """Run replications of a scenario and print the summary with 95% CIs."""
    path = file or baseline_path()
    try:
        sc = load_scenario(path)
        if overrides:
            sc = apply_cli_overrides([sc], overrides)[0]
    except ScenarioError as exc:
        _fail(str(exc))
    _check_out(out)
    from simsales.experiment import run as run_scenario
    from simsales.experiment import run_until_precise

    if precision is not None and not 0 < precision < 1:
        _fail(f"--precision {precision}: an impossible target; allowed: between 0 and 1, "
              "e.g. 0.05 for CIs within 5% of the mean")  # fmt: skip
    if precision is not None and max_replications < batch:
        _fail(f"--max-replications {max_replications}: must be >= --batch ({batch})")
    if precision is not None:
        replications = max_replications  # the progress bar's total

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
    done = res.manifest["replications"]
    typer.echo(format_summary(res.summary(), sc.name, done, seed, res.manifest.get("precision")))
    if ramp:
        typer.echo(format_ramp(res.ramp()))
    if out is not None:
        typer.echo(f"tables saved to {out}")


@app.command("compare")
def compare_cmd(
    files: Annotated[list[Path], typer.Argument(help="Two or more scenario YAML files.")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=2)] = 20,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    baseline: BaselineOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Store each replication as it finishes (resumes)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Write into a non-empty --out folder.")] = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Run scenarios with common random numbers and print each one's paired difference to
    the baseline: mean, 95% CI, Holm-adjusted p-value and P(better)."""
    if len(files) < 2:
        _fail(f"compare needs at least 2 scenario files, got {len(files)}")
    scenarios = _load_distinct(files, baseline)
    _check_out(out)
    from simsales.experiment import compare  # heavy imports only when running

    total = replications * len(scenarios)
    with _running(total, progress, out, workers, scheduler, dask_local) as (tick, ex):
        comparison = compare(scenarios, replications, seed, baseline, workers, progress=tick,
                             executor=ex, out=out, force=force)  # fmt: skip
    table = comparison.table()
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, res in comparison.results.items():
                res.save(out / name)
            table.to_csv(out / "comparison.csv", index=False)
        except OSError as exc:
            _fail(f"--out {out}: cannot write results ({exc})")
    typer.echo(format_comparison(table, comparison.baseline, replications, seed))
    if out is not None:
        typer.echo(f"tables and comparison.csv saved to {out}")


@app.command("report")
def report_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Scenario YAML files; the first is the baseline.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=2)] = 20,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    baseline: BaselineOption = None,
    title: Annotated[str, typer.Option(help="The report's title.")] = "simsales report",
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    progress: ProgressOption = True,
    scheduler: SchedulerOption = None,
    dask_local: DaskLocalOption = None,
) -> None:
    """Run scenarios with common random numbers and write one self-contained HTML report
    (plots embedded, nothing fetched): scenarios, headline metrics with 95% CIs, the
    comparison with the baseline, fan charts, the lead funnel, new-rep KPIs and the manifest."""
    scenarios = _load_distinct(files, baseline)
    sources = {sc.name: str(f) for sc, f in zip(scenarios, files, strict=True)}
    if out.suffix.lower() not in (".html", ".htm"):
        _fail(f"--out {out}: the report is an HTML file; give a name ending in .html")
    if out.is_dir() or (out.exists() and not force):
        what = "is a folder" if out.is_dir() else "exists; add --force to replace it"
        _fail(f"--out {out}: {what}")
    if not out.parent.is_dir():
        _fail(f"--out {out}: folder {out.parent} does not exist")
    from simsales.experiment import compare, run
    from simsales.report import render_report, write_report

    total = replications * len(scenarios)
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


def _load_distinct(files: list[Path], baseline: str | None) -> list:
    """The scenarios of ``files``, their names distinct and ``baseline`` among them; else
    exit 2 naming the problem."""
    scenarios = []
    try:
        for f in files:
            scenarios.append(load_scenario(f))
    except ScenarioError as exc:
        _fail(str(exc))
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        _fail(f"scenario names must differ to be compared; repeated: {', '.join(twice)}")
    if baseline is not None and baseline not in names:
        _fail(f"--baseline {baseline!r}: no such scenario; allowed: {', '.join(names)}")
    return scenarios


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
    from simsales.executors import DaskCluster, ExecutorError

    try:
        cluster = DaskCluster(address=scheduler, local_workers=dask_local)
    except ExecutorError as exc:
        _fail(f"--scheduler {scheduler}: {exc}" if scheduler else f"--dask-local: {exc}")
    with cluster:
        yield cluster


@contextmanager
def _running(total: int, progress: bool, out: Path | None, workers, scheduler, dask_local):
    """Around a run: the progress bar and executor; an --out folder of another run, and
    Ctrl-C, end the command cleanly (exit 2, and 130 saying what is kept)."""
    from simsales.store import StoreError

    bar = _progress_bar(total) if progress else None
    try:
        with _executor(workers, scheduler, dask_local) as executor:
            yield (bar.update_to if bar else None), executor
    except StoreError as exc:
        _fail(f"--out {exc}")
    except KeyboardInterrupt:
        typer.echo(_interrupted(out), err=True)
        raise typer.Exit(130) from None
    finally:
        if bar:
            bar.close()


def _check_out(out: Path | None) -> None:
    if out is not None and out.exists() and not out.is_dir():
        _fail(f"--out {out}: exists and is not a folder")


def _interrupted(out: Path | None) -> str:
    if out is None:
        return "interrupted: nothing was saved"
    return (
        f"interrupted: the replications finished so far are stored in {out}; "
        "run the same command again to compute only the rest"
    )


def format_comparison(table, baseline: str, replications: int, seed: int) -> str:
    """The paired comparison as a plain-text table, one block per scenario."""
    shown = {**SHOWN, **SHOWN_IF_ANY}
    blocks = [
        f"paired comparison with {baseline!r}: {replications} replications, seed {seed}, "
        "common random numbers; difference = scenario - baseline"
    ]
    for name, block in table.groupby("scenario", sort=False):
        block = block.set_index("metric")
        rows = []
        for metric, fmt in shown.items():
            if metric not in block.index or block.loc[metric, "n"] == 0:
                continue
            r = block.loc[metric]
            if metric in SHOWN_IF_ANY and r["baseline_mean"] == 0 and r["scenario_mean"] == 0:
                continue
            signed = fmt.replace("{:", "{:+")
            ci = f"[{fmt.format(r['ci_low'])}, {fmt.format(r['ci_high'])}]"
            better = f"{r['p_better']:.2f} ({r['better_if']})"
            means = (fmt.format(r["baseline_mean"]), fmt.format(r["scenario_mean"]))
            rows.append((metric, *means, signed.format(r["difference"]), ci,
                         f"{r['p_holm']:.3g}", better))  # fmt: skip
        head = ("metric", baseline, name, "difference", "95% CI", "p (Holm)", "P(better)")
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        lines = [f"\n{name} vs {baseline}"]
        for row in [head, *rows]:
            cells = enumerate(zip(row, widths, strict=True))
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in cells))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


SWEEP_SHOWN = ("revenue", "margin", "attainment", "share_at_quota", "reps_on_post")


@app.command("sweep")
def sweep_cmd(
    file: Annotated[Path, typer.Argument(help="Sweep YAML file (see simsales.sweep).")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=1)] = 10,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
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
    from simsales.sweeps import design_points, load_sweep, point_scenario, sweep

    try:
        base, spec = load_sweep(file)
        points = design_points(spec.parameters, spec.design, spec.samples, spec.design_seed)
        for i, row in enumerate(points.to_dict("records")):  # every point valid before running
            point_scenario(base, i, row)
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc) if isinstance(exc, ScenarioError) else f"{file}: {exc}")
    _check_out(out)
    total = replications * len(points)
    with _running(total, progress, out, workers, scheduler, dask_local) as (tick, ex):
        result = sweep(base, spec.parameters, spec.design, spec.samples, spec.design_seed,
                       replications, seed, workers, ex, tick, out, force)  # fmt: skip
    summary = result.summary()
    wide = summary[summary["metric"].isin(SWEEP_SHOWN)].pivot_table(
        index=["point", *spec.parameters], columns="metric", values="mean", sort=False
    )[list(SWEEP_SHOWN)]
    if out is not None:
        try:
            result.metrics().to_parquet(out / "sweep_metrics.parquet")
        except OSError as exc:
            _fail(f"--out {out}: cannot write results ({exc})")
    typer.echo(f"sweep {file}: {len(points)} points x {replications} replications, seed {seed}"
               " (common random numbers); means over replications")  # fmt: skip
    typer.echo(wide.to_string(float_format=lambda x: f"{x:,.3f}" if abs(x) < 100 else f"{x:,.0f}"))


@app.command("sensitivity")
def sensitivity_cmd(
    file: Annotated[Path, typer.Argument(help="Sensitivity YAML file (simsales.sensitivity).")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=1)] = 2,
    seed: SeedOption = 0,
    workers: WorkersOption = None,
    plot: Annotated[Path | None, typer.Option(help="Save the bar plot here (PNG).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Save indices as CSV.")] = None,
    progress: ProgressOption = True,
) -> None:
    """Morris screening or Sobol indices of one metric over chosen parameters (needs the
    simsales[sensitivity] extra); every point on common random numbers."""
    from simsales.sweeps import point_scenario

    try:
        from simsales.sensitivity_analysis import load_sensitivity, sample_points, sensitivity

        base, spec = load_sensitivity(file)
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
    typer.echo(result.table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if out is not None:
        result.table.to_csv(out, index=False)
    if plot is not None:
        _headless_plots()
        result.plot().savefig(plot, dpi=120)
        typer.echo(f"plot saved to {plot}")


@app.command()
def calibrate(
    file: Annotated[
        Path | None, typer.Argument(help="Scenario YAML file; the bundled baseline if omitted.")
    ] = None,
    target: Annotated[
        float, typer.Option(min=0.0001, max=0.9999, help="F2 sign rate to reproduce.")
    ] = 0.05,
    replications: Annotated[int, typer.Option("--replications", "-r", min=2)] = 60,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0)] = 20_260_101,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1)] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set")] = None,
) -> None:
    """Find leads.sign_probability so the simulated team signs TARGET of entered leads (F2)."""
    from simsales.calibration import calibrate_sign_probability

    try:
        sc = load_scenario(file or baseline_path())
        if overrides:
            sc = apply_cli_overrides([sc], overrides)[0]
    except ScenarioError as exc:
        _fail(str(exc))
    cal = calibrate_sign_probability(sc, target, replications, seed, workers)
    typer.echo(
        f"leads.sign_probability: {cal.sign_probability:.5f}  "
        f"(realised F2 {cal.f2_mean:.5f}, 95% CI [{cal.f2_ci_low:.5f}, {cal.f2_ci_high:.5f}], "
        f"{cal.replications} replications, seed {seed}, {cal.steps} evaluations)"
    )


def _progress_bar(total: int):
    from tqdm.auto import tqdm

    class Bar(tqdm):
        def update_to(self, done: int, total: int) -> None:
            self.update(done - self.n)

    return Bar(total=total, desc="replications", unit="rep", file=sys.stderr, leave=False)


def format_summary(summary, name: str, replications: int, seed: int,
                   precision: dict | None = None) -> str:  # fmt: skip
    """The run summary as a plain-text table; with ``precision`` (a manifest's), metrics
    whose interval is still wider than the target are marked."""
    from simsales.metrics.summary import RESOLVE_MONTHS

    by_metric = summary.set_index("metric")
    shown = {**SHOWN}
    for metric, fmt in SHOWN_IF_ANY.items():
        if metric in by_metric.index and by_metric.loc[metric, "n"] > 0:
            if by_metric.loc[metric, "p90"] > 0 or metric.startswith("class_"):
                shown[metric] = fmt
    imprecise = set(precision["imprecise"]) if precision else set()
    rows = []
    for _, row in by_metric.loc[[m for m in shown if m in by_metric.index]].iterrows():
        fmt = shown[row.name]
        rows.append(
            (
                f"{row.name} *" if row.name in imprecise else row.name,
                fmt.format(row["mean"]),
                f"[{fmt.format(row['ci_low'])}, {fmt.format(row['ci_high'])}]",
                fmt.format(row["p10"]),
                fmt.format(row["p90"]),
            )
        )
    head = ("metric", "mean", "95% CI", "P10", "P90")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    text = [
        f"scenario {name!r}: {replications} replications, seed {seed} (totals over the horizon)"
    ]
    text.append(line(head))
    text += [line(r) for r in rows]
    if precision:
        target = f"95% CI half-width within {precision['target'] * 100:g}% of the mean"
        if imprecise:
            text.append(f"* still imprecise after {replications} replications (the cap): "
                        f"{target} not reached")  # fmt: skip
        else:
            text.append(f"precision: {target} for {', '.join(precision['metrics'])} "
                        f"after {replications} replications")  # fmt: skip
    f2 = summary.loc[summary["metric"] == "f2_sign_rate", "n"]
    if len(f2) and f2.iloc[0] == 0:
        text.append(
            f"f2_sign_rate: nan - needs lead cohorts at least {RESOLVE_MONTHS} months old; "
            "run more than that many months"
        )
    return "\n".join(text)


def format_ramp(ramp) -> str:
    """The ramp table (``Results.ramp``) as plain text: one line per month on post."""
    if ramp.empty:
        return "ramp: no hired rep went on post within the reported months"
    fmt = {"skill": "{:.3f}", "signings": "{:.2f}", "revenue": "{:,.0f}"}
    wide = ramp.pivot(index="month_on_post", columns="measure")
    head = ["month on post", "rep-months", *(f"{m} [95% CI]" for m in fmt)]
    rows = []
    for month, row in wide.iterrows():
        cells = [str(month), str(int(row[("rep_months", "skill")]))]
        for measure, f in fmt.items():
            mean, low, high = (row[(c, measure)] for c in ("mean", "ci_low", "ci_high"))
            cells.append(f"{f.format(mean)} [{f.format(low)}, {f.format(high)}]")
        rows.append(cells)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["ramp of hired reps (means over replications of each one's mean per rep):"]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    return "\n".join(lines)


def main() -> None:
    """Entry point of the ``simsales`` command and ``python -m simsales``."""
    app()

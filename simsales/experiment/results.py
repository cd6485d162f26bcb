"""Results of a run: tidy tables, a manifest, summaries, and atomic save/load."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simsales.metrics.cohorts import ramp_table
from simsales.metrics.summary import RunInfo, Summary, replication_metrics, summarize

TABLES = ("team_month", "territory_month", "rep_month", "funnel", "lead_cohorts", "cohorts")
MANIFEST = "manifest.json"


class ResultsError(OSError):
    """A results folder is missing, incomplete or not a simsales results folder."""


@dataclass
class Results:
    """Tidy tables of one or more scenarios, each row keyed by scenario and replication.

    * ``team_month``: per month, the team's activity, funnel counts, signings, revenue,
      public pool and market state.
    * ``territory_month``: per territory and month, its firms (available, untouched,
      cooling off, in the pipeline, customers), public pool, reps, signings, revenue and
      opportunity per rep.
    * ``rep_month``: per rep and month, status, tenure, skill, activity and results.
    * ``funnel``: signings by touch (0 = phone, 1 = first visit, k+1 = k-th follow-up).
    * ``lead_cohorts``: per entry month and lead source, leads entered, signed, lost, open.
    * ``cohorts``: per hiring class, trainees, washouts, trial passes and the new-rep
      KPIs F23-F26 (see ``simsales.metrics.cohorts``).
    """

    team_month: pd.DataFrame
    territory_month: pd.DataFrame
    rep_month: pd.DataFrame
    funnel: pd.DataFrame
    lead_cohorts: pd.DataFrame
    cohorts: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    def metrics(self) -> pd.DataFrame:
        """Headline metrics, one row per (scenario, replication)."""
        days = int(self.manifest.get("days_per_month", 26))
        return replication_metrics(
            self.team_month, self.funnel, self.lead_cohorts, self.cohorts, days
        )

    def ramp(self, max_months: int = 24, confidence: float = 0.95) -> pd.DataFrame:
        """Hired reps' skill, signings and revenue by month on post (the ramp-up), with
        t-intervals over replications; see ``simsales.metrics.cohorts.ramp_table``."""
        return ramp_table(self.rep_month, max_months, confidence)

    def summary(self, confidence: float = 0.95) -> Summary:
        """One row per scenario and metric, in the catalogue's order: mean, ci_low,
        ci_high, p10, p50, p90, n, and the metric's group, label and unit
        (``simsales.metrics.catalogue``). A DataFrame that shows itself grouped, with
        units and readable numbers, under the horizon and what the interval is."""
        info = RunInfo.of(self.manifest)
        names: list[str] = list(self.team_month["scenario"].unique()) if info else []
        return summarize(self.metrics(), confidence, {name: info for name in names})

    def save(self, directory: str | os.PathLike) -> Path:
        """Write every table as Parquet plus ``manifest.json``; each file atomically."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            atomic_write(out / f"{name}.parquet", lambda f, n=name: getattr(self, n).to_parquet(f))
        text = json.dumps(self.manifest, indent=2, sort_keys=True, default=str)
        atomic_write(out / MANIFEST, lambda f: f.write(text.encode()))  # last: marks complete
        return out


def load_results(directory: str | os.PathLike) -> Results:
    """Read results written by ``Results.save``."""
    d = Path(directory)
    missing = [n for n in (*[f"{t}.parquet" for t in TABLES], MANIFEST) if not (d / n).is_file()]
    if missing:
        raise ResultsError(
            f"{d}: not a complete simsales results folder; missing {', '.join(missing)}"
        )
    try:
        manifest = json.loads((d / MANIFEST).read_text())
        tables = {name: pd.read_parquet(d / f"{name}.parquet") for name in TABLES}
    except (OSError, ValueError) as exc:  # ArrowInvalid and JSONDecodeError are ValueErrors
        raise ResultsError(f"{d}: a damaged simsales results folder ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ResultsError(f"{d}: a damaged simsales results folder ({MANIFEST} is not a mapping)")
    return Results(**tables, manifest=manifest)


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file in the same folder, then rename over the target: the
    target is whole or untouched, and no temporary file is left, whatever fails (an
    ``OSError`` such as a full disk or no permission is raised as it is)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""A simulated run as a team's history: its CRM activities and HR roster, in exactly the
formats a company's own history is read in (``simsales.history.formats``).

One replication is run again with its event log on (``simulate(..., history=True)``;
the numbers are the same) and every event becomes rows:

* a rep's evening prospect records are ``record`` rows, one per firm recorded; the
  interested ones wait for an appointment call, first come first called, and those left
  uncalled past a day's norm cool off (the model counts them; which ones is a choice);
* an appointment call is a ``call`` row of one of them; a call that books a visit carries
  the prospect into the lead the model makes, a phone close is ``entered`` and
  ``signed`` at once;
* HQ leads (F10) and referrals (F9) start with an ``entered`` row (source ``hq`` or
  ``referral``); every touch is a ``call``, ``first_visit`` or ``followup`` row, a valid
  first visit of an own prospect an ``entered`` row, and a lead's end a ``signed`` row
  with its deal value or a ``lost`` row (a lead that expired in the public pool has no
  rep). A deal held into the next pay period (F31) is signed on the day it was agreed.

Reps are ``R<n>``, groups ``G<n>``, supervisors ``S<n>``; own prospects ``P<n>`` and the
model's other leads ``L<n>``. Dates are working days turned into dates by the scenario's
calendar (``horizon.start``, ``horizon.calendar``); the history starts on the first day
of the warm-up, and people hired before it (the starting team) have earlier dates.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simsales.experiment.results import MANIFEST
from simsales.model import events as ev
from simsales.model.kernel import LOST, SIGNED
from simsales.model.pipeline import SOURCES
from simsales.model.team import NO_DAY
from simsales.scenario.schema import GRADES, Scenario
from simsales.simulate import simulate

# The model's lead sources as a history's (formats.SOURCES): both kinds of referral are one.
SOURCE_OF = {"prospected": "own", "hq": "hq", "customer_referral": "referral",
             "nonbuyer_referral": "referral"}  # fmt: skip
TOUCH_KIND = ("call", "first_visit", "followup")


class ExportError(ValueError):
    """A results folder or option export-history cannot use; says which and why."""


@dataclass(frozen=True)
class History:
    """A team's history: ``activities`` and ``roster`` in the canonical columns of
    ``simsales.history.formats``, and the simulated run's own ``team_month``."""

    activities: pd.DataFrame
    roster: pd.DataFrame
    team_month: pd.DataFrame


def simulated_history(scenario: Scenario, replication: int, seed: int) -> History:
    """Replication ``replication`` of ``scenario`` under ``seed`` as a history (the
    scenario needs ``horizon.start``: the dates)."""
    if scenario.horizon.start is None:
        raise ExportError(
            f"scenario {scenario.name!r} has no horizon.start: a history needs dates; "
            "give the calendar month of reported month 1 (e.g. --start 2027-01)"
        )
    columns = simulate(scenario, replication, seed, history=True)
    events = pd.DataFrame(columns["events"])
    names = columns["territories"]["name"]
    people = pd.DataFrame(columns["people"])
    h = scenario.horizon
    first = int(min(0, people["hired_day"].min()))
    dates = h.working_dates(first, h.first_day(h.warmup_months + h.months) + 1)

    def date_of(day: int) -> dt.date:
        return dates[day - first]

    return History(_activities(events, date_of, names), _roster(people, date_of),
                   pd.DataFrame(columns["team_month"]))  # fmt: skip


def _activities(events: pd.DataFrame, date_of, names: np.ndarray) -> pd.DataFrame:
    """Activity rows from the event log (in the order the events happened)."""
    rows: list[tuple] = []
    waiting: dict[int, deque[str]] = {}  # rep -> interested prospects, first come first
    booked: dict[int, deque[str]] = {}  # rep -> called prospects whose visit is booked
    closing: dict[int, deque[str]] = {}  # rep -> called prospects that may sign on the call
    lead_name: dict[int, str] = {}
    lead_info: dict[int, tuple[str | None, str, str]] = {}  # grade, source, territory
    prospects = 0
    values = events["value"].to_numpy()
    fields = events[list(ev.EVENT_FIELDS)].to_numpy()
    for k, (day, kind, rep, lead, t, a, b, c) in enumerate(fields.tolist()):
        date, who, terr = date_of(day), f"R{rep}", names[t]
        if kind == ev.E_RECORDS:
            fresh = [f"P{prospects + j}" for j in range(a)]
            prospects += a
            rows += [(n, who, date, "record", None, "own", terr, None) for n in fresh]
            waiting.setdefault(rep, deque()).extend(fresh[:b])
        elif kind == ev.E_CALLS:
            queue = waiting.setdefault(rep, deque())
            called = [queue.popleft() for _ in range(a)]
            rows += [(n, who, date, "call", None, "own", terr, None) for n in called]
            booked[rep] = deque(called[:b])
            closing[rep] = deque(called[b:])
            for _ in range(c):  # interested past the day's norm cool off
                queue.popleft()
        elif kind == ev.E_PHONE_SIGNED:
            name = closing[rep].popleft()
            rows.append((name, who, date, "entered", None, "own", terr, None))
            rows.append((name, who, date, "signed", None, "own", terr, float(values[k])))
        elif kind == ev.E_LEAD:
            source = SOURCE_OF[SOURCES[a]]
            if source == "own":  # a booked first visit: the called prospect goes on
                lead_name[lead] = booked[rep].popleft()
                lead_info[lead] = (None, source, terr)
            else:
                lead_name[lead] = f"L{lead}"
                lead_info[lead] = (GRADES[b], source, terr)
                rows.append((lead_name[lead], who, date, "entered", GRADES[b], source, terr, None))
        elif kind == ev.E_TOUCH:
            grade, source, _ = lead_info[lead]
            rows.append((lead_name[lead], who, date, TOUCH_KIND[a], grade, source, terr, None))
        elif kind == ev.E_ENTERED:
            lead_info[lead] = (GRADES[b], "own", terr)
            rows.append((lead_name[lead], who, date, "entered", GRADES[b], "own", terr, None))
        elif kind == ev.E_CLOSED:
            grade, source, _ = lead_info[lead]
            outcome = "signed" if a == SIGNED else "lost"
            assert a in (SIGNED, LOST)
            value = float(values[k]) if a == SIGNED else None
            rows.append((lead_name[lead], who if rep >= 0 else None, date, outcome, grade,
                         source, terr, value))  # fmt: skip
    table = pd.DataFrame(rows, columns=["lead_id", "rep_id", "date", "kind", "grade", "source",
                                        "territory", "deal_value"])  # fmt: skip
    table["date"] = pd.to_datetime(table["date"])
    return table


def _roster(people: pd.DataFrame, date_of) -> pd.DataFrame:
    """One row per rep ever hired and per supervisor group."""

    def dates(days: pd.Series, shift: int = 0) -> list[dt.date | None]:
        return [None if d == NO_DAY else date_of(int(d) + shift) for d in days]

    reps = pd.DataFrame({
        "id": [f"R{r}" for r in people["rep"]],
        "role": "rep",
        "class": people["class"].astype("Int64"),
        # A leaver's last day on the team is the working day before the first day gone.
        "hire_date": dates(people["hired_day"]),
        "on_post_date": dates(people["on_post_day"]),
        "leave_date": dates(people["leave_day"], shift=-1),
        "leave_reason": people["leave_reason"].replace("", None),
        "group": [f"G{g}" for g in people["group"]],
        "territory": people["territory"],
    })  # fmt: skip
    groups = sorted(set(people["group"]))
    supervisors = pd.DataFrame({
        "id": [f"S{g}" for g in groups], "role": "supervisor", "class": pd.NA,
        "hire_date": None, "on_post_date": None, "leave_date": None, "leave_reason": None,
        "group": [f"G{g}" for g in groups], "territory": None,
    })  # fmt: skip
    table = pd.concat([reps, supervisors.astype(reps.dtypes.to_dict())], ignore_index=True)
    table["class"] = table["class"].astype("Int64")
    for column in ("hire_date", "on_post_date", "leave_date"):
        table[column] = pd.to_datetime(table[column])
    return table


def export_history(results: Path, out: Path, replication: int = 0, file_format: str = "csv",
                   start: str | None = None, force: bool = False) -> tuple[Path, Path]:  # fmt: skip
    """Write replication ``replication`` of the run stored in ``results`` (one scenario's
    results folder) as ``activities`` and ``roster`` files in ``out``, CSV or Parquet. The
    replication is run again from the stored scenario and seed and must give the stored
    ``team_month`` (else this version of simsales cannot reproduce it: ExportError).
    ``start`` (YYYY-MM) dates a scenario without ``horizon.start``."""
    from simsales.experiment.results import ResultsError, load_results
    from simsales.history.formats import write_activities, write_roster_history
    from simsales.scenario.errors import ScenarioError
    from simsales.scenario.loader import validate

    if file_format not in ("csv", "parquet"):
        raise ExportError(f"--format {file_format!r}: allowed: csv, parquet")
    if results.is_dir() and not (results / MANIFEST).is_file():
        inside = sorted(p.name for p in results.iterdir() if (p / MANIFEST).is_file())
        if inside:
            raise ExportError(f"{results}: is a results store; give the folder of one "
                              f"of its scenarios: {', '.join(inside[:5])}")  # fmt: skip
    try:
        stored = load_results(results)
    except ResultsError as exc:
        raise ExportError(str(exc)) from None
    manifest = stored.manifest
    try:
        scenario = validate(manifest["scenario"], f"{results}/{MANIFEST}")
        seed, replications = int(manifest["seed"]), int(manifest["replications"])
    except (KeyError, TypeError, ValueError, ScenarioError) as exc:
        raise ExportError(f"{results}: a damaged results folder ({exc})") from None
    if not 0 <= replication < replications:
        raise ExportError(f"--replication {replication}: allowed: 0..{replications - 1} (the "
                          f"folder holds {replications} replications)")  # fmt: skip
    if start is not None:
        try:
            scenario = scenario.with_overrides({"horizon.start": start, "name": scenario.name})
        except ScenarioError as exc:
            raise ExportError(f"--start {start!r}: {exc.problems[0].message}") from None
    targets = (out / f"activities.{file_format}", out / f"roster.{file_format}")
    _check_out(out, targets, force)
    history = simulated_history(scenario, replication, seed)
    tm = stored.team_month
    mine = tm[tm["replication"] == replication].drop(columns=["scenario", "replication"])
    if not _same(mine, history.team_month):
        made_by = manifest.get("versions", {}).get("simsales", "unknown")
        raise ExportError(f"{results}: replication {replication} run again does not give the "
                          f"stored tables; they were made by another version of simsales "
                          f"({made_by})")  # fmt: skip
    write_activities(history.activities, targets[0])
    write_roster_history(history.roster, targets[1])
    return targets


def _check_out(out: Path, targets: tuple[Path, Path], force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out}: is a file; give a folder")
    if not out.parent.is_dir():
        raise ExportError(f"--out {out}: folder {out.parent} does not exist")
    there = [t.name for t in targets if t.exists()]
    if there and not force:
        raise ExportError(f"--out {out}: {', '.join(there)} exist; add --force to replace them")
    out.mkdir(exist_ok=True)


def _same(stored: pd.DataFrame, again: pd.DataFrame) -> bool:
    """The stored team_month of one replication and the same replication run again (which
    has the date columns too when --start gave the dates)."""
    extra = set(again.columns) - set(stored.columns)
    if extra - {"date", "working_days"} or len(stored) != len(again):
        return False
    if not set(stored.columns) <= set(again.columns):
        return False
    a, b = stored.reset_index(drop=True), again[list(stored.columns)].reset_index(drop=True)
    numbers = a.select_dtypes("number").columns
    return bool(
        np.allclose(
            a[numbers].to_numpy(float),
            b[numbers].to_numpy(float),
            equal_nan=True,
            rtol=1e-12,
            atol=0,
        )  # fmt: skip
        and a.drop(columns=numbers).astype(str).equals(b.drop(columns=numbers).astype(str))
    )

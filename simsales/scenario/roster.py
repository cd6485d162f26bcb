"""Reading today's team from a roster file (``team.roster``, model card 1.14).

A roster is a CSV file, one person per row, with a header row naming the columns (any
order): ``id``, ``role`` and ``group`` always; ``territory`` and ``months_on_post`` for a
rep, ``territory`` and ``days_in_training`` for a trainee; ``skill`` optionally for a rep.
An empty cell is no value. Cells are read here into numbers where the column is one;
``Team`` and ``RosterPerson`` then check every value and rule, and an error names the
roster file, the row's line and the column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from simsales.scenario.errors import Problem, ScenarioError

MAX_ROSTER_BYTES = 32 * 1024 * 1024  # 32 MiB: a roster of 200,000 people
COLUMNS = ("id", "role", "group", "territory", "months_on_post", "days_in_training", "skill")
REQUIRED = ("id", "role", "group")
_NUMBERS = {"months_on_post": float, "days_in_training": int, "skill": float}

Origins = dict[tuple, tuple[str, int]]


def read_roster(path: Path) -> tuple[list[dict[str, Any]], Origins]:
    """The rows of the roster file ``path`` as dicts of the columns given (numbers read),
    and the line of each row: ``{("team", "roster", i): (file, line)}`` (with the
    columns' own keys), so problems found later point at the row. Raises ScenarioError
    naming the file, the line and the column."""
    from simsales.scenario.loader import read_text_file  # the loader reads rosters too

    src = str(path)
    text = read_text_file(path, MAX_ROSTER_BYTES).removeprefix("\ufeff")  # Excel's BOM
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ScenarioError(src, [Problem("", "empty file; the first row names the columns "
                                          f"({', '.join(COLUMNS)})")]) from None  # fmt: skip
    except csv.Error as exc:
        raise ScenarioError(src, [Problem("", f"not a CSV file ({exc})", line=1)]) from None
    names = [h.strip() for h in header]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ScenarioError(src, [Problem("", f"unknown columns {unknown}; allowed: "
                                          f"{', '.join(COLUMNS)}", line=1)])  # fmt: skip
    twice = sorted({n for n in names if names.count(n) > 1})
    missing = [n for n in REQUIRED if n not in names]
    if twice or missing:
        what = f"columns named twice: {twice}" if twice else f"missing columns: {missing}"
        raise ScenarioError(src, [Problem("", f"{what}; needed: {', '.join(REQUIRED)}", line=1)])
    rows: list[dict[str, Any]] = []
    origins: Origins = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) != len(names):
                raise ScenarioError(src, [Problem("", f"{len(cells)} cells; the header has "
                                                  f"{len(names)}", line=line)])  # fmt: skip
            row = {n: _cell(n, c.strip(), src, line) for n, c in zip(names, cells, strict=True)}
            key = ("team", "roster", len(rows))
            origins[key] = (src, line)
            for n in names:
                origins[(*key, n)] = (src, line)
            rows.append({n: v for n, v in row.items() if v is not None})
    except csv.Error as exc:
        raise ScenarioError(src, [Problem("", f"not a CSV file ({exc})",
                                          line=reader.line_num)]) from None  # fmt: skip
    if not rows:
        raise ScenarioError(src, [Problem("", "no people: the roster has a header row only")])
    return rows, origins


def _cell(column: str, text: str, src: str, line: int) -> Any:
    """A cell's value: None if empty, a number in a number column, else the text."""
    if not text:
        return None
    kind = _NUMBERS.get(column)
    if kind is None:
        return text
    try:
        return kind(text)
    except ValueError:
        whole = "a whole number" if kind is int else "a number"
        raise ScenarioError(src, [Problem(column, f"not {whole}", text, line, True)]) from None


def fill_roster_counts(data: Any) -> None:
    """With a roster (rows, as read), ``team.reps`` and ``team.supervisor_groups`` left
    out (or null) are its counts: the file already says them."""
    team = data.get("team") if isinstance(data, dict) else None
    if not isinstance(team, dict) or not isinstance(team.get("roster"), list):
        return
    rows = [r for r in team["roster"] if isinstance(r, dict)]
    if team.get("reps") is None:
        team["reps"] = sum(r.get("role") == "rep" for r in rows)
    if team.get("supervisor_groups") is None:
        team["supervisor_groups"] = len({r.get("group") for r in rows})

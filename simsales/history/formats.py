"""A sales team's own history, read from the files a company exports from its CRM and HR
systems, checked, and written back: two tables (docs/history.md).

**activities**: one row per touch or stage change of a lead. Columns ``lead_id``,
``rep_id`` (empty only on a ``lost`` row: a lead that expired in the public pool has no
rep), ``date`` (YYYY-MM-DD) and ``kind`` (ACTIVITY_KINDS); optionally ``grade`` (A-D),
``source`` (SOURCES), ``territory`` and ``deal_value`` (a number >= 0 on every ``signed``
row, empty on all others). A lead's rows, in date order (same-day rows in the order of
STAGE_RANK), keep these rules: one ``record`` at most, and it is the lead's first row; one
``first_visit`` and one ``entered`` at most; no ``followup`` without a first visit or
before it; one close (``signed`` or ``lost``) at most, and no row after it; and a lead's
grade and source, where several rows give them, agree (its territory may change).

**roster history**: one row per person who was on the team. Columns ``id`` (unique),
``role`` (ROLES), ``group`` and ``hire_date`` (empty only for a supervisor); optionally
``class`` (the hiring class, a whole number >= 0; 0 = already there when the history
starts), ``on_post_date`` (empty = never went on post), ``leave_date`` (empty = still
there), ``leave_reason`` (LEAVE_REASONS; given exactly when ``leave_date`` is) and
``territory``. hire_date <= on_post_date <= leave_date, where given; a rep who
``washed_out`` or ``failed_trial`` has no on_post_date.

Files are CSV (UTF-8, Excel's BOM allowed, a header row naming the columns in any order,
blank lines skipped) or Parquet (``.parquet``). A CRM export whose columns or values are
named otherwise is read through a mapping file (``read_mapping``). Every problem is one
HistoryError naming the file, the line (CSV, the header being line 1) or row (Parquet),
the column, the value and what is allowed; nothing is dropped or filled in.

In the frames read, columns come in the canonical order (required, then the optional ones
the file has) followed by ``line``, the row's line in the CSV file or its 1-based row in the
Parquet file; rows keep the file's order. Text columns have dtype ``object`` and hold
Python ``str``, ``None`` where the cell is empty; dates are ``datetime64[ns]`` (NaT where
empty), ``deal_value`` is ``float64`` (NaN where empty) and ``class`` is ``Int64`` (<NA>
where empty). Cells are stripped of surrounding spaces.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import yaml

from simsales.scenario.errors import ScenarioError, shown_value

ACTIVITY_KINDS = ("record", "call", "first_visit", "entered", "followup", "signed", "lost")
# The order of a lead's rows on one day: a record, then a call, ..., the close last.
STAGE_RANK = {"record": 0, "call": 1, "first_visit": 2, "entered": 3, "followup": 4,
              "signed": 5, "lost": 5}  # fmt: skip
SOURCES = ("own", "hq", "referral")
GRADES = ("A", "B", "C", "D")
LEAVE_REASONS = ("washed_out", "failed_trial", "quit", "dismissed", "promoted", "other")
NEVER_ON_POST = ("washed_out", "failed_trial")
ROLES = ("rep", "supervisor")
ACTIVITY_COLUMNS = ("lead_id", "rep_id", "date", "kind")
ACTIVITY_OPTIONAL = ("grade", "source", "territory", "deal_value")
ROSTER_COLUMNS = ("id", "role", "group", "hire_date")
ROSTER_OPTIONAL = ("class", "on_post_date", "leave_date", "leave_reason", "territory")
LINE = "line"  # the column of each row's line (CSV) or row (Parquet) in its file
SUFFIXES = (".csv", ".parquet")
MAX_HISTORY_BYTES = 2 * 1024**3  # 2 GiB: some 40 million activity rows
MAX_MAPPING_BYTES = 1024 * 1024  # 1 MiB: a mapping file is a few lines
FIRST_YEAR, LAST_YEAR = 1900, 2199  # a date outside is a typo (0224-03-01)
SHOWN_NAMES = 5  # unknown columns named in one message

_DATE_COLUMNS = ("date", "hire_date", "on_post_date", "leave_date")
_DATE_RULE = f"dates are written YYYY-MM-DD, e.g. 2024-03-31, years {FIRST_YEAR}-{LAST_YEAR}"
_NO_VALUE: Any = object()  # a HistoryError about no one value


class HistoryError(ValueError):
    """A history file (or mapping file) that cannot be read as it is, or a table that
    cannot be written: where, which value, and what is allowed.

    ``file`` names the file; ``line`` is the line in a CSV or YAML file (the header is line
    1), ``row`` the 1-based row of a Parquet file, ``column`` the column, ``key`` the key of
    a mapping file (each None where it does not apply); ``value`` is the value refused
    (``has_value`` says whether there is one) and ``message`` what is wrong and allowed.
    ``str(error)`` is one line: ``activities.csv, line 12, column kind: 'visit' is not a
    kind; allowed: record, call, ...``.
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
        value: object = _NO_VALUE,
    ) -> None:
        self.file = file
        self.message = message
        self.line = line
        self.row = row
        self.column = column
        self.key = key
        self.has_value = value is not _NO_VALUE
        self.value = value if self.has_value else None
        super().__init__(self._format())

    def _format(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.key is not None:
            where.append(f"key {self.key}")
        if self.column is not None:
            where.append(f"column {self.column}")
        value = f"{shown_value(self.value)} " if self.has_value else ""
        return f"{', '.join(where)}: {value}{self.message}"

    def __reduce__(self) -> tuple[Any, ...]:  # kept whole through pickling (worker processes)
        where = (self.line, self.row, self.column, self.key)
        return (_rebuild_error, (self.file, self.message, where, self.has_value, self.value))

    def reworded(self, message: str) -> HistoryError:
        """The same error (file, line, row, column, key, value) saying ``message``."""
        value = self.value if self.has_value else _NO_VALUE
        return HistoryError(self.file, message, line=self.line, row=self.row,
                            column=self.column, key=self.key, value=value)  # fmt: skip


def _rebuild_error(file: str, message: str, where: tuple[Any, ...], has_value: bool,
                   value: object) -> HistoryError:  # fmt: skip
    line, row, column, key = where
    value = value if has_value else _NO_VALUE
    return HistoryError(file, message, line=line, row=row, column=column, key=key, value=value)


# --- column mappings ----------------------------------------------------------------------


@dataclass(frozen=True)
class TableMapping:
    """How one table of a CRM export names things: ``columns`` maps a canonical column to
    the file's column, ``values`` a canonical column (``kind``, ``source``, ...) to
    ``{value in the file: canonical value}``, and ``ignore`` lists file columns left out."""

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnMapping:
    """A mapping file's two sections (``read_mapping``); ``file`` names it in errors."""

    activities: TableMapping = field(default_factory=TableMapping)
    roster: TableMapping = field(default_factory=TableMapping)
    file: str = "column mapping"


@dataclass(frozen=True)
class _Table:
    """One table's canonical columns and the value maps a mapping file may give it."""

    section: str  # its section in a mapping file
    title: str  # in messages
    required: tuple[str, ...]
    optional: tuple[str, ...]
    values: Mapping[str, tuple[str, tuple[str, ...], str]]  # key -> column, allowed, "a kind"

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


_ACTIVITIES = _Table("activities", "activities", ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL, {
    "kinds": ("kind", ACTIVITY_KINDS, "a kind"),
    "sources": ("source", SOURCES, "a source"),
    "grades": ("grade", GRADES, "a grade"),
})  # fmt: skip
_ROSTER = _Table("roster", "roster history", ROSTER_COLUMNS, ROSTER_OPTIONAL, {
    "roles": ("role", ROLES, "a role"),
    "leave_reasons": ("leave_reason", LEAVE_REASONS, "a leave reason"),
})  # fmt: skip


def read_mapping(path: str | Path) -> ColumnMapping:
    """The column mapping in the YAML file ``path``: for each of the sections
    ``activities`` and ``roster`` (both optional), ``columns`` ({canonical column: the
    file's column}), value maps ({the file's value: canonical value}; ``kinds``,
    ``sources`` and ``grades`` for activities, ``roles`` and ``leave_reasons`` for the
    roster) and ``ignore`` (file columns to leave out). Raises HistoryError naming the
    file and the key of an unknown key, a canonical name that is not a column or a value
    mapped to something not allowed."""
    from simsales.scenario.loader import read_text_file

    src = str(path)
    try:
        text = read_text_file(Path(path), MAX_MAPPING_BYTES)
    except ScenarioError as exc:
        raise HistoryError(src, exc.problems[0].message) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or type(exc).__name__
        line = mark.line + 1 if mark is not None else None
        raise HistoryError(src, f"not a YAML file that can be read ({what})", line=line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise HistoryError(src, "must be a mapping with the sections activities: and roster:")
    for key in data:
        if key not in ("activities", "roster"):
            raise HistoryError(src, "unknown section; allowed: activities, roster", key=str(key))
    return ColumnMapping(
        activities=_table_mapping(src, _ACTIVITIES, data.get("activities")),
        roster=_table_mapping(src, _ROSTER, data.get("roster")),
        file=src,
    )


def _table_mapping(src: str, table: _Table, data: object) -> TableMapping:
    """One section of a mapping file, checked."""
    if data is None:
        return TableMapping()
    keys = ("columns", *table.values, "ignore")
    if not isinstance(data, dict):
        raise HistoryError(src, f"must be a mapping with the keys {', '.join(keys)}",
                           key=table.section)  # fmt: skip
    for key in data:
        if key not in keys:
            raise HistoryError(src, f"unknown key; allowed: {', '.join(keys)}",
                               key=f"{table.section}.{key}")  # fmt: skip
    where = f"{table.section}.columns"
    columns = _pairs(src, where, data.get("columns"), "a canonical column: the file's column")
    seen: dict[str, str] = {}
    for canonical, name in columns.items():
        if canonical not in table.columns:
            raise HistoryError(src, f"is not a column of the {table.title} table; allowed: "
                               f"{', '.join(table.columns)}", key=f"{where}.{canonical}",
                               value=canonical)  # fmt: skip
        if not name:
            raise HistoryError(src, "empty; give the name of the file's column",
                               key=f"{where}.{canonical}")  # fmt: skip
        if name in seen:
            raise HistoryError(src, f"is mapped to both {seen[name]} and {canonical}; a "
                               "file column is one canonical column", key=f"{where}.{canonical}",
                               value=name)  # fmt: skip
        seen[name] = canonical
    values: dict[str, dict[str, str]] = {}
    for key, (column, allowed, what) in table.values.items():
        pairs = _pairs(src, f"{table.section}.{key}", data.get(key), "the file's value: "
                       f"{what.split()[-1]}")  # fmt: skip
        for name, canonical in pairs.items():
            if canonical not in allowed:
                where = f"{table.section}.{key}.{name}"
                raise HistoryError(src, f"is not {what}; allowed: {', '.join(allowed)}",
                                   key=where, value=canonical)  # fmt: skip
        if pairs:
            values[column] = pairs
    ignore = data.get("ignore")
    if ignore is None:
        ignore = []
    if not isinstance(ignore, list) or not all(_is_name(n) for n in ignore):
        raise HistoryError(src, "must be a list of the file's column names, e.g. [Email, Notes]",
                           key=f"{table.section}.ignore", value=ignore)  # fmt: skip
    ignored = tuple(str(n).strip() for n in ignore)
    both = [n for n in ignored if n in seen]
    if both:
        raise HistoryError(src, f"is also mapped under {where} (to {seen[both[0]]}); a column "
                           "is mapped or ignored, not both", key=f"{table.section}.ignore",
                           value=both[0])  # fmt: skip
    return TableMapping(columns=columns, values=values, ignore=ignored)


def _is_name(value: object) -> bool:
    """A name in a mapping file: text, or a whole number YAML read as one (``2024``)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


def _pairs(src: str, key: str, data: object, form: str) -> dict[str, str]:
    """A mapping file's ``{name: name}`` under ``key``, names stripped."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HistoryError(src, f"must be a mapping {{{form}}}", key=key, value=data)
    for name, value in data.items():
        if not _is_name(name) or not _is_name(value):
            bad = name if not _is_name(name) else value
            raise HistoryError(src, "must be text (put it in quotes)", key=f"{key}.{name}",
                               value=bad)  # fmt: skip
    return {str(name).strip(): str(value).strip() for name, value in data.items()}


# --- where a problem is --------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """The file a table comes from (or goes to): CSV lines or Parquet rows."""

    file: str
    parquet: bool

    @property
    def header(self) -> int | None:
        """The line of the column names (a Parquet file has none)."""
        return None if self.parquet else 1

    def where(self, line: int) -> str:
        return f"row {line}" if self.parquet else f"line {line}"

    def error(self, message: str, line: int | None = None, column: str | None = None,
              value: object = _NO_VALUE) -> HistoryError:  # fmt: skip
        if self.parquet:
            return HistoryError(self.file, message, row=line, column=column, value=value)
        return HistoryError(self.file, message, line=line, column=column, value=value)


def _source(path: Path) -> _Source:
    """The file ``path``, refused unless it is named .csv or .parquet."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        what = f"file type {path.suffix!r}" if path.suffix else "a file name without a type"
        raise HistoryError(str(path), f"{what} is not supported; allowed: .csv, .parquet")
    return _Source(str(path), suffix == ".parquet")


class _Problems:
    """Each check's rows breaking it; ``raise_first`` raises the one earliest in the file
    (on one line, the check made first), saying how many rows break that check."""

    def __init__(self) -> None:
        self._best: tuple[int, int, Callable[[int, int], HistoryError], int] | None = None

    def add(self, hits: np.ndarray, lines: np.ndarray,
            make: Callable[[int, int], HistoryError]) -> None:  # fmt: skip
        """``hits``: positions (into ``lines``) of the rows breaking one check; ``make``
        the error of one of them, given its position and how many there are."""
        if hits.size == 0:
            return
        at = int(hits[np.argmin(lines[hits])])
        line = int(lines[at])
        if self._best is None or line < self._best[0]:
            self._best = (line, at, make, int(hits.size))

    def raise_first(self) -> None:
        if self._best is not None:
            _, at, make, count = self._best
            raise make(at, count)


def _counted(message: str, count: int) -> str:
    return message if count == 1 else f"{message} ({count:,} rows have this problem)"


class _Cells:
    """Checks of single cells of a table in file order."""

    def __init__(self, src: _Source, text: Mapping[str, pd.Series], lines: np.ndarray):
        self.src, self.text, self.lines = src, text, lines
        self.problems = _Problems()

    def check(self, column: str, bad: pd.Series | np.ndarray,
              message: str | Callable[[int], str], show: bool = True) -> None:  # fmt: skip
        """Rows where ``bad`` holds break the rule ``message`` (or ``message(i)`` for row
        ``i``); ``show``: quote the cell's value."""

        def make(i: int, count: int) -> HistoryError:
            said = message(i) if callable(message) else message
            value = self.text[column].iat[i] if show else _NO_VALUE
            return self.src.error(_counted(said, count), int(self.lines[i]), column, value)

        self.problems.add(np.flatnonzero(np.asarray(bad, dtype=bool)), self.lines, make)


# --- reading -------------------------------------------------------------------------------


def read_activities(path: str | Path, mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """The activities in the CSV or Parquet file ``path`` (through ``mapping``'s
    ``activities`` section, if given), checked cell by cell and lead by lead: the columns
    ``lead_id``, ``rep_id``, ``date``, ``kind``, those of ``grade``, ``source``,
    ``territory`` and ``deal_value`` the file has, and ``line``. Raises HistoryError for
    the first problem in the file."""
    path = Path(path)
    src = _source(path)
    text, lines = _read_table(src, path, _ACTIVITIES, mapping)
    return _activities_frame(src, text, lines)


def read_roster_history(path: str | Path, mapping: ColumnMapping | None = None) -> pd.DataFrame:
    """The roster history in the CSV or Parquet file ``path`` (through ``mapping``'s
    ``roster`` section, if given), checked row by row: the columns ``id``, ``role``,
    ``group``, ``hire_date``, those of ``class``, ``on_post_date``, ``leave_date``,
    ``leave_reason`` and ``territory`` the file has, and ``line``. Raises HistoryError
    for the first problem in the file."""
    path = Path(path)
    src = _source(path)
    text, lines = _read_table(src, path, _ROSTER, mapping)
    return _roster_frame(src, text, lines)


def _read_table(src: _Source, path: Path, table: _Table, mapping: ColumnMapping | None
                ) -> tuple[dict[str, pd.Series], np.ndarray]:  # fmt: skip
    """The cells of a history file as stripped text ("" where empty) under their canonical
    names, and each row's line (CSV) or row (Parquet)."""
    with _open_regular(src, path) as stream:
        if src.parquet:
            names, cells, lines = _parse_parquet(src, stream)
        else:
            names, cells, lines = _parse_csv(src, _decode(src, stream.read(MAX_HISTORY_BYTES + 1)))
    if not len(lines):
        raise HistoryError(src.file, "no rows: the file has the column names only")
    section = None if mapping is None else getattr(mapping, table.section)
    text = _canonical(src, table, names, cells, mapping, section)
    if section is not None:
        for column, pairs in section.values.items():
            if column in text and pairs:
                given = text[column].to_numpy(dtype=object)
                text[column] = _object(np.array([pairs.get(c, c) for c in given], dtype=object))
    return text, lines


def _open_regular(src: _Source, path: Path) -> IO[bytes]:
    """``path`` opened for reading, once known to be a regular file (not a folder, a named
    pipe, whose reading would wait forever, or a device) of at most MAX_HISTORY_BYTES."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise HistoryError(src.file, "file not found") from None
    except OSError as exc:
        raise HistoryError(src.file, f"cannot be read ({_reason(exc)})") from None
    if not stat.S_ISREG(info.st_mode):
        kinds = ((stat.S_ISDIR, "is a folder, not a file"),
                 (stat.S_ISFIFO, "is a named pipe (FIFO), not a regular file"),
                 (stat.S_ISCHR, "is a character device, not a regular file"),
                 (stat.S_ISBLK, "is a block device, not a regular file"))  # fmt: skip
        what = next((w for test, w in kinds if test(info.st_mode)), "is not a regular file")
        raise HistoryError(src.file, what)
    if info.st_size > MAX_HISTORY_BYTES:
        raise HistoryError(src.file, f"file is {info.st_size:,} bytes; at most "
                           f"{MAX_HISTORY_BYTES:,} (2 GiB) are allowed")  # fmt: skip
    try:
        return path.open("rb")
    except OSError as exc:
        raise HistoryError(src.file, f"cannot be read ({_reason(exc)})") from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _decode(src: _Source, raw: bytes) -> str:
    """The text of a CSV file: UTF-8, without Excel's byte-order mark."""
    if len(raw) > MAX_HISTORY_BYTES:  # it grew since stat
        raise HistoryError(src.file, f"file is over {MAX_HISTORY_BYTES:,} bytes (2 GiB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise src.error(f"is not UTF-8 text ({exc.reason} at byte offset {exc.start:,}); save "
                        "the file as UTF-8 (in Excel: CSV UTF-8)", line,
                        value=raw[exc.start : exc.end]) from None  # fmt: skip
    return text.removeprefix("\ufeff")


def _parse_csv(src: _Source, text: str) -> tuple[list[str], list[pd.Series], np.ndarray]:
    """A CSV file's column names, its columns (stripped text) and each row's line. Blank
    lines, and rows whose cells are all empty, are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        header_lines = reader.line_num
        records = list(reader)
    except csv.Error as exc:
        _, line = _row_starts(text)
        raise src.error(
            f"not a CSV file that can be read ({exc}); check the quotes of this "
            "row: a cell starting with a quote ends with one",
            line,
        ) from None
    if header is None:
        raise HistoryError(src.file, "empty file; its first line names the columns")
    names = [h.strip() for h in header]
    if not any(names):
        raise src.error("no column names; the first line names the columns", 1)
    if reader.line_num == header_lines + len(records):  # every row is one line
        lines = np.arange(header_lines + 1, header_lines + len(records) + 1, dtype=np.int64)
    else:  # a quoted cell holds a line break: each row's first line, counted
        starts, _ = _row_starts(text)
        lines = np.asarray(starts[1:], dtype=np.int64)
    width = len(names)
    sizes = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    keep = np.ones(len(records), dtype=bool)
    for i in np.flatnonzero(sizes != width).tolist():
        if any(c.strip() for c in records[i]):
            raise src.error(f"{sizes[i]} cells, but the header (line 1) has {width}; a cell "
                            "holding a comma needs quotes", int(lines[i]))  # fmt: skip
        keep[i] = False  # a blank line
    if not keep.all():
        records = [r for r, k in zip(records, keep.tolist(), strict=True) if k]
        lines = lines[keep]
    cells = [_object([r[i].strip() for r in records]) for i in range(width)]
    empty = np.logical_and.reduce([(c == "").to_numpy(dtype=bool) for c in cells])
    if empty.any():  # rows of empty cells (",,,")
        cells = [c[~empty].reset_index(drop=True) for c in cells]
        lines = lines[~empty]
    return names, cells, lines


def _row_starts(text: str) -> tuple[list[int], int]:
    """The line each row of a CSV text starts on (a quoted cell may hold line breaks), and
    the line of the row that cannot be read, if any (else 0)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    starts: list[int] = []
    last = 0
    try:
        for _ in reader:
            starts.append(last + 1)
            last = reader.line_num
    except csv.Error:
        return starts, last + 1
    return starts, 0


def _object(values: list[str] | np.ndarray) -> pd.Series:
    """Text values as a Series of dtype object (pandas 3 would make them ``str``)."""
    return pd.Series(values, dtype=np.dtype(object))


def _stripped(cells: pd.Series) -> pd.Series:
    return _object(cells.str.strip().to_numpy(dtype=object))


def _parse_parquet(src: _Source, stream: IO[bytes]
                   ) -> tuple[list[str], list[pd.Series], np.ndarray]:  # fmt: skip
    """A Parquet file's column names, its columns as text and each row's number."""
    try:
        table = pq.ParquetFile(stream).read()
    except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise HistoryError(src.file, f"not a Parquet file that can be read ({reason})") from None
    names = [str(n).strip() for n in table.column_names]
    cells = []
    for name, column in zip(names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
            column = column.cast(kind)
        if pa.types.is_date(kind):
            column = column.cast(pa.string())
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                  or pa.types.is_integer(kind) or pa.types.is_floating(kind)
                  or pa.types.is_decimal(kind) or pa.types.is_timestamp(kind)
                  or pa.types.is_null(kind)):  # fmt: skip
            raise src.error(f"holds values of type {kind}; allowed: text, numbers and dates",
                            column=name)  # fmt: skip
        cells.append(_as_text(column.to_pandas()))
    return names, cells, np.arange(1, table.num_rows + 1, dtype=np.int64)


def _as_text(values: pd.Series) -> pd.Series:
    """A column of a Parquet file or of a table to write as the text of its cells ("" where
    missing), stripped: dates as YYYY-MM-DD (with the time of day, if any, so that it is
    refused), numbers as Python writes them, whole numbers without ``.0``."""
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _object(values.astype(str).where(values.notna(), "").to_numpy(dtype=object))
    if pd.api.types.is_datetime64_dtype(values.dtype):
        day = values.dt.strftime("%Y-%m-%d")
        timed = values.notna() & (values != values.dt.normalize())
        text = day.where(~timed, values.astype(str)).where(values.notna(), "")
        return _object(text.to_numpy(dtype=object))
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return _stripped(values.fillna(""))
    return _object([_cell_text(v) for v in values.to_numpy(dtype=object)])


def _cell_text(value: object) -> str:
    """One value as the (stripped) text of a cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, dt.datetime):
        timed = value.time() != dt.time()
        return value.isoformat(sep=" ") if timed or value.tzinfo else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _canonical(src: _Source, table: _Table, names: list[str], cells: list[pd.Series],
               mapping: ColumnMapping | None, section: TableMapping | None
               ) -> dict[str, pd.Series]:  # fmt: skip
    """The file's columns under their canonical names: mapped, ignored ones left out;
    refuses a name used twice, a column that is neither canonical, mapped nor ignored,
    and a missing required column."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise src.error(f"the column name is used twice (columns {seen[name] + 1} and "
                            f"{i + 1}); each column needs a name of its own", src.header,
                            column=name)  # fmt: skip
        seen[name] = i
    columns = dict(section.columns) if section is not None else {}
    ignored = set(section.ignore) if section is not None else set()
    mapping_file = mapping.file if mapping is not None else ColumnMapping().file
    for canonical, name in columns.items():
        if name not in seen:
            listed = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
            raise HistoryError(mapping_file, f"is not a column of {src.file} (its columns: "
                               f"{listed})", key=f"{table.section}.columns.{canonical}",
                               value=name)  # fmt: skip
    renamed = {name: canonical for canonical, name in columns.items()}
    text: dict[str, pd.Series] = {}
    origin: dict[str, str] = {}
    unknown = []
    for name, column in zip(names, cells, strict=True):
        if name in ignored and name not in renamed:
            continue
        canonical = renamed.get(name, name)
        if canonical not in table.columns:
            unknown.append(name)
            continue
        if canonical in text:
            first, second = sorted((origin[canonical], name), key=lambda n: n != canonical)
            raise src.error(f"two columns would be {canonical}: {first!r} and {second!r} "
                            f"(mapped under {table.section}.columns); list {first!r} under "
                            f"{table.section}: ignore: in the mapping file", src.header,
                            column=canonical)  # fmt: skip
        text[canonical], origin[canonical] = column, name
    if unknown:
        shown = ", ".join(repr(n) for n in unknown[:SHOWN_NAMES])
        more = f" and {len(unknown) - SHOWN_NAMES} more" if len(unknown) > SHOWN_NAMES else ""
        raise src.error(f"unknown column{'s' if len(unknown) > 1 else ''} {shown}{more}; the "
                        f"{table.title} columns are {', '.join(table.required)} and optionally "
                        f"{', '.join(table.optional)}: map them to these names, or list them "
                        f"under {table.section}: ignore:, in a --columns mapping file",
                        src.header)  # fmt: skip
    for needed in table.required:
        if needed not in text:
            hint = (f"map a column of the file to it under {table.section}: columns: in "
                    f"{mapping_file}" if mapping is not None else "name a column so, or map "
                    "one to it in a --columns mapping file")  # fmt: skip
            raise src.error(f"missing column; the {table.title} needs the columns "
                            f"{', '.join(table.required)} ({hint})", src.header,
                            column=needed)  # fmt: skip
    return {c: text[c] for c in table.columns if c in text}


# --- the rules -----------------------------------------------------------------------------


def _dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Date cells as datetime64[ns] (NaT where empty or not a date) and where a cell is
    given but not a date written YYYY-MM-DD within FIRST_YEAR..LAST_YEAR."""
    given = (text != "").to_numpy(dtype=bool)
    shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
    parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
    ok = (parsed.notna() & parsed.dt.year.between(FIRST_YEAR, LAST_YEAR)).to_numpy(dtype=bool)
    dates = parsed.where(ok).astype("datetime64[ns]")
    return dates, given & ~ok


def _numbers(text: pd.Series, given: np.ndarray) -> np.ndarray:
    """Number cells as floats, exactly as Python reads them (pandas' own parser may lose
    the last digit); NaN where empty or not a number."""
    cells = text.to_numpy(dtype=object).copy()
    cells[~given] = "nan"
    try:
        return cells.astype(float)
    except ValueError:  # some cell is not a number: read one by one
        return np.array([_number(c) for c in cells], dtype=float)


def _number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def _missing_as_none(text: pd.Series) -> pd.Series:
    """A text column as read: Python str, None where the cell is empty."""
    values = text.to_numpy(dtype=object).copy()
    values[values == ""] = None
    return _object(values)


def _empty(n: int) -> pd.Series:
    return _object([""] * n)


def _activities_frame(src: _Source, text: dict[str, pd.Series], lines: np.ndarray
                      ) -> pd.DataFrame:  # fmt: skip
    """The activities frame of checked text cells, or HistoryError."""
    n = len(lines)
    cells = _Cells(src, text, lines)
    kind = text["kind"]
    kinds = kind.to_numpy(dtype=object)
    cells.check("lead_id", text["lead_id"] == "", "empty; every row needs a lead_id", False)
    cells.check("rep_id", (text["rep_id"] == "") & (kind != "lost"), "empty; every row but a "
                "lost one needs the rep_id of the rep it is about (a lead that expired in "
                "the public pool has none)", False)  # fmt: skip
    date, bad = _dates(text["date"])
    cells.check("date", text["date"] == "", f"empty; every row needs a date ({_DATE_RULE})",
                False)  # fmt: skip
    cells.check("date", bad, f"is not a date; {_DATE_RULE}")
    cells.check("kind", ~kind.isin(ACTIVITY_KINDS),
                f"is not a kind; allowed: {', '.join(ACTIVITY_KINDS)}")  # fmt: skip
    for column, allowed, what in (("grade", GRADES, "a grade"), ("source", SOURCES, "a source")):
        if column in text:
            cells.check(column, (text[column] != "") & ~text[column].isin(allowed),
                        f"is not {what}; allowed: {', '.join(allowed)} or empty")  # fmt: skip
    deal = None
    if "deal_value" in text:
        given = text["deal_value"] != ""
        signed = kind == "signed"
        deal = pd.Series(_numbers(text["deal_value"], given.to_numpy(dtype=bool)))
        cells.check("deal_value", signed & ~given, "empty; a signed row needs the deal's value "
                    "(a number >= 0)", False)  # fmt: skip
        cells.check("deal_value", ~signed & given, lambda i: f"is given on a {kinds[i]!r} "
                    "row; only signed rows have a deal_value (leave it empty)")  # fmt: skip
        cells.check("deal_value", given & deal.isna(), "is not a number; write e.g. "
                    "12500 or 12500.50, without thousands separators or currency")  # fmt: skip
        cells.check("deal_value", np.isinf(deal), "is not a finite number")
        cells.check("deal_value", deal < 0, "is negative; a deal_value is a number >= 0")
    cells.problems.raise_first()
    _check_leads(src, text, kinds, date, lines)
    frame: dict[str, Any] = {
        "lead_id": text["lead_id"].astype(object),
        "rep_id": _missing_as_none(text["rep_id"]),
        "date": date,
        "kind": kind.astype(object),
    }
    for column in ("grade", "source", "territory"):
        if column in text:
            frame[column] = _missing_as_none(text[column])
    if deal is not None:
        frame["deal_value"] = deal
    frame[LINE] = lines
    return pd.DataFrame(frame, index=pd.RangeIndex(n))


def _check_leads(src: _Source, text: Mapping[str, pd.Series], kinds: np.ndarray,
                 date: pd.Series, lines: np.ndarray) -> None:  # fmt: skip
    """The per-lead rules, vectorised: the rows are sorted by lead, date and stage rank
    (then file order), and each rule compares a row with its lead's first row of a kind."""
    n = len(lines)
    code, leads = pd.factorize(text["lead_id"])
    kind = pd.Categorical(kinds, categories=ACTIVITY_KINDS).codes.astype(np.int64)
    rank = np.array([STAGE_RANK[k] for k in ACTIVITY_KINDS])[kind]
    day = date.to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((np.arange(n), rank, day, code))
    lead, k, d, ln = code[order], kind[order], day[order], lines[order]
    new = np.ones(n, dtype=bool)
    new[1:] = lead[1:] != lead[:-1]
    first_row = np.maximum.accumulate(np.where(new, np.arange(n), 0))  # the lead's first row
    date_text = text["date"].to_numpy(dtype=object)
    problems = _Problems()

    def first_of(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each lead's first row where ``mask`` holds (-1 for none), and the rows where it
        holds again (positions in the sorted rows)."""
        at = np.flatnonzero(mask)
        again = np.zeros(at.size, dtype=bool)
        again[1:] = lead[at][1:] == lead[at][:-1]
        firsts = np.full(len(leads), -1, dtype=np.int64)
        firsts[lead[at[~again]]] = at[~again]
        return firsts, at[again]

    def lead_of(j: int) -> str:
        return repr(str(leads[lead[j]]))

    def row(j: int) -> str:  # "line 7 (call, 2024-01-03)"
        return f"{src.where(int(ln[j]))} ({kinds[order[j]]}, {date_text[order[j]]})"

    def add(hits: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        def make(j: int, count: int) -> HistoryError:
            value = text[column].iat[int(order[j])]
            return src.error(_counted(message(j), count), int(ln[j]), column, value)

        problems.add(hits, ln, make)

    is_kind = {name: k == ACTIVITY_KINDS.index(name) for name in ACTIVITY_KINDS}

    # 1. one record at most, the lead's first row
    records, again = first_of(is_kind["record"])

    def second_record(j: int) -> str:
        first = row(int(records[lead[j]]))
        return f"is the second record of lead {lead_of(j)}; the first is {first}; a lead has one"

    def record_late(j: int) -> str:
        before = row(int(first_row[j]))
        return (f"is the date of the record of lead {lead_of(j)}, but {before} is before it; a "
                "lead's record is its first row")  # fmt: skip

    add(again, "kind", second_record)
    add(np.flatnonzero(is_kind["record"] & ~new), "date", record_late)

    # 2. one first_visit and one entered at most
    visits, again = first_of(is_kind["first_visit"])

    def second_visit(j: int) -> str:
        first = row(int(visits[lead[j]]))
        return (
            f"is the second first_visit of lead {lead_of(j)}; the first is {first}; a lead has one"
        )

    add(again, "kind", second_visit)
    entries, again = first_of(is_kind["entered"])

    def second_entry(j: int) -> str:
        first = row(int(entries[lead[j]]))
        return (f"is the second entered row of lead {lead_of(j)}; the first is {first}; a lead "
                "enters the CRM once")  # fmt: skip

    add(again, "kind", second_entry)

    # 3. follow-ups after the first visit
    followups = np.flatnonzero(is_kind["followup"])
    visit_of = visits[lead[followups]]
    early = (visit_of >= 0) & (d[followups] < d[np.maximum(visit_of, 0)])

    def no_visit(j: int) -> str:
        return f"is on lead {lead_of(j)}, which has no first_visit; {_AFTER_VISIT}"

    def before_visit(j: int) -> str:
        visit = row(int(visits[lead[j]]))
        return f"is before the first_visit of lead {lead_of(j)} on {visit}; {_AFTER_VISIT}"

    add(followups[visit_of < 0], "kind", no_visit)
    add(followups[early], "date", before_visit)

    # 4. one close at most, and nothing after it
    closes, again = first_of(is_kind["signed"] | is_kind["lost"])
    close_of = closes[lead]
    after = np.flatnonzero((close_of >= 0) & (d > d[np.maximum(close_of, 0)]))

    def closed_twice(j: int) -> str:
        first = row(int(closes[lead[j]]))
        return (f"closes lead {lead_of(j)} twice: {first} and {row(j)}; a lead is signed or "
                "lost once at most")  # fmt: skip

    def after_close(j: int) -> str:
        close = row(int(closes[lead[j]]))
        return (f"is after lead {lead_of(j)} was closed on {close}; no row may come after "
                "the lead was closed")  # fmt: skip

    add(again, "kind", closed_twice)
    add(after, "date", after_close)

    # 5. a lead's grade and source agree (its territory may change: a re-split moves
    # accounts to another territory)
    for column in ("grade", "source"):
        if column in text:
            values = text[column].to_numpy(dtype=object)[order]
            add(*_disagreeing(column, values, lead, len(leads), lead_of, src, ln))
    problems.raise_first()


_AFTER_VISIT = "follow-ups come after the first visit"


def _disagreeing(column: str, values: np.ndarray, lead: np.ndarray, leads: int,
                 lead_of: Callable[[int], str], src: _Source, ln: np.ndarray
                 ) -> tuple[np.ndarray, str, Callable[[int], str]]:  # fmt: skip
    """The rows (sorted by lead) giving a ``column`` value that differs from the first one
    their lead gives, the column, and the message for one of them."""
    given = np.flatnonzero(values != "")
    codes, _ = pd.factorize(values)
    again = np.zeros(given.size, dtype=bool)
    again[1:] = lead[given][1:] == lead[given][:-1]
    firsts = np.full(leads, -1, dtype=np.int64)
    firsts[lead[given[~again]]] = given[~again]
    differ = given[codes[given] != codes[firsts[lead[given]]]]

    def disagrees(j: int) -> str:
        first = int(firsts[lead[j]])
        return (f"disagrees with the {column} {values[first]!r} of lead {lead_of(j)} on "
                f"{src.where(int(ln[first]))}; a lead's {column} is the same on every row "
                "that gives it")  # fmt: skip

    return differ, column, disagrees


def _roster_frame(src: _Source, text: dict[str, pd.Series], lines: np.ndarray) -> pd.DataFrame:
    """The roster history frame of checked text cells, or HistoryError."""
    n = len(lines)
    cells = _Cells(src, text, lines)
    ident, role = text["id"], text["role"]
    ids = ident.to_numpy(dtype=object)
    cells.check("id", ident == "", "empty; every person needs an id", False)
    cells.check(
        "id",
        ident.duplicated() & (ident != ""),
        lambda i: (
            f"is also on {src.where(int(lines[np.argmax(ids == ids[i])]))}; each person has one row"
        ),
    )
    cells.check("role", ~role.isin(ROLES), f"is not a role; allowed: {', '.join(ROLES)}")
    cells.check("group", text["group"] == "", "empty; every person belongs to a group", False)
    if "class" in text:
        number = text["class"].str.fullmatch(r"\d{1,9}").to_numpy(dtype=bool)
        cells.check("class", (text["class"] != "") & ~number, "is not a whole number >= 0 "
                    "(the hiring class; 0 = already there when the history starts)")  # fmt: skip
    got = {c: text.get(c, _empty(n)) for c in ("on_post_date", "leave_date", "leave_reason")}
    dates = {}
    for column in ("hire_date", "on_post_date", "leave_date"):
        dates[column], bad = _dates(text.get(column, _empty(n)))
        cells.check(column, bad, f"is not a date; {_DATE_RULE}")
        if column == "hire_date":
            cells.check(column, (text[column] == "") & (role == "rep"), "empty; a rep needs "
                        f"a hire_date ({_DATE_RULE})", False)  # fmt: skip
    reason, leave = got["leave_reason"], got["leave_date"]
    cells.check("leave_reason", (reason != "") & ~reason.isin(LEAVE_REASONS),
                f"is not a leave reason; allowed: {', '.join(LEAVE_REASONS)}")  # fmt: skip
    cells.check("leave_reason", (reason != "") & (leave == ""), "is given, but leave_date is "
                "empty; a leave_reason goes with a leave_date")  # fmt: skip
    cells.check(
        "leave_reason",
        (reason == "") & (leave != ""),
        f"empty; a person with a leave_date needs a leave_reason ({', '.join(LEAVE_REASONS)})",
        False,
    )
    cells.check("on_post_date", reason.isin(NEVER_ON_POST) & (got["on_post_date"] != ""),
                lambda i: f"is given, but a rep who left as {reason.iat[i]} never went on "
                "post; leave on_post_date empty")  # fmt: skip
    hire, on_post, left = dates["hire_date"], dates["on_post_date"], dates["leave_date"]
    hire_text = text["hire_date"]
    cells.check("on_post_date", on_post < hire, lambda i: f"is before the hire_date "
                f"{hire_text.iat[i]}; hire_date <= on_post_date <= leave_date")  # fmt: skip
    cells.check(
        "leave_date",
        left < on_post,
        lambda i: (
            f"is before the on_post_date "
            f"{got['on_post_date'].iat[i]}; hire_date <= on_post_date <= leave_date"
        ),
    )
    cells.check("leave_date", left < hire, lambda i: f"is before the hire_date "
                f"{hire_text.iat[i]}; hire_date <= on_post_date <= leave_date")  # fmt: skip
    cells.problems.raise_first()
    frame: dict[str, Any] = {"id": ident.astype(object), "role": role.astype(object),
                             "group": text["group"].astype(object)}  # fmt: skip
    for column in ROSTER_COLUMNS[3:] + ROSTER_OPTIONAL:
        if column not in text:
            continue
        if column in _DATE_COLUMNS:
            frame[column] = dates[column]
        elif column == "class":
            given = text[column].where(text[column] != "")
            frame[column] = pd.to_numeric(given).astype("Int64")
        else:
            frame[column] = _missing_as_none(text[column])
    frame[LINE] = lines
    return pd.DataFrame(frame, index=pd.RangeIndex(n))


def check_consistent(activities: pd.DataFrame, roster: pd.DataFrame,
                     activities_file: str | Path, roster_file: str | Path) -> None:  # fmt: skip
    """Check that every rep id in ``activities`` (as read from ``activities_file``) is an
    id in ``roster`` (as read from ``roster_file``). Raises HistoryError naming the first
    row with an unknown id (its line, or row in a Parquet file) and how many rows use
    unknown ids."""
    src = _Source(str(activities_file), Path(activities_file).suffix.lower() == ".parquet")
    reps = activities["rep_id"].reset_index(drop=True)
    unknown = (reps.notna() & ~reps.isin(roster["id"].dropna().unique())).to_numpy(dtype=bool)
    if not unknown.any():
        return
    if LINE in activities:
        lines = activities[LINE].to_numpy(dtype=np.int64)
    else:
        lines = np.arange(len(reps), dtype=np.int64) + (1 if src.parquet else 2)
    hits = np.flatnonzero(unknown)
    at = int(hits[np.argmin(lines[hits])])
    different = reps[unknown].nunique()
    raise src.error(f"is not an id in the roster history {roster_file}; {hits.size:,} "
                    f"row{'s use' if hits.size > 1 else ' uses'} rep ids that are not in it "
                    f"({different:,} different id{'s' if different > 1 else ''}); every rep "
                    "in the activities needs a row in the roster history", int(lines[at]),
                    "rep_id", reps.iat[at])  # fmt: skip


# --- writing -------------------------------------------------------------------------------


def write_activities(df: pd.DataFrame, path: str | Path) -> None:
    """Write the activities ``df`` (canonical columns; ``line`` is left out) to ``path``,
    CSV or Parquet by its suffix, atomically: canonical columns in canonical order, dates
    as YYYY-MM-DD, empty cells for missing values. ``df`` is checked first as if read,
    and refused if it breaks a rule (HistoryError naming the line or row the file would
    have; nothing is written), so what is written reads back as ``df``."""
    _write(df, Path(path), _ACTIVITIES, _activities_frame)


def write_roster_history(df: pd.DataFrame, path: str | Path) -> None:
    """Write the roster history ``df`` to ``path`` as ``write_activities`` writes
    activities."""
    _write(df, Path(path), _ROSTER, _roster_frame)


def _write(df: pd.DataFrame, path: Path, table: _Table,
           build: Callable[[_Source, dict[str, pd.Series], np.ndarray], pd.DataFrame]
           ) -> None:  # fmt: skip
    from simsales.experiment.results import atomic_write

    src = _source(path)
    extra = [str(c) for c in df.columns if c not in table.columns and c != LINE]
    missing = [c for c in table.required if c not in df.columns]
    if extra or missing:
        what = f"unknown columns {extra}" if extra else f"missing columns {missing}"
        raise HistoryError(src.file, f"the {table.title} table has {what}; its columns are "
                           f"{', '.join(table.columns)}; nothing was written")  # fmt: skip
    if len(df) == 0:
        raise HistoryError(src.file, "the table has no rows; nothing was written")
    names = [c for c in table.columns if c in df.columns]
    text = {c: _as_text(df[c]) for c in names}
    lines = np.arange(len(df), dtype=np.int64) + (1 if src.parquet else 2)
    try:
        checked = build(src, text, lines)
    except HistoryError as exc:
        raise exc.reworded(f"{exc.message}; nothing was written") from None
    if src.parquet:
        data = _arrow_table(checked, names)
        atomic_write(path, lambda f: pq.write_table(data, f))
    else:
        atomic_write(path, lambda f: _write_csv(f, names, text))


def _write_csv(stream: IO[bytes], names: list[str], text: Mapping[str, pd.Series]) -> None:
    out = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # quotes a cell holding \r or \n
    writer.writerow(names)
    writer.writerows(zip(*(text[c].tolist() for c in names), strict=True))
    out.flush()
    out.detach()  # the caller syncs and closes the file


def _arrow_table(frame: pd.DataFrame, names: list[str]) -> pa.Table:
    """A checked frame as a Parquet table: dates as date32, text as strings, nulls for
    missing values."""
    arrays = {}
    for name in names:
        values = frame[name]
        missing = values.isna().to_numpy(dtype=bool)
        if name in _DATE_COLUMNS:
            days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            arrays[name] = pa.array(days, mask=missing, type=pa.date32())
        elif name == "deal_value":
            arrays[name] = pa.array(values.to_numpy(dtype=float), mask=missing, type=pa.float64())
        elif name == "class":
            whole = values.fillna(0).to_numpy(dtype=np.int64)
            arrays[name] = pa.array(whole, mask=missing, type=pa.int64())
        else:
            arrays[name] = pa.array(values.to_numpy(dtype=object), type=pa.string())
    return pa.table(arrays)

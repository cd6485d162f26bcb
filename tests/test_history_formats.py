"""A team's own history (simsales.history.formats, docs/history.md): the activities and
roster history files are read into canonical frames, every bad file is refused with one
error naming file, line (or Parquet row), column and value, CRM exports are read through
a mapping file, and what is written reads back the same."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simsales.history.formats import (
    ACTIVITY_KINDS,
    ColumnMapping,
    HistoryError,
    check_consistent,
    read_activities,
    read_mapping,
    read_roster_history,
    write_activities,
    write_roster_history,
)

ACT_HEADER = "lead_id,rep_id,date,kind,grade,source,territory,deal_value"
ACT_ROWS = [  # line 2 onwards
    "P1,R1,2024-01-02,record,,own,T1,",
    "P1,R1,2024-01-03,call,,own,T1,",
    "P1,R1,2024-01-05,first_visit,B,own,T1,",
    "P1,R1,2024-01-05,entered,B,own,T1,",
    "P1,R1,2024-01-09,followup,B,own,T1,",
    "P1,R1,2024-01-12,signed,B,own,T1,12500.5",
    "L2,R2,2024-01-04,entered,A,hq,T2,",
    "L2,,2024-03-04,lost,A,hq,T2,",
]
ROSTER_HEADER = "id,role,group,class,hire_date,on_post_date,leave_date,leave_reason,territory"
ROSTER_ROWS = [
    "S1,supervisor,G1,,,,,,",
    "R1,rep,G1,0,2023-01-02,2023-02-01,,,T1",
    "R2,rep,G1,1,2023-06-01,,2023-07-01,washed_out,",
    "R3,rep,G1,1,2023-06-01,2023-08-01,2024-01-31,quit,T2",
]


def table(header: str, rows: list[str], edits: dict[int, str] | None = None) -> str:
    """CSV text of ``rows`` with line ``n`` (the header is line 1) replaced by ``edits[n]``;
    an edit of the line after the last adds a row."""
    lines = [header, *rows]
    for line, row in sorted((edits or {}).items()):
        if line == len(lines) + 1:
            lines.append(row)
        else:
            lines[line - 1] = row
    return "\n".join(lines) + "\n"


def put(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def refused(read, path: Path, *args) -> HistoryError:
    with pytest.raises(HistoryError) as caught:
        read(path, *args)
    return caught.value


# --- reading good files ----------------------------------------------------------------------


def test_reads_activities_with_canonical_types(tmp_path):
    rows = [*ACT_ROWS[:2], "", *ACT_ROWS[2:]]  # a blank line 4
    spaced = " P1 , R1,2024-01-05,entered ,B,own,T1, "
    text = "\ufeff" + table(ACT_HEADER, rows, {6: spaced})  # with Excel's byte-order mark
    acts = read_activities(put(tmp_path, "activities.csv", text))
    assert list(acts.columns) == [*ACT_HEADER.split(","), "line"]
    assert acts["date"].dtype == "datetime64[ns]"
    assert acts["deal_value"].dtype == "float64"
    assert acts["line"].dtype == "int64"
    for column in ("lead_id", "rep_id", "kind", "grade", "source", "territory"):
        assert acts[column].dtype == object
    assert acts["line"].tolist() == [2, 3, 5, 6, 7, 8, 9, 10]  # the blank line 4 is skipped
    assert acts["kind"].tolist() == ["record", "call", "first_visit", "entered", "followup",
                                     "signed", "entered", "lost"]  # fmt: skip
    assert acts.loc[3, "lead_id"] == "P1" and acts.loc[3, "kind"] == "entered"  # stripped
    assert acts.loc[0, "date"] == pd.Timestamp("2024-01-02")
    assert acts.loc[7, "rep_id"] is None  # a lost lead without a rep
    assert acts.loc[0, "grade"] is None
    assert acts["deal_value"].isna().sum() == 7 and acts.loc[5, "deal_value"] == 12500.5
    assert isinstance(acts.loc[0, "lead_id"], str)


def test_reads_activities_with_only_required_columns(tmp_path):
    text = "kind,date,lead_id,rep_id\nentered,2024-01-04,L2,R2\nlost,2024-03-04,L2,\n"
    acts = read_activities(put(tmp_path, "a.csv", text))
    assert list(acts.columns) == ["lead_id", "rep_id", "date", "kind", "line"]
    assert acts["rep_id"].tolist() == ["R2", None]


def test_rows_of_one_day_are_in_stage_order_whatever_the_file_order(tmp_path):
    day = [
        "P1,R1,2024-01-02,signed,B,own,T1,100",
        "P1,R1,2024-01-02,followup,B,own,T1,",
        "P1,R1,2024-01-02,entered,B,own,T1,",
        "P1,R1,2024-01-02,first_visit,B,own,T1,",
        "P1,R1,2024-01-02,call,,own,T1,",
        "P1,R1,2024-01-02,record,,own,T1,",
    ]
    acts = read_activities(put(tmp_path, "a.csv", table(ACT_HEADER, day)))
    assert acts["kind"].tolist()[0] == "signed"  # rows keep the file's order
    day[0] = "P1,R1,2024-01-01,signed,B,own,T1,100"  # the day before: the rest come after it
    err = refused(read_activities, put(tmp_path, "b.csv", table(ACT_HEADER, day)))
    assert (err.line, err.column) == (3, "date")
    assert "no row may come after the lead was closed" in err.message


def test_reads_roster_with_canonical_types(tmp_path):
    roster = read_roster_history(put(tmp_path, "roster.csv", table(ROSTER_HEADER, ROSTER_ROWS)))
    assert list(roster.columns) == ["id", "role", "group", "hire_date", "class", "on_post_date",
                                    "leave_date", "leave_reason", "territory", "line"]  # fmt: skip
    assert roster["class"].dtype == "Int64"
    assert roster["class"].isna().tolist() == [True, False, False, False]
    assert roster["class"].tolist()[1:] == [0, 1, 1]
    for column in ("hire_date", "on_post_date", "leave_date"):
        assert roster[column].dtype == "datetime64[ns]"
    assert roster["hire_date"].isna().tolist() == [True, False, False, False]
    assert roster.loc[3, "leave_date"] == pd.Timestamp("2024-01-31")
    assert roster["leave_reason"].tolist() == [None, None, "washed_out", "quit"]
    assert roster["line"].tolist() == [2, 3, 4, 5]


# --- refusals ---------------------------------------------------------------------------------

A, R = "activities", "roster"
# fmt: off
CASES = [  # id, table, {line: its new row}, the error's line, column, a phrase of the error
    ("unknown kind", A, {3: "P1,R1,2024-01-03,visit,,own,T1,"},
     3, "kind", "'visit' is not a kind; allowed: record, call"),
    ("bad date", A, {6: "P1,R1,2024-02-30,followup,B,own,T1,"},
     6, "date", "'2024-02-30' is not a date; dates are written YYYY-MM-DD"),
    ("date in another form", A, {3: "P1,R1,03/01/2024,call,,own,T1,"},
     3, "date", "'03/01/2024' is not a date"),
    ("year out of range", A, {3: "P1,R1,0224-01-03,call,,own,T1,"},
     3, "date", "'0224-01-03' is not a date"),
    ("empty date", A, {3: "P1,R1,,call,,own,T1,"},
     3, "date", "date: empty; every row needs a date"),
    ("empty lead_id", A, {3: ",R1,2024-01-03,call,,own,T1,"},
     3, "lead_id", "empty; every row needs a lead_id"),
    ("empty rep_id on a call", A, {3: "P1,,2024-01-03,call,,own,T1,"},
     3, "rep_id", "empty; every row but a lost one needs the rep_id"),
    ("unknown grade", A, {4: "P1,R1,2024-01-05,first_visit,E,own,T1,"},
     4, "grade", "'E' is not a grade; allowed: A, B, C, D"),
    ("unknown source", A, {8: "L2,R2,2024-01-04,entered,A,web,T2,"},
     8, "source", "'web' is not a source; allowed: own, hq, referral"),
    ("deal_value on a followup", A, {6: "P1,R1,2024-01-09,followup,B,own,T1,100"},
     6, "deal_value", "'100' is given on a 'followup' row; only signed rows have a deal_value"),
    ("signed without deal_value", A, {7: "P1,R1,2024-01-12,signed,B,own,T1,"},
     7, "deal_value", "empty; a signed row needs the deal's value"),
    ("negative deal_value", A, {7: "P1,R1,2024-01-12,signed,B,own,T1,-5"},
     7, "deal_value", "'-5' is negative"),
    ("deal_value with a separator", A, {7: 'P1,R1,2024-01-12,signed,B,own,T1,"12,500"'},
     7, "deal_value", "'12,500' is not a number"),
    ("infinite deal_value", A, {7: "P1,R1,2024-01-12,signed,B,own,T1,inf"},
     7, "deal_value", "'inf' is not a finite number"),
    ("signed twice", A, {10: "P1,R1,2024-01-15,signed,B,own,T1,300"},
     10, "kind", "'signed' closes lead 'P1' twice: line 7 (signed, 2024-01-12) and line 10 "
     "(signed, 2024-01-15)"),
    ("signed and lost", A, {10: "P1,,2024-01-12,lost,B,own,T1,"},
     10, "kind", "twice: line 7 (signed, 2024-01-12) and line 10 (lost, 2024-01-12)"),
    ("row after the close", A, {10: "P1,R1,2024-01-20,followup,B,own,T1,"},
     10, "date", "'2024-01-20' is after lead 'P1' was closed on line 7 (signed, 2024-01-12); "
     "no row may come after the lead was closed"),
    ("followup before the first visit", A, {6: "P1,R1,2024-01-04,followup,B,own,T1,"},
     6, "date", "is before the first_visit of lead 'P1' on line 4 (first_visit, 2024-01-05)"),
    ("followup without a first visit", A, {10: "L2,R2,2024-01-10,followup,A,hq,T2,"},
     10, "kind", "'followup' is on lead 'L2', which has no first_visit"),
    ("record not first", A, {10: "P1,R1,2024-01-01,call,,own,T1,"},
     2, "date", "'2024-01-02' is the date of the record of lead 'P1', but line 10 (call, "
     "2024-01-01) is before it"),
    ("two records", A, {10: "P1,R1,2024-01-02,record,,own,T1,"},
     10, "kind", "'record' is the second record of lead 'P1'; the first is line 2 (record, "
     "2024-01-02)"),
    ("two first visits", A, {10: "P1,R1,2024-01-06,first_visit,B,own,T1,"},
     10, "kind", "is the second first_visit of lead 'P1'; the first is line 4 (first_visit, "
     "2024-01-05)"),
    ("entered twice", A, {10: "L2,R2,2024-01-05,entered,A,hq,T2,"},
     10, "kind", "is the second entered row of lead 'L2'; the first is line 8"),
    ("grade disagrees", A, {6: "P1,R1,2024-01-09,followup,C,own,T1,"},
     6, "grade", "'C' disagrees with the grade 'B' of lead 'P1' on line 4"),
    ("source disagrees", A, {9: "L2,,2024-03-04,lost,A,referral,T2,"},
     9, "source", "'referral' disagrees with the source 'hq' of lead 'L2' on line 8"),
    ("wrong cell count", A, {4: "P1,R1,2024-01-05,first_visit,B,own,T1,,extra"},
     4, None, "line 4: 9 cells, but the header (line 1) has 8"),
    ("too few cells", A, {5: "P1,R1,2024-01-05,entered"},
     5, None, "line 5: 4 cells, but the header (line 1) has 8"),
    ("duplicate id", R, {5: "R1,rep,G1,1,2023-06-01,2023-08-01,2024-01-31,quit,T2"},
     5, "id", "'R1' is also on line 3; each person has one row"),
    ("unknown role", R, {3: "R1,manager,G1,0,2023-01-02,2023-02-01,,,T1"},
     3, "role", "'manager' is not a role; allowed: rep, supervisor"),
    ("empty group", R, {3: "R1,rep,,0,2023-01-02,2023-02-01,,,T1"},
     3, "group", "empty; every person belongs to a group"),
    ("negative class", R, {3: "R1,rep,G1,-1,2023-01-02,2023-02-01,,,T1"},
     3, "class", "'-1' is not a whole number >= 0"),
    ("rep without hire_date", R, {3: "R1,rep,G1,0,,2023-02-01,,,T1"},
     3, "hire_date", "empty; a rep needs a hire_date"),
    ("on_post before hire", R, {3: "R1,rep,G1,0,2023-01-02,2022-12-01,,,T1"},
     3, "on_post_date", "'2022-12-01' is before the hire_date 2023-01-02"),
    ("leave before on_post", R, {5: "R3,rep,G1,1,2023-06-01,2023-08-01,2023-07-31,quit,T2"},
     5, "leave_date", "'2023-07-31' is before the on_post_date 2023-08-01"),
    ("washed_out on post", R, {4: "R2,rep,G1,1,2023-06-01,2023-06-15,2023-07-01,washed_out,"},
     4, "on_post_date", "'2023-06-15' is given, but a rep who left as washed_out never went "
     "on post"),
    ("leave_reason without leave_date", R, {3: "R1,rep,G1,0,2023-01-02,2023-02-01,,quit,T1"},
     3, "leave_reason", "'quit' is given, but leave_date is empty"),
    ("leave_date without leave_reason", R, {5: "R3,rep,G1,1,2023-06-01,2023-08-01,2024-01-31,,T2"},
     5, "leave_reason", "empty; a person with a leave_date needs a leave_reason"),
    ("unknown leave_reason", R, {5: "R3,rep,G1,1,2023-06-01,2023-08-01,2024-01-31,fired,T2"},
     5, "leave_reason", "'fired' is not a leave reason; allowed: washed_out, failed_trial"),
]
# fmt: on


@pytest.mark.parametrize(
    ("table_name", "edits", "line", "column", "phrase"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_refuses_a_bad_row(tmp_path, table_name, edits, line, column, phrase):
    if table_name == A:
        path = put(tmp_path, "activities.csv", table(ACT_HEADER, ACT_ROWS, edits))
        err = refused(read_activities, path)
    else:
        path = put(tmp_path, "roster.csv", table(ROSTER_HEADER, ROSTER_ROWS, edits))
        err = refused(read_roster_history, path)
    assert (err.file, err.line, err.row, err.column) == (str(path), line, None, column)
    where = f"{path}, line {line}" + (f", column {column}: " if column else ": ")
    assert str(err).startswith(where)
    assert phrase in str(err)
    assert "\n" not in str(err)


def test_a_lead_may_change_territory(tmp_path):
    """A re-split moves accounts to another territory: a lead's later rows may name it."""
    path = put(tmp_path, "activities.csv",
               table(ACT_HEADER, ACT_ROWS, {9: "L2,,2024-03-04,lost,A,hq,T3,"}))  # fmt: skip
    assert read_activities(path)["territory"].tolist()[-1] == "T3"


def test_an_error_reads_as_one_line_with_the_value(tmp_path):
    path = put(
        tmp_path, "a.csv", table(ACT_HEADER, ACT_ROWS, {3: ACT_ROWS[1].replace("call", "visit")})
    )
    err = refused(read_activities, path)
    assert str(err) == (
        f"{path}, line 3, column kind: 'visit' is not a kind; allowed: "
        "record, call, first_visit, entered, followup, signed, lost"
    )
    assert err.value == "visit" and err.has_value
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.line, again.column, again.value) == (str(err), 3, "kind", "visit")
    no_value = pickle.loads(pickle.dumps(HistoryError("a.csv", "file not found")))
    assert (no_value.has_value, str(no_value)) == (False, "a.csv: file not found")


def test_the_first_problem_in_the_file_is_named_with_a_count(tmp_path):
    edits = {
        3: "P1,R1,2024-01-03,visit,,own,T1,",
        4: "P1,R1,2024-13-05,first_visit,B,own,T1,",
        6: "P1,R1,2024-01-09,meeting,B,own,T1,",
    }
    err = refused(read_activities, put(tmp_path, "a.csv", table(ACT_HEADER, ACT_ROWS, edits)))
    assert (err.line, err.column) == (3, "kind")
    assert err.message.endswith("(2 rows have this problem)")


def test_lines_count_blank_lines_and_quoted_line_breaks(tmp_path):
    call_over_two_lines = ['P1,R1,2024-01-03,call,,own,"T1', '",']
    rows = [ACT_ROWS[0], "", *call_over_two_lines, "P1,R1,2024-01-05,visit,B,own,T1,"]
    err = refused(read_activities, put(tmp_path, "a.csv", table(ACT_HEADER, rows)))
    assert err.line == 6  # header 1, row 2, blank 3, a call on lines 4-5, the bad row 6
    rows[-1:] = [",,, ,,,,", ACT_ROWS[2]]  # a row of empty cells (Excel) is skipped too
    acts = read_activities(put(tmp_path, "b.csv", table(ACT_HEADER, rows)))
    assert acts["line"].tolist() == [2, 4, 7]
    assert acts["territory"].tolist() == ["T1", "T1", "T1"]  # the line break stripped


def test_unknown_rep_id_in_the_activities(tmp_path):
    edits = {3: "P1,R9,2024-01-03,call,,own,T1,", 5: "P1,R9,2024-01-05,entered,B,own,T1,"}
    acts = put(tmp_path, "a.csv", table(ACT_HEADER, ACT_ROWS, edits))
    roster = put(tmp_path, "r.csv", table(ROSTER_HEADER, ROSTER_ROWS))
    a, r = read_activities(acts), read_roster_history(roster)
    with pytest.raises(HistoryError) as caught:
        check_consistent(a, r, acts, roster)
    err = caught.value
    assert (err.file, err.line, err.column, err.value) == (str(acts), 3, "rep_id", "R9")
    assert f"'R9' is not an id in the roster history {roster}; 2 rows use rep ids" in str(err)
    check_consistent(a[a["rep_id"] != "R9"], r, acts, roster)  # no unknown id: no error


GOOD = table(ACT_HEADER, ACT_ROWS)
# fmt: off
FILE_CASES = [  # id, file name, content, the error's line, column, a phrase of the error
    ("unsupported suffix", "activities.txt", GOOD,
     None, None, "file type '.txt' is not supported; allowed: .csv, .parquet"),
    ("header only", "a.csv", ACT_HEADER + "\n\n",
     None, None, "no rows: the file has the column names only"),
    ("empty file", "a.csv", "",
     None, None, "empty file"),
    ("non-UTF-8", "a.csv", GOOD.replace("call,,own,T1", "call,,own,T\xe9").encode("latin-1"),
     3, None, "b'\\xe9' is not UTF-8 text (invalid continuation byte at byte offset 120)"),
    ("missing column", "a.csv", "lead_id,rep_id,date\nP1,R1,2024-01-02\n",
     1, "kind", "missing column; the activities needs the columns lead_id, rep_id, date, kind"),
    ("unknown columns", "a.csv",
     table(ACT_HEADER + ",Account name,Stage", [r + ",x,y" for r in ACT_ROWS]),
     1, None, "unknown columns 'Account name', 'Stage'; "),
    ("duplicate columns", "a.csv", table(ACT_HEADER + ",grade", [r + ",A" for r in ACT_ROWS]),
     1, "grade", "the column name is used twice (columns 5 and 9)"),
    ("unclosed quote", "a.csv", table(ACT_HEADER, ACT_ROWS, {3: 'P1,R1,2024-01-03,call,,"own'}),
     3, None, "not a CSV file that can be read (unexpected end of data); check the quotes"),
    ("text after a quote", "a.csv",
     table(ACT_HEADER, ACT_ROWS, {4: 'P1,R1,2024-01-05,first_visit,B,"own"x,T1,'}),
     4, None, "',' expected after '\"'"),
]
# fmt: on


@pytest.mark.parametrize(
    ("name", "content", "line", "column", "phrase"),
    [c[1:] for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
)
def test_refuses_a_bad_file(tmp_path, name, content, line, column, phrase):
    path = put(tmp_path, name, content)
    err = refused(read_activities, path)
    assert (err.file, err.line, err.column) == (str(path), line, column)
    assert phrase in str(err)


def test_unknown_columns_say_how_to_map_or_ignore_them(tmp_path):
    names = [f"Extra {i}" for i in range(7)]
    text = table(",".join([ACT_HEADER, *names]), [r + "," * 7 for r in ACT_ROWS])
    err = refused(read_activities, put(tmp_path, "a.csv", text))
    assert "'Extra 4' and 2 more" in err.message and "'Extra 5'" not in err.message
    assert "ignore:" in err.message and "--columns mapping file" in err.message


def test_refuses_a_folder_a_missing_file_a_pipe_and_a_device(tmp_path):
    (tmp_path / "folder.csv").mkdir()
    assert refused(read_activities, tmp_path / "folder.csv").message == "is a folder, not a file"
    assert refused(read_roster_history, tmp_path / "no.csv").message == "file not found"
    if sys.platform != "win32":
        os.mkfifo(tmp_path / "pipe.csv")  # reading it would wait forever
        assert "named pipe" in refused(read_activities, tmp_path / "pipe.csv").message
        (tmp_path / "device.csv").symlink_to("/dev/zero")  # reading it would never end
        assert "character device" in refused(read_activities, tmp_path / "device.csv").message


def test_refuses_a_file_over_2_gib(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(2 * 1024**3 + 1)  # sparse: nothing is written
    err = refused(read_activities, path)
    assert "2,147,483,649 bytes; at most 2,147,483,648 (2 GiB)" in err.message


# --- Parquet ----------------------------------------------------------------------------------


def test_parquet_errors_name_the_row(tmp_path):
    acts = read_activities(put(tmp_path, "a.csv", GOOD))
    data = acts.drop(columns="line").assign(kind=acts["kind"].replace("call", "visit"))
    path = tmp_path / "a.parquet"
    data.to_parquet(path)
    err = refused(read_activities, path)
    assert (err.line, err.row, err.column, err.value) == (None, 2, "kind", "visit")
    assert str(err).startswith(f"{path}, row 2, column kind: 'visit' is not a kind")


def test_reads_parquet_with_typed_columns(tmp_path):
    path = tmp_path / "r.parquet"
    columns = {
        "id": ["S1", "R1"],
        "role": pa.array(["supervisor", "rep"]).dictionary_encode(),
        "group": ["G1", "G1"],
        "class": pa.array([None, 2.0], type=pa.float64()),  # a whole number, as a float
        "hire_date": pa.array([None, pd.Timestamp("2023-01-02")], type=pa.timestamp("us")),
        "leave_date": pa.array([None, None], type=pa.date32()),
    }
    pq.write_table(pa.table(columns), path)
    roster = read_roster_history(path)
    assert roster["role"].tolist() == ["supervisor", "rep"]
    assert roster["class"].dtype == "Int64" and roster["class"].tolist()[1] == 2
    assert roster["hire_date"].tolist()[1] == pd.Timestamp("2023-01-02")
    assert roster["line"].tolist() == [1, 2]


def test_parquet_refusals(tmp_path):
    garbage = put(tmp_path, "bad.parquet", b"PAR1 this is not parquet")
    assert "not a Parquet file that can be read" in refused(read_activities, garbage).message
    timed = tmp_path / "timed.parquet"
    when = pa.array([pd.Timestamp("2023-01-02 10:30")], type=pa.timestamp("us"))
    columns = {"id": ["R1"], "role": ["rep"], "group": ["G"], "hire_date": when}
    pq.write_table(pa.table(columns), timed)
    err = refused(read_roster_history, timed)
    assert (err.row, err.column, err.value) == (1, "hire_date", "2023-01-02 10:30:00")
    nested = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"id": [["R1"]], "role": ["rep"], "group": ["G"]}), nested)
    err = refused(read_roster_history, nested)
    assert err.column == "id" and "holds values of type list" in err.message
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string())}), empty)
    assert "no rows" in refused(read_roster_history, empty).message


# --- mapping a CRM export ---------------------------------------------------------------------

CRM_HEADER = (
    "Activity Type,Opportunity ID,Owner,Activity Date,Rating,Lead Source,Region,Amount,Account name"
)
CRM_KINDS = {
    "record": "Prospect",
    "call": "Phone",
    "first_visit": "Site visit",
    "entered": "Created",
    "followup": "Follow-up",
    "signed": "Closed won",
    "lost": "Closed lost",
}
MAPPING = """\
activities:
  columns: {lead_id: Opportunity ID, rep_id: Owner, date: Activity Date, kind: Activity Type,
            grade: Rating, source: Lead Source, territory: Region, deal_value: Amount}
  kinds: {Prospect: record, Phone: call, Site visit: first_visit, Created: entered,
          Follow-up: followup, Closed won: signed, Closed lost: lost}
  sources: {Trade fair: hq}
  ignore: [Account name]
roster:
  columns: {id: Employee No, hire_date: Start}
  roles: {Sales: rep, Team lead: supervisor}
  leave_reasons: {Resigned: quit}
  ignore: [Email]
"""


def crm_row(row: str) -> str:
    """A canonical activities row as the CRM exports it (other columns, kinds, sources)."""
    lead, rep, date, kind, grade, source, territory, deal = row.split(",")
    source = "Trade fair" if source == "hq" else source
    return ",".join([CRM_KINDS[kind], lead, rep, date, grade, source, territory, deal, "Acme"])


def test_a_crm_export_read_through_a_mapping_equals_the_canonical_file(tmp_path):
    mapping = read_mapping(put(tmp_path, "columns.yaml", MAPPING))
    crm = put(tmp_path, "crm.csv", table(CRM_HEADER, [crm_row(r) for r in ACT_ROWS]))
    canonical = read_activities(put(tmp_path, "a.csv", GOOD))
    pd.testing.assert_frame_equal(read_activities(crm, mapping), canonical)
    hr = (
        "Employee No,role,group,Start,leave_date,leave_reason,Email\n"
        "E1,Sales,G1,2023-01-02,2023-05-31,Resigned,a@b\n"
        "E2,Team lead,G1,,,,c@d\n"
    )
    roster = read_roster_history(put(tmp_path, "hr.csv", hr), mapping)
    assert roster["id"].tolist() == ["E1", "E2"]
    assert roster["role"].tolist() == ["rep", "supervisor"]
    assert roster["leave_reason"].tolist() == ["quit", None]
    expected = ["id", "role", "group", "hire_date", "leave_date", "leave_reason", "line"]
    assert list(roster.columns) == expected


def test_an_unmapped_crm_value_is_refused_as_it_is_in_the_file(tmp_path):
    mapping = read_mapping(put(tmp_path, "columns.yaml", MAPPING))
    rows = [crm_row(r) for r in ACT_ROWS]
    rows[1] = rows[1].replace("Phone", "Email sent")
    err = refused(read_activities, put(tmp_path, "crm.csv", table(CRM_HEADER, rows)), mapping)
    assert (err.line, err.column, err.value) == (3, "kind", "Email sent")


# fmt: off
MAPPING_CASES = [  # id, mapping file, the error's key, a phrase of the error
    ("unknown section", "activity:\n  columns: {}\n",
     "activity", "unknown section; allowed: activities, roster"),
    ("unknown key", "activities:\n  colums: {lead_id: Opp}\n",
     "activities.colums", "unknown key; allowed: columns, kinds, sources, grades, ignore"),
    ("not a column", "activities:\n  columns: {lead: Opp}\n",
     "activities.columns.lead", "'lead' is not a column of the activities table; allowed:"),
    ("value mapped to an unknown kind", "activities:\n  kinds: {Site visit: visit}\n",
     "activities.kinds.Site visit", "'visit' is not a kind; allowed: record"),
    ("unknown leave reason", "roster:\n  leave_reasons: {Resigned: resigned}\n",
     "roster.leave_reasons.Resigned", "'resigned' is not a leave reason"),
    ("one column mapped twice", "roster:\n  columns: {group: Team, territory: Team}\n",
     "roster.columns.territory", "'Team' is mapped to both group and territory"),
    ("mapped and ignored", "roster:\n  columns: {id: Nr}\n  ignore: [Nr]\n",
     "roster.ignore", "'Nr' is also mapped under roster.columns (to id)"),
    ("ignore not a list", "roster:\n  ignore: Email\n",
     "roster.ignore", "'Email' must be a list of the file's column names"),
    ("a list for a value", "activities:\n  kinds: {Phone: [call]}\n",
     "activities.kinds.Phone", "['call'] must be text"),
    ("yes/no read as true/false", "roster:\n  columns: {id: No}\n",
     "roster.columns.id", "False must be text (put it in quotes)"),
]
# fmt: on


@pytest.mark.parametrize(
    ("content", "key", "phrase"),
    [c[1:] for c in MAPPING_CASES],
    ids=[c[0] for c in MAPPING_CASES],
)
def test_refuses_a_bad_mapping_file(tmp_path, content, key, phrase):
    path = put(tmp_path, "columns.yaml", content)
    err = refused(read_mapping, path)
    assert (err.file, err.key, err.line) == (str(path), key, None)
    assert str(err).startswith(f"{path}, key {key}: ")
    assert phrase in str(err)


def test_refuses_a_mapping_file_that_is_not_yaml_or_not_a_file(tmp_path):
    err = refused(read_mapping, put(tmp_path, "columns.yaml", "activities:\n  columns: {a: b\n"))
    assert "not a YAML file" in err.message and err.line == 3
    (tmp_path / "dir.yaml").mkdir()
    assert "is a directory" in refused(read_mapping, tmp_path / "dir.yaml").message
    empty = put(tmp_path, "empty.yaml", "")
    assert read_mapping(empty) == ColumnMapping(file=str(empty))


def test_a_mapped_column_missing_from_the_data_file(tmp_path):
    text = "activities:\n  columns: {lead_id: Opp ID}\n"
    mapping = read_mapping(put(tmp_path, "columns.yaml", text))
    data = put(tmp_path, "a.csv", GOOD)
    err = refused(read_activities, data, mapping)
    assert (err.file, err.key, err.value) == (mapping.file, "activities.columns.lead_id", "Opp ID")
    assert f"is not a column of {data} (its columns: 'lead_id', 'rep_id'" in err.message


def test_a_mapped_column_and_a_canonical_one_of_the_same_name(tmp_path):
    mapping = read_mapping(put(tmp_path, "columns.yaml", "activities:\n  columns: {date: When}\n"))
    text = table(ACT_HEADER + ",When", [r + ",2024-01-01" for r in ACT_ROWS])
    err = refused(read_activities, put(tmp_path, "a.csv", text), mapping)
    assert (err.line, err.column) == (1, "date")
    assert "two columns would be date: 'date' and 'When'" in err.message


# --- writing ----------------------------------------------------------------------------------


TEXT_COLUMNS = ["lead_id", "rep_id", "kind", "grade", "source", "territory"]


def exported_activities() -> pd.DataFrame:
    """Activities as read: text columns of dtype object (None where missing), dates,
    floats."""
    day = pd.Timestamp("2024-01-02")
    north, two_lines = 'Pudong, "North"', "line\nbreak"
    table = pd.DataFrame(
        {
            "lead_id": ["P1", "P1", "P1", "L2", "L2"],
            "rep_id": ["R1", "R1", "R1", "R2", None],
            "date": [day, day, day + pd.Timedelta(days=3), day, day + pd.Timedelta(days=30)],
            "kind": ["record", "call", "signed", "entered", "lost"],
            "grade": [None, None, "B", "A", "A"],
            "source": ["own", "own", "own", "hq", "hq"],
            "territory": [north, north, north, two_lines, two_lines],
            "deal_value": [np.nan, np.nan, 0.1 + 0.2, np.nan, np.nan],
        }
    )
    for column in TEXT_COLUMNS:  # pandas 3 would make them str
        table[column] = pd.Series(table[column].tolist(), dtype=object).replace({np.nan: None})
    table["date"] = table["date"].astype("datetime64[ns]")  # pandas 3 would make them [us]
    return table


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_activities_round_trip(tmp_path, suffix):
    made = exported_activities()
    path = tmp_path / f"activities{suffix}"
    write_activities(made, path)
    back = read_activities(path)
    pd.testing.assert_frame_equal(back.drop(columns="line"), made)
    assert back.loc[2, "deal_value"] == 0.1 + 0.2  # every digit kept
    again = tmp_path / f"again{suffix}"
    write_activities(back, again)
    pd.testing.assert_frame_equal(read_activities(again), back)
    if suffix == ".csv":
        assert path.read_text(encoding="utf-8").splitlines()[0] == ACT_HEADER
        assert back["line"].tolist() == [2, 3, 4, 5, 7]  # row 5 has a line break in a cell
    else:
        assert back["line"].tolist() == [1, 2, 3, 4, 5]
        assert pq.read_schema(path).field("date").type == pa.date32()


def test_writes_text_of_any_string_dtype_and_dates_of_any_resolution(tmp_path):
    made = exported_activities()
    other = made.astype({c: "string" for c in TEXT_COLUMNS})  # pd.NA where missing
    other["date"] = other["date"].astype("datetime64[s]")
    write_activities(other, tmp_path / "a.csv")
    pd.testing.assert_frame_equal(read_activities(tmp_path / "a.csv").drop(columns="line"), made)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_roster_round_trip(tmp_path, suffix):
    roster = read_roster_history(put(tmp_path, "r.csv", table(ROSTER_HEADER, ROSTER_ROWS)))
    shuffled = roster.sample(frac=1, random_state=1)
    path = tmp_path / f"roster{suffix}"
    write_roster_history(shuffled[shuffled.columns[::-1]], path)  # any column order
    back = read_roster_history(path)
    expected = shuffled.reset_index(drop=True).drop(columns="line")
    pd.testing.assert_frame_equal(back.drop(columns="line"), expected)
    assert back["id"].tolist() == shuffled["id"].tolist()


def test_writing_refuses_a_table_that_breaks_a_rule(tmp_path):
    bad = exported_activities()
    bad.loc[1, "kind"] = "visit"
    path = tmp_path / "a.csv"
    with pytest.raises(HistoryError) as caught:
        write_activities(bad, path)
    err = caught.value
    assert (err.file, err.line, err.column, err.value) == (str(path), 3, "kind", "visit")
    assert err.message.startswith("is not a kind; allowed:")
    assert err.message.endswith("; nothing was written")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(HistoryError, match=r"unknown columns \['notes'\]"):
        write_activities(exported_activities().assign(notes="x"), path)
    with pytest.raises(HistoryError, match="allowed: .csv, .parquet"):
        write_activities(exported_activities(), tmp_path / "a.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_the_kinds_are_in_stage_order():
    assert ACTIVITY_KINDS == (
        "record", "call", "first_visit", "entered", "followup", "signed", "lost"
    )  # fmt: skip

"""Hostile names, unwritable folders and damaged results stores (issue 15, items 1, 7, 11):
nothing is written outside ``--out``; a folder that cannot be written is one clear error
and leaves no temporary file; damaged, misplaced or unverified shards are computed again
(and the run says how many), giving exactly the tables of an undamaged run."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simsales
from simsales.cli import app
from simsales.experiment.results import TABLES
from simsales.experiment.store import STORE, ResultsStore, StoreError, inside, scenario_folder
from tests.conftest import BASELINE, small_overrides

runner = CliRunner()
TINY = ["-r", "6", "-w", "1", "--seed", "3", "--no-progress", "--set", "horizon.months=1",
        "--set", "horizon.warmup_months=0"]  # fmt: skip


def columns(value: int) -> dict:
    """A replication's tables, as ``simulate`` returns them (small and made up)."""
    return {table: {"x": np.arange(3) + value, "label": np.array(["a", "b", "c"], dtype=object)}
            for table in TABLES}  # fmt: skip


def files_outside(root: Path, out: Path) -> list[Path]:
    """Every file or folder under ``root`` that is neither ``out`` nor inside it."""
    return [p for p in root.rglob("*") if p != out and out not in p.parents]


def only_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def no_temporary_files(out: Path) -> None:
    assert [p for p in out.rglob(".*")] == [], "a temporary file or folder was left"


# --- 1. a scenario name never leads outside the store ----------------------------------


UNSAFE = ["{root}/escape", "../../escape", "a/../../../escape", "..", ".", ".hidden",
          "a\x00b", "back\\slash", "", "x" * 300, "p $\\frac{1}$"]  # fmt: skip


@pytest.mark.parametrize("pattern", UNSAFE)
def test_an_unsafe_scenario_name_is_stored_inside_the_store(tmp_path, pattern):
    name = pattern.replace("{root}", str(tmp_path))
    out = tmp_path / "deep" / "er" / "out"
    store = ResultsStore(out, {name: "hash"}, 1, {})
    store.write(name, 0, columns(5))
    assert set(files_outside(tmp_path, out)) == {tmp_path / "deep", tmp_path / "deep" / "er"}
    folder = out / "shards" / scenario_folder(name)
    assert folder.is_dir() and folder.parent == out / "shards"
    assert ResultsStore(out, {name: "hash"}, 1, {}).done(name) == {0}
    assert list(store.read(name, [0])[0]["team_month"]["x"]) == [5, 6, 7]
    assert json.loads((out / STORE).read_text())["scenarios"] == {name: "hash"}


def test_safe_names_keep_their_folder_and_unsafe_ones_get_distinct_slugs():
    assert scenario_folder("baseline") == "baseline"
    assert scenario_folder("baseline[3]") == "baseline[3]"
    assert scenario_folder("plan B, 80 reps (v2)") == "plan B, 80 reps (v2)"
    assert scenario_folder("trailing ").startswith("trailing-")
    a, b = scenario_folder("a/b"), scenario_folder("a\\b")
    assert a != b and a.startswith("a_b-") and len(a) == len("a_b-") + 12
    assert scenario_folder("..").startswith("scenario-")


def test_a_link_out_of_the_store_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    store = ResultsStore(out, {"baseline": "h"}, 1, {})
    (out / "shards").mkdir()
    (out / "shards" / "baseline").symlink_to(elsewhere)
    with pytest.raises(StoreError, match="leads outside"):
        store.write("baseline", 0, columns(0))
    assert list(elsewhere.iterdir()) == []
    (out / "baseline").symlink_to(elsewhere)
    with pytest.raises(StoreError, match="leads outside"):
        inside(out, "baseline")


def test_a_run_named_like_a_path_writes_only_inside_out(tmp_path):
    base = simsales.load_scenario(BASELINE).with_overrides(small_overrides(months=1))
    hostile = base.model_copy(update={"name": f"{tmp_path}/escape"})  # skips any name check
    out = tmp_path / "out"
    res = simsales.run(hostile, replications=2, seed=1, workers=1, out=out)
    assert files_outside(tmp_path, out) == []
    assert sorted(res.team_month["replication"].unique()) == [0, 1]


def test_the_cli_writes_nothing_outside_out_whatever_the_names(tmp_path):
    out = tmp_path / "a" / "out"
    escape = tmp_path / "escape"
    other = tmp_path / "other.yaml"
    text = BASELINE.read_text()
    other.write_text(text.replace("name: baseline", "name: ../../escape", 1))
    assert "name: ../../escape" in other.read_text()
    args = ["-w", "1", "--no-progress", "--set", "horizon.months=1",
            "--set", "horizon.warmup_months=0"]  # fmt: skip
    run = runner.invoke(app, ["run", *args, "-r", "2", "--set", f"name={escape}",
                              "--out", str(out / "run")])  # fmt: skip
    compare = runner.invoke(app, ["compare", str(BASELINE), str(other), *args, "-r", "2",
                                  "--out", str(out / "compare")])  # fmt: skip
    for result in (run, compare):  # run, or refused by the scenario's own check
        assert result.exit_code in (0, 2) and "Traceback" not in result.output, result.output
    assert set(files_outside(tmp_path, out)) <= {tmp_path / "a", other}
    assert not escape.exists()


# --- 7. an --out that cannot be written: one error line, nothing half-written ----------


def test_out_under_a_regular_file_is_one_clear_error(tmp_path):
    blocker = tmp_path / "somefile"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["run", *TINY, "--out", str(blocker / "res")])
    line = only_error_line(result)
    assert str(blocker) in line and "not a folder" in line
    assert blocker.read_text() == "not a folder"


def fail_with(monkeypatch, code: int, when) -> None:
    """``os.replace`` raises ``OSError(code)`` for the targets ``when`` picks."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if when(Path(src), Path(dst)):
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_a_read_only_out_is_one_clear_error(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # as root, chmod would not stop us
    out = tmp_path / "res"
    line = only_error_line(runner.invoke(app, ["run", *TINY, "--out", str(out)]))
    assert str(out) in line and "Permission denied" in line
    assert [p for p in out.rglob("*")] == []


def test_a_full_disk_while_storing_shards_is_one_clear_error(tmp_path, monkeypatch):
    fail_with(monkeypatch, errno.ENOSPC, lambda src, dst: src.is_dir())  # the shard folders
    out = tmp_path / "res"
    line = only_error_line(runner.invoke(app, ["run", *TINY, "--out", str(out)]))
    assert str(out) in line and "No space left on device" in line
    no_temporary_files(out)
    assert not any(p.name.isdigit() for p in out.rglob("*"))


def test_a_full_disk_while_saving_tables_leaves_no_partial_table(tmp_path, monkeypatch):
    out = tmp_path / "res"
    fail_with(monkeypatch, errno.ENOSPC, lambda src, dst: dst.name == "rep_month.parquet")
    line = only_error_line(runner.invoke(app, ["run", *TINY, "--out", str(out)]))
    assert "No space left on device" in line
    no_temporary_files(out)
    assert not (out / "rep_month.parquet").exists() and not (out / "manifest.json").exists()
    with pytest.raises(simsales.ResultsError, match="missing"):
        simsales.load_results(out)


def test_a_full_disk_while_writing_the_comparison_leaves_no_partial_csv(tmp_path, monkeypatch):
    out = tmp_path / "res"
    fail_with(monkeypatch, errno.ENOSPC, lambda src, dst: dst.name == "comparison.csv")
    quota = BASELINE.parent / "quota_plus20.yaml"
    result = runner.invoke(app, ["compare", str(BASELINE), str(quota), *TINY, "--out", str(out)])
    assert "No space left on device" in only_error_line(result)
    no_temporary_files(out)
    assert not (out / "comparison.csv").exists()
    assert (out / "baseline" / "manifest.json").is_file()  # each scenario's tables are whole


# --- 11. damaged stores are verified and recomputed -------------------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The tables of an undamaged run of TINY."""
    out = tmp_path_factory.mktemp("fresh") / "res"
    assert runner.invoke(app, ["run", *TINY, "--out", str(out)]).exit_code == 0
    return out


def stored(tmp_path: Path, fresh: Path) -> Path:
    out = tmp_path / "res"
    shutil.copytree(fresh, out)
    return out


def shard(out: Path, r: int) -> Path:
    return out / "shards" / "baseline" / str(r)


def same_as_fresh(out: Path, fresh: Path) -> None:
    a, b = simsales.load_results(out), simsales.load_results(fresh)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), check_exact=True)


def test_every_shard_carries_its_identity_and_checksums(fresh):
    meta = json.loads((shard(fresh, 4) / "shard.json").read_text())
    assert {k: meta[k] for k in ("scenario", "seed", "replication")} == {
        "scenario": "baseline", "seed": 3, "replication": 4}  # fmt: skip
    stored_hash = json.loads((fresh / STORE).read_text())["scenarios"]["baseline"]
    assert meta["scenario_hash"] == stored_hash and sorted(meta["tables"]) == sorted(TABLES)


def test_damaged_and_swapped_shards_are_recomputed_and_counted(tmp_path, fresh):
    out = stored(tmp_path, fresh)
    table = shard(out, 0) / "team_month.parquet"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # truncated
    (shard(out, 1) / "funnel.parquet").write_bytes(b"")  # empty
    (shard(out, 2) / "cohorts.parquet").unlink()  # missing
    flipped = shard(out, 3) / "rep_month.parquet"
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    shard(out, 4).rename(out / "shards" / "baseline" / "tmp")  # 4 and 5 swapped
    shard(out, 5).rename(shard(out, 4))
    (out / "shards" / "baseline" / "tmp").rename(shard(out, 5))
    result = runner.invoke(app, ["run", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: recomputing 6 damaged shards" in result.stderr
    assert "baseline replication 0: team_month damaged (checksum)" in result.stderr
    same_as_fresh(out, fresh)
    again = runner.invoke(app, ["run", *TINY, "--out", str(out)])
    assert "recomputing" not in again.stderr and "already stored" in again.stderr


def test_shards_without_checksums_are_recomputed_and_said_so(tmp_path, fresh):
    out = stored(tmp_path, fresh)
    for r in (1, 2):  # as the previous version wrote them
        (shard(out, r) / "shard.json").unlink()
    result = runner.invoke(app, ["run", *TINY, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "recomputing 2 damaged shards" in result.stderr
    assert "no checksums (written by an earlier version), unverified" in result.stderr
    same_as_fresh(out, fresh)


def test_the_store_lists_what_it_found_damaged(tmp_path, fresh):
    out = stored(tmp_path, fresh)
    meta = json.loads((fresh / STORE).read_text())
    (shard(out, 2) / "lead_cohorts.parquet").write_bytes(b"PAR1")
    store = ResultsStore(out, meta["scenarios"], 3, meta["versions"])
    assert store.done("baseline") == {0, 1, 3, 4, 5}
    assert store.damaged == {"baseline": {2: "lead_cohorts damaged (checksum)"}}
    assert store.damaged_count() == 1 and not shard(out, 2).exists()
    other_seed = json.loads((shard(out, 1) / "shard.json").read_text()) | {"seed": 9}
    (shard(out, 1) / "shard.json").write_text(json.dumps(other_seed))
    store = ResultsStore(out, meta["scenarios"], 3, meta["versions"])
    assert store.done("baseline") == {0, 3, 4, 5}
    assert store.damaged["baseline"][1] == "belongs elsewhere (seed 9)"


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"kind": "something else"}', None])
def test_a_corrupt_store_json_is_a_clear_error_that_force_overrides(tmp_path, fresh, text):
    out = stored(tmp_path, fresh)
    whole = (out / STORE).read_text()
    (out / STORE).write_text(whole[: len(whole) // 2] if text is None else text)  # None: cut
    line = only_error_line(runner.invoke(app, ["run", *TINY, "--out", str(out)]))
    assert str(out / STORE) in line and "damaged" in line and "--force" in line
    forced = runner.invoke(app, ["run", *TINY, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads((out / STORE).read_text()) == json.loads(whole)
    same_as_fresh(out, fresh)

"""A results folder that loses nothing: one shard per (scenario, replication), written
atomically as soon as the replication finishes, and a manifest of what is being run.

Layout of ``DIR``::

    store.json                              kind, seed, scenario hashes, versions
    shards/<scenario>/<replication>/<table>.parquet

A shard folder is written under a temporary name and renamed into place, so it is
either complete or absent: a killed run leaves only whole shards, and running the same
command again computes just the missing replications. A folder of another run (other
scenarios or seed) is refused unless ``force``, which starts it afresh.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simsales.engine.simulate import Columns
from simsales.results import TABLES, atomic_write

STORE = "store.json"
KIND = "simsales results store"


class StoreError(ValueError):
    """A results folder that belongs to another run, or is not a results store."""


class ResultsStore:
    """The shards of one run (one or more scenarios, one seed) in ``directory``."""

    def __init__(self, directory: str | os.PathLike, scenarios: dict[str, str], seed: int,
                 versions: dict, force: bool = False):  # fmt: skip
        """Open or create the store for ``scenarios`` (name -> scenario hash) and
        ``seed``; refuse a folder of another run or with other files unless ``force``."""
        self.dir = Path(directory)
        want = {"kind": KIND, "seed": seed, "scenarios": scenarios}
        path = self.dir / STORE
        if path.is_file():
            have = json.loads(path.read_text())
            if {k: have.get(k) for k in want} != want and not force:
                raise StoreError(
                    f"{self.dir}: holds the results of another run "
                    f"(seed {have.get('seed')}, scenarios {sorted(have.get('scenarios', {}))}); "
                    "use another folder, or --force to start it afresh"
                )
            if {k: have.get(k) for k in want} != want:
                shutil.rmtree(self.dir / "shards", ignore_errors=True)
        elif self.dir.is_dir() and any(self.dir.iterdir()) and not force:
            raise StoreError(
                f"{self.dir}: folder is not empty and is not a simsales results store; "
                "choose another or pass --force"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**want, "versions": versions}, indent=2, sort_keys=True)
        atomic_write(path, lambda f: f.write(text.encode()))

    def _folder(self, scenario: str) -> Path:
        return self.dir / "shards" / scenario

    def done(self, scenario: str) -> set[int]:
        """Replications of ``scenario`` whose shard is complete."""
        folder = self._folder(scenario)
        if not folder.is_dir():
            return set()
        return {int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()}

    def write(self, scenario: str, replication: int, columns: Columns) -> None:
        """Store one replication's tables; the shard appears whole or not at all."""
        folder = self._folder(scenario)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{replication}."))
        try:
            for table in TABLES:
                pd.DataFrame(columns[table]).to_parquet(tmp / f"{table}.parquet")
            target = folder / str(replication)
            if target.exists():  # written by an earlier, interrupted attempt: same data
                shutil.rmtree(tmp)
                return
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def read(self, scenario: str, replications: list[int]) -> dict[int, Columns]:
        """The stored columns of ``replications`` of ``scenario``."""
        out = {}
        for r in replications:
            folder = self._folder(scenario) / str(r)
            out[r] = {
                table: _columns(pd.read_parquet(folder / f"{table}.parquet")) for table in TABLES
            }
        return out


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A shard's columns as the numpy arrays ``simulate`` returns (text as objects)."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        is_text = pd.api.types.is_string_dtype(col) and not pd.api.types.is_bool_dtype(col)
        out[name] = col.to_numpy(dtype=object) if is_text else col.to_numpy()
    return out

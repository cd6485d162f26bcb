"""A results folder that loses nothing: one shard per (scenario, replication), written
atomically as soon as the replication finishes, and a manifest of what is being run.

Layout of ``DIR``::

    store.json                              kind, seed, scenario hashes, versions
    shards/<folder>/<replication>/<table>.parquet
    shards/<folder>/<replication>/shard.json    identity and sha256 of each table

``<folder>`` is the scenario's name when that is a safe folder name (letters, digits,
spaces, ``_ - . , = + # [ ] ( ) ~``, not starting with a dot, at most 100 characters)
and otherwise a slug of it with a hash (``scenario_folder``); the real names are in
``store.json``. No path is ever built from an unchecked string, and every shard path is
checked to stay inside ``DIR``.

A shard folder is written under a temporary name and renamed into place, so it is
either complete or absent: a killed run leaves only whole shards, and running the same
command again computes just the missing replications. Each shard carries its identity
(scenario, scenario hash, seed, replication) and the sha256 of its tables; a shard that
is damaged (a table missing, truncated or changed), misplaced (another replication's)
or unverified (written before shards were checksummed) is removed and computed again
(``damaged``). A folder of another run (other scenarios or seed), or whose
``store.json`` is damaged, is refused unless ``force``, which starts it afresh.
Failures to write (a file where a folder should be, no permission, a full disk) raise
``StoreError`` and leave no temporary files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from simsales.experiment.results import TABLES, atomic_write
from simsales.simulate import Columns

STORE = "store.json"
SHARD = "shard.json"
KIND = "simsales results store"
# assumption: characters that are ordinary in folder names on POSIX, macOS and Windows
_SAFE = re.compile(r"[A-Za-z0-9_\-.,=+#\[\]()~ ]{1,100}")


class StoreError(ValueError):
    """A results folder that belongs to another run, is not a results store, is damaged,
    or cannot be written."""


def scenario_folder(name: str) -> str:
    """A folder name for scenario ``name``: the name itself when it is safe (letters,
    digits, spaces, ``_ - . , = + # [ ] ( ) ~``, at most 100 characters, not starting
    with a dot or space, not ending with a space or dot); otherwise
    its safe characters (at most 40) and the first 12 hex digits of its sha256, so
    distinct names get distinct folders and none can leave the folder it is put in."""
    if _SAFE.fullmatch(name) and not name.startswith((".", " ")) and not name.endswith((" ", ".")):
        return name
    slug = re.sub(r"[^A-Za-z0-9_\-]+", "_", name).strip("_")[:40] or "scenario"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def inside(base: str | os.PathLike, name: str) -> Path:
    """``base / scenario_folder(name)``, checked to resolve to a path inside ``base``
    (a symlink pointing elsewhere is refused with ``StoreError``)."""
    base = Path(base)
    path = base / scenario_folder(name)
    if not path.resolve().is_relative_to(base.resolve()):
        raise StoreError(f"{path}: leads outside {base} (a link?); refused")
    return path


def _write_error(path: Path, exc: OSError) -> StoreError:
    reason = exc.strerror or str(exc)
    return StoreError(f"{path}: cannot write the results store ({reason})")


class ResultsStore:
    """The shards of one run (one or more scenarios, one seed) in ``directory``."""

    def __init__(self, directory: str | os.PathLike, scenarios: dict[str, str], seed: int,
                 versions: dict, force: bool = False):  # fmt: skip
        """Open or create the store for ``scenarios`` (name -> scenario hash) and
        ``seed``; refuse a folder of another run, with other files, or with a damaged
        ``store.json`` unless ``force``."""
        self.dir = Path(directory)
        self.scenarios = dict(scenarios)
        self.seed = seed
        #: per scenario, the replications found damaged and removed, with the reason
        self.damaged: dict[str, dict[int, str]] = {}
        self._verified: dict[str, set[int]] = {}
        folders = [scenario_folder(n) for n in self.scenarios]
        if len(set(folders)) != len(folders):
            raise StoreError(f"{self.dir}: scenario names {sorted(self.scenarios)} share a folder")
        want = {"kind": KIND, "seed": seed, "scenarios": self.scenarios}
        try:
            self._claim(want, force)
            self.dir.mkdir(parents=True, exist_ok=True)
            text = json.dumps({**want, "versions": versions}, indent=2, sort_keys=True)
            atomic_write(self.dir / STORE, lambda f: f.write(text.encode()))
        except OSError as exc:
            raise _write_error(self.dir, exc) from exc

    def _claim(self, want: dict, force: bool) -> None:
        """Check that the folder is this run's store, new, or empty (or ``force``:
        remove the shards of whatever was there)."""
        path = self.dir / STORE
        if path.is_file():
            have = _read_manifest(path)
            if isinstance(have, str):
                if not force:
                    raise StoreError(f"{path}: {have}; use another folder, or --force to "
                                     "start it afresh")  # fmt: skip
            elif {k: have.get(k) for k in want} != want and not force:
                raise StoreError(
                    f"{self.dir}: holds the results of another run "
                    f"(seed {have.get('seed')}, scenarios {sorted(have.get('scenarios') or {})}); "
                    "use another folder, or --force to start it afresh"
                )
            if isinstance(have, str) or {k: have.get(k) for k in want} != want:
                shutil.rmtree(self.dir / "shards", ignore_errors=True)
        elif self.dir.is_dir() and any(self.dir.iterdir()) and not force:
            raise StoreError(
                f"{self.dir}: folder is not empty and is not a simsales results store; "
                "choose another or pass --force"
            )

    def _folder(self, scenario: str) -> Path:
        return inside(self.dir / "shards", scenario)

    def done(self, scenario: str) -> set[int]:
        """Replications of ``scenario`` whose shard is complete and verified; damaged,
        misplaced or unverified shards are removed (to be computed again) and listed in
        ``damaged[scenario]``."""
        if scenario in self._verified:
            return set(self._verified[scenario])
        folder = self._folder(scenario)
        good: set[int] = set()
        if folder.is_dir():
            for path in folder.iterdir():
                if not (path.is_dir() and path.name.isdigit()):
                    continue
                problem = self._problem(scenario, int(path.name), path)
                if problem is None:
                    good.add(int(path.name))
                    continue
                self.damaged.setdefault(scenario, {})[int(path.name)] = problem
                try:
                    shutil.rmtree(path)
                except OSError as exc:
                    raise _write_error(path, exc) from exc
        self._verified[scenario] = good
        return set(good)

    def damaged_count(self) -> int:
        """How many shards ``done`` found damaged and removed, over all scenarios."""
        return sum(len(reps) for reps in self.damaged.values())

    def _identity(self, scenario: str, replication: int) -> dict:
        return {"scenario": scenario, "scenario_hash": self.scenarios.get(scenario),
                "seed": self.seed, "replication": replication}  # fmt: skip

    def _problem(self, scenario: str, replication: int, path: Path) -> str | None:
        """Why the shard in ``path`` cannot be used (None: it is whole and in place)."""
        try:
            meta = json.loads((path / SHARD).read_text())
        except FileNotFoundError:
            return "no checksums (written by an earlier version), unverified"
        except (OSError, ValueError):
            return f"{SHARD} unreadable"
        if not isinstance(meta, dict) or not isinstance(meta.get("tables"), dict):
            return f"{SHARD} unreadable"
        have = {k: meta.get(k) for k in ("scenario", "scenario_hash", "seed", "replication")}
        if have != self._identity(scenario, replication):
            return "belongs elsewhere (" + ", ".join(
                f"{k} {have[k]}" for k, v in self._identity(scenario, replication).items()
                if have[k] != v) + ")"  # fmt: skip
        for table in TABLES:
            try:
                digest = _sha256(path / f"{table}.parquet")
            except OSError:
                return f"{table} missing"
            if digest != meta["tables"].get(table):
                return f"{table} damaged (checksum)"
        return None

    def write(self, scenario: str, replication: int, columns: Columns) -> None:
        """Store one replication's tables; the shard appears whole or not at all."""
        folder = self._folder(scenario)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{replication}."))
        except OSError as exc:
            raise _write_error(folder, exc) from exc
        try:
            sums = {}
            for table in TABLES:
                pd.DataFrame(columns[table]).to_parquet(tmp / f"{table}.parquet")
                sums[table] = _sha256(tmp / f"{table}.parquet")
            meta = {**self._identity(scenario, replication), "tables": sums}
            (tmp / SHARD).write_text(json.dumps(meta, indent=2, sort_keys=True))
            target = folder / str(replication)
            if target.exists():  # written by an earlier, interrupted attempt: same data
                shutil.rmtree(tmp)
            else:
                os.replace(tmp, target)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _write_error(folder, exc) from exc
            raise
        self._verified.setdefault(scenario, set()).add(replication)

    def read(self, scenario: str, replications: list[int]) -> dict[int, Columns]:
        """The stored columns of ``replications`` of ``scenario``."""
        out = {}
        for r in replications:
            folder = self._folder(scenario) / str(r)
            try:
                out[r] = {
                    table: _columns(pd.read_parquet(folder / f"{table}.parquet"))
                    for table in TABLES
                }
            except (OSError, ValueError) as exc:
                raise StoreError(f"{folder}: shard unreadable ({exc}); run the same command "
                                 "again to compute it anew") from exc  # fmt: skip
        return out


def _read_manifest(path: Path) -> dict | str:
    """The parsed ``store.json``, or why it cannot be used."""
    try:
        have = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"damaged, not readable as JSON ({exc.__class__.__name__})"
    if not isinstance(have, dict) or have.get("kind") != KIND:
        return "damaged, or not a simsales results store (its kind is not " + repr(KIND) + ")"
    return have


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A shard's columns as the numpy arrays ``simulate`` returns (text as objects)."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        is_text = pd.api.types.is_string_dtype(col) and not pd.api.types.is_bool_dtype(col)
        out[name] = col.to_numpy(dtype=object) if is_text else col.to_numpy()
    return out

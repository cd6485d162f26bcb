"""Where the bundled scenarios live."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def baseline_path() -> Path:
    """Path of the bundled baseline scenario (``scenarios/baseline.yaml``)."""
    return Path(str(resources.files("simsales") / "data" / "baseline.yaml"))

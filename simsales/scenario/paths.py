"""Where the bundled scenarios live."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_dir() -> Path:
    """Folder of the scenarios shipped inside the package (``simsales/data``)."""
    return Path(str(resources.files("simsales") / "data"))


def baseline_path() -> Path:
    """Path of the bundled baseline scenario (``scenarios/baseline.yaml``)."""
    return bundled_dir() / "baseline.yaml"


def bundled_scenario(name: str) -> Path | None:
    """The bundled scenario called ``name`` (``baseline`` or ``baseline.yaml``), if any.

    Only a bare file name is looked up: a name with a folder in it is never bundled.
    """
    if not name or Path(name).name != name or name.startswith("."):
        return None
    for candidate in (name, f"{name}.yaml"):
        path = bundled_dir() / candidate
        if path.suffix == ".yaml" and path.is_file():
            return path
    return None


def bundled_names() -> list[str]:
    """Names of the bundled scenario files, e.g. ``["baseline.yaml"]``."""
    return sorted(p.name for p in bundled_dir().glob("*.yaml"))

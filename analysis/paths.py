"""Where everything lives: every path the pipeline touches is built here from the project root.

The root is found from this file's own location, so notebooks and scripts never need to change
directory. Stage-specific file names come from ``params.yaml``; this module only knows the
folders.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = DATA / "raw"
DEMO = RAW / "demo"
PROCESSED = DATA / "processed"
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params.yaml"


def resolve(path: str | Path) -> Path:
    """Return ``path`` as an absolute path, reading relative paths from the project root.

    Examples
    --------
    >>> resolve("data/raw").relative_to(ROOT).as_posix()
    'data/raw'
    """
    path = Path(path)
    return path if path.is_absolute() else ROOT / path

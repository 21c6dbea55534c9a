"""Speed of the whole study (issue 2): `dvc repro` on the demo from clean outputs, then again.

Targets on a 2-core machine, after installation: the first run under 120 s, a second run with
nothing changed under 5 s. The study runs in a temporary copy of the project, so the real
outputs are not touched. Run: ``.venv/bin/python benchmarks/bench_pipeline.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_FIRST, TARGET_SECOND = 120.0, 5.0


def copy_project(dest: Path) -> None:
    """Copy the files git knows (tracked or not ignored) into ``dest``."""
    names = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        if (ROOT / name).is_file() and not name.startswith(("tests/", "benchmarks/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for generated in ("dvc.lock", "metrics"):
        path = dest / generated
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def timed_repro(project: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "dvc"), "repro"], cwd=project, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"dvc repro failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        copy_project(project)
        subprocess.run(["git", "init", "-q"], cwd=project, check=True)
        first = timed_repro(project)
        second = timed_repro(project)
    print(f"dvc repro, clean outputs : {first:6.1f} s  (target < {TARGET_FIRST:.0f} s)")
    print(f"dvc repro, nothing changed: {second:6.1f} s  (target < {TARGET_SECOND:.0f} s)")
    ok = first < TARGET_FIRST and second < TARGET_SECOND
    print("within targets" if ok else "OUTSIDE TARGETS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Marginal cost of one more organisation's report (HTML and PDF), target at most 5 s.

Renders the reports of 1 and then of 5 organisations of a small simulated study (the stand-in
tables of ``analysis.report.example``, 7 organisations) through the same path the pipeline uses
(papermill, nbconvert, WeasyPrint; one process per core), and prints the marginal cost per
report: (time for 5 - time for 1) / 4. Run: ``.venv/bin/python benchmarks/bench_render.py``.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

from analysis.paths import PARAMS
from analysis.report import example, render

TARGET_S = 5.0


def _children_cpu() -> float:
    """CPU seconds of this process and of its finished children (workers, their kernels)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def timed(params, processed, reports, codes, workers):
    """Wall time and CPU time (of the worker processes and their kernels) of one render."""
    started, cpu = time.perf_counter(), _children_cpu()
    render.render_all(params, processed, reports, organisations=codes, pilot=False,
                      workers=workers)
    return time.perf_counter() - started, _children_cpu() - cpu


def main() -> int:
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else (os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        example.write(root / "processed", n_organisations=7)
        params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
        params["ingest"]["organisations"] = str(root / "processed" / "organisations.csv")
        timed(params, root / "processed", root / "warm", ["O01"], 1)   # warm the caches
        one, cpu_one = timed(params, root / "processed", root / "r1", ["O01"], workers)
        five, cpu_five = timed(params, root / "processed", root / "r5",
                               ["O01", "O02", "O03", "O04", "O05"], workers)
    marginal = (five - one) / 4
    cpu = (cpu_five - cpu_one) / 4
    load = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}, workers: {workers}, load average at the end: {load:.1f}")
    print(f"1 report (HTML+PDF): {one:.1f} s wall; 5 reports: {five:.1f} s wall")
    print(f"marginal cost of one more organisation: {marginal:.1f} s wall "
          f"(target <= {TARGET_S:.0f} s: {'met' if marginal <= TARGET_S else 'NOT met'})")
    print(f"CPU time per additional report: {cpu:.1f} s (on {workers} idle cores: "
          f"~{cpu / workers:.1f} s wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

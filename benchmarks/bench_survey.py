"""Speed of survey ingest and screening: 100,000 responses x 60 items, LimeSurvey-style.

Target (issue 3): reading and screening under 10 s with peak memory under 2 GB on a 2-core
machine. The export is written by ``analysis.simulate`` with a 60-item instrument derived from
the demo codebook (answer labels in Dutch, careless rows planted); writing it is not timed. The
measurement runs in a fresh child process so that its peak resident memory (``ru_maxrss``)
counts ingest and screening only.

Usage: ``.venv/bin/python benchmarks/bench_survey.py [--respondents N] [--items K]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_codebook(out: Path, n_items: int) -> Path:
    """A codebook of ``n_items`` items: the demo's items repeated over fresh question codes."""
    demo = yaml.safe_load((ROOT / "data" / "raw" / "demo" / "codebook.yaml").read_text("utf-8"))
    base = [i for i in demo["items"] if i.get("attention_expected") is None]
    attention = next(i for i in demo["items"] if i.get("attention_expected") is not None)
    items = [dict(attention, sources={"limesurvey": "ATT[SQ001]"})]
    for k in range(n_items - 1):
        item = dict(base[k % len(base)])
        item["id"] = f"{item['id']}_{k // len(base) + 1}"
        item["sources"] = {"limesurvey": f"Q{k // 10 + 1:02d}[SQ{k % 10 + 1:03d}]"}
        items.append(item)
    demo["items"] = items
    path = out / "codebook60.yaml"
    path.write_text(yaml.safe_dump(demo, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def measure(survey: Path, codebook: Path) -> dict:
    """Read and screen one export; return seconds and peak memory of this process."""
    from analysis import codebook as cb
    from analysis.screening import screen
    from analysis.survey_io import read_survey

    rules = yaml.safe_load((ROOT / "params.yaml").read_text("utf-8"))["clean"]
    t0 = time.perf_counter()
    book = cb.load(codebook)
    tables = read_survey(survey, book, key=b"benchmark-key")
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the untrusted-timing note for incomplete rows
        result = screen(tables.respondents, tables.answers, book, rules)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"read_s": t1 - t0, "screen_s": t2 - t1, "total_s": t2 - t0, "peak_mb": peak_mb,
            "rows": len(tables.respondents), "items": tables.answers.shape[1] - 1,
            "kept": result.counts["kept"], "excluded_by_rule": result.counts["excluded_by_rule"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--measure", nargs=2, metavar=("SURVEY", "CODEBOOK"),
                        help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]))))
        return 0

    from analysis.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        codebook = write_codebook(out, args.items)
        t0 = time.perf_counter()
        paths = simulate(out / "sim", organisations=7, respondents=args.respondents,
                         events=1000, employees=5000, codebook=codebook, seed=7)
        size_mb = paths["survey"].stat().st_size / 1e6
        print(f"generated {paths['survey'].name}: {size_mb:.0f} MB in "
              f"{time.perf_counter() - t0:.1f} s (not timed below)")
        child = subprocess.run([sys.executable, __file__, "--measure", str(paths["survey"]),
                                str(codebook)], capture_output=True, text=True, check=False,
                               cwd=ROOT)
        if child.returncode:
            print(child.stderr, file=sys.stderr)
            return child.returncode
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    ok_time, ok_memory = figures["total_s"] < 10, figures["peak_mb"] < 2048
    print(f"rows {figures['rows']:,} x items {figures['items']}; kept {figures['kept']:,}; "
          f"excluded by rule {figures['excluded_by_rule']}")
    print(f"read   {figures['read_s']:6.2f} s")
    print(f"screen {figures['screen_s']:6.2f} s")
    print(f"total  {figures['total_s']:6.2f} s   (target < 10 s: {'ok' if ok_time else 'MISSED'})")
    print(f"peak   {figures['peak_mb']:6.0f} MB  (target < 2048 MB: "
          f"{'ok' if ok_memory else 'MISSED'})")
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())

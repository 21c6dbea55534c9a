"""Benchmark the usage engine: native export CSV (10 million events) -> user and group measures.

Targets (issue 4): under 15 s and under 3 GB peak memory on a 2-core machine, and at least twice
as fast as a plain pandas ``read_csv`` + ``groupby`` version of the same measures, run in the
same session. Each version runs in a fresh subprocess so that its peak memory (VmHWM) is its
own; all write their measures, which are then compared.

Versions timed: the engine reading events.csv once (``read_platform(lazy_events=True)`` +
``aggregate_events``; the targets apply to this one); the same engine the way the DVC pipeline
runs it (ingest writes the hashed events to parquet, the usage stage reads the parquet); and
plain pandas. Timings count from reading the export to having both measure tables, without
interpreter start-up and imports; CPU seconds count the whole process.

Usage::

    .venv/bin/python benchmarks/bench_usage.py                 # 10 million events
    .venv/bin/python benchmarks/bench_usage.py --events 200000 # a quick look

The simulated export is written once to ``--data`` (default: a folder under the system's temp
directory) and reused by later runs with the same number of events.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis import measures  # noqa: E402
from analysis.privacy import pseudonymise  # noqa: E402

WINDOW = ("2025-09-01", "2026-02-28")
ACTIVE_SHARE = 0.05
KEY = b"benchmark-key"


def ensure_data(folder: Path, n_events: int, employees: int) -> Path:
    """Simulate the native export once; return the folder that holds platform/ and the map."""
    marker = folder / f"done-{n_events}-{employees}"
    if not marker.exists():
        from analysis.simulate import simulate

        start = time.perf_counter()
        simulate(folder, events=n_events, employees=employees, seed=1)
        marker.write_text("ok\n")
        print(f"simulated {n_events:,} events in {time.perf_counter() - start:.1f} s -> {folder}")
    return folder


def peak_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM; ru_maxrss survives exec on Linux)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def cpu() -> float:
    """CPU seconds (user + system) this process used so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the project's engine ----------------------------------------------------------------------

def run_engine(folder: Path, out: Path, via_parquet: bool = False) -> dict:
    """The engine: users, groups and memberships by pandas, the events by DuckDB.

    Default: one DuckDB pass over events.csv into a small aggregate that both measure
    functions use. ``via_parquet``: the pipeline's way, ingest writes platform_events.parquet
    (hashed) and the usage stage reads that.
    """
    from analysis import usage
    from analysis.platform_io import read_platform

    start = time.perf_counter()
    options = ({"events_out": out / "events.parquet"} if via_parquet
               else {"lazy_events": True})
    tables = read_platform(folder / "platform", "native",
                           mapping=folder / "function_group_map.csv", key=KEY, **options)
    events = usage.aggregate_events(tables.events, *WINDOW)
    read_s = time.perf_counter() - start
    per_user, _ = usage.user_measures(tables.users, events, tables.memberships, *WINDOW,
                                      available=tables.available)
    per_group = usage.group_measures(tables.groups, events, tables.memberships,
                                     tables.users, *WINDOW, ACTIVE_SHARE,
                                     available=tables.available)
    seconds = time.perf_counter() - start
    name = "parquet" if via_parquet else "engine"
    per_user.to_parquet(out / f"{name}_users.parquet")
    per_group.to_parquet(out / f"{name}_groups.parquet")
    return {"seconds": seconds, "read_seconds": read_s, "peak_mb": peak_mb(), "cpu": cpu(),
            "users": len(per_user), "groups": len(per_group)}


# -- plain pandas: read_csv + groupby ----------------------------------------------------------

def run_pandas(folder: Path, out: Path) -> dict:
    start = time.perf_counter()
    platform = folder / "platform"
    mapping = pd.read_csv(folder / "function_group_map.csv", dtype=str, keep_default_na=False)
    users = pd.read_csv(platform / "users.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(platform / "events.csv",
                         usecols=["user_id", "event_type", "created_at", "group_id",
                                  "is_question", "text"],
                         dtype={"user_id": str, "event_type": str, "group_id": str,
                                "is_question": "int8", "text": str},
                         parse_dates=["created_at"])
    groups = pd.read_csv(platform / "groups.csv", dtype=str)
    memberships = pd.read_csv(platform / "memberships.csv", dtype=str)

    # users: hash, organisation and function group from the mapping, who counts, months
    from analysis.platform_io import assign_groups, load_mapping

    users["user"] = pseudonymise(users["user_id"], KEY).astype(str)
    attrs = users[["organisation", "job_title", "department"]].copy()
    attrs["email_domain"] = users["email"].str.extract(r"@(.+)$", expand=False).str.lower()
    users[["organisation", "function_group"]] = assign_groups(attrs, load_mapping(mapping))
    ws, we = pd.Timestamp(WINDOW[0]), pd.Timestamp(WINDOW[1])
    joined = pd.to_datetime(users["joined_at"])
    deleted = pd.to_datetime(users["deleted_at"].replace("", None))
    first = joined.where(joined > ws, ws)
    last = deleted.where(deleted < we, we).fillna(we)
    days = (last - first).dt.days + 1
    keep = ((users["user_type"] == "employee") & (users["state"] != "suspended")
            & ~((users["state"] == "deleted") & deleted.isna()) & (days > 0))
    present = (users["state"] != "suspended") & (days > 0)
    users["months"] = days / measures.DAYS_PER_MONTH

    # events in the window, counted per user and type
    stop = we + pd.Timedelta(1, "D")
    events = events[(events["created_at"] >= ws) & (events["created_at"] < stop)]
    events["is_question"] = (events["is_question"] == 1) | events["text"].fillna("").str.rstrip(
        ).str.endswith("?")
    events = events.merge(users[["user_id", "user"]], on="user_id")
    counts = events.groupby(["user", "event_type"]).size().unstack(fill_value=0)
    contributions = events["event_type"] != "like"
    questions = events[contributions & events["is_question"]].groupby("user").size()
    per_user = users.loc[keep, ["user", "organisation", "function_group", "months"]]
    per_user = per_user.merge(counts, left_on="user", right_index=True, how="left").fillna(0)
    for t in measures.EVENT_TYPES:
        per_user[f"{t}s_per_month"] = per_user.get(t, 0) / per_user["months"]
    posts = per_user[[t for t in measures.CONTRIBUTION_TYPES if t in per_user]].sum(axis=1)
    per_user["posts_per_month"] = posts / per_user["months"]
    per_user["questions"] = per_user["user"].map(questions).fillna(0).astype(int)
    per_user["active"] = per_user[[t for t in measures.EVENT_TYPES if t in per_user]].sum(
        axis=1) > 0
    per_user["contributor"] = posts > 0

    # groups: members present in the window, contributions and contributing members
    memberships = memberships.merge(users.loc[present, ["user_id", "user", "user_type"]],
                                    on="user_id")
    in_group = events[contributions & events["group_id"].notna()]
    by_poster = in_group.groupby(["group_id", "user"]).size().rename("n").reset_index()
    per_group = groups.loc[groups["deleted"] != "1", ["group_id", "organisation", "visibility"]]
    n_members = memberships.groupby("group_id").size()
    contributors = by_poster.merge(memberships[["group_id", "user"]]).groupby("group_id").size()
    per_group["members"] = per_group["group_id"].map(n_members).fillna(0)
    per_group["group_posts"] = per_group["group_id"].map(by_poster.groupby("group_id")["n"].sum()
                                                         ).fillna(0)
    per_group["posts_per_member"] = per_group["group_posts"] / per_group["members"].where(
        per_group["members"] > 0)
    per_group["contributing_members"] = (per_group["group_id"].map(contributors).fillna(0)
                                         / per_group["members"].where(per_group["members"] > 0))
    per_group["group_active"] = per_group["contributing_members"] >= ACTIVE_SHARE
    seconds = time.perf_counter() - start
    per_user.to_parquet(out / "pandas_users.parquet")
    per_group.to_parquet(out / "pandas_groups.parquet")
    return {"seconds": seconds, "peak_mb": peak_mb(), "cpu": cpu(), "users": len(per_user),
            "groups": len(per_group)}


def compare(out: Path, name: str = "engine") -> list[str]:
    """Check that both versions computed the same measures; return the differences found."""
    problems = []
    engine = pd.read_parquet(out / f"{name}_users.parquet").set_index("user").sort_index()
    plain = pd.read_parquet(out / "pandas_users.parquet").set_index("user").sort_index()
    if not engine.index.equals(plain.index):
        problems.append("the two versions kept different accounts")
    else:
        for column in ("microblogs_per_month", "likes_per_month", "posts_per_month",
                       "questions", "active", "contributor"):
            a = engine[column].astype(float).to_numpy()
            b = plain[column].astype(float).to_numpy()
            if not np.allclose(a, b, equal_nan=True):
                problems.append(f"user measure {column} differs")
    engine_g = pd.read_parquet(out / f"{name}_groups.parquet").set_index("group_id").sort_index()
    plain_g = pd.read_parquet(out / "pandas_groups.parquet").set_index("group_id").sort_index()
    for column in ("group_posts", "posts_per_member", "contributing_members"):
        if not np.allclose(engine_g[column].astype(float), plain_g[column].astype(float),
                           equal_nan=True):
            problems.append(f"group measure {column} differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--employees", type=int, default=40_000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each version this many times, alternating; report the best")
    parser.add_argument("--part", choices=["engine", "parquet", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = args.data or Path(tempfile.gettempdir()) / f"intranet-bench-{args.events}"

    if args.part:  # a child process: run one version, print its figures as JSON
        if args.part == "pandas":
            result = run_pandas(data, args.out)
        else:
            result = run_engine(data, args.out, via_parquet=args.part == "parquet")
        print(json.dumps(result))
        return 0

    ensure_data(data, args.events, args.employees)
    with (data / "platform" / "events.csv").open("rb") as handle:
        n_rows = sum(1 for _ in handle) - 1
    figures: dict[str, dict] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeat):
            for part in ("engine", "parquet", "pandas"):
                child = subprocess.run(
                    [sys.executable, __file__, "--part", part, "--data", str(data), "--out",
                     out, "--events", str(args.events)],
                    capture_output=True, text=True, check=True)
                result = json.loads(child.stdout.strip().splitlines()[-1])
                if part not in figures or result["seconds"] < figures[part]["seconds"]:
                    figures[part] = result
        problems = compare(Path(out)) + compare(Path(out), "parquet")
    load_after = os.getloadavg()[0]

    engine, plain, parquet = figures["engine"], figures["pandas"], figures["parquet"]
    ratio = plain["seconds"] / engine["seconds"]
    print(f"machine:                 {os.cpu_count()} cores, load average {load_before:.1f} "
          f"before, {load_after:.1f} after; best of {args.repeat}")
    print(f"events in export:        {n_rows:,} ({engine['users']:,} employee accounts, "
          f"{engine['groups']:,} groups)")
    print(f"engine (DuckDB, 1 pass): {engine['seconds']:.2f} s (read, hash, aggregate "
          f"{engine['read_seconds']:.2f} s), peak {engine['peak_mb']:.0f} MB, "
          f"{engine['cpu']:.1f} CPU s")
    print(f"via parquet (pipeline):  {parquet['seconds']:.2f} s (ingest to parquet "
          f"{parquet['read_seconds']:.2f} s), peak {parquet['peak_mb']:.0f} MB, "
          f"{parquet['cpu']:.1f} CPU s")
    print(f"plain pandas:            {plain['seconds']:.2f} s, peak {plain['peak_mb']:.0f} MB, "
          f"{plain['cpu']:.1f} CPU s")
    print(f"pandas / engine:         {ratio:.1f}x (pandas / via parquet: "
          f"{plain['seconds'] / parquet['seconds']:.1f}x)")
    print(f"same measures:           {'yes' if not problems else '; '.join(problems)}")
    ok = (engine["seconds"] < 15 and engine["peak_mb"] < 3 * 1024 and ratio >= 2
          and not problems)
    print(f"targets (<15 s, <3 GB, >=2x, same results): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""``python -m analysis validate PATH... [--params params.yaml]``: check exports, run nothing.

Each PATH is a survey export (any reader of :mod:`analysis.survey_io`) or a platform export
(a folder, a Viva Engage zip or Microsoft 365 report CSVs; :mod:`analysis.platform_io`). For a
survey export it prints the rows read, the reader, the identifier columns it would drop and
the carefulness screen's funnel (kept, excluded per rule); for a platform export the users,
events, groups and memberships read. Nothing is written.

When ``params.yaml`` names an organisation register (``ingest.organisations`` in
``ingest.raw_dir``) or ``--organisations`` gives one, the organisation codes of every export
are checked against it, as the ingest stage does. Files of a raw folder that are not exports
(``README*``, ``*.yaml``, the register and the function group mapping) are skipped with a
note, so ``python -m analysis validate data/raw/demo/*`` checks the demo folder.

Exit status 0 when every file is usable; 1 with one line per problem (file, row, column,
value, what was expected) otherwise, never a traceback. The pseudonymisation key is a random
one for this run only: nothing hashed here is kept.
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import yaml

from analysis import codebook as cb
from analysis import organisations as org_register
from analysis.errors import InputError, problem
from analysis.paths import PARAMS, resolve
from analysis.screening import screen
from analysis.survey_io import READERS, read_survey

SURVEY_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".sav", ".zsav", ".tsv", ".txt"}


def _load_params(path: Path) -> dict:
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(problem(path, expected="a params.yaml file (file not found)")) from None
    except yaml.YAMLError as exc:
        raise InputError(problem(path, expected=f"valid YAML ({exc})")) from None
    if not isinstance(params, dict):
        raise InputError(problem(path, None, None, type(params).__name__, "a mapping"))
    return params


def _is_platform(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() == ".zip":
        return True
    if path.suffix.lower() == ".csv" and path.is_file():
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            return "User Principal Name" in handle.readline()
    return False


def _survey_lines(path: Path, codebook, reader: str, rules: dict, key: bytes,
                  source: str | None = None, register=None) -> list[str]:
    tables = read_survey(path, codebook, reader, key=key, source=source,
                         organisations=register)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = screen(tables.respondents, tables.answers, tables.codebook, rules)
    counts = result.counts
    shown = problem(path).file
    lines = [f"{shown}: {counts['submitted']} rows read ({tables.reader}, "
             f"{tables.answers.shape[1] - 1} items)"]
    if tables.dropped_columns:
        lines.append(f"  identifier columns dropped: {', '.join(tables.dropped_columns)}")
    lines.append(f"  kept {counts['kept']}, excluded {counts['excluded']}")
    for rule, n in counts["excluded_by_rule"].items():
        lines.append(f"    {rule:<16} {n}")
    if counts["unknown_function_group"]:
        lines.append(f"  kept with unknown function group: {counts['unknown_function_group']}")
    untrusted = int((~tables.respondents["timing_trusted"]).sum())
    if untrusted:
        lines.append(f"  timing not trusted: {untrusted} rows")
    lines += [f"  note: {w.message}" for w in caught]
    return lines


def _ingest_path(params: dict, name: str | None) -> Path | None:
    """A file named in ``ingest``: relative names live in ``ingest.raw_dir`` (if set)."""
    if not name:
        return None
    raw_dir = (params.get("ingest") or {}).get("raw_dir")
    path = Path(name)
    return resolve(path) if path.is_absolute() or not raw_dir else resolve(raw_dir) / path


def _not_an_export(path: Path, named: dict[str, Path | None]) -> str | None:
    """Why ``path`` is no export (a README, a YAML file, the register, the mapping), or None."""
    if path.is_file() and path.name.upper().startswith("README"):
        return "a README"
    if path.is_file() and path.suffix.lower() in {".yaml", ".yml"}:
        return "a YAML file (a codebook or parameters)"
    for what, other in named.items():
        if other is not None and path.exists() and other.exists() and path.samefile(other):
            return what
    return None


def _mapping_path(params: dict) -> Path | None:
    return _ingest_path(params, (params.get("ingest") or {}).get("function_group_map"))


def _register(params: dict, given: Path | None):
    """The organisation register to check codes against: ``given``, else the params' one.

    ``--organisations none`` checks no codes (exports of another study than the params').
    """
    if given is not None and str(given).lower() == "none":
        return None, None
    path = given or _ingest_path(params, (params.get("ingest") or {}).get("organisations"))
    if path is None:
        return None, None
    return path, org_register.read(path)


def _platform_lines(path: Path, params: dict, key: bytes, mapping: Path | None,
                    register=None) -> list[str]:
    from analysis.platform_io import read_platform

    mapping = mapping or _mapping_path(params)
    if mapping is None or not mapping.exists():
        raise InputError(problem(mapping or "params.yaml", None, "ingest.function_group_map",
                                 None, "the function group mapping needed to read a platform "
                                 "export (give it with --map)"))
    try:
        # validate judges the files it is given, whatever params.yaml says their format is
        tables = read_platform(path, "auto", mapping=mapping, key=key,
                               organisations=register)
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(problem(path, expected=f"a readable platform export ({exc})")) from None
    events = tables.events
    n_events = len(events) if hasattr(events, "__len__") else "?"
    lines = [f"{problem(path).file}: platform export ({tables.format}): "
             f"{len(tables.users)} users, {n_events} events, {len(tables.groups)} groups, "
             f"{len(tables.memberships)} memberships"]
    lines += [f"  note: {note}" for note in tables.notes]
    return lines


def main(argv: list[str]) -> int:
    """Check each export named on the command line; print a summary per file.

    Returns 0 when all files are usable, 1 otherwise (problems printed to stderr by
    ``analysis.__main__``, or here when called directly).
    """
    parser = argparse.ArgumentParser(prog="python -m analysis validate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="survey or platform exports")
    parser.add_argument("--params", type=Path, default=PARAMS, help="params.yaml to use")
    parser.add_argument("--codebook", default=None,
                        help="codebook YAML (default: ingest.codebook of the params); 'none' "
                        "reads survey files as they are, all columns")
    parser.add_argument("--source", default=None,
                        help="which 'sources' entry of the codebook to use (default: the "
                        "reader's name)")
    parser.add_argument("--map", type=Path, default=None, dest="mapping",
                        help="function group mapping for platform exports (default: "
                        "ingest.function_group_map of the params)")
    parser.add_argument("--reader", default=None, choices=["auto", *READERS],
                        help="survey reader (default: ingest.survey_reader of the params)")
    parser.add_argument("--organisations", type=Path, default=None,
                        help="organisation register whose codes the exports must use "
                        "(default: ingest.organisations of the params, in ingest.raw_dir); "
                        "'none' checks no codes")
    args = parser.parse_args(argv)

    problems, lines = [], []
    try:
        params = _load_params(args.params)
    except InputError as exc:
        _print_problems(exc.problems)
        return 1
    ingest = params.get("ingest") or {}
    rules = params.get("clean") or {}
    reader = args.reader or ingest.get("survey_reader", "auto")
    key = os.urandom(32)  # nothing hashed here leaves this process

    codebook = None
    choice = args.codebook if args.codebook is not None else ingest.get("codebook")
    surveys = [p for p in args.paths if not _is_platform(p)]
    if surveys and choice and str(choice).lower() != "none":
        try:
            codebook = cb.load(Path(choice) if args.codebook else _ingest_path(params, choice))
        except InputError as exc:
            problems += exc.problems

    register_path = register = None
    try:
        register_path, register = _register(params, args.organisations)
    except InputError as exc:
        problems += exc.problems
    named = {"the organisation register": register_path,
             "the function group mapping": args.mapping or _mapping_path(params)}

    for path in args.paths:
        try:
            if not path.exists():
                raise InputError(problem(path, expected="an existing export (file not found)"))
            reason = _not_an_export(path, named)
            if reason is not None:
                lines.append(f"{problem(path).file}: skipped, {reason}, not an export")
                continue
            if _is_platform(path):
                lines += _platform_lines(path, params, key, args.mapping, register)
            elif path.suffix.lower() in SURVEY_SUFFIXES:
                if codebook is None and problems:
                    continue  # the codebook itself is broken; already reported
                lines += _survey_lines(path, codebook, reader, rules, key, args.source,
                                       register)
            else:
                raise InputError(problem(path, None, None, path.suffix,
                                         "a survey export (.csv, .xlsx, .sav) or a platform "
                                         "export (folder, .zip)"))
        except InputError as exc:
            problems += exc.problems
    for line in lines:
        print(line)
    if problems:
        _print_problems(problems)
        return 1
    return 0


def _print_problems(problems) -> None:
    import sys

    for p in problems:
        print(f"error: {p}", file=sys.stderr)

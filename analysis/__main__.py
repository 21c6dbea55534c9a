"""Command line: ``python -m analysis COMMAND [options]``.

Commands
--------
simulate     write a seeded demo or benchmark dataset in the raw export formats
validate     check survey and platform exports without running the study
reliability  reliability of every construct of a codebook on a response file
render       render the reports from the executed report notebooks (used by dvc.yaml)

Each command lives in its own module (see ``COMMANDS``) and exposes ``main(argv) -> int``.
Problems with input data are printed one per line, naming file, row, column and value, and the
exit status is 1; there is no traceback for bad input.
"""

from __future__ import annotations

import importlib
import sys

from analysis.errors import InputError
from analysis.log import setup

COMMANDS = {
    "simulate": ("analysis.simulate", "write a seeded demo dataset in the raw export formats"),
    "validate": ("analysis.validate", "check exports without running the study"),
    "reliability": ("analysis.reliability_cli", "reliability of a codebook's constructs"),
    "render": ("analysis.report.render", "render HTML and PDF reports from executed notebooks"),
}


def _usage() -> str:
    lines = ["usage: python -m analysis COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        asked = bool(argv) and argv[0] in {"-h", "--help"}
        print(_usage(), file=sys.stdout if asked or not argv else sys.stderr)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    setup()
    module = importlib.import_module(COMMANDS[argv[0]][0])
    try:
        return int(module.main(argv[1:]) or 0)
    except InputError as exc:
        for p in exc.problems:
            print(f"error: {p}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

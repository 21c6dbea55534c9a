"""Errors about input data that name the file, the row, the column and the value.

Every reader raises :class:`InputError` for bad input; the CLI and the pipeline print each
problem as one line and exit non-zero, never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the reader can.

    ``row`` counts data rows from 1 as a spreadsheet user sees them (header rows excluded)
    unless the problem lies in a header, where it is the 1-based line number of that header.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f": value {self.value!r}"
        return f"{', '.join(where)}{value}: expected {self.expected}"


class InputError(ValueError):
    """Raised when an input file cannot be used; carries one or more :class:`Problem`."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def problem(file: str | Path, row=None, column=None, value=None, expected: str = "") -> Problem:
    """Build a :class:`Problem`, shortening ``file`` to its path relative to the project."""
    from analysis.paths import ROOT

    path = Path(file)
    try:
        shown = path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(path)
    return Problem(shown, row, column, value, expected)

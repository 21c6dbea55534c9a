"""The organisation register: which organisations take part, of what type and size.

``organisations.csv`` (in the study's raw folder) has one row per organisation: ``code`` (short,
used in file names and tables), ``name`` (as the organisation writes it), ``type``
(municipality, collaboration or shared_service), ``size_class`` (small, medium, large) and
``platform`` (the platform it uses; several organisations may share one). Every other table
refers to organisations by code only, so names never reach a table an organisation's report
could leak.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError, problem

TYPES = ("municipality", "collaboration", "shared_service")
SIZE_CLASSES = ("small", "medium", "large")

SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str, pa.Check.str_matches(r"^[A-Za-z0-9_-]{2,16}$"), unique=True),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "type": pa.Column(str, pa.Check.isin(TYPES)),
        "size_class": pa.Column(str, pa.Check.isin(SIZE_CLASSES)),
        "platform": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    strict=False,
    coerce=True,
)


def read(path: str | Path) -> pd.DataFrame:
    """Read and check the organisation register; bad rows are reported with row and column."""
    path = Path(path)
    if not path.exists():
        raise InputError(problem(path, expected="the organisation register (file not found)"))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in SCHEMA.columns if c not in frame.columns]
    if missing:
        raise InputError([problem(path, 1, c, None, "this column in the header") for c in missing])
    try:
        return SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        raise InputError([
            problem(path, None if pd.isna(r.index) else int(r.index) + 1, r.column, r.failure_case,
                    f"a value that passes {r.check}")
            for r in cases.itertuples()
        ]) from None


def check_known(codes: pd.Series, register: pd.DataFrame, file: str | Path, column: str,
                rows: pd.Series | None = None) -> None:
    """Raise :class:`InputError` for every organisation code that the register does not know."""
    unknown = ~codes.isin(register["code"]) & codes.notna()
    if unknown.any():
        rows = rows if rows is not None else pd.Series(codes.index + 1, index=codes.index)
        raise InputError([
            problem(file, int(rows[i]), column, codes[i],
                    f"an organisation code from the register {sorted(register['code'])}")
            for i in codes.index[unknown][:20]
        ])

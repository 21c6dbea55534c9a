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
    if not path.read_bytes().strip():
        raise InputError(problem(path, expected="the organisation register with a header row "
                                 "code,name,type,size_class,platform: the file is empty"))
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
                rows: pd.Series | None = None, limit: int = 20) -> None:
    """Raise :class:`InputError` for every organisation code that the register does not know.

    Parameters
    ----------
    codes
        Organisation codes, one per row of ``file``; missing values are not checked.
    register
        The organisation register (:func:`read`).
    file, column
        Where the codes come from, for the message.
    rows
        The row of ``file`` each code comes from (default: position + 1, the data row).
    limit
        At most this many rows are named; one more problem says how many more there are.

    Examples
    --------
    >>> register = pd.DataFrame({"code": ["NDM", "ZWK"]})
    >>> try:
    ...     check_known(pd.Series(["NDM", "XYZ"]), register, "users.csv", "organisation")
    ... except InputError as exc:
    ...     print(exc)
    users.csv, row 2, column 'organisation': value 'XYZ': expected an organisation code from \
the register ['NDM', 'ZWK']
    """
    codes = codes.reset_index(drop=True)
    unknown = (~codes.isin(register["code"]) & codes.notna()).to_numpy(dtype=bool)
    if not unknown.any():
        return
    rows = (pd.Series(range(1, len(codes) + 1)) if rows is None
            else pd.Series(rows).reset_index(drop=True))
    where = unknown.nonzero()[0]
    known = sorted(register["code"].astype(str))
    problems = [problem(file, int(rows[i]), column, codes[i],
                        f"an organisation code from the register {known}")
                for i in where[:limit]]
    if len(where) > limit:
        strange = sorted(set(codes[where[limit:]].astype(str)))
        problems.append(problem(file, None, column, None,
                                f"the same as the lines above, for {len(where) - limit} more "
                                f"rows with a code the register lacks ({', '.join(strange[:10])}"
                                f"{', ...' if len(strange) > 10 else ''})"))
    raise InputError(problems)

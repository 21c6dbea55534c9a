"""Confidentiality of the benchmark tables: small groups hidden, hidden groups not recoverable.

Two rules, applied to every table an organisation sees (``benchmark``, ``group_contrasts``,
``perception_gap``):

1. **Minimum group size.** No figure is shown that rests on fewer than ``min_group_size``
   respondents or users (``params.yaml``, ``benchmark.min_group_size``; default 5). Such a row
   is *primary* suppressed.
2. **Complementary suppression.** The total (``function_group == 'all'``) is the union of the
   function groups, so with the total's n and mean and every other group's n and mean shown, one
   hidden group could be recovered by subtraction. Within each partition (one organisation and
   one variable), when exactly one group is hidden, the smallest group still shown is hidden as
   well (*secondary*, reason ``complementary``); when no other group is left, the total is hidden.

A suppressed row keeps its keys, has ``suppressed = True`` and a ``suppression_reason``
(``group_size``, ``complementary`` or ``no_data``), and its figures are set to missing so that a
report prints the reason (e.g. 'suppressed: fewer than 5') and never a blank or a zero.

Organisation reports never name another organisation: :func:`other_organisations_named` lists
every cell (and column name) of a table that mentions another organisation's code or name, and
:func:`check_names_no_other` raises when there is one.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

TOTAL = "all"
REASON_SIZE = "group_size"
REASON_COMPLEMENTARY = "complementary"
REASON_NO_DATA = "no_data"


class ConfidentialityError(RuntimeError):
    """Raised when a table meant for one organisation names another organisation."""


def suppress(table: pd.DataFrame, n_col: str, group_cols: list[str], min_size: int, *,
             part_col: str = "function_group", total: str = TOTAL,
             value_cols: list[str] | None = None, hide_n: bool = True,
             keep_last: tuple[str, ...] = ()) -> pd.DataFrame:
    """Hide rows that rest on fewer than ``min_size`` units, with complementary suppression.

    Parameters
    ----------
    table : DataFrame
        One row per cell; ``part_col`` names the function group, ``total`` marks the row for
        everyone (the union of the other rows of the same partition).
    n_col : str
        Column with the number of respondents or users behind each row.
    group_cols : list of str
        Columns that identify one partition (a total and its parts), e.g.
        ``["organisation", "variable"]``.
    min_size : int
        Smallest n that may be shown.
    part_col, total : str
        Column holding the part labels and the label of the total row.
    value_cols : list of str, optional
        Columns blanked in suppressed rows. Default: every column except ``group_cols``,
        ``part_col``, ``n_col`` and the flags; ``n_col`` is blanked too when ``hide_n``.
    hide_n : bool
        Blank the n of suppressed rows (a count below ``min_size`` is itself a small figure).
    keep_last : tuple of str
        Parts chosen for complementary suppression only when no other part is left (the
        benchmark keeps ``manager`` so that the managers-versus-staff gap can be shown).

    Returns
    -------
    DataFrame
        A copy with ``suppressed`` (bool) and ``suppression_reason`` (string or missing).

    Notes
    -----
    Primary: ``0 < n < min_size``. ``n == 0`` (nothing measured) is marked ``no_data`` and does
    not count as hidden, because there is nothing to recover. Secondary: in a partition with
    exactly one primary-suppressed part, the part with the smallest n that is still shown is
    suppressed too (parts in ``keep_last`` come last; ties: first in table order); when no
    such part exists the total is
    suppressed. One pass suffices: afterwards each partition has zero or at least two hidden
    parts, and a difference of the total and the shown parts only reveals the pooled hidden
    parts.

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4 (cell suppression,
    secondary suppression). Wiley.

    Examples
    --------
    >>> t = pd.DataFrame({"organisation": "A", "variable": "x",
    ...                   "function_group": ["all", "internal", "manager", "policy"],
    ...                   "n": [40, 30, 3, 7], "mean": [3.0, 3.1, 2.0, 2.9]})
    >>> out = suppress(t, "n", ["organisation", "variable"], 5)
    >>> out["suppression_reason"].tolist()
    [<NA>, <NA>, 'group_size', 'complementary']
    >>> out["mean"].tolist()
    [3.0, 3.1, nan, nan]
    """
    missing = [c for c in [n_col, part_col, *group_cols] if c not in table.columns]
    if missing:
        raise KeyError(f"suppress: table lacks the columns {missing}")
    out = table.copy()
    n = pd.to_numeric(out[n_col], errors="coerce").fillna(0).to_numpy(dtype=float)
    is_total = (out[part_col] == total).to_numpy()

    reason = np.full(len(out), None, dtype=object)
    primary = (n > 0) & (n < min_size)
    reason[primary] = REASON_SIZE
    reason[n == 0] = REASON_NO_DATA

    # Complementary: partitions with exactly one hidden part.
    if group_cols:
        keys = out.groupby(group_cols, sort=False, dropna=False).ngroup().to_numpy()
    else:
        keys = np.zeros(len(out), dtype=int)
    part_hidden = pd.Series(primary & ~is_total).groupby(keys).transform("sum").to_numpy()
    lone = part_hidden == 1
    if lone.any():
        frame = pd.DataFrame({"key": keys, "n": n, "pos": np.arange(len(out)),
                              "late": out[part_col].isin(keep_last).to_numpy(),
                              "candidate": lone & ~is_total & (reason == None)  # noqa: E711
                              & (n > 0)})
        chosen = (frame[frame["candidate"]].sort_values(["late", "n", "pos"], kind="stable")
                  .groupby("key", sort=False)["pos"].first())
        reason[chosen.to_numpy()] = REASON_COMPLEMENTARY
        # Partitions with no other part to hide: hide the total instead.
        orphan = set(pd.unique(keys[lone])) - set(chosen.index)
        if orphan:
            hide_total = is_total & np.isin(keys, list(orphan)) & (reason == None)  # noqa: E711
            reason[hide_total] = REASON_COMPLEMENTARY

    hidden = reason != None  # noqa: E711
    flags = {"suppressed", "suppression_reason"}
    if value_cols is None:
        value_cols = [c for c in out.columns
                      if c not in {*group_cols, part_col, n_col, *flags}]
    if hide_n:
        value_cols = [*value_cols, n_col]
    for col in value_cols:
        if out[col].dtype == bool:
            out[col] = out[col].astype("boolean")
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("Int64")
        out.loc[hidden, col] = pd.NA if not pd.api.types.is_float_dtype(out[col]) else np.nan
    out["suppressed"] = hidden
    out["suppression_reason"] = pd.array(reason, dtype="string")
    return out


def _patterns(organisations: pd.DataFrame, organisation: str) -> list[tuple[str, re.Pattern]]:
    others = organisations[organisations["code"].astype(str) != str(organisation)]
    found = []
    for col in ("code", "name"):
        if col not in others.columns:
            continue
        for label in others[col].dropna().astype(str):
            if label.strip():
                pat = re.compile(rf"(?<![0-9A-Za-z]){re.escape(label.strip())}(?![0-9A-Za-z])",
                                 re.IGNORECASE)
                found.append((label, pat))
    return found


def other_organisations_named(table: pd.DataFrame, organisation: str,
                              organisations: pd.DataFrame) -> pd.DataFrame:
    """List every place where a table for ``organisation`` names another organisation.

    Parameters
    ----------
    table : DataFrame
        The table as the organisation will see it.
    organisation : str
        Code of the organisation whose report this is.
    organisations : DataFrame
        With ``code`` and ``name`` of every organisation in the study.

    Returns
    -------
    DataFrame
        ``row`` (index label, or ``None`` for a column name), ``column``, ``value``, ``named``
        (the other organisation's code or name found). Empty when the table is clean.

    Notes
    -----
    Text cells, column names and the index are searched, case-insensitively, for another
    organisation's code or name as a whole word (so code ``G1`` does not match ``G10``).

    Examples
    --------
    >>> orgs = pd.DataFrame({"code": ["G01", "G02"], "name": ["Gemeente Aa", "Gemeente Bee"]})
    >>> t = pd.DataFrame({"organisation": ["G01"], "note": ["higher than gemeente bee"]})
    >>> other_organisations_named(t, "G01", orgs)["named"].tolist()
    ['Gemeente Bee']
    """
    patterns = _patterns(organisations, organisation)
    hits = []
    for col in table.columns:
        for label, pat in patterns:
            if pat.search(str(col)):
                hits.append({"row": None, "column": str(col), "value": str(col), "named": label})
    cells = [(idx, str(col), val) for col in table.columns
             if not pd.api.types.is_numeric_dtype(table[col])
             for idx, val in table[col].items() if isinstance(val, str)]
    cells += [(idx, "<index>", idx) for idx in table.index if isinstance(idx, str)]
    for idx, col, val in cells:
        for label, pat in patterns:
            if pat.search(val):
                hits.append({"row": idx, "column": col, "value": val, "named": label})
    return pd.DataFrame(hits, columns=["row", "column", "value", "named"])


def check_names_no_other(table: pd.DataFrame, organisation: str,
                         organisations: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` unchanged if it names no other organisation; raise otherwise.

    Raises
    ------
    ConfidentialityError
        Listing the first few places where another organisation is named.

    Examples
    --------
    >>> orgs = pd.DataFrame({"code": ["G01", "G02"], "name": ["Aa", "Bee"]})
    >>> check_names_no_other(pd.DataFrame({"organisation": ["G01"]}), "G01", orgs).shape
    (1, 1)
    """
    hits = other_organisations_named(table, organisation, organisations)
    if len(hits):
        shown = "; ".join(f"row {h.row!r}, column {h.column!r}: {h.named!r}"
                          for h in hits.head(5).itertuples())
        raise ConfidentialityError(
            f"the table for organisation {organisation!r} names {len(hits)} time(s) another "
            f"organisation: {shown}")
    return table

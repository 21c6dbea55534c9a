"""The variables the study compares, in the one long form the benchmark and correlations read.

Survey variables are construct scores per respondent (``scores.parquet``), optionally with
single items the study asks about directly (``cul_questions``: 'questions may be asked');
usage variables are the user-level measures of :mod:`analysis.measures` per employee account
(``user_measures.parquet``). Yes/no measures become 0/1, so that their mean is a share.

Where it sits: the benchmark and correlate stages call :func:`long_values` on the outputs of
the score and usage stages.
"""

from __future__ import annotations

import pandas as pd

from analysis import measures

# User-level columns that describe the observation, not behaviour: never benchmarked.
NOT_COMPARED = {"months_in_window"}


def usage_variables(user_measures: pd.DataFrame) -> list[str]:
    """The user-level measures present in ``user_measures`` that the benchmark compares."""
    return [m for m in measures.ids("user")
            if m in user_measures.columns and m not in NOT_COMPARED]


def long_values(scores: pd.DataFrame, user_measures: pd.DataFrame | None, constructs: list[str],
                items: pd.DataFrame | None = None, item_ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """Stack construct scores, chosen items and user measures into one long table.

    Parameters
    ----------
    scores : one row per kept respondent: ``respondent``, ``organisation``,
        ``function_group`` and one column per construct.
    user_measures : one row per employee account: ``user``, ``organisation``,
        ``function_group`` and one column per measure; None for survey variables only.
    constructs : the construct columns to take from ``scores``.
    items, item_ids : optionally, answers (``respondent`` + item columns) and the item ids to
        add as survey variables of their own.

    Returns
    -------
    DataFrame
        ``organisation``, ``function_group``, ``unit``, ``variable``, ``value`` (float; NaN =
        not available), ``source`` ('survey' or 'usage').

    Examples
    --------
    >>> s = pd.DataFrame({"respondent": ["r1"], "organisation": ["A"],
    ...                   "function_group": ["policy"], "culture": [4.0]})
    >>> u = pd.DataFrame({"user": ["u1"], "organisation": ["A"], "function_group": ["policy"],
    ...                   "active": [True]})
    >>> long_values(s, u, ["culture"])[["unit", "variable", "value", "source"]].to_numpy().tolist()
    [['r1', 'culture', 4.0, 'survey'], ['u1', 'active', 1.0, 'usage']]
    """
    keys = ["organisation", "function_group"]
    survey = scores[["respondent", *keys, *constructs]]
    if items is not None and item_ids:
        survey = survey.merge(items[["respondent", *item_ids]], on="respondent", how="left")
    survey = survey.melt(id_vars=["respondent", *keys], var_name="variable", value_name="value")
    survey = survey.rename(columns={"respondent": "unit"}).assign(source="survey")
    survey["value"] = pd.to_numeric(survey["value"], errors="coerce").astype("float64")

    if user_measures is None:
        return survey[["organisation", "function_group", "unit", "variable", "value", "source"]]
    usage_cols = usage_variables(user_measures)
    usage = user_measures[["user", *keys, *usage_cols]].copy()
    for column in usage_cols:
        usage[column] = pd.to_numeric(usage[column].astype("Float64"), errors="coerce")
    usage = usage.melt(id_vars=["user", *keys], var_name="variable", value_name="value")
    usage = usage.rename(columns={"user": "unit"}).assign(source="usage")
    usage["value"] = usage["value"].astype("float64")

    out = pd.concat([survey, usage], ignore_index=True)
    return out[["organisation", "function_group", "unit", "variable", "value", "source"]]

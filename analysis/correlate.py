"""Soft and hard: survey constructs against platform usage, at three levels.

Input is the same long ``values`` table as :mod:`analysis.benchmark` (``organisation``,
``function_group``, ``unit``, ``variable``, ``value``, ``source``). Survey variables
(``source == 'survey'``) are paired with usage variables (``source == 'usage'``):

- organisation level (n = organisations; few, so every row says so and a warning is raised),
- organisation x function group level (cells nested in organisations: not independent),
- individual level, for respondents who consented to a link with their platform account
  (``links``: ``respondent`` -> ``platform_user``, equal keyed hashes).

Every table is tidy, one row per pair of variables and method, with ``r``, a 95% confidence
interval, ``p`` and a Benjamini-Hochberg ``p_adj`` over the table. :func:`indices` gives the
survey and usage index per organisation behind the study's central scatter;
:func:`questions_vs_culture` tests the study's own question directly.

Only cells resting on at least ``min_group_size`` units enter an organisation or group mean,
as in the benchmark tables.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from analysis.benchmark import bh_adjust, check_values
from analysis.codebook import FUNCTION_GROUPS
from analysis.errors import InputError, problem

METHODS = ("spearman", "pearson")
SMALL_N = 10  # below this many organisations, correlations get a warning and a flag
CORRELATE_DEFAULTS = {"small_n": SMALL_N, "min_linked": 5, "culture_variable": "cul_questions",
                      "questions_variable": "questions", "reverse": ["sharing_barriers"]}


class SmallSampleWarning(UserWarning):
    """A correlation rests on so few organisations that it is a description, not evidence."""


def organisation_means(values: pd.DataFrame, min_group_size: int = 5,
                       by_group: bool = False) -> pd.DataFrame:
    """Mean of every variable per organisation (or organisation x function group).

    Returns
    -------
    DataFrame
        Long: ``organisation`` (and ``function_group`` when ``by_group``), ``variable``,
        ``source``, ``n``, ``mean``; the mean is missing when n < ``min_group_size``.

    Examples
    --------
    >>> v = pd.DataFrame({"organisation": "A", "function_group": "policy", "unit": list("abcde"),
    ...                   "variable": "x", "value": [1.0, 2, 3, 4, 5], "source": "survey"})
    >>> organisation_means(v)[["organisation", "n", "mean"]].values.tolist()
    [['A', 5, 3.0]]
    """
    values = check_values(values)
    keys = ["organisation", "function_group", "variable"] if by_group else \
        ["organisation", "variable"]
    if by_group:
        values = values[values["function_group"].isin(FUNCTION_GROUPS)]
    out = values.groupby(keys, observed=True)["value"].agg(["count", "mean"]).reset_index()
    out = out.rename(columns={"count": "n"})
    out["organisation"] = out["organisation"].astype(str)
    source = values.drop_duplicates("variable").set_index("variable")["source"]
    out["source"] = out["variable"].map(source).astype(str)
    out.loc[out["n"] < min_group_size, "mean"] = np.nan
    return out[[*keys[:-1], "variable", "source", "n", "mean"]]


def _wide(long: pd.DataFrame, index: list[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    wide = long.pivot_table(index=index, columns="variable", values="mean", dropna=False,
                            observed=True)
    wide.columns = [str(c) for c in wide.columns]
    src = long.drop_duplicates("variable").set_index("variable")["source"]
    survey = [v for v in wide.columns if src.get(v) == "survey"]
    usage = [v for v in wide.columns if src.get(v) == "usage"]
    return wide, survey, usage


def correlation_ci(r: np.ndarray, n: np.ndarray, method: str = "pearson",
                   level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a correlation through Fisher's z.

    Notes
    -----
    z = atanh(r), interval tanh(z +/- z_{1-a/2} SE) with SE = 1/sqrt(n - 3) for Pearson (as
    ``pingouin.compute_esci``) and SE = sqrt((1 + r^2/2)/(n - 3)) for Spearman (Bonett & Wright,
    2000), which is wider because ranks lose information.

    References
    ----------
    Bonett, D. G. & Wright, T. A. (2000). Sample size requirements for estimating Pearson,
    Kendall and Spearman correlations. Psychometrika 65, 23-28.

    Examples
    --------
    >>> [round(float(x), 2) for x in correlation_ci(np.array(-0.35), np.array(500))]
    [-0.42, -0.27]
    """
    r = np.asarray(r, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = 1 / np.sqrt(n - 3)
        if method == "spearman":
            se = se * np.sqrt(1 + r ** 2 / 2)
        z = np.arctanh(np.clip(r, -0.999999999, 0.999999999))
        crit = stats.norm.ppf(0.5 + level / 2)
        low, high = np.tanh(z - crit * se), np.tanh(z + crit * se)
    # a perfect sample correlation carries no information about its spread: the Fisher
    # interval would collapse to [r, r], which claims certainty a handful of units cannot give
    bad = ~(n > 3) | (np.abs(r) >= 1 - 1e-12)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def _pair_stats(x: np.ndarray, y: np.ndarray, method: str) -> tuple[int, float, float]:
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < 3:
        return n, np.nan, np.nan
    x, y = x[ok], y[ok]
    if method == "spearman":
        x, y = stats.rankdata(x), stats.rankdata(y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return n, np.nan, np.nan
    r = float(np.corrcoef(x, y)[0, 1])
    r = max(-1.0, min(1.0, r))
    with np.errstate(divide="ignore"):
        t = r * np.sqrt((n - 2) / max(1e-300, 1 - r ** 2))
    p = float(2 * stats.t.sf(abs(t), n - 2))
    return n, r, p


def correlation_table(wide: pd.DataFrame, x_vars: list[str], y_vars: list[str],
                      methods: tuple[str, ...] = METHODS, level: str = "",
                      small_n: int = 0) -> pd.DataFrame:
    """Correlate every x with every y (pairwise complete cases), per method.

    Returns
    -------
    DataFrame
        ``level``, ``x``, ``y``, ``method``, ``n``, ``r``, ``ci_low``, ``ci_high``, ``p``
        (t test of r with n - 2 df, as ``scipy.stats.pearsonr``/``spearmanr``), ``p_adj``
        (Benjamini-Hochberg per method over the table), ``small_n`` (n < ``small_n``).
    """
    rows = []
    arrays = {c: wide[c].to_numpy(dtype=float) for c in {*x_vars, *y_vars}}
    for method in methods:
        for xv in x_vars:
            for yv in y_vars:
                if xv == yv:
                    continue
                n, r, p = _pair_stats(arrays[xv], arrays[yv], method)
                rows.append((level, xv, yv, method, n, r, p))
    out = pd.DataFrame(rows, columns=["level", "x", "y", "method", "n", "r", "p"])
    low, high = np.full(len(out), np.nan), np.full(len(out), np.nan)
    for method in methods:
        sel = (out["method"] == method).to_numpy()
        low[sel], high[sel] = correlation_ci(out.loc[sel, "r"].to_numpy(),
                                             out.loc[sel, "n"].to_numpy(), method)
    out.insert(6, "ci_low", low)
    out.insert(7, "ci_high", high)
    out["p_adj"] = bh_adjust(out["p"].to_numpy(), out["method"].to_numpy())
    out["small_n"] = out["n"] < small_n
    return out


def organisation_level(org_values: pd.DataFrame, small_n: int = SMALL_N) -> pd.DataFrame:
    """Correlate survey and usage variables across organisations (n = organisations).

    Parameters
    ----------
    org_values : DataFrame
        Long organisation means, as :func:`organisation_means` returns.
    small_n : int
        Fewer organisations than this raise a :class:`SmallSampleWarning` and set ``small_n``.

    Returns
    -------
    DataFrame
        See :func:`correlation_table`; ``level == 'organisation'``, x = survey, y = usage.

    Notes
    -----
    Spearman and Pearson r over organisation means, CIs by Fisher's z
    (:func:`correlation_ci`). With seven organisations a 95% CI of r spans most of [-1, 1];
    these correlations describe the study's organisations and are not evidence on their own.

    Examples
    --------
    >>> om = pd.DataFrame({"organisation": list("ABCDEFGHIJKL") * 2,
    ...     "variable": ["s"] * 12 + ["u"] * 12, "source": ["survey"] * 12 + ["usage"] * 12,
    ...     "n": 30, "mean": list(range(12)) + [x ** 2 for x in range(12)]})
    >>> organisation_level(om).set_index("method")["r"].round(3).to_dict()
    {'spearman': 1.0, 'pearson': 0.964}
    """
    wide, survey, usage = _wide(org_values, ["organisation"])
    out = correlation_table(wide, survey, usage, level="organisation", small_n=small_n)
    if len(wide) < small_n:
        warnings.warn(f"organisation-level correlations rest on {len(wide)} organisations "
                      f"(fewer than {small_n}): read them as description, not evidence",
                      SmallSampleWarning, stacklevel=2)
    return out


def group_level(values: pd.DataFrame, min_group_size: int = 5) -> pd.DataFrame:
    """Correlate survey and usage variables across organisation x function group cells.

    Notes
    -----
    n counts cells with both means shown (each resting on >= ``min_group_size`` units). Cells
    of one organisation share its culture and platform, so they are not independent; the p
    values are optimistic and the table says ``level == 'organisation_group'``.
    """
    means = organisation_means(values, min_group_size, by_group=True)
    wide, survey, usage = _wide(means, ["organisation", "function_group"])
    return correlation_table(wide, survey, usage, level="organisation_group")


def _linked(values: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """Wide table of linked individuals: survey and usage variables side by side."""
    for col in ("respondent", "platform_user"):
        if col not in links.columns:
            raise InputError(problem("links", None, col, None, "a column of the link table"))
    links = links.dropna(subset=["platform_user"]).drop_duplicates("respondent")
    linked = set(links["respondent"]) | set(links["platform_user"])
    values = check_values(values[values["unit"].isin(linked)])
    survey = values[values["source"] == "survey"]
    usage = values[values["source"] == "usage"]
    user_of = links.set_index("respondent")["platform_user"]
    survey = survey.assign(person=survey["unit"].map(user_of)).dropna(subset=["person"])
    usage = usage.assign(person=usage["unit"])
    usage = usage[usage["person"].isin(set(survey["person"]))]
    wide_s = (survey.groupby(["person", "organisation", "function_group", "variable"],
                             observed=True)["value"].mean().unstack("variable"))
    wide_u = usage.groupby(["person", "variable"], observed=True)["value"].mean() \
        .unstack("variable")
    wide = wide_s.reset_index().merge(wide_u.reset_index(), on="person", how="inner")
    wide.columns = [str(c) for c in wide.columns]
    wide.attrs["survey"] = [str(c) for c in wide_s.columns]
    wide.attrs["usage"] = [str(c) for c in wide_u.columns]
    return wide


def individual_level(values: pd.DataFrame, links: pd.DataFrame,
                     min_linked: int = 5) -> pd.DataFrame:
    """Correlate survey and usage at the level of people who consented to a link.

    Parameters
    ----------
    values : DataFrame
        Long values table (survey units are respondent hashes, usage units user hashes).
    links : DataFrame
        ``respondent`` and ``platform_user`` (the consented account's hash; missing = no
        consent), as in ``survey_respondents.parquet``.
    min_linked : int
        Fewer linked people than this: an empty table (nothing is shown about so few people).

    Notes
    -----
    People of all organisations are pooled; differences between organisations then add to
    the correlation. :func:`partial` with ``organisation`` or ``function_group`` as the
    covariate separates them.
    """
    wide = _linked(values, links)
    if len(wide) < min_linked:
        warnings.warn(f"only {len(wide)} linked respondents (fewer than {min_linked}): "
                      "no individual-level correlations shown", SmallSampleWarning, stacklevel=2)
        return correlation_table(pd.DataFrame(), [], [], level="individual")
    return correlation_table(wide, wide.attrs["survey"], wide.attrs["usage"],
                             level="individual")


def pairwise(data: pd.DataFrame, columns: list[str] | None = None, method: str = "spearman",
             padjust: str = "fdr_bh") -> pd.DataFrame:
    """All pairwise correlations of ``columns`` with ``pingouin.pairwise_corr``, tidy.

    Returns
    -------
    DataFrame
        ``x``, ``y``, ``method``, ``n``, ``r``, ``ci_low``, ``ci_high`` (Fisher z at full
        precision, :func:`correlation_ci`; pingouin rounds its CI95 to 2 decimals), ``p``,
        ``p_adj`` (pingouin's ``padjust``, Benjamini-Hochberg by default).

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, 5], "c": [5.0, 4, 3, 2, 1]})
    >>> pairwise(d, method="pearson")[["x", "y", "r"]].round(2).values.tolist()
    [['a', 'b', 0.8], ['a', 'c', -1.0], ['b', 'c', -0.8]]
    """
    data = data if columns is None else data[columns]
    res = pg.pairwise_corr(data, method=method, padjust=padjust)
    out = pd.DataFrame({"x": res["X"], "y": res["Y"], "method": res["method"],
                        "n": res["n"].astype(int), "r": res["r"].astype(float)})
    out["ci_low"], out["ci_high"] = correlation_ci(out["r"].to_numpy(), out["n"].to_numpy(),
                                                   method)
    out["p"] = res["p_unc"].astype(float)
    out["p_adj"] = res["p_corr"].astype(float) if "p_corr" in res else out["p"]
    return out


def partial(data: pd.DataFrame, x_vars: list[str], y_vars: list[str],
            covar: str = "function_group", method: str = "pearson") -> pd.DataFrame:
    """Partial correlations of each x with each y, controlling for a categorical covariate.

    The covariate (``function_group`` by default, or ``organisation``) is dummy-coded (first
    level dropped) and passed to ``pingouin.partial_corr``.

    Notes
    -----
    Controlling for a categorical variable by its dummies equals correlating x and y after
    subtracting each category's mean from both (the within-group correlation); the tests check
    this equivalence. Benjamini-Hochberg ``p_adj`` over the table.

    Examples
    --------
    >>> d = pd.DataFrame({"function_group": ["a"] * 4 + ["b"] * 4,
    ...                   "x": [1.0, 2, 3, 4, 11, 12, 13, 14], "y": [1.0, 3, 2, 4, 0, 2, 1, 3]})
    >>> round(float(partial(d, ["x"], ["y"])["r"].iloc[0]), 2)
    0.8
    """
    dummies = pd.get_dummies(data[covar].astype(str), prefix="cov", drop_first=True, dtype=float)
    frame = pd.concat([data[[*dict.fromkeys([*x_vars, *y_vars])]].reset_index(drop=True),
                       dummies.reset_index(drop=True)], axis=1)
    cov_cols = list(dummies.columns)
    rows = []
    for xv in x_vars:
        for yv in y_vars:
            if xv == yv:
                continue
            sub = frame[[xv, yv, *cov_cols]].dropna()
            keep = [c for c in cov_cols if sub[c].nunique() > 1]
            if len(sub) < len(keep) + 4:
                rows.append((xv, yv, covar, method, len(sub), np.nan, np.nan, np.nan, np.nan))
                continue
            res = pg.partial_corr(sub, x=xv, y=yv, covar=keep or None, method=method)
            r = float(res["r"].iloc[0])
            # Fisher z with n - 3 - (number of covariates)
            low, high = correlation_ci(np.array(r), np.array(len(sub) - len(keep)), method)
            rows.append((xv, yv, covar, method, len(sub), r, float(low), float(high),
                         float(res["p_val"].iloc[0])))
    out = pd.DataFrame(rows, columns=["x", "y", "covariate", "method", "n", "r", "ci_low",
                                      "ci_high", "p"])
    out["p_adj"] = bh_adjust(out["p"].to_numpy())
    return out


def indices(org_values: pd.DataFrame, survey_variables: list[str] | None = None,
            usage_variables: list[str] | None = None,
            reverse: tuple[str, ...] = ()) -> pd.DataFrame:
    """A survey index and a usage index per organisation, for the study's central scatter.

    Parameters
    ----------
    org_values : DataFrame
        Long organisation means (:func:`organisation_means`).
    survey_variables, usage_variables : list of str, optional
        Variables in each index; default all of that source.
    reverse : tuple of str
        Variables where a higher value is worse (e.g. ``sharing_barriers``); their z is negated.

    Returns
    -------
    DataFrame
        ``organisation``, ``survey_index``, ``usage_index``, ``n_survey``, ``n_usage`` (how
        many variables each index averages).

    Notes
    -----
    Each variable is standardised across organisations, z = (m - mean(m)) / sd(m) (ddof 1),
    and an index is the mean of the available z of its variables: 0 is the average
    organisation, 1 one standard deviation between organisations above it.

    Examples
    --------
    >>> om = pd.DataFrame({"organisation": list("ABC") * 2, "variable": ["s"] * 3 + ["u"] * 3,
    ...     "source": ["survey"] * 3 + ["usage"] * 3, "n": 9, "mean": [1.0, 2, 3, 10, 30, 20]})
    >>> indices(om)[["survey_index", "usage_index"]].values.tolist()
    [[-1.0, -1.0], [0.0, 1.0], [1.0, 0.0]]
    """
    wide, survey, usage = _wide(org_values, ["organisation"])
    survey = survey if survey_variables is None else list(survey_variables)
    usage = usage if usage_variables is None else list(usage_variables)
    z = (wide - wide.mean()) / wide.std(ddof=1)
    for var in reverse:
        if var in z.columns:
            z[var] = -z[var]
    out = pd.DataFrame({"survey_index": z[survey].mean(axis=1),
                        "usage_index": z[usage].mean(axis=1),
                        "n_survey": z[survey].notna().sum(axis=1),
                        "n_usage": z[usage].notna().sum(axis=1)})
    return out.reset_index()


def questions_vs_culture(values: pd.DataFrame, links: pd.DataFrame | None = None,
                         culture_variable: str = "cul_questions",
                         questions_variable: str = "questions",
                         min_group_size: int = 5) -> pd.DataFrame:
    """Where the culture invites questions, are more questions asked on the intranet?

    Correlates the culture item 'in our organisation questions may be asked'
    (``cul_questions``) with the questions asked per user on the platform, at organisation
    level, at organisation x function group level and, with ``links``, for linked individuals.

    Returns
    -------
    DataFrame
        One row per level and method: ``level``, ``method``, ``n``, ``r``, ``ci_low``,
        ``ci_high``, ``p`` (two-sided), ``p_greater`` (one-sided, the study's hypothesis
        r > 0), ``small_n``, and ``answer`` (``more questions``, ``fewer questions``,
        ``no clear link``: the 95% interval lies above zero, below zero, or includes it;
        ``p_greater`` is reported for readers who hold the one-sided hypothesis).

    Notes
    -----
    The one-sided p halves the two-sided p when r has the hypothesised sign:
    p_greater = p/2 if r > 0 else 1 - p/2.

    Examples
    --------
    >>> v = pd.DataFrame({"organisation": np.repeat(list("ABCDEFGH"), 10),
    ...     "function_group": "policy", "unit": [f"u{i}" for i in range(80)],
    ...     "variable": (["cul_questions"] * 5 + ["questions"] * 5) * 8,
    ...     "source": (["survey"] * 5 + ["usage"] * 5) * 8,
    ...     "value": np.repeat(np.arange(8.0), 10)})
    >>> import warnings; warnings.simplefilter("ignore")
    >>> questions_vs_culture(v).query("level == 'organisation'")["r"].tolist()
    [1.0, 1.0]
    """
    present = set(pd.unique(values["variable"]).astype(str))
    for var in (culture_variable, questions_variable):
        if var not in present:
            raise InputError(problem("values", None, "variable", var,
                                     "this variable among the values (questions_vs_culture)"))
    sub = check_values(values[values["variable"].isin([culture_variable, questions_variable])])
    pair = ([culture_variable], [questions_variable])
    org = organisation_means(sub, min_group_size)
    wide, _, _ = _wide(org, ["organisation"])
    tables = [correlation_table(wide, *pair, level="organisation", small_n=SMALL_N)]
    if len(wide) < SMALL_N:
        warnings.warn(f"questions_vs_culture: {len(wide)} organisations (fewer than "
                      f"{SMALL_N}); the organisation-level answer is a description",
                      SmallSampleWarning, stacklevel=2)
    grp = organisation_means(sub, min_group_size, by_group=True)
    wide, _, _ = _wide(grp, ["organisation", "function_group"])
    tables.append(correlation_table(wide, *pair, level="organisation_group"))
    if links is not None:
        linked = _linked(sub, links)
        if {culture_variable, questions_variable} <= set(linked.columns) and len(linked) >= 5:
            tables.append(correlation_table(linked, *pair, level="individual"))
    out = pd.concat(tables, ignore_index=True).drop(columns=["p_adj"])
    r, p = out["r"].to_numpy(), out["p"].to_numpy()
    out["p_greater"] = np.where(r > 0, p / 2, 1 - p / 2)
    # the answer follows the 95% interval the reports print beside it, so that a reader never
    # sees 'yes' next to an interval that includes zero
    answer = np.full(len(out), "no clear link", dtype=object)
    answer[(out["ci_low"] > 0).to_numpy()] = "more questions"
    answer[(out["ci_high"] < 0).to_numpy()] = "fewer questions"
    out["answer"] = answer
    return out[["level", "x", "y", "method", "n", "r", "ci_low", "ci_high", "p", "p_greater",
                "small_n", "answer"]]


def soft_hard(values: pd.DataFrame, links: pd.DataFrame | None = None,
              params: dict | None = None, min_group_size: int = 5
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The correlate stage in one call: ``correlations`` and ``org_indices`` tables.

    Parameters
    ----------
    values, links : DataFrame
        As for :func:`individual_level`; ``links`` may be ``None`` (no consented links).
    params : dict
        The ``correlate`` section of ``params.yaml`` (``small_n``, ``min_linked``,
        ``culture_variable``, ``questions_variable``, ``reverse``).
    min_group_size : int
        ``benchmark.min_group_size``: smaller cells do not enter a mean.

    Returns
    -------
    correlations : DataFrame
        Organisation, organisation x function group and individual levels stacked
        (:func:`correlation_table` columns; ``level`` tells them apart).
    org_indices : DataFrame
        :func:`indices` per organisation.
    """
    prm = {**CORRELATE_DEFAULTS, **(params or {})}
    means = organisation_means(values, min_group_size)
    tables = [organisation_level(means, small_n=int(prm["small_n"])),
              group_level(values, min_group_size)]
    if links is not None:
        tables.append(individual_level(values, links, min_linked=int(prm["min_linked"])))
    correlations = pd.concat([t for t in tables if len(t)], ignore_index=True)
    org_indices = indices(means, reverse=tuple(prm.get("reverse") or ()))
    return correlations, org_indices

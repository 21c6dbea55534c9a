"""Scales: construct scores and how far the items behind them hang together (the score stage).

Everything here is a pure function on the wide answer table of the contract
(``respondent`` + one nullable ``Int8`` column per item id, see ``data/processed/README.md``)
and a :class:`analysis.codebook.Codebook`:

- :func:`reverse_key` recodes reverse-keyed items as ``max + min - answer``;
- :func:`score` averages each construct's answered items, or leaves the score missing when too
  few were answered (the construct's ``min_share``), and counts the missing scores;
- :func:`reliability` gives per construct and scope (``all`` and each organisation) the number of
  respondents, Cronbach's alpha with its 95% confidence interval (pingouin), McDonald's omega
  total (one-factor model fitted with semopy), the missing-data policy used and any warnings;
- :func:`item_statistics` gives item-rest correlations and alpha if an item is deleted;
- :func:`icc` says how much of a construct's variance lies between organisations (ICC(1), ICC(2));
- :func:`structure` gives KMO and Bartlett's test over all items (factor_analyzer) and a
  one-factor confirmatory model per construct (semopy) with its fit figures.

Reliability caveats (low alpha, a negative item-rest correlation, fewer than three items, zero
variance) are raised as :class:`ReliabilityWarning` *and* returned in the ``warnings`` column,
so that the reports' methods appendix can show them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import semopy
from factor_analyzer import calculate_bartlett_sphericity, calculate_kmo
from scipy import stats

from analysis.codebook import Codebook
from analysis.errors import InputError, problem
from analysis.log import logger

POLICIES = ("pairwise", "listwise")
MIN_ALPHA = 0.60  # the default of params.yaml score.min_alpha


class ReliabilityWarning(UserWarning):
    """A caveat about a scale's reliability that a researcher must see."""


# --------------------------------------------------------------------------------------------
# Input checks


def _check_items(answers: pd.DataFrame, codebook: Codebook) -> None:
    """Raise InputError when a scale item column is missing or holds an answer out of range."""
    problems = []
    where = getattr(answers, "attrs", {}).get("source", "<answers>")
    for item in codebook.scale_items:
        if item.id not in answers.columns:
            problems.append(problem(where, None, item.id, None,
                                    f"a column for item {item.id!r} of codebook "
                                    f"{codebook.instrument!r}"))
            continue
        values = pd.to_numeric(answers[item.id], errors="coerce")
        bad = answers[item.id].notna() & (values.isna() | (values < item.min)
                                          | (values > item.max) | (values % 1 != 0))
        for position in np.flatnonzero(bad.to_numpy())[:5]:
            problems.append(problem(where, int(position) + 1, item.id,
                                    answers[item.id].iloc[position],
                                    f"a whole answer code from {item.min} to {item.max}"))
    if problems:
        raise InputError(problems)


def _items_frame(answers: pd.DataFrame, item_ids: list[str]) -> pd.DataFrame:
    """The given item columns as float64 with NaN for missing (what pingouin and semopy read)."""
    return answers[item_ids].astype("Float64").astype("float64")


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, not {policy!r}")


# --------------------------------------------------------------------------------------------
# Scores


def reverse_key(answers: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Recode the reverse-keyed items of a wide answer table as ``max + min - answer``.

    Parameters
    ----------
    answers : DataFrame
        ``respondent`` plus one nullable integer column per item id.
    codebook : Codebook
        Says which items are reverse-keyed and their answer range.

    Returns
    -------
    DataFrame
        A copy of ``answers`` with the reverse-keyed items recoded; other columns untouched,
        missing answers stay missing.

    Raises
    ------
    InputError
        When a scale item has no column or an answer lies outside the item's range.

    Notes
    -----
    On a scale from :math:`a` to :math:`b` the recoded answer is :math:`a + b - x`, so that
    1..5 becomes 5..1 and 1..6 becomes 6..1 (R psych's ``reverse.code`` with ``mini``/``maxi``).

    Examples
    --------
    >>> from analysis.codebook import from_dict
    >>> cb = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                 "items": [{"id": "q1", "construct": "c", "text": {"nl": "", "en": ""}},
    ...                           {"id": "q2", "construct": "c", "reverse": True,
    ...                            "text": {"nl": "", "en": ""}}]})
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2"], "q1": [1, 4], "q2": [1, None]},
    ...                      ).astype({"q1": "Int8", "q2": "Int8"})
    >>> reverse_key(frame, cb)["q2"].tolist()
    [5, <NA>]
    """
    _check_items(answers, codebook)
    keyed = answers.copy()
    for item in codebook.scale_items:
        if item.reverse:
            keyed[item.id] = (item.max + item.min - answers[item.id]).astype(
                answers[item.id].dtype)
    return keyed


def score(answers: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every construct as the mean of its answered (reverse-keyed) items.

    Parameters
    ----------
    answers : DataFrame
        ``respondent`` plus one nullable integer column per item id.
    codebook : Codebook
        The constructs, their items and each construct's ``min_share``.

    Returns
    -------
    scores : DataFrame
        ``respondent`` plus one float column per construct (codebook order); missing (NaN) where
        the respondent answered fewer than ``min_share`` of the construct's items.
    missing : DataFrame
        One row per construct: ``construct``, ``n_items``, ``min_items`` (answered items needed),
        ``n_respondents``, ``n_scored``, ``n_missing``.

    Notes
    -----
    With :math:`A_j` the answered items of respondent :math:`j` out of the construct's :math:`k`
    items, the score is :math:`\\bar x_j = \\frac{1}{|A_j|}\\sum_{i \\in A_j} x_{ij}` when
    :math:`|A_j| \\ge \\lceil s k \\rceil` (``min_share`` :math:`s`), else missing. This is the
    'prorated' mean of R psych's ``scoreItems(..., impute = "none")``.

    Examples
    --------
    >>> from analysis.codebook import from_dict
    >>> cb = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"},
    ...                                 "min_share": 0.5}],
    ...                 "items": [{"id": f"q{i}", "construct": "c", "text": {"nl": "", "en": ""}}
    ...                           for i in (1, 2, 3)]})
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2"], "q1": [4, 4], "q2": [2, None],
    ...                       "q3": [3, None]}).astype({f"q{i}": "Int8" for i in (1, 2, 3)})
    >>> scores, missing = score(frame, cb)
    >>> scores["c"].tolist(), int(missing.loc[0, "n_missing"])
    ([3.0, nan], 1)
    """
    keyed = reverse_key(answers, codebook)
    scores = pd.DataFrame({"respondent": answers["respondent"]}) if "respondent" in answers \
        else pd.DataFrame(index=answers.index)
    counts = []
    for cid, construct in codebook.constructs.items():
        item_ids = [i.id for i in codebook.items_of(cid)]
        values = _items_frame(keyed, item_ids)
        answered = values.notna().sum(axis=1)
        # ceil with a tolerance, so that 0.5 of 4 items is 2 items, not 3 through rounding noise
        min_items = max(1, math.ceil(construct.min_share * len(item_ids) - 1e-9))
        scores[cid] = values.mean(axis=1).where(answered >= min_items)
        n_missing = int(scores[cid].isna().sum())
        counts.append({"construct": cid, "n_items": len(item_ids), "min_items": min_items,
                       "n_respondents": len(values), "n_scored": len(values) - n_missing,
                       "n_missing": n_missing})
        if n_missing:
            logger.info("score %s: %d of %d respondents answered fewer than %d of %d items; "
                        "score missing", cid, n_missing, len(values), min_items, len(item_ids))
    return scores, pd.DataFrame(counts)


# --------------------------------------------------------------------------------------------
# Reliability


def _covariance(values: pd.DataFrame, policy: str) -> tuple[pd.DataFrame, int]:
    """Item covariance matrix under the policy, and the n it rests on."""
    values = values.dropna(how="all")
    if policy == "listwise":
        values = values.dropna()
    return values.cov(), len(values)


def _alpha_from_cov(cov: pd.DataFrame) -> float:
    """Cronbach's alpha from an item covariance matrix (the formula pingouin uses)."""
    k = len(cov)
    total = cov.to_numpy().sum()
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov.to_numpy()) / total))


def _item_rest(cov: pd.DataFrame) -> pd.DataFrame:
    """Item-rest correlation and alpha if deleted, from the item covariance matrix.

    As R psych's ``alpha`` (``r.drop``, ``alpha.drop``): the rest score's variance and its
    covariance with the item are sums over blocks of the covariance matrix.
    """
    c = cov.to_numpy()
    rows = []
    for i, item in enumerate(cov.columns):
        rest = [j for j in range(len(c)) if j != i]
        var_rest = c[np.ix_(rest, rest)].sum()
        cov_item_rest = c[i, rest].sum()
        denominator = math.sqrt(c[i, i] * var_rest) if c[i, i] > 0 and var_rest > 0 else 0.0
        rows.append({"item": item,
                     "item_rest_r": cov_item_rest / denominator if denominator else np.nan,
                     "alpha_if_deleted": _alpha_from_cov(cov.iloc[rest, rest])})
    return pd.DataFrame(rows)


def omega_total(values: pd.DataFrame, policy: str = "pairwise") -> float:
    """McDonald's omega total of the unit-weighted sum of the items, from a one-factor model.

    Parameters
    ----------
    values : DataFrame
        One float column per item (reverse-keyed already), NaN for missing; three items or more.
    policy : {'pairwise', 'listwise'}
        Missing data: pairwise-complete covariances, or complete respondents only.

    Returns
    -------
    float
        Omega total; NaN when there are fewer than three items, fewer than as many respondents
        as items, or the model does not converge.

    Notes
    -----
    A one-factor model :math:`\\Sigma = \\lambda\\lambda^\\top \\phi + \\Theta` (maximum
    likelihood, semopy; marker loading fixed at 1) is fitted to the item covariance matrix, and

    .. math:: \\omega_t = \\frac{(\\sum_i \\lambda_i)^2 \\phi}
                              {(\\sum_i \\lambda_i)^2 \\phi + \\sum_i \\theta_{ii}}

    the share of the model-implied variance of the raw sum score that the common factor
    explains (McDonald 1999, eq. 6.20b; Flora 2020, eq. 3). It is computed on covariances, not
    correlations, because the construct score is the mean of the raw answers.

    References
    ----------
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
    Flora, D. B. (2020). Your coefficient alpha is probably wrong, but which coefficient omega
    is right? *Advances in Methods and Practices in Psychological Science*, 3(4), 484-501.

    Examples
    --------
    >>> loadings, residuals = np.array([0.8, 0.7, 0.6]), np.array([0.5, 0.6, 0.7])
    >>> cov = np.outer(loadings, loadings) + np.diag(residuals)
    >>> sample = np.random.default_rng(1).multivariate_normal(np.zeros(3), cov, 20000)
    >>> round(omega_total(pd.DataFrame(sample, columns=["a", "b", "c"])), 2)  # (2.1² / 6.21)
    0.71
    """
    _check_policy(policy)
    cov, n = _covariance(values, policy)
    k = len(cov)
    if k < 3 or n <= k or not np.all(np.isfinite(cov.to_numpy())) \
            or np.any(np.diag(cov.to_numpy()) <= 0):
        return float("nan")
    names = [f"x{i}" for i in range(k)]  # item ids need not be valid semopy names
    cov = pd.DataFrame(cov.to_numpy(), index=names, columns=names)
    model = semopy.Model("factor =~ " + " + ".join(names))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimiser chatter; convergence is checked below
            result = model.fit(cov=cov, n_samples=n)
    except (np.linalg.LinAlgError, ValueError):
        return float("nan")
    if not getattr(result, "success", True):
        return float("nan")
    est = model.inspect()
    loadings = est[(est["op"] == "~") & (est["rval"] == "factor")]["Estimate"].astype(float)
    variances = est[(est["op"] == "~~") & (est["lval"] == est["rval"])]
    phi = float(variances[variances["lval"] == "factor"]["Estimate"].iloc[0])
    theta = variances[variances["lval"] != "factor"]["Estimate"].astype(float)
    common = loadings.sum() ** 2 * phi
    return float(common / (common + theta.sum()))


def _scope_row(values: pd.DataFrame, construct: str, scope: str, policy: str,
               min_alpha: float) -> tuple[dict, list[str]]:
    """Reliability figures and caveats of one construct in one scope."""
    k = values.shape[1]
    answered = values.dropna(how="all")
    used = answered.dropna() if policy == "listwise" else answered
    n = len(used)
    caveats = []
    if k < 3:
        caveats.append(f"fewer than three items ({k}): alpha is a weak guide and omega is not "
                       "estimated")
    variances = used.var()
    flat = [item for item in values.columns if not variances.get(item, 0) > 0]
    if flat:
        caveats.append("zero variance in " + ", ".join(flat))

    alpha = ci_low = ci_high = float("nan")
    if n >= 2 and k >= 2 and not flat:
        # pingouin's Feldt CI comes rounded to three decimals
        alpha, ci = pg.cronbach_alpha(used, nan_policy=policy)
        alpha, ci_low, ci_high = float(alpha), float(ci[0]), float(ci[1])
    elif n < 2:
        caveats.append(f"fewer than two respondents ({n}): no alpha")

    if np.isfinite(alpha) and alpha < min_alpha:
        caveats.append(f"alpha {alpha:.2f} below {min_alpha:.2f}")
    if k >= 2 and n >= 2 and not flat:
        rest = _item_rest(used.cov())
        negative = rest[rest["item_rest_r"] < 0]
        if len(negative):
            listed = ", ".join(f"{r.item} ({r.item_rest_r:.2f})" for r in negative.itertuples())
            caveats.append(f"negative item-rest correlation: {listed} (a missed reverse key?)")
    omega = omega_total(values, policy) if k >= 3 and not flat else float("nan")
    if k >= 3 and not flat and n >= 2 and math.isnan(omega):
        caveats.append(f"omega not estimated (too few respondents for {k} items, or the "
                       "one-factor model did not converge)")

    row = {"construct": construct, "scope": scope, "n": n, "n_items": k, "alpha": alpha,
           "alpha_ci_low": ci_low, "alpha_ci_high": ci_high, "omega": omega, "policy": policy,
           "warnings": "; ".join(caveats)}
    return row, caveats


def _align_groups(answers: pd.DataFrame, groups: pd.Series) -> pd.Series:
    """Groups per row of ``answers``: by index when it matches, else by respondent."""
    if groups.index.equals(answers.index):
        return groups
    if "respondent" in answers and answers["respondent"].isin(groups.index).all():
        return pd.Series(groups.reindex(answers["respondent"]).to_numpy(), index=answers.index,
                         name=groups.name)
    raise ValueError("groups must share the answers' index or be indexed by respondent")


def reliability(answers: pd.DataFrame, codebook: Codebook, groups: pd.Series | None = None,
                policy: str = "pairwise", min_alpha: float = MIN_ALPHA) -> pd.DataFrame:
    """Cronbach's alpha with its CI and McDonald's omega per construct, overall and per group.

    Parameters
    ----------
    answers : DataFrame
        ``respondent`` plus one nullable integer column per item id (not yet reverse-keyed).
    codebook : Codebook
        The constructs, their items and reverse keys.
    groups : Series, optional
        A group per respondent (usually ``organisation``), on the index of ``answers`` or
        indexed by ``respondent``. Each group value becomes a scope besides ``all``.
    policy : {'pairwise', 'listwise'}
        Missing answers: pairwise-complete covariances (R psych ``alpha(use = "pairwise")``,
        pingouin's default) or complete respondents only (``use = "complete.obs"``).
    min_alpha : float
        Alpha below this is flagged (``params.yaml`` ``score.min_alpha``).

    Returns
    -------
    DataFrame
        One row per construct and scope: ``construct``, ``scope``, ``n`` (respondents the
        estimate rests on: any item answered under 'pairwise', all answered under 'listwise'),
        ``n_items``, ``alpha``, ``alpha_ci_low``, ``alpha_ci_high``, ``omega``, ``policy``,
        ``warnings`` ('; '-separated, empty when none).

    Warns
    -----
    ReliabilityWarning
        Once per caveat: alpha below ``min_alpha``, an item with a negative item-rest
        correlation, fewer than three items, zero variance, fewer than two respondents.

    Notes
    -----
    With :math:`k` items, item covariance matrix :math:`C` and :math:`n` respondents,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1^\\top C
              \\mathbf 1}\\right)

    (``pingouin.cronbach_alpha``); the 95% CI is Feldt's, from
    :math:`F(n-1, (n-1)(k-1))`. Omega: see :func:`omega_total`.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334. Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987).
    Statistical inference for coefficient alpha. *Applied Psychological Measurement*, 11, 93-103.

    Examples
    --------
    >>> from analysis.codebook import from_dict
    >>> cb = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                 "items": [{"id": f"q{i}", "construct": "c", "text": {"nl": "", "en": ""}}
    ...                           for i in (1, 2, 3)]})
    >>> frame = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [1, 3, 3, 4, 5],
    ...                       "q3": [2, 2, 3, 5, 4]}).astype("Int8")
    >>> table = reliability(frame, cb)
    >>> round(float(table.loc[0, "alpha"]), 3)
    0.945
    """
    _check_policy(policy)
    keyed = reverse_key(answers, codebook)
    scopes = [("all", keyed)]
    if groups is not None:
        aligned = _align_groups(answers, groups)
        for value in sorted(aligned.dropna().unique(), key=str):
            scopes.append((str(value), keyed[(aligned == value).to_numpy()]))

    rows = []
    for cid in codebook.constructs:
        item_ids = [i.id for i in codebook.items_of(cid)]
        for scope, frame in scopes:
            row, caveats = _scope_row(_items_frame(frame, item_ids), cid, scope, policy,
                                      min_alpha)
            rows.append(row)
            for caveat in caveats:
                warnings.warn(f"{cid} ({scope}): {caveat}", ReliabilityWarning, stacklevel=2)
    table = pd.DataFrame(rows)
    flagged = int((table["warnings"] != "").sum())
    logger.info("reliability: %d constructs x %d scopes, policy %s, %d rows with warnings",
                len(codebook.constructs), len(scopes), policy, flagged)
    return table


def item_statistics(answers: pd.DataFrame, codebook: Codebook,
                    policy: str = "pairwise") -> pd.DataFrame:
    """Item-rest correlation and alpha if the item is deleted, for every scale item.

    Parameters
    ----------
    answers : DataFrame
        ``respondent`` plus one nullable integer column per item id (not yet reverse-keyed).
    codebook : Codebook
        The constructs, their items and reverse keys.
    policy : {'pairwise', 'listwise'}
        Missing answers, as in :func:`reliability`.

    Returns
    -------
    DataFrame
        One row per item: ``construct``, ``item``, ``reverse``, ``n`` (answers), ``mean`` and
        ``sd`` (after reverse keying), ``item_rest_r``, ``alpha_if_deleted``.

    Notes
    -----
    With :math:`C` the item covariance matrix and :math:`R` the other items of the construct,
    the item-rest correlation is
    :math:`r_{i,R} = \\sum_{j \\in R} C_{ij} / \\sqrt{C_{ii} \\sum_{j,l \\in R} C_{jl}}`,
    the correlation of the item with the sum of the other items (R psych ``alpha``'s
    ``r.drop``); alpha if deleted is alpha of :math:`C_{RR}`. On complete data both equal the
    plain computations on the rest score.

    Examples
    --------
    >>> from analysis.codebook import from_dict
    >>> cb = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                 "items": [{"id": f"q{i}", "construct": "c", "text": {"nl": "", "en": ""}}
    ...                           for i in (1, 2, 3)]})
    >>> frame = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [1, 3, 3, 4, 5],
    ...                       "q3": [2, 2, 3, 5, 4]}).astype("Int8")
    >>> item_statistics(frame, cb)["item_rest_r"].round(3).tolist()
    [0.97, 0.899, 0.809]
    """
    _check_policy(policy)
    keyed = reverse_key(answers, codebook)
    tables = []
    for cid in codebook.constructs:
        items = codebook.items_of(cid)
        values = _items_frame(keyed, [i.id for i in items])
        answered = values.dropna(how="all")
        used = answered.dropna() if policy == "listwise" else answered
        if len(items) >= 2:
            rest = _item_rest(used.cov())
        else:
            rest = pd.DataFrame({"item": [i.id for i in items], "item_rest_r": np.nan,
                                 "alpha_if_deleted": np.nan})
        rest.insert(0, "construct", cid)
        rest.insert(2, "reverse", [i.reverse for i in items])
        rest.insert(3, "n", used.notna().sum().to_numpy())
        rest.insert(4, "mean", used.mean().to_numpy())
        rest.insert(5, "sd", used.std().to_numpy())
        tables.append(rest)
    return pd.concat(tables, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Nesting in organisations


def icc(scores: pd.DataFrame, group: str = "organisation",
        constructs: list[str] | None = None) -> pd.DataFrame:
    """ICC(1) and ICC(2) of each construct score across groups, from a one-way ANOVA.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent with the ``group`` column and one float column per construct.
    group : str
        The nesting column, ``organisation`` by default.
    constructs : list of str, optional
        Score columns to use; by default every float column.

    Returns
    -------
    DataFrame
        One row per construct: ``construct``, ``n`` (scored respondents), ``n_groups``,
        ``mean_group_size``, ``ms_between``, ``ms_within``, ``f``, ``p``, ``icc1``, ``icc2``,
        ``warnings`` (empty when none).

    Warns
    -----
    ReliabilityWarning
        When fewer than two groups have a score (ICC undefined) or ICC(1) is negative.

    Notes
    -----
    From the one-way ANOVA of the score on the group, with :math:`J` groups, :math:`N`
    respondents and mean group size :math:`\\bar k = N / J` (as R multilevel's ``ICC1``):

    .. math:: ICC(1) = \\frac{MS_B - MS_W}{MS_B + (\\bar k - 1) MS_W}, \\qquad
              ICC(2) = \\frac{MS_B - MS_W}{MS_B}

    ICC(1) is the share of the variance that lies between groups; ICC(2) is the reliability
    of the group means.

    References
    ----------
    Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability:
    Implications for data aggregation and analysis. In K. J. Klein & S. W. J. Kozlowski (Eds.),
    *Multilevel theory, research, and methods in organizations* (pp. 349-381). Jossey-Bass.

    Examples
    --------
    >>> frame = pd.DataFrame({"organisation": list("aaabbbccc"),
    ...                       "c": [1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 2.0, 3.0, 4.0]})
    >>> icc(frame).loc[0, ["icc1", "icc2"]].round(3).tolist()
    [0.4, 0.667]
    """
    if group not in scores:
        raise InputError(problem("<scores>", None, group, None, "a column naming the group"))
    if constructs is None:
        constructs = [c for c in scores.columns
                      if c != group and pd.api.types.is_float_dtype(scores[c])]
    rows = []
    for cid in constructs:
        frame = scores[[group, cid]].dropna()
        n, n_groups = len(frame), frame[group].nunique()
        row = {"construct": cid, "n": n, "n_groups": n_groups,
               "mean_group_size": n / n_groups if n_groups else np.nan}
        if n_groups < 2 or n <= n_groups:
            caveat = (f"ICC needs at least two groups and more respondents than groups "
                      f"({n_groups} groups, {n} respondents)")
            warnings.warn(f"{cid}: {caveat}", ReliabilityWarning, stacklevel=2)
            rows.append(row | {k: np.nan for k in
                               ("ms_between", "ms_within", "f", "p", "icc1", "icc2")}
                        | {"warnings": caveat})
            continue
        grand = frame[cid].mean()
        by_group = frame.groupby(group, observed=True)[cid]
        ss_between = float((by_group.count() * (by_group.mean() - grand) ** 2).sum())
        ss_within = float(((frame[cid] - by_group.transform("mean")) ** 2).sum())
        ms_between = ss_between / (n_groups - 1)
        ms_within = ss_within / (n - n_groups)
        k = n / n_groups
        f = ms_between / ms_within if ms_within > 0 else np.inf
        icc1 = (ms_between - ms_within) / (ms_between + (k - 1) * ms_within)
        icc2 = (ms_between - ms_within) / ms_between if ms_between > 0 else np.nan
        caveat = ""
        if icc1 < 0:
            caveat = f"ICC(1) is negative ({icc1:.3f}): no variance between {group}s beyond chance"
            warnings.warn(f"{cid}: {caveat}", ReliabilityWarning, stacklevel=2)
        rows.append(row | {"ms_between": ms_between, "ms_within": ms_within, "f": f,
                           "p": float(stats.f.sf(f, n_groups - 1, n - n_groups)),
                           "icc1": icc1, "icc2": icc2, "warnings": caveat})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Structure


def _srmr(model: semopy.Model, sample_cov: np.ndarray) -> float:
    """Standardised root mean square residual of a fitted model (Hu & Bentler 1999)."""
    implied = model.calc_sigma()[0]
    scale = np.sqrt(np.diag(sample_cov))
    residual = (sample_cov - implied) / np.outer(scale, scale)
    lower = residual[np.tril_indices_from(residual)]
    return float(np.sqrt(np.mean(lower ** 2)))


def _cfa(values: pd.DataFrame) -> dict:
    """One-factor CFA of the complete answers to one construct's items (semopy, ML)."""
    k, n = values.shape[1], len(values)
    out = {"n": n, "n_items": k, "dof": np.nan, "chi2": np.nan, "p": np.nan, "cfi": np.nan,
           "tli": np.nan, "rmsea": np.nan, "srmr": np.nan, "loadings": {}, "note": ""}
    if k < 3:
        out["note"] = "fewer than three items: a one-factor model is not identified"
        return out
    if n <= k or (values.var() <= 0).any():
        out["note"] = "too few complete respondents or an item without variance"
        return out
    names = {item: f"x{i}" for i, item in enumerate(values.columns)}
    data = values.rename(columns=names)
    model = semopy.Model("factor =~ " + " + ".join(names.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optimiser chatter; the result says whether it converged
        result = model.fit(data)
        fit = semopy.calc_stats(model).T["Value"]
        est = model.inspect(std_est=True)
    back = {v: k for k, v in names.items()}
    loadings = est[(est["op"] == "~") & (est["rval"] == "factor")]
    # CFI as Bentler (1990) and lavaan, bounded to [0, 1]; semopy's own CFI is not bounded
    chi2, dof = float(fit["chi2"]), float(fit["DoF"])
    base = float(fit["chi2 Baseline"]) - float(fit["DoF Baseline"])
    worst = max(chi2 - dof, base, 0.0)
    cfi = 1.0 - max(chi2 - dof, 0.0) / worst if worst > 0 else 1.0
    out.update(dof=dof, chi2=chi2, p=float(fit["chi2 p-value"]), cfi=cfi,
               tli=float(fit["TLI"]), rmsea=float(fit["RMSEA"]),
               srmr=_srmr(model, np.cov(data.to_numpy(), rowvar=False, ddof=0)),
               loadings={back[lval]: float(value) for lval, value
                         in zip(loadings["lval"], loadings["Est. Std"], strict=True)})
    if out["dof"] == 0:
        out["note"] = "three items: the model is just identified, so it fits perfectly"
        out.update(cfi=np.nan, tli=np.nan, rmsea=np.nan)
    if not getattr(result, "success", True):
        out["note"] = "the model did not converge"
    return out


def structure(answers: pd.DataFrame, codebook: Codebook) -> dict:
    """Whether the items are fit for factoring, and how well one factor explains each construct.

    Parameters
    ----------
    answers : DataFrame
        ``respondent`` plus one nullable integer column per item id (not yet reverse-keyed).
    codebook : Codebook
        The constructs, their items and reverse keys.

    Returns
    -------
    dict
        ``{"n": complete respondents, "kmo": overall KMO, "kmo_items": {item: KMO},
        "bartlett": {"chi2", "dof", "p"}, "cfa": {construct: {"n", "n_items", "dof", "chi2",
        "p", "cfi", "tli", "rmsea", "srmr", "loadings" (standardised), "note"}}}``; plain
        floats, ready for ``json.dump``. Everything rests on the respondents who answered every
        item of the analysis (all items for KMO and Bartlett, the construct's for its CFA).

    Notes
    -----
    KMO (Kaiser 1970) compares correlations :math:`r_{ij}` with partial correlations
    :math:`q_{ij}`: :math:`KMO = \\sum r_{ij}^2 / (\\sum r_{ij}^2 + \\sum q_{ij}^2)` over
    :math:`i \\ne j`. Bartlett's test of sphericity:
    :math:`\\chi^2 = -(n - 1 - (2p + 5)/6) \\ln |R|` on :math:`p(p-1)/2` degrees of freedom.
    Both by factor_analyzer. The CFA is a one-factor model per construct, maximum likelihood
    (semopy); TLI and RMSEA are semopy's; CFI is
    :math:`1 - \\max(\\chi^2 - df, 0) / \\max(\\chi^2 - df, \\chi^2_0 - df_0, 0)` from semopy's
    model and baseline chi-squares (Bentler 1990; bounded to [0, 1] as in lavaan); SRMR is
    computed from semopy's implied covariance matrix (Hu & Bentler 1999). With three items the
    model is just identified (0 df) and has no fit figures.

    References
    ----------
    Kaiser, H. F. (1970). A second generation little jiffy. *Psychometrika*, 35, 401-415.
    Bartlett, M. S. (1951). The effect of standardization on a chi-square approximation in
    factor analysis. *Biometrika*, 38, 337-344. Bentler, P. M. (1990). Comparative fit indexes
    in structural models. *Psychological Bulletin*, 107, 238-246. Hu, L., & Bentler, P. M.
    (1999). Cutoff criteria for fit indexes in covariance structure analysis. *Structural
    Equation Modeling*, 6, 1-55.

    Examples
    --------
    >>> from analysis.codebook import from_dict
    >>> cb = from_dict({"constructs": [{"id": "c", "name": {"nl": "C", "en": "C"}}],
    ...                 "items": [{"id": f"q{i}", "construct": "c", "text": {"nl": "", "en": ""}}
    ...                           for i in (1, 2, 3, 4)]})
    >>> rng = np.random.default_rng(3)
    >>> common = rng.normal(size=(400, 1))
    >>> values = np.clip(np.round(3 + common + rng.normal(size=(400, 4))), 1, 5)
    >>> frame = pd.DataFrame(values, columns=["q1", "q2", "q3", "q4"]).astype("Int8")
    >>> result = structure(frame, cb)
    >>> result["kmo"] > 0.6, result["cfa"]["c"]["dof"]
    (True, 2.0)
    """
    keyed = reverse_key(answers, codebook)
    item_ids = [i.id for i in codebook.scale_items]
    complete = _items_frame(keyed, item_ids).dropna()
    out: dict = {"n": len(complete), "kmo": float("nan"), "kmo_items": {},
                 "bartlett": {"chi2": float("nan"), "dof": float("nan"), "p": float("nan")},
                 "cfa": {}}
    usable = complete.loc[:, complete.var() > 0]
    if len(usable.columns) >= 2 and len(usable) > len(usable.columns):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # factor_analyzer's singular-matrix notes
            kmo_items, kmo = calculate_kmo(usable)
            chi2, p = calculate_bartlett_sphericity(usable)
        p_items = len(usable.columns)
        out.update(kmo=float(kmo),
                   kmo_items={c: float(v) for c, v in zip(usable.columns, kmo_items,
                                                          strict=True)},
                   bartlett={"chi2": float(chi2), "dof": p_items * (p_items - 1) / 2,
                             "p": float(p)})
    for cid in codebook.constructs:
        ids = [i.id for i in codebook.items_of(cid)]
        out["cfa"][cid] = _cfa(_items_frame(keyed, ids).dropna())
    logger.info("structure: KMO %.3f over %d items, %d complete respondents",
                out["kmo"], len(item_ids), out["n"])
    return out

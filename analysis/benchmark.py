"""The benchmark: where an organisation stands against comparable organisations.

Input is the long ``values`` table (one row per unit and variable: ``organisation``,
``function_group``, ``unit``, ``variable``, ``value``, ``source``), where a unit is a
respondent (survey construct scores) or a platform user (usage measures). Every statistic is
computed per organisation x function group (``all`` = everyone) x variable.

Public functions
----------------
benchmark        the organisation's value against the benchmark of comparable organisations
group_contrasts  differences between function groups: Welch ANOVA and Games-Howell
perception_gap   managers against staff on the culture variables
cell_stats       n, mean, sd per organisation x function group x variable (the building block)
bh_adjust        Benjamini-Hochberg adjusted p-values within families

Parameters (``params.yaml``, section ``benchmark``): ``comparison`` (``leave_one_out`` or
``include_self``), ``restrict_by`` (``null``, ``type`` or ``size_class``),
``min_organisations``, ``min_group_size``, ``band_threshold_g``, ``fdr_alpha``, ``fdr_family``.

Everything is vectorised over organisations and variables (matrix products for the benchmark
sums, one sort per function group x variable for its quantiles), so 342 organisations x 5
function groups x 60 variables take seconds; see ``benchmarks/bench_benchmark.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.integrate import simpson
from scipy.special import digamma, gammaln, polygamma

from analysis.codebook import FUNCTION_GROUPS, UNKNOWN_GROUP
from analysis.confidentiality import TOTAL, suppress
from analysis.errors import InputError, problem
from analysis.log import logger

VALUE_COLUMNS = ("organisation", "function_group", "unit", "variable", "value", "source")
SOURCES = ("survey", "usage")
MANAGER_GROUP = "manager"
# Complementary suppression hides another group than the managers where it can, so that the
# managers-versus-staff gap survives a small 'unknown' group.
KEEP_LAST = (MANAGER_GROUP,)

DEFAULTS = {
    "comparison": "leave_one_out",
    "restrict_by": None,
    "min_organisations": 5,
    "min_group_size": 5,
    "band_threshold_g": 0.3,
    "fdr_alpha": 0.05,
    "fdr_family": "organisation",
}


def _params(params: dict | None) -> dict:
    merged = {**DEFAULTS, **(params or {})}
    if merged["comparison"] not in {"leave_one_out", "include_self"}:
        raise ValueError(f"benchmark.comparison = {merged['comparison']!r}: expected "
                         "'leave_one_out' or 'include_self'")
    if merged["fdr_family"] not in {"organisation", "organisation_group"}:
        raise ValueError(f"benchmark.fdr_family = {merged['fdr_family']!r}: expected "
                         "'organisation' or 'organisation_group'")
    return merged


def check_values(values: pd.DataFrame, file: str = "values") -> pd.DataFrame:
    """Validate the long ``values`` table and return it with ``value`` as float.

    Raises
    ------
    InputError
        For a missing column, an unknown function group or source, a value that is not a
        number, or a variable that comes from both sources; naming the row, column and value.
    """
    missing = [c for c in VALUE_COLUMNS if c not in values.columns]
    if missing:
        raise InputError([problem(file, None, c, None, "a column of the values table")
                          for c in missing])
    problems = []
    allowed = {*FUNCTION_GROUPS, UNKNOWN_GROUP}
    bad = ~values["function_group"].isin(allowed)
    for pos in np.flatnonzero(bad.to_numpy())[:10]:
        problems.append(problem(file, int(pos) + 1, "function_group",
                                values["function_group"].iloc[pos], f"one of {sorted(allowed)}"))
    bad = ~values["source"].isin(SOURCES)
    for pos in np.flatnonzero(bad.to_numpy())[:10]:
        problems.append(problem(file, int(pos) + 1, "source", values["source"].iloc[pos],
                                "'survey' or 'usage'"))
    numeric = pd.to_numeric(values["value"], errors="coerce")
    bad = numeric.isna() & values["value"].notna()
    for pos in np.flatnonzero(bad.to_numpy())[:10]:
        problems.append(problem(file, int(pos) + 1, "value", values["value"].iloc[pos],
                                "a number (or missing for 'not available')"))
    both = values.groupby("variable", observed=True)["source"].nunique()
    for var in both[both > 1].index[:10]:
        problems.append(problem(file, None, "source", var,
                                "one source per variable (this one is both survey and usage)"))
    for col in ("organisation", "variable"):
        bad = values[col].isna()
        for pos in np.flatnonzero(bad.to_numpy())[:10]:
            problems.append(problem(file, int(pos) + 1, col, None, f"a {col}"))
    if problems:
        raise InputError(problems)
    out = values.copy()
    out["value"] = numeric.astype(float)
    return out


def cell_stats(values: pd.DataFrame) -> pd.DataFrame:
    """Count, mean and standard deviation per organisation x function group x variable.

    The function group ``all`` holds everyone of the organisation (``unknown`` included).
    Missing values (not available) are not counted.

    Returns
    -------
    DataFrame
        ``organisation``, ``function_group``, ``variable``, ``source``, ``n``, ``mean``, ``sd``
        (ddof = 1), ``var``.

    Examples
    --------
    >>> v = pd.DataFrame({"organisation": "A", "function_group": ["internal", "manager"] * 2,
    ...                   "unit": list("abcd"), "variable": "x", "value": [1.0, 2.0, 3.0, 4.0],
    ...                   "source": "survey"})
    >>> cell_stats(v)[["function_group", "n", "mean"]].values.tolist()
    [['all', 4, 2.5], ['internal', 2, 2.0], ['manager', 2, 3.0]]
    """
    values = values[[*VALUE_COLUMNS]]
    keys = ["organisation", "function_group", "variable"]
    parts = (values.groupby(keys, observed=True, sort=True)["value"]
             .agg(["count", "mean", "var"]).reset_index())
    total = (values.groupby(["organisation", "variable"], observed=True, sort=True)["value"]
             .agg(["count", "mean", "var"]).reset_index())
    total.insert(1, "function_group", TOTAL)
    cells = pd.concat([total, parts], ignore_index=True)
    cells["function_group"] = cells["function_group"].astype(str)
    cells = cells.rename(columns={"count": "n"})
    source = values.drop_duplicates("variable").set_index("variable")["source"]
    cells["source"] = cells["variable"].map(source).astype(str)
    cells["n"] = cells["n"].astype(int)
    cells["sd"] = np.sqrt(cells["var"])
    cells = cells.sort_values(keys, kind="stable").reset_index(drop=True)
    return cells[["organisation", "function_group", "variable", "source", "n", "mean", "sd",
                  "var"]]


def bh_adjust(p: np.ndarray | pd.Series, family: np.ndarray | pd.Series | None = None
              ) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, within each family; missing p stay missing.

    Notes
    -----
    For the m finite p-values of a family sorted as p_(1) <= ... <= p_(m), the adjusted value is
    min over j >= i of min(1, m p_(j) / j) (Benjamini & Hochberg, 1995), the same as
    ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")``.

    References
    ----------
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57, 289-300.

    Examples
    --------
    >>> bh_adjust(np.array([0.01, 0.04, 0.03, np.nan])).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    family = np.zeros(len(p), dtype=int) if family is None else \
        pd.factorize(pd.Series(np.asarray(family)), use_na_sentinel=False)[0]
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    frame = pd.DataFrame({"fam": family[idx], "p": p[idx], "pos": idx})
    frame = frame.sort_values(["fam", "p"], kind="stable").reset_index(drop=True)
    grouped = frame.groupby("fam", sort=False)
    rank = grouped.cumcount().to_numpy() + 1
    m = grouped["p"].transform("size").to_numpy()
    frame["raw"] = np.minimum(1.0, frame["p"].to_numpy() * m / rank)
    # running minimum from the largest p downwards, within each family
    rev = frame.iloc[::-1]
    frame["adj"] = rev.groupby("fam", sort=False)["raw"].cummin().iloc[::-1]
    out[frame["pos"].to_numpy()] = frame["adj"].to_numpy()
    return out


def _comparison_matrix(codes: list[str], organisations: pd.DataFrame, prm: dict) -> np.ndarray:
    """Boolean matrix C: C[i, j] is True when organisation j is in i's comparison set."""
    k = len(codes)
    comp = np.ones((k, k), dtype=bool)
    if prm["comparison"] == "leave_one_out":
        np.fill_diagonal(comp, False)
    attr = prm["restrict_by"]
    if attr:
        if attr not in organisations.columns:
            raise InputError(problem("organisations", None, attr, None,
                                     f"a column {attr!r} (benchmark.restrict_by)"))
        table = organisations.set_index(organisations["code"].astype(str))
        cls = table[attr].reindex(codes)
        for code, val in cls.items():
            if pd.isna(val):
                row = int(np.flatnonzero(organisations["code"].astype(str) == code)[0]) + 1
                raise InputError(problem("organisations", row, attr, None,
                                         f"a {attr} for {code} (benchmark.restrict_by)"))
        cls = cls.to_numpy()
        comp &= cls[:, None] == cls[None, :]
    return comp


def _comparison_quantiles(mean: np.ndarray, valid: np.ndarray, classes: np.ndarray,
                          leave_one_out: bool, probs: list[float]) -> np.ndarray:
    """Quantiles of each organisation's comparison set, for every (function group, variable).

    ``mean`` and ``valid`` are (rows x organisations); ``classes`` gives each organisation's
    comparison class (all equal without ``restrict_by``). Each class is sorted once per row;
    leaving organisation i out is done by skipping its own position in the sorted values, so
    the cost is one sort per row and class instead of one per organisation. Quantiles are
    numpy's default 'linear' (R type 7).
    """
    out = np.full((len(probs), *mean.shape), np.nan)
    for cls in pd.unique(classes):
        cols = np.flatnonzero(classes == cls)
        m, v = mean[:, cols], valid[:, cols]
        x = np.where(v, m, np.inf)
        order = np.argsort(x, axis=1, kind="stable")
        srt = np.take_along_axis(x, order, axis=1)
        pos = np.empty_like(order)
        np.put_along_axis(pos, order, np.arange(len(cols))[None, :].repeat(len(m), 0), axis=1)
        removed = v if leave_one_out else np.zeros_like(v)
        k = v.sum(axis=1, keepdims=True) - removed
        last = np.maximum(k - 1, 0)

        for q, prob in enumerate(probs):
            h = last * prob
            lo = np.floor(h).astype(int)
            hi = np.minimum(lo + 1, last)
            frac = h - lo
            # index in the sorted class of the j-th value once the organisation is left out
            lo_full = np.minimum(lo + (removed & (lo >= pos)), len(cols) - 1)
            hi_full = np.minimum(hi + (removed & (hi >= pos)), len(cols) - 1)
            a = np.take_along_axis(srt, lo_full, axis=1)
            b = np.take_along_axis(srt, hi_full, axis=1)
            with np.errstate(invalid="ignore"):
                val = np.where(frac == 0, a, a + frac * (b - a))
            out[q][:, cols] = np.where(k > 0, val, np.nan)
    return out


def benchmark(values: pd.DataFrame, organisations: pd.DataFrame, params: dict | None = None
              ) -> pd.DataFrame:
    """Compare each organisation with the benchmark of comparable organisations.

    Parameters
    ----------
    values : DataFrame
        Long table: ``organisation``, ``function_group``, ``unit``, ``variable``, ``value``
        (float, missing = not available), ``source`` (``survey`` or ``usage``).
    organisations : DataFrame
        ``code``, ``name``, ``type``, ``size_class``: every organisation of the study.
    params : dict
        The ``benchmark`` section of ``params.yaml``.

    Returns
    -------
    DataFrame
        One row per organisation x function group (``all`` = everyone) x variable:
        ``n``, ``mean``, ``sd`` of the organisation; ``n_organisations`` in the comparison set
        and its ``benchmark_mean`` (mean of organisation means), ``benchmark_median``,
        ``benchmark_p25``, ``benchmark_p75``, ``benchmark_min``, ``benchmark_max``;
        ``benchmark_n_units`` and ``benchmark_sd_units`` (the comparison set's respondents or
        users pooled); ``diff`` (mean - benchmark_mean), ``ci_low``, ``ci_high`` (95%),
        ``hedges_g``, ``t``, ``df``, ``p`` (Welch), ``p_adj`` (Benjamini-Hochberg), ``band``
        (``above``, ``in_line``, ``below``, ``not_tested``, ``suppressed``),
        ``percentile_rank``; ``benchmark_shown`` and ``benchmark_reason``; ``suppressed`` and
        ``suppression_reason`` (see :mod:`analysis.confidentiality`).

    Notes
    -----
    *Comparison set.* For organisation o it holds the organisations j allowed by
    ``comparison`` (all others, or all including o) and ``restrict_by`` (same type or size
    class) whose cell rests on at least ``min_group_size`` units and is shown; a smaller cell
    is never part of a benchmark, so a benchmark minimum or maximum never shows a hidden group.
    With fewer than ``min_organisations`` the benchmark columns are missing and
    ``benchmark_reason`` says why. A cell hidden by complementary suppression in its own
    organisation's report stays out of every benchmark too, so that the pilot study's
    per-organisation values and a benchmark together never reveal it.

    *Benchmark value.* B = (1/k) sum_j m_j over the k organisations of the set (each counts
    once); median and quartiles are numpy's default (linear, R type 7) over the m_j.

    *Test.* The difference d = m_o - B is a linear contrast of independent group means, tested
    with Welch's approach: SE^2 = sum_j c_j^2 s_j^2 / n_j with c_o = 1 - [o in set]/k and
    c_j = -1/k, df by Welch-Satterthwaite, df = SE^4 / sum_j (c_j^2 s_j^2/n_j)^2 / (n_j - 1),
    t = d / SE, two-sided p, CI = d +/- t_{0.975, df} SE. With a single comparison organisation
    this is exactly Welch's two-sample t test. Organisations are treated as fixed: the CI says
    how surely o differs from *these* organisations, not from a population of organisations.

    *Effect size.* Hedges' g = J d / s_p with s_p the pooled SD of the organisation's units and
    the comparison set's units (pooled), s_p^2 = ((n_o-1)s_o^2 + (n_B-1)s_B^2)/(n_o+n_B-2), and
    J = 1 - 3/(4(n_o+n_B) - 9). When all comparison organisations are equally large, B equals
    the pooled mean and g is the usual two-sample Hedges' g.

    *Correction and band.* p is adjusted with Benjamini-Hochberg over the shown rows of one
    organisation's report (``fdr_family: organisation``; or per organisation x function group,
    ``organisation_group``). The band is ``above`` when p_adj < ``fdr_alpha`` and
    g >= ``band_threshold_g``, ``below`` when p_adj < ``fdr_alpha`` and g <= -threshold,
    ``in_line`` otherwise, ``not_tested`` when there is no benchmark or no test.

    *Percentile rank* among all organisations with a shown value (n >= ``min_group_size``):
    100 (L + E/2) / N with L organisations below, E equal (self included) and N in all, as
    ``scipy.stats.percentileofscore(kind='mean')``. Missing when N - 1 < ``min_organisations``.

    References
    ----------
    Welch, B. L. (1947). The generalization of Student's problem when several different
    population variances are involved. Biometrika 34, 28-35.
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size. J. Educ.
    Stat. 6, 107-128.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> values = pd.DataFrame({"organisation": np.repeat(list("ABCDEF"), 20),
    ...     "function_group": "internal", "unit": [f"u{i}" for i in range(120)],
    ...     "variable": "x", "value": rng.normal(3, 1, 120), "source": "survey"})
    >>> orgs = pd.DataFrame({"code": list("ABCDEF"), "name": list("ABCDEF"),
    ...                      "type": "municipality", "size_class": "small"})
    >>> table = benchmark(values, orgs, {"min_organisations": 5})
    >>> table.query("function_group == 'all'")["n_organisations"].tolist()
    [5, 5, 5, 5, 5, 5]
    """
    prm = _params(params)
    values = check_values(values)
    min_size, min_orgs = int(prm["min_group_size"]), int(prm["min_organisations"])

    codes = organisations["code"].astype(str).tolist()
    present = pd.unique(values["organisation"]).astype(str)
    unknown = sorted(set(present) - set(codes))
    if unknown:
        pos = int(np.flatnonzero(values["organisation"].astype(str) == unknown[0])[0]) + 1
        raise InputError(problem("values", pos, "organisation", unknown[0],
                                 "an organisation code listed in organisations"))
    cells = cell_stats(values)
    cells["organisation"] = cells["organisation"].astype(str)
    comp = _comparison_matrix(codes, organisations, prm)

    # Matrices: one row per (function group, variable), one column per organisation.
    keys = cells[["function_group", "variable"]].drop_duplicates().reset_index(drop=True)
    key_pos = pd.MultiIndex.from_frame(keys)
    row = key_pos.get_indexer(pd.MultiIndex.from_frame(cells[["function_group", "variable"]]))
    col = pd.Index(codes).get_indexer(cells["organisation"])
    shape = (len(keys), len(codes))
    n = np.zeros(shape)
    mean = np.full(shape, np.nan)
    var = np.full(shape, np.nan)
    n[row, col] = cells["n"].to_numpy()
    mean[row, col] = cells["mean"].to_numpy()
    var[row, col] = cells["var"].to_numpy()
    # a cell enters comparisons only when its own report shows it: not below min_size and not
    # hidden by complementary suppression. Otherwise a hidden group could be worked out from a
    # benchmark (this organisation's, or the pilot study's) and the other values shown.
    hidden = suppress(cells[["organisation", "function_group", "variable", "n"]], "n",
                      ["organisation", "variable"], min_size, value_cols=[],
                      keep_last=KEEP_LAST)["suppressed"].to_numpy(dtype=bool)
    shown_cell = np.zeros(shape, dtype=bool)
    shown_cell[row, col] = ~hidden
    valid = shown_cell & (n >= min_size) & np.isfinite(mean)
    vf = valid.astype(float)
    m0 = np.where(valid, mean, 0.0)
    v0 = np.where(valid & np.isfinite(var), var, 0.0)
    a0 = np.where(valid, v0 / np.where(n > 0, n, 1), 0.0)           # s^2 / n
    d0 = np.where(valid & (n > 1), a0 ** 2 / np.maximum(n - 1, 1), 0.0)
    ct = comp.T.astype(float)

    k = vf @ ct                                                      # organisations in the set
    bmean = np.divide(m0 @ ct, k, out=np.full(shape, np.nan), where=k > 0)
    sum_a = a0 @ ct
    sum_d = d0 @ ct
    n_units = (n * vf) @ ct
    sum_units = (n * m0) @ ct
    within = (np.where(valid, (n - 1) * v0, 0.0)) @ ct
    between = (n * m0 ** 2) @ ct
    with np.errstate(invalid="ignore", divide="ignore"):
        m2 = within + between - sum_units ** 2 / n_units
        var_units = np.where(n_units > 1, np.maximum(m2, 0) / (n_units - 1), np.nan)

    # Quantiles of the comparison set: one sort per (function group, variable) and class.
    attr = prm["restrict_by"]
    classes = (organisations.set_index(organisations["code"].astype(str))[attr]
               .reindex(codes).astype(str).to_numpy() if attr else np.zeros(len(codes)))
    quant = _comparison_quantiles(mean, valid, classes, prm["comparison"] == "leave_one_out",
                                  [0.0, 0.25, 0.5, 0.75, 1.0])

    # Back to the long cells.
    get = (row, col)
    out = cells.drop(columns="var").copy()
    own_n, own_var, own_mean = n[get], var[get], mean[get]
    kk = k[get]
    self_in = comp[col, col] & valid[get]
    c_own = 1 - self_in / np.where(kk > 0, kk, 1)
    a_own = np.where(own_n > 0, own_var / np.where(own_n > 0, own_n, 1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = c_own ** 2 * a_own + (sum_a[get] - self_in * np.nan_to_num(a_own)) / kk ** 2
        dfden = (c_own ** 2 * a_own) ** 2 / (own_n - 1) + \
            (sum_d[get] - self_in * np.nan_to_num(a_own ** 2 / (own_n - 1))) / kk ** 4
        se = np.sqrt(se2)
        df = se2 ** 2 / dfden
        diff = own_mean - bmean[get]
        t = diff / se
        p = 2 * stats.t.sf(np.abs(t), df)
        half = stats.t.ppf(0.975, df) * se
        nb, vb = n_units[get], var_units[get]
        sp = np.sqrt(((own_n - 1) * own_var + (nb - 1) * vb) / (own_n + nb - 2))
        g = diff / sp * (1 - 3 / (4 * (own_n + nb) - 9))
    shown = kk >= min_orgs
    out["n_organisations"] = kk.astype(int)
    bench_cols = {
        "benchmark_mean": bmean[get], "benchmark_median": quant[2][get],
        "benchmark_p25": quant[1][get], "benchmark_p75": quant[3][get],
        "benchmark_min": quant[0][get], "benchmark_max": quant[4][get],
        "benchmark_n_units": nb, "benchmark_sd_units": np.sqrt(vb),
        "diff": diff, "ci_low": diff - half, "ci_high": diff + half, "hedges_g": g,
        "t": t, "df": df, "p": p,
    }
    for name, arr in bench_cols.items():
        out[name] = np.where(shown, arr, np.nan)
    tested = shown & np.isfinite(out["p"].to_numpy())
    out["benchmark_shown"] = shown
    out["benchmark_reason"] = pd.array(
        np.where(shown, None, [f"{int(x)} comparable organisations with a shown value; the "
                               f"benchmark needs at least {min_orgs}" for x in kk]),
        dtype="string")

    # Percentile rank among all organisations with a shown value.
    ranked = pd.Series(np.where(valid[get], own_mean, np.nan))
    grp = [out["function_group"], out["variable"]]
    rank = ranked.groupby(grp).rank(method="average")
    total = ranked.groupby(grp).transform("count")
    pct = 100 * (rank - 0.5) / total
    out["percentile_rank"] = np.where(total - 1 >= min_orgs, pct, np.nan)

    # Suppression first, then the correction over what is shown.
    out = suppress(out, "n", ["organisation", "variable"], min_size,
                   value_cols=["mean", "sd", *bench_cols, "percentile_rank"],
                   keep_last=KEEP_LAST)
    if prm["fdr_family"] == "organisation":
        family = out["organisation"]
    else:
        family = out["organisation"] + "\x1f" + out["function_group"]
    p_use = np.where(out["suppressed"].to_numpy() | ~tested, np.nan, out["p"].to_numpy())
    out["p_adj"] = bh_adjust(p_use, family.to_numpy())
    alpha, thr = float(prm["fdr_alpha"]), float(prm["band_threshold_g"])
    sig = out["p_adj"].to_numpy() < alpha
    gv = out["hedges_g"].to_numpy()
    band = np.where(np.isfinite(out["p_adj"]), "in_line", "not_tested").astype(object)
    band[sig & (gv >= thr)] = "above"
    band[sig & (gv <= -thr)] = "below"
    band[out["suppressed"].to_numpy()] = "suppressed"
    out["band"] = pd.array(band, dtype="string")

    order = ["organisation", "function_group", "variable", "source", "n", "mean", "sd",
             "n_organisations", *bench_cols, "p_adj", "band", "percentile_rank",
             "benchmark_shown", "benchmark_reason", "suppressed", "suppression_reason"]
    out = out[order].reset_index(drop=True)
    logger.info("benchmark: %d rows (%d organisations, %d variables), %d suppressed, "
                "%d without a benchmark", len(out), len(codes), out["variable"].nunique(),
                int(out["suppressed"].sum()), int((~out["benchmark_shown"]).sum()))
    return out


# --- function groups ---------------------------------------------------------------------------

def _tukey_inner(k: int, w: np.ndarray) -> np.ndarray:
    """1 - P(range of k standard normals < w), by quadrature over z (Simpson, 2401 nodes)."""
    z = np.linspace(-9, 9, 2401)
    phi = stats.norm.pdf(z)
    big = stats.norm.cdf(z)
    out = np.empty(len(w))
    for start in range(0, len(w), 256):
        ww = w[start:start + 256, None]
        inner = big[None, :] ** (k - 1) - np.clip(big[None, :] - stats.norm.cdf(z - ww),
                                                  0, None) ** (k - 1)
        out[start:start + 256] = k * simpson(phi[None, :] * inner, x=z, axis=1)
    return np.clip(out, 0, 1)


_TUKEY_W = np.concatenate([np.linspace(0, 8, 1601), np.linspace(8.02, 16, 400)])
_TUKEY_CACHE: dict[int, np.ndarray] = {}


def studentized_range_sf(q: np.ndarray, k: np.ndarray | int, df: np.ndarray) -> np.ndarray:
    """Survival function of the studentized range, vectorised (as scipy's, but fast).

    Notes
    -----
    P(Q > q) = E_s[ R_k(q s) ] with s = sqrt(X / df), X ~ chi^2(df), and
    R_k(w) = 1 - k * integral phi(z) [Phi(z) - Phi(z - w)]^(k-1) dz the tail of the range of
    k standard normals. R_k is tabulated once per k on a fine grid and interpolated; the
    expectation over s is a trapezoid rule over log s on 81 nodes spanning +/- 9 standard
    deviations of log s. Agrees with ``scipy.stats.studentized_range.sf`` (which pingouin's
    Games-Howell uses) to about 1e-5 for df >= 3 (tests/test_benchmark.py), at a few
    microseconds instead of milliseconds per value.
    """
    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    k = np.broadcast_to(np.asarray(k), q.shape)
    out = np.full(q.shape, np.nan)
    x = np.linspace(-9, 9, 81)
    for kv in np.unique(k):
        if kv < 2:
            continue
        if kv not in _TUKEY_CACHE:
            _TUKEY_CACHE[int(kv)] = _tukey_inner(int(kv), _TUKEY_W)
        table = _TUKEY_CACHE[int(kv)]
        sel = (k == kv) & np.isfinite(q) & np.isfinite(df) & (df > 0)
        if not sel.any():
            continue
        qs, nu = q[sel][:, None], df[sel][:, None]
        half = nu / 2
        # log s = 0.5 log(X/nu); its mean and sd from digamma/trigamma of nu/2
        centre = 0.5 * (np.log(2 / nu) + digamma(half))
        spread = 0.5 * np.sqrt(polygamma(1, half))
        tt = centre + spread * x[None, :]
        s = np.exp(tt)
        # density of t = log s: f(s) s, with f the density of sqrt(X/nu)
        logf = (np.log(2) + half * np.log(half) - gammaln(half) + 2 * half * tt
                - half * s ** 2)
        dens = np.exp(logf)
        tail = np.interp(qs * s, _TUKEY_W, table, right=0.0)
        w = dens / np.trapezoid(dens, tt, axis=1)[:, None]
        out[sel] = np.clip(np.trapezoid(w * tail, tt, axis=1), 0, 1)
    out[np.isfinite(q) & (q <= 0)] = 1.0
    return out


def _scoped_cells(values: pd.DataFrame) -> pd.DataFrame:
    """cell_stats per organisation plus the pooled scope 'benchmark' (all organisations)."""
    cells = cell_stats(values)
    cells["organisation"] = cells["organisation"].astype(str)
    pooled = cell_stats(values.assign(organisation="benchmark"))
    return pd.concat([cells, pooled], ignore_index=True)


def hidden_groups(values: pd.DataFrame, min_size: int,
                  cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cells the benchmark table hides: organisation, function_group, variable, reason.

    Every other table (group contrasts, perception gap) leaves these groups out, so that no
    table shows what the benchmark table hides. The pooled scope ``benchmark`` is included.
    ``cells`` (from the same ``values``) saves recomputing the cell statistics.
    """
    cells = _scoped_cells(values) if cells is None else cells
    marked = suppress(cells[["organisation", "function_group", "variable", "n"]], "n",
                      ["organisation", "variable"], min_size, keep_last=KEEP_LAST)
    hidden = marked[marked["suppressed"] & (marked["suppression_reason"] != "no_data")]
    return hidden[["organisation", "function_group", "variable", "suppression_reason"]]


def _group_frame(values: pd.DataFrame, min_size: int) -> pd.DataFrame:
    """Cells per scope (organisation or 'benchmark') x known function group x variable."""
    cells = _scoped_cells(values)
    hidden = hidden_groups(values, min_size, cells)
    cells = cells[cells["function_group"].isin(FUNCTION_GROUPS)].reset_index(drop=True)
    key = ["organisation", "function_group", "variable"]
    is_hidden = pd.MultiIndex.from_frame(cells[key]).isin(pd.MultiIndex.from_frame(hidden[key]))
    cells["tested"] = ~is_hidden & (cells["n"] >= min_size) & (cells["var"] > 0)
    return cells


def _joined(cells: pd.DataFrame) -> pd.Series:
    """';'-joined function groups per organisation x variable, without a Python loop."""
    flags = (cells.assign(flag=True)
             .pivot_table(index=["organisation", "variable"], columns="function_group",
                          values="flag", aggfunc="any", fill_value=False))
    text = pd.Series("", index=flags.index)
    for group in sorted(flags.columns):
        add = np.where(text == "", group, text + ";" + group)
        text = pd.Series(np.where(flags[group], add, text), index=flags.index)
    return text


def group_contrasts(values: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """Differences between function groups: Welch ANOVA and Games-Howell post hoc tests.

    Per organisation, and for the benchmark (all organisations' units pooled, scope
    ``organisation == 'benchmark'``), per variable, across the known function groups
    (``internal``, ``external``, ``policy``, ``manager``; ``unknown`` is not a group to
    compare) that rest on at least ``min_group_size`` units with a non-zero variance and are
    not hidden in the benchmark table (complementary suppression, :func:`hidden_groups`).

    Returns
    -------
    DataFrame
        Rows with ``test == 'welch_anova'``: ``organisation``, ``variable``, ``k_groups``,
        ``groups_left_out`` (hidden, or without variance), ``F``, ``df1``, ``df2``, ``p``, ``np2``,
        ``p_adj`` (Benjamini-Hochberg over the variables of one organisation). Rows with
        ``test == 'games_howell'``: ``group_a``, ``group_b``, ``mean_a``, ``mean_b``, ``diff``
        (a - b), ``se``, ``t``, ``df``, ``p`` (Games-Howell, adjusted for the k groups),
        ``hedges_g``.

    Notes
    -----
    Welch ANOVA: w_i = n_i / s_i^2, W = sum w_i, m_w = sum w_i m_i / W,
    F = [sum w_i (m_i - m_w)^2 / (k-1)] / [1 + 2 L (k-2)/3] with
    L = 3 sum (1 - w_i/W)^2/(n_i - 1) / (k^2 - 1), df1 = k - 1, df2 = 1/L;
    np2 = SS_between / (SS_between + SS_within) (unweighted), as ``pingouin.welch_anova``.
    Games-Howell: t = (m_a - m_b) / sqrt(s_a^2/n_a + s_b^2/n_b), Welch df, p = P(Q_{k,df} >
    sqrt(2) |t|) (:func:`studentized_range_sf`), Hedges' g with the pooled SD, as
    ``pingouin.pairwise_gameshowell``. Computed from group summaries, vectorised; the tests
    compare every column with pingouin 0.7 on raw data.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values. Biometrika 38, 330-336.
    Games, P. A. & Howell, J. F. (1976). J. Educ. Stat. 1, 113-125.
    """
    prm = _params(params)
    values = check_values(values)
    min_size = int(prm["min_group_size"])
    cells = _group_frame(values, min_size)
    out_cells = cells[~cells["tested"] & (cells["n"] > 0)].sort_values("function_group")
    left_out = _joined(out_cells)
    c = cells[cells["tested"]].copy()
    c["k"] = c.groupby(["organisation", "variable"])["n"].transform("size")
    c = c[c["k"] >= 2]

    # Welch ANOVA from summaries.
    c["w"] = c["n"] / c["var"]
    g = c.groupby(["organisation", "variable"], sort=True)
    W = g["w"].transform("sum")
    mw = (c["w"] * c["mean"]).groupby([c["organisation"], c["variable"]]).transform("sum") / W
    grand = (c["n"] * c["mean"]).groupby([c["organisation"], c["variable"]]).transform("sum") \
        / g["n"].transform("sum")
    c["num"] = c["w"] * (c["mean"] - mw) ** 2
    c["lam"] = (1 - c["w"] / W) ** 2 / (c["n"] - 1)
    c["ssb"] = c["n"] * (c["mean"] - grand) ** 2
    c["ssw"] = (c["n"] - 1) * c["var"]
    agg = c.groupby(["organisation", "variable"], sort=True).agg(
        k_groups=("k", "first"), num=("num", "sum"), lam=("lam", "sum"), ssb=("ssb", "sum"),
        ssw=("ssw", "sum")).reset_index()
    kg = agg["k_groups"].to_numpy(dtype=float)
    lam = 3 * agg["lam"] / (kg ** 2 - 1)
    agg["F"] = (agg["num"] / (kg - 1)) / (1 + 2 * lam * (kg - 2) / 3)
    agg["df1"], agg["df2"] = kg - 1, 1 / lam
    agg["p"] = stats.f.sf(agg["F"], agg["df1"], agg["df2"])
    agg["np2"] = agg["ssb"] / (agg["ssb"] + agg["ssw"])
    agg["p_adj"] = bh_adjust(agg["p"].to_numpy(), agg["organisation"].to_numpy())
    agg["groups_left_out"] = pd.array(
        left_out.reindex(pd.MultiIndex.from_frame(agg[["organisation", "variable"]])).to_numpy(),
        dtype="string")
    agg["test"] = "welch_anova"
    omnibus = agg[["organisation", "variable", "test", "k_groups", "groups_left_out", "F", "df1",
                   "df2", "p", "np2", "p_adj"]]

    # Games-Howell: all pairs of groups in a cell, sorted group labels as pingouin.
    c = c.sort_values(["organisation", "variable", "function_group"])
    left = c[["organisation", "variable", "function_group", "n", "mean", "var", "k"]]
    pairs = left.merge(left, on=["organisation", "variable", "k"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["function_group_a"] < pairs["function_group_b"]]
    va, vb = pairs["var_a"] / pairs["n_a"], pairs["var_b"] / pairs["n_b"]
    post = pd.DataFrame({
        "organisation": pairs["organisation"], "variable": pairs["variable"],
        "test": "games_howell", "k_groups": pairs["k"],
        "group_a": pairs["function_group_a"], "group_b": pairs["function_group_b"],
        "n_a": pairs["n_a"], "n_b": pairs["n_b"],
        "mean_a": pairs["mean_a"], "mean_b": pairs["mean_b"],
        "diff": pairs["mean_a"] - pairs["mean_b"], "se": np.sqrt(va + vb)})
    post["t"] = post["diff"] / post["se"]
    post["df"] = (va + vb) ** 2 / (va ** 2 / (pairs["n_a"] - 1) + vb ** 2 / (pairs["n_b"] - 1))
    post["p"] = studentized_range_sf(np.sqrt(2) * post["t"].abs().to_numpy(),
                                     post["k_groups"].to_numpy(), post["df"].to_numpy())
    nsum = pairs["n_a"] + pairs["n_b"]
    sp = np.sqrt(((pairs["n_a"] - 1) * pairs["var_a"] + (pairs["n_b"] - 1) * pairs["var_b"])
                 / (nsum - 2))
    post["hedges_g"] = post["diff"] / sp * (1 - 3 / (4 * nsum - 9))
    out = pd.concat([omnibus, post], ignore_index=True)
    out["order"] = (out["test"] == "games_howell").astype(int)
    out = out.sort_values(["organisation", "variable", "order", "group_a", "group_b"],
                          kind="stable", na_position="first")
    return out.drop(columns="order").reset_index(drop=True)


def perception_gap(values: pd.DataFrame, culture_variables: list[str],
                   params: dict | None = None) -> pd.DataFrame:
    """The gap between managers and staff on the culture variables, per organisation.

    Staff are everyone who is not a manager (``internal``, ``external``, ``policy`` and
    ``unknown``), so the staff figures follow from the total and the managers' row of the
    benchmark table and reveal nothing that table hides. Per organisation and for the benchmark
    (all organisations pooled, scope ``benchmark``).

    Returns
    -------
    DataFrame
        ``organisation``, ``variable``, ``n_managers``, ``mean_managers``, ``n_staff``,
        ``mean_staff``, ``gap`` (managers - staff), ``se``, ``t``, ``df``, ``p`` (Welch),
        ``ci_low``, ``ci_high``, ``hedges_g``, ``p_adj`` (Benjamini-Hochberg over the culture
        variables of one organisation), ``suppressed``, ``suppression_reason``.

    Notes
    -----
    Welch's t: t = gap / sqrt(s_m^2/n_m + s_s^2/n_s), Welch-Satterthwaite df, 95% CI
    gap +/- t_{0.975, df} SE; Hedges' g with the pooled SD and J = 1 - 3/(4(n_m + n_s) - 9).
    A gap is suppressed when the managers' row is hidden in the benchmark table (group size or
    complementary) or fewer than ``min_group_size`` staff answered.

    Examples
    --------
    >>> v = pd.DataFrame({"organisation": "A", "function_group": ["manager"] * 6 + ["policy"] * 6,
    ...     "unit": [f"r{i}" for i in range(12)], "variable": "culture", "source": "survey",
    ...     "value": [4, 5, 4, 5, 4, 5, 3, 3, 4, 3, 3, 4.0]})
    >>> perception_gap(v, ["culture"]).query("organisation == 'A'")["gap"].round(2).tolist()
    [1.17]
    """
    prm = _params(params)
    values = check_values(values)
    min_size = int(prm["min_group_size"])
    values = values[values["variable"].isin(culture_variables)]
    missing = sorted(set(culture_variables) - set(values["variable"]))
    if missing:
        warnings.warn(f"perception_gap: no values for the culture variables {missing}",
                      stacklevel=2)
    hidden = hidden_groups(values, min_size)
    hidden = hidden[hidden["function_group"] == MANAGER_GROUP]
    blocked = hidden.set_index(["organisation", "variable"])["suppression_reason"]

    role = np.where(values["function_group"] == MANAGER_GROUP, "managers", "staff")
    known = values.assign(role=role, organisation=values["organisation"].astype(str))
    both = pd.concat([known, known.assign(organisation="benchmark")], ignore_index=True)
    s = (both.groupby(["organisation", "variable", "role"])["value"]
         .agg(["count", "mean", "var"]).unstack("role"))
    s.columns = [f"{a}_{b}" for a, b in s.columns]
    for col in ["count_managers", "count_staff", "mean_managers", "mean_staff",
                "var_managers", "var_staff"]:
        if col not in s.columns:
            s[col] = np.nan
    s = s.reset_index()
    nm, ns = s["count_managers"].fillna(0), s["count_staff"].fillna(0)
    out = pd.DataFrame({"organisation": s["organisation"], "variable": s["variable"],
                        "n_managers": nm.astype(int), "mean_managers": s["mean_managers"],
                        "n_staff": ns.astype(int), "mean_staff": s["mean_staff"]})
    with np.errstate(invalid="ignore", divide="ignore"):
        am, as_ = s["var_managers"] / nm, s["var_staff"] / ns
        out["gap"] = out["mean_managers"] - out["mean_staff"]
        out["se"] = np.sqrt(am + as_)
        out["t"] = out["gap"] / out["se"]
        out["df"] = (am + as_) ** 2 / (am ** 2 / (nm - 1) + as_ ** 2 / (ns - 1))
        out["p"] = 2 * stats.t.sf(out["t"].abs(), out["df"])
        half = stats.t.ppf(0.975, out["df"]) * out["se"]
        out["ci_low"], out["ci_high"] = out["gap"] - half, out["gap"] + half
        sp = np.sqrt(((nm - 1) * s["var_managers"] + (ns - 1) * s["var_staff"]) / (nm + ns - 2))
        out["hedges_g"] = out["gap"] / sp * (1 - 3 / (4 * (nm + ns) - 9))

    reason = np.full(len(out), None, dtype=object)
    small = ((out["n_managers"] < min_size) | (out["n_staff"] < min_size)).to_numpy()
    reason[small] = "group_size"
    key = pd.MultiIndex.from_frame(out[["organisation", "variable"]])
    comp = key.isin(blocked.index) & ~small
    reason[comp] = "complementary"
    hide = reason != None  # noqa: E711
    figures = ["mean_managers", "mean_staff", "gap", "se", "t", "df", "p", "ci_low", "ci_high",
               "hedges_g"]
    out.loc[hide, figures] = np.nan
    out["n_managers"] = out["n_managers"].astype("Int64")
    out["n_staff"] = out["n_staff"].astype("Int64")
    out.loc[hide, ["n_managers", "n_staff"]] = pd.NA
    out["p_adj"] = bh_adjust(out["p"].to_numpy(), out["organisation"].to_numpy())
    out["suppressed"] = hide
    out["suppression_reason"] = pd.array(reason, dtype="string")
    return out.reset_index(drop=True)

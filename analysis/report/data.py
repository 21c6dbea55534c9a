"""What the report sections show, prepared from the processed tables.

Reading happens in :func:`read_tables` (the only I/O here); every other function is pure and takes
the documented tables of ``data/processed/README.md``. Nothing here decides wording: that is the
text catalogues' job.

The benchmark table's column names are matched through :data:`BENCHMARK_COLUMNS`, one canonical
name per concept with the spellings the benchmark stage may use, so the reports need only the
concepts the contract names (organisation, function group, variable, n, the organisation's value,
the benchmark statistics, effect size, CI, tests, suppression flags).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import measures
from analysis.errors import InputError, problem
from analysis.log import logger

# canonical name -> accepted spellings in benchmark.parquet, first match wins
BENCHMARK_COLUMNS = {
    "organisation": ["organisation"],
    "function_group": ["function_group"],
    "variable": ["variable"],
    "n": ["n", "n_units"],
    "value": ["mean", "value", "org_mean"],
    "sd": ["sd", "std"],
    "n_organisations": ["n_organisations", "benchmark_n_organisations", "n_orgs"],
    "benchmark": ["benchmark", "benchmark_mean", "bench_mean"],
    "p25": ["p25", "benchmark_p25", "bench_p25"],
    "p75": ["p75", "benchmark_p75", "bench_p75"],
    "diff": ["diff", "difference"],
    "g": ["g", "hedges_g"],
    "ci_low": ["ci_low", "diff_ci_low", "ci_lower", "ci95_low"],
    "ci_high": ["ci_high", "diff_ci_high", "ci_upper", "ci95_high"],
    "p_adj": ["p_adj", "p_fdr", "p_bh", "p_corrected"],
    "band": ["band"],
    "percentile": ["percentile", "percentile_rank"],
    "suppressed": ["suppressed"],
    "benchmark_shown": ["benchmark_shown", "shown"],
    "source": ["source"],
}
REQUIRED = ("organisation", "function_group", "variable", "n", "value", "benchmark",
            "suppressed")
TABLE_FILES = {
    "benchmark": "benchmark.parquet",
    "respondents": "survey_respondents.parquet",
    "kept": "respondents_kept.parquet",
    "exclusions": "exclusions.csv",
    "scores": "scores.parquet",
    "reliability": "reliability.csv",
    "icc": "icc.csv",
    "item_stats": "item_stats.csv",
    "group_measures": "group_measures.parquet",
    "perception_gap": "perception_gap.parquet",
    "questions": "questions_culture.parquet",
    "correlations": "correlations.parquet",
    "org_indices": "org_indices.parquet",
    "group_contrasts": "group_contrasts.parquet",
}
GROUP_ORDER = ["all", "internal", "external", "policy", "manager", "unknown"]
# levels of the correlate stage, in the order the reports show them
LEVELS = ("organisation", "organisation_group", "individual")


def read_tables(processed_dir: str | Path, names=None) -> dict[str, pd.DataFrame]:
    """Read the processed tables a report needs; a table that is not there is left out.

    The platform's raw tables (users, events, groups, memberships) are never read: the usage
    stage's ``group_measures.parquet`` and the benchmark table hold what the reports show.
    """
    processed_dir = Path(processed_dir)
    out = {}
    for name, file in TABLE_FILES.items():
        if names is not None and name not in names:
            continue
        path = processed_dir / file
        if not path.exists():
            logger.info("report: %s not found, its section says so", path)
            continue
        if path.suffix == ".csv":
            out[name] = pd.read_csv(path)
        else:
            out[name] = pd.read_parquet(path)
        logger.info("report: read %s (%d rows)", path, len(out[name]))
    if "benchmark" in out:
        out["benchmark"] = normalise_benchmark(out["benchmark"],
                                               processed_dir / "benchmark.parquet")
    return out


def normalise_benchmark(frame: pd.DataFrame, file="benchmark.parquet") -> pd.DataFrame:
    """Rename the benchmark table's columns to the canonical names the reports use.

    Bands are reduced to ``above``, ``in_line``, ``below`` (or missing); ``suppressed`` becomes a
    bool; a missing optional column is added as missing; where ``benchmark_shown`` is false the
    benchmark statistics are set missing, so no report shows them.

    Raises
    ------
    InputError
        When a required concept (see ``REQUIRED``) has no column.

    Examples
    --------
    >>> f = pd.DataFrame({"organisation": ["A"], "function_group": ["all"], "variable": ["x"],
    ...                   "n": [10], "mean": [3.0], "benchmark_mean": [2.5],
    ...                   "suppressed": [False], "band": ["clearly above"]})
    >>> row = normalise_benchmark(f).iloc[0]
    >>> float(row["value"]), float(row["benchmark"]), row["band"]
    (3.0, 2.5, 'above')
    """
    renamed = {}
    for canonical, spellings in BENCHMARK_COLUMNS.items():
        found = next((s for s in spellings if s in frame.columns), None)
        if found is not None:
            renamed[canonical] = frame[found]
        elif canonical in REQUIRED:
            raise InputError(problem(file, None, canonical, None,
                                     f"a column for {canonical!r}: one of {spellings}"))
        else:
            renamed[canonical] = pd.Series(np.nan, index=frame.index)
    out = pd.DataFrame(renamed)
    out["suppressed"] = out["suppressed"].fillna(True).astype(bool)

    def band(value):
        text = str(value).lower()
        for key in ("above", "below"):
            if key in text:
                return key
        return "in_line" if ("line" in text or text == "within") else np.nan

    out["band"] = out["band"].map(band)
    hidden = out["benchmark_shown"].eq(False)
    for column in ("benchmark", "p25", "p75", "diff", "g", "ci_low", "ci_high", "p_adj"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
        out.loc[hidden, column] = np.nan          # a benchmark that is not shown stays unshown
    for column in ("n", "value", "benchmark", "p25", "p75", "diff", "g", "ci_low", "ci_high",
                   "p_adj", "percentile", "sd", "n_organisations"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    if out["diff"].isna().all():
        out["diff"] = out["value"] - out["benchmark"]
    return out


def variable_order(variables) -> list[str]:
    """Usage and profile variables in the order of ``analysis.measures`` (unknown ones last)."""
    rank = {v: i for i, v in enumerate(measures.ids())}
    return sorted(variables, key=lambda v: (rank.get(v, len(rank)), v))


def variable_kind(variable: str, constructs) -> str:
    """Sort a variable into the report's sections: 'survey', 'profile' or 'usage'.

    Examples
    --------
    >>> variable_kind("culture", {"culture"}), variable_kind("profile_photo", set())
    ('survey', 'profile')
    """
    if variable in constructs:
        return "survey"
    if str(variable).startswith("profile_"):
        return "profile"
    return "usage"


def measure_kind(variable: str) -> str:
    """The kind of a usage measure ('share', 'rate' or 'count') from ``analysis.measures``."""
    if variable in measures.MEASURES:
        return measures.get(variable).kind
    return "rate" if variable.endswith("_per_month") else "share"


def measure_label(variable: str, language: str) -> str | None:
    """The label of a usage measure as ``analysis.measures`` defines it, first letter capital;
    None for an id that is no measure.

    Examples
    --------
    >>> measure_label("likes_per_month", "en"), measure_label("culture", "en")
    ('Likes given per month', None)
    """
    if variable not in measures.MEASURES:
        return None
    label = measures.get(variable).label(language)
    return label[:1].upper() + label[1:]


def measure_definitions(variables, language: str) -> pd.DataFrame:
    """The label and one-sentence definition of each usage measure among ``variables``, in the
    order of ``analysis.measures`` (ids that are no measure are left out)."""
    known = measures.table(language).set_index("id")
    shown = [v for v in variable_order(set(variables)) if v in known.index]
    return pd.DataFrame({"variable": shown,
                         "label": [measure_label(v, language) for v in shown],
                         "definition": known.loc[shown, "definition"].tolist()})


def for_organisation(bench: pd.DataFrame, organisation: str, kind: str | None = None,
                     constructs=()) -> pd.DataFrame:
    """The rows of one organisation's benchmark, in report order, optionally one kind only."""
    rows = bench[bench["organisation"] == organisation].copy()
    if kind is not None:
        rows = rows[[variable_kind(v, constructs) == kind for v in rows["variable"]]]
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    variables = {v: i for i, v in enumerate(
        [c for c in constructs if c in set(rows["variable"])]
        + variable_order(set(rows["variable"]) - set(constructs)))}
    rows["_order"] = rows["function_group"].map(order).fillna(len(order))
    rows["_variable"] = rows["variable"].map(variables)
    return rows.sort_values(["_variable", "_order"], kind="stable").drop(
        columns=["_order", "_variable"])


def response_counts(respondents, kept, exclusions, organisation: str | None,
                    invited: float | None = None) -> dict:
    """Submitted, kept and excluded responses, and the exclusions per rule.

    ``organisation=None`` counts everyone. Returns a dict with ``submitted``, ``kept``,
    ``invited``, ``by_rule`` (Series rule -> responses failing it) and ``by_group``
    (Series function group -> kept).

    Examples
    --------
    >>> r = pd.DataFrame({"organisation": ["A", "A", "B"], "function_group": ["x"] * 3})
    >>> e = pd.DataFrame({"organisation": ["A"], "rules": ["speeding;straightlining"]})
    >>> c = response_counts(r, r.iloc[1:2], e, "A")
    >>> c["submitted"], c["kept"], c["by_rule"].to_dict()
    (2, 1, {'speeding': 1, 'straightlining': 1})
    """
    def mine(frame):
        if frame is None:
            return None
        return frame if organisation is None else frame[frame["organisation"] == organisation]

    respondents, kept, exclusions = mine(respondents), mine(kept), mine(exclusions)
    by_rule = pd.Series(dtype=int)
    if exclusions is not None and len(exclusions):
        by_rule = (exclusions["rules"].astype(str).str.split(";").explode().str.strip()
                   .value_counts().sort_values(ascending=False))
    by_group = pd.Series(dtype=int)
    if kept is not None:
        by_group = kept["function_group"].value_counts()
        by_group = by_group.reindex([g for g in GROUP_ORDER if g in by_group.index])
    return {
        "submitted": None if respondents is None else int(len(respondents)),
        "kept": None if kept is None else int(len(kept)),
        "invited": invited,
        "by_rule": by_rule,
        "by_group": by_group,
    }


def group_summary(group_measures: pd.DataFrame) -> pd.DataFrame:
    """Open against closed groups per organisation, from the usage stage's group table.

    One row per organisation and visibility: ``groups`` (groups that are not deleted),
    ``members`` (median employee members), ``posts_per_member`` (mean over groups with
    members) and ``active_share`` (share of active groups among those with an answer).

    Notes
    -----
    The usage stage (``analysis.usage.group_measures``) decides what a member, a post and an
    active group are; this only summarises its ``group_measures.parquet``.

    Examples
    --------
    >>> g = pd.DataFrame({"organisation": ["A", "A", "A"], "visibility": ["open"] * 3,
    ...     "members_employees": [4, 10, 6], "posts_per_member": [1.0, 2.0, None],
    ...     "group_active": pd.array([True, False, pd.NA], dtype="boolean")})
    >>> group_summary(g)[["groups", "members", "posts_per_member", "active_share"]
    ...     ].astype(float).iloc[0].tolist()
    [3.0, 6.0, 1.5, 0.5]
    """
    frame = group_measures.assign(
        members=pd.to_numeric(group_measures["members_employees"], errors="coerce")
        .astype(float),
        posts_per_member=pd.to_numeric(group_measures["posts_per_member"], errors="coerce")
        .astype(float),
        active=group_measures["group_active"].astype("Float64").astype(float))
    return frame.groupby(["organisation", "visibility"], sort=True).agg(
        groups=("members", "size"), members=("members", "median"),
        posts_per_member=("posts_per_member", "mean"), active_share=("active", "mean"),
    ).reset_index()


def group_benchmark(summary: pd.DataFrame, organisation: str) -> pd.DataFrame:
    """The other organisations' group figures per visibility, each organisation counting once.

    Returns one row per visibility with the means of ``groups``, ``members``,
    ``posts_per_member`` and ``active_share`` over the other organisations, and
    ``n_organisations``.
    """
    others = summary[summary["organisation"] != organisation]
    columns = ["groups", "members", "posts_per_member", "active_share"]
    out = others.groupby("visibility", sort=True)[columns].mean()
    out["n_organisations"] = others.groupby("visibility", sort=True).size()
    return out.reset_index()


GAP_COLUMNS = ["variable", "scope", "n_managers", "managers", "n_staff", "staff", "gap",
               "ci_low", "ci_high", "p_adj", "suppressed", "n_organisations"]


def _gap_rows(gap: pd.DataFrame) -> pd.DataFrame:
    """The benchmark stage's gap columns under the names the report uses."""
    out = gap.rename(columns={"mean_managers": "managers", "mean_staff": "staff"})
    out["suppressed"] = out["suppressed"].fillna(True).astype(bool)
    for column in ("n_managers", "n_staff", "managers", "staff", "gap", "ci_low", "ci_high",
                   "p_adj"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def organisation_gap(gap: pd.DataFrame, organisation: str, variables: list[str],
                     min_organisations: int = 1) -> pd.DataFrame:
    """The managers-staff gap of one organisation beside the benchmark that leaves it out.

    ``gap`` is ``perception_gap.parquet`` (``analysis.benchmark.perception_gap``). Its own
    ``benchmark`` rows pool everyone, this organisation included, so they are not used here:
    the benchmark gap is the mean of the *other* organisations' gaps, each counting once, over
    their rows that are not suppressed. With fewer than ``min_organisations`` such gaps the
    benchmark row has no values (and ``n_organisations`` says how many there were).

    Returns one row per variable (in the order of ``variables``) and scope
    (``organisation``, then ``benchmark``), columns :data:`GAP_COLUMNS`.

    Notes
    -----
    benchmark gap = (1/K) sum over organisations o != this, not suppressed, of gap_o; the same
    for the managers' and the staff means.

    Examples
    --------
    >>> g = pd.DataFrame({"organisation": ["A", "B", "C", "benchmark"],
    ...     "variable": "culture", "n_managers": [6, 7, 2, 15], "mean_managers": [4.0, 4.0,
    ...     None, 4.1], "n_staff": [20, 30, 9, 59], "mean_staff": [3.0, 3.5, None, 3.4],
    ...     "gap": [1.0, 0.5, None, 0.7], "ci_low": 0.1, "ci_high": 0.9, "p_adj": 0.01,
    ...     "suppressed": [False, False, True, False]})
    >>> organisation_gap(g, "A", ["culture"])[["scope", "gap", "n_organisations"]
    ...     ].values.tolist()
    [['organisation', 1.0, 1], ['benchmark', 0.5, 1]]
    """
    rows = _gap_rows(gap[gap["variable"].isin(variables)])
    here = rows[rows["organisation"] == organisation].assign(scope="organisation",
                                                             n_organisations=1)
    others = rows[~rows["organisation"].isin([organisation, "benchmark"]) & ~rows["suppressed"]]
    bench = others.groupby("variable").agg(
        managers=("managers", "mean"), staff=("staff", "mean"), gap=("gap", "mean"),
        n_managers=("n_managers", "sum"), n_staff=("n_staff", "sum"),
        n_organisations=("gap", "size"))
    bench = bench.reindex([v for v in variables if v in set(rows["variable"])])
    bench["n_organisations"] = bench["n_organisations"].fillna(0).astype(int)
    too_few = bench["n_organisations"] < min_organisations
    bench.loc[too_few, ["managers", "staff", "gap"]] = np.nan
    bench = bench.reset_index().assign(scope="benchmark", suppressed=False, ci_low=np.nan,
                                       ci_high=np.nan, p_adj=np.nan)
    out = pd.concat([here, bench], ignore_index=True)[GAP_COLUMNS]
    order = {v: i for i, v in enumerate(variables)}
    out["_v"] = out["variable"].map(order)
    out["_s"] = out["scope"].map({"organisation": 0, "benchmark": 1})
    return out.sort_values(["_v", "_s"]).drop(columns=["_v", "_s"]).reset_index(drop=True)


def pilot_gap(gap: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """The managers-staff gap per organisation and for everyone pooled (scope ``benchmark``).

    Returns :data:`GAP_COLUMNS` with ``scope`` the organisation code (or ``benchmark``), rows
    ordered by variable, then scope with the pooled row last.
    """
    rows = _gap_rows(gap[gap["variable"].isin(variables)]).rename(
        columns={"organisation": "scope"}).assign(n_organisations=np.nan)
    order = {v: i for i, v in enumerate(variables)}
    rows["_v"] = rows["variable"].map(order)
    rows["_s"] = rows["scope"].eq("benchmark")
    rows = rows.sort_values(["_v", "_s", "scope"]).drop(columns=["_v", "_s"])
    return rows[GAP_COLUMNS].reset_index(drop=True)


def questions_answer(questions: pd.DataFrame, method: str) -> pd.DataFrame:
    """The study's question (culture invites questions -> more questions asked?) per level.

    ``questions`` is ``questions_culture.parquet``; the rows of ``method`` (``correlate.method``
    in params.yaml) are kept, in the order organisation, organisation x function group,
    individual. Falls back to every method when ``method`` has no rows.
    """
    rows = questions[questions["method"] == method]
    if rows.empty:
        rows = questions
    order = {level: i for i, level in enumerate(LEVELS)}
    return rows.assign(_o=rows["level"].map(order).fillna(len(order))).sort_values(
        "_o", kind="stable").drop(columns="_o").reset_index(drop=True)



def strongest_correlations(correlations: pd.DataFrame, method: str, per_level: int = 5
                           ) -> pd.DataFrame:
    """The strongest survey-usage correlations per level, largest |r| first.

    ``correlations`` is ``correlations.parquet``; only ``method`` (``correlate.method``) is
    used. A pair that mirrors another (the same survey variable and n, the same |r|, as
    'contributor' and 'never posted' do) is shown once.

    Examples
    --------
    >>> c = pd.DataFrame({"level": "individual", "x": ["a", "a", "b"],
    ...     "y": ["contributor", "never_posted", "likes"], "method": "spearman",
    ...     "n": 50, "r": [0.5, -0.5, 0.2], "p_adj": 0.01})
    >>> strongest_correlations(c, "spearman")["y"].tolist()
    ['contributor', 'likes']
    """
    rows = correlations[(correlations["method"] == method) & correlations["r"].notna()].copy()
    rows["abs_r"] = rows["r"].abs().round(9)
    rows = rows.drop_duplicates(["level", "x", "n", "abs_r"])
    rows["_o"] = rows["level"].map({level: i for i, level in enumerate(LEVELS)})
    rows = rows.sort_values(["_o", "abs_r"], ascending=[True, False], kind="stable")
    return rows.groupby("level", sort=False).head(per_level).drop(
        columns=["_o", "abs_r"]).reset_index(drop=True)


def pilot_profiles(bench: pd.DataFrame) -> pd.DataFrame:
    """Profile completion per organisation and field, from the benchmark table's 'all' rows.

    Returns ``organisation``, ``variable``, ``mean`` (share of employee accounts), ``count``
    (n) and ``suppressed``, as the benchmark stage decided them.
    """
    rows = bench[(bench["function_group"] == "all")
                 & bench["variable"].astype(str).str.startswith("profile_")]
    return pd.DataFrame({"organisation": rows["organisation"], "variable": rows["variable"],
                         "mean": rows["value"], "count": rows["n"],
                         "suppressed": rows["suppressed"]}).reset_index(drop=True)


def read_structure(path: str | Path) -> dict | None:
    """``structure.json`` of the score stage (KMO, Bartlett, one-factor CFA per construct)."""
    path = Path(path)
    if not path.exists():
        logger.info("report: %s not found, its part of the appendix says so", path)
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def indices(org_indices: pd.DataFrame) -> pd.DataFrame:
    """The survey and usage index per organisation, with canonical column names.

    Accepts ``survey_index``/``usage_index`` or any column containing 'survey' and 'usage'.
    """
    def pick(word):
        exact = f"{word}_index"
        if exact in org_indices.columns:
            return exact
        found = [c for c in org_indices.columns if word in c.lower()]
        if not found:
            raise InputError(problem("org_indices.parquet", None, exact, None,
                                     f"a column with the {word} index"))
        return found[0]

    return pd.DataFrame({"organisation": org_indices["organisation"],
                         "survey_index": org_indices[pick("survey")].astype(float),
                         "usage_index": org_indices[pick("usage")].astype(float)})


def data_hash(lock_file: str | Path) -> str | None:
    """A short hash of the processed data from ``dvc.lock``: md5 of the outputs' hashes."""
    import hashlib

    import yaml

    path = Path(lock_file)
    if not path.exists():
        return None
    lock = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    hashes = sorted(
        f"{out.get('path')}:{out.get('md5') or out.get('hash')}"
        for stage, spec in (lock.get("stages") or {}).items() if stage != "render"
        for out in (spec.get("outs") or [])
    )
    if not hashes:
        return None
    return hashlib.md5(json.dumps(hashes).encode()).hexdigest()[:12]


def pooled_contrasts(contrasts: pd.DataFrame, variables: list[str], text) -> pd.DataFrame:
    """Welch ANOVA across function groups, everyone pooled, with the clearly different pairs.

    Reads the benchmark stage's ``group_contrasts.parquet`` (organisation ``benchmark`` is all
    organisations pooled). One row per variable: ``variable``, ``F``, ``df1``, ``df2``,
    ``p_adj`` and ``pairs``, the Games–Howell pairs with p < 0.05 written as 'lower < higher'
    with the difference in means.

    Examples
    --------
    >>> from analysis.report import load_text
    >>> c = pd.DataFrame({"organisation": "benchmark", "variable": "x",
    ...     "test": ["welch_anova", "games_howell"], "F": [9.0, None], "df1": [3.0, None],
    ...     "df2": [200.0, None], "p_adj": [0.001, None], "p": [0.001, 0.01],
    ...     "group_a": [None, "external"], "group_b": [None, "manager"],
    ...     "diff": [None, -0.7]})
    >>> pooled_contrasts(c, ["x"], load_text("en"))["pairs"].tolist()
    [['Field services < Managers (0.70)']]
    """
    pooled = contrasts[contrasts["organisation"] == "benchmark"]
    rows = []
    for variable in variables:
        part = pooled[pooled["variable"] == variable]
        anova = part[part["test"] == "welch_anova"]
        if anova.empty:
            continue
        pairs = []
        for pair in part[(part["test"] == "games_howell") & (part["p"] < 0.05)].itertuples():
            low, high = (pair.group_a, pair.group_b) if pair.diff < 0 else (pair.group_b,
                                                                             pair.group_a)
            pairs.append(f"{text.group(low)} < {text.group(high)} "
                         f"({text.num(abs(pair.diff), 2)})")
        first = anova.iloc[0]
        rows.append({"variable": variable, "F": first["F"], "df1": first["df1"],
                     "df2": first["df2"], "p_adj": first["p_adj"], "pairs": pairs})
    return pd.DataFrame(rows, columns=["variable", "F", "df1", "df2", "p_adj", "pairs"])


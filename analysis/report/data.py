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
    "users": "platform_users.parquet",
    "events": "platform_events.parquet",
    "groups": "platform_groups.parquet",
    "memberships": "platform_memberships.parquet",
    "org_indices": "org_indices.parquet",
}
GROUP_ORDER = ["all", "internal", "external", "policy", "manager", "unknown"]


def read_tables(processed_dir: str | Path, names=None) -> dict[str, pd.DataFrame]:
    """Read the processed tables a report needs; a table that is not there is left out.

    Only the columns a report uses are read from the event log, which is the large one.
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
        elif name == "events":
            out[name] = pd.read_parquet(path, columns=["user", "created_at", "group_id"])
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
    >>> normalise_benchmark(f)[["value", "benchmark", "band"]].iloc[0].tolist()
    [3.0, 2.5, 'above']
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
    try:
        from analysis import measures

        known = measures.ids()
    except Exception:  # the measures module is optional for the reports
        known = []
    rank = {v: i for i, v in enumerate(known)}
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
    try:
        from analysis import measures

        return measures.get(variable).kind
    except Exception:  # an id the measures module does not know: guess from its name
        return "rate" if variable.endswith("_per_month") else "share"


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


def employees(users: pd.DataFrame) -> pd.DataFrame:
    """The employee accounts: citizens, partners, guests, service and test accounts left out."""
    return users[users["user_type"] == "employee"]


def group_summary(groups, events, memberships, users, window_start, window_end,
                  active_share: float, organisation: str | None = None) -> pd.DataFrame:
    """Open against closed groups: number, median employee members, posts per member, active share.

    One row per organisation (unless ``organisation`` is given) and visibility. Deleted groups
    are left out; only employees count as members; a group is active when at least
    ``active_share`` of its employee members posted in it inside the window.

    Notes
    -----
    posts per member = posts in the group's window / employee members, averaged over groups.
    """
    groups = groups[~groups["deleted"].fillna(False).astype(bool)]
    if organisation is not None:
        groups = groups[groups["organisation"] == organisation]
    staff = set(employees(users)["user"])
    members = memberships[memberships["user"].isin(staff)]
    members = members[members["group_id"].isin(groups["group_id"])]
    start = pd.Timestamp(window_start)
    end = pd.Timestamp(window_end) + pd.Timedelta(days=1)
    posts = events[events["group_id"].notna() & events["user"].isin(staff)]
    posts = posts[(posts["created_at"] >= start) & (posts["created_at"] < end)]
    posts = posts[posts["group_id"].isin(groups["group_id"])]
    # only posts by members count towards 'active'; every post counts towards posts per member
    posters = posts.merge(members, on=["group_id", "user"]).groupby("group_id")["user"].nunique()
    per_group = groups[["group_id", "organisation", "visibility"]].set_index("group_id")
    per_group["members"] = members.groupby("group_id")["user"].nunique()
    per_group["members"] = per_group["members"].fillna(0)
    per_group["posts"] = posts.groupby("group_id").size()
    per_group["posts"] = per_group["posts"].fillna(0)
    per_group["posters"] = posters
    per_group["posters"] = per_group["posters"].fillna(0)
    per_group["posts_per_member"] = per_group["posts"] / per_group["members"].where(
        per_group["members"] > 0)
    per_group["active"] = (per_group["posters"] >= active_share * per_group["members"]) & (
        per_group["members"] > 0)
    out = per_group.groupby(["organisation", "visibility"]).agg(
        groups=("members", "size"), members=("members", "median"),
        posts_per_member=("posts_per_member", "mean"), active_share=("active", "mean"),
    ).reset_index()
    return out


def perception_gap(scores: pd.DataFrame, culture: list[str], organisation: str | None,
                   min_size: int) -> pd.DataFrame:
    """Managers minus staff on each culture construct, for one organisation and for the others.

    Returns one row per construct and scope ('organisation' or 'benchmark') with ``managers``,
    ``staff``, ``n_managers``, ``n_staff``, ``gap`` and ``suppressed`` (fewer than ``min_size``
    managers or staff with a score). With ``organisation=None`` the scope is each organisation
    code (the pilot study). Staff are all known function groups except managers. The benchmark
    gap is the mean of the other organisations' gaps, each organisation counting once.

    Notes
    -----
    gap = mean(managers) − mean(staff); benchmark gap = mean over organisations o ≠ this of gap_o.
    """
    known = scores[scores["function_group"] != "unknown"]
    rows = []
    for code, part in known.groupby("organisation"):
        is_manager = part["function_group"] == "manager"
        for construct in culture:
            m = part.loc[is_manager, construct].dropna()
            s = part.loc[~is_manager, construct].dropna()
            rows.append({"organisation": code, "construct": construct, "managers": m.mean(),
                         "staff": s.mean(), "n_managers": len(m), "n_staff": len(s)})
    per_org = pd.DataFrame(rows, columns=["organisation", "construct", "managers", "staff",
                                          "n_managers", "n_staff"])
    per_org["gap"] = per_org["managers"] - per_org["staff"]
    per_org["suppressed"] = (per_org["n_managers"] < min_size) | (per_org["n_staff"] < min_size)
    if organisation is None:
        return per_org.rename(columns={"organisation": "scope"})
    here = per_org[per_org["organisation"] == organisation].assign(scope="organisation")
    others = per_org[(per_org["organisation"] != organisation) & ~per_org["suppressed"]]
    bench = others.groupby("construct").agg(
        managers=("managers", "mean"), staff=("staff", "mean"), gap=("gap", "mean"),
        n_managers=("n_managers", "sum"), n_staff=("n_staff", "sum"),
        n_organisations=("gap", "size")).reset_index().assign(scope="benchmark")
    bench["suppressed"] = False
    out = pd.concat([here.drop(columns="organisation"), bench], ignore_index=True)
    out["construct"] = pd.Categorical(out["construct"], culture)
    return out.sort_values(["construct", "scope"], ascending=[True, False]).reset_index(drop=True)


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

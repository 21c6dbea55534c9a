"""Small processed tables in the documented shapes, for the report tests and the render benchmark.

The real tables come from the pipeline (``data/processed/README.md``); these stand-ins let the
rendering be tested without running it. The benchmark table here is computed simply (leave-one-
out mean of organisation means, Hedges' g against the other organisations' units, a normal CI)
and is no reference for the benchmark stage's statistics.

Lines are planted for the tests: in the first organisation the managers' ``culture`` score
is suppressed and carries the impossible value :data:`LEAK_VALUE`, which must never appear in a
report; the pooled ``benchmark`` row of the perception gap (which includes the organisation
itself) carries :data:`POOLED_GAP`, which an organisation's report must not show; the first
construct's overall alpha is below 0.60 and one item has a negative item-rest correlation, so
the methods appendix has warnings to show.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.codebook import load
from analysis.paths import DEMO

LEAK_VALUE = 9.87
POOLED_GAP = 7.77
NEGATIVE_ITEM = "cul_ideas"
GROUPS = ["internal", "external", "policy", "manager"]
USAGE = ["active", "contributor", "reader_only", "microblogs_per_month", "questions"]
PROFILE = ["profile_photo", "profile_phone", "profile_job_title"]
NAMES = ["Nieuw Testmeer", "'s-Proefhoven", "Wâldtest", "Proefbergen (Ov.)", "Test aan Zee",
         "Belastingproef Rivierland", "Oudemeer", "Nijtest", "Proefwijk", "Testerveen"]


def organisations(n: int) -> pd.DataFrame:
    """``n`` fictitious organisations: code, name, type, size_class, platform."""
    codes = [f"O{i:02d}" for i in range(1, n + 1)]
    return pd.DataFrame({"code": codes, "name": [NAMES[i % len(NAMES)] + ("" if i < len(NAMES)
                                                  else f" {i}") for i in range(n)],
                         "type": "municipality", "size_class": "medium",
                         "platform": [c.lower() for c in codes]})


def _benchmark(values: pd.DataFrame, min_size: int, band_g: float) -> pd.DataFrame:
    cells = values.groupby(["organisation", "function_group", "variable"])["value"].agg(
        n="count", mean="mean", sd="std").reset_index()
    everyone = values.groupby(["organisation", "variable"])["value"].agg(
        n="count", mean="mean", sd="std").reset_index().assign(function_group="all")
    cells = pd.concat([everyone, cells], ignore_index=True)
    rows = []
    for (group, variable), part in cells.groupby(["function_group", "variable"]):
        for _, r in part.iterrows():
            others = part[part["organisation"] != r["organisation"]]
            pooled = np.sqrt(((r["n"] - 1) * r["sd"] ** 2 + ((others["n"] - 1) * others["sd"] ** 2
                                                               ).sum())
                             / max(r["n"] + others["n"].sum() - 2, 1))
            bench = others["mean"].mean()
            diff = r["mean"] - bench
            g = diff / pooled if pooled > 0 else 0.0
            se = r["sd"] / np.sqrt(r["n"]) if r["n"] > 1 else np.nan
            rows.append({
                "organisation": r["organisation"], "function_group": group,
                "variable": variable, "n": int(r["n"]), "mean": r["mean"], "sd": r["sd"],
                "n_organisations": len(others), "benchmark_mean": bench,
                "p25": others["mean"].quantile(0.25), "p75": others["mean"].quantile(0.75),
                "diff": diff, "g": g, "ci_low": diff - 1.96 * se, "ci_high": diff + 1.96 * se,
                "p_adj": 0.01 if abs(g) >= band_g else 0.5,
                "band": "above" if g >= band_g else "below" if g <= -band_g else "in_line",
                "percentile": 50.0, "suppressed": bool(r["n"] < min_size),
                "suppressed_reason": "n below min_group_size" if r["n"] < min_size else "",
            })
    return pd.DataFrame(rows)


def tables(n_organisations: int = 7, respondents: int = 40, users: int = 60, seed: int = 1,
           min_size: int = 5) -> dict[str, pd.DataFrame]:
    """Build every table a report reads, keyed as ``data.TABLE_FILES``, plus 'organisations'."""
    rng = np.random.default_rng(seed)
    book = load(DEMO / "codebook.yaml")
    constructs = list(book.constructs)
    orgs = organisations(n_organisations)
    level = dict(zip(orgs["code"], rng.normal(0, 0.3, n_organisations), strict=True))

    # respondents: the first organisation has only 3 managers (their cells are suppressed)
    resp = []
    for code in orgs["code"]:
        groups = rng.choice(GROUPS, respondents, p=[0.3, 0.25, 0.25, 0.2])
        if code == orgs["code"].iloc[0]:
            groups = np.where(groups == "manager", "internal", groups)
            groups[:3] = "manager"
        for i, group in enumerate(groups):
            resp.append({"respondent": f"{code}r{i:04d}", "organisation": code,
                         "function_group": group})
    respondents_ = pd.DataFrame(resp)
    submitted = respondents_.assign(source_file="survey.csv",
                                    source_row=np.arange(1, len(respondents_) + 1))
    excluded = submitted.sample(frac=0.15, random_state=seed)
    kept = submitted.drop(index=excluded.index)
    exclusions = excluded[["respondent", "source_file", "source_row", "organisation",
                           "function_group"]].assign(
        rules=rng.choice(["speeding", "straightlining", "completeness;speeding"], len(excluded)),
        details="")
    scores = kept[["respondent", "organisation", "function_group"]].copy()
    for c in constructs:
        bonus = np.where(scores["function_group"] == "manager", 0.4, 0.0)
        scores[c] = np.clip(3.4 + scores["organisation"].map(level) + bonus
                            + rng.normal(0, 0.6, len(scores)), 1, 5).round(3)

    # platform
    user_rows = []
    for code in orgs["code"]:
        for i in range(users):
            user_rows.append({"user": f"{code}u{i:04d}", "organisation": code,
                              "function_group": rng.choice(GROUPS, p=[0.35, 0.3, 0.25, 0.1]),
                              "user_type": "employee" if i % 15 else "citizen",
                              "state": "active"})
    users_ = pd.DataFrame(user_rows)
    for field in ["photo", "phone", "job_title"]:
        users_[f"profile_{field}"] = rng.random(len(users_)) < 0.93
    groups_ = pd.DataFrame([{"group_id": f"{c}g{j}", "organisation": c,
                             "visibility": "open" if j % 3 else "closed",
                             "created_at": pd.Timestamp("2025-01-01"), "deleted": False}
                            for c in orgs["code"] for j in range(6)])
    memberships = users_.sample(frac=0.6, random_state=seed)[["user", "organisation"]].merge(
        groups_[["group_id", "organisation"]], on="organisation").sample(frac=0.4,
                                                                         random_state=seed)
    memberships = memberships[["group_id", "user"]]
    ev = memberships.sample(n=min(len(memberships), 6 * len(orgs) * 20), replace=True,
                            random_state=seed)
    events = pd.DataFrame({"user": ev["user"].to_numpy(), "event_type": "group_post",
                           "created_at": pd.Timestamp("2025-10-01")
                           + pd.to_timedelta(rng.integers(0, 120, len(ev)), unit="D"),
                           "group_id": ev["group_id"].to_numpy(), "is_question": False})

    # per-user usage values for the benchmark
    staff = users_[users_["user_type"] == "employee"]
    usage_values = []
    for variable in USAGE + PROFILE:
        if variable in PROFILE:
            v = staff[variable].astype(float)
        elif variable in ("active", "contributor", "reader_only"):
            p = 0.6 + staff["organisation"].map(level) * 0.3
            v = (rng.random(len(staff)) < p).astype(float)
        else:
            v = rng.gamma(2.0, 1.0 + staff["organisation"].map(level).clip(-0.5, 0.5))
        usage_values.append(pd.DataFrame({"organisation": staff["organisation"].to_numpy(),
                                          "function_group": staff["function_group"].to_numpy(),
                                          "variable": variable, "value": np.asarray(v)}))
    survey_values = scores.melt(id_vars=["organisation", "function_group"], value_vars=constructs,
                                var_name="variable")
    values = pd.concat([survey_values] + usage_values, ignore_index=True)
    benchmark = _benchmark(values, min_size, 0.3)
    leak = (benchmark["organisation"] == orgs["code"].iloc[0]) & (
        benchmark["function_group"] == "manager") & (benchmark["variable"] == "culture")
    benchmark.loc[leak, "mean"] = LEAK_VALUE

    org_means = scores.groupby("organisation")[constructs].mean().mean(axis=1)
    usage_means = usage_values[0].groupby("organisation")["value"].mean()
    org_indices = pd.DataFrame({"organisation": org_means.index,
                                "survey_index": ((org_means - org_means.mean())
                                                 / org_means.std()).to_numpy(),
                                "usage_index": ((usage_means - usage_means.mean())
                                                / usage_means.std()).reindex(org_means.index)
                                .to_numpy()})
    reliability = pd.DataFrame([{"construct": c, "scope": s, "n": 300, "alpha": 0.8,
                                 "alpha_ci_low": 0.75, "alpha_ci_high": 0.84, "omega": 0.81,
                                 "n_items": 4, "warnings": ""}
                                for c in constructs for s in ["all", *orgs["code"]]])
    reliability.loc[0, ["alpha", "omega", "warnings"]] = [0.55, 0.57, "alpha 0.55 below 0.60"]
    item_stats = pd.DataFrame([{"construct": item.construct, "item": item.id, "reverse":
                                item.reverse, "n": 300, "mean": 3.4, "sd": 0.8,
                                "item_rest_r": -0.12 if item.id == NEGATIVE_ITEM else 0.5,
                                "alpha_if_deleted": 0.75} for item in book.scale_items])
    icc = pd.DataFrame({"construct": constructs, "n": 300, "icc1": 0.05, "icc2": 0.6,
                        "warnings": ""})
    culture = [c for c, spec in book.constructs.items() if spec.culture]
    return {"benchmark": benchmark, "respondents": submitted, "kept": kept,
            "exclusions": exclusions, "scores": scores, "reliability": reliability, "icc": icc,
            "item_stats": item_stats,
            "group_measures": _group_measures(groups_, memberships, events, users_),
            "perception_gap": _perception_gap(scores, culture, min_size),
            "questions": _questions(len(orgs)), "correlations": _correlations(len(orgs)),
            "org_indices": org_indices, "organisations": orgs,
            "group_contrasts": _group_contrasts(scores, constructs, min_size),
            "structure": _structure(constructs)}


def _group_contrasts(scores, constructs, min_size) -> pd.DataFrame:
    """Welch ANOVA and Games-Howell by the benchmark stage's own function."""
    from analysis.benchmark import group_contrasts

    values = scores.melt(id_vars=["respondent", "organisation", "function_group"],
                         value_vars=constructs, var_name="variable").rename(
        columns={"respondent": "unit"}).assign(source="survey")
    return group_contrasts(values, {"min_group_size": min_size})


def _group_measures(groups, memberships, events, users) -> pd.DataFrame:
    """Group measures in the shape of ``analysis.usage.group_measures`` (simply counted)."""
    staff = set(users.loc[users["user_type"] == "employee", "user"])
    member = memberships.assign(employee=memberships["user"].isin(staff))
    posts = events.groupby("group_id").size()
    posters = events.merge(memberships, on=["group_id", "user"]).groupby("group_id")[
        "user"].nunique()
    out = groups[["group_id", "organisation", "visibility"]].copy()
    out["open"] = (out["visibility"] == "open").astype("boolean")
    out["members_employees"] = out["group_id"].map(
        member[member["employee"]].groupby("group_id").size()).fillna(0).astype("Int64")
    out["members_other"] = out["group_id"].map(
        member[~member["employee"]].groupby("group_id").size()).fillna(0).astype("Int64")
    n = (out["members_employees"] + out["members_other"]).astype("Float64")
    n = n.where(n > 0)
    out["group_posts"] = out["group_id"].map(posts).fillna(0).astype("Int64")
    out["posts_per_member"] = out["group_posts"].astype("Float64") / n
    out["contributing_members"] = out["group_id"].map(posters).fillna(0).astype("Float64") / n
    out["group_active"] = (out["contributing_members"] >= 0.05).astype("boolean")
    return out


def _perception_gap(scores, culture, min_size) -> pd.DataFrame:
    """Managers minus staff per organisation and pooled, shaped as ``perception_gap.parquet``;
    the pooled row carries :data:`POOLED_GAP`."""
    rows = []
    pooled = scores.assign(organisation="benchmark")
    for code, part in pd.concat([scores, pooled]).groupby("organisation", sort=True):
        manager = part["function_group"] == "manager"
        for variable in culture:
            m, s = part.loc[manager, variable], part.loc[~manager, variable]
            hide = len(m) < min_size or len(s) < min_size
            gap = POOLED_GAP if code == "benchmark" else m.mean() - s.mean()
            rows.append({"organisation": code, "variable": variable,
                         "n_managers": pd.NA if hide else len(m),
                         "mean_managers": np.nan if hide else m.mean(),
                         "n_staff": pd.NA if hide else len(s),
                         "mean_staff": np.nan if hide else s.mean(),
                         "gap": np.nan if hide else gap, "se": 0.1, "t": 1.0, "df": 20.0,
                         "p": 0.3, "ci_low": np.nan if hide else gap - 0.2,
                         "ci_high": np.nan if hide else gap + 0.2, "hedges_g": 0.3,
                         "p_adj": 0.3, "suppressed": hide,
                         "suppression_reason": "group_size" if hide else None})
    out = pd.DataFrame(rows)
    for column in ("n_managers", "n_staff"):
        out[column] = out[column].astype("Int64")
    out["suppression_reason"] = out["suppression_reason"].astype("string")
    return out


def _questions(n_organisations: int) -> pd.DataFrame:
    """The study question's answer per level, shaped as ``questions_culture.parquet``."""
    rows = []
    for level, n, r, low, high, answer in [
            ("organisation", n_organisations, 0.61, -0.3, 0.94, "no clear link"),
            ("organisation_group", 4 * n_organisations, 0.42, 0.05, 0.69, "more questions"),
            ("individual", 180, 0.31, 0.17, 0.44, "more questions")]:
        for method in ("spearman", "pearson"):
            rows.append({"level": level, "x": "cul_questions", "y": "questions",
                         "method": method, "n": n, "r": r, "ci_low": low, "ci_high": high,
                         "p": 0.01, "p_greater": 0.005, "small_n": level == "organisation",
                         "answer": answer})
    return pd.DataFrame(rows)


def _correlations(n_organisations: int) -> pd.DataFrame:
    """A few survey-usage correlations per level, shaped as ``correlations.parquet``."""
    rows = []
    for level, n in (("organisation", n_organisations), ("organisation_group",
                                                         4 * n_organisations),
                     ("individual", 180)):
        for i, (x, y) in enumerate([("culture", "contributor"), ("culture", "never_posted"),
                                    ("psych_safety", "questions"),
                                    ("intranet_attitude", "likes_per_month")]):
            r = [0.62, -0.62, 0.44, 0.2][i]
            rows.append({"level": level, "x": x, "y": y, "method": "spearman", "n": n, "r": r,
                         "ci_low": r - 0.3, "ci_high": min(r + 0.3, 1.0), "p": 0.01,
                         "p_adj": 0.02 if i < 3 else 0.4, "small_n": level == "organisation"})
    return pd.DataFrame(rows)


def _structure(constructs) -> dict:
    """``structure.json`` in the score stage's shape (figures made up, not fitted)."""
    cfa = {c: {"n": 300, "n_items": 4, "dof": 2.0, "chi2": 1.2, "p": 0.55, "cfi": 1.0,
               "tli": 1.0, "rmsea": 0.0, "srmr": 0.01, "loadings": {}, "note": ""}
           for c in constructs}
    return {"n": 300, "kmo": 0.88, "kmo_items": {}, "bartlett": {"chi2": 4000.0, "dof": 500.0,
                                                                 "p": 0.0}, "cfa": cfa}


def write(processed_dir: str | Path, **kwargs) -> dict:
    """Write :func:`tables` to ``processed_dir`` under the documented file names; return them.

    ``organisations.csv`` is written beside them.
    """
    from analysis.report.data import TABLE_FILES

    processed_dir = Path(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    frames = tables(**kwargs)
    (processed_dir / "structure.json").write_text(json.dumps(frames["structure"]),
                                                  encoding="utf-8")
    for name, file in TABLE_FILES.items():
        path = processed_dir / file
        if file.endswith(".csv"):
            frames[name].to_csv(path, index=False)
        else:
            frames[name].to_parquet(path, index=False)
    frames["organisations"].to_csv(processed_dir / "organisations.csv", index=False)
    return frames

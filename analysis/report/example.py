"""Small processed tables in the documented shapes, for the report tests and the render benchmark.

The real tables come from the pipeline (``data/processed/README.md``); these stand-ins let the
rendering be tested without running it. The benchmark table here is computed simply (leave-one-
out mean of organisation means, Hedges' g against the other organisations' units, a normal CI)
and is no reference for the benchmark stage's statistics.

One line is planted for the tests: in the first organisation the managers' ``culture`` score
is suppressed and carries the impossible value :data:`LEAK_VALUE`, which must never appear in a
report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.codebook import load
from analysis.paths import DEMO

LEAK_VALUE = 9.87
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
        groups = rng.choice(GROUPS, respondents, p=[0.35, 0.3, 0.25, 0.1])
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
    icc = pd.DataFrame({"construct": constructs, "icc1": 0.05, "icc2": 0.6})
    return {"benchmark": benchmark, "respondents": submitted, "kept": kept,
            "exclusions": exclusions, "scores": scores, "reliability": reliability, "icc": icc,
            "users": users_, "events": events, "groups": groups_, "memberships": memberships,
            "org_indices": org_indices, "organisations": orgs}


def write(processed_dir: str | Path, **kwargs) -> dict:
    """Write :func:`tables` to ``processed_dir`` under the documented file names; return them.

    ``organisations.csv`` is written beside them.
    """
    from analysis.report.data import TABLE_FILES

    processed_dir = Path(processed_dir)
    processed_dir.mkdir(parents=True, exist_ok=True)
    frames = tables(**kwargs)
    for name, file in TABLE_FILES.items():
        path = processed_dir / file
        if file.endswith(".csv"):
            frames[name].to_csv(path, index=False)
        else:
            frames[name].to_parquet(path, index=False)
    frames["organisations"].to_csv(processed_dir / "organisations.csv", index=False)
    return frames

"""Speed of the benchmark and correlate stages on all 342 Dutch municipalities (simulated).

Target (issue 5): 342 organisations x 4 function groups x 60 variables benchmarked, with the
function-group contrasts, the perception gap and the soft-hard correlations, in under 30 s on a
2-core machine. The values table is generated here (30 survey constructs per respondent, 30
usage measures per platform user); generating it is not timed.

    .venv/bin/python benchmarks/bench_benchmark.py [--organisations 342] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from analysis.benchmark import benchmark, group_contrasts, perception_gap
from analysis.correlate import (
    SmallSampleWarning,
    group_level,
    indices,
    individual_level,
    organisation_level,
    organisation_means,
    questions_vs_culture,
)

GROUPS = np.array(["internal", "external", "policy", "manager", "unknown"])
GROUP_P = [0.45, 0.25, 0.17, 0.10, 0.03]


def simulate(organisations: int, survey_vars: int, usage_vars: int, seed: int):
    """Values, organisations and links: respondents 30-120 and users 100-600 per organisation."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"GM{i:04d}" for i in range(organisations)])
    org_effect = rng.normal(0, 0.3, (organisations, survey_vars + usage_vars))
    n_resp = rng.integers(30, 121, organisations)
    n_user = rng.integers(100, 601, organisations)

    def block(n_units, variables, offset, source, prefix):
        org = np.repeat(np.arange(organisations), n_units)
        group = rng.choice(GROUPS, size=len(org), p=GROUP_P)
        units = np.char.add(prefix, np.arange(len(org)).astype(str))
        k = len(variables)
        effect = org_effect[org][:, offset:offset + k]
        value = 3 + effect + rng.normal(0, 1, (len(org), k))
        if source == "usage":
            value = np.where(rng.random(value.shape) < 0.5, 0.0, np.abs(value))
        return pd.DataFrame({
            "organisation": np.repeat(codes[org], k), "function_group": np.repeat(group, k),
            "unit": np.repeat(units, k), "variable": np.tile(variables, len(org)),
            "value": value.ravel(), "source": source}), units

    survey_names = np.array(["cul_questions", "culture"]
                            + [f"construct_{i}" for i in range(survey_vars - 2)])
    usage_names = np.array(["questions"] + [f"measure_{i}" for i in range(usage_vars - 1)])
    survey, respondents = block(n_resp, survey_names, 0, "survey", "r")
    usage, users = block(n_user, usage_names, survey_vars, "usage", "u")
    values = pd.concat([survey, usage], ignore_index=True)
    for col in ("organisation", "function_group", "variable", "source"):
        values[col] = values[col].astype("category")
    # one respondent in five consented to a link with a platform account
    linked = rng.random(len(respondents)) < 0.2
    links = pd.DataFrame({"respondent": respondents,
                          "platform_user": np.where(linked, users[:len(respondents)], None)})
    organisations_table = pd.DataFrame({"code": codes, "name": [f"Gemeente {c}" for c in codes],
                                        "type": "municipality",
                                        "size_class": rng.choice(["small", "medium", "large"],
                                                                 organisations)})
    return values, organisations_table, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=342)
    parser.add_argument("--survey-variables", type=int, default=30)
    parser.add_argument("--usage-variables", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    values, orgs, links = simulate(args.organisations, args.survey_variables,
                                   args.usage_variables, args.seed)
    print(f"simulated {len(values):,} values ({values['variable'].nunique()} variables, "
          f"{args.organisations} organisations) in {time.perf_counter() - start:.1f} s "
          "(not timed)")

    params = {"comparison": "leave_one_out", "min_organisations": 5, "min_group_size": 5,
              "band_threshold_g": 0.3, "fdr_alpha": 0.05}
    timings = {}
    cpu_start = time.process_time()

    def timed(name, fn, *a, **kw):
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        timings[name] = time.perf_counter() - t0
        print(f"  {name:<22} {timings[name]:6.2f} s  {len(out):>9,} rows")
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        table = timed("benchmark", benchmark, values, orgs, params)
        timed("benchmark restrict_by", benchmark, values, orgs,
              {**params, "restrict_by": "size_class"})
        timed("group_contrasts", group_contrasts, values, params)
        timed("perception_gap", perception_gap, values, ["culture", "cul_questions"], params)
        means = timed("organisation_means", organisation_means, values)
        timed("organisation_level", organisation_level, means)
        timed("group_level", group_level, values)
        timed("individual_level", individual_level, values, links)
        timed("indices", indices, means)
        timed("questions_vs_culture", questions_vs_culture, values, links)
    total = sum(timings.values())
    cpu = time.process_time() - cpu_start
    print(f"benchmark rows: {len(table):,}; suppressed {int(table['suppressed'].sum()):,}; "
          f"bands {table['band'].value_counts().to_dict()}")
    print(f"total {total:.1f} s wall, {cpu:.1f} s CPU (target < 30 s wall) -> "
          f"{'OK' if total < 30 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()

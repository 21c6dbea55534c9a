"""Tests of analysis.confidentiality: minimum group size, complementary suppression, naming.

Expected values are hand calculations on tables small enough to check by eye; each test says
which rule it pins down.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.confidentiality import (
    ConfidentialityError,
    check_names_no_other,
    other_organisations_named,
    suppress,
)


def partition(ns, groups=("all", "internal", "external", "policy", "manager", "unknown")):
    """One organisation x variable with the given n per group and a mean that is not zero."""
    return pd.DataFrame({"organisation": "G01", "variable": "x",
                         "function_group": list(groups)[:len(ns)], "n": ns,
                         "mean": np.arange(1.0, len(ns) + 1)})


def run(table, **kw):
    return suppress(table, "n", ["organisation", "variable"], 5, **kw)


def test_no_suppression_when_every_group_is_large_enough():
    out = run(partition([60, 30, 10, 10, 10]))
    assert not out["suppressed"].any()
    assert out["mean"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_one_small_group_hides_the_smallest_other_group_too():
    # Hand: manager n=3 < 5 is primary; without a second hidden group its sum would be
    # total - internal - external - policy. The smallest shown part is policy (n=7).
    out = run(partition([50, 30, 10, 7, 3], ["all", "internal", "external", "policy", "manager"]))
    reasons = dict(zip(out["function_group"], out["suppression_reason"], strict=True))
    assert reasons["manager"] == "group_size"
    assert reasons["policy"] == "complementary"
    assert pd.isna(reasons["all"]) and pd.isna(reasons["internal"])
    # suppressed figures are missing (never zero), n is hidden too, and the flag says why
    hidden = out[out["suppressed"]]
    assert hidden["mean"].isna().all() and hidden["n"].isna().all()
    assert (out.loc[~out["suppressed"], "mean"] != 0).all()


def test_keep_last_spares_the_managers_when_another_group_can_go():
    # unknown n=2 primary; manager (n=6) is smaller than policy (n=8) but is kept last.
    table = partition([46, 30, 8, 6, 2], ["all", "internal", "policy", "manager", "unknown"])
    out = run(table, keep_last=("manager",))
    hidden = set(out.loc[out["suppressed"], "function_group"])
    assert hidden == {"unknown", "policy"}
    assert set(run(table).loc[lambda t: t["suppressed"], "function_group"]) == \
        {"unknown", "manager"}


def test_two_small_groups_need_no_complementary_suppression():
    out = run(partition([50, 40, 4, 3, 3], ["all", "internal", "external", "policy",
                                              "manager"]))
    assert out["suppression_reason"].dropna().tolist() == ["group_size"] * 3


def test_the_only_other_part_goes_and_else_the_total():
    # Hand: internal (n=20) and manager (n=3): manager = total - internal, so internal goes.
    out = run(partition([23, 20, 3], ["all", "internal", "manager"]))
    assert out["suppression_reason"].tolist()[1:] == ["complementary", "group_size"]
    assert not out["suppressed"].iloc[0]
    # A table that lists only the total and one small part: the total itself would reveal it.
    out = run(partition([30, 3], ["all", "manager"]))
    assert out["suppression_reason"].tolist() == ["complementary", "group_size"]


def test_no_data_is_marked_but_not_hidden_information():
    out = run(partition([40, 30, 10, 0], ["all", "internal", "policy", "manager"]))
    reasons = dict(zip(out["function_group"], out["suppression_reason"], strict=True))
    assert reasons["manager"] == "no_data"
    assert pd.isna(reasons["internal"]) and pd.isna(reasons["policy"])


def test_partitions_are_independent_and_never_leave_one_hidden_part():
    rng = np.random.default_rng(5)
    rows = []
    for org in range(30):
        for var in ("x", "y"):
            parts = rng.integers(0, 12, size=5)
            groups = ["internal", "external", "policy", "manager", "unknown"]
            rows.append((f"G{org}", var, "all", parts.sum()))
            rows += [(f"G{org}", var, g, n) for g, n in zip(groups, parts, strict=True)]
    table = pd.DataFrame(rows, columns=["organisation", "variable", "function_group", "n"])
    table["mean"] = 1.0
    out = run(table)
    parts = out[(out["function_group"] != "all")
                & out["suppression_reason"].isin(["group_size", "complementary"])]
    hidden_per_partition = parts.groupby(["organisation", "variable"]).size()
    # Rule: after suppression a partition hides no part, or at least two parts (or the total).
    totals = out[(out["function_group"] == "all") & out["suppressed"]]
    lone = hidden_per_partition[hidden_per_partition == 1]
    lone_keys = set(lone.index)
    assert lone_keys <= set(zip(totals["organisation"], totals["variable"], strict=True))


def test_named_other_organisation_is_found_by_code_and_name():
    orgs = pd.DataFrame({"code": ["G1", "G10", "G2"],
                         "name": ["Gemeente Aa", "Gemeente Tien", "Werkorganisatie Bee"]})
    table = pd.DataFrame({"organisation": ["G10", "G10"],
                          "note": ["as in werkorganisatie bee", "G10 itself, G1x is no code"]})
    hits = other_organisations_named(table, "G10", orgs)
    assert hits["named"].tolist() == ["Werkorganisatie Bee"]
    with pytest.raises(ConfidentialityError, match="Werkorganisatie Bee"):
        check_names_no_other(table, "G10", orgs)


def test_a_column_named_after_another_organisation_is_found():
    orgs = pd.DataFrame({"code": ["G1", "G2"], "name": ["Aa", "Bee"]})
    table = pd.DataFrame({"organisation": ["G1"], "G2": [3.0]})
    assert other_organisations_named(table, "G1", orgs)["column"].tolist() == ["G2"]


def test_the_benchmark_table_of_one_organisation_names_no_other():
    from analysis.benchmark import benchmark

    rng = np.random.default_rng(0)
    orgs = pd.DataFrame({"code": [f"G0{i}" for i in range(6)],
                         "name": [f"Gemeente {c}" for c in "ABCDEF"],
                         "type": "municipality", "size_class": "small"})
    values = pd.DataFrame({"organisation": np.repeat(orgs["code"], 12).to_numpy(),
                           "function_group": "internal", "unit": [f"u{i}" for i in range(72)],
                           "variable": "x", "value": rng.normal(size=72), "source": "survey"})
    table = benchmark(values, orgs, {})
    own = table[table["organisation"] == "G03"]
    assert check_names_no_other(own, "G03", orgs) is own
    with pytest.raises(ConfidentialityError):
        check_names_no_other(table, "G03", orgs)

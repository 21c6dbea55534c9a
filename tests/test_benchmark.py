"""Tests of analysis.benchmark: hand-checked small cases, outside references, recovery.

References used: hand calculations (stated in each test), scipy.stats (Welch's t test,
percentileofscore, studentized_range), statsmodels.stats.multitest.multipletests (BH),
pingouin 0.7 (compute_effsize, welch_anova, pairwise_gameshowell) and the values printed in
pingouin's own docstrings for its bundled 'anova' and 'penguins' datasets.
"""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.benchmark import (
    benchmark,
    bh_adjust,
    cell_stats,
    group_contrasts,
    perception_gap,
    studentized_range_sf,
)
from analysis.errors import InputError

GROUP_SIZES = {"internal": 20, "external": 15, "policy": 10, "manager": 8}


def organisations_table(codes, types=None):
    return pd.DataFrame({"code": codes, "name": [f"Gemeente {c}" for c in codes],
                         "type": types or ["municipality"] * len(codes),
                         "size_class": "medium"})


def from_arrays(arrays: dict, variable="x", group="internal", source="survey"):
    """Values table from {organisation: array of unit values}."""
    frames = [pd.DataFrame({"organisation": org, "function_group": group,
                            "unit": [f"{org}-{i}" for i in range(len(a))], "variable": variable,
                            "value": np.asarray(a, dtype=float), "source": source})
              for org, a in arrays.items()]
    return pd.concat(frames, ignore_index=True)


def simulate_values(seed, effects: np.ndarray, sizes=GROUP_SIZES, sd=1.0):
    """Unit values with planted organisation effects: value = 3 + effects[org, var] + noise.

    Every function group of an organisation shares the organisation's effect, so the true
    difference of organisation o from its leave-one-out benchmark on variable v is
    effects[o, v] - mean over j != o of effects[j, v].
    """
    rng = np.random.default_rng(seed)
    n_orgs, n_vars = effects.shape
    groups = np.concatenate([[g] * n for g, n in sizes.items()])
    per_org = len(groups)
    org = np.repeat(np.arange(n_orgs), per_org * n_vars)
    var = np.tile(np.repeat(np.arange(n_vars), per_org), n_orgs)
    unit = np.tile(np.arange(per_org), n_orgs * n_vars)
    return pd.DataFrame({
        "organisation": pd.Series(org).map(lambda o: f"O{o}"),
        "function_group": groups[unit],
        "unit": [f"O{o}-{u}" for o, u in zip(org, unit, strict=True)],
        "variable": pd.Series(var).map(lambda v: f"v{v}"), "source": "survey",
        "value": 3 + effects[org, var] + rng.normal(0, sd, len(org))})


# --- leave-one-out and the comparison set ---------------------------------------------------

FIVE = {"A": [1, 1, 0, 2, 1], "B": [2, 2, 1, 3, 2], "C": [3, 3, 2, 4, 3],
        "D": [4, 4, 3, 5, 4], "E": [10, 10, 9, 11, 10]}  # means 1, 2, 3, 4, 10


def row_of(table, org, group="all"):
    return table[(table["organisation"] == org) & (table["function_group"] == group)].iloc[0]


def test_leave_one_out_benchmark_by_hand():
    table = benchmark(from_arrays(FIVE), organisations_table(list("ABCDE")),
                      {"min_organisations": 4})
    a = row_of(table, "A")
    # Hand: the others' means are 2, 3, 4, 10 -> mean 4.75, median 3.5; numpy's linear
    # quartiles at positions 0.75 and 2.25 of the sorted four: 2 + 0.75 = 2.75, 4 + 0.25*6 = 5.5
    assert a["n_organisations"] == 4
    assert a["benchmark_mean"] == pytest.approx(4.75)
    assert a["benchmark_median"] == pytest.approx(3.5)
    assert a["benchmark_p25"] == pytest.approx(2.75)
    assert a["benchmark_p75"] == pytest.approx(5.5)
    assert (a["benchmark_min"], a["benchmark_max"]) == (2, 10)
    assert a["diff"] == pytest.approx(1 - 4.75)
    e = row_of(table, "E")
    assert e["benchmark_mean"] == pytest.approx(2.5)  # (1 + 2 + 3 + 4) / 4


def test_include_self_and_restrict_by_type():
    orgs = organisations_table(list("ABCDE"), ["municipality"] * 3 + ["collaboration"] * 2)
    table = benchmark(from_arrays(FIVE), orgs, {"comparison": "include_self",
                                                "min_organisations": 5})
    # Hand: all five means 1, 2, 3, 4, 10 -> mean 4, median 3
    assert row_of(table, "A")["benchmark_mean"] == pytest.approx(4.0)
    assert row_of(table, "A")["benchmark_median"] == pytest.approx(3.0)
    table = benchmark(from_arrays(FIVE), orgs, {"restrict_by": "type", "min_organisations": 1})
    # Hand: A compares with the other municipalities B and C -> 2.5; D with E only -> 10
    assert row_of(table, "A")["benchmark_mean"] == pytest.approx(2.5)
    assert row_of(table, "D")["benchmark_mean"] == pytest.approx(10.0)
    assert row_of(table, "D")["n_organisations"] == 1


def test_too_few_organisations_hide_the_benchmark_and_say_why():
    table = benchmark(from_arrays(FIVE), organisations_table(list("ABCDE")), {})
    a = row_of(table, "A")
    assert not a["benchmark_shown"]
    assert "4 comparable organisations" in a["benchmark_reason"] and "at least 5" in \
        a["benchmark_reason"]
    assert np.isnan(a["benchmark_mean"]) and a["band"] == "not_tested"
    assert a["mean"] == pytest.approx(1.0)  # the organisation's own figure is still shown


def test_small_groups_do_not_enter_the_benchmark():
    arrays = {**FIVE, "F": [100, 100, 100]}  # n = 3 < 5: hidden and not in anyone's benchmark
    table = benchmark(from_arrays(arrays), organisations_table(list("ABCDEF")),
                      {"min_organisations": 4})
    assert row_of(table, "A")["benchmark_max"] == 10
    assert row_of(table, "F")["suppressed"]


# --- the test against the benchmark ---------------------------------------------------------

def test_single_comparison_is_welchs_t_test_and_hedges_g():
    rng = np.random.default_rng(3)
    x, y = rng.normal(3.4, 1, 25), rng.normal(3.0, 0.6, 40)
    table = benchmark(from_arrays({"A": x, "B": y}), organisations_table(["A", "B"]),
                      {"min_organisations": 1})
    a = row_of(table, "A")
    ref = stats.ttest_ind(x, y, equal_var=False)  # reference: scipy's Welch test
    ci = ref.confidence_interval(0.95)
    assert a["t"] == pytest.approx(ref.statistic)
    assert a["p"] == pytest.approx(ref.pvalue)
    assert a["df"] == pytest.approx(ref.df)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((ci.low, ci.high))
    # reference: pingouin's Hedges' g of the two samples
    assert a["hedges_g"] == pytest.approx(pg.compute_effsize(x, y, eftype="hedges"))


def test_contrast_with_three_organisations_by_hand():
    rng = np.random.default_rng(4)
    arrays = {"A": rng.normal(3, 1, 12), "B": rng.normal(3, 2, 30), "C": rng.normal(4, 1, 8),
              "D": rng.normal(2, 0.5, 20)}
    for comparison in ("leave_one_out", "include_self"):
        table = benchmark(from_arrays(arrays), organisations_table(list("ABCD")),
                          {"min_organisations": 3, "comparison": comparison})
        a = row_of(table, "A")
        # Hand: d = m_A - mean of the set's means; SE^2 = sum c_j^2 s_j^2/n_j with
        # c_A = 1 - [A in set]/k, c_j = -1/k; Welch-Satterthwaite df.
        members = list("BCD") if comparison == "leave_one_out" else list("ABCD")
        k = len(members)
        coef = {o: -1 / k for o in members}
        coef["A"] = coef.get("A", 0) + 1
        terms = {o: coef[o] ** 2 * np.var(arrays[o], ddof=1) / len(arrays[o]) for o in coef}
        se = np.sqrt(sum(terms.values()))
        df = se ** 4 / sum(t ** 2 / (len(arrays[o]) - 1) for o, t in terms.items())
        d = np.mean(arrays["A"]) - np.mean([np.mean(arrays[o]) for o in members])
        assert a["diff"] == pytest.approx(d)
        assert a["t"] == pytest.approx(d / se)
        assert a["df"] == pytest.approx(df)
        assert a["ci_high"] - a["ci_low"] == pytest.approx(2 * stats.t.ppf(0.975, df) * se)
        pooled = np.concatenate([arrays[o] for o in members])
        sp = np.sqrt(((12 - 1) * np.var(arrays["A"], ddof=1)
                      + (len(pooled) - 1) * np.var(pooled, ddof=1)) / (12 + len(pooled) - 2))
        assert a["hedges_g"] == pytest.approx(d / sp * (1 - 3 / (4 * (12 + len(pooled)) - 9)))


def test_percentile_rank_matches_scipy():
    arrays = {**FIVE, "F": [3, 3, 3, 3, 3]}  # a tie with C (mean 3)
    table = benchmark(from_arrays(arrays), organisations_table(list("ABCDEF")), {})
    means = [1, 2, 3, 4, 10, 3]
    for org, m in zip("ABCDEF", means, strict=True):
        expected = stats.percentileofscore(means, m, kind="mean")  # reference: scipy
        assert row_of(table, org)["percentile_rank"] == pytest.approx(expected)


# --- Benjamini-Hochberg and the band --------------------------------------------------------

def test_bh_matches_statsmodels_and_a_hand_case():
    # Hand (Benjamini & Hochberg 1995 procedure): p = .01 .02 .03 .5, m = 4:
    # .04, .04, .04, .5
    assert bh_adjust(np.array([0.01, 0.02, 0.03, 0.5])).tolist() == pytest.approx(
        [0.04, 0.04, 0.04, 0.5])
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.2, 60)
    family = np.repeat(["a", "b", "c"], 20)
    got = bh_adjust(p, family)
    for fam in "abc":
        sel = family == fam
        ref = multipletests(p[sel], method="fdr_bh")[1]  # reference: statsmodels
        assert got[sel] == pytest.approx(ref)
    p[3] = np.nan
    got = bh_adjust(p, family)
    assert np.isnan(got[3])
    keep = (family == "a") & ~np.isnan(p)
    assert got[keep] == pytest.approx(multipletests(p[keep], method="fdr_bh")[1])


def test_band_needs_both_significance_and_size():
    effects = np.zeros((8, 3))
    effects[0, 0], effects[1, 0] = 1.0, -1.0
    values = simulate_values(11, effects)
    table = benchmark(values, organisations_table([f"O{i}" for i in range(8)]), {})
    assert row_of(table, "O0").pipe(lambda r: r["band"]) == "above"
    assert table.query("organisation == 'O1' and function_group == 'all' and variable == 'v0'")[
        "band"].item() == "below"
    tested = table[table["band"].isin(["above", "below"])]
    assert (tested["p_adj"] < 0.05).all() and (tested["hedges_g"].abs() >= 0.3).all()
    # the BH family is one organisation's report: all its function groups and variables
    o2 = table[(table["organisation"] == "O2") & ~table["suppressed"]]
    assert o2["p_adj"].to_numpy() == pytest.approx(
        multipletests(o2["p"].to_numpy(), method="fdr_bh")[1])


# --- recovery and null simulations ----------------------------------------------------------

def test_planted_effects_are_recovered():
    """Planted effects: right sign in all 20 seeds; 95% CIs cover the truth in 92-98% of cases.

    8 organisations x 4 variables, organisation effects of +0.5 and -0.4 SD on two cells and
    +0.2 on a third. The estimand is effect_o - mean of the others' effects (leave-one-out).
    """
    effects = np.zeros((8, 4))
    effects[0, 0], effects[3, 1], effects[5, 2] = 0.5, -0.4, 0.2
    truth = effects - (effects.sum(axis=0) - effects) / 7
    orgs = organisations_table([f"O{i}" for i in range(8)])
    covered = total = 0
    right_sign = {(0, 0): 0, (3, 1): 0}
    for seed in range(20):
        table = benchmark(simulate_values(seed, effects), orgs, {})
        table = table[table["function_group"] == "all"]
        o = table["organisation"].str[1:].astype(int).to_numpy()
        v = table["variable"].str[1:].astype(int).to_numpy()
        true = truth[o, v]
        covered += int(((table["ci_low"] <= true) & (true <= table["ci_high"])).sum())
        total += len(table)
        for (oo, vv) in right_sign:
            d = table["diff"].to_numpy()[(o == oo) & (v == vv)][0]
            right_sign[(oo, vv)] += int(np.sign(d) == np.sign(truth[oo, vv]))
    assert total == 20 * 8 * 4
    assert right_sign == {(0, 0): 20, (3, 1): 20}
    assert 0.92 <= covered / total <= 0.98, covered / total  # nominal 0.95, 640 intervals


def test_null_simulation_finds_no_more_than_the_fdr_allows():
    """No effects: the share of reports (families) with any BH discovery stays near alpha.

    Under the global null, BH controls the family-wise error at alpha = 0.05; 20 seeds x 8
    organisations = 160 reports, so we allow 0.05 + 2 binomial SE = 0.085.
    """
    effects = np.zeros((8, 10))
    orgs = organisations_table([f"O{i}" for i in range(8)])
    any_discovery = reports = 0
    for seed in range(100, 120):
        table = benchmark(simulate_values(seed, effects), orgs, {})
        flagged = table.groupby("organisation")["p_adj"].min() < 0.05
        any_discovery += int(flagged.sum())
        reports += len(flagged)
    assert any_discovery / reports <= 0.085, any_discovery / reports


# --- function groups ------------------------------------------------------------------------

def test_welch_anova_matches_pingouins_published_example():
    # Reference: pingouin.welch_anova docstring, dataset 'anova' (bundled with pingouin):
    # ddof1 3, ddof2 8.329841, F 5.890115, p 0.018813, np2 0.575962. Hair colours are mapped
    # to the four function groups; group sizes are 4-5, so min_group_size is lowered to 4.
    df = pg.read_dataset("anova")
    colours = sorted(df["Hair color"].unique())
    mapping = dict(zip(colours, ["external", "internal", "manager", "policy"], strict=True))
    values = pd.DataFrame({"organisation": "A", "function_group": df["Hair color"].map(mapping),
                           "unit": [f"r{i}" for i in range(len(df))], "variable": "pain",
                           "value": df["Pain threshold"], "source": "survey"})
    out = group_contrasts(values, {"min_group_size": 4})
    omnibus = out[(out["organisation"] == "A") & (out["test"] == "welch_anova")].iloc[0]
    assert omnibus["df1"] == 3
    assert omnibus["df2"] == pytest.approx(8.329841, abs=1e-6)
    assert omnibus["F"] == pytest.approx(5.890115, abs=1e-6)
    assert omnibus["p"] == pytest.approx(0.018813, abs=1e-6)
    assert omnibus["np2"] == pytest.approx(0.575962, abs=1e-6)


def test_games_howell_matches_pingouin():
    # Reference: pingouin.pairwise_gameshowell docstring on 'penguins' (Adelie vs Chinstrap:
    # T -0.543, df 152.455, p 0.85, hedges -0.074) and pingouin run on the same data.
    df = pg.read_dataset("penguins")
    mapping = {"Adelie": "external", "Chinstrap": "internal", "Gentoo": "policy"}
    values = pd.DataFrame({"organisation": "A", "function_group": df["species"].map(mapping),
                           "unit": [f"r{i}" for i in range(len(df))], "variable": "mass",
                           "value": df["body_mass_g"], "source": "survey"})
    out = group_contrasts(values, {})
    post = out[(out["organisation"] == "A") & (out["test"] == "games_howell")]
    first = post.iloc[0]
    assert (first["group_a"], first["group_b"]) == ("external", "internal")
    assert first["t"] == pytest.approx(-0.543, abs=5e-4)
    assert first["df"] == pytest.approx(152.455, abs=5e-4)
    assert first["p"] == pytest.approx(0.85, abs=5e-3)
    assert first["hedges_g"] == pytest.approx(-0.074, abs=5e-4)
    ref = pg.pairwise_gameshowell(data=df, dv="body_mass_g", between="species")
    assert post["p"].to_numpy() == pytest.approx(ref["pval"].to_numpy(), abs=1e-5)
    assert post["diff"].to_numpy() == pytest.approx(ref["diff"].to_numpy())
    assert post["hedges_g"].to_numpy() == pytest.approx(ref["hedges"].to_numpy())


def test_studentized_range_matches_scipy():
    rng = np.random.default_rng(0)
    q, df, k = rng.uniform(0.2, 6, 40), rng.uniform(4, 300, 40), rng.integers(2, 6, 40)
    ref = stats.studentized_range.sf(q, k, df)  # reference: scipy (what pingouin uses)
    assert studentized_range_sf(q, k, df) == pytest.approx(ref, abs=2e-5)


def test_group_contrasts_leave_out_hidden_groups():
    rng = np.random.default_rng(2)
    sizes = {"internal": 20, "external": 12, "policy": 9, "manager": 6, "unknown": 2}
    values = pd.concat([pd.DataFrame({"organisation": "A", "function_group": g, "variable": "x",
                                      "unit": [f"{g}{i}" for i in range(n)], "source": "usage",
                                      "value": rng.normal(size=n)}) for g, n in sizes.items()])
    out = group_contrasts(values, {})
    omnibus = out[(out["organisation"] == "A") & (out["test"] == "welch_anova")].iloc[0]
    # unknown (n=2) is hidden, so policy (smallest other than the managers) is hidden too
    assert omnibus["groups_left_out"] == "policy"
    assert omnibus["k_groups"] == 3
    shown = out[(out["organisation"] == "A") & (out["test"] == "games_howell")]
    assert "policy" not in set(shown["group_a"]) | set(shown["group_b"])


def test_perception_gap_is_welchs_test_of_managers_against_everyone_else():
    rng = np.random.default_rng(9)
    m, s = rng.normal(4, 0.5, 8), rng.normal(3.5, 0.8, 40)
    values = pd.concat([
        pd.DataFrame({"function_group": "manager", "value": m}),
        pd.DataFrame({"function_group": ["internal", "policy", "unknown", "external"] * 10,
                      "value": s})], ignore_index=True)
    values = values.assign(organisation="A", variable="culture", source="survey",
                           unit=[f"r{i}" for i in range(len(values))])
    out = perception_gap(values, ["culture"], {})
    row = out[out["organisation"] == "A"].iloc[0]
    ref = stats.ttest_ind(m, s, equal_var=False)  # reference: scipy's Welch test
    assert row["gap"] == pytest.approx(m.mean() - s.mean())
    assert row["t"] == pytest.approx(ref.statistic)
    assert row["p"] == pytest.approx(ref.pvalue)
    assert row["hedges_g"] == pytest.approx(pg.compute_effsize(m, s, eftype="hedges"))
    assert not row["suppressed"]
    few = values[(values["function_group"] != "manager") | (values.index < 3)]
    row = perception_gap(few, ["culture"], {}).iloc[0]
    assert row["suppressed"] and row["suppression_reason"] == "group_size"
    assert np.isnan(row["gap"])


# --- input ----------------------------------------------------------------------------------

def test_cell_stats_counts_all_and_skips_missing():
    v = from_arrays({"A": [1.0, 2.0, np.nan, 4.0]})
    cells = cell_stats(v)
    assert cells[["function_group", "n"]].values.tolist() == [["all", 3], ["internal", 3]]
    assert cells["mean"].iloc[0] == pytest.approx(7 / 3)


def test_bad_input_names_row_column_and_value():
    v = from_arrays(FIVE)
    v.loc[3, "function_group"] = "boss"
    with pytest.raises(InputError, match=r"row 4, column 'function_group': value 'boss'"):
        benchmark(v, organisations_table(list("ABCDE")), {})
    v = from_arrays(FIVE)
    with pytest.raises(InputError, match="organisation code listed"):
        benchmark(v, organisations_table(list("ABCD")), {})


@pytest.mark.parametrize("prm", [{}, {"comparison": "include_self"},
                                 {"restrict_by": "size_class", "min_organisations": 2}])
def test_benchmark_quantiles_match_numpy_on_the_comparison_set(prm):
    # Reference: numpy.percentile / min / max over each organisation's comparison set, built
    # by hand from the organisation means (small organisations, n < 5, are left out).
    rng = np.random.default_rng(8)
    codes = [f"O{i}" for i in range(15)]
    sizes = rng.integers(2, 12, len(codes))
    arrays = {c: np.round(rng.normal(3, 1, n), 1) for c, n in zip(codes, sizes, strict=True)}
    orgs = organisations_table(codes).assign(size_class=rng.choice(["s", "m"], len(codes)))
    table = benchmark(from_arrays(arrays), orgs, prm)
    means = {c: a.mean() for c, a in arrays.items() if len(a) >= 5}
    cls = dict(zip(orgs["code"], orgs["size_class"], strict=True))
    checked = 0
    for c in codes:
        comparison = [m for o, m in means.items()
                      if (o != c or prm.get("comparison") == "include_self")
                      and (not prm.get("restrict_by") or cls[o] == cls[c])]
        row = row_of(table, c)
        assert row["n_organisations"] == len(comparison)
        if not row["benchmark_shown"] or row["suppressed"]:
            continue  # an organisation's own small group is hidden, benchmark figures too
        checked += 1
        assert row["benchmark_mean"] == pytest.approx(np.mean(comparison))
        assert [row["benchmark_p25"], row["benchmark_median"], row["benchmark_p75"]] == \
            pytest.approx(np.percentile(comparison, [25, 50, 75]))
        assert (row["benchmark_min"], row["benchmark_max"]) == pytest.approx(
            (min(comparison), max(comparison)))
    assert checked >= 5


def test_complementary_hidden_cell_stays_out_of_other_benchmarks():
    # Hand case, six organisations. In B the 'unknown' group has 2 respondents (hidden) and
    # policy, its smallest other group, is hidden alongside it. B's policy mean must then not
    # feed A's policy benchmark: the pilot study shows C..F by code, and a benchmark over
    # B..F would give B's hidden mean as 5 * benchmark - (C + D + E + F).
    rng = np.random.default_rng(4)
    rows = []
    for code in "ABCDEF":
        sizes = {"internal": 20, "policy": 8}
        if code == "B":
            sizes["unknown"] = 2
        for group, size in sizes.items():
            for i in range(size):
                rows.append({"organisation": code, "function_group": group,
                             "unit": f"{code}{group}{i}", "variable": "x",
                             "value": float(rng.normal(3 + (code == "B"), 1)),
                             "source": "survey"})
    values = pd.DataFrame(rows)
    table = benchmark(values, organisations_table(list("ABCDEF")),
                      {"min_organisations": 3, "min_group_size": 5})
    cell = table.set_index(["organisation", "function_group"])
    assert cell.loc[("B", "policy"), "suppression_reason"] == "complementary"
    others = [values[(values.organisation == c) & (values.function_group == "policy")]
              ["value"].mean() for c in "CDEF"]
    assert cell.loc[("A", "policy"), "n_organisations"] == 4
    assert cell.loc[("A", "policy"), "benchmark_mean"] == pytest.approx(np.mean(others))

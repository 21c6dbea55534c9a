"""Tests of analysis.scales: every figure against an outside reference named in a comment.

References used:
- pingouin's published values on its own datasets (tests/data/pingouin_cronbach/SOURCE.txt,
  quoting the docstring of pingouin.cronbach_alpha, which states R psych::alpha equivalence);
- the bfi data of R's psych package with alphas recomputed independently in
  tests/data/bfi_psych/SOURCE.txt (pairwise-complete and listwise);
- hand calculations (closed forms) written out in the tests themselves.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.formula.api import ols

from analysis import codebook as cbm
from analysis import scales
from analysis.errors import InputError

DATA = Path(__file__).parent / "data"
BFI_CODEBOOK = DATA / "bfi_psych" / "bfi_codebook.yaml"
BFI_CONSTRUCTS = ["agreeableness", "conscientiousness", "extraversion", "neuroticism",
                  "openness"]


def _codebook(item_ids, lo=1, hi=5, constructs=None, reverse=()):
    """A codebook with one construct 'c' (or the given item -> construct map)."""
    constructs = constructs or {i: "c" for i in item_ids}
    return cbm.from_dict({
        "scale": {"min": lo, "max": hi},
        "constructs": [{"id": c, "name": {"nl": c, "en": c}} for c in dict.fromkeys(
            constructs.values())],
        "items": [{"id": i, "construct": constructs[i], "reverse": i in reverse,
                   "text": {"nl": i, "en": i}} for i in item_ids]})


def _wide(frame: pd.DataFrame) -> pd.DataFrame:
    """Items as nullable Int8 with a respondent column, as the answers table of the contract."""
    answers = frame.astype("Int8")
    answers.insert(0, "respondent", [f"r{i}" for i in range(len(answers))])
    return answers.reset_index(drop=True)


def _quiet(function, *args, **kwargs):
    """Call a function that may warn about reliability, returning result and warning texts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", scales.ReliabilityWarning)
        result = function(*args, **kwargs)
    return result, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "bfi_psych" / "bfi.csv", index_col=0)  # R write.csv: row names
    answers = _wide(raw[[f"{c}{i}" for c in "ACENO" for i in range(1, 6)]])
    answers["respondent"] = raw["X"].astype(str).to_numpy()
    return answers


@pytest.fixture(scope="module")
def bfi_gender(bfi) -> pd.Series:
    raw = pd.read_csv(DATA / "bfi_psych" / "bfi.csv", index_col=0)
    return pd.Series(raw["gender"].to_numpy(), index=bfi.index, name="gender")


@pytest.fixture(scope="module")
def bfi_codebook() -> cbm.Codebook:
    return cbm.load(BFI_CODEBOOK)


# --------------------------------------------------------------------------------------------
# pingouin's published values


def test_alpha_long_file_matches_pingouin_published_value():
    long = pd.read_csv(DATA / "pingouin_cronbach" / "cronbach_alpha.csv")
    wide = long.pivot(index="Subj", columns="Items", values="Scores")
    items = [f"Q{i}" for i in range(1, 11)]
    table, caveats = _quiet(scales.reliability, _wide(wide[items]), _codebook(items, 1, 7))
    row = table.iloc[0]
    # pingouin.cronbach_alpha docstring: (0.5917188485995826, array([0.195, 0.84 ]))
    assert row["alpha"] == pytest.approx(0.5917188485995826, abs=1e-12)
    assert [row["alpha_ci_low"], row["alpha_ci_high"]] == [0.195, 0.84]
    assert (row["n"], row["n_items"], row["policy"]) == (15, 10, "pairwise")
    # 0.59 is below params' 0.60, so the tool must say so
    assert "alpha 0.59 below 0.60" in row["warnings"]
    assert any("below 0.60" in c for c in caveats)


def _feldt(alpha: float, n: int, k: int) -> list[float]:
    """Feldt's 95% CI by hand (Feldt, Woodruff & Salih 1987), rounded as pingouin rounds."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return [round(1 - (1 - alpha) * stats.f.isf(q, df1, df2), 3) for q in (0.025, 0.975)]


@pytest.mark.parametrize("policy, alpha, ci, n", [
    # pingouin docstring: cronbach_alpha(data) = psych::alpha(use="pairwise"), CI [0.435, 0.909]
    ("pairwise", 0.732660835214447, [0.435, 0.909], 12),
    # pingouin docstring: cronbach_alpha(data, nan_policy="listwise") = use="complete.obs".
    # Its published CI [0.581, 0.933] takes n = 12, the rows *before* listwise deletion (see
    # the test below); we use the 9 complete rows the alpha rests on: Feldt by hand.
    ("listwise", 0.8016949152542373, _feldt(0.8016949152542373, 9, 11), 9),
])
def test_alpha_wide_file_with_gaps_matches_pingouin_per_policy(policy, alpha, ci, n):
    wide = pd.read_csv(DATA / "pingouin_cronbach" / "cronbach_wide_missing.csv",
                       encoding="utf-8-sig")  # the file starts with a BOM
    items = list(wide.columns)
    table, _ = _quiet(scales.reliability, _wide(wide), _codebook(items, 0, 1), policy=policy)
    row = table.iloc[0]
    assert row["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert [row["alpha_ci_low"], row["alpha_ci_high"]] == ci
    assert row["policy"] == policy  # the output states the missing-data policy used
    assert row["n"] == n  # 12 rows, 3 of them with gaps (4 empty cells)


def test_feldt_by_hand_reproduces_pingouins_published_intervals():
    # the hand formula used above gives pingouin's published CIs with pingouin's n = 12
    assert _feldt(0.732660835214447, 12, 11) == [0.435, 0.909]
    assert _feldt(0.8016949152542373, 12, 11) == [0.581, 0.933]
    assert _feldt(0.5917188485995826, 15, 10) == [0.195, 0.84]


# --------------------------------------------------------------------------------------------
# bfi (R psych)


def test_bfi_alphas_pairwise_match_the_recomputed_reference(bfi, bfi_codebook):
    table, caveats = _quiet(scales.reliability, bfi, bfi_codebook)
    alphas = table.set_index("construct")["alpha"]
    # tests/data/bfi_psych/SOURCE.txt: pairwise-complete covariance, recomputed with numpy;
    # R psych prints .70 .72-.73 .76 .81 .60
    expected = [0.7030, 0.7267, 0.7617, 0.8140, 0.6002]
    assert alphas[BFI_CONSTRUCTS].tolist() == pytest.approx(expected, abs=6e-5)
    assert set(table["scope"]) == {"all"}
    assert (table["warnings"] == "").all() and caveats == []
    assert (table["n_items"] == 5).all()


def test_bfi_alphas_listwise_match_the_recomputed_reference(bfi, bfi_codebook):
    table, _ = _quiet(scales.reliability, bfi, bfi_codebook, policy="listwise")
    table = table.set_index("construct").loc[BFI_CONSTRUCTS]
    # tests/data/bfi_psych/SOURCE.txt, listwise figures in brackets with their n
    assert table["alpha"].tolist() == pytest.approx([0.7038, 0.7293, 0.7609, 0.8133, 0.6025],
                                                    abs=6e-5)
    assert table["n"].tolist() == [2709, 2707, 2713, 2694, 2726]


def test_bfi_without_reverse_keys_turns_negative_and_is_flagged(bfi):
    raw = cbm.load(BFI_CODEBOOK)
    unkeyed = cbm.from_dict({
        "scale": {"min": 1, "max": 6},
        "constructs": [{"id": c.id, "name": c.name} for c in raw.constructs.values()],
        "items": [{"id": i.id, "construct": i.construct, "text": i.text}
                  for i in raw.items.values()]})
    table, caveats = _quiet(scales.reliability, bfi, unkeyed)
    assert any("conscientiousness (all): negative item-rest correlation" in c for c in caveats)
    table = table.set_index("construct")
    # SOURCE.txt: without reversing: Agree 0.43, Conscientious -0.28, Extraversion -0.63,
    # Openness -0.13 (neuroticism has no reverse keys and stays 0.814)
    assert table.loc[BFI_CONSTRUCTS, "alpha"].round(2).tolist() == [0.43, -0.28, -0.63, 0.81,
                                                                     -0.13]
    for construct, item in [("agreeableness", "A1"), ("conscientiousness", "C4"),
                            ("extraversion", "E1"), ("openness", "O5")]:
        assert "negative item-rest correlation" in table.loc[construct, "warnings"]
        assert item in table.loc[construct, "warnings"]
    assert table.loc["neuroticism", "warnings"] == ""


def test_reliability_per_group_adds_one_scope_per_value(bfi, bfi_codebook, bfi_gender):
    gender = bfi_gender
    table, _ = _quiet(scales.reliability, bfi, bfi_codebook, gender)
    agree = table[table["construct"] == "agreeableness"].set_index("scope")
    assert agree.index.tolist() == ["all", "1", "2"]
    assert agree.loc["1", "n"] + agree.loc["2", "n"] == agree.loc["all", "n"] == 2800
    # hand reference: pingouin on the same subset, A1 reversed as 7 - x
    men = bfi[gender.to_numpy() == 1][["A1", "A2", "A3", "A4", "A5"]].astype("float64")
    men["A1"] = 7 - men["A1"]
    assert agree.loc["1", "alpha"] == pytest.approx(pg.cronbach_alpha(men)[0], abs=1e-12)
    # groups indexed by respondent work as well
    by_respondent = gender.set_axis(bfi["respondent"].to_numpy())
    again, _ = _quiet(scales.reliability, bfi, bfi_codebook, by_respondent)
    pd.testing.assert_frame_equal(again, table)


# --------------------------------------------------------------------------------------------
# Warnings on small or flat scales


def test_two_items_and_zero_variance_are_warned_and_returned():
    items = ["a1", "a2", "b1", "b2", "b3"]
    codebook = _codebook(items, constructs={"a1": "a", "a2": "a", "b1": "b", "b2": "b",
                                            "b3": "b"})
    answers = _wide(pd.DataFrame({"a1": [1, 2, 3, 4, 5, 2], "a2": [2, 2, 3, 5, 5, 1],
                                  "b1": [3, 3, 3, 3, 3, 3], "b2": [1, 2, 3, 4, 5, 3],
                                  "b3": [2, 2, 3, 4, 4, 3]}))
    with pytest.warns(scales.ReliabilityWarning) as record:
        table = scales.reliability(answers, codebook)
    messages = " | ".join(str(w.message) for w in record)
    assert "a (all): fewer than three items (2)" in messages
    assert "b (all): zero variance in b1" in messages
    table = table.set_index("construct")
    assert "fewer than three items" in table.loc["a", "warnings"]
    assert math.isnan(table.loc["a", "omega"])  # a one-factor model needs three items
    assert not math.isnan(table.loc["a", "alpha"])
    assert "zero variance in b1" in table.loc["b", "warnings"]
    assert math.isnan(table.loc["b", "alpha"])


def test_policy_must_be_known():
    with pytest.raises(ValueError, match="policy"):
        scales.reliability(_wide(pd.DataFrame({"q": [1, 2]})), _codebook(["q"]),
                           policy="mean")


# --------------------------------------------------------------------------------------------
# Reverse keys and scores (hand calculations)


def test_reverse_key_is_max_plus_min_minus_answer():
    codebook = _codebook(["p", "q"], 1, 6, reverse={"q"})
    answers = _wide(pd.DataFrame({"p": [1, 6, None], "q": [1, 6, None]}))
    keyed = scales.reverse_key(answers, codebook)
    # 1..6 scale: 1 + 6 - x, so 1 -> 6 and 6 -> 1; missing stays missing
    assert keyed["q"].tolist()[:2] == [6, 1] and keyed["q"].isna().iloc[2]
    assert keyed["p"].tolist()[:2] == [1, 6]
    assert str(keyed["q"].dtype) == "Int8"
    assert answers["q"].tolist()[:2] == [1, 6]  # the input is not changed


def test_answers_out_of_range_or_missing_columns_name_row_and_column():
    codebook = _codebook(["p", "q"], 1, 5)
    answers = _wide(pd.DataFrame({"p": [1, 7, 3], "q": [1, 2, 3]}))
    with pytest.raises(InputError) as info:
        scales.reverse_key(answers, codebook)
    (found,) = info.value.problems
    assert (found.row, found.column, found.value) == (2, "p", 7)
    assert "1 to 5" in found.expected
    with pytest.raises(InputError, match="column 'q'"):
        scales.score(answers.drop(columns="q"), codebook)


def test_score_is_the_mean_of_answered_items_above_min_share():
    codebook = cbm.from_dict({
        "constructs": [{"id": "c", "name": {"nl": "c", "en": "c"}, "min_share": 0.5},
                       {"id": "d", "name": {"nl": "d", "en": "d"}, "min_share": 1.0},
                       {"id": "e", "name": {"nl": "e", "en": "e"}, "min_share": 0.5}],
        "items": [{"id": i, "construct": i[0], "reverse": i == "c4",
                   "text": {"nl": i, "en": i}}
                  for i in ("c1", "c2", "c3", "c4", "d1", "d2", "e1", "e2", "e3")]})
    answers = _wide(pd.DataFrame({
        "c1": [5, 4, 1, None], "c2": [3, None, None, None], "c3": [4, None, None, None],
        "c4": [2, 1, None, None], "d1": [1, 2, 3, 4], "d2": [2, None, 4, 4],
        "e1": [1, 2, 3, None], "e2": [2, None, 5, None], "e3": [None, None, 4, 5]}))
    scores, missing = scales.score(answers, codebook)
    # by hand: c4 reversed to 6 - x; r0 (5 + 3 + 4 + 4) / 4 = 4.0; r1 (4 + 5) / 2 = 4.5 with
    # 2 of 4 items = the minimum; r2 1 of 4 -> missing; r3 none -> missing.
    # d needs both items: 1.5, missing, 3.5, 4.0
    assert scores["c"].tolist()[:2] == [4.0, 4.5] and scores["c"].iloc[2:].isna().all()
    assert scores["d"].tolist()[0] == 1.5 and math.isnan(scores["d"].iloc[1])
    assert scores["d"].tolist()[2:] == [3.5, 4.0]
    assert scores["respondent"].tolist() == ["r0", "r1", "r2", "r3"]
    assert scores["c"].dtype == "float64"
    # e: half of 3 items rounds up to 2 answered: 1.5, missing (1 of 3), 4.0, missing
    assert scores["e"].tolist()[0] == 1.5 and scores["e"].tolist()[2] == 4.0
    assert scores["e"].iloc[[1, 3]].isna().all()
    missing = missing.set_index("construct")
    assert missing.loc["e", ["min_items", "n_scored", "n_missing"]].tolist() == [2, 2, 2]
    assert missing.loc["c", ["min_items", "n_scored", "n_missing"]].tolist() == [2, 2, 2]
    assert missing.loc["d", ["min_items", "n_scored", "n_missing"]].tolist() == [2, 3, 1]


# --------------------------------------------------------------------------------------------
# Item statistics


def test_item_statistics_on_complete_data_match_direct_computation(bfi, bfi_codebook):
    stats = scales.item_statistics(bfi, bfi_codebook, policy="listwise")
    agree = stats[stats["construct"] == "agreeableness"].set_index("item")
    items = ["A1", "A2", "A3", "A4", "A5"]
    complete = bfi[items].astype("float64").dropna()
    complete["A1"] = 7 - complete["A1"]
    for item in items:
        rest = complete.drop(columns=item)
        # hand reference: Pearson r of the item with the sum of the other items, and
        # pingouin's alpha of the other items
        r = np.corrcoef(complete[item], rest.sum(axis=1))[0, 1]
        assert agree.loc[item, "item_rest_r"] == pytest.approx(r, abs=1e-12)
        assert agree.loc[item, "alpha_if_deleted"] == pytest.approx(
            pg.cronbach_alpha(rest)[0], abs=1e-12)
    assert agree.loc["A1", "reverse"] and not agree.loc["A2", "reverse"]
    assert (agree["n"] == 2709).all()  # SOURCE.txt: listwise n of agreeableness
    assert len(stats) == 25


# --------------------------------------------------------------------------------------------
# Omega


def _exact_sample(cov: np.ndarray, n: int = 500) -> pd.DataFrame:
    """Data whose sample covariance is exactly ``cov``."""
    rng = np.random.default_rng(7)
    z = rng.normal(size=(n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whiten
    return pd.DataFrame(z @ np.linalg.cholesky(cov).T, columns=[f"i{j}" for j in
                                                                  range(len(cov))])


def test_omega_recovers_the_analytic_value_of_a_one_factor_population():
    loadings = np.array([0.9, 0.8, 0.6, 0.5, 0.4])
    residuals = np.array([0.4, 0.5, 0.9, 1.0, 1.2])
    cov = np.outer(loadings, loadings) + np.diag(residuals)
    # analytic (McDonald 1999, eq. 6.20b): (sum l)^2 / ((sum l)^2 + sum theta) = 10.24 / 14.24
    expected = loadings.sum() ** 2 / (loadings.sum() ** 2 + residuals.sum())
    assert expected == pytest.approx(10.24 / 14.24)
    assert scales.omega_total(_exact_sample(cov)) == pytest.approx(expected, abs=2e-3)


def test_omega_of_three_items_equals_the_closed_form_of_the_just_identified_model(bfi):
    # With three items the one-factor model reproduces the covariances exactly:
    # lambda_i^2 phi = c_ij c_ik / c_jk, theta_i = c_ii - lambda_i^2 phi (hand calculation).
    values = bfi[["A2", "A3", "A5"]].astype("float64").dropna()
    c = np.cov(values.to_numpy(), rowvar=False)
    common = np.array([c[0, 1] * c[0, 2] / c[1, 2], c[0, 1] * c[1, 2] / c[0, 2],
                       c[0, 2] * c[1, 2] / c[0, 1]])
    expected = np.sqrt(common).sum() ** 2 / (np.sqrt(common).sum() ** 2
                                             + (np.diag(c) - common).sum())
    assert scales.omega_total(values, "listwise") == pytest.approx(expected, abs=1e-3)


def test_bfi_omegas_are_reported_and_near_alpha(bfi, bfi_codebook):
    table, _ = _quiet(scales.reliability, bfi, bfi_codebook)
    # For congeneric items omega total is at least alpha; for bfi they differ by < .02
    assert (table["omega"] >= table["alpha"] - 1e-3).all()
    assert ((table["omega"] - table["alpha"]).abs() < 0.02).all()


# --------------------------------------------------------------------------------------------
# ICC


def test_icc_balanced_hand_calculation_and_pingouin():
    scores = pd.DataFrame({"organisation": list("aaabbbccc"),
                           "c": [1.0, 2.0, 3.0, 4.0, 3.0, 5.0, 2.0, 4.0, 3.0]})
    row = scales.icc(scores).iloc[0]
    # by hand: group means 2, 4, 3, grand mean 3; SSB = 3 (1 + 1 + 0) = 6, MSB = 3;
    # SSW = 3 x 2 = 6, MSW = 1; ICC(1) = (3 - 1) / (3 + 2 x 1) = 0.4; ICC(2) = 2 / 3
    assert (row["ms_between"], row["ms_within"]) == (3.0, 1.0)
    assert row["icc1"] == pytest.approx(0.4) and row["icc2"] == pytest.approx(2 / 3)
    # pingouin: one-way random ICC(1,1) / ICC(1,k), organisations as targets (balanced design)
    long = scores.assign(member=[0, 1, 2] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.Pandas4Warning)  # pingouin's own dropna
        icc = pg.intraclass_corr(long, targets="organisation", raters="member",
                                 ratings="c").set_index("Type")
    assert row["icc1"] == pytest.approx(icc.loc["ICC(1,1)", "ICC"])
    assert row["icc2"] == pytest.approx(icc.loc["ICC(1,k)", "ICC"])
    assert row["f"] == pytest.approx(icc.loc["ICC(1,1)", "F"])


def test_icc_unbalanced_uses_statsmodels_anova_and_mean_group_size():
    rng = np.random.default_rng(11)
    sizes = {"o1": 5, "o2": 12, "o3": 8, "o4": 20}
    frame = pd.DataFrame({"organisation": np.repeat(list(sizes), list(sizes.values()))})
    effect = frame["organisation"].map({"o1": 0.0, "o2": 0.5, "o3": -0.4, "o4": 0.2})
    frame["c"] = 3 + effect + rng.normal(size=len(frame))
    frame.loc[3, "c"] = np.nan  # a missing score is left out
    row = scales.icc(frame).iloc[0]
    anova = sm.stats.anova_lm(ols("c ~ C(organisation)", data=frame.dropna()).fit())
    msb, msw = anova["mean_sq"].iloc[0], anova["mean_sq"].iloc[1]
    k = 44 / 4  # Bliese (2000) / R multilevel::ICC1: mean group size N / J
    assert (row["ms_between"], row["ms_within"]) == pytest.approx((msb, msw))
    assert row["p"] == pytest.approx(anova["PR(>F)"].iloc[0])
    assert row["icc1"] == pytest.approx((msb - msw) / (msb + (k - 1) * msw))
    assert row["icc2"] == pytest.approx((msb - msw) / msb)
    assert (row["n"], row["n_groups"]) == (44, 4)


def test_icc_with_one_group_warns():
    with pytest.warns(scales.ReliabilityWarning, match="at least two groups"):
        row = scales.icc(pd.DataFrame({"organisation": ["a", "a"], "c": [1.0, 2.0]})).iloc[0]
    assert math.isnan(row["icc1"]) and "at least two groups" in row["warnings"]


def test_icc_negative_is_warned_and_returned():
    # by hand: both group means are 2, so MSB = 0 and ICC(1) is negative
    scores = pd.DataFrame({"organisation": list("aabb"), "c": [1.0, 3.0, 1.0, 3.0]})
    with pytest.warns(scales.ReliabilityWarning, match="ICC.1. is negative"):
        row = scales.icc(scores).iloc[0]
    # SSW = 4 on 2 df, MSW = 2; MSB = 0; k = 2: ICC(1) = (0 - 2) / (0 + 1 x 2) = -1
    assert row["icc1"] == pytest.approx(-1.0)
    assert "negative" in row["warnings"]


# --------------------------------------------------------------------------------------------
# Structure


def test_structure_kmo_and_bartlett_match_the_closed_forms(bfi, bfi_codebook):
    result = scales.structure(bfi, bfi_codebook)
    keyed = scales.reverse_key(bfi, bfi_codebook)
    items = [i.id for i in bfi_codebook.scale_items]
    complete = keyed[items].astype("float64").dropna()
    r = np.corrcoef(complete.to_numpy(), rowvar=False)
    inverse = np.linalg.inv(r)
    partial = -inverse / np.sqrt(np.outer(np.diag(inverse), np.diag(inverse)))
    off = ~np.eye(len(r), dtype=bool)
    # Kaiser (1970): sum r^2 / (sum r^2 + sum partial^2), off the diagonal
    kmo = (r[off] ** 2).sum() / ((r[off] ** 2).sum() + (partial[off] ** 2).sum())
    # Bartlett (1951): -(n - 1 - (2p + 5) / 6) ln|R| on p (p - 1) / 2 df
    n, p = complete.shape
    chi2 = -(n - 1 - (2 * p + 5) / 6) * np.log(np.linalg.det(r))
    assert result["n"] == n == 2436
    assert result["kmo"] == pytest.approx(kmo, abs=1e-9)
    assert result["bartlett"]["chi2"] == pytest.approx(chi2, rel=1e-9)
    assert result["bartlett"]["dof"] == 300


def test_structure_one_factor_cfa_fit_figures(bfi, bfi_codebook):
    cfa = scales.structure(bfi, bfi_codebook)["cfa"]
    agree = cfa["agreeableness"]
    assert (agree["n"], agree["n_items"], agree["dof"]) == (2709, 5, 5.0)
    # RMSEA by hand from the chi-square (Steiger): sqrt(max(chi2 - df, 0) / (df (n - 1)))
    rmsea = math.sqrt(max(agree["chi2"] - 5, 0) / (5 * (2709 - 1)))
    assert agree["rmsea"] == pytest.approx(rmsea, rel=1e-6)
    # CFI by hand (Bentler 1990) with the independence model's chi-square N (-ln|R|) on
    # p (p - 1) / 2 = 10 df, R the ML correlation matrix of the complete answers
    complete = bfi[["A1", "A2", "A3", "A4", "A5"]].astype("float64").dropna()
    complete["A1"] = 7 - complete["A1"]
    base = -len(complete) * np.log(np.linalg.det(np.corrcoef(complete.to_numpy(), rowvar=False)))
    cfi = 1 - (agree["chi2"] - 5) / max(agree["chi2"] - 5, base - 10)
    assert agree["cfi"] == pytest.approx(cfi, abs=1e-5)
    assert 0 < agree["srmr"] < 0.1 and agree["tli"] <= agree["cfi"]
    # SRMR by hand: root mean square of the standardised residuals (lower triangle), with the
    # implied matrix rebuilt from the standardised loadings: r_ij = l_i l_j off the diagonal
    loadings = np.array([agree["loadings"][i] for i in ["A1", "A2", "A3", "A4", "A5"]])
    implied = np.outer(loadings, loadings)
    np.fill_diagonal(implied, 1.0)
    residual = np.corrcoef(complete.to_numpy(), rowvar=False) - implied
    srmr = np.sqrt(np.mean(residual[np.tril_indices(5)] ** 2))
    assert agree["srmr"] == pytest.approx(srmr, abs=1e-3)
    assert set(agree["loadings"]) == {"A1", "A2", "A3", "A4", "A5"}
    assert all(v > 0 for v in agree["loadings"].values())  # A1 is reverse-keyed first


def test_structure_three_item_construct_is_just_identified():
    rng = np.random.default_rng(5)
    common = rng.normal(size=(300, 1))
    values = np.clip(np.round(3 + common + rng.normal(size=(300, 3))), 1, 5)
    answers = _wide(pd.DataFrame(values, columns=["q1", "q2", "q3"]))
    cfa = scales.structure(answers, _codebook(["q1", "q2", "q3"]))["cfa"]["c"]
    assert cfa["dof"] == 0 and math.isnan(cfa["cfi"]) and "just identified" in cfa["note"]

"""Tests of analysis.correlate against published values, scipy and hand calculations.

The fixture tests/data/pingouin_pairwise_corr_dolan2009/ is pingouin's Dolan et al. (2009)
Big-Five data; its SOURCE.txt lists the correlations printed in pingouin's documentation.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.correlate import (
    SmallSampleWarning,
    correlation_ci,
    correlation_table,
    group_level,
    indices,
    individual_level,
    organisation_level,
    organisation_means,
    pairwise,
    partial,
    questions_vs_culture,
    soft_hard,
)
from analysis.errors import InputError

DOLAN = Path(__file__).parent / "data" / "pingouin_pairwise_corr_dolan2009" / "pairwise_corr.csv"


@pytest.fixture(scope="module")
def big5():
    return pd.read_csv(DOLAN).drop(columns="Subject")


def pair(table, x, y):
    return table[(table["x"] == x) & (table["y"] == y)].iloc[0]


def test_pairwise_reproduces_pingouins_published_correlations(big5):
    # Reference: pingouin.pairwise_corr docstring (SOURCE.txt): Pearson N-E -0.350
    # CI [-0.42, -0.27], N-O -0.010, N-A -0.134, N-C -0.368, E-O 0.267 CI [0.18, 0.35].
    pear = pairwise(big5, method="pearson")
    expected = {("Neuroticism", "Extraversion"): -0.350, ("Neuroticism", "Openness"): -0.010,
                ("Neuroticism", "Agreeableness"): -0.134,
                ("Neuroticism", "Conscientiousness"): -0.368,
                ("Extraversion", "Openness"): 0.267}
    for (x, y), r in expected.items():
        assert pair(pear, x, y)["r"] == pytest.approx(r, abs=5e-4)
        assert pair(pear, x, y)["n"] == 500
    ne = pair(pear, "Neuroticism", "Extraversion")
    assert (round(ne["ci_low"], 2), round(ne["ci_high"], 2)) == (-0.42, -0.27)
    eo = pair(pear, "Extraversion", "Openness")
    assert (round(eo["ci_low"], 2), round(eo["ci_high"], 2)) == (0.18, 0.35)
    # BH over the ten pairs, as statsmodels computes it
    assert pear["p_adj"].to_numpy() == pytest.approx(
        multipletests(pear["p"].to_numpy(), method="fdr_bh")[1])


def test_pairwise_spearman_published_values(big5):
    # Reference: SOURCE.txt, Spearman from pingouin's docstring (3 decimals).
    spear = pairwise(big5, method="spearman")
    expected = [-0.325, -0.028, -0.151, -0.356, 0.243, 0.062, 0.056, 0.170, -0.007, 0.161]
    assert spear["r"].to_numpy() == pytest.approx(expected, abs=5e-4)


def test_correlation_table_matches_scipy(big5):
    table = correlation_table(big5, ["Neuroticism", "Openness"], ["Extraversion"])
    for method, ref_fn in (("pearson", stats.pearsonr), ("spearman", stats.spearmanr)):
        for x in ("Neuroticism", "Openness"):
            row = table[(table["method"] == method) & (table["x"] == x)].iloc[0]
            ref = ref_fn(big5[x], big5["Extraversion"])
            assert row["r"] == pytest.approx(ref.statistic)
            assert row["p"] == pytest.approx(ref.pvalue, rel=1e-6)


def test_spearman_ci_by_hand():
    # Hand: Bonett & Wright (2000): z = atanh(.5) = 0.549306, SE = sqrt(1.125/27) = 0.204124,
    # tanh(0.549306 -/+ 1.959964 * 0.204124) = tanh(0.149229), tanh(0.949383) = (0.1481, 0.7395)
    low, high = correlation_ci(np.array(0.5), np.array(30), "spearman")
    assert (float(low), float(high)) == pytest.approx((0.1481, 0.7395), abs=1e-4)
    # Pearson: SE = 1/sqrt(27) = 0.192450 -> tanh(0.172110), tanh(0.926502) = (0.1704, 0.7290)
    low, high = correlation_ci(np.array(0.5), np.array(30), "pearson")
    assert (float(low), float(high)) == pytest.approx((0.1704, 0.7290), abs=1e-4)


def test_partial_on_a_category_equals_the_within_group_correlation(big5):
    # Hand: controlling for dummies of a category = correlating group-centred x and y.
    rng = np.random.default_rng(1)
    data = big5.assign(function_group=rng.choice(["internal", "policy", "manager"], len(big5)))
    data["Extraversion"] += data["function_group"].map({"internal": 0, "policy": 1,
                                                        "manager": -1})
    got = partial(data, ["Neuroticism"], ["Extraversion"])
    centred = data.groupby("function_group")[["Neuroticism", "Extraversion"]].transform(
        lambda s: s - s.mean())
    ref = np.corrcoef(centred["Neuroticism"], centred["Extraversion"])[0, 1]
    assert got["r"].iloc[0] == pytest.approx(ref)
    assert got["n"].iloc[0] == 500


def org_values(seed=0, n_orgs=12, slope=1.0, n=30):
    """Organisations whose usage mean rises with their survey mean by ``slope``."""
    rng = np.random.default_rng(seed)
    level = rng.normal(0, 1, n_orgs)
    frames = []
    for o in range(n_orgs):
        for var, source, mu in (("cul_questions", "survey", 3 + 0.3 * level[o]),
                                ("questions", "usage", 2 + slope * 0.3 * level[o])):
            frames.append(pd.DataFrame({
                "organisation": f"O{o}", "variable": var, "source": source,
                "function_group": rng.choice(["internal", "policy", "manager"], n),
                "unit": [f"{source}-O{o}-{i}" for i in range(n)],
                "value": mu + rng.normal(0, 0.3, n)}))
    return pd.concat(frames, ignore_index=True)


def test_organisation_level_correlates_organisation_means():
    values = org_values()
    means = organisation_means(values)
    table = organisation_level(means)
    wide = means.pivot(index="organisation", columns="variable", values="mean")
    ref = stats.spearmanr(wide["cul_questions"], wide["questions"])  # reference: scipy
    row = table[table["method"] == "spearman"].iloc[0]
    assert (row["x"], row["y"], row["n"]) == ("cul_questions", "questions", 12)
    assert row["r"] == pytest.approx(ref.statistic)
    assert not row["small_n"]


def test_few_organisations_warn_and_are_flagged():
    means = organisation_means(org_values(n_orgs=7))
    with pytest.warns(SmallSampleWarning, match="7 organisations"):
        table = organisation_level(means)
    assert table["small_n"].all()


def test_small_cells_do_not_enter_organisation_means():
    values = org_values(n=4)  # every organisation rests on 4 units < 5
    assert organisation_means(values)["mean"].isna().all()


def test_group_level_uses_organisation_by_group_cells():
    table = group_level(org_values(n=60))
    row = table[table["method"] == "pearson"].iloc[0]
    assert row["level"] == "organisation_group"
    assert row["n"] == 36  # 12 organisations x 3 function groups, each with >= 5 units


def test_individual_level_joins_on_the_consented_link():
    rng = np.random.default_rng(3)
    k = 30
    score = rng.normal(3, 1, k)
    usage = 2 * score + rng.normal(0, 1, k)
    values = pd.concat([
        pd.DataFrame({"unit": [f"r{i}" for i in range(k)], "variable": "culture",
                      "source": "survey", "value": score}),
        pd.DataFrame({"unit": [f"u{i}" for i in range(k)], "variable": "questions",
                      "source": "usage", "value": usage})]).assign(
        organisation="A", function_group="internal")
    # only the first 20 consented; respondent r_i is platform user u_(i)
    links = pd.DataFrame({"respondent": [f"r{i}" for i in range(k)],
                          "platform_user": [f"u{i}" if i < 20 else None for i in range(k)]})
    table = individual_level(values, links)
    row = table[table["method"] == "pearson"].iloc[0]
    assert row["n"] == 20
    assert row["r"] == pytest.approx(np.corrcoef(score[:20], usage[:20])[0, 1])


def test_indices_standardise_across_organisations():
    means = organisation_means(org_values())
    out = indices(means, reverse=("cul_questions",))
    wide = means.pivot(index="organisation", columns="variable", values="mean")
    z = (wide["cul_questions"] - wide["cul_questions"].mean()) / wide["cul_questions"].std(ddof=1)
    # Hand: one survey variable, reversed -> survey index = -z
    assert out.set_index("organisation")["survey_index"].to_numpy() == pytest.approx(-z)
    assert (out["n_survey"] == 1).all() and (out["n_usage"] == 1).all()


def test_questions_vs_culture_finds_a_planted_link_and_not_a_missing_one():
    with pytest.warns(SmallSampleWarning):
        found = questions_vs_culture(org_values(slope=1.0, n_orgs=8))
    org = found[found["level"] == "organisation"]
    assert (org["r"] > 0.5).all()
    assert set(org["answer"]) == {"more questions"}
    assert org["p_greater"].to_numpy() == pytest.approx(org["p"].to_numpy() / 2)
    none = questions_vs_culture(org_values(seed=2, slope=0.0, n_orgs=40))
    assert set(none.loc[none["level"] == "organisation", "answer"]) == {"no clear link"}


def test_questions_vs_culture_needs_both_variables():
    values = org_values().query("variable != 'questions'")
    with pytest.raises(InputError, match="'questions'"):
        questions_vs_culture(values)


def test_questions_vs_culture_at_the_individual_level():
    # survey respondent s-Ok-i is linked to platform user u-Ok-i (a planted person-level link)
    values = org_values(n_orgs=12, n=30)
    survey = values["source"] == "survey"
    culture = values.loc[survey].set_index("unit")["value"]
    person = values.loc[~survey, "unit"].str.replace("usage-", "survey-", regex=False)
    values.loc[~survey, "value"] = 2 * culture.reindex(person).to_numpy() + \
        np.random.default_rng(0).normal(0, 0.3, int((~survey).sum()))
    links = pd.DataFrame({"respondent": values.loc[survey, "unit"],
                          "platform_user": values.loc[survey, "unit"].str.replace(
                              "survey-", "usage-", regex=False)})
    out = questions_vs_culture(values, links)
    ind = out[out["level"] == "individual"]
    assert (ind["n"] == 360).all() and (ind["r"] > 0.8).all()
    assert set(ind["answer"]) == {"more questions"}


def test_soft_hard_stacks_the_levels_and_indices():
    values = org_values(n_orgs=12, n=30)
    links = pd.DataFrame({"respondent": ["survey-O0-0"], "platform_user": ["usage-O0-0"]})
    with pytest.warns(SmallSampleWarning, match="linked"):
        correlations, org_indices = soft_hard(values, links)
    assert set(correlations["level"]) == {"organisation", "organisation_group"}
    assert len(org_indices) == 12


def test_perfect_correlation_has_no_interval():
    # Fisher's z is infinite at |r| = 1: an interval of [1, 1] from 7 organisations would claim
    # certainty; the CI is reported as not estimable instead (n = 7, as in the pilot study)
    low, high = correlation_ci(np.array([1.0, -1.0, 0.5]), np.array([7, 7, 7]), "spearman")
    assert np.isnan(low[:2]).all() and np.isnan(high[:2]).all()
    assert -1 < low[2] < 0.5 < high[2] < 1


def test_questions_answer_follows_the_printed_interval():
    # The reports print the 95% interval beside the answer. With 7 organisations a moderate
    # link can be one-sided significant (p/2 < .05) while the interval still includes 0; the
    # answer must then be 'no clear link', never 'more questions' next to [-0.2, 0.96].
    for seed in range(40):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallSampleWarning)
            found = questions_vs_culture(org_values(seed=seed, slope=0.5, n_orgs=7))
        org = found[found["level"] == "organisation"]
        for row in org.itertuples():
            expected = ("more questions" if row.ci_low > 0 else
                        "fewer questions" if row.ci_high < 0 else "no clear link")
            assert row.answer == expected, row
